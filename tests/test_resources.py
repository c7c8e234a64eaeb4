"""QPU resource estimates against hand counts."""

from __future__ import annotations

import math

import pytest

from qinspired import ZZFeatureMap
from qinspired.circuits import Circuit, feature, weight
from qinspired.circuits.resources import (
    circuit_resources,
    kernel_resources,
    shots_for_precision,
    variational_resources,
)


def test_circuit_counts_and_depth_by_hand():
    c = Circuit(3, [("h", 0), ("h", 1), ("cx", (0, 1)), ("rz", 2, feature(0)), ("cx", (1, 2))])
    r = circuit_resources(c)
    assert (r.n_qubits, r.n_gates, r.n_two_qubit_gates) == (3, 5, 2)
    assert r.depth == 3  # h | cx(0,1), rz(2) | cx(1,2)
    assert r.gate_counts == {"h": 2, "cx": 2, "rz": 1}


def test_shots_for_precision_matches_the_normal_interval():
    assert shots_for_precision(0.01) == math.ceil(1.959963984540054**2 * 0.25 / 1e-4)
    assert shots_for_precision(0.01, p=0.1) == math.ceil(1.959963984540054**2 * 0.09 / 1e-4)
    assert shots_for_precision(0.01, expectation=True) == math.ceil(
        1.959963984540054**2 / 1e-4)
    with pytest.raises(ValueError, match="confidence"):
        shots_for_precision(0.01, confidence=1.5)
    with pytest.raises(ValueError, match="epsilon"):
        shots_for_precision(0.0)


def test_kernel_resources_count_compute_uncompute_circuits():
    fm = ZZFeatureMap(2, reps=1)  # H H P P CX P CX: 7 gates, 2 of them CX
    r = kernel_resources(fm, 10, 5, precision=0.05)
    assert r["circuits"] == 45 + 50
    assert r["n_gates"] == 14 and r["n_two_qubit_gates"] == 4
    assert r["total_shots"] == r["circuits"] * shots_for_precision(0.05)


def test_variational_resources_count_parameter_shift_circuits():
    c = Circuit(1, [("ry", 0, feature(0)), ("rz", 0, weight(0)), ("ry", 0, weight(1))])
    r = variational_resources(c, 20, 10, epochs=3)
    assert r["circuits"] == 20 * 3 * (1 + 2 * 2) + 10
    assert r["n_weights"] == 2
