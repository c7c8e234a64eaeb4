"""Model files as an attacker and a careless user meet them: nothing runs unless allowed.

Files are built here from the format the module documents (magic, header length,
header, payload, MAC, SHA-256), independently of the writer, so that every check
of the reader can be reached with an otherwise valid file.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import inspect
import io
import json
import os
import pathlib
import pickle
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest

import qinspired.estimators
from qinspired import (
    AngleEncoding,
    HamiltonianEvolutionEncoding,
    HardwareEfficientEncoding,
    IQPFeatureMap,
    MPSAnomalyDetector,
    MPSClassifier,
    MPSRegressor,
    PauliFeatureMap,
    QuantumFourierFeatures,
    QuantumKernelPCA,
    QuantumKernelRidge,
    QuantumKernelSVC,
    QuantumKernelSVR,
    QuantumNystroem,
    TTNClassifier,
    TTNRegressor,
    VariationalCircuitClassifier,
    VariationalCircuitRegressor,
    ZZFeatureMap,
)
from qinspired.circuits import channels as ch
from qinspired.feature_maps import FEATURE_MAPS, AmplitudeEncoding
from qinspired.circuits.noise_model import NoiseModel
from qinspired.kernels import FidelityKernel, ProjectedKernel
from qinspired import persistence
from qinspired.persistence import SKOPS_TRUSTED_TYPES, ModelFileError, load, read_header, save

sio = pytest.importorskip("skops.io")

MAGIC = b"QINSPIRED-MODEL-2\n"
KEY = b"k" * 32
X = np.random.default_rng(0).uniform(0, 1, (12, 2))
Y_CLASS = (X[:, 0] > X[:, 1]).astype(int)
Y_REG = np.sin(3 * X[:, 0]) + X[:, 1]


def _header(payload: bytes, fmt: str = "pickle", signed: bool = False, **changes):
    header = {"format_version": 2, "payload_format": fmt, "estimator": "builtins.dict",
              "versions": persistence._versions(), "provenance": None,
              "payload_bytes": len(payload), "signed": signed}
    header.update(changes)
    return header


def _craft(head: bytes, payload: bytes, *, key: bytes | None = None, size: int | None = None,
           mac: bytes | None = None) -> bytes:
    """A format-2 file with a correct digest (and signature when ``key`` is given)."""
    body = MAGIC + (len(head) if size is None else size).to_bytes(8, "little") + head + payload
    if mac is None:
        mac = bytes(32) if key is None else hmac.new(key, body, hashlib.sha256).digest()
    return body + mac + hashlib.sha256(body + mac).digest()


def _craft_json(header, payload: bytes, **kw) -> bytes:
    return _craft(json.dumps(header).encode(), payload, **kw)


def _resign_digest(data: bytes) -> bytes:
    """Recompute the trailing SHA-256, as anyone editing a file can."""
    return data[:-32] + hashlib.sha256(data[:-32]).digest()


# --------------------------------------------------------------------------- skops allowlist
def _all_channels_noise() -> NoiseModel:
    """Every 1-qubit channel and a readout error (Depolarizing2 comes with a calibration).

    They follow SWAP gates, which the feature maps here do not have: the model
    holds every channel type while its simulation stays cheap to compile.
    """
    kraus = np.stack([np.sqrt(0.99) * np.eye(2), np.sqrt(0.01) * np.array([[0.0, 1], [1, 0]])])
    noise = NoiseModel()
    for channel in (ch.Depolarizing(0.01), ch.BitFlip(0.01), ch.PhaseFlip(0.01),
                    ch.BitPhaseFlip(0.01), ch.PauliChannel(0.01, 0.01, 0.01),
                    ch.AmplitudeDamping(0.01), ch.GeneralizedAmplitudeDamping(0.01, 0.1),
                    ch.PhaseDamping(0.01), ch.ThermalRelaxation(1e-4, 9e-5, 3e-8),
                    ch.Reset(0.99, 0.01), ch.KrausChannel(kraus)):
        noise = noise.add_all_qubit(channel, after=["swap"])
    return noise.add_readout(ch.ReadoutError(0.01, 0.02))


def _models():
    calibrated = NoiseModel.from_calibration(
        {"qubits": [{"p1": 0.01, "p0given1": 0.02, "p1given0": 0.01}, {"p1": 0.02}], "p2": 0.03})
    tn = {"bond_dim": 2, "max_iter": 2, "random_state": 0}
    return [
        (QuantumKernelSVC(FidelityKernel(AngleEncoding(2), noise=calibrated)), Y_CLASS),
        (QuantumKernelSVR(FidelityKernel(ZZFeatureMap(2), noise=_all_channels_noise())), Y_REG),
        (QuantumKernelRidge(ProjectedKernel(IQPFeatureMap(2))), Y_REG),
        (QuantumKernelSVC(ProjectedKernel(HamiltonianEvolutionEncoding(2))), Y_CLASS),
        (QuantumKernelPCA(FidelityKernel(PauliFeatureMap(2)), n_components=2), None),
        (QuantumFourierFeatures(HardwareEfficientEncoding(2), n_components=4, random_state=0),
         None),
        (QuantumNystroem(ProjectedKernel(AngleEncoding(2)), 4, random_state=0), None),
        (VariationalCircuitClassifier(AngleEncoding(2), epochs=1, random_state=0), Y_CLASS),
        (VariationalCircuitRegressor(epochs=1, random_state=0), Y_REG),
        (MPSClassifier(**tn), Y_CLASS), (MPSRegressor(**tn), Y_REG),
        (TTNClassifier(**tn), Y_CLASS), (TTNRegressor(**tn), Y_REG),
        (MPSAnomalyDetector(**tn), None),
    ]


def _output(model):
    return model.predict(X) if hasattr(model, "predict") else model.transform(X)


@pytest.fixture(scope="module")
def skops_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("skops")
    out = []
    for i, (model, y) in enumerate(_models()):
        model.fit(X) if y is None else model.fit(X, y)
        path = save(model, folder / f"m{i}.skops", format="skops")
        out.append((model, path, set(sio.get_untrusted_types(data=sio.dumps(model)))))
    return out


def test_every_public_estimator_loads_from_skops_with_only_the_listed_types(skops_files):
    for model, path, untrusted in skops_files:
        assert untrusted <= set(SKOPS_TRUSTED_TYPES), (type(model).__name__,
                                                      untrusted - set(SKOPS_TRUSTED_TYPES))
        np.testing.assert_array_equal(_output(load(path)), _output(model))
    covered = {type(model).__name__ for model, _, _ in skops_files}
    assert covered == set(qinspired.estimators.__all__)


def test_the_list_is_exactly_what_the_estimators_need(skops_files):
    needed = set().union(*(untrusted for _, _, untrusted in skops_files))
    assert needed == set(SKOPS_TRUSTED_TYPES)
    assert {f"{c.__module__}.{c.__qualname__}" for c in ch.CHANNELS.values()} <= needed
    # every feature map a kernel takes (all registered ones but amplitude encoding)
    maps = {f"{c.__module__}.{c.__qualname__}" for c in FEATURE_MAPS.values()
            if c is not AmplitudeEncoding}
    assert maps <= needed


def test_the_list_names_classes_only_never_functions_or_module_prefixes():
    assert len(set(SKOPS_TRUSTED_TYPES)) == len(SKOPS_TRUSTED_TYPES)
    for name in SKOPS_TRUSTED_TYPES:
        module, _, attr = name.rpartition(".")
        assert module.startswith("qinspired.") and attr, name
        obj = getattr(importlib.import_module(module), attr)
        assert inspect.isclass(obj), name
        assert f"{obj.__module__}.{obj.__qualname__}" == name


def test_mlflow_trusts_only_listed_classes(skops_files):
    from qinspired.mlflow import skops_trusted_types

    model, _, untrusted = skops_files[0]
    assert set(skops_trusted_types(model)) == untrusted


def _reduce_payload(module: str, func: str, args: tuple) -> bytes:
    """A skops archive whose loading calls ``module.func(*args)``."""
    schema = json.loads(zipfile.ZipFile(io.BytesIO(sio.dumps(args))).read("schema.json"))
    meta = {k: schema.pop(k) for k in ("protocol", "_skops_version")}
    evil = {"__class__": func, "__module__": module,
            "__loader__": "ConstructorFromReduceNode", "content": schema, **meta}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("schema.json", json.dumps(evil))
    return buf.getvalue()


@pytest.mark.parametrize("module, func, args", [
    ("numpy", "savetxt", ("MARKER", [[1.0]])),
    ("qinspired.persistence", "save", (0, "MARKER")),
])
@pytest.mark.parametrize("key", [None, KEY], ids=["unsigned", "signed"])
def test_a_skops_payload_that_calls_a_function_is_refused_and_never_runs(
        tmp_path, monkeypatch, module, func, args, key):
    marker = tmp_path / "marker"
    payload = _reduce_payload(module, func, tuple(str(marker) if a == "MARKER" else a
                                                  for a in args))
    monkeypatch.setattr(sio, "dumps", lambda obj: payload)
    path = save(object(), tmp_path / "evil.skops", format="skops", key=key)
    monkeypatch.undo()
    with pytest.raises(ModelFileError, match=f"not trusted.*{module}.{func}"):
        load(path, key=key, allow_pickle=True)
    assert not marker.exists()
    # the payload is live: skops runs it once told to trust the function
    sio.loads(payload, trusted=[f"{module}.{func}"])
    assert marker.exists()


# --------------------------------------------------------------------------- pickle only if allowed
class _Touch:
    """Unpickling this touches a marker file (a stand-in for arbitrary code)."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


