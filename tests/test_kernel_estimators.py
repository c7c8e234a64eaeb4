"""Tests of the quantum-kernel estimators (qinspired.estimators.kernel_models).

References are built independently of the estimators: Gram matrices from
``qinspired.circuits.statevector`` overlaps computed with NumPy, the closed form
``prod_q cos^2((x_q - y_q) / 2)`` of the RY angle encoding, one-qubit reduced
density matrices by partial trace for the projected kernel, and scikit-learn's
own models on ``kernel="precomputed"``.
"""

from __future__ import annotations

import pickle
from typing import ClassVar

import cloudpickle
import jax
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_breast_cancer
from sklearn.decomposition import PCA, KernelPCA
from sklearn.kernel_ridge import KernelRidge
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.utils.estimator_checks import parametrize_with_checks

from qinspired.circuits import statevector
from qinspired.estimators.kernel_models import (
    QuantumKernelPCA,
    QuantumKernelRidge,
    QuantumKernelSVC,
    QuantumKernelSVR,
)
from qinspired.feature_maps import AngleEncoding, ZZFeatureMap
from qinspired.kernels import FidelityKernel, ProjectedKernel

ESTIMATORS = [QuantumKernelSVC, QuantumKernelSVR, QuantumKernelRidge, QuantumKernelPCA]


# -- independent references ---------------------------------------------------------------


def angle_gram(A: np.ndarray, B: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Closed-form fidelity kernel of the RY angle encoding."""
    diff = scale * (A[:, None, :] - B[None, :, :])
    return np.prod(np.cos(diff / 2) ** 2, axis=-1)


def statevector_gram(feature_map, A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``|psi(a_i)^H psi(b_j)|^2`` from exact statevectors, with NumPy."""
    psi_a = np.asarray(statevector(feature_map, A), dtype=np.complex128)
    psi_b = np.asarray(statevector(feature_map, B), dtype=np.complex128)
    return np.abs(psi_a.conj() @ psi_b.T) ** 2


def bloch_features(feature_map, X: np.ndarray) -> np.ndarray:
    """``(<X_q>, <Y_q>, <Z_q>)`` of every qubit by partial trace of the exact state."""
    psi = np.asarray(statevector(feature_map, X), dtype=np.complex128)
    n = int(np.log2(psi.shape[1]))
    paulis = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1, -1])]
    out = []
    for state in psi.reshape(len(X), *([2] * n)):
        row = []
        for q in range(n):
            t = np.moveaxis(state, q, 0).reshape(2, -1)
            rho = t @ t.conj().T
            row += [np.real(np.trace(rho @ p)) for p in paulis]
        out.append(row)
    return np.array(out)


def projected_gram(feature_map, A, B, gamma):
    ra, rb = bloch_features(feature_map, A), bloch_features(feature_map, B)
    sq = np.sum((ra[:, None, :] - rb[None, :, :]) ** 2, axis=-1)
    return np.exp(-gamma * 0.5 * sq)


def three_class_data(n_features: int, n: int = 60, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, np.pi, (n, n_features))
    score = np.sin(X[:, 0]) + 0.5 * np.cos(X[:, 1])
    y = np.where(score > 1.1, "high", np.where(score > 0.4, "mid", "low"))
    return X[:45], y[:45], X[45:], y[45:]


# libsvm stops at `tol`; Gram matrices of few-qubit maps are rank deficient, so a 1e-16
# difference can change the solver's path: compare solutions converged far below tol=1e-3.
TOL = 1e-10


# -- scikit-learn's estimator checks ------------------------------------------------------

_LIBSVM_WEIGHTS = ("libsvm scales C by the sample weight, which is not equivalent to "
                   "repeating samples (xfailed for sklearn.svm.SVC/SVR too)")
_THIRTY_QUBITS = ("the check fits 30 features: the default kernel (exact statevectors of "
                  "ZZFeatureMap(30)) needs 2**30 amplitudes per point and raises "
                  "SimulationTooLargeError; test_ridge_sample_weight_equals_repetition "
                  "covers the property on a small kernel")


def _expected_failures(estimator) -> dict[str, str]:
    failures = {"check_sample_weight_equivalence_on_dense_data": _THIRTY_QUBITS}
    if isinstance(estimator, (QuantumKernelSVC, QuantumKernelSVR)):
        failures["check_sample_weight_equivalence_on_dense_data"] += "; also " + _LIBSVM_WEIGHTS
    return failures


