"""Small containers handed to the HTML template (tables, cells, figures)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Cell", "Column", "Table", "Figure", "Image"]


@dataclass
class Cell:
    """One table cell.

    ``kind`` selects the template markup: ``text``, ``num`` (right-aligned), ``link`` (an
    anchor inside the report; ``href`` is built by the report, never taken from input),
    ``badge`` (``cls`` from a fixed list), ``bar`` (``value`` in [0, 1]) or ``ids`` (a list of
    identifiers in ``items``).
    """

    text: str = ""
    sort: Any = None
    kind: str = "text"
    href: str | None = None
    cls: str | None = None
    value: float | None = None
    items: list[str] = field(default_factory=list)
    title: str | None = None


@dataclass
class Column:
    """A table column header; ``numeric`` right-aligns and sorts numerically."""

    label: str
    numeric: bool = False
    help: str | None = None


@dataclass
class Table:
    """A table for the template; sortable by clicking its headers when ``sortable``."""

    columns: list[Column]
    rows: list[list[Cell]]
    caption: str | None = None
    sortable: bool = True
    scroll: bool = False
    table_id: str | None = None


@dataclass
class Figure:
    """An interactive plotly figure: its DOM id, JSON (script-safe) and a text description."""

    fig_id: str
    json: str
    label: str
    caption: str | None = None
    wide: bool = False
    title: str | None = None


@dataclass
class Image:
    """A static figure embedded as a data URI."""

    name: str
    data_uri: str
    caption: str | None = None