def test_unsigned_pickle_is_refused_unless_the_caller_allows_it(tmp_path):
    marker = tmp_path / "marker"
    path = save(_Touch(marker), tmp_path / "m.qim")
    for kwargs in ({}, {"allow_pickle": "signed"}, {"allow_pickle": False}):
        with pytest.raises(ModelFileError, match="pickle payload.*allow_pickle=True"):
            load(path, **kwargs)
    assert not marker.exists()
    load(path, allow_pickle=True)
    assert marker.exists()


def test_signed_pickle_loads_with_the_key_unless_the_caller_insists_on_skops(tmp_path):
    marker = tmp_path / "marker"
    path = save(_Touch(marker), tmp_path / "m.qim", key=KEY)
    with pytest.raises(ModelFileError, match="allow_pickle=False"):
        load(path, key=KEY, allow_pickle=False)
    with pytest.raises(ModelFileError, match="signed; pass the key"):
        load(path, allow_pickle=True)
    assert not marker.exists()
    load(path, key=KEY)
    assert marker.exists()


def test_a_key_for_an_unsigned_file_is_refused(tmp_path):
    marker = tmp_path / "marker"
    path = save(_Touch(marker), tmp_path / "m.qim")
    with pytest.raises(ModelFileError, match="not signed"):
        load(path, key=KEY)
    assert not marker.exists()


