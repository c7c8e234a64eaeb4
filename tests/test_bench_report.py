"""The benchmark report: Holm's correction, the sign-flip fallback, verdicts, pairs, plots,
progress lines and ``--list``."""

from __future__ import annotations

import io
import json
import math
import re

import numpy as np
import pytest

from qinspired.bench import MODELS, SUITES, DataSpec, Suite, run_cells, summarize, write_report
from qinspired.bench import plots as plots_module
from qinspired.bench.progress import Progress, format_duration
from qinspired.bench.report import verdicts
from qinspired.bench.stats import holm, paired_comparison, sign_flip_pvalue
from qinspired.cli import main


def test_holm_against_a_hand_computed_case():
    # Sorted: 0.005 (x4 = 0.02), 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> 0.06,
    # the running maximum); NaN is not a comparison and stays NaN.
    adjusted = holm([0.01, 0.04, 0.03, 0.005, float("nan")])
    assert adjusted[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert math.isnan(adjusted[4])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])  # capped at 1
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm([1.5])


def test_sign_flip_test_against_hand_enumeration():
    # Sums of +-0.1 +-0.1 +-0.2 over the 8 sign patterns: 0.4, 0, 0.2, -0.2, 0.2, -0.2, 0, -0.4;
    # |sum| >= |0.2| in 6 of them.
    assert sign_flip_pvalue([0.1, -0.1, 0.2]) == pytest.approx(6 / 8)
    assert sign_flip_pvalue([0.1, 0.1, 0.1]) == pytest.approx(2 / 8)
    assert sign_flip_pvalue([0.0, 0.0, 0.0]) == 1.0


def test_identical_differences_use_the_sign_flip_test_instead_of_no_p_value():
    same = paired_comparison([0.9, 0.8, 0.7], [0.8, 0.7, 0.6])  # +0.1 on every seed
    assert math.isnan(same.t_pvalue)
    assert same.test == "sign-flip" and same.pvalue == pytest.approx(0.25)
    varied = paired_comparison([0.9, 0.85, 0.7], [0.8, 0.7, 0.65])
    assert varied.test == "t" and varied.pvalue == varied.t_pvalue


def _records(dataset, model, family, accuracies, counterpart=None):
    return [{"dataset": dataset, "model": model, "family": family, "seed": s, "n_features": 4,
             "n_train": 70, "n_test": 30, "test_accuracy": a, "fit_time_s": 1.0,
             "steady_fit_time_s": 0.5, "compile_time_s": 0.2, "predict_time_s": 0.1,
             "counterpart": counterpart} for s, a in enumerate(accuracies)]


CLASSICAL = [0.70, 0.72, 0.69, 0.71, 0.70]
BETTER = [0.90, 0.93, 0.90, 0.92, 0.91]
WEAK = [0.60, 0.65, 0.58, 0.66, 0.61]


def test_p_values_are_holm_corrected_per_data_set_and_the_verdict_follows_them():
    records = (_records("a", "svc", "classical", CLASSICAL)
               + _records("a", "weak", "classical", WEAK)
               + _records("a", "mps", "quantum-inspired", BETTER)
               + _records("a", "circ", "true-circuit", CLASSICAL)
               + _records("b", "svc", "classical", BETTER)
               + _records("b", "mps", "quantum-inspired", CLASSICAL))
    rows = {(r["dataset"], r["model"]): r for r in summarize(records)}
    assert rows[("a", "svc")]["best_classical"] and "vs_best_classical" not in rows[("a", "svc")]
    raw = [paired_comparison(acc, CLASSICAL).pvalue for acc in (WEAK, BETTER, CLASSICAL)]
    expected = holm(raw)  # three comparisons on data set a, none from data set b
    got = [rows[("a", m)]["vs_best_classical"]["pvalue_holm"] for m in ("weak", "mps", "circ")]
    assert got == pytest.approx(expected)
    assert rows[("a", "circ")]["vs_best_classical"]["pvalue"] == 1.0  # equal on every seed
    assert rows[("b", "mps")]["vs_best_classical"]["pvalue_holm"] == pytest.approx(
        paired_comparison(CLASSICAL, BETTER).pvalue)  # alone on data set b: unchanged
    verdict = verdicts(list(rows.values()))
    assert verdict["a"].startswith("best: mps") and "Significantly better" in verdict["a"]
    assert "mps" in verdict["a"].split("Significantly better")[1]
    assert "No quantum or quantum-inspired model is significantly better" in verdict["b"]
    assert "1 is significantly worse" in verdict["b"]


