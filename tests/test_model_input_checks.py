"""Model inputs that used to crash, eat memory or give garbage, now checked or handled.

* local maps of high ``local_dim`` (``"legendre"`` at 200 took > 24 GB to compile);
* regressors on targets near the float64 limits (``np.std`` overflowed to ``inf``);
* ``param_dtype`` of the tensor-network layers (an integer one gave an all-zero model);
* Gram matrices of states from different feature maps (a JAX contraction error);
* ``random_state`` of the kernel SVC and kernel PCA (the library's rule, everywhere).
"""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from numpy.polynomial import hermite, legendre
from sklearn.decomposition import KernelPCA

from qinspired import (
    AngleEncoding,
    MPSRegressor,
    QuantumKernelPCA,
    QuantumKernelSVC,
    TTNRegressor,
    VariationalCircuitRegressor,
    ZZFeatureMap,
)
from qinspired.estimators._supervised import SupervisedRegressor
from qinspired.kernels import FidelityKernel, ProjectedKernel
from qinspired.nn import MPSLinear, SpacedMPO, TTNLinear
from qinspired.tn.local_maps import LOCAL_MAPS, apply_local_map, get_local_map
from qinspired.tn.mps_model import LabelledMPS

GRID = np.linspace(0.0, 1.0, 33)


# -- F01: local maps of high local dimension -----------------------------------------------

def _numpy_legendre(x: np.ndarray, d: int) -> np.ndarray:
    return np.stack([math.sqrt(2 * s + 1) * legendre.legval(2 * x - 1, np.eye(d)[s])
                     for s in range(d)], axis=-1)


def _numpy_hermite(x: np.ndarray, d: int) -> np.ndarray:
    t = 3.0 * x - 1.5
    return np.stack([hermite.hermval(t, np.eye(d)[s]) * np.exp(-t**2 / 2)
                     / math.sqrt(2.0**s * math.factorial(s) * math.sqrt(math.pi))
                     for s in range(d)], axis=-1)


@pytest.mark.usefixtures("x64")
@pytest.mark.parametrize("d", [3, 9, 40])
def test_legendre_and_hermite_match_numpy_at_high_degree(d: int) -> None:
    x = jnp.asarray(GRID, dtype=jnp.float64)
    np.testing.assert_allclose(np.asarray(apply_local_map(x, "legendre", d)),
                               _numpy_legendre(GRID, d), rtol=0, atol=1e-10)
    np.testing.assert_allclose(np.asarray(apply_local_map(x, "hermite", d)),
                               _numpy_hermite(GRID, d), rtol=0, atol=1e-12)


# Outputs of the term-by-term (unrolled) recurrences before the change, local_dim=8, x64.
_X_SNAPSHOT = [0.0, 0.3, 0.5, 0.85, 1.0]
_LEGENDRE_8 = [
    [1.0, -1.7320508075688772, 2.23606797749979, -2.6457513110645907, 3.0, -3.3166247903554,
     3.605551275463989, -3.872983346207417],
    [1.0, -0.6928203230275509, -0.5813776741499452, 1.1641305768684198, -0.33900000000000013,
     -0.8976113332617852, 1.05511410304668, 0.0565083762145044],
    [1.0, 0.0, -1.118033988749895, -0.0, 1.125, 0.0, -1.1267347735824966, -0.0],
    [1.0, 1.212435565298214, 0.5254759747124503, -0.509307127379934, -1.2361875,
     -1.2112272276568037, -0.45172622383255423, 0.5815489520386334],
    [1.0, 1.7320508075688772, 2.23606797749979, 2.6457513110645907, 3.0, 3.3166247903554,
     3.605551275463989, 3.872983346207417]]
_HERMITE_8 = [
    [0.24385476130642741, -0.5172940660332053, 0.6035097437054061, -0.31677662718773497,
     -0.186662417671542, 0.4604171468486744, -0.22833425084697825, -0.24318876247491386],
    [0.6273927923216394, -0.5323604375018335, -0.1242174354170944, 0.4955243438272363,
     -0.10265771959379533, -0.40425458132363684, 0.23375114268160774, 0.29929987198471875],
    [0.7511255444649425, 0.0, -0.5311259660135985, -0.0, 0.45996857917732664, 0.0,
     -0.4198919442650381, -0.0],
    [0.4328203766982603, 0.6427054691380172, 0.36879051919586203, -0.2085948101926598,
     -0.4742557033463972, -0.12837005520116698, 0.35511403435790523, 0.318154834784505],
    [0.24385476130642741, 0.5172940660332053, 0.6035097437054061, 0.31677662718773497,
     -0.186662417671542, -0.4604171468486744, -0.22833425084697825, 0.24318876247491386]]


