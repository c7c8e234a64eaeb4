r"""A fidelity-kernel layer: overlaps of a feature-map state with landmark states.

For a feature map :math:`x \mapsto |\psi(x)\rangle` and landmarks
:math:`l_1, \dots, l_m` the layer maps an input to

.. math::

    k(x) = \big(|\langle \psi(x) | \psi(l_j) \rangle|^2\big)_{j=1}^{m},

the row of the fidelity-kernel Gram matrix :math:`K(x, L)` of
:class:`~qinspired.kernels.FidelityKernel` (exact statevectors). A linear layer
on top is a kernel model restricted to the span of the landmarks (a Nyström
model when they are training points). The landmarks are fixed by default
(:class:`Landmarks`) or trainable (``nnx.Param``), which makes the layer a
learned set of reference states.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from qinspired._validation import as_float_array, check_memory
from qinspired.circuits.statevector import as_circuit, complex_dtype, real_dtype, statevector_fn
from qinspired.nn._checks import check_layer_input

__all__ = ["KernelLayer", "Landmarks"]


class Landmarks(nnx.Variable):
    """The fixed landmarks of a :class:`KernelLayer` (saved with the state, never trained)."""


class KernelLayer(nnx.Module):
    r"""Fidelity kernel against landmarks, ``(..., n_features) -> (..., n_landmarks)``.

    Each output is :math:`|\langle \psi(x) | \psi(l_j) \rangle|^2 \in [0, 1]`,
    with the states simulated exactly (:math:`2^n` amplitudes per point, the
    landmarks' states recomputed at every call so that trainable landmarks get
    gradients). Inputs enter the circuit as they are (no clipping).

    Parameters
    ----------
    feature_map : FeatureMap or Circuit
        The encoding; it must not have trainable weights. A map with
        ``feature_scale="auto"`` acts as if the scale were 1.
    landmarks : array_like, shape (n_landmarks, n_features)
        The reference points, e.g. a subset of the training data.
    trainable : bool, default False
        Store the landmarks as ``nnx.Param`` (trained with the network)
        instead of a fixed :class:`Landmarks` variable.

    Attributes
    ----------
    landmarks : Landmarks or flax.nnx.Param
        The landmarks, shape ``(n_landmarks, n_features)``.
    in_features : int
        Number of input features.

    References
    ----------
    V. Havlicek et al., "Supervised learning with quantum-enhanced feature
    spaces", Nature 567, 209 (2019).

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.feature_maps import AngleEncoding
    >>> layer = KernelLayer(AngleEncoding(2, feature_scale=1.0), np.array([[0.0, 0.0]]))
    >>> np.round(np.asarray(layer(np.array([[np.pi / 2, 0.0]]))), 6).tolist()
    [[0.5]]
    """

    def __init__(self, feature_map: Any, landmarks: Any, *, trainable: bool = False) -> None:
        try:
            circuit = as_circuit(feature_map)
        except TypeError as exc:
            raise ValueError(f"KernelLayer: {exc}") from None
        if circuit.n_weights:
            raise ValueError(f"KernelLayer: the feature map has {circuit.n_weights} trainable "
                             "weight(s); bind them first with circuit.bind(weights=...)")
        points = as_float_array(landmarks, "KernelLayer: landmarks")
        if points.ndim != 2 or points.shape[0] == 0 or points.shape[1] != circuit.n_features:
            raise ValueError(f"KernelLayer: landmarks must have shape (n_landmarks >= 1, "
                             f"{circuit.n_features}), got {points.shape}")
        check_memory(points.shape[0] * 2**circuit.n_qubits * np.dtype(complex_dtype()).itemsize,
                     f"KernelLayer: the {circuit.n_qubits}-qubit states of "
                     f"{points.shape[0]} landmarks", advice="use fewer qubits or landmarks")
        self.in_features = circuit.n_features
        self._state = statevector_fn(circuit)
        value = jnp.asarray(points, real_dtype())
        self.landmarks = nnx.Param(value) if trainable else Landmarks(value)

    def __call__(self, x: Any) -> jax.Array:
        """Kernel values of inputs ``x`` of shape ``(..., in_features)``: ``(..., n_landmarks)``."""
        x = check_layer_input("KernelLayer", x, self.in_features)
        batch = x.shape[:-1]
        points = self.landmarks[...]
        psi_x = jax.vmap(self._state)(x.reshape(-1, self.in_features).astype(points.dtype))
        psi_l = jax.vmap(self._state)(points)
        k = jnp.abs(psi_x.conj() @ psi_l.T) ** 2
        return k.reshape(*batch, points.shape[0])
