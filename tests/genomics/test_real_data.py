"""Validation on real ICB cohorts (../shared/data; skipped when absent).

References
----------
Riaz et al. 2017 (Cell, PMID 29033130), authors' tables: ``pre_therapy_nonsynonmous_mutations.csv``
(nonsynonymous SNVs, SO terms, GRCh37, old Mac CR line endings) and ``MutCnt_pretheray.csv``
(per-patient nonsynonymous counts). Response: ``bms038_clinical_data.csv`` myBOR.
Hugo et al. 2016 (Cell, PMID 26997480): ``patient_info_with_mutations.txt`` (``mb``, irRECIST).
Chowell et al. 2022 (Nat Biotechnol) MSK-IMPACT training cohort as tabulated by LORIS
(Chang et al. 2024): AUC of panel TMB for response = 0.609 (n = 964), a published number.
AUCs are also computed with scikit-learn (an independent peer).
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from immunescape.genomics import call_events, compute_tmb, read_maf, roc_auc

pytestmark = pytest.mark.realdata

RIAZ_COLUMNS = {
    "sample_id": "Patient",
    "gene": "Hugo Symbol",
    "variant_class": "Variant Classification",
    "hgvsp": "HGVS_p",
    "hgvsc": "HGVS_c",
    "chrom": "Chromosome",
    "start": "Start",
    "end": "End",
    "t_depth": "Tcov",
    "t_alt_count": "Tac",
}


def _csv(path) -> pd.DataFrame:
    raw = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return pd.read_csv(io.BytesIO(raw))


@pytest.fixture(scope="module")
def riaz(shared_data):
    folder = shared_data / "riaz2017_bms038"
    # 19 HGVS_p values such as 'p.Trp52XXX' are not HGVS: read them as missing
    mt = read_maf(folder / "pre_therapy_nonsynonmous_mutations.csv", columns=RIAZ_COLUMNS,
                  on_malformed_hgvs="blank")  # fmt: skip
    return mt, folder


def test_riaz_counts_equal_the_authors_table(riaz):
    mt, folder = riaz
    assert len(mt) == 28589
    assert mt.notes[0].startswith("19 malformed HGVSp")
    tmb = compute_tmb(mt, capture_mb=1.0, tmb_assay="exome").set_index("sample_id")
    authors = _csv(folder / "MutCnt_pretheray.csv").set_index("Patient")["NonSynMut"]
    assert len(authors) == 68 and set(authors.index) == set(tmb.index)
    diff = tmb["n_mutations_counted"].reindex(authors.index) - authors
    assert (diff == 0).all(), diff[diff != 0]
    # every SO term of the file maps to a non-synonymous class, so nothing is dropped
    assert mt.data["variant_class"].isin(
        {"Missense_Mutation", "Nonsense_Mutation", "Splice_Site", "Translation_Start_Site",
         "Nonstop_Mutation"}
    ).all()  # fmt: skip


def test_riaz_pten_truncations_and_jak2_missense(riaz):
    mt, _ = riaz
    ev = call_events(mt)
    ev = ev.loc[~ev.duplicated(["sample_id", "gene"], keep=False)].set_index(["sample_id", "gene"])
    # Pt89 PTEN p.Arg406* (stop_gained); Pt65 PTEN c.772+1G>A (splice_donor_variant)
    assert ev.loc[("Pt89", "PTEN"), "event"] == "truncating"
    assert ev.loc[("Pt89", "PTEN"), "detail"] == "p.R406*; Nonsense_Mutation"
    assert ev.loc[("Pt65", "PTEN"), "event"] == "truncating"
    assert ev.loc[("Pt65", "PTEN"), "detail"] == "c.772+1G>A; Splice_Site"
    assert (ev.loc[[("Pt89", "PTEN"), ("Pt65", "PTEN")], "functional_call"]
            == "loss_of_function").all()  # fmt: skip
    # Pt54 JAK2 p.Pro870Ser: a VUS, never loss of function
    assert ev.loc[("Pt54", "JAK2"), "event"] == "missense_vus"
    assert ev.loc[("Pt54", "JAK2"), "functional_call"] == "unknown"
    # the PTEN missense changes (Pt52 M443I, Pt72 C244F with splice_region, Pt76 R346H) are VUS
    for pt in ("Pt52", "Pt72", "Pt76"):
        assert ev.loc[(pt, "PTEN"), "event"] == "missense_vus"
    # BRAF V600E/K, NRAS Q61, PIK3CA H1047R hotspots of this melanoma cohort
    hot = call_events(mt).query("event == 'hotspot_activating'")
    assert set(hot["gene"]) == {"BRAF", "NRAS", "KRAS", "PIK3CA"}
    assert (hot["gene"] == "BRAF").sum() == 19 and (hot["gene"] == "NRAS").sum() == 15
    # Pt103 KRAS has no HGVS_p; c.37G>T is codon 13 (G13C)
    assert "codon 13" in ev.loc[("Pt103", "KRAS"), "detail"]


def _riaz_tmb_response(riaz):
    mt, folder = riaz
    tmb = compute_tmb(mt, capture_mb=1.0)
    clin = _csv(folder / "bms038_clinical_data.csv")
    return tmb.merge(clin, left_on="sample_id", right_on="PatientID")


def test_riaz_tmb_separates_responders(riaz):
    """Riaz et al. report higher mutation load in responders. PR/CR vs PD, SD excluded; the
    AUC is scale-free so the capture size does not matter here. Values this data give:
    all 45 patients 0.611; ipilimumab-naive 24 patients 0.681; progressed on ipilimumab 0.538.
    With SD counted as non-response (PR/CR 15 vs SD+PD 53): 0.598."""
    d = _riaz_tmb_response(riaz)
    assert len(d) == 68 and d["myBOR"].value_counts().to_dict() == {"PD": 30, "SD": 23, "PRCR": 15}
    pd_only = d.loc[d["myBOR"] != "SD"]
    y = (pd_only["myBOR"] == "PRCR").astype(int)
    auc = roc_auc(y, pd_only["tmb_per_mb"])
    assert auc == pytest.approx(roc_auc_score(y, pd_only["tmb_per_mb"]), abs=1e-12)
    assert round(auc, 3) == 0.611 and auc > 0.5  # responders have higher TMB
    naive = pd_only.loc[pd_only["Cohort"] == "NIV3-NAIVE"]
    assert round(roc_auc((naive["myBOR"] == "PRCR").astype(int), naive["tmb_per_mb"]), 3) == 0.681
    prog = pd_only.loc[pd_only["Cohort"] == "NIV3-PROG"]
    assert round(roc_auc((prog["myBOR"] == "PRCR").astype(int), prog["tmb_per_mb"]), 3) == 0.538
    y2 = (d["myBOR"] == "PRCR").astype(int)
    assert round(roc_auc(y2, d["tmb_per_mb"]), 3) == 0.598


def test_hugo_mutation_burden_vs_response(shared_data):
    """Hugo et al. 2016: responders (CR/PR, irRECIST) have higher mutational load (the paper:
    a trend, not significant). 36 tumours of 35 patients (Pt27 sequenced twice: the second
    biopsy, WES '1^', is dropped); 4 biopsies were on treatment."""
    h = pd.read_csv(shared_data / "hugo2016" / "patient_info_with_mutations.txt", sep="\t")
    h["responder"] = h["irRECIST"].isin(["Complete Response", "Partial Response"]).astype(int)
    one = h.loc[h["WES"].astype(str) == "1"]
    assert len(one) == 35 and one["Patient.ID"].is_unique
    auc = roc_auc(one["responder"], one["mb"])
    assert auc == pytest.approx(roc_auc_score(one["responder"], one["mb"]))
    assert round(auc, 3) == 0.640
    pre = one.loc[one["Biopsy.Time"] == "pre-treatment"]
    assert len(pre) == 31 and round(roc_auc(pre["responder"], pre["mb"]), 3) == 0.656


def test_chowell_panel_tmb_auc_is_the_published_0609(shared_data):
    df = pd.read_csv(shared_data / "loris_chowell_msk_tmb" / "AllData__Chowell_train.csv")
    assert len(df) == 964
    auc = roc_auc(df["Response"], df["TMB"])
    assert round(auc, 3) == 0.609
    assert auc == pytest.approx(roc_auc_score(df["Response"], df["TMB"]), abs=1e-12)
