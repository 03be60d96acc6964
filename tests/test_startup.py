"""Start-up cost: the CLI's help and `kb list` do not import the scientific stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SRC = str(Path(__file__).resolve().parents[1] / "src")
HEAVY = ("numpy", "pandas", "scipy", "sklearn")


def _modules_after(code: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    script = (
        "import contextlib, io, json, sys\n"
        + code
        + f"\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_cli_and_help_skip_the_scientific_stack():
    loaded = _modules_after(
        "import immunescape.cli\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    code = immunescape.cli.main(['--help'])\n"
        "assert code == 0 and 'Usage' in buf.getvalue(), buf.getvalue()\n"
    )
    assert not any(loaded.values()), loaded


def test_kb_list_skips_the_scientific_stack():
    loaded = _modules_after(
        "import immunescape.cli\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    code = immunescape.cli.main(['kb', 'list'])\n"
        "assert code == 0 and buf.getvalue().startswith('id\\tkind'), buf.getvalue()[:200]\n"
    )
    assert not any(loaded.values()), loaded


def test_kb_list_output_equals_the_kb_table():
    from immunescape.cli import main
    from immunescape.kb import kb_table

    table = kb_table(kind="all")
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["kb", "list"]) == 0
    assert buf.getvalue().rstrip() == table.to_csv(sep="\t", index=False).rstrip()


def test_lazy_public_api():
    import immunescape as ie
    import immunescape.recommend  # binds the subpackage; the function must stay visible
    from immunescape.signatures.runner import score

    assert ie.score is score
    assert callable(ie.recommend) and ie.recommend.__module__ == "immunescape.recommend"
    assert set(ie.__all__) <= set(dir(ie))
    with pytest.raises(AttributeError):
        ie.no_such_name  # noqa: B018


def test_c_loader_reads_the_shipped_yaml_as_the_python_loader():
    from immunescape import _yaml

    root = Path(SRC) / "immunescape"
    files = sorted((root / "kb" / "data").glob("*.yaml"))
    files += sorted((root / "signatures" / "data").glob("*.yaml"))
    files += sorted((root / "genomics" / "data").glob("*.yaml"))
    assert files
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert _yaml.safe_load(text) == yaml.load(text, Loader=yaml.SafeLoader), f.name
    if getattr(yaml, "__with_libyaml__", False):
        assert _yaml._LOADER is yaml.CSafeLoader
