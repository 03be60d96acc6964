"""Reading a clinical table: sample ids, harmonised response, survival in months.

Columns recognised (names compared lower-case with punctuation removed; first match wins)
-------------------------------------------------------------------------------------------
sample
    sample_id, sample, sample_name, patient_id, patient, subject_id, subject, case_id, case,
    participant_id, id, barcode; an unnamed first column (R row names) as a last resort.
    (In ``bms038_clinical_data.csv`` this picks ``Sample`` = ``Pt1_pre``; pass
    ``sample_col="PatientID"`` for ``Pt1``.)
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
NE / not evaluable (also "only scanned baseline": no on-treatment scan). Binary: R, responder, response, yes, true, 1 versus NR, non-responder,
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
per row), else ``time_unit``; none of these is an error. (PredictioR's own tables used other
factors: Riaz weeks / 4, Hugo days / 30.5; months here can differ from theirs by a few %.)
Events accept 1/0, TRUE/FALSE, yes/no, dead/alive, deceased/living, event/censored and
cBioPortal's ``1:DECEASED``.
"""

from __future__ import annotations

import io
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from immunescape._logging import logger
from immunescape.errors import InputError
from immunescape.io._files import check_file, detect_format, read_text, sniff_delimiter

__all__ = ["ClinicalTable", "read_clinical", "SD_RULES"]

SdRule = Literal["pfs6", "nr", "r", "exclude"]
TimeUnit = Literal["days", "weeks", "months", "years"]

DAYS_PER_MONTH = 365.25 / 12
TO_MONTHS = {"days": 1 / DAYS_PER_MONTH, "weeks": 7 / DAYS_PER_MONTH, "months": 1.0, "years": 12.0}
SD_RULES: dict[str, str] = {
    "pfs6": "SD -> NR if PFS <= 6 months with a progression event, R if PFS >= 6 months "
    "censored, otherwise NA (PredictioR rule)",
    "nr": "SD -> NR (SD grouped with PD, as in the IMPRES AUC table)",
    "r": "SD -> R (disease control counted as response)",
    "exclude": "SD -> NA (excluded)",
}
BASE_RULE = "CR/PR -> R, PD -> NR, NE -> NA"
PFS_MONTHS = 6.0
_MAX_LISTED = 8

# ------------------------------------------------------------------------ column names
SAMPLE_NAMES = (
    "sampleid",
    "sample",
    "samplename",
    "samplebarcode",
    "sampleidentifier",
    "patientid",
    "patient",
    "patientname",
    "patientidentifier",
    "subjectid",
    "subject",
    "caseid",
    "case",
    "participantid",
    "participant",
    "id",
    "barcode",
)
RECIST_NAMES = (
    "recist",
    "irrecist",
    "bor",
    "bestoverallresponse",
    "bestresponse",
    "bestoverallresponserecist",
    "mybor",
    "ibor",
    "borrecist",
    "recistbor",
    "recistresponse",
)
RESPONSE_NAMES = (
    "response",
    "responder",
    "responders",
    "responsestatus",
    "clinicalresponse",
    "binaryresponse",
    "responsebinary",
    "responselabel",
)
_RESPONSE_PREFIX_EXCLUDE = ("info", "other", "date", "time", "duration", "unit", "rate", "score")
OS_TIME_BASES = (
    "ostime",
    "survivaltimeos",
    "overallsurvivaltime",
    "overallsurvival",
    "os",
    "timeos",
    "osduration",
    "survivalos",
    "ossurvival",
    "survivaltime",
    "survival",
)
PFS_TIME_BASES = (
    "pfstime",
    "survivaltimepfs",
    "progressionfreesurvivaltime",
    "progressionfreesurvival",
    "pfs",
    "timepfs",
    "pfsduration",
    "survivalpfs",
    "pfssurvival",
)
OS_EVENT_NAMES = (
    "osevent",
    "eventos",
    "eventoccurredos",
    "osstatus",
    "osstat",
    "osevents",
    "osflag",
    "osdeath",
    "death",
    "dead",
    "deceased",
    "died",
    "vitalstatus",
)
PFS_EVENT_NAMES = (
    "pfsevent",
    "eventpfs",
    "eventoccurredpfs",
    "pfsstatus",
    "pfsstat",
    "pfsevents",
    "pfsflag",
    "progressionevent",
    "progression",
    "progressed",
)
OS_CENSOR_NAMES = (
    "ossor",
    "oscensor",
    "oscensored",
    "oscensoring",
    "oscnsr",
    "censoros",
    "censoredos",
    "censos",
)
PFS_CENSOR_NAMES = (
    "pfssor",
    "pfscensor",
    "pfscensored",
    "pfscensoring",
    "pfscnsr",
    "censorpfs",
    "censoredpfs",
    "censpfs",
)
UNIT_COLUMN_NAMES = ("survivalunit", "timeunit", "survivaltimeunit", "unit", "units")
UNIT_SUFFIXES = {
    "months": "months",
    "month": "months",
    "mos": "months",
    "mo": "months",
    "m": "months",
    "days": "days",
    "day": "days",
    "d": "days",
    "weeks": "weeks",
    "week": "weeks",
    "wks": "weeks",
    "wk": "weeks",
    "w": "weeks",
    "years": "years",
    "year": "years",
    "yrs": "years",
    "yr": "years",
    "y": "years",
}

