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


_HIGH = 2**32  # seeds s and s + 2**32 agree in their low 32 bits


@pytest.mark.parametrize("seed", [0, 7, 2**32 - 1])
def test_small_seeds_keep_their_keys(seed) -> None:
    # seeds below 2**32 give exactly the keys they gave before (jax.random.key without x64)
    np.testing.assert_array_equal(jax.random.key_data(as_key(seed)),
                                  jax.random.key_data(jax.random.key(seed)))


@pytest.mark.parametrize("seed", [0, 5, 2**40 + 7])
def test_seeds_differing_above_bit_32_give_different_keys(seed) -> None:
    a, b = jax.random.key_data(as_key(seed)), jax.random.key_data(as_key(seed + _HIGH))
    assert not np.array_equal(np.asarray(a), np.asarray(b))
    # the key data are the seed's two 32-bit words, whatever the x64 setting
    np.testing.assert_array_equal(b, [(seed + _HIGH) >> 32, (seed + _HIGH) % _HIGH])


def test_keys_are_the_same_with_x64() -> None:
    seeds = [3, 2**32 + 3, 2**63 - 1]
    plain = [np.asarray(jax.random.key_data(as_key(s))) for s in seeds]
    with jax.enable_x64(True):
        wide = [np.asarray(jax.random.key_data(as_key(s))) for s in seeds]
        reference = [np.asarray(jax.random.key_data(jax.random.key(s))) for s in seeds]
    for p, w, r in zip(plain, wide, reference):
        np.testing.assert_array_equal(p, w)
        np.testing.assert_array_equal(w, r)  # jax.random.key's own 64-bit seeding


def _fitted_parameters(name: str, seed: int) -> np.ndarray:
    from qinspired import MPSRegressor, QuantumFourierFeatures, VariationalCircuitRegressor

    rng = np.random.default_rng(0)
    X, y = rng.uniform(0.0, 1.0, (12, 2)), rng.normal(size=12)
    if name == "fourier":
        return QuantumFourierFeatures(n_components=4, random_state=seed).fit(X).frequencies_
    if name == "mps":
        est = MPSRegressor(bond_dim=2, max_iter=1, random_state=seed).fit(X, y)
        return np.concatenate([np.ravel(t) for t in est.tensors_])
    est = VariationalCircuitRegressor(n_layers=1, epochs=1, random_state=seed).fit(X, y)
    return est.weights_


@pytest.mark.parametrize("name", ["fourier", "mps", "variational"])
def test_estimators_with_seeds_differing_above_bit_32_differ(name) -> None:
    a, b = _fitted_parameters(name, 11), _fitted_parameters(name, 11 + _HIGH)
    assert a.shape == b.shape
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(a, _fitted_parameters(name, 11))  # and each is reproducible
