"""ResponseModel: scikit-learn contract, per-cohort standardisation, threshold, JSON I/O."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from immunescape.errors import InputError
from immunescape.predict import (
    FEATURE_SETS,
    MODEL_SCHEMA_VERSION,
    ResponseModel,
    choose_threshold,
    drivers,
    load_model,
    predict_table,
    save_model,
)


def _expected_failures(estimator):
    # With a trained (Youden) threshold, predict() is not argmax(predict_proba) and not
    # decision_function > 0: the checks that assume the 0.5 rule fail by design. The same
    # checks pass with threshold=0.5 (first instance).
    if estimator.threshold == "youden":
        return {
            "check_classifiers_train": "predict uses the training Youden threshold, not 0.5",
            "check_class_weight_classifiers": "predict uses the training threshold, not 0.5",
        }
    return {}


@parametrize_with_checks(
    [ResponseModel(features=None, threshold=0.5), ResponseModel(features=None)],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


def _cohorts(seed=0, n=40, shift=True):
    """Three cohorts on different scales; 'cyt' carries the signal, 'noise' none."""
    rng = np.random.default_rng(seed)
    frames, ys, labels = [], [], []
    for name, scale, loc in [("a", 1.0, 0.0), ("b", 4.0, 10.0), ("c", 0.3, -3)]:
        y = np.tile([0, 1], n // 2)
        cyt = rng.normal(size=n) + 1.2 * y
        noise = rng.normal(size=n)
        impres = rng.normal(size=n) + 0.5 * y
        X = pd.DataFrame(
            {"cyt": cyt, "noise": noise, "impres": impres}, index=[f"{name}{j}" for j in range(n)]
        )
        if shift:
            X = X * scale + loc
        frames.append(X)
        ys.append(y)
        labels += [name] * n
    return pd.concat(frames), np.concatenate(ys), np.asarray(labels, dtype=object)


FEATS = ["cyt", "noise", "impres"]


def test_equals_logistic_regression_on_per_cohort_zscores():
    X, y, c = _cohorts()
    m = ResponseModel(features=FEATS, C=0.5).fit(X, y, cohort=c)
    Z = np.vstack([StandardScaler().fit_transform(X[c == k]) for k in ("a", "b", "c")])
    ref = LogisticRegression(C=0.5, class_weight="balanced", tol=1e-10, max_iter=10000).fit(Z, y)
    np.testing.assert_allclose(m.coef_, ref.coef_.ravel(), atol=1e-5)
    np.testing.assert_allclose(m.intercept_, ref.intercept_[0], atol=1e-5)
    # in-sample decision function with the training cohorts' own statistics
    np.testing.assert_allclose(
        m.decision_function(X, cohort=c), ref.decision_function(Z), atol=1e-5
    )
    assert list(m.feature_names_in_) == FEATS and m.n_features_in_ == 3
    assert m.coef_[0] > abs(m.coef_[1])  # the signal feature outweighs noise


def test_per_cohort_standardisation_removes_platform_shifts():
    X, y, c = _cohorts(shift=True)
    X0, _, _ = _cohorts(shift=False)
    shifted = ResponseModel(features=FEATS).fit(X, y, cohort=c)
    plain = ResponseModel(features=FEATS).fit(X0, y, cohort=c)
    np.testing.assert_allclose(shifted.coef_, plain.coef_, atol=1e-6)
    # a new cohort on yet another scale is standardised on itself
    new = X0.loc[X0.index.str.startswith("a")] * 7.0 + 100.0
    p_new = shifted.predict_proba(new, cohort="new")[:, 1]
    p_ref = plain.predict_proba(X0.loc[new.index], cohort="a-again")[:, 1]
    np.testing.assert_allclose(p_new, p_ref, atol=1e-6)
    # without cohort labels the whole X is one new cohort
    np.testing.assert_allclose(shifted.predict_proba(new)[:, 1], p_new, atol=1e-12)


def test_threshold_is_chosen_on_training_data_and_applied_unchanged():
    X, y, c = _cohorts()
    m = ResponseModel(features=FEATS).fit(X, y, cohort=c)
    p_train = m.predict_proba(X, cohort=c)[:, 1]
    expected = choose_threshold(y, p_train, rule="youden")
    assert m.threshold_ == pytest.approx(expected.threshold, abs=1e-9)
    assert m.threshold_info_["rule"] == "youden"
    new = X.iloc[:15] * 2.0
    p = m.predict_proba(new, cohort="new")[:, 1]
    np.testing.assert_array_equal(m.predict(new, cohort="new"), (p >= m.threshold_).astype(int))
    fixed = ResponseModel(features=FEATS, threshold=0.3).fit(X, y, cohort=c)
    assert fixed.threshold_ == 0.3 and fixed.threshold_info_["rule"] == "fixed"


def test_string_labels_and_positive_class():
    X, y, c = _cohorts()
    labels = np.where(y == 1, "R", "NR")
    m = ResponseModel(features=FEATS).fit(X, labels, cohort=c)
    assert list(m.classes_) == ["NR", "R"]
    m01 = ResponseModel(features=FEATS).fit(X, y, cohort=c)
    np.testing.assert_allclose(m.coef_, m01.coef_)
    assert set(m.predict(X, cohort=c)) <= {"R", "NR"}


def test_small_new_cohort_needs_a_reference():
    X, y, c = _cohorts()
    m = ResponseModel(features=FEATS).fit(X, y, cohort=c)
    one = X.iloc[[3]]
    with pytest.raises(InputError, match=r"too small .*reference="):
        m.predict_proba(one, cohort="patient")
    ref = X.loc[c == "b"]
    p = m.predict_proba(one * 1.0, reference=ref)[:, 1]
    # equal to standardising the patient with the reference cohort's statistics
    z = (one.to_numpy() - ref.mean().to_numpy()) / ref.std(ddof=0).to_numpy()
    expected = 1 / (1 + np.exp(-(z @ m.coef_ + m.intercept_)))
    np.testing.assert_allclose(p, expected, atol=1e-12)
    with pytest.raises(InputError, match="reference cohort has 3 samples"):
        m.predict_proba(one, reference=ref.iloc[:3])
    with pytest.raises(InputError, match="either cohort= or reference="):
        m.predict_proba(one, cohort="x", reference=ref)


def test_training_cohort_smaller_than_minimum_is_refused():
    X, y, c = _cohorts(n=8)
    with pytest.raises(InputError, match="smaller than min_cohort_size=10"):
        ResponseModel(features=FEATS).fit(X, y, cohort=c)
    ResponseModel(features=FEATS, min_cohort_size=8).fit(X, y, cohort=c)


def test_missing_features_are_listed_or_dropped():
    X, y, c = _cohorts()
    X = X.drop(columns=["impres"])
    X.loc[X.index[:3], "noise"] = np.nan
    with pytest.raises(InputError) as err:
        ResponseModel(features=FEATS).fit(X, y, cohort=c)
    msg = str(err.value)
    assert "absent: impres" in msg and "noise (3 NaN)" in msg and "on_missing='drop'" in msg
    assert "\n" not in msg
    m = ResponseModel(features=FEATS, on_missing="drop").fit(X, y, cohort=c)
    assert m.features_ == ["cyt"] and m.dropped_features_ == ["impres", "noise"]
    # at prediction time absent features are listed too
    with pytest.raises(InputError, match=r"absent from the data: cyt"):
        m.predict(X.drop(columns=["cyt"]), cohort=c)
    # and a named feature set reports every missing id
    with pytest.raises(InputError, match=r"22 of 23 model features unavailable.*\(22 in all\)"):
        ResponseModel(features="curated").fit(X, y, cohort=c)


def test_missing_values_at_prediction_are_an_input_error():
    X, y, c = _cohorts()
    m = ResponseModel(features=FEATS).fit(X, y, cohort=c)
    bad = X.copy()
    bad.iloc[0, 0] = np.nan
    with pytest.raises(InputError, match=r"missing or infinite values in 1 sample.*cyt \(1\)"):
        m.predict(bad, cohort=c)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"penalty": "l3"}, "penalty: unknown value"),
        ({"C": -1.0}, "C: must be a number > 0"),
        ({"penalty": "elasticnet"}, "needs l1_ratio"),
        ({"l1_ratio": 0.5}, "only used with penalty='elasticnet'"),
        ({"standardize": "rank"}, "standardize: unknown value"),
        ({"threshold": 1.5}, "threshold: must be a number > 0 and < 1"),
        ({"features": "everything"}, "unknown feature set"),
        ({"min_cohort_size": 1}, "min_cohort_size"),
    ],
)
def test_bad_options(params, match):
    X, y, c = _cohorts()
    with pytest.raises(InputError, match=match):
        ResponseModel(**{"features": FEATS, **params}).fit(X, y, cohort=c)


def test_one_class_and_unlabelled():
    X, y, c = _cohorts()
    with pytest.raises(InputError, match="one class only"):
        ResponseModel(features=FEATS).fit(X, np.ones_like(y), cohort=c)
    yy = y.astype(object)
    yy[0] = None
    with pytest.raises(InputError, match="1 missing outcome label"):
        ResponseModel(features=FEATS).fit(X, yy, cohort=c)


@pytest.mark.parametrize("penalty, extra", [("l1", {}), ("elasticnet", {"l1_ratio": 0.5})])
def test_sparse_penalties_fit_and_are_seeded(penalty, extra):
    X, y, c = _cohorts()
    a = ResponseModel(features=FEATS, penalty=penalty, C=0.05, **extra).fit(X, y, cohort=c)
    b = ResponseModel(features=FEATS, penalty=penalty, C=0.05, **extra).fit(X, y, cohort=c)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.coef_[0] > 0
    if penalty == "l1":
        assert a.coef_[1] == 0.0  # the noise feature is shrunk to zero


def test_drivers_sum_to_decision_function_minus_intercept():
    X, y, c = _cohorts()
    m = ResponseModel(features=FEATS).fit(X, y, cohort=c)
    new = X.iloc[::3] * 3.0
    d = drivers(m, new, cohort="new")
    assert list(d.columns) == FEATS and list(d.index) == list(new.index)
    np.testing.assert_allclose(
        d.sum(axis=1).to_numpy(),
        m.decision_function(new, cohort="new") - m.intercept_,
        atol=1e-12,
    )
    # each driver is coefficient x within-cohort z-score
    z = (new - new.mean()) / new.std(ddof=0)
    np.testing.assert_allclose(d.to_numpy(), z.to_numpy() * m.coef_, atol=1e-12)


def test_predict_table_layout():
    X, y, c = _cohorts()
    m = ResponseModel(features=FEATS).fit(X, y, cohort=c)
    t = predict_table(m, X.iloc[:12], name="mine", cohort="new").predictions
    assert list(t.columns) == ["sample_id", "model", "score", "probability", "predicted"]
    assert (t["model"] == "mine").all()
    np.testing.assert_allclose(t["probability"], 1 / (1 + np.exp(-t["score"])))
    assert ((t["predicted"] == "R") == (t["probability"] >= m.threshold_)).all()


# --------------------------------------------------------------------------- JSON
@pytest.mark.parametrize("stats", [True, False])
def test_save_load_round_trip(tmp_path, stats):
    X, y, c = _cohorts()
    m = ResponseModel(features=FEATS, C=0.3).fit(X, np.where(y == 1, "R", "NR"), cohort=c)
    path = save_model(
        m, tmp_path / "m.json", provenance={"note": "test"}, include_cohort_statistics=stats
    )
    back = load_model(path)
    new = X.iloc[5:30] * 1.5 - 2
    np.testing.assert_array_equal(
        back.predict_proba(new, cohort="new"), m.predict_proba(new, cohort="new")
    )
    np.testing.assert_array_equal(back.predict(new, cohort="new"), m.predict(new, cohort="new"))
    assert back.get_params() == m.get_params()
    assert back.threshold_ == m.threshold_ and list(back.classes_) == ["NR", "R"]
    if stats:  # training cohorts use their stored statistics
        np.testing.assert_array_equal(
            back.decision_function(X, cohort=c), m.decision_function(X, cohort=c)
        )
    doc = json.loads(path.read_text())
    assert doc["schema_version"] == MODEL_SCHEMA_VERSION
    assert doc["features"] == FEATS and doc["training"]["note"] == "test"
    assert doc["standardization"]["policy"] == "cohort"
    assert len(doc["standardization"]["statistics"]) == (3 if stats else 0)
    # same model, same bytes
    again = save_model(
        m, tmp_path / "m2.json", provenance={"note": "test"}, include_cohort_statistics=stats
    )
    assert again.read_bytes() == path.read_bytes()


def test_round_trip_global_and_array_models(tmp_path):
    X, y, _ = _cohorts()
    m = ResponseModel(features=None, standardize="global").fit(X.to_numpy(), y)
    back = load_model(save_model(m, tmp_path / "a.json"))
    np.testing.assert_array_equal(back.predict_proba(X.to_numpy()), m.predict_proba(X.to_numpy()))
    assert not hasattr(back, "feature_names_in_")


def test_load_rejects_non_models(tmp_path):
    X, y, c = _cohorts()
    good = save_model(ResponseModel(features=FEATS).fit(X, y, cohort=c), tmp_path / "m.json")
    doc = json.loads(good.read_text())

    other = tmp_path / "other.json"
    other.write_text(json.dumps({"name": "not a model"}))
    with pytest.raises(InputError, match="not an immunescape response model"):
        load_model(other)

    future = tmp_path / "future.json"
    future.write_text(json.dumps({**doc, "schema_version": 99}))
    with pytest.raises(InputError, match=r"schema version 99 is not supported") as err:
        load_model(future)
    assert "\n" not in str(err.value)

    pkl = tmp_path / "model.pkl"
    pkl.write_bytes(pickle.dumps({"coef": [1.0]}))
    with pytest.raises(InputError, match="looks like a Python pickle"):
        load_model(pkl)

    text = tmp_path / "model.txt"
    text.write_text("coef\t1.0\n")
    with pytest.raises(InputError, match="not a JSON model file"):
        load_model(text)

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**doc, "coefficients": {"cyt": 1.0}}))
    with pytest.raises(InputError, match="inconsistent"):
        load_model(broken)

    with pytest.raises(InputError, match="not found"):
        load_model(tmp_path / "absent.json")


def test_feature_sets_are_documented_ids():
    from immunescape.signatures.registry import load_registry

    ids = set(load_registry().ids)
    for name, feats in FEATURE_SETS.items():
        assert set(feats) <= ids, name
        assert len(set(feats)) == len(feats)
