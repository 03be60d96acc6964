"""read_expression on synthetic files: formats, orientation, annotation, duplicates, errors."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from immunescape.errors import InputError, UnitError
from immunescape.io import read_expression

#: Well-known current HGNC symbols (stable for decades) used to build small matrices.
IMMUNE_GENES = [
    "CD274", "PDCD1", "CTLA4", "GZMA", "PRF1", "CD8A", "CD8B", "IFNG", "CXCL9", "CXCL10",
    "HLA-A", "B2M", "JAK1", "JAK2", "STAT1", "TAP1", "CD3E", "FOXP3", "LAG3", "HAVCR2",
    "TIGIT", "IDO1", "TGFB1", "VEGFA", "MYC", "TP53", "PTEN", "BRAF", "NRAS", "KRAS",
]  # fmt: skip
RNG = np.random.default_rng(11)
SAMPLES = ["tumour_1", "tumour_2", "tumour_3", "tumour_4"]  # names that are no gene alias


def _counts(genes=IMMUNE_GENES, samples=SAMPLES) -> pd.DataFrame:
    """Genes x samples integer counts."""
    data = RNG.poisson(200, size=(len(genes), len(samples))).astype(float)
    return pd.DataFrame(data, index=pd.Index(genes, name="gene"), columns=samples)


def _tpm(genes, samples=SAMPLES) -> pd.DataFrame:
    x = RNG.lognormal(1.0, 2.0, size=(len(genes), len(samples)))
    x[RNG.random(x.shape) < 0.2] = 0.0
    x = x / x.sum(axis=0, keepdims=True) * 1e6
    return pd.DataFrame(x, index=pd.Index(genes, name="gene"), columns=samples)


def _same(expr, table: pd.DataFrame) -> None:
    """Expression (samples x genes) equals the genes x samples table written, as float32."""
    expected = table.T.astype(np.float32)
    got = expr.values.loc[expected.index, expected.columns]
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


# ------------------------------------------------------------------------- round trips
@pytest.mark.parametrize(
    ("name", "sep", "compression"),
    [
        ("expr.tsv", "\t", None),
        ("expr.csv", ",", None),
        ("expr.txt", ";", None),
        ("expr.tsv.gz", "\t", "gzip"),
        ("expr.csv.gz", ",", "gzip"),
    ],
)
def test_text_round_trip(tmp_path, unchanged, name, sep, compression):
    table = _counts()
    path = tmp_path / name
    table.to_csv(path, sep=sep, compression=compression)
    with unchanged(path):
        expr, report = read_expression(path)
    _same(expr, table)
    assert expr.unit == "counts" and report.unit == "counts" and not report.unit_given
    assert report.format == "text" and report.delimiter == sep
    assert (report.n_samples, report.n_genes) == (4, len(IMMUNE_GENES))
    assert report.resolution["symbol"] == len(IMMUNE_GENES)
    assert list(expr.samples) == SAMPLES
    json.dumps(report.to_dict())


def test_gzip_detected_from_content_not_suffix(tmp_path):
    table = _counts()
    path = tmp_path / "expr.dat"
    path.write_bytes(gzip.compress(table.to_csv(sep="\t").encode()))
    expr, _ = read_expression(path)
    _same(expr, table)


def test_old_mac_line_endings(tmp_path):
    table = _counts()
    path = tmp_path / "expr.csv"
    path.write_bytes(table.to_csv().replace("\n", "\r").encode())
    expr, _ = read_expression(path)
    _same(expr, table)


def test_r_style_header_without_first_field(tmp_path):
    table = _counts()
    text = table.to_csv(sep="\t").split("\n", 1)
    header = "\t".join(SAMPLES)  # write.table(row.names=TRUE): no field above the ids
    path = tmp_path / "expr.tsv"
    path.write_text(header + "\n" + text[1])
    expr, report = read_expression(path)
    _same(expr, table)
    assert report.genes_in == "rows"


def test_gct_file(tmp_path):
    table = _counts()
    body = table.reset_index().rename(columns={"gene": "Name"})
    body.insert(1, "Description", "na")
    path = tmp_path / "expr.gct"
    path.write_text(f"#1.2\n{len(table)}\t{len(SAMPLES)}\n" + body.to_csv(sep="\t", index=False))
    expr, report = read_expression(path)
    _same(expr, table)
    assert "Description" in report.annotation_columns


def test_parquet_round_trip_with_index(tmp_path, unchanged):
    table = _counts()
    path = tmp_path / "expr.parquet"
    table.to_parquet(path)
    with unchanged(path):
        expr, report = read_expression(path)
    _same(expr, table)
    assert report.format == "parquet"


def test_parquet_round_trip_with_gene_column(tmp_path):
    table = _counts()
    path = tmp_path / "expr.parquet"
    table.reset_index().to_parquet(path, index=False)
    expr, _ = read_expression(path)
    _same(expr, table)


def test_h5ad_round_trip(tmp_path, unchanged):
    import anndata
    import scipy.sparse

    table = _counts()
    adata = anndata.AnnData(
        X=table.T.to_numpy(np.float32),
        obs=pd.DataFrame(index=SAMPLES),
        var=pd.DataFrame(index=table.index.tolist()),
    )
    adata.layers["log"] = np.log2(adata.X + 1)
    adata.layers["sparse"] = scipy.sparse.csr_matrix(adata.X)
    path = tmp_path / "expr.h5ad"
    adata.write_h5ad(path)
    with unchanged(path):
        expr, report = read_expression(path)
        log_expr, log_report = read_expression(path, layer="log")
        sp_expr, _ = read_expression(path, layer="sparse")
    _same(expr, table)
    _same(sp_expr, table)
    assert report.format == "h5ad" and report.genes_in == "columns"
    assert (log_expr.unit, log_expr.log_offset) == ("log2tpm", 1.0)
    assert log_report.layer == "log"


@pytest.mark.parametrize(("base", "log_fn"), [(None, np.log1p), (10.0, lambda y: np.log10(1 + y))])
def test_h5ad_scanpy_log1p_is_read_as_log2(tmp_path, caplog, base, log_fn):
    """scanpy's ``log1p`` (uns['log1p']['base']: None = ln) becomes log2(x + 1) (numpy)."""
    import anndata

    linear = _tpm(IMMUNE_GENES).T.to_numpy(np.float64)  # samples x genes
    adata = anndata.AnnData(
        X=log_fn(linear).astype(np.float32),
        obs=pd.DataFrame(index=SAMPLES),
        var=pd.DataFrame(index=IMMUNE_GENES),
    )
    adata.uns["log1p"] = {"base": base}
    adata.layers["counts"] = np.rint(linear).astype(np.float32)
    path = tmp_path / "scanpy.h5ad"
    adata.write_h5ad(path)
    with caplog.at_level("WARNING", logger="immunescape.console"):
        expr, report = read_expression(path)
    assert (expr.unit, expr.log_offset) == ("log2tpm", 1.0)
    expected = np.log2(linear + 1)
    got = expr.values.loc[SAMPLES, IMMUNE_GENES].to_numpy(np.float64)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    shown = " ".join(r.getMessage() for r in caplog.records)
    assert "uns['log1p']" in shown and "'counts' not read" in shown
    assert any("log1p" in w for w in report.warnings)


