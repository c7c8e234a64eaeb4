r"""The numerical kernels every simulator shares.

* **dtype policy**: :func:`real_dtype`, :func:`complex_dtype`,
  :func:`cast_matrices` and :data:`WORKSPACE_FACTOR`;
* **batches**: :func:`prepare_values`, :func:`prepare_state`,
  :func:`batch_inputs` (validate, broadcast and flatten the inputs),
  :func:`initial_pair` and :func:`real_flags` (which noise channels have a
  real superoperator, a static argument of the noisy simulators);
* **angles**: :func:`angles`, every angle of a circuit as one vector;
* **gate matrices**: :func:`named_matrix`, :func:`operation_matrix`,
  :func:`step_matrix` (simulator dtype) and :func:`numpy_operation_matrix`
  (complex128 NumPy, through :func:`qinspired.circuits.gates.gate_matrix`);
* **applying matrices**: :func:`apply_matrix` (a ``k``-wire matrix on a
  state in real pair form), :func:`apply_transfer` (a Pauli transfer matrix
  on Pauli coefficients), :func:`embed_matrix` (a matrix on some wires of a
  block), :func:`diag_phase` (the phase vector of a fused diagonal run),
  :func:`sincos` (vectorised float32 sines and cosines) and
  :func:`evolve` (a planned step list on a pure state or a density matrix).

See :mod:`qinspired.circuits._engine` for the rules these functions share.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._validation import as_float_array, is_traced
from qinspired.circuits._engine.plan import DiagStep, GateStep, LayerStep
from qinspired.circuits.circuit import Circuit, Operation
from qinspired.circuits.gates import GATES, gate_matrix

__all__ = [
    "WORKSPACE_FACTOR",
    "angle_tables",
    "angles",
    "apply_matrix",
    "apply_transfer",
    "batch_inputs",
    "cast_matrices",
    "complex_dtype",
    "diag_phase",
    "embed_matrix",
    "evolve",
    "initial_pair",
    "named_matrix",
    "numpy_operation_matrix",
    "operation_matrix",
    "prepare_state",
    "prepare_values",
    "real_dtype",
    "real_flags",
    "sincos",
    "step_matrix",
]

WORKSPACE_FACTOR = 3
"""Peak working memory of a simulation in units of one batch of states."""

# einsum letters of the state and matrix axes; "r" and "R" index the pair axis.
_LETTERS = "abcdefghijklmnopqstuvwxyzABCDEFGHIJKLMNOPQSTUVWXYZ"


# --------------------------------------------------------------------------- dtype policy


def real_dtype() -> np.dtype:
    """float32, or float64 when JAX's x64 mode is enabled."""
    return np.dtype(jax.dtypes.canonicalize_dtype(np.float64))


def complex_dtype() -> np.dtype:
    """complex64, or complex128 when JAX's x64 mode is enabled."""
    return np.dtype(jax.dtypes.canonicalize_dtype(np.complex128))


def cast_matrices(circuit: Circuit) -> Circuit:
    """The circuit with its ``unitary`` matrices as NumPy arrays of :func:`complex_dtype`."""
    if circuit.matrices:
        cdtype = complex_dtype()
        circuit = jax.tree_util.tree_map(lambda m: np.asarray(m, dtype=cdtype), circuit)
    return circuit


# --------------------------------------------------------------------------- batches


def prepare_values(values: Any, size: int, name: str, what: str) -> tuple[Any, tuple[int, ...]]:
    """Validate a data or weight array whose last axis has length ``size``.

    Returns the array (an empty real vector for ``None`` when ``size`` is 0)
    and its batch shape.
    """
    if values is None:
        if size:
            raise ValueError(f"the circuit reads {size} {what}; pass `{name}`")
        return jnp.zeros((0,), real_dtype()), ()
    if not is_traced(values):
        values = as_float_array(values, name)
    if values.ndim == 0:
        raise ValueError(f"{name} must have at least one axis of length {size}, got a scalar")
    if values.shape[-1] != size:
        raise ValueError(
            f"{name} has {values.shape[-1]} {what} on its last axis, the circuit expects {size}"
        )
    return values, tuple(values.shape[:-1])


