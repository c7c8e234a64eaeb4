"""Amplitude encoding (Mottonen state preparation), exported by :mod:`qinspired.feature_maps`.

Its own module because its angles are non-linear in the data: it has no
data-parametrised circuit and shares none of the Pauli-rotation machinery of
the other maps.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._feature_map_base import FeatureMap
from qinspired._validation import as_float_array, check_real, is_traced
from qinspired.circuits.circuit import Circuit
from qinspired.circuits.statevector import complex_dtype

__all__ = ["AmplitudeEncoding"]


class AmplitudeEncoding(FeatureMap):
    r"""Amplitude encoding of a real vector, with Mottonen state preparation.

    On :math:`n = \max(1, \lceil \log_2 d \rceil)` qubits, the data are padded
    with ``pad_with`` (:math:`p`) to length :math:`2^n` and normalised:

    .. math::

        |\phi(x)\rangle = \frac{1}{\lVert \tilde x \rVert} \sum_{k=0}^{2^n - 1}
            \tilde x_k\, |k\rangle, \qquad \tilde x = (x_0, \dots, x_{d-1}, p, \dots, p).

    The amplitudes are real (signs allowed), so :math:`R_Y` and CNOT suffice:
    qubit :math:`k` gets a rotation uniformly controlled by qubits
    :math:`0..k-1`, with angle :math:`\alpha_c = 2\,\mathrm{atan2}(\lVert
    \tilde x_{c1\ast}\rVert, \lVert \tilde x_{c0\ast}\rVert)`
    for control value :math:`c` (norms of the two halves of block :math:`c`; on
    the last qubit the signed amplitudes themselves). It is decomposed into
    :math:`2^k` gates :math:`R_Y(\theta_i)` and :math:`2^k` CNOTs in Gray-code
    order, :math:`\theta = 2^{-k} M^{\mathsf T}\alpha`,
    :math:`M_{ci} = (-1)^{c \cdot g_i}`, :math:`g_i` the Gray code of :math:`i`:
    :math:`2^n - 1` rotations and :math:`2^n - 2` CNOTs in all.

    The angles are non-linear in :math:`x`, so this map has no ``.circuit`` and
    :func:`~qinspired.circuits.statevector` does not take it: use
    :meth:`states` (batches), :meth:`state` (one point) or :meth:`prepare`
    (the concrete circuit of one point).

    Parameters
    ----------
    n_features : int
        Length :math:`d` of the data vector.
    pad_with : float, default 0.0
        Value :math:`p` of the padding entries.

    References
    ----------
    M. Mottonen, J. J. Vartiainen, V. Bergholm and M. M. Salomaa,
    "Transformation of quantum states using uniformly controlled rotations",
    Quantum Inf. Comput. 5, 467-473 (2005).

    Examples
    --------
    >>> fm = AmplitudeEncoding(3)
    >>> fm.n_qubits, fm.state([3.0, 0.0, -4.0]).tolist()
    (2, [0.6, 0.0, -0.8, 0.0])
    >>> fm.resources()["n_cx"]
    2
    """

    name = "amplitude"

    def __init__(self, n_features: int, pad_with: float = 0.0) -> None:
        self.n_features = n_features
        self.pad_with = pad_with

    def _check(self) -> None:
        self._n()
        check_real("AmplitudeEncoding", "pad_with", self.pad_with)

    @property
    def circuit(self) -> Circuit:  # type: ignore[override]
        """Not available (``AttributeError``): the circuit depends non-linearly on x."""
        raise AttributeError("AmplitudeEncoding has no data-parametrised circuit; use "
                             "states(X), state(x) or prepare(x)")

    @property
    def n_qubits(self) -> int:
        """``max(1, ceil(log2(n_features)))``."""
        self._check()
        return max(1, (int(self.n_features) - 1).bit_length())

    @property
    def n_weights(self) -> int:
        """Always 0."""
        return 0

    def _padded(self, X: Any) -> Any:
        xp = jnp if is_traced(X) else np
        shape = X.shape[:-1] + (2**self.n_qubits - int(self.n_features),)
        return xp.concatenate([X, xp.full(shape, float(self.pad_with), X.dtype)], axis=-1)

    def _checked(self, X: Any, name: str) -> np.ndarray:
        self._check()
        arr = as_float_array(X, name)
        if arr.ndim == 0 or arr.shape[-1] != int(self.n_features):
            raise ValueError(f"{name} must have n_features={self.n_features} entries on its "
                             f"last axis, got shape {arr.shape}")
        return arr

    def state(self, x: Any) -> np.ndarray:
        """The normalised, padded amplitudes of one data point (float64 NumPy)."""
        arr = self._checked(x, "x").astype(np.float64)
        if arr.ndim != 1:
            raise ValueError(f"x must be one data point of shape ({self.n_features},), got "
                             f"shape {arr.shape}; use states(X) for batches")
        v = self._padded(arr)
        norm = float(np.linalg.norm(v))
        if norm == 0.0:
            raise ValueError("x is all zero (after padding) and cannot be normalised")
        return v / norm

    def states(self, X: Any) -> jax.Array:
        """Normalised amplitudes of a batch, shape ``(..., 2**n_qubits)``.

        The dtype is that of :func:`~qinspired.circuits.statevector` (complex64,
        complex128 with x64) so the result can stand wherever simulated states
        are expected. ``ValueError`` for NaN/inf or a row that is all zero after
        padding (not checked under ``jit``).
        """
        if is_traced(X):
            v = self._padded(X)
            return (v / jnp.linalg.norm(v, axis=-1, keepdims=True)).astype(complex_dtype())
        v = self._padded(self._checked(X, "X"))
        norms = np.linalg.norm(v, axis=-1, keepdims=True)
        if np.any(norms == 0.0):
            bad = np.argwhere(norms[..., 0] == 0.0)[:5].tolist()
            raise ValueError(f"rows {bad} of X are all zero (after padding) and cannot be "
                             "normalised")
        return jnp.asarray(v / norms).astype(complex_dtype())

    def prepare(self, x: Any) -> Circuit:
        """The RY/CNOT circuit (constant angles) preparing :meth:`state` ``(x)`` from 0."""
        amps, n, ops = self.state(x), self.n_qubits, []
        for k in range(n):
            blocks = amps.reshape(2**k, 2, 2 ** (n - k - 1))
            if k == n - 1:  # signed amplitudes on the last qubit
                alpha = 2.0 * np.arctan2(blocks[:, 1, 0], blocks[:, 0, 0])
            else:
                norms = np.linalg.norm(blocks, axis=2)
                alpha = 2.0 * np.arctan2(norms[:, 1], norms[:, 0])
            if k == 0:
                ops.append(("ry", 0, float(alpha[0])))
                continue
            gray = [i ^ (i >> 1) for i in range(2**k)]
            signs = np.array([[(-1) ** bin(c & g).count("1") for g in gray] for c in range(2**k)])
            theta = signs.T @ alpha / 2**k
            for i in range(2**k):
                bit = (gray[i] ^ gray[(i + 1) % 2**k]).bit_length() - 1
                ops += [("ry", k, float(theta[i])), ("cx", (k - 1 - bit, k))]
        return Circuit(n, ops)

    def resources(self) -> dict[str, int]:
        """Qubits, RY and CX counts and depth of :meth:`prepare` (the same for every x)."""
        circ = self.prepare(np.ones(int(self.n_features)))
        counts = circ.count_ops()
        return {"n_qubits": circ.n_qubits, "n_ry": counts.get("ry", 0),
                "n_cx": counts.get("cx", 0), "depth": circ.depth()}


# Documented, pickled and trusted by the model format under its public path.
AmplitudeEncoding.__module__ = "qinspired.feature_maps"

