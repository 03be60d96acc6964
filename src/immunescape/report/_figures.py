"""Plotly figures drawn from result tables (layout only: no statistics are computed here).

Every user string that reaches plotly (sample ids, gene and feature names, free text) goes
through :func:`~immunescape.report._format.plot_text`, because plotly reads labels and hover
text as pseudo-HTML.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from immunescape.report._format import fmt_num, fmt_p, is_missing, plot_text, text, truncate

__all__ = [
    "Fig",
    "RESPONSE_COLOURS",
    "PHENOTYPE_COLOURS",
    "STATUS_COLOURS",
    "PALETTE",
    "mechanism_matrix",
    "score_box",
    "phenotype_bars",
    "auc_forest",
    "hr_forest",
    "volcano",
    "km_curves",
    "km_ticks",
    "paired_lines",
    "roc_curves",
    "calibration_plot",
    "probability_box",
]

#: Okabe-Ito colours (safe for the common colour-vision deficiencies).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
RESPONSE_COLOURS = {"R": "#0072B2", "NR": "#D55E00", "unknown": "#9a9a9a"}
PHENOTYPE_COLOURS = {
    "inflamed": "#01665e",
    "excluded": "#80cdc1",
    "desert": "#dfc27d",
    "no call": "#e0e0e0",
}
STATUS_COLOURS = {
    "present": "#2166ac",
    "indeterminate": "#f4a259",
    "absent": "#f2f2f2",
    "not_assessable": "#bdbdbd",
}
_FONT = {
    "family": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
    "size": 12,
    "color": "#222",
}
_AXIS = {
    "gridcolor": "#e6e6e6",
    "zeroline": False,
    "linecolor": "#999",
    "ticks": "outside",
    "automargin": True,
    "showline": True,
}


class Fig:
    """A plotly figure as plain data (``{"data": [...], "layout": {...}}``).

    Plain dictionaries keep rendering fast (plotly's Python objects validate every update);
    the tests validate each figure with ``plotly.graph_objects.Figure``.
    """

    def __init__(self, trace: dict[str, Any] | None = None) -> None:
        self.data: list[dict[str, Any]] = [trace] if trace else []
        self.layout: dict[str, Any] = {}

    def add_trace(self, trace: dict[str, Any]) -> None:
        """Append a trace."""
        self.data.append(trace)

    def add_shape(self, **shape: Any) -> None:
        """Append a layout shape."""
        self.layout.setdefault("shapes", []).append(shape)

    def add_annotation(self, **annotation: Any) -> None:
        """Append a layout annotation."""
        self.layout.setdefault("annotations", []).append(annotation)

    def update_layout(self, **layout: Any) -> None:
        """Set top-level layout attributes."""
        self.layout.update(layout)

    def to_dict(self) -> dict[str, Any]:
        """Return the figure as JSON-ready data."""
        return {"data": self.data, "layout": self.layout}


def _trace(kind: str, **attrs: Any) -> dict[str, Any]:
    return {"type": kind, **attrs}


def _layout(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "template": "none",
        "font": _FONT,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
        "hoverlabel": {"align": "left", "font": {"size": 12}},
        "legend": {"orientation": "h", "y": -0.18, "x": 0},
    }
    base.update(kw)
    return base


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _floats(values: Any) -> np.ndarray:
    """``values`` as float64, non-numbers as NaN (numeric arrays skip pandas' parser)."""
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return np.asarray(values, dtype=float)
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)


def _round(values: Any, digits: int = 5) -> list[float | None]:
    """Floats rounded to ``digits`` significant digits (smaller JSON), None for NaN."""
    out: list[float | None] = []
    spec = f".{digits}g"
    for v in _floats(values).tolist():
        if not math.isfinite(v):
            out.append(None)
        elif v == 0:
            out.append(0.0)
        else:
            out.append(float(format(v, spec)))
    return out


def _wrap(value: Any, width: int = 80, limit: int = 400) -> str:
    """Escaped text with ``<br>`` line breaks for a hover box."""
    raw = truncate(text(value), limit)
    return "<br>".join(plot_text(line) for line in textwrap.wrap(raw, width)) or "–"


# --------------------------------------------------------------------------- mechanisms
def _status_z(status: str, strength: float) -> float:
    s = 0.5 if not math.isfinite(strength) else min(max(strength, 0.0), 1.0)
    if status == "present":
        return 2.0 + s
    if status == "indeterminate":
        return 1.0 + 0.9 * s
    if status == "absent":
        return 0.0
    return -1.0


_STATUS_SCALE = [
    [0.0, "#bdbdbd"],
    [0.125, "#bdbdbd"],
    [0.125, "#f2f2f2"],
    [0.375, "#f2f2f2"],
    [0.375, "#fde0c5"],
    [0.5, "#fde0c5"],
    [0.725, "#e6550d"],
    [0.7375, "#e6550d"],
    [0.7375, "#c6dbef"],
    [0.75, "#c6dbef"],
    [1.0, "#08306b"],
]


def _discrete(colours: Sequence[str]) -> list[list[Any]]:
    n = len(colours)
    scale: list[list[Any]] = []
    for i, c in enumerate(colours):
        scale += [[i / n, c], [(i + 1) / n, c]]
    return scale


def mechanism_matrix(
    mech: pd.DataFrame,
    *,
    mechanisms: Sequence[str],
    samples: Sequence[str],
    names: dict[str, str],
    tracks: dict[str, dict[str, str]],
    hover_limit: int,
) -> Fig:
    """Oncoprint-like heatmap: rows mechanisms, columns patients, colour = status x strength.

    Parameters
    ----------
    mech
        mechanisms.tsv rows.
    mechanisms, samples
        Row and column order.
    names
        mechanism_id -> display name.
    tracks
        Annotation tracks shown above the matrix: track name -> {sample_id: category}.
    hover_limit
        Maximum characters of each evidence field in the hover box.
    """
    row_of = {m: i for i, m in enumerate(mechanisms)}
    col_of = {s: j for j, s in enumerate(samples)}
    z = np.full((len(mechanisms), len(samples)), np.nan)
    hover = [["" for _ in samples] for _ in mechanisms]
    strength = (
        pd.to_numeric(mech["strength"], errors="coerce")
        if "strength" in mech
        else pd.Series(np.nan, index=mech.index)
    )
    for rec, s in zip(mech.to_dict("records"), strength, strict=True):
        i, j = row_of.get(rec["mechanism_id"]), col_of.get(rec["sample_id"])
        if i is None or j is None:
            continue
        z[i, j] = _status_z(rec["status"], float(s))
        lines = [
            f"<b>{plot_text(rec['sample_id'])}</b> · {plot_text(names[rec['mechanism_id']])}",
            f"status: <b>{plot_text(rec['status'])}</b>  strength: {fmt_num(s, 2)}",
        ]
        if hover_limit > 0:
            for col, label in (
                ("dna_evidence", "DNA"),
                ("rna_evidence", "RNA"),
                ("clinical_evidence", "clinical"),
                ("reason", "reason"),
            ):
                if not is_missing(rec.get(col)):
                    lines.append(f"{label}: " + _wrap(rec[col], 90, hover_limit))
        hover[i][j] = "<br>".join(lines)
    x = [plot_text(s) for s in samples]
    y = [plot_text(names[m]) for m in mechanisms]
    row_px, gap_px = 24, 4
    main_px = row_px * max(len(mechanisms), 1)
    total = main_px + len(tracks) * (row_px + gap_px)
    show_ticks = len(samples) <= 60
    fig = Fig()
    hidden = {
        "showgrid": False,
        "showline": False,
        "ticks": "",
        "zeroline": False,
        "automargin": True,
        "type": "category",
        "autorange": "reversed",
        "dtick": 1,
    }
    layout: dict[str, Any] = {
        "xaxis": {
            "type": "category",
            "showgrid": False,
            "showline": False,
            "ticks": "",
            "zeroline": False,
            "showticklabels": show_ticks,
            "tickangle": -60,
            "tickfont": {"size": 10},
            "automargin": True,
            "anchor": "y",
        },
        "yaxis": {**hidden, "domain": [0, main_px / total]},
    }
    colour_maps = {"response": RESPONSE_COLOURS, "phenotype": PHENOTYPE_COLOURS}
    top = 1.0
    for r, (track, values) in enumerate(tracks.items(), start=2):
        cmap = dict(colour_maps.get(track, {}))
        cats = list(cmap)
        for v in values.values():
            if v not in cats:
                cats.append(v)
        for k, c in enumerate(cats):
            cmap.setdefault(c, PALETTE[k % len(PALETTE)] if c != "unknown" else "#9a9a9a")
        code = {c: k for k, c in enumerate(cats)}
        tz = [[code[values[s]] if s in values else None for s in samples]]
        th = [[f"{plot_text(s)}<br>{track}: {plot_text(values.get(s, 'NA'))}" for s in samples]]
        layout[f"yaxis{r}"] = {**hidden, "domain": [top - row_px / total, top]}
        top -= (row_px + gap_px) / total
        fig.add_trace(
            _trace(
                "heatmap",
                z=tz,
                x=x,
                y=[track],
                text=th,
                hovertemplate="%{text}<extra></extra>",
                colorscale=_discrete([cmap[c] for c in cats]),
                zmin=-0.5,
                zmax=len(cats) - 0.5,
                showscale=False,
                xgap=1,
                ygap=1,
                xaxis="x",
                yaxis=f"y{r}",
            )
        )
    zz = [[None if not math.isfinite(v) else round(float(v), 3) for v in row] for row in z]
    fig.add_trace(
        _trace(
            "heatmap",
            z=zz,
            x=x,
            y=y,
            text=hover,
            hovertemplate="%{text}<extra></extra>",
            colorscale=_STATUS_SCALE,
            zmin=-1,
            zmax=3,
            showscale=False,
            xgap=1 if len(samples) <= 150 else 0,
            ygap=1,
            hoverongaps=False,
            xaxis="x",
            yaxis="y",
        )
    )
    fig.update_layout(
        **_layout(
            height=total + (160 if show_ticks else 30) + 40,
            margin={"l": 10, "r": 10, "t": 30, "b": 10},
            showlegend=False,
            **layout,
        )
    )
    return fig


# --------------------------------------------------------------------------- distributions
def score_box(values: pd.Series, *, groups: pd.Series | None, y_title: str = "") -> Fig:
    """Box + points of one score per response group (or one box for the cohort)."""
    fig = Fig()
    ok = pd.to_numeric(values, errors="coerce")
    ok = ok[np.isfinite(ok.to_numpy(dtype=float))]
    if groups is None:
        sets = [("all", ok)]
    else:
        g = groups.reindex(ok.index).fillna("unknown")
        sets = [(lab, ok[g == lab]) for lab in ("R", "NR", "unknown") if (g == lab).any()]
    for label, vals in sets:
        colour = RESPONSE_COLOURS.get(label, PALETTE[0])
        fig.add_trace(
            _trace(
                "box",
                y=_round(vals.to_numpy()),
                name=f"{label} (n={len(vals)})",
                text=[plot_text(s) for s in vals.index],
                hovertemplate="%{text}: %{y}<extra></extra>",
                boxpoints="all",
                jitter=0.45,
                pointpos=0,
                marker={"size": 4, "opacity": 0.7},
                line={"color": colour},
                fillcolor=_rgba(colour, 0.15),
                boxmean=False,
            )
        )
    fig.update_layout(
        **_layout(
            height=290,
            showlegend=False,
            margin={"l": 55, "r": 10, "t": 28, "b": 40},
            yaxis={**_AXIS, "title": {"text": plot_text(y_title)}},
            xaxis={**_AXIS, "showgrid": False},
        )
    )
    return fig


def phenotype_bars(counts: pd.DataFrame) -> Fig:
    """Bars of patients per immune phenotype, one colour per response group.

    ``counts`` is indexed by phenotype with one column per response group.
    """
    fig = Fig()
    for col in counts.columns:
        fig.add_trace(
            _trace(
                "bar",
                x=[plot_text(p) for p in counts.index],
                y=counts[col].tolist(),
                name=plot_text(col),
                marker={"color": RESPONSE_COLOURS.get(str(col), PALETTE[2])},
                hovertemplate="%{x}: %{y} patients<extra>" + plot_text(col) + "</extra>",
            )
        )
    fig.update_layout(
        **_layout(
            barmode="group",
            height=300,
            xaxis={**_AXIS, "showgrid": False},
            yaxis={**_AXIS, "title": {"text": "patients"}},
            showlegend=len(counts.columns) > 1,
            legend={"orientation": "h", "y": 1.12, "x": 0},
        )
    )
    return fig


# --------------------------------------------------------------------------- compare
_LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)


