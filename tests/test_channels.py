"""Noise channels against their definitions: CPTP, closed forms, validation, JAX transforms."""

from __future__ import annotations

import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _dense import I2, X, Y, Z
from hypothesis import given, settings
from hypothesis import strategies as st

from qinspired.circuits.channels import (
    CHANNELS,
    AmplitudeDamping,
    BitFlip,
    BitPhaseFlip,
    Channel,
    Depolarizing,
    Depolarizing2,
    GeneralizedAmplitudeDamping,
    KrausChannel,
    PauliChannel,
    PhaseDamping,
    PhaseFlip,
    ReadoutError,
    Reset,
    ThermalRelaxation,
    make_channel,
)

# A unitary (Hadamard) mixed with a dephasing: a valid Kraus channel written by hand.
_H = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
_KRAUS_1Q = np.stack([np.sqrt(0.7) * _H, np.sqrt(0.3) * Z])
_KRAUS_2Q = np.stack([np.sqrt(0.6) * np.eye(4), np.sqrt(0.4) * np.kron(X, Z)])

# Valid parameters for every registered channel: interior points and the boundaries.
EXAMPLES: dict[str, list[dict]] = {
    "depolarizing": [{"p": 0.0}, {"p": 0.37}, {"p": 1.0}],
    "depolarizing2": [{"p": 0.0}, {"p": 0.41}, {"p": 1.0}],
    "bit_flip": [{"p": 0.0}, {"p": 0.23}, {"p": 1.0}],
    "phase_flip": [{"p": 0.0}, {"p": 0.31}, {"p": 1.0}],
    "bit_phase_flip": [{"p": 0.0}, {"p": 0.17}, {"p": 1.0}],
    "pauli": [{"px": 0.1, "py": 0.2, "pz": 0.3}, {"px": 0.0, "py": 0.0, "pz": 0.0},
              {"px": 0.5, "py": 0.25, "pz": 0.25}],
    "amplitude_damping": [{"gamma": 0.0}, {"gamma": 0.29}, {"gamma": 1.0}],
    "generalized_amplitude_damping": [{"gamma": 0.35, "p": 0.8}, {"gamma": 1.0, "p": 0.0},
                                      {"gamma": 0.0, "p": 0.5}],
    "phase_damping": [{"gamma": 0.0}, {"gamma": 0.44}, {"gamma": 1.0}],
    "thermal_relaxation": [
        {"t1": 50.0, "t2": 30.0, "gate_time": 7.0},  # T2 <= T1
        {"t1": 50.0, "t2": 85.0, "gate_time": 7.0, "excited_population": 0.2},  # T1 < T2
        {"t1": 50.0, "t2": 100.0, "gate_time": 13.0},  # T2 = 2 T1
        {"t1": 50.0, "t2": 50.0, "gate_time": 0.0},
    ],
    "reset": [{}, {"p0": 0.2, "p1": 0.3}, {"p0": 0.0, "p1": 1.0}],
    "kraus": [{"matrices": _KRAUS_1Q}, {"matrices": _KRAUS_2Q}, {"matrices": _H}],
}
CASES = [(name, params) for name in sorted(CHANNELS) for params in EXAMPLES[name]]
CASE_IDS = [f"{name}-{i}" for name in sorted(CHANNELS) for i in range(len(EXAMPLES[name]))]


def random_rho(rng: np.random.Generator, dim: int, rank: int | None = None) -> np.ndarray:
    g = rng.normal(size=(dim, rank or dim)) + 1j * rng.normal(size=(dim, rank or dim))
    rho = g @ g.conj().T
    return rho / np.trace(rho)


def definition_apply(kraus: np.ndarray, rho: np.ndarray) -> np.ndarray:
    return sum(k @ rho @ k.conj().T for k in kraus)


def bloch(rho: np.ndarray) -> np.ndarray:
    return np.real([np.trace(rho @ p) for p in (X, Y, Z)])


PLUS = np.full((2, 2), 0.5, dtype=complex)
ONE = np.diag([0.0, 1.0]).astype(complex)
ZERO = np.diag([1.0, 0.0]).astype(complex)


