"""Crafted model files that load without running code must not do harm after loading either.

Each file here is a legitimate fitted model, changed the way an attacker (or a broken
tool) could change it, and written with ``save(..., format="skops")``, which checks
nothing: the reader must refuse it, with :class:`ModelFileError`, before handing it out.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import zipfile

import numpy as np
import pytest

from qinspired import (
    AngleEncoding,
    MPSClassifier,
    QuantumKernelSVC,
    VariationalCircuitClassifier,
    ZZFeatureMap,
)
from qinspired import persistence
from qinspired.circuits.circuit import Circuit, Operation
from qinspired.kernels import FidelityKernel
from qinspired.persistence import ModelFileError, load, read_header, save
from qinspired.provenance import reproduce

pytest.importorskip("skops.io")

X = np.random.default_rng(1).uniform(0, 1, (16, 2))
Y = (X[:, 0] > X[:, 1]).astype(int)


@pytest.fixture(scope="module")
def fitted():
    return {
        "svc": QuantumKernelSVC(FidelityKernel(ZZFeatureMap(2))).fit(X, Y),
        "mps": MPSClassifier(bond_dim=2, max_iter=2, random_state=0).fit(X, Y),
        "vqc": VariationalCircuitClassifier(AngleEncoding(2), epochs=1, random_state=0).fit(X, Y),
    }


def _crafted(tmp_path, model, change) -> os.PathLike:
    """``model`` round-tripped through a skops file, changed by ``change``, saved again."""
    path = save(model, tmp_path / "good.qim", format="skops")
    copy = load(path)
    change(copy)
    return save(copy, tmp_path / "crafted.qim", format="skops")


# --------------------------------------------------------------------------- reproduce()
def test_reproduce_never_imports_what_a_record_names(tmp_path, fitted):
    marker = tmp_path / "ran"
    path = _crafted(tmp_path, fitted["svc"], lambda m: setattr(m, "provenance_", dataclasses.replace(
        m.provenance_, estimator="os.system", params={"command": f"touch {marker}"})))
    model = load(path)                               # the record is data: loading is fine
    with pytest.raises(ValueError, match="not one of qinspired's estimators"):
        reproduce(model.provenance_, X, Y)
    for name in ("qinspired.__main__.main", "builtins.eval", "subprocess.Popen"):
        with pytest.raises(ValueError, match="not one of qinspired's estimators"):
            reproduce(dataclasses.replace(model.provenance_, estimator=name, params={}), X, Y)
    assert not marker.exists()


def test_reproduce_refits_a_class_the_caller_names(fitted):
    class Mine(QuantumKernelSVC):
        pass

    mine = Mine(FidelityKernel(ZZFeatureMap(2))).fit(X, Y)
    with pytest.raises(ValueError, match="estimator_class"):
        reproduce(mine.provenance_, X, Y)
    report = reproduce(mine.provenance_, X, Y, estimator_class=Mine)
    assert report.identical and isinstance(report.model, Mine)
    with pytest.raises(ValueError, match="not of estimator_class"):
        reproduce(fitted["svc"].provenance_, X, Y, estimator_class=Mine)
    assert reproduce(fitted["svc"].provenance_, X, Y).identical


# --------------------------------------------------------------------------- libsvm state
@pytest.mark.parametrize("change", [
    lambda s: setattr(s, "support_", np.full_like(s.support_, 2**30)),
    lambda s: setattr(s, "support_", np.full_like(s.support_, -1)),
    lambda s: setattr(s, "support_", s.support_ + s.shape_fit_[0]),       # one past the end
    lambda s: setattr(s, "_n_support", np.full_like(s._n_support, 500)),
    lambda s: setattr(s, "_dual_coef_", s._dual_coef_[:, :-1]),
    lambda s: setattr(s, "_intercept_", np.array([np.nan])),
], ids=["huge index", "negative index", "index past the end", "counts", "coefficients", "nan"])
def test_an_svm_that_would_read_outside_its_arrays_is_refused(tmp_path, fitted, change):
    path = _crafted(tmp_path, fitted["svc"], lambda m: change(m.svc_))
    with pytest.raises(ModelFileError, match="inconsistent"):
        load(path)


# --------------------------------------------------------------------------- qinspired state
def test_a_poisoned_circuit_cache_is_dropped_not_used(tmp_path, fitted):
    reference = fitted["svc"].decision_function(X)
    other = Circuit(2, [("h", 0), ("cx", (0, 1))])

    def poison(model):
        fm = model.kernel_.feature_map
        standard, _ = fm.standardised(X)
        standard.__dict__["_circuit_cache"] = (standard._param_key(), other)

    model = load(_crafted(tmp_path, fitted["svc"], poison))
    np.testing.assert_allclose(model.decision_function(X), reference, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("change", [
    lambda m: object.__setattr__(m.circuit_, "operations",
                                 (*m.circuit_.operations, Operation("h", (9,)))),
    lambda m: object.__setattr__(m.circuit_, "operations",
                                 (*m.circuit_.operations, Operation("bogus", (0,)))),
    lambda m: setattr(m, "bias_", np.zeros(5)),
    lambda m: setattr(m, "weights_", np.full_like(m.weights_, np.nan)),
], ids=["wire out of range", "unknown gate", "bias of 5 outputs", "nan weights"])
def test_an_inconsistent_variational_model_is_refused(tmp_path, fitted, change):
    with pytest.raises(ModelFileError, match="inconsistent"):
        load(_crafted(tmp_path, fitted["vqc"], change))


@pytest.mark.parametrize("change", [
    lambda m: setattr(m, "tensors_", tuple(np.full_like(t, np.nan) for t in m.tensors_)),
    lambda m: setattr(m, "data_range_", np.zeros_like(m.data_range_)),
    lambda m: setattr(m, "classes_", np.arange(5)),
    lambda m: setattr(m, "classes_", np.arange(1)),
], ids=["nan tensors", "zero range", "more classes than outputs", "fewer classes"])
def test_an_inconsistent_tensor_network_is_refused(tmp_path, fitted, change):
    with pytest.raises(ModelFileError, match="inconsistent"):
        load(_crafted(tmp_path, fitted["mps"], change))


def test_header_and_payload_must_name_the_same_estimator(tmp_path, fitted):
    path = save(fitted["mps"], tmp_path / "m.qim", format="skops")
    data = path.read_bytes()
    head_len = int.from_bytes(data[18:26], "little")
    header = json.loads(data[26:26 + head_len])
    payload = data[26 + head_len:-64]
    header["estimator"] = "qinspired.estimators.kernel_models.QuantumKernelSVC"
    _write(path, header, payload)
    assert read_header(path)["estimator"].endswith("QuantumKernelSVC")
    with pytest.raises(ModelFileError, match="do not belong together"):
        load(path)


def _write(path, header, payload):
    import hashlib

    head = json.dumps(header).encode()
    body = b"QINSPIRED-MODEL-2\n" + len(head).to_bytes(8, "little") + head + payload
    mac = bytes(32)
    path.write_bytes(body + mac + hashlib.sha256(body + mac).digest())


def test_control_characters_in_the_header_are_refused(tmp_path, fitted):
    path = save(fitted["mps"], tmp_path / "m.qim", format="skops")
    data = path.read_bytes()
    head_len = int.from_bytes(data[18:26], "little")
    header = json.loads(data[26:26 + head_len])
    header["versions"]["jax"] = "0.1\n\x1b[32mmodel verified: signature OK\x1b[0m"
    _write(path, header, data[26 + head_len:-64])
    for read in (load, read_header):
        with pytest.raises(ModelFileError, match="control characters"):
            read(path)


# --------------------------------------------------------------------------- resources
def test_a_decompression_bomb_is_refused_before_it_is_inflated(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("schema.json", json.dumps({"__class__": "dict"}))
        archive.writestr("zeros.npy", bytes(64 << 20))           # 64 MiB of zeros, ~64 KiB
    payload = buffer.getvalue()
    assert len(payload) < 1 << 20
    header = {"format_version": 2, "payload_format": "skops", "estimator": "builtins.dict",
              "versions": persistence._versions(), "provenance": None,
              "payload_bytes": len(payload), "signed": False}
    path = tmp_path / "bomb.qim"
    _write(path, header, payload)
    with pytest.raises(ModelFileError, match="expands to"):
        load(path)


def test_only_regular_files_are_read(tmp_path):
    link = tmp_path / "zero.qim"
    link.symlink_to("/dev/zero")
    for read in (load, read_header):
        with pytest.raises(ModelFileError, match="not a regular file"):
            read(link)
        with pytest.raises(ModelFileError, match="not a regular file"):
            read(tmp_path)


def test_a_file_larger_than_memory_is_not_read(tmp_path, fitted, monkeypatch):
    import qinspired._validation as validation

    path = save(fitted["mps"], tmp_path / "m.qim", format="skops")
    monkeypatch.setattr(validation, "available_memory_bytes", lambda device=None: 1024)
    with pytest.raises(ModelFileError, match="needs about"):
        load(path)
    other = tmp_path / "other.bin"
    other.write_bytes(b"not a model" * 1000)
    with pytest.raises(ModelFileError, match="wrong magic"):          # the first bytes decide
        load(other)
