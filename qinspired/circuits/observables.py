"""Pauli-string observables and their sums.

>>> from qinspired.circuits import pauli
>>> obs = pauli("Z0 Z1") + 0.5 * pauli("X2")
>>> obs.n_terms, obs.max_wire
(2, 2)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence, Union

import numpy as np

__all__ = ["PauliSum", "as_pauli_sum", "pauli"]

_TOKEN = re.compile(r"^([IXYZ])(\d+)$")


def _real_coefficient(value: object) -> float:
    """``value`` as a float; a complex number with a non-zero imaginary part is refused.

    A Pauli sum with complex coefficients is not Hermitian, so its
    "expectation" would not be a measurable (real) value.
    """
    if isinstance(value, complex) or np.iscomplexobj(value):
        z = complex(value)  # type: ignore[arg-type]
        if z.imag != 0:
            raise ValueError(
                f"observables take real coefficients (a PauliSum is a Hermitian observable), "
                f"got {z!r}; for a non-Hermitian combination, measure its real and "
                "imaginary parts as two observables"
            )
        value = z.real
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"a Pauli coefficient must be a real number, got {value!r}") from exc


@dataclass(frozen=True)
class PauliSum:
    r"""A real linear combination of Pauli strings, :math:`\sum_t c_t P_t`.

    Attributes
    ----------
    terms : tuple of (float, tuple of (int, str))
        Each term is ``(coefficient, ((wire, "X"|"Y"|"Z"), ...))`` with
        distinct wires; an empty Pauli tuple is the identity.
    """

    terms: tuple[tuple[float, tuple[tuple[int, str], ...]], ...]

    def __post_init__(self) -> None:
        clean = []
        for coef, ops in self.terms:
            coef = _real_coefficient(coef)
            if not math.isfinite(coef):
                raise ValueError(f"Pauli coefficient must be finite, got {coef}")
            wires = [w for w, _ in ops]
            if len(set(wires)) != len(wires):
                raise ValueError(f"Pauli string repeats a wire: {ops}")
            for w, p in ops:
                if p not in ("X", "Y", "Z") or int(w) != w or w < 0:
                    raise ValueError(f"invalid Pauli factor {(w, p)}")
            clean.append((coef, tuple(sorted((int(w), p) for w, p in ops))))
        object.__setattr__(self, "terms", tuple(clean))

    @property
    def n_terms(self) -> int:
        """Number of Pauli strings."""
        return len(self.terms)

    @property
    def max_wire(self) -> int:
        """Largest wire acted on (-1 for a multiple of the identity)."""
        return max((w for _, ops in self.terms for w, _ in ops), default=-1)

    def __add__(self, other: "PauliSum | str") -> "PauliSum":
        return PauliSum(self.terms + as_pauli_sum(other).terms)

    __radd__ = __add__

    def __mul__(self, scalar: float) -> "PauliSum":
        return PauliSum(tuple((c * _real_coefficient(scalar), ops) for c, ops in self.terms))

    __rmul__ = __mul__

    def __neg__(self) -> "PauliSum":
        return self * -1.0

    def __sub__(self, other: "PauliSum | str") -> "PauliSum":
        return self + (-as_pauli_sum(other))

    def __str__(self) -> str:
        parts = []
        for c, ops in self.terms:
            label = " ".join(f"{p}{w}" for w, p in ops) or "I"
            parts.append(f"{c:+g} {label}")
        return " ".join(parts)


def pauli(label: str, coef: float = 1.0, wires: Sequence[int] | None = None) -> PauliSum:
    """Build a Pauli string observable.

    Parameters
    ----------
    label : str
        Either sparse, ``"Z0 Z1 X3"`` (a Pauli letter followed by its wire),
        or dense, ``"ZZIX"`` (letter ``k`` acts on wire ``k``, or on
        ``wires[k]`` when ``wires`` is given).
    coef : float, default 1.0
        The coefficient (real: complex values are refused).
    wires : sequence of int, optional
        Wires for a dense label.

    Returns
    -------
    PauliSum
        A one-term observable.
    """
    text = label.strip()
    tokens = text.split()
    if tokens and all(_TOKEN.match(t) for t in tokens):
        if wires is not None:
            raise ValueError("`wires` is only used with dense labels such as 'ZZI'")
        ops = [(int(m.group(2)), m.group(1)) for m in map(_TOKEN.match, tokens)]
    elif text and re.fullmatch(r"[IXYZ]+", text):
        targets = range(len(text)) if wires is None else list(wires)
        if len(targets) != len(text):
            raise ValueError(f"label {text!r} has {len(text)} letters but {len(targets)} wires")
        ops = [(w, p) for w, p in zip(targets, text)]
    else:
        raise ValueError(
            f"cannot parse Pauli label {label!r}: use 'Z0 Z1' (letter + wire) or 'ZZI' (dense)"
        )
    return PauliSum(((coef, tuple((w, p) for w, p in ops if p != "I")),))


ObservableLike = Union[PauliSum, str]


def as_pauli_sum(obs: ObservableLike) -> PauliSum:
    """The :class:`PauliSum` of ``obs`` (a PauliSum, or a label parsed by :func:`pauli`)."""
    if isinstance(obs, PauliSum):
        return obs
    if isinstance(obs, str):
        return pauli(obs)
    raise TypeError(f"expected a PauliSum or a Pauli label, got {type(obs).__name__}")
