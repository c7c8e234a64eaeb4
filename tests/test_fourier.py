"""Tests of the random-Fourier-feature surrogate of Pauli-encoded circuits.

The oracles are independent of the code under test: expectation values from the
exact statevector simulator and from textbook gate matrices multiplied in NumPy
(a least-squares fit on the enumerated spectrum must reproduce them, and must
fail without the top frequency), eigenvalue-pair counts of the gates' own
unitaries, brute-force enumeration of sign patterns, and closed forms (a single
RY gives cos(s x)).
"""

from __future__ import annotations

import doctest
import itertools
import pickle
from collections import Counter

import jax
import numpy as np
import pytest
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from _dense import PAULI, embed, random_unitary, textbook

import qinspired.estimators.fourier as estimator_module
import qinspired.kernels.fourier as fourier_module
from qinspired.circuits import GATES, Angle, Circuit, Factor, Operation, expval, feature
from qinspired.circuits.gates import gate_matrix
from qinspired.estimators.fourier import QuantumFourierFeatures
from qinspired.feature_maps import (
    AmplitudeEncoding,
    AngleEncoding,
    HardwareEfficientEncoding,
    IQPFeatureMap,
    ZZFeatureMap,
)
from qinspired.kernels.fourier import (
    PAULI_ENCODING_GATES,
    encoding_spectrum,
    enumerate_frequencies,
    fourier_features,
    pauli_encoding_coefficients,
    sample_frequencies,
)


def _lstsq_residual(X, f, frequencies, numpy=False):
    """Max residual of the least-squares fit of f on the Fourier features."""
    if numpy:  # float64 reference features
        phase = X @ frequencies.T
        phi = np.hstack([np.cos(phase), np.sin(phase)])
    else:
        phi = np.asarray(fourier_features(X, frequencies), dtype=np.float64)
    design = np.hstack([phi, np.ones((phi.shape[0], 1))])
    coef, *_ = np.linalg.lstsq(design, np.asarray(f, dtype=np.float64), rcond=None)
    return float(np.max(np.abs(design @ coef - f)))


def _drop_top(frequencies, feature):
    top = np.max(np.abs(frequencies[:, feature]))
    return frequencies[~np.isclose(np.abs(frequencies[:, feature]), top)]


# ----------------------------------------------------------------- completeness of the spectrum
def test_reuploading_circuit_spectrum_is_complete_and_tight():
    fm = HardwareEfficientEncoding(2, n_layers=2)
    rng = np.random.default_rng(3)
    weights = rng.uniform(-np.pi, np.pi, fm.n_weights)
    X = rng.uniform(-np.pi, np.pi, (200, 2)).astype(np.float32)
    # <Z1>: the last CX maps it to Z0 Z1, so both uploads of both features matter
    # (<Z0> would be blind to the second upload of x1).
    f = np.asarray(expval(fm, "Z1", X, weights), dtype=np.float64)

    coefficients = pauli_encoding_coefficients(fm)
    assert [c.tolist() for c in coefficients] == [[1.0, 1.0], [1.0, 1.0]]
    W, mult = enumerate_frequencies(coefficients)
    assert W.shape == (25, 2) and mult.sum() == 4.0**4

    assert _lstsq_residual(X, f, W) < 1e-5
    for j in (0, 1):
        assert _lstsq_residual(X, f, _drop_top(W, j)) > 1e-2


PARAMETRIC_GATES = sorted(name for name, spec in GATES.items() if spec.n_params > 0)
OBSERVABLE = (np.kron(PAULI["Z"], PAULI["I"]) + 0.6 * np.kron(PAULI["I"], PAULI["X"])
              + 0.4 * np.kron(PAULI["Y"], PAULI["Z"]))


def _upload(name, scale):
    """Gate `name` reading x0 in every angle slot (slot k with coefficient scale * (k+1))."""
    spec = GATES[name]
    wires = (0,) if spec.n_wires == 1 else (0, 1)
    angles = [feature(0, scale=scale * (k + 1), offset=0.3) for k in range(spec.n_params)]
    return (name, wires, *angles)


