r"""Statevectors of two-qubit-gate circuits as one ``lax.scan`` over pair steps.

The statevector engine unrolls every gate it cannot fuse into a phase vector
or a single-qubit layer, so a circuit of many non-diagonal two-qubit gates
(Trotter steps of ``rxx``, ``ryy``, ``rzz``; CNOT entanglers) becomes a long
XLA program that compiles for seconds to tens of seconds. Here such a
circuit becomes *pair steps*: each step is one :math:`4 \times 4` matrix on a
pair of wires, the product of consecutive gates on those wires (single-qubit
gates wait for the next step that touches their wire: they commute with the
gates in between). The step matrices of a batch are computed first; the
state is then evolved by one ``lax.scan`` whose body has one branch per
distinct wire pair, so compile time grows with the number of pairs, not with
the circuit's length. The kernels' state computation
(:mod:`qinspired.kernels._states`) routes such circuits here; the noisy
trajectory simulator has its own pair scan (:func:`~qinspired.circuits.
_engine.plan.scan_table`), whose steps also carry a quantum jump.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from qinspired.circuits._engine.ops import (
    angles,
    complex_dtype,
    embed_matrix,
    operation_matrix,
)
from qinspired.circuits._engine.plan import GateStep, param_ids, plan
from qinspired.circuits.circuit import Circuit, Operation

__all__ = ["pair_steps", "scan_statevectors", "use_pair_scan"]

# Gates exp(-i theta P / 2) for a Pauli string P, built as cos I - i sin P.
_ROTATIONS = {"rx": "X", "ry": "Y", "rz": "Z", "rxx": "XX", "ryy": "YY", "rzz": "ZZ"}
_PAULIS = {"X": np.array([[0, 1], [1, 0]], complex), "Y": np.array([[0, -1j], [1j, 0]]),
           "Z": np.diag([1.0, -1.0]).astype(complex)}


@functools.lru_cache(maxsize=128)
def pair_steps(operations: tuple[Operation, ...], n: int
               ) -> tuple[tuple[tuple[int, int], tuple[GateStep, ...]], ...]:
    """The circuit as ``((a, b), gates)`` steps, ``a < b``, gates in order of application.

    Needs ``n >= 2`` and no gate on more than two wires.
    """
    steps: list[tuple[tuple[int, int], list[GateStep]]] = []
    last: dict[int, int] = {}
    pending: dict[int, list[GateStep]] = {}
    for op, pids in zip(operations, param_ids(operations)):
        gate = GateStep(op, pids)
        if len(op.wires) == 1:
            pending.setdefault(op.wires[0], []).append(gate)
            continue
        pair = tuple(sorted(op.wires))
        s = last.get(pair[0])
        if s is None or s != last.get(pair[1]) or steps[s][0] != pair:
            s = len(steps)
            steps.append((pair, []))
        for q in pair:
            steps[s][1].extend(pending.pop(q, []))
            last[q] = s
        steps[s][1].append(gate)
    for q, gates in pending.items():
        if q in last:  # nothing after that step touches q
            steps[last[q]][1].extend(gates)
        else:
            steps.append((tuple(sorted((q, q + 1 if q + 1 < n else q - 1))), gates))
    return tuple((pair, tuple(gates)) for pair, gates in steps)


def use_pair_scan(circuit: Circuit, weights: object) -> bool:
    """Whether :func:`scan_statevectors` should simulate ``circuit``: gates on at most two
    wires, one shared weight vector, and a non-diagonal multi-qubit gate left unfused by
    the engine's plan (circuits of diagonal runs and layers compile fast there)."""
    n, ops = circuit.n_qubits, circuit.operations
    if n < 2 or any(len(op.wires) > 2 for op in ops) or np.ndim(weights) > 1:
        return False
    return any(isinstance(s, GateStep) and len(s.op.wires) == 2 for s in plan(ops, n, True))


@functools.lru_cache(maxsize=128)
def _program(operations: tuple[Operation, ...], n: int):
    """Pairs, the branch of each step, and the steps grouped by their gate sequence.

    Steps whose gates have the same names, adjoints, matrices and positions in
    their pair have the same matrix as a function of their angles, so each
    group is traced once and vectorised over its steps. Returns ``(pairs,
    branch_of, groups, order)``: ``groups`` holds ``(template, angle_ids)``
    (the first step of the group and an ``(n_members, n_angles)`` index into
    the circuit's angle vector), ``order`` puts the stacked group outputs back
    in step order.
    """
    steps = pair_steps(operations, n)
    pairs = tuple(dict.fromkeys(pair for pair, _ in steps))
    branch_of = np.asarray([pairs.index(pair) for pair, _ in steps], np.int32)
    members: dict[tuple, list[int]] = {}
    for s, (pair, gates) in enumerate(steps):
        key = tuple((g.op.name, g.op.adjoint, g.op.matrix_index,
                     tuple(pair.index(q) for q in g.op.wires)) for g in gates)
        members.setdefault(key, []).append(s)
    groups = tuple((steps[idx[0]], np.asarray([[p for g in steps[s][1] for p in g.param_ids]
                                               for s in idx], np.int32).reshape(len(idx), -1))
                   for idx in members.values())
    order = np.argsort(np.concatenate([np.asarray(idx) for idx in members.values()]))
    return pairs, branch_of, groups, order


