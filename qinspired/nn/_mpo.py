r"""A spaced matrix product operator (MPO) layer.

An MPO :math:`P` with one input leg per feature maps the product state of the
anchored local vectors :math:`\tilde\phi` of :func:`qinspired.tn.local_maps.embed`
to an output MPS with fewer sites,

.. math::

    |\psi(\mathbf{x})\rangle = P\, |\tilde\phi(x_1) \otimes \cdots \otimes
    \tilde\phi(x_n)\rangle ,

as in the anomaly detector of Wang et al. (2020), where the training loss
:math:`\langle (\log \|P \Phi(\mathbf{x})\|^2)^2 \rangle` plus a penalty on
:math:`\|P\|_F^2` keeps the normal data near unit norm and sends everything
else elsewhere.

Spacing rule
------------
Site ``i`` (0-based) has an output leg of dimension ``out_dim`` exactly when
``i % spacing == spacing - 1``: the output sites are ``spacing - 1,
2 spacing - 1, ...``, so the output MPS has ``m = in_features // spacing``
sites (``spacing=1``: a plain MPO, an output leg on every site). Output site
``j`` collects the input sites ``j * spacing`` to ``(j + 1) * spacing - 1``;
the ``in_features % spacing`` sites after the last output leg (when
``spacing`` does not divide ``in_features``) go to the last output site.

Site tensors are ``(chi_l, d, out_dim, chi_r)`` on the output sites and
``(chi_l, d, chi_r)`` elsewhere; bond ``k`` (between sites ``k-1`` and ``k``)
has dimension ``min(bond_dim, L_k, R_k)`` with :math:`L_k` (:math:`R_k`) the
product of ``d * out_dim_i`` over the sites left (right) of it, since larger
bonds add nothing. Outer bonds are 1.

Initialisation
--------------
Every site tensor starts at ``w_s I`` (times ``e_0`` on the output leg) plus
Gaussian noise of relative size ``init_noise``, with ``w`` the reference
vector of the local map: the rank-one operator
:math:`|e_0^{\otimes m}\rangle\langle w^{\otimes n}|`, of Frobenius norm 1,
which maps every anchored product state (``w . phi~ = 1``) to the unit vector
:math:`e_0^{\otimes m}`. So :math:`\|P\tilde\Phi\|^2` starts near 1 at any
number of sites instead of vanishing or exploding with ``n`` (the identity
MPO would give :math:`\prod_i \|\tilde\phi(x_i)\|^2`, up to :math:`2^n`).

Contractions
------------
:meth:`SpacedMPO.log_norm_sq` contracts the transfer matrices
:math:`\sum_o M_o \otimes M_o` of the output MPS site by site (``lax.scan``
over runs of equal shapes, as :func:`qinspired.tn.log_normaliser` does),
normalising the environment after every site and summing the logarithms, so
it is finite at any number of sites and never forms the dense vector.
:meth:`SpacedMPO.__call__` forms the dense vector of ``out_dim**m`` entries,
which the layer refuses above ``2**16`` entries (``MAX_DENSE_OUTPUT``) at
construction unless built with ``dense_output=False``. Inputs are checked and
clipped into ``[0, 1]`` as in :class:`~qinspired.nn.MPSLinear`.

References
----------
J. Wang, C. Roberts, G. Vidal and S. Leichenauer, "Anomaly detection with
tensor networks", arXiv:2006.02516 (2020).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from qinspired._random import numpy_rng
from qinspired._validation import check_int, check_memory, check_real
from qinspired.nn._checks import check_param_dtype
from qinspired.nn._tn import _TensorNetworkLayer
from qinspired.tn.born import fold_sites, log_normaliser
from qinspired.tn.local_maps import get_local_map
from qinspired.tn.mps import MPS, to_dense

__all__ = ["MAX_DENSE_OUTPUT", "SpacedMPO"]

#: Largest dense output (``out_dim**m`` entries) that :meth:`SpacedMPO.__call__` forms.
MAX_DENSE_OUTPUT = 2**16


def _capped_product(factors: list[int], cap: int) -> int:
    out = 1
    for f in factors:
        out = min(out * f, cap)
    return out


def _transfer_step(carry: tuple[jax.Array, jax.Array], site: tuple[jax.Array, jax.Array]
                   ) -> tuple[tuple[jax.Array, jax.Array], None]:
    """Absorb a padded site ``(l, d, out, r)`` with local vectors ``(batch, d)`` into ``env``."""
    env, log = carry
    a, p = site
    m = jnp.einsum("bs,lsor->blor", p, a)
    env = jnp.einsum("bcoe,bcof->bef", jnp.einsum("bac,baoe->bcoe", env, m), m)
    nrm = jnp.sqrt(jnp.sum(env * env, axis=(1, 2)))
    nrm = jnp.where(nrm > 0, nrm, 1.0)
    return (env / nrm[:, None, None], log + jnp.log(nrm)), None


class SpacedMPO(_TensorNetworkLayer):
    r"""A spaced matrix product operator on the embedded features, as a Flax NNX layer.

    Maps inputs ``(..., in_features)`` in ``[0, 1]`` to the output MPS
    :math:`P\tilde\Phi(\mathbf{x})` of ``m = in_features // spacing`` sites of
    dimension ``out_dim`` (see the module notes for the spacing rule):
    ``layer(x)`` is its dense vector ``(..., out_dim**m)`` (site 0 most
    significant), :meth:`output_sites` its site tensors and :meth:`norm_sq` /
    :meth:`log_norm_sq` its squared norm, contracted without the dense vector.

    Parameters
    ----------
    in_features : int
        Number of input features (MPO sites).
    out_dim : int
        Dimension of each output leg.
    bond_dim : int
        Maximal bond dimension :math:`\chi`.
    spacing : int, default 1
        Distance between output legs, ``1 <= spacing <= in_features``.
    local_map : str, default "trigonometric"
        A registered local map (:mod:`qinspired.tn.local_maps`).
    local_dim : int, default 2
        Local dimension :math:`d`.
    init_noise : float, default 0.1
        Relative noise around the rank-one initial operator.
    dense_output : bool, default True
        Whether ``layer(x)`` may form the dense output. With ``True``, an
        output of more than ``2**16`` entries raises ``ValueError`` here; with
        ``False``, ``layer(x)`` raises and :meth:`output_sites`,
        :meth:`norm_sq` and :meth:`log_norm_sq` serve.
    param_dtype : dtype, default float32
        Dtype of the site tensors.
    rngs : flax.nnx.Rngs
        Random streams; the initial noise is drawn from ``rngs.params()``.

    Attributes
    ----------
    tensors : flax.nnx.List of flax.nnx.Param
        Site tensors ``(chi_l, d, out_dim, chi_r)`` on the output sites,
        ``(chi_l, d, chi_r)`` elsewhere.
    output_positions : tuple of int
        The sites with an output leg.
    out_features : int or None
        Size of the dense output, ``out_dim**m``; ``None`` when built with
        ``dense_output=False``.

    References
    ----------
    J. Wang, C. Roberts, G. Vidal and S. Leichenauer, "Anomaly detection with
    tensor networks", arXiv:2006.02516 (2020).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from flax import nnx
    >>> mpo = SpacedMPO(7, 2, bond_dim=4, spacing=3, rngs=nnx.Rngs(0))
    >>> mpo.output_positions, mpo.out_features
    ((2, 5), 4)
    >>> x = jnp.full((5, 7), 0.3)
    >>> mpo(x).shape, mpo.norm_sq(x).shape
    ((5, 4), (5,))
    >>> [t.shape for t in mpo.output_sites(x)]
    [(5, 1, 2, 4), (5, 4, 2, 1)]
    >>> long = SpacedMPO(64, 2, bond_dim=4, dense_output=False, rngs=nnx.Rngs(0))
    >>> bool(abs(long.log_norm_sq(jnp.full((3, 64), 0.3))).max() < 3.0)
    True
    """

    def __init__(self, in_features: int, out_dim: int, *, bond_dim: int, spacing: int = 1,
                 local_map: str = "trigonometric", local_dim: int = 2, init_noise: float = 0.1,
                 dense_output: bool = True, param_dtype: Any = jnp.float32,
                 rngs: nnx.Rngs) -> None:
        owner = "SpacedMPO"
        n = check_int(owner, "in_features", in_features, 1)
        out = check_int(owner, "out_dim", out_dim, 1)
        chi = check_int(owner, "bond_dim", bond_dim, 1)
        spacing = check_int(owner, "spacing", spacing, 1)
        dtype = check_param_dtype(owner, param_dtype)
        if spacing > n:
            raise ValueError(f"{owner}: spacing={spacing} must be <= in_features={n} (the "
                             f"output has in_features // spacing sites)")
        if not isinstance(dense_output, (bool, np.bool_)):
            raise ValueError(f"{owner}: dense_output={dense_output!r} must be True or False")
        m = n // spacing
        size = out**m if m * np.log2(out) <= 64 else None  # None: more than 2**64 entries
        if dense_output and (size is None or size > MAX_DENSE_OUTPUT):
            shown = f" = {size}" if size is not None else " > 2**64"
            raise ValueError(
                f"{owner}: the dense output has out_dim**m = {out}**{m}{shown} entries "
                f"(m = in_features // spacing = {m} output sites), above the limit "
                f"{MAX_DENSE_OUTPUT}; use a larger spacing or a smaller out_dim, or build the "
                f"layer with dense_output=False and use norm_sq, log_norm_sq or output_sites, "
                f"which never form the dense vector")
        self._set_embedding(owner, n, size if dense_output else 1, local_map, local_dim)
        if not dense_output:
            self.out_features = None
        self.out_dim, self.spacing, self.dense_output = out, spacing, bool(dense_output)
        self.output_positions = tuple(range(spacing - 1, m * spacing, spacing))
        noise = check_real(owner, "init_noise", init_noise)
        self.tensors = nnx.List([nnx.Param(t) for t in self._initial_tensors(
            chi, noise, rngs.params(), dtype)])

    def _initial_tensors(self, chi: int, noise: float, key: jax.Array, dtype: Any
                         ) -> list[jax.Array]:
        n, d, out = self.in_features, self.local_dim, self.out_dim
        legs = [d * (out if k in self.output_positions else 1) for k in range(n)]
        dims = [1] + [min(chi, _capped_product(legs[:k], chi), _capped_product(legs[k:], chi))
                      for k in range(1, n)] + [1]
        check_memory(2 * 8 * sum(dims[k] * legs[k] * dims[k + 1] for k in range(n)),
                     f"SpacedMPO: {n} sites of bond dimension up to {max(dims)} "
                     f"(bond_dim={chi})", advice="use a smaller bond_dim")
        w = get_local_map(self.local_map).reference_vector(d)
        rng = numpy_rng(key)
        tensors = []
        for k in range(n):
            dl, dr = dims[k], dims[k + 1]
            eye = w[None, :, None] * np.eye(dl, dr)[:, None, :]
            if k in self.output_positions:
                eye = eye[:, :, None, :] * np.eye(out)[0][None, None, :, None]
            t = eye + noise / np.sqrt(dl * d) * rng.standard_normal(eye.shape)
            tensors.append(jnp.asarray(t, dtype=dtype))
        return tensors

    def _padded(self) -> list[jax.Array]:
        """Site tensors as ``(l, d, out_dim, r)``, zero off slot 0 of the output leg elsewhere."""
        out = []
        for t in self.tensors:
            a = t[...]
            if a.ndim == 3:
                a = jnp.pad(a[:, :, None, :], ((0, 0), (0, 0), (0, self.out_dim - 1), (0, 0)))
            out.append(a)
        return out

    def _output_tensors(self, phi: jax.Array) -> list[jax.Array]:
        """The ``m`` output site tensors ``(batch, l, out_dim, r)`` for local vectors ``phi``."""
        mats = []
        for k, t in enumerate(self.tensors):
            a = t[...]
            a = a if a.ndim == 4 else a[:, :, None, :]
            mats.append(jnp.einsum("bs,lsor->blor", phi[:, k], a))
        starts = list(range(0, len(self.output_positions) * self.spacing, self.spacing))
        stops = starts[1:] + [self.in_features]
        blocks = []
        for start, stop in zip(starts, stops):
            acc = mats[start]
            for site in mats[start + 1:stop]:
                acc = jnp.einsum("blor,brps->blops", acc, site)
                acc = acc.reshape(*acc.shape[:2], -1, acc.shape[-1])
            blocks.append(acc)
        return blocks

    def _logits(self, phi: jax.Array) -> jax.Array:
        if not self.dense_output:
            raise ValueError("SpacedMPO: this layer was built with dense_output=False; use "
                             "norm_sq, log_norm_sq or output_sites")
        blocks = self._output_tensors(phi)
        return jax.vmap(lambda ts: to_dense(MPS(ts)))(tuple(blocks))

    def output_sites(self, x: Any) -> tuple[jax.Array, ...]:
        """The site tensors of the output MPS :math:`P\\tilde\\Phi(\\mathbf{x})`.

        Parameters
        ----------
        x : array_like, shape (..., in_features)
            Inputs, clipped into ``[0, 1]``.

        Returns
        -------
        tuple of jax.Array
            ``m`` tensors of shape ``(..., chi_l, out_dim, chi_r)`` (outer
            bonds 1), unnormalised: their product over the bonds is the dense
            output.
        """
        phi, batch = self._local_vectors(x)
        return tuple(t.reshape(*batch, *t.shape[1:]) for t in self._output_tensors(phi))

    def log_norm_sq(self, x: Any) -> jax.Array:
        r""":math:`\log \|P\tilde\Phi(\mathbf{x})\|^2`, shape ``(...)``, by transfer matrices.

        Finite at any number of sites (per-site normalisation, a summed
        log-scale); floored at the logarithm of the dtype's smallest normal
        number when the norm vanishes.
        """
        phi, batch = self._local_vectors(x)
        tensors = self._padded()
        dtype = jnp.result_type(phi, *tensors)
        carry = (jnp.ones((phi.shape[0], 1, 1), dtype), jnp.zeros((phi.shape[0],), dtype))
        env, log = fold_sites(_transfer_step, carry, tensors, phi)
        tiny = jnp.finfo(dtype).tiny
        return (jnp.log(jnp.maximum(env[:, 0, 0], tiny)) + log).reshape(batch)

    def norm_sq(self, x: Any) -> jax.Array:
        r""":math:`\|P\tilde\Phi(\mathbf{x})\|^2`, shape ``(...)``: ``exp`` of :meth:`log_norm_sq`.

        Over- or underflows only when the value itself lies outside the
        dtype's range; train on :meth:`log_norm_sq`.
        """
        return jnp.exp(self.log_norm_sq(x))

    def log_frobenius_sq(self) -> jax.Array:
        r""":math:`\log \|P\|_F^2`, the squared Frobenius norm of the whole operator.

        Contracted site by site (:func:`qinspired.tn.log_normaliser` on the
        MPO read as an MPS with legs ``d * out_dim``); the usual regulariser of
        the anomaly loss.
        """
        tensors = self._padded()
        mps = MPS(tuple(a.reshape(a.shape[0], -1, a.shape[3]) for a in tensors))
        return log_normaliser(mps, jnp.eye(self.local_dim * self.out_dim))