def test_h5ad_with_ensembl_var_names_and_symbol_column(tmp_path):
    import anndata

    genes = ["ENSG00000120217", "ENSG00000999999", "ENSG00000141510"]  # CD274, fake, TP53
    var = pd.DataFrame({"gene_symbols": ["CD274", "GZMA", "TP53"]}, index=genes)
    X = RNG.poisson(100, size=(4, 3)).astype(np.float32)
    path = tmp_path / "expr.h5ad"
    anndata.AnnData(X=X, obs=pd.DataFrame(index=SAMPLES), var=var).write_h5ad(path)
    expr, report = read_expression(path)
    assert list(expr.genes) == ["CD274", "GZMA", "TP53"]
    assert report.id_column == "<column names>"
    assert report.fallback_id_columns == ["gene_symbols"] and report.n_resolved_by_fallback == 1
    np.testing.assert_array_equal(expr.values["GZMA"].to_numpy(), X[:, 1])


# ------------------------------------------------------------------------- orientation
def test_orientation_detected_both_ways(tmp_path):
    table = _counts()
    rows = tmp_path / "rows.tsv"
    cols = tmp_path / "cols.tsv"
    table.to_csv(rows, sep="\t")
    table.T.rename_axis("sample").to_csv(cols, sep="\t")
    e1, r1 = read_expression(rows)
    e2, r2 = read_expression(cols)
    assert (r1.genes_in, r2.genes_in) == ("rows", "columns")
    assert not r1.orientation_given and "detected" in r2.orientation_evidence
    pd.testing.assert_frame_equal(e1.values, e2.values)