def _forest(
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
    e, low, high = (pd.to_numeric(s, errors="coerce").to_numpy(dtype=float) for s in (est, lo, hi))
    fig = Fig(
        _trace(
            "scatter",
            x=_round(e),
            y=labels,
            mode="markers",
            marker={"size": 8, "color": colours or PALETTE[0], "symbol": "square"},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": _round(high - e),
                "arrayminus": _round(e - low),
                "thickness": 1.5,
                "width": 0,
                "color": "#555",
            },
            text=hover,
            hovertemplate="%{text}<extra></extra>",
        )
    )
    fig.add_shape(
        type="line",
        x0=ref,
        x1=ref,
        y0=0,
        y1=1,
        yref="paper",
        line={"color": "#888", "dash": "dash", "width": 1},
    )
    xaxis: dict[str, Any] = {**_AXIS, "title": {"text": x_title}}
    if log:
        finite = [v for v in np.concatenate([low, high, e, [ref]]) if math.isfinite(v) and v > 0]
        lo_v, hi_v = min(finite), max(finite)
        ticks = [t for t in _LOG_TICKS if lo_v / 1.5 <= t <= hi_v * 1.5] or [ref]
        xaxis.update(type="log", tickvals=ticks, ticktext=[fmt_num(t) for t in ticks])
    fig.update_layout(
        **_layout(
            height=max(220, 26 * len(labels) + 90),
            showlegend=False,
            xaxis=xaxis,
            yaxis={**_AXIS, "autorange": "reversed", "type": "category", "showgrid": False},
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
    return _forest(
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
    return _forest(
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
            _trace(
                "scatter",
                x=_round(sub["_lfc"], 4),
                y=_round(sub["_y"], 4),
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
        fig.add_shape(
            type="line",
            x0=xv,
            x1=xv,
            y0=0,
            y1=1,
            yref="paper",
            line={"color": "#aaa", "dash": "dot", "width": 1},
        )
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
        **_layout(
            height=460,
            xaxis={**_AXIS, "title": {"text": "log2 fold change"}},
            yaxis={**_AXIS, "title": {"text": "-log10 adjusted p-value"}},
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
    cols = {c: _floats(km[c]) for c in ("time", "survival", "n_at_risk", "ci_low", "ci_high",
                                          "n_censored") if c in km.columns}
    group_col = km["group"].to_numpy()
    for k, group in enumerate(g for g in pd.unique(group_col) if not pd.isna(g)):
        rows = np.flatnonzero(group_col == group)
        rows = rows[np.argsort(cols["time"][rows], kind="stable")]
        sub = {c: v[rows] for c, v in cols.items()}
        colour = RESPONSE_COLOURS.get(str(group), PALETTE[k % len(PALETTE)])
        name = plot_text(group)
        t = _round(sub["time"])
        if has_ci:
            fig.add_trace(
                _trace(
                    "scatter",
                    x=t,
                    y=_round(sub["ci_high"], 4),
                    mode="lines",
                    line={"width": 0, "shape": "hv"},
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=name,
                )
            )
            fig.add_trace(
                _trace(
                    "scatter",
                    x=t,
                    y=_round(sub["ci_low"], 4),
                    mode="lines",
                    line={"width": 0, "shape": "hv"},
                    fill="tonexty",
                    fillcolor=_rgba(colour, 0.15),
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=name,
                )
            )
        fig.add_trace(
            _trace(
                "scatter",
                x=t,
                y=_round(sub["survival"], 4),
                mode="lines",
                name=name,
                legendgroup=name,
                line={"color": colour, "shape": "hv", "width": 2},
                customdata=_round(sub["n_at_risk"]),
                hovertemplate=name + ": %{y:.3f} at %{x}, at risk %{customdata}<extra></extra>",
            )
        )
        if "n_censored" in sub:
            censored = np.nan_to_num(sub["n_censored"]) > 0
            cens = {c: v[censored] for c, v in sub.items()}
            if censored.any():
                fig.add_trace(
                    _trace(
                        "scatter",
                        x=_round(cens["time"]),
                        y=_round(cens["survival"], 4),
                        mode="markers",
                        marker={"symbol": "line-ns-open", "size": 8, "color": colour},
                        showlegend=False,
                        legendgroup=name,
                        hoverinfo="skip",
                    )
                )
    fig.update_layout(
        **_layout(
            height=340,
            margin={"l": 55, "r": 15, "t": 30, "b": 45},
            xaxis={
                **_AXIS,
                "title": {"text": plot_text(time_label)},
                "tickvals": ticks,
                "range": [0, max(ticks[-1], float(km["time"].max())) * 1.02],
            },
            yaxis={**_AXIS, "title": {"text": "survival probability"}, "range": [0, 1.03]},
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
            b, a = _round([r["before"], r["after"]])
            xs += ["before", "after", None]
            ys += [b, a, None]
            hover += [plot_text(r["sample_id"])] * 2 + [""]
        fig.add_trace(
            _trace(
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
        **_layout(
            height=320,
            xaxis={**_AXIS, "type": "category", "showgrid": False},
            yaxis={**_AXIS},
            margin={"l": 55, "r": 10, "t": 28, "b": 40},
            legend={"orientation": "h", "y": -0.12, "x": 0, "yanchor": "top"},
        )
    )
    return fig


# --------------------------------------------------------------------------- prediction
def _model_label(r: dict[str, Any]) -> str:
    label = plot_text(r["model"])
    if not is_missing(r.get("cohort")):
        label += f" · {plot_text(r['cohort'])}"
    return label


def roc_curves(roc: pd.DataFrame) -> Fig:
    """ROC curves of every model, the AUC in the legend."""
    fig = Fig()
    keys = ["model"] + (["cohort"] if "cohort" in roc else [])
    for k, (_, sub) in enumerate(roc.groupby(keys, sort=False)):
        first = sub.iloc[0].to_dict()
        label = _model_label(first)
        fig.add_trace(
            _trace(
                "scatter",
                x=_round(sub["fpr"], 4),
                y=_round(sub["tpr"], 4),
                mode="lines",
                name=f"{label} (AUC {fmt_num(first['auc'], 2)})",
                line={"color": PALETTE[k % len(PALETTE)], "width": 2},
                hovertemplate=label + ": FPR %{x:.2f}, TPR %{y:.2f}<extra></extra>",
            )
        )
    return _unit_square(fig, xlabel="false-positive rate", ylabel="true-positive rate")


_UNIT_AXIS = {"range": [-0.02, 1.02], "constrain": "domain", "dtick": 0.2}


def _unit_square(fig: Fig, *, xlabel: str, ylabel: str) -> Fig:
    """Square [0, 1] axes with the diagonal: the layout of ROC and calibration plots."""
    _diagonal(fig)
    fig.update_layout(
        **_layout(
            height=420,
            xaxis={**_AXIS, "title": {"text": xlabel}, **_UNIT_AXIS},
            yaxis={
                **_AXIS,
                "title": {"text": ylabel},
                **_UNIT_AXIS,
                "scaleanchor": "x",
                "scaleratio": 1,
            },
            legend={"orientation": "v", "x": 1.02, "y": 0, "yanchor": "bottom"},
            margin={"l": 60, "r": 20, "t": 20, "b": 50},
        )
    )
    return fig


def _diagonal(fig: Fig) -> None:
    fig.add_shape(
        type="line", x0=0, y0=0, x1=1, y1=1, line={"color": "#999", "dash": "dash", "width": 1}
    )


def calibration_plot(cal: pd.DataFrame) -> Fig:
    """Observed fraction of responders against mean predicted probability, per bin."""
    fig = Fig()
    keys = ["model"] + (["cohort"] if "cohort" in cal else [])
    for k, (_, sub) in enumerate(cal.groupby(keys, sort=False)):
        sub = sub.sort_values("mean_predicted", kind="stable")
        label = _model_label(sub.iloc[0].to_dict())
        custom = _round(sub["n"]) if "n" in sub else None
        fig.add_trace(
            _trace(
                "scatter",
                x=_round(sub["mean_predicted"], 4),
                y=_round(sub["fraction_positive"], 4),
                mode="lines+markers",
                name=label,
                customdata=custom,
                line={"color": PALETTE[k % len(PALETTE)], "width": 2},
                marker={"size": 7},
                hovertemplate=label
                + ": predicted %{x:.2f}, observed %{y:.2f}"
                + (", n %{customdata}" if custom is not None else "")
                + "<extra></extra>",
            )
        )
    return _unit_square(
        fig, xlabel="mean predicted probability", ylabel="observed fraction of responders"
    )


def probability_box(pred: pd.DataFrame, *, response: dict[str, str]) -> Fig:
    """Predicted probability per model, grouped by observed response."""
    resp = pred["sample_id"].map(lambda s: response.get(s, "unknown"))
    fig = Fig()
    for label in ("R", "NR", "unknown"):
        sub = pred[resp == label]
        if not len(sub):
            continue
        fig.add_trace(
            _trace(
                "box",
                x=[plot_text(m) for m in sub["model"]],
                y=_round(sub["probability"], 4),
                name=label,
                text=[plot_text(s) for s in sub["sample_id"]],
                hovertemplate="%{text}: %{y:.2f}<extra></extra>",
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker={"size": 4, "opacity": 0.7},
                line={"color": RESPONSE_COLOURS[label]},
                fillcolor=_rgba(RESPONSE_COLOURS[label], 0.15),
            )
        )
    fig.update_layout(
        **_layout(
            boxmode="group",
            height=360,
            yaxis={
                **_AXIS,
                "title": {"text": "predicted probability of response"},
                "range": [0, 1.02],
            },
            xaxis={**_AXIS, "type": "category", "showgrid": False},
            legend={"orientation": "h", "y": 1.08, "x": 0},
        )
    )
    return fig