def test_bad_arguments_to_load(tmp_path):
    path = save({"a": 1}, tmp_path / "m.qim", key=KEY)
    with pytest.raises(ValueError, match="allow_pickle"):
        load(path, key=KEY, allow_pickle="yes")
    with pytest.raises(ValueError, match="trusted"):
        load(path, key=KEY, trusted="numpy.savetxt")
    for call in (lambda: load(path, key="secret"), lambda: read_header(path, key="secret"),
                 lambda: save({}, tmp_path / "n.qim", key="secret"),
                 lambda: load(path, key=b"")):
        with pytest.raises(ModelFileError, match="key must be bytes"):
            call()


# --------------------------------------------------------------------------- whole-file digest
def _header_span(data: bytes) -> tuple[int, int]:
    size = int.from_bytes(data[len(MAGIC):len(MAGIC) + 8], "little")
    return len(MAGIC) + 8, len(MAGIC) + 8 + size


def test_a_rewritten_header_is_refused(tmp_path):
    model = QuantumFourierFeatures(AngleEncoding(2), n_components=4, random_state=3).fit(X)
    for key in (None, KEY):
        path = save(model, tmp_path / "m.skops", format="skops", key=key)
        data = path.read_bytes()
        forged = data.replace(b'"seed": 3', b'"seed": 4', 1)
        assert forged != data and len(forged) == len(data)
        path.write_bytes(forged)
        with pytest.raises(ModelFileError, match="SHA-256"):
            load(path, key=key)
        with pytest.raises(ModelFileError, match="SHA-256"):
            read_header(path, key=key)
    # signed: an editor who also recomputes the digest is caught by the signature
    path.write_bytes(_resign_digest(forged))
    with pytest.raises(ModelFileError, match="signature does not match"):
        load(path, key=KEY)


