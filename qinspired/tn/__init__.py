"""Tensor networks in JAX: matrix product states and tree tensor networks.

Site tensors are pytree leaves and bond dimensions are static shapes, so
contractions jit and vectorise. :mod:`qinspired.tn.mps` holds plain MPS states;
:mod:`qinspired.tn.mps_model` and :mod:`qinspired.tn.ttn` the labelled MPS and
the tree tensor network of the tensor-network estimators, fed by the local
feature maps of :mod:`qinspired.tn.local_maps`; :mod:`qinspired.tn.canonical`
has canonical forms and SVD truncation, :mod:`qinspired.tn.sweep` the
DMRG-like two-site training sweeps and :mod:`qinspired.tn.interop` the
conversion to and from ``tensornetwork.FiniteMPS``; :mod:`qinspired.tn.born`
is the MPS Born machine (a normalised density) behind the anomaly detector.

This package is tensor-network mathematics only and never imports
:mod:`qinspired.circuits`. The converters between circuits and MPS
(``circuit_to_mps``, ``mps_to_circuit``, ``decompose_unitaries``) live in
:mod:`qinspired.circuits.mps_convert`, beside the MPS circuit simulator, and
are exported by :mod:`qinspired.circuits`.
"""

from typing import Any

from qinspired.tn.born import (
    born_log_likelihood,
    born_nll,
    init_born_mps,
    local_gram,
    log_amplitudes,
    log_normaliser,
)
from qinspired.tn.canonical import (
    canonicalize,
    is_left_orthonormal,
    is_right_orthonormal,
    mixed_canonical,
    move_label,
    svd_split,
    truncate_labelled,
)
from qinspired.tn.interop import from_tensornetwork, to_tensornetwork
from qinspired.tn.local_maps import (
    LOCAL_MAPS,
    LocalMap,
    apply_local_map,
    embed,
    gaussian_rbf,
    get_local_map,
    register_local_map,
)
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
from qinspired.tn.mps_model import (
    LabelledMPS,
    contract_labelled,
    init_labelled_mps,
    labelled_logits,
)
from qinspired.tn.sweep import SweepResult, sweep_fit
from qinspired.tn.ttn import TTN, contract_ttn, init_ttn, ttn_logits

__all__ = [
    "LOCAL_MAPS",
    "LabelledMPS",
    "LocalMap",
    "MPS",
    "SweepResult",
    "TTN",
    "apply_local_map",
    "born_log_likelihood",
    "born_nll",
    "canonicalize",
    "contract_labelled",
    "contract_product_states",
    "contract_ttn",
    "embed",
    "from_tensornetwork",
    "gaussian_rbf",
    "get_local_map",
    "init_born_mps",
    "init_labelled_mps",
    "init_ttn",
    "inner",
    "is_left_orthonormal",
    "is_right_orthonormal",
    "labelled_logits",
    "local_gram",
    "log_amplitudes",
    "log_normaliser",
    "mixed_canonical",
    "move_label",
    "norm",
    "product_mps",
    "random_mps",
    "register_local_map",
    "svd_split",
    "sweep_fit",
    "to_dense",
    "to_tensornetwork",
    "truncate",
    "truncate_labelled",
    "ttn_logits",
]

_MOVED = {"circuit_to_mps", "convert", "decompose_unitaries", "mps_to_circuit"}


def __getattr__(name: str) -> Any:
    """Point the circuit <-> MPS converters, moved out of this package, to their new home."""
    if name in _MOVED:
        raise AttributeError(
            f"qinspired.tn.{name} has moved: the circuit <-> MPS converters live in "
            f"qinspired.circuits (module qinspired.circuits.mps_convert); use "
            f"`from qinspired.circuits import circuit_to_mps, mps_to_circuit, "
            f"decompose_unitaries`")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
