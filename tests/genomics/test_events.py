"""Gene-level functional calls on hand-made edge cases. Expected calls follow the rules in
docs/genomics.md: truncating classes, literature hotspots (BRAF V600, RAS G12/G13/Q61, PIK3CA
E542/E545/H1047, CTNNB1 D32-S45), missense never loss of function, biallelic = two hits."""

from __future__ import annotations

import pandas as pd
import pytest

from immunescape.genomics import GeneCNA, call_events, hla_loh_from_frame

from .conftest import mutations


def _one(ev: pd.DataFrame, gene: str, event: str) -> pd.Series:
    rows = ev.loc[(ev["gene"] == gene) & (ev["event"] == event)]
    assert len(rows) == 1, ev
    return rows.iloc[0]


def _cna(rows: list[dict]) -> GeneCNA:
    return GeneCNA.from_frame(pd.DataFrame(rows), resolve_genes=False)


def test_b2m_frameshift_is_truncating():
    ev = call_events(mutations([("B2M", "S1", "Frame_Shift_Del", "p.L13fs", "15", 1, "T", "-")]))
    row = _one(ev, "B2M", "truncating")
    assert row.functional_call == "loss_of_function"
    assert row.biallelic == "unknown"  # no copy-number evidence either way
    assert "antigen_presentation_loss" in row.mechanisms
    assert row.detail == "p.L13fs; Frame_Shift_Del"


@pytest.mark.parametrize(
    "cna_row",
    [
        {"loh": True},
        {"gistic": -1},
        {"total_cn": 2, "minor_cn": 0},  # copy-neutral LOH
        {"total_cn": 1, "minor_cn": 0},
    ],
)
def test_jak1_nonsense_plus_loh_is_biallelic(cna_row):
    mt = mutations([("JAK1", "S1", "Nonsense_Mutation", "p.Q503*", "1", 1, "G", "A")])
    cna = _cna([{"sample_id": "S1", "gene": "JAK1", **cna_row}])
    ev = call_events(mt, cna=cna)
    trunc = _one(ev, "JAK1", "truncating")
    loh = _one(ev, "JAK1", "loh")
    assert trunc.biallelic == "true" and loh.biallelic == "true"
    assert trunc.functional_call == loh.functional_call == "loss_of_function"


def test_truncating_with_retained_allele_is_not_biallelic():
    mt = mutations([("JAK1", "S1", "Nonsense_Mutation", "p.Q503*", "1", 1, "G", "A")])
    cna = _cna([{"sample_id": "S1", "gene": "JAK1", "gistic": 0}])
    assert _one(call_events(mt, cna=cna), "JAK1", "truncating").biallelic == "false"


def test_two_truncating_mutations_are_biallelic():
    mt = mutations(
        [
            ("PTEN", "S1", "Nonsense_Mutation", "p.R130*", "10", 100, "C", "T"),
            ("PTEN", "S1", "Frame_Shift_Ins", "p.K267fs", "10", 200, "-", "A"),
        ]
    )
    ev = call_events(mt)
    assert set(ev.loc[ev.gene == "PTEN", "biallelic"]) == {"true"}


def test_duplicate_truncating_rows_are_one_hit():
    row = ("PTEN", "S1", "Nonsense_Mutation", "p.R130*", "10", 100, "C", "T")
    ev = call_events(mutations([row, row]))
    assert len(ev) == 1 and ev.loc[0, "biallelic"] == "unknown"


def test_jak2_missense_is_a_vus_not_loss_of_function():
    mt = mutations([("JAK2", "S1", "Missense_Mutation", "p.P870S", "9", 1, "C", "T")])
    row = _one(call_events(mt), "JAK2", "missense_vus")
    assert row.functional_call == "unknown" and row.biallelic == "unknown"
    # even with LOH of the other allele the missense stays a VUS
    ev = call_events(mt, cna=_cna([{"sample_id": "S1", "gene": "JAK2", "gistic": -1}]))
    assert _one(ev, "JAK2", "missense_vus").functional_call == "unknown"
    assert _one(ev, "JAK2", "loh").biallelic == "unknown"
    assert "loss_of_function" not in set(ev["functional_call"])


