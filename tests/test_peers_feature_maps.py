"""Cross-checks of the feature maps against Qiskit and PennyLane.

Qiskit orders qubits the other way round (its qubit 0 is the least significant
bit), so its statevectors are compared after ``reverse_qargs()``. PennyLane
uses the library's order. Skipped when the peers are not installed.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from qinspired.circuits import statevector
from qinspired.feature_maps import AngleEncoding, IQPFeatureMap, PauliFeatureMap, ZZFeatureMap

pytestmark = pytest.mark.peers

N_POINTS = 3


def _qiskit_states(circuit, X):
    """Qiskit statevectors of a parametrised circuit for each row of X, in our qubit order."""
    from qiskit.quantum_info import Statevector

    out = []
    for x in X:
        bound = circuit.assign_parameters({p: float(x[p.index]) for p in circuit.parameters})
        out.append(Statevector(bound).reverse_qargs().data)
    return np.stack(out)


def _ours(fm, X):
    with jax.enable_x64(True):
        return np.asarray(statevector(fm, X))


# Every n in 2..5 at reps=2, and reps 1 and 3 at n=3 (each case costs one XLA compile).
ZZ_SIZES = [(2, 2), (3, 2), (4, 2), (5, 2), (3, 1), (3, 3)]


@pytest.mark.parametrize("n, reps", ZZ_SIZES)
@pytest.mark.parametrize("entanglement", ["linear", "circular", "full"])
def test_zz_feature_map_matches_qiskit(n, reps, entanglement):
    pytest.importorskip("qiskit")
    from qiskit.circuit.library import zz_feature_map

    X = np.random.default_rng(10 * n + reps).uniform(-np.pi, np.pi, size=(N_POINTS, n))
    ref = _qiskit_states(zz_feature_map(n, reps=reps, entanglement=entanglement), X)
    got = _ours(ZZFeatureMap(n, reps=reps, entanglement=entanglement), X)
    np.testing.assert_allclose(got, ref, atol=1e-6)


@pytest.mark.parametrize("entanglement", ["reverse_linear", "sca"])
def test_zz_other_entanglements_and_alpha_match_qiskit(entanglement):
    pytest.importorskip("qiskit")
    from qiskit.circuit.library import zz_feature_map

    X = np.random.default_rng(7).uniform(-3, 3, size=(N_POINTS, 4))
    ref = _qiskit_states(zz_feature_map(4, reps=3, entanglement=entanglement, alpha=1.3), X)
    got = _ours(ZZFeatureMap(4, reps=3, entanglement=entanglement, alpha=1.3), X)
    np.testing.assert_allclose(got, ref, atol=1e-6)


PAULI_CASES = [
    (3, ("Z", "ZZ"), "full"),
    (3, ("X", "ZY"), "full"),
    (3, ("X", "ZY"), "linear"),
    (3, ("Z", "YY", "ZZZ"), "full"),
    (4, ("Z", "YY", "ZZZ"), "circular"),
    (4, ("Y", "XZ"), "sca"),
    (3, ("IZ", "XIY"), "reverse_linear"),
    (2, ("ZY",), "full"),
]


@pytest.mark.parametrize("n, paulis, entanglement", PAULI_CASES)
def test_pauli_feature_map_matches_qiskit(n, paulis, entanglement):
    pytest.importorskip("qiskit")
    from qiskit.circuit.library import pauli_feature_map

    X = np.random.default_rng(len(paulis) + n).uniform(-np.pi, np.pi, size=(N_POINTS, n))
    qc = pauli_feature_map(n, reps=2, entanglement=entanglement, paulis=list(paulis))
    got = _ours(PauliFeatureMap(n, reps=2, paulis=paulis, entanglement=entanglement), X)
    np.testing.assert_allclose(got, _qiskit_states(qc, X), atol=1e-6)


def test_pauli_feature_map_explicit_entanglement_matches_qiskit_dict():
    pytest.importorskip("qiskit")
    from qiskit.circuit.library import pauli_feature_map

    ent = {1: [(0,), (2,)], 2: [(2, 0), (1, 2)]}
    X = np.random.default_rng(5).uniform(-np.pi, np.pi, size=(N_POINTS, 3))
    qc = pauli_feature_map(3, reps=2, entanglement=ent, paulis=["X", "ZY"])
    ours_dict = PauliFeatureMap(3, reps=2, paulis=("X", "ZY"), entanglement=ent)
    ours_list = PauliFeatureMap(3, reps=2, paulis=("X", "ZY"),
                                entanglement=[(0,), (2,), (2, 0), (1, 2)])
    ref = _qiskit_states(qc, X)
    np.testing.assert_allclose(_ours(ours_dict, X), ref, atol=1e-6)
    np.testing.assert_allclose(_ours(ours_list, X), ref, atol=1e-6)


def _pennylane_state(template, n, x, **kwargs):
    qml = pytest.importorskip("pennylane")
    dev = qml.device("default.qubit", wires=n)

    @qml.qnode(dev)
    def circuit(features):
        getattr(qml, template)(features, wires=range(n), **kwargs)
        return qml.state()

    return np.asarray(circuit(x))


@pytest.mark.parametrize("reps", [1, 2])
def test_iqp_matches_pennylane_iqp_embedding(reps):
    x = np.random.default_rng(reps).uniform(-2, 2, size=3)
    ref = _pennylane_state("IQPEmbedding", 3, x, n_repeats=reps)
    np.testing.assert_allclose(_ours(IQPFeatureMap(3, reps=reps), x), ref, atol=1e-6)


@pytest.mark.parametrize("rotation", ["X", "Y"])
def test_angle_encoding_matches_pennylane_angle_embedding(rotation):
    x = np.random.default_rng(0).uniform(-2, 2, size=3)
    ref = _pennylane_state("AngleEmbedding", 3, x, rotation=rotation)
    fm = AngleEncoding(3, rotation="r" + rotation.lower())
    np.testing.assert_allclose(_ours(fm, x), ref, atol=1e-6)
