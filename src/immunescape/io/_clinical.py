"""Reading a clinical table: sample ids, harmonised response, survival in months.

The table is read by :func:`immunescape.io._files.read_string_table`; the recognised column
names and cell values are data, in ``io/data/clinical_vocabulary.yaml`` (the lists below
summarise them); response parsing is in :mod:`immunescape.io._response` and survival parsing
in :mod:`immunescape.io._survival`.

Columns recognised (names compared lower-case with punctuation removed; first match wins)
-------------------------------------------------------------------------------------------
sample
    sample_id, sample, sample_name, patient_id, patient, subject_id, subject, case_id, case,
    participant_id, id, barcode; an unnamed first column (R row names) as a last resort.
    (In ``bms038_clinical_data.csv`` this picks ``Sample`` = ``Pt1_pre``; pass
    ``sample_col="PatientID"`` for ``Pt1``, or ``sample_ids``: the expression samples, and
    the column matching them is used.)
RECIST
    recist, irrecist, bor, best_overall_response, best_response, mybor, ibor, borrecist.
response
    response, responder, responders, response_status, clinical_response, binary_response;
    failing those, a single column whose name starts with "response" (``response_PD1``).
    Two such columns (``response_CTLA4`` and ``response_PD1``) are ambiguous: an error asks
    for ``response_col``.
overall / progression-free survival time
    os_time, survival_time_os, overall_survival, os, survival (OS); pfs_time,
    survival_time_pfs, progression_free_survival, pfs (PFS); each optionally followed by a
    unit (``OS_months``, ``OSWK``, ``pfs_days``). Columns whose name states the unit are
    preferred (``OSWK`` over ``OS`` in bms038).
events
    os_event, event_occurred_os, os_status, death, dead, deceased, vital_status (OS);
    pfs_event, event_occurred_pfs, pfs_status, progression, progressed (PFS): 1 = event.
    *Censoring* flags, 1 = censored, inverted to events: os_sor / pfs_sor (bms038; checked
    against the PredictioR Riaz table: ``OS_SOR = 1`` exactly where
    ``event_occurred_os = 0``), os_censor, os_cnsr, censor_os and the PFS equivalents.

Values
------
RECIST (case-insensitive; ``_``/``-`` read as spaces; an ``ir`` prefix of irRECIST dropped):
CR / complete response, PR / partial response, PRCR / CR/PR (kept as ``CR/PR``), SD /
stable disease, PD / progressive disease / progression / clinical progressive disease,
NE / not evaluable (also "only scanned baseline": no on-treatment scan). Binary: R,
responder, response, yes, true, 1 versus NR, non-responder,
nonresponse, no response, no, false, 0. Missing: empty, NA, N/A, NaN, null, unknown,
[Not Available], [Not Applicable]. Anything else is an error listing the values; map them
with ``response_map`` (e.g. ``{"long-survival": "NR"}`` as in the IMPRES Van Allen table)
or declare them missing with ``na_values``.

Response = CR/PR -> R, PD -> NR, NE -> NA, SD by ``sd_rule``:

``"pfs6"`` (default, PredictioR)
    SD -> NR if PFS <= 6 months with a progression event, R if PFS >= 6 months censored,
    otherwise NA (including when PFS is absent).
``"nr"``
    SD -> NR (SD grouped with PD, as in the IMPRES AUC table).
``"r"``
    SD -> R (disease control).
``"exclude"``
    SD -> NA.

Where the RECIST value is known it decides; a binary response column fills samples without
one; disagreements between the two are counted in the provenance.

Times are converted to months (1 month = 365.25 / 12 = 30.4375 days; 1 week = 7 days; 1 year
= 12 months). The unit comes from the column name, else a unit column (``survival_unit``,
per row), else ``time_unit`` (``--time-unit``); a detected time column of unknown unit is
left out with a console warning (named with ``--time-col``, it is an error). (PredictioR's
own tables used other factors: Riaz weeks / 4, Hugo days / 30.5; months here can differ from
theirs by a few %.) Events accept 1/0, TRUE/FALSE, yes/no, dead/alive, deceased/living,
event/censored, cBioPortal's ``1:DECEASED`` and R's ``Surv`` coding 1/2 (2 = event, when the
column holds only 1 and 2). A column named only ``status``/``event`` (1 = event) or
``censored``/``censor`` (1 = censored) is read as the events of the one endpoint that has a
time column (console warning); with both endpoints timed it is not read.
"""


