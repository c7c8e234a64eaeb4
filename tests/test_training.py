"""The optax minibatch loop: convergence, determinism, batching, early stopping, compile reuse."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qinspired._random import numpy_rng
from qinspired.training import (
    ConvergenceWarning,
    TrainResult,
    make_optimizer,
    train,
    train_step,
)

W_TRUE = np.array([1.0, -2.0, 0.5])


def _data(n: int = 96, noise: float = 0.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    return x, x @ W_TRUE + noise * rng.normal(size=n)


def lsq_loss(w, x, y):
    return jnp.mean((x @ w - y) ** 2)


def test_least_squares_converges_to_the_closed_form() -> None:
    x, y = _data(noise=0.1)
    res = train(lsq_loss, jnp.zeros(3), x, y, optimizer=make_optimizer("adam", 0.05),
                epochs=150, batch_size=16, key=jax.random.key(0))
    w_ls = np.linalg.lstsq(x, y, rcond=None)[0]
    assert isinstance(res, TrainResult)
    np.testing.assert_allclose(np.asarray(res.params), w_ls, atol=2e-2)
    assert res.n_iter == 150 and len(res.loss_curve) == 150 and not res.converged
    assert res.loss_curve[-1] < 0.25 * res.loss_curve[0]


def test_same_key_same_result_and_other_key_differs() -> None:
    x, y = _data(noise=0.5)
    kw = dict(optimizer=make_optimizer("adam", 0.01), epochs=5, batch_size=10)
    a = train(lsq_loss, jnp.zeros(3), x, y, key=jax.random.key(3), **kw)
    b = train(lsq_loss, jnp.zeros(3), x, y, key=jax.random.key(3), **kw)
    c = train(lsq_loss, jnp.zeros(3), x, y, key=jax.random.key(4), **kw)
    np.testing.assert_array_equal(np.asarray(a.params), np.asarray(b.params))
    assert a.loss_curve == b.loss_curve
    assert not np.array_equal(np.asarray(a.params), np.asarray(c.params))


@pytest.mark.parametrize("n, batch, steps_per_epoch", [(100, 32, 3), (96, 32, 3), (10, 32, 1)])
def test_fixed_batches_drop_or_cycle(n: int, batch: int, steps_per_epoch: int) -> None:
    seen = []

    def recording_loss(w, x, y):
        jax.debug.callback(lambda v: seen.append(np.asarray(v).copy()), y)
        return jnp.sum(w * 0.0)

    x, y = np.zeros((n, 1)), np.arange(n, dtype=float)
    res = train(recording_loss, jnp.zeros(1), x, y, optimizer=make_optimizer("sgd", 0.1),
                epochs=2, batch_size=batch, key=jax.random.key(0))
    jax.effects_barrier()
    # value_and_grad traces the loss once per call: one callback per step.
    assert len(seen) == 2 * steps_per_epoch
    assert all(s.shape == (batch,) for s in seen)
    epoch = np.concatenate(seen[:steps_per_epoch])
    if n >= batch:
        assert len(np.unique(epoch)) == len(epoch)          # no repeats, the rest dropped
    else:
        counts = np.bincount(epoch.astype(int), minlength=n)
        assert counts.min() >= batch // n and counts.max() <= -(-batch // n)
    assert int(res.opt_state.count) == 2 * steps_per_epoch


def test_pytree_data_and_validation_split() -> None:
    x, y = _data(n=100)

    def loss(w, xs, y):
        return jnp.mean((xs["a"] @ w + 0.0 * xs["b"] - y) ** 2)

    res = train(loss, jnp.zeros(3), {"a": x, "b": np.ones(100)}, y,
                optimizer=make_optimizer("adam", 0.05), epochs=30, batch_size=20,
                key=jax.random.key(0), validation_fraction=0.2)
    assert len(res.validation_scores) == 30
    assert res.validation_scores[-1] > res.validation_scores[0]     # -loss, rising
    assert res.validation_scores[-1] == pytest.approx(-float(jnp.mean(
        (jnp.asarray(x) @ res.params - y) ** 2)), abs=0.5)


def test_early_stopping_fires_and_keeps_the_best_parameters() -> None:
    x, y = _data(noise=0.3)

    def score(w, xv, yv):
        return -jnp.mean((xv @ w - yv) ** 2)

    res = train(lsq_loss, jnp.zeros(3), x, y, optimizer=make_optimizer("adam", 0.1),
                epochs=500, batch_size=16, key=jax.random.key(1), validation_fraction=0.25,
                early_stopping=True, n_iter_no_change=5, tol=1e-3, score_fn=score)
    scores = res.validation_scores
    assert res.converged and res.n_iter < 500 and len(scores) == res.n_iter
    best = int(np.argmax(scores))
    assert res.n_iter >= best + 1 + 5 - 1
    # The returned parameters score the best validation score (recomputed independently).
    order = numpy_rng(jax.random.key(1)).permutation(len(y))     # the split train() drew
    xv, yv = x[order[:24]], y[order[:24]]
    assert -np.mean((xv @ np.asarray(res.params) - yv) ** 2) == pytest.approx(scores[best],
                                                                               rel=1e-5)


def test_warns_when_early_stopping_never_fires() -> None:
    x, y = _data()
    with pytest.warns(ConvergenceWarning, match="epoch limit"):
        res = train(lsq_loss, jnp.zeros(3), x, y, optimizer=make_optimizer("adam", 1e-3),
                    epochs=3, batch_size=16, key=jax.random.key(0), early_stopping=True)
    assert not res.converged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train(lsq_loss, jnp.zeros(3), x, y, optimizer=make_optimizer("adam", 1e-3), epochs=3,
              batch_size=16, key=jax.random.key(0))


def test_training_loss_plateau_stops_without_a_warning() -> None:
    """Without a validation split, early stopping watches the training loss (MLPClassifier's
    rule): on noiseless least squares it stalls once the loss is below tol, long before 500."""
    x, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = train(lsq_loss, jnp.zeros(3), x, y, optimizer=make_optimizer("adam", 0.1),
                    epochs=500, batch_size=16, key=jax.random.key(0), early_stopping=True,
                    n_iter_no_change=5, tol=1e-4)
    assert res.converged and res.n_iter < 500
    assert res.loss_curve[-1] < 1e-3 and len(res.loss_curve) == res.n_iter


def test_custom_warning_category() -> None:
    class Mine(UserWarning):
        pass

    x, y = _data()
    with pytest.warns(Mine):
        train(lsq_loss, jnp.zeros(3), x, y, optimizer=make_optimizer("adam", 1e-3), epochs=2,
              batch_size=16, key=jax.random.key(0), early_stopping=True, warning_category=Mine)


def test_optimizers_share_the_compiled_step_across_learning_rates() -> None:
    assert make_optimizer("adam", 0.1).update is make_optimizer("adam", 0.5).update
    x, y = _data()
    kw = dict(epochs=1, batch_size=16, key=jax.random.key(0))
    train(lsq_loss, jnp.zeros(3), x, y, optimizer=make_optimizer("adam", 0.1), **kw)
    before = train_step._cache_size()
    fast = train(lsq_loss, jnp.zeros(3), x, y, optimizer=make_optimizer("adam", 0.5), **kw)
    slow = train(lsq_loss, jnp.zeros(3), x[:50], y[:50], optimizer=make_optimizer("adam", 1e-3),
                 **kw)
    assert train_step._cache_size() == before
    # ... and the learning rate still acts: a larger rate moves further in one epoch.
    assert np.linalg.norm(np.asarray(fast.params)) > np.linalg.norm(np.asarray(slow.params))


def test_opt_state_continues_training() -> None:
    x, y = _data()
    opt = make_optimizer("adam", 0.05)
    kw = dict(optimizer=opt, batch_size=16)
    whole = train(lsq_loss, jnp.zeros(3), x, y, epochs=1, key=jax.random.key(0), **kw)
    more = train(lsq_loss, whole.params, x, y, epochs=1, key=jax.random.key(1),
                 opt_state=whole.opt_state, **kw)
    assert int(more.opt_state.count) == 2 * (96 // 16)


@pytest.mark.parametrize("kwargs, match", [
    (dict(epochs=0), "epochs"),
    (dict(batch_size=0), "batch_size"),
    (dict(validation_fraction=1.0), "validation_fraction"),
    (dict(validation_fraction=0.001), "validation"),
    (dict(n_iter_no_change=0), "n_iter_no_change"),
])
def test_bad_arguments(kwargs, match) -> None:
    x, y = _data(n=20)
    args = dict(optimizer=make_optimizer("sgd", 0.1), epochs=1, batch_size=4,
                key=jax.random.key(0))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        train(lsq_loss, jnp.zeros(3), x, y, **args)


def test_mismatched_samples_and_unknown_optimizer() -> None:
    with pytest.raises(ValueError, match="first"):
        train(lsq_loss, jnp.zeros(3), np.zeros((5, 3)), np.zeros(4),
              optimizer=make_optimizer(), epochs=1, batch_size=2, key=jax.random.key(0))
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("adamax2")
    with pytest.raises(ValueError, match="learning_rate"):
        make_optimizer("adam", -1.0)


def test_non_finite_loss_raises() -> None:
    def exploding(w, x, y):
        return jnp.sum(jnp.exp(w * 1e3))

    with pytest.raises(ValueError, match="smaller learning rate"):
        train(exploding, jnp.ones(1), np.zeros((8, 1)), np.zeros(8),
              optimizer=make_optimizer("sgd", 1.0), epochs=3, batch_size=4,
              key=jax.random.key(0))


def test_docstring_examples_run() -> None:
    import doctest

    import qinspired.training as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_scanned_steps_train_a_flat_vector_like_the_step_loop() -> None:
    """A pytree of several multi-axis leaves: the scanned path (one flat vector) trains the
    same parameters as the step-by-step loop on the pytree, returned in the pytree's form."""
    x, y = _data(noise=0.1)

    def loss(params, xb, yb):
        w = params["w"].reshape(3) + params["v"][0, 0, :]
        return jnp.mean((xb @ w + params["b"] - yb) ** 2)

    params = {"w": jnp.zeros((1, 3, 1)), "v": jnp.full((2, 1, 3), 0.1), "b": jnp.zeros(())}
    kw = dict(optimizer=make_optimizer("adam", 0.05), epochs=20, batch_size=16,
              key=jax.random.key(1))
    loop = train(loss, params, x, y, **kw)
    scanned = train(loss, params, x, y, steps_per_call=4, **kw)
    assert jax.tree.structure(scanned.params) == jax.tree.structure(params)
    for name, leaf in params.items():
        assert scanned.params[name].shape == leaf.shape
        np.testing.assert_allclose(np.asarray(scanned.params[name]),
                                   np.asarray(loop.params[name]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scanned.loss_curve, loop.loss_curve, rtol=1e-5)
    assert {np.shape(a) for a in jax.tree.leaves(scanned.opt_state) if np.ndim(a)} == {(10,)}
    again = train(loss, scanned.params, x, y, steps_per_call=4, opt_state=scanned.opt_state,
                  **{**kw, "epochs": 1})
    assert np.isfinite(again.loss_curve[0])
