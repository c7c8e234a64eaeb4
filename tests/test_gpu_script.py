"""The GPU run (``benchmarks/gpu.sh`` -> ``benchmarks/gpu.py``) in its CPU dry run, so it cannot rot."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("gpu") / "run" / "gpu.json"
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    proc = subprocess.run(["bash", str(BENCH / "gpu.sh"), str(out), "--dry-run"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


def test_dry_run_reports_every_part(report):
    assert report["dry_run"] is True
    assert report["env"]["backend"] == "cpu"
    assert set(report) >= {"env", "reference", "agreement", "states", "gemm_peak", "gram",
                           "compile_s", "wall_s"}
    assert report["reference"]["peak_gbps"] is None  # no datasheet value for a CPU
    assert report["reference"]["copy"]["gbps"] > 0
    assert report["gemm_peak"]["complex64"]["tflops"] > 0
    assert report["gemm_peak"]["float32"]["tflops"] > 0


def test_states_bandwidth_follows_the_pass_count(report):
    rows = report["states"]
    assert [row["n_qubits"] for row in rows] == report["sizes"]["qubits"]
    for row in rows:
        n, batch = row["n_qubits"], row["batch"]
        # ZZ map, reps=2: (Hadamard layer, one diagonal phase vector) twice; a single-qubit
        # layer runs in blocks of at most 3 wires up to 20 qubits, 4 beyond.
        block = 3 if n <= 20 else 4
        assert row["gate_passes"] == 2 * (-(-n // block) + 1)
        assert row["bytes_per_gate_pass"] == 2 * batch * 2**n * 8  # complex64, read + write
        expected = row["gate_passes"] * row["bytes_per_gate_pass"] / row["steady_s"] / 1e9
        assert row["gbps"] == pytest.approx(expected)
        assert row["states_per_s"] == pytest.approx(batch / row["steady_s"])
        assert row["fraction_of_copy_bandwidth"] == pytest.approx(
            row["gbps"] / report["reference"]["copy"]["gbps"])
        assert row["fraction_of_peak_bandwidth"] is None
        assert report["compile_s"][f"statevector_n{n}"] >= 0


def test_gram_rate_is_against_the_matching_gemm_peak(report):
    gram = report["gram"]
    assert gram["n_points"] == report["sizes"]["gram_points"]
    assert gram["arithmetic"] == "real"  # every device is a CPU
    nominal = 8 * gram["n_points"] ** 2 * 2 ** gram["n_qubits"] / gram["gram"]["steady_s"] / 1e12
    assert gram["nominal_tflops"] == pytest.approx(nominal)
    assert gram["fraction_of_gemm_peak"] == pytest.approx(
        nominal / report["gemm_peak"]["float32"]["tflops"])
    assert gram["first_call_s"] > 0


def test_agreement_with_the_cpu_is_small(report):
    agreement = report["agreement"]
    assert agreement["reference_device"] == "cpu"
    assert agreement["states_max_abs_diff"] <= 1e-6
    # complex64 Gram against a complex128 one of the same states
    assert 0 < agreement["gram_max_abs_diff"] <= 1e-5


def test_peak_bandwidth_table_matches_device_kinds(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import gpu

    assert gpu.peak_bandwidth_gbps("NVIDIA H200") == 4800.0
    assert gpu.peak_bandwidth_gbps("NVIDIA H100 80GB HBM3") == 3350.0
    assert gpu.peak_bandwidth_gbps("NVIDIA H100 PCIe") == 2000.0
    assert gpu.peak_bandwidth_gbps("NVIDIA A100-SXM4-80GB") == 2039.0
    assert gpu.peak_bandwidth_gbps("NVIDIA A100-SXM4-40GB") == 1555.0
    assert gpu.peak_bandwidth_gbps("cpu") is None
