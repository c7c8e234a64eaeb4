"""Saving and loading fitted models: atomic, authenticated, and code-free unless allowed.

``save(model, path)`` writes one file (format 2)::

    b"QINSPIRED-MODEL-2\\n"  header length (8 bytes, little-endian)  header (JSON)
    payload  MAC (32 bytes)  digest (32 bytes)

The header holds the format version, the payload format, the estimator class,
the library versions, the model's provenance, the payload length and whether
the file is signed. The MAC is the HMAC-SHA256, under the caller's ``key``, of
everything before it (32 zero bytes when no key is given); the digest is the
SHA-256 of everything before it, MAC included. So the digest covers every byte
of the file and the signature covers header and payload: any changed,
missing or added byte is refused. The file is written to a temporary name in
the same folder and renamed over ``path``, so a crash never leaves a
half-written model; temporaries left behind by a killed save of the same path
are removed by the next save once they are an hour old.

``load(path)`` checks the digest (and, with ``key``, the signature) before
reading anything else, then decides what the payload may do:

* ``"skops"`` payloads (extra ``skops``) are loaded without executing code:
  only the classes in :data:`SKOPS_TRUSTED_TYPES` (qinspired's own, listed one
  by one), skops' defaults (scikit-learn estimators, NumPy arrays and dtypes)
  and the caller's ``trusted`` names are instantiated; a file naming anything
  else, a function above all, is refused.
* ``"pickle"`` payloads run code named in the file while loading. They are
  unpickled only when the caller allows it: by default only for a file signed
  with, and verified by, the caller's ``key``; ``allow_pickle=True`` for any
  file (a file from a place the caller trusts); ``allow_pickle=False`` never.

Files of format 1 (written by earlier development versions) authenticated
only the payload, not the header, so they cannot be checked as a whole; they
are refused with a message saying to load them with the version that wrote
them and save them again.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import pickle
import re
import secrets
import stat
import time
import warnings
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal, Sequence

__all__ = ["ModelFileError", "SKOPS_TRUSTED_TYPES", "VersionMismatchWarning", "load",
           "read_header", "save"]

_MAGIC = b"QINSPIRED-MODEL-2\n"
_MAGIC_V1 = b"QINSPIRED-MODEL\n"
_FORMAT_VERSION = 2
_SIZE_BYTES = 8
_MAC_BYTES = _DIGEST_BYTES = 32
_NO_MAC = bytes(_MAC_BYTES)
_CHECKED_PACKAGES = ("qinspired", "jax", "scikit-learn")
_STALE_TMP_SECONDS = 3600.0
# A skops archive written by save() stores its members uncompressed; one that
# expands to more than this many times its size (plus the slack) is refused.
_MAX_EXPANSION = 4
_EXPANSION_SLACK = 1 << 20

#: The classes of qinspired that a skops file of a qinspired estimator names, one
#: by one: the estimators, what they hold (feature maps, kernels, circuits, noise
#: models and their channels) and their provenance. No functions, no module
#: prefixes; scikit-learn estimators and NumPy arrays are trusted by skops itself.
SKOPS_TRUSTED_TYPES: tuple[str, ...] = (
    "qinspired.circuits.channels.AmplitudeDamping",
    "qinspired.circuits.channels.BitFlip",
    "qinspired.circuits.channels.BitPhaseFlip",
    "qinspired.circuits.channels.Depolarizing",
    "qinspired.circuits.channels.Depolarizing2",
    "qinspired.circuits.channels.GeneralizedAmplitudeDamping",
    "qinspired.circuits.channels.KrausChannel",
    "qinspired.circuits.channels.PauliChannel",
    "qinspired.circuits.channels.PhaseDamping",
    "qinspired.circuits.channels.PhaseFlip",
    "qinspired.circuits.channels.ReadoutError",
    "qinspired.circuits.channels.Reset",
    "qinspired.circuits.channels.ThermalRelaxation",
    "qinspired.circuits.circuit.Angle",
    "qinspired.circuits.circuit.Circuit",
    "qinspired.circuits.circuit.Factor",
    "qinspired.circuits.circuit.Operation",
    "qinspired.circuits.noise_model.NoiseModel",
    "qinspired.circuits.noise_model._Layout",
    "qinspired.circuits.noise_model._ReadoutRule",
    "qinspired.circuits.noise_model._Rule",
    "qinspired.estimators.anomaly.MPSAnomalyDetector",
    "qinspired.estimators.fourier.QuantumFourierFeatures",
    "qinspired.estimators.kernel_models.QuantumKernelPCA",
    "qinspired.estimators.kernel_models.QuantumKernelRidge",
    "qinspired.estimators.kernel_models.QuantumKernelSVC",
    "qinspired.estimators.kernel_models.QuantumKernelSVR",
    "qinspired.estimators.nystroem.QuantumNystroem",
    "qinspired.estimators.tensor_networks.MPSClassifier",
    "qinspired.estimators.tensor_networks.MPSRegressor",
    "qinspired.estimators.tensor_networks.TTNClassifier",
    "qinspired.estimators.tensor_networks.TTNRegressor",
    "qinspired.estimators.variational.VariationalCircuitClassifier",
    "qinspired.estimators.variational.VariationalCircuitRegressor",
    "qinspired.feature_maps.AngleEncoding",
    "qinspired.feature_maps.HamiltonianEvolutionEncoding",
    "qinspired.feature_maps.HardwareEfficientEncoding",
    "qinspired.feature_maps.IQPFeatureMap",
    "qinspired.feature_maps.PauliFeatureMap",
    "qinspired.feature_maps.ZZFeatureMap",
    "qinspired.kernels._base.KernelStates",
    "qinspired.kernels.fidelity.FidelityKernel",
    "qinspired.kernels.projected.ProjectedKernel",
    "qinspired.provenance.Provenance",
)

# header field -> the JSON types it may have
_HEADER_FIELDS: dict[str, tuple[type, ...]] = {
    "format_version": (int,),
    "payload_format": (str,),
    "estimator": (str,),
    "versions": (dict,),
    "provenance": (dict, type(None)),
    "payload_bytes": (int,),
    "signed": (bool,),
}


class ModelFileError(ValueError):
    """A model file is corrupted, tampered with, unsafe to load, or not a qinspired model file."""


class VersionMismatchWarning(UserWarning):
    """A model file was written with other versions of the libraries it depends on."""


def _versions() -> dict[str, str | None]:
    out = {}
    for name in _CHECKED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _check_key(key: Any) -> bytes | None:
    if key is None:
        return None
    if not isinstance(key, (bytes, bytearray)) or not key:
        raise ModelFileError("key must be bytes, non-empty (e.g. os.urandom(32)), got "
                         f"{type(key).__name__}")
    return bytes(key)


def _skops() -> Any:
    try:
        import skops.io as sio
    except ImportError as exc:
        raise ImportError("format='skops' needs the skops package: pip install "
                          "'qinspired[skops]'") from exc
    return sio


def _check_host_memory(n_bytes: int, what: str) -> None:
    """:class:`ModelFileError` when ``n_bytes`` exceed the host's available memory."""
    import jax

    from qinspired._validation import SimulationTooLargeError, check_memory

    try:
        check_memory(n_bytes, what, jax.devices("cpu")[0],
                     advice="load it on a machine with more memory")
    except SimulationTooLargeError as exc:
        raise ModelFileError(str(exc)) from None


