"""The core imports with scikit-learn absent; only the scikit-learn layer needs it.

What "core" means here, precisely: every module of the package (``kernels/``
ships as ``qinspired.kernels``) except the two parts built on scikit-learn,
listed in ``SKLEARN_LAYER`` with the reason. Core modules never import
scikit-learn or ``qinspired.estimators`` when they are imported; a few core
functions that act on scikit-learn objects import scikit-learn when they are
called (``monitoring.noise_sensitivity`` clones the caller's estimator,
``provenance.record`` reads its parameters, ``datasets.load_dataset`` and
``make_preprocessor`` use scikit-learn's data and transformers,
``persistence`` uses skops), so a user without scikit-learn never reaches them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from _package import REPO, package_modules

#: Subpackages that are the scikit-learn layer, and why.
SKLEARN_LAYER = {
    "qinspired.estimators": "the scikit-learn estimators (validate, call the core, store results)",
    "qinspired.bench": "the benchmark harness: fits the estimators against tuned scikit-learn "
                       "baselines in scikit-learn pipelines",
}

#: Core subpackages: every module under them is core.
CORE_PACKAGES = (
    "qinspired.circuits",
    "qinspired.kernels",
    "qinspired.nn",
    "qinspired.tn",
)

#: Core modules outside those subpackages (the package itself: estimators load lazily).
CORE_MODULES = (
    "qinspired",
    "qinspired._amplitude_encoding",
    "qinspired._batching",
    "qinspired._datasets_impl",
    "qinspired._feature_map_base",
    "qinspired._info",
    "qinspired._params",
    "qinspired._pytree",
    "qinspired._quickstart",
    "qinspired._random",
    "qinspired._validation",
    "qinspired.cli",
    "qinspired.datasets",
    "qinspired.feature_maps",
    "qinspired.mlflow",
    "qinspired.monitoring",
    "qinspired.persistence",
    "qinspired.provenance",
    "qinspired.training",
)

# Run in a fresh interpreter: a meta-path finder refuses scikit-learn, then every core module
# is imported; prints what failed and whether scikit-learn or the estimators got loaded.
_SCRIPT = r"""
import importlib, importlib.abc, json, sys, traceback

class BlockSklearn(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
        return None

sys.meta_path.insert(0, BlockSklearn())
failed = {}
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except Exception:
        failed[name] = traceback.format_exc(limit=-3)
loaded = sorted(m for m in sys.modules
                if m.split(".")[0] == "sklearn" or m.startswith("qinspired.estimators"))
import qinspired
try:
    qinspired.MPSClassifier
    estimator_error = None
except ModuleNotFoundError as exc:
    estimator_error = exc.name
print(json.dumps({"failed": failed, "loaded": loaded, "estimator_error": estimator_error}))
"""


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _classes(name: str) -> list[str]:
    return ([p for p in SKLEARN_LAYER if _under(name, p)]
            + [p for p in CORE_PACKAGES if _under(name, p)]
            + [m for m in CORE_MODULES if name == m])


def _core_modules() -> list[str]:
    return [m for m in package_modules() if not any(_under(m, p) for p in SKLEARN_LAYER)]


def test_every_module_is_either_core_or_sklearn_layer() -> None:
    unclassified = [m for m in package_modules() if len(_classes(m)) != 1]
    assert unclassified == [], ("classify each new module: add it to CORE_MODULES / "
                                "CORE_PACKAGES, or (with a reason) to SKLEARN_LAYER")
    missing = sorted(set(CORE_MODULES) - set(package_modules()))
    assert missing == []


def test_core_imports_with_sklearn_blocked() -> None:
    core = _core_modules()
    assert {"qinspired.monitoring", "qinspired.training", "qinspired.circuits",
            "qinspired.tn", "qinspired.kernels", "qinspired.datasets"} <= set(core)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, json.dumps(core)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["failed"] == {}, "\n".join(report["failed"].values())
    assert report["loaded"] == []
    # the estimators themselves need scikit-learn, and say so
    assert report["estimator_error"] == "sklearn"
