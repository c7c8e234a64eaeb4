r"""Immutable circuits whose angles come from data, weights or constants.

An angle is a product of affine factors,

.. math::

    \theta = \text{offset} + \text{scale} \prod_k (\text{shift}_k + \text{coef}_k\, v_k),

where each :math:`v_k` is a data feature ``x[i]`` or a trainable weight
``w[j]`` (the empty product is 1, so a constant is ``offset + scale``). This
covers the usual encodings: ``x_i``, ``2 x_i``, the ZZ map's
:math:`2(\pi - x_i)(\pi - x_j)`, IQP's :math:`x_i x_j`, and trainable
rescalings ``w_j x_i``. Angles support ``+``, ``-`` and ``*`` with numbers
and with each other where the result stays of that form.

A :class:`Circuit` is validated once, when it is built, and is immutable. It is
a JAX pytree: its structure (qubit count, operations) is static and the
matrices of custom ``unitary`` gates are leaves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence, Union

import numpy as np

from qinspired._pytree import pytree_dataclass, static_field
from qinspired.circuits.gates import GATES, canonical_gate_name

__all__ = [
    "Angle",
    "Circuit",
    "CircuitBuilder",
    "Factor",
    "Operation",
    "const",
    "feature",
    "weight",
]

_UNITARY_ATOL = 1e-6


@dataclass(frozen=True)
class Factor:
    """One affine factor ``shift + coef * v`` of an :class:`Angle`.

    Attributes
    ----------
    source : {"x", "w"}
        ``"x"`` for a data feature, ``"w"`` for a trainable weight.
    index : int
        Index into ``x`` or ``w``.
    coef, shift : float
        The affine coefficients.
    """

    source: str
    index: int
    coef: float = 1.0
    shift: float = 0.0

    def __post_init__(self) -> None:
        if self.source not in ("x", "w"):
            raise ValueError(f"factor source must be 'x' or 'w', got {self.source!r}")
        if int(self.index) != self.index or self.index < 0:
            raise ValueError(f"factor index must be a non-negative integer, got {self.index!r}")
        for name in ("coef", "shift"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"factor {name} must be finite, got {getattr(self, name)!r}")


AngleLike = Union["Angle", float, int]


@dataclass(frozen=True)
class Angle:
    """A gate angle: ``offset + scale * prod(factors)``; see the module docs."""

    factors: tuple[Factor, ...] = ()
    scale: float = 1.0
    offset: float = 0.0

    def __post_init__(self) -> None:
        for name in ("scale", "offset"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"angle {name} must be finite, got {getattr(self, name)!r}")

    @property
    def is_constant(self) -> bool:
        """True when the angle depends on neither data nor weights."""
        return not self.factors or self.scale == 0.0

    @property
    def constant_value(self) -> float:
        """The value of a constant angle."""
        if not self.is_constant:
            raise ValueError("the angle depends on data or weights")
        return self.offset + (self.scale if not self.factors else 0.0)

    def uses(self, source: str) -> tuple[int, ...]:
        """Indices of ``x`` (``source="x"``) or ``w`` the angle reads."""
        return tuple(f.index for f in self.factors if f.source == source)

    def evaluate(self, x: Sequence[float] = (), w: Sequence[float] = ()) -> float:
        """Evaluate the angle for concrete data and weights (a Python float)."""
        prod = 1.0
        for f in self.factors:
            v = x[f.index] if f.source == "x" else w[f.index]
            prod *= f.shift + f.coef * float(v)
        return self.offset + self.scale * prod

    def bind(self, x: Sequence[float] | None = None, w: Sequence[float] | None = None) -> "Angle":
        """Replace the factors of the given sources by their values."""
        keep, prod = [], 1.0
        for f in self.factors:
            values = x if f.source == "x" else w
            if values is None:
                keep.append(f)
            else:
                prod *= f.shift + f.coef * float(values[f.index])
        if not keep:
            return Angle((), 0.0, self.offset + self.scale * prod)
        return Angle(tuple(keep), self.scale * prod, self.offset)

    def _single_factor_normal_form(self) -> "Angle | None":
        """Fold the offset into the factor's shift, if there is one factor."""
        if len(self.factors) != 1 or self.scale == 0.0:
            return None
        f = self.factors[0]
        coef, shift = f.coef * self.scale, f.shift * self.scale + self.offset
        return Angle((Factor(f.source, f.index, coef, shift),), 1.0, 0.0)

    def __add__(self, other: AngleLike) -> "Angle":
        if isinstance(other, Angle):
            if other.is_constant:
                return self + other.constant_value
            if self.is_constant:
                return other + self.constant_value
            raise TypeError("the sum of two non-constant angles is not a product of factors")
        return Angle(self.factors, self.scale, self.offset + float(other))

    __radd__ = __add__

    def __neg__(self) -> "Angle":
        return Angle(self.factors, -self.scale, -self.offset)

    def __sub__(self, other: AngleLike) -> "Angle":
        return self + (-_as_angle(other))

    def __rsub__(self, other: AngleLike) -> "Angle":
        return (-self) + other

    def __mul__(self, other: AngleLike) -> "Angle":
        if not isinstance(other, Angle):
            return Angle(self.factors, self.scale * float(other), self.offset * float(other))
        if other.is_constant:
            return self * other.constant_value
        if self.is_constant:
            return other * self.constant_value
        a = self if self.offset == 0.0 else self._single_factor_normal_form()
        b = other if other.offset == 0.0 else other._single_factor_normal_form()
        if a is None or b is None:
            raise TypeError("this product of angles is not a product of affine factors")
        return Angle(a.factors + b.factors, a.scale * b.scale, 0.0)

    __rmul__ = __mul__

    def __truediv__(self, other: float) -> "Angle":
        return self * (1.0 / float(other))


