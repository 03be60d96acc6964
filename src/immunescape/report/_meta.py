"""Report section of the cross-cohort meta-analysis (``meta``, ``meta_cohorts``, ``cohorts``).

A ranked summary of the pooled log odds ratios (which features replicate, which are driven by
one cohort), the cohorts used or left out, subgroup differences, and one forest plot per
feature (cohort estimates with their intervals and the random-effects pooled estimate).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from immunescape.report import _figures as F
from immunescape.report._builder import num_cell, to_float
from immunescape.report._format import fmt_num, fmt_p, plot_text, text
from immunescape.report._model import Cell, Column, Table
from immunescape.report._tables import check_table, table_key
from immunescape.tables import META_SPECS

if TYPE_CHECKING:  # pragma: no cover
    from immunescape.report._builder import Builder

__all__ = ["meta_section", "meta_forest", "split_meta_tables", "KEY_FEATURES", "META_SPECS"]

_OPTIONAL_DEFAULTS = {
    "replication": "",
    "kind": "",
    "loo_influential": "",
    "cancer_type": "",
    "treatment_class": "",
    "endpoints": "",
    "reason": "",
}


def split_meta_tables(
    tables: Mapping[str, pd.DataFrame],
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Separate the meta-analysis tables (checked, optional columns filled) from the others.

    Parameters
    ----------
    tables
        Table name (with or without ``.tsv``) -> DataFrame, as given to ``render_report``.

    Returns
    -------
    tuple of dict
        (meta-analysis tables by short name, every other table as given). ``cohorts`` counts
        as a meta-analysis table only next to ``meta``.
    """
    meta: dict[str, pd.DataFrame] = {}
    rest: dict[str, pd.DataFrame] = {}
    keys = {table_key(str(n)) for n in tables}
    for name, df in tables.items():
        key = table_key(str(name))
        if key not in META_SPECS or (key == "cohorts" and "meta" not in keys):
            rest[name] = df
            continue
        spec = META_SPECS[key]
        frame = check_table(str(name), df, spec, key=key)
        for c in spec.optional:
            if c not in frame.columns:
                frame[c] = _OPTIONAL_DEFAULTS.get(c, np.nan)
        for c in ("feature", "cohort", "measure", "method", "subgroup_by", "subgroup"):
            if c in frame.columns:
                frame[c] = frame[c].astype(str)
        meta[key] = frame
    return meta, rest


#: Features always given a forest plot when present (widely cited ICB biomarkers).
KEY_FEATURES = (
    "gene_CD274",
    "gene_CXCL9",
    "cyt",
    "gep18",
    "ifng6",
    "impres",
    "tmb_per_mb",
    "pan_ftbrs",
)
_CLASS_TEXT = {
    "replicates": "replicates",
    "nominal": "nominal (p < 0.05, q >= 0.05)",
    "driven_by_one_cohort": "driven by one cohort",
    "not_associated": "not associated",
    "not_pooled": "not pooled",
}


def _exp(value: Any) -> float:
    v = to_float(value)
    return math.exp(v) if math.isfinite(v) and abs(v) < 700 else float("nan")


def meta_forest(cohort_rows: pd.DataFrame, pooled: pd.DataFrame, *, feature: str) -> F.Fig:
    """Forest plot of one feature: per-cohort odds ratios per SD and the pooled estimates.

    Parameters
    ----------
    cohort_rows
        ``meta_cohorts`` rows of the feature for the measure ``log_or`` (pooled rows only).
    pooled
        Overall ``meta`` rows of the feature for ``log_or`` (one per method).
    feature
        Feature id (for the hover text).
    """
    rows = [(r, plot_text(r["cohort"]), F.PALETTE[0]) for r in cohort_rows.to_dict("records")]
    n_cohorts = len(rows)
    rows += [(r, f"pooled ({r['method']})", "#b2182b") for r in pooled.to_dict("records")]
    labels, est, lo, hi, hover, colours = [], [], [], [], [], []
    for i, (r, label, colour) in enumerate(rows):
        labels.append(label)
        colours.append(colour)
        est.append(_exp(r["estimate"]))
        lo.append(_exp(r["ci_low"]))
        hi.append(_exp(r["ci_high"]))
        odds = f"OR per SD {fmt_num(est[-1])} [{fmt_num(lo[-1])}, {fmt_num(hi[-1])}]"
        if i < n_cohorts:
            hover.append(
                f"<b>{label}</b><br>{plot_text(text(r.get('cancer_type')))}, "
                f"{plot_text(text(r.get('treatment_class')))}<br>n R = {fmt_num(r.get('n_r'))}, "
                f"n NR = {fmt_num(r.get('n_nr'))}<br>{odds}, "
                f"p = {fmt_p(to_float(r.get('p_value')))}"
            )
        else:
            hover.append(
                f"<b>{plot_text(feature)}: random effects, {plot_text(r['method'])}</b><br>"
                f"k = {fmt_num(r['k'])} cohorts<br>{odds}<br>"
                f"p = {fmt_p(to_float(r['p_value']))}, q = {fmt_p(to_float(r['q_value']))}<br>"
                f"I² = {fmt_num(100 * to_float(r['i2']), 3)}%, "
                f"tau² = {fmt_num(to_float(r['tau2']))}"
            )
    fig = F.forest(
        labels,
        pd.Series(est),
        pd.Series(lo),
        pd.Series(hi),
        hover,
        ref=1.0,
        x_title="odds ratio of response per SD (log scale)",
        log=True,
        colours=colours,
    )
    return fig


