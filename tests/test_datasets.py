"""Benchmark data sets: each family checked against its stated definition."""

import doctest
import math

import numpy as np
import pytest
from sklearn import datasets as skd
from sklearn.linear_model import Perceptron
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

import qinspired.datasets as qd
from qinspired.datasets import (
    DATASETS,
    load_dataset,
    make_bars_and_stripes,
    make_hidden_manifold,
    make_hyperplanes_parity,
    make_linearly_separable,
    make_preprocessor,
    make_two_curves,
)

# One small configuration per synthetic family: (generator, kwargs, expected n_features).
SYNTHETIC = {
    "linearly_separable": (make_linearly_separable, {"n_samples": 60, "n_features": 4}, 4),
    "hidden_manifold": (make_hidden_manifold,
                        {"n_samples": 60, "n_features": 7, "manifold_dimension": 3}, 7),
    "hyperplanes_parity": (make_hyperplanes_parity,
                           {"n_samples": 60, "n_features": 5, "n_hyperplanes": 3}, 5),
    "two_curves": (make_two_curves, {"n_samples": 60, "n_features": 6, "degree": 3}, 6),
    "bars_and_stripes": (make_bars_and_stripes,
                         {"n_samples": 60, "height": 3, "width": 5}, 15),
}
REAL = {"iris": (150, 4, 3), "wine": (178, 13, 3), "breast_cancer": (569, 30, 2),
        "digits": (1797, 64, 10)}


# --- conventions shared by every generator --------------------------------------------------

