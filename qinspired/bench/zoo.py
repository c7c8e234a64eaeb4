"""The benchmark's models and their hyper-parameter grids, kept as data in one place.

Every entry builds an unfitted scikit-learn pipeline (preprocessing included, so
nothing is fitted on test data) for a data set with ``n_features`` features,
names the grid that cross-validation searches on the training split, and says
which of the three families it belongs to:

* ``"classical"``: tuned classical baselines;
* ``"quantum-inspired"``: classical models built from circuit structure
  (tensor networks, closed-form and MPS-simulated kernels, random Fourier
  features of Pauli encodings);
* ``"true-circuit"``: exact simulations of the circuits themselves, noiseless,
  noisy (density matrix) and with finite shots; these also report what a QPU
  run would need (:mod:`qinspired.circuits.resources`).

Angle encodings read features scaled to ``[0, pi]``; tensor networks read
``[0, 1]``; classical models standardised features.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC

from qinspired.circuits import NoiseModel, channels
from qinspired.circuits.resources import kernel_resources, variational_resources
from qinspired.estimators.fourier import QuantumFourierFeatures
from qinspired.estimators.kernel_models import QuantumKernelSVC
from qinspired.estimators.tensor_networks import MPSClassifier, TTNClassifier
from qinspired.estimators.variational import VariationalCircuitClassifier
from qinspired.feature_maps import AngleEncoding, HardwareEfficientEncoding, ZZFeatureMap
from qinspired.kernels import FidelityKernel, ProjectedKernel

__all__ = ["FAMILIES", "MODELS", "ModelSpec"]

FAMILIES = ("classical", "quantum-inspired", "true-circuit")

NOISE_P = 0.01
"""Depolarizing strength after every gate for the noisy true-circuit models."""
SHOTS = 1000
"""Shots per Gram entry / expectation value for the finite-shot models."""


def _angles() -> MinMaxScaler:
    return MinMaxScaler(feature_range=(0.0, math.pi), clip=True)


def _unit() -> MinMaxScaler:
    return MinMaxScaler(feature_range=(0.0, 1.0), clip=True)


def _noise() -> NoiseModel:
    return NoiseModel().add_all_qubit(channels.Depolarizing(NOISE_P))


def _kernel_svc(kernel: Any) -> Pipeline:
    return make_pipeline(_angles(), QuantumKernelSVC(kernel=kernel))


def _kernel_qpu(model: Pipeline, n_train: int, n_test: int) -> dict:
    svc = model[-1]
    return kernel_resources(svc.kernel_.circuit(svc.n_features_in_), n_train, n_test)


def _variational_qpu(model: Pipeline, n_train: int, n_test: int) -> dict:
    clf = model[-1]
    return variational_resources(clf.circuit_, n_train, n_test, epochs=clf.n_iter_,
                                 n_observables=len(clf.classes_))


@dataclass(frozen=True)
class ModelSpec:
    """One benchmark model.

    Attributes
    ----------
    name, family : str
    build : callable
        ``(n_features, seed) -> unfitted pipeline``.
    grid : dict
        Parameter grid for ``GridSearchCV`` (pipeline step names as prefixes);
        empty: fitted once with its defaults.
    max_features : int or None
        Skip data sets with more features (e.g. statevector cost ``2**n``).
    resources : callable, optional
        ``(fitted model, n_train, n_test) -> dict`` of QPU resources.
    counterpart : str or None
        For a true-circuit model, the quantum-inspired model built on the same
        circuit, and the other way round (the pairing is symmetric).
    about : str
        One line for ``qinspired bench --list``.
    """

    name: str
    family: str
    build: Callable[[int, int], Any]
    grid: dict = field(default_factory=dict)
    max_features: int | None = None
    resources: Callable[[Any, int, int], dict] | None = None
    counterpart: str | None = None
    about: str = ""


_C = [0.1, 1.0, 10.0, 100.0]
_SCALE = [0.05, 0.1, 0.25, 0.5, 1.0]
"""Bandwidths (``feature_scale``) of the ZZ kernels: scale 1 is too oscillatory for most data."""
_TN_GRID = {"bond_dim": [4, 16], "learning_rate": [1e-3, 1e-2]}
_ZZ_GRID = {"quantumkernelsvc__kernel__feature_map__feature_scale": _SCALE,
            "quantumkernelsvc__C": _C}
_VARIATIONAL_LAYERS = 2
"""Staircase layers of the variational MPS ansatz: an MPS of bond dimension ``2**layers``."""


def _zz(d: int) -> ZZFeatureMap:
    """The ZZ map shared by the exact kernels and their MPS-simulated counterparts."""
    return ZZFeatureMap(d, reps=2, entanglement="linear")


def _variational(seed: int, **kwargs: Any) -> Pipeline:
    return make_pipeline(_angles(), VariationalCircuitClassifier(
        ansatz="mps", n_layers=_VARIATIONAL_LAYERS, epochs=60, random_state=seed, **kwargs))


MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in [
    # -- classical ------------------------------------------------------------------
    ModelSpec("svc_rbf", "classical",
              lambda d, seed: make_pipeline(StandardScaler(), SVC()),
              {"svc__C": _C, "svc__gamma": ["scale", 0.01, 0.1, 1.0]},
              about="SVC with an RBF kernel, C and gamma tuned"),
    ModelSpec("logistic", "classical",
              lambda d, seed: make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
              {"logisticregression__C": [0.01, 0.1, 1.0, 10.0, 100.0]},
              about="logistic regression, C tuned"),
    ModelSpec("mlp", "classical",
              lambda d, seed: make_pipeline(StandardScaler(), MLPClassifier(
                  max_iter=2000, random_state=seed)),
              {"mlpclassifier__hidden_layer_sizes": [(16,), (64,), (32, 32)],
               "mlpclassifier__alpha": [1e-4, 1e-2]},
              about="multi-layer perceptron, width/depth and L2 penalty tuned"),
    ModelSpec("hist_gradient_boosting", "classical",
              lambda d, seed: HistGradientBoostingClassifier(random_state=seed),
              {"learning_rate": [0.05, 0.1, 0.3], "max_depth": [None, 3]},
              about="histogram gradient boosting, learning rate and depth tuned"),
    ModelSpec("random_forest", "classical",
              lambda d, seed: RandomForestClassifier(n_estimators=200, random_state=seed),
              {"max_depth": [None, 4, 8]},
              about="random forest of 200 trees, depth tuned"),
    # -- quantum-inspired -----------------------------------------------------------
    ModelSpec("kernel_product_closed_form", "quantum-inspired",
              lambda d, seed: _kernel_svc(FidelityKernel(AngleEncoding(d))),
              {"quantumkernelsvc__kernel__feature_map__feature_scale": _SCALE + [2.0],
               "quantumkernelsvc__C": _C},
              about="closed-form fidelity kernel of the unentangled angle encoding"),
    ModelSpec("kernel_mps_chi2", "quantum-inspired",
              lambda d, seed: _kernel_svc(FidelityKernel(_zz(d), backend="mps", bond_dim=2)),
              _ZZ_GRID, counterpart="kernel_fidelity",
              about="fidelity kernel of the linear ZZ map simulated as an MPS of bond "
                    "dimension 2 (below exact from 4 qubits)"),
    ModelSpec("kernel_mps_chi4", "quantum-inspired",
              lambda d, seed: _kernel_svc(FidelityKernel(_zz(d), backend="mps", bond_dim=4)),
              _ZZ_GRID,
              about="fidelity kernel of the linear ZZ map simulated as an MPS of bond "
                    "dimension 4 (below exact from 6 qubits)"),
    ModelSpec("fourier_features", "quantum-inspired",
              lambda d, seed: make_pipeline(_angles(), QuantumFourierFeatures(
                  HardwareEfficientEncoding(d, n_layers=2, feature_scale=1.0), n_components=200,
                  random_state=seed), RidgeClassifier()),
              {"ridgeclassifier__alpha": [1e-3, 1e-1, 10.0]},
              about="random Fourier features of a re-uploading circuit, ridge classifier"),
    ModelSpec("mps_chi4", "quantum-inspired",
              lambda d, seed: make_pipeline(_unit(), MPSClassifier(
                  bond_dim=2 ** _VARIATIONAL_LAYERS, max_iter=200, random_state=seed)),
              {"mpsclassifier__learning_rate": [1e-3, 1e-2]}, counterpart="variational",
              about="MPS classifier of bond dimension 4, the variational ansatz's bond "
                    "dimension"),
    ModelSpec("mps", "quantum-inspired",
              lambda d, seed: make_pipeline(_unit(), MPSClassifier(
                  bond_dim=8, max_iter=200, random_state=seed)),
              {f"mpsclassifier__{k}": v for k, v in _TN_GRID.items()},
              about="MPS classifier, bond dimension and learning rate tuned"),
    ModelSpec("ttn", "quantum-inspired",
              lambda d, seed: make_pipeline(_unit(), TTNClassifier(
                  bond_dim=8, max_iter=200, random_state=seed)),
              {f"ttnclassifier__{k}": v for k, v in _TN_GRID.items()},
              about="tree tensor network classifier, bond dimension and learning rate tuned"),
    # -- true circuit -----------------------------------------------------------------
    ModelSpec("kernel_fidelity", "true-circuit",
              lambda d, seed: _kernel_svc(FidelityKernel(_zz(d))),
              _ZZ_GRID, max_features=14, resources=_kernel_qpu, counterpart="kernel_mps_chi2",
              about="fidelity kernel of the linear ZZ map, exact statevector"),
    ModelSpec("kernel_projected", "true-circuit",
              lambda d, seed: _kernel_svc(ProjectedKernel(_zz(d))),
              _ZZ_GRID, max_features=14, resources=_kernel_qpu,
              about="projected (one-qubit reduced states) kernel of the linear ZZ map, exact"),
    ModelSpec("kernel_fidelity_noisy", "true-circuit",
              lambda d, seed: _kernel_svc(FidelityKernel(_zz(d), noise=_noise())),
              {"quantumkernelsvc__kernel__feature_map__feature_scale": [0.1, 0.5],
               "quantumkernelsvc__C": [1.0, 10.0, 100.0]}, max_features=8,
              resources=_kernel_qpu,
              about=f"fidelity kernel of the linear ZZ map, depolarizing p={NOISE_P} after "
                    "every gate (density matrix)"),
    ModelSpec("kernel_fidelity_shots", "true-circuit",
              lambda d, seed: _kernel_svc(FidelityKernel(_zz(d), shots=SHOTS, psd_repair=True,
                                                         random_state=seed)),
              {"quantumkernelsvc__kernel__feature_map__feature_scale": [0.1, 0.5],
               "quantumkernelsvc__C": [1.0, 10.0, 100.0]}, max_features=14,
              resources=_kernel_qpu,
              about=f"fidelity kernel of the linear ZZ map from {SHOTS} shots per entry"),
    ModelSpec("variational", "true-circuit",
              lambda d, seed: _variational(seed),
              {"variationalcircuitclassifier__learning_rate": [0.01, 0.05]},
              max_features=12, resources=_variational_qpu, counterpart="mps_chi4",
              about="variational MPS-ansatz circuit (2 staircase layers = bond dimension 4), "
                    "exact"),
    ModelSpec("variational_noisy", "true-circuit",
              lambda d, seed: _variational(seed, noise=_noise()),
              {}, max_features=6, resources=_variational_qpu,
              about=f"the variational circuit with depolarizing p={NOISE_P} (density matrix)"),
    ModelSpec("variational_shots", "true-circuit",
              lambda d, seed: _variational(seed, shots=SHOTS),
              {}, max_features=12, resources=_variational_qpu,
              about=f"the variational circuit predicting from {SHOTS} shots"),
]}
