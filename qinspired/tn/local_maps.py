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
``"rbf"``
    Gaussian radial basis functions with centres spread evenly over the
    input range, :math:`\phi_s(x) = \exp(-(x - \mu_s)^2 / (2\sigma^2))`,
    :math:`\mu_s = s/(d-1)`, width :math:`\sigma = 1/(d-1)` (the spacing of
    the centres). :func:`gaussian_rbf` takes another width, to register a
    variant under a new name.
``"legendre"``
    Legendre polynomials shifted to ``[0, 1]`` and normalised there,
    :math:`\phi_s(x) = \sqrt{2s+1}\, P_s(2x - 1)`, orthonormal in
    :math:`L^2[0, 1]`.
``"hermite"``
    Hermite functions (Hermite polynomials with a Gaussian envelope, bounded
    for every order), :math:`\phi_s(x) = (2^s s! \sqrt\pi)^{-1/2} H_s(t)\,
    e^{-t^2/2}` with :math:`t = 3x - 1.5`, so ``[0, 1]`` maps to
    :math:`[-1.5, 1.5]`; orthonormal in :math:`L^2(\mathbb{R})` in :math:`t`.
``"cosine"``
    A cosine series of order :math:`d - 1`, :math:`\phi_0 = 1`,
    :math:`\phi_s(x) = \sqrt2\cos(s\pi x)`: frequencies up to :math:`d - 1`
    at local dimension ``d`` (twice the highest frequency of ``"fourier"``,
    which spends two entries, cos and sin, per frequency); orthonormal in
    :math:`L^2[0, 1]`.

Every map is checked to overlap its reference vector positively on ``[0, 1]``
(see :meth:`LocalMap.reference_vector`), which the anchoring of :func:`embed`
divides by.

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
    "gaussian_rbf",
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
        # Keyed by the working precision: a vector first computed in float32 must not
        # be served to x64 computations.
        return _reference_vector(self.name, d, n_grid, jax.dtypes.canonicalize_dtype(np.float64))


@functools.cache
def _reference_vector(name: str, d: int, n_grid: int, precision: np.dtype) -> np.ndarray:
    grid = np.linspace(0.0, 1.0, n_grid)
    # One compiled program rather than one per elementwise operation of the map.
    with jax.ensure_compile_time_eval():  # also when first asked for inside a jitted function
        vals = np.asarray(jax.jit(LOCAL_MAPS[name].fn, static_argnums=1)(jnp.asarray(grid), d),
                          dtype=np.float64)
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


def _integer_powers(base: jax.Array, exponents: np.ndarray) -> jax.Array:
    """``base[..., None] ** exponents`` for non-negative integer ``exponents``, by squaring.

    The same products, in the same order, as ``base ** k`` (``lax.integer_pow``) for each
    ``k``, so the values are identical; the traced program has ``O(log max k)`` steps
    rather than one power per exponent.
    """
    exponents = np.asarray(exponents)
    acc = jnp.ones(base.shape + exponents.shape, base.dtype)
    power = base[..., None]
    for bit in range(int(exponents.max(initial=0)).bit_length()):
        if bit:
            power = power * power
        # acc * 1 where the bit is clear (not where(bit, acc * power, acc): an overflowed
        # power in an unused lane would then turn the gradient into 0 * inf = nan)
        acc = acc * jnp.where((exponents >> bit) & 1 == 1, power, 1)
    return acc


