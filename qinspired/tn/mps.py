r"""Matrix product states as JAX pytrees.

An MPS on ``n`` sites of local dimension ``d`` is a tuple of site tensors
``A[k]`` of shape ``(chi_{k}, d, chi_{k+1})`` with ``chi_0 = chi_n = 1``:

.. math::

    \psi(s_0, \dots, s_{n-1}) = A^{[0]}_{s_0} A^{[1]}_{s_1} \cdots A^{[n-1]}_{s_{n-1}}.

Site 0 is the most significant index of the dense vector, matching the qubit
order of :mod:`qinspired.circuits`. The site tensors are pytree leaves; the
shapes (and so the bond dimensions) are static. All functions are pure.

References
----------
U. Schollwoeck, "The density-matrix renormalization group in the age of
matrix product states", Annals of Physics 326, 96 (2011).
"""

from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._pytree import pytree_dataclass

__all__ = [
    "MPS",
    "contract_product_states",
    "inner",
    "norm",
    "product_mps",
    "random_mps",
    "to_dense",
    "truncate",
]


@pytree_dataclass
class MPS:
    """A matrix product state: a tuple of ``(chi_left, d, chi_right)`` tensors."""

    tensors: tuple[jax.Array, ...]

    def __post_init__(self) -> None:
        ts = tuple(self.tensors)
        if not ts:
            raise ValueError("an MPS needs at least one site")
        for k, t in enumerate(ts):
            if getattr(t, "ndim", None) != 3:
                raise ValueError(f"site {k}: tensor must have 3 axes (left, phys, right), "
                                 f"got shape {getattr(t, 'shape', None)}")
        if ts[0].shape[0] != 1 or ts[-1].shape[2] != 1:
            raise ValueError("the outer bonds of an MPS must have dimension 1, got "
                             f"{ts[0].shape[0]} and {ts[-1].shape[2]}")
        for k in range(len(ts) - 1):
            if ts[k].shape[2] != ts[k + 1].shape[0]:
                raise ValueError(f"bond {k}-{k + 1}: dimensions {ts[k].shape[2]} and "
                                 f"{ts[k + 1].shape[0]} do not match")
        object.__setattr__(self, "tensors", ts)

    @property
    def n_sites(self) -> int:
        """Number of sites."""
        return len(self.tensors)

    @property
    def phys_dims(self) -> tuple[int, ...]:
        """Local (physical) dimension of each site."""
        return tuple(int(t.shape[1]) for t in self.tensors)

    @property
    def bond_dims(self) -> tuple[int, ...]:
        """The ``n_sites - 1`` inner bond dimensions."""
        return tuple(int(t.shape[2]) for t in self.tensors[:-1])


def product_mps(vectors: Sequence[jax.Array]) -> MPS:
    """The bond-dimension-1 MPS of a product state ``vectors[0] (x) vectors[1] ...``."""
    return MPS(tuple(jnp.asarray(v).reshape(1, -1, 1) for v in vectors))


def random_mps(key: jax.Array, n_sites: int, phys_dim: int, bond_dim: int,
               dtype=jnp.float32) -> MPS:
    """A random normalised MPS with bond dimensions ``min(bond_dim, d**k, d**(n-k))``."""
    if n_sites < 1 or phys_dim < 1 or bond_dim < 1:
        raise ValueError(f"n_sites, phys_dim and bond_dim must be >= 1, got "
                         f"{n_sites}, {phys_dim}, {bond_dim}")
    dims = [1] + [min(bond_dim, phys_dim**k, phys_dim ** (n_sites - k))
                  for k in range(1, n_sites)] + [1]
    keys = jax.random.split(key, n_sites)
    tensors = []
    for k in range(n_sites):
        shape = (dims[k], phys_dim, dims[k + 1])
        t = jax.random.normal(keys[k], shape, dtype=jnp.real(jnp.zeros((), dtype)).dtype)
        if jnp.issubdtype(dtype, jnp.complexfloating):
            t = t + 1j * jax.random.normal(jax.random.fold_in(keys[k], 1), shape)
        tensors.append((t / np.sqrt(dims[k] * phys_dim)).astype(dtype))
    mps = MPS(tuple(tensors))
    return MPS(tuple(mps.tensors[:-1]) + (mps.tensors[-1] / norm(mps),))


def to_dense(mps: MPS) -> jax.Array:
    """The full vector of ``prod(phys_dims)`` amplitudes (site 0 most significant)."""
    out = mps.tensors[0]
    for t in mps.tensors[1:]:
        out = jnp.einsum("apb,bqc->apqc", out, t).reshape(1, -1, t.shape[2])
    return out.reshape(-1)


