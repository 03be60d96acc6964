"""The cohorts of a meta-analysis: their files, names, cancer type and treatment class."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from immunescape.compare._common import short_list
from immunescape.errors import InputError

__all__ = [
    "TREATMENT_CLASSES",
    "cohort_specs",
    "label_counts",
    "read_cohort_info",
    "treatment_class",
]

#: Treatment classes recognised in clinical tables and cohort information.
TREATMENT_CLASSES = ("anti-PD-1/PD-L1", "anti-CTLA-4", "combination")
_PD = re.compile(
    r"pd-?\(?l?\)?-?1|pd1|pdl1|nivolumab|pembrolizumab|atezolizumab|durvalumab|"
    r"avelumab|cemiplimab|spartalizumab|tislelizumab|camrelizumab|toripalimab"
)
_CTLA = re.compile(r"ctla-?4|ipilimumab|tremelimumab")
_COMBO = re.compile(r"\+|combo|combination|\band\b|/.*(chemo|vegf|tki)")


def treatment_class(value: object) -> str:
    """Map a treatment description to anti-PD-1/PD-L1, anti-CTLA-4 or combination.

    Both checkpoints (PD-1/PD-L1 and CTLA-4) or a combination marker (``+``, "combo") give
    ``combination``; otherwise the checkpoint named; anything else is returned as given
    (stripped), and a missing value as ``"unknown"``.

    Parameters
    ----------
    value
        A treatment description (e.g. PredictioR's ``treatment`` column or a drug name).

    Returns
    -------
    str

    Examples
    --------
    >>> [treatment_class(t) for t in ["PD-1/PD-L1", "CTLA4", "IO+combo", "anti-PD-1 + anti-CTLA-4"]]
    ['anti-PD-1/PD-L1', 'anti-CTLA-4', 'combination', 'combination']
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "unknown"
    text = str(value).strip()
    low = text.lower()
    if low in ("", "na", "nan", "none", "unknown"):
        return "unknown"
    pd1, ctla = bool(_PD.search(low)), bool(_CTLA.search(low))
    if (pd1 and ctla) or _COMBO.search(low.replace("pd-1/pd-l1", "pd1")):
        return "combination"
    if ctla:
        return "anti-CTLA-4"
    if pd1:
        return "anti-PD-1/PD-L1"
    return text


def cohort_specs(cohorts: object) -> list[tuple[str, str, str, str | None]]:
    """Normalise cohorts into (name, expr, clinical, maf); names from the expression files.

    Examples
    --------
    >>> cohort_specs(["riaz_expr.tsv:riaz_clinical.tsv", ("gide.tsv", "gide_clin.tsv")])
    ... # doctest: +NORMALIZE_WHITESPACE
    [('riaz', 'riaz_expr.tsv', 'riaz_clinical.tsv', None),
     ('gide', 'gide.tsv', 'gide_clin.tsv', None)]
    """
    # The EXPR:CLINICAL[:MAF] grammar and file-name rule are shared with train/evaluate.
    from immunescape.predict import cohort_name as _cohort_name
    from immunescape.predict import parse_cohort_spec

    if isinstance(cohorts, str | os.PathLike) or not isinstance(cohorts, Sequence | Mapping):
        raise InputError(
            "cohorts must be a list of 'EXPR:CLINICAL[:MAF]' strings or (expr, clinical[, maf]) "
            "tuples, or a mapping name -> such an entry",
            source="cohorts",
        )
    items = list(cohorts.items()) if isinstance(cohorts, Mapping) else [(None, c) for c in cohorts]
    out = []
    for name, c in items:
        if isinstance(c, str):
            e, cl, m = parse_cohort_spec(c)
        elif isinstance(c, Sequence) and len(c) in (2, 3):
            e, cl = str(c[0]), str(c[1])
            m = str(c[2]) if len(c) == 3 and c[2] is not None else None
        else:
            raise InputError(
                f"cohort {c!r} is not EXPR:CLINICAL[:MAF]",
                source="cohorts",
                fix="give (expression, clinical[, maf]) paths",
            )
        out.append((name, e, cl, m))
    names = [n or _cohort_name(e) for n, e, _, _ in out]
    if len(set(names)) != len(names):
        names = [
            n if n0 else f"{Path(e).resolve().parent.name}_{n}"
            for n, (n0, e, _, _) in zip(names, out, strict=True)
        ]
    if len(set(names)) != len(names):
        raise InputError(
            f"cohort names repeat: {short_list(names, 20)}",
            source="--cohort",
            fix="give files with distinct names",
        )
    if not out:
        raise InputError(
            "no cohort given", source="--cohort", fix="--cohort EXPR:CLINICAL[:MAF] (repeatable)"
        )
    return [(n, e, cl, m) for n, (_, e, cl, m) in zip(names, out, strict=True)]


def read_cohort_info(cohort_info: object) -> dict[str, dict[str, str]]:
    """Cancer type and treatment per cohort from a TSV file, a DataFrame or a mapping.

    Examples
    --------
    >>> read_cohort_info({"riaz": {"cancer_type": "SKCM"}})
    {'riaz': {'cancer_type': 'SKCM'}}
    """
    if cohort_info is None:
        return {}
    if isinstance(cohort_info, str | os.PathLike):
        path = Path(cohort_info)
        if not path.is_file():
            raise InputError(
                "file not found",
                source=str(path),
                fix="give a TSV with columns cohort, cancer_type, treatment",
            )
        try:
            frame = pd.read_csv(path, sep=None, engine="python", dtype=str)
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(
                f"cannot read the table ({exc.__class__.__name__})",
                source=str(path),
                fix="give a tab-separated text table",
            ) from None
        source = str(path)
    elif isinstance(cohort_info, pd.DataFrame):
        frame, source = cohort_info.astype(str), "cohort_info"
    elif isinstance(cohort_info, Mapping):
        return {str(k): {kk: str(vv) for kk, vv in dict(v).items()} for k, v in cohort_info.items()}
    else:
        raise InputError(
            "cohort_info must be a file, a DataFrame or a mapping", source="cohort_info"
        )
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "cohort" not in frame.columns or not ({"cancer_type", "treatment"} & set(frame.columns)):
        raise InputError(
            f"needs columns cohort and cancer_type and/or treatment (found "
            f"{short_list(frame.columns, 8)})",
            source=source,
            fix="columns: cohort, cancer_type, treatment",
        )
    return {
        r["cohort"]: {k: v for k, v in r.items() if k != "cohort" and pd.notna(v)}
        for r in frame.to_dict("records")
    }


def label_counts(values: pd.Series) -> tuple[str | None, dict[str, int]]:
    """Return the most frequent label (missing ones ignored) and the count of each.

    Examples
    --------
    >>> label_counts(pd.Series(["SKCM", "SKCM", "NA", "LUAD"]))
    ('SKCM', {'SKCM': 2, 'LUAD': 1})
    """
    v = values.dropna().astype(str).str.strip()
    v = v[~v.str.lower().isin(["", "na", "nan", "none"])]
    if v.empty:
        return None, {}
    counts = v.value_counts()
    return str(counts.index[0]), {str(k): int(n) for k, n in counts.items()}
