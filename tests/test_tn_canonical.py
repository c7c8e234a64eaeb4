"""Canonical forms, label moves and SVD truncation against dense tensors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _tn_dense import dense_mps_weights, random_labelled

from qinspired.tn import random_mps, to_dense
from qinspired.tn.canonical import (
    canonicalize,
    is_left_orthonormal,
    is_right_orthonormal,
    mixed_canonical,
    move_label,
    svd_split,
    truncate_labelled,
)


def _check_mixed(tensors, center) -> None:
    for k, t in enumerate(tensors):
        if k < center:
            assert is_left_orthonormal(np.asarray(t), atol=1e-10)
        elif k > center:
            assert is_right_orthonormal(np.asarray(t), atol=1e-10)


def test_svd_split_error_is_the_frobenius_error() -> None:
    m = np.random.default_rng(0).normal(size=(12, 9))
    u, s, vh, disc = svd_split(m)
    np.testing.assert_allclose(u * s @ vh, m, atol=1e-12)
    assert disc == pytest.approx(0.0, abs=1e-20)
    u, s, vh, disc = svd_split(m, max_bond=4)
    assert s.shape == (4,)
    assert np.linalg.norm(m - u * s @ vh) ** 2 == pytest.approx(disc, rel=1e-10)
    sv = np.linalg.svd(m, compute_uv=False)
    u, s, vh, disc = svd_split(m, cutoff=sv[2] / sv[0] * 0.9999)      # keeps s_0, s_1, s_2
    assert s.shape == (3,)
    with pytest.raises(ValueError, match="cutoff"):
        svd_split(m, cutoff=1.5)
    with pytest.raises(ValueError, match="max_bond"):
        svd_split(m, max_bond=0)


@pytest.mark.parametrize("center", [0, 3, 5])
def test_mixed_canonical_keeps_the_state(center: int) -> None:
    with jax.enable_x64(True):
        mps = random_mps(jax.random.key(0), 6, 2, 4, dtype=jnp.float64)
        scaled = type(mps)(tuple(3.0 * t for t in mps.tensors))
        can = mixed_canonical(scaled, center)
        np.testing.assert_allclose(np.asarray(to_dense(can)), np.asarray(to_dense(scaled)),
                                   atol=1e-12)
        _check_mixed(can.tensors, center)
        assert float(np.linalg.norm(np.asarray(can.tensors[center]))) == pytest.approx(
            3.0 ** 6, rel=1e-10)


def test_canonicalize_and_move_label_are_exact() -> None:
    with jax.enable_x64(True):
        model = random_labelled(jax.random.key(1), 6, 2, 3, 4, 2)
        want = dense_mps_weights(model.tensors, 2)
        can = canonicalize(model)
        np.testing.assert_allclose(dense_mps_weights(can.tensors, 2), want, atol=1e-10)
        _check_mixed(can.tensors, 2)
        for target in (0, 5, 3):
            moved, err = move_label(model, target)
            assert moved.center == target and err == 0.0
            np.testing.assert_allclose(dense_mps_weights(moved.tensors, target), want,
                                       atol=1e-10)
            _check_mixed(moved.tensors, target)
            # Carrying the 3-valued label across a bond may need up to 3x the bond.
            assert all(b <= 3 * 4 for b in moved.bond_dims)


def test_truncation_to_a_bond_dimension_and_to_an_error() -> None:
    with jax.enable_x64(True):
        model = random_labelled(jax.random.key(2), 7, 2, 2, 8, 3)
        want = dense_mps_weights(model.tensors, 3)
        full, err = truncate_labelled(model)
        assert err == pytest.approx(0.0, abs=1e-10)
        np.testing.assert_allclose(dense_mps_weights(full.tensors, 3), want, atol=1e-9)
        small, err = truncate_labelled(model, max_bond=2)
        assert small.center == 3 and max(small.bond_dims) <= 2 and err > 0
        true = np.linalg.norm(dense_mps_weights(small.tensors, 3) - want) / np.linalg.norm(want)
        # Each cut is optimal given the rest of the chain; the errors of the cuts add up.
        assert true <= 2.0 * err + 1e-12
        assert true >= 0.1 * err
        loose, err_loose = truncate_labelled(model, cutoff=0.3)
        assert sum(loose.bond_dims) < sum(full.bond_dims)
        assert err_loose < 1.0


def test_move_label_rejects_bad_sites() -> None:
    with jax.enable_x64(True):
        model = random_labelled(jax.random.key(0), 3, 2, 2, 2, 1)
    with pytest.raises(ValueError, match="center=3"):
        move_label(model, 3)
