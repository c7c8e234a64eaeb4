"""The OpenQASM 2.0 reader behind :func:`qinspired.circuits.qasm.from_qasm`.

A tokenizer, a recursive-descent expression parser (expressions are never
passed to ``eval``), the gates known without a definition, and the program
parser. See :mod:`qinspired.circuits.qasm` for the conventions.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from qinspired._validation import format_count
from qinspired.circuits.circuit import Circuit, Operation, const
from qinspired.circuits.gates import gate_matrix

_PI = math.pi

# Reader limits. Expressions and gate definitions are processed recursively, so their nesting
# is bounded well inside Python's recursion limit; the expanded gate count bounds the work a
# small file can ask for (nested definitions that each call the previous one twice double it).
_MAX_NESTING = 100  # parentheses, signs and powers in an expression; gate definitions
_MAX_EXPRESSION_DEPTH = 250  # operations chained in one expression tree (a + b + ... counts)
MAX_GATES = 1_000_000  # default of from_qasm(max_gates=...)

# Definitions that to_qasm writes and that are read back as native gates:
# name -> (n_params, n_qubits, native gate, adjoint).
_NATIVE_DEFINED: dict[str, tuple[int, int, str, bool]] = {
    "iswap": (0, 2, "iswap", False),
    "iswapdg": (0, 2, "iswap", True),
    "ryy": (1, 2, "ryy", False),
}


class QasmError(ValueError):
    """An OpenQASM program that cannot be read; ``line`` is where (1-based)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


# ---- import: tokens ------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""
    (?P<space>[ \t\r\f\v]+)
  | (?P<newline>\n)
  | (?P<comment>//[^\n]*)
  | (?P<block>/\*.*?\*/)
  | (?P<real>(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)
  | (?P<int>\d+)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<string>"[^"\n]*")
  | (?P<sym>->|==|[;,()\[\]{}+\-*/^])
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # id, real, int, string, sym, eof
    text: str
    line: int


def _tokenize(text: str) -> list[_Token]:
    tokens, pos, line, line_start = [], 0, 1, 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise QasmError(
                f"column {pos - line_start + 1}: unexpected character {text[pos]!r}", line
            )
        kind, value = m.lastgroup, m.group()
        if kind in ("newline", "block"):
            newlines = value.count("\n")
            if newlines:
                line += newlines
                line_start = m.start() + value.rfind("\n") + 1
        elif kind not in ("space", "comment"):
            tokens.append(_Token(kind, value, line))
        pos = m.end()
    tokens.append(_Token("eof", "", line))
    return tokens


# ---- import: expressions -------------------------------------------------------------

_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "ln": math.log,
    "sqrt": math.sqrt, "asin": math.asin, "acos": math.acos, "atan": math.atan,
}

_BINARY: dict[str, Callable[[float, float], float]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "^": math.pow,
}


def _tree_depth(node: tuple) -> int:
    """Depth of an expression tree, found without recursion."""
    depth, stack = 0, [(node, 1)]
    while stack:
        item, d = stack.pop()
        depth = max(depth, d)
        if item[0] == "neg":
            stack.append((item[1], d + 1))
        elif item[0] == "call":
            stack.append((item[2], d + 1))
        elif item[0] == "bin":
            stack += [(item[2], d + 1), (item[3], d + 1)]
    return depth


def _evaluate(node: tuple, env: dict[str, float]) -> float:
    """Evaluate an expression tree.

    Nodes are ``("num", v)``, ``("var", name)``, ``("neg", e)``,
    ``("bin", op, a, b)`` and ``("call", function, e)``.
    """
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "var":
        return env[node[1]]
    if kind == "neg":
        return -_evaluate(node[1], env)
    if kind == "call":
        args, fn, text = (_evaluate(node[2], env),), _FUNCTIONS[node[1]], node[1] + "({})"
    else:
        args, fn = (_evaluate(node[2], env), _evaluate(node[3], env)), _BINARY[node[1]]
        text = "{} " + node[1] + " {}"
    try:
        value = fn(*args)
    except (ArithmeticError, ValueError) as exc:
        why = "division by zero" if isinstance(exc, ZeroDivisionError) else "undefined"
        raise ValueError(f"{text.format(*map(repr, args))}: {why}") from None
    if not math.isfinite(value):
        raise ValueError(f"{text.format(*map(repr, args))}: not finite")
    return value


