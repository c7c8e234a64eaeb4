"""The results folder: cells keyed by what determines them, read defensively.

A cell's file is ``<out>/cells/<readable name>__<key>.json``: the readable name
(data set, model, seed) is for people, the key is the first 16 hex digits of the
SHA-256 of everything that determines the result (data, preprocessing, model and
its grid, the cross-validation protocol, the qinspired version). A run reuses a
file only when its key matches, so results of another suite, another data size or
another release are never mixed in. A file that cannot be read, is not JSON, is
not an object or lacks the fields of a finished cell is reported and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Mapping

__all__ = ["CELL_SCHEMA", "cell_key", "cells_folder", "read_cell", "write_cell"]

CELL_SCHEMA = 2
"""Version of the cell file layout; part of every key."""

_REQUIRED = {"key": str, "schema": int}


def cell_key(material: Mapping[str, Any]) -> str:
    """The key of a cell: a hash of its JSON-serialisable description.

    The description is serialised with sorted keys (``repr`` for anything JSON
    cannot hold), so equal descriptions give equal keys in any process.
    """
    text = json.dumps({**material, "schema": CELL_SCHEMA}, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cells_folder(out: str | Path) -> Path:
    """Create (if needed) and return ``<out>/cells``.

    Raises
    ------
    ValueError
        ``out`` or ``out/cells`` exists and is not a folder, or cannot be created;
        the message names the path.
    """
    out = Path(out)
    for folder in (out, out / "cells"):
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"results folder {str(folder)!r} is a file, not a folder; "
                             "choose another --out")
    try:
        (out / "cells").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create results folder {str(out / 'cells')!r}: "
                         f"{exc.strerror or exc}") from None
    return out / "cells"


def read_cell(path: Path, key: str, fields: Mapping[str, type]) -> tuple[dict | None, str]:
    """Load a finished cell, or say why it cannot be reused.

    Parameters
    ----------
    path : Path
        The cell's file.
    key : str
        The key the cell must carry.
    fields : mapping
        Field name -> type every finished cell of this kind has.

    Returns
    -------
    (record, reason)
        ``(record, "")`` when the file holds a finished cell with this key;
        ``(None, "")`` when there is no file; ``(None, reason)`` when there is
        one that cannot be used (unreadable, not JSON, wrong schema or key).
    """
    if not path.exists():
        return None, ""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot be read ({exc.__class__.__name__})"
    if not text.strip():
        return None, "is empty"
    try:
        record = json.loads(text)
    except json.JSONDecodeError:
        return None, "is not valid JSON (a run killed while writing?)"
    if not isinstance(record, dict):
        return None, f"holds a JSON {type(record).__name__}, not an object"
    for name, kind in {**_REQUIRED, **fields}.items():
        value = record.get(name)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            return None, f"lacks the field {name!r} of a finished cell"
    if record["schema"] != CELL_SCHEMA or record["key"] != key:
        return None, "was written for other settings"
    return record, ""


def write_cell(path: Path, record: Mapping[str, Any]) -> None:
    """Write a cell atomically (a temporary file renamed over the target)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(record, indent=1, sort_keys=True, default=repr))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
