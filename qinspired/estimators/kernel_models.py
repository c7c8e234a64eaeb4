r"""Kernel machines on quantum kernels: SVC, SVR, kernel ridge and kernel PCA.

Each estimator takes a quantum kernel from :mod:`qinspired.kernels` (default:
:class:`~qinspired.kernels.FidelityKernel` with its default feature map
``ZZFeatureMap(n_features)``) and wraps the matching scikit-learn model on a
precomputed Gram matrix. ``fit`` clones the kernel, fixes its data-dependent
settings from the training data (the feature map's ``feature_scale="auto"``,
shown fitted as ``kernel_.feature_map_``, and a projected kernel's
``gamma="scale"``), simulates the feature-map state of every training point
once and keeps those states (``train_states_``); ``predict`` then costs one
state simulation per test point and one matrix product against the stored
training states, never a re-simulation of the training set. A fidelity kernel
whose training Gram matrix is concentrated (mean off-diagonal entry below
:math:`1.5 \cdot 2^{-n}`) raises a
:class:`~qinspired.kernels.KernelConcentrationWarning` in ``fit``.

With the defaults (``feature_scale="auto"``) the estimators give the same
predictions for standardised, min-max scaled and raw data, and score close to
their scikit-learn counterparts with default settings (the README's "Defaults"
section lists the measurements). The estimators hold no global state, so
``GridSearchCV`` may run them in threads
(``joblib.parallel_backend("threading")``), which reuses the compiled JAX
functions; process-based ``n_jobs`` re-imports JAX and recompiles in every
worker.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    MultiOutputMixin,
    RegressorMixin,
    TransformerMixin,
    clone,
)
from sklearn.calibration import CalibratedClassifierCV
from sklearn.decomposition import KernelPCA
from sklearn.kernel_ridge import KernelRidge
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC, SVR
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from qinspired._random import resolve_seed
from qinspired.estimators._common import set_provenance
from qinspired.kernels import FidelityKernel, KernelStates, warn_if_concentrated

__all__ = ["QuantumKernelPCA", "QuantumKernelRidge", "QuantumKernelSVC", "QuantumKernelSVR"]

_DTYPES = [np.float64, np.float32]


def _check_sample_weight(owner: str, sample_weight: Any, n_samples: int) -> np.ndarray | None:
    """Sample weights as a float array of length ``n_samples`` (checked before any simulation)."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim == 0:
        w = np.full(n_samples, float(w))
    if w.shape != (n_samples,):
        raise ValueError(f"{owner}: sample_weight has shape {w.shape}, expected ({n_samples},)")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{owner}: sample_weight contains NaN or inf")
    if not np.any(w > 0):
        raise ValueError(f"{owner}: sample weights must contain at least one positive (non-zero) "
                         "number")
    return w


def _subset(states: KernelStates, index: np.ndarray) -> KernelStates:
    """The states of the points ``index`` (rows of every leaf)."""
    error = states.truncation_error
    return KernelStates(states.kind, jax.tree_util.tree_map(lambda a: a[index], states.data),
                        None if error is None else error[index])