def _as_angle(value: AngleLike) -> Angle:
    if isinstance(value, Angle):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"an angle must be a number or an Angle, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"constant angle must be finite, got {v}")
    return Angle((), 0.0, v)


def const(value: float) -> Angle:
    """A constant angle."""
    return _as_angle(value)


def feature(index: int, scale: float = 1.0, offset: float = 0.0) -> Angle:
    """The angle ``scale * x[index] + offset`` taken from a data feature."""
    return Angle((Factor("x", int(index)),), float(scale), float(offset))


def weight(index: int, scale: float = 1.0, offset: float = 0.0) -> Angle:
    """The angle ``scale * w[index] + offset`` taken from a trainable weight."""
    return Angle((Factor("w", int(index)),), float(scale), float(offset))


@dataclass(frozen=True)
class Operation:
    """One gate of a circuit.

    Attributes
    ----------
    name : str
        Canonical gate name from :data:`qinspired.circuits.gates.GATES`.
    wires : tuple of int
        The wires the gate acts on, in the order of its matrix.
    params : tuple of Angle
        The gate's angles.
    adjoint : bool
        Apply the inverse (conjugate transpose) of the gate.
    matrix_index : int or None
        For ``unitary`` gates, the index of the matrix in ``Circuit.matrices``.
    """

    name: str
    wires: tuple[int, ...]
    params: tuple[Angle, ...] = ()
    adjoint: bool = False
    matrix_index: int | None = None

    @property
    def is_diagonal(self) -> bool:
        """True for gates that are diagonal in the computational basis."""
        return GATES[self.name].is_diagonal

    @property
    def is_parametric(self) -> bool:
        """True when an angle depends on data or weights."""
        return any(not p.is_constant for p in self.params)


