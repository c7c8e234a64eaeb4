"""Exact statevector simulation.

``statevector(circuit, x, weights)`` is a jitted pure function of the data
and the weights, vectorised over batches with ``jax.vmap``. Structure is
exploited before brute force (see :mod:`qinspired.circuits._plan`): diagonal
layers are one phase-vector multiply and single-qubit layers are applied in
Kronecker blocks. ``fuse=False`` applies the same circuit gate by gate.
Inside the simulation the state is kept as a real array of shape
``(2, 2**n)`` (real and imaginary parts), so real gates such as Hadamard
layers cost real arithmetic only; the result is returned as complex.

Qubit order: wire 0 is the most significant bit of the amplitude index.
"""

from __future__ import annotations

from functools import lru_cache, partial
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._validation import as_float_array, check_memory, is_traced
from qinspired.circuits._plan import DiagStep, GateStep, LayerStep, plan
from qinspired.circuits.circuit import Circuit
from qinspired.circuits.gates import GATES

__all__ = [
    "as_circuit",
    "complex_dtype",
    "real_dtype",
    "statevector",
    "statevector_fn",
    "unitary",
]

# Peak working memory of a simulation in units of one batch of states.
_WORKSPACE_FACTOR = 3


def real_dtype() -> np.dtype:
    """float32, or float64 when JAX's x64 mode is enabled."""
    return np.dtype(jax.dtypes.canonicalize_dtype(np.float64))


def complex_dtype() -> np.dtype:
    """complex64, or complex128 when JAX's x64 mode is enabled."""
    return np.dtype(jax.dtypes.canonicalize_dtype(np.complex128))


def as_circuit(obj: Any) -> Circuit:
    """Return the :class:`Circuit` behind ``obj`` (a circuit or a feature map)."""
    if isinstance(obj, Circuit):
        return obj
    circuit = getattr(obj, "circuit", None)
    if isinstance(circuit, Circuit):
        return circuit
    hint = ""
    if callable(getattr(obj, "states", None)):
        hint = f"; {type(obj).__name__} computes its states directly with `.states(X)`"
    raise TypeError(
        f"expected a Circuit or an object with a `.circuit` attribute, "
        f"got {type(obj).__name__}{hint}"
    )


def _angle_tables(circuit: Circuit):
    angles = [a for op in circuit.operations for a in op.params]
    width = max((len(a.factors) for a in angles), default=0)
    n_x = circuit.n_features
    idx = np.zeros((len(angles), width), dtype=np.int32)
    coef = np.zeros((len(angles), width))
    shift = np.ones((len(angles), width))
    for i, a in enumerate(angles):
        for j, f in enumerate(a.factors):
            idx[i, j] = f.index if f.source == "x" else n_x + f.index
            coef[i, j], shift[i, j] = f.coef, f.shift
    scale = np.array([a.scale for a in angles])
    offset = np.array([a.offset for a in angles])
    return idx, coef, shift, scale, offset


def _angles(circuit: Circuit, x: jnp.ndarray, w: jnp.ndarray) -> jnp.ndarray:
    """Every angle of the circuit, in operation order, as one vector."""
    idx, coef, shift, scale, offset = _angle_tables(circuit)
    dtype = real_dtype()
    if idx.shape[0] == 0:
        return jnp.zeros((0,), dtype)
    values = jnp.concatenate([x.astype(dtype), w.astype(dtype), jnp.zeros((1,), dtype)])
    factors = shift.astype(dtype) + coef.astype(dtype) * values[idx]
    return offset.astype(dtype) + scale.astype(dtype) * jnp.prod(factors, axis=1)


