"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np


def median_time(fn: Callable[[], object], min_repeats: int = 3,
                budget_s: float = 10.0) -> tuple[float, int]:
    """Median wall time of ``fn()`` over at least ``min_repeats`` calls (at most 20).

    Repeats stop after ``min_repeats`` calls once ``budget_s`` seconds have
    passed, and after the first call that ends past the budget (a slow call
    is timed once). Returns the median and the number of calls timed.
    """
    times, start = [], time.perf_counter()
    while len(times) < min_repeats or (time.perf_counter() - start < budget_s and len(times) < 20):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > budget_s:
            break
    return float(np.median(times)), len(times)
