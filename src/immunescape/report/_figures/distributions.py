"""Distributions: a score by response group, patients per immune phenotype."""

from __future__ import annotations

import numpy as np
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
from immunescape.report._format import plot_text

__all__ = ["score_box", "phenotype_bars"]


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
            trace(
                "box",
                y=rounded(vals.to_numpy()),
                name=f"{label} (n={len(vals)})",
                text=[plot_text(s) for s in vals.index],
                hovertemplate="%{text}: %{y}<extra></extra>",
                boxpoints="all",
                jitter=0.45,
                pointpos=0,
                marker={"size": 4, "opacity": 0.7},
                line={"color": colour},
                fillcolor=rgba(colour, 0.15),
                boxmean=False,
            )
        )
    fig.update_layout(
        **layout(
            height=290,
            showlegend=False,
            margin={"l": 55, "r": 10, "t": 28, "b": 40},
            yaxis={**AXIS, "title": {"text": plot_text(y_title)}},
            xaxis={**AXIS, "showgrid": False},
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
            trace(
                "bar",
                x=[plot_text(p) for p in counts.index],
                y=counts[col].tolist(),
                name=plot_text(col),
                marker={"color": RESPONSE_COLOURS.get(str(col), PALETTE[2])},
                hovertemplate="%{x}: %{y} patients<extra>" + plot_text(col) + "</extra>",
            )
        )
    fig.update_layout(
        **layout(
            barmode="group",
            height=300,
            xaxis={**AXIS, "showgrid": False},
            yaxis={**AXIS, "title": {"text": "patients"}},
            showlegend=len(counts.columns) > 1,
            legend={"orientation": "h", "y": 1.12, "x": 0},
        )
    )
    return fig