def _check_wires(name: str, wires: Sequence[int], n_qubits: int, position: int) -> tuple[int, ...]:
    out = []
    for w in wires:
        try:
            integral = not isinstance(w, (bool, np.bool_)) and int(w) == w
        except (TypeError, ValueError, OverflowError):  # None, "a", nan, inf
            integral = False
        if not integral:
            raise ValueError(f"gate {name!r} (operation {position}): wire {w!r} is not an integer")
        w = int(w)
        if not 0 <= w < n_qubits:
            raise ValueError(
                f"gate {name!r} (operation {position}): wire {w} is out of range "
                f"for a circuit of {n_qubits} qubits (wires 0..{n_qubits - 1})"
            )
        out.append(w)
    if len(set(out)) != len(out):
        raise ValueError(f"gate {name!r} (operation {position}): repeated wire in {tuple(out)}")
    return tuple(out)


def _check_unitary(matrix: Any, n_wires: int, position: int) -> np.ndarray:
    m = np.asarray(matrix)
    dim = 2**n_wires
    if m.shape != (dim, dim):
        raise ValueError(
            f"unitary (operation {position}) on {n_wires} wires needs a ({dim}, {dim}) "
            f"matrix, got shape {m.shape}"
        )
    if not np.all(np.isfinite(m)):
        raise ValueError(f"unitary (operation {position}) contains NaN or inf")
    m = m.astype(np.complex128)
    err = float(np.max(np.abs(m @ m.conj().T - np.eye(dim))))
    if err > _UNITARY_ATOL:
        raise ValueError(
            f"unitary (operation {position}) is not unitary: max |U U^dag - I| = {err:.3g} "
            f"exceeds {_UNITARY_ATOL}"
        )
    return m


OperationLike = Union[Operation, tuple]


