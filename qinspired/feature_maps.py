r"""Feature maps: encodings of a data vector :math:`x` into a quantum state.

A feature map is a parameter object whose constructor only stores its
arguments, so scikit-learn's ``clone`` and ``GridSearchCV`` handle it; the
:class:`~qinspired.circuits.Circuit` is validated and built when
:attr:`FeatureMap.circuit` is read, and cached until the parameters change.
Maps with a ``.circuit`` go straight into :func:`~qinspired.circuits.statevector`;
:class:`AmplitudeEncoding` (angles non-linear in :math:`x`) has ``states(X)``
and ``prepare(x)`` instead.
Wire 0 is the most significant bit of the amplitude index (Qiskit: the reverse).

Every map but :class:`AmplitudeEncoding` has a bandwidth ``feature_scale`` :math:`s` that
multiplies the data before encoding: without it fidelity kernels concentrate
(off-diagonal entries near :math:`2^{-n}`) [1]_. The default ``"auto"`` is fixed
from training data by :meth:`FeatureMap.fit` (per-feature standardisation to a
measured bandwidth, see :class:`FeatureMap`); the kernel estimators call it in
their ``fit``. With ``feature_scale=1`` (or ``"auto"`` before ``fit``) the maps
equal their references exactly.

References
----------
.. [1] R. Shaydulin and S. M. Wild, "Importance of kernel bandwidth in quantum
   machine learning", Phys. Rev. A 106, 042407 (2022).
"""

from __future__ import annotations

import inspect
import itertools
import math
from typing import Any, Mapping, Sequence

import numpy as np

from qinspired._random import as_generator
from qinspired._amplitude_encoding import AmplitudeEncoding
from qinspired._feature_map_base import FeatureMap
from qinspired._validation import check_choice, check_int, check_real, is_int
from qinspired.circuits.circuit import Angle, Circuit, weight

__all__ = [
    "FEATURE_MAPS",
    "AmplitudeEncoding",
    "AngleEncoding",
    "FeatureMap",
    "HamiltonianEvolutionEncoding",
    "HardwareEfficientEncoding",
    "IQPFeatureMap",
    "PauliFeatureMap",
    "ZZFeatureMap",
    "make_feature_map",
]

_ENTANGLEMENTS = ("full", "linear", "reverse_linear", "circular", "sca")


# --------------------------------------------------------------------------- helpers
def _named_tuples(name: str, k: int, n: int, offset: int = 0) -> list[tuple[int, ...]]:
    """Qiskit's ``k``-qubit entangler map ``name`` on ``n`` qubits (``offset``: the rep)."""
    if k > n:
        return []
    linear = [tuple(range(i, i + k)) for i in range(n - k + 1)]
    if name == "full":
        return list(itertools.combinations(range(n), k))
    if name in ("linear", "reverse_linear"):
        return linear if name == "linear" else linear[::-1]
    wrap = [tuple((i + j) % n for j in range(k)) for i in range(n - k + 1, n)] if n > k else []
    circular = wrap + linear
    if name == "circular":
        return circular
    # "sca" (shifted circular alternating): rotated right by the rep, reversed on odd reps
    cut = len(circular) - offset % len(circular)
    rotated = circular[cut:] + circular[:cut]
    return [t[::-1] for t in rotated] if offset % 2 else rotated


def _check_tuples(owner: str, items: Any, n: int, k: int | None) -> list[tuple[int, ...]]:
    """Validate explicit qubit tuples (each of length ``k`` when given)."""
    if isinstance(items, str) or not isinstance(items, (Sequence, np.ndarray)):
        raise ValueError(f"{owner}: entanglement={items!r} must be one of "
                         f"{', '.join(map(repr, _ENTANGLEMENTS))} or a sequence of qubit tuples")
    out = []
    for pos, t in enumerate(items):
        tup = tuple(t) if isinstance(t, (Sequence, np.ndarray)) else (t,)
        if not tup or (k is not None and len(tup) != k):
            raise ValueError(f"{owner}: entanglement entry {pos} = {t!r} must have "
                             + (f"{k} qubits" if k is not None else "at least one qubit"))
        for q in tup:
            if not is_int(q) or not 0 <= q < n:
                raise ValueError(f"{owner}: entanglement entry {pos} = {tup} names qubit "
                                 f"{q!r}; qubits are integers 0..{n - 1}")
        if len(set(tup)) != len(tup):
            raise ValueError(f"{owner}: entanglement entry {pos} = {tup} repeats a qubit")
        out.append(tuple(int(q) for q in tup))
    return out


