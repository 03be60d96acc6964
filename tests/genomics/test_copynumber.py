"""Gene-level copy number readers and gene calls from absolute segments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from immunescape.errors import InputError
from immunescape.genomics import (
    Segments,
    gene_calls_from_segments,
    read_cna,
    read_gene_coords,
    read_segments,
)


def test_gistic_matrix(tmp_path):
    p = tmp_path / "all_thresholded.by_genes.txt"
    p.write_text(
        "Gene Symbol\tLocus ID\tCytoband\tS1\tS2\n"
        "PTEN\t5728\t10q23.31\t-2\t-1\n"
        "MYC\t4609\t8q24.21\t2\t0\n"
    )
    d = read_cna(p).data
    assert d[["sample_id", "gene", "gistic"]].values.tolist() == [
        ["S1", "PTEN", -2], ["S1", "MYC", 2], ["S2", "PTEN", -1], ["S2", "MYC", 0],
    ]  # fmt: skip


def test_long_table_with_absolute_copy_number(tmp_path):
    p = tmp_path / "cn.tsv"
    p.write_text("sample_id\tgene\ttotal_cn\tminor_cn\tloh\nS1\tJAK1\t2\t0\ttrue\n")
    d = read_cna(p).data.iloc[0]
    assert (d.total_cn, d.minor_cn, bool(d.loh)) == (2.0, 0.0, True)
    assert pd.isna(d.gistic)


def test_continuous_values_are_refused(tmp_path):
    p = tmp_path / "cn.tsv"
    p.write_text("Hugo_Symbol\tS1\nPTEN\t-0.73\n")
    with pytest.raises(InputError, match="not a GISTIC-style call"):
        read_cna(p)


def test_long_table_needs_a_call_column(tmp_path):
    p = tmp_path / "cn.tsv"
    p.write_text("sample_id\tgene\tfoo\nS1\tPTEN\t1\n")
    with pytest.raises(InputError, match="no call column"):
        read_cna(p)


def test_segments_igv_and_ascat(tmp_path):
    p = tmp_path / "x.seg"
    p.write_text("ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\nS1\tchr1\t10\t100\t5\t-0.3\n")
    s = read_segments(p)
    assert s.data[["chrom", "start", "end", "log2"]].values.tolist() == [["1", 10, 100, -0.3]]
    q = tmp_path / "ascat.tsv"
    q.write_text("sample\tchr\tstartpos\tendpos\tnMajor\tnMinor\nS1\t23\t1\t5\t2\t0\n")
    s2 = read_segments(q)
    assert s2.data[["chrom", "total_cn", "minor_cn"]].values.tolist() == [["X", 2.0, 0.0]]


def test_segments_end_before_start(tmp_path):
    p = tmp_path / "x.seg"
    p.write_text("ID\tchrom\tstart\tend\tseg.mean\nS1\t1\t100\t10\t0\n")
    with pytest.raises(InputError, match="end before they start"):
        read_segments(p)


def test_gene_calls_from_absolute_segments(tmp_path):
    seg = Segments.from_frame(
        pd.DataFrame(
            {
                "ID": ["S1", "S1", "S2", "S3"],
                "chrom": ["10", "10", "10", "8"],
                "start": [89_000_000, 89_700_000, 80_000_000, 127_000_000],
                "end": [89_699_999, 95_000_000, 100_000_000, 129_000_000],
                "tcn.em": [2, 0, 2, 8],  # S1: PTEN partly deleted to 0 copies
                "lcn.em": [1, 0, 0, 2],
            }
        )
    )
    coords = tmp_path / "genes.tsv"
    coords.write_text(
        "gene\tchrom\tstart\tend\nPTEN\tchr10\t89623195\t89728532\nMYC\t8\t128748315\t128753680\n"
    )
    calls = gene_calls_from_segments(seg, read_gene_coords(coords)).data
    got = {(r.sample_id, r.gene): (r.gistic, r.loh) for r in calls.itertuples()}
    assert got[("S1", "PTEN")][0] == -2
    assert got[("S2", "PTEN")] == (0, True)  # copy-neutral LOH
    assert got[("S3", "MYC")] == (2, False)  # 8 copies >= 5


def test_log2_only_segments_give_cnvkit_threshold_calls():
    # CNVkit call -m threshold defaults (Talevich 2016): < -1.1 -> 0 copies, < -0.25 -> 1 copy,
    # >= 0.2 -> gain; amplification from log2(5/2) = 1.32 at full purity
    seg = Segments.from_frame(pd.DataFrame({
        "ID": ["S1"] * 5, "chrom": ["1"] * 5, "start": [1, 11, 21, 31, 41],
        "end": [10, 20, 30, 40, 50], "seg.mean": [-1.2, -1.0, 0.0, 0.5, 1.4]}))
    coords = pd.DataFrame({"gene": list("ABCDE"), "chrom": ["1"] * 5,
                           "start": [2, 12, 22, 32, 42], "end": [3, 13, 23, 33, 43]})
    calls = gene_calls_from_segments(seg, coords).data.set_index("gene")["gistic"]
    assert calls.to_dict() == {"A": -2, "B": -1, "C": 0, "D": 1, "E": 2}


def test_log2_with_purity_follows_the_copy_number_equation():
    # 30% purity, diploid tumour: one copy lost gives r = (0.3*1 + 2*0.7)/2 = 0.85
    r = (0.3 * 1 + 2 * 0.7) / 2
    seg = Segments.from_frame(pd.DataFrame({"ID": ["S1"], "chrom": ["1"], "start": [1],
                                            "end": [10], "seg.mean": [np.log2(r)]}))
    coords = pd.DataFrame({"gene": ["A"], "chrom": ["1"], "start": [2], "end": [3]})
    out = gene_calls_from_segments(seg, coords, purity=0.3).data.iloc[0]
    assert out["total_cn"] == pytest.approx(1.0)
    assert out["gistic"] == -1
    # the same ratio without purity is above the -0.25 threshold: neutral
    assert gene_calls_from_segments(seg, coords).data.iloc[0]["gistic"] == 0
