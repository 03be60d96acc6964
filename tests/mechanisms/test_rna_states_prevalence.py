"""RNA-only planted states are found with the same recall and precision at any prevalence.

The simulator plants Wnt activation (without a DNA lesion), a TGF-beta-high stroma and an
AXL-high/MITF-low state at a chosen prevalence (``simulate_cohort(prevalence=...)``); the truth
is the simulator's record of what it planted. Evidence is taken against a fixed reference (a
separate simulated cohort without the planted states, given as ``reference``), not against
the analysed cohort, so a call does not depend on how many other tumours carry the state.

Called: ``present`` for ``tgfb_exclusion`` and ``mitf_low_axl_high``; for
``wnt_beta_catenin`` without DNA the knowledge base says bulk RNA cannot establish it, so the
call is ``indeterminate`` (any non-absent status counts as detected, and ``present`` must
never be reached from RNA alone).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from immunescape.datasets import simulate_cohort
from immunescape.expression import Expression
from immunescape.mechanisms import Evidence, call_mechanisms
from immunescape.signatures.runner import score

STATES = {  # planted state -> (mechanism, statuses that count as a call)
    "wnt_active": ("wnt_beta_catenin", {"present", "indeterminate"}),
    "tgfb_high": ("tgfb_exclusion", {"present"}),
    "axl_high": ("mitf_low_axl_high", {"present"}),
}
SCORES = ["gene_AXIN2", "gene_NKD1", "progeny_wnt", "gene_BATF3", "mcp_cd8_t_cells", "pan_ftbrs",
          "mcp_fibroblasts", "cd8_teff", "progeny_tgfb", "gene_MITF", "gene_AXL"]
N = 400


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


@pytest.fixture(scope="module")
def reference_cohort():
    return _quiet(simulate_cohort, N, seed=101, prevalence=dict.fromkeys(STATES, 0.0))


@pytest.fixture(scope="module")
def reference(reference_cohort):
    values = reference_cohort.expression.copy()
    values.index = ["REF" + s for s in values.index]
    return Expression(values, unit="tpm")


def _calls(prevalence: float, reference: Expression, seed: int):
    cohort = _quiet(simulate_cohort, N, seed=seed, prevalence=dict.fromkeys(STATES, prevalence))
    res = _quiet(score, cohort.as_expression(), signatures=SCORES, reference=reference)
    # reference scores: the same joint scoring, reference rows
    joint = _quiet(score, reference, signatures=SCORES, reference=cohort.as_expression())
    ev = Evidence(list(cohort.truth.index), scores=res.scores,
                  reference_scores=joint.scores)
    calls = call_mechanisms(ev, mechanisms=[m for m, _ in STATES.values()])
    return cohort, calls


#: Independent simulated cohorts pooled per prevalence. One cohort of 400 plants about 20
#: tumours at 5 %, so its precision has a sampling SD of about 0.06 (two single cohorts gave
#: 0.875 and 0.94 for the same rule); 25 cohorts (10,000 tumours, about 500 planted at 5 %)
#: bring it to about 0.01. Seeds are fixed in advance: 10,000 * k + the prevalence in percent.
COHORTS = 25


@pytest.fixture(scope="module", params=[0.05, 0.20, 0.50], ids=["5pct", "20pct", "50pct"])
def at_prevalence(request, reference):
    base = round(request.param * 100)
    runs = [_calls(request.param, reference, 10_000 * k + base) for k in range(1, COHORTS + 1)]
    return request.param, runs


def _pooled(runs, state):
    """Called and true flags of one state over the pooled cohorts (statuses kept too)."""
    mech, ok = STATES[state]
    status, truth = [], []
    for cohort, calls in runs:
        t = calls.table
        status.append(t[t.mechanism_id == mech].set_index("sample_id")["status"].reindex(
            cohort.truth.index))
        truth.append(cohort.truth[state].astype(bool))
    status_all, truth_all = pd.concat(status), pd.concat(truth)
    return status_all, status_all.isin(ok), truth_all


#: Known shortfall, measured on the pooled cohorts: at 5 % prevalence the AXL-high rule's
#: precision is 0.88 (492 planted, 522 called; recall 0.93). Its single high marker (AXL beyond
#: the reference's 99.5th percentile, MITF low) still passes 0.7 % of unplanted tumours (64 of
#: about 9,500; 39 of them have a latent AXL programme beyond the reference's 99.5th percentile,
#: the inactive mode's tail), and 5 % prevalence leaves no room for that (precision >= 0.9 with
#: recall 0.93 needs a false-positive rate below 0.55 %; a 99.5th percentile estimated from a
#: 400-tumour reference sits at its second-largest value). Strict: a change that lifts precision
#: must lift this mark.
SHORTFALL = {("axl_high", 0.05)}


@pytest.mark.parametrize("state", sorted(STATES))
def test_rna_only_state_recall_and_precision(at_prevalence, state, request):
    prevalence, runs = at_prevalence
    if (state, prevalence) in SHORTFALL:
        request.applymarker(pytest.mark.xfail(
            strict=True, reason="AXL-high precision 0.88 at 5 % prevalence (SHORTFALL)"))
    status, called, truth = _pooled(runs, state)
    assert truth.sum() >= 10 * COHORTS
    recall = (called & truth).sum() / truth.sum()
    precision = (called & truth).sum() / max(called.sum(), 1)
    print(f"{state} at {prevalence:.0%}: recall {recall:.3f} precision {precision:.3f} "
          f"(planted {int(truth.sum())}, called {int(called.sum())}, {COHORTS} cohorts)")
    assert recall >= 0.9, f"{state} at {prevalence:.0%}: recall {recall:.2f}"
    assert precision >= 0.9, f"{state} at {prevalence:.0%}: precision {precision:.2f}"
    if STATES[state][0] == "wnt_beta_catenin":
        assert not (status == "present").any()  # RNA alone never establishes Wnt activation
    assert all(calls.percentile_basis == "reference" for _, calls in runs)


def test_wnt_calls_beyond_the_planted_ones_are_wnt_high_against_the_reference(
        at_prevalence, reference_cohort):
    """Most Wnt calls on unplanted tumours have a latent Wnt programme above the reference's
    99.5th percentile (the rule's threshold), i.e. they are the inactive mode's tail."""
    prevalence, runs = at_prevalence
    limit = reference_cohort.latent["wnt_bcatenin"].quantile(0.995)
    beyond = extra_n = 0
    for cohort, calls in runs:
        t = calls.table
        status = t[t.mechanism_id == "wnt_beta_catenin"].set_index("sample_id")[
            "status"].reindex(cohort.truth.index)
        extra = status.isin(STATES["wnt_active"][1]) & ~cohort.truth["wnt_active"].astype(bool)
        extra_n += int(extra.sum())
        beyond += int((cohort.latent.loc[extra, "wnt_bcatenin"] > limit).sum())
    print(f"Wnt at {prevalence:.0%}: {extra_n} unplanted calls, {beyond} beyond the "
          f"reference's latent 99.5th percentile")
    assert extra_n == 0 or beyond / extra_n >= 0.8


def test_no_state_planted_nothing_called(reference):
    cohort, calls = _calls(0.0, reference, seed=7)
    t = calls.table
    for mech, ok in STATES.values():
        n = t[(t.mechanism_id == mech) & t.status.isin(ok)].shape[0]
        assert n <= 0.01 * N, (mech, n)


def test_prevalence_option_plants_the_rate_and_leaves_the_default_alone():
    from immunescape.errors import InputError

    default = simulate_cohort(40, seed=3)
    again = simulate_cohort(40, seed=3, prevalence=None)
    assert default.expression.equals(again.expression)
    c = _quiet(simulate_cohort, 300, seed=3, prevalence={"axl_high": 0.3, "wnt_active": 0.1})
    assert abs(c.truth["axl_high"].mean() - 0.3) < 0.08  # binomial sd 0.026
    assert abs(c.truth["wnt_active"].mean() - 0.1) < 0.06
    assert c.params["prevalence"] == {"axl_high": 0.3, "wnt_active": 0.1}
    with pytest.raises(InputError, match="prevalence"):
        simulate_cohort(10, prevalence={"axl_high": 1.5})
    with pytest.raises(InputError, match="prevalence"):
        simulate_cohort(10, prevalence={"banana": 0.1})
