"""The scanned MPS simulation and the scanned MPS overlaps against independent references.

References: the dense statevector (exact bond dimension), a NumPy TEBD written here
(truncating cases: the documented rule, each block cut to ``chi`` singular values with the
orthogonality centre on it, long-range blocks routed with truncated SWAPs), and the dense
Gram matrix / reduced density matrices of the very states the MPS holds.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _dense import angle_value, gates_unitary, random_parametrised_circuit, textbook

from qinspired.circuits import Circuit
from qinspired.circuits._engine.plan import mps_scan_plan
from qinspired.circuits.mps_sim import _run_mps, _use_scan
from qinspired.circuits.statevector import as_circuit
from qinspired.feature_maps import ZZFeatureMap
from qinspired.kernels import FidelityKernel, ProjectedKernel
from qinspired.kernels._states import _rdms_mps
from qinspired.kernels.fidelity import _mps_overlap

_GATES = ["h", "rx", "ry", "rz", "p", "u3", "cx", "cz", "cp", "crx", "rxx", "ryy", "rzz",
          "swap", "iswap", "s", "t"]


def _simulate(circuit, x, w, chi: int, scan: bool):
    """Site tensors (with a batch axis) and truncation errors from one simulation path."""
    xs = jnp.asarray(np.atleast_2d(x))
    ws = jnp.asarray(np.zeros(0) if w is None else w)
    out, err = _run_mps(circuit, xs, ws, chi=chi, x_batched=True, w_batched=False, scan=scan)
    if not scan:
        return [np.asarray(t) for t in out], np.asarray(err)
    stack, n = np.asarray(out), circuit.n_qubits
    dims = [1] + [min(chi, 2**k, 2 ** (n - k)) for k in range(1, n)] + [1]
    tensors = []
    for k in range(n):  # the padding beyond each bond's dimension stays exactly zero
        tensors.append(stack[:, k, : dims[k], :, : dims[k + 1]])
        padding = stack[:, k].copy()
        padding[:, : dims[k], :, : dims[k + 1]] = 0
        assert not np.any(padding)
    return tensors, np.asarray(err)


def _dense(tensors) -> np.ndarray:
    """``(batch, 2**n)`` amplitudes of MPSs with a batch axis (stacks of sites ``(batch, m,
    D, 2, D)`` unstacked; index 0 of padded outer bonds)."""
    sites = [s for t in tensors for s in (np.moveaxis(t, 1, 0) if t.ndim == 5 else [t])]
    out = sites[0][:, :1]
    for t in sites[1:]:
        out = np.einsum("i...a,iasb->i...sb", out, t)
    return out[..., :1].reshape(out.shape[0], -1)


# ------------------------------------------------------------- NumPy TEBD reference


def _tebd(gates, n: int, chi: int):
    """Normalised amplitudes and truncation error of the block-by-block MPS simulation.

    ``gates`` is a list ``(wires, U)``. A multi-qubit gate opens a block that takes every
    following gate within its wires; each block is applied on adjacent sites (its upper
    wire brought down by SWAPs, each truncated, then moved back) and split by SVD with
    the orthogonality centre on its left site, keeping at most ``chi`` singular values.
    """
    t = [np.zeros((1, 2, 1), complex) for _ in range(n)]
    for a in t:
        a[0, 0, 0] = 1.0
    center, discarded = 0, 0.0

    def move(site):
        nonlocal center
        while center < site:
            a, d, b = t[center].shape
            q, r = np.linalg.qr(t[center].reshape(a * d, b))
            t[center] = q.reshape(a, d, -1)
            t[center + 1] = np.einsum("ij,jpk->ipk", r, t[center + 1])
            center += 1
        while center > site:
            a, d, b = t[center].shape
            q, r = np.linalg.qr(t[center].reshape(a, d * b).T)
            t[center] = q.T.reshape(-1, d, b)
            t[center - 1] = np.einsum("ipj,kj->ipk", t[center - 1], r)
            center -= 1

    def two_site(u, site):
        nonlocal center, discarded
        move(site)
        theta = np.einsum("asb,btc->astc", t[site], t[site + 1])
        theta = np.einsum("xyst,astc->axyc", u.reshape(2, 2, 2, 2), theta)
        a, c = theta.shape[0], theta.shape[-1]
        uu, s, vh = np.linalg.svd(theta.reshape(2 * a, 2 * c), full_matrices=False)
        keep = min(chi, len(s))
        discarded += float(np.sum(s[keep:] ** 2))
        t[site] = uu[:, :keep].reshape(a, 2, keep)
        t[site + 1] = (s[:keep, None] * vh[:keep]).reshape(keep, 2, c)
        center = site + 1

    swap = np.eye(4)[[0, 2, 1, 3]]
    blocks: list[list] = []
    for wires, u in gates:
        if blocks and len(blocks[-1][0]) > 1 and set(wires) <= set(blocks[-1][0]):
            blocks[-1][1].append((wires, u))
        else:
            blocks.append([tuple(wires), [(wires, u)]])
    for wires, members in blocks:
        if len(wires) == 1:
            for _, u in members:
                t[wires[0]] = np.einsum("ij,ajb->aib", u, t[wires[0]])
            continue
        lo, hi = sorted(wires)
        m = gates_unitary([(None, tuple(int(q == hi) for q in w), u) for w, u in members], 2)
        for site in range(hi - 1, lo, -1):
            two_site(swap, site)
        two_site(m, lo)
        for site in range(lo + 1, hi):
            two_site(swap, site)
    psi = _dense([a[None] for a in t])[0]
    kept = np.vdot(psi, psi).real
    return psi / np.sqrt(kept), np.sqrt(discarded / (kept + discarded))


def _gates(circuit, x: np.ndarray):
    """The circuit's gates ``(wires, U)`` as textbook matrices at data ``x``."""
    return [(op.wires, textbook(op.name, tuple(angle_value(a, x) for a in op.params)))
            for op in circuit.operations]


