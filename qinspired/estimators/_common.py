"""What every estimator's ``fit`` does the same way: seeds and provenance."""

from __future__ import annotations

from typing import Any

import jax

from qinspired._random import resolve_seed, seed_key
from qinspired.provenance import record

__all__ = ["fit_key", "set_provenance"]


def fit_key(random_state: Any) -> tuple[int, jax.Array]:
    """Resolve ``random_state`` once per fit: the integer seed (for provenance) and its key."""
    seed = resolve_seed(random_state)
    return seed, seed_key(seed)


def set_provenance(estimator: Any, X: Any, y: Any = None, seed: int | None = None) -> None:
    """Record ``provenance_`` at the end of ``fit`` (after every fitted attribute is set)."""
    estimator.provenance_ = record(estimator, X, y, seed=seed)
