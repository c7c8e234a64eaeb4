"""Provenance records, bit-identical refits across processes, and safe persistence."""

from __future__ import annotations

import hashlib
import json
import pickle
import subprocess
import sys
import textwrap
from datetime import datetime

import cloudpickle
import numpy as np
import pytest

import qinspired
from qinspired import AngleEncoding, QuantumFourierFeatures
from qinspired.persistence import ModelFileError, VersionMismatchWarning, load, read_header, save
from qinspired.provenance import (
    Provenance,
    deterministic_gpu_flags,
    enable_deterministic_gpu,
    fingerprint,
    reproduce,
)

X = np.random.default_rng(0).uniform(0, 1, (20, 3))


def _model(random_state=3):
    return QuantumFourierFeatures(AngleEncoding(3), n_components=16,
                                  random_state=random_state).fit(X)


def test_provenance_records_versions_seed_data_and_params():
    model = _model()
    prov = model.provenance_
    assert isinstance(prov, Provenance)
    assert prov.estimator == "qinspired.estimators.fourier.QuantumFourierFeatures"
    assert prov.seed == 3 and prov.params["n_components"] == 16
    assert prov.versions["qinspired"] == qinspired.__version__
    assert prov.versions["jax"] and prov.versions["scikit-learn"] and prov.versions["numpy"]
    assert prov.device["backend"] == "cpu" and prov.device["x64"] is False
    h = hashlib.sha256(f"{X.dtype.str};{X.shape};".encode() + X.tobytes() + b"none;")
    assert prov.data_fingerprint == h.hexdigest()
    assert (prov.n_samples, prov.n_features) == (20, 3)
    assert datetime.fromisoformat(prov.timestamp).utcoffset().total_seconds() == 0
    json.dumps(prov.to_dict())


def test_unseeded_fit_records_the_seed_it_drew_and_reproduces_bit_identically():
    model = _model(random_state=None)
    assert isinstance(model.provenance_.seed, int)
    report = reproduce(model.provenance_, X)
    assert report.identical and report.same_data and not report.differences
    np.testing.assert_array_equal(report.model.frequencies_, model.frequencies_)


def test_reproduce_on_other_data_reports_the_difference():
    report = reproduce(_model().provenance_, X + 1e-9)
    assert not report.same_data and "data_fingerprint" in report.differences


def test_fingerprint_sees_dtype_shape_and_values():
    a = np.arange(6.0)
    assert fingerprint(a) != fingerprint(a.reshape(2, 3))
    assert fingerprint(a) != fingerprint(a.astype(np.float32))
    assert fingerprint(a) == fingerprint(a.copy())


_CHILD = textwrap.dedent(
    """
    import numpy as np
    from qinspired import AngleEncoding, QuantumFourierFeatures
    X = np.random.default_rng(0).uniform(0, 1, (20, 3))
    m = QuantumFourierFeatures(AngleEncoding(3), n_components=16, random_state=3).fit(X)
    print(m.provenance_.result_fingerprint, m.transform(X).tobytes().hex()[:4000])
    """
)


def test_bit_identical_across_processes():
    runs = [subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True,
                           timeout=300) for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr[-2000:]
    assert runs[0].stdout == runs[1].stdout
    assert runs[0].stdout.split()[0] == _model().provenance_.result_fingerprint


@pytest.mark.parametrize("dumps, loads", [(pickle.dumps, pickle.loads),
                                          (cloudpickle.dumps, cloudpickle.loads)])
def test_pickle_round_trips_transform_identically(dumps, loads):
    model = _model()
    again = loads(dumps(model))
    np.testing.assert_array_equal(again.transform(X), model.transform(X))
    assert again.provenance_ == model.provenance_


def test_save_load_round_trip_with_provenance_in_the_header(tmp_path):
    model = _model()
    path = save(model, tmp_path / "m.qim")
    assert not list(tmp_path.glob(".*tmp"))
    header = read_header(path)
    assert header["provenance"]["seed"] == 3
    assert header["estimator"].endswith("QuantumFourierFeatures")
    np.testing.assert_array_equal(load(path, allow_pickle=True).transform(X), model.transform(X))


def test_corrupted_or_tampered_file_is_refused(tmp_path):
    path = save(_model(), tmp_path / "m.qim")
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="SHA-256"):
        load(path)
    (tmp_path / "junk").write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="not a qinspired model"):
        load(tmp_path / "junk")


def test_signed_files_need_the_right_key(tmp_path):
    path = save(_model(), tmp_path / "m.qim", key=b"secret")
    load(path, key=b"secret")
    with pytest.raises(ModelFileError, match="signature"):
        load(path, key=b"other")
    with pytest.raises(ModelFileError, match="signed"):
        load(path)


def test_version_mismatch_warns(tmp_path, monkeypatch):
    from qinspired import persistence

    now = persistence._versions()
    monkeypatch.setattr(persistence, "_versions", lambda: {**now, "jax": "0.0.1"})
    path = save(_model(), tmp_path / "m.qim", key=b"secret")
    monkeypatch.undo()
    with pytest.warns(VersionMismatchWarning, match="jax 0.0.1"):
        load(path, key=b"secret")


def test_skops_format_loads_without_untrusted_types(tmp_path):
    pytest.importorskip("skops")
    model = _model()
    path = save(model, tmp_path / "m.skops", format="skops")
    np.testing.assert_array_equal(load(path).transform(X), model.transform(X))


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="format"):
        save(_model(), tmp_path / "m", format="json")
    with pytest.raises(ValueError, match="key"):
        save(_model(), tmp_path / "m", key="text")
    with pytest.raises(ValueError, match="Provenance"):
        reproduce({"seed": 1}, X)


def test_deterministic_gpu_helper():
    assert "--xla_gpu_deterministic_ops=true" in deterministic_gpu_flags()
    with pytest.raises(RuntimeError, match="before JAX"):
        enable_deterministic_gpu()
