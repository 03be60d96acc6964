"""associations(): AUC, DeLong/bootstrap CI, Mann-Whitney p, BH q against independent references.

References: scikit-learn's roc_auc_score (AUC), an exact permutation enumeration written here
(Mann-Whitney p), a loop implementation of DeLong's structural components written here
(DeLong et al. 1988), and a hand-written Benjamini-Hochberg step-up (BH 1995).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import roc_auc_score

from immunescape.compare import ASSOCIATION_COLUMNS, associations
from immunescape.errors import InputError


def _naive_delong(pos, neg):
    m, n = len(pos), len(neg)
    psi = lambda x, y: 1.0 if x > y else (0.5 if x == y else 0.0)  # noqa: E731
    v10 = np.array([np.mean([psi(x, y) for y in neg]) for x in pos])
    v01 = np.array([np.mean([psi(x, y) for x in pos]) for y in neg])
    auc = v10.mean()
    var = v10.var(ddof=1) / m + v01.var(ddof=1) / n
    return auc, np.sqrt(var)


def _naive_bh(p):
    p = np.asarray(p, float)
    n = p.size
    order = np.argsort(p)
    q = np.empty(n)
    running = 1.0
    for rank in range(n, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * n / rank)
        q[i] = running
    return q


def _exact_mw_p(r, nr):
    """Two-sided exact p of the rank sum by enumerating every split (no ties)."""
    allv = np.r_[r, nr]
    ranks = stats.rankdata(allv)
    obs = ranks[: len(r)].sum()
    mean = len(r) * (len(allv) + 1) / 2.0
    sums = np.array(
        [ranks[list(c)].sum() for c in itertools.combinations(range(len(allv)), len(r))]
    )
    return float(np.mean(np.abs(sums - mean) >= abs(obs - mean) - 1e-9))


@pytest.fixture
def cohort():
    rng = np.random.default_rng(7)
    n_r, n_nr = 9, 14
    ids = [f"s{i}" for i in range(n_r + n_nr)]
    y = pd.Series(["R"] * n_r + ["NR"] * n_nr, index=ids)
    f = pd.DataFrame(
        {
            "up": np.r_[rng.normal(1.0, 1, n_r), rng.normal(0, 1, n_nr)],
            "down": np.r_[rng.normal(-1.2, 1, n_r), rng.normal(0, 1, n_nr)],
            "tied": np.r_[rng.integers(0, 3, n_r), rng.integers(0, 3, n_nr)].astype(float),
            "noise": rng.normal(size=n_r + n_nr),
        },
        index=ids,
    )
    return f, y


def test_columns_and_auc_against_sklearn(cohort):
    f, y = cohort
    t = associations(f, y)
    assert list(t.columns[: len(ASSOCIATION_COLUMNS)]) == ASSOCIATION_COLUMNS
    for _, row in t.iterrows():
        ref = roc_auc_score((y == "R").astype(int), f[row["feature"]])
        assert row["auc"] == pytest.approx(ref, abs=1e-12)
        assert (row["n_r"], row["n_nr"]) == (9, 14)
    d = t.set_index("feature")
    assert d.loc["up", "direction"] == "higher_in_responders"
    assert d.loc["down", "direction"] == "higher_in_non_responders"
    # sorted by p
    assert t["p_value"].is_monotonic_increasing


def test_delong_ci_against_naive_loops(cohort):
    f, y = cohort
    t = associations(f, y, ci_method="delong").set_index("feature")
    z = stats.norm.ppf(0.975)
    for feat in f.columns:
        pos = f.loc[y == "R", feat].to_numpy()
        neg = f.loc[y == "NR", feat].to_numpy()
        auc, se = _naive_delong(pos, neg)
        assert t.loc[feat, "auc"] == pytest.approx(auc, abs=1e-12)
        assert t.loc[feat, "auc_ci_low"] == pytest.approx(max(0.0, auc - z * se), abs=1e-10)
        assert t.loc[feat, "auc_ci_high"] == pytest.approx(min(1.0, auc + z * se), abs=1e-10)


def test_exact_p_against_enumeration():
    r = np.array([2.1, 3.4, 5.0, 6.2])
    nr = np.array([0.5, 1.0, 1.7, 2.6, 4.1])
    f = pd.DataFrame({"x": np.r_[r, nr]}, index=[f"s{i}" for i in range(9)])
    y = pd.Series(["R"] * 4 + ["NR"] * 5, index=f.index)
    t = associations(f, y)
    assert t["p_value"].iloc[0] == pytest.approx(_exact_mw_p(r, nr), abs=1e-12)


def test_tied_p_is_asymptotic_with_tie_correction(cohort):
    # with ties scipy's 'auto' uses the normal approximation with tie and continuity corrections;
    # computed here by hand from the rank sums
    f, y = cohort
    x = f["tied"].to_numpy()
    is_r = (y == "R").to_numpy()
    ranks = stats.rankdata(x)
    n1, n2 = is_r.sum(), (~is_r).sum()
    n = n1 + n2
    u = ranks[is_r].sum() - n1 * (n1 + 1) / 2
    _, t = np.unique(x, return_counts=True)
    sd = np.sqrt(n1 * n2 / 12 * ((n + 1) - (t**3 - t).sum() / (n * (n - 1))))
    z = (abs(u - n1 * n2 / 2) - 0.5) / sd
    got = associations(f, y).set_index("feature").loc["tied", "p_value"]
    assert got == pytest.approx(2 * stats.norm.sf(z), rel=1e-10)


def test_bh_against_naive(cohort):
    f, y = cohort
    t = associations(f, y)
    assert np.allclose(t["q_value"], _naive_bh(t["p_value"]), atol=1e-12)


def test_missing_values_counted_per_feature(cohort):
    f, y = cohort
    f = f.copy()
    f.loc[f.index[:3], "up"] = np.nan  # three responders lose their value
    f["empty"] = np.nan
    t = associations(f, y).set_index("feature")
    assert (t.loc["up", "n_r"], t.loc["up", "n_nr"]) == (6, 14)
    ok = f["up"].notna()
    ref = roc_auc_score((y[ok] == "R").astype(int), f.loc[ok, "up"])
    assert t.loc["up", "auc"] == pytest.approx(ref)
    assert np.isnan(t.loc["empty", "p_value"]) and "not tested" in t.loc["empty", "note"]
    # untested features are not counted in BH
    tested = t["p_value"].notna()
    assert np.allclose(t.loc[tested, "q_value"], _naive_bh(t.loc[tested, "p_value"]))


def test_bootstrap_is_seeded_and_brackets_the_auc(cohort):
    f, y = cohort
    a = associations(f, y, ci_method="bootstrap", n_boot=500, seed=3)
    b = associations(f, y, ci_method="bootstrap", n_boot=500, seed=3)
    c = associations(f, y, ci_method="bootstrap", n_boot=500, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["auc_ci_low"], c["auc_ci_low"])
    assert (a["auc_ci_low"] <= a["auc"]).all() and (a["auc"] <= a["auc_ci_high"]).all()
    assert a["ci_method"].str.startswith("bootstrap").all()


def test_kinds_and_labels(cohort):
    f, y = cohort
    y01 = (y == "R").astype(int)  # 1/0 accepted
    t = associations(f, y01, feature_info={"up": "signature", "down": "gene"})
    d = t.set_index("feature")
    assert d.loc["up", "kind"] == "signature" and d.loc["noise", "kind"] == ""


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=8, max_size=20), st.integers(3, 5))
def test_negating_a_feature_mirrors_auc(values, n_r):
    ids = [f"s{i}" for i in range(len(values))]
    y = pd.Series(["R"] * n_r + ["NR"] * (len(values) - n_r), index=ids)
    f = pd.DataFrame({"x": values, "neg": [-v for v in values]}, index=ids)
    t = associations(f, y).set_index("feature")
    assert t.loc["x", "auc"] + t.loc["neg", "auc"] == pytest.approx(1.0)
    assert t.loc["x", "p_value"] == pytest.approx(t.loc["neg", "p_value"])


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (["R"] * 6, "no non-responders"),
        (["NR"] * 6, "no responders"),
        (["R", "R", "NR", "NR", "NR", "NR"], r"too few samples per group \(2 responders, 4 non"),
        (["R", "R", "R", "maybe", "NR", "NR"], "unknown response value"),
    ],
)
def test_bad_response(labels, message):
    ids = list("abcdef")
    f = pd.DataFrame({"x": np.arange(6.0)}, index=ids)
    with pytest.raises(InputError, match=message) as err:
        associations(f, pd.Series(labels, index=ids))
    assert "\n" not in str(err.value)


def test_bad_features_and_ids():
    ids = list("abcdef")
    y = pd.Series(["R"] * 3 + ["NR"] * 3, index=ids)
    with pytest.raises(InputError, match="non-numeric feature"):
        associations(pd.DataFrame({"x": list("uvwxyz")}, index=ids), y)
    with pytest.raises(InputError, match="no sample id shared"):
        associations(pd.DataFrame({"x": np.arange(6.0)}, index=list("ghijkl")), y)
    with pytest.raises(InputError, match="ci_method: unknown value .wald."):
        associations(pd.DataFrame({"x": np.arange(6.0)}, index=ids), y, ci_method="wald")
    with pytest.raises(InputError, match="min_per_group"):
        associations(pd.DataFrame({"x": np.arange(6.0)}, index=ids), y, min_per_group=1)
