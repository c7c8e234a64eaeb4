r"""The physics of variational circuit models: states, readout probabilities, heads and losses.

A variational model is a data encoding :math:`E(x)` followed by a trainable
ansatz :math:`W(w)` (:mod:`qinspired.circuits.ansatz`),

.. math::

    \rho(x) = W(w)\,E(x)\,|0\rangle\langle 0|\,E(x)^\dagger W(w)^\dagger

(with a :class:`~qinspired.circuits.NoiseModel`, the noisy density matrix).
:class:`VariationalModel` holds that structure and computes, as pure
functions of the weight vector ``w`` and a batch ``X``, the states, the Born
probabilities of a set of readout wires (readout errors of the noise model
applied) and expectation values. :class:`VariationalHead` turns readout
probabilities into the outputs of a classifier or a regressor and holds the
training loss:

*classification* (:math:`C` classes, :math:`m = \lceil \log_2 C \rceil`
readout wires): the first :math:`C` outcomes are the class scores,

.. math::

    z_c(x) = s\,p_c(x) + b_c, \qquad P(c \mid x) = \mathrm{softmax}_c\, z(x),

with a trainable scale (inverse temperature) :math:`s` and biases
:math:`b_c`, trained with the mean (label-smoothed) cross-entropy;
*regression*: output :math:`j` is :math:`s_j \langle Z_{r_j} \rangle + b_j` on
readout wire :math:`r_j`, trained with the mean squared error.

Both classes are frozen and hashable (equal structures compare equal), so a
jitted function that takes them as a static argument compiles once per
structure, not once per fit. Parameters are plain pytrees: the weight vector,
and for a head the dict ``{"w", "scale", "bias"}``. The scikit-learn
estimators (:mod:`qinspired.estimators.variational`) and the Flax layer
(``qinspired.nn.CircuitLayer``) are thin users of this module.

References
----------
M. Schuld, A. Bocharov, K. M. Svore and N. Wiebe, "Circuit-centric quantum
classifiers", Phys. Rev. A 101, 032308 (2020); K. Mitarai, M. Negoro,
M. Kitagawa and K. Fujii, "Quantum circuit learning", Phys. Rev. A 98,
032309 (2018).

Examples
--------
>>> import numpy as np
>>> from qinspired.feature_maps import AngleEncoding
>>> model = variational_model(AngleEncoding(2, rotation="ry", feature_scale=1.0), "mps")
>>> w = np.zeros(model.n_weights)  # the identity ansatz
>>> z = model.expectations(w, np.array([[0.0, np.pi]]))  # <Z_q> of RY(x_q)|0>
>>> np.round(np.asarray(z), 5).tolist()
[[1.0, -1.0]]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._validation import check_choice, check_in_range, check_int, check_memory
from qinspired.circuits._engine.plan import ansatz_slots
from qinspired.circuits._shots_core import apply_confusion, marginal
from qinspired.circuits.ansatz import ANSATZE, apply_ansatz, readout_wires, variational_circuit
from qinspired.circuits.circuit import Circuit
from qinspired.circuits.density import density_matrix
from qinspired.circuits.noise_model import NoiseModel, one_unused_noise_warning
from qinspired.circuits.observables import ObservableLike
from qinspired.circuits.shots import (
    confusion_matrices,
    exact_expectation,
    frequencies,
    sample_bits,
)
from qinspired.circuits.statevector import as_circuit, complex_dtype, real_dtype, statevector

__all__ = [
    "INIT_STD",
    "VariationalHead",
    "VariationalModel",
    "classifier_head",
    "head_outputs",
    "init_weights",
    "regressor_head",
    "shot_outputs",
    "variational_model",
    "z_signs",
]

INIT_STD = 0.1
"""Standard deviation of the initial weights (near the identity circuit: all-zero angles)."""

_SCAN_MAX_ENTRIES = 2**24  # entries of each apply_ansatz index map (64 MiB of int32)
_TASKS = ("classification", "regression")


def z_signs(m: int, dtype: Any = None) -> jax.Array:
    r"""The ``(2**m, m)`` table of :math:`(-1)^{b_j}`: ``p @ z_signs(m)`` is :math:`\langle Z_j\rangle`.

    Row :math:`b` is the outcome :math:`|b_0 \dots b_{m-1}\rangle` (wire 0 the
    most significant bit), column :math:`j` its eigenvalue of :math:`Z_j`.

    Examples
    --------
    >>> z_signs(2).tolist()
    [[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]]
    """
    bits = (np.arange(2**m)[:, None] >> np.arange(m - 1, -1, -1)[None, :]) & 1
    return jnp.asarray(1.0 - 2.0 * bits, real_dtype() if dtype is None else dtype)


# ------------------------------------------------------------------------- the circuit
@dataclass(frozen=True, eq=False)
class VariationalModel:
    """Encoding plus ansatz (and optional noise): states, probabilities and expectations.

    Build it with :func:`variational_model`. It is hashable and compares
    equal to a model of the same structure (circuits, ansatz, noise), so it
    can be a static argument of jitted functions.

    Attributes
    ----------
    circuit : Circuit
        The encoding followed by the ansatz; reads ``circuit.n_features``
        features and ``circuit.n_weights`` weights (the encoding's first).
    encoding : Circuit
        The encoding alone, on ``circuit.n_qubits`` wires.
    ansatz : str
        The ansatz name (a key of :data:`~qinspired.circuits.ansatz.ANSATZE`).
    n_layers : int
        Its number of layers.
    noise : NoiseModel or None
        Simulate by density matrices with this noise (and its readout errors).
    """

    circuit: Circuit
    encoding: Circuit
    ansatz: str
    n_layers: int
    noise: NoiseModel | None = field(default=None)

    @cached_property
    def _key(self) -> tuple:
        noise = None if self.noise is None else self.noise.to_json()
        return (self.circuit.static_key, self.encoding.static_key,
                tuple(np.asarray(m).tobytes() for m in self.circuit.matrices),
                self.ansatz, self.n_layers, noise)

    @cached_property
    def _hash(self) -> int:
        return hash(self._key)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VariationalModel) and self._key == other._key

    @property
    def n_qubits(self) -> int:
        """Number of wires simulated."""
        return self.circuit.n_qubits

    @property
    def n_features(self) -> int:
        """Number of features the encoding reads."""
        return self.circuit.n_features

    @property
    def n_weights(self) -> int:
        """Length of the weight vector (encoding weights, then the ansatz's)."""
        return self.circuit.n_weights

    @cached_property
    def scan(self) -> bool:
        """Whether the ansatz is applied by :func:`~qinspired.circuits.ansatz.apply_ansatz`.

        It is without noise, when the encoding has no weights of its own, there
        are at least two qubits and the per-slot index maps stay under
        ``2**24`` entries; otherwise the whole circuit goes through
        :func:`~qinspired.circuits.statevector`.
        """
        n = self.circuit.n_qubits
        if n < 2 or self.encoding.n_weights or self.noise is not None:
            return False
        n_slots = len(ansatz_slots(self.ansatz, n, self.n_layers, 0).pairs)
        return n_slots * 2**n <= _SCAN_MAX_ENTRIES

    def states(self, w: jax.Array, X: jax.Array) -> jax.Array:
        """Statevectors ``(batch, 2**n)`` of the rows of ``X``, or density matrices with noise.

        Parameters
        ----------
        w : array of shape (n_weights,)
        X : array of shape (batch, n_features)
            Features as the encoding reads them (no rescaling here).
        """
        if self.noise is not None:
            return density_matrix(self.circuit, X, w, noise=self.noise)
        if self.scan:
            return apply_ansatz(statevector(self.encoding, X), w, self.ansatz, self.n_layers)
        return statevector(self.circuit, X, w)

    def probabilities_from_states(self, states: jax.Array,
                                  wires: tuple[int, ...]) -> jax.Array:
        """Born probabilities ``(batch, 2**m)`` of ``wires`` from :meth:`states` output.

        With noise, the noise model's readout errors of those wires are applied.
        """
        n = self.circuit.n_qubits
        if self.noise is None:
            return marginal(jnp.abs(states) ** 2, wires, n)
        p = marginal(jnp.real(jnp.diagonal(states, axis1=-2, axis2=-1)), wires, n)
        mats = confusion_matrices(self.noise, n)
        return p if mats is None else apply_confusion(p, mats[np.asarray(wires)])

    @one_unused_noise_warning()  # the simulation and the readout: one warning
    def probabilities(self, w: jax.Array, X: jax.Array, wires: tuple[int, ...]) -> jax.Array:
        r"""Born probabilities ``(batch, 2**m)`` of the measured ``wires`` (in that order).

        :math:`p_b(x) = \mathrm{Tr}(\Pi_b\,\rho(x))`, readout errors of the
        noise model included.
        """
        return self.probabilities_from_states(self.states(w, X), tuple(wires))

    @one_unused_noise_warning()
    def expectations(self, w: jax.Array, X: jax.Array,
                     observables: tuple[ObservableLike, ...] | None = None) -> jax.Array:
        r"""Expectation values ``(batch, k)``: of each observable, or :math:`\langle Z_q\rangle` per wire.

        Parameters
        ----------
        w : array of shape (n_weights,)
        X : array of shape (batch, n_features)
        observables : sequence of PauliSum or str, optional
            The observables; ``None`` measures :math:`Z_q` on every wire
            :math:`q = 0, \dots, n-1` (from one set of probabilities). With
            noise, its readout errors apply to the measured wires (the value
            an experiment's shot average converges to).

        Returns
        -------
        jax.Array of shape (batch, k)
            Real, ``k = n_qubits`` for ``None``, else ``len(observables)``.
        """
        if observables is None:
            n = self.circuit.n_qubits
            p = self.probabilities(w, X, tuple(range(n)))
            return p @ z_signs(n, p.dtype)
        states = self.states(w, X)
        density = self.noise is not None
        return jnp.stack([exact_expectation(states, obs, readout=self.noise, density=density)
                          for obs in observables], axis=-1)

    def check_training_memory(self, batch: int, owner: str) -> None:
        """Refuse a training batch whose reverse-mode tape would not fit in memory.

        Reverse mode keeps one state per gate (``4**n`` entries each with noise).

        Raises
        ------
        qinspired.SimulationTooLargeError
            Naming ``owner``, the simulation and the batch.
        """
        n = self.circuit.n_qubits
        per_state = (4**n if self.noise is not None else 2**n) * complex_dtype().itemsize
        steps = len(self.circuit.operations) + 2
        kind = "density-matrix" if self.noise is not None else "statevector"
        check_memory(batch * steps * per_state,
                     f"training {owner} ({kind} simulation of {n} qubits, "
                     f"{steps} steps kept for the gradient, batches of {batch})")


def variational_model(encoding: Any, ansatz: str = "mps", n_layers: int = 1, *,
                      n_qubits: int | None = None,
                      noise: NoiseModel | None = None) -> VariationalModel:
    """Build a :class:`VariationalModel`: ``encoding`` followed by ``n_layers`` of ``ansatz``.

    Parameters
    ----------
    encoding : Circuit or feature map
        The data encoding (anything with a ``.circuit``); its own trainable
        weights come first in the weight vector.
    ansatz : {"mps", "ttn", "hardware_efficient"}, default "mps"
    n_layers : int, default 1
    n_qubits : int, optional
        Total number of wires, at least the encoding's (extra wires start in
        :math:`|0\\rangle`); default the encoding's.
    noise : NoiseModel, optional
        Simulate with this noise by density matrices (:math:`4^n` memory).

    Returns
    -------
    VariationalModel

    Raises
    ------
    ValueError
        For an unknown ansatz, ``n_layers < 1``, too few qubits or a noise
        argument that is not a :class:`~qinspired.circuits.NoiseModel`.
    """
    name = check_choice("variational_model", "ansatz", ansatz, tuple(sorted(ANSATZE)))
    layers = check_int("variational_model", "n_layers", n_layers, 1)
    if noise is not None and not isinstance(noise, NoiseModel):
        raise ValueError(f"variational_model: noise must be None or a NoiseModel, got "
                         f"{type(noise).__name__}")
    enc = as_circuit(encoding)
    n = enc.n_qubits if n_qubits is None else check_int("variational_model", "n_qubits",
                                                        n_qubits, 1)
    if n < enc.n_qubits:
        raise ValueError(f"variational_model: n_qubits={n} is smaller than the encoding's "
                         f"{enc.n_qubits} qubits")
    if n != enc.n_qubits:
        enc = Circuit(n, enc.operations, enc.n_features, enc.n_weights, enc.matrices)
    return VariationalModel(variational_circuit(enc, name, layers), enc, name, layers, noise)


def init_weights(model: VariationalModel, key: jax.Array) -> jax.Array:
    """Initial weights ``INIT_STD * N(0, 1)`` of length ``model.n_weights`` (near the identity)."""
    return INIT_STD * jax.random.normal(key, (model.n_weights,), real_dtype())


# ------------------------------------------------------------------------- the heads
@dataclass(frozen=True, eq=False)
class VariationalHead:
    """Classifier or regressor outputs read from a :class:`VariationalModel`; calling it is the loss.

    Parameters are the dict ``{"w": weights, "scale": s, "bias": b}``. Two
    heads of equal structure compare equal, so a jitted training step that
    takes the head as its static loss function (as
    :func:`qinspired.training.train_step` does) compiles once for many fits.

    Attributes
    ----------
    model : VariationalModel
    wires : tuple of int
        The readout wires (see :func:`~qinspired.circuits.ansatz.readout_wires`).
    n_outputs : int
        Classes (classification) or regression outputs.
    task : {"classification", "regression"}
    label_smoothing : float
        :math:`\\varepsilon` of the cross-entropy against smoothed labels
        :math:`(1 - \\varepsilon)\\,e_y + \\varepsilon / C`.
    """

    model: VariationalModel
    wires: tuple[int, ...]
    n_outputs: int
    task: str
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        check_choice("VariationalHead", "task", self.task, _TASKS)
        check_in_range("VariationalHead", "label_smoothing", self.label_smoothing, 0.0, 1.0,
                       high_open=True)

    @cached_property
    def _key(self) -> tuple:
        return (self.model, self.wires, self.n_outputs, self.task, self.label_smoothing)

    @cached_property
    def _hash(self) -> int:
        return hash(self._key)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VariationalHead) and self._key == other._key

    def probabilities(self, params: dict, X: jax.Array) -> jax.Array:
        """Born probabilities ``(batch, 2**m)`` of the readout wires (readout errors applied)."""
        return self.model.probabilities(params["w"], X, self.wires)

    def outputs(self, params: dict, p: jax.Array) -> jax.Array:
        """Class logits ``(batch, C)`` or standardised predictions ``(batch, n_outputs)`` from ``p``."""
        if self.task == "classification":
            return params["scale"] * p[:, : self.n_outputs] + params["bias"]
        z = p @ z_signs(len(self.wires), p.dtype)  # <Z> of each readout wire
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


def classifier_head(model: VariationalModel, n_classes: int, *,
                    label_smoothing: float = 0.0) -> VariationalHead:
    """The head of a ``n_classes`` classifier, reading ``ceil(log2 n_classes)`` wires.

    The model must have at least that many qubits (:func:`variational_model`'s
    ``n_qubits``).
    """
    n_classes = check_int("classifier_head", "n_classes", n_classes, 2)
    m = max(1, (n_classes - 1).bit_length())
    wires = readout_wires(model.ansatz, model.n_qubits, m)
    return VariationalHead(model, wires, n_classes, "classification", float(label_smoothing))


def regressor_head(model: VariationalModel, n_outputs: int) -> VariationalHead:
    """The head of a regressor with ``n_outputs`` outputs, one readout wire each."""
    n_outputs = check_int("regressor_head", "n_outputs", n_outputs, 1)
    wires = readout_wires(model.ansatz, model.n_qubits, n_outputs)
    return VariationalHead(model, wires, n_outputs, "regression")


# ------------------------------------------------------------------ jitted evaluation
@partial(jax.jit, static_argnames=("head",))
def head_outputs(params: dict, X: jax.Array, *, head: VariationalHead) -> jax.Array:
    """Exact outputs of ``head`` for the rows of ``X`` (jitted once per head structure)."""
    return head.outputs(params, head.probabilities(params, X))


@partial(jax.jit, static_argnames=("model",))
def _states(w: jax.Array, X: jax.Array, *, model: VariationalModel) -> jax.Array:
    return model.states(w, X)


@partial(jax.jit, static_argnames=("head",))
def _outputs_from_probabilities(params: dict, p: jax.Array, *, head: VariationalHead) -> jax.Array:
    return head.outputs(params, p)


def shot_outputs(params: dict, X: jax.Array, head: VariationalHead, shots: int,
                 key: jax.Array) -> jax.Array:
    """Outputs of ``head`` from the outcome frequencies of ``shots`` measurements per row.

    The readout wires are sampled (readout errors of the noise model
    applied) with ``key``; the same key gives the same outputs.
    """
    model = head.model
    states = _states(params["w"], X, model=model)
    bits = sample_bits(key, states, shots, head.wires, readout=model.noise,
                       density=model.noise is not None)
    return _outputs_from_probabilities(params, frequencies(bits), head=head)
