"""OpenQASM 2.0 export and import (qinspired.circuits.qasm).

Oracles: dense matrices built here with ``numpy.kron`` from hand-written
gate matrices, and a NumPy gate-by-gate product that does not go through the
simulator; round trips are also compared with ``unitary()``.
"""

from __future__ import annotations

import doctest
import math
import zlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _dense import circuit_unitary, random_unitary
from hypothesis import given, settings
from hypothesis import strategies as st

import qinspired.circuits.qasm as qasm_module
from qinspired.circuits import GATES, Circuit, Operation, const, feature, gate_matrix, weight
from qinspired.circuits.qasm import QasmError, from_qasm, to_qasm
from qinspired.circuits.statevector import statevector, unitary

HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
PI = math.pi

# --------------------------------------------------------------------------------------
# independent matrices (numpy only) and helpers
# --------------------------------------------------------------------------------------

I2 = np.eye(2, dtype=complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.diag([1.0, -1.0]).astype(complex)
H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
S = np.diag([1, 1j])
T = np.diag([1, np.exp(1j * PI / 4)])
SX = np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]) / 2
P0 = np.diag([1.0, 0.0]).astype(complex)
P1 = np.diag([0.0, 1.0]).astype(complex)


def rx(t):
    return np.cos(t / 2) * I2 - 1j * np.sin(t / 2) * X


def ry(t):
    return np.cos(t / 2) * I2 - 1j * np.sin(t / 2) * Y


def rz(t):
    return np.diag([np.exp(-1j * t / 2), np.exp(1j * t / 2)])


def phase(t):
    return np.diag([1, np.exp(1j * t)])


def u3(t, p, lam):
    c, s = np.cos(t / 2), np.sin(t / 2)
    return np.array([[c, -np.exp(1j * lam) * s], [np.exp(1j * p) * s, np.exp(1j * (p + lam)) * c]])


def on(n, factors):
    """kron over wires 0..n-1 (wire 0 most significant) of ``{wire: 2x2 matrix}``."""
    out = np.eye(1, dtype=complex)
    for w in range(n):
        out = np.kron(out, factors.get(w, I2))
    return out


def controlled(n, controls, target, m):
    """Multi-controlled ``m`` built from projectors with kron."""
    ones = on(n, {c: P1 for c in controls})
    return np.eye(2**n) - ones + on(n, {**{c: P1 for c in controls}, target: m})


def adjacent(n, first, m):
    """A 4x4 matrix on wires (first, first + 1), by kron."""
    return np.kron(np.kron(np.eye(2**first), m), np.eye(2 ** (n - first - 2)))


def product(*mats):
    """Circuit order: the first matrix acts first."""
    out = np.eye(mats[0].shape[0], dtype=complex)
    for m in mats:
        out = m @ out
    return out




def sim_unitary(circuit: Circuit) -> np.ndarray:
    with jax.enable_x64(True):
        return np.asarray(unitary(circuit))


def equal_up_to_phase(a, b, atol=1e-10):
    k = np.unravel_index(np.argmax(np.abs(b)), b.shape)
    return np.allclose(a * (b[k] / a[k]), b, atol=atol) and np.isclose(abs(b[k] / a[k]), 1)


def random_op(rng, name, n, adjoint=None):
    spec = GATES[name]
    k = 1 if name == "unitary" else spec.n_wires
    wires = tuple(int(w) for w in rng.permutation(n)[:k])
    params = tuple(const(float(v)) for v in rng.uniform(-2 * PI, 2 * PI, spec.n_params))
    adj = bool(rng.integers(2)) if adjoint is None else adjoint
    return Operation(name, wires, params, adj)


