r"""Noisy circuits: exact density matrices and quantum trajectories.

:func:`density_matrix` evolves :math:`\rho \mapsto U\rho U^\dagger` through
each gate and :math:`\rho \mapsto \sum_k K_k \rho K_k^\dagger` through each
noise channel, exactly, at :math:`4^n` numbers per state. :func:`trajectories`
samples pure states whose mean outer product converges to the same
:math:`\rho`, at :math:`2^n` numbers per trajectory.

Inside the simulation :math:`\rho` is a state of :math:`2n` wires, ``0..n-1``
indexing its rows and ``n..2n-1`` its columns. Since
:math:`\mathrm{vec}(U\rho U^\dagger) = (U \otimes \bar U)\,\mathrm{vec}(\rho)`,
a gate on wires :math:`W` is :math:`U` on the row wires :math:`W` and
:math:`\bar U` on the column wires :math:`W + n`, and a channel is its
superoperator :math:`S = \sum_k K_k \otimes \bar K_k` on :math:`(W, W + n)`:
one pass over :math:`\rho` whatever the number of Kraus operators. Both use
the statevector simulator's contraction (:func:`~qinspired.circuits.
statevector._apply`) on real/imaginary pairs, so real gates and real
channels (depolarizing, damping) cost real arithmetic only.

Gates between noise channels are planned as the statevector simulator plans
a circuit (:func:`qinspired.circuits._plan.plan`): a diagonal run with phases
:math:`\varphi` is the elementwise product :math:`\rho_{ij}\,
e^{i(\varphi_i - \varphi_j)}`, a single-qubit layer a few Kronecker blocks;
without noise the whole circuit is one such run. A gate on at most two wires
with the channels after it, and the neighbouring gates on the same wires,
become one :math:`16 \times 16` superoperator (one pass instead of one per
gate and channel).

Noise comes from a :class:`~qinspired.circuits.noise_model.NoiseModel`
(``noise.channels_after(op, position)``, in order). Channel parameters are
traced arguments of the jitted simulation: ``jax.grad`` with respect to a
noise strength works and a new strength does not recompile. Readout errors
act on sampled bits (:mod:`qinspired.circuits.shots`), not on the state.
Wire 0 is the most significant bit of every index.
"""

from __future__ import annotations

from functools import lru_cache, partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._validation import check_int, check_memory, is_traced
from qinspired.circuits._plan import DiagStep, GateStep, LayerStep, param_ids, plan
from qinspired.circuits.circuit import Circuit, Operation
from qinspired.circuits.measure import expectation
from qinspired.circuits.observables import ObservableLike, _as_pauli_sum
from qinspired.circuits.statevector import (
    _angles,
    _apply,
    _diag_phase,
    _batch_inputs,
    _gate_matrix,
    _prepare_state,
    as_circuit,
    complex_dtype,
    real_dtype,
)

__all__ = [
    "density_expectation",
    "density_matrix",
    "trajectories",
    "trajectory_density",
    "trajectory_expectation",
]

# Peak working memory of a simulation in units of one batch of states.
_WORKSPACE_FACTOR = 3


# --------------------------------------------------------------------------- structure


def _resolve_noise(circuit: Circuit, noise: Any) -> tuple[tuple, tuple]:
    """``(channels, layout)``: the distinct channel pytrees (traced arguments, each
    passed once however often it is applied) and the static ``(position, slot,
    wires)`` of every channel application, in order (``slot`` indexes ``channels``).
    """
    if noise is None:
        return (), ()
    if not callable(getattr(noise, "channels_after", None)):
        raise TypeError(
            f"noise must be a NoiseModel (with a `channels_after` method) or None, "
            f"got {type(noise).__name__}"
        )
    slots: dict[int, int] = {}
    channels: list = []
    layout = []
    for pos, op in enumerate(circuit.operations):
        for channel, wires in noise.channels_after(op, pos):
            slot = slots.setdefault(id(channel), len(channels))
            if slot == len(channels):
                channels.append(channel)
            layout.append((pos, slot, tuple(int(q) for q in wires)))
    return tuple(channels), tuple(layout)


