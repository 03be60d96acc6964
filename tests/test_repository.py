"""The README's quick start, CI and the declared dependencies stay in step."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "immunescape"


def _quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    if block is None:
        pytest.fail("README quick start has no bash block")
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_has_exactly_two_commands_using_the_lock():
    cmds = _quick_start_commands()
    assert len(cmds) == 2, cmds
    install, tests = cmds
    assert "pip install" in install and "immunescape demo" in install
    assert "-c requirements.lock" in install, "the install must use the committed lock"
    assert (ROOT / "requirements.lock").is_file()
    assert tests.startswith("python3 -m pytest")


def test_ci_runs_both_readme_commands_in_a_fresh_virtual_environment():
    ci = (ROOT / ".ci/run").read_text()
    lines = [line.strip() for line in ci.splitlines()]
    for cmd in _quick_start_commands():
        assert cmd in lines, f".ci/run does not run the README command {cmd!r}"
    venv = next(i for i, line in enumerate(lines) if line.startswith("python3 -m venv"))
    activate = next(i for i, line in enumerate(lines) if "bin/activate" in line)
    first = lines.index(_quick_start_commands()[0])
    assert venv < activate < first, "the venv must be made and activated before installing"


def _locked() -> dict[str, str]:
    out = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        m = re.match(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if m:
            out.setdefault(_norm(m.group(1)), m.group(2))
    return out


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_norm(re.split(r"[ <>=!~;\[]", d, maxsplit=1)[0]) for d in meta["dependencies"]}


def _optional() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_norm(re.split(r"[ <>=!~;\[]", d, maxsplit=1)[0])
            for deps in meta.get("optional-dependencies", {}).values() for d in deps}


def _imports(path: Path) -> list[tuple[str, bool]]:
    """Top-level third-party modules a file imports, and whether the import is guarded."""
    tree = ast.parse(path.read_text())
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
            or isinstance(h.type, ast.Tuple) and any(
                isinstance(e, ast.Name) and e.id in ("ImportError", "ModuleNotFoundError")
                for e in h.type.elts)
            for h in node.handlers
        ):
            for inner in ast.walk(node):
                guarded.add(id(inner))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods = [node.module]
        else:
            continue
        for m in mods:
            top = m.split(".")[0]
            if top != "immunescape" and top not in sys.stdlib_module_names:
                out.append((top, id(node) in guarded))
    return out


def test_every_imported_distribution_is_declared():
    """Checked against installed metadata (which distribution provides each module)."""
    dists = packages_distributions()
    declared, optional = _declared(), _optional()
    missing = []
    for f in sorted(SRC.rglob("*.py")):
        for top, guarded in _imports(f):
            names = {_norm(d) for d in dists.get(top, [])}
            if not names:
                missing.append(f"{top} (in {f.relative_to(ROOT)}: not installed)")
            elif not names & declared and not (guarded and names & optional):
                missing.append(f"{top} -> {sorted(names)} (in {f.relative_to(ROOT)})")
    assert not missing, "undeclared imports:\n" + "\n".join(sorted(set(missing)))


def test_lock_pins_every_declared_dependency_and_its_requirements():
    locked = _locked()
    for name in _declared() | _optional() - {"immunescape", "tidepy"}:
        if name in ("ruff", "mypy"):  # dev-only tools, not in the test lock
            continue
        assert name in locked, f"{name} is declared but not pinned in requirements.lock"
    # the lock is closed under the installed requirements of what it pins
    for name in sorted(_declared()):
        try:
            reqs = requires(name) or []
        except PackageNotFoundError:  # pragma: no cover - then the import test fails
            continue
        for req in reqs:
            if "extra ==" in req or "sys_platform == \"win32\"" in req:
                continue
            dep = _norm(re.split(r"[ <>=!~;\[(]", req, maxsplit=1)[0])
            if "python_version" in req or "platform" in req:
                continue
            assert dep in locked, f"{dep} (required by {name}) is not pinned in the lock"