def random_circuit(rng, n=4, names=None, n_ops=12, adjoint=None, every=False):
    """Random constant circuit; 1-wire ``unitary`` ops get random matrices.

    With ``every=True`` each name appears at least once.
    """
    names = sorted(GATES) if names is None else names
    chosen = list(rng.choice(names, size=n_ops))
    if every:
        chosen = list(rng.permutation(chosen + list(names)))
    ops, mats = [], []
    for name in chosen:
        op = random_op(rng, str(name), n, adjoint)
        if op.name == "unitary":
            op = Operation("unitary", op.wires, (), op.adjoint, len(mats))
            mats.append(random_unitary(rng, 2))
        ops.append(op)
    return Circuit(n, ops, matrices=tuple(mats))


def angle_of(text_expr):
    c = from_qasm(HEADER + f"qreg q[1];\nrz({text_expr}) q[0];\n")
    return c.operations[0].params[0].constant_value


# --------------------------------------------------------------------------------------
# round trips
# --------------------------------------------------------------------------------------

EXACT_GATES = sorted(name for name in GATES if name != "unitary")


@pytest.mark.parametrize("adjoint", [False, True])
@pytest.mark.parametrize("name", EXACT_GATES)
def test_round_trip_every_gate_exact(name, adjoint):
    rng = np.random.default_rng(zlib.crc32(f"{name}{adjoint}".encode()))
    pad = random_circuit(rng, n=3, names=["h", "rx", "cx"], n_ops=3, adjoint=False)
    ops = list(pad.operations) + [random_op(rng, name, 3, adjoint) for _ in range(2)]
    c = Circuit(3, ops)
    back = from_qasm(to_qasm(c))
    assert back.n_qubits == 3
    np.testing.assert_allclose(circuit_unitary(back), circuit_unitary(c), atol=1e-12)