@pytest.mark.parametrize("name", PARAMETRIC_GATES)
def test_every_parametric_gate_spectrum_against_dense_reference(name):
    """Two uploads of x0 between Haar-random unitaries, simulated with textbook matrices."""
    circuit = Circuit(2, [_upload(name, 1.0), _upload(name, 0.5)])
    if name not in PAULI_ENCODING_GATES:
        with pytest.raises(ValueError, match=f"gate '{name}'.*not a Pauli rotation"):
            pauli_encoding_coefficients(circuit)
        return
    rng = np.random.default_rng(sorted(GATES).index(name))
    v1, v2, v3 = (random_unitary(rng, 4) for _ in range(3))
    X = np.linspace(-4 * np.pi, 4 * np.pi, 160)[:, None]
    f = []
    for x in X[:, 0]:
        psi = v1[:, 0]
        for v, op in ((v2, circuit.operations[0]), (v3, circuit.operations[1])):
            angles = tuple(a.evaluate([x]) for a in op.params)
            psi = v @ embed(textbook(name, angles), op.wires, 2) @ psi
        f.append(np.real(psi.conj() @ OBSERVABLE @ psi))
    W, _ = enumerate_frequencies(pauli_encoding_coefficients(circuit))
    assert _lstsq_residual(X, np.array(f), W, numpy=True) < 1e-10
    # the top frequency is really there: without it the fit is off by far more than
    # the float64 round-off (its coefficient can be small for a random circuit)
    assert _lstsq_residual(X, np.array(f), _drop_top(W, 0), numpy=True) > 1e-5


def _generator_pair_counts(name, slot):
    """Differences of the generator eigenvalues of one angle slot, from the gate's matrix."""
    spec = GATES[name]
    base = np.array([0.4, -0.9, 1.3][: spec.n_params])
    t = 0.1
    moved = base.copy()
    moved[slot] += t
    with jax.enable_x64(True):
        u = gate_matrix(name, tuple(moved), dtype=np.complex128)
        u0 = gate_matrix(name, tuple(base), dtype=np.complex128)
    eig = np.linalg.eigvals(u @ u0.conj().T)
    lam = -np.angle(eig) / t  # U(t) U(0)^dag = exp(-i t G) up to a global phase
    diffs = np.round(lam[:, None] - lam[None, :], 6).ravel() + 0.0
    return Counter(diffs.tolist()), lam.size**2


@pytest.mark.parametrize("name", sorted(PAULI_ENCODING_GATES))
def test_tree_multiplicities_match_generator_eigenvalue_pairs(name):
    spec = GATES[name]
    for slot in range(spec.n_params):
        angles = [0.2] * spec.n_params
        angles[slot] = feature(0)
        wires = tuple(range(spec.n_wires))
        circuit = Circuit(max(spec.n_wires, 1), [(name, wires, *angles)])
        (spectrum,) = encoding_spectrum(pauli_encoding_coefficients(circuit))
        counts, total = _generator_pair_counts(name, slot)
        assert sorted(counts) == spectrum.frequencies.tolist()
        if name == "cp":  # documented: same gaps as a Pauli rotation, pair counts 3:10:3
            assert [counts[v] for v in (-1.0, 0.0, 1.0)] == [3, 10, 3]
            continue
        expected = [counts[v] / total for v in spectrum.frequencies.tolist()]
        np.testing.assert_allclose(spectrum.probabilities, expected, atol=1e-12)


# ----------------------------------------------------------------- analytic cases
@pytest.mark.parametrize("s", [0.5, 1.0, 3.0])
def test_single_ry_has_frequencies_minus_s_zero_s(s):
    circuit = Circuit(1, [("ry", 0, feature(0, scale=s))])
    (coefs,) = pauli_encoding_coefficients(circuit)
    (spectrum,) = encoding_spectrum((coefs,))
    assert spectrum.frequencies.tolist() == [-s, 0.0, s]
    assert spectrum.multiplicities.tolist() == [1.0, 2.0, 1.0]
    x = np.linspace(-3, 3, 50)[:, None]
    # <Z> after RY(s x)|0> is cos(s x): one cosine feature at frequency s, exactly
    np.testing.assert_allclose(np.asarray(expval(circuit, "Z0", x)), np.cos(s * x[:, 0]),
                               atol=1e-6)
    phi = np.asarray(fourier_features(x, np.array([[s]])))
    np.testing.assert_allclose(phi[:, 0], np.cos(s * x[:, 0]), atol=1e-6)


