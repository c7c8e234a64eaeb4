"""Input checks of the layers (private).

A layer cannot raise on values it only sees as tracers (inside ``nnx.jit``,
``jax.vmap`` or ``jax.grad`` with respect to the input): shapes are always
checked, values only when they are concrete.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from qinspired._validation import as_float_array, is_traced

__all__ = ["check_layer_input"]


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
