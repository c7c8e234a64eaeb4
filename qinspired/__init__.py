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
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

try:
    __version__: str = _version("qinspired")
except _PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"

from qinspired._info import info


def _map_checkout_kernels() -> None:
    """Make ``qinspired.kernels`` importable from a source checkout that is not installed.

    Installed, ``kernels/`` ships inside the package (setuptools' package-dir
    mapping). When Python imports this folder straight from a checkout (e.g.
    ``python -m qinspired`` run in the repository root), the subpackage sits
    beside it instead; load it from there under its installed name.
    """
    import importlib.util
    import sys
    from pathlib import Path

    if "qinspired.kernels" in sys.modules or importlib.util.find_spec("qinspired.kernels"):
        return
    init = Path(__file__).resolve().parent.parent / "kernels" / "__init__.py"
    if not init.is_file():
        return
    spec = importlib.util.spec_from_file_location("qinspired.kernels", init,
                                                  submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["qinspired.kernels"] = module
    spec.loader.exec_module(module)


_map_checkout_kernels()

# ---------------------------------------------------------------------------------------
# Public re-exports: one `from qinspired.<module> import <name>` line per public name,
# each name also added to `__all__` below (kept sorted; a test checks). The estimators
# (the scikit-learn layer) load on first access, so the core imports without scikit-learn.
# ---------------------------------------------------------------------------------------

from qinspired.circuits import (
    Circuit,
    CircuitBuilder,
    SimulationTooLargeError,
    circuit_to_tensornetwork,
    expval,
    feature,
    from_qasm,
    pauli,
    statevector,
    to_qasm,
    weight,
)
from qinspired.feature_maps import (
    AmplitudeEncoding,
    AngleEncoding,
    HamiltonianEvolutionEncoding,
    HardwareEfficientEncoding,
    IQPFeatureMap,
    PauliFeatureMap,
    ZZFeatureMap,
)
from qinspired.persistence import load, save

if _TYPE_CHECKING:
    from qinspired.estimators import (
        MPSAnomalyDetector,
        MPSClassifier,
        MPSRegressor,
        QuantumFourierFeatures,
        QuantumKernelPCA,
        QuantumKernelRidge,
        QuantumKernelSVC,
        QuantumKernelSVR,
        QuantumNystroem,
        TTNClassifier,
        TTNRegressor,
        VariationalCircuitClassifier,
        VariationalCircuitRegressor,
    )

_ESTIMATORS = frozenset({
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
})


def __getattr__(name: str) -> _Any:
    """Load an estimator from :mod:`qinspired.estimators` (and scikit-learn) on first access."""
    if name in _ESTIMATORS:
        import importlib

        value = getattr(importlib.import_module("qinspired.estimators"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'qinspired' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _ESTIMATORS)

# ---------------------------------------------------------------------------------------

__all__ = [
    "AmplitudeEncoding",
    "AngleEncoding",
    "Circuit",
    "CircuitBuilder",
    "HamiltonianEvolutionEncoding",
    "HardwareEfficientEncoding",
    "IQPFeatureMap",
    "MPSAnomalyDetector",
    "MPSClassifier",
    "MPSRegressor",
    "PauliFeatureMap",
    "QuantumFourierFeatures",
    "QuantumKernelPCA",
    "QuantumKernelRidge",
    "QuantumKernelSVC",
    "QuantumKernelSVR",
    "QuantumNystroem",
    "SimulationTooLargeError",
    "TTNClassifier",
    "TTNRegressor",
    "VariationalCircuitClassifier",
    "VariationalCircuitRegressor",
    "ZZFeatureMap",
    "__version__",
    "circuit_to_tensornetwork",
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
