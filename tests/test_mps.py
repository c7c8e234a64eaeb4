"""Matrix product states against dense tensors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qinspired.tn import (
    MPS,
    contract_product_states,
    inner,
    norm,
    product_mps,
    random_mps,
    to_dense,
    truncate,
)


def dense_from_tensors(tensors) -> np.ndarray:
    """Independent dense contraction: sum over all index strings."""
    n = len(tensors)
    d = tensors[0].shape[1]
    out = np.zeros(d**n, dtype=complex)
    for idx in range(d**n):
        digits = np.unravel_index(idx, (d,) * n)
        m = np.eye(1)
        for t, s in zip(tensors, digits):
            m = m @ np.asarray(t)[:, s, :]
        out[idx] = m[0, 0]
    return out


@pytest.mark.parametrize("d, chi", [(2, 1), (2, 3), (3, 4)])
def test_dense_inner_norm_and_product_contraction(d: int, chi: int) -> None:
    with jax.enable_x64(True):
        a = random_mps(jax.random.key(0), 5, d, chi, dtype=jnp.complex128)
        b = random_mps(jax.random.key(1), 5, d, chi, dtype=jnp.complex128)
        va, vb = dense_from_tensors(a.tensors), dense_from_tensors(b.tensors)
        np.testing.assert_allclose(np.asarray(to_dense(a)), va, atol=1e-12)
        assert complex(inner(a, b)) == pytest.approx(np.vdot(va, vb), abs=1e-12)
        assert float(norm(a)) == pytest.approx(1.0, abs=1e-12)
        local = np.random.default_rng(0).normal(size=(4, 5, d))
        got = np.asarray(contract_product_states(a, local))
        for i in range(4):
            prod = local[i, 0]
            for k in range(1, 5):
                prod = np.kron(prod, local[i, k])
            assert got[i] == pytest.approx(prod @ va, abs=1e-12)


def test_product_mps_and_bond_dims() -> None:
    vs = [np.array([1.0, 0.0]), np.array([0.6, 0.8]), np.array([0.0, 1.0])]
    m = product_mps(vs)
    assert m.bond_dims == (1, 1) and m.phys_dims == (2, 2, 2)
    np.testing.assert_allclose(np.asarray(to_dense(m)), np.kron(np.kron(vs[0], vs[1]), vs[2]))
    assert random_mps(jax.random.key(0), 6, 2, 16).bond_dims == (2, 4, 8, 4, 2)


def test_truncation_is_exact_at_full_bond_and_bounded_below_it() -> None:
    with jax.enable_x64(True):
        m = random_mps(jax.random.key(3), 8, 2, 16, dtype=jnp.float64)
        dense = np.asarray(to_dense(m))
        same, err = truncate(m, max_bond=16)
        assert err == pytest.approx(0.0, abs=1e-12)
        np.testing.assert_allclose(np.asarray(to_dense(same)), dense, atol=1e-12)
        for chi in (1, 2, 4, 8):
            small, eps = truncate(m, max_bond=chi)
            assert max(small.bond_dims) <= chi
            true = np.linalg.norm(np.asarray(to_dense(small)) - dense) / np.linalg.norm(dense)
            assert true <= np.sqrt(2) * eps + 1e-12


def test_pytree_jit_and_grad() -> None:
    m = random_mps(jax.random.key(0), 4, 2, 2)
    local = jnp.ones((3, 4, 2))
    f = jax.jit(lambda mps: jnp.sum(contract_product_states(mps, local) ** 2))
    g = jax.grad(f)(m)
    assert isinstance(g, MPS) and g.bond_dims == m.bond_dims
    eps = 1e-3
    t0 = np.asarray(m.tensors[1]).copy()
    t0[0, 1, 0] += eps
    plus = MPS((m.tensors[0], jnp.asarray(t0)) + m.tensors[2:])
    fd = (float(f(plus)) - float(f(m))) / eps
    assert float(g.tensors[1][0, 1, 0]) == pytest.approx(fd, rel=2e-2)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="bond 0-1"):
        MPS((jnp.ones((1, 2, 2)), jnp.ones((3, 2, 1))))
    with pytest.raises(ValueError, match="outer bonds"):
        MPS((jnp.ones((2, 2, 1)),))
    m = random_mps(jax.random.key(0), 3, 2, 2)
    with pytest.raises(ValueError, match="shape"):
        contract_product_states(m, jnp.ones((2, 4, 2)))
    with pytest.raises(ValueError, match="max_bond"):
        truncate(m, max_bond=0)
