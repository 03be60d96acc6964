"""Recall and precision of planted mechanisms on the simulated cohort.

The simulator plants DNA lesions (biallelic JAK1/2 loss in IFN-gamma-decoupled tumours, B2M
truncation + LOH or HLA LOH in APM-low tumours, PTEN deletion/truncation, CTNNB1 exon-3
hotspots or biallelic APC/AXIN1 loss in Wnt-active tumours, BRAF V600/NRAS Q61) together with
decoys that must not be called (JAK2 missense VUS, CTNNB1 missense outside exon 3, B2M
silent, PTEN splice-region, single truncating hits with the other allele intact). The truth
is the simulator's own record of what it planted, independent of the calling rules.
"""

from __future__ import annotations

import warnings

import pytest

from immunescape.datasets import simulate_cohort, write_cohort
from immunescape.pipeline import run_pipeline

PLANTED = {  # mechanism -> truth columns (planted biology, planted DNA lesion)
    "ifng_pathway_loss": ("ifng_decoupled", "dna_ifng_pathway_loss"),
    "antigen_presentation_loss": ("apm_loss", "dna_antigen_presentation_loss"),
    "pten_loss_pi3k": ("pten_loss", "dna_pten_loss_pi3k"),
    "wnt_beta_catenin": ("wnt_active", "dna_wnt_beta_catenin"),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    cohort = simulate_cohort(200, seed=0)
    d = tmp_path_factory.mktemp("demo") / "inputs"
    write_cohort(cohort, d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = run_pipeline(
            expr=d / "expression.tsv", unit="tpm", clinical=d / "clinical.tsv",
            maf=d / "maf.tsv", cna=d / "cna.tsv", hla=d / "hla.tsv", hla_loh=d / "hla_loh.tsv",
            capture_mb=cohort.params["capture_mb"], tmb_assay="exome", dna_samples="all",
        )
    return cohort, res


@pytest.mark.parametrize("mechanism", sorted(PLANTED))
def test_planted_dna_mechanisms_recall_and_precision(demo, mechanism):
    cohort, res = demo
    truth_tab = cohort.truth
    state, dna = PLANTED[mechanism]
    m = res.tables["mechanisms.tsv"]
    called = (m[m.mechanism_id == mechanism].set_index("sample_id")["status"]
              .reindex(truth_tab.index) == "present")
    planted_dna = truth_tab[dna].astype(bool)
    planted_any = planted_dna | (truth_tab[state].astype(bool) if state else False)
    assert planted_dna.sum() >= 10
    recall = (called & planted_dna).sum() / planted_dna.sum()
    precision = (called & planted_any).sum() / called.sum()
    assert recall >= 0.9, f"{mechanism}: recall {recall:.2f}"
    assert precision >= 0.9, f"{mechanism}: precision {precision:.2f}"


def test_planted_mapk_hotspots_are_found_but_not_called_resistance(demo):
    """A BRAF V600/NRAS Q61 hotspot is certain, but its immune effect is cell-line (level D)
    evidence and BRAF status does not predict anti-PD-1 failure (Larkin et al. 2015): the
    hotspot must be found and named (DNA rule met, status indeterminate), never called
    present and never turned into a recommendation."""
    cohort, res = demo
    planted = cohort.truth["dna_mapk_oncogenic"].astype(bool)
    m = res.tables["mechanisms.tsv"]
    m = m[m.mechanism_id == "mapk_oncogenic"].set_index("sample_id").reindex(planted.index)
    dna_met = m["dna_evidence"].fillna("").str.contains(r"(?:BRAF|NRAS|KRAS) \S+ hotspot")
    assert planted.sum() >= 10
    recall = (dna_met & planted).sum() / planted.sum()
    precision = (dna_met & planted).sum() / dna_met.sum()
    assert recall >= 0.9, f"mapk hotspot recall {recall:.2f}"
    assert precision >= 0.9, f"mapk hotspot precision {precision:.2f}"
    assert (m.loc[planted, "status"] == "indeterminate").mean() >= 0.9
    assert not (m["status"] == "present").any()
    rec = res.tables["recommendations.tsv"]
    assert not rec["mechanism_ids"].astype(str).str.contains("mapk_oncogenic").any()


DECOY_MECHANISM = {"JAK1": "ifng_pathway_loss", "JAK2": "ifng_pathway_loss",
                   "B2M": "antigen_presentation_loss", "PTEN": "pten_loss_pi3k",
                   "APC": "wnt_beta_catenin", "AXIN1": "wnt_beta_catenin"}


def test_decoys_are_not_called(demo):
    cohort, res = demo
    m = res.tables["mechanisms.tsv"].set_index(["sample_id", "mechanism_id"])["status"]
    t = cohort.truth
    checks = []
    for sid, gene in t["decoy_single_truncating"].items():
        if gene:
            checks.append((sid, DECOY_MECHANISM[gene]))
    for col, mech in (("decoy_jak2_missense", "ifng_pathway_loss"),
                      ("decoy_ctnnb1_missense", "wnt_beta_catenin"),
                      ("decoy_b2m_silent", "antigen_presentation_loss"),
                      ("decoy_pten_splice_region", "pten_loss_pi3k")):
        checks += [(sid, mech) for sid in t.index[t[col].astype(bool)]]
    assert len(checks) >= 10
    state_of = {mech: PLANTED[mech] for mech in PLANTED}
    for sid, mech in checks:
        state, dna = state_of[mech]
        if t.loc[sid, dna]:
            continue  # a real lesion was planted in the same tumour as well
        assert m.loc[(sid, mech)] != "present", (sid, mech)
