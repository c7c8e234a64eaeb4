r"""The projected quantum kernel (Huang et al. 2021).

.. math::

    k(x, y) = \exp\Big(-\gamma \sum_{q=1}^{n} \|\rho_q(x) - \rho_q(y)\|_F^2\Big),

where :math:`\rho_q(x)` is the reduced density matrix of qubit :math:`q`. With
Bloch vectors :math:`\rho_q = \tfrac12 (I + \vec r_q \cdot \vec \sigma)`,
:math:`\|\rho_q(x) - \rho_q(y)\|_F^2 = \tfrac12 \|\vec r_q(x) - \vec r_q(y)\|^2`,
so the kernel is a Gaussian kernel on the :math:`3n` expectation values
:math:`\langle X_q\rangle, \langle Y_q\rangle, \langle Z_q\rangle` and the Gram
matrix is one matrix product of those features. Projecting onto one-qubit
states avoids the exponential concentration of fidelity kernels.

``gamma="scale"`` sets :math:`\gamma = 1 / \overline{D}` with
:math:`\overline{D}` the mean squared distance
:math:`\sum_q \|\rho_q(x_i) - \rho_q(x_j)\|_F^2` over all pairs of training
points (computed in :math:`O(N)` from the feature variances). It is fixed by
:meth:`ProjectedKernel.fit` and stored as ``gamma_``; an unfitted kernel called
as ``k(X, Y)`` takes it from ``Y`` (``X`` when ``Y`` is omitted), which is the
training set in scikit-learn's ``SVC(kernel=k)`` convention, never the test batch.

Reference: H.-Y. Huang et al., "Power of data in quantum machine learning",
Nature Communications 12, 2631 (2021).
"""

from __future__ import annotations

import zlib
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._random import as_key
from qinspired._validation import check_int, check_real
from qinspired.kernels._base import KernelStates, QuantumKernel
from qinspired.kernels._states import bloch_vectors
from qinspired.kernels.gram import gram_matrix

__all__ = ["ProjectedKernel", "scale_gamma"]

_HIGHEST = jax.lax.Precision.HIGHEST


def _block_projected(params: dict, a: jax.Array, b: jax.Array, key: jax.Array) -> jax.Array:
    sq = (jnp.sum(a * a, axis=1)[:, None] + jnp.sum(b * b, axis=1)[None, :]
          - 2 * jnp.matmul(a, b.T, precision=_HIGHEST))
    return jnp.exp(-params["gamma"] * 0.5 * jnp.clip(sq, 0.0, None))


def scale_gamma(features: np.ndarray) -> float:
    r""":math:`\gamma = 1/\overline{D}`, the mean pairwise :math:`\sum_q \|\rho_q - \rho_q'\|_F^2`.

    Parameters
    ----------
    features : ndarray, shape (N, 3 n)
        Bloch-vector features of the training points.

    Returns
    -------
    float
        1.0 when all points have the same features (or ``N < 2``).
    """
    f = np.asarray(features, dtype=float)
    n = f.shape[0]
    if n < 2:
        return 1.0
    mean_sq = float(np.sum(np.var(f, axis=0))) * n / (n - 1)
    return 1.0 / mean_sq if mean_sq > 1e-12 else 1.0