def inner(a: MPS, b: MPS) -> jax.Array:
    r""":math:`\langle a | b \rangle`, contracted site by site in ``O(n d \chi^3)``."""
    if a.phys_dims != b.phys_dims:
        raise ValueError(f"physical dimensions differ: {a.phys_dims} vs {b.phys_dims}")
    env = jnp.ones((1, 1), dtype=jnp.result_type(a.tensors[0], b.tensors[0]))
    for ta, tb in zip(a.tensors, b.tensors):
        env = jnp.einsum("ab,apc,bpd->cd", env, jnp.conj(ta), tb)
    return env[0, 0]


def norm(mps: MPS) -> jax.Array:
    """The 2-norm of the state."""
    return jnp.sqrt(jnp.abs(inner(mps, mps)))


def contract_product_states(mps: MPS, local: jax.Array) -> jax.Array:
    r"""Overlaps :math:`\langle \phi(x) | \psi \rangle` with a batch of product states.

    Parameters
    ----------
    mps : MPS
        The state, with the same local dimension ``d`` on every site.
    local : array, shape (batch, n_sites, d)
        Local vectors of each product state (used without conjugation, as
        in tensor-network classifiers with real feature maps).

    Returns
    -------
    jax.Array, shape (batch,)
        ``sum_s psi(s) prod_k local[:, k, s_k]``, costing ``O(batch n d chi^2)``.
    """
    local = jnp.asarray(local)
    if local.ndim != 3 or local.shape[1] != mps.n_sites:
        raise ValueError(f"local must have shape (batch, {mps.n_sites}, d), got {local.shape}")
    if set(mps.phys_dims) != {local.shape[2]}:
        raise ValueError(f"local dimension {local.shape[2]} does not match the MPS's "
                         f"{mps.phys_dims}")
    env = jnp.ones((local.shape[0], 1), dtype=jnp.result_type(local, mps.tensors[0]))
    for k, t in enumerate(mps.tensors):
        env = jnp.einsum("ba,bp,apc->bc", env, local[:, k, :], t)
    return env[:, 0]


def truncate(mps: MPS, max_bond: int | None = None, cutoff: float = 0.0
             ) -> tuple[MPS, float]:
    r"""Compress the bonds by SVD, keeping at most ``max_bond`` singular values.

    The state is first brought to left-canonical form by QR, then swept from
    the right, cutting each bond to the singular values above ``cutoff``
    (relative to the largest) and at most ``max_bond`` of them. Runs on
    concrete arrays (bond dimensions are data-dependent).

    Returns
    -------
    (MPS, float)
        The compressed state and the truncation error ``eps``: the square
        root of the summed discarded squared singular values, relative to
        the norm. The true error obeys
        ``||psi - psi_chi|| / ||psi|| <= sqrt(2) * eps`` (Verstraete and
        Cirac 2006); it is 0 when nothing is discarded.
    """
    if max_bond is not None and max_bond < 1:
        raise ValueError(f"max_bond must be >= 1, got {max_bond}")
    if not 0.0 <= cutoff < 1.0:
        raise ValueError(f"cutoff must be in [0, 1), got {cutoff}")
    ts = [np.asarray(t) for t in mps.tensors]
    for k in range(len(ts) - 1):
        a, d, b = ts[k].shape
        q, r = np.linalg.qr(ts[k].reshape(a * d, b))
        ts[k] = q.reshape(a, d, q.shape[1])
        ts[k + 1] = np.einsum("ij,jpk->ipk", r, ts[k + 1])
    total = float(np.linalg.norm(ts[-1]))
    discarded = 0.0
    for k in range(len(ts) - 1, 0, -1):
        a, d, b = ts[k].shape
        u, s, vh = np.linalg.svd(ts[k].reshape(a, d * b), full_matrices=False)
        keep = int(np.sum(s > cutoff * s[0])) if s[0] > 0 else 1
        if max_bond is not None:
            keep = min(keep, max_bond)
        keep = max(keep, 1)
        discarded += float(np.sum(s[keep:] ** 2))
        ts[k] = vh[:keep].reshape(keep, d, b)
        ts[k - 1] = np.einsum("ipj,jk->ipk", ts[k - 1], u[:, :keep] * s[:keep])
    error = float(np.sqrt(discarded)) / total if total > 0 else 0.0
    return MPS(tuple(jnp.asarray(t) for t in ts)), error
