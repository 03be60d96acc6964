"""The meta-analysis section of the HTML report, on synthetic per-cohort rows."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from immunescape.errors import InputError
from immunescape.meta import pool_effects
from immunescape.report import render_report

XSS = "<script>alert(1)</script>"


def _tables(n_features: int = 20) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(3)
    cohorts = [
        ("A", "melanoma", "anti-PD-1/PD-L1"),
        (XSS, "lung", "anti-CTLA-4"),
        ("C", "melanoma", "anti-PD-1/PD-L1"),
    ]
    feats = ["cyt", "gene_CD274", "tmb_per_mb"] + [f"f{i}" for i in range(n_features - 3)]
    rows = []
    for c, ct, tr in cohorts:
        for f in feats:
            for m, centre in (("log_or", 0.3 if f == "cyt" else 0.0), ("auc", 0.5)):
                se = float(rng.uniform(0.05, 0.3))
                est = float(rng.normal(centre, se))
                rows.append(
                    {
                        "cohort": c,
                        "cancer_type": ct,
                        "treatment_class": tr,
                        "feature": f,
                        "kind": "signature",
                        "measure": m,
                        "n_r": 10,
                        "n_nr": 15,
                        "n": 25,
                        "estimate": est,
                        "se": se,
                        "ci_low": est - 1.96 * se,
                        "ci_high": est + 1.96 * se,
                        "p_value": 0.5,
                        "pooled": True,
                    }
                )
    per = pd.DataFrame(rows)
    meta, loo = pool_effects(per)
    info = pd.DataFrame(
        {
            "cohort": [c for c, _, _ in cohorts] + ["D"],
            "included": [True, True, True, False],
            "reason": ["", "", "", "one response class only (5 responders, 0 non-responders)"],
        }
    )
    return {"meta.tsv": meta, "meta_cohorts.tsv": per, "meta_loo.tsv": loo, "cohorts.tsv": info}


def _figures(html: str) -> list[dict]:
    blobs = re.findall(
        r'<script type="application/json" id="fig-\d+-data">(.*?)</script>', html, flags=re.S
    )
    return [json.loads(b) for b in blobs]


def test_meta_section_with_forest_plots():
    html = render_report(_tables(), run={"command": ["immunescape", "meta"]})
    assert '<section id="meta"' in html and "Ranked summary" in html
    assert "one response class only" in html
    figs = _figures(html)
    assert len(figs) == 20  # every pooled feature has a forest plot
    for f in figs:
        go.Figure(f)
        ys = f["data"][0]["y"]
        assert ys[-2:] == ["pooled (REML)", "pooled (DL)"] and len(ys) == 5
    assert XSS not in html  # cohort names are escaped, in tables and in figure JSON
    # the pooled REML row of cyt is drawn at exp(estimate)
    t = _tables()
    m = t["meta.tsv"]
    cyt = m[
        (m["feature"] == "cyt")
        & (m["measure"] == "log_or")
        & (m["subgroup_by"] == "all")
        & (m["method"] == "REML")
    ].iloc[0]
    fig = next(f for f in figs if "cyt" in json.dumps(f["data"][0]["text"][-1]))
    assert fig["data"][0]["x"][-2] == pytest.approx(np.exp(cyt["estimate"]), rel=1e-4)


def test_meta_tables_with_required_columns_only():
    from immunescape.report._meta import META_SPECS

    t = {k.removesuffix(".tsv"): v for k, v in _tables(5).items()}
    minimal = {k: t[k][list(META_SPECS[k].required)] for k in META_SPECS}
    html = render_report(minimal, run={})
    assert '<section id="meta"' in html
    for f in _figures(html):
        go.Figure(f)
    with pytest.raises(InputError, match="lacks column"):
        render_report({"meta": t["meta"].drop(columns=["estimate"])}, run={})


def test_a_cohorts_table_alone_is_not_a_meta_table():
    html = render_report({"cohorts": pd.DataFrame({"cohort": ["a"], "included": [True]})}, run={})
    assert '<section id="meta"' not in html
