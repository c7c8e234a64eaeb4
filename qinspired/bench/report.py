"""Turning benchmark cells into a summary, a markdown report, JSON and plots."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from qinspired.bench.stats import mean_ci, paired_comparison

__all__ = ["bond_sweep", "markdown_table", "summarize", "write_report"]


def summarize(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (data set, model): mean test accuracy with its 95% CI, times, and the
    paired comparison with the best classical model on the same data set and seeds."""
    by_cell: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in records:
        if "skipped" not in r:
            by_cell[(r["dataset"], r["model"])].append(r)
    rows = []
    for (dataset, model), rs in by_cell.items():
        rs = sorted(rs, key=lambda r: r["seed"])
        acc = [r["test_accuracy"] for r in rs]
        mean, half = mean_ci(acc)
        row = {"dataset": dataset, "model": model, "family": rs[0]["family"],
               "n_features": rs[0]["n_features"], "n_seeds": len(rs), "accuracy": mean,
               "ci95": half, "fit_time_s": float(np.mean([r["fit_time_s"] for r in rs])),
               "predict_time_s": float(np.mean([r["predict_time_s"] for r in rs])),
               "accuracies": {r["seed"]: r["test_accuracy"] for r in rs}}
        if "qpu_resources" in rs[0]:
            row["qpu_resources"] = rs[0]["qpu_resources"]
        rows.append(row)
    best: dict[str, dict] = {}
    for row in rows:
        if row["family"] == "classical" and (row["dataset"] not in best
                                             or row["accuracy"] > best[row["dataset"]]["accuracy"]):
            best[row["dataset"]] = row
    for row in rows:
        ref = best.get(row["dataset"])
        if ref is None or ref is row:
            continue
        seeds = sorted(set(row["accuracies"]) & set(ref["accuracies"]))
        cmp = paired_comparison([row["accuracies"][s] for s in seeds],
                                [ref["accuracies"][s] for s in seeds])
        row["vs_best_classical"] = {"reference": ref["model"], "difference": cmp.mean_difference,
                                    "t_pvalue": cmp.t_pvalue,
                                    "wilcoxon_pvalue": cmp.wilcoxon_pvalue}
    return sorted(rows, key=lambda r: (r["dataset"], -r["accuracy"]))


