"""Resolution of gene identifiers to current symbols (rules in :mod:`immunescape.genes`)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from immunescape._logging import logger
from immunescape.errors import InputError
from immunescape.genes._table import _index, _Lookup

__all__ = ["GeneResolution", "Status", "STATUSES", "resolve_identifiers", "current_symbol"]

Status = Literal["symbol", "alias", "previous", "ensembl", "entrez", "unresolved", "ambiguous"]
STATUSES: tuple[str, ...] = (
    "symbol",
    "alias",
    "previous",
    "ensembl",
    "entrez",
    "unresolved",
    "ambiguous",
)

#: Values that mean "no identifier" in tables (compared upper-cased). "NA" is an NCBI alias of
#: XK and "NaN" one of SCN11A, but in a gene column they are missing values, not genes.
MISSING_MARKERS = frozenset({"", "NA", "N/A", "#N/A", "NAN", "NULL", "NONE", "-", "?", "."})

_PAR_Y = "_PAR_Y"
_NO_CANDIDATES: tuple[str, ...] = ()

# (symbol, status, candidates, case_insensitive)
_Result = tuple[str | None, str, tuple[str, ...], bool]
_UNRESOLVED: _Result = (None, "unresolved", _NO_CANDIDATES, False)


@dataclass(frozen=True, eq=False)
class GeneResolution:
    """The outcome of :func:`resolve_identifiers`, one row per input identifier.

    Attributes
    ----------
    table
        DataFrame in input order with columns ``input`` (the identifier as given),
        ``symbol`` (current symbol, ``None`` when unresolved or ambiguous), ``status`` (the
        rule that resolved the identifier, one of :data:`STATUSES`: ``symbol`` for a current
        symbol, ``previous`` for an HGNC previous symbol, ``alias`` for an alias or other
        NCBI synonym, ``ensembl``, ``entrez``; or ``unresolved`` / ``ambiguous``),
        ``candidates`` (tuple of current symbols an ambiguous identifier could mean; empty
        otherwise) and ``case_insensitive`` (True when only a case-insensitive match was
        found).

    Examples
    --------
    >>> res = resolve_identifiers(["PD-L1", "CD274", "foo"])
    >>> res.symbols
    ['CD274', 'CD274', None]
    >>> res.counts()["alias"], round(res.rate, 3)
    (1, 0.667)
    """

    table: pd.DataFrame

    def __len__(self) -> int:
        return len(self.table)

    @property
    def symbols(self) -> list[str | None]:
        """Current symbol per input, in input order (``None`` if not resolved)."""
        return self.table["symbol"].tolist()

    @property
    def resolved(self) -> np.ndarray:
        """Boolean mask of the inputs that resolved to one current symbol."""
        return self.table["symbol"].notna().to_numpy()

    @property
    def mapping(self) -> dict[object, str]:
        """Map each resolved input to its current symbol."""
        rows = self.table[self.resolved]
        return dict(zip(rows["input"], rows["symbol"], strict=True))

    @property
    def n_resolved(self) -> int:
        """Number of inputs that resolved."""
        return int(self.resolved.sum())

    @property
    def rate(self) -> float:
        """Fraction of inputs that resolved (NaN for an empty input)."""
        return self.n_resolved / len(self) if len(self) else math.nan

    def counts(self) -> dict[str, int]:
        """Return the number of inputs per status (every status present, zeros included)."""
        found = self.table["status"].value_counts()
        return {status: int(found.get(status, 0)) for status in STATUSES}

    @property
    def unresolved(self) -> list[object]:
        """Inputs with status ``unresolved``."""
        return self.table.loc[self.table["status"] == "unresolved", "input"].tolist()

    @property
    def ambiguous(self) -> pd.DataFrame:
        """Rows with status ``ambiguous``."""
        return self.table[self.table["status"] == "ambiguous"]

    @property
    def renamed(self) -> dict[str, dict[str, str]]:
        """Identifiers resolved by another rule than an exact current symbol.

        Returns
        -------
        dict
            Maps each such input (as text) to ``{"symbol": current symbol, "rule": status}``,
            where ``rule`` is ``previous``, ``alias``, ``ensembl`` or ``entrez``, suffixed with
            ``", case-insensitive"`` for case-insensitive matches (``symbol,
            case-insensitive`` for ``cd274``). Suitable for a JSON report.

        Examples
        --------
        >>> renamed = resolve_identifiers(["CD274", "CD97", "pd-l1"]).renamed
        >>> renamed["CD97"], renamed["pd-l1"]["rule"], "CD274" in renamed
        ({'symbol': 'ADGRE5', 'rule': 'previous'}, 'alias, case-insensitive', False)
        """
        table = self.table[self.resolved]
        changed = (table["status"] != "symbol") | table["case_insensitive"].astype(bool)
        out: dict[str, dict[str, str]] = {}
        for given, symbol, status, folded in table.loc[
            changed, ["input", "symbol", "status", "case_insensitive"]
        ].itertuples(index=False):
            rule = f"{status}, case-insensitive" if folded else status
            out[str(given)] = {"symbol": symbol, "rule": rule}
        return out

    @property
    def duplicated(self) -> pd.DataFrame:
        """Resolved rows whose symbol is shared with another input (to collapse or drop)."""
        resolved = self.table[self.resolved]
        return resolved[resolved["symbol"].duplicated(keep=False)]


def _look_up(lookup: _Lookup, key: str, status: str, folded: bool) -> _Result | None:
    symbol = lookup.unique.get(key)
    if symbol is not None:
        return (symbol, status, _NO_CANDIDATES, folded)
    candidates = lookup.ambiguous.get(key)
    if candidates is not None:
        return (None, "ambiguous", candidates, folded)
    return None


def _resolve_ensembl(text: str) -> _Result:
    if text.endswith(_PAR_Y):
        text = text[: -len(_PAR_Y)]
    base = text.split(".", 1)[0].upper()
    return _look_up(_index().ensembl, base, "ensembl", False) or _UNRESOLVED


def _resolve_single(text: str) -> _Result:
    """Resolve one identifier that is not composite (rules 2-10 of the module docs)."""
    if text.upper() in MISSING_MARKERS:
        return _UNRESOLVED
    if text[:4].upper() == "ENSG":
        return _resolve_ensembl(text)
    index = _index()
    if text.isdigit() and text.isascii():
        symbol = index.entrez.get(text)
        return _UNRESOLVED if symbol is None else (symbol, "entrez", _NO_CANDIDATES, False)
    symbol = index.symbol.get(text)
    if symbol is not None:
        return (symbol, "symbol", _NO_CANDIDATES, False)
    upper = text.upper()
    return (
        _look_up(index.symbol_upper, upper, "symbol", True)
        or _look_up(index.previous, text, "previous", False)
        or _look_up(index.alias, text, "alias", False)
        or _look_up(index.previous_upper, upper, "previous", True)
        or _look_up(index.alias_upper, upper, "alias", True)
        or _UNRESOLVED
    )


_STABLE = ("ensembl", "entrez")


def _resolve_text(text: str) -> _Result:
    text = text.strip()
    if "|" in text:
        parts = [_resolve_single(part.strip()) for part in text.split("|")]
    elif text[:4].upper() == "ENSG" and "_" in text and not text.endswith(_PAR_Y):
        # "ENSG00000120217.14_CD274": Ensembl id and symbol joined by an underscore
        parts = [_resolve_single(part) for part in text.split("_", 1)]
    else:
        return _resolve_single(text)
    resolved = [part for part in parts if part[0] is not None]
    for part in resolved:
        if part[1] in _STABLE:
            return part
    if resolved:
        return resolved[0]
    for part in parts:
        if part[1] == "ambiguous":
            return part
    return _UNRESOLVED


def _as_text(value: object, position: int) -> str | None:
    """Turn one input value into text; None for a missing value."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        raise InputError(
            f"gene identifier {position} is a boolean ({value!r})",
            source="ids",
            fix="pass gene symbols, Ensembl ids or Entrez ids",
        )
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return None
        if number.is_integer():
            return str(int(number))  # Entrez ids read as floats because of missing values
    raise InputError(
        f"gene identifier {position} has unsupported type {type(value).__name__} ({value!r})",
        source="ids",
        fix="pass gene symbols, Ensembl ids or Entrez ids as strings or integers",
    )


