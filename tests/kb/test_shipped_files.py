"""A damaged shipped KB is the installation's fault (ResourceError, exit 1); a broken user
file is the user's (SchemaError, exit 2). Checked on a copy of the real shipped files."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

import immunescape.kb
from immunescape import _resources
from immunescape.errors import InputError, ResourceError
from immunescape.kb import _checks, _load, load_kb, vocabulary

DATA = Path(immunescape.kb.__file__).parent / "data"
_CACHED = (
    _load._builtin_texts,
    _load._builtin_parsed,
    _load._builtin_kb,
    _checks.gene_knowledge,
    vocabulary._vocabulary,
    vocabulary.disclaimer,
)


def _clear() -> None:
    for fn in _CACHED:
        fn.cache_clear()


@pytest.fixture
def shipped_copy(tmp_path, monkeypatch):
    """The shipped data files copied to tmp_path, read by the package instead of its own."""
    root = tmp_path / "kbpkg"
    shutil.copytree(DATA, root / "data")
    real = _resources.resources.files

    def files(package):
        return root if package == "immunescape.kb" else real(package)

    monkeypatch.setattr(_resources.resources, "files", files)
    _clear()
    yield root / "data"
    _clear()


def _resign(path: Path) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n")


def test_sidecars_match_the_shipped_files():
    files = sorted(DATA.glob("*.yaml"))
    assert {f.name for f in files} >= {"kb.yaml", "genes.yaml", "vocabulary.yaml"}
    for f in files:
        side = (DATA / f"{f.name}.sha256").read_text().split()
        assert side == [hashlib.sha256(f.read_bytes()).hexdigest(), f.name], f.name


def test_the_copy_loads_like_the_package(shipped_copy):
    # the copy differs from the package by a comment: the loaded digests must be the copy's
    links = shipped_copy / "links.yaml"
    links.write_bytes(links.read_bytes() + b"\n# edited copy\n")
    _resign(links)
    kb = load_kb()
    assert kb.files == {
        name: hashlib.sha256((shipped_copy / name).read_bytes()).hexdigest() for name in kb.files
    }
    assert {"kb.yaml", "mechanisms.yaml", "links.yaml"} <= set(kb.files)
    assert set(load_kb().mechanisms) >= {"ifng_pathway_loss", "hla_genotype"}


@pytest.mark.parametrize(
    "name", ["mechanisms.yaml", "kb.yaml", "genes.yaml", "vocabulary.yaml", "links.yaml"]
)
def test_an_edited_shipped_file_is_a_resource_error(shipped_copy, name):
    path = shipped_copy / name
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    with pytest.raises(ResourceError, match="corrupt.*reinstall") as info:
        load_kb()
        vocabulary.level_texts()
    assert not isinstance(info.value, InputError)


def test_a_missing_shipped_file_is_a_resource_error(shipped_copy):
    (shipped_copy / "evidence.yaml").unlink()
    with pytest.raises(ResourceError, match="missing.*reinstall"):
        load_kb()


def test_a_shipped_file_that_breaks_the_schema_is_a_resource_error(shipped_copy):
    path = shipped_copy / "mechanisms.yaml"
    text = path.read_text(encoding="utf-8")
    assert "category: tumour_intrinsic" in text
    path.write_text(text.replace("category: tumour_intrinsic", "category: nowhere", 1))
    _resign(path)  # a consistent checksum: the content itself is wrong
    with pytest.raises(ResourceError, match="shipped knowledge base is invalid.*category"):
        load_kb()


def test_cli_exit_codes_shipped_versus_user_file(shipped_copy, tmp_path, capsys):
    from immunescape.cli import main

    user = tmp_path / "mine.yaml"
    user.write_text("mechanisms:\n  - id: Bad Id\n")
    assert main(["kb", "validate", str(user)]) == 2  # the user's file: exit 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mine.yaml" in err[0]

    path = shipped_copy / "countermeasures.yaml"
    path.write_bytes(path.read_bytes()[:-20])  # truncated
    _clear()  # as in a new process
    assert main(["kb", "list"]) == 1  # the installation: exit 1, asks for a reinstall
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "reinstall" in err[0] and "countermeasures.yaml" in err[0]


def test_one_disclaimer_defined_in_the_manifest():
    import yaml

    from immunescape.kb import DISCLAIMER
    from immunescape.report import DISCLAIMER as REPORT_DISCLAIMER

    manifest = yaml.safe_load((DATA / "kb.yaml").read_text(encoding="utf-8"))
    assert DISCLAIMER == " ".join(manifest["disclaimer"].split()) == REPORT_DISCLAIMER
    assert "not treatment advice" in DISCLAIMER
    assert DISCLAIMER == " ".join(load_kb().manifest.disclaimer.split())
