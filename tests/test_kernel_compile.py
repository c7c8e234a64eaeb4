"""Kernel states in fixed-size chunks and the pair-step scan: same values as the exact
paths whatever the chunk size, one compiled program for every number of points."""

from __future__ import annotations

import numpy as np
import pytest

import qinspired._batching as batching
from qinspired.circuits import Circuit, NoiseModel, statevector
from qinspired.circuits._engine import pair_scan
from qinspired.circuits.channels import Depolarizing
from qinspired.feature_maps import (
    AngleEncoding,
    HamiltonianEvolutionEncoding,
    HardwareEfficientEncoding,
    ZZFeatureMap,
)
from qinspired.kernels import FidelityKernel, ProjectedKernel
from qinspired.kernels import _states

from _dense import gates_unitary, random_parametrised_circuit, random_unitary

TWO_QUBIT = ["rx", "ry", "rz", "h", "u3", "sx", "rxx", "ryy", "rzz", "cx", "cy", "cz", "crx",
             "cry", "crz", "cp", "swap", "iswap"]


@pytest.mark.usefixtures("x64")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pair_scan_equals_the_dense_product(seed):
    rng = np.random.default_rng(seed)
    circ, x, w, info = random_parametrised_circuit(rng, 4, 30, TWO_QUBIT)
    got = np.asarray(pair_scan.scan_statevectors(circ, np.asarray(x)[None], np.asarray(w)))[0]
    np.testing.assert_allclose(got, gates_unitary(info, 4)[:, 0], atol=1e-12)


@pytest.mark.usefixtures("x64")
def test_pair_scan_handles_matrices_adjoints_and_idle_wires():
    rng = np.random.default_rng(5)
    u2, u1 = random_unitary(rng, 4), random_unitary(rng, 2)
    circ = Circuit(4, [("ry", 3, 0.3), ("unitary", (2, 0), u2), ("rxx", (0, 2), 0.7),
                       ("unitary", (1,), u1), ("h", 1), ("cx", (2, 0)), ("rz", 3, 1.1)])
    for c in (circ, circ.inverse()):
        got = np.asarray(pair_scan.scan_statevectors(c, np.zeros((1, 0)), np.zeros(0)))[0]
        np.testing.assert_allclose(got, np.asarray(statevector(c)), atol=1e-12)


def test_pair_steps_merge_gates_on_a_pair_and_defer_single_qubit_gates():
    circ = HamiltonianEvolutionEncoding(3, trotter_steps=2).circuit
    steps = pair_scan.pair_steps(circ.operations, circ.n_qubits)
    assert [pair for pair, _ in steps] == [(0, 1), (1, 2), (2, 3)] * 2
    assert [len(gates) for _, gates in steps] == [9, 6, 6, 3, 3, 3]  # rotations join first
    lone = Circuit(3, [("cx", (0, 1)), ("rx", 2, 0.1)])
    assert [pair for pair, _ in pair_scan.pair_steps(lone.operations, 3)] == [(0, 1), (1, 2)]


def test_routing_to_the_pair_scan():
    assert pair_scan.use_pair_scan(HamiltonianEvolutionEncoding(2).circuit, None)
    assert pair_scan.use_pair_scan(HardwareEfficientEncoding(3).circuit, np.zeros(12))
    assert not pair_scan.use_pair_scan(ZZFeatureMap(3).circuit, None)  # diagonal runs
    assert not pair_scan.use_pair_scan(Circuit(3, [("ccx", (0, 1, 2)), ("rxx", (0, 1), 0.2)]),
                                        None)
    assert not pair_scan.use_pair_scan(AngleEncoding(1).circuit, None)


@pytest.mark.parametrize("fm", [HamiltonianEvolutionEncoding(3, trotter_steps=2),
                                HardwareEfficientEncoding(3, n_layers=1, trainable=False)],
                         ids=["hamiltonian", "hardware_efficient"])
def test_kernel_states_equal_the_engine(fm):
    X = np.random.default_rng(0).normal(size=(11, 3))
    got = FidelityKernel(fm, backend="statevector").states(X).data
    np.testing.assert_allclose(np.asarray(got), np.asarray(statevector(fm, X)), atol=2e-6)


def test_fixed_rows_depend_only_on_the_row_size():
    for per_row in (1, 100, 4096, 3 << 20, 1 << 30):
        rows = batching.fixed_rows(per_row, 1 << 28)
        assert rows >= 1 and rows & (rows - 1) == 0 and rows <= batching.FIXED_CHUNK_ROWS
        assert rows == 1 or rows * per_row <= batching.FIXED_CHUNK_BYTES
        assert rows == batching.FIXED_CHUNK_ROWS or 2 * rows * per_row > batching.FIXED_CHUNK_BYTES
    assert batching.fixed_rows(1 << 20, 1 << 21) == 2  # the caller's bound is kept


@pytest.mark.parametrize("chunk", [1, 3, 8])
def test_chunk_size_does_not_change_any_kernel(monkeypatch, chunk):
    X = np.random.default_rng(1).normal(size=(10, 3))
    Y = X[:7] + 0.1
    noise = NoiseModel().add_all_qubit(Depolarizing(0.05))
    cases = [(FidelityKernel(HamiltonianEvolutionEncoding(3, trotter_steps=2)), X, Y),
             (ProjectedKernel(HamiltonianEvolutionEncoding(3, trotter_steps=2), gamma=0.7), X, Y),
             (FidelityKernel(ZZFeatureMap(3, reps=1), backend="statevector"), X, Y),
             (FidelityKernel(AngleEncoding(3), backend="product"), X, Y),
             (FidelityKernel(ZZFeatureMap(2, reps=1), noise=noise), X[:, :2], Y[:, :2]),
             (ProjectedKernel(ZZFeatureMap(2, reps=1), gamma=0.5, noise=noise), X[:, :2],
              Y[:, :2])]
    base = [(k(A), k(A, B)) for k, A, B in cases]
    monkeypatch.setattr(batching, "FIXED_CHUNK_ROWS", chunk)
    for (k, A, B), (kaa, kab) in zip(cases, base):
        np.testing.assert_allclose(k(A), kaa, rtol=0, atol=1e-6)
        np.testing.assert_allclose(k(A, B), kab, rtol=0, atol=1e-6)


def test_a_new_number_of_points_reuses_the_compiled_states():
    fm = HamiltonianEvolutionEncoding(3, trotter_steps=2)
    k = FidelityKernel(fm)
    X = np.random.default_rng(2).normal(size=(40, 3))
    k(X[:13])
    before = pair_scan.scan_statevectors._cache_size()
    for n in (1, 29, 40):
        assert k.states(X[:n]).data.shape == (n, 16)
    assert pair_scan.scan_statevectors._cache_size() == before


def test_memory_estimate_still_refuses_before_simulating():
    circ = Circuit(26, [("rxx", (0, 1), 0.1)])
    with pytest.raises(Exception, match="statevectors"):
        _states.statevectors(circ, np.zeros((10**6, 0)), None)
