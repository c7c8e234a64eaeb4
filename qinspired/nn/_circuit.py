r"""A variational quantum circuit as a Flax NNX layer.

:class:`CircuitLayer` is the circuit of the variational estimators
(:mod:`qinspired.estimators.variational`): a feature map :math:`E(x)`, then a
trainable ansatz :math:`W(w)`, simulated exactly (statevector) or with noise
(density matrix). Its output is a vector of expectation values,

.. math::

    f_k(x) = \mathrm{Tr}\big(O_k\,\rho(x)\big), \qquad
    \rho(x) = W(w)\,E(x)\,|0\rangle\langle 0|\,E(x)^\dagger W(w)^\dagger,

by default :math:`O_q = Z_q` on every wire. The physics is
:class:`qinspired.circuits.variational.VariationalModel`, shared with the
estimators; the layer holds the weight vector :math:`w` as an ``nnx.Param``.
Outputs are differentiable in both :math:`w` and :math:`x`, so the layer can
sit between classical layers and be trained end to end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from qinspired._validation import is_traced
from qinspired.circuits.noise_model import NoiseModel
from qinspired.circuits.observables import PauliSum, pauli
from qinspired.circuits.statevector import real_dtype
from qinspired.circuits.variational import init_weights, variational_model

__all__ = ["CircuitLayer"]


def _observables(owner: str, observables: Any, n_qubits: int) -> tuple[PauliSum, ...] | None:
    if observables is None:
        return None
    if isinstance(observables, (str, PauliSum)):
        observables = [observables]
    out = []
    for obs in observables:
        if isinstance(obs, str):
            obs = pauli(obs)
        if not isinstance(obs, PauliSum):
            raise ValueError(f"{owner}: observables must be PauliSum objects or Pauli labels, "
                             f"got {type(obs).__name__}")
        if obs.max_wire >= n_qubits:
            raise ValueError(f"{owner}: observable {obs} acts on wire {obs.max_wire}; the "
                             f"circuit has {n_qubits} qubits")
        out.append(obs)
    if not out:
        raise ValueError(f"{owner}: observables is empty; use None for <Z> on every wire")
    return tuple(out)


class CircuitLayer(nnx.Module):
    r"""Variational circuit layer: features in, expectation values out.

    Parameters
    ----------
    feature_map : FeatureMap or Circuit
        The data encoding (any map with a ``.circuit``, e.g.
        :class:`~qinspired.feature_maps.AngleEncoding`; not
        :class:`~qinspired.feature_maps.AmplitudeEncoding`). Its own
        trainable weights, if any, are trained with the ansatz's. A map whose
        ``feature_scale`` is ``"auto"`` and has not been fitted uses scale 1.
    ansatz : {"mps", "ttn", "hardware_efficient"}, default "mps"
        The trainable circuit (:mod:`qinspired.circuits.ansatz`).
    n_layers : int, default 1
        Its number of layers.
    observables : sequence of PauliSum or str, optional
        What to measure; default :math:`\langle Z_q \rangle` for every wire
        :math:`q = 0, \dots, n-1` (wire 0 first).
    noise : NoiseModel, optional
        Simulate with this noise by density matrices (:math:`4^n` memory per
        sample); its readout errors apply to the measured wires.
    rngs : nnx.Rngs
        ``rngs.params()`` draws the initial weights, :math:`0.1\,\mathcal N(0, 1)`
        (the circuit starts near the feature map alone).

    Attributes
    ----------
    weights : nnx.Param of shape (n_weights,)
        The circuit's weights (the feature map's first, then the ansatz's).
    model : VariationalModel
        The static circuit structure (:mod:`qinspired.circuits.variational`).
    observables : tuple of PauliSum or None

    Notes
    -----
    **Input range.** Features enter the circuit as rotation angles (radians,
    times the map's ``feature_scale``), so outputs are periodic in them and
    inputs should span about one period, which a classical layer before this
    one can provide with a bounded activation:

    * ``AngleEncoding`` (``rx``/``ry``/``rz``), ``HardwareEfficientEncoding``:
      :math:`x \in [0, \pi]` (for ``ry``, :math:`|0\rangle` to
      :math:`|1\rangle`; :math:`[-\pi, \pi]` covers the whole circle);
    * ``ZZFeatureMap``, ``PauliFeatureMap``: :math:`x \in [0, 2\pi]` (Qiskit's
      convention; pair angles are :math:`(\pi - x_i)(\pi - x_j)`);
    * ``IQPFeatureMap``: :math:`x \in [-\pi, \pi]` (pair angles :math:`x_i x_j`).

    Inputs of the wrong width raise ``ValueError``; so do non-finite inputs
    outside ``jit`` (inside, they give NaN outputs).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from flax import nnx
    >>> from qinspired.feature_maps import AngleEncoding
    >>> from qinspired.nn._circuit import CircuitLayer
    >>> layer = CircuitLayer(AngleEncoding(3, rotation="ry"), rngs=nnx.Rngs(0))
    >>> layer(jnp.zeros((5, 3))).shape
    (5, 3)
    """

    def __init__(self, feature_map: Any, *, ansatz: str = "mps", n_layers: int = 1,
                 observables: Sequence[PauliSum | str] | None = None,
                 noise: NoiseModel | None = None, rngs: nnx.Rngs) -> None:
        fm = feature_map
        if hasattr(fm, "validate") and hasattr(fm, "get_params"):
            fm = fm.validate()
        self.model = variational_model(fm, ansatz, n_layers, noise=noise)
        self.observables = _observables("CircuitLayer", observables, self.model.n_qubits)
        self.weights = nnx.Param(init_weights(self.model, rngs.params()))

    @property
    def n_outputs(self) -> int:
        """Number of expectation values returned per sample."""
        obs = self.observables
        return self.model.n_qubits if obs is None else len(obs)

    def __call__(self, x: jax.Array) -> jax.Array:
        """Expectation values of the circuit at ``x``.

        Parameters
        ----------
        x : array of shape (n_features,) or (batch, n_features)

        Returns
        -------
        jax.Array of shape (n_outputs,) or (batch, n_outputs)
            Real (float32, float64 with x64).
        """
        x = jnp.asarray(x)
        n = self.model.n_features
        if x.ndim not in (1, 2) or x.shape[-1] != n:
            raise ValueError(f"CircuitLayer: expected inputs of shape (n_features,) or (batch, "
                             f"n_features) with n_features={n}, got shape {x.shape}")
        if not is_traced(x) and not np.all(np.isfinite(np.asarray(x))):
            raise ValueError("CircuitLayer: the inputs contain NaN or inf")
        rows = x.reshape((-1, n)).astype(real_dtype())
        out = self.model.expectations(self.weights[...], rows, self.observables)
        return out[0] if x.ndim == 1 else out