def test_orientation_override(tmp_path):
    table = _counts()
    path = tmp_path / "cols.tsv"
    table.T.rename_axis("sample").to_csv(path, sep="\t")
    expr, report = read_expression(path, genes_in="columns")
    assert report.orientation_given and report.genes_in == "columns"
    _same(expr, table)
    # forcing the wrong axis leaves no gene: an error, not a silent empty matrix
    with pytest.raises(InputError, match="the genes are in the columns"):
        read_expression(path, genes_in="rows")


def test_sample_annotation_columns_in_samples_x_genes_table(tmp_path):
    table = _counts().T.rename_axis("sample")
    table.insert(0, "response", ["R", "NR", "R", "NR"])
    path = tmp_path / "cols.tsv"
    table.to_csv(path, sep="\t")
    expr, report = read_expression(path)
    assert report.genes_in == "columns" and "response" in report.annotation_columns
    assert "response" not in expr.genes


# ------------------------------------------------------------- identifiers, annotation
def test_ensembl_ids_with_gene_name_and_description_columns(tmp_path):
    table = pd.DataFrame(
        {
            "gene_id": ["ENSG00000120217.14", "ENSG00000999999.1", "ENSG00000141510.18"],
            "gene_name": ["CD274", "GZMA", "TP53"],
            "Description": ["PD-L1 ligand", "granzyme A", "tumour protein p53"],
            "Length": [3600, 900, 2500],
            "tumour_1": [5, 7, 9],
            "tumour_2": [1, 2, 3],
        }
    )
    path = tmp_path / "expr.tsv"
    table.to_csv(path, sep="\t", index=False)
    expr, report = read_expression(path)
    assert report.id_column == "gene_id"
    assert report.fallback_id_columns == ["gene_name"] and report.n_resolved_by_fallback == 1
    assert set(report.annotation_columns) == {"gene_name", "Description", "Length"}
    assert list(expr.genes) == ["CD274", "GZMA", "TP53"]
    assert list(expr.samples) == ["tumour_1", "tumour_2"]
    assert expr.values.loc["tumour_1", "GZMA"] == 7
    assert report.resolution["ensembl"] == 2 and report.resolution["symbol"] == 1


def test_entrez_ids_in_first_column(tmp_path):
    path = tmp_path / "expr.tsv"
    path.write_text("entrez\ttumour_1\ttumour_2\n29126\t4\t5\n7157\t9\t1\n")
    expr, report = read_expression(path)
    assert list(expr.genes) == ["CD274", "TP53"]
    assert report.resolution["entrez"] == 2


def test_unresolved_and_ambiguous_ids_are_reported_not_silently_dropped(tmp_path):
    genes = [*IMMUNE_GENES, "NOT_A_GENE_1", "NOT_A_GENE_2"]
    path = tmp_path / "expr.tsv"
    _counts(genes).to_csv(path, sep="\t")
    expr, report = read_expression(path)
    assert report.unresolved == ["NOT_A_GENE_1", "NOT_A_GENE_2"]
    assert report.resolution["unresolved"] == 2
    assert report.n_input_ids == len(genes) and report.n_resolved == len(IMMUNE_GENES)
    assert "NOT_A_GENE_1" not in expr.genes
    assert any("not resolved" in w for w in report.warnings)
    assert sum(report.resolution.values()) == report.n_input_ids


def test_ambiguous_ids_listed_with_candidates(tmp_path):
    # HGNC (genenames.org symbol reports) lists QARS among the previous symbols of both QARS1
    # (HGNC:9751) and EPRS1 (HGNC:3418), and B3GNT1 among those of both B3GNT2 (HGNC:15629)
    # and B4GAT1 (HGNC:15685): true ties that must be reported, never resolved to one gene.
    genes = [*IMMUNE_GENES, "QARS", "B3GNT1"]
    path = tmp_path / "expr.tsv"
    _counts(genes).to_csv(path, sep="\t")
    expr, report = read_expression(path)
    assert report.ambiguous == {"QARS": ["EPRS1", "QARS1"], "B3GNT1": ["B3GNT2", "B4GAT1"]}
    assert report.resolution["ambiguous"] == 2
    assert not {"QARS", "B3GNT1", "EPRS1", "QARS1", "B3GNT2", "B4GAT1"} & set(expr.genes)
    assert any("ambiguous gene identifiers, dropped: 2" in w for w in report.warnings)


