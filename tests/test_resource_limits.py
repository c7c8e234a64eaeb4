"""Every allocation-sized request is estimated first and refused with a readable size.

The sizes asked for here are absurd (terabytes and beyond), so the refusals hold on any
machine; the companion cases are large-but-fine sizes that must keep working.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from qinspired import MPSRegressor, TTNRegressor, VariationalCircuitClassifier
from qinspired._validation import SimulationTooLargeError, format_bytes, format_count
from qinspired.circuits import Circuit, mps_state, sample, statevector
from qinspired.circuits.channels import AmplitudeDamping
from qinspired.circuits.density import density_matrix
from qinspired.circuits.noise_model import NoiseModel
from qinspired.circuits.shots import estimate_expectation, sample_bits
from qinspired.circuits.trajectory import trajectories


@pytest.mark.parametrize("n_bytes, text", [
    (0, "0.0 B"), (1536, "1.5 KiB"), (24 * 2**60, "24.0 EiB"), (1024**7, "1.2e+21 B"),
    (16 * 2**10_000, "3.2e+3011 B"),  # float() of it overflows
    (3 * 4**10_000, "1.2e+6021 B"),  # str() of it exceeds Python's digit limit
], ids=["zero", "kib", "eib", "zib", "2**10004", "3*4**10000"])
def test_format_bytes_takes_any_integer(n_bytes, text) -> None:
    assert format_bytes(n_bytes) == text


def test_format_count_is_exact_when_small_and_scientific_when_huge() -> None:
    assert format_count(4**10) == "1048576"
    assert format_count(4**60) == "1.3e+36"  # 1.329e36
    assert format_count(10**20 - 1) == "1.0e+20"  # 9.99..e19 rounds up to the next power


@pytest.mark.parametrize("simulate, size", [(statevector, r"e\+3011 B"),
                                            (density_matrix, r"e\+6021 B")])
def test_ten_thousand_qubits_are_refused_with_a_readable_size(simulate, size) -> None:
    with pytest.raises(SimulationTooLargeError, match=rf"10000 qubits.*{size}"):
        simulate(Circuit(10_000, [("h", 0)]))


def test_density_message_writes_the_entry_count_compactly() -> None:
    with pytest.raises(SimulationTooLargeError, match=r"4\*\*60 = 1\.3e\+36 entries"):
        density_matrix(Circuit(60, [("h", 0)]))


def test_huge_shot_counts_are_refused_before_sampling() -> None:
    psi = statevector(Circuit(2, [("h", 0)]))
    key = jax.random.key(0)
    with pytest.raises(SimulationTooLargeError, match=r"1000000000000 shots.*TiB.*fewer shots"):
        sample(key, psi, 10**12)
    rho = density_matrix(Circuit(2, [("h", 0)]))
    with pytest.raises(SimulationTooLargeError, match="sample_bits: 1000000000000 shots"):
        sample_bits(key, rho, 10**12)
    with pytest.raises(SimulationTooLargeError, match="estimate_expectation: 10000000000 shots"):
        estimate_expectation(key, psi, "Z0 Z1", 10**10)


def test_a_million_shots_still_work() -> None:
    psi = statevector(Circuit(1, [("h", 0)]))
    bits = np.asarray(sample(jax.random.key(1), psi, 10**6))
    assert bits.shape == (10**6, 1)
    assert abs(bits.mean() - 0.5) < 5 * 0.5 / 1e3  # 5 sigma of a fair coin over 1e6 shots


def test_huge_trajectory_counts_are_refused() -> None:
    noise = NoiseModel().add_all_qubit(AmplitudeDamping(0.3))
    with pytest.raises(SimulationTooLargeError, match=r"1000000000000 trajectories.*TiB"):
        trajectories(Circuit(1, [("x", 0)]), noise=noise, key=jax.random.key(0),
                     n_trajectories=10**12)


def test_huge_bond_dimensions_are_refused() -> None:
    with pytest.raises(SimulationTooLargeError, match=r"max_bond=1000000.*smaller max_bond"):
        mps_state(Circuit(60, [("h", 0)]), max_bond=10**6)
    X = np.random.default_rng(0).uniform(size=(6, 64))
    y = X.sum(axis=1)
    for cls in (MPSRegressor, TTNRegressor):
        with pytest.raises(SimulationTooLargeError, match=r"bond_dim=1000000.*smaller bond_dim"):
            cls(bond_dim=10**6, max_iter=1).fit(X, y)


def test_large_but_fine_bond_dimension_still_works() -> None:
    ghz = Circuit(12, [("h", 0)] + [("cx", (q, q + 1)) for q in range(11)])
    result = mps_state(ghz, max_bond=64)
    assert float(result.truncation_error) < 1e-6


def test_a_fitted_model_with_huge_shots_refuses_to_predict() -> None:
    X = np.random.default_rng(0).uniform(size=(8, 2))
    y = (X[:, 0] > 0.5).astype(int)
    clf = VariationalCircuitClassifier(n_layers=1, epochs=1, random_state=0).fit(X, y)
    clf.set_params(shots=10**12)
    with pytest.raises(SimulationTooLargeError, match="1000000000000 shots"):
        clf.predict(X)