# ------------------------------------------------------------------------------- values
NA_TOKENS = frozenset(
    {
        "",
        "na",
        "n/a",
        "nan",
        "null",
        "#n/a",
        "<na>",
        "[not available]",
        "[not applicable]",
        "[unknown]",
        "[not evaluated]",
        "not available",
        "not applicable",
        "unknown",
        "missing",
        ".",
        "-",
        "?",
    }
)
RECIST_TOKENS = {
    "cr": "CR",
    "complete response": "CR",
    "complete remission": "CR",
    "complete": "CR",
    "complete responder": "CR",
    "pr": "PR",
    "partial response": "PR",
    "partial remission": "PR",
    "partial": "PR",
    "partial responder": "PR",
    "prcr": "CR/PR",
    "crpr": "CR/PR",
    "cr/pr": "CR/PR",
    "pr/cr": "CR/PR",
    "cr pr": "CR/PR",
    "pr cr": "CR/PR",
    "cr or pr": "CR/PR",
    "cr+pr": "CR/PR",
    "sd": "SD",
    "stable disease": "SD",
    "stable": "SD",
    "pd": "PD",
    "progressive disease": "PD",
    "progression": "PD",
    "progressive": "PD",
    "clinical progressive disease": "PD",
    "radiographic progressive disease": "PD",
    "disease progression": "PD",
    "ne": "NE",
    "not evaluable": "NE",
    "non evaluable": "NE",
    "inevaluable": "NE",
    "unevaluable": "NE",
    "not evaluated": "NE",
    "not assessed": "NE",
    "not assessable": "NE",
    # no on-treatment scan, so no best overall response (e.g. Snyder et al. 2017's table)
    "only scanned baseline": "NE",
    "baseline only": "NE",
    "baseline scan only": "NE",
    "no follow up scan": "NE",
}
BINARY_TOKENS = {
    "r": "R",
    "responder": "R",
    "responders": "R",
    "response": "R",
    "yes": "R",
    "y": "R",
    "true": "R",
    "1": "R",
    "nr": "NR",
    "non responder": "NR",
    "nonresponder": "NR",
    "non responders": "NR",
    "nonresponders": "NR",
    "nonresponse": "NR",
    "non response": "NR",
    "no response": "NR",
    "no": "NR",
    "n": "NR",
    "false": "NR",
    "0": "NR",
}
MAP_TARGETS = ("CR", "PR", "CR/PR", "SD", "PD", "NE", "R", "NR", "NA")
EVENT_WORDS = {
    "1": 1.0,
    "0": 0.0,
    "true": 1.0,
    "false": 0.0,
    "t": 1.0,
    "f": 0.0,
    "yes": 1.0,
    "no": 0.0,
    "y": 1.0,
    "n": 0.0,
    "dead": 1.0,
    "deceased": 1.0,
    "died": 1.0,
    "death": 1.0,
    "alive": 0.0,
    "living": 0.0,
    "event": 1.0,
    "censored": 0.0,
    "censor": 0.0,
    "progressed": 1.0,
    "progression": 1.0,
    "relapse": 1.0,
    "relapsed": 1.0,
    "recurred": 1.0,
    "progression free": 0.0,
    "no progression": 0.0,
}
FLAG_WORDS = {
    "1": 1.0,
    "0": 0.0,
    "true": 1.0,
    "false": 0.0,
    "t": 1.0,
    "f": 0.0,
    "yes": 1.0,
    "no": 0.0,
    "y": 1.0,
    "n": 0.0,
}