def test_one_flipped_byte_in_any_region_is_refused(tmp_path):
    model = QuantumFourierFeatures(AngleEncoding(2), n_components=4, random_state=3).fit(X)
    for key in (None, KEY):
        data = save(model, tmp_path / "m.qim", key=key).read_bytes()
        start, end = _header_span(data)
        regions = {"magic": 3, "length": len(MAGIC) + 1, "header": (start + end) // 2,
                   "payload": end + 5, "mac": len(data) - 40, "digest": len(data) - 1}
        for where, i in regions.items():
            bad = bytearray(data)
            bad[i] ^= 0x01
            (tmp_path / "bad").write_bytes(bytes(bad))
            with pytest.raises(ModelFileError):
                load(tmp_path / "bad", key=key, allow_pickle=True)


def test_format_1_files_are_refused_with_a_way_forward(tmp_path):
    payload = pickle.dumps({"a": 1})
    head = json.dumps({"format_version": 1, "payload_format": "pickle", "versions": {},
                       "sha256": hashlib.sha256(payload).hexdigest(), "hmac_sha256": None,
                       "payload_bytes": len(payload)}).encode()
    path = tmp_path / "old.qim"
    path.write_bytes(b"QINSPIRED-MODEL\n" + len(head).to_bytes(8, "little") + head + payload)
    with pytest.raises(ModelFileError, match="format 1.*save it again"):
        load(path, allow_pickle=True)


# --------------------------------------------------------------------------- malformed files
PAYLOAD = pickle.dumps({"a": 1})
GOOD = _header(PAYLOAD)


def _without(name):
    return {k: v for k, v in GOOD.items() if k != name}


MALFORMED = {
    "json list": b"[]", "json string": b'"header"', "json number": b"3", "json null": b"null",
    "broken json": b'{"format_version": 2', "not utf-8": b"\xff\xfe\x00{}",
    "deep nesting": b"[" * 200_000 + b"]" * 200_000, "huge integer": b"9" * 5000,
    **{f"no {name}": json.dumps(_without(name)).encode() for name in GOOD},
    **{f"{name} of the wrong type": json.dumps({**GOOD, name: wrong}).encode()
       for name, wrong in [("format_version", "2"), ("payload_format", 1),
                           ("estimator", None), ("versions", []), ("provenance", "seed 3"),
                           ("payload_bytes", "12"), ("payload_bytes", True),
                           ("signed", "no"), ("signed", 0)]},
    "format 3": json.dumps({**GOOD, "format_version": 3}).encode(),
    "payload format exe": json.dumps({**GOOD, "payload_format": "exe"}).encode(),
    "versions not strings": json.dumps({**GOOD, "versions": {"jax": 1}}).encode(),
    "payload length off": json.dumps({**GOOD, "payload_bytes": len(PAYLOAD) + 1}).encode(),
}


