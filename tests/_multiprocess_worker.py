"""One JAX process of the several-process kernel test (not a test module).

``python tests/_multiprocess_worker.py PROCESS_ID NUM_PROCESSES PORT WORK_DIR`` joins a
cluster on ``127.0.0.1:PORT`` with gloo CPU collectives, runs what a user's script would run
on every host (:func:`compute`) and saves its results to ``WORK_DIR/result_<PROCESS_ID>.npz``.
Run it with ``XLA_FLAGS=--xla_force_host_platform_device_count=2`` for two CPU devices per
process. ``tests/test_multiprocess.py`` launches the processes and calls :func:`compute` in one
process for the reference.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import numpy as np


def data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tiny training and test sets (3 features), the same in every process.

    Both have 12 rows, so every Gram matrix has one block shape (one compilation per mesh).
    """
    rng = np.random.default_rng(7)
    X = rng.normal(size=(12, 3))
    Y = rng.normal(size=(12, 3))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    y_test = (Y[:, 0] * Y[:, 1] > 0).astype(int)
    return X, y, Y, y_test


def compute(work_dir: Path) -> dict[str, np.ndarray]:
    """The user's script: Gram matrices, one written to ``work_dir/gram.npy``, and an SVC."""
    import jax

    from qinspired import QuantumKernelSVC
    from qinspired.feature_maps import ZZFeatureMap
    from qinspired.kernels import FidelityKernel

    X, y, Y, y_test = data()
    kernel = FidelityKernel(ZZFeatureMap(3))
    K_out = kernel(X, out=work_dir / "gram.npy")
    svc = QuantumKernelSVC(kernel=FidelityKernel(ZZFeatureMap(3))).fit(X, y)
    return {
        "K": kernel(X),
        "K_xy": kernel(X, Y),
        "K_one_device_each": FidelityKernel(ZZFeatureMap(3), devices=jax.process_count())(X, Y),
        "K_out": np.array(K_out),
        "out_writeable": np.array(K_out.flags.writeable),
        "predict": svc.predict(Y),
        "decision": svc.decision_function(Y),
        "y_test": y_test,
    }


def _errors(work_dir: Path) -> dict[str, np.ndarray]:
    """Messages of the errors a misuse under several processes must raise in every process."""
    import jax

    from qinspired.feature_maps import ZZFeatureMap
    from qinspired.kernels import FidelityKernel

    X = data()[0]
    messages = {}
    # devices=3 cannot be spread evenly over two processes.
    try:
        FidelityKernel(ZZFeatureMap(3), devices=3)(X)
    except ValueError as exc:
        messages["devices"] = str(exc)
    # A path each process has on its own disk: process 1 cannot see process 0's file.
    try:
        FidelityKernel(ZZFeatureMap(3))(X, out=work_dir / f"own_{jax.process_index()}.npy")
    except ValueError as exc:
        messages["unshared_out"] = str(exc)
    return {name: np.array(text) for name, text in messages.items()}


def main(argv: list[str]) -> None:
    process_id, num_processes, port = (int(v) for v in argv[1:4])
    work_dir = Path(argv[4])
    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=f"127.0.0.1:{port}",
                               num_processes=num_processes, process_id=process_id,
                               initialization_timeout=60)
    layout = np.array([jax.process_count(), jax.device_count(), jax.local_device_count()])
    results = compute(work_dir)
    results.update(_errors(work_dir))
    results["layout"] = layout
    np.savez(work_dir / f"result_{process_id}.npz", **results)
    jax.distributed.shutdown()


if __name__ == "__main__":
    try:
        main(sys.argv)
    except BaseException:
        # Exit at once: the interpreter's exit would wait in JAX's distributed shutdown
        # barrier for the other processes, which wait for this one.
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