# ---- import: gates known without a definition ----------------------------------------

# An expanded operation: (name, wires, angles, adjoint).
_Op = tuple


def _g(name: str, wires: Sequence[int], *params: float, adjoint: bool = False) -> _Op:
    return (name, tuple(wires), tuple(float(p) for p in params), adjoint)


def _direct(name: str):
    return lambda p, w: [_g(name, w, *p)]


def _sequence(steps: str):
    """A fixed gate sequence written ``"name:i,j ..."`` (local qubit positions)."""
    parsed = [(name, [int(i) for i in idx.split(",")])
              for name, idx in (step.split(":") for step in steps.split())]
    return lambda p, w: [_g(name, [w[i] for i in idx]) for name, idx in parsed]


def _mcx(controls: tuple[int, ...], target: int) -> list[_Op]:
    """Multi-controlled X, exactly, from cx/ccx/h/cp."""
    if len(controls) == 1:
        return [_g("cx", (controls[0], target))]
    if len(controls) == 2:
        return [_g("ccx", (*controls, target))]
    return [_g("h", (target,)), *_mcp(_PI, controls, target), _g("h", (target,))]


def _mcp(phi: float, controls: tuple[int, ...], target: int) -> list[_Op]:
    """Multi-controlled phase: Barenco et al. (1995), lemma 7.5, with V = p(phi/2)."""
    if len(controls) == 1:
        return [_g("cp", (controls[0], target), phi)]
    rest, last = controls[:-1], controls[-1]
    flip = _mcx(rest, last)
    return [
        _g("cp", (last, target), phi / 2), *flip,
        _g("cp", (last, target), -phi / 2), *flip,
        *_mcp(phi / 2, rest, target),
    ]


def _cu(p, w):  # controlled e^{i gamma} u3(theta, phi, lam)
    theta, phi, lam, gamma = p
    return [_g("crz", w, lam), _g("cry", w, theta), _g("crz", w, phi),
            _g("p", w[:1], gamma + (phi + lam) / 2)]


def _c3(phi):  # h - multi-controlled phase - h on the last qubit
    return lambda p, w: [_g("h", w[-1:]), *_mcp(phi, tuple(w[:-1]), w[-1]), _g("h", w[-1:])]


# Relative-phase Toffolis, as in qelib1.inc (u2(0,pi) = h and u1(pi/4) = t exactly).
_RCCX = _sequence("h:2 t:2 cx:1,2 tdg:2 cx:0,2 t:2 cx:1,2 tdg:2 h:2")
_RC3X = _sequence(
    "h:3 t:3 cx:2,3 tdg:3 h:3 cx:0,3 t:3 cx:1,3 tdg:3 cx:0,3 t:3 cx:1,3 tdg:3 h:3 t:3 cx:2,3 "
    "tdg:3 h:3"
)

_Builtin = tuple  # (n_params, n_qubits, expand(params, wires) -> list[_Op])


def _directs(names: str, n_params: int, n_qubits: int) -> dict[str, _Builtin]:
    return {name: (n_params, n_qubits, _direct(name)) for name in names.split()}


