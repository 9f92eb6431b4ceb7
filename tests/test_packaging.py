"""The wheel must contain every package and the assets; pyproject lists packages by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python ≥ 3.11; the check is the same everywhere

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_on_disk_is_listed_in_pyproject() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "rnnviz").rglob("__init__.py")
    }
    assets = {
        ".".join(("rnnviz", "assets", *d.relative_to(ROOT / "assets").parts))
        for d in [ROOT / "assets", *(p for p in (ROOT / "assets").rglob("*") if p.is_dir())]
    }
    missing = (on_disk | assets) - listed
    assert not missing, f"add to pyproject's packages: {sorted(missing)}"


def test_console_script_points_at_the_cli() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["rnnviz"] == "rnnviz.cli:main"
