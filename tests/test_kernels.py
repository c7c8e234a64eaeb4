"""Fidelity and projected kernels against dense references and analytic cases."""

from __future__ import annotations

import numpy as np
import pytest
from _dense import circuit_unitary

from qinspired import AngleEncoding, HardwareEfficientEncoding, ZZFeatureMap
from qinspired._validation import SimulationTooLargeError
from qinspired.circuits import NoiseModel, ReadoutError, channels
from qinspired.kernels import FidelityKernel, ProjectedKernel, psd_repair
from qinspired.kernels._circuit_mode import compute_uncompute

RNG = np.random.default_rng(7)
X3 = RNG.uniform(0, 1, (6, 3))
Y3 = RNG.uniform(0, 1, (4, 3))
ZZ3 = ZZFeatureMap(3, reps=2, entanglement="full", feature_scale=1.0)


def dense_states(fm, X) -> np.ndarray:
    """Statevectors by a gate-by-gate NumPy product of the bound circuit (no simulator)."""
    return np.stack([circuit_unitary(fm.circuit.bind(x))[:, 0] for x in X])


def dense_fidelity(fm, X, Y) -> np.ndarray:
    a, b = dense_states(fm, X), dense_states(fm, Y)
    return np.abs(a.conj() @ b.T) ** 2


def test_fidelity_statevector_matches_dense_overlaps():
    K = FidelityKernel(ZZ3, backend="statevector")(X3, Y3)
    assert K.shape == (6, 4) and K.dtype == np.float64
    np.testing.assert_allclose(K, dense_fidelity(ZZ3, X3, Y3), atol=2e-6)


def test_product_map_closed_form_is_the_analytic_kernel():
    # RY(x)|0> overlaps: <phi(x)|phi(y)> = cos((x - y) / 2) per qubit.
    s = 0.8
    K = FidelityKernel(AngleEncoding(3, feature_scale=s))(X3, Y3)
    ref = np.prod(np.cos(s * (X3[:, None, :] - Y3[None, :, :]) / 2) ** 2, axis=-1)
    np.testing.assert_allclose(K, ref, atol=1e-6)


@pytest.mark.parametrize("backend", ["statevector", "mps", "density"])
def test_backends_agree_on_an_entangling_map(backend):
    ref = dense_fidelity(ZZ3, X3, Y3)
    np.testing.assert_allclose(FidelityKernel(ZZ3, backend=backend)(X3, Y3), ref, atol=5e-6)


@pytest.mark.parametrize("backend", ["statevector", "mps", "density", "product"])
def test_backends_agree_on_a_product_map(backend):
    fm = AngleEncoding(3, rotation="rx", feature_scale=1.3)
    ref = dense_fidelity(fm, X3, Y3)
    np.testing.assert_allclose(FidelityKernel(fm, backend=backend)(X3, Y3), ref, atol=5e-6)


def test_symmetric_gram_is_symmetric_psd_with_unit_diagonal():
    K = FidelityKernel(ZZ3)(X3)
    np.testing.assert_array_equal(K, K.T)
    np.testing.assert_allclose(np.diag(K), 1.0, atol=1e-5)
    assert np.linalg.eigvalsh(K).min() > -1e-5
    np.testing.assert_allclose(K, dense_fidelity(ZZ3, X3, X3), atol=2e-6)


@pytest.mark.parametrize("tile", [1, 2, 5])
def test_tiled_equals_untiled(tile):
    k_small = FidelityKernel(ZZ3, tile_size=tile)
    k_big = FidelityKernel(ZZ3, tile_size=1024)
    # Float32 sums in another order: equal to rounding.
    np.testing.assert_allclose(k_small(X3), k_big(X3), atol=1e-6)
    np.testing.assert_allclose(k_small(X3, Y3), k_big(X3, Y3), atol=1e-6)


def test_gram_streams_into_a_memmap(tmp_path):
    path = tmp_path / "gram.npy"
    K = FidelityKernel(ZZ3, tile_size=2)(X3, Y3, out=path)
    np.testing.assert_allclose(np.load(path), dense_fidelity(ZZ3, X3, Y3), atol=2e-6)
    assert isinstance(K, np.memmap)


def test_mps_backend_reports_truncation_and_is_exact_at_full_bond():
    fm = ZZFeatureMap(6, reps=2, entanglement="linear", feature_scale=1.0)
    X = RNG.uniform(0, 2, (5, 6))
    exact = FidelityKernel(fm)(X)
    full = FidelityKernel(fm, backend="mps", bond_dim=8)
    np.testing.assert_allclose(full(X), exact, atol=5e-6)
    assert np.max(full.states(X).truncation_error) < 1e-5
    cut = FidelityKernel(fm, backend="mps", bond_dim=2)
    err = cut.states(X).truncation_error
    assert np.max(err) > 1e-3
    assert np.max(np.abs(cut(X) - exact)) > 1e-4