@parametrize_with_checks([E() for E in ESTIMATORS], expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    # In float64: the checks compare predictions of subsets and permutations of a batch at
    # rtol=1e-7, below the rounding of the default complex64 simulation (~3e-7).
    with jax.enable_x64(True):
        check(estimator)


# -- agreement with scikit-learn on hand-built Gram matrices -------------------------------


def test_svc_multiclass_matches_precomputed_svc_on_statevector_gram(x64):
    fm = ZZFeatureMap(3, reps=2, entanglement="linear", feature_scale=0.4)
    X, y, X_test, _ = three_class_data(3)
    clf = QuantumKernelSVC(FidelityKernel(fm), C=5.0, tol=TOL).fit(X, y)
    ref = SVC(kernel="precomputed", C=5.0, tol=TOL).fit(statevector_gram(fm, X, X), y)
    K_test = statevector_gram(fm, X_test, X)
    assert clf.classes_.tolist() == ["high", "low", "mid"]
    assert 0 < len(clf.support_) < len(X)  # prediction uses the support-vector columns only
    np.testing.assert_array_equal(clf.support_, ref.support_)
    np.testing.assert_array_equal(clf.predict(X_test), ref.predict(K_test))
    np.testing.assert_allclose(clf.decision_function(X_test), ref.decision_function(K_test),
                               atol=1e-8)
    assert clf.decision_function(X_test).shape == (len(X_test), 3)
    assert clf.score(X_test, ref.predict(K_test)) == 1.0


def test_svc_binary_matches_closed_form_angle_kernel(x64):
    rng = np.random.default_rng(1)
    X = rng.uniform(0, np.pi, (40, 3))
    y = np.where(np.cos(X[:, 0]) * np.sin(X[:, 2]) > 0, 7, -1)
    X_test = rng.uniform(0, np.pi, (12, 3))
    clf = QuantumKernelSVC(FidelityKernel(AngleEncoding(3, feature_scale=1.0)), C=3.0,
                           class_weight="balanced", tol=TOL)
    clf.fit(X, y)
    ref = SVC(kernel="precomputed", C=3.0, class_weight="balanced", tol=TOL)
    ref.fit(angle_gram(X, X), y)
    K_test = angle_gram(X_test, X)
    assert clf.train_states_.kind == "product"
    np.testing.assert_array_equal(clf.classes_, [-1, 7])
    np.testing.assert_array_equal(clf.predict(X_test), ref.predict(K_test))
    np.testing.assert_allclose(clf.decision_function(X_test), ref.decision_function(K_test),
                               atol=1e-8)


def test_svc_ovo_decision_shape_and_break_ties(x64):
    fm = AngleEncoding(2, feature_scale=1.0)
    X, y, X_test, _ = three_class_data(2)
    clf = QuantumKernelSVC(FidelityKernel(fm), decision_function_shape="ovo", tol=TOL).fit(X, y)
    ref = SVC(kernel="precomputed", decision_function_shape="ovo", tol=TOL)
    ref.fit(angle_gram(X, X), y)
    np.testing.assert_allclose(clf.decision_function(X_test),
                               ref.decision_function(angle_gram(X_test, X)), atol=1e-8)
    ties = QuantumKernelSVC(FidelityKernel(fm), break_ties=True, tol=TOL).fit(X, y)
    ref = SVC(kernel="precomputed", break_ties=True, tol=TOL).fit(angle_gram(X, X), y)
    np.testing.assert_array_equal(ties.predict(X_test), ref.predict(angle_gram(X_test, X)))


def test_svc_predict_proba_is_platt_scaling_of_the_svc(x64):
    fm = AngleEncoding(2, feature_scale=1.0)
    X, y, X_test, _ = three_class_data(2)
    assert not hasattr(QuantumKernelSVC(), "predict_proba")
    clf = QuantumKernelSVC(FidelityKernel(fm), C=2.0, probability=True, tol=TOL,
                           random_state=3).fit(X, y)
    assert clf.provenance_.seed == 3
    svc = SVC(kernel="precomputed", C=2.0, tol=TOL)
    folds = StratifiedKFold(5, shuffle=True, random_state=3)
    ref = CalibratedClassifierCV(svc, cv=folds, ensemble=False).fit(angle_gram(X, X), y)
    K_test = angle_gram(X_test, X)
    proba = clf.predict_proba(X_test)
    assert proba.shape == (len(X_test), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba, ref.predict_proba(K_test), atol=1e-8)
    np.testing.assert_allclose(clf.predict_log_proba(X_test), np.log(proba))
    plain = SVC(kernel="precomputed", C=2.0, tol=TOL).fit(angle_gram(X, X), y)
    np.testing.assert_array_equal(clf.predict(X_test), plain.predict(K_test))


def test_svr_matches_precomputed_svr_on_statevector_gram(x64):
    fm = ZZFeatureMap(2, reps=1, feature_scale=0.5)
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (40, 2))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2
    X_test = rng.uniform(-1, 1, (10, 2))
    reg = QuantumKernelSVR(FidelityKernel(fm), C=10.0, epsilon=0.05, tol=TOL).fit(X, y)
    ref = SVR(kernel="precomputed", C=10.0, epsilon=0.05, tol=TOL)
    ref.fit(statevector_gram(fm, X, X), y)
    assert 0 < len(reg.support_) < len(X)
    np.testing.assert_allclose(reg.predict(X_test),
                               ref.predict(statevector_gram(fm, X_test, X)), atol=1e-8)
    assert reg.score(X, y) > 0.9


