"""Running benchmark suites: the protocol, the cells, resuming.

Protocol for one *cell* (data set, model, seed): split the data into a
stratified training and held-out test part (the split depends on the seed);
search the model's grid by stratified k-fold cross-validation on the training
part only; refit the best setting on the whole training part; score it on the
test part; record fit and predict times, the chosen parameters and, for
true-circuit models, the QPU resources the fitted model would need. Every
cell is written to ``<out>/cells/<data set>__<model>__<seed>.json`` as soon as
it finishes, and a rerun skips cells whose file exists (resuming).
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import jax
import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline

from qinspired.bench.zoo import MODELS
from qinspired.datasets import DATASETS, load_dataset, make_preprocessor

__all__ = ["DataSpec", "SUITES", "Suite", "load_data", "run_cell", "run_suite"]


@dataclass(frozen=True)
class DataSpec:
    """A data set of a suite.

    Attributes
    ----------
    label : str
        The name used in tables (e.g. ``"two_curves_d4"``).
    source : str
        A key of :data:`qinspired.datasets.DATASETS`.
    kwargs : dict
        Arguments of the synthetic generator (e.g. ``n_features``).
    n_features : int or None
        For real data: PCA to this many features inside each model's
        pipeline (fitted on training folds only).
    max_samples : int or None
        Keep at most this many rows (a stratified subsample, fixed by the seed).
    """

    label: str
    source: str
    kwargs: dict = field(default_factory=dict)
    n_features: int | None = None
    max_samples: int | None = None


@dataclass(frozen=True)
class Suite:
    """A named set of data sets, models and seeds."""

    name: str
    datasets: tuple[DataSpec, ...]
    models: tuple[str, ...]
    seeds: int = 3
    cv: int = 3
    test_size: float = 0.3


def _synthetic(source: str, d: int, n: int = 200, **extra: Any) -> DataSpec:
    return DataSpec(f"{source}_d{d}", source, {"n_samples": n, "n_features": d, **extra})


_CLASSICAL = ("svc_rbf", "logistic", "mlp", "hist_gradient_boosting", "random_forest")
_INSPIRED = ("kernel_product_closed_form", "kernel_mps_chi4", "fourier_features", "mps", "ttn")
_CIRCUIT = ("kernel_fidelity", "kernel_projected", "kernel_fidelity_noisy",
            "kernel_fidelity_shots", "variational", "variational_noisy", "variational_shots")

SUITES: dict[str, Suite] = {
    "quick": Suite(
        "quick",
        (_synthetic("linearly_separable", 4, 150, teacher="ones"),
         _synthetic("two_curves", 4, 150),
         DataSpec("breast_cancer_d4", "breast_cancer", n_features=4, max_samples=200)),
        ("svc_rbf", "logistic", "kernel_product_closed_form", "fourier_features",
         "kernel_fidelity"),
        seeds=3,
    ),
    "standard": Suite(
        "standard",
        (_synthetic("linearly_separable", 4, teacher="ones"),
         _synthetic("hidden_manifold", 4, manifold_dimension=3),
         _synthetic("two_curves", 4), _synthetic("two_curves", 8),
         DataSpec("breast_cancer_d4", "breast_cancer", n_features=4, max_samples=300)),
        _CLASSICAL + _INSPIRED + _CIRCUIT,
        seeds=3,
    ),
    "full": Suite(
        "full",
        tuple(_synthetic(s, d, 500, **extra) for s, extra in (
            ("linearly_separable", {"teacher": "ones"}),
            ("hidden_manifold", {"manifold_dimension": 3}),
            ("hyperplanes_parity", {"dim_hyperplanes": 3}), ("two_curves", {}))
              for d in (4, 8, 12, 16))
        + (DataSpec("bars_and_stripes_4x4", "bars_and_stripes",
                    {"n_samples": 500, "height": 4, "width": 4, "noise_std": 0.5}),)
        + tuple(DataSpec(f"{name}_d{d}", name, n_features=d)
                for name in ("wine", "breast_cancer", "digits") for d in (4, 8, 12, 16)
                if d < 13 or name != "wine"),
        _CLASSICAL + _INSPIRED + _CIRCUIT,
        seeds=10,
    ),
}


def load_data(spec: DataSpec, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The raw ``(X, y)`` of a data set (synthetic ones are drawn with ``seed``)."""
    if spec.source not in DATASETS:
        raise ValueError(f"unknown data set {spec.source!r}; known: {', '.join(DATASETS)}")
    if spec.n_features is not None or spec.source in ("iris", "wine", "breast_cancer", "digits"):
        X, y = load_dataset(spec.source, preprocess=False)
    else:
        X, y = DATASETS[spec.source](**spec.kwargs, random_state=seed)
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if spec.max_samples is not None and len(X) > spec.max_samples:
        X, _, y, _ = train_test_split(X, y, train_size=spec.max_samples, stratify=y,
                                      random_state=seed)
    return X, y