def prepare_state(psi0: Any, n: int) -> tuple[Any, tuple[int, ...]]:
    """Validate an initial pure state of shape ``(..., 2**n)`` (finite, unit norm)."""
    if psi0 is None:
        return None, ()
    if not is_traced(psi0):
        arr = np.asarray(psi0)
        if not np.all(np.isfinite(arr)):
            raise ValueError("initial_state contains NaN or inf")
        norms = np.linalg.norm(arr.reshape(-1, arr.shape[-1]) if arr.ndim else arr, axis=-1)
        if arr.ndim and arr.shape[-1] == 2**n and not np.allclose(norms, 1.0, atol=1e-4):
            raise ValueError(f"initial_state must have unit norm, got norms {norms[:3]}")
        psi0 = arr
    if psi0.ndim == 0 or psi0.shape[-1] != 2**n:
        raise ValueError(
            f"initial_state must have last axis 2**{n} = {2**n}, got shape {np.shape(psi0)}"
        )
    return psi0, tuple(psi0.shape[:-1])


def batch_inputs(circ: Circuit, x: Any, weights: Any, state: Any, sb: tuple[int, ...],
                 state_tail: tuple[int, ...]):
    """Broadcast the batch shapes of data, weights and initial state; flatten each to one axis.

    ``state`` is an initial state already checked (batch shape ``sb``, one
    state of shape ``state_tail``) or None. Returns ``(batch, (x, w,
    state), (x_batched, w_batched, state_batched))``.
    """
    xv, xb = prepare_values(x, circ.n_features, "x", "features")
    wv, wb = prepare_values(weights, circ.n_weights, "weights", "weights")
    try:
        batch = tuple(np.broadcast_shapes(xb, wb, sb))
    except ValueError:
        raise ValueError(
            f"batch shapes of x {xb}, weights {wb} and initial_state {sb} do not broadcast"
        ) from None
    flat = []
    for v, b, tail in ((xv, xb, (circ.n_features,)), (wv, wb, (circ.n_weights,)),
                       (state, sb, state_tail)):
        if v is not None and b:
            v = jnp.broadcast_to(v, batch + tail).reshape((-1,) + tail)
        flat.append(v)
    return batch, flat, (bool(xb), bool(wb), bool(sb))


def initial_pair(state0: Any, size: int) -> jnp.ndarray:
    """The initial state (``|0...0>`` if None) in real pair form ``(2, size)``."""
    if state0 is None:
        return jnp.zeros((2, size), real_dtype()).at[0, 0].set(1.0)
    flat = state0.reshape(size)
    return jnp.stack([jnp.real(flat), jnp.imag(flat)]).astype(real_dtype())


def real_flags(channels: tuple) -> tuple[bool, ...]:
    """Static flags: is each channel's superoperator exactly real?

    Decided from concrete values before tracing; a channel with traced
    parameters (under ``grad``, ``vmap`` or an outer ``jit``) counts as complex.
    """
    flags = []
    for channel in channels:
        if any(is_traced(leaf) for leaf in jax.tree_util.tree_leaves(channel)):
            flags.append(False)
            continue
        with jax.ensure_compile_time_eval():  # concrete even when called inside a jit trace
            kraus = np.asarray(channel.kraus())
        sup = np.einsum("mia,mjb->ijab", kraus, kraus.conj())
        flags.append(bool(np.all(sup.imag == 0)))
    return tuple(flags)


# --------------------------------------------------------------------------- angles


