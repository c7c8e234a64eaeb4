r"""MPS Born machines: a normalised density over ``[0, 1]^n`` from a matrix product state.

The model of an unsupervised MPS (Han et al. 2018; with continuous inputs,
Stoudenmire's local feature maps) is the squared overlap of the product state
of the features with an MPS :math:`|\psi\rangle`,

.. math::

    p(\mathbf{x}) = \frac{|\langle \Phi(\mathbf{x}) | \psi \rangle|^2}{Z},
    \qquad
    Z = \int_{[0,1]^n} |\langle \Phi(\mathbf{x}) | \psi \rangle|^2 \, d\mathbf{x}
      = \langle \psi |\, G^{\otimes n} \,| \psi \rangle,
    \qquad
    G_{st} = \int_0^1 \phi_s(x)\, \phi_t(x)\, dx ,

a probability density on the unit cube for every non-zero :math:`\psi`. The
normaliser :math:`Z` is contracted exactly, site by site in
:math:`O(n\, d^2 \chi^3)`, with the local Gram matrix :math:`G` of the map
(the identity for the orthonormal ``"legendre"`` and ``"cosine"`` maps);
:func:`local_gram` computes it once by Gauss-Legendre quadrature. The
negative log-likelihood
:math:`-\langle \log |\langle \Phi(\mathbf{x})|\psi\rangle|^2 \rangle + \log Z`
is what :func:`born_nll` trains: the :math:`\log Z` term is the norm
regulariser, without it the likelihood grows with the scale of
:math:`\psi`.

Both contractions normalise their environment after every site and sum the
logarithms of the norms, so nothing under- or overflows at any number of
sites; runs of equally shaped site tensors go through ``lax.scan``.

References
----------
Z.-Y. Han, J. Wang, H. Fan, L. Wang and P. Zhang, "Unsupervised generative
modeling using matrix product states", Phys. Rev. X 8, 031012 (2018).
E. M. Stoudenmire and D. J. Schwab, "Supervised learning with tensor networks",
NeurIPS 2016, arXiv:1605.05775.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._random import numpy_rng
from qinspired._validation import check_int, check_memory, check_real
from qinspired.tn.local_maps import get_local_map
from qinspired.tn.mps import MPS
from qinspired.tn.mps_model import bond_dims_for

__all__ = [
    "born_log_likelihood",
    "born_nll",
    "fold_sites",
    "init_born_mps",
    "local_gram",
    "log_amplitudes",
    "log_normaliser",
]

#: Gauss-Legendre nodes of :func:`local_gram` (exact for polynomials of degree < 256).
_QUADRATURE_NODES = 128


@functools.cache
def _gram(name: str, d: int) -> np.ndarray:
    nodes, weights = np.polynomial.legendre.leggauss(_QUADRATURE_NODES)
    x, w = (nodes + 1.0) / 2.0, weights / 2.0
    with jax.ensure_compile_time_eval(), jax.enable_x64(True):
        phi = np.asarray(get_local_map(name, d)(jnp.asarray(x, dtype=jnp.float64), d),
                         dtype=np.float64)
    gram = phi.T @ (w[:, None] * phi)
    gram = (gram + gram.T) / 2.0
    gram.setflags(write=False)
    return gram


def local_gram(name: str, d: int) -> np.ndarray:
    r"""The local Gram matrix :math:`G_{st} = \int_0^1 \phi_s(x) \phi_t(x)\, dx`, shape ``(d, d)``.

    Computed by 128-point Gauss-Legendre quadrature in float64 (cached).

    Examples
    --------
    >>> np.round(local_gram("trigonometric", 2), 4).tolist()
    [[0.5, 0.3183], [0.3183, 0.5]]
    """
    get_local_map(name, d)
    return _gram(name, int(d))


def init_born_mps(key: jax.Array, n_sites: int, local_dim: int, bond_dim: int, *,
                  reference: Sequence[float] | None = None, noise: float = 0.1,
                  dtype=jnp.float32) -> MPS:
    r"""An MPS near the product state :math:`w^{\otimes n}`: ``A[:, s, :] = w_s I`` plus noise.

    Parameters
    ----------
    key : jax.Array
        PRNG key of the noise (drawn on the host from the key's bits).
    n_sites, local_dim, bond_dim : int
        Sites, local dimension ``d`` and maximal bond dimension (bonds are
        ``min(bond_dim, d^k, d^(n-k))``).
    reference : sequence of float, optional
        The vector ``w`` (length ``d``); default ``e_0``. With the map's
        reference vector (:meth:`~qinspired.tn.local_maps.LocalMap.reference_vector`)
        the initial density is smooth and positive on the cube.
    noise : float, default 0.1
        Relative size of the Gaussian noise, ``noise / sqrt(chi_left * d)``
        per entry.
    dtype : dtype, default float32

    Returns
    -------
    MPS
    """
    n = check_int("init_born_mps", "n_sites", n_sites, 1)
    d = check_int("init_born_mps", "local_dim", local_dim, 1)
    chi = check_int("init_born_mps", "bond_dim", bond_dim, 1)
    noise = check_real("init_born_mps", "noise", noise)
    w = np.eye(d)[0] if reference is None else np.asarray(reference, dtype=np.float64)
    if w.shape != (d,):
        raise ValueError(f"init_born_mps: reference must have shape ({d},), got {w.shape}")
    dims = bond_dims_for(n, d, chi)
    entries = sum(dims[k] * d * dims[k + 1] for k in range(n))
    check_memory(2 * 8 * entries, f"init_born_mps: {n} sites of bond dimension up to "
                 f"{max(dims)} (bond_dim={chi})", advice="use a smaller bond_dim")
    rng = numpy_rng(key)
    tensors = []
    for k in range(n):
        dl, dr = dims[k], dims[k + 1]
        t = noise / np.sqrt(dl * d) * rng.standard_normal((dl, d, dr))
        tensors.append(jnp.asarray(t + w[None, :, None] * np.eye(dl, dr)[:, None, :],
                                   dtype=dtype))
    return MPS(tuple(tensors))


#: Runs of at least this many equally shaped site tensors are contracted with ``lax.scan``.
_SCAN_MIN = 4


def fold_sites(step: Callable, carry: Any, tensors: Sequence[jax.Array],
               extra: jax.Array | None) -> Any:
    """Fold ``carry, _ = step(carry, (tensor_k, extra[:, k]))`` over the sites ``k`` in order.

    Runs of at least a few consecutive site tensors of one shape are stacked and
    folded by one ``lax.scan``, so the traced program does not grow with the number
    of sites; shorter runs are unrolled. ``extra`` (per-site data with the sites on
    axis 1, e.g. embedded inputs ``(batch, n_sites, d)``) may be ``None``.
    """
    start, n = 0, len(tensors)
    while start < n:
        stop = start + 1
        while stop < n and tensors[stop].shape == tensors[start].shape:
            stop += 1
        if stop - start >= _SCAN_MIN:
            xs = (jnp.stack(tensors[start:stop]),
                  None if extra is None else jnp.moveaxis(extra[:, start:stop], 1, 0))
            carry, _ = jax.lax.scan(step, carry, xs)
        else:
            for k in range(start, stop):
                carry, _ = step(carry, (tensors[k], None if extra is None else extra[:, k]))
        start = stop
    return carry


def _amplitude_step(carry, site):
    env, log = carry
    a, p = site
    dl, d, dr = a.shape
    t = (env @ a.reshape(dl, d * dr)).reshape(-1, d, dr)
    env = jnp.einsum("bsc,bs->bc", t, p)
    nrm = jnp.linalg.norm(env, axis=1)
    nrm = jnp.where(nrm > 0, nrm, 1.0)
    return (env / nrm[:, None], log + jnp.log(nrm)), None


def log_amplitudes(mps: MPS, phi: jax.Array) -> jax.Array:
    r""":math:`\log |\langle \Phi(\mathbf{x}) | \psi \rangle|^2` for a batch of local vectors.

    Parameters
    ----------
    mps : MPS
        Real site tensors with the same local dimension ``d`` on every site.
    phi : array, shape (batch, n_sites, d)
        Local vectors :math:`\phi(x_k)` of each sample.

    Returns
    -------
    jax.Array, shape (batch,)
        Floored at the logarithm of the dtype's smallest normal number, so an
        exactly vanishing overlap stays finite.
    """
    phi = jnp.asarray(phi)
    d = mps.phys_dims[0]
    if phi.ndim != 3 or phi.shape[1:] != (mps.n_sites, d):
        raise ValueError(f"phi must have shape (batch, {mps.n_sites}, {d}), got {phi.shape}")
    dtype = jnp.result_type(phi, mps.tensors[0])
    carry = (jnp.ones((phi.shape[0], 1), dtype), jnp.zeros((phi.shape[0],), dtype))
    env, log = fold_sites(_amplitude_step, carry, mps.tensors, phi)
    tiny = jnp.finfo(dtype).tiny
    return jnp.log(jnp.maximum(env[:, 0] ** 2, tiny)) + 2.0 * log


def _norm_step(carry, site):
    env, log, gram = carry
    a, _ = site
    env = jnp.einsum("ab,asc,st,btd->cd", env, a, gram, a)
    nrm = jnp.linalg.norm(env)
    nrm = jnp.where(nrm > 0, nrm, 1.0)
    return (env / nrm, log + jnp.log(nrm), gram), None


def log_normaliser(mps: MPS, gram: jax.Array) -> jax.Array:
    r""":math:`\log Z = \log \langle \psi | G^{\otimes n} | \psi \rangle` (real tensors).

    Parameters
    ----------
    mps : MPS
    gram : array, shape (d, d)
        The local Gram matrix (:func:`local_gram`); the identity gives
        :math:`\log \|\psi\|^2`.
    """
    dtype = mps.tensors[0].dtype
    gram = jnp.asarray(gram, dtype=dtype)
    carry = (jnp.ones((1, 1), dtype), jnp.zeros((), dtype), gram)
    env, log, _ = fold_sites(_norm_step, carry, mps.tensors, None)
    return jnp.log(jnp.maximum(env[0, 0], jnp.finfo(dtype).tiny)) + log


def born_log_likelihood(mps: MPS, phi: jax.Array, gram: jax.Array) -> jax.Array:
    r""":math:`\log p(\mathbf{x})` of the normalised Born density, shape ``(batch,)``.

    Examples
    --------
    A bond-dimension-1 MPS with orthonormal local vectors is the uniform
    density (``p = 1``, ``log p = 0``) when its sites are ``e_0``:

    >>> import jax.numpy as jnp
    >>> from qinspired.tn.local_maps import apply_local_map
    >>> from qinspired.tn.mps import product_mps
    >>> mps = product_mps([jnp.array([2.0, 0.0, 0.0])] * 3)
    >>> phi = apply_local_map(jnp.array([[0.1, 0.5, 0.9]]), "legendre", 3)
    >>> log_p = born_log_likelihood(mps, phi, local_gram("legendre", 3))
    >>> [round(float(jnp.exp(v)), 5) for v in log_p]
    [1.0]
    """
    return log_amplitudes(mps, phi) - log_normaliser(mps, gram)


@functools.cache
def born_nll(name: str, d: int) -> Callable[[MPS, jax.Array, jax.Array], jax.Array]:
    """The training loss ``loss(mps, phi, _) = -mean log p(x)`` for the map ``name`` (cached).

    One function per ``(name, d)``, so a jitted training step compiles once per
    model shape and is reused across fits; the third argument (targets) is
    ignored.
    """
    gram = local_gram(name, d)

    def loss(mps: MPS, phi: jax.Array, _: jax.Array) -> jax.Array:
        return -jnp.mean(born_log_likelihood(mps, phi, gram))

    return loss
