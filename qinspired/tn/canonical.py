r"""Canonical forms and SVD truncation of (labelled) matrix product states.

A site tensor :math:`A` of shape ``(chi_l, d, chi_r)`` is *left-orthonormal*
when :math:`\sum_{a s} \bar A_{a s c} A_{a s c'} = \delta_{c c'}` and
*right-orthonormal* when :math:`\sum_{s c} A_{a s c} \bar A_{a' s c} =
\delta_{a a'}`. An MPS is in mixed canonical form about site ``c`` when the
sites left of ``c`` are left-, those right of ``c`` right-orthonormal: then the
Schmidt values of every bond next to ``c`` are the singular values of the
centre, and cutting them is the optimal (Eckart-Young) truncation.

For a labelled MPS (:class:`qinspired.tn.mps_model.LabelledMPS`) the
orthogonality centre is the site with the label index. Moving the label across
a bond merges the two sites into one tensor, splits it again by SVD
(:func:`svd_split`) and can change the bond dimension: the label index of size
``n_outputs`` moves from one side of the bond to the other.

All functions here work on concrete arrays (bond dimensions are data-dependent)
and return new objects; none is meant for ``jit``.

References
----------
U. Schollwoeck, "The density-matrix renormalization group in the age of
matrix product states", Annals of Physics 326, 96 (2011), sections 4.3-4.5.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from qinspired.tn.mps import MPS
from qinspired.tn.mps_model import LabelledMPS

__all__ = [
    "canonicalize",
    "is_left_orthonormal",
    "is_right_orthonormal",
    "mixed_canonical",
    "move_label",
    "svd_split",
    "truncate_labelled",
]


def svd_split(matrix: np.ndarray, max_bond: int | None = None, cutoff: float = 0.0
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    r"""Truncated SVD :math:`M \approx U\, \mathrm{diag}(s)\, V^\dagger`.

    Keeps the singular values above ``cutoff * s[0]``, at most ``max_bond`` of
    them and at least one.

    Returns
    -------
    u, s, vh : numpy.ndarray
        The kept factors.
    discarded : float
        :math:`\sum_{i \notin \text{kept}} s_i^2`, the squared Frobenius norm of
        the error :math:`\|M - U \mathrm{diag}(s) V^\dagger\|_F^2`.
    """
    if max_bond is not None and max_bond < 1:
        raise ValueError(f"max_bond must be >= 1, got {max_bond}")
    if not 0.0 <= cutoff < 1.0:
        raise ValueError(f"cutoff must be in [0, 1), got {cutoff}")
    u, s, vh = np.linalg.svd(np.asarray(matrix), full_matrices=False)
    keep = int(np.sum(s > cutoff * s[0])) if s[0] > 0 else 1
    if max_bond is not None:
        keep = min(keep, max_bond)
    keep = max(keep, 1)
    return u[:, :keep], s[:keep], vh[:keep], float(np.sum(s[keep:] ** 2))


def is_left_orthonormal(t: np.ndarray, atol: float = 1e-6) -> bool:
    """Whether ``t`` (chi_l, d, chi_r) is left-orthonormal."""
    m = np.asarray(t).reshape(-1, t.shape[-1])
    return bool(np.allclose(m.conj().T @ m, np.eye(m.shape[1]), atol=atol))


def is_right_orthonormal(t: np.ndarray, atol: float = 1e-6) -> bool:
    """Whether ``t`` (chi_l, d, chi_r) is right-orthonormal."""
    m = np.asarray(t).reshape(t.shape[0], -1)
    return bool(np.allclose(m @ m.conj().T, np.eye(m.shape[0]), atol=atol))


def _left_qr(tensors: list[np.ndarray], stop: int) -> None:
    """Left-orthonormalise sites ``0 .. stop-1`` in place, pushing R into site ``stop``."""
    for k in range(stop):
        a, d, b = tensors[k].shape
        q, r = np.linalg.qr(tensors[k].reshape(a * d, b))
        tensors[k] = q.reshape(a, d, q.shape[1])
        tensors[k + 1] = np.tensordot(r, tensors[k + 1], axes=(1, 0))


def _right_qr(tensors: list[np.ndarray], stop: int) -> None:
    """Right-orthonormalise sites ``n-1 .. stop+1`` in place, pushing L into site ``stop``."""
    for k in range(len(tensors) - 1, stop, -1):
        t = tensors[k]
        a = t.shape[0]
        q, r = np.linalg.qr(t.reshape(a, -1).T)
        tensors[k] = q.T.reshape((q.shape[1],) + t.shape[1:])
        tensors[k - 1] = np.tensordot(tensors[k - 1], r.T, axes=(tensors[k - 1].ndim - 1, 0))


def mixed_canonical(mps: MPS, center: int) -> MPS:
    """The same state with sites ``< center`` left- and ``> center`` right-orthonormal.

    ``center=0`` gives the right-canonical, ``center=n-1`` the left-canonical
    form; the centre site then carries the norm.
    """
    if not 0 <= center < mps.n_sites:
        raise ValueError(f"center={center} must be a site index in 0..{mps.n_sites - 1}")
    ts = [np.asarray(t) for t in mps.tensors]
    _left_qr(ts, center)
    _right_qr(ts, center)
    return MPS(tuple(jnp.asarray(t) for t in ts))


def canonicalize(model: LabelledMPS) -> LabelledMPS:
    """The same labelled MPS in mixed canonical form about its label site (exact, by QR)."""
    ts = [np.asarray(t) for t in model.tensors]
    _left_qr(ts, model.center)
    _right_qr(ts, model.center)
    return LabelledMPS(tuple(jnp.asarray(t) for t in ts), model.center)


def _move_once(ts: list[np.ndarray], c: int, step: int, max_bond: int | None,
               cutoff: float) -> float:
    """Move the label from ``c`` to ``c + step`` (+-1) in place; return the discarded weight."""
    if step > 0:
        centre, right = ts[c], ts[c + 1]
        a, d, n_out, _ = centre.shape
        theta = np.tensordot(centre, right, axes=(3, 0))              # a s l t b
        theta = theta.transpose(0, 1, 3, 2, 4)                        # a s t l b
        _, _, dt, _, b = theta.shape
        u, s, vh, disc = svd_split(theta.reshape(a * d, -1), max_bond, cutoff)
        ts[c] = u.reshape(a, d, -1)
        ts[c + 1] = (s[:, None] * vh).reshape(-1, dt, n_out, b)
    else:
        left, centre = ts[c - 1], ts[c]
        a, d, _ = left.shape
        _, dt, n_out, b = centre.shape
        theta = np.tensordot(left, centre, axes=(2, 0))               # a s t l b
        theta = theta.transpose(0, 1, 3, 2, 4)                        # a s l t b
        u, s, vh, disc = svd_split(theta.reshape(a * d * n_out, -1), max_bond, cutoff)
        ts[c - 1] = (u * s).reshape(a, d, n_out, -1)
        ts[c] = vh.reshape(-1, dt, b)
    return disc


def move_label(model: LabelledMPS, center: int, max_bond: int | None = None,
               cutoff: float = 0.0) -> tuple[LabelledMPS, float]:
    """Move the label index (and the orthogonality centre) to site ``center``.

    The model is first brought to mixed canonical form; each step merges the
    label site with its neighbour and splits by :func:`svd_split`.

    Returns
    -------
    (LabelledMPS, float)
        The moved model and the relative truncation error, the square root of
        the discarded squared singular values over the squared norm (0 when
        nothing is cut; without ``max_bond`` and ``cutoff`` the move is exact).
    """
    if not 0 <= center < model.n_sites:
        raise ValueError(f"center={center} must be a site index in 0..{model.n_sites - 1}")
    ts = [np.asarray(t) for t in canonicalize(model).tensors]
    c = model.center
    total = float(np.sum(np.abs(ts[c]) ** 2))
    discarded = 0.0
    while c != center:
        step = 1 if center > c else -1
        discarded += _move_once(ts, c, step, max_bond, cutoff)
        c += step
    err = float(np.sqrt(discarded / total)) if total > 0 else 0.0
    return LabelledMPS(tuple(jnp.asarray(t) for t in ts), center), err


def truncate_labelled(model: LabelledMPS, max_bond: int | None = None, cutoff: float = 0.0
                      ) -> tuple[LabelledMPS, float]:
    """Compress every bond of a labelled MPS by SVD; the label returns to its site.

    The label is moved (exactly) to the last site, then to the first with
    truncation, then back to its own site with truncation, so every bond is cut
    once in each direction with the rest of the chain orthonormal.

    Returns
    -------
    (LabelledMPS, float)
        The compressed model and its relative truncation error (root of the
        summed discarded squared singular values over the squared norm).

    Examples
    --------
    >>> import jax
    >>> from qinspired.tn.mps_model import init_labelled_mps
    >>> model = init_labelled_mps(jax.random.key(0), 8, 2, 3, 8, noise=1.0)
    >>> small, err = truncate_labelled(model, max_bond=3)
    >>> max(small.bond_dims) <= 3 and 0.0 < err < 1.0
    True
    """
    end, _ = move_label(model, model.n_sites - 1)
    first, e1 = move_label(end, 0, max_bond, cutoff)
    back, e2 = move_label(first, model.center, max_bond, cutoff)
    return back, float(np.hypot(e1, e2))
