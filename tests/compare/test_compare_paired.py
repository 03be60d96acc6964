"""Paired biopsies: signed-rank p against an exact enumeration written here; the responder
versus non-responder change against an exact rank-sum enumeration; a hand-made acquired-
resistance case modelled on Zaretsky et al. 2016 (NEJM, PMID 27433843)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from immunescape.compare import (
    PAIRED_COLUMNS,
    new_events,
    pair_samples,
    paired_changes,
    split_by_timepoint,
)
from immunescape.compare._paired import _new_events, _paired_changes
from immunescape.errors import InputError


def _exact_signed_rank_p(d):
    d = np.asarray(d, float)
    d = d[d != 0]
    ranks = pd.Series(np.abs(d)).rank().to_numpy()
    w_obs = ranks[d > 0].sum()
    dist = np.array(
        [
            sum(r for r, s in zip(ranks, signs, strict=True) if s)
            for signs in itertools.product([0, 1], repeat=len(d))
        ]
    )
    lo = np.mean(dist <= w_obs + 1e-9)
    hi = np.mean(dist >= w_obs - 1e-9)
    return min(1.0, 2 * min(lo, hi))


def _exact_rank_sum_p(a, b):
    allv = np.r_[a, b]
    ranks = pd.Series(allv).rank().to_numpy()
    obs = ranks[: len(a)].sum()
    mean = len(a) * (len(allv) + 1) / 2
    sums = np.array(
        [ranks[list(c)].sum() for c in itertools.combinations(range(len(allv)), len(a))]
    )
    return float(np.mean(np.abs(sums - mean) >= abs(obs - mean) - 1e-9))


@pytest.fixture
def paired():
    rng = np.random.default_rng(8)
    n_pat = 10
    patients = [f"Pt{i}" for i in range(n_pat)]
    resp = ["R"] * 4 + ["NR"] * 6
    rows, vals = [], []
    for p, r in zip(patients, resp, strict=True):
        pre = rng.normal(0, 1, 2)
        gain = 1.5 if r == "R" else 0.2
        post = pre + np.array([gain, 0.0]) + rng.normal(0, 0.4, 2)
        rows += [(f"{p}_Pre", p, "Pre", r), (f"{p}_On", p, "On", r)]
        vals += [pre, post]
    meta = pd.DataFrame(rows, columns=["sample", "patient", "tp", "response"]).set_index("sample")
    feats = pd.DataFrame(vals, index=meta.index, columns=["cd8", "noise"])
    # an unpaired sample (only pre) must be ignored
    meta.loc["Pt99_Pre"] = ["Pt99", "Pre", "NR"]
    feats.loc["Pt99_Pre"] = [5.0, 5.0]
    return feats, meta


def test_signed_rank_against_enumeration(paired):
    feats, meta = paired
    t, settings = _paired_changes(
        feats,
        meta,
        patient_col="patient",
        timepoint_col="tp",
        pre="pre",
        post="on",
        response_col="response",
    )
    assert list(t.columns) == PAIRED_COLUMNS
    assert settings["n_pairs"] == 10
    for (feat, group), row in t.set_index(["feature", "group"]).iterrows():
        if group == "R_vs_NR":
            continue
        pts = [f"Pt{i}" for i in range(10)]
        if group == "R":
            pts = pts[:4]
        elif group == "NR":
            pts = pts[4:]
        d = np.array([feats.loc[f"{p}_On", feat] - feats.loc[f"{p}_Pre", feat] for p in pts])
        assert row["n_pairs"] == len(pts)
        assert row["p_value"] == pytest.approx(_exact_signed_rank_p(d), abs=1e-12)
        assert row["median_delta"] == pytest.approx(np.median(d))
    cd8 = t[(t["feature"] == "cd8") & (t["group"] == "R")].iloc[0]
    assert cd8["direction"] == "up" and cd8["p_value"] == pytest.approx(0.125)  # 4 pairs, all up


def test_between_group_change_against_enumeration(paired):
    feats, meta = paired
    t = paired_changes(
        feats,
        meta,
        patient_col="patient",
        timepoint_col="tp",
        pre="Pre",
        post="On",
        response_col="response",
    )
    row = t[(t["feature"] == "cd8") & (t["group"] == "R_vs_NR")].iloc[0]
    d = {
        p: feats.loc[f"{p}_On", "cd8"] - feats.loc[f"{p}_Pre", "cd8"]
        for p in [f"Pt{i}" for i in range(10)]
    }
    dr = [d[f"Pt{i}"] for i in range(4)]
    dn = [d[f"Pt{i}"] for i in range(4, 10)]
    assert row["p_value"] == pytest.approx(_exact_rank_sum_p(dr, dn), abs=1e-12)
    assert row["direction"] == "larger_in_responders"
    # BH within the group
    grp = t[t["group"] == "all"]
    from statsmodels.stats.multitest import multipletests

    assert np.allclose(grp["q_value"], multipletests(grp["p_value"], method="fdr_bh")[1])


def test_too_few_pairs_and_zero_changes():
    meta = pd.DataFrame({"pt": list("AABB"), "tp": ["pre", "on"] * 2}, index=list("abcd"))
    feats = pd.DataFrame({"x": [1.0, 2, 3, 4], "z": [1.0, 1, 2, 2]}, index=meta.index)
    t = paired_changes(feats, meta, patient_col="pt", timepoint_col="tp").set_index("feature")
    assert np.isnan(t.loc["x", "p_value"]) and "2 pair(s) (minimum 3)" in t.loc["x", "note"]
    t = paired_changes(feats, meta, patient_col="pt", timepoint_col="tp", min_pairs=2)
    z = t.set_index("feature").loc["z"]
    assert (
        np.isnan(z["p_value"]) and z["note"] == "all changes are zero" and z["direction"] == "none"
    )


def test_pairing_errors():
    meta = pd.DataFrame({"pt": ["A", "A", "A"], "tp": ["pre", "pre", "on"]}, index=list("abc"))
    with pytest.raises(InputError, match="patient 'A' has 2 samples at timepoint 'pre'"):
        pair_samples(meta, patient_col="pt", timepoint_col="tp")
    with pytest.raises(InputError, match="no sample has timepoint 'post'"):
        pair_samples(meta.iloc[1:], patient_col="pt", timepoint_col="tp", post="post")
    with pytest.raises(InputError, match="no column 'patient'"):
        pair_samples(meta, patient_col="patient", timepoint_col="tp")
    meta = pd.DataFrame({"pt": ["A", "A"], "tp": ["pre", "on"], "r": ["R", "NR"]}, index=list("ab"))
    feats = pd.DataFrame({"x": [1.0, 2]}, index=list("ab"))
    with pytest.raises(InputError, match="patient 'A' is labelled both R and NR"):
        paired_changes(feats, meta, patient_col="pt", timepoint_col="tp", response_col="r")


def test_new_events_zaretsky_like_case():
    # Patient 1: BRAF V600E before and at relapse; at relapse a JAK1 truncation on top of JAK1
    # LOH already present before (second hit) and a new B2M truncation. Patient 2: nothing new.
    # Patient 3: relapse biopsy only (not sequenced before) -> skipped, listed in attrs.
    pre = pd.DataFrame(
        {
            "sample_id": ["p1", "p1", "p2"],
            "gene": ["BRAF", "JAK1", "NRAS"],
            "event": ["hotspot_activating", "loh", "hotspot_activating"],
            "detail": ["p.V600E", "copy-neutral LOH", "p.Q61R"],
            "biallelic": ["unknown", "false", "unknown"],
        }
    )
    post = pd.DataFrame(
        {
            "sample_id": ["p1", "p1", "p1", "p1", "p2", "p3"],
            "gene": ["BRAF", "JAK1", "JAK1", "B2M", "NRAS", "JAK2"],
            "event": [
                "hotspot_activating",
                "loh",
                "truncating",
                "truncating",
                "hotspot_activating",
                "truncating",
            ],
            "detail": ["p.V600E", "copy-neutral LOH", "p.Q503*", "p.S14fs", "p.Q61R", "p.F547fs"],
            "biallelic": ["unknown", "false", "true", "unknown", "unknown", "unknown"],
        }
    )
    t, settings = _new_events(pre, post)
    assert t[["patient_id", "gene", "event", "detail"]].values.tolist() == [
        ["p1", "JAK1", "truncating", "p.Q503*"],
        ["p1", "B2M", "truncating", "p.S14fs"],
    ]
    d = t.set_index("gene")
    assert d.loc["JAK1", "gene_altered_before"] and not d.loc["B2M", "gene_altered_before"]
    assert d.loc["JAK1", "mechanism"] == "ifng_pathway_loss"
    assert d.loc["B2M", "mechanism"] == "antigen_presentation_loss"
    assert d.loc["JAK1", "biallelic"] == "true"
    assert settings["patients_not_sequenced_before"] == ["p3"]
    # a pre sample sequenced but without any event: everything at relapse is new
    t = new_events(pre, post, sequenced_pre=["p1", "p2", "p3"])
    assert "JAK2" in set(t["gene"])
    # match on the event type only: the JAK1 truncation is still new, nothing else changes
    assert len(new_events(pre, post, match="event")) == 2


def test_split_one_table_by_timepoint():
    meta = pd.DataFrame(
        {"pt": ["A", "A", "B"], "tp": ["pre", "post", "post"]}, index=["A1", "A2", "B2"]
    )
    ev = pd.DataFrame(
        {"sample_id": ["A2", "B2"], "gene": ["B2M", "JAK2"], "event": ["truncating", "truncating"]}
    )
    pre, post, pts = split_by_timepoint(ev, meta, patient_col="pt", timepoint_col="tp")
    assert pts == ["A"] and post["sample_id"].tolist() == ["A"] and pre.empty
    t = new_events(pre, post, sequenced_pre=pts)
    assert t[["patient_id", "gene"]].values.tolist() == [["A", "B2M"]]