# ---------------------------------------------------------------------- duplicate rule
def test_exact_symbol_beats_alias_ensembl_and_entrez_even_with_lower_mean(tmp_path):
    rows = {
        "CD274": [1, 1, 1, 1],  # exact, lowest mean: kept
        "PD-L1": [500, 500, 500, 500],  # alias
        "ENSG00000120217": [900, 900, 900, 900],  # Ensembl
        "29126": [700, 700, 700, 700],  # Entrez
        "GZMA": [3, 4, 5, 6],
    }
    table = pd.DataFrame(rows, index=SAMPLES).T.rename_axis("gene")
    path = tmp_path / "expr.tsv"
    table.to_csv(path, sep="\t")
    expr, report = read_expression(path, genes_in="rows")
    assert list(expr.genes) == ["CD274", "GZMA"]
    assert expr.values["CD274"].tolist() == [1, 1, 1, 1]
    entry = report.collapsed["CD274"]
    assert entry["kept"] == "CD274"
    assert sorted(entry["dropped"]) == sorted(["PD-L1", "ENSG00000120217", "29126"])
    assert entry["rule"] == "exact symbol match"


def test_among_non_exact_matches_the_highest_mean_wins(tmp_path):
    rows = {
        "PD-L1": [10, 10, 10, 10],
        "PDL1": [30, 30, 30, 31],  # highest mean: kept
        "ENSG00000120217": [20, 20, 20, 20],
        "GZMA": [3, 4, 5, 6],
    }
    table = pd.DataFrame(rows, index=SAMPLES).T.rename_axis("gene")
    path = tmp_path / "expr.tsv"
    table.to_csv(path, sep="\t")
    expr, report = read_expression(path, genes_in="rows")
    assert expr.values["CD274"].tolist() == [30, 30, 30, 31]
    assert report.collapsed["CD274"] == {
        "kept": "PDL1",
        "dropped": ["ENSG00000120217", "PD-L1"],
        "rule": "highest mean expression",
    }


def test_identical_symbol_rows_keep_highest_mean(tmp_path):
    path = tmp_path / "expr.tsv"
    path.write_text("gene\ttumour_1\ttumour_2\nGZMA\t1\t2\nGZMA\t8\t9\nPRF1\t1\t1\n")
    expr, report = read_expression(path)
    assert expr.values["GZMA"].tolist() == [8, 9]
    assert report.collapsed["GZMA"]["rule"] == "highest mean expression"


# --------------------------------------------------------------------- unit on files
def test_units_detected_on_files(tmp_path, many_symbols):
    tpm = _tpm(many_symbols)
    cases = {
        "tpm": (tpm, "tpm", None),
        "fpkm": (tpm * np.array([0.5, 0.8, 1.6, 1.1]), "fpkm", None),
        "log2tpm1": (np.log2(tpm + 1).round(4), "log2tpm", 1.0),
        "log2tpm001": (np.log2(tpm + 0.001).round(4), "log2tpm", 0.001),
        "counts": (np.round(tpm * 20), "counts", None),
        "panel": (tpm.iloc[:300] + 1.5, "normalized", None),
    }
    for name, (table, unit, offset) in cases.items():
        path = tmp_path / f"{name}.tsv"
        table.to_csv(path, sep="\t", float_format="%.6g" if unit != "log2tpm" else None)
        expr, report = read_expression(path)
        assert (report.unit, expr.unit) == (unit, unit), name
        assert report.log_offset == (pytest.approx(offset) if offset else None), name
        if offset:
            assert expr.log_offset == pytest.approx(offset)


def test_declared_unit_is_checked_and_recorded(tmp_path):
    table = _counts()
    path = tmp_path / "expr.tsv"
    table.to_csv(path, sep="\t")
    expr, report = read_expression(path, unit="counts")
    assert report.unit_given and expr.unit == "counts"
    assert "declared" in expr.notes[1]


def test_sample_ids_selects_and_orders(tmp_path):
    path = tmp_path / "expr.tsv"
    _counts().to_csv(path, sep="\t")
    expr, report = read_expression(path, sample_ids=["tumour_3", "tumour_1"])
    assert list(expr.samples) == ["tumour_3", "tumour_1"] and report.n_samples == 2


