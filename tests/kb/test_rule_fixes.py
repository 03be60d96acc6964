"""Rules that once scored markers of an inflamed tumour as resistance (issue 16).

Hand-made cohorts whose correct calls follow from the papers: IDO1 is induced by IFN-gamma
from T cells (Spranger 2013) and sits in the T-cell-inflamed profiles that predict response
(Ayers 2017), so IDO1 high with T cells is a sensitivity feature, never resistance; FOXP3
rises with T-cell infiltration, so only regulatory T cells *relative to* CD8 T cells count
(Sato 2005); a BRAF hotspot's immune effect is cell-line evidence and BRAF status does not
predict anti-PD-1 failure (Larkin 2015), so it stays indeterminate. The Treg/CD8 score is
checked against its definition computed independently with numpy from log2(TPM + 1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from immunescape.errors import CoverageWarning
from immunescape.expression import Expression
from immunescape.kb import load_kb
from immunescape.mechanisms import Evidence, call_mechanisms
from immunescape.recommend import recommend
from immunescape.signatures.runner import score

KB = load_kb()
N = 40
IDX = [f"S{i:02d}" for i in range(N)]


def _scores(**cols):
    rng = np.random.default_rng(7)
    base = {c: rng.normal(size=N) for c in cols}
    df = pd.DataFrame(base, index=IDX)
    for c, overrides in cols.items():
        for sid, v in overrides.items():
            df.loc[sid, c] = v
    return df


def _calls(scores, mech, **kw):
    return call_mechanisms(Evidence(IDX, scores=scores, **kw), mechanisms=[mech]).table.set_index(
        "sample_id"
    )


def test_ido1_high_in_an_inflamed_tumour_is_sensitivity_not_resistance():
    m = KB.mechanisms["ido1_tryptophan"]
    assert m.effect == "sensitivity"
    assert "not: a predictor of checkpoint failure" in " ".join(m.summary.split())
    s = _scores(gene_IDO1={"S00": 9.0, "S01": 9.0}, cd8_teff={"S00": 9.0, "S01": -9.0})
    calls = _calls(s, "ido1_tryptophan")
    # S00: IDO1 high with CD8 T effectors high -> present, as a sensitivity feature
    assert calls.loc["S00", "status"] == "present"
    assert calls.loc["S00", "effect"] == "sensitivity"
    assert "sensitivity (not resistance)" in calls.loc["S00", "reason"]
    # S01: IDO1 high without T-cell inflammation -> not called at all
    assert calls.loc["S01", "status"] == "absent"
    # no countermeasure is proposed from it (the negative ECHO-301 trial stays on record)
    assert recommend(calls.reset_index()).recommendations.empty
    assert KB.link_contested(KB.links[("ido1_tryptophan", "ido1_inhibition")])


def test_foxp3_that_tracks_t_cells_is_not_treg_dominance():
    m = KB.mechanisms["treg_infiltration"]
    assert "gene_FOXP3" not in m.score_ids() and "treg_cd8_ratio" in m.score_ids()
    # S00: FOXP3 high and CD8 high (ratio ordinary) -> the old FOXP3-only rule would fire
    s = _scores(
        treg_cd8_ratio={"S00": 0.0, "S01": 9.0, "S02": 9.0},
        danaher_treg={"S00": 9.0, "S01": 9.0, "S02": -9.0},
    )
    calls = _calls(s, "treg_infiltration")
    assert calls.loc["S00", "status"] == "absent"
    # S01: many Tregs per CD8 T cell and FOXP3 present -> a weak (indeterminate) signal only
    assert calls.loc["S01", "status"] == "indeterminate"
    # S02: ratio high only because both are scarce (FOXP3 below the median) -> not called
    assert calls.loc["S02", "status"] == "absent"


def test_braf_hotspot_is_reported_but_never_called_present():
    ev = pd.DataFrame(
        {
            "sample_id": ["S00", "S01"],
            "gene": ["BRAF", "NRAS"],
            "event": ["hotspot_activating"] * 2,
            "detail": ["p.V600E", "p.Q61R"],
            "biallelic": ["unknown"] * 2,
            "functional_call": ["activating"] * 2,
        }
    )
    s = _scores(progeny_mapk={"S00": 9.0})
    calls = _calls(
        s, "mapk_oncogenic", events=ev, inputs={"mutations": set(IDX), "expression": set(IDX)}
    )
    # hotspot + high MAPK activity: 0.3 + 0.2 = 0.5 -> indeterminate, with the hotspot named
    assert calls.loc["S00", "status"] == "indeterminate"
    assert calls.loc["S00", "strength"] == pytest.approx(0.5)
    assert "BRAF p.V600E" in calls.loc["S00", "dna_evidence"]
    assert calls.loc["S01", "status"] == "indeterminate"
    assert (calls["status"] != "present").all()
    larkin = KB.evidence["ev_larkin2015_braf_nivolumab"]
    assert larkin.direction == "does_not_support" and larkin.significance == "resistance"


def test_treg_cd8_ratio_matches_its_definition():
    rng = np.random.default_rng(3)
    tpm = pd.DataFrame(
        rng.gamma(2.0, 20.0, size=(6, 4)),
        columns=["FOXP3", "CD8A", "CD8B", "X"],
        index=[f"p{i}" for i in range(6)],
    )
    tpm.loc["p0", ["FOXP3", "CD8A", "CD8B"]] = [0.0, 15.0, 3.0]
    got = score(
        Expression(tpm, unit="tpm"),
        signatures=["treg_cd8_ratio", "danaher_treg", "danaher_cd8_t_cells"],
    ).scores
    log = np.log2(tpm + 1.0)
    expected = log["FOXP3"] - (log["CD8A"] + log["CD8B"]) / 2
    np.testing.assert_allclose(got["treg_cd8_ratio"], expected, atol=1e-6)  # float32 storage
    # the same as the difference of the two Danaher cell-type scores
    np.testing.assert_allclose(
        got["treg_cd8_ratio"], got["danaher_treg"] - got["danaher_cd8_t_cells"], atol=1e-6
    )
    # a missing marker gives NaN, not a half ratio
    with pytest.warns(CoverageWarning, match="treg_cd8_ratio"):
        partial = score(
            Expression(tpm.drop(columns=["CD8B"]), unit="tpm"), signatures=["treg_cd8_ratio"]
        )
    assert partial.scores["treg_cd8_ratio"].isna().all()


# ----------------------------------------------------------------------------- real data
MELANOMA = ["Riaz2017_melanoma_PD1", "Hugo2016_melanoma_PD1", "VanAllen2015_melanoma_CTLA4",
            "Nathanson2017_melanoma_CTLA4"]  # fmt: skip


@pytest.mark.realdata
def test_real_melanoma_cohorts_support_the_corrections(shared_data):
    """The premises checked on four real ICB melanoma cohorts (PredictioR, log2(TPM + 0.001)):
    FOXP3 and IDO1 rise with CD8 T cells in every cohort, so the corrected rules must not flag
    T-cell-rich tumours as resistant. Pooled over the cohorts (within-cohort percentiles), the
    old FOXP3-high selection sits in T-cell-rich tumours (median CD8 percentile about 80) and
    the ratio rule's selection does not (about 30, 11 samples); IDO1 is only called, as
    sensitivity, where CD8 T effectors are high."""
    from scipy.stats import spearmanr

    ids = ["gene_FOXP3", "gene_IDO1", "danaher_treg", "danaher_cd8_t_cells", "treg_cd8_ratio",
           "cd8_teff"]  # fmt: skip
    flagged_cd8, foxp3_high_cd8 = [], []
    for cohort in MELANOMA:
        path = shared_data / "predictior_icb" / f"{cohort}_expr_log2tpm.tsv.gz"
        log = pd.read_csv(path, sep="\t", index_col="gene").T
        s = score(Expression(log, unit="log2tpm", log_offset=0.001), signatures=ids).scores
        assert spearmanr(s["gene_FOXP3"], s["danaher_cd8_t_cells"])[0] > 0.5, cohort
        assert spearmanr(s["gene_IDO1"], s["cd8_teff"])[0] > 0.5, cohort
        calls = call_mechanisms(
            Evidence(list(s.index), scores=s), mechanisms=["treg_infiltration", "ido1_tryptophan"]
        ).table
        pct = s.rank(pct=True) * 100
        treg = calls[calls.mechanism_id == "treg_infiltration"].set_index("sample_id")["status"]
        assert (treg != "present").all(), cohort  # weak evidence only
        flagged_cd8 += pct.loc[treg.index[treg != "absent"], "danaher_cd8_t_cells"].tolist()
        foxp3_high_cd8 += pct.loc[pct["gene_FOXP3"] >= 75, "danaher_cd8_t_cells"].tolist()
        ido = calls[calls.mechanism_id == "ido1_tryptophan"].set_index("sample_id")
        called = ido.index[ido["status"] == "present"]
        assert len(called) >= 1, cohort
        assert (pct.loc[called, "cd8_teff"] >= 75).all(), cohort
        assert (ido.loc[called, "effect"] == "sensitivity").all(), cohort
    assert len(flagged_cd8) >= 5
    assert np.median(foxp3_high_cd8) >= 65
    assert np.median(flagged_cd8) < 50