def test_angle_slope_shift_offset_and_adjoint():
    angle = Angle((Factor("x", 1, coef=3.0, shift=1.0),), scale=0.5, offset=0.2)
    ops = [("rz", 0, angle), Operation("ry", (0,), (feature(0, 2.0),), adjoint=True),
           ("rx", 0, 0.7), ("crz", (0, 1), feature(1, -2.0))]
    coefs = pauli_encoding_coefficients(Circuit(2, ops))
    assert coefs[0].tolist() == [-2.0]
    assert coefs[1].tolist() == [1.5, -1.0, 1.0]


def test_unused_feature_has_spectrum_zero():
    circuit = Circuit(1, [("ry", 0, feature(0))], n_features=2)
    coefs = pauli_encoding_coefficients(circuit)
    assert coefs[1].size == 0
    assert encoding_spectrum(coefs)[1].frequencies.tolist() == [0.0]


def test_spectrum_multiplicities_match_brute_force():
    coefs = np.array([1.0, 2.5, 1.0, 0.5])
    brute = Counter()
    for s in itertools.product((-1, 0, 1), repeat=coefs.size):
        brute[round(float(np.dot(s, coefs)), 9) + 0.0] += 2 ** sum(v == 0 for v in s)
    (spectrum,) = encoding_spectrum((coefs,))
    assert spectrum.frequencies.tolist() == sorted(brute)
    assert spectrum.multiplicities.tolist() == [brute[f] for f in sorted(brute)]


def test_feature_maps_accepted_and_rejected():
    assert [c.tolist() for c in pauli_encoding_coefficients(AngleEncoding(2, "rx", 0.5))] == [
        [0.5], [0.5]]
    with pytest.raises(ValueError, match=r"gate 'p' \(operation \d+\).*multiplies features"):
        pauli_encoding_coefficients(ZZFeatureMap(2))
    with pytest.raises(ValueError, match=r"gate 'rzz'.*multiplies features"):
        pauli_encoding_coefficients(IQPFeatureMap(2))
    with pytest.raises(ValueError, match="AmplitudeEncoding"):
        pauli_encoding_coefficients(AmplitudeEncoding(4))
    with pytest.raises(ValueError, match="expected a Circuit"):
        pauli_encoding_coefficients("ry")


def test_feature_times_weight_needs_binding():
    circuit = Circuit(1, [("ry", 0, Angle((Factor("w", 0), Factor("x", 0))))])
    with pytest.raises(ValueError, match=r"weight\(s\) w\[0\].*bind"):
        pauli_encoding_coefficients(circuit)
    bound = circuit.bind(weights=[0.7])
    assert pauli_encoding_coefficients(bound)[0].tolist() == pytest.approx([0.7])


# ----------------------------------------------------------------- sampling
def _tree_distribution(coefs):
    probs = Counter()
    for s in itertools.product((-1, 0, 1), repeat=len(coefs)):
        p = np.prod([0.5 if v == 0 else 0.25 for v in s])
        probs[round(float(np.dot(s, coefs)), 6) + 0.0] += p
    return probs


def test_tree_sampling_matches_multinomial():
    coefs = ([1.0, 2.5, 1.0], [0.5])
    n = 40_000
    W = np.asarray(sample_frequencies(jax.random.key(11), coefs, n, "tree"), dtype=np.float64)
    assert W.shape == (n, 2)
    for j, c in enumerate(coefs):
        expected = _tree_distribution(c)
        counts = Counter((np.round(W[:, j], 6) + 0.0).tolist())
        assert set(counts) <= set(expected)
        for value, p in expected.items():
            sigma = np.sqrt(n * p * (1 - p))
            assert abs(counts[value] - n * p) < 5 * sigma, (j, value)
    # the two features are sampled independently
    joint = np.mean((W[:, 0] == 0.0) & (W[:, 1] == 0.0))
    marg = np.mean(W[:, 0] == 0.0) * np.mean(W[:, 1] == 0.0)
    assert abs(joint - marg) < 0.01


