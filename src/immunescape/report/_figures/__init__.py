"""Plotly figures drawn from result tables (layout only: no statistics are computed here).

One module per part of the report; :mod:`._base` holds what they share (the figure as plain
data, colours, layout). Every user string that reaches plotly (sample ids, gene and feature
names, free text) goes through :func:`~immunescape.report._format.plot_text`, because plotly
reads labels and hover text as pseudo-HTML.

The report draws its figures with plotly only: the HTML report is interactive (hover
evidence trails, zoom) and embeds plotly.js, so it works offline. The static PNG/SVG files
of ``immunescape compare --figures`` are drawn with matplotlib by
:mod:`immunescape.compare` because those formats need a static renderer (plotly's own
export needs kaleido and a browser); the report never draws with matplotlib and only embeds
PNGs it is given (``render_report(figures=...)``).
"""

from __future__ import annotations

from immunescape.report._figures._base import (
    PALETTE,
    PHENOTYPE_COLOURS,
    RESPONSE_COLOURS,
    Fig,
)
from immunescape.report._figures.compare import (
    auc_forest,
    forest,
    hr_forest,
    km_curves,
    km_ticks,
    paired_lines,
    volcano,
)
from immunescape.report._figures.distributions import phenotype_bars, score_box
from immunescape.report._figures.mechanisms import mechanism_matrix
from immunescape.report._figures.prediction import calibration_plot, probability_box, roc_curves

__all__ = [
    "Fig",
    "RESPONSE_COLOURS",
    "PHENOTYPE_COLOURS",
    "PALETTE",
    "mechanism_matrix",
    "score_box",
    "phenotype_bars",
    "forest",
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