def test_examples_cover_the_registry():
    assert set(EXAMPLES) == set(CHANNELS)
    for name, cls in CHANNELS.items():
        assert cls.name == name and issubclass(cls, Channel)
        assert name == name.lower() and " " not in name


# -- CPTP ---------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "params"), CASES, ids=CASE_IDS)
def test_every_channel_is_trace_preserving_in_float64(name, params):
    with jax.enable_x64(True):
        ch = make_channel(name, **params)
        k = np.asarray(ch.kraus())
    d = 2**ch.n_wires
    assert k.dtype == np.complex128
    assert k.ndim == 3 and k.shape[1:] == (d, d)
    np.testing.assert_allclose(np.einsum("kba,kbc->ac", k.conj(), k), np.eye(d), atol=1e-12)


@pytest.mark.parametrize(("name", "params"), CASES, ids=CASE_IDS)
def test_channel_maps_density_matrices_to_density_matrices(name, params):
    rng = np.random.default_rng(7)
    with jax.enable_x64(True):
        ch = make_channel(name, **params)
        d = 2**ch.n_wires
        rhos = np.stack([random_rho(rng, d, r) for r in (1, 2, d)])
        out = np.asarray(ch.apply(rhos))
        sup = np.asarray(ch.superoperator())
        kraus = np.asarray(ch.kraus())
    for rho, o in zip(rhos, out):
        np.testing.assert_allclose(np.trace(o), 1.0, atol=1e-12)
        np.testing.assert_allclose(o, o.conj().T, atol=1e-12)
        assert np.linalg.eigvalsh(o).min() > -1e-12
        assert np.real(np.trace(o @ o)) <= 1 + 1e-12
        np.testing.assert_allclose(o, definition_apply(kraus, rho), atol=1e-12)
        np.testing.assert_allclose(sup @ rho.reshape(-1), o.reshape(-1), atol=1e-12)


@pytest.mark.parametrize(("name", "params"), CASES, ids=CASE_IDS)
def test_default_dtype_is_complex64(name, params):
    assert make_channel(name, **params).kraus().dtype == jnp.complex64


@settings(max_examples=25, deadline=None)
@given(
    t1=st.floats(1e-3, 1e3),
    ratio=st.floats(1e-3, 2.0),
    t_over_t1=st.floats(0.0, 5.0),
    pe=st.floats(0.0, 1.0),
)
def test_thermal_relaxation_is_cptp_and_matches_closed_form(t1, ratio, t_over_t1, pe):
    t2, t = ratio * t1, t_over_t1 * t1
    rho = np.array([[0.3, 0.2 - 0.35j], [0.2 + 0.35j, 0.7]])
    with jax.enable_x64(True):
        ch = ThermalRelaxation(t1, t2, t, pe)
        k = np.asarray(ch.kraus())
        out = np.asarray(ch.apply(rho))
    np.testing.assert_allclose(np.einsum("kba,kbc->ac", k.conj(), k), np.eye(2), atol=1e-10)
    a, b = math.exp(-t / t1), math.exp(-t / t2)
    np.testing.assert_allclose(out[1, 1], a * 0.7 + (1 - a) * pe, atol=1e-10)
    np.testing.assert_allclose(out[0, 1], b * rho[0, 1], atol=1e-10)


# -- closed forms, written by hand ----------------------------------------------------
def test_amplitude_damping_of_one_and_plus():
    gamma = 0.3
    with jax.enable_x64(True):
        out = np.asarray(AmplitudeDamping(gamma).apply(ONE))
        plus = np.asarray(AmplitudeDamping(gamma).apply(PLUS))
    np.testing.assert_allclose(np.diag(out).real, [gamma, 1 - gamma], atol=1e-14)
    # K0 |+> = (|0> + sqrt(1-g)|1>)/sqrt2 carries the coherence; K1 |+> = |0>/sqrt2 does not.
    np.testing.assert_allclose(plus[0, 1], math.sqrt(1 - gamma) / 2, atol=1e-14)
    np.testing.assert_allclose(np.diag(plus).real, [(1 + gamma) / 2, (1 - gamma) / 2], atol=1e-14)