def _merge_block(items: list, wires: tuple[int, ...], units: tuple) -> None:
    """Append a gate-and-channels block, or merge it into the latest block sharing a wire.

    Merging is allowed when the two span at most two wires: the blocks in
    between act on other wires and commute with it. Other items are barriers.
    """
    for i in range(len(items) - 1, -1, -1):
        kind, *rest = items[i]
        if kind != "block":
            break
        if set(rest[0]) & set(wires):
            union = rest[0] + tuple(q for q in wires if q not in rest[0])
            if len(union) <= 2:
                items[i] = ("block", union, rest[1] + units)
                return
            break
    items.append(("block", wires, units))


@lru_cache(maxsize=128)
def _schedule(operations: tuple, n: int, layout: tuple, fuse: bool, fold: bool) -> tuple:
    """Cut the circuit at the noise channels into simulation items.

    Items are ``("plan", steps, lo, hi)``, a noiseless run of gates planned as
    usual (its steps read ``theta[lo:hi]``), ``("channel", slot, wires)`` and,
    with ``fold``, ``("block", wires, group, member)``: gates on at most two
    wires with the channels after them, applied as one superoperator. Blocks
    of the same shape (same gates and channels at the same positions in the
    block, e.g. every noisy ``CX - P - CX`` of a ZZ map) form a group, listed
    in the second result with its ``units`` and each member's angle indices;
    a group's superoperators are built in one vectorised computation, so
    compile time grows with the number of shapes, not of blocks.
    """
    after: dict[int, list] = {}
    for pos, slot, wires in layout:
        after.setdefault(pos, []).append((slot, wires))
    ends = sorted(after)
    if not ends or ends[-1] != len(operations) - 1:
        ends.append(len(operations) - 1)
    ids = param_ids(operations)
    offsets = np.cumsum([0] + [len(p) for p in ids])
    items: list = []
    start = 0
    for end in ends:
        apps = tuple(("channel", slot, wires) for slot, wires in after.get(end, ()))
        op = operations[end] if end >= 0 else None
        folded = fold and apps and len(op.wires) <= 2 and all(
            set(unit[2]) <= set(op.wires) for unit in apps
        )
        stop = end if folded else end + 1
        if stop > start:
            items.append(("plan", plan(operations[start:stop], n, fuse),
                          int(offsets[start]), int(offsets[stop])))
        if folded:
            _merge_block(items, op.wires, (("gate", GateStep(op, ids[end])),) + apps)
        else:
            items.extend(apps)
        start = end + 1
    groups: dict[tuple, tuple[int, list]] = {}
    for i, item in enumerate(items):
        if item[0] != "block":
            continue
        wires, units, angle_ids = item[1], [], []
        for unit in item[2]:
            if unit[0] == "gate":
                op, pids = unit[1].op, unit[1].param_ids
                pos = tuple(wires.index(q) for q in op.wires)
                ids_local = tuple(range(len(angle_ids), len(angle_ids) + len(pids)))
                angle_ids.extend(pids)
                step = GateStep(Operation(op.name, pos, (), op.adjoint, op.matrix_index), ids_local)
                units.append(("gate", step))
            else:
                units.append(("channel", unit[1], tuple(wires.index(q) for q in unit[2])))
        gid, members = groups.setdefault((len(wires), tuple(units)), (len(groups), []))
        items[i] = ("block", wires, gid, len(members))
        members.append(tuple(angle_ids))
    return tuple(items), tuple((key, tuple(m)) for key, (_, m) in groups.items())


# --------------------------------------------------------------------------- kernels