def angle_tables(circuit: Circuit):
    """``(idx, coef, shift, scale, offset)``: every angle as ``offset + scale * prod_j
    (shift_j + coef_j * v[idx_j])`` over ``v = concat(x, w, [0])`` (padding reads the 0)."""
    all_angles = [a for op in circuit.operations for a in op.params]
    width = max((len(a.factors) for a in all_angles), default=0)
    n_x = circuit.n_features
    idx = np.zeros((len(all_angles), width), dtype=np.int32)
    coef = np.zeros((len(all_angles), width))
    shift = np.ones((len(all_angles), width))
    for i, a in enumerate(all_angles):
        for j, f in enumerate(a.factors):
            idx[i, j] = f.index if f.source == "x" else n_x + f.index
            coef[i, j], shift[i, j] = f.coef, f.shift
    scale = np.array([a.scale for a in all_angles])
    offset = np.array([a.offset for a in all_angles])
    return idx, coef, shift, scale, offset


def angles(circuit: Circuit, x: jnp.ndarray, w: jnp.ndarray) -> jnp.ndarray:
    """Every angle of the circuit, in operation order, as one vector of :func:`real_dtype`."""
    idx, coef, shift, scale, offset = angle_tables(circuit)
    dtype = real_dtype()
    if idx.shape[0] == 0:
        return jnp.zeros((0,), dtype)
    values = jnp.concatenate([x.astype(dtype), w.astype(dtype), jnp.zeros((1,), dtype)])
    factors = shift.astype(dtype) + coef.astype(dtype) * values[idx]
    return offset.astype(dtype) + scale.astype(dtype) * jnp.prod(factors, axis=1)


# --------------------------------------------------------------------------- gate matrices


def named_matrix(name: str, theta: jnp.ndarray, dtype: Any) -> jnp.ndarray:
    """The matrix of registered gate ``name`` for its angle vector ``theta``, in ``dtype``.

    Pure jax.numpy (vmappable over ``theta``); always complex.
    """
    return GATES[name].matrix(theta, dtype)


def operation_matrix(op: Operation, theta: jnp.ndarray, matrices: Sequence[Any],
                     dtype: Any) -> jnp.ndarray:
    """The matrix of one operation for its own angles ``theta``, in complex ``dtype``.

    ``unitary`` operations read ``matrices[op.matrix_index]``; adjoints are
    applied. A gate registered as real comes back real (in the real
    counterpart of ``dtype``) so that pair-form simulators use real
    arithmetic; cast with ``.astype`` where a complex matrix is needed.
    """
    if op.name == "unitary":
        m = jnp.asarray(matrices[op.matrix_index], dtype=dtype)
    else:
        spec = GATES[op.name]
        m = spec.matrix(theta, dtype)
        if spec.real:
            m = m.real
    return m.conj().T if op.adjoint else m


def step_matrix(step: GateStep, theta: jnp.ndarray, matrices: Sequence[Any],
                dtype: Any) -> jnp.ndarray:
    """:func:`operation_matrix` of a planned step, reading its angles from the circuit's
    whole angle vector ``theta``."""
    own = theta[np.asarray(step.param_ids, dtype=np.int32)]
    return operation_matrix(step.op, own, matrices, dtype)


def numpy_operation_matrix(op: Operation, matrices: Sequence[Any]) -> np.ndarray:
    """The complex128 NumPy matrix of an operation with constant angles (adjoint applied)."""
    if op.name == "unitary":
        m = np.asarray(matrices[op.matrix_index], dtype=np.complex128)
    else:
        m = gate_matrix(op.name, [a.constant_value for a in op.params], np.complex128)
    return m.conj().T if op.adjoint else m


# --------------------------------------------------------------------------- applying matrices


