"""Evaluation metrics against independent references.

* AUC point estimates against ``sklearn.metrics.roc_auc_score``.
* DeLong variances and covariances against a slow implementation written here from the
  structural-components definition (DeLong, DeLong & Clarke-Pearson 1988, Biometrics 44:837):
  V10(X_i) = mean_j psi(X_i, Y_j), V01(Y_j) = mean_i psi(X_i, Y_j), psi = 1 / 0.5 / 0, and
  S = S10 / m + S01 / n with sample (n - 1) covariances; looped over all pairs.
* R pROC 1.18.0 on its ``aSAH`` example data (tests/predict/data/asah_proc.tsv, extracted from
  the Debian package r-cran-proc 1.18.0-1+b1): expected values copied from pROC's own test
  suite (tests/testthat/test-ci.auc.R and test-roc.test.R in github xrobin/pROC) and from the
  pROC documentation example for s100b (AUC 0.7314, DeLong 95% CI 0.6301-0.8326).
* balanced accuracy, Brier score and calibration bins against scikit-learn.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.calibration import calibration_curve as sk_calibration_curve
from sklearn.metrics import balanced_accuracy_score, brier_score_loss, roc_auc_score

from immunescape.errors import InputError
from immunescape.predict import (
    auc_ci,
    balanced_accuracy,
    brier,
    calibration_curve,
    choose_threshold,
    delong_test,
)

ASAH = Path(__file__).parent / "data" / "asah_proc.tsv"


# --------------------------------------------------------------------------- slow DeLong
def _psi(x: float, y: float) -> float:
    return 1.0 if x > y else 0.5 if x == y else 0.0


def slow_delong(y, scores):
    """AUCs and DeLong covariance matrix from the structural components, by loops."""
    y = np.asarray(y)
    scores = np.atleast_2d(np.asarray(scores, dtype=float))
    k = scores.shape[0]
    pos = [i for i in range(len(y)) if y[i] == 1]
    neg = [j for j in range(len(y)) if y[j] == 0]
    m, n = len(pos), len(neg)
    v10 = np.zeros((k, m))
    v01 = np.zeros((k, n))
    aucs = np.zeros(k)
    for r in range(k):
        for a, i in enumerate(pos):
            for b, j in enumerate(neg):
                p = _psi(scores[r, i], scores[r, j])
                v10[r, a] += p / n
                v01[r, b] += p / m
                aucs[r] += p / (m * n)
    s10 = np.zeros((k, k))
    s01 = np.zeros((k, k))
    for r in range(k):
        for q in range(k):
            s10[r, q] = sum((v10[r, a] - aucs[r]) * (v10[q, a] - aucs[q]) for a in range(m)) / (
                m - 1
            )
            s01[r, q] = sum((v01[r, b] - aucs[r]) * (v01[q, b] - aucs[q]) for b in range(n)) / (
                n - 1
            )
    return aucs, s10 / m + s01 / n


@st.composite
def labelled_scores(draw, n_scores: int = 1):
    n = draw(st.integers(min_value=4, max_value=40))
    y = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    if sum(y) < 2 or n - sum(y) < 2:
        y = [0, 0, 1, 1] + y[4:]
    # few distinct values so that ties are common
    values = st.integers(min_value=0, max_value=6).map(float)
    scores = [draw(st.lists(values, min_size=n, max_size=n)) for _ in range(n_scores)]
    return np.array(y), np.array(scores)


@settings(max_examples=60, deadline=None)
@given(labelled_scores())
def test_auc_equals_sklearn_and_slow_delong(data):
    y, scores = data
    res = auc_ci(y, scores[0])
    assert res.auc == pytest.approx(roc_auc_score(y, scores[0]), abs=1e-12)
    aucs, cov = slow_delong(y, scores)
    assert res.auc == pytest.approx(aucs[0], abs=1e-12)
    assert res.se**2 == pytest.approx(cov[0, 0], abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(labelled_scores(n_scores=2))
def test_delong_test_equals_slow_definition(data):
    y, scores = data
    t = delong_test(y, scores[0], scores[1])
    aucs, cov = slow_delong(y, scores)
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    assert t.auc1 == pytest.approx(aucs[0], abs=1e-12)
    assert t.auc2 == pytest.approx(aucs[1], abs=1e-12)
    if var > 1e-12:
        z = (aucs[0] - aucs[1]) / np.sqrt(var)
        assert t.z == pytest.approx(z, rel=1e-9, abs=1e-9)
        assert t.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9, abs=1e-12)


def test_slow_delong_matches_on_continuous_scores():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 60)
    s = rng.normal(size=(2, 60)) + y
    t = delong_test(y, s[0], s[1])
    aucs, cov = slow_delong(y, s)
    assert t.difference == pytest.approx(aucs[0] - aucs[1], abs=1e-12)
    se = np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    assert t.z == pytest.approx((aucs[0] - aucs[1]) / se, rel=1e-10)


# --------------------------------------------------------------------------- pROC
@pytest.fixture(scope="module")
def asah():
    if not ASAH.is_file():
        pytest.skip("aSAH fixture absent")
    table = pd.read_csv(ASAH, sep="\t")
    assert table.shape == (113, 5)
    table["y"] = (table["outcome"] == "Poor").astype(int)  # pROC: controls Good, cases Poor
    return table


def test_proc_ci_auc_delong_ndka(asah):
    # pROC tests/testthat/test-ci.auc.R: expected.ci.auc for r.ndka
    res = auc_ci(asah["y"], asah["ndka"])
    assert (res.low, res.auc, res.high) == pytest.approx(
        (0.501244999271703, 0.611957994579946, 0.722670989888189), abs=1e-12
    )
    assert (res.n_pos, res.n_neg) == (41, 72)


def test_proc_ci_auc_delong_ndka_female_subset(asah):
    female = asah[asah["gender"] == "Female"]
    res = auc_ci(female["y"], female["ndka"])
    assert (res.low, res.auc, res.high) == pytest.approx(
        (0.5261398281, 0.6671428571, 0.8081458862), abs=1e-10
    )


def test_proc_ci_auc_s100b_documented(asah):
    res = auc_ci(asah["y"], asah["s100b"])
    assert (round(res.auc, 4), round(res.low, 4), round(res.high, 4)) == (0.7314, 0.6301, 0.8326)


# pROC tests/testthat/test-roc.test.R: roc.test(r.X, r.Y) with defaults (DeLong, paired)
PROC_ROC_TEST = [
    ("wfns", "s100b", 2.20898359144091, 0.0271757822291882, 0.0104061769564846,
     0.174214419249478),
    ("wfns", "ndka", 2.79777591868904, 0.00514557970691098, 0.0634011709339876,
     0.3600405634833566),
    ("ndka", "s100b", -1.39077002573558, 0.164295175223054, -0.2876917446341914,
     0.0488706064228094),
]  # fmt: skip


@pytest.mark.parametrize(("first", "second", "z", "p", "low", "high"), PROC_ROC_TEST)
def test_proc_roc_test_delong(asah, first, second, z, p, low, high):
    t = delong_test(asah["y"], asah[first], asah[second])
    assert t.z == pytest.approx(z, abs=1e-10)
    assert t.p_value == pytest.approx(p, abs=1e-12)
    assert (t.low, t.high) == pytest.approx((low, high), abs=1e-12)
    reverse = delong_test(asah["y"], asah[second], asah[first])
    assert reverse.z == pytest.approx(-z, abs=1e-10)
    assert reverse.p_value == pytest.approx(p, abs=1e-12)


def test_identical_curves_give_z0_p1(asah):
    t = delong_test(asah["y"], asah["wfns"], asah["wfns"])
    assert (t.z, t.p_value, t.difference) == (0.0, 1.0, 0.0)


# --------------------------------------------------------------------------- bootstrap
def test_bootstrap_is_seeded_and_close_to_delong(asah):
    a = auc_ci(asah["y"], asah["s100b"], ci_method="bootstrap", n_boot=2000, seed=7)
    b = auc_ci(asah["y"], asah["s100b"], ci_method="bootstrap", n_boot=2000, seed=7)
    c = auc_ci(asah["y"], asah["s100b"], ci_method="bootstrap", n_boot=2000, seed=8)
    d = auc_ci(asah["y"], asah["s100b"])
    assert a == b
    assert (a.low, a.high) != (c.low, c.high)
    assert (a.method, a.n_boot, a.seed) == ("bootstrap", 2000, 7)
    assert a.auc == d.auc
    assert a.low < a.auc < a.high
    assert abs(a.low - d.low) < 0.02 and abs(a.high - d.high) < 0.02


def test_bootstrap_of_separated_classes_is_degenerate():
    """Stratified replicates always hold both classes: separated data give AUC 1 every time."""
    y = np.array([0, 0, 0, 1, 1])
    res = auc_ci(y, [0.1, 0.2, 0.3, 0.8, 0.9], ci_method="bootstrap", n_boot=300, seed=1)
    assert (res.low, res.auc, res.high) == (1.0, 1.0, 1.0)
    res = auc_ci(y, [0.9, 0.8, 0.7, 0.1, 0.2], ci_method="bootstrap", n_boot=300, seed=1)
    assert (res.low, res.auc, res.high) == (0.0, 0.0, 0.0)


# --------------------------------------------------------------------------- thresholds
@settings(max_examples=50, deadline=None)
@given(labelled_scores())
def test_youden_threshold_is_optimal_by_brute_force(data):
    y, scores = data
    s = scores[0]
    t = choose_threshold(y, s)
    best = -np.inf
    for c in np.concatenate([[-np.inf], np.unique(s) + 0.5, [np.inf]]):  # scores are integers
        pred = s >= c
        j = pred[y == 1].mean() + (~pred[y == 0]).mean() - 1
        best = max(best, j)
    pred = s >= t.threshold
    assert t.sensitivity == pytest.approx(pred[y == 1].mean())
    assert t.specificity == pytest.approx((~pred[y == 0]).mean())
    assert t.sensitivity + t.specificity - 1 == pytest.approx(best, abs=1e-12)


def test_threshold_rules_and_midpoints():
    y = [0, 0, 0, 1, 1, 1]
    s = [1.0, 2.0, 5.0, 4.0, 6.0, 7.0]
    # 3.0 (sens 1, spec 2/3) and 5.5 (sens 2/3, spec 1) tie on both rules: the higher wins
    t = choose_threshold(y, s)
    assert t.threshold == 5.5
    assert (t.sensitivity, t.specificity) == pytest.approx((2 / 3, 1.0))
    assert float(t) == 5.5
    assert choose_threshold(y, s, rule="closest_topleft").threshold == 5.5
    # no tie: 3.5 gives sens 1, spec 1
    assert choose_threshold(y, [1.0, 2.0, 3.0, 4.0, 6.0, 7.0]).threshold == 3.5
    # the rules disagree: (sens, spec) at 2.5 = (1, .5), 4.5 = (.75, .75), 6.5 = (.5, 1) all
    # have J = 0.5 (Youden takes the highest, 6.5); only 4.5 is closest to the top-left corner
    y2 = [0, 0, 0, 0, 1, 1, 1, 1]
    s2 = [1.0, 2.0, 4.0, 6.0, 3.0, 5.0, 7.0, 8.0]
    assert choose_threshold(y2, s2).threshold == 6.5
    assert choose_threshold(y2, s2, rule="closest_topleft").threshold == 4.5
    with pytest.raises(InputError, match="rule: unknown value"):
        choose_threshold(y, s, rule="f1")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- sklearn wrappers
def test_balanced_accuracy_brier_calibration_equal_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1)
    pred = (p >= 0.5).astype(int)
    assert balanced_accuracy(y, pred) == balanced_accuracy_score(y, pred)
    assert balanced_accuracy(y, p, threshold=0.5) == balanced_accuracy_score(y, pred)
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-15)
    for strategy in ("uniform", "quantile"):
        table = calibration_curve(y, p, n_bins=7, strategy=strategy)
        true, predicted = sk_calibration_curve(y, p, n_bins=7, strategy=strategy)
        np.testing.assert_allclose(table["fraction_positive"], true, atol=1e-15)
        np.testing.assert_allclose(table["mean_predicted"], predicted, atol=1e-15)
        assert table["n"].sum() == 200


# --------------------------------------------------------------------------- input errors
def test_input_errors_are_one_line():
    cases = [
        (lambda: auc_ci([0, 1, 2, 1], [1, 2, 3, 4]), "labels must be 0/1"),
        (lambda: auc_ci([0, 1, np.nan, 1], [1, 2, 3, 4]), "missing label"),
        (lambda: auc_ci([0, 0, 0, 1], [1, 2, 3, 4]), "at least 2 responder"),
        (lambda: auc_ci([0, 0, 1, 1], [1, 2, 3]), "expected 4 scores"),
        (lambda: auc_ci([0, 0, 1, 1], [1, np.nan, 3, 4]), "missing or infinite"),
        (lambda: auc_ci([0, 0, 1, 1], [1, 2, 3, 4], alpha=5), "alpha: must be a number > 0"),
        (lambda: auc_ci([0, 0, 1, 1], [1, 2, 3, 4], ci_method="hanley"), "unknown value"),
        (lambda: auc_ci([0, 0, 1, 1], [1, 2, 3, 4], ci_method="bootstrap", n_boot=0), "n_boot"),
        (lambda: brier([0, 1], [0.2, 1.4]), r"lie in \[0, 1\]"),
        (lambda: balanced_accuracy([0, 1], [0, 1, 1]), "expected 2 predictions"),
        (lambda: calibration_curve([0, 1], [0.2, 0.4], strategy="x"), "strategy: unknown value"),
    ]
    for call, match in cases:
        with pytest.raises(InputError, match=match) as err:
            call()
        assert "\n" not in str(err.value)


def test_labels_accept_bool_and_float():
    s = [0.1, 0.4, 0.35, 0.8]
    a = auc_ci([False, False, True, True], s).auc
    b = auc_ci([0.0, 0.0, 1.0, 1.0], s).auc
    assert a == b == roc_auc_score([0, 0, 1, 1], s)
