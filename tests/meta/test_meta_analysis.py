"""meta_analysis end to end on simulated cohorts, checked against independent computations.

* Per-cohort rows (:func:`cohort_effects`): AUC against scikit-learn ``roc_auc_score``, its
  DeLong standard error and interval against the structural components of DeLong et al. 1988
  computed here by loops, the p-value against scipy's Mann-Whitney U, the log odds ratio per
  SD against scikit-learn's logistic regression and the log HR per SD against statsmodels'
  Cox model (``PHReg``, Efron ties).
* Pooled DerSimonian-Laird estimates equal statsmodels ``combine_effects`` applied directly to
  the per-cohort rows; leave-one-out rows equal pooling without that cohort; BH q-values equal
  statsmodels ``multipletests(fdr_bh)``.
* Subgroups (from a cohort-information file) carry the Q-between of their estimates.
* A cohort with one response class is listed with its reason and left out; bad input is one
  line and exit code 2 with no output.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.multitest import multipletests

from immunescape import meta_analysis
from immunescape.cli import main
from immunescape.datasets import simulate_cohort, write_cohort
from immunescape.errors import InputError
from immunescape.meta import pool, pool_effects
from immunescape.report import render_report

N_GENES = 2500


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory) -> dict[str, tuple[str, str, str]]:
    root = tmp_path_factory.mktemp("meta")
    out = {}
    for i, (cancer, treatment) in enumerate(
        [("melanoma", "anti-PD-1"), ("melanoma", "ipilimumab"), ("lung", "anti-PD-L1")]
    ):
        d = write_cohort(simulate_cohort(36, n_genes=N_GENES, seed=20 + i), root / f"c{i}")
        clin = pd.read_csv(d / "clinical.tsv", sep="\t")
        clin["cancer_type"], clin["treatment"] = cancer, treatment
        clin.to_csv(d / "clinical.tsv", sep="\t", index=False)
        out[f"c{i}"] = (str(d / "expression.tsv"), str(d / "clinical.tsv"), str(d / "maf.tsv"))
    # a cohort whose labelled patients all responded
    d = write_cohort(simulate_cohort(20, n_genes=N_GENES, seed=40), root / "allr")
    clin = pd.read_csv(d / "clinical.tsv", sep="\t")
    clin["recist"] = "PR"
    clin["response"] = "R"
    clin.to_csv(d / "clinical.tsv", sep="\t", index=False)
    out["allr"] = (str(d / "expression.tsv"), str(d / "clinical.tsv"), str(d / "maf.tsv"))
    return out


@pytest.fixture(scope="module")
def result(cohorts):
    specs = {k: (e, c) for k, (e, c, _) in cohorts.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return meta_analysis(specs, genes=["CXCL9"])


def test_cohort_with_one_class_is_listed_and_left_out(result):
    c = result.tables["cohorts"].set_index("cohort")
    assert not c.loc["allr", "included"]
    assert "one response class" in c.loc["allr", "reason"]
    assert c.loc[["c0", "c1", "c2"], "included"].all()
    assert c.loc["c1", "treatment_class"] == "anti-CTLA-4"
    assert c.loc["c2", "cancer_type"] == "lung"
    per = result.tables["meta_cohorts"]
    assert set(per["cohort"]) == {"c0", "c1", "c2"}
    assert any("allr" in w for w in result.warnings)


def _delong_se(pos, neg) -> float:
    """DeLong's standard error of the AUC, by loops over all pairs, from the structural
    components of DeLong, DeLong & Clarke-Pearson 1988 (Biometrics 44:837): psi = 1 / 0.5 / 0,
    V10(X_i) = mean_j psi(X_i, Y_j), V01(Y_j) = mean_i psi(X_i, Y_j),
    Var = S10 / m + S01 / n with sample (n - 1) variances."""
    psi = [[1.0 if x > y else 0.5 if x == y else 0.0 for y in neg] for x in pos]
    v10 = [sum(row) / len(neg) for row in psi]
    v01 = [sum(psi[i][j] for i in range(len(pos))) / len(pos) for j in range(len(neg))]
    return float(np.sqrt(np.var(v10, ddof=1) / len(pos) + np.var(v01, ddof=1) / len(neg)))


@pytest.fixture(scope="module")
def effects_input():
    rng = np.random.default_rng(11)
    n = 40
    ids = [f"s{i}" for i in range(n)]
    y = pd.Series(np.where(rng.random(n) < 0.45, "R", "NR"), index=ids)
    r = (y == "R").to_numpy()
    feats = pd.DataFrame(
        {
            "smooth": rng.normal(size=n) + 0.8 * r,
            "tied": rng.integers(0, 4, size=n).astype(float) + r,  # many ties
            "gappy": rng.normal(size=n) - 0.5 * r,
            "separating": np.where(r, 5.0, 0.0) + rng.normal(scale=0.1, size=n),
            "rare": np.nan,
        },
        index=ids,
    )
    feats.loc[feats.index[::4], "gappy"] = np.nan
    feats.loc[y.index[r][:2], "rare"] = [1.0, 2.0]  # two responders only: not tested
    feats.loc[y.index[~r][:5], "rare"] = [0.5, 1.5, 2.5, 3.5, 4.5]
    lin = -0.7 * feats["smooth"].to_numpy()
    clin = pd.DataFrame(
        {
            "os_months": np.round(rng.exponential(20 * np.exp(lin)), 1) + 0.1,
            "os_event": (rng.random(n) < 0.75).astype(int),
        },
        index=ids,
    )
    return feats, y, clin


def test_cohort_effects_against_independent_references(effects_input):
    """AUC against scikit-learn, DeLong SE and interval against the 1988 definition written
    above, p-value against scipy's Mann-Whitney U, log OR against scikit-learn's unpenalised
    logistic regression and log HR against statsmodels' Cox model (Efron ties)."""
    from scipy import stats
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from statsmodels.duration.hazard_regression import PHReg

    from immunescape.meta import cohort_effects

    feats, y, clin = effects_input
    kinds = dict.fromkeys(feats.columns, "signature")
    out = cohort_effects(
        feats, y, clin, cohort="sim", kinds=kinds, endpoints=[("OS", "os_months", "os_event")]
    )
    z = stats.norm.ppf(0.975)
    for feat in ("smooth", "tied", "gappy", "separating"):
        x = feats[feat].to_numpy(float)
        ok = np.isfinite(x)
        lab = (y == "R").to_numpy()[ok].astype(int)
        xs = x[ok]
        pos, neg = xs[lab == 1], xs[lab == 0]
        auc = roc_auc_score(lab, xs)
        se = _delong_se(pos, neg)
        row = out[(out["feature"] == feat) & (out["measure"] == "auc")].iloc[0]
        assert (row["n_r"], row["n_nr"]) == (pos.size, neg.size)
        assert row["estimate"] == pytest.approx(auc, abs=1e-12)
        assert row["se"] == pytest.approx(se, rel=1e-10, abs=1e-14)
        assert row["ci_low"] == pytest.approx(max(0.0, auc - z * se), abs=1e-10)
        assert row["ci_high"] == pytest.approx(min(1.0, auc + z * se), abs=1e-10)
        p = stats.mannwhitneyu(pos, neg, alternative="two-sided", method="auto").pvalue
        assert row["p_value"] == pytest.approx(p, rel=1e-12)
        assert bool(row["pooled"]) is (se > 0)
        if feat == "separating":
            assert se == 0 and "DeLong variance 0" in row["note"]
            continue
        lo = out[(out["feature"] == feat) & (out["measure"] == "log_or")].iloc[0]
        zx = (xs - xs.mean()) / xs.std(ddof=1)
        sk = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(zx[:, None], lab)
        assert lo["estimate"] == pytest.approx(sk.coef_[0, 0], rel=1e-5)
        hr = out[(out["feature"] == feat) & (out["measure"] == "log_hr:OS")].iloc[0]
        t, e = clin["os_months"].to_numpy()[ok], clin["os_event"].to_numpy()[ok]
        cox = PHReg(t, zx[:, None], status=e, ties="efron").fit()
        assert hr["estimate"] == pytest.approx(cox.params[0], rel=1e-5)
        assert hr["se"] == pytest.approx(cox.bse[0], rel=1e-4)
    rare = out[(out["feature"] == "rare") & (out["measure"] == "auc")].iloc[0]
    assert np.isnan(rare["estimate"]) and np.isnan(rare["se"]) and not rare["pooled"]
    assert "not tested" in rare["note"]