def test_pten_deep_deletion_from_copy_number_only():
    cna = _cna([{"sample_id": "S9", "gene": "PTEN", "gistic": -2},
                {"sample_id": "S9", "gene": "JAK1", "gistic": 0}])  # fmt: skip
    ev = call_events(None, cna=cna)
    row = _one(ev, "PTEN", "deep_deletion")
    assert row.biallelic == "true" and row.functional_call == "loss_of_function"
    assert row.detail == "GISTIC -2"
    assert len(ev) == 1  # JAK1 neutral: no event


def test_deep_deletion_from_absolute_copy_number():
    ev = call_events(None, cna=_cna([{"sample_id": "S1", "gene": "PTEN", "total_cn": 0}]))
    assert _one(ev, "PTEN", "deep_deletion").detail == "total copy number 0"


def test_loh_alone_in_a_sequenced_sample_is_not_biallelic():
    mt = mutations([("TP53", "S1", "Missense_Mutation", "p.R175H", "17", 1, "C", "T")])
    cna = _cna([{"sample_id": "S1", "gene": "B2M", "gistic": -1}])
    row = _one(call_events(mt, cna=cna), "B2M", "loh")
    assert row.biallelic == "false" and row.functional_call == "unknown"


@pytest.mark.parametrize(
    ("gene", "hgvsp", "cls", "event"),
    [
        ("CTNNB1", "p.S45F", "Missense_Mutation", "hotspot_activating"),
        ("CTNNB1", "p.D32Y", "Missense_Mutation", "hotspot_activating"),
        ("CTNNB1", "p.T41A", "Missense_Mutation", "hotspot_activating"),
        ("CTNNB1", "p.S45del", "In_Frame_Del", "hotspot_activating"),
        ("CTNNB1", "p.D747G", "Missense_Mutation", "missense_vus"),  # outside exon 3
        ("CTNNB1", "p.L46F", "Missense_Mutation", "missense_vus"),  # just past S45
        ("BRAF", "p.V600E", "Missense_Mutation", "hotspot_activating"),
        ("BRAF", "p.Val600Lys", "Missense_Mutation", "hotspot_activating"),
        ("BRAF", "p.A600E", "Missense_Mutation", "missense_vus"),  # wrong reference residue
        ("BRAF", "p.S467L", "Missense_Mutation", "missense_vus"),
        ("NRAS", "p.Q61K", "Missense_Mutation", "hotspot_activating"),
        ("NRAS", "p.G12C", "Missense_Mutation", "hotspot_activating"),
        ("KRAS", "p.G13D", "Missense_Mutation", "hotspot_activating"),
        ("KRAS", "p.G12_G13insG", "In_Frame_Ins", "inframe_vus"),  # RAS hotspots: missense only
        ("PIK3CA", "p.E542K", "Missense_Mutation", "hotspot_activating"),
        ("PIK3CA", "p.E545K", "Missense_Mutation", "hotspot_activating"),
        ("PIK3CA", "p.H1047R", "Missense_Mutation", "hotspot_activating"),
        ("PIK3CA", "p.M299L", "Missense_Mutation", "missense_vus"),
    ],
)
def test_hotspots(gene, hgvsp, cls, event):
    ev = call_events(mutations([(gene, "S1", cls, hgvsp, "1", 1, "C", "T")]))
    row = _one(ev, gene, event)
    expected = "activating" if event == "hotspot_activating" else "unknown"
    assert row.functional_call == expected


