r"""Compute-uncompute fidelity kernels: one (noisy) circuit per pair of points.

On hardware a fidelity kernel entry is estimated by running
:math:`U(y)^\dagger U(x)` on :math:`|0^n\rangle` and counting how often every
qubit reads 0: :math:`k(x, y) = P(0^n)`, which is
:math:`|\langle\psi(y)|\psi(x)\rangle|^2` without noise. This module simulates
exactly that, pair by pair (statevector without noise, density matrix with
noise, readout errors applied to the measured bits), so the honest
:math:`N^2`-circuit cost of the hardware protocol can be compared with the
one-matrix-product state kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._validation import SimulationTooLargeError, format_bytes
from qinspired.circuits.circuit import Angle, Circuit, Factor, Operation
from qinspired.circuits._engine.ops import cast_matrices, complex_dtype, real_dtype, real_flags
from qinspired.circuits._engine.plan import resolve_noise
# The jitted, batched simulation cores, without the public functions' per-call validation
# and reshaping: every tile of pairs is already a validated (N, 2d) array.
from qinspired.circuits.density import _run_density
from qinspired.circuits.statevector import _run

__all__ = ["block", "compute_uncompute", "self_overlaps"]

_BLOCK_BYTES = 1 << 28


def _shift_angle(angle: Angle, shift: int) -> Angle:
    factors = tuple(Factor(f.source, f.index + shift, f.coef, f.shift) if f.source == "x" else f
                    for f in angle.factors)
    return Angle(factors, angle.scale, angle.offset)


def compute_uncompute(circuit: Circuit) -> Circuit:
    r"""The circuit :math:`U(y)^\dagger U(x)` on data ``concat(x, y)`` (``2 d`` features).

    Both halves read the same trainable weights.
    """
    d = circuit.n_features
    undo = circuit.inverse()
    shifted = tuple(Operation(op.name, op.wires, tuple(_shift_angle(a, d) for a in op.params),
                              op.adjoint, op.matrix_index) for op in undo.operations)
    second = Circuit(circuit.n_qubits, shifted, 2 * d, circuit.n_weights, circuit.matrices)
    first = Circuit(circuit.n_qubits, circuit.operations, 2 * d, circuit.n_weights,
                    circuit.matrices)
    return first.compose(second)


@dataclass(frozen=True)
class _PairBlock:
    """Block function: ``P(0^n)`` of the compute-uncompute circuit for every pair."""

    circuit: Circuit
    layout: tuple
    real_flags: tuple
    density: bool
    sampled: bool

    def zero_probability(self, params: dict, pairs: jax.Array) -> jax.Array:
        w = params["w"]
        if not self.density:
            psi = _run(self.circuit, pairs, w, None, fuse=True, x_batched=True,
                       w_batched=False, psi_batched=False)
            return jnp.abs(psi[:, 0]) ** 2
        rho = _run_density(self.circuit, pairs, w, None, params["channels"], layout=self.layout,
                           fuse=True, real_flags=self.real_flags, x_batched=True,
                           w_batched=False, rho_batched=False)
        diag = jnp.real(jnp.diagonal(rho, axis1=-2, axis2=-1))
        return diag @ params["readout_row"]

    def __call__(self, params: dict, a: jax.Array, b: jax.Array, key: jax.Array) -> jax.Array:
        ra, rb = a.shape[0], b.shape[0]
        pairs = jnp.concatenate([jnp.repeat(a, rb, axis=0), jnp.tile(b, (ra, 1))], axis=1)
        p0 = self.zero_probability(params, pairs).reshape(ra, rb)
        if not self.sampled:
            return p0
        hits = jax.random.binomial(key, params["shots"], jnp.clip(p0, 0.0, 1.0))
        return hits / params["shots"]


def _readout_row(noise: Any, n: int) -> np.ndarray:
    """P(read 0^n | basis state b) for every b (the indicator of b = 0 for perfect readout)."""
    row = np.ones(1)
    errors = noise.readout_errors(n) if hasattr(noise, "readout_errors") else (None,) * n
    for err in errors:
        m0 = np.array([1.0, 0.0]) if err is None else np.asarray(err.confusion_matrix())[0]
        row = np.kron(row, m0)
    return row.astype(real_dtype())


def _setup(kernel: Any, n_features: int, shots: int | None) -> tuple[_PairBlock, dict, int]:
    circ = kernel._encoding(np.zeros((0, n_features)))[0]
    cu = compute_uncompute(circ)
    cu = cast_matrices(cu)
    n = circ.n_qubits
    w = kernel._weights(circ)
    params: dict = {"w": jnp.zeros((0,), real_dtype()) if w is None else jnp.asarray(w)}
    density = kernel.noise is not None
    per_pair = (4**n if density else 2**n) * complex_dtype().itemsize * 3
    if per_pair > _BLOCK_BYTES:
        raise SimulationTooLargeError(
            f"mode='circuit' simulates one {n}-qubit {'density matrix' if density else 'state'} "
            f"per pair, {format_bytes(per_pair)} each; use mode='state' or fewer qubits")
    layout, flags = (), ()
    if density:
        channels, layout = resolve_noise(cu, kernel.noise)
        flags = real_flags(channels)
        params["channels"] = channels
        params["readout_row"] = jnp.asarray(_readout_row(kernel.noise, n))
    if shots is not None:
        params["shots"] = float(shots)
    side = max(1, int(np.sqrt(_BLOCK_BYTES // per_pair)))
    return _PairBlock(cu, layout, flags, density, shots is not None), params, side


def block(kernel: Any, data: np.ndarray, shots: int | None, tile: int
          ) -> tuple[_PairBlock, dict, int]:
    """The block function, its parameters and a tile size that bounds the pair workspace."""
    fn, params, side = _setup(kernel, np.shape(data)[1], shots)
    return fn, params, max(1, min(tile, side))


def self_overlaps(kernel: Any, data: np.ndarray) -> np.ndarray:
    """Exact ``P(0^n)`` of ``U(x)^\\dagger U(x)`` for every point (noise included)."""
    fn, params, side = _setup(kernel, np.shape(data)[1], None)
    data = np.asarray(data)
    step = max(1, side * side)
    parts = [np.asarray(fn.zero_probability(params, jnp.asarray(
        np.concatenate([data[i:i + step], data[i:i + step]], axis=1))))
        for i in range(0, len(data), step)]
    return np.concatenate(parts) if parts else np.zeros(0)
