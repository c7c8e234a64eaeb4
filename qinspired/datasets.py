r"""Benchmark data sets: seeded synthetic generators and preprocessed real data.

The synthetic families are those of Bowles, Ahmed and Schuld [1]_ (their code is the
``qml-benchmarks`` package); each ``make_*`` function returns ``(X, y)`` as scikit-learn's
generators do: ``X`` is float64 of shape ``(n_samples, n_features)``, ``y`` is int64.

Conventions shared by every function here:

* **Labels** of the binary tasks are ``{0, 1}`` (the paper writes them ``{-1, +1}``; ours
  are ``(y_paper + 1) / 2`` up to the sign choice stated in each generator). Real data
  keep scikit-learn's integer targets.
* **random_state** is ``None``, an int or a :class:`numpy.random.Generator`, as in
  scikit-learn: the same int gives the same arrays on every call.
* **return_params=True** (where offered) also returns a dict with the hidden construction
  (teacher weights, latent coordinates, embedding), so that a benchmark can compute
  Bayes-optimal labels or re-check the definition.
* Bad arguments raise :class:`ValueError` naming the function, the argument and what is
  allowed.

:data:`DATASETS` maps a name to each generator or loader, so a benchmark harness can
enumerate them.

References
----------
.. [1] J. Bowles, S. Ahmed and M. Schuld, "Better than classical? The subtle art of
   benchmarking quantum machine learning models", arXiv:2403.07059 (2024).
"""

from __future__ import annotations

import functools
import math
import types
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from qinspired import _datasets_impl as _impl
from qinspired._random import as_generator
from qinspired._validation import check_choice, check_int

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

__all__ = [
    "DATASETS",
    "load_dataset",
    "make_bars_and_stripes",
    "make_hidden_manifold",
    "make_hyperplanes_parity",
    "make_linearly_separable",
    "make_preprocessor",
    "make_two_curves",
]

Dataset = tuple[np.ndarray, np.ndarray]
DatasetWithParams = tuple[np.ndarray, np.ndarray, dict[str, Any]]


def _out(
    X: np.ndarray, y: np.ndarray, params: dict[str, Any], return_params: bool
) -> Dataset | DatasetWithParams:
    X, y = _impl.finish(X, y)
    return (X, y, params) if return_params else (X, y)


