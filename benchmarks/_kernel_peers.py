"""Peer implementations of the ZZ fidelity-kernel Gram matrix, for ``benchmarks/kernels.py``.

Two kinds of peer:

* **fastest documented usage** (timed at every ``N``, never extrapolated): PennyLane's
  ``default.qubit`` under ``jax.jit`` computing all ``N`` states in one broadcast qnode call
  plus one matrix product; Qiskit-ML's ``FidelityStatevectorKernel`` with Qiskit's
  ``Statevector`` and with Aer's ``AerStatevector``; squlearn's ``FidelityKernel`` on its
  qulacs executor. Each returns ``{"time_s", "first_s", "repeats", "K"}``: the median over
  repeats, the first call (imports, transpilation, compilation) apart.
* **the hardware protocol** (one compute-uncompute circuit per pair, ``~N^2 / 2`` circuits):
  Qiskit-ML's ``FidelityQuantumKernel`` and a PennyLane compute-uncompute qnode, timed on a
  few points and extrapolated by the pair count.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
from _timing import median_time


def pairs(n: int, entanglement: str) -> list[tuple[int, int]]:
    """The ZZ map's entangled pairs (Qiskit's order)."""
    if entanglement == "linear":
        return [(i, i + 1) for i in range(n - 1)]
    if entanglement == "full":
        return [(i, j) for i in range(n) for j in range(i + 1, n)]
    raise ValueError(f"entanglement {entanglement!r}: only 'linear' and 'full' are benchmarked")


def qiskit_map(n: int, reps: int, entanglement: str):
    try:
        from qiskit.circuit.library import zz_feature_map
    except ImportError:  # qiskit < 1.3
        from qiskit.circuit.library import ZZFeatureMap as QiskitZZ
        return QiskitZZ(n, reps=reps, entanglement=entanglement)
    return zz_feature_map(n, reps=reps, entanglement=entanglement)


def _pennylane_zz(n: int, reps: int, entanglement: str, pi: float = np.pi):
    """The ZZ map as PennyLane gates (Qiskit's convention); broadcasts over ``x[..., i]``."""
    import pennylane as qml

    edges = pairs(n, entanglement)

    def zz(x):
        for _ in range(reps):
            for i in range(n):
                qml.Hadamard(wires=i)
            for i in range(n):
                qml.PhaseShift(2.0 * x[..., i], wires=i)
            for i, j in edges:
                qml.CNOT(wires=[i, j])
                qml.PhaseShift(2.0 * (pi - x[..., i]) * (pi - x[..., j]), wires=j)
                qml.CNOT(wires=[i, j])

    return zz


def _timed(run: Callable[[], np.ndarray], budget: float,
           fresh: Callable[[], Callable[[], np.ndarray]] | None = None) -> dict:
    """First call apart, then the median of at least 3 calls (more within ``budget`` s).

    With ``fresh``, every timed call runs on a newly built (and warmed) object returned by
    ``fresh()``, so a peer's per-object statevector cache never answers a repeat.
    """
    t0 = time.perf_counter()
    K = np.asarray(run())
    first = time.perf_counter() - t0
    times, start = [], time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < budget and len(times) < 20):
        call = run if fresh is None else fresh()
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return {"time_s": float(np.median(times)), "first_s": first, "repeats": len(times),
            "K": K}


def pennylane_jit(n: int, reps: int, entanglement: str, x: np.ndarray, budget: float) -> dict:
    """PennyLane ``default.qubit`` + ``jax.jit``: all states by broadcasting, one product."""
    import jax
    import jax.numpy as jnp
    import pennylane as qml

    zz = _pennylane_zz(n, reps, entanglement, pi=jnp.pi)

    @qml.qnode(qml.device("default.qubit", wires=n), interface="jax")
    def states(xb):
        zz(xb)
        return qml.state()

    @jax.jit
    def gram(xb):
        S = states(xb)
        return jnp.abs(S.conj() @ S.T) ** 2

    xj = jnp.asarray(x, dtype=jnp.float32)
    return _timed(lambda: np.asarray(gram(xj)), budget)


def qiskit_statevector(n: int, reps: int, entanglement: str, x: np.ndarray, budget: float,
                       aer: bool = False) -> dict:
    """Qiskit-ML ``FidelityStatevectorKernel`` (``AerStatevector`` states with ``aer``)."""
    from qiskit_machine_learning.kernels import FidelityStatevectorKernel

    kw = {}
    if aer:
        from qiskit_aer.quantum_info import AerStatevector

        kw["statevector_type"] = AerStatevector
    # auto_clear_cache (the default) empties its statevector cache at every evaluate().
    kernel = FidelityStatevectorKernel(feature_map=qiskit_map(n, reps, entanglement), **kw)
    kernel.evaluate(x[:2])
    return _timed(lambda: kernel.evaluate(x), budget)