def _superoperator(channel, real: bool) -> jnp.ndarray:
    r"""The matrix :math:`S = \sum_m K_m \otimes \bar K_m`; real part only if ``real``."""
    kraus = jnp.asarray(channel.kraus(), complex_dtype())
    d = kraus.shape[-1]
    sup = jnp.einsum("mia,mjb->ijab", kraus, jnp.conj(kraus)).reshape(d * d, d * d)
    return sup.real if real else sup


def _compose_left(sup: jnp.ndarray, positions: list[int], m: jnp.ndarray) -> jnp.ndarray:
    """``sup`` acting on the index bits ``positions`` of the rows of ``m`` (``sup @ m``)."""
    k = len(positions)
    t = m.reshape((2,) * (m.shape[0].bit_length() - 1) + (m.shape[1],))
    t = jnp.tensordot(sup.reshape((2,) * (2 * k)), t, axes=(list(range(k, 2 * k)), positions))
    return jnp.moveaxis(t, list(range(k)), positions).reshape(m.shape)


def _block_superoperator(k, units, theta, matrices, sups):
    r"""The :math:`4^k \times 4^k` product of a block's :math:`U \otimes \bar U` and
    :math:`\sum_m K_m \otimes \bar K_m`, in order, each on its positions among the
    block's ``k`` wires :math:`W` (it acts on the wires :math:`(W, W + n)`).
    """
    total = jnp.eye(4**k, dtype=real_dtype())
    for unit in units:
        if unit[0] == "gate":
            m = _gate_matrix(unit[1], theta, matrices, complex_dtype())
            sup, rows = jnp.kron(m, jnp.conj(m)), list(unit[1].op.wires)
        else:
            sup, rows = sups[unit[1]], list(unit[2])
        total = _compose_left(sup, rows + [k + r for r in rows], total)
    return total


def _evolve(state, steps, theta, matrices, n: int, density: bool):
    """Apply planned steps to a pair-form statevector ``(2, 2**n)`` or, with
    ``density``, density matrix ``(2, 4**n)`` (gates also act, conjugated, on
    the column wires).
    """
    cdtype, rdtype = complex_dtype(), real_dtype()
    width = 2 * n if density else n
    for step in steps:
        if isinstance(step, DiagStep):
            phase = _diag_phase(step, theta, n, rdtype)
            c, s = jnp.cos(phase), jnp.sin(phase)
            if density:  # exp(i(phi_i - phi_j)) from 2**n sines and cosines
                c, s = (
                    (jnp.outer(c, c) + jnp.outer(s, s)).reshape(-1),
                    (jnp.outer(s, c) - jnp.outer(c, s)).reshape(-1),
                )
            state = jnp.stack([state[0] * c - state[1] * s, state[0] * s + state[1] * c])
            continue
        if isinstance(step, LayerStep):
            ops = []
            for block in step.blocks:
                kron = _gate_matrix(block[0], theta, matrices, cdtype)
                for s in block[1:]:
                    kron = jnp.kron(kron, _gate_matrix(s, theta, matrices, cdtype))
                ops.append((kron, tuple(s.op.wires[0] for s in block)))
        else:
            ops = [(_gate_matrix(step, theta, matrices, cdtype), step.op.wires)]
        for m, wires in ops:
            state = _apply(state, m, wires, width)
            if density:
                state = _apply(state, jnp.conj(m), tuple(q + n for q in wires), width)
    return state


def _initial_pair(state0, size: int):
    """The initial state (``|0...0>`` if None) in real pair form ``(2, size)``."""
    if state0 is None:
        return jnp.zeros((2, size), real_dtype()).at[0, 0].set(1.0)
    flat = state0.reshape(size)
    return jnp.stack([jnp.real(flat), jnp.imag(flat)]).astype(real_dtype())