from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from immunescape._logging import console, logger
from immunescape._result import Result
from immunescape._validate import check_choice
from immunescape.errors import InputError
from immunescape.io._cells import Columns, Context, cell_text, listing, norm_name, token
from immunescape.io._response import check_map, harmonise_response, read_response
from immunescape.io._survival import SurvivalColumns, read_survival
from immunescape.io._tables import read_string_table
from immunescape.io._vocabulary import (
    DAYS_PER_MONTH,
    NA_TOKENS,
    RECIST_NAMES,
    RESPONSE_NAMES,
    SAMPLE_NAMES,
    SD_RULES,
    SdRule,
    TimeUnit,
)

__all__ = ["ClinicalTable", "read_clinical", "SD_RULES", "DAYS_PER_MONTH", "SdRule", "TimeUnit"]


# ------------------------------------------------------------------------------ result
@dataclass(eq=False)
class ClinicalTable(Result):
    r"""Harmonised clinical data, one row per sample.

    A :class:`~immunescape._result.Result`: its tables are ``data`` and ``extra``, its
    ``settings`` the provenance and its ``warnings`` those of the provenance.

    Attributes
    ----------
    data
        Index ``sample_id`` (file order); columns ``response`` ("R", "NR" or <NA>, string
        dtype), ``recist`` ("CR", "PR", "CR/PR", "SD", "PD", "NE" or <NA>), ``os_months``,
        ``os_event`` (1.0 event, 0.0 censored, NaN unknown), ``pfs_months``, ``pfs_event``.
        Every column is always present (all missing when the file has no such data).
    extra
        The file's other columns, as read, same index.
    provenance
        Columns used, units and factors, the response rule, counts and warnings, for
        run.json.
    source
        The file read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "clin.tsv"
    >>> _ = f.write_text("patient\tBOR\tOS_months\tOS_event\nP1\tPR\t12\t0\nP2\tPD\t3\t1\n")
    >>> clin = read_clinical(f)
    >>> clin.response.tolist(), clin.data["os_months"].tolist()
    (['R', 'NR'], [12.0, 3.0])
    >>> list(clin.tables), clin.settings["sample_col"]
    (['data', 'extra'], 'patient')
    """

    table_names = ("data", "extra")

    data: pd.DataFrame
    extra: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    source: str = "<memory>"

    def __len__(self) -> int:
        return len(self.data)

    @property
    def samples(self) -> pd.Index:
        """Sample ids, in file order."""
        return self.data.index

    @property
    def response(self) -> pd.Series:
        """Harmonised response ("R", "NR" or <NA>) per sample."""
        return self.data["response"]

    @property
    def settings(self) -> dict[str, Any]:
        """The provenance: columns used, units, the response rule, counts."""
        return self.provenance

    @property
    def warnings(self) -> list[str]:
        """Everything the user should look at."""
        return list(self.provenance.get("warnings", []))


