"""Chunked inputs resolve gene identifiers and collapse duplicates as the in-memory reader does.

A hand-built h5ad carries aliases, Ensembl ids, a case-folded symbol, an id resolved only
through a ``var`` column, an unresolvable id and duplicated symbols whose kept row is known;
read in memory or in chunks it must give the genes and scores of the clean matrix it was
made from (the independent expectation), to 1e-9.
"""

from __future__ import annotations

import gzip
import warnings

import numpy as np
import pandas as pd
import pytest

from immunescape.cli import main
from immunescape.datasets import simulate_cohort
from immunescape.errors import InputError
from immunescape.expression import Expression
from immunescape.genes import resolve_identifiers
from immunescape.io import read_expression
from immunescape.scale import open_chunked, score_chunked
from immunescape.signatures.runner import score

#: Column renamed -> (identifier written, rule expected). Ensembl ids from Ensembl/HGNC.
RENAMED = {
    "GZMA": ("ENSG00000145649", "ensembl"),
    "PRF1": ("ENSG00000180644", "ensembl"),
    "CD8A": ("cd8a", "symbol"),  # the symbol in another case
    "CD274": ("PD-L1", "alias"),
}
#: Only the var column ``gene_name`` names this one (a made-up, unresolvable Ensembl id).
RETIRED = ("STAT1", "ENSG00000999999")


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


@pytest.fixture(scope="module")
def clean() -> pd.DataFrame:
    df = simulate_cohort(40, seed=5).expression
    df = df.T if df.shape[0] > df.shape[1] else df  # samples x genes
    table = resolve_identifiers([str(g) for g in df.columns]).table
    exact = (table["status"] == "symbol").to_numpy() & (
        table["symbol"].astype(str) == table["input"].astype(str)).to_numpy()
    return df.loc[:, exact].astype(np.float32)  # current symbols only


@pytest.fixture(scope="module")
def messy_h5ad(clean, tmp_path_factory):
    """The clean matrix with messy identifiers and extra rows that must be dropped."""
    import anndata

    rng = np.random.default_rng(11)
    df = clean.copy()
    names = {g: new for g, (new, _) in RENAMED.items()}
    names[RETIRED[0]] = RETIRED[1]
    gene_name = [str(g) for g in df.columns]  # the clean symbols, as a var column
    df = df.rename(columns=names)
    extra = pd.DataFrame({
        # CD274 again by Ensembl id, lower mean: the alias row (equal rank) is kept
        "ENSG00000120217": clean["CD274"].to_numpy() * 0.5,
        # B2M again by Ensembl id, higher mean: the exact symbol is kept all the same
        "ENSG00000166710": clean["B2M"].to_numpy() * 3.0 + 1.0,
        # HLA-B again under its exact symbol, lower mean: the first (higher mean) is kept
        "HLA-B": clean["HLA-B"].to_numpy() * 0.25,
        "NOTAGENE1": rng.gamma(2.0, 10.0, len(df)),
    }, index=df.index).astype(np.float32)
    wide = pd.concat([extra.iloc[:, :2], df, extra.iloc[:, 2:]], axis=1)
    var = pd.DataFrame(
        {"gene_name": ["CD274", "B2M", *gene_name, "HLA-B", "NOTAGENE1"]},
    )
    var.index = pd.Index([str(c) for c in wide.columns])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anndata: non-unique var names
        ad = anndata.AnnData(X=wide.to_numpy(), obs=pd.DataFrame(index=df.index.astype(str)),
                             var=var)
        path = tmp_path_factory.mktemp("messy") / "messy.h5ad"
        ad.write_h5ad(path)
    return path