def test_distinct_sampling_is_uniform_over_each_spectrum():
    coefs = ([1.0, 2.5], [1.0, 1.0])
    n = 30_000
    W = np.asarray(sample_frequencies(jax.random.key(5), coefs, n, "distinct"), dtype=np.float64)
    for j, spectrum in enumerate(encoding_spectrum(coefs)):
        counts = Counter((np.round(W[:, j], 6) + 0.0).tolist())
        m = spectrum.frequencies.size
        assert sorted(counts) == spectrum.frequencies.tolist()
        p = 1.0 / m
        for value in spectrum.frequencies.tolist():
            assert abs(counts[value] - n * p) < 5 * np.sqrt(n * p * (1 - p))


@pytest.mark.parametrize("sampling", ["tree", "distinct"])
def test_same_key_same_frequencies(sampling):
    coefs = pauli_encoding_coefficients(HardwareEfficientEncoding(3))
    a = sample_frequencies(jax.random.key(42), coefs, 50, sampling)
    b = sample_frequencies(jax.random.key(42), coefs, 50, sampling)
    c = sample_frequencies(jax.random.key(43), coefs, 50, sampling)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_sampling_input_errors():
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="sampling='grid' is not allowed"):
        sample_frequencies(key, ([1.0],), 3, "grid")
    with pytest.raises(ValueError, match="n_samples=0"):
        sample_frequencies(key, ([1.0],), 0)
    with pytest.raises(ValueError, match="NaN"):
        sample_frequencies(key, ([np.nan],), 3)
    with pytest.raises(ValueError, match="one 1-D array per feature"):
        sample_frequencies(key, np.ones(3), 3)
    with pytest.raises(ValueError, match="max_size"):
        encoding_spectrum(([1.0, np.sqrt(2), np.sqrt(3), np.pi],), max_size=20)
    with pytest.raises(ValueError, match="product spectrum has 125"):
        enumerate_frequencies(([1.0, 1.0],) * 3, max_size=100)


# ----------------------------------------------------------------- features
def test_fourier_features_against_numpy():
    rng = np.random.default_rng(0)
    X, W = rng.normal(size=(7, 3)), rng.normal(size=(5, 3))
    phase = X @ W.T
    expected = np.hstack([np.cos(phase), np.sin(phase)]) / np.sqrt(5)
    phi = np.asarray(fourier_features(X, W))
    np.testing.assert_allclose(phi, expected, atol=1e-6)
    # phi(x) . phi(x') is the mean of cos(w . (x - x'))
    gram = np.mean(np.cos((X[:, None, :] - X[None, :, :]) @ W.T), axis=-1)
    np.testing.assert_allclose(phi @ phi.T, gram, atol=1e-5)


def test_fourier_features_input_errors():
    with pytest.raises(ValueError, match="X has 2 features but the frequencies have 3"):
        fourier_features(np.ones((4, 2)), np.ones((5, 3)))
    with pytest.raises(ValueError, match="NaN"):
        fourier_features(np.array([[np.nan]]), np.ones((1, 1)))
    with pytest.raises(ValueError, match="2-D"):
        fourier_features(np.ones(3), np.ones((1, 3)))


# ----------------------------------------------------------------- the sklearn transformer
@parametrize_with_checks([QuantumFourierFeatures(n_components=8)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _moons(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, np.pi, (n, 2))
    y = (np.cos(X[:, 0]) * np.cos(X[:, 1]) > 0).astype(int)
    return X, y


def test_pipeline_learns_beyond_chance():
    X, y = _moons(120, 0)
    Xt, yt = _moons(200, 1)
    model = make_pipeline(QuantumFourierFeatures(n_components=60, random_state=0),
                          RidgeClassifier(alpha=1e-2)).fit(X, y)
    assert model.score(Xt, yt) > 0.85  # chance is about 0.5


def test_default_map_is_fitted_so_raw_standardised_and_min_max_data_agree():
    # The default map reads feature j as pi/2 + 0.3 (x_j - mean_j) / std_j (training
    # statistics), so the frequencies are in units of 1 / std_j and the feature inner
    # products (1/D) sum_k cos(w_k . (x - x')) do not depend on a per-feature affine map.
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 3)) * [0.01, 1.0, 300.0] + [5.0, -2.0, 1e3]
    scaled = [X, (X - X.mean(0)) / X.std(0), (X - X.min(0)) / (X.max(0) - X.min(0))]
    grams, steps = [], []
    for Z in scaled:
        est = QuantumFourierFeatures(n_components=64, random_state=1).fit(Z)
        np.testing.assert_allclose(est.feature_map_.feature_std_, Z.std(0), rtol=1e-12)
        phi = est.transform(Z)
        diff = Z[:, None, :] - Z[None, :, :]
        reference = np.cos(np.einsum("ijf,kf->ijk", diff, est.frequencies_)).mean(axis=2)
        np.testing.assert_allclose(phi @ phi.T, reference, atol=1e-5)
        grams.append(reference)
        steps.append(est.frequencies_ * Z.std(0))
    for gram, step in zip(grams[1:], steps[1:]):
        np.testing.assert_allclose(gram, grams[0], atol=1e-7)
        np.testing.assert_allclose(step, steps[0], rtol=1e-6)


