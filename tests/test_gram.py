"""The tiled, sharded Gram engine against plain NumPy products."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qinspired.kernels.gram import gram_matrix

RNG = np.random.default_rng(3)
A = RNG.normal(size=(37, 5)).astype(np.float32)
B = RNG.normal(size=(11, 5)).astype(np.float32)


def _dot(params, a, b, key):
    return params["scale"] * jnp.matmul(a, b.T, precision=jax.lax.Precision.HIGHEST)


def _pair_sum(params, a, b, key):
    return jnp.sum(a["u"], axis=1)[:, None] + jnp.sum(b["v"], axis=(1, 2))[None, :]


def _noise(params, a, b, key):
    return jax.random.uniform(key, (a.shape[0], b.shape[0]))


PARAMS = {"scale": jnp.float32(2.0)}


@pytest.mark.parametrize("tile", [1, 4, 16, 64])
def test_tiles_reproduce_the_full_product(tile):
    np.testing.assert_allclose(gram_matrix(_dot, PARAMS, A, B, tile_size=tile), 2 * A @ B.T,
                               rtol=1e-5, atol=1e-5)
    K = gram_matrix(_dot, PARAMS, A, tile_size=tile)
    np.testing.assert_allclose(K, 2 * A @ A.T, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(K, K.T)


def test_pytree_features_with_different_shapes_per_leaf():
    a = {"u": RNG.normal(size=(9, 3)), "v": RNG.normal(size=(9, 2, 2))}
    b = {"u": RNG.normal(size=(4, 3)), "v": RNG.normal(size=(4, 2, 2))}
    ref = a["u"].sum(1)[:, None] + b["v"].sum((1, 2))[None, :]
    np.testing.assert_allclose(gram_matrix(_pair_sum, {}, a, b, tile_size=2), ref, atol=1e-5)


def test_jax_features_stay_on_device_and_give_the_same_result():
    np.testing.assert_allclose(gram_matrix(_dot, PARAMS, jnp.asarray(A), jnp.asarray(B),
                                           tile_size=8), 2 * A @ B.T, rtol=1e-5, atol=1e-5)


def test_out_array_and_memmap(tmp_path):
    out = np.zeros((37, 11))
    assert gram_matrix(_dot, PARAMS, A, B, out=out, tile_size=8) is out
    np.testing.assert_allclose(out, 2 * A @ B.T, rtol=1e-5, atol=1e-5)
    K = gram_matrix(_dot, PARAMS, A, B, out=tmp_path / "k.npy", tile_size=8)
    assert isinstance(K, np.memmap)
    np.testing.assert_allclose(np.load(tmp_path / "k.npy"), 2 * A @ B.T, rtol=1e-5, atol=1e-5)


def test_keyed_blocks_are_reproducible_and_symmetric():
    key = jax.random.key(5)
    k1 = gram_matrix(_noise, {}, A, key=key, tile_size=8)
    np.testing.assert_array_equal(k1, gram_matrix(_noise, {}, A, key=key, tile_size=8))
    np.testing.assert_array_equal(k1, k1.T)
    assert not np.array_equal(k1, gram_matrix(_noise, {}, A, key=jax.random.key(6), tile_size=8))


def test_bad_arguments():
    with pytest.raises(ValueError, match="shape"):
        gram_matrix(_dot, PARAMS, A, B, out=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="tile_size"):
        gram_matrix(_dot, PARAMS, A, B, tile_size=0)
    with pytest.raises(ValueError, match="disagree"):
        gram_matrix(_pair_sum, {}, {"u": np.zeros((3, 1)), "v": np.zeros((2, 1, 1))})
    with pytest.raises(ValueError, match="devices"):
        gram_matrix(_dot, PARAMS, A, B, devices=[])


def test_empty_inputs_give_an_empty_matrix():
    assert gram_matrix(_dot, PARAMS, A[:0], B).shape == (0, 11)


_SHARDED = textwrap.dedent(
    """
    import jax, numpy as np
    assert jax.device_count() == 4, jax.devices()
    from qinspired import ZZFeatureMap
    from qinspired.kernels import FidelityKernel, ProjectedKernel
    X = np.random.default_rng(0).uniform(0, 1, (23, 4))
    Y = np.random.default_rng(1).uniform(0, 1, (9, 4))
    fm = ZZFeatureMap(4, reps=2)
    for make in (lambda d: FidelityKernel(fm, devices=d, tile_size=8),
                 lambda d: FidelityKernel(fm, backend="mps", bond_dim=4, devices=d),
                 lambda d: ProjectedKernel(fm, gamma=0.5, devices=d, tile_size=8)):
        for args in ((X,), (X, Y)):
            sharded = make(None)(*args)
            single = make(1)(*args)
            assert np.max(np.abs(sharded - single)) < 1e-6, np.max(np.abs(sharded - single))
    print("OK")
    """
)


def test_sharded_over_four_cpu_devices_equals_one_device():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4",
               JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, "-c", _SHARDED], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("OK")