def test_hotspot_codon_from_hgvsc_when_hgvsp_missing():
    frame = pd.DataFrame(
        {
            "Tumor_Sample_Barcode": ["S1", "S1"],
            "Hugo_Symbol": ["KRAS", "KRAS"],
            "Variant_Classification": ["Missense_Mutation", "Missense_Mutation"],
            "HGVSp_Short": [None, None],
            "HGVSc": ["c.35G>A", "c.100G>A"],
            "Chromosome": ["12", "12"],
            "Start_Position": [25398284, 25398200],
        }
    )
    from immunescape.genomics import MutationTable

    ev = call_events(MutationTable.from_frame(frame, resolve_genes=False))
    assert ev["event"].tolist() == ["hotspot_activating", "missense_vus"]
    assert ev.loc[0, "detail"] == "c.35G>A (codon 12 from HGVSc); Missense_Mutation"


def test_splice_region_and_silent_are_not_events():
    mt = mutations(
        [
            ("B2M", "S1", "Splice_Region", None, "15", 1, "C", "T"),
            ("B2M", "S1", "Silent", "p.L12=", "15", 2, "C", "T"),
            ("B2M", "S1", "Intron", None, "15", 3, "C", "T"),
        ]
    )
    assert call_events(mt).empty


def test_amplification_of_oncogene_and_oncogene_truncation():
    cna = _cna([{"sample_id": "S1", "gene": "MYC", "gistic": 2},
                {"sample_id": "S2", "gene": "MYC", "total_cn": 9}])  # fmt: skip
    ev = call_events(None, cna=cna)
    assert ev["event"].tolist() == ["amplification", "amplification"]
    assert set(ev["functional_call"]) == {"activating"}
    mt = mutations([("BRAF", "S1", "Nonsense_Mutation", "p.R10*", "7", 1, "C", "T")])
    assert _one(call_events(mt), "BRAF", "truncating").functional_call == "unknown"


def test_genes_outside_the_knowledge_file():
    mt = mutations([("TP53", "S1", "Nonsense_Mutation", "p.R213*", "17", 1, "C", "T")])
    assert call_events(mt).empty
    ev = call_events(mt, genes=["TP53"])
    assert ev.loc[0, "role"] == "unknown" and ev.loc[0, "functional_call"] == "unknown"


def test_ptpn2_loss_is_flagged_as_sensitivity_in_the_knowledge_file():
    from immunescape.genomics import load_gene_knowledge

    kb = load_gene_knowledge()
    effects = {g.symbol: g.effect for g in kb.mechanisms["crispr_screen_genes"].genes}
    assert effects == {"APLNR": "resistance", "PTPN2": "sensitivity"}


def test_hla_loh_events_combine_with_hla_mutations():
    loh = hla_loh_from_frame(
        pd.DataFrame(
            {"sample_id": ["S1", "S1", "S2", "S2"],
             "allele": ["A*02:01", "A*24:02", "B*07:02", "B*08:01"],
             "copy_number": [0.1, 1.9, 1.0, 1.1], "p_value": [0.001, 0.001, 0.5, 0.5]}
        )
    )  # fmt: skip
    mt = mutations([("HLA-A", "S1", "Frame_Shift_Del", "p.K100fs", "6", 1, "A", "-")])
    ev = call_events(mt, hla_loh=loh)
    row = _one(ev, "HLA-A", "loh")
    assert row.detail == "A*02:01 lost (copy number 0.10, p=0.001)"
    assert row.biallelic == "true"
    assert _one(ev, "HLA-A", "truncating").biallelic == "true"
    assert not (ev["sample_id"] == "S2").any()


def test_output_columns_and_order():
    mt = mutations(
        [
            ("JAK2", "S2", "Missense_Mutation", "p.P870S", "9", 1, "C", "T"),
            ("B2M", "S1", "Nonsense_Mutation", "p.W80*", "15", 1, "G", "A"),
            ("B2M", "S2", "Frame_Shift_Del", "p.L13fs", "15", 2, "T", "-"),
        ]
    )
    ev = call_events(mt)
    assert list(ev.columns[:5]) == ["sample_id", "gene", "event", "detail", "biallelic"]
    assert ev[["sample_id", "gene"]].values.tolist() == [["S2", "B2M"], ["S2", "JAK2"],
                                                         ["S1", "B2M"]]  # fmt: skip
