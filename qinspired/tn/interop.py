r"""Conversion between :class:`~qinspired.tn.mps.MPS` and ``tensornetwork.FiniteMPS``.

`TensorNetwork <https://github.com/google/tensornetwork>`_ (installed as the
``tensornetwork`` module of tensornetwork-ng) stores a finite MPS as a list of
rank-3 tensors in site order. Its conventions and ours agree, so the
conversion copies tensors without reshaping:

* **Index order**: every site tensor is ``(left bond, physical, right bond)``
  in both libraries; site 0 is the first tensor (the most significant index
  of the dense vector, wire 0 of a circuit).
* **Boundary bonds**: both keep the outer bonds as axes of dimension 1. A
  ``FiniteMPS`` whose outer bonds are larger (allowed by its constructor, not
  a state) is refused by :func:`from_tensornetwork`.
* **Canonical centre**: our :class:`~qinspired.tn.mps.MPS` carries no
  canonical form. :func:`to_tensornetwork` leaves the tensors as they are
  (``center_position=None``, exactly the same state, norm included) unless
  a ``center_position`` is asked for; then tensornetwork brings the state to
  mixed canonical form around that site with QR/RQ steps and *normalises*
  it, as its ``FiniteMPS`` constructor always does. Its
  ``measure_local_operator`` and ``position`` need a canonical state.
  :func:`from_tensornetwork` reads the tensors as they are, whatever their
  centre, absorbing a ``connector_matrix`` into the last site.
* **dtype**: kept. NumPy tensors become JAX arrays of the same dtype when
  JAX supports it; without JAX's x64 mode, JAX stores float64 and
  complex128 as float32 and complex64 (its usual rule), so an exact round
  trip of 64-bit tensors needs x64.

``tensornetwork`` is imported when a function here is first called, not with
:mod:`qinspired.tn`.

Examples
--------
>>> import jax
>>> from qinspired.tn.mps import random_mps, to_dense
>>> mps = random_mps(jax.random.key(0), 4, 2, 3)
>>> fmps = to_tensornetwork(mps)
>>> fmps.bond_dimensions, fmps.center_position
([1, 2, 3, 2, 1], None)
>>> bool((to_dense(from_tensornetwork(fmps)) == to_dense(mps)).all())
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jax.numpy as jnp
import numpy as np

from qinspired.tn.mps import MPS

if TYPE_CHECKING:
    import tensornetwork

__all__ = ["from_tensornetwork", "to_tensornetwork"]


def to_tensornetwork(mps: MPS, *, center_position: int | None = None,
                     backend: str = "numpy") -> tensornetwork.FiniteMPS:
    """A ``tensornetwork.FiniteMPS`` of the same state.

    Parameters
    ----------
    mps : MPS
        The state.
    center_position : int, optional
        When given, tensornetwork canonicalises the state around this site
        and normalises it (a state of norm zero cannot be: ``ValueError``);
        by default the tensors are copied unchanged and the ``FiniteMPS`` has
        ``center_position=None``.
    backend : str, default "numpy"
        tensornetwork backend of the result (``"numpy"`` or ``"jax"``; the
        others work when their library is installed).

    Returns
    -------
    tensornetwork.FiniteMPS
        Site tensors ``(left, physical, right)``, in site order, with our dtype.
    """
    import tensornetwork as tn  # imported on use: it adds a second to `import qinspired`

    if not isinstance(mps, MPS):
        raise TypeError(f"to_tensornetwork: expected a qinspired.tn.MPS, got {type(mps).__name__}")
    if center_position is not None and not (
            isinstance(center_position, (int, np.integer)) and not isinstance(center_position, bool)
            and 0 <= center_position < mps.n_sites):
        raise ValueError(f"to_tensornetwork: center_position={center_position!r} must be a site "
                         f"index in 0..{mps.n_sites - 1}")
    tensors = [np.asarray(t) for t in mps.tensors]
    if center_position is None:
        return tn.FiniteMPS(tensors, canonicalize=False, backend=backend)
    with np.errstate(divide="ignore", invalid="ignore"):    # a zero norm is reported below
        out = tn.FiniteMPS(tensors, center_position=int(center_position), canonicalize=True,
                           backend=backend)
    if not all(np.all(np.isfinite(np.asarray(t))) for t in out.tensors):
        raise ValueError("to_tensornetwork: normalising around center_position gave NaN or "
                         "inf: the state's norm is zero, or under- or overflows its dtype; pass "
                         "center_position=None to copy the tensors unchanged")
    return out


def from_tensornetwork(finite_mps: Any) -> MPS:
    """Our :class:`~qinspired.tn.mps.MPS` of a ``tensornetwork.FiniteMPS``.

    Parameters
    ----------
    finite_mps : tensornetwork.FiniteMPS
        Any backend; its ``connector_matrix``, if set, is absorbed into the
        last site. The canonical centre is not recorded (the state is).

    Returns
    -------
    MPS
        The same site tensors as JAX arrays.

    Raises
    ------
    TypeError
        For anything but a ``FiniteMPS`` (an ``InfiniteMPS`` is not a finite state).
    ValueError
        When the outer bonds are not of dimension 1.
    """
    import tensornetwork as tn

    if not isinstance(finite_mps, tn.FiniteMPS):
        raise TypeError("from_tensornetwork: expected a tensornetwork.FiniteMPS, got "
                        f"{type(finite_mps).__name__}")
    tensors = [np.asarray(finite_mps.get_tensor(k)) for k in range(len(finite_mps))]
    if tensors[0].shape[0] != 1 or tensors[-1].shape[2] != 1:
        raise ValueError("from_tensornetwork: the outer bonds of a finite MPS must have "
                         f"dimension 1, got {tensors[0].shape[0]} and {tensors[-1].shape[2]}")
    return MPS(tuple(jnp.asarray(t) for t in tensors))