def _block_view(order: list[int], n: int, dim: int, merge_runs: bool):
    """Axes of a state of ``n`` sites of dimension ``dim`` with the sorted target sites
    ``order`` as their own axes and the gaps between them merged.

    With ``merge_runs``, adjacent targets share one axis too. Returns ``(runs,
    shape, sub_in, sub_out, out_idx, in_idx)``: the target groups, the view's
    shape, einsum letters of the view before and after, and of the matrix.
    """
    runs: list[list[int]] = []
    for q in order:
        if merge_runs and runs and runs[-1][-1] == q - 1:
            runs[-1].append(q)
        else:
            runs.append([q])
    letters = iter(_LETTERS)
    out_idx = [next(letters) for _ in runs]
    in_idx = [next(letters) for _ in runs]
    shape, sub_in, sub_out, prev = [], [], [], -1
    for j, run in enumerate(runs):
        if run[0] - prev - 1:
            g = next(letters)
            shape.append(dim ** (run[0] - prev - 1))
            sub_in.append(g)
            sub_out.append(g)
        shape.append(dim ** len(run))
        sub_in.append(in_idx[j])
        sub_out.append(out_idx[j])
        prev = run[-1]
    if n - prev - 1:
        g = next(letters)
        shape.append(dim ** (n - prev - 1))
        sub_in.append(g)
        sub_out.append(g)
    return runs, shape, sub_in, sub_out, out_idx, in_idx


def _sorted_matrix(matrix: jnp.ndarray, wires: tuple[int, ...], dim: int) -> jnp.ndarray:
    """``matrix`` on ``wires`` (in their order) as a ``(dim,) * 2k`` tensor over the sorted
    wires."""
    k = len(wires)
    m = matrix.reshape((dim,) * (2 * k))
    order = sorted(wires)
    if list(wires) != order:
        perm = [wires.index(w) for w in order]
        m = m.transpose(perm + [k + p for p in perm])
    return m


def apply_matrix(psi: jnp.ndarray, matrix: jnp.ndarray, wires: tuple[int, ...],
                 n: int) -> jnp.ndarray:
    """Apply a ``(2**k, 2**k)`` matrix to ``wires`` of a state in pair form.

    The state is real, of shape ``(2, 2**n)`` (real and imaginary parts).
    It is viewed as ``(2, 2**g0, 2, 2**g1, 2, ...)`` with the gate's wires
    (sorted) as the axes of size 2 and the gaps between them merged, so the
    application is a single real contraction with no transposes of the
    state. A real matrix (Hadamard layers, RY, CNOT) acts on both parts
    alike; a complex one as the real block matrix ``[[Re, -Im], [Im, Re]]``.

    The same contraction serves every wire count, gate, layer block,
    superoperator (on ``2n`` wires) and fused block. Three kernels stay
    specialised, each for a reason: the trajectory scan (one ``lax.switch``
    branch per wire pair, applied to a complex ``(4, 2**(n-2))`` view because
    the quantum jump that follows needs that matrix form), the ansatz scan
    (a gather/scatter index map per slot, so the loop body is one program
    whatever the wires) and the product-state path (2-vectors, no state to
    contract).
    """
    u = _sorted_matrix(matrix, wires, 2)
    _, shape, sub_in, sub_out, out_idx, in_idx = _block_view(sorted(wires), n, 2, False)
    t = psi.reshape([2] + shape)
    gate = "".join(out_idx + in_idx)
    if jnp.isrealobj(u):
        spec = f"{gate},r{''.join(sub_in)}->r{''.join(sub_out)}"
        out = jnp.einsum(spec, u.astype(psi.dtype), t)
    else:
        re, im = u.real.astype(psi.dtype), u.imag.astype(psi.dtype)
        block = jnp.stack([jnp.stack([re, -im]), jnp.stack([im, re])])
        spec = f"Rr{gate},r{''.join(sub_in)}->R{''.join(sub_out)}"
        out = jnp.einsum(spec, block, t)
    return out.reshape(2, 2**n)


