"""Circuit <-> MPS converters against gate-by-gate dense NumPy references.

Run in float64 (``jax.enable_x64``): the converters are exact, so the
tolerances are those of double precision.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest
from _dense import circuit_unitary, random_unitary

from qinspired.circuits import (
    Circuit,
    circuit_to_mps,
    decompose_unitaries,
    from_qasm,
    mps_to_circuit,
    to_qasm,
    unitary,
)
from qinspired.circuits import mps_convert
from qinspired.circuits.ansatz import make_ansatz, mps_ansatz, variational_circuit
from qinspired.feature_maps import AngleEncoding
from qinspired.tn import MPS, random_mps, to_dense, truncate

ATOL = 1e-11


pytestmark = pytest.mark.usefixtures("x64")


def dense_state(circuit: Circuit, x=None, w=None) -> np.ndarray:
    """Gate-by-gate NumPy reference (no simulator): the circuit's unitary on |0...0>."""
    if circuit.n_features or circuit.n_weights:
        circuit = circuit.bind(x, w)
    return circuit_unitary(circuit)[:, 0]


def normalised(v) -> np.ndarray:
    v = np.asarray(v)
    return v / np.linalg.norm(v)


def complex_mps(seed: int, n: int, chi: int) -> MPS:
    return random_mps(jax.random.key(seed), n, 2, chi, dtype=jax.numpy.complex128)


def equal_up_to_phase(a: np.ndarray, b: np.ndarray, atol: float = 1e-9) -> bool:
    flat_a, flat_b = a.reshape(-1), b.reshape(-1)
    k = np.argmax(np.abs(flat_b))
    phase = flat_a[k] / flat_b[k]
    return abs(abs(phase) - 1) < atol and np.allclose(a, phase * b, atol=atol)


# ------------------------------------------------------------------ circuit -> MPS
@pytest.mark.parametrize("k", [1, 2, 3])
def test_staircase_on_a_product_state_is_an_exact_mps_of_bond_2_to_the_k(k: int) -> None:
    n = 7
    circuit = variational_circuit(AngleEncoding(n), "mps", k)
    rng = np.random.default_rng(k)
    x, w = rng.uniform(-np.pi, np.pi, n), rng.normal(size=circuit.n_weights)
    mps, err = circuit_to_mps(circuit, x, w)
    expected = [min(2**k, 2 ** (b + 1), 2 ** (n - b - 1)) for b in range(n - 1)]
    assert mps.bond_dims == tuple(expected)
    assert err < 1e-12
    np.testing.assert_allclose(np.asarray(to_dense(mps)), dense_state(circuit, x, w),
                               atol=ATOL)


@pytest.mark.parametrize("name", ["ttn", "hardware_efficient"])
def test_other_ansatze_and_long_range_gates_convert_exactly(name: str) -> None:
    circuit = variational_circuit(AngleEncoding(5, rotation="rx"), name, 2)
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=5), rng.normal(size=circuit.n_weights)
    extra = Circuit(5, [("cx", (4, 1)), ("ccx", (3, 0, 2)), ("swap", (0, 4)), ("rzz", (2, 0), 0.7)])
    circuit = circuit.compose(extra)
    mps, err = circuit_to_mps(circuit, x, w)
    assert err < 1e-12
    np.testing.assert_allclose(np.asarray(to_dense(mps)), dense_state(circuit, x, w),
                               atol=ATOL)


def test_bond_cap_truncates_within_the_reported_error() -> None:
    circuit = variational_circuit(AngleEncoding(6), "mps", 3)
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=6), rng.normal(size=circuit.n_weights)
    exact = dense_state(circuit, x, w)
    errors = []
    for chi in (1, 2, 4, 8):
        mps, err = circuit_to_mps(circuit, x, w, max_bond=chi)
        approx = np.asarray(to_dense(mps))
        assert max(mps.bond_dims) <= chi
        assert abs(np.linalg.norm(approx) - 1) < 1e-12
        infidelity = 1 - abs(np.vdot(exact, approx)) ** 2
        assert infidelity <= 2 * err**2 + 1e-12
        errors.append(err)
    assert errors[0] > 1e-3 and errors[-1] < 1e-12


def test_circuit_to_mps_rejects_missing_inputs_and_bad_options() -> None:
    circuit = variational_circuit(AngleEncoding(3), "mps", 1)
    with pytest.raises(ValueError, match="reads x and weights"):
        circuit_to_mps(circuit)
    with pytest.raises(ValueError, match="max_bond"):
        circuit_to_mps(mps_ansatz(2), weights=np.zeros(15), max_bond=0)
    with pytest.raises(ValueError, match="cutoff"):
        circuit_to_mps(mps_ansatz(2), weights=np.zeros(15), cutoff=1.5)