def make_linearly_separable(
    n_samples: int = 300,
    n_features: int = 2,
    margin: float | None = None,
    *,
    teacher: Literal["ones", "random"] = "ones",
    random_state: Any = None,
    return_params: bool = False,
) -> Dataset | DatasetWithParams:
    r"""Points in a hypercube, labelled by a perceptron, with an empty margin around it.

    A unit teacher vector :math:`w \in \mathbb{R}^d` defines the hyperplane
    :math:`w \cdot x = 0`. Points are drawn uniformly from the hypercube
    :math:`[-1, 1]^d`; a point with :math:`|w \cdot x| \le \text{margin}` is rejected and
    drawn again, so every returned point satisfies

    .. math:: |w \cdot x_i| > \text{margin}, \qquad y_i = [\, w \cdot x_i > 0 \,],

    i.e. the data are linearly separable (through the origin) with geometric margin at
    least ``margin``. The classes are balanced in expectation (the cube is symmetric
    under :math:`x \mapsto -x`), not exactly.

    Parameters
    ----------
    n_samples : int, default 300
        Number of points, ``>= 1``.
    n_features : int, default 2
        Dimension :math:`d`, ``>= 1``.
    margin : float or None, default None
        Half-width of the empty slab around the hyperplane, ``>= 0``, measured as a
        Euclidean distance (``w`` has unit norm). ``None`` uses the paper's choice,
        :math:`0.02\sqrt{d}` (the paper states it as :math:`0.02 d` for the unnormalised
        vector :math:`(1, \dots, 1)`). It must be smaller than :math:`\|w\|_1`, the largest
        value of :math:`w \cdot x` on the cube.
    teacher : {"ones", "random"}, default "ones"
        ``"ones"`` is the paper's fixed direction :math:`w = (1, \dots, 1) / \sqrt{d}`;
        ``"random"`` draws :math:`w` uniformly from the unit sphere (a variant, not in the
        paper).
    random_state : None, int or numpy.random.Generator, default None
        Seed of the draw.
    return_params : bool, default False
        Also return ``{"weights": w, "margin": margin}``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The points, float64.
    y : ndarray of shape (n_samples,)
        Labels in ``{0, 1}``, int64; 1 on the side that ``w`` points to.
    params : dict
        Only with ``return_params=True``.

    Raises
    ------
    ValueError
        For invalid arguments, or when the margin leaves too little of the cube to sample
        from.

    Notes
    -----
    With the defaults this is the paper's task: its code keeps the points with
    :math:`|x \cdot (1, \dots, 1)| > 0.02 d`, which is the condition above. Two differences
    in form, not in distribution: the paper labels the side :math:`w \cdot x > 0` with
    :math:`-1` (by the symmetry of the cube the two conventions give the same distribution
    of data sets), and it draws ``2 * n_samples`` points once and keeps those outside the
    margin (possibly fewer than asked), where this function draws until it has
    ``n_samples``.

    References
    ----------
    .. [1] J. Bowles, S. Ahmed and M. Schuld, arXiv:2403.07059 (2024), "Linearly separable".
    .. [2] F. Rosenblatt, "The perceptron: a probabilistic model for information storage
       and organization in the brain", Psychological Review 65, 386 (1958).

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.datasets import make_linearly_separable
    >>> X, y, params = make_linearly_separable(
    ...     100, 3, margin=0.1, random_state=0, return_params=True)
    >>> X.shape, y.dtype
    ((100, 3), dtype('int64'))
    >>> bool(np.all(np.abs(X @ params["weights"]) > 0.1))
    True
    """
    owner = "make_linearly_separable"
    n_samples = check_int(owner, "n_samples", n_samples, 1)
    n_features = check_int(owner, "n_features", n_features, 1)
    teacher = check_choice(owner, "teacher", teacher, ("ones", "random"))
    if margin is None:
        margin = 0.02 * math.sqrt(n_features)
    margin = _impl.check_nonnegative(owner, "margin", margin)
    if margin >= math.sqrt(n_features):
        raise ValueError(
            f"{owner}: margin={margin!r} must be < sqrt(n_features)={math.sqrt(n_features):.4g}; "
            "no point of the hypercube [-1, 1]^d is that far from a hyperplane through 0"
        )
    rng = as_generator(random_state)
    if teacher == "random":
        w = rng.standard_normal(n_features)
        w /= np.linalg.norm(w)
    else:
        w = np.full(n_features, 1.0 / math.sqrt(n_features))
    if margin >= np.abs(w).sum():
        raise ValueError(
            f"{owner}: margin={margin!r} must be < ||w||_1={np.abs(w).sum():.4g} for the drawn "
            "teacher; no point of the hypercube is that far from its hyperplane"
        )

    def draw(batch: int) -> tuple[np.ndarray, np.ndarray]:
        points = rng.uniform(-1.0, 1.0, size=(batch, n_features))
        return points, np.where(np.abs(points @ w) > margin, 0, -1)

    X = _impl.sample_until(owner, draw, {0: n_samples}, 2 * n_samples + 256)[0]
    y = (X @ w > 0).astype(np.int64)
    return _out(X, y, {"weights": w, "margin": margin}, return_params)


