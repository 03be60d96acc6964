"""Survival inputs shared by the Cox, log-rank and Kaplan-Meier tables.

Validation of the time, event and covariate columns (one clear :class:`InputError` per
problem), the endpoint name, and the high/low split of a feature (``cut``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from immunescape._validate import check_choice, check_range
from immunescape.compare._common import (
    clinical_frame,
    covariate_values,
    numeric_features,
    short_list,
)
from immunescape.compare._maxstat import maxstat_cut
from immunescape.errors import InputError

__all__ = [
    "Cut",
    "check_cut",
    "covariate_design",
    "cut_for",
    "endpoint_name",
    "prepare",
    "survival_data",
]

CutRule = Literal["median", "optimal"]
#: High/low split: the median, the optimal (maximally selected) cut, or a fixed number.
Cut = CutRule | float


def endpoint_name(time_col: str, endpoint: str | None) -> str:
    """Return the given endpoint name, else OS/PFS/DFS/RFS guessed from ``time_col``.

    Examples
    --------
    >>> endpoint_name("pfs_months", None), endpoint_name("time", None), endpoint_name("t", "OS")
    ('PFS', 'time', 'OS')
    """
    if endpoint:
        return endpoint
    low = time_col.lower()
    for key, name in (("pfs", "PFS"), ("os", "OS"), ("dfs", "DFS"), ("rfs", "RFS")):
        if low.startswith(key) or f"_{key}" in low:
            return name
    return time_col


def survival_data(
    clinical: pd.DataFrame, time_col: str, event_col: str, source: str = "clinical"
) -> tuple[pd.Series, pd.Series]:
    """Return validated (time, event) of the samples having both (errors on bad values)."""
    for col, what in ((time_col, "time"), (event_col, "event")):
        if not isinstance(col, str) or col not in clinical.columns:
            raise InputError(
                f"no {what} column {col!r} (columns: {short_list(clinical.columns, 12)})",
                source=source,
                fix=f"pass the survival {what} column name ({what}_col=...)",
            )
    time = pd.to_numeric(clinical[time_col], errors="coerce")
    bad_num = clinical[time_col].notna() & time.isna()
    if bad_num.any():
        raise InputError(
            f"column {time_col!r} has non-numeric times for sample(s) "
            f"{short_list(clinical.index[bad_num])}",
            source=source,
            fix="give survival times as numbers (months)",
        )
    if (time < 0).any():
        raise InputError(
            f"column {time_col!r} has negative times for sample(s) "
            f"{short_list(clinical.index[time < 0])}",
            source=source,
            fix="survival times must be >= 0 (time from treatment start to event or censoring)",
        )
    raw = clinical[event_col]
    event = pd.to_numeric(
        raw.map(lambda v: float(v) if isinstance(v, bool | np.bool_) else v), errors="coerce"
    )
    bad = (raw.notna() & event.isna()) | (event.notna() & ~event.isin([0.0, 1.0]))
    if bad.any():
        values = sorted({str(v) for v in raw[bad]})
        raise InputError(
            f"column {event_col!r} is not binary: value(s) {short_list(values)}",
            source=source,
            fix="code events as 1 (event, e.g. death) and 0 (censored)",
        )
    ok = time.notna() & event.notna()
    return time[ok].astype(float), event[ok].astype(float)


def covariate_design(
    clinical: pd.DataFrame, covariates: Sequence[str], samples: pd.Index
) -> pd.DataFrame:
    """Return numeric design columns of the covariates (categorical: first level dropped)."""
    if isinstance(covariates, str):
        covariates = [c.strip() for c in covariates.split(",") if c.strip()]
    missing_cols = [c for c in covariates if c not in clinical.columns]
    if missing_cols:
        raise InputError(
            f"covariate column(s) not found: {short_list(missing_cols)} (columns: "
            f"{short_list(clinical.columns, 12)})",
            source="covariates",
            fix="name columns of the clinical table",
        )
    sub = clinical.loc[samples, list(covariates)]
    values = {c: covariate_values(sub[c], where=" with survival data") for c in covariates}
    parts = []
    for c in covariates:
        col = sub[c]
        num = values[c]
        if num is not None:
            parts.append(num.rename(f"cov__{c}"))
        else:
            levels = sorted(col.astype(str).unique())
            if len(levels) < 2:
                raise InputError(
                    f"covariate {c!r} has a single value ({levels[0]!r}) among the analysed "
                    "samples",
                    source="covariates",
                    fix="leave it out",
                )
            for lev in levels[1:]:
                parts.append((col.astype(str) == lev).astype(float).rename(f"cov__{c}={lev}"))
    for p in parts:
        if p.nunique() < 2:
            raise InputError(
                f"covariate column {p.name.removeprefix('cov__')!r} is constant among the "
                "analysed samples",
                source="covariates",
                fix="leave it out",
            )
    return pd.concat(parts, axis=1)


def cut_for(
    x: np.ndarray, time: np.ndarray, event: np.ndarray, cut: Cut, minprop: float
) -> tuple[float, str, float, float]:
    """(cut value, rule text, corrected logrank p or NaN, uncorrected p or NaN)."""
    if isinstance(cut, str):
        if cut == "median":
            return float(np.median(x)), "median", np.nan, np.nan
        if cut == "optimal":
            r = maxstat_cut(x, time, event, minprop=minprop)
            rule = (
                f"optimal (maximally selected log-rank statistic, minprop={minprop:g}; "
                "p corrected by Lausen-Schumacher 1992)"
            )
            return r.cut, rule, r.p_value, r.p_uncorrected
    return float(cut), "fixed", np.nan, np.nan


def check_cut(cut: object) -> None:
    """Raise unless ``cut`` is ``"median"``, ``"optimal"`` or a finite number."""
    if isinstance(cut, str):
        check_choice("cut", cut, CutRule)
        return
    value = cut.item() if isinstance(cut, np.generic) else cut
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(
            f"must be 'median', 'optimal' or a number, got {cut!r}",
            source="cut",
            fix="use 'median', 'optimal' or a number (a pre-specified cut-point)",
        )
    check_range("cut", value)


def prepare(
    features: pd.DataFrame,
    clinical: object,
    time_col: str,
    event_col: str,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Return (features, clinical, time, event) of the samples with features and survival."""
    X = numeric_features(features)
    clin = clinical_frame(clinical)
    time, event = survival_data(clin, time_col, event_col)
    shared = X.index.intersection(time.index, sort=False)
    if len(shared) == 0:
        raise InputError(
            f"no sample with both features and survival data ({time_col!r}, {event_col!r})",
            source="clinical",
            fix="use the same sample ids in the expression and clinical files",
        )
    return X.loc[shared], clin, time.loc[shared], event.loc[shared]