def test_drop_genes_with_missing_values_on_request(tmp_path):
    table = _counts()
    table.loc["GZMA", "tumour_2"] = np.nan
    path = tmp_path / "expr.tsv"
    table.to_csv(path, sep="\t")
    expr, report = read_expression(path, on_missing="drop")
    assert "GZMA" not in expr.genes and report.dropped_nonfinite == ["GZMA"]
    assert any("NaN" in w for w in report.warnings)


# ------------------------------------------------------------------------------ errors
def test_missing_file(tmp_path, raises_input_error):
    path = tmp_path / "nope.tsv"
    raises_input_error(lambda: read_expression(path), path, "file not found")


def test_directory(tmp_path, raises_input_error):
    raises_input_error(lambda: read_expression(tmp_path), tmp_path, "directory")


def test_empty_file(tmp_path, raises_input_error):
    path = tmp_path / "empty.tsv"
    path.write_bytes(b"")
    raises_input_error(lambda: read_expression(path), path, "empty")


def test_unreadable_file(tmp_path, raises_input_error, monkeypatch):
    path = tmp_path / "expr.tsv"
    _counts().to_csv(path, sep="\t")
    # root reads any file whatever its mode: simulate the permission check failing
    monkeypatch.setattr("immunescape.io._files.os.access", lambda *_: False)
    raises_input_error(lambda: read_expression(path), path, "permission")


@pytest.mark.parametrize(
    ("name", "content", "word"),
    [
        ("expr.xlsx", b"PK\x03\x04rest-of-zip", "Excel"),
        ("expr.rds", b"X\n\x00\x00\x00\x03", "unsupported"),
        ("expr.parquet", b"gene\tS1\nCD274\t1\n", "not in that format"),
        ("expr.bin", b"\x00\x01\x02\x03binary", "binary"),
    ],
)
def test_unsupported_formats(tmp_path, raises_input_error, name, content, word):
    path = tmp_path / name
    path.write_bytes(content)
    raises_input_error(lambda: read_expression(path), path, word)


def test_corrupt_gzip(tmp_path, raises_input_error):
    path = tmp_path / "expr.tsv.gz"
    path.write_bytes(gzip.compress(_counts().to_csv(sep="\t").encode())[:60])
    raises_input_error(lambda: read_expression(path), path)


def test_header_only_is_an_empty_matrix(tmp_path, raises_input_error):
    path = tmp_path / "expr.tsv"
    path.write_text("gene\ttumour_1\ttumour_2\n")
    raises_input_error(lambda: read_expression(path), path, "no expression values")


def test_no_numeric_column_is_an_empty_matrix(tmp_path, raises_input_error):
    path = tmp_path / "expr.tsv"
    path.write_text("gene\tnote\nCD274\tx\nGZMA\ty\n")
    raises_input_error(lambda: read_expression(path), path, "no expression values")


def test_no_resolvable_gene(tmp_path, raises_input_error):
    path = tmp_path / "expr.tsv"
    path.write_text("gene\ttumour_1\ttumour_2\nfoo1\t1\t2\nbar2\t3\t4\n")
    raises_input_error(lambda: read_expression(path), path, "resolves to a human gene")


def test_duplicated_sample_ids_in_header(tmp_path, raises_input_error):
    path = tmp_path / "expr.tsv"
    table = _counts()
    table.columns = ["tumour_1", "tumour_2", "tumour_1", "tumour_4"]
    table.to_csv(path, sep="\t")
    raises_input_error(lambda: read_expression(path), path, "duplicated sample ids", "'tumour_1'")


def test_duplicated_sample_ids_in_first_column(tmp_path, raises_input_error):
    path = tmp_path / "expr.tsv"
    table = _counts().T.rename_axis("sample")
    table.index = ["A", "B", "B", "C"]
    table.to_csv(path, sep="\t")
    raises_input_error(lambda: read_expression(path), path, "duplicated sample ids", "'B'")


def test_duplicated_sample_ids_in_h5ad(tmp_path, raises_input_error):
    import warnings

    import anndata

    table = _counts()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anndata warns about non-unique names
        adata = anndata.AnnData(
            X=table.T.to_numpy(np.float32),
            obs=pd.DataFrame(index=["A", "A", "B", "C"]),
            var=pd.DataFrame(index=table.index.tolist()),
        )
        path = tmp_path / "expr.h5ad"
        adata.write_h5ad(path)
    raises_input_error(lambda: read_expression(path), path, "duplicated sample ids", "'A'")