def make_hidden_manifold(
    n_samples: int = 300,
    n_features: int = 10,
    manifold_dimension: int = 6,
    *,
    random_state: Any = None,
    return_params: bool = False,
) -> Dataset | DatasetWithParams:
    r"""The hidden manifold model: data on an embedded low-dimensional manifold.

    With :math:`m` the manifold dimension and :math:`d` the number of features, latent
    coordinates :math:`c \sim \mathcal{N}(0, I_m)` are embedded by a Gaussian feature
    matrix :math:`F \in \mathbb{R}^{m \times d}` (entries :math:`\mathcal{N}(0, 1)`) and an
    element-wise nonlinearity with biases :math:`b_j \sim U[-1, 1]`,

    .. math:: x = \tanh\!\left(F^\top c / \sqrt{m} - b\right),

    and labelled by a random one-hidden-layer teacher network acting on the latent
    coordinates only,

    .. math:: s(c) = \frac{1}{\sqrt{m}}\, v \cdot \tanh(W c), \qquad
              y = [\, s(c) > \operatorname{median}_i s(c_i) \,],

    with :math:`W \in \mathbb{R}^{m \times m}` and :math:`v \in \mathbb{R}^m` standard
    normal. Thresholding at the sample median makes the classes exactly balanced
    (``n_samples // 2`` ones). Before the nonlinearity the data have rank at most
    :math:`\min(m, d)`: :math:`\operatorname{arctanh}(X) + b = C F / \sqrt{m}`. The
    manifold dimension may exceed the number of features, as in the paper's sweeps
    (:math:`d = 2, \dots, 20` with :math:`m = 6`; :math:`m = 2, \dots, 20` with
    :math:`d = 10`); the embedding then loses information and the labels are no longer a
    function of :math:`x` alone.

    Parameters
    ----------
    n_samples : int, default 300
        Number of points, ``>= 1``.
    n_features : int, default 10
        Ambient dimension :math:`d`, ``>= 1``.
    manifold_dimension : int, default 6
        Latent dimension :math:`m`, ``>= 1``.
    random_state : None, int or numpy.random.Generator, default None
        Seed of the draw.
    return_params : bool, default False
        Also return a dict with ``latent`` (:math:`C`, one row per point), ``embedding``
        (:math:`F`), ``biases`` (:math:`b`), ``teacher_weights`` (:math:`W`),
        ``teacher_readout`` (:math:`v`) and ``threshold`` (the median of :math:`s`).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The points, float64, in :math:`(-1, 1)`.
    y : ndarray of shape (n_samples,)
        Labels in ``{0, 1}``, int64.
    params : dict
        Only with ``return_params=True``.

    Raises
    ------
    ValueError
        For invalid arguments.

    Notes
    -----
    This is the paper's construction, drawn in the same order (:math:`F, C, b, W, v`). The
    paper's code labels :math:`s(c) \ge \operatorname{median}` with :math:`+1` (and
    checks that both classes have ``n_samples // 2`` points, so it only works for even
    ``n_samples``); for even ``n_samples`` this equals (almost surely) the strict
    inequality used here.

    References
    ----------
    .. [1] S. Goldt, M. Mézard, F. Krzakala and L. Zdeborová, "Modeling the influence of
       data structure on learning in neural networks: the hidden manifold model",
       Physical Review X 10, 041044 (2020).
    .. [2] J. Bowles, S. Ahmed and M. Schuld, arXiv:2403.07059 (2024), "Hidden manifold".

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.datasets import make_hidden_manifold
    >>> X, y = make_hidden_manifold(200, 8, 3, random_state=0)
    >>> X.shape, np.bincount(y).tolist()
    ((200, 8), [100, 100])
    """
    owner = "make_hidden_manifold"
    n_samples = check_int(owner, "n_samples", n_samples, 1)
    n_features = check_int(owner, "n_features", n_features, 1)
    m = check_int(owner, "manifold_dimension", manifold_dimension, 1)
    rng = as_generator(random_state)
    F = rng.standard_normal((m, n_features))
    C = rng.standard_normal((n_samples, m))
    b = rng.uniform(-1.0, 1.0, size=n_features)
    W = rng.standard_normal((m, m))
    v = rng.standard_normal(m)
    X = np.tanh(C @ F / math.sqrt(m) - b)
    score = np.tanh(C @ W.T) @ v / math.sqrt(m)
    threshold = float(np.median(score))
    y = (score > threshold).astype(np.int64)
    params = {"latent": C, "embedding": F, "biases": b, "teacher_weights": W,
              "teacher_readout": v, "threshold": threshold}
    return _out(X, y, params, return_params)


