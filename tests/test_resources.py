"""The shipped-resource loader: a good file reads, a corrupt or missing one raises ResourceError
(exit 1 through the CLI, never 2), checked on a copy of a real shipped file."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from immunescape._resources import read_resource, resource_sha256
from immunescape.errors import InputError, ResourceError


def test_shipped_file_matches_independent_digest():
    import immunescape.genes

    path = Path(immunescape.genes.__file__).parent / "data" / "hs_genes.tsv.gz"
    raw = read_resource("immunescape.genes", "hs_genes.tsv.gz")
    assert raw == path.read_bytes()
    assert resource_sha256("immunescape.genes", "hs_genes.tsv.gz") == hashlib.sha256(
        path.read_bytes()
    ).hexdigest()


@pytest.fixture
def fake_package(tmp_path, monkeypatch):
    pkg = tmp_path / "fakeres"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    body = b"gene\tvalue\nCD8A\t1\n"
    (pkg / "data" / "t.tsv").write_bytes(body)
    (pkg / "data" / "t.tsv.sha256").write_text(hashlib.sha256(body).hexdigest() + "  t.tsv\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("fakeres", None)
    yield pkg
    sys.modules.pop("fakeres", None)


def test_reads_good_file(fake_package):
    assert read_resource("fakeres", "t.tsv") == b"gene\tvalue\nCD8A\t1\n"


def test_corrupt_file_is_a_resource_error_not_an_input_error(fake_package):
    (fake_package / "data" / "t.tsv").write_bytes(b"gene\tvalue\nCD8A\t2\n")
    with pytest.raises(ResourceError, match="corrupt.*reinstall") as info:
        read_resource("fakeres", "t.tsv")
    assert not isinstance(info.value, InputError)


@pytest.mark.parametrize("missing", ["t.tsv", "t.tsv.sha256"])
def test_missing_file_or_sidecar(fake_package, missing):
    (fake_package / "data" / missing).unlink()
    with pytest.raises(ResourceError, match="missing.*reinstall"):
        read_resource("fakeres", "t.tsv")


def test_cli_exit_code_is_one_for_a_broken_installation(monkeypatch, capsys):
    from immunescape import cli

    def broken(*args, **kwargs):
        raise ResourceError("the shipped file x/data/y is corrupt; reinstall the package")

    monkeypatch.setattr(cli, "_guard_inputs", broken)
    assert cli.main(["kb", "list"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "reinstall" in err[0]
