"""The benchmark's results folder: cells keyed by what determines them, bad files recomputed."""

from __future__ import annotations

import io
import json

import pytest

from qinspired.bench import DataSpec, Suite, run_cells, run_suite
from qinspired.bench import runner as runner_module
from qinspired.bench import zoo
from qinspired.bench.store import cell_key
from qinspired.cli import main

SMALL = Suite("small", (DataSpec("ls_d2", "linearly_separable",
                                 {"n_samples": 40, "n_features": 2}),),
              ("svc_rbf", "logistic"), seeds=1, cv=2)
# The same data-set label and models, another data size: what `quick` vs `standard` did.
LARGER = Suite("larger", (DataSpec("ls_d2", "linearly_separable",
                                   {"n_samples": 60, "n_features": 2}),),
               ("svc_rbf", "logistic"), seeds=1, cv=2)


def _untimed(records):
    return sorted(json.dumps({k: v for k, v in r.items() if not k.endswith("time_s")},
                             sort_keys=True) for r in records)


def test_a_suite_run_into_a_folder_of_another_suite_gives_the_same_rows_as_into_an_empty_one(
        tmp_path):
    run_suite(SMALL, tmp_path / "shared", verbose=False)
    mixed = run_cells(LARGER, tmp_path / "shared", models=["svc_rbf"], verbose=False)
    fresh = run_cells(LARGER, tmp_path / "empty", models=["svc_rbf"], verbose=False)
    assert (mixed.reused, mixed.computed) == (0, 1)
    assert _untimed(mixed.records) == _untimed(fresh.records)
    assert mixed.records[0]["n_train"] + mixed.records[0]["n_test"] == 60
    # ... and the cells of both suites stay side by side, each reused by its own suite.
    again = run_cells(SMALL, tmp_path / "shared", verbose=False)
    assert (again.reused, again.computed) == (2, 0)
    assert len(list((tmp_path / "shared" / "cells").glob("ls_d2__svc_rbf__0__*.json"))) == 2


def test_the_key_changes_with_grid_version_and_protocol_but_not_with_the_process(monkeypatch):
    spec, = SMALL.datasets
    key = runner_module.model_cell_key(spec, "svc_rbf", 0, cv=2, test_size=0.3)
    assert key == runner_module.model_cell_key(spec, "svc_rbf", 0, cv=2, test_size=0.3)
    assert key != runner_module.model_cell_key(spec, "svc_rbf", 1, cv=2, test_size=0.3)
    assert key != runner_module.model_cell_key(spec, "svc_rbf", 0, cv=3, test_size=0.3)
    assert key != runner_module.model_cell_key(spec, "svc_rbf", 0, cv=2, test_size=0.25)
    monkeypatch.setattr(runner_module, "_version", lambda: "99.0")
    assert key != runner_module.model_cell_key(spec, "svc_rbf", 0, cv=2, test_size=0.3)
    monkeypatch.undo()
    svc = zoo.MODELS["svc_rbf"]
    monkeypatch.setitem(runner_module.MODELS, "svc_rbf", zoo.ModelSpec(
        "svc_rbf", "classical", svc.build, {"svc__C": [1.0]}))
    assert key != runner_module.model_cell_key(spec, "svc_rbf", 0, cv=2, test_size=0.3)
    assert key != runner_module.model_cell_key(spec, "svc_rbf", 0, cv=2, test_size=0.3,
                                               grid={"svc__C": [1.0, 2.0]})
    assert cell_key({"a": 1, "b": [2]}) == cell_key({"b": [2], "a": 1})


def test_force_recomputes_and_counts_are_reported(tmp_path, capsys):
    assert main(["bench", "--out", str(tmp_path), "--models", "svc_rbf", "--datasets",
                 "linearly_separable_d4", "--seeds", "1", "--quiet"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("0 cells reused, 1 computed")
    assert main(["bench", "--out", str(tmp_path), "--models", "svc_rbf", "--datasets",
                 "linearly_separable_d4", "--seeds", "1", "--quiet"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("1 cells reused, 0 computed")
    assert main(["bench", "--out", str(tmp_path), "--models", "svc_rbf", "--datasets",
                 "linearly_separable_d4", "--seeds", "1", "--quiet", "--force"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("0 cells reused, 1 computed")


@pytest.mark.parametrize("content, reason", [
    ("{\"dataset\": \"ls_d2\", \"mod", "not valid JSON"),
    ("", "empty"),
    ("[1, 2]", "JSON list"),
    ("{\"test_accuracy\": 0.5}", "lacks the field"),
    ("{\"x\": 1", "not valid JSON"),
])
def test_unusable_cell_files_are_recomputed_and_named(tmp_path, content, reason):
    first = run_suite(SMALL, tmp_path, verbose=False)
    (cell,) = (tmp_path / "cells").glob("ls_d2__logistic__0__*.json")
    cell.write_text(content)
    # A run killed while writing leaves a temporary file behind; it is ignored.
    (tmp_path / "cells" / f".{cell.name}.123.tmp").write_text("{")
    note = io.StringIO()
    again = run_cells(SMALL, tmp_path, verbose=False, stream=note)
    assert (again.reused, again.computed) == (1, 1)
    assert f"recomputing {cell}" in note.getvalue() and reason in note.getvalue()
    assert _untimed(again.records) == _untimed(first)
    assert json.loads(cell.read_text())["test_accuracy"] == again.records[1]["test_accuracy"]


def test_a_cell_with_another_key_inside_is_recomputed(tmp_path):
    run_suite(SMALL, tmp_path, verbose=False)
    (cell,) = (tmp_path / "cells").glob("ls_d2__svc_rbf__0__*.json")
    record = json.loads(cell.read_text())
    cell.write_text(json.dumps({**record, "key": "0" * 16, "test_accuracy": 0.0}))
    note = io.StringIO()
    again = run_cells(SMALL, tmp_path, verbose=False, stream=note)
    assert again.computed == 1 and "other settings" in note.getvalue()
    assert again.records[0]["test_accuracy"] == record["test_accuracy"]


@pytest.mark.parametrize("where", ["out", "cells"])
def test_a_results_folder_that_is_a_file_gives_one_line_naming_it(tmp_path, capsys, where):
    target = tmp_path / "results"
    if where == "cells":
        target.mkdir()
        (target / "cells").write_text("not a folder")
    else:
        target.write_text("not a folder")
    assert main(["bench", "--out", str(target), "--models", "svc_rbf", "--quiet"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err and "Traceback" not in err and captured.out == ""
    assert str(target if where == "out" else target / "cells") in err and "is a file" in err
