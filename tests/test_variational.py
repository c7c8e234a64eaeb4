"""Ansatz circuits and the variational circuit estimators.

Oracles: dense Kronecker-built unitaries written from the ansatz definitions,
the gate-by-gate simulator, finite differences and the parameter-shift rule,
the density-matrix simulator (without noise it equals the statevector), and
binomial error bars for finite-shot predictions.
"""

from __future__ import annotations

import dataclasses
import pickle
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _dense import X, Y, Z, central_differences, circuit_unitary, embed, textbook
from scipy.linalg import expm
from sklearn.datasets import load_breast_cancer
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from qinspired._validation import SimulationTooLargeError
from qinspired.circuits import NoiseModel, statevector
from qinspired.circuits import variational as variational_core
from qinspired.circuits.ansatz import (
    apply_ansatz,
    hardware_efficient_ansatz,
    make_ansatz,
    mps_ansatz,
    readout_wires,
    tree_pairs,
    ttn_ansatz,
    variational_circuit,
)
from qinspired.circuits.channels import Depolarizing, ReadoutError
from qinspired.estimators import variational
from qinspired.estimators.variational import (
    VariationalCircuitClassifier,
    VariationalCircuitRegressor,
)
from qinspired.feature_maps import AngleEncoding, HardwareEfficientEncoding
from qinspired.training import train_step


# ------------------------------------------------------------------ dense references
def u3(t: float, p: float, lam: float) -> np.ndarray:
    return textbook("u3", (t, p, lam))


def ref_block(w: np.ndarray) -> np.ndarray:
    """KAK form: (u3 x u3) exp(-i/2 (a XX + b YY + c ZZ)) (u3 x u3)."""
    core = expm(-0.5j * (w[6] * np.kron(X, X) + w[7] * np.kron(Y, Y) + w[8] * np.kron(Z, Z)))
    return np.kron(u3(*w[9:12]), u3(*w[12:15])) @ core @ np.kron(u3(*w[0:3]), u3(*w[3:6]))


def ref_blocks(pairs: list[tuple[int, int]], w: np.ndarray, n: int) -> np.ndarray:
    u = np.eye(2**n, dtype=complex)
    for s, pair in enumerate(pairs):
        u = embed(ref_block(w[15 * s: 15 * s + 15]), pair, n) @ u
    return u


def ref_hardware_efficient(w: np.ndarray, n: int, layers: int) -> np.ndarray:
    u = np.eye(2**n, dtype=complex)
    for layer in range(layers + 1):
        for q in range(n):
            k = 2 * (layer * n + q)
            rot = expm(-0.5j * w[k + 1] * Z) @ expm(-0.5j * w[k] * Y)
            u = embed(rot, (q,), n) @ u
        if layer < layers:
            for q in range(n - 1):
                u = embed(textbook("cx"), (q, q + 1), n) @ u
    return u


STAIRCASE_4 = [(0, 1), (1, 2), (2, 3)]
TREE_4 = [(0, 1), (2, 3), (1, 3)]
TREE_5 = [(0, 1), (2, 3), (1, 3), (3, 4)]


@pytest.mark.parametrize("name, n, layers, pairs", [
    ("mps", 4, 2, STAIRCASE_4 * 2), ("ttn", 4, 1, TREE_4), ("ttn", 5, 2, TREE_5 * 2),
    ("mps", 2, 1, [(0, 1)])])
def test_block_ansatze_match_dense_kak_references(name, n, layers, pairs) -> None:
    w = np.random.default_rng(n + layers).normal(size=15 * len(pairs))
    circuit = make_ansatz(name, n, layers)
    assert circuit.n_weights == w.size
    expected = ref_blocks(pairs, w, n)
    np.testing.assert_allclose(circuit_unitary(circuit.bind(weights=w)), expected, atol=1e-10)


