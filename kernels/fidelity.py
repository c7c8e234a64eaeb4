r"""The fidelity (state-overlap) quantum kernel.

.. math::

    k(x, y) = |\langle \psi(x) | \psi(y) \rangle|^2, \qquad
    |\psi(x)\rangle = U(x) |0\rangle^{\otimes n},

and, for noisy states, :math:`k(x, y) = \mathrm{Tr}(\rho_x \rho_y)`. The Gram
matrix is one matrix product of the states, :math:`K = |\Psi_A \Psi_B^\dagger|^2`
(with noise, :math:`K = \mathrm{Re}\,\mathrm{vec}(\rho_A)\,\mathrm{vec}(\rho_B)^\dagger`),
computed in tiles at the highest matmul precision: kernel values of order
:math:`2^{-n}` are lost to TF32 rounding on GPUs otherwise.

References
----------
V. Havlicek et al., "Supervised learning with quantum-enhanced feature
spaces", Nature 567, 209 (2019); M. Schuld and N. Killoran, "Quantum machine
learning in feature Hilbert spaces", Phys. Rev. Lett. 122, 040504 (2019);
T. Hubregtsen et al., "Training quantum embedding kernels on near-term
quantum computers", Phys. Rev. A 106, 042431 (2022) (noise mitigation).
"""

from __future__ import annotations

import zlib
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._random import as_key
from qinspired._validation import available_memory_bytes, check_choice, check_int
from qinspired.kernels import _circuit_mode, _fused
from qinspired.kernels._base import KernelStates, QuantumKernel
from qinspired.kernels._states import boundary, sweep_sites
from qinspired.kernels.gram import gram_matrix

__all__ = ["FidelityKernel", "psd_repair"]

_HIGHEST = jax.lax.Precision.HIGHEST


def _overlap_sq(a: jax.Array, b: jax.Array) -> jax.Array:
    return jnp.abs(jnp.matmul(a, jnp.conj(b).T, precision=_HIGHEST)) ** 2


def _parts(states: Any) -> tuple[jax.Array, jax.Array]:
    """Real and imaginary parts of complex states, or the ``(real, imag)`` pair given."""
    if isinstance(states, tuple):
        return states
    return jnp.real(states), jnp.imag(states)


