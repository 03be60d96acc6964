"""Figures of response prediction: ROC curves, calibration, predicted probabilities."""

from __future__ import annotations

from typing import Any

import pandas as pd

from immunescape.report._figures._base import (
    AXIS,
    PALETTE,
    RESPONSE_COLOURS,
    Fig,
    layout,
    rgba,
    rounded,
    trace,
)
from immunescape.report._format import fmt_num, is_missing, plot_text

__all__ = ["roc_curves", "calibration_plot", "probability_box"]


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
            trace(
                "scatter",
                x=rounded(sub["fpr"], 4),
                y=rounded(sub["tpr"], 4),
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
        **layout(
            height=420,
            xaxis={**AXIS, "title": {"text": xlabel}, **_UNIT_AXIS},
            yaxis={
                **AXIS,
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
        custom = rounded(sub["n"]) if "n" in sub else None
        fig.add_trace(
            trace(
                "scatter",
                x=rounded(sub["mean_predicted"], 4),
                y=rounded(sub["fraction_positive"], 4),
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
            trace(
                "box",
                x=[plot_text(m) for m in sub["model"]],
                y=rounded(sub["probability"], 4),
                name=label,
                text=[plot_text(s) for s in sub["sample_id"]],
                hovertemplate="%{text}: %{y:.2f}<extra></extra>",
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker={"size": 4, "opacity": 0.7},
                line={"color": RESPONSE_COLOURS[label]},
                fillcolor=rgba(RESPONSE_COLOURS[label], 0.15),
            )
        )
    fig.update_layout(
        **layout(
            boxmode="group",
            height=360,
            yaxis={
                **AXIS,
                "title": {"text": "predicted probability of response"},
                "range": [0, 1.02],
            },
            xaxis={**AXIS, "type": "category", "showgrid": False},
            legend={"orientation": "h", "y": 1.08, "x": 0},
        )
    )
    return fig
