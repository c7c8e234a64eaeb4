"""Exact statevector simulation.

``statevector(circuit, x, weights)`` is a jitted pure function of the data
and the weights, vectorised over batches with ``jax.vmap``. Structure is
exploited before brute force (see :mod:`qinspired.circuits._engine.plan`): diagonal
layers are one phase-vector multiply and single-qubit layers are applied in
Kronecker blocks. ``fuse=False`` applies the same circuit gate by gate.
Inside the simulation the state is kept as a real array of shape
``(2, 2**n)`` (real and imaginary parts), so real gates such as Hadamard
layers cost real arithmetic only; the result is returned as complex.

Qubit order: wire 0 is the most significant bit of the amplitude index.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._validation import check_memory, format_count
from qinspired.circuits._checks import check_finite_result
from qinspired.circuits._engine.ops import (
    WORKSPACE_FACTOR,
    angles,
    batch_inputs,
    cast_matrices,
    complex_dtype,
    evolve,
    initial_pair,
    prepare_state,
    real_dtype,
)
from qinspired.circuits._engine.plan import plan
from qinspired.circuits.circuit import Circuit

__all__ = [
    "as_circuit",
    "complex_dtype",
    "real_dtype",
    "statevector",
    "statevector_fn",
    "unitary",
]


def as_circuit(obj: Any) -> Circuit:
    """Return the :class:`Circuit` behind ``obj`` (a circuit or a feature map)."""
    if isinstance(obj, Circuit):
        return obj
    circuit = getattr(obj, "circuit", None)
    if isinstance(circuit, Circuit):
        return circuit
    hint = ""
    if callable(getattr(obj, "states", None)):
        hint = f"; {type(obj).__name__} computes its states directly with `.states(X)`"
    raise TypeError(
        f"expected a Circuit or an object with a `.circuit` attribute, "
        f"got {type(obj).__name__}{hint}"
    )


def _simulate(
    circuit: Circuit,
    x: jnp.ndarray,
    w: jnp.ndarray,
    psi0: jnp.ndarray | None,
    fuse: bool,
) -> jnp.ndarray:
    """The state ``U(x, w)|psi0>`` for one data point and one weight vector."""
    n = circuit.n_qubits
    psi = evolve(initial_pair(psi0, 2**n), plan(circuit.operations, n, fuse),
                 angles(circuit, x, w), circuit.matrices, n, density=False)
    return jax.lax.complex(psi[0], psi[1])


@partial(jax.jit, static_argnames=("fuse", "x_batched", "w_batched", "psi_batched"))
def _run(circuit, x, w, psi0, *, fuse, x_batched, w_batched, psi_batched):
    fn = partial(_simulate, circuit, fuse=fuse)
    axes = (0 if x_batched else None, 0 if w_batched else None, 0 if psi_batched else None)
    if any(a is not None for a in axes):
        return jax.vmap(fn, in_axes=axes)(x, w, psi0)
    return fn(x, w, psi0)


def statevector(
    circuit: Any,
    x: Any = None,
    weights: Any = None,
    *,
    initial_state: Any = None,
    fuse: bool = True,
) -> jax.Array:
    r"""Simulate a circuit exactly and return its state.

    Parameters
    ----------
    circuit : Circuit or feature map
        The circuit (anything with a ``.circuit`` attribute is accepted).
    x : array_like, shape (..., n_features), optional
        Data; required when the circuit reads features.
    weights : array_like, shape (..., n_weights), optional
        Trainable weights; required when the circuit reads weights.
    initial_state : array_like, shape (..., 2**n_qubits), optional
        Start from this state instead of :math:`|0\dots0\rangle`.
    fuse : bool, default True
        Fuse diagonal and single-qubit layers (fast). ``False`` applies the
        gates one by one; both give the same state.

    Returns
    -------
    jax.Array, shape (..., 2**n_qubits)
        Amplitudes, complex64 (complex128 with JAX's x64 mode). The leading
        batch shape is the broadcast of the batch shapes of ``x``,
        ``weights`` and ``initial_state``. Wire 0 is the most significant
        bit of the index.

    Raises
    ------
    ValueError
        For NaN/inf data, a wrong number of features or weights, a
        simulation that does not fit in device memory
        (:class:`~qinspired.SimulationTooLargeError`), or finite data whose
        simulation overflowed (an angle beyond float32's range, e.g. a ZZ
        phase of two features of 1e20): the result is checked once per call.

    Notes
    -----
    The function is jitted once per circuit structure and batch layout;
    calling it again with new data of the same shapes does not retrace. It is
    differentiable with :func:`jax.grad` in ``x`` and ``weights``. Inside
    ``jit``, ``vmap`` or ``grad`` the result cannot be checked: an overflow
    gives NaN amplitudes there.

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired.circuits import Circuit, feature, statevector
    >>> c = Circuit(1, [("ry", 0, feature(0))])
    >>> psi = statevector(c, [np.pi / 2])  # complex64 unless x64 is on
    >>> np.round(np.asarray(psi, dtype=complex).real, 4).tolist()
    [0.7071, 0.7071]
    """
    circ = as_circuit(circuit)
    n = circ.n_qubits
    psi0, pb = prepare_state(initial_state, n)
    batch, (xf, wf, psi_flat), (xb, wb, psb) = batch_inputs(circ, x, weights, psi0, pb, (2**n,))
    n_states = int(np.prod(batch, dtype=np.int64)) if batch else 1
    check_memory(
        WORKSPACE_FACTOR * n_states * 2**n * complex_dtype().itemsize,
        f"statevector simulation of {n} qubits for {n_states} state(s)",
    )
    out = _run(cast_matrices(circ), xf, wf, psi_flat, fuse=fuse, x_batched=xb, w_batched=wb, psi_batched=psb)
    check_finite_result(out, (x, weights, initial_state), "statevector: the amplitudes")
    return out.reshape(batch + (2**n,))


def statevector_fn(circuit: Any, *, fuse: bool = True) -> Callable[[Any, Any], jax.Array]:
    """A jitted pure function ``(x, weights) -> state`` for one data point.

    It does no input validation, so it composes freely with ``jax.vmap``,
    ``jax.grad`` and ``jax.jit``. Use :func:`statevector` for checked, batched
    calls.
    """
    circ = as_circuit(circuit)

    def fn(x: Any = None, weights: Any = None) -> jax.Array:
        xv = jnp.zeros((0,), real_dtype()) if x is None else jnp.asarray(x)
        wv = jnp.zeros((0,), real_dtype()) if weights is None else jnp.asarray(weights)
        return _run(circ, xv, wv, None, fuse=fuse, x_batched=False, w_batched=False,
                    psi_batched=False)

    return fn


def unitary(circuit: Any, x: Any = None, weights: Any = None) -> np.ndarray:
    """The circuit's full ``(2**n, 2**n)`` unitary for one data point, as NumPy.

    Column ``j`` is the state the circuit makes from basis state ``j``.

    Raises
    ------
    SimulationTooLargeError
        When the matrix and the simulation of its ``2**n`` columns (about
        six ``(2**n, 2**n)`` complex arrays at once) would not fit in memory;
        checked before anything is allocated.
    """
    circ = as_circuit(circuit)
    n = circ.n_qubits
    dim = 2**n
    # the identity, its batched copy for the simulation, the simulation's workspace
    # and the result brought back to the host, all at once
    check_memory(
        (WORKSPACE_FACTOR + 3) * dim * dim * complex_dtype().itemsize,
        f"unitary of {n} qubits ({dim} x {dim} = {format_count(dim * dim)} entries, "
        f"simulated as {format_count(dim)} states)",
        advice="use fewer qubits, or statevector() for the states you need",
    )
    basis = np.eye(dim, dtype=complex_dtype())
    xs = None if x is None else np.broadcast_to(np.asarray(x, float), (dim, circ.n_features))
    ws = None if weights is None else np.broadcast_to(
        np.asarray(weights, float), (dim, circ.n_weights)
    )
    return np.asarray(statevector(circ, xs, ws, initial_state=basis)).T
