"""meta_analysis end to end on simulated cohorts, checked against independent computations.

* Per-cohort AUCs and DeLong intervals equal ``compare``'s ``associations.tsv`` on the same
  cohort, and per-cohort Cox log HRs equal ``compare``'s ``survival.tsv``.
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
from immunescape.compare import compare_cohort
from immunescape.datasets import simulate_cohort, write_cohort
from immunescape.errors import InputError
from immunescape.meta import pool, pool_effects
from immunescape.pipeline import run_pipeline
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


def test_per_cohort_auc_and_cox_equal_compare(result, cohorts):
    per = result.tables["meta_cohorts"]
    for name in ("c0", "c2"):
        e, c, _ = cohorts[name]
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
        assert len(shared) > 100
        for col_a, col_m in (
            ("auc", "estimate"),
            ("auc_ci_low", "ci_low"),
            ("auc_ci_high", "ci_high"),
            ("p_value", "p_value"),
        ):
            np.testing.assert_allclose(
                mine.loc[shared, col_m].to_numpy(float),
                assoc.loc[shared, col_a].to_numpy(float),
                rtol=0,
                atol=1e-12,
                equal_nan=True,
            )
        assert (mine.loc[shared, "n_r"] == assoc.loc[shared, "n_r"]).all()
        surv = cmp.tables["survival"]
        surv = surv[(surv["endpoint"] == "OS") & (surv["model"] == "univariable")]
        surv = surv.set_index("feature")
        cox = per[(per["cohort"] == name) & (per["measure"] == "log_hr:OS")].set_index("feature")
        ok = surv.index[np.isfinite(surv["hr"].to_numpy(float))].intersection(cox.index)
        np.testing.assert_allclose(
            cox.loc[ok, "estimate"].to_numpy(float),
            np.log(surv.loc[ok, "hr"].to_numpy(float)),
            atol=1e-10,
        )


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
