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


def interleaved_medians(fns: dict[str, Callable[[], object]], min_rounds: int = 3,
                        budget_s: float = 10.0) -> tuple[dict[str, float], int]:
    """Median wall time of each of several functions, timed in rounds of one call each.

    Every round calls each function once, in the given order, so a change of load
    on a shared machine reaches all of them alike and their ratios stay stable
    (timed one after the other, a busy minute falls on one side of a ratio). Rounds
    stop as :func:`median_time`'s repeats do. Returns the medians and the rounds.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    start, rounds = time.perf_counter(), 0
    while rounds < min_rounds or (time.perf_counter() - start < budget_s and rounds < 20):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
        rounds += 1
        if time.perf_counter() - start > budget_s:
            break
    return {name: float(np.median(t)) for name, t in times.items()}, rounds
