r"""The state of a feature-map circuit for every data point, by backend.

Each backend turns a batch of data into the arrays a kernel needs:

* ``"statevector"``: amplitudes :math:`\psi(x)`, shape ``(N, 2**n)``;
* ``"product"``: for circuits without multi-qubit gates, the one-qubit
  factors :math:`\psi(x) = \bigotimes_q \phi_q(x)`, shape ``(N, n, 2)``:
  the closed form, :math:`O(n)` per point instead of :math:`2^n`;
* ``"mps"``: site tensors of an MPS of bond dimension at most :math:`\chi`
  (with the truncation error of each state), as one padded stack of all sites
  where the simulation scans (:func:`~qinspired.circuits.mps_sim.mps_sites`);
* ``"density"``: density matrices (noisy, from a
  :class:`~qinspired.circuits.NoiseModel`), flattened to ``(N, 4**n)``.

and :func:`bloch_vectors` reduces any of them to the one-qubit reduced
density matrices :math:`\rho_q(x) = \tfrac12 (I + \vec r_q \cdot \vec\sigma)`
that projected kernels compare.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._batching import fixed_rows, map_rows
from qinspired._validation import (
    SimulationTooLargeError,
    check_finite_output,
    check_memory,
    format_bytes,
)
from qinspired.circuits._engine.ops import angles, complex_dtype, real_dtype, step_matrix
from qinspired.circuits._engine.plan import GateStep, param_ids
from qinspired.circuits.circuit import Circuit
from qinspired.circuits.density import _density_matrix
from qinspired.circuits.mps_sim import mps_sites
from qinspired.circuits.statevector import statevector_fn
from qinspired.circuits._engine.pair_scan import pair_steps, scan_statevectors, use_pair_scan

__all__ = [
    "MAX_EXACT_BOND",
    "bloch_vectors",
    "boundary",
    "density_states",
    "is_product",
    "mps_states",
    "product_states",
    "statevectors",
    "sweep_sites",
]

MAX_EXACT_BOND = 1024
"""Largest bond dimension ``bond_dim=None`` (exact MPS) may imply."""

_CHUNK_BYTES = 1 << 28


def is_product(circuit: Circuit) -> bool:
    """True when no gate acts on more than one wire (the state is a product state)."""
    return all(len(op.wires) == 1 for op in circuit.operations)


def _batched(fn: Any, X: np.ndarray, bytes_per_point: int) -> Any:
    """``fn`` over the rows of ``X`` in padded batches of at most :data:`_CHUNK_BYTES`."""
    out = map_rows(lambda part, _: fn(part), X, max(1, _CHUNK_BYTES // max(1, bytes_per_point)))
    return check_finite_output(out, X, "the kernel's feature states")


def _all_finite(tree: Any) -> jax.Array:
    """True when every entry of every leaf is finite (one scalar, for use inside ``jit``).

    The entries are amplitudes or density-matrix elements, at most 1 in modulus, so
    their sum cannot overflow: it is finite exactly when every entry is (NaN and
    infinities propagate). One summation costs less than an elementwise test.
    """
    return jnp.isfinite(sum(jnp.sum(leaf) for leaf in jax.tree_util.tree_leaves(tree)))


def _chunked(fn: Any, X: np.ndarray, bytes_per_point: int) -> Any:
    """``fn`` over the rows of ``X`` in chunks of one fixed size, the last one padded.

    ``fn(chunk)`` is one jitted program returning ``(states, finite)``: one
    dispatch per chunk, and the finiteness of every chunk is checked once at the
    end. The size depends only on ``bytes_per_point`` (see :func:`fixed_rows`),
    never on ``len(X)``, so a circuit structure compiles once for every number of
    points.
    """
    rows = fixed_rows(bytes_per_point, _CHUNK_BYTES)
    flags = []

    def run(part: np.ndarray, _: int) -> Any:
        out, finite = fn(part)
        flags.append(finite)
        return out

    out = map_rows(run, X, rows, bucket=lambda _: rows)
    if not all(bool(f) for f in flags):
        check_finite_output(out, X, "the kernel's feature states")
    return out


@jax.jit
def _statevector_chunk(circuit: Circuit, X: jax.Array, w: jax.Array) -> tuple:
    psi = jax.vmap(statevector_fn(circuit), in_axes=(0, None))(X, w)
    return psi, _all_finite(psi)


@jax.jit
def _pair_scan_chunk(circuit: Circuit, X: jax.Array, w: jax.Array) -> tuple:
    psi = scan_statevectors(circuit, X, w)
    return psi, _all_finite(psi)


_all_finite_jit = jax.jit(_all_finite)


def _weights(weights: Any) -> jax.Array:
    return jnp.zeros((0,), real_dtype()) if weights is None else jnp.asarray(weights)


#: What to do when a kernel's states do not fit: a state costs 2**n (density 4**n) per point
#: with one qubit per feature, so fewer points barely help; fewer features or an MPS do.
KERNEL_MEMORY_ADVICE = ("use fewer features (one qubit each: e.g. PCA(n_components=8) before "
                        "the kernel in a Pipeline) or an approximate simulation, "
                        "FidelityKernel(feature_map, backend='mps', bond_dim=16)")


def _check_total(n_points: int, bytes_per_point: int, what: str) -> None:
    check_memory(n_points * bytes_per_point, f"the {what} of {n_points} data points",
                 advice=KERNEL_MEMORY_ADVICE)


def statevectors(circuit: Circuit, X: np.ndarray, weights: Any) -> jax.Array:
    """Amplitudes ``(N, 2**n)``, simulated in fixed-size chunks that bound the workspace.

    Circuits with non-diagonal two-qubit gates the engine cannot fuse run as one
    ``lax.scan`` over pair steps (:mod:`qinspired.circuits._engine.pair_scan`), which
    compiles in time set by the number of wire pairs, not the number of gates.
    """
    n = circuit.n_qubits
    itemsize = complex_dtype().itemsize
    per_point = 2**n * itemsize
    _check_total(len(X), per_point, f"{n}-qubit statevectors")
    w = _weights(weights)
    if use_pair_scan(circuit, weights):
        n_steps = len(pair_steps(circuit.operations, n))
        return _chunked(lambda part: _pair_scan_chunk(circuit, part, w), X,
                        4 * per_point + 16 * n_steps * itemsize)
    return _chunked(lambda part: _statevector_chunk(circuit, part, w), X, 4 * per_point)


def _product_one(circuit: Circuit, x: jax.Array, w: jax.Array) -> jax.Array:
    """The one-qubit factors of a product circuit's state: each gate is a 2x2 matrix
    times a 2-vector (a specialised kernel: there is no joint state to contract)."""
    cdtype = complex_dtype()
    theta = angles(circuit, x, w)
    factors = [jnp.array([1.0, 0.0], cdtype) for _ in range(circuit.n_qubits)]
    for op, pids in zip(circuit.operations, param_ids(circuit.operations)):
        m = step_matrix(GateStep(op, pids), theta, circuit.matrices, cdtype).astype(cdtype)
        q = op.wires[0]
        factors[q] = m @ factors[q]
    return jnp.stack(factors)


@jax.jit
def _product_run(circuit: Circuit, X: jax.Array, w: jax.Array) -> tuple:
    factors = jax.vmap(partial(_product_one, circuit), in_axes=(0, None))(X, w)
    return factors, _all_finite(factors)


def product_states(circuit: Circuit, X: np.ndarray, weights: Any) -> jax.Array:
    """One-qubit factors ``(N, n, 2)`` of a product circuit's states (the closed form)."""
    if not is_product(circuit):
        raise ValueError("the closed-form (product) backend needs a feature map without "
                         "multi-qubit gates; use backend='statevector' or 'mps'")
    w = _weights(weights)
    per_point = 2 * circuit.n_qubits * complex_dtype().itemsize
    return _chunked(lambda part: _product_run(circuit, part, w), X, 4 * per_point)


