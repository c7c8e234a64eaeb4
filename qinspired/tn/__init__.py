"""Tensor networks in JAX: matrix product states and tree tensor networks.

Site tensors are pytree leaves and bond dimensions are static shapes, so
contractions jit and vectorise. :mod:`qinspired.tn.mps` holds plain MPS states;
:mod:`qinspired.tn.mps_model` and :mod:`qinspired.tn.ttn` the labelled MPS and
the tree tensor network of the tensor-network estimators, fed by the local
feature maps of :mod:`qinspired.tn.local_maps`; :mod:`qinspired.tn.canonical`
has canonical forms and SVD truncation, :mod:`qinspired.tn.sweep` the
DMRG-like two-site training sweeps, :mod:`qinspired.tn.convert` the
converters between circuits and MPS, and :mod:`qinspired.tn.interop` the
conversion to and from ``tensornetwork.FiniteMPS``; :mod:`qinspired.tn.born`
is the MPS Born machine (a normalised density) behind the anomaly detector.
"""

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
from qinspired.tn.convert import circuit_to_mps, decompose_unitaries, mps_to_circuit
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
    "circuit_to_mps",
    "contract_labelled",
    "contract_product_states",
    "contract_ttn",
    "decompose_unitaries",
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
    "mps_to_circuit",
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
