"""Bad input to the circuit simulators gets a clear error (or warning), never a crash or garbage.

Each test pins one audited case: the exception type, a fragment of the
message, and, where the valid neighbour of the bad input still runs, its
value against a dense NumPy reference built without the simulators.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _dense import H, X, Z, dense_unitary, depolarizing_kraus

import qinspired._validation as validation
from qinspired import ZZFeatureMap
from qinspired.circuits import (
    Circuit,
    NoiseModel,
    QasmError,
    SimulationTooLargeError,
    channels,
    density_expectation,
    density_matrix,
    estimate_expectation,
    expectation,
    expval,
    from_qasm,
    mps_state,
    mps_to_circuit,
    pauli,
    probabilities,
    sample,
    sample_bits,
    statevector,
    trajectories,
    unitary,
    zero_noise_extrapolation,
)
from qinspired.circuits import UnusedNoiseWarning
from qinspired.tn import MPS

OVERFLOW = r"not finite although the input is: it has values up to 1e\+20"
BELL = Circuit(2, [("h", 0), ("cx", (0, 1))])
BELL_PSI = np.array([1, 0, 0, 1]) / np.sqrt(2)


# ----------------------------------------------------------------------------- F02 unitary


def test_unitary_refuses_a_too_large_matrix_before_allocating_it() -> None:
    # 2**40 entries: np.eye alone would ask numpy for 8 TiB (an _ArrayMemoryError, not ours)
    with pytest.raises(SimulationTooLargeError, match=r"unitary of 20 qubits .* needs about "
                                                       r"48\.0 TiB"):
        unitary(Circuit(20, [("h", 0)]))


def test_unitary_counts_the_whole_peak_against_the_memory(monkeypatch) -> None:
    # 9 qubits: one (512, 512) complex64 matrix is 2 MiB, the computation holds six at once
    monkeypatch.setattr(validation, "available_memory_bytes", lambda device=None: 8 * 2**20)
    with pytest.raises(SimulationTooLargeError, match=r"needs about 12\.0 MiB, but only 8\.0 MiB"):
        unitary(Circuit(9, [("h", 0)]))


def test_unitary_of_a_small_circuit_still_matches_the_dense_product() -> None:
    c = Circuit(2, [("h", 0), ("cx", (0, 1)), ("rz", 1, 0.3)])
    np.testing.assert_allclose(unitary(c), dense_unitary(c), atol=1e-6)


# ----------------------------------------------------------------------------- F03 overflow

X_BIG = np.array([1e20, 1e20])  # finite; the ZZ phase 2 (pi - x0)(pi - x1) = 2e40 is not
X_OK = np.array([0.3, -1.1])


@pytest.mark.parametrize("simulate", [
    lambda x: statevector(ZZFeatureMap(2), x),
    lambda x: expval(ZZFeatureMap(2), pauli("Z0"), x=x),
    lambda x: probabilities(statevector(ZZFeatureMap(2), x)),
    lambda x: density_matrix(ZZFeatureMap(2), x),
    lambda x: mps_state(ZZFeatureMap(2), x, max_bond=2),
    lambda x: trajectories(ZZFeatureMap(2), x, noise=NoiseModel().add_all_qubit(
        channels.Depolarizing(0.1)), key=jax.random.key(0), n_trajectories=3),
], ids=["statevector", "expval", "probabilities", "density_matrix", "mps_state", "trajectories"])
def test_core_simulators_refuse_an_overflow_of_finite_input(simulate) -> None:
    with pytest.raises(ValueError, match=OVERFLOW):
        simulate(X_BIG)


def test_mps_state_refuses_an_overflow_of_a_truncated_simulation() -> None:
    with pytest.raises(ValueError, match="mps_state: .*" + OVERFLOW):
        mps_state(ZZFeatureMap(3, entanglement="linear"), np.full(3, 1e20), max_bond=2)


def test_batched_overflow_is_refused_and_finite_batches_match_the_dense_state() -> None:
    fm = ZZFeatureMap(2)
    with pytest.raises(ValueError, match=OVERFLOW):
        statevector(fm, np.stack([X_OK, X_BIG]))
    ref = dense_unitary(fm.circuit, X_OK)[:, 0]
    np.testing.assert_allclose(statevector(fm, X_OK), ref, atol=1e-5)
    np.testing.assert_allclose(density_matrix(fm, X_OK), np.outer(ref, ref.conj()), atol=1e-5)
    np.testing.assert_allclose(mps_state(fm, X_OK, max_bond=2).to_statevector(), ref, atol=1e-5)
    zz = np.kron(Z, Z)
    assert float(expval(fm, pauli("Z0 Z1"), x=X_OK)) == pytest.approx(
        float(np.real(ref.conj() @ zz @ ref)), abs=1e-5)
    np.testing.assert_allclose(probabilities(statevector(fm, X_OK)), np.abs(ref) ** 2, atol=1e-6)


def test_inside_jit_nothing_is_checked_and_nan_passes_through() -> None:
    fm = ZZFeatureMap(2)
    psi = jax.jit(lambda x: statevector(fm, x))(jnp.asarray(X_BIG, jnp.float32))
    assert np.isnan(np.asarray(psi)).any()


# ----------------------------------------------------------------------------- F04 density


def test_density_matrix_refuses_an_initial_state_with_a_negative_eigenvalue() -> None:
    rho0 = np.diag([1.5, -0.5]).astype(complex)  # Hermitian, trace 1
    with pytest.raises(ValueError, match=r"initial_state is not positive semidefinite: it has "
                                         r"the eigenvalue -0\.5"):
        density_matrix(Circuit(1, [("i", 0)]), initial_state=rho0)


def test_density_matrix_refuses_a_non_hermitian_or_wrong_trace_initial_state() -> None:
    c = Circuit(1, [("i", 0)])
    with pytest.raises(ValueError, match="initial_state is not Hermitian"):
        density_matrix(c, initial_state=np.array([[0.5, 0.9], [0.0, 0.5]]))
    with pytest.raises(ValueError, match="initial_state must have trace 1"):
        density_matrix(c, initial_state=np.diag([0.5, 0.2]))


def test_valid_initial_states_still_evolve_like_the_dense_reference() -> None:
    rho0 = np.array([[0.7, 0.2 - 0.1j], [0.2 + 0.1j, 0.3]])  # eigenvalues 0.8, 0.2
    pure = np.outer([1, 1j], [1, -1j]) / 2  # rank 1: eigenvalue 0 is on the boundary
    c = Circuit(1, [("h", 0)])
    for rho in (rho0, pure):
        np.testing.assert_allclose(density_matrix(c, initial_state=rho), H @ rho @ H, atol=1e-6)


def test_density_expectation_refuses_matrices_that_are_not_states() -> None:
    with pytest.raises(ValueError, match=r"density_expectation: rho is not Hermitian"):
        density_expectation(np.array([[0.5, 0.9], [0.0, 0.5]]), pauli("X0"))
    with pytest.raises(ValueError, match="density_expectation: rho is not positive semidefinite"):
        density_expectation(np.diag([1.5, -0.5]), pauli("Z0"))
    rho = np.array([[0.7, 0.2], [0.2, 0.3]])
    assert float(density_expectation(rho, pauli("X0"))) == pytest.approx(
        float(np.trace(rho @ X).real), abs=1e-6)


def test_sample_bits_refuses_a_density_matrix_that_is_not_a_state() -> None:
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="the density matrix is not Hermitian"):
        sample_bits(key, np.array([[0.5, 0.9], [0.0, 0.5]]), 5, density=True)
    with pytest.raises(ValueError, match="the density matrix is not positive semidefinite"):
        sample_bits(key, np.diag([1.5, -0.5]), 5, density=True)
    bits = np.asarray(sample_bits(key, np.diag([0.0, 1.0]), 5, density=True))
    assert bits.ravel().tolist() == [1] * 5


def test_large_batches_get_the_quadratic_necessary_conditions(monkeypatch) -> None:
    import qinspired.circuits._checks as checks

    monkeypatch.setattr(checks, "_PSD_FULL_WORK", 0)  # every batch counts as large
    hermitian = np.array([[0.5, 0.9], [0.9, 0.5]])  # eigenvalues 1.4 and -0.4
    with pytest.raises(ValueError, match=r"not positive semidefinite: \|rho\[0, 1\]\|\^2 exceeds"):
        density_expectation(hermitian, "X0")
    with pytest.raises(ValueError, match=r"a diagonal entry is -0\.5 < 0"):
        density_expectation(np.diag([1.5, -0.5]), "Z0")
    rho = np.array([[0.7, 0.2], [0.2, 0.3]])
    assert float(density_expectation(rho, "Z0")) == pytest.approx(0.4, abs=1e-6)


def test_float32_output_of_a_noisy_simulation_passes_the_density_checks() -> None:
    noise = NoiseModel().add_all_qubit(channels.Depolarizing(0.05))
    fm = ZZFeatureMap(3, reps=3)
    rho = density_matrix(fm, np.array([0.1, 0.7, -0.4]), noise=noise)
    sample_bits(jax.random.key(1), rho, 3)
    density_expectation(rho, "Z0 Z1")
    density_matrix(Circuit(3, [("h", 0)]), initial_state=rho)


# ----------------------------------------------------------------------------- F06 keys


@pytest.mark.parametrize("name, call", [
    ("sample", lambda k, psi: sample(k, psi, 5)),
    ("sample_bits", lambda k, psi: sample_bits(k, psi, 5)),
    ("estimate_expectation", lambda k, psi: estimate_expectation(k, psi, "Z0", shots=5)),
])
def test_an_integer_key_gets_the_message_trajectories_gives(name, call) -> None:
    psi = np.array([1.0, 1.0]) / np.sqrt(2)
    with pytest.raises(ValueError, match=rf"^{name}: key must be a JAX random key "
                                         r"\(jax\.random\.key\(seed\)\), got 0$"):
        call(0, psi)
    call(jax.random.key(0), psi)  # a key still works
    with pytest.raises(ValueError, match=r"^trajectories: key must be a JAX random key"):
        trajectories(Circuit(1, [("h", 0)]), noise=NoiseModel(), key=0, n_trajectories=2)


def test_zero_noise_extrapolation_with_shots_refuses_an_integer_key() -> None:
    noise = NoiseModel().add_all_qubit(channels.Depolarizing(0.1))
    with pytest.raises(ValueError, match="zero_noise_extrapolation: key must be a JAX random key"):
        zero_noise_extrapolation(Circuit(1, [("h", 0)]), "X0", noise=noise, shots=10, key=0)


# ----------------------------------------------------------------------------- F10 channels


def test_channel_apply_refuses_a_wrongly_sized_matrix() -> None:
    with pytest.raises(ValueError, match=r"depolarizing channel\.apply: rho must be a density "
                                         r"matrix of shape \(\.\.\., 2, 2\).*got shape \(3, 3\)"):
        channels.Depolarizing(0.1).apply(np.eye(3) / 3)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 4, 4\).*got shape \(2, 2\)"):
        channels.Depolarizing2(0.1).apply(np.eye(2) / 2)
    rho = np.array([[0.7, 0.2], [0.2, 0.3]])
    ref = sum(k @ rho @ k.conj().T for k in depolarizing_kraus(0.1))
    np.testing.assert_allclose(channels.Depolarizing(0.1).apply(rho), ref, atol=1e-6)


# ----------------------------------------------------------------------------- F11 messages


def test_a_float_where_the_wires_go_is_named() -> None:
    with pytest.raises(ValueError, match=r"gate 'h' \(operation 0\): wires=1\.0 must be an int "
                                         r"or a sequence of ints"):
        Circuit(2, [("h", 1.0)])
    with pytest.raises(ValueError, match=r"wire None is not an integer"):
        Circuit(2, [("cx", (0, None))])


def test_observables_refuse_complex_coefficients() -> None:
    with pytest.raises(ValueError, match="observables take real coefficients"):
        1j * pauli("Z0")
    with pytest.raises(ValueError, match="observables take real coefficients"):
        pauli("Z0", coef=0.5 + 1j)
    assert (pauli("Z0") * (2 + 0j)).terms == ((2.0, ((0, "Z"),)),)


def test_mps_to_circuit_names_nan_instead_of_a_zero_vector() -> None:
    bad = MPS((jnp.full((1, 2, 1), jnp.nan), jnp.ones((1, 2, 1))))
    with pytest.raises(ValueError, match="mps_to_circuit: site tensor 0 contains NaN or inf"):
        mps_to_circuit(bad)
    with pytest.raises(ValueError, match="the MPS is the zero vector"):
        mps_to_circuit(MPS((jnp.zeros((1, 2, 1)), jnp.ones((1, 2, 1)))))


def test_qasm_number_beyond_double_range_is_a_qasm_error_with_its_line() -> None:
    src = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nrx(1e400) q[0];'
    with pytest.raises(QasmError, match=r"line 4: number 1e400 is beyond the range of a double"):
        from_qasm(src)


def test_expectation_refuses_an_unnormalised_state_like_sample() -> None:
    psi = np.array([3.0, 4.0])
    with pytest.raises(ValueError, match=r"expectation: the state is not normalised: "
                                         r"sum \|psi_i\|\^2 = 25"):
        expectation(psi, pauli("Z0"))
    with pytest.raises(ValueError, match="normalise the state first"):
        sample(jax.random.key(0), psi, 3)
    with pytest.raises(ValueError, match="probabilities: the state is not normalised"):
        probabilities(psi)
    unit = psi / 5  # within the tolerance of sampling (1e-3) still accepted
    assert float(expectation(unit * (1 + 2e-4), "Z0")) == pytest.approx(
        float(unit @ Z.real @ unit), abs=1e-3)


# ----------------------------------------------------------------------------- F07 noise


def _unused_warnings(record) -> list:
    return [w for w in record if issubclass(w.category, UnusedNoiseWarning)]


def test_a_noise_model_that_reaches_no_wire_warns_once_and_stays_noiseless() -> None:
    model = NoiseModel().add(channels.Depolarizing(0.3), wires=[7])
    with pytest.warns(UnusedNoiseWarning, match=r"on wires \[7\], and none acts on this "
                                                r"2-qubit circuit") as record:
        rho = density_matrix(BELL, noise=model)
    assert len(_unused_warnings(record)) == 1
    np.testing.assert_allclose(rho, np.outer(BELL_PSI, BELL_PSI), atol=1e-6)
    pair = NoiseModel().add(channels.Depolarizing2(0.3), after=["cx"], wires=(0, 5))
    with pytest.warns(UnusedNoiseWarning, match=r"on wires \[0, 5\]"):
        density_matrix(BELL, noise=pair)
    readout = NoiseModel().add_readout(channels.ReadoutError(0.4, 0.4), wires=[9])
    with pytest.warns(UnusedNoiseWarning):
        sample_bits(jax.random.key(0), BELL_PSI, 4, readout=readout)


def test_a_model_with_one_rule_on_the_circuit_drops_the_others_quietly() -> None:
    # a model calibrated for a larger device: rules on absent wires are dropped on purpose
    model = (NoiseModel().add(channels.Depolarizing(0.3), wires=[7])
             .add(channels.Depolarizing(0.2), wires=[0], after=["h"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnusedNoiseWarning)
        rho = density_matrix(BELL, noise=model)
        density_matrix(BELL, noise=NoiseModel())  # empty: nothing to warn about
        density_matrix(BELL, noise=NoiseModel().add_readout(channels.ReadoutError(0.1, 0.1)))
    plus = np.outer([1, 1], [1, 1]) / 2
    after_h = sum(k @ plus @ k.conj().T for k in depolarizing_kraus(0.2))
    cx = np.eye(4)[[0, 1, 3, 2]]  # CX(0, 1): wire 0 is the most significant bit
    ref = cx @ np.kron(after_h, np.diag([1.0, 0.0])) @ cx.T
    np.testing.assert_allclose(rho, ref, atol=1e-6)


def test_zero_noise_extrapolation_warns_once_per_call() -> None:
    model = NoiseModel().add(channels.Depolarizing(0.1), wires=[4])
    with pytest.warns(UnusedNoiseWarning) as record:
        zero_noise_extrapolation(Circuit(1, [("h", 0)]), "X0", noise=model)
    assert len(_unused_warnings(record)) == 1
