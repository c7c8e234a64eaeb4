"""What the fidelity and projected kernels share: parameters, input checks, states.

A kernel object is configuration (scikit-learn style parameters, so it can
sit inside an estimator and be cloned and grid-searched) plus three steps:
:meth:`QuantumKernel.states` simulates the feature-map circuit for a batch of
data, :meth:`QuantumKernel.gram` turns two sets of states into a Gram matrix
(tiled and sharded by :func:`qinspired.kernels.gram.gram_matrix`), and
``kernel(X, Y)`` does both. Estimators call the steps apart so that the
training states are simulated once, at fit time.

:meth:`QuantumKernel.fit` fixes the feature map's data-dependent bandwidth
(``feature_scale="auto"``, see :class:`~qinspired.feature_maps.FeatureMap`) from
the training data and keeps the fitted map as ``feature_map_``; the states of
later data use it. An unfitted kernel called as ``k(X, Y)`` fixes it from ``Y``
(``X`` when ``Y`` is omitted), the training set in scikit-learn's
``SVC(kernel=k)`` convention, never the test batch; :meth:`QuantumKernel.states`
of an unfitted kernel encodes the data as given.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar

import jax
import numpy as np

from qinspired._params import Params
from qinspired._validation import as_float_array, check_choice, check_int
from qinspired.circuits.circuit import Circuit
from qinspired.kernels import _states
from qinspired.kernels.gram import select_devices

__all__ = ["KernelStates", "QuantumKernel"]

_BACKENDS = ("auto", "statevector", "product", "mps", "density")


@dataclass(frozen=True)
class KernelStates:
    """The simulated states of a batch of data points, ready for a Gram matrix.

    Attributes
    ----------
    kind : str
        ``"statevector"``, ``"product"``, ``"mps"``, ``"density"``, ``"bloch"``
        (projected kernels) or ``"data"`` (compute-uncompute mode, where the
        data itself is kept and every pair is simulated).
    data : pytree of arrays
        One entry per data point on the leading axis of every leaf.
    truncation_error : ndarray or None
        Per point, the MPS truncation error (``"mps"`` backend only).
    """

    kind: str
    data: Any
    truncation_error: np.ndarray | None = None

    def __len__(self) -> int:
        return int(np.shape(jax.tree_util.tree_leaves(self.data)[0])[0])

    def to_numpy(self) -> "KernelStates":
        """The same states with every array copied to host memory (for storing in a model)."""
        return KernelStates(self.kind, jax.tree_util.tree_map(np.asarray, self.data),
                            None if self.truncation_error is None
                            else np.asarray(self.truncation_error))


def _point_shapes(states: KernelStates) -> tuple:
    """The tree structure and the per-point shape of every leaf (leading data axis dropped)."""
    leaves, tree = jax.tree_util.tree_flatten(states.data)
    return tree, tuple(tuple(np.shape(leaf)[1:]) for leaf in leaves)


def _describe(states: KernelStates) -> str:
    """What one point of ``states`` is, for messages: ``"16 amplitudes (4 qubits)"``."""
    leaves = jax.tree_util.tree_leaves(states.data)
    shape = tuple(np.shape(leaves[0])[1:])
    width = shape[0] if len(shape) == 1 else None
    kind = states.kind
    if kind == "statevector" and width:
        return f"{kind} states of {width} amplitudes ({width.bit_length() - 1} qubits)"
    if kind == "density" and width:
        return (f"{kind} states of {width} entries "
                f"({(width.bit_length() - 1) // 2} qubits)")
    if kind == "product" and len(shape) == 2:
        return f"{kind} states of {shape[0]} qubits"
    if kind == "bloch" and width:
        return f"{kind} states of {width} coordinates ({width // 3} qubits)"
    if kind == "data" and width:
        return f"{kind} states of {width} features"
    if kind == "mps":
        n_sites = sum(1 if np.ndim(t) == 4 else np.shape(t)[1] for t in leaves)
        return (f"{kind} states of {n_sites} sites, site shapes "
                f"{[tuple(np.shape(t)[1:]) for t in leaves]}")
    return f"{kind} states with per-point shapes {[tuple(np.shape(t)[1:]) for t in leaves]}"


class QuantumKernel(Params):
    """Base class of the quantum kernels (not instantiated directly)."""

    _owner: ClassVar[str] = "QuantumKernel"
    _default_tile: ClassVar[int] = 512

    feature_map: Any
    weights: Any
    backend: str
    bond_dim: int | None
    noise: Any
    tile_size: int | None
    devices: int | None

    # -- configuration ---------------------------------------------------------------

    def _feature_map(self, n_features: int | None) -> Any:
        fitted = self.__dict__.get("feature_map_")
        if fitted is not None:
            return fitted
        fm = self.feature_map
        if fm is None:
            if n_features is None:
                raise ValueError(f"{self._owner}: feature_map=None is built from the data's "
                                 "number of features; call the kernel on data first")
            from qinspired.feature_maps import ZZFeatureMap

            return ZZFeatureMap(n_features)
        return fm

    def _fit_feature_map(self, X: np.ndarray) -> None:
        """Set ``feature_map_``: a fitted copy of the feature map (or the default one)."""
        self.__dict__.pop("feature_map_", None)
        fm = self._feature_map(X.shape[1])
        if getattr(fm, "feature_scale", None) == "auto" and callable(getattr(fm, "fit", None)):
            fm = type(fm)(**fm.get_params(deep=False)).fit(X)
        elif hasattr(fm, "get_params"):
            # Nothing to fit: a shallow copy, which keeps the map's built circuit (rebuilding
            # the 2-rep full ZZ circuit of 8 features took 14 ms, a third of k(X) at N=400).
            fm = copy.copy(fm)
        self.feature_map_ = fm

    def circuit(self, n_features: int | None = None) -> Circuit:
        """The feature-map circuit (``n_features`` builds the default map)."""
        return self._circuit_of(self._feature_map(n_features))

    def _circuit_of(self, fm: Any) -> Circuit:
        circ = fm if isinstance(fm, Circuit) else getattr(fm, "circuit", None)
        if not isinstance(circ, Circuit):
            raise ValueError(f"{self._owner}: feature_map must be a qinspired feature map or "
                             f"Circuit, got {type(fm).__name__}")
        return circ

    def _encoding(self, X: np.ndarray) -> tuple[Circuit, np.ndarray]:
        """The circuit the simulators run and the inputs it reads.

        A fitted ``feature_scale="auto"`` map runs as its standardised twin on
        standardised inputs (:meth:`FeatureMap.standardised`): the same angles,
        and one compiled program for every training set (every CV fold).
        """
        fm = self._feature_map(X.shape[1])
        if callable(getattr(fm, "standardised", None)):
            fm, X = fm.standardised(X)
        return self._circuit_of(fm), X

    def _weights(self, circ: Circuit) -> np.ndarray | None:
        if circ.n_weights == 0:
            return None
        if self.weights is None:
            raise ValueError(
                f"{self._owner}: the feature map reads {circ.n_weights} trainable weights; pass "
                "weights=<array of that length> (or build the map with trainable=False)")
        w = as_float_array(self.weights, "weights").reshape(-1)
        if w.shape[0] != circ.n_weights:
            raise ValueError(f"{self._owner}: weights has {w.shape[0]} entries, the feature "
                             f"map reads {circ.n_weights}")
        return w

    def _check_x(self, X: Any, name: str, n_features: int | None = None) -> np.ndarray:
        arr = as_float_array(X, name)
        if arr.ndim != 2:
            raise ValueError(f"{self._owner}: {name} must be 2-D (n_samples, n_features), got "
                             f"shape {arr.shape}")
        circ = self.circuit(arr.shape[1] if n_features is None else n_features)
        if arr.shape[1] != circ.n_features:
            raise ValueError(f"{self._owner}: {name} has {arr.shape[1]} features, but the "
                             f"feature map expects {circ.n_features}")
        return arr

    def _resolve_backend(self, circ: Circuit) -> str:
        backend = check_choice(self._owner, "backend", self.backend, _BACKENDS)
        if backend == "auto":
            if self.noise is not None:
                return "density"
            return "product" if _states.is_product(circ) else "statevector"
        if self.noise is not None and backend != "density":
            raise ValueError(f"{self._owner}: a noise model needs backend='density' (or "
                             f"'auto'), got backend={backend!r}")
        if backend == "mps" and self.bond_dim is not None:
            check_int(self._owner, "bond_dim", self.bond_dim, 1)
        return backend

    def _devices(self) -> list[Any]:
        """The devices to shard over (see :func:`~qinspired.kernels.gram.select_devices`)."""
        return select_devices(self.devices, self._owner)

    def _tile(self) -> int:
        if self.tile_size is None:
            return self._default_tile
        return check_int(self._owner, "tile_size", self.tile_size, 1)

    # -- simulation ------------------------------------------------------------------

    def _simulate(self, X: np.ndarray) -> KernelStates:
        circ, X = self._encoding(X)
        w = self._weights(circ)
        backend = self._resolve_backend(circ)
        if backend == "statevector":
            return KernelStates("statevector", _states.statevectors(circ, X, w))
        if backend == "product":
            return KernelStates("product", _states.product_states(circ, X, w))
        if backend == "mps":
            sites, err = _states.mps_states(circ, X, w, self.bond_dim)
            return KernelStates("mps", sites, np.asarray(err))
        return KernelStates("density", _states.density_states(circ, X, w, self.noise))

    def states(self, X: Any) -> KernelStates:
        """Simulate the feature map for every row of ``X``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        KernelStates
        """
        raise NotImplementedError

    def gram(self, states_a: KernelStates, states_b: KernelStates | None = None, *,
             out: Any = None) -> np.ndarray:
        """The Gram matrix between two sets of states (``states_b=None``: symmetric)."""
        raise NotImplementedError

    def _check_states(self, states_a: Any, states_b: Any = None) -> None:
        """``ValueError`` unless the states are :class:`KernelStates` that one Gram matrix can pair.

        Both sets must be of one kind and hold points of one shape (the same number
        of qubits, amplitudes, sites and bond dimensions, or features), as the
        states of one feature map are; otherwise the products would fail inside
        JAX with a contraction-dimension error.
        """
        for name, s in (("states_a", states_a), ("states_b", states_b)):
            if s is None and name == "states_b":
                continue
            if not isinstance(s, KernelStates):
                raise ValueError(f"{self._owner}.gram: {name} must be KernelStates (from "
                                 f"{self._owner}.states(X)), got {type(s).__name__}")
            if len(jax.tree_util.tree_leaves(s.data)) == 0:
                raise ValueError(f"{self._owner}.gram: {name} holds no arrays")
        if states_b is None:
            return
        if states_b.kind != states_a.kind:
            raise ValueError(f"{self._owner}: states of kinds {states_a.kind!r} and "
                             f"{states_b.kind!r} cannot be compared; compute both with "
                             f"the same kernel's states()")
        if _point_shapes(states_a) != _point_shapes(states_b):
            raise ValueError(
                f"{self._owner}.gram: states_a and states_b come from different feature maps "
                f"(or simulation settings): {_describe(states_a)} against "
                f"{_describe(states_b)}; compute both with the same kernel's states()")

    def _fused_gram(self, X: np.ndarray, Y: np.ndarray | None) -> np.ndarray | None:
        """The Gram matrix by a whole-matrix path for small problems, or ``None`` where the
        kernel has none (then :meth:`states` and :meth:`gram` compute it)."""
        return None

    def set_params(self, **params: Any) -> "QuantumKernel":
        """Set parameters; a new configuration forgets what :meth:`fit` fixed."""
        super().set_params(**params)
        self.__dict__.pop("feature_map_", None)
        return self

    def fit(self, X: Any, y: Any = None) -> "QuantumKernel":
        """Fix the feature map's bandwidth from training data (``feature_map_``); return self."""
        self._fit_feature_map(self._check_x(X, "X"))
        return self

    def fit_states(self, X: Any) -> KernelStates:
        """:meth:`fit` on ``X`` and return its states (simulated once), for estimators."""
        self.fit(X)
        return self.states(X)

    def __call__(self, X: Any, Y: Any = None, *, out: Any = None) -> np.ndarray:
        """The Gram matrix ``K[i, j] = k(X[i], Y[j])`` as NumPy (``Y=None``: ``k(X, X)``).

        A ``Y`` equal to ``X`` (as scikit-learn passes it when it trains with a
        callable kernel) is computed as ``Y=None``: only the blocks on and
        above the diagonal, and the matrix is exactly symmetric.

        Parameters
        ----------
        X : array_like, shape (n_X, n_features)
        Y : array_like, shape (n_Y, n_features), optional
        out : ndarray, str or path, optional
            Where to write the result (e.g. a ``numpy.memmap``); see
            :func:`qinspired.kernels.gram.gram_matrix`.

        Returns
        -------
        numpy.ndarray, shape (n_X, n_Y)
        """
        X = self._check_x(X, "X")
        if Y is not None:
            Y = self._check_x(Y, "Y", X.shape[1])
            if Y is X or (Y.shape == X.shape and np.array_equal(X, Y)):
                Y = None
        kernel = self
        if "feature_map_" not in self.__dict__:
            kernel = copy.copy(self)
            kernel._fit_feature_map(X if Y is None else Y)
        if out is None:
            fused = kernel._fused_gram(X, Y)
            if fused is not None:
                return fused
        if Y is None:
            return kernel.gram(kernel.states(X), None, out=out)
        return kernel.gram(kernel.states(X), kernel.states(Y), out=out)
