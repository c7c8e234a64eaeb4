r"""Density matrices in the Pauli basis.

A density matrix of :math:`n` qubits is stored as its :math:`4^n` real
coefficients :math:`c_P = \mathrm{Tr}(P\rho)` over the Pauli strings
:math:`P \in \{I, X, Y, Z\}^{\otimes n}` (qubit ``q`` is base-4 digit ``q``,
qubit 0 most significant), so that :math:`\rho = 2^{-n}\sum_P c_P P`. A
Hermiticity-preserving map on :math:`k` qubits acts on the coefficients by
its real Pauli transfer matrix :math:`R_{PQ} = 2^{-k}\,\mathrm{Tr}(P\,
\mathcal{E}(Q))`. :func:`qinspired.circuits.density.density_matrix` uses this
basis for noisy circuits: a two-qubit block with its channels is a real
:math:`16 \times 16` matrix instead of a complex one, applied by
:func:`qinspired.circuits._engine.ops.apply_transfer`.
"""

from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from qinspired.circuits._engine.ops import complex_dtype, real_dtype

__all__ = ["from_pauli", "pauli_basis", "pauli_transfer", "to_pauli"]

_PAULIS = np.array([[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]])


@lru_cache(maxsize=8)
def pauli_basis(k: int) -> np.ndarray:
    r"""``T`` with column :math:`j` the row-major :math:`\mathrm{vec}(P_{j_1} \otimes
    \dots \otimes P_{j_k})`: the rows index :math:`(r_1..r_k, c_1..c_k)` as the
    superoperators do, the columns the Pauli strings (``j_1`` most significant).
    """
    cols = []
    for js in np.ndindex(*(4,) * k):
        m = np.ones((1, 1), dtype=complex)
        for j in js:
            m = np.kron(m, _PAULIS[j])
        cols.append(m.reshape(-1))
    return np.stack(cols, axis=1)


def pauli_transfer(sups: jnp.ndarray, k: int) -> jnp.ndarray:
    r"""Pauli transfer matrices :math:`R_{ij} = 2^{-k}\,\mathrm{Tr}(P_i\,\mathcal{E}(P_j))`
    of a stack of superoperators on ``k`` qubits: real for any Hermiticity-preserving map.
    """
    t = jnp.asarray(pauli_basis(k), complex_dtype())
    r = jnp.einsum("ai,mab,bj->mij", jnp.conj(t), sups.astype(t.dtype), t)
    return jnp.real(r) / 2**k


def _butterfly(re, im, q: int, inverse: bool):
    r"""Map digit ``q`` between Pauli labels :math:`(I, X, Y, Z)` and matrix entries
    :math:`(\rho_{00}, \rho_{01}, \rho_{10}, \rho_{11})` of one qubit, on real and
    imaginary parts: :math:`\rho = (c_I I + c_X X + c_Y Y + c_Z Z)/2` forward,
    :math:`c_P = \mathrm{Tr}(P\rho)` with ``inverse``. One elementwise pass.
    """
    a = [re[(slice(None),) * q + (j,)] for j in range(4)]
    b = [im[(slice(None),) * q + (j,)] for j in range(4)]
    if inverse:  # (rho00, rho01, rho10, rho11) -> (I, X, Y, Z)
        out_re = [a[0] + a[3], a[1] + a[2], b[2] - b[1], a[0] - a[3]]
        out_im = [b[0] + b[3], b[1] + b[2], a[1] - a[2], b[0] - b[3]]
    else:
        out_re = [(a[0] + a[3]) / 2, (a[1] + b[2]) / 2, (a[1] - b[2]) / 2, (a[0] - a[3]) / 2]
        out_im = [(b[0] + b[3]) / 2, (b[1] - a[2]) / 2, (b[1] + a[2]) / 2, (b[0] - b[3]) / 2]
    return jnp.stack(out_re, axis=q), jnp.stack(out_im, axis=q)


def to_pauli(rho0, n: int) -> jnp.ndarray:
    r"""Pauli coefficients :math:`c_P = \mathrm{Tr}(P\rho)` as a ``(1, 4**n)`` state
    (``|0...0><0...0|`` if ``rho0`` is None); qubit ``q`` is base-4 digit ``q``.
    """
    if rho0 is None:
        c = jnp.zeros((4,) * n, real_dtype()).at[(slice(None, None, 3),) * n].set(1.0)
        return c.reshape(1, 4**n)
    interleave = [a for q in range(n) for a in (q, n + q)]
    t = jnp.asarray(rho0, complex_dtype()).reshape((2,) * (2 * n)).transpose(interleave)
    re, im = jnp.real(t).reshape((4,) * n), jnp.imag(t).reshape((4,) * n)
    for q in range(n):
        re, im = _butterfly(re, im, q, inverse=True)
    return re.astype(real_dtype()).reshape(1, 4**n)


def from_pauli(c: jnp.ndarray, n: int) -> jnp.ndarray:
    r"""The density matrix :math:`2^{-n}\sum_P c_P P` of Pauli coefficients ``(1, 4**n)``."""
    re = c.reshape((4,) * n)
    im = jnp.zeros_like(re)
    for q in range(n):
        re, im = _butterfly(re, im, q, inverse=False)
    split = [2 * q for q in range(n)] + [2 * q + 1 for q in range(n)]
    t = jax.lax.complex(re, im).reshape((2,) * (2 * n)).transpose(split)
    return t.reshape(2**n, 2**n)
