"""What every estimator does the same way: input validation and provenance."""

from __future__ import annotations

from typing import Any

from sklearn.utils.validation import validate_data as _sklearn_validate_data

from qinspired._validation import check_float32_range
from qinspired.provenance import record

__all__ = ["set_provenance", "validate_data"]


def set_provenance(estimator: Any, X: Any, y: Any = None, seed: int | None = None) -> None:
    """Record ``provenance_`` at the end of ``fit`` (after every fitted attribute is set)."""
    estimator.provenance_ = record(estimator, X, y, seed=seed)


def validate_data(estimator: Any, X: Any = "no_validation", y: Any = "no_validation",
                  **kwargs: Any) -> Any:
    """scikit-learn's ``validate_data``, then refuse ``X`` beyond float32's range.

    For estimators that hand ``X`` to JAX unscaled: without x64 a finite
    float64 value above 3.4e38 would become ``inf`` and
    the predictions NaN (see :func:`qinspired._validation.check_float32_range`).
    """
    out = _sklearn_validate_data(estimator, X, y, **kwargs)
    if not isinstance(X, str):
        check_float32_range(out[0] if isinstance(out, tuple) else out, "X")
    return out
