r"""Quantum kernels and their quantum-inspired approximations, shipped as :mod:`qinspired.kernels`.

This folder sits at the top of the repository and is installed as the subpackage
``qinspired.kernels`` (see ``[tool.setuptools.package-dir]`` in ``pyproject.toml``).
Always import it as ``qinspired.kernels``, never as ``kernels``.

* :class:`FidelityKernel`: :math:`k(x, x') = |\langle \psi(x) | \psi(x') \rangle|^2`
  (and :math:`\mathrm{Tr}(\rho_x \rho_{x'})` under noise), as one tiled matrix product of
  states, or as :math:`N^2` compute-uncompute circuits (``mode="circuit"``).
* :class:`ProjectedKernel`: a Gaussian kernel on one-qubit reduced density matrices.
* State backends: exact statevectors, closed forms for product feature maps, MPS
  simulation at bond dimension :math:`\chi`, noisy density matrices.
* :func:`~qinspired.kernels.gram.gram_matrix`: the tiled, sharded Gram engine.
* Random Fourier features of Pauli-encoded circuits (:mod:`qinspired.kernels.fourier`) and
  kernel diagnostics (:mod:`qinspired.kernels.diagnostics`): concentration, alignment,
  geometric difference, effective dimension.
* :class:`QuantumNystroem`: low-rank (Nystroem) features of any of these kernels, for linear
  models on large data sets. It is a scikit-learn transformer that lives in
  :mod:`qinspired.estimators` and is loaded from there on first access, so importing this
  package never imports scikit-learn.
"""

from typing import Any as _Any


from qinspired.kernels._base import KernelStates, QuantumKernel
from qinspired.kernels.diagnostics import (
    KernelConcentration,
    KernelConcentrationWarning,
    effective_dimension,
    geometric_difference,
    kernel_concentration,
    kernel_target_alignment,
    warn_if_concentrated,
)
from qinspired.kernels.fidelity import FidelityKernel, psd_repair
from qinspired.kernels.fourier import (
    PAULI_ENCODING_GATES,
    SAMPLINGS,
    Spectrum,
    encoding_spectrum,
    enumerate_frequencies,
    fourier_features,
    pauli_encoding_coefficients,
    sample_frequencies,
)
from qinspired.kernels.gram import gram_matrix
from qinspired.kernels.projected import ProjectedKernel

__all__ = [
    "FidelityKernel",
    "KernelConcentration",
    "KernelConcentrationWarning",
    "KernelStates",
    "PAULI_ENCODING_GATES",
    "ProjectedKernel",
    "QuantumKernel",
    "QuantumNystroem",
    "SAMPLINGS",
    "Spectrum",
    "effective_dimension",
    "encoding_spectrum",
    "enumerate_frequencies",
    "fourier_features",
    "geometric_difference",
    "gram_matrix",
    "kernel_concentration",
    "kernel_target_alignment",
    "pauli_encoding_coefficients",
    "psd_repair",
    "sample_frequencies",
    "warn_if_concentrated",
]

#: Names served from the scikit-learn layer on first access (see the module documentation).
_SKLEARN_LAYER = frozenset({"QuantumNystroem"})


def __getattr__(name: str) -> _Any:
    """Load :class:`QuantumNystroem` from :mod:`qinspired.estimators` on first access."""
    if name in _SKLEARN_LAYER:
        import importlib

        value = getattr(importlib.import_module("qinspired.estimators.nystroem"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'qinspired.kernels' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SKLEARN_LAYER)