def _pairs(owner: str, spec: Any, n: int, offset: int = 0,
           names: Sequence[str] = _ENTANGLEMENTS, what: str = "entanglement") -> list:
    """Qubit pairs of a named or explicit two-qubit connectivity."""
    if isinstance(spec, str):
        return _named_tuples(check_choice(owner, what, spec, names), 2, n, offset)
    return _check_tuples(owner, spec, n, 2)


def _term_angle(fm: FeatureMap, support: Sequence[int], alpha: float) -> Angle:
    """``alpha * phi_S(u)``: ``u_i`` for one qubit, ``prod_k (pi - u_k)`` otherwise."""
    if len(support) == 1:
        return Angle((fm._factor(support[0]),), alpha, 0.0)
    return Angle(tuple(fm._factor(k, -1.0, math.pi) for k in support), alpha, 0.0)


def _pauli_block(ops: list, label: str, support: tuple[int, ...], angle: Angle) -> None:
    """Append Qiskit's evolution block of one Pauli term (label read right to left)."""
    acting = [(q, p) for q, p in zip(support, reversed(label)) if p != "I"]
    if not acting:
        return
    qubits = [q for q, _ in acting]
    ladder = [("cx", (a, b)) for a, b in zip(qubits[:-1], qubits[1:])]
    ops.extend(({"X": "h", "Y": "sx"}[p], q) for q, p in acting if p in "XY")
    ops.extend(ladder)
    ops.append(("p", qubits[-1], angle))
    ops.extend(reversed(ladder))
    ops.extend(({"X": "h", "Y": "sxdg"}[p], q) for q, p in acting if p in "XY")


# --------------------------------------------------------------------------- maps
class AngleEncoding(FeatureMap):
    r"""Product-state angle encoding, one rotation per feature.

    .. math::

        |\phi(x)\rangle = \bigotimes_{i=0}^{d-1} R(c\,x_i)\,|b\rangle,

    with :math:`R \in \{R_X, R_Y\}` and :math:`|b\rangle = |0\rangle`, or
    :math:`R = R_Z` and :math:`|b\rangle = H|0\rangle` (a Hadamard comes first,
    otherwise :math:`R_Z` would only add a phase). For ``"ry"`` each qubit is
    :math:`\cos(c x_i/2)|0\rangle + \sin(c x_i/2)|1\rangle`; for every rotation
    the fidelity kernel is :math:`\prod_i \cos^2(c (x_i - y_i)/2)`.

    Parameters
    ----------
    n_features : int
        Number of features :math:`d`; also the number of qubits.
    rotation : {"ry", "rx", "rz"}, default "ry"
        The encoding rotation.
    feature_scale : float or "auto", default "auto"
        Bandwidth :math:`c > 0`, or ``"auto"``, fixed from training data by
        :meth:`~FeatureMap.fit` (see :class:`FeatureMap`).

    References
    ----------
    R. LaRose and B. Coyle, "Robust data encodings for quantum classifiers",
    Phys. Rev. A 102, 032420 (2020).

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.circuits import statevector
    >>> np.round(np.abs(statevector(AngleEncoding(2), [np.pi, 0.0])) ** 2, 3).tolist()
    [0.0, 0.0, 1.0, 0.0]
    """

    name = "angle"
    auto_scale = 0.7

    def __init__(self, n_features: int, rotation: str = "ry",
                 feature_scale: float | str = "auto") -> None:
        self.n_features = n_features
        self.rotation = rotation
        self.feature_scale = feature_scale

    def _check(self) -> None:
        self._n()
        check_choice("AngleEncoding", "rotation", self.rotation, ("rx", "ry", "rz"))
        self._check_scale()

    def _build(self) -> Circuit:
        n, rot = int(self.n_features), self.rotation.lower()
        ops: list = [("h", q) for q in range(n)] if rot == "rz" else []
        ops += [(rot, q, Angle((self._factor(q),))) for q in range(n)]
        return Circuit(n, ops, n_features=n)


