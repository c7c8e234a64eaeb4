r"""OpenQASM 2.0 export and import.

:func:`to_qasm` writes a :class:`~qinspired.circuits.Circuit` as an OpenQASM
2.0 program and :func:`from_qasm` reads one back. The reader is a small
tokenizer and recursive-descent parser (expressions are never passed to
``eval``).

Conventions
-----------
*Qubit order.* ``q[i]`` is wire ``i``; several ``qreg`` declarations are laid
out one after the other in the order they are declared. Only the amplitude
index convention differs between tools: wire 0 is the most significant bit
in qinspired and the least significant in Qiskit, so a Qiskit ``Operator``
of the same program equals ours after ``reverse_qargs()``.

*Gate matrices.* Every gate means the matrix of the gate of the same name in
Qiskit's standard library, which is also the matrix qinspired registers
(:mod:`qinspired.circuits.gates`): ``rz(t) = diag(e^{-it/2}, e^{it/2})``,
``p(t) = u1(t) = diag(1, e^{it})``, ``U = u = u3`` as in Qiskit,
``rzz(t) = exp(-i t Z Z / 2)``, and so on. The decompositions written in the
original ``qelib1.inc`` agree with these up to a global phase only (there
``rz`` *is* ``u1``), which is why the two conventions are worth naming.
With this choice the export is exact, global phase included, for every
registered gate except the arbitrary ``unitary`` (see below).

*Global phase.* OpenQASM 2.0 has no global phase. A single-wire ``unitary``
operation is exported as ``u3(theta, phi, lambda)`` from its ZYZ
decomposition, and the global phase :math:`e^{i\alpha}` in
:math:`U = e^{i\alpha} u_3(\theta, \phi, \lambda)` is dropped. A ``unitary``
on two or more wires cannot be written without gate synthesis and is
refused.

*Gates outside qelib1.inc.* ``iswap``, its inverse ``iswapdg`` and ``ryy``
are emitted with ``gate`` definitions at the top of the file, built from
qelib1 gates with the exact matrix. When :func:`from_qasm` meets a
definition of one of these names whose matrix equals qinspired's gate (it
is checked numerically), calls become that native gate again; otherwise a
user gate is expanded into its body.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from qinspired._validation import check_int
from qinspired.circuits.circuit import Circuit, Operation
from qinspired.circuits._qasm_parse import MAX_GATES, QasmError, _Parser
from qinspired.circuits.gates import GATES, gate_matrix

__all__ = ["QasmError", "from_qasm", "to_qasm"]

_PI = math.pi


# ---- export --------------------------------------------------------------------------

# Definitions, in qelib1 gates, of the registered gates that qelib1.inc lacks.
# Each is exact (no global phase left over); tests check them numerically.
_DEFINITIONS: dict[str, str] = {
    "iswap": "gate iswap a,b { s a; s b; h a; cx a,b; cx b,a; h b; }",
    "iswapdg": "gate iswapdg a,b { h b; cx b,a; cx a,b; h a; sdg b; sdg a; }",
    "ryy": (
        "gate ryy(theta) a,b { rx(pi/2) a; rx(pi/2) b; cx a,b; rz(theta) b; cx a,b; "
        "rx(-pi/2) a; rx(-pi/2) b; }"
    ),
}

_SELF_INVERSE = frozenset({"i", "x", "y", "z", "h", "cx", "cy", "cz", "swap", "ccx"})
_INVERSE_NAME = {"s": "sdg", "sdg": "s", "t": "tdg", "tdg": "t", "sx": "sxdg", "sxdg": "sx",
                 "iswap": "iswapdg"}
_NEGATED = frozenset({"rx", "ry", "rz", "p", "crx", "cry", "crz", "cp", "rxx", "ryy", "rzz"})


def _zyz(m: np.ndarray) -> tuple[float, float, float, float]:
    r"""Angles with ``m = exp(1j*alpha) * u3(theta, phi, lam)``.

    ``u3 = [[c, -e^{i lam} s], [e^{i phi} s, e^{i(phi+lam)} c]]`` with
    ``c, s = cos(theta/2), sin(theta/2)``; returns ``(theta, phi, lam, alpha)``.
    """
    c, s = abs(m[0, 0]), abs(m[1, 0])
    theta = 2.0 * math.atan2(s, c)
    alpha = float(np.angle(m[0, 0])) if c > 0 else 0.0
    phi = float(np.angle(m[1, 0])) - alpha if s > 0 else 0.0
    if c >= s:
        lam = float(np.angle(m[1, 1])) - alpha - phi
    else:
        lam = float(np.angle(-m[0, 1])) - alpha
    wrap = lambda v: math.remainder(v, 2 * _PI)  # noqa: E731
    return theta, wrap(phi), wrap(lam), wrap(alpha)


def _format_angle(value: float) -> str:
    """Full-precision text for an angle; exact multiples of pi/d read as such."""
    v = float(value)
    if v == 0.0:
        return "0"
    for d in (1, 2, 3, 4, 6, 8, 12, 16):
        k = round(abs(v) * d / _PI)
        if 0 < k <= 64 and math.copysign(k * _PI / d, v) == v:
            num = "pi" if k == 1 else f"{k}*pi"
            text = num if d == 1 else f"{num}/{d}"
            return "-" + text if v < 0 else text
    text = repr(v)
    mantissa, e, exponent = text.partition("e")
    if e and "." not in mantissa:  # OpenQASM 2.0 reals need a decimal point
        text = f"{mantissa}.0e{exponent}"
    return text


def _export_gate(op: Operation, matrices: Sequence[Any], position: int) -> tuple[str, tuple]:
    """The OpenQASM name and angles of one bound operation."""
    name, values, matrix = op.name, tuple(a.constant_value for a in op.params), None
    if name == "unitary":
        if len(op.wires) != 1:
            raise ValueError(
                f"operation {position} is a unitary on {len(op.wires)} wires {op.wires}; "
                "OpenQASM 2.0 cannot express it without gate synthesis (decompose it into "
                "registered gates first)"
            )
        matrix = np.asarray(matrices[op.matrix_index], dtype=np.complex128)
        matrix = matrix.conj().T if op.adjoint else matrix
    elif op.adjoint:
        if name in _INVERSE_NAME:
            name = _INVERSE_NAME[name]
        elif name in _NEGATED:
            values = tuple(-v for v in values)
        elif name == "u3":
            t, p, lam = values
            values = (-t, -lam, -p)
        elif name not in _SELF_INVERSE:  # a gate registered later: invert its matrix
            m = gate_matrix(name, values, np.complex128)
            matrix = None if np.allclose(m, m.conj().T, atol=1e-12) else m.conj().T
    if matrix is None:
        if name in _DEFINITIONS:
            return name, values
        if GATES[name].qasm:
            return GATES[name].qasm, values
        matrix = gate_matrix(name, values, np.complex128)
    if matrix.shape != (2, 2):
        raise ValueError(
            f"gate {name!r} (operation {position}) has no OpenQASM 2.0 form: it is not in "
            "qelib1.inc and acts on more than one wire"
        )
    theta, phi, lam, _ = _zyz(matrix)
    return "u3", (theta, phi, lam)


def to_qasm(
    circuit: Any,
    x: Sequence[float] | None = None,
    weights: Sequence[float] | None = None,
    *,
    measure: bool = False,
) -> str:
    r"""Write a circuit as an OpenQASM 2.0 program.

    Parameters
    ----------
    circuit : Circuit or feature map
        The circuit (anything with a ``.circuit`` attribute is accepted).
    x : array_like, shape (n_features,), optional
        Data; required when an angle reads a data feature.
    weights : array_like, shape (n_weights,), optional
        Trainable weights; required when an angle reads a weight.
    measure : bool, default False
        Append ``creg c[n]; measure q -> c;``.

    Returns
    -------
    str
        The program: ``OPENQASM 2.0;``, ``include "qelib1.inc";``, gate
        definitions for the gates qelib1 lacks (``iswap``, ``iswapdg``,
        ``ryy``), one ``qreg q[n_qubits];`` and one line per operation.

    Raises
    ------
    ValueError
        If the angles depend on data or weights that were not given, or for a
        ``unitary`` operation on two or more wires.

    Notes
    -----
    Adjoint operations become their inverse gates (``s`` -> ``sdg``,
    rotations negate their angle, :math:`u_3(\theta,\phi,\lambda)^\dagger =
    u_3(-\theta,-\lambda,-\phi)`, ``iswap`` -> ``iswapdg``). A single-wire
    ``unitary`` becomes ``u3`` and loses its global phase, which OpenQASM 2.0
    cannot express; every other gate is written exactly. Angles are printed
    with full precision (``repr``), exact multiples of ``pi/d`` as such.

    Examples
    --------
    >>> from qinspired.circuits import Circuit, feature
    >>> from qinspired.circuits.qasm import to_qasm
    >>> c = Circuit(2, [("h", 0), ("cx", (0, 1)), ("ry", 1, feature(0))])
    >>> print(to_qasm(c, x=[0.25]))
    OPENQASM 2.0;
    include "qelib1.inc";
    qreg q[2];
    h q[0];
    cx q[0],q[1];
    ry(0.25) q[1];
    <BLANKLINE>
    >>> print(to_qasm(Circuit(2, [("iswap", (0, 1))])).splitlines()[2])
    gate iswap a,b { s a; s b; h a; cx a,b; cx b,a; h b; }
    """
    from qinspired.circuits.statevector import as_circuit

    circ = as_circuit(circuit)
    missing = []
    if circ.n_features and x is None:
        missing.append(f"x (the {circ.n_features} data features)")
    if circ.n_weights and weights is None:
        missing.append(f"weights (the {circ.n_weights} trainable weights)")
    if missing:
        raise ValueError(
            "the circuit's angles depend on data or weights and OpenQASM 2.0 needs numbers; "
            "pass " + " and ".join(missing)
        )
    if x is not None or weights is not None:
        circ = circ.bind(x, weights)
    body, used = [], []
    for pos, op in enumerate(circ.operations):
        name, values = _export_gate(op, circ.matrices, pos)
        if name in _DEFINITIONS and name not in used:
            used.append(name)
        args = ",".join(f"q[{w}]" for w in op.wires)
        params = f"({','.join(_format_angle(v) for v in values)})" if values else ""
        body.append(f"{name}{params} {args};")
    lines = ["OPENQASM 2.0;", 'include "qelib1.inc";']
    lines += [_DEFINITIONS[name] for name in sorted(used)]
    lines.append(f"qreg q[{circ.n_qubits}];")
    lines += body
    if measure:
        lines += [f"creg c[{circ.n_qubits}];", "measure q -> c;"]
    return "\n".join(lines) + "\n"


def from_qasm(text: str, *, measurements: str = "ignore", max_gates: int = MAX_GATES) -> Circuit:
    r"""Read an OpenQASM 2.0 program into a :class:`~qinspired.circuits.Circuit`.

    Parameters
    ----------
    text : str
        The program. ``OPENQASM 2.0;`` may open it; ``include "qelib1.inc";``
        makes the standard gates known (no file is read).
    measurements : {"ignore", "error"}, default "ignore"
        ``"ignore"`` drops trailing measurements, as in Qiskit's exports,
        and raises if a gate later acts on a measured qubit (a mid-circuit
        measurement is not unitary). ``"error"`` refuses any ``measure``.
    max_gates : int, default 1_000_000
        The most operations the program may expand to (gate definitions are
        expanded by substitution, so a few nested definitions can ask for
        exponentially many). A call that would pass it is refused before it
        is expanded.

    Returns
    -------
    Circuit
        A constant circuit on as many wires as the ``qreg`` declarations hold,
        laid out in declaration order (``q[i]`` of the first register is wire
        ``i``).

    Raises
    ------
    QasmError
        A :class:`ValueError` whose message starts with the line number: for
        syntax errors, unknown or opaque gates, wrong numbers of parameters or
        qubits, undeclared registers, out-of-range indices, ``reset``, ``if``
        and, per ``measurements``, measurements; for a program that expands to
        more than ``max_gates`` operations, expressions nested more than 100
        levels deep (parentheses, signs, powers) or deeper than 250 operations,
        and gate definitions nested more than 100 deep.

    Notes
    -----
    Supported: several ``qreg`` and ``creg``, ``gate`` definitions with
    parameters (expanded by substitution, nesting allowed), ``opaque``
    declarations (an error only when called), ``barrier`` (ignored),
    broadcasting over registers of equal size (``h q;``, ``cx a, b;``) and
    parameter expressions with numbers, ``pi``, ``+ - * / ^``, unary minus,
    parentheses and ``sin cos tan exp ln sqrt asin acos atan``; ``^`` is
    right-associative and binds tighter than unary minus.

    Known gates: ``U`` and ``CX``; from qelib1.inc ``u3 u2 u1 u0 u p id x y z
    h s sdg t tdg sx sxdg rx ry rz cx cy cz ch swap cswap ccx crx cry crz cp
    cu1 cu3 cu csx rxx rzz rccx rc3x c3x c3sqrtx c4x``. All matrices are
    those of Qiskit's standard library; gates qinspired does not register
    (``ch``, ``cu3``, ``c3x``, ...) are decomposed exactly into registered
    ones. A program may define its own gates and may redefine the gates that
    only later versions of qelib1.inc hold (``u``, ``p``, ``sx``, ...,
    ``c4x``); its definition is used then.

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.circuits import statevector
    >>> from qinspired.circuits.qasm import from_qasm
    >>> c = from_qasm('''
    ... OPENQASM 2.0;
    ... include "qelib1.inc";
    ... gate bell a, b { h a; cx a, b; }
    ... qreg q[2];
    ... creg c[2];
    ... bell q[0], q[1];
    ... rz(-pi/2) q;
    ... measure q -> c;
    ... ''')
    >>> c.count_ops()
    {'h': 1, 'cx': 1, 'rz': 2}
    >>> np.round(np.abs(np.asarray(statevector(c))) ** 2, 3).tolist()
    [0.5, 0.0, 0.0, 0.5]
    """
    if measurements not in ("ignore", "error"):
        raise ValueError(f"measurements must be 'ignore' or 'error', got {measurements!r}")
    if not isinstance(text, str):
        raise TypeError(f"from_qasm expects the program text as a str, got {type(text).__name__}")
    max_gates = check_int("from_qasm", "max_gates", max_gates, 1)
    return _Parser(text, measurements, max_gates).program()
