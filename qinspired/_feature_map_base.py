"""The base class of the feature maps: scikit-learn style parameters and a cached circuit.

Kept apart from :mod:`qinspired.feature_maps` (which re-exports
:class:`FeatureMap`) so that the maps themselves stay readable.
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from qinspired._params import Params
from qinspired._validation import check_int
from qinspired.circuits.circuit import Circuit


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
    """Base class: scikit-learn style parameters and a cached, validated circuit.

    Subclasses take every parameter as an explicit keyword of ``__init__`` and
    store it unchanged under the same name (no logic); :meth:`get_params` reads
    the signature. They implement ``_check()`` (raise ``ValueError``) and
    ``_build() -> Circuit``. Equality and hashing compare the class and the parameters
    (lists compare equal to tuples); the hash changes with :meth:`set_params`.
    """

    name: ClassVar[str] = ""

    def set_params(self, **params: Any) -> "FeatureMap":
        """Set parameters by name and return ``self``; the circuit is rebuilt on next use."""
        super().set_params(**params)
        self.__dict__.pop("_circuit_cache", None)
        return self

    def _param_key(self) -> tuple:
        return tuple((k, _freeze(v)) for k, v in self.get_params().items())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FeatureMap):
            return NotImplemented
        return type(self) is type(other) and self._param_key() == other._param_key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._param_key()))

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
