"""Noisy density matrices against PennyLane's ``default.mixed`` simulator.

PennyLane uses the library's wire order (wire 0 most significant), so density
matrices compare entry by entry. Conventions: our ``Depolarizing(p)`` is
:math:`(1-p)\\rho + pI/2`, PennyLane's ``DepolarizingChannel(q)`` applies each
Pauli with probability :math:`q/3`, so :math:`q = 3p/4`; amplitude, phase and
generalised amplitude damping and thermal relaxation share PennyLane's
parameters, except that our ``GeneralizedAmplitudeDamping(gamma, p)`` takes the
ground-state population ``p`` of the fixed point (Nielsen & Chuang) and PennyLane's
the excited one, ``1 - p``; ``ThermalRelaxation(t1, t2, gate_time, excited_population)`` is
``ThermalRelaxationError(pe, t1, t2, tq)``). Skipped without PennyLane.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from qinspired.circuits.channels import (
    AmplitudeDamping,
    Depolarizing,
    GeneralizedAmplitudeDamping,
    KrausChannel,
    PhaseDamping,
    ThermalRelaxation,
)
from qinspired.circuits.density import density_matrix
from qinspired.circuits.noise_model import NoiseModel
from qinspired.feature_maps import HardwareEfficientEncoding, ZZFeatureMap

qml = pytest.importorskip("pennylane")

pytestmark = pytest.mark.peers

P_DEPOL, GAMMA_AD, GAMMA_PD = 0.06, 0.08, 0.05
GAD = (0.1, 0.7)
T1, T2, TG, PE = 50.0, 30.0, 2.0, 0.1
T2_LONG = 80.0  # T1 < T2 <= 2 T1: the other Kraus form


def _random_kraus_2q(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(8, 8)) + 1j * rng.normal(size=(8, 8))
    q, _ = np.linalg.qr(a)
    return q[:, :4].reshape(2, 4, 4)  # blocks of an isometry: sum K^H K = I


KRAUS_2Q = _random_kraus_2q(0)

# Our noise model and, gate name -> PennyLane channels to append on each gate wire.
OURS = (
    NoiseModel()
    .add_all_qubit(Depolarizing(P_DEPOL))
    .add(AmplitudeDamping(GAMMA_AD), after=["cx", "cz"])
    .add(PhaseDamping(GAMMA_PD), after=["h", "ry"])
    .add(GeneralizedAmplitudeDamping(*GAD), after=["p", "rz"])
    .add(ThermalRelaxation(T1, T2, TG, PE), after=["h"], wires=[0])
    .add(ThermalRelaxation(T1, T2_LONG, TG, PE), after=["cx", "cz"], wires=[1])
    .add(KrausChannel(KRAUS_2Q), after=["cx", "cz"], wires=[0, 1])
)


def _pennylane_noise(name: str, wires: tuple[int, ...]) -> None:
    for w in wires:
        qml.DepolarizingChannel(3 * P_DEPOL / 4, wires=w)
    if name in ("cx", "cz"):
        for w in wires:
            qml.AmplitudeDamping(GAMMA_AD, wires=w)
    if name in ("h", "ry"):
        for w in wires:
            qml.PhaseDamping(GAMMA_PD, wires=w)
    if name in ("p", "rz"):
        for w in wires:
            qml.GeneralizedAmplitudeDamping(GAD[0], 1 - GAD[1], wires=w)
    if name == "h" and 0 in wires:
        qml.ThermalRelaxationError(PE, T1, T2, TG, wires=0)
    if name in ("cx", "cz") and 1 in wires:
        qml.ThermalRelaxationError(PE, T1, T2_LONG, TG, wires=1)
    if name in ("cx", "cz") and wires == (0, 1):
        qml.QubitChannel(list(KRAUS_2Q), wires=[0, 1])


GATES = {"h": qml.Hadamard, "p": qml.PhaseShift, "cx": qml.CNOT, "cz": qml.CZ,
         "rx": qml.RX, "ry": qml.RY, "rz": qml.RZ}


def _pennylane_rho(circuit, x, w=()):
    dev = qml.device("default.mixed", wires=circuit.n_qubits)

    @qml.qnode(dev)
    def run():
        for op in circuit.operations:
            angles = [a.evaluate(x, w) for a in op.params]
            GATES[op.name](*angles, wires=list(op.wires))
            _pennylane_noise(op.name, tuple(op.wires))
        return qml.density_matrix(wires=range(circuit.n_qubits))

    return np.asarray(run())


@pytest.mark.parametrize("n, entanglement", [(3, "full"), (4, "linear")])
def test_noisy_zz_feature_map_matches_pennylane_default_mixed(n, entanglement):
    fm = ZZFeatureMap(n, reps=2, entanglement=entanglement)
    X = np.random.default_rng(n).uniform(-np.pi, np.pi, size=(2, n))
    with jax.enable_x64(True):
        ours = np.asarray(density_matrix(fm, X, noise=OURS))
    for i in range(len(X)):
        np.testing.assert_allclose(ours[i], _pennylane_rho(fm.circuit, X[i]), atol=1e-6)
    assert np.real(np.trace(ours[0] @ ours[0])) < 0.95  # the noise matters


def test_noisy_hardware_efficient_circuit_matches_pennylane_default_mixed():
    fm = HardwareEfficientEncoding(3, n_layers=2, entangler="cz")
    rng = np.random.default_rng(11)
    x, w = rng.uniform(-2, 2, size=3), rng.uniform(-np.pi, np.pi, size=fm.n_weights)
    with jax.enable_x64(True):
        ours = np.asarray(density_matrix(fm, x, w, noise=OURS))
    np.testing.assert_allclose(ours, _pennylane_rho(fm.circuit, x, w), atol=1e-6)
