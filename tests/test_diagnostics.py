"""Tests of qinspired.kernels.diagnostics against hand-derived values.

Every expected number is worked out from the definitions for matrices whose
spectra or entries are known in closed form (identity, rank-one, projectors,
diagonal matrices, Haar-random states), or computed by SciPy's general matrix
functions (``sqrtm``, ``inv``, the spectral norm) as an independent route.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from scipy.linalg import sqrtm

import qinspired.kernels.diagnostics as diagnostics_module
from qinspired.kernels.diagnostics import (
    KernelConcentration,
    effective_dimension,
    geometric_difference,
    kernel_concentration,
    kernel_target_alignment,
)


def _random_psd(rng, n, rank=None, ridge=0.1):
    a = rng.normal(size=(n, rank or n))
    return a @ a.T + ridge * np.eye(n)


def _projector(rng, n, r):
    q, _ = np.linalg.qr(rng.normal(size=(n, r)))
    return q @ q.T


# ----------------------------------------------------------------- concentration
def test_concentration_closed_forms():
    assert kernel_concentration(np.eye(5)) == KernelConcentration(0.0, 0.0)
    c = 0.3
    mean, var = kernel_concentration((1 - c) * np.eye(4) + c * np.ones((4, 4)))
    assert mean == pytest.approx(c) and var == pytest.approx(0.0, abs=1e-15)
    a, b = 0.8, 0.2  # off-diagonal {a, b}: mean (a+b)/2, variance ((a-b)/2)^2
    mean, var = kernel_concentration([[1.0, a], [b, 1.0]])
    assert mean == pytest.approx(0.5) and var == pytest.approx(0.09)


def test_concentration_of_haar_random_fidelities():
    """|<psi|phi>|^2 of Haar states in dimension d: mean 1/d, variance (d-1)/(d^2 (d+1))."""
    rng = np.random.default_rng(0)
    d, n = 16, 150
    psi = rng.normal(size=(n, d)) + 1j * rng.normal(size=(n, d))
    psi /= np.linalg.norm(psi, axis=1, keepdims=True)
    mean, var = kernel_concentration(np.abs(psi.conj() @ psi.T) ** 2)
    assert mean == pytest.approx(1 / d, rel=0.05)
    assert var == pytest.approx((d - 1) / (d**2 * (d + 1)), rel=0.15)


def test_concentration_errors():
    with pytest.raises(ValueError, match="at least 2 x 2"):
        kernel_concentration([[1.0]])
    with pytest.raises(ValueError, match="square"):
        kernel_concentration(np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        kernel_concentration([[1.0, np.nan], [0.0, 1.0]])


# ----------------------------------------------------------------- alignment
@pytest.mark.parametrize("n", [4, 7])
def test_alignment_of_identity_with_binary_labels(n):
    y = np.where(np.arange(n) % 3 == 0, 1, -1)
    # <I, yy^T> = n, ||I|| = sqrt(n), ||yy^T|| = n
    assert kernel_target_alignment(np.eye(n), y, centered=False) == pytest.approx(n**-0.5)
    # HIH = H: <H, Hyy^TH> = y^T H y = ||Hyy^TH||_F and ||H||_F = sqrt(n - 1)
    assert kernel_target_alignment(np.eye(n), y) == pytest.approx((n - 1) ** -0.5)


def test_alignment_of_identity_with_distinct_labels():
    # Y = 1.5 I - 0.5 11^T: <I, Y> = 3, ||Y||^2 = 3 + 6/4; centred, HYH = 1.5 H
    y = ["a", "b", "c"]
    assert kernel_target_alignment(np.eye(3), y, centered=False) == pytest.approx(
        3 / np.sqrt(3 * 4.5))
    assert kernel_target_alignment(np.eye(3), y) == pytest.approx(1.0)


def test_alignment_of_rank_one_kernel():
    rng = np.random.default_rng(1)
    v = rng.normal(size=8)
    y = np.array([1, 1, -1, 1, -1, -1, -1, 1])
    K = np.outer(v, v)
    assert kernel_target_alignment(K, y, centered=False) == pytest.approx(
        (v @ y) ** 2 / (v @ v * 8))
    hv, hy = v - v.mean(), y - y.mean()
    assert kernel_target_alignment(K, y) == pytest.approx(
        (hv @ hy) ** 2 / ((hv @ hv) * (hy @ hy)))


def test_alignment_of_ideal_kernels():
    y = np.array([0, 0, 1, 1, 1, 2])
    ideal = np.where(y[:, None] == y[None, :], 1.0, -0.5)  # simplex codes of 3 classes
    assert kernel_target_alignment(ideal, y, centered=False) == pytest.approx(1.0)
    assert kernel_target_alignment(ideal + 2.0, y) == pytest.approx(1.0)
    assert kernel_target_alignment(ideal + 2.0, y, centered=False) < 0.9


def test_alignment_invariances():
    """Scaling K and recoding the labels (0/1, -1/+1, strings) change nothing."""
    rng = np.random.default_rng(2)
    K = _random_psd(rng, 9, rank=3)
    y01 = rng.integers(0, 2, 9)
    y01[:2] = [0, 1]
    for centered in (True, False):
        values = [
            kernel_target_alignment(s * K, labels, centered=centered)
            for s in (1.0, 7.5)
            for labels in (y01, 2 * y01 - 1, np.where(y01 == 1, "pos", "neg"))
        ]
        assert max(values) - min(values) < 1e-12
        assert -1.0 <= values[0] <= 1.0


def test_alignment_errors():
    K = np.eye(4)
    with pytest.raises(ValueError, match="y has 3 labels but K is 4 x 4"):
        kernel_target_alignment(K, [0, 1, 0])
    with pytest.raises(ValueError, match="single class"):
        kernel_target_alignment(K, [1, 1, 1, 1])
    with pytest.raises(ValueError, match="symmetric"):
        kernel_target_alignment(np.triu(np.ones((4, 4))), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="square"):
        kernel_target_alignment(np.ones((4, 3)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="NaN"):
        kernel_target_alignment(np.full((2, 2), np.inf), [0, 1])
    with pytest.raises(ValueError, match="zero Frobenius norm"):
        kernel_target_alignment(np.ones((4, 4)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="centered"):
        kernel_target_alignment(K, [0, 1, 0, 1], centered="yes")


# ----------------------------------------------------------------- geometric difference
def test_geometric_difference_of_equal_kernels_is_one():
    K = _random_psd(np.random.default_rng(3), 12)
    assert geometric_difference(K, K) == pytest.approx(1.0, abs=1e-9)
    assert geometric_difference(K, 4.0 * K) == pytest.approx(1.0, abs=1e-9)


def test_geometric_difference_of_diagonal_kernels():
    q, c = np.array([4.0, 1.0, 2.0, 1.0]), np.array([1.0, 1.0, 3.0, 3.0])
    qn, cn = 4 * q / q.sum(), 4 * c / c.sum()  # trace-N normalisation
    assert geometric_difference(np.diag(q), np.diag(c)) == pytest.approx(np.sqrt(max(qn / cn)))
    lam = 0.3
    expected = np.sqrt(max(qn * cn / (cn + lam) ** 2))
    assert geometric_difference(np.diag(q), np.diag(c), lam) == pytest.approx(expected)


def test_geometric_difference_against_scipy_matrix_functions():
    rng = np.random.default_rng(4)
    n = 10
    kq, kc = _random_psd(rng, n, rank=4, ridge=0.0), _random_psd(rng, n)
    kq_n, kc_n = n * kq / np.trace(kq), n * kc / np.trace(kc)
    sq = np.real(sqrtm(kq_n))
    expected = np.sqrt(np.linalg.norm(sq @ np.linalg.inv(kc_n) @ sq, 2))
    assert geometric_difference(kq, kc) == pytest.approx(expected, rel=1e-6)
    lam = 0.05
    sc = np.real(sqrtm(kc_n))
    r = np.linalg.inv(kc_n + lam * np.eye(n))
    expected = np.sqrt(np.linalg.norm(sq @ sc @ r @ r @ sc @ sq, 2))
    assert geometric_difference(kq, kc, regularization=lam) == pytest.approx(expected, rel=1e-6)
    assert geometric_difference(kq, kc) >= 1.0 - 1e-12  # equal traces


def test_geometric_difference_errors():
    rng = np.random.default_rng(5)
    K = _random_psd(rng, 5)
    singular = _random_psd(rng, 5, rank=2, ridge=0.0)
    with pytest.raises(ValueError, match="singular.*regularization > 0"):
        geometric_difference(K, singular)
    assert np.isfinite(geometric_difference(K, singular, regularization=1e-3))
    with pytest.raises(ValueError, match="same data"):
        geometric_difference(K, np.eye(4))
    with pytest.raises(ValueError, match="regularization=-0.1 must be >= 0"):
        geometric_difference(K, K, regularization=-0.1)
    with pytest.raises(ValueError, match="trace"):
        geometric_difference(np.zeros((5, 5)), K)
    with pytest.raises(ValueError, match="K_classical must be symmetric"):
        geometric_difference(K, np.triu(K))


# ----------------------------------------------------------------- effective dimension
def test_effective_dimension_of_identity_and_rank_one():
    assert effective_dimension(np.eye(6)) == pytest.approx(6.0)
    assert effective_dimension(np.eye(6), regularization=0.5) == pytest.approx(6 / 1.5)
    v = np.random.default_rng(6).normal(size=6)
    assert effective_dimension(np.outer(v, v)) == pytest.approx(1.0)


@pytest.mark.parametrize("r", [1, 2, 5])
def test_effective_dimension_of_projector(r):
    n, lam = 8, 0.7
    P = _projector(np.random.default_rng(r), n, r)
    # trace-N eigenvalues: N/r (r times), then 0; the tail mean for k <= r is
    # (r - k + 1) (N / r) / (N - k + 1)
    huang = sum((r - k + 1) * (n / r) / (n - k + 1) for k in range(1, r + 1))
    assert effective_dimension(P) == pytest.approx(huang)
    assert effective_dimension(P, regularization=lam) == pytest.approx(r * n / (n + r * lam))


def test_effective_dimension_hand_example_and_scale():
    # eigenvalues (3, 1) -> trace-2 (1.5, 0.5): mean(1.5, 0.5) + mean(0.5) = 1.5
    assert effective_dimension(np.diag([3.0, 1.0])) == pytest.approx(1.5)
    K = _random_psd(np.random.default_rng(7), 7, rank=3)
    for reg in (None, 0.2):
        assert effective_dimension(9.0 * K, reg) == pytest.approx(effective_dimension(K, reg))
        assert 0.0 <= effective_dimension(K, reg) <= 7.0


def test_effective_dimension_errors():
    with pytest.raises(ValueError, match="regularization=0.0 must be a finite number > 0"):
        effective_dimension(np.eye(3), regularization=0.0)
    with pytest.raises(ValueError, match="trace"):
        effective_dimension(-np.eye(3))
    with pytest.raises(ValueError, match="square"):
        effective_dimension(np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        effective_dimension(np.diag([1.0, np.nan]))


def test_docstring_examples():
    result = doctest.testmod(diagnostics_module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
