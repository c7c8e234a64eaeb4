"""Tensor-network classifiers against tuned classical baselines: accuracy and training speed.

On ``load_digits`` (64 features, 10 classes) and ``load_breast_cancer`` (30
features, 2 classes), with one fixed stratified train/test split per data set:

* :class:`MPSClassifier` and :class:`TTNClassifier` (Adam) at every bond
  dimension of ``--bond-dims``, and the MPS with ``solver="sweep"`` at
  ``--sweep-bond-dims``: test accuracy, compile time apart from the
  steady-state fit time (the median over ``--repeats`` refits, which reuse the
  compiled step), training samples per second (samples times epochs over the
  steady fit time) and prediction samples per second;
* tuned baselines: ``GridSearchCV`` (5-fold) of a standardised
  ``LogisticRegression`` over ``C`` and of an RBF ``SVC`` over ``C`` and
  ``gamma``, timed the same way (the refit of the best model);
* the contraction of a 64-site MPS over a batch, written with ``jnp.einsum``
  (the library's hot path) and with ``tensornetwork.ncon`` (JAX backend,
  ``vmap`` over the batch, since ``ncon`` has no batch hyperedge), both jitted;
* the peer, tn4ml (when installed; skipped otherwise), against our
  ``MPSClassifier`` on digits, one after the other in the same run: the same
  split, the same min-max scaling to ``[0, 1]`` (training data only) and the
  same local map ``(cos, sin)(pi x / 2)``, 64 sites, 10 classes, equal bond
  dimension, epochs and batch size (the last partial batch dropped by both),
  Adam at the same learning rate. Each model trains in its own child process,
  which reports test accuracy, training samples per second after compile
  (median epoch time of epochs 2..E; also per CPU second of the process, which
  a shared machine's load disturbs less), compile time (the first epoch's excess)
  and its peak memory (``ru_maxrss``). tn4ml runs in float64, because its
  loss is NaN in float32, with its ``CrossEntropySoftmax`` loss, whose class
  scores are normalised to unit length, so the 10-class cross-entropy cannot
  fall below about 1.42; it is measured twice: through its trainer
  (``Model.train``) and through a lean loop of its own jitted functions (one
  jitted Adam step over its loss), and the faster of the two is its headline.

Usage::

    python benchmarks/tensor_networks.py --out bench-results/tensor_networks
    python benchmarks/tensor_networks.py --bond-dims 2 4 8 --epochs 10   # quick look
    python benchmarks/tensor_networks.py --peer-only --epochs 30      # tn4ml vs ours only
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from _timing import median_time
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from qinspired import info
from qinspired.estimators.tensor_networks import MPSClassifier, TTNClassifier
from qinspired.tn.local_maps import embed, get_local_map
from qinspired.tn.mps_model import init_labelled_mps, labelled_logits

DATASETS = {"digits": load_digits, "breast_cancer": load_breast_cancer}


def split(name: str, seed: int):
    X, y = DATASETS[name](return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)


def time_estimator(make, data, epochs: int, repeats: int) -> dict:
    X_train, X_test, y_train, y_test = data
    t0 = time.perf_counter()
    est = make().fit(X_train, y_train)
    first = time.perf_counter() - t0
    steady, n_timed = median_time(lambda: make().fit(X_train, y_train), min_repeats=repeats,
                                  budget_s=0.0)
    est.predict(X_test)
    predict, _ = median_time(lambda: est.predict(X_test), min_repeats=3, budget_s=2.0)
    return {
        "test_accuracy": float(est.score(X_test, y_test)),
        "train_accuracy": float(est.score(X_train, y_train)),
        "compile_s": max(first - steady, 0.0),
        "first_fit_s": first,
        "steady_fit_s": steady,
        "repeats": n_timed,
        "train_samples_per_s": len(y_train) * epochs / steady,
        "predict_samples_per_s": len(y_test) / predict,
        "bond_dims": [int(b) for b in est.bond_dims_],
        "final_loss": float(est.loss_curve_[-1]),
    }


def time_baseline(name: str, data, repeats: int) -> dict:
    X_train, X_test, y_train, y_test = data
    if name == "logistic_regression":
        pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
        grid = {"logisticregression__C": list(np.logspace(-3, 3, 7))}
    else:
        pipe = make_pipeline(StandardScaler(), SVC(kernel="rbf"))
        grid = {"svc__C": [0.1, 1.0, 10.0, 100.0], "svc__gamma": ["scale", 1e-3, 1e-2, 1e-1]}
    t0 = time.perf_counter()
    search = GridSearchCV(pipe, grid, cv=5, n_jobs=1).fit(X_train, y_train)
    search_s = time.perf_counter() - t0
    best = search.best_estimator_
    steady, n_timed = median_time(lambda: best.fit(X_train, y_train), min_repeats=repeats,
                                  budget_s=2.0)
    return {
        "test_accuracy": float(search.score(X_test, y_test)),
        "best_params": {k: (float(v) if isinstance(v, (float, np.floating)) else v)
                        for k, v in search.best_params_.items()},
        "grid_search_s": search_s,
        "steady_fit_s": steady,
        "repeats": n_timed,
        "train_samples_per_s": len(y_train) / steady,
    }


def ncon_logits(model, phi):
    """:func:`qinspired.tn.mps_model.labelled_logits` by ncon, one sample at a time (vmap)."""
    import tensornetwork as tn

    c = model.center

    def one(p):
        env = jnp.ones((1,), p.dtype)
        for k in range(c):
            env = tn.ncon([env, model.tensors[k], p[k]], [[1], [1, 2, -1], [2]], backend="jax")
        right = jnp.ones((1,), p.dtype)
        for k in range(model.n_sites - 1, c, -1):
            right = tn.ncon([model.tensors[k], p[k], right], [[-1, 1, 2], [1], [2]],
                            backend="jax")
        return tn.ncon([env, model.tensors[c], p[c], right], [[1], [1, 2, -1, 3], [2], [3]],
                       backend="jax")

    return jax.vmap(one)(phi)


def time_contraction(n_sites: int, bond_dim: int, batch: int, seed: int) -> dict:
    """einsum (with the per-site normalisation) against ncon (without: less work) on one batch."""
    w = get_local_map("trigonometric").reference_vector(2)
    model = init_labelled_mps(jax.random.key(seed), n_sites, 2, 10, bond_dim, reference=w,
                              noise=0.1)
    x = np.random.default_rng(seed).uniform(size=(batch, n_sites))
    phi = embed(jnp.asarray(x, jnp.float32), "trigonometric", 2)
    out = {}
    for name, fn in (("einsum", jax.jit(labelled_logits)), ("ncon", jax.jit(ncon_logits))):
        t0 = time.perf_counter()
        fn(model, phi).block_until_ready()
        first = time.perf_counter() - t0
        steady, n_timed = median_time(lambda fn=fn: fn(model, phi).block_until_ready())
        out[name] = {"compile_s": max(first - steady, 0.0), "steady_s": steady,
                     "samples_per_s": batch / steady, "repeats": n_timed}
    ref = np.asarray(jax.jit(labelled_logits)(model, phi))
    out["max_rel_diff"] = float(np.max(np.abs(np.asarray(jax.jit(ncon_logits)(model, phi)) - ref))
                                / np.max(np.abs(ref)))
    out["einsum_speedup"] = out["ncon"]["steady_s"] / out["einsum"]["steady_s"]
    out.update(n_sites=n_sites, bond_dim=bond_dim, batch=batch)
    return out


def tn4ml_status() -> str:
    if importlib.util.find_spec("tn4ml") is None:
        return "not installed: skipped"
    from importlib.metadata import version

    return f"tn4ml {version('tn4ml')}"


#: The peer comparison's models, each trained in its own child process.
PEER_MODELS = ("qinspired MPSClassifier", "tn4ml (lean loop of its jitted functions)",
               "tn4ml (its trainer, Model.train)")


def _scaled_digits(seed: int):
    """The fixed digits split, min-max scaled to [0, 1] on the training data (test clipped)."""
    X_train, X_test, y_train, y_test = split("digits", seed)
    lo, span = X_train.min(0), X_train.max(0) - X_train.min(0)
    span = np.where(span > 0, span, 1.0)
    return (X_train - lo) / span, np.clip((X_test - lo) / span, 0.0, 1.0), y_train, y_test


def _epoch_stats(epoch_s: list[float], n_samples: int) -> dict:
    steady = float(np.median(epoch_s[1:])) if len(epoch_s) > 1 else float(epoch_s[0])
    return {"compile_s": max(epoch_s[0] - steady, 0.0), "median_epoch_s": steady,
            "train_samples_per_s": n_samples / steady, "epoch_s": epoch_s}


def _peer_ours(args) -> dict:
    from qinspired.training import train as core_train

    X_train, X_test, y_train, y_test = _scaled_digits(args.seed)
    epochs, batch = args.epochs, 32
    clf = MPSClassifier(bond_dim=args.peer_bond_dim, max_iter=epochs, batch_size=batch,
                        learning_rate=args.learning_rate, random_state=args.seed)
    jnp.zeros(1).block_until_ready()                    # start JAX's backend before timing
    cpu0, t0 = time.process_time(), time.perf_counter()
    clf.fit(X_train[:batch], y_train[:batch])        # compiles the step: one epoch, one batch
    first_s, first_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    t0 = time.perf_counter()
    clf.fit(X_train[:batch], y_train[:batch])
    one_batch_s = time.perf_counter() - t0
    fits, fits_cpu = [], []
    for _ in range(args.repeats):
        cpu0, t0 = time.process_time(), time.perf_counter()
        clf.fit(X_train, y_train)
        fits.append(time.perf_counter() - t0)
        fits_cpu.append(time.process_time() - cpu0)
    n_samples = (len(y_train) // batch) * batch
    steady = float(np.median(fits))
    return {"model": PEER_MODELS[0], "dtype": str(clf.tensors_[0].dtype),
            "test_accuracy": float(clf.score(X_test, y_test)),
            "final_loss": float(clf.loss_curve_[-1]), "compile_s": max(first_s - one_batch_s, 0.0),
            "compile_cpu_s": first_cpu, "fit_s": fits, "median_fit_s": steady,
            "train_samples_per_s": n_samples * epochs / steady,
            "train_samples_per_cpu_s": n_samples * epochs / float(np.median(fits_cpu)),
            "core": core_train.__module__}


def _tn4ml_model(args):
    import tn4ml.metrics as tmetrics
    from tn4ml.embeddings import TrigonometricEmbedding
    from tn4ml.initializers import randn
    from tn4ml.models.mps import MPS_initialize

    model = MPS_initialize(L=64, initializer=randn(1e-4), key=jax.random.key(args.seed),
                           shape_method="noteven", compress=False, cyclic=False, phys_dim=2,
                           bond_dim=args.peer_bond_dim, class_index=32, canonical_center=32,
                           class_dim=10, add_identity=True, boundary="obc", dtype=jnp.float64)
    return model, TrigonometricEmbedding(), tmetrics.CrossEntropySoftmax


def _peer_tn4ml_trainer(args) -> dict:
    import optax
    from tn4ml.util import TrainingType

    X_train, X_test, y_train, y_test = _scaled_digits(args.seed)
    model, embedding, loss = _tn4ml_model(args)
    model.configure(optimizer=optax.adam, strategy="global", loss=loss,
                    train_type=TrainingType.SUPERVISED, learning_rate=args.learning_rate)
    history = model.train(X_train, targets=np.eye(10)[y_train], epochs=args.epochs, batch_size=32,
                          embedding=embedding, normalize=False, dtype=jnp.float64, shuffle=True,
                          seed=args.seed)
    acc = model.accuracy(X_test, np.eye(10)[y_test], embedding=embedding, batch_size=64,
                         dtype=jnp.float64)
    out = {"model": PEER_MODELS[2], "dtype": "float64", "test_accuracy": float(acc),
           "final_loss": float(history["loss"][-1])}
    out.update(_epoch_stats([float(t) for t in history["epoch_time"]],
                            (len(y_train) // 32) * 32))
    return out


def _peer_tn4ml_lean(args) -> dict:
    import optax
    from tn4ml.embeddings import embed as tn4ml_embed

    X_train, X_test, y_train, y_test = _scaled_digits(args.seed)
    model, embedding, loss = _tn4ml_model(args)

    def scores(tn, x):
        data = tn4ml_embed(x, embedding)
        return ((tn.apply(data) if hasattr(tn, "apply") else tn.H & data) ^ all).data.reshape(10)

    def with_params(params):
        tn = model.copy()
        for tensor, array in zip(tn.tensors, params, strict=True):
            tensor.modify(data=array)
        return tn

    def loss_fn(params, x, y):
        tn = with_params(params)
        return jnp.mean(jax.vmap(lambda xi, yi: loss(tn, tn4ml_embed(xi, embedding), yi))(x, y))

    opt = optax.adam(args.learning_rate)

    @jax.jit
    def step(params, state, x, y):
        value, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, value

    @jax.jit
    def predict(params, x):
        tn = with_params(params)
        return jnp.argmax(jax.vmap(lambda xi: scores(tn, xi))(x), axis=1)

    params = tuple(jnp.asarray(a, jnp.float64) for a in model.arrays)
    state = opt.init(params)
    Y = np.eye(10)[y_train]
    rng = np.random.default_rng(args.seed)
    n_batches, epoch_s, losses = len(y_train) // 32, [], []
    epoch_cpu = []
    for _ in range(args.epochs):
        cpu0, t0 = time.process_time(), time.perf_counter()
        order = rng.permutation(len(y_train))
        for b in range(n_batches):
            idx = order[32 * b:32 * (b + 1)]
            params, state, value = step(params, state, jnp.asarray(X_train[idx], jnp.float64),
                                        jnp.asarray(Y[idx]))
            losses.append(value)
        jax.block_until_ready(params)
        epoch_s.append(time.perf_counter() - t0)
        epoch_cpu.append(time.process_time() - cpu0)
    pred = np.asarray(predict(params, jnp.asarray(X_test, jnp.float64)))
    out = {"model": PEER_MODELS[1], "dtype": "float64",
           "test_accuracy": float(np.mean(pred == y_test)),
           "final_loss": float(np.mean(jax.device_get(losses[-n_batches:])))}
    out.update(_epoch_stats(epoch_s, n_batches * 32))
    out["train_samples_per_cpu_s"] = n_batches * 32 / float(np.median(epoch_cpu[1:]))
    return out


def _peer_child(name: str, args) -> None:
    fn = {PEER_MODELS[0]: _peer_ours, PEER_MODELS[1]: _peer_tn4ml_lean,
          PEER_MODELS[2]: _peer_tn4ml_trainer}[name]
    out = fn(args)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("PEER-RESULT " + json.dumps(out), flush=True)


def run_peer_comparison(args) -> dict:
    """Each model in a fresh child process (its own peak memory), one after the other."""
    rows = []
    for name in PEER_MODELS:
        if name.startswith("tn4ml") and importlib.util.find_spec("tn4ml") is None:
            continue
        env = dict(os.environ)
        if name.startswith("tn4ml"):
            env["JAX_ENABLE_X64"] = "1"                 # tn4ml's loss is NaN in float32
        cmd = [sys.executable, __file__, "--peer-child", name, "--epochs", str(args.epochs),
               "--learning-rate", str(args.learning_rate), "--seed", str(args.seed),
               "--peer-bond-dim", str(args.peer_bond_dim), "--repeats", str(args.repeats)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("PEER-RESULT ")]
        if proc.returncode or not lines:
            rows.append({"model": name, "error": proc.stderr[-2000:]})
        else:
            rows.append(json.loads(lines[-1][len("PEER-RESULT "):]))
        print(_peer_line(rows[-1]), flush=True)
    ours = rows[0]
    peers = [r for r in rows[1:] if "error" not in r]
    summary = {"rows": rows, "bond_dim": args.peer_bond_dim, "epochs": args.epochs,
               "batch_size": 32, "learning_rate": args.learning_rate}
    if peers and "error" not in ours:
        best = max(peers, key=lambda r: r["train_samples_per_s"])
        summary["tn4ml_reported"] = best["model"]
        summary["speedup_vs_tn4ml"] = ours["train_samples_per_s"] / best["train_samples_per_s"]
        if best.get("train_samples_per_cpu_s") and ours.get("train_samples_per_cpu_s"):
            summary["cpu_speedup_vs_tn4ml"] = (ours["train_samples_per_cpu_s"]
                                               / best["train_samples_per_cpu_s"])
    return summary


def _peer_line(r: dict) -> str:
    if "error" in r:
        return f"{r['model']}: failed: {r['error'][-300:]}"
    cpu = r.get("train_samples_per_cpu_s")
    per_cpu = f" ({cpu:.0f} per CPU second)" if cpu else ""
    return (f"{r['model']}: test acc {r['test_accuracy']:.4f}, {r['train_samples_per_s']:.0f} "
            f"samples/s{per_cpu}, compile {r['compile_s']:.1f} s, peak {r['peak_rss_mb']:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--bond-dims", type=int, nargs="*", default=[2, 4, 8, 16, 32, 64])
    parser.add_argument("--sweep-bond-dims", type=int, nargs="*", default=[8, 16])
    parser.add_argument("--epochs", type=int, default=30, help="Adam epochs of the TN models")
    parser.add_argument("--sweeps", type=int, default=2, help="sweeps of the sweep solver")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--sweep-learning-rate", type=float, default=3e-3)
    parser.add_argument("--repeats", type=int, default=2, help="steady-state refits timed")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("bench-results/tensor_networks"))
    parser.add_argument("--peer-bond-dim", type=int, default=8,
                        help="bond dimension of the tn4ml comparison (digits)")
    parser.add_argument("--peer-only", action="store_true", help="only the tn4ml comparison")
    parser.add_argument("--peer-child", choices=PEER_MODELS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peer_child:
        _peer_child(args.peer_child, args)
        return 0

    env = info()
    env.update({"machine": platform.machine(), "processor": platform.processor(),
                "dtype": str(np.dtype(jax.dtypes.canonicalize_dtype(np.float64))),
                "seed": args.seed, "cpu_count": os.cpu_count(), "epochs": args.epochs,
                "sweeps": args.sweeps, "learning_rate": args.learning_rate,
                "sweep_learning_rate": args.sweep_learning_rate,
                "load_average_start": os.getloadavg(), "tn4ml": tn4ml_status()})
    results: dict = {"environment": env, "rows": [], "contraction": None, "peer": None}
    results["peer"] = run_peer_comparison(args)
    _write(args.out, results)
    if args.peer_only:
        env["load_average_end"] = os.getloadavg()
        _write(args.out, results, final=True)
        return 0

    results["contraction"] = time_contraction(64, 16, 256, args.seed)
    c = results["contraction"]
    print(f"contraction 64 sites chi=16 batch 256: einsum {c['einsum']['steady_s']:.4f} s, "
          f"ncon {c['ncon']['steady_s']:.4f} s", flush=True)
    _write(args.out, results)

    for dataset in args.datasets:
        data = split(dataset, args.seed)
        runs = [("mps", "adam", chi) for chi in args.bond_dims]
        runs += [("ttn", "adam", chi) for chi in args.bond_dims]
        runs += [("mps", "sweep", chi) for chi in args.sweep_bond_dims]
        for arch, solver, chi in runs:
            cls = MPSClassifier if arch == "mps" else TTNClassifier
            sweep = solver == "sweep"
            epochs = args.sweeps if sweep else args.epochs
            lr = args.sweep_learning_rate if sweep else args.learning_rate

            def make(cls=cls, chi=chi, solver=solver, epochs=epochs, lr=lr):
                return cls(bond_dim=chi, solver=solver, max_iter=epochs, learning_rate=lr,
                           random_state=args.seed)

            row = {"dataset": dataset, "model": f"{arch.upper()} ({solver})", "bond_dim": chi,
                   "epochs": epochs}
            row.update(time_estimator(make, data, epochs, args.repeats))
            results["rows"].append(row)
            print(_line(row), flush=True)
            _write(args.out, results)
        if not args.no_baselines:
            for name in ("logistic_regression", "rbf_svc"):
                row = {"dataset": dataset, "model": name, "bond_dim": None}
                row.update(time_baseline(name, data, 3))
                results["rows"].append(row)
                print(_line(row), flush=True)
                _write(args.out, results)
    env["load_average_end"] = os.getloadavg()
    _write(args.out, results, final=True)
    return 0


def _line(row: dict) -> str:
    chi = f" chi={row['bond_dim']}" if row.get("bond_dim") else ""
    return (f"{row['dataset']:>14} {row['model']:>20}{chi}: test acc {row['test_accuracy']:.4f}, "
            f"steady fit {row['steady_fit_s']:.2f} s, {row['train_samples_per_s']:.0f} samples/s")


def _peer_markdown(peer: dict) -> list[str]:
    lines = [
        "",
        f"## tn4ml vs qinspired (digits, 64 sites, 10 classes, bond dimension {peer['bond_dim']}, "
        f"{peer['epochs']} epochs, batch {peer['batch_size']}, Adam lr {peer['learning_rate']})",
        "",
        "| model | dtype | test acc | final train loss | train samples/s "
        "| per CPU second | compile s | peak RSS MB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in peer["rows"]:
        if "error" in r:
            lines.append(f"| {r['model']} | failed | | | | | | |")
            continue
        cpu = r.get("train_samples_per_cpu_s")
        lines.append(f"| {r['model']} | {r['dtype']} | {r['test_accuracy']:.4f} "
                     f"| {r['final_loss']:.3f} | {r['train_samples_per_s']:.0f} "
                     f"| {'' if cpu is None else format(cpu, '.0f')} "
                     f"| {r['compile_s']:.1f} | {r['peak_rss_mb']:.0f} |")
    if "speedup_vs_tn4ml" in peer:
        cpu = peer.get("cpu_speedup_vs_tn4ml")
        per_cpu = f" ({cpu:.0f}x per CPU second)" if cpu else ""
        lines += ["", f"qinspired trains {peer['speedup_vs_tn4ml']:.0f}x faster{per_cpu} than tn4ml "
                  f"at its fastest ({peer['tn4ml_reported']}). tn4ml needs float64 (its loss is NaN in "
                  "float32), and its CrossEntropySoftmax normalises the class scores to unit "
                  "length, so its 10-class cross-entropy cannot fall below about 1.42."]
    return lines


def _markdown(results: dict) -> str:
    c = results["contraction"]
    lines = [
        "# Tensor-network classifiers vs tuned baselines",
        "",
        f"Environment: JAX {results['environment']['versions']['jax']}, "
        f"backend {results['environment']['backend']} "
        f"({results['environment']['devices'][0]['device_kind']}), "
        f"{results['environment']['cpu_count']} CPUs, dtype {results['environment']['dtype']}, "
        f"seed {results['environment']['seed']}; tn4ml: {results['environment']['tn4ml']}.",
        "",
        "| data set | model | bond dim | epochs | test acc | compile s | steady fit s "
        "| train samples/s | predict samples/s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    def num(value, fmt):
        return "" if value is None else format(value, fmt)

    for r in results["rows"]:
        lines.append(
            f"| {r['dataset']} | {r['model']} | {r.get('bond_dim') or ''} | {r.get('epochs', '')} "
            f"| {r['test_accuracy']:.4f} | {num(r.get('compile_s'), '.2f')} "
            f"| {r['steady_fit_s']:.3f} | {r['train_samples_per_s']:.0f} "
            f"| {num(r.get('predict_samples_per_s'), '.0f')} |")
    if c:
        lines += [
            "",
            f"Contraction of a {c['n_sites']}-site MPS (bond {c['bond_dim']}, 10 outputs) over "
            f"{c['batch']} samples, jitted: einsum {c['einsum']['steady_s'] * 1e3:.2f} ms, "
            f"tensornetwork.ncon {c['ncon']['steady_s'] * 1e3:.2f} ms "
            f"(einsum {c['einsum_speedup']:.1f}x faster; max relative difference "
            f"{c['max_rel_diff']:.1e}).",
        ]
    if results.get("peer"):
        lines += _peer_markdown(results["peer"])
    lines += ["", "Baselines: 5-fold GridSearchCV; train samples/s of a baseline is one refit "
              "of the best model (not per epoch)."]
    return "\n".join(lines) + "\n"


def _write(out: Path, results: dict, final: bool = False) -> None:
    """JSON and markdown after every row, so an interrupted run keeps its results."""
    results["environment"]["complete"] = final
    out.mkdir(parents=True, exist_ok=True)
    (out / "tensor_networks.json").write_text(json.dumps(results, indent=2, default=str))
    (out / "tensor_networks.md").write_text(_markdown(results))


if __name__ == "__main__":
    raise SystemExit(main())