class ProjectedKernel(QuantumKernel):
    r"""Projected quantum kernel on one-qubit reduced density matrices.

    Parameters
    ----------
    feature_map : FeatureMap or Circuit, optional
        The encoding. ``None`` uses ``ZZFeatureMap(n_features)``
        (two reps, linear entanglement, ``feature_scale="auto"``), built
        from the data.
    gamma : float or "scale", default "scale"
        Bandwidth :math:`\gamma > 0`, or ``"scale"`` to fix it from the
        training data at :meth:`fit` time (see the module documentation).
    weights : array_like, optional
        Values of the feature map's trainable weights, if it has any.
    backend : {"auto", "statevector", "product", "mps", "density"}, default "auto"
        How states are simulated (as for :class:`FidelityKernel`).
    bond_dim : int, optional
        :math:`\chi` of the MPS backend.
    noise : NoiseModel, optional
        Noise of the feature-map circuit (density-matrix simulation).
    shots : int, optional
        Each expectation value :math:`\langle P_q\rangle` is estimated from
        ``shots`` measurements in the :math:`P` basis
        (:math:`2\,\mathrm{Binomial}(m, (1 + r)/2)/m - 1`), so a QPU needs
        :math:`3` measurement settings per point.
    tile_size : int, optional
        Rows per tile of the Gram computation (default 1024).
    devices : int, optional
        Shard the Gram computation over the first ``devices`` of
        ``jax.devices()`` (default: all visible devices); under several
        processes, a multiple of the process count, taken evenly from each.
    random_state : int, Generator or None, default None
        Seed of the shot noise; an int makes the estimates repeatable.

    Attributes
    ----------
    gamma_ : float
        The bandwidth in use (set by :meth:`fit`).
    feature_map_ : FeatureMap or Circuit
        The feature map in use, its ``feature_scale="auto"`` fixed from the
        training data (set by :meth:`fit`).

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired import AngleEncoding
    >>> from qinspired.kernels import ProjectedKernel
    >>> k = ProjectedKernel(AngleEncoding(1, feature_scale=1.0), gamma=1.0)
    >>> X = np.array([[0.0], [np.pi]])   # Bloch vectors (0, 0, 1) and (0, 0, -1)
    >>> np.round(k(X), 4).tolist()        # exp(-1 * 0.5 * 4)
    [[1.0, 0.1353], [0.1353, 1.0]]
    """

    _owner = "ProjectedKernel"
    _default_tile = 1024

    def __init__(self, feature_map: Any = None, *, gamma: float | str = "scale",
                 weights: Any = None, backend: str = "auto", bond_dim: int | None = None,
                 noise: Any = None, shots: int | None = None, tile_size: int | None = None,
                 devices: int | None = None, random_state: Any = None) -> None:
        self.feature_map = feature_map
        self.gamma = gamma
        self.weights = weights
        self.backend = backend
        self.bond_dim = bond_dim
        self.noise = noise
        self.shots = shots
        self.tile_size = tile_size
        self.devices = devices
        self.random_state = random_state

    def _fixed_gamma(self) -> float | None:
        if isinstance(self.gamma, str):
            if self.gamma != "scale":
                raise ValueError(f"ProjectedKernel: gamma={self.gamma!r} must be a positive "
                                 "number or 'scale'")
            return None
        return check_real("ProjectedKernel", "gamma", self.gamma, positive=True)

    def states(self, X: Any) -> KernelStates:
        """Bloch-vector features ``(N, 3 n)`` of every row of ``X`` (shot noise included)."""
        X = self._check_x(X, "X")
        sim = self._simulate(X)
        r = bloch_vectors(sim.kind, sim.data).reshape(len(X), -1)
        if self.shots is not None:
            shots = check_int("ProjectedKernel", "shots", self.shots, 1)
            key = jax.random.fold_in(as_key(self.random_state), zlib.crc32(X.tobytes()))
            p = jnp.clip((1 + r) / 2, 0.0, 1.0)
            r = 2 * jax.random.binomial(key, float(shots), p.astype(jnp.float32)) / shots - 1
        return KernelStates("bloch", np.asarray(r, dtype=float), sim.truncation_error)

    def _gamma_from(self, states: KernelStates) -> float:
        fixed = self._fixed_gamma()
        if fixed is not None:
            return fixed
        if hasattr(self, "gamma_"):
            return float(self.gamma_)
        return scale_gamma(states.data)

    def fit(self, X: Any, y: Any = None) -> "ProjectedKernel":
        """Fix ``gamma_`` from the training data; return ``self``."""
        self.fit_states(X)
        return self

    def fit_states(self, X: Any) -> KernelStates:
        """Fix ``gamma_`` from ``X`` and return its Bloch-vector states (simulated once)."""
        self.__dict__.pop("gamma_", None)
        self._fit_feature_map(self._check_x(X, "X"))
        states = self.states(X)
        self.gamma_ = self._gamma_from(states)
        return states

    def set_params(self, **params: Any) -> "ProjectedKernel":
        """Set parameters; a new configuration forgets the fitted ``gamma_``."""
        super().set_params(**params)
        self.__dict__.pop("gamma_", None)
        return self

    def gram(self, states_a: KernelStates, states_b: KernelStates | None = None, *,
             out: Any = None) -> np.ndarray:
        """The Gram matrix between two sets of Bloch features (``states_b=None``: symmetric).

        Without a fitted or fixed ``gamma``, ``"scale"`` is taken from
        ``states_b`` (the training set in ``SVC(kernel=k)``), or ``states_a``
        in the symmetric case.
        """
        for s in (states_a, states_b):
            if s is not None:
                self._check_states(s)
                if s.kind != "bloch":
                    raise ValueError(f"ProjectedKernel: expected Bloch-vector states from "
                                     f"ProjectedKernel.states, got {s.kind!r}")
        self._check_states(states_a, states_b)
        gamma = self._gamma_from(states_a if states_b is None else states_b)
        params = {"gamma": jnp.asarray(gamma, jax.dtypes.canonicalize_dtype(np.float64))}
        return gram_matrix(_block_projected, params, states_a.data,
                           None if states_b is None else states_b.data, tile_size=self._tile(),
                           out=out, devices=self._devices())
