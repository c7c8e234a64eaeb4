r"""Trainable circuit ansätze: MPS staircases, tree tensor networks, hardware-efficient layers.

Each builder returns a :class:`~qinspired.circuits.Circuit` whose angles read
trainable weights ``w[first_weight:first_weight + n]`` only, so it composes
with a feature map's circuit (data encoding first, see
:func:`variational_circuit`).

The two tensor-network ansätze are built from general two-qubit blocks
(:func:`two_qubit_block`): by the KAK (Cartan) decomposition every
:math:`U \in U(4)` is, up to a global phase,

.. math::

    U = (k_1 \otimes k_2)\,
        e^{-\frac{i}{2}(a\,XX + b\,YY + c\,ZZ)}\,
        (k_3 \otimes k_4), \qquad k_j \in SU(2),

with each :math:`k_j` a ``u3`` gate (3 angles) and the middle factor
``rxx(a) ryy(b) rzz(c)`` (the three commute): 15 weights per block.

* ``"mps"``: ``n_layers`` staircases, each a block on wires
  :math:`(0,1), (1,2), \dots, (n-2, n-1)` in this order. Applied to a
  product state, :math:`k` staircases give a matrix product state of bond
  dimension at most :math:`2^k` (each cut is crossed by a "light cone" of
  :math:`k` wires), and conversely every MPS of bond dimension 2 is one
  staircase (see :mod:`qinspired.circuits.mps_convert`). Information flows towards
  wire :math:`n-1`, which is read out.
* ``"ttn"``: ``n_layers`` binary trees. Level 0 pairs the wires
  :math:`(0,1), (2,3), \dots`; the second wire of each pair goes on to the
  next level (an odd wire out passes up unpaired) until one wire, the root
  (:math:`n-1` when :math:`n` is a power of two), is left.
* ``"hardware_efficient"``: ``n_layers`` of ``ry``-``rz`` rotations on
  every wire followed by a CNOT chain :math:`(0,1), (1,2), \dots`, then a
  final rotation layer.

On one qubit every ansatz is one ``u3`` gate per layer.

:func:`apply_ansatz` applies an ansatz to given states without building its
circuit gate by gate: the ansatz is a sequence of two-qubit *slots* (a
wire pair and a :math:`4 \times 4` unitary), whose matrices are built
vectorised and applied in one ``lax.scan``. Its compiled size, and so its
compile time, does not grow with the number of qubits or layers (compiling
the gradient of a 10-qubit MPS ansatz gate by gate takes several times
longer).

References
----------
E. Grant et al., "Hierarchical quantum classifiers", npj Quantum Information
4, 65 (2018); W. Huggins et al., "Towards quantum machine learning with
tensor networks", Quantum Sci. Technol. 4, 024001 (2019); A. Kandala et al.,
Nature 549, 242 (2017); B. Kraus and J. I. Cirac, "Optimal creation of
entanglement using a two-qubit gate", Phys. Rev. A 63, 062309 (2001).

Examples
--------
>>> from qinspired.circuits.ansatz import mps_ansatz, readout_wires
>>> c = mps_ansatz(4, n_layers=2)
>>> (c.n_qubits, c.n_weights, readout_wires("mps", 4, 1))
(4, 90, (3,))
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._validation import check_int
from qinspired.circuits._engine.ops import complex_dtype, named_matrix
from qinspired.circuits._engine.plan import BLOCK_WEIGHTS, Slots, ansatz_slots, tree_pairs
from qinspired.circuits.circuit import Circuit, weight
from qinspired.circuits.statevector import as_circuit

__all__ = [
    "ANSATZE",
    "BLOCK_WEIGHTS",
    "apply_ansatz",
    "hardware_efficient_ansatz",
    "make_ansatz",
    "mps_ansatz",
    "readout_wires",
    "tree_pairs",
    "ttn_ansatz",
    "two_qubit_block",
    "variational_circuit",
]

def _u3(wire: int, first: int) -> tuple:
    return ("u3", wire, weight(first), weight(first + 1), weight(first + 2))


def two_qubit_block(wires: tuple[int, int], first_weight: int = 0) -> list[tuple]:
    r"""A general two-qubit unitary (up to phase) with 15 weights, in KAK form.

    Parameters
    ----------
    wires : (int, int)
        The two wires.
    first_weight : int, default 0
        The block reads ``w[first_weight : first_weight + 15]``.

    Returns
    -------
    list of tuple
        Operations ``u3 a; u3 b; rxx; ryy; rzz; u3 a; u3 b`` (see the module
        docs); all weights zero give the identity.
    """
    a, b = wires
    k = first_weight
    return [
        _u3(a, k),
        _u3(b, k + 3),
        ("rxx", (a, b), weight(k + 6)),
        ("ryy", (a, b), weight(k + 7)),
        ("rzz", (a, b), weight(k + 8)),
        _u3(a, k + 9),
        _u3(b, k + 12),
    ]


def _check(owner: str, n_qubits: Any, n_layers: Any, first_weight: Any) -> tuple[int, int, int]:
    return (check_int(owner, "n_qubits", n_qubits, 1), check_int(owner, "n_layers", n_layers, 1),
            check_int(owner, "first_weight", first_weight, 0))


def _single_qubit(n_layers: int, first: int) -> Circuit:
    ops = [_u3(0, first + 3 * layer) for layer in range(n_layers)]
    return Circuit(1, ops, n_features=0, n_weights=first + 3 * n_layers)


def mps_ansatz(n_qubits: int, n_layers: int = 1, *, first_weight: int = 0) -> Circuit:
    r"""Staircases of general two-qubit blocks: the circuit form of an MPS.

    Parameters
    ----------
    n_qubits : int
        Number of wires :math:`n`.
    n_layers : int, default 1
        Number of staircases :math:`k`; on a product state the output is an
        MPS of bond dimension at most :math:`2^k`.
    first_weight : int, default 0
        Index of the first weight read.

    Returns
    -------
    Circuit
        ``15 k (n - 1)`` weights after ``first_weight`` (``3 k`` on one qubit).
    """
    n, layers, first = _check("mps_ansatz", n_qubits, n_layers, first_weight)
    if n == 1:
        return _single_qubit(layers, first)
    ops: list[tuple] = []
    k = first
    for _ in range(layers):
        for q in range(n - 1):
            ops += two_qubit_block((q, q + 1), k)
            k += BLOCK_WEIGHTS
    return Circuit(n, ops, n_features=0, n_weights=k)


def ttn_ansatz(n_qubits: int, n_layers: int = 1, *, first_weight: int = 0) -> Circuit:
    r"""Binary trees of general two-qubit blocks: the circuit form of a tree tensor network.

    Parameters
    ----------
    n_qubits : int
        Number of wires :math:`n`.
    n_layers : int, default 1
        Number of trees applied one after the other.
    first_weight : int, default 0
        Index of the first weight read.

    Returns
    -------
    Circuit
        ``15 (n - 1)`` weights per tree (a tree on :math:`n` leaves has
        :math:`n - 1` nodes; ``3`` per layer on one qubit).
    """
    n, layers, first = _check("ttn_ansatz", n_qubits, n_layers, first_weight)
    if n == 1:
        return _single_qubit(layers, first)
    ops: list[tuple] = []
    k = first
    for _ in range(layers):
        for level in tree_pairs(n):
            for pair in level:
                ops += two_qubit_block(pair, k)
                k += BLOCK_WEIGHTS
    return Circuit(n, ops, n_features=0, n_weights=k)


def hardware_efficient_ansatz(n_qubits: int, n_layers: int = 1, *,
                              first_weight: int = 0) -> Circuit:
    r"""Layers of ``ry``-``rz`` rotations and a CNOT chain, then a last rotation layer.

    Parameters
    ----------
    n_qubits : int
        Number of wires :math:`n`.
    n_layers : int, default 1
        Number of rotation-plus-entangler layers.
    first_weight : int, default 0
        Index of the first weight read.

    Returns
    -------
    Circuit
        ``2 n (n_layers + 1)`` weights (``3 n_layers`` on one qubit).
    """
    n, layers, first = _check("hardware_efficient_ansatz", n_qubits, n_layers, first_weight)
    if n == 1:
        return _single_qubit(layers, first)
    ops: list[tuple] = []
    k = first
    for layer in range(layers + 1):
        for q in range(n):
            ops += [("ry", q, weight(k)), ("rz", q, weight(k + 1))]
            k += 2
        if layer < layers:
            ops += [("cx", (q, q + 1)) for q in range(n - 1)]
    return Circuit(n, ops, n_features=0, n_weights=k)


ANSATZE: dict[str, Callable[..., Circuit]] = {
    "hardware_efficient": hardware_efficient_ansatz,
    "mps": mps_ansatz,
    "ttn": ttn_ansatz,
}
"""The ansatz builders by name."""


def _ansatz_name(owner: str, name: Any) -> str:
    key = name.lower() if isinstance(name, str) else name
    if key not in ANSATZE:
        raise ValueError(f"{owner}: unknown ansatz {name!r}; use one of "
                         + ", ".join(repr(k) for k in sorted(ANSATZE)))
    return key


def make_ansatz(name: str, n_qubits: int, n_layers: int = 1, *,
                first_weight: int = 0) -> Circuit:
    """Build the ansatz registered as ``name`` (see :data:`ANSATZE`)."""
    return ANSATZE[_ansatz_name("make_ansatz", name)](n_qubits, n_layers,
                                                      first_weight=first_weight)


def readout_wires(name: str, n_qubits: int, n_readout: int = 1) -> tuple[int, ...]:
    """The ``n_readout`` wires a classifier measures after ansatz ``name`` (ascending).

    For ``"mps"`` and ``"hardware_efficient"`` these are the last wires (the
    staircase carries information towards wire ``n - 1``); for ``"ttn"`` the
    root and then the wires that left the tree last.

    Examples
    --------
    >>> readout_wires("ttn", 4, 2)
    (1, 3)
    """
    key = _ansatz_name("readout_wires", name)
    n = check_int("readout_wires", "n_qubits", n_qubits, 1)
    m = check_int("readout_wires", "n_readout", n_readout, 1)
    if m > n:
        raise ValueError(f"readout_wires: cannot read {m} wires of a {n}-qubit circuit")
    if key != "ttn":
        return tuple(range(n - m, n))
    order: list[int] = []  # wires in the order they leave the tree, root last
    for level in tree_pairs(n):
        order += [a for a, _ in level]
    order += [q for q in range(n) if q not in order]
    return tuple(sorted(order[-m:]))


def variational_circuit(encoding: Any, ansatz: str = "mps", n_layers: int = 1,
                        n_qubits: int | None = None) -> Circuit:
    r"""Data encoding followed by a trainable ansatz: :math:`U(x, w) = W(w)\,E(x)`.

    Parameters
    ----------
    encoding : Circuit or feature map
        The encoding circuit (anything with a ``.circuit``). Weights it reads
        come first in ``w``; the ansatz's weights follow them.
    ansatz : {"mps", "ttn", "hardware_efficient"}, default "mps"
        The ansatz (see the module docs).
    n_layers : int, default 1
        Its number of layers.
    n_qubits : int, optional
        Total number of wires, at least the encoding's (extra wires start in
        :math:`|0\rangle`); default the encoding's.

    Returns
    -------
    Circuit
        ``n_features`` of the encoding; ``n_weights`` of both together.

    Examples
    --------
    >>> from qinspired.feature_maps import AngleEncoding
    >>> c = variational_circuit(AngleEncoding(3), "ttn")
    >>> (c.n_qubits, c.n_features, c.n_weights)
    (3, 3, 30)
    """
    enc = as_circuit(encoding)
    n = enc.n_qubits if n_qubits is None else check_int("variational_circuit", "n_qubits",
                                                        n_qubits, 1)
    if n < enc.n_qubits:
        raise ValueError(f"variational_circuit: n_qubits={n} is smaller than the encoding's "
                         f"{enc.n_qubits} qubits")
    if n != enc.n_qubits:
        enc = Circuit(n, enc.operations, enc.n_features, enc.n_weights, enc.matrices)
    body = make_ansatz(ansatz, n, n_layers, first_weight=enc.n_weights)
    return enc.compose(body)


# ------------------------------------------------------------ scan-based application
@lru_cache(maxsize=8)  # each entry holds 2 * n_slots * 2**n int32
def _pair_permutations(pairs: tuple[tuple[int, int], ...], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per slot, the index map that brings its two wires to the front, and its inverse."""
    idx = np.arange(2**n, dtype=np.int64)
    fwd = np.empty((len(pairs), 2**n), np.int32)
    for s, (a, b) in enumerate(pairs):
        order = [a, b] + [q for q in range(n) if q not in (a, b)]
        new = np.zeros_like(idx)
        for j, q in enumerate(order):  # bit of wire q moves to position j
            new |= ((idx >> (n - 1 - q)) & 1) << (n - 1 - j)
        fwd[s, new] = idx  # the amplitude at new position `new` comes from old index `idx`
    inv = np.argsort(fwd, axis=1).astype(np.int32)
    return fwd, inv


