r"""Tensor-network classifiers and regressors: MPS and tree tensor networks.

Each model maps a sample to the product state of its features and contracts it
with a weight tensor :math:`W` stored as a tensor network,

.. math::

    f^{\ell}(\mathbf{x}) = \langle W^{\ell} | \tilde\phi(x_1) \otimes \cdots \otimes
    \tilde\phi(x_n) \rangle ,

the classical counterpart of a variational circuit whose entangling structure
is the same staircase (MPS) or tree (TTN). :math:`\ell` runs over the classes
(a softmax turns :math:`f` into probabilities, trained with cross-entropy) or
the regression outputs (trained with squared error on standardised targets).

Features are min-max scaled to ``[0, 1]`` with the training data's range (new
data is clipped to it), mapped by a local feature map (``local_map``,
``local_dim``; see :mod:`qinspired.tn.local_maps`) and anchored to the
reference state (:func:`qinspired.tn.local_maps.embed`), so that the
initial, near-identity network outputs are of order one at any number of
features. Feature ``k`` is site ``k``: the order of the columns is the order of
the chain (for images: raster order).

Two solvers:

``"adam"``
    Minibatch Adam on all tensors at once (:func:`qinspired.training.train`),
    bond dimensions fixed to ``bond_dim`` (capped at :math:`d^k` near the ends).
``"sweep"`` (MPS only)
    DMRG-like two-site sweeps (:mod:`qinspired.tn.sweep`): starting from
    bond dimension 1, each bond tensor is trained for one epoch, then split by
    SVD, keeping at most ``bond_dim`` singular values above ``svd_cutoff``
    times the largest, so every bond grows to what the data need.
    ``max_iter`` counts sweeps. With a single feature there is no bond to
    sweep, and the one tensor is trained by Adam.

References
----------
E. M. Stoudenmire and D. J. Schwab, "Supervised learning with tensor networks",
NeurIPS 2016, arXiv:1605.05775.
S. Efthymiou, J. Hidary and S. Leichenauer, "TensorNetwork for machine
learning", arXiv:1906.06329 (2019).
D. Liu et al., "Machine learning by unitary tensor network of hierarchical tree
structure", New J. Phys. 21, 073059 (2019).
"""

from __future__ import annotations

from sklearn.base import ClassifierMixin, RegressorMixin

from qinspired.estimators._tn_core import (
    ClassifierImpl,
    RegressorImpl,
    TensorNetworkBase,
)

__all__ = ["MPSClassifier", "MPSRegressor", "TTNClassifier", "TTNRegressor"]

_PARAMETERS = """
    Parameters
    ----------
    bond_dim : int, default=8
        Maximal bond dimension :math:`\\chi`.
    local_map : {"trigonometric", "fourier", "polynomial"}, default="trigonometric"
        Local feature map of each (min-max scaled) feature.
    local_dim : int, default=2
        Local dimension :math:`d` of the feature map.
    solver : {"adam", "sweep"}, default="adam"
        Gradient training of all tensors, or (MPS only) DMRG-like two-site sweeps
        with adaptive bond dimensions.
    learning_rate : float or "auto", default="auto"
        Adam step size (also of the bond updates of the sweeps). ``"auto"``:
        ``min(1e-2, 0.16 / n_features)`` for Adam on an MPS (an MPS output is a
        product over all its sites, so long chains need smaller steps), 1e-2 for
        a TTN and for the sweeps; the value used is ``learning_rate_``.
    max_iter : int, default=200
        Maximal number of epochs (``"adam"``) or of sweeps (``"sweep"``).
    batch_size : int, default=32
        Minibatch size. Each epoch drops the last partial batch of a fresh
        shuffle; fewer samples than ``batch_size`` are cycled to fill one batch.
    validation_fraction : float, default=0.1
        Fraction of the training data held out to score each epoch (a random
        split of ``round(validation_fraction * n_samples)`` samples, not trained
        on); used only with early stopping.
{early_stopping}    n_iter_no_change : int, default=10
        Patience of the stopping rule, in epochs.
    tol : float, default=1e-4
        Smallest improvement of the monitored quantity that counts.
{extra}    init_noise : float, default=0.1
        Relative size of the noise added to the near-identity initial tensors.
    svd_cutoff : float, default=1e-10
        Relative singular-value cutoff of the sweeps (``"sweep"`` only).
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the initial noise, the shuffles and the validation split.
    verbose : bool, default=False
        Print the loss after every epoch or sweep.
"""