class PauliFeatureMap(FeatureMap):
    r"""Qiskit's Pauli expansion feature map (Havlicek et al.).

    Each of the ``reps`` repetitions is a Hadamard layer followed by, up to a
    global phase,

    .. math::

        \prod_{P \in \text{paulis}} \prod_{S \in E_{|P|}}
            \exp\!\big(-i\,\tfrac{\alpha}{2}\,\phi_S(s x)\, P_S\big), \qquad
        \phi_S(x) = \begin{cases} x_i & S = \{i\} \\
            \prod_{k \in S} (\pi - x_k) & |S| > 1, \end{cases}

    where :math:`E_k` are the :math:`k`-qubit tuples of ``entanglement`` and
    :math:`P_S` the Pauli string on the qubits of :math:`S`. Each factor is
    compiled as in Qiskit's ``pauli_feature_map``: basis change (:math:`H` for
    X, :math:`\sqrt{X}` for Y), CNOT ladder onto the last non-identity qubit,
    :math:`P(\alpha\phi_S)` there, then the inverse ladder and basis change. A
    label is read right to left (its last letter acts on ``S[0]``) and
    identities in it still count in :math:`\phi_S`. With ``feature_scale=1`` the
    state equals Qiskit's ``pauli_feature_map(n, reps, entanglement, alpha,
    paulis)`` with the qubit order reversed.

    Parameters
    ----------
    n_features : int
        Number of features; also the number of qubits.
    reps : int, default 2
        Number of repetitions.
    paulis : sequence of str, default ("Z", "ZZ")
        Labels over ``"IXYZ"``, none longer than ``n_features``.
    entanglement : str, sequence of tuples or dict, default "full"
        ``"full"``, ``"linear"``, ``"reverse_linear"``, ``"circular"``,
        ``"sca"`` (Qiskit's maps for every term size; ``"sca"`` shifts with the
        rep); a sequence of tuples (a ``k``-letter label uses those of length
        ``k``; one-letter labels act on every qubit when no 1-tuples are
        given); or a dict ``{k: tuples}`` as in Qiskit.
    alpha : float, default 2.0
        Rotation factor :math:`\alpha`.
    feature_scale : float or "auto", default "auto"
        Bandwidth :math:`s > 0`, or ``"auto"``, fixed from training data by
        :meth:`~FeatureMap.fit` (see :class:`FeatureMap`).

    References
    ----------
    V. Havlicek et al., "Supervised learning with quantum-enhanced feature spaces",
    Nature 567, 209-212 (2019).

    Examples
    --------
    >>> PauliFeatureMap(3, reps=1, paulis=("X", "ZY")).circuit.count_ops()["cx"]
    6
    """

    name = "pauli"

    def __init__(self, n_features: int, reps: int = 2, paulis: Sequence[str] = ("Z", "ZZ"),
                 entanglement: Any = "full", alpha: float = 2.0,
                 feature_scale: float | str = "auto") -> None:
        self.n_features = n_features
        self.reps = reps
        self.paulis = paulis
        self.entanglement = entanglement
        self.alpha = alpha
        self.feature_scale = feature_scale

    def _labels(self) -> list[str]:
        owner, n = type(self).__name__, self._n()
        paulis = (self.paulis,) if isinstance(self.paulis, str) else self.paulis
        if not isinstance(paulis, (Sequence, np.ndarray)) or len(paulis) == 0:
            raise ValueError(f"{owner}: paulis={self.paulis!r} must be a non-empty sequence "
                             "of Pauli labels such as ('Z', 'ZZ')")
        for p in paulis:
            if not isinstance(p, str) or not p or set(p.upper()) - set("IXYZ"):
                raise ValueError(f"{owner}: pauli label {p!r} must be a non-empty string "
                                 "over the letters I, X, Y, Z")
            if len(p) > n:
                raise ValueError(f"{owner}: pauli label {p!r} acts on {len(p)} qubits, "
                                 f"more than n_features={n}")
        return [p.upper() for p in paulis]

    def _tuples(self, k: int, rep: int) -> list[tuple[int, ...]]:
        owner, n, ent = type(self).__name__, int(self.n_features), self.entanglement
        if isinstance(ent, str):
            return _named_tuples(check_choice(owner, "entanglement", ent, _ENTANGLEMENTS),
                                 k, n, rep)
        if isinstance(ent, Mapping):
            if k not in ent:
                raise ValueError(f"{owner}: entanglement dict has no entry {k} for the "
                                 f"{k}-letter pauli labels")
            return _check_tuples(owner, ent[k], n, k)
        tuples = [t for t in _check_tuples(owner, ent, n, None) if len(t) == k]
        if not tuples and k > 1:
            raise ValueError(f"{owner}: entanglement lists no {k}-qubit tuples for the "
                             f"{k}-letter pauli labels")
        return tuples or [(q,) for q in range(n)]

    def _check(self) -> None:
        owner = type(self).__name__
        check_int(owner, "reps", self.reps, 1)
        check_real(owner, "alpha", self.alpha)
        self._check_scale()
        for rep, label in itertools.product(range(min(int(self.reps), 2)), self._labels()):
            self._tuples(len(label), rep)

    def _build(self) -> Circuit:
        n, alpha = int(self.n_features), float(self.alpha)
        ops: list = []
        for rep in range(int(self.reps)):
            ops.extend(("h", q) for q in range(n))
            for label in self._labels():
                for support in self._tuples(len(label), rep):
                    _pauli_block(ops, label, support, _term_angle(self, support, alpha))
        return Circuit(n, ops, n_features=n)