def test_phase_damping_and_phase_flip_coherence_of_plus():
    gamma, p = 0.36, 0.1
    with jax.enable_x64(True):
        damped = np.asarray(PhaseDamping(gamma).apply(PLUS))
        flipped = np.asarray(PhaseFlip(p).apply(PLUS))
    # Phase damping: K0 rho K0^dag = 1/2 [[1, sqrt(1-g)], [sqrt(1-g), 1-g]],
    # K1 rho K1^dag = 1/2 [[0, 0], [0, g]]: coherence sqrt(1-g)/2, populations 1/2.
    np.testing.assert_allclose(damped[0, 1], math.sqrt(1 - gamma) / 2, atol=1e-14)
    np.testing.assert_allclose(np.diag(damped).real, [0.5, 0.5], atol=1e-14)
    # Phase flip: Z |+><+| Z = |-><-|, whose coherence is -1/2: (1-p)/2 - p/2.
    np.testing.assert_allclose(flipped[0, 1], (1 - 2 * p) / 2, atol=1e-14)
    # Phase damping is the phase flip with p = (1 - sqrt(1-g)) / 2.
    with jax.enable_x64(True):
        same = np.asarray(PhaseFlip((1 - math.sqrt(1 - gamma)) / 2).apply(PLUS))
    np.testing.assert_allclose(same, damped, atol=1e-14)


@pytest.mark.parametrize(("t1", "t2"), [(50.0, 30.0), (50.0, 50.0), (50.0, 80.0), (50.0, 100.0)])
@pytest.mark.parametrize("pe", [0.0, 0.25])
def test_thermal_relaxation_populations_and_coherence(t1, t2, pe):
    t = 12.0
    with jax.enable_x64(True):
        ch = ThermalRelaxation(t1, t2, t, pe)
        from_one = np.asarray(ch.apply(ONE))
        from_zero = np.asarray(ch.apply(ZERO))
        from_plus = np.asarray(ch.apply(PLUS))
    a, b = math.exp(-t / t1), math.exp(-t / t2)
    np.testing.assert_allclose(from_one[1, 1], a + (1 - a) * pe, atol=1e-13)
    np.testing.assert_allclose(from_zero[1, 1], (1 - a) * pe, atol=1e-13)
    np.testing.assert_allclose(from_plus[0, 1], b / 2, atol=1e-13)
    np.testing.assert_allclose(np.trace(from_plus), 1.0, atol=1e-13)


def test_thermal_relaxation_without_excitation_is_damping_then_dephasing():
    # For T2 <= T1 and p_e = 0 the map is amplitude damping (1 - e^{-t/T1}) followed by
    # phase damping with coherence factor e^{-t/T2} / e^{-t/(2 T1)}.
    t1, t2, t = 40.0, 25.0, 9.0
    gamma = 1 - math.exp(-t / t1)
    lam = 1 - (math.exp(-t / t2) / math.exp(-t / (2 * t1))) ** 2
    rho = random_rho(np.random.default_rng(3), 2)
    with jax.enable_x64(True):
        direct = np.asarray(ThermalRelaxation(t1, t2, t).apply(rho))
        composed = np.asarray(PhaseDamping(lam).apply(AmplitudeDamping(gamma).apply(rho)))
    np.testing.assert_allclose(direct, composed, atol=1e-13)


def test_depolarizing_shrinks_the_bloch_vector():
    p = 0.3
    rho = random_rho(np.random.default_rng(0), 2, rank=1)
    with jax.enable_x64(True):
        out = np.asarray(Depolarizing(p).apply(rho))
    np.testing.assert_allclose(bloch(out), (1 - p) * bloch(rho), atol=1e-13)
    np.testing.assert_allclose(out, (1 - p) * rho + p * I2 / 2, atol=1e-13)


def test_depolarizing2_definition():
    p = 0.45
    rho = random_rho(np.random.default_rng(1), 4)
    with jax.enable_x64(True):
        out = np.asarray(Depolarizing2(p).apply(rho))
    np.testing.assert_allclose(out, (1 - p) * rho + p * np.eye(4) / 4, atol=1e-13)
    # Depolarizing the full two-qubit state also depolarizes each marginal.
    marginal = np.einsum("abcb->ac", out.reshape(2, 2, 2, 2))
    rho_a = np.einsum("abcb->ac", rho.reshape(2, 2, 2, 2))
    np.testing.assert_allclose(marginal, (1 - p) * rho_a + p * I2 / 2, atol=1e-13)