def test_mps_backend_reaches_qubit_counts_a_statevector_cannot():
    # 34 qubits: the statevector alone would take 2**34 * 8 bytes = 128 GiB.
    fm = ZZFeatureMap(34, reps=1, entanglement="linear", feature_scale=0.3)
    X = RNG.uniform(0, 1, (3, 34))
    K = FidelityKernel(fm, backend="mps", bond_dim=4)(X)
    np.testing.assert_allclose(np.diag(K), 1.0, atol=1e-4)
    assert np.all((K >= -1e-6) & (K <= 1 + 1e-5))
    with pytest.raises(SimulationTooLargeError, match="bond_dim"):
        FidelityKernel(fm, backend="mps").states(X)


def test_circuit_mode_equals_state_mode_without_noise():
    np.testing.assert_allclose(FidelityKernel(ZZ3, mode="circuit")(X3, Y3),
                               dense_fidelity(ZZ3, X3, Y3), atol=5e-6)


def test_compute_uncompute_circuit_is_the_adjoint_product():
    x, y = X3[0], Y3[0]
    cu = compute_uncompute(ZZ3.circuit).bind(np.concatenate([x, y]))
    ux, uy = circuit_unitary(ZZ3.circuit.bind(x)), circuit_unitary(ZZ3.circuit.bind(y))
    np.testing.assert_allclose(circuit_unitary(cu), uy.conj().T @ ux, atol=1e-10)


