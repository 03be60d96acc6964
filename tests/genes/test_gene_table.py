"""The vendored gene table: checksum, provenance, content checked against NCBI/HGNC facts."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
from importlib import resources
from pathlib import Path

import pytest

from immunescape import _resources
from immunescape.errors import ResourceError
from immunescape.genes import _table, gene_table, gene_table_info

DATA = resources.files("immunescape.genes").joinpath("data")
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_gene_table.py"


def _manifest() -> dict:
    return json.loads(DATA.joinpath("hs_genes.json").read_text())


def test_checksum_matches_manifest_and_sidecar():
    raw = DATA.joinpath("hs_genes.tsv.gz").read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    assert digest == _manifest()["sha256"]
    sidecar = DATA.joinpath("hs_genes.tsv.gz.sha256").read_text().split()
    assert sidecar == [digest, "hs_genes.tsv.gz"]
    manifest_digest = hashlib.sha256(DATA.joinpath("hs_genes.json").read_bytes()).hexdigest()
    assert DATA.joinpath("hs_genes.json.sha256").read_text().split() == [
        manifest_digest, "hs_genes.json"
    ]
    assert len(raw) == _manifest()["bytes"]


def test_table_is_small():
    assert len(DATA.joinpath("hs_genes.tsv.gz").read_bytes()) < 3_000_000


def test_manifest_provenance():
    manifest = _manifest()
    assert manifest["source"]["package"] == "r-bioc-org.hs.eg.db"
    assert manifest["source"]["version"] == "3.16.0-1"
    # sha256 of the .deb as published in Debian bookworm's Packages index
    assert (
        manifest["source"]["deb_sha256"]
        == "0f61810d35b858915b1a9787d8dcab08b7e164c14c20a9e1d86eb9837308c2c2"
    )
    assert manifest["source"]["ncbi_gene_date"] == "2022-Sep12"
    raw = DATA.joinpath("hs_genes.tsv.gz").read_bytes()
    with gzip.open(io.BytesIO(raw), "rt") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        n_rows = sum(1 for _ in handle)
    assert header == manifest["columns"] == list(_table.COLUMNS)
    assert n_rows == manifest["n_genes"]


def test_gene_table_info_for_run_json():
    info = gene_table_info()
    assert info["source"] == "r-bioc-org.hs.eg.db"
    assert info["version"] == "3.16.0-1"
    assert info["sha256"] == _manifest()["sha256"]
    assert info["n_genes"] == _manifest()["n_genes"]
    json.dumps(info)  # serialisable


def test_table_structure():
    table = gene_table()
    assert list(table.columns) == ["entrez", "symbol", "type", "chromosome", "ensembl", "aliases"]
    assert table["entrez"].is_unique
    assert table["entrez"].str.fullmatch(r"\d+").all()
    assert (table["symbol"] != "").all()
    # every Ensembl entry is an unversioned human gene id
    ensembl = table["ensembl"].str.split("|").explode()
    ensembl = ensembl[ensembl != ""]
    assert ensembl.str.fullmatch(r"ENSG\d{11}").all()
    # no gene lists its own symbol among its aliases
    own = table.apply(lambda row: row["symbol"] in row["aliases"].split("|"), axis=1)
    assert not own.any()
    # rule 5 of the module docs relies on this: upper-cased symbols identify one symbol
    upper = table.drop_duplicates("symbol")["symbol"].str.upper()
    assert upper.is_unique


@pytest.mark.parametrize(
    ("symbol", "entrez", "chromosome", "ensembl"),
    [
        # NCBI Gene / HGNC records
        ("CD274", "29126", "9", "ENSG00000120217"),
        ("PDCD1", "5133", "2", "ENSG00000188389"),
        ("B2M", "567", "15", "ENSG00000166710"),
        ("SRY", "6736", "Y", "ENSG00000184895"),
        ("EIF1AY", "9086", "Y", "ENSG00000198692"),
        ("XIST", "7503", "X", "ENSG00000229807"),
        ("CD99", "4267", "X|Y", "ENSG00000002586"),  # pseudoautosomal
    ],
)
def test_known_genes(symbol, entrez, chromosome, ensembl):
    table = gene_table().set_index("symbol")
    row = table.loc[symbol]
    assert row["entrez"] == entrez
    assert row["chromosome"] == chromosome
    assert ensembl in row["ensembl"].split("|")


def test_mitochondrial_genes_carry_hgnc_symbols():
    table = gene_table()
    mito = table[table["chromosome"] == "MT"].set_index("entrez")
    assert len(mito) == 37
    assert mito["symbol"].str.startswith("MT-").all()
    # HGNC symbols of NCBI genes 4512 (COX1), 4519 (CYTB), 4541 (ND6), 4558 (TRNF)
    assert mito.loc["4512", "symbol"] == "MT-CO1"
    assert mito.loc["4519", "symbol"] == "MT-CYB"
    assert mito.loc["4541", "symbol"] == "MT-ND6"
    assert mito.loc["4558", "symbol"] == "MT-TF"
    assert "COX1" in mito.loc["4512", "aliases"].split("|")


def test_gene_table_returns_a_copy():
    first = gene_table()
    first.loc[:, "symbol"] = "x"
    assert gene_table()["symbol"].iloc[0] == "A1BG"


def _corrupt_one(monkeypatch, name: str) -> None:
    """Flip the last bit of one shipped file as read by the resource loader."""
    real = _resources._read

    def corrupt(package: str, file: str) -> bytes:
        raw = real(package, file)
        return raw[:-1] + bytes([raw[-1] ^ 1]) if file == name else raw

    monkeypatch.setattr(_resources, "_read", corrupt)


@pytest.mark.parametrize("name", [_table.DATA_NAME, _table.MANIFEST_NAME])
def test_corrupt_table_or_manifest_is_a_resource_error(monkeypatch, name):
    _corrupt_one(monkeypatch, name)
    _table._raw_table.cache_clear()
    _table._manifest.cache_clear()
    try:
        with pytest.raises(ResourceError, match=f"{name} is corrupt.*reinstall"):
            _table._raw_table()
    finally:
        monkeypatch.undo()
        _table._raw_table.cache_clear()
        _table._manifest.cache_clear()
    assert len(_table._raw_table()) == _manifest()["n_genes"]


@pytest.mark.skipif(
    not os.environ.get("IMMUNESCAPE_ORG_HS_DEB"),
    reason="set IMMUNESCAPE_ORG_HS_DEB to a r-bioc-org.hs.eg.db .deb to rebuild the table",
)
def test_rebuild_from_deb_is_byte_identical(tmp_path):
    """The build script reproduces the vendored file from the Debian package (about 15 s)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_gene_table", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--deb", os.environ["IMMUNESCAPE_ORG_HS_DEB"], "--out-dir", str(tmp_path)])
    rebuilt = json.loads((tmp_path / "hs_genes.json").read_text())
    assert rebuilt["sha256"] == _manifest()["sha256"]
    assert (tmp_path / "hs_genes.tsv.gz").read_bytes() == DATA.joinpath(
        "hs_genes.tsv.gz"
    ).read_bytes()