class ZZFeatureMap(PauliFeatureMap):
    r"""The ZZ feature map of Havlicek et al., as Qiskit's ``zz_feature_map``.

    Each of the ``reps`` repetitions is :math:`H^{\otimes n}`, then
    :math:`P_i(\alpha\, s x_i)` on every qubit, then for each pair
    :math:`(i, j)` of ``entanglement`` in order
    :math:`\mathrm{CX}_{ij}\,P_j\big(\alpha(\pi - s x_i)(\pi - s x_j)\big)\,\mathrm{CX}_{ij}`.
    After the Hadamards a rep is diagonal,

    .. math::

        \exp\Big(i\alpha\Big[\sum_i s x_i\,\tfrac{1 - Z_i}{2}
            + \sum_{(i,j)} (\pi - s x_i)(\pi - s x_j)\,\tfrac{1 - Z_i Z_j}{2}\Big]\Big),

    simulated as one Hadamard layer and one phase vector. With
    ``feature_scale=1`` it equals Qiskit's ``zz_feature_map(n, reps,
    entanglement, alpha)`` (qubit order reversed); unlike Qiskit it allows
    ``n_features=1`` (no pairs), and its default entanglement is
    ``"linear"`` (Qiskit: ``"full"``), the map of the kernel estimators'
    default kernel: :math:`n - 1` pairs instead of :math:`n(n-1)/2`, cheap for
    the MPS backend, and 2-4 points more accurate in the measurements of
    :class:`FeatureMap`.

    Parameters
    ----------
    n_features : int
        Number of features; also the number of qubits.
    reps : int, default 2
        Number of repetitions.
    entanglement : str or sequence of pairs, default "linear"
        ``"full"``, ``"linear"``, ``"reverse_linear"``, ``"circular"``,
        ``"sca"`` (Qiskit's pair orders) or explicit pairs.
    alpha : float, default 2.0
        Rotation factor :math:`\alpha`.
    feature_scale : float or "auto", default "auto"
        Bandwidth :math:`s > 0`, or ``"auto"``, fixed from training data by
        :meth:`~FeatureMap.fit` (see :class:`FeatureMap`).

    References
    ----------
    V. Havlicek et al., Nature 567, 209-212 (2019).

    Examples
    --------
    >>> sorted(ZZFeatureMap(3, reps=1, entanglement="linear").circuit.count_ops().items())
    [('cx', 4), ('h', 3), ('p', 5)]
    """

    name = "zz"

    def __init__(self, n_features: int, reps: int = 2, entanglement: Any = "linear",
                 alpha: float = 2.0, feature_scale: float | str = "auto") -> None:
        self.n_features = n_features
        self.reps = reps
        self.entanglement = entanglement
        self.alpha = alpha
        self.feature_scale = feature_scale

    def _labels(self) -> list[str]:
        return ["Z", "ZZ"] if self._n() > 1 else ["Z"]

    def _check(self) -> None:
        _pairs("ZZFeatureMap", self.entanglement, self._n())
        super()._check()


