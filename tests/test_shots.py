"""Finite-shot sampling, readout errors and shot estimates, against exact values.

Statistical checks use fixed keys and 5-sigma bounds, so they are deterministic and would
fail by chance with probability below 1e-6 per comparison if the code were right but the
key were drawn at random.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest
from _dense import PAULI, H

from qinspired.circuits import Circuit, expectation, pauli, statevector
from qinspired.circuits.shots import (
    confusion_matrices,
    counts,
    estimate_expectation,
    exact_expectation,
    frequencies,
    sample_bits,
)

SDG = np.diag([1.0, -1.0j])


def random_state(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    return psi / np.linalg.norm(psi)


def random_density(seed: int, n: int, rank: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(2**n, rank)) + 1j * rng.normal(size=(2**n, rank))
    rho = a @ a.conj().T
    return rho / np.trace(rho)


def confusion(p0given1: float, p1given0: float) -> np.ndarray:
    return np.array([[1 - p1given0, p0given1], [p1given0, 1 - p0given1]])


READOUT3 = [confusion(0.08, 0.03), None, confusion(0.2, 0.1)]
OBS = (pauli("Z0 Z1") + 0.5 * pauli("X2") - 0.3 * pauli("Y1 X0") + 0.2 * pauli("Z0")
       + 0.7 * pauli("Y2"))


def dense_observable(obs, n: int) -> np.ndarray:
    total = np.zeros((2**n, 2**n), dtype=complex)
    for coef, ops in obs.terms:
        letters = dict(ops)
        m = np.eye(1)
        for q in range(n):
            m = np.kron(m, PAULI[letters.get(q, "I")])
        total += coef * m
    return total


def dense_readout_expectation(rho: np.ndarray, obs, readout) -> float:
    """Reference: rotate rho fully with dense kron matrices, read out with dense kron(M)."""
    n = int(np.log2(rho.shape[0]))
    value = 0.0
    for coef, ops in obs.terms:
        letters = dict(ops)
        u = np.eye(1)
        for q in range(n):
            r = {"X": H, "Y": H @ SDG}.get(letters.get(q, "I"), np.eye(2))
            u = np.kron(u, r)
        p = np.real(np.diag(u @ rho @ u.conj().T))
        a = np.eye(1)
        for q in range(n):
            m = readout[q] if readout is not None and readout[q] is not None else np.eye(2)
            a = np.kron(a, m)
        p = a @ p
        signs = np.ones(2**n)
        for idx in range(2**n):
            parity = sum((idx >> (n - 1 - q)) & 1 for q in letters)
            signs[idx] = -1.0 if parity % 2 else 1.0
        value += coef * float(signs @ p)
    return value


# ----------------------------------------------------------------------------- sample_bits

def test_same_key_same_bits_and_shapes() -> None:
    psi = np.stack([random_state(0, 3), random_state(1, 3)])
    key = jax.random.key(3)
    bits = np.asarray(sample_bits(key, psi, 1000, readout=READOUT3))
    assert bits.shape == (2, 1000, 3) and bits.dtype == np.uint8
    np.testing.assert_array_equal(bits, np.asarray(sample_bits(key, psi, 1000, readout=READOUT3)))
    assert not np.array_equal(bits, np.asarray(sample_bits(jax.random.key(4), psi, 1000,
                                                           readout=READOUT3)))
    sub = np.asarray(sample_bits(key, psi, 10, wires=[2, 0]))
    assert sub.shape == (2, 10, 2)


def test_density_matrix_uses_its_diagonal() -> None:
    bell = statevector(Circuit(2, [("h", 0), ("cx", (0, 1))]))
    rho = np.outer(bell, np.conj(bell))
    key = jax.random.key(0)
    np.testing.assert_array_equal(np.asarray(sample_bits(key, bell, 500)),
                                  np.asarray(sample_bits(key, rho, 500)))
    # a batch of 4 statevectors of 2 qubits is (4, 4): density=False says so
    batch = np.eye(4, dtype=complex)
    bits = np.asarray(sample_bits(key, batch, 3, density=False))
    assert bits.shape == (4, 3, 2)
    np.testing.assert_array_equal(bits[:, 0], [[0, 0], [0, 1], [1, 0], [1, 1]])


def test_sampled_frequencies_match_probabilities() -> None:
    rho = random_density(5, 3)
    shots = 40_000
    bits = sample_bits(jax.random.key(11), rho, shots, wires=[2, 0])
    freq = np.asarray(frequencies(bits))
    p = np.real(np.diag(rho)).reshape(2, 2, 2).sum(axis=1).T.reshape(4)  # (w2, w0) order
    sigma = np.sqrt(p * (1 - p) / shots)
    assert np.all(np.abs(freq - p) <= 5 * sigma)


def test_readout_flips_match_confusion_probabilities() -> None:
    """Same key with and without readout: the difference is exactly the flips, at rate M[1-b, b]."""
    psi = random_state(7, 3)
    shots = 60_000
    key = jax.random.key(21)
    clean = np.asarray(sample_bits(key, psi, shots)).astype(int)
    noisy = np.asarray(sample_bits(key, psi, shots, readout=READOUT3)).astype(int)
    flipped = clean ^ noisy
    for q, m in enumerate(READOUT3):
        m = np.eye(2) if m is None else m
        for b in (0, 1):
            sel = clean[:, q] == b
            rate, expected = flipped[sel, q].mean(), m[1 - b, b]
            sigma = np.sqrt(expected * (1 - expected) / sel.sum())
            assert abs(rate - expected) <= 5 * sigma + 1e-12, (q, b, rate, expected)
    # and the measured distribution is (M0 (x) M1 (x) M2) p
    a = np.kron(np.kron(READOUT3[0], np.eye(2)), READOUT3[2])
    p_meas = a @ (np.abs(psi) ** 2)
    freq = np.asarray(frequencies(noisy))
    sigma = np.sqrt(p_meas * (1 - p_meas) / shots)
    assert np.all(np.abs(freq - p_meas) <= 5 * sigma)


def test_readout_error_objects_and_noise_models_are_accepted() -> None:
    from qinspired.circuits import channels
    err = channels.ReadoutError(p0given1=0.2, p1given0=0.05)
    np.testing.assert_allclose(np.asarray(confusion_matrices(err, 2)),
                               [confusion(0.2, 0.05)] * 2, atol=1e-7)
    mats = np.asarray(confusion_matrices([None, err], 2))
    np.testing.assert_allclose(mats[0], np.eye(2))
    assert confusion_matrices([None, None], 2) is None

    class Model:  # anything with readout_errors(n) works, as NoiseModel does
        def readout_errors(self, n):
            return (err,) * n

    np.testing.assert_allclose(np.asarray(confusion_matrices(Model(), 3)),
                               [confusion(0.2, 0.05)] * 3, atol=1e-7)


# ----------------------------------------------------------------------------- estimates

def test_exact_expectation_matches_dense_references() -> None:
    psi = random_state(2, 3)
    rho = random_density(3, 3)
    with jax.enable_x64(True):
        got_psi = float(exact_expectation(psi, OBS))
        got_rho = float(exact_expectation(rho, OBS))
        got_ro = float(exact_expectation(rho, OBS, readout=READOUT3))
        assert got_psi == pytest.approx(float(expectation(psi, OBS)), abs=1e-12)
    o = dense_observable(OBS, 3)
    assert got_rho == pytest.approx(float(np.real(np.trace(rho @ o))), abs=1e-12)
    assert got_ro == pytest.approx(dense_readout_expectation(rho, OBS, READOUT3), abs=1e-12)
    from qinspired.circuits import density
    with jax.enable_x64(True):
        assert got_rho == pytest.approx(float(density.density_expectation(rho, OBS)), abs=1e-12)


@pytest.mark.parametrize("readout", [None, READOUT3], ids=["ideal", "readout"])
def test_shot_estimate_is_unbiased_and_its_standard_error_is_right(readout) -> None:
    """400 independent estimates (a batch of copies of one state, each with its own draws)."""
    rho = random_density(9, 3)
    exact = dense_readout_expectation(rho, OBS, readout)
    shots, copies = 250, 400
    batch = np.broadcast_to(rho, (copies,) + rho.shape)
    est, se = estimate_expectation(jax.random.key(5), batch, OBS, shots, readout=readout)
    est, se = np.asarray(est, np.float64), np.asarray(se, np.float64)
    spread = est.std(ddof=1)
    # unbiased: the mean of 400 estimates is within 5 standard errors of the mean
    assert abs(est.mean() - exact) <= 5 * spread / np.sqrt(copies)
    # the reported standard error matches the empirical spread; the sample standard deviation
    # of 400 values has a relative error of about 1/sqrt(2 * 400) = 3.5%, so 15% is 4 sigma
    assert se.mean() / spread == pytest.approx(1.0, rel=0.15)


def test_estimates_over_seeds_and_states_agree() -> None:
    """Distinct keys give independent estimates; a statevector and its density matrix give
    the same estimate for the same key (same outcome distribution, same draws)."""
    psi = random_state(4, 3)
    rho = np.outer(psi, psi.conj())
    exact = float(np.real(psi.conj() @ dense_observable(OBS, 3) @ psi))
    values = []
    for seed in range(40):
        e_psi, se = estimate_expectation(jax.random.key(seed), psi, OBS, 2000)
        e_rho, _ = estimate_expectation(jax.random.key(seed), rho, OBS, 2000)
        assert float(e_psi) == pytest.approx(float(e_rho), abs=1e-5)
        values.append(float(e_psi))
    values = np.asarray(values)
    assert len(set(values.round(8))) > 35
    assert abs(values.mean() - exact) <= 5 * float(se) / np.sqrt(len(values))


def test_identity_terms_are_exact() -> None:
    psi = random_state(1, 2)
    obs = pauli("ZZ") * 0.0 + 1.5 * pauli("II")
    est, se = estimate_expectation(jax.random.key(0), psi, obs, 10)
    assert float(est) == pytest.approx(1.5, abs=1e-6) and float(se) == 0.0


def test_jit_over_the_state() -> None:
    psi = random_state(6, 2)
    fn = jax.jit(lambda key, s: estimate_expectation(key, s, "Z0 Z1", 100, density=False))
    a, _ = fn(jax.random.key(1), psi)
    b, _ = estimate_expectation(jax.random.key(1), psi, "Z0 Z1", 100)
    assert float(a) == pytest.approx(float(b), abs=1e-6)


# ----------------------------------------------------------------------------- summaries

def test_counts_and_frequencies() -> None:
    bits = np.array([[0, 1], [1, 1], [0, 1], [0, 0]], dtype=np.uint8)
    assert counts(bits) == {"00": 1, "01": 2, "11": 1}
    np.testing.assert_allclose(np.asarray(frequencies(bits)), [0.25, 0.5, 0.0, 0.25])
    x = statevector(Circuit(3, [("x", 0), ("x", 2)]))
    assert counts(sample_bits(jax.random.key(0), x, 7)) == {"101": 7}
    with pytest.raises(ValueError, match="shots, n_wires"):
        counts(np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match="0 or 1"):
        counts(np.array([[2, 0]]))


# ----------------------------------------------------------------------------- errors

@pytest.mark.parametrize("shots", [0, -3, 2.5, True])
def test_bad_shots(shots) -> None:
    with pytest.raises(ValueError, match="shots"):
        sample_bits(jax.random.key(0), random_state(0, 2), shots)
    with pytest.raises(ValueError, match="shots"):
        estimate_expectation(jax.random.key(0), random_state(0, 2), "Z0", shots)


def test_invalid_inputs_are_explained() -> None:
    key = jax.random.key(0)
    psi = random_state(0, 2)
    with pytest.raises(ValueError, match="power-of-two"):
        sample_bits(key, np.ones(3) / np.sqrt(3), 10)
    with pytest.raises(ValueError, match="sum to 1"):
        sample_bits(key, 2 * psi, 10)
    bad_rho = np.diag([1.2, -0.2, 0, 0]).astype(complex)
    with pytest.raises(ValueError, match="< 0"):
        sample_bits(key, bad_rho, 10)
    with pytest.raises(ValueError, match="NaN"):
        sample_bits(key, np.full(4, np.nan), 10)
    with pytest.raises(ValueError, match="out of range"):
        sample_bits(key, psi, 10, wires=[2])
    with pytest.raises(ValueError, match="repeat"):
        sample_bits(key, psi, 10, wires=[1, 1])
    with pytest.raises(ValueError, match="one per wire"):
        sample_bits(key, psi, 10, readout=[confusion(0.1, 0.1)] * 3)
    with pytest.raises(ValueError, match="column-stochastic"):
        sample_bits(key, psi, 10, readout=np.array([[0.9, 0.2], [0.2, 0.8]]))
    with pytest.raises(ValueError, match="outside"):
        sample_bits(key, psi, 10, readout=np.array([[1.5, 0.0], [-0.5, 1.0]]))
    with pytest.raises(ValueError, match="shape"):
        sample_bits(key, psi, 10, readout=np.ones((3, 3)))
    with pytest.raises(ValueError, match="wire 3"):
        estimate_expectation(key, psi, "Z3", 10)
    with pytest.raises(ValueError, match="density matrix"):
        sample_bits(key, np.eye(4)[:, :2], 10, density=True)
