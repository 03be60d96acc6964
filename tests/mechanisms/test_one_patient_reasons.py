"""One patient: TMB judged by a fixed cut-off; a not-assessable reason names its true cause."""

from __future__ import annotations

import numpy as np
import pandas as pd

from immunescape.mechanisms import Evidence, call_mechanisms


def _call(tmb_per_mb: float | None, mechanism: str, scores: pd.DataFrame | None = None):
    tmb = None
    inputs: dict[str, set[str]] = {}
    if tmb_per_mb is not None:
        tmb = pd.DataFrame({"tmb_per_mb": [tmb_per_mb]}, index=pd.Index(["p1"], name="sample_id"))
        inputs["mutations"] = {"p1"}
    ev = Evidence(["p1"], scores=scores, tmb=tmb, inputs=inputs)
    return call_mechanisms(ev, mechanisms=[mechanism]).mechanisms.iloc[0]


def test_tmb_below_the_fda_cut_off_is_weak_evidence_for_one_patient():
    # KEYNOTE-158 / FDA: TMB-high is >= 10 mutations per Mb; 2.1 is below, 15 is not
    low = _call(2.1, "low_antigenicity")
    assert low["status"] == "indeterminate" and low["strength"] == 0.3
    assert low["dna_evidence"] == "tmb.tmb_per_mb 2.1 (< 10)"
    assert "ev_marabelle2020_tmb_keynote158" in low["evidence_ids"]
    high = _call(15.0, "low_antigenicity")
    assert high["status"] == "absent"
    assert "tmb.tmb_per_mb 15 (not < 10)" in high["dna_evidence"]
    edge = _call(10.0, "low_antigenicity")  # exactly TMB-high: not low
    assert edge["status"] == "absent"


def test_not_assessable_reason_names_the_cause():
    # cohort-relative scores of one sample are NaN (scoring needs a cohort); the reason says
    # that, not "inputs missing" and not a generic "give a reference cohort"
    scores = pd.DataFrame({"cd8_teff": [np.nan], "pan_ftbrs": [np.nan]},
                          index=pd.Index(["p1"], name="sample_id"))
    row = _call(None, "immune_desert", scores=scores)
    assert row["status"] == "not_assessable"
    assert row["reason"].startswith("no rule could be evaluated: cd8_teff is "
                                    "cohort-relative (no shipped reference)")
    assert "--reference" in row["reason"]
    row = _call(None, "aneuploidy_scna")
    assert row["reason"] == "needs segments; none given for this sample"


def test_desert_reason_names_the_phenotype_call():
    from immunescape.mechanisms._engine import note_phenotype

    calls = pd.DataFrame({
        "sample_id": ["p1", "p1", "p2"],
        "mechanism_id": ["immune_desert", "low_antigenicity", "immune_desert"],
        "status": ["not_assessable", "not_assessable", "present"],
        "reason": ["no rule could be evaluated: x", "no rule could be evaluated: y", "z"],
    })
    pheno = pd.DataFrame({"sample_id": ["p1", "p2"], "immune_phenotype": ["desert", "desert"],
                          "p_desert": [0.736, 0.9], "scale": ["shipped reference (melanoma)"] * 2})
    out = note_phenotype(calls, pheno)
    assert out["reason"].tolist() == [
        "no rule could be evaluated: x; phenotypes.tsv calls the immune phenotype desert "
        "(p_desert 0.74) from per-gene values scaled to the shipped reference (melanoma): a "
        "different method, which this rule's cohort-relative scores cannot use",
        "no rule could be evaluated: y", "z"]
    assert calls["reason"].iloc[0] == "no rule could be evaluated: x"  # input not modified
