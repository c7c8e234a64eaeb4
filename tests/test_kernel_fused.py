"""The one-program Gram path of small statevector kernels (qinspired.kernels._fused)
against dense NumPy states, and the rules that route a call to it or away from it."""

from __future__ import annotations

import numpy as np
import pytest

from _dense import dense_unitary
from qinspired.circuits import Circuit, feature
from qinspired.feature_maps import ZZFeatureMap
from qinspired.kernels import FidelityKernel
from qinspired.kernels import _fused

RNG = np.random.default_rng(3)


def dense_gram(circuit, X, Y) -> np.ndarray:
    """``|<psi(x)|psi(y)>|^2`` from textbook-matrix products in complex128."""
    def states(data):
        return np.stack([dense_unitary(circuit, x)[:, 0] for x in data])
    a, b = states(X), states(Y)
    return np.abs(a.conj() @ b.T) ** 2


@pytest.fixture
def calls(monkeypatch):
    """Counts the calls that the fused program answers."""
    seen = []
    original = _fused.fused_gram

    def counting(*args, **kwargs):
        out = original(*args, **kwargs)
        seen.append(out is not None)
        return out

    monkeypatch.setattr(_fused, "fused_gram", counting)
    return seen


@pytest.mark.parametrize("entanglement", ["linear", "full"])
def test_symmetric_gram_equals_dense_states_and_is_exactly_symmetric(calls, entanglement):
    fm = ZZFeatureMap(4, reps=2, entanglement=entanglement, feature_scale=1.0)
    X = RNG.uniform(0, np.pi, (37, 4))
    K = FidelityKernel(fm)(X)
    assert calls == [True]
    np.testing.assert_allclose(K, dense_gram(fm.circuit, X, X), atol=2e-6)
    np.testing.assert_array_equal(K, K.T)
    assert K.dtype == np.float64 and K.shape == (37, 37)


def test_symmetric_gram_of_many_points_in_two_halves_equals_dense_states(calls):
    fm = ZZFeatureMap(3, reps=2, entanglement="full", feature_scale=1.0)
    X = RNG.uniform(0, np.pi, (270, 3))  # padded to 272 rows: two halves of 136
    K = FidelityKernel(fm)(X)
    assert calls == [True]
    np.testing.assert_allclose(K, dense_gram(fm.circuit, X, X), atol=4e-6)
    np.testing.assert_array_equal(K, K.T)


def test_two_sets_equal_dense_states(calls):
    fm = ZZFeatureMap(3, reps=2, entanglement="full", feature_scale=1.0)
    X, Y = RNG.uniform(0, np.pi, (11, 3)), RNG.uniform(0, np.pi, (29, 3))
    K = FidelityKernel(fm)(X, Y)
    assert calls == [True]
    np.testing.assert_allclose(K, dense_gram(fm.circuit, X, Y), atol=2e-6)


def test_fused_and_chunked_paths_agree_for_a_fitted_auto_scaled_map(calls, monkeypatch):
    X = RNG.normal(3.0, 5.0, (50, 5))
    Y = RNG.normal(3.0, 5.0, (20, 5))
    k = FidelityKernel(ZZFeatureMap(5)).fit(X)
    fused = k(X), k(Y, X)
    monkeypatch.setattr(_fused, "MAX_ROWS", 0)
    chunked = k(X), k(Y, X)
    assert calls == [True, True]
    for a, b in zip(fused, chunked):
        np.testing.assert_allclose(a, b, atol=2e-6)


def test_a_circuit_of_layers_and_diagonal_runs_equals_dense_states(calls):
    circ = Circuit(3, [("ry", 0, feature(0)), ("ry", 1, feature(1)), ("cz", (0, 1)),
                       ("crz", (2, 0), feature(2)), ("rx", 2, feature(1)), ("h", 1),
                       ("cx", (1, 2)), ("rz", 2, feature(0)), ("cx", (1, 2)), ("sx", 0)])
    X = RNG.uniform(-2, 2, (15, 3))
    K = FidelityKernel(circ)(X)
    assert calls == [True]
    np.testing.assert_allclose(K, dense_gram(circ, X, X), atol=2e-6)


