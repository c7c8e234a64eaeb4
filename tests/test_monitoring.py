"""Drift detection by kernel MMD with a permutation test."""

from __future__ import annotations

import numpy as np
import pytest

from qinspired import AngleEncoding
from qinspired.kernels import FidelityKernel
from qinspired.monitoring import KernelDriftDetector


def _rbf(A, B):
    d = np.sum(A**2, 1)[:, None] + np.sum(B**2, 1)[None, :] - 2 * A @ B.T
    return np.exp(-0.5 * d)


def _mmd2_unbiased(X, Y, k):
    """Gretton et al. (2012) Lemma 6, written out with explicit loops over the pairs."""
    m, n = len(X), len(Y)
    Kxx, Kyy, Kxy = k(X, X), k(Y, Y), k(X, Y)
    sxx = sum(Kxx[i, j] for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    syy = sum(Kyy[i, j] for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    return sxx + syy - 2 * Kxy.mean()


def test_statistic_is_the_unbiased_mmd():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(0, 1, (15, 2)), rng.normal(0.5, 1, (12, 2))
    res = KernelDriftDetector(_rbf, n_permutations=50, random_state=0).fit(X).test(Y)
    assert res.mmd2 == pytest.approx(_mmd2_unbiased(X, Y, _rbf), abs=1e-6)


def test_no_drift_on_a_split_of_one_sample_and_drift_on_a_shifted_one():
    rng = np.random.default_rng(1)
    data = rng.uniform(0, 2, (120, 2))
    det = KernelDriftDetector(FidelityKernel(AngleEncoding(2)), random_state=0).fit(data[:60])
    same = det.test(data[60:])
    assert same.p_value > 0.05 and not same.drift
    shifted = det.test(data[60:] + 0.8)
    assert shifted.p_value < 0.01 and shifted.drift


def test_false_positive_rate_is_calibrated():
    # Under no drift the permutation p-value is (super-)uniform: P(p < alpha) <= alpha.
    rng = np.random.default_rng(2)
    hits, reps = 0, 60
    for seed in range(reps):
        data = rng.normal(0, 1, (60, 2))
        det = KernelDriftDetector(_rbf, n_permutations=200, random_state=seed).fit(data[:30])
        hits += det.test(data[30:]).drift
    # Binomial(60, 0.05): mean 3, P(X >= 9) < 0.005.
    assert hits <= 8


def test_seeded_p_values_repeat():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(0, 1, (20, 2)), rng.normal(0.2, 1, (20, 2))
    p1 = KernelDriftDetector(_rbf, random_state=5).fit(X).test(Y).p_value
    p2 = KernelDriftDetector(_rbf, random_state=5).fit(X).test(Y).p_value
    assert p1 == p2


def test_bad_input():
    det = KernelDriftDetector(_rbf)
    with pytest.raises(ValueError, match="not fitted"):
        det.test(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="at least 2"):
        det.fit(np.zeros((1, 2)))
    det.fit(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="shape"):
        det.test(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="alpha"):
        KernelDriftDetector(_rbf, alpha=1.5).fit(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="kernel"):
        KernelDriftDetector("rbf").fit(np.zeros((5, 2)))