def _gate(name: str, *angles: jax.Array) -> jax.Array:
    """Registered gate matrices, vectorised over the leading axis of the angles."""
    return jax.vmap(partial(named_matrix, name, dtype=complex_dtype()))(jnp.stack(angles, axis=-1))


def _slot_unitaries(slots: Slots, weights: jax.Array) -> jax.Array:
    """The ``(n_slots, 4, 4)`` slot matrices for a weight vector."""
    w = jnp.concatenate([weights, jnp.zeros((1,), weights.dtype)])[np.asarray(slots.index)]
    kron = jax.vmap(jnp.kron)
    if slots.kind == "block":
        first = kron(_gate("u3", w[:, 0], w[:, 1], w[:, 2]), _gate("u3", w[:, 3], w[:, 4], w[:, 5]))
        middle = _gate("rzz", w[:, 8]) @ _gate("ryy", w[:, 7]) @ _gate("rxx", w[:, 6])
        last = kron(_gate("u3", w[:, 9], w[:, 10], w[:, 11]),
                    _gate("u3", w[:, 12], w[:, 13], w[:, 14]))
        return last @ middle @ first
    ra = _gate("rz", w[:, 1]) @ _gate("ry", w[:, 0])
    rb = _gate("rz", w[:, 3]) @ _gate("ry", w[:, 2])
    cx_matrix = np.eye(4)[[0, 1, 3, 2]]
    cx = np.where(np.asarray(slots.cx)[:, None, None] == 1, cx_matrix, np.eye(4))
    return jnp.asarray(cx, ra.dtype) @ kron(ra, rb)