def squlearn_qulacs(n: int, reps: int, entanglement: str, x: np.ndarray, budget: float) -> dict:
    """squlearn ``FidelityKernel`` of the same Qiskit circuit on ``Executor("qulacs")``."""
    from squlearn import Executor
    from squlearn.encoding_circuit import QiskitEncodingCircuit
    from squlearn.kernel import FidelityKernel as SqFidelityKernel

    def fresh():
        kernel = SqFidelityKernel(QiskitEncodingCircuit(qiskit_map(n, reps, entanglement)),
                                  Executor("qulacs"))
        kernel.evaluate(x[:2] + 1.0)  # builds the qulacs circuit; caches other points only
        return lambda: kernel.evaluate(x)

    return _timed(fresh(), budget, fresh=fresh)


STRONGEST: dict[str, tuple[str | None, Callable[..., dict]]] = {
    "pennylane-jit": ("pennylane", pennylane_jit),
    "qiskit-ml": ("qiskit_machine_learning", qiskit_statevector),
    "qiskit-ml-aer": ("qiskit_aer",
                      lambda n, r, e, x, b: qiskit_statevector(n, r, e, x, b, aer=True)),
    "squlearn-qulacs": ("squlearn", squlearn_qulacs),
}


# ----------------------------------------------------------------------------------------
# The hardware protocol: one compute-uncompute circuit per pair
# ----------------------------------------------------------------------------------------

def qiskit_cu(n: int, reps: int, entanglement: str, x: np.ndarray, budget: float) -> dict:
    """Qiskit-ML ``FidelityQuantumKernel`` (``ComputeUncompute``), two sizes, extrapolated."""
    from qiskit_machine_learning.kernels import FidelityQuantumKernel

    kernel = FidelityQuantumKernel(feature_map=qiskit_map(n, reps, entanglement))
    kernel.evaluate(x[:2])  # warm-up
    box = {}

    def run(size):
        box["K"] = kernel.evaluate(x[:size])

    m = len(x)
    sizes = sorted({max(2, m // 2), m})
    times = {size: median_time(lambda s=size: run(s), min_repeats=1, budget_s=budget)
             for size in sizes}
    # T(N) = a + c P(N), P(N) = N (N - 1) / 2 pair circuits, through the measured points.
    n_pairs = [s * (s - 1) / 2 for s in sizes]
    t = [times[s][0] for s in sizes]
    if len(sizes) == 2 and n_pairs[1] > n_pairs[0]:
        c = (t[1] - t[0]) / (n_pairs[1] - n_pairs[0])
        a = t[1] - c * n_pairs[1]
        if a < 0 or c < 0:
            a, c = 0.0, t[1] / n_pairs[1]
    else:
        a, c = 0.0, t[-1] / max(1.0, n_pairs[-1])
    return {"sizes": sizes, "times_s": t, "repeats": [times[s][1] for s in sizes],
            "K": box["K"], "model": "T(N) = a + c N (N - 1) / 2", "a": float(a), "c": float(c),
            "predict": lambda N: float(a + c * N * (N - 1) / 2)}


def _pennylane_cu_circuit(n: int, reps: int, entanglement: str, device: str):
    import pennylane as qml

    zz = _pennylane_zz(n, reps, entanglement)

    @qml.qnode(qml.device(device, wires=n))
    def compute_uncompute(xa, xb):
        zz(xa)
        qml.adjoint(zz)(xb)
        return qml.probs(wires=range(n))

    return compute_uncompute


def pennylane_cu_gram(circuit, x: np.ndarray, mode: str) -> np.ndarray:
    """``K_ij = P(0^n)`` of the compute-uncompute circuit, pairs ``i < j``."""
    import pennylane as qml

    m, n = x.shape
    if mode == "loop":
        return np.asarray(qml.kernels.square_kernel_matrix(
            x, lambda a, b: circuit(a, b)[0], assume_normalized_kernel=True), dtype=float)
    iu, ju = np.triu_indices(m, 1)
    K = np.eye(m)
    chunk = int(max(1, min(4096, (1 << 22) >> n)))
    for s in range(0, len(iu), chunk):
        i, j = iu[s:s + chunk], ju[s:s + chunk]
        p0 = np.asarray(circuit(x[i], x[j])).reshape(len(i), -1)[:, 0]
        K[i, j] = K[j, i] = p0
    return K


def pennylane_cu(n: int, reps: int, entanglement: str, x: np.ndarray, budget: float,
                 mode: str, device: str) -> dict:
    """PennyLane compute-uncompute qnode per pair, extrapolated by the pair count."""
    circuit = _pennylane_cu_circuit(n, reps, entanglement, device)
    pennylane_cu_gram(circuit, x[:3], mode)  # warm-up
    K = pennylane_cu_gram(circuit, x, mode)
    t, repeats = median_time(lambda: pennylane_cu_gram(circuit, x, mode), min_repeats=1,
                             budget_s=budget)
    m = len(x)
    per_pair = t / max(1, m * (m - 1) // 2)
    return {"sizes": [m], "times_s": [t], "repeats": [repeats], "mode": mode, "device": device,
            "model": f"T(N) = c N (N - 1) / 2 ({mode})", "c": per_pair, "K": K,
            "predict": lambda N: float(per_pair * N * (N - 1) / 2)}
