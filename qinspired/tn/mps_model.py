r"""Matrix product states with a label index: the MPS classifier and regressor.

The model of Stoudenmire and Schwab (2016) is a weight tensor :math:`W^{\ell}`
with one index per input feature and one label index :math:`\ell` (a class or
a regression output), stored as an MPS whose *centre* site ``c`` carries the
label index:

.. math::

    f^{\ell}(\mathbf{x}) = \sum_{s_1 \dots s_n} W^{\ell}_{s_1 \dots s_n}
    \phi_{s_1}(x_1) \cdots \phi_{s_n}(x_n),
    \qquad
    W^{\ell} = A^{[1]}_{s_1} \cdots A^{[c-1]}_{s_{c-1}}\, C^{\ell}_{s_c}\,
    A^{[c+1]}_{s_{c+1}} \cdots A^{[n]}_{s_n}.

Site tensors have shape ``(chi_left, d, chi_right)``, the centre ``(chi_left, d,
n_outputs, chi_right)``; outer bonds have dimension 1. Sites are 0-based in
code.

Contraction of a batch
----------------------
:func:`contract_labelled` contracts a whole batch of product inputs at once,
from both ends towards the centre, in :math:`O(B\, n\, d\, \chi^2)`. Each step
is one matrix product ``(B, chi) @ (chi, d chi)`` followed by a contraction
with the local vectors. Each side's site tensors are zero-padded to its largest
bond (only the few edge sites are smaller) and stacked, and one ``lax.scan`` per
side absorbs them, so the compiled program does not grow with the number of
sites and traces no per-site transposes (compile time is dominated by the number
of distinct kernels XLA emits, one per traced per-site operation).
(Written with ``tensornetwork.ncon``, JAX backend, vmapped over the batch
since ``ncon`` has no batch hyperedge, the same contraction measured 2-5x
slower; see ``benchmarks/tensor_networks.py``.) The running environment is
normalised after every site and the logarithms of the norms are summed, so
nothing under- or overflows at any number of sites; the model output is the
rescaled centre contraction :math:`f = \hat f\, e^{\log s}`.

Initialisation
--------------
:func:`init_labelled_mps` starts near the reference product state: every site
tensor is ``A[:, s, :] = w_s * I`` plus Gaussian noise of relative size
``noise``, with ``w`` the reference vector of the local map. With the anchored
local vectors of :func:`qinspired.tn.local_maps.embed` (``w . phi = 1``) every
contracted site matrix starts as the identity plus noise, so the outputs are of
order 1 at 8 sites and at 800.

References
----------
E. M. Stoudenmire and D. J. Schwab, "Supervised learning with tensor networks",
NeurIPS 2016, arXiv:1605.05775.
S. Efthymiou, J. Hidary and S. Leichenauer, "TensorNetwork for machine learning",
arXiv:1906.06329 (2019) (near-identity initialisation, gradient training).
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._pytree import pytree_dataclass, static_field
from qinspired._random import numpy_rng
from qinspired._validation import check_int, check_memory, check_real

__all__ = [
    "LabelledMPS",
    "bond_dims_for",
    "contract_labelled",
    "init_labelled_mps",
    "labelled_logits",
]


@pytree_dataclass
class LabelledMPS:
    """An MPS whose ``center`` site carries an extra label (output) index.

    Attributes
    ----------
    tensors : tuple of arrays
        Site tensors ``(chi_l, d, chi_r)``; ``tensors[center]`` is
        ``(chi_l, d, n_outputs, chi_r)``. Pytree leaves.
    center : int
        Site of the label index (static pytree structure).
    """

    tensors: tuple[jax.Array, ...]
    center: int = static_field()

    def __post_init__(self) -> None:
        ts = tuple(self.tensors)
        n = len(ts)
        if n < 1:
            raise ValueError("a labelled MPS needs at least one site")
        if not (isinstance(self.center, (int, np.integer)) and 0 <= self.center < n):
            raise ValueError(f"center={self.center!r} must be a site index in 0..{n - 1}")
        for k, t in enumerate(ts):
            want = 4 if k == self.center else 3
            if getattr(t, "ndim", None) != want:
                raise ValueError(f"site {k}: tensor must have {want} axes, got shape "
                                 f"{getattr(t, 'shape', None)}")
        if ts[0].shape[0] != 1 or ts[-1].shape[-1] != 1:
            raise ValueError(f"the outer bonds must have dimension 1, got {ts[0].shape[0]} "
                             f"and {ts[-1].shape[-1]}")
        for k in range(n - 1):
            if ts[k].shape[-1] != ts[k + 1].shape[0]:
                raise ValueError(f"bond {k}-{k + 1}: dimensions {ts[k].shape[-1]} and "
                                 f"{ts[k + 1].shape[0]} do not match")
        if len({t.shape[1] for t in ts}) != 1:
            raise ValueError(f"all sites need the same local dimension, got "
                             f"{[t.shape[1] for t in ts]}")
        object.__setattr__(self, "tensors", ts)
        object.__setattr__(self, "center", int(self.center))

    @property
    def n_sites(self) -> int:
        """Number of sites (input features)."""
        return len(self.tensors)

    @property
    def local_dim(self) -> int:
        """Local dimension ``d``."""
        return int(self.tensors[0].shape[1])

    @property
    def n_outputs(self) -> int:
        """Size of the label index."""
        return int(self.tensors[self.center].shape[2])

    @property
    def bond_dims(self) -> tuple[int, ...]:
        """The ``n_sites - 1`` inner bond dimensions."""
        return tuple(int(t.shape[-1]) for t in self.tensors[:-1])

    def logits(self, phi: jax.Array) -> jax.Array:
        """The outputs ``f(x)`` for local vectors ``phi`` of shape ``(batch, n_sites, d)``."""
        return labelled_logits(self, phi)


def bond_dims_for(n_sites: int, local_dim: int, bond_dim: int) -> list[int]:
    """Bond dimensions ``[1, chi_1, ..., 1]`` with ``chi_k = min(bond_dim, d^k, d^(n-k))``.

    Larger bonds than ``d^k`` (or ``d^(n-k)``) add no expressive power.
    """
    out = [1]
    for k in range(1, n_sites):
        cap = bond_dim
        for exp in (k, n_sites - k):
            if exp < 64:
                cap = min(cap, local_dim**exp)
        out.append(cap)
    return out + [1]


def init_labelled_mps(key: jax.Array, n_sites: int, local_dim: int, n_outputs: int,
                      bond_dim: int, *, reference: Sequence[float] | None = None,
                      noise: float = 0.1, center: int | None = None,
                      dtype=jnp.float32) -> LabelledMPS:
    r"""A labelled MPS near the reference product state (see the module notes).

    Parameters
    ----------
    key : jax.Array
        PRNG key for the noise (drawn on the host from the key's bits).
    n_sites, local_dim, n_outputs, bond_dim : int
        Sites, local dimension ``d``, size of the label index and the maximal
        bond dimension (bonds are ``min(bond_dim, d^k, d^(n-k))``).
    reference : sequence of float, optional
        The vector ``w`` (length ``d``); default ``e_0``.
    noise : float, default 0.1
        Relative noise: entries ``noise * N(0, 1) / sqrt(chi_left * d)`` are
        added to ``w_s I`` on every site; the centre is pure noise of that
        size, so the outputs start near 0.
    center : int, optional
        Site of the label index; default ``n_sites // 2``.
    dtype : dtype, default float32

    Returns
    -------
    LabelledMPS

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from qinspired.tn.local_maps import embed, get_local_map
    >>> w = get_local_map("trigonometric").reference_vector(2)
    >>> model = init_labelled_mps(jax.random.key(0), 100, 2, 3, 8, reference=w)
    >>> model.bond_dims[:4], model.center
    ((2, 4, 8, 8), 50)
    >>> x = jax.random.uniform(jax.random.key(1), (5, 100))
    >>> labelled_logits(model, embed(x, "trigonometric", 2)).shape
    (5, 3)
    """
    n = check_int("init_labelled_mps", "n_sites", n_sites, 1)
    d = check_int("init_labelled_mps", "local_dim", local_dim, 1)
    n_out = check_int("init_labelled_mps", "n_outputs", n_outputs, 1)
    chi = check_int("init_labelled_mps", "bond_dim", bond_dim, 1)
    noise = check_real("init_labelled_mps", "noise", noise)
    c = n // 2 if center is None else check_int("init_labelled_mps", "center", center, 0)
    if c >= n:
        raise ValueError(f"init_labelled_mps: center={c} must be < n_sites={n}")
    w = np.eye(d)[0] if reference is None else np.asarray(reference, dtype=np.float64)
    if w.shape != (d,):
        raise ValueError(f"init_labelled_mps: reference must have shape ({d},), got {w.shape}")
    dims = bond_dims_for(n, d, chi)
    entries = sum(dims[k] * d * dims[k + 1] * (n_out if k == c else 1) for k in range(n))
    check_memory(2 * 8 * entries,  # float64 noise and its sum with the identity, on the host
                 f"init_labelled_mps: {n} sites of bond dimension up to {max(dims)} "
                 f"(bond_dim={chi})", advice="use a smaller bond_dim")
    rng = numpy_rng(key)
    tensors = []
    for k in range(n):
        dl, dr = dims[k], dims[k + 1]
        shape = (dl, d, n_out, dr) if k == c else (dl, d, dr)
        t = noise / np.sqrt(dl * d) * rng.standard_normal(shape)
        if k != c:
            t = t + w[None, :, None] * np.eye(dl, dr)[:, None, :]
        tensors.append(jnp.asarray(t, dtype=dtype))
    return LabelledMPS(tuple(tensors), c)


def _normalise(env: jax.Array, log: jax.Array) -> tuple[jax.Array, jax.Array]:
    nrm = jnp.linalg.norm(env, axis=1)
    nrm = jnp.where(nrm > 0, nrm, 1.0)
    return env / nrm[:, None], log + jnp.log(nrm)


def _stacked(tensors: Sequence[jax.Array], chi: int) -> jax.Array:
    """Site tensors ``(chi_l, d, chi_r)`` zero-padded to ``(chi, d, chi)`` and stacked.

    The zero rows and columns leave every contraction unchanged (they add exact
    zeros); only the few edge sites, whose bonds are below ``chi``, are padded.
    """
    return jnp.stack([t if t.shape[0] == t.shape[2] == chi
                      else jnp.pad(t, ((0, chi - t.shape[0]), (0, 0), (0, chi - t.shape[2])))
                      for t in tensors])


def _absorb_left(carry: tuple[jax.Array, jax.Array], site: tuple[jax.Array, jax.Array]
                 ) -> tuple[tuple[jax.Array, jax.Array], None]:
    """Absorb site ``a`` (chi, d, chi) with local vectors ``p`` (batch, d) from the left."""
    env, log = carry
    a, p = site
    chi, d, _ = a.shape
    t = (env @ a.reshape(chi, -1)).reshape(-1, d, chi)
    return _normalise(jnp.einsum("bsc,bs->bc", t, p), log), None


def _absorb_right(carry: tuple[jax.Array, jax.Array], site: tuple[jax.Array, jax.Array]
                  ) -> tuple[tuple[jax.Array, jax.Array], None]:
    """Absorb site ``a`` (chi, d, chi) with local vectors ``p`` (batch, d) from the right."""
    env, log = carry
    a, p = site
    t = jnp.einsum("asc,bc->bas", a, env)
    return _normalise(jnp.einsum("bas,bs->ba", t, p), log), None


def _environment(tensors: Sequence[jax.Array], phi: jax.Array, dtype, *, from_right: bool
                 ) -> tuple[jax.Array, jax.Array]:
    """Normalised ``(batch, chi)`` environment of a chain of sites, and its log-norm.

    The chain's tensors are padded to its largest bond ``chi`` and stacked, and
    one ``lax.scan`` absorbs them from the outer end (bond 1, here the
    first of ``chi`` entries) inwards: the compiled program does not grow with
    the number of sites, and no per-site transposes or reversals are traced.
    Only entries ``[:chi_inner]`` of the result can be nonzero.
    """
    batch = phi.shape[0]
    if not tensors:
        return jnp.ones((batch, 1), dtype), jnp.zeros((batch,), dtype)
    chi = max(max(t.shape[0], t.shape[2]) for t in tensors)
    env = jnp.zeros((batch, chi), dtype).at[:, 0].set(1.0)
    step = _absorb_right if from_right else _absorb_left
    (env, log), _ = jax.lax.scan(step, (env, jnp.zeros((batch,), dtype)),
                                 (_stacked(tensors, chi), jnp.moveaxis(phi, 1, 0)),
                                 reverse=from_right)
    return env, log


def contract_labelled(model: LabelledMPS, phi: jax.Array) -> tuple[jax.Array, jax.Array]:
    r"""Contract a batch of product inputs: ``f(x) = out * exp(log_scale)``.

    Parameters
    ----------
    model : LabelledMPS
    phi : array, shape (batch, n_sites, d)
        Local vectors of each input (not conjugated).

    Returns
    -------
    out : jax.Array, shape (batch, n_outputs)
        The centre contracted with the *normalised* left and right environments.
    log_scale : jax.Array, shape (batch,)
        Sum of the logarithms of the environment norms.
    """
    phi = jnp.asarray(phi)
    if phi.ndim != 3 or phi.shape[1:] != (model.n_sites, model.local_dim):
        raise ValueError(f"phi must have shape (batch, {model.n_sites}, {model.local_dim}), "
                         f"got {phi.shape}")
    c = model.center
    dtype = jnp.result_type(phi, model.tensors[0])
    left, log_l = _environment(model.tensors[:c], phi[:, :c], dtype, from_right=False)
    right, log_r = _environment(model.tensors[c + 1:], phi[:, c + 1:], dtype, from_right=True)
    centre = model.tensors[c]
    dl, d, n_out, dr = centre.shape
    left, right = left[:, :dl], right[:, :dr]
    t = (left @ centre.reshape(dl, -1)).reshape(-1, d, n_out * dr)
    t = jnp.einsum("bsk,bs->bk", t, phi[:, c]).reshape(-1, n_out, dr)
    return jnp.einsum("blc,bc->bl", t, right), log_l + log_r


def labelled_logits(model: LabelledMPS, phi: jax.Array) -> jax.Array:
    """The model outputs ``f(x)``, shape ``(batch, n_outputs)`` (see :func:`contract_labelled`)."""
    out, log_scale = contract_labelled(model, phi)
    return out * jnp.exp(log_scale)[:, None]
