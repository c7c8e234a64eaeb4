"""Independent dense-matrix references for the simulator tests (NumPy only)."""

from __future__ import annotations

import numpy as np
from scipy.linalg import expm

X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.diag([1.0, -1.0]).astype(complex)
I2 = np.eye(2, dtype=complex)
H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
PAULI = {"I": I2, "X": X, "Y": Y, "Z": Z}


def controlled(u: np.ndarray) -> np.ndarray:
    """|0><0| (x) I + |1><1| (x) u."""
    d = u.shape[0]
    return np.block([[np.eye(d), np.zeros((d, d))], [np.zeros((d, d)), u]])


def textbook(name: str, params: tuple[float, ...] = ()) -> np.ndarray:
    """Gate matrices written from their textbook definitions."""
    t = params[0] if params else 0.0
    table = {
        "i": lambda: I2,
        "x": lambda: X,
        "y": lambda: Y,
        "z": lambda: Z,
        "h": lambda: H,
        "s": lambda: np.diag([1, 1j]),
        "sdg": lambda: np.diag([1, -1j]),
        "t": lambda: np.diag([1, np.exp(1j * np.pi / 4)]),
        "tdg": lambda: np.diag([1, np.exp(-1j * np.pi / 4)]),
        "sx": lambda: expm(-1j * np.pi / 4 * X) * np.exp(1j * np.pi / 4),
        "sxdg": lambda: (expm(-1j * np.pi / 4 * X) * np.exp(1j * np.pi / 4)).conj().T,
        "rx": lambda: expm(-0.5j * t * X),
        "ry": lambda: expm(-0.5j * t * Y),
        "rz": lambda: expm(-0.5j * t * Z),
        "p": lambda: np.diag([1, np.exp(1j * t)]),
        "u3": lambda: np.diag([1, np.exp(1j * params[1])])
        @ expm(-0.5j * t * Y)
        @ np.diag([1, np.exp(1j * params[2])]),
        "cx": lambda: controlled(X),
        "cy": lambda: controlled(Y),
        "cz": lambda: controlled(Z),
        "swap": lambda: np.eye(4)[[0, 2, 1, 3]],
        "iswap": lambda: expm(0.25j * np.pi * (np.kron(X, X) + np.kron(Y, Y))),
        "crx": lambda: controlled(expm(-0.5j * t * X)),
        "cry": lambda: controlled(expm(-0.5j * t * Y)),
        "crz": lambda: controlled(expm(-0.5j * t * Z)),
        "cp": lambda: controlled(np.diag([1, np.exp(1j * t)])),
        "rxx": lambda: expm(-0.5j * t * np.kron(X, X)),
        "ryy": lambda: expm(-0.5j * t * np.kron(Y, Y)),
        "rzz": lambda: expm(-0.5j * t * np.kron(Z, Z)),
        "ccx": lambda: controlled(controlled(X)),
    }
    return np.asarray(table[name](), dtype=complex)


def embed(u: np.ndarray, wires: tuple[int, ...], n: int) -> np.ndarray:
    """Full 2**n operator of ``u`` acting on ``wires`` (wire 0 most significant)."""
    k = len(wires)
    rest = [q for q in range(n) if q not in wires]
    full = np.kron(u, np.eye(2 ** (n - k)))  # acts on the order wires + rest
    order = list(wires) + rest
    t = full.reshape((2,) * (2 * n))
    inv = np.argsort(order)
    t = t.transpose(list(inv) + [n + i for i in inv])
    return t.reshape(2**n, 2**n)


def pauli_matrix(label: dict[int, str], n: int) -> np.ndarray:
    """Dense Pauli string from {wire: letter}."""
    out = np.array([[1.0 + 0j]])
    for q in range(n):
        out = np.kron(out, PAULI[label.get(q, "I")])
    return out


def circuit_unitary(circuit) -> np.ndarray:
    """Gate-by-gate NumPy product (no simulator) of a constant-angle circuit."""
    import jax
    import jax.numpy as jnp

    from qinspired.circuits import gate_matrix

    n = circuit.n_qubits
    u = np.eye(2**n, dtype=complex).reshape((2,) * n + (2**n,))
    for op in circuit.operations:
        if op.name == "unitary":
            m = np.asarray(circuit.matrices[op.matrix_index], dtype=complex)
        else:
            with jax.enable_x64(True):
                m = gate_matrix(op.name, [a.constant_value for a in op.params], jnp.complex128)
        m = m.conj().T if op.adjoint else m
        k = len(op.wires)
        u = np.tensordot(m.reshape((2,) * (2 * k)), u, axes=(tuple(range(k, 2 * k)), op.wires))
        u = np.moveaxis(u, tuple(range(k)), op.wires)
    return u.reshape(2**n, 2**n)


def random_unitary(rng: np.random.Generator, dim: int) -> np.ndarray:
    """A Haar-random unitary (QR of a complex Gaussian matrix, phases fixed)."""
    a = rng.normal(size=(dim, dim)) + 1j * rng.normal(size=(dim, dim))
    q, r = np.linalg.qr(a)
    return q * (np.diag(r) / np.abs(np.diag(r)))
