"""Random-effects pooling against independent references.

* R ``metafor`` on its BCG vaccine example (Viechtbauer 2010, J Stat Softw 36(3), section
  "Random-effects model"; the metafor documentation of ``rma.uni``): log risk ratios of the
  13 trials, REML estimate -0.7145 (SE 0.1798, 95% CI -1.0669 to -0.3622), tau² 0.3132,
  I² 92.22%, Q(df = 12) 152.2330; DerSimonian-Laird estimate -0.7141, tau² 0.3088.
  The counts (tpos, tneg, cpos, cneg) are those of Colditz et al. 1994 (JAMA 271:698-702) as
  tabulated in ``metadat::dat.bcg``; they were checked against the ``dat.bcg`` object of
  Debian's r-cran-metadat 1.2-0-2 (data/Rdata.rdb), together with its ``alloc`` column.
* statsmodels ``combine_effects`` (DerSimonian-Laird) on the same estimates.
* REML: a direct numerical maximisation of the restricted log-likelihood (scipy), written
  here from its definition (Viechtbauer 2005, J Educ Behav Stat 30:261, eq. 8).
* Subgroup difference: with tau² = 0 Cochran's Q partitions exactly into Q between subgroups
  plus the Q within each subgroup (Borenstein et al. 2009, ch. 19).
* Logistic regression: coefficients against scikit-learn (unpenalised), standard errors
  against the inverse Fisher information computed here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import optimize
from sklearn.linear_model import LogisticRegression
from statsmodels.stats.meta_analysis import combine_effects

from immunescape.meta import (
    logistic_per_sd,
    pool,
    reml_tau2,
    subgroup_difference,
    treatment_class,
)

# trial: tpos, tneg, cpos, cneg, alloc (Colditz et al. 1994; metadat::dat.bcg)
BCG = [
    (4, 119, 11, 128, "random"),
    (6, 300, 29, 274, "random"),
    (3, 228, 11, 209, "random"),
    (62, 13536, 248, 12619, "random"),
    (33, 5036, 47, 5761, "alternate"),
    (180, 1361, 372, 1079, "alternate"),
    (8, 2537, 10, 619, "random"),
    (505, 87886, 499, 87892, "random"),
    (29, 7470, 45, 7232, "random"),
    (17, 1699, 65, 1600, "systematic"),
    (186, 50448, 141, 27197, "systematic"),
    (5, 2493, 3, 2338, "systematic"),
    (27, 16886, 29, 17825, "systematic"),
]


def _bcg_log_rr() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, b, c, d = (np.array([t[i] for t in BCG], dtype=float) for i in range(4))
    yi = np.log(a / (a + b)) - np.log(c / (c + d))
    vi = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)  # escalc(measure="RR")
    return yi, vi, np.array([t[4] for t in BCG])


def test_reml_matches_metafor_bcg():
    yi, vi, _ = _bcg_log_rr()
    r = pool(yi, vi, method="REML")
    assert r.k == 13
    assert r.estimate == pytest.approx(-0.7145, abs=5e-5)
    assert r.se == pytest.approx(0.1798, abs=5e-5)
    assert r.ci_low == pytest.approx(-1.0669, abs=5e-5)
    assert r.ci_high == pytest.approx(-0.3622, abs=5e-5)
    assert r.tau2 == pytest.approx(0.3132, abs=5e-5)
    assert 100 * r.i2 == pytest.approx(92.22, abs=5e-3)
    assert r.q == pytest.approx(152.2330, abs=5e-4)
    assert r.q_df == 12 and r.q_p < 1e-20
    assert r.z == pytest.approx(-3.9744, abs=5e-4)


def test_dl_matches_metafor_and_statsmodels_bcg():
    yi, vi, _ = _bcg_log_rr()
    r = pool(yi, vi, method="DL")
    assert r.estimate == pytest.approx(-0.7141, abs=5e-5)
    assert r.tau2 == pytest.approx(0.3088, abs=5e-5)
    sm = combine_effects(yi, vi, method_re="dl")
    assert r.estimate == pytest.approx(sm.mean_effect_re, rel=1e-12)
    assert r.se == pytest.approx(sm.sd_eff_w_re, rel=1e-12)
    assert r.q == pytest.approx(sm.q, rel=1e-12)
    lo_re, hi_re = sm.conf_int(use_t=False)[1]  # (fixed, random, fixed wls, random wls)
    assert r.ci_low == pytest.approx(lo_re, rel=1e-10)
    assert r.ci_high == pytest.approx(hi_re, rel=1e-10)
    # I² from tau² equals (Q - df) / Q for DL
    assert r.i2 == pytest.approx((r.q - r.q_df) / r.q, rel=1e-10)


def _neg_restricted_loglik(tau2: float, y: np.ndarray, v: np.ndarray) -> float:
    w = 1.0 / (v + tau2)
    mu = np.sum(w * y) / np.sum(w)
    return 0.5 * (np.sum(np.log(v + tau2)) + np.log(np.sum(w)) + np.sum(w * (y - mu) ** 2))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_reml_maximises_the_restricted_likelihood(seed):
    rng = np.random.default_rng(seed)
    k = 5 + seed * 3
    v = rng.uniform(0.02, 0.4, k)
    y = rng.normal(0.3, np.sqrt(v + 0.1 * seed))
    t2, ok = reml_tau2(y, v)
    assert ok
    best = optimize.minimize_scalar(
        _neg_restricted_loglik,
        bounds=(0.0, 10.0),
        args=(y, v),
        method="bounded",
        options={"xatol": 1e-12},
    )
    if best.x < 1e-6:  # maximum on the boundary
        assert t2 == pytest.approx(0.0, abs=1e-6)
    else:
        assert t2 == pytest.approx(best.x, abs=1e-6)
    assert _neg_restricted_loglik(t2, y, v) <= best.fun + 1e-9


def test_homogeneous_effects_give_zero_tau2():
    y = np.array([0.20, 0.21, 0.19, 0.20])
    v = np.array([0.05, 0.04, 0.06, 0.05])
    for m in ("REML", "DL"):
        r = pool(y, v, method=m)
        assert r.tau2 == 0.0 and r.i2 == 0.0
        w = 1 / v
        assert r.estimate == pytest.approx(np.sum(w * y) / w.sum(), rel=1e-12)


def test_subgroup_q_partitions_total_q_with_fixed_effects():
    yi, vi, alloc = _bcg_log_rr()
    q_total = combine_effects(yi, vi, method_re="dl").q
    means, ses, q_within = [], [], 0.0
    for g in ("random", "alternate", "systematic"):
        y, v = yi[alloc == g], vi[alloc == g]
        w = 1 / v
        mu = np.sum(w * y) / w.sum()
        means.append(mu)
        ses.append(np.sqrt(1 / w.sum()))
        q_within += np.sum(w * (y - mu) ** 2)
    qb, df, p = subgroup_difference(means, ses)
    assert df == 2
    assert qb + q_within == pytest.approx(q_total, rel=1e-10)
    assert 0 < p < 1


def test_single_cohort_and_bad_inputs():
    r = pool([0.4], [0.09])
    assert r.k == 1 and r.estimate == 0.4 and r.se == pytest.approx(0.3)
    assert np.isnan(r.tau2) and np.isnan(r.i2) and np.isnan(r.q)
    with pytest.raises(ValueError):
        pool([0.1, 0.2], [0.1, 0.0])
    with pytest.raises(ValueError):
        pool([0.1, np.nan], [0.1, 0.1])
    with pytest.raises(ValueError):
        pool([0.1, 0.2], [0.1, 0.1], method="PM")  # type: ignore[arg-type]
    q, df, p = subgroup_difference([0.3], [0.1])
    assert np.isnan(q) and df == 0 and np.isnan(p)


def test_logistic_per_sd_against_sklearn_and_fisher_information():
    rng = np.random.default_rng(5)
    x = rng.normal(2.0, 3.0, 60)
    y = (rng.uniform(size=60) < 1 / (1 + np.exp(-(x - 2.0) / 3.0))).astype(int)
    r = logistic_per_sd(x, y)
    z = (x - x.mean()) / x.std(ddof=1)
    sk = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(z[:, None], y)
    assert r["estimate"] == pytest.approx(sk.coef_[0, 0], abs=1e-6)
    X = np.c_[np.ones_like(z), z]
    p = 1 / (1 + np.exp(-(sk.intercept_[0] + sk.coef_[0, 0] * z)))
    cov = np.linalg.inv(X.T @ (X * (p * (1 - p))[:, None]))
    assert r["se"] == pytest.approx(np.sqrt(cov[1, 1]), rel=1e-5)
    assert r["sd"] == pytest.approx(x.std(ddof=1))
    assert r["ci_low"] < r["estimate"] < r["ci_high"] and r["note"] == ""


def test_logistic_separation_is_reported_not_raised():
    x = np.array([1.0, 2, 3, 4, 5, 6])
    y = np.array([0, 0, 0, 1, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = logistic_per_sd(x, y)
    assert np.isnan(r["estimate"]) and "separation" in r["note"]
    r = logistic_per_sd(np.ones(6), y)
    assert np.isnan(r["estimate"]) and r["note"] == "constant feature"


def test_treatment_classes():
    assert treatment_class("PD-1/PD-L1") == "anti-PD-1/PD-L1"
    assert treatment_class("anti-PD-L1 (atezolizumab)") == "anti-PD-1/PD-L1"
    assert treatment_class("CTLA4") == "anti-CTLA-4"
    assert treatment_class("ipilimumab") == "anti-CTLA-4"
    assert treatment_class("nivolumab + ipilimumab") == "combination"
    assert treatment_class("IO+combo") == "combination"
    assert treatment_class(None) == "unknown"
    assert treatment_class("chemotherapy") == "chemotherapy"


@pytest.mark.parametrize("name", ["_cohorts", "_effects", "_pool", "_pooled", "_run"])
def test_docstring_examples(name):
    import doctest
    import importlib

    module = importlib.import_module(f"immunescape.meta.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0 and result.attempted > 0


def test_public_functions_are_data_first_keyword_options():
    import inspect

    import immunescape.meta as meta

    for name in meta.__all__:
        obj = getattr(meta, name)
        if not inspect.isfunction(obj):
            continue
        params = list(inspect.signature(obj).parameters.values())
        positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
        assert len(positional) <= 3, name
        assert all(p.default is p.empty for p in positional), name
        assert obj.__doc__ and "Parameters" in obj.__doc__, name