def test_report_shows_sizes_verdicts_pairs_and_plots(tmp_path):
    records = (_records("ds", "svc", "classical", CLASSICAL)
               + _records("ds", "kernel_fidelity", "true-circuit", CLASSICAL,
                          counterpart="kernel_mps_chi2")
               + _records("ds", "kernel_mps_chi2", "quantum-inspired", BETTER,
                          counterpart="kernel_fidelity")
               + _records("ds", "variational", "true-circuit", WEAK, counterpart="mps_chi4"))
    path, text = write_report(records, tmp_path, suite="t", environment={})
    assert "### ds: 4 features, 70 train / 30 test rows, 5 seeds" in text
    assert "Verdict: best: kernel_mps_chi2" in text and "Holm" in text
    pairs = text.split("## True circuits beside")[1]
    assert "| ds | kernel_fidelity | 0.704" in pairs and "| kernel_mps_chi2 | 0.912" in pairs
    assert "| ds | variational" not in pairs  # its counterpart did not run
    summary = json.loads((tmp_path / "results.json").read_text())["summary"]
    by_model = {r["model"]: r for r in summary}
    assert by_model["kernel_fidelity"]["counterpart"] == "kernel_mps_chi2"
    assert by_model["kernel_mps_chi2"]["counterpart"] == "kernel_fidelity"
    assert "counterpart" not in by_model["variational"]
    assert (tmp_path / "accuracy_ds.png").exists() and (tmp_path / "pairs.png").exists()
    assert not (tmp_path / "accuracy_vs_features.png").exists()  # one feature count only
    assert "![pairs.png](pairs.png)" in text


def test_without_matplotlib_the_report_says_how_to_get_plots(tmp_path, monkeypatch):
    monkeypatch.setattr(plots_module, "_pyplot", lambda: None)
    path, text = write_report(_records("ds", "svc", "classical", CLASSICAL), tmp_path,
                              suite="t", environment={})
    assert "qinspired[bench]" in text and not list(tmp_path.glob("*.png"))


