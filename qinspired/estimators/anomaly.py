r"""Unsupervised anomaly detection with a matrix-product-state Born machine.

:class:`MPSAnomalyDetector` fits the normalised density
:math:`p(\mathbf{x}) = |\langle \Phi(\mathbf{x}) | \psi \rangle|^2 / Z` of
:mod:`qinspired.tn.born` to unlabelled data by maximum likelihood and scores
new samples by :math:`\log p`: the lower, the more anomalous.
"""

from __future__ import annotations

import functools
import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from qinspired._batching import map_rows
from qinspired._random import as_key, resolve_seed
from qinspired._validation import check_choice, check_int, check_real
from qinspired.estimators._common import set_provenance
from qinspired.tn.born import born_log_likelihood, born_nll, init_born_mps, local_gram
from qinspired.tn.local_maps import LOCAL_MAPS, apply_local_map, get_local_map
from qinspired.tn.mps import MPS
from qinspired.training import make_optimizer, train

__all__ = ["MPSAnomalyDetector"]

#: Rows per jitted scoring call; the last chunk is zero-padded (one compiled shape).
_CHUNK = 256
#: Scale of the out-of-range penalty, as a fraction of the training range of a feature.
_TAIL = 0.1


@functools.partial(jax.jit, static_argnames=("name", "d"))
def _log_likelihood_chunk(mps: MPS, u: jax.Array, gram: jax.Array, *, name: str,
                          d: int) -> jax.Array:
    return born_log_likelihood(mps, apply_local_map(u, name, d), gram)


@functools.partial(jax.jit, static_argnames=("name", "d"))
def _phi_chunk(u: jax.Array, *, name: str, d: int) -> jax.Array:
    return apply_local_map(u, name, d)


def _float_dtype():
    return jax.dtypes.canonicalize_dtype(jnp.float64)


def _chunked(fn, U: np.ndarray) -> np.ndarray:
    U = U.astype(_float_dtype(), copy=False)
    return np.asarray(map_rows(lambda part, _: fn(jnp.asarray(part)), U, _CHUNK,
                               bucket=lambda n: _CHUNK))