# ------------------------------------------------------------------------------ result
@dataclass(eq=False)
class ClinicalTable:
    r"""Harmonised clinical data, one row per sample.

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
    """

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


# ------------------------------------------------------------------------------ helpers
def _norm(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _text(value: object) -> str | None:
    """Return the stripped text of a cell; None when empty or missing."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float):
        if np.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None


def _token(text: str) -> str:
    """Lower-cased, with ``_``/``-`` read as spaces and trailing footnote marks (``PD*``,
    ``SD†``) dropped.
    """
    text = re.sub(r"[*\u2020\u2021#]+$", "", text.strip())
    return re.sub(r"[\s_\-]+", " ", text.lower()).strip()


def _listing(values: Sequence[object] | Counter[Any]) -> str:
    if isinstance(values, Counter):
        items = values.most_common()
        shown = ", ".join(f"{v!r} ({n})" for v, n in items[:_MAX_LISTED])
        more = len(items) - _MAX_LISTED
    else:
        shown = ", ".join(repr(v) for v in list(values)[:_MAX_LISTED])
        more = len(values) - _MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _read_table(path: os.PathLike[str] | str, source: str) -> tuple[pd.DataFrame, list[str]]:
    p = check_file(path)
    fmt, gz = detect_format(p)
    warnings: list[str] = []
    if fmt == "parquet":
        try:
            df = pd.read_parquet(p)
        except Exception as exc:  # pyarrow raises many types for corrupt files
            raise InputError(
                f"cannot be read as parquet ({type(exc).__name__}: {exc})",
                source=source,
                fix="re-export the table with pandas.DataFrame.to_parquet",
            ) from None
        if not isinstance(df.index, pd.RangeIndex):
            df = df.reset_index()
        df = df.astype(object).where(df.notna(), None)
    elif fmt == "h5ad":
        raise InputError(
            "is an h5ad file, not a clinical table",
            source=source,
            fix="give the clinical table as TSV/CSV (or parquet)",
        )
    else:
        text, warnings = read_text(p, gz=gz)
        delimiter = sniff_delimiter(text, source=source)
        try:
            df = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=True,
            )
        except pd.errors.EmptyDataError:
            raise InputError(
                "no table in the file", source=source, fix="give a table with a header line"
            ) from None
        except pd.errors.ParserError as exc:
            raise InputError(
                f"cannot be parsed as a table ({' '.join(str(exc).split())})",
                source=source,
                fix="make every line have as many fields as the header",
            ) from None
        if not isinstance(df.index, pd.RangeIndex):  # header one field short: R row names
            df = df.reset_index()
            df = df.rename(columns={df.columns[0]: ""})
    df.columns = [str(c).strip() for c in df.columns]
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
    return df, warnings


class _Columns:
    """Lookup of the table's columns by normalised name."""

    def __init__(self, df: pd.DataFrame, source: str):
        self.df = df
        self.source = source
        self.by_norm: dict[str, str] = {}
        for name in df.columns:
            self.by_norm.setdefault(_norm(name), name)

    def explicit(self, name: str, option: str) -> str:
        if name in self.df.columns:
            return name
        hit = self.by_norm.get(_norm(name))
        if hit is not None:
            return hit
        raise InputError(
            f"{option}={name!r}: no such column (columns: {_listing(list(self.df.columns))})",
            source=self.source,
            fix=f"pass {option} as one of the column names above",
        )

    def find(self, names: Sequence[str]) -> list[str]:
        return [self.by_norm[n] for n in names if n in self.by_norm]


def _time_candidates(cols: _Columns, bases: Sequence[str]) -> list[tuple[str, str | None]]:
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
    norm = _norm(name)
    for base in bases:
        if norm.startswith(base) and norm[len(base) :] in UNIT_SUFFIXES:
            return UNIT_SUFFIXES[norm[len(base) :]]
    for suffix in sorted(UNIT_SUFFIXES, key=len, reverse=True):
        if len(suffix) > 2 and norm.endswith(suffix):
            return UNIT_SUFFIXES[suffix]
    return None


def _unit_word(text: str) -> str | None:
    t = _norm(text)
    return UNIT_SUFFIXES.get(t)


# --------------------------------------------------------------------------- the reader
def read_clinical(
    path: str | os.PathLike[str],
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
) -> ClinicalTable:
    r"""Read a clinical table and harmonise response and survival.

    The recognised column names, value vocabularies, the SD rule and the time conversion are
    listed in the documentation of :mod:`immunescape.io._clinical`.

    Parameters
    ----------
    path
        TSV/CSV/TXT (delimiter sniffed, any line endings, optionally ``.gz``) or parquet.
        Never modified.
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
    """
    source = str(path)
    if sd_rule not in SD_RULES:
        raise InputError(
            f"sd_rule must be one of {', '.join(SD_RULES)}, not {sd_rule!r}",
            source=source,
            fix="use sd_rule='pfs6' (PredictioR), 'nr', 'r' or 'exclude'",
        )
    if time_unit is not None and time_unit not in TO_MONTHS:
        raise InputError(
            f"time_unit must be one of {', '.join(TO_MONTHS)}, not {time_unit!r}",
            source=source,
            fix="use time_unit='days', 'weeks', 'months' or 'years'",
        )
    user_map = _check_map(response_map, source)
    extra_na = {_token(str(v)) for v in (na_values or [])} | {
        str(v).strip().lower() for v in (na_values or [])
    }
    df, warnings = _read_table(path, source)
    cols = _Columns(df, source)
    prov: dict[str, Any] = {"file": source, "warnings": warnings}

    # ---- samples
    sample = _pick_sample(cols, sample_col, prov)
    ids = [_text(v) for v in df[sample].tolist()]
    empty = [i for i, v in enumerate(ids) if v is None]
    if empty:
        raise InputError(
            f"{len(empty)} rows have no sample id in column {sample!r} (first: data row "
            f"{empty[0] + 1})",
            source=source,
            fix="give every row a sample id, or remove the empty rows",
        )
    dups = Counter(ids)
    dup_list = Counter({k: n for k, n in dups.items() if n > 1})
    if dup_list:
        # Patient-level tables list a patient once per biopsy: rows that agree on every
        # outcome column describe one patient and are kept once; rows that disagree are an error.
        outcome = [c for c in df.columns if c != sample and (
            _norm(c) in RECIST_NAMES or _norm(c) in RESPONSE_NAMES
            or re.search(r"(^|[^a-z])(os|pfs|surv|event|censor|death|dead|vital|progress|"
                         r"response|recist|bor)", str(c).lower()))]
        given = [c for c in (recist_col, response_col, os_time_col, os_event_col,
                             pfs_time_col, pfs_event_col) if c is not None and c in df.columns]
        outcome = list(dict.fromkeys(outcome + given))
        keyed = df.assign(_id=ids)
        rows = keyed[keyed["_id"].isin(list(dup_list))]
        differ = [c for c in outcome if (rows.groupby("_id")[c].nunique(dropna=False) > 1).any()]
        if differ or not outcome:
            raise InputError(
                f"duplicated sample ids in column {sample!r}: {_listing(dup_list)}"
                + (f", whose rows differ in {_listing(differ)}" if differ else ""),
                source=source,
                fix="keep one row per sample (or choose another column with sample_col)",
            )
        keep = ~pd.Series(ids).duplicated().to_numpy()
        df = df.loc[keep].reset_index(drop=True)
        cols = _Columns(df, source)
        ids = [i for i, k in zip(ids, keep, strict=True) if k]
        prov["warnings"].append(
            f"{sum(dup_list.values()) - len(dup_list)} repeated row(s) of {len(dup_list)} "
            f"sample id(s) in column {sample!r} ({_listing(dup_list)}) agree on every outcome "
            "column; the first row of each was kept"
        )
    index = pd.Index(ids, name="sample_id")

    def is_na(text: str | None) -> bool:
        return text is None or text.lower() in NA_TOKENS or text.lower() in extra_na

    used: list[str] = [sample]

    # ---- response
    rec_name = _pick(cols, recist_col, "recist_col", RECIST_NAMES, prov, "recist_col")
    resp_name = _pick_response(cols, response_col, prov)
    if rec_name is not None and rec_name == resp_name:
        if response_col is not None and recist_col is None:
            rec_name = None  # declared binary by the user: read (and checked) as binary
            prov["recist_col"] = None
        else:
            resp_name = None
            prov["response_col"] = None
    recist = pd.Series(pd.NA, index=index, dtype="string")
    binary = pd.Series(pd.NA, index=index, dtype="string")
    if recist_col is None and rec_name is not None:
        _check_recist_alternatives(df, rec_name, prov.get("recist_col_alternatives", []),
                                   index, user_map, is_na, source)
    for name in (rec_name, resp_name):
        if name is None:
            continue
        used.append(name)
        rec, binv = _parse_response(df[name], name, user_map, is_na, source)
        rec.index = index
        binv.index = index
        if name == resp_name and response_col is not None and rec.notna().any():
            raise InputError(
                f"response column {name!r} (--response-col / response_col, read as binary "
                f"R/NR) holds RECIST values ({_listing(Counter(rec.dropna().tolist()))})",
                source=source,
                fix="name it as the RECIST column instead (--response-rule recist, or "
                "--recist-col / recist_col)",
            )
        recist = recist.fillna(rec)
        binary = binary.fillna(binv)

    # ---- survival
    os_m, os_e = _survival(
        "os",
        cols,
        df,
        index,
        os_time_col,
        os_event_col,
        os_censor_col,
        time_unit,
        is_na,
        prov,
        used,
    )
    pfs_m, pfs_e = _survival(
        "pfs",
        cols,
        df,
        index,
        pfs_time_col,
        pfs_event_col,
        pfs_censor_col,
        time_unit,
        is_na,
        prov,
        used,
    )

    # ---- harmonised response
    response = _apply_rule(recist, pfs_m, pfs_e, sd_rule)
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
            "disagreeing_samples": [str(s) for s in index[disagree.fillna(False).to_numpy()]],
        }
        if disagree.any():
            prov["warnings"].append(
                f"{int(disagree.sum())} of {int(both.sum())} samples: response derived from "
                f"RECIST ({sd_rule} rule) differs from column {resp_name!r}; RECIST used"
            )
    if rec_name is None and resp_name is None:
        prov["warnings"].append("no response or RECIST column found: response is all NA")
    if sd_rule == "pfs6" and bool(sd.fillna(False).any()) and pfs_m.isna().all():
        prov["warnings"].append(
            f"{int(sd.fillna(False).sum())} SD samples set to NA: the pfs6 rule needs PFS and "
            "the table has none (sd_rule='nr' groups SD with PD)"
        )
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
    extra = df.drop(columns=[c for c in dict.fromkeys(used) if c in df.columns])
    extra.index = index
    for message in prov["warnings"]:
        logger.warning("%s: %s", source, message)
    return ClinicalTable(data=data, extra=extra, provenance=prov, source=source)


