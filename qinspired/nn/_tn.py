r"""Tensor-network layers: an MPS or a tree tensor network with an output index.

Both layers compute what the tensor-network estimators compute, with the same
core functions of :mod:`qinspired.tn`:

.. math::

    f^{\ell}(\mathbf{x}) = \langle W^{\ell} | \tilde\phi(x_1) \otimes \cdots
    \otimes \tilde\phi(x_n) \rangle ,

with :math:`\tilde\phi` the anchored local vectors of
:func:`qinspired.tn.local_maps.embed`, :math:`W` a
:class:`~qinspired.tn.LabelledMPS` (:func:`~qinspired.tn.labelled_logits`) or a
:class:`~qinspired.tn.TTN` (:func:`~qinspired.tn.ttn_logits`), initialised by
:func:`~qinspired.tn.init_labelled_mps` / :func:`~qinspired.tn.init_ttn` and
contracted with the site-by-site normalisation and log-scale of those
functions. The site tensors are :class:`flax.nnx.Param`; the structure (the
centre site, the padding of the tree) is static. The initial tensors are drawn
on the host, so a layer is built outside ``jit``.

Input range
-----------
The local maps are designed for features in ``[0, 1]`` (the estimators min-max
scale their data). The layers **clip** their input into ``[0, 1]``: an input
outside the interval gives the output of the nearest end, and no gradient
flows through the clipped entries. Clipping, rather than raising, keeps the
layer usable inside ``nnx.jit``, where values are not known; feed it a bounded
activation (``jax.nn.sigmoid``) or min-max scaled data. A wrong number of
features raises ``ValueError`` always; NaN or infinite inputs raise when the
input is concrete (outside ``jit``), and inside ``jit`` come out as NaN.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from qinspired._validation import check_choice, check_int, check_real
from qinspired.nn._checks import check_layer_input, check_param_dtype
from qinspired.tn.local_maps import LOCAL_MAPS, embed, get_local_map
from qinspired.tn.mps_model import LabelledMPS, init_labelled_mps, labelled_logits
from qinspired.tn.ttn import TTN, init_ttn, ttn_logits

__all__ = ["MPSLinear", "TTNLinear"]


class _TensorNetworkLayer(nnx.Module):
    """Input checks, clipping and embedding shared by the two layers."""

    in_features: int
    out_features: int
    local_map: str
    local_dim: int

    def _set_embedding(self, owner: str, in_features: int, out_features: int, local_map: str,
                       local_dim: int) -> None:
        self.in_features = check_int(owner, "in_features", in_features, 1)
        self.out_features = check_int(owner, "out_features", out_features, 1)
        self.local_map = check_choice(owner, "local_map", local_map, sorted(LOCAL_MAPS))
        get_local_map(self.local_map, local_dim)
        self.local_dim = int(local_dim)

    def _logits(self, phi: jax.Array) -> jax.Array:
        raise NotImplementedError

    def __call__(self, x: Any) -> jax.Array:
        """Outputs for inputs ``x`` of shape ``(..., in_features)``: ``(..., out_features)``.

        Entries are clipped into ``[0, 1]`` (see the module notes).
        """
        phi, batch = self._local_vectors(x)
        return self._logits(phi).reshape(*batch, self.out_features)

    def _local_vectors(self, x: Any) -> tuple[jax.Array, tuple[int, ...]]:
        """Checked, clipped and embedded inputs ``(batch, n, d)`` and the leading batch shape."""
        x = check_layer_input(type(self).__name__, x, self.in_features)
        batch = x.shape[:-1]
        x = jnp.clip(x.reshape(-1, self.in_features), 0.0, 1.0)
        return embed(x, self.local_map, self.local_dim), batch


class MPSLinear(_TensorNetworkLayer):
    r"""A matrix product state with an output index, as a Flax NNX layer.

    Maps ``(..., in_features)`` inputs in ``[0, 1]`` to ``(..., out_features)``
    outputs :math:`f^{\ell}(\mathbf{x})` of a labelled MPS (Stoudenmire and
    Schwab 2016), one site per feature, the output index on the middle site:
    the model of :class:`~qinspired.MPSClassifier`, through the same
    initialisation and contraction (:mod:`qinspired.tn.mps_model`). Inputs are
    clipped into ``[0, 1]``; see :mod:`qinspired.nn` for the rules on inputs.

    Parameters
    ----------
    in_features : int
        Number of input features (MPS sites).
    out_features : int
        Size of the output index.
    bond_dim : int
        Maximal bond dimension :math:`\chi` (capped at :math:`d^k` near the ends).
    local_map : {"trigonometric", "fourier", "polynomial"}, default "trigonometric"
        Local feature map (:mod:`qinspired.tn.local_maps`).
    local_dim : int, default 2
        Local dimension :math:`d`.
    init_noise : float, default 0.1
        Relative noise around the near-identity initial tensors.
    param_dtype : dtype, default float32
        Dtype of the site tensors.
    rngs : flax.nnx.Rngs
        Random streams; the initial noise is drawn from ``rngs.params()``.

    Attributes
    ----------
    tensors : flax.nnx.List of flax.nnx.Param
        Site tensors ``(chi_l, d, chi_r)``; ``tensors[center]`` is
        ``(chi_l, d, out_features, chi_r)``.
    center : int
        Site of the output index.

    References
    ----------
    E. M. Stoudenmire and D. J. Schwab, "Supervised learning with tensor networks",
    NeurIPS 2016, arXiv:1605.05775.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from flax import nnx
    >>> layer = MPSLinear(8, 3, bond_dim=4, rngs=nnx.Rngs(0))
    >>> layer(jnp.full((5, 8), 0.5)).shape
    (5, 3)
    >>> layer.network.bond_dims
    (2, 4, 4, 4, 4, 4, 2)
    """

    def __init__(self, in_features: int, out_features: int, *, bond_dim: int,
                 local_map: str = "trigonometric", local_dim: int = 2, init_noise: float = 0.1,
                 param_dtype: Any = jnp.float32, rngs: nnx.Rngs) -> None:
        self._set_embedding("MPSLinear", in_features, out_features, local_map, local_dim)
        network = init_labelled_mps(
            rngs.params(), self.in_features, self.local_dim, self.out_features,
            check_int("MPSLinear", "bond_dim", bond_dim, 1),
            reference=get_local_map(self.local_map).reference_vector(self.local_dim),
            noise=check_real("MPSLinear", "init_noise", init_noise),
            dtype=check_param_dtype("MPSLinear", param_dtype))
        self._set_network(network)

    def _set_network(self, network: LabelledMPS) -> None:
        self.tensors = nnx.List([nnx.Param(jnp.asarray(t)) for t in network.tensors])
        self.center = network.center

    @property
    def network(self) -> LabelledMPS:
        """The current parameters as a :class:`~qinspired.tn.LabelledMPS`."""
        return LabelledMPS(tuple(t[...] for t in self.tensors), self.center)

    @classmethod
    def from_network(cls, network: LabelledMPS, *, local_map: str = "trigonometric"
                     ) -> MPSLinear:
        """A layer holding the tensors of ``network`` (e.g. an estimator's ``tensors_``).

        Parameters
        ----------
        network : LabelledMPS
            Any labelled MPS: its bond dimensions and centre are kept as they are.
        local_map : str, default "trigonometric"
            The local map the network was trained with; the local dimension is
            the network's.

        Returns
        -------
        MPSLinear
        """
        if not isinstance(network, LabelledMPS):
            raise ValueError(f"MPSLinear.from_network: expected a LabelledMPS, got "
                             f"{type(network).__name__}")
        for t in network.tensors:
            check_param_dtype("MPSLinear.from_network", t.dtype, "the network's dtype")
        layer = cls(network.n_sites, network.n_outputs, bond_dim=1, local_map=local_map,
                    local_dim=network.local_dim, init_noise=0.0, rngs=nnx.Rngs(0))
        layer._set_network(network)
        return layer

    def _logits(self, phi: jax.Array) -> jax.Array:
        return labelled_logits(self.network, phi)


class TTNLinear(_TensorNetworkLayer):
    r"""A binary tree tensor network with an output index at the root, as a Flax NNX layer.

    Maps ``(..., in_features)`` inputs in ``[0, 1]`` to ``(..., out_features)``
    outputs of a tree tensor network of depth :math:`\lceil \log_2 n \rceil`
    (sites padded to a power of two with a neutral vector): the model of
    :class:`~qinspired.TTNClassifier`, through the same initialisation and
    contraction (:mod:`qinspired.tn.ttn`). Inputs are clipped into ``[0, 1]``;
    see :mod:`qinspired.nn` for the rules on inputs.

    Parameters
    ----------
    in_features : int
        Number of input features (leaves of the tree).
    out_features : int
        Size of the output index at the root.
    bond_dim : int
        Maximal bond dimension (output size of the inner nodes).
    local_map : {"trigonometric", "fourier", "polynomial"}, default "trigonometric"
        Local feature map (:mod:`qinspired.tn.local_maps`).
    local_dim : int, default 2
        Local dimension :math:`d`.
    init_noise : float, default 0.1
        Relative noise around the initial nodes.
    param_dtype : dtype, default float32
        Dtype of the node tensors.
    rngs : flax.nnx.Rngs
        Random streams; the initial noise is drawn from ``rngs.params()``.

    Attributes
    ----------
    layers : flax.nnx.List of flax.nnx.Param
        One stacked array per tree layer, ``(n_nodes, D, D, D')``, leaves first.
    pad : tuple of float
        Local vector of the padding sites (static).

    References
    ----------
    D. Liu et al., "Machine learning by unitary tensor network of hierarchical
    tree structure", New J. Phys. 21, 073059 (2019).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from flax import nnx
    >>> layer = TTNLinear(6, 2, bond_dim=4, rngs=nnx.Rngs(0))
    >>> layer(jnp.full((5, 6), 0.5)).shape
    (5, 2)
    >>> layer.network.depth
    3
    """

    def __init__(self, in_features: int, out_features: int, *, bond_dim: int,
                 local_map: str = "trigonometric", local_dim: int = 2, init_noise: float = 0.1,
                 param_dtype: Any = jnp.float32, rngs: nnx.Rngs) -> None:
        self._set_embedding("TTNLinear", in_features, out_features, local_map, local_dim)
        network = init_ttn(
            rngs.params(), self.in_features, self.local_dim, self.out_features,
            check_int("TTNLinear", "bond_dim", bond_dim, 1),
            reference=get_local_map(self.local_map).reference_vector(self.local_dim),
            noise=check_real("TTNLinear", "init_noise", init_noise),
            dtype=check_param_dtype("TTNLinear", param_dtype))
        self._set_network(network)

    def _set_network(self, network: TTN) -> None:
        self.layers = nnx.List([nnx.Param(jnp.asarray(t)) for t in network.layers])
        self.pad = network.pad

    @property
    def network(self) -> TTN:
        """The current parameters as a :class:`~qinspired.tn.TTN`."""
        return TTN(tuple(t[...] for t in self.layers), self.in_features, self.pad)

    @classmethod
    def from_network(cls, network: TTN, *, local_map: str = "trigonometric") -> TTNLinear:
        """A layer holding the tensors of ``network`` (e.g. an estimator's ``tensors_``).

        Parameters
        ----------
        network : TTN
            Any tree tensor network; its padding vector is kept.
        local_map : str, default "trigonometric"
            The local map the network was trained with; the local dimension is
            the network's.

        Returns
        -------
        TTNLinear
        """
        if not isinstance(network, TTN):
            raise ValueError(f"TTNLinear.from_network: expected a TTN, got "
                             f"{type(network).__name__}")
        for t in network.layers:
            check_param_dtype("TTNLinear.from_network", t.dtype, "the network's dtype")
        layer = cls(network.n_sites, network.n_outputs, bond_dim=1, local_map=local_map,
                    local_dim=network.local_dim, init_noise=0.0, rngs=nnx.Rngs(0))
        layer._set_network(network)
        return layer

    def _logits(self, phi: jax.Array) -> jax.Array:
        return ttn_logits(self.network, phi)
