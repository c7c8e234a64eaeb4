r"""Nystroem low-rank features of a quantum kernel, as a scikit-learn transformer.

An exact kernel machine on :math:`N` training points needs the :math:`N \times N`
Gram matrix: quadratic memory and, for an SVM, a solver at least quadratic in
:math:`N`. The Nystroem method picks :math:`m \ll N` landmark points and maps
every point to :math:`m` features whose inner products approximate the kernel,
so a linear model on them (``LinearSVC``, ridge, logistic regression) trains in
time linear in :math:`N`.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    clone,
)
from sklearn.utils.validation import check_is_fitted

from qinspired._random import fit_key, numpy_rng
from qinspired._validation import check_int, check_real
from qinspired.estimators._common import set_provenance, validate_data
from qinspired.kernels import (
    FidelityKernel,
    KernelStates,
    ProjectedKernel,
    QuantumKernel,
    warn_if_concentrated,
)

__all__ = ["QuantumNystroem"]

_DTYPES = [np.float64, np.float32]

#: Bytes of feature states plus cross-kernel block per chunk of rows (``chunk_size=None``).
_CHUNK_BYTES = 1 << 26


def _scale_gamma_streamed(kernel: ProjectedKernel, X: np.ndarray, rows: int) -> float:
    r"""``gamma="scale"`` of a projected kernel from its Bloch features, chunk by chunk.

    The same value as :func:`qinspired.kernels.projected.scale_gamma` on all of
    ``X`` (one over the summed unbiased variances of the features), with the
    per-chunk means and squared deviations merged as in Chan et al. (1979), so
    only one chunk of states is held at a time.
    """
    count, mean, m2 = 0, None, None
    for start in range(0, len(X), rows):
        f = np.asarray(kernel.states(X[start:start + rows]).data, dtype=np.float64)
        c_mean = f.mean(axis=0)
        c_m2 = ((f - c_mean) ** 2).sum(axis=0)
        if mean is None:
            count, mean, m2 = len(f), c_mean, c_m2
            continue
        total = count + len(f)
        delta = c_mean - mean
        m2 = m2 + c_m2 + delta**2 * count * len(f) / total
        mean = mean + delta * len(f) / total
        count = total
    if count < 2:
        return 1.0
    mean_sq = float(np.sum(m2)) / (count - 1)
    return 1.0 / mean_sq if mean_sq > 1e-12 else 1.0


class QuantumNystroem(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Low-rank (Nystroem) features of a quantum kernel, for linear models on large data sets.

    ``fit`` draws ``n_components`` landmark points :math:`z_1, \dots, z_m`
    uniformly without replacement from the training data, simulates their
    feature-map states once and keeps them, with the landmark Gram matrix
    :math:`K_{mm} = [k(z_a, z_b)]`. ``transform`` maps a point to

    .. math::

        \phi(x) = \big[k(x, z_1), \dots, k(x, z_m)\big]\, K_{mm}^{+1/2},

    so that :math:`\phi(x) \cdot \phi(y) = k_m(x)^\top K_{mm}^{+}\, k_m(y)`, the
    Nystroem approximation of :math:`k(x, y)` [1]_ [2]_; it is exact when
    :math:`x` or :math:`y` is a landmark, and for every pair when the landmarks
    are the whole training set. A linear model on :math:`\phi`
    (``make_pipeline(QuantumNystroem(k, 400), LinearSVC())``) approximates the
    kernel machine at a cost linear in the number of points.

    The data are streamed through the kernel in chunks: memory is bounded by
    one chunk of states and its ``chunk x n_components`` block of kernel
    values (plus the output), whatever the number of points.

    Parameters
    ----------
    kernel : quantum kernel, optional
        Any kernel from :mod:`qinspired.kernels`
        (:class:`~qinspired.kernels.FidelityKernel`,
        :class:`~qinspired.kernels.ProjectedKernel`, with any backend:
        statevector, product, MPS, density); it is cloned in :meth:`fit`,
        never modified. ``None`` uses ``FidelityKernel()`` (``ZZFeatureMap``
        on the data's features, ``feature_scale="auto"``).
    n_components : int, default 100
        Number :math:`m` of landmarks, at most the number of training
        points; the output has ``n_components`` columns.
    random_state : int, numpy.random.Generator or None, default None
        Seed of the landmark selection (recorded in ``provenance_``).
    eigenvalue_cutoff : float, optional
        Relative threshold of the pseudo-inverse square root: eigenvalues of
        :math:`K_{mm}` at or below ``eigenvalue_cutoff`` times the largest are
        treated as zero (see Notes). ``None``: ``n_components`` times the
        machine epsilon of JAX's working precision (float32, or float64
        under x64), the resolution of the Gram entries.
    chunk_size : int, optional
        Rows of ``X`` sent through the kernel at a time. ``None``: as many as
        keep the states and kernel values of a chunk near 64 MiB, from the
        measured size of one landmark state.

    Attributes
    ----------
    kernel_ : quantum kernel
        The fitted clone of ``kernel``: its data-dependent settings (the
        feature map's ``feature_scale="auto"``, a projected kernel's
        ``gamma="scale"``) are fixed from all the training data, as in
        :class:`~qinspired.QuantumKernelSVC`, so both approximate the same kernel.
    component_indices_ : numpy.ndarray, shape (n_components,)
        Indices of the landmarks in the training data (sorted).
    components_ : numpy.ndarray, shape (n_components, n_features_in_)
        The landmark points.
    landmark_states_ : KernelStates
        The simulated states of the landmarks, in host memory.
    normalization_ : numpy.ndarray, shape (n_components, n_components)
        :math:`K_{mm}^{+1/2}`, symmetric.
    eigenvalues_ : numpy.ndarray, shape (n_components,)
        Eigenvalues of :math:`K_{mm}` (ascending), before the cutoff.
    rank_ : int
        Number of eigenvalues kept (the rank of the approximation).
    n_features_in_ : int
        Number of features seen in :meth:`fit`.
    feature_names_in_ : numpy.ndarray of str
        Feature names seen in :meth:`fit`, when ``X`` had string column names.
    provenance_ : Provenance
        How the model was made (see :mod:`qinspired.provenance`).

    Notes
    -----
    Pseudo-inverse square root: with :math:`K_{mm} = U \operatorname{diag}(s)
    U^\top` (computed in float64),
    :math:`K_{mm}^{+1/2} = U_r \operatorname{diag}(s_r^{-1/2}) U_r^\top` over
    the eigenvalues :math:`s_r > c \max s` only. Duplicate landmarks, a
    kernel of low rank (few qubits, product states) and rounding make
    :math:`K_{mm}` singular or give it tiny or slightly negative eigenvalues
    (finite shots can give clearly negative ones); dividing by their square
    roots would multiply noise by up to :math:`10^{4}` and more, so they are
    clipped to zero instead and ``rank_`` says how many directions remain. The
    dropped directions are those in which the landmark kernel values carry no
    information above rounding.

    A fidelity kernel whose landmark Gram matrix is concentrated warns with
    :class:`~qinspired.kernels.KernelConcentrationWarning`, as the exact
    estimators do.

    References
    ----------
    .. [1] C. K. I. Williams and M. Seeger, "Using the Nystroem method to speed
       up kernel machines", NIPS 13 (2001).
    .. [2] T. Yang, Y.-F. Li, M. Mahdavi, R. Jin and Z.-H. Zhou, "Nystroem
       method vs random Fourier features: a theoretical and empirical
       comparison", NIPS 25 (2012).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.svm import LinearSVC
    >>> from qinspired import AngleEncoding
    >>> from qinspired.kernels import FidelityKernel
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, np.pi, (60, 2))
    >>> y = (np.cos(X[:, 0]) * np.cos(X[:, 1]) > 0).astype(int)
    >>> k = FidelityKernel(AngleEncoding(2, feature_scale=1.0))
    >>> phi = QuantumNystroem(k, 60, random_state=0).fit_transform(X)
    >>> bool(np.allclose(phi @ phi.T, k(X), atol=1e-4))  # all points as landmarks: exact
    True
    >>> model = make_pipeline(QuantumNystroem(k, 20, random_state=0), LinearSVC()).fit(X, y)
    >>> bool(model.score(X, y) > 0.9)
    True
    """

    def __init__(self, kernel: Any = None, n_components: int = 100, *,
                 random_state: Any = None, eigenvalue_cutoff: float | None = None,
                 chunk_size: int | None = None) -> None:
        self.kernel = kernel
        self.n_components = n_components
        self.random_state = random_state
        self.eigenvalue_cutoff = eigenvalue_cutoff
        self.chunk_size = chunk_size

    # -- configuration ---------------------------------------------------------------

    def _clone_kernel(self) -> QuantumKernel:
        if self.kernel is None:
            return FidelityKernel()
        missing = [m for m in ("get_params", "fit", "states", "gram")
                   if not callable(getattr(self.kernel, m, None))]
        if missing:
            raise ValueError(
                "QuantumNystroem: kernel must be a quantum kernel from qinspired.kernels "
                f"(e.g. FidelityKernel, ProjectedKernel) or None, got {self.kernel!r}, which "
                f"lacks {', '.join(missing)}")
        return clone(self.kernel)

    def _cutoff(self, n_components: int) -> float:
        if self.eigenvalue_cutoff is None:
            working = jax.dtypes.canonicalize_dtype(np.float64)
            return n_components * float(np.finfo(working).eps)
        cutoff = check_real("QuantumNystroem", "eigenvalue_cutoff", self.eigenvalue_cutoff)
        if not 0.0 <= cutoff < 1.0:
            raise ValueError(f"QuantumNystroem: eigenvalue_cutoff={cutoff!r} must be in [0, 1)")
        return cutoff

    def _chunk_rows(self, states: KernelStates) -> int:
        """Rows per chunk: ``chunk_size``, or the memory rule measured on ``states``."""
        if self.chunk_size is not None:
            return check_int("QuantumNystroem", "chunk_size", self.chunk_size, 1)
        state_bytes = sum(np.asarray(leaf).nbytes for leaf in jax.tree_util.tree_leaves(
            states.data)) / max(1, len(states))
        return max(1, int(_CHUNK_BYTES // (state_bytes + 8 * len(states))))

    # -- fitting ---------------------------------------------------------------------

    def _fit_kernel(self, kernel: QuantumKernel, X: np.ndarray) -> None:
        """Fix the kernel's data-dependent settings from all of ``X``, in bounded memory."""
        if isinstance(kernel, ProjectedKernel) and kernel._fixed_gamma() is None:
            # ProjectedKernel.fit holds every training state at once; stream them instead.
            QuantumKernel.fit(kernel, X)
            probe = kernel.states(X[:1])
            kernel.gamma_ = _scale_gamma_streamed(kernel, X, self._chunk_rows(probe))
        else:
            kernel.fit(X)

    def fit(self, X: Any, y: Any = None) -> QuantumNystroem:
        """Choose the landmarks, simulate their states and build :math:`K_{mm}^{+1/2}`.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training data.
        y : ignored
            Present for API consistency.

        Returns
        -------
        self : QuantumNystroem
        """
        X = validate_data(self, X, dtype=_DTYPES)
        n_samples = X.shape[0]
        m = check_int("QuantumNystroem", "n_components", self.n_components, 1)
        if m > n_samples:
            raise ValueError(
                f"QuantumNystroem: n_components={m} landmarks cannot be drawn from "
                f"n_samples = {n_samples} training points; use n_components <= {n_samples}")
        cutoff = self._cutoff(m)
        kernel = self._clone_kernel()
        seed, key = fit_key(self.random_state)
        index = np.sort(numpy_rng(key).choice(n_samples, size=m, replace=False))
        self._fit_kernel(kernel, X)
        landmarks = X[index]
        states = kernel.states(landmarks).to_numpy()
        K = np.asarray(kernel.gram(states), dtype=np.float64)
        if isinstance(kernel, FidelityKernel):
            warn_if_concentrated(K, kernel._dimension(states), stacklevel=3)
        eigenvalues, vectors = np.linalg.eigh((K + K.T) / 2)
        top = float(eigenvalues[-1])
        if not top > 0.0:
            raise ValueError(
                "QuantumNystroem: the landmark Gram matrix has no positive eigenvalue "
                f"(largest {top:.3g}); the kernel values are not a valid kernel")
        keep = eigenvalues > cutoff * top
        u = vectors[:, keep]
        self.kernel_ = kernel
        self.component_indices_ = index
        self.components_ = np.asarray(landmarks, dtype=np.float64)
        self.landmark_states_ = states
        self.normalization_ = (u / np.sqrt(eigenvalues[keep])) @ u.T
        self.eigenvalues_ = eigenvalues
        self.rank_ = int(np.count_nonzero(keep))
        set_provenance(self, X, None, seed)
        return self

    # -- transforming ----------------------------------------------------------------

    def transform(self, X: Any) -> np.ndarray:
        r"""Map ``X`` to its Nystroem features, chunk by chunk.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Data.

        Returns
        -------
        numpy.ndarray, shape (n_samples, n_components)
            :math:`[k(x, z_a)]_a\, K_{mm}^{+1/2}` for every row, in float64.
        """
        check_is_fitted(self, "normalization_")
        X = validate_data(self, X, dtype=_DTYPES, reset=False)
        out = np.empty((X.shape[0], self.normalization_.shape[0]), dtype=np.float64)
        rows = self._chunk_rows(self.landmark_states_)
        for start in range(0, X.shape[0], rows):
            part = X[start:start + rows]
            block = self.kernel_.gram(self.kernel_.states(part), self.landmark_states_)
            out[start:start + len(part)] = np.asarray(block, dtype=np.float64) @ self.normalization_
        return out

    @property
    def _n_features_out(self) -> int:
        return self.normalization_.shape[0]