def apply_transfer(c: jnp.ndarray, transfer: jnp.ndarray, wires: tuple[int, ...],
                   n: int) -> jnp.ndarray:
    """Apply a ``(4**k, 4**k)`` Pauli transfer matrix to qubits ``wires`` of Pauli
    coefficients ``(1, 4**n)`` (see :mod:`qinspired.circuits._pauli_basis`).

    The contraction of :func:`apply_matrix` on base-4 digits, with one
    difference: each run of adjacent target qubits is one axis, so the
    product runs over as few axes as possible (a block on the first or last
    qubits is a plain matrix product). The state is real, so there is no
    pair axis.
    """
    m = _sorted_matrix(transfer, wires, 4)
    runs, shape, sub_in, sub_out, out_idx, in_idx = _block_view(sorted(wires), n, 4, True)
    m = m.reshape(tuple(4 ** len(r) for r in runs) * 2)
    spec = f"{''.join(out_idx + in_idx)},{''.join(sub_in)}->{''.join(sub_out)}"
    return jnp.einsum(spec, m.astype(c.dtype), c.reshape(shape)).reshape(1, 4**n)


def embed_matrix(m: Any, wires: tuple[int, ...], block: tuple[int, ...]) -> Any:
    """The matrix ``m`` on ``wires`` (in their order), as an operator on the wires ``block``.

    ``wires`` are a subset of ``block``; the result is ``(2**len(block),) * 2``
    with ``block[0]`` the most significant bit. NumPy in, NumPy out (for the
    complex128 conversion code); anything else is computed with jax.numpy.
    """
    wires, block = tuple(wires), tuple(block)
    if wires == block:
        return m
    xp = np if isinstance(m, np.ndarray) else jnp
    k, rest = len(block), [w for w in block if w not in wires]
    full = xp.kron(m, xp.eye(2 ** len(rest), dtype=m.dtype)).reshape((2,) * (2 * k))
    order = list(wires) + rest
    perm = [order.index(w) for w in block]
    return full.transpose(perm + [k + p for p in perm]).reshape(2**k, 2**k)


# --------------------------------------------------------------------------- sines and cosines


def _split_half_pi() -> tuple[np.float32, np.float32, np.float32]:
    """pi/2 as three float32 parts; the first two have 12 significant bits, so ``q * part``
    is exact in float32 for integers ``|q| < 2**12``."""
    parts, rest = [], np.pi / 2
    for _ in range(2):
        exponent = np.floor(np.log2(rest))
        unit = 2.0 ** (exponent - 11)
        parts.append(np.float32(np.floor(rest / unit) * unit))
        rest -= float(parts[-1])
    parts.append(np.float32(rest))
    return tuple(parts)


_HALF_PI_PARTS = _split_half_pi()
_REDUCED_BOUND = np.float32(np.pi / 2)
_SIN_TAYLOR = tuple(np.float32((-1) ** k / math.factorial(2 * k + 1)) for k in range(5))
_COS_TAYLOR = tuple(np.float32((-1) ** k / math.factorial(2 * k)) for k in range(6))


def _horner(coefficients: tuple, y: jnp.ndarray) -> jnp.ndarray:
    out = coefficients[-1]
    for c in coefficients[-2::-1]:
        out = out * y + c
    return out


