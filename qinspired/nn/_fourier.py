r"""Random Fourier features of a Pauli-encoded circuit, as a Flax NNX layer.

The layer samples :math:`D` frequency vectors :math:`\omega_k` from the
spectrum of the circuit's data encoding (:mod:`qinspired.kernels.fourier`) once,
when it is built, and maps inputs to

.. math::

    \phi(x) = \frac{1}{\sqrt{D}} \big[\cos(\omega_k \cdot x)\big]_{k=1}^{D}
        \oplus \frac{1}{\sqrt{D}} \big[\sin(\omega_k \cdot x)\big]_{k=1}^{D},

the features of :class:`~qinspired.estimators.fourier.QuantumFourierFeatures`.
A trainable ``nnx.Linear`` on top is a Fourier series with the frequencies the
circuit can produce: the classical surrogate of the variational circuit of
Landman et al. (2022), trained inside any network.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from qinspired._validation import check_choice, check_int
from qinspired.kernels.fourier import (
    SAMPLINGS,
    cos_sin_features,
    pauli_encoding_coefficients,
    sample_frequencies,
)
from qinspired.nn._checks import check_layer_input

__all__ = ["FourierFeatures", "Frequencies"]


class Frequencies(nnx.Variable):
    """The fixed frequency vectors of :class:`FourierFeatures`.

    A variable type of its own, not :class:`flax.nnx.Param`: ``nnx.state``,
    ``nnx.split`` and ``nnx.merge`` carry it (so a saved layer restores its
    frequencies), while gradients and optimisers taken with respect to
    ``nnx.Param`` leave it alone.
    """


class FourierFeatures(nnx.Module):
    r"""Quantum random Fourier features (Landman et al. 2022) as a layer.

    Maps ``(..., in_features)`` inputs to ``(..., 2 * n_components)`` features:
    the cosines, then the sines, of :math:`\omega_k \cdot x` over
    :math:`\sqrt{D}`. The frequencies are drawn from the spectrum of
    ``feature_map`` when the layer is built and then stay fixed: they are a
    :class:`Frequencies` variable, saved and restored with the layer's state
    but not trained.

    The inputs enter as the circuit reads them (any real values; no clipping):
    scale them to the range the encoding expects, or let a trainable layer in
    front do it. Only the circuit's encoding angles matter, so a feature map
    with ``feature_scale="auto"`` acts as if the scale were 1 (its ``fit`` on
    data is not applied here); give a number to set the bandwidth.

    Parameters
    ----------
    feature_map : FeatureMap or Circuit
        A Pauli encoding (anything with a ``.circuit``, or a
        :class:`~qinspired.circuits.Circuit`); its number of features is the
        layer's ``in_features``. Product encodings (ZZ, IQP) are rejected.
    n_components : int
        Number :math:`D` of frequency vectors.
    sampling : {"tree", "distinct"}, default "tree"
        How the frequencies are drawn
        (:func:`~qinspired.kernels.fourier.sample_frequencies`).
    rngs : flax.nnx.Rngs
        Random streams; the frequencies are drawn from ``rngs.params()``.

    Attributes
    ----------
    frequencies : Frequencies
        The frequency vectors, shape ``(n_components, in_features)``.
    in_features : int
        Number of input features.

    References
    ----------
    J. Landman, S. Thabet, C. Dalyac, H. Mhiri and E. Kashefi, "Classically
    approximating variational quantum machine learning with random Fourier
    features", arXiv:2210.13200 (2022); ICLR 2023.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from flax import nnx
    >>> from qinspired.feature_maps import HardwareEfficientEncoding
    >>> layer = FourierFeatures(HardwareEfficientEncoding(3, n_layers=2), 16, rngs=nnx.Rngs(0))
    >>> layer(jnp.zeros((4, 3))).shape
    (4, 32)
    >>> sorted(set(jnp.abs(layer.frequencies[...]).ravel().tolist()))
    [0.0, 1.0, 2.0]
    """

    def __init__(self, feature_map: Any, n_components: int, *, sampling: str = "tree",
                 rngs: nnx.Rngs) -> None:
        coefficients = pauli_encoding_coefficients(feature_map)
        n = check_int("FourierFeatures", "n_components", n_components, 1)
        method = check_choice("FourierFeatures", "sampling", sampling, SAMPLINGS)
        self.in_features = len(coefficients)
        self.n_components = n
        self.frequencies = Frequencies(sample_frequencies(rngs.params(), coefficients, n, method))

    def __call__(self, x: Any) -> jax.Array:
        """Features of inputs ``x`` of shape ``(..., in_features)``: ``(..., 2 * n_components)``."""
        x = check_layer_input("FourierFeatures", x, self.in_features)
        batch = x.shape[:-1]
        w = self.frequencies[...]
        x = x.reshape(-1, self.in_features).astype(jnp.result_type(x, w))
        return cos_sin_features(x, w.astype(x.dtype)).reshape(*batch, 2 * self.n_components)