# Built into the language.
_LANGUAGE: dict[str, _Builtin] = {"U": (3, 1, _direct("u3")), "CX": (0, 2, _direct("cx"))}
# The original qelib1.inc: a program may not redefine these.
_QELIB1: dict[str, _Builtin] = {
    **_directs("x y z h s sdg t tdg", 0, 1), **_directs("rx ry rz", 1, 1),
    **_directs("cx cy cz", 0, 2), **_directs("crz", 1, 2), **_directs("ccx", 0, 3),
    "u3": (3, 1, _direct("u3")),
    "u2": (2, 1, lambda p, w: [_g("u3", w, _PI / 2, *p)]),
    "u1": (1, 1, _direct("p")),
    "id": (0, 1, _direct("i")),
    "u0": (1, 1, lambda p, w: [_g("i", w)]),
    "ch": (0, 2, lambda p, w: [_g("ry", w[1:], -_PI / 4), _g("cz", w), _g("ry", w[1:], _PI / 4)]),
    "cu1": (1, 2, _direct("cp")),
    "cu3": (3, 2, lambda p, w: _cu((*p, 0.0), w)),
}
# Gates later qelib1.inc files (Qiskit's) add; a program's own definition replaces them.
_QELIB1_EXTENDED: dict[str, _Builtin] = {
    **_directs("p", 1, 1), **_directs("sx sxdg", 0, 1), **_directs("swap", 0, 2),
    **_directs("crx cry cp rxx rzz", 1, 2),
    "u": (3, 1, _direct("u3")),
    "cswap": (0, 3, lambda p, w: [_g("cx", (w[2], w[1])), _g("ccx", w), _g("cx", (w[2], w[1]))]),
    "csx": (0, 2, lambda p, w: [_g("crx", w, _PI / 2), _g("p", w[:1], _PI / 4)]),
    "cu": (4, 2, _cu),
    "rccx": (0, 3, _RCCX),
    "rc3x": (0, 4, _RC3X),
    "c3x": (0, 4, _c3(_PI)),
    "c3sqrtx": (0, 4, _c3(_PI / 2)),
    "c4x": (0, 5, _c3(_PI)),
}


@dataclass
class _Gate:
    """A gate the program may call."""

    name: str
    n_params: int
    n_qubits: int
    line: int | None = None  # where the program defined it (None: built in)
    expand: Callable | None = None  # built-in and native gates
    params: tuple[str, ...] = ()
    body: tuple = ()  # (gate, param expressions, qubit positions, line) per call
    opaque: bool = False
    redefinable: bool = False
    size: int = 0  # operations one call expands to
    depth: int = 1  # nesting of definitions (a built-in gate: 1)


def _builtin_gates(table: dict[str, _Builtin], redefinable: bool) -> dict[str, _Gate]:
    return {
        name: _Gate(name, n_p, n_q, None, expand, redefinable=redefinable,
                    size=len(expand((0.0,) * n_p, tuple(range(n_q)))))
        for name, (n_p, n_q, expand) in table.items()
    }


def _expand(gate: _Gate, params: Sequence[float], wires: tuple[int, ...]) -> list[_Op]:
    if gate.opaque:
        raise ValueError(f"opaque gate {gate.name!r} (declared on line {gate.line}) has no "
                         "definition, so its unitary is unknown")
    if gate.expand is not None:
        return gate.expand(tuple(params), wires)
    env = dict(zip(gate.params, params))
    out: list[_Op] = []
    for callee, exprs, positions, line in gate.body:
        try:
            values = [_evaluate(e, env) for e in exprs]
            out += _expand(callee, values, tuple(wires[i] for i in positions))
        except ValueError as exc:
            raise ValueError(f"in gate {gate.name!r} (line {line}): {exc}") from None
    return out


def _ops_matrix(ops: list[_Op], n: int) -> np.ndarray:
    """Dense complex128 matrix of expanded operations on wires ``0..n-1`` (wire 0 MSB)."""
    u = np.eye(2**n, dtype=np.complex128).reshape((2,) * n + (2**n,))
    for name, wires, params, adjoint in ops:
        m = gate_matrix(name, params, np.complex128)
        m = m.conj().T if adjoint else m
        k = len(wires)
        u = np.tensordot(m.reshape((2,) * (2 * k)), u, axes=(tuple(range(k, 2 * k)), wires))
        u = np.moveaxis(u, tuple(range(k)), wires)
    return u.reshape(2**n, 2**n)


