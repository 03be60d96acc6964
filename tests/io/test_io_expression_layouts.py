"""read_expression on layouts users export by mistake or from common tools.

Each file is built by hand here; the expectation is what the file holds (which axis carries
the genes, which column is empty, which tool wrote it), not an earlier output of the reader.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from immunescape.io import read_expression

GENES = [
    "CD274", "PDCD1", "CTLA4", "GZMA", "PRF1", "CD8A", "CD8B", "IFNG", "CXCL9", "CXCL10",
    "HLA-A", "B2M", "JAK1", "JAK2", "STAT1", "TAP1", "CD3E", "FOXP3", "LAG3", "HAVCR2",
]  # fmt: skip
SAMPLES = ["tumour_1", "tumour_2", "tumour_3", "tumour_4", "tumour_5"]
RNG = np.random.default_rng(5)


def _counts() -> pd.DataFrame:
    """Genes x samples integer counts."""
    data = RNG.poisson(300, size=(len(GENES), len(SAMPLES))).astype(float)
    return pd.DataFrame(data, index=pd.Index(GENES, name="gene"), columns=SAMPLES)


# -------------------------------------------------------------- wrong --genes-in given
def test_genes_in_columns_given_for_genes_in_rows_is_refused(tmp_path, raises_input_error):
    path = tmp_path / "rows.tsv"
    _counts().to_csv(path, sep="\t")
    raises_input_error(
        lambda: read_expression(path, genes_in="columns"),
        path,
        "genes_in='columns'",
        "20 of 20",
        "genes_in='rows'",
    )


def test_genes_in_rows_given_for_genes_in_columns_is_refused(tmp_path, raises_input_error):
    path = tmp_path / "cols.tsv"
    _counts().T.rename_axis("sample").to_csv(path, sep="\t")
    raises_input_error(
        lambda: read_expression(path, genes_in="rows"), path, "genes_in='columns'"
    )


def test_right_genes_in_given_is_accepted(tmp_path):
    path = tmp_path / "rows.tsv"
    table = _counts()
    table.to_csv(path, sep="\t")
    expr, report = read_expression(path, genes_in="rows")
    assert report.genes_in == "rows" and list(expr.genes) == GENES