def _gate_factor(g: GateStep, pair: tuple[int, int], theta: jax.Array,
                 matrices: tuple) -> jax.Array:
    """One gate's ``4 x 4`` matrix on ``pair``: a Pauli rotation as ``cos I - i sin P``,
    any other gate by its registered matrix."""
    cdtype, op = complex_dtype(), g.op
    if op.name in _ROTATIONS:
        letters = [_PAULIS[c] for c in _ROTATIONS[op.name]]
        pauli = embed_matrix(functools.reduce(np.kron, letters), op.wires, pair)
        half = -theta[0] / 2 if op.adjoint else theta[0] / 2
        return (jnp.cos(half) * jnp.eye(4, dtype=cdtype)
                - 1j * jnp.sin(half) * jnp.asarray(pauli, cdtype))
    m = operation_matrix(op, theta, matrices, cdtype).astype(cdtype)
    return embed_matrix(m, op.wires, pair)


def _matmul4(a: jax.Array, b: jax.Array) -> jax.Array:
    """``a @ b`` of ``4 x 4`` matrices as a broadcast product and sum (XLA fuses it; a
    batch of tiny ``dot_general`` calls is slower on CPU)."""
    return jnp.sum(a[:, :, None] * b[None, :, :], axis=1)


def _step_matrix(circuit: Circuit, template: tuple, own: jax.Array) -> jax.Array:
    """The ``4 x 4`` matrix of the gates of ``template`` for their angles ``own``."""
    pair, gates = template
    m, k = None, 0
    for g in gates:
        factor = _gate_factor(g, pair, own[k:k + len(g.param_ids)], circuit.matrices)
        k += len(g.param_ids)
        m = factor if m is None else _matmul4(factor, m)
    return m


def _step_matrices(circuit: Circuit, x: jax.Array, w: jax.Array) -> jax.Array:
    """``(n_steps, 4, 4)`` matrices of one data point."""
    _, _, groups, order = _program(circuit.operations, circuit.n_qubits)
    theta = angles(circuit, x, w)
    parts = [jax.vmap(lambda own, t=template: _step_matrix(circuit, t, own))(theta[ids])
             for template, ids in groups]
    return jnp.concatenate(parts)[order]


def _branch(n: int, a: int, b: int):
    """Apply a batch of ``4 x 4`` matrices ``(rows, 4, 4)`` to wires ``a < b``."""
    dims = (2**a, 2 ** (b - a - 1), 2 ** (n - b - 1))

    def apply(psi: jax.Array, m: jax.Array) -> jax.Array:
        rows = psi.shape[0]
        t = psi.reshape(rows, dims[0], 2, dims[1], 2, dims[2]).transpose(0, 1, 3, 5, 2, 4)
        g = m.reshape(rows, 1, 2, 1, 2, 1, 2, 2)
        out = jnp.sum(g * t.reshape(rows, dims[0], 1, dims[1], 1, dims[2], 2, 2), axis=(6, 7))
        return out.reshape(rows, 2**n)

    return apply


@jax.jit
def scan_statevectors(circuit: Circuit, X: jax.Array, w: jax.Array) -> jax.Array:
    """Amplitudes ``(N, 2**n)`` of every row of ``X`` (weights ``w`` shared by all rows)."""
    n = circuit.n_qubits
    pairs, branch_of, _, _ = _program(circuit.operations, n)
    mats = jax.vmap(lambda x: _step_matrices(circuit, x, w))(X)
    branches = [_branch(n, a, b) for a, b in pairs]
    psi0 = jnp.zeros((X.shape[0], 2**n), complex_dtype()).at[:, 0].set(1)

    def body(psi: jax.Array, step: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, None]:
        index, m = step
        return jax.lax.switch(index, branches, psi, m), None

    psi, _ = jax.lax.scan(body, psi0, (jnp.asarray(branch_of), jnp.swapaxes(mats, 0, 1)))
    return psi
