"""MPS circuit simulation against the exact statevector."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from _dense import random_circuit

from qinspired.circuits import Circuit, statevector
from qinspired.circuits.mps_sim import mps_state
from qinspired.feature_maps import ZZFeatureMap


@pytest.mark.parametrize("seed", range(4))
def test_full_bond_dimension_is_exact_for_random_circuits(seed: int) -> None:
    """Long-range, reversed and three-qubit gates, routed with SWAPs."""
    n = 3 + seed % 3
    circuit, dense, x = random_circuit(np.random.default_rng(seed), n, 25, with_data=True)
    with jax.enable_x64(True):
        res = mps_state(circuit, x, max_bond=2 ** (n // 2))
        np.testing.assert_allclose(np.asarray(res.to_statevector()), dense[:, 0], atol=1e-11)
        assert float(res.truncation_error) < 1e-7


def test_truncation_error_bounds_the_infidelity_and_shrinks_with_chi() -> None:
    fm = ZZFeatureMap(5, reps=2, entanglement="full", feature_scale=0.3)
    X = np.random.default_rng(0).uniform(0, 1, size=(3, 5))
    with jax.enable_x64(True):
        exact = np.asarray(statevector(fm, X))
        errors = []
        for chi in (1, 2, 4):
            res = mps_state(fm, X, max_bond=chi)
            approx = np.asarray(res.to_statevector())
            np.testing.assert_allclose(np.linalg.norm(approx, axis=1), 1.0, atol=1e-12)
            infidelity = 1 - np.abs(np.sum(exact.conj() * approx, axis=1)) ** 2
            err = np.asarray(res.truncation_error)
            assert np.all(infidelity <= 2 * err**2 + 1e-10)
            errors.append(err.max())
        assert errors[-1] < 1e-7
        assert all(b <= a + 1e-12 for a, b in zip(errors, errors[1:]))


def test_many_qubits_beyond_statevector_reach() -> None:
    """A 40-qubit linear ZZ map: a statevector would need 2**40 amplitudes (8 TiB)."""
    fm = ZZFeatureMap(40, reps=1, entanglement="linear")
    res = mps_state(fm, np.linspace(0, 1, 40), max_bond=4)
    assert res.mps.n_sites == 40 and max(res.mps.bond_dims) <= 4
    assert np.isfinite(float(res.truncation_error))


def test_bad_bond_dimension() -> None:
    with pytest.raises(ValueError, match="max_bond"):
        mps_state(Circuit(2, [("h", 0)]), max_bond=0)


def test_block_plan_groups_gates_within_a_multi_qubit_gate() -> None:
    """Hand-derived grouping: a gate joins the open block only when its wires lie inside."""
    from qinspired.circuits._engine.plan import block_plan

    circuit = Circuit(3, [("h", 0), ("cx", (0, 1)), ("rz", 1, 0.3), ("cx", (1, 0)), ("h", 2),
                          ("cx", (1, 2)), ("x", 1), ("h", 0), ("ry", 0, 0.1)])
    blocks = [(b.wires, [g.op.name for g in b.gates]) for b in block_plan(circuit.operations)]
    assert blocks == [((0,), ["h"]), ((0, 1), ["cx", "rz", "cx"]), ((2,), ["h"]),
                      ((1, 2), ["cx", "x"]), ((0,), ["h"]), ((0,), ["ry"])]
    ids = [g.param_ids for b in block_plan(circuit.operations) for g in b.gates]
    assert ids == [(), (), (0,), (), (), (), (), (), (1,)]