# ------------------------------------------------------------------------- tests


def test_scan_plan_is_the_hand_derived_one() -> None:
    """h0, cx(0, 2), h1: the centre moved right (an identity step), SWAP 2 down (the centre
    left on site 1), the block with h0 multiplied in, SWAP back; h1 is the final layer."""
    plan = mps_scan_plan(Circuit(3, [("h", 0), ("cx", (0, 2)), ("h", 1)]).operations, 3)
    assert plan.sites.tolist() == [0, 1, 0, 1]
    assert plan.left.tolist() == [False, True, False, False]
    assert [(step.op.name, step.op.wires, len(ids)) for step, ids in plan.pairs.gates] == [
        ("swap", (0, 1), 2), ("h", (0,), 1), ("cx", (0, 1), 1)]
    assert plan.pairs.table.tolist() == [[0, 0], [1, 0], [3, 4], [2, 0]]
    assert [step.op.name for step, _ in plan.singles.gates] == ["h"]
    assert plan.singles.table.tolist() == [[0], [1], [0]] and plan.center == 2


def test_scan_is_chosen_where_padding_is_cheap_and_refused_for_wide_blocks() -> None:
    zz = as_circuit(ZZFeatureMap(16, reps=2, entanglement="linear"))
    assert _use_scan(zz, 8)
    assert not _use_scan(zz, 2**8)
    assert mps_scan_plan(Circuit(3, [("ccx", (0, 1, 2))]).operations, 3) is None


