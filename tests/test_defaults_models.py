"""Defaults of the tensor-network and variational estimators on data as users prepare it.

Every estimator is fitted with its defaults on three bundled scikit-learn data sets, each
standardised and raw (then a small PCA, so every data set has the same shape and the
jitted training step compiles once per estimator), and held against the matching
scikit-learn estimator with its defaults in the same pipeline: ``LogisticRegression()``
for the classifiers, ``Ridge()`` for the regressors (``MLPRegressor()`` with its defaults
scores a negative R^2 on these unscaled targets, so it is no useful floor). The floors
are set below the ratios measured with ``random_state=0`` (the README's "Defaults" table).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_digits, load_iris, load_wine
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from qinspired.estimators.tensor_networks import (
    MPSClassifier,
    MPSRegressor,
    TTNClassifier,
    TTNRegressor,
)
from qinspired.estimators.variational import (
    VariationalCircuitClassifier,
    VariationalCircuitRegressor,
)

PREPROCESSING = ("standardised", "raw")


def _classification(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Three-class data sets (digits reduced to the digits 0, 1 and 2)."""
    if name == "iris":
        return load_iris(return_X_y=True)
    if name == "wine":
        return load_wine(return_X_y=True)
    X, y = load_digits(return_X_y=True)
    return X[y < 3], y[y < 3]


def _regression(name: str) -> tuple[np.ndarray, np.ndarray]:
    """diabetes; iris petal width from the other measurements; wine alcohol from the rest."""
    if name == "diabetes":
        return load_diabetes(return_X_y=True)
    if name == "iris":
        X = load_iris().data
        return X[:, :3], X[:, 3]
    X = load_wine().data
    return X[:, 1:], X[:, 0]


def _pipeline(preprocessing: str, n_components: int, estimator):
    scaler = {"standardised": [StandardScaler()], "minmax": [MinMaxScaler()], "raw": []}
    return make_pipeline(*scaler[preprocessing], PCA(n_components, random_state=0), estimator)


def _split(X, y, classification: bool):
    return train_test_split(X, y, test_size=0.3, random_state=0,
                            stratify=y if classification else None)


def _scores(estimator, reference, load, classification: bool, n_components: int):
    """Test scores (ours, reference) of every data set and preprocessing.

    Ours converge within their default budgets: a ConvergenceWarning is an error. For
    classifiers, the scores are pairs (accuracy, log-loss).
    """
    out = {}
    for name in ("iris", "wine", "digits" if classification else "diabetes"):
        X_tr, X_te, y_tr, y_te = _split(*load(name), classification)
        for prep in PREPROCESSING:
            with warnings.catch_warnings():
                warnings.simplefilter("error", ConvergenceWarning)
                ours = _pipeline(prep, n_components, clone(estimator)).fit(X_tr, y_tr)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)  # lbfgs on raw wine
                ref = _pipeline(prep, n_components, clone(reference)).fit(X_tr, y_tr)
            if not classification:
                out[name, prep] = (ours.score(X_te, y_te), ref.score(X_te, y_te))
                continue
            p = ours.predict_proba(X_te)
            assert p.min() > 1e-10 and p.max() < 1.0, (name, prep, p.min())  # no saturation
            out[name, prep] = ((ours.score(X_te, y_te), log_loss(y_te, p)),
                               (ref.score(X_te, y_te), log_loss(y_te, ref.predict_proba(X_te))))
    return out


# Measured test accuracy, ours / LogisticRegression(), random_state=0, PCA(4),
# standardised then raw:
#   MPS      iris .978/.978 1.00/1.00  wine .944/.926 .944/.944  digits .969/.957 .981/.988
#   TTN      iris .978/.978 1.00/1.00  wine .963/.926 .907/.944  digits .969/.957 .975/.988
#   circuit  iris .978/.978 .978/1.00  wine .944/.926 .963/.944  digits .951/.957 .975/.988
# Smallest ratio 0.96; floor: 0.93 of the reference on every data set and preprocessing.
@pytest.mark.parametrize("cls", [MPSClassifier, TTNClassifier, VariationalCircuitClassifier])
def test_classifier_defaults_match_logistic_regression(cls) -> None:
    scores = _scores(cls(random_state=0), LogisticRegression(), _classification, True, 4)
    for key, ((ours, ours_loss), (ref, ref_loss)) in scores.items():
        assert ours >= 0.93 * ref, (key, ours, ref)
        assert ours_loss <= ref_loss + 0.15, (key, ours_loss, ref_loss)


