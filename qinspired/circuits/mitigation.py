r"""Error mitigation: zero-noise extrapolation and readout-error mitigation.

Zero-noise extrapolation (ZNE) runs a circuit at several amplified noise
levels :math:`\lambda_1 < \lambda_2 < \dots` (scale factor 1 = the device's
own noise) and extrapolates the measured expectation values to
:math:`\lambda = 0`. Noise is amplified either by **unitary folding**
(:func:`fold_circuit`: every gate :math:`G` becomes :math:`G G^\dagger G`,
which is the identity on the ideal circuit but triples the noise) or, in
simulation, by scaling the noise model's **strength**
(:meth:`NoiseModel.scaled`).

Readout-error mitigation (:func:`mitigate_readout`) undoes the classical
confusion of measured bits: with independent per-wire confusion matrices
:math:`M^{(q)}` the measured distribution is
:math:`p_\text{meas} = (\bigotimes_q M^{(q)})\,p`, which is inverted wire by
wire.

References
----------
K. Temme, S. Bravyi, J. M. Gambetta, "Error mitigation for short-depth
quantum circuits", PRL 119, 180509 (2017).
T. Giurgica-Tiron et al., "Digital zero noise extrapolation for quantum error
mitigation", IEEE QCE (2020), arXiv:2005.10921 (unitary folding).
S. Bravyi et al., "Mitigating measurement errors in multiqubit experiments",
PRA 103, 042605 (2021).
J. A. Smolin, J. M. Gambetta, G. Smith, "Efficient method for computing the
maximum-likelihood quantum state from measurements with additive Gaussian
noise", PRL 108, 070502 (2012).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np

from qinspired._validation import check_choice, is_int
from qinspired.circuits._checks import check_key
from qinspired.circuits.circuit import Circuit
from qinspired.circuits.noise_model import one_unused_noise_warning
from qinspired.circuits.observables import ObservableLike, as_pauli_sum
from qinspired.circuits._shots_core import (
    check_shots,
    confusion_list,
    draw,
    flip_table,
    term_probabilities,
)
from qinspired.circuits.shots import estimate_expectation, exact_expectation, frequencies
from qinspired.circuits.statevector import as_circuit

__all__ = [
    "EXTRAPOLATIONS",
    "MitigationResult",
    "extrapolate",
    "extrapolation_weights",
    "fold_circuit",
    "folded_scale_factor",
    "mitigate_readout",
    "zero_noise_extrapolation",
]

EXTRAPOLATIONS = ("richardson", "linear", "polynomial", "exponential")
_SCALINGS = ("folding", "strength")


@dataclass(frozen=True)
class MitigationResult:
    """The outcome of an error-mitigation method.

    Attributes
    ----------
    value : float or numpy.ndarray
        The mitigated value (an array for batched inputs).
    raw_values : numpy.ndarray
        The unmitigated values the method combined, one per scale factor
        (axis 0) for ZNE; the measured probabilities for readout mitigation.
    scale_factors : tuple of float
        The noise scale factors actually run (after folding has rounded them,
        see :func:`folded_scale_factor`); empty for readout mitigation.
    method : str
        The extrapolation (``"richardson"``, ...) or readout method.
    overhead : dict
        The cost relative to one unmitigated run. Always has
        ``"circuit_executions"`` (circuits run / 1) and ``"shots"`` (total
        shots / shots of one unmitigated run); the methods add their own
        entries (documented there).
    standard_error : float or numpy.ndarray or None
        Statistical standard error of ``value`` when it was estimated from
        shots (propagated through the extrapolation), else None.
    details : dict
        Method-specific information (requested scale factors, scaling, ...).
    """

    value: Any
    raw_values: np.ndarray
    scale_factors: tuple[float, ...]
    method: str
    overhead: dict
    standard_error: Any = None
    details: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- folding

def _check_scale_factor(scale_factor: Any, owner: str) -> float:
    ok = is_int(scale_factor) or isinstance(scale_factor, (float, np.floating))
    if not ok or not math.isfinite(scale_factor) or scale_factor < 1:
        raise ValueError(f"{owner}: scale factor {scale_factor!r} must be a finite number >= 1 "
                         "(1 = the unamplified circuit)")
    return float(scale_factor)


def _fold_plan(n_gates: int, scale_factor: float) -> tuple[int, int]:
    """``(k, s)``: ``k`` global folds, then the last ``s`` gates folded once more."""
    k = math.floor((scale_factor - 1.0) / 2.0 + 1e-12)
    rest = (scale_factor - 1.0 - 2.0 * k) / 2.0  # in [0, 1)
    s = math.floor(rest * n_gates + 0.5)
    if s == n_gates:  # rounding reached a whole extra fold
        k, s = k + 1, 0
    return k, s


def folded_scale_factor(circuit: Any, scale_factor: float) -> float:
    """The scale factor :func:`fold_circuit` actually achieves: ``len(folded) / len(circuit)``.

    Odd integers are achieved exactly; other factors are rounded to the
    nearest multiple of ``2 / n_gates`` (see :func:`fold_circuit`).
    """
    circ = as_circuit(circuit)
    factor = _check_scale_factor(scale_factor, "folded_scale_factor")
    n = len(circ.operations)
    if n == 0:
        raise ValueError("folded_scale_factor: the circuit has no gates to fold")
    k, s = _fold_plan(n, factor)
    return (n * (2 * k + 1) + 2 * s) / n


def fold_circuit(circuit: Any, scale_factor: float) -> Circuit:
    r"""Amplify a circuit's noise by unitary folding, leaving its unitary unchanged.

    With :math:`d` gates and :math:`C = G_d \cdots G_1`, write the scale factor
    as :math:`\lambda = 1 + 2k + 2s/d` with integer :math:`k \ge 0` and
    :math:`0 \le s < d` (:math:`s` rounded to the nearest integer, halves up; if it rounds
    to :math:`d` that is one more global fold). The folded
    circuit is

    .. math::

        C\,(C^\dagger C)^k\;(L^\dagger L), \qquad L = G_d \cdots G_{d-s+1},

    i.e. global folding :math:`k` times, then the **last** :math:`s` gates
    folded once more (their inverses in reverse order, then the gates again).
    It has :math:`d(2k+1) + 2s` gates, so the achieved factor is
    :math:`(2k+1) + 2s/d` (:func:`folded_scale_factor`); odd integer factors
    are exact global folds :math:`C (C^\dagger C)^k`. Inverses are expressed
    with each operation's ``adjoint`` flag, so parametrised gates keep reading
    ``x`` and ``weights``.

    Parameters
    ----------
    circuit : Circuit or feature map
        The circuit to fold (at least one gate).
    scale_factor : float
        Target noise scale factor, ``>= 1``.

    Returns
    -------
    Circuit
        The folded circuit (the same circuit for ``scale_factor = 1``).

    Notes
    -----
    Folding scales the noise of every gate alike only when each gate's
    inverse is as noisy as the gate; a noise model attached by gate name
    (:meth:`NoiseModel.add_all_qubit` with ``after=[...]``) also applies
    after the inverse, since ``G^\dagger`` keeps ``G``'s name.

    Examples
    --------
    >>> from qinspired.circuits import Circuit
    >>> c = Circuit(2, [("h", 0), ("cx", (0, 1)), ("rz", 1, 0.3)])
    >>> len(fold_circuit(c, 3)), len(fold_circuit(c, 5))
    (9, 15)
    >>> len(fold_circuit(c, 2)), folded_scale_factor(c, 2)  # s = 1.5 rounds up to 2 gates
    (7, 2.3333333333333335)
    """
    circ = as_circuit(circuit)
    factor = _check_scale_factor(scale_factor, "fold_circuit")
    ops = circ.operations
    if not ops:
        raise ValueError("fold_circuit: the circuit has no gates to fold")
    k, s = _fold_plan(len(ops), factor)
    inv = circ.inverse().operations
    folded = list(ops)
    for _ in range(k):
        folded += list(inv) + list(ops)
    if s:
        tail = ops[len(ops) - s:]
        folded += list(inv[:s]) + list(tail)
    return Circuit(circ.n_qubits, tuple(folded), circ.n_features, circ.n_weights, circ.matrices)


# ----------------------------------------------------------------------------- extrapolation

def _check_scale_factors(scale_factors: Any, owner: str) -> np.ndarray:
    try:
        lam = np.asarray(scale_factors, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{owner}: scale_factors must be numbers, got {scale_factors!r}") from exc
    if lam.ndim != 1 or lam.size < 2:
        raise ValueError(f"{owner}: scale_factors must be a 1-D sequence of at least 2 "
                         f"numbers, got {scale_factors!r}")
    if not np.all(np.isfinite(lam)) or np.any(lam < 1.0):
        raise ValueError(f"{owner}: scale_factors {lam.tolist()} must be finite and >= 1 "
                         "(1 = the device's own noise)")
    if np.any(np.diff(lam) <= 0):
        raise ValueError(f"{owner}: scale_factors {lam.tolist()} must be strictly increasing")
    return lam


def _polynomial_weights(lam: np.ndarray, order: int) -> np.ndarray:
    """Weights ``w`` such that the least-squares polynomial's value at 0 is ``w @ y``."""
    vander = np.vander(lam, order + 1, increasing=True)
    # intercept row of the pseudo-inverse; for order = k - 1 these are the Lagrange weights
    # prod_{j != i} lam_j / (lam_j - lam_i) of Richardson extrapolation
    return np.linalg.pinv(vander)[0]


