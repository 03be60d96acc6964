"""Survival in a clinical table: time columns and their unit (to months), event flags.

The column names and event words are in ``io/data/clinical_vocabulary.yaml``; the rules are
described in :mod:`immunescape.io._clinical`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from immunescape.errors import InputError
from immunescape.io._cells import Columns, Context, as_number, cell_text, listing, norm_name, token
from immunescape.io._vocabulary import (
    EVENT_WORDS,
    FLAG_WORDS,
    OS_CENSOR_NAMES,
    OS_EVENT_NAMES,
    OS_TIME_BASES,
    PFS_CENSOR_NAMES,
    PFS_EVENT_NAMES,
    PFS_TIME_BASES,
    TO_MONTHS,
    UNIT_COLUMN_NAMES,
    UNIT_SUFFIXES,
    TimeUnit,
)

__all__ = ["SurvivalColumns", "parse_events", "read_survival"]

Endpoint = Literal["os", "pfs"]


@dataclass(frozen=True)
class SurvivalColumns:
    """The columns a user named for one endpoint (None: detect)."""

    time_col: str | None = None
    event_col: str | None = None
    censor_col: str | None = None


def _time_candidates(cols: Columns, bases: Sequence[str]) -> list[tuple[str, str | None]]:
    """Columns matching a time base, with the unit their name states; name-unit ones first."""
    with_unit: list[tuple[int, str, str]] = []
    bare: list[tuple[int, str]] = []
    for norm, name in cols.by_norm.items():
        for rank, base in enumerate(bases):
            if norm == base:
                bare.append((rank, name))
                break
            if norm.startswith(base) and norm[len(base) :] in UNIT_SUFFIXES:
                with_unit.append((rank, name, UNIT_SUFFIXES[norm[len(base) :]]))
                break
    with_unit.sort(key=lambda t: (t[0], list(cols.df.columns).index(t[1])))
    bare.sort(key=lambda t: (t[0], list(cols.df.columns).index(t[1])))
    return [(n, u) for _, n, u in with_unit] + [(n, None) for _, n in bare]


def _name_unit(name: str, bases: Sequence[str]) -> str | None:
    norm = norm_name(name)
    for base in bases:
        if norm.startswith(base) and norm[len(base) :] in UNIT_SUFFIXES:
            return UNIT_SUFFIXES[norm[len(base) :]]
    for suffix in sorted(UNIT_SUFFIXES, key=len, reverse=True):
        if len(suffix) > 2 and norm.endswith(suffix):
            return UNIT_SUFFIXES[suffix]
    return None


def _time_column(
    ctx: Context, kind: Endpoint, given: str | None, unit_col: str | None, info: dict[str, Any]
) -> tuple[str, str | None] | None:
    """Return the time column (with the unit its name states), or None."""
    bases = OS_TIME_BASES if kind == "os" else PFS_TIME_BASES
    if given is not None:
        name = ctx.cols.explicit(given, f"{kind}_time_col")
        return name, _name_unit(name, bases)
    candidates = _time_candidates(ctx.cols, bases)
    if not candidates:
        return None
    known = [c for c in candidates if c[1] is not None]
    if not known and unit_col is not None:
        known = candidates
    chosen = (known + [c for c in candidates if c not in known])[0]
    if len(candidates) > 1:
        info["time_col_alternatives"] = [n for n, _ in candidates if n != chosen[0]]
    return chosen


def _time_values(ctx: Context, name: str, label: str) -> np.ndarray:
    values = np.full(len(ctx.index), np.nan)
    bad: Counter[str] = Counter()
    for i, value in enumerate(ctx.df[name].tolist()):
        text = cell_text(value)
        if text is None or ctx.is_na(text):
            continue
        number = as_number(text)
        if number is None or not np.isfinite(number):
            bad[text] += 1
        else:
            values[i] = number
    if bad:
        if all(re.fullmatch(r"[+-]?\d*,\d+", t) for t in bad):  # '14,39': a decimal comma
            raise InputError(
                f"{label} times in column {name!r} are written with decimal commas "
                f"({listing(bad)})",
                source=ctx.source,
                fix="write them with a decimal point (14.39, not 14,39), e.g. export the "
                "file with '.' as the decimal separator",
            )
        raise InputError(
            f"non-numeric {label} times in column {name!r}: {listing(bad)}",
            source=ctx.source,
            fix=f"give {label} times as plain numbers (missing as NA)",
        )
    negative = np.flatnonzero(values < 0)
    if negative.size:
        raise InputError(
            f"{negative.size} negative {label} times in column {name!r} (samples "
            f"{listing([str(ctx.index[i]) for i in negative])})",
            source=ctx.source,
            fix="survival times count from the start of treatment and cannot be negative",
        )
    return values


def _time_factors(
    ctx: Context,
    *,
    name: str,
    unit: str | None,
    unit_col: str | None,
    time_unit: TimeUnit | None,
    info: dict[str, Any],
    kind: Endpoint,
) -> np.ndarray | float:
    """Months per unit of the time column: one factor, or one per row (unit column)."""
    if unit is not None:
        info["time_unit"] = unit
        info["time_unit_from"] = f"column name {name!r}"
        if time_unit is not None and time_unit != unit:
            ctx.warn(f"time_unit={time_unit!r} ignored for column {name!r}, whose name says {unit}")
        return TO_MONTHS[unit]
    if unit_col is not None:
        words = [cell_text(v) for v in ctx.df[unit_col].tolist()]
        units = [None if w is None else UNIT_SUFFIXES.get(norm_name(w)) for w in words]
        bad = Counter(w for w, u in zip(words, units, strict=True) if w is not None and u is None)
        if bad:
            raise InputError(
                f"unknown time units in column {unit_col!r}: {listing(bad)}",
                source=ctx.source,
                fix="use days, weeks, months or years",
            )
        present = sorted({u for u in units if u is not None})
        fallback = time_unit or (present[0] if len(present) == 1 else None)
        if fallback is None and any(u is None for u in units):
            raise InputError(
                f"some rows of unit column {unit_col!r} are empty and the other rows mix "
                f"units ({', '.join(present) or 'none'})",
                source=ctx.source,
                fix="fill the unit column, or pass time_unit for the rows without one",
            )
        filled = [u or fallback for u in units]
        info["time_unit"] = sorted({u for u in filled if u is not None})
        info["time_unit_from"] = f"unit column {unit_col!r}"
        return np.array([TO_MONTHS[u] for u in filled if u is not None])
    if time_unit is not None:
        info["time_unit"] = time_unit
        info["time_unit_from"] = "time_unit option"
        return TO_MONTHS[time_unit]
    raise InputError(
        f"the time unit of {kind.upper()} column {name!r} is unknown (neither its name nor a "
        "unit column states it)",
        source=ctx.source,
        fix="give the unit: time_unit=days (or weeks, months, years)",
    )


def _event_column(
    ctx: Context, kind: Endpoint, given: SurvivalColumns
) -> tuple[str | None, bool]:
    """Return the event column and whether it is a censoring flag (1 = censored)."""
    label = kind.upper()
    if given.event_col is not None and given.censor_col is not None:
        raise InputError(
            f"both {kind}_event_col and {kind}_censor_col given",
            source=ctx.source,
            fix="give the event flag (1 = event) or the censoring flag (1 = censored), not both",
        )
    if given.event_col is not None:
        return ctx.cols.explicit(given.event_col, f"{kind}_event_col"), False
    if given.censor_col is not None:
        return ctx.cols.explicit(given.censor_col, f"{kind}_censor_col"), True
    found = ctx.cols.find(OS_EVENT_NAMES if kind == "os" else PFS_EVENT_NAMES)
    if found:
        return found[0], False
    found = ctx.cols.find(OS_CENSOR_NAMES if kind == "os" else PFS_CENSOR_NAMES)
    if found:
        ctx.warn(
            f"{label} events read from censoring column {found[0]!r} as 1 = censored, "
            f"0 = event; if 1 means an event, name it with --event-col {found[0]} (and "
            "--time-col)", loud=True,
        )
        return found[0], True
    return _generic_event_column(ctx, kind)


#: Event columns whose name states no endpoint: read as the events of the one endpoint that
#: has a time column (normalised names; True: a censoring flag, 1 = censored).
GENERIC_EVENT_NAMES = {"status": False, "event": False, "events": False, "eventstatus": False,
                       "censored": True, "censor": True, "censoring": True, "cens": True}


def _generic_event_column(ctx: Context, kind: Endpoint) -> tuple[str | None, bool]:
    """``status``/``event``/``censored``: the events of the only endpoint with a time column."""
    other = PFS_TIME_BASES if kind == "os" else OS_TIME_BASES
    if ctx.prov[kind].get("time_col") is None or _time_candidates(ctx.cols, other):
        return None, False
    found = ctx.cols.find(tuple(GENERIC_EVENT_NAMES))
    if len(found) != 1:
        return None, False
    name = found[0]
    censor = GENERIC_EVENT_NAMES[norm_name(name)]
    coding = "1 = censored, 0 = event" if censor else "1 = event, 0 = censored"
    ctx.warn(f"{kind.upper()} events read from column {name!r} (the only endpoint with a time "
             f"column) as {coding}", loud=True)
    return name, censor


def read_survival(
    ctx: Context,
    kind: Endpoint,
    *,
    given: SurvivalColumns,
    time_unit: TimeUnit | None,
) -> tuple[pd.Series, pd.Series]:
    """Months and events (1.0 event, 0.0 censored, NaN unknown) of one endpoint.

    The columns used, units and counts go to ``ctx.prov[kind]``.
    """
    label = kind.upper()
    index = ctx.index
    months = pd.Series(np.nan, index=index, dtype=float)
    events = pd.Series(np.nan, index=index, dtype=float)
    info: dict[str, Any] = {"time_col": None, "event_col": None}
    ctx.prov[kind] = info

    unit_cols = ctx.cols.find((f"{kind}unit", f"{kind}timeunit", *UNIT_COLUMN_NAMES))
    unit_col = unit_cols[0] if unit_cols else None
    chosen = _time_column(ctx, kind, given.time_col, unit_col, info)
    if chosen is not None:
        name, unit = chosen
        ctx.used.append(name)
        info["time_col"] = name
        values = _time_values(ctx, name, label)
        try:
            factors = _time_factors(ctx, name=name, unit=unit, unit_col=unit_col,
                                    time_unit=time_unit, info=info, kind=kind)
        except InputError as exc:
            if given.time_col is not None or time_unit is not None or (
                "unknown" not in exc.problem
            ):
                raise
            # a detected column of unknown unit: survival is left out, not guessed
            ctx.warn(
                f"{label} left out: the time unit of column {name!r} is unknown (neither its "
                "name nor a unit column states it); give it with --time-unit days (or weeks, "
                f"months, years) or name the column with its unit (e.g. '{name}_days')",
                loud=True,
            )
            info["time_col"] = None
            factors = np.nan
        months = pd.Series(values * factors, index=index, dtype=float)

    ev_name, censor = _event_column(ctx, kind, given)
    if ev_name is not None:
        ctx.used.append(ev_name)
        info["event_col"] = ev_name
        info["event_coding"] = (
            "censoring flag: 1 = censored, 0 = event (inverted)" if censor else "1 = event"
        )
        r_coding = not censor and _r_survival_coding(ctx.df[ev_name], ctx.is_na)
        if r_coding:
            info["event_coding"] = "R survival coding: 2 = event, 1 = censored"
            ctx.warn(f"{label} event column {ev_name!r} holds only 1 and 2: read as R's "
                     "survival coding, 2 = event, 1 = censored", loud=True)
        events = pd.Series(
            parse_events(ctx.df[ev_name], name=ev_name, censor=censor, is_na=ctx.is_na,
                         source=ctx.source, label=label, r_coding=r_coding),
            index=index,
            dtype=float,
        )
    if info["time_col"] is not None and ev_name is None:
        ctx.warn(f"{label} left out: time column {info['time_col']!r} found but no {label} "
                 "event column; name it with --time-col and --event-col (1 = event)", loud=True)
    if info["time_col"] is None and ev_name is not None:
        ctx.warn(f"{label} event column found but no {label} time column")
    info["n_with_time"] = int(months.notna().sum())
    info["n_events"] = int((events == 1).sum())
    info["n_censored"] = int((events == 0).sum())
    return months, events


def _r_survival_coding(column: pd.Series, is_na: Callable[[str | None], bool]) -> bool:
    """Tell whether an event column uses R's ``Surv`` coding "1/2 (2=death)".

    True when every value is the number 1 or 2 and some are 2; an all-1 column stays
    1 = event.

    Examples
    --------
    >>> _r_survival_coding(pd.Series(["2", "1", None, "1"]), lambda t: t is None)
    True
    >>> _r_survival_coding(pd.Series(["1", "0", "2"]), lambda t: t is None)
    False
    """
    numbers = set()
    for value in column.tolist():
        text = cell_text(value)
        if text is None or is_na(text):
            continue
        numbers.add(as_number(token(text)))
    return 2.0 in numbers and numbers <= {1.0, 2.0}


def parse_events(
    column: pd.Series,
    *,
    name: str,
    censor: bool,
    is_na: Callable[[str | None], bool],
    source: str,
    label: str,
    r_coding: bool = False,
) -> np.ndarray:
    """Event flags as 1.0 (event), 0.0 (censored) or NaN; a censoring flag is inverted.

    ``r_coding``: the column is coded as R's ``survival::Surv`` allows, 1 = censored and
    2 = event (see :func:`_r_survival_coding`).

    Examples
    --------
    >>> parse_events(pd.Series(["1:DECEASED", "alive", ""]), name="OS_STATUS", censor=False,
    ...              is_na=lambda t: not t, source="x", label="OS").tolist()
    [1.0, 0.0, nan]
    """
    words = FLAG_WORDS if censor else EVENT_WORDS
    out = np.full(len(column), np.nan)
    bad: Counter[str] = Counter()
    for i, value in enumerate(column.tolist()):
        text = cell_text(value)
        if text is None or is_na(text):
            continue
        word = token(text)
        if ":" in word:  # cBioPortal "1:DECEASED"
            word = word.split(":", 1)[0].strip()
        if r_coding:
            out[i] = as_number(word) - 1  # type: ignore[operator]  # 1 or 2, checked
            continue
        flag = words.get(word)
        if flag is None:
            number = as_number(word)
            flag = number if number in (0.0, 1.0) else None
        if flag is None:
            bad[text] += 1
            continue
        out[i] = 1.0 - flag if censor else flag
    if bad:
        coding = "1 (censored) / 0 (event)" if censor else "1 (event) / 0 (censored)"
        raise InputError(
            f"{label} {'censoring' if censor else 'event'} column {name!r} is not binary: "
            f"{listing(bad)}",
            source=source,
            fix=f"code it as {coding} (or dead/alive, TRUE/FALSE), missing as NA",
        )
    return out