@pytest.mark.parametrize(
    ("channel", "terms"),
    [
        (PauliChannel(0.1, 0.15, 0.2), [(0.55, I2), (0.1, X), (0.15, Y), (0.2, Z)]),
        (BitFlip(0.3), [(0.7, I2), (0.3, X)]),
        (PhaseFlip(0.3), [(0.7, I2), (0.3, Z)]),
        (BitPhaseFlip(0.3), [(0.7, I2), (0.3, Y)]),
    ],
    ids=["pauli", "bit_flip", "phase_flip", "bit_phase_flip"],
)
def test_pauli_channels_against_their_definition(channel, terms):
    rho = random_rho(np.random.default_rng(2), 2)
    with jax.enable_x64(True):
        out = np.asarray(channel.apply(rho))
    np.testing.assert_allclose(out, sum(w * p @ rho @ p for w, p in terms), atol=1e-13)


def test_generalized_amplitude_damping():
    gamma, p = 0.4, 0.7
    with jax.enable_x64(True):
        ch = GeneralizedAmplitudeDamping(gamma, p)
        fixed = np.diag([p, 1 - p]).astype(complex)
        np.testing.assert_allclose(np.asarray(ch.apply(fixed)), fixed, atol=1e-14)
        # |1> decays only through K1 = sqrt(p) sqrt(g) |0><1|; |0> is excited only by K3.
        np.testing.assert_allclose(np.diag(np.asarray(ch.apply(ONE))).real,
                                   [p * gamma, 1 - p * gamma], atol=1e-14)
        np.testing.assert_allclose(np.diag(np.asarray(ch.apply(ZERO))).real,
                                   [1 - (1 - p) * gamma, (1 - p) * gamma], atol=1e-14)
        rho = random_rho(np.random.default_rng(4), 2)
        np.testing.assert_allclose(np.asarray(GeneralizedAmplitudeDamping(gamma, 1.0).apply(rho)),
                                   np.asarray(AmplitudeDamping(gamma).apply(rho)), atol=1e-14)


def test_reset():
    rho = random_rho(np.random.default_rng(5), 2)
    with jax.enable_x64(True):
        full = np.asarray(Reset().apply(rho))
        partial = np.asarray(Reset(0.2, 0.3).apply(rho))
    np.testing.assert_allclose(full, ZERO, atol=1e-14)
    np.testing.assert_allclose(partial, 0.2 * ZERO + 0.3 * ONE + 0.5 * rho, atol=1e-14)


# -- Kraus channels -----------------------------------------------------------------
def test_kraus_channel_matches_the_channel_it_copies():
    rho = random_rho(np.random.default_rng(6), 2)
    with jax.enable_x64(True):
        ref = AmplitudeDamping(0.2)
        copy = KrausChannel(np.asarray(ref.kraus()))
        assert copy.n_wires == 1
        np.testing.assert_allclose(np.asarray(copy.apply(rho)), np.asarray(ref.apply(rho)),
                                   atol=1e-14)
        assert KrausChannel(list(_KRAUS_2Q)).n_wires == 2
        assert KrausChannel(_H).kraus().shape == (1, 2, 2)


@pytest.mark.parametrize(
    ("matrices", "message"),
    [
        (0.9 * _KRAUS_1Q, "not trace preserving"),
        (np.ones((2, 2)), "not trace preserving"),
        (np.eye(3), "shape"),
        (np.eye(8)[None], "shape"),
        (np.full((1, 2, 2), np.nan), "NaN"),
        (np.zeros((0, 2, 2)), "shape"),
    ],
)
def test_kraus_channel_validation(matrices, message):
    with pytest.raises(ValueError, match=f"kraus channel.*{message}"):
        KrausChannel(matrices)


def test_kraus_channel_reports_the_deviation():
    with pytest.raises(ValueError, match=re.escape("max |sum_k K_k^dag K_k - I| = 0.19")):
        KrausChannel(0.9 * _KRAUS_1Q)


