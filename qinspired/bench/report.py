"""Turning benchmark cells into a summary, a markdown report, JSON and plots.

Statistics: per data set, every model is compared with the best classical model
(highest mean accuracy) by a paired test over seeds on the same splits (the
t-test; where it is undefined because the difference is the same on every seed,
the exact sign-flip test), and the p-values of one data set are Holm-corrected
together (:func:`qinspired.bench.stats.holm`).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from qinspired.bench.plots import PLOTS_HINT, write_plots
from qinspired.bench.stats import holm, mean_ci, paired_comparison
from qinspired.bench.sweep import bond_sweep

__all__ = ["ALPHA", "bond_sweep", "markdown_table", "readme_table", "summarize", "verdicts",
           "write_report"]

ALPHA = 0.05
"""Significance level of the verdicts (after Holm's correction)."""

_QUANTUM = ("quantum-inspired", "true-circuit")


def _mean(rs: Sequence[dict], name: str) -> float:
    values = [r[name] for r in rs if name in r]
    return float(np.mean(values)) if values else float("nan")


def _compare(row: dict, ref: dict) -> dict[str, Any]:
    seeds = sorted(set(row["accuracies"]) & set(ref["accuracies"]))
    cmp = paired_comparison([row["accuracies"][s] for s in seeds],
                            [ref["accuracies"][s] for s in seeds])
    return {"reference": ref["model"], "difference": cmp.mean_difference,
            "pvalue": cmp.pvalue, "test": cmp.test, "t_pvalue": cmp.t_pvalue,
            "wilcoxon_pvalue": cmp.wilcoxon_pvalue, "n_pairs": cmp.n_pairs}


def summarize(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (data set, model) that ran.

    Each row holds the mean test accuracy with its 95% interval, the data sizes,
    times (grid search, steady-state fit, compilation, prediction), the QPU
    resources of true-circuit models, ``counterpart`` (the model on the same
    circuit, when the pair ran on this data set) and ``vs_best_classical``:
    the paired comparison with the best classical model, its p-value
    Holm-corrected over the models of the data set (``pvalue_holm``).
    """
    by_cell: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in records:
        if "skipped" not in r:
            by_cell[(r["dataset"], r["model"])].append(r)
    rows = []
    for (dataset, model), rs in by_cell.items():
        rs = sorted(rs, key=lambda r: r["seed"])
        mean, half = mean_ci([r["test_accuracy"] for r in rs])
        row = {"dataset": dataset, "model": model, "family": rs[0]["family"],
               "n_features": rs[0]["n_features"], "n_train": rs[0].get("n_train"),
               "n_test": rs[0].get("n_test"), "n_seeds": len(rs), "accuracy": mean,
               "ci95": half, "fit_time_s": _mean(rs, "fit_time_s"),
               "steady_fit_time_s": _mean(rs, "steady_fit_time_s"),
               "compile_time_s": _mean(rs, "compile_time_s"),
               "predict_time_s": _mean(rs, "predict_time_s"),
               "accuracies": {r["seed"]: r["test_accuracy"] for r in rs}}
        if "qpu_resources" in rs[0]:
            row["qpu_resources"] = rs[0]["qpu_resources"]
        if rs[0].get("counterpart"):
            row["counterpart"] = rs[0]["counterpart"]
        rows.append(row)
    present = {(r["dataset"], r["model"]) for r in rows}
    for row in rows:
        if "counterpart" in row and (row["dataset"], row["counterpart"]) not in present:
            del row["counterpart"]
    for dataset in {r["dataset"] for r in rows}:
        mine = [r for r in rows if r["dataset"] == dataset]
        classical = [r for r in mine if r["family"] == "classical"]
        if not classical:
            continue
        ref = max(classical, key=lambda r: r["accuracy"])
        others = [r for r in mine if r is not ref]
        for row in others:
            row["vs_best_classical"] = _compare(row, ref)
        adjusted = holm([r["vs_best_classical"]["pvalue"] for r in others])
        for row, p in zip(others, adjusted):
            row["vs_best_classical"]["pvalue_holm"] = p
        ref["best_classical"] = True
    return sorted(rows, key=lambda r: (r["dataset"], -r["accuracy"], r["model"]))


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def _p(value: float) -> str:
    if value is None or math.isnan(value):
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _p_is(value: float) -> str:
    text = _p(value)
    return text if text.startswith("<") else f"= {text}"


def _seconds(value: float) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _significant(row: dict) -> bool:
    cmp = row.get("vs_best_classical")
    return bool(cmp) and cmp.get("pvalue_holm", 1.0) < ALPHA


def verdicts(rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """One sentence per data set: the best model, and whether any quantum or
    quantum-inspired model beats the best classical one after Holm's correction."""
    out = {}
    for dataset in sorted({r["dataset"] for r in rows}):
        mine = [r for r in rows if r["dataset"] == dataset]
        best = max(mine, key=lambda r: r["accuracy"])
        ref = next((r for r in mine if r.get("best_classical")), None)
        text = f"best: {best['model']} ({best['family']}, {best['accuracy']:.3f})."
        if ref is None:
            out[dataset] = text + " No classical model ran, so there is no comparison."
            continue
        better = [r for r in mine if r["family"] in _QUANTUM and _significant(r)
                  and r["vs_best_classical"]["difference"] > 0]
        worse = [r for r in mine if r["family"] in _QUANTUM and _significant(r)
                 and r["vs_best_classical"]["difference"] < 0]
        if better:
            names = ", ".join(f"{r['model']} ({r['vs_best_classical']['difference']:+.3f}, "
                              f"Holm p {_p_is(r['vs_best_classical']['pvalue_holm'])})"
                              for r in better)
            text += f" Significantly better than the best classical model ({ref['model']}): "
            text += names + "."
        else:
            text += (f" No quantum or quantum-inspired model is significantly better than the "
                     f"best classical model ({ref['model']}, {ref['accuracy']:.3f}) after Holm's "
                     f"correction at {ALPHA:g}")
            text += (f"; {len(worse)} {'is' if len(worse) == 1 else 'are'} significantly worse."
                     if worse else ".")
        out[dataset] = text
    return out


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """The summary as markdown: per data set, a heading with its sizes, the verdict
    and one line per model."""
    parts = []
    verdict = verdicts(rows)
    for dataset in sorted({r["dataset"] for r in rows}):
        mine = [r for r in rows if r["dataset"] == dataset]
        first = mine[0]
        parts += [f"### {dataset}: {first['n_features']} features, {first['n_train']} train / "
                  f"{first['n_test']} test rows, {max(r['n_seeds'] for r in mine)} seeds", "",
                  f"Verdict: {verdict[dataset]}", "",
                  "| model | family | test accuracy (95% CI) | vs best classical | p | Holm p "
                  "| fit s (steady) | compile s | predict s | tuning s | QPU circuits |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in mine:
            cmp = r.get("vs_best_classical")
            if cmp is None:
                vs, p, ph = ("best classical" if r.get("best_classical") else "-"), "-", "-"
            else:
                vs = f"{cmp['difference']:+.3f}"
                p = _p(cmp["pvalue"]) + ("†" if cmp["test"] == "sign-flip" else "")
                ph = _p(cmp["pvalue_holm"]) + ("*" if _significant(r) else "")
            qpu = r.get("qpu_resources", {}).get("circuits")
            parts.append(f"| {r['model']} | {r['family']} | {r['accuracy']:.3f} ± "
                         f"{_fmt(r['ci95'])} | {vs} | {p} | {ph} | "
                         f"{_seconds(r['steady_fit_time_s'])} | {_seconds(r['compile_time_s'])} "
                         f"| {_seconds(r['predict_time_s'])} | {_seconds(r['fit_time_s'])} | "
                         f"{'-' if qpu is None else f'{qpu:,}'} |")
        parts.append("")
    return "\n".join(parts)


def pairs_table(rows: Sequence[dict[str, Any]]) -> str:
    """Each true-circuit model beside its quantum-inspired counterpart (same circuit)."""
    index = {(r["dataset"], r["model"]): r for r in rows}
    lines = ["| data set | true-circuit model | accuracy | fit s | predict s | QPU circuits "
             "(total shots) | quantum-inspired counterpart | accuracy | fit s | predict s | "
             "difference (p) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["dataset"], r["model"])):
        if r["family"] != "true-circuit" or "counterpart" not in r:
            continue
        c = index[(r["dataset"], r["counterpart"])]
        seeds = sorted(set(r["accuracies"]) & set(c["accuracies"]))
        cmp = paired_comparison([c["accuracies"][s] for s in seeds],
                                [r["accuracies"][s] for s in seeds])
        q = r.get("qpu_resources", {})
        qpu = f"{q['circuits']:,} ({q['total_shots']:,})" if "circuits" in q else "-"
        lines.append(f"| {r['dataset']} | {r['model']} | {r['accuracy']:.3f} ± "
                     f"{_fmt(r['ci95'])} | {_seconds(r['steady_fit_time_s'])} | "
                     f"{_seconds(r['predict_time_s'])} | {qpu} | {c['model']} | "
                     f"{c['accuracy']:.3f} ± {_fmt(c['ci95'])} | "
                     f"{_seconds(c['steady_fit_time_s'])} | {_seconds(c['predict_time_s'])} | "
                     f"{cmp.mean_difference:+.3f} ({_p(cmp.pvalue)}"
                     f"{'†' if cmp.test == 'sign-flip' else ''}) |")
    return "\n".join(lines) if len(lines) > 2 else ""


def readme_table(rows: Sequence[dict[str, Any]]) -> str:
    """Models x data sets of mean test accuracy; ``*`` marks a Holm-corrected
    significant difference from the best classical model of the column."""
    datasets = sorted({r["dataset"] for r in rows})
    models: dict[str, str] = {}
    for r in rows:
        models.setdefault(r["model"], r["family"])
    order = sorted(models, key=lambda m: (("classical",) + _QUANTUM).index(models[m]))
    index = {(r["dataset"], r["model"]): r for r in rows}
    lines = ["| model | family | " + " | ".join(datasets) + " |",
             "|---|---|" + "---|" * len(datasets)]
    for m in order:
        cells = []
        for d in datasets:
            r = index.get((d, m))
            cells.append("-" if r is None else f"{r['accuracy']:.3f}"
                         + ("*" if _significant(r) else ""))
        lines.append(f"| {m} | {models[m]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(records: Sequence[dict[str, Any]], out: str | Path, *, suite: str,
                 environment: dict[str, Any], sweep: Sequence[dict[str, Any]] = (),
                 plots: bool = True) -> tuple[Path, str]:
    """Write ``results.json`` and ``report.md`` (plus plots) into ``out``.

    Returns the report path and its text. Without matplotlib the report says
    how to get the plots.
    """
    out = Path(out)
    rows = summarize(records)
    (out / "results.json").write_text(json.dumps(
        {"suite": suite, "environment": environment, "summary": rows, "cells": list(records),
         "bond_sweep": list(sweep)}, indent=1, sort_keys=True, default=str))
    written = write_plots(rows, sweep, out) if plots else []
    skipped = [r for r in records if "skipped" in r]
    seeds = max((r["n_seeds"] for r in rows), default=0)
    parts = [f"# qinspired benchmark: suite `{suite}`", "",
             f"Device: {environment.get('device', '?')}; JAX {environment.get('jax', '?')}; "
             f"qinspired {environment.get('qinspired', '?')}; dtype "
             f"{environment.get('dtype', '?')}; seeds per cell: {seeds}.", "",
             "Each cell: a stratified train/test split per seed, grid search by "
             "cross-validation on the training rows only, refit, accuracy on the held-out "
             "rows. Accuracy is the mean over seeds with a 95% Student-t interval. `vs best "
             "classical` is the mean paired difference from the most accurate classical model "
             "of the data set; `p` is the paired t-test over seeds, or, marked †, the exact "
             "sign-flip test where the t-test is undefined because the difference was the same "
             "on every seed (p = 1 when it was 0 on every seed); `Holm p` corrects the "
             "p-values of one data set together for multiple comparisons (Holm 1979), `*` "
             f"marks Holm p < {ALPHA:g}. With {seeds} seeds the smallest possible sign-flip p "
             f"is {2 / 2 ** seeds if seeds else float('nan'):.3g}. Times are means over seeds, "
             "in seconds: `fit s (steady)` is one fit of the chosen setting with compiled "
             "programs already cached, `compile s` the extra time of the first such fit "
             "(JAX compilation), `predict s` a steady-state prediction of the test rows, "
             "`tuning s` the whole grid search. `QPU circuits`: distinct circuit executions a "
             "QPU would need for one fit and prediction at the chosen setting.", "",
             "## At a glance", "",
             "Mean test accuracy; `*`: significantly different from the best classical model "
             "of the data set (Holm p < " f"{ALPHA:g}).", "", readme_table(rows), "",
             "## Per data set", "", markdown_table(rows)]
    pairs = pairs_table(rows)
    if pairs:
        parts += ["## True circuits beside their quantum-inspired counterparts", "",
                  "Each true-circuit model and the quantum-inspired model built on the same "
                  "circuit (the exact ZZ fidelity kernel and its MPS simulation at a bond "
                  "dimension below exact; the variational MPS-ansatz circuit and the MPS "
                  "classifier of its bond dimension). Times are this machine's steady-state "
                  "seconds (for the true-circuit model: its classical simulation); QPU cost is "
                  "what running it on hardware would take. The difference is counterpart minus "
                  "true circuit (paired over seeds).", "", pairs, ""]
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
    if written:
        parts += ["## Plots", ""] + [f"![{p}]({p})" for p in written]
    elif plots:
        parts.append(PLOTS_HINT)
    text = "\n".join(parts) + "\n"
    path = out / "report.md"
    path.write_text(text)
    return path, text