class MPSAnomalyDetector(OutlierMixin, BaseEstimator):
    r"""Anomaly detection with an MPS Born machine (squared-norm density model).

    The density of the (min-max scaled) features is

    .. math::

        p(\mathbf{x}) = \frac{|\langle \phi(x_1) \otimes \cdots \otimes \phi(x_n)
        | \psi \rangle|^2}{\langle \psi | G^{\otimes n} | \psi \rangle},
        \qquad G = \int_0^1 \phi(x) \phi(x)^{\mathsf T} dx,

    a normalised density on the unit cube for any MPS :math:`\psi` (the
    normaliser, contracted exactly, is the norm regulariser of the
    likelihood). :math:`\psi` starts near the product state of the map's
    reference vector and is trained by minibatch Adam on the negative
    log-likelihood. :meth:`score_samples` is :math:`\log p(\mathbf{x})`
    (higher is more normal, as in :class:`~sklearn.ensemble.IsolationForest`).

    Features are min-max scaled with the training data's range. A new sample
    outside that range is scored at the nearest point of the range, minus a
    penalty of ``10`` per training range (summed over the features) by which
    it lies outside: the density has an exponential tail instead of a cliff,
    so far-away points score lowest and every finite input gets a finite
    score.

    Parameters
    ----------
    bond_dim : int, default=8
        Maximal bond dimension :math:`\chi`.
    local_map : str, default="legendre"
        A registered local map (:data:`qinspired.tn.local_maps.LOCAL_MAPS`).
    local_dim : int, default=3
        Local dimension :math:`d`: with the orthonormal Legendre map, each
        one-dimensional marginal is a polynomial of degree up to
        :math:`2(d - 1)`.
    contamination : "auto" or float, default="auto"
        The expected fraction of outliers in the training data, in
        ``(0, 0.5]``: ``offset_`` is the ``contamination`` quantile of the
        training scores. ``"auto"`` uses 0.01.
    learning_rate : float, default=1e-2
        Adam step size.
    max_iter : int, default=100
        Maximal number of epochs.
    batch_size : int, default=32
        Minibatch size (see :func:`qinspired.training.train`).
    n_iter_no_change : int, default=10
        Stop when the mean training loss has not improved by ``tol`` for this
        many epochs; reaching ``max_iter`` first warns with
        :class:`~sklearn.exceptions.ConvergenceWarning`.
    tol : float, default=1e-4
        Smallest improvement of the training loss that counts.
    init_noise : float, default=0.1
        Relative size of the noise added to the initial product state.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the initial noise and the shuffles.
    verbose : bool, default=False
        Print the loss after every epoch.

    Attributes
    ----------
    tensors_ : tuple of numpy.ndarray
        The fitted site tensors ``(chi_l, d, chi_r)`` of :math:`\psi`.
    bond_dims_ : tuple of int
        Bond dimensions of :math:`\psi`.
    offset_ : float
        Threshold of :meth:`decision_function`: ``score_samples - offset_``.
    loss_curve_ : list of float
        Mean negative log-likelihood of each epoch.
    n_iter_ : int
        Epochs run.
    data_min_, data_range_ : numpy.ndarray of shape (n_features,)
        The min-max scaling of the features.
    random_seed_ : int
        The seed ``random_state`` resolved to.
    n_features_in_ : int
        Number of features (sites).
    feature_names_in_ : numpy.ndarray
        Feature names, when ``X`` had string column names.
    provenance_ : dict
        How the model was made (see :mod:`qinspired.provenance`).

    See Also
    --------
    qinspired.tn.born : the density model and its contractions.

    References
    ----------
    Z.-Y. Han, J. Wang, H. Fan, L. Wang and P. Zhang, "Unsupervised generative
    modeling using matrix product states", Phys. Rev. X 8, 031012 (2018).
    J. Wang, C. Roberts, G. Vidal and S. Leichenauer, "Anomaly detection with
    tensor networks", arXiv:2006.02516 (2020).

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.estimators.anomaly import MPSAnomalyDetector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2))
    >>> det = MPSAnomalyDetector(bond_dim=4, max_iter=30, random_state=0).fit(X)
    >>> det.predict([[0.0, 0.0], [2.9, -2.9]]).tolist()
    [1, -1]
    """

    def __init__(
        self,
        bond_dim: int = 8,
        *,
        local_map: str = "legendre",
        local_dim: int = 3,
        contamination: str | float = "auto",
        learning_rate: float = 1e-2,
        max_iter: int = 100,
        batch_size: int = 32,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        init_noise: float = 0.1,
        random_state: Any = None,
        verbose: bool = False,
    ) -> None:
        self.bond_dim = bond_dim
        self.local_map = local_map
        self.local_dim = local_dim
        self.contamination = contamination
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.init_noise = init_noise
        self.random_state = random_state
        self.verbose = verbose

    def _check_params(self) -> float:
        """Check the parameters; return the contamination as a number."""
        owner = type(self).__name__
        check_int(owner, "bond_dim", self.bond_dim, 1)
        get_local_map(check_choice(owner, "local_map", self.local_map, sorted(LOCAL_MAPS)),
                      self.local_dim)
        check_real(owner, "learning_rate", self.learning_rate, positive=True)
        check_int(owner, "max_iter", self.max_iter, 1)
        check_int(owner, "batch_size", self.batch_size, 1)
        check_int(owner, "n_iter_no_change", self.n_iter_no_change, 1)
        if check_real(owner, "tol", self.tol) < 0:
            raise ValueError(f"{owner}: tol={self.tol!r} must be >= 0")
        if check_real(owner, "init_noise", self.init_noise) < 0:
            raise ValueError(f"{owner}: init_noise={self.init_noise!r} must be >= 0")
        if isinstance(self.contamination, str) and self.contamination == "auto":
            return 0.01
        if (isinstance(self.contamination, bool)
                or not isinstance(self.contamination, numbers.Real)
                or not 0.0 < float(self.contamination) <= 0.5):
            raise ValueError(f"{owner}: contamination={self.contamination!r} must be 'auto' or "
                             "a number in (0, 0.5]")
        return float(self.contamination)

    def _scale(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scaled features clipped to ``[0, 1]``, and the out-of-range penalty of each row."""
        u = (X - self.data_min_) / self.data_range_
        clipped = np.clip(u, 0.0, 1.0)
        return clipped, np.sum(np.abs(u - clipped), axis=1) / _TAIL

    def fit(self, X: Any, y: Any = None) -> MPSAnomalyDetector:
        """Fit the Born machine to ``X`` by maximum likelihood and set ``offset_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (mostly normal samples).
        y : ignored

        Returns
        -------
        self
        """
        contamination = self._check_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        name, d = self.local_map.lower(), int(self.local_dim)
        X64 = X.astype(np.float64)
        self.data_min_ = X64.min(axis=0)
        spread = X64.max(axis=0) - self.data_min_
        self.data_range_ = np.where(spread > 0, spread, 1.0)
        U, _ = self._scale(X64)
        phi = _chunked(functools.partial(_phi_chunk, name=name, d=d), U)
        seed = resolve_seed(self.random_state)
        key_init, key_train = jax.random.split(as_key(seed))
        mps = init_born_mps(key_init, X.shape[1], d, self.bond_dim,
                            reference=get_local_map(name).reference_vector(d),
                            noise=self.init_noise, dtype=_float_dtype())
        result = train(
            born_nll(name, d), mps, phi, np.zeros(len(phi), dtype=_float_dtype()),
            optimizer=make_optimizer("adam", self.learning_rate), epochs=self.max_iter,
            batch_size=self.batch_size, key=key_train, early_stopping=True,
            n_iter_no_change=self.n_iter_no_change, tol=self.tol, verbose=bool(self.verbose),
            warning_category=ConvergenceWarning)
        self.tensors_ = tuple(np.asarray(t) for t in result.params.tensors)
        self.bond_dims_ = tuple(result.params.bond_dims)
        self.loss_curve_ = list(result.loss_curve)
        self.n_iter_ = int(result.n_iter)
        self.random_seed_ = seed
        self.offset_ = float(np.percentile(self._score_scaled(X64), 100.0 * contamination))
        set_provenance(self, X, None, seed)
        return self

    def _score_scaled(self, X: np.ndarray) -> np.ndarray:
        U, penalty = self._scale(X.astype(np.float64))
        name, d = self.local_map.lower(), int(self.local_dim)
        mps = MPS(tuple(jnp.asarray(t) for t in self.tensors_))
        gram = jnp.asarray(local_gram(name, d), dtype=_float_dtype())
        fn = functools.partial(_log_likelihood_chunk, mps, gram=gram, name=name, d=d)
        return _chunked(fn, U).astype(np.float64) - penalty

    def score_samples(self, X: Any) -> np.ndarray:
        r"""The log-density :math:`\log p(\mathbf{x})`; higher is more normal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "tensors_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self._score_scaled(X)

    def decision_function(self, X: Any) -> np.ndarray:
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X: Any) -> np.ndarray:
        """``+1`` for inliers, ``-1`` for outliers (``decision_function < 0``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
        """
        return np.where(self.decision_function(X) < 0, -1, 1)