def _check_archive(payload: bytes, path: Path) -> None:
    """Refuse a skops archive that would expand far beyond its size or beyond the memory.

    The sizes are those the archive declares; Python's ``zipfile`` never
    inflates a member beyond its declared size. Reading an archive holds each
    member and the array made from it, hence twice the total in the check.
    """
    from qinspired._validation import format_bytes

    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ModelFileError(f"{path}: the skops payload is not a readable archive "
                             f"({type(exc).__name__}: {exc})") from None
    if total > _MAX_EXPANSION * len(payload) + _EXPANSION_SLACK:
        raise ModelFileError(
            f"{path}: the skops payload of {format_bytes(len(payload))} expands to "
            f"{format_bytes(total)}; save() writes uncompressed archives, so this file was "
            "made otherwise (a decompression bomb?); nothing was loaded")
    _check_host_memory(2 * total, f"loading the skops payload of {path}")


def _skops_loads(payload: bytes, trusted: Sequence[str], path: Path) -> Any:
    sio = _skops()
    _check_archive(payload, path)
    try:
        named = set(sio.get_untrusted_types(data=payload))
    except Exception as exc:  # noqa: BLE001 - any failure to parse the archive is the file's
        raise ModelFileError(f"{path}: the skops payload cannot be read "
                             f"({type(exc).__name__}: {exc})") from None
    refused = sorted(named - set(SKOPS_TRUSTED_TYPES) - set(trusted))
    if refused:
        raise ModelFileError(f"{path}: the skops payload names types that are not trusted: "
                             f"{refused}; nothing was loaded. Pass trusted=[...] naming them "
                             "only if you trust the file's source")
    try:
        return sio.loads(payload, trusted=sorted(named))
    except Exception as exc:  # noqa: BLE001 - a malformed archive fails in many ways
        raise ModelFileError(f"{path}: the skops payload cannot be loaded "
                             f"({type(exc).__name__}: {exc})") from None