def test_quick_suite_pairs_every_true_circuit_model_with_a_counterpart_on_the_same_circuit():
    quick = SUITES["quick"]
    families = {m: MODELS[m].family for m in quick.models}
    assert {"svc_rbf", "logistic"} <= set(quick.models)
    assert {"mlp", "hist_gradient_boosting"} & set(quick.models)
    assert sum(f == "classical" for f in families.values()) >= 3
    assert sum(f == "true-circuit" for f in families.values()) >= 2
    assert sum(f == "quantum-inspired" for f in families.values()) >= 3
    d = quick.datasets[0].kwargs["n_features"]
    for model, family in families.items():
        if family != "true-circuit":
            continue
        partner = MODELS[model].counterpart
        assert partner in quick.models and MODELS[partner].family == "quantum-inspired"
        assert MODELS[partner].counterpart == model
        circuit = MODELS[model].build(d, 0)[-1]
        inspired = MODELS[partner].build(d, 0)[-1]
        if hasattr(circuit, "kernel"):  # same feature map, MPS bond dimension below exact
            assert circuit.kernel.feature_map.get_params() == \
                inspired.kernel.feature_map.get_params()
            assert inspired.kernel.backend == "mps"
            assert inspired.kernel.bond_dim < 2 ** (d // 2)
        else:  # k staircase layers of two-qubit blocks = an MPS of bond dimension 2**k
            assert circuit.ansatz == "mps"
            assert inspired.bond_dim == 2 ** circuit.n_layers


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_names_the_running_cell_and_uses_no_carriage_return_off_a_terminal(tmp_path):
    suite = Suite("p", (DataSpec("ls_d2", "linearly_separable",
                                 {"n_samples": 40, "n_features": 2}),),
                  ("svc_rbf", "logistic"), seeds=2, cv=2)
    log = io.StringIO()
    done = run_cells(suite, tmp_path, stream=log)
    text = log.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert re.fullmatch(r"\[1/4\] \d+s elapsed, time left: estimating \| running "
                        r"ls_d2 / svc_rbf / seed 0", lines[0])
    assert len(lines) == 4
    assert "running ls_d2 / logistic / seed 1" in lines[3] and "left" in lines[3]
    assert done.summary_line() == "0 cells reused, 4 computed"
    live = _Terminal()
    run_cells(suite, tmp_path, stream=live, force=True)
    assert live.getvalue().count("\r") == 4 and live.getvalue().endswith("\n")
    # Resuming: the count and the time left cover only the cells still to compute.
    (cell,) = (tmp_path / "cells").glob("ls_d2__logistic__1__*.json")
    cell.unlink()
    log = io.StringIO()
    done = run_cells(suite, tmp_path, stream=log)
    (first,) = log.getvalue().splitlines()
    assert re.fullmatch(r"\[1/1\] \d+s elapsed, time left: estimating \| running "
                        r"ls_d2 / logistic / seed 1", first)
    assert done.summary_line() == "3 cells reused, 1 computed"


def test_time_left_is_estimated_from_the_cells_of_the_same_model():
    log = io.StringIO()
    progress = Progress(3, log)
    progress.finished("fast", 10.0)
    progress.finished("slow", 100.0)
    progress.running("x", ["fast", "slow"])
    assert "~1m50s left" in log.getvalue()
    assert [format_duration(s) for s in (5, 65, 3720)] == ["5s", "1m05s", "1h02m"]


def test_cli_list_prints_suites_data_sets_and_models(capsys):
    assert main(["bench", "--list"]) == 0
    out = capsys.readouterr().out
    for suite in SUITES.values():
        assert f"  {suite.name}:" in out
        assert all(spec.label in out for spec in suite.datasets)
    assert all(name in out for name in MODELS)
    assert "[counterpart: kernel_mps_chi2]" in out


def test_sweep_is_a_cached_cell_and_follows_models(tmp_path, monkeypatch):
    from qinspired.bench import runner as runner_module

    calls = []
    monkeypatch.setattr(runner_module, "bond_sweep",
                        lambda n: calls.append(n) or [{"n_qubits": n[0], "bond_dim": 1,
                                                       "max_abs_error": 0.1,
                                                       "mean_abs_error": 0.01,
                                                       "mean_truncation_error": 0.0,
                                                       "time_s": 0.0}])
    suite = Suite("s", (DataSpec("ls_d2", "linearly_separable",
                                 {"n_samples": 40, "n_features": 2}),),
                  ("svc_rbf",), seeds=1, cv=2, sweep_qubits=(4, 6))
    assert run_cells(suite, tmp_path, models=["svc_rbf"], verbose=False).sweep == []
    first = run_cells(suite, tmp_path, verbose=False)
    assert calls == [(4,), (6,)] and [r["n_qubits"] for r in first.sweep] == [4, 6]
    again = run_cells(suite, tmp_path, models=["svc_rbf", "kernel_mps_chi2"], seeds=1,
                      datasets=["ls_d2"], verbose=False)
    assert calls == [(4,), (6,)] and again.sweep == first.sweep
    assert np.isclose(again.sweep[0]["max_abs_error"], 0.1)
