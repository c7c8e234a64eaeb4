"""The scikit-learn layer: estimators and transformers over the JAX core.

Each estimator validates its input with scikit-learn's helpers, calls the pure
core (:mod:`qinspired.kernels`, :mod:`qinspired.tn`, :mod:`qinspired.circuits`),
and stores its fitted attributes as NumPy arrays. The public names are
re-exported from :mod:`qinspired`.
"""

from qinspired.estimators.anomaly import MPSAnomalyDetector
from qinspired.estimators.fourier import QuantumFourierFeatures
from qinspired.estimators.kernel_models import (
    QuantumKernelPCA,
    QuantumKernelRidge,
    QuantumKernelSVC,
    QuantumKernelSVR,
)
from qinspired.estimators.nystroem import QuantumNystroem
from qinspired.estimators.tensor_networks import (
    MPSClassifier,
    MPSRegressor,
    TTNClassifier,
    TTNRegressor,
)
from qinspired.estimators.variational import (
    VariationalCircuitClassifier,
    VariationalCircuitRegressor,
)

__all__ = [
    "MPSAnomalyDetector",
    "MPSClassifier",
    "MPSRegressor",
    "QuantumFourierFeatures",
    "QuantumKernelPCA",
    "QuantumKernelRidge",
    "QuantumKernelSVC",
    "QuantumKernelSVR",
    "QuantumNystroem",
    "TTNClassifier",
    "TTNRegressor",
    "VariationalCircuitClassifier",
    "VariationalCircuitRegressor",
]