def mps_states(circuit: Circuit, X: np.ndarray, weights: Any, bond_dim: int | None
               ) -> tuple[tuple[jax.Array, ...], jax.Array]:
    """Site tensors (each with a leading data axis) and per-state truncation errors
    (:func:`~qinspired.circuits.mps_sim.mps_sites`: one padded stack where that scans)."""
    n = circuit.n_qubits
    chi = bond_dim
    if chi is None:
        if n // 2 > 10:
            raise SimulationTooLargeError(
                f"bond_dim=None asks for the exact MPS of {n} qubits (bond dimension "
                f"2**{n // 2}); give bond_dim (e.g. 16-64) for an approximate simulation")
        chi = 2 ** (n // 2)
    per_point = sum(min(chi, 2**k, 2 ** (n - k)) * 2 * min(chi, 2 ** (k + 1), 2 ** (n - k - 1))
                    for k in range(n)) * complex_dtype().itemsize
    _check_total(len(X), per_point, f"bond-dimension-{chi} MPS")

    def run(part: np.ndarray) -> tuple:
        return mps_sites(circuit, part, weights, max_bond=chi)

    return _batched(run, X, 8 * per_point)


def density_states(circuit: Circuit, X: np.ndarray, weights: Any, noise: Any) -> jax.Array:
    """Density matrices flattened to ``(N, 4**n)``."""
    n = circuit.n_qubits
    per_point = 4**n * complex_dtype().itemsize
    if n > 14:
        raise SimulationTooLargeError(
            f"density matrices of {n} qubits take {format_bytes(per_point)} each; use the "
            "statevector or MPS backend (noiseless) or fewer qubits")
    _check_total(len(X), per_point, f"{n}-qubit density matrices")

    def run(part: np.ndarray) -> tuple:
        # unchecked per chunk: _chunked checks the finiteness flags of all chunks once
        rho = _density_matrix(circuit, part, weights, noise, None, True, "auto")
        rho = rho.reshape(len(part), -1)
        return rho, _all_finite_jit(rho)

    return _chunked(run, X, 4 * per_point)


def _bloch_from_rdm(rho: jax.Array) -> jax.Array:
    """``(..., 2, 2)`` one-qubit density matrices -> ``(..., 3)`` Bloch vectors."""
    off = rho[..., 0, 1]
    return jnp.stack([2 * off.real, -2 * off.imag, (rho[..., 0, 0] - rho[..., 1, 1]).real], -1)


@jax.jit
def _rdms_statevector(psi: jax.Array) -> jax.Array:
    n = int(psi.shape[-1]).bit_length() - 1
    out = []
    for q in range(n):
        m = psi.reshape(psi.shape[0], 2**q, 2, 2 ** (n - q - 1))
        out.append(jnp.einsum("iaxb,iayb->ixy", m, jnp.conj(m)))
    return jnp.stack(out, axis=1)


@jax.jit
def _rdms_density(flat: jax.Array) -> jax.Array:
    n = (int(flat.shape[-1]).bit_length() - 1) // 2
    out = []
    for q in range(n):
        r = flat.reshape(flat.shape[0], 2**q, 2, 2 ** (n - q - 1), 2**q, 2, 2 ** (n - q - 1))
        out.append(jnp.einsum("iaxbayb->ixy", r))
    return jnp.stack(out, axis=1)


def sweep_sites(fn: Any, carry: Any, sites: tuple, *, reverse: bool = False,
                collect: bool = False) -> tuple[Any, list]:
    r"""``carry = fn(carry, *site)`` over the sites of MPSs in the form of
    :func:`~qinspired.circuits.mps_sim.mps_sites`.

    ``sites`` holds one such sequence per MPS (all of one structure): an
    entry of shape ``(N, left, 2, right)`` is one site, applied directly; an
    entry ``(N, m, D, 2, D)`` is a stack of ``m`` sites, one ``lax.scan``, so
    the program does not grow with the number of sites. Returns the final
    carry and, with ``collect``, per entry (in site order) the carries met
    before each of its sites in the sweep's direction, stacked on a leading
    axis.
    """
    seen = []
    for entry in zip(*sites) if not reverse else reversed(list(zip(*sites))):
        if entry[0].ndim == 4:
            seen.append(jax.tree_util.tree_map(lambda c: c[None], carry) if collect else None)
            carry = fn(carry, *entry)
            continue

        def step(c: Any, site: tuple) -> tuple[Any, Any]:
            return fn(c, *site), (c if collect else None)

        runs = tuple(jnp.moveaxis(run, 1, 0) for run in entry)
        carry, before = jax.lax.scan(step, carry, runs, reverse=reverse)
        seen.append(before)
    return carry, (seen[::-1] if reverse else seen)


def _as_runs(entry: jax.Array) -> jax.Array:
    """One site ``(N, a, 2, b)`` as a run of one ``(N, 1, a, 2, b)``; a run unchanged."""
    return entry[:, None] if entry.ndim == 4 else entry


def boundary(shape: tuple[int, ...], dim: int, dtype: Any) -> jax.Array:
    """The environment of an MPS's outer bond of dimension ``dim`` (padded beyond index 0):
    ``(*shape, dim, dim)``, one at ``[..., 0, 0]``."""
    return jnp.zeros((*shape, dim, dim), dtype).at[..., 0, 0].set(1)


@jax.jit
def _rdms_mps(sites: tuple[jax.Array, ...]) -> jax.Array:
    n_points, dtype = sites[0].shape[0], sites[0].dtype
    conj = tuple(jnp.conj(t) for t in sites)
    _, lefts = sweep_sites(lambda e, t, c: jnp.einsum("iab,iasc,ibsd->icd", e, t, c),
                           boundary((n_points,), sites[0].shape[-3], dtype), (sites, conj),
                           collect=True)
    _, rights = sweep_sites(lambda e, t, c: jnp.einsum("icd,iasc,ibsd->iab", e, t, c),
                            boundary((n_points,), sites[-1].shape[-1], dtype), (sites, conj),
                            reverse=True, collect=True)
    out = jnp.concatenate([
        jnp.einsum("kiab,ikaxc,ikbyd,kicd->ikxy", left, _as_runs(t), _as_runs(c), right)
        for t, c, left, right in zip(sites, conj, lefts, rights)], axis=1)
    norm = jnp.trace(out, axis1=-2, axis2=-1)[..., None, None]
    return out / norm


@partial(jax.jit, static_argnums=0)
def _bloch_chunk(kind: str, states: jax.Array) -> jax.Array:
    reduce = _rdms_statevector if kind == "statevector" else _rdms_density
    return _bloch_from_rdm(reduce(states))


def bloch_vectors(kind: str, states: Any) -> jax.Array | np.ndarray:
    r"""Bloch vectors ``(N, n, 3)`` of every qubit's reduced state, from any backend's states.

    :math:`\vec r_q = (\langle X_q\rangle, \langle Y_q\rangle, \langle Z_q\rangle)`, so
    :math:`\|\rho_q(x) - \rho_q(y)\|_F^2 = \tfrac12 \|\vec r_q(x) - \vec r_q(y)\|^2`.
    Statevector and density states give a NumPy array, the others a JAX array.
    """
    if kind == "product":
        rdm = jnp.einsum("iqx,iqy->iqxy", states, jnp.conj(states))
    elif kind in ("statevector", "density"):
        # Fixed-size chunks padded and joined on the host: no compile for a new N.
        host = np.asarray(states)
        rows = fixed_rows(4 * host.shape[1] * host.dtype.itemsize, _CHUNK_BYTES)
        return map_rows(lambda part, _: np.asarray(_bloch_chunk(kind, part)), host, rows,
                        bucket=lambda _: rows)
    elif kind == "mps":
        rdm = _rdms_mps(tuple(states))
    else:
        raise ValueError(f"unknown state kind {kind!r}")
    return _bloch_from_rdm(rdm)