@pytest.mark.parametrize("n, layers", [(3, 1), (4, 2), (1, 2)])
def test_hardware_efficient_ansatz_matches_dense_reference(n: int, layers: int) -> None:
    circuit = hardware_efficient_ansatz(n, layers)
    w = np.random.default_rng(n).normal(size=circuit.n_weights)
    if n == 1:
        expected = u3(*w[3:6]) @ u3(*w[0:3])
    else:
        assert circuit.n_weights == 2 * n * (layers + 1)
        expected = ref_hardware_efficient(w, n, layers)
    np.testing.assert_allclose(circuit_unitary(circuit.bind(weights=w)), expected, atol=1e-10)


@pytest.mark.parametrize("name", ["mps", "ttn", "hardware_efficient"])
@pytest.mark.parametrize("n", [2, 4])
def test_scan_application_equals_the_gate_by_gate_simulator(x64, name: str, n: int) -> None:
    circuit = make_ansatz(name, n, 2, first_weight=4)
    rng = np.random.default_rng(n)
    w = rng.normal(size=circuit.n_weights)
    psi = rng.normal(size=(3, 2**n)) + 1j * rng.normal(size=(3, 2**n))
    psi /= np.linalg.norm(psi, axis=1, keepdims=True)
    got = apply_ansatz(psi, w, name, 2, first_weight=4)
    np.testing.assert_allclose(np.asarray(got), psi @ circuit_unitary(circuit.bind(weights=w)).T,
                               atol=1e-12)


def test_apply_ansatz_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="n >= 2"):
        apply_ansatz(np.ones(2) / np.sqrt(2), np.zeros(3), "mps")
    with pytest.raises(ValueError, match="weights up to index 14"):
        apply_ansatz(np.eye(4)[0], np.zeros(3), "mps")
    with pytest.raises(ValueError, match="unknown ansatz"):
        make_ansatz("mera", 3)


def test_tree_structure_readout_and_composition() -> None:
    assert tree_pairs(8) == [[(0, 1), (2, 3), (4, 5), (6, 7)], [(1, 3), (5, 7)], [(3, 7)]]
    assert readout_wires("ttn", 8, 1) == (7,)
    assert readout_wires("ttn", 8, 3) == (3, 5, 7)
    assert readout_wires("mps", 5, 2) == (3, 4)
    with pytest.raises(ValueError, match="cannot read 3 wires"):
        readout_wires("mps", 2, 3)
    assert ttn_ansatz(8).n_weights == 15 * 7
    assert mps_ansatz(4, 3).n_weights == 15 * 3 * 3
    encoding = HardwareEfficientEncoding(3, n_layers=1)  # 6 weights of its own
    circuit = variational_circuit(encoding, "mps", 1, n_qubits=4)
    assert (circuit.n_qubits, circuit.n_features, circuit.n_weights) == (4, 3, 6 + 45)
    first_ansatz_op = circuit.operations[len(encoding.circuit.operations)]
    assert first_ansatz_op.params[0].uses("w") == (6,)
    with pytest.raises(ValueError, match="smaller than the encoding"):
        variational_circuit(encoding, "mps", 1, n_qubits=2)


# ------------------------------------------------------------------ gradients
def _params(est) -> dict:
    return {"w": jnp.asarray(est.weights_), "scale": jnp.asarray(est.scale_),
            "bias": jnp.asarray(est.bias_)}


