"""Input checks of the layers (private).

A layer cannot raise on values it only sees as tracers (inside ``nnx.jit``,
``jax.vmap`` or ``jax.grad`` with respect to the input): shapes are always
checked, values only when they are concrete.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._validation import as_float_array, is_traced

__all__ = ["check_layer_input", "check_param_dtype"]


def check_layer_input(owner: str, x: Any, n_features: int) -> jax.Array:
    """``x`` as a JAX array of shape ``(..., n_features)``, or a ``ValueError``.

    Parameters
    ----------
    owner : str
        The layer, for the message.
    x : array_like
        Inputs; the last axis holds the features, any leading axes are batch axes.
    n_features : int
        The number of features the layer was built for.

    Raises
    ------
    ValueError
        For a scalar, a last axis of the wrong length, and (when ``x`` is
        concrete, not a tracer) non-numeric, complex, NaN or infinite entries.
    """
    if not is_traced(x):
        as_float_array(x, f"{owner}: the input")
    x = jnp.asarray(x)
    if x.ndim < 1 or x.shape[-1] != n_features:
        raise ValueError(f"{owner}: expected inputs of shape (..., {n_features}) with the "
                         f"{n_features} features in the last axis, got shape {x.shape}")
    return x


def check_param_dtype(owner: str, value: Any, name: str = "param_dtype") -> np.dtype:
    """``value`` as a real floating dtype (float16, bfloat16, float32, float64), or ``ValueError``.

    The tensor-network layers start near a scaled identity plus noise of order
    0.1: an integer dtype truncates that to an all-zero model (every output 0,
    every gradient 0), a complex one makes the outputs complex. ``name`` is
    ``"param_dtype"``, or a description of given tensors (``from_network``).
    """
    try:
        dtype = jnp.dtype(value)
    except TypeError:
        raise ValueError(f"{owner}: {name}={value!r} is not a dtype; use a real floating "
                         "dtype such as jnp.float32 or jnp.float64") from None
    if jnp.issubdtype(dtype, jnp.floating):
        return dtype
    allowed = "a real floating dtype (float32, float64, float16 or bfloat16)"
    if name != "param_dtype":
        raise ValueError(f"{owner}: {name} is {dtype.name}; the layer needs {allowed} to "
                         "compute and train real outputs; cast the tensors first")
    why = ("and complex tensors would make the outputs complex"
           if jnp.issubdtype(dtype, jnp.complexfloating)
           else "which an integer or boolean dtype truncates to an all-zero model")
    raise ValueError(f"{owner}: param_dtype={dtype.name} must be {allowed}; the initial "
                     f"tensors are near-identity plus small noise, {why}")
