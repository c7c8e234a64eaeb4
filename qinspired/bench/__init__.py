"""The benchmark suite behind ``qinspired bench``: true circuits vs quantum-inspired vs classical.

Each model of the zoo (:mod:`qinspired.bench.zoo`) is tuned by cross-validation on
the training split of each data set, refitted, tested on a held-out split, and the
whole is repeated over seeds (:mod:`qinspired.bench.runner`); the report
(:mod:`qinspired.bench.report`) gives mean test accuracy with 95% intervals, a paired
test against the best tuned classical model, times, and the QPU resources a
true-circuit model would need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from qinspired.bench.report import bond_sweep, markdown_table, summarize, write_report
from qinspired.bench.runner import SUITES, DataSpec, Suite, run_suite
from qinspired.bench.zoo import MODELS, ModelSpec

__all__ = ["MODELS", "SUITES", "DataSpec", "ModelSpec", "Suite", "bond_sweep",
           "markdown_table", "run", "run_suite", "summarize", "write_report"]


def environment() -> dict[str, Any]:
    """Versions, device and dtype for the report header."""
    from qinspired._info import info
    from qinspired.circuits.statevector import complex_dtype

    report = info()
    devices = report.get("devices") or [{}]
    return {"jax": report["versions"].get("jax"), "qinspired": report["versions"].get("qinspired"),
            "device": f"{report.get('backend')} ({devices[0].get('device_kind', '?')}) x "
                      f"{len(devices)}",
            "platform": report.get("platform"), "dtype": str(complex_dtype()),
            "versions": report["versions"]}


def run(suite: str = "quick", out: str | Path = "bench-results", *,
        models: Sequence[str] | None = None, datasets: Sequence[str] | None = None,
        seeds: int | None = None, sweep: bool | None = None, verbose: bool = True
        ) -> tuple[Path, str]:
    """Run (or resume) a suite and write its report; return the report path and table.

    ``sweep`` adds the MPS kernel-error-vs-bond-dimension experiment (default: on
    for the ``standard`` and ``full`` suites).
    """
    records = run_suite(suite, out, models=models, datasets=datasets, seeds=seeds,
                        verbose=verbose)
    do_sweep = suite != "quick" if sweep is None else sweep
    rows = bond_sweep(n_qubits=(8, 12) if suite != "full" else (8, 12, 16)) if do_sweep else []
    return write_report(records, out, suite=suite, environment=environment(), sweep=rows)
