r"""Every simulator's planner: a circuit structure becomes a short list of steps.

Planning happens in Python, once per circuit structure (the functions are
cached on the static operation tuple), before tracing; the numerics that
execute a plan live in :mod:`qinspired.circuits._engine.ops`. The fusion
rules differ by simulator, because each simulator's cheapest step differs:

* :func:`plan` (noiseless statevector and density runs). A run of diagonal
  gates, including diagonal gates conjugated by CNOT ladders (the ``CX - P -
  CX`` blocks of the ZZ and Pauli feature maps), becomes one
  :class:`DiagStep`, a phase vector assembled from small per-wire-group
  tables; a run of single-qubit gates on distinct wires (a Hadamard or
  rotation layer) becomes a :class:`LayerStep` of Kronecker blocks of three
  or four wires (:func:`_layer_block`), each applied in one pass over the
  state; any other gate is a :class:`GateStep`. ``fuse=False`` gives one
  :class:`GateStep` per operation, the reference the fused plan is tested
  against.
* :func:`schedule` (density matrices in the computational basis, and, with
  ``fold=False``, trajectories). The circuit is cut at its noise channels
  (:func:`resolve_noise` gives their static layout); each noiseless stretch
  is :func:`plan`-ned. With ``fold``, a gate on at most two wires with the
  channels after it becomes one superoperator block, and a block merges into
  the latest block that shares a wire when the two span at most two wires
  (the blocks between act on other wires, so they commute).
* :func:`pauli_schedule` (density matrices in the Pauli basis). Every gate
  and channel joins a block of at most ``_PAULI_BLOCK_QUBITS`` qubits: a
  unit joins the latest block touching its wires when the union stays small
  enough, otherwise it opens a block; single-qubit units on untouched wires
  wait for the first block that touches them. Real transfer matrices make a
  small block cheap, and there are no diagonal runs to exploit.
* Both schedules number their blocks by shape (:func:`_group_blocks`), so the
  block matrices of one shape are built in one vectorised call.
* :func:`scan_table` (long noisy trajectories). The circuit becomes uniform
  steps, a gate and a jump on a pair of wires, for one ``lax.scan`` whose
  body has one branch per distinct pair: compile time grows with the number
  of pairs, not with the circuit's length.
* :func:`ansatz_slots` (:func:`~qinspired.circuits.ansatz.apply_ansatz`).
  An ansatz becomes two-qubit slots (a wire pair and the weights its
  :math:`4 \times 4` matrix reads) for one ``lax.scan``.
* :func:`block_plan` (:func:`~qinspired.circuits.mps_state`). A multi-qubit
  gate opens a :class:`BlockStep` that takes every following gate acting
  within its wires, so the block is routed once and split with one SVD per
  bond; a single-qubit gate outside a block is a block by itself.
  :func:`mps_scan_plan` turns those blocks into uniform two-site steps (SWAP
  routing, moves of the orthogonality centre, blocks with the single-qubit
  gates before them multiplied in) for one ``lax.scan`` over a stack of
  padded site tensors: compile time does not grow with the circuit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from qinspired.circuits.circuit import Circuit, Operation
from qinspired.circuits.gates import GATES

__all__ = [
    "BLOCK_WEIGHTS",
    "BlockStep",
    "DiagStep",
    "GateStep",
    "GateTable",
    "LayerStep",
    "MPSScan",
    "Slots",
    "ansatz_slots",
    "block_plan",
    "mps_scan_plan",
    "param_ids",
    "pauli_schedule",
    "plan",
    "resolve_noise",
    "scan_table",
    "schedule",
    "tree_pairs",
]

BLOCK_WEIGHTS = 15
"""Weights of one general two-qubit block (:func:`~qinspired.circuits.ansatz.two_qubit_block`)."""

# Largest number of wires a fused diagonal table may span.
_MAX_DIAG_SUPPORT = 10


def _layer_block(n_qubits: int) -> int:
    """Most wires of one Kronecker block of a single-qubit layer.

    Blocks of 3 wires (8 x 8 matrices) cost fewer operations per amplitude than
    blocks of 4, but take more passes over the state: they are faster while a
    batch of states stays in cache, slower once a pass is bound by memory. ZZ
    states, two repetitions, on the 2-core machine: 8.2-9.0 ms against 10.8 ms at
    14 qubits (64 points), 20.5 against 25.1 ms at 18 qubits (8 points), even at
    20, 116-137 against 103-107 ms for one 22-qubit state.
    """
    return 3 if n_qubits <= 20 else 4


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
            size = _layer_block(n_qubits)
            blocks = tuple(tuple(layer[k : k + size]) for k in range(0, len(layer), size))
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


@functools.lru_cache(maxsize=256)
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


@dataclass(frozen=True, eq=False)
class GateTable:
    """Products of gates on ``width`` local wires, one per row, built gate type by gate type.

    ``gates`` holds ``(step, ids)`` per gate type (name, local wires, adjoint,
    matrix): ``step`` reads the local angle indices ``0..p-1`` and ``ids`` is the
    ``(count, p)`` table of the global angles of each of its occurrences, so all
    occurrences come from one vectorised call. Row ``r`` is the product of the
    matrices ``table[r, 0]``, then ``table[r, 1]``, ... in the list "identity,
    then every occurrence of every gate type in order" (``0`` pads with the
    identity; the row length is a power of two, for a pairwise product).
    """

    width: int
    gates: tuple[tuple[GateStep, np.ndarray], ...]
    table: np.ndarray


def _gate_table(rows: list[list[tuple[GateStep, tuple[int, ...]]]], width: int) -> GateTable:
    """A :class:`GateTable` of rows of ``(GateStep, local wires)``, first gate first."""
    types: dict[tuple, tuple[GateStep, list]] = {}
    entries = []
    for row in rows:
        entry = []
        for step, wires in row:
            op = step.op
            key = (op.name, wires, op.adjoint, op.matrix_index)
            if key not in types:
                local = Operation(op.name, wires, (), op.adjoint, op.matrix_index)
                types[key] = (GateStep(local, tuple(range(len(step.param_ids)))), [])
            types[key][1].append(step.param_ids)
            entry.append((key, len(types[key][1]) - 1))
        entries.append(entry)
    offsets, total = {}, 1
    for key, (_, ids) in types.items():
        offsets[key], total = total, total + len(ids)
    length = 1 << max(0, max((len(e) for e in entries), default=1) - 1).bit_length()
    table = np.zeros((len(entries), length), dtype=np.int32)
    for r, entry in enumerate(entries):
        table[r, : len(entry)] = [offsets[key] + i for key, i in entry]
    gates = tuple((step, np.asarray(ids, dtype=np.int32).reshape(len(ids), -1))
                  for step, ids in types.values())
    return GateTable(width, gates, table)


@dataclass(frozen=True, eq=False)
class MPSScan:
    """An MPS simulation as uniform steps on two-site windows, for one ``lax.scan``.

    Step ``i`` acts on sites ``sites[i], sites[i] + 1``: the two-site matrix
    of row ``i`` of ``pairs``, then an SVD split that leaves the orthogonality
    centre on the right site, or, where ``left[i]``, on the left site. A
    move of the centre is a step with the identity (its SVD cuts nothing: the
    rank across the bond is at most the bond's dimension). After the scan,
    site ``q`` applies row ``q`` of ``singles`` (the single-qubit gates after
    the wire's last block) and ``center`` is the orthogonality centre.
    """

    sites: np.ndarray
    left: np.ndarray
    pairs: GateTable
    singles: GateTable
    center: int


@functools.lru_cache(maxsize=256)
def mps_scan_plan(operations: tuple[Operation, ...], n_qubits: int) -> MPSScan | None:
    """The MPS simulator's plan as uniform two-site steps, or None if a block spans more
    than two wires.

    The blocks of :func:`block_plan` in order, each routed as the unrolled
    simulator routes it (a SWAP block per site to bring its upper wire next to
    its lower one, then back), with moves bringing the orthogonality centre
    into the window first (identity steps). A single-qubit gate outside a block waits for the
    next block on its wire and is multiplied into that block's matrix (a
    one-site unitary changes no Schmidt value, so every truncation is the
    same); those left over form the final layer. A block leaves the centre
    on the side of the next block, so a run of SWAPs downwards needs no moves.
    """
    pending: list[list[GateStep]] = [[] for _ in range(n_qubits)]
    swap = [(GateStep(Operation("swap", (0, 1)), ()), (0, 1))]
    windows: list[tuple[int, list]] = []
    for block in block_plan(operations):
        if len(block.wires) == 1:
            pending[block.wires[0]].extend(block.gates)
            continue
        if len(block.wires) > 2:
            return None
        lo, hi = sorted(block.wires)
        windows.extend((site, swap) for site in range(hi - 1, lo, -1))
        units = [(g, (0,)) for g in pending[lo]] + [(g, (1,)) for g in pending[hi]]
        units += [(g, tuple(int(q == hi) for q in g.op.wires)) for g in block.gates]
        pending[lo], pending[hi] = [], []
        windows.append((lo, units))
        windows.extend((site, swap) for site in range(lo + 1, hi))
    steps: list[tuple[int, bool, list]] = []
    center = 0
    for i, (site, units) in enumerate(windows):
        steps.extend((c, False, []) for c in range(center, site))
        steps.extend((c - 1, True, []) for c in range(center, site + 1, -1))
        left = i + 1 < len(windows) and windows[i + 1][0] < site
        steps.append((site, left, units))
        center = site if left else site + 1
    singles = _gate_table([[(g, (0,)) for g in gates] for gates in pending], 1)
    return MPSScan(np.asarray([s[0] for s in steps], dtype=np.int32),
                   np.asarray([s[1] for s in steps], dtype=bool),
                   _gate_table([s[2] for s in steps], 2), singles, center)


# --------------------------------------------------------------------------- noise


def resolve_noise(circuit: Circuit, noise: Any) -> tuple[tuple, tuple]:
    """``(channels, layout)``: the distinct channel pytrees (traced arguments, each
    passed once however often it is applied) and the static ``(position, slot,
    wires)`` of every channel application, in order (``slot`` indexes ``channels``).

    Warns (:class:`~qinspired.circuits.noise_model.UnusedNoiseWarning`) when a
    non-empty noise model has no rule on any wire of the circuit.
    """
    if noise is None:
        return (), ()
    if not callable(getattr(noise, "channels_after", None)):
        raise TypeError(
            f"noise must be a NoiseModel (with a `channels_after` method) or None, "
            f"got {type(noise).__name__}"
        )
    from qinspired.circuits.noise_model import warn_if_unused  # it imports this module

    warn_if_unused(noise, circuit.n_qubits)
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


# Largest block, in qubits, of the Pauli-basis simulation. On CPU (2 cores, n = 8,
# noisy ZZ map) blocks of 3 and 4 qubits ran 1.9x and 12x slower than blocks of 2:
# their transfer matrices cost 4**k operations per coefficient.
_PAULI_BLOCK_QUBITS = 2


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


@functools.lru_cache(maxsize=128)
def schedule(operations: tuple, n: int, layout: tuple, fuse: bool, fold: bool) -> tuple:
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
    return _group_blocks(items)


@functools.lru_cache(maxsize=128)
def pauli_schedule(operations: tuple, n: int, layout: tuple,
                    limit: int = _PAULI_BLOCK_QUBITS) -> tuple:
    """Every gate and channel in blocks of at most ``limit`` qubits, for the Pauli basis.

    Units (a gate with the channels after it when they act on its wires, or
    a lone channel) are taken in circuit order. A unit joins the latest
    block touching any of its wires when the union stays within ``limit``
    (every later block acts on other wires, so it commutes); otherwise it
    opens a block. Single-qubit units on a wire no block has touched yet
    wait and join the first block that does; those left at the end are
    grouped ``limit`` wires at a time. Returns the format of :func:`schedule`.
    """
    after: dict[int, list] = {}
    for pos, slot, wires in layout:
        after.setdefault(pos, []).append(("channel", slot, wires))
    ids = param_ids(operations)
    units: list = []
    for pos, op in enumerate(operations):
        apps = tuple(after.get(pos, ()))
        gate = ("gate", GateStep(op, ids[pos]))
        if all(set(app[2]) <= set(op.wires) for app in apps):
            units.append((op.wires, (gate,) + apps))
        else:
            units.append((op.wires, (gate,)))
            units.extend((app[2], (app,)) for app in apps)
    blocks: list[list] = []
    last: dict[int, int] = {}
    pending: dict[int, list] = {}
    for wires, unit in units:
        touched = [last[q] for q in wires if q in last]
        if len(wires) == 1 and not touched:
            pending.setdefault(wires[0], []).extend(unit)
            continue
        early = tuple(u for q in wires for u in pending.pop(q, ()))
        b = max(touched) if touched else None
        if b is not None and len(set(blocks[b][0]) | set(wires)) <= limit:
            blocks[b][0] = blocks[b][0] + tuple(q for q in wires if q not in blocks[b][0])
            blocks[b][1] = blocks[b][1] + early + unit
        else:
            blocks.append([tuple(wires), early + unit])
            b = len(blocks) - 1
        for q in wires:
            last[q] = b
    rest = sorted(pending)
    for i in range(0, len(rest), limit):
        group = tuple(rest[i : i + limit])
        blocks.append([group, tuple(u for q in group for u in pending[q])])
    return _group_blocks([("block", wires, block_units) for wires, block_units in blocks])


def _group_blocks(items: list) -> tuple:
    """Number the blocks of ``items`` by shape (see :func:`schedule`)."""
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


# --------------------------------------------------------------------------- trajectory scan


@functools.lru_cache(maxsize=128)
def scan_table(operations: tuple, n: int, layout: tuple):
    """The trajectory as uniform steps on wire pairs, or None if it cannot be.

    Every step applies a gate matrix and then a jump, both embedded in two
    qubits ``(a, b)``: a gate with its first channel (when the channel acts
    on the gate's wires), each further channel on its own step. Single-qubit
    gates and channels are paired with wire ``(q + 1) % n``. Returns
    ``(pairs, pair_of_step, gate_of_step, variants, variant_of_step,
    uniform_of_step)``: ``pairs`` are the distinct wire pairs (one branch of
    the step each), ``gate_of_step`` the operation index (-1 for none), ``variants``
    lists ``(slot, positions)`` (a channel and where its wires sit in the
    pair; entry 0 is no channel) and ``uniform_of_step`` indexes the jump's
    uniform (the channel application's position in ``layout``, -1 for none).
    None when ``n < 2`` or a gate or channel spans more than two wires.
    """
    if n < 2 or any(len(op.wires) > 2 for op in operations):
        return None
    if any(len(wires) > 2 for _, _, wires in layout):
        return None

    def pair_of(wires):
        return tuple(wires) if len(wires) == 2 else (wires[0], (wires[0] + 1) % n)

    after: dict[int, list] = {}
    for j, (pos, slot, wires) in enumerate(layout):
        after.setdefault(pos, []).append((j, slot, wires))
    variants: dict[tuple, int] = {None: 0}
    steps = []
    for pos, op in enumerate(operations):
        gate_pair, gate = pair_of(op.wires), pos
        for j, slot, wires in after.get(pos, ()):
            pair = gate_pair if set(wires) <= set(gate_pair) else pair_of(wires)
            if gate >= 0 and pair != gate_pair:
                steps.append((gate_pair, gate, 0, -1))
                gate = -1
            key = (slot, tuple(pair.index(q) for q in wires))
            steps.append((pair, gate, variants.setdefault(key, len(variants)), j))
            gate = -1
        if gate >= 0:
            steps.append((gate_pair, gate, 0, -1))
    pairs = tuple(dict.fromkeys(step[0] for step in steps))
    index = {pair: i for i, pair in enumerate(pairs)}
    table = [np.asarray(col, dtype=np.int32) for col in zip(*steps)]
    pair_of_step = np.asarray([index[step[0]] for step in steps], dtype=np.int32)
    return pairs, pair_of_step, table[1], tuple(variants)[1:], table[2], table[3]


# --------------------------------------------------------------------------- ansatz slots


def tree_pairs(n_qubits: int) -> list[list[tuple[int, int]]]:
    """The pairs of each level of the binary tree on ``n_qubits`` wires (leaves first).

    Examples
    --------
    >>> tree_pairs(5)
    [[(0, 1), (2, 3)], [(1, 3)], [(3, 4)]]
    """
    active, levels = list(range(n_qubits)), []
    while len(active) > 1:
        pairs = [(active[i], active[i + 1]) for i in range(0, len(active) - 1, 2)]
        levels.append(pairs)
        active = [b for _, b in pairs] + (active[-1:] if len(active) % 2 else [])
    return levels


@dataclass(frozen=True)
class Slots:
    """An ansatz as two-qubit slots: wire pairs and, per slot, the weight indices it reads.

    ``kind`` is ``"block"`` (15 weights, :func:`two_qubit_block`) or ``"hea"``
    (``ry, rz`` on the first and the second wire, index ``-1`` for none, and a
    CNOT flag: the slot is ``CX^flag (R_a (x) R_b)`` with ``R = rz ry``).
    """

    pairs: tuple[tuple[int, int], ...]
    kind: str
    index: tuple[tuple[int, ...], ...]
    cx: tuple[int, ...] = ()


@functools.lru_cache(maxsize=128)
def ansatz_slots(name: str, n: int, n_layers: int, first: int) -> Slots:
    """The slots of ansatz ``name`` (``"mps"``, ``"ttn"`` or ``"hardware_efficient"``) on
    ``n >= 2`` wires with ``n_layers`` layers, reading weights from index ``first`` on.

    The hardware-efficient ansatz is regrouped into pairs: each CNOT of a
    layer's chain with the rotations of its wires not yet applied, then the
    last rotation layer on disjoint pairs.
    """
    if name in ("mps", "ttn"):
        levels = [[(q, q + 1) for q in range(n - 1)]] if name == "mps" else tree_pairs(n)
        pairs = [p for _ in range(n_layers) for level in levels for p in level]
        index = [tuple(range(first + BLOCK_WEIGHTS * s, first + BLOCK_WEIGHTS * (s + 1)))
                 for s in range(len(pairs))]
        return Slots(tuple(pairs), "block", tuple(index))

    def rot(layer: int, q: int) -> tuple[int, int]:
        k = first + 2 * (layer * n + q)
        return (k, k + 1)

    none = (-1, -1)
    pairs, index, cx = [], [], []
    for layer in range(n_layers):
        for q in range(n - 1):
            pairs.append((q, q + 1))
            index.append((rot(layer, 0) if q == 0 else none) + rot(layer, q + 1))
            cx.append(1)
    for q in range(0, n - 1, 2):
        pairs.append((q, q + 1))
        index.append(rot(n_layers, q) + rot(n_layers, q + 1))
        cx.append(0)
    if n % 2:
        pairs.append((n - 2, n - 1))
        index.append(none + rot(n_layers, n - 1))
        cx.append(0)
    return Slots(tuple(pairs), "hea", tuple(index), tuple(cx))
