"""Tests of qinspired.feature_maps against independent references.

References are built here from scratch: dense unitaries from ``numpy.kron`` of
2x2 matrices and explicit CNOT matrices, closed-form product states and hand
computed IQP phases. Wire 0 is the most significant bit, as in the library.
"""

from __future__ import annotations

import itertools

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinspired.circuits import Circuit, statevector
from qinspired.circuits._engine.plan import plan
from qinspired.feature_maps import (
    FEATURE_MAPS,
    AmplitudeEncoding,
    AngleEncoding,
    FeatureMap,
    HardwareEfficientEncoding,
    IQPFeatureMap,
    PauliFeatureMap,
    ZZFeatureMap,
    make_feature_map,
)

# ----------------------------------------------------------------- dense references
I2 = np.eye(2, dtype=complex)
H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
X = np.array([[0, 1], [1, 0]], dtype=complex)
P0 = np.diag([1.0, 0.0]).astype(complex)
P1 = np.diag([0.0, 1.0]).astype(complex)


def phase(theta):
    return np.diag([1.0, np.exp(1j * theta)])


def ry(theta):
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    return np.array([[c, -s], [s, c]], dtype=complex)


def rz(theta):
    return np.diag([np.exp(-0.5j * theta), np.exp(0.5j * theta)])


def on(n, ops):
    """Kronecker product with ``ops[q]`` on wire q (identity elsewhere); wire 0 leftmost."""
    out = np.eye(1, dtype=complex)
    for q in range(n):
        out = np.kron(out, ops.get(q, I2))
    return out


def cx(n, c, t):
    """CNOT as |0><0|_c (x) I + |1><1|_c (x) X_t."""
    return on(n, {c: P0}) + on(n, {c: P1, t: X})


def zero_state(n):
    psi = np.zeros(2**n, dtype=complex)
    psi[0] = 1.0
    return psi


def zz_dense(x, reps, pairs, alpha=2.0):
    n = len(x)
    u = np.eye(2**n, dtype=complex)
    for _ in range(reps):
        u = on(n, {q: H for q in range(n)}) @ u
        for i in range(n):
            u = on(n, {i: phase(alpha * x[i])}) @ u
        for i, j in pairs:
            angle = alpha * (np.pi - x[i]) * (np.pi - x[j])
            u = cx(n, i, j) @ on(n, {j: phase(angle)}) @ cx(n, i, j) @ u
    return u @ zero_state(n)


PAIRS3 = {
    "full": [(0, 1), (0, 2), (1, 2)],
    "linear": [(0, 1), (1, 2)],
    "reverse_linear": [(1, 2), (0, 1)],
    "circular": [(2, 0), (0, 1), (1, 2)],
}


def sv(fm, x, weights=None, fuse=True):
    return np.asarray(statevector(fm, x, weights, fuse=fuse))


# ----------------------------------------------------------------- ZZ map
@pytest.mark.parametrize("entanglement", sorted(PAIRS3))
def test_zz_matches_dense_construction(entanglement):
    rng = np.random.default_rng(1)
    x = rng.uniform(-np.pi, np.pi, size=3)
    with jax.enable_x64(True):
        got = sv(ZZFeatureMap(3, reps=2, entanglement=entanglement), x)
    np.testing.assert_allclose(got, zz_dense(x, 2, PAIRS3[entanglement]), atol=1e-10)


def test_zz_explicit_pairs_alpha_and_feature_scale():
    rng = np.random.default_rng(2)
    x = rng.uniform(-2, 2, size=3)
    pairs = [(2, 0), (1, 2)]
    with jax.enable_x64(True):
        got = sv(ZZFeatureMap(3, reps=2, entanglement=pairs, alpha=1.3, feature_scale=0.4), x)
    np.testing.assert_allclose(got, zz_dense(0.4 * x, 2, pairs, alpha=1.3), atol=1e-10)


def test_zz_one_feature_has_no_pairs():
    with jax.enable_x64(True):
        got = sv(ZZFeatureMap(1, reps=2), [0.7])
    np.testing.assert_allclose(got, zz_dense(np.array([0.7]), 2, []), atol=1e-12)


