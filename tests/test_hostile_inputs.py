"""Malformed, hostile and edge-case input across every command.

Each refused case must: exit 2; print exactly one line on stderr, starting with
``immunescape: error:``; print no traceback; leave no output behind; and leave every input
file byte-identical. Each accepted case (files a user expects to work: Latin-1, BOM, CRLF,
UTF-16, hostile sample ids) must exit 0. Exit code 1 (internal error) must never happen.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from immunescape.cli import main
from immunescape.datasets import simulate_cohort, write_cohort


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict[str, Path]:
    """A small valid cohort (24 simulated patients): every input file a command takes."""
    d = write_cohort(simulate_cohort(24, n_genes=3000, seed=7),
                     tmp_path_factory.mktemp("hostile") / "cohort")
    return {p.stem: p for p in d.iterdir() if p.suffix == ".tsv"}


@dataclass
class Case:
    """An invocation built in a fresh folder from the valid base files."""

    id: str
    build: Callable[[Path, dict[str, Path]], list[str]]
    accepted: bool = False


def _frame(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def _put(tmp: Path, name: str, content: str | bytes) -> str:
    p = tmp / name
    if isinstance(content, str):
        p.write_text(content)
    else:
        p.write_bytes(content)
    return str(p)


def _edit(tmp: Path, src: Path, name: str, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> str:
    df = fn(_frame(src).copy())
    p = tmp / name
    df.to_csv(p, sep="\t", index=False)
    return str(p)


def _expr_text(b: dict[str, Path]) -> str:
    return b["expression"].read_text()


# ----------------------------------------------------------------- expression files
def _expr_cases() -> list[Case]:
    def score(make: Callable[[Path, dict[str, Path]], str], *extra: str):
        return lambda t, b: ["score", make(t, b), *extra]

    def run(make: Callable[[Path, dict[str, Path]], str], *extra: str):
        return lambda t, b: ["run", "--expr", make(t, b), *extra]

    def head_only(t, b):
        return _put(t, "e.tsv", _expr_text(b).splitlines()[0] + "\n")

    def one_column(t, b):
        return _put(t, "e.tsv", "\n".join(ln.split("\t")[0] for ln in
                                          _expr_text(b).splitlines()) + "\n")

    def space_delimited(t, b):
        return _put(t, "e.tsv", _expr_text(b).replace("\t", " "))

    def dup_samples(t, b):
        lines = _expr_text(b).splitlines()
        cols = lines[0].split("\t")
        cols[2] = cols[1]
        return _put(t, "e.tsv", "\n".join(["\t".join(cols), *lines[1:]]) + "\n")

    def edit_values(fn):
        def make(t, b):
            df = pd.read_csv(b["expression"], sep="\t", index_col=0)
            df = fn(df)
            df.to_csv(t / "e.tsv", sep="\t")
            return str(t / "e.tsv")
        return make

    def truncated_gz(t, b):
        data = gzip.compress(b["expression"].read_bytes())
        return _put(t, "e.tsv.gz", data[: len(data) // 2])

    def ids_unknown(t, b):
        df = pd.read_csv(b["expression"], sep="\t", index_col=0)
        df.index = [f"NOTAGENE{i}" for i in range(len(df))]
        df.to_csv(t / "e.tsv", sep="\t")
        return str(t / "e.tsv")

    def recode(encoding: str, *, bom: bytes = b"", crlf: bool = False):
        def make(t, b):
            text = _expr_text(b).replace("SIM001", "Pat\u00e9001")
            if crlf:
                text = text.replace("\n", "\r\n")
            return _put(t, "e.tsv", bom + text.encode(encoding))
        return make

    def hostile_ids(t, b):
        lines = _expr_text(b).splitlines()
        cols = lines[0].split("\t")
        cols[1] = "<script>alert(1)</script>"
        cols[2] = "x" * 400
        return _put(t, "e.tsv", "\n".join(["\t".join(cols), *lines[1:]]) + "\n")

    def set_cell(value, transform=lambda d: d):
        def fn(d):
            d = transform(d).astype(object)
            d.iloc[5, 2] = value
            return d
        return fn

    nan_most = edit_values(lambda d: d.mask(np.broadcast_to(
        (np.arange(len(d)) % 3 != 0)[:, None], d.shape)))
    text_cell = edit_values(set_cell("high"))
    return [
        Case("expr missing", score(lambda t, b: str(t / "nope.tsv"))),
        Case("expr empty", score(lambda t, b: _put(t, "e.tsv", ""))),
        Case("expr header only", score(head_only)),
        Case("expr binary", score(lambda t, b: _put(t, "e.tsv", bytes(range(256)) * 8))),
        Case("expr truncated gzip", score(truncated_gz)),
        Case("expr corrupt parquet", score(lambda t, b: _put(t, "e.parquet", b"PAR1junkjunk"))),
        Case("expr corrupt h5ad", score(lambda t, b: _put(t, "e.h5ad",
                                                           b"\x89HDF\r\n\x1a\njunk" * 4))),
        Case("expr xlsx", score(lambda t, b: _put(t, "e.xlsx", b"PK\x03\x04junk"))),
        Case("expr rds", score(lambda t, b: _put(t, "e.rds", b"X\n\x00\x00junk"))),
        Case("expr directory", score(lambda t, b: str(t))),
        Case("expr one column", score(one_column)),
        Case("expr space delimited", score(space_delimited)),
        Case("expr duplicated samples", score(dup_samples)),
        Case("expr missing in most genes", score(nan_most)),
        Case("expr +inf", score(edit_values(set_cell(np.inf)))),
        Case("expr -inf", score(edit_values(set_cell(-np.inf, lambda d: np.log2(d + 1))))),
        Case("expr text cell", score(text_cell)),
        Case("expr negative counts", score(edit_values(lambda d: d - d.max().max()),
                                           "--unit", "counts")),
        Case("expr unit contradiction", score(lambda t, b: str(b["expression"]),
                                              "--unit", "log2tpm")),
        Case("expr no known gene", score(ids_unknown)),
        Case("expr 1e308", score(edit_values(set_cell(1e308)))),
        Case("expr bad unit word", score(lambda t, b: str(b["expression"]), "--unit", "banana")),
        Case("expr bad genes-in", score(lambda t, b: str(b["expression"]),
                                        "--genes-in", "diagonal")),
        Case("expr bad log offset", score(lambda t, b: str(b["expression"]),
                                          "--log-offset", "abc")),
        Case("expr bad min coverage", score(lambda t, b: str(b["expression"]),
                                            "--min-coverage", "2")),
        Case("expr unknown --only", score(lambda t, b: str(b["expression"]),
                                          "--only", "no_such_signature")),
        Case("run expr missing", run(lambda t, b: str(t / "nope.tsv"))),
        Case("run expr binary", run(lambda t, b: _put(t, "e.tsv", b"\x00\x01" * 100))),
        Case("expr latin-1", score(recode("latin-1")), accepted=True),
        Case("expr utf-8 BOM", score(recode("utf-8", bom=b"\xef\xbb\xbf")), accepted=True),
        Case("expr CRLF", score(recode("utf-8", crlf=True)), accepted=True),
        Case("expr UTF-16", score(recode("utf-16")), accepted=True),
        Case("expr hostile ids", run(hostile_ids), accepted=True),
        Case("expr gz", score(lambda t, b: _put(t, "e.tsv.gz", gzip.compress(
            b["expression"].read_bytes()))), accepted=True),
    ]


# ----------------------------------------------------------------- clinical tables
def _clinical_cases() -> list[Case]:
    def run(make, *extra: str):
        return lambda t, b: ["run", "--expr", str(b["expression"]), "--clinical", make(t, b),
                             *extra]

    def compare(make, *extra: str):
        return lambda t, b: ["compare", "--expr", str(b["expression"]), "--clinical",
                             make(t, b), *extra]

    def col(name, fn):
        return lambda t, b: _edit(t, b["clinical"], "c.tsv", lambda d: d.assign(**{name: fn(d)}))

    def first_n(n):
        return lambda t, b: _edit(t, b["clinical"], "c.tsv", lambda d: d.head(n))

    def one_class(t, b):
        return _edit(t, b["clinical"], "c.tsv",
                     lambda d: d.assign(recist="PR", response="R"))

    def other_ids(t, b):
        return _edit(t, b["clinical"], "c.tsv",
                     lambda d: d.assign(sample_id="X" + d["sample_id"]))

    def dup_ids(t, b):
        return _edit(t, b["clinical"], "c.tsv",
                     lambda d: d.assign(sample_id=[d["sample_id"][0]] * len(d)))

    def two_recist(t, b):
        return _edit(t, b["clinical"], "c.tsv",
                     lambda d: d.assign(BOR=d["recist"][::-1].to_numpy()))

    def tab_id(t, b):
        return _edit(t, b["clinical"], "c.tsv", lambda d: d.assign(
            sample_id=d["sample_id"].where(d.index != 0, "SIM\t001")))

    return [
        Case("clinical missing", run(lambda t, b: str(t / "nope.tsv"))),
        Case("clinical empty", run(lambda t, b: _put(t, "c.tsv", ""))),
        Case("clinical header only", run(lambda t, b: _put(
            t, "c.tsv", b["clinical"].read_text().splitlines()[0] + "\n"))),
        Case("clinical binary", run(lambda t, b: _put(t, "c.tsv", b"\x00\xff" * 64))),
        Case("clinical ids match nothing", run(other_ids)),
        Case("clinical duplicated ids", run(dup_ids)),
        Case("clinical id with tab", run(tab_id), accepted=True),  # matches nothing: warned
        Case("clinical unknown response word", run(col("recist", lambda d: "maybe"))),
        Case("clinical negative survival", run(col("os_months", lambda d: "-5"))),
        Case("clinical text survival", run(col("os_months", lambda d: "long"))),
        Case("clinical event not 0/1", run(col("os_event", lambda d: "7"))),
        Case("clinical two RECIST columns disagree", run(two_recist)),
        Case("clinical bad sd rule", run(lambda t, b: str(b["clinical"]), "--sd-rule", "banana")),
        Case("clinical unknown sample col", run(lambda t, b: str(b["clinical"]),
                                                "--sample-col", "nope")),
        Case("compare one class", compare(one_class)),
        Case("compare one sample", compare(first_n(1))),
        Case("compare two samples", compare(first_n(2))),
        Case("compare missing time col", compare(lambda t, b: str(b["clinical"]),
                                                 "--time-col", "nope", "--event-col", "os_event")),
        Case("compare time without event", compare(lambda t, b: str(b["clinical"]),
                                                   "--time-col", "os_months")),
        Case("compare binary rule on RECIST", compare(lambda t, b: str(b["clinical"]),
                                                      "--response-col", "recist",
                                                      "--response-rule", "binary")),
        Case("compare bad response rule", compare(lambda t, b: str(b["clinical"]),
                                                  "--response-rule", "banana")),
        Case("compare bad cut", compare(lambda t, b: str(b["clinical"]), "--cut", "banana")),
        Case("run bad response map", run(lambda t, b: str(b["clinical"]),
                                         "--response-map", "long-survival")),
        Case("run response map to nowhere", run(lambda t, b: str(b["clinical"]),
                                                "--response-map", "PD=maybe")),
        Case("compare bad ci", compare(lambda t, b: str(b["clinical"]), "--ci", "banana")),
        Case("compare paired without columns", compare(lambda t, b: str(b["clinical"]),
                                                       "--paired")),
        Case("compare nothing to compare", lambda t, b: ["compare", "--clinical",
                                                          str(b["clinical"])]),
        Case("compare bad min per group", compare(lambda t, b: str(b["clinical"]),
                                                  "--min-per-group", "many")),
    ]


# ----------------------------------------------------------------- genomic files
def _genomic_cases() -> list[Case]:
    def gen(make_maf, *extra: str, capture: str | None = "30"):
        def build(t, b):
            args = ["genomics", "--maf", make_maf(t, b)]
            return args + (["--capture-mb", capture] if capture is not None else []) + list(extra)
        return build

    def maf(fn):
        return lambda t, b: _edit(t, b["maf"], "m.tsv", fn)

    def other(kind: str, fn, option: str):
        def build(t, b):
            return ["genomics", "--maf", str(b["maf"]), "--capture-mb", "30", option,
                    _edit(t, b[kind], f"{kind}.tsv", fn)]
        return build

    def first_col(d, col, value):
        d = d.copy()
        d.loc[d.index[0], col] = value
        return d

    base_maf = lambda t, b: str(b["maf"])  # noqa: E731
    return [
        Case("maf missing", gen(lambda t, b: str(t / "nope.maf"))),
        Case("maf empty", gen(lambda t, b: _put(t, "m.maf", ""))),
        Case("maf header only", gen(lambda t, b: _put(
            t, "m.maf", b["maf"].read_text().splitlines()[0] + "\n"))),
        Case("maf binary", gen(lambda t, b: _put(t, "m.maf", b"\x00\x10" * 100))),
        Case("maf no required columns", gen(maf(lambda d: d.drop(
            columns=["Hugo_Symbol", "Variant_Classification"])))),
        Case("maf negative position", gen(maf(lambda d: first_col(d, "Start_Position", "-5")))),
        Case("maf chr23", gen(maf(lambda d: first_col(d, "Chromosome", "chr23")))),
        Case("maf negative depth", gen(maf(lambda d: first_col(d, "t_depth", "-3")))),
        Case("maf unknown class", gen(maf(lambda d: first_col(d, "Variant_Classification",
                                                              "Banana_Mutation")))),
        Case("maf all HGVSp malformed", gen(maf(lambda d: d.assign(HGVSp_Short="p.???")))),
        Case("maf no capture", gen(base_maf, capture=None)),
        Case("maf capture zero", gen(base_maf, capture="0")),
        Case("maf capture negative", gen(base_maf, capture="-3")),
        Case("maf capture text", gen(base_maf, capture="exome")),
        Case("maf bad malformed-hgvs", gen(base_maf, "--malformed-hgvs", "ignore")),
        Case("maf bad assay", gen(base_maf, "--assay", "banana")),
        Case("maf bad tmb rule", gen(base_maf, "--tmb-rule", "banana")),
        Case("maf bad genome build", lambda t, b: [
            "genomics", "--maf", str(b["maf"]), "--capture-mb", "30", "--segments",
            _put(t, "s.tsv", "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n"
                 "SIM001\t1\t100\t2000000\t10\t-0.5\n"), "--genome-build", "hg99"]),
        Case("cna out of range", other("cna", lambda d: d.replace(d.iloc[0, 1], "5"), "--cna")),
        Case("cna text value", other("cna", lambda d: d.replace(d.iloc[0, 1], "lost"), "--cna")),
        Case("hla malformed allele", other("hla", lambda d: d.replace(d.iloc[0, 1], "HLA-Q*99"),
                                           "--hla")),
        Case("hla loh text p-value", other("hla_loh", lambda d: d.assign(PVal_unique="low"),
                                          "--hla-loh")),
        Case("segments negative start", lambda t, b: [
            "genomics", "--segments", _put(t, "s.tsv",
                                           "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n"
                                           "SIM001\t1\t-100\t2000000\t10\t-0.5\n"),
            "--genome-build", "GRCh37"]),
        Case("segments chr23", lambda t, b: [
            "genomics", "--segments", _put(t, "s.tsv",
                                           "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n"
                                           "SIM001\tchr23\t100\t2000000\t10\t-0.5\n"),
            "--genome-build", "GRCh37"]),
        Case("segments end before start", lambda t, b: [
            "genomics", "--segments", _put(t, "s.tsv",
                                           "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n"
                                           "SIM001\t1\t5000\t100\t10\t-0.5\n"),
            "--genome-build", "GRCh37"]),
        Case("genomics nothing given", lambda t, b: ["genomics"]),
        Case("genomics expr shares no sample", lambda t, b: [
            "genomics", "--maf", str(b["maf"]), "--capture-mb", "30", "--expr",
            _edit(t, b["expression"], "e.tsv", lambda d: d.rename(
                columns={c: "X" + c for c in d.columns[1:]}))]),
        Case("run maf without capture", lambda t, b: ["run", "--expr", str(b["expression"]),
                                                      "--maf", str(b["maf"])]),
        Case("run bad dna-samples", lambda t, b: ["run", "--expr", str(b["expression"]),
                                                  "--dna-samples", "banana"]),
    ]


# ----------------------------------------------------------------- extensions, KB, models
def _extension_cases() -> list[Case]:
    def sig(content: str, name: str):
        return lambda t, b: ["score", str(b["expression"]), "--signatures",
                             _put(t, name, content)]

    def kbv(content: str):
        return lambda t, b: ["kb", "validate", _put(t, "kb.yaml", content)]

    def model(content: bytes | str, name: str = "m.json"):
        return lambda t, b: ["predict", "--model", _put(t, name, content), "--expr",
                             str(b["expression"])]

    return [
        Case("gmt one field", sig("only_a_name\n", "x.gmt")),
        Case("gmt no genes", sig("set1\tdescription\n", "x.gmt")),
        Case("gmt binary", sig("\x00\x01\x02", "x.gmt")),
        Case("yaml syntax error", sig("signatures: [unclosed\n", "x.yaml")),
        Case("yaml wrong schema", sig("signatures:\n  - id: 5\n    genes: nope\n", "x.yaml")),
        Case("yaml unknown method", sig("signatures:\n  - id: mine\n    name: Mine\n"
                                        "    method: banana\n    genes: [CD8A, GZMA]\n",
                                        "x.yaml")),
        Case("yaml duplicate id", sig("signatures:\n  - id: cyt\n    name: again\n"
                                      "    method: mean\n    genes: [CD8A]\n", "x.yaml")),
        Case("signature file missing", lambda t, b: ["score", str(b["expression"]),
                                                     "--signatures", str(t / "nope.gmt")]),
        Case("kb syntax error", kbv("mechanisms: [\n")),
        Case("kb wrong schema", kbv("mechanisms:\n  - id: 3\n")),
        Case("kb unknown reference", kbv(
            "links:\n  - mechanism: no_such_mechanism\n    countermeasure: anti_lag3\n")),
        Case("kb not a mapping", kbv("- just\n- a list\n")),
        Case("kb show unknown", lambda t, b: ["kb", "show", "no_such_id"]),
        Case("signatures show unknown", lambda t, b: ["signatures", "show", "no_such_id"]),
        Case("signatures list bad kind", lambda t, b: ["signatures", "list", "--kind", "banana"]),
        Case("model wrong schema", model(json.dumps({"schema": "something else"}))),
        Case("model pickle", model(pickle.dumps({"a": 1}), "m.pkl")),
        Case("model not json", model("this is not json")),
        Case("model unknown name", lambda t, b: ["predict", "--model", "no_such_model",
                                                 "--expr", str(b["expression"])]),
        Case("predict no input", lambda t, b: ["predict", "--model", "cyt"]),
        Case("train no cohort", lambda t, b: ["train"]),
        Case("train malformed cohort spec", lambda t, b: ["train", "--cohort", "a:b:c:d:e"]),
        Case("evaluate cohort files missing", lambda t, b: [
            "evaluate", "--cohort", f"{t / 'x.tsv'}:{t / 'y.tsv'}"]),
    ]


# ----------------------------------------------------------------- options and outputs
def _option_cases() -> list[Case]:
    e = lambda b: str(b["expression"])  # noqa: E731
    return [
        Case("unknown command", lambda t, b: ["frobnicate"]),
        Case("unknown option", lambda t, b: ["score", e(b), "--frobnicate"]),
        Case("demo n-samples text", lambda t, b: ["demo", "--n-samples", "many"]),
        Case("demo n-samples zero", lambda t, b: ["demo", "--n-samples", "0"]),
        Case("demo n-samples negative", lambda t, b: ["demo", "--n-samples", "-4"]),
        Case("output is a file", lambda t, b: ["score", e(b), "-o", _put(t, "f.txt", "x")]),
        Case("output not ours", lambda t, b: ["score", e(b), "-o", str(_foreign(t / "mine"))]),
        Case("output holds the input", lambda t, b: [
            "score", str(_copy_into(t / "prev", b["expression"])), "-o", str(t / "prev")]),
        Case("output unwritable", lambda t, b: ["score", e(b), "-o", "/proc/immunescape/out"]),
        Case("train output is input", lambda t, b: [
            "train", "--cohort", f"{e(b)}:{b['clinical']}", "-o", e(b)]),
        Case("missing -o", lambda t, b: ["score", e(b), "--no-output"]),
    ]


def _foreign(folder: Path) -> Path:
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    return folder


def _copy_into(folder: Path, src: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(json.dumps({"software": {"name": "immunescape"}}))
    dst = folder / src.name
    dst.write_bytes(src.read_bytes())
    return dst


CASES = _expr_cases() + _clinical_cases() + _genomic_cases() + _extension_cases() \
    + _option_cases()


def test_there_are_at_least_100_cases():
    assert len(CASES) >= 100
    assert len({c.id for c in CASES}) == len(CASES)


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, base, tmp_path, capsys):
    work = tmp_path / "in"
    work.mkdir()
    argv = case.build(work, base)
    if "-o" not in argv and "--help" not in argv:
        argv = [*argv, "-o", str(tmp_path / ("model.json" if argv[0] == "train" else "out"))]
    before_work, before_base = _digest(work), _digest(base["expression"].parent)
    code = main(argv)
    err = capsys.readouterr().err
    assert _digest(base["expression"].parent) == before_base, "a base input file changed"
    after = _digest(work)
    for name, digest in before_work.items():
        assert after.get(name) == digest, f"input {name} was modified or deleted"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in err
    if case.accepted:
        assert code == 0, err
        return
    assert code == 2, f"exit {code}: {err}"
    assert len(lines) == 1 and lines[0].startswith("immunescape: error:"), err
    assert not (tmp_path / "out").exists() and not (tmp_path / "model.json").exists()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")]
    assert not leftovers, f"partial output left behind: {leftovers}"
