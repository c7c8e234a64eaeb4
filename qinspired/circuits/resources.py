r"""What running a model on a quantum processor would take: circuits, shots, gates, depth.

A simulated model hides its hardware cost. These estimators state it: the
number of distinct circuits a QPU must execute, the shots for a stated
precision, and the gate counts and depth of each circuit, so a benchmark can
put the cost of a true-circuit model next to its accuracy.

Shots for precision: estimating a probability :math:`p` from :math:`m` shots
has standard error :math:`\sqrt{p(1-p)/m}`; to get a half-width
:math:`\varepsilon` at confidence :math:`1-\delta` (normal approximation,
:math:`z = \Phi^{-1}(1 - \delta/2)`) takes

.. math::

    m = \left\lceil \frac{z^2\, p (1 - p)}{\varepsilon^2} \right\rceil,

with the worst case :math:`p = 1/2` when :math:`p` is unknown. An expectation
value of a Pauli observable in :math:`[-1, 1]` is :math:`2p - 1`, so it needs
four times the shots for the same :math:`\varepsilon`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

from qinspired._validation import check_int, check_real
from qinspired.circuits.statevector import as_circuit

__all__ = [
    "CircuitResources",
    "circuit_resources",
    "kernel_resources",
    "shots_for_precision",
    "variational_resources",
]


@dataclass(frozen=True)
class CircuitResources:
    """Gate counts and depth of one circuit.

    Attributes
    ----------
    n_qubits, depth, n_gates, n_two_qubit_gates : int
    gate_counts : dict
        Gates by name.
    """

    n_qubits: int
    depth: int
    n_gates: int
    n_two_qubit_gates: int
    gate_counts: dict = field(default_factory=dict)


def circuit_resources(circuit: Any) -> CircuitResources:
    """Gate counts and depth of a circuit (or feature map)."""
    circ = as_circuit(circuit)
    return CircuitResources(
        n_qubits=circ.n_qubits,
        depth=circ.depth(),
        n_gates=len(circ.operations),
        n_two_qubit_gates=sum(len(op.wires) >= 2 for op in circ.operations),
        gate_counts=dict(circ.count_ops()),
    )


def shots_for_precision(epsilon: float, *, p: float | None = None,
                        confidence: float = 0.95, expectation: bool = False) -> int:
    """Shots to estimate a probability (or a Pauli expectation) to within ``epsilon``.

    Parameters
    ----------
    epsilon : float
        Half-width of the confidence interval.
    p : float, optional
        The probability, if known (worst case 1/2 otherwise).
    confidence : float, default 0.95
    expectation : bool, default False
        Estimate :math:`2p - 1` (a Pauli expectation value) instead of :math:`p`.

    Returns
    -------
    int
    """
    eps = check_real("shots_for_precision", "epsilon", epsilon, positive=True)
    conf = check_real("shots_for_precision", "confidence", confidence, positive=True)
    if conf >= 1:
        raise ValueError(f"shots_for_precision: confidence={conf} must be in (0, 1)")
    prob = 0.5 if p is None else check_real("shots_for_precision", "p", p)
    if not 0 <= prob <= 1:
        raise ValueError(f"shots_for_precision: p={prob} must be in [0, 1]")
    z = NormalDist().inv_cdf(1 - (1 - conf) / 2)
    var = prob * (1 - prob) * (4 if expectation else 1)
    return max(1, math.ceil(z * z * var / (eps * eps)))


def kernel_resources(feature_map: Any, n_train: int, n_test: int = 0, *,
                     precision: float = 0.01, confidence: float = 0.95) -> dict[str, Any]:
    """QPU cost of a fidelity-kernel model trained on ``n_train`` and tested on ``n_test`` points.

    Each Gram entry is one compute-uncompute circuit :math:`U(y)^\\dagger U(x)`
    measured for :math:`P(0^n)`: :math:`n(n-1)/2` training circuits (the
    diagonal is 1) and :math:`n_\\text{test} n_\\text{train}` test circuits.

    Returns
    -------
    dict
        ``circuits``, ``shots_per_circuit``, ``total_shots`` and the
        per-circuit ``n_qubits``, ``depth``, ``n_gates``, ``n_two_qubit_gates``.
    """
    n = check_int("kernel_resources", "n_train", n_train, 0)
    m = check_int("kernel_resources", "n_test", n_test, 0)
    circ = as_circuit(feature_map)
    one = circuit_resources(circ.compose(circ.inverse()))
    circuits = n * (n - 1) // 2 + m * n
    shots = shots_for_precision(precision, confidence=confidence)
    return {"circuits": circuits, "shots_per_circuit": shots, "total_shots": circuits * shots,
            "n_qubits": one.n_qubits, "depth": one.depth, "n_gates": one.n_gates,
            "n_two_qubit_gates": one.n_two_qubit_gates}


def variational_resources(circuit: Any, n_train: int, n_test: int = 0, *, epochs: int = 1,
                          n_observables: int = 1, precision: float = 0.01,
                          confidence: float = 0.95) -> dict[str, Any]:
    """QPU cost of training a variational circuit by parameter-shift gradients.

    Per training point and epoch: one circuit for the outputs and
    :math:`2 n_w` shifted circuits for the gradient (two-term shift rule per
    weight); each measures ``n_observables`` Pauli expectations (commuting
    observables share a circuit; counted here once per observable as an
    upper bound). Prediction costs one circuit per test point.

    Returns
    -------
    dict
        ``circuits``, ``shots_per_circuit``, ``total_shots`` and the
        per-circuit ``n_qubits``, ``depth``, ``n_gates``, ``n_two_qubit_gates``,
        ``n_weights``.
    """
    circ = as_circuit(circuit)
    n = check_int("variational_resources", "n_train", n_train, 0)
    m = check_int("variational_resources", "n_test", n_test, 0)
    ep = check_int("variational_resources", "epochs", epochs, 0)
    obs = check_int("variational_resources", "n_observables", n_observables, 1)
    one = circuit_resources(circ)
    circuits = (n * ep * (1 + 2 * circ.n_weights) + m) * obs
    shots = shots_for_precision(precision, confidence=confidence, expectation=True)
    return {"circuits": circuits, "shots_per_circuit": shots, "total_shots": circuits * shots,
            "n_qubits": one.n_qubits, "depth": one.depth, "n_gates": one.n_gates,
            "n_two_qubit_gates": one.n_two_qubit_gates, "n_weights": circ.n_weights}
