"""Turn a circuit into a short list of simulation steps.

The noiseless simulators do not apply a circuit gate by gate when its
structure allows better:

* a run of diagonal gates, including diagonal gates conjugated by CNOT
  ladders (the ``CX - P - CX`` blocks of the ZZ and Pauli feature maps),
  becomes one phase vector, assembled from small per-wire-group tables;
* a run of single-qubit gates on distinct wires (a Hadamard or rotation
  layer) becomes a few dense Kronecker-product blocks, each applied in one
  pass over the state instead of one pass per qubit.

Planning happens once per circuit structure, in Python, before tracing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from qinspired.circuits.circuit import Operation
from qinspired.circuits.gates import GATES

__all__ = ["BlockStep", "DiagStep", "GateStep", "LayerStep", "block_plan", "plan"]

# Largest number of wires a fused diagonal table may span.
_MAX_DIAG_SUPPORT = 10
# Single-qubit layers are applied in blocks of at most this many wires.
_LAYER_BLOCK = 4


@dataclass(frozen=True)
class GateStep:
    """Apply one gate by its matrix."""

    op: Operation
    param_ids: tuple[int, ...]


@dataclass(frozen=True)
class LayerStep:
    """Apply single-qubit gates on distinct wires, in Kronecker blocks."""

    blocks: tuple[tuple[GateStep, ...], ...]


@dataclass(frozen=True, eq=False)
class DiagStep:
    """Multiply by ``exp(1j * phase)``, the phase a sum of small tables.

    ``groups`` holds ``(wires, param_ids, a, b)``: over the listed (sorted)
    wires the phase is ``theta[param_ids] @ a + b``.
    """

    groups: tuple[tuple[tuple[int, ...], tuple[int, ...], np.ndarray, np.ndarray], ...]


def _parity(v: int) -> int:
    return bin(v).count("1") & 1


def _diag_table(op: Operation, rows: list[int], n_qubits: int):
    """Phase table of ``op`` whose wire bits are the parities ``rows``."""
    a, b = GATES[op.name].phase_linear
    sign = -1.0 if op.adjoint else 1.0
    support = sorted({q for r in rows for q in range(n_qubits) if r >> q & 1})
    m, k = len(support), len(rows)
    local = np.zeros(2**m, dtype=np.int64)
    for u in range(2**m):
        mask = sum(1 << q for j, q in enumerate(support) if u >> (m - 1 - j) & 1)
        local[u] = sum(_parity(r & mask) << (k - 1 - j) for j, r in enumerate(rows))
    return tuple(support), sign * a[:, local], sign * b[local]


def _diag_run(ops: list[Operation], ids: list[tuple[int, ...]], n_qubits: int):
    """Fuse a run of diagonal gates and CNOTs; return (step, n_consumed)."""
    identity = [1 << q for q in range(n_qubits)]
    rows = list(identity)
    terms, n_terms_done, consumed = [], 0, 0
    for pos, op in enumerate(ops):
        if op.name == "cx":
            c, t = op.wires
            rows[t] ^= rows[c]
        else:
            terms.append((op, ids[pos], [rows[w] for w in op.wires]))
        if rows == identity:
            consumed, n_terms_done = pos + 1, len(terms)
    groups: dict[tuple[int, ...], list] = {}
    for op, pids, op_rows in terms[:n_terms_done]:
        if sum(bin(r).count("1") for r in op_rows) > 2 * _MAX_DIAG_SUPPORT:
            return None, 0
        support, a, b = _diag_table(op, op_rows, n_qubits)
        if len(support) > _MAX_DIAG_SUPPORT:
            return None, 0
        entry = groups.setdefault(support, [[], [], np.zeros_like(b)])
        for p, angle in enumerate(op.params):
            if angle.is_constant:
                entry[2] = entry[2] + angle.constant_value * a[p]
            else:
                entry[0].append(pids[p])
                entry[1].append(a[p])
        entry[2] = entry[2] + b
    fused = tuple(
        (wires, tuple(p), np.asarray(rows_a).reshape(len(p), bsum.shape[0]), bsum)
        for wires, (p, rows_a, bsum) in groups.items()
    )
    return (DiagStep(fused) if fused else None), consumed


def _plan_ops(ops, ids, n_qubits, allow_cx):
    steps: list = []
    i = 0
    while i < len(ops):
        op = ops[i]
        fusable = op.is_diagonal or (allow_cx and op.name == "cx")
        if fusable:
            j = i
            while j < len(ops) and (
                ops[j].is_diagonal or (allow_cx and ops[j].name == "cx")
            ):
                j += 1
            step, consumed = _diag_run(ops[i:j], ids[i:j], n_qubits)
            if step is not None:
                steps.append(step)
            rest_ops, rest_ids = ops[i + consumed : j], ids[i + consumed : j]
            if rest_ops and allow_cx:
                steps.extend(_plan_ops(rest_ops, rest_ids, n_qubits, allow_cx=False))
            elif rest_ops:
                steps.extend(GateStep(o, p) for o, p in zip(rest_ops, rest_ids))
            i = j
        elif len(op.wires) == 1 and op.name != "unitary":
            j, seen = i, set()
            while (
                j < len(ops)
                and len(ops[j].wires) == 1
                and ops[j].name != "unitary"
                and not ops[j].is_diagonal
                and ops[j].wires[0] not in seen
            ):
                seen.add(ops[j].wires[0])
                j += 1
            layer = sorted(
                (GateStep(o, p) for o, p in zip(ops[i:j], ids[i:j])), key=lambda s: s.op.wires
            )
            blocks = tuple(
                tuple(layer[k : k + _LAYER_BLOCK]) for k in range(0, len(layer), _LAYER_BLOCK)
            )
            steps.append(LayerStep(blocks))
            i = j
        else:
            steps.append(GateStep(op, ids[i]))
            i += 1
    return steps


def param_ids(operations: tuple[Operation, ...]) -> list[tuple[int, ...]]:
    """Global angle indices of each operation's parameters, in order."""
    out, k = [], 0
    for op in operations:
        out.append(tuple(range(k, k + len(op.params))))
        k += len(op.params)
    return out


