"""meta_analysis on real PredictioR ICB cohorts (../shared/data; skipped when absent).

Three small cohorts (Hugo 2016 melanoma anti-PD-1, Jung 2019 NSCLC anti-PD-1, Zhao 2019 GBM
anti-PD-1) go through the API. Checked against independent computations on the same data:

* every per-cohort AUC, DeLong interval and p-value equals ``compare``'s
  ``associations.tsv`` on that cohort (the same pipeline path);
* the CD274 AUC equals scikit-learn's ``roc_auc_score`` on log2(TPM + 1) of CD274 read
  directly from the file, with the PredictioR response labels;
* the pooled DerSimonian-Laird estimates equal statsmodels ``combine_effects`` on the
  per-cohort rows.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from statsmodels.stats.meta_analysis import combine_effects

from immunescape import meta_analysis
from immunescape.compare import compare_cohort
from immunescape.pipeline import run_pipeline

pytestmark = pytest.mark.realdata
COHORTS = ("Hugo2016_melanoma_PD1", "Jung2019_NSCLC_PD1_males", "Zhao2019_GBM_PD1")


def _paths(shared_data, name):
    d = shared_data / "predictior_icb"
    return str(d / f"{name}_expr_log2tpm.tsv.gz"), str(d / f"{name}_clinical.tsv")


@pytest.fixture(scope="module")
def real(shared_data):
    specs = {n: _paths(shared_data, n) for n in COHORTS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return meta_analysis(specs, tmb_col="TMB_perMb", genes=["CXCL9"]), specs


def test_cohorts_and_subgroups(real):
    res, _ = real
    c = res.tables["cohorts"].set_index("cohort")
    assert c["included"].all()
    assert c.loc["Hugo2016_melanoma_PD1", ["n_r", "n_nr"]].tolist() == [14, 13]
    assert set(c["cancer_type"]) == {"Melanoma", "Lung", "Brain"}
    assert set(c["treatment_class"]) == {"anti-PD-1/PD-L1"}
    meta = res.tables["meta"]
    cyt = meta[
        (meta["feature"] == "cyt")
        & (meta["subgroup_by"] == "cancer_type")
        & (meta["measure"] == "log_or")
    ]
    assert len(cyt) == 6 and cyt["q_between_df"].eq(2).all()  # 3 cancer types x 2 methods
    # TMB only in Jung's clinical table: per-cohort row, no pooled estimate
    tmb = meta[(meta["feature"] == "tmb_per_mb") & (meta["subgroup_by"] == "all")]
    assert (tmb["replication"] == "not_pooled").all()


def test_per_cohort_aucs_equal_compare(real):
    res, specs = real
    per = res.tables["meta_cohorts"]
    for name, (e, c) in specs.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe = run_pipeline(expr=e, clinical=c)
            t = pipe.tables
            cmp = compare_cohort(
                pipe.clinical,
                scores=t["scores.tsv"],
                feature_info=t["features.tsv"].reset_index(),
                mechanisms=t["mechanisms.tsv"],
                draw_figures=False,
            )
        assoc = cmp.tables["associations"].set_index("feature")
        mine = per[(per["cohort"] == name) & (per["measure"] == "auc")].set_index("feature")
        shared = assoc.index.intersection(mine.index)
        assert len(shared) >= 100
        for a, m in (("auc", "estimate"), ("auc_ci_low", "ci_low"), ("auc_ci_high", "ci_high")):
            np.testing.assert_allclose(
                mine.loc[shared, m].to_numpy(float),
                assoc.loc[shared, a].to_numpy(float),
                atol=1e-12,
                equal_nan=True,
            )


def test_cd274_auc_against_sklearn(real, shared_data):
    res, specs = real
    per = res.tables["meta_cohorts"]
    e, c = specs["Hugo2016_melanoma_PD1"]
    expr = pd.read_csv(e, sep="\t", index_col="gene")
    clin = pd.read_csv(c, sep="\t", index_col="sample_id")
    y = clin["response"].dropna()
    x = np.log2(2.0 ** expr.loc["CD274", y.index] - 0.001 + 1.0)  # log2(TPM + 1)
    ref = roc_auc_score((y == "R").astype(int), x)
    mine = per[
        (per["cohort"] == "Hugo2016_melanoma_PD1")
        & (per["feature"] == "gene_CD274")
        & (per["measure"] == "auc")
    ]
    assert float(mine["estimate"].iloc[0]) == pytest.approx(ref, abs=1e-12)


def test_pooled_dl_equals_statsmodels(real):
    res, _ = real
    meta = res.tables["meta"]
    per = res.tables["meta_cohorts"]
    per = per[per["pooled"]]
    for feat in ("cyt", "gep18", "gene_CD274", "gene_CXCL9", "impres"):
        r = meta[
            (meta["feature"] == feat)
            & (meta["measure"] == "log_or")
            & (meta["method"] == "DL")
            & (meta["subgroup_by"] == "all")
        ].iloc[0]
        g = per[(per["feature"] == feat) & (per["measure"] == "log_or")]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sm = combine_effects(
                g["estimate"].to_numpy(float), g["se"].to_numpy(float) ** 2, method_re="dl"
            )
        ref = sm.mean_effect_re if sm.tau2 > 0 else sm.mean_effect_fe
        assert r["k"] == 3
        assert r["estimate"] == pytest.approx(ref, rel=1e-9)
