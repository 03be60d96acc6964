"""Cohort loading for training and cross-cohort evaluation (synthetic files)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from immunescape.errors import InputError
from immunescape.predict import (
    Cohort,
    ResponseModel,
    load_cohort,
    loco_compare,
    loco_grid_search,
    loco_summary,
    nested_loco_compare,
    parse_cohort_spec,
    stack_cohorts,
)

GENES = [
    "GZMA",
    "PRF1",
    "CD274",
    "CD8A",
    "STAT1",
    "CXCL9",
    "ACTB",
    "GAPDH",
    "MKI67",
    "EPCAM",
    "PTPRC",
    "CD3E",
    "KRT8",
    "VIM",
    "COL1A1",
    "TP53",
    "MYC",
    "B2M",
    "HLA-A",
    "IFNG",
]


def _write(tmp_path, n=24, responders=None, seed=0, name="toy"):
    rng = np.random.default_rng(seed)
    samples = [f"S{i:02d}" for i in range(n)]
    resp = np.tile(["PR", "PD"], n // 2) if responders is None else responders
    tpm = rng.gamma(2.0, 20.0, size=(len(GENES), n))
    up = np.asarray([r in ("PR", "CR") for r in resp])
    tpm[:2, up] *= 4.0  # GZMA, PRF1 higher in responders
    expr = pd.DataFrame(tpm, index=pd.Index(GENES, name="gene"), columns=samples)
    ef = tmp_path / f"{name}_expr.tsv"
    expr.to_csv(ef, sep="\t")
    clin = pd.DataFrame(
        {
            "sample_id": samples + ["X99"],
            "recist": list(resp) + ["PR"],
            "age": list(rng.integers(40, 80, size=n)) + [50],
            "TMB_perMb": [f"{v:.2f}" for v in rng.gamma(2.0, 4.0, size=n)] + ["1.0"],
        }
    )
    clin.loc[1, "recist"] = "NE"  # unlabelled
    cf = tmp_path / f"{name}_clinical.tsv"
    clin.to_csv(cf, sep="\t", index=False)
    return ef, cf


def test_load_cohort_scores_labels_and_provenance(tmp_path):
    ef, cf = _write(tmp_path)
    c = load_cohort(
        ef, cf, signatures=["cyt", "gene_CD274"], tmb_column="TMB_perMb", clinical_features=["age"]
    )
    assert c.name == "toy"
    assert c.n == 23 and c.n_responders == 12  # S01 (NE) dropped; X99 not in expression
    assert list(c.X.columns) == ["cyt", "gene_CD274", "tmb", "tmb_log2", "age"]
    assert c.meta["dropped_unlabelled"] == ["S01"] and c.meta["clinical_only"] == ["X99"]
    assert "CR/PR -> R" in c.meta["response_rule"]
    assert c.meta["feature_status"] == {"cyt": "scored", "gene_CD274": "scored"}
    np.testing.assert_allclose(c.X["tmb_log2"], np.log2(c.X["tmb"] + 1))
    assert roc_auc_score(c.y, c.X["cyt"]) > 0.9  # the planted signal
    assert c.available(["cyt", "absent"]) == ["cyt"]


def test_single_class_cohort_is_an_input_error(tmp_path):
    ef, cf = _write(tmp_path, responders=["PD"] * 24)
    with pytest.raises(InputError, match=r"all 23 labelled samples are non-responders") as err:
        load_cohort(ef, cf, signatures=["cyt"])
    assert "\n" not in str(err.value)


def test_no_shared_samples_and_bad_clinical_feature(tmp_path):
    ef, cf = _write(tmp_path)
    clin = pd.read_csv(cf, sep="\t")
    clin["sample_id"] = "P" + clin["sample_id"]
    other = tmp_path / "other.tsv"
    clin.to_csv(other, sep="\t", index=False)
    with pytest.raises(InputError, match="no sample id is in both files"):
        load_cohort(ef, other, signatures=["cyt"])
    with pytest.raises(InputError, match="no clinical column 'weight'"):
        load_cohort(ef, cf, signatures=["cyt"], clinical_features=["weight"])


def test_parse_cohort_spec():
    assert parse_cohort_spec("e.tsv:c.tsv:m.maf") == ("e.tsv", "c.tsv", "m.maf")
    with pytest.raises(InputError, match="EXPR:CLINICAL"):
        parse_cohort_spec("e.tsv")
    with pytest.raises(InputError, match="EXPR:CLINICAL"):
        parse_cohort_spec("a:b:c:d")


def _synthetic(n_cohorts=4, n=30, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n_cohorts):
        y = np.tile([0, 1], n // 2)
        X = (
            pd.DataFrame(
                {
                    "impres": rng.normal(size=n) + 1.0 * y,
                    "gep18": rng.normal(size=n) + 0.6 * y,
                    "cyt": rng.normal(size=n) + 0.3 * y,
                    "ifng6": rng.normal(size=n),
                    "gene_CD274": rng.normal(size=n),
                },
                index=[f"s{i}" for i in range(n)],  # same ids in every cohort
            )
            * (k + 1)
            + 3 * k
        )
        out.append(Cohort(f"c{k}", X, pd.Series(y, index=X.index)))
    return out


def test_stack_cohorts_prefixes_clashing_ids_and_checks_names():
    cs = _synthetic(3)
    X, y, labels = stack_cohorts(cs)
    assert (
        X.shape == (90, 5)
        and X.index[0] == "c0:s0"
        and list(pd.unique(labels)) == ["c0", "c1", "c2"]
    )
    with pytest.raises(InputError, match="duplicated cohort name"):
        stack_cohorts([cs[0], cs[0]])
    with pytest.raises(InputError, match="absent from cohort"):
        stack_cohorts(cs, features=["impres", "tls9"])


def test_loco_compare_matches_manual_refits():
    cs = _synthetic(4)
    params = {"features": "published", "C": 0.1}
    table = loco_compare(cs, params=params)
    assert list(table["predictor"].unique()) == ["model", "impres", "gep", "cyt", "cd274", "ifng6"]
    for held in cs:
        rest = [c for c in cs if c.name != held.name]
        X, y, labels = stack_cohorts(rest)
        m = ResponseModel(**params).fit(X, y, cohort=labels)
        p = m.predict_proba(held.X, cohort=held.name)[:, 1]
        rows = table[table["cohort"] == held.name].set_index("predictor")
        assert rows.loc["model", "auc"] == pytest.approx(roc_auc_score(held.y, p), abs=1e-9)
        assert rows.loc["impres", "auc"] == pytest.approx(roc_auc_score(held.y, held.X["impres"]))
        assert (rows["n"] == 30).all()
        assert rows.loc["model", "threshold"] == pytest.approx(m.threshold_, abs=1e-6)
    only = loco_compare(cs, params=params, holdout=["c1"])
    assert set(only["cohort"]) == {"c1"}
    summary = loco_summary(table).set_index("predictor")
    assert summary.loc["model", "n_cohorts"] == 4 and np.isnan(summary.loc["model", "model_better"])


def test_grid_search_and_nested_loco():
    cs = _synthetic(4)
    grid = {"features": [["ifng6", "gene_CD274"], ["impres", "gep18"]], "C": [0.1]}
    best, table = loco_grid_search(cs, param_grid=grid)
    assert best["features"] == ["impres", "gep18"]  # the informative pair wins
    assert table["mean_auc"].iloc[1] > table["mean_auc"].iloc[0]
    res = nested_loco_compare(cs, param_grid=grid)
    nested = res.table
    assert set(res.predictions["cohort"]) == {c.name for c in cs}
    assert len(res.predictions) == sum(c.n for c in cs)
    chosen = nested.loc[nested["predictor"] == "model", "params"].map(json.loads)
    assert all(p["features"] == ["impres", "gep18"] for p in chosen)
    assert (nested.loc[nested["predictor"] == "model", "auc"] > 0.6).all()
    with pytest.raises(InputError, match="at least 3 cohorts"):
        loco_grid_search(cs[:2], param_grid=grid)


def test_missing_model_feature_in_a_cohort_is_reported():
    cs = _synthetic(3)
    cs[1].X.loc["s3", "impres"] = np.nan
    with pytest.raises(InputError, match=r"missing or incomplete in cohort\(s\): c1: impres"):
        loco_compare(cs, params={"features": "published"})
