"""Running benchmark suites: the protocol, the cells, resuming.

Protocol for one *cell* (data set, model, seed): split the data into a
stratified training and held-out test part (the split depends on the seed);
search the model's grid by stratified k-fold cross-validation on the training
part only; refit the best setting on the whole training part; score it on the
test part; record fit and predict times, the chosen parameters and, for
true-circuit models, the QPU resources the fitted model would need. The
chosen setting is fitted and predicted a second time, so the report can tell
compilation apart from steady-state time.

Every cell is written to ``<out>/cells/<data set>__<model>__<seed>__<key>.json``
as soon as it finishes; the key hashes everything the result depends on
(:mod:`qinspired.bench.store`), so a rerun reuses exactly the cells it would
compute again (resuming) and nothing else. The MPS kernel-error sweep of the
larger suites is made of cells too, one per qubit count.
"""

from __future__ import annotations

import hashlib
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import jax
import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from qinspired.bench.progress import Progress
from qinspired.bench.store import CELL_SCHEMA, cell_key, cells_folder, read_cell, write_cell
from qinspired.bench.sweep import SWEEP_MODELS, bond_sweep
from qinspired.bench.zoo import MODELS
from qinspired.datasets import DATASETS, load_dataset, make_preprocessor

__all__ = ["DataSpec", "SUITES", "Suite", "SuiteRun", "load_data", "model_cell_key", "run_cell",
           "run_cells", "run_suite"]


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
    """A named set of data sets, models and seeds.

    ``sweep_qubits``: qubit counts of the MPS kernel-error-vs-bond-dimension
    sweep (:func:`qinspired.bench.sweep.bond_sweep`); empty for none.
    ``grids``: model name -> a smaller grid replacing the zoo's (its keys
    without the pipeline prefix of real data sets).
    """

    name: str
    datasets: tuple[DataSpec, ...]
    models: tuple[str, ...]
    seeds: int = 3
    cv: int = 3
    test_size: float = 0.3
    sweep_qubits: tuple[int, ...] = ()
    grids: dict = field(default_factory=dict)


def _synthetic(source: str, d: int, n: int = 200, **extra: Any) -> DataSpec:
    return DataSpec(f"{source}_d{d}", source, {"n_samples": n, "n_features": d, **extra})


_CLASSICAL = ("svc_rbf", "logistic", "mlp", "hist_gradient_boosting", "random_forest")
_INSPIRED = ("kernel_product_closed_form", "kernel_mps_chi2", "kernel_mps_chi4",
             "fourier_features", "mps_chi4", "mps", "ttn")
_CIRCUIT = ("kernel_fidelity", "kernel_projected", "kernel_fidelity_noisy",
            "kernel_fidelity_shots", "variational", "variational_noisy", "variational_shots")

_QUICK_ZZ = {"quantumkernelsvc__kernel__feature_map__feature_scale": [0.05, 0.1, 0.25],
             "quantumkernelsvc__C": [10.0, 100.0]}
# Each bandwidth of a ZZ or product map is a new circuit, compiled anew for every data shape
# (tens of seconds on two cores): the quick suite searches the bandwidths the larger suites
# choose most and the two largest C.
_QUICK_GRIDS = {"kernel_fidelity": _QUICK_ZZ, "kernel_mps_chi2": _QUICK_ZZ,
                "kernel_product_closed_form": {
                    "quantumkernelsvc__kernel__feature_map__feature_scale": [0.25, 0.5, 1.0],
                    "quantumkernelsvc__C": [1.0, 10.0, 100.0]}}

