"""Suite-wide fixtures.

``x64``: runs a test in JAX's 64-bit mode (``jax.enable_x64``), for tests
where precision is the point; a module opts in for all its tests with
``pytestmark = pytest.mark.usefixtures("x64")``. The dense references,
random circuits and the finite-difference check live in ``_dense.py``.

Every compiled XLA CPU executable keeps about five memory mappings alive, and
the whole suite compiles over ten thousand programs (many shapes, many
estimators). In one process that passes Linux's default limit of 65,530
mappings per process (``vm.max_map_count``) and LLVM then crashes with a
segmentation fault inside the next compilation. Dropping JAX's compilation
caches after each test module keeps the count at the size of one module.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import jax
import pytest


@pytest.fixture
def x64() -> Iterator[None]:
    with jax.enable_x64(True):
        yield


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs() -> Iterator[None]:
    yield
    jax.clear_caches()
    gc.collect()
