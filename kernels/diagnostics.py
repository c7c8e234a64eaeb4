r"""Diagnostics of kernel (Gram) matrices: concentration, alignment, geometry, dimension.

Functions of precomputed Gram matrices :math:`K_{ij} = k(x_i, x_j)`, NumPy
in and out (float64), with the input checked first (finite, square, and
symmetric where the quantity needs it):

- :func:`kernel_concentration`: mean and variance of the off-diagonal entries,
  the quantity whose exponential decay signals exponential concentration of a
  quantum kernel [1]_; :func:`warn_if_concentrated` issues a
  :class:`KernelConcentrationWarning` when a fidelity Gram matrix's mean is
  near that of random states;
- :func:`kernel_target_alignment`: how well :math:`K` matches the ideal
  kernel of the labels, plain [2]_ or centred [3]_;
- :func:`geometric_difference`: :math:`g_{CQ}`, how much better a quantum
  kernel can predict than a classical one on the same data [4]_;
- :func:`effective_dimension`: the approximate dimension of [4]_, or the
  ridge effective dimension (degrees of freedom) of [5]_.

Matrix square roots and inverses are taken through ``numpy.linalg.eigh`` of
the symmetrised matrix, with eigenvalues below zero (round-off of a PSD
kernel) clipped to zero.

References
----------
.. [1] S. Thanasilp, S. Wang, M. Cerezo and Z. Holmes, "Exponential concentration
   in quantum kernel methods", Nat. Commun. 15, 5200 (2024); arXiv:2208.11060.
.. [2] N. Cristianini, J. Shawe-Taylor, A. Elisseeff and J. Kandola, "On
   kernel-target alignment", NeurIPS 14 (2001).
.. [3] C. Cortes, M. Mohri and A. Rostamizadeh, "Algorithms for learning kernels
   based on centered alignment", JMLR 13, 795-828 (2012).
.. [4] H.-Y. Huang, M. Broughton, M. Mohseni, R. Babbush, S. Boixo, H. Neven and
   J. R. McClean, "Power of data in quantum machine learning", Nat. Commun. 12,
   2631 (2021); arXiv:2011.01938.
.. [5] T. Zhang, "Learning bounds for kernel regression using effective data
   dimensionality", Neural Comput. 17, 2077-2098 (2005).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, NamedTuple

import numpy as np

from qinspired._validation import as_float_array, check_real

__all__ = [
    "KernelConcentration",
    "KernelConcentrationWarning",
    "effective_dimension",
    "geometric_difference",
    "kernel_concentration",
    "kernel_target_alignment",
    "warn_if_concentrated",
]

_SYM_RTOL = 1e-5

#: :func:`warn_if_concentrated` warns below this multiple of the random-state value 2**-n.
CONCENTRATION_FACTOR = 1.5


class KernelConcentrationWarning(UserWarning):
    """A fidelity Gram matrix is concentrated: it cannot discriminate the data."""


class KernelConcentration(NamedTuple):
    """Statistics of the off-diagonal Gram entries :math:`K_{ij}, i \\ne j`.

    Attributes
    ----------
    mean : float
        Their mean.
    variance : float
        Their variance (population, ``ddof=0``).
    """

    mean: float
    variance: float


# --------------------------------------------------------------------------- checks
def _gram(K: Any, name: str, *, symmetric: bool, min_size: int = 1) -> np.ndarray:
    """``K`` as a float64 square matrix (symmetrised when ``symmetric``), or ValueError."""
    arr = as_float_array(K, name).astype(np.float64)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square 2-D Gram matrix, got shape {arr.shape}")
    if arr.shape[0] < min_size:
        raise ValueError(f"{name} must be at least {min_size} x {min_size}, got {arr.shape}")
    if symmetric:
        asym = float(np.max(np.abs(arr - arr.T), initial=0.0))
        scale = float(np.max(np.abs(arr), initial=0.0))
        if asym > _SYM_RTOL * max(scale, 1e-300):
            i, j = np.unravel_index(np.argmax(np.abs(arr - arr.T)), arr.shape)
            raise ValueError(
                f"{name} must be symmetric: |K[{i}, {j}] - K[{j}, {i}]| = {asym:.3g} exceeds "
                f"{_SYM_RTOL:g} times max |K| = {scale:.3g}"
            )
        arr = 0.5 * (arr + arr.T)
    return arr


def _trace_normalized(K: np.ndarray, name: str) -> np.ndarray:
    """``N K / tr K`` (Huang et al.'s normalisation), or ValueError for ``tr K <= 0``."""
    trace = float(np.trace(K))
    if not trace > 0.0:
        raise ValueError(f"{name} has trace {trace:.3g}; a kernel needs a positive trace "
                         "to be normalised to trace N")
    return K * (K.shape[0] / trace)


def _psd_eigh(K: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (negative ones clipped to 0) and eigenvectors of a symmetric matrix."""
    vals, vecs = np.linalg.eigh(K)
    return np.clip(vals, 0.0, None), vecs


def _label_gram(y: Any, n: int) -> np.ndarray:
    """The ideal kernel of the labels: 1 for equal labels, -1/(C-1) otherwise."""
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per sample), got shape {labels.shape}")
    if labels.shape[0] != n:
        raise ValueError(f"y has {labels.shape[0]} labels but K is {n} x {n}")
    if labels.dtype.kind == "f" and not np.all(np.isfinite(labels)):
        raise ValueError("y contains NaN or inf")
    _, codes = np.unique(labels, return_inverse=True)
    n_classes = int(codes.max()) + 1 if n else 0
    if n_classes < 2:
        raise ValueError("y has a single class; the alignment needs at least two classes")
    same = codes[:, None] == codes[None, :]
    return np.where(same, 1.0, -1.0 / (n_classes - 1))


# --------------------------------------------------------------------------- diagnostics
def kernel_concentration(K: Any) -> KernelConcentration:
    r"""Mean and variance of the off-diagonal entries of a Gram matrix.

    .. math::

        \mu = \frac{1}{N(N-1)} \sum_{i \ne j} K_{ij}, \qquad
        \sigma^2 = \frac{1}{N(N-1)} \sum_{i \ne j} (K_{ij} - \mu)^2.

    These estimate :math:`\mathbb{E}_{x, x'}[k(x, x')]` and
    :math:`\mathrm{Var}_{x, x'}[k(x, x')]` over the data distribution.
    Thanasilp et al. [1]_ call a family of kernels exponentially concentrated
    when this variance decays as :math:`O(b^{-n})` (:math:`b > 1`) in the
    number of qubits :math:`n`: the entries then all sit near the mean (for a
    fidelity kernel near :math:`2^{-n}`), and polynomially many shots cannot
    resolve them. Compare :math:`\sigma^2` across qubit counts or bandwidths.

    Parameters
    ----------
    K : array_like, shape (N, N)
        A Gram matrix of one data set, :math:`N \ge 2` (need not be symmetric).

    Returns
    -------
    KernelConcentration
        ``(mean, variance)`` as Python floats.

    Examples
    --------
    >>> kernel_concentration([[1.0, 0.5], [0.25, 1.0]])
    KernelConcentration(mean=0.375, variance=0.015625)
    """
    arr = _gram(K, "K", symmetric=False, min_size=2)
    off = arr[~np.eye(arr.shape[0], dtype=bool)]
    return KernelConcentration(float(off.mean()), float(off.var()))


def kernel_target_alignment(K: Any, y: Any, centered: bool = True) -> float:
    r"""Kernel-target alignment of a Gram matrix with labels.

    The alignment of two matrices is their cosine in the Frobenius inner
    product [2]_,

    .. math::

        A(K, Y) = \frac{\langle K, Y \rangle_F}{\lVert K \rVert_F \lVert Y \rVert_F},
        \qquad \langle K, Y \rangle_F = \sum_{ij} K_{ij} Y_{ij},

    taken with the ideal kernel of the labels,
    :math:`Y_{ij} = 1` if :math:`y_i = y_j` and :math:`-1/(C-1)` otherwise,
    for :math:`C` classes. This is the Gram matrix of the labels coded as the
    vertices of a regular simplex (the centred one-hot codes
    :math:`e_{y_i} - \tfrac1C \mathbf 1`, rescaled to unit norm); for two
    classes it is :math:`Y = y y^{\mathsf T}` with labels :math:`\pm 1`.
    Any label type works (numbers, strings).

    With ``centered=True`` (Cortes et al. [3]_) both matrices are centred in
    feature space first, :math:`K_c = H K H` and :math:`Y_c = H Y H` with
    :math:`H = I - \tfrac1N \mathbf 1 \mathbf 1^{\mathsf T}`, which removes the
    constant offset that otherwise dominates the alignment of kernels with
    positive entries and of unbalanced labels. For two classes, centring makes
    the ``±1`` and one-hot label codings give the same value.

    Parameters
    ----------
    K : array_like, shape (N, N)
        A symmetric Gram matrix.
    y : array_like, shape (N,)
        Labels, at least two classes.
    centered : bool, default True
        Centre both matrices (Cortes et al.) or not (Cristianini et al.).

    Returns
    -------
    float
        The alignment, in :math:`[-1, 1]` (in :math:`[0, 1]` for PSD ``K``).

    Raises
    ------
    ValueError
        For a non-square, non-symmetric or non-finite ``K``, labels of the
        wrong length or a single class, or a matrix with zero (centred) norm.

    Examples
    --------
    >>> y = [1, 1, -1, -1]
    >>> round(kernel_target_alignment(np.outer(y, y) + 1.0, y, centered=True), 12)
    1.0
    """
    if not isinstance(centered, (bool, np.bool_)):
        raise ValueError(f"centered={centered!r} must be True or False")
    arr = _gram(K, "K", symmetric=True)
    target = _label_gram(y, arr.shape[0])
    if centered:
        arr = arr - arr.mean(axis=0, keepdims=True)
        arr = arr - arr.mean(axis=1, keepdims=True)
        target = target - target.mean(axis=0, keepdims=True)
        target = target - target.mean(axis=1, keepdims=True)
    norm_k, norm_y = float(np.linalg.norm(arr)), float(np.linalg.norm(target))
    if norm_k == 0.0:
        what = "the centred K (K is constant up to centring)" if centered else "K"
        raise ValueError(f"{what} has zero Frobenius norm; the alignment is undefined")
    if norm_y == 0.0:
        raise ValueError("the centred label kernel is zero; the alignment is undefined")
    return float(np.sum(arr * target) / (norm_k * norm_y))


def geometric_difference(K_quantum: Any, K_classical: Any, regularization: float = 0.0) -> float:
    r"""Geometric difference :math:`g_{CQ}` of Huang et al. between two kernels.

    With both Gram matrices normalised to trace :math:`N`
    (:math:`K \to N K / \operatorname{tr} K`),

    .. math::

        g_{CQ} = g(K^C \Vert K^Q) = \sqrt{\big\lVert \sqrt{K^Q}\,
            (K^C)^{-1} \sqrt{K^Q} \big\rVert_\infty},

    where :math:`\lVert\cdot\rVert_\infty` is the spectral norm [4]_. It bounds
    how much larger the prediction error of the classical kernel can be than
    that of the quantum one for some labelling: :math:`g_{CQ} \approx 1` means
    the classical kernel does at least about as well on every target; a
    large :math:`g_{CQ}` (Huang et al. compare it with :math:`\sqrt N`) is
    needed for the quantum kernel to have room for an advantage. At
    :math:`\lambda = 0`, :math:`g_{CQ} \ge 1` (equal traces forbid
    :math:`K^Q \prec K^C`), with equality for :math:`K^Q = K^C`.

    For ``regularization`` :math:`\lambda > 0` this uses the regularised form
    of the paper's appendix (Eq. F9 of arXiv:2011.01938), which corresponds to
    training the classical model with ridge parameter :math:`\lambda`:

    .. math::

        g_{CQ}(\lambda) = \sqrt{\big\lVert \sqrt{K^Q} \sqrt{K^C}
            (K^C + \lambda I)^{-2} \sqrt{K^C} \sqrt{K^Q} \big\rVert_\infty},

    which reduces to the form above at :math:`\lambda = 0`. In the eigenbasis
    of :math:`K^C` (eigenvalues :math:`\kappa_i`) the middle factor is
    :math:`\kappa_i / (\kappa_i + \lambda)^2`, which is how it is computed.

    Parameters
    ----------
    K_quantum, K_classical : array_like, shape (N, N)
        Symmetric PSD Gram matrices on the same data (negative eigenvalues
        from round-off are clipped to zero).
    regularization : float, default 0.0
        :math:`\lambda \ge 0`, relative to the trace-:math:`N` normalisation.
        With ``0`` the classical kernel must be non-singular.

    Returns
    -------
    float
        :math:`g_{CQ}`.

    Raises
    ------
    ValueError
        For bad matrices (shape, symmetry, NaN, trace <= 0, different sizes),
        a negative ``regularization``, or a singular ``K_classical`` with
        ``regularization=0``.

    Examples
    --------
    >>> round(geometric_difference(np.diag([2.0, 1.0, 1.0]), np.eye(3)) ** 2, 12)  # 3 * 2/4
    1.5
    """
    lam = check_real("geometric_difference", "regularization", regularization)
    if lam < 0.0:
        raise ValueError(f"geometric_difference: regularization={regularization!r} must be >= 0")
    kq = _trace_normalized(_gram(K_quantum, "K_quantum", symmetric=True), "K_quantum")
    kc = _trace_normalized(_gram(K_classical, "K_classical", symmetric=True), "K_classical")
    if kq.shape != kc.shape:
        raise ValueError(f"K_quantum is {kq.shape} but K_classical is {kc.shape}; both must "
                         "be Gram matrices of the same data")
    q_vals, q_vecs = _psd_eigh(kq)
    c_vals, c_vecs = _psd_eigh(kc)
    if lam == 0.0:
        tol = kc.shape[0] * np.finfo(np.float64).eps * max(float(c_vals.max()), 1.0)
        if float(c_vals.min()) <= tol:
            raise ValueError(
                f"K_classical is singular (smallest eigenvalue {float(c_vals.min()):.3g} after "
                "normalising to trace N); pass regularization > 0 (e.g. 1e-3)"
            )
        middle = 1.0 / c_vals
    else:
        middle = c_vals / (c_vals + lam) ** 2
    sqrt_q = (q_vecs * np.sqrt(q_vals)) @ q_vecs.T
    inner = (c_vecs * middle) @ c_vecs.T
    m = sqrt_q @ inner @ sqrt_q
    top = float(np.linalg.eigvalsh(0.5 * (m + m.T))[-1])
    return math.sqrt(max(top, 0.0))


def effective_dimension(K: Any, regularization: float | None = None) -> float:
    r"""Effective dimension of a Gram matrix.

    Let :math:`t_1 \ge t_2 \ge \dots \ge t_N \ge 0` be the eigenvalues of
    :math:`K` normalised to trace :math:`N` (negative round-off clipped), so
    the result does not depend on the scale of :math:`K`.

    ``regularization=None`` (default): the *approximate dimension* of Huang
    et al. [4]_, the sum over :math:`k` of the mean of the :math:`N - k + 1`
    smallest eigenvalues,

    .. math::

        d = \sum_{k=1}^{N} \frac{1}{N - k + 1} \sum_{l=k}^{N} t_l .

    It is :math:`N` for :math:`K \propto I` (every direction equally
    strong), 1 for a rank-one kernel, and measures how many directions of the
    feature space the data span; Huang et al. use it to judge when a quantum
    kernel becomes too expressive to generalise (:math:`d` close to
    :math:`N`).

    ``regularization`` :math:`\lambda > 0`: the ridge effective dimension
    (degrees of freedom) of Zhang [5]_,

    .. math::

        d(\lambda) = \sum_{i=1}^{N} \frac{t_i}{t_i + \lambda}
            = \operatorname{tr}\big[K (K + \lambda I)^{-1}\big],

    the number of eigen-directions stronger than :math:`\lambda`; it is
    :math:`N / (1 + \lambda)` for :math:`K \propto I` and
    :math:`r N / (N + r \lambda)` for a rank-:math:`r` projector.

    Parameters
    ----------
    K : array_like, shape (N, N)
        A symmetric PSD Gram matrix with positive trace.
    regularization : float, optional
        ``None`` for Huang et al.'s approximate dimension, or :math:`\lambda > 0`
        (on the trace-:math:`N` scale) for the ridge effective dimension.

    Returns
    -------
    float
        The effective dimension, in :math:`[0, N]`.

    Examples
    --------
    >>> effective_dimension(np.eye(4))
    4.0
    >>> effective_dimension(np.ones((4, 4)))
    1.0
    >>> effective_dimension(np.eye(4), regularization=1.0)
    2.0
    """
    arr = _trace_normalized(_gram(K, "K", symmetric=True), "K")
    vals = np.sort(_psd_eigh(arr)[0])[::-1]
    if regularization is None:
        tails = np.cumsum(vals[::-1])[::-1]  # sum_{l >= k} t_l
        return float(np.sum(tails / np.arange(vals.size, 0, -1)))
    lam = check_real("effective_dimension", "regularization", regularization, positive=True)
    return float(np.sum(vals / (vals + lam)))


def warn_if_concentrated(K: Any, dimension: int, *, factor: float = CONCENTRATION_FACTOR,
                         stacklevel: int = 2) -> bool:
    r"""Warn when a fidelity Gram matrix is concentrated near the random-state value.

    Two independent Haar-random states of dimension :math:`d = 2^n` have
    :math:`\mathbb{E}\,|\langle\psi|\phi
angle|^2 = 1/d`. When the mean
    off-diagonal entry :math:`\mu` of the training Gram matrix is below
    ``factor / d``, the feature map scatters the training points like random
    states and the kernel cannot tell them apart: a
    :class:`KernelConcentrationWarning` says so, with the numbers and the usual
    remedy (a smaller ``feature_scale``, or ``"auto"``). One qubit
    (:math:`d \le 2`) is not checked: its states cannot concentrate. The factor
    is measured on diabetes (4 standardised principal components, ZZ map,
    :math:`d = 16`, kernel SVR): :math:`\mu d` = 1.2 at ``feature_scale=1``
    and 1.4 at 0.5 (:math:`R^2 \le 0`: warned), 2.2 at 0.3 (:math:`R^2` =
    0.04) and 8.9 at ``"auto"``; the RY angle encoding at scale 1 on
    :math:`[0, \pi]^2` has :math:`\mu d = 1.95` and learns well.

    Parameters
    ----------
    K : array_like, shape (N, N)
        The Gram matrix of the training data (:math:`N \ge 2` to be checked).
    dimension : int
        Hilbert-space dimension :math:`d` of the feature-map states.
    factor : float, default 1.5
        The threshold, in units of :math:`1/d`.
    stacklevel : int, default 2
        Passed to :func:`warnings.warn`.

    Returns
    -------
    bool
        Whether the warning was issued.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_concentrated([[1.0, 0.07], [0.07, 1.0]], 16)
    True
    >>> caught[0].category.__name__
    'KernelConcentrationWarning'
    """
    d = float(dimension)
    arr = np.asarray(K, dtype=float)
    if arr.ndim != 2 or arr.shape[0] < 2 or d <= 2:
        return False
    mean = kernel_concentration(arr).mean
    if mean >= factor / d:
        return False
    warnings.warn(
        f"the fidelity kernel is concentrated: its mean off-diagonal entry on the training "
        f"data is {mean:.3g}, below {factor:g} * 2**-n = {factor / d:.3g} (random states "
        f"give 2**-n = {1 / d:.3g}), so it cannot discriminate the training points; use a "
        "smaller feature_scale (or feature_scale='auto') or fewer qubits",
        KernelConcentrationWarning, stacklevel=stacklevel)
    return True