@pytest.mark.parametrize("path", ["scan", "statevector", "density"])
def test_loss_gradient_matches_finite_differences(x64, path: str) -> None:
    """Through each simulation path: apply_ansatz, the gate-by-gate statevector (an encoding
    with weights of its own) and the noisy density matrix (with readout errors)."""
    rng = np.random.default_rng(0)
    n_features = 3 if path == "scan" else 2
    X_, y_ = rng.normal(size=(6, n_features)), np.array([0, 1, 2, 0, 1, 2])
    kwargs: dict = {"ansatz": "mps"}
    if path == "statevector":
        kwargs["feature_map"] = HardwareEfficientEncoding(2, n_layers=1)
    if path == "density":
        kwargs["ansatz"] = "hardware_efficient"
        kwargs["noise"] = NoiseModel().add_all_qubit(Depolarizing(0.05)).add_readout(
            ReadoutError(0.03, 0.02))
    model = VariationalCircuitClassifier(**kwargs)._build(n_features, 2, 3)  # no training
    assert model.model.scan == (path == "scan")
    params = {"w": jnp.asarray(rng.normal(size=model.model.n_weights)),
              "scale": jnp.asarray(2.5), "bias": jnp.asarray([0.1, -0.2, 0.3])}
    Xj, yj = jnp.asarray(X_), jnp.asarray(y_.astype(np.int32))
    grad = np.asarray(jax.jit(jax.grad(model))(params, Xj, yj)["w"])
    loss = jax.jit(model)
    fd = central_differences(lambda w: loss({**params, "w": jnp.asarray(w)}, Xj, yj),
                             params["w"])
    np.testing.assert_allclose(grad, fd, atol=1e-7)


@pytest.mark.parametrize("name", ["mps", "hardware_efficient"])
def test_expectation_gradient_matches_the_parameter_shift_rule(x64, name: str) -> None:
    """Every weight enters one gate exp(-i theta G / 2) with G^2 = 1 (u3 angles included)."""
    n = 3
    circuit = make_ansatz(name, n, 1)
    rng = np.random.default_rng(1)
    psi0 = np.asarray(statevector(AngleEncoding(n), rng.normal(size=n)))
    signs = jnp.asarray(1.0 - 2.0 * (np.arange(2**n) & 1))  # Z on the last wire

    @jax.jit
    def f(w):
        return jnp.sum(signs * jnp.abs(apply_ansatz(psi0, w, name)) ** 2)

    w = rng.normal(size=circuit.n_weights)
    shift = np.array([(f(w + np.pi / 2 * e) - f(w - np.pi / 2 * e)) / 2
                      for e in np.eye(w.size)])
    np.testing.assert_allclose(np.asarray(jax.grad(f)(jnp.asarray(w))), shift, atol=1e-10)


def test_scan_and_gate_by_gate_models_agree(monkeypatch) -> None:
    rng = np.random.default_rng(2)
    X_, y_ = rng.normal(size=(20, 4)), rng.integers(0, 2, 20)
    est = VariationalCircuitClassifier(epochs=2, random_state=0).fit(X_, y_)
    assert est._head(2).model.scan
    fast = est.decision_function(X_)
    monkeypatch.setattr(variational_core, "_SCAN_MAX_ENTRIES", 0)
    assert not est._head(2).model.scan
    np.testing.assert_allclose(est.decision_function(X_), fast, atol=1e-5)


# ------------------------------------------------------------------ learning
@pytest.fixture(scope="module")
def breast_cancer():
    X_, y_ = load_breast_cancer(return_X_y=True)
    X_ = PCA(4, random_state=0).fit_transform(StandardScaler().fit_transform(X_))
    X_ = StandardScaler().fit_transform(X_)
    return train_test_split(X_, y_, test_size=0.3, random_state=0, stratify=y_)


def test_learns_breast_cancer_quickly(breast_cancer) -> None:
    X_tr, X_te, y_tr, y_te = breast_cancer
    start = time.perf_counter()
    clf = VariationalCircuitClassifier(ansatz="mps", n_layers=1, epochs=15, learning_rate=0.05,
                                       random_state=0).fit(X_tr, y_tr)
    accuracy = clf.score(X_te, y_te)
    assert time.perf_counter() - start < 60  # generous for a loaded machine; ~5 s alone
    assert accuracy >= 0.9
    assert clf.loss_curve_[-1] < 0.5 * clf.loss_curve_[0]
    assert clf.predict_proba(X_te).shape == (len(y_te), 2)
    np.testing.assert_allclose(clf.predict_proba(X_te).sum(axis=1), 1.0, atol=1e-6)


