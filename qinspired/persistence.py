"""Saving and loading fitted models: atomic, checked, and optionally code-free.

``save(model, path)`` writes one file: a JSON header (format version, the
library versions, the model's provenance, the SHA-256 of the payload, and an
HMAC of it when a ``key`` is given) followed by the payload. The file is
written to a temporary name in the same folder and renamed over ``path``, so a
crash never leaves a half-written model. ``load(path)`` recomputes the hash
(and the HMAC) before unpickling anything and refuses a file that does not
match; it warns with :class:`VersionMismatchWarning` when the file was made
with other versions of qinspired, JAX or scikit-learn.

Two payload formats:

* ``"pickle"`` (default): any model. Unpickling runs code named in the file,
  so load pickles only from sources you trust; a signing ``key`` (HMAC-SHA256)
  proves the file was written by someone holding the key.
* ``"skops"`` (extra ``skops``): loads without executing code; only the types
  in an explicit trusted list (scikit-learn's, NumPy's and qinspired's own
  classes by default) are instantiated. Use it for files from untrusted places.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import pickle
import tempfile
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Sequence

__all__ = ["ModelFileError", "VersionMismatchWarning", "load", "save"]

_MAGIC = b"QINSPIRED-MODEL\n"
_FORMAT_VERSION = 1
_CHECKED_PACKAGES = ("qinspired", "jax", "scikit-learn")


class ModelFileError(ValueError):
    """A model file is corrupted, tampered with, or not a qinspired model file."""


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


def _skops_dumps(model: Any) -> bytes:
    try:
        import skops.io as sio
    except ImportError as exc:
        raise ImportError("format='skops' needs the skops package: pip install "
                          "'qinspired[skops]'") from exc
    return sio.dumps(model)


def _skops_loads(payload: bytes, trusted: Sequence[str] | None) -> Any:
    import skops.io as sio

    unknown = sio.get_untrusted_types(data=payload)
    allowed = set(trusted) if trusted is not None else set()
    allowed |= {t for t in unknown if t.split(".")[0] in ("qinspired", "sklearn", "numpy")}
    refused = [t for t in unknown if t not in allowed]
    if refused:
        raise ModelFileError(f"the skops file uses types that are not trusted: {refused}; "
                             "pass trusted=[...] naming them if you trust the file")
    return sio.loads(payload, trusted=sorted(allowed))


def save(model: Any, path: str | os.PathLike, *, format: str = "pickle",
         key: bytes | None = None) -> Path:
    """Write a fitted model to ``path`` atomically, with its hash and provenance.

    Parameters
    ----------
    model : estimator
        Usually fitted; its ``provenance_`` (if any) is copied into the header.
    path : str or path
    format : {"pickle", "skops"}, default "pickle"
        ``"skops"`` makes a file that loads without executing code.
    key : bytes, optional
        Signs the payload with HMAC-SHA256; :func:`load` then needs the same key.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if format not in ("pickle", "skops"):
        raise ValueError(f"format={format!r} must be 'pickle' or 'skops'")
    if key is not None and not isinstance(key, (bytes, bytearray)):
        raise ValueError("key must be bytes (e.g. os.urandom(32)), got "
                         f"{type(key).__name__}")
    payload = (pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL) if format == "pickle"
               else _skops_dumps(model))
    prov = getattr(model, "provenance_", None)
    header = {
        "format_version": _FORMAT_VERSION,
        "payload_format": format,
        "estimator": f"{type(model).__module__}.{type(model).__qualname__}",
        "versions": _versions(),
        "provenance": prov.to_dict() if hasattr(prov, "to_dict") else None,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "hmac_sha256": None if key is None else hmac.new(bytes(key), payload,
                                                         hashlib.sha256).hexdigest(),
        "payload_bytes": len(payload),
    }
    head = json.dumps(header, sort_keys=True, default=str).encode()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_MAGIC)
            fh.write(len(head).to_bytes(8, "little"))
            fh.write(head)
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


def read_header(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON header of a model file (versions, provenance, hashes) without loading it."""
    return _read(Path(path))[0]


def _read(path: Path) -> tuple[dict[str, Any], bytes]:
    data = path.read_bytes()
    if not data.startswith(_MAGIC):
        raise ModelFileError(f"{path} is not a qinspired model file (wrong magic bytes)")
    stream = io.BytesIO(data[len(_MAGIC):])
    size = int.from_bytes(stream.read(8), "little")
    try:
        header = json.loads(stream.read(size).decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: the header is corrupted ({exc})") from None
    return header, stream.read()


def load(path: str | os.PathLike, *, key: bytes | None = None,
         trusted: Sequence[str] | None = None) -> Any:
    """Load a model written by :func:`save`, after checking its integrity.

    Parameters
    ----------
    path : str or path
    key : bytes, optional
        The signing key; required when the file was signed.
    trusted : sequence of str, optional
        For skops files: extra fully qualified type names to allow.

    Returns
    -------
    estimator

    Raises
    ------
    ModelFileError
        When the file is not a model file, its payload does not match its
        hash, its signature does not match ``key``, or a skops file names
        untrusted types.
    """
    p = Path(path)
    header, payload = _read(p)
    if len(payload) != header.get("payload_bytes") or not hmac.compare_digest(
            hashlib.sha256(payload).hexdigest(), str(header.get("sha256"))):
        raise ModelFileError(f"{p}: the payload does not match its SHA-256; the file is "
                             "corrupted or was modified")
    signature = header.get("hmac_sha256")
    if signature is not None or key is not None:
        if key is None:
            raise ModelFileError(f"{p} is signed; pass the key it was signed with")
        expected = hmac.new(bytes(key), payload, hashlib.sha256).hexdigest()
        if signature is None or not hmac.compare_digest(expected, signature):
            raise ModelFileError(f"{p}: the signature does not match the key; the file was "
                                 "modified or signed with another key")
    now = _versions()
    stored = header.get("versions", {})
    changed = {k: (stored.get(k), now[k]) for k in now if stored.get(k) != now[k]}
    if changed:
        detail = ", ".join(f"{k} {a} -> {b}" for k, (a, b) in changed.items())
        warnings.warn(f"{p} was saved with other versions ({detail}); predictions may differ",
                      VersionMismatchWarning, stacklevel=2)
    if header.get("payload_format") == "skops":
        return _skops_loads(payload, trusted)
    return pickle.loads(payload)
