"""Applying a jitted function to the rows of an array in fixed-size batches.

A jitted function compiles once per input shape, and scikit-learn calls
estimators with many different numbers of rows. Padding every batch to one of
a few sizes (repeating the last row, then slicing the outputs back) keeps the
number of compiled shapes small; a cap on the batch size bounds the memory.
Where a compile costs seconds (kernel states), :func:`fixed_rows` gives one
chunk size per row size, so the function compiles exactly once.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["fixed_rows", "map_rows", "power_of_two", "round_up"]

FIXED_CHUNK_BYTES = 1 << 24
"""Workspace of one fixed-size chunk (:func:`fixed_rows`)."""
FIXED_CHUNK_ROWS = 256
"""Most rows of one fixed-size chunk: the last chunk pads at most 255 rows (400 points of
8 qubits took 1.5x longer in 1024-row chunks, padded to 1024, than in 256-row ones)."""


def round_up(n: int) -> int:
    """``n`` rounded up to one of eight sizes per octave (at most 12.5% padding).

    Batches and tiles are padded to these sizes, so a new number of rows
    usually reuses a compiled shape (a few sizes per factor of two) while
    little work is spent on padding rows.
    """
    if n <= 8:
        return max(1, n)
    step = 1 << (int(n - 1).bit_length() - 4)
    return -(-n // step) * step


def power_of_two(n: int) -> int:
    """``n`` rounded up to a power of two, at least 8 (fewer shapes, more padding)."""
    return max(8, 1 << max(0, int(n - 1).bit_length()))


def fixed_rows(bytes_per_row: int, max_bytes: int) -> int:
    """Rows of a chunk whose size depends only on the row size, never on the number of rows.

    The largest power of two whose rows take at most :data:`FIXED_CHUNK_BYTES`
    (and ``max_bytes``), capped at :data:`FIXED_CHUNK_ROWS`, at least 1. Applying
    a jitted function chunk by chunk at this size (``map_rows(fn, X, rows,
    bucket=lambda _: rows)``) compiles it once for every number of rows, at the
    cost of padding the last chunk.
    """
    fit = min(FIXED_CHUNK_BYTES, max_bytes) // max(1, bytes_per_row)
    return 1 if fit < 1 else min(FIXED_CHUNK_ROWS, 1 << (int(fit).bit_length() - 1))


def map_rows(fn: Callable[[np.ndarray, int], Any], X: np.ndarray, max_rows: int,
             bucket: Callable[[int], int] = round_up) -> Any:
    """``fn(batch, index)`` over the rows of ``X``, outputs concatenated along axis 0.

    Parameters
    ----------
    fn : callable
        Takes a batch of rows and its index (for folding random keys) and
        returns a pytree of arrays with one row per input row (NumPy outputs are
        sliced and joined with NumPy, so a new ``n`` compiles nothing there).
    X : ndarray, shape (n, ...)
    max_rows : int
        Largest batch.
    bucket : callable, default :func:`round_up`
        Size a short batch is padded to (capped at ``max_rows``); e.g.
        ``lambda n: max_rows`` always compiles a single shape.

    Returns
    -------
    pytree of arrays with ``n`` rows.
    """
    n = len(X)
    size = max(1, min(bucket(n), max_rows))
    parts = []
    for i, start in enumerate(range(0, n, size)):
        part = X[start:start + size]
        m = len(part)
        if m < size:
            xp = jnp if isinstance(part, jax.Array) else np
            part = xp.concatenate([part, xp.repeat(part[-1:], size - m, axis=0)])
        out = fn(part, i)
        parts.append(out if m == size else jax.tree_util.tree_map(lambda t, m=m: t[:m], out))
    if len(parts) == 1:
        return parts[0]
    return jax.tree_util.tree_map(
        lambda *ts: (np if all(isinstance(t, np.ndarray) for t in ts) else jnp).concatenate(ts),
        *parts)
