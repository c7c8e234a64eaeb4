r"""Variational quantum circuit classifier and regressor, trained through the exact simulator.

The model is a data encoding :math:`E(x)` (a feature map) followed by a
trainable ansatz :math:`W(w)` (:mod:`qinspired.circuits.ansatz`): an MPS
staircase, a tree tensor network or hardware-efficient layers,

.. math::

    \rho(x) = W(w)\,E(x)\,|0\rangle\langle 0|\,E(x)^\dagger W(w)^\dagger

(with a :class:`~qinspired.circuits.NoiseModel`, the noisy density matrix).
Measuring the :math:`m` readout wires (:func:`~qinspired.circuits.ansatz.readout_wires`)
gives Born probabilities :math:`p_b(x) = \mathrm{Tr}(\Pi_b\,\rho(x))`
(readout errors of the noise model included).

*Classifier* (:math:`C` classes, :math:`m = \lceil \log_2 C \rceil`
readout wires): the first :math:`C` outcomes are the class scores,

.. math::

    z_c(x) = s\,p_c(x) + b_c, \qquad P(c \mid x) = \mathrm{softmax}_c\, z(x),

with a trainable scale (inverse temperature) :math:`s` and biases
:math:`b_c`; the loss is the mean cross-entropy. *Regressor*: output
:math:`j` reads :math:`\langle Z \rangle` on readout wire :math:`j`,
:math:`\hat y_j = \bar y_j + \sigma_j (s_j \langle Z_{r_j} \rangle + b_j)`,
trained on the standardised targets with the mean squared error.

Training uses exact expectation values and reverse-mode gradients through
the simulator (statevector, or density matrix with noise), minibatched
Adam from :func:`qinspired.training.train`. With ``shots``, *predictions*
are finite-shot estimates: :math:`p_b` is replaced by the frequencies of
``shots`` sampled outcomes per data point (training stays exact: shot noise
would only add variance to the gradients).

References
----------
M. Schuld, A. Bocharov, K. M. Svore and N. Wiebe, "Circuit-centric quantum
classifiers", Phys. Rev. A 101, 032308 (2020); E. Grant et al.,
"Hierarchical quantum classifiers", npj Quantum Information 4, 65 (2018);
W. Huggins, P. Patil, B. Mitchell, K. B. Whaley and E. M. Stoudenmire,
"Towards quantum machine learning with tensor networks", Quantum Sci.
Technol. 4, 024001 (2019); K. Mitarai, M. Negoro, M. Kitagawa and K. Fujii,
"Quantum circuit learning", Phys. Rev. A 98, 032309 (2018).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from qinspired._batching import map_rows, power_of_two
from qinspired._random import resolve_seed, seed_key
from qinspired._validation import (
    check_choice,
    check_finite_output,
    check_in_range,
    check_int,
    check_memory,
    check_real,
    is_int,
)
from qinspired.circuits._engine.plan import ansatz_slots
from qinspired.circuits._shots_core import apply_confusion, marginal
from qinspired.circuits.ansatz import (
    ANSATZE,
    apply_ansatz,
    readout_wires,
    variational_circuit,
)
from qinspired.circuits.circuit import Circuit
from qinspired.circuits.density import density_matrix
from qinspired.circuits.noise_model import NoiseModel
from qinspired.circuits.shots import (
    confusion_matrices,
    frequencies,
    sample_bits,
)
from qinspired.circuits.statevector import complex_dtype, real_dtype, statevector
from qinspired.estimators._common import set_provenance, validate_data
from qinspired.feature_maps import AngleEncoding, make_feature_map
from qinspired.training import make_optimizer, train

__all__ = ["VariationalCircuitClassifier", "VariationalCircuitRegressor"]

#: Angle per training standard deviation of ``feature_scale="auto"`` (see the estimators' notes).
_AUTO_ANGLE = 1.0
_INIT_STD = 0.1  # weights start near the identity circuit (all-zero angles)
_SCAN_MAX_ENTRIES = 2**24  # entries of each apply_ansatz index map (64 MiB of int32)


# ------------------------------------------------------------------------- the model
@dataclass(frozen=True, eq=False)
class _Model:
    """Static description of a variational model; hashable, so jitted code is reused.

    Calling the model is its loss. Two models with the same circuits, readout,
    task and noise compare equal, so :func:`qinspired.training.train_step`
    (static in ``loss_fn=model``) compiles once for many fits. (A bound
    method would not do: bound methods compare their ``self`` by identity.)
    """

    circuit: Circuit  # encoding followed by the ansatz
    encoding: Circuit
    ansatz: str
    n_layers: int
    wires: tuple[int, ...]
    n_outputs: int
    task: str  # "classification" or "regression"
    noise: NoiseModel | None = field(default=None)
    label_smoothing: float = 0.0

    @cached_property
    def _key(self) -> tuple:
        noise = None if self.noise is None else self.noise.to_json()
        return (self.circuit.static_key, self.encoding.static_key,
                tuple(np.asarray(m).tobytes() for m in self.circuit.matrices),
                self.ansatz, self.n_layers, self.wires, self.n_outputs, self.task, noise,
                self.label_smoothing)

    @cached_property
    def _hash(self) -> int:
        return hash(self._key)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Model) and self._key == other._key

    @cached_property
    def scan(self) -> bool:
        """Whether the ansatz is applied by :func:`apply_ansatz` (one compiled loop body).

        It is without noise, when the encoding has no weights of its own, there
        are at least two qubits and the per-slot index maps stay under ``_SCAN_MAX_ENTRIES``;
        otherwise the whole circuit goes through :func:`statevector`.
        """
        n = self.circuit.n_qubits
        if n < 2 or self.encoding.n_weights or self.noise is not None:
            return False
        n_slots = len(ansatz_slots(self.ansatz, n, self.n_layers, 0).pairs)
        return n_slots * 2**n <= _SCAN_MAX_ENTRIES

    def states(self, params: dict, X: jax.Array) -> jax.Array:
        """Statevectors ``(batch, 2**n)``, or density matrices with noise."""
        if self.noise is not None:
            return density_matrix(self.circuit, X, params["w"], noise=self.noise)
        if self.scan:
            return apply_ansatz(statevector(self.encoding, X), params["w"], self.ansatz,
                                self.n_layers)
        return statevector(self.circuit, X, params["w"])

    def probabilities(self, params: dict, X: jax.Array) -> jax.Array:
        """Born probabilities ``(batch, 2**m)`` of the readout wires (readout errors applied)."""
        n = self.circuit.n_qubits
        state = self.states(params, X)
        if self.noise is None:
            return marginal(jnp.abs(state) ** 2, self.wires, n)
        p = marginal(jnp.real(jnp.diagonal(state, axis1=-2, axis2=-1)), self.wires, n)
        mats = confusion_matrices(self.noise, n)
        return p if mats is None else apply_confusion(p, mats[np.asarray(self.wires)])

    def outputs(self, params: dict, p: jax.Array) -> jax.Array:
        """Class logits ``(batch, C)`` or standardised predictions ``(batch, n_outputs)``."""
        if self.task == "classification":
            return params["scale"] * p[:, : self.n_outputs] + params["bias"]
        m = len(self.wires)
        bits = (np.arange(2**m)[:, None] >> np.arange(m - 1, -1, -1)[None, :]) & 1
        z = p @ jnp.asarray(1.0 - 2.0 * bits, p.dtype)  # <Z> of each readout wire
        return params["scale"] * z + params["bias"]

    def loss(self, params: dict, X: jax.Array, Y: jax.Array) -> jax.Array:
        """Mean cross-entropy (classification, labels smoothed) or mean squared error."""
        out = self.outputs(params, self.probabilities(params, X))
        if self.task == "classification":
            logp = jax.nn.log_softmax(out, axis=-1)
            picked = jnp.take_along_axis(logp, Y[:, None], axis=-1)[:, 0]
            eps = self.label_smoothing
            return -jnp.mean((1.0 - eps) * picked + eps * jnp.mean(logp, axis=-1))
        return jnp.mean((out - Y) ** 2)

    __call__ = loss


@partial(jax.jit, static_argnames=("model",))
def _exact_outputs(params: dict, X: jax.Array, *, model: _Model) -> jax.Array:
    return model.outputs(params, model.probabilities(params, X))


@partial(jax.jit, static_argnames=("model",))
def _states(params: dict, X: jax.Array, *, model: _Model) -> jax.Array:
    return model.states(params, X)


def _shot_outputs(params: dict, X: jax.Array, model: _Model, shots: int,
                  key: jax.Array) -> jax.Array:
    """Outputs from the outcome frequencies of ``shots`` measurements per data point."""
    states = _states(params, X, model=model)
    bits = sample_bits(key, states, shots, model.wires, readout=model.noise,
                       density=model.noise is not None)
    return _outputs_from_probabilities(params, frequencies(bits), model=model)


@partial(jax.jit, static_argnames=("model",))
def _outputs_from_probabilities(params: dict, p: jax.Array, *, model: _Model) -> jax.Array:
    return model.outputs(params, p)


_CHUNK = 1024  # rows simulated at once in predict


# ------------------------------------------------------------------ the estimators
class _VariationalBase(BaseEstimator):
    """Shared parameters, circuit building, training and prediction."""

    _task = ""

    def __init__(
        self,
        feature_map: Any = None,
        feature_scale: Any = "auto",
        ansatz: str = "mps",
        n_layers: int = 1,
        noise: NoiseModel | None = None,
        shots: int | None = None,
        learning_rate: float = 0.05,
        epochs: int = 200,
        batch_size: int = 32,
        validation_fraction: float = 0.1,
        early_stopping: bool = False,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        random_state: Any = None,
        verbose: bool = False,
    ) -> None:
        self.feature_map = feature_map
        self.feature_scale = feature_scale
        self.ansatz = ansatz
        self.n_layers = n_layers
        self.noise = noise
        self.shots = shots
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose

    # -- building ------------------------------------------------------------------
    def _check_params(self) -> None:
        owner = type(self).__name__
        check_choice(owner, "ansatz", self.ansatz, tuple(sorted(ANSATZE)))
        check_int(owner, "n_layers", self.n_layers, 1)
        check_real(owner, "learning_rate", self.learning_rate, positive=True)
        check_int(owner, "epochs", self.epochs, 1)
        check_int(owner, "batch_size", self.batch_size, 1)
        check_int(owner, "n_iter_no_change", self.n_iter_no_change, 1)
        if check_real(owner, "tol", self.tol) < 0:
            raise ValueError(f"{owner}: tol={self.tol!r} must be >= 0")
        if isinstance(self.feature_scale, str):
            if self.feature_scale != "auto":
                raise ValueError(f"{owner}: feature_scale={self.feature_scale!r} must be "
                                 "'auto' or a number > 0")
        else:
            check_real(owner, "feature_scale", self.feature_scale, positive=True)
        if self.shots is not None and not (is_int(self.shots) and self.shots >= 1):
            raise ValueError(f"{owner}: shots={self.shots!r} must be None (exact) or an "
                             "integer >= 1")
        if self.noise is not None and not isinstance(self.noise, NoiseModel):
            raise ValueError(f"{owner}: noise must be None or a NoiseModel, got "
                             f"{type(self.noise).__name__}")

    def _label_smoothing(self) -> float:
        return 0.0

    def _fit_input_scaling(self, X: np.ndarray) -> np.ndarray:
        """Fix ``feature_offset_`` and ``feature_scale_`` from the training data; scaled ``X``."""
        if isinstance(self.feature_scale, str):  # "auto": standardise, then _AUTO_ANGLE
            std = X.std(axis=0)
            self.feature_offset_ = X.mean(axis=0)
            self.feature_scale_ = _AUTO_ANGLE / np.where(std > 0, std, 1.0)
        else:
            self.feature_offset_ = np.zeros(X.shape[1])
            self.feature_scale_ = np.full(X.shape[1], float(self.feature_scale))
        return self._scale_inputs(X)

    def _scale_inputs(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.feature_offset_) * self.feature_scale_).astype(real_dtype())

    def _encoding(self, n_features: int) -> tuple[Any, Circuit]:
        """The fitted feature map (a fresh copy) and its circuit."""
        owner = type(self).__name__
        fm = self.feature_map
        if fm is None:
            fm = AngleEncoding(n_features, rotation="ry", feature_scale=1.0)
        elif isinstance(fm, str):
            fm = make_feature_map(fm, n_features=n_features)
        elif isinstance(fm, Circuit):
            pass
        elif hasattr(fm, "circuit") and hasattr(fm, "get_params"):
            fm = clone(fm, safe=False)
        else:
            raise ValueError(f"{owner}: feature_map must be None, a feature-map name, a "
                             f"FeatureMap or a Circuit, got {type(fm).__name__}")
        circuit = fm if isinstance(fm, Circuit) else fm.validate().circuit
        if circuit.n_features != n_features:
            raise ValueError(f"{owner}: the feature map reads {circuit.n_features} features, "
                             f"but X has {n_features} features")
        return fm, circuit

    def _build(self, n_features: int, n_readout: int, n_outputs: int) -> _Model:
        fm, enc = self._encoding(n_features)
        n_qubits = max(enc.n_qubits, n_readout)
        if n_qubits != enc.n_qubits:
            enc = Circuit(n_qubits, enc.operations, enc.n_features, enc.n_weights, enc.matrices)
        ansatz = self.ansatz.lower()
        self.feature_map_ = fm
        self.circuit_ = variational_circuit(enc, ansatz, int(self.n_layers))
        self.n_qubits_ = n_qubits
        self.readout_wires_ = readout_wires(ansatz, n_qubits, n_readout)
        self._structure = (enc, ansatz, int(self.n_layers), self.noise, self._label_smoothing())
        return self._model(n_outputs)

    def _check_training_memory(self, model: _Model, batch: int) -> None:
        n = model.circuit.n_qubits
        per_state = (4**n if model.noise is not None else 2**n) * complex_dtype().itemsize
        steps = len(model.circuit.operations) + 2  # reverse mode keeps one state per gate
        kind = "density-matrix" if model.noise is not None else "statevector"
        check_memory(batch * steps * per_state,
                     f"training {type(self).__name__} ({kind} simulation of {n} qubits, "
                     f"{steps} steps kept for the gradient, batches of {batch})")

    # -- training ------------------------------------------------------------------
    def _train(self, model: _Model, X: np.ndarray, Y: np.ndarray, head: dict) -> None:
        seed = resolve_seed(self.random_state)
        key = seed_key(seed)
        init_key, train_key = jax.random.split(key)
        rdtype = real_dtype()
        w0 = _INIT_STD * jax.random.normal(init_key, (model.circuit.n_weights,), rdtype)
        params = {"w": w0, **{k: jnp.asarray(v, rdtype) for k, v in head.items()}}
        self._check_training_memory(model, min(int(self.batch_size), X.shape[0]))
        result = train(model, params, X.astype(rdtype), Y, optimizer=make_optimizer(
            "adam", self.learning_rate), epochs=self.epochs, batch_size=self.batch_size,
            key=train_key,
            validation_fraction=self.validation_fraction if self.early_stopping else 0.0,
            early_stopping=True, n_iter_no_change=self.n_iter_no_change, tol=self.tol,
            verbose=self.verbose, warning_category=ConvergenceWarning)
        self.weights_ = np.asarray(result.params["w"])
        self.scale_ = np.asarray(result.params["scale"])
        self.bias_ = np.asarray(result.params["bias"])
        self.loss_curve_ = np.asarray(result.loss_curve)
        self.validation_scores_ = np.asarray(result.validation_scores)
        self.n_iter_ = int(result.n_iter)
        self.random_seed_ = seed

    # -- prediction ------------------------------------------------------------------
    def _model(self, n_outputs: int) -> _Model:
        """The static model of the fitted circuit (rebuilt on demand, never stored)."""
        enc, ansatz, n_layers, noise, smoothing = self._structure
        return _Model(self.circuit_, enc, ansatz, n_layers, tuple(self.readout_wires_),
                      n_outputs, self._task, noise, smoothing)

    def _raw_outputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = self._scale_inputs(validate_data(self, X, reset=False))
        self._check_params()  # shots may have been set after fit
        params = {"w": jnp.asarray(self.weights_), "scale": jnp.asarray(self.scale_),
                  "bias": jnp.asarray(self.bias_)}
        model = self._model(len(self.bias_))
        key = jax.random.fold_in(seed_key(self.random_seed_), 1)
        def outputs(rows: np.ndarray, i: int) -> jax.Array:
            if self.shots is None:
                return _exact_outputs(params, rows, model=model)
            return _shot_outputs(params, rows, model, int(self.shots), jax.random.fold_in(key, i))

        # Batches padded to powers of two: a handful of compiled shapes for sklearn's calls.
        out = map_rows(outputs, X, _CHUNK, bucket=power_of_two)
        return np.asarray(check_finite_output(out, X, f"{type(self).__name__}: the outputs"))

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.shots is not None
        return tags


class VariationalCircuitClassifier(ClassifierMixin, _VariationalBase):
    r"""Variational quantum circuit classifier (feature map, then a trainable ansatz).

    See :mod:`qinspired.estimators.variational` for the model. Classes are
    read from the Born probabilities of :math:`m = \lceil\log_2 C\rceil`
    readout wires (the first :math:`C` of the :math:`2^m` outcomes, scaled
    by a trainable inverse temperature, plus biases, into a softmax).

    Parameters
    ----------
    feature_map : None, str, FeatureMap or Circuit, default None
        The data encoding. ``None`` builds ``AngleEncoding(n_features,
        rotation="ry", feature_scale=1.0)`` in ``fit`` (one qubit per
        feature); a name such as ``"zz"`` builds that registered map with
        ``n_features``; an instance is cloned. Trainable weights of the map
        are trained too. The map reads the rescaled features (``feature_scale``).
    feature_scale : "auto" or float, default "auto"
        How the features are rescaled before the encoding:
        :math:`x'_k = (x_k - o_k)\, a_k`. ``"auto"`` fixes, in ``fit`` and from
        the training data only, :math:`o_k` = the feature's mean and
        :math:`a_k = 1 / \sigma_k` (its standard deviation; 1 for a constant
        feature), so one training standard deviation is one radian of an
        ``RY`` angle: the encoded states spread over the Bloch circle without
        wrapping around it, and predictions do not depend on how the data were
        scaled (standardised, min-max or raw give the same model). Measured
        against 0.5 and 1.5 rad per standard deviation on iris, wine, breast
        cancer and digits (``PCA(4)``), 1 rad scored best on three of four.
        A number :math:`c > 0` uses :math:`o_k = 0, a_k = c` (``1.0``: the
        features as given).
    ansatz : {"mps", "ttn", "hardware_efficient"}, default "mps"
        The trainable circuit (:mod:`qinspired.circuits.ansatz`).
    n_layers : int, default 1
        Its number of layers (staircases, trees or rotation layers); ``"mps"``
        with ``k`` layers is an MPS of bond dimension :math:`2^k`.
    noise : NoiseModel, optional
        Simulate (and train) with this noise, by density matrices
        (:math:`4^n` memory); its readout errors apply to the measured wires.
    shots : int, optional
        Predict from this many sampled measurements per data point instead
        of exact probabilities (the key comes from ``random_state``, so a
        fitted model predicts reproducibly). Training is always exact, and
        ``shots`` may be changed after ``fit`` (``set_params``) to compare
        finite-shot predictions of the same trained circuit.
    learning_rate : float, default 0.05
        Adam step size.
    epochs : int, default 200
        Maximum number of passes over the data.
    batch_size : int, default 32
        Minibatch size (clipped to the number of samples; see
        :func:`qinspired.training.train` for how batches are drawn).
    validation_fraction : float, default 0.1
        Fraction of the training data held out for ``early_stopping``.
    early_stopping : bool, default False
        Stop when minus the validation loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs and keep the best weights. Otherwise (as
        ``MLPClassifier``) stop when the mean training loss has not improved
        by ``tol`` for ``n_iter_no_change`` epochs. Reaching ``epochs`` first
        warns with :class:`~sklearn.exceptions.ConvergenceWarning`.
    n_iter_no_change : int, default 10
        Patience of the stopping rule, in epochs.
    tol : float, default 1e-4
        Smallest improvement of the monitored loss that counts.
    label_smoothing : float, default 0.05
        Cross-entropy against smoothed labels, :math:`(1 - \varepsilon)\,e_y +
        \varepsilon / C`, in ``[0, 1)``: it keeps the inverse temperature
        :math:`s` finite and ``predict_proba`` away from exact 0 and 1 (see
        the README's "Defaults" section for log-loss and calibration error
        against ``LogisticRegression``).
    random_state : None, int or Generator
        Seeds the weight initialisation, the minibatches and the shots.
    verbose : bool, default False
        Print the loss after every epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    circuit_ : Circuit
        The trained circuit's structure, reading the rescaled features
        ``x' = (x - feature_offset_) * feature_scale_`` and ``weights_``
        (e.g. ``to_qasm(clf.circuit_, x', clf.weights_)``, or
        :func:`qinspired.circuits.circuit_to_mps` for its MPS).
    weights_ : ndarray of shape (circuit_.n_weights,)
    scale_ : ndarray of shape ()
        The trained inverse temperature :math:`s`.
    bias_ : ndarray of shape (n_classes,)
    feature_map_ : FeatureMap or Circuit
    feature_offset_, feature_scale_ : ndarray of shape (n_features_in_,)
        The rescaling :math:`o_k, a_k` fixed in ``fit`` (``feature_scale``).
    n_qubits_ : int
        Qubits simulated: the feature map's, or more when
        :math:`\lceil\log_2 C\rceil` exceeds them.
    readout_wires_ : tuple of int
    loss_curve_ : ndarray of shape (n_iter_,)
        Mean training cross-entropy per epoch.
    validation_scores_ : ndarray
        Minus the validation loss per epoch (empty without ``early_stopping``).
    n_iter_ : int
    random_seed_ : int
        The seed ``random_state`` resolved to.
    n_features_in_ : int
    feature_names_in_ : ndarray, only when X has feature names

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[-1.0, -0.5], [-0.8, -1.0], [0.9, 1.0], [1.0, 0.7]])
    >>> clf = VariationalCircuitClassifier(epochs=60, learning_rate=0.1, random_state=0)
    >>> clf.fit(X, [0, 0, 1, 1]).predict(X).tolist()
    [0, 0, 1, 1]
    """

    _task = "classification"

    def __init__(
        self,
        feature_map: Any = None,
        feature_scale: Any = "auto",
        ansatz: str = "mps",
        n_layers: int = 1,
        noise: NoiseModel | None = None,
        shots: int | None = None,
        learning_rate: float = 0.05,
        epochs: int = 200,
        batch_size: int = 32,
        validation_fraction: float = 0.1,
        early_stopping: bool = False,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        label_smoothing: float = 0.05,
        random_state: Any = None,
        verbose: bool = False,
    ) -> None:
        super().__init__(
            feature_map, feature_scale, ansatz, n_layers, noise, shots, learning_rate, epochs,
            batch_size, validation_fraction, early_stopping, n_iter_no_change, tol,
            random_state, verbose)
        self.label_smoothing = label_smoothing

    def _label_smoothing(self) -> float:
        return float(check_in_range(type(self).__name__, "label_smoothing",
                                    self.label_smoothing, 0.0, 1.0, high_open=True))

    def fit(self, X: Any, y: Any) -> VariationalCircuitClassifier:
        """Train the circuit on ``X`` (n_samples, n_features) and labels ``y``."""
        self._check_params()
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes in "
                             f"the data; got 1 class: {self.classes_[0]!r}")
        n_readout = max(1, math.ceil(math.log2(n_classes)))
        model = self._build(X.shape[1], n_readout, n_classes)
        head = {"scale": float(2 * n_classes), "bias": np.zeros(n_classes)}
        self._train(model, self._fit_input_scaling(X), y_enc.astype(np.int32), head)
        set_provenance(self, X, y, self.random_seed_)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Class scores: ``(n_samples,)`` logit differences for two classes, else logits."""
        z = self._raw_outputs(X)
        return z[:, 1] - z[:, 0] if z.shape[1] == 2 else z

    def predict_proba(self, X: Any) -> np.ndarray:
        """Softmax of the class scores, ``(n_samples, n_classes)``."""
        z = self._raw_outputs(X).astype(np.float64)
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`."""
        return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample."""
        scores = self._raw_outputs(X)
        return self.classes_[np.argmax(scores, axis=1)]


class VariationalCircuitRegressor(RegressorMixin, _VariationalBase):
    r"""Variational quantum circuit regressor (feature map, then a trainable ansatz).

    Output :math:`j` is :math:`\bar y_j + \sigma_j (s_j \langle Z_{r_j}\rangle + b_j)`
    on readout wire :math:`r_j` (:mod:`qinspired.estimators.variational`),
    trained with the mean squared error on standardised targets.

    Parameters
    ----------
    feature_map, feature_scale, ansatz, n_layers, noise, shots, learning_rate, epochs,
    batch_size, validation_fraction, early_stopping, n_iter_no_change, tol, random_state,
    verbose
        As for :class:`VariationalCircuitClassifier`. With ``shots``,
        :math:`\langle Z\rangle` is estimated from ``shots`` samples.

    Attributes
    ----------
    circuit_, weights_, feature_map_, feature_offset_, feature_scale_, n_qubits_,
    readout_wires_, loss_curve_, validation_scores_, n_iter_, random_seed_, n_features_in_
        As for :class:`VariationalCircuitClassifier` (the loss is the mean
        squared error of the standardised targets).
    scale_, bias_ : ndarray of shape (n_outputs,)
        :math:`s_j` and :math:`b_j`.
    y_mean_, y_scale_ : ndarray of shape (n_outputs,)
        The target standardisation.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.linspace(-1, 1, 16)[:, None]
    >>> reg = VariationalCircuitRegressor(epochs=100, learning_rate=0.1, random_state=0)
    >>> bool(reg.fit(X, np.sin(X[:, 0])).score(X, np.sin(X[:, 0])) > 0.9)
    True
    """

    _task = "regression"

    def fit(self, X: Any, y: Any) -> VariationalCircuitRegressor:
        """Train the circuit on ``X`` (n_samples, n_features) and targets ``y``."""
        self._check_params()
        X, y = validate_data(self, X, y, y_numeric=True, multi_output=True)
        Y = np.asarray(y, dtype=np.float64)
        self._y_1d = Y.ndim == 1
        Y = Y.reshape(Y.shape[0], -1)
        n_outputs = self.n_outputs_ = Y.shape[1]
        self.y_mean_ = Y.mean(axis=0)
        std = Y.std(axis=0)
        self.y_scale_ = np.where(std > 0, std, 1.0)
        model = self._build(X.shape[1], n_outputs, n_outputs)
        head = {"scale": np.ones(n_outputs), "bias": np.zeros(n_outputs)}
        Ys = ((Y - self.y_mean_) / self.y_scale_).astype(real_dtype())
        self._train(model, self._fit_input_scaling(X), Ys, head)
        set_provenance(self, X, y, self.random_seed_)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, ``(n_samples,)`` (or ``(n_samples, n_outputs)``)."""
        z = self._raw_outputs(X).astype(np.float64)
        out = self.y_mean_ + self.y_scale_ * z
        return out[:, 0] if self._y_1d else out

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
