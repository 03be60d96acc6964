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


# ------------------------------------------------------------ export artefacts and tools
def test_trailing_delimiter_on_every_line_is_dropped_with_a_warning(tmp_path):
    table = _counts()
    path = tmp_path / "trail.tsv"
    text = table.to_csv(sep="\t")
    path.write_text("".join(line + "\t\n" for line in text.splitlines()))
    expr, report = read_expression(path)
    assert list(expr.samples) == SAMPLES and list(expr.genes) == GENES
    np.testing.assert_array_equal(expr.values.loc[SAMPLES, GENES].to_numpy(), table.T.to_numpy())
    assert any("unnamed empty column" in w for w in report.warnings)


def test_named_empty_sample_column_is_refused_by_name(tmp_path, raises_input_error):
    table = _counts()
    table["Pt99"] = np.nan
    path = tmp_path / "na_col.tsv"
    table.to_csv(path, sep="\t")
    message = raises_input_error(lambda: read_expression(path), path, "'Pt99'", "remove")
    assert "genes hold missing values" not in message


def test_empty_sample_row_of_a_samples_x_genes_table_is_named(tmp_path, raises_input_error):
    table = _counts().T.rename_axis("sample")
    table.loc["Pt99"] = np.nan
    path = tmp_path / "na_row.tsv"
    table.to_csv(path, sep="\t")
    raises_input_error(lambda: read_expression(path), path, "'Pt99'", "row")


def test_featurecounts_output_with_its_comment_line(tmp_path):
    # featureCounts writes '# Program:...' then Geneid Chr Start End Strand Length <bams>
    table = _counts()
    bams = [f"/data/bam/{s}.bam" for s in SAMPLES]
    lines = [
        '# Program:featureCounts v2.0.1; Command:"featureCounts" "-a" "genes.gtf" "-o" "x"',
        "\t".join(["Geneid", "Chr", "Start", "End", "Strand", "Length", *bams]),
    ]
    for gene, row in table.iterrows():
        cells = [str(int(v)) for v in row]
        lines.append("\t".join([gene, "chr1;chr1", "10;50", "40;90", "+;+", "71", *cells]))
    path = tmp_path / "counts.txt"
    path.write_text("\n".join(lines) + "\n")
    expr, report = read_expression(path)
    assert list(expr.samples) == bams and expr.unit == "counts"
    np.testing.assert_array_equal(expr.values.loc[bams, GENES].to_numpy(), table.T.to_numpy())
    assert "Length" in report.annotation_columns
    assert any("comment line" in w for w in report.warnings)


def test_hash_header_line_is_kept_as_the_header(tmp_path):
    path = tmp_path / "hash.tsv"
    _counts().rename_axis("#gene").to_csv(path, sep="\t")
    expr, _ = read_expression(path)
    assert list(expr.samples) == SAMPLES


def test_salmon_quant_genes_sf_is_one_sample_from_its_tpm_column(tmp_path):
    tpm = np.linspace(1.0, 20.0, len(GENES))
    tpm = tpm / tpm.sum() * 1e6
    quant = pd.DataFrame(
        {
            "Name": GENES,
            "Length": 2000,
            "EffectiveLength": 1800.0,
            "TPM": tpm,
            "NumReads": np.round(tpm / 10) + 0.0,
        }
    )
    folder = tmp_path / "Pt7"
    folder.mkdir()
    path = folder / "quant.genes.sf"
    quant.to_csv(path, sep="\t", index=False)
    expr, report = read_expression(path)
    assert list(expr.samples) == ["Pt7"] and expr.unit == "tpm"
    np.testing.assert_allclose(expr.values.loc["Pt7", GENES].to_numpy(), tpm, rtol=1e-6)
    assert any("Salmon" in w for w in report.warnings)
    named = tmp_path / "Pt8.genes.results"  # RSEM, sample in the file name
    rsem = quant.rename(columns={"Name": "gene_id", "NumReads": "expected_count"})
    rsem.rename(columns={"Length": "length", "EffectiveLength": "effective_length"}).assign(
        FPKM=1.0
    ).to_csv(named, sep="\t", index=False)
    expr, _ = read_expression(named)
    assert list(expr.samples) == ["Pt8"]


def test_quant_tpm_column_is_read_as_tpm_even_when_it_does_not_sum_to_a_million(tmp_path):
    """Salmon's gene-level TPM of a subset of genes (or after dropping transcripts) sums to
    less than 1e6: the column says TPM, so the values are kept, not rescaled as FPKM."""
    tpm = np.linspace(1.0, 20.0, len(GENES)) * 7.0  # sums to far below 1e6
    quant = pd.DataFrame({"Name": GENES, "Length": 2000, "EffectiveLength": 1800.0,
                          "TPM": tpm, "NumReads": np.round(tpm) + 0.0})
    path = tmp_path / "Pt9.quant.sf"
    quant.to_csv(path, sep="\t", index=False)
    expr, report = read_expression(path)
    assert expr.unit == "tpm"
    np.testing.assert_allclose(expr.values.loc["Pt9", GENES].to_numpy(), tpm, rtol=1e-6)
    assert any("named by the file's column" in e for e in report.unit_evidence)
    # a unit the user declares still wins over the column name
    expr, _ = read_expression(path, unit="normalized")
    assert expr.unit == "normalized"