# Measured test R^2, ours / Ridge(), random_state=0, PCA(3), standardised then raw:
#   MPS      iris .843/.905 .892/.905  wine .488/.490 .430/.455  diabetes .266/.318 .265/.290
#   TTN      iris .907/.905 .904/.905  wine .404/.490 .428/.455  diabetes .309/.318 .311/.290
#   circuit  iris .884/.905 .903/.905  wine .454/.490 .475/.455  diabetes .193/.318 .203/.290
# (MPS and TTN with their default early_stopping="auto"; tests/test_tn_regressor_defaults.py.)
# Largest shortfall 0.125 (circuit, diabetes); floor: the reference minus 0.15.
@pytest.mark.parametrize("cls", [MPSRegressor, TTNRegressor, VariationalCircuitRegressor])
def test_regressor_defaults_match_ridge(cls) -> None:
    scores = _scores(cls(random_state=0), Ridge(), _regression, False, 3)
    for key, (ours, ref) in scores.items():
        assert ours >= ref - 0.15, (key, ours, ref)


@pytest.fixture(scope="module")
def iris_split():
    return _split(*load_iris(return_X_y=True), True)


@pytest.mark.parametrize("cls", [MPSClassifier, VariationalCircuitClassifier])
def test_standardised_minmax_and_raw_data_give_the_same_model(cls, iris_split) -> None:
    """The scaling fixed in fit (min-max for the networks, "auto" for the circuits) undoes
    any positive per-feature affine map, so the three preprocessings agree (up to float32
    rounding of the rescaled inputs)."""
    X_tr, X_te, y_tr, _ = iris_split
    probas = []
    for scaler in (StandardScaler(), MinMaxScaler(), None):
        model = make_pipeline(scaler, cls(random_state=0)).fit(X_tr, y_tr)
        probas.append(model.predict_proba(X_te))
    for p in probas[1:]:
        np.testing.assert_allclose(p, probas[0], atol=2e-3)


def test_auto_feature_scale_is_fixed_from_the_training_data(iris_split) -> None:
    X_tr, X_te, y_tr, _ = iris_split
    clf = VariationalCircuitClassifier(epochs=1, random_state=0).fit(X_tr, y_tr)
    np.testing.assert_allclose(clf.feature_offset_, X_tr.mean(axis=0))
    np.testing.assert_allclose(clf.feature_scale_, 1.0 / X_tr.std(axis=0))
    before = clf.predict_proba(X_te)
    clf.predict_proba(10 * X_te)                       # test data never moves the scaling
    np.testing.assert_allclose(clf.feature_offset_, X_tr.mean(axis=0))
    np.testing.assert_array_equal(clf.predict_proba(X_te), before)
    fixed = VariationalCircuitClassifier(feature_scale=0.3, epochs=1, random_state=0)
    fixed.fit(X_tr, y_tr)
    np.testing.assert_array_equal(fixed.feature_offset_, np.zeros(4))
    np.testing.assert_array_equal(fixed.feature_scale_, np.full(4, 0.3))
    for bad in ("scale", 0.0, -1.0):
        with pytest.raises(ValueError, match="feature_scale"):
            VariationalCircuitClassifier(feature_scale=bad).fit(X_tr, y_tr)


@pytest.mark.parametrize("make", [
    lambda: MPSClassifier(max_iter=2, random_state=0),
    lambda: TTNClassifier(max_iter=2, random_state=0),
    lambda: MPSClassifier(max_iter=2, early_stopping=True, random_state=0),
    lambda: MPSClassifier(solver="sweep", max_iter=1, random_state=0),
    lambda: VariationalCircuitClassifier(epochs=2, random_state=0),
], ids=["mps", "ttn", "mps-early-stopping", "mps-sweep", "circuit"])
def test_a_tiny_budget_warns(make, iris_split) -> None:
    X_tr, _, y_tr, _ = iris_split
    with pytest.warns(ConvergenceWarning):
        make().fit(X_tr, y_tr)


@pytest.mark.parametrize("cls", [MPSRegressor, TTNRegressor, VariationalCircuitRegressor])
def test_a_tiny_budget_warns_regressors(cls) -> None:
    X, y = _regression("iris")
    budget = {"epochs": 2} if cls is VariationalCircuitRegressor else {"max_iter": 2}
    with pytest.warns(ConvergenceWarning):
        cls(random_state=0, **budget).fit(X, y)


@pytest.mark.parametrize("cls", [MPSClassifier, VariationalCircuitClassifier])
def test_label_smoothing_is_checked(cls, iris_split) -> None:
    X_tr, _, y_tr, _ = iris_split
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match="label_smoothing"):
            cls(label_smoothing=bad).fit(X_tr, y_tr)