def sincos(x: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
    """``(cos(x), sin(x))`` elementwise, in the dtype of ``x``.

    XLA on CPU evaluates float32 ``cos`` and ``sin`` one element at a time.
    Here ``x`` is reduced by multiples of pi/2 (three-part Cody-Waite) and
    Taylor polynomials of degree 9 and 10 are evaluated on ``[-pi/4, pi/4]``
    (truncation error below 2e-9), which XLA vectorises: about 6x faster, and
    within 1e-7 of the exact cosine and sine of the float32 ``x`` for
    ``|x| <= 10**6``. Beyond that (where a float32 angle is already uncertain
    by 0.06 rad or more) the pair stays on the unit circle but drifts from the
    cosine and sine of ``x``. NaN and infinities give NaN, as ``jnp.cos``
    does. Other dtypes use ``jnp.cos`` and ``jnp.sin``.
    """
    if x.dtype != jnp.float32:
        return jnp.cos(x), jnp.sin(x)
    q = jnp.round(x * np.float32(2 / np.pi))
    r = x
    for part in _HALF_PI_PARTS:
        r = r - q * part
    # Rounding in x * 2/pi can leave r slightly outside [-pi/4, pi/4], where the
    # polynomials are still exact to float32; for |x| > 1e6 the clip keeps the pair on
    # the unit circle.
    r = jnp.clip(r, -_REDUCED_BOUND, _REDUCED_BOUND)
    y = r * r
    sin_r = r * _horner(_SIN_TAYLOR, y)
    cos_r = _horner(_COS_TAYLOR, y)
    quadrant = q.astype(jnp.int32) & 3
    odd = (quadrant & 1) == 1
    sin_x = jnp.where(odd, cos_r, sin_r)
    cos_x = jnp.where(odd, sin_r, cos_r)
    sin_x = jnp.where(quadrant >= 2, -sin_x, sin_x)
    cos_x = jnp.where((quadrant == 1) | (quadrant == 2), -cos_x, cos_x)
    return cos_x, sin_x


# --------------------------------------------------------------------------- fused diagonal runs


def _bits(index: np.ndarray, wire: int, width: int) -> np.ndarray:
    """Bit of ``wire`` (0 = most significant of ``width``) in each index."""
    return (index >> (width - 1 - wire)) & 1


@lru_cache(maxsize=64)
def _split_tables(step: DiagStep, n: int):
    r"""Constant tables that give a diagonal run's phase as small matrix products.

    Split the wires into high ``H = 0..h-1`` and low ``L = h..n-1`` (``h =
    n // 2``), so that the phase is a ``(2**h, 2**l)`` matrix. Tables over
    high wires only add up to a vector over ``H``. Any other table is
    expanded over the monomials of its high bits (Moebius inversion),
    :math:`t(b_H, b_L) = \sum_{S} \prod_{i \in S} b_i \, c_S(b_L)`, so the
    whole phase is

    .. math::

        \Phi = \phi_H \mathbf{1}^T + F\,G, \qquad
        G = \theta \cdot A + B,

    with ``F`` the ``(2**h, M)`` 0/1 matrix of the ``M`` monomials that occur
    (1 and the single high bits for pair interactions). For the all-pairs ZZ
    map ``M = h + 1``: the phase costs about ``n`` multiply-adds per
    amplitude instead of one per angle, and no table of size
    ``angles x 2**n`` is ever formed.
    """
    h, low = n // 2, n - n // 2
    high_idx, low_idx = np.arange(2**h), np.arange(2**low)
    pids = sorted({p for _, group_pids, _, _ in step.groups for p in group_pids})
    col = {p: i for i, p in enumerate(pids)}
    a_high, b_high = np.zeros((len(pids), 2**h)), np.zeros(2**h)
    a_mono: dict[tuple[int, ...], np.ndarray] = {(): np.zeros((len(pids), 2**low))}
    b_mono: dict[tuple[int, ...], np.ndarray] = {(): np.zeros(2**low)}
    for wires, group_pids, a, b in step.groups:
        m = len(wires)
        rows = [col[p] for p in group_pids]
        hw = [q for q in wires if q < h]
        if len(hw) == m:
            idx = sum(_bits(high_idx, q, h) << (m - 1 - j) for j, q in enumerate(wires))
            b_high += b[idx]
            np.add.at(a_high, rows, a[:, idx])
            continue
        low_part = sum(_bits(low_idx, q - h, low) << (m - 1 - j)
                       for j, q in enumerate(wires) if q >= h)
        pos = [m - 1 - wires.index(q) for q in hw]
        for subset in range(2 ** len(hw)):
            coef_a, coef_b = np.zeros((len(rows), 2**low)), np.zeros(2**low)
            sub = subset
            while True:
                high_part = sum(1 << pos[i] for i in range(len(hw)) if sub >> i & 1)
                sign = -1.0 if (bin(subset).count("1") - bin(sub).count("1")) % 2 else 1.0
                coef_a += sign * a[:, high_part | low_part]
                coef_b += sign * b[high_part | low_part]
                if sub == 0:
                    break
                sub = (sub - 1) & subset
            key = tuple(hw[i] for i in range(len(hw)) if subset >> i & 1)
            if key not in a_mono:
                a_mono[key], b_mono[key] = np.zeros((len(pids), 2**low)), np.zeros(2**low)
            np.add.at(a_mono[key], rows, coef_a)
            b_mono[key] += coef_b
    keys = list(a_mono)
    f = np.stack(
        [np.prod([_bits(high_idx, q, h) for q in key], axis=0) if key else np.ones(2**h)
         for key in keys],
        axis=1,
    )
    a_all = np.stack([a_mono[k] for k in keys], axis=1)
    b_all = np.stack([b_mono[k] for k in keys])
    return np.asarray(pids, dtype=np.int32), a_high, b_high, f, a_all, b_all


def diag_phase(step: DiagStep, theta: jnp.ndarray, n: int, dtype) -> jnp.ndarray:
    """The flat ``(2**n,)`` phase vector of a fused diagonal run (see :func:`_split_tables`)."""
    pids, a_high, b_high, f, a_all, b_all = _split_tables(step, n)
    th = theta[pids].astype(dtype)
    g = jnp.einsum("p,pml->ml", th, jnp.asarray(a_all, dtype)) + jnp.asarray(b_all, dtype)
    high = th @ jnp.asarray(a_high, dtype) + jnp.asarray(b_high, dtype)
    return (high[:, None] + jnp.asarray(f, dtype) @ g).reshape(2**n)




# --------------------------------------------------------------------------- planned steps


def evolve(state: jnp.ndarray, steps: Sequence[Any], theta: jnp.ndarray,
           matrices: Sequence[Any], n: int, density: bool) -> jnp.ndarray:
    r"""Apply planned steps (:func:`~qinspired.circuits._engine.plan.plan`) to a pair-form
    statevector ``(2, 2**n)`` or, with ``density``, density matrix ``(2, 4**n)``
    (gates also act, conjugated, on the column wires ``n..2n-1``).

    A diagonal run is one elementwise phase (for a density matrix
    :math:`e^{i(\varphi_i - \varphi_j)}`, from :math:`2^n` sines and cosines),
    a single-qubit layer a few Kronecker blocks, any other gate its matrix.
    """
    cdtype, rdtype = complex_dtype(), real_dtype()
    width = 2 * n if density else n
    for step in steps:
        if isinstance(step, DiagStep):
            phase = diag_phase(step, theta, n, rdtype)
            c, s = sincos(phase)
            if density:
                c, s = (
                    (jnp.outer(c, c) + jnp.outer(s, s)).reshape(-1),
                    (jnp.outer(s, c) - jnp.outer(c, s)).reshape(-1),
                )
            # (re, im) -> (re c - im s, im c + re s), written as one elementwise expression
            # (with the pair axis reversed) so XLA fuses it with the phase: stacking the two
            # parts made a separate pass, 3x slower at 12 qubits.
            sign = jnp.asarray([-1.0, 1.0], rdtype)[:, None]
            state = state * c + state[::-1] * sign * s
            continue
        if isinstance(step, LayerStep):
            ops = []
            for block in step.blocks:
                kron = step_matrix(block[0], theta, matrices, cdtype)
                for s in block[1:]:
                    kron = jnp.kron(kron, step_matrix(s, theta, matrices, cdtype))
                ops.append((kron, tuple(s.op.wires[0] for s in block)))
        else:
            ops = [(step_matrix(step, theta, matrices, cdtype), step.op.wires)]
        for m, wires in ops:
            state = apply_matrix(state, m, wires, width)
            if density:
                state = apply_matrix(state, jnp.conj(m), tuple(q + n for q in wires), width)
    return state
