"""Noise models: resolution rules, calibration round trips, drift and scaling."""

from __future__ import annotations

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qinspired.circuits import Circuit
from qinspired.circuits.channels import (
    AmplitudeDamping,
    BitFlip,
    Depolarizing,
    Depolarizing2,
    KrausChannel,
    PhaseFlip,
    ReadoutError,
    ThermalRelaxation,
)
from qinspired.circuits.noise_model import NoiseModel

CIRCUIT = Circuit(3, [
    ("h", 0),            # 0
    ("cx", (2, 0)),      # 1
    ("ry", 1, 0.3),      # 2
    ("cx", (0, 1)),      # 3
    ("ccx", (0, 1, 2)),  # 4
    ("cz", (1, 0)),      # 5
])


def resolved(model: NoiseModel, circuit: Circuit = CIRCUIT) -> list[list[tuple]]:
    """For each operation, the (channel, wires) pairs the model applies after it."""
    return [list(model.channels_after(op, i)) for i, op in enumerate(circuit.operations)]


# -- resolution rules -------------------------------------------------------------------
def test_one_qubit_channel_after_every_gate_on_each_wire_in_gate_order():
    dep = Depolarizing(0.01)
    got = resolved(NoiseModel().add_all_qubit(dep))
    assert got == [
        [(dep, (0,))],
        [(dep, (2,)), (dep, (0,))],
        [(dep, (1,))],
        [(dep, (0,)), (dep, (1,))],
        [(dep, (0,)), (dep, (1,)), (dep, (2,))],
        [(dep, (1,)), (dep, (0,))],
    ]


def test_after_filters_by_canonical_gate_name():
    flip = BitFlip(0.1)
    got = resolved(NoiseModel().add_all_qubit(flip, after=["CNOT", "toffoli"]))
    assert got == [[], [(flip, (2,)), (flip, (0,))], [], [(flip, (0,)), (flip, (1,))],
                   [(flip, (0,)), (flip, (1,)), (flip, (2,))], []]
    single = NoiseModel().add_all_qubit(flip, after="ry")  # a single name is allowed
    assert resolved(single)[2] == [(flip, (1,))]


def test_channels_apply_in_the_order_they_were_added():
    a, b, c = Depolarizing(0.01), Depolarizing2(0.02), PhaseFlip(0.03)
    model = NoiseModel().add_all_qubit(a).add_all_qubit(b, after=["cx", "cz"]).add(c, wires=[0])
    assert model.channels_after(CIRCUIT.operations[1], 1) == (
        (a, (2,)), (a, (0,)), (b, (2, 0)), (c, (0,)))
    assert model.channels_after(CIRCUIT.operations[5], 5) == (
        (a, (1,)), (a, (0,)), (b, (1, 0)), (c, (0,)))


def test_two_qubit_channel_on_the_gate_wires_in_order():
    dep2 = Depolarizing2(0.05)
    got = resolved(NoiseModel().add_all_qubit(dep2, after=["cx", "cz"]))
    assert got == [[], [(dep2, (2, 0))], [], [(dep2, (0, 1))], [], [(dep2, (1, 0))]]


def test_two_qubit_channel_after_a_one_qubit_gate_raises_naming_the_gate():
    model = NoiseModel().add_all_qubit(Depolarizing2(0.05))
    with pytest.raises(ValueError, match=r"depolarizing2.*gate 'h' \(operation 0\).*1 wire"):
        model.channels_after(CIRCUIT.operations[0], 0)
    with pytest.raises(ValueError, match=r"gate 'ccx' \(operation 4\) acts on 3 wire"):
        model.channels_after(CIRCUIT.operations[4], 4)
    assert model.channels_after(CIRCUIT.operations[3], 3) == ((Depolarizing2(0.05), (0, 1)),)


