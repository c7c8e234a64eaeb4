r"""A circuit as a ``tensornetwork`` node network.

:func:`circuit_to_tensornetwork` writes the circuit applied to
:math:`|0\dots0\rangle` as nodes of `TensorNetwork
<https://github.com/google/tensornetwork>`_ (the ``tensornetwork`` module of
tensornetwork-ng), for its contractors, path optimisers and visualisation:

* one input node per wire, the vector :math:`|0\rangle = (1, 0)`;
* one node per gate on ``k`` wires, its unitary :math:`U` reshaped to
  ``(2,) * 2k``: axes ``0 .. k-1`` are the outputs and ``k .. 2k-1`` the
  inputs, each in the order of the gate's wires (first wire most
  significant, as in :mod:`qinspired.circuits.gates`); input axis ``j`` is
  connected to the current edge of wire ``wires[j]``;
* the open (dangling) output edges in wire order.

Contracting all nodes with ``output_edge_order=edges`` gives the state as a
``(2,) * n_qubits`` tensor whose flattening is :func:`~qinspired.circuits.statevector`
(wire 0 most significant).

Examples
--------
>>> import numpy as np
>>> import tensornetwork as tn
>>> from qinspired.circuits import Circuit
>>> nodes, edges = circuit_to_tensornetwork(Circuit(2, [("h", 0), ("cx", (0, 1))]))
>>> psi = tn.contractors.greedy(nodes, output_edge_order=edges).tensor.reshape(-1)
>>> np.round(psi.real, 4).tolist()
[0.7071, 0.0, 0.0, 0.7071]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from qinspired.circuits.gates import gate_matrix
from qinspired.circuits.statevector import as_circuit

if TYPE_CHECKING:
    import tensornetwork

__all__ = ["circuit_to_tensornetwork"]


def circuit_to_tensornetwork(
    circuit: Any,
    x: Any = None,
    weights: Any = None,
    *,
    backend: str = "numpy",
) -> tuple[list[tensornetwork.Node], list[tensornetwork.Edge]]:
    """The circuit on :math:`|0\\dots0\\rangle` as ``tensornetwork`` nodes (see the module notes).

    Parameters
    ----------
    circuit : Circuit or feature map
        The circuit (anything with a ``.circuit``, e.g. a feature map).
    x : array_like, shape (n_features,), optional
        One data point; required when the circuit reads features.
    weights : array_like, shape (n_weights,), optional
        The weights; required when the circuit reads weights.
    backend : str, default "numpy"
        tensornetwork backend of the nodes (``"numpy"`` or ``"jax"``).

    Returns
    -------
    nodes : list of tensornetwork.Node
        The ``n_qubits`` input nodes, then one node per gate in circuit order;
        complex128 (on the JAX backend complex64 unless JAX's x64 mode is on).
    edges : list of tensornetwork.Edge
        The open output edge of each wire, wire 0 first.

    Raises
    ------
    ValueError
        When the circuit reads data or weights that are not given, or they
        have the wrong length.
    """
    import tensornetwork as tn  # imported on use: it adds a second to `import qinspired`

    circ = as_circuit(circuit)
    missing = [name for name, size, given in (("x", circ.n_features, x),
                                               ("weights", circ.n_weights, weights))
               if size and given is None]
    if missing:
        raise ValueError(f"circuit_to_tensornetwork: the circuit reads {' and '.join(missing)}; "
                         "pass them")
    bound = circ.bind(x if circ.n_features else None, weights if circ.n_weights else None)
    zero = np.array([1.0, 0.0], dtype=np.complex128)
    nodes = [tn.Node(zero, name=f"in_{q}", axis_names=[f"q{q}"], backend=backend)
             for q in range(circ.n_qubits)]
    edges = [node[0] for node in nodes]
    for i, op in enumerate(bound.operations):
        if op.matrix_index is not None:
            m = np.asarray(bound.matrices[op.matrix_index], dtype=np.complex128)
        else:
            m = gate_matrix(op.name, tuple(a.constant_value for a in op.params), np.complex128)
        if op.adjoint:
            m = m.conj().T
        k = len(op.wires)
        node = tn.Node(m.reshape((2,) * (2 * k)), name=f"{op.name}_{i}", backend=backend)
        for j, wire in enumerate(op.wires):
            tn.connect(edges[wire], node[k + j])
            edges[wire] = node[j]
        nodes.append(node)
    return nodes, edges
