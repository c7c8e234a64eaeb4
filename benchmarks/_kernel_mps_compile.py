"""Part ``mps-compile`` of ``benchmarks/kernels.py``: first call against steady call, MPS backend.

The ZZ feature map (``reps=2``, linear entanglement) at ``--mps-compile-qubits`` qubits on
``--mps-compile-points`` points, simulated as an MPS of bond dimension
``--mps-compile-bond``, through ``FidelityKernel`` and ``ProjectedKernel``. Each kernel's
first call ``k(X)`` starts from empty JAX caches (``jax.clear_caches``), so it pays every
compile; the steady call is the median of repeats after it. ``compile_s`` is their
difference. The target of issue 15 is a first call <= 5 s at n = 16, 32 and 64 (bond 8).
"""

from __future__ import annotations

import time

import jax
import numpy as np
from _timing import median_time

from qinspired.feature_maps import ZZFeatureMap
from qinspired.kernels import FidelityKernel, ProjectedKernel


def _measure(kernel, x: np.ndarray, budget: float) -> dict:
    jax.clear_caches()
    t0 = time.perf_counter()
    kernel(x)
    first = time.perf_counter() - t0
    steady, repeats = median_time(lambda: kernel(x), budget_s=budget)
    err = np.asarray(kernel.states(x).truncation_error)
    return {"first_call_s": first, "steady_s": steady, "compile_s": max(first - steady, 0.0),
            "repeats": repeats, "truncation_error_max": float(np.max(err))}


def run_mps_compile(args) -> list[dict]:
    """Time the first and the steady call of both MPS-backend kernels per qubit count."""
    rows = []
    for n in args.mps_compile_qubits:
        x = np.random.default_rng([args.seed, 2000 + n]).uniform(0.0, 2 * np.pi,
                                                                 (args.mps_compile_points, n))
        fm = ZZFeatureMap(n, reps=2, entanglement="linear", feature_scale=1.0)
        for name, cls in (("fidelity", FidelityKernel), ("projected", ProjectedKernel)):
            kernel = cls(fm, backend="mps", bond_dim=args.mps_compile_bond)
            row = {"kernel": name, "n_qubits": n, "bond_dim": args.mps_compile_bond,
                   "N": len(x), **_measure(kernel, x, args.budget)}
            print(f"mps-compile {name} n={n}: first {row['first_call_s']:.2f} s, steady "
                  f"{row['steady_s']:.3f} s", flush=True)
            rows.append(row)
    return rows


def markdown(rows: list[dict]) -> list[str]:
    """The part's table."""
    lines = ["", "### MPS backend: first call against steady call (ZZ, reps 2, linear)", "",
             "| kernel | qubits | bond dim | N | first call s | steady s | compile s "
             "| max truncation error |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['kernel']} | {r['n_qubits']} | {r['bond_dim']} | {r['N']} "
                     f"| {r['first_call_s']:.2f} | {r['steady_s']:.3f} | {r['compile_s']:.2f} "
                     f"| {r['truncation_error_max']:.1e} |")
    return lines