def test_pooled_dl_equals_statsmodels_on_cohort_rows(result):
    meta = result.tables["meta"]
    per = result.tables["meta_cohorts"]
    per = per[per["pooled"]]
    rows = meta[(meta["subgroup_by"] == "all") & (meta["method"] == "DL") & (meta["k"] >= 2)]
    checked = 0
    for r in rows.to_dict("records"):
        g = per[(per["feature"] == r["feature"]) & (per["measure"] == r["measure"])]
        null = 0.5 if r["measure"] == "auc" else 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # negative untruncated tau² -> sqrt warnings
            sm = combine_effects(
                g["estimate"].to_numpy(float) - null, g["se"].to_numpy(float) ** 2, method_re="dl"
            )
        assert r["k"] == len(g)
        assert r["q"] == pytest.approx(sm.q, rel=1e-9)
        if sm.tau2 > 0:
            assert r["estimate"] == pytest.approx(sm.mean_effect_re + null, rel=1e-9, abs=1e-12)
            assert r["se"] == pytest.approx(sm.sd_eff_w_re, rel=1e-9)
            assert r["tau2"] == pytest.approx(sm.tau2, rel=1e-9)
            checked += 1
        else:  # truncated at 0: the fixed-effect estimate
            assert r["tau2"] == 0
            assert r["estimate"] == pytest.approx(sm.mean_effect_fe + null, rel=1e-9, abs=1e-12)
    assert checked > 10


