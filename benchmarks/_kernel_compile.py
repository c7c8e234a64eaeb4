"""Part 5 of ``benchmarks/kernels.py``: compile time of a two-qubit-gate feature map's kernel.

The map is ``HamiltonianEvolutionEncoding(--compile-features, trotter_steps=--compile-steps)``
(6 qubits and 5 Trotter steps by default: 75 ``rxx``/``ryy``/``rzz`` gates). For each of
``FidelityKernel`` and ``ProjectedKernel`` over it, after ``jax.clear_caches()``:

* ``first``: ``k(X)`` at the first ``N`` of ``--compile-points`` (compile + run);
* ``steady``: the median of repeated calls at that ``N``;
* ``second_first`` and ``second_steady``: the same at the second ``N``, so
  ``second_first - second_steady`` is what a new number of points costs (no new compile
  of the simulation: the states run in chunks of one fixed size).

``compile_s = first - steady`` is the compile estimate (target: at most 3 s). For
comparison, ``engine`` times the statevector engine's own jitted simulation of the same
circuit (``qinspired.circuits.statevector``, the path kernel states took before: it
compiles once per padded batch size) at both sizes. Process CPU time is reported beside
wall time: on a loaded machine it is the steadier measure of compile work.
"""

from __future__ import annotations

import time
from typing import Callable

import jax
import numpy as np
from _timing import median_time

from qinspired.circuits import statevector
from qinspired.feature_maps import HamiltonianEvolutionEncoding
from qinspired.kernels import FidelityKernel, ProjectedKernel


def _first(fn: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    jax.block_until_ready(fn())
    return time.perf_counter() - wall, time.process_time() - cpu


def _two_sizes(fn: Callable[[np.ndarray], object], X: np.ndarray, sizes: list[int],
               budget: float) -> dict:
    jax.clear_caches()
    out: dict = {}
    for label, n in zip(("", "second_"), sizes):
        first, first_cpu = _first(lambda: fn(X[:n]))
        steady, _ = median_time(lambda: jax.block_until_ready(fn(X[:n])), budget_s=budget)
        out.update({f"{label}points": n, f"{label}first_s": first,
                    f"{label}first_cpu_s": first_cpu, f"{label}steady_s": steady})
    out["compile_s"] = out["first_s"] - out["steady_s"]
    out["second_overhead_s"] = out["second_first_s"] - out["second_steady_s"]
    return out


def run_compile(args) -> dict:
    """First-call, steady and second-N times of the Hamiltonian map's kernels."""
    d, steps = args.compile_features, args.compile_steps
    fm = HamiltonianEvolutionEncoding(d, trotter_steps=steps)
    X = np.random.default_rng(args.seed).normal(size=(max(args.compile_points), d))
    sizes = list(args.compile_points)
    res = {"qubits": d + 1, "trotter_steps": steps, "gates": len(fm.circuit)}
    for name, kernel in (("fidelity", FidelityKernel(fm)), ("projected", ProjectedKernel(fm))):
        res[name] = _two_sizes(kernel, X, sizes, args.budget)
    circuit = fm.standardised(X)[0].circuit
    res["engine"] = _two_sizes(lambda part: statevector(circuit, part), X, sizes, args.budget)
    return res


def markdown(res: dict) -> list[str]:
    """The part-5 table."""
    lines = ["", f"### Compile time: Hamiltonian map, {res['qubits']} qubits, "
             f"{res['trotter_steps']} Trotter steps ({res['gates']} gates)", "",
             "| path | N | first call s (CPU s) | steady s | compile s | second N "
             "| first call s (CPU s) | steady s | new-N overhead s |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name in ("fidelity", "projected", "engine"):
        r = res[name]
        lines.append(f"| {name} | {r['points']} | {r['first_s']:.2f} ({r['first_cpu_s']:.2f}) "
                     f"| {r['steady_s']:.3f} | {r['compile_s']:.2f} | {r['second_points']} "
                     f"| {r['second_first_s']:.2f} ({r['second_first_cpu_s']:.2f}) "
                     f"| {r['second_steady_s']:.3f} | {r['second_overhead_s']:.2f} |")
    return lines