@pytest.mark.usefixtures("x64")
def test_recurrences_keep_their_previous_values() -> None:
    x = jnp.asarray(_X_SNAPSHOT, dtype=jnp.float64)
    for name, want in (("legendre", _LEGENDRE_8), ("hermite", _HERMITE_8)):
        for d in range(2, 9):
            np.testing.assert_allclose(np.asarray(apply_local_map(x, name, d)),
                                       np.asarray(want)[:, :d], rtol=0, atol=1e-13)


def test_recurrences_keep_their_previous_values_in_float32() -> None:
    x = jnp.asarray(_X_SNAPSHOT, dtype=jnp.float32)
    for name, want in (("legendre", _LEGENDRE_8), ("hermite", _HERMITE_8)):
        got = apply_local_map(x, name, 8)
        assert got.dtype == jnp.float32
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=0, atol=2e-5)


def _program_size(name: str, d: int) -> int:
    x = jnp.linspace(0.0, 1.0, 5)
    return len(jax.make_jaxpr(lambda v: LOCAL_MAPS[name].fn(v, d))(x).jaxpr.eqns)


@pytest.mark.parametrize("name", sorted(LOCAL_MAPS))
def test_traced_program_does_not_grow_with_local_dim(name: str) -> None:
    # Unrolled, "legendre" had 42 operations at d=8 and 354 at d=60 (and compiled past
    # 24 GB at d=200); every map is now a scan or vectorised over the index
    # (integer powers by squaring add a few operations per bit of d).
    assert _program_size(name, 200) <= _program_size(name, 8) + 40


def test_high_local_dim_legendre_layer_builds() -> None:
    assert _program_size("legendre", 200) < 30  # before building: never the unrolled program
    layer = MPSLinear(4, 3, bond_dim=2, local_map="legendre", local_dim=200, rngs=nnx.Rngs(0))
    out = np.asarray(layer(jnp.array([[0.1, 0.5, 0.9, 0.3]])))
    assert out.shape == (1, 3) and np.isfinite(out).all()
    w = get_local_map("hermite").reference_vector(200)
    assert w.shape == (200,) and np.isclose(np.linalg.norm(w), 1.0)


def test_trigonometric_high_local_dim_works_or_says_why() -> None:
    # d = 100 used to raise numpy's "loop of ufunc does not support argument 0 of type int"
    # (binomial coefficients past int64); it is a unit vector for every input.
    phi = np.asarray(apply_local_map(jnp.asarray(GRID, jnp.float32), "trigonometric", 100))
    np.testing.assert_allclose(np.linalg.norm(phi, axis=-1), 1.0, atol=1e-4)
    with pytest.raises(ValueError, match=r"local_dim=262 needs binomial weights .* beyond "
                                         r"the float32 range.*local_dim <= 261"):
        apply_local_map(jnp.asarray(GRID, jnp.float32), "trigonometric", 262)


# -- F05: regressors on targets near the float64 limits -------------------------------------

def test_target_statistics_are_numpys_for_ordinary_targets() -> None:
    rng = np.random.default_rng(1)
    for y in (rng.normal(size=30) * 3 + 7, rng.normal(size=(20, 3)) * [1, 1e-3, 1e5],
              np.full(9, 2.3), np.zeros(5)):
        reg = SupervisedRegressor()
        got = reg._standardise_targets(y)
        y2 = y.reshape(len(y), -1)
        scale = np.where(y2.std(axis=0) > 0, y2.std(axis=0), 1.0)
        np.testing.assert_array_equal(reg.y_mean_, y2.mean(axis=0))
        np.testing.assert_array_equal(reg.y_scale_, scale)
        np.testing.assert_array_equal(got, (y2 - y2.mean(axis=0)) / scale)


def test_target_statistics_near_the_float64_limit() -> None:
    reg = SupervisedRegressor()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = reg._standardise_targets(np.array([1.7e308, -1.7e308, 1e308, 0.0]))
    assert np.isfinite(reg.y_mean_).all() and np.isfinite(reg.y_scale_).all()
    np.testing.assert_allclose(z.std(axis=0), 1.0)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-15)