def test_circuits_of_the_pair_scan_keep_one_compile_per_structure(calls):
    circ = Circuit(3, [("ry", 0, feature(0)), ("rxx", (0, 1), feature(1)),
                       ("ryy", (1, 2), feature(2))])
    X = RNG.uniform(-2, 2, (9, 3))
    K = FidelityKernel(circ)(X)
    assert calls == []
    np.testing.assert_allclose(K, dense_gram(circ, X, X), atol=2e-6)


@pytest.mark.parametrize("options", [{"shots": 100, "random_state": 0},
                                     {"mitigation": "depolarizing"},
                                     {"backend": "mps", "bond_dim": 2}])
def test_other_configurations_take_the_chunked_path(calls, options):
    FidelityKernel(ZZFeatureMap(3, feature_scale=1.0), **options)(RNG.uniform(0, 1, (10, 3)))
    assert calls == []


def test_large_problems_and_out_arrays_take_the_chunked_path(calls, tmp_path):
    k = FidelityKernel(ZZFeatureMap(2, feature_scale=1.0))
    k(RNG.uniform(0, 1, (_fused.MAX_ROWS + 1, 2)))
    out = np.zeros((10, 10))
    k(RNG.uniform(0, 1, (10, 2)), out=out)
    assert calls == [] and out[0, 0] == pytest.approx(1.0, abs=1e-6)


def test_psd_repair_applies_on_the_fused_path(calls):
    X = RNG.uniform(0, np.pi, (20, 3))
    K = FidelityKernel(ZZFeatureMap(3, feature_scale=1.0), psd_repair=True)(X)
    assert calls == [True]
    assert np.linalg.eigvalsh(K).min() >= -1e-12


def test_overflow_still_gets_the_clear_error(calls):
    X = np.full((4, 2), 1e30)
    with pytest.raises(ValueError, match="not finite although the input is"):
        FidelityKernel(ZZFeatureMap(2, feature_scale=1.0))(X)
    assert calls == [False]


def test_an_invalid_tile_size_is_refused_on_the_fused_path():
    with pytest.raises(ValueError, match="tile_size"):
        FidelityKernel(ZZFeatureMap(2, feature_scale=1.0), tile_size=0)(np.zeros((3, 2)))


def test_gram_of_kept_states_takes_the_one_program_product(monkeypatch):
    # The estimators keep their training states and call gram(): the same products.
    seen = []
    original = _fused.gram_of_states
    monkeypatch.setattr(_fused, "gram_of_states",
                        lambda *a: seen.append(True) or original(*a))
    fm = ZZFeatureMap(4, reps=2, entanglement="full", feature_scale=1.0)
    k = FidelityKernel(fm)
    X, Y = RNG.uniform(0, np.pi, (300, 4)), RNG.uniform(0, np.pi, (7, 4))
    sx, sy = k.states(X).to_numpy(), k.states(Y)
    K, K_xy = k.gram(sx), k.gram(sy, sx)
    assert seen == [True, True]
    np.testing.assert_allclose(K, dense_gram(fm.circuit, X, X), atol=4e-6)
    np.testing.assert_allclose(K_xy, dense_gram(fm.circuit, Y, X), atol=2e-6)
    np.testing.assert_array_equal(K, K.T)


def test_svc_fit_and_predict_match_the_chunked_path(monkeypatch):
    from qinspired.estimators import QuantumKernelSVC

    X = RNG.normal(size=(60, 3))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    fast = QuantumKernelSVC(FidelityKernel(ZZFeatureMap(3))).fit(X, y)
    monkeypatch.setattr(_fused, "MAX_ROWS", 0)
    slow = QuantumKernelSVC(FidelityKernel(ZZFeatureMap(3))).fit(X, y)
    # The Gram matrices differ by float32 rounding (1e-6); libsvm stops at tol=1e-3, so
    # the decision functions agree to a few 1e-3 and the labels wherever the margin is wider.
    margin = slow.decision_function(X)
    np.testing.assert_allclose(fast.decision_function(X), margin, atol=5e-3)
    clear = np.abs(margin) > 5e-3
    assert clear.sum() >= 50
    np.testing.assert_array_equal(fast.predict(X)[clear], slow.predict(X)[clear])