class IQPFeatureMap(FeatureMap):
    r"""Havlicek-style IQP encoding with a configurable interaction graph.

    Each of the ``reps`` repetitions is a Hadamard layer followed by a layer of
    :math:`R_Z(\theta) = e^{-i\theta Z/2}` and
    :math:`R_{ZZ}(\theta) = e^{-i\theta Z \otimes Z/2}` rotations,

    .. math::

        U(x) = \Big[\prod_{(i,j)\in E} R_{Z_iZ_j}(s^2 x_i x_j)
            \prod_i R_{Z_i}(s x_i)\; H^{\otimes n}\Big]^{\text{reps}},

    so the diagonal layer multiplies basis state :math:`|z\rangle` by
    :math:`\exp\big(-\tfrac{i}{2}\big[\sum_i s x_i (-1)^{z_i}
    + \sum_{(i,j)\in E} s^2 x_i x_j (-1)^{z_i + z_j}\big]\big)`. For
    ``feature_scale=1`` and ``"full"`` this is PennyLane's ``IQPEmbedding``.

    Parameters
    ----------
    n_features : int
        Number of features; also the number of qubits.
    reps : int, default 2
        Number of repetitions.
    interactions : str or sequence of pairs, default "full"
        ``"full"`` (all pairs), ``"linear"`` (neighbours), ``"circular"``
        (neighbours and ``(n-1, 0)``) or explicit pairs :math:`E`.
    feature_scale : float or "auto", default "auto"
        Bandwidth :math:`s > 0`, or ``"auto"``, fixed from training data by
        :meth:`~FeatureMap.fit` (see :class:`FeatureMap`).

    References
    ----------
    V. Havlicek et al., Nature 567, 209-212 (2019); D. Shepherd and M. J. Bremner,
    Proc. R. Soc. A 465, 1413-1439 (2009).

    Examples
    --------
    >>> IQPFeatureMap(3, reps=1, interactions="linear").circuit.count_ops()
    {'h': 3, 'rz': 3, 'rzz': 2}
    """

    name = "iqp"
    auto_scale = 0.2

    def __init__(self, n_features: int, reps: int = 2, interactions: Any = "full",
                 feature_scale: float | str = "auto") -> None:
        self.n_features = n_features
        self.reps = reps
        self.interactions = interactions
        self.feature_scale = feature_scale

    def _interaction_pairs(self) -> list:
        return _pairs("IQPFeatureMap", self.interactions, int(self.n_features),
                      names=("full", "linear", "circular"), what="interactions")

    def _check(self) -> None:
        self._n()
        check_int("IQPFeatureMap", "reps", self.reps, 1)
        self._check_scale()
        self._interaction_pairs()

    def _build(self) -> Circuit:
        n = int(self.n_features)
        ops: list = []
        for _ in range(int(self.reps)):
            ops.extend(("h", q) for q in range(n))
            ops.extend(("rz", q, Angle((self._factor(q),))) for q in range(n))
            ops.extend(("rzz", (i, j), Angle((self._factor(i), self._factor(j))))
                       for i, j in self._interaction_pairs())
        return Circuit(n, ops, n_features=n)