def test_add_with_wires_one_qubit_channel():
    damp = AmplitudeDamping(0.2)
    got = resolved(NoiseModel().add(damp, wires=[1, 2]))
    assert got == [[], [(damp, (2,))], [(damp, (1,))], [(damp, (1,))],
                   [(damp, (1,)), (damp, (2,))], [(damp, (1,))]]
    only_cx = resolved(NoiseModel().add(damp, after=["cx"], wires=2))
    assert only_cx == [[], [(damp, (2,))], [], [], [], []]


def test_add_with_wires_two_qubit_channel_needs_the_exact_wire_tuple():
    dep2 = Depolarizing2(0.05)
    got = resolved(NoiseModel().add(dep2, wires=(0, 1)))
    # only cx(0, 1) matches: cx(2, 0) and cz(1, 0) act on other (ordered) tuples, and
    # gates on one or three wires never equal a pair, so nothing raises
    assert got == [[], [], [], [(dep2, (0, 1))], [], []]
    assert resolved(NoiseModel().add(dep2, after=["cz"], wires=(1, 0)))[5] == [(dep2, (1, 0))]


def test_kraus_channel_follows_its_wire_count():
    two = KrausChannel(np.stack([np.sqrt(0.9) * np.eye(4), np.sqrt(0.1) * np.eye(4)[::-1]]))
    model = NoiseModel().add_all_qubit(two, after=["cx"])
    assert [wires for _, wires in model.channels_after(CIRCUIT.operations[1], 1)] == [(2, 0)]


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda m: m.add(Depolarizing2(0.1), wires=[0]), ValueError, r"wires=\(a, b\)"),
        (lambda m: m.add(Depolarizing2(0.1), wires=[0, 1, 2]), ValueError, r"wires=\(a, b\)"),
        (lambda m: m.add_all_qubit(Depolarizing2(0.1), after=["h", "cx"]), ValueError,
         r"cannot follow the gates \['h'\]"),
        (lambda m: m.add_all_qubit(Depolarizing(0.1), after=["nope"]), ValueError,
         "unknown gate 'nope'"),
        (lambda m: m.add_all_qubit(Depolarizing(0.1), after=[]), ValueError, "matches no gate"),
        (lambda m: m.add(Depolarizing(0.1), wires=[1, 1]), ValueError, "distinct"),
        (lambda m: m.add(Depolarizing(0.1), wires=[-1]), ValueError, "non-negative"),
        (lambda m: m.add("depolarizing"), TypeError, "expected a Channel"),
        (lambda m: m.add_readout(Depolarizing(0.1)), TypeError, "expected a ReadoutError"),
    ],
)
def test_add_rejects_bad_rules(build, error, message):
    with pytest.raises(error, match=message):
        build(NoiseModel())


def test_resolved_channels_are_validated_with_where():
    bad = Depolarizing(0.1)
    model = NoiseModel().add(bad, after=["ry"])
    object.__setattr__(bad, "p", 1.5)  # changed behind the constructor's back
    with pytest.raises(ValueError, match=r"depolarizing channel on wire 1 after gate 'ry' "
                                         r"\(operation 2\): p=1\.5 is outside \[0, 1\]"):
        model.channels_after(CIRCUIT.operations[2], 2)
    bad2 = Depolarizing2(0.1)
    model2 = NoiseModel().add_all_qubit(bad2, after=["cx"])
    object.__setattr__(bad2, "p", -1.0)
    with pytest.raises(ValueError, match=r"on wires \(2, 0\) after gate 'cx' \(operation 1\)"):
        model2.channels_after(CIRCUIT.operations[1], 1)


def test_models_are_immutable():
    base = NoiseModel()
    grown = base.add_all_qubit(Depolarizing(0.1))
    assert base.is_empty and not grown.is_empty
    assert len(grown.rules) == 1 and base.rules == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        grown.rules = ()  # type: ignore[misc]


