"""Dense NumPy references for the tensor-network tests (and one model factory)."""

from __future__ import annotations

import jax
import numpy as np

from qinspired.tn.mps_model import LabelledMPS, init_labelled_mps


def dense_mps_weights(tensors, center) -> np.ndarray:
    """W[s_0 ... s_{n-1}, l] as a (d**n, n_outputs) matrix, site 0 most significant."""
    out = np.ones((1, 1, 1))                      # (phys, label, bond)
    for k, t in enumerate(tensors):
        t = np.asarray(t, dtype=np.float64)
        if k == center:
            out = np.einsum("pa,aslb->pslb", out[:, 0, :], t)
        else:
            out = np.einsum("pla,asb->pslb", out, t)
        out = out.reshape(out.shape[0] * out.shape[1], out.shape[2], out.shape[3])
    return out[:, :, 0]


def dense_ttn_weights(layers, n_sites, pad) -> np.ndarray:
    """The (d**n_sites, n_outputs) weight matrix of a TTN, by recursive dense contraction."""
    d = layers[0].shape[1]
    nodes = [np.eye(d) for _ in range(n_sites)]
    nodes += [np.asarray(pad)[None, :] for _ in range(2 ** len(layers) - n_sites)]
    for t in layers:
        t = np.asarray(t, dtype=np.float64)
        nodes = [np.einsum("pi,qj,ijk->pqk", nodes[2 * m], nodes[2 * m + 1], t[m]).reshape(
            nodes[2 * m].shape[0] * nodes[2 * m + 1].shape[0], -1) for m in range(t.shape[0])]
    return nodes[0]


def kron_inputs(phi: np.ndarray) -> np.ndarray:
    """Product states of a batch of local vectors, (batch, d**n)."""
    out = []
    for row in np.asarray(phi, dtype=np.float64):
        v = np.ones(1)
        for p in row:
            v = np.kron(v, p)
        out.append(v)
    return np.array(out)


def random_labelled(key, n, d, n_out, chi, center):
    model = init_labelled_mps(key, n, d, n_out, chi, center=center, noise=1.0,
                              dtype=jax.numpy.float64)
    # Turn the near-identity start into a generic tensor network.
    keys = jax.random.split(jax.random.fold_in(key, 7), n)
    return LabelledMPS(tuple(t + 0.3 * jax.random.normal(k, t.shape, t.dtype)
                             for t, k in zip(model.tensors, keys)), model.center)