def test_round_trip_random_circuits_with_every_gate_via_simulator():
    rng = np.random.default_rng(7)
    c = random_circuit(rng, n=4, n_ops=len(GATES), every=True)
    assert {op.name for op in c.operations} == set(GATES)  # every registered gate is there
    np.testing.assert_allclose(sim_unitary(c), circuit_unitary(c), atol=1e-10)  # oracle check
    back = from_qasm(to_qasm(c))
    # The 1-wire `unitary` ops lose their global phase; nothing else does.
    assert equal_up_to_phase(sim_unitary(back), sim_unitary(c))
    exact = Circuit(4, [op for op in c.operations if op.name != "unitary"])
    np.testing.assert_allclose(sim_unitary(from_qasm(to_qasm(exact))), sim_unitary(exact),
                               atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_round_trip_random_circuits_property(seed):
    rng = np.random.default_rng(seed)
    c = random_circuit(rng, n=3, n_ops=10)
    back = from_qasm(to_qasm(c))
    if any(op.name == "unitary" for op in c.operations):
        assert equal_up_to_phase(circuit_unitary(back), circuit_unitary(c))
    else:
        np.testing.assert_allclose(circuit_unitary(back), circuit_unitary(c), atol=1e-11)


@pytest.mark.parametrize(
    "matrix",
    [I2, X, Y, Z, H, S, T, SX, 1j * X, np.exp(0.3j) * Y, np.diag([1j, -1j]),
     np.array([[0, 1j], [1, 0]]), u3(1e-9, 0.3, 0.2), u3(PI - 1e-9, 0.1, -2.0)],
)
def test_single_wire_unitary_exports_as_u3_up_to_global_phase(matrix):
    for adjoint in (False, True):
        op = Operation("unitary", (1,), (), adjoint, 0)
        c = Circuit(2, [("h", 0), op], matrices=(matrix,))
        text = to_qasm(c)
        assert "u3(" in text
        back = from_qasm(text)
        assert equal_up_to_phase(circuit_unitary(back), circuit_unitary(c), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_zyz_reconstructs_random_unitaries(seed):
    m = random_unitary(np.random.default_rng(seed), 2)
    theta, phi, lam, alpha = qasm_module._zyz(m)
    np.testing.assert_allclose(np.exp(1j * alpha) * u3(theta, phi, lam), m, atol=1e-12)


def test_exported_definitions_are_exact():
    """Renamed (so they are not mapped back to native gates) and expanded."""
    for name, definition in qasm_module._DEFINITIONS.items():
        native, adjoint = ("iswap", True) if name == "iswapdg" else (name, False)
        params = (0.73,) if GATES[native].n_params else ()
        call = "mine" + ("(0.73)" if params else "")
        renamed = definition.replace(f"gate {name}", "gate mine")
        text = HEADER + renamed + f"\nqreg q[2];\n{call} q[0],q[1];\n"
        c = from_qasm(text)
        assert native not in c.count_ops()
        with jax.enable_x64(True):
            ref = gate_matrix(native, params, jnp.complex128)
        ref = ref.conj().T if adjoint else ref
        np.testing.assert_allclose(circuit_unitary(c), ref, atol=1e-12)


def test_definitions_of_iswap_and_ryy_map_back_to_native_gates():
    c = Circuit(3, [("iswap", (0, 2)), ("ryy", (2, 1), 0.4),
                    Operation("iswap", (1, 0), (), True)])
    text = to_qasm(c)
    assert text.count("gate ") == 3
    back = from_qasm(text)
    assert back.count_ops() == {"iswap": 2, "ryy": 1}
    assert back.operations[2].adjoint
    np.testing.assert_allclose(circuit_unitary(back), circuit_unitary(c), atol=1e-12)
    # A different gate under the same name is expanded, not taken for iswap.
    other = from_qasm(HEADER + "gate iswap a,b { cx a,b; }\nqreg q[2];\niswap q[0],q[1];\n")
    assert other.count_ops() == {"cx": 1}


def test_parametric_circuit_export_equals_statevector_with_x():
    c = Circuit(3, [("h", 0), ("ry", 1, feature(0)), ("cx", (0, 1)),
                    ("rzz", (1, 2), feature(0) * feature(1) * 2.0), ("rx", 2, weight(0, 0.5, 0.1)),
                    ("u3", 0, feature(1), weight(1), 0.3), ("cp", (2, 0), feature(1, -1.0, PI))])
    x, w = np.array([0.3, -1.2]), np.array([0.7, 2.2])
    back = from_qasm(to_qasm(c, x=x, weights=w))
    with jax.enable_x64(True):
        want = np.asarray(statevector(c, x, w))
        got = np.asarray(statevector(back))
    np.testing.assert_allclose(got, want, atol=1e-10)


def test_angles_keep_full_precision():
    rng = np.random.default_rng(3)
    values = list(rng.normal(size=20) * 10.0 ** rng.integers(-12, 6, size=20))
    values += [1e-5, -3e-20, 1e22, PI / 2, -3 * PI / 4, 2 * PI, 7 * PI / 16, PI / 3 + 1e-16]
    c = Circuit(1, [("rz", 0, v) for v in values])
    text = to_qasm(c)
    assert "rz(pi/2)" in text and "rz(-3*pi/4)" in text and "rz(1.0e-05)" in text
    got = [op.params[0].constant_value for op in from_qasm(text).operations]
    assert got == [float(v) for v in values]


def test_export_layout_and_measure():
    u3_dg = Operation("u3", (0,), (const(0.1), const(0.2), const(0.3)), True)
    c = Circuit(2, [("h", 0), Operation("s", (1,), (), True), u3_dg])
    lines = to_qasm(c, measure=True).splitlines()
    assert lines == [
        "OPENQASM 2.0;", 'include "qelib1.inc";', "qreg q[2];", "h q[0];", "sdg q[1];",
        "u3(-0.1,-0.3,-0.2) q[0];", "creg c[2];", "measure q -> c;",
    ]
    assert "gate" not in to_qasm(Circuit(1, [("x", 0)]))


def test_export_accepts_objects_with_circuit_attribute():
    class FeatureMapLike:
        circuit = Circuit(1, [("rx", 0, feature(0))])

    assert "rx(0.5) q[0];" in to_qasm(FeatureMapLike(), x=[0.5])


# --------------------------------------------------------------------------------------
# hand-written programs against numpy.kron references
# --------------------------------------------------------------------------------------


def test_snippet_single_and_two_qubit_gates():
    text = HEADER + """
    qreg q[3];
    h q[0];            // comment
    cx q[0], q[2];
    /* block
       comment */
    rz(-pi/2) q[1];
    u2(0.3, -0.4) q[2];
    u1(0.2) q[0];
    sx q[1];
    cz q[2], q[1];
    rxx(0.7) q[0], q[1];
    swap q[1], q[2];
    cu1(0.9) q[2], q[0];
    """
    c = from_qasm(text)
    ref = product(
        on(3, {0: H}),
        controlled(3, [0], 2, X),
        on(3, {1: rz(-PI / 2)}),
        on(3, {2: u3(PI / 2, 0.3, -0.4)}),
        on(3, {0: phase(0.2)}),
        on(3, {1: SX}),
        controlled(3, [2], 1, Z),
        adjacent(3, 0, np.cos(0.35) * np.eye(4) - 1j * np.sin(0.35) * np.kron(X, X)),
        adjacent(3, 1, np.eye(4)[[0, 2, 1, 3]]),
        controlled(3, [2], 0, phase(0.9)),
    )
    np.testing.assert_allclose(circuit_unitary(c), ref, atol=1e-12)
    np.testing.assert_allclose(sim_unitary(c), ref, atol=1e-10)


def test_snippet_language_builtins_without_include():
    c = from_qasm("OPENQASM 2.0;\nqreg q[2];\nU(0.1, 0.2, 0.3) q[0];\nCX q[0], q[1];\n")
    ref = product(on(2, {0: u3(0.1, 0.2, 0.3)}), controlled(2, [0], 1, X))
    np.testing.assert_allclose(circuit_unitary(c), ref, atol=1e-12)
    with pytest.raises(QasmError, match=r"line 3: unknown gate 'h'.*qelib1"):
        from_qasm("OPENQASM 2.0;\nqreg q[1];\nh q[0];\n")


QELIB1_CASES = [
    ("id q[0];", lambda: np.eye(16)),
    ("u0(0.5) q[1];", lambda: np.eye(16)),
    ("u(0.1,0.2,0.3) q[1];", lambda: on(4, {1: u3(0.1, 0.2, 0.3)})),
    ("u3(0.1,0.2,0.3) q[1];", lambda: on(4, {1: u3(0.1, 0.2, 0.3)})),
    ("p(0.4) q[3];", lambda: on(4, {3: phase(0.4)})),
    ("sxdg q[2];", lambda: on(4, {2: SX.conj().T})),
    ("y q[0]; s q[1]; sdg q[2]; t q[3]; tdg q[0];",
     lambda: product(on(4, {0: Y, 1: S, 2: S.conj().T, 3: T}), on(4, {0: T.conj().T}))),
    ("rx(0.3) q[0]; ry(0.4) q[1];", lambda: on(4, {0: rx(0.3), 1: ry(0.4)})),
    ("cy q[3],q[0];", lambda: controlled(4, [3], 0, Y)),
    ("ch q[2],q[0];", lambda: controlled(4, [2], 0, H)),
    ("crx(0.3) q[1],q[3];", lambda: controlled(4, [1], 3, rx(0.3))),
    ("cry(0.3) q[1],q[3];", lambda: controlled(4, [1], 3, ry(0.3))),
    ("crz(0.3) q[3],q[1];", lambda: controlled(4, [3], 1, rz(0.3))),
    ("cp(0.3) q[0],q[2];", lambda: controlled(4, [0], 2, phase(0.3))),
    ("cu3(0.3,0.5,-0.7) q[2],q[1];", lambda: controlled(4, [2], 1, u3(0.3, 0.5, -0.7))),
    ("cu(0.3,0.5,-0.7,1.1) q[0],q[3];",
     lambda: controlled(4, [0], 3, np.exp(1.1j) * u3(0.3, 0.5, -0.7))),
    ("csx q[3],q[2];", lambda: controlled(4, [3], 2, SX)),
    ("rzz(0.6) q[1],q[2];",
     lambda: adjacent(4, 1, np.diag(np.exp(-0.3j * np.array([1, -1, -1, 1]))))),
    ("ccx q[3],q[0],q[1];", lambda: controlled(4, [3, 0], 1, X)),
    ("cswap q[1],q[3],q[0];",
     lambda: np.eye(16) - on(4, {1: P1}) + on(4, {1: P1}) @ product(
         controlled(4, [0], 3, X), controlled(4, [3], 0, X), controlled(4, [0], 3, X))),
    ("c3x q[3],q[1],q[0],q[2];", lambda: controlled(4, [3, 1, 0], 2, X)),
    ("c3sqrtx q[0],q[2],q[3],q[1];", lambda: controlled(4, [0, 2, 3], 1, SX)),
]


@pytest.mark.parametrize("body, reference", QELIB1_CASES, ids=[c[0] for c in QELIB1_CASES])
def test_qelib1_gates_against_kron_reference(body, reference):
    c = from_qasm(HEADER + "qreg q[4];\n" + body + "\n")
    np.testing.assert_allclose(circuit_unitary(c), reference(), atol=1e-12)


def test_c4x_and_relative_phase_toffolis():
    c = from_qasm(HEADER + "qreg q[5];\nc4x q[4],q[0],q[3],q[1],q[2];\n")
    np.testing.assert_allclose(circuit_unitary(c), controlled(5, [4, 0, 3, 1], 2, X), atol=1e-12)
    # rccx / rc3x are Toffolis up to relative phases: equal moduli, diagonal ratio.
    for name, n in (("rccx", 3), ("rc3x", 4)):
        wires = ",".join(f"q[{i}]" for i in range(n))
        u = circuit_unitary(from_qasm(HEADER + f"qreg q[{n}];\n{name} {wires};\n"))
        toffoli = controlled(n, list(range(n - 1)), n - 1, X)
        np.testing.assert_allclose(np.abs(u), toffoli, atol=1e-12)


def test_user_gates_with_parameters_and_nesting():
    text = HEADER + """
    gate rot(theta, phi) a { rz(phi) a; ry(theta / 2) a; }
    gate pair(t) a, b {
        rot(t, -t) a;
        cx a, b;
        rot(2 * t, pi) b;
        barrier a, b;
    }
    gate outer(t) x, y, z { pair(t) z, x; pair(t^2) y, z; }
    qreg q[3];
    outer(0.3) q[0], q[1], q[2];
    """
    c = from_qasm(text)

    def pair(t, a, b):
        return product(on(3, {a: rz(-t)}), on(3, {a: ry(t / 2)}), controlled(3, [a], b, X),
                       on(3, {b: rz(PI)}), on(3, {b: ry(t)}))

    ref = product(pair(0.3, 2, 0), pair(0.09, 1, 2))
    np.testing.assert_allclose(circuit_unitary(c), ref, atol=1e-12)
    np.testing.assert_allclose(sim_unitary(c), ref, atol=1e-10)


def test_register_broadcast_and_multiple_registers():
    text = HEADER + """
    qreg a[2];
    qreg b[2];
    creg c[4];
    h a;
    cx a, b;
    rz(0.5) b[1];
    cz a[0], b;
    barrier a, b;
    """
    c = from_qasm(text)
    assert c.n_qubits == 4  # a[0], a[1], b[0], b[1] are wires 0, 1, 2, 3
    ref = product(
        on(4, {0: H, 1: H}),
        controlled(4, [0], 2, X), controlled(4, [1], 3, X),
        on(4, {3: rz(0.5)}),
        controlled(4, [0], 2, Z), controlled(4, [0], 3, Z),
    )
    np.testing.assert_allclose(circuit_unitary(c), ref, atol=1e-12)


def test_trailing_measurements_are_ignored_by_default():
    text = HEADER + (
        "qreg q[2];\ncreg c[2];\nh q[0];\nmeasure q[0] -> c[0];\nx q[1];\nmeasure q -> c;\n"
    )
    assert from_qasm(text).count_ops() == {"h": 1, "x": 1}
    with pytest.raises(QasmError, match="line 6: 'measure' is not unitary"):
        from_qasm(text, measurements="error")
    with pytest.raises(QasmError, match="line 7: .*measured on line 5"):
        from_qasm(HEADER + "qreg q[2];\ncreg c[2];\nmeasure q[1] -> c[1];\nh q[0];\nh q[1];\n")
    with pytest.raises(ValueError, match="measurements"):
        from_qasm(text, measurements="drop")


# --------------------------------------------------------------------------------------
# expressions
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr, value",
    [
        ("-pi/2", -PI / 2), ("2*pi^2", 2 * PI**2), ("sin(pi/6)*2", 2 * math.sin(PI / 6)),
        ("1.5e-1", 0.15), (".5", 0.5), ("1e-3", 1e-3), ("3.", 3.0), ("1E+2", 100.0),
        ("-2^2", -4.0), ("2^3^2", 512.0), ("(1+2)*3", 9.0), ("1-2-3", -4.0), ("8/4/2", 1.0),
        ("2*-3", -6.0), ("+3", 3.0), ("--1", 1.0), ("ln(exp(1.25))", 1.25), ("sqrt(16)", 4.0),
        ("acos(-1)", PI), ("atan(1)*4", PI), ("asin(1)", PI / 2), ("cos(0)+tan(0)", 1.0),
        ("-(pi - 1) / 2 * 3", -(PI - 1) / 2 * 3),
    ],
)
def test_expressions(expr, value):
    assert angle_of(expr) == pytest.approx(value, rel=1e-15, abs=1e-15)


@pytest.mark.parametrize(
    "expr, match",
    [("1/0", "division by zero"), ("ln(0)", "ln"), ("sqrt(-1)", "sqrt"), ("(-8)^(1/3)", r"\^"),
     ("exp(1000)", "exp|non-finite"), ("theta", "unknown parameter"),
     ("2*", "expected an expression"),
     ("(1", "expected '\\)'"), ("sin 1", "expected '\\('")],
)
def test_expression_errors(expr, match):
    with pytest.raises(QasmError, match=match) as info:
        angle_of(expr)
    assert info.value.line == 4


# --------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "program, line, match",
    [
        ("qreg q[2]\nh q[0];", 3, "expected ';'"),
        ("qreg q[2];\nh q[0]", 4, "expected ';', found end of input"),
        ("qreg q[2];\nfoo q[0];", 4, "unknown gate 'foo'"),
        ("qreg q[2];\nh q[2];", 4, "index 2 is out of range for register 'q' of size 2"),
        ("qreg q[2];\nh r[0];", 4, "undeclared register 'r'"),
        ("qreg q[2];\ncreg c[2];\nh c[0];", 5, "'c' is a classical register"),
        ("qreg q[2];\nrx q[0];", 4, "takes 1 parameter"),
        ("qreg q[2];\nh(0.1) q[0];", 4, "takes 0 parameter"),
        ("qreg q[2];\ncx q[0];", 4, "acts on 2 qubit"),
        ("qreg q[2];\ncx q[0], q[0];", 4, "repeated qubit"),
        ("qreg a[2];\nqreg b[3];\ncx a, b;", 5, "different sizes"),
        ("qreg q[1];\nqreg q[2];", 4, "already declared"),
        ("qreg q[0];", 3, "at least one bit"),
        ("qreg q[1];\nreset q[0];", 4, "reset"),
        ("qreg q[1];\ncreg c[1];\nif (c==1) x q[0];", 5, "if"),
        ("opaque magic(a) q;\nqreg q[1];\nmagic(1) q[0];", 5, "opaque gate 'magic'"),
        ("opaque magic q;\ngate g a { magic a; }\nqreg q[1];\ng q[0];", 6,
         r"in gate 'g' \(line 4\): opaque gate 'magic' \(declared on line 3\)"),
        ("gate h a { x a; }", 3, "already defined"),
        ("gate g a { g a; }", 3, "unknown gate 'g'"),
        ("gate g a { h b; }", 3, "'b' is not a qubit argument"),
        ("gate g(t, t) a { rx(t) a; }", 3, "repeated parameter"),
        ("gate g a, a { h a; }", 3, "repeated qubit argument"),
        ("gate g a { measure a -> c; }", 3, "not allowed inside a gate"),
        ("gate g(t) a { rx(s) a; }", 3, "unknown parameter"),
        ("gate g a { h a;", 3, "missing its closing"),
        ("gate g(t) a { rx(1/t) a; }\nqreg q[1];\ng(0) q[0];", 5,
         r"in gate 'g' \(line 3\): 1.0 / 0.0: division by zero"),
        ("gate g(t) a { rx(ln(t)) a; }\ngate f a { g(0) a; }\nqreg q[1];\nf q[0];", 6,
         r"in gate 'f' \(line 4\): in gate 'g' \(line 3\): ln\(0.0\): undefined"),
        ("include \"other.inc\";", 3, "only \"qelib1.inc\""),
        ("qreg q[1];\nOPENQASM 2.0;", 4, "first statement"),
        ("qreg q[1];\nh q[0] $", 4, "unexpected character '\\$'"),
        ("qreg q[1];\ncreg c[2];\nmeasure q -> c;", 5, "same size"),
        ("qreg q[1];\n;", 4, "expected a statement"),
    ],
)
def test_import_errors_have_line_numbers(program, line, match):
    with pytest.raises(ValueError, match=match) as info:
        from_qasm(HEADER + program + "\n")
    assert isinstance(info.value, QasmError)
    assert info.value.line == line
    assert str(info.value).startswith(f"line {line}:")


