"""Re-running into an output directory: only what immunescape wrote there may be replaced."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from immunescape._output import write_outputs
from immunescape.cli import main
from immunescape.errors import InputError

GENES = ["GZMA", "PRF1", "CD274", "IFNG", "STAT1", "IDO1", "CXCL9", "CXCL10", "HLA-DRA",
         "CD8A", "B2M", "ACTB", "GAPDH", "PTEN", "VEGFA"]


def _expr(tmp_path: Path, seed: int = 0, name: str = "expr.tsv") -> Path:
    rng = np.random.default_rng(seed)
    X = np.round(np.exp(rng.normal(3, 1.5, size=(len(GENES), 8))), 3)
    p = tmp_path / name
    pd.DataFrame(X, index=GENES, columns=[f"P{i}" for i in range(8)]).to_csv(
        p, sep="\t", index_label="gene")
    return p


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _score(capsys, expr: Path, out: Path) -> tuple[int, list[str]]:
    code = main(["score", str(expr), "-o", str(out)])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    return code, err


def test_run_json_lists_every_file_written(tmp_path, capsys):
    out = tmp_path / "out"
    assert _score(capsys, _expr(tmp_path), out)[0] == 0
    listed = json.loads((out / "run.json").read_text())["files_written"]
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert listed == [f for f in on_disk if f != "run.json"]
    assert "scores.tsv" in listed


@pytest.mark.parametrize("extra", ["my_notes.txt", "plots/a.png"])
def test_user_files_in_an_earlier_output_are_refused_and_kept(tmp_path, capsys, extra):
    out = tmp_path / "out"
    assert _score(capsys, _expr(tmp_path), out)[0] == 0
    (out / extra).parent.mkdir(exist_ok=True)
    (out / extra).write_text("mine")
    before = _files(out)
    code, err = _score(capsys, _expr(tmp_path, seed=1, name="other.tsv"), out)
    assert code == 2
    assert len(err) == 1 and err[0].startswith("immunescape: error:")
    shown = extra.split("/")[0] + ("/" if "/" in extra else "")
    assert str(out) in err[0] and shown in err[0] and "new or empty directory" in err[0]
    assert _files(out) == before  # the user's file and the earlier output are untouched


def test_an_empty_folder_of_the_user_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    assert _score(capsys, _expr(tmp_path), out)[0] == 0
    (out / "plots").mkdir()
    code, err = _score(capsys, _expr(tmp_path), out)
    assert code == 2 and "plots/" in err[0]
    assert (out / "plots").is_dir()


def test_an_earlier_output_alone_is_replaced(tmp_path, capsys):
    out = tmp_path / "out"
    assert _score(capsys, _expr(tmp_path), out)[0] == 0
    first = (out / "scores.tsv").read_bytes()
    assert _score(capsys, _expr(tmp_path, seed=1, name="other.tsv"), out)[0] == 0
    assert (out / "scores.tsv").read_bytes() != first
    assert "other.tsv" in json.dumps(json.loads((out / "run.json").read_text())["command"])
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_a_run_json_without_the_list_of_files_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"software": {"name": "immunescape"}}))
    (out / "scores.tsv").write_text("x")
    code, err = _score(capsys, _expr(tmp_path), out)
    assert code == 2 and "did not list its files" in err[0]
    assert (out / "scores.tsv").read_text() == "x"


def test_a_failure_mid_write_keeps_the_old_output(tmp_path):
    out = tmp_path / "out"
    write_outputs(out, tables={}, texts={"a.txt": "old"}, run={})
    before = _files(out)

    def broken(folder: Path) -> None:
        (folder / "half.txt").write_text("partial")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_outputs(out, tables={}, texts={"a.txt": "new"}, writers=[broken], run={})
    assert _files(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary left behind


def test_a_file_added_while_the_run_writes_is_kept(tmp_path):
    out = tmp_path / "out"
    write_outputs(out, tables={}, texts={"a.txt": "old"}, run={})

    def user_meanwhile(_folder: Path) -> None:
        (out / "notes.txt").write_text("written during the run")

    with pytest.raises(InputError, match="notes.txt"):
        write_outputs(out, tables={}, texts={"a.txt": "new"}, writers=[user_meanwhile], run={})
    assert (out / "notes.txt").read_text() == "written during the run"
    assert (out / "a.txt").read_text() == "old"


def test_the_refusal_comes_before_the_work(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    assert _score(capsys, _expr(tmp_path), out)[0] == 0
    (out / "notes.txt").write_text("mine")

    def no_work(*_a, **_k):
        raise AssertionError("the pipeline ran although the output directory is refused")

    monkeypatch.setattr("immunescape.pipeline.run_pipeline", no_work)
    code = main(["run", "--expr", str(_expr(tmp_path)), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "notes.txt" in err, err
    assert (out / "notes.txt").read_text() == "mine"


def test_output_under_a_file_or_empty_is_refused_before_any_work(tmp_path, capsys,
                                                                   monkeypatch):
    import immunescape.pipeline

    def no_work(*args, **kwargs):
        raise AssertionError("the pipeline ran before -o was checked")

    monkeypatch.setattr(immunescape.pipeline, "run_pipeline", no_work)
    expr = _expr(tmp_path)
    code = main(["run", "--expr", str(expr), "-o", str(expr / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "is a file" in err and str(expr) in err
    code = main(["run", "--expr", str(expr), "-o", ""])
    err = capsys.readouterr().err
    assert code == 2 and "output path is empty" in err