def _check_map(response_map: Mapping[str, str | None] | None, source: str) -> dict[str, str]:
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


def _pick_sample(cols: _Columns, sample_col: str | None, prov: dict[str, Any]) -> str:
    if sample_col is not None:
        name = cols.explicit(sample_col, "sample_col")
        prov["sample_col"] = name
        return name
    found = cols.find(SAMPLE_NAMES)
    if found:
        prov["sample_col"] = found[0]
        if len(found) > 1:
            prov["sample_col_alternatives"] = found[1:]
        return found[0]
    first = cols.df.columns[0]
    if _norm(first) in ("", "unnamed0", "index", "rownames"):
        prov["sample_col"] = first
        prov["warnings"].append("sample ids taken from the unnamed first column")
        return first
    raise InputError(
        f"no sample id column (looked for sample_id, sample, patient_id, patient, subject, "
        f"ID...; columns: {_listing(list(cols.df.columns))})",
        source=cols.source,
        fix="pass sample_col='NAME' (the column whose values match the expression sample ids)",
    )


def _check_recist_alternatives(
    df: pd.DataFrame,
    primary: str,
    alternatives: Sequence[str],
    index: pd.Index,
    user_map: dict[str, str],
    is_na: Any,
    source: str,
) -> None:
    """Refuse two detected RECIST columns that disagree: which one is meant is unclear."""
    first, _ = _parse_response(df[primary], primary, user_map, is_na, source)
    first.index = index
    for other in alternatives:
        try:
            rec, _ = _parse_response(df[other], other, user_map, is_na, source)
        except InputError:
            continue  # not a RECIST column after all (e.g. free text): nothing to compare
        rec.index = index
        coarse = {"CR": "CR/PR", "PR": "CR/PR"}  # "CR/PR" in one column agrees with PR
        a, b = first.replace(coarse), rec.replace(coarse)
        both = a.notna() & b.notna() & a.ne("NE") & b.ne("NE")
        differ = both & (a != b)
        if differ.any():
            sid = differ[differ.fillna(False)].index[0]
            raise InputError(
                f"RECIST columns {primary!r} and {other!r} disagree for {int(differ.sum())} "
                f"of {int(both.sum())} samples (e.g. {sid!r}: {first[sid]} vs {rec[sid]})",
                source=source,
                fix="name the column to use with --recist-col (recist_col)",
            )