_ATTRIBUTES = """
    Attributes
    ----------
    tensors_ : tuple of numpy.ndarray
        The fitted tensors: {tensors}
    bond_dims_ : tuple of int
        Bond dimensions of the fitted network.
    loss_curve_ : list of float
        Mean training loss of each epoch (each sweep: the full training loss).
    validation_scores_ : list of float or None
        Validation score of each epoch with early stopping, else None.
    early_stopping_ : bool
        Whether training stopped on the validation score (``early_stopping``
        resolved for the data; always False for the sweeps).
    best_validation_score_ : float or None
        Best of ``validation_scores_``.
    n_iter_ : int
        Epochs (sweeps) run.
    learning_rate_ : float
        The step size used (``learning_rate`` with ``"auto"`` resolved).
    truncation_error_ : float or None
        Relative SVD truncation error of the last sweep (``"sweep"``), else None.
    data_min_, data_range_ : numpy.ndarray of shape (n_features,)
        The min-max scaling of the features.
    random_seed_ : int
        The seed ``random_state`` resolved to (recorded for reproducibility).
    n_features_in_ : int
        Number of features (sites).
    feature_names_in_ : numpy.ndarray
        Feature names, when ``X`` had string column names.
"""

_SMOOTHING = """    label_smoothing : float, default=0.05
        Cross-entropy against smoothed labels, :math:`(1 - \\varepsilon)\\,e_y +
        \\varepsilon / C`, in ``[0, 1)``. It keeps ``predict_proba`` away from
        exact 0 and 1 (unsmoothed, the logits of a network that fits the
        training data grow without bound and the probabilities saturate at
        ~1e-15); see the README's "Defaults" section for log-loss and
        calibration error against ``LogisticRegression``.
"""
_STOPPING = """        ``True``: stop when the validation score (accuracy, or :math:`R^2`) has
        not improved by ``tol`` for ``n_iter_no_change`` epochs and keep the
        best parameters. ``False`` (as ``MLPClassifier``): stop when the mean
        training loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs. ``"auto"``: ``True`` when the validation split leaves at least
        one sample on each side, otherwise (5 samples or fewer at the default
        ``validation_fraction``) ``False``; ``True`` with no such
        split raises. The value used is ``early_stopping_``. Either way,
        reaching ``max_iter`` first warns with
        :class:`~sklearn.exceptions.ConvergenceWarning`. The sweeps hold no
        data out: they run ``max_iter`` sweeps and warn when the last one still
        changed the training loss by more than ``tol``.
"""
_CLASSIFIER_STOPPING = """    early_stopping : bool or "auto", default=False
""" + _STOPPING
_REGRESSOR_STOPPING = """    early_stopping : bool or "auto", default="auto"
""" + _STOPPING + """
        The regressors default to ``"auto"``: stopped on the training loss, they
        fit the noise (``make_friedman1``, 225 training samples: training
        :math:`R^2` 0.91-0.96, test :math:`R^2` from -1.4 to 0.18 over three
        seeds; 0.55-0.68 with early stopping, ``Ridge()`` 0.66). The classifiers
        keep ``False``, which scores as well as ``LogisticRegression()`` with
        defaults and uses all the training data.
"""
_CLASSIFIER_PARAMETERS = (_PARAMETERS.replace("{extra}", _SMOOTHING)
                          .replace("{early_stopping}", _CLASSIFIER_STOPPING))
_REGRESSOR_PARAMETERS = (_PARAMETERS.replace("{extra}", "")
                         .replace("{early_stopping}", _REGRESSOR_STOPPING))

_MPS_TENSORS = ("site tensors ``(chi_l, d, chi_r)``, and ``(chi_l, d, n_outputs, chi_r)`` at "
                "``center_``.\n    center_ : int\n        The site carrying the label index.")
_TTN_TENSORS = ("one stacked array per tree layer, ``(n_nodes, D, D, D')``, leaves first; "
                "the root's last axis is the output.")