@pytree_dataclass(eq=False)
class Circuit:
    """An immutable, validated quantum circuit.

    Parameters
    ----------
    n_qubits : int
        Number of qubits (wires ``0 .. n_qubits - 1``).
    operations : iterable
        :class:`Operation` objects or tuples ``(name, wires, *angles)``, where
        ``wires`` is an int or a sequence of ints and each angle is a number or
        an :class:`Angle`. A custom gate is ``("unitary", wires, matrix)``.
    n_features : int, optional
        Length of the data vector ``x``; at least one more than the largest
        feature index used (the default).
    n_weights : int, optional
        Length of the weight vector ``w``; inferred likewise.
    matrices : tuple of arrays, optional
        Matrices of ``unitary`` operations given as :class:`Operation` objects.

    Notes
    -----
    Qubit order: wire 0 is the most significant bit of the amplitude index,
    so basis state ``|b_0 b_1 ... b_{n-1}>`` has index
    ``sum_q b_q 2**(n-1-q)``. Qiskit orders the other way round.

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.circuits import Circuit, feature, statevector
    >>> bell = Circuit(2, [("h", 0), ("cx", (0, 1))])
    >>> np.round(np.asarray(statevector(bell), dtype=complex), 3).tolist()
    [(0.707+0j), 0j, 0j, (0.707+0j)]
    >>> enc = Circuit(1, [("ry", 0, feature(0))])
    >>> enc.n_features
    1
    """

    n_qubits: int = static_field()
    operations: tuple[Operation, ...] = static_field(default=())
    n_features: int | None = static_field(default=None)
    n_weights: int | None = static_field(default=None)
    matrices: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        n = self.n_qubits
        if isinstance(n, (bool, np.bool_)) or int(n) != n or n < 1:
            raise ValueError(f"n_qubits must be a positive integer, got {n!r}")
        ops, mats = [], [np.asarray(m) for m in self.matrices]
        for pos, item in enumerate(self.operations):
            ops.append(self._normalize(item, int(n), pos, mats))
        max_x = max((i + 1 for op in ops for a in op.params for i in a.uses("x")), default=0)
        max_w = max((i + 1 for op in ops for a in op.params for i in a.uses("w")), default=0)
        for attr, used in (("n_features", max_x), ("n_weights", max_w)):
            given = getattr(self, attr)
            if given is None:
                given = used
            elif int(given) != given or given < used:
                raise ValueError(
                    f"{attr}={given!r} is smaller than the {used} the circuit's angles use"
                )
            object.__setattr__(self, attr, int(given))
        object.__setattr__(self, "n_qubits", int(n))
        object.__setattr__(self, "operations", tuple(ops))
        object.__setattr__(self, "matrices", tuple(mats))

    @staticmethod
    def _normalize(item: OperationLike, n: int, pos: int, mats: list) -> Operation:
        if isinstance(item, Operation):
            name, wires, params = item.name, item.wires, item.params
            adjoint, midx, matrix = item.adjoint, item.matrix_index, None
            if name == "unitary" and (midx is None or not 0 <= midx < len(mats)):
                raise ValueError(f"unitary (operation {pos}) has no matrix in `matrices`")
            if midx is not None:
                matrix = mats[midx]
        else:
            if not isinstance(item, (tuple, list)) or len(item) < 2:
                raise ValueError(
                    f"operation {pos} must be an Operation or a tuple (name, wires, *angles), "
                    f"got {item!r}"
                )
            name, wires, params = item[0], item[1], tuple(item[2:])
            adjoint, midx, matrix = False, None, None
            if canonical_gate_name(name) == "unitary":
                if len(params) != 1:
                    raise ValueError(f"unitary (operation {pos}) takes exactly one matrix")
                matrix, params = params[0], ()
        name = canonical_gate_name(name)
        spec = GATES[name]
        if isinstance(wires, (int, np.integer)):
            wires_t = (wires,)
        elif isinstance(wires, (str, bytes)) or not isinstance(wires, Iterable):
            raise ValueError(
                f"gate {name!r} (operation {pos}): wires={wires!r} must be an int or a "
                f"sequence of ints, got {type(wires).__name__}"
            )
        else:
            wires_t = tuple(wires)
        wires_t = _check_wires(name, wires_t, n, pos)
        if name == "unitary":
            if not wires_t:
                raise ValueError(f"unitary (operation {pos}) needs at least one wire")
            checked = _check_unitary(matrix, len(wires_t), pos)
            if midx is None:
                midx = len(mats)
                mats.append(checked)
            else:
                mats[midx] = checked
        elif len(wires_t) != spec.n_wires:
            raise ValueError(
                f"gate {name!r} (operation {pos}) acts on {spec.n_wires} wire(s), "
                f"got {len(wires_t)}: {wires_t}"
            )
        if len(params) != spec.n_params:
            raise ValueError(
                f"gate {name!r} (operation {pos}) takes {spec.n_params} angle(s), got {len(params)}"
            )
        try:
            angles = tuple(_as_angle(p) for p in params)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"gate {name!r} (operation {pos}): {exc}") from exc
        return Operation(name, wires_t, angles, bool(adjoint), midx)

    @property
    def static_key(self) -> tuple:
        """Hashable description of the structure (everything but the matrices)."""
        return (self.n_qubits, self.operations, self.n_features, self.n_weights)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Circuit):
            return NotImplemented
        return self.static_key == other.static_key and len(self.matrices) == len(
            other.matrices
        ) and all(np.array_equal(a, b) for a, b in zip(self.matrices, other.matrices))

    def __hash__(self) -> int:
        return hash((self.static_key, tuple(np.asarray(m).tobytes() for m in self.matrices)))

    def __len__(self) -> int:
        return len(self.operations)

    def __repr__(self) -> str:
        return (
            f"Circuit(n_qubits={self.n_qubits}, n_operations={len(self.operations)}, "
            f"n_features={self.n_features}, n_weights={self.n_weights})"
        )

    @property
    def is_parametric(self) -> bool:
        """True when some angle depends on data or weights."""
        return self.n_features > 0 or self.n_weights > 0

    def count_ops(self) -> dict[str, int]:
        """Number of operations of each gate name."""
        counts: dict[str, int] = {}
        for op in self.operations:
            counts[op.name] = counts.get(op.name, 0) + 1
        return counts

    def depth(self) -> int:
        """Circuit depth: the longest chain of operations sharing wires."""
        level = [0] * self.n_qubits
        for op in self.operations:
            d = max(level[w] for w in op.wires) + 1
            for w in op.wires:
                level[w] = d
        return max(level, default=0)

    def with_operations(self, operations: Iterable[OperationLike]) -> "Circuit":
        """A new circuit with ``operations`` appended (matrices carried over)."""
        return Circuit(
            self.n_qubits,
            self.operations + tuple(operations),
            None,
            None,
            self.matrices,
        )

    def compose(self, other: "Circuit") -> "Circuit":
        """This circuit followed by ``other`` (on the same number of qubits).

        Both circuits read the same ``x`` and ``w``.
        """
        if other.n_qubits != self.n_qubits:
            raise ValueError(
                f"cannot compose circuits of {self.n_qubits} and {other.n_qubits} qubits"
            )
        shift = len(self.matrices)
        ops = [
            op if op.matrix_index is None else _replace_matrix_index(op, op.matrix_index + shift)
            for op in other.operations
        ]
        return Circuit(
            self.n_qubits,
            self.operations + tuple(ops),
            max(self.n_features, other.n_features),
            max(self.n_weights, other.n_weights),
            self.matrices + other.matrices,
        )

    def inverse(self) -> "Circuit":
        """The adjoint circuit: gates reversed, each one inverted."""
        ops = tuple(
            Operation(op.name, op.wires, op.params, not op.adjoint, op.matrix_index)
            for op in reversed(self.operations)
        )
        return Circuit(self.n_qubits, ops, self.n_features, self.n_weights, self.matrices)

    def bind(
        self, x: Sequence[float] | None = None, weights: Sequence[float] | None = None
    ) -> "Circuit":
        """Substitute concrete data and/or weights, giving constant angles."""
        xv = None if x is None else np.asarray(x, dtype=float).reshape(-1)
        wv = None if weights is None else np.asarray(weights, dtype=float).reshape(-1)
        if xv is not None and xv.shape[0] != self.n_features:
            raise ValueError(f"x has {xv.shape[0]} features, the circuit expects {self.n_features}")
        if wv is not None and wv.shape[0] != self.n_weights:
            raise ValueError(f"weights has {wv.shape[0]} entries, the circuit expects {self.n_weights}")
        ops = tuple(
            Operation(op.name, op.wires, tuple(a.bind(xv, wv) for a in op.params), op.adjoint,
                      op.matrix_index)
            for op in self.operations
        )
        return Circuit(
            self.n_qubits,
            ops,
            0 if xv is not None else self.n_features,
            0 if wv is not None else self.n_weights,
            self.matrices,
        )