def _pipeline(model_name: str, spec: DataSpec, n_features: int, seed: int
              ) -> tuple[Any, dict]:
    model = MODELS[model_name]
    est = model.build(n_features, seed)
    if spec.n_features is None:
        return est, dict(model.grid)
    prep = make_preprocessor(n_features=spec.n_features)
    grid = {f"model__{k}": v for k, v in model.grid.items()}
    return Pipeline([("prep", prep), ("model", est)]), grid


def _cell_path(out: Path, dataset: str, model: str, seed: int) -> Path:
    return out / "cells" / f"{dataset}__{model}__{seed}.json"


def run_cell(spec: DataSpec, model_name: str, seed: int, *, cv: int = 3,
             test_size: float = 0.3) -> dict[str, Any]:
    """Run the protocol for one (data set, model, seed) and return its record."""
    X, y = load_data(spec, seed)
    d = spec.n_features or X.shape[1]
    model = MODELS[model_name]
    record: dict[str, Any] = {"dataset": spec.label, "model": model_name,
                              "family": model.family, "seed": seed, "n_features": d}
    if model.max_features is not None and d > model.max_features:
        record["skipped"] = f"{d} features > max_features={model.max_features}"
        return record
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, stratify=y,
                                              random_state=seed)
    est, grid = _pipeline(model_name, spec, d, seed)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if grid:
            search = GridSearchCV(est, grid, cv=StratifiedKFold(cv, shuffle=True,
                                                                random_state=seed))
            search.fit(X_tr, y_tr)
            fitted, best = search.best_estimator_, search.best_params_
            cv_score = float(search.best_score_)
        else:
            fitted, best, cv_score = clone(est).fit(X_tr, y_tr), {}, float("nan")
    fit_time = time.perf_counter() - t0
    t0 = time.perf_counter()
    test_acc = float(np.mean(fitted.predict(X_te) == y_te))
    predict_time = time.perf_counter() - t0
    record.update(test_accuracy=test_acc, cv_accuracy=cv_score, fit_time_s=fit_time,
                  predict_time_s=predict_time, n_train=len(X_tr), n_test=len(X_te),
                  best_params={k: repr(v) for k, v in best.items()})
    if model.resources is not None:
        final = fitted[-1] if spec.n_features is not None else fitted
        record["qpu_resources"] = model.resources(final, len(X_tr), len(X_te))
    return record


def _progress(done: int, total: int, text: str, start: float) -> None:
    width = 24
    filled = int(width * done / max(total, 1))
    elapsed = time.perf_counter() - start
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                     f"{elapsed:6.1f}s {text[:60]:<60}")
    sys.stderr.flush()
    if done == total:
        sys.stderr.write("\n")


def run_suite(suite: Suite | str, out: str | Path, *, models: Sequence[str] | None = None,
              datasets: Sequence[str] | None = None, seeds: int | None = None,
              verbose: bool = True) -> list[dict[str, Any]]:
    """Run (or resume) a suite, writing one JSON file per finished cell under ``out``.

    Parameters
    ----------
    suite : Suite or str
        A suite or the name of one in :data:`SUITES`.
    out : str or path
        The results folder (created; finished cells in it are skipped).
    models, datasets : sequence of str, optional
        Restrict to these model names / data-set labels.
    seeds : int, optional
        Override the suite's number of seeds.
    verbose : bool, default True
        Show a progress bar on standard error.

    Returns
    -------
    list of dict
        Every cell's record (loaded from disk for resumed cells).
    """
    if isinstance(suite, str):
        if suite not in SUITES:
            raise ValueError(f"unknown suite {suite!r}; known: {', '.join(SUITES)}")
        suite = SUITES[suite]
    names = list(models) if models is not None else list(suite.models)
    unknown = [m for m in names if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown models {unknown}; known: {', '.join(MODELS)}")
    specs = [s for s in suite.datasets if datasets is None or s.label in datasets]
    if datasets is not None and len(specs) != len(set(datasets)):
        known = ", ".join(s.label for s in suite.datasets)
        raise ValueError(f"unknown data sets in {list(datasets)}; this suite has: {known}")
    n_seeds = suite.seeds if seeds is None else int(seeds)
    out = Path(out)
    (out / "cells").mkdir(parents=True, exist_ok=True)
    cells = [(s, m, seed) for s in specs for m in names for seed in range(n_seeds)]
    records, start = [], time.perf_counter()
    for i, (spec, model, seed) in enumerate(cells):
        path = _cell_path(out, spec.label, model, seed)
        if path.exists():
            records.append(json.loads(path.read_text()))
        else:
            record = run_cell(spec, model, seed, cv=suite.cv, test_size=suite.test_size)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(record, indent=1, sort_keys=True))
            tmp.replace(path)
            records.append(record)
            if i + 1 == len(cells) or cells[i + 1][:2] != (spec, model):
                # Each compiled XLA CPU program keeps a few memory mappings; a long suite in
                # one process would otherwise pass Linux's per-process limit (65,530).
                jax.clear_caches()
        if verbose:
            _progress(i + 1, len(cells), f"{spec.label} {model} seed {seed}", start)
    return records