def _simulate_density(circuit, x, w, rho0, channels, layout, fuse, real_flags):
    """The density matrix of one data point (the unbatched core)."""
    n = circuit.n_qubits
    theta = _angles(circuit, x, w)
    sups = [_superoperator(ch, real) for ch, real in zip(channels, real_flags)]
    state = _initial_pair(rho0, 4**n)
    items, groups = _schedule(circuit.operations, n, layout, fuse, fuse)
    block_sups = [
        jax.vmap(partial(_block_superoperator, k, units, matrices=circuit.matrices, sups=sups))(
            theta[np.asarray(members, dtype=np.int32).reshape(len(members), -1)]
        )
        for (k, units), members in groups
    ]
    for item in items:
        if item[0] == "plan":
            _, steps, lo, hi = item
            state = _evolve(state, steps, theta[lo:hi], circuit.matrices, n, density=True)
            continue
        if item[0] == "block":
            wires = item[1]
            sup = block_sups[item[2]][item[3]]
        else:
            wires = item[2]
            sup = sups[item[1]]
        state = _apply(state, sup, wires + tuple(q + n for q in wires), 2 * n)
    return jax.lax.complex(state[0], state[1]).reshape(2**n, 2**n)


def _jump(psi, kraus, wires: tuple[int, ...], n: int, u):
    r"""One quantum jump: pick :math:`K_m` with probability :math:`\|K_m\psi\|^2`.

    With the state as a ``(2**k, 2**(n-k))`` matrix :math:`T` (channel wires
    first), :math:`p_m = \mathrm{Tr}(K_m T T^\dagger K_m^\dagger)`: two passes
    over the state for any number of Kraus operators. The uniform ``u``
    picks the smallest ``m`` with cumulative probability above ``u`` (never a
    branch of probability zero); :math:`K_m T` is renormalised.
    """
    k = len(wires)
    t = jax.lax.complex(psi[0], psi[1]).reshape((2,) * n)
    t = jnp.moveaxis(t, wires, tuple(range(k))).reshape(2**k, -1)
    r = t @ jnp.conj(t).T
    probs = jnp.real(jnp.einsum("mia,ab,mib->m", kraus, r, jnp.conj(kraus)))
    cum = jnp.cumsum(jnp.clip(probs, 0.0))
    idx = jnp.minimum(jnp.sum(cum <= u * cum[-1]), kraus.shape[0] - 1)
    out = kraus[idx] @ t
    norm = jnp.sqrt(jnp.sum(jnp.real(out) ** 2 + jnp.imag(out) ** 2))
    out = out / jnp.maximum(norm, jnp.finfo(norm.dtype).tiny)
    out = jnp.moveaxis(out.reshape((2,) * n), tuple(range(k)), wires).reshape(-1)
    return jnp.stack([jnp.real(out), jnp.imag(out)])


def _simulate_trajectory(circuit, x, w, psi0, channels, key, layout, fuse):
    """One trajectory of one data point (the unbatched core)."""
    n = circuit.n_qubits
    theta = _angles(circuit, x, w)
    psi = _initial_pair(psi0, 2**n)
    uniforms = jax.random.uniform(key, (max(len(layout), 1),), real_dtype())
    kraus = [jnp.asarray(ch.kraus(), complex_dtype()) for ch in channels]
    i = 0
    for item in _schedule(circuit.operations, n, layout, fuse, False)[0]:
        if item[0] == "plan":
            _, steps, lo, hi = item
            psi = _evolve(psi, steps, theta[lo:hi], circuit.matrices, n, density=False)
        else:
            psi = _jump(psi, kraus[item[1]], item[2], n, uniforms[i])
            i += 1
    return jax.lax.complex(psi[0], psi[1])


@partial(jax.jit, static_argnames=("layout", "fuse", "real_flags", "x_batched", "w_batched",
                                   "rho_batched"))
