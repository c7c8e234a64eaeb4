"""Part ``nystroem`` of ``benchmarks/kernels.py``: low-rank quantum kernels for large N.

One seeded synthetic task (:func:`qinspired.datasets.make_hidden_manifold`, 8 features,
manifold dimension 6), one kernel (the fidelity kernel of ``ZZFeatureMap(8)``: two reps,
linear entanglement, ``feature_scale="auto"``), and three measurements:

* ``accuracy``: on ``--nystroem-small-train`` training points (3,000), test accuracy of
  ``make_pipeline(QuantumNystroem(k, m), LinearSVC())`` for a few ``m`` (three landmark
  seeds each) against the exact ``QuantumKernelSVC(k)``, same ``C`` (1.0), same split;
  target: within 0.03.
* ``large``: ``--nystroem-train`` (100,000) training and ``--nystroem-test`` (20,000) test
  points through the same pipeline with ``m = --nystroem-components`` (400), fit + predict
  wall time (JIT compilation included: a fresh process) and the process's peak resident
  memory (``resource.getrusage(...).ru_maxrss`` of that process, which does nothing
  else); targets: <= 150 s and <= 6 GiB on the 2-core CPU.
* ``tradeoff``: accuracy and fit + predict time against random Fourier features
  (:class:`~qinspired.QuantumFourierFeatures`, ``D`` frequencies -> ``2 D`` columns) at a
  few training sizes and component counts. The Fourier features need a Pauli (rotation)
  encoding, which the ZZ map is not, so they run on ``AngleEncoding(8)`` (the same circuit
  as the ``nystroem-angle`` row, a Nystroem model on that circuit's fidelity kernel) and on
  their default ``HardwareEfficientEncoding(8, n_layers=2)``; both on data min-max scaled to
  ``[0, pi]``, the range their rotation angles expect.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.svm import LinearSVC

from qinspired import QuantumFourierFeatures, QuantumKernelSVC, QuantumNystroem
from qinspired.datasets import make_hidden_manifold
from qinspired.feature_maps import AngleEncoding, HardwareEfficientEncoding, ZZFeatureMap
from qinspired.kernels import FidelityKernel

N_FEATURES = 8


def add_arguments(parser) -> None:
    """The part's command-line options."""
    parser.add_argument("--nystroem-small-train", type=int, default=3000)
    parser.add_argument("--nystroem-small-test", type=int, default=2000)
    parser.add_argument("--nystroem-small-components", type=int, nargs="+", default=[200, 400, 800])
    parser.add_argument("--nystroem-train", type=int, default=100_000)
    parser.add_argument("--nystroem-test", type=int, default=20_000)
    parser.add_argument("--nystroem-components", type=int, default=400)
    parser.add_argument("--nystroem-tradeoff-train", type=int, nargs="+", default=[3000, 30_000])
    parser.add_argument("--nystroem-tradeoff-components", type=int, nargs="+", default=[100, 400])


def _data(n_train: int, n_test: int, seed: int):
    X, y = make_hidden_manifold(n_train + n_test, N_FEATURES, random_state=seed)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def _zz_kernel() -> FidelityKernel:
    return FidelityKernel(ZZFeatureMap(N_FEATURES))


def _fit_score(model, data) -> dict:
    Xtr, ytr, Xte, yte = data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        t0 = time.perf_counter()
        model.fit(Xtr, ytr)
        t_fit = time.perf_counter() - t0
        pred = model.predict(Xte)
        t_predict = time.perf_counter() - t0 - t_fit
    return {"accuracy": float(np.mean(pred == yte)), "fit_s": t_fit, "predict_s": t_predict,
            "convergence_warnings": sum(issubclass(w.category, ConvergenceWarning)
                                        for w in caught)}


def _nystroem(kernel, m: int, seed: int):
    return make_pipeline(QuantumNystroem(kernel, m, random_state=seed), LinearSVC())


def run_accuracy(args) -> dict:
    """Nystroem + LinearSVC against the exact kernel SVC on the same 3,000 training points."""
    data = _data(args.nystroem_small_train, args.nystroem_small_test, args.seed)
    exact = _fit_score(QuantumKernelSVC(_zz_kernel()), data)
    rows = []
    for m in args.nystroem_small_components:
        runs = [_fit_score(_nystroem(_zz_kernel(), m, seed), data) for seed in range(3)]
        accs = [r["accuracy"] for r in runs]
        rows.append({"components": m, "accuracies": accs, "mean_accuracy": float(np.mean(accs)),
                     "gap_to_exact": float(exact["accuracy"] - np.mean(accs)),
                     "fit_s": float(np.median([r["fit_s"] for r in runs])),
                     "predict_s": float(np.median([r["predict_s"] for r in runs]))})
    return {"train": args.nystroem_small_train, "test": args.nystroem_small_test,
            "exact": exact, "nystroem": rows}


