r"""DMRG-like two-site sweeps that train a labelled MPS and adapt its bond dimensions.

The algorithm of Stoudenmire and Schwab (2016), section 4. With the label on
site ``j`` and the chain in mixed canonical form, the two sites ``j, j+1`` are
merged into the bond tensor

.. math::

    B^{\ell}_{a s t c} = \sum_b A^{[j]}_{a s b}\, A^{[j+1]\,\ell}_{b t c},

and the model output becomes linear in :math:`B`,

.. math::

    f^{\ell}(\mathbf{x}) = \sum_{a s t c} L_a(\mathbf{x})\, \phi_s(x_j)\,
    \phi_t(x_{j+1})\, B^{\ell}_{a s t c}\, R_c(\mathbf{x}),

where the environments :math:`L` (sites ``< j``) and :math:`R` (sites
``> j+1``) of every training sample are cached, normalised, with their
log-norms. :math:`B` is trained for one epoch of Adam minibatch steps on the
model's loss (one jitted ``lax.scan`` per bond), then split by SVD, keeping at
most ``max_bond`` singular values above ``cutoff`` times the largest (and above
the numerical rank tolerance); the singular values go with the label to the
next site, and the environment of the site left behind is updated. A sweep runs
the bonds left to right and back. The bond dimensions start where the initial
model has them (the estimators start from bond dimension 1) and grow, bond by
bond, to what the data need, up to ``max_bond``.

:func:`sweep_init` and :func:`sweep_update` are the ``(init_fn, update_fn)``
pair (host-side: bond dimensions are data-dependent); :func:`sweep_fit` loops
over sweeps.

Shapes are fixed during a fit: every tensor is zero-padded to ``max_bond`` on
both bonds (padded rows and columns stay exactly zero, because the
environments vanish there), so each jitted piece compiles once per fit.

References
----------
E. M. Stoudenmire and D. J. Schwab, "Supervised learning with tensor networks",
NeurIPS 2016, arXiv:1605.05775.
S. R. White, "Density matrix formulation for quantum renormalization groups",
Phys. Rev. Lett. 69, 2863 (1992).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from qinspired._pytree import pytree_dataclass
from qinspired._random import epoch_batches, numpy_rng
from qinspired._validation import check_int, check_real
from qinspired.tn.canonical import move_label
from qinspired.tn.mps_model import LabelledMPS

__all__ = ["BondModel", "SweepResult", "SweepState", "sweep_fit", "sweep_init", "sweep_update",
           "to_model"]

#: Adam with its learning rate in the state, so one compiled bond update serves every rate.
_ADAM = optax.inject_hyperparams(optax.adam)(learning_rate=1.0)


@pytree_dataclass
class BondModel:
    """The two-site bond tensor ``(chi, d, d, n_outputs, chi)`` as a trainable model.

    Its :meth:`logits` take the cached inputs ``(left, phi_j, phi_j1, right,
    log_scale)`` in place of the local vectors, so the model losses apply as
    they are.
    """

    bond: jax.Array

    def logits(self, inputs: tuple[jax.Array, ...]) -> jax.Array:
        left, phi_j, phi_j1, right, log_scale = inputs
        chi, d, _, n_out, _ = self.bond.shape
        t = (left @ self.bond.reshape(chi, -1)).reshape(-1, d, d * n_out * chi)
        t = jnp.einsum("bsk,bs->bk", t, phi_j).reshape(-1, d, n_out * chi)
        t = jnp.einsum("btk,bt->bk", t, phi_j1).reshape(-1, n_out, chi)
        return jnp.einsum("blc,bc->bl", t, right) * jnp.exp(log_scale)[:, None]


@dataclass
class SweepState:
    """Host-side state of a sweep: padded tensors, label site, caches and bond dimensions.

    ``tensors[k]`` has shape ``(chi, d, chi)`` (``(chi, d, n_out, chi)`` at the
    label site); ``left[k]`` / ``right[k]`` hold the normalised environment
    of the sites ``< k`` / ``>= k`` with its log-norm, for every sample;
    ``bonds[k]`` is the true dimension of bond ``k`` (between sites ``k-1``
    and ``k``; ``bonds[0] = bonds[n] = 1``).
    """

    tensors: list[jax.Array]
    center: int
    left: list[tuple[jax.Array, jax.Array] | None]
    right: list[tuple[jax.Array, jax.Array] | None]
    bonds: list[int]
    truncation_error: float = 0.0


@dataclass(frozen=True)
class SweepResult:
    """What :func:`sweep_fit` returns.

    Attributes
    ----------
    params : LabelledMPS
        The trained model (label on site 0), padding removed.
    loss_curve : list of float
        Training loss of the whole model after each sweep.
    n_iter : int
        Number of sweeps.
    truncation_error : float
        Relative truncation error of the SVD splits of the last sweep.
    """

    params: LabelledMPS
    loss_curve: list[float]
    n_iter: int
    truncation_error: float


@functools.partial(jax.jit, static_argnames=("loss_fn",))
def _train_bond(bond: jax.Array, inputs: tuple, Y: Any, batches: jax.Array,
                learning_rate: jax.Array, *, loss_fn: Callable) -> tuple[jax.Array, jax.Array]:
    """One epoch of Adam on the bond tensor, over the ``(n_batches, batch)`` sample indices."""
    state = _ADAM.init(bond)
    state.hyperparams["learning_rate"] = learning_rate.astype(
        state.hyperparams["learning_rate"].dtype)

    def step(carry, idx):
        b, st = carry
        xb = jax.tree.map(lambda a: a[idx], inputs)
        loss, grad = jax.value_and_grad(lambda m: loss_fn(BondModel(m), xb, Y[idx]))(b)
        updates, st = _ADAM.update(grad, st, b)
        return (optax.apply_updates(b, updates), st), loss

    (bond, _), losses = jax.lax.scan(step, (bond, state), batches)
    return bond, jnp.mean(losses)


def _pad(t: np.ndarray, chi: int) -> jax.Array:
    widths = [(0, chi - t.shape[0])] + [(0, 0)] * (t.ndim - 2) + [(0, chi - t.shape[-1])]
    return jnp.asarray(np.pad(np.asarray(t), widths))


def _boundary(n: int, chi: int, dtype) -> tuple[jax.Array, jax.Array]:
    return jnp.zeros((n, chi), dtype).at[:, 0].set(1.0), jnp.zeros((n,), dtype)


def _renormalised(e: jax.Array, log: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Rows of ``e`` scaled to unit norm, their log norms added to ``log``."""
    n = jnp.linalg.norm(e, axis=1)
    n = jnp.where(n > 0, n, 1.0)
    return e / n[:, None], log + jnp.log(n)


