"""The benchmark harness: statistics against scipy, a tiny suite end to end, resuming.

The results folder (keys, corrupt files) is tested in test_bench_store.py, the
report (Holm, verdicts, pairs, plots, progress) in test_bench_report.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from qinspired.bench import MODELS, SUITES, DataSpec, Suite, run_suite, summarize, write_report
from qinspired.bench import runner as runner_module
from qinspired.bench.stats import mean_ci, paired_comparison
from qinspired.cli import main


def test_mean_ci_matches_scipy_t_interval():
    v = np.array([0.8, 0.85, 0.9, 0.7, 0.75])
    mean, half = mean_ci(v)
    lo, hi = stats.t.interval(0.95, len(v) - 1, loc=v.mean(), scale=stats.sem(v))
    assert mean == pytest.approx(v.mean())
    assert half == pytest.approx((hi - lo) / 2)
    assert np.isnan(mean_ci([0.5])[1])


def test_paired_comparison_matches_scipy():
    a = np.array([0.9, 0.8, 0.85, 0.95, 0.7, 0.88])
    b = np.array([0.85, 0.82, 0.8, 0.9, 0.6, 0.8])
    cmp = paired_comparison(a, b)
    assert cmp.mean_difference == pytest.approx(np.mean(a - b))
    assert cmp.t_pvalue == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert cmp.wilcoxon_pvalue == pytest.approx(stats.wilcoxon(a, b).pvalue)
    same = paired_comparison(a, a)
    assert same.mean_difference == 0 and np.isnan(same.t_pvalue)


def test_every_suite_names_known_models_and_data_sets():
    from qinspired.datasets import DATASETS

    for suite in SUITES.values():
        assert set(suite.models) <= set(MODELS)
        assert {d.source for d in suite.datasets} <= set(DATASETS)
        assert set(suite.grids) <= set(suite.models)
        for name, grid in suite.grids.items():
            params = MODELS[name].build(4, 0).get_params()
            assert set(grid) <= set(params) and all(len(v) >= 2 for v in grid.values())
    assert {m.family for m in MODELS.values()} == {"classical", "quantum-inspired",
                                                  "true-circuit"}


def test_every_suite_data_set_loads_with_enough_raw_features():
    from qinspired.bench.runner import load_data

    for suite in SUITES.values():
        for spec in suite.datasets:
            X, y = load_data(spec, 0)
            assert len(X) == len(y) > 0
            assert spec.n_features is None or spec.n_features <= X.shape[1]


TINY = Suite(
    "tiny",
    (DataSpec("ls_d2", "linearly_separable", {"n_samples": 40, "n_features": 2}),
     DataSpec("iris_d2", "iris", n_features=2, max_samples=45)),
    ("svc_rbf", "kernel_product_closed_form", "kernel_fidelity"),
    seeds=2, cv=2,
)


def test_tiny_suite_produces_a_complete_report(tmp_path):
    records = run_suite(TINY, tmp_path, verbose=False)
    assert len(records) == 2 * 3 * 2
    for r in records:
        assert 0.0 <= r["test_accuracy"] <= 1.0 and r["fit_time_s"] > 0
        assert r["n_train"] + r["n_test"] in (40, 45)
    fidelity = [r for r in records if r["model"] == "kernel_fidelity"]
    assert all(r["qpu_resources"]["circuits"] == r["n_train"] * (r["n_train"] - 1) // 2
               + r["n_test"] * r["n_train"] for r in fidelity)
    path, text = write_report(records, tmp_path, suite="tiny", environment={"device": "cpu"})
    assert path.read_text() == text
    for model in TINY.models:
        assert model in text
    for r in records:
        assert r["compile_time_s"] >= 0 and r["steady_fit_time_s"] > 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert len(data["summary"]) == 2 * 3 and len(data["cells"]) == 12
    rows = summarize(records)
    best = {r["dataset"]: r for r in rows if r["family"] == "classical"}
    for r in rows:
        if r["family"] != "classical":
            assert r["vs_best_classical"]["reference"] == best[r["dataset"]]["model"]


def test_resuming_skips_finished_cells(tmp_path, monkeypatch):
    suite = Suite("one", (TINY.datasets[0],), ("svc_rbf", "kernel_product_closed_form"),
                  seeds=2, cv=2)
    first = run_suite(suite, tmp_path, verbose=False)
    calls = []
    original = runner_module.run_cell
    monkeypatch.setattr(runner_module, "run_cell",
                        lambda *a, **k: calls.append(a) or original(*a, **k))
    (cell,) = (tmp_path / "cells").glob("ls_d2__svc_rbf__1__*.json")
    cell.unlink()
    again = run_suite(suite, tmp_path, verbose=False)
    assert [(c[1], c[2]) for c in calls] == [("svc_rbf", 1)]

    def untimed(records):
        return sorted(json.dumps({k: v for k, v in r.items() if not k.endswith("time_s")},
                                 sort_keys=True) for r in records)

    assert untimed(again) == untimed(first)


def test_compiled_programs_are_dropped_after_each_model(tmp_path, monkeypatch):
    cleared = []
    monkeypatch.setattr(runner_module.jax, "clear_caches", lambda: cleared.append(1))
    suite = Suite("one", (TINY.datasets[0],), ("svc_rbf", "kernel_product_closed_form"),
                  seeds=2, cv=2)
    run_suite(suite, tmp_path, verbose=False)
    assert len(cleared) == 2  # once per model, not per data set or seed


def test_models_skip_data_sets_that_are_too_wide(tmp_path):
    wide = Suite("wide", (DataSpec("ls_d20", "linearly_separable",
                                   {"n_samples": 30, "n_features": 20}),),
                 ("kernel_fidelity",), seeds=1, cv=2)
    (record,) = run_suite(wide, tmp_path, verbose=False)
    assert "max_features" in record["skipped"]


def test_cli_rejects_unknown_models(tmp_path, capsys):
    assert main(["bench", "--out", str(tmp_path), "--models", "nope", "--quiet"]) == 2
    assert "unknown models" in capsys.readouterr().err