def make_hyperplanes_parity(
    n_samples: int = 300,
    n_features: int = 10,
    n_hyperplanes: int = 2,
    dim_hyperplanes: int = 3,
    *,
    standardize: bool = True,
    random_state: Any = None,
    return_params: bool = False,
) -> Dataset | DatasetWithParams:
    r"""Labels from the parity of the sides of several random hyperplanes.

    In a latent space of dimension :math:`k` (``dim_hyperplanes``), :math:`h`
    (``n_hyperplanes``) affine hyperplanes have normals :math:`w_j \sim U[0, 1]^k` and
    offsets :math:`b_j \sim U[0, 1]`. A latent point :math:`z \sim \mathcal{N}(0, I_k)` is
    labelled by the parity of the number of hyperplanes it lies above,

    .. math:: y(z) = \Big(\sum_{j=1}^{h} [\, w_j \cdot z + b_j > 0 \,]\Big) \bmod 2 .

    Latent points are drawn until each class has its quota (``n_samples // 2`` of class 1,
    the rest class 0), shuffled, and embedded linearly by
    :math:`E \in \mathbb{R}^{k \times d}` with entries :math:`U[0, 1]`:

    .. math:: x = (E^\top z - \mu) / \sigma,

    where :math:`\mu, \sigma` are the column means and (population) standard deviations of
    the sample, so each feature has mean 0 and variance 1 (``standardize=False`` gives
    :math:`\mu = 0, \sigma = 1`). With ``n_features >= dim_hyperplanes`` the embedding is
    injective (almost surely), so ``y`` is a function of ``x``.

    Parameters
    ----------
    n_samples : int, default 300
        Number of points, ``>= 1``.
    n_features : int, default 10
        Ambient dimension :math:`d`, ``>= dim_hyperplanes``.
    n_hyperplanes : int, default 2
        Number of hyperplanes :math:`h`, ``>= 1``.
    dim_hyperplanes : int, default 3
        Latent dimension :math:`k`, ``>= 1``.
    standardize : bool, default True
        Standardise the features over the sample, as the paper does.
    random_state : None, int or numpy.random.Generator, default None
        Seed of the draw.
    return_params : bool, default False
        Also return a dict with ``latent`` (:math:`Z`, one row per point), ``weights``
        (rows :math:`w_j`), ``biases`` (:math:`b`), ``embedding`` (:math:`E`), ``mean``
        (:math:`\mu`) and ``scale`` (:math:`\sigma`).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The points, float64.
    y : ndarray of shape (n_samples,)
        Labels in ``{0, 1}`` (1 = odd parity), int64; exactly ``n_samples // 2`` ones.
    params : dict
        Only with ``return_params=True``.

    Raises
    ------
    ValueError
        For invalid arguments, or when one parity class is too rare to fill its quota.

    Notes
    -----
    The paper's construction: its code ends with label :math:`+1` for odd parity (it first
    marks even parity :math:`+1`, then assigns the labels the other way round when it
    balances the classes), which is 1 here. It returns ``2 * (n_samples // 2)`` points
    sorted by class; here odd ``n_samples`` gives one extra class-0 point and the rows are
    shuffled. It does not require ``n_features >= dim_hyperplanes``; its benchmark uses
    :math:`d = 10, k = 3` and :math:`h = 2, \dots, 20`.

    References
    ----------
    .. [1] J. Bowles, S. Ahmed and M. Schuld, arXiv:2403.07059 (2024), "Hyperplanes and
       parity".

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.datasets import make_hyperplanes_parity
    >>> X, y = make_hyperplanes_parity(100, 5, n_hyperplanes=3, random_state=0)
    >>> X.shape, np.bincount(y).tolist()
    ((100, 5), [50, 50])
    >>> bool(np.allclose(X.mean(axis=0), 0) and np.allclose(X.std(axis=0), 1))
    True
    """
    owner = "make_hyperplanes_parity"
    n_samples = check_int(owner, "n_samples", n_samples, 1)
    n_features = check_int(owner, "n_features", n_features, 1)
    n_hyperplanes = check_int(owner, "n_hyperplanes", n_hyperplanes, 1)
    k = check_int(owner, "dim_hyperplanes", dim_hyperplanes, 1)
    if n_features < k:
        raise ValueError(
            f"{owner}: n_features={n_features} must be >= dim_hyperplanes={k} "
            "(otherwise the embedding merges points of different labels)"
        )
    rng = as_generator(random_state)
    weights = rng.uniform(0.0, 1.0, size=(n_hyperplanes, k))
    biases = rng.uniform(0.0, 1.0, size=n_hyperplanes)

    def draw(batch: int) -> tuple[np.ndarray, np.ndarray]:
        Z = rng.standard_normal((batch, k))
        return Z, np.count_nonzero(Z @ weights.T + biases > 0, axis=1) % 2

    n_ones = n_samples // 2
    parts = _impl.sample_until(owner, draw, {0: n_samples - n_ones, 1: n_ones},
                               2 * n_samples + 256)
    Z = np.concatenate([parts[0], parts[1]])
    y = np.repeat([0, 1], [n_samples - n_ones, n_ones])
    order = rng.permutation(n_samples)
    Z, y = Z[order], y[order]
    E = rng.uniform(0.0, 1.0, size=(k, n_features))
    X = Z @ E
    if standardize:
        X, mean, scale = _impl.standardize(X)
    else:
        mean, scale = np.zeros(n_features), np.ones(n_features)
    params = {"latent": Z, "weights": weights, "biases": biases, "embedding": E,
              "mean": mean, "scale": scale}
    return _out(X, y, params, return_params)