@functools.cache
def _trigonometric_max_dim(dtype_name: str) -> int:
    """Largest ``d`` whose weights ``sqrt(C(d - 1, k))`` are finite in ``dtype_name``."""
    bound, d = int(np.finfo(dtype_name).max) ** 2, 2
    while math.comb(d, d // 2) <= bound:
        d += 1
    return d


def _binomial_sqrt(d: int, dtype: np.dtype) -> np.ndarray:
    """``sqrt(C(d - 1, k))`` for ``k < d`` in float64, checked to fit ``dtype``.

    The middle weight passes the float32 range at ``d = 262`` and the float64 range
    at ``d = 2055``; past that the map would be ``inf * 0 = nan``.
    """
    name = np.dtype(dtype).name
    if d > _trigonometric_max_dim(name):
        top64 = _trigonometric_max_dim("float64")
        raise ValueError(
            f"local map 'trigonometric': local_dim={d} needs binomial weights "
            f"sqrt(C({d - 1}, k)) up to about "
            f"10^{math.log10(math.comb(d - 1, (d - 1) // 2)) / 2:.0f}, "
            f"beyond the {name} range ({float(np.finfo(name).max):.3g}); use local_dim <= "
            f"{_trigonometric_max_dim(name)} in {name}"
            + (f" ({top64} with JAX's x64 enabled)" if name != "float64" else "")
            + " or another map (e.g. 'legendre' or 'cosine')")
    # math.sqrt(int) rounds the integer to float64 first, as numpy does; past the float64
    # range (d > 1030) the square root is taken in logarithms.
    return np.array([math.sqrt(c) if c.bit_length() <= 1000 else math.exp(0.5 * math.log(c))
                     for c in (math.comb(d - 1, k) for k in range(d))])


@register_local_map("trigonometric")
def _trigonometric(x: jax.Array, d: int) -> jax.Array:
    c, s = jnp.cos(0.5 * jnp.pi * x), jnp.sin(0.5 * jnp.pi * x)
    coef = _binomial_sqrt(d, jnp.result_type(x, jnp.float32))
    k = np.arange(d)
    powers = coef * _integer_powers(c, d - 1 - k) * _integer_powers(s, k)
    return powers.astype(jnp.result_type(x, jnp.float32))


@register_local_map("fourier")
def _fourier(x: jax.Array, d: int) -> jax.Array:
    # Vectorised over the index (one cos and one sin of a frequency vector), so the traced
    # program does not grow with d; index k > 0 is cos (odd k) or sin (even k) of
    # ((k + 1) // 2) pi x.
    x = x.astype(jnp.result_type(x, jnp.float32))
    freq = ((np.arange(1, d) + 1) // 2 * np.pi).astype(x.dtype)
    trig = np.sqrt(2.0) * jnp.where(np.arange(1, d) % 2 == 1, jnp.cos(freq * x[..., None]),
                                    jnp.sin(freq * x[..., None]))
    parts = jnp.concatenate([jnp.ones_like(trig[..., :1]), trig], axis=-1)
    return parts / np.sqrt(d)


@register_local_map("polynomial")
def _polynomial(x: jax.Array, d: int) -> jax.Array:
    x = x.astype(jnp.result_type(x, jnp.float32))
    return _integer_powers(x, np.arange(d))


def gaussian_rbf(x: jax.Array, d: int, width: float | None = None) -> jax.Array:
    r"""Gaussian bumps centred at ``s / (d - 1)``, :math:`\exp(-(x - \mu_s)^2 / (2\,w^2))`.

    Parameters
    ----------
    x : array
        Inputs, expected in ``[0, 1]``.
    d : int
        Local dimension (number of centres), >= 2.
    width : float, optional
        The width :math:`w` (> 0); default the spacing of the centres, ``1 / (d - 1)``.

    Returns
    -------
    jax.Array, shape ``x.shape + (d,)``

    Examples
    --------
    >>> [round(float(v), 4) for v in gaussian_rbf(jnp.array(0.0), 3, width=0.5)]
    [1.0, 0.6065, 0.1353]

    A variant of another width is registered under its own name with
    ``register_local_map("rbf_wide")(functools.partial(gaussian_rbf, width=0.5))``
    and is then usable as ``local_map="rbf_wide"``.
    """
    width = 1.0 / (d - 1) if width is None else width
    if not (isinstance(width, (int, float, np.floating)) and math.isfinite(width) and width > 0):
        raise ValueError(f"gaussian_rbf: width={width!r} must be a finite number > 0")
    x = x.astype(jnp.result_type(x, jnp.float32))
    centres = jnp.linspace(0.0, 1.0, d, dtype=x.dtype)
    return jnp.exp(-0.5 * ((x[..., None] - centres) / width) ** 2)


@register_local_map("rbf")
def _rbf(x: jax.Array, d: int) -> jax.Array:
    return gaussian_rbf(x, d)


def _three_term(first: jax.Array, second: jax.Array, step: Callable,
                coefs: tuple[np.ndarray, ...], d: int) -> jax.Array:
    """``d`` terms of a three-term recurrence, stacked on a new last axis.

    ``p_{k+1} = step(c_k, p_k, p_{k-1})`` for ``k = 1, ..., d - 2``, where ``c_k`` is the
    tuple of ``coefs[i][k - 1]``. The recurrence runs as one :func:`jax.lax.scan` over the
    degree, so the traced program, its compile time and its memory do not grow with ``d``
    (unrolled, ``d`` chained steps compiled for seconds to minutes and, near ``d = 200``,
    past tens of GB).
    """
    if d <= 2:
        return jnp.stack([first, second][:d], axis=-1)
    second = second.astype(jnp.result_type(first, second))
    first = first.astype(second.dtype)

    def body(carry, c):
        p, q = carry
        nxt = step(c, p, q).astype(p.dtype)
        return (nxt, p), nxt

    _, rest = jax.lax.scan(body, (second, first), tuple(jnp.asarray(c) for c in coefs))
    return jnp.concatenate([first[None], second[None], rest], axis=0).transpose(
        tuple(range(1, first.ndim + 1)) + (0,))


@register_local_map("legendre")
def _legendre(x: jax.Array, d: int) -> jax.Array:
    t = 2.0 * x.astype(jnp.result_type(x, jnp.float32)) - 1.0
    # Bonnet: (k + 1) P_{k+1} = (2k + 1) t P_k - k P_{k-1} (integer coefficients, exact in
    # the working dtype).
    k = np.arange(1, max(d - 1, 1))
    polys = _three_term(jnp.ones_like(t), t,
                        lambda c, p, q: (c[0] * t * p - c[1] * q) / c[2],
                        tuple(v.astype(t.dtype) for v in (2 * k + 1, k, k + 1)), d)
    return np.sqrt(2.0 * np.arange(d) + 1.0) * polys


#: ``[0, 1]`` maps to ``[-_HERMITE_HALF_WIDTH, _HERMITE_HALF_WIDTH]`` for the Hermite functions.
_HERMITE_HALF_WIDTH = 1.5


@register_local_map("hermite")
def _hermite(x: jax.Array, d: int) -> jax.Array:
    t = _HERMITE_HALF_WIDTH * (2.0 * x.astype(jnp.result_type(x, jnp.float32)) - 1.0)
    # normalised Hermite functions: psi_{k+1} = sqrt(2/(k+1)) t psi_k - sqrt(k/(k+1)) psi_{k-1}
    psi0 = np.pi**-0.25 * jnp.exp(-0.5 * t**2)
    psi1 = np.sqrt(2.0) * t * psi0
    k = np.arange(1, max(d - 1, 1), dtype=np.float64)
    return _three_term(psi0, psi1,
                       lambda c, p, q: c[0] * t * p - c[1] * q,
                       tuple(v.astype(psi1.dtype) for v in (np.sqrt(2.0 / (k + 1)),
                                                            np.sqrt(k / (k + 1)))), d)


@register_local_map("cosine")
def _cosine(x: jax.Array, d: int) -> jax.Array:
    x = x.astype(jnp.result_type(x, jnp.float32))
    # One cosine of a frequency vector: the traced program does not grow with d.
    waves = np.sqrt(2.0) * jnp.cos((np.arange(1, d) * np.pi).astype(x.dtype) * x[..., None])
    return jnp.concatenate([jnp.ones_like(waves[..., :1]), waves], axis=-1)