def test_kraus_channel_scaling_repeats_the_channel():
    rho = random_rho(np.random.default_rng(8), 2)
    with jax.enable_x64(True):
        ch = KrausChannel(_KRAUS_1Q)
        twice = ch.scaled(2)
        np.testing.assert_allclose(np.asarray(twice.apply(rho)),
                                   np.asarray(ch.apply(ch.apply(rho))), atol=1e-13)
        five = ch.scaled(5)
        assert five.kraus().shape[0] <= 4  # compressed through the Choi matrix
        ref = rho
        for _ in range(5):
            ref = ch.apply(ref)
        np.testing.assert_allclose(np.asarray(five.apply(rho)), np.asarray(ref), atol=1e-12)
        np.testing.assert_allclose(np.asarray(ch.scaled(0).apply(rho)), rho, atol=1e-14)
    with pytest.raises(ValueError, match="non-negative integer"):
        ch.scaled(1.5)


# -- validation -----------------------------------------------------------------------
INVALID = [
    ("depolarizing", {"p": 1.3}, "p=1.3 is outside [0, 1]"),
    ("depolarizing", {"p": -0.1}, "p=-0.1"),
    ("depolarizing", {"p": float("nan")}, "NaN"),
    ("depolarizing2", {"p": 1.01}, "p=1.01"),
    ("bit_flip", {"p": 2.0}, "p=2.0"),
    ("phase_flip", {"p": float("inf")}, "inf"),
    ("bit_phase_flip", {"p": -1.0}, "p=-1.0"),
    ("pauli", {"px": 0.5, "py": 0.4, "pz": 0.3}, "px + py + pz = 1.2"),
    ("pauli", {"px": -0.1, "py": 0.0, "pz": 0.0}, "px=-0.1"),
    ("amplitude_damping", {"gamma": 1.5}, "gamma=1.5"),
    ("generalized_amplitude_damping", {"gamma": 0.5, "p": 1.2}, "p=1.2"),
    ("phase_damping", {"gamma": -0.5}, "gamma=-0.5"),
    ("thermal_relaxation", {"t1": 10.0, "t2": 25.0, "gate_time": 1.0}, "T2 <= 2 T1"),
    ("thermal_relaxation", {"t1": 0.0, "t2": 0.0, "gate_time": 1.0}, "t1=0.0 is outside (0, inf)"),
    ("thermal_relaxation", {"t1": 10.0, "t2": -5.0, "gate_time": 1.0}, "t2=-5.0"),
    ("thermal_relaxation", {"t1": 10.0, "t2": 5.0, "gate_time": -1.0}, "gate_time=-1.0"),
    ("thermal_relaxation", {"t1": 10.0, "t2": 5.0, "gate_time": 1.0, "excited_population": 2.0},
     "excited_population=2.0"),
    ("reset", {"p0": 0.7, "p1": 0.5}, "p0 + p1 = 1.2"),
    ("reset", {"p0": "0.5"}, "must be a number"),
    ("depolarizing", {"p": None}, "must be a number"),
]


@pytest.mark.parametrize(("name", "params", "message"), INVALID)
def test_invalid_parameters_raise_naming_the_channel(name, params, message):
    with pytest.raises(ValueError, match=re.escape(name) + " channel.*" + re.escape(message)):
        make_channel(name, **params)


@pytest.mark.parametrize(("name", "params", "message"), INVALID)
def test_validate_names_where(name, params, message):
    valid = make_channel(name, **EXAMPLES[name][0])
    for key, value in params.items():  # change the parameters behind the constructor's back
        object.__setattr__(valid, key, value)
    where = "on wire 2 after gate 'cx' (operation 5)"
    with pytest.raises(ValueError, match=re.escape(f"{name} channel {where}: ")):
        valid.validate(where)


def test_make_channel_errors():
    with pytest.raises(ValueError, match="name='nope' is not allowed.*depolarizing"):
        make_channel("nope", p=0.1)
    with pytest.raises(ValueError, match=r"unknown: \['q'\]"):
        make_channel("depolarizing", p=0.1, q=2)
    with pytest.raises(ValueError, match=r"missing: \['t2', 'gate_time'\]"):
        make_channel("thermal_relaxation", t1=1.0)
    assert make_channel("Bit_Flip", p=0.25) == BitFlip(0.25)


