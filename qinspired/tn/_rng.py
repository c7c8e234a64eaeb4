"""Host-side random numbers from JAX keys (private).

Drawing initial tensors or shuffles with ``jax.random`` outside ``jit`` compiles
a small program for every new shape, which dominates small fits; a NumPy
generator seeded from the key's bits is free, and as deterministic.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["numpy_rng"]


def numpy_rng(key: jax.Array) -> np.random.Generator:
    """A NumPy ``Generator`` seeded from the bits of a JAX key (typed or raw ``uint32``)."""
    key = key if isinstance(key, jax.Array) else jnp.asarray(key)
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    return np.random.default_rng(np.asarray(key, dtype=np.uint32).ravel().tolist())


def epoch_batches(rng: np.random.Generator, n: int, batch: int) -> np.ndarray:
    """Sample indices of one epoch as ``(n_batches, batch)``: a fresh shuffle, fixed batch shape.

    With ``n >= batch`` the shuffle is cut into ``n // batch`` batches and the
    last partial batch is dropped; with ``n < batch`` the shuffle is cycled to
    fill one batch.
    """
    n_batches = max(1, n // batch)
    perm = np.tile(rng.permutation(n), -(-batch // n))[: n_batches * batch]
    return perm.reshape(n_batches, batch)