@pytest.mark.parametrize("seed", range(3))
def test_scan_is_exact_at_full_bond_dimension(seed: int) -> None:
    """Random long-range, reversed, data-, weight- and product-fed gates on 3-6 qubits."""
    rng = np.random.default_rng(seed)
    n = 3 + seed
    circuit, x, w, info = random_parametrised_circuit(rng, n, 30, _GATES)
    with jax.enable_x64(True):
        tensors, err = _simulate(circuit, x, w, 2 ** (n // 2), scan=True)
    np.testing.assert_allclose(_dense(tensors)[0], gates_unitary(info, n)[:, 0], atol=1e-11)
    assert err[0] < 1e-7


@pytest.mark.parametrize(("entanglement", "n", "chi"), [("linear", 8, 3), ("full", 6, 2)])
def test_truncated_scan_matches_numpy_tebd_and_the_unrolled_simulation(
        entanglement: str, n: int, chi: int) -> None:
    fm = ZZFeatureMap(n, reps=2, entanglement=entanglement, feature_scale=0.4)
    X = np.random.default_rng(1).uniform(0, 2, (3, n))
    with jax.enable_x64(True):
        tensors, err = _simulate(as_circuit(fm), X, None, chi, scan=True)
        unrolled, err_unrolled = _simulate(as_circuit(fm), X, None, chi, scan=False)
    assert max(t.shape[-1] for t in tensors) == chi
    for i, x in enumerate(X):
        psi, ref_err = _tebd(_gates(as_circuit(fm), x), n, chi)
        assert ref_err > 1e-3  # the cut matters
        np.testing.assert_allclose(_dense(tensors)[i], psi, atol=1e-9)
        np.testing.assert_allclose(err[i], ref_err, rtol=1e-9)
    np.testing.assert_allclose(_dense(tensors), _dense(unrolled), atol=1e-9)
    np.testing.assert_allclose(err, err_unrolled, rtol=1e-9)


def test_mps_gram_and_reduced_states_match_the_dense_states() -> None:
    """Ten qubits at bond dimension 4: the states are one padded stack of sites."""
    fm = ZZFeatureMap(10, reps=2, entanglement="linear", feature_scale=0.5)
    X = np.random.default_rng(2).uniform(0, 2, (5, 10))
    kernel = FidelityKernel(fm, backend="mps", bond_dim=4)
    with jax.enable_x64(True):
        sites = kernel.states(X).data
        assert [t.shape for t in sites] == [(5, 10, 4, 2, 4)]
        K = kernel(X)
        rdms = np.asarray(_rdms_mps(tuple(sites)))
    psi = _dense([np.asarray(t) for t in sites])
    np.testing.assert_allclose(K, np.abs(psi.conj() @ psi.T) ** 2, atol=1e-10)
    for q in range(10):
        m = psi.reshape(5, 2**q, 2, -1)
        np.testing.assert_allclose(rdms[:, q], np.einsum("iaxb,iayb->ixy", m, m.conj()),
                                   atol=1e-10)
    rows = np.asarray(ProjectedKernel(fm, backend="mps", bond_dim=4, gamma=1.0)(X))
    bloch = np.stack([2 * rdms[..., 0, 1].real, -2 * rdms[..., 0, 1].imag,
                      (rdms[..., 0, 0] - rdms[..., 1, 1]).real], -1).reshape(5, -1)
    dist = np.sum((bloch[:, None] - bloch[None]) ** 2, axis=-1)
    np.testing.assert_allclose(rows, np.exp(-0.5 * dist), atol=1e-5)


def _count(jaxpr, names: set[str]) -> int:
    """Equations named in ``names`` in a jaxpr and every jaxpr nested in it."""
    total = 0
    for eqn in jaxpr.eqns:
        total += eqn.primitive.name in names
        for param in eqn.params.values():
            for sub in param if isinstance(param, (tuple, list)) else (param,):
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    total += _count(inner, names)
    return total


def test_the_programs_do_not_grow_with_the_number_of_qubits() -> None:
    """Simulation, overlap and reduced states: the same number of SVDs, QRs and
    contractions at 16 and 48 qubits (the unrolled programs had one per block or site)."""
    counts = []
    for n in (16, 48):
        circuit = as_circuit(ZZFeatureMap(n, reps=2, entanglement="linear"))
        x = jnp.zeros((2, n))
        sim = jax.make_jaxpr(lambda x, c=circuit: _run_mps(
            c, x, jnp.zeros(0), chi=4, x_batched=True, w_batched=False, scan=True))(x)
        sites = [jax.ShapeDtypeStruct((2, n, 4, 2, 4), jnp.complex64)]
        overlap = jax.make_jaxpr(lambda a: _mps_overlap(a, a))(sites)
        rdms = jax.make_jaxpr(_rdms_mps)(tuple(sites))
        counts.append([_count(j.jaxpr, {"svd", "qr", "householder_product", "geqrf"})
                       for j in (sim,)] + [_count(j.jaxpr, {"dot_general"})
                                           for j in (overlap, rdms)])
    assert counts[0] == counts[1]
    assert counts[0][0] >= 1
