"""The real-arithmetic Gram blocks against complex NumPy products, and the CPU dispatch."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from qinspired.circuits import NoiseModel, channels
from qinspired.feature_maps import ZZFeatureMap
from qinspired.kernels import FidelityKernel
from qinspired.kernels import fidelity
from qinspired.kernels.gram import gram_matrix

RNG = np.random.default_rng(11)


def _states(n_points: int, dim: int) -> np.ndarray:
    psi = RNG.normal(size=(n_points, dim)) + 1j * RNG.normal(size=(n_points, dim))
    return psi / np.linalg.norm(psi, axis=1, keepdims=True)


def _densities(n_points: int, dim: int) -> np.ndarray:
    m = RNG.normal(size=(n_points, dim, dim)) + 1j * RNG.normal(size=(n_points, dim, dim))
    rho = m @ m.conj().transpose(0, 2, 1)
    return rho / np.trace(rho, axis1=1, axis2=2).real[:, None, None]


@pytest.mark.parametrize("dtype, tol", [(np.complex64, 2e-6), (np.complex128, 1e-12)])
def test_real_overlap_equals_the_complex_product(dtype, tol):
    a, b = _states(23, 32), _states(9, 32)
    expected = np.abs(a @ b.conj().T) ** 2
    with jax.enable_x64(dtype == np.complex128):
        got = np.asarray(fidelity._overlap_sq_real(a.astype(dtype), b.astype(dtype)))
    np.testing.assert_allclose(got, expected, atol=tol)


@pytest.mark.parametrize("dtype, tol", [(np.complex64, 2e-6), (np.complex128, 1e-12)])
def test_hermitian_coordinates_give_the_trace_of_the_product(dtype, tol):
    rho_a, rho_b = _densities(7, 8), _densities(5, 8)
    expected = np.einsum("aij,bji->ab", rho_a, rho_b).real
    with jax.enable_x64(dtype == np.complex128):
        got = np.asarray(fidelity._trace_product_real(rho_a.reshape(7, -1).astype(dtype),
                                                      rho_b.reshape(5, -1).astype(dtype)))
    np.testing.assert_allclose(got, expected, atol=tol)


@pytest.mark.parametrize("kind, make", [("statevector", lambda: _states(300, 16)),
                                        ("density", lambda: _densities(300, 4).reshape(300, -1))])
def test_tiled_real_and_complex_blocks_agree(kind, make):
    data = make().astype(np.complex64)
    real = gram_matrix(fidelity._BLOCKS[kind]["real"][0], None, data, tile_size=64)
    cplx = gram_matrix(fidelity._BLOCKS[kind]["complex"][0], None, data, tile_size=64)
    np.testing.assert_allclose(real, cplx, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(real, real.T, atol=0)


def test_cpu_devices_use_real_arithmetic():
    cpus = jax.devices("cpu")
    assert fidelity._arithmetic("statevector", cpus) == "real"
    assert fidelity._arithmetic("density", cpus) == "real"
    assert fidelity._arithmetic("product", cpus) == "complex"

    class Accelerator:
        platform = "gpu"

    assert fidelity._arithmetic("statevector", [Accelerator()]) == "complex"


def test_kernels_match_dense_references_in_x64():
    X = RNG.uniform(0, 2 * np.pi, (6, 3))
    with jax.enable_x64(True):
        fm = ZZFeatureMap(3, reps=1, feature_scale=1.0)
        psi = np.asarray(FidelityKernel(fm).states(X).data)
        np.testing.assert_allclose(FidelityKernel(fm)(X), np.abs(psi @ psi.conj().T) ** 2,
                                   atol=1e-12)
        noisy = FidelityKernel(fm, noise=NoiseModel().add_all_qubit(channels.Depolarizing(0.1)))
        rho = np.asarray(noisy.states(X).data).reshape(6, 8, 8)
        np.testing.assert_allclose(noisy(X), np.einsum("aij,bji->ab", rho, rho).real,
                                   atol=1e-12)


def test_projected_gamma_keeps_the_working_precision():
    X = RNG.uniform(0, 2 * np.pi, (5, 3))
    gamma = 0.123456789012345
    with jax.enable_x64(True):
        from qinspired.kernels import ProjectedKernel

        k = ProjectedKernel(ZZFeatureMap(3, reps=1, feature_scale=1.0), gamma=gamma)
        r = k.states(X).data
        sq = np.sum((r[:, None, :] - r[None, :, :]) ** 2, axis=-1)
        np.testing.assert_allclose(k(X), np.exp(-gamma * 0.5 * sq), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("noise", [None, NoiseModel().add_all_qubit(channels.Depolarizing(0.05))])
def test_gram_of_x_with_itself_is_the_symmetric_gram(noise):
    # scikit-learn trains with a callable kernel as k(X, X): that must be the same matrix
    # as k(X), exactly symmetric, although real-arithmetic blocks are not swap-symmetric
    # in their rounding.
    X = RNG.uniform(-1, 1, (40, 4))
    k = FidelityKernel(ZZFeatureMap(4, reps=2), noise=noise).fit(X)
    K = k(X)
    np.testing.assert_array_equal(k(X, X.copy()), K)
    np.testing.assert_array_equal(K, K.T)


@pytest.mark.parametrize("fused", [True, False])
def test_float32_gram_agrees_with_the_float64_product_of_the_same_states(monkeypatch, fused):
    # Ten-qubit ZZ states have 1,024 amplitudes of nearly equal modulus: a float32 matrix
    # product sums each diagonal entry's positive terms with an error of several 1e-6;
    # the diagonal comes from grouped squared norms instead. Near-duplicate points test
    # large off-diagonal entries.
    from qinspired.kernels import _fused

    if not fused:
        monkeypatch.setattr(_fused, "MAX_ROWS", 0)
    X = RNG.uniform(0, 2 * np.pi, (60, 10))
    X[1] = X[0] + 1e-3
    k = FidelityKernel(ZZFeatureMap(10, reps=2, entanglement="full", feature_scale=1.0))
    K = k(X)
    psi = np.asarray(k.states(X).data).astype(np.complex128)
    reference = np.abs(psi @ psi.conj().T) ** 2
    assert K[0, 1] > 0.99
    np.testing.assert_allclose(np.diag(K), np.sum(np.abs(psi) ** 2, axis=1) ** 2,
                               rtol=0, atol=5e-7)
    np.testing.assert_allclose(K, reference, rtol=0, atol=1e-6)


@pytest.mark.parametrize("noise", [None, NoiseModel().add_all_qubit(channels.Depolarizing(0.05))])
def test_tiled_gram_converts_the_states_once_or_per_tile(monkeypatch, noise):
    # Large problems take the tiled path: the states are put in the real blocks' form
    # (real and imaginary arrays, or Hermitian coordinates) once per Gram matrix; without
    # memory for that copy each tile converts its own rows. Both give the dense products.
    from qinspired.kernels import _fused

    monkeypatch.setattr(_fused, "MAX_ROWS", 0)
    X, Y = RNG.uniform(0, 2 * np.pi, (70, 4)), RNG.uniform(0, 2 * np.pi, (33, 4))
    k = FidelityKernel(ZZFeatureMap(4, reps=2, feature_scale=1.0), noise=noise, tile_size=32)
    states = k.states(X)
    a = np.asarray(states.data).astype(np.complex128)
    b = np.asarray(k.states(Y).data).astype(np.complex128)
    if noise is None:
        expected = np.abs(a @ a.conj().T) ** 2, np.abs(a @ b.conj().T) ** 2
    else:
        expected = (a @ a.conj().T).real, (a @ b.conj().T).real
    assert fidelity._real_form(states.kind, states.data) is not states.data
    once = k(X), k(X, Y)
    np.testing.assert_allclose(once[0], expected[0], atol=1e-6)
    np.testing.assert_allclose(once[1], expected[1], atol=1e-6)
    monkeypatch.setattr(fidelity, "available_memory_bytes", lambda device=None: 0)
    assert fidelity._real_form(states.kind, states.data) is states.data
    np.testing.assert_allclose(k(X), once[0], atol=1e-7)
    np.testing.assert_allclose(k(X, Y), once[1], atol=1e-7)


def test_gram_matrix_writes_a_given_diagonal_in_every_tile_and_checks_it():
    data = _states(70, 8).astype(np.complex64)
    block = fidelity._BLOCKS["statevector"]["real"][0]
    K = gram_matrix(block, None, data, tile_size=16, diagonal=np.arange(70.0))
    np.testing.assert_array_equal(np.diag(K), np.arange(70.0))
    off = ~np.eye(70, dtype=bool)
    np.testing.assert_allclose(K[off], (np.abs(data @ data.conj().T) ** 2)[off], atol=2e-6)
    with pytest.raises(ValueError, match="symmetric case and 70 values"):
        gram_matrix(block, None, data, tile_size=16, diagonal=np.ones(3))
    with pytest.raises(ValueError, match="with b given"):
        gram_matrix(block, None, data, data, diagonal=np.ones(70))


def test_float32_density_gram_takes_its_diagonal_from_the_purities():
    # Tr(rho^2) = sum_ij |rho_ij|^2 of 4,096 entries: the Hermitian-coordinate product
    # rounds it to a few 1e-7 in float32 (up to 8e-7 measured), the grouped sum to 1e-8.
    X = RNG.uniform(0, 2 * np.pi, (30, 6))
    noise = NoiseModel().add_all_qubit(channels.Depolarizing(0.01))
    k = FidelityKernel(ZZFeatureMap(6, reps=2, entanglement="full", feature_scale=1.0),
                       noise=noise)
    K = k(X)
    rho = np.asarray(k.states(X).data).astype(np.complex128)
    reference = (rho @ rho.conj().T).real
    np.testing.assert_allclose(np.diag(K), np.sum(np.abs(rho) ** 2, axis=1), rtol=0, atol=5e-8)
    np.testing.assert_allclose(K, reference, rtol=0, atol=1e-6)
