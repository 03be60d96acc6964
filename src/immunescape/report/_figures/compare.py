"""Figures of a cohort comparison: forest plots, volcano, Kaplan-Meier curves, paired lines."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from immunescape.report._figures._base import (
    AXIS,
    PALETTE,
    RESPONSE_COLOURS,
    Fig,
    floats,
    layout,
    rgba,
    rounded,
    trace,
)
from immunescape.report._format import fmt_num, fmt_p, is_missing, plot_text, text

__all__ = ["forest", "auc_forest", "hr_forest", "volcano", "km_ticks", "km_curves", "paired_lines"]


_LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)


def forest(
    labels: list[str],
    est: pd.Series,
    lo: pd.Series,
    hi: pd.Series,
    hover: list[str],
    *,
    ref: float,
    x_title: str,
    log: bool,
    colours: list[str] | None = None,
) -> Fig:
    """Forest plot: one estimate with its interval per row, a reference line at ``ref``.

    Shared by the AUC and hazard-ratio forests and the meta-analysis forests; ``labels``,
    ``est``, ``lo``, ``hi`` and ``hover`` are aligned row by row (top row first).
    """
    e, low, high = (pd.to_numeric(s, errors="coerce").to_numpy(dtype=float) for s in (est, lo, hi))
    fig = Fig(
        trace(
            "scatter",
            x=rounded(e),
            y=labels,
            mode="markers",
            marker={"size": 8, "color": colours or PALETTE[0], "symbol": "square"},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": rounded(high - e),
                "arrayminus": rounded(e - low),
                "thickness": 1.5,
                "width": 0,
                "color": "#555",
            },
            text=hover,
            hovertemplate="%{text}<extra></extra>",
        )
    )
    fig.add_vline(ref, color="#888", dash="dash")
    xaxis: dict[str, Any] = {**AXIS, "title": {"text": x_title}}
    if log:
        finite = [v for v in np.concatenate([low, high, e, [ref]]) if math.isfinite(v) and v > 0]
        lo_v, hi_v = min(finite), max(finite)
        ticks = [t for t in _LOG_TICKS if lo_v / 1.5 <= t <= hi_v * 1.5] or [ref]
        xaxis.update(type="log", tickvals=ticks, ticktext=[fmt_num(t) for t in ticks])
    fig.update_layout(
        **layout(
            height=max(220, 26 * len(labels) + 90),
            showlegend=False,
            xaxis=xaxis,
            yaxis={**AXIS, "autorange": "reversed", "type": "category", "showgrid": False},
            margin={"l": 10, "r": 20, "t": 20, "b": 50},
        )
    )
    return fig


def auc_forest(assoc: pd.DataFrame, *, names: dict[str, str]) -> Fig:
    """AUC (responders vs non-responders) with confidence intervals, one row per feature."""
    hover = []
    for r in assoc.to_dict("records"):
        parts = [f"<b>{plot_text(r['feature'])}</b>"]
        if r["feature"] in names and names[r["feature"]] != r["feature"]:
            parts.append(plot_text(names[r["feature"]]))
        parts.append(
            f"AUC {fmt_num(r['auc'])} [{fmt_num(r['auc_ci_low'])}, {fmt_num(r['auc_ci_high'])}]"
        )
        if "n_r" in r:
            parts.append(f"n R = {fmt_num(r.get('n_r'))}, n NR = {fmt_num(r.get('n_nr'))}")
        if "p_value" in r:
            parts.append(f"p = {fmt_p(r.get('p_value'))}, q = {fmt_p(r.get('q_value'))}")
        if "direction" in r and not is_missing(r["direction"]):
            parts.append(f"direction: {plot_text(r['direction'])}")
        hover.append("<br>".join(parts))
    return forest(
        [plot_text(f) for f in assoc["feature"]],
        assoc["auc"],
        assoc["auc_ci_low"],
        assoc["auc_ci_high"],
        hover,
        ref=0.5,
        x_title="AUC (responders vs non-responders)",
        log=False,
    )


def hr_forest(surv: pd.DataFrame) -> Fig:
    """Hazard ratios with confidence intervals (log axis), coloured by endpoint."""
    endpoints = list(dict.fromkeys(surv["endpoint"].map(text))) if "endpoint" in surv else [""]
    colour_of = {e: PALETTE[i % len(PALETTE)] for i, e in enumerate(endpoints)}
    labels, hover, colours = [], [], []
    for r in surv.to_dict("records"):
        ep = text(r.get("endpoint", ""))
        labels.append(plot_text(r["feature"]) + (f" · {plot_text(ep)}" if ep else ""))
        parts = [
            f"<b>{plot_text(r['feature'])}</b> {plot_text(ep)}",
            f"HR {fmt_num(r['hr'])} [{fmt_num(r['hr_ci_low'])}, {fmt_num(r['hr_ci_high'])}]",
        ]
        for col, lab in (("p_value", "p"), ("q_value", "q"), ("logrank_p", "log-rank p")):
            if col in r:
                parts.append(f"{lab} = {fmt_p(r[col])}")
        hover.append("<br>".join(parts))
        colours.append(colour_of[ep] if ep in colour_of else PALETTE[0])
    return forest(
        labels,
        surv["hr"],
        surv["hr_ci_low"],
        surv["hr_ci_high"],
        hover,
        ref=1.0,
        x_title="hazard ratio (log scale)",
        log=True,
        colours=colours,
    )


def volcano(
    de: pd.DataFrame, *, padj_threshold: float, lfc_threshold: float, n_labels: int = 12
) -> Fig:
    """Volcano plot: log2 fold change against -log10 adjusted p-value."""
    lfc = pd.to_numeric(de["log2FoldChange"], errors="coerce")
    padj = pd.to_numeric(de["padj"], errors="coerce")
    keep = lfc.notna() & padj.notna()
    d = de[keep].assign(_lfc=lfc[keep], _padj=padj[keep].clip(lower=1e-300))
    d["_y"] = -np.log10(d["_padj"].to_numpy(dtype=float))
    sig = d["_padj"] < padj_threshold
    up = sig & (d["_lfc"] >= lfc_threshold)
    down = sig & (d["_lfc"] <= -lfc_threshold)
    fig = Fig()
    for mask, name, colour in (
        (~(up | down), "not significant", "#bdbdbd"),
        (down, f"padj < {padj_threshold}, log2FC ≤ -{lfc_threshold}", PALETTE[0]),
        (up, f"padj < {padj_threshold}, log2FC ≥ {lfc_threshold}", PALETTE[1]),
    ):
        sub = d[mask]
        hover = [
            f"<b>{plot_text(g)}</b><br>log2FC {fmt_num(x)}<br>padj {fmt_p(p)}"
            for g, x, p in zip(sub["gene"], sub["_lfc"], sub["_padj"], strict=True)
        ]
        fig.add_trace(
            trace(
                "scatter",
                x=rounded(sub["_lfc"], 4),
                y=rounded(sub["_y"], 4),
                mode="markers",
                name=name,
                marker={"size": 5, "color": colour, "opacity": 0.75},
                text=hover,
                hovertemplate="%{text}<extra></extra>",
            )
        )
    top = d[up | down].nsmallest(n_labels, "_padj")
    for g, x, y in zip(top["gene"], top["_lfc"], top["_y"], strict=True):
        fig.add_annotation(
            x=float(x),
            y=float(y),
            text=plot_text(g),
            showarrow=True,
            arrowhead=0,
            arrowwidth=1,
            ax=0,
            ay=-18,
            font={"size": 10},
        )
    for xv in (-lfc_threshold, lfc_threshold):
        fig.add_vline(xv, color="#aaa", dash="dot")
    fig.add_shape(
        type="line",
        x0=0,
        x1=1,
        xref="paper",
        y0=-math.log10(padj_threshold),
        y1=-math.log10(padj_threshold),
        line={"color": "#aaa", "dash": "dot", "width": 1},
    )
    fig.update_layout(
        **layout(
            height=460,
            xaxis={**AXIS, "title": {"text": "log2 fold change"}},
            yaxis={**AXIS, "title": {"text": "-log10 adjusted p-value"}},
        )
    )
    return fig


_TICK_STEPS = (
    0.1,
    0.2,
    0.25,
    0.5,
    1,
    2,
    3,
    6,
    12,
    18,
    24,
    36,
    48,
    60,
    120,
    180,
    240,
    365,
    500,
    730,
    1000,
    2000,
    5000,
)


def km_ticks(max_time: float, *, max_ticks: int = 8) -> list[float]:
    """Tick times from 0 for a Kaplan-Meier axis (also the columns of the at-risk table)."""
    if not math.isfinite(max_time) or max_time <= 0:
        return [0.0]
    step = next((s for s in _TICK_STEPS if max_time / s <= max_ticks - 1), None)
    if step is None:
        step = 10 ** math.ceil(math.log10(max_time / (max_ticks - 1)))
    n = int(math.floor(max_time / step + 1e-9))
    return [round(k * step, 6) for k in range(n + 1)]


def km_curves(km: pd.DataFrame, *, ticks: list[float], time_label: str) -> Fig:
    """Kaplan-Meier step curves of each group, with confidence bands and censoring marks."""
    fig = Fig()
    has_ci = {"ci_low", "ci_high"} <= set(km.columns)
    # numpy columns once, then one stable sort per group (pandas groupby and sort_values per
    # figure dominated the report's time with hundreds of curves)
    cols = {c: floats(km[c]) for c in ("time", "survival", "n_at_risk", "ci_low", "ci_high",
                                          "n_censored") if c in km.columns}
    group_col = km["group"].to_numpy()
    for k, group in enumerate(g for g in pd.unique(group_col) if not pd.isna(g)):
        rows = np.flatnonzero(group_col == group)
        rows = rows[np.argsort(cols["time"][rows], kind="stable")]
        sub = {c: v[rows] for c, v in cols.items()}
        colour = RESPONSE_COLOURS.get(str(group), PALETTE[k % len(PALETTE)])
        name = plot_text(group)
        t = rounded(sub["time"])
        if has_ci:  # the band: upper bound, then the lower one filled up to it
            fill = {"fill": "tonexty", "fillcolor": rgba(colour, 0.15)}
            for bound, extra in (("ci_high", {}), ("ci_low", fill)):
                fig.add_trace(
                    trace(
                        "scatter",
                        x=t,
                        y=rounded(sub[bound], 4),
                        mode="lines",
                        line={"width": 0, "shape": "hv"},
                        **extra,
                        hoverinfo="skip",
                        showlegend=False,
                        legendgroup=name,
                    )
                )
        fig.add_trace(
            trace(
                "scatter",
                x=t,
                y=rounded(sub["survival"], 4),
                mode="lines",
                name=name,
                legendgroup=name,
                line={"color": colour, "shape": "hv", "width": 2},
                customdata=rounded(sub["n_at_risk"]),
                hovertemplate=name + ": %{y:.3f} at %{x}, at risk %{customdata}<extra></extra>",
            )
        )
        if "n_censored" in sub:
            censored = np.nan_to_num(sub["n_censored"]) > 0
            cens = {c: v[censored] for c, v in sub.items()}
            if censored.any():
                fig.add_trace(
                    trace(
                        "scatter",
                        x=rounded(cens["time"]),
                        y=rounded(cens["survival"], 4),
                        mode="markers",
                        marker={"symbol": "line-ns-open", "size": 8, "color": colour},
                        showlegend=False,
                        legendgroup=name,
                        hoverinfo="skip",
                    )
                )
    fig.update_layout(
        **layout(
            height=340,
            margin={"l": 55, "r": 15, "t": 30, "b": 45},
            xaxis={
                **AXIS,
                "title": {"text": plot_text(time_label)},
                "tickvals": ticks,
                "range": [0, max(ticks[-1], float(km["time"].max())) * 1.02],
            },
            yaxis={**AXIS, "title": {"text": "survival probability"}, "range": [0, 1.03]},
            legend={"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom"},
        )
    )
    return fig


def paired_lines(paired: pd.DataFrame, *, feature: str, response: dict[str, str]) -> Fig:
    """Before/after values of one feature, one line per patient, coloured by response."""
    sub = paired[paired["feature"] == feature]
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in sub.to_dict("records"):
        groups.setdefault(response.get(r["sample_id"], "unknown"), []).append(r)
    fig = Fig()
    for label in [g for g in ("R", "NR", "unknown") if g in groups] + [
        g for g in groups if g not in ("R", "NR", "unknown")
    ]:
        xs: list[str | None] = []
        ys: list[float | None] = []
        hover: list[str] = []
        for r in groups[label]:
            b, a = rounded([r["before"], r["after"]])
            xs += ["before", "after", None]
            ys += [b, a, None]
            hover += [plot_text(r["sample_id"])] * 2 + [""]
        fig.add_trace(
            trace(
                "scatter",
                x=xs,
                y=ys,
                mode="lines+markers",
                name=f"{plot_text(label)} (n={len(groups[label])})",
                line={"color": RESPONSE_COLOURS.get(label, PALETTE[2]), "width": 1.2},
                marker={"size": 5},
                opacity=0.8,
                text=hover,
                connectgaps=False,
                hovertemplate="%{text}: %{y}<extra></extra>",
            )
        )
    fig.update_layout(
        **layout(
            height=320,
            xaxis={**AXIS, "type": "category", "showgrid": False},
            yaxis={**AXIS},
            margin={"l": 55, "r": 10, "t": 28, "b": 40},
            legend={"orientation": "h", "y": -0.12, "x": 0, "yanchor": "top"},
        )
    )
    return fig
