r"""Minibatch training with optax: a pure jitted step and one host loop.

The core of every gradient-trained model in the library. A model is a pytree
of parameters and a pure loss

.. math::

    \mathcal{L}(\theta; X_B, Y_B) = \texttt{loss\_fn}(\theta, X_B, Y_B),

which :func:`train_step` differentiates and hands to an optax optimizer. The
host loop :func:`train` shuffles the data into minibatches every epoch,
records the mean training loss per epoch (the loss curve), scores a held-out
validation split, and stops early when the monitored quantity stops improving,
as :class:`sklearn.neural_network.MLPClassifier` does.

Compile once, fit many times
----------------------------
:func:`train_step` is jitted at module level with ``loss_fn`` and the
optimizer's ``update`` function as static arguments, so a second fit with the
same loss function, the same optimizer update and the same batch shape reuses
the compiled step. ``optax.adam(lr)`` builds a new ``update`` closure on every
call; :func:`make_optimizer` instead returns optimizers whose ``update`` is
shared by name and whose learning rate lives in the optimizer state
(``optax.inject_hyperparams``), so fits with different learning rates share
one compiled step too.

Minibatches
-----------
Every batch holds exactly ``batch_size`` samples, so the step compiles once per
batch shape, whatever the data size. Each epoch draws a fresh permutation of
the training samples and cuts it into ``n_train // batch_size`` batches; the
last partial batch is *dropped*. With fewer than ``batch_size`` training
samples, an epoch is one batch in which the shuffled samples are *cycled* until
it is full (some samples appear once more than others). Which samples are
dropped or repeated changes every epoch, so over the epochs every sample has
the same weight, and no masking is needed.

Steps inside one call
---------------------
With ``steps_per_call=S``, :func:`train` runs an epoch's minibatch steps
``S`` at a time inside one jitted ``lax.scan`` (:func:`train_steps`) instead
of one Python dispatch per step: the batches of the epoch (the same
permutation, cut the same way) are gathered on the host into ``(S, batch,
...)`` blocks, and the last block of an epoch is filled with steps that are
skipped (``lax.cond``: parameters and optimizer state pass through
unchanged). The compiled program depends on ``S`` and the batch shape, not
on the number of samples, and the loss curve, validation scores and early
stopping are those of the step-by-step loop, epoch by epoch. It pays off
for small models, whose steps take about as long as their dispatch.

On this path the parameters travel as *one flat vector* when all their
leaves share a floating dtype: the loss sees them unflattened (static slices
and reshapes, free inside the program), and the optimizer updates the vector.
XLA:CPU runs elementwise code over small multi-axis arrays, such as the
``(n, 8, 2, 8)`` site stacks of an MPS, far slower than over one long axis
(an Adam update of 9,344 parameters in four such arrays took 32 instead of
3 us), and the update is elementwise, so the trained values are the same.
The optimizer state (``TrainResult.opt_state``) is then that of the vector.

Warnings
--------
When ``early_stopping`` is on and the loop reaches ``epochs`` before the
stopping criterion fires, :func:`train` warns with ``warning_category``, by
default :class:`ConvergenceWarning` defined here: a ``UserWarning`` subclass,
because the core does not import scikit-learn. The scikit-learn estimators
pass ``sklearn.exceptions.ConvergenceWarning`` instead, and always turn the
criterion on: without a validation split it watches the training loss, which
is ``MLPClassifier``'s rule with ``early_stopping=False``. With
``early_stopping`` off there is no tolerance to meet: all ``epochs`` run, and
nothing is warned.

References
----------
D. P. Kingma and J. Ba, "Adam: a method for stochastic optimization",
ICLR 2015, arXiv:1412.6980.
L. Prechelt, "Early stopping - but when?", in Neural Networks: Tricks of the
Trade, Springer (1998).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from qinspired._random import epoch_batches, numpy_rng
from qinspired._validation import check_int, check_real

__all__ = [
    "OPTIMIZERS",
    "ConvergenceWarning",
    "TrainResult",
    "make_optimizer",
    "train",
    "train_step",
    "train_steps",
]

LossFn = Callable[[Any, Any, Any], jax.Array]

#: Optimizers known to :func:`make_optimizer`, by name.
OPTIMIZERS: Mapping[str, Callable[..., optax.GradientTransformation]] = {
    "adam": optax.adam,
    "adamw": optax.adamw,
    "adagrad": optax.adagrad,
    "rmsprop": optax.rmsprop,
    "sgd": optax.sgd,
}


class ConvergenceWarning(UserWarning):
    """Training reached its epoch limit before the early-stopping criterion fired."""


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    params : pytree
        The trained parameters (with early stopping on a validation split: the
        parameters of the best validation score).
    loss_curve : list of float
        Mean training minibatch loss of each epoch.
    validation_scores : list of float
        Validation score after each epoch (empty without a validation split).
    n_iter : int
        Number of epochs run.
    converged : bool
        True when early stopping fired before ``epochs``; always False when
        ``early_stopping`` is off.
    opt_state : pytree
        The final optimizer state (to continue training, e.g. ``partial_fit``).
    """

    params: Any
    loss_curve: list[float]
    validation_scores: list[float]
    n_iter: int
    converged: bool
    opt_state: Any


