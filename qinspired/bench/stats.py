"""Statistics for benchmark tables: confidence intervals and paired comparisons."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

_DECIMALS = 9
"""Paired differences are compared after rounding to this many decimals."""

__all__ = ["PairedComparison", "holm", "mean_ci", "paired_comparison", "sign_flip_pvalue"]


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    r"""Mean and half-width of its Student-t confidence interval.

    :math:`\bar v \pm t_{1-\alpha/2,\,n-1}\, s / \sqrt n`; the half-width is NaN
    for fewer than two values.
    """
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        raise ValueError("mean_ci needs at least one value")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence} must be in (0, 1)")
    mean = float(v.mean())
    if v.size < 2:
        return mean, float("nan")
    sem = float(v.std(ddof=1)) / np.sqrt(v.size)
    return mean, float(stats.t.ppf(0.5 + confidence / 2, v.size - 1) * sem)


@dataclass(frozen=True)
class PairedComparison:
    """A model against a reference on the same splits (one value per seed).

    Attributes
    ----------
    mean_difference : float
        Mean of ``model - reference``.
    t_pvalue : float
        Two-sided paired t-test p-value (NaN when undefined: fewer than two
        pairs or all differences equal).
    wilcoxon_pvalue : float
        Two-sided Wilcoxon signed-rank p-value (NaN when all differences are 0
        or there are fewer than two pairs).
    n_pairs : int
    pvalue : float
        The p-value the report uses: the t-test's where it is defined, otherwise
        the exact sign-flip test's (:func:`sign_flip_pvalue`), which is defined
        when the difference is the same on every seed (1 when it is 0 on every
        seed); NaN for fewer than two pairs.
    test : str
        ``"t"`` or ``"sign-flip"``: which test gave ``pvalue``.
    """

    mean_difference: float
    t_pvalue: float
    wilcoxon_pvalue: float
    n_pairs: int
    pvalue: float = float("nan")
    test: str = "t"


def paired_comparison(model: Sequence[float], reference: Sequence[float]) -> PairedComparison:
    """Paired t-test and Wilcoxon signed-rank test of ``model`` against ``reference``."""
    a, b = np.asarray(model, dtype=float), np.asarray(reference, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired values need equal 1-D shapes, got {a.shape} and {b.shape}")
    # Accuracies are fractions k / n_test: differences that agree to rounding are equal
    # (0.9 - 0.8 and 0.8 - 0.7 differ in the last bit, which gives the t-test p ~ 1e-31).
    diff = np.round(a - b, _DECIMALS)
    t_p = w_p = float("nan")
    if a.size >= 2 and np.ptp(diff) > 0:
        t_p = float(stats.ttest_rel(a, b).pvalue)
    if a.size >= 2 and np.any(diff != 0):
        w_p = float(stats.wilcoxon(a, b).pvalue)
    p, test = t_p, "t"
    if math.isnan(t_p) and a.size >= 2:
        p, test = sign_flip_pvalue(diff), "sign-flip"
    return PairedComparison(float(diff.mean()) if diff.size else float("nan"), t_p, w_p,
                            int(a.size), p, test)


def sign_flip_pvalue(differences: Sequence[float]) -> float:
    r"""Exact two-sided sign-flip (paired permutation) test of a zero mean difference.

    Under the null hypothesis each paired difference is as likely to have either
    sign; the p-value is the fraction of the :math:`2^n` sign patterns whose mean
    is at least as far from 0 as the observed one. With :math:`n` equal non-zero
    differences it is :math:`2 / 2^n` (the smallest possible); with all
    differences 0 it is 1.
    """
    d = np.asarray(differences, dtype=float)
    if d.ndim != 1 or not 1 <= d.size <= 20:
        raise ValueError(f"sign_flip_pvalue needs 1 to 20 differences, got shape {d.shape}")
    signs = 1 - 2 * ((np.arange(2 ** d.size)[:, None] >> np.arange(d.size)) & 1)
    means = np.abs(signs @ d) / d.size
    return float(np.mean(means >= abs(d.mean()) - 1e-12))


def holm(pvalues: Sequence[float]) -> list[float]:
    r"""Holm's step-down adjustment of p-values for multiple comparisons.

    With the :math:`m` defined p-values sorted, :math:`p_{(1)} \le \dots \le p_{(m)}`,
    the adjusted values are
    :math:`\tilde p_{(i)} = \min(1, \max_{j \le i} (m - j + 1)\, p_{(j)})`;
    rejecting where :math:`\tilde p < \alpha` controls the family-wise error rate
    at :math:`\alpha` (Holm 1979). NaN entries stay NaN and do not count in
    :math:`m`.
    """
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"holm needs a 1-D sequence of p-values, got shape {p.shape}")
    out = np.full(p.shape, np.nan)
    defined = np.flatnonzero(~np.isnan(p))
    if np.any((p[defined] < 0) | (p[defined] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    m = defined.size
    order = defined[np.argsort(p[defined], kind="stable")]
    running = 0.0
    for rank, idx in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[idx]))
        out[idx] = running
    return [float(v) for v in out]
