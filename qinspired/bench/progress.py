"""The progress line of a benchmark run: the running cell, elapsed time, time left.

On a terminal the line is redrawn in place; on anything else (a log file, a pipe,
CI) each computed cell gets one plain line, without carriage returns.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from typing import TextIO

__all__ = ["Progress", "format_duration"]


def format_duration(seconds: float) -> str:
    """``"42s"``, ``"3m05s"`` or ``"1h02m"``."""
    s = int(round(max(seconds, 0.0)))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class Progress:
    """Progress of a run over the ``total`` cells it computes, written to ``stream``.

    The estimate of the time left is the sum, over the cells still to compute,
    of the mean duration of the finished cells of the same model (of all
    finished cells while that model has none yet).

    Parameters
    ----------
    total : int
        Number of cells to compute.
    stream : text stream, optional
        Where to write (standard error by default).
    start : float, optional
        ``time.perf_counter()`` when the run began (default: now).
    """

    def __init__(self, total: int, stream: TextIO | None = None,
                 start: float | None = None) -> None:
        self.total = total
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.live = bool(isatty and isatty())
        self.start = time.perf_counter() if start is None else start
        self.durations: dict[str, list[float]] = defaultdict(list)
        self.done = 0
        self._width = 0

    def _estimate(self, pending: list[str]) -> str:
        every = [d for ds in self.durations.values() for d in ds]
        if not every:
            return "time left: estimating"
        overall = sum(every) / len(every)
        left = sum(sum(self.durations[m]) / len(self.durations[m]) if self.durations[m]
                   else overall for m in pending)
        return f"~{format_duration(left)} left"

    def running(self, label: str, pending: list[str]) -> None:
        """Announce the cell about to run; ``pending`` names the group (model) of every
        cell still to compute, this one included."""
        elapsed = format_duration(time.perf_counter() - self.start)
        text = (f"[{self.done + 1}/{self.total}] {elapsed} elapsed, {self._estimate(pending)}"
                f" | running {label}")
        self._write(text)

    def finished(self, group: str, seconds: float) -> None:
        """Mark a cell of ``group`` computed in ``seconds``."""
        self.done += 1
        self.durations[group].append(seconds)

    def note(self, text: str) -> None:
        """A message on its own line (never overwritten by the progress line)."""
        if self.live and self._width:
            self.stream.write("\n")
            self._width = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the progress display (the live line gets its newline)."""
        if self.live and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0

    def _write(self, text: str) -> None:
        if self.live:
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