# -- readout ----------------------------------------------------------------------------
def test_readout_errors_per_wire_last_added_wins():
    everywhere, special = ReadoutError(0.02, 0.01), ReadoutError(0.1, 0.05)
    model = NoiseModel().add_readout(everywhere).add_readout(special, wires=[1, 5])
    assert model.readout_errors(3) == (everywhere, special, everywhere)
    assert NoiseModel().add_readout(special, wires=2).readout_errors(3) == (None, None, special)
    assert NoiseModel().readout_errors(2) == (None, None)
    assert not model.is_empty and model.channels_after(CIRCUIT.operations[0], 0) == ()
    with pytest.raises(ValueError, match="n_qubits"):
        model.readout_errors(0)


def test_repr():
    assert repr(NoiseModel()) == "NoiseModel(empty)"
    text = repr(NoiseModel().add_all_qubit(Depolarizing(0.01), after=["h"])
                .add_readout(ReadoutError(0.02, 0.01), wires=[0]))
    assert "depolarizing channel(p=0.01) after ['h'] on all wires" in text
    assert "readout error(p0given1=0.02, p1given0=0.01) on (0,)" in text


# -- scaling ----------------------------------------------------------------------------
def test_scaled_scales_every_channel_and_readout_error():
    model = (NoiseModel().add_all_qubit(Depolarizing(0.01))
             .add(ThermalRelaxation(50.0, 60.0, 2.0), wires=[0])
             .add_readout(ReadoutError(0.02, 0.01)))
    tripled = model.scaled(3)
    assert tripled.rules[0].channel.p == pytest.approx(0.03)
    assert tripled.rules[1].channel == ThermalRelaxation(50.0, 60.0, 6.0)
    assert tripled.rules[1].wires == (0,)
    assert tripled.readout_errors(1)[0].p0given1 == pytest.approx(0.06)
    assert model.rules[0].channel.p == 0.01  # unchanged
    with pytest.raises(ValueError, match=r"NoiseModel.scaled: depolarizing channel\(p=0.4\).*"
                                         r"p=2\.0.*after scaling"):
        NoiseModel().add_all_qubit(Depolarizing(0.4)).scaled(5)


# -- JAX --------------------------------------------------------------------------------
def test_noise_model_is_a_pytree_with_static_structure():
    model = (NoiseModel().add_all_qubit(Depolarizing(0.01), after=["h"])
             .add(ThermalRelaxation(50.0, 60.0, 2.0), wires=[0]))
    leaves, treedef = jax.tree_util.tree_flatten(model)
    assert leaves == [0.01, 50.0, 60.0, 2.0, 0.0]
    again = jax.tree_util.tree_unflatten(treedef, leaves)
    assert resolved(again) == resolved(model)

    op = CIRCUIT.operations[0]

    def total_weight(m: NoiseModel) -> jax.Array:
        # sum over resolved channels of |K_1|^2 (the error part of the first channel)
        return sum(jnp.sum(jnp.abs(ch.kraus()[1:]) ** 2) for ch, _ in m.channels_after(op, 0))

    # depolarizing: three Paulis sqrt(p/4) P with two unit entries each, 3p/2 in all;
    # thermal relaxation (p_e = 0): (a - b^2) + (1 - a) = 1 - exp(-2 t / T2)
    expected = 1.5 * 0.01 + 1 - np.exp(-2 * 2.0 / 60.0)
    assert float(jax.jit(total_weight)(model)) == pytest.approx(expected, rel=1e-5)
    grads = jax.grad(total_weight)(model)
    assert float(grads.rules[0].channel.p) == pytest.approx(1.5, rel=1e-5)
    assert float(grads.rules[1].channel.t2) == pytest.approx(
        -2 * 2.0 / 60.0**2 * np.exp(-2 * 2.0 / 60.0), rel=1e-4)