# ----------------------------------------------------------------- angle encoding
@pytest.mark.parametrize("rotation", ["rx", "ry", "rz"])
def test_angle_encoding_is_closed_form_product_state(rotation):
    x, c = np.array([0.3, -1.2, 2.5]), 0.7
    qubits = {
        "rx": lambda t: np.array([np.cos(t / 2), -1j * np.sin(t / 2)]),
        "ry": lambda t: np.array([np.cos(t / 2), np.sin(t / 2)]),
        "rz": lambda t: np.array([np.exp(-0.5j * t), np.exp(0.5j * t)]) / np.sqrt(2),
    }[rotation]
    expected = np.ones(1, dtype=complex)
    for xi in x:
        expected = np.kron(expected, qubits(c * xi))
    with jax.enable_x64(True):
        got = sv(AngleEncoding(3, rotation=rotation, feature_scale=c), x)
    np.testing.assert_allclose(got, expected, atol=1e-12)


# ----------------------------------------------------------------- IQP
@pytest.mark.parametrize(
    "interactions, pairs",
    [("full", [(0, 1), (0, 2), (1, 2)]), ("linear", [(0, 1), (1, 2)]),
     ("circular", [(2, 0), (0, 1), (1, 2)]), ([(0, 2)], [(0, 2)])],
)
def test_iqp_one_rep_phases_by_hand(interactions, pairs):
    x, s, n = np.array([0.4, -1.1, 2.0]), 0.8, 3
    expected = np.empty(2**n, dtype=complex)
    for index, bits in enumerate(itertools.product((0, 1), repeat=n)):
        z = [(-1) ** b for b in bits]
        phi = sum(s * x[i] * z[i] for i in range(n))
        phi += sum(s * s * x[i] * x[j] * z[i] * z[j] for i, j in pairs)
        expected[index] = np.exp(-0.5j * phi) / np.sqrt(2**n)
    with jax.enable_x64(True):
        got = sv(IQPFeatureMap(n, reps=1, interactions=interactions, feature_scale=s), x)
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_iqp_two_reps_dense():
    x, n = np.array([0.4, -1.1, 2.0]), 3
    z = np.array([[(-1) ** b for b in bits] for bits in itertools.product((0, 1), repeat=n)])
    phi = z @ x + sum(x[i] * x[j] * z[:, i] * z[:, j] for i, j in [(0, 1), (0, 2), (1, 2)])
    d = np.diag(np.exp(-0.5j * phi))
    hn = on(n, {q: H for q in range(n)})
    expected = d @ hn @ d @ hn @ zero_state(n)
    with jax.enable_x64(True):
        np.testing.assert_allclose(sv(IQPFeatureMap(n), x), expected, atol=1e-12)


# ----------------------------------------------------------------- hardware efficient
def test_hardware_efficient_dense_two_qubits():
    x, w = np.array([0.3, -0.9]), np.array([0.1, 0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8])
    n = 2
    u = np.eye(4, dtype=complex)
    for layer in range(2):
        u = on(n, {0: ry(x[0]), 1: ry(x[1])}) @ u
        base = layer * n * 2
        u = on(n, {q: ry(w[base + 2 * q]) for q in range(n)}) @ u
        u = on(n, {q: rz(w[base + 2 * q + 1]) for q in range(n)}) @ u
        u = cx(n, 0, 1) @ u
    fm = HardwareEfficientEncoding(2, n_layers=2)
    assert fm.n_weights == 8
    with jax.enable_x64(True):
        np.testing.assert_allclose(sv(fm, x, w), u @ zero_state(n), atol=1e-12)


def test_hardware_efficient_structure_options():
    fm = HardwareEfficientEncoding(3, n_layers=3, data_reuploading=False, trainable=False)
    assert fm.n_weights == 0
    assert fm.circuit.count_ops() == {"ry": 3, "cx": 6}
    fm.set_params(data_reuploading=True, rotations=("rx",), trainable=True, entangler="cz")
    assert fm.circuit.count_ops() == {"ry": 9, "rx": 9, "cz": 6}
    assert fm.n_weights == 9


# ----------------------------------------------------------------- fused == gate by gate
CASES = [
    AngleEncoding(1),
    AngleEncoding(3, rotation="rx"),
    AngleEncoding(4, rotation="rz", feature_scale=0.5),
    ZZFeatureMap(2, reps=1),
    ZZFeatureMap(3, reps=2, entanglement="circular"),
    ZZFeatureMap(3, reps=2, entanglement="sca", feature_scale=0.3),
    PauliFeatureMap(3, reps=1, paulis=("X", "ZY")),
    PauliFeatureMap(3, reps=1, paulis=("Z", "YY", "ZZZ"), entanglement="linear"),
    IQPFeatureMap(2, reps=2),
    IQPFeatureMap(4, reps=1, interactions="circular"),
    HardwareEfficientEncoding(3, n_layers=2, entanglement="circular"),
    HardwareEfficientEncoding(2, n_layers=1, entangler="cz", data_rotation="rx"),
]


