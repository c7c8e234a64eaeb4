r"""Random Fourier features of a Pauli-encoded circuit, as a scikit-learn transformer.

The core is :mod:`qinspired.kernels.fourier`; this module validates input,
turns ``random_state`` into a JAX key and stores the sampled frequencies.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    clone,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from qinspired._random import fit_key
from qinspired._validation import check_choice, check_finite_output, check_int
from qinspired.circuits.circuit import Circuit
from qinspired.estimators._common import set_provenance
from qinspired.feature_maps import FeatureMap, HardwareEfficientEncoding
from qinspired.kernels.fourier import (
    SAMPLINGS,
    fourier_features,
    pauli_encoding_coefficients,
    sample_frequencies,
)

__all__ = ["QuantumFourierFeatures"]

_DTYPES = [np.float64, np.float32]


class QuantumFourierFeatures(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Random Fourier features sampled from the spectrum of a Pauli-encoded circuit.

    A circuit whose features enter through Pauli rotations computes a Fourier
    series :math:`f(x) = \sum_{\omega \in \Omega} c_\omega e^{i\omega\cdot x}`
    whose frequencies :math:`\Omega` follow from the encoding gates alone
    (:mod:`qinspired.kernels.fourier`). ``fit`` samples ``n_components``
    frequency vectors :math:`\omega_k` from :math:`\Omega`; ``transform``
    returns

    .. math::

        \phi(x) = \frac{1}{\sqrt{D}} \big[\cos(\omega_k \cdot x)\big]_{k=1}^{D}
            \oplus \frac{1}{\sqrt{D}} \big[\sin(\omega_k \cdot x)\big]_{k=1}^{D},

    so a linear model on :math:`\phi` (ridge regression, a linear SVM) is a
    classical surrogate of the variational circuit, trained without simulating
    it [1]_. The data are read as the feature map reads them: ``fit`` fits a
    copy of the map on the training data, so a map with ``feature_scale="auto"``
    (the default one included) standardises every feature with the training
    statistics, and raw, standardised and min-max scaled data give the same
    model; a numeric ``feature_scale`` takes the data as given (scale them to
    the range the circuit expects, e.g. ``[0, pi]`` for rotations).

    Parameters
    ----------
    feature_map : FeatureMap or Circuit, optional
        The encoding whose spectrum is sampled; its trainable gates do not
        matter, only the angles that read data. ``None`` (the default) uses
        ``HardwareEfficientEncoding(n_features_in_, n_layers=2)``: two
        re-uploaded :math:`R_Y(u_j)` per feature, frequencies
        :math:`\{-2, \dots, 2\}` in every angle, with ``feature_scale="auto"``
        (:math:`u_j` moves 0.3 rad per training standard deviation of
        :math:`x_j`; on standardised wine data, a logistic regression on the
        features scored 0.70 when the map read the data as given). Its number
        of features must equal that of ``X``; product encodings (ZZ, IQP) are
        rejected.
    n_components : int, default 100
        Number :math:`D` of frequency vectors; the output has ``2 * D`` columns.
    sampling : {"tree", "distinct"}, default "tree"
        ``"tree"`` draws frequencies in proportion to their multiplicity,
        ``"distinct"`` uniformly over the distinct frequency vectors (see
        :func:`~qinspired.kernels.fourier.sample_frequencies`).
    random_state : int, numpy.random.Generator or None, default None
        Seed of the frequency sampling.

    Attributes
    ----------
    feature_map_ : FeatureMap or Circuit
        The encoding used (a copy of ``feature_map``, or the default), fitted on
        the training data.
    frequencies_ : numpy.ndarray, shape (n_components, n_features_in_)
        The sampled frequency vectors :math:`\omega_k`.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : numpy.ndarray of str
        Feature names seen in ``fit``, when ``X`` had string column names.

    Notes
    -----
    The features are computed in JAX's default precision (float32 unless x64
    is enabled) and returned in the dtype of ``X``. Columns are the
    ``n_components`` cosines followed by the sines, named
    ``quantumfourierfeatures0 ...`` by :meth:`get_feature_names_out`.

    References
    ----------
    .. [1] J. Landman, S. Thabet, C. Dalyac, H. Mhiri and E. Kashefi, "Classically
       approximating variational quantum machine learning with random Fourier
       features", arXiv:2210.13200 (2022); ICLR 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import RidgeClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> X = np.random.default_rng(0).uniform(0, np.pi, (40, 2))
    >>> y = (np.cos(X[:, 0]) * np.sin(X[:, 1]) > 0).astype(int)
    >>> qff = QuantumFourierFeatures(n_components=20, random_state=0)
    >>> qff.fit_transform(X).shape
    (40, 40)
    >>> model = make_pipeline(QuantumFourierFeatures(n_components=30, random_state=0),
    ...                       RidgeClassifier(alpha=1e-3)).fit(X, y)
    >>> bool(model.score(X, y) > 0.9)
    True
    """

    def __init__(
        self,
        feature_map: Any = None,
        n_components: int = 100,
        sampling: str = "tree",
        random_state: Any = None,
    ) -> None:
        self.feature_map = feature_map
        self.n_components = n_components
        self.sampling = sampling
        self.random_state = random_state

    def _encoding(self, X: np.ndarray) -> tuple[Any, tuple[np.ndarray, ...]]:
        """The feature map to use, fitted on ``X``, and its encoding coefficients."""
        n_features = X.shape[1]
        fm = self.feature_map
        if fm is None:
            fm = HardwareEfficientEncoding(n_features, n_layers=2)
        elif isinstance(fm, FeatureMap):
            fm = clone(fm)
        elif not isinstance(fm, Circuit):
            raise ValueError(
                "QuantumFourierFeatures: feature_map must be None, a FeatureMap or a Circuit, "
                f"got {type(fm).__name__}"
            )
        if isinstance(fm, FeatureMap) and getattr(fm, "n_features", n_features) == n_features:
            fm.fit(X)   # fixes feature_scale="auto" from the training data
        coefficients = pauli_encoding_coefficients(fm)
        if len(coefficients) != n_features:
            raise ValueError(
                f"QuantumFourierFeatures: the feature map reads {len(coefficients)} "
                f"feature(s) but X has {n_features}; build it with n_features={n_features}"
            )
        return fm, coefficients

    def fit(self, X: Any, y: Any = None) -> QuantumFourierFeatures:
        """Sample the frequencies of the feature map's spectrum.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training data: its number of features, and the statistics that fix a
            feature map's ``feature_scale="auto"``.
        y : ignored
            Present for API consistency.

        Returns
        -------
        self : QuantumFourierFeatures
        """
        X = validate_data(self, X, dtype=_DTYPES)
        n_components = check_int("QuantumFourierFeatures", "n_components", self.n_components, 1)
        sampling = check_choice("QuantumFourierFeatures", "sampling", self.sampling, SAMPLINGS)
        feature_map, coefficients = self._encoding(X)
        seed, key = fit_key(self.random_state)
        frequencies = sample_frequencies(key, coefficients, n_components, sampling)
        self.feature_map_ = feature_map
        self.frequencies_ = np.asarray(frequencies, dtype=np.float64)
        set_provenance(self, X, None, seed)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Map ``X`` to its random Fourier features.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Data.

        Returns
        -------
        numpy.ndarray, shape (n_samples, 2 * n_components)
            Cosines then sines of :math:`\\omega_k \\cdot x`, over
            :math:`\\sqrt{D}`, in the dtype of ``X`` (float32 or float64).
        """
        check_is_fitted(self, "frequencies_")
        X = validate_data(self, X, dtype=_DTYPES, reset=False)
        features = fourier_features(X, self.frequencies_)
        return np.asarray(check_finite_output(features, X, "QuantumFourierFeatures: the features"),
                          dtype=X.dtype)

    @property
    def _n_features_out(self) -> int:
        return 2 * self.frequencies_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