def test_regressor_learns_a_smooth_function() -> None:
    X_ = np.linspace(-1.5, 1.5, 40)[:, None]
    y_ = 3.0 + 2.0 * np.sin(1.5 * X_[:, 0])
    reg = VariationalCircuitRegressor(epochs=150, learning_rate=0.1, batch_size=8,
                                      random_state=0).fit(X_, y_)
    assert reg.score(X_, y_) > 0.95


def test_noiseless_density_path_equals_the_statevector_path() -> None:
    rng = np.random.default_rng(7)
    X_, y_ = rng.normal(size=(16, 2)), np.array([0, 1] * 8)
    est = VariationalCircuitClassifier(epochs=2, random_state=0).fit(X_, y_)
    exact = est._head(2)
    density = dataclasses.replace(exact, model=dataclasses.replace(exact.model,
                                                                   noise=NoiseModel()))
    assert exact.model.scan and not density.model.scan
    params, Xj = _params(est), jnp.asarray(X_, jnp.float32)
    np.testing.assert_allclose(jax.jit(density.probabilities)(params, Xj),
                               jax.jit(exact.probabilities)(params, Xj), atol=1e-5)


def test_noisy_training(breast_cancer) -> None:
    """Depolarizing noise, p = 0.02 after every gate, on two principal components:
    test accuracy 0.906 (0.912 without noise)."""
    X_tr, X_te, y_tr, y_te = (a[:, :2] if a.ndim == 2 else a for a in breast_cancer)
    noise = NoiseModel().add_all_qubit(Depolarizing(0.02))
    noisy = VariationalCircuitClassifier(noise=noise, epochs=15, learning_rate=0.05,
                                         random_state=0).fit(X_tr, y_tr)
    assert np.all(np.isfinite(noisy.loss_curve_))
    assert noisy.score(X_te, y_te) >= 0.85


def test_shot_predictions_agree_with_exact_within_binomial_error(breast_cancer) -> None:
    X_ = breast_cancer[0][:40]  # four features, as in the learning test: compiled steps reused
    y_ = np.sin(X_[:, 0]) + 0.5 * X_[:, 1]
    reg = VariationalCircuitRegressor(epochs=20, learning_rate=0.1, random_state=0).fit(X_, y_)
    exact = reg.predict(X_)
    shots = 4000
    reg.set_params(shots=shots)
    sampled = reg.predict(X_)
    np.testing.assert_array_equal(sampled, reg.predict(X_))  # reproducible key
    z = ((exact - reg.y_mean_) / reg.y_scale_ - reg.bias_) / reg.scale_  # exact <Z>
    sigma = np.abs(reg.y_scale_ * reg.scale_) * np.sqrt((1 - z**2) / shots)
    assert np.all(np.abs(sampled - exact) <= 5 * sigma + 1e-6)
    assert np.any(sampled != exact)

    clf = VariationalCircuitClassifier(epochs=3, random_state=0).fit(X_, y_ > 0)
    d_exact = clf.decision_function(X_)
    clf.set_params(shots=shots)
    d_shots = clf.decision_function(X_)
    p0 = (1 - (d_exact - (clf.bias_[1] - clf.bias_[0])) / clf.scale_) / 2
    bound = 2 * abs(clf.scale_) * 5 * np.sqrt(p0 * (1 - p0) / shots)
    assert np.all(np.abs(d_shots - d_exact) <= bound + 1e-5)


# ------------------------------------------------------------------ scikit-learn
def _tiny(cls):
    # just enough training for check_classifiers_train (accuracy > 0.83 on blobs: 0.93)
    # and check_regressors_train (R^2 > 0.5 with one informative feature of ten: 0.59)
    return cls(epochs=10, batch_size=16, learning_rate=0.1, random_state=0)


@parametrize_with_checks([_tiny(VariationalCircuitClassifier), _tiny(VariationalCircuitRegressor)])
def test_sklearn_compatible(estimator, check) -> None:
    check(estimator)


