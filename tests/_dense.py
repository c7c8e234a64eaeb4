"""Shared test helpers: dense NumPy references, random circuits and channels, finite differences.

The references are built from textbook matrices with ``kron`` products and
``tensordot``, never with the simulators they check. Test modules import these
helpers (``from _dense import ...``); no test module imports another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import jax
import jax.numpy as jnp
import numpy as np
from scipy.linalg import expm

from qinspired.circuits import GATES, Circuit, feature, gate_matrix, weight

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


def random_kraus(rng: np.random.Generator, n_wires: int, n_ops: int = 2) -> np.ndarray:
    """Kraus operators of a random channel: blocks of a random isometry V, V^H V = I."""
    d = 2**n_wires
    v = random_unitary(rng, d * n_ops)[:, :d]
    return v.reshape(n_ops, d, d)


# ------------------------------------------------------------------ noise
def depolarizing_kraus(p):
    """(1-p) rho + p I/2 = (1 - 3p/4) rho + p/4 (X rho X + Y rho Y + Z rho Z)."""
    w = [1 - 3 * p / 4, p / 4, p / 4, p / 4]
    return np.stack([np.sqrt(c) * PAULI[s] for c, s in zip(w, "IXYZ")])


def depolarizing2_kraus(p):
    """(1-p) rho + p I/4: weight 1 - 15p/16 on II and p/16 on the other 15 Pauli pairs."""
    ops = [np.kron(PAULI[a], PAULI[b]) for a in "IXYZ" for b in "IXYZ"]
    w = [1 - 15 * p / 16] + [p / 16] * 15
    return np.stack([np.sqrt(c) * o for c, o in zip(w, ops)])


def amplitude_damping_kraus(g):
    """|0><0| + sqrt(1-g)|1><1| and sqrt(g)|0><1|."""
    return np.stack([np.diag([1.0, np.sqrt(1 - g)]), np.array([[0, np.sqrt(g)], [0, 0]])]) + 0j


def dense_noisy_rho(info, rules, n):
    """rho after each gate U rho U^H and, per rule in order, its channels' Kraus sums.

    ``rules`` holds ``(kraus, after, wires)``: a 1-qubit channel acts on each of the
    gate's wires (restricted to ``wires`` if given); a 2-qubit channel after 2-qubit
    gates only, on the gate's wires in order (equal to ``wires`` if given).
    """
    rho = np.zeros((2**n, 2**n), complex)
    rho[0, 0] = 1.0
    for name, gate_wires, u in info:
        e = embed(u, gate_wires, n)
        rho = e @ rho @ e.conj().T
        for kraus, after, only in rules:
            if after is not None and name not in after:
                continue
            if kraus.shape[-1] == 2:
                targets = [(w,) for w in gate_wires if only is None or w in only]
            elif len(gate_wires) == 2 and (only is None or tuple(only) == gate_wires):
                targets = [gate_wires]
            else:
                targets = []
            for t in targets:
                ks = [embed(k, t, n) for k in kraus]
                rho = sum(k @ rho @ k.conj().T for k in ks)
    return rho


# ------------------------------------------------------------------ random circuits
NAMED = sorted(g for g in GATES if g != "unitary")


def random_circuit(rng: np.random.Generator, n: int, n_ops: int, with_data: bool = False):
    """A random circuit over every gate, with long-range and reversed wires.

    Returns the circuit, its dense unitary (a product of embedded textbook
    matrices) and the data ``x`` its feature-fed angles read (three features).
    """
    ops, dense, x = [], np.eye(2**n, dtype=complex), rng.uniform(-2, 2, size=3)
    names = [g for g in NAMED if GATES[g].n_wires <= n] + ["unitary"]
    for _ in range(n_ops):
        name = names[rng.integers(len(names))]
        k = int(rng.integers(1, min(n, 3) + 1)) if name == "unitary" else GATES[name].n_wires
        wires = tuple(int(w) for w in rng.permutation(n)[:k])
        if name == "unitary":
            u = random_unitary(rng, 2**k)
            ops.append(("unitary", wires, u))
        else:
            params = tuple(rng.uniform(-np.pi, np.pi, size=GATES[name].n_params))
            angles = list(params)
            if with_data and params:
                i = int(rng.integers(3))
                angles[0] = feature(i, scale=0.7, offset=0.1)
                params = (0.7 * x[i] + 0.1,) + params[1:]
            ops.append((name, wires, *angles))
            u = textbook(name, params)
        dense = embed(u, wires, n) @ dense
    return Circuit(n, ops, n_features=3 if with_data else None), dense, x


def random_circuit_gates(rng: np.random.Generator, n: int, n_ops: int, required=()):
    """Random gates (every registered gate, long-range and reversed wires) + dense matrices.

    Returns the circuit, the list ``(name, wires, U)`` for a dense (noisy)
    reference, and the data ``x`` (the first parametrised gate reads feature 0).
    ``required`` appends constant gates ``(name, wires)`` at the end.
    """
    names = [g for g in NAMED if GATES[g].n_wires <= n] + ["unitary"]
    ops, info, x = [], [], np.array([0.37])
    used_feature = False
    for _ in range(n_ops):
        name = names[rng.integers(len(names))]
        k = int(rng.integers(1, 3)) if name == "unitary" else GATES[name].n_wires
        wires = tuple(int(w) for w in rng.permutation(n)[:k])
        if name == "unitary":
            u = random_unitary(rng, 2**k)
            ops.append(("unitary", wires, u))
        else:
            params = tuple(rng.uniform(-np.pi, np.pi, size=GATES[name].n_params))
            angles = list(params)
            if params and not used_feature:
                angles[0] = feature(0, scale=1.5, offset=-0.2)
                params = (1.5 * x[0] - 0.2,) + params[1:]
                used_feature = True
            ops.append((name, wires, *angles))
            u = textbook(name, params)
        info.append((name, wires, u))
    for name, wires in required:
        ops.append((name, wires))
        info.append((name, wires, textbook(name)))
    return Circuit(n, ops, n_features=1), info, x


def random_parametrised_circuit(rng: np.random.Generator, n: int, n_ops: int,
                                names: Iterable[str], *, n_features: int = 2,
                                n_weights: int = 3):
    """Random named gates whose angles are data-fed, weight-fed or constant.

    The first ``len(names)`` gates are ``names`` in order, the rest are drawn
    from them; wires are drawn at random (long-range and reversed pairs
    included). Successive angles read, in turn, ``scale * x[i] + offset``, a
    weight ``w[j]``, a constant and the product ``0.5 (pi - x[i]) (pi - x[k])``.
    Returns the circuit, ``x``, ``w`` and the list ``(name, wires, U)`` of
    textbook matrices at the angles' values (see :func:`gates_unitary`).
    """
    names = [g for g in names if GATES[g].n_wires <= n]
    x = rng.uniform(-2, 2, size=n_features)
    w = rng.uniform(-np.pi, np.pi, size=n_weights)
    ops, info, count = [], [], 0
    for t in range(n_ops):
        name = names[t] if t < len(names) else names[rng.integers(len(names))]
        wires = tuple(int(q) for q in rng.permutation(n)[:GATES[name].n_wires])
        angles, values = [], []
        for _ in range(GATES[name].n_params):
            kind, count = count % 4, count + 1
            i, k = (int(v) for v in rng.integers(n_features, size=2))
            if kind == 0:
                scale = rng.uniform(0.5, 1.5)
                angles.append(feature(i, scale=scale, offset=0.1))
                values.append(scale * x[i] + 0.1)
            elif kind == 1:
                j = int(rng.integers(n_weights))
                angles.append(weight(j))
                values.append(w[j])
            elif kind == 2:
                values.append(rng.uniform(-np.pi, np.pi))
                angles.append(values[-1])
            else:
                angles.append((np.pi - feature(i)) * (np.pi - feature(k)) * 0.5)
                values.append(0.5 * (np.pi - x[i]) * (np.pi - x[k]))
        ops.append((name, wires, *angles))
        info.append((name, wires, textbook(name, tuple(values))))
    return Circuit(n, ops, n_features=n_features, n_weights=n_weights), x, w, info


def gates_unitary(info, n: int) -> np.ndarray:
    """The product of the embedded matrices of a list ``(name, wires, U)``, first gate first."""
    out = np.eye(2**n, dtype=complex)
    for _, wires, u in info:
        out = embed(u, wires, n) @ out
    return out


def angle_value(angle, x=(), w=()) -> float:
    """``offset + scale * prod(shift + coef * v)`` of an :class:`~qinspired.circuits.Angle`."""
    prod = 1.0
    for f in angle.factors:
        prod *= f.shift + f.coef * (x if f.source == "x" else w)[f.index]
    return angle.offset + angle.scale * prod


def dense_unitary(circuit, x=(), w=()) -> np.ndarray:
    """Textbook-matrix product of a circuit of named gates at data ``x`` and weights ``w``."""
    info = []
    for op in circuit.operations:
        u = textbook(op.name, tuple(angle_value(a, x, w) for a in op.params))
        info.append((op.name, op.wires, u.conj().T if op.adjoint else u))
    return gates_unitary(info, circuit.n_qubits)


def noisy_example():
    """A 3-qubit circuit with a data-fed and two weight-fed angles, with its ``x`` and ``w``."""
    c = Circuit(3, [("h", 0), ("ry", 1, feature(0)), ("cx", (0, 2)), ("rx", 2, weight(0)),
                    ("cz", (1, 0)), ("ry", 0, weight(1))])
    return c, np.array([0.8]), np.array([0.3, -1.1])


# ------------------------------------------------------------------ finite differences
def central_differences(f: Callable[[np.ndarray], float], x, h: float = 1e-6,
                        entries: Iterable[tuple[int, ...]] | None = None) -> np.ndarray:
    """Central finite differences ``(f(x + h e) - f(x - h e)) / 2h`` of a scalar function.

    ``x`` is an array of any shape; the result has its shape (every entry) or,
    with ``entries`` (index tuples), one value per listed entry.
    """
    x = np.asarray(x, dtype=float)
    index = list(np.ndindex(x.shape)) if entries is None else [tuple(e) for e in entries]
    out = np.empty(len(index))
    for k, idx in enumerate(index):
        e = np.zeros_like(x)
        e[idx] = h
        out[k] = (float(f(x + e)) - float(f(x - e))) / (2 * h)
    return out.reshape(x.shape) if entries is None else out


def directional_difference(f: Callable[[np.ndarray], float], x, direction,
                           h: float = 1e-6) -> float:
    """Central finite difference of a scalar function along ``direction``."""
    x, direction = np.asarray(x, dtype=float), np.asarray(direction, dtype=float)
    return (float(f(x + h * direction)) - float(f(x - h * direction))) / (2 * h)


def assert_module_gradients_match(loss: Callable, layer, x, *, seed: int = 5,
                                  rtol: float = 1e-6) -> None:
    """``nnx.grad`` of ``loss(module, inputs)`` in the module's ``nnx.Param`` leaves and in
    ``x`` against central differences along one random direction each (run under x64)."""
    from flax import nnx
    from jax.flatten_util import ravel_pytree

    graphdef, params, rest = nnx.split(layer, nnx.Param, ...)
    flat, unravel = ravel_pytree(params)

    @jax.jit
    def loss_of(flat_params, inputs):
        return loss(nnx.merge(graphdef, unravel(flat_params), rest), inputs)

    grads, x_grad = nnx.jit(nnx.grad(loss, argnums=(0, 1)))(layer, x)
    flat_grad, _ = ravel_pytree(grads)
    rng = np.random.default_rng(seed)
    direction, dx = rng.normal(size=flat.shape), rng.normal(size=np.shape(x))
    fd = directional_difference(lambda v: loss_of(v, x), np.asarray(flat), direction)
    np.testing.assert_allclose(float(flat_grad @ direction), fd, rtol=rtol)
    fd_x = directional_difference(lambda v: loss_of(flat, v), x, dx)
    np.testing.assert_allclose(float(np.sum(np.asarray(x_grad) * dx)), fd_x, rtol=rtol)


def copy_state_through_numpy(source, target) -> None:
    """Save ``nnx.state(source)`` as plain NumPy arrays and load it into ``target``."""
    from flax import nnx

    saved = jax.tree.map(np.asarray, nnx.to_pure_dict(nnx.state(source)))
    assert all(isinstance(a, np.ndarray) for a in jax.tree.leaves(saved))
    state = nnx.state(target)
    nnx.replace_by_pure_dict(state, saved)
    nnx.update(target, state)


def assert_grad_matches_central_differences(loss, tree, leaves: Iterable[int], *, seed: int,
                                            n_entries: int = 3, h: float = 1e-6) -> None:
    """``jax.grad`` of a scalar ``loss`` against central finite differences at
    ``n_entries`` random entries of each chosen leaf (by index) of the pytree ``tree``."""
    grads = jax.tree.leaves(jax.jit(jax.grad(loss))(tree))
    tensors, treedef = jax.tree.flatten(tree)
    rng = np.random.default_rng(seed)
    for k in leaves:
        t = np.asarray(tensors[k])
        entries = [tuple(int(rng.integers(0, s)) for s in t.shape) for _ in range(n_entries)]

        def at(a, k=k):
            moved = tensors[:k] + [jnp.asarray(a, t.dtype)] + tensors[k + 1:]
            return loss(jax.tree.unflatten(treedef, moved))

        fd = central_differences(at, t, h, entries=entries)
        got = [float(np.asarray(grads[k])[e]) for e in entries]
        np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-8, err_msg=f"leaf {k}")
