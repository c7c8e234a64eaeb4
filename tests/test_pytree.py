"""The one pytree idiom (qinspired._pytree): leaves, static structure, validation only at construction."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pickle
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qinspired._pytree import is_pytree_dataclass, pytree_dataclass, static_field, unchecked
from qinspired.circuits import Circuit
from qinspired.circuits.channels import CHANNELS, Depolarizing, ReadoutError
from qinspired.circuits.noise_model import NoiseModel
from qinspired.tn.mps import MPS, norm, random_mps
from qinspired.tn.mps_model import LabelledMPS, init_labelled_mps
from qinspired.tn.sweep import BondModel
from qinspired.tn.ttn import TTN, init_ttn

from _package import REPO, package_modules

_SWAP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex)


def _examples() -> dict[str, object]:
    """One valid instance of each kind of pytree the package declares."""
    key = jax.random.key(0)
    return {
        "channel": Depolarizing(0.1),
        "readout": ReadoutError(0.02, 0.05),
        "noise_model": (NoiseModel().add_all_qubit(Depolarizing(0.01), after=["h"])
                        .add_readout(ReadoutError(0.02, 0.01), wires=[1])),
        "circuit": Circuit(2, [("h", 0), ("unitary", (0, 1), _SWAP)]),
        "mps": random_mps(key, 4, 2, 2),
        "labelled_mps": init_labelled_mps(key, 4, 2, 3, 2),
        "ttn": init_ttn(key, 4, 2, 2, 2),
        "bond": BondModel(jnp.ones((2, 2, 2, 3, 2))),
    }


def _static(obj: object) -> jax.tree_util.PyTreeDef:
    return jax.tree_util.tree_structure(obj)


@pytest.mark.parametrize("name", sorted(_examples()))
def test_flatten_unflatten_round_trip(name) -> None:
    obj = _examples()[name]
    leaves, treedef = jax.tree_util.tree_flatten(obj)
    again = jax.tree_util.tree_unflatten(treedef, leaves)
    assert type(again) is type(obj)
    assert _static(again) == _static(obj)
    for a, b in zip(jax.tree_util.tree_leaves(again), leaves):
        np.testing.assert_array_equal(a, b)
    # leaves are addressed by attribute name
    for path, _ in jax.tree_util.tree_flatten_with_path(obj)[0]:
        assert isinstance(path[0], jax.tree_util.GetAttrKey)


@pytest.mark.parametrize("name", sorted(_examples()))
def test_unflattening_does_not_validate(name) -> None:
    # sentinels (as JAX uses) and wrong values: the constructors would refuse both
    obj = _examples()[name]
    sentinel = object()
    rebuilt = jax.tree_util.tree_map(lambda _: sentinel, obj)
    assert all(leaf is sentinel for leaf in jax.tree_util.tree_leaves(rebuilt))
    assert _static(rebuilt) == _static(obj)


def test_constructors_and_replace_still_validate() -> None:
    with pytest.raises(ValueError, match="p="):
        Depolarizing(2.0)
    with pytest.raises(ValueError, match="p="):
        Depolarizing(0.1).replace(p=2.0)
    tensors = random_mps(jax.random.key(0), 3, 2, 2).tensors
    with pytest.raises(ValueError, match="outer bonds"):
        MPS(tensors[1:])
    with pytest.raises(ValueError, match="center"):
        LabelledMPS(tensors, center=5)
    with pytest.raises(ValueError, match="n_sites"):
        TTN(init_ttn(jax.random.key(0), 4, 2, 2, 2).layers, n_sites=9, pad=(1.0, 0.0))
    # a valid out-of-range value built by JAX is kept as it is
    moved = jax.tree_util.tree_map(lambda p: p * 30, Depolarizing(0.1))
    assert float(moved.p) == pytest.approx(3.0)


@jax.jit
def _population(ch: Depolarizing) -> jax.Array:
    """<0| E(|0><0|) |0> from the channel's Kraus operators."""
    k = ch.kraus()
    return jnp.real(jnp.sum(jnp.abs(k[:, 0, 0]) ** 2))


def test_grad_through_a_validated_noise_strength() -> None:
    p, h = 0.3, 1e-3
    grad = jax.grad(_population)(Depolarizing(p))
    assert isinstance(grad, Depolarizing)
    fd = (_population(Depolarizing(p + h)) - _population(Depolarizing(p - h))) / (2 * h)
    np.testing.assert_allclose(float(grad.p), float(fd), rtol=1e-3)
    assert float(grad.p) < 0  # a cotangent outside [0, 1]: would fail re-validation


