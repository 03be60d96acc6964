"""``--layer``: read an AnnData layer of an h5ad expression file instead of ``X``.

The h5ad is written here: layer ``tpm`` holds a simulated TPM matrix, ``X`` the same values
with the samples in reverse order (so reading ``X`` gives every sample another profile) and
layer ``raw`` something else again. The expected value is computed from the layer by hand:
``gene_CD274`` is log2(TPM + 1) of CD274 (the registry's definition). Every command that
reads expression takes the option: a non-h5ad file with ``--layer`` is refused (exit 2, one
line naming ``--layer``), which also shows that each command hands the option to the reader.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from immunescape.cli import main
from immunescape.datasets import simulate_cohort, write_cohort
from immunescape.genes import resolve_identifiers


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    import anndata

    d = tmp_path_factory.mktemp("layer")
    cohort = simulate_cohort(24, seed=9)
    write_cohort(cohort, d, include_dna=False)  # expression.tsv, clinical.tsv
    df = cohort.expression
    df = df.T if df.shape[0] > df.shape[1] else df  # samples x genes
    table = resolve_identifiers([str(g) for g in df.columns]).table
    exact = (table["status"] == "symbol").to_numpy() & (
        table["symbol"].astype(str) == table["input"].astype(str)).to_numpy()
    tpm = df.loc[:, exact].astype(np.float32)  # current symbols only
    adata = anndata.AnnData(X=tpm.to_numpy()[::-1].copy(),
                            obs=pd.DataFrame(index=[str(s) for s in tpm.index]),
                            var=pd.DataFrame(index=[str(g) for g in tpm.columns]))
    adata.layers["tpm"] = tpm.to_numpy()
    adata.layers["raw"] = np.rint(tpm.to_numpy() * 3.0)
    path = d / "cohort.h5ad"
    adata.write_h5ad(path)
    return {"h5ad": path, "tpm": tpm, "expr": d / "expression.tsv",
            "clinical": d / "clinical.tsv"}


def _expected_cd274(tpm):
    return np.log2(tpm["CD274"].astype(float) + 1.0)


def test_score_reads_the_layer_in_memory_and_in_chunks(files, tmp_path):
    expected = _expected_cd274(files["tpm"])
    h5ad = str(files["h5ad"])
    for name, extra in (("mem", []), ("dask", ["--block-rows", "7", "--workers", "1"])):
        code = _quiet(lambda: main(["score", h5ad, "--layer", "tpm", "--unit", "tpm",
                                    "-o", str(tmp_path / name), *extra]))  # noqa: B023
        assert code == 0, name
    mem = pd.read_csv(tmp_path / "mem" / "scores.tsv", sep="\t", index_col=0)
    dask = pd.concat(pd.read_parquet(p) for p in
                     sorted((tmp_path / "dask" / "scores.parquet").glob("*.parquet")))
    for got in (mem, dask):
        got.index = got.index.astype(str)
        np.testing.assert_allclose(got.loc[expected.index, "gene_CD274"], expected, rtol=1e-5,
                                   atol=1e-5)
    # X holds other profiles per sample: reading it would not give the layer's values
    code = _quiet(lambda: main(["score", h5ad, "--unit", "tpm", "-o", str(tmp_path / "x")]))
    assert code == 0
    x = pd.read_csv(tmp_path / "x" / "scores.tsv", sep="\t", index_col=0)
    x.index = x.index.astype(str)
    assert not np.allclose(x.loc[expected.index, "gene_CD274"], expected, atol=1e-3)


def test_predict_reads_the_layer(files, tmp_path):
    expected = _expected_cd274(files["tpm"])
    code = _quiet(lambda: main(["predict", "--model", "cd274", "--expr", str(files["h5ad"]),
                                "--layer", "tpm", "--unit", "tpm", "-o", str(tmp_path / "p")]))
    assert code == 0
    pred = pd.read_csv(tmp_path / "p" / "predictions.tsv", sep="\t", index_col=0)
    pred.index = pred.index.astype(str)
    np.testing.assert_allclose(pred.loc[expected.index, "score"], expected, rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("chunked", [False, True])
def test_a_layer_the_file_lacks_is_refused_naming_its_layers(files, tmp_path, capsys, chunked):
    extra = ["--block-rows", "7", "--workers", "1"] if chunked else []
    out = tmp_path / "o"
    code = main(["score", str(files["h5ad"]), "--layer", "counts", "-o", str(out), *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "no layer 'counts' (layers: raw, tpm)" in err and "--layer" in err
    assert not out.exists()


@pytest.mark.parametrize("command", ["score", "run", "compare", "predict", "train", "evaluate",
                                     "meta"])
def test_layer_with_a_file_that_is_not_h5ad_is_refused(files, tmp_path, capsys, command):
    expr, clin = str(files["expr"]), str(files["clinical"])
    out = tmp_path / "out"
    args = {
        "score": ["score", expr],
        "run": ["run", "--expr", expr],
        "compare": ["compare", "--expr", expr, "--clinical", clin],
        "predict": ["predict", "--model", "cyt", "--expr", expr],
        "train": ["train", "--cohort", f"{expr}:{clin}"],
        "evaluate": ["evaluate", "--cohort", f"{expr}:{clin}"],
        "meta": ["meta", "--cohort", f"{expr}:{clin}"],
    }[command]
    if command == "train":
        out = tmp_path / "m.json"
    code = main([*args, "--layer", "tpm", "-o", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "--layer tpm given but the file is text, not h5ad" in err
    assert "leave --layer unset" in err
    assert not out.exists()