def make_two_curves(
    n_samples: int = 300,
    n_features: int = 10,
    degree: int = 5,
    offset: float = 0.1,
    noise: float = 0.01,
    *,
    standardize: bool = True,
    random_state: Any = None,
    return_params: bool = False,
) -> Dataset | DatasetWithParams:
    r"""Two one-dimensional curves in :math:`\mathbb{R}^d`, one per class, offset from each other.

    Each coordinate :math:`i` of the curve is a Fourier series of degree :math:`D` in the
    curve parameter :math:`t \in [0, 1]`,

    .. math:: f_i(t) = a_{i0} + b_{i0} + \sum_{k=1}^{D}
              \big(a_{ik} \cos(k \pi t) + b_{ik} \sin(k \pi t)\big),

    with all coefficients drawn from :math:`U[0, 1]` and then divided by the Euclidean norm
    of the whole coefficient array. Class 0 points are :math:`f(t) + \varepsilon`, class 1
    points are :math:`f(t) + \Delta \mathbf{1} + \varepsilon`, with
    :math:`t \sim U[0, 1]`, :math:`\Delta` = ``offset`` added to every coordinate (a
    Euclidean shift of :math:`\Delta\sqrt{d}`) and
    :math:`\varepsilon \sim \mathcal{N}(0, \text{noise}^2 I_d)`. Finally the features are
    standardised over the sample, :math:`x \mapsto (x - \mu)/\sigma`, as in the paper.
    The degree controls the curvature, the offset the distance between the curves.

    Parameters
    ----------
    n_samples : int, default 300
        Number of points, ``>= 1``; ``n_samples // 2`` belong to class 1.
    n_features : int, default 10
        Ambient dimension :math:`d`, ``>= 1``.
    degree : int, default 5
        Degree :math:`D` of the Fourier series, ``>= 1``.
    offset : float, default 0.1
        Shift :math:`\Delta \ge 0` added to every coordinate of class 1.
    noise : float, default 0.01
        Standard deviation of the Gaussian noise on every coordinate, ``>= 0``. The noise
        is drawn after everything else, so changing it leaves the noiseless part unchanged.
    standardize : bool, default True
        Standardise the features over the sample, as the paper does.
    random_state : None, int or numpy.random.Generator, default None
        Seed of the draw.
    return_params : bool, default False
        Also return a dict with ``latent`` (:math:`t` per point), ``coefficients`` (shape
        ``(n_features, degree + 1, 2)``, ``[..., 0]`` cosine and ``[..., 1]`` sine),
        ``mean`` (:math:`\mu`) and ``scale`` (:math:`\sigma`).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The points, float64.
    y : ndarray of shape (n_samples,)
        Labels in ``{0, 1}``, int64.
    params : dict
        Only with ``return_params=True``.

    Raises
    ------
    ValueError
        For invalid arguments.

    Notes
    -----
    The paper's construction and normalisation. Its code returns ``2 * (n_samples // 2)``
    points sorted by class (here: ``n_samples``, shuffled). Its benchmarks use
    :math:`D = 5`, :math:`\Delta = 0.1`, noise 0.01 for :math:`d = 2, \dots, 20`, and
    :math:`\Delta = 1 / (2D)` for :math:`D = 2, \dots, 20` at :math:`d = 10`.

    References
    ----------
    .. [1] S. Buchanan, D. Gilboa and J. Wright, "Deep networks and the multiple manifold
       problem", International Conference on Learning Representations (2021).
    .. [2] J. Bowles, S. Ahmed and M. Schuld, arXiv:2403.07059 (2024), "Two curves".

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.datasets import make_two_curves
    >>> X, y = make_two_curves(101, 4, degree=3, offset=0.2, noise=0.0, random_state=0)
    >>> X.shape, np.bincount(y).tolist()
    ((101, 4), [51, 50])
    """
    owner = "make_two_curves"
    n_samples = check_int(owner, "n_samples", n_samples, 1)
    n_features = check_int(owner, "n_features", n_features, 1)
    degree = check_int(owner, "degree", degree, 1)
    offset = _impl.check_nonnegative(owner, "offset", offset)
    noise = _impl.check_nonnegative(owner, "noise", noise)
    rng = as_generator(random_state)
    coefficients = rng.uniform(0.0, 1.0, size=(n_features, degree + 1, 2))
    coefficients /= np.linalg.norm(coefficients)
    n_ones = n_samples // 2
    y = np.repeat([0, 1], [n_samples - n_ones, n_ones])
    t = rng.uniform(0.0, 1.0, size=n_samples)
    eps = rng.standard_normal((n_samples, n_features))
    order = rng.permutation(n_samples)
    y, t, eps = y[order], t[order], eps[order]
    X = _impl.curve_points(t, coefficients) + offset * y[:, None] + noise * eps
    if standardize:
        X, mean, scale = _impl.standardize(X)
    else:
        mean, scale = np.zeros(n_features), np.ones(n_features)
    params = {"latent": t, "coefficients": coefficients, "mean": mean, "scale": scale}
    return _out(X, y, params, return_params)


