r"""The measurement kernels behind :mod:`qinspired.circuits.shots`.

Confusion-matrix validation, marginal and readout-confused probabilities,
the sampler and the rotated-basis probabilities of a Pauli term, under
public names because :mod:`~qinspired.circuits.mitigation` and the
variational models use them too; the user-facing functions (with their
input checks) are in :mod:`~qinspired.circuits.shots`. Wire 0 is the most
significant bit everywhere.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._validation import is_int, is_traced

__all__ = [
    "apply_confusion",
    "check_shots",
    "confusion_list",
    "diagonal_probabilities",
    "draw",
    "flip_table",
    "marginal",
    "term_probabilities",
]

# Tolerance for a confusion matrix's columns summing to one.
_CONFUSION_ATOL = 1e-6

# Basis changes that map a Pauli's eigenbasis onto the computational one:
# X = H Z H and Y = (S H) Z (S H)^dag, so measuring Z after H (X) or after Sdg then H (Y).
_H = np.array([[1.0, 1.0], [1.0, -1.0]]) / np.sqrt(2.0)
_SDG = np.diag([1.0, -1.0j])
_ROTATIONS = {"X": _H, "Y": _H @ _SDG}


def check_shots(shots: Any, owner: str) -> int:
    """``shots`` as an int, or a ValueError naming ``owner``."""
    if not is_int(shots) or shots < 1:
        raise ValueError(f"{owner}: shots={shots!r} must be a positive integer")
    return int(shots)



# ----------------------------------------------------------------------------- readout errors

def _one_confusion(item: Any, where: str) -> Any:
    if item is None:
        return np.eye(2)
    p01, p10 = getattr(item, "p0given1", None), getattr(item, "p1given0", None)
    if p01 is not None and p10 is not None and not (is_traced(p01) or is_traced(p10)):
        # built here in float64 from the ReadoutError's parameters (M[measured, true])
        p01, p10 = float(np.asarray(p01)), float(np.asarray(p10))
        return np.array([[1.0 - p10, p01], [p10, 1.0 - p01]])
    if hasattr(item, "confusion_matrix"):
        return item.confusion_matrix()
    m = item if is_traced(item) else np.asarray(item, dtype=np.float64)
    if m.shape != (2, 2):
        raise ValueError(f"readout error {where} must be a ReadoutError, None or a (2, 2) "
                         f"confusion matrix M[measured, true], got shape {m.shape}")
    return m


def confusion_list(readout: Any, n_wires: int) -> list | None:
    """Validated per-wire confusion matrices (float64 NumPy where concrete), or None."""
    if readout is None:
        return None
    if hasattr(readout, "readout_errors") and callable(readout.readout_errors):
        from qinspired.circuits.noise_model import warn_if_unused  # it imports the simulators

        warn_if_unused(readout, n_wires)
        readout = readout.readout_errors(n_wires)
    if hasattr(readout, "confusion_matrix"):
        readout = [readout] * n_wires
    elif not isinstance(readout, (list, tuple)):
        arr = readout if is_traced(readout) else np.asarray(readout, dtype=np.float64)
        if arr.shape == (2, 2):
            readout = [arr] * n_wires
        elif arr.ndim == 3 and arr.shape[1:] == (2, 2):
            readout = list(arr)
        else:
            raise ValueError(f"readout must be a ReadoutError, a (2, 2) matrix, a sequence of "
                             f"them or an array (n_wires, 2, 2), got shape {arr.shape}")
    if len(readout) != n_wires:
        raise ValueError(f"readout gives {len(readout)} entries; one per wire is needed "
                         f"({n_wires} wires)")
    if all(r is None for r in readout):
        return None
    mats = [_one_confusion(r, f"for wire {i}") for i, r in enumerate(readout)]
    for i, m in enumerate(mats):
        if is_traced(m):
            continue
        m = np.asarray(m, dtype=np.float64)
        if not np.all(np.isfinite(m)) or m.min() < -1e-12 or m.max() > 1 + 1e-12:
            raise ValueError(f"readout confusion matrix for wire {i} has entries outside "
                             f"[0, 1]: {m.tolist()}")
        dev = float(np.max(np.abs(m.sum(axis=0) - 1.0)))
        if dev > _CONFUSION_ATOL:
            raise ValueError(f"readout confusion matrix for wire {i} is not column-stochastic "
                             f"(columns sum to 1 +- {dev:.3g}); use M[measured, true]")
        mats[i] = m
    return mats


# ----------------------------------------------------------------------------- probabilities

def marginal(p: jnp.ndarray, wires: tuple[int, ...], n: int) -> jnp.ndarray:
    """Marginalise probabilities ``(..., 2**n)`` onto ``wires`` (in that order)."""
    if wires == tuple(range(n)):
        return p
    batch = p.shape[:-1]
    nb = len(batch)
    t = p.reshape(batch + (2,) * n)
    t = jnp.sum(t, axis=tuple(nb + q for q in range(n) if q not in wires))
    kept = sorted(wires)
    t = jnp.moveaxis(t, tuple(nb + kept.index(w) for w in wires),
                     tuple(range(nb, nb + len(wires))))
    return t.reshape(batch + (2 ** len(wires),))


def diagonal_probabilities(state: jnp.ndarray, density: bool) -> jnp.ndarray:
    """Computational-basis probabilities of statevectors or density matrices."""
    if density:
        return jnp.real(jnp.diagonal(state, axis1=-2, axis2=-1))
    return jnp.abs(state) ** 2


def apply_confusion(p: jnp.ndarray, mats: jnp.ndarray) -> jnp.ndarray:
    """``(M_0 (x) M_1 (x) ...) p`` applied wire by wire, never as a 2**k matrix."""
    k = mats.shape[0]
    batch = p.shape[:-1]
    nb = len(batch)
    t = p.reshape(batch + (2,) * k)
    for j in range(k):
        t = jnp.moveaxis(jnp.tensordot(mats[j].astype(t.dtype), t, axes=([1], [nb + j])), 0,
                         nb + j)
    return t.reshape(batch + (2**k,))


# ----------------------------------------------------------------------------- sampling

@partial(jax.jit, static_argnames=("shots",))
def draw(key: jax.Array, p: jnp.ndarray, flip: jnp.ndarray, shots: int) -> jnp.ndarray:
    """Bits ``(..., shots, k)`` from probabilities ``(..., 2**k)``, then readout flips.

    Outcomes come from inverse-CDF sampling (one uniform per shot and a
    binary search), which needs ``O(shots)`` memory rather than the
    ``O(shots 2**k)`` of Gumbel-max sampling. ``flip[j, b]`` is the
    probability that wire ``j``'s true bit ``b`` is read as ``1 - b``.
    """
    k_sample, k_read = jax.random.split(key)
    k = int(np.log2(p.shape[-1]))
    batch = p.shape[:-1]
    cdf = jnp.cumsum(jnp.clip(p, 0.0, None), axis=-1)  # rounding can leave -1e-8 entries
    cdf = cdf / cdf[..., -1:]
    u = jax.random.uniform(k_sample, batch + (shots,), dtype=cdf.dtype)
    flat_cdf, flat_u = cdf.reshape(-1, cdf.shape[-1]), u.reshape(-1, shots)
    idx = jax.vmap(lambda c, v: jnp.searchsorted(c, v, side="right"))(flat_cdf, flat_u)
    idx = jnp.clip(idx, 0, 2**k - 1).reshape(batch + (shots,))
    shifts = jnp.arange(k - 1, -1, -1)
    bits = (idx[..., None] >> shifts) & 1
    v = jax.random.uniform(k_read, bits.shape, dtype=flip.dtype)
    p_flip = jnp.where(bits == 0, flip[:, 0], flip[:, 1])
    return (bits ^ (v < p_flip).astype(bits.dtype)).astype(jnp.uint8)


def flip_table(mats: jnp.ndarray | None, k: int, dtype: Any) -> jnp.ndarray:
    """``(k, 2)`` probabilities that a true 0 (column 0) or 1 is read flipped
    (see :func:`draw`)."""
    if mats is None:
        return jnp.zeros((k, 2), dtype)
    return jnp.stack([mats[:, 1, 0], mats[:, 0, 1]], axis=-1).astype(dtype)



# ----------------------------------------------------------------------------- Pauli terms

def _apply_1q(t: jnp.ndarray, u: np.ndarray, axis: int) -> jnp.ndarray:
    out = jnp.tensordot(jnp.asarray(u, dtype=t.dtype), t, axes=([1], [axis]))
    return jnp.moveaxis(out, 0, axis)


def _reduced_density(rho: jnp.ndarray, wires: tuple[int, ...], n: int) -> jnp.ndarray:
    """Partial trace of density matrices ``(..., 2**n, 2**n)`` onto ``wires`` (in order)."""
    batch = rho.shape[:-2]
    nb = len(batch)
    t = rho.reshape(batch + (2,) * (2 * n))
    others = [q for q in range(n) if q not in wires]
    if others:
        # trace pairs (row q, column q) one at a time, highest wire first
        remaining = list(range(n))
        for q in sorted(others, reverse=True):
            i = remaining.index(q)
            m = len(remaining)
            t = jnp.trace(t, axis1=nb + i, axis2=nb + m + i)
            remaining.pop(i)
    else:
        remaining = list(range(n))
    k = len(wires)
    perm = [remaining.index(w) for w in wires]
    t = jnp.transpose(t, tuple(range(nb)) + tuple(nb + p for p in perm)
                      + tuple(nb + k + p for p in perm))
    return t.reshape(batch + (2**k, 2**k))


def term_probabilities(state: jnp.ndarray, n: int, density: bool,
                        ops: tuple[tuple[int, str], ...]) -> jnp.ndarray:
    """Outcome probabilities ``(..., 2**k)`` of the term's wires after its basis change."""
    wires = tuple(w for w, _ in ops)
    k = len(wires)
    if density:
        small = _reduced_density(state, wires, n)
        batch = small.shape[:-2]
        nb = len(batch)
        t = small.reshape(batch + (2,) * (2 * k))
        for j, (_, letter) in enumerate(ops):
            if letter in _ROTATIONS:
                u = _ROTATIONS[letter]
                t = _apply_1q(t, u, nb + j)
                t = _apply_1q(t, u.conj(), nb + k + j)
        return diagonal_probabilities(t.reshape(batch + (2**k, 2**k)), True)
    batch = state.shape[:-1]
    nb = len(batch)
    t = state.reshape(batch + (2,) * n)
    for w, letter in ops:
        if letter in _ROTATIONS:
            t = _apply_1q(t, _ROTATIONS[letter], nb + w)
    return marginal(jnp.abs(t.reshape(batch + (2**n,))) ** 2, wires, n)
