"""The GPU run: one JSON of simulator bandwidth, Gram-matrix speed, compile times and CPU agreement.

Parts, all in one process on JAX's default device (the first GPU when there is one):

* ``reference``: the device's peak memory bandwidth from a table of datasheet values by
  ``device_kind`` (H200, H100, A100; None for other devices) and a measured device-to-device
  copy bandwidth (a jitted ``x + 1`` over a large float32 array: one read and one write).
* ``states``: states per second of ``statevector`` on the ZZ feature map (``reps=2``, full
  entanglement) for every qubit count, a batch filling about ``--state-gib`` of state. Each
  step of the simulator's plan (a phase vector, a block of a single-qubit layer, a gate) is one
  *gate pass*, estimated to move ``2 x`` the state bytes (read and write); the bandwidth reached
  is ``passes x 2 x batch x state bytes / time``, given as a fraction of both references.
* ``gemm_peak``: the measured rate of one large ``jnp.matmul`` (complex64 and float32,
  ``HIGHEST`` precision, as the Gram engine calls it), the reference for the Gram matrix.
* ``gram``: ``FidelityKernel(ZZFeatureMap(n, reps=2, "full"))(X)`` at ``N = 10^4``: first call
  (compile + run), then the states and the Gram matrix timed apart. The nominal work of the
  full product is ``8 N^2 2^n`` real flops in both arithmetics (complex, or real stacked
  parts); its rate is given as a fraction of the measured peak of the arithmetic the kernel
  picked. The engine computes only the tiles on and above the diagonal, so the fraction of the
  work actually done is higher than the nominal one.
* ``compile_s``: first call minus steady-state time of every timed function.
* ``agreement``: max abs differences on a small case: the states on the default device
  against those on the CPU device, and the kernel's Gram matrix against ``|Psi Psi^H|^2`` of
  the CPU states in complex128.

Every part is written to the JSON as soon as it is done, so a run stopped early leaves what it
measured. ``--dry-run`` uses tiny sizes and runs on CPU in seconds (the test suite runs it).

Usage::

    bash benchmarks/gpu.sh gpu-results/gpu.json
    python benchmarks/gpu.py --out gpu-results/gpu.json
    python benchmarks/gpu.py --dry-run --out /tmp/gpu-dry.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from _timing import median_time

import qinspired
from qinspired._validation import SimulationTooLargeError
from qinspired.circuits import statevector
from qinspired.circuits._engine.plan import LayerStep, plan
from qinspired.circuits.statevector import complex_dtype
from qinspired.feature_maps import ZZFeatureMap
from qinspired.kernels import FidelityKernel
from qinspired.kernels.fidelity import _arithmetic

GIB = 2**30

# Peak HBM bandwidth in GB/s (NVIDIA datasheets), matched in order against the lower-cased
# device_kind: the first entry whose key is a substring wins.
PEAK_BANDWIDTH_GBPS = (
    ("h200", 4800.0),
    ("h100 pcie", 2000.0),
    ("h100 nvl", 3900.0),
    ("h100", 3350.0),
    ("a100-sxm4-80gb", 2039.0),
    ("a100 80gb pcie", 1935.0),
    ("a100", 1555.0),
)

SIZES = {
    "full": {"qubits": (8, 12, 16, 20, 24), "state_gib": 4.0, "max_batch": 2**17,
             "copy_gib": 2.0, "matmul": 8192, "gram_points": 10_000, "gram_qubits": 12,
             "agree_points": 64, "agree_qubits": 8, "budget_s": 5.0},
    "dry": {"qubits": (2, 4), "state_gib": 2**-16, "max_batch": 32, "copy_gib": 2**-10,
            "matmul": 128, "gram_points": 40, "gram_qubits": 3, "agree_points": 8,
            "agree_qubits": 3, "budget_s": 0.2},
}


def peak_bandwidth_gbps(device_kind: str) -> float | None:
    """The datasheet peak memory bandwidth of a known GPU (None for other devices)."""
    kind = device_kind.lower()
    for key, gbps in PEAK_BANDWIDTH_GBPS:
        if key in kind:
            return gbps
    return None


def timed(fn: Callable[[], Any], budget_s: float) -> dict:
    """First call (compile + run) and the steady-state median of ``fn`` (blocking on its result)."""
    t0 = time.perf_counter()
    jax.block_until_ready(fn())
    first = time.perf_counter() - t0
    steady, repeats = median_time(lambda: jax.block_until_ready(fn()), budget_s=budget_s)
    return {"first_call_s": first, "steady_s": steady, "compile_s": max(first - steady, 0.0),
            "repeats": repeats}


def copy_bandwidth(n_bytes: int, budget_s: float) -> dict:
    """Device-to-device bandwidth of a jitted ``x + 1`` (reads and writes ``n_bytes``)."""
    x = jnp.zeros(n_bytes // 4, jnp.float32)
    step = jax.jit(lambda v: v + 1.0)
    t = timed(lambda: step(x), budget_s)
    return {"bytes": int(x.nbytes), "gbps": 2 * x.nbytes / t["steady_s"] / 1e9, **t}


def gate_passes(fm: ZZFeatureMap) -> int:
    """Passes over the state of the simulator's fused plan (one per block of a layer)."""
    circuit = fm.circuit
    steps = plan(circuit.operations, circuit.n_qubits, True)
    return sum(len(s.blocks) if isinstance(s, LayerStep) else 1 for s in steps)


