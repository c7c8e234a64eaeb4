"""The library's own exceptions are importable from the public API, as the README says."""

from __future__ import annotations

import numpy as np
import pytest

import qinspired
import qinspired.circuits
from qinspired import SimulationTooLargeError, ZZFeatureMap, statevector


def test_simulation_too_large_error_is_public() -> None:
    from qinspired._validation import SimulationTooLargeError as internal

    assert SimulationTooLargeError is internal
    assert qinspired.circuits.SimulationTooLargeError is SimulationTooLargeError
    assert "SimulationTooLargeError" in qinspired.__all__
    assert "SimulationTooLargeError" in qinspired.circuits.__all__


def test_simulation_too_large_error_is_a_value_and_memory_error() -> None:
    assert issubclass(SimulationTooLargeError, ValueError)
    assert issubclass(SimulationTooLargeError, MemoryError)


def test_statevector_of_a_too_large_circuit_raises_it_before_allocating() -> None:
    # 40 qubits: 2**40 amplitudes (8 TiB in complex64) do not fit on any machine, so the
    # memory guard refuses before anything is allocated.
    fm, x = ZZFeatureMap(40), np.zeros(40)
    with pytest.raises(SimulationTooLargeError, match="40 qubits") as info:
        statevector(fm, x)
    assert type(info.value) is SimulationTooLargeError
    for base in (ValueError, MemoryError):
        with pytest.raises(base):
            statevector(fm, x)
