"""CohortStandardScaler: scikit-learn contract and per-cohort z-scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from immunescape.errors import InputError
from immunescape.predict import CohortStandardScaler


@parametrize_with_checks([CohortStandardScaler()])
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(90, 4))
    cohort = np.repeat(["rnaseq", "array", "panel"], 30)
    X[cohort == "array"] = X[cohort == "array"] * 3.0 + 7.0
    X[cohort == "panel"] = X[cohort == "panel"] * 0.2 - 2.0
    return X, cohort


def test_equals_standard_scaler_within_each_cohort():
    X, cohort = _data()
    Z = CohortStandardScaler().fit_transform(X, cohort=cohort)
    for c in np.unique(cohort):
        rows = cohort == c
        np.testing.assert_allclose(Z[rows], StandardScaler().fit_transform(X[rows]), atol=1e-12)
        np.testing.assert_allclose(Z[rows].mean(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(Z[rows].std(axis=0), 1.0, atol=1e-12)


def test_without_cohort_it_is_standard_scaler():
    X, _ = _data()
    np.testing.assert_allclose(
        CohortStandardScaler().fit_transform(X), StandardScaler().fit_transform(X), atol=1e-12
    )


def test_transform_uses_fitted_statistics_and_inverse_round_trips():
    X, cohort = _data()
    scaler = CohortStandardScaler().fit(X[::2], cohort=cohort[::2])
    Z = scaler.transform(X[1::2], cohort=cohort[1::2])
    manual = np.empty_like(Z)
    for c in np.unique(cohort):
        rows_fit = cohort[::2] == c
        rows = cohort[1::2] == c
        ref = StandardScaler().fit(X[::2][rows_fit])
        manual[rows] = ref.transform(X[1::2][rows])
    np.testing.assert_allclose(Z, manual, atol=1e-12)
    back = scaler.inverse_transform(Z, cohort=cohort[1::2])
    np.testing.assert_allclose(back, X[1::2], atol=1e-12)
    assert list(scaler.cohorts_) == ["rnaseq", "array", "panel"]
    assert scaler.n_samples_seen_.tolist() == [15, 15, 15]


def test_unknown_cohort_error_or_self():
    X, cohort = _data()
    seen = cohort != "panel"
    scaler = CohortStandardScaler().fit(X[seen], cohort=cohort[seen])
    with pytest.raises(InputError, match="cohort 'panel' was not seen"):
        scaler.transform(X[~seen], cohort=cohort[~seen])
    own = CohortStandardScaler(handle_unknown="self").fit(X[seen], cohort=cohort[seen])
    Z = own.transform(X[~seen], cohort=cohort[~seen])
    np.testing.assert_allclose(Z, StandardScaler().fit_transform(X[~seen]), atol=1e-12)
    with pytest.raises(InputError, match="cohort labels are required"):
        scaler.transform(X[seen])


def test_nan_is_ignored_and_kept_and_constant_features_divide_by_one():
    X = np.array([[1.0, 5.0], [np.nan, 5.0], [3.0, 5.0], [10.0, 1.0], [20.0, 1.0]])
    cohort = ["a", "a", "a", "b", "b"]
    Z = CohortStandardScaler().fit_transform(X, cohort=cohort)
    assert np.isnan(Z[1, 0])
    np.testing.assert_allclose(Z[[0, 2], 0], [-1.0, 1.0])
    np.testing.assert_allclose(Z[:, 1], 0.0)


def test_dataframe_feature_names_and_label_errors():
    X, cohort = _data()
    frame = pd.DataFrame(X, columns=["cd8a", "pdcd1", "tmb", "nlr"])
    scaler = CohortStandardScaler().fit(frame, cohort=cohort)
    assert list(scaler.get_feature_names_out()) == ["cd8a", "pdcd1", "tmb", "nlr"]
    with pytest.raises(InputError, match="expected 90 cohort labels"):
        CohortStandardScaler().fit(frame, cohort=cohort[:10])
    with pytest.raises(InputError, match="missing cohort label"):
        CohortStandardScaler().fit(frame, cohort=[None] + list(cohort[1:]))
    with pytest.raises(InputError, match="handle_unknown"):
        CohortStandardScaler(handle_unknown="ignore").fit(frame, cohort=cohort)  # type: ignore[arg-type]


def test_works_in_a_pipeline_with_metadata_routing():
    X, cohort = _data()
    y = np.tile([0, 1], 45)
    with sklearn.config_context(enable_metadata_routing=True):
        scaler = (
            CohortStandardScaler().set_fit_request(cohort=True).set_transform_request(cohort=True)
        )
        pipe = make_pipeline(scaler, LogisticRegression()).fit(X, y, cohort=cohort)
        routed = pipe.predict_proba(X, cohort=cohort)[:, 1]
    Z = CohortStandardScaler().fit_transform(X, cohort=cohort)
    direct = LogisticRegression().fit(Z, y).predict_proba(Z)[:, 1]
    np.testing.assert_allclose(routed, direct, atol=1e-12)
