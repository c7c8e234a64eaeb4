"""Shared machinery of the tensor-network estimators (private).

Holds what :mod:`qinspired.estimators.tensor_networks` needs besides the
docstrings: the common ``__init__``, parameter checks, the min-max scaling and
local-map embedding, the losses and validation scores (module-level functions,
so the jitted training step compiles once per model shape and is reused across
fits), and chunked prediction (fixed chunk shapes: one compilation per model,
and results that do not depend on how many samples are predicted at once).
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import optax
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from qinspired._batching import map_rows
from qinspired._random import as_key, resolve_seed
from qinspired._validation import check_choice, check_int, check_real
from qinspired.estimators._common import set_provenance
from qinspired.estimators._supervised import (
    SupervisedClassifier,
    SupervisedEstimator,
    SupervisedRegressor,
)
from qinspired.tn.local_maps import LOCAL_MAPS, embed, get_local_map
from qinspired.tn.mps_model import LabelledMPS, StackedLabelledMPS, init_labelled_mps
from qinspired.tn.sweep import sweep_fit
from qinspired.tn.ttn import TTN, init_ttn

#: Rows per jitted prediction call; the last chunk is zero-padded.
_CHUNK = 256

#: Adam steps per jitted call (``qinspired.training.train_steps``): the steps of
#: these small models take about as long as a Python dispatch, so an epoch runs
#: in blocks of this many steps inside one ``lax.scan``.
_STEPS_PER_CALL = 16


@functools.partial(jax.jit, static_argnames=("name", "d"))
def _embed_chunk(x: jax.Array, *, name: str, d: int) -> jax.Array:
    return embed(x, name, d)


@functools.partial(jax.jit, static_argnames=("name", "d"))
def _logits_chunk(model: Any, x: jax.Array, *, name: str, d: int) -> jax.Array:
    return model.logits(embed(x, name, d))


def _in_chunks(fn, X: np.ndarray, dtype) -> np.ndarray:
    """``fn`` on row batches of exactly ``_CHUNK`` rows (one compiled shape), as NumPy."""
    X = X.astype(dtype, copy=False)
    return np.asarray(map_rows(lambda part, _: fn(jnp.asarray(part)), X, _CHUNK,
                               bucket=lambda n: _CHUNK))


def cross_entropy(model: Any, phi: jax.Array, y: jax.Array) -> jax.Array:
    """Mean softmax cross-entropy of the model outputs against integer labels."""
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(model.logits(phi), y))


@functools.cache
def smoothed_cross_entropy(smoothing: float) -> Any:
    r"""Cross-entropy against labels smoothed by ``smoothing`` (cached: one function per value).

    The target of a sample of class :math:`y` is :math:`(1 - \varepsilon)\,e_y +
    \varepsilon / C`, so the loss is
    :math:`-(1 - \varepsilon) \log p_y - \frac{\varepsilon}{C} \sum_c \log p_c`.
    """
    if smoothing == 0.0:
        return cross_entropy

    def loss(model: Any, phi: jax.Array, y: jax.Array) -> jax.Array:
        logp = jax.nn.log_softmax(model.logits(phi), axis=-1)
        picked = jnp.take_along_axis(logp, y[:, None], axis=-1)[:, 0]
        return -jnp.mean((1.0 - smoothing) * picked + smoothing * jnp.mean(logp, axis=-1))

    return loss


def squared_error(model: Any, phi: jax.Array, y: jax.Array) -> jax.Array:
    r"""Half the mean squared error, :math:`\frac{1}{2}\langle (f - y)^2 \rangle`."""
    return 0.5 * jnp.mean((model.logits(phi) - y) ** 2)


def accuracy(model: Any, phi: jax.Array, y: jax.Array) -> jax.Array:
    """Fraction of correctly classified samples (validation score of the classifiers)."""
    return jnp.mean(jnp.argmax(model.logits(phi), axis=1) == y)


def r2(model: Any, phi: jax.Array, y: jax.Array) -> jax.Array:
    """Coefficient of determination over all outputs (validation score of the regressors)."""
    resid = jnp.sum((model.logits(phi) - y) ** 2)
    total = jnp.sum((y - jnp.mean(y, axis=0)) ** 2)
    return 1.0 - resid / jnp.where(total > 0, total, 1.0)


def _float_dtype():
    return jax.dtypes.canonicalize_dtype(jnp.float64)


class TensorNetworkBase(SupervisedEstimator):
    """Parameters, scaling, model construction and training shared by the four estimators."""

    #: "mps" or "ttn", set by the public classes.
    _architecture: ClassVar[str] = ""
    _score: ClassVar[Any] = None
    _auto_learning_rate = True

    def __init__(
        self,
        bond_dim: int = 8,
        *,
        local_map: str = "trigonometric",
        local_dim: int = 2,
        solver: str = "adam",
        learning_rate: float | str = "auto",
        max_iter: int = 200,
        batch_size: int = 32,
        validation_fraction: float = 0.1,
        early_stopping: bool | str = "auto",
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        init_noise: float = 0.1,
        svd_cutoff: float = 1e-10,
        random_state: Any = None,
        verbose: bool = False,
    ) -> None:
        self.bond_dim = bond_dim
        self.local_map = local_map
        self.local_dim = local_dim
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        # "auto" is the regressors' default: stopped on the training loss they fit the noise
        # (make_friedman1, 225 samples: test R^2 -1.4 to 0.18); the classifiers keep False.
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.init_noise = init_noise
        self.svd_cutoff = svd_cutoff
        self.random_state = random_state
        self.verbose = verbose

    # -- checks and data ------------------------------------------------------------------

    def _check_params(self) -> None:
        owner = type(self).__name__
        check_int(owner, "bond_dim", self.bond_dim, 1)
        get_local_map(check_choice(owner, "local_map", self.local_map, sorted(LOCAL_MAPS)),
                      self.local_dim)
        solvers = ("adam", "sweep") if self._architecture == "mps" else ("adam",)
        check_choice(owner, "solver", self.solver, solvers)
        self._check_training_params("max_iter", self.max_iter)
        if check_real(owner, "init_noise", self.init_noise) < 0:
            raise ValueError(f"{owner}: init_noise={self.init_noise!r} must be >= 0")
        if not 0.0 <= check_real(owner, "svd_cutoff", self.svd_cutoff) < 1.0:
            raise ValueError(f"{owner}: svd_cutoff={self.svd_cutoff!r} must be in [0, 1)")
        if isinstance(self.early_stopping, str) and self.early_stopping != "auto":
            raise ValueError(f"{owner}: early_stopping={self.early_stopping!r} must be True, "
                             "False or 'auto'")
        if self.early_stopping and not 0.0 < check_real(
                owner, "validation_fraction", self.validation_fraction) < 1.0:
            raise ValueError(f"{owner}: validation_fraction={self.validation_fraction!r} must "
                             "be in (0, 1) with early_stopping")

    def _step_size(self, n_sites: int, sweep: bool) -> float:
        """``learning_rate``, with ``"auto"`` resolved for ``n_sites`` features.

        An Adam step moves every tensor by about the step size, and an MPS output is a
        product over all its sites, so its relative change grows with the chain: a
        64-site digits model at 1e-2 ended between 0.86 and 0.97 test accuracy over
        eight seeds, at 0.16 / 64 between 0.987 and 0.996. ``"auto"`` is
        ``min(1e-2, 0.16 / n_sites)`` for Adam on an MPS and 1e-2 for a TTN (depth
        ``log2 n``; 0.99 on digits at 1e-2) and for the sweeps (one bond at a time).
        """
        if self.learning_rate != "auto":
            return float(self.learning_rate)
        if self._architecture == "mps" and not sweep:
            return min(1e-2, 0.16 / n_sites)
        return 1e-2

    def _uses_validation(self, n_samples: int, sweep: bool) -> bool:
        """``early_stopping`` resolved for ``n_samples`` training samples (``early_stopping_``).

        The split holds ``round(validation_fraction * n_samples)`` samples (the rule of
        :func:`qinspired.training.train`). ``"auto"`` uses it when it leaves at least one
        sample on each side, and otherwise (5 samples or fewer at the default 0.1)
        falls back to the training-loss rule; ``True`` with no such split raises. The
        sweeps never hold data out.
        """
        if sweep or not self.early_stopping:
            return False
        n_val = int(round(self.validation_fraction * n_samples))
        if 1 <= n_val < n_samples:
            return True
        if self.early_stopping == "auto":
            return False
        raise ValueError(
            f"{type(self).__name__}: validation_fraction={self.validation_fraction} of "
            f"{n_samples} samples leaves {n_val} for validation and {n_samples - n_val} for "
            "training; early_stopping=True needs >= 1 on each side (early_stopping='auto' "
            "falls back to stopping on the training loss)")

    def _scale(self, X: np.ndarray) -> np.ndarray:
        return np.clip((X - self.data_min_) / self.data_range_, 0.0, 1.0)

    def _embed(self, X: np.ndarray) -> np.ndarray:
        fn = functools.partial(_embed_chunk, name=self.local_map.lower(), d=self.local_dim)
        return _in_chunks(fn, self._scale(X), _float_dtype())

    def _reference(self) -> np.ndarray:
        return get_local_map(self.local_map.lower()).reference_vector(self.local_dim)

    def _model(self) -> StackedLabelledMPS | TTN:
        tensors = tuple(jnp.asarray(t) for t in self.tensors_)
        if self._architecture == "mps":
            return StackedLabelledMPS.from_labelled(LabelledMPS(tensors, self.center_))
        return TTN(tensors, self.n_features_in_, tuple(self._reference()))

    def _outputs(self, X: Any) -> np.ndarray:
        """Validated ``X`` -> model outputs ``f(x)``, shape ``(n_samples, n_outputs)``."""
        check_is_fitted(self, "tensors_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        fn = functools.partial(_logits_chunk, self._model(), name=self.local_map.lower(),
                               d=self.local_dim)
        return _in_chunks(fn, self._scale(X), _float_dtype()).astype(np.float64)

    # -- fitting --------------------------------------------------------------------------

    def _fit_targets(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray, int]:
        """Validate ``X, y``; return ``X``, encoded targets and the number of outputs."""
        raise NotImplementedError

    def _loss_fn(self) -> Any:
        """The training loss ``loss(model, phi, targets)`` (module-level or cached)."""
        raise NotImplementedError

    def fit(self, X: Any, y: Any) -> TensorNetworkBase:
        """Fit the tensor network to ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; every feature is min-max scaled to ``[0, 1]``
            (constant features map to 0).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (classifiers) or targets (regressors).

        Returns
        -------
        self
        """
        self._check_params()
        X, targets, n_out = self._fit_targets(X, y)
        dtype = _float_dtype()
        self.data_min_ = X.min(axis=0)
        spread = X.max(axis=0) - self.data_min_
        self.data_range_ = np.where(spread > 0, spread, 1.0)
        phi = self._embed(X)
        targets = targets.astype(dtype) if targets.dtype.kind == "f" else targets
        seed = resolve_seed(self.random_state)
        key_init, key_train = jax.random.split(as_key(seed))
        n_sites, d = X.shape[1], self.local_dim
        sweep = self.solver.lower() == "sweep"
        self.learning_rate_ = self._step_size(n_sites, sweep and n_sites >= 2)
        self.early_stopping_ = self._uses_validation(len(X), sweep and n_sites >= 2)
        if self._architecture == "mps":
            # The sweeps grow the bonds from 1 and start with the label on site 0.
            model = init_labelled_mps(key_init, n_sites, d, n_out,
                                      1 if sweep else self.bond_dim, center=0 if sweep else None,
                                      reference=self._reference(), noise=self.init_noise,
                                      dtype=dtype)
        else:
            model = init_ttn(key_init, n_sites, d, n_out, self.bond_dim,
                             reference=self._reference(), noise=self.init_noise, dtype=dtype)
        if sweep and n_sites >= 2:
            result = sweep_fit(
                self._loss_fn(), model, phi, targets, max_bond=self.bond_dim,
                cutoff=self.svd_cutoff, learning_rate=self.learning_rate_,
                n_sweeps=self.max_iter, batch_size=self.batch_size, key=key_train,
                verbose=bool(self.verbose))
            scores, self.truncation_error_ = [], result.truncation_error
            curve = result.loss_curve
            if len(curve) < 2 or curve[-2] - curve[-1] > self.tol:
                warnings.warn(
                    f"{type(self).__name__}: the training loss still changed by more than "
                    f"tol={self.tol} in the last of max_iter={self.max_iter} sweeps; consider "
                    "raising max_iter", ConvergenceWarning, stacklevel=2)
        else:  # "adam", and "sweep" with a single feature (no bond to sweep)
            if self._architecture == "mps":     # trained as two stacks and the centre
                model = StackedLabelledMPS.from_labelled(model)
            result = self._train_adam(self._loss_fn(), model, phi, targets,
                                      epochs=self.max_iter, key=key_train,
                                      score_fn=type(self)._score, steps_per_call=_STEPS_PER_CALL,
                                      learning_rate=self.learning_rate_,
                                      early_stopping=self.early_stopping_)
            scores, self.truncation_error_ = result.validation_scores, None
        fitted = result.params
        if isinstance(fitted, StackedLabelledMPS):
            fitted = fitted.to_labelled()
        self.tensors_ = tuple(np.asarray(t) for t in jax.tree.leaves(fitted))
        if self._architecture == "mps":
            self.center_ = fitted.center
        self.bond_dims_ = tuple(fitted.bond_dims)
        self.loss_curve_ = list(result.loss_curve)
        self.validation_scores_ = list(scores) or None
        self.best_validation_score_ = max(scores) if scores else None
        self.n_iter_ = int(result.n_iter)
        self.random_seed_ = seed
        set_provenance(self, X, y, seed)
        return self


class ClassifierImpl(TensorNetworkBase, SupervisedClassifier):
    """fit targets, predict, predict_proba and decision_function of the classifiers."""

    _score = staticmethod(accuracy)

    def __init__(
        self,
        bond_dim: int = 8,
        *,
        local_map: str = "trigonometric",
        local_dim: int = 2,
        solver: str = "adam",
        learning_rate: float | str = "auto",
        max_iter: int = 200,
        batch_size: int = 32,
        validation_fraction: float = 0.1,
        early_stopping: bool | str = False,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        label_smoothing: float = 0.05,
        init_noise: float = 0.1,
        svd_cutoff: float = 1e-10,
        random_state: Any = None,
        verbose: bool = False,
    ) -> None:
        super().__init__(
            bond_dim, local_map=local_map, local_dim=local_dim, solver=solver,
            learning_rate=learning_rate, max_iter=max_iter, batch_size=batch_size,
            validation_fraction=validation_fraction, early_stopping=early_stopping,
            n_iter_no_change=n_iter_no_change, tol=tol, init_noise=init_noise,
            svd_cutoff=svd_cutoff, random_state=random_state, verbose=verbose)
        self.label_smoothing = label_smoothing

    def _check_params(self) -> None:
        super()._check_params()
        self._check_label_smoothing()

    def _loss_fn(self):
        return smoothed_cross_entropy(float(self.label_smoothing))

    def _fit_targets(self, X, y):
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        encoded = self._encode_classes(y)
        return X, encoded, len(self.classes_)


class RegressorImpl(TensorNetworkBase, SupervisedRegressor):
    """fit targets and predict of the regressors (targets standardised for training)."""

    _score = staticmethod(r2)

    def _loss_fn(self):
        return squared_error

    def _fit_targets(self, X, y):
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=True,
                             multi_output=True)
        targets = self._standardise_targets(y)
        return X, targets, targets.shape[1]