# -- calibration --------------------------------------------------------------------------
CALIBRATION = {
    "gate_time_1q": 35e-9,
    "gate_time_2q": 300e-9,
    "gates_1q": ["x", "sx", "rz", "h", "ry"],
    "gates_2q": ["cx"],
    "p2": 0.012,
    "qubits": [
        {"t1": 1.1e-4, "t2": 9.0e-5, "p1": 4e-4, "p0given1": 0.03, "p1given0": 0.01},
        {"t1": 8.0e-5, "t2": 1.4e-4, "p1": 6e-4, "p0given1": 0.02, "p1given0": 0.02},
        {"t1": 9.5e-5, "t2": 6.0e-5, "excited_population": 0.01, "p1": 5e-4},
    ],
}


def test_calibration_builds_depolarizing_relaxation_and_readout_in_order():
    model = NoiseModel.from_calibration(CALIBRATION)
    q = CALIBRATION["qubits"]
    after_h = model.channels_after(CIRCUIT.operations[0], 0)
    assert after_h == ((Depolarizing(4e-4), (0,)), (ThermalRelaxation(1.1e-4, 9.0e-5, 35e-9), (0,)))
    after_cx = model.channels_after(CIRCUIT.operations[1], 1)
    assert after_cx == (
        (Depolarizing2(0.012), (2, 0)),
        (ThermalRelaxation(1.1e-4, 9.0e-5, 300e-9), (0,)),
        (ThermalRelaxation(9.5e-5, 6.0e-5, 300e-9, 0.01), (2,)),
    )
    assert model.channels_after(CIRCUIT.operations[5], 5) == ()  # cz is not in gates_2q
    readout = model.readout_errors(3)
    assert readout[0] == ReadoutError(q[0]["p0given1"], q[0]["p1given0"])
    assert readout[1] == ReadoutError(0.02, 0.02) and readout[2] is None


def test_calibration_pairs_are_directed():
    cal = {**CALIBRATION, "pairs": [{"wires": [2, 0], "p2": 0.02}]}
    del cal["p2"]
    model = NoiseModel.from_calibration(cal)
    assert model.channels_after(CIRCUIT.operations[1], 1)[0] == (Depolarizing2(0.02), (2, 0))
    assert all(ch.name != "depolarizing2" for ch, _ in
               model.channels_after(CIRCUIT.operations[3], 3))
    assert NoiseModel.from_calibration(model.to_dict()).to_dict() == model.to_dict()


def test_calibration_defaults_to_every_registered_gate():
    model = NoiseModel.from_calibration({"qubits": [{"p1": 0.01}, {"p1": 0.02}], "p2": 0.03})
    d = model.to_dict()
    assert "h" in d["gates_1q"] and "cx" not in d["gates_1q"]
    assert "cz" in d["gates_2q"] and "ccx" not in d["gates_2q"]
    assert model.channels_after(CIRCUIT.operations[5], 5) == ((Depolarizing2(0.03), (1, 0)),)
    assert model.channels_after(CIRCUIT.operations[4], 4) == ()  # no noise after ccx


def test_calibration_dict_round_trip():
    model = NoiseModel.from_calibration(CALIBRATION)
    d = model.to_dict()
    assert json.loads(json.dumps(d)) == d  # plain JSON types only
    for key in ("gate_time_1q", "gate_time_2q", "gates_1q", "gates_2q", "p2"):
        assert d[key] == CALIBRATION[key]
    assert d["qubits"][0] == {**CALIBRATION["qubits"][0], "excited_population": 0.0}
    assert d["qubits"][2] == CALIBRATION["qubits"][2]
    again = NoiseModel.from_calibration(d)
    assert again.to_dict() == d
    assert resolved(again) == resolved(model)
    assert again.readout_errors(3) == model.readout_errors(3)