def test_q_values_and_leave_one_out(result):
    meta = result.tables["meta"]
    loo = result.tables["meta_loo"]
    per = result.tables["meta_cohorts"]
    sel = meta[
        (meta["subgroup_by"] == "all")
        & (meta["method"] == "REML")
        & (meta["measure"] == "log_or")
        & (meta["k"] >= 2)
    ]
    q = multipletests(sel["p_value"].to_numpy(float), method="fdr_bh")[1]
    np.testing.assert_allclose(sel["q_value"].to_numpy(float), q, rtol=1e-12)
    r = sel.iloc[0]
    lr = loo[
        (loo["feature"] == r["feature"]) & (loo["measure"] == "log_or") & (loo["method"] == "REML")
    ]
    assert len(lr) == r["k"]
    g = per[(per["feature"] == r["feature"]) & (per["measure"] == "log_or") & per["pooled"]]
    for row in lr.to_dict("records"):
        rest = g[g["cohort"] != row["left_out"]]
        ref = pool(rest["estimate"], rest["se"] ** 2, method="REML")
        assert row["estimate"] == pytest.approx(ref.estimate, rel=1e-12)
    assert r["loo_min"] == pytest.approx(lr["estimate"].min())
    assert r["loo_max"] == pytest.approx(lr["estimate"].max())
    assert r["replication"] in {"replicates", "nominal", "driven_by_one_cohort", "not_associated"}


def test_subgroups_and_q_between(result):
    meta = result.tables["meta"]
    sub = meta[
        (meta["subgroup_by"] == "treatment_class")
        & (meta["method"] == "REML")
        & (meta["measure"] == "log_or")
        & (meta["feature"] == "cyt")
    ]
    assert set(sub["subgroup"]) == {"anti-PD-1/PD-L1", "anti-CTLA-4"}
    assert sub["q_between_df"].iloc[0] == 1
    est, se = sub["estimate"].to_numpy(float), sub["se"].to_numpy(float)
    w = 1 / se**2
    mu = np.sum(w * est) / w.sum()
    assert sub["q_between"].iloc[0] == pytest.approx(np.sum(w * (est - mu) ** 2), rel=1e-9)
    ct = meta[(meta["subgroup_by"] == "cancer_type") & (meta["feature"] == "cyt")]
    assert set(ct["subgroup"]) == {"melanoma", "lung"}


