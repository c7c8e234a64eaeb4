"""Quantum trajectories: determinism, exact limits, convergence to the density matrix,
and the scanned form of long circuits against the unrolled one."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from _dense import noisy_example, random_kraus

import qinspired.circuits.trajectory as trajectory_module
from qinspired.circuits import Circuit, feature, pauli, statevector
from qinspired.circuits.channels import (
    AmplitudeDamping,
    Depolarizing,
    Depolarizing2,
    KrausChannel,
)
from qinspired.circuits._engine.plan import resolve_noise, scan_table
from qinspired.circuits.density import density_expectation, density_matrix
from qinspired.circuits.noise_model import NoiseModel
from qinspired.circuits.trajectory import (
    trajectories,
    trajectory_density,
    trajectory_expectation,
)
from qinspired.feature_maps import ZZFeatureMap


def test_trajectories_are_deterministic_in_the_key_and_normalised():
    c, x, w = noisy_example()
    noise = NoiseModel().add_all_qubit(Depolarizing(0.2)).add_all_qubit(AmplitudeDamping(0.3))
    kw = {"noise": noise, "n_trajectories": 16}
    a = trajectories(c, x, w, key=jax.random.key(1), **kw)
    b = trajectories(c, x, w, key=jax.random.key(1), **kw)
    d = trajectories(c, x, w, key=jax.random.key(2), **kw)
    assert a.shape == (16, 8) and a.dtype == jnp.complex64
    np.testing.assert_array_equal(a, b)
    assert np.abs(np.asarray(a) - np.asarray(d)).max() > 1e-3
    np.testing.assert_allclose(np.linalg.norm(a, axis=-1), 1.0, atol=1e-5)
    batched = trajectories(c, np.stack([x, x]), w, key=jax.random.key(1), **kw)
    assert batched.shape == (2, 16, 8)
    np.testing.assert_array_equal(batched[0], a)  # batch element 0 draws from fold_in(key, 0)


def test_trajectories_without_noise_and_with_certain_jumps():
    c, x, w = noisy_example()
    pure = trajectories(c, x, w, noise=None, key=jax.random.key(0), n_trajectories=3)
    np.testing.assert_allclose(pure, np.broadcast_to(statevector(c, x, w), (3, 8)), atol=1e-6)
    # X then full amplitude damping: every trajectory must jump to |0> (the K0 branch has p=0).
    flip = Circuit(1, [("x", 0)])
    out = trajectories(flip, noise=NoiseModel().add_all_qubit(AmplitudeDamping(1.0)),
                       key=jax.random.key(0), n_trajectories=50)
    np.testing.assert_allclose(np.abs(out), np.broadcast_to([1.0, 0.0], (50, 2)), atol=1e-6)


def test_trajectory_average_converges_to_the_density_matrix():
    c, x, w = noisy_example()
    noise = (NoiseModel().add_all_qubit(Depolarizing(0.15))
             .add_all_qubit(AmplitudeDamping(0.25), after=["cx", "cz"])
             .add(KrausChannel(random_kraus(np.random.default_rng(7), 1, 3)), wires=[2]))
    n_traj = 4000
    states = trajectories(c, x, w, noise=noise, key=jax.random.key(42), n_trajectories=n_traj)
    rho = np.asarray(density_matrix(c, x, w, noise=noise))
    # Bound: each sample Z = psi_i conj(psi_j) of a unit vector has |Z| <= 1, so
    # E|Z - rho_ij|^2 <= E|Z|^2 <= 1 and the mean of N samples deviates from rho_ij by
    # 1/sqrt(N) in root mean square; 5/sqrt(N) is a 5-sigma bound per entry.
    dev = np.abs(np.asarray(trajectory_density(states)) - rho).max()
    assert dev <= 5 / np.sqrt(n_traj)
    obs = pauli("Z0") + 0.5 * pauli("X1 Y2")
    mean, se = trajectory_expectation(states, obs)
    exact = float(density_expectation(rho, obs))
    assert 0 < float(se) < 0.05
    assert abs(float(mean) - exact) <= 5 * float(se)


# ----------------------------------------------------------------------------- scanned form


def _long_noisy_circuit():
    """Every gate kind the scan embeds: 1-qubit gates on the last wire (paired with
    wire 0), reversed 2-qubit wires, adjoints, a feature angle and a user unitary."""
    u = np.linalg.qr(np.random.default_rng(3).normal(size=(4, 4))
                     + 1j * np.random.default_rng(4).normal(size=(4, 4)))[0]
    c = Circuit(3, [("h", 0), ("ry", 2, feature(0)), ("cx", (2, 0)), ("s", 1),
                    ("rz", 2, 0.7), ("cz", (1, 2)), ("unitary", (0, 1), u), ("sx", 2),
                    ("crx", (0, 2), feature(0, scale=-0.5)), ("h", 1)], n_features=1)
    c = c.compose(Circuit(3, [("sdg", 2), ("t", 0)]).inverse())
    k2 = random_kraus(np.random.default_rng(5), 2, 2)
    noise = (NoiseModel().add_all_qubit(Depolarizing(0.08))
             .add_all_qubit(AmplitudeDamping(0.15), after=["cx", "cz", "crx"])
             .add_all_qubit(Depolarizing2(0.1), after=["unitary"])
             .add(KrausChannel(k2), after=["cz"], wires=[2, 1])
             .add(KrausChannel(random_kraus(np.random.default_rng(6), 1, 3)), wires=[0]))
    return c, np.array([0.9]), noise


def test_long_circuits_run_as_a_scan_with_the_same_jumps(monkeypatch):
    c, x, noise = _long_noisy_circuit()
    kw = {"noise": noise, "key": jax.random.key(7), "n_trajectories": 64}
    monkeypatch.setattr(trajectory_module, "_SCAN_MIN_JUMPS", 10**9)
    unrolled = trajectories(c, x, **kw)
    monkeypatch.setattr(trajectory_module, "_SCAN_MIN_JUMPS", 1)
    scanned = trajectories(c, x, **kw)
    # The same uniforms pick the same Kraus branches, so the states agree to rounding.
    np.testing.assert_allclose(scanned, unrolled, atol=2e-5)
    np.testing.assert_allclose(np.linalg.norm(scanned, axis=-1), 1.0, atol=1e-5)


def test_scanned_trajectories_converge_to_the_density_matrix(monkeypatch):
    c, x, noise = _long_noisy_circuit()
    monkeypatch.setattr(trajectory_module, "_SCAN_MIN_JUMPS", 1)
    n_traj = 4000
    states = trajectories(c, x, noise=noise, key=jax.random.key(11), n_trajectories=n_traj)
    rho = np.asarray(density_matrix(c, x, noise=noise))
    assert np.abs(np.asarray(trajectory_density(states)) - rho).max() <= 5 / np.sqrt(n_traj)
    for obs in ("Z0 Z2", "X1", "Y0 Z1"):
        mean, se = trajectory_expectation(states, obs)
        assert abs(float(mean) - float(density_expectation(rho, obs))) <= 5 * float(se)


def test_scan_table_needs_two_qubit_steps_and_the_default_scans_long_maps():
    noise = NoiseModel().add_all_qubit(Depolarizing(0.1))
    wide = Circuit(3, [("ccx", (0, 1, 2))] + [("h", q) for q in range(3)] * 10)
    _, layout = resolve_noise(wide, noise)
    assert scan_table(wide.operations, 3, layout) is None  # falls back to unrolled
    out = trajectories(wide, noise=noise, key=jax.random.key(0), n_trajectories=4)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), 1.0, atol=1e-5)
    single = Circuit(1, [("h", 0)] * 30)
    assert scan_table(single.operations, 1, resolve_noise(single, noise)[1]) is None
    fm = ZZFeatureMap(4, reps=2)
    _, layout = resolve_noise(fm.circuit, noise)
    assert len(layout) >= trajectory_module._SCAN_MIN_JUMPS
    pairs, pair_of_step = scan_table(fm.circuit.operations, 4, layout)[:2]
    assert all(a != b for a, b in pairs) and len(pairs) < len(pair_of_step)


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(trajectory_module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
