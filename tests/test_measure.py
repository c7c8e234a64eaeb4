"""Probabilities, marginals, sampling and reduced density matrices against NumPy."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from qinspired.circuits import (
    pauli,
    probabilities,
    reduced_density_matrix,
    sample,
)


def random_states(seed: int, n: int, batch: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=(batch, 2**n)) + 1j * rng.normal(size=(batch, 2**n))
    return psi / np.linalg.norm(psi, axis=1, keepdims=True)


def test_marginals_follow_the_wire_order() -> None:
    psi = random_states(0, 4)
    with jax.enable_x64(True):
        got = np.asarray(probabilities(psi, wires=[3, 1]))
    p = (np.abs(psi) ** 2).reshape(3, 2, 2, 2, 2)
    ref = p.sum(axis=(1, 3)).transpose(0, 2, 1).reshape(3, 4)  # axes (w1, w3) -> (w3, w1)
    np.testing.assert_allclose(got, ref, atol=1e-12)
    np.testing.assert_allclose(np.asarray(probabilities(psi)).sum(axis=1), 1.0, atol=1e-6)


def test_reduced_density_matrix_equals_partial_trace() -> None:
    psi = random_states(1, 3, batch=1)[0]
    with jax.enable_x64(True):
        rho = np.asarray(reduced_density_matrix(psi, [2, 0]))
    full = np.outer(psi, psi.conj()).reshape((2,) * 6)
    ref = np.einsum("abcdbf->acdf", full)  # trace out wire 1: (a c | d f) = (w0 w2 | w0 w2)
    ref = ref.transpose(1, 0, 3, 2).reshape(4, 4)  # reorder to (w2, w0)
    np.testing.assert_allclose(rho, ref, atol=1e-12)
    assert np.trace(rho) == pytest.approx(1.0)
    assert np.all(np.linalg.eigvalsh(rho) > -1e-12)


def test_sampling_is_reproducible_and_unbiased() -> None:
    psi = random_states(2, 3, batch=2)
    key = jax.random.key(7)
    shots = 20_000
    bits = np.asarray(sample(key, psi, shots))
    assert bits.shape == (2, shots, 3) and bits.dtype == np.uint8
    np.testing.assert_array_equal(bits, np.asarray(sample(key, psi, shots)))
    assert not np.array_equal(bits, np.asarray(sample(jax.random.key(8), psi, shots)))
    idx = bits @ np.array([4, 2, 1])
    p = np.abs(psi) ** 2
    for b in range(2):
        freq = np.bincount(idx[b], minlength=8) / shots
        # each frequency within 5 binomial standard deviations of its probability
        sigma = np.sqrt(p[b] * (1 - p[b]) / shots)
        assert np.all(np.abs(freq - p[b]) <= 5 * sigma + 1e-12)


def test_sampling_a_subset_of_wires() -> None:
    psi = np.zeros(8, dtype=complex)
    psi[0b110] = 1.0
    bits = np.asarray(sample(jax.random.key(0), psi, 5, wires=[2, 0]))
    np.testing.assert_array_equal(bits, np.tile([0, 1], (5, 1)))


def test_bad_measurement_arguments() -> None:
    psi = random_states(3, 2, batch=1)[0]
    with pytest.raises(ValueError, match="out of range"):
        probabilities(psi, [2])
    with pytest.raises(ValueError, match="repeat"):
        reduced_density_matrix(psi, [0, 0])
    with pytest.raises(ValueError, match="shots"):
        sample(jax.random.key(0), psi, 0)
    with pytest.raises(ValueError, match="power of two"):
        probabilities(np.ones(3))
    with pytest.raises(ValueError, match="cannot parse"):
        pauli("Q0")
    with pytest.raises(ValueError, match="repeats a wire"):
        pauli("Z0 X0")
