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
    """

    name: str
    family: str
    build: Callable[[int, int], Any]
    grid: dict = field(default_factory=dict)
    max_features: int | None = None
    resources: Callable[[Any, int, int], dict] | None = None


_C = [0.1, 1.0, 10.0, 100.0]
_SCALE = [0.05, 0.1, 0.25, 0.5, 1.0]
"""Bandwidths (``feature_scale``) of the ZZ kernels: scale 1 is too oscillatory for most data."""
_TN_GRID = {"bond_dim": [4, 16], "learning_rate": [1e-3, 1e-2]}

MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in [
    # -- classical ------------------------------------------------------------------
    ModelSpec("svc_rbf", "classical",
              lambda d, seed: make_pipeline(StandardScaler(), SVC()),
              {"svc__C": _C, "svc__gamma": ["scale", 0.01, 0.1, 1.0]}),
    ModelSpec("logistic", "classical",
              lambda d, seed: make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
              {"logisticregression__C": [0.01, 0.1, 1.0, 10.0, 100.0]}),
    ModelSpec("mlp", "classical",
              lambda d, seed: make_pipeline(StandardScaler(), MLPClassifier(
                  max_iter=2000, random_state=seed)),
              {"mlpclassifier__hidden_layer_sizes": [(16,), (64,), (32, 32)],
               "mlpclassifier__alpha": [1e-4, 1e-2]}),
    ModelSpec("hist_gradient_boosting", "classical",
              lambda d, seed: HistGradientBoostingClassifier(random_state=seed),
              {"learning_rate": [0.05, 0.1, 0.3], "max_depth": [None, 3]}),
    ModelSpec("random_forest", "classical",
              lambda d, seed: RandomForestClassifier(n_estimators=200, random_state=seed),
              {"max_depth": [None, 4, 8]}),
    # -- quantum-inspired -----------------------------------------------------------
    ModelSpec("kernel_product_closed_form", "quantum-inspired",
              lambda d, seed: _kernel_svc(FidelityKernel(AngleEncoding(d))),
              {"quantumkernelsvc__kernel__feature_map__feature_scale": _SCALE + [2.0],
               "quantumkernelsvc__C": _C}),
    ModelSpec("kernel_mps_chi4", "quantum-inspired",
              lambda d, seed: _kernel_svc(FidelityKernel(
                  ZZFeatureMap(d, reps=2, entanglement="linear"), backend="mps", bond_dim=4)),
              {"quantumkernelsvc__kernel__feature_map__feature_scale": _SCALE,
               "quantumkernelsvc__C": _C}),
    ModelSpec("fourier_features", "quantum-inspired",
              lambda d, seed: make_pipeline(_angles(), QuantumFourierFeatures(
                  HardwareEfficientEncoding(d, n_layers=2), n_components=200,
                  random_state=seed), RidgeClassifier()),
              {"ridgeclassifier__alpha": [1e-3, 1e-1, 10.0]}),
    ModelSpec("mps", "quantum-inspired",
              lambda d, seed: make_pipeline(_unit(), MPSClassifier(
                  bond_dim=8, max_iter=200, random_state=seed)),
              {f"mpsclassifier__{k}": v for k, v in _TN_GRID.items()}),
    ModelSpec("ttn", "quantum-inspired",
              lambda d, seed: make_pipeline(_unit(), TTNClassifier(
                  bond_dim=8, max_iter=200, random_state=seed)),
              {f"ttnclassifier__{k}": v for k, v in _TN_GRID.items()}),
    # -- true circuit -----------------------------------------------------------------
    ModelSpec("kernel_fidelity", "true-circuit",
              lambda d, seed: _kernel_svc(FidelityKernel(ZZFeatureMap(d, reps=2))),
              {"quantumkernelsvc__kernel__feature_map__feature_scale": _SCALE,
               "quantumkernelsvc__C": _C},
              max_features=14, resources=_kernel_qpu),
    ModelSpec("kernel_projected", "true-circuit",
              lambda d, seed: _kernel_svc(ProjectedKernel(ZZFeatureMap(d, reps=2))),
              {"quantumkernelsvc__kernel__feature_map__feature_scale": _SCALE,
               "quantumkernelsvc__C": _C},
              max_features=14, resources=_kernel_qpu),
    ModelSpec("kernel_fidelity_noisy", "true-circuit",
              lambda d, seed: _kernel_svc(FidelityKernel(ZZFeatureMap(d, reps=2),
                                                         noise=_noise())),
              {"quantumkernelsvc__kernel__feature_map__feature_scale": [0.1, 0.5],
               "quantumkernelsvc__C": [1.0, 10.0, 100.0]}, max_features=8,
              resources=_kernel_qpu),
    ModelSpec("kernel_fidelity_shots", "true-circuit",
              lambda d, seed: _kernel_svc(FidelityKernel(ZZFeatureMap(d, reps=2), shots=SHOTS,
                                                         psd_repair=True, random_state=seed)),
              {"quantumkernelsvc__kernel__feature_map__feature_scale": [0.1, 0.5],
               "quantumkernelsvc__C": [1.0, 10.0, 100.0]}, max_features=14,
              resources=_kernel_qpu),
    ModelSpec("variational", "true-circuit",
              lambda d, seed: make_pipeline(_angles(), VariationalCircuitClassifier(
                  ansatz="mps", n_layers=2, epochs=60, random_state=seed)),
              {"variationalcircuitclassifier__learning_rate": [0.01, 0.05]},
              max_features=12, resources=_variational_qpu),
    ModelSpec("variational_noisy", "true-circuit",
              lambda d, seed: make_pipeline(_angles(), VariationalCircuitClassifier(
                  ansatz="mps", n_layers=2, epochs=60, noise=_noise(), random_state=seed)),
              {}, max_features=6, resources=_variational_qpu),
    ModelSpec("variational_shots", "true-circuit",
              lambda d, seed: make_pipeline(_angles(), VariationalCircuitClassifier(
                  ansatz="mps", n_layers=2, epochs=60, shots=SHOTS, random_state=seed)),
              {}, max_features=12, resources=_variational_qpu),
]}