@jax.jit
def _absorb_left(env: jax.Array, log: jax.Array, a: jax.Array, phi: jax.Array
                 ) -> tuple[jax.Array, jax.Array]:
    return _renormalised(jnp.einsum("ba,asc,bs->bc", env, a, phi), log)


@jax.jit
def _absorb_right(env: jax.Array, log: jax.Array, a: jax.Array, phi: jax.Array
                  ) -> tuple[jax.Array, jax.Array]:
    return _renormalised(jnp.einsum("bc,asc,bs->ba", env, a, phi), log)


@functools.partial(jax.jit, static_argnames=("to_right",))
def _split(bond: jax.Array, cutoff: jax.Array, *, to_right: bool
           ) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array, jax.Array]:
    """SVD of a bond tensor into (site, label site), keeping <= chi values above ``cutoff * s0``."""
    chi, d, _, n_out, _ = bond.shape
    if to_right:
        m = bond.reshape(chi * d, d * n_out * chi)
    else:
        m = bond.transpose(0, 1, 3, 2, 4).reshape(chi * d * n_out, d * chi)
    u, s, vh = jnp.linalg.svd(m, full_matrices=False)
    total = jnp.sum(s**2)
    rank_tol = jnp.finfo(m.dtype).eps * max(m.shape)
    keep = s[:chi] > jnp.maximum(cutoff, rank_tol) * s[0]
    keep = keep.at[0].set(True)
    kept_s = jnp.where(keep, s[:chi], 0.0)
    discarded = total - jnp.sum(kept_s**2)
    u, vh = u[:, :chi] * keep, vh[:chi] * keep[:, None]
    if to_right:
        site = u.reshape(chi, d, chi)
        label = (kept_s[:, None] * vh).reshape(chi, d, n_out, chi)
    else:
        label = (u * kept_s).reshape(chi, d, n_out, chi)
        site = vh.reshape(chi, d, chi)
    return site, label, jnp.sum(keep), discarded, total


