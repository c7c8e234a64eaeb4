r"""Quantum trajectories: noisy circuits as averages of sampled pure states.

:func:`trajectories` evolves statevectors (:math:`2^n` numbers each) and, at
each noise channel with Kraus operators :math:`\{K_m\}`, jumps to
:math:`K_m\psi/\|K_m\psi\|` with probability :math:`\|K_m\psi\|^2`, so
that the mean outer product converges to the density matrix of
:func:`~qinspired.circuits.density.density_matrix` for qubit counts where
:math:`4^n` numbers do not fit.

Short noisy circuits are simulated as one program, the gates between
channels fused as in the exact simulators. Long ones (at least
``_SCAN_MIN_JUMPS`` channel applications, every gate and channel on at most
two wires) run as a ``lax.scan`` over uniform steps, a gate and a jump on a
pair of wires, with one ``lax.switch`` branch per distinct pair: compile time
grows with the number of wire pairs the circuit uses, not with its length. Both draw the same uniforms from the same key.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._validation import check_int, check_memory
from qinspired.circuits._checks import check_finite_result, check_key
from qinspired.circuits._engine.ops import (
    WORKSPACE_FACTOR,
    angles,
    batch_inputs,
    cast_matrices,
    complex_dtype,
    embed_matrix,
    evolve,
    initial_pair,
    named_matrix,
    prepare_state,
    real_dtype,
)
from qinspired.circuits._engine.plan import param_ids, resolve_noise, scan_table, schedule
from qinspired.circuits.circuit import Circuit
from qinspired.circuits.measure import expectation
from qinspired.circuits.observables import ObservableLike
from qinspired.circuits.statevector import as_circuit

__all__ = ["trajectories", "trajectory_density", "trajectory_expectation"]

# From this many channel applications on, a trajectory runs as a scan over steps.
_SCAN_MIN_JUMPS = 24


# --------------------------------------------------------------------------- unrolled form


def _branch(t, kraus, u):
    r"""Pick :math:`K_m` with probability :math:`\|K_m T\|^2` and return :math:`K_m T`
    renormalised; ``t`` is the state as a ``(2**k, 2**(n-k))`` matrix (channel wires first).

    :math:`p_m = \mathrm{Tr}(K_m T T^\dagger K_m^\dagger)`: two passes over the
    state for any number of Kraus operators. The uniform ``u`` picks the
    smallest ``m`` with cumulative probability above ``u`` (never a branch of
    probability zero, so zero-padded Kraus operators are never taken).
    """
    r = t @ jnp.conj(t).T
    probs = jnp.real(jnp.einsum("mia,ab,mib->m", kraus, r, jnp.conj(kraus)))
    cum = jnp.cumsum(jnp.clip(probs, 0.0))
    idx = jnp.minimum(jnp.sum(cum <= u * cum[-1]), kraus.shape[0] - 1)
    out = kraus[idx] @ t
    norm = jnp.sqrt(jnp.sum(jnp.real(out) ** 2 + jnp.imag(out) ** 2))
    return out / jnp.maximum(norm, jnp.finfo(norm.dtype).tiny)


def _jump(psi, kraus, wires: tuple[int, ...], n: int, u):
    """One quantum jump (:func:`_branch`) of a pair-form state on ``wires``."""
    k = len(wires)
    t = jax.lax.complex(psi[0], psi[1]).reshape((2,) * n)
    t = jnp.moveaxis(t, wires, tuple(range(k))).reshape(2**k, -1)
    out = _branch(t, kraus, u)
    out = jnp.moveaxis(out.reshape((2,) * n), tuple(range(k)), wires).reshape(-1)
    return jnp.stack([jnp.real(out), jnp.imag(out)])


def _simulate_trajectory(circuit, x, w, psi0, channels, key, layout, fuse):
    """One trajectory of one data point (the unbatched core)."""
    n = circuit.n_qubits
    theta = angles(circuit, x, w)
    psi = initial_pair(psi0, 2**n)
    uniforms = jax.random.uniform(key, (max(len(layout), 1),), real_dtype())
    kraus = [jnp.asarray(ch.kraus(), complex_dtype()) for ch in channels]
    i = 0
    for item in schedule(circuit.operations, n, layout, fuse, False)[0]:
        if item[0] == "plan":
            _, steps, lo, hi = item
            psi = evolve(psi, steps, theta[lo:hi], circuit.matrices, n, density=False)
        else:
            psi = _jump(psi, kraus[item[1]], item[2], n, uniforms[i])
            i += 1
    return jax.lax.complex(psi[0], psi[1])


# --------------------------------------------------------------------------- scanned form


def _step_gates(circuit: Circuit, theta, gate_of_step: np.ndarray) -> jnp.ndarray:
    """``(n_steps, 4, 4)`` gate matrices (identity where a step has no gate); the
    matrices of each gate name are computed in one vectorised call."""
    cdtype = complex_dtype()
    out = jnp.tile(jnp.eye(4, dtype=cdtype), (len(gate_of_step), 1, 1))
    groups: dict[tuple, list[int]] = {}
    for s, pos in enumerate(gate_of_step):
        if pos >= 0:
            op = circuit.operations[pos]
            kind = (op.name, op.adjoint, op.matrix_index, len(op.wires))
            groups.setdefault(kind, []).append(s)
    ids = param_ids(circuit.operations)
    for (name, adjoint, matrix_index, k), rows in groups.items():
        if name == "unitary":
            m = jnp.asarray(circuit.matrices[matrix_index], cdtype)[None]
        else:
            width = len(ids[gate_of_step[rows[0]]])
            angle_ids = np.asarray([ids[gate_of_step[s]] for s in rows],
                                   dtype=np.int32).reshape(len(rows), width)
            m = jax.vmap(partial(named_matrix, name, dtype=cdtype))(theta[angle_ids])
        m = m.astype(cdtype)
        if adjoint:
            m = jnp.conj(jnp.swapaxes(m, -1, -2))
        m = jax.vmap(partial(embed_matrix, wires=(0,) if k == 1 else (0, 1), block=(0, 1)))(m)
        out = out.at[np.asarray(rows)].set(jnp.broadcast_to(m, (len(rows), 4, 4)))
    return out


def _step_kraus(channels: tuple, variants: tuple, variant_of_step: np.ndarray) -> jnp.ndarray:
    """``(n_steps, m, 4, 4)`` Kraus operators of each step's jump, zero-padded to the
    largest count ``m``; a step without a channel has the identity alone."""
    cdtype = complex_dtype()
    kraus = [jnp.asarray(ch.kraus(), cdtype) for ch in channels]
    sets = [jnp.eye(4, dtype=cdtype)[None]]
    sets += [jax.vmap(partial(embed_matrix, wires=pos, block=(0, 1)))(kraus[slot])
             for slot, pos in variants]
    m = max(s.shape[0] for s in sets)
    padded = jnp.stack([jnp.pad(s, ((0, m - s.shape[0]), (0, 0), (0, 0))) for s in sets])
    return padded[variant_of_step]


def _pair_step(psi, gate, kraus, u, pair: tuple[int, int], n: int):
    """A gate and a jump on the wire pair ``pair`` of a statevector ``(2**n,)``.

    Not :func:`~qinspired.circuits._engine.ops.apply_matrix`: the jump needs
    the state as a complex ``(4, 2**(n-2))`` matrix with the pair in front,
    so the gate is applied to that same view.
    """
    t = jnp.moveaxis(psi.reshape((2,) * n), pair, (0, 1)).reshape(4, -1)
    out = _branch(gate @ t, kraus, u)
    return jnp.moveaxis(out.reshape((2,) * n), (0, 1), pair).reshape(-1)


def _scan_trajectory(circuit, x, w, psi0, channels, key, table):
    """One trajectory as a ``lax.scan`` over the steps of :func:`scan_table`: the
    program holds one step per distinct wire pair (a ``lax.switch`` branch),
    whatever the length of the circuit."""
    n = circuit.n_qubits
    pairs, pair_of_step, gate_of_step, variants, variant_of_step, uniform_of_step = table
    theta = angles(circuit, x, w)
    uniforms = jax.random.uniform(key, (max(int(uniform_of_step.max()) + 1, 1),), real_dtype())
    xs = (jnp.asarray(pair_of_step), _step_gates(circuit, theta, gate_of_step),
          _step_kraus(channels, variants, variant_of_step),
          uniforms[np.maximum(uniform_of_step, 0)])
    branches = [partial(_pair_step, pair=pair, n=n) for pair in pairs]
    pair0 = initial_pair(psi0, 2**n)

    def step(psi, s):
        branch, gate, kraus, u = s
        return jax.lax.switch(branch, branches, psi, gate, kraus, u), None

    psi, _ = jax.lax.scan(step, jax.lax.complex(pair0[0], pair0[1]), xs)
    return psi


# --------------------------------------------------------------------------- public API


@partial(jax.jit, static_argnames=("layout", "fuse", "n_states", "n_trajectories",
                                   "x_batched", "w_batched", "psi_batched", "scan"))
def _run_trajectories(circuit, x, w, psi0, channels, key, *, layout, fuse, n_states,
                      n_trajectories, x_batched, w_batched, psi_batched, scan):
    def one_state(b, xb, wb, pb):
        keys = jax.random.split(jax.random.fold_in(key, b), n_trajectories)
        if scan:
            table = scan_table(circuit.operations, circuit.n_qubits, layout)
            fn = partial(_scan_trajectory, circuit, xb, wb, pb, channels, table=table)
        else:
            fn = partial(_simulate_trajectory, circuit, xb, wb, pb, channels,
                         layout=layout, fuse=fuse)
        return jax.vmap(fn)(keys)

    axes = (0, 0 if x_batched else None, 0 if w_batched else None, 0 if psi_batched else None)
    return jax.vmap(one_state, in_axes=axes)(jnp.arange(n_states), x, w, psi0)


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
    :func:`~qinspired.circuits.density.density_matrix`, with errors of order :math:`1/\sqrt{N}` for
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
        Fuse gate runs between channels, as in
        :func:`~qinspired.circuits.density.density_matrix`. Circuits with
        many channel applications run as a scan over gate-and-jump steps
        instead (see the module notes); the result is the same.

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
    >>> from qinspired.circuits.trajectory import trajectories, trajectory_expectation
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
    check_key(key, "trajectories")
    psi0, pb = prepare_state(initial_state, n)
    batch, (xf, wf, pf), (xb, wb, pbat) = batch_inputs(circ, x, weights, psi0, pb, (2**n,))
    n_states = int(np.prod(batch, dtype=np.int64)) if batch else 1
    check_memory(
        WORKSPACE_FACTOR * n_states * n_traj * 2**n * complex_dtype().itemsize,
        f"trajectory simulation of {n} qubits for {n_states} state(s) x {n_traj} trajectories",
    )
    channels, layout = resolve_noise(circ, noise)
    scan = len(layout) >= _SCAN_MIN_JUMPS and scan_table(circ.operations, n, layout) is not None
    out = _run_trajectories(cast_matrices(circ), xf, wf, pf, channels, key, layout=layout,
                            fuse=bool(fuse), n_states=n_states, n_trajectories=n_traj,
                            x_batched=xb, w_batched=wb, psi_batched=pbat, scan=scan)
    check_finite_result(out, (x, weights, initial_state), "trajectories: the amplitudes")
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
