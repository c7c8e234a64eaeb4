"""Input checks shared by the whole library.

Every check raises a ``ValueError`` (or a subclass) whose message says what
was wrong, where, and what is allowed, so that bad input never reaches JAX.
"""

from __future__ import annotations

import math
import os
from typing import Any, Sequence

import numpy as np

__all__ = [
    "SimulationTooLargeError",
    "as_float_array",
    "available_memory_bytes",
    "check_choice",
    "check_finite_output",
    "check_float32_range",
    "check_float_dtype",
    "check_in_range",
    "check_int",
    "check_memory",
    "check_real",
    "check_wires",
    "format_bytes",
    "format_count",
    "is_int",
    "is_traced",
]


class SimulationTooLargeError(ValueError, MemoryError):
    """A simulation would need more memory than the device has.

    It is both a ``ValueError`` (the request is invalid for this machine) and
    a ``MemoryError``, so either ``except`` clause catches it.
    """


def is_traced(value: Any) -> bool:
    """Return True when ``value`` is a JAX tracer (inside jit, vmap or grad)."""
    import jax

    return isinstance(value, jax.core.Tracer)


def as_float_array(value: Any, name: str) -> np.ndarray:
    """Convert ``value`` to a floating NumPy array and reject NaN or inf.

    Parameters
    ----------
    value : array_like
        The input.
    name : str
        How the input is called in error messages.

    Returns
    -------
    numpy.ndarray
        A float array (float64 unless the input already was float32).
    """
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be converted to an array: {exc}") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == bool
    ):
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real-valued, got dtype {arr.dtype}")
    if arr.dtype != np.float32:
        arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = tuple(int(i) for i in bad)
        raise ValueError(
            f"{name} contains NaN or inf (first at index {where}); "
            "all values must be finite"
        )
    check_float32_range(arr, name)
    return arr


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_float32_range(arr: Any, name: str) -> None:
    """Refuse finite values that JAX's default float32 cannot hold (unless x64 is on).

    A float64 value beyond 3.4e38 becomes ``inf`` when
    cast to float32, and NaN a few operations later; this raises instead,
    naming the largest value and the range.

    Parameters
    ----------
    arr : array_like
        Finite real values (NaN and inf are the caller's check).
    name : str
        How the input is called in error messages.
    """
    import jax

    arr = np.asarray(arr)
    if arr.size == 0 or arr.dtype.itemsize <= 4 or jax.config.jax_enable_x64:
        return
    largest = float(np.max(np.abs(arr)))
    if largest > _FLOAT32_MAX:
        raise ValueError(
            f"{name} has values up to {largest:.3g}, beyond float32's range "
            f"({_FLOAT32_MAX:.3g}); rescale the data or enable JAX's x64 mode "
            "(JAX_ENABLE_X64=1 before JAX starts)"
        )


def check_finite_output(result: Any, X: Any, what: str) -> Any:
    """Return ``result`` (an array or a pytree of arrays) if it is finite; else raise.

    For computations on finite input ``X`` whose output turned non-finite:
    representable inputs can still overflow on the way (a product of two
    features of :math:`10^{30}` is beyond float32), and the result must be an
    error that says so, never NaN handed on to the caller.

    Parameters
    ----------
    result : array or pytree of arrays
        The computed values.
    X : array_like
        The (finite) input they were computed from, for the message.
    what : str
        What the values are, e.g. ``"FidelityKernel: the states"``.
    """
    import jax
    import jax.numpy as jnp

    leaves = jax.tree_util.tree_leaves(result)
    if all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in leaves):
        return result
    arr = np.asarray(X)
    largest = float(np.max(np.abs(arr))) if arr.size else 0.0
    dtype = "float64" if jax.config.jax_enable_x64 else "float32"
    raise ValueError(
        f"{what} are not finite although the input is: it has values up to {largest:.3g}, "
        f"and {dtype} arithmetic on them overflowed (beyond "
        f"{float(np.finfo(dtype).max):.3g}, e.g. in a product of features); rescale the data "
        "(standardise it, or use a smaller feature_scale)"
        + ("" if jax.config.jax_enable_x64 else " or enable JAX's x64 mode")
    )


def format_bytes(n_bytes: float) -> str:
    """Format a byte count with a binary unit, e.g. ``'8.0 GiB'``.

    Counts beyond 1024 EiB (any integer, however large: a statevector of
    10,000 qubits asks for :math:`2^{10004}` bytes) are written in powers of
    ten, e.g. ``'3.2e+3011 B'``.
    """
    if n_bytes >= 1024**7:
        return f"{format_count(n_bytes)} B"
    value = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if value < 1024 or unit == "EiB":
            return f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_count(n: float) -> str:
    """Format a non-negative count: exact below ``10**15``, else ``'1.3e+36'``.

    Works for integers of any size (``float(4**10_000)`` overflows and
    ``str(4**10_000)`` exceeds Python's digit limit; this does neither).
    """
    if n < 10**15:
        return str(n) if is_int(n) else f"{float(n):g}"
    exponent = math.floor(math.log10(n))
    mantissa = 10 ** (math.log10(n) - exponent)
    if mantissa >= 9.95:  # rounds up to 10.0
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.1f}e+{exponent}"


def available_memory_bytes(device: Any = None) -> int:
    """Memory the simulation may use on ``device`` (default: JAX's first device).

    On accelerators this is the allocator's limit minus what is in use; on
    the CPU it is the operating system's available memory.
    """
    import jax

    dev = device if device is not None else jax.devices()[0]
    stats = None
    if dev.platform != "cpu":
        try:
            stats = dev.memory_stats()
        except Exception:
            stats = None
    if stats and "bytes_limit" in stats:
        return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