def test_geo_series_matrix_is_refused_by_name(tmp_path, raises_input_error):
    path = tmp_path / "GSE1_series_matrix.txt"
    body = "\n".join(f'"{g}"\t1.5\t2.5' for g in GENES)
    path.write_text(
        '!Series_title\t"x"\n!Sample_title\t"a"\t"b"\n!series_matrix_table_begin\n'
        f'"ID_REF"\t"a"\t"b"\n{body}\n!series_matrix_table_end\n'
    )
    raises_input_error(lambda: read_expression(path), path, "GEO series matrix",
                       "series_matrix_table_begin")


def test_two_column_table_headed_tpm_is_one_sample_in_tpm(tmp_path):
    """A clinic's one-patient export ``gene<TAB>TPM`` over a gene subset sums below 1e6:
    the header says TPM, so the values are kept (not rescaled as FPKM) and the sample is
    named after the file, not 'TPM'."""
    tpm = np.linspace(1.0, 20.0, len(GENES)) * 30.0  # sums to 6,300
    path = tmp_path / "Pt12.tsv"
    pd.DataFrame({"gene": GENES, "TPM": tpm}).to_csv(path, sep="\t", index=False)
    expr, report = read_expression(path)
    assert list(expr.samples) == ["Pt12"] and expr.unit == "tpm"
    np.testing.assert_allclose(expr.values.loc["Pt12", GENES].to_numpy(), tpm, rtol=1e-6)
    assert any("headed 'TPM'" in w for w in report.warnings)
    fpkm = tmp_path / "Pt13_expression.csv"
    pd.DataFrame({"gene_id": GENES, "fpkm": tpm}).to_csv(fpkm, index=False)
    expr, _ = read_expression(fpkm)
    assert list(expr.samples) == ["Pt13_expression"] and expr.unit == "fpkm"
    # a declared unit still wins; a header naming a sample is a sample
    assert read_expression(path, unit="normalized")[0].unit == "normalized"
    other = tmp_path / "other.tsv"
    pd.DataFrame({"gene": GENES, "Pt14": tpm}).to_csv(other, sep="\t", index=False)
    assert list(read_expression(other)[0].samples) == ["Pt14"]


def test_transcript_level_quantification_is_refused(tmp_path, raises_input_error):
    """Salmon run on GENCODE transcripts without --gencode names each row by the FASTA header
    ``ENST|ENSG|OTTHUMG|OTTHUMT|transcript|gene|length|biotype|``. Transcripts are not genes:
    two transcripts of CD274 must be summed, and the length field (7157, 29126) is not an
    Entrez id (7157 is TP53, 29126 is CD274). Such a table is refused, naming gene-level
    outputs, rather than read with one transcript kept per gene."""
    rows = [
        ("ENST00000381577.4|ENSG00000120217.14|OTTHUMG1|OTTHUMT1|CD274-201|CD274|3634|"
         "protein_coding|", 40.0),
        ("ENST00000381573.8|ENSG00000120217.14|OTTHUMG1|OTTHUMT2|CD274-202|CD274|7157|"
         "protein_coding|", 60.0),
        ("ENST00000999999.1|ENSG00000999999.1|OTTHUMG3|OTTHUMT3|NOVEL-201|NOVEL|29126|"
         "lncRNA|", 900.0),
    ] + [(f"ENST0000010000{i}.1|ENSG00000000{i}|-|-|{g}-201|{g}|1000|protein_coding|", 5.0)
         for i, g in enumerate(GENES[:6])]
    quant = pd.DataFrame({"Name": [r[0] for r in rows], "Length": 2000,
                          "EffectiveLength": 1800.0, "TPM": [r[1] for r in rows],
                          "NumReads": 10.0})
    path = tmp_path / "quant.sf"
    quant.to_csv(path, sep="\t", index=False)
    raises_input_error(lambda: read_expression(path), path, "transcripts", "quant.genes.sf")
    bare = tmp_path / "abundance.tsv"  # kallisto: bare transcript ids
    pd.DataFrame({"target_id": [r[0].split("|")[0] for r in rows], "length": 2000,
                  "eff_length": 1800.0, "est_counts": 10.0, "tpm": [r[1] for r in rows]}
                 ).to_csv(bare, sep="\t", index=False)
    raises_input_error(lambda: read_expression(bare), bare, "transcripts", "tximport")


def test_id_name_and_tpm_columns_are_one_sample_in_tpm(tmp_path):
    """nf-core/rnaseq-style one-patient table: gene_id, gene_name (text), TPM."""
    tpm = np.linspace(1.0, 20.0, len(GENES)) * 30.0
    path = tmp_path / "Pt15.gene_tpm.tsv"
    pd.DataFrame({"gene_id": [f"id{i}" for i in range(len(GENES))], "gene_name": GENES,
                  "TPM": tpm}).to_csv(path, sep="\t", index=False)
    expr, _ = read_expression(path)
    assert list(expr.samples) == ["Pt15.gene_tpm"] and expr.unit == "tpm"
    np.testing.assert_allclose(expr.values.loc["Pt15.gene_tpm", GENES].to_numpy(), tpm,
                               rtol=1e-6)