def test_grid_search_over_layers(breast_cancer) -> None:
    X_tr, _, y_tr, _ = breast_cancer
    grid = GridSearchCV(VariationalCircuitClassifier(epochs=3, random_state=0),
                        {"n_layers": [1, 2]}, cv=2)
    grid.fit(X_tr[:80], y_tr[:80])
    assert grid.best_params_["n_layers"] in (1, 2)
    assert grid.best_estimator_.weights_.size == 45 * grid.best_params_["n_layers"]


def test_fitting_again_reuses_the_compiled_training_step() -> None:
    rng = np.random.default_rng(4)
    X_, y_ = rng.normal(size=(48, 3)), rng.integers(0, 2, 48)
    VariationalCircuitClassifier(epochs=1, random_state=0).fit(X_, y_)
    size = train_step._cache_size()
    VariationalCircuitClassifier(epochs=2, learning_rate=0.3, random_state=1).fit(X_ + 1, y_)
    assert train_step._cache_size() == size


def test_fitted_model_pickles(breast_cancer) -> None:
    X_tr, X_te, y_tr, _ = breast_cancer
    clf = VariationalCircuitClassifier(epochs=2, random_state=0).fit(X_tr, y_tr)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X_te), clf.predict_proba(X_te))
    assert all(isinstance(getattr(clf, a), np.ndarray)
               for a in ("weights_", "bias_", "scale_", "loss_curve_", "classes_"))


def test_feature_maps_extra_qubits_and_fitted_attributes() -> None:
    rng = np.random.default_rng(5)
    X_ = rng.normal(size=(30, 1))
    y_ = np.digitize(X_[:, 0], [-0.5, 0.5])  # 3 classes from one feature
    clf = VariationalCircuitClassifier(epochs=2, random_state=0).fit(X_, y_)
    assert (clf.n_qubits_, clf.readout_wires_) == (2, (0, 1))
    X2 = rng.normal(size=(30, 2))
    y2 = (X2[:, 0] > 0).astype(int)
    fm = HardwareEfficientEncoding(2, n_layers=1)  # 4 trainable weights of its own
    clf = VariationalCircuitClassifier(feature_map=fm, epochs=1, random_state=0).fit(X2, y2)
    assert clf.weights_.shape == (4 + 15,) == (clf.circuit_.n_weights,)
    assert clf.feature_map_ is not fm and clf.feature_map_ == fm  # a clone; fm is untouched
    zz = VariationalCircuitClassifier(feature_map="zz")
    zz._build(2, 1, 2)  # what fit builds, without the training
    assert type(zz.feature_map_).__name__ == "ZZFeatureMap" and zz.n_qubits_ == 2


def test_clear_errors() -> None:
    rng = np.random.default_rng(6)
    X_, y_ = rng.normal(size=(10, 3)), np.array([0, 1] * 5)
    clf = VariationalCircuitClassifier(epochs=1, random_state=0).fit(X_, y_)
    with pytest.raises(ValueError, match="3 features"):
        clf.predict(X_[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(np.where(X_ > 1, np.nan, X_))
    with pytest.raises(ValueError, match="reads 4 features, but X has 3"):
        VariationalCircuitClassifier(feature_map=AngleEncoding(4)).fit(X_, y_)
    with pytest.raises(SimulationTooLargeError, match="50 qubits"):
        VariationalCircuitClassifier().fit(rng.normal(size=(4, 50)), [0, 1, 0, 1])
    for bad, match in [({"ansatz": "mera"}, "ansatz"), ({"shots": 0}, "shots"),
                       ({"noise": "depolarizing"}, "noise"), ({"n_layers": 0}, "n_layers"),
                       ({"learning_rate": -1.0}, "learning_rate"),
                       ({"feature_map": 3}, "feature_map")]:
        with pytest.raises(ValueError, match=match):
            VariationalCircuitClassifier(**bad).fit(X_, y_)
    with pytest.raises(ValueError, match="at least 2 classes"):
        VariationalCircuitClassifier().fit(X_, np.zeros(10))


def test_docstring_examples_run() -> None:
    import doctest

    from qinspired.circuits import ansatz

    for module in (ansatz, variational):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0, module.__name__
