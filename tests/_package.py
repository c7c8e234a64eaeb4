"""The package's modules as found on disk, for tests that check every module."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def package_modules() -> list[str]:
    """Every module of the package, found on disk (kernels/ ships as qinspired.kernels)."""
    names = []
    for root, package in ((REPO / "qinspired", "qinspired"), (REPO / "kernels", "qinspired.kernels")):
        for path in sorted(root.rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if parts and parts[-1] == "__main__":
                continue
            names.append(".".join([package, *parts]))
    return names