def make_bars_and_stripes(
    n_samples: int = 300,
    height: int = 4,
    width: int = 4,
    noise_std: float = 0.5,
    *,
    constant_images: bool = True,
    random_state: Any = None,
) -> Dataset:
    r"""Noisy images of bars (full columns) or stripes (full rows), flattened.

    Each image is a ``height x width`` grid of pixels :math:`\pm 1`. With probability 1/2 it
    shows **stripes** (label 1): every row is switched on (:math:`+1`) or off
    (:math:`-1`) with probability 1/2; otherwise it shows **bars** (label 0), the same for
    columns. Gaussian noise :math:`\mathcal{N}(0, \text{noise\_std}^2)` is added to every
    pixel, and the image is flattened row by row: pixel :math:`(r, c)` is feature
    ``r * width + c``.

    As in the paper, the patterns with all rows (columns) equal are kept: the all-on and
    all-off images then occur in both classes, with probability
    :math:`(2^{-h} + 2^{-w}) / 2` each, and no classifier can tell their class, so even
    without noise the best accuracy is :math:`1 - 2^{-\max(h, w)}` (15/16 for 4 x 4).
    ``constant_images=False`` redraws those patterns instead, so that every noiseless image
    is bars or stripes, never both.

    Parameters
    ----------
    n_samples : int, default 300
        Number of images, ``>= 1``.
    height, width : int, default 4
        Image size, each ``>= 2``.
    noise_std : float, default 0.5
        Standard deviation of the pixel noise, ``>= 0`` (the paper uses 0.5). The noise is
        drawn after everything else, so changing it leaves the noiseless images unchanged.
    constant_images : bool, default True
        Keep the constant (all-on, all-off) images, as the paper does; ``False`` redraws
        them (a variant, not in the paper).
    random_state : None, int or numpy.random.Generator, default None
        Seed of the draw.

    Returns
    -------
    X : ndarray of shape (n_samples, height * width)
        The flattened images, float64.
    y : ndarray of shape (n_samples,)
        1 for stripes, 0 for bars, int64; balanced in expectation.

    Raises
    ------
    ValueError
        For invalid arguments.

    Notes
    -----
    The paper's code labels stripes :math:`+1` and bars :math:`-1` and draws image by
    image; with the defaults this function draws from the same distribution.

    References
    ----------
    .. [1] D. J. C. MacKay, "Information Theory, Inference, and Learning Algorithms",
       Cambridge University Press (2003).
    .. [2] J. Bowles, S. Ahmed and M. Schuld, arXiv:2403.07059 (2024), "Bars and stripes".

    Examples
    --------
    >>> from qinspired.datasets import make_bars_and_stripes
    >>> X, y = make_bars_and_stripes(4, 3, 3, noise_std=0.0, random_state=2)
    >>> X[0].reshape(3, 3), int(y[0])
    (array([[-1., -1., -1.],
           [-1., -1., -1.],
           [ 1.,  1.,  1.]]), 1)
    """
    owner = "make_bars_and_stripes"
    n_samples = check_int(owner, "n_samples", n_samples, 1)
    height = check_int(owner, "height", height, 2)
    width = check_int(owner, "width", width, 2)
    noise_std = _impl.check_nonnegative(owner, "noise_std", noise_std)
    if not isinstance(constant_images, (bool, np.bool_)):
        raise ValueError(f"{owner}: constant_images={constant_images!r} must be True or False")
    rng = as_generator(random_state)
    y = (rng.random(n_samples) < 0.5).astype(np.int64)
    if constant_images:
        rows = rng.random((n_samples, height)) < 0.5
        cols = rng.random((n_samples, width)) < 0.5
    else:
        rows = _impl.nonconstant_bits(rng, n_samples, height)
        cols = _impl.nonconstant_bits(rng, n_samples, width)
    on = np.where(y[:, None, None] == 1, rows[:, :, None], cols[:, None, :])
    images = np.where(on, 1.0, -1.0).reshape(n_samples, height * width)
    X = images + noise_std * rng.standard_normal(images.shape)
    return _impl.finish(X, y)