def test_ridge_matches_closed_form_solution(x64):
    rng = np.random.default_rng(3)
    X = rng.uniform(0, np.pi, (30, 2))
    Y = np.stack([np.cos(X[:, 0]), np.sin(X[:, 0] + X[:, 1])], axis=1)
    X_test = rng.uniform(0, np.pi, (8, 2))
    reg = QuantumKernelRidge(FidelityKernel(AngleEncoding(2, feature_scale=0.8)), alpha=1e-2)
    reg.fit(X, Y)
    K = angle_gram(X, X, 0.8)
    dual = np.linalg.solve(K + 1e-2 * np.eye(len(X)), Y)
    np.testing.assert_allclose(reg.dual_coef_, dual, atol=1e-7)
    np.testing.assert_allclose(reg.predict(X_test), angle_gram(X_test, X, 0.8) @ dual, atol=1e-8)
    ref = KernelRidge(alpha=1e-2, kernel="precomputed").fit(K, Y[:, 0])
    single = clone(reg).fit(X, Y[:, 0]).predict(X_test)
    assert single.shape == (8,)
    np.testing.assert_allclose(single, ref.predict(angle_gram(X_test, X, 0.8)), atol=1e-8)


def test_ridge_sample_weight_equals_repetition(x64):
    rng = np.random.default_rng(4)
    X = rng.uniform(0, np.pi, (12, 2))
    y = np.cos(X[:, 0]) + X[:, 1]
    w = rng.integers(1, 4, size=12)
    kernel = FidelityKernel(AngleEncoding(2, feature_scale=1.0))
    weighted = QuantumKernelRidge(kernel, alpha=0.1).fit(X, y, sample_weight=w)
    repeated = QuantumKernelRidge(kernel, alpha=0.1).fit(np.repeat(X, w, axis=0),
                                                          np.repeat(y, w))
    X_test = rng.uniform(0, np.pi, (5, 2))
    np.testing.assert_allclose(weighted.predict(X_test), repeated.predict(X_test), atol=1e-8)


def test_kernel_pca_matches_precomputed_kernel_pca(x64):
    fm = ZZFeatureMap(3, reps=1, feature_scale=0.5)
    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, (30, 3))
    X_test = rng.uniform(-1, 1, (7, 3))
    pca = QuantumKernelPCA(FidelityKernel(fm), n_components=3)
    Z = pca.fit_transform(X)
    ref = KernelPCA(n_components=3, kernel="precomputed")
    Z_ref = ref.fit_transform(statevector_gram(fm, X, X))
    signs = np.sign(np.sum(Z * Z_ref, axis=0))
    np.testing.assert_allclose(Z, Z_ref * signs, atol=1e-8)
    np.testing.assert_allclose(pca.eigenvalues_, ref.eigenvalues_, rtol=1e-8)
    np.testing.assert_allclose(pca.transform(X_test),
                               ref.transform(statevector_gram(fm, X_test, X)) * signs, atol=1e-8)
    np.testing.assert_allclose(pca.transform(X), Z, atol=1e-8)
    assert pca.get_feature_names_out().tolist() == [f"quantumkernelpca{i}" for i in range(3)]


