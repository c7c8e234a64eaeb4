"""Suite-wide fixtures.

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


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs() -> Iterator[None]:
    yield
    jax.clear_caches()
    gc.collect()
