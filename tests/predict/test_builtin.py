"""The shipped built-in model: checksum, provenance, and cross-cohort checks on real data.

The real-data tests recompute leave-one-cohort-out results from the PredictioR cohorts in
../shared/data: for each held-out melanoma cohort the model is retrained on the other
cohorts with the shipped hyper-parameters (the predictions recorded at training time are not
used), and its AUC is compared with IMPRES, GEP, CYT, CD274 and IFNG6 on the same samples.
"""

from __future__ import annotations

import hashlib
import json
import logging
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from immunescape.errors import InputError
from immunescape.predict import (
    BASELINES,
    FEATURE_SETS,
    ResponseModel,
    load_builtin_model,
    load_cohort,
    loco_compare,
    stack_cohorts,
)
from immunescape.signatures.registry import load_registry

DATA = resources.files("immunescape.predict") / "data"

#: The cohorts the built-in model was trained on (see MODEL_CARD.md).
TRAINING = [
    "Hugo2016_melanoma_PD1",
    "Riaz2017_melanoma_PD1",
    "VanAllen2015_melanoma_CTLA4",
    "Nathanson2017_melanoma_CTLA4",
    "Miao2018_RCC_PD1",
    "Jung2019_NSCLC_PD1_males",
    "Snyder2017_UC_PDL1_males",
    "Zhao2019_GBM_PD1",
    "Padron2022_PDAC_PD1",
]
MELANOMA = TRAINING[:4]


def test_shipped_file_matches_its_checksum():
    data = (DATA / "builtin_model.json").read_bytes()
    line = (DATA / "builtin_model.json.sha256").read_text().split()
    assert line[1] == "builtin_model.json"
    assert hashlib.sha256(data).hexdigest() == line[0]


def test_builtin_model_loads_with_its_provenance():
    model = load_builtin_model()
    doc = json.loads((DATA / "builtin_model.json").read_text())
    assert isinstance(model, ResponseModel)
    assert model.get_params()["standardize"] == "cohort"
    assert doc["standardization"]["policy"] == "cohort"
    assert doc["standardization"]["statistics"] == []  # no per-cohort training data shipped
    assert set(model.features_) <= set(load_registry().ids)
    if isinstance(model.features, str):
        assert tuple(model.features_) == FEATURE_SETS[model.features]
    training = doc["training"]
    assert [c["name"] for c in training["training_cohorts"]] == TRAINING
    assert sum(c["n"] for c in training["training_cohorts"]) == training["n_samples"]
    assert "PredictioR" in training["curation"] and "MIT" in training["curation"]
    assert all(c["study"] for c in training["training_cohorts"])
    assert 0.0 < model.threshold_ < 1.0
    card = (DATA / "MODEL_CARD.md").read_text()
    assert hashlib.sha256((DATA / "builtin_model.json").read_bytes()).hexdigest() in card
    for name in TRAINING:
        assert name in card
    for word in ("Intended use", "Limits", "IMPRES", "nested"):
        assert word in card


def test_builtin_model_needs_a_cohort_or_reference():
    model = load_builtin_model()
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(3, len(model.features_))), columns=model.features_)
    with pytest.raises(InputError, match="reference="):
        model.predict_proba(X)
    ref = pd.DataFrame(rng.normal(size=(20, len(model.features_))), columns=model.features_)
    p = model.predict_proba(X, reference=ref)[:, 1]
    assert ((p > 0) & (p < 1)).all()


# --------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def cohorts(shared_data):
    model = load_builtin_model()
    signatures = list(dict.fromkeys([*model.features_, *BASELINES.values()]))
    logging.getLogger("immunescape").setLevel(logging.ERROR)
    folder = shared_data / "predictior_icb"
    out = []
    for name in TRAINING:
        out.append(
            load_cohort(
                folder / f"{name}_expr_log2tpm.tsv.gz",
                folder / f"{name}_clinical.tsv",
                name=name,
                on_missing="drop_genes",
                response_map={"PD*": "NA", "Only scanned baseline": "NA"},
                signatures=signatures,
            )
        )
    logging.getLogger("immunescape").setLevel(logging.NOTSET)
    return out


@pytest.mark.realdata
def test_builtin_model_is_reproduced_from_the_cohorts(cohorts):
    shipped = load_builtin_model()
    doc = json.loads((DATA / "builtin_model.json").read_text())
    n_by_name = {c["name"]: c["n"] for c in doc["training"]["training_cohorts"]}
    assert {c.name: c.n for c in cohorts} == n_by_name
    X, y, labels = stack_cohorts(cohorts, features=shipped.features_)
    refit = ResponseModel(**shipped.get_params()).fit(X, y, cohort=labels)
    np.testing.assert_allclose(refit.coef_, shipped.coef_, atol=1e-7)
    assert refit.intercept_ == pytest.approx(shipped.intercept_, abs=1e-7)
    assert refit.threshold_ == pytest.approx(shipped.threshold_, abs=1e-7)


@pytest.mark.realdata
def test_melanoma_leave_one_cohort_out_against_published_predictors(cohorts):
    shipped = load_builtin_model()
    params = {k: v for k, v in shipped.get_params().items() if k != "standardize"}
    table = loco_compare(cohorts, params=params, model_name="builtin", holdout=MELANOMA)
    shown = table[["cohort", "predictor", "n", "auc", "auc_ci_low", "auc_ci_high", "p_vs_model"]]
    print("\n" + shown.round(3).to_string(index=False))
    assert set(table["cohort"]) == set(MELANOMA)
    by_name = {c.name: c for c in cohorts}
    for name in MELANOMA:
        rows = table[table["cohort"] == name].set_index("predictor")
        assert list(rows.index) == ["builtin", *BASELINES]
        held = by_name[name]
        assert (rows["n"] == held.n).all()  # every predictor on the same samples
        # the published predictors' AUCs, recomputed independently
        for pred, feature in BASELINES.items():
            expected = roc_auc_score(held.y, held.X[feature])
            assert rows.loc[pred, "auc"] == pytest.approx(expected, abs=1e-12)
        # the model retrained without this cohort (not the shipped fit)
        rest = [c for c in cohorts if c.name != name]
        X, y, labels = stack_cohorts(rest, features=shipped.features_)
        m = ResponseModel(**shipped.get_params()).fit(X, y, cohort=labels)
        assert not np.allclose(m.coef_, shipped.coef_)
        p = m.predict_proba(held.X, cohort=name)[:, 1]
        assert rows.loc["builtin", "auc"] == pytest.approx(roc_auc_score(held.y, p), abs=1e-9)
        lo, hi = rows.loc["builtin", ["auc_ci_low", "auc_ci_high"]]
        assert lo < rows.loc["builtin", "auc"] < hi
        # the claim of the model card: better than chance on every held-out melanoma cohort
        assert rows.loc["builtin", "auc"] > 0.5, name
    model_mean = table.loc[table["predictor"] == "builtin", "auc"].mean()
    cd274_mean = table.loc[table["predictor"] == "cd274", "auc"].mean()
    assert model_mean > cd274_mean  # PD-L1 mRNA alone is the weakest published predictor
