"""CircuitLayer: the variational circuit as a Flax NNX layer.

Oracles: dense NumPy states and density matrices built gate by gate with
``kron``/``expm`` from the textbook gate definitions and the ansatz's
documented block layout, a dense Kraus sum for the noisy case, central finite
differences (x64) for the gradients, and the fitted variational estimators for
equal parameters.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _dense import PAULI, X, Y, Z, embed, textbook
from flax import nnx
from scipy.linalg import expm

from qinspired.circuits import NoiseModel, pauli
from qinspired.circuits.channels import Depolarizing, ReadoutError
from qinspired.estimators.variational import (
    VariationalCircuitClassifier,
    VariationalCircuitRegressor,
)
from qinspired.feature_maps import AmplitudeEncoding, AngleEncoding
from qinspired.nn import CircuitLayer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


# ------------------------------------------------------------------ dense references
def block_ops(w: np.ndarray, a: int, b: int) -> list[tuple[str, np.ndarray, tuple[int, ...]]]:
    """The documented KAK block: u3 a, u3 b, rxx, ryy, rzz, u3 a, u3 b (15 weights)."""
    u3 = lambda k: textbook("u3", tuple(w[k:k + 3]))  # noqa: E731
    return [("u3", u3(0), (a,)), ("u3", u3(3), (b,)),
            ("rxx", expm(-0.5j * w[6] * np.kron(X, X)), (a, b)),
            ("ryy", expm(-0.5j * w[7] * np.kron(Y, Y)), (a, b)),
            ("rzz", expm(-0.5j * w[8] * np.kron(Z, Z)), (a, b)),
            ("u3", u3(9), (a,)), ("u3", u3(12), (b,))]


def circuit_ops(x: np.ndarray, w: np.ndarray, pairs: list[tuple[int, int]]) -> list:
    """RY(x_q) on every wire, then one block per pair (weights in order)."""
    ops = [("ry", textbook("ry", (x[q],)), (q,)) for q in range(len(x))]
    for s, (a, b) in enumerate(pairs):
        ops += block_ops(w[15 * s:15 * s + 15], a, b)
    return ops


def dense_rho(ops: list, n: int, kraus_after: dict | None = None) -> np.ndarray:
    """Density matrix from |0><0|: each gate, then (per wire of the gate) its Kraus channel."""
    rho = np.zeros((2**n, 2**n), complex)
    rho[0, 0] = 1.0
    for name, u, wires in ops:
        full = embed(u, wires, n)
        rho = full @ rho @ full.conj().T
        for kraus in (kraus_after or {}).get(name, []):
            for q in wires:
                ks = [embed(k, (q,), n) for k in kraus]
                rho = sum(k @ rho @ k.conj().T for k in ks)
    return rho


def dense_pauli(label: dict[int, str], n: int) -> np.ndarray:
    out = np.array([[1.0 + 0j]])
    for q in range(n):
        out = np.kron(out, PAULI[label.get(q, "I")])
    return out


def depolarizing_kraus(p: float) -> list[np.ndarray]:
    return [np.sqrt(1 - 3 * p / 4) * np.eye(2)] + [np.sqrt(p / 4) * P for P in (X, Y, Z)]


CASES = [("mps", 3, [(0, 1), (1, 2)]), ("ttn", 4, [(0, 1), (2, 3), (1, 3)])]


def set_weights(layer: CircuitLayer, w: np.ndarray) -> None:
    layer.weights[...] = jnp.asarray(w, layer.weights[...].dtype)


# ------------------------------------------------------------------ exact outputs
@pytest.mark.parametrize("ansatz, n, pairs", CASES)
def test_exact_outputs_match_dense_statevector(x64, ansatz, n, pairs):
    rng = np.random.default_rng(1)
    w = rng.normal(size=15 * len(pairs))
    xs = rng.uniform(0, np.pi, size=(4, n))
    layer = CircuitLayer(AngleEncoding(n, rotation="ry", feature_scale=1.0), ansatz=ansatz,
                         rngs=nnx.Rngs(0))
    set_weights(layer, w)
    labels = [{0: "X", 2: "Z"}, {1: "Y"}, {0: "Z", n - 1: "Z"}]
    obs_layer = CircuitLayer(AngleEncoding(n, rotation="ry", feature_scale=1.0),
                             ansatz=ansatz, rngs=nnx.Rngs(0),
                             observables=["X0 Z2", pauli("Y1", coef=0.5), f"Z0 Z{n - 1}"])
    set_weights(obs_layer, w)
    got, got_obs = np.asarray(layer(xs)), np.asarray(obs_layer(xs))
    assert got.shape == (4, n) and got_obs.shape == (4, 3)
    for i, x in enumerate(xs):
        psi = np.zeros(2**n, complex)
        psi[0] = 1.0
        for _, u, wires in circuit_ops(x, w, pairs):
            psi = embed(u, wires, n) @ psi
        z = [np.vdot(psi, dense_pauli({q: "Z"}, n) @ psi).real for q in range(n)]
        o = [c * np.vdot(psi, dense_pauli(lab, n) @ psi).real
             for c, lab in zip((1.0, 0.5, 1.0), labels)]
        np.testing.assert_allclose(got[i], z, atol=1e-10)
        np.testing.assert_allclose(got_obs[i], o, atol=1e-10)


def test_noisy_outputs_match_dense_kraus_sum(x64):
    n, pairs = 2, [(0, 1)]
    p_enc, p_u3, p01, p10 = 0.1, 0.05, 0.04, 0.02
    noise = (NoiseModel().add_all_qubit(Depolarizing(p_enc), after=["ry"])
             .add_all_qubit(Depolarizing(p_u3), after=["u3"])
             .add_readout(ReadoutError(p0given1=p01, p1given0=p10)))
    rng = np.random.default_rng(2)
    w = rng.normal(size=15)
    xs = rng.uniform(0, np.pi, size=(3, n))
    fm = AngleEncoding(n, rotation="ry", feature_scale=1.0)
    layer = CircuitLayer(fm, noise=noise, rngs=nnx.Rngs(0))
    obs_layer = CircuitLayer(fm, noise=noise, observables=["X0"], rngs=nnx.Rngs(0))
    set_weights(layer, w)
    set_weights(obs_layer, w)
    got, got_x = np.asarray(layer(xs)), np.asarray(obs_layer(xs))
    kraus = {"ry": [depolarizing_kraus(p_enc)], "u3": [depolarizing_kraus(p_u3)]}
    hadamard = textbook("h")
    for i, x in enumerate(xs):
        rho = dense_rho(circuit_ops(x, w, pairs), n, kraus)
        assert abs(np.trace(rho) - 1) < 1e-12
        for q in range(n):
            # true outcome 0 reads 1 with p10, true 1 reads 0 with p01
            p1 = np.real(np.trace(embed(np.diag([0.0, 1.0]), (q,), n) @ rho))
            expected = (1 - p1) * (1 - 2 * p10) - p1 * (1 - 2 * p01)
            np.testing.assert_allclose(got[i, q], expected, atol=1e-10)
        h = embed(hadamard, (0,), n)  # measure X0: rotate by H, then read wire 0
        p1 = np.real(np.trace(embed(np.diag([0.0, 1.0]), (0,), n) @ h @ rho @ h.conj().T))
        np.testing.assert_allclose(got_x[i, 0], (1 - p1) * (1 - 2 * p10) - p1 * (1 - 2 * p01),
                                   atol=1e-10)


# ------------------------------------------------------------------ gradients
def test_gradients_match_finite_differences(x64):
    n = 3
    fm = AngleEncoding(n, rotation="ry", feature_scale=1.0)
    noise = NoiseModel().add_all_qubit(Depolarizing(0.05), after=["rzz"])
    rng = np.random.default_rng(3)
    x = jnp.asarray(rng.uniform(0, np.pi, size=(2, n)))
    c = jnp.asarray(rng.normal(size=(2, n)))
    for layer in (CircuitLayer(fm, rngs=nnx.Rngs(1)),
                  CircuitLayer(fm, noise=noise, rngs=nnx.Rngs(1))):
        set_weights(layer, rng.normal(size=layer.model.n_weights))

        def loss(m: CircuitLayer, xin: jax.Array) -> jax.Array:
            return jnp.sum(c * m(xin))

        grads = nnx.grad(loss)(layer, x)["weights"][...]
        grad_x = jax.grad(lambda xin: loss(layer, xin))(x)
        w0 = np.asarray(layer.weights[...])
        eps = 1e-6
        for k in (0, 7, 16, len(w0) - 1):
            shift = np.zeros_like(w0)
            shift[k] = eps
            set_weights(layer, w0 + shift)
            up = float(loss(layer, x))
            set_weights(layer, w0 - shift)
            down = float(loss(layer, x))
            np.testing.assert_allclose(grads[k], (up - down) / (2 * eps), atol=1e-7)
        set_weights(layer, w0)
        shift = np.zeros(x.shape)
        shift[1, 2] = eps
        fd = (float(loss(layer, x + shift)) - float(loss(layer, x - shift))) / (2 * eps)
        np.testing.assert_allclose(grad_x[1, 2], fd, atol=1e-7)


# ------------------------------------------------------------------ the estimators' core
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_equals_the_fitted_variational_estimators():
    rng = np.random.default_rng(4)
    X_ = rng.normal(size=(12, 3))
    reg = VariationalCircuitRegressor(ansatz="ttn", epochs=2, random_state=0)
    reg.fit(X_, X_[:, 0] - X_[:, 1])
    clf = VariationalCircuitClassifier(ansatz="mps", epochs=2, random_state=0)
    clf.fit(X_, (X_[:, 2] > 0).astype(int))
    for est in (reg, clf):
        layer = CircuitLayer(est.feature_map_, ansatz=est.ansatz, rngs=nnx.Rngs(0))
        set_weights(layer, est.weights_)
        xs = (X_ - est.feature_offset_) * est.feature_scale_
        z = np.asarray(layer(xs))[:, est.readout_wires_[0]]
        if est is reg:  # y = mean + scale * (s <Z> + b)
            expected = ((reg.predict(X_) - reg.y_mean_) / reg.y_scale_ - reg.bias_[0]) / \
                reg.scale_[0]
        else:  # f1 - f0 = s (p1 - p0) + b1 - b0 and <Z> = p0 - p1
            expected = -(clf.decision_function(X_) - (clf.bias_[1] - clf.bias_[0])) / clf.scale_
        np.testing.assert_allclose(z, expected, atol=2e-5)


# ------------------------------------------------------------------ transformations and state
def test_jit_vmap_split_merge_and_state_round_trip():
    fm = AngleEncoding(3, rotation="ry")
    layer = CircuitLayer(fm, ansatz="hardware_efficient", n_layers=2, rngs=nnx.Rngs(5))
    x = jnp.asarray(np.random.default_rng(5).uniform(0, np.pi, size=(4, 3)), jnp.float32)
    eager = np.asarray(layer(x))
    np.testing.assert_allclose(nnx.jit(lambda m, v: m(v))(layer, x), eager, atol=1e-6)
    np.testing.assert_allclose(jax.vmap(layer)(x), eager, atol=1e-6)
    np.testing.assert_allclose(layer(x[1]), eager[1], atol=1e-6)
    graphdef, state = nnx.split(layer)
    np.testing.assert_allclose(nnx.merge(graphdef, state)(x), eager, atol=1e-6)

    saved = jax.tree.map(np.asarray, nnx.to_pure_dict(nnx.state(layer)))
    other = CircuitLayer(fm, ansatz="hardware_efficient", n_layers=2, rngs=nnx.Rngs(99))
    assert not np.allclose(other(x), eager)
    restored = nnx.state(other)
    nnx.replace_by_pure_dict(restored, jax.tree.map(jnp.asarray, saved))
    nnx.update(other, restored)
    np.testing.assert_array_equal(np.asarray(other(x)), eager)


def test_bad_inputs_are_refused():
    layer = CircuitLayer(AngleEncoding(3, rotation="ry"), rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match="n_features=3"):
        layer(jnp.zeros((2, 4)))
    with pytest.raises(ValueError, match="n_features=3"):
        layer(jnp.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        layer(jnp.array([[0.1, np.nan, 0.2]]))
    with pytest.raises(ValueError, match="NaN"):
        layer(np.array([0.1, np.inf, 0.2]))
    with pytest.raises(ValueError, match="wire 3"):
        CircuitLayer(AngleEncoding(3), observables=["Z3"], rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match="ansatz"):
        CircuitLayer(AngleEncoding(3), ansatz="ring", rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match="n_layers"):
        CircuitLayer(AngleEncoding(3), n_layers=0, rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match="NoiseModel"):
        CircuitLayer(AngleEncoding(3), noise=Depolarizing(0.1), rngs=nnx.Rngs(0))
    with pytest.raises(TypeError, match="states"):
        CircuitLayer(AmplitudeEncoding(4), rngs=nnx.Rngs(0))


# ------------------------------------------------------------------ the example
def test_hybrid_example_runs_and_its_loss_falls():
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "hybrid_circuit.py")],
                          capture_output=True, text=True, env=env, timeout=600, check=True)
    start = float(re.search(r"loss at start:\s*([\d.]+)", done.stdout).group(1))
    end = float(re.search(r"loss at end:\s*([\d.]+)", done.stdout).group(1))
    assert end < 0.5 * start
