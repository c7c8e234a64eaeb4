"""Report the software and hardware qinspired is running on.

:func:`info` collects versions, the JAX backend and devices, and the optional packages that
are installed; :func:`format_info` turns that into a block of aligned text. Both only read
state: nothing here changes JAX's configuration.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from typing import Any, cast
from importlib.metadata import PackageNotFoundError, version

__all__ = ["format_info", "info"]

# Report key -> distribution name on PyPI.
_CORE_DISTRIBUTIONS: dict[str, str] = {
    "qinspired": "qinspired",
    "jax": "jax",
    "jaxlib": "jaxlib",
    "numpy": "numpy",
    "scikit-learn": "scikit-learn",
    "optax": "optax",
    "flax": "flax",
    "tensornetwork": "tensornetwork-ng",
}

# The packages of pyproject.toml's extras, grouped by extra (peers, peers-squlearn, bench,
# skops, mlflow, gpu), without the test-only tools of the `test` extra.
_OPTIONAL_DISTRIBUTIONS: tuple[str, ...] = (
    "qiskit",
    "qiskit-machine-learning",
    "qiskit-aer",
    "pennylane",
    "tn4ml",
    "squlearn",
    "qulacs",
    "matplotlib",
    "tabulate",
    "skops",
    "mlflow",
    "jax-cuda12-plugin",
)

_WIDTH = 28  # column where values start in format_info


def _dist_version(name: str) -> str | None:
    """Installed version of distribution `name`, or None when it is not installed."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _jax_state() -> dict[str, object]:
    """Backend, devices and x64 flag, or the error that stopped JAX from starting."""
    state: dict[str, object] = {
        "backend": None,
        "devices": [],
        "x64_enabled": None,
        "jax_error": None,
    }
    try:
        import jax

        config = jax.config
        if hasattr(config, "jax_enable_x64"):
            state["x64_enabled"] = bool(config.jax_enable_x64)
        else:  # newer JAX may only offer read()
            state["x64_enabled"] = bool(config.read("jax_enable_x64"))
        state["backend"] = jax.default_backend()
        state["devices"] = [
            {
                "platform": str(device.platform),
                "device_kind": str(device.device_kind),
                "id": int(device.id),
            }
            for device in jax.devices()
        ]
    except Exception as exc:  # noqa: BLE001 - a report should survive a broken install
        state["jax_error"] = f"{type(exc).__name__}: {exc}"
    return state


def info() -> dict[str, object]:
    """Describe the environment qinspired runs in.

    Returns
    -------
    dict of str to object
        A JSON-serialisable mapping with the keys

        ``versions``
            ``{name: version}`` for qinspired, python and the core dependencies
            (jax, jaxlib, numpy, scikit-learn, optax, flax, tensornetwork); a missing
            distribution has the version None.
        ``platform``
            The operating system and machine, from :func:`platform.platform`.
        ``backend``
            JAX's default backend (``"cpu"``, ``"gpu"``, ``"tpu"``), or None if JAX failed.
        ``devices``
            One ``{"platform", "device_kind", "id"}`` mapping per JAX device.
        ``x64_enabled``
            Whether JAX's 64-bit mode is on (read, never changed).
        ``optional``
            ``{name: version or None}`` for the packages of the optional extras:
            qiskit, qiskit-machine-learning, qiskit-aer, pennylane, tn4ml (``peers``),
            squlearn, qulacs (``peers-squlearn``), matplotlib, tabulate (``bench``),
            skops, mlflow and jax-cuda12-plugin (``gpu``).
        ``jax_error``
            None, or the error raised while querying JAX.

    Examples
    --------
    >>> from qinspired import info
    >>> report = info()
    >>> sorted(report)
    ['backend', 'devices', 'jax_error', 'optional', 'platform', 'versions', 'x64_enabled']
    """
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for key, dist in _CORE_DISTRIBUTIONS.items():
        versions[key] = _dist_version(dist)
    if versions["qinspired"] is None:
        versions["qinspired"] = "0+unknown"
    report: dict[str, object] = {
        "versions": versions,
        "platform": platform.platform(),
    }
    report.update(_jax_state())
    report["optional"] = {name: _dist_version(name) for name in _OPTIONAL_DISTRIBUTIONS}
    return report


def _line(label: str, value: object, indent: int = 2) -> str:
    return " " * indent + f"{label:<{_WIDTH - indent}}{value}"


def format_info(d: Mapping[str, object]) -> str:
    """Render a report from :func:`info` as aligned, human-readable text.

    Parameters
    ----------
    d : mapping of str to object
        The report returned by :func:`info`.

    Returns
    -------
    str
        Several lines, one ``label  value`` pair each, grouped under headings; no trailing
        newline.

    Examples
    --------
    >>> from qinspired import info
    >>> from qinspired._info import format_info
    >>> print(format_info(info()))  # doctest: +ELLIPSIS
    qinspired ...
    """
    versions = cast(Mapping[str, Any], d.get("versions") or {})
    lines = [f"qinspired {versions.get('qinspired', '0+unknown')}", ""]

    lines.append("versions")
    lines.append(_line("python", versions.get("python")))
    for key in _CORE_DISTRIBUTIONS:
        if key != "qinspired":
            lines.append(_line(key, versions.get(key) or "not installed"))
    lines.append(_line("platform", d.get("platform")))

    lines.append("jax")
    lines.append(_line("backend", d.get("backend") or "unavailable"))
    devices = cast(list[Mapping[str, Any]], d.get("devices") or [])
    described = [
        f"{dev['platform']}:{dev['id']} ({dev['device_kind']})" for dev in devices
    ]
    lines.append(_line("devices", ", ".join(described) if described else "none"))
    x64 = d.get("x64_enabled")
    lines.append(_line("x64 enabled", "unknown" if x64 is None else ("yes" if x64 else "no")))
    if d.get("jax_error"):
        lines.append(_line("error", d["jax_error"]))

    lines.append("optional packages")
    optional = cast(Mapping[str, Any], d.get("optional") or {})
    for name, ver in optional.items():
        lines.append(_line(name, ver or "not installed"))
    return "\n".join(lines)