def _run_density(circuit, x, w, rho0, channels, *, layout, fuse, real_flags, x_batched,
                 w_batched, rho_batched):
    fn = partial(_simulate_density, circuit, channels=channels, layout=layout, fuse=fuse,
                 real_flags=real_flags)
    axes = (0 if x_batched else None, 0 if w_batched else None, 0 if rho_batched else None)
    if any(a is not None for a in axes):
        return jax.vmap(fn, in_axes=axes)(x, w, rho0)
    return fn(x, w, rho0)


@partial(jax.jit, static_argnames=("layout", "fuse", "n_states", "n_trajectories",
                                   "x_batched", "w_batched", "psi_batched"))
def _run_trajectories(circuit, x, w, psi0, channels, key, *, layout, fuse, n_states,
                      n_trajectories, x_batched, w_batched, psi_batched):
    def one_state(b, xb, wb, pb):
        keys = jax.random.split(jax.random.fold_in(key, b), n_trajectories)
        fn = partial(_simulate_trajectory, circuit, xb, wb, pb, channels,
                     layout=layout, fuse=fuse)
        return jax.vmap(fn)(keys)

    axes = (0, 0 if x_batched else None, 0 if w_batched else None, 0 if psi_batched else None)
    return jax.vmap(one_state, in_axes=axes)(jnp.arange(n_states), x, w, psi0)


# --------------------------------------------------------------------------- inputs


def _prepare_density(rho0: Any, n: int) -> tuple[Any, tuple[int, ...]]:
    """Validate an initial density matrix of shape ``(..., 2**n, 2**n)``."""
    if rho0 is None:
        return None, ()
    dim = 2**n
    if not is_traced(rho0):
        arr = np.asarray(rho0)
        if not (np.issubdtype(arr.dtype, np.number)):
            raise ValueError(f"initial_state must be numeric, got dtype {arr.dtype}")
        if not np.all(np.isfinite(arr)):
            raise ValueError("initial_state contains NaN or inf")
        rho0 = arr
    if rho0.ndim < 2 or rho0.shape[-2:] != (dim, dim):
        raise ValueError(
            f"initial_state must be a density matrix of shape (..., 2**{n}, 2**{n}) = "
            f"(..., {dim}, {dim}), got shape {np.shape(rho0)}; for a pure state psi pass "
            "np.outer(psi, psi.conj())"
        )
    if not is_traced(rho0):
        herm = np.max(np.abs(rho0 - np.conj(np.swapaxes(rho0, -1, -2))), initial=0.0)
        if herm > 1e-5:
            raise ValueError(f"initial_state is not Hermitian (max |rho - rho^H| = {herm:.3g})")
        trace = np.real(np.trace(rho0, axis1=-2, axis2=-1))
        if not np.allclose(trace, 1.0, atol=1e-4):
            raise ValueError(f"initial_state must have trace 1, got traces {np.ravel(trace)[:3]}")
    return rho0, tuple(rho0.shape[:-2])


def _real_flags(channels: tuple) -> tuple[bool, ...]:
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


def _numpy_circuit(circ: Circuit) -> Circuit:
    if circ.matrices:
        cdtype = complex_dtype()
        circ = jax.tree_util.tree_map(lambda m: np.asarray(m, dtype=cdtype), circ)
    return circ


# --------------------------------------------------------------------------- public API


