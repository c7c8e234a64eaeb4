"""The MPS Born machine and MPSAnomalyDetector: dense NumPy densities, held-out ROC AUC."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.polynomial import legendre
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from qinspired.estimators.anomaly import MPSAnomalyDetector
from qinspired.tn.born import born_log_likelihood, born_nll, local_gram, log_normaliser
from qinspired.tn.mps import MPS, random_mps

SMALL = dict(bond_dim=2, max_iter=5, learning_rate=0.05, random_state=0)


@parametrize_with_checks([MPSAnomalyDetector(**SMALL)])
def test_sklearn_compatible(estimator, check) -> None:
    check(estimator)


def _legendre_phi(u: np.ndarray, d: int) -> np.ndarray:
    return np.stack([np.sqrt(2 * s + 1) * legendre.legval(2 * u - 1, np.eye(d)[s])
                     for s in range(d)], axis=-1)


def _dense_log_density(tensors, u: np.ndarray, d: int, gram: np.ndarray) -> np.ndarray:
    """log p(u) from the full d**n amplitude vector and the d**n x d**n Gram matrix."""
    psi = np.ones(1)
    for t in tensors:
        psi = np.einsum("pa,asb->psb", psi.reshape(-1, t.shape[0]), np.asarray(t, np.float64))
    psi = psi.reshape(-1)
    big = np.ones((1, 1))
    for _ in tensors:
        big = np.kron(big, gram)
    rows = []
    for x in u:
        v = np.ones(1)
        for p in _legendre_phi(x, d):
            v = np.kron(v, p)
        rows.append(v)
    amp = np.array(rows) @ psi
    return np.log(amp**2) - np.log(psi @ big @ psi)


def test_gram_matrices_have_their_closed_forms() -> None:
    np.testing.assert_allclose(local_gram("legendre", 4), np.eye(4), atol=1e-12)
    np.testing.assert_allclose(local_gram("trigonometric", 2),
                               [[0.5, 1 / np.pi], [1 / np.pi, 0.5]], atol=1e-12)


@pytest.mark.parametrize("gram", ["identity", "skewed"])
def test_log_likelihood_matches_the_dense_density(gram: str) -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 3))
    g = np.eye(3) if gram == "identity" else a @ a.T + np.eye(3)
    u = rng.uniform(size=(7, 4))
    with jax.enable_x64(True):
        mps = random_mps(jax.random.key(3), 4, 3, 3, dtype=jnp.float64)
        mps = MPS(tuple(t * 3.0 for t in mps.tensors))  # not normalised: Z matters
        phi = jnp.asarray(_legendre_phi(u, 3))
        got = np.asarray(born_log_likelihood(mps, phi, jnp.asarray(g)))
        log_z = float(log_normaliser(mps, jnp.asarray(g)))
    np.testing.assert_allclose(got, _dense_log_density(mps.tensors, u, 3, g), atol=1e-10)
    if gram == "identity":
        assert log_z == pytest.approx(np.log(81.0**2), abs=1e-10)  # ||3^4 psi||^2, ||psi|| = 1


def test_loss_is_cached_per_map() -> None:
    assert born_nll("legendre", 3) is born_nll("legendre", 3)


def _gaussian_vs_uniform(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(600, 2))
    return X[:400], X[400:], rng.uniform(-4.0, 4.0, size=(200, 2))


@pytest.fixture(scope="module")
def fitted():
    X_train, X_normal, X_anomal = _gaussian_vs_uniform()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        det = MPSAnomalyDetector(bond_dim=4, max_iter=30, random_state=0).fit(X_train)
    return det, X_train, X_normal, X_anomal


def test_scores_are_the_dense_born_density_of_the_fitted_tensors(fitted) -> None:
    det, X_train, X_normal, _ = fitted
    X = X_normal[:10]
    u = (X - det.data_min_) / det.data_range_
    inside = np.all((u >= 0) & (u <= 1), axis=1)
    want = _dense_log_density(det.tensors_, u[inside], 3, np.eye(3))
    np.testing.assert_allclose(det.score_samples(X)[inside], want, atol=1e-4)
    np.testing.assert_allclose(det.decision_function(X), det.score_samples(X) - det.offset_)


def test_the_density_integrates_to_one_over_the_training_box(fitted) -> None:
    det = fitted[0]
    nodes, weights = legendre.leggauss(30)
    g = (nodes + 1) / 2
    U = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)
    X = det.data_min_ + U * det.data_range_
    total = np.sum(np.exp(det.score_samples(X)) * np.outer(weights, weights).ravel() / 4)
    assert total == pytest.approx(1.0, abs=1e-3)


def test_held_out_roc_auc(fitted) -> None:
    det, _, X_normal, X_anomal = fitted
    scores = det.score_samples(np.vstack([X_normal, X_anomal]))
    labels = np.r_[np.ones(len(X_normal)), np.zeros(len(X_anomal))]
    # measured 0.90 (an anomaly drawn inside the Gaussian's bulk is indistinguishable)
    assert roc_auc_score(labels, scores) >= 0.85
    assert np.mean(det.predict(X_normal) == 1) >= 0.95      # "auto": 1 % of the training data


def test_far_points_score_lowest_and_stay_finite(fitted) -> None:
    det, X_train, _, _ = fitted
    far = np.array([[10.0, 0.0], [100.0, 0.0], [1e30, -1e30]])
    s = det.score_samples(far)
    assert np.all(np.isfinite(s)) and s[0] > s[1] > s[2]
    assert s[0] < det.score_samples(X_train).min()
    assert det.predict(far).tolist() == [-1, -1, -1]


def test_defaults_see_the_same_data_whatever_its_scaling() -> None:
    X_train, X_normal, X_anomal = _gaussian_vs_uniform(1)
    X_test = np.vstack([X_normal, X_anomal])
    scores = []
    for scaler in (None, StandardScaler(), MinMaxScaler()):
        tr, te = (X_train * 50 + 7, X_test * 50 + 7) if scaler is None else (
            scaler.fit_transform(X_train), scaler.transform(X_test))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            det = MPSAnomalyDetector(bond_dim=2, max_iter=10, random_state=0).fit(tr)
        scores.append(det.score_samples(te))
    np.testing.assert_allclose(scores[1], scores[0], atol=1e-3)
    np.testing.assert_allclose(scores[2], scores[0], atol=1e-3)


def test_contamination_sets_the_training_outlier_fraction(fitted) -> None:
    _, X_train, _, _ = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        det = MPSAnomalyDetector(bond_dim=2, max_iter=5, contamination=0.2,
                                 random_state=0).fit(X_train)
    assert np.mean(det.predict(X_train) == -1) == pytest.approx(0.2)
    for bad in (0.0, 0.6, "high", True):
        with pytest.raises(ValueError, match="contamination"):
            MPSAnomalyDetector(contamination=bad).fit(X_train)
    with pytest.raises(ValueError, match="local_map"):
        MPSAnomalyDetector(local_map="gauss").fit(X_train)


def test_provenance_and_reproducibility(fitted) -> None:
    det, X_train, X_normal, _ = fitted
    assert det.provenance_ and det.random_seed_ == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = MPSAnomalyDetector(bond_dim=4, max_iter=30, random_state=0).fit(X_train)
    np.testing.assert_array_equal(again.score_samples(X_normal), det.score_samples(X_normal))
