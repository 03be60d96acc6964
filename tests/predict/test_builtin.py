"""The shipped built-in model: checksum, provenance, any-cohort prediction, real-data checks.

The real-data tests rebuild the model from the PredictioR cohorts in ../shared/data and
check that it equals the shipped file, that it predicts on cohorts of any size and any
subset of features, and that its out-of-cohort AUCs on the held-out melanoma cohorts are
recomputed independently (scikit-learn's roc_auc_score on a model refitted without them).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from immunescape.errors import InputError, ResourceError
from immunescape.predict import RobustModel, load_builtin_model, predict_table, stack_union

DATA = resources.files("immunescape.predict") / "data"
ROOT = Path(__file__).resolve().parents[2]


def test_shipped_file_matches_its_checksum():
    data = (DATA / "builtin_model.json").read_bytes()
    line = (DATA / "builtin_model.json.sha256").read_text().split()
    assert line[1] == "builtin_model.json"
    assert hashlib.sha256(data).hexdigest() == line[0]


def test_a_corrupt_shipped_model_is_a_resource_error(monkeypatch):
    from immunescape import _resources

    real = _resources._read

    def corrupt(package, name):
        data = real(package, name)
        return data.replace(b'"kind"', b'"kinds"', 1) if name == "builtin_model.json" else data

    monkeypatch.setattr(_resources, "_read", corrupt)
    with pytest.raises(ResourceError, match=r"builtin_model.json is corrupt.*reinstall"):
        load_builtin_model()


def test_builtin_model_loads_with_its_provenance():
    model = load_builtin_model()
    doc = json.loads((DATA / "builtin_model.json").read_text())
    assert isinstance(model, RobustModel)
    assert doc["schema"] == "immunescape.robust_model"
    assert set(doc["training"]["cohorts"]) == set(model.training_["cohorts"])
    # one sub-model (with a calibrator) per non-empty subset of units
    assert len(doc["submodels"]) == 2 ** len(model.units) - 1
    assert all("calibrator" in s for s in doc["submodels"].values())
    card = (DATA / "MODEL_CARD.md").read_text()
    assert hashlib.sha256((DATA / "builtin_model.json").read_bytes()).hexdigest() in card
    for name in doc["training"]["cohorts"]:
        assert name in card


def _synthetic_scores(model: RobustModel, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mean = model.reference_mean_
    scale = model.reference_scale_
    return pd.DataFrame(mean + scale * rng.normal(size=(n, mean.size)),
                        columns=model.features, index=[f"p{i}" for i in range(n)])


@pytest.mark.parametrize("n", [1, 3, 15, 40])
def test_builtin_predicts_on_any_cohort_size(n):
    model = load_builtin_model()
    X = _synthetic_scores(model, n)
    out = predict_table(model, X, name="builtin").predictions
    assert len(out) == n
    assert out["probability"].between(0, 1).all()
    assert set(out["standardisation"]) == ({"reference"} if n < 10 else {"cohort"})
    assert (out["features_used"] == ",".join(model.features)).all()


def test_builtin_uses_what_is_there_and_says_so():
    model = load_builtin_model()
    X = _synthetic_scores(model, 20)
    one = model.features[0]
    part = X.drop(columns=one)
    res = predict_table(model, part, name="builtin")
    out = res.predictions
    assert out["probability"].notna().all()
    assert not out["features_used"].str.split(",").apply(lambda f: one in f).any()
    assert res.settings["missing_features"] == {one: 20}
    assert res.warnings and f"{one} (20 of 20 samples)" in res.warnings[0]
    # every feature but one absent: still predicts
    last = X[[model.features[-1]]]
    assert predict_table(model, last, name="builtin").predictions["probability"].notna().all()
    with pytest.raises(InputError, match="none of the model's features"):
        predict_table(model, pd.DataFrame({"unrelated": [1.0]}, index=["p"]), name="builtin")


# ------------------------------------------------------------------------------ real data
def _trainer():
    spec = importlib.util.spec_from_file_location(
        "train_builtin_model", ROOT / "scripts" / "train_builtin_model.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="module")
def cohorts(shared_data):
    trainer = _trainer()
    logging.getLogger("immunescape").setLevel(logging.ERROR)
    loaded, _ = trainer.load_all(shared_data / "predictior_icb")
    logging.getLogger("immunescape").setLevel(logging.NOTSET)
    keep, _ = trainer.evaluation_cohorts(loaded)
    return keep


@pytest.mark.realdata
def test_builtin_model_is_reproduced_from_the_cohorts(cohorts):
    shipped = load_builtin_model()
    assert {c.name: c.n for c in cohorts} == {
        k: v["n"] for k, v in shipped.training_["cohorts"].items()}
    X, y, lab = stack_union(cohorts)
    refit = RobustModel.from_candidate(shipped.name).fit(X, y, cohort=lab)
    key = ",".join(str(i) for i in range(len(shipped.units)))
    np.testing.assert_allclose(refit._submodel(tuple(range(len(shipped.units))))["coef"],
                               shipped.submodels_[key]["coef"], atol=1e-7)
    a = refit.predict_frame(X[lab == cohorts[0].name], cohort=cohorts[0].name)
    b = shipped.predict_frame(X[lab == cohorts[0].name], cohort=cohorts[0].name)
    np.testing.assert_allclose(a["probability"], b["probability"], atol=1e-7)


@pytest.mark.realdata
def test_out_of_cohort_auc_on_melanoma_cohorts(cohorts):
    shipped = load_builtin_model()
    X, y, lab = stack_union(cohorts)
    melanoma = [c for c in cohorts if "melanoma" in c.name and "panel" not in c.name]
    aucs = []
    for held in melanoma:
        tr = lab != held.name
        m = RobustModel.from_candidate(shipped.name).fit(X[tr], y[tr], cohort=lab[tr])
        p = m.predict_frame(held.X, cohort=held.name)["probability"].to_numpy()
        assert np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()
        aucs.append(roc_auc_score(held.y, m.predict_frame(held.X, cohort=held.name)["score"]))
    # every held-out melanoma cohort is ranked better than chance, as in the model card
    assert min(aucs) > 0.5, aucs


def test_one_patient_with_a_reference_gets_its_in_cohort_probability(tmp_path, capsys):
    """`predict --reference REST` on one patient equals that patient's prediction inside the
    whole cohort: the patient is scored and standardised together with the same samples."""
    from immunescape.cli import main
    from immunescape.datasets import simulate_cohort, write_cohort

    d = write_cohort(simulate_cohort(30, seed=7), tmp_path / "c")
    expr = pd.read_csv(d / "expression.tsv", sep="\t", index_col=0)
    one, rest = tmp_path / "one.tsv", tmp_path / "rest.tsv"
    expr.iloc[:, :1].to_csv(one, sep="\t")
    expr.iloc[:, 1:].to_csv(rest, sep="\t")
    assert main(["predict", "--model", "builtin", "--expr", str(d / "expression.tsv"),
                 "-o", str(tmp_path / "whole")]) == 0
    assert main(["predict", "--model", "builtin", "--expr", str(one), "--reference", str(rest),
                 "-o", str(tmp_path / "alone")]) == 0
    capsys.readouterr()
    whole = pd.read_csv(tmp_path / "whole" / "predictions.tsv", sep="\t", index_col=0)
    alone = pd.read_csv(tmp_path / "alone" / "predictions.tsv", sep="\t", index_col=0)
    pid = expr.columns[0]
    assert alone.loc[pid, "probability"] == pytest.approx(whole.loc[pid, "probability"],
                                                          rel=1e-6)
    assert alone.loc[pid, "features_used"] == whole.loc[pid, "features_used"]