def test_default_features_learn_standardised_wine():
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_wine(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    model = make_pipeline(StandardScaler(), QuantumFourierFeatures(random_state=0),
                          LogisticRegression(max_iter=3000)).fit(X_train, y_train)
    assert model.score(X_test, y_test) >= 0.95  # 0.70 while the default map read x as given


def test_grid_search_over_n_components():
    X, y = _moons(60, 2)
    pipe = make_pipeline(QuantumFourierFeatures(random_state=0), RidgeClassifier(alpha=1e-2))
    search = GridSearchCV(pipe, {"quantumfourierfeatures__n_components": [2, 40]}, cv=3)
    search.fit(X, y)
    assert search.best_params_ == {"quantumfourierfeatures__n_components": 40}


def test_pickle_and_reproducibility():
    X, _ = _moons(10, 3)
    a = QuantumFourierFeatures(n_components=12, random_state=7).fit(X)
    b = QuantumFourierFeatures(n_components=12, random_state=7).fit(X)
    np.testing.assert_array_equal(a.frequencies_, b.frequencies_)
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.transform(X), a.transform(X))
    names = a.get_feature_names_out()
    assert names.shape == (24,) and names[0] == "quantumfourierfeatures0"


def test_given_feature_map_and_circuit():
    X, _ = _moons(10, 4)
    fm = HardwareEfficientEncoding(2, n_layers=3, feature_scale=0.5)
    est = QuantumFourierFeatures(fm, n_components=200, random_state=0).fit(X)
    assert est.feature_map_ == fm and est.feature_map_ is not fm
    assert "_circuit_cache" not in vars(fm)  # the user's map is left untouched
    allowed = set(np.round(encoding_spectrum(pauli_encoding_coefficients(fm))[0].frequencies, 6))
    assert set(np.round(est.frequencies_.ravel(), 6)) <= allowed
    circuit = Circuit(2, [("rx", 0, feature(0, 2.0)), ("ry", 1, feature(1))])
    est = QuantumFourierFeatures(circuit, n_components=50, sampling="distinct",
                                 random_state=0).fit(X)
    assert set(np.abs(est.frequencies_[:, 0])) == {0.0, 2.0}
    assert est.transform(X).shape == (10, 100)
    # nested parameters of the feature map are reachable, as GridSearchCV needs
    est = QuantumFourierFeatures(fm).set_params(feature_map__feature_scale=2.0)
    assert est.get_params()["feature_map__feature_scale"] == 2.0


def test_transformer_errors():
    X, _ = _moons(10, 5)
    with pytest.raises(ValueError, match="reads 3 feature.*X has 2"):
        QuantumFourierFeatures(HardwareEfficientEncoding(3)).fit(X)
    with pytest.raises(ValueError, match="multiplies features"):
        QuantumFourierFeatures(ZZFeatureMap(2)).fit(X)
    with pytest.raises(ValueError, match="feature_map must be None, a FeatureMap or a Circuit"):
        QuantumFourierFeatures("hardware_efficient").fit(X)
    with pytest.raises(ValueError, match="n_components=0"):
        QuantumFourierFeatures(n_components=0).fit(X)
    with pytest.raises(ValueError, match="sampling='uniform'"):
        QuantumFourierFeatures(sampling="uniform").fit(X)


@pytest.mark.parametrize("module", [fourier_module, estimator_module])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