@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_shapes_dtypes_and_binary_labels(name) -> None:
    make, kwargs, n_features = SYNTHETIC[name]
    X, y = make(**kwargs, random_state=0)
    assert X.shape == (kwargs["n_samples"], n_features) and X.dtype == np.float64
    assert y.shape == (kwargs["n_samples"],) and y.dtype == np.int64
    assert X.flags.c_contiguous and np.all(np.isfinite(X))
    assert set(np.unique(y)) == {0, 1}


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_seed_determinism(name) -> None:
    make, kwargs, _ = SYNTHETIC[name]
    X1, y1 = make(**kwargs, random_state=7)
    X2, y2 = make(**kwargs, random_state=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make(**kwargs, random_state=8)
    assert not np.allclose(X1, X3)
    Xg1, _ = make(**kwargs, random_state=np.random.default_rng(3))
    Xg2, _ = make(**kwargs, random_state=np.random.default_rng(3))
    np.testing.assert_array_equal(Xg1, Xg2)
    Xn1, _ = make(**kwargs, random_state=None)
    Xn2, _ = make(**kwargs, random_state=None)
    assert not np.allclose(Xn1, Xn2)


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_a_single_sample_works(name) -> None:
    make, kwargs, n_features = SYNTHETIC[name]
    X, y = make(**{**kwargs, "n_samples": 1}, random_state=0)
    assert X.shape == (1, n_features) and y.shape == (1,) and np.all(np.isfinite(X))


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_classes_are_roughly_balanced(name) -> None:
    make, kwargs, _ = SYNTHETIC[name]
    _, y = make(**{**kwargs, "n_samples": 1000}, random_state=1)
    assert 0.42 < y.mean() < 0.58


def test_registry_lists_every_family_and_real_data_set() -> None:
    assert set(DATASETS) == set(SYNTHETIC) | set(REAL)
    for name in SYNTHETIC:
        assert DATASETS[name] is SYNTHETIC[name][0]
    X, y = DATASETS["iris"]()
    assert X.shape == (150, 4) and y.shape == (150,)
    with pytest.raises(TypeError):
        DATASETS["new"] = make_two_curves  # read-only


def test_docstring_examples_run() -> None:
    result = doctest.testmod(qd, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --- linearly separable -------------------------------------------------------------------

@pytest.mark.parametrize(("n_features", "margin"), [(2, 0.3), (5, 0.2), (9, 0.0)])
def test_linearly_separable_margin_holds_for_the_teacher(n_features, margin) -> None:
    X, y, params = make_linearly_separable(
        200, n_features, margin, random_state=n_features, return_params=True)
    w = params["weights"]
    assert math.isclose(np.linalg.norm(w), 1.0)
    assert np.all((X >= -1) & (X <= 1))
    s = X @ w
    assert np.min(np.abs(s)) > margin
    np.testing.assert_array_equal(y, (s > 0).astype(int))


def test_linearly_separable_is_separable_by_independent_learners() -> None:
    margin = 0.15
    X, y = make_linearly_separable(200, 5, margin, random_state=11)
    # Perceptron convergence theorem: at most (R / margin)^2 mistakes, so it must reach 100 %.
    perceptron = Perceptron(fit_intercept=False, max_iter=1000, tol=None, random_state=0)
    assert perceptron.fit(X, y).score(X, y) == 1.0
    # Hard-margin SVM: its geometric margin is at least the teacher's.
    svm = SVC(kernel="linear", C=1e8).fit(X, y)
    assert svm.score(X, y) == 1.0
    assert 1.0 / np.linalg.norm(svm.coef_) >= 0.99 * margin


def test_linearly_separable_defaults_are_the_papers_task() -> None:
    # The paper (qml-benchmarks): teacher (1, ..., 1), keep |x . 1| > 0.02 d, d = 2..20.
    for d in (2, 4, 9):
        X, y, params = make_linearly_separable(300, d, random_state=d, return_params=True)
        np.testing.assert_allclose(params["weights"], np.full(d, 1 / np.sqrt(d)))
        assert params["margin"] == pytest.approx(0.02 * np.sqrt(d))
        assert np.min(np.abs(X.sum(axis=1))) > 0.02 * d
        np.testing.assert_array_equal(y, (X.sum(axis=1) > 0).astype(int))


def test_linearly_separable_random_teacher_is_a_unit_vector_off_the_diagonal() -> None:
    _, _, params = make_linearly_separable(20, 5, teacher="random", random_state=0,
                                           return_params=True)
    assert math.isclose(np.linalg.norm(params["weights"]), 1.0)
    assert not np.allclose(params["weights"], 1 / np.sqrt(5))


# --- hidden manifold ------------------------------------------------------------------------

def test_hidden_manifold_preactivation_has_manifold_rank() -> None:
    m, d = 3, 9
    X, _ = make_hidden_manifold(120, d, m, random_state=2)
    assert np.all(np.abs(X) < 1)
    pre = np.arctanh(X)  # = C F / sqrt(m) - b: rank <= m once the bias is centred away
    sv = np.linalg.svd(pre - pre.mean(axis=0), compute_uv=False)
    assert sv[m] / sv[0] < 1e-9
    assert sv[m - 1] / sv[0] > 1e-3
    # the tanh itself is not linear: X has full column rank
    assert np.linalg.matrix_rank(X - X.mean(axis=0)) == d


def test_hidden_manifold_labels_follow_the_teacher_network() -> None:
    m = 4
    X, y, p = make_hidden_manifold(101, 6, m, random_state=5, return_params=True)
    C, F, b = p["latent"], p["embedding"], p["biases"]
    np.testing.assert_allclose(X, np.tanh(C @ F / np.sqrt(m) - b), atol=1e-12)
    score = np.array([p["teacher_readout"] @ np.tanh(p["teacher_weights"] @ c) for c in C])
    score /= np.sqrt(m)
    np.testing.assert_array_equal(y, (score > np.median(score)).astype(int))
    assert np.bincount(y).tolist() == [51, 50]


def test_hidden_manifold_allows_more_latent_than_ambient_dimensions() -> None:
    # The paper's sweeps embed m = 6 into d = 2..20 features, and m up to 20 into d = 10.
    for d, m in ((2, 6), (10, 20)):
        X, y, p = make_hidden_manifold(40, d, m, random_state=d, return_params=True)
        assert X.shape == (40, d) and p["embedding"].shape == (m, d)
        C, F, b = p["latent"], p["embedding"], p["biases"]
        np.testing.assert_allclose(X, np.tanh(C @ F / np.sqrt(m) - b), atol=1e-12)
        score = np.tanh(C @ p["teacher_weights"].T) @ p["teacher_readout"] / np.sqrt(m)
        np.testing.assert_array_equal(y, (score > np.median(score)).astype(int))
        assert np.bincount(y).tolist() == [20, 20]


# --- hyperplanes parity ----------------------------------------------------------------------

def _parity(Z, weights, biases):
    above = [[int(w @ z + b > 0) for w, b in zip(weights, biases)] for z in Z]
    return np.array([sum(row) % 2 for row in above])


def test_hyperplanes_parity_labels_are_a_function_of_x() -> None:
    k = 3
    X, y, p = make_hyperplanes_parity(120, 6, 4, k, standardize=False, random_state=4,
                                      return_params=True)
    E = p["embedding"]
    np.testing.assert_allclose(X, p["latent"] @ E, atol=1e-12)
    Z = np.linalg.lstsq(E.T, X.T, rcond=None)[0].T  # invert the injective embedding
    np.testing.assert_allclose(Z, p["latent"], atol=1e-8)
    np.testing.assert_array_equal(y, _parity(Z, p["weights"], p["biases"]))
    assert np.bincount(y).tolist() == [60, 60]
    assert np.any(np.diff(y) < 0) and np.any(np.diff(y) > 0)  # shuffled, not sorted
    assert np.all((p["weights"] >= 0) & (p["weights"] <= 1))


def test_hyperplanes_parity_standardises_the_same_sample() -> None:
    kwargs = {"n_samples": 80, "n_features": 5, "n_hyperplanes": 2, "random_state": 9}
    X, y, p = make_hyperplanes_parity(**kwargs, return_params=True)
    raw, y_raw = make_hyperplanes_parity(**kwargs, standardize=False)
    np.testing.assert_array_equal(y, y_raw)
    np.testing.assert_allclose(X, (raw - raw.mean(axis=0)) / raw.std(axis=0), atol=1e-12)
    np.testing.assert_allclose(X * p["scale"] + p["mean"], raw, atol=1e-12)


# --- two curves -------------------------------------------------------------------------------

def _fourier(t, coefficients):
    """f_i(t) = a_i0 + b_i0 + sum_k a_ik cos(k pi t) + b_ik sin(k pi t), written out."""
    d, degree = coefficients.shape[0], coefficients.shape[1] - 1
    out = np.empty((len(t), d))
    for i in range(d):
        a, b = coefficients[i, :, 0], coefficients[i, :, 1]
        out[:, i] = a[0] + b[0] + sum(
            a[k] * np.cos(k * np.pi * t) + b[k] * np.sin(k * np.pi * t)
            for k in range(1, degree + 1))
    return out


def test_two_curves_points_lie_on_their_curves_without_noise() -> None:
    offset = 0.3
    X, y, p = make_two_curves(81, 5, 4, offset, 0.0, standardize=False, random_state=6,
                              return_params=True)
    coefficients = p["coefficients"]
    assert coefficients.shape == (5, 5, 2) and np.all(coefficients >= 0)
    assert np.linalg.norm(coefficients) == pytest.approx(1.0)
    np.testing.assert_allclose(X, _fourier(p["latent"], coefficients) + offset * y[:, None],
                               atol=1e-12)
    # Without the latent t: every class-0 point is within grid resolution of curve 0.
    grid = _fourier(np.linspace(0, 1, 20001), coefficients)
    for label, shift in ((0, 0.0), (1, offset)):
        pts = X[y == label] - shift
        dist = np.min(np.linalg.norm(pts[:, None, :] - grid[None], axis=2), axis=1)
        assert dist.max() < 1e-3
    assert np.bincount(y).tolist() == [41, 40]


def test_two_curves_noise_and_standardisation() -> None:
    kwargs = {"n_samples": 400, "n_features": 4, "degree": 3, "offset": 0.1,
              "random_state": 3}
    clean, y0 = make_two_curves(**kwargs, noise=0.0, standardize=False)
    noisy, y1 = make_two_curves(**kwargs, noise=0.05, standardize=False)
    np.testing.assert_array_equal(y0, y1)
    assert np.std(noisy - clean) == pytest.approx(0.05, rel=0.1)
    X, _, p = make_two_curves(**kwargs, noise=0.05, return_params=True)
    np.testing.assert_allclose(X, (noisy - noisy.mean(axis=0)) / noisy.std(axis=0), atol=1e-12)
    np.testing.assert_allclose(p["mean"], noisy.mean(axis=0))


# --- bars and stripes -------------------------------------------------------------------------

def _bars_and_stripes_structure(X, height, width):
    images = X.reshape(-1, height, width)
    rows_constant = np.all(images == images[:, :, :1], axis=(1, 2))  # stripes
    cols_constant = np.all(images == images[:, :1, :], axis=(1, 2))  # bars
    return rows_constant, cols_constant


@pytest.mark.parametrize(("height", "width"), [(2, 2), (2, 3), (3, 2)])
def test_bars_and_stripes_keep_constant_images_as_the_paper(height, width) -> None:
    n = 20000
    X, y = make_bars_and_stripes(n, height, width, noise_std=0.0, random_state=height + width)
    assert set(np.unique(X)) == {-1.0, 1.0}
    rows_constant, cols_constant = _bars_and_stripes_structure(X, height, width)
    assert np.all(rows_constant[y == 1]) and np.all(cols_constant[y == 0])
    # Hand-derived: an image is constant with probability (2^-h + 2^-w) / 2 per sign.
    constant = rows_constant & cols_constant
    p_constant = 2 ** -height + 2 ** -width
    tol = 5 * np.sqrt(p_constant * (1 - p_constant) / n)
    assert abs(constant.mean() - p_constant) < tol
    assert set(np.unique(X[constant].mean(axis=1))) == {-1.0, 1.0}  # all-off and all-on
    assert abs(constant[y == 1].mean() - 2 * 2 ** -height) < 2 * tol  # stripes: 2 of 2^h
    # The Bayes rule (a constant image gets the likelier class, stripes when h < w; a tie
    # when h = w) is right with probability 1 - 2^-max(h, w).
    bayes = np.where(constant, int(height < width), rows_constant.astype(int))
    assert abs((bayes == y).mean() - (1 - 2.0 ** -max(height, width))) < tol


@pytest.mark.parametrize(("height", "width"), [(2, 2), (3, 5), (6, 4)])
def test_bars_and_stripes_without_constant_images_are_bars_xor_stripes(height, width) -> None:
    X, y = make_bars_and_stripes(300, height, width, noise_std=0.0, constant_images=False,
                                 random_state=height)
    assert set(np.unique(X)) == {-1.0, 1.0}
    rows_constant, cols_constant = _bars_and_stripes_structure(X, height, width)
    np.testing.assert_array_equal(rows_constant ^ cols_constant, True)
    np.testing.assert_array_equal(y, rows_constant.astype(int))


def test_bars_and_stripes_noise_is_added_on_top() -> None:
    clean, y0 = make_bars_and_stripes(500, 4, 4, noise_std=0.0, random_state=2)
    noisy, y1 = make_bars_and_stripes(500, 4, 4, noise_std=0.3, random_state=2)
    np.testing.assert_array_equal(y0, y1)
    assert np.std(noisy - clean) == pytest.approx(0.3, rel=0.05)


# --- real data --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(REAL))
def test_real_data_range_shape_and_labels(name) -> None:
    n, d, n_classes = REAL[name]
    raw, target = getattr(skd, f"load_{name}")(return_X_y=True)
    X, y = load_dataset(name)
    assert X.shape == (n, d) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(y, target)
    assert len(np.unique(y)) == n_classes
    varying = raw.std(axis=0) > 0  # digits has blank pixels, mapped to the lower bound
    np.testing.assert_allclose(X.min(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X.max(axis=0)[varying], np.pi)
    k = min(3, d)
    Xk, _ = load_dataset(name, n_features=k, feature_range=(-1.0, 1.0))
    assert Xk.shape == (n, k)
    np.testing.assert_allclose(Xk.min(axis=0), -1.0)
    np.testing.assert_allclose(Xk.max(axis=0), 1.0)
    # principal components are uncorrelated, and a per-feature affine map keeps them so
    corr = np.corrcoef(Xk, rowvar=False)
    np.testing.assert_allclose(corr, np.eye(k), atol=1e-8)
    Xr, yr = load_dataset(name, preprocess=False)
    np.testing.assert_array_equal(Xr, raw)
    np.testing.assert_array_equal(yr, target)


def test_preprocessor_in_a_pipeline_learns_from_training_rows_only() -> None:
    X, y = load_dataset("breast_cancer", preprocess=False)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    prep = make_preprocessor(n_features=5).fit(X_train)
    Z_train, Z_test = prep.transform(X_train), prep.transform(X_test)
    np.testing.assert_allclose(Z_train.min(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z_train.max(axis=0), np.pi)
    assert Z_test.min() >= 0.0 and Z_test.max() <= np.pi  # clipped into the range
    model = make_pipeline(make_preprocessor(n_features=5), SVC()).fit(X_train, y_train)
    assert model.score(X_test, y_test) > 0.85


# --- bad arguments ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("make", "kwargs", "match"),
    [
        (make_linearly_separable, {"n_samples": 0}, "n_samples=0"),
        (make_linearly_separable, {"n_samples": 2.5}, "n_samples=2.5"),
        (make_linearly_separable, {"n_features": 0}, "n_features=0"),
        (make_linearly_separable, {"margin": -0.1}, "margin=-0.1"),
        (make_linearly_separable, {"margin": float("nan")}, "margin=nan"),
        (make_linearly_separable, {"n_features": 4, "margin": 2.0}, "sqrt"),
        (make_linearly_separable, {"n_features": 3, "margin": 1.5, "teacher": "random",
                                   "random_state": 0}, r"\|\|w\|\|_1=1.349"),
        (make_linearly_separable, {"teacher": "zeros"}, "teacher='zeros'"),
        (make_hidden_manifold, {"manifold_dimension": 0}, "manifold_dimension=0"),
        (make_hyperplanes_parity, {"n_hyperplanes": 0}, "n_hyperplanes=0"),
        (make_hyperplanes_parity, {"n_features": 2, "dim_hyperplanes": 3},
         "dim_hyperplanes=3"),
        (make_two_curves, {"degree": 0}, "degree=0"),
        (make_two_curves, {"offset": -1.0}, "offset=-1.0"),
        (make_two_curves, {"noise": -0.1}, "noise=-0.1"),
        (make_bars_and_stripes, {"height": 1}, "height=1"),
        (make_bars_and_stripes, {"width": True}, "width=True"),
        (make_bars_and_stripes, {"noise_std": -1.0}, "noise_std=-1.0"),
        (make_bars_and_stripes, {"constant_images": "yes"}, "constant_images='yes'"),
        (make_two_curves, {"random_state": -1}, "random_state"),
    ],
)
def test_bad_arguments_raise(make, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        make(**kwargs)


def test_margin_too_large_for_the_sampler_raises() -> None:
    # Feasible (< ||w||_1 = sqrt(20)) but with vanishing probability mass near the corners.
    with pytest.raises(ValueError, match="acceptance rate"):
        make_linearly_separable(10, 20, margin=4.0, teacher="ones", random_state=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "mnist"}, "name='mnist'"),
        ({"name": "iris", "n_features": 5}, "n_features=5 exceeds"),
        ({"name": "iris", "n_features": 0}, "n_features=0"),
        ({"name": "iris", "n_features": 2, "preprocess": False}, "preprocess=True"),
        ({"name": "iris", "feature_range": (1.0, 0.0)}, "low < high"),
        ({"name": "iris", "feature_range": 3.0}, "pair"),
    ],
)
def test_bad_real_data_arguments_raise(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        load_dataset(**kwargs)
