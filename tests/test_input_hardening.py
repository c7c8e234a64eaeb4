"""Finite input never yields non-finite output silently, float32 overflow included.

A finite float64 value beyond float32's range (1e39) becomes inf in JAX's default dtype;
a representable one (1e30) can still overflow on the way (a product of two features).
Every public estimator and kernel either computes finite values or raises a ValueError
that names the values and the range.
"""

from __future__ import annotations

import inspect
import re
import warnings

import jax
import numpy as np
import pytest

import qinspired.estimators as estimators
from qinspired import AngleEncoding, ZZFeatureMap
from qinspired.kernels import FidelityKernel, ProjectedKernel

# what a clear refusal says: the value range, or the overflow on the way
CLEAR = r"beyond float32's range \(3\.4e\+38\)|not finite although the input is"

TINY = {
    "MPSAnomalyDetector": dict(bond_dim=2, max_iter=2),
    "MPSClassifier": dict(bond_dim=2, max_iter=2),
    "MPSRegressor": dict(bond_dim=2, max_iter=2),
    "TTNClassifier": dict(bond_dim=2, max_iter=2),
    "TTNRegressor": dict(bond_dim=2, max_iter=2),
    "VariationalCircuitClassifier": dict(n_layers=1, epochs=1),
    "VariationalCircuitRegressor": dict(n_layers=1, epochs=1),
    "QuantumFourierFeatures": dict(n_components=4),
    "QuantumKernelPCA": dict(n_components=2),
    "QuantumKernelRidge": {},
    "QuantumKernelSVC": {},
    "QuantumKernelSVR": {},
    "QuantumNystroem": dict(n_components=4),
}

rng = np.random.default_rng(0)
X_OK = rng.uniform(-1.0, 1.0, (12, 2))
Y_CLASS = np.array([0, 1] * 6)
Y_REAL = rng.normal(size=12)


def _with(value: float, both: bool = False) -> np.ndarray:
    X = X_OK.copy()
    X[0, 0] = value
    if both:
        X[0, 1] = -value  # a product of the two features overflows float32 for 1e30
    return X


def _estimator(name: str):
    cls = getattr(estimators, name)
    kwargs = dict(TINY[name])
    if "random_state" in inspect.signature(cls).parameters:
        kwargs["random_state"] = 0
    return cls(**kwargs)


def _fit_and_output(name: str, X_fit: np.ndarray, X_use: np.ndarray) -> np.ndarray:
    est = _estimator(name)
    y = Y_CLASS if name.endswith(("Classifier", "SVC")) else Y_REAL
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the tiny budgets
        est.fit(X_fit, y)
        for method in ("transform", "decision_function", "predict"):
            if hasattr(est, method):
                return np.asarray(getattr(est, method)(X_use), dtype=np.float64)
    raise AssertionError(f"{name} has no output method")


def test_every_public_estimator_is_covered() -> None:
    assert sorted(TINY) == sorted(estimators.__all__)


def _finite_or_clear(fn) -> None:
    try:
        out = fn()
    except ValueError as exc:
        assert re.search(CLEAR, str(exc)), f"unclear error: {exc}"
        return
    assert np.all(np.isfinite(out)), "finite input gave non-finite output without an error"


@pytest.mark.parametrize("name", sorted(TINY))
@pytest.mark.parametrize("where", ["fit", "use"])
@pytest.mark.parametrize("value, both", [(1e39, False), (1e30, True)], ids=["1e39", "1e30x2"])
def test_estimators_give_finite_output_or_a_clear_error(name, where, value, both) -> None:
    X_big = _with(value, both)
    if where == "fit":
        _finite_or_clear(lambda: _fit_and_output(name, X_big, X_OK))
    else:
        _finite_or_clear(lambda: _fit_and_output(name, X_OK, X_big))


@pytest.mark.parametrize("name", ["VariationalCircuitRegressor", "QuantumKernelSVC",
                                  "QuantumFourierFeatures"])
def test_values_beyond_float32_are_refused_naming_the_range(name) -> None:
    with pytest.raises(ValueError, match=r"X has values up to 1e\+39, beyond float32's range "
                                         r"\(3\.4e\+38\); rescale the data or enable JAX's x64"):
        _fit_and_output(name, X_OK, _with(1e39))


@pytest.mark.parametrize("kernel", [FidelityKernel, ProjectedKernel])
def test_kernels_called_directly_refuse_values_beyond_float32(kernel) -> None:
    k = kernel(AngleEncoding(2))
    with pytest.raises(ValueError, match=r"X has values up to 1e\+39, beyond float32's range"):
        k(_with(1e39))
    with pytest.raises(ValueError, match=r"Y has values up to 1e\+39, beyond float32's range"):
        k(X_OK, _with(1e39))


@pytest.mark.parametrize("kernel", [FidelityKernel, ProjectedKernel])
def test_kernels_report_an_overflow_on_the_way(kernel) -> None:
    # (pi - 1e30) * (pi + 1e30) in the ZZ phase is -1e60: inf in float32
    zz = kernel(ZZFeatureMap(2, feature_scale=1.0))
    with pytest.raises(ValueError, match=r"not finite although the input is: it has values up "
                                         r"to 1e\+30.*float32 arithmetic.*overflowed"):
        zz(_with(1e30, both=True))
    # a single large angle is representable and its kernel finite
    angle = np.asarray(kernel(AngleEncoding(2))(_with(1e30, both=True)))
    assert np.all(np.isfinite(angle))


def test_with_x64_the_values_are_held_and_the_kernel_is_finite() -> None:
    X = _with(1e39)
    with jax.enable_x64(True):
        K = np.asarray(FidelityKernel(AngleEncoding(2))(X))
    assert np.all(np.isfinite(K))
    np.testing.assert_allclose(np.diag(K), 1.0, atol=1e-12)  # |<psi|psi>|^2 = 1