def _native_equivalent(gate: _Gate) -> Callable | None:
    """The native expansion of a definition of iswap, iswapdg or ryy, if exact."""
    spec = _NATIVE_DEFINED.get(gate.name)
    if spec is None or (gate.n_params, gate.n_qubits) != spec[:2]:
        return None
    native, adjoint = spec[2], spec[3]
    for params in ((0.37,), (-1.91,), (2.6,)) if gate.n_params else ((),):
        try:
            mine = _ops_matrix(_expand(gate, params, (0, 1)), 2)
        except (QasmError, ValueError, KeyError):
            return None
        ref = _ops_matrix([_g(native, (0, 1), *params, adjoint=adjoint)], 2)
        if not np.allclose(mine, ref, rtol=0.0, atol=1e-12):
            return None
    return lambda p, w: [_g(native, w, *p, adjoint=adjoint)]


# Definitions of iswap, iswapdg or ryy longer than this are not compared with the native gate.
_NATIVE_CHECK_MAX = 64


# ---- import: the parser --------------------------------------------------------------


class _Parser:
    def __init__(self, text: str, measurements: str, max_gates: int = MAX_GATES) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.measurements = measurements
        self.max_gates = max_gates
        self.nesting = 0  # of the expression being parsed
        self.gates: dict[str, _Gate] = _builtin_gates(_LANGUAGE, False)
        self.qregs: dict[str, tuple[int, int]] = {}  # name -> (offset, size)
        self.cregs: dict[str, tuple[int, int]] = {}  # name -> (0, size)
        self.n_qubits = 0
        self.ops: list[_Op] = []
        self.measured: dict[int, int] = {}  # wire -> line of its measurement

    # token helpers -------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def next(self) -> _Token:
        tok = self.peek()
        self.pos += 1
        return tok

    def error(self, message: str, tok: _Token | None = None) -> QasmError:
        return QasmError(message, (tok or self.peek()).line)

    def missing(self, what: str, tok: _Token) -> QasmError:
        """'expected ...' reported on the line of the last good token (a missing ';')."""
        found = "end of input" if tok.kind == "eof" else repr(tok.text)
        line = self.tokens[self.pos - 2].line if self.pos >= 2 else tok.line
        return QasmError(f"expected {what}, found {found}", line)

    def expect(self, text: str) -> _Token:
        tok = self.next()
        if tok.text != text or tok.kind not in ("sym", "id"):
            raise self.missing(repr(text), tok)
        return tok

    def expect_kind(self, kind: str, what: str) -> _Token:
        tok = self.next()
        if tok.kind != kind:
            raise self.missing(what, tok)
        return tok

    def accept(self, text: str) -> bool:
        tok = self.peek()
        if tok.kind == "sym" and tok.text == text:
            self.pos += 1
            return True
        return False

    # expressions ----------------------------------------------------------------------
    def expression(self, names: Sequence[str]) -> tuple:
        node = self.term(names)
        while self.peek().kind == "sym" and self.peek().text in "+-":
            op = self.next().text
            node = ("bin", op, node, self.term(names))
        return node

    def term(self, names: Sequence[str]) -> tuple:
        node = self.unary(names)
        while self.peek().kind == "sym" and self.peek().text in ("*", "/"):
            op = self.next().text
            node = ("bin", op, node, self.unary(names))
        return node

    def unary(self, names: Sequence[str]) -> tuple:
        if self.nesting >= _MAX_NESTING:
            raise self.error(f"expression nested more than {_MAX_NESTING} levels deep "
                             f"(parentheses, signs and powers; the nesting limit is "
                             f"{_MAX_NESTING})")
        self.nesting += 1
        try:
            if self.accept("-"):
                return ("neg", self.unary(names))
            if self.accept("+"):
                return self.unary(names)
            base = self.atom(names)
            if self.accept("^"):  # right-associative, binds tighter than unary minus
                return ("bin", "^", base, self.unary(names))
            return base
        finally:
            self.nesting -= 1

    def top_expression(self, names: Sequence[str]) -> tuple:
        """An expression of a parameter list, its tree depth bounded for evaluation."""
        tok = self.peek()
        node = self.expression(names)
        depth = _tree_depth(node)
        if depth > _MAX_EXPRESSION_DEPTH:
            raise self.error(f"expression is {depth} operations deep, beyond the limit of "
                             f"{_MAX_EXPRESSION_DEPTH}; simplify it", tok)
        return node

    def atom(self, names: Sequence[str]) -> tuple:
        tok = self.next()
        if tok.kind in ("real", "int"):
            value = float(tok.text)
            if not math.isfinite(value):
                raise self.error(f"number {tok.text} is beyond the range of a double "
                                 "(about 1.8e308)", tok)
            return ("num", value)
        if tok.kind == "sym" and tok.text == "(":
            node = self.expression(names)
            self.expect(")")
            return node
        if tok.kind == "id":
            if tok.text == "pi":
                return ("num", _PI)
            if tok.text in _FUNCTIONS:
                self.expect("(")
                node = self.expression(names)
                self.expect(")")
                return ("call", tok.text, node)
            if tok.text in names:
                return ("var", tok.text)
            raise self.error(f"unknown parameter or function {tok.text!r} in expression", tok)
        raise self.missing("an expression", tok)

    def expression_list(self, names: Sequence[str]) -> list[tuple]:
        if not self.accept("("):
            return []
        exprs = []
        if not self.accept(")"):
            exprs.append(self.top_expression(names))
            while self.accept(","):
                exprs.append(self.top_expression(names))
            self.expect(")")
        return exprs

    def identifier_list(self) -> list[_Token]:
        ids = [self.expect_kind("id", "an identifier")]
        while self.accept(","):
            ids.append(self.expect_kind("id", "an identifier"))
        return ids

    # program --------------------------------------------------------------------------
    def program(self) -> Circuit:
        if self.peek().kind == "id" and self.peek().text == "OPENQASM":
            tok = self.next()
            version = self.next()
            if version.kind not in ("real", "int") or float(version.text) != 2.0:
                raise self.error(
                    f"only OpenQASM 2.0 is supported, got version {version.text!r}", tok
                )
            self.expect(";")
        while self.peek().kind != "eof":
            self.statement()
        if self.n_qubits == 0:
            raise QasmError("the program declares no qubits (no qreg)")
        ops = [Operation(name, wires, tuple(const(v) for v in params), adjoint)
               for name, wires, params, adjoint in self.ops]
        return Circuit(self.n_qubits, ops)

    def statement(self) -> None:
        tok = self.peek()
        if tok.kind != "id":
            raise self.error(f"expected a statement, found {tok.text!r}", tok)
        keyword = tok.text
        handler = {
            "OPENQASM": self.misplaced_header, "include": self.include, "qreg": self.register,
            "creg": self.register, "gate": self.gate_definition, "opaque": self.opaque,
            "barrier": self.barrier, "measure": self.measure, "reset": self.unsupported,
            "if": self.unsupported,
        }.get(keyword, self.gate_call)
        handler()

    def misplaced_header(self) -> None:
        raise self.error("'OPENQASM 2.0;' must be the first statement")

    def unsupported(self) -> None:
        tok = self.next()
        if tok.text == "reset":
            raise self.error("'reset' is not unitary and cannot be part of a Circuit", tok)
        raise self.error(
            "classically controlled operations ('if') are not unitary and are not supported", tok
        )

    def include(self) -> None:
        tok = self.next()
        name = self.expect_kind("string", "a file name in double quotes").text[1:-1]
        self.expect(";")
        if name != "qelib1.inc":
            raise self.error(f"cannot include {name!r}: only \"qelib1.inc\" is known", tok)
        for table, redefinable in ((_QELIB1, False), (_QELIB1_EXTENDED, True)):
            for name, gate in _builtin_gates(table, redefinable).items():
                if name in self.gates and self.gates[name].line is not None:
                    raise self.error(f"gate {name!r} defined before including qelib1.inc", tok)
                self.gates.setdefault(name, gate)

    def register(self) -> None:
        kind = self.next()
        name = self.expect_kind("id", "a register name")
        self.expect("[")
        size_tok = self.expect_kind("int", "a register size")
        self.expect("]")
        self.expect(";")
        size = int(size_tok.text)
        if size < 1:
            raise self.error(f"register {name.text!r} must have at least one bit", size_tok)
        if name.text in self.qregs or name.text in self.cregs:
            raise self.error(f"register {name.text!r} is already declared", name)
        if kind.text == "qreg":
            self.qregs[name.text] = (self.n_qubits, size)
            self.n_qubits += size
        else:
            self.cregs[name.text] = (0, size)

    def declare(self, opaque: bool) -> tuple[_Gate, list[str]]:
        self.next()
        name = self.expect_kind("id", "a gate name")
        old = self.gates.get(name.text)
        if old is not None and not old.redefinable:
            where = f"on line {old.line}" if old.line is not None else "(built in / qelib1.inc)"
            raise self.error(f"gate {name.text!r} is already defined {where}", name)
        params: list[_Token] = []
        if self.accept("("):
            if not self.accept(")"):
                params = self.identifier_list()
                self.expect(")")
        qubits = self.identifier_list()
        for group, what in ((params, "parameter"), (qubits, "qubit argument")):
            names = [t.text for t in group]
            for t in group:
                if names.count(t.text) > 1:
                    raise self.error(f"repeated {what} {t.text!r} in gate {name.text!r}", t)
        gate = _Gate(name.text, len(params), len(qubits), name.line, None,
                     tuple(t.text for t in params), opaque=opaque)
        return gate, [t.text for t in qubits]

    def opaque(self) -> None:
        gate, _ = self.declare(opaque=True)
        self.expect(";")
        self.gates[gate.name] = gate

    def gate_definition(self) -> None:
        gate, qubits = self.declare(opaque=False)
        self.expect("{")
        body = []
        while not self.accept("}"):
            tok = self.peek()
            if tok.kind == "eof":
                raise QasmError(f"gate {gate.name!r} is missing its closing '}}'", gate.line)
            if tok.kind != "id":
                raise self.error(f"expected a gate call, found {tok.text!r}", tok)
            if tok.text in ("measure", "reset", "if", "qreg", "creg", "gate", "opaque",
                            "include"):
                raise self.error(f"{tok.text!r} is not allowed inside a gate definition", tok)
            self.next()
            exprs = [] if tok.text == "barrier" else self.expression_list(gate.params)
            args = self.identifier_list()
            self.expect(";")
            for a in args:
                if a.text not in qubits:
                    raise self.error(
                        f"{a.text!r} is not a qubit argument of gate {gate.name!r} "
                        f"(arguments: {', '.join(qubits)})", a)
            if tok.text == "barrier":
                continue
            callee = self.callable_gate(tok, len(exprs), len(args))
            positions = tuple(qubits.index(a.text) for a in args)
            if len(set(positions)) != len(positions):
                raise self.error(f"repeated qubit argument in the call of {tok.text!r}", tok)
            body.append((callee, tuple(exprs), positions, tok.line))
        gate.body = tuple(body)
        gate.size = sum(callee.size for callee, *_ in body)
        gate.depth = 1 + max((callee.depth for callee, *_ in body), default=0)
        if gate.depth > _MAX_NESTING:
            raise QasmError(f"gate {gate.name!r} nests gate definitions {gate.depth} deep, "
                            f"beyond the nesting limit of {_MAX_NESTING}", gate.line)
        native = _native_equivalent(gate) if gate.size <= _NATIVE_CHECK_MAX else None
        if native is not None:
            gate.expand, gate.size = native, 1
        self.gates[gate.name] = gate

    def callable_gate(self, tok: _Token, n_params: int, n_qubits: int) -> _Gate:
        gate = self.gates.get(tok.text)
        if gate is None:
            hint = "" if "h" in self.gates else ' (missing include "qelib1.inc"?)'
            raise self.error(f"unknown gate {tok.text!r}{hint}", tok)
        if n_params != gate.n_params:
            raise self.error(
                f"gate {gate.name!r} takes {gate.n_params} parameter(s), got {n_params}", tok)
        if n_qubits != gate.n_qubits:
            raise self.error(
                f"gate {gate.name!r} acts on {gate.n_qubits} qubit(s), got {n_qubits}", tok)
        return gate

    def argument(self, classical: bool = False) -> tuple[bool, list[int]]:
        """A whole register (True) or one of its bits (False), as flat indices."""
        name = self.expect_kind("id", "a register or qubit")
        regs, other = (self.cregs, self.qregs) if classical else (self.qregs, self.cregs)
        if name.text not in regs:
            if name.text in other:
                kind = "quantum" if classical else "classical"
                raise self.error(f"{name.text!r} is a {kind} register here", name)
            raise self.error(f"undeclared register {name.text!r}", name)
        offset, size = regs[name.text]
        if not self.accept("["):
            return True, list(range(offset, offset + size))
        index = self.expect_kind("int", "an index")
        self.expect("]")
        if int(index.text) >= size:
            raise self.error(f"index {index.text} is out of range for register "
                             f"{name.text!r} of size {size}", index)
        return False, [offset + int(index.text)]

    def arguments(self) -> list[tuple[bool, list[int]]]:
        args = [self.argument()]
        while self.accept(","):
            args.append(self.argument())
        return args

    def gate_call(self) -> None:
        tok = self.next()
        exprs = self.expression_list(())
        args = self.arguments()
        self.expect(";")
        gate = self.callable_gate(tok, len(exprs), len(args))
        try:
            params = [_evaluate(e, {}) for e in exprs]
        except ValueError as exc:
            raise self.error(str(exc), tok) from None
        sizes = sorted({len(bits) for whole, bits in args if whole})
        if len(sizes) > 1:
            raise self.error(f"registers of different sizes {sizes} in one call of "
                             f"{tok.text!r}", tok)
        n_calls = sizes[0] if sizes else 1
        if len(self.ops) + n_calls * gate.size > self.max_gates:
            raise self.error(
                f"this call of {tok.text!r} expands to {format_count(n_calls * gate.size)} "
                f"gate(s) ({format_count(gate.size)} per call), which takes the program past "
                f"the limit of {self.max_gates} expanded gates (from_qasm's max_gates)", tok)
        for i in range(n_calls):  # broadcast over whole registers
            wires = tuple(bits[i] if whole else bits[0] for whole, bits in args)
            if len(set(wires)) != len(wires):
                raise self.error(f"repeated qubit in the arguments of {tok.text!r}", tok)
            for w in wires:
                if w in self.measured:
                    raise self.error(
                        f"gate {tok.text!r} acts on a qubit measured on line {self.measured[w]};"
                        " a mid-circuit measurement is not unitary", tok)
            try:
                self.ops += _expand(gate, params, wires)
            except ValueError as exc:
                raise self.error(str(exc), tok) from None

    def barrier(self) -> None:
        self.next()
        self.arguments()
        self.expect(";")

    def measure(self) -> None:
        tok = self.next()
        if self.measurements == "error":
            raise self.error("'measure' is not unitary (measurements='error')", tok)
        q_whole, qubits = self.argument()
        self.expect("->")
        c_whole, bits = self.argument(classical=True)
        self.expect(";")
        if q_whole != c_whole or len(qubits) != len(bits):
            raise self.error("measure needs a qubit and a bit, or registers of the same size",
                             tok)
        for w in qubits:
            self.measured.setdefault(w, tok.line)