def _pick(
    cols: _Columns,
    given: str | None,
    option: str,
    names: Sequence[str],
    prov: dict[str, Any],
    key: str,
) -> str | None:
    if given is not None:
        name = cols.explicit(given, option)
        prov[key] = name
        return name
    found = cols.find(names)
    prov[key] = found[0] if found else None
    if len(found) > 1:
        prov[f"{key}_alternatives"] = found[1:]
    return found[0] if found else None


def _pick_response(cols: _Columns, given: str | None, prov: dict[str, Any]) -> str | None:
    if given is not None:
        return _pick(cols, given, "response_col", RESPONSE_NAMES, prov, "response_col")
    found = cols.find(RESPONSE_NAMES)
    if not found:
        found = [
            name
            for norm, name in cols.by_norm.items()
            if norm.startswith(("response", "responder"))
            and not any(word in norm for word in _RESPONSE_PREFIX_EXCLUDE)
        ]
        if len(found) > 1:
            raise InputError(
                f"several response columns ({_listing(found)}); which one is meant is unclear",
                source=cols.source,
                fix=f"pass response_col={found[0]!r} (or another of them)",
            )
    prov["response_col"] = found[0] if found else None
    if len(found) > 1:
        prov["response_col_alternatives"] = found[1:]
    return found[0] if found else None


