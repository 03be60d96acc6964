"""What every report figure shares: the figure as plain data, colours, layout and number helpers.

Every user string that reaches plotly (sample ids, gene and feature names, free text) goes
through :func:`~immunescape.report._format.plot_text`, because plotly reads labels and hover
text as pseudo-HTML.
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

import numpy as np
import pandas as pd

from immunescape.report._format import plot_text, text, truncate

__all__ = [
    "Fig",
    "PALETTE",
    "RESPONSE_COLOURS",
    "PHENOTYPE_COLOURS",
    "AXIS",
    "trace",
    "layout",
    "rgba",
    "floats",
    "rounded",
    "wrap",
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
_FONT = {
    "family": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
    "size": 12,
    "color": "#222",
}
AXIS = {
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

    def add_vline(self, x: float, *, color: str, dash: str) -> None:
        """Append a thin vertical reference line at ``x`` over the whole plot height."""
        self.add_shape(
            type="line",
            x0=x,
            x1=x,
            y0=0,
            y1=1,
            yref="paper",
            line={"color": color, "dash": dash, "width": 1},
        )

    def add_annotation(self, **annotation: Any) -> None:
        """Append a layout annotation."""
        self.layout.setdefault("annotations", []).append(annotation)

    def update_layout(self, **layout: Any) -> None:
        """Set top-level layout attributes."""
        self.layout.update(layout)

    def to_dict(self) -> dict[str, Any]:
        """Return the figure as JSON-ready data."""
        return {"data": self.data, "layout": self.layout}


def trace(kind: str, **attrs: Any) -> dict[str, Any]:
    """Return a plotly trace of type ``kind`` as plain data."""
    return {"type": kind, **attrs}


def layout(**kw: Any) -> dict[str, Any]:
    """Return the report's base layout updated with ``kw``."""
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


def rgba(hex_colour: str, alpha: float) -> str:
    """Return ``#rrggbb`` with an alpha as a CSS ``rgba()`` colour.

    Examples
    --------
    >>> rgba("#0072B2", 0.15)
    'rgba(0,114,178,0.15)'
    """
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def floats(values: Any) -> np.ndarray:
    """``values`` as float64, non-numbers as NaN (numeric arrays skip pandas' parser)."""
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return np.asarray(values, dtype=float)
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)


def rounded(values: Any, digits: int = 5) -> list[float | None]:
    """Floats rounded to ``digits`` significant digits (smaller JSON), None for NaN."""
    out: list[float | None] = []
    spec = f".{digits}g"
    for v in floats(values).tolist():
        if not math.isfinite(v):
            out.append(None)
        elif v == 0:
            out.append(0.0)
        else:
            out.append(float(format(v, spec)))
    return out


def wrap(value: Any, width: int = 80, limit: int = 400) -> str:
    """Escaped text with ``<br>`` line breaks for a hover box."""
    raw = truncate(text(value), limit)
    return "<br>".join(plot_text(line) for line in textwrap.wrap(raw, width)) or "–"