def _apply(psi: jnp.ndarray, matrix: jnp.ndarray, wires: tuple[int, ...], n: int) -> jnp.ndarray:
    """Apply a ``(2**k, 2**k)`` matrix to ``wires`` of a state in pair form.

    The state is real, of shape ``(2, 2**n)`` (real and imaginary parts).
    It is viewed as ``(2, 2**g0, 2, 2**g1, 2, ...)`` with the gate's wires
    (sorted) as the axes of size 2 and the gaps between them merged, so the
    application is a single real contraction with no transposes of the
    state. A real matrix (Hadamard layers, RY, CNOT) acts on both parts
    alike; a complex one as the real block matrix ``[[Re, -Im], [Im, Re]]``.
    """
    k = len(wires)
    order = sorted(wires)
    if list(wires) != order:
        perm = [wires.index(w) for w in order]
        matrix = matrix.reshape((2,) * (2 * k)).transpose(perm + [k + p for p in perm])
    u = matrix.reshape((2,) * (2 * k))
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ")
    out_idx = [next(letters) for _ in range(k)]
    in_idx = [next(letters) for _ in range(k)]
    shape, sub_in, sub_out, prev = [2], ["r"], ["R"], -1
    for j, w in enumerate(order):
        gap = w - prev - 1
        if gap:
            g = next(letters)
            shape.append(2**gap)
            sub_in.append(g)
            sub_out.append(g)
        shape.append(2)
        sub_in.append(in_idx[j])
        sub_out.append(out_idx[j])
        prev = w
    if n - prev - 1:
        g = next(letters)
        shape.append(2 ** (n - prev - 1))
        sub_in.append(g)
        sub_out.append(g)
    t = psi.reshape(shape)
    gate = "".join(out_idx + in_idx)
    if jnp.isrealobj(u):
        spec = f"{gate},{''.join(sub_in)}->{''.join(['r'] + sub_out[1:])}"
        out = jnp.einsum(spec, u.astype(psi.dtype), t)
    else:
        re, im = u.real.astype(psi.dtype), u.imag.astype(psi.dtype)
        block = jnp.stack([jnp.stack([re, -im]), jnp.stack([im, re])])
        spec = f"Rr{gate},{''.join(sub_in)}->{''.join(sub_out)}"
        out = jnp.einsum(spec, block, t)
    return out.reshape(2, 2**n)


def _gate_matrix(step: GateStep, theta: jnp.ndarray, matrices, dtype) -> jnp.ndarray:
    """The gate's matrix; real-valued (in the real dtype) for real gates."""
    op = step.op
    if op.name == "unitary":
        m = jnp.asarray(matrices[op.matrix_index], dtype=dtype)
    else:
        spec = GATES[op.name]
        m = spec.matrix(theta[np.asarray(step.param_ids, dtype=np.int32)], dtype)
        if spec.real:
            m = m.real
    return m.conj().T if op.adjoint else m


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


def _diag_phase(step: DiagStep, theta: jnp.ndarray, n: int, dtype) -> jnp.ndarray:
    """The flat ``(2**n,)`` phase vector of a fused diagonal run (see :func:`_split_tables`)."""
    pids, a_high, b_high, f, a_all, b_all = _split_tables(step, n)
    th = theta[pids].astype(dtype)
    g = jnp.einsum("p,pml->ml", th, jnp.asarray(a_all, dtype)) + jnp.asarray(b_all, dtype)
    high = th @ jnp.asarray(a_high, dtype) + jnp.asarray(b_high, dtype)
    return (high[:, None] + jnp.asarray(f, dtype) @ g).reshape(2**n)


def _simulate(
    circuit: Circuit,
    x: jnp.ndarray,
    w: jnp.ndarray,
    psi0: jnp.ndarray | None,
    fuse: bool,
) -> jnp.ndarray:
    """The state ``U(x, w)|psi0>`` for one data point and one weight vector."""
    n = circuit.n_qubits
    cdtype, rdtype = complex_dtype(), real_dtype()
    theta = _angles(circuit, x, w)
    if psi0 is None:
        psi = jnp.zeros((2, 2**n), rdtype).at[0, 0].set(1.0)
    else:
        flat = psi0.reshape(2**n)
        psi = jnp.stack([jnp.real(flat), jnp.imag(flat)]).astype(rdtype)
    for step in plan(circuit.operations, n, fuse):
        if isinstance(step, DiagStep):
            phase = _diag_phase(step, theta, n, rdtype)
            c, s = jnp.cos(phase), jnp.sin(phase)
            psi = jnp.stack([psi[0] * c - psi[1] * s, psi[0] * s + psi[1] * c])
        elif isinstance(step, LayerStep):
            for block in step.blocks:
                mats = [_gate_matrix(s, theta, circuit.matrices, cdtype) for s in block]
                kron = mats[0]
                for m in mats[1:]:
                    kron = jnp.kron(kron, m)
                psi = _apply(psi, kron, tuple(s.op.wires[0] for s in block), n)
        else:
            psi = _apply(psi, _gate_matrix(step, theta, circuit.matrices, cdtype), step.op.wires, n)
    return jax.lax.complex(psi[0], psi[1])


@partial(jax.jit, static_argnames=("fuse", "x_batched", "w_batched", "psi_batched"))
def _run(circuit, x, w, psi0, *, fuse, x_batched, w_batched, psi_batched):
    fn = partial(_simulate, circuit, fuse=fuse)
    axes = (0 if x_batched else None, 0 if w_batched else None, 0 if psi_batched else None)
    if any(a is not None for a in axes):
        return jax.vmap(fn, in_axes=axes)(x, w, psi0)
    return fn(x, w, psi0)


def _prepare(values: Any, size: int, name: str, what: str) -> tuple[Any, tuple[int, ...]]:
    """Validate a data or weight array whose last axis has length ``size``."""
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