def test_traced_parameters_skip_validation_until_concrete():
    # Inside jit a parameter is a tracer and cannot be checked; no error is raised there.
    out = jax.jit(lambda p: Depolarizing(p).kraus())(1.5)
    assert out.shape == (4, 2, 2)


# -- JAX transforms -------------------------------------------------------------------
def test_channels_are_pytrees_with_parameters_as_leaves():
    ch = ThermalRelaxation(50.0, 70.0, 5.0, 0.1)
    leaves, treedef = jax.tree_util.tree_flatten(ch)
    assert leaves == [50.0, 70.0, 5.0, 0.1]
    assert jax.tree_util.tree_unflatten(treedef, leaves) == ch
    assert jax.tree_util.tree_leaves(KrausChannel(_KRAUS_1Q))[0].shape == (2, 2, 2)


def test_pytrees_rebuilt_by_jax_are_not_validated():
    # A gradient or a tree_map result has the channel's type but is not a parameter set.
    def purity(ch):
        out = ch.apply(PLUS)
        return jnp.real(jnp.trace(out @ out))

    grad = jax.grad(purity)(Depolarizing(0.3))
    assert isinstance(grad, Depolarizing)
    assert float(grad.p) == pytest.approx(-(1 - 0.3), abs=1e-5)  # d/dp of 1 - p + p^2/2
    doubled = jax.tree_util.tree_map(lambda v: 2 * v, Depolarizing(0.9))
    assert doubled.p == pytest.approx(1.8)
    with pytest.raises(ValueError, match="depolarizing channel"):
        doubled.validate()


def test_jit_and_vmap_over_channel_parameters():
    rho = random_rho(np.random.default_rng(9), 2)
    ps = jnp.linspace(0.0, 1.0, 5)
    batched = jax.vmap(lambda p: Depolarizing(p).apply(rho))(ps)
    for p, out in zip(np.asarray(ps), np.asarray(batched)):
        np.testing.assert_allclose(out, (1 - p) * rho + p * I2 / 2, atol=1e-6)
    ch = ThermalRelaxation(50.0, 80.0, 7.0, 0.1)
    np.testing.assert_allclose(np.asarray(jax.jit(lambda c: c.kraus())(ch)),
                               np.asarray(ch.kraus()), atol=1e-7)
    stacked = jax.vmap(lambda c: c.kraus())(Depolarizing(jnp.array([0.1, 0.2])))
    assert stacked.shape == (2, 4, 2, 2)


def test_grad_of_purity_through_kraus():
    def purity(gamma):
        k = AmplitudeDamping(gamma).kraus()
        out = jnp.einsum("kab,bc,kdc->ad", k, jnp.asarray(PLUS, k.dtype), k.conj())
        return jnp.real(jnp.trace(out @ out))

    # Amplitude damping of |+>: purity 1 - g/2 + g^2/2, derivative g - 1/2.
    with jax.enable_x64(True):
        assert float(purity(0.3)) == pytest.approx(1 - 0.15 + 0.045, abs=1e-12)
        assert float(jax.grad(purity)(0.3)) == pytest.approx(0.3 - 0.5, abs=1e-12)


def _interior(name, params):
    inside = all(0.0 < v < 1.0 for k, v in params.items()
                 if k in ("p", "gamma", "px", "py", "pz", "p0", "p1"))
    sums = [params.get("px", 0) + params.get("py", 0) + params.get("pz", 0),
            params.get("p0", 0) + params.get("p1", 0)]
    return name != "kraus" and inside and max(sums) < 1 and params.get("gate_time", 1.0) > 0 \
        and params.get("t2", 0.0) < 2 * params.get("t1", 1.0)


@pytest.mark.parametrize(("name", "params"), [c for c in CASES if _interior(*c)],
                         ids=[i for c, i in zip(CASES, CASE_IDS) if _interior(*c)])
def test_grad_matches_finite_differences(name, params):
    rho = jnp.asarray(random_rho(np.random.default_rng(10), 2 ** CHANNELS[name].n_wires))

    def purity(values):
        out = make_channel(name, **values).apply(rho)
        return jnp.real(jnp.trace(out @ out))

    with jax.enable_x64(True):
        values = {k: jnp.asarray(v, jnp.float64) for k, v in params.items()}
        grads = jax.grad(purity)(values)
        for key, value in values.items():
            h = 1e-6 * max(1.0, abs(float(value)))
            up = {**values, key: value + h}
            down = {**values, key: value - h}
            fd = (float(purity(up)) - float(purity(down))) / (2 * h)
            assert float(grads[key]) == pytest.approx(fd, rel=1e-5, abs=1e-8), key


