r"""Flax NNX layers over the qinspired core, for hybrid networks trained end to end.

- :class:`MPSLinear` and :class:`TTNLinear`: a matrix product state or a tree
  tensor network with an output index, ``(..., in_features) -> (..., out_features)``;
  the models of the tensor-network estimators, through the same functions of
  :mod:`qinspired.tn` (an estimator's fitted tensors load with ``from_network``).
- :class:`FourierFeatures`: random Fourier features sampled from the spectrum of
  a Pauli-encoded circuit, with fixed (untrained) frequencies.
- :class:`KernelLayer`: the fidelity kernel :math:`|\langle\psi(x)|\psi(l_j)\rangle|^2`
  against fixed or trainable landmarks :math:`l_j`.
- :class:`CircuitLayer`: a variational circuit (exact statevector, or density matrix
  with noise) returning expectation values.
- :class:`SpacedMPO`: a matrix product operator with an output leg on every
  ``spacing``-th site, mapping the embedded features to an output MPS (its
  dense vector, its site tensors, or its squared norm for anomaly detection).

Every layer is an ``nnx.Module`` whose trainable arrays are ``nnx.Param``: it
works under ``nnx.jit``, ``nnx.grad``, ``jax.vmap``, ``nnx.split`` /
``nnx.merge`` and ``nnx.state`` / ``nnx.update``, and trains with
``nnx.Optimizer(model, optax.adam(lr), wrt=nnx.Param)``.

Inputs
------
The last axis of an input holds the features; leading axes are batch axes.
A wrong number of features raises ``ValueError``, and so do NaN or infinite
inputs when they are concrete (outside ``jit``). The tensor-network layers
expect features in ``[0, 1]`` and clip into that interval (precede them with
a bounded activation such as ``jax.nn.sigmoid``, or min-max scale the data);
:class:`FourierFeatures` takes any real input.

Examples
--------
>>> import jax, jax.numpy as jnp
>>> from flax import nnx
>>> class Hybrid(nnx.Module):
...     def __init__(self, rngs):
...         self.linear = nnx.Linear(64, 8, rngs=rngs)
...         self.mps = MPSLinear(8, 10, bond_dim=6, rngs=rngs)
...     def __call__(self, x):
...         return self.mps(jax.nn.sigmoid(self.linear(x)))
>>> Hybrid(nnx.Rngs(0))(jnp.zeros((2, 64))).shape
(2, 10)
"""

from qinspired.nn._circuit import CircuitLayer
from qinspired.nn._fourier import FourierFeatures, Frequencies
from qinspired.nn._kernel import KernelLayer, Landmarks
from qinspired.nn._mpo import SpacedMPO
from qinspired.nn._tn import MPSLinear, TTNLinear

__all__ = [
    "CircuitLayer",
    "FourierFeatures",
    "Frequencies",
    "KernelLayer",
    "Landmarks",
    "MPSLinear",
    "SpacedMPO",
    "TTNLinear",
]