_MEMORY_ADVICE = "use fewer qubits, a smaller batch, or an approximate (MPS) simulation"


def check_memory(n_bytes: int, what: str, device: Any = None, *,
                 advice: str = _MEMORY_ADVICE) -> None:
    """Raise :class:`SimulationTooLargeError` if ``n_bytes`` will not fit.

    Parameters
    ----------
    n_bytes : int
        The estimated peak memory of the computation.
    what : str
        A description of the computation for the message, e.g.
        ``"statevector simulation of 30 qubits for 100 data points"``.
    device : jax.Device, optional
        The device to check (default: JAX's first device).
    advice : str, optional
        What to do instead, ending the message (default: fewer qubits, a
        smaller batch or an MPS simulation).
    """
    limit = available_memory_bytes(device)
    if n_bytes > limit:
        raise SimulationTooLargeError(
            f"{what} needs about {format_bytes(n_bytes)}, but only "
            f"{format_bytes(limit)} is available on the device; {advice}"
        )


def is_int(value: Any) -> bool:
    """True for Python and NumPy integers (booleans excluded)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_float_dtype(owner: str, dtype: Any) -> np.dtype:
    """``dtype`` as a real floating NumPy dtype, or ``ValueError`` naming ``owner``.

    Parameters start as small noise around fixed values: an integer dtype would
    truncate them (to an all-zero model), a complex one make the outputs complex.
    """
    import jax.numpy as jnp

    try:
        out = jnp.dtype(dtype)
    except TypeError:
        raise ValueError(f"{owner}: dtype={dtype!r} is not a dtype; use a real floating dtype "
                         "such as jnp.float32") from None
    if not jnp.issubdtype(out, jnp.floating):
        raise ValueError(f"{owner}: dtype={out.name} must be a real floating dtype (float32, "
                         "float64, float16 or bfloat16); an integer dtype would truncate the "
                         "initial tensors to zero")
    return out


def check_int(owner: str, name: str, value: Any, minimum: int) -> int:
    """Return ``value`` as an int, or raise naming ``owner`` and ``name``."""
    if not is_int(value) or value < minimum:
        raise ValueError(f"{owner}: {name}={value!r} must be an integer >= {minimum}")
    return int(value)


def check_real(owner: str, name: str, value: Any, positive: bool = False) -> float:
    """Return ``value`` as a finite float (``> 0`` if ``positive``), or raise."""
    ok = is_int(value) or isinstance(value, (float, np.floating))
    if not ok or not math.isfinite(value) or (positive and value <= 0):
        raise ValueError(f"{owner}: {name}={value!r} must be a finite number"
                         + (" > 0" if positive else ""))
    return float(value)


def check_choice(owner: str, name: str, value: Any, allowed: Sequence[str]) -> str:
    """Return the lower-cased choice, or raise listing the allowed values."""
    key = value.lower() if isinstance(value, str) else value
    if key not in allowed:
        raise ValueError(f"{owner}: {name}={value!r} is not allowed; use one of "
                         + ", ".join(map(repr, allowed)))
    return key


def _format_bound(value: float | None, default: str) -> str:
    return default if value is None else f"{value:g}"


def check_in_range(
    owner: str,
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> np.ndarray:
    """Return ``value`` as a float array whose entries all lie in an interval, or raise.

    Parameters
    ----------
    owner : str
        Who the value belongs to, for the message (e.g. ``"depolarizing
        channel on wire 2"``).
    name : str
        The value's name, e.g. ``"p"``.
    value : float or array_like
        A scalar or an array (every entry is checked).
    low, high : float, optional
        The bounds; ``None`` leaves that side unbounded.
    low_open, high_open : bool, default False
        Exclude the bound itself.

    Raises
    ------
    ValueError
        For NaN, inf, non-numeric input, or an entry outside the interval;
        the message names ``owner``, ``name``, the offending value and the
        allowed interval.
    """
    arr = as_float_array(value, f"{owner}: {name}")
    bad = np.zeros(arr.shape, dtype=bool)
    if low is not None:
        bad |= (arr <= low) if low_open else (arr < low)
    if high is not None:
        bad |= (arr >= high) if high_open else (arr > high)
    if np.any(bad):
        first = arr[tuple(np.argwhere(bad)[0])] if arr.ndim else arr
        interval = (
            ("(" if low_open or low is None else "[")
            + _format_bound(low, "-inf")
            + ", "
            + _format_bound(high, "inf")
            + (")" if high_open or high is None else "]")
        )
        shown = f"{float(first)!r}" if arr.ndim == 0 else f"{float(first)!r} (in an array)"
        raise ValueError(f"{owner}: {name}={shown} is outside {interval}")
    return arr


def check_wires(wires: Any, n: int) -> tuple[int, ...]:
    """Validate measured or kept ``wires`` of an ``n``-qubit state (``None``: all of them).

    A single int is one wire. Raises ``ValueError`` for an empty list, a
    repeat, a non-integer or a wire outside ``0..n-1``.
    """
    if wires is None:
        return tuple(range(n))
    if is_int(wires):
        wires = (wires,)
    out = []
    for w in wires:
        if not is_int(w) or not 0 <= w < n:
            raise ValueError(f"wire {w!r} is out of range for a state of {n} qubits "
                             f"(wires 0..{n - 1})")
        out.append(int(w))
    if not out:
        raise ValueError("wires must not be empty")
    if len(set(out)) != len(out):
        raise ValueError(f"wires {tuple(out)} contain a repeat")
    return tuple(out)