def density_matrix(
    circuit: Any,
    x: Any = None,
    weights: Any = None,
    *,
    noise: Any = None,
    initial_state: Any = None,
    fuse: bool = True,
) -> jax.Array:
    r"""Simulate a (noisy) circuit exactly and return its density matrix.

    Each gate maps :math:`\rho \mapsto U\rho U^\dagger`, then the channels of
    ``noise`` after it map :math:`\rho \mapsto \sum_k K_k \rho K_k^\dagger`.

    Parameters
    ----------
    circuit : Circuit or feature map
        The circuit (anything with a ``.circuit`` attribute is accepted).
    x : array_like, shape (..., n_features), optional
        Data; required when the circuit reads features.
    weights : array_like, shape (..., n_weights), optional
        Trainable weights; required when the circuit reads weights.
    noise : NoiseModel, optional
        The noise; ``None`` (or a model with nothing for this circuit) gives
        the pure state :math:`|\psi\rangle\langle\psi|`. Readout errors in
        the model are ignored here (they act on sampled bits).
    initial_state : array_like, shape (..., 2**n_qubits, 2**n_qubits), optional
        Start from this density matrix (Hermitian, trace 1) instead of
        :math:`|0\dots0\rangle\langle 0\dots0|`.
    fuse : bool, default True
        Fuse diagonal runs and single-qubit layers between noise channels.
        ``False`` applies the gates one by one; both give the same result.

    Returns
    -------
    jax.Array, shape (..., 2**n_qubits, 2**n_qubits)
        Density matrices, complex64 (complex128 with JAX's x64 mode). The
        batch shape is the broadcast of those of ``x``, ``weights`` and
        ``initial_state``. Wire 0 is the most significant bit of both indices.

    Raises
    ------
    ValueError
        For invalid inputs or channels, or a simulation that does not fit in
        memory (:class:`~qinspired._validation.SimulationTooLargeError`).

    Notes
    -----
    Jitted once per circuit structure, noise layout and batch layout, with
    the channel parameters traced: a new noise strength does not recompile,
    and ``jax.grad`` works in ``x``, ``weights`` and the channel parameters.
    Memory is :math:`4^n` complex numbers per state (reverse-mode gradients
    keep one such array per simulation step).

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.circuits import Circuit
    >>> from qinspired.circuits.noise_model import NoiseModel
    >>> from qinspired.circuits.channels import Depolarizing
    >>> from qinspired.circuits.density import density_expectation, density_matrix
    >>> bell = Circuit(2, [("h", 0), ("cx", (0, 1))])
    >>> np.round(np.asarray(density_matrix(bell)).real, 3)[[0, 3]][:, [0, 3]].tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    >>> noisy = density_matrix(bell, noise=NoiseModel().add_all_qubit(Depolarizing(0.1)))
    >>> round(float(density_expectation(noisy, "Z0 Z1")), 4)  # (1 - p)**2
    0.81
    """
    circ = as_circuit(circuit)
    n = circ.n_qubits
    rho0, rb = _prepare_density(initial_state, n)
    batch, (xf, wf, rf), (xb, wb, rbat) = _batch_inputs(circ, x, weights, rho0, rb,
                                                        (2**n, 2**n))
    n_states = int(np.prod(batch, dtype=np.int64)) if batch else 1
    check_memory(
        _WORKSPACE_FACTOR * n_states * 4**n * complex_dtype().itemsize,
        f"density-matrix simulation of {n} qubits (4**{n} = {4**n} entries per state) "
        f"for {n_states} state(s)",
    )
    channels, layout = _resolve_noise(circ, noise)
    out = _run_density(_numpy_circuit(circ), xf, wf, rf, channels, layout=layout,
                       fuse=bool(fuse), real_flags=_real_flags(channels), x_batched=xb,
                       w_batched=wb, rho_batched=rbat)
    return out.reshape(batch + (2**n, 2**n))


