"""The base class of the feature maps: scikit-learn style parameters and a cached circuit.

Kept apart from :mod:`qinspired.feature_maps` (which re-exports
:class:`FeatureMap`) so that the maps themselves stay readable.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Mapping

import numpy as np

from qinspired._params import Params
from qinspired._validation import as_float_array, check_int, check_real
from qinspired.circuits.circuit import Circuit, Factor

#: ``feature_scale="auto"``: the angle of feature ``j`` is ``AUTO_CENTRE + s_auto * z_j``
#: with ``z_j`` the feature standardised with the training mean and standard deviation
#: and ``s_auto`` the map's ``auto_scale``.
AUTO_CENTRE = math.pi / 2
_FITTED = ("feature_mean_", "feature_std_", "feature_scale_")


def _freeze(value: Any) -> Any:
    """A hashable version of a parameter value (lists become tuples)."""
    if isinstance(value, Mapping):
        items = ((_freeze(k), _freeze(v)) for k, v in value.items())
        return ("__mapping__",) + tuple(sorted(items, key=repr))
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value.item() if isinstance(value, np.generic) else value


class FeatureMap(Params):
    r"""Base class: scikit-learn style parameters and a cached, validated circuit.

    Subclasses take every parameter as an explicit keyword of ``__init__`` and
    store it unchanged under the same name (no logic); :meth:`get_params` reads
    the signature. They implement ``_check()`` (raise ``ValueError``) and
    ``_build() -> Circuit``, reading feature :math:`j` through :meth:`_factor`.
    Equality and hashing compare the class, the parameters (lists compare equal
    to tuples) and what :meth:`fit` fixed; the hash changes with :meth:`set_params`.

    A map with a ``feature_scale`` parameter encodes feature :math:`j` as the
    angle :math:`u_j = s\,x_j` for a number :math:`s`. ``feature_scale="auto"``
    is fixed by :meth:`fit` from training data: with the training means
    :math:`\mu_j` and standard deviations :math:`\sigma_j` (1 for a constant
    feature),

    .. math::

        u_j = \frac{\pi}{2} + s_* \frac{x_j - \mu_j}{\sigma_j},

    with :math:`s_*` the class attribute ``auto_scale``, so the circuit, and
    every kernel or model built on it, is the same for ``x`` and any
    per-feature affine rescaling ``a * x + b`` (``a > 0``) of the data:
    standardised, min-max scaled and raw inputs give one model. Before
    :meth:`fit`, ``"auto"`` encodes the data as given (:math:`s = 1`, the
    reference circuit).

    The constants are measured: fidelity-kernel SVC (default ``C``) on 4
    standardised principal components, 5-fold cross-validated accuracy on
    breast cancer / wine / iris, and kernel-ridge :math:`R^2` on diabetes:

    ========================== ======== =========================================
    map                        ``s_*``  measured at ``s_*`` (and neighbours)
    ========================== ======== =========================================
    ZZ / Pauli (linear)        0.1      .95/.96/.92/.45; at 0.3: .93/.92/.91/.30;
                                        at 0.05: .94/.96/.85/.44
    IQP                        0.2      .94/.96/.93/.45; at 0.5: .91/.94/.85/.26
    angle (RY)                 0.7      .97/.98/.96/.45; at 1.5: .91/.94/.88/.24
    hardware-efficient         0.3      .95/.98/.96/.48; at 1.0: .89/.88/.89/.17
    ========================== ======== =========================================

    Centring at 0 or :math:`\pi/4` instead of :math:`\pi/2` costs the ZZ map
    2-8 points. Larger scales make the kernel oscillate over the data's spread
    and its off-diagonal entries fall towards :math:`2^{-n}` (concentration):
    on diabetes the ZZ kernel's mean off-diagonal entry is 0.56 at
    :math:`s_* = 0.1`, 0.14 at 0.3 and 0.08 at 1 (:math:`2^{-4} = 0.06`);
    smaller ones make it nearly constant.
    """

    name: ClassVar[str] = ""
    #: :math:`s_*` of ``feature_scale="auto"``, in units of the training standard deviation.
    auto_scale: ClassVar[float] = 0.1

    def set_params(self, **params: Any) -> "FeatureMap":
        """Set parameters by name and return ``self``; forgets :meth:`fit`, rebuilds the circuit."""
        super().set_params(**params)
        for key in ("_circuit_cache", "_standard_map") + _FITTED:
            self.__dict__.pop(key, None)
        return self

    def _param_key(self) -> tuple:
        params = tuple((k, _freeze(v)) for k, v in self.get_params().items())
        fitted = tuple(_freeze(self.__dict__[k]) for k in _FITTED if k in self.__dict__)
        return params + (("__fitted__", fitted),)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FeatureMap):
            return NotImplemented
        return type(self) is type(other) and self._param_key() == other._param_key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._param_key()))

    # -- bandwidth ----------------------------------------------------------------------

    def _check_scale(self) -> None:
        """``ValueError`` unless ``feature_scale`` is ``"auto"`` or a number > 0."""
        scale = getattr(self, "feature_scale", 1.0)
        if isinstance(scale, str):
            if scale != "auto":
                raise ValueError(f"{type(self).__name__}: feature_scale={scale!r} must be a "
                                 "number > 0 or 'auto'")
            return
        check_real(type(self).__name__, "feature_scale", scale, positive=True)

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` fixed ``feature_scale="auto"`` (always True for a number)."""
        return getattr(self, "feature_scale", None) != "auto" or "feature_scale_" in self.__dict__

    def fit(self, X: Any, y: Any = None) -> "FeatureMap":
        """Fix ``feature_scale="auto"`` from the training data ``X``; return ``self``.

        Sets ``feature_mean_`` and ``feature_std_`` (per feature) and
        ``feature_scale_`` (:math:`s_*`); a numeric ``feature_scale`` needs no
        fit and sets nothing. Later data are encoded with these values, never
        with statistics of their own.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        owner = type(self).__name__
        self._check()
        arr = as_float_array(X, "X")
        if arr.ndim != 2 or arr.shape[1] != int(self.n_features) or arr.shape[0] < 1:
            raise ValueError(f"{owner}.fit: X must have shape (n_samples >= 1, "
                             f"{self.n_features}), got {arr.shape}")
        for key in ("_circuit_cache", "_standard_map") + _FITTED:
            self.__dict__.pop(key, None)
        if getattr(self, "feature_scale", None) == "auto":
            mean = arr.astype(np.float64).mean(axis=0)
            std = arr.astype(np.float64).std(axis=0)
            constant = std <= 1e-12 * np.maximum(1.0, np.abs(mean))
            self.feature_mean_ = mean
            self.feature_std_ = np.where(constant, 1.0, std)
            self.feature_scale_ = float(type(self).auto_scale)
        return self

    def standardised(self, X: np.ndarray) -> tuple["FeatureMap", np.ndarray]:
        """The same encoding as a map of training statistics 0 and 1, and the inputs it reads.

        A fitted ``"auto"`` map holds the training means and deviations in its
        circuit's angles, so every new training set (each cross-validation fold)
        would compile a new circuit. Simulators call this instead: it returns a
        map whose circuit depends only on the parameters, and ``X`` standardised
        with the fitted statistics, which together give the same angles. Any
        other map is returned unchanged, with ``X``.

        Parameters
        ----------
        X : ndarray, shape (n_samples, n_features)

        Returns
        -------
        (FeatureMap, ndarray)
        """
        if getattr(self, "feature_scale", None) != "auto" or "feature_scale_" not in self.__dict__:
            return self, X
        canonical = self.__dict__.get("_standard_map")
        if canonical is None:
            canonical = type(self)(**self.get_params(deep=False))
            n = int(self.n_features)
            canonical.feature_mean_ = np.zeros(n)
            canonical.feature_std_ = np.ones(n)
            canonical.feature_scale_ = self.feature_scale_
            self.__dict__["_standard_map"] = canonical
        return canonical, (X - self.feature_mean_) / self.feature_std_

    def _affine(self, j: int) -> tuple[float, float]:
        """``(coef, shift)`` of the angle ``u_j = coef * x_j + shift`` of feature ``j``."""
        scale = self.feature_scale
        if scale != "auto":
            return float(scale), 0.0
        if "feature_scale_" not in self.__dict__:
            return 1.0, 0.0
        coef = float(self.feature_scale_ / self.feature_std_[j])
        return coef, AUTO_CENTRE - coef * float(self.feature_mean_[j])

    def _factor(self, j: int, sign: float = 1.0, shift: float = 0.0) -> Factor:
        """The factor ``shift + sign * u_j`` of feature ``j``."""
        coef, offset = self._affine(j)
        return Factor("x", j, sign * coef, shift + sign * offset)

    def _check_loaded_state(self) -> None:
        """Check a map read from a model file (see :func:`qinspired.load`).

        The cached circuits are dropped (they are rebuilt from the parameters,
        never trusted from a file), the parameters are checked, and the fitted
        statistics must be finite, one per feature, with positive deviations.
        """
        for key in ("_circuit_cache", "_standard_map"):
            self.__dict__.pop(key, None)
        self._check()
        if "feature_scale_" not in self.__dict__:
            return
        n = int(self.n_features)
        mean = np.asarray(self.__dict__.get("feature_mean_"), dtype=float)
        std = np.asarray(self.__dict__.get("feature_std_"), dtype=float)
        scale = self.feature_scale_
        if (mean.shape != (n,) or std.shape != (n,) or not np.all(np.isfinite(mean))
                or not np.all(np.isfinite(std)) or np.any(std <= 0)
                or not isinstance(scale, (int, float)) or not 0 < scale < np.inf):
            raise ValueError(f"{type(self).__name__}: the fitted feature statistics must be "
                             f"{n} finite means and positive deviations and a positive scale")

    def validate(self) -> "FeatureMap":
        """Check the parameters (``ValueError`` naming the bad one); return ``self``."""
        self._check()
        return self

    @property
    def circuit(self) -> Circuit:
        """The validated circuit, cached per parameter values."""
        key, cached = self._param_key(), self.__dict__.get("_circuit_cache")
        if cached is None or cached[0] != key:
            self._check()
            cached = self.__dict__["_circuit_cache"] = (key, self._build())
        return cached[1]

    @property
    def n_qubits(self) -> int:
        """Number of qubits."""
        return self.circuit.n_qubits

    @property
    def n_weights(self) -> int:
        """Number of trainable weights the circuit reads (0 for pure encodings)."""
        return self.circuit.n_weights

    def _n(self) -> int:
        return check_int(type(self).__name__, "n_features", self.n_features, 1)