def test_import_errors_without_lines():
    with pytest.raises(QasmError, match="only OpenQASM 2.0"):
        from_qasm("OPENQASM 3.0;\nqubit q;\n")
    with pytest.raises(QasmError, match="no qubits"):
        from_qasm(HEADER)
    with pytest.raises(TypeError):
        from_qasm(b"OPENQASM 2.0;")


def test_extended_qelib1_gates_may_be_redefined():
    # The program's own (phase-different) rzz replaces the built-in one.
    text = HEADER + (
        "gate rzz(t) a,b { cx a,b; u1(t) b; cx a,b; }\nqreg q[2];\nrzz(0.4) q[0],q[1];\n"
    )
    c = from_qasm(text)
    assert c.count_ops() == {"cx": 2, "p": 1}
    want = np.diag(np.exp(0.4j * np.array([0, 1, 1, 0])))
    np.testing.assert_allclose(circuit_unitary(c), want, atol=1e-12)


def test_export_errors():
    two_wire = Circuit(2, [("h", 0), ("unitary", (0, 1), np.eye(4))])
    with pytest.raises(ValueError, match=r"operation 1 is a unitary on 2 wires.*synthesis"):
        to_qasm(two_wire)
    c = Circuit(2, [("rx", 0, feature(1)), ("ry", 1, weight(0))])
    with pytest.raises(ValueError, match=r"pass x \(the 2 data features\) and weights"):
        to_qasm(c)
    with pytest.raises(ValueError, match=r"pass weights \(the 1 trainable weights\)"):
        to_qasm(c, x=[0.1, 0.2])
    with pytest.raises(ValueError, match="x has 3 features"):
        to_qasm(c, x=[0.1, 0.2, 0.3], weights=[1.0])
    assert "ry(1.0) q[1];" in to_qasm(c, x=[0.1, 0.2], weights=[1.0])


def test_docstring_examples_run():
    result = doctest.testmod(qasm_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