def _parse_response(
    column: pd.Series,
    name: str,
    user_map: dict[str, str],
    is_na: Any,
    source: str,
) -> tuple[pd.Series, pd.Series]:
    """Split a response column into RECIST values and binary R/NR values."""
    rec: list[Any] = []
    binv: list[Any] = []
    unknown: Counter[str] = Counter()
    for value in column.tolist():
        text = _text(value)
        r: Any = pd.NA
        b: Any = pd.NA
        if text is not None and text.lower() in user_map:
            target = user_map[text.lower()]
            if target in ("R", "NR"):
                b = target
            elif target != "NA":
                r = target
        elif text is not None and not is_na(text):
            token = _token(text)
            number = _as_number(text)
            if token in RECIST_TOKENS:
                r = RECIST_TOKENS[token]
            elif token.startswith("ir") and token[2:].strip() in RECIST_TOKENS:
                r = RECIST_TOKENS[token[2:].strip()]
            elif token.startswith("immune related ") and token[15:] in RECIST_TOKENS:
                r = RECIST_TOKENS[token[15:]]
            elif token in BINARY_TOKENS:
                b = BINARY_TOKENS[token]
            elif number in (0.0, 1.0):
                b = "R" if number == 1.0 else "NR"
            else:
                unknown[text] += 1
        rec.append(r)
        binv.append(b)
    if unknown:
        example = next(iter(unknown))
        raise InputError(
            f"unknown response values in column {name!r}: {_listing(unknown)}",
            source=source,
            fix=f"map them with response_map (e.g. response_map={{{example!r}: 'NR'}}; "
            f"targets {', '.join(MAP_TARGETS)}), list them in na_values, or choose another "
            "column with response_col/recist_col",
        )
    return pd.Series(rec, dtype="string"), pd.Series(binv, dtype="string")


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _apply_rule(recist: pd.Series, pfs_m: pd.Series, pfs_e: pd.Series, rule: str) -> pd.Series:
    out = pd.Series(pd.NA, index=recist.index, dtype="string")
    values = recist.fillna("")
    out[values.isin(["CR", "PR", "CR/PR"]).to_numpy()] = "R"
    out[(values == "PD").to_numpy()] = "NR"
    sd = (values == "SD").to_numpy()
    if rule == "nr":
        out[sd] = "NR"
    elif rule == "r":
        out[sd] = "R"
    elif rule == "pfs6":
        months = pfs_m.to_numpy(dtype=float)
        event = pfs_e.to_numpy(dtype=float)
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


