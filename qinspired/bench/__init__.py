"""The benchmark suite behind ``qinspired bench``: true circuits vs quantum-inspired vs classical.

Each model of the zoo (:mod:`qinspired.bench.zoo`) is tuned by cross-validation on
the training split of each data set, refitted, tested on a held-out split, and the
whole is repeated over seeds (:mod:`qinspired.bench.runner`); cells are cached in
the results folder under a key of everything that determines them
(:mod:`qinspired.bench.store`). The report (:mod:`qinspired.bench.report`) gives
mean test accuracy with 95% intervals, paired tests against the best tuned
classical model with Holm's correction, a verdict per data set, each true-circuit
model beside its quantum-inspired counterpart on the same circuit, times with
compilation apart, and the QPU resources a true-circuit model would need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence, TextIO

from qinspired.bench.report import bond_sweep, markdown_table, summarize, write_report
from qinspired.bench.runner import SUITES, DataSpec, Suite, SuiteRun, run_cells, run_suite
from qinspired.bench.zoo import MODELS, ModelSpec

__all__ = ["MODELS", "SUITES", "DataSpec", "ModelSpec", "Suite", "SuiteRun", "bond_sweep",
           "describe", "markdown_table", "run", "run_cells", "run_suite", "summarize",
           "write_report"]


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
        seeds: int | None = None, sweep: bool | None = None, force: bool = False,
        verbose: bool = True, stream: TextIO | None = None) -> tuple[Path, str, SuiteRun]:
    """Run (or resume) a suite and write its report.

    ``sweep`` runs the suite's MPS kernel-error-vs-bond-dimension cells (default:
    when the suite has them and the selected models include an MPS or exact ZZ
    kernel); ``force`` recomputes every cell. Returns the report path, the
    report's text and the run (reused and computed cells).
    """
    done = run_cells(suite, out, models=models, datasets=datasets, seeds=seeds, sweep=sweep,
                     force=force, verbose=verbose, stream=stream)
    path, text = write_report(done.records, out, suite=suite, environment=environment(),
                              sweep=done.sweep)
    return path, text, done


def describe() -> str:
    """The suites (data sets, models, seeds) and every model, as text for ``--list``."""
    lines = ["Suites:"]
    for suite in SUITES.values():
        sweep = (f"; MPS kernel-error sweep at {', '.join(map(str, suite.sweep_qubits))} qubits"
                 if suite.sweep_qubits else "")
        lines.append(f"  {suite.name}: {len(suite.datasets)} data sets x {len(suite.models)} "
                     f"models x {suite.seeds} seeds, {suite.cv}-fold CV{sweep}")
        lines.append(f"    data sets: {', '.join(s.label for s in suite.datasets)}")
        lines.append(f"    models:    {', '.join(suite.models)}")
        if suite.grids:
            lines.append(f"    smaller grids than the zoo's for: {', '.join(suite.grids)}")
    lines.append("Models:")
    width = max(len(m) for m in MODELS)
    for spec in MODELS.values():
        pair = f" [counterpart: {spec.counterpart}]" if spec.counterpart else ""
        lines.append(f"  {spec.name:<{width}}  {spec.family:<16}  {spec.about}{pair}")
    return "\n".join(lines)
