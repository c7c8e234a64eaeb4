"""DMRG-like sweeps: cached environments, exact splits, adaptive bonds, a falling loss."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from _tn_dense import dense_mps_weights, kron_inputs, random_labelled

from qinspired.tn.mps_model import init_labelled_mps, labelled_logits
from qinspired.tn.sweep import (
    BondModel,
    _merge,
    sweep_fit,
    sweep_init,
    sweep_update,
    to_model,
)


def ce_loss(model, phi, y):
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(model.logits(phi), y))


def _bond_outputs(state, phi, j):
    left, right = state.left[j], state.right[j + 2]
    inputs = (left[0], phi[:, j], phi[:, j + 1], right[0], left[1] + right[1])
    return np.asarray(BondModel(_merge(state, j)).logits(inputs))


def _toy(n_samples=60, n_sites=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n_samples, n_sites))
    y = (x[:, 0] + x[:, -1] > 1.0).astype(np.int32) + (x[:, n_sites // 2] > 0.7)
    phi = np.stack([np.cos(np.pi * x / 2), np.sin(np.pi * x / 2)], -1)
    return jnp.asarray(phi), jnp.asarray(y.astype(np.int32))


def test_init_caches_reproduce_the_dense_model() -> None:
    with jax.enable_x64(True):
        model = random_labelled(jax.random.key(0), 5, 2, 3, 3, 2)
        phi = jnp.asarray(np.random.default_rng(1).normal(size=(8, 5, 2)))
        want = kron_inputs(phi) @ dense_mps_weights(model.tensors, 2)
        state = sweep_init(model, phi, max_bond=6)
        assert state.center == 0
        assert all(t.shape[0] == 6 and t.shape[-1] == 6 for t in state.tensors)
        np.testing.assert_allclose(_bond_outputs(state, phi, 0), want, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(np.asarray(labelled_logits(to_model(state), phi)), want,
                                   rtol=1e-9, atol=1e-12)


def test_a_sweep_keeps_caches_exact_and_grows_bonds_from_one() -> None:
    with jax.enable_x64(True):
        phi, y = _toy()
        model = init_labelled_mps(jax.random.key(0), 5, 2, 3, 1, center=0, noise=0.1,
                                  dtype=jnp.float64)
        state = sweep_init(model, phi, max_bond=3)
        assert state.bonds == [1, 1, 1, 1, 1, 1]
        state, losses = sweep_update(state, ce_loss, phi, y, learning_rate=0.05, batch_size=16,
                                     key=jax.random.key(0))
        assert len(losses) == 8 and state.center == 0
        assert state.bonds[0] == state.bonds[-1] == 1
        assert max(state.bonds) == 3 and all(b <= 3 for b in state.bonds)
        model = to_model(state)
        assert model.bond_dims == tuple(state.bonds[1:-1])
        # The cut-off padding is exactly zero: the unpadded model equals the cached one,
        # and both equal the dense contraction, at every bond of the next sweep.
        want = kron_inputs(phi) @ dense_mps_weights(model.tensors, model.center)
        np.testing.assert_allclose(np.asarray(labelled_logits(model, phi)), want, rtol=1e-9,
                                   atol=1e-12)
        np.testing.assert_allclose(_bond_outputs(state, phi, 0), want, rtol=1e-9, atol=1e-12)


def test_cutoff_limits_the_bonds() -> None:
    phi, y = _toy()
    model = init_labelled_mps(jax.random.key(0), 5, 2, 3, 1, center=0)
    kw = dict(max_bond=8, learning_rate=0.05, n_sweeps=1, batch_size=16, key=jax.random.key(1))
    full = sweep_fit(ce_loss, model, phi, y, cutoff=0.0, **kw)
    cut = sweep_fit(ce_loss, model, phi, y, cutoff=0.2, **kw)
    assert sum(cut.params.bond_dims) < sum(full.params.bond_dims)


def test_sweeps_lower_the_training_loss() -> None:
    phi, y = _toy(n_samples=200)
    model = init_labelled_mps(jax.random.key(0), 5, 2, 3, 1, center=0)
    res = sweep_fit(ce_loss, model, phi, y, max_bond=4, learning_rate=0.05, n_sweeps=3,
                    batch_size=16, key=jax.random.key(2))
    assert len(res.loss_curve) == 3 and res.n_iter == 3
    assert res.loss_curve[-1] < 0.7 * float(ce_loss(model, phi, y))
    acc = np.mean(np.argmax(np.asarray(labelled_logits(res.params, phi)), 1) == np.asarray(y))
    assert acc > 0.85


def test_bad_arguments() -> None:
    phi, y = _toy(n_sites=1)
    single = init_labelled_mps(jax.random.key(0), 1, 2, 3, 1)
    with pytest.raises(ValueError, match="at least 2 sites"):
        sweep_fit(ce_loss, single, phi, y, max_bond=2, key=jax.random.key(0))
    phi, y = _toy()
    model = init_labelled_mps(jax.random.key(0), 5, 2, 3, 1)
    with pytest.raises(ValueError, match="cutoff"):
        sweep_fit(ce_loss, model, phi, y, max_bond=2, cutoff=1.0, key=jax.random.key(0))
    with pytest.raises(ValueError, match="learning_rate"):
        sweep_fit(ce_loss, model, phi, y, max_bond=2, learning_rate=0.0, key=jax.random.key(0))
