r"""Monitoring deployed models: data drift in the model's feature space, noise tolerance.

:class:`KernelDriftDetector` tests whether a new batch of data comes from the
same distribution as reference data with the maximum mean discrepancy (MMD)
in a kernel's feature space, typically the model's own quantum or
quantum-inspired kernel, so drift is measured where the model looks. The
unbiased estimate (Gretton et al. 2012, Lemma 6) of

.. math::

    \mathrm{MMD}^2 = \mathbb{E}\,k(x, x') + \mathbb{E}\,k(y, y') - 2\,\mathbb{E}\,k(x, y)

is compared with its distribution under random relabelling of the pooled
sample (a permutation test, seeded), giving a p-value
:math:`(1 + \#\{\mathrm{MMD}^2_\pi \ge \mathrm{MMD}^2\}) / (1 + P)` whose
false-positive rate is at most the significance level.

:func:`noise_sensitivity` refits a true-circuit model under growing hardware
noise and reports its test accuracy and the concentration of its kernel, so a
team sees how much noise the model tolerates before it is deployed.

Reference: A. Gretton et al., "A kernel two-sample test", JMLR 13, 723 (2012).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._random import fit_key
from qinspired._validation import as_float_array, check_int, check_real

__all__ = ["DriftResult", "KernelDriftDetector", "NoiseSensitivity", "noise_sensitivity"]


@dataclass(frozen=True)
class DriftResult:
    """The outcome of one drift test.

    Attributes
    ----------
    mmd2 : float
        Unbiased :math:`\\mathrm{MMD}^2` between the reference and the batch.
    p_value : float
        Permutation-test p-value.
    drift : bool
        ``p_value < alpha``.
    alpha : float
        The significance level used.
    n_permutations : int
    """

    mmd2: float
    p_value: float
    drift: bool
    alpha: float
    n_permutations: int

    def as_metrics(self) -> dict[str, float]:
        """The numbers as a flat dict (for logging)."""
        return {"drift_mmd2": self.mmd2, "drift_p_value": self.p_value,
                "drift_detected": float(self.drift)}


def _mmd2(K: jax.Array, labels: jax.Array, m: int, n: int) -> jax.Array:
    """Unbiased MMD^2 for the pooled Gram ``K`` split by boolean ``labels`` (True: reference)."""
    a = labels.astype(K.dtype)
    b = 1.0 - a
    diag = jnp.diagonal(K)
    kxx = (a @ K @ a - jnp.sum(diag * a)) / (m * (m - 1))
    kyy = (b @ K @ b - jnp.sum(diag * b)) / (n * (n - 1))
    kxy = (a @ K @ b) / (m * n)
    return kxx + kyy - 2 * kxy


@partial(jax.jit, static_argnames=("m", "n", "n_permutations"))
def _permutation_stats(K: jax.Array, key: jax.Array, m: int, n: int, n_permutations: int):
    labels = jnp.arange(m + n) < m
    observed = _mmd2(K, labels, m, n)
    keys = jax.random.split(key, n_permutations)
    perms = jax.vmap(lambda k: jax.random.permutation(k, labels))(keys)
    return observed, jax.lax.map(lambda lab: _mmd2(K, lab, m, n), perms)


class KernelDriftDetector:
    """Two-sample MMD test for drift between reference data and new batches.

    Parameters
    ----------
    kernel : kernel object or callable
        A :mod:`qinspired.kernels` kernel (its states of the reference data
        are simulated once, in :meth:`fit`) or any callable ``k(X, Y) -> Gram``,
        e.g. a fitted model's ``kernel_``.
    n_permutations : int, default 500
    alpha : float, default 0.05
        Significance level.
    random_state : int, Generator or None, default None
        Seeds the permutations; an int gives the same p-value every time.

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired import AngleEncoding
    >>> from qinspired.kernels import FidelityKernel
    >>> from qinspired.monitoring import KernelDriftDetector
    >>> rng = np.random.default_rng(0)
    >>> det = KernelDriftDetector(FidelityKernel(AngleEncoding(2)), random_state=0)
    >>> det = det.fit(rng.normal(0, 1, (60, 2)))
    >>> det.test(rng.normal(1.5, 1, (60, 2))).drift
    True
    """

    def __init__(self, kernel: Any, *, n_permutations: int = 500, alpha: float = 0.05,
                 random_state: Any = None) -> None:
        self.kernel = kernel
        self.n_permutations = n_permutations
        self.alpha = alpha
        self.random_state = random_state

    def _gram_fn(self) -> Callable[[np.ndarray, np.ndarray | None], np.ndarray]:
        k = self.kernel
        if hasattr(k, "states") and hasattr(k, "gram"):
            return lambda A, B: k.gram(k.states(A), None if B is None else k.states(B))
        if callable(k):
            return lambda A, B: np.asarray(k(A, A if B is None else B), dtype=float)
        raise ValueError(f"kernel must be a qinspired kernel or a callable k(X, Y), got "
                         f"{type(k).__name__}")

    def fit(self, X_ref: Any) -> "KernelDriftDetector":
        """Store the reference data (at least two points) and its Gram matrix."""
        X_ref = as_float_array(X_ref, "X_ref")
        if X_ref.ndim != 2 or X_ref.shape[0] < 2:
            raise ValueError(f"X_ref must be 2-D with at least 2 rows, got shape {X_ref.shape}")
        check_int("KernelDriftDetector", "n_permutations", self.n_permutations, 1)
        alpha = check_real("KernelDriftDetector", "alpha", self.alpha, positive=True)
        if alpha >= 1:
            raise ValueError(f"KernelDriftDetector: alpha={alpha} must be in (0, 1)")
        self.seed_, self.key_ = fit_key(self.random_state)
        self.X_ref_ = X_ref
        self.K_ref_ = self._gram_fn()(X_ref, None)
        self.n_tests_ = 0
        return self

    def test(self, X: Any) -> DriftResult:
        """Test a new batch (at least two points) against the reference data."""
        if not hasattr(self, "X_ref_"):
            raise ValueError("KernelDriftDetector is not fitted; call fit(X_ref) first")
        X = as_float_array(X, "X")
        if X.ndim != 2 or X.shape[0] < 2 or X.shape[1] != self.X_ref_.shape[1]:
            raise ValueError(f"X must have shape (>= 2, {self.X_ref_.shape[1]}), got {X.shape}")
        gram = self._gram_fn()
        K_xy = gram(self.X_ref_, X)
        K_yy = gram(X, None)
        K = np.block([[self.K_ref_, K_xy], [K_xy.T, K_yy]])
        m, n = len(self.X_ref_), len(X)
        key = jax.random.fold_in(self.key_, self.n_tests_)
        self.n_tests_ += 1
        observed, null = _permutation_stats(jnp.asarray(K, jnp.float32), key, m, n,
                                            int(self.n_permutations))
        observed, null = float(observed), np.asarray(null)
        p = (1 + int(np.sum(null >= observed))) / (1 + len(null))
        return DriftResult(mmd2=observed, p_value=p, drift=p < float(self.alpha),
                           alpha=float(self.alpha), n_permutations=len(null))


@dataclass(frozen=True)
class NoiseSensitivity:
    """Accuracy and kernel concentration of a model as the noise grows.

    Attributes
    ----------
    noise_levels : ndarray
    scores : ndarray
        Test score (``model.score``) at each level.
    concentration_mean, concentration_var : ndarray
        Mean and variance of the off-diagonal training-Gram entries at each
        level (NaN for models without a kernel).
    """

    noise_levels: np.ndarray
    scores: np.ndarray
    concentration_mean: np.ndarray
    concentration_var: np.ndarray

    def as_table(self) -> str:
        """A markdown table of the report."""
        rows = ["| noise | score | kernel mean | kernel var |", "|---|---|---|---|"]
        for p, s, mu, var in zip(self.noise_levels, self.scores, self.concentration_mean,
                                 self.concentration_var):
            rows.append(f"| {p:.4g} | {s:.4f} | {mu:.4g} | {var:.3g} |")
        return "\n".join(rows)


def _default_noise(p: float) -> Any:
    from qinspired.circuits import NoiseModel, channels

    return NoiseModel().add_all_qubit(channels.Depolarizing(p))


def noise_sensitivity(model: Any, X_train: Any, y_train: Any, X_test: Any, y_test: Any,
                      noise_levels: Sequence[float], *, noise_param: str = "kernel__noise",
                      noise_factory: Callable[[float], Any] | None = None) -> NoiseSensitivity:
    """Refit a true-circuit model under each noise level and score it.

    Parameters
    ----------
    model : estimator
        A model with a noise parameter (e.g. ``QuantumKernelSVC`` with a
        kernel: ``noise_param="kernel__noise"``), or a pipeline ending in one;
        it is cloned, never changed.
    X_train, y_train, X_test, y_test : array_like
    noise_levels : sequence of float
        Noise strengths ``p``; 0 means noiseless.
    noise_param : str, default "kernel__noise"
        The (nested) parameter that takes the noise model.
    noise_factory : callable, optional
        ``p -> NoiseModel``; default: a depolarizing channel of strength ``p``
        on every wire of every gate.

    Returns
    -------
    NoiseSensitivity
    """
    from sklearn.base import clone

    from qinspired.kernels.diagnostics import kernel_concentration

    levels = np.asarray([check_real("noise_sensitivity", "noise level", p) for p in noise_levels])
    factory = noise_factory or _default_noise
    scores, means, variances = [], [], []
    for p in levels:
        est = clone(model).set_params(**{noise_param: None if p == 0 else factory(float(p))})
        est.fit(X_train, y_train)
        scores.append(est.score(X_test, y_test))
        final = est[-1] if hasattr(est, "steps") else est
        kernel = getattr(final, "kernel_", None)
        if kernel is not None and hasattr(final, "train_states_"):
            conc = kernel_concentration(kernel.gram(final.train_states_))
            means.append(conc.mean)
            variances.append(conc.variance)
        else:
            means.append(np.nan)
            variances.append(np.nan)
    return NoiseSensitivity(levels, np.asarray(scores), np.asarray(means), np.asarray(variances))