def _child(config: dict) -> dict:
    """Run in a fresh process: one large fit + predict, then this process's peak memory."""
    data = _data(config["train"], config["test"], config["seed"])
    res = _fit_score(_nystroem(_zz_kernel(), config["components"], config["seed"]), data)
    res["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return res


def run_large(args) -> dict:
    """100,000 + 20,000 points in a subprocess (its own peak memory, its own compilation)."""
    config = {"train": args.nystroem_train, "test": args.nystroem_test,
              "components": args.nystroem_components, "seed": args.seed}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, json.dumps(config)], env=env,
                          capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res.update(config)
    res["fit_predict_s"] = res["fit_s"] + res["predict_s"]
    res["process_wall_s"] = wall
    return res


def _angles(model):
    return make_pipeline(MinMaxScaler(feature_range=(0.0, np.pi)), *model)


def run_tradeoff(args) -> list[dict]:
    """Nystroem and random Fourier features at a few training sizes and feature counts."""
    n_test = args.nystroem_small_test
    rows = []
    for n in args.nystroem_tradeoff_train:
        data = _data(n, n_test, args.seed)
        for m in args.nystroem_tradeoff_components:
            methods = {
                "nystroem-zz": _nystroem(_zz_kernel(), m, args.seed),
                "nystroem-angle": _angles([QuantumNystroem(
                    FidelityKernel(AngleEncoding(N_FEATURES, feature_scale=1.0)), m,
                    random_state=args.seed), LinearSVC()]),
                "rff-angle": _angles([QuantumFourierFeatures(
                    AngleEncoding(N_FEATURES, feature_scale=1.0), n_components=m,
                    random_state=args.seed), LinearSVC()]),
                "rff-hee": _angles([QuantumFourierFeatures(
                    HardwareEfficientEncoding(N_FEATURES, n_layers=2, feature_scale=1.0),
                    n_components=m, random_state=args.seed), LinearSVC()]),
            }
            for name, model in methods.items():
                rows.append({"method": name, "train": n, "components": m,
                             **_fit_score(model, data)})
    return rows


def run_nystroem(args) -> dict:
    """All three measurements (small sizes with ``--quick``)."""
    if args.quick:
        args.nystroem_small_train, args.nystroem_small_test = 300, 200
        args.nystroem_small_components = [50, 100]
        args.nystroem_train, args.nystroem_test, args.nystroem_components = 2000, 500, 100
        args.nystroem_tradeoff_train, args.nystroem_tradeoff_components = [300], [50]
    return {"accuracy": run_accuracy(args), "large": run_large(args),
            "tradeoff": run_tradeoff(args), "load_average": list(os.getloadavg())}


def markdown(res: dict) -> list[str]:
    """The part's tables."""
    a = res["accuracy"]
    lines = ["", f"### Nystroem low-rank kernel (ZZ, 8 features; hidden manifold, "
             f"{a['train']} train / {a['test']} test)", "",
             "| model | components | test accuracy | gap to exact | fit s | predict s |",
             "| --- | --- | --- | --- | --- | --- |",
             f"| exact QuantumKernelSVC | - | {a['exact']['accuracy']:.3f} | - "
             f"| {a['exact']['fit_s']:.1f} | {a['exact']['predict_s']:.1f} |"]
    for r in a["nystroem"]:
        accs = ", ".join(f"{v:.3f}" for v in r["accuracies"])
        lines.append(f"| Nystroem + LinearSVC | {r['components']} | {r['mean_accuracy']:.3f} "
                     f"({accs}) | {r['gap_to_exact']:+.3f} | {r['fit_s']:.1f} "
                     f"| {r['predict_s']:.1f} |")
    g = res["large"]
    lines += ["", f"Large: {g['train']} train + {g['test']} test, {g['components']} "
              f"landmarks: fit {g['fit_s']:.1f} s + predict {g['predict_s']:.1f} s = "
              f"{g['fit_predict_s']:.1f} s (target <= 150 s), peak memory "
              f"{g['peak_rss_gib']:.2f} GiB (target <= 6 GiB), test accuracy "
              f"{g['accuracy']:.3f}; fresh process, compilation included.", "",
              "| method | train | components | test accuracy | fit s | predict s |",
              "| --- | --- | --- | --- | --- | --- |"]
    for r in res["tradeoff"]:
        lines.append(f"| {r['method']} | {r['train']} | {r['components']} | {r['accuracy']:.3f} "
                     f"| {r['fit_s']:.1f} | {r['predict_s']:.1f} |")
    load = ", ".join(f"{v:.2f}" for v in res["load_average"])
    lines.append(f"\nLoad average at the end: {load}.")
    return lines


if __name__ == "__main__":
    print(json.dumps(_child(json.loads(sys.argv[1]))))
