"""Local maps, labelled MPS and TTN models against dense tensors and finite differences."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _dense import assert_grad_matches_central_differences
from _tn_dense import dense_mps_weights, dense_ttn_weights, kron_inputs, random_labelled

from qinspired.tn.local_maps import (
    LOCAL_MAPS,
    apply_local_map,
    embed,
    get_local_map,
    register_local_map,
)
from qinspired.tn.mps_model import (
    LabelledMPS,
    StackedLabelledMPS,
    contract_labelled,
    init_labelled_mps,
    labelled_logits,
)
from qinspired.tn.ttn import TTN, contract_ttn, init_ttn, ttn_logits

GRID = np.linspace(0.0, 1.0, 101)

# Jitted once here: run op by op, a deep contraction compiles every small op separately.
logits_jit = jax.jit(labelled_logits)
contract_jit = jax.jit(contract_labelled)
ttn_logits_jit = jax.jit(ttn_logits)
contract_ttn_jit = jax.jit(contract_ttn)


# -- local maps ---------------------------------------------------------------------------------

def test_trigonometric_closed_forms() -> None:
    x = jnp.asarray(GRID)
    np.testing.assert_allclose(np.asarray(apply_local_map(x, "trigonometric", 2)),
                               np.stack([np.cos(np.pi * GRID / 2), np.sin(np.pi * GRID / 2)], 1),
                               atol=1e-6)
    for d in (3, 4, 6):
        phi = np.asarray(apply_local_map(x, "trigonometric", d), dtype=np.float64)
        np.testing.assert_allclose(np.linalg.norm(phi, axis=1), 1.0, atol=1e-5)
        c, s = np.cos(np.pi * GRID / 2), np.sin(np.pi * GRID / 2)
        np.testing.assert_allclose(phi[:, 1], np.sqrt(d - 1) * c ** (d - 2) * s, atol=1e-5)


def test_fourier_and_polynomial_closed_forms() -> None:
    x = jnp.asarray(GRID)
    four = np.asarray(apply_local_map(x, "fourier", 5))
    want = np.stack([np.ones_like(GRID), np.sqrt(2) * np.cos(np.pi * GRID),
                     np.sqrt(2) * np.sin(np.pi * GRID), np.sqrt(2) * np.cos(2 * np.pi * GRID),
                     np.sqrt(2) * np.sin(2 * np.pi * GRID)], 1) / np.sqrt(5)
    np.testing.assert_allclose(four, want, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(four, axis=1), 1.0, atol=1e-5)
    poly = np.asarray(apply_local_map(x, "polynomial", 4))
    np.testing.assert_allclose(poly, GRID[:, None] ** np.arange(4), atol=1e-6)


@pytest.mark.parametrize("name", sorted(LOCAL_MAPS))
@pytest.mark.parametrize("d", [2, 3, 5])
def test_every_map_overlaps_its_reference_positively(name: str, d: int) -> None:
    lmap = get_local_map(name, d)
    w = lmap.reference_vector(d)
    assert w.shape == (d,) and np.linalg.norm(w) == pytest.approx(1.0)
    phi = np.asarray(lmap(jnp.asarray(GRID), d), dtype=np.float64)
    assert phi.shape == (GRID.size, d)
    assert np.min(phi @ w) > 0.1                  # the anchoring divides by this
    anchored = np.asarray(embed(jnp.asarray(GRID), name, d), dtype=np.float64)
    np.testing.assert_allclose(anchored @ w, 1.0, atol=1e-5)
    np.testing.assert_allclose(anchored * (phi @ w)[:, None], phi, atol=1e-5)


def test_local_map_errors_and_registration() -> None:
    with pytest.raises(ValueError, match="unknown local map 'nope'"):
        get_local_map("nope")
    with pytest.raises(ValueError, match="local_dim=1"):
        apply_local_map(jnp.zeros(3), "trigonometric", 1)
    with pytest.raises(ValueError, match="already registered"):
        register_local_map("fourier")(lambda x, d: x)


# -- labelled MPS ---------------------------------------------------------------------------

@pytest.mark.parametrize("n, d, n_out, chi, center", [
    (1, 2, 3, 2, 0), (2, 2, 1, 2, 1), (5, 2, 3, 3, 2), (5, 3, 2, 4, 0), (6, 2, 4, 8, 5)])
def test_labelled_mps_contraction_matches_dense(n, d, n_out, chi, center) -> None:
    with jax.enable_x64(True):
        model = random_labelled(jax.random.key(n + d), n, d, n_out, chi, center)
        phi = np.random.default_rng(0).normal(size=(7, n, d))
        want = kron_inputs(phi) @ dense_mps_weights(model.tensors, center)
        got = np.asarray(logits_jit(model, jnp.asarray(phi)))
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
        out, log_scale = contract_jit(model, jnp.asarray(phi))
        np.testing.assert_allclose(np.asarray(out) * np.exp(np.asarray(log_scale))[:, None],
                                   want, rtol=1e-10, atol=1e-12)
        assert model.bond_dims == tuple(min(chi, d**k, d ** (n - k)) for k in range(1, n))


def test_labelled_mps_is_stable_at_hundreds_of_sites() -> None:
    n, d, chi = 200, 2, 4
    model = init_labelled_mps(jax.random.key(0), n, d, 3, chi, reference=[0.6, 0.8], noise=0.2)
    x = np.random.default_rng(1).uniform(size=(5, n))
    phi = np.stack([np.cos(np.pi * x / 2), np.sin(np.pi * x / 2)], -1)
    phi = phi / (phi @ np.array([0.6, 0.8]))[..., None]
    # Reference: the plain product of site matrices in float64 (values stay O(1) here).
    ts = [np.asarray(t, dtype=np.float64) for t in model.tensors]
    want = []
    for p in phi:
        left = np.ones(1)
        for k in range(model.center):
            left = left @ np.einsum("asb,s->ab", ts[k], p[k])
        right = np.ones(1)
        for k in range(n - 1, model.center, -1):
            right = np.einsum("asb,s->ab", ts[k], p[k]) @ right
        want.append(np.einsum("a,aslb,s,b->l", left, ts[model.center], p[model.center], right))
    got = np.asarray(logits_jit(model, jnp.asarray(phi, jnp.float32)))
    np.testing.assert_allclose(got, np.array(want), rtol=2e-4, atol=1e-6)
    assert np.all(np.abs(got) < 10)               # near-identity start: order-one outputs
    # Scaling every site by 2 multiplies f by 2**199, beyond float32; the log-scale keeps it.
    big = LabelledMPS(tuple(2.0 * t if k != model.center else t
                            for k, t in enumerate(model.tensors)), model.center)
    out, log_scale = contract_jit(big, jnp.asarray(phi, jnp.float32))
    assert np.all(np.isfinite(np.asarray(out))) and np.all(np.isfinite(np.asarray(log_scale)))
    ref_log = np.log(np.abs(np.array(want)[:, 0])) + (n - 1) * math.log(2.0)
    got_log = np.log(np.abs(np.asarray(out)[:, 0])) + np.asarray(log_scale)
    np.testing.assert_allclose(got_log, ref_log, rtol=1e-5)


def _plain_logits(tensors, center, phi):
    """Reference contraction: unnormalised products of the site matrices, one sample at a time."""
    def one(p):
        left = jnp.ones((1,), phi.dtype)
        for k in range(center):
            left = left @ jnp.einsum("asb,s->ab", tensors[k], p[k])
        right = jnp.ones((1,), phi.dtype)
        for k in range(len(tensors) - 1, center, -1):
            right = jnp.einsum("asb,s->ab", tensors[k], p[k]) @ right
        return jnp.einsum("a,aslb,s,b->l", left, tensors[center], p[center], right)
    return jnp.stack([one(p) for p in phi])


def _uneven_model(seed: int, n: int, center: int) -> LabelledMPS:
    """A labelled MPS with irregular bond dimensions (as the sweep solver leaves them)."""
    rng = np.random.default_rng(seed)
    bonds = [1] + [int(b) for b in rng.integers(1, 6, size=n - 1)] + [1]
    ts = []
    for k in range(n):
        shape = (bonds[k], 2, 3, bonds[k + 1]) if k == center else (bonds[k], 2, bonds[k + 1])
        ts.append(jnp.asarray(rng.normal(size=shape) / np.sqrt(2 * bonds[k])))
    return LabelledMPS(tuple(ts), center)


@pytest.mark.parametrize("center", [0, 5, 32, 63])
def test_scanned_contraction_matches_plain_products_at_64_sites(center) -> None:
    """Padded, stacked scans over 64 sites (edge bonds 2, 4 and 8, label anywhere) give the
    plain products of the site matrices, values and gradients, in float64."""
    with jax.enable_x64(True):
        model = init_labelled_mps(jax.random.key(center), 64, 2, 3, 8, reference=[0.6, 0.8],
                                  noise=0.3, center=center, dtype=jnp.float64)
        x = np.random.default_rng(center).uniform(size=(4, 64))
        phi = jnp.asarray(np.stack([np.cos(np.pi * x / 2), np.sin(np.pi * x / 2)], -1)
                          / (0.6 * np.cos(np.pi * x / 2) + 0.8 * np.sin(np.pi * x / 2))[..., None])
        want = np.asarray(_plain_logits(model.tensors, center, phi))
        np.testing.assert_allclose(np.asarray(logits_jit(model, phi)), want, rtol=1e-10,
                                   atol=1e-12)
        weights = jnp.asarray(np.random.default_rng(9).normal(size=(4, 3)))

        def loss(tensors, fn):
            return jnp.sum(jnp.tanh(fn(tensors)) * weights)

        got = jax.jit(jax.grad(loss), static_argnums=1)(
            model.tensors, lambda ts: labelled_logits(LabelledMPS(ts, center), phi))
        ref = jax.jit(jax.grad(loss), static_argnums=1)(
            model.tensors, lambda ts: _plain_logits(ts, center, phi))
        for k in range(64):
            np.testing.assert_allclose(np.asarray(got[k]), np.asarray(ref[k]), rtol=1e-8,
                                       atol=1e-12, err_msg=f"site {k}")


@pytest.mark.parametrize("center", [0, 4, 9])
def test_contraction_with_irregular_bonds_matches_dense(center) -> None:
    with jax.enable_x64(True):
        model = _uneven_model(center, 10, center)
        phi = np.random.default_rng(1).normal(size=(5, 10, 2))
        want = kron_inputs(phi) @ dense_mps_weights(model.tensors, center)
        np.testing.assert_allclose(np.asarray(logits_jit(model, jnp.asarray(phi))), want,
                                   rtol=1e-10, atol=1e-12)


def test_anchored_identity_start_gives_exactly_the_centre() -> None:
    """With noise 0 every contracted site is the identity: f = C[0, :, :, 0] . phi_c."""
    model = init_labelled_mps(jax.random.key(0), 64, 2, 3, 8,
                              reference=get_local_map("trigonometric").reference_vector(2),
                              noise=0.0, dtype=jnp.float32)
    centre = np.zeros(model.tensors[32].shape, np.float32)
    centre[0, :, :, 0] = [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]]
    model = LabelledMPS(model.tensors[:32] + (jnp.asarray(centre),) + model.tensors[33:], 32)
    x = jnp.asarray(np.random.default_rng(0).uniform(size=(4, 64)), jnp.float32)
    phi = embed(x, "trigonometric", 2)
    np.testing.assert_allclose(np.asarray(logits_jit(model, phi)),
                               np.asarray(phi[:, 32]) @ centre[0, :, :, 0], rtol=1e-5)


def test_labelled_mps_gradient_matches_finite_differences() -> None:
    with jax.enable_x64(True):
        model = random_labelled(jax.random.key(5), 9, 2, 3, 3, 4)
        phi = jnp.asarray(np.random.default_rng(2).uniform(0.2, 1.0, size=(6, 9, 2)))
        weights = jnp.asarray(np.random.default_rng(3).normal(size=(6, 3)))

        def loss(m):
            return jnp.sum(jnp.tanh(logits_jit(m, phi)) * weights)

        assert_grad_matches_central_differences(jax.jit(loss), model, (0, 2, 4, 8), seed=4)


@pytest.mark.parametrize("n, center", [(9, 4), (10, 0), (10, 9), (11, 3), (12, 7), (2, 1)])
def test_stacked_mps_matches_dense_weights_and_round_trips(n, center) -> None:
    """The stacked training form (one two-sided scan, identity lead sites for the
    shorter chain) gives the dense W . kron(phi), and unstacks exactly."""
    with jax.enable_x64(True):
        model = random_labelled(jax.random.key(n + center), n, 2, 3, 4, center)
        stacked = StackedLabelledMPS.from_labelled(model)
        phi = np.random.default_rng(n).normal(size=(5, n, 2))
        want = kron_inputs(phi) @ dense_mps_weights(model.tensors, center)
        np.testing.assert_allclose(np.asarray(jax.jit(labelled_logits)(stacked, jnp.asarray(phi))),
                                   want, rtol=1e-10, atol=1e-12)
        back = stacked.to_labelled()
        assert back.center == center and back.bond_dims == model.bond_dims
        for a, b in zip(back.tensors, model.tensors, strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_stacked_mps_gradient_is_the_per_site_gradient_and_zero_on_padding() -> None:
    """d/dA of the stacked form: the per-site gradients (plain products as reference) in the
    real entries and exact zeros in the padding, so Adam leaves the padding at zero."""
    n, center = 12, 5
    with jax.enable_x64(True):
        model = random_labelled(jax.random.key(3), n, 2, 3, 8, center)
        stacked = StackedLabelledMPS.from_labelled(model)
        phi = jnp.asarray(np.random.default_rng(4).uniform(0.2, 1.0, size=(6, n, 2)))
        weights = jnp.asarray(np.random.default_rng(5).normal(size=(6, 3)))
        got = jax.grad(lambda m: jnp.sum(jnp.tanh(labelled_logits(m, phi)) * weights))(stacked)
        ref = jax.grad(lambda ts: jnp.sum(jnp.tanh(_plain_logits(ts, center, phi)) * weights))(
            model.tensors)
        bonds = (1, *model.bond_dims, 1)
        for k in range(n):
            if k == center:
                np.testing.assert_allclose(np.asarray(got.centre), np.asarray(ref[k]), rtol=1e-9)
                continue
            full = np.asarray(got.left[k] if k < center else got.right[k - center - 1])
            real = full[:bonds[k], :, :bonds[k + 1]]
            np.testing.assert_allclose(real, np.asarray(ref[k]), rtol=1e-9, atol=1e-14,
                                       err_msg=f"site {k}")
            padding = full.copy()
            padding[:bonds[k], :, :bonds[k + 1]] = 0.0
            assert not padding.any(), f"site {k}: nonzero gradient on the padding"


def test_stacked_mps_validation() -> None:
    model = init_labelled_mps(jax.random.key(0), 6, 2, 3, 4)
    stacked = StackedLabelledMPS.from_labelled(model)
    assert (stacked.n_sites, stacked.center, stacked.n_outputs, stacked.local_dim) == (6, 3, 3, 2)
    assert stacked.bond_dims == model.bond_dims
    with pytest.raises(ValueError, match="bonds"):
        StackedLabelledMPS(stacked.left, stacked.centre, stacked.right, (1, 2, 1))
    with pytest.raises(ValueError, match="left must have shape"):
        StackedLabelledMPS(stacked.left[:, :2], stacked.centre, stacked.right, stacked.bonds)
    with pytest.raises(ValueError, match="centre bonds"):
        StackedLabelledMPS(stacked.left[:2], stacked.centre, stacked.right, (1, 2, 2, 4, 2, 1))
    with pytest.raises(ValueError, match="phi must have shape"):
        labelled_logits(stacked, jnp.ones((4, 5, 2)))


def test_labelled_mps_validation() -> None:
    a = jnp.ones((1, 2, 2))
    c = jnp.ones((2, 2, 3, 1))
    assert LabelledMPS((a, c), 1).n_outputs == 3
    with pytest.raises(ValueError, match="4 axes"):
        LabelledMPS((a, jnp.ones((2, 2, 1))), 1)
    with pytest.raises(ValueError, match="center"):
        LabelledMPS((a, c), 2)
    with pytest.raises(ValueError, match="do not match"):
        LabelledMPS((jnp.ones((1, 2, 3)), c), 1)
    with pytest.raises(ValueError, match="phi must have shape"):
        logits_jit(LabelledMPS((a, c), 1), jnp.ones((4, 3, 2)))


# -- TTN ------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, d, n_out, chi", [(1, 2, 2, 2), (2, 3, 1, 4), (3, 2, 3, 3),
                                              (5, 2, 2, 4), (8, 2, 3, 2)])
def test_ttn_contraction_matches_dense(n, d, n_out, chi) -> None:
    with jax.enable_x64(True):
        model = init_ttn(jax.random.key(n), n, d, n_out, chi, reference=np.ones(d) / np.sqrt(d),
                         noise=1.0, dtype=jnp.float64)
        assert model.depth == max(1, math.ceil(math.log2(n)))
        phi = np.random.default_rng(0).normal(size=(5, n, d))
        want = kron_inputs(phi) @ dense_ttn_weights(model.layers, n, model.pad)
        np.testing.assert_allclose(np.asarray(ttn_logits_jit(model, jnp.asarray(phi))), want,
                                   rtol=1e-10, atol=1e-12)
        out, log_scale = contract_ttn_jit(model, jnp.asarray(phi))
        np.testing.assert_allclose(np.asarray(out) * np.exp(np.asarray(log_scale))[:, None],
                                   want, rtol=1e-10, atol=1e-12)


def test_ttn_gradient_matches_finite_differences() -> None:
    with jax.enable_x64(True):
        model = init_ttn(jax.random.key(1), 6, 2, 2, 3, noise=1.0, dtype=jnp.float64)
        phi = jnp.asarray(np.random.default_rng(2).uniform(0.2, 1.0, size=(4, 6, 2)))

        def loss(m):
            return jnp.sum(jnp.sin(ttn_logits_jit(m, phi)))

        assert_grad_matches_central_differences(jax.jit(loss), model,
                                                   range(model.depth), seed=0)


def test_ttn_is_stable_and_order_one_at_init_for_many_sites() -> None:
    w = get_local_map("trigonometric").reference_vector(2)
    model = init_ttn(jax.random.key(0), 256, 2, 4, 8, reference=w, noise=0.1)
    x = jnp.asarray(np.random.default_rng(0).uniform(size=(8, 256)), jnp.float32)
    f = np.asarray(ttn_logits_jit(model, embed(x, "trigonometric", 2)))
    assert np.all(np.isfinite(f)) and np.all(np.abs(f) < 10)


def test_ttn_validation() -> None:
    with pytest.raises(ValueError, match="layer 0"):
        TTN((jnp.ones((1, 2, 2, 3)), jnp.ones((1, 3, 3, 2))), 4, (1.0, 0.0))
    with pytest.raises(ValueError, match="does not fit"):
        TTN((jnp.ones((1, 2, 2, 3)),), 3, (1.0, 0.0))
    with pytest.raises(ValueError, match="pad"):
        TTN((jnp.ones((1, 2, 2, 3)),), 2, (1.0,))


@pytest.mark.parametrize("module", ["local_maps", "mps_model", "ttn", "canonical"])
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    mod = importlib.import_module(f"qinspired.tn.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
