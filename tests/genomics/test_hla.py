"""HLA class I features: homozygosity (Chowell 2018), B44/B62 supertypes (Sidney 2008) and
LOH (McGranahan 2017 rule: copy number < 0.5 and p < 0.01)."""

from __future__ import annotations

import pandas as pd
import pytest

from immunescape.errors import InputError
from immunescape.genomics import (
    HLAGenotypes,
    hla_features,
    hla_loh_from_frame,
    normalise_allele,
    read_hla,
    read_hla_loh,
)
from immunescape.genomics.hla import supertypes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("HLA-A*02:01:01:01", ("A", "A*02:01", 2)),
        ("A*02:01", ("A", "A*02:01", 2)),
        ("A*0201", ("A", "A*02:01", 2)),
        ("HLA-B*4402", ("B", "B*44:02", 2)),
        ("hla_c_07_02_01", ("C", "C*07:02", 2)),
        ("B*15:01N", ("B", "B*15:01N", 2)),
        ("A*02:101", ("A", "A*02:101", 2)),
        ("B*44", ("B", "B*44", 1)),
        ("DRB1*01:01", (None, None, 0)),
        ("garbage", (None, None, 0)),
    ],
)
def test_normalise_allele(value, expected):
    assert normalise_allele(value) == expected


def _geno(alleles: dict[str, list[str]]) -> HLAGenotypes:
    rows = [(s, a) for s, al in alleles.items() for a in al]
    return HLAGenotypes.from_frame(pd.DataFrame(rows, columns=["sample_id", "allele"]))


def test_homozygosity_and_supertypes():
    g = _geno(
        {
            "het": ["A*02:01", "A*03:01", "B*44:02", "B*07:02", "C*07:01", "C*05:01"],
            "homA": ["A*02:01", "A*02:01", "B*15:01", "B*07:02", "C*07:01", "C*05:01"],
            "homAB": ["A*01:01", "A*01:01", "B*08:01", "B*08:01", "C*07:01", "C*07:02"],
            "lowres": ["A*02", "A*02", "B*44:03", "B*99:99", "C*07:01"],
        }
    )
    f = hla_features(g).set_index("sample_id")
    assert f.loc["het", "n_homozygous_loci"] == 0 and not f.loc["het", "any_homozygous"]
    assert f.loc["homA", "n_homozygous_loci"] == 1 and bool(f.loc["homA", "hla_a_homozygous"])
    assert f.loc["homAB", "n_homozygous_loci"] == 2
    # C*07:01 vs C*07:02 differ at two-field resolution
    assert not f.loc["homAB", "hla_c_homozygous"]
    # A*02/A*02 at one-field resolution: unknown; C typed once: unknown
    low = f.loc["lowres"]
    assert pd.isna(low["hla_a_homozygous"]) and pd.isna(low["hla_c_homozygous"])
    assert pd.isna(low["n_homozygous_loci"]) and pd.isna(low["any_homozygous"])
    assert bool(f.loc["het", "b44_supertype"]) and not f.loc["het", "b62_supertype"]
    assert bool(f.loc["homA", "b62_supertype"]) and not f.loc["homA", "b44_supertype"]
    assert not f.loc["homAB", "b44_supertype"]  # B*08:01 is B08
    assert bool(f.loc["lowres", "b44_supertype"])  # B*44:03 is B44 whatever the other allele
    assert pd.isna(f.loc["lowres", "b62_supertype"])  # B*99:99 is not in Sidney's table


def test_supertype_table_cross_checked_alleles():
    """The B44/B62 alleles Chowell et al. 2018 discuss, as assigned by Sidney et al. 2008."""
    t = supertypes()
    b44 = ["B*18:01", "B*37:01", "B*40:01", "B*40:02", "B*40:06", "B*44:02", "B*44:03", "B*45:01"]
    b62 = ["B*15:01", "B*15:02", "B*15:12", "B*15:13", "B*46:01", "B*52:01"]
    assert (t.loc[b44, "supertype"] == "B44").all()
    assert (t.loc[b62, "supertype"] == "B62").all()
    assert set(t.loc[t.cross_checked == "yes"].index) == set(b44 + b62)
    assert t.loc["B*07:02", "supertype"] == "B07"
    assert t.loc["B*15:03", "supertype"] == "B27"  # not every B*15 allele is B62
    assert t.index.is_unique and t.index.str.match(r"^B\*\d{2}:\d{2}$").all()


