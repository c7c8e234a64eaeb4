r"""The whole exact fidelity Gram matrix of a small problem in two compiled programs.

For a few hundred points of up to about 12 qubits, the chunked path (state
chunks, then Gram blocks, each its own program and transfer) spends more time
dispatching and copying than computing. Here one program simulates the states
of every point and one computes the products and the symmetrisation, with one
transfer of the result: :math:`|\langle a_i|b_j\rangle|^2` from real matrix
products of the states in pair form (real and imaginary parts, as the engine
simulates them).

* symmetric (:math:`K = k(X, X)`): with :math:`S = [a_r, a_i]`,
  :math:`\mathrm{Re}\,K^{(1)} = S S^T` and :math:`\mathrm{Im}\,K^{(1)} = M - M^T`
  for :math:`M = a_r a_i^T` (from 256 rows on, in two diagonal blocks and one block
  above them); the upper triangle is mirrored, so the matrix is
  exactly symmetric, and the diagonal is :math:`\|a\|^4` from
  :func:`squared_norms` (more accurate in float32 than the product's diagonal);
* two sets: the three real products of :func:`overlap_sq_pairs`.

:func:`gram_of_states` runs the same products on states simulated before (the
kernel estimators keep their training states), so ``QuantumKernelSVC`` and
``FidelityKernel.gram`` take the whole-matrix product too.

The programs compile once per padded size of ``X`` (and ``Y``): rows are padded
to one of eight sizes per factor of two. The path is used only for statevector
kernels without shots, on one device, for at most :data:`MAX_ROWS` padded rows
whose states take at most :data:`MAX_STATE_BYTES`, and not for circuits that
run as a pair scan (those compile once per structure through the chunked path).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._batching import round_up
from qinspired._validation import check_memory
from qinspired.circuits._engine.ops import (
    WORKSPACE_FACTOR,
    angles,
    cast_matrices,
    complex_dtype,
    evolve,
    initial_pair,
    real_dtype,
)
from qinspired.circuits._engine.pair_scan import use_pair_scan
from qinspired.circuits._engine.plan import plan
from qinspired.circuits.circuit import Circuit
from qinspired.kernels._states import KERNEL_MEMORY_ADVICE

__all__ = ["MAX_ROWS", "MAX_STATE_BYTES", "applies", "fused_gram", "gram_of_states",
           "overlap_sq_pairs", "overlap_sq_parts", "product_fits", "squared_norms"]

MAX_ROWS = 1024
"""Most padded rows (of ``X``, and of ``Y``) the fused program takes."""
MAX_STATE_BYTES = 1 << 26
"""Most bytes of the states of one set of points the fused program holds."""

_HIGHEST = jax.lax.Precision.HIGHEST
_HALVES_FROM = 256


def applies(circuit: Circuit, weights: Any, n_rows: tuple[int, ...]) -> bool:
    """True when every set of ``n_rows`` fits the fused program and the circuit suits it."""
    return product_fits(n_rows, 2**circuit.n_qubits) and not use_pair_scan(circuit, weights)


def _pair_states(circuit: Circuit, x: jax.Array, w: jax.Array) -> jax.Array:
    """States in pair form ``(N, 2, 2**n)`` (real and imaginary parts)."""
    n = circuit.n_qubits
    steps = plan(circuit.operations, n, True)

    def one(xi: jax.Array) -> jax.Array:
        return evolve(initial_pair(None, 2**n), steps, angles(circuit, xi, w),
                      circuit.matrices, n, density=False)

    return jax.vmap(one)(x)


def overlap_sq_parts(a: tuple[jax.Array, jax.Array], b: tuple[jax.Array, jax.Array]
                     ) -> jax.Array:
    r""":math:`|\langle a_i|b_j\rangle|^2` from the real and imaginary parts ``(a_r, a_i)``
    and ``(b_r, b_i)`` by three real products (:math:`t_1 = a_r b_r^T`, :math:`t_2 = a_i
    b_i^T`, :math:`t_3 = (a_r - a_i)(b_r + b_i)^T`: real part :math:`t_1 + t_2`, imaginary
    part :math:`t_3 - t_1 + t_2`), instead of the four of the plain real form."""
    (ar, ai), (br, bi) = a, b
    t1 = jnp.matmul(ar, br.T, precision=_HIGHEST)
    t2 = jnp.matmul(ai, bi.T, precision=_HIGHEST)
    t3 = jnp.matmul(ar - ai, (br + bi).T, precision=_HIGHEST)
    re, im = t1 + t2, t3 - t1 + t2
    return re * re + im * im


def overlap_sq_pairs(a: jax.Array, b: jax.Array) -> jax.Array:
    """:func:`overlap_sq_parts` of states in pair form ``(N, 2, d)``."""
    return overlap_sq_parts((a[:, 0], a[:, 1]), (b[:, 0], b[:, 1]))


def squared_norms(states: jax.Array) -> jax.Array:
    r""":math:`\sum_k |\psi_k|^2` of each row (complex, or real in pair form), summed in
    groups of 64 and then across groups.

    A real matrix product accumulates a row's ``2**n`` positive terms with a rounding
    error of about 1e-5 in float32 at 12 qubits (measured; XLA's complex product about
    1e-6); a sum of sums of 64 terms rounds like a 64-term sum (about 1e-7).
    Fidelity kernels take their diagonal, :math:`\|\psi\|^4`, from these.
    """
    sq = jnp.abs(states) ** 2 if jnp.iscomplexobj(states) else states * states
    sq = sq.reshape(sq.shape[0], -1)
    while sq.shape[1] > 64 and sq.shape[1] % 64 == 0:
        sq = jnp.sum(sq.reshape(sq.shape[0], -1, 64), axis=2)
    return jnp.sum(sq, axis=1)


def _diagonal_block(a: jax.Array) -> jax.Array:
    s = a.reshape(a.shape[0], -1)
    re = jnp.matmul(s, s.T, precision=_HIGHEST)
    m = jnp.matmul(a[:, 0], a[:, 1].T, precision=_HIGHEST)
    im = m - m.T
    return re * re + im * im


def _off_diagonal_block(a: jax.Array, b: jax.Array) -> jax.Array:
    # [a_r, a_i] . [b_r, b_i] is the real part, [a_r, a_i] . [b_i, -b_r] the imaginary one:
    # one product against both.
    s = a.reshape(a.shape[0], -1)
    both = jnp.concatenate([b.reshape(b.shape[0], -1),
                            jnp.concatenate([b[:, 1], -b[:, 0]], axis=1)], axis=0)
    p = jnp.matmul(s, both.T, precision=_HIGHEST)
    return p[:, : b.shape[0]] ** 2 + p[:, b.shape[0]:] ** 2


def _symmetric(a: jax.Array) -> jax.Array:
    rows = a.shape[0]
    if rows >= _HALVES_FROM and rows % 2 == 0:
        # Two diagonal blocks (3 real products of half the rows each) and one off-diagonal
        # block (4): 2.5 products of the full size instead of 3 (10-15% faster measured
        # at 12 qubits, 400 points).
        h = rows // 2
        upper = _off_diagonal_block(a[:h], a[h:])
        k = jnp.block([[_diagonal_block(a[:h]), upper], [upper.T, _diagonal_block(a[h:])]])
    else:
        k = _diagonal_block(a)
    k = jnp.triu(k) + jnp.triu(k, 1).T
    idx = jnp.arange(rows)
    return k.at[idx, idx].set(squared_norms(a) ** 2)


def _finite(*states: jax.Array) -> jax.Array:
    # Amplitudes are at most 1 in modulus: the sum is finite exactly when every entry is.
    return jnp.isfinite(sum(jnp.sum(s) for s in states))


@jax.jit
def _states(circuit: Circuit, x: jax.Array, w: jax.Array) -> tuple[jax.Array, jax.Array]:
    a = _pair_states(circuit, x, w)
    return a, _finite(a)


@partial(jax.jit, static_argnames=("symmetric",))
def _pair_product(a: jax.Array, b: jax.Array | None, *, symmetric: bool) -> jax.Array:
    return _symmetric(a) if symmetric else overlap_sq_pairs(a, b)


def _pairs_of(states: jax.Array) -> jax.Array:
    return jnp.stack([jnp.real(states), jnp.imag(states)], axis=1)


@partial(jax.jit, static_argnames=("symmetric",))
def _product(a: jax.Array, b: jax.Array, *, symmetric: bool) -> jax.Array:
    if symmetric:
        return _symmetric(_pairs_of(a))
    return overlap_sq_pairs(_pairs_of(a), _pairs_of(b))


def product_fits(n_rows: tuple[int, ...], dim: int) -> bool:
    """True when sets of ``n_rows`` states of dimension ``dim`` fit :func:`gram_of_states`."""
    per_point = dim * complex_dtype().itemsize
    return all(round_up(n) <= MAX_ROWS and round_up(n) * per_point <= MAX_STATE_BYTES
               for n in n_rows)


def _pad_rows(states: Any) -> Any:
    n = len(states)
    rows = round_up(n)
    if rows == n:
        return states
    xp = jnp if isinstance(states, jax.Array) else np
    return xp.concatenate([states, xp.zeros((rows - n,) + states.shape[1:], states.dtype)])


def gram_of_states(a: Any, b: Any | None) -> np.ndarray:
    """``|<a_i|b_j>|^2`` (``b=None``: the symmetric ``k(a, a)``) of simulated statevectors
    as float64 NumPy: the products of :func:`fused_gram` in one program (rows padded with
    zero states), for states kept between calls (the estimators' training states)."""
    k = _product(_pad_rows(a), None if b is None else _pad_rows(b), symmetric=b is None)
    n_b = len(a) if b is None else len(b)
    return np.asarray(k)[: len(a), :n_b].astype(np.float64)


def _padded(X: np.ndarray) -> np.ndarray:
    out = np.zeros((round_up(len(X)), X.shape[1]), dtype=real_dtype())
    out[: len(X)] = X
    return out


def fused_gram(circuit: Circuit, X: np.ndarray, Y: np.ndarray | None,
               weights: Any) -> np.ndarray | None:
    """``k(X, Y)`` (``Y=None``: ``k(X, X)``) as float64 NumPy, or ``None`` when a state
    is not finite (the caller's chunked path then names the cause)."""
    n_rows = round_up(len(X)) + (0 if Y is None else round_up(len(Y)))
    check_memory(WORKSPACE_FACTOR * n_rows * 2**circuit.n_qubits * complex_dtype().itemsize,
                 f"the {circuit.n_qubits}-qubit statevectors of {n_rows} data points",
                 advice=KERNEL_MEMORY_ADVICE)
    w = jnp.zeros((0,), real_dtype()) if weights is None else jnp.asarray(weights)
    # States, then products: as one program XLA:CPU took 26-38 ms where the two take
    # 24-25 ms (12 qubits, 400 points).
    circuit = cast_matrices(circuit)
    a, finite = _states(circuit, _padded(X), w)
    b = None
    if Y is not None:
        b, finite_b = _states(circuit, _padded(Y), w)
        finite = finite & finite_b
    k = _pair_product(a, b, symmetric=Y is None)
    if not bool(finite):
        return None
    n_b = len(X) if Y is None else len(Y)
    return np.asarray(k)[: len(X), :n_b].astype(np.float64)
