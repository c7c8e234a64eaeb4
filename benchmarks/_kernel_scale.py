"""Part 4 of ``benchmarks/kernels.py``: the Gram matrix against the machine's own limit.

For the ZZ feature map (``reps=2``, full entanglement) at ``--scale-qubits`` qubits and
``--scale-points`` points, measured in one process:

* ``states``: the ``N`` statevectors alone (``FidelityKernel.states``);
* ``gemm``: one real matrix product of shape ``(N, 2d) x (2d, N)`` at HIGHEST precision,
  ``d = 2**n`` (the real and imaginary parts of the states side by side): the cost of the
  arithmetic any exact Gram matrix of these states needs at least about once;
* ``kernel``: ``k(X)`` end to end (first call apart from the steady state), with the block
  arithmetic the library chooses on this machine;
* ``complex``: the same tiled Gram matrix with the complex matrix product forced, against
  ``FidelityKernel.gram`` of the same states (both without the simulation).

The first three are timed in rounds of one call each (medians of the rounds), so that
a change of load on a shared machine reaches both sides of their ratio alike.

Reported: ``kernel / (states + gemm)`` (the target is <= 1.3), ``complex / kernel``, the
largest difference between the two Gram matrices relative to the largest entry, and each
one's largest error against the float64 product of the same float32 states (first 200
rows): the complex product is not exact either. The same
comparison for the noisy (density-matrix) kernel at ``--scale-density-qubits`` qubits.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
from _timing import interleaved_medians

from qinspired.circuits import NoiseModel, channels
from qinspired.feature_maps import ZZFeatureMap
from qinspired.kernels import FidelityKernel
from qinspired.kernels.fidelity import _BLOCKS
from qinspired.kernels.gram import gram_matrix

_HIGHEST = jax.lax.Precision.HIGHEST


@jax.jit
def _real_gemm(f: jax.Array) -> jax.Array:
    return jnp.matmul(f, f.T, precision=_HIGHEST)


def _complex_gram(kind: str, data, tile: int) -> np.ndarray:
    return gram_matrix(_BLOCKS[kind]["complex"][0], None, data, tile_size=tile)


def _float64_rows(kind: str, data, rows: int = 200) -> np.ndarray:
    """The first ``rows`` rows of the Gram matrix from the same (float32) states in float64."""
    v = np.asarray(data).reshape(len(data), -1).astype(np.complex128)
    product = v[:rows] @ v.conj().T
    return np.abs(product) ** 2 if kind == "statevector" else product.real


def _rel(K: np.ndarray, reference: np.ndarray) -> float:
    return float(np.max(np.abs(K - reference)) / np.max(np.abs(reference)))


def _measure(kernel: FidelityKernel, x: np.ndarray, kind: str, tile: int, budget: float) -> dict:
    kernel.fit(x)
    jax.clear_caches()
    t0 = time.perf_counter()
    K = kernel(x)
    first = time.perf_counter() - t0
    kept = kernel.states(x)
    data = kept.data
    flat = jnp.asarray(data).reshape(len(x), -1)
    stacked = jnp.concatenate([jnp.real(flat), jnp.imag(flat)], axis=1)
    jax.block_until_ready(_real_gemm(stacked))
    medians, repeats = interleaved_medians(
        {"kernel": lambda: kernel(x),
         "states": lambda: jax.block_until_ready(kernel.states(x).data),
         "gemm": lambda: jax.block_until_ready(_real_gemm(stacked))}, budget_s=3 * budget)
    steady, states, gemm = medians["kernel"], medians["states"], medians["gemm"]
    K_complex = _complex_gram(kind, data, tile)
    kernel.gram(kept)
    products, _ = interleaved_medians({"ours": lambda: kernel.gram(kept),
                                       "complex": lambda: _complex_gram(kind, data, tile)},
                                      budget_s=2 * budget)
    gram_t, complex_t = products["ours"], products["complex"]
    reference = _float64_rows(kind, data)
    rows = len(reference)
    return {"points": len(x), "first_call_s": first, "steady_s": steady, "repeats": repeats,
            "max_rel_err_vs_float64": _rel(K[:rows], reference),
            "complex_max_rel_err_vs_float64": _rel(K_complex[:rows], reference),
            "states_s": states, "gemm_s": gemm, "gram_of_states_s": gram_t,
            "complex_s": complex_t, "ratio_to_states_plus_gemm": steady / (states + gemm),
            "complex_over_ours": complex_t / gram_t,
            "max_rel_diff_vs_complex": float(np.max(np.abs(K - K_complex)) / np.max(np.abs(K)))}


def run_scale(args) -> dict:
    """Time the statevector and the density-matrix Gram matrices against their floors."""
    rng = np.random.default_rng(args.seed)
    n, N = args.scale_qubits, args.scale_points
    x = rng.uniform(0, 2 * np.pi, (N, n))
    out = {"statevector": {"qubits": n, **_measure(
        FidelityKernel(ZZFeatureMap(n, reps=2, entanglement="full", feature_scale=1.0)), x, "statevector", 512,
        args.budget)}}
    n_rho, N_rho = args.scale_density_qubits, args.scale_density_points
    x_rho = rng.uniform(0, 2 * np.pi, (N_rho, n_rho))
    noisy = FidelityKernel(ZZFeatureMap(n_rho, reps=2, entanglement="full", feature_scale=1.0),
                           noise=NoiseModel().add_all_qubit(channels.Depolarizing(0.01)))
    out["density"] = {"qubits": n_rho, **_measure(noisy, x_rho, "density", 256, args.budget)}
    return out


def markdown(res: dict) -> list[str]:
    """The part-4 table."""
    lines = ["", "### Gram matrix against its floor (states + one real GEMM)", "",
             "| states | qubits | N | first call s | k(X) s | states s | real GEMM s "
             "| k / (states + GEMM) | Gram of states s | complex product s | complex / ours "
             "| max rel diff | ours vs float64 | complex vs float64 |",
             "|" + " --- |" * 14]
    for kind, r in res.items():
        lines.append(f"| {kind} | {r['qubits']} | {r['points']} | {r['first_call_s']:.2f} "
                     f"| {r['steady_s']:.3f} | {r['states_s']:.3f} | {r['gemm_s']:.3f} "
                     f"| {r['ratio_to_states_plus_gemm']:.2f} | {r['gram_of_states_s']:.3f} "
                     f"| {r['complex_s']:.3f} "
                     f"| {r['complex_over_ours']:.2f} | {r['max_rel_diff_vs_complex']:.1e} "
                     f"| {r['max_rel_err_vs_float64']:.1e} "
                     f"| {r['complex_max_rel_err_vs_float64']:.1e} |")
    return lines