def test_wide_layout(tmp_path):
    p = tmp_path / "hla.tsv"
    p.write_text(
        "Sample\tHLA-A_1\tHLA-A_2\tHLA-B_1\tHLA-B_2\tHLA-C_1\tHLA-C_2\n"
        "S1\tA*02:01\tA*02:01\tB*44:02\tB*07:02\tC*07:01\tC*05:01\n"
    )
    f = hla_features(read_hla(p)).iloc[0]
    assert f.sample_id == "S1" and int(f.n_homozygous_loci) == 1


def test_wide_layout_wrong_locus(tmp_path):
    p = tmp_path / "hla.tsv"
    p.write_text("Sample\tA1\tA2\nS1\tB*07:02\tA*01:01\n")
    with pytest.raises(InputError, match="another locus"):
        read_hla(p)


def test_too_many_alleles():
    with pytest.raises(InputError, match="more than two HLA-A alleles"):
        _geno({"S1": ["A*01:01", "A*02:01", "A*03:01"]})


def test_loh_rule_thresholds_are_strict():
    loh = hla_loh_from_frame(
        pd.DataFrame(
            {
                "sample_id": ["S1"] * 4,
                "allele": ["A*02:01", "A*03:01", "B*07:02", "B*08:01"],
                "copy_number": [0.49, 0.5, 0.1, 0.1],
                "p_value": [0.009, 0.001, 0.01, None],
            }
        )
    )
    assert loh["lost"].tolist()[:3] == [True, False, False]
    assert pd.isna(loh["lost"].iloc[3])
    f = hla_features(loh=loh).iloc[0]
    assert bool(f.hla_loh) and f.hla_loh_alleles == "A*02:01"


def test_lohhla_file(tmp_path):
    cols = ["region", "HLA_A_type1", "HLA_A_type2", "HLAtype1Log2MedianCoverage",
            "HLA_type1copyNum_withBAFBin", "HLA_type2copyNum_withBAFBin", "PVal", "PVal_unique",
            "LossAllele", "KeptAllele"]  # fmt: skip
    rows = [
        ["T1", "hla_a_02_01_01_01", "hla_a_24_02_01", "5.1", "0.21", "1.83", "0.2", "0.0004",
         "hla_a_02_01_01_01", "hla_a_24_02_01"],
        ["T1", "hla_b_07_02_01", "hla_b_44_02_01_01", "5.0", "0.9", "1.1", "0.3", "0.4",
         "NA", "NA"],
    ]  # fmt: skip
    p = tmp_path / "T1.HLAlossPrediction_CI.xls"
    p.write_text("\t".join(cols) + "\n" + "\n".join("\t".join(r) for r in rows) + "\n")
    loh = read_hla_loh(p)
    assert loh.loc[loh.lost.astype(bool), "allele"].tolist() == ["A*02:01"]
    assert set(loh["sample_id"]) == {"T1"}
    assert len(loh) == 4


def test_no_input():
    with pytest.raises(InputError, match="no HLA input"):
        hla_features()


def test_optitype_result_file(tmp_path):
    # OptiType's *_result.tsv: an unnamed index column, A1..C2, Reads, Objective
    from immunescape.genomics import read_hla

    p = tmp_path / "Pt7_result.tsv"
    p.write_text("\tA1\tA2\tB1\tB2\tC1\tC2\tReads\tObjective\n"
                 "0\tA*02:01\tA*02:01\tB*44:02\tB*15:01\tC*05:01\tC*03:04\t1234.0\t1190.3\n")
    g = read_hla(p)
    assert g.samples == ["Pt7"]
    assert g.data["allele"].tolist() == ["A*02:01", "A*02:01", "B*44:02", "B*15:01", "C*05:01",
                                         "C*03:04"]  # fmt: skip
    assert read_hla(p, sample_id="S1").samples == ["S1"]


def test_typer_outputs_and_allele_lists(tmp_path):
    from immunescape.genomics import read_hla

    hd = tmp_path / "Pt2_final.result.txt"
    hd.write_text("A\tHLA-A*02:01:01\t-\nB\tHLA-B*07:02:01\tHLA-B*08:01:01\n"
                  "C\tHLA-C*07:01:01\tHLA-C*07:02:01\nDRB1\tNot typed\tNot typed\n")
    g = read_hla(hd)
    assert g.samples == ["Pt2"] and g.data["allele"].tolist()[:2] == ["A*02:01", "A*02:01"]
    poly = tmp_path / "winners.hla.txt"
    poly.write_text("HLA-A\thla_a_02_01_01_01\thla_a_24_02_01_01\n"
                    "HLA-B\thla_b_44_02_01_01\thla_b_15_01_01_01\n"
                    "HLA-C\thla_c_05_01_01_02\thla_c_03_04_01_01\n")
    assert read_hla(poly, sample_id="T").data["allele"].tolist() == [
        "A*02:01", "A*24:02", "B*44:02", "B*15:01", "C*05:01", "C*03:04"]