def test_projected_kernel_uses_scale_gamma_of_training_set(x64):
    fm = ZZFeatureMap(2, reps=1, feature_scale=0.7)
    rng = np.random.default_rng(6)
    X = rng.uniform(-1, 1, (25, 2))
    y = X[:, 0] * X[:, 1]
    X_test = rng.uniform(-1, 1, (6, 2)) * 3  # a different spread: gamma must not come from it
    kernel = ProjectedKernel(fm)
    reg = QuantumKernelRidge(kernel, alpha=0.1).fit(X, y)
    r = bloch_features(fm, X)
    frobenius_sq = 0.5 * np.sum((r[:, None] - r[None]) ** 2, axis=-1)  # sum_q |rho_q - rho_q'|^2
    gamma = 1.0 / (frobenius_sq.sum() / (len(X) * (len(X) - 1)))
    assert reg.kernel_.gamma_ == pytest.approx(gamma, rel=1e-8)
    assert not hasattr(kernel, "gamma_")
    dual = np.linalg.solve(projected_gram(fm, X, X, gamma) + 0.1 * np.eye(len(X)), y)
    np.testing.assert_allclose(reg.predict(X_test), projected_gram(fm, X_test, X, gamma) @ dual,
                               atol=1e-8)


def test_mps_kernel_at_full_bond_dimension_matches_statevector(x64):
    fm = ZZFeatureMap(4, reps=1, entanglement="linear", feature_scale=0.1)
    X, y, _, _ = three_class_data(4)
    X, y, X_test = X[:20], y[:20], X[20:40]  # one batch size: the MPS simulation compiles once
    clf = QuantumKernelSVC(FidelityKernel(fm, backend="mps", bond_dim=4), C=10.0, tol=TOL)
    clf.fit(X, y)
    assert clf.train_states_.kind == "mps"
    assert clf.train_states_.truncation_error.shape == (len(X),)
    ref = SVC(kernel="precomputed", C=10.0, tol=TOL).fit(statevector_gram(fm, X, X), y)
    K_test = statevector_gram(fm, X_test, X)
    assert len(clf.support_) < len(X)
    np.testing.assert_allclose(clf.decision_function(X_test), ref.decision_function(K_test),
                               atol=1e-7)


# -- behaviour -----------------------------------------------------------------------------


class CountingKernel(FidelityKernel):
    """A fidelity kernel that counts the data points it simulates."""

    simulated: ClassVar[list[int]] = []

    def states(self, X):
        CountingKernel.simulated.append(len(X))
        return super().states(X)


def test_prediction_simulates_only_the_test_points():
    X, y, X_test, _ = three_class_data(2)
    CountingKernel.simulated = []
    clf = QuantumKernelSVC(CountingKernel(AngleEncoding(2))).fit(X, y)
    assert CountingKernel.simulated == [len(X)]
    CountingKernel.simulated = []
    clf.predict(X_test)
    clf.decision_function(X_test[:3])
    assert CountingKernel.simulated == [len(X_test), 3]


def test_default_kernel_is_built_in_fit_and_parameter_stays_none(x64):
    X, y, X_test, _ = three_class_data(3)
    clf = QuantumKernelSVC(tol=TOL).fit(X, y)
    assert clf.kernel is None
    assert isinstance(clf.kernel_, FidelityKernel) and clf.kernel_.feature_map is None
    assert clf.kernel_.feature_map_ == ZZFeatureMap(3).fit(X)  # the map in use, fitted
    assert clf.kernel_.feature_map_.entanglement == ZZFeatureMap(3).entanglement == "linear"
    assert clf.train_states_.kind == "statevector"
    assert np.shape(clf.train_states_.data) == (len(X), 2**3)
    assert isinstance(clf.train_states_.data, np.ndarray)
    # feature_scale="auto" by hand: angles pi/2 + 0.1 * (x - mean) / std of the training data
    fm = ZZFeatureMap(3, reps=2, entanglement="linear", feature_scale=1.0)
    U, U_test = (np.pi / 2 + 0.1 * (A - X.mean(axis=0)) / X.std(axis=0) for A in (X, X_test))
    ref = SVC(kernel="precomputed", tol=TOL).fit(statevector_gram(fm, U, U), y)
    np.testing.assert_allclose(clf.decision_function(X_test),
                               ref.decision_function(statevector_gram(fm, U_test, U)),
                               atol=1e-4)