class _QuantumKernelMixin:
    """The kernel steps the estimators share: fit the kernel, cache states, cross Gram."""

    kernel: Any

    def _fit_gram(self, X: np.ndarray) -> np.ndarray:
        """Set ``kernel_`` and ``train_states_``; return the training Gram matrix."""
        if self.kernel is None:
            kernel = FidelityKernel()
        else:
            missing = [m for m in ("get_params", "fit", "states", "gram")
                       if not callable(getattr(self.kernel, m, None))]
            if missing:
                raise ValueError(
                    f"{type(self).__name__}: kernel must be a quantum kernel from "
                    "qinspired.kernels (e.g. FidelityKernel, ProjectedKernel) or None, got "
                    f"{self.kernel!r}, which lacks {', '.join(missing)}")
            kernel = clone(self.kernel)
        self.train_states_ = kernel.fit_states(X).to_numpy()
        self.kernel_ = kernel
        K = np.asarray(self.kernel_.gram(self.train_states_), dtype=np.float64)
        if isinstance(kernel, FidelityKernel):
            warn_if_concentrated(K, kernel._dimension(self.train_states_), stacklevel=4)
        return K

    def _cross_gram(self, X: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
        """``K[i, j] = k(X[i], x_j)`` against the training points (only ``columns``, if given;
        the other columns are zero)."""
        states = self.kernel_.states(X)
        n_train = len(self.train_states_)
        if columns is None or len(columns) == n_train:
            return np.asarray(self.kernel_.gram(states, self.train_states_), dtype=np.float64)
        K = np.zeros((len(X), n_train))
        if len(columns):
            K[:, columns] = self.kernel_.gram(states, _subset(self.train_states_, columns))
        return K


def _fit_seed(estimator: Any, needed: bool) -> int | None:
    """Check ``random_state`` by the library's rule (:func:`~qinspired._random.resolve_seed`:
    None, an int in ``[0, 2**63)`` or a NumPy generator) and resolve it where it is used.

    With ``needed=False`` nothing is drawn (a generator is not advanced, no entropy is
    taken) and ``None`` is returned, but a bad value is refused all the same.
    """
    rs = estimator.random_state
    if not needed and (rs is None or isinstance(rs, (np.random.Generator, np.random.RandomState))):
        return None
    try:
        seed = resolve_seed(rs)
    except ValueError as exc:
        raise ValueError(f"{type(estimator).__name__}: {exc}") from None
    return seed if needed else None


def _sklearn_seed(seed: int) -> int:
    """A seed scikit-learn accepts (``[0, 2**32)``) for a library seed (``[0, 2**63)``):
    the seed itself below ``2**32``, so the usual seeds give the results they always
    did, else 32 bits mixed from all of its bits (not ``seed % 2**32``, under which
    ``5`` and ``2**32 + 5`` would draw alike)."""
    if seed < 2**32:
        return seed
    return int(np.random.SeedSequence(seed).generate_state(1, np.uint32)[0])


def _check_proba(estimator: QuantumKernelSVC) -> bool:
    if not estimator.probability:
        raise AttributeError("predict_proba is not available when probability=False")
    return True


class QuantumKernelSVC(ClassifierMixin, _QuantumKernelMixin, BaseEstimator):
    r"""Support-vector classifier on a quantum kernel.

    With the kernel :math:`k(x, x')` of a feature-map circuit (by default the
    fidelity kernel :math:`k(x, x') = |\langle\psi(x)|\psi(x')\rangle|^2` of
    the ZZ feature map), the binary classifier is

    .. math::

        f(x) = \operatorname{sign}\Big(\sum_{i \in \mathrm{SV}} \alpha_i y_i\,
            k(x_i, x) + b\Big),

    where :math:`\alpha` solves the soft-margin dual problem
    :math:`\max_\alpha \sum_i \alpha_i - \tfrac12 \sum_{ij} \alpha_i\alpha_j
    y_i y_j K_{ij}` subject to :math:`0 \le \alpha_i \le C` and
    :math:`\sum_i \alpha_i y_i = 0`. More than two classes are handled
    one-vs-one, as in :class:`sklearn.svm.SVC`, which solves the problem on
    the precomputed Gram matrix :math:`K_{ij} = k(x_i, x_j)`.

    Parameters
    ----------
    kernel : quantum kernel, optional
        A kernel from :mod:`qinspired.kernels` (:class:`~qinspired.kernels.FidelityKernel`,
        :class:`~qinspired.kernels.ProjectedKernel`); it is cloned in
        :meth:`fit`, never modified. ``None`` uses ``FidelityKernel()``, whose
        feature map is ``ZZFeatureMap(n_features)`` (two reps, linear
        entanglement, ``feature_scale="auto"``: bandwidth fixed from the
        training data) simulated exactly (:math:`2^{n_\mathrm{features}}`
        amplitudes per point).
    C : float, default 1.0
        Inverse regularisation strength (:math:`C > 0`).
    class_weight : dict or "balanced", optional
        Per-class multipliers of ``C``, as in :class:`sklearn.svm.SVC`.
    probability : bool, default False
        Enable :meth:`predict_proba`: Platt scaling fitted on 5-fold
        cross-validated decision values (what libsvm's ``probability=True``
        does), through :class:`sklearn.calibration.CalibratedClassifierCV`
        with ``ensemble=False`` (stratified folds: every class needs at least
        5 samples; the folds are shuffled with ``random_state``).
        :meth:`predict` and :meth:`decision_function` are those of the SVC
        fitted on all the data either way.
    tol : float, default 1e-3
        Tolerance of the stopping criterion.
    shrinking : bool, default True
        Use libsvm's shrinking heuristic.
    max_iter : int, default -1
        Iteration limit of the solver (-1: none).
    decision_function_shape : {"ovr", "ovo"}, default "ovr"
        Shape of :meth:`decision_function` with more than two classes.
    break_ties : bool, default False
        With ``decision_function_shape="ovr"`` and more than two classes,
        break ties by the decision values.
    random_state : int, numpy.random.Generator or None, default None
        Seed of the shuffled cross-validation folds of ``probability=True``
        (unused otherwise, but checked in :meth:`fit` either way: an int in
        ``[0, 2**63)``, as for every estimator here), as in
        :class:`sklearn.svm.SVC`; the seed used is recorded in ``provenance_``.

    Attributes
    ----------
    kernel_ : quantum kernel
        The fitted clone of ``kernel`` (or the default kernel); its
        ``feature_map_`` is the feature map in use, bandwidth fixed.
    train_states_ : KernelStates
        The simulated states of the training points, in host memory.
    svc_ : sklearn.svm.SVC
        The SVC fitted on the training Gram matrix (``kernel="precomputed"``).
    calibrated_ : sklearn.calibration.CalibratedClassifierCV or None
        The probability model (``probability=True`` only).
    classes_ : numpy.ndarray, shape (n_classes,)
        The class labels.
    support_ : numpy.ndarray, shape (n_SV,)
        Indices of the support vectors in the training set.
    n_iter_ : numpy.ndarray, shape (n_classes * (n_classes - 1) // 2,)
        Solver iterations of each one-vs-one problem.
    n_features_in_ : int
        Number of features seen in :meth:`fit`.
    feature_names_in_ : numpy.ndarray of str
        Feature names seen in :meth:`fit`, when ``X`` had string column names.

    Notes
    -----
    Prediction simulates the state of each test point and computes its kernel
    with the support vectors only (the other columns of the test Gram matrix
    do not enter the decision function), so its cost is :math:`N_\mathrm{test}`
    state simulations and one :math:`N_\mathrm{test} \times N_\mathrm{SV}`
    product of states.

    References
    ----------
    V. Havlicek et al., "Supervised learning with quantum-enhanced feature
    spaces", Nature 567, 209 (2019); M. Schuld and N. Killoran, "Quantum
    machine learning in feature Hilbert spaces", Phys. Rev. Lett. 122, 040504
    (2019).

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired import AngleEncoding
    >>> from qinspired.kernels import FidelityKernel
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, np.pi, (40, 2))
    >>> y = np.where(X[:, 0] > X[:, 1], "above", "below")
    >>> clf = QuantumKernelSVC(FidelityKernel(AngleEncoding(2)), C=10.0).fit(X, y)
    >>> clf.classes_.tolist()
    ['above', 'below']
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    def __init__(self, kernel: Any = None, *, C: float = 1.0, class_weight: Any = None,
                 probability: bool = False, tol: float = 1e-3, shrinking: bool = True,
                 max_iter: int = -1, decision_function_shape: str = "ovr",
                 break_ties: bool = False, random_state: Any = None) -> None:
        self.kernel = kernel
        self.C = C
        self.class_weight = class_weight
        self.probability = probability
        self.tol = tol
        self.shrinking = shrinking
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape
        self.break_ties = break_ties
        self.random_state = random_state

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> QuantumKernelSVC:
        """Simulate the training states and fit the SVC on their Gram matrix.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training data.
        y : array_like, shape (n_samples,)
            Class labels (any hashable values).
        sample_weight : array_like, shape (n_samples,), optional
            Per-sample multipliers of ``C``.

        Returns
        -------
        self : QuantumKernelSVC
        """
        X, y = validate_data(self, X, y, dtype=_DTYPES)
        check_classification_targets(y)
        sample_weight = _check_sample_weight(type(self).__name__, sample_weight, len(X))
        seed = _fit_seed(self, bool(self.probability))
        svc = SVC(kernel="precomputed", C=self.C, class_weight=self.class_weight, tol=self.tol,
                  shrinking=self.shrinking, max_iter=self.max_iter,
                  decision_function_shape=self.decision_function_shape,
                  break_ties=self.break_ties)
        K = self._fit_gram(X)
        if self.probability:
            folds = StratifiedKFold(5, shuffle=True, random_state=_sklearn_seed(seed))
            self.calibrated_ = CalibratedClassifierCV(svc, method="sigmoid", cv=folds,
                                                      ensemble=False)
            self.calibrated_.fit(K, y, sample_weight=sample_weight)
            self.svc_ = self.calibrated_.calibrated_classifiers_[0].estimator
        else:
            self.calibrated_ = None
            self.svc_ = svc.fit(K, y, sample_weight=sample_weight)
        self.classes_ = self.svc_.classes_
        self.support_ = self.svc_.support_
        self.n_iter_ = self.svc_.n_iter_
        set_provenance(self, X, y, seed)
        return self

    def _test_gram(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=_DTYPES, reset=False)
        return self._cross_gram(X, self.support_)

    def predict(self, X: Any) -> np.ndarray:
        """Predict class labels.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray, shape (n_samples,)
        """
        K = self._test_gram(X)
        return self.svc_.predict(K)

    def decision_function(self, X: Any) -> np.ndarray:
        """Signed distances to the separating hyperplane(s).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray, shape (n_samples,) or (n_samples, n_classes)
            As :meth:`sklearn.svm.SVC.decision_function` (``(n_samples,
            n_classes * (n_classes - 1) / 2)`` with ``decision_function_shape="ovo"``).
        """
        K = self._test_gram(X)
        return self.svc_.decision_function(K)

    @available_if(_check_proba)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities from Platt scaling (``probability=True`` only).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray, shape (n_samples, n_classes)
            Columns in the order of :attr:`classes_`.
        """
        K = self._test_gram(X)
        return self.calibrated_.predict_proba(K)

    @available_if(_check_proba)
    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Logarithm of :meth:`predict_proba` (``probability=True`` only).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray, shape (n_samples, n_classes)
        """
        return np.log(self.predict_proba(X))


class QuantumKernelSVR(RegressorMixin, _QuantumKernelMixin, BaseEstimator):
    r"""Epsilon-support-vector regression on a quantum kernel.

    The prediction is

    .. math::

        f(x) = \sum_{i \in \mathrm{SV}} (\alpha_i - \alpha_i^*)\, k(x_i, x) + b,

    with :math:`\alpha, \alpha^*` minimising the :math:`\epsilon`-insensitive
    loss :math:`C \sum_i \max(0, |y_i - f(x_i)| - \epsilon)` plus
    :math:`\tfrac12 \|f\|_\mathcal{H}^2` in the kernel's feature space, solved
    by :class:`sklearn.svm.SVR` on the precomputed Gram matrix.

    Parameters
    ----------
    kernel : quantum kernel, optional
        A kernel from :mod:`qinspired.kernels`, cloned in :meth:`fit`; ``None``
        uses ``FidelityKernel()`` (``ZZFeatureMap(n_features)`` with
        ``feature_scale="auto"``, exact statevectors).
    C : float, default 1.0
        Inverse regularisation strength (:math:`C > 0`).
    epsilon : float, default 0.1
        Half-width of the tube in which errors cost nothing.
    tol : float, default 1e-3
        Tolerance of the stopping criterion.
    shrinking : bool, default True
        Use libsvm's shrinking heuristic.
    max_iter : int, default -1
        Iteration limit of the solver (-1: none).

    Attributes
    ----------
    kernel_ : quantum kernel
        The fitted clone of ``kernel`` (or the default kernel); its
        ``feature_map_`` is the feature map in use, bandwidth fixed.
    train_states_ : KernelStates
        The simulated states of the training points, in host memory.
    svr_ : sklearn.svm.SVR
        The SVR fitted on the training Gram matrix.
    support_ : numpy.ndarray, shape (n_SV,)
        Indices of the support vectors in the training set.
    n_iter_ : int
        Solver iterations.
    n_features_in_ : int
        Number of features seen in :meth:`fit`.
    feature_names_in_ : numpy.ndarray of str
        Feature names seen in :meth:`fit`, when ``X`` had string column names.

    Notes
    -----
    As for :class:`QuantumKernelSVC`, prediction computes the kernel with the
    support vectors only.

    References
    ----------
    A. J. Smola and B. Schoelkopf, "A tutorial on support vector regression",
    Statistics and Computing 14, 199 (2004); M. Schuld and N. Killoran, Phys.
    Rev. Lett. 122, 040504 (2019).

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired import AngleEncoding
    >>> from qinspired.kernels import FidelityKernel
    >>> X = np.linspace(0, np.pi, 30)[:, None]
    >>> y = np.sin(X[:, 0])
    >>> reg = QuantumKernelSVR(FidelityKernel(AngleEncoding(1)), C=10.0, epsilon=0.01)
    >>> bool(reg.fit(X, y).score(X, y) > 0.95)
    True
    """

    def __init__(self, kernel: Any = None, *, C: float = 1.0, epsilon: float = 0.1,
                 tol: float = 1e-3, shrinking: bool = True, max_iter: int = -1) -> None:
        self.kernel = kernel
        self.C = C
        self.epsilon = epsilon
        self.tol = tol
        self.shrinking = shrinking
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> QuantumKernelSVR:
        """Simulate the training states and fit the SVR on their Gram matrix.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training data.
        y : array_like, shape (n_samples,)
            Targets.
        sample_weight : array_like, shape (n_samples,), optional
            Per-sample multipliers of ``C``.

        Returns
        -------
        self : QuantumKernelSVR
        """
        X, y = validate_data(self, X, y, dtype=_DTYPES, y_numeric=True)
        sample_weight = _check_sample_weight(type(self).__name__, sample_weight, len(X))
        svr = SVR(kernel="precomputed", C=self.C, epsilon=self.epsilon, tol=self.tol,
                  shrinking=self.shrinking, max_iter=self.max_iter)
        self.svr_ = svr.fit(self._fit_gram(X), y, sample_weight=sample_weight)
        self.support_ = self.svr_.support_
        self.n_iter_ = self.svr_.n_iter_
        set_provenance(self, X, y)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predict targets.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray, shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=_DTYPES, reset=False)
        return self.svr_.predict(self._cross_gram(X, self.support_))


class QuantumKernelRidge(MultiOutputMixin, RegressorMixin, _QuantumKernelMixin, BaseEstimator):
    r"""Kernel ridge regression on a quantum kernel.

    The dual coefficients solve the regularised least-squares problem in
    closed form,

    .. math::

        \alpha = (K + \lambda I)^{-1} y, \qquad
        f(x) = \sum_{i=1}^{N} \alpha_i\, k(x_i, x),

    with :math:`K_{ij} = k(x_i, x_j)` the training Gram matrix and
    :math:`\lambda` = ``alpha`` (:class:`sklearn.kernel_ridge.KernelRidge` on
    the precomputed Gram matrix; sample weights rescale the rows).

    Parameters
    ----------
    kernel : quantum kernel, optional
        A kernel from :mod:`qinspired.kernels`, cloned in :meth:`fit`; ``None``
        uses ``FidelityKernel()`` (``ZZFeatureMap(n_features)`` with
        ``feature_scale="auto"``, exact statevectors).
    alpha : float or array_like of shape (n_targets,), default 1.0
        Regularisation strength :math:`\lambda \ge 0`.

    Attributes
    ----------
    kernel_ : quantum kernel
        The fitted clone of ``kernel`` (or the default kernel); its
        ``feature_map_`` is the feature map in use, bandwidth fixed.
    train_states_ : KernelStates
        The simulated states of the training points, in host memory.
    ridge_ : sklearn.kernel_ridge.KernelRidge
        The kernel ridge model fitted on the training Gram matrix.
    dual_coef_ : numpy.ndarray, shape (n_samples,) or (n_samples, n_targets)
        The coefficients :math:`\alpha`.
    n_features_in_ : int
        Number of features seen in :meth:`fit`.
    feature_names_in_ : numpy.ndarray of str
        Feature names seen in :meth:`fit`, when ``X`` had string column names.

    References
    ----------
    J. Shawe-Taylor and N. Cristianini, "Kernel Methods for Pattern
    Analysis", Cambridge University Press (2004), ch. 2; M. Schuld and N.
    Killoran, Phys. Rev. Lett. 122, 040504 (2019).

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired import AngleEncoding
    >>> from qinspired.kernels import FidelityKernel
    >>> X = np.linspace(0, np.pi, 20)[:, None]
    >>> y = np.cos(X[:, 0])
    >>> reg = QuantumKernelRidge(FidelityKernel(AngleEncoding(1, feature_scale=1.0)),
    ...                          alpha=1e-3).fit(X, y)
    >>> float(np.round(reg.predict([[0.0]])[0], 2))
    1.0
    """

    def __init__(self, kernel: Any = None, *, alpha: Any = 1.0) -> None:
        self.kernel = kernel
        self.alpha = alpha

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> QuantumKernelRidge:
        """Simulate the training states and solve for the dual coefficients.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training data.
        y : array_like, shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array_like, shape (n_samples,), optional
            Per-sample weights of the squared errors.

        Returns
        -------
        self : QuantumKernelRidge
        """
        X, y = validate_data(self, X, y, dtype=_DTYPES, y_numeric=True, multi_output=True)
        sample_weight = _check_sample_weight(type(self).__name__, sample_weight, len(X))
        ridge = KernelRidge(alpha=self.alpha, kernel="precomputed")
        self.ridge_ = ridge.fit(self._fit_gram(X), y, sample_weight=sample_weight)
        self.dual_coef_ = self.ridge_.dual_coef_
        set_provenance(self, X, y)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predict targets.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray, shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=_DTYPES, reset=False)
        return self.ridge_.predict(self._cross_gram(X))


class QuantumKernelPCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, _QuantumKernelMixin,
                       BaseEstimator):
    r"""Kernel principal component analysis on a quantum kernel.

    With the centred training Gram matrix
    :math:`\tilde K = (I - \tfrac1N \mathbf{1}) K (I - \tfrac1N \mathbf{1})`
    and its eigenpairs :math:`\tilde K v_m = \lambda_m v_m` (largest first),
    the :math:`m`-th component of a point is

    .. math::

        z_m(x) = \frac{1}{\sqrt{\lambda_m}} \sum_{i=1}^{N} v_{m,i}\,
            \tilde k(x_i, x),

    where :math:`\tilde k` is the kernel centred with the training means
    (:class:`sklearn.decomposition.KernelPCA` on the precomputed Gram matrix).
    For the training points this is :math:`z_m(x_i) = \sqrt{\lambda_m}\, v_{m,i}`.

    Parameters
    ----------
    kernel : quantum kernel, optional
        A kernel from :mod:`qinspired.kernels`, cloned in :meth:`fit`; ``None``
        uses ``FidelityKernel()`` (``ZZFeatureMap(n_features)`` with
        ``feature_scale="auto"``, exact statevectors).
    n_components : int, optional
        Number of components (``None``: all non-zero ones).
    eigen_solver : {"auto", "dense", "arpack", "randomized"}, default "auto"
        Eigensolver, as in :class:`sklearn.decomposition.KernelPCA` (its
        iterative solvers run with their default tolerances).
    remove_zero_eig : bool, default False
        Drop components with zero eigenvalue.
    random_state : int, numpy.random.Generator or None, default None
        Seed of the arpack and randomized solvers (an int in ``[0, 2**63)``, as
        for every estimator here; it is recorded in ``provenance_``).

    Attributes
    ----------
    kernel_ : quantum kernel
        The fitted clone of ``kernel`` (or the default kernel); its
        ``feature_map_`` is the feature map in use, bandwidth fixed.
    train_states_ : KernelStates
        The simulated states of the training points, in host memory.
    kpca_ : sklearn.decomposition.KernelPCA
        The kernel PCA fitted on the training Gram matrix.
    eigenvalues_ : numpy.ndarray, shape (n_components,)
        Eigenvalues :math:`\lambda_m` of the centred Gram matrix, decreasing.
    eigenvectors_ : numpy.ndarray, shape (n_samples, n_components)
        The eigenvectors :math:`v_m` as columns.
    n_features_in_ : int
        Number of features seen in :meth:`fit`.
    feature_names_in_ : numpy.ndarray of str
        Feature names seen in :meth:`fit`, when ``X`` had string column names.

    References
    ----------
    B. Schoelkopf, A. Smola and K.-R. Mueller, "Nonlinear component analysis
    as a kernel eigenvalue problem", Neural Computation 10, 1299 (1998).

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired import AngleEncoding
    >>> from qinspired.kernels import FidelityKernel
    >>> X = np.random.default_rng(0).uniform(0, np.pi, (25, 3))
    >>> pca = QuantumKernelPCA(FidelityKernel(AngleEncoding(3)), n_components=2)
    >>> pca.fit_transform(X).shape
    (25, 2)
    >>> pca.get_feature_names_out().tolist()
    ['quantumkernelpca0', 'quantumkernelpca1']
    """

    def __init__(self, kernel: Any = None, *, n_components: int | None = None,
                 eigen_solver: str = "auto", remove_zero_eig: bool = False,
                 random_state: Any = None) -> None:
        self.kernel = kernel
        self.n_components = n_components
        self.eigen_solver = eigen_solver
        self.remove_zero_eig = remove_zero_eig
        self.random_state = random_state

    def _fit(self, X: Any) -> np.ndarray:
        X = validate_data(self, X, dtype=_DTYPES)
        seed = _fit_seed(self, True)
        kpca = KernelPCA(n_components=self.n_components, kernel="precomputed",
                         eigen_solver=self.eigen_solver, remove_zero_eig=self.remove_zero_eig,
                         random_state=_sklearn_seed(seed))
        Z = kpca.fit_transform(self._fit_gram(X))
        self.kpca_ = kpca
        self.eigenvalues_ = kpca.eigenvalues_
        self.eigenvectors_ = kpca.eigenvectors_
        set_provenance(self, X, seed=seed)
        return Z

    def fit(self, X: Any, y: Any = None) -> QuantumKernelPCA:
        """Simulate the training states and diagonalise their centred Gram matrix.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training data.
        y : ignored
            Present for API consistency.

        Returns
        -------
        self : QuantumKernelPCA
        """
        self._fit(X)
        return self

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit and return the components of the training points (no second simulation).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training data.
        y : ignored
            Present for API consistency.

        Returns
        -------
        numpy.ndarray, shape (n_samples, n_components)
        """
        return self._fit(X)

    def transform(self, X: Any) -> np.ndarray:
        """Project points onto the kernel principal components.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray, shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=_DTYPES, reset=False)
        return self.kpca_.transform(self._cross_gram(X))

    @property
    def _n_features_out(self) -> int:
        return self.eigenvalues_.shape[0]
