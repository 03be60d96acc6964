"""RobustModel: standardisation, missing-feature sub-models, calibration, JSON round trip.

References are independent of the implementation: scipy z-scores and pandas group
statistics for the standardisation, a model fitted from scratch on fewer units for the
missing-feature fallback, statsmodels' unpenalised logit for Platt scaling, scikit-learn's
IsotonicRegression for the isotonic map, scipy's binomial test for the sign test.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import binomtest, zscore
from sklearn.isotonic import IsotonicRegression

from immunescape.errors import InputError
from immunescape.predict import Cohort, RobustModel, predict_table
from immunescape.predict._json import robust_from_dict, robust_to_dict
from immunescape.predict._loco import paired_cohort_comparison, robust_loco, summarise
from immunescape.predict._robust import _calib_apply, _calib_fit

UNITS = {"cyt": [("cyt", 1)], "gep18": [("gep18", 1)], "pan_ftbrs": [("pan_ftbrs", -1)]}


def _data(n_per=40, k=4, seed=0):
    rng = np.random.default_rng(seed)
    frames, ys, labs = [], [], []
    for c in range(k):
        y = rng.integers(0, 2, n_per)
        shift, scale = rng.normal(0, 3), rng.uniform(0.5, 3)  # platform effects
        X = pd.DataFrame({
            "cyt": shift + scale * (rng.normal(size=n_per) + 0.9 * y),
            "gep18": 2 * shift + scale * (rng.normal(size=n_per) + 0.6 * y),
            "pan_ftbrs": -shift + rng.normal(size=n_per) - 0.5 * y,
        }, index=[f"c{c}_s{i}" for i in range(n_per)])
        frames.append(X)
        ys.append(y)
        labs += [f"c{c}"] * n_per
    return pd.concat(frames), np.concatenate(ys), np.asarray(labs, dtype=object)


def test_consensus_score_is_the_mean_of_within_cohort_z_scores():
    X, y, lab = _data()
    m = RobustModel(UNITS, kind="consensus").fit(X, y, cohort=lab, calibrate=False)
    block = X[lab == "c1"]
    got = m.predict_frame(block, cohort="c1")["score"].to_numpy()
    z = np.column_stack([zscore(block[f], ddof=1) * s for f, s in
                         (("cyt", 1), ("gep18", 1), ("pan_ftbrs", -1))])
    expected = (z / m.unit_scale_).sum(axis=1)  # units re-standardised on the training data
    assert np.corrcoef(got, expected)[0, 1] == pytest.approx(1.0, abs=1e-12)


def test_small_cohort_uses_the_stored_reference_statistics():
    X, y, lab = _data()
    m = RobustModel(UNITS, kind="consensus", min_cohort_size=10).fit(X, y, cohort=lab,
                                                                     calibrate=False)
    g = X.assign(c=lab).groupby("c")
    ref_mean = g.mean().median()
    ref_sd = g.std(ddof=1).median()
    np.testing.assert_allclose(m.reference_mean_, ref_mean[m.features].to_numpy())
    np.testing.assert_allclose(m.reference_scale_, ref_sd[m.features].to_numpy())
    one = X.iloc[[3]]
    out = m.predict_frame(one)
    assert out.loc[0, "standardisation"] == "reference"
    z = ((one[m.features] - ref_mean[m.features]) / ref_sd[m.features]).to_numpy()[0]
    z = z * np.array([1, 1, -1])
    u = (z - m.unit_mean_) / m.unit_scale_
    sub = m._submodel((0, 1, 2))
    assert out.loc[0, "score"] == pytest.approx((u.mean() - sub["mean"]) / sub["scale"])


def test_missing_feature_uses_the_submodel_fitted_without_it():
    X, y, lab = _data(seed=3)
    full = RobustModel(UNITS, kind="logistic", C=0.1).fit(X, y, cohort=lab)
    alone = RobustModel({k: UNITS[k] for k in ("cyt", "pan_ftbrs")}, kind="logistic",
                        C=0.1).fit(X[["cyt", "pan_ftbrs"]], y, cohort=lab)
    new = X[lab == "c2"].drop(columns="gep18")
    a = full.predict_frame(new, cohort="c2")
    b = alone.predict_frame(new, cohort="c2")
    np.testing.assert_allclose(a["score"], b["score"], atol=1e-10)
    np.testing.assert_allclose(a["probability"], b["probability"], atol=1e-10)
    assert set(a["features_used"]) == {"cyt,pan_ftbrs"}
    # one NaN value in one sample: only that sample falls back
    part = X[lab == "c2"].copy()
    part.iloc[0, part.columns.get_loc("cyt")] = np.nan
    out = full.predict_frame(part, cohort="c2")
    assert out.loc[0, "features_used"] == "gep18,pan_ftbrs"
    assert (out.loc[1:, "features_used"] == "cyt,gep18,pan_ftbrs").all()


def test_nothing_present_is_refused_in_one_line():
    X, y, lab = _data()
    m = RobustModel(UNITS).fit(X, y, cohort=lab)
    with pytest.raises(InputError, match="none of the model's features"):
        predict_table(m, pd.DataFrame({"tls9": [1.0, 2.0]}, index=["a", "b"]))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: RobustModel.from_candidate("best_ever"), "name: unknown value 'best_ever'"),
        (lambda: RobustModel({"cyt": [("cyt", 1)]}, kind="forest"), "kind: unknown value"),
        (lambda: RobustModel({"cyt": [("cyt", 1)]}, standardize="global"),
         "standardize: unknown value 'global'"),
        (lambda: RobustModel({"cyt": [("cyt", 1)]}, C=0), "C: must be a number > 0"),
        (lambda: RobustModel({"cyt": [("cyt", 1)]}, min_cohort_size=1), "min_cohort_size"),
        (lambda: robust_loco([], candidates=["best_ever"]), "candidates: unknown value"),
    ],
)
def test_bad_options_are_one_line_input_errors(make, match):
    with pytest.raises(InputError, match=match):
        make()


def test_platt_equals_an_unpenalised_logit_and_isotonic_equals_sklearn():
    rng = np.random.default_rng(1)
    s = rng.normal(size=200)
    y = (rng.random(200) < 1 / (1 + np.exp(-1.3 * s + 0.4))).astype(float)
    cal = _calib_fit("platt", s, y)
    ref = sm.Logit(y, sm.add_constant(s)).fit(disp=0)
    assert cal["a"] == pytest.approx(ref.params[1], rel=1e-4)
    assert cal["b"] == pytest.approx(ref.params[0], rel=1e-4, abs=1e-5)
    iso = _calib_fit("isotonic", s, y)
    sk = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(s, y)
    t = np.linspace(-4, 4, 97)
    np.testing.assert_allclose(_calib_apply(iso, t), sk.predict(t), atol=1e-12)


def test_json_round_trip_gives_the_same_predictions():
    X, y, lab = _data(seed=5)
    m = RobustModel(UNITS, kind="logistic", C=0.1).fit(X, y, cohort=lab)
    doc = json.loads(json.dumps(robust_to_dict(m)))
    back = robust_from_dict(doc)
    for block in (X.iloc[:1], X[lab == "c0"], X[lab == "c1"].drop(columns="cyt")):
        a, b = m.predict_frame(block), back.predict_frame(block)
        pd.testing.assert_frame_equal(a, b)
    assert len(doc["submodels"]) == 7  # every non-empty subset of 3 units


def test_probabilities_are_calibrated_across_cohorts():
    X, y, lab = _data(n_per=80, k=5, seed=7)
    m = RobustModel(UNITS, kind="logistic", C=0.1).fit(X[lab != "c4"], y[lab != "c4"],
                                                         cohort=lab[lab != "c4"])
    p = m.predict_frame(X[lab == "c4"], cohort="c4")["probability"].to_numpy()
    yt = y[lab == "c4"]
    assert np.mean((p - yt) ** 2) < np.mean((yt.mean() - yt) ** 2)
    assert abs(p.mean() - yt.mean()) < 0.1


def test_nested_loco_and_the_paired_comparison():
    X, y, lab = _data(n_per=30, k=5, seed=11)
    cohorts = [Cohort(c, X[lab == c].assign(impres=X["cyt"][lab == c]),
                      pd.Series(y[lab == c], index=X.index[lab == c])) for c in np.unique(lab)]
    res = robust_loco(cohorts, candidates=["consensus_tcell", "logistic_few_C0.1"])
    t = res.evaluation
    assert list(res.tables) == ["evaluation", "loco_predictions", "loco_choices",
                                "loco_summary", "reliability"]
    assert set(t.cohort) == set(np.unique(lab))
    assert (t.loc[t.predictor == "model", "n"] == 30).all()
    cmp_ = res.settings["comparison"]
    wins, losses = cmp_["model_wins"], cmp_["model_losses"]
    assert cmp_["sign_test_p"] == pytest.approx(binomtest(wins, wins + losses).pvalue)
    # a model better in every cohort by a wide margin is called better; equal AUCs a tie
    fake = pd.DataFrame({"cohort": list("abcdef") * 2, "predictor": ["model"] * 6 + ["cyt"] * 6,
                         "auc": [0.8] * 6 + [0.6] * 6})
    assert paired_cohort_comparison(fake, summarise(fake))["verdict"] == "model better"
    fake["auc"] = [0.6, 0.7, 0.5, 0.6, 0.7, 0.5, 0.7, 0.6, 0.5, 0.6, 0.5, 0.7]
    assert paired_cohort_comparison(fake, summarise(fake))["verdict"].startswith("tie")


def test_response_model_table_imputes_a_missing_feature_by_the_cohort_mean():
    from immunescape.predict import ResponseModel

    X, y, lab = _data(seed=13)
    m = ResponseModel(features=["cyt", "gep18", "pan_ftbrs"]).fit(X, y, cohort=lab)
    new = X[lab == "c1"].drop(columns="gep18")
    res = predict_table(m, new, name="m")
    out = res.predictions
    # a constant column is standardised to 0 by scikit-learn's scaler: the same prediction
    const = new.assign(gep18=1.0)[["cyt", "gep18", "pan_ftbrs"]]
    np.testing.assert_allclose(out["score"], m.decision_function(const, cohort="new"),
                               atol=1e-10)
    assert set(out["features_used"]) == {"cyt,pan_ftbrs"}
    assert res.settings["missing_features"] == {"gep18": 40}
    # three patients: too few to standardise on themselves -> training statistics
    few = predict_table(m, X.iloc[:3], name="m").predictions
    assert set(few["standardisation"]) == {"training statistics"}
    mu = m.scaler_.mean_.mean(axis=0)
    sd = np.sqrt((m.scaler_.scale_ ** 2).mean(axis=0))
    z = (X.iloc[:3][["cyt", "gep18", "pan_ftbrs"]].to_numpy() - mu) / sd
    np.testing.assert_allclose(few["score"], z @ m.coef_ + m.intercept_, atol=1e-10)


def test_samples_whose_features_carry_under_half_the_weight_get_no_prediction():
    from immunescape.predict import ResponseModel
    from immunescape.predict._predictions import MIN_WEIGHT_SHARE

    X, y, lab = _data(seed=13)
    feats = ["cyt", "gep18", "pan_ftbrs"]
    m = ResponseModel(features=feats).fit(X, y, cohort=lab)
    w = dict(zip(feats, np.abs(m.coef_), strict=True))
    order = sorted(w, key=w.get, reverse=True)  # heaviest first
    total = sum(w.values())
    # by hand: without the two heaviest the rest is under half, without the lightest over
    assert w[order[2]] / total < MIN_WEIGHT_SHARE < (w[order[0]] + w[order[1]]) / total
    new = X[lab == "c1"].copy()
    new.loc[new.index[:5], order[:2]] = np.nan  # five samples lack the two heaviest
    new.loc[new.index[5:10], order[2]] = np.nan  # five the lightest
    res = predict_table(m, new, name="m")
    out = res.predictions.set_index("sample_id")
    few, most = [str(s) for s in new.index[:5]], [str(s) for s in new.index[5:]]
    assert out.loc[few, ["score", "probability"]].isna().all().all()
    assert out.loc[few, "predicted"].isna().all()
    assert out.loc[most, "predicted"].isin(["R", "NR"]).all()
    assert res.settings["below_min_weight_share"] == 5
    assert any("5 of 40 samples get no prediction" in w for w in res.warnings)
    # only the lightest feature on every sample -> refused, nothing predicted
    with pytest.raises(InputError, match="carry at most"):
        predict_table(m, X[lab == "c1"][[order[2]]], name="m")