@pytest.mark.parametrize("make_kernel", [lambda: FidelityKernel(AngleEncoding(3)),
                                         lambda: ProjectedKernel(AngleEncoding(3))])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_kernel_parameter_is_cloned_not_mutated(Estimator, make_kernel):
    X, y, _, _ = three_class_data(3)
    y_fit = y if Estimator is QuantumKernelSVC else X[:, 0]
    kernel = make_kernel()
    before = kernel.get_params(deep=True)
    est = Estimator(kernel).fit(X, y_fit)
    assert est.kernel is kernel
    assert est.kernel_ is not kernel and est.kernel_.feature_map is not kernel.feature_map
    assert kernel.get_params(deep=True) == before
    assert not hasattr(kernel, "gamma_")
    if isinstance(kernel, ProjectedKernel):
        assert est.kernel_.gamma_ > 0


def test_grid_search_over_nested_feature_map_parameters():
    X, y, _, _ = three_class_data(4)
    kernel = FidelityKernel(AngleEncoding(4, feature_scale=1.0))
    grid = GridSearchCV(QuantumKernelSVC(kernel),
                        {"kernel__feature_map__feature_scale": [0.5, 1.0], "C": [0.1, 1]}, cv=3)
    grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    scores = grid.cv_results_["mean_test_score"]
    assert len(set(np.round(scores, 12))) > 1  # the parameters reach the kernel
    best = grid.best_estimator_
    assert best.kernel_.feature_map.feature_scale == grid.best_params_[
        "kernel__feature_map__feature_scale"]
    assert best.C == grid.best_params_["C"]
    assert kernel.feature_map.feature_scale == 1.0 and not hasattr(grid.estimator, "kernel_")


def test_grid_search_over_mps_bond_dimension():
    rng = np.random.default_rng(9)
    X = rng.uniform(0, np.pi, (40, 4))
    y = np.sin(X[:, 0]) * np.cos(X[:, 3])
    fm = ZZFeatureMap(4, reps=2, entanglement="linear", feature_scale=0.5)
    model = QuantumKernelRidge(FidelityKernel(fm, backend="mps"), alpha=0.1)
    # Two equal folds: the MPS simulation compiles once per batch size and bond dimension.
    grid = GridSearchCV(model, {"kernel__bond_dim": [1, 4]}, cv=KFold(2)).fit(X, y)
    scores = grid.cv_results_["mean_test_score"]
    assert scores[0] != pytest.approx(scores[1], abs=1e-6)  # the bond dimension reaches the kernel
    assert grid.best_estimator_.kernel_.bond_dim == grid.best_params_["kernel__bond_dim"]
    assert model.kernel.bond_dim is None
    errors = {chi: np.max(clone(model).set_params(kernel__bond_dim=chi).fit(X[:20], y[:20])
                          .train_states_.truncation_error) for chi in (1, 4)}
    assert errors[1] > 1e-3 and errors[4] < 1e-5


def test_kernel_with_explicit_devices_can_be_cloned():
    X, y, _, _ = three_class_data(2)
    model = QuantumKernelSVC(FidelityKernel(AngleEncoding(2), devices=1)).fit(X, y)
    assert pickle.loads(pickle.dumps(model)).kernel_.devices == 1


@pytest.mark.parametrize("dumps, loads", [(pickle.dumps, pickle.loads),
                                          (cloudpickle.dumps, pickle.loads)])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pickle_round_trip_predicts_identically(Estimator, dumps, loads):
    X, y, X_test, _ = three_class_data(3)
    kernel = FidelityKernel(ZZFeatureMap(3, reps=1, feature_scale=0.5))
    if Estimator is QuantumKernelSVC:
        est = Estimator(kernel, probability=True).fit(X, y)
        methods = ["predict", "decision_function", "predict_proba"]
    elif Estimator is QuantumKernelPCA:
        est, methods = Estimator(kernel, n_components=2).fit(X), ["transform"]
    else:
        est, methods = Estimator(kernel).fit(X, X[:, 1]), ["predict"]
    restored = loads(dumps(est))
    assert isinstance(restored.train_states_.data, np.ndarray)
    for method in methods:
        np.testing.assert_array_equal(getattr(restored, method)(X_test),
                                      getattr(est, method)(X_test))