def states_part(cfg: dict, refs: dict, rng: np.random.Generator) -> list[dict]:
    rows = []
    itemsize = np.dtype(complex_dtype()).itemsize
    for n in cfg["qubits"]:
        fm = ZZFeatureMap(n, reps=2, entanglement="full", feature_scale=1.0)
        state_bytes = itemsize * 2**n
        batch = int(np.clip(cfg["state_gib"] * GIB // state_bytes, 1, cfg["max_batch"]))
        x = rng.uniform(0, 2 * np.pi, (batch, n))
        row: dict[str, Any] = {"n_qubits": n, "batch": batch, "gate_passes": gate_passes(fm)}
        try:
            t = timed(lambda: statevector(fm, x), cfg["budget_s"])
        except SimulationTooLargeError as exc:
            rows.append({**row, "skipped": str(exc)})
            continue
        moved = row["gate_passes"] * 2 * batch * state_bytes
        gbps = moved / t["steady_s"] / 1e9
        rows.append({**row, **t, "states_per_s": batch / t["steady_s"],
                     "bytes_per_gate_pass": 2 * batch * state_bytes, "gbps": gbps,
                     "fraction_of_peak_bandwidth": _ratio(gbps, refs["peak_gbps"]),
                     "fraction_of_copy_bandwidth": _ratio(gbps, refs["copy"]["gbps"])})
    return rows


def gemm_peak(size: int, budget_s: float, rng: np.random.Generator) -> dict:
    """Rate of one ``size x size`` matrix product, complex64 and float32, ``HIGHEST`` precision."""
    out = {"size": size}
    product = jax.jit(lambda a, b: jnp.matmul(a, b, precision=jax.lax.Precision.HIGHEST))
    for name, dtype, flops_per_fma in (("complex64", jnp.complex64, 8), ("float32", jnp.float32, 2)):
        a = jnp.asarray(rng.normal(size=(size, size)), dtype)
        b = jnp.asarray(rng.normal(size=(size, size)), dtype)
        t = timed(lambda: product(a, b), budget_s)
        out[name] = {**t, "tflops": flops_per_fma * size**3 / t["steady_s"] / 1e12}
    return out


def gram_part(cfg: dict, peak: dict, rng: np.random.Generator) -> dict:
    n, N = cfg["gram_qubits"], cfg["gram_points"]
    X = rng.uniform(0, 2 * np.pi, (N, n))
    kernel = FidelityKernel(ZZFeatureMap(n, reps=2, entanglement="full", feature_scale=1.0))
    t0 = time.perf_counter()
    kernel(X)
    first = time.perf_counter() - t0
    kernel.fit(X)
    states = kernel.states(X)
    t_states = timed(lambda: kernel.states(X).data, cfg["budget_s"])
    t_gram = timed(lambda: kernel.gram(states), cfg["budget_s"])
    arithmetic = _arithmetic("statevector", jax.devices())
    nominal = 8 * N**2 * 2**n / t_gram["steady_s"] / 1e12
    reference = peak["complex64" if arithmetic == "complex" else "float32"]["tflops"]
    return {"n_qubits": n, "n_points": N, "arithmetic": arithmetic, "first_call_s": first,
            "states": t_states, "gram": t_gram,
            "total_steady_s": t_states["steady_s"] + t_gram["steady_s"],
            "nominal_tflops": nominal, "fraction_of_gemm_peak": nominal / reference}


def agreement(cfg: dict, rng: np.random.Generator) -> dict:
    """A small case on the default device against the CPU device.

    States: ``statevector`` on the default device and on the CPU device. Gram matrix: the
    kernel on the default device(s) against ``|Psi Psi^H|^2`` of the CPU states in NumPy
    complex128.
    """
    n, N = cfg["agree_qubits"], cfg["agree_points"]
    fm = ZZFeatureMap(n, reps=2, entanglement="full", feature_scale=1.0)  # no fitted bandwidth
    X = rng.uniform(0, 2 * np.pi, (N, n))
    psi = statevector(fm, X)
    K = FidelityKernel(fm)(X)
    with jax.default_device(jax.devices("cpu")[0]):
        psi_cpu = statevector(fm, X)
    ref = np.asarray(psi_cpu, dtype=np.complex128)
    K_ref = np.abs(ref @ ref.conj().T) ** 2
    return {"n_qubits": n, "n_points": N,
            "device": next(iter(psi.devices())).platform,
            "reference_device": next(iter(psi_cpu.devices())).platform,
            "states_max_abs_diff": float(np.max(np.abs(np.asarray(psi) - ref))),
            "gram_max_abs_diff": float(np.max(np.abs(K - K_ref)))}


def _ratio(value: float, reference: float | None) -> float | None:
    return None if reference is None else value / reference


def environment() -> dict:
    dev = jax.devices()[0]
    return {"qinspired": qinspired.__version__, "jax": jax.__version__,
            "python": platform.python_version(), "backend": jax.default_backend(),
            "device_kind": dev.device_kind, "n_devices": jax.device_count(),
            "dtype": str(np.dtype(complex_dtype())), "x64": bool(jax.config.jax_enable_x64)}


def run(out: Path, dry_run: bool, seed: int = 0) -> dict:
    cfg = SIZES["dry" if dry_run else "full"]
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    result: dict[str, Any] = {"dry_run": dry_run, "seed": seed, "env": environment(),
                              "sizes": {k: list(v) if isinstance(v, tuple) else v
                                        for k, v in cfg.items()}}

    def save() -> None:
        result["wall_s"] = time.perf_counter() - start
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")

    peak_gbps = peak_bandwidth_gbps(result["env"]["device_kind"])
    result["reference"] = {
        "peak_gbps": peak_gbps,
        "peak_source": "datasheet table by device_kind" if peak_gbps else "unknown device",
        "copy": copy_bandwidth(int(cfg["copy_gib"] * GIB), cfg["budget_s"]),
    }
    save()
    result["agreement"] = agreement(cfg, rng)
    save()
    result["states"] = states_part(cfg, result["reference"], rng)
    save()
    result["gemm_peak"] = gemm_peak(cfg["matmul"], cfg["budget_s"], rng)
    save()
    result["gram"] = gram_part(cfg, result["gemm_peak"], rng)
    result["compile_s"] = {
        **{f"statevector_n{row['n_qubits']}": row["compile_s"]
           for row in result["states"] if "compile_s" in row},
        "gram_first_call_s": result["gram"]["first_call_s"],
        "gram_states": result["gram"]["states"]["compile_s"],
        "gram_matrix": result["gram"]["gram"]["compile_s"],
    }
    save()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("gpu-results/gpu.json"))
    parser.add_argument("--dry-run", action="store_true",
                        help="tiny sizes: runs on CPU in seconds (checks the script)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = run(args.out, args.dry_run, args.seed)
    print(json.dumps({"out": str(args.out), "wall_s": round(result["wall_s"], 1),
                      "agreement": result["agreement"],
                      "gram_fraction_of_gemm_peak": result["gram"]["fraction_of_gemm_peak"]}))


if __name__ == "__main__":
    main()