def _random_inputs(fm, seed, batch=()):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, size=batch + (fm.n_features,))
    w = rng.uniform(-np.pi, np.pi, size=(fm.n_weights,)) if fm.n_weights else None
    return x, w


CASE_IDS = [f"{type(fm).__name__}-{k}" for k, fm in enumerate(CASES)]


@pytest.mark.parametrize("fm", CASES, ids=CASE_IDS)
def test_fused_equals_gate_by_gate(fm):
    x, w = _random_inputs(fm, 3)
    with jax.enable_x64(True):
        np.testing.assert_allclose(sv(fm, x, w), sv(fm, x, w, fuse=False), atol=1e-10)


@pytest.mark.parametrize("fm", CASES[::2], ids=CASE_IDS[::2])
def test_batched_equals_looped(fm):
    x, w = _random_inputs(fm, 4, batch=(4,))
    batched = sv(fm, x, w)
    looped = np.stack([sv(fm, row, w) for row in x])
    np.testing.assert_allclose(batched, looped, atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(
    index=st.sampled_from([1, 4, 7, 9, 10]),
    values=st.lists(st.floats(-20, 20, allow_nan=False), min_size=4, max_size=4),
)
def test_states_are_normalised(index, values):
    fm = CASES[index]
    x = np.asarray(values[: fm.n_features])
    w = np.linspace(-1, 1, fm.n_weights) if fm.n_weights else None
    psi = sv(fm, x, w)
    assert abs(np.linalg.norm(psi) - 1.0) < 1e-5


# ----------------------------------------------------------------- fast path
@pytest.mark.parametrize("reps", [1, 2, 3])
@pytest.mark.parametrize("cls", [ZZFeatureMap, IQPFeatureMap])
def test_zz_and_iqp_plan_into_two_steps_per_rep(cls, reps):
    circ = cls(6, reps=reps).circuit
    steps = plan(circ.operations, circ.n_qubits, True)
    assert len(steps) == 2 * reps
    assert len(plan(circ.operations, circ.n_qubits, False)) == len(circ.operations)


# ----------------------------------------------------------------- amplitude encoding
@pytest.mark.parametrize("n_features", [1, 2, 3, 4, 5, 7, 8])
def test_amplitude_prepare_reproduces_state(n_features):
    fm = AmplitudeEncoding(n_features)
    rng = np.random.default_rng(n_features)
    xs = [rng.normal(size=n_features), -np.abs(rng.normal(size=n_features))]
    if n_features >= 3:
        xs.append(np.eye(n_features)[-1] * -2.0)  # most sub-blocks have norm zero
    with jax.enable_x64(True):
        for x in xs:
            target = fm.state(x)
            padded = np.zeros(2**fm.n_qubits)
            padded[:n_features] = x
            np.testing.assert_allclose(target, padded / np.linalg.norm(padded), atol=1e-12)
            np.testing.assert_allclose(sv(fm.prepare(x), None), target, atol=1e-10)


def test_amplitude_pad_with_and_batches():
    fm = AmplitudeEncoding(3, pad_with=1.0)
    X = np.array([[1.0, -2.0, 0.5], [0.0, 0.0, 3.0]])
    with jax.enable_x64(True):
        states = np.asarray(fm.states(X))
        assert states.shape == (2, 4) and np.iscomplexobj(states)
        for row, psi in zip(X, states):
            v = np.append(row, 1.0)
            np.testing.assert_allclose(psi, v / np.linalg.norm(v), atol=1e-12)
            np.testing.assert_allclose(fm.state(row), psi.real, atol=1e-12)
            np.testing.assert_allclose(sv(fm.prepare(row), None), psi, atol=1e-10)


@pytest.mark.parametrize("n_features, n_qubits", [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (9, 4)])
def test_amplitude_resources(n_features, n_qubits):
    fm = AmplitudeEncoding(n_features)
    res = fm.resources()
    assert fm.n_qubits == res["n_qubits"] == n_qubits
    assert res["n_ry"] == 2**n_qubits - 1
    assert res["n_cx"] == 2**n_qubits - 2
    circ = fm.prepare(np.arange(1.0, n_features + 1))
    assert set(circ.count_ops()) <= {"ry", "cx"} and res["depth"] == circ.depth()


def test_amplitude_bad_inputs_and_no_circuit():
    fm = AmplitudeEncoding(3)
    with pytest.raises(ValueError, match="all zero"):
        fm.states(np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="all zero"):
        fm.state([0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="NaN"):
        fm.states([[1.0, np.nan, 0.0]])
    with pytest.raises(ValueError, match="n_features=3"):
        fm.states([[1.0, 2.0]])
    assert not hasattr(fm, "circuit")
    with pytest.raises(TypeError):
        statevector(fm, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="pad_with"):
        AmplitudeEncoding(3, pad_with=np.inf).states([[1.0, 2.0, 3.0]])


def test_amplitude_states_under_jit():
    fm = AmplitudeEncoding(3)
    X = np.array([[1.0, 2.0, 2.0]])
    got = jax.jit(fm.states)(X)
    np.testing.assert_allclose(np.asarray(got), np.array([[1, 2, 2, 0]]) / 3.0, atol=1e-6)


# ----------------------------------------------------------------- parameters
ALL_DEFAULTS = [cls(3) for cls in FEATURE_MAPS.values()]


@pytest.mark.parametrize("fm", ALL_DEFAULTS, ids=lambda fm: type(fm).__name__)
def test_sklearn_clone_and_params(fm):
    base = pytest.importorskip("sklearn.base")
    params = fm.get_params()
    assert params["n_features"] == 3
    twin = base.clone(fm)
    assert twin is not fm and twin == fm and hash(twin) == hash(fm)
    assert twin.get_params() == params
    assert repr(twin) == repr(fm) and repr(fm).startswith(type(fm).__name__ + "(n_features=3")
    assert eval(repr(fm), {type(fm).__name__: type(fm)}) == fm
    with pytest.raises(ValueError, match="invalid parameter"):
        fm.set_params(not_a_parameter=1)


def test_init_stores_arguments_unchanged_and_set_params_rebuilds():
    pairs = [[0, 1], [1, 2]]
    fm = ZZFeatureMap(3, reps=1, entanglement=pairs)
    assert fm.entanglement is pairs
    assert fm == ZZFeatureMap(3, reps=1, entanglement=((0, 1), (1, 2)))
    first = fm.circuit
    assert fm.circuit is first  # cached
    assert fm.set_params(reps=3) is fm
    assert fm != ZZFeatureMap(3, reps=1, entanglement=pairs)
    assert fm.circuit is not first and len(fm.circuit) == 3 * len(first)
    fm.reps = 2  # plain attribute assignment also invalidates the cache
    assert len(fm.circuit) == 2 * len(first)
    assert ZZFeatureMap(3) != PauliFeatureMap(3)


def test_grid_search_style_nested_params():
    base = pytest.importorskip("sklearn.base")
    fm = PauliFeatureMap(2, paulis=("Z", "XX"))
    for reps in (1, 2, 3):
        trial = base.clone(fm).set_params(reps=reps)
        assert isinstance(trial.circuit, Circuit) and trial.reps == reps
    assert fm.reps == 2


def test_registry_and_factory():
    assert set(FEATURE_MAPS) == {"angle", "zz", "pauli", "iqp", "hardware_efficient",
                                 "hamiltonian", "amplitude"}
    for name, cls in FEATURE_MAPS.items():
        assert issubclass(cls, FeatureMap)
        fm = make_feature_map(name.upper(), n_features=2)
        assert type(fm) is cls and fm.n_qubits == {"amplitude": 1, "hamiltonian": 3}.get(name, 2)
    with pytest.raises(ValueError, match="unknown feature map"):
        make_feature_map("nope", n_features=2)
    with pytest.raises(ValueError, match="unknown parameter"):
        make_feature_map("zz", n_features=2, depth=3)
    with pytest.raises(ValueError, match="needs parameter"):
        make_feature_map("zz")


# ----------------------------------------------------------------- bad input
BAD = [
    (ZZFeatureMap, dict(n_features=0), "n_features"),
    (ZZFeatureMap, dict(n_features=2.5), "n_features"),
    (ZZFeatureMap, dict(n_features=True), "n_features"),
    (ZZFeatureMap, dict(n_features=3, reps=0), "reps"),
    (ZZFeatureMap, dict(n_features=3, entanglement="ring"), "entanglement"),
    (ZZFeatureMap, dict(n_features=3, entanglement=[(0, 3)]), "qubit 3"),
    (ZZFeatureMap, dict(n_features=3, entanglement=[(1, 1)]), "repeats"),
    (ZZFeatureMap, dict(n_features=3, entanglement=[(0, 1, 2)]), "2 qubits"),
    (ZZFeatureMap, dict(n_features=3, feature_scale=0.0), "feature_scale"),
    (ZZFeatureMap, dict(n_features=3, alpha=np.nan), "alpha"),
    (PauliFeatureMap, dict(n_features=2, paulis=("ZZZ",)), "more than n_features"),
    (PauliFeatureMap, dict(n_features=2, paulis=("ZA",)), "I, X, Y, Z"),
    (PauliFeatureMap, dict(n_features=2, paulis=()), "non-empty"),
    (PauliFeatureMap, dict(n_features=3, paulis=("ZZ",), entanglement=[(0,)]), "2-qubit"),
    (AngleEncoding, dict(n_features=2, rotation="ryy"), "rotation"),
    (AngleEncoding, dict(n_features=2, feature_scale=-1.0), "feature_scale"),
    (IQPFeatureMap, dict(n_features=3, interactions="reverse_linear"), "interactions"),
    (IQPFeatureMap, dict(n_features=3, reps=-1), "reps"),
    (HardwareEfficientEncoding, dict(n_features=2, rotations=("rq",)), "rotations"),
    (HardwareEfficientEncoding, dict(n_features=2, rotations=()), "trainable"),
    (HardwareEfficientEncoding, dict(n_features=2, entangler="swap"), "entangler"),
    (HardwareEfficientEncoding, dict(n_features=2, n_layers=0), "n_layers"),
    (HardwareEfficientEncoding, dict(n_features=2, data_rotation="rz"), "data_rotation"),
    (AmplitudeEncoding, dict(n_features=0), "n_features"),
]


@pytest.mark.parametrize("cls, kwargs, match", BAD, ids=lambda v: repr(v)[:40])
def test_bad_parameters_raise_when_built(cls, kwargs, match):
    fm = cls(**kwargs)  # construction never validates (sklearn convention)
    with pytest.raises(ValueError, match=match):
        fm.validate()
    if not isinstance(fm, AmplitudeEncoding):
        with pytest.raises(ValueError, match=match):
            fm.circuit
    with pytest.raises(ValueError, match=match):
        make_feature_map(cls.name, **kwargs)


# -- feature_scale="auto" -----------------------------------------------------------------

_AUTO_MAPS = [lambda s: ZZFeatureMap(3, feature_scale=s),
              lambda s: IQPFeatureMap(3, reps=1, feature_scale=s),
              lambda s: AngleEncoding(3, feature_scale=s),
              lambda s: HardwareEfficientEncoding(3, n_layers=1, trainable=False, feature_scale=s)]


@pytest.mark.parametrize("make", _AUTO_MAPS)
def test_auto_scale_is_the_reference_map_on_standardised_angles(make):
    rng = np.random.default_rng(3)
    X = rng.normal([10.0, -2.0, 0.0], [30.0, 0.1, 1.0], (12, 3))
    fm = make("auto")
    np.testing.assert_allclose(statevector(fm, X[:4]), statevector(make(1.0), X[:4]), atol=1e-6)
    fm.fit(X)
    angles = np.pi / 2 + type(fm).auto_scale * (X - X.mean(axis=0)) / X.std(axis=0)
    np.testing.assert_allclose(statevector(fm, X), statevector(make(1.0), angles), atol=1e-5)
    scaled = make("auto").fit(5.0 * X + 7.0)  # an affine rescaling: the same states
    np.testing.assert_allclose(statevector(scaled, 5.0 * X + 7.0), statevector(fm, X), atol=1e-5)


def test_auto_fit_state_in_equality_and_set_params():
    X = np.random.default_rng(4).normal(size=(6, 2))
    fitted = ZZFeatureMap(2).fit(X)
    assert fitted != ZZFeatureMap(2) and fitted == ZZFeatureMap(2).fit(X)
    assert ZZFeatureMap(2, feature_scale=0.5).fit(X) == ZZFeatureMap(2, feature_scale=0.5)
    constant = ZZFeatureMap(2).fit(np.column_stack([X[:, 0], np.full(6, 3.0)]))
    assert constant.feature_std_[1] == 1.0  # a constant feature is centred, not divided by 0
    fitted.set_params(reps=1)
    assert not hasattr(fitted, "feature_mean_") and fitted == ZZFeatureMap(2, reps=1)


@pytest.mark.parametrize("bad, match", [("scale", "must be a number > 0 or 'auto'"),
                                        (-1.0, "finite number > 0")])
def test_bad_feature_scale_is_reported(bad, match):
    with pytest.raises(ValueError, match=match):
        ZZFeatureMap(2, feature_scale=bad).circuit


def test_fit_checks_the_data():
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples >= 1, 3\)"):
        ZZFeatureMap(3).fit(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="NaN or inf"):
        ZZFeatureMap(2).fit(np.array([[0.0, np.nan]]))
