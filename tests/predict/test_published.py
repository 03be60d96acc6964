"""Published predictors: scores passed through, published cut-offs and calibrations only."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from immunescape.errors import InputError
from immunescape.predict import PUBLISHED_PREDICTORS, loris_score, published_predictors

COLUMNS = ["sample_id", "model", "score", "probability", "predicted"]


def _scores():
    return pd.DataFrame(
        {
            "impres": [15.0, 8.0, 7.0, 0.0, np.nan],
            "gep18": [0.5, 0.1, -0.2, -0.4, 0.0],
            "cyt": [30.0, 12.0, 3.0, 0.5, 1.0],
            "ifng6": [6.0, 4.0, 3.0, 1.0, 2.0],
            "gene_CD274": [5.0, 2.0, 1.0, 0.0, 0.5],
            "tls9": [1.0] * 5,
        },
        index=pd.Index(["p1", "p2", "p3", "p4", "p5"], name="sample_id"),
    )


def _get(out, model):
    return out[out["model"] == model].set_index("sample_id")


def test_layout_and_expression_predictors():
    out = published_predictors(_scores()).predictions
    assert list(out.columns) == COLUMNS
    assert list(out["model"].unique()) == ["impres", "gep", "cyt", "ifng6", "cd274"]
    s = _scores()
    for model, feature in [
        ("impres", "impres"),
        ("gep", "gep18"),
        ("cyt", "cyt"),
        ("ifng6", "ifng6"),
        ("cd274", "gene_CD274"),
    ]:
        block = _get(out, model)
        np.testing.assert_array_equal(block["score"].to_numpy(), s[feature].to_numpy())
        assert block["probability"].isna().all()  # no published calibration
    for model in ("gep", "cyt", "ifng6", "cd274"):  # no published RNA-seq cut-off
        assert _get(out, model)["predicted"].isna().all()


def test_impres_cutoff_is_8_of_15():
    out = _get(published_predictors(_scores(), models=["impres"]).predictions, "impres")
    # 15 and 8 reach the cut-off, 7 and 0 do not, NaN gets no call
    assert out["predicted"].tolist()[:4] == ["R", "R", "NR", "NR"]
    assert pd.isna(out.loc["p5", "predicted"])
    assert PUBLISHED_PREDICTORS["impres"].cutoff == 8.0


def test_tmb_cutoff_only_for_panel_tmb():
    tmb = pd.Series({"p1": 25.0, "p2": 10.0, "p3": 9.99, "p4": 0.0})
    panel = _get(published_predictors(None, tmb=tmb, tmb_assay="panel").predictions, "tmb")
    assert panel["predicted"].tolist() == ["R", "R", "NR", "NR"]  # >= 10 mut/Mb
    assert panel["score"].tolist() == [25.0, 10.0, 9.99, 0.0]
    exome = _get(published_predictors(None, tmb=tmb, tmb_assay="exome").predictions, "tmb")
    assert exome["predicted"].isna().all()
    unknown = _get(published_predictors(None, tmb=tmb).predictions, "tmb")
    assert unknown["predicted"].isna().all()
    # the assay is read from the rule column of a compute_tmb table
    table = pd.DataFrame(
        {"sample_id": ["a", "b"], "tmb_per_mb": [12.0, 3.0], "rule": ["nonsynonymous; panel"] * 2}
    )
    res = published_predictors(None, tmb=table)
    assert res.predictions["predicted"].tolist() == ["R", "NR"]
    assert res.settings["predictors"]["tmb"]["assay"] == "panel"


def _loris_table():
    return pd.DataFrame(
        {
            "sample_id": ["a", "b", "c"],
            "TMB": [30.0, 2.0, 12.0],
            "Systemic_therapy_history": [0, 1, 0],
            "Albumin": [4.2, 3.1, 3.9],
            "NLR": [2.5, 12.0, 4.0],
            "Age": [70, 55, 64],
            "CancerType": ["Melanoma", "Pancreatic", "NSCLC"],
            "PDL1_TPS(%)": [80.0, 0.0, 10.0],
        }
    )


def test_loris_probability_and_authors_cutoffs():
    table = _loris_table()
    res = published_predictors(None, clinical=table)
    out = res.predictions
    assert list(out["model"].unique()) == ["loris_pancancer", "loris_nsclc"]
    pan = _get(out, "loris_pancancer")
    ref = loris_score(table, model="pancancer").scores.set_index("sample_id")
    np.testing.assert_allclose(pan["probability"], ref["probability"])
    np.testing.assert_allclose(pan["score"], ref["score"])
    assert pan["predicted"].tolist() == np.where(ref["probability"] >= 0.5, "R", "NR").tolist()
    assert PUBLISHED_PREDICTORS["loris_pancancer"].cutoff == 0.5
    assert res.settings["predictors"]["loris_pancancer"]["licence"] == "CC BY-NC 4.0"
    # by default the NSCLC model scores the NSCLC patient only, with its 0.44 cut-off
    nsclc = _get(out, "loris_nsclc")
    assert list(nsclc.index) == ["c"]
    p = float(loris_score(table.iloc[[2]], model="nsclc").scores["probability"].iloc[0])
    assert nsclc.loc["c", "probability"] == pytest.approx(p)
    assert nsclc.loc["c", "predicted"] == ("R" if p >= 0.44 else "NR")
    assert PUBLISHED_PREDICTORS["loris_nsclc"].cutoff == 0.44


def test_loris_nsclc_cutoff_044_on_request():
    table = _loris_table()
    # two probabilities either side of 0.44 (TMB 50 vs 0, PD-L1 100 vs 0)
    table.loc[0, ["TMB", "PDL1_TPS(%)"]] = [50.0, 100.0]
    table.loc[1, ["TMB", "PDL1_TPS(%)", "Albumin"]] = [0.0, 0.0, 3.0]
    with pytest.warns(UserWarning, match="NSCLC LORIS applied to 2 non-NSCLC"):
        res = published_predictors(None, clinical=table, models=["loris_nsclc"])
        out = _get(res.predictions, "loris_nsclc")
    p = out["probability"]
    assert p["a"] > 0.44 > p["b"]
    assert out["predicted"].tolist() == np.where(p >= 0.44, "R", "NR").tolist()


def test_tmb_feeds_loris_when_clinical_lacks_it():
    table = _loris_table().drop(columns=["TMB"])
    tmb = pd.Series({"a": 30.0, "b": 2.0, "c": 12.0})
    out = _get(
        published_predictors(None, clinical=table, tmb=tmb, models=["loris_pancancer"]).predictions,
        "loris_pancancer",
    )
    ref = loris_score(_loris_table(), model="pancancer").scores.set_index("sample_id")
    np.testing.assert_allclose(out["probability"], ref["probability"])


def test_requested_models_need_their_inputs():
    with pytest.raises(InputError, match="unknown published predictor"):
        published_predictors(_scores(), models=["easier"])
    with pytest.raises(InputError, match="needs TMB"):
        published_predictors(_scores(), models=["tmb"])
    with pytest.raises(InputError, match="LORIS inputs"):
        published_predictors(_scores(), models=["loris_pancancer"])
    with pytest.raises(InputError, match="'impres', which is not available"):
        published_predictors(_scores().drop(columns=["impres"]), models=["impres"])
    # by default a predictor without its inputs is simply not computed
    out = published_predictors(_scores().drop(columns=["impres"])).predictions
    assert "impres" not in set(out["model"])


def test_tide_needs_the_tide_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "tidepy" else real(name, *a)
    )
    expr = pd.DataFrame({"CD274": [1.0, 2.0]}, index=["p1", "p2"])
    with pytest.raises(InputError, match=r"tidepy.*immunescape\[tide\]") as err:
        published_predictors(_scores(), expression=expr)
    assert "\n" not in str(err.value)


@pytest.mark.skipif(importlib.util.find_spec("tidepy") is None, reason="tidepy not installed")
def test_tide_runs_when_installed():  # pragma: no cover - optional dependency
    rng = np.random.default_rng(0)
    genes = ["CD274", "CD8A", "CD8B", "GZMA", "PRF1", "IFNG", "STAT1", "CXCL9"]
    expr = pd.DataFrame(rng.gamma(2.0, 5.0, size=(6, len(genes))), columns=genes)
    out = published_predictors(None, expression=expr, models=["tide"]).predictions
    assert (out["model"] == "tide").all()


def test_every_predictor_documents_its_cutoff_source():
    for name, spec in PUBLISHED_PREDICTORS.items():
        assert spec.cutoff_source and spec.citation, name
        assert (spec.cutoff is None) == ("no call" in spec.cutoff_source), name
