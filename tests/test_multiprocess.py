"""Two JAX processes x two CPU devices on 127.0.0.1 against one process.

The processes (``_multiprocess_worker.py``) join one cluster with
``jax.distributed.initialize`` and gloo CPU collectives, and run the same user script:
``k(X)``, ``k(X, Y)``, ``k(X, out=<one shared path>)`` and a ``QuantumKernelSVC``. Their
results must equal those of the same script in this (single) process; the shared file must
be written by process 0 alone.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import _multiprocess_worker as worker

N_PROCESSES = 2
TIMEOUT_S = 300
WORKER = Path(__file__).with_name("_multiprocess_worker.py")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _kill(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _stderr_tails(work_dir: Path) -> str:
    return "\n".join(f"--- process {i} stderr ---\n"
                     + (work_dir / f"stderr_{i}.txt").read_text()[-3000:]
                     for i in range(N_PROCESSES))


def _launch(work_dir: Path) -> list[dict[str, np.ndarray]]:
    """Run the workers, each in its own process group; kill them all on failure or timeout."""
    port = _free_port()
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2",
               JAX_PLATFORMS="cpu")
    procs = []
    try:
        for i in range(N_PROCESSES):
            with open(work_dir / f"stderr_{i}.txt", "w") as err:
                procs.append(subprocess.Popen(
                    [sys.executable, str(WORKER), str(i), str(N_PROCESSES), str(port),
                     str(work_dir)],
                    env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True))
        deadline = time.monotonic() + TIMEOUT_S
        while any(p.poll() is None for p in procs):
            failed = [p.returncode for p in procs if p.returncode not in (None, 0)]
            if failed or time.monotonic() > deadline:
                _kill(procs)
                reason = f"exit codes {failed}" if failed else f"timeout after {TIMEOUT_S} s"
                pytest.fail(f"worker processes failed ({reason})\n{_stderr_tails(work_dir)}")
            time.sleep(0.2)
    finally:
        _kill(procs)
    codes = [p.returncode for p in procs]
    assert codes == [0] * N_PROCESSES, f"exit codes {codes}\n{_stderr_tails(work_dir)}"
    return [dict(np.load(work_dir / f"result_{i}.npz")) for i in range(N_PROCESSES)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):
    """The results of every worker, of the same script in this one process, the shared dir."""
    work_dir = tmp_path_factory.mktemp("cluster")
    results = _launch(work_dir)
    reference = worker.compute(tmp_path_factory.mktemp("single"))
    return results, reference, work_dir


def test_each_process_sees_the_whole_cluster(runs):
    results, _, _ = runs
    for res in results:
        np.testing.assert_array_equal(res["layout"], [N_PROCESSES, 2 * N_PROCESSES, 2])


@pytest.mark.parametrize("name", ["K", "K_xy", "K_one_device_each"])
def test_gram_matrices_equal_one_process(runs, name):
    results, reference, _ = runs
    assert np.allclose(np.diag(reference["K"]), 1.0, atol=1e-6)
    for res in results:
        np.testing.assert_allclose(res[name], reference[name], rtol=0, atol=1e-6)


def test_svc_fit_predict_equal_one_process(runs):
    results, reference, _ = runs
    for res in results:
        np.testing.assert_array_equal(res["predict"], reference["predict"])
        np.testing.assert_allclose(res["decision"], reference["decision"], rtol=0, atol=1e-5)


def test_out_path_is_written_by_process_zero_alone(runs):
    results, reference, work_dir = runs
    written = np.load(work_dir / "gram.npy")
    np.testing.assert_allclose(written, reference["K"], rtol=0, atol=1e-6)
    # Process 0 returns its writable memmap, the others the finished file opened read-only.
    assert [bool(res["out_writeable"]) for res in results] == [True] + [False] * (N_PROCESSES - 1)
    for res in results:
        np.testing.assert_array_equal(res["K_out"], written)


def test_misuse_raises_a_clear_error_in_every_process(runs):
    results, _, _ = runs
    for res in results:
        assert "devices=3 under 2 processes must be a multiple of 2" in str(res["devices"])
        assert "process(es) [1] do not see the file" in str(res["unshared_out"])
