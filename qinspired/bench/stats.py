"""Statistics for benchmark tables: confidence intervals and paired comparisons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

__all__ = ["PairedComparison", "mean_ci", "paired_comparison"]


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
    """

    mean_difference: float
    t_pvalue: float
    wilcoxon_pvalue: float
    n_pairs: int


def paired_comparison(model: Sequence[float], reference: Sequence[float]) -> PairedComparison:
    """Paired t-test and Wilcoxon signed-rank test of ``model`` against ``reference``."""
    a, b = np.asarray(model, dtype=float), np.asarray(reference, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired values need equal 1-D shapes, got {a.shape} and {b.shape}")
    diff = a - b
    t_p = w_p = float("nan")
    if a.size >= 2 and np.ptp(diff) > 0:
        t_p = float(stats.ttest_rel(a, b).pvalue)
    if a.size >= 2 and np.any(diff != 0):
        w_p = float(stats.wilcoxon(a, b).pvalue)
    return PairedComparison(float(diff.mean()) if diff.size else float("nan"), t_p, w_p,
                            int(a.size))