def trajectories(
    circuit: Any,
    x: Any = None,
    weights: Any = None,
    *,
    noise: Any,
    key: jax.Array,
    n_trajectories: int,
    initial_state: Any = None,
    fuse: bool = True,
) -> jax.Array:
    r"""Sample noisy pure-state trajectories (Monte Carlo wave functions).

    Each trajectory evolves a statevector; at each channel with Kraus
    operators :math:`\{K_m\}` it takes branch :math:`m` with probability
    :math:`p_m = \|K_m\psi\|^2` and continues with :math:`K_m\psi/\sqrt{p_m}`,
    so that :math:`\mathbb{E}\,|\psi\rangle\langle\psi| = \rho` of
    :func:`density_matrix`, with errors of order :math:`1/\sqrt{N}` for
    :math:`N` trajectories (:func:`trajectory_density`,
    :func:`trajectory_expectation`).

    Parameters
    ----------
    circuit : Circuit or feature map
        The circuit.
    x, weights : array_like, optional
        Data and weights, batched as in :func:`density_matrix`.
    noise : NoiseModel or None
        The noise (``None`` gives ``n_trajectories`` copies of the pure state).
    key : jax.random key
        Trajectory ``t`` of batch element ``b`` (flattened batch order) draws
        from ``jax.random.split(jax.random.fold_in(key, b), n_trajectories)[t]``:
        the same key gives the same trajectories.
    n_trajectories : int
        Number of trajectories per batch element (>= 1).
    initial_state : array_like, shape (..., 2**n_qubits), optional
        Start from this pure state.
    fuse : bool, default True
        Fuse gate runs between channels, as in :func:`density_matrix`.

    Returns
    -------
    jax.Array, shape (..., n_trajectories, 2**n_qubits)
        Normalised statevectors, complex64 (complex128 with x64).

    Examples
    --------
    >>> import jax
    >>> from qinspired.circuits import Circuit
    >>> from qinspired.circuits.noise_model import NoiseModel
    >>> from qinspired.circuits.channels import AmplitudeDamping
    >>> from qinspired.circuits.density import trajectories, trajectory_expectation
    >>> noise = NoiseModel().add_all_qubit(AmplitudeDamping(0.3))
    >>> psi = trajectories(Circuit(1, [("x", 0)]), noise=noise, key=jax.random.key(0),
    ...                    n_trajectories=1000)
    >>> psi.shape
    (1000, 2)
    >>> mean, se = trajectory_expectation(psi, "Z0")  # exact: 2 * 0.3 - 1 = -0.4
    >>> bool(abs(float(mean) + 0.4) < 5 * float(se))
    True
    """
    circ = as_circuit(circuit)
    n = circ.n_qubits
    n_traj = check_int("trajectories", "n_trajectories", n_trajectories, 1)
    if not (isinstance(key, jax.Array) and (
            jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)
            or (key.dtype == jnp.uint32 and key.shape == (2,)))):
        raise ValueError(
            f"trajectories: key must be a JAX random key (jax.random.key(seed)), got {key!r}"
        )
    psi0, pb = _prepare_state(initial_state, n)
    batch, (xf, wf, pf), (xb, wb, pbat) = _batch_inputs(circ, x, weights, psi0, pb, (2**n,))
    n_states = int(np.prod(batch, dtype=np.int64)) if batch else 1
    check_memory(
        _WORKSPACE_FACTOR * n_states * n_traj * 2**n * complex_dtype().itemsize,
        f"trajectory simulation of {n} qubits for {n_states} state(s) x {n_traj} trajectories",
    )
    channels, layout = _resolve_noise(circ, noise)
    out = _run_trajectories(_numpy_circuit(circ), xf, wf, pf, channels, key, layout=layout,
                            fuse=bool(fuse), n_states=n_states, n_trajectories=n_traj,
                            x_batched=xb, w_batched=wb, psi_batched=pbat)
    return out.reshape(batch + (n_traj, 2**n))


def trajectory_density(states: Any) -> jax.Array:
    r"""Average outer product :math:`\frac1N\sum_t |\psi_t\rangle\langle\psi_t|`.

    Parameters
    ----------
    states : array, shape (..., n_trajectories, 2**n)
        Trajectories from :func:`trajectories`.

    Returns
    -------
    jax.Array, shape (..., 2**n, 2**n)
        The Monte Carlo estimate of the density matrix; each entry has a
        standard error of at most :math:`1/\sqrt{N}` (entries of an outer
        product of unit vectors are bounded by 1 in modulus).
    """
    s = jnp.asarray(states)
    if s.ndim < 2:
        raise ValueError(f"states must have shape (..., n_trajectories, 2**n), got {s.shape}")
    return jnp.einsum("...ti,...tj->...ij", s, jnp.conj(s)) / s.shape[-2]


