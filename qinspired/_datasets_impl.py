"""Helpers behind :mod:`qinspired.datasets`: argument checks, sampling loops, preprocessing.

Nothing here is public; :mod:`qinspired.datasets` documents the definitions these helpers
implement.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from qinspired._validation import check_int, check_real

__all__ = [
    "MAX_REJECTION_ROUNDS",
    "REAL_DATASET_NAMES",
    "check_feature_range",
    "check_n_features_for",
    "check_nonnegative",
    "curve_points",
    "finish",
    "load_raw",
    "nonconstant_bits",
    "sample_until",
    "standardize",
]

#: How many batches a rejection sampler draws before it gives up.
MAX_REJECTION_ROUNDS = 200

#: The real data sets bundled with scikit-learn that :func:`qinspired.datasets.load_dataset` knows.
REAL_DATASET_NAMES = ("breast_cancer", "digits", "iris", "wine")


def check_nonnegative(owner: str, name: str, value: Any) -> float:
    """Return ``value`` as a finite float ``>= 0``, or raise naming ``owner`` and ``name``."""
    value = check_real(owner, name, value)
    if value < 0:
        raise ValueError(f"{owner}: {name}={value!r} must be >= 0")
    return value


def check_feature_range(owner: str, feature_range: Any) -> tuple[float, float]:
    """Return ``(low, high)`` as finite floats with ``low < high``, or raise."""
    try:
        low, high = feature_range
    except (TypeError, ValueError):
        raise ValueError(
            f"{owner}: feature_range={feature_range!r} must be a pair (low, high)"
        ) from None
    low = check_real(owner, "feature_range[0]", low)
    high = check_real(owner, "feature_range[1]", high)
    if not low < high:
        raise ValueError(f"{owner}: feature_range=({low!r}, {high!r}) needs low < high")
    return low, high


def sample_until(
    owner: str,
    draw: Callable[[int], tuple[np.ndarray, np.ndarray]],
    wanted: dict[int, int],
    batch: int,
) -> dict[int, np.ndarray]:
    """Draw batches of labelled points until every class has its quota.

    Parameters
    ----------
    owner : str
        The generator's name, for the error message.
    draw : callable
        ``draw(batch) -> (points, labels)``; points whose label is ``-1`` are rejected.
    wanted : dict
        How many points each class needs.
    batch : int
        Points per draw.

    Returns
    -------
    dict
        For each class, exactly ``wanted[class]`` points, in the order they were drawn.

    Raises
    ------
    ValueError
        When :data:`MAX_REJECTION_ROUNDS` batches do not fill the quotas (the acceptance
        rate is too small for the requested parameters).
    """
    kept: dict[int, list[np.ndarray]] = {c: [] for c in wanted}
    have = dict.fromkeys(wanted, 0)
    accepted = 0
    for round_ in range(1, MAX_REJECTION_ROUNDS + 1):
        points, labels = draw(batch)
        for c, quota in wanted.items():
            if have[c] < quota:
                mine = points[labels == c][: quota - have[c]]
                kept[c].append(mine)
                have[c] += len(mine)
        accepted += int(np.count_nonzero(labels >= 0))
        if all(have[c] >= wanted[c] for c in wanted):
            return {c: np.concatenate([points[:0], *kept[c]]) for c in wanted}
    rate = accepted / (round_ * batch)
    raise ValueError(
        f"{owner}: after {round_ * batch} draws only {have} of the wanted {wanted} points "
        f"per class were found (acceptance rate {rate:.2g}); the parameters leave too "
        "little probability mass (reduce the margin, or change the hyperplane settings)"
    )


def standardize(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise ``(X - mean) / std`` (population std; a constant column keeps scale 1)."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    return (X - mean) / scale, mean, scale


def curve_points(t: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """The Fourier-series curve of :func:`qinspired.datasets.make_two_curves` at times ``t``.

    ``coefficients`` has shape ``(n_features, degree + 1, 2)`` holding ``a_{ik}`` (cosine)
    and ``b_{ik}`` (sine); the constant term of coordinate ``i`` is ``a_{i0} + b_{i0}``.
    """
    k = np.arange(coefficients.shape[1])
    phase = math.pi * np.outer(t, k)
    return (
        np.cos(phase) @ coefficients[:, :, 0].T
        + np.sin(phase) @ coefficients[:, :, 1].T
        + coefficients[:, 0, 1]
    )


def nonconstant_bits(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """``n`` rows of fair random bits, each row redrawn until it is neither all 0 nor all 1."""
    bits = rng.random((n, length)) < 0.5
    bad = bits.all(axis=1) | ~bits.any(axis=1)
    while bad.any():
        bits[bad] = rng.random((int(bad.sum()), length)) < 0.5
        bad = bits.all(axis=1) | ~bits.any(axis=1)
    return bits


def finish(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The library's output convention: C-contiguous float64 ``X`` and int64 ``y``."""
    return np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(y, dtype=np.int64)


def load_raw(owner: str, name: Any) -> tuple[np.ndarray, np.ndarray]:
    """The raw ``(X, y)`` of a real data set bundled with scikit-learn (nothing is downloaded)."""
    if name not in REAL_DATASET_NAMES:
        raise ValueError(
            f"{owner}: name={name!r} is not a known real data set; use one of "
            + ", ".join(map(repr, REAL_DATASET_NAMES))
        )
    from sklearn import datasets as skd

    loader = {
        "breast_cancer": skd.load_breast_cancer,
        "digits": skd.load_digits,
        "iris": skd.load_iris,
        "wine": skd.load_wine,
    }[name]
    X, y = loader(return_X_y=True)
    return finish(X, y)


def check_n_features_for(owner: str, n_features: Any, available: int) -> int | None:
    """``None`` or an int in ``[1, available]`` (the number of PCA components to keep)."""
    if n_features is None:
        return None
    n_features = check_int(owner, "n_features", n_features, 1)
    if n_features > available:
        raise ValueError(
            f"{owner}: n_features={n_features} exceeds the {available} features available"
        )
    return n_features
