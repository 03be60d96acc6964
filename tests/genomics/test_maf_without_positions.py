"""A minimal MAF (gene, class, sample; no positions, no HGVS) counts every row.

Hand-built file: sample S1 has three CEBPA calls of three classes and two TTN missense calls
(distinct mutations the file cannot tell apart: TCGA LAML has such pairs), S2 one call. The
nonsynonymous TMB count is therefore 5 and 1 (every row), not 2 and 1 (one per gene).
"""

from __future__ import annotations

import pandas as pd

from immunescape.genomics import compute_tmb, read_maf


def test_every_row_counts_without_positions(tmp_path):
    maf = tmp_path / "min.maf"
    pd.DataFrame({
        "Hugo_Symbol": ["CEBPA", "CEBPA", "CEBPA", "TTN", "TTN", "TP53"],
        "Variant_Classification": ["In_Frame_Ins", "Frame_Shift_Del", "Missense_Mutation",
                                   "Missense_Mutation", "Missense_Mutation",
                                   "Missense_Mutation"],
        "Tumor_Sample_Barcode": ["S1"] * 5 + ["S2"]}).to_csv(maf, sep="\t", index=False)
    mt = read_maf(maf)
    t = compute_tmb(mt, capture_mb=1.0).set_index("sample_id")["n_mutations_counted"]
    assert t.to_dict() == {"S1": 5, "S2": 1}
    assert any("every row counts as one mutation" in n for n in mt.notes)


def test_hgvsp_still_identifies_variants_without_positions(tmp_path):
    """With HGVSp, two rows of one protein change are one mutation (the documented key)."""
    maf = tmp_path / "hgvsp.maf"
    pd.DataFrame({
        "Hugo_Symbol": ["BRAF", "BRAF", "BRAF"],
        "Variant_Classification": ["Missense_Mutation"] * 3,
        "HGVSp_Short": ["p.V600E", "p.V600E", "p.K601E"],
        "Tumor_Sample_Barcode": ["S1"] * 3}).to_csv(maf, sep="\t", index=False)
    t = compute_tmb(read_maf(maf), capture_mb=1.0)
    assert t["n_mutations_counted"].tolist() == [2]
