"""Kernel error of the MPS simulation against the exact statevector, by bond dimension."""

from __future__ import annotations

import math
import time
from typing import Any, Sequence

import numpy as np

__all__ = ["SWEEP_MODELS", "bond_sweep"]

SWEEP_MODELS = ("kernel_fidelity", "kernel_mps_chi2", "kernel_mps_chi4")
"""The models the sweep is about: it runs only when one of them is selected."""


def bond_sweep(n_qubits: Sequence[int] = (8, 12), chis: Sequence[int] = (1, 2, 4, 8, 16),
               n_points: int = 30, seed: int = 0) -> list[dict[str, Any]]:
    """Fidelity-kernel error of the MPS backend vs bond dimension (ZZ map, linear).

    For each qubit count, the maximal and mean absolute Gram error against the
    exact statevector kernel, the mean truncation error and the time.
    """
    from qinspired.feature_maps import ZZFeatureMap
    from qinspired.kernels import FidelityKernel

    rows = []
    for n in n_qubits:
        # One generator per qubit count: a row does not depend on the other counts asked for.
        X = np.random.default_rng([seed, n]).uniform(0, math.pi, (n_points, n))
        fm = ZZFeatureMap(n, reps=2, entanglement="linear", feature_scale=0.5)
        exact = FidelityKernel(fm)(X)
        for chi in chis:
            k = FidelityKernel(fm, backend="mps", bond_dim=chi)
            t0 = time.perf_counter()
            states = k.states(X)
            K = k.gram(states)
            rows.append({"n_qubits": n, "bond_dim": chi,
                         "max_abs_error": float(np.max(np.abs(K - exact))),
                         "mean_abs_error": float(np.mean(np.abs(K - exact))),
                         "mean_truncation_error": float(np.mean(states.truncation_error)),
                         "time_s": time.perf_counter() - t0})
    return rows
