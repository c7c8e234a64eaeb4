r"""Finite-shot measurement: sampled bits, readout errors and shot-based estimates.

A real device returns bits, not amplitudes. This module turns a simulated
state into what an experiment would record:

* :func:`sample_bits` draws computational-basis outcomes from a statevector
  ``(..., 2**n)`` or a density matrix ``(..., 2**n, 2**n)`` (its diagonal) and
  passes them through per-wire readout errors;
* :func:`estimate_expectation` estimates a Pauli sum term by term, each term
  measured in its own rotated basis with ``shots`` shots, and returns the
  estimate with its standard error;
* :func:`exact_expectation` is the infinite-shot limit of that estimate
  (readout errors included), :func:`counts` and :func:`frequencies`
  summarise bits.

Readout errors follow the confusion-matrix convention of
:class:`~qinspired.circuits.channels.ReadoutError`: ``M[measured, true]``,
columns summing to one. A wire whose true bit is ``b`` reads ``1 - b`` with
probability ``M[1 - b, b]``, independently of every other wire and shot.

Randomness is explicit: every function takes a JAX ``key`` and the same key
gives the same bits. Wire 0 is the most significant bit everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._validation import check_memory, check_wires, is_traced
from qinspired.circuits._checks import PROB_ATOL, check_density_matrix, check_key
from qinspired.circuits._shots_core import (
    apply_confusion,
    check_shots,
    confusion_list,
    diagonal_probabilities,
    draw,
    flip_table,
    marginal,
    term_probabilities,
)
from qinspired.circuits.observables import ObservableLike, as_pauli_sum
from qinspired.circuits.statevector import real_dtype

__all__ = [
    "confusion_matrices",
    "counts",
    "estimate_expectation",
    "exact_expectation",
    "frequencies",
    "sample_bits",
]




# ----------------------------------------------------------------------------- validation

def _check_draw_memory(batch: tuple[int, ...], shots: int, k: int, owner: str) -> None:
    """Refuse a draw whose bits would not fit: per shot, a uniform and an outcome index,
    and per measured wire a bit, a readout uniform, a flip probability, the flipped bit
    and the uint8 result (see :func:`draw`)."""
    n_states = int(np.prod(batch, dtype=object)) if batch else 1
    check_memory(n_states * shots * (2 + 5 * k) * real_dtype().itemsize,
                 f"{owner}: {shots} shots of {k} wire(s) for {n_states} state(s)",
                 advice="use fewer shots (estimates improve as 1/sqrt(shots)) or fewer states")


def _n_from_dim(dim: int, shape: tuple[int, ...], what: str) -> int:
    n = int(dim).bit_length() - 1
    if dim < 2 or 2**n != dim:
        raise ValueError(f"{what}: the last axis must have a power-of-two length >= 2, "
                         f"got shape {shape}")
    return n


def _state_kind(state: Any, density: bool | None) -> tuple[jnp.ndarray, int, bool]:
    """The state as an array, its qubit count and whether it is a density matrix."""
    if isinstance(state, (list, tuple)):
        state = np.asarray(state)
    if not hasattr(state, "shape") or state.ndim == 0:
        raise ValueError(f"expected a statevector (..., 2**n) or density matrix "
                         f"(..., 2**n, 2**n), got {type(state).__name__}")
    shape = tuple(state.shape)
    if density is None:
        density = len(shape) >= 2 and shape[-1] == shape[-2]
    if density:
        if len(shape) < 2 or shape[-1] != shape[-2]:
            raise ValueError(f"a density matrix must have shape (..., 2**n, 2**n), got {shape}")
        n = _n_from_dim(shape[-1], shape, "density matrix")
    else:
        n = _n_from_dim(shape[-1], shape, "statevector")
    if not is_traced(state) and not np.all(np.isfinite(np.asarray(state))):
        raise ValueError("the state contains NaN or inf")
    if density:  # Hermitian, trace 1, positive semidefinite (concrete input only)
        check_density_matrix(state, "the density matrix", herm_atol=1e-4, trace_atol=PROB_ATOL)
    return jnp.asarray(state), n, bool(density)


def _check_probabilities(p: jnp.ndarray, what: str) -> None:
    """Reject probability vectors that are negative or do not sum to one (concrete only)."""
    if is_traced(p):
        return
    arr = np.asarray(p, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"invalid probabilities from {what}: NaN or inf")
    low = float(arr.min()) if arr.size else 0.0
    if low < -PROB_ATOL:
        raise ValueError(f"invalid probabilities from {what}: an entry is {low:.3g} < 0 "
                         "(is the state a valid, normalised state?)")
    total = arr.sum(axis=-1)
    dev = float(np.max(np.abs(total - 1.0))) if total.size else 0.0
    if dev > PROB_ATOL:
        raise ValueError(f"invalid probabilities from {what}: they sum to 1 +- {dev:.3g} "
                         f"(allowed {PROB_ATOL}); normalise the state first")


def confusion_matrices(readout: Any, n_wires: int) -> jnp.ndarray | None:
    """Normalise a readout specification to an array of per-wire confusion matrices.

    Parameters
    ----------
    readout : None, ReadoutError, NoiseModel, sequence or array
        ``None`` (perfect readout); one :class:`ReadoutError` or ``(2, 2)``
        matrix for every wire; a noise model (its ``readout_errors(n_wires)``);
        a sequence of ``n_wires`` entries, each a ``ReadoutError``, ``None``
        (perfect) or a ``(2, 2)`` matrix; or an array of shape
        ``(n_wires, 2, 2)``. Matrices are ``M[measured, true]`` with columns
        summing to one.
    n_wires : int
        Number of wires the specification must cover.

    Returns
    -------
    jax.Array of shape (n_wires, 2, 2) or None
        ``None`` when every wire reads out perfectly.

    Raises
    ------
    ValueError
        For a wrong length or shape, entries outside ``[0, 1]`` or columns
        that do not sum to one.
    """
    mats = confusion_list(readout, n_wires)
    if mats is None:
        return None
    return jnp.stack([jnp.asarray(m) for m in mats])


# ----------------------------------------------------------------------------- sampling

def sample_bits(
    key: jax.Array,
    state: Any,
    shots: int,
    wires: Sequence[int] | None = None,
    readout: Any = None,
    *,
    density: bool | None = None,
) -> jax.Array:
    r"""Sample measurement bits from a statevector or a density matrix.

    Parameters
    ----------
    key : jax.random key
        The explicit random key (``jax.random.key(seed)``; an integer seed is
        refused, as by :func:`~qinspired.circuits.trajectories`). The same
        key gives the same bits; the key is split once into a sampling key
        and a readout key, so the true outcomes do not depend on whether
        readout errors are given.
    state : array, shape (..., 2**n) or (..., 2**n, 2**n)
        Statevectors or density matrices (any batch shape). Concrete density
        matrices must be Hermitian, of trace 1 and positive semidefinite.
    shots : int
        Number of shots per state (>= 1).
    wires : sequence of int, optional
        Measure only these wires, in this order (default: all).
    readout : optional
        Readout errors per **wire of the state** (``n`` entries; see
        :func:`confusion_matrices` for the accepted forms, including a
        ``NoiseModel``). Only the entries of measured wires are used.
    density : bool, optional
        Whether ``state`` is a density matrix. By default an array whose last
        two axes are equal is taken as a density matrix; pass
        ``density=False`` for a batch of ``2**n`` statevectors.

    Returns
    -------
    jax.Array of uint8, shape (..., shots, len(wires))
        Measured bits, in the order of ``wires``.

    Notes
    -----
    The outcome probabilities are :math:`|\psi_i|^2` or :math:`\rho_{ii}`,
    marginalised onto ``wires``. With readout errors, each sampled bit
    :math:`b` of wire :math:`q` is flipped with probability
    :math:`M^{(q)}_{1-b,\,b}`, so the measured distribution is
    :math:`(\bigotimes_q M^{(q)})\, p`.

    Examples
    --------
    >>> import jax
    >>> from qinspired.circuits import Circuit, statevector
    >>> from qinspired.circuits.shots import counts, sample_bits
    >>> psi = statevector(Circuit(2, [("x", 0)]))
    >>> counts(sample_bits(jax.random.key(0), psi, 5))
    {'10': 5}
    """
    check_key(key, "sample_bits")
    shots = check_shots(shots, "sample_bits")
    arr, n, is_density = _state_kind(state, density)
    wires = check_wires(wires, n)
    _check_draw_memory(arr.shape[:-2] if is_density else arr.shape[:-1], shots, len(wires),
                       "sample_bits")
    p = marginal(diagonal_probabilities(arr, is_density), wires, n)
    _check_probabilities(p, "the state")
    mats = confusion_matrices(readout, n)
    if mats is not None:
        mats = mats[np.asarray(wires)]
    return draw(key, p, flip_table(mats, len(wires), p.dtype), shots)


def frequencies(bits: Any) -> jax.Array:
    """Relative frequencies ``(..., 2**k)`` of the outcomes in bits ``(..., shots, k)``.

    Outcome index ``sum_j b_j 2**(k-1-j)``: the first measured wire is the
    most significant bit, as in :func:`~qinspired.circuits.probabilities`.
    """
    b = jnp.asarray(bits)
    if b.ndim < 2:
        raise ValueError(f"bits must have shape (..., shots, n_wires), got {b.shape}")
    k = b.shape[-1]
    idx = jnp.sum(b.astype(jnp.int32) << jnp.arange(k - 1, -1, -1), axis=-1)
    flat = idx.reshape(-1, idx.shape[-1])
    hist = jax.vmap(lambda row: jnp.bincount(row, length=2**k))(flat)
    return (hist / idx.shape[-1]).astype(real_dtype()).reshape(idx.shape[:-1] + (2**k,))


def counts(bits: Any) -> dict[str, int]:
    """Count outcomes: ``{"0110": 12, ...}`` for bits of shape ``(shots, n_wires)``.

    Bitstrings list the measured wires in order (first wire first, as in
    :func:`sample_bits`) and are sorted; outcomes never seen are left out.
    """
    b = np.asarray(bits)
    if b.ndim != 2:
        raise ValueError(f"counts takes one batch of bits of shape (shots, n_wires), got "
                         f"{b.shape}; index the batch first")
    if b.size and not np.isin(b, (0, 1)).all():
        raise ValueError("bits must be 0 or 1")
    keys, num = np.unique(b.astype(np.uint8), axis=0, return_counts=True)
    return {"".join(str(int(v)) for v in row): int(c) for row, c in zip(keys, num)}


# ----------------------------------------------------------------------------- Pauli terms

def _parity_signs(k: int, dtype: Any) -> jnp.ndarray:
    parity = np.array([i.bit_count() & 1 for i in range(2**k)])
    return jnp.asarray(1.0 - 2.0 * parity, dtype)


def _prepare_observable(state: Any, observable: ObservableLike, density: bool | None):
    arr, n, is_density = _state_kind(state, density)
    obs = as_pauli_sum(observable)
    if obs.max_wire >= n:
        raise ValueError(f"observable acts on wire {obs.max_wire}; the state has {n} qubits")
    return arr, n, is_density, obs


def exact_expectation(
    state: Any,
    observable: ObservableLike,
    readout: Any = None,
    *,
    density: bool | None = None,
) -> jax.Array:
    r"""The infinite-shot limit of :func:`estimate_expectation`.

    Without readout errors this is :math:`\mathrm{Tr}(\rho O)` (or
    :math:`\langle\psi|O|\psi\rangle`). With readout errors, each term
    :math:`c_t P_t` contributes :math:`c_t \sum_b (-1)^{|b|} [(\bigotimes_q
    M^{(q)}) p_t]_b`, where :math:`p_t` is the outcome distribution of the
    term's wires in its measurement basis: the value the shot estimate is
    unbiased for.

    Parameters
    ----------
    state : array, shape (..., 2**n) or (..., 2**n, 2**n)
        Statevectors or density matrices.
    observable : PauliSum or str
        The observable.
    readout : optional
        Readout errors per wire of the state, as for :func:`sample_bits`.
    density : bool, optional
        As for :func:`sample_bits`.

    Returns
    -------
    jax.Array, shape (...)
    """
    arr, n, is_density, obs = _prepare_observable(state, observable, density)
    mats = confusion_matrices(readout, n)
    batch = arr.shape[:-2] if is_density else arr.shape[:-1]
    total = jnp.zeros(batch, dtype=jnp.real(arr).dtype)
    for coef, ops in obs.terms:
        if not ops:
            total = total + coef * (jnp.real(jnp.trace(arr, axis1=-2, axis2=-1)) if is_density
                                    else jnp.sum(jnp.abs(arr) ** 2, axis=-1))
            continue
        p = term_probabilities(arr, n, is_density, ops)
        if mats is not None:
            p = apply_confusion(p, mats[np.asarray([w for w, _ in ops])])
        total = total + coef * (p @ _parity_signs(len(ops), p.dtype))
    return total


def estimate_expectation(
    key: jax.Array,
    state: Any,
    observable: ObservableLike,
    shots: int,
    readout: Any = None,
    *,
    density: bool | None = None,
) -> tuple[jax.Array, jax.Array]:
    r"""Estimate a Pauli-sum expectation from ``shots`` measurements per term.

    Each term :math:`c_t P_t` is measured separately: its wires are rotated
    into the Pauli's eigenbasis (H for X, Sdg then H for Y, nothing for Z),
    ``shots`` bitstrings are sampled on those wires (with readout errors,
    if given) and the term's estimate is the mean of the parities
    :math:`(-1)^{|b|}`. Identity terms are exact and take no shots.

    Parameters
    ----------
    key : jax.random key
        Split into one key per term; the same key gives the same estimate
        (``jax.random.key(seed)``; an integer seed is refused).
    state : array, shape (..., 2**n) or (..., 2**n, 2**n)
        Statevectors or density matrices.
    observable : PauliSum or str
        The observable.
    shots : int
        Shots per non-identity term (the total is ``shots`` times their number).
    readout : optional
        Readout errors per wire of the state, as for :func:`sample_bits`.
    density : bool, optional
        As for :func:`sample_bits`.

    Returns
    -------
    estimate, standard_error : jax.Array, shape (...)
        The estimate :math:`\hat E = \sum_t c_t \bar s_t` and its standard
        error :math:`\sqrt{\sum_t c_t^2 (1 - \bar s_t^2) / N}` (plug-in: a
        :math:`\pm 1` outcome with mean :math:`m` has variance
        :math:`1 - m^2`, and terms are measured independently). The
        estimate is unbiased for :func:`exact_expectation`. With one shot the
        plug-in standard error is 0 and meaningless.

    Notes
    -----
    Terms are not grouped: commuting terms such as ``Z0`` and ``Z0 Z1``
    could share shots, at the price of correlated errors.
    """
    check_key(key, "estimate_expectation")
    shots = check_shots(shots, "estimate_expectation")
    arr, n, is_density, obs = _prepare_observable(state, observable, density)
    mats = confusion_matrices(readout, n)
    batch = arr.shape[:-2] if is_density else arr.shape[:-1]
    _check_draw_memory(batch, shots, max((len(ops) for _, ops in obs.terms), default=0),
                       "estimate_expectation")
    rdtype = jnp.real(arr).dtype
    estimate = jnp.zeros(batch, dtype=rdtype)
    variance = jnp.zeros(batch, dtype=rdtype)
    keys = jax.random.split(key, max(len(obs.terms), 1))
    for t, (coef, ops) in enumerate(obs.terms):
        if not ops:
            estimate = estimate + coef * (jnp.real(jnp.trace(arr, axis1=-2, axis2=-1))
                                          if is_density else jnp.sum(jnp.abs(arr) ** 2, -1))
            continue
        p = term_probabilities(arr, n, is_density, ops)
        _check_probabilities(p, f"the measurement basis of term {t}")
        sub = None if mats is None else mats[np.asarray([w for w, _ in ops])]
        bits = draw(keys[t], p, flip_table(sub, len(ops), p.dtype), shots)
        signs = 1.0 - 2.0 * (jnp.sum(bits, axis=-1) & 1).astype(rdtype)
        mean = jnp.mean(signs, axis=-1)
        estimate = estimate + coef * mean
        variance = variance + coef**2 * (1.0 - mean**2) / shots
    return estimate, jnp.sqrt(variance)