def _prepare_state(psi0: Any, n: int) -> tuple[Any, tuple[int, ...]]:
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


def _batch_inputs(circ: Circuit, x, weights, state, sb, state_tail):
    """Broadcast batch shapes and flatten the batched inputs to one axis."""
    xv, xb = _prepare(x, circ.n_features, "x", "features")
    wv, wb = _prepare(weights, circ.n_weights, "weights", "weights")
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


def statevector(
    circuit: Any,
    x: Any = None,
    weights: Any = None,
    *,
    initial_state: Any = None,
    fuse: bool = True,
) -> jax.Array:
    r"""Simulate a circuit exactly and return its state.

    Parameters
    ----------
    circuit : Circuit or feature map
        The circuit (anything with a ``.circuit`` attribute is accepted).
    x : array_like, shape (..., n_features), optional
        Data; required when the circuit reads features.
    weights : array_like, shape (..., n_weights), optional
        Trainable weights; required when the circuit reads weights.
    initial_state : array_like, shape (..., 2**n_qubits), optional
        Start from this state instead of :math:`|0\dots0\rangle`.
    fuse : bool, default True
        Fuse diagonal and single-qubit layers (fast). ``False`` applies the
        gates one by one; both give the same state.

    Returns
    -------
    jax.Array, shape (..., 2**n_qubits)
        Amplitudes, complex64 (complex128 with JAX's x64 mode). The leading
        batch shape is the broadcast of the batch shapes of ``x``,
        ``weights`` and ``initial_state``. Wire 0 is the most significant
        bit of the index.

    Raises
    ------
    ValueError
        For NaN/inf data, a wrong number of features or weights, or a
        simulation that does not fit in device memory
        (:class:`~qinspired._validation.SimulationTooLargeError`).

    Notes
    -----
    The function is jitted once per circuit structure and batch layout;
    calling it again with new data of the same shapes does not retrace. It is
    differentiable with :func:`jax.grad` in ``x`` and ``weights``.

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.circuits import Circuit, feature, statevector
    >>> c = Circuit(1, [("ry", 0, feature(0))])
    >>> psi = statevector(c, [np.pi / 2])  # complex64 unless x64 is on
    >>> np.round(np.asarray(psi, dtype=complex).real, 4).tolist()
    [0.7071, 0.7071]
    """
    circ = as_circuit(circuit)
    n = circ.n_qubits
    psi0, pb = _prepare_state(initial_state, n)
    batch, (xf, wf, psi_flat), (xb, wb, psb) = _batch_inputs(circ, x, weights, psi0, pb, (2**n,))
    n_states = int(np.prod(batch, dtype=np.int64)) if batch else 1
    check_memory(
        _WORKSPACE_FACTOR * n_states * 2**n * complex_dtype().itemsize,
        f"statevector simulation of {n} qubits for {n_states} state(s)",
    )
    if circ.matrices:
        cdtype = complex_dtype()
        circ = jax.tree_util.tree_map(lambda m: np.asarray(m, dtype=cdtype), circ)
    out = _run(circ, xf, wf, psi_flat, fuse=fuse, x_batched=xb, w_batched=wb, psi_batched=psb)
    return out.reshape(batch + (2**n,))


def statevector_fn(circuit: Any, *, fuse: bool = True) -> Callable[[Any, Any], jax.Array]:
    """A jitted pure function ``(x, weights) -> state`` for one data point.

    It does no input validation, so it composes freely with ``jax.vmap``,
    ``jax.grad`` and ``jax.jit``. Use :func:`statevector` for checked, batched
    calls.
    """
    circ = as_circuit(circuit)

    def fn(x: Any = None, weights: Any = None) -> jax.Array:
        xv = jnp.zeros((0,), real_dtype()) if x is None else jnp.asarray(x)
        wv = jnp.zeros((0,), real_dtype()) if weights is None else jnp.asarray(weights)
        return _run(circ, xv, wv, None, fuse=fuse, x_batched=False, w_batched=False,
                    psi_batched=False)

    return fn


def unitary(circuit: Any, x: Any = None, weights: Any = None) -> np.ndarray:
    """The circuit's full ``(2**n, 2**n)`` unitary for one data point, as NumPy.

    Column ``j`` is the state the circuit makes from basis state ``j``.
    """
    circ = as_circuit(circuit)
    dim = 2**circ.n_qubits
    basis = np.eye(dim, dtype=complex_dtype())
    xs = None if x is None else np.broadcast_to(np.asarray(x, float), (dim, circ.n_features))
    ws = None if weights is None else np.broadcast_to(
        np.asarray(weights, float), (dim, circ.n_weights)
    )
    return np.asarray(statevector(circ, xs, ws, initial_state=basis)).T
