"""Every docstring example of the package runs and prints what it shows.

The modules are found by walking the imported ``qinspired`` package (and
``qinspired.kernels``, which a source checkout maps in from ``kernels/``), so
the examples of whatever ``import qinspired`` resolves to are checked: the
installed package in CI, the checkout under ``PYTHONPATH``. A module that
needs an optional extra which is not installed is skipped with the name of
the missing package; any other import failure fails the test.

The examples print the same in JAX's default precision and in x64 mode (they
round before printing); ``JAX_ENABLE_X64=1 pytest tests/test_doctests.py``
checks the latter.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import pytest

import qinspired

# Third-party packages that only optional extras install (module -> extra).
OPTIONAL = {"mlflow": "mlflow", "skops": "skops", "matplotlib": "bench", "tabulate": "bench"}
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules_with_examples() -> list[str]:
    """Names of the package's modules whose source holds a docstring example."""
    names = {"qinspired", "qinspired.kernels"}
    for package in (qinspired, importlib.import_module("qinspired.kernels")):
        prefix = package.__name__ + "."
        names.update(info.name for info in pkgutil.walk_packages(package.__path__, prefix))
    found = []
    for name in sorted(names):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin and ">>>" in Path(spec.origin).read_text("utf-8"):
            found.append(name)
    return found


MODULES = _modules_with_examples()


def test_the_walk_finds_the_examples() -> None:
    assert {"qinspired.circuits.statevector", "qinspired.kernels.fidelity"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as err:
        top = (err.name or "").partition(".")[0]
        if top not in OPTIONAL:
            raise
        pytest.skip(f"{name} needs {top} (the {OPTIONAL[top]!r} extra), which is not installed")
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
