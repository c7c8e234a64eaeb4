"""tensornetwork interop, checked with tensornetwork's own contractors and FiniteMPS methods."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensornetwork as tn

from qinspired import ZZFeatureMap, circuit_to_tensornetwork, statevector
from qinspired.circuits import Circuit, Operation, feature, weight
from qinspired.tn import MPS, from_tensornetwork, random_mps, to_tensornetwork

Z = np.diag([1.0, -1.0])


def _tn_dense(tensors) -> np.ndarray:
    """The state of a list of (left, phys, right) tensors, contracted by tensornetwork."""
    nodes = [tn.Node(np.asarray(t)) for t in tensors]
    for a, b in zip(nodes[:-1], nodes[1:]):
        a[2] ^ b[0]
    out = [nodes[0][0]] + [node[1] for node in nodes] + [nodes[-1][2]]
    return tn.contractors.greedy(nodes, output_edge_order=out).tensor.reshape(-1)


def _numpy_dense(tensors) -> np.ndarray:
    out = np.ones((1, 1))
    for t in tensors:
        t = np.asarray(t)
        out = np.einsum("pa,asb->psb", out, t).reshape(-1, t.shape[2])
    return out[:, 0]


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.complex64])
def test_round_trip_is_exact(dtype) -> None:
    mps = random_mps(jax.random.key(0), 5, 3, 4, dtype=dtype)
    fmps = to_tensornetwork(mps)
    assert fmps.center_position is None and fmps.dtype == np.dtype(dtype)
    assert fmps.bond_dimensions == [1, *mps.bond_dims, 1]
    assert fmps.physical_dimensions == list(mps.phys_dims)
    back = from_tensornetwork(fmps)
    assert isinstance(back, MPS)
    for a, b in zip(mps.tensors, back.tensors):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # the state tensornetwork holds is ours, by its own contraction
    np.testing.assert_allclose(_tn_dense(fmps.tensors), _numpy_dense(mps.tensors), atol=1e-6)


def test_round_trip_of_float64_under_x64_and_the_jax_backend() -> None:
    with jax.enable_x64(True):
        mps = random_mps(jax.random.key(1), 4, 2, 3, dtype=jnp.complex128)
        for backend in ("numpy", "jax"):
            fmps = to_tensornetwork(mps, backend=backend)
            assert fmps.backend.name == backend and fmps.dtype == np.complex128
            back = from_tensornetwork(fmps)
            for a, b in zip(mps.tensors, back.tensors):
                assert b.dtype == jnp.complex128
                np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_canonical_export_matches_tensornetworks_measurements() -> None:
    with jax.enable_x64(True):
        mps = random_mps(jax.random.key(2), 5, 2, 4, dtype=jnp.float64)
        tensors = [np.asarray(t) * 1.7 for t in mps.tensors]  # not normalised
        psi = _numpy_dense(tensors)
        fmps = to_tensornetwork(MPS(tuple(jnp.asarray(t) for t in tensors)), center_position=2)
    assert fmps.center_position == 2
    assert float(fmps.check_canonical()) < 1e-10
    unit = psi / np.linalg.norm(psi)
    np.testing.assert_allclose(_tn_dense(fmps.tensors), unit, atol=1e-10)
    for site in range(5):
        op = np.kron(np.kron(np.eye(2**site), Z), np.eye(2 ** (4 - site)))
        (got,) = fmps.measure_local_operator([Z], [site])
        assert got == pytest.approx(unit @ op @ unit, abs=1e-10)


def test_import_of_a_random_finite_mps_with_a_connector() -> None:
    fmps = tn.FiniteMPS.random([2, 3, 2, 2], [2, 4, 2], dtype=np.float64)
    psi = _tn_dense(fmps.tensors)
    assert np.linalg.norm(psi) == pytest.approx(1.0)       # FiniteMPS.random is normalised
    with jax.enable_x64(True):
        mps = from_tensornetwork(fmps)
        assert mps.phys_dims == (2, 3, 2, 2) and mps.bond_dims == (2, 4, 2)
        np.testing.assert_allclose(_numpy_dense(mps.tensors), psi, atol=1e-12)
        (z0,) = fmps.measure_local_operator([Z], [0])
        assert z0 == pytest.approx(psi @ np.kron(Z, np.eye(12)) @ psi, abs=1e-12)
        fmps.connector_matrix = np.array([[2.5]])
        np.testing.assert_allclose(_numpy_dense(from_tensornetwork(fmps).tensors), 2.5 * psi,
                                   atol=1e-12)


def test_bad_arguments() -> None:
    mps = random_mps(jax.random.key(0), 3, 2, 2)
    with pytest.raises(TypeError, match="qinspired.tn.MPS"):
        to_tensornetwork([np.ones((1, 2, 1))])
    for bad in (-1, 3, 1.0, True):
        with pytest.raises(ValueError, match="center_position"):
            to_tensornetwork(mps, center_position=bad)
    with pytest.raises(TypeError, match="FiniteMPS"):
        from_tensornetwork(mps)
    with pytest.raises(TypeError, match="FiniteMPS"):
        from_tensornetwork(tn.InfiniteMPS.random([2, 2], [2, 2, 2], dtype=np.float64))
    open_ends = tn.FiniteMPS([np.ones((2, 2, 2)), np.ones((2, 2, 2))], canonicalize=False)
    with pytest.raises(ValueError, match="outer bonds"):
        from_tensornetwork(open_ends)


# -- circuits ------------------------------------------------------------------------------

def _reference_circuit() -> Circuit:
    """Parametrised, controlled, long-range, custom and adjoint gates, reading data and weights."""
    rng = np.random.default_rng(0)
    u = np.linalg.qr(rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4)))[0]
    return Circuit(4, [
        ("h", 0), ("ry", 1, feature(0)), ("rx", 3, 2 * feature(1)), ("cx", (0, 1)),
        ("crx", (3, 0), weight(0)), ("rzz", (1, 3), feature(0) * feature(1)),
        ("unitary", (2, 1), u), ("u3", 2, weight(1), 0.2, -0.5), ("ccx", (0, 3, 2)),
        Operation("s", (3,), (), True), Operation("t", (0,), (), True), ("iswap", (3, 1)),
    ], n_features=2, n_weights=2)


@pytest.mark.parametrize("contractor", ["auto", "greedy", "optimal"])
def test_circuit_contraction_equals_the_statevector(contractor) -> None:
    circ = _reference_circuit()
    x, w = np.array([0.3, -1.2]), np.array([0.8, 1.9])
    nodes, edges = circuit_to_tensornetwork(circ, x, w)
    assert len(nodes) == circ.n_qubits + len(circ)
    assert all(e.is_dangling() for e in edges)
    assert [e.node1.name for e in edges] == ["t_10", "iswap_11", "ccx_8", "iswap_11"]
    psi = getattr(tn.contractors, contractor)(nodes, output_edge_order=edges).tensor
    assert psi.shape == (2,) * 4
    with jax.enable_x64(True):
        want = np.asarray(statevector(circ, x, w))
    np.testing.assert_allclose(psi.reshape(-1), want, atol=1e-12)


def test_feature_map_for_one_data_point_on_the_jax_backend() -> None:
    fmap = ZZFeatureMap(3, reps=2, feature_scale=1.0)
    x = np.array([0.4, -0.7, 1.1])
    nodes, edges = circuit_to_tensornetwork(fmap, x, backend="jax")
    assert nodes[0].backend.name == "jax"
    psi = np.asarray(tn.contractors.auto(nodes, output_edge_order=edges).tensor).reshape(-1)
    with jax.enable_x64(True):
        want = np.asarray(statevector(fmap, x))
    np.testing.assert_allclose(psi, want, atol=1e-6)  # complex64: JAX without x64


def test_missing_or_wrong_inputs_are_refused() -> None:
    circ = _reference_circuit()
    with pytest.raises(ValueError, match="reads x and weights"):
        circuit_to_tensornetwork(circ)
    with pytest.raises(ValueError, match="reads weights"):
        circuit_to_tensornetwork(circ, x=[0.1, 0.2])
    with pytest.raises(ValueError, match="3 features"):
        circuit_to_tensornetwork(circ, x=[0.1, 0.2, 0.3], weights=[0.0, 0.0])
    with pytest.raises(TypeError, match="Circuit"):
        circuit_to_tensornetwork("not a circuit")
