"""QuantumNystroem: low-rank features of quantum kernels against the exact Gram matrices.

The references are the kernels' own exact Gram matrices (``k(X)``, computed in one piece
by the kernel, not by the transformer) and the Nystroem formula
``K[:, L] pinv(K[L, L]) K[L, :]`` evaluated with NumPy on them.
"""

from __future__ import annotations

import importlib
import pickle

import jax
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

import qinspired
from qinspired import AngleEncoding, QuantumKernelSVC, ZZFeatureMap, load, save
from qinspired.circuits import NoiseModel, channels
from qinspired.estimators.nystroem import QuantumNystroem
from qinspired.kernels import FidelityKernel, ProjectedKernel

RNG = np.random.default_rng(5)
X = RNG.normal(size=(24, 3))


def _kernels():
    noise = NoiseModel().add_all_qubit(channels.Depolarizing(0.02))
    return {
        "statevector": FidelityKernel(backend="statevector"),
        "product": FidelityKernel(AngleEncoding(3), backend="product"),
        "mps": FidelityKernel(backend="mps", bond_dim=4),
        "density": FidelityKernel(noise=noise),
        "circuit": FidelityKernel(mode="circuit"),
        "projected": ProjectedKernel(),
        "projected-mps": ProjectedKernel(backend="mps", bond_dim=2),
    }


def _exact_gram(kernel, A, B=None):
    """The kernel's own Gram matrix, bandwidth fixed from A (the training set)."""
    k = clone(kernel).fit(A)
    return k(A) if B is None else k(B, A)


@pytest.mark.parametrize("name", list(_kernels()))
def test_all_points_as_landmarks_reproduce_the_exact_gram_matrix(x64, name):
    kernel = _kernels()[name]
    phi = QuantumNystroem(kernel, len(X), random_state=0).fit_transform(X)
    np.testing.assert_allclose(phi @ phi.T, _exact_gram(kernel, X), atol=1e-9)


@pytest.mark.parametrize("name", ["statevector", "projected"])
def test_few_landmarks_give_the_nystroem_formula(x64, name):
    kernel = _kernels()[name]
    Y = RNG.normal(size=(7, 3))
    ny = QuantumNystroem(kernel, 9, random_state=3).fit(X)
    K_xx = _exact_gram(kernel, X)
    K_yx = _exact_gram(kernel, X, Y)
    L = ny.component_indices_
    expected = K_yx[:, L] @ np.linalg.pinv(K_xx[np.ix_(L, L)]) @ K_xx[L, :]
    np.testing.assert_allclose(ny.transform(Y) @ ny.transform(X).T, expected, atol=1e-9)
    # exact on the landmark columns themselves
    np.testing.assert_allclose(ny.transform(Y) @ ny.transform(X[L]).T, K_yx[:, L], atol=1e-9)


def test_landmark_selection_is_seeded_and_reproducible():
    a = QuantumNystroem(FidelityKernel(AngleEncoding(3)), 8, random_state=11).fit(X)
    b = QuantumNystroem(FidelityKernel(AngleEncoding(3)), 8, random_state=11).fit(X)
    c = QuantumNystroem(FidelityKernel(AngleEncoding(3)), 8, random_state=12).fit(X)
    idx = a.component_indices_
    assert len(np.unique(idx)) == 8 and np.all(np.diff(idx) > 0) and idx.max() < len(X)
    np.testing.assert_array_equal(b.component_indices_, idx)
    np.testing.assert_array_equal(a.components_, X[idx])
    np.testing.assert_array_equal(b.transform(X), a.transform(X))
    assert not np.array_equal(c.component_indices_, idx)
    assert a.provenance_.seed == 11


def test_chunked_transform_equals_one_shot_and_holds_one_chunk_at_a_time(x64):
    ny = QuantumNystroem(ProjectedKernel(), 6, random_state=0).fit(X)
    one_shot = ny.transform(X)
    ny.set_params(chunk_size=5)
    sizes = []
    original = ny.kernel_.states

    def recording(part):
        sizes.append(len(part))
        return original(part)

    ny.kernel_.states = recording
    np.testing.assert_allclose(ny.transform(X), one_shot, atol=1e-12)
    assert sizes == [5, 5, 5, 5, 4]


def test_projected_gamma_is_fixed_from_all_training_data_in_chunks(x64):
    ny = QuantumNystroem(ProjectedKernel(), 4, random_state=0, chunk_size=5).fit(X)
    reference = ProjectedKernel().fit(X)
    assert ny.kernel_.gamma_ == pytest.approx(reference.gamma_, rel=1e-12)
    assert ny.kernel_.feature_map_.feature_std_ == pytest.approx(
        reference.feature_map_.feature_std_)


def test_rank_deficient_landmarks_are_clipped_not_amplified(x64):
    # one RY qubit: the fidelity kernel has rank 3; and a duplicated row
    X1 = np.vstack([RNG.uniform(0, np.pi, (9, 1)), np.zeros((1, 1)), np.zeros((1, 1))])
    kernel = FidelityKernel(AngleEncoding(1, feature_scale=1.0))
    ny = QuantumNystroem(kernel, len(X1), random_state=0).fit(X1)
    assert ny.rank_ == 3  # k = (1 + cos x cos y + sin x sin y) / 2
    phi = ny.transform(X1)
    assert np.abs(phi).max() < 10
    np.testing.assert_allclose(phi @ phi.T, kernel(X1), atol=1e-10)


