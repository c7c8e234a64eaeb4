"""HamiltonianEvolutionEncoding against dense references: the exact Trotter product built
from ``scipy.linalg.expm``, its large-L limit ``expm(-i T H)``, and the qml-benchmarks
circuit written with PennyLane's own gates (when PennyLane is installed)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import qinspired
from qinspired.circuits import statevector
from qinspired.feature_maps import FEATURE_MAPS, HamiltonianEvolutionEncoding
from qinspired.kernels import FidelityKernel, ProjectedKernel

from _dense import X as PX, Y as PY, Z as PZ, embed

pytestmark = pytest.mark.usefixtures("x64")


def _rotations(seed: int, n_qubits: int) -> np.ndarray:
    """The documented draw: ``2 pi * default_rng(seed).uniform(size=(n, 3))``."""
    return 2 * np.pi * np.random.default_rng(seed).uniform(size=(n_qubits, 3))


def _rz(a: float) -> np.ndarray:
    return np.diag([np.exp(-0.5j * a), np.exp(0.5j * a)])


def _ry(a: float) -> np.ndarray:
    c, s = np.cos(a / 2), np.sin(a / 2)
    return np.array([[c, -s], [s, c]], dtype=complex)


def _rotated_zero(seed: int, n: int) -> np.ndarray:
    """``prod_q RZ(omega) RY(theta) RZ(phi) |0>`` as one dense vector."""
    psi = np.array([1.0 + 0j])
    for phi, theta, omega in _rotations(seed, n):
        psi = np.kron(psi, _rz(omega) @ _ry(theta) @ _rz(phi) @ np.array([1.0, 0.0]))
    return psi


def _heisenberg(j: int, n: int) -> np.ndarray:
    """``X_j X_{j+1} + Y_j Y_{j+1} + Z_j Z_{j+1}`` on ``n`` qubits."""
    return sum(embed(np.kron(p, p), (j, j + 1), n) for p in (PX, PY, PZ))


def _trotter_state(u: np.ndarray, steps: int, t: float, seed: int) -> np.ndarray:
    d = len(u)
    n, tau = d + 1, t * d / steps
    step = np.eye(2**n, dtype=complex)
    for j in range(d):
        step = scipy.linalg.expm(-0.5j * tau * u[j] * _heisenberg(j, n)) @ step
    return np.linalg.matrix_power(step, steps) @ _rotated_zero(seed, n)


def _exact_state(u: np.ndarray, t: float, seed: int) -> np.ndarray:
    d = len(u)
    H = sum(u[j] * _heisenberg(j, d + 1) for j in range(d))
    return scipy.linalg.expm(-1j * (t * d / 2) * H) @ _rotated_zero(seed, d + 1)


@pytest.mark.parametrize("d, steps, t, seed", [(3, 2, 1 / 3, 42), (2, 5, 0.7, 7), (1, 3, 2.0, 0)])
def test_state_equals_dense_trotter_product(d, steps, t, seed):
    fm = HamiltonianEvolutionEncoding(d, trotter_steps=steps, evolution_time=t,
                                      random_state=seed, feature_scale=1.0)
    X = np.random.default_rng(d).uniform(-np.pi / 2, np.pi / 2, size=(4, d))
    got = np.asarray(statevector(fm, X))
    want = np.stack([_trotter_state(x, steps, t, seed) for x in X])
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_feature_scale_multiplies_the_data():
    x = np.array([0.3, -1.1, 0.8])
    scaled = HamiltonianEvolutionEncoding(3, trotter_steps=2, feature_scale=0.4)
    np.testing.assert_allclose(np.asarray(statevector(scaled, x)),
                               _trotter_state(0.4 * x, 2, 1 / 3, 42), atol=1e-12)


def test_many_trotter_steps_approach_the_exact_evolution():
    # Kernel states (one scan over pair steps) keep 200 steps cheap to compile.
    x, t = np.array([0.9, -1.3, 1.5]), 1.0
    want = _exact_state(x, t, 3)
    errors = []
    for steps in (2, 20, 200):
        fm = HamiltonianEvolutionEncoding(3, trotter_steps=steps, evolution_time=t,
                                          random_state=3, feature_scale=1.0)
        psi = np.asarray(FidelityKernel(fm, backend="statevector").states(x[None]).data)[0]
        errors.append(np.linalg.norm(psi - want))
    assert errors[0] > 0.1  # the neighbouring terms do not commute: L = 2 is visibly off
    assert 7 < errors[1] / errors[2] < 13  # first-order Trotter error, ~ 1 / L
    assert errors[2] < 0.02


def test_kernels_equal_dense_overlaps_and_bloch_vectors():
    fm = HamiltonianEvolutionEncoding(2, trotter_steps=3, random_state=5, feature_scale=1.0)
    X = np.random.default_rng(1).uniform(-1.5, 1.5, size=(5, 2))
    psi = np.stack([_trotter_state(x, 3, 1 / 3, 5) for x in X])
    np.testing.assert_allclose(FidelityKernel(fm)(X), np.abs(psi.conj() @ psi.T) ** 2,
                               atol=1e-10)
    bloch = np.stack([[np.real(p.conj() @ embed(P, (q,), 3) @ p) for q in range(3)
                       for P in (PX, PY, PZ)] for p in psi])
    sq = ((bloch[:, None, :] - bloch[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(ProjectedKernel(fm, gamma=0.8)(X), np.exp(-0.8 * 0.5 * sq),
                               atol=1e-10)


def test_reproduces_the_qml_benchmarks_circuit_and_kernel():
    """The ProjectedQuantumKernel embedding of qml-benchmarks, written as its source does
    (Rot, then IsingXX/YY/ZZ(x_j t (n_qubits - 1) / L) per step), and its kernel
    ``exp(-gamma_b sum (<P>_x - <P>_y)^2)`` with ``gamma_b = 1 / var(expvals) / d``."""
    qml = pytest.importorskip("pennylane")
    d, steps, t, seed = 3, 5, 1 / 3, 42
    n = d + 1
    angles = _rotations(seed, n)
    dev = qml.device("default.qubit", wires=n)

    def embedding(x):
        evol_time = t / steps * (n - 1)
        for i in range(n):
            qml.Rot(*angles[i], wires=i)
        for _ in range(steps):
            for j in range(n - 1):
                qml.IsingXX(x[j] * evol_time, wires=[j, j + 1])
                qml.IsingYY(x[j] * evol_time, wires=[j, j + 1])
                qml.IsingZZ(x[j] * evol_time, wires=[j, j + 1])

    @qml.qnode(dev)
    def state(x):
        embedding(x)
        return qml.state()

    @qml.qnode(dev)
    def expvals(x):
        embedding(x)
        return [qml.expval(P(i)) for P in (qml.PauliX, qml.PauliY, qml.PauliZ)
                for i in range(n)]

    X = np.random.default_rng(2).uniform(-np.pi / 2, np.pi / 2, size=(4, d))
    fm = HamiltonianEvolutionEncoding(d, feature_scale=1.0)
    ref = np.stack([np.asarray(state(x)) for x in X])
    np.testing.assert_allclose(np.asarray(statevector(fm, X)), ref, atol=1e-10)

    vals = np.stack([np.asarray(expvals(x), dtype=float) for x in X])  # (N, [X.., Y.., Z..])
    gamma_b = 1 / np.var(vals) / d
    sq = ((vals[:, None, :] - vals[None, :, :]) ** 2).sum(-1)
    # qinspired's projected kernel is exp(-gamma * 0.5 * |r_x - r_y|^2)
    got = ProjectedKernel(fm, gamma=2 * gamma_b)(X)
    np.testing.assert_allclose(got, np.exp(-gamma_b * sq), atol=1e-10)


def test_estimator_fits_and_predicts():
    X = np.random.default_rng(0).normal(size=(16, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    model = qinspired.QuantumKernelSVC(
        kernel=ProjectedKernel(HamiltonianEvolutionEncoding(2, trotter_steps=2))).fit(X, y)
    assert model.predict(X).shape == (16,) and model.score(X, y) > 0.5


def test_circuit_is_fixed_by_the_seed():
    a = HamiltonianEvolutionEncoding(2, random_state=11)
    x = np.array([0.4, -0.2])
    np.testing.assert_array_equal(np.asarray(statevector(a, x)),
                                  np.asarray(statevector(HamiltonianEvolutionEncoding(
                                      2, random_state=11), x)))
    assert np.abs(np.vdot(statevector(a, x), statevector(
        HamiltonianEvolutionEncoding(2, random_state=12), x))) < 0.999
    assert FEATURE_MAPS["hamiltonian"] is HamiltonianEvolutionEncoding
    assert qinspired.HamiltonianEvolutionEncoding is HamiltonianEvolutionEncoding


@pytest.mark.parametrize("params, match", [
    (dict(random_state=None), "random_state"),
    (dict(random_state=np.random.default_rng(0)), "random_state"),
    (dict(random_state=-1), "random_state"),
    (dict(trotter_steps=0), "trotter_steps"),
    (dict(evolution_time=np.nan), "evolution_time"),
    (dict(feature_scale=0.0), "feature_scale"),
])
def test_bad_parameters_are_refused(params, match):
    with pytest.raises(ValueError, match=match):
        HamiltonianEvolutionEncoding(2, **params).circuit
