"""survival(), km_table() and the maximally selected log-rank cut against independent references.

References: statsmodels PHReg (Cox, Efron ties) for HRs, intervals and Wald p (univariable and
multivariable); lifelines' logrank_test for the log-rank test; lifelines' KaplanMeierFitter,
statsmodels SurvfuncRight and direct counting for Kaplan-Meier curves, bands and numbers at
risk; lifelines' Nelson-Aalen fitter
for the log-rank scores; Altman et al. 1994 (J Natl Cancer Inst 86:829, PMID 8182763) for the
Lausen-Schumacher correction, whose published simplified formulas are
P_cor = -3.13 P_min (1 + 1.65 ln P_min) for a 5 % minimum group size and
P_cor = -1.63 P_min (1 + 2.35 ln P_min) for 10 %; and a permutation null written here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter, NelsonAalenFitter
from lifelines.statistics import logrank_test
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight

from immunescape.compare import (
    KM_COLUMNS,
    SURVIVAL_COLUMNS,
    km_table,
    lausen_schumacher_p,
    maxstat_cut,
    survival,
)
from immunescape.compare._survival import logrank_scores
from immunescape.errors import InputError


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(11)
    n = 80
    ids = [f"p{i}" for i in range(n)]
    x = rng.normal(size=n)
    age = rng.normal(60, 10, n).round()
    sex = rng.choice(["F", "M"], n)
    stage = rng.choice(["III", "IV", "IVb"], n)
    hazard = np.exp(-0.6 * x + 0.02 * (age - 60) + 0.3 * (sex == "M"))
    t_event = rng.exponential(12 / hazard)
    t_cens = rng.uniform(6, 40, n)
    time = np.minimum(t_event, t_cens).round(2)
    event = (t_event <= t_cens).astype(int)
    clin = pd.DataFrame(
        {"os_months": time, "os_event": event, "age": age, "sex": sex, "stage": stage}, index=ids
    )
    feats = pd.DataFrame(
        {"cyt": x, "tmb": np.exp(rng.normal(1.5, 1, n)), "noise": rng.normal(size=n)}, index=ids
    )
    return feats, clin


def _phreg(time, event, X):
    res = PHReg(time, X, status=event, ties="efron").fit()
    return res.params, res.bse, res.pvalues


def test_univariable_cox_against_statsmodels(cohort):
    feats, clin = cohort
    t = survival(feats, clin, time_col="os_months", event_col="os_event")
    assert list(t.columns[: len(SURVIVAL_COLUMNS)]) == SURVIVAL_COLUMNS
    t = t.set_index("feature")
    z = stats.norm.ppf(0.975)
    for feat in feats.columns:
        x = feats[feat].to_numpy()
        xs = (x - x.mean()) / x.std(ddof=1)
        b, se, p = _phreg(clin["os_months"].to_numpy(), clin["os_event"].to_numpy(), xs[:, None])
        assert t.loc[feat, "hr"] == pytest.approx(np.exp(b[0]), rel=1e-5)
        assert t.loc[feat, "hr_ci_low"] == pytest.approx(np.exp(b[0] - z * se[0]), rel=1e-5)
        assert t.loc[feat, "hr_ci_high"] == pytest.approx(np.exp(b[0] + z * se[0]), rel=1e-5)
        assert t.loc[feat, "p_value"] == pytest.approx(p[0], rel=1e-4)
        assert t.loc[feat, "hr_unit"].startswith("per SD")
    assert t.loc["cyt", "hr"] < 0.8 and t.loc["cyt", "p_value"] < 0.01  # planted protective


def test_per_unit_scale_is_consistent(cohort):
    feats, clin = cohort
    sd = survival(feats[["tmb"]], clin, time_col="os_months", event_col="os_event")
    unit = survival(feats[["tmb"]], clin, time_col="os_months", event_col="os_event", scale="unit")
    s = feats["tmb"].std(ddof=1)
    assert np.log(sd["hr"].iloc[0]) == pytest.approx(s * np.log(unit["hr"].iloc[0]), rel=1e-5)
    assert sd["p_value"].iloc[0] == pytest.approx(unit["p_value"].iloc[0], rel=1e-4)


def test_multivariable_against_statsmodels(cohort):
    feats, clin = cohort
    t = survival(
        feats[["cyt"]],
        clin,
        time_col="os_months",
        event_col="os_event",
        covariates=["age", "sex", "stage"],
    )
    multi = t[t["model"] == "multivariable"].iloc[0]
    x = feats["cyt"].to_numpy()
    X = np.column_stack(
        [
            (x - x.mean()) / x.std(ddof=1),
            clin["age"],
            clin["sex"] == "M",
            clin["stage"] == "IV",
            clin["stage"] == "IVb",
        ]
    ).astype(float)
    b, se, p = _phreg(clin["os_months"].to_numpy(), clin["os_event"].to_numpy(), X)
    assert multi["hr"] == pytest.approx(np.exp(b[0]), rel=1e-5)
    assert multi["p_value"] == pytest.approx(p[0], rel=1e-4)
    assert multi["covariates"] == "age,sex,stage"
    assert np.isnan(multi["logrank_p"])


def test_logrank_against_lifelines(cohort):
    feats, clin = cohort
    t = survival(feats, clin, time_col="os_months", event_col="os_event").set_index("feature")
    tt, ee = clin["os_months"].to_numpy(), clin["os_event"].to_numpy()
    for feat in feats.columns:
        x = feats[feat].to_numpy()
        hi = x > np.median(x)
        p = logrank_test(tt[hi], tt[~hi], ee[hi], ee[~hi]).p_value
        assert t.loc[feat, "logrank_p"] == pytest.approx(p, rel=1e-8)
        assert t.loc[feat, "cut"] == pytest.approx(np.median(x))
        assert (t.loc[feat, "n_high"], t.loc[feat, "n_low"]) == (40, 40)


def test_fixed_cut_and_ties_go_low():
    ids = [f"s{i}" for i in range(12)]
    feats = pd.DataFrame({"x": [0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4.0]}, index=ids)
    clin = pd.DataFrame({"t": np.arange(1, 13.0), "e": [1, 0] * 6}, index=ids)
    t = survival(feats, clin, time_col="t", event_col="e", ph_test=False).iloc[0]
    assert t["cut"] == 0 and (t["n_high"], t["n_low"]) == (5, 7)
    t = survival(feats, clin, time_col="t", event_col="e", cut=1.5, ph_test=False).iloc[0]
    assert t["cut_rule"] == "fixed" and (t["n_high"], t["n_low"]) == (3, 9)
    hi = (feats["x"] > 1.5).to_numpy()
    tt, ee = clin["t"].to_numpy(), clin["e"].to_numpy()
    p = logrank_test(tt[hi], tt[~hi], ee[hi], ee[~hi]).p_value
    assert t["logrank_p"] == pytest.approx(p, rel=1e-8)


def test_ph_test_flags_crossing_hazards():
    rng = np.random.default_rng(5)
    n = 300
    g = rng.integers(0, 2, n)
    # group 1: high early hazard then none (crossing survival curves); group 0: constant hazard
    early = rng.exponential(3, n)
    late = rng.exponential(30, n) + 12
    t_ev = np.where(g == 1, np.where(rng.random(n) < 0.6, early, late), rng.exponential(15, n))
    cens = rng.uniform(5, 60, n)
    clin = pd.DataFrame({"t": np.minimum(t_ev, cens), "e": (t_ev <= cens).astype(int)})
    feats = pd.DataFrame({"g": g.astype(float), "noise": rng.normal(size=n)})
    t = survival(feats, clin, time_col="t", event_col="e").set_index("feature")
    assert t.loc["g", "ph_test_p"] < 0.001
    assert t.loc["noise", "ph_test_p"] > 0.01


def test_km_table_against_lifelines_statsmodels_and_counts(cohort):
    feats, clin = cohort
    km = km_table(feats[["cyt"]], clin, time_col="os_months", event_col="os_event")
    assert list(km.columns) == KM_COLUMNS
    x = feats["cyt"].to_numpy()
    for group, mask in (("high", x > np.median(x)), ("low", x <= np.median(x))):
        part = km[km["group"] == group]
        tt = clin["os_months"].to_numpy()[mask]
        ee = clin["os_event"].to_numpy()[mask]
        sf = SurvfuncRight(tt, ee)
        ev_rows = part[part["n_events"] > 0]
        assert np.allclose(ev_rows["time"], sf.surv_times)
        assert np.allclose(ev_rows["survival"], sf.surv_prob, atol=1e-12)
        kmf = KaplanMeierFitter().fit(tt, ee)
        et = kmf.event_table
        assert np.allclose(part["time"], et.index) and np.allclose(part["n_at_risk"], et["at_risk"])
        assert np.allclose(part["n_censored"], et["censored"])
        assert np.allclose(part["survival"], kmf.survival_function_.iloc[:, 0], atol=1e-12)
        band = kmf.confidence_interval_survival_function_
        assert np.allclose(part["ci_low"], band.iloc[:, 0], atol=1e-10)
        assert np.allclose(part["ci_high"], band.iloc[:, 1], atol=1e-10)
        for _, r in part.iterrows():  # numbers at risk: still followed just before the time
            assert r["n_at_risk"] == (tt >= r["time"]).sum()
        assert part["survival"].iloc[0] == 1.0 and part["time"].iloc[0] == 0.0


def test_logrank_scores_against_lifelines_nelson_aalen():
    rng = np.random.default_rng(2)
    t = rng.integers(1, 15, 40).astype(float)  # many ties
    e = rng.integers(0, 2, 40).astype(float)
    naf = NelsonAalenFitter(nelson_aalen_smoothing=False).fit(t, e)
    H = naf.cumulative_hazard_.iloc[:, 0]
    ref = e - np.array([H[H.index <= ti].iloc[-1] for ti in t])
    assert np.allclose(logrank_scores(t, e), ref, atol=1e-12)


def _naive_max_stat(x, scores, minprop):
    n = len(x)
    best = 0.0
    for c in np.unique(x):
        g = x <= c
        m = g.sum()
        if m < minprop * n - 1e-9 or m > (1 - minprop) * n + 1e-9 or m == n:
            continue
        a_bar = scores.mean()
        var = m * (n - m) / (n * (n - 1)) * ((scores - a_bar) ** 2).sum()
        s = abs(scores[g].sum() - m * a_bar) / np.sqrt(var)
        best = max(best, s)
    return best


@pytest.mark.parametrize(("minprop", "a", "b"), [(0.05, 3.13, 1.65), (0.10, 1.63, 2.35)])
def test_lausen_schumacher_against_altman_1994(minprop, a, b):
    for p_min in (0.05, 0.01, 0.002, 0.0005, 0.0001):
        bstat = stats.norm.isf(p_min / 2)
        altman = -a * p_min * (1 + b * np.log(p_min))
        # Altman's fitted formulas reproduce the Lausen-Schumacher formula to within a few %
        assert lausen_schumacher_p(bstat, minprop=minprop) == pytest.approx(altman, rel=0.05)


def test_maxstat_p_against_permutation_null():
    rng = np.random.default_rng(3)
    n = 150
    x = rng.normal(size=n)
    t = rng.exponential(np.exp(-0.3 * (x > 0.3)))
    e = (rng.random(n) < 0.8).astype(float)
    res = maxstat_cut(x, t, e, minprop=0.1)
    scores = logrank_scores(t, e)
    assert res.statistic == pytest.approx(_naive_max_stat(x, scores, 0.1), rel=1e-12)
    null = np.array([_naive_max_stat(rng.permutation(x), scores, 0.1) for _ in range(600)])
    p_perm = (1 + (null >= res.statistic).sum()) / (1 + null.size)
    # the approximation is close to (slightly above) the permutation p; the uncorrected p of the
    # best cut is several-fold too small
    assert 0.01 < p_perm < 0.2
    assert p_perm / 1.6 < res.p_value < p_perm * 1.8
    assert res.p_uncorrected < p_perm / 3


def test_optimal_cut_in_survival_table(cohort):
    feats, clin = cohort
    t = survival(feats[["cyt"]], clin, time_col="os_months", event_col="os_event", cut="optimal")
    row = t.iloc[0]
    ref = maxstat_cut(feats["cyt"], clin["os_months"], clin["os_event"], minprop=0.1)
    assert row["cut"] == ref.cut and row["logrank_p"] == ref.p_value
    assert row["logrank_p_uncorrected"] < row["logrank_p"]
    assert row["cut_rule"].startswith("optimal")
    assert min(row["n_high"], row["n_low"]) >= 8  # at least 10 % each side


def test_bad_survival_input(cohort):
    feats, clin = cohort
    bad = clin.copy()
    bad.loc["p3", "os_months"] = -1.0
    with pytest.raises(InputError, match="negative times for sample.*p3"):
        survival(feats, bad, time_col="os_months", event_col="os_event")
    bad = clin.copy()
    bad["os_event"] = bad["os_event"].astype(object)
    bad.loc["p4", "os_event"] = 2
    with pytest.raises(InputError, match="'os_event' is not binary: value.*2"):
        survival(feats, bad, time_col="os_months", event_col="os_event")
    bad = clin.copy()
    bad.loc[["p1", "p7"], "age"] = np.nan
    with pytest.raises(InputError, match="covariate 'age' is missing for 2 sample.*p1, p7"):
        survival(feats, bad, time_col="os_months", event_col="os_event", covariates=["age"])
    with pytest.raises(InputError, match="covariate column.*not found: bmi"):
        survival(feats, clin, time_col="os_months", event_col="os_event", covariates=["bmi"])
    with pytest.raises(InputError, match="no time column 'OS'"):
        survival(feats, clin, time_col="OS", event_col="os_event")
    with pytest.raises(InputError, match="cut: unknown value 'best'"):
        survival(feats, clin, time_col="os_months", event_col="os_event", cut="best")
    with pytest.raises(InputError, match="cut: must be 'median', 'optimal' or a number"):
        survival(feats, clin, time_col="os_months", event_col="os_event", cut=[1.0])
    with pytest.raises(InputError, match="cut: must be a number, got inf"):
        survival(feats, clin, time_col="os_months", event_col="os_event", cut=float("inf"))
    with pytest.raises(InputError, match="scale: unknown value 'log'"):
        survival(feats, clin, time_col="os_months", event_col="os_event", scale="log")


def test_untestable_features_are_reported(cohort):
    feats, clin = cohort
    f = feats.copy()
    f["const"] = 1.0
    f["empty"] = np.nan
    t = survival(f, clin, time_col="os_months", event_col="os_event").set_index("feature")
    assert t.loc["const", "note"] == "not tested: constant feature"
    assert t.loc["empty", "note"] == "not tested: no sample with a value"
    assert np.isnan(t.loc["const", "q_value"])


def test_cox_engine_against_lifelines_and_statsmodels():
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    from immunescape.compare._cox import cox_efron, ph_test

    rng = np.random.default_rng(21)
    n = 120
    X = rng.normal(size=(n, 3))
    t = rng.exponential(np.exp(-0.5 * X[:, 0] + 0.3 * X[:, 1])) * 10  # continuous: no ties
    e = (rng.random(n) < 0.75).astype(int)
    fit = cox_efron(t, e, X)
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(T=t, E=e)
    ll = CoxPHFitter().fit(df, "T", "E", fit_options={"precision": 1e-12, "r_precision": 1e-14})
    b, se, _ = _phreg(t, e, X)
    assert np.allclose(fit.beta, b, atol=1e-10) and np.allclose(np.sqrt(np.diag(fit.cov)), se)
    assert np.allclose(fit.beta, ll.params_.to_numpy(), atol=1e-7)
    ph = proportional_hazard_test(ll, df, time_transform="rank").summary["p"].to_numpy()
    assert np.allclose(ph_test(fit), ph, rtol=1e-6)
    # tied event times: coefficients still equal statsmodels' Efron fit
    tt = np.ceil(t)
    assert np.allclose(cox_efron(tt, e, X).beta, _phreg(tt, e, X)[0], atol=1e-10)


def test_separation_is_reported_not_fitted():
    ids = [f"s{i}" for i in range(12)]
    x = np.arange(12.0)
    clin = pd.DataFrame({"t": x + 1, "e": 1}, index=ids)  # higher x, later death: separation
    clin.loc[ids[:2], "e"] = 0
    feats = pd.DataFrame({"x": x}, index=ids)
    row = survival(feats, clin, time_col="t", event_col="e").iloc[0]
    assert np.isnan(row["hr"]) and "did not converge" in row["note"]
    assert np.isfinite(row["logrank_p"])


def test_monotone_likelihood_is_not_a_fit():
    # one sample alone holds the higher value and is censored before most events: every
    # partial-likelihood term rises as beta -> -inf, so no finite HR exists (Heinze &
    # Schemper 2001, Biometrics 57:114). Newton steps shrink as the likelihood flattens, which
    # once passed for convergence with a standard error of ~3e7 and an upper HR bound that
    # overflowed exp() (a RuntimeWarning, an error under pytest).
    ids = [f"s{i}" for i in range(12)]
    t = np.arange(1.0, 13.0)
    e = np.ones(12)
    e[1::3] = 0
    x = np.zeros(12)
    x[5], e[5] = 1.0, 0
    row = survival(pd.DataFrame({"x": x}, index=ids), pd.DataFrame({"t": t, "e": e}, index=ids),
                   time_col="t", event_col="e").iloc[0]
    assert np.isnan(row[["hr", "hr_ci_low", "hr_ci_high", "p_value"]].astype(float)).all()
    assert "did not converge" in row["note"]
    # a strong but finite effect (higher x, earlier death, two pairs out of order) is still
    # fitted, as statsmodels fits it
    x2 = 12.0 - t
    x2[[2, 3]], x2[[7, 8]] = x2[[3, 2]], x2[[8, 7]]
    fit = survival(pd.DataFrame({"x": x2}, index=ids), pd.DataFrame({"t": t, "e": e}, index=ids),
                   time_col="t", event_col="e", scale="unit").iloc[0]
    b, se, _ = _phreg(t, e, x2[:, None])
    assert b[0] > 1.5 and fit["hr"] == pytest.approx(np.exp(b[0]), rel=1e-6)
    assert fit["hr_ci_high"] == pytest.approx(np.exp(b[0] + stats.norm.ppf(0.975) * se[0]),
                                              rel=1e-6)


def test_km_edge_cases_against_lifelines():
    # an event at time 0, ties, and everyone at risk dying at the last time
    t = np.array([0.0, 0, 2, 2, 2, 3, 5, 5, 7, 7])
    e = np.array([1, 0, 1, 1, 0, 1, 0, 1, 1, 1])
    ids = [f"s{i}" for i in range(10)]
    feats = pd.DataFrame({"x": np.zeros(10)}, index=ids)  # one group: everyone "low"
    km = km_table(feats, pd.DataFrame({"t": t, "e": e}, index=ids), time_col="t", event_col="e")
    kmf = KaplanMeierFitter().fit(t, e)
    assert np.allclose(km["survival"], kmf.survival_function_.iloc[:, 0])
    band = kmf.confidence_interval_survival_function_
    assert np.allclose(km["ci_low"], band.iloc[:, 0]) and np.allclose(
        km["ci_high"], band.iloc[:, 1]
    )
    assert km["survival"].iloc[-1] == 0.0 and km["time"].iloc[0] == 0.0
