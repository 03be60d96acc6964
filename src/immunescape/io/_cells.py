"""Small helpers of the clinical reader: column lookup by normalised name and cell text."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from immunescape.errors import InputError

__all__ = [
    "Columns", "Context", "as_number", "cell_text", "listing", "norm_name", "pick_column",
    "token",
]  # fmt: skip

MAX_LISTED = 8


def norm_name(name: object) -> str:
    """Return a column name lower-cased, everything but letters and digits removed.

    Examples
    --------
    >>> norm_name("OS_months"), norm_name("Best Overall Response")
    ('osmonths', 'bestoverallresponse')
    """
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def cell_text(value: object) -> str | None:
    """Return the stripped text of a cell; None when empty or missing.

    Examples
    --------
    >>> cell_text(" PD "), cell_text(3.0), cell_text(float("nan")), cell_text("")
    ('PD', '3', None, None)
    """
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float):
        if np.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None


def token(text: str) -> str:
    """Lower-cased, with ``_``/``-`` read as spaces and trailing footnote marks dropped.

    Examples
    --------
    >>> token("Progressive_Disease*"), token("SD\u2020")
    ('progressive disease', 'sd')
    """
    text = re.sub(r"[*\u2020\u2021#]+$", "", text.strip())
    return re.sub(r"[\s_\-]+", " ", text.lower()).strip()


def as_number(text: str) -> float | None:
    """Return the number ``text`` spells, else None."""
    try:
        return float(text)
    except ValueError:
        return None


def listing(values: Sequence[object] | Counter[Any]) -> str:
    """List the first values (with their counts, for a Counter) for a message.

    Examples
    --------
    >>> from collections import Counter
    >>> listing(Counter(["x", "x", "y"]))
    "'x' (2), 'y' (1)"
    """
    if isinstance(values, Counter):
        items = values.most_common()
        shown = ", ".join(f"{v!r} ({n})" for v, n in items[:MAX_LISTED])
        more = len(items) - MAX_LISTED
    else:
        shown = ", ".join(repr(v) for v in list(values)[:MAX_LISTED])
        more = len(values) - MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


class Columns:
    """Lookup of the table's columns by normalised name."""

    def __init__(self, df: pd.DataFrame, source: str):
        self.df = df
        self.source = source
        self.by_norm: dict[str, str] = {}
        for name in df.columns:
            self.by_norm.setdefault(norm_name(name), name)

    def explicit(self, name: str, option: str) -> str:
        """Return the column named by ``option`` (exact, else by normalised name)."""
        if name in self.df.columns:
            return name
        hit = self.by_norm.get(norm_name(name))
        if hit is not None:
            return hit
        raise InputError(
            f"{option}={name!r}: no such column (columns: {listing(list(self.df.columns))})",
            source=self.source,
            fix=f"pass {option} as one of the column names above",
        )

    def find(self, names: Sequence[str]) -> list[str]:
        """Return the columns whose normalised name is in ``names``, in that order."""
        return [self.by_norm[n] for n in names if n in self.by_norm]


@dataclass
class Context:
    """What the response and survival parsers share while one table is read."""

    cols: Columns
    index: pd.Index
    is_na: Callable[[str | None], bool]
    prov: dict[str, Any]
    used: list[str] = field(default_factory=list)
    #: The warnings a command line prints at once (data left out or read by a guess).
    loud: list[str] = field(default_factory=list)

    @property
    def df(self) -> pd.DataFrame:
        """The table (after duplicated rows were merged)."""
        return self.cols.df

    @property
    def source(self) -> str:
        """The file, for messages."""
        return self.cols.source

    def warn(self, message: str, *, loud: bool = False) -> None:
        """Record a warning in the provenance (``loud``: also for the console)."""
        self.prov["warnings"].append(message)
        if loud:
            self.loud.append(message)


def pick_column(
    cols: Columns,
    given: str | None,
    *,
    option: str,
    names: Sequence[str],
    prov: dict[str, Any],
    key: str,
) -> str | None:
    """Return the column given, else the first of ``names`` found (alternatives noted)."""
    if given is not None:
        name = cols.explicit(given, option)
        prov[key] = name
        return name
    found = cols.find(names)
    prov[key] = found[0] if found else None
    if len(found) > 1:
        prov[f"{key}_alternatives"] = found[1:]
    return found[0] if found else None
