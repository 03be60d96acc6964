"""Leave-one-cohort-out and nested cross-validation: no leakage, correct bookkeeping."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from immunescape.errors import InputError
from immunescape.predict import (
    auc_ci,
    choose_threshold,
    leave_one_cohort_out,
    nested_cv,
)

SUMMARY = [
    "n",
    "n_pos",
    "n_neg",
    "auc",
    "auc_ci_low",
    "auc_ci_high",
    "ci_method",
    "balanced_accuracy",
    "brier",
    "threshold",
]


def _cohorts(seed: int = 0, shift: bool = True):
    """Three cohorts, one informative feature; cohort 'b' on another scale if shift."""
    rng = np.random.default_rng(seed)
    y = np.tile([0, 1], 75)
    X = rng.normal(size=(150, 3))
    X[:, 0] += 1.5 * y
    cohort = np.repeat(["a", "b", "c"], 50)
    if shift:
        X[cohort == "b"] = X[cohort == "b"] * 4.0 + 10.0
    return pd.DataFrame(X, columns=["f0", "f1", "f2"]), y, cohort


class SpyClassifier(ClassifierMixin, BaseEstimator):
    """Scores column ``use``; records the ids (column 'id') of every training set."""

    seen: list[set[int]] = []

    def __init__(self, use: str = "f0"):
        self.use = use

    def fit(self, X, y):
        SpyClassifier.seen.append(set(X["id"].astype(int)))
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, X):
        return np.asarray(X[self.use], dtype=float)


def test_loco_equals_manual_refit_on_other_cohorts():
    X, y, cohort = _cohorts(shift=False)
    res = leave_one_cohort_out(X, y, estimator=LogisticRegression(), cohort=cohort)
    table, preds = res.summary, res.predictions
    assert list(res.tables) == ["summary", "predictions"]
    assert res.settings["design"] == "leave-one-cohort-out"
    assert list(table.columns) == ["cohort", *SUMMARY, "note"]
    assert list(table["cohort"]) == ["a", "b", "c"]
    for i, c in enumerate(["a", "b", "c"]):
        train, test = cohort != c, cohort == c
        model = LogisticRegression().fit(X[train], y[train])
        p = model.predict_proba(X[test])[:, 1]
        thr = choose_threshold(y[train], model.predict_proba(X[train])[:, 1]).threshold
        ref = auc_ci(y[test], p)
        row = table.iloc[i]
        assert row["auc"] == pytest.approx(ref.auc, abs=1e-12)
        assert (row["auc_ci_low"], row["auc_ci_high"]) == pytest.approx((ref.low, ref.high))
        assert row["threshold"] == pytest.approx(thr, abs=1e-12)
        assert row["n"] == 50 and row["n_pos"] == 25
        got = preds[preds["cohort"] == c]
        np.testing.assert_allclose(got["score"], p, atol=1e-12)
        assert (got["predicted"] == (p >= thr)).all()
        assert list(got["sample"]) == list(X.index[test])


def test_loco_standardize_cohort_repairs_a_platform_shift():
    X, y, cohort = _cohorts(shift=True)
    raw = leave_one_cohort_out(X, y, estimator=LogisticRegression(), cohort=cohort).summary
    std = leave_one_cohort_out(
        X, y, estimator=LogisticRegression(), cohort=cohort, standardize="cohort"
    ).summary
    b_raw = raw.set_index("cohort").loc["b"]
    b_std = std.set_index("cohort").loc["b"]
    # ranking within cohort b is unaffected by an affine shift, calibration is not
    assert b_std["brier"] < b_raw["brier"] - 0.05
    assert b_std["balanced_accuracy"] > b_raw["balanced_accuracy"] + 0.1


def test_loco_trains_only_on_other_cohorts():
    X, y, cohort = _cohorts(shift=False)
    X = X.assign(id=np.arange(len(y)))
    SpyClassifier.seen = []
    table = leave_one_cohort_out(X, y, estimator=SpyClassifier(), cohort=cohort).summary
    for c, ids in zip(["a", "b", "c"], SpyClassifier.seen, strict=True):
        assert ids == set(np.flatnonzero(cohort != c))
    assert table["brier"].isna().all()
    assert table["note"].str.contains("no probabilities").all()


def test_loco_single_class_cohort_and_errors():
    X, y, cohort = _cohorts(shift=False)
    y = y.copy()
    y[cohort == "c"] = 0
    table = leave_one_cohort_out(X, y, estimator=LogisticRegression(), cohort=cohort).summary
    row = table.set_index("cohort").loc["c"]
    assert np.isnan(row["auc"]) and np.isnan(row["balanced_accuracy"])
    assert "one outcome class" in row["note"]
    with pytest.raises(InputError, match="at least 2 cohorts"):
        leave_one_cohort_out(X, y, estimator=LogisticRegression(), cohort=["a"] * len(y))
    with pytest.raises(InputError, match="neither predict_proba nor decision_function"):
        leave_one_cohort_out(X, y, estimator=StandardScaler(), cohort=cohort)
    with pytest.raises(InputError, match="expected 150 cohort labels"):
        leave_one_cohort_out(X, y, estimator=LogisticRegression(), cohort=cohort[:5])
    with pytest.raises(InputError, match="standardize"):
        leave_one_cohort_out(
            X, y, estimator=LogisticRegression(), cohort=cohort, standardize="zscore"
        )


def test_nested_cv_outer_test_folds_never_used_for_training_or_selection():
    X, y, cohort = _cohorts(shift=False)
    X = X.assign(id=np.arange(len(y)))
    SpyClassifier.seen = []
    table, preds = nested_cv(
        X,
        y,
        estimator=SpyClassifier(),
        param_grid={"use": ["f1", "f0"]},
        cohort=cohort,
        outer_splits=3,
        inner_splits=3,
    ).tables.values()
    # every sample is predicted exactly once
    assert sorted(preds["sample"]) == list(range(150))
    # 3 outer folds x (2 params x 3 inner fits + 1 refit)
    assert len(SpyClassifier.seen) == 3 * (2 * 3 + 1)
    for fold in range(3):
        test_ids = set(preds.loc[preds["fold"] == fold, "sample"])
        fits = SpyClassifier.seen[fold * 7 : (fold + 1) * 7]
        assert all(not (ids & test_ids) for ids in fits)
        assert fits[-1] == set(range(150)) - test_ids
    # the informative feature is chosen in every fold
    assert [json.loads(p) for p in table["best_params"]] == [{"use": "f0"}] * 3
    # folds are stratified by cohort x outcome: 50/3 per cohort, half responders
    assert set(table["n"]) == {50}
    assert set(table["n_pos"]) == {25}


def test_nested_cv_is_reproducible_and_seed_sensitive():
    X, y, cohort = _cohorts(shift=True)
    kwargs = dict(
        estimator=LogisticRegression(),
        param_grid={"C": [0.01, 1.0]},
        cohort=cohort,
        standardize="cohort",
        outer_splits=3,
        inner_splits=3,
    )
    a = nested_cv(X, y, seed=3, **kwargs).summary
    b = nested_cv(X, y, seed=3, **kwargs).summary
    c = nested_cv(X, y, seed=4, **kwargs).summary
    pd.testing.assert_frame_equal(a, b)
    assert not a["auc"].equals(c["auc"])
    assert list(a.columns) == ["fold", *SUMMARY, "best_params", "note"]
    assert (a["auc"] > 0.7).all()


def test_nested_cv_without_grid_and_with_decision_function():
    X, y, _ = _cohorts(shift=False)
    table = nested_cv(X, y, estimator=LinearSVC(), outer_splits=4).summary
    assert len(table) == 4
    assert (table["best_params"] == "{}").all()
    assert table["brier"].isna().all()


def test_nested_cv_errors():
    X, y, cohort = _cohorts()
    with pytest.raises(InputError, match="needs cohort labels"):
        nested_cv(X, y, estimator=LogisticRegression(), standardize="cohort")
    with pytest.raises(InputError, match="outer_splits: must be"):
        nested_cv(X, y, estimator=LogisticRegression(), outer_splits=1)
    with pytest.raises(InputError, match="cannot fill 200 folds"):
        nested_cv(X, y, estimator=LogisticRegression(), outer_splits=200)
    with pytest.raises(InputError, match="150 samples in X but 3 labels"):
        nested_cv(X, [0, 1, 0], estimator=LogisticRegression())
