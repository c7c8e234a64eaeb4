"""random_state resolution."""

import jax
import numpy as np
import pytest

from qinspired._random import (
    as_generator,
    as_key,
    epoch_batches,
    explicit_key,
    fit_key,
    numpy_rng,
    resolve_seed,
)
from qinspired.circuits.channels import Depolarizing, ReadoutError
from qinspired.circuits.noise_model import NoiseModel
from qinspired.datasets import make_two_curves


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


# Each seed -> key / generator path keeps the stream it had before it moved into
# qinspired._random (values computed once with the modules they came from).


def _key_words(key) -> list[int]:
    return np.asarray(jax.random.key_data(key)).tolist()


def test_fit_key_keeps_its_seed_and_key() -> None:
    seed, key = fit_key(2**40 + 9)
    assert (seed, _key_words(key)) == (2**40 + 9, [256, 9])
    seed, key = fit_key(np.random.default_rng(3))
    assert (seed, _key_words(key)) == (789974133212406140, [183930185, 3890176380])


def test_numpy_rng_keeps_its_stream() -> None:
    assert numpy_rng(jax.random.key(1)).integers(0, 1000, 6).tolist() == [
        522, 889, 992, 557, 302, 800]
    assert numpy_rng(np.array([5, 9], np.uint32)).integers(0, 1000, 6).tolist() == [
        914, 665, 851, 767, 801, 565]
    assert numpy_rng(jax.random.split(jax.random.key(2))[1]).integers(0, 1000, 6).tolist() == [
        620, 705, 152, 189, 553, 917]


def test_epoch_batches_keep_their_shuffle_and_shape() -> None:
    assert epoch_batches(np.random.default_rng(0), 10, 4).tolist() == [[4, 6, 2, 7],
                                                                      [3, 5, 9, 0]]
    # fewer samples than a batch: the shuffle is cycled to fill one batch
    assert epoch_batches(np.random.default_rng(0), 3, 5).tolist() == [[2, 0, 1, 2, 0]]


def test_as_generator_keeps_its_stream() -> None:
    assert as_generator(7).integers(0, 1000, 6).tolist() == [944, 625, 684, 897, 578, 775]
    assert as_generator(np.random.default_rng(4)).integers(0, 1000, 6).tolist() == [
        129, 203, 646, 957, 476, 926]
    X, y = make_two_curves(n_samples=4, n_features=2, random_state=3)
    np.testing.assert_allclose(X, [[-0.6785910602085836, -1.6280838522621623],
                                   [-0.991849406278621, 0.033091079476620495],
                                   [1.5969824179937853, 0.6022440140087042],
                                   [0.07345804849341919, 0.9927487587768378]], rtol=1e-12)
    assert y.tolist() == [0, 1, 1, 0]


def test_explicit_key_keeps_its_keys_and_refuses_non_reproducible_seeds() -> None:
    assert _key_words(explicit_key(3, "f")) == [0, 3]
    assert _key_words(explicit_key(2**33 + 1, "f")) == [2, 1]
    assert _key_words(explicit_key(np.array([4, 2], np.uint32), "f")) == [4, 2]
    key = jax.random.key(5)
    assert explicit_key(key, "f") is key
    for bad in (None, np.random.default_rng(0), 1.5):
        with pytest.raises(ValueError, match="f: key_or_seed"):
            explicit_key(bad, "f")


def test_drifted_noise_model_keeps_its_values() -> None:
    model = (NoiseModel().add_all_qubit(Depolarizing(0.01))
             .add_readout(ReadoutError(0.02, 0.03)))
    drifted = model.drifted(5, 42)
    np.testing.assert_allclose(
        [float(drifted.rules[0].channel.p), float(drifted.readout[0].error.p0given1),
         float(drifted.readout[0].error.p1given0)],
        [0.011248035356402397, 0.019984696060419083, 0.03985866159200668], rtol=1e-6)
