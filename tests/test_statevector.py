"""The exact statevector simulator against dense NumPy references."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _dense import (
    central_differences,
    embed,
    pauli_matrix,
    random_circuit,
    textbook,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from qinspired._validation import SimulationTooLargeError
from qinspired.circuits import (
    GATES,
    Circuit,
    CircuitBuilder,
    expval,
    feature,
    gate_matrix,
    pauli,
    statevector,
    statevector_fn,
    unitary,
    weight,
)
from qinspired.circuits._engine.plan import DiagStep, LayerStep, plan
from qinspired.circuits.statevector import _run

NAMED = sorted(g for g in GATES if g != "unitary")


@pytest.mark.parametrize("name", NAMED)
def test_every_registered_gate_matches_its_textbook_matrix(name: str) -> None:
    rng = np.random.default_rng(0)
    params = tuple(rng.uniform(-np.pi, np.pi, size=GATES[name].n_params))
    u = gate_matrix(name, params, dtype=jnp.complex64)
    np.testing.assert_allclose(u, textbook(name, params), atol=1e-6)
    np.testing.assert_allclose(u @ u.conj().T, np.eye(len(u)), atol=1e-6)


@pytest.mark.parametrize("name", NAMED)
def test_every_gate_in_a_circuit_on_reversed_long_range_wires(name: str) -> None:
    n, k = 4, GATES[name].n_wires
    wires = (3, 0, 2)[:k]
    params = tuple(np.linspace(0.3, 1.1, GATES[name].n_params))
    c = Circuit(n, [(name, wires, *params)])
    with jax.enable_x64(True):
        got = unitary(c)
    np.testing.assert_allclose(got, embed(textbook(name, params), wires, n), atol=1e-10)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("fuse", [True, False])
def test_random_circuits_equal_dense_kron_unitaries(seed: int, fuse: bool) -> None:
    rng = np.random.default_rng(seed)
    n = 1 + seed % 6
    circuit, dense, x = random_circuit(rng, n, 25, with_data=True)
    with jax.enable_x64(True):
        psi = np.asarray(statevector(circuit, x, fuse=fuse))
        u = unitary(circuit, x)
    np.testing.assert_allclose(psi, dense[:, 0], atol=1e-10)
    np.testing.assert_allclose(u, dense, atol=1e-10)


def zz_like(n: int, reps: int) -> Circuit:
    """H layer, P(2x) layer and CX-P-CX pairs: the structure of the ZZ feature map."""
    ops = []
    for _ in range(reps):
        ops += [("h", i) for i in range(n)]
        ops += [("p", i, feature(i, 2.0)) for i in range(n)]
        for i in range(n):
            for j in range(i + 1, n):
                phi = (np.pi - feature(i)) * (np.pi - feature(j)) * 2.0
                ops += [("cx", (i, j)), ("p", j, phi), ("cx", (i, j))]
    return Circuit(n, ops)


def test_structured_fast_path_is_taken_and_equals_gate_by_gate() -> None:
    n = 5
    c = zz_like(n, 2)
    steps = plan(c.operations, n, True)
    assert [type(s) for s in steps] == [LayerStep, DiagStep] * 2
    x = np.random.default_rng(1).uniform(0, 2, size=(4, n))
    with jax.enable_x64(True):
        fast = np.asarray(statevector(c, x))
        slow = np.asarray(statevector(c, x, fuse=False))
    np.testing.assert_allclose(fast, slow, atol=1e-11)


@pytest.mark.parametrize("n", [1, 2, 5, 6])
def test_diagonal_runs_with_many_body_parities_equal_gate_by_gate(n: int) -> None:
    """Phases over parities of several high and low wires (the monomial split)."""
    ops = list(zz_like(n, 1).operations)
    if n >= 5:
        ladder = [("cx", (0, 1)), ("cx", (1, 3)), ("cx", (3, 4))]
        ops += ladder + [("p", 4, feature(2, 1.5))] + ladder[::-1]
        ops += [("cz", (0, 4)), ("z", 2), ("rzz", (3, 1), 0.7), ("crz", (4, 0), weight(0)),
                ("s", 1), ("cp", (1, 0), weight(0))]
    c = Circuit(n, ops, n_weights=1)
    x = np.random.default_rng(2).uniform(0, 2, size=(3, n))
    with jax.enable_x64(True):
        fast = np.asarray(statevector(c, x, [0.4]))
        slow = np.asarray(statevector(c, x, [0.4], fuse=False))
    np.testing.assert_allclose(fast, slow, atol=1e-11)


def test_unclosed_cnot_ladders_fall_back_correctly() -> None:
    ops = [("cx", (0, 1)), ("rz", 1, 0.4), ("cx", (1, 2)), ("cz", (0, 2)), ("p", 2, 0.3),
           ("cx", (0, 1)), ("t", 0), ("crz", (2, 0), 0.9), ("rzz", (1, 2), 1.3), ("cx", (2, 1))]
    c = Circuit(3, ops)
    dense = np.eye(8, dtype=complex)
    for name, wires, *params in ops:
        dense = embed(textbook(name, tuple(params)), tuple(np.atleast_1d(wires)), 3) @ dense
    with jax.enable_x64(True):
        np.testing.assert_allclose(unitary(c), dense, atol=1e-11)


def test_adjoint_and_inverse() -> None:
    rng = np.random.default_rng(3)
    c, dense, _ = random_circuit(rng, 3, 15)
    with jax.enable_x64(True):
        np.testing.assert_allclose(unitary(c.inverse()), dense.conj().T, atol=1e-10)
        np.testing.assert_allclose(unitary(c.compose(c.inverse())), np.eye(8), atol=1e-10)


def test_batched_equals_looped_over_data_weights_and_both() -> None:
    c = CircuitBuilder(3).ry(0, feature(0)).rx(1, feature(1)).cx((0, 2)).rz(2, weight(0)) \
        .crx((2, 1), weight(1)).build()
    rng = np.random.default_rng(0)
    X, W = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    loop = np.stack([np.asarray(statevector(c, x, w)) for x, w in zip(X, W)])
    np.testing.assert_allclose(np.asarray(statevector(c, X, W)), loop, atol=1e-6)
    only_x = np.stack([np.asarray(statevector(c, x, W[0])) for x in X])
    np.testing.assert_allclose(np.asarray(statevector(c, X, W[0])), only_x, atol=1e-6)
    only_w = np.stack([np.asarray(statevector(c, X[0], w)) for w in W])
    np.testing.assert_allclose(np.asarray(statevector(c, X[0], W)), only_w, atol=1e-6)
    grid = np.asarray(statevector(c, X[:, None, :], W[None, :3, :]))
    assert grid.shape == (5, 3, 8)
    np.testing.assert_allclose(grid[2, 1], np.asarray(statevector(c, X[2], W[1])), atol=1e-6)


def test_initial_state_batch() -> None:
    c = Circuit(2, [("h", 0), ("cx", (0, 1))])
    basis = np.eye(4, dtype=np.complex64)
    out = np.asarray(statevector(c, initial_state=basis))
    np.testing.assert_allclose(out.T, embed(textbook("cx"), (0, 1), 2)
                               @ embed(textbook("h"), (0,), 2), atol=1e-6)


def test_gradients_equal_the_parameter_shift_rule() -> None:
    rng = np.random.default_rng(5)
    c = (CircuitBuilder(3).h(0).ry(0, weight(0)).rx(1, weight(1)).cx((0, 1))
         .rz(1, weight(2)).cx((1, 2)).ry(2, weight(3)).rx(0, feature(0)).build())
    obs = pauli("Z0 Z1") + 0.5 * pauli("X2") - 0.3 * pauli("Y1")
    x, w = np.array([0.4]), rng.uniform(-np.pi, np.pi, size=4)
    with jax.enable_x64(True):
        grad = np.asarray(jax.grad(lambda v: expval(c, obs, x, v))(jnp.asarray(w)))
        shift = np.zeros_like(w)
        for j in range(len(w)):
            e = np.eye(len(w))[j] * np.pi / 2
            shift[j] = float(expval(c, obs, x, w + e) - expval(c, obs, x, w - e)) / 2
    np.testing.assert_allclose(grad, shift, atol=1e-10)


def test_gradient_with_respect_to_data_equals_finite_differences() -> None:
    c = zz_like(3, 2)
    x = np.array([0.3, 1.1, -0.4])
    with jax.enable_x64(True):
        f = lambda v: expval(c, "Z0 Z2", v)  # noqa: E731
        grad = np.asarray(jax.grad(f)(jnp.asarray(x)))
        fd = central_differences(f, x)
    np.testing.assert_allclose(grad, fd, atol=1e-6)


def test_no_retrace_for_new_data_of_the_same_shape() -> None:
    c = zz_like(3, 1)
    rng = np.random.default_rng(0)
    statevector(c, rng.normal(size=(7, 3)))
    before = _run._cache_size()
    for _ in range(3):
        statevector(c, rng.normal(size=(7, 3)))
    statevector(zz_like(3, 1), rng.normal(size=(7, 3)))  # an equal, rebuilt circuit
    assert _run._cache_size() == before


def test_statevector_fn_composes_with_vmap_and_jit() -> None:
    c = Circuit(2, [("ry", 0, feature(0)), ("cx", (0, 1))])
    f = statevector_fn(c)
    out = jax.jit(jax.vmap(f))(jnp.array([[0.0], [np.pi]]))
    np.testing.assert_allclose(np.abs(np.asarray(out)) ** 2,
                               [[1, 0, 0, 0], [0, 0, 0, 1]], atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.integers(0, 10_000))
def test_states_are_normalised(n: int, seed: int) -> None:
    c, _, x = random_circuit(np.random.default_rng(seed), n, 12, with_data=True)
    psi = np.asarray(statevector(c, x))
    assert abs(np.linalg.norm(psi) - 1) < 1e-5


def test_memory_guard_names_the_size_before_allocating() -> None:
    c = Circuit(40, [("h", 0)])
    with pytest.raises(SimulationTooLargeError, match=r"40 qubits.*TiB"):
        statevector(c)
    with pytest.raises(MemoryError):
        statevector(c)


def test_pauli_expectations_equal_dense_matrices() -> None:
    rng = np.random.default_rng(2)
    c, dense, _ = random_circuit(rng, 4, 20)
    psi = dense[:, 0]
    obs = pauli("X0 Y2") - 0.25 * pauli("ZZIZ") + 2.0 * pauli("Y1 X3")
    ref = (np.vdot(psi, pauli_matrix({0: "X", 2: "Y"}, 4) @ psi)
           - 0.25 * np.vdot(psi, pauli_matrix({0: "Z", 1: "Z", 3: "Z"}, 4) @ psi)
           + 2.0 * np.vdot(psi, pauli_matrix({1: "Y", 3: "X"}, 4) @ psi)).real
    with jax.enable_x64(True):
        assert float(expval(c, obs)) == pytest.approx(ref, abs=1e-10)


class TestBadInput:
    def test_unknown_gate(self) -> None:
        with pytest.raises(ValueError, match="unknown gate 'foo'"):
            Circuit(2, [("foo", 0)])

    def test_wire_out_of_range(self) -> None:
        with pytest.raises(ValueError, match=r"operation 1.*wire 5 is out of range"):
            Circuit(3, [("h", 0), ("cx", (0, 5))])

    def test_repeated_wire(self) -> None:
        with pytest.raises(ValueError, match="repeated wire"):
            Circuit(3, [("cx", (1, 1))])

    def test_wrong_wire_and_angle_counts(self) -> None:
        with pytest.raises(ValueError, match="acts on 2 wire"):
            Circuit(3, [("cx", 0)])
        with pytest.raises(ValueError, match="takes 1 angle"):
            Circuit(3, [("rx", 0)])

    def test_non_unitary_matrix(self) -> None:
        with pytest.raises(ValueError, match="not unitary"):
            Circuit(2, [("unitary", (0, 1), np.ones((4, 4)))])
        with pytest.raises(ValueError, match=r"needs a \(4, 4\)"):
            Circuit(2, [("unitary", (0, 1), np.eye(2))])

    def test_nan_data_and_wrong_feature_count(self) -> None:
        c = Circuit(2, [("ry", 0, feature(0)), ("ry", 1, feature(1))])
        with pytest.raises(ValueError, match="NaN or inf"):
            statevector(c, [0.1, np.nan])
        with pytest.raises(ValueError, match="has 3 features.*expects 2"):
            statevector(c, [[0.1, 0.2, 0.3]])
        with pytest.raises(ValueError, match="pass `x`"):
            statevector(c)
        with pytest.raises(ValueError, match="do not broadcast"):
            c2 = Circuit(1, [("ry", 0, feature(0)), ("rz", 0, weight(0))])
            statevector(c2, np.zeros((3, 1)), np.zeros((2, 1)))

    def test_non_finite_constant_angle(self) -> None:
        with pytest.raises(ValueError, match="finite"):
            Circuit(1, [("rx", 0, np.inf)])

    def test_bad_qubit_count(self) -> None:
        with pytest.raises(ValueError, match="positive integer"):
            Circuit(0)
