"""Density-matrix and trajectory simulation against dense NumPy references."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _dense import (
    amplitude_damping_kraus,
    central_differences,
    dense_noisy_rho,
    depolarizing2_kraus,
    depolarizing_kraus,
    noisy_example,
    pauli_matrix,
    random_circuit_gates,
    random_kraus,
    random_unitary,
)

from qinspired._validation import SimulationTooLargeError
from qinspired.circuits import GATES, Circuit, feature, pauli, statevector, weight
from qinspired.circuits.channels import (
    AmplitudeDamping,
    Depolarizing,
    Depolarizing2,
    KrausChannel,
)
from qinspired.circuits._engine.plan import resolve_noise
from qinspired.circuits._pauli_basis import from_pauli, to_pauli
from qinspired.circuits.density import (
    _run_density,
    _use_pauli,
    density_expectation,
    density_matrix,
)
from qinspired.circuits.noise_model import NoiseModel
from qinspired.circuits.trajectory import trajectories
from qinspired.feature_maps import (
    AngleEncoding,
    HardwareEfficientEncoding,
    IQPFeatureMap,
    ZZFeatureMap,
)

NAMED = sorted(g for g in GATES if g != "unitary")
TWO_QUBIT = sorted(g for g in NAMED if GATES[g].n_wires == 2)


# ----------------------------------------------------------------------------- references


def assert_physical(rho, atol):
    rho = np.asarray(rho)
    np.testing.assert_allclose(np.trace(rho, axis1=-2, axis2=-1), 1.0, atol=atol)
    np.testing.assert_allclose(rho, np.conj(np.swapaxes(rho, -1, -2)), atol=atol)
    assert np.linalg.eigvalsh(rho).min() >= -atol
    purity = np.real(np.einsum("...ij,...ji->...", rho, rho))
    assert np.all(purity <= 1 + atol)


def outer(psi):
    psi = np.asarray(psi)
    return np.einsum("...i,...j->...ij", psi, psi.conj())


# ----------------------------------------------------------------------------- noiseless


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("fuse", [True, False])
def test_noiseless_density_is_the_pure_state(seed, fuse):
    rng = np.random.default_rng(seed)
    c, _, x = random_circuit_gates(rng, 3, 12)
    with jax.enable_x64(True):
        rho = density_matrix(c, x, fuse=fuse)
        psi = statevector(c, x)
    np.testing.assert_allclose(rho, outer(psi), atol=1e-12)


@pytest.mark.parametrize(
    "fm",
    [ZZFeatureMap(4, reps=2), IQPFeatureMap(3, reps=2), AngleEncoding(3, rotation="rx"),
     HardwareEfficientEncoding(3, n_layers=2)],
    ids=lambda fm: type(fm).__name__,
)
def test_noiseless_feature_maps_match_statevector(fm):
    rng = np.random.default_rng(3)
    X = rng.uniform(-np.pi, np.pi, size=(3, fm.n_qubits))
    w = rng.uniform(-np.pi, np.pi, size=fm.n_weights) if fm.n_weights else None
    rho = density_matrix(fm, X, w)
    assert rho.shape == (3, 2**fm.n_qubits, 2**fm.n_qubits)
    assert rho.dtype == jnp.complex64
    np.testing.assert_allclose(rho, outer(statevector(fm, X, w)), atol=2e-6)
    assert_physical(rho, 1e-5)


def test_empty_noise_model_is_noiseless_and_dtype_follows_x64():
    c = Circuit(2, [("h", 0), ("cx", (0, 1)), ("ry", 1, feature(0))])
    with jax.enable_x64(True):
        rho = density_matrix(c, [0.4], noise=NoiseModel())
        assert rho.dtype == jnp.complex128
        np.testing.assert_allclose(rho, outer(statevector(c, [0.4])), atol=1e-13)


def test_initial_density_matrix():
    rng = np.random.default_rng(4)
    c, _, x = random_circuit_gates(rng, 3, 8)
    psi0 = random_unitary(rng, 8)[:, 0]
    with jax.enable_x64(True):
        rho = density_matrix(c, x, initial_state=outer(psi0))
        np.testing.assert_allclose(rho, outer(statevector(c, x, initial_state=psi0)), atol=1e-12)
        mixed = density_matrix(c, x, initial_state=np.eye(8) / 8)  # U (I/8) U^H = I/8
        np.testing.assert_allclose(mixed, np.eye(8) / 8, atol=1e-13)
        batch = np.stack([outer(psi0), np.eye(8) / 8])
        both = density_matrix(c, x, initial_state=batch)
        np.testing.assert_allclose(both[1], np.eye(8) / 8, atol=1e-13)


# ----------------------------------------------------------------------------- noisy vs NumPy


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_noisy_random_circuits_match_dense_numpy(seed):
    rng = np.random.default_rng(100 + seed)
    n = 3
    c, info, x = random_circuit_gates(rng, n, 10, required=[("cx", (2, 0)), ("h", (1,))])
    p, g, p2 = rng.uniform(0.02, 0.3, size=3)
    k1, k2 = random_kraus(rng, 1, 3), random_kraus(rng, 2, 2)
    with jax.enable_x64(True):
        noise = (
            NoiseModel()
            .add_all_qubit(Depolarizing(p))
            .add(AmplitudeDamping(g), wires=[1, 2])
            .add_all_qubit(Depolarizing2(p2), after=TWO_QUBIT)
            .add(KrausChannel(k1), after=["h", "rx", "ry", "rz", "u3", "cx"])
            .add(KrausChannel(k2), after=["cx"], wires=[2, 0])
        )
        rho = density_matrix(c, x, noise=noise)
        rho_gates = density_matrix(c, x, noise=noise, fuse=False)
        rho_pauli = density_matrix(c, x, noise=noise, basis="pauli")
        rho_comp = density_matrix(c, x, noise=noise, basis="computational")
    rules = [
        (depolarizing_kraus(p), None, None),
        (amplitude_damping_kraus(g), None, (1, 2)),
        (depolarizing2_kraus(p2), TWO_QUBIT, None),
        (k1, ["h", "rx", "ry", "rz", "u3", "cx"], None),
        (k2, ["cx"], (2, 0)),
    ]
    ref = dense_noisy_rho(info, rules, n)
    np.testing.assert_allclose(rho, ref, atol=1e-12)
    np.testing.assert_allclose(rho_gates, ref, atol=1e-12)
    np.testing.assert_allclose(rho_pauli, ref, atol=1e-12)
    np.testing.assert_allclose(rho_comp, ref, atol=1e-12)
    assert_physical(rho, 1e-10)
    assert np.real(np.trace(np.asarray(rho) @ np.asarray(rho))) < 1 - 1e-3  # noise mixes


@pytest.mark.parametrize("seed", [0, 1])
def test_noisy_invariants_in_float32(seed):
    rng = np.random.default_rng(200 + seed)
    c, _, x = random_circuit_gates(rng, 4, 14)
    noise = NoiseModel().add_all_qubit(Depolarizing(0.05)).add_all_qubit(AmplitudeDamping(0.1))
    rho = density_matrix(c, x, noise=noise)
    assert rho.dtype == jnp.complex64
    assert_physical(rho, 2e-5)


def test_batched_equals_looped_and_broadcasts():
    fm = ZZFeatureMap(3, reps=1)
    X = np.random.default_rng(5).uniform(-2, 2, size=(4, 3))
    noise = NoiseModel().add_all_qubit(Depolarizing(0.1), after=["cx"])
    batched = density_matrix(fm, X, noise=noise)
    for i in range(4):
        np.testing.assert_allclose(batched[i], density_matrix(fm, X[i], noise=noise), atol=1e-6)
    c = Circuit(2, [("ry", 0, feature(0)), ("cx", (0, 1)), ("rz", 1, weight(0))])
    out = density_matrix(c, np.ones((2, 1, 1)), np.zeros((3, 1)), noise=noise)
    assert out.shape == (2, 3, 4, 4)


def test_new_noise_strength_does_not_recompile():
    c = Circuit(2, [("h", 0), ("cx", (0, 1))])
    density_matrix(c, noise=NoiseModel().add_all_qubit(Depolarizing(0.1)))
    before = _run_density._cache_size()
    rho = density_matrix(c, noise=NoiseModel().add_all_qubit(Depolarizing(0.3)))
    assert _run_density._cache_size() == before
    assert abs(float(rho[0, 3].real)) < 0.5  # the new strength was used


def test_memory_guard_names_the_size():
    c = Circuit(20, [("h", 0)])
    with pytest.raises(SimulationTooLargeError, match=r"4\*\*20"):
        density_matrix(c)
    with pytest.raises(SimulationTooLargeError, match="trajector"):
        trajectories(Circuit(26, [("h", 0)]), noise=None, key=jax.random.key(0),
                     n_trajectories=10**5)


def test_input_errors():
    c = Circuit(2, [("h", 0)])
    with pytest.raises(TypeError, match="NoiseModel"):
        density_matrix(c, noise="depolarizing")
    with pytest.raises(ValueError, match="shape"):
        density_matrix(c, initial_state=np.ones(4) / 2)
    with pytest.raises(ValueError, match="Hermitian"):
        density_matrix(c, initial_state=np.triu(np.ones((4, 4))) / 4)
    with pytest.raises(ValueError, match="trace 1"):
        density_matrix(c, initial_state=np.eye(4))
    with pytest.raises(ValueError, match="n_trajectories"):
        trajectories(c, noise=None, key=jax.random.key(0), n_trajectories=0)
    with pytest.raises(ValueError, match="key"):
        trajectories(c, noise=None, key=3, n_trajectories=2)


# ----------------------------------------------------------------------------- expectations


def test_density_expectation_matches_dense_trace():
    rng = np.random.default_rng(6)
    a = rng.normal(size=(2, 8, 8)) + 1j * rng.normal(size=(2, 8, 8))
    rho = a @ np.conj(np.swapaxes(a, -1, -2))
    rho /= np.trace(rho, axis1=1, axis2=2)[:, None, None]
    obs = pauli("X0 Y2") - 0.5 * pauli("Z1") + 0.25 * pauli("Y0 Y1 Z2") + pauli("I0", 0.3)
    dense = (pauli_matrix({0: "X", 2: "Y"}, 3) - 0.5 * pauli_matrix({1: "Z"}, 3)
             + 0.25 * pauli_matrix({0: "Y", 1: "Y", 2: "Z"}, 3) + 0.3 * np.eye(8))
    with jax.enable_x64(True):
        got = density_expectation(rho, obs)
    np.testing.assert_allclose(got, np.real(np.trace(dense @ rho, axis1=1, axis2=2)), atol=1e-12)


def test_gradient_wrt_channel_parameter_matches_finite_differences():
    c, x, w = noisy_example()

    def f(p, g):
        noise = NoiseModel().add_all_qubit(Depolarizing(p)).add(AmplitudeDamping(g), wires=[0])
        return density_expectation(density_matrix(c, x, w, noise=noise), pauli("Z0 X2") + "Y1")

    with jax.enable_x64(True):
        p0, g0, h = 0.12, 0.2, 1e-5
        grad = jax.grad(f, argnums=(0, 1))(p0, g0)
        fd_p = (f(p0 + h, g0) - f(p0 - h, g0)) / (2 * h)
        fd_g = (f(p0, g0 + h) - f(p0, g0 - h)) / (2 * h)
        np.testing.assert_allclose(grad, (fd_p, fd_g), atol=1e-8)
        assert abs(float(grad[0])) > 1e-3
        jitted = jax.jit(jax.grad(f))(p0, g0)  # the channel built from a tracer under jit
        np.testing.assert_allclose(jitted, grad[0], atol=1e-12)


def test_gradient_wrt_weights_with_noise_matches_finite_differences():
    c, x, w = noisy_example()
    noise = NoiseModel().add_all_qubit(Depolarizing(0.1)).add_all_qubit(Depolarizing2(0.05),
                                                                         after=["cx", "cz"])
    with jax.enable_x64(True):
        def f(w_):
            return density_expectation(density_matrix(c, x, w_, noise=noise), "Z0 Z2")

        grad = jax.grad(f)(jnp.asarray(w))
        np.testing.assert_allclose(grad, central_differences(f, w), atol=1e-8)


def test_fused_blocks_match_gate_by_gate_on_a_noisy_zz_map():
    fm = ZZFeatureMap(4, reps=1, entanglement="circular")
    X = np.random.default_rng(8).uniform(-2, 2, size=(2, 4))
    kraus = random_kraus(np.random.default_rng(9), 1, 2)  # complex superoperator
    noise = (NoiseModel().add_all_qubit(Depolarizing(0.05)).add(KrausChannel(kraus), after=["p"])
             .add_all_qubit(Depolarizing2(0.03), after=["cx"]))
    with jax.enable_x64(True):
        fused = density_matrix(fm, X, noise=noise)
        gates = density_matrix(fm, X, noise=noise, fuse=False)
    np.testing.assert_allclose(fused, gates, atol=1e-12)


# ----------------------------------------------------------------------------- Pauli basis


def test_pauli_coefficients_are_traces_with_pauli_strings():
    rng = np.random.default_rng(11)
    n = 3
    a = rng.normal(size=(8, 8)) + 1j * rng.normal(size=(8, 8))
    rho = a @ a.conj().T
    rho /= np.trace(rho)
    strings = [(p, q, r) for p in "IXYZ" for q in "IXYZ" for r in "IXYZ"]  # qubit 0 first
    traces = np.array([np.trace(pauli_matrix(dict(enumerate(s)), n) @ rho).real
                       for s in strings])
    with jax.enable_x64(True):
        coeffs = np.asarray(to_pauli(jnp.asarray(rho), n)).ravel()
        back = np.asarray(from_pauli(jnp.asarray(traces)[None], n))
    np.testing.assert_allclose(coeffs, traces, atol=1e-12)
    np.testing.assert_allclose(back, rho, atol=1e-12)


def test_pauli_basis_with_initial_state_and_batches():
    fm = ZZFeatureMap(3, reps=1)
    X = np.random.default_rng(12).uniform(-2, 2, size=(3, 3))
    noise = NoiseModel().add_all_qubit(AmplitudeDamping(0.2)).add_all_qubit(Depolarizing(0.05))
    with jax.enable_x64(True):
        rho0 = density_matrix(fm, X[0])
        got = density_matrix(fm, X, noise=noise, initial_state=rho0, basis="pauli")
        ref = density_matrix(fm, X, noise=noise, initial_state=rho0, fuse=False)
    np.testing.assert_allclose(got, ref, atol=1e-12)
    assert_physical(got, 1e-10)


def test_gradient_in_the_pauli_basis_matches_finite_differences():
    c, x, w = noisy_example()

    def f(p, w_):
        noise = NoiseModel().add_all_qubit(Depolarizing(p)).add(AmplitudeDamping(0.3), wires=[2])
        rho = density_matrix(c, x, w_, noise=noise, basis="pauli")
        return density_expectation(rho, pauli("Z0 X2") + "Y1")

    with jax.enable_x64(True):
        p0, w0, h = 0.1, jnp.asarray(w), 1e-6
        g_p, g_w = jax.grad(f, argnums=(0, 1))(p0, w0)
        np.testing.assert_allclose(g_p, (f(p0 + h, w0) - f(p0 - h, w0)) / (2 * h), atol=1e-8)
        fd = central_differences(lambda v: f(p0, v), w0, h)
        np.testing.assert_allclose(g_w, fd, atol=1e-8)


def test_cpu_batches_run_in_cache_sized_chunks(monkeypatch):
    from qinspired.circuits import density as module

    assert module._cpu_chunk(100, 4**8 * 4) == 15  # 16 states of 256 KiB per 4 MiB, 7 chunks
    assert module._cpu_chunk(100, 4**5 * 4) == 100  # small states: one vectorised batch
    assert module._cpu_chunk(3, 4**12 * 4) == 1
    fm = ZZFeatureMap(4, reps=1)
    X = np.random.default_rng(13).uniform(-2, 2, size=(7, 4))
    noise = NoiseModel().add_all_qubit(Depolarizing(0.05)).add_all_qubit(AmplitudeDamping(0.1))
    monkeypatch.setattr(module, "_CPU_CHUNK_BYTES", 3 * 4**4 * 4)  # 3 + 3 + 1 states
    chunked = density_matrix(fm, X, noise=noise, basis="pauli")
    for i in range(7):
        np.testing.assert_allclose(chunked[i], density_matrix(fm, X[i], noise=noise), atol=1e-6)


def test_auto_basis_follows_the_operation_count():
    fm = ZZFeatureMap(6, reps=2, entanglement="full")
    every_gate = NoiseModel().add_all_qubit(Depolarizing(0.01)).add_all_qubit(AmplitudeDamping(0.02))
    first_layer = NoiseModel().add_all_qubit(Depolarizing(0.01), after=["h"])
    n, ops = fm.circuit.n_qubits, fm.circuit.operations

    def choice(noise):
        channels, layout = resolve_noise(fm.circuit, noise)
        return _use_pauli(ops, n, layout, (True,) * len(channels))

    assert choice(every_gate)  # 2-qubit noisy blocks: 16 real vs 64 real operations each
    assert not choice(first_layer)  # the CX-P-CX runs stay one phase in the computational basis
    assert not choice(None)
    with pytest.raises(ValueError, match="basis"):
        density_matrix(fm, np.zeros(6), basis="pauly")


def test_docstring_examples_run():
    import doctest

    import qinspired.circuits.density as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
