"""External validation (``evaluate --model``): one evaluation.tsv layout, AUCs as sklearn's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from immunescape.errors import InputError
from immunescape.predict import BASELINES, ResponseModel, predict_table, stack_cohorts
from immunescape.predict._external import (
    EVALUATION_COLUMNS,
    evaluation_table,
    external_validation,
    load_cohorts,
    model_features,
)


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory):
    from immunescape.datasets import simulate_cohort, write_cohort

    root = tmp_path_factory.mktemp("external")
    specs = []
    for seed in (3, 4):
        d = root / f"sim{seed}"
        write_cohort(simulate_cohort(40, seed=seed), d)
        specs.append(f"{d / 'expression.tsv'}:{d / 'clinical.tsv'}")
    return load_cohorts(specs, seed=0)


def test_same_file_names_get_their_folder_as_prefix(cohorts):
    assert [c.name for c in cohorts] == ["sim3_expression", "sim4_expression"]


def test_external_validation_matches_sklearn(cohorts):
    X, y, labels = stack_cohorts(cohorts[:1])
    model = ResponseModel(features=["cyt", "ifng6"], standardize="global").fit(X, y)
    table = external_validation(model, cohorts)
    assert list(table.columns) == list(EVALUATION_COLUMNS)
    assert set(table["predictor"]) == {"model", *BASELINES}
    for c in cohorts:
        rows = table[table["cohort"] == c.name].set_index("predictor")
        pred = predict_table(model, c.X).predictions
        truth = c.y.loc[pred["sample_id"]].to_numpy()
        p = pred["probability"].to_numpy()
        assert rows.loc["model", "auc"] == pytest.approx(roc_auc_score(truth, p), abs=1e-12)
        assert rows.loc["model", "brier"] == pytest.approx(brier_score_loss(truth, p))
        assert rows.loc["model", "n"] == c.n
        assert rows.loc["model", "n_pos"] + rows.loc["model", "n_neg"] == c.n
        for name, feat in BASELINES.items():
            row = rows.loc[name]
            if c.X[feat].notna().all():
                assert row["auc"] == pytest.approx(roc_auc_score(c.y, c.X[feat]), abs=1e-12)
                assert row["auc_ci_low"] <= row["auc"] <= row["auc_ci_high"]
                assert 0 < row["p_vs_model"] <= 1
            else:
                assert np.isnan(row["auc"]) and feat in row["note"]


def test_evaluation_table_has_one_layout():
    t = evaluation_table([{"cohort": "a", "predictor": "model", "auc": 0.5}])
    assert list(t.columns) == list(EVALUATION_COLUMNS)
    with pytest.raises(ValueError, match="outside the evaluation.tsv layout"):
        evaluation_table([{"cohort": "a", "auc_new": 0.5}])


def test_model_features_add_log2_tmb():
    scores = pd.DataFrame({"cyt": [1.0, 2.0, 3.0]}, index=["a", "b", "c"])
    tmb = pd.Series([0.0, 7.0, 15.5], index=["a", "b", "d"])
    X = model_features(scores, tmb=tmb)
    assert list(X.index) == ["a", "b", "c", "d"]
    expected = np.log2(1.0 + np.array([0.0, 7.0, np.nan, 15.5]))
    np.testing.assert_allclose(X["tmb_log2"].to_numpy(), expected)
    assert model_features(scores).equals(scores)
    with pytest.raises(InputError, match="negative TMB"):
        model_features(scores, tmb=pd.Series([-1.0], index=["a"]))


def test_a_cohort_lacking_most_of_the_models_weight_gets_a_note_not_a_crash(cohorts):
    import dataclasses

    X, y, _ = stack_cohorts(cohorts[:1])
    model = ResponseModel(features=["cyt", "ifng6"], standardize="global").fit(X, y)
    heavy = ["cyt", "ifng6"][int(np.argmax(np.abs(model.coef_)))]
    lacking = dataclasses.replace(cohorts[1], X=cohorts[1].X.drop(columns=heavy))
    table = external_validation(model, [cohorts[0], lacking])
    rows = table.set_index(["cohort", "predictor"])
    assert np.isfinite(rows.loc[(cohorts[0].name, "model"), "auc"])
    gap = rows.loc[(lacking.name, "model")]
    assert np.isnan(gap["auc"]) and "carry at most" in gap["note"]
