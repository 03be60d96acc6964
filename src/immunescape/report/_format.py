"""Formatting helpers: numbers, identifiers, anchors and text for plotly labels."""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "is_missing",
    "fmt_num",
    "fmt_p",
    "text",
    "plot_text",
    "citation_ids",
    "anchor_ids",
    "truncate",
    "flatten",
    "safe_json",
]


def is_missing(value: Any) -> bool:
    """Tell whether a value is missing: None, NaN, pandas NA or an empty string."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == "" or value.strip().lower() in {"nan", "na", "<na>", "none"}
    try:
        return bool(value != value)  # NaN, NA
    except (TypeError, ValueError):
        return False


def fmt_num(value: Any, digits: int = 3) -> str:
    """Format a number with ``digits`` significant digits; "–" when missing."""
    if is_missing(value):
        return "–"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.{digits}g}"


def fmt_p(value: Any) -> str:
    """Format a p- or q-value: two significant digits, scientific below 0.001."""
    if is_missing(value):
        return "–"
    x = float(value)
    if x == 0:
        return "0"
    return f"{x:.1e}" if x < 1e-3 else f"{x:.2g}"


def text(value: Any) -> str:
    """Return a cell value as text; "" when missing."""
    return "" if is_missing(value) else str(value)


def plot_text(value: Any) -> str:
    """User text for a plotly label or hover, escaped.

    Plotly reads labels as pseudo-HTML (``<b>``, ``<br>``) and shows ``&lt;``, ``&gt;`` and
    ``&amp;`` decoded, so escaping makes a sample id such as ``<b>x</b>`` display literally and
    never as markup. Quotes stay as they are: plotly writes text into text nodes, and it would
    show ``&quot;`` undecoded.
    """
    return html.escape(text(value), quote=False)


def truncate(value: str, limit: int) -> str:
    """Shorten ``value`` to ``limit`` characters with an ellipsis."""
    return value if len(value) <= limit else value[: max(limit - 1, 0)].rstrip() + "…"


_PREFIX = re.compile(r"(?i)\b(pmid|pmcid|doi|nct)\s*:?\s+(?=\S)")
_PMID = re.compile(r"(?i)^(?:pmid:?(\d{1,9})|(\d{5,9}))$")  # a bare 4-digit number is a year
_PUBMED_URL = re.compile(
    r"(?i)^https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/(\d+)/?$"
)
_DOI = re.compile(r"(?i)^(?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$")
_NCT = re.compile(r"(?i)^(?:nct:|https?://\S*?)?(NCT\d{8})/?$")
_PMC = re.compile(r"(?i)^(?:pmcid:)?(PMC\d+)$")


def _identifier(token: str) -> str | None:
    token = token.rstrip(".")
    if m := _PMID.match(token):
        return f"PMID {m.group(1) or m.group(2)}"
    if m := _PUBMED_URL.match(token):
        return f"PMID {m.group(1)}"
    if m := _DOI.match(token):
        return f"DOI {m.group(1)}"
    if m := _NCT.match(token):
        return m.group(1).upper()
    if m := _PMC.match(token):
        return m.group(1).upper()
    return None


def citation_ids(value: Any) -> list[str]:
    """Format citations as plain-text identifiers: ``PMID 1``, ``DOI 10.1/x``, ``NCT01234567``.

    Citations are separated by ``;``, ``,``, ``|`` or spaces. Links to PubMed, doi.org or
    ClinicalTrials.gov are reduced to the identifier, so the report never links outside
    itself; words after an identifier (``DOI:10.1/x (seed 001)``) stay with it.

    Examples
    --------
    >>> citation_ids("27433843; doi:10.1056/NEJMoa1604958 https://clinicaltrials.gov/study/NCT02817633")
    ['PMID 27433843', 'DOI 10.1056/NEJMoa1604958', 'NCT02817633']
    """
    raw = text(value)
    if not raw:
        return []
    raw = _PREFIX.sub(lambda m: m.group(1) + ":", raw)
    groups: list[list[str]] = []
    for chunk in re.split(r"[;|,]", raw):
        start = True
        for token in chunk.split():
            ident = _identifier(token)
            if ident is not None or start or not groups:
                groups.append([ident or token])
            else:
                groups[-1].append(token)
            start = False
    out: list[str] = []
    for g in groups:
        item = " ".join(g)
        if item not in out:
            out.append(item)
    return out


def anchor_ids(names: Iterable[str], *, prefix: str) -> dict[str, str]:
    """Make unique, HTML-safe anchor ids for ``names`` (readable where possible)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        if name in out:
            continue
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:48] or "x"
        cand = f"{prefix}-{slug}"
        i = 2
        while cand in used:
            cand = f"{prefix}-{slug}-{i}"
            i += 1
        used.add(cand)
        out[name] = cand
    return out


def flatten(value: Any, *, prefix: str = "", depth: int = 2) -> list[tuple[str, str]]:
    """Key/value rows of a nested mapping (``a · b``), compact JSON below ``depth``."""
    rows: list[tuple[str, str]] = []
    if isinstance(value, Mapping) and depth > 0:
        for k, v in value.items():
            key = f"{prefix} · {k}" if prefix else str(k)
            if isinstance(v, Mapping) and depth > 1:
                rows.extend(flatten(v, prefix=key, depth=depth - 1))
            else:
                rows.append((key, _scalar(v)))
    else:
        rows.append((prefix, _scalar(value)))
    return rows


def _scalar(v: Any) -> str:
    if isinstance(v, list | tuple):
        items = [_scalar(x) for x in v[:20]]
        more = f", … ({len(v) - 20} more)" if len(v) > 20 else ""
        return ", ".join(items) + more
    if isinstance(v, Mapping):
        return truncate(json.dumps(v, default=str, separators=(", ", ": ")), 400)
    if v is None:
        return "–"
    if isinstance(v, float):
        return fmt_num(v, 4)
    return str(v)


_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def safe_json(json_text: str) -> str:
    """JSON text that can sit inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as unicode escapes, so no string in the data can close
    the element or open a comment; the JSON value is unchanged.
    """
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group(0)], json_text)