@functools.cache
def _injected(name: str) -> optax.GradientTransformation:
    return optax.inject_hyperparams(OPTIMIZERS[name])(learning_rate=1.0)


def make_optimizer(name: str = "adam", learning_rate: float = 1e-3) -> optax.GradientTransformation:
    """An optax optimizer whose compiled training step is shared across learning rates.

    Parameters
    ----------
    name : {"adam", "adamw", "adagrad", "rmsprop", "sgd"}
        The optax optimizer (default hyper-parameters besides the learning rate).
    learning_rate : float
        Step size, > 0; stored in the optimizer state, not in the ``update``
        closure, so two optimizers of the same name have the same ``update``.

    Returns
    -------
    optax.GradientTransformation

    Examples
    --------
    >>> opt = make_optimizer("adam", 0.01)
    >>> opt.update is make_optimizer("adam", 0.1).update
    True
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; use one of "
                         + ", ".join(map(repr, OPTIMIZERS)))
    lr = check_real("make_optimizer", "learning_rate", learning_rate, positive=True)
    base = _injected(name)

    def init(params: Any) -> Any:
        state = base.init(params)
        old = state.hyperparams["learning_rate"]
        state.hyperparams["learning_rate"] = jnp.asarray(lr, dtype=old.dtype)
        return state

    return optax.GradientTransformation(init, base.update)


@functools.partial(jax.jit, static_argnames=("loss_fn", "update_fn"))
def train_step(params: Any, opt_state: Any, X: Any, Y: Any, *, loss_fn: LossFn,
               update_fn: Callable) -> tuple[Any, Any, jax.Array]:
    r"""One optimizer step, :math:`\theta \leftarrow \theta + u(\nabla_\theta \mathcal{L})`.

    Parameters
    ----------
    params, opt_state : pytree
        Parameters and optimizer state.
    X, Y : pytree of arrays
        One minibatch.
    loss_fn : callable
        ``loss_fn(params, X, Y) -> scalar``, pure and hashable (static).
    update_fn : callable
        The optimizer's ``update`` (static).

    Returns
    -------
    (params, opt_state, loss)
        Updated parameters and state, and the loss *before* the update.
    """
    loss, grads = jax.value_and_grad(loss_fn)(params, X, Y)
    updates, opt_state = update_fn(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss


def _scan_steps(params: Any, opt_state: Any, X: Any, Y: Any, valid: jax.Array, *,
                loss_fn: LossFn, update_fn: Callable) -> tuple[Any, Any, jax.Array]:
    loss_dtype = jax.eval_shape(loss_fn, params, *jax.tree.map(lambda a: a[0], (X, Y))).dtype

    def take(carry, batch):
        (p, s), (x, y) = carry, batch
        loss, grads = jax.value_and_grad(loss_fn)(p, x, y)
        updates, s = update_fn(grads, s, p)
        return (optax.apply_updates(p, updates), s), loss

    def body(carry, block):
        x, y, ok = block
        return jax.lax.cond(ok, take, lambda c, _: (c, jnp.zeros((), loss_dtype)), carry, (x, y))

    (params, opt_state), losses = jax.lax.scan(body, (params, opt_state), (X, Y, valid))
    return params, opt_state, losses


@functools.partial(jax.jit, static_argnames=("loss_fn", "update_fn"))
def train_steps(params: Any, opt_state: Any, X: Any, Y: Any, valid: jax.Array, *,
                loss_fn: LossFn, update_fn: Callable) -> tuple[Any, Any, jax.Array]:
    """Several optimizer steps in one call: :func:`train_step` scanned over a block of batches.

    Parameters
    ----------
    params, opt_state : pytree
        Parameters and optimizer state.
    X, Y : pytree of arrays
        ``S`` minibatches stacked along a new leading axis.
    valid : bool array, shape (S,)
        Steps to take; a step marked False leaves parameters and state unchanged.
    loss_fn, update_fn : callable
        As for :func:`train_step` (static).

    Returns
    -------
    (params, opt_state, losses)
        Parameters and state after the valid steps, and each step's loss
        before its update (0 for skipped steps), shape ``(S,)``.
    """
    return _scan_steps(params, opt_state, X, Y, valid, loss_fn=loss_fn, update_fn=update_fn)


def _epoch_blocks(idx: np.ndarray, steps: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Batch indices ``(n_batches, batch)`` cut into ``(steps, batch)`` blocks and validity masks.

    The last block is filled with copies of the first batch, marked invalid.
    """
    n = idx.shape[0]
    n_blocks = -(-n // steps)
    padded = np.concatenate([idx, np.repeat(idx[:1], n_blocks * steps - n, axis=0)])
    valid = np.arange(n_blocks * steps) < n
    return [(padded[k * steps:(k + 1) * steps], valid[k * steps:(k + 1) * steps])
            for k in range(n_blocks)]


@dataclass(frozen=True)
class _Flat:
    """``fn(params, X, Y)`` as a function of the parameters flattened into one vector.

    Hashable, and equal for equal functions and parameter layouts, so that fits
    of one model shape share the compiled steps (a static argument).
    """

    fn: LossFn
    treedef: Any
    shapes: tuple[tuple[int, ...], ...]

    def unflatten(self, flat: jax.Array) -> Any:
        """The parameter pytree: static slices of ``flat``, reshaped."""
        leaves, start = [], 0
        for shape in self.shapes:
            size = math.prod(shape)
            leaves.append(flat[start:start + size].reshape(shape))
            start += size
        return jax.tree.unflatten(self.treedef, leaves)

    def __call__(self, flat: jax.Array, X: Any, Y: Any) -> jax.Array:
        return self.fn(self.unflatten(flat), X, Y)


def _flat_form(loss_fn: LossFn, params: Any) -> _Flat | None:
    """:class:`_Flat` of ``loss_fn`` when every leaf of ``params`` has one floating dtype."""
    leaves, treedef = jax.tree.flatten(params)
    dtypes = {jnp.result_type(leaf) for leaf in leaves}
    if not leaves or len(dtypes) != 1 or not jnp.issubdtype(dtypes.pop(), jnp.floating):
        return None
    return _Flat(loss_fn, treedef, tuple(tuple(np.shape(leaf)) for leaf in leaves))


@functools.partial(jax.jit, static_argnames=("fn",))
def _evaluate(params: Any, X: Any, Y: Any, *, fn: LossFn) -> jax.Array:
    return fn(params, X, Y)


def _n_samples(X: Any, Y: Any) -> int:
    sizes = {int(np.shape(a)[0]) for a in jax.tree.leaves((X, Y)) if np.ndim(a) > 0}
    if len(sizes) != 1:
        raise ValueError(f"X and Y must share their first (sample) axis, got sizes {sorted(sizes)}")
    return sizes.pop()


def _take(tree: Any, idx: np.ndarray) -> Any:
    return jax.tree.map(lambda a: a[idx], tree)


def _check_args(epochs: Any, batch_size: Any, validation_fraction: Any, n_iter_no_change: Any,
                tol: Any, steps_per_call: Any) -> None:
    check_int("train", "epochs", epochs, 1)
    if steps_per_call is not None:
        check_int("train", "steps_per_call", steps_per_call, 1)
    check_int("train", "batch_size", batch_size, 1)
    check_int("train", "n_iter_no_change", n_iter_no_change, 1)
    check_real("train", "tol", tol)
    frac = check_real("train", "validation_fraction", validation_fraction)
    if not 0.0 <= frac < 1.0:
        raise ValueError(f"train: validation_fraction={validation_fraction!r} must be in [0, 1)")


def train(
    loss_fn: LossFn,
    params: Any,
    X: Any,
    Y: Any,
    *,
    optimizer: optax.GradientTransformation,
    epochs: int,
    batch_size: int,
    key: jax.Array,
    validation_fraction: float = 0.0,
    early_stopping: bool = False,
    n_iter_no_change: int = 10,
    tol: float = 1e-4,
    score_fn: LossFn | None = None,
    opt_state: Any = None,
    verbose: bool = False,
    warning_category: type[Warning] = ConvergenceWarning,
    steps_per_call: int | None = None,
) -> TrainResult:
    r"""Minimise ``loss_fn`` over shuffled minibatches for up to ``epochs`` epochs.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(params, X_batch, Y_batch) -> scalar``: pure, jit-compatible and
        hashable (a module-level function, or one cached by its settings), so
        the jitted step is reused across calls.
    params : pytree
        Initial parameters.
    X, Y : array or pytree of arrays
        Data, with the samples along the first axis of every leaf (NumPy or
        JAX arrays; batches are gathered on the host).
    optimizer : optax.GradientTransformation
        E.g. from :func:`make_optimizer` (which shares compiled steps across
        learning rates).
    epochs : int
        Maximum number of passes over the training split.
    batch_size : int
        Minibatch size; the last partial batch of each epoch is dropped, and
        fewer training samples are cycled to fill one batch (see the module notes).
    key : jax.Array
        PRNG key; the validation split and the per-epoch shuffles derive from
        it, so equal keys give identical results.
    validation_fraction : float, default 0.0
        Fraction in ``[0, 1)`` of the samples held out (a random split) and
        scored after every epoch.
    early_stopping : bool, default False
        Stop when the monitored quantity has not improved by more than ``tol``
        for ``n_iter_no_change`` consecutive epochs. It monitors the validation
        score when there is a validation split (and then returns the best
        parameters), otherwise the training loss. When off, all ``epochs`` run.
    n_iter_no_change : int, default 10
        Patience, in epochs.
    tol : float, default 1e-4
        Minimum improvement that counts.
    score_fn : callable, optional
        ``score_fn(params, X_val, Y_val) -> scalar``, higher is better; the
        default is ``-loss_fn`` on the whole validation split.
    opt_state : pytree, optional
        An optimizer state to continue from (default: ``optimizer.init(params)``);
        with ``steps_per_call``, a state of the flattened parameters (see the
        module notes), as returned by a previous call.
    verbose : bool, default False
        Print the loss (and validation score) after every epoch.
    warning_category : type of Warning
        The category warned with when early stopping never fired.
    steps_per_call : int, optional
        Run the steps of an epoch this many at a time inside one jitted
        ``lax.scan`` (:func:`train_steps`; see the module notes) instead of
        one call of :func:`train_step` per step. The same batches in the same
        order, so the same training up to floating-point rounding.

    Returns
    -------
    TrainResult

    Raises
    ------
    ValueError
        For bad arguments, too few samples for the validation split, or a
        non-finite loss (the message suggests a smaller learning rate).

    Examples
    --------
    >>> import jax, jax.numpy as jnp, numpy as np
    >>> def loss(w, x, y):
    ...     return jnp.mean((x @ w - y) ** 2)
    >>> x = np.random.default_rng(0).normal(size=(64, 3)); y = x @ np.array([1.0, -2.0, 0.5])
    >>> res = train(loss, jnp.zeros(3), x, y, optimizer=make_optimizer("adam", 0.1),
    ...             epochs=200, batch_size=16, key=jax.random.key(0))
    >>> bool(res.loss_curve[-1] < 1e-3)
    True
    """
    _check_args(epochs, batch_size, validation_fraction, n_iter_no_change, tol, steps_per_call)
    X = jax.tree.map(np.asarray, X)
    Y = jax.tree.map(np.asarray, Y)
    n = _n_samples(X, Y)
    rng = numpy_rng(key)
    n_val = int(round(validation_fraction * n)) if validation_fraction > 0 else 0
    if validation_fraction > 0 and not 1 <= n_val < n:
        raise ValueError(f"train: validation_fraction={validation_fraction} of {n} samples leaves "
                         f"{n_val} for validation and {n - n_val} for training; both need >= 1")
    if n_val:
        order = rng.permutation(n)
        X_val, Y_val = _take(X, order[:n_val]), _take(Y, order[:n_val])
        X, Y = _take(X, order[n_val:]), _take(Y, order[n_val:])
    n_train = n - n_val
    score = score_fn if score_fn is not None else _negated(loss_fn)
    flat = _flat_form(loss_fn, params) if steps_per_call is not None else None
    if flat is not None:
        params = jnp.concatenate([jnp.ravel(leaf) for leaf in jax.tree.leaves(params)])
        loss_fn, score = flat, _Flat(score, flat.treedef, flat.shapes)
    if opt_state is None:
        opt_state = optimizer.init(params)

    loss_curve: list[float] = []
    val_scores: list[float] = []
    best, best_params, stall, converged, epoch = -np.inf, params, 0, False, 0
    for epoch in range(1, int(epochs) + 1):
        losses, batches = [], epoch_batches(rng, n_train, int(batch_size))
        if steps_per_call is None:
            for idx in batches:
                params, opt_state, loss = train_step(params, opt_state, _take(X, idx),
                                                     _take(Y, idx), loss_fn=loss_fn,
                                                     update_fn=optimizer.update)
                losses.append(loss)
            losses = jax.device_get(losses)                 # one transfer, nothing to compile
        else:
            blocks = _epoch_blocks(batches, int(steps_per_call))
            for idx, ok in blocks:
                params, opt_state, loss = train_steps(params, opt_state, _take(X, idx),
                                                      _take(Y, idx), ok, loss_fn=loss_fn,
                                                      update_fn=optimizer.update)
                losses.append(loss)
            losses = np.concatenate([loss[ok] for loss, (_, ok)
                                     in zip(jax.device_get(losses), blocks, strict=True)])
        epoch_loss = float(np.mean(losses))
        if not np.isfinite(epoch_loss):
            raise ValueError(f"train: the training loss became {epoch_loss} in epoch {epoch}; "
                             "try a smaller learning rate")
        loss_curve.append(epoch_loss)
        message = f"Iteration {epoch}, loss = {epoch_loss:.8f}"
        if n_val:
            val_scores.append(float(_evaluate(params, X_val, Y_val, fn=score)))
            message += f", validation score = {val_scores[-1]:.8f}"
        if verbose:
            print(message)
        if not early_stopping:
            continue
        current = val_scores[-1] if n_val else -epoch_loss
        if current > best + tol:
            stall = 0
        else:
            stall += 1
        if current > best:
            best, best_params = current, params
        if stall >= n_iter_no_change:
            converged = True
            break
    if early_stopping and n_val:
        params = best_params
    if flat is not None:
        params = flat.unflatten(params)
    if early_stopping and not converged:
        warnings.warn(f"training stopped at the epoch limit ({epochs}) before the "
                      f"{'validation score' if n_val else 'training loss'} stopped improving; "
                      "consider raising the number of epochs", warning_category, stacklevel=2)
    return TrainResult(params=params, loss_curve=loss_curve, validation_scores=val_scores,
                       n_iter=epoch, converged=converged, opt_state=opt_state)


@functools.cache
def _negated(loss_fn: LossFn) -> LossFn:
    """``-loss_fn``, cached so that the jitted evaluation is reused."""

    def score(params: Any, X: Any, Y: Any) -> jax.Array:
        return -loss_fn(params, X, Y)

    return score
