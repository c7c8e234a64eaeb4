"""The quickstart job: simulate a batch of ZZ feature-map states and report the speed."""

from __future__ import annotations

import time

import jax
import numpy as np

from qinspired.circuits import statevector
from qinspired.feature_maps import ZZFeatureMap


def run(*, n_qubits: int = 12, batch: int = 1000, reps: int = 2, seed: int = 0) -> int:
    """Build a ZZ feature map, simulate ``batch`` data points, print states/s.

    Parameters
    ----------
    n_qubits : int
        Qubits (= features) of the feature map.
    batch : int
        Number of data points simulated in one call.
    reps : int
        Repetitions of the feature map.
    seed : int
        Seed of the random data.

    Returns
    -------
    int
        0 on success (the exit code of ``qinspired quickstart``).
    """
    fm = ZZFeatureMap(n_features=n_qubits, reps=reps, entanglement="full")
    circuit = fm.circuit
    x = np.random.default_rng(seed).uniform(0.0, 2.0 * np.pi, size=(batch, n_qubits))
    device = jax.devices()[0]
    start = time.perf_counter()
    psi = statevector(fm, x).block_until_ready()
    first = time.perf_counter() - start
    times = []
    for _ in range(3):
        start = time.perf_counter()
        statevector(fm, x).block_until_ready()
        times.append(time.perf_counter() - start)
    steady = float(np.median(times))
    norms = np.linalg.norm(np.asarray(psi), axis=1)
    rows = [
        ("feature map", f"ZZFeatureMap(n_features={n_qubits}, reps={reps}, entanglement='full')"),
        ("gates", f"{len(circuit)} (depth {circuit.depth()})"),
        ("device", f"{device.platform} ({device.device_kind})"),
        ("dtype", str(psi.dtype)),
        ("batch", f"{batch} states of {2 ** n_qubits} amplitudes"),
        ("compile + first run", f"{first:.3f} s"),
        ("steady-state run", f"{steady:.4f} s (median of 3)"),
        ("states / s", f"{batch / steady:,.0f}"),
        ("max | norm - 1 |", f"{np.max(np.abs(norms - 1)):.1e}"),
    ]
    width = max(len(k) for k, _ in rows)
    print("qinspired quickstart: exact statevector simulation")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    return 0
