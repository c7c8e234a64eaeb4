r"""Converters between circuits and matrix product states.

* :func:`circuit_to_mps`: the output state of a circuit (typically a data
  encoding followed by ``k`` staircases of two-qubit blocks, see
  :func:`qinspired.circuits.ansatz.mps_ansatz`) as an MPS, computed gate by
  gate with SVDs whose bond dimensions adapt to the exact Schmidt ranks. A
  product state followed by ``k`` staircases gives bond dimension at most
  :math:`2^k`.
* :func:`mps_to_circuit`: the reverse, by sequential unitary decomposition
  (Schön et al. 2005; Ran 2020). In right-canonical form each site tensor
  :math:`B^{[j]}` is an isometry :math:`|a\rangle \mapsto \sum_{s,b}
  B^{[j]}_{a s b}\, |s\rangle |b\rangle` from the left bond to the physical
  qubit and the right bond. With bond :math:`b` carried by the next
  :math:`\lceil \log_2 \chi \rceil` wires (still in :math:`|0\rangle`), site
  :math:`j` becomes one ``unitary`` gate on wires :math:`j, j+1, \dots`:
  the isometry's columns, completed to a unitary. An MPS of bond dimension
  :math:`\chi \le 2^k` becomes a staircase of gates on at most :math:`k+1`
  wires (two-qubit gates for :math:`\chi = 2`), reproducing the state
  exactly, global phase included; larger bonds are first truncated
  (:func:`qinspired.tn.truncate`) and the truncation error is returned.
* :func:`decompose_unitaries`: ``unitary`` gates on two or more wires
  rewritten by the quantum Shannon decomposition into ``cx``, ``ry``,
  ``rz`` and single-qubit ``unitary`` gates, so that the circuit can be
  written as OpenQASM 2.0 by :func:`qinspired.circuits.to_qasm`.

All three work on concrete NumPy arrays in complex128 (they are
preparation steps, not part of a traced computation).

References
----------
C. Schön, E. Solano, F. Verstraete, J. I. Cirac and M. M. Wolf, "Sequential
generation of entangled multiqubit states", Phys. Rev. Lett. 95, 110503
(2005); S.-J. Ran, "Encoding of matrix product states into quantum circuits
of one- and two-qubit gates", Phys. Rev. A 101, 032310 (2020); V. V.
Shende, S. S. Bullock and I. L. Markov, "Synthesis of quantum-logic
circuits", IEEE Trans. CAD 25, 1000 (2006); M. Möttönen et al., "Quantum
circuits for general multiqubit gates", Phys. Rev. Lett. 93, 130502 (2004).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.linalg

from qinspired._validation import check_int
from qinspired.circuits._engine.ops import complex_dtype, embed_matrix, numpy_operation_matrix
from qinspired.circuits.circuit import Circuit
from qinspired.circuits.statevector import as_circuit
from qinspired.tn.canonical import svd_split
from qinspired.tn.mps import MPS, truncate

__all__ = ["circuit_to_mps", "decompose_unitaries", "mps_to_circuit"]


# ------------------------------------------------------------------ circuit -> MPS
class _AdaptiveMPS:
    r"""Site tensors in mixed canonical form with a moving orthogonality centre.

    A host-side (NumPy, complex128) twin of :mod:`qinspired.circuits.mps_sim`,
    kept on purpose rather than calling :func:`~qinspired.circuits.mps_state`:

    * bond dimensions here are the numerical Schmidt ranks, discovered gate by
      gate; ``mps_state`` is jitted and needs its bond dimensions as static
      shapes fixed in advance (``min(chi, 2**k, 2**(n-k))``), so an exact
      conversion through it would allocate the worst case
      :math:`2^{\lfloor n/2 \rfloor}` at the middle bond;
    * the circuit is a static argument of the jitted simulation, so every new
      circuit recompiles: for a 12-qubit, 3-staircase circuit (243 gates) the
      first ``mps_state`` call took about 50 s on 2 shared CPU cores, against
      under 0.1 s of updates in this class (about 2 s for the whole
      conversion, nearly all of it building the gate matrices);
    * the conversion is exact up to ``cutoff`` in double precision whatever
      JAX's x64 setting, which :func:`mps_to_circuit` round trips rely on.

    The cut itself is :func:`qinspired.tn.canonical.svd_split`, the same
    rule the tensor-network code truncates with.
    """

    def __init__(self, n: int, max_bond: int | None, cutoff: float) -> None:
        self.t = [np.zeros((1, 2, 1), np.complex128) for _ in range(n)]
        for t in self.t:
            t[0, 0, 0] = 1.0
        self.center, self.max_bond, self.cutoff = 0, max_bond, cutoff
        self.discarded = 0.0

    def move_center(self, site: int) -> None:
        while self.center < site:
            k = self.center
            a, d, b = self.t[k].shape
            q, r = np.linalg.qr(self.t[k].reshape(a * d, b))
            self.t[k] = q.reshape(a, d, q.shape[1])
            self.t[k + 1] = np.einsum("ij,jpk->ipk", r, self.t[k + 1])
            self.center += 1
        while self.center > site:
            k = self.center
            a, d, b = self.t[k].shape
            q, r = np.linalg.qr(self.t[k].reshape(a, d * b).T)
            self.t[k] = q.T.reshape(q.shape[1], d, b)
            self.t[k - 1] = np.einsum("ipj,kj->ipk", self.t[k - 1], r)
            self.center -= 1

    def apply(self, m: np.ndarray, first: int, span: int) -> None:
        """Apply a ``2**span`` matrix to the sites ``first..first+span-1``; split by SVD."""
        if span == 1:
            self.t[first] = np.einsum("ij,ajb->aib", m, self.t[first])
            return
        self.move_center(first)
        block = self.t[first]
        for j in range(1, span):
            block = np.einsum("a...b,bpc->a...pc", block, self.t[first + j])
        left, right = block.shape[0], block.shape[-1]
        block = block.reshape(left, 2**span, right)
        rest = np.einsum("ij,ajb->aib", m, block).reshape(left, -1)
        for j in range(span - 1):
            rows = rest.shape[0]
            u, s, vh, discarded = svd_split(rest.reshape(rows * 2, -1), self.max_bond, self.cutoff)
            self.discarded += discarded
            self.t[first + j] = u.reshape(rows, 2, s.shape[0])
            rest = s[:, None] * vh
        self.t[first + span - 1] = rest.reshape(rest.shape[0], 2, right)
        self.center = first + span - 1


def circuit_to_mps(
    circuit: Any,
    x: Any = None,
    weights: Any = None,
    *,
    max_bond: int | None = None,
    cutoff: float = 1e-12,
) -> tuple[MPS, float]:
    r"""The output state of a circuit as a matrix product state.

    Starting from :math:`|0\dots0\rangle`, each gate is contracted into the
    sites it spans (the orthogonality centre moved there first) and split
    again by SVDs that keep the singular values above ``cutoff`` (relative
    to the largest), at most ``max_bond`` of them. Bond dimensions are the
    numerical Schmidt ranks, so the result is exact up to ``cutoff``: for a
    product encoding followed by :math:`k` staircases of two-qubit gates
    (:func:`~qinspired.circuits.ansatz.mps_ansatz`) they are at most
    :math:`2^k`.

    Parameters
    ----------
    circuit : Circuit or feature map
        The circuit (anything with a ``.circuit``).
    x : array_like, shape (n_features,), optional
        One data point; required when the circuit reads features.
    weights : array_like, shape (n_weights,), optional
        The weights; required when the circuit reads weights.
    max_bond : int, optional
        Cap on every bond dimension (default: none, exact).
    cutoff : float, default 1e-12
        Relative singular-value threshold in ``[0, 1)``.

    Returns
    -------
    (MPS, float)
        The normalised state (site 0 = wire 0; complex64, or complex128 with
        JAX's x64 mode) and its truncation error
        :math:`\sqrt{\epsilon / (1 + \epsilon)}` for the summed discarded
        squared singular values :math:`\epsilon`, which bounds the
        infidelity to first order (0 when nothing is cut).

    Notes
    -----
    A gate on wires that are not adjacent acts on the whole block between
    them (cost :math:`2^{\text{span}}`), which suits the nearest-neighbour
    and tree circuits of :mod:`qinspired.circuits.ansatz`.

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.circuits import Circuit
    >>> mps, err = circuit_to_mps(Circuit(3, [("h", 0), ("cx", (0, 1)), ("cx", (1, 2))]))
    >>> (mps.bond_dims, err)
    ((2, 2), 0.0)
    """
    circ = as_circuit(circuit)
    if max_bond is not None:
        max_bond = check_int("circuit_to_mps", "max_bond", max_bond, 1)
    if not 0.0 <= float(cutoff) < 1.0:
        raise ValueError(f"circuit_to_mps: cutoff={cutoff!r} must be in [0, 1)")
    missing = [name for name, size, given in (("x", circ.n_features, x),
                                               ("weights", circ.n_weights, weights))
               if size and given is None]
    if missing:
        raise ValueError(f"circuit_to_mps: the circuit reads {' and '.join(missing)}; pass them")
    bound = circ.bind(x if circ.n_features else None, weights if circ.n_weights else None)
    state = _AdaptiveMPS(circ.n_qubits, max_bond, float(cutoff))
    for op in bound.operations:
        first, span = min(op.wires), max(op.wires) - min(op.wires) + 1
        block = tuple(range(first, first + span))
        state.apply(embed_matrix(numpy_operation_matrix(op, bound.matrices), op.wires, block),
                    first, span)
    kept = float(np.sum(np.abs(state.t[state.center]) ** 2))
    state.t[state.center] = state.t[state.center] / math.sqrt(kept)
    error = math.sqrt(state.discarded / (kept + state.discarded))
    dtype = complex_dtype()
    return MPS(tuple(np.asarray(t, dtype=dtype) for t in state.t)), error


# ------------------------------------------------------------------ MPS -> circuit
def _canonical_tensors(mps: MPS) -> list[np.ndarray]:
    """Minimal right-canonical tensors of the normalised state (complex128)."""
    ts = [np.asarray(t, dtype=np.complex128) for t in mps.tensors]
    for k in range(len(ts) - 1):  # left sweep: bond k+1 <= 2**(k+1)
        a, d, b = ts[k].shape
        q, r = np.linalg.qr(ts[k].reshape(a * d, b))
        ts[k] = q.reshape(a, d, q.shape[1])
        ts[k + 1] = np.einsum("ij,jpk->ipk", r, ts[k + 1])
    for k in range(len(ts) - 1, 0, -1):  # right sweep: bond k <= 2**(n-k)
        a, d, b = ts[k].shape
        q, r = np.linalg.qr(ts[k].reshape(a, d * b).T)
        ts[k] = q.T.reshape(q.shape[1], d, b)
        ts[k - 1] = np.einsum("ipj,kj->ipk", ts[k - 1], r)
    nrm = np.linalg.norm(ts[0])
    if not np.isfinite(nrm):
        raise ValueError("mps_to_circuit: the MPS's norm overflowed (it is not finite although "
                         "every tensor is); rescale the site tensors")
    if not nrm > 0:
        raise ValueError("mps_to_circuit: the MPS is the zero vector")
    ts[0] = ts[0] / nrm
    return ts


def _complete_unitary(columns: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """A unitary whose columns ``positions`` are the orthonormal ``columns``."""
    dim, c = columns.shape
    u, _, _ = np.linalg.svd(columns, full_matrices=True)
    out = np.zeros((dim, dim), np.complex128)
    out[:, positions] = columns
    out[:, np.setdiff1d(np.arange(dim), positions)] = u[:, c:]
    return out


def _qubits(chi: int) -> int:
    return (int(chi) - 1).bit_length()


def mps_to_circuit(mps: MPS, *, max_bond: int | None = None) -> tuple[Circuit, float]:
    r"""A staircase circuit that prepares the state of an MPS from :math:`|0\dots0\rangle`.

    Parameters
    ----------
    mps : MPS
        A qubit MPS (physical dimension 2 on every site; site 0 = wire 0),
        not necessarily normalised or canonical.
    max_bond : int, optional
        Truncate to this bond dimension first (:func:`qinspired.tn.truncate`);
        by default the bond dimensions are kept as they are.

    Returns
    -------
    (Circuit, float)
        A constant circuit of ``n_sites`` wires, one ``unitary`` gate per site
        :math:`j` on wires :math:`j, \dots, j + r - 1` with
        :math:`r = 1 + \max(m_{j} - 1, m_{j+1})` and
        :math:`m_j = \lceil \log_2 \chi_j \rceil` (so two-qubit gates for
        bond dimension 2, :math:`k + 1` wires for :math:`\chi \le 2^k`);
        a gate whose wires lie within the previous gate's is multiplied into
        it, so bond dimension 2 gives exactly :math:`n - 1` two-qubit gates
        on :math:`(0, 1), \dots, (n-2, n-1)`, one staircase. Second, the
        truncation error of ``truncate`` (0 without ``max_bond``).
        Its statevector is the normalised MPS state, global phase included.

    Raises
    ------
    ValueError
        For a site that is not a qubit, a tensor with NaN or inf, a zero
        state or a bad ``max_bond``.

    Notes
    -----
    Bond dimensions that are not powers of two are padded: the isometry only
    fixes the columns of its input subspace and the completion to a unitary
    fills the rest. Write the result as OpenQASM with
    ``to_qasm(decompose_unitaries(circuit))``.

    Examples
    --------
    >>> import jax, numpy as np
    >>> from qinspired.circuits import statevector
    >>> from qinspired.tn import random_mps, to_dense
    >>> mps = random_mps(jax.random.key(0), 4, 2, 2)
    >>> circuit, err = mps_to_circuit(mps)
    >>> [len(op.wires) for op in circuit.operations]
    [2, 2, 2]
    >>> bool(np.allclose(statevector(circuit), to_dense(mps), atol=1e-5))
    True
    """
    if not isinstance(mps, MPS):
        raise TypeError(f"mps_to_circuit expects an MPS, got {type(mps).__name__}")
    if set(mps.phys_dims) != {2}:
        raise ValueError(f"mps_to_circuit: every site must be a qubit (dimension 2), got "
                         f"physical dimensions {mps.phys_dims}")
    for k, t in enumerate(mps.tensors):
        if not np.all(np.isfinite(np.asarray(t))):
            raise ValueError(f"mps_to_circuit: site tensor {k} contains NaN or inf; the MPS "
                             "must be finite")
    error = 0.0
    if max_bond is not None:
        check_int("mps_to_circuit", "max_bond", max_bond, 1)
        mps, error = truncate(mps, max_bond=max_bond)
    ts = _canonical_tensors(mps)
    n = len(ts)
    ops = []
    for j, t in enumerate(ts):
        chi_l, _, chi_r = t.shape
        m_l, m_r = _qubits(chi_l), _qubits(chi_r)
        r = 1 + max(m_l - 1, m_r)
        # V[(s, b, 0...), (a, 0...)] = B[a, s, b]
        cols = np.zeros((2**r, chi_l), np.complex128)
        rows = (np.arange(2)[:, None] * 2 ** (r - 1)
                + np.arange(chi_r)[None, :] * 2 ** (r - 1 - m_r)).reshape(-1)
        cols[rows, :] = t.transpose(1, 2, 0).reshape(2 * chi_r, chi_l)
        positions = np.arange(chi_l) * 2 ** (r - m_l)
        gate = _complete_unitary(cols, positions)
        wires = tuple(range(j, j + r))
        if ops and set(wires) <= set(ops[-1][1]):  # absorb into the previous gate
            prev_wires, prev = ops.pop()[1:]
            gate = embed_matrix(gate, wires, prev_wires) @ prev
            wires = prev_wires
        ops.append(("unitary", wires, gate))
    return Circuit(n, ops, n_features=0, n_weights=0), float(error)


# ------------------------------------------------------- unitary synthesis (QSD)
def _multiplexed_rotation(gate: str, angles: np.ndarray, target: int,
                          controls: tuple[int, ...]) -> list[tuple]:
    r"""``R(angles[j])`` on ``target`` for control state ``j`` (``controls[0]`` most significant).

    With :math:`\alpha^{0}, \alpha^{1}` the angles for the first control in
    0 and 1, :math:`R(\alpha) = R_{rest}(\tfrac{\alpha^0 + \alpha^1}{2})\,
    CX\,R_{rest}(\tfrac{\alpha^0 - \alpha^1}{2})\,CX`, since
    :math:`X R(\theta) X = R(-\theta)` for ``ry`` and ``rz``.
    """
    if not controls:
        return [(gate, target, float(angles[0]))]
    half = len(angles) // 2
    a0, a1 = angles[:half], angles[half:]
    cx = ("cx", (controls[0], target))
    return ([cx] + _multiplexed_rotation(gate, (a0 - a1) / 2, target, controls[1:]) + [cx]
            + _multiplexed_rotation(gate, (a0 + a1) / 2, target, controls[1:]))


def _demultiplex(a1: np.ndarray, a2: np.ndarray, wires: tuple[int, ...]) -> list[tuple]:
    r""":math:`A_1 \oplus A_2 = (I \otimes V)(D \oplus D^\dagger)(I \otimes W)` on ``wires``.

    From the Schur form :math:`A_1 A_2^\dagger = V D^2 V^\dagger` (a normal
    matrix, so :math:`D` is diagonal) and :math:`W = D V^\dagger A_2`; the
    middle factor is a multiplexed ``rz`` on ``wires[0]``.
    """
    t, v = scipy.linalg.schur(a1 @ a2.conj().T, output="complex")
    d = np.sqrt(np.diag(t))
    w = d[:, None] * (v.conj().T @ a2)
    return (_shannon(w, wires[1:]) + _multiplexed_rotation("rz", -2.0 * np.angle(d), wires[0],
                                                           wires[1:]) + _shannon(v, wires[1:]))


def _shannon(u: np.ndarray, wires: tuple[int, ...]) -> list[tuple]:
    """Quantum Shannon decomposition of ``u`` on ``wires`` (first wire most significant)."""
    if len(wires) == 1:
        return [("unitary", wires, u)]
    half = u.shape[0] // 2
    (u1, u2), theta, (v1h, v2h) = scipy.linalg.cossin(u, p=half, q=half, separate=True)
    return (_demultiplex(v1h, v2h, wires)
            + _multiplexed_rotation("ry", 2.0 * theta, wires[0], wires[1:])
            + _demultiplex(u1, u2, wires))


def decompose_unitaries(circuit: Any) -> Circuit:
    r"""Rewrite ``unitary`` gates on 2+ wires into ``cx``, ``ry``, ``rz`` and 1-qubit gates.

    Uses the quantum Shannon decomposition (cosine-sine decomposition, then
    demultiplexing of the block-diagonal factors, recursively) with
    multiplexed rotations written as CNOTs and rotations. A gate on
    :math:`r` wires becomes :math:`4^{r-1}` single-qubit ``unitary`` gates
    and :math:`O(4^r)` CNOTs and rotations (6 CNOTs for :math:`r = 2`).
    Other operations are kept as they are.

    Parameters
    ----------
    circuit : Circuit or feature map

    Returns
    -------
    Circuit
        Exactly the same unitary, global phase included (it is carried by the
        single-qubit ``unitary`` gates); :func:`qinspired.circuits.to_qasm`
        accepts it and drops only that global phase, which OpenQASM 2.0
        cannot express.

    Examples
    --------
    >>> import jax, numpy as np
    >>> from qinspired.circuits import to_qasm
    >>> from qinspired.tn import random_mps
    >>> circuit, _ = mps_to_circuit(random_mps(jax.random.key(0), 3, 2, 2))
    >>> to_qasm(decompose_unitaries(circuit)).splitlines()[2]
    'qreg q[3];'
    """
    circ = as_circuit(circuit)
    ops: list = []
    for op in circ.operations:
        if op.name != "unitary":
            ops.append(op)
            continue
        m = np.asarray(circ.matrices[op.matrix_index], dtype=np.complex128)
        ops += _shannon(m.conj().T if op.adjoint else m, op.wires)
    return Circuit(circ.n_qubits, ops, circ.n_features, circ.n_weights)