class HardwareEfficientEncoding(FeatureMap):
    r"""Layered hardware-efficient encoding with data re-uploading.

    One qubit per feature. Layer :math:`l = 0, \dots, L-1` applies

    1. data rotations :math:`D = \bigotimes_i R_{\text{data}}(s x_i)` (feature
       :math:`i` on qubit :math:`i`), in every layer if ``data_reuploading``,
       else in layer 0 only;
    2. if ``trainable``, for each gate :math:`R` (number :math:`r`) of
       ``rotations`` the layer :math:`\bigotimes_i R(w_k)` with
       :math:`k = (l\,n + i)\,|\text{rotations}| + r`;
    3. the ``entangler`` on the pairs of ``entanglement``,

    so :math:`U(x, w) = \prod_{l=L-1}^{0} E\,W_l(w)\,D_l(s x)`. Re-uploading
    raises the Fourier frequencies of :math:`x` the model can express. The
    weights are counted in ``circuit.n_weights`` and passed as
    ``statevector(fm, x, weights)``.

    Parameters
    ----------
    n_features : int
        Number of features; also the number of qubits.
    n_layers : int, default 2
        Number of layers :math:`L`.
    rotations : sequence of {"rx", "ry", "rz"}, default ("ry", "rz")
        Trainable rotations, applied to every qubit in every layer.
    entangler : {"cx", "cz", "cy"}, default "cx"
        The two-qubit gate.
    entanglement : str or sequence of pairs, default "linear"
        ``"linear"``, ``"reverse_linear"``, ``"circular"``, ``"full"``,
        ``"sca"`` (Qiskit's pair orders; ``"sca"`` shifts per layer) or pairs.
    data_reuploading : bool, default True
        Re-encode :math:`x` in every layer.
    trainable : bool, default True
        Include the trainable rotations.
    data_rotation : {"ry", "rx"}, default "ry"
        The gate encoding each feature.
    feature_scale : float or "auto", default "auto"
        Bandwidth :math:`s > 0`, or ``"auto"``, fixed from training data by
        :meth:`~FeatureMap.fit` (see :class:`FeatureMap`).

    References
    ----------
    A. Kandala et al., Nature 549, 242 (2017); A. Perez-Salinas et al.,
    "Data re-uploading for a universal quantum classifier", Quantum 4, 226 (2020).

    Examples
    --------
    >>> fm = HardwareEfficientEncoding(3, n_layers=2)
    >>> (fm.n_qubits, fm.n_weights)
    (3, 12)
    """

    name = "hardware_efficient"
    auto_scale = 0.3

    def __init__(self, n_features: int, n_layers: int = 2,
                 rotations: Sequence[str] = ("ry", "rz"), entangler: str = "cx",
                 entanglement: Any = "linear", data_reuploading: bool = True,
                 trainable: bool = True, data_rotation: str = "ry",
                 feature_scale: float | str = "auto") -> None:
        self.n_features = n_features
        self.n_layers = n_layers
        self.rotations = rotations
        self.entangler = entangler
        self.entanglement = entanglement
        self.data_reuploading = data_reuploading
        self.trainable = trainable
        self.data_rotation = data_rotation
        self.feature_scale = feature_scale

    def _rotations(self) -> list[str]:
        owner = "HardwareEfficientEncoding"
        rots = (self.rotations,) if isinstance(self.rotations, str) else self.rotations
        if not isinstance(rots, (Sequence, np.ndarray)):
            raise ValueError(f"{owner}: rotations={rots!r} must be a sequence of 'rx', 'ry', 'rz'")
        out = [check_choice(owner, "rotations", r, ("rx", "ry", "rz")) for r in rots]
        if self.trainable and not out:
            raise ValueError(f"{owner}: rotations is empty but trainable=True; give at least "
                             "one of 'rx', 'ry', 'rz' or set trainable=False")
        return out

    def _check(self) -> None:
        owner = "HardwareEfficientEncoding"
        _pairs(owner, self.entanglement, self._n())
        check_int(owner, "n_layers", self.n_layers, 1)
        for flag in ("data_reuploading", "trainable"):
            if not isinstance(getattr(self, flag), (bool, np.bool_)):
                raise ValueError(f"{owner}: {flag}={getattr(self, flag)!r} must be True or False")
        self._rotations()
        check_choice(owner, "entangler", self.entangler, ("cx", "cz", "cy"))
        check_choice(owner, "data_rotation", self.data_rotation, ("ry", "rx"))
        self._check_scale()

    def _build(self) -> Circuit:
        n = int(self.n_features)
        rots = self._rotations() if self.trainable else []
        ops: list = []
        for layer in range(int(self.n_layers)):
            if layer == 0 or self.data_reuploading:
                ops.extend((self.data_rotation.lower(), q, Angle((self._factor(q),)))
                           for q in range(n))
            for r, rot in enumerate(rots):
                ops.extend((rot, q, weight((layer * n + q) * len(rots) + r)) for q in range(n))
            ops.extend((self.entangler.lower(), pair)
                       for pair in _pairs("", self.entanglement, n, layer))
        return Circuit(n, ops, n_features=n, n_weights=int(self.n_layers) * n * len(rots))


