"""The report's template and assets ship in the wheel (setuptools package-data)."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import immunescape.report

ROOT = Path(__file__).resolve().parents[2]


def test_templates_and_assets_are_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["immunescape"]
    package = Path(immunescape.report.__file__).parent
    files = sorted(p for d in ("templates", "assets") for p in (package / d).iterdir())
    assert files
    for f in files:
        rel = f.relative_to(package.parent).as_posix()
        assert any(fnmatch(rel, p) for p in patterns), (
            f"{rel} would be left out of the wheel: add '**/*{f.suffix}' to "
            "[tool.setuptools.package-data] immunescape in pyproject.toml"
        )
