"""Mechanism synthesis: hand-made patients whose correct calls follow from the published rules
(Zaretsky et al. 2016 biallelic JAK1/B2M loss; missense stays a VUS), percentiles against
scipy, three-valued logic, reference cohorts and the weakest-link rule of recommendations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import percentileofscore, rankdata

from immunescape.kb import load_kb
from immunescape.mechanisms import Evidence, call_mechanisms, percentile_table
from immunescape.recommend import recommend

KB = load_kb()
IFNG = "ifng_pathway_loss"


def _events(rows):
    cols = ["sample_id", "gene", "event", "detail", "biallelic", "functional_call"]
    return pd.DataFrame(rows, columns=cols)


def _call(ev, mech=IFNG):
    t = call_mechanisms(ev, mechanisms=[mech]).table
    return t.set_index("sample_id")


def test_percentiles_match_scipy():
    rng = np.random.default_rng(0)
    s = pd.DataFrame({"a": rng.normal(size=40).round(1)}, index=[f"s{i}" for i in range(40)])
    within = percentile_table(s, min_samples=20)["a"]
    np.testing.assert_allclose(within, rankdata(s["a"]) / 40 * 100)
    ref = pd.DataFrame({"a": rng.normal(size=30).round(1)})
    one = pd.DataFrame({"a": [0.3, -5.0, np.nan]}, index=["p", "q", "r"])
    got = percentile_table(one, reference=ref, min_samples=20)["a"]
    expected = [percentileofscore(ref["a"], 0.3, kind="mean"),
                percentileofscore(ref["a"], -5.0, kind="mean")]
    np.testing.assert_allclose(got.iloc[:2], expected)
    assert np.isnan(got.iloc[2])
    # too few reference samples: no percentile at all
    assert percentile_table(one, reference=ref.iloc[:5], min_samples=20)["a"].isna().all()


def test_biallelic_jak1_is_present_and_missense_is_not():
    ev = _events([
        ("P1", "JAK1", "truncating", "p.Q503*", "true", "loss_of_function"),
        ("P1", "JAK1", "loh", "GISTIC -1", "true", "loss_of_function"),
        ("P2", "JAK2", "missense_vus", "p.P870S", "unknown", ""),
    ])
    samples = ["P1", "P2", "P3"]
    calls = _call(Evidence(samples, events=ev,
                           inputs={"mutations": set(samples), "cna": set(samples)}))
    assert calls.loc["P1", "status"] == "present"
    assert calls.loc["P1", "strength"] == 1.0
    assert "JAK1 p.Q503* truncating (biallelic)" in calls.loc["P1", "dna_evidence"]
    assert calls.loc["P2", "status"] == "absent"  # a VUS is never loss of function
    assert calls.loc["P3", "status"] == "absent"


def test_single_hit_without_copy_number_is_moderate_and_biallelic_rule_unknown():
    ev = _events([("P1", "JAK2", "truncating", "p.R200*", "unknown", "loss_of_function")])
    calls = _call(Evidence(["P1", "P2"], events=ev, inputs={"mutations": {"P1", "P2"}}))
    # one truncating hit: moderate block matched (0.6) -> present; biallelic rule NA (no CNA)
    assert calls.loc["P1", "status"] == "present"
    assert calls.loc["P1", "strength"] == pytest.approx(0.6)
    assert calls.loc["P1", "reason"].startswith("DNA evidence (DNA moderate)")
    # P2: no mutation, but without copy number biallelic loss by deletion cannot be excluded;
    # the one-hit rule (truncating/deep deletion) is also unknown -> every DNA block is NA
    assert calls.loc["P2", "status"] == "not_assessable"


def test_dna_and_rna_concordance_strengthens_the_call():
    n = 30
    samples = [f"S{i:02d}" for i in range(n)]
    rng = np.random.default_rng(1)
    scores = pd.DataFrame({"mcp_cd8_t_cells": rng.normal(size=n),
                           "progeny_jak_stat": rng.normal(size=n)}, index=samples)
    scores.loc["S00", ["mcp_cd8_t_cells", "progeny_jak_stat"]] = [10.0, -10.0]  # T cells, no IFN
    scores.loc["S01", ["mcp_cd8_t_cells", "progeny_jak_stat"]] = [10.0, -10.0]
    ev = _events([("S00", "JAK1", "truncating", "p.Q503*", "unknown", "loss_of_function"),
                  ("S02", "JAK1", "truncating", "p.Q503*", "unknown", "loss_of_function")])
    calls = _call(Evidence(samples, scores=scores, events=ev,
                           inputs={"mutations": set(samples)}))
    # S00: one-hit DNA (moderate 0.6) + discordant RNA (weak) -> 0.8, concordant
    assert calls.loc["S00", "strength"] == pytest.approx(0.8)
    assert "concordant" in calls.loc["S00", "reason"]
    assert "while" in calls.loc["S00", "rna_evidence"]
    # S02: DNA alone; S01: RNA alone (weak) -> indeterminate
    assert calls.loc["S02", "strength"] == pytest.approx(0.6)
    assert calls.loc["S01", "status"] == "indeterminate"
    assert calls.loc["S00", "strength"] > calls.loc["S02", "strength"] > calls.loc[
        "S01", "strength"]


def test_one_sample_needs_a_reference_for_rna_evidence():
    scores = pd.DataFrame({"mcp_cd8_t_cells": [3.0], "progeny_jak_stat": [-3.0],
                           "cd8_teff": [2.0], "pan_ftbrs": [0.0]}, index=["P1"])
    alone = call_mechanisms(Evidence(["P1"], scores=scores), mechanisms=[IFNG])
    assert alone.table["status"].tolist() == ["not_assessable"]
    assert any("reference" in w for w in alone.warnings)
    rng = np.random.default_rng(2)
    ref = pd.DataFrame(rng.normal(size=(40, 4)), columns=scores.columns)
    with_ref = call_mechanisms(Evidence(["P1"], scores=scores, reference_scores=ref),
                               mechanisms=[IFNG])
    assert with_ref.table["status"].tolist() == ["indeterminate"]  # weak RNA evidence only
    assert with_ref.percentile_basis == "reference"


def test_mechanism_without_rules_is_not_assessable_with_its_reason():
    t = call_mechanisms(Evidence(["P1"]), mechanisms=["cblb_t_cell_intrinsic"]).table
    assert t["status"].tolist() == ["not_assessable"]
    assert t["reason"].iloc[0] == KB.mechanisms["cblb_t_cell_intrinsic"].not_assessable_reason


# ----------------------------------------------------------------------------- recommendations
def test_recommendation_level_is_the_weaker_link():
    link = KB.links[("lag3_coinhibition", "anti_lag3")]
    assert KB.link_level(link) == "A"
    calls = pd.DataFrame({"sample_id": ["P1", "P2"], "mechanism_id": ["lag3_coinhibition"] * 2,
                          "status": ["present", "indeterminate"], "strength": [0.6, 0.3],
                          "level": ["E", "E"]})
    rec = recommend(calls).recommendations
    assert rec["sample_id"].unique().tolist() == ["P1"]  # indeterminate proposes nothing
    row = rec.set_index("countermeasure_id").loc["anti_lag3"]
    assert row["evidence_level"] == "E"  # an inferential call caps an A-level link


def test_contested_link_is_flagged_and_sensitivity_is_not_treated():
    # tgfb_blockade is contested by the negative bintrafusp alfa phase 3; IDO1 high in an
    # inflamed tumour and adaptive PD-L1 are sensitivity features and propose nothing
    calls = pd.DataFrame({"sample_id": ["P1", "P1", "P1"],
                          "mechanism_id": ["tgfb_exclusion", "ido1_tryptophan", "adaptive_pdl1"],
                          "status": ["present"] * 3, "strength": [1.0] * 3,
                          "level": ["B"] * 3})
    rec = recommend(calls).recommendations.set_index("countermeasure_id")
    assert "tgfb_blockade" in rec.index
    assert bool(rec.loc["tgfb_blockade", "contested"])
    assert "CONTESTED" in rec.loc["tgfb_blockade", "rationale"]
    assert rec.loc["tgfb_blockade", "stage"] == "negative_phase3"
    assert "ido1_inhibition" not in rec.index
    assert not rec["mechanism_ids"].str.contains("adaptive_pdl1|ido1_tryptophan").any()
    assert list(rec["rank"]) == list(range(1, len(rec) + 1))
