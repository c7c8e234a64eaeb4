"""The richer local maps (RBF, Legendre, Hermite, cosine) against NumPy and quadrature."""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.polynomial import hermite, legendre
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

from qinspired.estimators.tensor_networks import MPSClassifier, TTNClassifier
from qinspired.tn.local_maps import LOCAL_MAPS, apply_local_map, embed, gaussian_rbf

GRID = np.linspace(0.0, 1.0, 41)
NEW_MAPS = ("rbf", "legendre", "hermite", "cosine")


def _phi(name: str, x: np.ndarray, d: int) -> np.ndarray:
    with jax.enable_x64(True):
        return np.asarray(apply_local_map(jnp.asarray(x, dtype=jnp.float64), name, d))


def test_the_maps_are_registered() -> None:
    assert set(NEW_MAPS) <= set(LOCAL_MAPS)


@pytest.mark.parametrize("d", [2, 4, 7])
def test_legendre_is_numpys_shifted_legendre_series(d: int) -> None:
    want = np.stack([math.sqrt(2 * s + 1) * legendre.legval(2 * GRID - 1, np.eye(d)[s])
                     for s in range(d)], axis=-1)
    np.testing.assert_allclose(_phi("legendre", GRID, d), want, atol=1e-12)


@pytest.mark.parametrize("d", [2, 4, 7])
def test_hermite_is_numpys_hermite_functions(d: int) -> None:
    t = 3.0 * GRID - 1.5
    want = np.stack([hermite.hermval(t, np.eye(d)[s]) * np.exp(-t**2 / 2)
                     / math.sqrt(2.0**s * math.factorial(s) * math.sqrt(math.pi))
                     for s in range(d)], axis=-1)
    np.testing.assert_allclose(_phi("hermite", GRID, d), want, atol=1e-12)


@pytest.mark.parametrize("d", [2, 5])
def test_rbf_and_cosine_follow_their_formulas(d: int) -> None:
    centres = np.linspace(0.0, 1.0, d)
    want = np.exp(-0.5 * ((GRID[:, None] - centres) * (d - 1)) ** 2)
    np.testing.assert_allclose(_phi("rbf", GRID, d), want, atol=1e-12)
    wide = np.asarray(gaussian_rbf(jnp.asarray(GRID), d, width=0.5))
    np.testing.assert_allclose(wide, np.exp(-2.0 * (GRID[:, None] - centres) ** 2), atol=1e-6)
    cos = np.cos(np.pi * GRID[:, None] * np.arange(d)) * np.r_[1.0, [math.sqrt(2)] * (d - 1)]
    np.testing.assert_allclose(_phi("cosine", GRID, d), cos, atol=1e-12)


@pytest.mark.parametrize("name", ["legendre", "cosine"])
def test_orthonormal_on_the_unit_interval(name: str) -> None:
    d = 6
    nodes, weights = legendre.leggauss(40)  # exact for polynomials of degree < 80
    x, w = (nodes + 1) / 2, weights / 2
    if name == "cosine":  # a fine midpoint rule is exact for these trigonometric products
        x = (np.arange(400) + 0.5) / 400
        w = np.full(400, 1 / 400)
    phi = _phi(name, x, d)
    np.testing.assert_allclose(phi.T @ (w[:, None] * phi), np.eye(d), atol=1e-10)


def test_hermite_functions_are_orthonormal_on_the_real_line() -> None:
    d = 6
    nodes, weights = hermite.hermgauss(40)  # integral of f(t) e^{-t^2}
    x = (nodes + 1.5) / 3.0                  # t = 3x - 1.5 (inputs outside [0, 1] are allowed)
    phi = _phi("hermite", x, d) * np.exp(nodes**2 / 2)[:, None]
    np.testing.assert_allclose(phi.T @ (weights[:, None] * phi), np.eye(d), atol=1e-10)


@pytest.mark.parametrize("name", NEW_MAPS)
def test_anchoring_stays_bounded_at_high_order(name: str) -> None:
    for d in (8, 12):
        phi = np.asarray(embed(jnp.asarray(GRID), name, d), dtype=np.float64)
        assert np.all(np.isfinite(phi)) and np.abs(phi).max() < 50


def test_bad_width_is_refused() -> None:
    for bad in (0.0, -1.0, float("nan"), "wide"):
        with pytest.raises(ValueError, match="width"):
            gaussian_rbf(jnp.asarray(GRID), 3, width=bad)


@pytest.mark.parametrize("cls, name", [(MPSClassifier, "legendre"), (TTNClassifier, "hermite")])
def test_usable_by_name_from_the_estimators(cls, name: str) -> None:
    X, y = load_iris(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = cls(bond_dim=4, local_map=name, local_dim=3, learning_rate=0.02, max_iter=15,
                  random_state=0).fit(X_tr, y_tr)
    assert clf.score(X_te, y_te) >= 0.9