@pytest.mark.parametrize("make", [
    lambda: MPSRegressor(bond_dim=2, max_iter=3, random_state=0),
    lambda: TTNRegressor(bond_dim=2, max_iter=3, random_state=0),
    lambda: VariationalCircuitRegressor(epochs=3, random_state=0),
], ids=["MPSRegressor", "TTNRegressor", "VariationalCircuitRegressor"])
def test_regressor_predictions_scale_with_the_targets(make) -> None:
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 1, (12, 4)), rng.normal(size=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of the short fits
        base = make().fit(X, y).predict(X[:4])
        for factor in (1e150, 1e200, 1e-170):
            reg = make().fit(X, y * factor)
            assert np.isfinite(reg.y_scale_).all() and (reg.y_scale_ > 0).all()
            np.testing.assert_allclose(reg.predict(X[:4]) / factor, base, rtol=1e-6)


# -- F08: param_dtype of the layers -------------------------------------------------------

@pytest.mark.parametrize("cls", [MPSLinear, TTNLinear, SpacedMPO])
@pytest.mark.parametrize("dtype", [jnp.int32, np.bool_, jnp.complex64])
def test_layers_refuse_non_real_floating_param_dtype(cls, dtype) -> None:
    name = np.dtype(dtype).name
    with pytest.raises(ValueError, match=rf"{cls.__name__}: param_dtype={name} must be a "
                                         r"real floating dtype"):
        cls(4, 3, bond_dim=2, param_dtype=dtype, rngs=nnx.Rngs(0))


@pytest.mark.parametrize("cls", [MPSLinear, TTNLinear, SpacedMPO])
def test_layers_refuse_a_non_dtype(cls) -> None:
    with pytest.raises(ValueError, match="param_dtype='floaty' is not a dtype"):
        cls(4, 3, bond_dim=2, param_dtype="floaty", rngs=nnx.Rngs(0))


@pytest.mark.parametrize("cls", [MPSLinear, TTNLinear, SpacedMPO])
def test_layers_take_float_param_dtypes(cls) -> None:
    x = jnp.array([[0.1, 0.5, 0.9, 0.3]])
    for dtype in (jnp.float32, "float32", jnp.bfloat16):
        out = np.asarray(cls(4, 3, bond_dim=2, param_dtype=dtype, rngs=nnx.Rngs(0))(x),
                         dtype=np.float64)
        assert np.isfinite(out).all() and np.abs(out).max() > 0


def test_from_network_refuses_integer_tensors() -> None:
    net = MPSLinear(4, 3, bond_dim=2, rngs=nnx.Rngs(0)).network
    bad = LabelledMPS(tuple(t.astype(jnp.int32) for t in net.tensors), net.center)
    with pytest.raises(ValueError, match="MPSLinear.from_network: the network's dtype is int32"):
        MPSLinear.from_network(bad)


# -- F09: Gram matrices of mismatched states ---------------------------------------------

_X4 = np.random.default_rng(0).uniform(size=(5, 4))


@pytest.mark.parametrize("make", [
    lambda n: FidelityKernel(ZZFeatureMap(n)),
    lambda n: FidelityKernel(AngleEncoding(n)),
    lambda n: FidelityKernel(ZZFeatureMap(n), backend="mps", bond_dim=2),
    lambda n: FidelityKernel(ZZFeatureMap(n), backend="density"),
    lambda n: FidelityKernel(ZZFeatureMap(n), mode="circuit"),
    lambda n: ProjectedKernel(ZZFeatureMap(n)),
], ids=["statevector", "product", "mps", "density", "circuit", "projected"])
def test_gram_of_states_from_different_feature_maps_is_a_clear_error(make) -> None:
    k4, k3 = make(4).fit(_X4), make(3).fit(_X4[:, :3])
    a, b = k4.states(_X4), k3.states(_X4[:, :3])
    with pytest.raises(ValueError, match=r"\.gram: states_a and states_b come from different "
                                         r"feature maps .*\b4\b.* against .*\b3\b"):
        k4.gram(a, b)
    with pytest.raises(ValueError, match="different feature maps"):
        k3.gram(b, a)
    # the states of one map still pair: the Gram matrix is the kernel's own
    np.testing.assert_allclose(k4.gram(a, k4.states(_X4[:2])), k4(_X4, _X4[:2]), atol=1e-6)


def test_gram_refuses_what_is_not_states() -> None:
    k = FidelityKernel(ZZFeatureMap(4))
    with pytest.raises(ValueError, match=r"FidelityKernel.gram: states_a must be KernelStates"):
        k.gram(np.zeros((3, 16)))
    with pytest.raises(ValueError, match="the 'data' states hold 3 features, but the feature "
                                         "map reads 4"):
        FidelityKernel(ZZFeatureMap(4), mode="circuit").gram(
            FidelityKernel(ZZFeatureMap(3), mode="circuit").states(_X4[:, :3]))


# -- F12: random_state of the kernel SVC and PCA -----------------------------------------

_XS = np.random.default_rng(0).uniform(0, np.pi, (12, 2))
_YS = np.array([0, 1] * 6)


def _svc(**kw) -> QuantumKernelSVC:
    return QuantumKernelSVC(FidelityKernel(AngleEncoding(2)), **kw)


@pytest.mark.parametrize("probability", [False, True])
@pytest.mark.parametrize("bad", [-1, 2**63, 2**70])
def test_svc_checks_random_state_whatever_probability(probability: bool, bad: int) -> None:
    with pytest.raises(ValueError, match=r"QuantumKernelSVC: random_state=\d+|"
                                         r"QuantumKernelSVC: random_state=-1"):
        _svc(probability=probability, random_state=bad).fit(_XS, _YS)
    with pytest.raises(ValueError, match="QuantumKernelSVC: random_state must be None, an int"):
        _svc(probability=probability, random_state=1.5).fit(_XS, _YS)


def test_svc_without_probability_does_not_draw_from_a_generator() -> None:
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    clf = _svc(random_state=rng).fit(_XS, _YS)
    assert rng.bit_generator.state == before
    assert clf.score(_XS, _YS) > 0.5
    big = _svc(probability=True, random_state=2**62).fit(_XS, _YS)
    proba = big.predict_proba(_XS[:3])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize("random_state", [2**40, np.random.default_rng(0),
                                          np.random.RandomState(0)])
def test_kernel_pca_takes_what_every_estimator_takes(random_state) -> None:
    pca = QuantumKernelPCA(FidelityKernel(AngleEncoding(2)), n_components=2,
                           eigen_solver="arpack", random_state=random_state)
    Z = pca.fit_transform(_XS)
    assert Z.shape == (12, 2) and np.isfinite(Z).all()
    assert 0 <= pca.kpca_.random_state < 2**32


def test_kernel_pca_int_seed_is_sklearns_and_bad_seeds_are_refused() -> None:
    kernel = FidelityKernel(AngleEncoding(2))
    K = kernel.fit(_XS)(_XS)
    want = KernelPCA(2, kernel="precomputed", eigen_solver="arpack",
                     random_state=7).fit_transform(K)
    got = QuantumKernelPCA(kernel, n_components=2, eigen_solver="arpack",
                           random_state=7).fit_transform(_XS)
    np.testing.assert_allclose(got, want, atol=1e-8)
    for bad in (-1, 2**63):
        with pytest.raises(ValueError, match=r"QuantumKernelPCA: random_state=-?\d+ must be "
                                             r"in \[0, 2\*\*63\)"):
            QuantumKernelPCA(kernel, n_components=2, random_state=bad).fit(_XS)


def test_kernel_states_that_do_not_fit_say_what_works() -> None:
    from qinspired import QuantumKernelSVC, SimulationTooLargeError

    X = np.random.default_rng(0).uniform(size=(4, 40))   # 40 qubits: 8 TiB per state
    with pytest.raises(SimulationTooLargeError, match=r"PCA\(n_components=8\).*backend='mps'"):
        QuantumKernelSVC().fit(X, [0, 1, 0, 1])


@pytest.mark.parametrize("dtype", [jnp.int32, jnp.bool_, jnp.complex64, "not a dtype"])
def test_network_initialisers_refuse_non_real_floating_dtypes(dtype) -> None:
    from qinspired.tn.mps_model import init_labelled_mps
    from qinspired.tn.ttn import init_ttn

    for init, owner in ((init_labelled_mps, "init_labelled_mps"), (init_ttn, "init_ttn")):
        with pytest.raises(ValueError, match=f"{owner}: dtype="):
            init(jax.random.key(0), 4, 2, 2, 2, dtype=dtype)
    model = init_labelled_mps(jax.random.key(0), 4, 2, 2, 2, dtype=jnp.float32)
    assert all(t.dtype == jnp.float32 for t in model.tensors)


def test_to_tensornetwork_of_a_zero_state_says_it_cannot_be_normalised() -> None:
    from qinspired.tn.interop import to_tensornetwork
    from qinspired.tn.mps import MPS

    bonds = [1, 2, 2, 1]
    zero = MPS(tuple(jnp.zeros((bonds[k], 2, bonds[k + 1])) for k in range(3)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")               # no numpy division warning either
        with pytest.raises(ValueError, match="norm is zero"):
            to_tensornetwork(zero, center_position=0)
        copied = to_tensornetwork(zero)                 # copying the tensors is fine
    assert all(np.all(np.asarray(t) == 0) for t in copied.tensors)