@pytest.mark.parametrize("head", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_headers_give_model_file_errors(tmp_path, head):
    path = tmp_path / "m.qim"
    path.write_bytes(_craft(head, PAYLOAD))
    with pytest.raises(ModelFileError):
        load(path, allow_pickle=True)
    with pytest.raises(ModelFileError):
        read_header(path)


def test_the_crafted_reference_file_itself_loads(tmp_path):
    path = tmp_path / "m.qim"
    path.write_bytes(_craft_json(GOOD, PAYLOAD))
    assert load(path, allow_pickle=True) == {"a": 1}
    path.write_bytes(_craft_json(_header(PAYLOAD, signed=True), PAYLOAD, key=KEY))
    assert load(path, key=KEY) == {"a": 1}


@pytest.mark.parametrize("case", ["length beyond file", "signed without mac",
                                  "unsigned with mac", "skops not a zip", "skops bad schema",
                                  "pickle garbage"])
def test_consistent_digest_but_bad_content_gives_model_file_errors(tmp_path, case):
    path = tmp_path / "m.qim"
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("schema.json", '{"__class__": 3}')
    data = {
        "length beyond file": lambda: _craft(json.dumps(GOOD).encode(), PAYLOAD, size=10**6),
        "signed without mac": lambda: _craft_json(_header(PAYLOAD, signed=True), PAYLOAD),
        "unsigned with mac": lambda: _craft_json(GOOD, PAYLOAD, mac=b"\x01" * 32),
        "skops not a zip": lambda: _craft_json(_header(b"PK junk", "skops"), b"PK junk"),
        "skops bad schema": lambda: _craft_json(_header(zipped.getvalue(), "skops"),
                                                zipped.getvalue()),
        "pickle garbage": lambda: _craft_json(_header(b"\x80\x05junk"), b"\x80\x05junk"),
    }[case]()
    path.write_bytes(data)
    with pytest.raises(ModelFileError):
        load(path, key=KEY if case == "signed without mac" else None, allow_pickle=True)


def test_truncation_at_every_offset_gives_model_file_errors(tmp_path):
    data = save({"a": 1}, tmp_path / "m.qim", key=KEY).read_bytes()
    path = tmp_path / "cut.qim"
    for n in range(len(data)):
        path.write_bytes(data[:n])
        with pytest.raises(ModelFileError):
            load(path, key=KEY, allow_pickle=True)


def test_fuzzed_files_are_always_refused_with_model_file_errors(tmp_path):
    """Seeded random flips, truncations and insertions; loaded as permissively as possible."""
    rng = np.random.default_rng(20261204)
    model = QuantumFourierFeatures(AngleEncoding(2), n_components=4, random_state=0).fit(X)
    path = tmp_path / "fuzz.qim"
    for fmt in ("pickle", "skops"):
        for key in (None, KEY):
            data = save(model, tmp_path / "m.qim", format=fmt, key=key).read_bytes()
            load(tmp_path / "m.qim", key=key, allow_pickle=True)
            mutants = []
            for _ in range(150):
                bad = bytearray(data)
                for i in rng.integers(0, len(data), rng.integers(1, 4)):
                    bad[i] ^= int(rng.integers(1, 256))
                mutants.append(bytes(bad))
            mutants += [data[:n] for n in rng.integers(0, len(data), 60)]
            for n in rng.integers(0, len(data) + 1, 20):
                mutants.append(data[:n] + bytes(rng.integers(0, 256, 3).astype(np.uint8))
                               + data[n:])
            for bad in mutants:
                path.write_bytes(bad)
                with pytest.raises(ModelFileError):
                    load(path, key=key, allow_pickle=True)
                with pytest.raises(ModelFileError):
                    read_header(path, key=key)


# --------------------------------------------------------------------------- killed saves
def test_a_killed_save_leaves_a_temporary_that_a_later_save_removes_once_stale(tmp_path):
    target = tmp_path / "m.qim"
    # the module alone (standard library only), without importing JAX in the child
    script = textwrap.dedent(f"""
        import importlib.util, os
        spec = importlib.util.spec_from_file_location("persistence", {persistence.__file__!r})
        persistence = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(persistence)
        persistence.os.replace = lambda *a: os._exit(9)
        persistence.save({{"a": 1}}, {str(target)!r})
    """)
    assert subprocess.run([sys.executable, "-c", script]).returncode == 9
    (left,) = tmp_path.glob(".m.qim.*.tmp")
    other = tmp_path / ".m.qim.other.0123456789abcdef.tmp"
    other.write_bytes(b"another target's temporary")
    old = time.time() - 2 * 3600
    os.utime(other, (old, old))
    save({"b": 2}, target)
    assert left.exists(), "a recent temporary may belong to a save still running"
    os.utime(left, (old, old))
    save({"c": 3}, target)
    assert not left.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([other.name, target.name])
    assert load(target, allow_pickle=True) == {"c": 3}
