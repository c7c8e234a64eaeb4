"""Packaging, metadata and command-line checks.

The top-level ``kernels/`` folder ships as ``qinspired.kernels``; these tests make sure the
package list in ``pyproject.toml`` keeps up with the folders, that a built wheel has the
right shape, and that the ``qinspired`` command works.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import types
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

import qinspired
from qinspired.cli import main

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
LISTED_PACKAGES = set(PYPROJECT["tool"]["setuptools"]["packages"])

# Source folder -> package name prefix, as the setuptools configuration maps them.
SOURCE_ROOTS = {"qinspired": "qinspired", "kernels": "qinspired.kernels"}

INFO_KEYS = {"versions", "platform", "backend", "devices", "x64_enabled", "optional", "jax_error"}


def _packages_on_disk() -> set[str]:
    found = set()
    for folder, prefix in SOURCE_ROOTS.items():
        root = REPO / folder
        for init in root.rglob("__init__.py"):
            rel = init.parent.relative_to(root).parts
            if "__pycache__" in rel:
                continue
            found.add(".".join((prefix, *rel)))
    return found


def _setuptools_version() -> tuple[int, ...] | None:
    try:
        text = version("setuptools")
    except PackageNotFoundError:
        return None
    return tuple(int(part) for part in re.findall(r"\d+", text)[:2])


# ---------------------------------------------------------------------------------------
# (a) the package list matches the folders
# ---------------------------------------------------------------------------------------


def test_listed_packages_match_folders_with_init() -> None:
    on_disk = _packages_on_disk()
    assert LISTED_PACKAGES == on_disk, (
        f"pyproject.toml [tool.setuptools] packages is out of date: "
        f"missing {sorted(on_disk - LISTED_PACKAGES)}, stale {sorted(LISTED_PACKAGES - on_disk)}"
    )


def test_kernels_folder_is_mapped_into_the_package() -> None:
    setuptools_cfg = PYPROJECT["tool"]["setuptools"]
    assert setuptools_cfg["package-dir"] == {"qinspired.kernels": "kernels"}
    assert "qinspired.kernels" in LISTED_PACKAGES
    assert "py.typed" in setuptools_cfg["package-data"]["qinspired"]
    # A real qinspired/kernels folder would compete with the mapped one.
    assert not (REPO / "qinspired" / "kernels").exists()


def test_console_script_points_at_cli_main() -> None:
    assert PYPROJECT["project"]["scripts"] == {"qinspired": "qinspired.cli:main"}


# ---------------------------------------------------------------------------------------
# (b) a built wheel has the right shape
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path]:
    """Build a wheel from a copy of the sources; return its file names and the copy."""
    setuptools_version = _setuptools_version()
    if setuptools_version is None or setuptools_version < (77, 0):
        pytest.skip(
            "building the wheel without isolation needs setuptools>=77 (SPDX license, "
            "built-in bdist_wheel); install the `test` extra"
        )
    tmp = tmp_path_factory.mktemp("wheel")
    # Build from a copy so no build/ or *.egg-info lands in the checkout (and no stale
    # build/ output can leak into the wheel).
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    for license_file in REPO.glob("LICEN[CS]E*"):
        shutil.copy2(license_file, src / license_file.name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in SOURCE_ROOTS:
        shutil.copytree(REPO / folder, src / folder, ignore=ignore)
    dist = tmp / "dist"
    proc = subprocess.run(
        [
            sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
            "--no-index", "-w", str(dist), str(src),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"pip wheel failed:\n{proc.stdout}\n{proc.stderr}"
    wheels = list(dist.glob("qinspired-*.whl"))
    assert len(wheels) == 1, wheels
    with zipfile.ZipFile(wheels[0]) as zf:
        return zf.namelist(), src


@pytest.fixture(scope="module")
def wheel_names(built_wheel: tuple[list[str], Path]) -> list[str]:
    return built_wheel[0]


def test_wheel_contains_the_package_files(wheel_names: list[str]) -> None:
    names = set(wheel_names)
    for required in (
        "qinspired/__init__.py",
        "qinspired/kernels/__init__.py",
        "qinspired/circuits/__init__.py",
        "qinspired/py.typed",
    ):
        assert required in names, f"{required} missing from the wheel"
    for package in LISTED_PACKAGES:
        init = package.replace(".", "/") + "/__init__.py"
        assert init in names, f"package {package} missing from the wheel"


def test_wheel_has_no_top_level_kernels(wheel_names: list[str]) -> None:
    assert not [name for name in wheel_names if name.startswith("kernels/")]


def test_wheel_contains_every_source_module(built_wheel: tuple[list[str], Path]) -> None:
    names, src = set(built_wheel[0]), built_wheel[1]
    missing = []
    for folder, prefix in SOURCE_ROOTS.items():
        for py in (src / folder).rglob("*.py"):
            rel = py.relative_to(src / folder).as_posix()
            target = prefix.replace(".", "/") + "/" + rel
            if target not in names:
                missing.append(target)
    assert not missing, f"source modules missing from the wheel: {missing}"


def test_wheel_declares_the_console_script(wheel_names: list[str]) -> None:
    assert any(name.endswith(".dist-info/entry_points.txt") for name in wheel_names)


# ---------------------------------------------------------------------------------------
# (c) qinspired.kernels imports from the right place
# ---------------------------------------------------------------------------------------


def test_kernels_subpackage_imports() -> None:
    import qinspired.kernels

    assert qinspired.kernels.__name__ == "qinspired.kernels"
    assert isinstance(qinspired.kernels.__all__, list)
    location = Path(qinspired.kernels.__file__).resolve().parent
    installed = Path(qinspired.__file__).resolve().parent / "kernels"
    assert location in {(REPO / "kernels").resolve(), installed}, location


# ---------------------------------------------------------------------------------------
# (d) the command line
# ---------------------------------------------------------------------------------------


def test_cli_info_prints_the_backend(capsys: pytest.CaptureFixture[str]) -> None:
    import jax

    assert main(["info"]) == 0
    out = capsys.readouterr().out
    backend_lines = [line for line in out.splitlines() if line.strip().startswith("backend")]
    assert len(backend_lines) == 1
    assert backend_lines[0].split()[-1] == jax.default_backend()
    assert out.startswith(f"qinspired {qinspired.__version__}")


def test_cli_info_json(capsys: pytest.CaptureFixture[str]) -> None:
    import jax

    x64_before = bool(jax.config.jax_enable_x64)
    assert main(["info", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == INFO_KEYS
    assert report["backend"] == jax.default_backend()
    assert report["jax_error"] is None
    assert report["x64_enabled"] == x64_before == bool(jax.config.jax_enable_x64)
    assert len(report["devices"]) == len(jax.devices())
    assert all(set(dev) == {"platform", "device_kind", "id"} for dev in report["devices"])
    assert set(report["versions"]) == {
        "qinspired", "python", "jax", "jaxlib", "numpy", "scikit-learn", "optax", "flax",
        "tensornetwork",
    }
    assert report["versions"]["jax"] == jax.__version__
    assert set(report["optional"]) == {
        "qiskit", "qiskit-machine-learning", "qiskit-aer", "pennylane", "tn4ml", "squlearn",
        "qulacs", "matplotlib", "tabulate", "skops", "mlflow", "jax-cuda12-plugin",
    }


def test_info_reports_the_packages_of_every_extra() -> None:
    # Every extra but `test` (test-only tools) and `all` (the union); `jax[cuda12]` is
    # installed as the jax-cuda12-plugin distribution.
    renamed = {"jax[cuda12]": "jax-cuda12-plugin"}
    expected: set[str] = set()
    for extra, requirements in PYPROJECT["project"]["optional-dependencies"].items():
        if extra in {"test", "all"}:
            continue
        for requirement in requirements:
            name = re.match(r"[A-Za-z0-9._-]+(\[[^]]*\])?", requirement).group(0)
            expected.add(renamed.get(name, name).lower().replace("_", "-"))
    assert set(qinspired.info()["optional"]) == expected


def test_info_function_matches_cli() -> None:
    report = qinspired.info()
    assert set(report) == INFO_KEYS
    json.dumps(report)  # serialisable


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["no-such-command"],
        ["quickstart", "--n-qubits", "0"],
        ["quickstart", "--batch", "many"],
        ["quickstart", "--seed", "-1"],
    ],
)
def test_cli_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_cli_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"qinspired {qinspired.__version__}"


def test_cli_quickstart_calls_run(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, int]] = []
    fake = types.ModuleType("qinspired._quickstart")

    def run(*, n_qubits: int, batch: int, reps: int, seed: int) -> None:
        calls.append({"n_qubits": n_qubits, "batch": batch, "reps": reps, "seed": seed})

    fake.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "qinspired._quickstart", fake)
    assert main(["quickstart"]) == 0
    assert main(["quickstart", "--n-qubits", "4", "--batch", "8", "--reps", "1", "--seed", "3"]) == 0
    assert calls == [
        {"n_qubits": 12, "batch": 1000, "reps": 2, "seed": 0},
        {"n_qubits": 4, "batch": 8, "reps": 1, "seed": 3},
    ]


def test_python_dash_m_qinspired() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "qinspired", "--version"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("qinspired ")


# ---------------------------------------------------------------------------------------
# (e) metadata and public API
# ---------------------------------------------------------------------------------------


def test_version_is_a_non_empty_string() -> None:
    assert isinstance(qinspired.__version__, str)
    assert qinspired.__version__


def test_all_is_sorted_unique_and_resolvable() -> None:
    names = qinspired.__all__
    assert names == sorted(names)
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(qinspired, name), name


def test_py_typed_is_shipped_with_the_source() -> None:
    assert (REPO / "qinspired" / "py.typed").is_file()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```(?:bash|sh|console)?\n(.*?)```", text, flags=re.S)
    assert block is not None
    commands = block.group(1).strip().splitlines()
    assert len(commands) == 2
    assert "qinspired" in commands[0] and "pip install" in commands[0]
    install, test_command = (part.strip() for part in commands[1].split("&&"))
    assert '".[test]"' in install
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_ci_script_is_executable() -> None:
    script = REPO / ".ci" / "run"
    assert script.is_file()
    assert os.access(script, os.X_OK)
