"""meta_analysis on real PredictioR ICB cohorts (../shared/data; skipped when absent).

Three small cohorts (Hugo 2016 melanoma anti-PD-1, Jung 2019 NSCLC anti-PD-1, Zhao 2019 GBM
anti-PD-1) go through the API. Checked against independent computations on the same data:

* the CD274 and CXCL9 AUCs of every cohort equal scikit-learn's ``roc_auc_score`` on
  log2(TPM + 1) read directly from the file, with the PredictioR response labels, and their
  DeLong standard errors and intervals equal the structural components of DeLong et al. 1988
  computed here by loops;
* the pooled DerSimonian-Laird estimates equal statsmodels ``combine_effects`` on the
  per-cohort rows.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score
from statsmodels.stats.meta_analysis import combine_effects

from immunescape import meta_analysis

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


def _delong_se(pos, neg) -> float:
    """DeLong's SE from the structural components (DeLong et al. 1988), by loops."""
    psi = [[1.0 if x > y else 0.5 if x == y else 0.0 for y in neg] for x in pos]
    v10 = [sum(row) / len(neg) for row in psi]
    v01 = [sum(psi[i][j] for i in range(len(pos))) / len(pos) for j in range(len(neg))]
    return float(np.sqrt(np.var(v10, ddof=1) / len(pos) + np.var(v01, ddof=1) / len(neg)))


@pytest.mark.parametrize("cohort", COHORTS)
@pytest.mark.parametrize("gene", ["CD274", "CXCL9"])
def test_gene_auc_and_delong_against_sklearn_and_definition(real, cohort, gene):
    res, specs = real
    per = res.tables["meta_cohorts"]
    e, c = specs[cohort]
    expr = pd.read_csv(e, sep="\t", index_col="gene")
    clin = pd.read_csv(c, sep="\t", index_col="sample_id")
    y = clin["response"].dropna()
    y = y[y.index.isin(expr.columns)]
    x = np.log2(2.0 ** expr.loc[gene, y.index].to_numpy(float) - 0.001 + 1.0)  # log2(TPM + 1)
    lab = (y == "R").to_numpy().astype(int)
    auc = roc_auc_score(lab, x)
    se = _delong_se(x[lab == 1], x[lab == 0])
    z = stats.norm.ppf(0.975)
    mine = per[(per["cohort"] == cohort) & (per["feature"] == f"gene_{gene}")]
    mine = mine[mine["measure"] == "auc"].iloc[0]
    assert (mine["n_r"], mine["n_nr"]) == (int(lab.sum()), int((lab == 0).sum()))
    assert float(mine["estimate"]) == pytest.approx(auc, abs=1e-12)
    assert float(mine["se"]) == pytest.approx(se, rel=1e-10)
    assert float(mine["ci_low"]) == pytest.approx(max(0.0, auc - z * se), abs=1e-10)
    assert float(mine["ci_high"]) == pytest.approx(min(1.0, auc + z * se), abs=1e-10)


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


def test_cohort_info_cancer_type_picks_the_cohorts_reference_group(shared_data):
    specs = {n: _paths(shared_data, n) for n in COHORTS[:2]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = meta_analysis(
            specs, cohort_info={"Hugo2016_melanoma_PD1": {"cancer_type": "SKCM"}})
    inputs = res.settings["inputs"]
    assert inputs["Hugo2016_melanoma_PD1"]["reference_group"] == "melanoma"
    assert inputs["Jung2019_NSCLC_PD1_males"]["reference_group"] == "pan_cancer"
