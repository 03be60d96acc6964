"""The mechanism x patient matrix (an oncoprint-like heatmap with annotation tracks)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from immunescape.report._figures._base import (
    PALETTE,
    PHENOTYPE_COLOURS,
    RESPONSE_COLOURS,
    Fig,
    layout,
    trace,
    wrap,
)
from immunescape.report._format import fmt_num, is_missing, plot_text

__all__ = ["mechanism_matrix"]


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
                    lines.append(f"{label}: " + wrap(rec[col], 90, hover_limit))
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
    axes: dict[str, Any] = {
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
        axes[f"yaxis{r}"] = {**hidden, "domain": [top - row_px / total, top]}
        top -= (row_px + gap_px) / total
        fig.add_trace(
            trace(
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
        trace(
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
        **layout(
            height=total + (160 if show_ticks else 30) + 40,
            margin={"l": 10, "r": 10, "t": 30, "b": 10},
            showlegend=False,
            **axes,
        )
    )
    return fig
