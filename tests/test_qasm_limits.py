"""Limits of the OpenQASM reader: expansion size and nesting, refused with the line."""

from __future__ import annotations

import numpy as np
import pytest

from qinspired.circuits.qasm import QasmError, from_qasm
from qinspired.circuits.statevector import unitary

HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def doubling(levels: int) -> str:
    """Definitions g0..g{levels}: g0 is one h, each next one calls the previous twice."""
    return "gate g0 a { h a; }\n" + "".join(
        f"gate g{i} a {{ g{i - 1} a; g{i - 1} a; }}\n" for i in range(1, levels + 1))


def test_exponential_expansion_is_refused_before_expanding() -> None:
    # 22 doublings ask for 2**22 = 4194304 gates; the call is on line 2 + 23 + 2 = 27
    text = HEADER + doubling(22) + "qreg q[1];\ng22 q[0];\n"
    with pytest.raises(QasmError, match=r"^line 27: .*'g22' expands to 4194304 gate\(s\).*"
                                        r"limit of 1000000 expanded gates") as info:
        from_qasm(text)
    assert info.value.line == 27


def test_expansion_within_the_limit_is_exact() -> None:
    # g4 is 16 Hadamards on one wire: the identity, and 16 operations
    circuit = from_qasm(HEADER + doubling(4) + "qreg q[1];\ng4 q[0];\n")
    assert circuit.count_ops() == {"h": 16}
    np.testing.assert_allclose(np.asarray(unitary(circuit)), np.eye(2), atol=1e-5)


def test_max_gates_counts_the_whole_program_and_broadcasts() -> None:
    text = HEADER + "qreg q[3];\nh q;\nx q[0];\n"
    assert len(from_qasm(text, max_gates=4).operations) == 4
    with pytest.raises(QasmError, match=r"^line 5: .*'x'.*limit of 3 expanded gates"):
        from_qasm(text, max_gates=3)
    with pytest.raises(QasmError, match=r"^line 4: .*'h' expands to 3 gate\(s\)"):
        from_qasm(text, max_gates=2)
    with pytest.raises(ValueError, match="max_gates"):
        from_qasm(text, max_gates=0)


@pytest.mark.parametrize("expression", [
    "(" * 5000 + "1" + ")" * 5000,  # was a RecursionError
    "-" * 5000 + "1",
    "2^" * 5000 + "1",
    "sin(" * 5000 + "1" + ")" * 5000,
], ids=["parentheses", "signs", "powers", "calls"])
def test_deeply_nested_expressions_are_refused(expression) -> None:
    text = HEADER + f"qreg q[1];\nrz({expression}) q[0];\n"
    with pytest.raises(QasmError, match=r"^line 4: expression nested more than 100 levels"):
        from_qasm(text)


def test_long_chains_are_refused_and_short_ones_evaluate() -> None:
    chain = "+".join(["0.001"] * 3000)  # a left-deep tree 3000 operations deep
    with pytest.raises(QasmError, match=r"^line 4: expression is 3000 operations deep.*250"):
        from_qasm(HEADER + f"qreg q[1];\nrz({chain}) q[0];\n")
    nested = "(" * 90 + "0.5" + ")" * 90 + "+" + "+".join(["0.001"] * 100)
    circuit = from_qasm(HEADER + f"qreg q[1];\nrz({nested}) q[0];\n")
    rz = np.diag(np.exp([-0.3j, 0.3j]))  # rz(0.5 + 100 * 0.001)
    np.testing.assert_allclose(np.asarray(unitary(circuit)), rz, atol=1e-5)


def test_deeply_nested_gate_definitions_are_refused_at_their_line() -> None:
    defs = "gate n0 a { h a; }\n" + "".join(
        f"gate n{i} a {{ n{i - 1} a; }}\n" for i in range(1, 2000))
    with pytest.raises(QasmError, match=r"^line 102: gate 'n99' nests gate definitions 101 "
                                        r"deep.*limit of 100"):
        from_qasm(HEADER + defs + "qreg q[1];\nn1999 q[0];\n")
    ok = from_qasm(HEADER + defs.split("gate n99 ")[0] + "qreg q[1];\nn98 q[0];\n")
    assert ok.count_ops() == {"h": 1}


def test_a_normal_program_still_parses() -> None:
    text = HEADER + """
gate bell(theta) a, b { h a; cx a, b; rz(theta / 2) b; }
qreg q[3];
creg c[3];
bell(pi) q[0], q[1];
ccx q[0], q[1], q[2];
measure q -> c;
"""
    circuit = from_qasm(text)
    assert circuit.count_ops() == {"h": 1, "cx": 1, "rz": 1, "ccx": 1}
    assert [op.wires for op in circuit.operations] == [(0,), (0, 1), (1,), (0, 1, 2)]
