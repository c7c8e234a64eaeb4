r"""Binary tree tensor networks (TTN) with a label index at the root.

A TTN over :math:`n` sites contracts the product input
:math:`\phi(x_1) \otimes \cdots \otimes \phi(x_n)` pairwise up a balanced binary
tree: layer :math:`l` holds :math:`m_l = 2^{L-l}` node tensors
:math:`T^{[l, j]}_{i j k}` that merge the vectors :math:`u, v` of two children
into

.. math::

    p_k = \sum_{i j} T^{[l, j]}_{i j k}\, u_i v_j ,

and the root's output index is the label :math:`\ell`. Node tensors of one layer
share their shape ``(D_{l-1}, D_{l-1}, D_l)`` with ``D_0 = d``,
``D_l = min(bond_dim, D_{l-1}^2)``, and are stored stacked, ``(m_l, D, D, D')``,
so a layer is one vectorised contraction over all its nodes and the whole batch.
The tree has depth :math:`L = \lceil \log_2 n \rceil`: the sites are padded to
:math:`2^L` with a fixed local vector (the reference vector of the local map,
for which the anchored inputs of :func:`qinspired.tn.local_maps.embed` are
neutral).

As for the MPS (:mod:`qinspired.tn.mps_model`), every node output is
normalised and the logarithms of the norms are summed, so the contraction is
stable at any depth: the model output is :math:`f = \hat f\, e^{\log s}`,
and differentiation treats the norms as constants (exact for :math:`f`, which
is linear in every node output; see the MPS notes).
:func:`init_ttn` starts at the reference product state with every node an
*additive identity* (:math:`T(u, v) \approx u + v - e_0` around the reference
direction, so the deviation of every leaf reaches the root undamped at any
depth), plus noise; the root is noise, so the outputs start near 0.

References
----------
Y.-Y. Shi, L.-M. Duan and G. Vidal, "Classical simulation of quantum many-body
systems with a tree tensor network", Phys. Rev. A 74, 022320 (2006).
D. Liu, S.-J. Ran, P. Wittek, C. Peng, R. B. Garcia, G. Su and M. Lewenstein,
"Machine learning by unitary tensor network of hierarchical tree structure",
New J. Phys. 21, 073059 (2019).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._pytree import pytree_dataclass, static_field
from qinspired._random import numpy_rng
from qinspired._validation import check_float_dtype, check_int, check_memory, check_real

__all__ = ["TTN", "contract_ttn", "init_ttn", "ttn_logits"]


@pytree_dataclass
class TTN:
    """A binary tree tensor network with a label index at the root.

    Attributes
    ----------
    layers : tuple of arrays
        ``layers[l]`` has shape ``(2**(L-1-l), D_l, D_l, D_{l+1})``; the last
        layer has one node whose output size is the number of outputs. Leaves.
    n_sites : int
        Number of real sites (static); sites ``n_sites .. 2**L - 1`` are padding.
    pad : tuple of float
        The local vector of the padded sites (static).
    """

    layers: tuple[jax.Array, ...]
    n_sites: int = static_field()
    pad: tuple[float, ...] = static_field()

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        if not layers:
            raise ValueError("a TTN needs at least one layer")
        depth = len(layers)
        for l, t in enumerate(layers):
            want = 2 ** (depth - 1 - l)
            if getattr(t, "ndim", None) != 4 or t.shape[0] != want or t.shape[1] != t.shape[2]:
                raise ValueError(f"layer {l}: expected shape ({want}, D, D, D'), got "
                                 f"{getattr(t, 'shape', None)}")
            if l and layers[l - 1].shape[3] != t.shape[1]:
                raise ValueError(f"layer {l}: input dimension {t.shape[1]} does not match the "
                                 f"output dimension {layers[l - 1].shape[3]} of layer {l - 1}")
        n = int(self.n_sites)
        if not 2 ** (depth - 1) < n <= 2**depth and not (depth == 1 and n == 1):
            raise ValueError(f"n_sites={n} does not fit a tree of depth {depth} "
                             f"(needs {2 ** (depth - 1) + 1}..{2**depth} sites)")
        pad = tuple(float(v) for v in self.pad)
        if len(pad) != layers[0].shape[1]:
            raise ValueError(f"pad must have the local dimension {layers[0].shape[1]}, "
                             f"got length {len(pad)}")
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "n_sites", n)
        object.__setattr__(self, "pad", pad)

    @property
    def depth(self) -> int:
        """Number of layers ``L``."""
        return len(self.layers)

    @property
    def local_dim(self) -> int:
        """Local dimension ``d``."""
        return int(self.layers[0].shape[1])

    @property
    def n_outputs(self) -> int:
        """Size of the label index."""
        return int(self.layers[-1].shape[3])

    @property
    def bond_dims(self) -> tuple[int, ...]:
        """Output dimension of each layer below the root."""
        return tuple(int(t.shape[3]) for t in self.layers[:-1])

    def logits(self, phi: jax.Array) -> jax.Array:
        """The outputs ``f(x)`` for local vectors ``phi`` of shape ``(batch, n_sites, d)``."""
        return ttn_logits(self, phi)


def init_ttn(key: jax.Array, n_sites: int, local_dim: int, n_outputs: int, bond_dim: int, *,
             reference: Sequence[float] | None = None, noise: float = 0.1,
             dtype=jnp.float32) -> TTN:
    """A TTN near the reference product state (see the module notes).

    Parameters
    ----------
    key : jax.Array
        PRNG key for the noise (drawn on the host from the key's bits).
    n_sites, local_dim, n_outputs, bond_dim : int
        Sites, local dimension ``d``, size of the label index, maximal bond
        dimension.
    reference : sequence of float, optional
        The reference vector ``w`` (default ``e_0``); also the padding vector.
    noise : float, default 0.1
        Relative size of the Gaussian noise, ``noise / sqrt(D_in**2)`` per entry.
    dtype : dtype, default float32

    Returns
    -------
    TTN

    Examples
    --------
    >>> import jax
    >>> model = init_ttn(jax.random.key(0), 30, 2, 2, 8)
    >>> model.depth, model.bond_dims
    (5, (4, 8, 8, 8))
    >>> ttn_logits(model, jax.numpy.ones((3, 30, 2))).shape
    (3, 2)
    """
    n = check_int("init_ttn", "n_sites", n_sites, 1)
    d = check_int("init_ttn", "local_dim", local_dim, 1)
    n_out = check_int("init_ttn", "n_outputs", n_outputs, 1)
    chi = check_int("init_ttn", "bond_dim", bond_dim, 1)
    noise = check_real("init_ttn", "noise", noise)
    dtype = check_float_dtype("init_ttn", dtype)
    w = np.eye(d)[0] if reference is None else np.asarray(reference, dtype=np.float64)
    if w.shape != (d,):
        raise ValueError(f"init_ttn: reference must have shape ({d},), got {w.shape}")
    depth = max(1, math.ceil(math.log2(n)))
    widths = [d]
    for l in range(depth):
        widths.append(n_out if l == depth - 1 else min(chi, widths[-1] ** 2))
    entries = sum(2 ** (depth - 1 - l) * widths[l] ** 2 * widths[l + 1] for l in range(depth))
    check_memory(2 * 8 * entries,  # float64 noise and its sum with the identity, on the host
                 f"init_ttn: {n} sites of bond dimension up to {max(widths)} (bond_dim={chi})",
                 advice="use a smaller bond_dim")
    rng = numpy_rng(key)
    layers, d_in = [], d
    for l in range(depth):
        d_out = n_out if l == depth - 1 else min(chi, d_in**2)
        shape = (2 ** (depth - 1 - l), d_in, d_in, d_out)
        t = noise / d_in * rng.standard_normal(shape)
        if l < depth - 1:
            t = t + _additive_identity(w if l == 0 else np.eye(d_in)[0], d_out)
        layers.append(jnp.asarray(t, dtype=dtype))
        d_in = d_out
    return TTN(tuple(layers), n, tuple(w / np.linalg.norm(w)))


def _additive_identity(w: np.ndarray, d_out: int) -> np.ndarray:
    r"""The node :math:`T(u, v) = (w\cdot u) E v + (w\cdot v) E u - (w\cdot u)(w\cdot v) e_0`.

    ``E`` maps the reference direction ``w`` to ``e_0`` (an orthonormal basis
    whose first vector is ``w``, cut or zero-padded to ``d_out`` rows). At
    ``u = w + du, v = w + dv`` the output is ``e_0 + E du + E dv`` to first
    order: a deviation of any leaf from the reference reaches the root
    undamped, however deep the tree, where a product start ``w (x) w (x) e_0``
    would pass it on only through the noise.
    """
    d_in = w.shape[0]
    q, _ = np.linalg.qr(np.column_stack([w, np.eye(d_in)]))
    q = q[:, :d_in] * np.sign(q[:, :1].T @ w)[0]          # first column +w
    emb = np.zeros((d_out, d_in))
    m = min(d_out, d_in)
    emb[:m] = q.T[:m]
    e0 = np.eye(d_out)[0]
    return (np.einsum("i,kj->ijk", w, emb) + np.einsum("j,ki->ijk", w, emb)
            - np.einsum("i,j,k->ijk", w, w, e0))


def contract_ttn(model: TTN, phi: jax.Array) -> tuple[jax.Array, jax.Array]:
    r"""Contract a batch of product inputs up the tree: ``f(x) = out * exp(log_scale)``.

    Parameters
    ----------
    model : TTN
    phi : array, shape (batch, n_sites, d)
        Local vectors of the real sites (padding is added here).

    Returns
    -------
    out : jax.Array, shape (batch, n_outputs)
        The root contracted with its normalised children.
    log_scale : jax.Array, shape (batch,)
        Sum over all non-root nodes of the logarithms of their output norms,
        constants to differentiation (derivatives of ``out * exp(log_scale)``
        are exact).
    """
    phi = jnp.asarray(phi)
    if phi.ndim != 3 or phi.shape[1:] != (model.n_sites, model.local_dim):
        raise ValueError(f"phi must have shape (batch, {model.n_sites}, {model.local_dim}), "
                         f"got {phi.shape}")
    b = phi.shape[0]
    dtype = jnp.result_type(phi, model.layers[0])
    n_pad = 2**model.depth - model.n_sites
    x = phi.astype(dtype)
    if n_pad:
        fill = jnp.broadcast_to(jnp.asarray(model.pad, dtype), (b, n_pad, model.local_dim))
        x = jnp.concatenate([x, fill], axis=1)
    log = jnp.zeros((b,), dtype)
    for l, t in enumerate(model.layers):
        u, v = x[:, 0::2], x[:, 1::2]
        x = jnp.einsum("bmjk,bmj->bmk", jnp.einsum("bmi,mijk->bmjk", u, t), v)
        if l < model.depth - 1:
            nrm = jax.lax.stop_gradient(jnp.linalg.norm(x, axis=2))
            nrm = jnp.where(nrm > 0, nrm, 1.0)
            x = x / nrm[..., None]
            log = log + jnp.sum(jnp.log(nrm), axis=1)
    return x[:, 0], log


def ttn_logits(model: TTN, phi: jax.Array) -> jax.Array:
    """The model outputs ``f(x)``, shape ``(batch, n_outputs)`` (see :func:`contract_ttn`)."""
    out, log_scale = contract_ttn(model, phi)
    return out * jnp.exp(log_scale)[:, None]