def _replace_matrix_index(op: Operation, index: int) -> Operation:
    return Operation(op.name, op.wires, op.params, op.adjoint, index)


class CircuitBuilder:
    """Mutable helper that collects operations and builds a :class:`Circuit`.

    Every registered gate name is a method taking ``(wires, *angles)``;
    methods return the builder so calls chain.

    Examples
    --------
    >>> from qinspired.circuits import CircuitBuilder, feature, weight
    >>> c = CircuitBuilder(2).h(0).cx((0, 1)).ry(1, feature(0)).rz(0, weight(0)).build()
    >>> (c.n_features, c.n_weights, len(c))
    (1, 1, 4)
    """

    def __init__(self, n_qubits: int) -> None:
        self.n_qubits = n_qubits
        self._ops: list[tuple] = []

    def add(self, name: str, wires: int | Sequence[int], *params: Any) -> "CircuitBuilder":
        """Append gate ``name`` on ``wires`` with angles (or a matrix) ``params``."""
        canonical_gate_name(name)
        self._ops.append((name, wires, *params))
        return self

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            canonical_gate_name(name)
        except ValueError:
            raise AttributeError(f"CircuitBuilder has no gate or attribute {name!r}") from None
        return lambda wires, *params: self.add(name, wires, *params)

    def build(self, n_features: int | None = None, n_weights: int | None = None) -> Circuit:
        """Validate and return the immutable circuit."""
        return Circuit(self.n_qubits, tuple(self._ops), n_features, n_weights)