def resolve_identifiers(ids: Sequence[str]) -> GeneResolution:
    """Resolve gene identifiers to current HGNC symbols, offline.

    The rules (precedence, ambiguity, tie-break, accepted forms) are listed in the
    documentation of :mod:`immunescape.genes`.

    Parameters
    ----------
    ids
        Gene identifiers: current or outdated symbols, Ensembl gene ids (with or without
        version suffix), Entrez ids (strings or integers), or composites such as
        ``"SYMBOL|ENTREZ"`` and ``"ENSG...|SYMBOL"``. Missing values (``None``, NaN, ``"NA"``)
        are allowed and come back unresolved.

    Returns
    -------
    GeneResolution
        One row per input, in input order.

    Raises
    ------
    InputError
        If ``ids`` is a single string or holds values that are not identifiers.

    Examples
    --------
    >>> res = resolve_identifiers(["C10orf54", "VISTA", "ENSG00000120217.14", 29126, "NA"])
    >>> res.table[["symbol", "status"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['VSIR', 'previous'], ['VSIR', 'alias'], ['CD274', 'ensembl'], ['CD274', 'entrez'],
     [None, 'unresolved']]
    """
    if isinstance(ids, str | bytes):
        raise InputError(
            "ids is a single string, not a sequence of identifiers",
            source="ids",
            fix="wrap it in a list, e.g. resolve_identifiers([name]), or use current_symbol(name)",
        )
    values = list(ids)
    memo: dict[str, _Result] = {}
    rows: list[_Result] = []
    for position, value in enumerate(values):
        text = _as_text(value, position)
        if text is None:
            rows.append(_UNRESOLVED)
            continue
        found = memo.get(text)
        if found is None:
            found = _resolve_text(text)
            memo[text] = found
        rows.append(found)
    table = pd.DataFrame(
        {
            "input": pd.Series(values, dtype=object),
            "symbol": pd.Series([row[0] for row in rows], dtype=object),
            "status": pd.Series([row[1] for row in rows], dtype=object),
            "candidates": pd.Series([row[2] for row in rows], dtype=object),
            "case_insensitive": np.array([row[3] for row in rows], dtype=bool),
        }
    )
    result = GeneResolution(table)
    if len(values):
        logger.debug(
            "resolved %d of %d gene identifiers (%s)",
            result.n_resolved,
            len(values),
            ", ".join(f"{k} {v}" for k, v in result.counts().items() if v),
        )
    return result


def current_symbol(symbol: str) -> str | None:
    """Return the current HGNC symbol of one identifier, or None.

    Same rules as :func:`resolve_identifiers`; ambiguous and unknown identifiers give None.

    Parameters
    ----------
    symbol
        A gene symbol (current or outdated), Ensembl gene id or Entrez id.

    Returns
    -------
    str or None
        The current symbol, or None when the identifier is unknown or ambiguous.

    Examples
    --------
    >>> current_symbol("CTGF"), current_symbol("CD274"), current_symbol("foo")
    ('CCN2', 'CD274', None)
    """
    text = _as_text(symbol, 0)
    if text is None:
        return None
    return _resolve_text(text)[0]
