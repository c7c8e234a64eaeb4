"""The variational model's core (qinspired.circuits.variational), against dense references.

Oracles: a NumPy statevector / density matrix of the hardware-efficient
ansatz written from its documented layout (``ry, rz`` per wire, a CNOT
chain, a last rotation layer) after an ``ry`` angle encoding; marginals,
readout confusion and losses computed by hand from it; binomial error bars
for finite shots.
"""

from __future__ import annotations

import doctest

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _dense import X, Y, Z, embed, textbook

from qinspired.circuits import variational as variational_module
from qinspired.circuits import NoiseModel, VariationalHead, VariationalModel, variational_model
from qinspired.circuits.channels import Depolarizing, ReadoutError
from qinspired.circuits.variational import (
    classifier_head,
    head_outputs,
    regressor_head,
    shot_outputs,
)
from qinspired.feature_maps import AngleEncoding

N = 3


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


def hea_ops(x: np.ndarray, w: np.ndarray) -> list[tuple[np.ndarray, tuple[int, ...], bool]]:
    """(matrix, wires, is_cx) of RY(x) encoding + one hardware-efficient layer on 3 wires."""
    ops = [(textbook("ry", (x[q],)), (q,), False) for q in range(N)]
    for layer in range(2):
        for q in range(N):
            k = 2 * (layer * N + q)
            ops += [(textbook("ry", (w[k],)), (q,), False), (textbook("rz", (w[k + 1],)), (q,),
                                                              False)]
        if layer == 0:
            ops += [(textbook("cx"), (0, 1), True), (textbook("cx"), (1, 2), True)]
    return ops


def dense_psi(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    psi = np.zeros(2**N, complex)
    psi[0] = 1
    for u, wires, _ in hea_ops(x, w):
        psi = embed(u, wires, N) @ psi
    return psi


def marginal(p: np.ndarray, wires: tuple[int, ...]) -> np.ndarray:
    t = p.reshape((2,) * N)
    t = t.sum(axis=tuple(q for q in range(N) if q not in wires))
    return t.reshape(-1)


def data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, np.pi, size=(5, N)), rng.normal(size=12)


def model(noise=None) -> VariationalModel:
    return variational_model(AngleEncoding(N, rotation="ry", feature_scale=1.0),
                             "hardware_efficient", noise=noise)


def test_probabilities_and_classifier_loss_match_dense_statevector(x64):
    xs, w = data()
    head = classifier_head(model(), 3, label_smoothing=0.1)
    assert head.wires == (1, 2)
    params = {"w": jnp.asarray(w), "scale": jnp.asarray(4.0),
              "bias": jnp.asarray([0.1, -0.2, 0.3])}
    p = np.stack([marginal(np.abs(dense_psi(x, w)) ** 2, (1, 2)) for x in xs])
    np.testing.assert_allclose(head.probabilities(params, xs), p, atol=1e-12)
    logits = 4.0 * p[:, :3] + np.array([0.1, -0.2, 0.3])
    np.testing.assert_allclose(head_outputs(params, xs, head=head), logits, atol=1e-12)
    labels = np.array([0, 2, 1, 1, 0])
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    target = 0.9 * np.eye(3)[labels] + 0.1 / 3
    np.testing.assert_allclose(head(params, xs, labels), -np.mean((target * logp).sum(1)),
                               atol=1e-12)


def test_regressor_outputs_and_loss_are_z_expectations(x64):
    xs, w = data(1)
    head = regressor_head(model(), 2)
    assert head.wires == (1, 2)
    params = {"w": jnp.asarray(w), "scale": jnp.asarray([1.5, -0.5]),
              "bias": jnp.asarray([0.2, 0.0])}
    z = np.array([[np.vdot(psi, embed(Z, (q,), N) @ psi).real for q in (1, 2)]
                  for psi in (dense_psi(x, w) for x in xs)])
    out = 1.5 * z[:, 0] + 0.2, -0.5 * z[:, 1]
    np.testing.assert_allclose(head_outputs(params, xs, head=head), np.stack(out, 1),
                               atol=1e-12)
    targets = np.arange(10.0).reshape(5, 2) / 10
    np.testing.assert_allclose(head(params, xs, targets),
                               np.mean((np.stack(out, 1) - targets) ** 2), atol=1e-12)
    np.testing.assert_allclose(model().expectations(w, xs)[:, 1:], z, atol=1e-12)