@functools.lru_cache(maxsize=256)
def plan(operations: tuple[Operation, ...], n_qubits: int, fuse: bool) -> tuple:
    """The simulation steps for a circuit structure.

    With ``fuse=False`` every operation is its own :class:`GateStep`, which
    is the gate-by-gate reference the fused plan is tested against.
    """
    ids = param_ids(operations)
    if not fuse:
        return tuple(GateStep(op, p) for op, p in zip(operations, ids))
    return tuple(_plan_ops(list(operations), ids, n_qubits, allow_cx=True))


@dataclass(frozen=True)
class BlockStep:
    """Apply ``gates`` in order as one matrix on ``wires``, the wires of the first gate."""

    wires: tuple[int, ...]
    gates: tuple[GateStep, ...]


def block_plan(operations: tuple[Operation, ...]) -> tuple[BlockStep, ...]:
    """The MPS simulator's plan: each multi-qubit gate with the gates after it on its wires.

    A gate whose wires lie within the open block's joins it; any other gate
    closes the block and opens its own (a single-qubit gate outside a block
    is a block by itself). The MPS simulator routes each block once and
    splits it with one SVD per bond, so the ``CX - P - CX`` blocks of the ZZ
    map cost one two-qubit update instead of three.
    """
    blocks: list[BlockStep] = []
    wires: tuple[int, ...] = ()
    gates: list[GateStep] = []
    for op, ids in zip(operations, param_ids(operations)):
        if gates and set(op.wires) <= set(wires):
            gates.append(GateStep(op, ids))
            continue
        if gates:
            blocks.append(BlockStep(wires, tuple(gates)))
        wires, gates = op.wires, [GateStep(op, ids)]
        if len(op.wires) == 1:
            blocks.append(BlockStep(wires, tuple(gates)))
            gates = []
    if gates:
        blocks.append(BlockStep(wires, tuple(gates)))
    return tuple(blocks)
