r"""Noise channels: completely positive, trace-preserving maps on one or two qubits.

Every channel is a frozen pytree dataclass whose physical parameters are the
leaves, so ``jax.jit``, ``jax.vmap`` and ``jax.grad`` over a noise strength
work. :meth:`Channel.kraus` returns the Kraus operators of

.. math::

    \mathcal{E}(\rho) = \sum_k K_k \rho K_k^\dagger, \qquad \sum_k K_k^\dagger K_k = I,

as an array of shape ``(K, 2**k, 2**k)`` (complex64, complex128 with JAX's x64
mode). On two wires the first wire is the most significant bit, so
``kron(A, B)`` acts with ``A`` on the first wire. :data:`CHANNELS` maps the
``name`` of every channel class to the class; :class:`ReadoutError` (not a
channel: it acts on measured bits) lives here too.

Notes
-----
Kraus operators hold square roots of probabilities, whose derivative is
infinite at zero; here it is taken as zero (not NaN), which drops that
operator's first-order term: differentiate at ``p > 0`` for exact gradients.

References
----------
.. [1] M. A. Nielsen and I. L. Chuang, *Quantum Computation and Quantum
   Information*, 10th anniversary ed., Cambridge University Press (2010), Sec. 8.3.
.. [2] M.-D. Choi, "Completely positive linear maps on complex matrices",
   Linear Algebra Appl. 10, 285 (1975).
.. [3] Qiskit Aer noise-model documentation, ``qiskit_aer.noise``
   (``thermal_relaxation_error``, ``reset_error``, ``ReadoutError``).
.. [4] K. Temme, S. Bravyi and J. M. Gambetta, "Error mitigation for
   short-depth quantum circuits", Phys. Rev. Lett. 119, 180509 (2017).

Examples
--------
>>> import numpy as np
>>> from qinspired.circuits.channels import AmplitudeDamping
>>> rho1 = np.array([[0, 0], [0, 1]], dtype=complex)
>>> np.round(np.asarray(AmplitudeDamping(0.25).apply(rho1)).real, 3).tolist()
[[0.25, 0.0], [0.0, 0.75]]
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._pytree import pytree_dataclass
from qinspired._validation import check_choice, check_in_range, is_int, is_traced
from qinspired.circuits._channel_base import (
    _SUM_ATOL,
    Param,
    _check_sum,
    _clamp_sum,
    _is_numeric_leaf,
    _mixture,
    _Parametrized,
    _real,
    _sqrt,
    _stack,
)
from qinspired.circuits.statevector import complex_dtype, real_dtype

__all__ = [
    "CHANNELS", "AmplitudeDamping", "BitFlip", "BitPhaseFlip", "Channel", "Depolarizing",
    "Depolarizing2", "GeneralizedAmplitudeDamping", "KrausChannel", "PauliChannel", "PhaseDamping",
    "PhaseFlip", "ReadoutError", "Reset", "ThermalRelaxation", "make_channel", "register_channel",
]

_KRAUS_ATOL = 1e-6  # tolerance of sum K^dag K = I for user-given Kraus operators

_I = np.eye(2, dtype=np.complex128)
_X = np.array([[0, 1], [1, 0]], dtype=np.complex128)
_Y = np.array([[0, -1j], [1j, 0]], dtype=np.complex128)
_Z = np.diag([1.0, -1.0]).astype(np.complex128)
_PAULIS = np.stack([_I, _X, _Y, _Z])
_PAULIS2 = np.stack([np.kron(a, b) for a in _PAULIS for b in _PAULIS])

# (low, high, low_open): the allowed interval of a parameter
_PROB = (0.0, 1.0, False)
_POSITIVE = (0.0, None, True)
_NONNEGATIVE = (0.0, None, False)


class Channel(_Parametrized):
    """Base class of the noise channels.

    Subclasses are frozen pytree dataclasses
    (:func:`qinspired._pytree.pytree_dataclass`) whose fields, the physical
    parameters, are the leaves, with class attributes ``name`` (registry
    key) and ``n_wires`` (1 or 2). The constructor validates concrete
    parameters; traced ones are not checked.
    """

    n_wires: ClassVar[int] = 1

    def kraus(self) -> jax.Array:
        """The Kraus operators, shape ``(K, 2**n_wires, 2**n_wires)``, complex dtype."""
        raise NotImplementedError

    def superoperator(self) -> jax.Array:
        r"""The ``(4**k, 4**k)`` matrix :math:`\sum_k K_k \otimes \bar K_k` (row-major vec)."""
        k = self.kraus()
        d = k.shape[-1]
        return jnp.einsum("kab,kcd->acbd", k, k.conj()).reshape(d * d, d * d)

    def apply(self, rho: Any) -> jax.Array:
        r""":math:`\sum_k K_k \rho K_k^\dagger` for ``rho`` of shape ``(..., 2**k, 2**k)``.

        Raises ``ValueError`` when ``rho`` does not have that shape (``k`` is
        the channel's number of wires).
        """
        k = self.kraus()
        d = k.shape[-1]
        shape = tuple(np.shape(rho))
        if len(shape) < 2 or shape[-2:] != (d, d):
            raise ValueError(
                f"{self._label}.apply: rho must be a density matrix of shape (..., {d}, {d}) "
                f"(the channel acts on {d.bit_length() - 1} wire(s)), got shape {shape}"
            )
        return jnp.einsum("kab,...bc,kdc->...ad", k, jnp.asarray(rho, k.dtype), k.conj())


CHANNELS: dict[str, type[Channel]] = {}


def register_channel(cls: type[Channel]) -> type[Channel]:
    """Add a channel class to :data:`CHANNELS` under ``cls.name`` (a class decorator)."""
    if not cls.name or cls.name in CHANNELS:
        raise ValueError(f"channel name {cls.name!r} is empty or already registered")
    CHANNELS[cls.name] = cls
    return cls


@register_channel
@pytree_dataclass
class Depolarizing(Channel):
    r"""Single-qubit depolarizing channel (``name = "depolarizing"``).

    .. math::

        \mathcal{E}(\rho) = (1-p)\,\rho + p\,\frac{I}{2}
        = \Bigl(1 - \frac{3p}{4}\Bigr)\rho + \frac{p}{4}(X\rho X + Y\rho Y + Z\rho Z),

    Kraus operators :math:`\sqrt{1-3p/4}\,I` and :math:`\sqrt{p/4}\,P`,
    :math:`P \in \{X, Y, Z\}`. The Bloch vector shrinks by :math:`1-p`. Same
    convention as Qiskit Aer; PennyLane's parameter is :math:`3p/4`. Reference:
    [1]_ Sec. 8.3.4.

    Parameters
    ----------
    p : float in [0, 1]
        Depolarizing probability.
    """

    name: ClassVar[str] = "depolarizing"
    _bounds: ClassVar[dict] = {"p": _PROB}
    p: Param

    def kraus(self) -> jax.Array:
        p = _real(self.p)
        return _mixture([1 - 3 * p / 4, p / 4, p / 4, p / 4], _PAULIS)


@register_channel
@pytree_dataclass
class Depolarizing2(Channel):
    r"""Two-qubit depolarizing channel (``name = "depolarizing2"``).

    .. math::

        \mathcal{E}(\rho) = (1-p)\,\rho + p\,\frac{I}{4}
        = \Bigl(1 - \frac{15p}{16}\Bigr)\rho + \frac{p}{16}\sum_{P \ne I\otimes I} P \rho P,

    over the 15 non-identity Pauli strings :math:`P = \sigma_a \otimes
    \sigma_b`; Kraus operators :math:`\sqrt{1-15p/16}\,I` and
    :math:`\sqrt{p/16}\,P`. Same convention as Qiskit Aer's
    ``depolarizing_error(p, 2)``. Reference: [1]_ Sec. 8.3.4.

    Parameters
    ----------
    p : float in [0, 1]
        Depolarizing probability.
    """

    name: ClassVar[str] = "depolarizing2"
    n_wires: ClassVar[int] = 2
    _bounds: ClassVar[dict] = {"p": _PROB}
    p: Param

    def kraus(self) -> jax.Array:
        p = _real(self.p)
        return _mixture([1 - 15 * p / 16] + [p / 16] * 15, _PAULIS2)


class _PauliError(Channel):
    """One Pauli error with probability ``p`` (base of the three flip channels)."""

    _pauli: ClassVar[np.ndarray] = _I
    _bounds: ClassVar[dict] = {"p": _PROB}

    def kraus(self) -> jax.Array:
        p = _real(self.p)  # type: ignore[attr-defined]
        return _mixture([1 - p, p], np.stack([_I, self._pauli]))


@register_channel
@pytree_dataclass
class BitFlip(_PauliError):
    r"""Bit flip (``name = "bit_flip"``): :math:`(1-p)\,\rho + p\,X\rho X`.

    Kraus operators :math:`\sqrt{1-p}\,I` and :math:`\sqrt{p}\,X`. Reference:
    [1]_ Sec. 8.3.3.

    Parameters
    ----------
    p : float in [0, 1]
        Probability of the X error.
    """

    name: ClassVar[str] = "bit_flip"
    _pauli: ClassVar[np.ndarray] = _X
    p: Param


@register_channel
@pytree_dataclass
class PhaseFlip(_PauliError):
    r"""Phase flip (``name = "phase_flip"``): :math:`(1-p)\,\rho + p\,Z\rho Z`.

    Kraus operators :math:`\sqrt{1-p}\,I` and :math:`\sqrt{p}\,Z`; coherences
    are multiplied by :math:`1-2p`. Reference: [1]_ Sec. 8.3.3.

    Parameters
    ----------
    p : float in [0, 1]
        Probability of the Z error.
    """

    name: ClassVar[str] = "phase_flip"
    _pauli: ClassVar[np.ndarray] = _Z
    p: Param


@register_channel
@pytree_dataclass
class BitPhaseFlip(_PauliError):
    r"""Bit-phase flip (``name = "bit_phase_flip"``): :math:`(1-p)\,\rho + p\,Y\rho Y`.

    Kraus operators :math:`\sqrt{1-p}\,I` and :math:`\sqrt{p}\,Y`. Reference:
    [1]_ Sec. 8.3.3.

    Parameters
    ----------
    p : float in [0, 1]
        Probability of the Y error.
    """

    name: ClassVar[str] = "bit_phase_flip"
    _pauli: ClassVar[np.ndarray] = _Y
    p: Param


@register_channel
@pytree_dataclass
class PauliChannel(Channel):
    r"""Single-qubit Pauli channel (``name = "pauli"``).

    .. math::

        \mathcal{E}(\rho) = (1 - p_x - p_y - p_z)\,\rho + p_x X\rho X + p_y Y\rho Y + p_z Z\rho Z,

    Kraus operators :math:`\sqrt{1-p_x-p_y-p_z}\,I`, :math:`\sqrt{p_x}X`,
    :math:`\sqrt{p_y}Y`, :math:`\sqrt{p_z}Z`. Reference: [1]_ Sec. 8.3.

    Parameters
    ----------
    px, py, pz : float in [0, 1]
        Error probabilities, :math:`p_x + p_y + p_z \le 1`.
    """

    name: ClassVar[str] = "pauli"
    _bounds: ClassVar[dict] = {"px": _PROB, "py": _PROB, "pz": _PROB}
    px: Param
    py: Param
    pz: Param

    def _check_joint(self, arrays: dict[str, np.ndarray], owner: str) -> None:
        _check_sum(arrays, ("px", "py", "pz"), owner)

    def _clamp_joint(self, values: dict[str, jax.Array]) -> dict[str, jax.Array]:
        return _clamp_sum(values, ("px", "py", "pz"))

    def kraus(self) -> jax.Array:
        px, py, pz = _real(self.px), _real(self.py), _real(self.pz)
        return _mixture([1 - px - py - pz, px, py, pz], _PAULIS)


@register_channel
@pytree_dataclass
class AmplitudeDamping(Channel):
    r"""Amplitude damping (``name = "amplitude_damping"``): decay :math:`|1\rangle \to |0\rangle`.

    .. math::

        K_0 = \begin{pmatrix} 1 & 0 \\ 0 & \sqrt{1-\gamma} \end{pmatrix}, \qquad
        K_1 = \begin{pmatrix} 0 & \sqrt{\gamma} \\ 0 & 0 \end{pmatrix},

    so :math:`|1\rangle\langle 1| \mapsto \gamma |0\rangle\langle 0| +
    (1-\gamma)|1\rangle\langle 1|` and coherences are multiplied by
    :math:`\sqrt{1-\gamma}`. Reference: [1]_ Sec. 8.3.5.

    Parameters
    ----------
    gamma : float in [0, 1]
        Decay probability.
    """

    name: ClassVar[str] = "amplitude_damping"
    _bounds: ClassVar[dict] = {"gamma": _PROB}
    gamma: Param

    def kraus(self) -> jax.Array:
        g = _real(self.gamma)
        return _stack([[[1, 0], [0, _sqrt(1 - g)]], [[0, _sqrt(g)], [0, 0]]])


@register_channel
@pytree_dataclass
class GeneralizedAmplitudeDamping(Channel):
    r"""Generalized amplitude damping (``name = "generalized_amplitude_damping"``).

    .. math::

        K_0 = \sqrt{p}\begin{pmatrix} 1 & 0 \\ 0 & \sqrt{1-\gamma} \end{pmatrix},\;
        K_1 = \sqrt{p}\begin{pmatrix} 0 & \sqrt{\gamma} \\ 0 & 0 \end{pmatrix},\;
        K_2 = \sqrt{1-p}\begin{pmatrix} \sqrt{1-\gamma} & 0 \\ 0 & 1 \end{pmatrix},\;
        K_3 = \sqrt{1-p}\begin{pmatrix} 0 & 0 \\ \sqrt{\gamma} & 0 \end{pmatrix}.

    The fixed point is :math:`\mathrm{diag}(p, 1-p)`: ``p`` is the
    ground-state population of the environment (convention of [1]_ Sec. 8.3.5;
    Qiskit's ``excited_state_population`` and PennyLane's ``p`` are ``1 - p``);
    ``p = 1`` is :class:`AmplitudeDamping`. :meth:`scaled` and drift change
    ``gamma`` only.

    Parameters
    ----------
    gamma : float in [0, 1]
        Damping probability.
    p : float in [0, 1]
        Ground-state population of the fixed point.
    """

    name: ClassVar[str] = "generalized_amplitude_damping"
    _bounds: ClassVar[dict] = {"gamma": _PROB, "p": _PROB}
    _scale_fields: ClassVar[tuple[str, ...]] = ("gamma",)
    _drift_fields: ClassVar[tuple[str, ...]] = ("gamma",)
    gamma: Param
    p: Param

    def kraus(self) -> jax.Array:
        g, p = _real(self.gamma), _real(self.p)
        a, b, s, c = _sqrt(p), _sqrt(1 - p), _sqrt(g), _sqrt(1 - g)
        return _stack([[[a, 0], [0, a * c]], [[0, a * s], [0, 0]],
                       [[b * c, 0], [0, b]], [[0, 0], [b * s, 0]]])


@register_channel
@pytree_dataclass
class PhaseDamping(Channel):
    r"""Phase damping (``name = "phase_damping"``): coherence loss without energy loss.

    .. math::

        K_0 = \begin{pmatrix} 1 & 0 \\ 0 & \sqrt{1-\gamma} \end{pmatrix}, \qquad
        K_1 = \begin{pmatrix} 0 & 0 \\ 0 & \sqrt{\gamma} \end{pmatrix};

    populations are unchanged and coherences multiplied by
    :math:`\sqrt{1-\gamma}` (the same map as a phase flip with
    :math:`p = (1-\sqrt{1-\gamma})/2`). Reference: [1]_ Sec. 8.3.6.

    Parameters
    ----------
    gamma : float in [0, 1]
        Phase damping probability.
    """

    name: ClassVar[str] = "phase_damping"
    _bounds: ClassVar[dict] = {"gamma": _PROB}
    gamma: Param

    def kraus(self) -> jax.Array:
        g = _real(self.gamma)
        return _stack([[[1, 0], [0, _sqrt(1 - g)]], [[0, 0], [0, _sqrt(g)]]])


@register_channel
@pytree_dataclass
class ThermalRelaxation(Channel):
    r"""Thermal relaxation for a gate of duration ``gate_time`` (``"thermal_relaxation"``).

    With :math:`a = e^{-t/T_1}`, :math:`b = e^{-t/T_2}` and excited
    equilibrium population :math:`p_e`,

    .. math::

        \rho_{11} \mapsto a\,\rho_{11} + (1-a)\,p_e, \qquad \rho_{01} \mapsto b\,\rho_{01},

    completely positive iff :math:`T_2 \le 2T_1`. The Choi matrix [2]_ is
    diagonal but for the block :math:`\begin{pmatrix} A & b \\ b &
    D\end{pmatrix}`, :math:`A = 1-(1-a)p_e`, :math:`D = a + (1-a)p_e`; its
    Cholesky factor gives Kraus operators valid for both :math:`T_2 \le T_1`
    and :math:`T_1 < T_2 \le 2T_1` with no branching:

    .. math::

        K_0 = \begin{pmatrix} \sqrt{A} & 0 \\ 0 & b/\sqrt{A} \end{pmatrix},\;
        K_1 = \begin{pmatrix} 0 & 0 \\ 0 & \sqrt{D - b^2/A} \end{pmatrix},\;
        K_2 = \sqrt{(1-a)(1-p_e)}\,|0\rangle\langle 1|,\;
        K_3 = \sqrt{(1-a)p_e}\,|1\rangle\langle 0|.

    The same map as Qiskit Aer's ``thermal_relaxation_error`` [3]_. Times are in
    any one unit. :meth:`scaled` multiplies ``gate_time``; drift changes
    ``t1`` and ``t2``.

    Parameters
    ----------
    t1 : float > 0
        Energy relaxation time :math:`T_1`.
    t2 : float > 0
        Dephasing time, :math:`T_2 \le 2 T_1`.
    gate_time : float >= 0
        Duration :math:`t` of the operation.
    excited_population : float in [0, 1], default 0
        Excited-state population :math:`p_e` of the equilibrium state.
    """

    name: ClassVar[str] = "thermal_relaxation"
    _bounds: ClassVar[dict] = {"t1": _POSITIVE, "t2": _POSITIVE, "gate_time": _NONNEGATIVE,
                               "excited_population": _PROB}
    _scale_fields: ClassVar[tuple[str, ...]] = ("gate_time",)
    _drift_fields: ClassVar[tuple[str, ...]] = ("t1", "t2")
    t1: Param
    t2: Param
    gate_time: Param
    excited_population: Param = 0.0

    def _check_joint(self, arrays: dict[str, np.ndarray], owner: str) -> None:
        t1, t2 = np.broadcast_arrays(arrays["t1"], arrays["t2"])
        bad = t2 > 2 * t1
        if np.any(bad):
            raise ValueError(f"{owner}: t2={float(t2[bad][0])!r} exceeds 2 * t1 = "
                             f"{2 * float(t1[bad][0])!r}; a physical qubit has T2 <= 2 T1")

    def _clamp_joint(self, values: dict[str, jax.Array]) -> dict[str, jax.Array]:
        return {**values, "t2": jnp.minimum(values["t2"], 2 * values["t1"])}

    def kraus(self) -> jax.Array:
        t, pe = _real(self.gate_time), _real(self.excited_population)
        a, b = jnp.exp(-t / _real(self.t1)), jnp.exp(-t / _real(self.t2))
        big_a = jnp.maximum(1 - (1 - a) * pe, jnp.finfo(real_dtype()).tiny)
        big_d = a + (1 - a) * pe
        ra = jnp.sqrt(big_a)
        return _stack([[[ra, 0], [0, b / ra]],
                       [[0, 0], [0, _sqrt(big_d - b * b / big_a)]],
                       [[0, _sqrt((1 - a) * (1 - pe))], [0, 0]],
                       [[0, 0], [_sqrt((1 - a) * pe), 0]]])


@register_channel
@pytree_dataclass
class Reset(Channel):
    r"""Reset error (``name = "reset"``): reset to :math:`|0\rangle` or :math:`|1\rangle`.

    .. math::

        \mathcal{E}(\rho) = p_0 |0\rangle\langle 0| + p_1 |1\rangle\langle 1|
            + (1 - p_0 - p_1)\,\rho,

    Kraus operators :math:`\sqrt{p_0}|0\rangle\langle 0|`,
    :math:`\sqrt{p_0}|0\rangle\langle 1|`, :math:`\sqrt{p_1}|1\rangle\langle 0|`,
    :math:`\sqrt{p_1}|1\rangle\langle 1|`, :math:`\sqrt{1-p_0-p_1}\,I`. Same
    map as Qiskit Aer's ``reset_error(p0, p1)`` [3]_.

    Parameters
    ----------
    p0, p1 : float in [0, 1], defaults 1 and 0
        Probabilities of a reset to :math:`|0\rangle` and to :math:`|1\rangle`,
        :math:`p_0 + p_1 \le 1`.
    """

    name: ClassVar[str] = "reset"
    _bounds: ClassVar[dict] = {"p0": _PROB, "p1": _PROB}
    p0: Param = 1.0
    p1: Param = 0.0

    def _check_joint(self, arrays: dict[str, np.ndarray], owner: str) -> None:
        _check_sum(arrays, ("p0", "p1"), owner)

    def _clamp_joint(self, values: dict[str, jax.Array]) -> dict[str, jax.Array]:
        return _clamp_sum(values, ("p0", "p1"))

    def kraus(self) -> jax.Array:
        p0, p1 = _real(self.p0), _real(self.p1)
        s0, s1, r = _sqrt(p0), _sqrt(p1), _sqrt(1 - p0 - p1)
        return _stack([[[s0, 0], [0, 0]], [[0, s0], [0, 0]], [[0, 0], [s1, 0]],
                       [[0, 0], [0, s1]], [[r, 0], [0, r]]])


@register_channel
@pytree_dataclass
class KrausChannel(Channel):
    r"""A channel given by its Kraus operators (``name = "kraus"``).

    .. math::

        \mathcal{E}(\rho) = \sum_k K_k \rho K_k^\dagger, \qquad
        \max_{ij}\Bigl|\Bigl(\sum_k K_k^\dagger K_k - I\Bigr)_{ij}\Bigr| \le 10^{-6}.

    Reference: [1]_ Sec. 8.2.3. It does not drift in a noise model.

    Parameters
    ----------
    matrices : array_like, shape (K, 2**k, 2**k) or (2**k, 2**k)
        The Kraus operators on ``k = 1`` or ``2`` wires (one matrix is a
        unitary channel); ``n_wires`` is read from their shape.
    """

    name: ClassVar[str] = "kraus"
    _drift_fields: ClassVar[tuple[str, ...]] = ()
    matrices: Param

    def __post_init__(self) -> None:
        m = self.matrices
        if isinstance(m, (list, tuple)):
            m = jnp.stack([jnp.asarray(k) for k in m]) if any(map(is_traced, m)) else np.asarray(m)
        if isinstance(m, np.ndarray) and np.issubdtype(m.dtype, np.number):
            m = m.astype(np.complex128)
        if _is_numeric_leaf(m) and np.ndim(m) == 2:
            m = m[None]
        object.__setattr__(self, "matrices", m)
        super().__post_init__()

    @property
    def n_wires(self) -> int:  # type: ignore[override]
        """Number of wires, from the shape of the matrices."""
        return int(np.shape(self.matrices)[-1]).bit_length() - 1

    def _check(self, values: dict[str, Any], owner: str) -> None:
        m = np.asarray(values["matrices"])
        if not np.issubdtype(m.dtype, np.number):
            raise ValueError(f"{owner}: the Kraus operators must be numeric, got {m.dtype}")
        if m.ndim != 3 or m.shape[1] != m.shape[2] or m.shape[1] not in (2, 4) or not len(m):
            raise ValueError(f"{owner}: Kraus operators must have shape (K, 2, 2) or "
                             f"(K, 4, 4) (one or two wires), got {m.shape}")
        if not np.all(np.isfinite(m)):
            raise ValueError(f"{owner}: the Kraus operators contain NaN or inf")
        m = m.astype(np.complex128)
        dev = float(np.max(np.abs(np.einsum("kba,kbc->ac", m.conj(), m) - np.eye(m.shape[1]))))
        if dev > _KRAUS_ATOL:
            raise ValueError(f"{owner}: the Kraus operators are not trace preserving: "
                             f"max |sum_k K_k^dag K_k - I| = {dev:.3g} exceeds {_KRAUS_ATOL:g}")

    def kraus(self) -> jax.Array:
        return jnp.asarray(self.matrices, complex_dtype())

    def scaled(self, factor: float) -> KrausChannel:
        r"""The channel applied ``factor`` times, :math:`\mathcal{E}^{\circ c}`.

        A general channel has no strength parameter, so only non-negative
        integer factors are allowed (0 gives the identity). With concrete
        matrices the result is compressed to at most :math:`4^k` Kraus
        operators through the Choi matrix [2]_.
        """
        integral = is_int(factor) or (isinstance(factor, float) and factor.is_integer())
        if not integral or factor < 0:
            raise ValueError(f"{self._label}.scaled: factor={factor!r} must be a non-negative "
                             "integer (a Kraus channel is scaled by repeating it)")
        k = self.kraus()
        d = k.shape[-1]
        out = jnp.eye(d, dtype=k.dtype)[None]
        for _ in range(int(factor)):
            out = jnp.einsum("iab,jbc->ijac", k, out).reshape(-1, d, d)
            if not is_traced(out) and out.shape[0] > d * d:
                out = jnp.asarray(_compress(np.asarray(out)), k.dtype)
        return KrausChannel(out)


def _compress(ops: np.ndarray) -> np.ndarray:
    """At most ``d**2`` Kraus operators of the same map, from the Choi matrix."""
    d = ops.shape[-1]
    vecs = ops.reshape(len(ops), d * d).astype(np.complex128)
    evals, evecs = np.linalg.eigh(vecs.T @ vecs.conj())
    keep = evals > 1e-12 * max(float(evals.max()), 1.0)
    return (np.sqrt(evals[keep]) * evecs[:, keep]).T.reshape(-1, d, d)


def make_channel(name: str, **params: Any) -> Channel:
    """Build a registered channel by name.

    Parameters
    ----------
    name : str
        A key of :data:`CHANNELS` (case-insensitive).
    **params
        The channel's parameters.

    Raises
    ------
    ValueError
        For an unknown name, unknown or missing parameters, or invalid values.

    Examples
    --------
    >>> from qinspired.circuits.channels import make_channel
    >>> make_channel("bit_flip", p=0.1)
    BitFlip(p=0.1)
    """
    key = check_choice("make_channel", "name", name, tuple(CHANNELS))
    cls = CHANNELS[key]
    fields = dataclasses.fields(cls)
    unknown = sorted(set(params) - {f.name for f in fields})
    missing = [f.name for f in fields
               if f.default is dataclasses.MISSING and f.name not in params]
    if unknown or missing:
        raise ValueError(f"make_channel: the {key} channel takes parameters "
                         f"{cls.param_names()}" + (f"; unknown: {unknown}" if unknown else "")
                         + (f"; missing: {missing}" if missing else ""))
    return cls(**params)


@pytree_dataclass
class ReadoutError(_Parametrized):
    r"""Classical error on the measured bit of one qubit.

    The confusion matrix :math:`M[m, t] = P(\text{measured } m \mid \text{true } t)`
    has columns summing to one,

    .. math::

        M = \begin{pmatrix} 1 - p_{1|0} & p_{0|1} \\ p_{1|0} & 1 - p_{0|1} \end{pmatrix},

    and measured probabilities are :math:`M\,\vec p_{\text{true}}`. (Qiskit's
    ``ReadoutError`` takes :math:`M^T`, rows summing to one.) Reference:
    S. Bravyi et al., "Mitigating measurement errors in multiqubit
    experiments", Phys. Rev. A 103, 042605 (2021).

    Parameters
    ----------
    p0given1 : float in [0, 1]
        Probability of reading 0 when the qubit is in :math:`|1\rangle`.
    p1given0 : float in [0, 1]
        Probability of reading 1 when the qubit is in :math:`|0\rangle`.
    """

    name: ClassVar[str] = "readout_error"
    n_wires: ClassVar[int] = 1
    _bounds: ClassVar[dict] = {"p0given1": _PROB, "p1given0": _PROB}
    p0given1: Param
    p1given0: Param

    @property
    def _label(self) -> str:
        return "readout error"

    def confusion_matrix(self) -> jax.Array:
        """The ``(2, 2)`` matrix ``M[measured, true]`` (real dtype)."""
        p01, p10 = _real(self.p0given1), _real(self.p1given0)
        return jnp.stack([jnp.stack([1 - p10, p01]), jnp.stack([p10, 1 - p01])])

    @classmethod
    def from_matrix(cls, matrix: Any) -> ReadoutError:
        """The readout error with confusion matrix ``matrix[measured, true]``.

        Raises
        ------
        ValueError
            Unless ``matrix`` is a finite ``(2, 2)`` matrix with entries in
            [0, 1] whose columns sum to 1 (within 1e-6).
        """
        m = check_in_range("ReadoutError.from_matrix", "matrix", matrix, 0.0, 1.0)
        if m.shape != (2, 2):
            raise ValueError(f"ReadoutError.from_matrix: matrix must be (2, 2), got {m.shape}")
        dev = float(np.max(np.abs(m.sum(axis=0) - 1)))
        if dev > _SUM_ATOL:
            raise ValueError("ReadoutError.from_matrix: the columns of M[measured, true] must "
                             f"sum to 1, max deviation {dev:.3g}")
        return cls(p0given1=float(m[0, 1]), p1given0=float(m[1, 0]))
