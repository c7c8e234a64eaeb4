"""Shared machinery of the noise channels: parameter checks, scaling and Kraus helpers.

:mod:`qinspired.circuits.channels` builds every channel and the readout error
on :class:`_Parametrized`, each declared with
:func:`qinspired._pytree.pytree_dataclass`: its parameters are the leaves, and
it validates only in the constructor, never when JAX rebuilds the object (a
gradient or a ``tree_map`` result may hold values outside the physical range).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._validation import check_in_range, check_real, is_traced
from qinspired.circuits.statevector import complex_dtype, real_dtype

#: A channel parameter: a Python number or a (possibly traced) array.
Param = float | jax.Array | np.ndarray

_SUM_ATOL = 1e-6  # tolerance of probability sums (float32 leaves after drift)


def _real(value: Param) -> jax.Array:
    return jnp.asarray(value, real_dtype())


def _sqrt(x: jax.Array) -> jax.Array:
    """Square root that is 0 with zero derivative for ``x <= 0`` (never NaN)."""
    positive = x > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, x, 1.0)), 0.0)


def _mixture(weights: list[Any], ops: np.ndarray) -> jax.Array:
    """Kraus operators ``sqrt(w_k) U_k`` of a mixture of unitaries ``U_k``."""
    w = jnp.stack([_real(v) for v in weights])
    return _sqrt(w)[:, None, None].astype(complex_dtype()) * jnp.asarray(ops, complex_dtype())


def _stack(matrices: list[list[list[Any]]]) -> jax.Array:
    """Kraus operators from nested lists of real (possibly traced) entries."""
    rows = [[[_real(v) for v in row] for row in m] for m in matrices]
    return jnp.asarray(rows, real_dtype()).astype(complex_dtype())


def _is_numeric_leaf(value: Any) -> bool:
    return isinstance(value, (int, float, complex, np.number, np.ndarray, jax.Array))


class _Parametrized:
    """Validation, scaling and parameter access shared by channels and readout errors.

    Subclasses are frozen pytree dataclasses whose fields are the
    parameters. ``_bounds`` maps each parameter to its interval;
    ``_scale_fields`` (what :meth:`scaled` multiplies) and ``_drift_fields``
    (what a drifting noise model perturbs) default to all of them.
    """

    name: ClassVar[str] = ""
    _bounds: ClassVar[dict[str, tuple[float | None, float | None, bool]]] = {}
    _scale_fields: ClassVar[tuple[str, ...] | None] = None
    _drift_fields: ClassVar[tuple[str, ...] | None] = None

    def __post_init__(self) -> None:
        self.validate()

    @property
    def _label(self) -> str:
        return f"{self.name} channel"

    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        """The names of the parameters (the pytree leaves), in order."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def drift_names(cls) -> tuple[str, ...]:
        """The parameters that drift in :meth:`NoiseModel.drifted`."""
        return cls._drift_fields if cls._drift_fields is not None else tuple(cls._bounds)

    def params(self) -> dict[str, Any]:
        """The parameters as a dict ``{name: value}``."""
        return {n: getattr(self, n) for n in self.param_names()}

    def validate(self, where: str = "") -> _Parametrized:
        """Check concrete parameters (traced ones are skipped) and return ``self``.

        Raises ``ValueError`` for non-finite values or values outside their
        ranges, naming the channel, ``where`` (e.g. ``"on wire 2 after gate
        'cx' (operation 5)"``), the parameter and the allowed range.
        """
        values, owner = self.params(), f"{self._label} {where}" if where else self._label
        for n, v in values.items():
            if is_traced(v):  # inside jit, vmap or grad: nothing concrete to check
                return self
            if not _is_numeric_leaf(v):
                raise ValueError(f"{owner}: {n}={v!r} must be a number or an array")
        self._check(values, owner)
        return self

    def _check(self, values: dict[str, Any], owner: str) -> None:
        arrays = {
            n: check_in_range(owner, n, values[n], lo, hi, low_open=lo_open)
            for n, (lo, hi, lo_open) in self._bounds.items()
        }
        self._check_joint(arrays, owner)

    def _check_joint(self, arrays: dict[str, np.ndarray], owner: str) -> None:
        """Constraints between parameters (sums of probabilities, T2 <= 2 T1)."""

    def scaled(self, factor: float) -> _Parametrized:
        r"""The same noise with its strength multiplied by ``factor >= 0``.

        Probabilities and damping rates are multiplied (:math:`p \to c\,p`, the
        noise scaling of zero-noise extrapolation [4]_); thermal relaxation
        multiplies its gate time. Nothing is clipped: a scaled value outside
        its valid range (``p = 0.4`` scaled by 3) raises ``ValueError``.
        """
        c = check_real(f"{self._label}.scaled", "factor", factor)
        if c < 0:
            raise ValueError(f"{self._label}.scaled: factor={factor!r} must be >= 0")
        names = self._scale_fields if self._scale_fields is not None else tuple(self._bounds)
        try:
            return self.replace(**{n: getattr(self, n) * c for n in names})  # type: ignore
        except ValueError as exc:
            raise ValueError(
                f"{exc} after scaling the noise by factor {c:g}: the scaled noise leaves "
                "the valid range (use a smaller factor)"
            ) from None

    def _clamped(self, **updates: Any) -> _Parametrized:
        """The noise with ``updates`` applied, projected into the valid range."""
        values = self.params()
        for n, v in updates.items():
            lo, hi, _ = self._bounds[n]
            values[n] = jnp.clip(_real(v), lo, hi)
        return self.replace(**self._clamp_joint(values))  # type: ignore[attr-defined]

    def _clamp_joint(self, values: dict[str, jax.Array]) -> dict[str, jax.Array]:
        return values


def _check_sum(arrays: dict[str, np.ndarray], names: tuple[str, ...], owner: str) -> None:
    total = sum(arrays[n] for n in names)
    if np.any(total > 1 + _SUM_ATOL):
        raise ValueError(f"{owner}: {' + '.join(names)} = {float(np.max(total))!r} "
                         "exceeds 1; the probabilities must sum to at most 1")


def _clamp_sum(values: dict[str, jax.Array], names: tuple[str, ...]) -> dict[str, jax.Array]:
    shrink = 1 / jnp.maximum(sum(values[n] for n in names), 1.0)
    return {**values, **{n: values[n] * shrink for n in names}}