# -- scaling --------------------------------------------------------------------------
def test_scaled():
    assert Depolarizing(0.1).scaled(3).p == pytest.approx(0.3)
    assert PauliChannel(0.1, 0.05, 0.0).scaled(2) == PauliChannel(0.2, 0.1, 0.0)
    assert GeneralizedAmplitudeDamping(0.2, 0.9).scaled(2) == GeneralizedAmplitudeDamping(0.4, 0.9)
    assert ThermalRelaxation(50.0, 60.0, 5.0).scaled(3) == ThermalRelaxation(50.0, 60.0, 15.0)
    assert Reset(0.1, 0.2).scaled(2) == Reset(0.2, 0.4)
    assert ReadoutError(0.01, 0.02).scaled(2) == ReadoutError(0.02, 0.04)
    with pytest.raises(ValueError, match=r"depolarizing channel: p=1\.2.*after scaling.*factor 3"):
        Depolarizing(0.4).scaled(3)
    with pytest.raises(ValueError, match="pauli channel.*sum to at most 1.*scaling"):
        PauliChannel(0.3, 0.3, 0.3).scaled(2)
    with pytest.raises(ValueError, match="factor=-1.*>= 0"):
        Depolarizing(0.1).scaled(-1)
    with pytest.raises(ValueError, match="finite"):
        Depolarizing(0.1).scaled(float("nan"))


@pytest.mark.parametrize(("name", "params"), [c for c in CASES if c[0] != "kraus"],
                         ids=[i for c, i in zip(CASES, CASE_IDS) if c[0] != "kraus"])
def test_scaling_by_zero_removes_the_noise(name, params):
    rho = random_rho(np.random.default_rng(11), 2 ** CHANNELS[name].n_wires)
    with jax.enable_x64(True):
        out = np.asarray(make_channel(name, **params).scaled(0.0).apply(rho))
    np.testing.assert_allclose(out, rho, atol=1e-13)


# -- readout errors -------------------------------------------------------------------
def test_readout_error_confusion_matrix():
    err = ReadoutError(p0given1=0.1, p1given0=0.03)
    m = np.asarray(err.confusion_matrix())
    np.testing.assert_allclose(m, [[0.97, 0.1], [0.03, 0.9]], atol=1e-7)
    np.testing.assert_allclose(m.sum(axis=0), [1.0, 1.0], atol=1e-7)
    # measured distribution of a qubit that is |1> with probability 0.25
    np.testing.assert_allclose(m @ [0.75, 0.25], [0.75 * 0.97 + 0.25 * 0.1,
                                                  0.75 * 0.03 + 0.25 * 0.9], atol=1e-7)
    back = ReadoutError.from_matrix(m.astype(np.float64))
    assert back.p0given1 == pytest.approx(0.1) and back.p1given0 == pytest.approx(0.03)
    assert ReadoutError.n_wires == 1 and ReadoutError.name == "readout_error"


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[0.9, 0.1], [0.2, 0.8]], "columns.*sum to 1"),
        ([[1.1, 0.0], [-0.1, 1.0]], "outside"),
        (np.eye(3), r"\(2, 2\)"),
        ([[np.nan, 0.0], [0.0, 1.0]], "NaN"),
    ],
)
def test_readout_error_from_matrix_validation(matrix, message):
    with pytest.raises(ValueError, match=f"ReadoutError.from_matrix.*{message}"):
        ReadoutError.from_matrix(matrix)


def test_readout_error_validation_names_where():
    with pytest.raises(ValueError, match=r"readout error: p1given0=1\.5 is outside \[0, 1\]"):
        ReadoutError(0.1, 1.5)
    err = ReadoutError(0.1, 0.1)
    object.__setattr__(err, "p0given1", -0.2)
    with pytest.raises(ValueError, match=r"readout error on wire 3: p0given1=-0\.2"):
        err.validate("on wire 3")
