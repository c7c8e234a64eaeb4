"""What every fitted model records about how it was made, and how to check a rerun.

A fitted estimator's ``provenance_`` is a :class:`Provenance`: the versions of
the library and its numerical stack, the JAX backend and device, whether x64 is
on, the resolved integer seed, a fingerprint (SHA-256) of the training data, the
estimator's parameters, a fingerprint of the fitted result and a UTC timestamp.
:func:`reproduce` refits from a provenance record and reports whether the new
fit is bit-identical.

Bit-identity holds for the same data, seed, device kind and versions. Across
devices (CPU vs GPU) results agree to floating-point tolerance, not bits: the
reduction orders of matrix products differ. :func:`deterministic_gpu_flags`
returns the XLA settings that make GPU runs repeat bit for bit.
"""

from __future__ import annotations

import hashlib
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

__all__ = [
    "Provenance",
    "ReproductionReport",
    "deterministic_gpu_flags",
    "enable_deterministic_gpu",
    "fingerprint",
    "record",
    "reproduce",
    "result_fingerprint",
]

_PACKAGES = ("qinspired", "jax", "jaxlib", "numpy", "scikit-learn", "optax", "flax")

_DETERMINISTIC_XLA_FLAGS = ("--xla_gpu_deterministic_ops=true",
                            "--xla_gpu_autotune_level=0")


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def fingerprint(*arrays: Any) -> str:
    """SHA-256 over the dtypes, shapes and bytes of the given arrays (``None`` skipped)."""
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            h.update(b"none;")
            continue
        arr = np.ascontiguousarray(np.asarray(a))
        if arr.dtype == object:
            arr = np.asarray([repr(v) for v in arr.ravel()], dtype=str).reshape(arr.shape)
        h.update(f"{arr.dtype.str};{arr.shape};".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def _fitted_arrays(estimator: Any) -> dict[str, np.ndarray]:
    out = {}
    for name in sorted(vars(estimator)):
        if not name.endswith("_") or name.startswith("_") or name == "provenance_":
            continue
        value = getattr(estimator, name)
        if isinstance(value, (np.ndarray, np.generic, int, float)) and not isinstance(value, bool):
            out[name] = np.asarray(value)
        elif isinstance(value, (list, tuple)) and value and all(
                isinstance(v, np.ndarray) for v in value):
            for i, v in enumerate(value):
                out[f"{name}[{i}]"] = v
    return out


def result_fingerprint(estimator: Any) -> str:
    """SHA-256 of every fitted NumPy attribute (names ending in ``_``), in name order."""
    h = hashlib.sha256()
    for name, arr in _fitted_arrays(estimator).items():
        h.update(name.encode())
        h.update(fingerprint(arr).encode())
    return h.hexdigest()


def _device() -> dict[str, Any]:
    import jax

    dev = jax.devices()[0]
    return {"backend": jax.default_backend(), "device_kind": getattr(dev, "device_kind", ""),
            "device_count": jax.device_count(), "x64": bool(jax.config.jax_enable_x64)}


@dataclass(frozen=True)
class Provenance:
    """How a model was fitted. ``to_dict()`` gives a JSON-safe copy.

    Attributes
    ----------
    estimator : str
        ``module.ClassName`` of the estimator.
    params : dict
        ``get_params(deep=False)`` at fit time (objects kept as they were given;
        ``to_dict`` writes their ``repr``).
    seed : int or None
        The integer the estimator's ``random_state`` resolved to.
    data_fingerprint : str
        :func:`fingerprint` of ``X`` and ``y``.
    n_samples, n_features : int
    result_fingerprint : str
        :func:`result_fingerprint` of the fitted model.
    versions : dict
        Versions of qinspired, JAX, jaxlib, NumPy, scikit-learn, optax, flax.
    device : dict
        JAX backend, device kind, device count, x64 flag.
    python, platform, timestamp : str
        Interpreter version, OS, and the UTC time of the fit (ISO 8601).
    """

    estimator: str
    params: dict
    seed: int | None
    data_fingerprint: str
    n_samples: int
    n_features: int
    result_fingerprint: str = ""
    versions: dict = field(default_factory=dict)
    device: dict = field(default_factory=dict)
    python: str = ""
    platform: str = ""
    timestamp: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (parameters that are objects become their ``repr``)."""
        out = asdict(self)
        out["params"] = {k: v if isinstance(v, (int, float, str, bool, type(None))) else repr(v)
                         for k, v in self.params.items()}
        return out

    def with_result(self, estimator: Any) -> "Provenance":
        """A copy with the fitted model's result fingerprint filled in."""
        values = {**self.__dict__, "result_fingerprint": result_fingerprint(estimator)}
        return Provenance(**values)


def record(estimator: Any, X: Any, y: Any = None, *, seed: int | None = None) -> Provenance:
    """The provenance of fitting ``estimator`` on ``(X, y)`` with the resolved ``seed``.

    Call it at the end of ``fit`` (after the fitted attributes are set) so the
    result fingerprint covers them.
    """
    from sklearn.base import clone

    params = {k: clone(v, safe=False) if hasattr(v, "get_params") else v
              for k, v in estimator.get_params(deep=False).items()}
    X_arr = np.asarray(X)
    prov = Provenance(
        estimator=f"{type(estimator).__module__}.{type(estimator).__qualname__}",
        params=params,
        seed=seed,
        data_fingerprint=fingerprint(X_arr, None if y is None else np.asarray(y)),
        n_samples=int(X_arr.shape[0]) if X_arr.ndim else 0,
        n_features=int(X_arr.shape[1]) if X_arr.ndim > 1 else 1,
        versions={name: _version(name) for name in _PACKAGES},
        device=_device(),
        python=sys.version.split()[0],
        platform=platform.platform(),
        timestamp=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    return prov.with_result(estimator)


@dataclass(frozen=True)
class ReproductionReport:
    """The outcome of :func:`reproduce`.

    Attributes
    ----------
    identical : bool
        The refit's fitted arrays are bit-identical to the recorded ones.
    same_data, same_versions, same_device : bool
        Whether the data, package versions and device match the record (a
        mismatch explains a difference).
    differences : dict
        What differed, by name (recorded value, current value).
    model : estimator
        The refitted model.
    """

    identical: bool
    same_data: bool
    same_versions: bool
    same_device: bool
    differences: dict
    model: Any


def _estimator_class(path: str, estimator_class: type | None) -> type:
    """The class a record names: one of qinspired's estimators, or the caller's ``estimator_class``.

    The record is data (it may come from a model file), so it never chooses what
    is imported or called: a name that is not one of qinspired's estimators is
    refused unless the caller passes that class.
    """
    from sklearn.base import BaseEstimator

    import qinspired

    if estimator_class is not None:
        if not (isinstance(estimator_class, type) and issubclass(estimator_class, BaseEstimator)):
            raise ValueError(f"estimator_class must be a scikit-learn estimator class, got "
                             f"{estimator_class!r}")
        name = f"{estimator_class.__module__}.{estimator_class.__qualname__}"
        if name != path:
            raise ValueError(f"the record is of {path!r}, not of estimator_class {name!r}")
        return estimator_class
    known = {f"{cls.__module__}.{cls.__qualname__}": cls
             for cls in (getattr(qinspired, name) for name in sorted(qinspired._ESTIMATORS))}
    if path not in known:
        raise ValueError(f"the record names {path!r}, which is not one of qinspired's "
                         "estimators; reproduce refits those only, unless you pass the class "
                         "yourself as estimator_class= (a record never chooses what code runs)")
    return known[path]


def reproduce(provenance: Provenance, X: Any, y: Any = None, *,
              estimator_class: type | None = None) -> ReproductionReport:
    """Refit the recorded estimator on ``(X, y)`` with the recorded seed and compare.

    Parameters
    ----------
    provenance : Provenance
        A fitted model's ``provenance_``.
    X, y : array_like
        The training data (its fingerprint is checked against the record).
    estimator_class : type, optional
        The class to refit when the record names one that is not among
        qinspired's estimators (a subclass of your own, say); its
        ``module.ClassName`` must be the recorded one. The record alone never
        picks what is imported: a model file may carry any text there.

    Returns
    -------
    ReproductionReport

    Raises
    ------
    ValueError
        When the record names a class that is neither one of qinspired's
        estimators nor ``estimator_class``, or its parameters are not a dict
        keyed by parameter names.
    """
    if not isinstance(provenance, Provenance):
        raise ValueError(f"reproduce needs a Provenance (a fitted model's provenance_), got "
                         f"{type(provenance).__name__}")
    from sklearn.base import clone

    cls = _estimator_class(provenance.estimator, estimator_class)
    if not (isinstance(provenance.params, dict)
            and all(isinstance(k, str) for k in provenance.params)):
        raise ValueError("the record's params must be a dict keyed by parameter names")
    params = {k: clone(v, safe=False) if hasattr(v, "get_params") else v
              for k, v in provenance.params.items()}
    if "random_state" in params and provenance.seed is not None:
        params["random_state"] = provenance.seed
    model = cls(**params)
    if y is None:
        model.fit(X)
    else:
        model.fit(X, y)
    now = record(model, X, y, seed=provenance.seed)
    differences: dict[str, tuple] = {}
    for name in ("data_fingerprint", "versions", "device", "result_fingerprint"):
        old, new = getattr(provenance, name), getattr(now, name)
        if old != new:
            differences[name] = (old, new)
    return ReproductionReport(
        identical=now.result_fingerprint == provenance.result_fingerprint,
        same_data=now.data_fingerprint == provenance.data_fingerprint,
        same_versions=now.versions == provenance.versions,
        same_device=now.device == provenance.device,
        differences=differences,
        model=model,
    )


def deterministic_gpu_flags() -> tuple[str, ...]:
    """XLA flags that make GPU results repeat bit for bit (at some cost in speed).

    ``--xla_gpu_deterministic_ops=true`` picks deterministic kernels (no
    atomics in reductions and scatters); ``--xla_gpu_autotune_level=0`` stops
    the autotuner from choosing a different kernel from run to run.
    """
    return _DETERMINISTIC_XLA_FLAGS


def enable_deterministic_gpu() -> str:
    """Add :func:`deterministic_gpu_flags` to ``XLA_FLAGS`` and return the new value.

    It must run before JAX initialises its backends (before the first
    computation); afterwards it raises ``RuntimeError`` rather than silently
    doing nothing.
    """
    import jax

    if _backends_initialized(jax):
        raise RuntimeError("enable_deterministic_gpu() must be called before JAX runs its first "
                           "computation; set XLA_FLAGS in the environment instead")
    flags = os.environ.get("XLA_FLAGS", "").split()
    for flag in _DETERMINISTIC_XLA_FLAGS:
        if flag not in flags:
            flags.append(flag)
    os.environ["XLA_FLAGS"] = " ".join(flags)
    return os.environ["XLA_FLAGS"]


def _backends_initialized(jax: Any) -> bool:
    try:
        from jax._src import xla_bridge

        return bool(getattr(xla_bridge, "_backends", {}))
    except ImportError:
        return False