def test_negative_eigenvalues_from_shots_are_clipped():
    kernel = FidelityKernel(AngleEncoding(3), shots=20, random_state=0)
    ny = QuantumNystroem(kernel, 16, random_state=0).fit(X)
    assert ny.eigenvalues_.min() < 0
    assert ny.rank_ <= np.count_nonzero(ny.eigenvalues_ > 0) < 16
    vals = np.linalg.eigvalsh(ny.normalization_)
    assert vals.min() > -1e-6  # a real (PSD) square root
    assert np.all(np.isfinite(ny.transform(X)))


def _problem(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2))
    y = (np.sin(2.5 * x[:, 0]) > x[:, 1]).astype(int)
    return x, y


def test_pipeline_with_linear_svc_matches_the_exact_kernel_svc():
    Xtr, ytr = _problem(150, 0)
    Xte, yte = _problem(300, 1)
    kernel = FidelityKernel(ZZFeatureMap(2))
    exact = QuantumKernelSVC(kernel, C=10.0).fit(Xtr, ytr).score(Xte, yte)
    model = make_pipeline(QuantumNystroem(kernel, 100, random_state=0), LinearSVC(C=10.0))
    approx = model.fit(Xtr, ytr).score(Xte, yte)
    assert exact > 0.85
    assert abs(approx - exact) <= 0.04


@pytest.mark.parametrize("scaler", [None, StandardScaler(), MinMaxScaler()],
                         ids=["raw", "standardised", "minmax"])
def test_defaults_work_on_raw_standardised_and_min_max_data(scaler):
    Xtr, ytr = _problem(150, 2)
    Xte, yte = _problem(300, 3)
    Xtr, Xte = 40 * Xtr + 100, 40 * Xte + 100  # raw: far from the angles' range
    if scaler is not None:
        scaler.fit(Xtr)
        Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
    model = make_pipeline(QuantumNystroem(n_components=60, random_state=0), LinearSVC())
    assert model.fit(Xtr, ytr).score(Xte, yte) > 0.8


def test_clone_grid_search_pickle_and_save_load(tmp_path):
    Xtr, ytr = _problem(60, 4)
    pipe = make_pipeline(QuantumNystroem(FidelityKernel(AngleEncoding(2)), random_state=0),
                         LinearSVC())
    search = GridSearchCV(pipe, {"quantumnystroem__n_components": [2, 30]}, cv=3)
    search.fit(Xtr, ytr)
    assert search.best_params_ == {"quantumnystroem__n_components": 30}
    ny = QuantumNystroem(ProjectedKernel(AngleEncoding(2)), 5, random_state=1).fit(Xtr)
    fresh = clone(ny)
    assert fresh.get_params()["n_components"] == 5 and not hasattr(fresh, "normalization_")
    expected = ny.transform(Xtr)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(ny)).transform(Xtr), expected)
    pytest.importorskip("skops")
    path = save(ny, tmp_path / "ny.skops", format="skops")
    np.testing.assert_array_equal(load(path).transform(Xtr), expected)
    assert list(ny.get_feature_names_out()) == [f"quantumnystroem{i}" for i in range(5)]


def test_bad_input_gets_clear_errors():
    ny = QuantumNystroem(FidelityKernel(AngleEncoding(3)), 30)
    with pytest.raises(ValueError, match=r"n_components=30 .* n_samples = 24"):
        ny.fit(X)
    with pytest.raises(NotFittedError):
        ny.transform(X)
    bad = X.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        QuantumNystroem(FidelityKernel(AngleEncoding(3)), 4).fit(bad)
    ny = QuantumNystroem(FidelityKernel(AngleEncoding(3)), 4, random_state=0).fit(X)
    with pytest.raises(ValueError, match="NaN"):
        ny.transform(bad)
    with pytest.raises(ValueError, match="2 features, but QuantumNystroem is expecting 3"):
        ny.transform(X[:, :2])
    with pytest.raises(ValueError, match="n_components=0 must be an integer >= 1"):
        QuantumNystroem(n_components=0).fit(X)
    with pytest.raises(ValueError, match="chunk_size=0 must be an integer >= 1"):
        QuantumNystroem(FidelityKernel(AngleEncoding(3)), 4, chunk_size=0).fit(X).transform(X)
    with pytest.raises(ValueError, match=r"eigenvalue_cutoff=1.5 must be in \[0, 1\)"):
        QuantumNystroem(n_components=4, eigenvalue_cutoff=1.5).fit(X)
    with pytest.raises(ValueError, match="kernel must be a quantum kernel"):
        QuantumNystroem("rbf", 4).fit(X)


def test_importable_from_kernels_and_the_package_without_loading_sklearn_eagerly():
    kernels = importlib.import_module("qinspired.kernels")
    assert kernels.QuantumNystroem is QuantumNystroem
    assert qinspired.QuantumNystroem is QuantumNystroem
    assert "QuantumNystroem" in dir(kernels)
    assert "QuantumNystroem" in kernels.__all__
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        kernels.Nope  # noqa: B018


@parametrize_with_checks([QuantumNystroem(n_components=4, random_state=0)])
def test_sklearn_compatible(estimator, check):
    # x64: the checks compare transforms of subsets and permutations at rtol=1e-7
    with jax.enable_x64(True):
        check(estimator)