def test_messy_ids_give_the_clean_genes_and_scores(clean, messy_h5ad, assert_scores_equal):
    expected = _quiet(lambda: score(Expression(clean, unit="tpm"))).scores
    memory, report = _quiet(lambda: read_expression(messy_h5ad, unit="tpm"))
    chunked = _quiet(lambda: open_chunked(messy_h5ad, unit="tpm", block_rows=7))
    # the same genes, named by their current symbols, in both readers
    assert sorted(memory.genes) == sorted(chunked.genes) == sorted(clean.columns)
    got = _quiet(lambda: score_chunked(chunked, scheduler="synchronous")).scores
    in_memory = _quiet(lambda: score(memory)).scores
    assert_scores_equal(expected, in_memory.loc[expected.index])
    assert_scores_equal(expected, got)
    # the kept rows are the original ones (values, not only names)
    for gene in ("CD274", "B2M", "HLA-B", "GZMA", "CD8A", RETIRED[0]):
        j = list(chunked.genes).index(gene)
        col = np.asarray(chunked.data[:, j].compute())
        np.testing.assert_array_equal(col, clean[gene].to_numpy())
    # and the chunked report says what the in-memory one says
    rep = chunked.report
    assert rep is not None
    for key in ("n_input_ids", "n_resolved", "n_genes", "resolution", "renamed", "unresolved",
                "collapsed", "fallback_id_columns", "n_resolved_by_fallback", "unit"):
        assert getattr(rep, key) == getattr(report, key), key
    assert rep.unresolved == ["NOTAGENE1"]  # its gene_name does not resolve either
    assert rep.collapsed["CD274"] == {"kept": "PD-L1", "dropped": ["ENSG00000120217"],
                                      "rule": "highest mean expression"}
    assert rep.collapsed["B2M"]["kept"] == "B2M"
    assert rep.collapsed["B2M"]["rule"] == "exact symbol match"
    assert rep.collapsed["HLA-B"] == {"kept": "HLA-B", "dropped": ["HLA-B"],
                                      "rule": "highest mean expression"}
    for gene, (given, rule) in RENAMED.items():
        assert rep.renamed[given]["symbol"] == gene and rep.renamed[given]["rule"] == rule
    assert rep.renamed[RETIRED[1]]["column"] == "gene_name"


def test_cli_chunked_equals_in_memory(messy_h5ad, tmp_path):
    import json

    code = _quiet(lambda: main(["score", str(messy_h5ad), "--unit", "tpm",
                                "-o", str(tmp_path / "mem")]))
    assert code == 0
    code = _quiet(lambda: main(["score", str(messy_h5ad), "--unit", "tpm", "--block-rows", "9",
                                "--workers", "1", "-o", str(tmp_path / "dask")]))
    assert code == 0
    mem = json.loads((tmp_path / "mem" / "input_report.json").read_text())
    dask = json.loads((tmp_path / "dask" / "input_report.json").read_text())
    for key in ("n_genes", "resolution", "collapsed", "renamed", "unresolved"):
        assert mem[key] == dask[key], key
    run = json.loads((tmp_path / "dask" / "run.json").read_text())
    assert run["input"]["n_genes"] == mem["n_genes"]
    assert any("fallback column" in w for w in run["warnings"])


def test_duplicated_sample_ids_name_the_samples(clean, tmp_path):
    import anndata

    obs = [str(s) for s in clean.index]
    obs[3] = obs[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anndata: non-unique obs names
        anndata.AnnData(X=clean.to_numpy(), obs=pd.DataFrame(index=obs),
                        var=pd.DataFrame(index=clean.columns.astype(str))).write_h5ad(
            tmp_path / "dup.h5ad")
    messages = []
    for kwargs in ({}, {"block_rows": 10}):
        with pytest.raises(InputError) as err:
            if kwargs:
                open_chunked(tmp_path / "dup.h5ad", unit="tpm", **kwargs)
            else:
                read_expression(tmp_path / "dup.h5ad", unit="tpm")
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert f"duplicated sample ids in the first column ('obs_names'): {obs[0]!r} x2" in messages[1]
    assert "gene" not in messages[1]


@pytest.mark.realdata
def test_real_cohort_h5ad_chunked_equals_in_memory(shared_data, tmp_path, assert_scores_equal):
    """A PredictioR cohort (symbols, duplicates and retired ids as distributed) as h5ad."""
    import anndata

    path = shared_data / "predictior_icb" / "Hugo2016_melanoma_PD1_expr_log2tpm.tsv.gz"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    with gzip.open(path, "rt") as fh:
        table = pd.read_csv(fh, sep="\t", index_col=0)
    X = table.T.astype(np.float32)  # samples x genes, the identifiers exactly as given
    h5ad = tmp_path / "hugo.h5ad"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        anndata.AnnData(X=X.to_numpy(), obs=pd.DataFrame(index=X.index.astype(str)),
                        var=pd.DataFrame(index=X.columns.astype(str))).write_h5ad(h5ad)
    memory, report = _quiet(lambda: read_expression(h5ad))  # unit detected by both
    chunked = _quiet(lambda: open_chunked(h5ad, block_rows=10))
    assert (chunked.unit, chunked.log_offset) == (memory.unit, memory.log_offset)
    assert list(chunked.genes) == list(memory.genes)
    assert report.n_genes < report.n_input_ids  # the file does hold ids to drop or collapse
    assert_scores_equal(_quiet(lambda: score(memory)).scores,
                  _quiet(lambda: score_chunked(chunked, scheduler="synchronous")).scores)