def test_calibration_json_round_trip(tmp_path):
    model = NoiseModel.from_calibration(CALIBRATION)
    path = tmp_path / "device.json"
    text = model.to_json(path)
    from_file = NoiseModel.from_json(path)
    from_str_path = NoiseModel.from_json(str(path))
    from_text = NoiseModel.from_json(text)
    for other in (from_file, from_str_path, from_text):
        assert other.to_dict() == model.to_dict()
        assert resolved(other) == resolved(model)
    with pytest.raises(ValueError, match="neither JSON text nor an existing file"):
        NoiseModel.from_json(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="invalid JSON"):
        NoiseModel.from_json("{not json")


def test_hand_built_models_round_trip_as_rules(tmp_path):
    kraus = KrausChannel(np.stack([np.sqrt(0.8) * np.eye(2), np.sqrt(0.2) * np.diag([1, -1])]))
    model = (NoiseModel().add_all_qubit(Depolarizing(0.01), after=["h"])
             .add(kraus, wires=[1])
             .add(Depolarizing2(0.02), wires=(0, 1))
             .add_readout(ReadoutError(0.03, 0.01), wires=[2]))
    d = model.to_dict()
    assert set(d) == {"rules", "readout"}
    path = tmp_path / "model.json"
    model.to_json(path)
    again = NoiseModel.from_json(path)
    assert again.to_dict() == d
    got, want = resolved(again), resolved(model)
    for a, b in zip(got, want):
        assert [w for _, w in a] == [w for _, w in b]
        for (ca, _), (cb, _) in zip(a, b):
            np.testing.assert_allclose(np.asarray(ca.kraus()), np.asarray(cb.kraus()))
    assert again.readout_errors(3) == model.readout_errors(3)
    assert NoiseModel.from_calibration(NoiseModel().to_dict()).is_empty


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"gate_time": 1.0}, r"unknown keys \['gate_time'\]"),
        ({"qubits": []}, "non-empty list"),
        ({"n_qubits": 2}, "n_qubits=2 but 3 qubit entries"),
        ({"gate_time_1q": None}, "'gate_time_1q' is needed"),
        ({"gate_time_2q": -1.0}, r"gate_time_2q=-1\.0 is outside"),
        ({"gates_1q": ["cx"]}, r"gates_1q lists \['cx'\]"),
        ({"gates_2q": ["warp"]}, "unknown gate 'warp'"),
        ({"pairs": [{"wires": [0, 1], "p2": 0.1}]}, "either 'p2'"),
        ({"qubits": [{"t1": 1e-4}]}, "qubit 0 needs both 't1' and 't2'"),
        ({"qubits": [{"t1": 1e-4, "t2": 3e-4}]}, "qubit 0: thermal_relaxation channel.*T2 <= 2 T1"),
        ({"qubits": [{"p1": 1.5}]}, r"qubit 0: depolarizing channel: p=1\.5"),
        ({"qubits": [{"p0given1": 2.0}]}, "qubit 0: readout error: p0given1=2.0"),
        ({"qubits": [{"T1": 1.0}]}, "qubit 0 must be a dict with keys"),
        ({"p2": 1.2}, r"'p2': depolarizing2 channel: p=1\.2"),
    ],
)
def test_calibration_validation(change, message):
    cal = {**CALIBRATION, **change}
    cal = {k: v for k, v in cal.items() if v is not None}
    with pytest.raises(ValueError, match=message):
        NoiseModel.from_calibration(cal)


def test_calibration_pair_validation():
    base = {k: v for k, v in CALIBRATION.items() if k != "p2"}
    with pytest.raises(ValueError, match="two distinct qubits in 0..2"):
        NoiseModel.from_calibration({**base, "pairs": [{"wires": [0, 3], "p2": 0.1}]})
    with pytest.raises(ValueError, match="each pair must be"):
        NoiseModel.from_calibration({**base, "pairs": [{"wires": [0, 1]}]})


# -- drift --------------------------------------------------------------------------------
def _values(model: NoiseModel) -> np.ndarray:
    return np.array([float(v) for v in jax.tree_util.tree_leaves(model)])