def sweep_init(model: LabelledMPS, phi: jax.Array, max_bond: int) -> SweepState:
    """Move the label to site 0 (exactly), pad to ``max_bond`` and cache the right environments.

    Parameters
    ----------
    model : LabelledMPS
        Initial model, with every bond ``<= max_bond`` after the move.
    phi : array, shape (n_samples, n_sites, d)
        Local vectors of the training samples.
    max_bond : int
        The padded (maximal) bond dimension.
    """
    chi = check_int("sweep_init", "max_bond", max_bond, 1)
    if model.n_sites < 2:
        raise ValueError("a sweep needs at least 2 sites")
    moved, _ = move_label(model, 0, max_bond=chi)
    n, n_samples = model.n_sites, phi.shape[0]
    tensors = [_pad(t, chi) for t in moved.tensors]
    dtype = jnp.result_type(phi, tensors[0])
    right: list = [None] * (n + 1)
    right[n] = _boundary(n_samples, chi, dtype)
    for k in range(n - 1, 0, -1):
        right[k] = _absorb_right(*right[k + 1], tensors[k], phi[:, k])
    left: list = [None] * (n + 1)
    left[0] = _boundary(n_samples, chi, dtype)
    bonds = [1] + list(moved.bond_dims) + [1]
    return SweepState(tensors, 0, left, right, bonds)


def _merge(state: SweepState, j: int) -> jax.Array:
    """The bond tensor (a, s, t, l, c) of sites ``j, j+1``, one of which holds the label."""
    a, b = state.tensors[j], state.tensors[j + 1]
    if state.center == j:
        return jnp.einsum("aslx,xtc->astlc", a, b)
    return jnp.einsum("asx,xtlc->astlc", a, b)


def sweep_update(state: SweepState, loss_fn: Callable, phi: jax.Array, Y: Any, *,
                 learning_rate: float, batch_size: int, key: jax.Array, cutoff: float = 0.0
                 ) -> tuple[SweepState, list[float]]:
    """One sweep, all bonds left to right then back; returns the new state and the bond losses.

    ``state`` must have its label at site 0 (as after :func:`sweep_init` or a
    previous sweep). ``loss_fn(model, inputs, Y)`` is a model loss such as the
    estimators' cross-entropy; it is called with :class:`BondModel`. The
    minibatch shuffles are drawn from ``key``. The input state is left unchanged.
    """
    state = dataclasses.replace(state, tensors=list(state.tensors), left=list(state.left),
                                right=list(state.right), bonds=list(state.bonds))
    n = len(state.tensors)
    rng = numpy_rng(key)
    lr = jnp.asarray(learning_rate, phi.dtype)
    cut = jnp.asarray(cutoff, phi.dtype)
    losses, discarded, total = [], 0.0, 0.0
    order = [(j, True) for j in range(n - 1)] + [(j, False) for j in range(n - 2, -1, -1)]
    for j, to_right in order:
        left, right = state.left[j], state.right[j + 2]
        inputs = (left[0], phi[:, j], phi[:, j + 1], right[0], left[1] + right[1])
        batches = jnp.asarray(epoch_batches(rng, phi.shape[0], batch_size))
        bond, loss = _train_bond(_merge(state, j), inputs, Y, batches, lr, loss_fn=loss_fn)
        losses.append(loss)
        site, label, k, disc, tot = _split(bond, cut, to_right=to_right)
        discarded += float(disc)
        total += float(tot)
        state.bonds[j + 1] = int(k)
        if to_right:
            state.tensors[j], state.tensors[j + 1] = site, label
            state.center = j + 1
            state.left[j + 1] = _absorb_left(*left, site, phi[:, j])
        else:
            state.tensors[j], state.tensors[j + 1] = label, site
            state.center = j
            state.right[j + 1] = _absorb_right(*right, site, phi[:, j + 1])
    state.truncation_error = float(np.sqrt(discarded / total)) if total > 0 else 0.0
    return state, [float(v) for v in losses]


