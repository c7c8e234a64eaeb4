"""random_state resolution."""

import jax
import numpy as np
import pytest

from qinspired._random import as_key, resolve_seed


def test_int_seed_gives_the_same_key_every_time() -> None:
    a, b = as_key(3), as_key(3)
    np.testing.assert_array_equal(jax.random.key_data(a), jax.random.key_data(b))
    np.testing.assert_array_equal(jax.random.key_data(a), jax.random.key_data(jax.random.key(3)))


def test_generators_advance_and_are_reproducible() -> None:
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    assert resolve_seed(g1) == resolve_seed(g2)
    assert resolve_seed(g1) != resolve_seed(np.random.default_rng(5))


def test_none_draws_fresh_seeds_and_keys_pass_through() -> None:
    assert resolve_seed(None) != resolve_seed(None)
    key = jax.random.key(1)
    assert as_key(key) is key


@pytest.mark.parametrize("bad", [-1, 2**63, 1.5, "0", True])
def test_invalid_random_state(bad) -> None:
    with pytest.raises(ValueError, match="random_state"):
        resolve_seed(bad)