def test_drift_is_deterministic_per_seed_and_time():
    model = NoiseModel.from_calibration(CALIBRATION)
    a, b = model.drifted(7, 123), model.drifted(7, 123)
    np.testing.assert_array_equal(_values(a), _values(b))
    np.testing.assert_array_equal(_values(model.drifted(7, jax.random.key(123))), _values(a))
    assert not np.array_equal(_values(model.drifted(8, 123)), _values(a))
    assert not np.array_equal(_values(model.drifted(7, 124)), _values(a))
    np.testing.assert_allclose(_values(model.drifted(0, 123)), _values(model), rtol=1e-6)
    np.testing.assert_allclose(_values(model.drifted(9, 1, relative_sigma=0.0)), _values(model),
                               rtol=1e-6)


def test_drift_is_a_random_walk_with_small_steps():
    model = NoiseModel.from_calibration(CALIBRATION)
    sigma = 0.05
    series = np.stack([_values(model.drifted(t, 5, relative_sigma=sigma)) for t in range(12)])
    base = _values(model)
    moving = base > 0
    drifting = ~np.isclose(series[1:], series[:1]).all(axis=0) & moving
    assert drifting.any()
    ratios = series[1:, drifting] / series[:-1, drifting]
    assert np.all(np.abs(np.log(ratios)) < 5 * sigma)  # one step moves by ~sigma at most
    # gate times and equilibrium populations do not drift
    d = model.drifted(11, 5, relative_sigma=sigma).to_dict()
    assert d["gate_time_1q"] == pytest.approx(CALIBRATION["gate_time_1q"], rel=1e-6)
    assert d["qubits"][2]["excited_population"] == pytest.approx(0.01, rel=1e-6)


def test_drift_shares_physical_parameters_and_stays_valid():
    model = NoiseModel.from_calibration(CALIBRATION)
    drifted = model.drifted(25, 3, relative_sigma=0.3)
    rules = drifted.rules
    # T1 of qubit 0 after 1-qubit gates (rule 1) and after 2-qubit gates (rule 7) drift as one
    t1_1q = [float(r.channel.t1) for r in rules if r.channel.name == "thermal_relaxation"]
    assert t1_1q[0] == t1_1q[3] and t1_1q[1] == t1_1q[4]
    for r in rules:  # every drifted channel is still valid
        r.channel.validate()
    strong = NoiseModel().add_all_qubit(Depolarizing(0.99)).add(
        ThermalRelaxation(10.0, 20.0, 1.0), wires=[0]).add_readout(ReadoutError(0.9, 0.9))
    for t in range(1, 6):
        moved = strong.drifted(t, 11, relative_sigma=0.5)
        assert 0.0 <= float(moved.rules[0].channel.p) <= 1.0
        ch = moved.rules[1].channel
        assert float(ch.t2) <= 2 * float(ch.t1)
        assert float(moved.readout[0].error.p0given1) <= 1.0
    again = NoiseModel.from_calibration(drifted.to_dict())
    np.testing.assert_allclose(_values(again), _values(drifted), rtol=1e-6)


def test_drift_argument_checks():
    model = NoiseModel().add_all_qubit(Depolarizing(0.1))
    with pytest.raises(ValueError, match="time_index"):
        model.drifted(-1, 0)
    with pytest.raises(ValueError, match="key_or_seed"):
        model.drifted(1, None)
    with pytest.raises(ValueError, match="relative_sigma"):
        model.drifted(1, 0, relative_sigma=-0.1)
    raw = jax.random.PRNGKey(4)
    np.testing.assert_array_equal(_values(model.drifted(3, raw)),
                                  _values(model.drifted(3, jax.random.wrap_key_data(raw))))
    kraus_only = NoiseModel().add_all_qubit(KrausChannel(np.eye(2)))
    assert kraus_only.drifted(5, 0) is kraus_only
