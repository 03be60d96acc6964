"""Conventions of the package's structure, checked on its source (as scanpy checks its API).

* the subpackages import each other in one direction only (no cycles, lazy imports included);
* neutral layers (``stats``, ``tables``, ``_ranks``, ``_resources``, ``_validate``, ``_result``,
  ``errors``) import no analysis subpackage;
* no module is over 600 lines;
* public functions take their data first and every option (a parameter with a default) by
  keyword only;
* results carry provenance in typed fields, never in ``DataFrame.attrs``;
* shipped files are read through the one checksummed loader.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections import defaultdict
from pathlib import Path

import pytest

import immunescape

SRC = Path(immunescape.__file__).parent
NEUTRAL = {"stats", "tables", "_ranks", "_resources", "_validate", "_result", "errors", "_vocab",
           "_version", "_logging", "_paths", "_yaml", "_output"}
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "immunescape"


def _imports(module: str, path: Path) -> set[str]:
    """Every immunescape module named by an import anywhere in the file (lazy ones too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "immunescape"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "immunescape":
                found.add(target)
    return found


def _layer_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in _modules().items():
        src = _layer(module)
        for target in _imports(module, path):
            dst = _layer(target)
            if dst != src and dst != "immunescape":
                graph[src].add(dst)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one layer (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_planted_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_subpackages():
    assert _cycles(_layer_graph()) == []


def test_neutral_layers_import_no_analysis_package():
    graph = _layer_graph()
    bad = {n: sorted(graph[n] - NEUTRAL) for n in NEUTRAL if graph.get(n, set()) - NEUTRAL}
    assert bad == {}


def test_no_module_over_600_lines():
    big = {
        name: n
        for name, path in _modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert big == {}


def _public_functions():
    seen = set()
    for info in pkgutil.walk_packages(immunescape.__path__, "immunescape."):
        if info.name.split(".")[-1].startswith("_") or info.name.startswith("immunescape.cli"):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if inspect.isfunction(obj) and (obj.__module__, obj.__qualname__) not in seen:
                seen.add((obj.__module__, obj.__qualname__))
                yield f"{info.name}.{name}", obj


def test_public_functions_take_options_by_keyword():
    """Data first (it may have a default), every other option keyword-only."""
    positional_options = []
    for qualname, func in _public_functions():
        params = list(inspect.signature(func).parameters.values())
        for p in params[1:]:
            if p.default is not p.empty and p.kind is p.POSITIONAL_OR_KEYWORD:
                positional_options.append(f"{qualname}({p.name})")
    assert positional_options == []


def test_no_provenance_in_dataframe_attrs():
    users = [
        f"{path.relative_to(SRC)}:{i}"
        for path in SRC.rglob("*.py")
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ".attrs" in line and "DataFrame.attrs" not in line
    ]
    assert users == []


@pytest.mark.parametrize("needle", ["hashlib.sha256(raw)", '.sha256").read_text'])
def test_shipped_files_are_checked_by_the_one_loader(needle):
    users = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if needle in path.read_text(encoding="utf-8") and path.name != "_resources.py"
    ]
    assert users == []
