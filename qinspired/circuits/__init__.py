"""Exact circuit simulation in JAX.

Circuits (:class:`Circuit`) are immutable and validated when built; their
gate angles come from data features, trainable weights or constants.
:func:`statevector` simulates them exactly, jitted and vectorised over
batches; the measurement functions turn states into probabilities,
expectation values, samples and reduced density matrices.

Qubit-ordering convention (used everywhere in qinspired): wire 0 is the
**most significant** bit of the amplitude index, so the basis state
:math:`|b_0 b_1 \\dots b_{n-1}\\rangle` has index
:math:`\\sum_q b_q 2^{n-1-q}`. Qiskit uses the opposite order (its qubit 0 is
the least significant bit); PennyLane uses ours.
"""

from qinspired._validation import SimulationTooLargeError
from qinspired.circuits import channels
from qinspired.circuits.ansatz import (
    ANSATZE,
    apply_ansatz,
    hardware_efficient_ansatz,
    make_ansatz,
    mps_ansatz,
    readout_wires,
    tree_pairs,
    ttn_ansatz,
    two_qubit_block,
    variational_circuit,
)
from qinspired.circuits.channels import ReadoutError
from qinspired.circuits.circuit import (
    Angle,
    Circuit,
    CircuitBuilder,
    Factor,
    Operation,
    const,
    feature,
    weight,
)
from qinspired.circuits.density import density_expectation, density_matrix
from qinspired.circuits.gates import GATES, GateSpec, gate_matrix, register_gate
from qinspired.circuits.measure import (
    expectation,
    expval,
    marginal_probabilities,
    probabilities,
    reduced_density_matrix,
    sample,
)
from qinspired.circuits.mitigation import (
    MitigationResult,
    extrapolate,
    fold_circuit,
    mitigate_readout,
    zero_noise_extrapolation,
)
from qinspired.circuits.mps_convert import circuit_to_mps, decompose_unitaries, mps_to_circuit
from qinspired.circuits.mps_sim import MPSResult, mps_state
from qinspired.circuits.noise_model import NoiseModel, UnusedNoiseWarning
from qinspired.circuits.observables import PauliSum, pauli
from qinspired.circuits.qasm import QasmError, from_qasm, to_qasm
from qinspired.circuits.resources import (
    CircuitResources,
    circuit_resources,
    kernel_resources,
    shots_for_precision,
    variational_resources,
)
from qinspired.circuits.shots import counts, estimate_expectation, sample_bits
from qinspired.circuits.statevector import (
    as_circuit,
    statevector,
    statevector_fn,
    unitary,
)
from qinspired.circuits.tn_export import circuit_to_tensornetwork
from qinspired.circuits.trajectory import (
    trajectories,
    trajectory_density,
    trajectory_expectation,
)
from qinspired.circuits.variational import (
    VariationalHead,
    VariationalModel,
    variational_model,
)

__all__ = [
    "ANSATZE",
    "Angle",
    "Circuit",
    "CircuitBuilder",
    "CircuitResources",
    "Factor",
    "GATES",
    "GateSpec",
    "MPSResult",
    "MitigationResult",
    "NoiseModel",
    "Operation",
    "PauliSum",
    "QasmError",
    "ReadoutError",
    "SimulationTooLargeError",
    "UnusedNoiseWarning",
    "VariationalHead",
    "VariationalModel",
    "apply_ansatz",
    "as_circuit",
    "channels",
    "circuit_resources",
    "circuit_to_mps",
    "circuit_to_tensornetwork",
    "const",
    "counts",
    "decompose_unitaries",
    "density_expectation",
    "density_matrix",
    "estimate_expectation",
    "expectation",
    "expval",
    "extrapolate",
    "feature",
    "fold_circuit",
    "from_qasm",
    "gate_matrix",
    "hardware_efficient_ansatz",
    "kernel_resources",
    "make_ansatz",
    "marginal_probabilities",
    "mitigate_readout",
    "mps_ansatz",
    "mps_state",
    "mps_to_circuit",
    "pauli",
    "probabilities",
    "readout_wires",
    "reduced_density_matrix",
    "register_gate",
    "sample",
    "sample_bits",
    "shots_for_precision",
    "statevector",
    "statevector_fn",
    "to_qasm",
    "trajectories",
    "trajectory_density",
    "trajectory_expectation",
    "tree_pairs",
    "ttn_ansatz",
    "two_qubit_block",
    "unitary",
    "variational_circuit",
    "variational_model",
    "variational_resources",
    "weight",
    "zero_noise_extrapolation",
]