def _fmt(value: float, digits: int = 3) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{value:.{digits}f}"


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """The summary as a markdown table (one line per data set and model)."""
    lines = ["| data set | model | family | test accuracy (95% CI) | vs best classical (p) "
             "| fit s | QPU circuits |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        cmp = r.get("vs_best_classical")
        vs = "best classical" if cmp is None and r["family"] == "classical" else "-"
        if cmp is not None:
            vs = f"{cmp['difference']:+.3f} (p={_fmt(cmp['t_pvalue'], 2)})"
        qpu = r.get("qpu_resources", {}).get("circuits")
        lines.append(f"| {r['dataset']} | {r['model']} | {r['family']} | "
                     f"{r['accuracy']:.3f} ± {_fmt(r['ci95'])} | {vs} | "
                     f"{r['fit_time_s']:.2f} | {'-' if qpu is None else f'{qpu:,}'} |")
    return "\n".join(lines)


def bond_sweep(n_qubits: Sequence[int] = (8, 12), chis: Sequence[int] = (1, 2, 4, 8, 16),
               n_points: int = 30, seed: int = 0) -> list[dict[str, Any]]:
    """Fidelity-kernel error of the MPS backend vs bond dimension (ZZ map, linear).

    For each qubit count, the maximal and mean absolute Gram error against the
    exact statevector kernel, the mean truncation error and the time.
    """
    import time

    from qinspired.feature_maps import ZZFeatureMap
    from qinspired.kernels import FidelityKernel

    rows = []
    rng = np.random.default_rng(seed)
    for n in n_qubits:
        X = rng.uniform(0, math.pi, (n_points, n))
        fm = ZZFeatureMap(n, reps=2, entanglement="linear", feature_scale=0.5)
        exact = FidelityKernel(fm)(X)
        for chi in chis:
            k = FidelityKernel(fm, backend="mps", bond_dim=chi)
            t0 = time.perf_counter()
            states = k.states(X)
            K = k.gram(states)
            rows.append({"n_qubits": n, "bond_dim": chi,
                         "max_abs_error": float(np.max(np.abs(K - exact))),
                         "mean_abs_error": float(np.mean(np.abs(K - exact))),
                         "mean_truncation_error": float(np.mean(states.truncation_error)),
                         "time_s": time.perf_counter() - t0})
    return rows


def _plots(rows: Sequence[dict[str, Any]], sweep: Sequence[dict[str, Any]], out: Path
           ) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    fig, ax = plt.subplots(figsize=(7, 4))
    for family, marker in (("classical", "o"), ("quantum-inspired", "s"), ("true-circuit", "^")):
        pts = [(r["n_features"], r["accuracy"]) for r in rows if r["family"] == family]
        if pts:
            by_d: dict[int, list[float]] = defaultdict(list)
            for d, a in pts:
                by_d[d].append(a)
            ds = sorted(by_d)
            ax.plot(ds, [np.mean(by_d[d]) for d in ds], marker=marker, label=family)
    ax.set_xlabel("features (qubits)")
    ax.set_ylabel("mean test accuracy")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "accuracy_vs_features.png", dpi=120)
    written.append("accuracy_vs_features.png")
    fig, ax = plt.subplots(figsize=(7, 4))
    for model in sorted({r["model"] for r in rows}):
        by_d: dict[int, list[float]] = defaultdict(list)
        for r in rows:
            if r["model"] == model:
                by_d[r["n_features"]].append(r["fit_time_s"])
        ds = sorted(by_d)
        ax.plot(ds, [np.mean(by_d[d]) for d in ds], marker=".", label=model)
    ax.set_yscale("log")
    ax.set_xlabel("features (qubits)")
    ax.set_ylabel("fit time incl. grid search (s)")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(out / "time_vs_features.png", dpi=120)
    written.append("time_vs_features.png")
    if sweep:
        fig, ax = plt.subplots(figsize=(7, 4))
        for n in sorted({r["n_qubits"] for r in sweep}):
            pts = [(r["bond_dim"], r["max_abs_error"]) for r in sweep if r["n_qubits"] == n]
            ax.plot(*zip(*pts), marker="o", label=f"{n} qubits")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("bond dimension")
        ax.set_ylabel("max |K_mps - K_exact|")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "kernel_error_vs_bond_dim.png", dpi=120)
        written.append("kernel_error_vs_bond_dim.png")
    plt.close("all")
    return written


def write_report(records: Sequence[dict[str, Any]], out: str | Path, *, suite: str,
                 environment: dict[str, Any], sweep: Sequence[dict[str, Any]] = ()
                 ) -> tuple[Path, str]:
    """Write ``results.json`` and ``report.md`` (plus plots) into ``out``.

    Returns the report path and the summary table.
    """
    out = Path(out)
    rows = summarize(records)
    table = markdown_table(rows)
    (out / "results.json").write_text(json.dumps(
        {"suite": suite, "environment": environment, "summary": rows, "cells": list(records),
         "bond_sweep": list(sweep)}, indent=1, sort_keys=True, default=str))
    plots = _plots(rows, sweep, out)
    skipped = [r for r in records if "skipped" in r]
    parts = [f"# qinspired benchmark: suite `{suite}`", "",
             f"Device: {environment.get('device', '?')}; JAX {environment.get('jax', '?')}; "
             f"dtype {environment.get('dtype', '?')}; seeds per cell: "
             f"{max((r['n_seeds'] for r in rows), default=0)}.", "",
             "Test accuracy on held-out splits after grid search by cross-validation on the "
             "training split; 95% Student-t intervals over seeds; the comparison is a paired "
             "t-test against the best classical model of the same data set.", "", table, ""]
    if sweep:
        parts += ["## MPS kernel error vs bond dimension", "",
                  "| qubits | bond dim | max abs error | mean truncation error | time s |",
                  "|---|---|---|---|---|"]
        parts += [f"| {r['n_qubits']} | {r['bond_dim']} | {r['max_abs_error']:.2e} | "
                  f"{r['mean_truncation_error']:.2e} | {r['time_s']:.2f} |" for r in sweep]
        parts.append("")
    if skipped:
        parts += ["## Skipped cells", ""]
        parts += sorted({f"- {r['dataset']} / {r['model']}: {r['skipped']}" for r in skipped})
        parts.append("")
    parts += [f"![{p}]({p})" for p in plots]
    path = out / "report.md"
    path.write_text("\n".join(parts) + "\n")
    return path, table