def _survival(
    kind: str,
    cols: _Columns,
    df: pd.DataFrame,
    index: pd.Index,
    time_col: str | None,
    event_col: str | None,
    censor_col: str | None,
    time_unit: str | None,
    is_na: Any,
    prov: dict[str, Any],
    used: list[str],
) -> tuple[pd.Series, pd.Series]:
    label = kind.upper()
    bases = OS_TIME_BASES if kind == "os" else PFS_TIME_BASES
    source = cols.source
    months = pd.Series(np.nan, index=index, dtype=float)
    events = pd.Series(np.nan, index=index, dtype=float)
    info: dict[str, Any] = {"time_col": None, "event_col": None}
    prov[kind] = info

    # time column and unit
    unit_col = None
    for name in cols.find((f"{kind}unit", f"{kind}timeunit", *UNIT_COLUMN_NAMES)):
        unit_col = name
        break
    if time_col is not None:
        name = cols.explicit(time_col, f"{kind}_time_col")
        candidates = [(name, _name_unit(name, bases))]
    else:
        candidates = _time_candidates(cols, bases)
        known = [c for c in candidates if c[1] is not None]
        if not known and unit_col is not None:
            known = candidates
        candidates = (known + [c for c in candidates if c not in known])[:1] if candidates else []
        others = _time_candidates(cols, bases)
        if len(others) > 1 and candidates:
            info["time_col_alternatives"] = [n for n, _ in others if n != candidates[0][0]]
    if candidates:
        name, unit = candidates[0]
        used.append(name)
        info["time_col"] = name
        raw = [_text(v) for v in df[name].tolist()]
        values = np.full(len(raw), np.nan)
        bad: Counter[str] = Counter()
        for i, text in enumerate(raw):
            if text is None or is_na(text):
                continue
            number = _as_number(text)
            if number is None or not np.isfinite(number):
                bad[text] += 1
            else:
                values[i] = number
        if bad:
            raise InputError(
                f"non-numeric {label} times in column {name!r}: {_listing(bad)}",
                source=source,
                fix=f"give {label} times as plain numbers (missing as NA)",
            )
        negative = np.flatnonzero(values < 0)
        if negative.size:
            raise InputError(
                f"{negative.size} negative {label} times in column {name!r} (samples "
                f"{_listing([str(index[i]) for i in negative])})",
                source=source,
                fix="survival times count from the start of treatment and cannot be negative",
            )
        try:
            factors = _time_factors(name, unit, unit_col, time_unit, df, cols, prov, kind)
        except InputError as exc:
            if time_col is not None or time_unit is not None or "unknown" not in exc.problem:
                raise
            # a detected column of unknown unit: survival is left out, not guessed
            prov["warnings"].append(
                f"{label} left out: the time unit of column {name!r} is unknown (neither its "
                "name nor a unit column states it); name it with a unit (e.g. "
                f"'{name}_days') or pass time_unit to use it"
            )
            info["time_col"] = None
            factors = np.nan
        months = pd.Series(values * factors, index=index, dtype=float)

    # event column
    censor = False
    ev_name = None
    event_names = OS_EVENT_NAMES if kind == "os" else PFS_EVENT_NAMES
    censor_names = OS_CENSOR_NAMES if kind == "os" else PFS_CENSOR_NAMES
    if event_col is not None and censor_col is not None:
        raise InputError(
            f"both {kind}_event_col and {kind}_censor_col given",
            source=source,
            fix="give the event flag (1 = event) or the censoring flag (1 = censored), not both",
        )
    if event_col is not None:
        ev_name = cols.explicit(event_col, f"{kind}_event_col")
    elif censor_col is not None:
        ev_name, censor = cols.explicit(censor_col, f"{kind}_censor_col"), True
    else:
        found = cols.find(event_names)
        if found:
            ev_name = found[0]
        else:
            found = cols.find(censor_names)
            if found:
                ev_name, censor = found[0], True
                prov["warnings"].append(
                    f"{label} events read from censoring column {ev_name!r} as 1 = censored, "
                    f"0 = event; pass {kind}_event_col if 1 means an event"
                )
    if ev_name is not None:
        used.append(ev_name)
        info["event_col"] = ev_name
        info["event_coding"] = (
            "censoring flag: 1 = censored, 0 = event (inverted)" if censor else "1 = event"
        )
        events = pd.Series(
            _parse_events(df[ev_name], ev_name, censor, is_na, source, label),
            index=index,
            dtype=float,
        )
    if info["time_col"] is not None and ev_name is None:
        prov["warnings"].append(f"{label} time found but no {label} event column")
    if info["time_col"] is None and ev_name is not None:
        prov["warnings"].append(f"{label} event column found but no {label} time column")
    info["n_with_time"] = int(months.notna().sum())
    info["n_events"] = int((events == 1).sum())
    info["n_censored"] = int((events == 0).sum())
    return months, events


