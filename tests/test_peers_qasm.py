"""OpenQASM 2.0 against Qiskit: our exports load in Qiskit with the same
operator, Qiskit's exports load in qinspired with the same operator.

Qiskit orders qubits the other way round (its qubit 0 is the least
significant bit), so its operators and states are compared after
``reverse_qargs()``. The comparisons are exact (global phase included)
except for a single-wire ``unitary``, whose global phase OpenQASM 2.0
cannot carry.
"""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from _dense import circuit_unitary

qiskit = pytest.importorskip("qiskit")

from qiskit import QuantumCircuit, qasm2  # noqa: E402
from qiskit.circuit.library import zz_feature_map  # noqa: E402
from qiskit.quantum_info import Operator, Statevector  # noqa: E402

from qinspired.circuits import GATES, Circuit, Operation, const  # noqa: E402
from qinspired.circuits.qasm import from_qasm, to_qasm  # noqa: E402
from qinspired.circuits.statevector import statevector  # noqa: E402

pytestmark = pytest.mark.peers

PI = math.pi
LEGACY = qasm2.LEGACY_CUSTOM_INSTRUCTIONS




def qiskit_unitary(qc: QuantumCircuit) -> np.ndarray:
    """Qiskit's operator in qinspired's qubit order."""
    return Operator(qc).reverse_qargs().data


def random_circuit(rng, n, n_ops, names):
    ops = []
    for name in list(rng.permutation(names)) + list(rng.choice(names, n_ops)):
        spec = GATES[str(name)]
        wires = tuple(int(w) for w in rng.permutation(n)[: spec.n_wires])
        params = tuple(const(float(v)) for v in rng.uniform(-2 * PI, 2 * PI, spec.n_params))
        ops.append(Operation(str(name), wires, params, bool(rng.integers(2))))
    return Circuit(n, ops)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_export_loads_in_qiskit_with_the_same_operator(seed):
    rng = np.random.default_rng(seed)
    names = sorted(name for name in GATES if name != "unitary")
    c = random_circuit(rng, 4, 15, names)
    text = to_qasm(c)
    qc = qasm2.loads(text, custom_instructions=LEGACY)
    assert qc.num_qubits == 4
    np.testing.assert_allclose(qiskit_unitary(qc), circuit_unitary(c), atol=1e-10)


def test_single_wire_unitary_loads_in_qiskit_up_to_global_phase():
    rng = np.random.default_rng(5)
    q, r = np.linalg.qr(rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2)))
    m = q * (np.diag(r) / np.abs(np.diag(r)))
    c = Circuit(2, [("h", 1), Operation("unitary", (0,), (), False, 0),
                    Operation("unitary", (1,), (), True, 0)], matrices=(m,))
    got = qiskit_unitary(qasm2.loads(to_qasm(c), custom_instructions=LEGACY))
    want = circuit_unitary(c)
    k = np.unravel_index(np.argmax(np.abs(want)), want.shape)
    ratio = want[k] / got[k]
    assert abs(abs(ratio) - 1.0) < 1e-10
    np.testing.assert_allclose(got * ratio, want, atol=1e-10)


# name, number of parameters, number of qubits: every gate of Qiskit's qelib1.inc.
QELIB1 = [(c.name, c.num_params, c.num_qubits) for c in LEGACY if c.name != "delay"]


@pytest.mark.parametrize("name, n_params, n_qubits", QELIB1, ids=[g[0] for g in QELIB1])
def test_every_qelib1_gate_reads_like_qiskit(name, n_params, n_qubits):
    rng = np.random.default_rng(sum(map(ord, name)))
    n = 5
    wires = rng.permutation(n)[:n_qubits]
    params = ",".join(repr(float(v)) for v in rng.uniform(-PI, PI, n_params))
    if name == "u0":  # Qiskit reads u0's parameter as a whole number of idle steps
        params = "2"
    call = f"{name}({params})" if n_params else name
    text = (
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[5];\nh q;\n'
        f"{call} {','.join(f'q[{w}]' for w in wires)};\n"
    )
    ours = circuit_unitary(from_qasm(text))
    theirs = qiskit_unitary(qasm2.loads(text, custom_instructions=LEGACY))
    np.testing.assert_allclose(ours, theirs, atol=1e-10)


def test_language_builtins_read_like_qiskit():
    text = (
        "OPENQASM 2.0;\nqreg a[1];\nqreg b[2];\nU(0.3,-1.2,2.5) b[1];\nCX b[1],a[0];\nCX a[0],b;\n"
    )
    ours = circuit_unitary(from_qasm(text))
    np.testing.assert_allclose(ours, qiskit_unitary(qasm2.loads(text)), atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_qiskit_circuits_import_with_the_same_operator(seed):
    rng = np.random.default_rng(100 + seed)
    n = 4
    qc = QuantumCircuit(n)
    angle = lambda: float(rng.uniform(-2 * PI, 2 * PI))  # noqa: E731
    for _ in range(25):
        kind = rng.choice(["h", "x", "rz", "cx", "cp", "rxx", "rzz", "u", "swap", "ccx", "sx"])
        q = [int(v) for v in rng.permutation(n)]
        {
            "h": lambda: qc.h(q[0]), "x": lambda: qc.x(q[0]), "sx": lambda: qc.sx(q[0]),
            "rz": lambda: qc.rz(angle(), q[0]), "cx": lambda: qc.cx(q[0], q[1]),
            "cp": lambda: qc.cp(angle(), q[0], q[1]), "rxx": lambda: qc.rxx(angle(), q[0], q[1]),
            "rzz": lambda: qc.rzz(angle(), q[0], q[1]),
            "u": lambda: qc.u(angle(), angle(), angle(), q[0]),
            "swap": lambda: qc.swap(q[0], q[1]), "ccx": lambda: qc.ccx(q[0], q[1], q[2]),
        }[str(kind)]()
    measured = qc.copy()
    measured.measure_all()  # barrier + trailing measurements: ignored on import
    c = from_qasm(qasm2.dumps(measured))
    np.testing.assert_allclose(circuit_unitary(c), qiskit_unitary(qc), atol=1e-10)


def test_qiskit_definitions_of_ryy_and_iswap_become_native_gates():
    qc = QuantumCircuit(3)
    qc.h([0, 1, 2])
    qc.ryy(0.7, 2, 0)
    qc.iswap(1, 2)
    qc.rzz(-0.4, 0, 1)
    text = qasm2.dumps(qc)
    assert "gate ryy" in text and "gate iswap" in text
    c = from_qasm(text)
    assert c.count_ops() == {"h": 3, "ryy": 1, "iswap": 1, "rzz": 1}
    np.testing.assert_allclose(circuit_unitary(c), qiskit_unitary(qc), atol=1e-10)


def test_zz_feature_map_round_trip_through_qiskit_dumps():
    x = np.array([0.3, -1.1, 2.0])
    qc = zz_feature_map(3, reps=2).assign_parameters(x).decompose()
    c = from_qasm(qasm2.dumps(qc))
    with jax.enable_x64(True):
        ours = np.asarray(statevector(c))
    # OpenQASM 2.0 drops Qiskit's global phase; put it back on our side.
    want = Statevector(qc).reverse_qargs().data
    np.testing.assert_allclose(ours * np.exp(1j * qc.global_phase), want, atol=1e-10)