class MPSClassifier(ClassifierMixin, ClassifierImpl):
    __doc__ = r"""Matrix-product-state classifier (Stoudenmire and Schwab 2016).

    The class scores are an MPS contracted with the product state of the
    features, the label index sitting on the middle site:

    .. math::

        f^{\ell}(\mathbf{x}) = A^{[1]}(x_1) \cdots C^{\ell}(x_c) \cdots A^{[n]}(x_n),
        \qquad A(x) = \sum_s \tilde\phi_s(x) A_{:, s, :},
        \qquad p(\ell \mid \mathbf{x}) = \mathrm{softmax}_\ell f(\mathbf{x}),

    trained with cross-entropy. The contraction of a batch costs
    :math:`O(n\, d\, \chi^2)` per sample and is normalised every site (every
    pair of sites for ``local_dim=2``), so it is stable at hundreds of features.
    """ + _CLASSIFIER_PARAMETERS + _ATTRIBUTES.format(tensors=_MPS_TENSORS) + """
    classes_ : numpy.ndarray
        The class labels.

    See Also
    --------
    TTNClassifier : the same with a tree tensor network.

    References
    ----------
    E. M. Stoudenmire and D. J. Schwab, "Supervised learning with tensor networks",
    NeurIPS 2016, arXiv:1605.05775.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from qinspired.estimators.tensor_networks import MPSClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MPSClassifier(bond_dim=4, learning_rate=0.01, max_iter=30, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    _architecture = "mps"


class MPSRegressor(RegressorMixin, RegressorImpl):
    __doc__ = r"""Matrix-product-state regressor.

    The prediction is the MPS contracted with the product state of the
    features, with an output index of size ``n_outputs`` on the middle site:

    .. math::

        \hat y^{\ell}(\mathbf{x}) = \mu_\ell + \sigma_\ell\,
        A^{[1]}(x_1) \cdots C^{\ell}(x_c) \cdots A^{[n]}(x_n),

    trained with squared error on the standardised targets
    :math:`(y - \mu)/\sigma`.
    """ + _REGRESSOR_PARAMETERS + _ATTRIBUTES.format(tensors=_MPS_TENSORS) + """
    y_mean_, y_scale_ : numpy.ndarray of shape (n_outputs,)
        The standardisation of the targets.

    See Also
    --------
    TTNRegressor : the same with a tree tensor network.

    References
    ----------
    A. Novikov, M. Trofimov and I. Oseledets, "Exponential machines",
    arXiv:1605.03795 (2016).

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.estimators.tensor_networks import MPSRegressor
    >>> X = np.random.default_rng(0).uniform(size=(200, 3))
    >>> y = np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2]
    >>> reg = MPSRegressor(bond_dim=4, local_dim=3, learning_rate=0.01, max_iter=40,
    ...                    random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.9
    True
    """

    _architecture = "mps"


class TTNClassifier(ClassifierMixin, ClassifierImpl):
    __doc__ = r"""Tree-tensor-network classifier.

    The class scores are a binary tree of tensors contracting the features
    pairwise up to a root carrying the label index,

    .. math::

        p_k = \sum_{ij} T_{ijk}\, u_i v_j \quad\text{(each node, children } u, v),
        \qquad p(\ell \mid \mathbf{x}) = \mathrm{softmax}_\ell f(\mathbf{x}),

    with depth :math:`\lceil \log_2 n \rceil` (features padded to a power of
    two with a neutral site), trained with cross-entropy by Adam. Every
    contraction path is only logarithmically long in the number of features,
    unlike the MPS chain. ``solver="sweep"`` is not available.
    """ + _CLASSIFIER_PARAMETERS + _ATTRIBUTES.format(tensors=_TTN_TENSORS) + """
    classes_ : numpy.ndarray
        The class labels.

    See Also
    --------
    MPSClassifier : the same with a matrix product state.

    References
    ----------
    D. Liu et al., "Machine learning by unitary tensor network of hierarchical
    tree structure", New J. Phys. 21, 073059 (2019).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from qinspired.estimators.tensor_networks import TTNClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = TTNClassifier(bond_dim=4, learning_rate=0.01, max_iter=30, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    _architecture = "ttn"


class TTNRegressor(RegressorMixin, RegressorImpl):
    __doc__ = r"""Tree-tensor-network regressor.

    The prediction is a binary tree tensor network (see
    :class:`TTNClassifier`) whose root carries the output index, trained with
    squared error on the standardised targets by Adam.
    """ + _REGRESSOR_PARAMETERS + _ATTRIBUTES.format(tensors=_TTN_TENSORS) + """
    y_mean_, y_scale_ : numpy.ndarray of shape (n_outputs,)
        The standardisation of the targets.

    See Also
    --------
    MPSRegressor : the same with a matrix product state.

    References
    ----------
    Y.-Y. Shi, L.-M. Duan and G. Vidal, "Classical simulation of quantum
    many-body systems with a tree tensor network", Phys. Rev. A 74, 022320 (2006).

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.estimators.tensor_networks import TTNRegressor
    >>> X = np.random.default_rng(0).uniform(size=(200, 3))
    >>> y = np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2]
    >>> reg = TTNRegressor(bond_dim=4, local_dim=3, learning_rate=0.01, max_iter=40,
    ...                    random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.9
    True
    """

    _architecture = "ttn"