def test_jit_and_vmap_over_noise_strengths() -> None:
    ps = jnp.asarray([0.0, 0.2, 0.5])
    batched = jax.vmap(lambda p: _population(Depolarizing(p)))(ps)
    single = [float(_population(Depolarizing(float(p)))) for p in ps]
    np.testing.assert_allclose(batched, single, rtol=1e-6)
    traces = []

    @jax.jit
    def total(model: NoiseModel) -> jax.Array:
        traces.append(1)
        return sum(_population(r.channel) for r in model.rules)

    a = NoiseModel().add_all_qubit(Depolarizing(0.1), after=["h"])
    b = NoiseModel().add_all_qubit(Depolarizing(0.4), after=["h"])
    c = NoiseModel().add_all_qubit(Depolarizing(0.1), after=["x"])
    np.testing.assert_allclose(total(b), _population(Depolarizing(0.4)), rtol=1e-6)
    total(a)
    assert len(traces) == 1  # a new noise strength: no retrace
    total(c)
    assert len(traces) == 2  # new structure (gate names are static): a retrace


def test_grad_through_an_mps() -> None:
    mps = random_mps(jax.random.key(1), 3, 2, 2)
    grad = jax.jit(jax.grad(lambda m: norm(m) ** 2))(mps)
    assert isinstance(grad, MPS)
    # d||psi||^2 / dA_k along A_k is 2 ||psi||^2 (the norm is quadratic in each tensor)
    for k, (t, g) in enumerate(zip(mps.tensors, grad.tensors)):
        np.testing.assert_allclose(float(jnp.sum(t * g)), 2 * float(norm(mps)) ** 2, rtol=1e-5,
                                   err_msg=f"site {k}")


def test_pickle_round_trip_keeps_fields() -> None:
    for obj in (_examples()["noise_model"], _examples()["circuit"], _examples()["ttn"]):
        again = pickle.loads(pickle.dumps(obj))
        assert _static(again) == _static(obj)
        for a, b in zip(jax.tree_util.tree_leaves(again), jax.tree_util.tree_leaves(obj)):
            np.testing.assert_array_equal(a, b)


def test_unchecked_builds_without_validation_and_needs_every_field() -> None:
    batched = tuple(jnp.ones((5, 1, 2, 1)) for _ in range(3))  # a leading batch axis
    mps = unchecked(MPS, tensors=batched)
    assert mps.tensors is batched
    with pytest.raises(TypeError, match="exactly the fields"):
        unchecked(LabelledMPS, tensors=batched)
    with pytest.raises(TypeError, match="not a pytree_dataclass"):
        unchecked(int)


def test_static_fields_are_structure_and_need_hashable_values() -> None:
    @pytree_dataclass
    class Pair:
        value: jax.Array
        wires: tuple = static_field(default=(0,))

    assert [leaf.shape for leaf in jax.tree_util.tree_leaves(Pair(jnp.ones(2)))] == [(2,)]
    assert _static(Pair(1.0, (0, 1))) != _static(Pair(1.0, (1, 0)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        Pair(1.0).value = 2.0  # type: ignore[misc]


# ---------------------------------------------------------------------------------------
# consistency: one idiom in the whole package
# ---------------------------------------------------------------------------------------


_OTHER_IDIOMS = re.compile(r"register_pytree|register_dataclass|register_static|flax\.struct"
                           r"|def tree_(un)?flatten|PyTreeNode")


def test_no_other_pytree_idiom_in_the_source() -> None:
    sources = [*(REPO / "qinspired").rglob("*.py"), *(REPO / "kernels").rglob("*.py")]
    offenders = [f"{p.relative_to(REPO)}:{i}" for p in sources if p.name != "_pytree.py"
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if _OTHER_IDIOMS.search(line)]
    assert offenders == []


def test_every_pytree_class_of_the_package_uses_the_idiom() -> None:
    classes = {}
    for name in package_modules():
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and obj.__module__ == module.__name__:
                classes[f"{name}.{obj.__qualname__}"] = obj
    for qualname, cls in classes.items():
        assert "tree_flatten" not in vars(cls) and "tree_unflatten" not in vars(cls), qualname
        assert not getattr(cls, "_flax_dataclass", False), qualname
    declared = {q: c for q, c in classes.items() if is_pytree_dataclass(c)}
    expected = {MPS, TTN, LabelledMPS, BondModel, Circuit, NoiseModel, ReadoutError,
                *CHANNELS.values()}
    assert expected <= set(declared.values())
    for qualname, cls in declared.items():  # registered with JAX: one leaf per data field
        data, meta = cls._pytree_fields
        obj = unchecked(cls, **{n: 0.0 for n in data + meta})
        assert jax.tree_util.tree_leaves(obj) == [0.0] * len(data), qualname
