"""Every way a seed becomes a key or a generator: the one place randomness enters.

The core takes explicit JAX keys; ``random_state`` (None, an int or a NumPy
``Generator``) exists only at the scikit-learn boundary and is resolved here,
once, into an integer seed (which provenance records) and a key
(:func:`fit_key`). The other paths live here too:

* :func:`as_generator`: a NumPy generator for ``random_state`` (the data-set
  generators, which draw on the host as scikit-learn's ``make_*`` do);
* :func:`explicit_key`: a key from a key or an integer seed only, for
  results that must be reproducible (a drifting noise model);
* :func:`numpy_rng` and :func:`epoch_batches`: host-side draws (initial
  tensors, shuffles) from a JAX key. Drawing them with ``jax.random``
  outside ``jit`` compiles a small program for every new shape, which
  dominates small fits; a NumPy generator seeded from the key's bits is
  free, and as deterministic.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._validation import is_int

__all__ = [
    "as_generator",
    "as_key",
    "epoch_batches",
    "explicit_key",
    "fit_key",
    "numpy_rng",
    "resolve_seed",
    "seed_key",
]

_SEED_BOUND = 2**63
_WORD = 2**32


def resolve_seed(random_state: Any) -> int:
    """Resolve ``random_state`` to a non-negative integer seed.

    Parameters
    ----------
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        ``None`` draws a fresh seed from the operating system's entropy (not
        reproducible, but recorded); an int is used as it is; a generator
        contributes one draw (advancing it, as scikit-learn does).

    Returns
    -------
    int
        A seed in ``[0, 2**63)``.
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(2, np.uint32).view(np.uint64)[0]
                   % _SEED_BOUND)
    if isinstance(random_state, (bool, np.bool_)):
        raise ValueError(f"random_state must be None, an int or a Generator, got {random_state!r}")
    if isinstance(random_state, (int, np.integer)):
        if not 0 <= int(random_state) < _SEED_BOUND:
            raise ValueError(f"random_state={random_state} must be in [0, 2**63)")
        return int(random_state)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, _SEED_BOUND, dtype=np.int64))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    raise ValueError(
        f"random_state must be None, an int or a numpy Generator, got {type(random_state).__name__}"
    )


def as_key(random_state: Any) -> jax.Array:
    """A JAX PRNG key for ``random_state`` (a key passes through unchanged)."""
    if isinstance(random_state, jax.Array) and jax.dtypes.issubdtype(
        random_state.dtype, jax.dtypes.prng_key
    ):
        return random_state
    return seed_key(resolve_seed(random_state))


def seed_key(seed: int) -> jax.Array:
    """The JAX key of an integer seed in ``[0, 2**63)``, the same with or without x64.

    ``jax.random.key(seed)`` keeps only the low 32 bits of the seed unless
    JAX's x64 mode is on, so seeds that differ above bit 32 would share a key.
    Here both 32-bit halves enter the key: for the default ``threefry2x32``
    implementation the key data is ``[seed >> 32, seed & 0xFFFFFFFF]``, which
    is exactly what ``jax.random.key(seed)`` gives under x64 (and, for seeds
    below ``2**32``, without it), so existing small-seed results are
    unchanged. Other implementations fold the high half into the key of the
    low half.
    """
    seed = int(seed)
    if not 0 <= seed < _SEED_BOUND:
        raise ValueError(f"seed={seed} must be in [0, 2**63)")
    high, low = divmod(seed, _WORD)
    if jax.config.jax_default_prng_impl == "threefry2x32":
        return jax.random.wrap_key_data(np.array([high, low], dtype=np.uint32),
                                        impl="threefry2x32")
    key = jax.random.key(low)
    return jax.random.fold_in(key, high) if high else key


def fit_key(random_state: Any) -> tuple[int, jax.Array]:
    """Resolve ``random_state`` once per fit: the integer seed (for provenance) and its key."""
    seed = resolve_seed(random_state)
    return seed, seed_key(seed)


def as_generator(random_state: Any) -> np.random.Generator:
    """A NumPy generator for ``random_state`` (None, an int or a Generator), as sklearn does."""
    return np.random.default_rng(resolve_seed(random_state))


def explicit_key(key_or_seed: Any, owner: str) -> jax.Array:
    """A JAX key from a key, raw ``uint32`` key data or an integer seed; nothing else.

    For results that are reproducible by design: ``None`` and generators are
    refused with a ``ValueError`` naming ``owner``.
    """
    if isinstance(key_or_seed, jax.Array) and jax.dtypes.issubdtype(
        key_or_seed.dtype, jax.dtypes.prng_key
    ):
        return key_or_seed
    if isinstance(key_or_seed, (jax.Array, np.ndarray)) and key_or_seed.dtype == np.uint32:
        return jax.random.wrap_key_data(jnp.asarray(key_or_seed))
    if not is_int(key_or_seed):
        raise ValueError(f"{owner}: key_or_seed={key_or_seed!r} must be an integer "
                         "seed or a JAX key (the result is reproducible by design)")
    return as_key(int(key_or_seed))


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