SUITES: dict[str, Suite] = {
    "quick": Suite(
        "quick",
        (_synthetic("linearly_separable", 4, 150, teacher="ones"),
         _synthetic("two_curves", 4, 150),
         DataSpec("breast_cancer_d4", "breast_cancer", n_features=4, max_samples=200)),
        ("svc_rbf", "logistic", "hist_gradient_boosting", "kernel_fidelity", "variational",
         "kernel_mps_chi2", "mps_chi4", "kernel_product_closed_form", "fourier_features"),
        seeds=3, grids=_QUICK_GRIDS,
    ),
    "standard": Suite(
        "standard",
        (_synthetic("linearly_separable", 4, teacher="ones"),
         _synthetic("hidden_manifold", 4, manifold_dimension=3),
         _synthetic("two_curves", 4), _synthetic("two_curves", 8),
         DataSpec("breast_cancer_d4", "breast_cancer", n_features=4, max_samples=300)),
        _CLASSICAL + _INSPIRED + _CIRCUIT,
        seeds=3, sweep_qubits=(8, 12),
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
        seeds=10, sweep_qubits=(8, 12, 16),
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


def _pipeline(model_name: str, spec: DataSpec, n_features: int, seed: int,
              grid: dict | None = None) -> tuple[Any, dict]:
    model = MODELS[model_name]
    est = model.build(n_features, seed)
    grid = model.grid if grid is None else grid
    if spec.n_features is None:
        return est, dict(grid)
    prep = make_preprocessor(n_features=spec.n_features)
    grid = {f"model__{k}": v for k, v in grid.items()}
    return Pipeline([("prep", prep), ("model", est)]), grid


def _describe(value: Any) -> Any:
    """A JSON-able description of a hyper-parameter value (estimators by class name:
    their own parameters appear separately in ``get_params(deep=True)``)."""
    if hasattr(value, "get_params"):
        return type(value).__qualname__
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, tuple) and len(v) == 2 and hasattr(v[1], "get_params") for v in value):
        return [(name, type(step).__qualname__) for name, step in value]  # pipeline steps
    return repr(value)


def _fingerprint(X: np.ndarray, y: np.ndarray) -> str:
    digest = hashlib.sha256()
    for a in (np.ascontiguousarray(X, dtype=float), np.asarray(y)):
        digest.update(str((a.shape, a.dtype.str)).encode())
        digest.update(np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()


def _version() -> str:
    from qinspired import __version__

    return __version__


def model_cell_key(spec: DataSpec, model_name: str, seed: int, *, cv: int, test_size: float,
                   grid: dict | None = None,
                   data: tuple[np.ndarray, np.ndarray] | None = None) -> str:
    """The key of a model cell: data set (its spec and a hash of the data drawn), the
    pipeline with every parameter, the grid, the protocol and the qinspired version."""
    X, y = load_data(spec, seed) if data is None else data
    d = spec.n_features or X.shape[1]
    est, grid = _pipeline(model_name, spec, d, seed, grid)
    model = MODELS[model_name]
    return cell_key({
        "kind": "model", "data": asdict(spec), "data_sha256": _fingerprint(X, y),
        "model": model_name, "family": model.family, "max_features": model.max_features,
        "params": {k: _describe(v) for k, v in sorted(est.get_params(deep=True).items())},
        "grid": {k: [repr(v) for v in vs] for k, vs in sorted(grid.items())},
        "seed": seed, "cv": cv, "test_size": test_size, "qinspired": _version()})


def _timed(fn: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0


def run_cell(spec: DataSpec, model_name: str, seed: int, *, cv: int = 3,
             test_size: float = 0.3, grid: dict | None = None) -> dict[str, Any]:
    """Run the protocol for one (data set, model, seed) and return its record.

    ``grid`` replaces the model's grid from the zoo.

    Times (seconds): ``fit_time_s`` is the whole grid search with its refit;
    ``refit_time_s`` the refit of the chosen setting on the training split,
    which includes any compilation for that data shape; ``steady_fit_time_s``
    the same fit repeated (compiled programs cached), and ``compile_time_s``
    their difference (0 when not positive). ``predict_time_s`` is a repeated
    (steady-state) prediction of the test split, ``first_predict_time_s`` the
    first one.
    """
    X, y = load_data(spec, seed)
    d = spec.n_features or X.shape[1]
    model = MODELS[model_name]
    record: dict[str, Any] = {"dataset": spec.label, "model": model_name,
                              "family": model.family, "seed": seed, "n_features": d,
                              "counterpart": model.counterpart}
    if model.max_features is not None and d > model.max_features:
        record["skipped"] = f"{d} features > max_features={model.max_features}"
        return record
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, stratify=y,
                                              random_state=seed)
    est, grid = _pipeline(model_name, spec, d, seed, grid)
    # One OpenMP thread (gradient boosting): on data this small, more threads only wait on
    # each other, badly so on a shared machine. BLAS and JAX keep their threads.
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="openmp"):
        warnings.simplefilter("ignore")
        if grid:
            search = GridSearchCV(est, grid, cv=StratifiedKFold(cv, shuffle=True,
                                                                random_state=seed))
            _, fit_time = _timed(lambda: search.fit(X_tr, y_tr))
            fitted, best = search.best_estimator_, search.best_params_
            cv_score, refit_time = float(search.best_score_), float(search.refit_time_)
        else:
            fitted, fit_time = _timed(lambda: clone(est).fit(X_tr, y_tr))
            best, cv_score, refit_time = {}, float("nan"), fit_time
        _, steady = _timed(lambda: clone(fitted).fit(X_tr, y_tr))
    predictions, first_predict = _timed(lambda: fitted.predict(X_te))
    _, predict_time = _timed(lambda: fitted.predict(X_te))
    record.update(test_accuracy=float(np.mean(predictions == y_te)), cv_accuracy=cv_score,
                  fit_time_s=fit_time, refit_time_s=refit_time, steady_fit_time_s=steady,
                  compile_time_s=max(refit_time - steady, 0.0), predict_time_s=predict_time,
                  first_predict_time_s=first_predict, n_train=len(X_tr), n_test=len(X_te),
                  best_params={k: repr(v) for k, v in best.items()})
    if model.resources is not None:
        final = fitted[-1] if spec.n_features is not None else fitted
        record["qpu_resources"] = model.resources(final, len(X_tr), len(X_te))
    return record


