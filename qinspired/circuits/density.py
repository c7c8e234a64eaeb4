r"""Noisy circuits: exact density matrices.

:func:`density_matrix` evolves :math:`\rho \mapsto U\rho U^\dagger` through
each gate and :math:`\rho \mapsto \sum_k K_k \rho K_k^\dagger` through each
noise channel, exactly, at :math:`4^n` numbers per state.
(:func:`~qinspired.circuits.trajectory.trajectories` samples pure states
whose mean outer product converges to the same :math:`\rho`, at :math:`2^n`
numbers per trajectory.)

Inside the simulation :math:`\rho` is a state of :math:`2n` wires, ``0..n-1``
indexing its rows and ``n..2n-1`` its columns. Since
:math:`\mathrm{vec}(U\rho U^\dagger) = (U \otimes \bar U)\,\mathrm{vec}(\rho)`,
a gate on wires :math:`W` is :math:`U` on the row wires :math:`W` and
:math:`\bar U` on the column wires :math:`W + n`, and a channel is its
superoperator :math:`S = \sum_k K_k \otimes \bar K_k` on :math:`(W, W + n)`:
one pass over :math:`\rho` whatever the number of Kraus operators. Both use
the engine's contraction (:func:`~qinspired.circuits._engine.ops.
apply_matrix`) on real/imaginary pairs, so real gates and real
channels (depolarizing, damping) cost real arithmetic only.

Gates between noise channels are planned as the statevector simulator plans
a circuit (:func:`qinspired.circuits._engine.plan.plan`): a diagonal run with phases
:math:`\varphi` is the elementwise product :math:`\rho_{ij}\,
e^{i(\varphi_i - \varphi_j)}`, a single-qubit layer a few Kronecker blocks;
without noise the whole circuit is one such run. A gate on at most two wires
with the channels after it, and the neighbouring gates on the same wires,
become one :math:`16 \times 16` superoperator (one pass instead of one per
gate and channel).

When noise follows most gates the simulation runs in the Pauli basis
instead: the state is the :math:`4^n` real coefficients
:math:`c_P = \mathrm{Tr}(P\rho)` and every gate and channel its real Pauli
transfer matrix :math:`R_{PQ} = 2^{-k}\,\mathrm{Tr}(P\,\mathcal{E}(Q))`.
Each gate with its channels joins a block of at most two qubits, whose
:math:`16 \times 16` real matrix costs a quarter of the arithmetic of the
complex superoperator on half the memory; :math:`\rho` is assembled from the
coefficients at the end, one qubit at a time. The basis with fewer
operations is chosen per circuit (``density_matrix(basis="auto")``).

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

from qinspired._validation import check_memory, format_count, is_traced
from qinspired.circuits._checks import PROB_ATOL, check_density_matrix, check_finite_result
from qinspired.circuits._engine.ops import (
    WORKSPACE_FACTOR,
    angles,
    apply_matrix,
    apply_transfer,
    batch_inputs,
    cast_matrices,
    complex_dtype,
    evolve,
    initial_pair,
    real_dtype,
    real_flags,
    step_matrix,
)
from qinspired.circuits._engine.plan import (
    DiagStep,
    LayerStep,
    pauli_schedule,
    resolve_noise,
    schedule,
)
from qinspired.circuits._pauli_basis import from_pauli, pauli_transfer, to_pauli
from qinspired.circuits.observables import ObservableLike, as_pauli_sum
from qinspired.circuits.statevector import as_circuit

__all__ = ["density_expectation", "density_matrix"]

# `density_matrix(basis=...)` -> the `pauli` flag of `_run_density` (None: cheaper one).
_BASES = {"auto": None, "pauli": True, "computational": False}
# On a CPU a batch is simulated in chunks of states that stay in cache across the
# whole circuit: on the 2-core development CPU (2 MiB L2 per core, 32 MiB L3), 4 MiB
# chunks made the noisy ZZ map 1.3x faster at n = 8 and 1.7x at n = 9 and 10 than
# one vectorised pass over a batch of 100 (no change below n = 7).
_CPU_CHUNK_BYTES = 4 * 2**20


# --------------------------------------------------------------------------- structure


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
            m = step_matrix(unit[1], theta, matrices, complex_dtype())
            sup, rows = jnp.kron(m, jnp.conj(m)), list(unit[1].op.wires)
        else:
            sup, rows = sups[unit[1]], list(unit[2])
        total = _compose_left(sup, rows + [k + r for r in rows], total)
    return total


def _pair_cost(items: tuple, real_flags: tuple) -> int:
    """Multiply-adds per density-matrix entry of a
    :func:`~qinspired.circuits._engine.plan.schedule` (real pair form)."""
    cost = 0
    for item in items:
        if item[0] == "plan":
            for step in item[1]:
                if isinstance(step, DiagStep):
                    cost += 6
                elif isinstance(step, LayerStep):
                    cost += sum(8 * 2 ** len(block) for block in step.blocks)
                else:
                    cost += 8 * 2 ** len(step.op.wires)
        elif item[0] == "channel":
            cost += 4 ** len(item[2]) * (2 if real_flags[item[1]] else 4)
        else:
            cost += 4 * 4 ** len(item[1])
    return cost


def _use_pauli(operations: tuple, n: int, layout: tuple, real_flags: tuple) -> bool:
    """Whether the Pauli-basis simulation costs fewer operations than the pair form.

    In the Pauli basis the state and every superoperator are real, so a
    noisy two-qubit block costs :math:`4^2` real multiply-adds per entry
    instead of four times as many; noiseless diagonal runs, which the pair
    form applies as one elementwise phase, become a block per gate.
    """
    if not layout:
        return False
    pauli_items = pauli_schedule(operations, n, layout)[0]
    pauli_cost = sum(4 ** len(item[1]) for item in pauli_items) + 8 * n
    return pauli_cost < _pair_cost(schedule(operations, n, layout, True, True)[0], real_flags)


def _block_transfer(k, units, theta, matrices, transfers):
    """The :math:`4^k \\times 4^k` Pauli transfer matrix of a block: the product of
    its gates' and channels' transfer matrices (``transfers``: one per channel
    slot), each on its positions among the block's ``k`` qubits. Real products
    of small matrices; the parts that do not depend on the data are computed
    once for the whole batch.
    """
    total = jnp.eye(4**k, dtype=real_dtype())
    for unit in units:
        if unit[0] == "gate":
            m = step_matrix(unit[1], theta, matrices, complex_dtype())
            wires = unit[1].op.wires
            r = pauli_transfer(jnp.kron(m, jnp.conj(m))[None], len(wires))[0]
        else:
            r, wires = transfers[unit[1]], unit[2]
        total = _compose_left(r, [d for q in wires for d in (2 * q, 2 * q + 1)], total)
    return total


def _simulate_density(circuit, x, w, rho0, channels, layout, fuse, real_flags, pauli):
    """The density matrix of one data point (the unbatched core)."""
    n = circuit.n_qubits
    theta = angles(circuit, x, w)
    sups = [_superoperator(ch, real) for ch, real in zip(channels, real_flags)]
    if pauli:
        items, groups = pauli_schedule(circuit.operations, n, layout)
        transfers = [pauli_transfer(sup[None], (sup.shape[0].bit_length() - 1) // 2)[0]
                     for sup in sups]
        build = partial(_block_transfer, matrices=circuit.matrices, transfers=transfers)
    else:
        items, groups = schedule(circuit.operations, n, layout, fuse, fuse)
        build = partial(_block_superoperator, matrices=circuit.matrices, sups=sups)
    block_sups = [
        jax.vmap(partial(build, k, units))(
            theta[np.asarray(members, dtype=np.int32).reshape(len(members), -1)]
        )
        for (k, units), members in groups
    ]
    if pauli:
        state = to_pauli(rho0, n)
        for _, wires, gid, member in items:
            state = apply_transfer(state, block_sups[gid][member], wires, n)
        return from_pauli(state, n)
    state = initial_pair(rho0, 4**n)
    for item in items:
        if item[0] == "plan":
            _, steps, lo, hi = item
            state = evolve(state, steps, theta[lo:hi], circuit.matrices, n, density=True)
            continue
        if item[0] == "block":
            wires = item[1]
            sup = block_sups[item[2]][item[3]]
        else:
            wires = item[2]
            sup = sups[item[1]]
        state = apply_matrix(state, sup, wires + tuple(q + n for q in wires), 2 * n)
    return jax.lax.complex(state[0], state[1]).reshape(2**n, 2**n)


@partial(jax.jit, static_argnames=("layout", "fuse", "real_flags", "x_batched", "w_batched",
                                   "rho_batched", "pauli"))
def _run_density(circuit, x, w, rho0, channels, *, layout, fuse, real_flags, x_batched,
                 w_batched, rho_batched, pauli=None):
    """Jitted, batched :func:`_simulate_density`; ``pauli=None`` picks the cheaper basis
    (the pair form, gate by gate, when not ``fuse``)."""
    if pauli is None:
        pauli = fuse and _use_pauli(circuit.operations, circuit.n_qubits, layout, real_flags)
    fn = partial(_simulate_density, circuit, channels=channels, layout=layout, fuse=fuse,
                 real_flags=real_flags, pauli=pauli)
    flags = (x_batched, w_batched, rho_batched)
    if not any(flags):
        return fn(x, w, rho0)
    args = (x, w, rho0)
    batched = tuple(a for a, f in zip(args, flags) if f)

    def one(rows):
        it = iter(rows)
        return fn(*(next(it) if f else a for a, f in zip(args, flags)))

    size = batched[0].shape[0]
    state_bytes = 4**circuit.n_qubits * real_dtype().itemsize * (1 if pauli else 2)
    chunk = _cpu_chunk(size, state_bytes)
    if chunk < size:
        return jax.lax.map(one, batched, batch_size=chunk)
    return jax.vmap(one)(batched)


def _cpu_chunk(size: int, state_bytes: int) -> int:
    """States simulated together on a CPU: as many as fit in ``_CPU_CHUNK_BYTES``,
    split evenly; the whole batch on other devices."""
    if jax.default_backend() != "cpu":
        return size
    per = max(1, _CPU_CHUNK_BYTES // state_bytes)
    if per >= size:
        return size
    n_chunks = -(-size // per)
    return -(-size // n_chunks)


# --------------------------------------------------------------------------- inputs


def _prepare_density(rho0: Any, n: int) -> tuple[Any, tuple[int, ...]]:
    """Validate an initial density matrix of shape ``(..., 2**n, 2**n)``."""
    if rho0 is None:
        return None, ()
    dim = 2**n
    if not is_traced(rho0):
        arr = np.asarray(rho0)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
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
    check_density_matrix(rho0, "initial_state")
    return rho0, tuple(rho0.shape[:-2])


# --------------------------------------------------------------------------- public API


def density_matrix(
    circuit: Any,
    x: Any = None,
    weights: Any = None,
    *,
    noise: Any = None,
    initial_state: Any = None,
    fuse: bool = True,
    basis: str = "auto",
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
        Start from this density matrix (Hermitian, trace 1, positive
        semidefinite; checked when concrete) instead of
        :math:`|0\dots0\rangle\langle 0\dots0|`.
    fuse : bool, default True
        Fuse diagonal runs and single-qubit layers between noise channels.
        ``False`` applies the gates one by one in the computational basis;
        both give the same result.
    basis : {"auto", "pauli", "computational"}, default "auto"
        The representation the simulation runs in. ``"computational"``
        evolves the matrix entries :math:`\rho_{ij}`; ``"pauli"`` evolves
        the real coefficients :math:`\mathrm{Tr}(P\rho)` of the Pauli
        strings, where every gate and channel is a real Pauli transfer
        matrix and a noisy two-qubit block costs a quarter of the
        arithmetic. ``"auto"`` takes the one with fewer operations for
        this circuit and noise (Pauli when noise follows most gates, the
        computational basis when long noiseless runs can be fused). All
        give the same result up to rounding.

    Returns
    -------
    jax.Array, shape (..., 2**n_qubits, 2**n_qubits)
        Density matrices, complex64 (complex128 with JAX's x64 mode). The
        batch shape is the broadcast of those of ``x``, ``weights`` and
        ``initial_state``. Wire 0 is the most significant bit of both indices.

    Raises
    ------
    ValueError
        For invalid inputs or channels, an ``initial_state`` that is not a
        density matrix, a simulation that does not fit in memory
        (:class:`~qinspired.SimulationTooLargeError`), or finite data whose
        simulation overflowed (the result is checked once per call; inside
        ``jit``, ``vmap`` or ``grad`` it cannot be, and an overflow gives NaN).

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
    out = _density_matrix(circuit, x, weights, noise, initial_state, fuse, basis)
    return check_finite_result(out, (x, weights, initial_state),
                               "density_matrix: the density-matrix entries")


def _density_matrix(circuit: Any, x: Any, weights: Any, noise: Any, initial_state: Any,
                    fuse: bool, basis: str) -> jax.Array:
    """:func:`density_matrix` without the check of its result (for callers that check
    a whole chunked computation once, without a host synchronisation per chunk)."""
    if basis not in _BASES:
        raise ValueError(f"basis must be one of {sorted(_BASES)}, got {basis!r}")
    circ = as_circuit(circuit)
    n = circ.n_qubits
    rho0, rb = _prepare_density(initial_state, n)
    batch, (xf, wf, rf), (xb, wb, rbat) = batch_inputs(circ, x, weights, rho0, rb,
                                                        (2**n, 2**n))
    n_states = int(np.prod(batch, dtype=np.int64)) if batch else 1
    check_memory(
        WORKSPACE_FACTOR * n_states * 4**n * complex_dtype().itemsize,
        f"density-matrix simulation of {n} qubits (4**{n} = {format_count(4**n)} entries per "
        f"state) for {n_states} state(s)",
    )
    channels, layout = resolve_noise(circ, noise)
    out = _run_density(cast_matrices(circ), xf, wf, rf, channels, layout=layout,
                       fuse=bool(fuse), real_flags=real_flags(channels), x_batched=xb,
                       w_batched=wb, rho_batched=rbat, pauli=_BASES[basis])
    return out.reshape(batch + (2**n, 2**n))


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
        Density matrices: Hermitian, trace 1 (within 1e-3, as for sampling)
        and positive semidefinite, checked when concrete (see
        :func:`~qinspired.circuits._checks.check_density_matrix`).
    observable : PauliSum or str
        For example ``pauli("Z0 Z1") - 0.5 * pauli("X2")`` or ``"Z0"``.

    Returns
    -------
    jax.Array, shape (...)
        Real expectation values; differentiable.

    Raises
    ------
    ValueError
        For a wrong shape, or a concrete ``rho`` that is not a density matrix.
    """
    rho = jnp.asarray(rho)
    dim = rho.shape[-1] if rho.ndim >= 2 else 0
    n = int(dim).bit_length() - 1
    if rho.ndim < 2 or dim < 2 or 2**n != dim or rho.shape[-2] != dim:
        raise ValueError(f"rho must have shape (..., 2**n, 2**n), got {rho.shape}")
    check_density_matrix(rho, "density_expectation: rho", herm_atol=1e-4, trace_atol=PROB_ATOL)
    if not jnp.iscomplexobj(rho):  # the Pauli phases below are complex
        rho = rho.astype(complex_dtype())
    obs = as_pauli_sum(observable)
    if obs.max_wire >= n:
        raise ValueError(f"observable acts on wire {obs.max_wire}; the state has {n} qubits")
    total = jnp.zeros(rho.shape[:-2], dtype=jnp.real(rho).dtype)
    for c, ops in obs.terms:
        partner, coef = _pauli_trace_table(ops, n)
        entries = rho[..., partner, np.arange(dim)]
        total = total + c * jnp.real(jnp.sum(jnp.asarray(coef, rho.dtype) * entries, axis=-1))
    return total
