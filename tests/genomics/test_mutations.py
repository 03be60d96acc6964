"""Reading per-mutation tables: MAF columns, column mappings, SO terms, line endings,
de-duplication. Expected classes come from the MAF specification / Ensembl VEP order."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from immunescape.genomics import MutationTable, classify_variants, read_maf
from immunescape.genomics.mutations import so_terms

from .conftest import maf_frame, mutations


def test_gdc_maf_with_comment_and_extra_columns(make_maf):
    frame_rows = [("B2M", "S1", "Frame_Shift_Del", "p.L13fs", "15", 45003745, "T", "-")]
    p = make_maf(frame_rows)
    mt = read_maf(p)
    d = mt.data
    assert d.loc[0, "sample_id"] == "S1"
    assert d.loc[0, "variant_class"] == "Frame_Shift_Del"
    assert d.loc[0, "hgvs_kind"] == "frameshift"
    assert d.loc[0, "prot_start"] == 13
    assert d.loc[0, "t_alt_count"] == 30  # kept and typed
    assert mt.columns["sample_id"] == "Tumor_Sample_Barcode"


def test_extra_columns_are_kept(tmp_path):
    f = maf_frame([("PTEN", "S1", "Nonsense_Mutation", "p.R130*", "10", 1, "C", "T")])
    f["my_flag"] = ["yes"]
    f.to_csv(tmp_path / "m.maf", sep="\t", index=False)
    assert read_maf(tmp_path / "m.maf").data.loc[0, "my_flag"] == "yes"


def test_old_mac_line_endings_and_comma_mapping(tmp_path):
    text = (
        "Patient,Hugo Symbol,Variant Classification,HGVS_p,Tcov,Tac\r"
        "Pt1,PTEN,stop_gained,p.Arg406*,312,51\r"
        "Pt1,JAK2,missense_variant,p.Pro870Ser,48,18\r"
    )
    p = tmp_path / "riaz_like.csv"
    p.write_bytes(text.encode())
    cols = {
        "sample_id": "Patient",
        "gene": "Hugo Symbol",
        "variant_class": "Variant Classification",
        "hgvsp": "HGVS_p",
        "t_depth": "Tcov",
        "t_alt_count": "Tac",
    }
    mt = read_maf(p, columns=cols)
    assert mt.data["variant_class"].tolist() == ["Nonsense_Mutation", "Missense_Mutation"]
    assert mt.data["hgvsp_short"].tolist() == ["p.R406*", "p.P870S"]
    assert mt.data["t_depth"].tolist() == [312, 48]


def test_gzip_maf(tmp_path):
    f = maf_frame([("KRAS", "S1", "Missense_Mutation", "p.G12D", "12", 25398284, "C", "T")])
    p = tmp_path / "m.maf.gz"
    with gzip.open(p, "wt") as handle:
        f.to_csv(handle, sep="\t", index=False)
    assert read_maf(p).data.loc[0, "hgvsp_short"] == "p.G12D"


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("missense_variant", "Missense_Mutation"),
        ("stop_gained", "Nonsense_Mutation"),
        ("stop_gained&splice_region_variant", "Nonsense_Mutation"),
        ("missense_variant&splice_region_variant", "Missense_Mutation"),
        ("splice_acceptor_variant&intron_variant", "Splice_Site"),
        ("splice_donor_variant", "Splice_Site"),
        ("splice_region_variant&intron_variant", "Splice_Region"),
        ("splice_region_variant&synonymous_variant", "Splice_Region"),
        ("synonymous_variant", "Silent"),
        ("start_lost", "Translation_Start_Site"),
        ("stop_lost", "Nonstop_Mutation"),
        ("intron_variant", "Intron"),
        ("3_prime_UTR_variant", "3'UTR"),
        ("upstream_gene_variant", "5'Flank"),
        ("intergenic_variant", "IGR"),
        ("protein_protein_contact", "Missense_Mutation"),
        ("inframe_deletion", "In_Frame_Del"),
        ("Missense_Mutation", "Missense_Mutation"),
        ("missense_mutation", "Missense_Mutation"),
        ("Splice_Region", "Splice_Region"),
    ],
)
def test_so_terms_map_to_maf_classes(term, expected):
    assert classify_variants(pd.Series([term])).tolist() == [expected]


def test_so_table_is_ordered_and_complete():
    t = so_terms()
    assert t["rank"].is_monotonic_increasing and t["rank"].is_unique
    # Ensembl order: splice acceptor/donor and stop gained come before missense
    assert t.loc["splice_acceptor_variant", "rank"] < t.loc["missense_variant", "rank"]
    assert t.loc["stop_gained", "rank"] < t.loc["missense_variant", "rank"]
    assert t.loc["missense_variant", "rank"] < t.loc["splice_region_variant", "rank"]
    assert t.loc["splice_region_variant", "rank"] < t.loc["synonymous_variant", "rank"]


def test_frameshift_and_protein_altering_resolved_from_alleles():
    values = pd.Series(
        [
            "frameshift_variant",
            "frameshift_variant",
            "protein_altering_variant",
            "protein_altering_variant",
            "protein_altering_variant",
        ]
    )
    ref = pd.Series(["A", "-", "ACGT", "A", None])
    alt = pd.Series(["-", "T", "A", "ACG", None])
    out = classify_variants(values, ref=ref, alt=alt)
    assert out.tolist() == [
        "Frame_Shift_Del",
        "Frame_Shift_Ins",
        "In_Frame_Del",
        "Frame_Shift_Ins",
        "Missense_Mutation",  # no alleles: never truncating
    ]


def test_frameshift_without_alleles_uses_hgvsc():
    out = classify_variants(
        pd.Series(["frameshift_variant", "frameshift_variant"]),
        hgvsc=pd.Series(["c.35dupG", "c.35delG"]),
    )
    assert out.tolist() == ["Frame_Shift_Ins", "Frame_Shift_Del"]


def test_duplicate_rows_collapse_keeping_most_severe():
    mt = mutations(
        [
            ("JAK1", "S1", "Missense_Mutation", "p.W690R", "1", 65310489, "A", "G"),
            ("JAK1", "S1", "Missense_Mutation", "p.W690R", "1", 65310489, "A", "G"),
            ("JAK1", "S2", "Missense_Mutation", "p.W690R", "1", 65310489, "A", "G"),
            ("TP53", "S1", "Splice_Region", None, "17", 7579312, "C", "T"),
            ("TP53", "S1", "Splice_Site", None, "17", 7579312, "C", "T"),
        ]
    )
    dedup, n = mt.deduplicated()
    assert n == 2
    assert len(dedup) == 3
    tp53 = dedup.data.loc[dedup.data["gene"] == "TP53", "variant_class"].tolist()
    assert tp53 == ["Splice_Site"]


def test_gene_symbols_resolved_to_current():
    f = maf_frame([("C10orf54", "S1", "Missense_Mutation", "p.A1V", "10", 1, "C", "T")])
    mt = MutationTable.from_frame(f)
    assert mt.data.loc[0, "gene"] == "VSIR"
    assert mt.data.loc[0, "gene_input"] == "C10orf54"
    assert any("VSIR" in n for n in mt.notes)