def to_model(state: SweepState) -> LabelledMPS:
    """The labelled MPS of a sweep state, with the padding cut off."""
    out = []
    for k, t in enumerate(state.tensors):
        t = np.asarray(t)
        out.append(t[: state.bonds[k], ..., : state.bonds[k + 1]])
    return LabelledMPS(tuple(jnp.asarray(t) for t in out), state.center)


@functools.partial(jax.jit, static_argnames=("fn",))
def _evaluate(model: BondModel, inputs: tuple, Y: Any, *, fn: Callable) -> jax.Array:
    return fn(model, inputs, Y)


def _full_loss(state: SweepState, loss_fn: Callable, phi: jax.Array, Y: Any) -> float:
    """The training loss of the whole model, evaluated at the first bond (label on site 0 or 1)."""
    left, right = state.left[0], state.right[2]
    inputs = (left[0], phi[:, 0], phi[:, 1], right[0], left[1] + right[1])
    return float(_evaluate(BondModel(_merge(state, 0)), inputs, Y, fn=loss_fn))


def sweep_fit(loss_fn: Callable, model: LabelledMPS, phi: Any, Y: Any, *, max_bond: int,
              cutoff: float = 0.0, learning_rate: float = 1e-3, n_sweeps: int = 5,
              batch_size: int = 32, key: jax.Array, verbose: bool = False) -> SweepResult:
    """Train a labelled MPS with ``n_sweeps`` two-site sweeps (see the module notes).

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(model, phi, Y) -> scalar`` using ``model.logits``; pure and
        hashable (the bond update is compiled once per loss and shape).
    model : LabelledMPS
        Initial model with at least 2 sites (any label site; bonds <= ``max_bond``
        after moving the label to site 0).
    phi : array, shape (n_samples, n_sites, d)
        Local vectors.
    Y : array
        Targets, first axis ``n_samples``.
    max_bond : int
        Largest bond dimension kept by the SVD splits.
    cutoff : float, default 0.0
        Singular values ``<= cutoff * s_max`` are discarded, in ``[0, 1)``.
    learning_rate : float, default 1e-3
        Adam step size of the bond updates.
    n_sweeps : int, default 5
        Number of sweeps.
    batch_size : int, default 32
        Minibatch size of the bond updates (fixed; see :func:`qinspired.training.train`).
    key : jax.Array
        PRNG key of the minibatch shuffles.
    verbose : bool
        Print the training loss, the bonds and the truncation error after each sweep.

    Returns
    -------
    SweepResult
    """
    check_int("sweep_fit", "n_sweeps", n_sweeps, 1)
    check_int("sweep_fit", "batch_size", batch_size, 1)
    check_real("sweep_fit", "learning_rate", learning_rate, positive=True)
    if not 0.0 <= check_real("sweep_fit", "cutoff", cutoff) < 1.0:
        raise ValueError(f"sweep_fit: cutoff={cutoff!r} must be in [0, 1)")
    phi = jnp.asarray(phi)
    Y = jnp.asarray(Y)
    state = sweep_init(model, phi, max_bond)
    curve = []
    for sweep in range(n_sweeps):
        state, _ = sweep_update(state, loss_fn, phi, Y, learning_rate=learning_rate,
                                batch_size=batch_size, key=jax.random.fold_in(key, sweep),
                                cutoff=cutoff)
        curve.append(_full_loss(state, loss_fn, phi, Y))
        if not np.isfinite(curve[-1]):
            raise ValueError(f"sweep_fit: the training loss became {curve[-1]} in sweep "
                             f"{sweep + 1}; try a smaller learning rate")
        if verbose:
            print(f"Sweep {sweep + 1}, loss = {curve[-1]:.8f}, bonds = {state.bonds[1:-1]}, "
                  f"truncation error = {state.truncation_error:.3g}")
    return SweepResult(params=to_model(state), loss_curve=curve, n_iter=n_sweeps,
                       truncation_error=state.truncation_error)
