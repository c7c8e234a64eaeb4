"""Measurements on statevectors: probabilities, expectations, samples, reduced states.

All functions take states of shape ``(..., 2**n)`` (any batch shape) and are
pure jax.numpy, so they compose with ``jit``, ``vmap`` and ``grad``. Wire 0
is the most significant bit of the amplitude index.
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp

from qinspired._validation import check_wires
from qinspired.circuits._checks import check_key, check_normalised
from qinspired.circuits.observables import ObservableLike, as_pauli_sum
from qinspired.circuits.shots import sample_bits
from qinspired.circuits.statevector import statevector

__all__ = [
    "expectation",
    "expval",
    "marginal_probabilities",
    "probabilities",
    "reduced_density_matrix",
    "sample",
]


def _n_qubits(psi: Any) -> int:
    dim = psi.shape[-1] if psi.ndim else 0
    n = int(dim).bit_length() - 1
    if dim < 2 or 2**n != dim:
        raise ValueError(f"a state's last axis must be a power of two >= 2, got shape {psi.shape}")
    return n


def probabilities(psi: Any, wires: Sequence[int] | None = None) -> jax.Array:
    """Born probabilities, optionally marginalised onto ``wires``.

    Parameters
    ----------
    psi : array, shape (..., 2**n)
        Normalised states (checked when concrete, with the tolerance of
        :func:`sample`: the squared norms must be 1 within 1e-3).
    wires : sequence of int, optional
        Keep these wires, in this order (the first is the most significant
        bit of the result's index); default all wires.

    Returns
    -------
    jax.Array, shape (..., 2**len(wires))
    """
    psi = jnp.asarray(psi)
    n = _n_qubits(psi)
    wires = check_wires(wires, n)
    check_normalised(psi, "probabilities")
    p = jnp.abs(psi) ** 2
    batch = psi.shape[:-1]
    if wires == tuple(range(n)):
        return p
    t = p.reshape(batch + (2,) * n)
    nb = len(batch)
    others = tuple(nb + q for q in range(n) if q not in wires)
    t = jnp.sum(t, axis=others)
    kept = sorted(wires)
    t = jnp.moveaxis(t, tuple(nb + kept.index(w) for w in wires), tuple(range(nb, nb + len(wires))))
    return t.reshape(batch + (2 ** len(wires),))


marginal_probabilities = probabilities


def _apply_pauli(t: jax.Array, wire_axis: int, letter: str) -> jax.Array:
    if letter == "Z":
        sign = jnp.array([1.0, -1.0], dtype=t.real.dtype)
        shape = [1] * t.ndim
        shape[wire_axis] = 2
        return t * sign.reshape(shape)
    flipped = jnp.flip(t, axis=wire_axis)
    if letter == "X":
        return flipped
    phase = jnp.array([-1j, 1j], dtype=t.dtype)  # Y|0> = i|1>, Y|1> = -i|0>
    shape = [1] * t.ndim
    shape[wire_axis] = 2
    return flipped * phase.reshape(shape)


def expectation(psi: Any, observable: ObservableLike) -> jax.Array:
    r"""Expectation :math:`\langle\psi|O|\psi\rangle` of a Pauli sum.

    Parameters
    ----------
    psi : array, shape (..., 2**n)
        Normalised states (checked when concrete, with the tolerance of
        :func:`sample`: the squared norms must be 1 within 1e-3); the
        expectation is not renormalised.
    observable : PauliSum or str
        For example ``pauli("Z0 Z1") - 0.5 * pauli("X2")`` or ``"Z0"``.

    Returns
    -------
    jax.Array, shape (...)
        Real expectation values.

    Raises
    ------
    ValueError
        For a concrete state that contains NaN or inf or is not normalised.
    """
    psi = jnp.asarray(psi)
    _n_qubits(psi)  # the shape first
    check_normalised(psi, "expectation")
    return _expectation(psi, observable)


def _expectation(psi: jax.Array, observable: ObservableLike) -> jax.Array:
    """:func:`expectation` without the check of the state's norm."""
    n = _n_qubits(psi)
    obs = as_pauli_sum(observable)
    if obs.max_wire >= n:
        raise ValueError(f"observable acts on wire {obs.max_wire}; the state has {n} qubits")
    batch = psi.shape[:-1]
    nb = len(batch)
    t = psi.reshape(batch + (2,) * n)
    total = jnp.zeros(batch, dtype=jnp.abs(psi).dtype)
    for coef, ops in obs.terms:
        out = t
        for w, letter in ops:
            out = _apply_pauli(out, nb + w, letter)
        axes = tuple(range(nb, nb + n))
        total = total + coef * jnp.real(jnp.sum(jnp.conj(t) * out, axis=axes))
    return total


def expval(
    circuit: Any, observable: ObservableLike, x: Any = None, weights: Any = None
) -> jax.Array:
    """Expectation of ``observable`` in the state of ``circuit`` (batched like statevector).

    Differentiable: ``jax.grad(lambda w: expval(c, "Z0", x, w))(w0)``.
    """
    # statevector checks its result (finite; normalised by construction)
    return _expectation(statevector(circuit, x, weights), observable)


def sample(
    key: jax.Array, psi: Any, shots: int, wires: Sequence[int] | None = None
) -> jax.Array:
    """Draw measurement outcomes in the computational basis.

    Parameters
    ----------
    key : jax.random key
        The explicit random key (``jax.random.key(seed)``; an integer seed is
        refused); the same key gives the same bits.
    psi : array, shape (..., 2**n)
        States; each state in the batch gets its own draws.
    shots : int
        Number of samples per state.
    wires : sequence of int, optional
        Measure these wires only (default: all).

    Returns
    -------
    jax.Array of uint8, shape (..., shots, len(wires))
        Bits, in the order of ``wires``.

    See Also
    --------
    qinspired.circuits.shots.sample_bits : the same for density matrices, with readout errors.
    """
    check_key(key, "sample")
    return sample_bits(key, psi, shots, wires, density=False)


def reduced_density_matrix(psi: Any, wires: Sequence[int]) -> jax.Array:
    r"""Reduced density matrix :math:`\rho_A = \mathrm{Tr}_{\bar A} |\psi\rangle\langle\psi|`.

    Parameters
    ----------
    psi : array, shape (..., 2**n)
        States.
    wires : sequence of int
        The kept wires, in the order of the result's tensor factors.

    Returns
    -------
    jax.Array, shape (..., 2**k, 2**k)
    """
    psi = jnp.asarray(psi)
    n = _n_qubits(psi)
    wires = check_wires(wires, n)
    batch = psi.shape[:-1]
    nb = len(batch)
    others = [q for q in range(n) if q not in wires]
    t = psi.reshape(batch + (2,) * n)
    t = jnp.transpose(t, tuple(range(nb)) + tuple(nb + q for q in list(wires) + others))
    k = len(wires)
    m = t.reshape(batch + (2**k, 2 ** (n - k)))
    return jnp.einsum("...ia,...ja->...ij", m, jnp.conj(m))