def make_preprocessor(
    n_features: int | None = None,
    feature_range: tuple[float, float] = (0.0, math.pi),
) -> Pipeline:
    r"""An unfitted scikit-learn pipeline: standardise, optional PCA, rescale to a range.

    The steps are :class:`~sklearn.preprocessing.StandardScaler`, then (when
    ``n_features`` is given) :class:`~sklearn.decomposition.PCA` keeping ``n_features``
    components (``svd_solver="full"``, deterministic), then
    :class:`~sklearn.preprocessing.MinMaxScaler` mapping the training minimum and maximum
    of each feature to ``feature_range`` with ``clip=True``, so unseen data also stay
    inside the range an angle encoding expects.

    Put it at the front of a :class:`~sklearn.pipeline.Pipeline` with the model: every
    fit, and every cross-validation fold, then learns the scaling from its training part
    only, and nothing about the test points leaks into the features.

    Parameters
    ----------
    n_features : int or None, default None
        Number of principal components to keep, ``>= 1``; ``None`` skips the PCA.
    feature_range : (float, float), default (0, pi)
        Target interval ``(low, high)``, ``low < high``; ``(0, pi)`` suits angle encodings
        :math:`R_y(x)` and ``(-1, 1)`` suits encodings of :math:`\arccos x`.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Unfitted.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_wine
    >>> from sklearn.model_selection import train_test_split
    >>> from qinspired.datasets import make_preprocessor
    >>> X, y = load_wine(return_X_y=True)
    >>> X_train, X_test = train_test_split(X, random_state=0)
    >>> prep = make_preprocessor(n_features=4).fit(X_train)
    >>> Z = prep.transform(X_test)
    >>> Z.shape, bool(Z.min() >= 0 and Z.max() <= np.pi)
    ((45, 4), True)
    """
    owner = "make_preprocessor"
    if n_features is not None:
        n_features = check_int(owner, "n_features", n_features, 1)
    low, high = _impl.check_feature_range(owner, feature_range)
    from sklearn.decomposition import PCA
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    steps: list[tuple[str, Any]] = [("standardize", StandardScaler())]
    if n_features is not None:
        steps.append(("pca", PCA(n_components=n_features, svd_solver="full")))
    steps.append(("rescale", MinMaxScaler(feature_range=(low, high), clip=True)))
    return Pipeline(steps)


