"""Response in a clinical table: RECIST and binary columns, the SD rule, R/NR/NA.

The vocabularies are in ``io/data/clinical_vocabulary.yaml``; the rules are described in
:mod:`immunescape.io._clinical`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from immunescape.errors import InputError
from immunescape.io._cells import (
    Columns,
    Context,
    as_number,
    cell_text,
    listing,
    pick_column,
    token,
)
from immunescape.io._vocabulary import (
    BASE_RULE,
    BINARY_TOKENS,
    MAP_TARGETS,
    PFS_MONTHS,
    RECIST_NAMES,
    RECIST_TOKENS,
    RESPONSE_NAMES,
    RESPONSE_PREFIX_EXCLUDE,
    SD_RULES,
    SdRule,
)

__all__ = ["apply_sd_rule", "check_map", "harmonise_response", "parse_response", "read_response"]


def check_map(response_map: Mapping[str, str | None] | None, source: str) -> dict[str, str]:
    """Return ``response_map`` with lower-cased keys and checked targets."""
    out: dict[str, str] = {}
    for key, target in (response_map or {}).items():
        value = "NA" if target is None else str(target).strip().upper()
        value = {"PRCR": "CR/PR", "CRPR": "CR/PR"}.get(value, value)
        if value not in MAP_TARGETS:
            raise InputError(
                f"response_map maps {key!r} to {target!r}",
                source=source,
                fix=f"map each value to one of {', '.join(MAP_TARGETS)}",
            )
        out[str(key).strip().lower()] = value
    return out


def _pick_response(cols: Columns, given: str | None, prov: dict[str, Any]) -> str | None:
    if given is not None:
        return pick_column(cols, given, option="response_col", names=RESPONSE_NAMES,
                           prov=prov, key="response_col")
    found = cols.find(RESPONSE_NAMES)
    if not found:
        found = [
            name
            for norm, name in cols.by_norm.items()
            if norm.startswith(("response", "responder"))
            and not any(word in norm for word in RESPONSE_PREFIX_EXCLUDE)
        ]
        if len(found) > 1:
            raise InputError(
                f"several response columns ({listing(found)}); which one is meant is unclear",
                source=cols.source,
                fix=f"pass response_col={found[0]!r} (or another of them)",
            )
    prov["response_col"] = found[0] if found else None
    if len(found) > 1:
        prov["response_col_alternatives"] = found[1:]
    return found[0] if found else None


def parse_response(
    column: pd.Series,
    *,
    name: str,
    user_map: dict[str, str],
    is_na: Callable[[str | None], bool],
    source: str,
) -> tuple[pd.Series, pd.Series]:
    """Split a response column into RECIST values and binary R/NR values.

    Examples
    --------
    >>> rec, binary = parse_response(pd.Series(["irPR", "NR", "NA"]), name="BOR",
    ...                              user_map={}, is_na=lambda t: t == "NA", source="x")
    >>> rec.tolist(), binary.tolist()
    (['PR', <NA>, <NA>], [<NA>, 'NR', <NA>])
    """
    rec: list[Any] = []
    binv: list[Any] = []
    unknown: Counter[str] = Counter()
    for value in column.tolist():
        text = cell_text(value)
        r: Any = pd.NA
        b: Any = pd.NA
        if text is not None and text.lower() in user_map:
            target = user_map[text.lower()]
            if target in ("R", "NR"):
                b = target
            elif target != "NA":
                r = target
        elif text is not None and not is_na(text):
            word = token(text)
            number = as_number(text)
            if word in RECIST_TOKENS:
                r = RECIST_TOKENS[word]
            elif word.startswith("ir") and word[2:].strip() in RECIST_TOKENS:
                r = RECIST_TOKENS[word[2:].strip()]
            elif word.startswith("immune related ") and word[15:] in RECIST_TOKENS:
                r = RECIST_TOKENS[word[15:]]
            elif word in BINARY_TOKENS:
                b = BINARY_TOKENS[word]
            elif number in (0.0, 1.0):
                b = "R" if number == 1.0 else "NR"
            else:
                unknown[text] += 1
        rec.append(r)
        binv.append(b)
    if unknown and all(as_number(v) is not None for v in unknown):
        raise InputError(
            f"column {name!r} holds numbers ({listing(unknown)}), not response categories; "
            "a best percentage change in tumour size is not a response by itself (RECIST 1.1 "
            "also needs new lesions, confirmation and non-target disease)",
            source=source,
            fix="pass response_col as the column of RECIST best overall response (CR, PR, "
            "SD, PD) or of responder status, or categorise the numbers into such a column "
            "first",
        )
    if unknown:
        example = next(iter(unknown))
        raise InputError(
            f"unknown response values in column {name!r}: {listing(unknown)}",
            source=source,
            fix=f"map them with response_map (e.g. response_map={{{example!r}: 'NR'}}; "
            f"targets {', '.join(MAP_TARGETS)}), list them in na_values, or choose another "
            "column with response_col/recist_col",
        )
    return pd.Series(rec, dtype="string"), pd.Series(binv, dtype="string")


def _parse(ctx: Context, name: str, user_map: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    rec, binv = parse_response(
        ctx.df[name], name=name, user_map=user_map, is_na=ctx.is_na, source=ctx.source
    )
    rec.index = ctx.index
    binv.index = ctx.index
    return rec, binv


def _check_recist_alternatives(
    ctx: Context, primary: str, alternatives: Sequence[str], user_map: dict[str, str]
) -> None:
    """Refuse two detected RECIST columns that disagree: which one is meant is unclear."""
    first, _ = _parse(ctx, primary, user_map)
    for other in alternatives:
        try:
            rec, _ = _parse(ctx, other, user_map)
        except InputError:
            continue  # not a RECIST column after all (e.g. free text): nothing to compare
        coarse = {"CR": "CR/PR", "PR": "CR/PR"}  # "CR/PR" in one column agrees with PR
        a, b = first.replace(coarse), rec.replace(coarse)
        both = a.notna() & b.notna() & a.ne("NE") & b.ne("NE")
        differ = both & (a != b)
        if differ.any():
            sid = differ[differ.fillna(False)].index[0]
            raise InputError(
                f"RECIST columns {primary!r} and {other!r} disagree for {int(differ.sum())} "
                f"of {int(both.sum())} samples (e.g. {sid!r}: {first[sid]} vs {rec[sid]})",
                source=ctx.source,
                fix="name the column to use with --recist-col (recist_col)",
            )


def read_response(
    ctx: Context,
    *,
    recist_col: str | None,
    response_col: str | None,
    user_map: dict[str, str],
) -> tuple[pd.Series, pd.Series, str | None, str | None]:
    """Find and parse the RECIST and binary response columns.

    Returns
    -------
    tuple
        RECIST values, binary R/NR values (both string Series on the sample index), and the
        names of the RECIST and binary columns used (None when absent).
    """
    cols, prov = ctx.cols, ctx.prov
    rec_name = pick_column(cols, recist_col, option="recist_col", names=RECIST_NAMES,
                           prov=prov, key="recist_col")
    resp_name = _pick_response(cols, response_col, prov)
    if rec_name is not None and rec_name == resp_name:
        if response_col is not None and recist_col is None:
            rec_name = None  # declared binary by the user: read (and checked) as binary
            prov["recist_col"] = None
        else:
            resp_name = None
            prov["response_col"] = None
    recist = pd.Series(pd.NA, index=ctx.index, dtype="string")
    binary = pd.Series(pd.NA, index=ctx.index, dtype="string")
    if recist_col is None and rec_name is not None:
        _check_recist_alternatives(ctx, rec_name, prov.get("recist_col_alternatives", []),
                                   user_map)
    for name in (rec_name, resp_name):
        if name is None:
            continue
        ctx.used.append(name)
        rec, binv = _parse(ctx, name, user_map)
        if name == resp_name and response_col is not None and rec.notna().any():
            raise InputError(
                f"response column {name!r} (--response-col / response_col, read as binary "
                f"R/NR) holds RECIST values ({listing(Counter(rec.dropna().tolist()))})",
                source=ctx.source,
                fix="name it as the RECIST column instead (--response-rule recist, or "
                "--recist-col / recist_col)",
            )
        recist = recist.fillna(rec)
        binary = binary.fillna(binv)
    return recist, binary, rec_name, resp_name


def apply_sd_rule(
    recist: pd.Series, *, pfs_months: pd.Series, pfs_event: pd.Series, sd_rule: SdRule
) -> pd.Series:
    """Response from RECIST: CR/PR -> R, PD -> NR, NE -> NA, SD by ``sd_rule``.

    Examples
    --------
    >>> rec = pd.Series(["SD", "SD", "SD", "CR", "PD"], dtype="string")
    >>> pfs = pd.Series([9.0, 4.0, 4.0, 1.0, 1.0])
    >>> event = pd.Series([0.0, 1.0, 0.0, 1.0, 1.0])
    >>> apply_sd_rule(rec, pfs_months=pfs, pfs_event=event, sd_rule="pfs6").tolist()
    ['R', 'NR', <NA>, 'R', 'NR']
    """
    out = pd.Series(pd.NA, index=recist.index, dtype="string")
    values = recist.fillna("")
    out[values.isin(["CR", "PR", "CR/PR"]).to_numpy()] = "R"
    out[(values == "PD").to_numpy()] = "NR"
    sd = (values == "SD").to_numpy()
    if sd_rule == "nr":
        out[sd] = "NR"
    elif sd_rule == "r":
        out[sd] = "R"
    elif sd_rule == "pfs6":
        months = pfs_months.to_numpy(dtype=float)
        event = pfs_event.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            nr = sd & (months <= PFS_MONTHS) & (event == 1)
            r = sd & (months >= PFS_MONTHS) & (event == 0)
        out[nr] = "NR"
        out[r] = "R"
    return out


def _counts(series: pd.Series, labels: Sequence[str]) -> dict[str, int]:
    found = series.value_counts(dropna=True)
    out = {label: int(found.get(label, 0)) for label in labels}
    out["NA"] = int(series.isna().sum())
    return out


def harmonise_response(
    ctx: Context,
    recist: pd.Series,
    binary: pd.Series,
    *,
    pfs_months: pd.Series,
    pfs_event: pd.Series,
    sd_rule: SdRule,
    rec_name: str | None,
    resp_name: str | None,
) -> pd.Series:
    """R/NR/NA per sample: RECIST where known (by the SD rule), else the binary column.

    Counts, the rule and disagreements between the two columns go to the provenance.
    """
    prov = ctx.prov
    response = apply_sd_rule(recist, pfs_months=pfs_months, pfs_event=pfs_event,
                             sd_rule=sd_rule)
    has_recist = recist.notna()
    both = has_recist & response.notna() & binary.notna()
    disagree = both & (response != binary)
    response = response.where(has_recist, binary)
    prov["sd_rule"] = sd_rule
    prov["response_rule"] = f"{BASE_RULE}; {SD_RULES[sd_rule]}"
    prov["response_from"] = {
        "recist": int(has_recist.sum()),
        "binary_column": int((~has_recist & binary.notna()).sum()),
    }
    prov["response_counts"] = _counts(response, ("R", "NR"))
    prov["recist_counts"] = _counts(recist, ("CR", "PR", "CR/PR", "SD", "PD", "NE"))
    sd = recist == "SD"
    prov["sd_outcomes"] = _counts(response[sd.fillna(False)], ("R", "NR"))
    if both.any():
        prov["binary_column_agreement"] = {
            "compared": int(both.sum()),
            "disagree": int(disagree.sum()),
            "disagreeing_samples": [str(s) for s in ctx.index[disagree.fillna(False).to_numpy()]],
        }
        if disagree.any():
            ctx.warn(
                f"{int(disagree.sum())} of {int(both.sum())} samples: response derived from "
                f"RECIST ({sd_rule} rule) differs from column {resp_name!r}; RECIST used"
            )
    if rec_name is None and resp_name is None:
        ctx.warn("no response or RECIST column found: response is all NA")
    if sd_rule == "pfs6" and bool(sd.fillna(False).any()) and pfs_months.isna().all():
        ctx.warn(
            f"{int(sd.fillna(False).sum())} SD samples set to NA: the pfs6 rule needs PFS and "
            "the table has none (sd_rule='nr' groups SD with PD)"
        )
    return response
