r"""The gate registry.

Every gate the simulators know is registered here by name with its unitary
as a pure function of its parameters. Diagonal gates also declare their
phases as an affine function of the parameters,
:math:`\varphi(\theta) = A\,\theta + B`, which lets the simulator fuse runs of
diagonal gates into a single phase-vector multiply.

Matrices act on the computational basis of the gate's wires in the order they
are listed, first wire most significant (see :mod:`qinspired.circuits`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["GATES", "GateSpec", "canonical_gate_name", "gate_matrix", "register_gate"]

_PI = np.pi


@dataclass(frozen=True)
class GateSpec:
    """Description of one registered gate.

    Attributes
    ----------
    name : str
        Canonical (lower-case) name.
    n_wires : int
        Number of wires, or ``0`` for the arbitrary ``unitary`` gate.
    n_params : int
        Number of real angle parameters.
    matrix : callable
        ``matrix(theta, dtype)`` returns the ``(2**k, 2**k)`` unitary for a
        parameter vector ``theta`` of shape ``(n_params,)``; pure jax.numpy.
    phase_linear : tuple of numpy arrays, optional
        For diagonal gates, ``(A, B)`` with ``A`` of shape
        ``(n_params, 2**k)`` and ``B`` of shape ``(2**k,)`` such that the
        diagonal is ``exp(1j * (theta @ A + B))``.
    qasm : str
        Name in OpenQASM 2.0 (``qelib1.inc``) or ``""`` when the exporter
        must write a gate definition.
    real : bool
        True when the matrix is real for every parameter value; the
        simulator then applies it with real arithmetic.
    """

    name: str
    n_wires: int
    n_params: int
    matrix: Callable[[jnp.ndarray, jnp.dtype], jnp.ndarray]
    phase_linear: tuple[np.ndarray, np.ndarray] | None = None
    qasm: str = ""
    real: bool = False

    @property
    def is_diagonal(self) -> bool:
        """True for gates that are diagonal in the computational basis."""
        return self.phase_linear is not None


GATES: dict[str, GateSpec] = {}
_ALIASES: dict[str, str] = {}


def register_gate(spec: GateSpec, aliases: tuple[str, ...] = ()) -> GateSpec:
    """Add a gate to the registry (names are case-insensitive)."""
    if spec.name in GATES:
        raise ValueError(f"gate {spec.name!r} is already registered")
    GATES[spec.name] = spec
    for alias in aliases:
        _ALIASES[alias] = spec.name
    return spec


def canonical_gate_name(name: str) -> str:
    """Map a gate name or alias to its canonical registry name.

    Raises
    ------
    ValueError
        If the name is not registered.
    """
    key = str(name).lower()
    key = _ALIASES.get(key, key)
    if key not in GATES:
        known = ", ".join(sorted(GATES))
        raise ValueError(f"unknown gate {name!r}; registered gates are: {known}")
    return key


def gate_matrix(name: str, params: tuple[float, ...] = (), dtype=jnp.complex64) -> np.ndarray:
    """Return the unitary of a registered gate as a NumPy array.

    The matrix is computed in ``dtype`` and the angles in its real
    counterpart; a 128-bit complex ``dtype`` is honoured (computed in float64)
    whether or not JAX's x64 mode is on, which is how the NumPy consumers
    (OpenQASM reading and writing, circuit-to-MPS conversion) get exact
    complex128 matrices. The simulators' own precision rule is in
    :mod:`qinspired.circuits._engine`.
    """
    spec = GATES[canonical_gate_name(name)]
    dtype = np.dtype(dtype)
    theta = np.asarray(params, dtype=float).reshape(spec.n_params)
    with _precision(dtype):
        return np.asarray(spec.matrix(jnp.asarray(theta, dtype=_real_dtype(dtype)), dtype))


def _precision(dtype: np.dtype):
    """A context in which JAX computes in ``dtype``: x64 on for 128-bit complex numbers."""
    if dtype.itemsize < 16 or jax.config.jax_enable_x64:
        return contextlib.nullcontext()
    enable = getattr(jax, "enable_x64", None)
    if enable is None:  # older JAX
        from jax.experimental import enable_x64 as enable
    return enable(True)


def _real_dtype(dtype) -> np.dtype:
    return np.dtype(jax.dtypes.canonicalize_dtype(np.finfo(dtype).dtype))


def _const(matrix: np.ndarray) -> Callable[[jnp.ndarray, jnp.dtype], jnp.ndarray]:
    frozen = np.asarray(matrix, dtype=np.complex128)
    frozen.setflags(write=False)

    def build(theta: jnp.ndarray, dtype: jnp.dtype) -> jnp.ndarray:
        return jnp.asarray(frozen, dtype=dtype)

    return build


def _diag_from_phases(phase_linear: tuple[np.ndarray, np.ndarray]):
    a, b = phase_linear

    def build(theta: jnp.ndarray, dtype: jnp.dtype) -> jnp.ndarray:
        rdtype = _real_dtype(dtype)
        phases = jnp.asarray(b, rdtype)
        if a.shape[0]:
            phases = phases + theta.astype(rdtype) @ jnp.asarray(a, rdtype)
        return jnp.diag(jnp.exp(1j * phases).astype(dtype))

    return build


def _controlled(u: Callable[[jnp.ndarray, jnp.dtype], jnp.ndarray], n_controls: int = 1):
    def build(theta: jnp.ndarray, dtype: jnp.dtype) -> jnp.ndarray:
        block = u(theta, dtype)
        dim = block.shape[0] * 2**n_controls
        out = jnp.eye(dim, dtype=dtype)
        return out.at[dim - block.shape[0] :, dim - block.shape[0] :].set(block)

    return build


def _rx(theta, dtype):
    c, s = jnp.cos(theta[0] / 2), jnp.sin(theta[0] / 2)
    return jnp.array([[c, -1j * s], [-1j * s, c]], dtype=dtype)


def _ry(theta, dtype):
    c, s = jnp.cos(theta[0] / 2), jnp.sin(theta[0] / 2)
    return jnp.array([[c, -s], [s, c]], dtype=dtype)


def _u3(theta, dtype):
    t, phi, lam = theta[0], theta[1], theta[2]
    c, s = jnp.cos(t / 2), jnp.sin(t / 2)
    return jnp.array(
        [
            [c, -jnp.exp(1j * lam) * s],
            [jnp.exp(1j * phi) * s, jnp.exp(1j * (phi + lam)) * c],
        ],
        dtype=dtype,
    )


_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.diag([1.0, -1.0]).astype(complex)
_I2 = np.eye(2, dtype=complex)


def _pauli_pair_rotation(p: np.ndarray):
    pp = np.kron(p, p)

    def build(theta, dtype):
        c, s = jnp.cos(theta[0] / 2), jnp.sin(theta[0] / 2)
        return (c * jnp.eye(4, dtype=dtype) - 1j * s * jnp.asarray(pp, dtype)).astype(dtype)

    return build


def _fixed(name, matrix, qasm, aliases=(), phases=None):
    n_wires = int(np.log2(np.asarray(matrix).shape[0]))
    linear = None
    if phases is not None:
        linear = (np.zeros((0, 2**n_wires)), np.asarray(phases, dtype=float))
    real = bool(np.all(np.imag(matrix) == 0))
    register_gate(GateSpec(name, n_wires, 0, _const(matrix), linear, qasm, real), aliases)


def _diagonal(name, a, b, qasm, aliases=()):
    a = np.atleast_2d(np.asarray(a, dtype=float))
    b = np.asarray(b, dtype=float)
    n_wires = int(np.log2(b.shape[0]))
    linear = (a, b)
    register_gate(
        GateSpec(name, n_wires, a.shape[0], _diag_from_phases(linear), linear, qasm), aliases
    )


_fixed("i", _I2, "id", aliases=("id", "identity"), phases=[0.0, 0.0])
_fixed("x", _X, "x")
_fixed("y", _Y, "y")
_fixed("z", _Z, "z", phases=[0.0, _PI])
_fixed("h", np.array([[1, 1], [1, -1]]) / np.sqrt(2), "h", aliases=("hadamard",))
_fixed("s", np.diag([1, 1j]), "s", phases=[0.0, _PI / 2])
_fixed("sdg", np.diag([1, -1j]), "sdg", phases=[0.0, -_PI / 2])
_fixed("t", np.diag([1, np.exp(1j * _PI / 4)]), "t", phases=[0.0, _PI / 4])
_fixed("tdg", np.diag([1, np.exp(-1j * _PI / 4)]), "tdg", phases=[0.0, -_PI / 4])
_fixed("sx", np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]) / 2, "sx")
_fixed("sxdg", np.array([[1 - 1j, 1 + 1j], [1 + 1j, 1 - 1j]]) / 2, "sxdg")
register_gate(GateSpec("rx", 1, 1, _rx, None, "rx"))
register_gate(GateSpec("ry", 1, 1, _ry, None, "ry", real=True))
_diagonal("rz", [-0.5, 0.5], [0.0, 0.0], "rz")
_diagonal("p", [0.0, 1.0], [0.0, 0.0], "p", aliases=("phase", "u1"))
register_gate(GateSpec("u3", 1, 3, _u3, None, "u3"), aliases=("u",))

_CX = np.eye(4, dtype=complex)[[0, 1, 3, 2]]
_fixed("cx", _CX, "cx", aliases=("cnot",))
_fixed("cy", np.block([[_I2, 0 * _I2], [0 * _I2, _Y]]), "cy")
_fixed("cz", np.diag([1, 1, 1, -1]), "cz", phases=[0.0, 0.0, 0.0, _PI])
_fixed("swap", np.eye(4, dtype=complex)[[0, 2, 1, 3]], "swap")
_fixed(
    "iswap",
    np.array([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]]),
    "",
)
register_gate(GateSpec("crx", 2, 1, _controlled(_rx), None, "crx"))
register_gate(GateSpec("cry", 2, 1, _controlled(_ry), None, "cry", real=True))
_diagonal("crz", [0.0, 0.0, -0.5, 0.5], [0.0] * 4, "crz")
_diagonal("cp", [0.0, 0.0, 0.0, 1.0], [0.0] * 4, "cp", aliases=("cphase", "cu1"))
register_gate(GateSpec("rxx", 2, 1, _pauli_pair_rotation(_X), None, "rxx"))
register_gate(GateSpec("ryy", 2, 1, _pauli_pair_rotation(_Y), None, ""))
_diagonal("rzz", [-0.5, 0.5, 0.5, -0.5], [0.0] * 4, "rzz")
_fixed("ccx", np.eye(8, dtype=complex)[[0, 1, 2, 3, 4, 5, 7, 6]], "ccx", aliases=("toffoli",))
register_gate(GateSpec("unitary", 0, 0, _const(np.eye(1)), None, ""))
