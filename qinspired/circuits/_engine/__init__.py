r"""The simulation engine: what the circuit simulators share.

The public simulators (:mod:`~qinspired.circuits.statevector`,
:mod:`~qinspired.circuits.density`, :mod:`~qinspired.circuits.trajectory`,
:mod:`~qinspired.circuits.mps_sim`, the Pauli-basis path of ``density`` and
:func:`~qinspired.circuits.ansatz.apply_ansatz`) validate their inputs and
call into this private subpackage for the numerics. Nothing here is public
API; the names are public within the package so that the simulators import
them without reaching into each other's private names.

What lives where
----------------
:mod:`~qinspired.circuits._engine.ops`
    The numerical kernels: the dtype policy, batch preparation (validate,
    broadcast and flatten ``x``, ``weights`` and initial states), angle
    evaluation, gate matrices, applying a ``k``-wire matrix to a batch of
    states, embedding a matrix on a block of wires, the phase vector of a
    fused diagonal run, and :func:`~qinspired.circuits._engine.ops.evolve`,
    which applies a planned step list to a pure state or a density matrix.
:mod:`~qinspired.circuits._engine.plan`
    Every simulator's planner: how a circuit becomes a short list of steps
    (fused diagonal runs, Kronecker layers, noise-cut schedules, Pauli-basis
    blocks, the trajectory scan table, ansatz slots). Plans are computed in
    Python, once per circuit structure, before tracing. Its module docstring
    states each fusion rule.
:mod:`~qinspired.circuits._engine.pair_scan`
    Batches of statevectors of circuits whose non-diagonal two-qubit gates
    the planner cannot fuse (Trotter steps, CNOT entanglers) as one
    ``lax.scan`` over ``4 x 4`` pair steps, so the compiled program grows
    with the number of wire pairs rather than the circuit's length (used by
    the kernels' state computation).

Precision rule
--------------
Angles are evaluated in the real dtype and gate matrices built in the
complex dtype of the simulation (:func:`~qinspired.circuits._engine.ops.
complex_dtype`), from one lookup in the gate registry
(:data:`~qinspired.circuits.gates.GATES`). A gate registered as ``real``
comes back as a real matrix, so the simulators, which keep states as real
``(2, ...)`` pairs of real and imaginary parts, apply it with real
arithmetic only. NumPy consumers that need exact matrices (OpenQASM export
and import, circuit-to-MPS conversion) ask
:func:`~qinspired.circuits.gates.gate_matrix` for ``complex128``, which it
computes in float64 whether or not JAX's x64 mode is on.

Dtype policy
------------
complex64 (float32 for real arrays) by default, complex128 (float64) when
the user enables JAX's x64 mode: :func:`~qinspired.circuits._engine.ops.
real_dtype` and :func:`~qinspired.circuits._engine.ops.complex_dtype` are
the only place that decides; the package never flips global JAX
configuration. Memory estimates use
:data:`~qinspired.circuits._engine.ops.WORKSPACE_FACTOR` batches of states.

Import direction
----------------
Simulators import the engine, never the other way: ``_engine`` imports only
:mod:`~qinspired.circuits.circuit`, :mod:`~qinspired.circuits.gates` and
:mod:`qinspired._validation`. ``plan`` imports no JAX and nothing from
``ops``; ``ops`` imports the step types of ``plan``.

Pytrees
-------
Domain objects (circuits, channels, noise models, tensor networks) use the
package's single pytree idiom, defined in :mod:`qinspired._pytree`.
"""
