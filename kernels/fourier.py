r"""Random Fourier features of Pauli-encoded circuits (Landman et al. 2022).

A circuit whose data enter only through Pauli rotations,
:math:`e^{-i a\,x_j P/2}` with :math:`P` a Pauli string and :math:`a` a fixed
coefficient, computes expectation values that are finite Fourier series in
:math:`x` [2]_:

.. math::

    f(x) = \langle \psi(x, w) | O | \psi(x, w) \rangle
         = \sum_{\omega \in \Omega} c_\omega(w)\, e^{i \omega \cdot x}, \qquad
    \Omega = \Omega_0 \times \dots \times \Omega_{d-1}.

Each encoding gate of feature :math:`j` shifts the phase of the ket and of the
bra by an eigenvalue :math:`\pm a/2` of :math:`a P/2`, so it contributes
:math:`s\,a` with :math:`s \in \{-1, 0, +1\}` to :math:`\omega_j`; with gates
:math:`a_{j,1}, \dots, a_{j,L_j}` on feature :math:`j`,

.. math::

    \Omega_j = \Big\{ \sum_{l=1}^{L_j} s_l\, a_{j,l} :
        s \in \{-1, 0, +1\}^{L_j} \Big\}.

Of the four (ket, bra) eigenvalue pairs of one gate, one gives :math:`s=+1`,
one :math:`s=-1` and two :math:`s=0`; counting pairs over all gates gives each
frequency its *multiplicity* (its number of paths in the tree of
eigenvalue pairs), the redundancy that Landman et al. found to predict the
size of its coefficient [1]_.

Random Fourier features [3]_ replace the circuit by a linear model on
:math:`2D` features :math:`\phi(x) = D^{-1/2}[\cos(\omega_k \cdot x),
\sin(\omega_k \cdot x)]_{k=1}^{D}` with frequencies :math:`\omega_k` sampled
from :math:`\Omega`. This module reads :math:`a_{j,l}` off a
:class:`~qinspired.circuits.Circuit` (:func:`pauli_encoding_coefficients`),
enumerates the spectrum (:func:`encoding_spectrum`,
:func:`enumerate_frequencies`), samples from it (:func:`sample_frequencies`)
and builds the features (:func:`fourier_features`). The scikit-learn
transformer is :class:`qinspired.estimators.fourier.QuantumFourierFeatures`.

Supported encoding gates, with the frequency factors each contributes per unit
angle coefficient (a gate equal to a product of commuting Pauli rotations
contributes one entry per rotation):

- ``rx``, ``ry``, ``rz``, ``rxx``, ``ryy``, ``rzz``: ``1``, as
  :math:`e^{-i\theta P/2}`;
- ``p``: ``1``, as :math:`P(\theta) = e^{i\theta/2} R_Z(\theta)`;
- ``u3``: ``1`` for each of its three angles, as
  :math:`U_3(\theta, \phi, \lambda) = e^{i(\phi+\lambda)/2}
  R_Z(\phi) R_Y(\theta) R_Z(\lambda)`;
- ``crx``, ``cry``, ``crz``: ``1/2`` and ``-1/2``, as
  :math:`CR_P(\theta) = e^{-i\theta |1\rangle\langle 1| \otimes P/2}
  = R_{P_t}(\theta/2)\, R_{Z_c P_t}(-\theta/2)`, whose spectrum is
  :math:`\{0, \pm a/2, \pm a\}`;
- ``cp``: ``1``, as its generator :math:`|11\rangle\langle 11|` has the
  eigenvalue gaps :math:`\{0, \pm 1\}` of a Pauli rotation.

``cp`` is not a Pauli rotation, but its generator has the same eigenvalue
gaps, so its spectrum is that of one rotation; only its multiplicities differ
(its eigenvalue pairs give :math:`+1, 0, -1` in the proportions 3 : 10 : 3, a
Pauli rotation's in 4 : 8 : 4, which is what the tree sampling uses).

The spectrum is the set of frequencies that *can* appear: for a given circuit
some coefficients :math:`c_\omega` may vanish (two commuting rotations of the
same qubit act as one, for example).

References
----------
.. [1] J. Landman, S. Thabet, C. Dalyac, H. Mhiri and E. Kashefi, "Classically
   approximating variational quantum machine learning with random Fourier
   features", arXiv:2210.13200 (2022); ICLR 2023.
.. [2] M. Schuld, R. Sweke and J. J. Meyer, "Effect of data encoding on the
   expressive power of variational quantum machine-learning models", Phys. Rev.
   A 103, 032430 (2021).
.. [3] A. Rahimi and B. Recht, "Random features for large-scale kernel
   machines", NeurIPS 20 (2007).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._validation import as_float_array, check_choice, check_int
from qinspired.circuits._engine.ops import sincos
from qinspired.circuits.circuit import Angle, Circuit, Operation
from qinspired.circuits.statevector import real_dtype

__all__ = [
    "PAULI_ENCODING_GATES",
    "SAMPLINGS",
    "Spectrum",
    "encoding_spectrum",
    "enumerate_frequencies",
    "fourier_features",
    "pauli_encoding_coefficients",
    "sample_frequencies",
]

#: Frequency factors per angle of every gate that may encode data: gate -> one
#: tuple per angle, with one entry per commuting Pauli rotation it equals.
PAULI_ENCODING_GATES: dict[str, tuple[tuple[float, ...], ...]] = {
    "rx": ((1.0,),),
    "ry": ((1.0,),),
    "rz": ((1.0,),),
    "p": ((1.0,),),
    "rxx": ((1.0,),),
    "ryy": ((1.0,),),
    "rzz": ((1.0,),),
    "cp": ((1.0,),),
    "crx": ((0.5, -0.5),),
    "cry": ((0.5, -0.5),),
    "crz": ((0.5, -0.5),),
    "u3": ((1.0,), (1.0,), (1.0,)),
}

#: The frequency sampling strategies of :func:`sample_frequencies`.
SAMPLINGS = ("tree", "distinct")

_DECIMALS = 9  # frequencies equal to 9 decimals are the same frequency


class Spectrum(NamedTuple):
    """The frequencies one feature can carry and how many paths lead to each.

    Attributes
    ----------
    frequencies : numpy.ndarray, shape (m,)
        Distinct frequencies, ascending (symmetric about 0).
    multiplicities : numpy.ndarray, shape (m,)
        Number of (ket, bra) eigenvalue-pair paths giving each frequency; they
        sum to :math:`4^L` for :math:`L` encoding terms (float64, exact
        integers while :math:`4^L \\le 2^{53}`).
    """

    frequencies: np.ndarray
    multiplicities: np.ndarray

    @property
    def probabilities(self) -> np.ndarray:
        """The tree-sampling probability of each frequency (multiplicities / 4^L)."""
        return self.multiplicities / self.multiplicities.sum()


# --------------------------------------------------------------------------- reading circuits
def _resolve_circuit(circuit: Any) -> Circuit:
    if isinstance(circuit, Circuit):
        return circuit
    try:
        inner = circuit.circuit
    except AttributeError as exc:
        raise ValueError(
            f"expected a Circuit or a feature map with a `.circuit`, got "
            f"{type(circuit).__name__} ({exc}); random Fourier features need the angles "
            "of the encoding gates"
        ) from None
    if not isinstance(inner, Circuit):
        raise ValueError(f"{type(circuit).__name__}.circuit is not a Circuit")
    return inner


def _describe(angle: Angle) -> str:
    parts = [f"({f.shift:g} + {f.coef:g}*{f.source}[{f.index}])" for f in angle.factors]
    return f"{angle.offset:g} + {angle.scale:g}*" + "*".join(parts)


def _angle_slope(op: Operation, position: int, angle: Angle) -> tuple[int, float] | None:
    """``(j, da/dx_j)`` for an angle linear in one feature, ``None`` for no feature."""
    xs = [f for f in angle.factors if f.source == "x"]
    if angle.is_constant or not xs:
        return None
    where = f"gate {op.name!r} (operation {position}) on wires {op.wires}"
    if len(xs) > 1:
        names = ", ".join(f"x[{f.index}]" for f in xs)
        raise ValueError(
            f"{where}: its angle {_describe(angle)} multiplies features {names}; random "
            "Fourier features need every encoding angle to be linear in a single feature "
            "(a Pauli encoding), which product encodings such as the ZZ and IQP maps are not"
        )
    ws = [f"w[{f.index}]" for f in angle.factors if f.source == "w"]
    if ws:
        raise ValueError(
            f"{where}: its angle {_describe(angle)} multiplies feature x[{xs[0].index}] by "
            f"weight(s) {', '.join(ws)}, so its frequency depends on the weights; bind them "
            "first with circuit.bind(weights=...)"
        )
    return xs[0].index, angle.scale * xs[0].coef


def pauli_encoding_coefficients(circuit: Any) -> tuple[np.ndarray, ...]:
    r"""The frequency coefficients :math:`a_{j,l}` of each feature's encoding gates.

    For every gate whose angle reads feature :math:`x_j`, the angle must be
    :math:`\theta = \text{offset} + \text{scale}\,(\text{shift} + \text{coef}\,x_j)`
    and the gate a Pauli rotation (see the table in the module docs); the gate
    then contributes frequencies :math:`\{-a, 0, a\}` to feature :math:`j`
    with :math:`a = m \cdot \text{scale} \cdot \text{coef}`, where :math:`m` is
    the gate's factor (1 for :math:`R_X(\theta) = e^{-i\theta X/2}`; two
    entries :math:`\pm 1/2` for controlled rotations; the sign flips for an
    adjoint gate). Angles reading only weights or constants are ignored.

    Parameters
    ----------
    circuit : Circuit or feature map
        The circuit, or anything with a ``.circuit`` (a
        :class:`~qinspired.feature_maps.FeatureMap`).

    Returns
    -------
    tuple of numpy.ndarray
        One float64 array per feature (``circuit.n_features`` of them), the
        coefficients in the order of the gates; empty for a feature no gate reads.

    Raises
    ------
    ValueError
        For an angle that multiplies features (ZZ/IQP maps) or a feature and a
        weight, for a feature inside a gate that is not a Pauli rotation, and
        for objects without a circuit (amplitude encoding); the message names
        the gate and its position.

    Examples
    --------
    >>> from qinspired.circuits import Circuit, feature
    >>> c = Circuit(2, [("ry", 0, feature(0, 2.0)), ("crx", (0, 1), feature(1))])
    >>> [a.tolist() for a in pauli_encoding_coefficients(c)]
    [[2.0], [0.5, -0.5]]
    """
    circ = _resolve_circuit(circuit)
    out: list[list[float]] = [[] for _ in range(circ.n_features)]
    for position, op in enumerate(circ.operations):
        for p, angle in enumerate(op.params):
            slope = _angle_slope(op, position, angle)
            if slope is None:
                continue
            j, a = slope
            factors = PAULI_ENCODING_GATES.get(op.name)
            if factors is None:
                raise ValueError(
                    f"gate {op.name!r} (operation {position}) on wires {op.wires} encodes "
                    f"feature x[{j}], but it is not a Pauli rotation; encoding gates must be "
                    f"one of {', '.join(sorted(PAULI_ENCODING_GATES))}"
                )
            sign = -1.0 if op.adjoint else 1.0
            out[j].extend(sign * m * a for m in factors[p] if m * a != 0.0)
    return tuple(np.asarray(c, dtype=np.float64) for c in out)


# --------------------------------------------------------------------------- spectra
def _check_coefficients(coefficients: Any) -> tuple[np.ndarray, ...]:
    if isinstance(coefficients, np.ndarray) or not isinstance(coefficients, Sequence):
        raise ValueError(
            "coefficients must be a tuple with one 1-D array per feature, as returned by "
            f"pauli_encoding_coefficients; got {type(coefficients).__name__}"
        )
    if len(coefficients) == 0:
        raise ValueError("coefficients is empty: the circuit has no features")
    out = []
    for j, c in enumerate(coefficients):
        arr = as_float_array(c, f"coefficients[{j}]").astype(np.float64)
        if arr.ndim != 1:
            raise ValueError(f"coefficients[{j}] must be 1-D, got shape {arr.shape}")
        out.append(arr)
    return tuple(out)


def _one_spectrum(coefs: np.ndarray, max_size: int, j: int) -> Spectrum:
    counts: dict[float, int] = {0.0: 1}
    for a in coefs:
        new: dict[float, int] = defaultdict(int)
        for f, c in counts.items():
            new[round(f - a, _DECIMALS) + 0.0] += c
            new[f] += 2 * c
            new[round(f + a, _DECIMALS) + 0.0] += c
        counts = new
        if len(counts) > max_size:
            raise ValueError(
                f"feature {j} has more than max_size={max_size} distinct frequencies "
                f"({len(coefs)} encoding terms with incommensurate coefficients); raise "
                "max_size or use tree sampling, which needs no enumeration"
            )
    freqs = np.array(sorted(counts), dtype=np.float64)
    mult = np.array([float(counts[f]) for f in freqs], dtype=np.float64)
    return Spectrum(freqs, mult)


def encoding_spectrum(coefficients: Sequence[Any], max_size: int = 100_000) -> tuple[Spectrum, ...]:
    r"""The spectrum :math:`\Omega_j` of each feature, with multiplicities.

    The frequencies are the distinct values of :math:`\sum_l s_l a_{j,l}`,
    :math:`s_l \in \{-1, 0, 1\}`; the multiplicity of :math:`\omega` counts
    the eigenvalue-pair paths giving it, a path weighing 1 for each
    :math:`s_l = \pm 1` and 2 for each :math:`s_l = 0`:

    .. math::

        \mu_j(\omega) = \sum_{s:\, \sum_l s_l a_{j,l} = \omega}
            \prod_l 2^{1 - |s_l|}.

    Parameters
    ----------
    coefficients : tuple of array_like
        One 1-D array per feature (:func:`pauli_encoding_coefficients`).
    max_size : int, default 100000
        Largest number of distinct frequencies allowed per feature.

    Returns
    -------
    tuple of Spectrum
        One per feature; a feature without gates has the spectrum ``[0]``.

    Examples
    --------
    >>> s, = encoding_spectrum(([1.0, 1.0],))
    >>> s.frequencies.tolist(), s.multiplicities.tolist()
    ([-2.0, -1.0, 0.0, 1.0, 2.0], [1.0, 4.0, 6.0, 4.0, 1.0])
    """
    coefs = _check_coefficients(coefficients)
    size = check_int("encoding_spectrum", "max_size", max_size, 1)
    return tuple(_one_spectrum(c, size, j) for j, c in enumerate(coefs))


def enumerate_frequencies(
    coefficients: Sequence[Any], max_size: int = 100_000
) -> tuple[np.ndarray, np.ndarray]:
    r"""Every frequency vector of the product spectrum :math:`\Omega_0 \times \dots`.

    Parameters
    ----------
    coefficients : tuple of array_like
        One 1-D array per feature (:func:`pauli_encoding_coefficients`).
    max_size : int, default 100000
        Largest number of frequency vectors allowed (the product of the
        per-feature spectrum sizes grows exponentially with the features).

    Returns
    -------
    frequencies : numpy.ndarray, shape (M, d)
        All frequency vectors, lexicographically ordered (both
        :math:`\omega` and :math:`-\omega` are present).
    multiplicities : numpy.ndarray, shape (M,)
        Products of the per-feature multiplicities.

    Examples
    --------
    >>> W, m = enumerate_frequencies(([1.0], [0.5]))
    >>> W.shape, float(m.sum())
    ((9, 2), 16.0)
    """
    size = check_int("enumerate_frequencies", "max_size", max_size, 1)
    spectra = encoding_spectrum(coefficients, size)
    total = math.prod(len(s.frequencies) for s in spectra)
    if total > size:
        raise ValueError(
            f"the product spectrum has {total} frequency vectors, more than "
            f"max_size={size}; sample frequencies instead (sample_frequencies)"
        )
    grids = np.meshgrid(*[s.frequencies for s in spectra], indexing="ij")
    mults = np.meshgrid(*[s.multiplicities for s in spectra], indexing="ij")
    freqs = np.stack([g.reshape(-1) for g in grids], axis=1)
    return freqs, np.prod(np.stack([m.reshape(-1) for m in mults], axis=1), axis=1)


# --------------------------------------------------------------------------- sampling
def sample_frequencies(
    key: jax.Array,
    coefficients: Sequence[Any],
    n_samples: int,
    sampling: str = "tree",
    *,
    max_size: int = 100_000,
) -> jax.Array:
    r"""Sample frequency vectors from the spectrum of a Pauli encoding.

    ``"tree"``
        For every encoding term independently draw :math:`s_l \in \{-1, 0, 1\}`
        with probabilities :math:`(1/4, 1/2, 1/4)` (the ket and bra
        eigenvalues :math:`\pm 1/2` uniform and independent, :math:`s_l` their
        difference) and set :math:`\omega_j = \sum_l s_l a_{j,l}`; a frequency
        is drawn with probability :math:`\prod_j \mu_j(\omega_j) / 4^{L_j}`,
        proportional to its multiplicity (Landman et al.'s tree sampling). No
        enumeration is needed, so it scales to any number of gates.
    ``"distinct"``
        Uniform over the distinct frequency vectors of
        :math:`\Omega_0 \times \dots \times \Omega_{d-1}`, i.e. each
        :math:`\omega_j` uniform over :math:`\Omega_j`, independently
        (Landman et al.'s distinct sampling); needs the per-feature spectra,
        at most ``max_size`` frequencies each.

    Parameters
    ----------
    key : jax.Array
        A JAX PRNG key.
    coefficients : tuple of array_like
        One 1-D array per feature (:func:`pauli_encoding_coefficients`).
    n_samples : int
        Number :math:`D` of frequency vectors.
    sampling : {"tree", "distinct"}, default "tree"
        The strategy.
    max_size : int, default 100000
        For ``"distinct"``: the largest per-feature spectrum allowed.

    Returns
    -------
    jax.Array, shape (n_samples, d)
        The frequencies (float32, float64 with JAX's x64 mode); rows may repeat.

    Examples
    --------
    >>> import jax
    >>> W = sample_frequencies(jax.random.key(0), ([1.0, 1.0], [2.0]), 4)
    >>> W.shape
    (4, 2)
    """
    coefs = _check_coefficients(coefficients)
    n = check_int("sample_frequencies", "n_samples", n_samples, 1)
    method = check_choice("sample_frequencies", "sampling", sampling, SAMPLINGS)
    d = len(coefs)
    if method == "tree":
        flat = np.concatenate(coefs)
        owner = np.concatenate([np.full(c.size, j) for j, c in enumerate(coefs)]).astype(int)
        table = np.zeros((flat.size, d))
        table[np.arange(flat.size), owner] = flat
        # two independent fair bits per (sample, term): s = ket bit - bra bit
        u = _random_bits(key, n * flat.size, np.uint8).reshape(n, flat.size)
        signs = (u & 1).astype(np.float64) - ((u >> 1) & 1).astype(np.float64)
        return jnp.asarray(signs @ table, real_dtype())
    spectra = encoding_spectrum(coefs, check_int("sample_frequencies", "max_size", max_size, 1))
    sizes = np.array([len(s.frequencies) for s in spectra], dtype=np.uint64)
    table = np.zeros((d, int(sizes.max())))
    for j, s in enumerate(spectra):
        table[j, : int(sizes[j])] = s.frequencies
    # uniform index in [0, m_j): (32 random bits * m_j) >> 32, bias below m_j / 2**32
    u = _random_bits(key, n * d, np.uint32).reshape(n, d).astype(np.uint64)
    idx = ((u * sizes) >> np.uint64(32)).astype(np.int64)
    return jnp.asarray(table[np.arange(d), idx], real_dtype())


def _random_bits(key: jax.Array, size: int, dtype: type) -> np.ndarray:
    """``size`` uniform random integers of ``dtype`` drawn with ``key``, as NumPy.

    They are drawn as a 1-D array whose length is rounded up to a power of two,
    so one compiled sampler serves many sizes.
    """
    length = max(256, 1 << max(size - 1, 0).bit_length())
    return np.asarray(jax.random.bits(key, (length,), dtype))[:size]


# --------------------------------------------------------------------------- features
@jax.jit
def cos_sin_features(X: jax.Array, W: jax.Array) -> jax.Array:
    """The feature formula of :func:`fourier_features` on JAX arrays, unchecked.

    For callers that validated ``X`` (2-D) and ``W`` (2-D, same columns) and
    chose the dtype themselves, including under ``jit`` (the Flax layer
    :class:`qinspired.nn.FourierFeatures`).
    """
    cos, sin = sincos(X @ W.T)
    scale = 1.0 / jnp.sqrt(jnp.asarray(W.shape[0], X.dtype))
    return jnp.concatenate([cos, sin], axis=1) * scale


def fourier_features(X: Any, frequencies: Any) -> jax.Array:
    r"""Random Fourier features :math:`\phi(x)` for given frequencies.

    .. math::

        \phi(x) = \frac{1}{\sqrt{D}} \big[\cos(\omega_1 \cdot x), \dots,
            \cos(\omega_D \cdot x), \sin(\omega_1 \cdot x), \dots,
            \sin(\omega_D \cdot x)\big],

    so that :math:`\phi(x) \cdot \phi(x') = \frac{1}{D}\sum_k
    \cos(\omega_k \cdot (x - x'))`, the Monte-Carlo estimate of the
    shift-invariant kernel whose spectral measure the :math:`\omega_k` were
    drawn from; a linear model on :math:`\phi` is a Fourier series with those
    frequencies.

    Parameters
    ----------
    X : array_like, shape (n_samples, d)
        Data.
    frequencies : array_like, shape (D, d)
        Frequency vectors :math:`\omega_k` (:func:`sample_frequencies`).

    Returns
    -------
    jax.Array, shape (n_samples, 2 D)
        Cosines first, then sines (float32; float64 with JAX's x64 mode). One
        jitted computation per pair of shapes.

    Examples
    --------
    >>> import numpy as np
    >>> phi = fourier_features(np.array([[0.0, 0.0]]), np.array([[1.0, 2.0]]))
    >>> np.asarray(phi).tolist()
    [[1.0, 0.0]]
    """
    x = as_float_array(X, "X")
    w = as_float_array(frequencies, "frequencies")
    if x.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {x.shape}")
    if w.ndim != 2 or w.shape[0] == 0:
        raise ValueError(
            f"frequencies must be 2-D (n_components >= 1, n_features), got shape {w.shape}"
        )
    if w.shape[1] != x.shape[1]:
        raise ValueError(
            f"X has {x.shape[1]} features but the frequencies have {w.shape[1]} "
            "(one column per feature)"
        )
    dtype = real_dtype()
    return cos_sin_features(jnp.asarray(x, dtype), jnp.asarray(w, dtype))
