"""Turning ``random_state`` into JAX keys: the one place randomness enters.

The core takes explicit JAX keys; ``random_state`` (None, an int or a NumPy
``Generator``) exists only at the scikit-learn boundary and is resolved here,
once, into an integer seed (which provenance records) and a key.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

__all__ = ["as_key", "resolve_seed", "seed_key"]

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