def _one_qubit_depolarized(p: float, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Tr(rho_x rho_y) for RY(x)|0> followed by a depolarizing channel of strength p."""
    K = np.cos((x[:, None, 0] - y[None, :, 0]) / 2) ** 2
    return (1 - p) ** 2 * K + p - p**2 / 2


@pytest.mark.parametrize("mode", ["state", "circuit"])
def test_noisy_kernel_matches_the_analytic_depolarized_overlap(mode):
    # State mode: Tr(rho_x rho_y) with rho = (1-p) psi + p I/2. Circuit mode: one channel
    # after each half of RY(-y) RY(x) gives the same (1-p)^2 K + p - p^2/2.
    p = 0.1
    nm = NoiseModel().add_all_qubit(channels.Depolarizing(p))
    X, Y = RNG.uniform(0, 3, (5, 1)), RNG.uniform(0, 3, (3, 1))
    K = FidelityKernel(AngleEncoding(1, feature_scale=1.0), noise=nm, mode=mode)(X, Y)
    np.testing.assert_allclose(K, _one_qubit_depolarized(p, X, Y), atol=2e-6)


def test_circuit_mode_applies_readout_error_to_the_measured_bits():
    e10, e01 = 0.05, 0.1  # P(read 1 | 0), P(read 0 | 1)
    nm = NoiseModel().add_readout(ReadoutError(p0given1=e01, p1given0=e10))
    X, Y = RNG.uniform(0, 3, (4, 1)), RNG.uniform(0, 3, (3, 1))
    K = FidelityKernel(AngleEncoding(1, feature_scale=1.0), noise=nm, mode="circuit")(X, Y)
    p0 = np.cos((X[:, None, 0] - Y[None, :, 0]) / 2) ** 2
    np.testing.assert_allclose(K, (1 - e10) * p0 + e01 * (1 - p0), atol=2e-6)


@pytest.mark.parametrize("mode", ["state", "circuit"])
def test_depolarizing_mitigation_undoes_global_depolarizing_noise(mode):
    nm = NoiseModel().add_all_qubit(channels.Depolarizing(0.2))
    X, Y = RNG.uniform(0, 3, (5, 1)), RNG.uniform(0, 3, (3, 1))
    k = FidelityKernel(AngleEncoding(1, feature_scale=1.0), noise=nm, mode=mode,
                       mitigation="depolarizing")
    exact = FidelityKernel(AngleEncoding(1, feature_scale=1.0))
    np.testing.assert_allclose(k(X, Y), exact(X, Y), atol=2e-5)
    np.testing.assert_allclose(k(X), exact(X), atol=2e-5)


def test_noiseless_density_backend_equals_statevector():
    np.testing.assert_allclose(FidelityKernel(ZZ3, backend="density")(X3),
                               FidelityKernel(ZZ3)(X3), atol=2e-6)


@pytest.mark.parametrize("mode", ["state", "circuit"])
def test_shot_estimates_are_unbiased_binomials(mode):
    shots = 200
    fm = AngleEncoding(2, feature_scale=1.0)
    X, Y = RNG.uniform(0, 3, (40, 2)), RNG.uniform(0, 3, (30, 2))
    exact = FidelityKernel(fm)(X, Y)
    est = FidelityKernel(fm, mode=mode, shots=shots, random_state=3)(X, Y)
    assert np.all(np.isclose(est * shots, np.round(est * shots), atol=1e-3))
    var = exact * (1 - exact) / shots
    z_mean = np.sum(est - exact) / np.sqrt(np.sum(var))
    assert abs(z_mean) < 4
    ratio = np.sum((est - exact) ** 2) / np.sum(var)
    assert 0.8 < ratio < 1.2


def test_swap_test_shots_for_noisy_states_are_unbiased():
    shots, p = 400, 0.1
    nm = NoiseModel().add_all_qubit(channels.Depolarizing(p))
    X, Y = RNG.uniform(0, 3, (30, 1)), RNG.uniform(0, 3, (30, 1))
    est = FidelityKernel(AngleEncoding(1, feature_scale=1.0), noise=nm, shots=shots,
                         random_state=0)(X, Y)
    exact = _one_qubit_depolarized(p, X, Y)
    p0 = (1 + exact) / 2
    var = 4 * p0 * (1 - p0) / shots
    assert abs(np.sum(est - exact) / np.sqrt(np.sum(var))) < 4


def test_shots_are_reproducible_from_the_seed():
    k = FidelityKernel(AngleEncoding(2, feature_scale=1.0), shots=50, random_state=11)
    np.testing.assert_array_equal(k(X3[:, :2]), k(X3[:, :2]))
    other = FidelityKernel(AngleEncoding(2, feature_scale=1.0), shots=50,
                           random_state=12)(X3[:, :2])
    assert not np.array_equal(k(X3[:, :2]), other)
    K = k(X3[:, :2])
    np.testing.assert_array_equal(K, K.T)


def test_psd_repair_clips_negative_eigenvalues():
    kernel = FidelityKernel(AngleEncoding(2, feature_scale=1.0), shots=5, random_state=0,
                            psd_repair=True)
    K = kernel(RNG.uniform(0, 3, (20, 2)))
    assert np.linalg.eigvalsh(K).min() > -1e-10
    A = np.array([[1.0, 2.0], [2.0, 1.0]])  # eigenvalues 3, -1 -> keep 3 along (1, 1)/sqrt 2
    np.testing.assert_allclose(psd_repair(A), np.full((2, 2), 1.5), atol=1e-12)


def test_resources_count_circuits_and_shots():
    k = FidelityKernel(ZZ3, mode="circuit", shots=1000)
    assert k.resources(10) == {"mode": "circuit", "circuits": 45, "shots": 45000,
                               "simulations": 45}
    assert k.resources(10, 4)["circuits"] == 40
    assert FidelityKernel(ZZ3).resources(10, 4)["simulations"] == 14


# ---------------------------------------------------------------------- projected kernel


def dense_projected(fm, X, Y, gamma) -> np.ndarray:
    """exp(-gamma sum_q ||rho_q(x) - rho_q(y)||_F^2) from NumPy partial traces."""
    def rdms(psi, n):
        t = psi.reshape((2,) * n)
        out = []
        for q in range(n):
            m = np.moveaxis(t, q, 0).reshape(2, -1)
            out.append(m @ m.conj().T)
        return np.stack(out)

    n = fm.circuit.n_qubits
    ra = np.stack([rdms(p, n) for p in dense_states(fm, X)])
    rb = np.stack([rdms(p, n) for p in dense_states(fm, Y)])
    diff = ra[:, None] - rb[None, :]
    return np.exp(-gamma * np.sum(np.abs(diff) ** 2, axis=(2, 3, 4)))


@pytest.mark.parametrize("backend", ["statevector", "mps", "density"])
def test_projected_kernel_matches_partial_traces(backend):
    K = ProjectedKernel(ZZ3, gamma=0.7, backend=backend)(X3, Y3)
    np.testing.assert_allclose(K, dense_projected(ZZ3, X3, Y3, 0.7), atol=5e-6)


def test_projected_kernel_product_closed_form():
    fm = AngleEncoding(3, rotation="rx", feature_scale=1.0)
    K = ProjectedKernel(fm, gamma=1.3)(X3, Y3)
    np.testing.assert_allclose(K, dense_projected(fm, X3, Y3, 1.3), atol=5e-6)


def test_projected_gamma_scale_is_fixed_by_fit_not_by_the_test_batch():
    k = ProjectedKernel(ZZ3).fit(X3)
    # gamma = 1 / mean over pairs i != j of sum_q ||rho_q(x_i) - rho_q(x_j)||^2.
    D = -np.log(dense_projected(ZZ3, X3, X3, 1.0))
    mean_d = D[~np.eye(len(X3), dtype=bool)].mean()
    assert k.gamma_ == pytest.approx(1 / mean_d, rel=1e-4)
    np.testing.assert_allclose(k(Y3, X3), dense_projected(ZZ3, Y3, X3, k.gamma_), atol=5e-6)
    k(Y3[:2], Y3)
    assert k.gamma_ == pytest.approx(1 / mean_d, rel=1e-4)


def test_unfitted_projected_kernel_takes_gamma_from_the_second_argument():
    k = ProjectedKernel(ZZ3)
    gamma = ProjectedKernel(ZZ3).fit(X3).gamma_
    np.testing.assert_allclose(k(Y3, X3), dense_projected(ZZ3, Y3, X3, gamma), atol=5e-6)


def test_projected_shots_estimate_the_bloch_vectors():
    # <Z> = cos x for RY(x)|0>; each estimate 2 Binomial(m, (1 + z)/2)/m - 1 has variance
    # (1 - z^2)/m.
    fm, shots, n = AngleEncoding(1, feature_scale=1.0), 100, 3000
    X = np.random.default_rng(5).uniform(0, 3, (n, 1))
    r = ProjectedKernel(fm, gamma=1.0, shots=shots, random_state=0).states(X).data
    z_exact = np.cos(X[:, 0])
    err, var = r[:, 2] - z_exact, (1 - z_exact**2) / shots
    assert abs(err.sum()) < 4 * np.sqrt(var.sum())
    assert 0.85 < np.sum(err**2) / var.sum() < 1.15


# --------------------------------------------------------------------- parameters, errors


def test_nested_params_and_clone():
    from sklearn.base import clone

    k = FidelityKernel(ZZFeatureMap(3, reps=1, feature_scale=1.0), shots=10)
    params = k.get_params(deep=True)
    assert params["feature_map__reps"] == 1 and params["shots"] == 10
    k.set_params(feature_map__reps=3, shots=None)
    assert k.feature_map.reps == 3 and k.shots is None
    c = clone(k)
    assert c is not k and c.feature_map is not k.feature_map
    assert c.feature_map == k.feature_map


def auto_angles(X, X_fit):
    """The angles of feature_scale="auto" by hand: pi/2 + 0.1 * (x - mean) / std of X_fit."""
    return np.pi / 2 + 0.1 * (X - X_fit.mean(axis=0)) / X_fit.std(axis=0)


def test_default_feature_map_is_built_from_the_data():
    # unfitted, k(X, Y) fixes the bandwidth from Y (the training set of SVC(kernel=k))
    K = FidelityKernel()(X3, Y3)
    ref_map = ZZFeatureMap(3, reps=2, entanglement="linear", feature_scale=1.0)
    ref = dense_fidelity(ref_map, auto_angles(X3, Y3), auto_angles(Y3, Y3))
    np.testing.assert_allclose(K, ref, atol=2e-6)
    fitted = FidelityKernel().fit(X3)
    assert fitted.feature_map is None and fitted.feature_map_ == ZZFeatureMap(3).fit(X3)
    np.testing.assert_allclose(fitted(Y3), dense_fidelity(ref_map, auto_angles(Y3, X3),
                                                          auto_angles(Y3, X3)), atol=2e-6)


def test_trainable_feature_maps_need_weights():
    fm = HardwareEfficientEncoding(2, n_layers=1, feature_scale=1.0)
    with pytest.raises(ValueError, match="trainable weights"):
        FidelityKernel(fm)(X3[:, :2])
    w = RNG.uniform(0, 1, fm.n_weights)
    K = FidelityKernel(fm, weights=w)(X3[:, :2])
    np.testing.assert_allclose(np.diag(K), 1.0, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, X, match",
    [
        ({}, np.array([[0.1, np.nan, 0.2]]), "NaN|nan|finite"),
        ({}, np.zeros((3, 2)), "2 features, but the feature map expects 3"),
        ({}, np.zeros(3), "2-D"),
        ({"backend": "gpu"}, X3, "backend"),
        ({"backend": "statevector", "noise": NoiseModel()}, X3, "backend='density'"),
        ({"mode": "swap"}, X3, "mode"),
        ({"shots": 0}, X3, "shots"),
        ({"tile_size": 0, "mitigation": None}, X3, "tile_size"),
    ],
)
def test_bad_input_gives_clear_errors(kwargs, X, match):
    with pytest.raises(ValueError, match=match):
        FidelityKernel(ZZ3, **kwargs)(X)


def test_projected_bad_gamma():
    with pytest.raises(ValueError, match="gamma"):
        ProjectedKernel(ZZ3, gamma=-1.0)(X3)
    with pytest.raises(ValueError, match="gamma"):
        ProjectedKernel(ZZ3, gamma="auto")(X3)


def test_density_too_large_is_refused_with_the_size():
    fm = AngleEncoding(16, rotation="rx", feature_scale=1.0)
    nm = NoiseModel().add_all_qubit(channels.Depolarizing(0.01))
    with pytest.raises(SimulationTooLargeError, match="GiB"):
        FidelityKernel(fm, noise=nm).states(np.zeros((2, 16)))