# ------------------------------------------------------------------ MPS -> circuit
@pytest.mark.parametrize("n, chi, gate_wires", [(6, 2, [2] * 5), (6, 4, [2, 3, 3, 3]),
                                                (7, 8, [2, 3, 4, 4])])
def test_mps_to_circuit_reproduces_a_random_mps_exactly(n: int, chi: int, gate_wires) -> None:
    mps = complex_mps(n * chi, n, chi)
    circuit, err = mps_to_circuit(mps)
    assert err == 0.0
    assert [len(op.wires) for op in circuit.operations] == gate_wires
    assert [op.wires[0] for op in circuit.operations] == list(range(len(gate_wires)))
    assert circuit.count_ops() == {"unitary": len(gate_wires)}
    # global phase included
    np.testing.assert_allclose(dense_state(circuit), normalised(to_dense(mps)),
                               atol=ATOL)


def test_bond_2_mps_becomes_one_staircase_of_two_qubit_gates() -> None:
    circuit, _ = mps_to_circuit(complex_mps(0, 5, 2))
    assert [op.wires for op in circuit.operations] == [(0, 1), (1, 2), (2, 3), (3, 4)]


def test_bond_dimensions_that_are_not_powers_of_two_and_real_tensors() -> None:
    mps = random_mps(jax.random.key(3), 6, 2, 3, dtype=jax.numpy.float64)
    assert mps.bond_dims == (2, 3, 3, 3, 2)
    circuit, _ = mps_to_circuit(mps)
    np.testing.assert_allclose(dense_state(circuit), normalised(to_dense(mps)),
                               atol=ATOL)


def test_unnormalised_and_non_canonical_input() -> None:
    mps = complex_mps(4, 5, 2)
    rng = np.random.default_rng(4)
    gauge = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    ts = list(mps.tensors)
    ts[1] = np.einsum("apb,bc->apc", ts[1], gauge) * 3.0
    ts[2] = np.einsum("cb,bpd->cpd", np.linalg.inv(gauge), ts[2])
    gauged = MPS(tuple(ts))
    np.testing.assert_allclose(np.asarray(to_dense(gauged)), 3 * np.asarray(to_dense(mps)),
                               atol=ATOL)
    circuit, _ = mps_to_circuit(gauged)
    np.testing.assert_allclose(dense_state(circuit), normalised(to_dense(mps)),
                               atol=ATOL)


def test_truncated_mps_to_circuit_is_within_the_truncation_bound() -> None:
    mps = complex_mps(5, 7, 8)
    exact = normalised(to_dense(mps))
    circuit, err = mps_to_circuit(mps, max_bond=2)
    assert [len(op.wires) for op in circuit.operations] == [2] * 6
    truncated, err_direct = truncate(mps, max_bond=2)
    assert err == pytest.approx(err_direct) and err > 1e-3
    psi = dense_state(circuit)
    np.testing.assert_allclose(psi, normalised(to_dense(truncated)), atol=ATOL)
    assert 1 - abs(np.vdot(exact, psi)) ** 2 <= 2 * err**2 + 1e-12


def test_round_trips() -> None:
    """MPS -> circuit -> MPS, and staircase circuit -> MPS -> circuit."""
    mps = complex_mps(6, 6, 4)
    back, err = circuit_to_mps(mps_to_circuit(mps)[0])
    assert err < 1e-12 and back.bond_dims == mps.bond_dims
    assert abs(abs(np.vdot(np.asarray(to_dense(back)), normalised(to_dense(mps)))) - 1) < 1e-12

    circuit = variational_circuit(AngleEncoding(5), "mps", 1)
    rng = np.random.default_rng(6)
    x, w = rng.normal(size=5), rng.normal(size=circuit.n_weights)
    rebuilt, _ = mps_to_circuit(circuit_to_mps(circuit, x, w)[0])
    assert [op.wires for op in rebuilt.operations] == [(q, q + 1) for q in range(4)]
    np.testing.assert_allclose(np.abs(np.vdot(dense_state(rebuilt),
                                              dense_state(circuit, x, w))), 1.0,
                               atol=1e-12)


def test_mps_to_circuit_rejects_bad_input() -> None:
    qutrits = random_mps(jax.random.key(0), 3, 3, 2)
    with pytest.raises(ValueError, match="qubit"):
        mps_to_circuit(qutrits)
    with pytest.raises(ValueError, match="zero vector"):
        mps_to_circuit(MPS(tuple(np.zeros((1, 2, 1)) for _ in range(3))))
    with pytest.raises(ValueError, match="max_bond"):
        mps_to_circuit(complex_mps(0, 3, 2), max_bond=0)
    with pytest.raises(TypeError, match="MPS"):
        mps_to_circuit(np.zeros(8))