def _resolve_order(method: str, k: int, order: int | None) -> int:
    if method == "richardson":
        return k - 1
    if method in ("linear", "exponential"):
        return 1
    if order is None or not is_int(order) or not 1 <= order <= k - 1:
        raise ValueError(f"extrapolate: method='polynomial' needs an integer order in "
                         f"[1, {k - 1}] for {k} scale factors, got {order!r}")
    return int(order)


def extrapolation_weights(scale_factors: Sequence[float], method: str = "richardson",
                          order: int | None = None) -> np.ndarray:
    r"""The linear weights :math:`w` with ``extrapolate(...) = w @ values``.

    Defined for the linear-in-the-data methods (``"richardson"``,
    ``"linear"``, ``"polynomial"``). With independent values of equal
    variance :math:`\sigma^2`, the extrapolated value has variance
    :math:`\sigma^2 \sum_i w_i^2`.
    """
    method = check_choice("extrapolation_weights", "method", method, EXTRAPOLATIONS[:3])
    lam = _check_scale_factors(scale_factors, "extrapolation_weights")
    return _polynomial_weights(lam, _resolve_order(method, lam.size, order))


def extrapolate(
    scale_factors: Sequence[float],
    values: Any,
    method: str = "richardson",
    *,
    order: int | None = None,
    asymptote: float = 0.0,
) -> Any:
    r"""Extrapolate values measured at noise scale factors to zero noise.

    Parameters
    ----------
    scale_factors : sequence of float, length k >= 2
        Strictly increasing factors, all ``>= 1``.
    values : array_like, shape (k,) or (k, ...)
        The value at each scale factor (further axes are extrapolated
        independently).
    method : {"richardson", "linear", "polynomial", "exponential"}
        * ``"richardson"``: the degree-(k-1) polynomial through all points,
          :math:`y(0) = \sum_i y_i \prod_{j \ne i} \lambda_j/(\lambda_j - \lambda_i)`;
          exact for polynomials of degree < k, but amplifies statistical
          noise (see :func:`extrapolation_weights`).
        * ``"linear"``: least-squares line :math:`a + b\lambda`, value
          :math:`a`.
        * ``"polynomial"``: least-squares polynomial of degree ``order``.
        * ``"exponential"``: :math:`y = y_\infty + A e^{-c\lambda}` with the
          known asymptote :math:`y_\infty` = ``asymptote`` (0 suits Pauli
          expectations under depolarizing-type noise), fitted as a
          least-squares line in :math:`\log|y - y_\infty|`; value
          :math:`y_\infty + A`.
    order : int, optional
        Polynomial degree for ``method="polynomial"``.
    asymptote : float, default 0.0
        :math:`y_\infty` for ``method="exponential"``.

    Returns
    -------
    float or numpy.ndarray
        The zero-noise estimate, shape ``values.shape[1:]``.

    Raises
    ------
    ValueError
        For invalid scale factors, mismatched shapes, non-finite values, or an
        exponential fit to values that are zero or of mixed sign relative to
        the asymptote (no exponential :math:`A e^{-c\lambda}` changes sign).

    Examples
    --------
    >>> round(extrapolate([1, 2, 3], [0.9, 0.8, 0.7], "linear"), 6)
    1.0
    >>> round(extrapolate([1, 2], [0.5, 0.25], "exponential"), 6)
    1.0
    """
    method = check_choice("extrapolate", "method", method, EXTRAPOLATIONS)
    lam = _check_scale_factors(scale_factors, "extrapolate")
    y = np.asarray(values, dtype=np.float64)
    if y.ndim == 0 or y.shape[0] != lam.size:
        raise ValueError(f"extrapolate: values must have shape ({lam.size}, ...) to match "
                         f"{lam.size} scale factors, got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("extrapolate: values contain NaN or inf")
    value, _ = _extrapolate_with_gradient(lam, y, method, order, asymptote)
    return float(value) if np.ndim(value) == 0 else value


def _extrapolate_with_gradient(lam: np.ndarray, y: np.ndarray, method: str,
                               order: int | None, asymptote: float):
    """The extrapolated value and its gradient ``d value / d y_i`` (shape of ``y``)."""
    w = _polynomial_weights(lam, _resolve_order(method, lam.size, order))
    w_b = w.reshape((-1,) + (1,) * (y.ndim - 1))
    if method != "exponential":
        return np.tensordot(w, y, axes=(0, 0)), np.broadcast_to(w_b, y.shape)
    if not math.isfinite(asymptote):
        raise ValueError(f"extrapolate: asymptote={asymptote!r} must be finite")
    d = y - asymptote
    positive, negative = np.all(d > 0, axis=0), np.all(d < 0, axis=0)
    bad = ~(positive | negative)
    if np.any(bad):
        first = tuple(int(i) for i in np.argwhere(np.atleast_1d(bad))[0]) if y.ndim > 1 else ()
        shown = y[(slice(None),) + first].tolist()
        where = f" (batch index {list(first)})" if first else ""
        raise ValueError(
            f"extrapolate: an exponential fit y = {asymptote:g} + A exp(-c lambda) is impossible "
            f"for values {shown}{where}: y - {asymptote:g} is zero or changes sign across the "
            "scale factors, and an exponential never does; use method='richardson' or "
            "'linear', or pass the right `asymptote`")
    sign = np.where(positive, 1.0, -1.0)
    log_a = np.tensordot(w, np.log(np.abs(d)), axes=(0, 0))
    amp = sign * np.exp(log_a)
    # d value / d y_i = A w_i / (y_i - y_inf)
    return asymptote + amp, amp * w_b / d


# ----------------------------------------------------------------------------- ZNE

@one_unused_noise_warning()  # one warning per call, not one per scale factor
def zero_noise_extrapolation(
    circuit: Any,
    observable: ObservableLike,
    x: Any = None,
    weights: Any = None,
    *,
    noise: Any,
    scale_factors: Sequence[float] = (1, 3, 5),
    scaling: str = "folding",
    extrapolation: str = "richardson",
    shots: int | None = None,
    key: jax.Array | None = None,
    order: int | None = None,
    asymptote: float = 0.0,
    readout_mitigation: bool = False,
) -> MitigationResult:
    r"""Zero-noise extrapolation of a noisy expectation value.

    For each scale factor :math:`\lambda_i` the noisy circuit is run (its
    density matrix simulated exactly with
    :func:`~qinspired.circuits.density.density_matrix`), the expectation of
    ``observable`` is taken, exactly or from ``shots`` shots per Pauli term,
    and the values are extrapolated to :math:`\lambda = 0` with
    :func:`extrapolate`.

    Parameters
    ----------
    circuit : Circuit or feature map
        The circuit.
    observable : PauliSum or str
        The observable.
    x, weights : array_like, optional
        Data and weights, batched as in ``density_matrix``.
    noise : NoiseModel
        The device's noise (scale factor 1). Its readout errors apply to the
        measured bits, in exact mode too (see :func:`exact_expectation`).
    scale_factors : sequence of float, default (1, 3, 5)
        Strictly increasing, ``>= 1``.
    scaling : {"folding", "strength"}
        ``"folding"``: run :func:`fold_circuit` (circuit, lambda) under
        ``noise``; the factors actually achieved (:func:`folded_scale_factor`)
        are the ones extrapolated from. Readout errors are not amplified.
        ``"strength"``: run the circuit under ``noise.scaled(lambda)``
        (every channel and readout error scaled).
    extrapolation : str, default "richardson"
        See :func:`extrapolate`; ``order`` and ``asymptote`` are passed on.
    shots : int, optional
        Shots per Pauli term and scale factor; ``None`` for exact values.
    key : jax.random key, optional
        Required with ``shots``; split into one key per scale factor.
    readout_mitigation : bool, default False
        Also undo the readout errors of the (scaled) noise model in each
        term's outcome distribution (inverse of the confusion matrices, as
        :func:`mitigate_readout` with ``method="inverse"``).

    Returns
    -------
    MitigationResult
        ``value`` (zero-noise estimate), ``raw_values`` (shape ``(k, ...)``,
        the noisy values; ``raw_values[0]`` is the unmitigated value when the
        first factor is 1), the achieved ``scale_factors``, and ``overhead``:

        * ``"circuit_executions"``: ``k`` circuits instead of one;
        * ``"shots"``: total shots relative to one unmitigated run with
          ``shots`` per term, i.e. ``k`` (also reported in exact mode, as the
          cost the same protocol would have on a device);
        * ``"gate_executions"``: gates run relative to one run of the circuit,
          :math:`\sum_i \lambda_i` for folding, ``k`` for strength scaling;
        * ``"variance_amplification"``: :math:`\sum_i g_i^2`, where
          :math:`g_i = \partial\,\text{value} / \partial y_i`; with equal
          per-factor variance, the mitigated value's variance is this many
          times an unmitigated run's, so matching its precision takes this
          many times more shots per circuit.

        With ``shots``, ``standard_error`` is
        :math:`\sqrt{\sum_i g_i^2 \sigma_i^2}` from the per-factor errors.

    Examples
    --------
    One qubit under depolarizing noise: :math:`\langle Z\rangle` decays as
    :math:`(1-p)^{3\lambda}`, which exponential extrapolation undoes.

    >>> from qinspired.circuits import Circuit, expval
    >>> from qinspired.circuits.channels import Depolarizing
    >>> from qinspired.circuits.noise_model import NoiseModel
    >>> c = Circuit(1, [("ry", 0, 0.5), ("rz", 0, 0.3), ("rx", 0, 0.2)])
    >>> res = zero_noise_extrapolation(c, "Z0", noise=NoiseModel().add_all_qubit(
    ...     Depolarizing(0.05)), extrapolation="exponential")
    >>> round(float(expval(c, "Z0")), 4), round(res.value, 4), round(float(res.raw_values[0]), 4)
    (0.8882, 0.8882, 0.7616)
    >>> res.overhead["circuit_executions"], res.overhead["gate_executions"]
    (3.0, 9.0)
    """
    from qinspired.circuits.density import density_matrix  # engineer B's module

    circ = as_circuit(circuit)
    scaling = check_choice("zero_noise_extrapolation", "scaling", scaling, _SCALINGS)
    extrapolation = check_choice("zero_noise_extrapolation", "extrapolation", extrapolation,
                                 EXTRAPOLATIONS)
    lam_req = _check_scale_factors(scale_factors, "zero_noise_extrapolation")
    if noise is None:
        raise ValueError("zero_noise_extrapolation: `noise` (a NoiseModel) is required")
    obs = as_pauli_sum(observable)
    if obs.max_wire >= circ.n_qubits:
        raise ValueError(f"zero_noise_extrapolation: observable acts on wire {obs.max_wire}; "
                         f"the circuit has {circ.n_qubits} qubits")
    if shots is not None:
        shots = check_shots(shots, "zero_noise_extrapolation")
        if key is None:
            raise ValueError("zero_noise_extrapolation: shots were requested; pass an explicit "
                             "`key` (the same key gives the same estimate)")
        check_key(key, "zero_noise_extrapolation")
    n = circ.n_qubits
    if scaling == "folding":
        lam = np.array([folded_scale_factor(circ, f) for f in lam_req])
        if np.any(np.diff(lam) <= 0):
            raise ValueError(
                f"zero_noise_extrapolation: folding a {len(circ)}-gate circuit rounds the scale "
                f"factors {lam_req.tolist()} to {lam.tolist()}, which are not strictly "
                "increasing; use factors further apart (odd integers fold exactly)")
        runs = [(fold_circuit(circ, f), noise) for f in lam_req]
        gate_executions = float(np.sum(lam))
    else:
        lam = lam_req
        runs = [(circ, noise.scaled(float(f))) for f in lam_req]
        gate_executions = float(lam.size)
    keys = None if shots is None else jax.random.split(key, lam.size)
    raw, errors = [], []
    for i, (c_i, noise_i) in enumerate(runs):
        rho = density_matrix(c_i, x, weights, noise=noise_i)
        readout = noise_i.readout_errors(n)
        if readout_mitigation:
            value, err = _readout_mitigated_expectation(rho, obs, readout, n, shots,
                                                        None if keys is None else keys[i])
        elif shots is None:
            value, err = exact_expectation(rho, obs, readout, density=True), None
        else:
            value, err = estimate_expectation(keys[i], rho, obs, shots, readout, density=True)
        raw.append(np.asarray(value, dtype=np.float64))
        errors.append(None if err is None else np.asarray(err, dtype=np.float64))
    y = np.stack(raw)
    value, grad = _extrapolate_with_gradient(lam, y, extrapolation, order, asymptote)
    amplification = np.sum(np.asarray(grad) ** 2, axis=0)
    se = None
    if shots is not None:
        se = np.sqrt(np.sum(np.asarray(grad) ** 2 * np.stack(errors) ** 2, axis=0))
        se = float(se) if np.ndim(se) == 0 else se
    overhead = {
        "circuit_executions": float(lam.size),
        "shots": float(lam.size),
        "gate_executions": gate_executions,
        "variance_amplification": (float(amplification) if np.ndim(amplification) == 0
                                   else amplification),
    }
    details = {
        "scaling": scaling,
        "requested_scale_factors": tuple(float(f) for f in lam_req),
        "shots_per_term": shots,
        "readout_mitigation": bool(readout_mitigation),
        "raw_standard_errors": None if shots is None else np.stack(errors),
    }
    return MitigationResult(
        value=float(value) if np.ndim(value) == 0 else value,
        raw_values=y,
        scale_factors=tuple(float(v) for v in lam),
        method=extrapolation,
        overhead=overhead,
        standard_error=se,
        details=details,
    )


def _readout_mitigated_expectation(rho, obs, readout, n, shots, key):
    """Expectation with the readout confusion inverted per term (exact or from shots)."""
    listed = confusion_list(readout, n)
    mats = None if listed is None else np.stack([np.asarray(m, np.float64) for m in listed])
    batch = rho.shape[:-2]
    total = np.zeros(batch)
    variance = np.zeros(batch)
    keys = None if key is None else jax.random.split(key, max(len(obs.terms), 1))
    for t, (coef, ops) in enumerate(obs.terms):
        if not ops:
            total = total + coef
            continue
        wires = np.asarray([w for w, _ in ops])
        p = term_probabilities(rho, n, True, ops)
        sub = None if mats is None else mats[wires]
        if shots is not None:
            bits = draw(keys[t], p, flip_table(sub, len(ops), p.dtype), shots)
            p_meas = np.asarray(frequencies(bits), dtype=np.float64)
        else:
            p_meas = np.asarray(p, dtype=np.float64)
            if sub is not None:
                p_meas = _tensor_apply(p_meas, [np.asarray(m, np.float64) for m in sub])
        if sub is not None:
            inv = [np.linalg.inv(np.asarray(m, np.float64)) for m in sub]
            q = _tensor_apply(p_meas, inv)
        else:
            inv, q = None, p_meas
        signs = 1.0 - 2.0 * np.array([i.bit_count() & 1 for i in range(2 ** len(ops))])
        mean = q @ signs
        total = total + coef * mean
        if shots is not None:
            # the mitigated parity is a linear functional v . p_meas of the frequencies, so its
            # variance is (E[(v.b)^2] - (v.p)^2) / shots with v = (M^-1)^T signs
            v = signs if inv is None else _tensor_apply(
                np.broadcast_to(signs, p_meas.shape), [m.T for m in inv])
            second = np.sum(p_meas * v**2, axis=-1)
            variance = variance + coef**2 * np.maximum(second - mean**2, 0.0) / shots
    return total, (None if shots is None else np.sqrt(variance))


# ----------------------------------------------------------------------------- readout

def _tensor_apply(p: np.ndarray, mats: Sequence[np.ndarray]) -> np.ndarray:
    """``(A_0 (x) A_1 (x) ...) p`` along the last axis, one wire at a time."""
    k = len(mats)
    batch = p.shape[:-1]
    nb = len(batch)
    t = p.reshape(batch + (2,) * k)
    for j, a in enumerate(mats):
        t = np.moveaxis(np.tensordot(a, t, axes=([1], [nb + j])), 0, nb + j)
    return t.reshape(batch + (2**k,))


def _project_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection of each row (last axis) onto the probability simplex.

    Sort-based algorithm of Held, Wolfe and Crowder (1974) / Duchi et al. (2008):
    ``max(v - tau, 0)`` with the threshold ``tau`` that makes the result sum to 1.
    """
    u = -np.sort(-v, axis=-1)
    css = np.cumsum(u, axis=-1) - 1.0
    ind = np.arange(1, v.shape[-1] + 1)
    cond = u - css / ind > 0
    rho = v.shape[-1] - 1 - np.argmax(cond[..., ::-1], axis=-1)
    tau = np.take_along_axis(css, rho[..., None], axis=-1) / (rho[..., None] + 1.0)
    return np.maximum(v - tau, 0.0)


def _least_squares_simplex(p: np.ndarray, mats: list[np.ndarray], start: np.ndarray,
                           max_iter: int, tol: float) -> tuple[np.ndarray, int]:
    """Minimise ``||A q - p||_2`` over the simplex by accelerated projected gradient (FISTA).

    ``A = (x)_j M_j`` is applied wire by wire. The step is ``1 / L`` with
    ``L = ||A||_2^2 = prod_j ||M_j||_2^2``.
    """
    lip = float(np.prod([np.linalg.norm(m, 2) ** 2 for m in mats]))
    mats_t = [m.T for m in mats]
    q = _project_simplex(start)
    z, t = q, 1.0
    for it in range(1, max_iter + 1):
        grad = _tensor_apply(_tensor_apply(z, mats) - p, mats_t)
        q_new = _project_simplex(z - grad / lip)
        t_new = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
        z = q_new + ((t - 1.0) / t_new) * (q_new - q)
        step = float(np.max(np.abs(q_new - q)))
        q, t = q_new, t_new
        if step < tol:
            return q, it
    return q, max_iter


def mitigate_readout(
    probabilities: Any,
    readout_errors: Any,
    method: str = "inverse",
    *,
    return_result: bool = False,
    max_iter: int = 5000,
    tol: float = 1e-12,
) -> Any:
    r"""Undo independent per-wire readout errors in measured probabilities.

    The measured distribution over ``k`` wires is
    :math:`p_\text{meas} = A\,p` with :math:`A = \bigotimes_{q} M^{(q)}`
    (``M[measured, true]``). Both methods apply :math:`A` or its inverse one
    wire at a time (:math:`O(k\,2^k)` work), never forming the
    :math:`2^k \times 2^k` matrix.

    Parameters
    ----------
    probabilities : array_like, shape (..., 2**k)
        Measured probabilities or frequencies; the first wire is the most
        significant bit of the index (as :func:`~qinspired.circuits.shots.frequencies`).
    readout_errors : ReadoutError, sequence, array or NoiseModel
        Confusion matrices of the ``k`` measured wires, in the order of the
        index (see :func:`~qinspired.circuits.shots.confusion_matrices`;
        ``None`` entries mean perfect readout).
    method : {"inverse", "least_squares"}
        * ``"inverse"``: :math:`q = \bigotimes_q (M^{(q)})^{-1} p_\text{meas}`,
          exact for exact input; sums to 1 but may have small negative entries
          (a quasi-probability) when the input is a finite-shot estimate.
        * ``"least_squares"``: :math:`\arg\min_{q \in \Delta}\|A q -
          p_\text{meas}\|_2` over the probability simplex :math:`\Delta`,
          by accelerated projected gradient descent (FISTA, Euclidean
          projection onto the simplex each step) started from the projection
          of the inverse solution. When the inverse solution is already a
          distribution it is the minimiser and is returned as it is (residual
          0). Always a valid distribution (non-negative, sums to 1).
    return_result : bool, default False
        Return a :class:`MitigationResult` (with the overhead) instead of the
        array.
    max_iter, tol : int, float
        Iteration limit and convergence tolerance (max change of an entry)
        for ``"least_squares"``.

    Returns
    -------
    numpy.ndarray, shape (..., 2**k), float64
        The mitigated probabilities, or a :class:`MitigationResult` whose
        ``value`` they are and whose ``overhead`` has
        ``circuit_executions = 1`` and ``shots = 1`` (the circuit itself is
        run as before), ``calibration_circuits = 2`` (the tensored
        calibration: prepare :math:`|0\dots0\rangle` and
        :math:`|1\dots1\rangle` and read each wire's column of
        :math:`M^{(q)}` from its marginal; valid for uncorrelated readout
        errors; calibrating wire by wire would take ``2 k`` circuits,
        ``calibration_circuits_per_wire``, and the full correlated matrix
        ``2**k``), and ``sampling_overhead``
        :math:`\gamma^2 = \prod_q \|(M^{(q)})^{-1}\|_1^2`, the factor by which
        shots must grow for inverse-mitigated expectation values to keep their
        precision (Bravyi et al. 2021). Calibration runs once per device
        calibration and is shared by every circuit measured on those wires.

    Raises
    ------
    ValueError
        For invalid probabilities (negative entries beyond rounding, not
        summing to 1), a wrong number of confusion matrices, or a singular
        confusion matrix (``p0given1 + p1given0 = 1``: the readout carries no
        information).

    Examples
    --------
    >>> import numpy as np
    >>> m = np.array([[0.9, 0.2], [0.1, 0.8]])
    >>> measured = m @ np.array([0.25, 0.75])
    >>> mitigate_readout(measured, [m]).round(12).tolist()
    [0.25, 0.75]
    """
    method = check_choice("mitigate_readout", "method", method, ("inverse", "least_squares"))
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim == 0:
        raise ValueError("mitigate_readout: probabilities must have shape (..., 2**k)")
    dim = p.shape[-1]
    k = int(dim).bit_length() - 1
    if dim < 2 or 2**k != dim:
        raise ValueError(f"mitigate_readout: the last axis must have a power-of-two length "
                         f">= 2, got shape {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("mitigate_readout: probabilities contain NaN or inf")
    if p.min() < -1e-6 or np.max(np.abs(p.sum(axis=-1) - 1.0)) > 1e-6:
        raise ValueError(
            f"mitigate_readout: invalid probabilities (min {p.min():.3g}, sums deviate from 1 "
            f"by up to {np.max(np.abs(p.sum(axis=-1) - 1.0)):.3g}); pass measured "
            "probabilities or frequencies")
    listed = confusion_list(readout_errors, k)
    mats = [np.eye(2)] * k if listed is None else [np.asarray(m, np.float64) for m in listed]
    inv = []
    for q, m in enumerate(mats):
        det = float(np.linalg.det(m))
        if abs(det) < 1e-12:
            raise ValueError(
                f"mitigate_readout: the confusion matrix of wire {q} is singular "
                f"(p0given1 + p1given0 = 1): its readout carries no information to invert")
        inv.append(np.linalg.inv(m))
    q_inv = _tensor_apply(p, inv)
    iterations = 0
    if method == "least_squares":
        ok = np.all(q_inv >= 0.0, axis=-1)
        result = q_inv.copy()
        if not np.all(ok):
            bad = ~ok
            fitted, iterations = _least_squares_simplex(p[bad], mats, q_inv[bad], max_iter, tol)
            result[bad] = fitted
        q_out = result
    else:
        q_out = q_inv
    if not return_result:
        return q_out
    gamma = float(np.prod([np.max(np.sum(np.abs(m), axis=0)) for m in inv]))
    return MitigationResult(
        value=q_out,
        raw_values=p,
        scale_factors=(),
        method=method,
        overhead={
            "circuit_executions": 1.0,
            "shots": 1.0,
            "calibration_circuits": 2,
            "calibration_circuits_per_wire": 2 * k,
            "sampling_overhead": gamma**2,
        },
        details={"iterations": iterations, "n_wires": k},
    )