def _pick(meta: pd.DataFrame, measure: str, method: str = "REML") -> pd.DataFrame:
    m = meta[
        (meta["subgroup_by"] == "all") & (meta["measure"] == measure) & (meta["method"] == method)
    ]
    return m.assign(
        _q=pd.to_numeric(m["q_value"], errors="coerce"),
        _p=pd.to_numeric(m["p_value"], errors="coerce"),
    ).sort_values(["_q", "_p"], kind="stable", na_position="last")


def meta_section(
    b: Builder,
    tables: Mapping[str, pd.DataFrame],
    *,
    top: int = 40,
    n_forest: int = 16,
    all_forests: bool = True,
) -> dict[str, Any] | None:
    """Build the meta-analysis section from the builder's tables (None without ``meta``).

    Forest plots: the ``n_forest`` features with the smallest q and the :data:`KEY_FEATURES`
    first, then (``all_forests``) every other pooled feature in a collapsed block.
    """
    if "meta" not in tables:
        return None
    meta = tables["meta"]
    per = tables.get("meta_cohorts")
    lor = _pick(meta, "log_or")
    auc = _pick(meta, "auc").set_index("feature")
    out: dict[str, Any] = {
        "forests_more": [],
        "summary": None,
        "cohorts": None,
        "ranked": None,
        "forests": [],
        "subgroups": None,
        "classes": [],
    }
    if "cohorts" in tables:
        c = tables["cohorts"]
        cols = [
            x
            for x in (
                "cohort",
                "cancer_type",
                "treatment_class",
                "n_r",
                "n_nr",
                "endpoints",
                "included",
                "reason",
            )
            if x in c
        ]
        rows = [
            [num_cell(r[x], digits=0) if x in ("n_r", "n_nr") else Cell(text(r[x])) for x in cols]
            for r in c.to_dict("records")
        ]
        out["cohorts"] = Table(
            [Column(x.replace("_", " "), x in ("n_r", "n_nr")) for x in cols],
            rows,
            scroll=len(rows) > 15,
        )
        inc = c["included"].astype(str).str.lower().isin(["true", "1"])
        n_r = int(pd.to_numeric(c.loc[inc, "n_r"], errors="coerce").sum())
        n_nr = int(pd.to_numeric(c.loc[inc, "n_nr"], errors="coerce").sum())
        out["summary"] = (
            f"{int(inc.sum())} of {len(c)} cohorts pooled ({n_r} responders, "
            f"{n_nr} non-responders)."
        )
    for cls in ("replicates", "nominal", "driven_by_one_cohort"):
        feats = lor.loc[lor["replication"] == cls, "feature"].tolist()
        if feats:
            out["classes"].append((_CLASS_TEXT[cls], feats))
    rows = []
    for r in lor.head(top).to_dict("records"):
        a = auc.loc[r["feature"]] if r["feature"] in auc.index else None
        rows.append(
            [
                Cell(r["feature"], title=text(r.get("kind"))),
                num_cell(r["k"], digits=0),
                num_cell(_exp(r["estimate"])),
                Cell(f"{fmt_num(_exp(r['ci_low']))}–{fmt_num(_exp(r['ci_high']))}"),
                num_cell(None if a is None else a["estimate"]),
                num_cell(r["p_value"], p=True),
                num_cell(r["q_value"], p=True),
                num_cell(100 * to_float(r["i2"]), digits=3),
                num_cell(r["tau2"]),
                Cell(f"{fmt_num(_exp(r['loo_min']))}–{fmt_num(_exp(r['loo_max']))}"),
                Cell(text(r.get("loo_influential"))),
                num_cell(r["n_same_direction"], digits=0),
                Cell(_CLASS_TEXT.get(text(r.get("replication")), text(r.get("replication")))),
            ]
        )
    out["ranked"] = Table(
        [
            Column("feature"),
            Column("cohorts", True),
            Column("pooled OR per SD", True),
            Column("95% CI"),
            Column("pooled AUC", True),
            Column("p", True),
            Column("q", True),
            Column("I² %", True),
            Column("tau²", True),
            Column("OR leaving one out"),
            Column("most influential cohort"),
            Column("cohorts in pooled direction", True),
            Column("replication"),
        ],
        rows,
        caption=f"{len(rows)} of {len(lor)} features, smallest q first (REML random effects)",
        scroll=len(rows) > 15,
    )
    sg = meta[
        (meta["subgroup_by"] != "all") & (meta["measure"] == "log_or") & (meta["method"] == "REML")
    ]
    if not sg.empty:
        diff = (
            sg.drop_duplicates(["feature", "subgroup_by"])
            .assign(_p=lambda d: pd.to_numeric(d["q_between_p"], errors="coerce"))
            .sort_values("_p", kind="stable", na_position="last")
            .head(20)
        )
        srows = []
        for r in diff.to_dict("records"):
            levels = sg[(sg["feature"] == r["feature"]) & (sg["subgroup_by"] == r["subgroup_by"])]
            detail = "; ".join(
                f"{text(x['subgroup'])} (k={fmt_num(x['k'])}): OR {fmt_num(_exp(x['estimate']))}"
                for x in levels.to_dict("records")
            )
            srows.append(
                [
                    Cell(r["feature"]),
                    Cell(text(r["subgroup_by"]).replace("_", " ")),
                    num_cell(r["q_between"]),
                    num_cell(r["q_between_df"], digits=0),
                    num_cell(r["q_between_p"], p=True),
                    Cell(detail),
                ]
            )
        out["subgroups"] = Table(
            [
                Column("feature"),
                Column("subgroups by"),
                Column("Q between", True),
                Column("df", True),
                Column("p", True),
                Column("subgroup estimates"),
            ],
            srows,
            caption="Smallest p of the test of subgroup difference first (log OR, REML)",
            scroll=len(srows) > 15,
        )
    if per is not None:
        pooled_ok = per["pooled"].astype(str).str.lower().isin(["true", "1"])
        per_lor = per[(per["measure"] == "log_or") & pooled_ok]
        pooled_feats = lor.loc[lor["k"].fillna(0) >= 2, "feature"].tolist()
        first = list(
            dict.fromkeys(
                pooled_feats[:n_forest] + [f for f in KEY_FEATURES if f in set(pooled_feats)]
            )
        )
        rest = [f for f in pooled_feats if f not in set(first)] if all_forests else []
        for feat in first + rest:
            rows_f = per_lor[per_lor["feature"] == feat]
            pooled = meta[
                (meta["subgroup_by"] == "all")
                & (meta["measure"] == "log_or")
                & (meta["feature"] == feat)
            ]
            pooled = pooled[np.isfinite(pd.to_numeric(pooled["estimate"], errors="coerce"))]
            if rows_f.empty or pooled.empty:
                continue
            r0 = pooled.iloc[0]
            cap = (
                f"I² {fmt_num(100 * to_float(r0['i2']), 3)}%, "
                f"tau² {fmt_num(to_float(r0['tau2']))}, "
                f"heterogeneity p {fmt_p(to_float(r0['q_p']))}; "
                f"{_CLASS_TEXT.get(text(r0['replication']), text(r0['replication']))}"
            )
            out["forests" if feat in set(first) else "forests_more"].append(
                b.figure(
                    meta_forest(rows_f, pooled, feature=feat),
                    label=f"Forest plot of {feat}",
                    caption=cap,
                    title=feat,
                )
            )
    return out