# ------------------------------------------------------------------ unitary synthesis
@pytest.mark.parametrize("n_wires", [2, 3])
def test_shannon_decomposition_is_exact_with_global_phase(n_wires: int) -> None:
    rng = np.random.default_rng(n_wires)
    u = random_unitary(rng, 2**n_wires)
    wires = tuple(rng.permutation(4)[:n_wires].tolist())
    circuit = Circuit(4, [("h", 0), ("unitary", wires, u), ("cx", (1, 3))])
    decomposed = decompose_unitaries(circuit)
    names = {op.name for op in decomposed.operations}
    assert names <= {"h", "cx", "ry", "rz", "unitary"}
    assert all(len(op.wires) == 1 for op in decomposed.operations if op.name == "unitary")
    np.testing.assert_allclose(circuit_unitary(decomposed), circuit_unitary(circuit), atol=1e-10)


def test_decomposition_handles_adjoint_unitaries() -> None:
    u = random_unitary(np.random.default_rng(0), 4)
    circuit = Circuit(2, [("unitary", (0, 1), u)]).inverse()
    np.testing.assert_allclose(circuit_unitary(decompose_unitaries(circuit)), u.conj().T,
                               atol=1e-10)


def test_mps_written_as_openqasm_and_read_back() -> None:
    mps = complex_mps(7, 5, 4)
    circuit, _ = mps_to_circuit(mps)
    with pytest.raises(ValueError, match="OpenQASM 2.0 cannot express"):
        to_qasm(circuit)
    text = to_qasm(decompose_unitaries(circuit))
    psi = dense_state(from_qasm(text))
    assert equal_up_to_phase(psi, normalised(to_dense(mps)))


@pytest.mark.peers
def test_decomposed_circuit_matches_qiskit_operator() -> None:
    pytest.importorskip("qiskit")
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Operator

    u = random_unitary(np.random.default_rng(9), 8)
    circuit = Circuit(3, [("unitary", (2, 0, 1), u)])
    qc = QuantumCircuit.from_qasm_str(to_qasm(decompose_unitaries(circuit)))
    theirs = Operator(qc).reverse_qargs().data
    assert equal_up_to_phase(theirs, unitary(circuit))


def test_ansatz_circuits_are_exportable_after_training() -> None:
    """The trained tensor-network ansaetze are made of qelib1 gates (no synthesis needed)."""
    for name in ("mps", "ttn", "hardware_efficient"):
        c = make_ansatz(name, 3, 2)
        w = np.random.default_rng(0).normal(size=c.n_weights)
        back = from_qasm(to_qasm(c, weights=w))
        np.testing.assert_allclose(circuit_unitary(back), circuit_unitary(c.bind(weights=w)),
                                   atol=1e-10)


def test_docstring_examples_run() -> None:
    import doctest

    result = doctest.testmod(mps_convert, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------- package layering
def test_tn_imports_without_the_circuits_package() -> None:
    """``qinspired.tn`` loads on its own: nothing from circuits, kernels or estimators.

    The parent package is stubbed (its ``__init__`` imports everything), so only
    what ``qinspired.tn`` itself pulls in ends up in ``sys.modules``.
    """
    import subprocess
    import sys
    import textwrap

    import qinspired

    code = textwrap.dedent(f"""
        import sys, types
        parent = types.ModuleType("qinspired")
        parent.__path__ = {list(qinspired.__path__)!r}
        sys.modules["qinspired"] = parent
        import qinspired.tn
        print(sorted(m for m in sys.modules if m.startswith("qinspired.")))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = eval(proc.stdout)
    assert "qinspired.tn.mps" in loaded
    assert not [m for m in loaded
                if m.split(".")[1] in ("circuits", "kernels", "estimators", "feature_maps")]


def test_no_tn_module_imports_circuits_even_lazily() -> None:
    """Every import statement in ``qinspired/tn``, at any depth (function bodies too)."""
    import ast
    from pathlib import Path

    import qinspired.tn

    offenders = []
    for path in Path(qinspired.tn.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
                names += [f"{names[0]}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value] if node.value.startswith("qinspired.circuits") else []
            else:
                continue
            offenders += [f"{path.name}:{node.lineno} {n}" for n in names
                          if n.startswith(("qinspired.circuits", "..circuits"))]
    assert not offenders


def test_the_moved_converters_point_to_their_new_home() -> None:
    import qinspired.tn as tn

    for name in ("circuit_to_mps", "mps_to_circuit", "decompose_unitaries", "convert"):
        with pytest.raises(AttributeError, match="qinspired.circuits"):
            getattr(tn, name)
        assert not hasattr(tn, name)
    with pytest.raises(ImportError):
        from qinspired.tn import circuit_to_mps as _  # noqa: F401
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        tn.no_such_name  # noqa: B018
    assert mps_convert.circuit_to_mps is circuit_to_mps
