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
import json
import os
import pickle
import re
import secrets
import time
import warnings
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


def _skops_loads(payload: bytes, trusted: Sequence[str], path: Path) -> Any:
    sio = _skops()
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
    return header


def _read(path: Path, key: bytes | None) -> tuple[dict[str, Any], bytes, bool]:
    """Header, payload, and whether the file was verified with ``key``."""
    data = path.read_bytes()
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
        return _skops_loads(payload, trusted or (), p)
    try:
        return pickle.loads(payload)
    except Exception as exc:  # noqa: BLE001 - whatever the pickle raises, the file is at fault
        raise ModelFileError(f"{p}: the pickle payload cannot be loaded "
                             f"({type(exc).__name__}: {exc})") from exc