class HamiltonianEvolutionEncoding(FeatureMap):
    r"""Trotterised Heisenberg-chain evolution (Huang et al. 2021), as in qml-benchmarks.

    On :math:`n = d + 1` qubits: a fixed random rotation (PennyLane's ``Rot``) on
    every qubit, then :math:`L` Trotter steps of the gates :math:`R_{XX}, R_{YY},
    R_{ZZ}` (:math:`R_{PP}(\alpha) = e^{-i \alpha P \otimes P / 2}`) of angle
    :math:`\tau u_j` on wires :math:`(j, j+1)`, :math:`j = 0, \dots, d-1`, in that order:

    .. math::

        |\phi(x)\rangle = \Big[\prod_{j=0}^{d-1}
            e^{-i \frac{\tau u_j}{2} (X_j X_{j+1} + Y_j Y_{j+1} + Z_j Z_{j+1})}\Big]^L
            \bigotimes_q R_Z(\omega_q) R_Y(\theta_q) R_Z(\phi_q) |0\rangle,
        \qquad \tau = \frac{t\, d}{L},

    with :math:`u_j = s x_j` (``feature_scale``); the three gates of a pair commute.
    As :math:`L \to \infty` the state tends to :math:`e^{-i T H(u)}` (after the
    rotations), :math:`H(u) = \sum_j u_j (X_j X_{j+1} + Y_j Y_{j+1} + Z_j Z_{j+1})`,
    :math:`T = t d / 2`. Row :math:`q` of ``2 * pi * numpy.random.default_rng(
    random_state).uniform(size=(n, 3))`` is :math:`(\phi_q, \theta_q, \omega_q)`.

    This is the default embedding of the ``ProjectedQuantumKernel`` model of
    qml-benchmarks (Bowles et al.), with its defaults :math:`t = 1/3`, :math:`L = 5`
    and its gate order and angles (``IsingXX(x_j t d / L)``, ...): with
    ``feature_scale=1`` and the same rotation angles the states are equal.
    Differences: (i) the benchmark min-max scales each feature to
    :math:`[-\pi/2, \pi/2]` (times its ``scaling``) before encoding; pass data
    scaled so and ``feature_scale=1`` to reproduce it; (ii) it draws the rotation
    angles from its model's generator after a draw for the SVC's seed, again at
    every ``fit``; here they are the first draw of the seed's generator; (iii) the
    paper writes a step as :math:`e^{-i \frac{t}{L} \sum_j x_j (XX + YY + ZZ)}`,
    but the half-angle Ising gates make the benchmark's evolution time
    :math:`t d / 2`, not the :math:`t d` its documentation states; this map
    follows the code. ``auto_scale`` 0.1 is measured as in :class:`FeatureMap`
    (projected kernel, 4 features): breast cancer / wine .954/.950; at 0.05
    .958/.950, at 0.2 .949/.950, at 0.5 .933/.938, at 1.0 .851/.883.

    Parameters
    ----------
    n_features : int
        Number of features :math:`d`; the map has :math:`d + 1` qubits.
    trotter_steps : int, default 5
        Number of Trotter steps :math:`L`.
    evolution_time : float, default 1/3
        The time :math:`t` per feature (the benchmark's ``t``).
    random_state : int, default 42
        Seed of the rotation angles (an integer, so the circuit is fixed).
    feature_scale : float or "auto", default "auto"
        Bandwidth :math:`s > 0`, or ``"auto"``, fixed from training data by
        :meth:`~FeatureMap.fit` (see :class:`FeatureMap`).

    References
    ----------
    H.-Y. Huang et al., "Power of data in quantum machine learning", Nature
    Communications 12, 2631 (2021); J. Bowles, S. Ahmed and M. Schuld,
    "Better than classical? The subtle art of benchmarking quantum machine
    learning models", arXiv:2403.07059 (2024).

    Examples
    --------
    >>> fm = HamiltonianEvolutionEncoding(3, trotter_steps=2)
    >>> fm.n_qubits, sorted(fm.circuit.count_ops().items())
    (4, [('rxx', 6), ('ry', 4), ('ryy', 6), ('rz', 8), ('rzz', 6)])
    """

    name = "hamiltonian"
    auto_scale = 0.1

    def __init__(self, n_features: int, trotter_steps: int = 5,
                 evolution_time: float = 1.0 / 3.0, random_state: int = 42,
                 feature_scale: float | str = "auto") -> None:
        self.n_features = n_features
        self.trotter_steps = trotter_steps
        self.evolution_time = evolution_time
        self.random_state = random_state
        self.feature_scale = feature_scale

    def _check(self) -> None:
        owner = "HamiltonianEvolutionEncoding"
        self._n()
        check_int(owner, "trotter_steps", self.trotter_steps, 1)
        check_real(owner, "evolution_time", self.evolution_time)
        if not is_int(self.random_state) or not 0 <= self.random_state < 2**63:
            raise ValueError(f"{owner}: random_state={self.random_state!r} must be an integer "
                             "in [0, 2**63) (it fixes the circuit's rotation angles)")
        self._check_scale()

    def _build(self) -> Circuit:
        d, steps = int(self.n_features), int(self.trotter_steps)
        rot = 2 * math.pi * as_generator(int(self.random_state)).uniform(size=(d + 1, 3))
        ops: list = []
        for q, (phi, theta, omega) in enumerate(rot.tolist()):
            ops += [("rz", q, phi), ("ry", q, theta), ("rz", q, omega)]
        tau = float(self.evolution_time) * d / steps
        ops += [(gate, (j, j + 1), Angle((self._factor(j),), tau, 0.0))
                for _ in range(steps) for j in range(d) for gate in ("rxx", "ryy", "rzz")]
        return Circuit(d + 1, ops, n_features=d)