def test_kernel_object_works_as_sklearn_svc_kernel(x64):
    rng = np.random.default_rng(7)
    X = rng.uniform(0, np.pi, (30, 2))
    y = (np.cos(X[:, 0]) > np.cos(X[:, 1])).astype(int)
    X_test = rng.uniform(0, np.pi, (9, 2))
    kernel = FidelityKernel(AngleEncoding(2, feature_scale=1.0))
    svc = SVC(kernel=kernel, tol=TOL).fit(X, y)  # calls k(X, X_fit)
    ref = SVC(kernel="precomputed", tol=TOL).fit(angle_gram(X, X), y)
    np.testing.assert_allclose(svc.decision_function(X_test),
                               ref.decision_function(angle_gram(X_test, X)), atol=1e-8)
    ours = QuantumKernelSVC(FidelityKernel(AngleEncoding(2, feature_scale=1.0)), tol=TOL).fit(X, y)
    np.testing.assert_allclose(ours.decision_function(X_test), svc.decision_function(X_test),
                               atol=1e-8)


def test_pipeline_with_scaler():
    rng = np.random.default_rng(8)
    X = rng.normal(5.0, 3.0, (40, 2))
    y = (X[:, 0] > X[:, 1]).astype(int)
    model = make_pipeline(StandardScaler(),
                          QuantumKernelSVC(FidelityKernel(AngleEncoding(2)), C=10.0))
    model.fit(X, y)
    scaler = StandardScaler().fit(X)
    manual = QuantumKernelSVC(FidelityKernel(AngleEncoding(2)), C=10.0)
    manual.fit(scaler.transform(X), y)
    np.testing.assert_array_equal(model.predict(X), manual.predict(scaler.transform(X)))
    assert model.score(X, y) > 0.9


def test_breast_cancer_learns():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                        random_state=0)
    fm = ZZFeatureMap(4, reps=2, entanglement="linear", feature_scale=0.2)
    model = make_pipeline(StandardScaler(), PCA(4), StandardScaler(),
                          QuantumKernelSVC(FidelityKernel(fm)))
    accuracy = model.fit(X_train, y_train).score(X_test, y_test)
    assert accuracy > 0.88  # majority class: 0.63; RBF SVC on the same 4 components: 0.93


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_feature_count_mismatch_at_predict(Estimator):
    X, y, X_test, _ = three_class_data(2)
    est = Estimator(FidelityKernel(AngleEncoding(2)))
    est.fit(X, y) if Estimator is QuantumKernelSVC else est.fit(X, X[:, 0])
    method = est.transform if Estimator is QuantumKernelPCA else est.predict
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 2 features"):
        method(np.hstack([X_test, X_test[:, :1]]))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_nan_input_is_rejected(Estimator):
    X, y, X_test, _ = three_class_data(2)
    est = Estimator(FidelityKernel(AngleEncoding(2)))
    y_fit = y if Estimator is QuantumKernelSVC else X[:, 0]
    X_bad = X.copy()
    X_bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(X_bad, y_fit)
    est.fit(X, y_fit)
    method = est.transform if Estimator is QuantumKernelPCA else est.predict
    X_test = X_test.copy()
    X_test[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        method(X_test)


def test_kernel_feature_map_of_wrong_size_is_reported():
    X, y, _, _ = three_class_data(3)
    with pytest.raises(ValueError, match="X has 3 features, but the feature map expects 2"):
        QuantumKernelSVC(FidelityKernel(AngleEncoding(2))).fit(X, y)


@pytest.mark.parametrize("kernel", ["rbf", np.dot])
def test_non_quantum_kernel_is_rejected(kernel):
    X, y, _, _ = three_class_data(2)
    with pytest.raises(ValueError, match="kernel must be a quantum kernel"):
        QuantumKernelSVC(kernel).fit(X, y)


@pytest.mark.parametrize("Estimator", [QuantumKernelSVC, QuantumKernelSVR, QuantumKernelRidge])
def test_sample_weights_are_checked_before_simulation(Estimator):
    X, y, _, _ = three_class_data(2)
    y_fit = y if Estimator is QuantumKernelSVC else X[:, 0]
    CountingKernel.simulated = []
    est = Estimator(CountingKernel(AngleEncoding(2)))
    with pytest.raises(ValueError, match="at least one positive"):
        est.fit(X, y_fit, sample_weight=np.zeros(len(X)))
    with pytest.raises(ValueError, match="sample_weight has shape"):
        est.fit(X, y_fit, sample_weight=np.ones(len(X) + 1))
    assert CountingKernel.simulated == []


def test_invalid_hyper_parameter_is_reported_by_sklearn():
    X, y, _, _ = three_class_data(2)
    with pytest.raises(ValueError, match="'C' parameter of SVC must be"):
        QuantumKernelSVC(FidelityKernel(AngleEncoding(2)), C=-1.0).fit(X, y)