def apply_ansatz(psi: jax.Array, weights: jax.Array, name: str = "mps", n_layers: int = 1, *,
                 first_weight: int = 0) -> jax.Array:
    r"""Apply ansatz ``name`` to states, as a ``lax.scan`` over its two-qubit slots.

    Equal to simulating ``make_ansatz(name, n, n_layers, first_weight=...)``
    from ``psi`` with :func:`~qinspired.circuits.statevector`, but compiled
    as one loop body (see the module notes); differentiable and vmappable.

    Parameters
    ----------
    psi : array, shape (..., 2**n)
        States (any batch shape); ``n >= 2``.
    weights : array, shape (n_weights,)
        The weight vector the ansatz circuit reads (``first_weight`` onwards).
    name : {"mps", "ttn", "hardware_efficient"}, default "mps"
    n_layers : int, default 1
    first_weight : int, default 0

    Returns
    -------
    jax.Array, shape (..., 2**n)
        The states after the ansatz (complex64, complex128 with x64).

    Notes
    -----
    Each slot gathers the amplitudes with its two wires in front (a
    precomputed index map per slot), multiplies them by its :math:`4 \times 4`
    matrix and scatters them back: :math:`O(2^n)` work and index memory
    per slot.

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.circuits import statevector
    >>> psi0 = np.zeros(8, complex); psi0[0] = 1
    >>> w = np.random.default_rng(0).normal(size=30)
    >>> bool(np.allclose(apply_ansatz(psi0, w, "mps"), statevector(mps_ansatz(3), weights=w),
    ...                  atol=1e-5))
    True
    """
    key = _ansatz_name("apply_ansatz", name)
    psi = jnp.asarray(psi)
    n = int(psi.shape[-1]).bit_length() - 1
    if n < 2 or psi.shape[-1] != 2**n:
        raise ValueError(f"apply_ansatz: states need a last axis 2**n with n >= 2 qubits, got "
                         f"shape {psi.shape}")
    slots = ansatz_slots(key, n, check_int("apply_ansatz", "n_layers", n_layers, 1),
                   check_int("apply_ansatz", "first_weight", first_weight, 0))
    need = 1 + max(i for row in slots.index for i in row)
    weights = jnp.asarray(weights)
    if weights.ndim != 1 or weights.shape[0] < need:
        raise ValueError(f"apply_ansatz: the ansatz reads weights up to index {need - 1}; got "
                         f"weights of shape {weights.shape}")
    fwd, inv = _pair_permutations(slots.pairs, n)
    mats = _slot_unitaries(slots, weights)
    batch = psi.shape[:-1]
    flat = psi.reshape((-1, 2**n)).astype(complex_dtype())

    def step(state, slot):
        u, f, i = slot
        front = state[:, f].reshape(state.shape[0], 4, -1)
        return jnp.einsum("ij,bjr->bir", u, front).reshape(state.shape[0], -1)[:, i], None

    out, _ = jax.lax.scan(step, flat, (mats, jnp.asarray(fwd), jnp.asarray(inv)))
    return out.reshape(batch + (2**n,))