_MODEL_FIELDS = {"dataset": str, "model": str, "family": str, "seed": int, "n_features": int}
_RESULT_FIELDS = {"test_accuracy": (int, float), "fit_time_s": (int, float),
                  "steady_fit_time_s": (int, float), "predict_time_s": (int, float),
                  "n_train": int, "n_test": int}
_SWEEP_FIELDS = {"kind": str, "n_qubits": int, "rows": list}


@dataclass(frozen=True)
class _Job:
    label: str      # for people: "data set / model / seed s"
    group: str      # the model (or "bond_sweep"): cells of a group take similar time
    batch: tuple    # compiled programs are dropped after the last cell of a batch
    path: Path
    key: str
    fields: dict
    args: tuple


@dataclass
class SuiteRun:
    """What a run produced: the model cells, the sweep rows, and what was reused."""

    records: list[dict[str, Any]]
    sweep: list[dict[str, Any]]
    reused: int
    computed: int
    recomputed: list[str]

    def summary_line(self) -> str:
        """``"N cells reused, M computed"`` (and how many files were unusable)."""
        line = f"{self.reused} cells reused, {self.computed} computed"
        if self.recomputed:
            line += f" ({len(self.recomputed)} of them replaced unusable files)"
        return line


def _resolve(suite: Suite | str, models: Sequence[str] | None,
             datasets: Sequence[str] | None) -> tuple[Suite, list[str], list[DataSpec]]:
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
    return suite, names, specs


