r"""Circuit simulation with matrix product states of bounded bond dimension.

The quantum-inspired counterpart of :func:`~qinspired.circuits.statevector`:
the state is an MPS (:class:`qinspired.tn.MPS`) whose bonds never exceed
``max_bond`` (:math:`\chi`). Gates act on the site tensors; a two-qubit gate
contracts its two sites, applies the gate and splits them again by SVD,
keeping the :math:`\chi` largest singular values. The orthogonality centre is
moved to the updated sites first (by QR, or in the scanned program below by
two-site SVDs that cut nothing), so every truncation is the optimal
one for that bond and the discarded weights add up to the truncation error.
Gates on distant or reversed wires are routed with SWAPs (each truncated
like any other gate); gates on three or more wires are applied the same way
on a contiguous block, split by successive SVDs. Consecutive gates within
one multi-qubit gate's wires (the ``CX - P - CX`` blocks of the ZZ map) are
multiplied into one matrix first, so they cost one routing and one SVD (the
grouping is :func:`qinspired.circuits._engine.plan.block_plan`; gate matrices
and their embedding come from :mod:`qinspired.circuits._engine.ops`).

Bond dimensions are static (``min(chi, 2**k, 2**(n-k))`` at bond ``k``), so
the simulation is one jitted, vmappable function of ``(x, weights)``; at
``chi = 2**(n//2)`` it is exact. Memory and time grow as ``n chi^2`` and
``n chi^3`` rather than ``2**n``.

Two programs compute the same state. When every block spans at most two
wires and padding every bond to the largest costs at most twice the memory
(the bulk of a long chain, where bonds sit at :math:`\chi`), the site tensors
are one padded stack and the circuit one ``lax.scan`` over uniform two-site
steps (:func:`qinspired.circuits._engine.plan.mps_scan_plan`): its compile
time does not grow with the number of qubits or gates. Otherwise (blocks on
three or more wires, or :math:`\chi` near :math:`2^{n/2}`, where padding
would multiply the work) each block is its own unrolled update.

Reference: G. Vidal, "Efficient classical simulation of slightly entangled
quantum computations", Phys. Rev. Lett. 91, 147902 (2003).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._pytree import unchecked
from qinspired._validation import check_int, check_memory
from qinspired.circuits._checks import check_finite_result
from qinspired.circuits.circuit import Circuit
from qinspired.circuits._engine.ops import (
    angles,
    complex_dtype,
    embed_matrix,
    prepare_values,
    real_dtype,
    step_matrix,
)
from qinspired.circuits._engine.plan import GateTable, block_plan, mps_scan_plan
from qinspired.circuits.statevector import as_circuit
from qinspired.tn.mps import MPS, to_dense

__all__ = ["MPSResult", "mps_sites", "mps_state"]

_SWAP = np.eye(4)[[0, 2, 1, 3]]


class MPSResult:
    r"""The MPS of a circuit's state and its truncation error.

    Attributes
    ----------
    mps : MPS
        The normalised state; in a batched call every site tensor carries a
        leading batch axis.
    truncation_error : jax.Array
        Per state, :math:`\sqrt{\sum_k \epsilon_k / (1 + \sum_k \epsilon_k)}` for
        the discarded weights :math:`\epsilon_k` (squared singular values
        cut, relative to the state's norm); 0 when the simulation is exact.
        To first order the infidelity with the exact state is at most its
        square.
    """

    def __init__(self, mps: MPS, truncation_error: jax.Array) -> None:
        self.mps = mps
        self.truncation_error = truncation_error

    def to_statevector(self) -> jax.Array:
        """The dense amplitudes, shape ``(2**n,)`` or ``(batch, 2**n)``."""
        tensors = self.mps.tensors
        if tensors[0].ndim == 3:
            return to_dense(self.mps)
        return jax.vmap(lambda *ts: to_dense(unchecked(MPS, tensors=ts)))(*tensors)


def _bond_dims(n: int, chi: int) -> list[int]:
    return [1] + [min(chi, 2**k, 2 ** (n - k)) for k in range(1, n)] + [1]


class _State:
    """Site tensors, the orthogonality centre and the discarded weight."""

    def __init__(self, tensors: list, dims: list[int]) -> None:
        self.t = tensors
        self.dims = dims
        self.center = 0
        self.discarded = jnp.zeros((), jnp.real(tensors[0]).dtype)

    def move_center(self, site: int) -> None:
        while self.center < site:
            k = self.center
            a, d, b = self.t[k].shape
            q, r = jnp.linalg.qr(self.t[k].reshape(a * d, b))
            self.t[k] = q.reshape(a, d, b)
            self.t[k + 1] = jnp.einsum("ij,jpk->ipk", r, self.t[k + 1])
            self.center += 1
        while self.center > site:
            k = self.center
            a, d, b = self.t[k].shape
            q, r = jnp.linalg.qr(self.t[k].reshape(a, d * b).T)
            self.t[k] = q.T.reshape(a, d, b)
            self.t[k - 1] = jnp.einsum("ipj,kj->ipk", self.t[k - 1], r)
            self.center -= 1

    def apply_block(self, matrix: jnp.ndarray, first: int, k: int) -> None:
        """Apply a ``2**k`` matrix to the contiguous sites ``first..first+k-1``."""
        self.move_center(first)
        block = self.t[first]
        for j in range(1, k):
            block = jnp.einsum("a...b,bpc->a...pc", block, self.t[first + j])
        left, right = block.shape[0], block.shape[-1]
        u = matrix.reshape((2,) * (2 * k))
        axes = list(range(1, k + 1))
        block = jnp.moveaxis(jnp.tensordot(u, block, axes=(list(range(k, 2 * k)), axes)),
                             list(range(k)), axes)
        rest = block.reshape(left, -1)
        for j in range(k - 1):
            site = first + j
            rest = rest.reshape(self.dims[site] * 2, -1)
            u_, s, vh = jnp.linalg.svd(rest, full_matrices=False)
            keep = self.dims[site + 1]
            self.discarded = self.discarded + jnp.sum(s[keep:] ** 2)
            self.t[site] = u_[:, :keep].reshape(self.dims[site], 2, keep)
            rest = s[:keep, None].astype(vh.dtype) * vh[:keep]
            self.center = site + 1
        self.t[first + k - 1] = rest.reshape(self.dims[first + k - 1], 2, right)
        self.center = first + k - 1


def _route(state: _State, matrix: jnp.ndarray, wires: tuple[int, ...], dtype) -> None:
    """Apply ``matrix`` on arbitrary ``wires`` by swapping them next to each other."""
    k = len(wires)
    if k == 1:
        q = wires[0]
        state.t[q] = jnp.einsum("ij,ajb->aib", matrix, state.t[q])
        return
    order = sorted(wires)
    perm = [wires.index(w) for w in order]
    m = matrix.reshape((2,) * (2 * k)).transpose(perm + [k + p for p in perm]).reshape(2**k, 2**k)
    target = order[0]
    swaps = []
    for j, w in enumerate(order[1:], start=1):
        pos = w
        while pos > target + j:
            swaps.append(pos - 1)
            state.apply_block(jnp.asarray(_SWAP, dtype), pos - 1, 2)
            pos -= 1
    state.apply_block(m, target, k)
    for site in reversed(swaps):
        state.apply_block(jnp.asarray(_SWAP, dtype), site, 2)


def _simulate_mps(circuit: Circuit, x, w, chi: int):
    """The unrolled simulation: one routed update per block, any block width."""
    n = circuit.n_qubits
    cdtype = complex_dtype()
    dims = _bond_dims(n, chi)
    theta = angles(circuit, x, w)
    tensors = [jnp.zeros((dims[k], 2, dims[k + 1]), cdtype).at[0, 0, 0].set(1.0)
               for k in range(n)]
    state = _State(tensors, dims)
    for block in block_plan(circuit.operations):
        m = None
        for step in block.gates:
            g = embed_matrix(step_matrix(step, theta, circuit.matrices, cdtype).astype(cdtype),
                             step.op.wires, block.wires)
            m = g if m is None else g @ m
        _route(state, m, block.wires, cdtype)
    kept = jnp.sum(jnp.abs(state.t[state.center]) ** 2)
    state.t[state.center] = state.t[state.center] / jnp.sqrt(kept).astype(cdtype)
    return tuple(state.t), jnp.sqrt(state.discarded / (kept + state.discarded))


def _use_scan(circuit: Circuit, chi: int) -> bool:
    """Scan when every block spans at most two wires and padding every bond to the largest
    costs at most twice the memory of the exact bond dimensions."""
    dims = _bond_dims(circuit.n_qubits, chi)
    exact = sum(a * b for a, b in zip(dims, dims[1:]))
    return (mps_scan_plan(circuit.operations, circuit.n_qubits) is not None
            and circuit.n_qubits * max(dims) ** 2 <= 2 * exact)


def _gate_products(table: GateTable, theta: jnp.ndarray, matrices, dtype) -> jnp.ndarray:
    """The rows of a :class:`~qinspired.circuits._engine.plan.GateTable`, ``(rows, d, d)``."""
    block = tuple(range(table.width))
    mats = [jnp.eye(2**table.width, dtype=dtype)[None]]
    for step, ids in table.gates:
        mats.append(jax.vmap(lambda t, step=step: embed_matrix(
            step_matrix(step, t, matrices, dtype).astype(dtype), step.op.wires, block))(theta[ids]))
    m = jnp.concatenate(mats)[table.table]
    while m.shape[1] > 1:  # later gates on the left, pairwise
        m = m[:, 1::2] @ m[:, 0::2]
    return m[:, 0]


def _block(window: jnp.ndarray, matrix: jnp.ndarray, masks: jnp.ndarray, left):
    """Apply a two-site matrix and split by SVD, keeping the bond's ``masks[1]`` values; the
    singular values (the orthogonality centre) go to the right site, or the left where
    ``left``."""
    d = window.shape[1]
    theta = jnp.einsum("asb,btc->astc", window[0], window[1])
    theta = jnp.einsum("xyst,astc->axyc", matrix.reshape(2, 2, 2, 2), theta)
    u, s, vh = jnp.linalg.svd(theta.reshape(2 * d, 2 * d), full_matrices=False)
    keep = masks[1]
    cut = jnp.sum(s[d:] ** 2) + jnp.sum((s[:d] * (1 - keep)) ** 2)
    s = (s[:d] * keep).astype(u.dtype)
    ones = jnp.ones_like(s)
    a = (u[:, :d] * jnp.where(left, s, ones)).reshape(d, 2, d) * masks[0][:, None, None]
    b = (jnp.where(left, ones, s)[:, None] * vh[:d]).reshape(d, 2, d) * masks[2]
    return jnp.stack([a * keep, b * keep[:, None, None]]), cut


def _simulate_mps_scan(circuit: Circuit, x, w, chi: int):
    """The scanned simulation (see :func:`~qinspired.circuits._engine.plan.mps_scan_plan`).

    The site tensors are one stack ``(n, D, 2, D)``, every bond padded to the
    largest ``D``; entries beyond a bond's dimension are zero before and after
    every step (each step multiplies its output by the bond masks), so the
    padding changes no value and the same bond dimensions are kept. Returns
    the stack and the truncation error.
    """
    n = circuit.n_qubits
    cdtype, rdtype = complex_dtype(), real_dtype()
    dims = _bond_dims(n, chi)
    d = max(dims)
    plan = mps_scan_plan(circuit.operations, n)
    theta = angles(circuit, x, w)
    masks = jnp.asarray(np.arange(d)[None, :] < np.asarray(dims)[:, None], rdtype)
    stack = jnp.zeros((n, d, 2, d), cdtype).at[:, 0, 0, 0].set(1.0)
    discarded = jnp.zeros((), rdtype)
    if len(plan.sites):
        mats = _gate_products(plan.pairs, theta, circuit.matrices, cdtype)

        def body(carry, step):
            stack, discarded = carry
            site, left, matrix = step
            new, cut = _block(jax.lax.dynamic_slice_in_dim(stack, site, 2), matrix,
                              jax.lax.dynamic_slice_in_dim(masks, site, 3), left)
            return (jax.lax.dynamic_update_slice_in_dim(stack, new, site, 0),
                    discarded + cut), None

        (stack, discarded), _ = jax.lax.scan(body, (stack, discarded),
                                             (plan.sites, plan.left, mats))
    if plan.singles.gates:
        layer = _gate_products(plan.singles, theta, circuit.matrices, cdtype)
        stack = jnp.einsum("kst,katb->kasb", layer, stack)
    kept = jnp.sum(jnp.abs(stack[plan.center]) ** 2)
    stack = stack.at[plan.center].divide(jnp.sqrt(kept).astype(cdtype))
    return stack, jnp.sqrt(discarded / (kept + discarded))


@partial(jax.jit, static_argnames=("chi", "x_batched", "w_batched", "scan"))
def _run_mps(circuit, x, w, *, chi, x_batched, w_batched, scan):
    """Site tensors (the padded stack where ``scan``) and truncation errors, batched."""
    fn = partial(_simulate_mps_scan if scan else _simulate_mps, circuit, chi=chi)
    if x_batched or w_batched:
        return jax.vmap(fn, in_axes=(0 if x_batched else None, 0 if w_batched else None))(x, w)
    return fn(x, w)


@partial(jax.jit, static_argnames=("rows", "cols"))
def _cut(stack: jax.Array, site: jax.Array, *, rows: int, cols: int) -> jax.Array:
    """Site ``site`` of a padded stack ``(..., n, D, 2, D)``, cut to ``(rows, 2, cols)``
    (one program per shape, whatever the site)."""
    tensor = jax.lax.dynamic_index_in_dim(stack, site, axis=stack.ndim - 4, keepdims=False)
    return tensor[..., :rows, :, :cols]


def _simulate(who: str, circuit: Any, x: Any, weights: Any, max_bond: int):
    """Validate, check the memory and run: ``(output of _run_mps, scan, bond dims, batched)``."""
    circ = as_circuit(circuit)
    chi = check_int(who, "max_bond", max_bond, 1)
    xv, xb = prepare_values(x, circ.n_features, "x", "features")
    wv, wb = prepare_values(weights, circ.n_weights, "weights", "weights")
    if len(xb) > 1 or len(wb) > 1 or (xb and wb and xb != wb):
        raise ValueError(f"{who} takes one batch axis shared by x and weights, got batch "
                         f"shapes {xb} and {wb}")
    n = circ.n_qubits
    dims = _bond_dims(n, chi)
    n_states = (xb or wb or (1,))[0]
    scan = _use_scan(circ, chi)
    entries = sum(2 * a * b for a, b in zip(dims, dims[1:])) + 4 * max(dims) ** 2  # + 2-site block
    if scan:  # the padded stack and the steps' matrices
        entries += 2 * n * max(dims) ** 2 + 16 * len(mps_scan_plan(circ.operations, n).sites)
    check_memory(3 * n_states * entries * complex_dtype().itemsize,
                 f"MPS simulation of {n} qubits with max_bond={chi} (bonds up to "
                 f"{max(dims)}) for {n_states} state(s)",
                 advice="use a smaller max_bond, fewer qubits or a smaller batch")
    out = _run_mps(circ, xv, wv, chi=chi, x_batched=bool(xb), w_batched=bool(wb), scan=scan)
    return out, scan, dims, bool(xb or wb)


def mps_state(circuit: Any, x: Any = None, weights: Any = None, *, max_bond: int) -> MPSResult:
    r"""Simulate a circuit as an MPS of bond dimension at most ``max_bond``.

    Parameters
    ----------
    circuit : Circuit or feature map
    x : array_like, shape (n_features,) or (batch, n_features), optional
    weights : array_like, shape (n_weights,) or (batch, n_weights), optional
    max_bond : int
        :math:`\chi`; the result is exact when ``max_bond >= 2**(n // 2)``.

    Returns
    -------
    MPSResult
        ``.mps`` (site tensors with a leading batch axis when batched) and
        ``.truncation_error`` (per state; see :class:`MPSResult`).

    Raises
    ------
    ValueError
        For invalid inputs, a simulation that does not fit in memory, or
        finite data whose simulation overflowed (the result is checked once
        per call; inside ``jit``, ``vmap`` or ``grad`` it cannot be, and an
        overflow gives NaN).

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.circuits import Circuit
    >>> from qinspired.circuits.mps_sim import mps_state
    >>> ghz = Circuit(3, [("h", 0), ("cx", (0, 1)), ("cx", (1, 2))])
    >>> res = mps_state(ghz, max_bond=2)
    >>> np.round(np.abs(np.asarray(res.to_statevector())) ** 2, 3).tolist()
    [0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5]
    """
    (tensors, err), scan, dims, _ = _simulate("mps_state", circuit, x, weights, max_bond)
    check_finite_result((tensors, err), (x, weights),
                        "mps_state: the site tensors and truncation errors")
    if scan:
        tensors = [_cut(tensors, np.int32(k), rows=a, cols=b)
                   for k, (a, b) in enumerate(zip(dims, dims[1:]))]
    return MPSResult(unchecked(MPS, tensors=tuple(tensors)), err)


def mps_sites(circuit: Any, x: Any = None, weights: Any = None, *, max_bond: int
              ) -> tuple[tuple[jax.Array, ...], jax.Array]:
    r"""A batch of :func:`mps_state` simulations, in the form MPS sweeps scan.

    Each entry of the returned sequence is either one site tensor, shape
    ``(batch, left, 2, right)``, or a stack of sites of one shape, ``(batch,
    sites, D, 2, D)``. Where the simulation runs as one scan (see the module
    notes) the sequence is the stack of all sites, every bond padded with
    zeros to the largest bond dimension :math:`D` (the outer bonds too: only
    index 0 of each is used); otherwise every site is its own entry, as in
    :func:`mps_state`. The state is the same either way.

    Parameters
    ----------
    circuit : Circuit or feature map
    x : array_like, shape (batch, n_features), optional
    weights : array_like, shape (batch, n_weights), optional
        At least one of ``x`` and ``weights`` carries the batch axis.
    max_bond : int

    Returns
    -------
    sites : tuple of jax.Array
    truncation_error : jax.Array, shape (batch,)
    """
    (out, err), scan, _, batched = _simulate("mps_sites", circuit, x, weights, max_bond)
    if not batched:
        raise ValueError("mps_sites takes a batch: x or weights with a leading batch axis")
    return ((out,) if scan else tuple(out)), err
