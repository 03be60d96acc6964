"""The clinical-table vocabulary: recognised column names and cell values.

The words live in ``io/data/clinical_vocabulary.yaml`` (hand-curated, checked against its
sha256 sidecar by :func:`immunescape._resources.read_resource`); this module reads them once
and exposes them as constants, with the unit factors and the response rules that are
formulas rather than words.
"""

from __future__ import annotations

from typing import Any, Literal

from immunescape._resources import REINSTALL, read_resource
from immunescape._vocab import SdRule
from immunescape._yaml import YAMLError, safe_load
from immunescape.errors import ResourceError

__all__ = [
    "BASE_RULE", "BINARY_TOKENS", "DAYS_PER_MONTH", "EVENT_WORDS", "FLAG_WORDS",
    "MAP_TARGETS", "NA_TOKENS", "OS_CENSOR_NAMES", "OS_EVENT_NAMES", "OS_TIME_BASES",
    "PFS_CENSOR_NAMES", "PFS_EVENT_NAMES", "PFS_MONTHS", "PFS_TIME_BASES", "RECIST_NAMES",
    "RECIST_TOKENS", "RESPONSE_NAMES", "RESPONSE_PREFIX_EXCLUDE", "SAMPLE_NAMES", "SD_RULES",
    "SdRule", "TO_MONTHS", "TimeUnit", "UNIT_COLUMN_NAMES", "UNIT_SUFFIXES",
]  # fmt: skip

TimeUnit = Literal["days", "weeks", "months", "years"]

#: A Julian month: 365.25 / 12 = 30.4375 days.
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
#: Values ``response_map`` may map to.
MAP_TARGETS = ("CR", "PR", "CR/PR", "SD", "PD", "NE", "R", "NR", "NA")

_PACKAGE = "immunescape.io"
_NAME = "clinical_vocabulary.yaml"
_COLUMN_KEYS = (
    "sample", "recist", "response", "response_prefix_exclude", "os_time", "pfs_time",
    "os_event", "pfs_event", "os_censor", "pfs_censor", "time_unit",
)  # fmt: skip


def _broken(problem: str) -> ResourceError:
    return ResourceError(f"the shipped file {_PACKAGE}/data/{_NAME} {problem}; {REINSTALL}")


def _load() -> dict[str, Any]:
    try:
        doc = safe_load(read_resource(_PACKAGE, _NAME).decode("utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        raise _broken(f"is not valid YAML ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("columns"), dict):
        raise _broken("lacks its 'columns' section")
    for key in _COLUMN_KEYS:
        names = doc["columns"].get(key)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise _broken(f"has no list of names under columns.{key}")
    for key in ("unit_suffixes", "recist_values", "binary_values", "event_values",
                "flag_values"):
        if not isinstance(doc.get(key), dict):
            raise _broken(f"has no mapping under {key}")
    if not isinstance(doc.get("na_values"), list):
        raise _broken("has no list under na_values")
    return doc


_DOC = _load()
_COLUMNS: dict[str, list[str]] = _DOC["columns"]

SAMPLE_NAMES: tuple[str, ...] = tuple(_COLUMNS["sample"])
RECIST_NAMES: tuple[str, ...] = tuple(_COLUMNS["recist"])
RESPONSE_NAMES: tuple[str, ...] = tuple(_COLUMNS["response"])
RESPONSE_PREFIX_EXCLUDE: tuple[str, ...] = tuple(_COLUMNS["response_prefix_exclude"])
OS_TIME_BASES: tuple[str, ...] = tuple(_COLUMNS["os_time"])
PFS_TIME_BASES: tuple[str, ...] = tuple(_COLUMNS["pfs_time"])
OS_EVENT_NAMES: tuple[str, ...] = tuple(_COLUMNS["os_event"])
PFS_EVENT_NAMES: tuple[str, ...] = tuple(_COLUMNS["pfs_event"])
OS_CENSOR_NAMES: tuple[str, ...] = tuple(_COLUMNS["os_censor"])
PFS_CENSOR_NAMES: tuple[str, ...] = tuple(_COLUMNS["pfs_censor"])
UNIT_COLUMN_NAMES: tuple[str, ...] = tuple(_COLUMNS["time_unit"])
UNIT_SUFFIXES: dict[str, str] = {str(k): str(v) for k, v in _DOC["unit_suffixes"].items()}
NA_TOKENS: frozenset[str] = frozenset(str(v) for v in _DOC["na_values"])
RECIST_TOKENS: dict[str, str] = {str(k): str(v) for k, v in _DOC["recist_values"].items()}
BINARY_TOKENS: dict[str, str] = {str(k): str(v) for k, v in _DOC["binary_values"].items()}
EVENT_WORDS: dict[str, float] = {str(k): float(v) for k, v in _DOC["event_values"].items()}
FLAG_WORDS: dict[str, float] = {str(k): float(v) for k, v in _DOC["flag_values"].items()}