def _remove_stale_temporaries(target: Path) -> None:
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{16}}\.tmp")
    limit = time.time() - _STALE_TMP_SECONDS
    for entry in target.parent.iterdir():
        if pattern.fullmatch(entry.name):
            try:
                if entry.is_file() and entry.stat().st_mtime < limit:
                    entry.unlink()
            except OSError:
                continue


def save(model: Any, path: str | os.PathLike, *, format: Literal["pickle", "skops"] = "pickle",
         key: bytes | None = None) -> Path:
    """Write a fitted model to ``path`` atomically, with its digest and provenance.

    Parameters
    ----------
    model : estimator
        Usually fitted; its ``provenance_`` (if any) is copied into the header.
    path : str or path
    format : {"pickle", "skops"}, default "pickle"
        ``"skops"`` makes a file that loads without executing code.
    key : bytes, optional
        Signs the whole file (header and payload) with HMAC-SHA256;
        :func:`load` then needs the same key.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if format not in ("pickle", "skops"):
        raise ValueError(f"format={format!r} must be 'pickle' or 'skops'")
    key = _check_key(key)
    payload = (pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL) if format == "pickle"
               else _skops().dumps(model))
    prov = getattr(model, "provenance_", None)
    header = {
        "format_version": _FORMAT_VERSION,
        "payload_format": format,
        "estimator": f"{type(model).__module__}.{type(model).__qualname__}",
        "versions": _versions(),
        "provenance": prov.to_dict() if hasattr(prov, "to_dict") else None,
        "payload_bytes": len(payload),
        "signed": key is not None,
    }
    head = json.dumps(header, sort_keys=True, default=str).encode()
    body = _MAGIC + len(head).to_bytes(_SIZE_BYTES, "little") + head + payload
    mac = _NO_MAC if key is None else hmac.new(key, body, hashlib.sha256).digest()
    digest = hashlib.sha256(body + mac).digest()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(target)
    tmp = target.parent / f".{target.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            fh.write(mac)
            fh.write(digest)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    return target


def _parse_header(raw: bytes, path: Path) -> dict[str, Any]:
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ModelFileError(f"{path}: the header is not valid JSON ({type(exc).__name__})"
                             ) from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{path}: the header is a JSON {type(header).__name__}, "
                             "not an object")
    for name, types in _HEADER_FIELDS.items():
        if name not in header:
            raise ModelFileError(f"{path}: the header has no {name!r} field")
        value = header[name]
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise ModelFileError(f"{path}: the header field {name!r} is a "
                                 f"{type(value).__name__}; expected "
                                 f"{' or '.join(t.__name__ for t in types)}")
    if header["format_version"] != _FORMAT_VERSION:
        raise ModelFileError(f"{path}: unknown model-file format "
                             f"{header['format_version']} (this qinspired reads format "
                             f"{_FORMAT_VERSION})")
    if header["payload_format"] not in ("pickle", "skops"):
        raise ModelFileError(f"{path}: unknown payload format {header['payload_format']!r}")
    if not all(isinstance(k, str) and isinstance(v, (str, type(None)))
               for k, v in header["versions"].items()):
        raise ModelFileError(f"{path}: the header field 'versions' must map names to "
                             "version strings")
    shown = [header["estimator"], *header["versions"],
             *(v for v in header["versions"].values() if v is not None)]
    if not all(text.isprintable() for text in shown):
        raise ModelFileError(f"{path}: the header's estimator or versions contain control "
                             "characters (line breaks, terminal escapes)")
    return header


def _read(path: Path, key: bytes | None) -> tuple[dict[str, Any], bytes, bool]:
    """Header, payload, and whether the file was verified with ``key``.

    The magic bytes are checked before the rest is read, and only a regular file
    that fits in memory is read at all (not a device, a pipe or a folder).
    """
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise ModelFileError(f"{path} is not a regular file")
    with path.open("rb") as fh:
        data = fh.read(len(_MAGIC))
        if data == _MAGIC:
            _check_host_memory(info.st_size, f"reading {path}")
            data += fh.read()
    if data.startswith(_MAGIC_V1):
        raise ModelFileError(f"{path} is a model file of format 1, whose header is not "
                             "authenticated; this qinspired no longer reads it. Load it with "
                             "the qinspired version that wrote it and save it again")
    if not data.startswith(_MAGIC):
        raise ModelFileError(f"{path} is not a qinspired model file (wrong magic bytes)")
    start = len(_MAGIC) + _SIZE_BYTES
    if len(data) < start + _MAC_BYTES + _DIGEST_BYTES:
        raise ModelFileError(f"{path} is truncated ({len(data)} bytes)")
    body, mac = data[:-_MAC_BYTES - _DIGEST_BYTES], data[-_MAC_BYTES - _DIGEST_BYTES:-_DIGEST_BYTES]
    if not hmac.compare_digest(hashlib.sha256(data[:-_DIGEST_BYTES]).digest(),
                               data[-_DIGEST_BYTES:]):
        raise ModelFileError(f"{path}: the file does not match its SHA-256 digest; it is "
                             "corrupted, truncated or was modified")
    size = int.from_bytes(data[len(_MAGIC):start], "little")
    if size > len(body) - start:
        raise ModelFileError(f"{path}: the header length {size} exceeds the file")
    header = _parse_header(body[start:start + size], path)
    payload = body[start + size:]
    if header["payload_bytes"] != len(payload):
        raise ModelFileError(f"{path}: the payload has {len(payload)} bytes, the header says "
                             f"{header['payload_bytes']}")
    if key is not None:
        if not header["signed"]:
            raise ModelFileError(f"{path} is not signed, so it cannot be verified with the key")
        if not hmac.compare_digest(hmac.new(key, body, hashlib.sha256).digest(), mac):
            raise ModelFileError(f"{path}: the signature does not match the key; the file was "
                                 "modified or signed with another key")
    elif header["signed"]:
        raise ModelFileError(f"{path} is signed; pass the key it was signed with")
    elif mac != _NO_MAC:
        raise ModelFileError(f"{path}: an unsigned file carries a signature")
    return header, payload, key is not None


def read_header(path: str | os.PathLike, *, key: bytes | None = None) -> dict[str, Any]:
    """The JSON header of a model file (versions, provenance, format) without loading it.

    The file's digest is checked; with ``key``, so is its signature (which makes
    the header authentic, not merely intact).
    """
    return _read(Path(path), _check_key(key))[0]


def load(path: str | os.PathLike, *, key: bytes | None = None,
         trusted: Sequence[str] | None = None,
         allow_pickle: bool | Literal["signed"] = "signed") -> Any:
    """Load a model written by :func:`save`, after checking the whole file.

    Parameters
    ----------
    path : str or path
    key : bytes, optional
        The signing key; required when the file was signed, and then the
        signature over header and payload must match it.
    trusted : sequence of str, optional
        For skops files: more fully qualified class names to instantiate,
        beyond :data:`SKOPS_TRUSTED_TYPES` and skops' defaults. Name only
        types you trust: a function named here may be called while loading.
    allow_pickle : {"signed", True, False}, default "signed"
        Whether a pickle payload, which runs code named in the file, may be
        unpickled: ``"signed"`` only when the file is signed and verified with
        ``key``; ``True`` for any file whose digest matches (use it only for
        files from places you trust); ``False`` never (insist on skops).

    Returns
    -------
    estimator

    Raises
    ------
    ModelFileError
        When the file is not a model file (or of the old format 1), is
        truncated or malformed, does not match its digest, its signature does
        not match ``key``, it holds a pickle that ``allow_pickle`` refuses, or
        it is a skops file that names untrusted types.
    """
    p = Path(path)
    key = _check_key(key)
    if allow_pickle not in (True, False, "signed"):
        raise ValueError(f"allow_pickle={allow_pickle!r} must be True, False or 'signed'")
    if isinstance(trusted, str) or not all(isinstance(t, str) for t in trusted or ()):
        raise ValueError("trusted must be a sequence of fully qualified type names (str)")
    header, payload, verified = _read(p, key)
    if header["payload_format"] == "pickle" and not (
            allow_pickle is True or (allow_pickle == "signed" and verified)):
        why = ("allow_pickle=False" if allow_pickle is False
               else "it is not signed with your key")
        raise ModelFileError(
            f"{p} holds a pickle payload, which runs code while loading, and {why}; nothing "
            "was loaded. If you trust where the file came from, pass allow_pickle=True (or "
            "sign files with key=... and load them with the same key); otherwise ask for "
            "the model saved with format='skops'")
    now = _versions()
    stored = header["versions"]
    changed = {k: (stored.get(k), now[k]) for k in now if stored.get(k) != now[k]}
    if changed:
        detail = ", ".join(f"{k} {a} -> {b}" for k, (a, b) in changed.items())
        warnings.warn(f"{p} was saved with other versions ({detail}); predictions may differ",
                      VersionMismatchWarning, stacklevel=2)
    if header["payload_format"] == "skops":
        model = _skops_loads(payload, trusted or (), p)
        held = f"{type(model).__module__}.{type(model).__qualname__}"
        if held != header["estimator"]:
            raise ModelFileError(f"{p}: the header says the file holds a "
                                 f"{header['estimator']}, but its payload is a {held}; header "
                                 "and payload do not belong together")
    else:
        try:
            model = pickle.loads(payload)
        except Exception as exc:  # noqa: BLE001 - whatever the pickle raises, the file is at fault
            raise ModelFileError(f"{p}: the pickle payload cannot be loaded "
                                 f"({type(exc).__name__}: {exc})") from exc
    _check_loaded(model, p)
    return model


#: Most objects :func:`_check_loaded` visits in one model (a model holds a few hundred).
_MAX_VISITS = 100_000


def _reachable(model: Any) -> Any:
    """Every object of qinspired or scikit-learn reachable from ``model``, once each.

    Follows containers (lists, tuples, sets, dicts) and the attributes of
    qinspired's and scikit-learn's objects; arrays and other leaves end a path.
    """
    seen: set[int] = set()
    stack = [model]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if len(seen) > _MAX_VISITS:
            raise ValueError(f"it holds more than {_MAX_VISITS} objects")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif type(item).__module__.split(".")[0] in ("qinspired", "sklearn"):
            yield item
            stack.extend(getattr(item, "__dict__", {}).values())


def _check_libsvm(svm: Any) -> None:
    """The fitted state of a scikit-learn SVM is what its compiled predictor may index with.

    libsvm reads support-vector indices, counts and coefficients without
    bounds checks, so a crafted file could make ``predict`` read outside its
    arrays (or crash the interpreter); every such array is checked here.
    """
    import numpy as np
    import scipy.sparse as sp

    if not hasattr(svm, "support_"):
        return
    name = type(svm).__name__
    shape = getattr(svm, "shape_fit_", None)
    if not (isinstance(shape, tuple) and len(shape) == 2
            and all(isinstance(v, (int, np.integer)) and v >= 0 for v in shape)):
        raise ValueError(f"{name}.shape_fit_ must be two sizes, got {shape!r}")
    support, counts = np.asarray(svm.support_), np.asarray(svm._n_support)
    n_sv = support.shape[0] if support.ndim == 1 else -1
    if support.dtype.kind not in "iu" or n_sv < 0 or np.any(support < 0) or np.any(
            support >= shape[0]):
        raise ValueError(f"{name}.support_ must be indices of the {shape[0]} training points")
    if counts.dtype.kind not in "iu" or counts.ndim != 1 or np.any(counts < 0):
        raise ValueError(f"{name}._n_support must be counts of support vectors")
    dual, intercept = np.asarray(svm._dual_coef_), np.asarray(svm._intercept_)
    prob_a, prob_b = np.asarray(svm._probA), np.asarray(svm._probB)
    if svm._impl in ("c_svc", "nu_svc"):
        n_class = counts.shape[0]
        pairs = n_class * (n_class - 1) // 2
        ok = (n_class >= 2 and int(counts.sum()) == n_sv and dual.shape == (n_class - 1, n_sv)
              and intercept.shape == (pairs,) and prob_a.shape in ((0,), (pairs,))
              and prob_b.shape == prob_a.shape
              and len(getattr(svm, "classes_", ())) == n_class)
    else:
        ok = (counts.shape == (2,) and all(int(c) in (0, n_sv) for c in counts)
              and dual.shape == (1, n_sv) and intercept.shape == (1,))
    if not ok:
        raise ValueError(f"{name}: the support-vector counts, coefficients and intercepts do "
                         "not match each other")
    vectors = svm.support_vectors_
    if sp.issparse(vectors):
        vectors.check_format(full_check=True)
    if bool(getattr(svm, "_sparse", False)) != sp.issparse(vectors):
        raise ValueError(f"{name}: the support vectors do not match its sparse flag")
    want = (0, 0) if svm.kernel == "precomputed" else (n_sv, shape[1])
    if vectors.shape != want:
        raise ValueError(f"{name}.support_vectors_ has shape {vectors.shape}, expected {want}")
    values = [dual, intercept, prob_a, prob_b,
              vectors.data if sp.issparse(vectors) else np.asarray(vectors)]
    if not all(v.dtype.kind == "f" and np.all(np.isfinite(v)) for v in values):
        raise ValueError(f"{name}: the coefficients must be finite floats")


def _dry_run(estimator: Any) -> None:
    """Predict (or transform, or score) one row with a fitted qinspired estimator.

    Whatever the fitted state holds, this is where a mismatch of shapes or a
    non-finite parameter shows: at load time, with the file named, rather than
    at the caller's first prediction.
    """
    import numpy as np

    row = np.ones((1, int(estimator.n_features_in_)))
    for method in ("predict_proba", "decision_function", "score_samples", "transform",
                   "predict"):
        fn = getattr(estimator, method, None)
        if fn is None:
            continue
        try:
            out = fn(row)
        except AttributeError:              # e.g. predict_proba of an SVC without probability
            continue
        out = np.asarray(out)
        if out.dtype.kind in "fc" and not np.all(np.isfinite(out)):
            raise ValueError(f"{type(estimator).__name__}.{method} of a row of ones is not "
                             "finite: the fitted parameters hold NaN or inf")
        classes = getattr(estimator, "classes_", None)
        if method == "predict_proba" and classes is not None and out.shape != (1, len(classes)):
            raise ValueError(f"{type(estimator).__name__} gives {out.shape[-1]} class scores "
                             f"for {len(classes)} classes_")
        return


def _check_fitted_arrays(estimator: Any) -> None:
    """Every floating array of a fitted attribute is finite; scaling ranges are positive."""
    import numpy as np

    for name, value in vars(estimator).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        for leaf in value if isinstance(value, (tuple, list)) else (value,):
            if not isinstance(leaf, np.ndarray) or leaf.dtype.kind not in "fc":
                continue
            if not np.all(np.isfinite(leaf)):
                raise ValueError(f"{type(estimator).__name__}.{name} holds NaN or inf")
            if name == "data_range_" and np.any(leaf <= 0):
                raise ValueError(f"{type(estimator).__name__}.data_range_ must be positive "
                                 "(it divides the inputs)")


def _check_loaded(model: Any, path: Path) -> None:
    """:class:`ModelFileError` unless the loaded objects are consistent.

    A file may hold any values, not only those ``fit`` or ``__init__`` would
    produce, so after loading: qinspired's dataclasses (circuits, angles,
    channels, ...) are rebuilt, which runs their validation again; scikit-learn's
    SVMs are checked by :func:`_check_libsvm`; qinspired's objects that define
    ``_check_loaded_state()`` check themselves (feature maps drop their caches);
    then every fitted qinspired estimator's arrays must be finite
    (:func:`_check_fitted_arrays`) and it predicts one row (:func:`_dry_run`).
    """
    import dataclasses

    from sklearn.svm._base import BaseLibSVM

    try:
        items = list(_reachable(model))
        for item in items:
            if dataclasses.is_dataclass(item) and not isinstance(item, type):
                dataclasses.replace(item)
            if isinstance(item, BaseLibSVM):
                _check_libsvm(item)
            check = getattr(item, "_check_loaded_state", None)
            if callable(check):
                check()
        for item in items:
            if (type(item).__module__.startswith("qinspired.estimators")
                    and hasattr(item, "n_features_in_")):
                _check_fitted_arrays(item)
                _dry_run(item)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
        raise ModelFileError(f"{path}: the model in the file is inconsistent "
                             f"({type(exc).__name__}: {exc}); it was not returned") from None
