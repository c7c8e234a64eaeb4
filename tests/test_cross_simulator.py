"""The same random circuits through every simulation path, against one dense reference.

Each circuit mixes parametrised one-qubit gates, controlled and long-range
(reversed) two-qubit gates and the three-qubit Toffoli, with angles fed by
data, by weights, by constants and by products of features. The reference is
the product of textbook matrices embedded with ``kron`` (``_dense.py``); no
simulator takes part in it. The paths: the statevector simulator fused and
gate by gate, the density matrix in the computational and the Pauli basis,
trajectories (noiseless: each equals the state; noisy: their mean density
matrix within its statistical error), MPS simulation at full bond dimension,
circuit -> MPS conversion, the scanned ansatz, and the closed form of a product
(unentangled) circuit in the kernels.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import numpy as np
import pytest
from _dense import (
    amplitude_damping_kraus,
    dense_noisy_rho,
    dense_unitary,
    depolarizing_kraus,
    gates_unitary,
    pauli_matrix,
    random_parametrised_circuit,
)

from qinspired.circuits import (
    ANSATZE,
    Circuit,
    apply_ansatz,
    density_matrix,
    make_ansatz,
    mps_state,
    statevector,
    trajectories,
    trajectory_density,
    trajectory_expectation,
)
from qinspired.circuits.channels import AmplitudeDamping, Depolarizing
from qinspired.circuits.noise_model import NoiseModel
from qinspired.kernels import FidelityKernel
from qinspired.tn import to_dense

# Every kind of gate the registry has: parametrised 1-qubit, fixed 1-qubit, parametrised and
# fixed 2-qubit (controlled, symmetric, swap-like) and the 3-qubit Toffoli.
GATE_NAMES = ("rx", "ry", "rz", "p", "u3", "h", "sx", "t", "rxx", "ryy", "rzz", "cx", "cy",
              "cz", "swap", "iswap", "crx", "cry", "crz", "cp", "ccx")
ONE_QUBIT = ("rx", "ry", "rz", "p", "u3", "h", "sx", "t")
# (n_qubits, seed, dtype): every gate appears in each circuit (24 gates, wires drawn at random);
# the first runs in JAX's default precision, the others in x64 mode.
CASES = [(3, 0, "complex64"), (4, 1, "complex128"), (5, 2, "complex128")]
N_OPS = 24
# Absolute tolerance on amplitudes and density-matrix entries, by complex dtype.
TOL = {np.dtype(np.complex64): 2e-5, np.dtype(np.complex128): 1e-10}


class Case(NamedTuple):
    circuit: Circuit
    x: np.ndarray
    w: np.ndarray
    info: list
    psi: np.ndarray  # the reference state U |0...0>
    dtype: np.dtype  # the complex dtype the simulators must return

    @property
    def n(self) -> int:
        return self.circuit.n_qubits


def make_case(n: int, seed: int, dtype: str = "complex128") -> Case:
    circuit, x, w, info = random_parametrised_circuit(np.random.default_rng(seed), n, N_OPS,
                                                      GATE_NAMES)
    return Case(circuit, x, w, info, gates_unitary(info, n)[:, 0], np.dtype(dtype))


@pytest.fixture(params=CASES, ids=lambda c: f"{c[0]}q-{c[2]}")
def case(request: pytest.FixtureRequest) -> Case:
    """A random circuit, its inputs and reference state, in its precision (``x64`` fixture)."""
    n, seed, dtype = request.param
    if dtype == "complex128":
        request.getfixturevalue("x64")
    return make_case(n, seed, dtype)


def check(got, want: np.ndarray, dtype: np.dtype) -> None:
    got = np.asarray(got)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, atol=TOL[dtype], rtol=0)


def test_the_circuits_hold_every_kind_of_gate_and_angle() -> None:
    c = make_case(*CASES[0])
    circuit, psi = c.circuit, c.psi
    names = {op.name for op in circuit.operations}
    assert set(GATE_NAMES) <= names
    assert any(abs(a - b) > 1 for op in circuit.operations if len(op.wires) == 2
               for a, b in [op.wires])  # a long-range pair
    assert any(a > b for op in circuit.operations if len(op.wires) >= 2
               for a, b in [op.wires[:2]])  # a reversed pair
    sources = {f.source for op in circuit.operations for a in op.params for f in a.factors}
    assert sources == {"x", "w"}
    assert any(len(a.factors) == 2 for op in circuit.operations for a in op.params)
    assert np.isclose(np.linalg.norm(psi), 1.0)
    assert np.count_nonzero(np.abs(psi) > 1e-3) > len(psi) // 2  # an entangled, spread state


@pytest.mark.parametrize("fuse", [True, False])
def test_statevector(case: Case, fuse: bool) -> None:
    check(statevector(case.circuit, case.x, case.w, fuse=fuse), case.psi, case.dtype)


@pytest.mark.parametrize(("basis", "fuse"), [("computational", True), ("computational", False),
                                             ("pauli", True)])
def test_density_matrix(case: Case, basis: str, fuse: bool) -> None:
    rho = density_matrix(case.circuit, case.x, case.w, basis=basis, fuse=fuse)
    check(rho, np.outer(case.psi, case.psi.conj()), case.dtype)


def test_noiseless_trajectories_each_equal_the_state(case: Case) -> None:
    states = trajectories(case.circuit, case.x, case.w, noise=None, key=jax.random.key(0),
                          n_trajectories=3)
    check(states, np.broadcast_to(case.psi, (3, len(case.psi))), case.dtype)


def test_mps_simulation_at_full_bond_dimension(case: Case) -> None:
    result = mps_state(case.circuit, case.x, case.w, max_bond=2 ** (case.n // 2))
    check(result.to_statevector(), case.psi, case.dtype)
    assert float(result.truncation_error) < TOL[case.dtype]


def test_circuit_to_mps(case: Case) -> None:
    from qinspired.circuits import circuit_to_mps

    mps, error = circuit_to_mps(case.circuit, case.x, case.w)
    check(to_dense(mps), case.psi, case.dtype)
    assert error < TOL[case.dtype]


@pytest.mark.parametrize("name", sorted(ANSATZE))
def test_ansatz_applied_to_the_circuits_state(case: Case, name: str) -> None:
    ansatz = make_ansatz(name, case.n, n_layers=2)
    w = np.random.default_rng(case.n).uniform(-np.pi, np.pi, size=ansatz.n_weights)
    want = dense_unitary(ansatz, w=w) @ case.psi
    check(apply_ansatz(case.psi.astype(case.dtype), w, name, n_layers=2), want, case.dtype)


def test_product_circuit_closed_form(case: Case) -> None:
    n, rng = case.n, np.random.default_rng(case.n)
    circuit, x, w, info = random_parametrised_circuit(rng, n, 3 * n, ONE_QUBIT)
    x2 = rng.uniform(-2, 2, size=x.shape)
    kernel = FidelityKernel(circuit, weights=w, backend="product")
    factors = np.asarray(kernel.states(np.stack([x, x2])).data)
    assert factors.shape == (2, n, 2) and factors.dtype == case.dtype
    psi = gates_unitary(info, n)[:, 0]
    state = factors[0, 0]
    for q in range(1, n):
        state = np.kron(state, factors[0, q])
    check(state, psi, case.dtype)
    psi2 = dense_unitary(circuit, x2, w)[:, 0]
    np.testing.assert_allclose(kernel(x[None], x2[None]), [[abs(np.vdot(psi, psi2)) ** 2]],
                               atol=TOL[case.dtype])


def test_noisy_trajectories_and_density_matrices(x64) -> None:
    p, g = 0.05, 0.2
    circuit, x, w, info, _, _ = make_case(3, 0)
    n = circuit.n_qubits
    noise = NoiseModel().add_all_qubit(Depolarizing(p)).add(AmplitudeDamping(g), wires=[1])
    rho = dense_noisy_rho(info, [(depolarizing_kraus(p), None, None),
                                 (amplitude_damping_kraus(g), None, (1,))], n)
    assert np.real(np.trace(rho @ rho)) < 0.9  # the noise mixes the state
    for basis in ("computational", "pauli"):
        got = density_matrix(circuit, x, w, noise=noise, basis=basis)
        np.testing.assert_allclose(got, rho, atol=TOL[np.dtype(np.complex128)], rtol=0)

    n_traj = 2000
    states = trajectories(circuit, x, w, noise=noise, key=jax.random.key(1),
                          n_trajectories=n_traj)
    # Entries of an outer product of unit vectors are bounded by 1: standard error <= 1/sqrt(N).
    np.testing.assert_array_less(np.abs(np.asarray(trajectory_density(states)) - rho),
                                 5 / np.sqrt(n_traj))
    for label in ("Z0", "X1 Z2", "Y0 Y1", "Z0 Z1 Z2"):
        mean, se = trajectory_expectation(states, label)
        exact = np.real(np.trace(rho @ pauli_matrix(
            {int(t[1:]): t[0] for t in label.split()}, n)))
        assert abs(float(mean) - exact) < 5 * float(se) + 1e-12, label