def _time_factors(
    name: str,
    unit: str | None,
    unit_col: str | None,
    time_unit: str | None,
    df: pd.DataFrame,
    cols: _Columns,
    prov: dict[str, Any],
    kind: str,
) -> np.ndarray | float:
    info = prov[kind]
    if unit is not None:
        info["time_unit"] = unit
        info["time_unit_from"] = f"column name {name!r}"
        if time_unit is not None and time_unit != unit:
            prov["warnings"].append(
                f"time_unit={time_unit!r} ignored for column {name!r}, whose name says {unit}"
            )
        return TO_MONTHS[unit]
    if unit_col is not None:
        words = [_text(v) for v in df[unit_col].tolist()]
        units = [None if w is None else _unit_word(w) for w in words]
        bad = Counter(w for w, u in zip(words, units, strict=True) if w is not None and u is None)
        if bad:
            raise InputError(
                f"unknown time units in column {unit_col!r}: {_listing(bad)}",
                source=cols.source,
                fix="use days, weeks, months or years",
            )
        present = sorted({u for u in units if u is not None})
        fallback = time_unit or (present[0] if len(present) == 1 else None)
        if fallback is None and any(u is None for u in units):
            raise InputError(
                f"some rows of unit column {unit_col!r} are empty and the other rows mix "
                f"units ({', '.join(present) or 'none'})",
                source=cols.source,
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
        source=cols.source,
        fix="pass time_unit='days', 'weeks', 'months' or 'years'",
    )


def _parse_events(
    column: pd.Series, name: str, censor: bool, is_na: Any, source: str, label: str
) -> np.ndarray:
    words = FLAG_WORDS if censor else EVENT_WORDS
    out = np.full(len(column), np.nan)
    bad: Counter[str] = Counter()
    for i, value in enumerate(column.tolist()):
        text = _text(value)
        if text is None or is_na(text):
            continue
        token = _token(text)
        if ":" in token:  # cBioPortal "1:DECEASED"
            token = token.split(":", 1)[0].strip()
        flag = words.get(token)
        if flag is None:
            number = _as_number(token)
            flag = number if number in (0.0, 1.0) else None
        if flag is None:
            bad[text] += 1
            continue
        out[i] = 1.0 - flag if censor else flag
    if bad:
        coding = "1 (censored) / 0 (event)" if censor else "1 (event) / 0 (censored)"
        raise InputError(
            f"{label} {'censoring' if censor else 'event'} column {name!r} is not binary: "
            f"{_listing(bad)}",
            source=source,
            fix=f"code it as {coding} (or dead/alive, TRUE/FALSE), missing as NA",
        )
    return out
