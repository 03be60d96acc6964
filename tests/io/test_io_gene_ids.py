"""Which column holds the gene ids, and what the reader says when it takes another one.

The files are built by hand; the expected genes are NCBI/HGNC facts (Entrez 2 is A2M, Entrez
29126 is CD274, "pd-l1" is an alias of CD274, ENSG00000120217 is CD274's Ensembl id), not
output of the reader.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from immunescape.genes import gene_table
from immunescape.io import read_expression
from immunescape.io._gene_ids import row_numbers

SAMPLES = ["tumour_1", "tumour_2", "tumour_3"]
GENES = ["CD274", "GZMA", "NOT_A_GENE_1", "PRF1", "CD8A", "NOT_A_GENE_2", "IFNG", "CXCL9"]


def _frame(genes: list[str]) -> pd.DataFrame:
    values = np.arange(len(genes) * len(SAMPLES), dtype=float).reshape(len(genes), -1) + 1
    return pd.DataFrame(values, columns=SAMPLES).assign(gene=genes)[["gene", *SAMPLES]]


def test_pandas_default_index_is_not_read_as_entrez_ids(tmp_path):
    # df.to_csv() writes the row numbers 0..n-1 before the gene column; an unresolvable name
    # sits in row 2, and 2 is the Entrez id of A2M: a row number must not give it a gene
    entrez = gene_table().set_index("entrez")["symbol"]
    assert entrez["2"] == "A2M"
    path = tmp_path / "expr.csv"
    _frame(GENES).to_csv(path)
    expr, report = read_expression(path)
    assert sorted(expr.genes) == sorted(g for g in GENES if not g.startswith("NOT_"))
    assert report.resolution["entrez"] == 0 and report.n_resolved_by_fallback == 0
    assert sorted(report.unresolved) == ["NOT_A_GENE_1", "NOT_A_GENE_2"]
    assert report.id_column == "gene" and report.fallback_id_columns == []
    assert any("row numbers" in w and "''" in w for w in report.warnings)


def test_r_row_numbers_1_to_n_are_not_the_identifier_column(tmp_path):
    # write.csv(row.names = TRUE) numbers rows 1..n; 25 of 1..30 are Entrez ids, enough
    # for the first column to pass as the identifier column
    genes = list(gene_table().query("type == 'protein-coding'")["symbol"][100:130])
    frame = _frame(genes)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    path = tmp_path / "expr.csv"
    frame.to_csv(path)
    expr, report = read_expression(path)
    assert report.id_column == "gene"
    assert sorted(expr.genes) == sorted(genes)
    np.testing.assert_array_equal(expr.values[genes[0]].to_numpy(), frame.iloc[0, 1:])


def test_only_row_numbers_is_refused(tmp_path, raises_input_error):
    path = tmp_path / "expr.csv"
    _frame(GENES).drop(columns="gene").to_csv(path)
    raises_input_error(lambda: read_expression(path), path, "row numbers")


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["0", "1", "2"], True),
        (["0", "3", "7", "8"], True),  # pandas index after filtering rows
        (["1", "2", "3", "4"], True),
        (["1", "2", "4"], False),  # Entrez ids A1BG, A2M, NAT1 sorted: identifiers
        (["29126", "5133", "3458"], False),
        (["0", "1"], False),  # too short to tell
        (["0", "1", "CD274"], False),
    ],
)
def test_row_number_rule(ids, expected):
    assert row_numbers(ids) is expected


def _fallback_file(tmp_path):
    table = pd.DataFrame(
        {
            "gene_id": ["ENSG00000120217.14", "ENSG00000999999.1", "ENSG00000141510.18"],
            "gene_name": ["CD274", "GZMA", "TP53"],  # the fake Ensembl id's row is GZMA
            "tumour_1": [5, 7, 9],
            "tumour_2": [1, 2, 3],
        }
    )
    path = tmp_path / "expr.tsv"
    table.to_csv(path, sep="\t", index=False)
    return path


def test_fallback_column_use_is_warned_and_listed_per_row(tmp_path, caplog):
    path = _fallback_file(tmp_path)
    with caplog.at_level(logging.WARNING, logger="immunescape"):
        expr, report = read_expression(path)
    assert expr.values.loc["tumour_1", "GZMA"] == 7
    assert report.renamed["ENSG00000999999.1"] == {
        "symbol": "GZMA",
        "rule": "symbol",
        "column": "gene_name",
    }
    assert "column" not in report.renamed["ENSG00000120217.14"]
    warned = [w for w in report.warnings if "fallback column" in w]
    assert len(warned) == 1 and "1 row(s)" in warned[0] and "'gene_name'" in warned[0]
    # the warning goes to the logger the command line always shows
    shown = [r for r in caplog.records if r.name == "immunescape.console"]
    assert len(shown) == 1 and "fallback column" in shown[0].getMessage()


def test_fallback_warning_on_the_command_line(tmp_path):
    path = _fallback_file(tmp_path)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "immunescape.cli", "score", str(path), "-o", str(out),
         "--only", "cyt"],
        capture_output=True, text=True, timeout=300, env=dict(os.environ), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [x for x in done.stderr.splitlines() if "fallback column" in x]
    assert len(lines) == 1 and lines[0].startswith("immunescape: warning: ")
    assert str(path) in lines[0] and "'gene_name'" in lines[0]
    run = (out / "run.json").read_text()
    assert "fallback column" in run


def test_lower_case_matrix_keeps_the_rows_of_the_original(tmp_path):
    # "pd-l1" (alias of CD274) has the higher mean; in the original case CD274 would win as
    # the exact symbol, and in lower case "cd274" (the symbol in another case) still does
    rows = {
        "cd274": [1, 1, 1],
        "pd-l1": [500, 500, 500],
        "ensg00000120217": [900, 900, 900],
        "gzma": [3, 4, 5],
        "elk3": [6, 7, 8],  # NCBI synonym of KCNH8 too
        "kcnh8": [9, 9, 9],
    }
    path = tmp_path / "expr.tsv"
    pd.DataFrame(rows, index=SAMPLES).T.rename_axis("gene").to_csv(path, sep="\t")
    expr, report = read_expression(path, genes_in="rows")
    assert sorted(expr.genes) == ["CD274", "ELK3", "GZMA", "KCNH8"]
    assert expr.values["CD274"].tolist() == [1, 1, 1]
    assert expr.values["ELK3"].tolist() == [6, 7, 8]
    assert expr.values["KCNH8"].tolist() == [9, 9, 9]
    assert report.collapsed["CD274"]["kept"] == "cd274"
    assert report.collapsed["CD274"]["rule"] == "symbol match in another case"


def test_a_failing_command_prints_its_error_line_only(tmp_path):
    """The fallback-column warning is held until the command succeeds: when the command then
    fails (an unknown signature, checked after the matrix was read), stderr is the one error
    line."""
    path = _fallback_file(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "immunescape.cli", "score", str(path), "-o",
         str(tmp_path / "out"), "--only", "cyt,no_such_signature"],
        capture_output=True, text=True, timeout=300, env=dict(os.environ), check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("immunescape: error: ")
    assert "no_such_signature" in done.stderr
    assert not (tmp_path / "out").exists()
