r"""Local feature maps: one feature value in ``[0, 1]`` to a vector of local dimension ``d``.

A tensor-network model acts on the product state

.. math::

    \Phi(\mathbf{x}) = \phi(x_1) \otimes \phi(x_2) \otimes \cdots \otimes \phi(x_n),
    \qquad \phi : [0, 1] \to \mathbb{R}^d,

so its output is a multilinear function of the local vectors. The maps are kept
in a registry by name (:data:`LOCAL_MAPS`, :func:`register_local_map`), so the
estimators take ``local_map="trigonometric"`` and tests can enumerate them all.

Inputs are expected in ``[0, 1]``: the estimators rescale every feature with a
min-max transform fitted on the training data and clip new data into that
interval. The maps themselves accept any real input.

The registered maps (index ``s = 0, ..., d-1``):

``"trigonometric"``
    The spin-coherent map of Stoudenmire and Schwab (2016),
    :math:`\phi_s(x) = \sqrt{\binom{d-1}{s}}\, \cos^{d-1-s}(\pi x/2)\, \sin^{s}(\pi x/2)`;
    for ``d = 2`` it is :math:`(\cos(\pi x/2), \sin(\pi x/2))`. Unit norm for every ``x``.
``"fourier"``
    A real Fourier basis of period 2 (so that the ends of ``[0, 1]`` differ):
    :math:`\phi(x) = d^{-1/2} (1, \sqrt2\cos\pi x, \sqrt2\sin\pi x, \sqrt2\cos2\pi x, \dots)`,
    truncated to ``d`` entries. Unit norm for odd ``d``, within
    :math:`\sqrt{(d \pm 1)/d}` of it for even ``d``.
``"polynomial"``
    Monomials :math:`\phi_s(x) = x^s`, as in the exponential machines of
    Novikov, Trofimov and Oseledets (2016) (``d = 2``: :math:`(1, x)`).

References
----------
E. M. Stoudenmire and D. J. Schwab, "Supervised learning with tensor networks",
NeurIPS 2016, arXiv:1605.05775.
A. Novikov, M. Trofimov and I. Oseledets, "Exponential machines",
arXiv:1605.03795 (2016).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "LOCAL_MAPS",
    "LocalMap",
    "apply_local_map",
    "embed",
    "get_local_map",
    "register_local_map",
]


@dataclass(frozen=True)
class LocalMap:
    """A registered local feature map.

    Attributes
    ----------
    name : str
        Registry name.
    fn : callable
        ``fn(x, d) -> array of shape x.shape + (d,)``, pure JAX.
    min_dim : int
        Smallest local dimension the map supports.
    """

    name: str
    fn: Callable[[jax.Array, int], jax.Array]
    min_dim: int = 2

    def __call__(self, x: jax.Array, d: int) -> jax.Array:
        return self.fn(jnp.asarray(x), d)

    def reference_vector(self, d: int, n_grid: int = 257) -> np.ndarray:
        r"""The unit vector :math:`w \propto \int_0^1 \phi(x)\,dx` (a trapezoid rule on a grid).

        Tensor networks are initialised with ``A[:, s, :] = w_s * I`` so that
        the contracted site matrix :math:`\sum_s \phi_s(x) A[:, s, :] = (w
        \cdot \phi(x)) I` is a positive multiple of the identity for every
        input in ``[0, 1]`` (true for all registered maps).
        """
        return _reference_vector(self.name, d, n_grid)


@functools.cache
def _reference_vector(name: str, d: int, n_grid: int) -> np.ndarray:
    grid = np.linspace(0.0, 1.0, n_grid)
    with jax.ensure_compile_time_eval():  # also when first asked for inside a jitted function
        vals = np.asarray(LOCAL_MAPS[name](jnp.asarray(grid), d), dtype=np.float64)
    w = np.trapezoid(vals, grid, axis=0)
    w = w / np.linalg.norm(w)
    w.setflags(write=False)
    return w


#: Registered local maps by name.
LOCAL_MAPS: dict[str, LocalMap] = {}


def register_local_map(name: str, *, min_dim: int = 2) -> Callable:
    """Decorator registering ``fn(x, d)`` as a local map under ``name``."""

    def decorate(fn: Callable[[jax.Array, int], jax.Array]) -> Callable:
        if name in LOCAL_MAPS:
            raise ValueError(f"a local map named {name!r} is already registered")
        LOCAL_MAPS[name] = LocalMap(name, fn, min_dim)
        return fn

    return decorate


def get_local_map(name: str, d: int | None = None) -> LocalMap:
    """Look up a registered map, checking the local dimension ``d`` if given."""
    if not isinstance(name, str) or name not in LOCAL_MAPS:
        raise ValueError(f"unknown local map {name!r}; use one of "
                         + ", ".join(map(repr, sorted(LOCAL_MAPS))))
    lmap = LOCAL_MAPS[name]
    if d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer))
                          or d < lmap.min_dim):
        raise ValueError(f"local map {name!r}: local_dim={d!r} must be an integer "
                         f">= {lmap.min_dim}")
    return lmap


def apply_local_map(x: jax.Array, name: str, d: int) -> jax.Array:
    """``phi(x)`` of the map ``name`` with local dimension ``d``: shape ``x.shape + (d,)``."""
    return get_local_map(name, d)(x, d)


def embed(x: jax.Array, name: str, d: int) -> jax.Array:
    r"""Anchored local vectors, :math:`\tilde\phi(x) = \phi(x) / (w \cdot \phi(x))`.

    Dividing by the overlap with the reference vector :math:`w` (see
    :meth:`LocalMap.reference_vector`) multiplies a product state by the
    input-only factor :math:`1/\langle W | \Phi(\mathbf{x})\rangle` with
    :math:`W = w^{\otimes n}`. A network initialised at the reference product
    state then outputs exactly 1 for every input, whatever the number of
    sites, instead of a product of ``n`` factors in ``[min, max]`` of
    :math:`w\cdot\phi` that vanishes or explodes with ``n``. The model's
    weights are untouched, so canonical forms and truncations stay exact.

    Parameters
    ----------
    x : array
        Inputs, expected in ``[0, 1]``.
    name : str
        A registered map.
    d : int
        Local dimension.

    Returns
    -------
    jax.Array, shape ``x.shape + (d,)``

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> phi = embed(jnp.array([0.0, 0.5, 1.0]), "trigonometric", 2)
    >>> w = get_local_map("trigonometric").reference_vector(2)
    >>> [round(float(v), 4) for v in phi @ w]
    [1.0, 1.0, 1.0]
    """
    lmap = get_local_map(name, d)
    phi = lmap(x, d)
    w = jnp.asarray(lmap.reference_vector(d), dtype=phi.dtype)
    return phi / (phi @ w)[..., None]


@register_local_map("trigonometric")
def _trigonometric(x: jax.Array, d: int) -> jax.Array:
    c, s = jnp.cos(0.5 * jnp.pi * x), jnp.sin(0.5 * jnp.pi * x)
    coef = np.sqrt([math.comb(d - 1, k) for k in range(d)])
    powers = [coef[k] * c ** (d - 1 - k) * s**k for k in range(d)]
    return jnp.stack(powers, axis=-1).astype(jnp.result_type(x, jnp.float32))


@register_local_map("fourier")
def _fourier(x: jax.Array, d: int) -> jax.Array:
    parts = [jnp.ones_like(x, dtype=jnp.result_type(x, jnp.float32))]
    for k in range(1, d):
        freq = (k + 1) // 2
        trig = jnp.cos if k % 2 else jnp.sin
        parts.append(np.sqrt(2.0) * trig(freq * jnp.pi * x))
    return jnp.stack(parts, axis=-1) / np.sqrt(d)


@register_local_map("polynomial")
def _polynomial(x: jax.Array, d: int) -> jax.Array:
    x = x.astype(jnp.result_type(x, jnp.float32))
    return jnp.stack([x**k for k in range(d)], axis=-1)