def test_cohort_info_overrides_and_phenotype_features(cohorts, tmp_path):
    info = tmp_path / "info.tsv"
    pd.DataFrame(
        {
            "cohort": ["c0", "c1"],
            "cancer_type": ["skin", "skin"],
            "treatment": ["nivolumab + ipilimumab", "CTLA4"],
        }
    ).to_csv(info, sep="\t", index=False)
    specs = {k: cohorts[k] for k in ("c0", "c1")}  # with their MAFs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = meta_analysis(specs, cohort_info=info, methods=["DL"], capture_mb=30.0)
    c = res.tables["cohorts"].set_index("cohort")
    assert c.loc["c0", "treatment_class"] == "combination"
    assert c.loc["c0", "cancer_type"] == "skin"
    meta = res.tables["meta"]
    assert set(meta["method"]) == {"DL"}
    assert "cancer_type" not in set(meta["subgroup_by"])  # one level: no subgroups
    kinds = set(res.tables["meta_cohorts"]["kind"])
    assert {"signature", "gene", "mechanism", "phenotype", "genomic"} <= kinds
    row = meta[
        (meta["feature"] == "tmb_per_mb")
        & (meta["measure"] == "log_or")
        & (meta["subgroup_by"] == "all")
    ]
    assert len(row) == 1 and row["k"].iloc[0] == 2  # TMB from the MAFs
    sub = meta[(meta["subgroup_by"] == "treatment_class") & (meta["feature"] == "tmb_per_mb")]
    assert set(sub["subgroup"]) == {"combination", "anti-CTLA-4"}


def test_pool_effects_with_too_few_cohorts():
    rows = pd.DataFrame(
        {
            "cohort": ["a"],
            "feature": ["x"],
            "measure": ["log_or"],
            "estimate": [0.3],
            "se": [0.2],
            "pooled": [True],
            "kind": ["gene"],
        }
    )
    meta, loo = pool_effects(rows)
    assert (meta["replication"] == "not_pooled").all() and meta["estimate"].isna().all()
    assert loo.empty


def test_bad_inputs(cohorts, tmp_path):
    e, c, _ = cohorts["c0"]
    with pytest.raises(InputError, match="file not found"):
        meta_analysis([f"{e}:{tmp_path / 'missing.tsv'}"])
    with pytest.raises(InputError, match="EXPR:CLINICAL"):
        meta_analysis(["only_one_path.tsv"])
    with pytest.raises(InputError, match="min_cohorts"):
        meta_analysis([f"{e}:{c}"], min_cohorts=1)
    bad = tmp_path / "info.tsv"
    bad.write_text("name\tx\na\tb\n")
    with pytest.raises(InputError, match="cohort"):
        meta_analysis({"c0": (e, c)}, cohort_info=bad)


def test_cli_meta_end_to_end(cohorts, tmp_path, capsys):
    out = tmp_path / "m"
    args = ["meta", "-o", str(out)]
    for k in ("c0", "c1", "allr"):
        e, c, _ = cohorts[k]
        args += ["--cohort", f"{e}:{c}"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(args)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    for f in (
        "meta.tsv",
        "meta_cohorts.tsv",
        "meta_loo.tsv",
        "cohorts.tsv",
        "report.html",
        "run.json",
    ):
        assert (out / f).is_file()
    run = json.loads((out / "run.json").read_text())
    assert run["meta"]["n_cohorts_pooled"] == 2
    html = (out / "report.html").read_text()
    assert 'id="meta"' in html and "Forest plots" in html and "one response class" in html
    # bad input: one line, exit 2, nothing written
    out2 = tmp_path / "m2"
    code = main(["meta", "-o", str(out2), "--cohort", "nope.tsv:also_nope.tsv"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not found" in err
    assert not out2.exists()


def test_report_forest_figures_are_valid_plotly(result):
    tables = {k.removesuffix(".tsv"): v for k, v in result.tables.items()}
    html = render_report(tables, run={"command": "immunescape meta"})
    import re

    blobs = re.findall(
        r'<script type="application/json" id="fig-\d+-data">(.*?)</script>', html, flags=re.S
    )
    assert len(blobs) >= 8
    for blob in blobs:
        go.Figure(json.loads(blob))
    assert "pooled (REML)" in html and "Ranked summary" in html


def test_api_is_exported():
    import immunescape

    assert immunescape.meta_analysis is meta_analysis
    assert Path(immunescape.__file__).parent.joinpath("meta", "_run.py").is_file()