@jax.jit
def _split(states: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Complex states as two contiguous real arrays (see :meth:`FidelityKernel.gram`)."""
    return jnp.real(states), jnp.imag(states)


def _overlap_sq_real(a: Any, b: Any) -> jax.Array:
    """:func:`~qinspired.kernels._fused.overlap_sq_parts` (three real products) of complex
    states or ``(real, imag)`` pairs. Taking the parts out of a complex tile costs about
    as much as the three products (512 x 4096 tiles: 31 ms against 16 ms from pairs), so
    the kernel splits its states once per Gram matrix."""
    return _fused.overlap_sq_parts(_parts(a), _parts(b))


def _sample(values: jax.Array, params: dict, key: jax.Array) -> jax.Array:
    """Finite-shot estimates: ``Binomial(shots, p) / shots`` of ``p = offset + slope * value``."""
    shots = params["shots"]
    p = jnp.clip(params["offset"] + params["slope"] * values, 0.0, 1.0)
    hits = jax.random.binomial(key, shots, p.astype(jnp.float32))
    return (hits / shots - params["offset"]) / params["slope"]


def _product_overlap(a: jax.Array, b: jax.Array) -> jax.Array:
    per_qubit = jnp.einsum("iqs,jqs->ijq", jnp.conj(a), b, precision=_HIGHEST)
    return jnp.prod(jnp.abs(per_qubit) ** 2, axis=-1)


def _mps_overlap(a: tuple, b: tuple) -> jax.Array:
    env = boundary((a[0].shape[0], b[0].shape[0]), a[0].shape[-3], a[0].dtype)
    env, _ = sweep_sites(
        lambda e, ta, tb: jnp.einsum("ijab,iasc,jbsd->ijcd", e, jnp.conj(ta), tb,
                                     precision=_HIGHEST), env, (a, b))
    return jnp.abs(env[:, :, 0, 0]) ** 2


def _trace_product(a: jax.Array, b: jax.Array) -> jax.Array:
    return jnp.real(jnp.matmul(a, jnp.conj(b).T, precision=_HIGHEST))


def _hermitian_features(v: jax.Array) -> jax.Array:
    r"""Real coordinates of flattened Hermitian matrices, orthonormal for :math:`\mathrm{Tr}(AB)`.

    The diagonal, then :math:`\sqrt 2\,\mathrm{Re}` and :math:`\sqrt 2\,\mathrm{Im}` of
    the strict upper triangle: :math:`d^2` reals per matrix instead of :math:`2 d^2`.
    """
    dim = int(round(v.shape[1] ** 0.5))
    rows, cols = np.triu_indices(dim, 1)
    m = v.reshape(v.shape[0], dim, dim)
    upper = m[:, rows, cols]
    diag = jnp.real(jnp.diagonal(m, axis1=1, axis2=2))
    root2 = np.sqrt(2.0).astype(diag.dtype)
    return jnp.concatenate([diag, root2 * jnp.real(upper), root2 * jnp.imag(upper)], axis=1)


def _coordinates(rho: jax.Array) -> jax.Array:
    """:func:`_hermitian_features` of flattened density matrices, or the coordinates given."""
    return _hermitian_features(rho) if jnp.iscomplexobj(rho) else rho


def _trace_product_real(a: jax.Array, b: jax.Array) -> jax.Array:
    r""":math:`\mathrm{Tr}(\rho_a \rho_b)` of Hermitian matrices from one real product of half size.

    ``a`` and ``b`` are flattened density matrices (complex) or their real coordinates
    (:func:`_hermitian_features`, which the kernel computes once per Gram matrix).
    """
    return jnp.matmul(_coordinates(a), _coordinates(b).T, precision=_HIGHEST)


def _blocks(overlap: Any) -> tuple[Any, Any]:
    """The exact and the finite-shot block functions of a pairwise overlap function."""

    def exact(params: dict, a: Any, b: Any, key: jax.Array) -> jax.Array:
        return overlap(a, b)

    def sampled(params: dict, a: Any, b: Any, key: jax.Array) -> jax.Array:
        return _sample(overlap(a, b), params, key)

    return exact, sampled


# Block functions by state kind and matrix-product arithmetic. On CPU, XLA's complex
# matrix product runs several times slower than real products of the same data (see
# benchmarks/kernels.py, part 4), so statevector and density blocks use the real forms
# there; accelerators keep the complex product (cuBLAS runs it at full speed).
_BLOCKS = {
    "statevector": {"complex": _blocks(_overlap_sq), "real": _blocks(_overlap_sq_real)},
    "density": {"complex": _blocks(_trace_product), "real": _blocks(_trace_product_real)},
    "product": {"complex": _blocks(_product_overlap)},
    "mps": {"complex": _blocks(_mps_overlap)},
}


def _arithmetic(kind: str, devices: list[Any]) -> str:
    """``"real"`` where every device is a CPU and the kind has a real form, else ``"complex"``."""
    forms = _BLOCKS[kind]
    if "real" in forms and all(d.platform == "cpu" for d in devices):
        return "real"
    return "complex"


_squared_norms = jax.jit(_fused.squared_norms)


_REAL_FORMS = {"statevector": _split, "density": jax.jit(_hermitian_features)}


def _real_form(kind: str, data: Any) -> Any:
    """States in the form the real blocks take (:func:`_split` of statevectors, the
    coordinates of density matrices), computed once per Gram matrix instead of once per
    tile, for states held by JAX on this process when the copy fits in half the free
    memory; otherwise the data as given (then each tile converts its own rows)."""
    if (data is not None and isinstance(data, jax.Array) and data.is_fully_addressable
            and 2 * data.nbytes <= available_memory_bytes(next(iter(data.devices())))):
        return _REAL_FORMS[kind](data)
    return data


_DEFAULT_TILES = {"statevector": 512, "product": 1024, "mps": 64, "density": 256}


def _fingerprint(*states: KernelStates | None) -> int:
    """A cheap checksum of the data sets, so shot noise differs between Gram matrices."""
    crc = 0
    for s in states:
        if s is not None:
            leaf = jax.tree_util.tree_leaves(s.data)[0]
            crc = zlib.crc32(np.asarray(leaf[:4]).tobytes() + str(len(s)).encode(), crc)
    return crc & 0x7FFFFFFF


def psd_repair(K: np.ndarray) -> np.ndarray:
    """The nearest positive semi-definite matrix (Frobenius norm): negative eigenvalues clipped.

    Parameters
    ----------
    K : ndarray, shape (n, n)
        A symmetric matrix (e.g. a Gram matrix estimated from shots).

    Returns
    -------
    numpy.ndarray, shape (n, n)
    """
    K = np.asarray(K, dtype=float)
    if K.ndim != 2 or K.shape[0] != K.shape[1]:
        raise ValueError(f"psd_repair needs a square matrix, got shape {K.shape}")
    sym = (K + K.T) / 2
    vals, vecs = np.linalg.eigh(sym)
    return (vecs * np.clip(vals, 0.0, None)) @ vecs.T


def _depolarizing_mitigation(K: np.ndarray, self_a: np.ndarray, self_b: np.ndarray, dim: int
                             ) -> np.ndarray:
    lam_a = np.sqrt(np.clip((self_a - 1 / dim) / (1 - 1 / dim), 1e-12, None))
    lam_b = np.sqrt(np.clip((self_b - 1 / dim) / (1 - 1 / dim), 1e-12, None))
    scale = np.outer(lam_a, lam_b)
    return (K - (1 - scale) / dim) / scale


class FidelityKernel(QuantumKernel):
    r"""Fidelity quantum kernel :math:`k(x, y) = |\langle\psi(x)|\psi(y)\rangle|^2`.

    Parameters
    ----------
    feature_map : FeatureMap or Circuit, optional
        The encoding :math:`U(x)`. ``None`` uses
        ``ZZFeatureMap(n_features)`` (two reps, linear entanglement,
        ``feature_scale="auto"``), built from the data.
    weights : array_like, optional
        Values of the feature map's trainable weights, if it has any.
    backend : {"auto", "statevector", "product", "mps", "density"}, default "auto"
        How states are simulated. ``"statevector"``: exact amplitudes
        (:math:`2^n` per point). ``"product"``: the closed form of a feature
        map without entangling gates, :math:`k = \prod_q |\langle\phi_q(x)|
        \phi_q(y)\rangle|^2`, exact and :math:`O(n)` per pair. ``"mps"``: an MPS
        of bond dimension ``bond_dim`` (approximate; its truncation error is
        in :attr:`KernelStates.truncation_error`). ``"density"``: density
        matrices, with ``noise``. ``"auto"``: density with noise, else product
        when possible, else statevector.
    bond_dim : int, optional
        :math:`\chi` of the MPS backend (``None``: exact, :math:`2^{\lfloor n/2
        \rfloor}`).
    noise : NoiseModel, optional
        Hardware noise; the kernel becomes :math:`\mathrm{Tr}(\rho_x\rho_y)`
        (``mode="state"``) or the probability of reading :math:`0^n` after
        :math:`U(y)^\dagger U(x)` (``mode="circuit"``, readout errors included).
    mode : {"state", "circuit"}, default "state"
        ``"state"``: one Gram matrix product of simulated states (what a swap
        test between the two states estimates). ``"circuit"``: simulate the
        compute-uncompute circuit :math:`U(y)^\dagger U(x)` for every pair,
        as hardware would: :math:`N_X N_Y` circuits (see :meth:`resources`).
    shots : int, optional
        Finite-shot estimates. Compute-uncompute (``mode="circuit"``, and
        noiseless states): each entry is :math:`\mathrm{Binomial}(m, k)/m`.
        Noisy ``mode="state"``: a swap test, :math:`2\,\mathrm{Binomial}(m,
        (1 + k)/2)/m - 1`. ``None``: exact values.
    mitigation : {None, "depolarizing"}, default None
        Undo global depolarizing noise using each point's self-overlap
        :math:`k(x, x) = \lambda_x^2 + (1 - \lambda_x^2)/2^n`:
        :math:`k \leftarrow (\tilde k - (1 - \lambda_x\lambda_y)/2^n) /
        (\lambda_x \lambda_y)` (Hubregtsen et al. 2022).
    psd_repair : bool, default False
        Clip negative eigenvalues of a symmetric Gram matrix (``k(X)``),
        e.g. after finite shots.
    tile_size : int, optional
        Rows per tile of the Gram computation (default depends on the backend).
    devices : int, optional
        Shard the Gram computation over the first ``devices`` of
        ``jax.devices()`` (default: all visible devices); under several
        processes, a multiple of the process count, taken evenly from each.
    random_state : int, Generator or None, default None
        Seed of the shot noise; an int gives the same estimates on every call.

    Attributes
    ----------
    feature_map_ : FeatureMap or Circuit
        The feature map in use, its ``feature_scale="auto"`` fixed from the
        training data (set by :meth:`fit`; see :mod:`qinspired.kernels._base`).

    Examples
    --------
    >>> import numpy as np
    >>> from qinspired import AngleEncoding
    >>> from qinspired.kernels import FidelityKernel
    >>> k = FidelityKernel(AngleEncoding(2, feature_scale=1.0))
    >>> X = np.array([[0.0, 0.0], [np.pi, 0.0]])
    >>> np.round(k(X), 6).tolist()   # RY encoding: prod_q cos^2((x_q - y_q) / 2)
    [[1.0, 0.0], [0.0, 1.0]]
    """

    _owner = "FidelityKernel"

    def __init__(self, feature_map: Any = None, *, weights: Any = None, backend: str = "auto",
                 bond_dim: int | None = None, noise: Any = None, mode: str = "state",
                 shots: int | None = None, mitigation: str | None = None,
                 psd_repair: bool = False, tile_size: int | None = None,
                 devices: int | None = None, random_state: Any = None) -> None:
        self.feature_map = feature_map
        self.weights = weights
        self.backend = backend
        self.bond_dim = bond_dim
        self.noise = noise
        self.mode = mode
        self.shots = shots
        self.mitigation = mitigation
        self.psd_repair = psd_repair
        self.tile_size = tile_size
        self.devices = devices
        self.random_state = random_state

    def _mode(self) -> str:
        return check_choice(self._owner, "mode", self.mode, ("state", "circuit"))

    def _shots(self) -> int | None:
        return None if self.shots is None else check_int(self._owner, "shots", self.shots, 1)

    def states(self, X: Any) -> KernelStates:
        """Simulate the feature map for every row of ``X`` (see :class:`KernelStates`).

        In ``mode="circuit"`` nothing is simulated per point: the data are
        kept and every pair is simulated by :meth:`gram`.
        """
        X = self._check_x(X, "X")
        if self._mode() == "circuit":
            return KernelStates("data", self._encoding(X)[1])
        return self._simulate(X)

    def _sampling(self, kind: str) -> dict | None:
        shots = self._shots()
        if shots is None:
            return None
        swap_test = kind == "density"
        return {"shots": float(shots), "offset": 0.5 if swap_test else 0.0,
                "slope": 0.5 if swap_test else 1.0}

    def gram(self, states_a: KernelStates, states_b: KernelStates | None = None, *,
             out: Any = None) -> np.ndarray:
        """The Gram matrix between two sets of states (``states_b=None``: symmetric)."""
        self._check_states(states_a, states_b)
        kind = states_a.kind
        if self.mitigation is not None:
            check_choice(self._owner, "mitigation", self.mitigation, ("depolarizing",))
        key = None
        if self.shots is not None:
            key = jax.random.fold_in(as_key(self.random_state), _fingerprint(states_a, states_b))
        tile = (_DEFAULT_TILES.get(kind, 512) if self.tile_size is None
                else check_int(self._owner, "tile_size", self.tile_size, 1))
        devices = self._devices()
        b_data = None if states_b is None else states_b.data
        if kind == "data":
            n_features = int(np.shape(states_a.data)[1])
            circ = self.circuit(n_features)
            if circ.n_features != n_features:
                raise ValueError(f"{self._owner}.gram: the 'data' states hold {n_features} "
                                 f"features, but the feature map reads {circ.n_features}")
            block, params, tile = _circuit_mode.block(self, states_a.data, self._shots(), tile)
        elif kind in _BLOCKS:
            params = self._sampling(kind)
            block = _BLOCKS[kind][_arithmetic(kind, devices)][params is not None]
        else:
            raise ValueError(f"{self._owner}: cannot compute a fidelity kernel from "
                             f"{kind!r} states")
        if (kind == "statevector" and params is None and out is None and len(devices) == 1
                and jax.process_count() == 1 and _fused.product_fits(
                    (len(states_a),) if states_b is None else (len(states_a), len(states_b)),
                    int(np.shape(states_a.data)[1]))):
            return self._finish(_fused.gram_of_states(states_a.data, b_data), states_a,
                                states_b, key)
        diagonal = None
        if kind in ("statevector", "density") and params is None and states_b is None:
            # k(x, x) in closed form: ||psi||^4, or Tr(rho^2) = sum |rho_ij|^2.
            norms = np.asarray(_squared_norms(states_a.data), dtype=np.float64)
            diagonal = norms**2 if kind == "statevector" else norms
        a_data = states_a.data
        if kind in _REAL_FORMS and _arithmetic(kind, devices) == "real":
            a_data, b_data = _real_form(kind, a_data), _real_form(kind, b_data)
        K = gram_matrix(block, params, a_data, b_data, tile_size=tile, out=out,
                        devices=devices, key=key, diagonal=diagonal)
        return self._finish(K, states_a, states_b, key)

    def _finish(self, K: np.ndarray, states_a: KernelStates, states_b: KernelStates | None,
                key: jax.Array | None) -> np.ndarray:
        """Mitigation and PSD repair, in place, as configured."""
        if self.mitigation is not None:
            if states_b is None:
                self_a = self_b = np.diag(K).copy()
            else:
                self_a = self._self_kernel(states_a, key, 1)
                self_b = self._self_kernel(states_b, key, 2)
            K[...] = _depolarizing_mitigation(K, self_a, self_b, self._dimension(states_a))
        if self.psd_repair and states_b is None:
            K[...] = psd_repair(K)
        return K

    def _fused_gram(self, X: np.ndarray, Y: np.ndarray | None) -> np.ndarray | None:
        """Exact statevector Gram matrices of a few hundred points as whole matrices
        (:mod:`qinspired.kernels._fused`); ``None`` where that path does not apply."""
        if (self._mode() != "state" or self._shots() is not None or self.mitigation is not None
                or jax.process_count() > 1 or len(self._devices()) != 1):
            return None
        if self.tile_size is not None:
            check_int(self._owner, "tile_size", self.tile_size, 1)
        circ, X = self._encoding(X)
        if self._resolve_backend(circ) != "statevector":
            return None
        w = self._weights(circ)
        if Y is not None:
            Y = self._encoding(Y)[1]
        if not _fused.applies(circ, w, (len(X),) if Y is None else (len(X), len(Y))):
            return None
        K = _fused.fused_gram(circ, X, Y, w)
        if K is not None and self.psd_repair and Y is None:
            K = psd_repair(K)
        return K

    def _dimension(self, states: KernelStates) -> int:
        if states.kind == "data":
            return 2 ** self.circuit(states.data.shape[1]).n_qubits
        if states.kind == "density":
            return int(round(np.sqrt(np.shape(states.data)[1])))
        if states.kind == "statevector":
            return int(np.shape(states.data)[1])
        if states.kind == "product":
            return 2 ** int(np.shape(states.data)[1])
        return 2 ** sum(1 if t.ndim == 4 else t.shape[1] for t in states.data)

    def _self_kernel(self, states: KernelStates, key: jax.Array | None, stream: int
                     ) -> np.ndarray:
        """Each point's kernel with itself, estimated as the Gram entries are."""
        n = len(states)
        if states.kind == "data":
            values = _circuit_mode.self_overlaps(self, states.data)
        elif states.kind == "density":
            values = np.sum(np.abs(np.asarray(states.data)) ** 2, axis=1)
        else:
            values = np.ones(n)
        params = self._sampling(states.kind)
        if params is None or key is None:
            return np.asarray(values, dtype=float)
        draws = _sample(jnp.asarray(values), params, jax.random.fold_in(key, stream))
        return np.asarray(draws, dtype=float)

    def resources(self, n_x: int, n_y: int | None = None) -> dict[str, Any]:
        """What computing a Gram matrix costs: circuit executions and shots on hardware.

        Parameters
        ----------
        n_x, n_y : int
            Rows and columns (``n_y=None``: the symmetric ``k(X)``, where only
            the pairs ``i < j`` need circuits).

        Returns
        -------
        dict
            ``"circuits"`` (distinct circuits a QPU would run), ``"shots"``
            (total; ``None`` for exact simulation), ``"simulations"`` (state or
            circuit simulations done here) and ``"mode"``.
        """
        nx = check_int(self._owner, "n_x", n_x, 0)
        pairs = nx * (nx - 1) // 2 if n_y is None else nx * check_int(self._owner, "n_y", n_y, 0)
        extra = 0
        if self.mitigation is not None:
            extra = nx if n_y is None else nx + n_y
        mode = self._mode()
        circuits = pairs + extra
        shots = self._shots()
        simulations = circuits if mode == "circuit" else nx + (0 if n_y is None else n_y)
        return {"mode": mode, "circuits": circuits,
                "shots": None if shots is None else circuits * shots,
                "simulations": simulations}