# ------------------------------------------------------------------------------ reading
def _text_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Give a table in memory the form :func:`read_string_table` gives a file's.

    Text cells (missing ones empty), stripped column names, a default index.
    """
    df = table.reset_index(drop=True).astype(object)
    df = df.where(df.notna(), "").map(lambda v: v if isinstance(v, str) else str(v))
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _read_table(
    path: str | os.PathLike[str] | pd.DataFrame, source: str
) -> tuple[pd.DataFrame, list[str], dict[str, list[str]]]:
    """Read the table with every cell as text; remove GEO 'key: value' prefixes.

    Also returns the header names given to several columns (``StringTable.duplicated``).
    """
    warnings: list[str] = []
    duplicated: dict[str, list[str]] = {}
    if isinstance(path, pd.DataFrame):
        df = _text_frame(path)
    else:
        df, warnings, duplicated = read_string_table(path, what="clinical table")
    for col in df.columns:
        if df[col].dtype != object:
            continue
        values = df[col].astype(str).str.strip()
        filled = values[values != ""]
        keys = filled.str.extract(r"^([A-Za-z][\w .()/-]{0,40}):\s", expand=False)
        if len(filled) and keys.notna().all() and keys.nunique() == 1:
            # GEO series-matrix characteristics, e.g. 'pfs: 2.57' in every cell
            df[col] = values.str.replace(rf"^{re.escape(keys.iloc[0])}:\s*", "", regex=True)
            warnings.append(f"column {col!r}: the prefix '{keys.iloc[0]}: ' of every value "
                            "(GEO characteristics) was removed")
    if len(df) == 0:
        raise InputError(
            "the table has a header but no rows", source=source, fix="give one row per sample"
        )
    return df, warnings, duplicated


def _refuse_duplicated_used(used: Sequence[str], duplicated: dict[str, list[str]],
                            source: str) -> None:
    """Refuse when a column the reader uses shares its header name with another column."""
    for name, read_as in duplicated.items():
        if any(c in read_as for c in used):
            raise InputError(
                f"{len(read_as)} columns are named {name!r} and one of them is used: which "
                "one is meant is ambiguous",
                source=source,
                fix=f"rename or remove all but one of the {name!r} columns",
            )


def _matching_sample_col(
    cols: Columns, found: Sequence[str], sample_ids: Collection[str], prov: dict[str, Any]
) -> str:
    """Of several sample id columns, the one whose ids match the molecular samples.

    The first column found is kept unless it matches fewer than half as many of
    ``sample_ids`` as another one (``Sample`` = ``Pt1_pre`` beside ``PatientID`` = ``Pt1``
    and an expression matrix keyed ``Pt1``); two such columns are ambiguous.
    """
    wanted = {str(s) for s in sample_ids}
    hits = {c: len({cell_text(v) for v in cols.df[c]} & wanted) for c in found}
    best = max(hits.values())
    if hits[found[0]] * 2 >= best:
        return found[0]
    winners = [c for c in found if hits[c] == best]
    counts = ", ".join(f"{c!r} {hits[c]}" for c in found)
    if len(winners) > 1:
        raise InputError(
            f"sample id column {found[0]!r} matches {hits[found[0]]} of {len(wanted)} "
            f"molecular sample ids; {listing(winners)} match {best} each",
            source=cols.source,
            fix=f"name the sample id column with --sample-col {winners[0]}",
        )
    prov["sample_col"] = winners[0]
    msg = (f"sample ids taken from column {winners[0]!r}, not {found[0]!r}: its ids match "
           f"{best} of the {len(wanted)} molecular samples (matches per column: {counts}); "
           f"--sample-col chooses the column")
    prov["warnings"].append(msg)
    console.warning("%s: %s", cols.source, msg)
    return winners[0]


def _pick_sample(
    cols: Columns,
    sample_col: str | None,
    prov: dict[str, Any],
    sample_ids: Collection[str] | None = None,
) -> str:
    if sample_col is not None:
        name = cols.explicit(sample_col, "sample_col")
        prov["sample_col"] = name
        return name
    found = cols.find(SAMPLE_NAMES)
    if found:
        prov["sample_col"] = found[0]
        if len(found) > 1:
            prov["sample_col_alternatives"] = found[1:]
            if sample_ids is not None:
                return _matching_sample_col(cols, found, sample_ids, prov)
        return found[0]
    first = cols.df.columns[0]
    if norm_name(first) in ("", "unnamed0", "index", "rownames"):
        prov["sample_col"] = first
        prov["warnings"].append("sample ids taken from the unnamed first column")
        return first
    raise InputError(
        f"no sample id column (looked for sample_id, sample, patient_id, patient, subject, "
        f"ID...; columns: {listing(list(cols.df.columns))})",
        source=cols.source,
        fix="pass sample_col='NAME' (the column whose values match the expression sample ids)",
    )


def _merge_repeated_rows(
    df: pd.DataFrame,
    raw_ids: list[str | None],
    *,
    sample: str,
    given: Sequence[str | None],
    prov: dict[str, Any],
    source: str,
) -> tuple[pd.DataFrame, list[str]]:
    """Keep one row of a sample id repeated with the same outcomes; refuse differing rows.

    Patient-level tables list a patient once per biopsy: rows that agree on every outcome
    column describe one patient and are kept once; rows that disagree are an error.
    """
    empty = [i for i, v in enumerate(raw_ids) if v is None]
    if empty:
        raise InputError(
            f"{len(empty)} rows have no sample id in column {sample!r} (first: data row "
            f"{empty[0] + 1})",
            source=source,
            fix="give every row a sample id, or remove the empty rows",
        )
    ids = [v for v in raw_ids if v is not None]
    dup_list = Counter({k: n for k, n in Counter(ids).items() if n > 1})
    if not dup_list:
        return df, ids
    outcome = [c for c in df.columns if c != sample and (
        norm_name(c) in RECIST_NAMES or norm_name(c) in RESPONSE_NAMES
        or re.search(r"(^|[^a-z])(os|pfs|surv|event|censor|death|dead|vital|progress|"
                     r"response|recist|bor)", str(c).lower()))]
    outcome = list(dict.fromkeys(outcome + [c for c in given if c is not None and c in df.columns]))
    keyed = df.assign(_id=ids)
    rows = keyed[keyed["_id"].isin(list(dup_list))]
    differ = [c for c in outcome if (rows.groupby("_id")[c].nunique(dropna=False) > 1).any()]
    if differ or not outcome:
        raise InputError(
            f"duplicated sample ids in column {sample!r}: {listing(dup_list)}"
            + (f", whose rows differ in {listing(differ)}" if differ else ""),
            source=source,
            fix="keep one row per sample (or choose another column with sample_col)",
        )
    keep = ~pd.Series(ids).duplicated().to_numpy()
    prov["warnings"].append(
        f"{sum(dup_list.values()) - len(dup_list)} repeated row(s) of {len(dup_list)} "
        f"sample id(s) in column {sample!r} ({listing(dup_list)}) agree on every outcome "
        "column; the first row of each was kept"
    )
    return df.loc[keep].reset_index(drop=True), [i for i, k in zip(ids, keep, strict=True) if k]


# --------------------------------------------------------------------------- the reader
def read_clinical(
    path: str | os.PathLike[str] | pd.DataFrame,
    *,
    sample_col: str | None = None,
    response_col: str | None = None,
    recist_col: str | None = None,
    os_time_col: str | None = None,
    os_event_col: str | None = None,
    os_censor_col: str | None = None,
    pfs_time_col: str | None = None,
    pfs_event_col: str | None = None,
    pfs_censor_col: str | None = None,
    sd_rule: SdRule = "pfs6",
    time_unit: TimeUnit | None = None,
    response_map: Mapping[str, str | None] | None = None,
    na_values: Sequence[str] | None = None,
    source: str | None = None,
    sample_ids: Collection[str] | None = None,
) -> ClinicalTable:
    r"""Read a clinical table and harmonise response and survival.

    The recognised column names, value vocabularies, the SD rule and the time conversion are
    listed in the documentation of :mod:`immunescape.io._clinical`.

    Parameters
    ----------
    path
        TSV/CSV/TXT (delimiter sniffed, any line endings, optionally ``.gz``) or parquet;
        or a table already in memory (a DataFrame with the sample ids in a column, as in a
        file; cells are read as text, missing ones as empty). Never modified.
    sample_col, response_col, recist_col
        Column names overriding detection (sample ids; binary response; RECIST best response).
    os_time_col, os_event_col, os_censor_col
        Overall survival time; event flag (1 = death); or censoring flag (1 = censored).
    pfs_time_col, pfs_event_col, pfs_censor_col
        The same for progression-free survival.
    sd_rule
        How stable disease counts: ``"pfs6"`` (default), ``"nr"``, ``"r"`` or ``"exclude"``.
    time_unit
        Unit of time columns whose name (or a unit column) does not state it: ``"days"``,
        ``"weeks"``, ``"months"`` or ``"years"``.
    response_map
        Extra response values (matched case-insensitively) mapped to one of CR, PR, CR/PR, SD,
        PD, NE, R, NR or NA, e.g. ``{"long-survival": "NR"}``.
    na_values
        Extra values meaning "missing" in every column.
    source
        What the table is called in messages and ``provenance["file"]`` (default: the path,
        or ``"clinical table"`` for a DataFrame).
    sample_ids
        The molecular sample ids the table must match. When ``sample_col`` is not given and
        several sample id columns are found, the first is used unless another matches at
        least twice as many of these ids (used instead, with a warning); two such columns
        are an error asking for ``sample_col``.

    Returns
    -------
    ClinicalTable
        ``data`` (harmonised columns), ``extra`` (other columns) and ``provenance``.

    Raises
    ------
    InputError
        Missing/unreadable file, no recognisable sample column, duplicated or empty sample ids,
        unknown response values, non-numeric or negative times, non-binary events, unknown
        time unit, ambiguous response columns, unknown option values.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "clin.csv"
    >>> _ = f.write_text("ID,recist,PFS_weeks,PFS_event\nA,SD,40,0\nB,SD,8,1\nC,CR,50,0\n")
    >>> read_clinical(f).response.tolist()
    ['R', 'NR', 'R']
    >>> read_clinical(f, sd_rule="exclude").response.tolist()
    [<NA>, <NA>, 'R']
    >>> t = pd.DataFrame({"ID": ["A", "B"], "recist": ["PD", None]})
    >>> read_clinical(t, source="my table").response.tolist()
    ['NR', <NA>]
    """
    if source is None:
        source = "clinical table" if isinstance(path, pd.DataFrame) else str(path)
    check_choice("sd_rule", sd_rule, SdRule)
    if time_unit is not None:
        check_choice("time_unit", time_unit, TimeUnit)
    user_map = check_map(response_map, source)
    extra_na = {token(str(v)) for v in (na_values or [])} | {
        str(v).strip().lower() for v in (na_values or [])
    }
    df, warnings, duplicated = _read_table(path, source)
    prov: dict[str, Any] = {"file": source, "columns": [str(c) for c in df.columns],
                            "warnings": warnings}

    # ---- samples
    sample = _pick_sample(Columns(df, source), sample_col, prov, sample_ids)
    raw_ids = [cell_text(v) for v in df[sample].tolist()]
    given = (recist_col, response_col, os_time_col, os_event_col, pfs_time_col, pfs_event_col)
    df, ids = _merge_repeated_rows(df, raw_ids, sample=sample, given=given, prov=prov,
                                   source=source)
    index = pd.Index(ids, name="sample_id")

    def is_na(text: str | None) -> bool:
        return text is None or text.lower() in NA_TOKENS or text.lower() in extra_na

    ctx = Context(cols=Columns(df, source), index=index, is_na=is_na, prov=prov, used=[sample])

    # ---- response, survival, harmonised response
    recist, binary, rec_name, resp_name = read_response(
        ctx, recist_col=recist_col, response_col=response_col, user_map=user_map
    )
    os_m, os_e = read_survival(
        ctx, "os",
        given=SurvivalColumns(os_time_col, os_event_col, os_censor_col),
        time_unit=time_unit,
    )
    pfs_m, pfs_e = read_survival(
        ctx, "pfs",
        given=SurvivalColumns(pfs_time_col, pfs_event_col, pfs_censor_col),
        time_unit=time_unit,
    )
    response = harmonise_response(
        ctx, recist, binary, pfs_months=pfs_m, pfs_event=pfs_e, sd_rule=sd_rule,
        rec_name=rec_name, resp_name=resp_name,
    )
    _refuse_duplicated_used(ctx.used, duplicated, source)
    prov["months_per_day"] = 1 / DAYS_PER_MONTH
    prov["n_samples"] = len(index)

    data = pd.DataFrame(
        {
            "response": response.astype("string"),
            "recist": recist.astype("string"),
            "os_months": os_m,
            "os_event": os_e,
            "pfs_months": pfs_m,
            "pfs_event": pfs_e,
        },
        index=index,
    )
    extra = df.drop(columns=[c for c in dict.fromkeys(ctx.used) if c in df.columns])
    extra.index = index
    for message in prov["warnings"]:
        (console if message in ctx.loud else logger).warning("%s: %s", source, message)
    return ClinicalTable(data=data, extra=extra, provenance=prov, source=source)
