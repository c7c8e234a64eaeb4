"""The fidelity kernel against Qiskit Machine Learning's statevector kernel."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from qinspired import ZZFeatureMap
from qinspired.kernels import FidelityKernel

pytestmark = pytest.mark.peers


@pytest.mark.parametrize("n, entanglement", [(3, "linear"), (4, "full")])
def test_fidelity_gram_equals_qiskit_ml(n, entanglement):
    pytest.importorskip("qiskit_machine_learning")
    from qiskit.circuit.library import zz_feature_map
    from qiskit_machine_learning.kernels import FidelityStatevectorKernel

    rng = np.random.default_rng(n)
    X, Y = rng.uniform(0, 2, (7, n)), rng.uniform(0, 2, (5, n))
    theirs = FidelityStatevectorKernel(
        feature_map=zz_feature_map(n, reps=2, entanglement=entanglement))
    ours = FidelityKernel(ZZFeatureMap(n, reps=2, entanglement=entanglement, feature_scale=1.0))
    with jax.enable_x64(True):
        np.testing.assert_allclose(ours(X, Y), theirs.evaluate(X, Y), atol=1e-6)
        np.testing.assert_allclose(ours(X), theirs.evaluate(X), atol=1e-6)
