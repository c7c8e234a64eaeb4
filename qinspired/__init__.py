"""qinspired: quantum-inspired machine learning in JAX.

Classical models that borrow the structure of quantum circuits (tensor networks, product
and MPS-simulated feature-map kernels, random Fourier features of Pauli encodings), each
paired with the exact simulation of the circuit it imitates so the two can be compared on
the same data. Users meet the models as scikit-learn estimators; underneath is a pure-JAX
core of jitted functions over pytrees.

Run ``qinspired info`` (or call :func:`qinspired.info`) to see the versions and devices
in use.
"""

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__: str = _version("qinspired")
except _PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"

from qinspired._info import info

# ---------------------------------------------------------------------------------------
# Public re-exports: one `from qinspired.<module> import <name>` line per public name,
# each name also added to `__all__` below (kept sorted; a test checks).
# ---------------------------------------------------------------------------------------

from qinspired.circuits import (
    Circuit,
    CircuitBuilder,
    expval,
    feature,
    from_qasm,
    pauli,
    statevector,
    to_qasm,
    weight,
)
from qinspired.estimators import (
    MPSClassifier,
    MPSRegressor,
    QuantumFourierFeatures,
    QuantumKernelPCA,
    QuantumKernelRidge,
    QuantumKernelSVC,
    QuantumKernelSVR,
    TTNClassifier,
    TTNRegressor,
    VariationalCircuitClassifier,
    VariationalCircuitRegressor,
)
from qinspired.feature_maps import (
    AmplitudeEncoding,
    AngleEncoding,
    HardwareEfficientEncoding,
    IQPFeatureMap,
    PauliFeatureMap,
    ZZFeatureMap,
)
from qinspired.persistence import load, save

# ---------------------------------------------------------------------------------------

__all__ = [
    "AmplitudeEncoding",
    "AngleEncoding",
    "Circuit",
    "CircuitBuilder",
    "HardwareEfficientEncoding",
    "IQPFeatureMap",
    "MPSClassifier",
    "MPSRegressor",
    "PauliFeatureMap",
    "QuantumFourierFeatures",
    "QuantumKernelPCA",
    "QuantumKernelRidge",
    "QuantumKernelSVC",
    "QuantumKernelSVR",
    "TTNClassifier",
    "TTNRegressor",
    "VariationalCircuitClassifier",
    "VariationalCircuitRegressor",
    "ZZFeatureMap",
    "__version__",
    "expval",
    "feature",
    "from_qasm",
    "info",
    "load",
    "pauli",
    "save",
    "statevector",
    "to_qasm",
    "weight",
]
