"""Plots of a benchmark report (matplotlib, from the ``bench`` extra).

* ``accuracy_<data set>.png``: every model's mean test accuracy with its 95%
  interval, grouped and coloured by family, the best classical model marked;
* ``pairs.png``: each true-circuit model beside its quantum-inspired counterpart,
  accuracy and steady-state fit time;
* ``accuracy_vs_features.png``: only when the suite has several feature counts;
* ``kernel_error_vs_bond_dim.png``: the MPS kernel-error sweep, when it ran.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Sequence

__all__ = ["PLOTS_HINT", "write_plots"]

PLOTS_HINT = ("Plots skipped: matplotlib is not installed "
              "(python -m pip install \"qinspired[bench]\" adds it).")

_FAMILIES = ("classical", "quantum-inspired", "true-circuit")
_COLOURS = {"classical": "tab:blue", "quantum-inspired": "tab:green", "true-circuit": "tab:red"}


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _half(row: dict) -> float:
    return 0.0 if math.isnan(row["ci95"]) else row["ci95"]


def _accuracy_plot(plt: Any, rows: Sequence[dict], dataset: str, path: Path) -> None:
    mine = [r for r in rows if r["dataset"] == dataset]
    mine.sort(key=lambda r: (_FAMILIES.index(r["family"]), -r["accuracy"]))
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(mine) + 1.4))
    ys = list(range(len(mine)))[::-1]
    for y, r in zip(ys, mine):
        ax.errorbar(r["accuracy"], y, xerr=_half(r), fmt="o", capsize=3,
                    color=_COLOURS[r["family"]])
    ref = next((r for r in mine if r.get("best_classical")), None)
    if ref is not None:
        ax.axvline(ref["accuracy"], color="grey", linestyle=":", linewidth=1,
                   label=f"best classical ({ref['model']})")
    for family in _FAMILIES:
        if any(r["family"] == family for r in mine):
            ax.plot([], [], "o", color=_COLOURS[family], label=family)
    ax.set_yticks(ys, [r["model"] for r in mine])
    ax.set_xlabel("test accuracy (mean over seeds, 95% interval)")
    first = mine[0]
    ax.set_title(f"{dataset}: {first['n_features']} features, {first['n_train']} train / "
                 f"{first['n_test']} test", fontsize=10)
    ax.set_ylim(-0.6, len(mine) - 0.4)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _pairs_plot(plt: Any, rows: Sequence[dict], path: Path) -> bool:
    index = {(r["dataset"], r["model"]): r for r in rows}
    pairs = [(r, index[(r["dataset"], r["counterpart"])]) for r in rows
             if r["family"] == "true-circuit" and "counterpart" in r]
    if not pairs:
        return False
    fig, (acc, tim) = plt.subplots(1, 2, figsize=(12, 0.6 * len(pairs) + 1.8), sharey=True)
    ys = list(range(len(pairs)))[::-1]
    for y, (circ, insp) in zip(ys, pairs):
        for ax, key in ((acc, "accuracy"), (tim, "steady_fit_time_s")):
            ax.plot([circ[key], insp[key]], [y, y], color="lightgrey", zorder=1)
        acc.errorbar(circ["accuracy"], y + 0.08, xerr=_half(circ), fmt="^", capsize=3,
                     color=_COLOURS["true-circuit"])
        acc.errorbar(insp["accuracy"], y - 0.08, xerr=_half(insp), fmt="s", capsize=3,
                     color=_COLOURS["quantum-inspired"])
        tim.plot(circ["steady_fit_time_s"], y + 0.08, "^", color=_COLOURS["true-circuit"])
        tim.plot(insp["steady_fit_time_s"], y - 0.08, "s", color=_COLOURS["quantum-inspired"])
    acc.set_yticks(ys, [f"{c['dataset']}\n{c['model']} / {i['model']}" for c, i in pairs],
                   fontsize=7)
    acc.set_xlabel("test accuracy (95% interval)")
    tim.set_xscale("log")
    tim.set_xlabel("steady-state fit time (s)")
    acc.plot([], [], "^", color=_COLOURS["true-circuit"], label="true circuit")
    acc.plot([], [], "s", color=_COLOURS["quantum-inspired"], label="quantum-inspired counterpart")
    acc.set_ylim(-0.6, len(pairs) - 0.4)
    tim.legend(*acc.get_legend_handles_labels(), fontsize=7, loc="upper left",
               bbox_to_anchor=(1.01, 1.0))
    fig.suptitle("true-circuit models beside their counterparts on the same circuit",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def _features_plot(plt: Any, rows: Sequence[dict], path: Path) -> None:
    fig, (acc, tim) = plt.subplots(1, 2, figsize=(11, 4))
    for model in sorted({r["model"] for r in rows}):
        mine = sorted((r for r in rows if r["model"] == model), key=lambda r: r["n_features"])
        by_d: dict[int, list[dict]] = {}
        for r in mine:
            by_d.setdefault(r["n_features"], []).append(r)
        ds = sorted(by_d)
        colour = _COLOURS[mine[0]["family"]]
        acc.plot(ds, [sum(r["accuracy"] for r in by_d[d]) / len(by_d[d]) for d in ds],
                 marker=".", color=colour, alpha=0.7)
        tim.plot(ds, [sum(r["steady_fit_time_s"] for r in by_d[d]) / len(by_d[d]) for d in ds],
                 marker=".", color=colour, alpha=0.7)
    for family in _FAMILIES:
        acc.plot([], [], color=_COLOURS[family], label=family)
    acc.set_xlabel("features (qubits)")
    acc.set_ylabel("test accuracy, mean over the data sets of that width")
    tim.set_xlabel("features (qubits)")
    tim.set_ylabel("steady-state fit time (s)")
    tim.set_yscale("log")
    acc.legend(fontsize=7)
    fig.suptitle("one line per model", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _sweep_plot(plt: Any, sweep: Sequence[dict], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    for n in sorted({r["n_qubits"] for r in sweep}):
        pts = sorted((r["bond_dim"], r["max_abs_error"]) for r in sweep if r["n_qubits"] == n)
        ax.plot(*zip(*pts), marker="o", label=f"{n} qubits")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("bond dimension")
    ax.set_ylabel("max |K_mps - K_exact|")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_plots(rows: Sequence[dict[str, Any]], sweep: Sequence[dict[str, Any]], out: Path
                ) -> list[str]:
    """Write the plots into ``out``; return their file names (empty without matplotlib)."""
    plt = _pyplot()
    if plt is None or not rows:
        return []
    written = []
    for dataset in sorted({r["dataset"] for r in rows}):
        name = f"accuracy_{_safe(dataset)}.png"
        _accuracy_plot(plt, rows, dataset, out / name)
        written.append(name)
    if _pairs_plot(plt, rows, out / "pairs.png"):
        written.append("pairs.png")
    if len({r["n_features"] for r in rows}) > 1:
        _features_plot(plt, rows, out / "accuracy_vs_features.png")
        written.append("accuracy_vs_features.png")
    if sweep:
        _sweep_plot(plt, sweep, out / "kernel_error_vs_bond_dim.png")
        written.append("kernel_error_vs_bond_dim.png")
    return written
