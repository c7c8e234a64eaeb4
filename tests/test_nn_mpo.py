"""The spaced MPO layer (qinspired.nn.SpacedMPO) against a dense NumPy operator."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from _dense import assert_module_gradients_match, copy_state_through_numpy
from flax import nnx
from sklearn.metrics import roc_auc_score

from qinspired.nn import SpacedMPO

# One compiled program per layer structure and input shape (eager calls compile op by op).
apply = nnx.jit(lambda model, x: model(x))
log_norm_sq = nnx.jit(lambda model, x: model.log_norm_sq(x))
everything = nnx.jit(lambda model, x: (model(x), model.log_norm_sq(x), model.output_sites(x),
                                       model.log_frobenius_sq()))


def _anchored(x: np.ndarray) -> np.ndarray:
    """Trigonometric local vectors (d = 2) divided by their overlap with (1, 1) / sqrt(2)."""
    phi = np.stack([np.cos(np.pi * x / 2), np.sin(np.pi * x / 2)], axis=-1)
    return phi / (phi @ (np.ones(2) / np.sqrt(2.0)))[..., None]


def _kron_rows(phi: np.ndarray) -> np.ndarray:
    out = []
    for row in phi:
        v = np.ones(1)
        for p in row:
            v = np.kron(v, p)
        out.append(v)
    return np.array(out)


def _dense_operator(tensors) -> np.ndarray:
    """The MPO as a matrix (prod out legs, d**n), site 0 most significant on both sides."""
    acc = np.ones((1, 1, 1))                                   # (out, in, bond)
    for t in tensors:
        t = np.asarray(t, dtype=np.float64)
        if t.ndim == 3:
            t = t[:, :, None, :]
        acc = np.einsum("oia,asqb->oqisb", acc, t)
        o, q, i, s, b = acc.shape
        acc = acc.reshape(o * q, i * s, b)
    return acc[:, :, 0]


def _roughen(layer: nnx.Module, seed: int, scale: float = 0.7) -> None:
    """Replace every Param by a generic random tensor of its shape."""
    rng = np.random.default_rng(seed)
    params = nnx.state(layer, nnx.Param)
    nnx.update(layer, jax.tree.map(
        lambda p: jnp.asarray(scale * rng.standard_normal(p.shape), p.dtype), params))


def _small(seed: int) -> SpacedMPO:
    """The float32 layer most tests share (one compiled program per function)."""
    return SpacedMPO(5, 2, bond_dim=3, spacing=2, rngs=nnx.Rngs(seed))


def _small_inputs(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.0, 1.0, (6, 5)).astype(np.float32)


def _params(layer: SpacedMPO) -> list[np.ndarray]:
    return [np.asarray(t[...]) for t in layer.tensors]


# -- outputs against the dense operator -----------------------------------------------------------

@pytest.mark.parametrize(("n", "out_dim", "spacing"),
                         [(4, 2, 1), (6, 2, 2), (7, 2, 3), (5, 3, 2), (3, 2, 3)])
def test_outputs_equal_the_dense_operator(x64, n: int, out_dim: int, spacing: int) -> None:
    layer = SpacedMPO(n, out_dim, bond_dim=3, spacing=spacing, param_dtype=jnp.float64,
                      rngs=nnx.Rngs(n))
    _roughen(layer, n)
    m = n // spacing
    assert layer.output_positions == tuple(spacing * (j + 1) - 1 for j in range(m))
    assert [t.ndim for t in layer.tensors] == [4 if k in layer.output_positions else 3
                                               for k in range(n)]
    x = np.random.default_rng(1).uniform(0.0, 1.0, (5, n))
    operator = _dense_operator(_params(layer))
    assert operator.shape == (out_dim**m, 2**n)
    want = _kron_rows(_anchored(x)) @ operator.T
    got, logs, sites, log_frobenius = everything(layer, x)
    assert got.shape == (5, out_dim**m) and layer.out_features == out_dim**m
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-10, atol=1e-12)

    np.testing.assert_allclose(np.exp(np.asarray(logs)), np.sum(want**2, axis=1), rtol=1e-10)
    assert len(sites) == m and sites[0].shape[1] == sites[-1].shape[-1] == 1
    vec = sites[0][:, 0]
    for t in sites[1:]:
        vec = np.einsum("bpa,baoc->bpoc", vec, t).reshape(5, -1, t.shape[-1])
    np.testing.assert_allclose(vec[:, :, 0], want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(float(log_frobenius), np.log(np.sum(operator**2)), rtol=1e-10)


def test_bond_dimensions_are_capped_by_the_legs() -> None:
    layer = SpacedMPO(5, 2, bond_dim=8, spacing=2, rngs=nnx.Rngs(0))
    # legs d * out: 2, 4, 2, 4, 2 -> bonds min(8, left product, right product)
    assert [tuple(t.shape) for t in layer.tensors] == [
        (1, 2, 2), (2, 2, 2, 8), (8, 2, 8), (8, 2, 2, 2), (2, 2, 1)]


def test_sixty_four_sites_are_stable_and_start_near_unit_norm() -> None:
    x = np.random.default_rng(0).uniform(0.0, 1.0, (6, 64)).astype(np.float32)
    layer = SpacedMPO(64, 2, bond_dim=4, spacing=8, rngs=nnx.Rngs(0))
    dense, norms = nnx.jit(lambda m, v: (m(v), m.norm_sq(v)))(layer, x)
    dense, norms = np.asarray(dense, dtype=np.float64), np.asarray(norms)
    assert dense.shape == (6, 256)
    np.testing.assert_allclose(norms, np.sum(dense**2, axis=1), rtol=1e-4)
    assert np.all(np.abs(np.log(norms)) < 2.0)

    plain = SpacedMPO(64, 2, bond_dim=4, dense_output=False, rngs=nnx.Rngs(0))
    before = np.asarray(log_norm_sq(plain, x), dtype=np.float64)
    assert np.all(np.isfinite(before)) and np.all(np.abs(before) < 3.0)
    # Scaling every site tensor by 10 multiplies ||P phi||^2 by 10**128, beyond float32;
    # the logarithm shifts by exactly 128 log 10.
    nnx.update(plain, jax.tree.map(lambda p: 10.0 * p, nnx.state(plain, nnx.Param)))
    after = np.asarray(log_norm_sq(plain, x), dtype=np.float64)
    np.testing.assert_allclose(after - before, 128 * np.log(10.0), rtol=1e-5)


def test_leading_batch_axes_and_single_samples() -> None:
    layer = _small(0)
    x = _small_inputs(0)
    dense, logs, sites, _ = everything(layer, x.reshape(2, 3, 5))
    flat_dense, flat_logs, flat_sites, _ = everything(layer, x)
    np.testing.assert_allclose(np.asarray(dense).reshape(6, 4), flat_dense, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(logs).reshape(6), flat_logs, rtol=1e-6)
    assert [t.shape for t in sites] == [(2, 3, 1, 2, 3), (2, 3, 3, 2, 1)]
    np.testing.assert_allclose(np.asarray(sites[1]).reshape(6, 3, 2, 1), flat_sites[1], rtol=1e-6)
    assert apply(layer, x[0]).shape == (4,)


def test_out_of_range_inputs_are_clipped() -> None:
    layer = _small(0)
    x = _small_inputs(0)
    x[:, 0] = [-3.0, 1.5, -0.01, 7.0, 0.5, 0.5]
    np.testing.assert_allclose(np.asarray(apply(layer, x)),
                               np.asarray(apply(layer, np.clip(x, 0.0, 1.0))), rtol=1e-6)
    g = nnx.jit(nnx.grad(lambda m, v: jnp.sum(m.log_norm_sq(v)), argnums=1))(layer, x)
    np.testing.assert_array_equal(np.asarray(g[:4, 0]), 0.0)


# -- gradients and Flax transformations -----------------------------------------------------------

def test_gradients_match_finite_differences(x64) -> None:
    layer = SpacedMPO(5, 2, bond_dim=3, spacing=2, param_dtype=jnp.float64, rngs=nnx.Rngs(1))
    _roughen(layer, 2)
    x = np.random.default_rng(3).uniform(0.05, 0.95, (4, 5))
    target = np.random.default_rng(4).normal(size=(4, 4))

    def loss(model, inputs):
        return (jnp.sum(jnp.sin(model(inputs)) * target) + jnp.sum(model.log_norm_sq(inputs))
                + model.log_frobenius_sq())

    assert_module_gradients_match(loss, layer, x)


def test_jit_vmap_split_merge_and_a_hybrid_network() -> None:
    layer = _small(0)
    x = _small_inputs(1)
    want, want_norm = np.asarray(apply(layer, x)), np.asarray(log_norm_sq(layer, x))
    dense, logs = jax.jit(jax.vmap(lambda v: (layer(v), layer.log_norm_sq(v))))(x)
    np.testing.assert_allclose(np.asarray(dense), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(logs), want_norm, rtol=1e-5, atol=1e-6)
    graphdef, state = nnx.split(layer)
    merged = nnx.merge(graphdef, jax.tree.map(jnp.copy, state))
    np.testing.assert_array_equal(np.asarray(log_norm_sq(merged, x)), want_norm)

    class Hybrid(nnx.Module):
        def __init__(self, rngs: nnx.Rngs) -> None:
            self.inner = nnx.Linear(3, 5, rngs=rngs)
            self.mpo = SpacedMPO(5, 2, bond_dim=3, spacing=2, rngs=rngs)
            self.head = nnx.Linear(4, 1, rngs=rngs)

        def __call__(self, v: jax.Array) -> jax.Array:
            return self.head(self.mpo(jax.nn.sigmoid(self.inner(v))))[..., 0]

    model = Hybrid(nnx.Rngs(0))
    grads = nnx.jit(nnx.grad(lambda m: jnp.sum(m(x[:, :3]) ** 2)))(model)
    leaves = jax.tree.leaves(grads)
    assert all(np.all(np.isfinite(np.asarray(g))) for g in leaves)
    assert np.any(np.asarray(grads["inner"]["kernel"][...]) != 0)


def test_state_round_trip_through_numpy() -> None:
    layer, other = _small(0), _small(9)
    x = _small_inputs(0)
    assert not np.allclose(np.asarray(apply(other, x)), np.asarray(apply(layer, x)))
    copy_state_through_numpy(layer, other)
    np.testing.assert_array_equal(np.asarray(apply(other, x)), np.asarray(apply(layer, x)))
    np.testing.assert_array_equal(np.asarray(log_norm_sq(other, x)),
                                  np.asarray(log_norm_sq(layer, x)))


# -- bad input ------------------------------------------------------------------------------------

def test_bad_inputs_raise() -> None:
    layer = SpacedMPO(4, 2, bond_dim=2, spacing=2, rngs=nnx.Rngs(0))
    x = np.full((3, 4), 0.5, dtype=np.float32)
    for method in (layer, layer.norm_sq, layer.log_norm_sq, layer.output_sites):
        with pytest.raises(ValueError, match=r"SpacedMPO: expected inputs of shape \(\.\.\., 4\)"):
            method(x[:, :3])
        x_bad = x.copy()
        x_bad[1, 2] = np.nan
        with pytest.raises(ValueError, match="SpacedMPO: the input contains NaN or inf"):
            method(x_bad)


def test_constructor_arguments_are_checked() -> None:
    rngs = nnx.Rngs(0)
    for kwargs, message in [
        (dict(in_features=4, out_dim=2, bond_dim=0), "SpacedMPO: bond_dim=0"),
        (dict(in_features=4, out_dim=0, bond_dim=2), "SpacedMPO: out_dim=0"),
        (dict(in_features=0, out_dim=2, bond_dim=2), "SpacedMPO: in_features=0"),
        (dict(in_features=4, out_dim=2, bond_dim=2, spacing=0), "SpacedMPO: spacing=0"),
        (dict(in_features=4, out_dim=2, bond_dim=2, spacing=5), "spacing=5 must be <= in_f"),
        (dict(in_features=4, out_dim=2, bond_dim=2, spacing=1.5), "SpacedMPO: spacing=1.5"),
        (dict(in_features=4, out_dim=2, bond_dim=2, local_map="gauss"), "local_map='gauss'"),
        (dict(in_features=4, out_dim=2, bond_dim=2, init_noise=np.nan), "init_noise=nan"),
        (dict(in_features=4, out_dim=2, bond_dim=2, dense_output="yes"), "dense_output='yes'"),
    ]:
        with pytest.raises(ValueError, match=message):
            SpacedMPO(**kwargs, rngs=rngs)
    with pytest.raises(ValueError, match=r"out_dim\*\*m = 2\*\*17 = 131072 entries.*"
                                         r"dense_output=False.*norm_sq"):
        SpacedMPO(17, 2, bond_dim=2, rngs=rngs)
    with pytest.raises(ValueError, match=r"out_dim\*\*m = 3\*\*5000 > 2\*\*64 entries"):
        SpacedMPO(5000, 3, bond_dim=2, rngs=rngs)
    sparse = SpacedMPO(17, 2, bond_dim=2, dense_output=False, rngs=rngs)
    assert sparse.out_features is None
    assert log_norm_sq(sparse, np.full((2, 17), 0.5)).shape == (2,)
    with pytest.raises(ValueError, match="dense_output=False; use norm_sq"):
        sparse(np.full((2, 17), 0.5))


# -- anomaly detection ----------------------------------------------------------------------------

def test_norm_training_separates_anomalies() -> None:
    # Wang et al. (2020): normal data at unit norm, (log ||P||_F^2) keeps the operator small.
    rng = np.random.default_rng(0)
    normal = np.clip(0.3 + 0.06 * rng.standard_normal((96, 6)), 0.0, 1.0).astype(np.float32)
    anomalies = rng.uniform(0.0, 1.0, (32, 6)).astype(np.float32)
    train, held_out = normal[:64], normal[64:]
    model = SpacedMPO(6, 2, bond_dim=4, spacing=2, rngs=nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, optax.adam(0.05), wrt=nnx.Param)

    def loss(m: SpacedMPO) -> jax.Array:
        return jnp.mean(m.log_norm_sq(train) ** 2) + 0.1 * m.log_frobenius_sq()

    @nnx.jit
    def step(m: SpacedMPO, opt: nnx.Optimizer) -> jax.Array:
        value, grads = nnx.value_and_grad(loss)(m)
        opt.update(m, grads)
        return value

    losses = [float(step(model, optimizer)) for _ in range(60)]
    assert losses[-1] < losses[0]
    score = np.abs(np.asarray(log_norm_sq(model, np.concatenate([held_out, anomalies]))))
    labels = np.r_[np.zeros(len(held_out)), np.ones(len(anomalies))]
    assert roc_auc_score(labels, score) > 0.8  # 0.951 measured (seed 0; 0.94-0.98 over seeds)
