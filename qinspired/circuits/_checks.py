"""Checks the circuit simulators share at their public entry points.

Each runs once per call, on concrete input only (inside ``jit``, ``vmap``
or ``grad`` there is nothing concrete to check, and NaN passing through is
documented): the finiteness of a simulation's result, the validity of a
density matrix or a pure state given by the user, and the random key.
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._validation import check_finite_output, is_traced

__all__ = [
    "PROB_ATOL",
    "check_density_matrix",
    "check_finite_result",
    "check_key",
    "check_normalised",
]

PROB_ATOL = 1e-3
"""Tolerance on a state's total probability (float32 states sum to 1 within ~1e-6 per
amplitude; a few hundred noisy gates accumulate more)."""

_FLOAT32_EPS = float(np.finfo(np.float32).eps)
# matrices per chunk of the positive-semidefiniteness test (bounds its complex128 copies)
_PSD_CHUNK_ENTRIES = 1 << 22
# Largest sum of d**3 over a batch that gets the full (Cholesky) test: one 1024 x 1024
# matrix, 64 of 256 x 256; a fraction of a second on one CPU core. Beyond it, the O(d**2)
# necessary conditions only (a simulation of such a batch costs about as much as this bound).
_PSD_FULL_WORK = 1 << 30


def check_finite_result(result: Any, inputs: Sequence[Any], what: str) -> Any:
    """Return ``result`` (an array or pytree), or raise if finite inputs gave NaN or inf.

    One reduction over every leaf and one host synchronisation; nothing is
    checked when ``result`` is traced. ``inputs`` (data, weights, initial
    state; ``None`` entries skipped) are read only to report the largest
    value in the message of
    :func:`qinspired._validation.check_finite_output`.
    """
    leaves = jax.tree_util.tree_leaves(result)
    if not leaves or any(is_traced(leaf) for leaf in leaves):
        return result
    finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in leaves]))
    if bool(finite):
        return result
    largest = [float(np.max(np.abs(np.asarray(v)))) for v in inputs
               if v is not None and not is_traced(v) and np.size(v)]
    return check_finite_output(result, np.asarray(largest or [0.0]), what)


def check_key(key: Any, owner: str) -> None:
    """Refuse anything but a JAX random key (typed, or raw ``uint32`` key data of shape (2,))."""
    if not (isinstance(key, jax.Array) and (
            jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)
            or (key.dtype == jnp.uint32 and key.shape == (2,)))):
        raise ValueError(
            f"{owner}: key must be a JAX random key (jax.random.key(seed)), got {key!r}"
        )


def check_normalised(psi: Any, what: str) -> None:
    r"""Refuse concrete statevectors ``(..., 2**n)`` that are not finite or not normalised.

    The tolerance on :math:`\sum_i |\psi_i|^2` is :data:`PROB_ATOL`, the one
    sampling uses. One reduction on the device, one scalar brought back.
    """
    if is_traced(psi):
        return
    norms = jnp.sum(jnp.abs(jnp.asarray(psi)) ** 2, axis=-1)
    dev = float(jnp.max(jnp.abs(norms - 1.0))) if norms.size else 0.0
    if dev <= PROB_ATOL:
        return
    norms = np.asarray(norms, dtype=np.float64).ravel()
    if not np.all(np.isfinite(norms)):
        raise ValueError(f"{what}: the state contains NaN or inf")
    worst = int(np.argmax(np.abs(norms - 1.0)))
    where = f" (state {worst} of the batch)" if norms.size > 1 else ""
    raise ValueError(
        f"{what}: the state is not normalised: sum |psi_i|^2 = {norms[worst]:.6g}{where}, "
        f"allowed 1 +- {PROB_ATOL:g}; divide it by its norm first"
    )


def check_density_matrix(rho: Any, what: str, *, herm_atol: float = 1e-5,
                         trace_atol: float = 1e-4, psd_atol: float = 1e-4) -> None:
    r"""Refuse a concrete array ``(..., d, d)`` that is not a batch of density matrices.

    A density matrix is Hermitian (:math:`\max|\rho - \rho^\dagger| \le`
    ``herm_atol``), has unit trace (within ``trace_atol``) and is positive
    semidefinite: every eigenvalue :math:`\ge -\max(` ``psd_atol`` :math:`,
    4 d\,\varepsilon_{32})`, a tolerance for the rounding of float32 entries
    (:math:`d` of them per row). The last test is a Cholesky factorisation of
    :math:`\rho + \mathrm{tol}\,I` in complex128, :math:`d^3/3` operations per
    matrix; eigenvalues are computed only to report a failure. A batch whose
    factorisations would cost more than :data:`_PSD_FULL_WORK` (about as much
    as simulating it) gets the necessary conditions only, at :math:`d^2` per
    matrix: a non-negative diagonal and :math:`|\rho_{ij}|^2 \le
    \rho_{ii}\rho_{jj}` (every principal 2 x 2 minor). The shape is the
    caller's check.
    """
    if is_traced(rho):
        return
    arr = np.asarray(rho)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{what} must be numeric, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} contains NaN or inf")
    if arr.size == 0:
        return
    herm = float(np.max(np.abs(arr - np.conj(np.swapaxes(arr, -1, -2)))))
    if herm > herm_atol:
        raise ValueError(f"{what} is not Hermitian (max |rho - rho^H| = {herm:.3g}, allowed "
                         f"{herm_atol:g}); a density matrix equals its conjugate transpose")
    trace = np.real(np.trace(arr, axis1=-2, axis2=-1)).ravel()
    bad = np.abs(trace - 1.0) > trace_atol
    if np.any(bad):
        raise ValueError(f"{what} must have trace 1 (within {trace_atol:g}), got trace "
                         f"{trace[np.argmax(bad)]:.6g}")
    d = arr.shape[-1]
    tol = max(psd_atol, 4 * d * _FLOAT32_EPS)
    flat = arr.reshape(-1, d, d)
    if len(flat) * d**3 > _PSD_FULL_WORK:
        _check_minors(flat, what, tol)
        return
    step = max(1, _PSD_CHUNK_ENTRIES // (d * d))
    shift = tol * np.eye(d)
    for start in range(0, len(flat), step):
        chunk = flat[start:start + step].astype(np.complex128)
        chunk = 0.5 * (chunk + np.conj(np.swapaxes(chunk, -1, -2)))
        try:
            np.linalg.cholesky(chunk + shift)
            continue
        except np.linalg.LinAlgError:
            pass
        low = np.linalg.eigvalsh(chunk).min(axis=-1)
        worst = int(np.argmin(low))
        if low[worst] < -tol:
            where = f" (matrix {start + worst} of the batch)" if len(flat) > 1 else ""
            raise ValueError(
                f"{what} is not positive semidefinite: it has the eigenvalue "
                f"{low[worst]:.3g} < 0{where}, beyond the rounding tolerance {tol:.2g}; a "
                "density matrix has no negative eigenvalues (probabilities would leave [0, 1])"
            )


def _check_minors(flat: np.ndarray, what: str, tol: float) -> None:
    """The O(d**2) necessary conditions of positive semidefiniteness (see above)."""
    for k, rho in enumerate(flat):
        diag = np.real(np.diagonal(rho)).astype(np.float64)
        where = f" (matrix {k} of the batch)" if len(flat) > 1 else ""
        if diag.min() < -tol:
            raise ValueError(f"{what} is not positive semidefinite: a diagonal entry is "
                             f"{diag.min():.3g} < 0{where}; a density matrix has no negative "
                             "eigenvalues (probabilities would leave [0, 1])")
        excess = np.abs(rho.astype(np.complex128)) ** 2 - np.outer(diag, diag)
        if excess.max() > tol:
            i, j = np.unravel_index(int(np.argmax(excess)), excess.shape)
            raise ValueError(
                f"{what} is not positive semidefinite: |rho[{i}, {j}]|^2 exceeds "
                f"rho[{i}, {i}] rho[{j}, {j}] by {excess[i, j]:.3g}{where}, so it has an "
                "eigenvalue < 0; a density matrix has no negative eigenvalues"
            )
