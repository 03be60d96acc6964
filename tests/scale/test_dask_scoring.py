"""Chunked scoring on Dask equals the in-memory runner (per-sample and cohort-relative)."""

from __future__ import annotations

import warnings

import dask.array  # noqa: F401 - a core dependency: a missing one fails here, never skips
import distributed
import numpy as np
import pandas as pd
import pytest

from immunescape.cli import main
from immunescape.datasets import simulate_cohort
from immunescape.errors import InputError
from immunescape.expression import Expression
from immunescape.genes import resolve_identifiers
from immunescape.scale import ChunkedExpression, open_chunked, score_chunked
from immunescape.signatures.runner import score


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    sim = simulate_cohort(70, seed=3)
    df = sim.expression
    df = df.T if df.shape[0] > df.shape[1] else df  # samples x genes
    # current symbols only: the chunked reader resolves identifiers as read_expression does,
    # Expression() takes them as given
    table = resolve_identifiers([str(g) for g in df.columns]).table
    exact = (table["status"] == "symbol").to_numpy() & (
        table["symbol"].astype(str) == table["input"].astype(str)).to_numpy()
    return df.loc[:, exact].astype(np.float32)


@pytest.fixture(scope="module")
def in_memory(cohort):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return score(Expression(cohort, unit="tpm"))


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
            protocol="tcp",
        )
        c = distributed.Client(cluster)
    yield c
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c.close()
        cluster.close()


def _write_zarr(adata, path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anndata's notice about the zarr format version
        adata.write_zarr(path)


def _chunked(res):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return res()


def test_local_cluster_equals_in_memory(cohort, in_memory, client, assert_scores_equal):
    expr = ChunkedExpression.from_array(cohort.to_numpy(), cohort.index, cohort.columns,
                                        unit="tpm", block_rows=16)
    assert len(expr.row_blocks) == 5
    res = _chunked(lambda: score_chunked(expr, scheduler=client))
    assert_scores_equal(in_memory.scores, res.scores)
    pd.testing.assert_frame_equal(in_memory.features, res.features)
    # every kind of cohort-relative score is among the compared columns
    scored = res.features[res.features.status == "scored"]
    assert {"pc1", "mean_z", "mean_rank", "progeny", "jerby_oe"} <= set(scored.method)


def test_file_formats_equal_in_memory(cohort, in_memory, tmp_path, assert_scores_equal):
    import anndata

    ad = anndata.AnnData(X=cohort.to_numpy(),
                         obs=pd.DataFrame(index=cohort.index.astype(str)),
                         var=pd.DataFrame(index=cohort.columns.astype(str)))
    _write_zarr(ad, tmp_path / "cohort.zarr")
    ad.write_h5ad(tmp_path / "cohort.h5ad")
    parts = tmp_path / "parts"
    parts.mkdir()
    for k, start in enumerate(range(0, len(cohort), 30)):
        cohort.iloc[start : start + 30].reset_index(names="sample").to_parquet(
            parts / f"part-{k}.parquet", index=False)
    ids = ["progeny_tgfb", "cyt", "davoli_is", "emt1", "apm", "jerby_resistance", "gep18"]
    ref = in_memory.scores[ids]
    for path in (tmp_path / "cohort.zarr", tmp_path / "cohort.h5ad", parts):
        expr = open_chunked(path, unit="tpm", block_rows=25)
        res = _chunked(lambda e=expr: score_chunked(e, signatures=ids, scheduler="synchronous"))
        assert_scores_equal(ref, res.scores)


def test_unit_detected_from_the_first_block(cohort):
    logged = np.log2(cohort.to_numpy() + 1.0).astype(np.float32)
    expr = ChunkedExpression.from_array(logged, cohort.index, cohort.columns, block_rows=16)
    assert expr.unit == "log2tpm" and expr.log_offset == 1.0


def test_cli_writes_partitioned_parquet(cohort, in_memory, client, tmp_path, assert_scores_equal):
    store = tmp_path / "cohort.zarr"
    import anndata

    _write_zarr(anndata.AnnData(X=cohort.to_numpy(),
                                obs=pd.DataFrame(index=cohort.index.astype(str)),
                                var=pd.DataFrame(index=cohort.columns.astype(str))), store)
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(["score", str(store), "--unit", "tpm", "-o", str(out), "--block-rows", "20",
                     "--scheduler", client.scheduler.address])
    assert code == 0
    files = sorted((out / "scores.parquet").glob("part-*.parquet"))
    assert len(files) == 4
    got = pd.concat(pd.read_parquet(f) for f in files)
    assert_scores_equal(in_memory.scores, got)
    import json

    run = json.loads((out / "run.json").read_text())
    assert run["engine"] == "dask" and run["input"]["blocks"] == 4
    feats = pd.read_csv(out / "features.tsv", sep="\t")
    assert list(feats["id"]) == list(in_memory.features["id"])


def test_bad_inputs_exit_2(cohort, tmp_path, capsys):
    bad = cohort.to_numpy().copy()
    bad[3, 5] = np.nan
    with pytest.raises(InputError, match="missing or infinite"):
        ChunkedExpression.from_array(bad, cohort.index, cohort.columns, unit="tpm")
    dup = list(cohort.index)
    dup[1] = dup[0]
    with pytest.raises(InputError, match="duplicated sample ids"):
        ChunkedExpression.from_array(cohort.to_numpy(), dup, cohort.columns, unit="tpm")
    junk = [f"NOTAGENE{j}" for j in range(cohort.shape[1])]
    with pytest.raises(InputError, match="resolves to a human gene"):
        ChunkedExpression.from_array(cohort.to_numpy(), cohort.index, junk, unit="tpm")
    store = tmp_path / "empty.zarr"
    store.mkdir()
    code = main(["score", str(store), "-o", str(tmp_path / "o"), "--workers", "0"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "o").exists()


def test_backed_h5ad_scanpy_log1p_is_read_as_log2(tmp_path):
    """Chunked h5ad: X = ln(x + 1) with uns['log1p'] is read as log2(x + 1), as in memory."""
    import anndata

    rng = np.random.default_rng(3)
    linear = rng.lognormal(2.0, 2.0, size=(6, 40))
    from immunescape.genes import gene_table

    t = gene_table()  # current protein-coding symbols: every column is kept as given
    genes = list(t.loc[t["type"].eq("protein-coding"), "symbol"].drop_duplicates()[:40])
    adata = anndata.AnnData(X=np.log1p(linear).astype(np.float32),
                            obs=pd.DataFrame(index=[f"s{i}" for i in range(6)]),
                            var=pd.DataFrame(index=genes))
    adata.uns["log1p"] = {"base": None}
    path = tmp_path / "scanpy.h5ad"
    adata.write_h5ad(path)
    chunked = open_chunked(path, block_rows=4)
    assert (chunked.unit, chunked.log_offset) == ("log2tpm", 1.0)
    np.testing.assert_allclose(np.asarray(chunked.data.compute(), dtype=np.float64),
                               np.log2(linear + 1), rtol=1e-5, atol=1e-5)
