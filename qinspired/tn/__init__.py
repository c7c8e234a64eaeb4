"""Tensor networks in JAX: matrix product states (and, later, tree tensor networks).

Site tensors are pytree leaves and bond dimensions are static shapes, so
contractions jit and vectorise; see :mod:`qinspired.tn.mps`.
"""

from qinspired.tn.mps import (
    MPS,
    contract_product_states,
    inner,
    norm,
    product_mps,
    random_mps,
    to_dense,
    truncate,
)

__all__ = [
    "MPS",
    "contract_product_states",
    "inner",
    "norm",
    "product_mps",
    "random_mps",
    "to_dense",
    "truncate",
]
