"""Responders vs non-responders: associations, DE, mutations, survival, KM, paired samples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from immunescape.report import _figures as F
from immunescape.report._builder import Builder, num_cell
from immunescape.report._format import fmt_num, fmt_p, is_missing, text
from immunescape.report._model import Cell, Column, Table

__all__ = ["compare"]


def compare(
    b: Builder, *, top: int = 40, padj: float = 0.05, lfc: float = 1.0
) -> dict[str, Any] | None:
    """Associations, differential expression, mutations, survival, KM, paired samples."""
    keys = (
        "associations",
        "de",
        "pathways",
        "mutations",
        "mechanisms_enrichment",
        "survival",
        "km",
        "paired",
        "paired_values",
        "new_events",
    )
    if not any(k in b.t for k in keys):
        return None
    out: dict[str, Any] = dict.fromkeys(keys)
    if "associations" in b.t:
        out["associations"] = _associations(b, top)
    if "de" in b.t:
        de = b.t["de"]
        n_ok = int(
            (
                pd.to_numeric(de["padj"], errors="coerce").notna()
                & pd.to_numeric(de["log2FoldChange"], errors="coerce").notna()
            ).sum()
        )
        sig = de[pd.to_numeric(de["padj"], errors="coerce") < padj]
        sig = sig.assign(_p=pd.to_numeric(sig["padj"], errors="coerce")).nsmallest(top, "_p")
        cols = [
            c
            for c in ("baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj")
            if c in de
        ]
        rows = [
            [Cell(r["gene"])] + [num_cell(r[c], p=c in ("pvalue", "padj")) for c in cols]
            for r in sig.to_dict("records")
        ]
        out["de"] = {
            "figure": b.figure(
                F.volcano(de, padj_threshold=padj, lfc_threshold=lfc),
                label="Volcano plot of differential expression",
            ),
            "note": f"{n_ok} of {len(de)} genes with an adjusted p-value plotted; "
            f"thresholds padj < {padj}, |log2FC| ≥ {lfc}.",
            "table": Table(
                [Column("gene")] + [Column(c, True) for c in cols],
                rows,
                caption=f"Genes with padj < {padj} (top {top})",
                scroll=True,
            ),
        }
    if "mutations" in b.t:
        out["mutations"] = _ranked_table(
            b,
            "mutations",
            label_cols=("gene",),
            num_cols=("n_r_mut", "n_r", "n_nr_mut", "n_nr", "odds_ratio", "p_value", "q_value"),
            text_cols=("note",),
            top=top,
            caption=None,
        )
    if "survival" in b.t:
        sv = b.t["survival"]
        if "p_value" in sv:
            sv = sv.assign(_p=pd.to_numeric(sv["p_value"], errors="coerce")).sort_values(
                "_p", kind="stable", na_position="last"
            )
        shown = sv.head(top)
        sv_cols = [
            c
            for c in ("hr", "hr_ci_low", "hr_ci_high", "p_value", "q_value", "logrank_p")
            if c in shown
        ]
        rows = [
            [Cell(r["feature"]), Cell(text(r.get("endpoint")))]
            + [
                num_cell(r[c], p=c.endswith("_p") or c.startswith(("p_", "q_")))
                for c in sv_cols
            ]
            for r in shown.to_dict("records")
        ]
        out["survival"] = {
            "figure": b.figure(F.hr_forest(shown), label="Hazard-ratio forest plot"),
            "note": f"{len(shown)} of {len(sv)} rows (smallest p-values first)."
            if len(sv) > len(shown)
            else None,
            "table": Table(
                [Column("feature"), Column("endpoint")]
                + [Column(c.replace("_", " "), True) for c in sv_cols],
                rows,
                scroll=len(rows) > 15,
            ),
        }
    if "km" in b.t:
        out["km"] = _km(b)
    if "paired" in b.t:
        out["paired"] = _ranked_table(
            b,
            "paired",
            label_cols=("feature", "group"),
            num_cols=(
                "n_pairs",
                "median_pre",
                "median_post",
                "median_delta",
                "p_value",
                "q_value",
            ),
            text_cols=("direction", "note"),
            top=top,
            caption="Within-patient change between timepoints (smallest p-values first)",
        )
    if "paired_values" in b.t:
        pr = b.t["paired_values"]
        resp = dict(b.response)
        if "response" in pr:
            resp.update(
                {
                    s: (text(r).upper() if text(r).upper() in ("R", "NR") else "unknown")
                    for s, r in zip(pr["sample_id"], pr["response"], strict=True)
                }
            )
        feats = list(dict.fromkeys(pr["feature"]))
        out["paired_values"] = {
            "figures": [
                b.figure(
                    F.paired_lines(pr, feature=f, response=resp),
                    label=f"Paired before/after values of {f}",
                    title=f,
                )
                for f in feats[:12]
            ],
            "note": f"First 12 of {len(feats)} features." if len(feats) > 12 else None,
        }
    if "new_events" in b.t:
        out["new_events"] = _ranked_table(
            b,
            "new_events",
            label_cols=("patient_id", "gene", "event", "detail"),
            num_cols=(),
            text_cols=("biallelic", "gene_altered_before", "mechanism", "reason"),
            top=500,
            caption=None,
        )
    if "pathways" in b.t:
        out["pathways"] = _ranked_table(
            b,
            "pathways",
            label_cols=("pathway", "collection"),
            num_cols=("n_genes", "score", "mean_stat", "p_value", "q_value"),
            text_cols=("direction",),
            top=top,
            caption=f"Top {top} gene sets by p-value",
        )
    if "mechanisms_enrichment" in b.t:
        out["mechanisms_enrichment"] = _ranked_table(
            b,
            "mechanisms_enrichment",
            label_cols=("mechanism_id",),
            num_cols=(
                "n_r_present",
                "n_r",
                "n_nr_present",
                "n_nr",
                "odds_ratio",
                "p_value",
                "q_value",
            ),
            text_cols=(),
            top=top,
            caption=None,
            names=b.mech_name,
        )
    return out

def _ranked_table(
    b: Builder,
    key: str,
    *,
    label_cols: Sequence[str],
    num_cols: Sequence[str],
    text_cols: Sequence[str],
    top: int,
    caption: str | None,
    names: Any = None,
) -> Table:
    """Rows of a statistics table, smallest p-value first, at most ``top``."""
    df = b.t[key]
    if "p_value" in df:
        df = df.assign(_p=pd.to_numeric(df["p_value"], errors="coerce")).sort_values(
            "_p", kind="stable", na_position="last"
        )
    shown = df.head(top)
    labels = [c for c in label_cols if c in df]
    nums = [c for c in num_cols if c in df]
    texts = [c for c in text_cols if c in df]
    rows = []
    for r in shown.to_dict("records"):
        row = [
            Cell(names(text(r[c])) if names and c == labels[0] else text(r[c])) for c in labels
        ]
        row += [num_cell(r[c], p=c in ("p_value", "q_value")) for c in nums]
        row += [Cell(text(r[c])) for c in texts]
        rows.append(row)
    if len(df) > len(shown) and caption is None:
        caption = f"{len(shown)} of {len(df)} rows (smallest p-values first)"
    return Table(
        [Column(c.replace("_", " ")) for c in labels]
        + [Column(c.replace("_", " "), True) for c in nums]
        + [Column(c.replace("_", " ")) for c in texts],
        rows,
        caption=caption,
        scroll=len(rows) > 15,
    )

def _associations(b: Builder, top: int) -> dict[str, Any]:
    a = b.t["associations"]
    if "p_value" in a:
        a = a.assign(_p=pd.to_numeric(a["p_value"], errors="coerce")).sort_values(
            "_p", kind="stable", na_position="last"
        )
    shown = a.head(top).assign(_auc=lambda d: pd.to_numeric(d["auc"], errors="coerce"))
    shown = shown.sort_values("_auc", ascending=False, kind="stable", na_position="last")
    cols = [
        c
        for c in ("n_r", "n_nr", "auc", "auc_ci_low", "auc_ci_high", "p_value", "q_value")
        if c in a
    ]
    rows = [
        [Cell(r["feature"], title=b.feature_names.get(r["feature"]))]
        + [num_cell(r[c], p=c in ("p_value", "q_value")) for c in cols]
        + ([Cell(text(r.get("direction")))] if "direction" in a else [])
        for r in shown.to_dict("records")
    ]
    return {
        "figure": b.figure(
            F.auc_forest(shown, names=b.feature_names),
            label="AUC forest plot, responders versus non-responders",
        ),
        "note": f"{len(shown)} of {len(a)} features (smallest p-values), sorted by AUC."
        if len(a) > len(shown)
        else None,
        "table": Table(
            [Column("feature")]
            + [Column(c.replace("_", " "), True) for c in cols]
            + ([Column("direction")] if "direction" in a else []),
            rows,
            scroll=len(rows) > 15,
        ),
    }

def _km(b: Builder) -> list[dict[str, Any]]:
    km = b.t["km"]
    keys = ["feature"] + (["endpoint"] if "endpoint" in km else [])
    logrank: dict[tuple[str, str], Any] = {}
    if "survival" in b.t and "logrank_p" in b.t["survival"]:
        sv = b.t["survival"]
        eps = sv["endpoint"].map(text) if "endpoint" in sv else pd.Series("", index=sv.index)
        logrank = {
            (f, e): p for f, e, p in zip(sv["feature"], eps, sv["logrank_p"], strict=True)
        }
    time_unit = text(b.run.get("time_unit")) or "months"
    panels = []
    # numeric columns once for the whole table (hundreds of panels), numpy per panel
    km = km.assign(
        time=pd.to_numeric(km["time"], errors="coerce"),
        n_at_risk=pd.to_numeric(km["n_at_risk"], errors="coerce"),
    )
    for key, sub in km.groupby(keys, sort=False):
        feature, endpoint = (key[0], text(key[1])) if len(keys) == 2 else (key[0], "")
        ticks = F.km_ticks(float(sub["time"].max()))
        title = feature + (f" · {endpoint}" if endpoint else "")
        p = logrank.get((feature, endpoint))
        if p is not None and not is_missing(p):
            title += f" (log-rank p = {fmt_p(p)})"
        at_risk_rows = []
        sub_time = sub["time"].to_numpy(dtype=float)
        sub_risk = sub["n_at_risk"].to_numpy(dtype=float)
        sub_group = sub["group"].to_numpy()
        for group in (g for g in pd.unique(sub_group) if not pd.isna(g)):
            rows = np.flatnonzero(sub_group == group)
            rows = rows[np.argsort(sub_time[rows], kind="stable")]
            times = sub_time[rows]
            risk = sub_risk[rows]
            cells = []
            for t in ticks:
                idx = int(np.searchsorted(times, t - 1e-9, side="left"))
                cells.append(fmt_num(risk[idx]) if idx < len(times) else "0")
            at_risk_rows.append((str(group), cells))
        panels.append(
            {
                "figure": b.figure(
                    F.km_curves(sub, ticks=ticks, time_label=time_unit),
                    label=f"Kaplan-Meier curves: {title}",
                    title=title,
                ),
                "ticks": [fmt_num(t) for t in ticks],
                "at_risk": at_risk_rows,
            }
        )
    return panels