def load_dataset(
    name: str,
    *,
    n_features: int | None = None,
    feature_range: tuple[float, float] = (0.0, math.pi),
    preprocess: bool = True,
) -> Dataset:
    r"""A real data set bundled with scikit-learn, preprocessed for angle encodings.

    Known names: ``"iris"`` (150 x 4, 3 classes), ``"wine"`` (178 x 13, 3 classes),
    ``"breast_cancer"`` (569 x 30, 2 classes) and ``"digits"`` (1797 x 64, 10 classes);
    nothing is downloaded. With ``preprocess=True`` the features go through
    :func:`make_preprocessor` fitted on **all** rows: standardised, projected on the first
    ``n_features`` principal components when asked, then mapped affinely so that each
    feature's minimum is ``feature_range[0]`` and its maximum ``feature_range[1]`` (a
    constant feature, such as a blank pixel of ``"digits"``, sits at
    ``feature_range[0]``).

    .. warning::
       Preprocessing fitted on the whole data set uses the test rows' statistics (mean,
       variance, principal axes, extremes): a mild but real leak. For reported benchmark
       numbers use ``preprocess=False`` and put :func:`make_preprocessor` in a
       :class:`~sklearn.pipeline.Pipeline` with the model, so each fit learns it from its
       training rows only.

    Parameters
    ----------
    name : {"breast_cancer", "digits", "iris", "wine"}
        The data set.
    n_features : int or None, default None
        Number of principal components to keep, between 1 and the data set's number of
        features; ``None`` keeps all features without PCA. Only with ``preprocess=True``.
    feature_range : (float, float), default (0, pi)
        Target interval of every feature, ``low < high``. Only with ``preprocess=True``.
    preprocess : bool, default True
        ``False`` returns the raw features (as float64) and the labels unchanged.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Features, float64.
    y : ndarray of shape (n_samples,)
        scikit-learn's integer targets, int64.

    Raises
    ------
    ValueError
        For an unknown name or invalid arguments.

    References
    ----------
    .. [1] R. A. Fisher, "The use of multiple measurements in taxonomic problems", Annals
       of Eugenics 7, 179 (1936) (iris).
    .. [2] W. N. Street, W. H. Wolberg and O. L. Mangasarian, "Nuclear feature extraction
       for breast tumor diagnosis", Proc. SPIE 1905 (1993) (breast cancer).
    .. [3] D. Dua and C. Graff, UCI Machine Learning Repository (wine; optical
       recognition of handwritten digits).

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.datasets import load_dataset
    >>> X, y = load_dataset("wine", n_features=4)
    >>> X.shape, float(X.min()), bool(np.isclose(X.max(), np.pi))
    ((178, 4), 0.0, True)
    """
    owner = "load_dataset"
    X, y = _impl.load_raw(owner, name)
    if not preprocess:
        if n_features is not None:
            raise ValueError(
                f"{owner}: n_features={n_features!r} needs preprocess=True; for leak-free "
                "preprocessing pass it to make_preprocessor inside a Pipeline"
            )
        return X, y
    n_features = _impl.check_n_features_for(owner, n_features, X.shape[1])
    return _impl.finish(make_preprocessor(n_features, feature_range).fit_transform(X), y)


#: Every data set by name: the synthetic ``make_*`` generators and, for the real data,
#: :func:`load_dataset` with its ``name`` bound (a :func:`functools.partial`).
DATASETS: Mapping[str, Callable[..., Any]] = types.MappingProxyType({
    "bars_and_stripes": make_bars_and_stripes,
    "hidden_manifold": make_hidden_manifold,
    "hyperplanes_parity": make_hyperplanes_parity,
    "linearly_separable": make_linearly_separable,
    "two_curves": make_two_curves,
    **{name: functools.partial(load_dataset, name) for name in _impl.REAL_DATASET_NAMES},
})