def run_cells(suite: Suite | str, out: str | Path, *, models: Sequence[str] | None = None,
              datasets: Sequence[str] | None = None, seeds: int | None = None,
              sweep: bool | None = None, force: bool = False, verbose: bool = True,
              stream: Any = None) -> SuiteRun:
    """Run (or resume) a suite, writing one JSON file per finished cell under ``out``.

    Parameters
    ----------
    suite : Suite or str
        A suite or the name of one in :data:`SUITES`.
    out : str or path
        The results folder (created). Cells in it whose key matches are reused;
        unusable cell files (corrupt, empty, another schema) are recomputed, with
        a note naming the file.
    models, datasets : sequence of str, optional
        Restrict to these model names / data-set labels.
    seeds : int, optional
        Override the suite's number of seeds.
    sweep : bool, optional
        Run the suite's MPS kernel-error sweep (default: when the suite has one
        and, with ``models`` given, one of them is in
        :data:`~qinspired.bench.sweep.SWEEP_MODELS`).
    force : bool, default False
        Recompute every cell, overwriting its file.
    verbose : bool, default True
        Show progress on ``stream`` (standard error by default); the notes about
        unusable files are written either way.

    Raises
    ------
    ValueError
        Unknown suite, model or data set; ``out`` is a file or cannot be created.
    """
    start = time.perf_counter()
    suite, names, specs = _resolve(suite, models, datasets)
    n_seeds = suite.seeds if seeds is None else int(seeds)
    if sweep is None:
        sweep = models is None or any(m in SWEEP_MODELS for m in names)
    folder = cells_folder(out)
    data = {(spec.label, seed): load_data(spec, seed) for spec in specs
            for seed in range(n_seeds)}
    jobs = []
    for model in names:  # model by model: a model's compiled programs serve every data set
        for spec in specs:
            for seed in range(n_seeds):
                key = model_cell_key(spec, model, seed, cv=suite.cv, test_size=suite.test_size,
                                     grid=suite.grids.get(model),
                                     data=data[(spec.label, seed)])
                jobs.append(_Job(f"{spec.label} / {model} / seed {seed}", model, (model,),
                                 folder / f"{spec.label}__{model}__{seed}__{key}.json", key,
                                 _MODEL_FIELDS, (spec, model, seed)))
    for n in suite.sweep_qubits if sweep else ():
        key = cell_key({"kind": "bond_sweep", "n_qubits": n, "qinspired": _version()})
        jobs.append(_Job(f"MPS kernel error sweep, {n} qubits", "bond_sweep", ("sweep", n),
                         folder / f"bond_sweep__{n}q__{key}.json", key, _SWEEP_FIELDS, (n,)))
    results: dict[int, dict[str, Any]] = {}
    todo: list[tuple[int, str]] = []  # (job index, why its file cannot be reused)
    for i, job in enumerate(jobs):
        record, reason = (None, "") if force else read_cell(job.path, job.key, job.fields)
        if record is not None and job.group != "bond_sweep" and "skipped" not in record:
            record, reason = read_cell(job.path, job.key, {**job.fields, **_RESULT_FIELDS})
        if record is None:
            todo.append((i, reason))
        else:
            results[i] = record
    progress = Progress(len(todo), sys.stderr if stream is None else stream, start)
    for k, (i, reason) in enumerate(todo):
        job = jobs[i]
        if reason:
            progress.note(f"recomputing {job.path}: the file {reason}")
        if verbose:
            progress.running(job.label, [jobs[t].group for t, _ in todo[k:]])
        t0 = time.perf_counter()
        if job.group == "bond_sweep":
            record = {"kind": "bond_sweep", "n_qubits": job.args[0], "rows": bond_sweep(job.args)}
        else:
            record = run_cell(*job.args, cv=suite.cv, test_size=suite.test_size,
                              grid=suite.grids.get(job.group))
        record.update(key=job.key, schema=CELL_SCHEMA)
        write_cell(job.path, record)
        results[i] = record
        progress.finished(job.group, time.perf_counter() - t0)
        if k + 1 == len(todo) or jobs[todo[k + 1][0]].batch != job.batch:
            # Each compiled XLA CPU program keeps a few memory mappings; a long suite in one
            # process would otherwise pass Linux's per-process limit (65,530).
            jax.clear_caches()
    records = [results[i] for i, job in enumerate(jobs) if job.group != "bond_sweep"]
    rows = [row for i, job in enumerate(jobs) if job.group == "bond_sweep"
            for row in results[i]["rows"]]
    run = SuiteRun(records, rows, len(jobs) - len(todo), len(todo),
                   [str(jobs[i].path) for i, reason in todo if reason])
    progress.close()
    return run


def run_suite(suite: Suite | str, out: str | Path, *, models: Sequence[str] | None = None,
              datasets: Sequence[str] | None = None, seeds: int | None = None,
              force: bool = False, verbose: bool = True) -> list[dict[str, Any]]:
    """The model cells of :func:`run_cells` (without the sweep); see there."""
    return run_cells(suite, out, models=models, datasets=datasets, seeds=seeds, sweep=False,
                     force=force, verbose=verbose).records