GENOTYPE = ["A*02:01", "A*24:02", "B*07:02", "B*44:02", "C*07:02", "C*05:01"]


@pytest.mark.parametrize("cell", [
    "A*02:01,A*24:02,B*07:02,B*44:02,C*07:02,C*05:01",
    "HLA-A*02:01; HLA-A*24:02; HLA-B*07:02; HLA-B*44:02; HLA-C*07:02; HLA-C*05:01",
    "A*02:01 A*24:02 B*07:02 B*44:02 C*07:02 C*05:01",
    "A*02:01:01,A*24:02:01,B*07:02:01,B*44:02:01:01,C*07:02:01,C*05:01:01,",
])  # fmt: skip
def test_all_alleles_of_a_sample_in_one_cell(tmp_path, cell):
    # a common export: patient<TAB>hla_class_i with the six alleles in one cell, read as the
    # same genotype as the long table that lists them one per row
    p = tmp_path / "hla.tsv"
    p.write_text(f"patient\thla_class_i\nPt1\t{cell}\nPt2\tA*01:01,A*01:01,B*08:01,B*08:01\n")
    g = read_hla(p)
    assert g.data.loc[g.data["sample_id"] == "Pt1", "allele"].tolist() == GENOTYPE
    long = HLAGenotypes.from_frame(pd.DataFrame({"sample_id": "Pt1", "allele": GENOTYPE}))
    pd.testing.assert_frame_equal(hla_features(g).iloc[[0]],
                                  hla_features(long), check_dtype=False)
    row = hla_features(g).set_index("sample_id").loc["Pt2"]
    assert bool(row["hla_a_homozygous"]) and pd.isna(row["hla_c_homozygous"])


def test_one_cell_lists_per_locus_and_under_an_allele_column(tmp_path):
    p = tmp_path / "loci.csv"
    p.write_text("Sample,HLA-A,HLA-B,HLA-C\nPt1,\"A*02:01,A*24:02\",\"B*07:02,B*44:02\","
                 "\"C*07:02,C*05:01\"\n")
    assert read_hla(p).data["allele"].tolist() == GENOTYPE
    p.write_text("Sample,HLA-A,HLA-B,HLA-C\nPt1,\"A*02:01,B*24:02\",\"B*07:02,B*44:02\",C*07:02\n")
    with pytest.raises(InputError, match="column 'HLA-A' holds allele 'B\\*24:02' of another"):
        read_hla(p)
    q = tmp_path / "hla.tsv"  # the list under a column the long layout knows ('hla')
    q.write_text("sample_id\thla\nPt1\t" + ",".join(GENOTYPE) + "\n")
    assert read_hla(q).data["allele"].tolist() == GENOTYPE


@pytest.mark.parametrize(("cell", "words"), [
    ("A*02:01,A*24:XX,B*07:02,B*44:02", "'A*24:XX' (first: sample 'Pt1', column 'hla_class_i')"),
    ("A*02:01,A*24:02,DRB1*04:01,B*07:02", "'DRB1*04:01'"),
    ("A*02:01,A*24:02,A*03:01,B*07:02", "more than two HLA-A alleles"),
    ("A*02:01/A*02:06,A*24:02,B*07:02", "'A*02:01/A*02:06'"),
])  # fmt: skip
def test_malformed_one_cell_lists_exit_2_with_one_line(tmp_path, capsys, cell, words):
    from immunescape.cli import main

    p = tmp_path / "hla.tsv"
    p.write_text(f"patient\thla_class_i\nPt0\tA*01:01,A*03:01\nPt1\t{cell}\n")
    code = main(["genomics", "--hla", str(p), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "o").exists()


def test_allele_columns_not_found_or_ambiguous(tmp_path, capsys):
    from immunescape.cli import main

    p = tmp_path / "hla.tsv"
    p.write_text("patient\tnotes\nPt1\tnot typed\n")
    code = main(["genomics", "--hla", str(p), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "missing required column(s) for allele" in err
    assert "columns=" not in err and "one row per sample with columns HLA-A_1" in err
    p.write_text("patient\ttumour\tnormal\nPt1\tA*02:01,A*24:02\tA*02:01,A*24:02\n")
    with pytest.raises(InputError, match="'tumour', 'normal' all hold HLA alleles"):
        read_hla(p)
    p.write_text("donor\tcenter\thla_class_i\nPt1\tX\tA*02:01,A*24:02\n")  # no sample name
    with pytest.raises(InputError, match="which column holds the sample ids"):
        read_hla(p)
    p.write_text("donor\thla_class_i\nPt1\tA*02:01,A*24:02\n")  # the only other column
    assert read_hla(p).samples == ["Pt1"]