# --------------------------------------------------------------------------- registry
FEATURE_MAPS: dict[str, type[FeatureMap]] = {
    cls.name: cls
    for cls in (AngleEncoding, ZZFeatureMap, PauliFeatureMap, IQPFeatureMap,
                HardwareEfficientEncoding, HamiltonianEvolutionEncoding, AmplitudeEncoding)
}


def make_feature_map(name: str, **params: Any) -> FeatureMap:
    """Build and validate the map registered as ``name`` (case-insensitive).

    ``ValueError`` for an unknown name, unknown or missing parameters, or
    invalid values.

    Examples
    --------
    >>> make_feature_map("zz", n_features=2, reps=1)
    ZZFeatureMap(n_features=2, reps=1, entanglement='linear', alpha=2.0, feature_scale='auto')
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in FEATURE_MAPS:
        raise ValueError(f"unknown feature map {name!r}; registered: "
                         f"{', '.join(sorted(FEATURE_MAPS))}")
    cls = FEATURE_MAPS[key]
    signature = inspect.signature(cls.__init__).parameters
    if unknown := sorted(set(params) - set(cls._get_param_names())):
        raise ValueError(f"unknown parameter(s) {unknown} for feature map {name!r}; "
                         f"allowed: {', '.join(cls._get_param_names())}")
    if missing := [p for p in cls._get_param_names() if p not in params
                   and signature[p].default is inspect.Parameter.empty]:
        raise ValueError(f"feature map {name!r} needs parameter(s) {missing}")
    return cls(**params).validate()