def test_noisy_probabilities_match_dense_kraus_sum_and_confusion(x64):
    p_dep, p01, p10 = 0.08, 0.05, 0.02
    noise = (NoiseModel().add_all_qubit(Depolarizing(p_dep), after=["cx"])
             .add_readout(ReadoutError(p0given1=p01, p1given0=p10)))
    xs, w = data(2)
    kraus = [np.sqrt(1 - 3 * p_dep / 4) * np.eye(2)] + [np.sqrt(p_dep / 4) * P for P in (X, Y, Z)]
    confusion = np.array([[1 - p10, p01], [p10, 1 - p01]])  # M[measured, true]
    got = model(noise).probabilities(w, xs, (2, 0))
    for i, x in enumerate(xs):
        rho = np.zeros((2**N, 2**N), complex)
        rho[0, 0] = 1
        for u, wires, is_cx in hea_ops(x, w):
            full = embed(u, wires, N)
            rho = full @ rho @ full.conj().T
            for q in wires if is_cx else ():
                ks = [embed(k, (q,), N) for k in kraus]
                rho = sum(k @ rho @ k.conj().T for k in ks)
        p = marginal(np.real(np.diag(rho)), (0, 2)).reshape(2, 2).T.reshape(-1)  # order (2, 0)
        np.testing.assert_allclose(got[i], np.kron(confusion, confusion) @ p, atol=1e-12)


def test_shot_outputs_agree_with_exact_within_binomial_error():
    xs, w = data(3)
    head = classifier_head(model(), 4)
    params = {"w": jnp.asarray(w, jnp.float32), "scale": jnp.asarray(1.0, jnp.float32),
              "bias": jnp.zeros(4, jnp.float32)}
    shots = 4000
    exact = np.asarray(head_outputs(params, xs, head=head))
    est = np.asarray(shot_outputs(params, xs, head, shots, jax.random.key(0)))
    sigma = np.sqrt(exact * (1 - exact) / shots) + 1e-3
    assert np.all(np.abs(est - exact) < 5 * sigma)
    again = shot_outputs(params, xs, head, shots, jax.random.key(0))
    np.testing.assert_array_equal(again, est)


def test_equal_structures_compare_equal_and_hash_alike():
    noise = NoiseModel().add_all_qubit(Depolarizing(0.1))
    a, b = classifier_head(model(), 3), classifier_head(model(), 3)
    assert a == b and hash(a) == hash(b)
    assert a != classifier_head(model(noise), 3)
    assert a != classifier_head(model(), 3, label_smoothing=0.1)
    assert model(noise) == model(NoiseModel().add_all_qubit(Depolarizing(0.1)))


def test_bad_arguments_are_refused():
    fm = AngleEncoding(N)
    with pytest.raises(ValueError, match="n_qubits=2"):
        variational_model(fm, n_qubits=2)
    with pytest.raises(ValueError, match="NoiseModel"):
        variational_model(fm, noise="depolarizing")
    with pytest.raises(ValueError, match="ansatz"):
        variational_model(fm, "ring")
    with pytest.raises(ValueError, match="task"):
        VariationalHead(model(), (2,), 1, "ranking")
    with pytest.raises(ValueError, match="label_smoothing"):
        classifier_head(model(), 2, label_smoothing=1.0)
    with pytest.raises(ValueError, match="n_classes"):
        classifier_head(model(), 1)


def test_docstring_examples_run():
    result = doctest.testmod(variational_module)
    assert result.attempted > 0 and result.failed == 0