def test_non_numeric_cell_names_row_and_column(tmp_path, raises_input_error):
    table = _counts().astype(object)
    table.loc["GZMA", "tumour_3"] = "12,5"
    path = tmp_path / "expr.tsv"
    table.to_csv(path, sep="\t")
    raises_input_error(
        lambda: read_expression(path), path, "non-numeric value '12,5'", "'GZMA'", "'tumour_3'"
    )


def test_nan_values_counted_and_located(tmp_path, raises_input_error):
    table = _counts()
    table.loc["GZMA", "tumour_2"] = np.nan
    table.loc["PRF1", "tumour_4"] = np.nan
    path = tmp_path / "expr.tsv"
    table.to_csv(path, sep="\t")
    message = raises_input_error(
        lambda: read_expression(path, on_missing="error"), path, "2 values are missing", "2 NaN",
        "on_missing",
    )
    assert "'GZMA'" in message and "'tumour_2'" in message


def test_missing_values_drop_their_genes_by_default(tmp_path):
    table = _counts()
    table.loc["GZMA", "tumour_2"] = np.nan
    path = tmp_path / "expr.tsv"
    table.to_csv(path, sep="\t")
    expr, report = read_expression(path)
    assert "GZMA" not in list(expr.genes) and "PRF1" in list(expr.genes)
    assert report.dropped_nonfinite == ["GZMA"]


def test_missing_values_in_most_genes_are_refused(tmp_path, raises_input_error):
    table = _counts()
    table.iloc[: len(table) // 2 + 1, 0] = np.nan
    path = tmp_path / "expr.tsv"
    table.to_csv(path, sep="\t")
    raises_input_error(lambda: read_expression(path), path, "hold missing values")


def test_negative_infinity_hints_at_log_of_zero(tmp_path, raises_input_error):
    table = np.log2(_counts())
    table.loc["GZMA", "tumour_1"] = -np.inf
    path = tmp_path / "expr.tsv"
    table.to_csv(path, sep="\t")
    raises_input_error(lambda: read_expression(path), path, "-inf", "pseudo-count")


def test_negative_counts(tmp_path, raises_input_error):
    table = _counts()
    table.loc["GZMA", "tumour_1"] = -3
    path = tmp_path / "expr.tsv"
    table.to_csv(path, sep="\t")
    raises_input_error(
        lambda: read_expression(path, unit="counts"), path, "negative", kind=UnitError
    )


def test_declared_unit_contradicting_data(tmp_path, raises_input_error):
    path = tmp_path / "expr.tsv"
    _counts().to_csv(path, sep="\t")
    raises_input_error(
        lambda: read_expression(path, unit="log2tpm"), path, "log2tpm", kind=UnitError
    )


def test_missing_requested_sample(tmp_path, raises_input_error):
    path = tmp_path / "expr.tsv"
    _counts().to_csv(path, sep="\t")
    raises_input_error(
        lambda: read_expression(path, sample_ids=["tumour_1", "tumour_9"]), path, "'tumour_9'"
    )


def test_bad_options(tmp_path, raises_input_error, raises_option_error):
    path = tmp_path / "expr.tsv"
    _counts().to_csv(path, sep="\t")
    raises_option_error(lambda: read_expression(path, genes_in="genes"), "genes_in",
                        "'genes'", "'rows', 'columns'")
    raises_input_error(lambda: read_expression(path, layer="counts"), path, "layer")
    raises_option_error(lambda: read_expression(path, on_missing="zero"), "on_missing",
                        "'zero'", "'error', 'drop'")
    raises_option_error(lambda: read_expression(path, on_missing="drop_genes"), "on_missing")
    raises_option_error(lambda: read_expression(path, unit="rpkm"), "unit", "unknown value")


def test_missing_h5ad_layer(tmp_path, raises_input_error):
    import anndata

    table = _counts()
    path = tmp_path / "expr.h5ad"
    anndata.AnnData(
        X=table.T.to_numpy(np.float32),
        obs=pd.DataFrame(index=SAMPLES),
        var=pd.DataFrame(index=table.index.tolist()),
    ).write_h5ad(path)
    raises_input_error(lambda: read_expression(path, layer="tpm"), path, "no layer 'tpm'")


def test_ragged_text_table(tmp_path, raises_input_error):
    path = tmp_path / "expr.tsv"
    path.write_text("gene\ttumour_1\ttumour_2\nCD274\t1\t2\nGZMA\t1\t2\t3\t4\n")
    raises_input_error(lambda: read_expression(path), path, "fields")
