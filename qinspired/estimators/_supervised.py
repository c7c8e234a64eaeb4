"""What the trained supervised estimators share (private).

The variational-circuit estimators (:mod:`qinspired.estimators.variational`)
and the tensor-network ones (:mod:`qinspired.estimators.tensor_networks`)
differ only in their model. This module holds the rest, written once:

* the checks of the training hyper-parameters and the Adam training call
  (:func:`qinspired.training.train`, warning with
  :class:`~sklearn.exceptions.ConvergenceWarning` when the budget runs out);
* for classifiers, the class encoding, the label-smoothing check and the
  prediction methods over the class scores (softmax probabilities);
* for regressors, the target standardisation and ``predict``.

A subclass provides ``_outputs(X)``: validated ``X`` to the model's raw
outputs ``(n_samples, n_outputs)`` (class scores, or standardised targets).
"""

from __future__ import annotations

from typing import Any, ClassVar

import jax
import numpy as np
from scipy.special import softmax
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets

from qinspired._validation import check_in_range, check_int, check_real
from qinspired.training import TrainResult, make_optimizer, train


class SupervisedEstimator(BaseEstimator):
    """Training hyper-parameter checks and the Adam training call.

    Subclasses store ``learning_rate``, ``batch_size``, ``validation_fraction``,
    ``early_stopping``, ``n_iter_no_change``, ``tol`` and ``verbose``.
    """

    def _outputs(self, X: Any) -> np.ndarray:
        """Validated ``X`` -> raw model outputs, shape ``(n_samples, n_outputs)``."""
        raise NotImplementedError

    #: Whether ``learning_rate="auto"`` is accepted (resolved by the subclass at fit time).
    _auto_learning_rate: ClassVar[bool] = False

    def _check_training_params(self, epochs_name: str, epochs: Any) -> None:
        owner = type(self).__name__
        if not (self._auto_learning_rate and isinstance(self.learning_rate, str)):
            check_real(owner, "learning_rate", self.learning_rate, positive=True)
        elif self.learning_rate != "auto":
            raise ValueError(f"{owner}: learning_rate={self.learning_rate!r} must be a positive "
                             "number or 'auto'")
        check_int(owner, epochs_name, epochs, 1)
        check_int(owner, "batch_size", self.batch_size, 1)
        check_int(owner, "n_iter_no_change", self.n_iter_no_change, 1)
        if check_real(owner, "tol", self.tol) < 0:
            raise ValueError(f"{owner}: tol={self.tol!r} must be >= 0")

    def _train_adam(self, loss_fn: Any, params: Any, X: Any, Y: Any, *, epochs: int,
                    key: jax.Array, score_fn: Any = None, steps_per_call: int | None = None,
                    learning_rate: float | None = None,
                    early_stopping: bool | None = None) -> TrainResult:
        """Minibatch Adam with the estimator's stopping rule (see ``early_stopping``), at
        ``learning_rate`` (default: the estimator's); ``early_stopping`` is the rule as the
        subclass resolved it (default: the estimator's parameter)."""
        step = self.learning_rate if learning_rate is None else learning_rate
        held_out = self.early_stopping if early_stopping is None else early_stopping
        return train(
            loss_fn, params, X, Y, optimizer=make_optimizer("adam", step),
            epochs=epochs, batch_size=self.batch_size, key=key,
            validation_fraction=self.validation_fraction if held_out else 0.0,
            early_stopping=True, n_iter_no_change=self.n_iter_no_change, tol=self.tol,
            score_fn=score_fn, verbose=bool(self.verbose), warning_category=ConvergenceWarning,
            steps_per_call=steps_per_call)


class SupervisedClassifier(SupervisedEstimator):
    """Class encoding and the prediction methods of a classifier over its class scores."""

    def _check_label_smoothing(self) -> float:
        return float(check_in_range(type(self).__name__, "label_smoothing",
                                    self.label_smoothing, 0.0, 1.0, high_open=True))

    def _encode_classes(self, y: np.ndarray) -> np.ndarray:
        """Set ``classes_``; return ``y`` as class indices (int32). At least two classes."""
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes in "
                             f"the data; got 1 class: {self.classes_[0]!r}")
        return encoded.astype(np.int32)

    def decision_function(self, X: Any) -> np.ndarray:
        """Class scores, (n_samples, n_classes); for two classes ``f_1 - f_0``, (n_samples,)."""
        out = self._outputs(X)
        return out[:, 1] - out[:, 0] if out.shape[1] == 2 else out

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, the softmax of the class scores, (n_samples, n_classes)."""
        return softmax(self._outputs(X).astype(np.float64), axis=1)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Logarithm of :meth:`predict_proba` (computed stably from the class scores)."""
        out = self._outputs(X).astype(np.float64)
        return out - np.logaddexp.reduce(out, axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample."""
        out = self._outputs(X)  # checks that the model is fitted
        return self.classes_[np.argmax(out, axis=1)]


class SupervisedRegressor(SupervisedEstimator):
    r"""Target standardisation and ``predict`` of a regressor.

    The model is trained on :math:`(y - \mu)/\sigma` per output and predicts
    :math:`\mu + \sigma f(x)`.
    """

    def _standardise_targets(self, y: Any) -> np.ndarray:
        """Set ``y_mean_`` and ``y_scale_``; return the standardised targets (n_samples, n_outputs).

        A constant output keeps the scale 1. The statistics are taken of the targets
        divided by a power of two near their largest magnitude (an exact scaling), so
        they are the usual ones bit for bit, yet do not overflow for targets up to the
        float64 limit (``np.std`` of values near 1e160 squares them past it) nor
        underflow to a zero spread for tiny ones (near 1e-170).
        """
        y = np.asarray(y, dtype=np.float64)
        self._y_ndim = y.ndim
        y2 = y.reshape(len(y), -1)
        # 2**-e * max|y| in [0.5, 1); e = 0 for an all-zero output
        e = np.frexp(np.max(np.abs(y2), axis=0, initial=0.0))[1]
        z = np.ldexp(y2, -e)
        mean_z = z.mean(axis=0)
        std_z = z.std(axis=0)
        self.y_mean_ = np.ldexp(mean_z, e)
        self.y_scale_ = np.where(std_z > 0, np.ldexp(std_z, e), 1.0)
        centred = z - mean_z
        spread = std_z > 0
        with np.errstate(over="ignore"):  # ldexp of the unused branch of a spread output
            return np.where(spread, centred / np.where(spread, std_z, 1.0), np.ldexp(centred, e))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, shape (n_samples,) or (n_samples, n_outputs) as ``y`` in fit."""
        raw = self._outputs(X).astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            out = raw * self.y_scale_ + self.y_mean_
            if not np.isfinite(out).all():
                # targets near the float64 limit: the intermediate raw * scale can pass it
                # while the prediction does not; redo the affine map scaled by a power of two
                e = np.frexp(np.maximum(np.abs(self.y_mean_), self.y_scale_))[1]
                out = np.ldexp(raw * np.ldexp(self.y_scale_, -e) + np.ldexp(self.y_mean_, -e), e)
        return out[:, 0] if self._y_ndim == 1 else out

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
