"""Shared validation and small helpers of the cohort comparison.

Every user-facing problem raises :class:`~immunescape.errors.InputError` with one line naming
the argument, what is wrong and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from immunescape.errors import InputError

__all__ = [
    "RESPONDER",
    "NON_RESPONDER",
    "check_groups",
    "clinical_frame",
    "numeric_features",
    "response_labels",
    "short_list",
]

RESPONDER = "R"
NON_RESPONDER = "NR"

_R_VALUES = {"r", "responder", "responders", "response", "yes", "true", "1", "1.0"}
_NR_VALUES = {
    "nr",
    "non-responder",
    "nonresponder",
    "non_responder",
    "non-responders",
    "nonresponse",
    "non-response",
    "no",
    "false",
    "0",
    "0.0",
}


def short_list(items: Iterable[object], limit: int = 5) -> str:
    """Return ``a, b, c`` (at most ``limit`` items, then ``... (+k more)``)."""
    texts = [str(i) for i in items]
    text = ", ".join(texts[:limit])
    if len(texts) > limit:
        text += f" ... (+{len(texts) - limit} more)"
    return text


def response_labels(response: object, *, source: str = "response") -> pd.Series:
    """Return the response as a Series of ``"R"`` / ``"NR"`` indexed by sample, missing dropped.

    Accepts ``R``/``NR`` (any case), responder/non-responder, yes/no, true/false and 1/0;
    missing values (NaN, None, ``<NA>``, empty) are dropped.

    Examples
    --------
    >>> response_labels(pd.Series(["R", "nr", None, 1], index=["a", "b", "c", "d"])).tolist()
    ['R', 'NR', 'R']
    """
    if not isinstance(response, pd.Series):
        raise InputError(
            f"response must be a pandas Series indexed by sample id, got {type(response).__name__}",
            source=source,
            fix="pass clinical.response (values R / NR, index = sample ids)",
        )
    if response.index.has_duplicates:
        dup = response.index[response.index.duplicated()].unique()
        raise InputError(
            f"duplicated sample ids: {short_list(dup)}",
            source=source,
            fix="give one response per sample",
        )
    out: dict[Any, str] = {}
    bad: list[str] = []
    for sample, value in response.items():
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            continue
        if isinstance(value, bool | np.bool_):
            text = "true" if value else "false"
        else:
            text = str(value).strip().lower()
        if text in ("", "na", "nan", "<na>", "none"):
            continue
        if text in _R_VALUES:
            out[sample] = RESPONDER
        elif text in _NR_VALUES:
            out[sample] = NON_RESPONDER
        else:
            bad.append(str(value))
    if bad:
        raise InputError(
            f"unknown response value(s): {short_list(sorted(set(bad)))}",
            source=source,
            fix="use R / NR (or 1 / 0); harmonise RECIST with immunescape.io.read_clinical",
        )
    return pd.Series(out, dtype=object, name="response")


def check_groups(
    y: pd.Series, *, min_per_group: int, what: str = "comparison", source: str = "response"
) -> tuple[int, int]:
    """Raise unless both response groups have at least ``min_per_group`` samples.

    Returns
    -------
    tuple of int
        ``(n_responders, n_non_responders)``.
    """
    if isinstance(min_per_group, bool) or not isinstance(min_per_group, int | np.integer):
        raise InputError(
            f"min_per_group must be an integer, got {min_per_group!r}",
            source="min_per_group",
            fix="use e.g. min_per_group=3",
        )
    if min_per_group < 2:
        raise InputError(
            f"min_per_group must be at least 2, got {min_per_group}",
            source="min_per_group",
            fix="use e.g. min_per_group=3",
        )
    n_r = int((y == RESPONDER).sum())
    n_nr = int((y == NON_RESPONDER).sum())
    if n_r == 0 or n_nr == 0:
        missing = "responders" if n_r == 0 else "non-responders"
        raise InputError(
            f"{what}: no {missing} ({n_r} responders, {n_nr} non-responders with data)",
            source=source,
            fix="check the response column and the sample ids shared by the inputs",
        )
    if n_r < min_per_group or n_nr < min_per_group:
        raise InputError(
            f"{what}: too few samples per group ({n_r} responders, {n_nr} non-responders; "
            f"minimum {min_per_group} each)",
            source=source,
            fix="add samples or lower min_per_group (results on so few are not reliable)",
        )
    return n_r, n_nr


def numeric_features(features: object, *, source: str = "features") -> pd.DataFrame:
    """Validate a samples x features table and return it as float64 (bool -> 0/1)."""
    if isinstance(features, pd.Series):
        features = features.to_frame(features.name if features.name is not None else "feature")
    if not isinstance(features, pd.DataFrame):
        raise InputError(
            f"features must be a pandas DataFrame (samples x features), got "
            f"{type(features).__name__}",
            source=source,
            fix="pass a table with sample ids as index and one column per feature",
        )
    if features.index.has_duplicates:
        dup = features.index[features.index.duplicated()].unique()
        raise InputError(
            f"duplicated sample ids: {short_list(dup)}", source=source, fix="one row per sample"
        )
    if features.columns.has_duplicates:
        dup = features.columns[features.columns.duplicated()].unique()
        raise InputError(
            f"duplicated feature names: {short_list(dup)}",
            source=source,
            fix="give each feature a unique name",
        )
    out = {}
    bad = []
    for col in features.columns:
        s = features[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = s.astype(float)
            continue
        num = pd.to_numeric(s, errors="coerce")
        if (num.isna() & s.notna()).any():
            bad.append(str(col))
            continue
        out[col] = num.astype(float)
    if bad:
        raise InputError(
            f"non-numeric feature column(s): {short_list(bad)}",
            source=source,
            fix="encode features as numbers (e.g. 0/1 for a mutation) or drop them",
        )
    frame = pd.DataFrame(out, index=features.index)
    frame.columns = [str(c) for c in frame.columns]
    frame = frame.replace([np.inf, -np.inf], np.nan)
    return frame


def clinical_frame(clinical: object, *, source: str = "clinical") -> pd.DataFrame:
    """Return a clinical table as one DataFrame indexed by sample id.

    A :class:`~immunescape.io.ClinicalTable` gives its harmonised ``data`` columns joined with
    its ``extra`` columns (harmonised names win).
    """
    data = getattr(clinical, "data", None)
    extra = getattr(clinical, "extra", None)
    if isinstance(data, pd.DataFrame):
        frame = data
        if isinstance(extra, pd.DataFrame) and not extra.empty:
            frame = data.join(extra.drop(columns=[c for c in extra if c in data]), how="left")
        return frame
    if isinstance(clinical, pd.DataFrame):
        if clinical.index.has_duplicates:
            dup = clinical.index[clinical.index.duplicated()].unique()
            raise InputError(
                f"duplicated sample ids: {short_list(dup)}", source=source, fix="one row per sample"
            )
        return clinical
    raise InputError(
        f"clinical must be a ClinicalTable or a DataFrame indexed by sample id, got "
        f"{type(clinical).__name__}",
        source=source,
        fix="read it with immunescape.io.read_clinical",
    )


def sort_by_p(table: pd.DataFrame, col: str = "p_value") -> pd.DataFrame:
    """Sort by ``col`` ascending, NaN last, keeping the input order among ties."""
    return table.sort_values(col, kind="mergesort", na_position="last").reset_index(drop=True)


def kinds_of(feature_info: object, names: Iterable[str]) -> list[str] | None:
    """Feature kinds from a features table (id, kind), a Series or a mapping; None if absent."""
    if feature_info is None:
        return None
    mapping: Mapping[str, str]
    if isinstance(feature_info, pd.DataFrame):
        if "kind" not in feature_info.columns:
            raise InputError(
                "feature_info has no 'kind' column",
                source="feature_info",
                fix="pass ScoreResult.features (columns id, kind, ...)",
            )
        idx = feature_info["id"] if "id" in feature_info.columns else feature_info.index
        mapping = dict(zip(idx.astype(str), feature_info["kind"].astype(str), strict=True))
    elif isinstance(feature_info, pd.Series):
        mapping = {str(k): str(v) for k, v in feature_info.items()}
    elif isinstance(feature_info, Mapping):
        mapping = {str(k): str(v) for k, v in feature_info.items()}
    else:
        raise InputError(
            f"feature_info must be a DataFrame, Series or mapping, got "
            f"{type(feature_info).__name__}",
            source="feature_info",
        )
    return [mapping.get(n, "") for n in names]
