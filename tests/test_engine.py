"""The simulation engine (qinspired.circuits._engine) against dense references."""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

import jax
import jax.numpy as jnp

from qinspired.circuits._engine.ops import apply_matrix, embed_matrix, sincos
from qinspired.circuits.gates import gate_matrix

ROOT = pathlib.Path(__file__).resolve().parents[1]


def random_matrix(rng: np.random.Generator, k: int) -> np.ndarray:
    return rng.normal(size=(2**k, 2**k)) + 1j * rng.normal(size=(2**k, 2**k))


def dense_operator(m: np.ndarray, wires: tuple[int, ...], n: int) -> np.ndarray:
    """``m`` on ``wires`` of ``n`` qubits, entry by entry from the bits (wire 0 the MSB)."""
    k = len(wires)
    out = np.zeros((2**n, 2**n), dtype=complex)
    for row in range(2**n):
        for col in range(2**n):
            rb = [(row >> (n - 1 - q)) & 1 for q in range(n)]
            cb = [(col >> (n - 1 - q)) & 1 for q in range(n)]
            if any(rb[q] != cb[q] for q in range(n) if q not in wires):
                continue
            r = sum(rb[w] << (k - 1 - j) for j, w in enumerate(wires))
            c = sum(cb[w] << (k - 1 - j) for j, w in enumerate(wires))
            out[row, col] = m[r, c]
    return out


def test_gate_matrix_gives_float64_accuracy_for_complex128() -> None:
    theta = 0.1234567891234
    m = gate_matrix("rx", (theta,), np.complex128)
    expected = np.array([[np.cos(theta / 2), -1j * np.sin(theta / 2)],
                         [-1j * np.sin(theta / 2), np.cos(theta / 2)]])
    assert m.dtype == np.complex128
    np.testing.assert_allclose(m, expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("wires", [(2, 0), (1,), (0, 2), (2, 1, 0)])
def test_embed_matrix_matches_the_dense_operator(wires: tuple[int, ...]) -> None:
    m = random_matrix(np.random.default_rng(len(wires)), len(wires))
    np.testing.assert_allclose(embed_matrix(m, wires, (0, 1, 2)), dense_operator(m, wires, 3),
                               atol=1e-12)


@pytest.mark.parametrize("wires", [(3, 1), (0,), (2, 0, 3)])
def test_apply_matrix_on_a_pair_state_matches_the_dense_operator(wires: tuple[int, ...]) -> None:
    rng = np.random.default_rng(7)
    n = 4
    m = random_matrix(rng, len(wires))
    psi = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    pair = np.stack([psi.real, psi.imag]).astype(np.float32)
    out = np.asarray(apply_matrix(pair, m, wires, n))
    np.testing.assert_allclose(out[0] + 1j * out[1], dense_operator(m, wires, n) @ psi,
                               rtol=1e-4, atol=1e-4)


# The jitted, batched simulation cores the tiled circuit-mode kernel calls without the
# public functions' per-call validation, and the density matrices the kernel's chunked
# states compute without the per-call check of their result (one check of all chunks
# instead); justified where they are imported.
ALLOWED_PRIVATE_IMPORTS = {
    ("kernels/_circuit_mode.py", "qinspired.circuits.density", "_run_density"),
    ("kernels/_circuit_mode.py", "qinspired.circuits.statevector", "_run"),
    ("kernels/_states.py", "qinspired.circuits.density", "_density_matrix"),
}


@pytest.mark.parametrize("scale", [1.0, 100.0, 1e4, 1e6])
def test_sincos_matches_float64_cosine_and_sine_of_the_float32_angle(scale: float) -> None:
    x = np.random.default_rng(0).uniform(-scale, scale, 100_000).astype(np.float32)
    x[:4] = [0.0, np.pi / 4, -np.pi / 2, 3 * np.pi / 4]
    c, s = jax.jit(sincos)(jnp.asarray(x))
    exact = x.astype(np.float64)
    np.testing.assert_allclose(np.asarray(c), np.cos(exact), rtol=0, atol=1.5e-7)
    np.testing.assert_allclose(np.asarray(s), np.sin(exact), rtol=0, atol=1.5e-7)


def test_sincos_stays_on_the_unit_circle_and_propagates_non_finite_angles() -> None:
    huge = np.random.default_rng(1).uniform(-1e9, 1e9, 10_000).astype(np.float32)
    c, s = (np.asarray(v, np.float64) for v in jax.jit(sincos)(jnp.asarray(huge)))
    np.testing.assert_allclose(c**2 + s**2, 1.0, atol=1e-5)
    bad = jnp.asarray([np.nan, np.inf, -np.inf], jnp.float32)
    assert all(np.isnan(np.asarray(v)).all() for v in sincos(bad))


def test_sincos_keeps_float64_exact() -> None:
    x = np.linspace(-50.0, 50.0, 101)
    with jax.enable_x64(True):
        c, s = sincos(jnp.asarray(x, jnp.float64))
        np.testing.assert_allclose(np.asarray(c), np.cos(x), rtol=0, atol=1e-15)
        np.testing.assert_allclose(np.asarray(s), np.sin(x), rtol=0, atol=1e-15)


def test_no_private_names_are_imported_from_public_modules() -> None:
    found = set()
    for path in sorted([*ROOT.glob("qinspired/**/*.py"), *ROOT.glob("kernels/**/*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not node.module:
                continue
            if node.module.split(".")[-1].startswith("_"):
                continue
            for alias in node.names:
                name = alias.name
                folder = "kernels" if node.module == "qinspired.kernels" else node.module
                is_module = (ROOT / folder.replace(".", "/") / f"{name}.py").exists()
                if name.startswith("_") and not name.startswith("__") and not is_module:
                    found.add((path.relative_to(ROOT).as_posix(), node.module, name))
    assert found <= ALLOWED_PRIVATE_IMPORTS, sorted(found - ALLOWED_PRIVATE_IMPORTS)