def trajectory_expectation(states: Any, observable: ObservableLike) -> tuple[jax.Array, jax.Array]:
    r"""Mean and standard error of an observable over the trajectory axis.

    Parameters
    ----------
    states : array, shape (..., n_trajectories, 2**n)
        Trajectories from :func:`trajectories`.
    observable : PauliSum or str
        The observable.

    Returns
    -------
    mean, standard_error : jax.Array, shape (...)
        :math:`\bar o = \frac1N\sum_t \langle\psi_t|O|\psi_t\rangle`, an
        unbiased estimate of :math:`\mathrm{Tr}(\rho O)`, and
        :math:`s/\sqrt N` with :math:`s` the sample standard deviation (NaN
        for a single trajectory).
    """
    s = jnp.asarray(states)
    if s.ndim < 2:
        raise ValueError(f"states must have shape (..., n_trajectories, 2**n), got {s.shape}")
    values = expectation(s, observable)
    n_traj = values.shape[-1]
    mean = jnp.mean(values, axis=-1)
    if n_traj < 2:
        return mean, jnp.full_like(mean, jnp.nan)
    return mean, jnp.std(values, axis=-1, ddof=1) / np.sqrt(n_traj)


@lru_cache(maxsize=256)
def _pauli_trace_table(ops: tuple, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(partner, coef)`` with :math:`P_{i, i \\oplus m}` = ``coef[i]``, ``partner = i ^ m``."""
    idx = np.arange(2**n)
    mask, coef = 0, np.ones(2**n, dtype=complex)
    for w, letter in ops:
        bit = (idx >> (n - 1 - w)) & 1
        if letter in ("X", "Y"):
            mask |= 1 << (n - 1 - w)
        if letter == "Y":  # Y = [[0, -i], [i, 0]]
            coef *= np.where(bit == 0, -1j, 1j)
        elif letter == "Z":
            coef *= np.where(bit == 0, 1.0, -1.0)
    return idx ^ mask, coef


def density_expectation(rho: Any, observable: ObservableLike) -> jax.Array:
    r"""Expectation :math:`\mathrm{Tr}(\rho O)` of a Pauli sum.

    A Pauli string has one non-zero entry per row,
    :math:`P_{i, i \oplus m}`, so each term costs :math:`2^n` operations:
    :math:`\mathrm{Tr}(P\rho) = \sum_i P_{i, i\oplus m}\, \rho_{i\oplus m, i}`.

    Parameters
    ----------
    rho : array, shape (..., 2**n, 2**n)
        Density matrices.
    observable : PauliSum or str
        For example ``pauli("Z0 Z1") - 0.5 * pauli("X2")`` or ``"Z0"``.

    Returns
    -------
    jax.Array, shape (...)
        Real expectation values; differentiable.
    """
    rho = jnp.asarray(rho)
    dim = rho.shape[-1] if rho.ndim >= 2 else 0
    n = int(dim).bit_length() - 1
    if rho.ndim < 2 or dim < 2 or 2**n != dim or rho.shape[-2] != dim:
        raise ValueError(f"rho must have shape (..., 2**n, 2**n), got {rho.shape}")
    obs = _as_pauli_sum(observable)
    if obs.max_wire >= n:
        raise ValueError(f"observable acts on wire {obs.max_wire}; the state has {n} qubits")
    total = jnp.zeros(rho.shape[:-2], dtype=jnp.real(rho).dtype)
    for c, ops in obs.terms:
        partner, coef = _pauli_trace_table(ops, n)
        entries = rho[..., partner, np.arange(dim)]
        total = total + c * jnp.real(jnp.sum(jnp.asarray(coef, rho.dtype) * entries, axis=-1))
    return total
