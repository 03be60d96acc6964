"""Shared validation and small helpers of the cohort comparison.

Every user-facing problem raises :class:`~immunescape.errors.InputError` with one line naming
the argument, what is wrong and how to fix it.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ParamSpec

import numpy as np
import pandas as pd

from immunescape._validate import check_range
from immunescape.errors import InputError

__all__ = [
    "RESPONDER",
    "NON_RESPONDER",
    "check_groups",
    "clinical_frame",
    "covariate_values",
    "recorded_warnings",
    "numeric_features",
    "public_table",
    "require_columns",
    "response_labels",
    "shared_samples",
    "short_list",
]

RESPONDER = "R"
NON_RESPONDER = "NR"

P = ParamSpec("P")

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


def _unique_ids(index: pd.Index, *, source: str, fix: str) -> None:
    """Raise if ``index`` repeats a sample id (naming the repeated ones)."""
    if index.has_duplicates:
        dup = index[index.duplicated()].unique()
        raise InputError(f"duplicated sample ids: {short_list(dup)}", source=source, fix=fix)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, source: str, fix: str) -> None:
    """Raise for the first of ``columns`` missing from ``frame`` (listing the columns there).

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], source="meta", fix="name it")
    Traceback (most recent call last):
    ...
    immunescape.errors.InputError: meta: no column 'b' (columns: a); fix: name it
    """
    for col in columns:
        if col not in frame.columns:
            raise InputError(
                f"no column {col!r} (columns: {short_list(frame.columns, 12)})",
                source=source,
                fix=fix,
            )


def shared_samples(data: pd.DataFrame, response: pd.Series, *, what: str = "features") -> pd.Index:
    """Sample ids of ``data`` that have a response label; an error if there is none.

    Examples
    --------
    >>> shared_samples(pd.DataFrame(index=["a", "b"]), pd.Series(["R"], index=["b"])).tolist()
    ['b']
    """
    shared = data.index.intersection(response.index, sort=False)
    if len(shared) == 0:
        raise InputError(
            f"no sample id shared by the {what} ({short_list(data.index[:3])}) and the "
            f"response ({short_list(response.index[:3])})",
            source="response",
            fix="use the same sample ids in the expression and clinical files",
        )
    return shared


def covariate_values(column: pd.Series, *, where: str = "") -> pd.Series | None:
    """Check a covariate has no missing value; return it as float if numeric, else None.

    ``where`` completes the message (e.g. ``" with survival data"``).

    Examples
    --------
    >>> covariate_values(pd.Series([1, 2], name="age")).tolist()
    [1.0, 2.0]
    >>> covariate_values(pd.Series(["m", None], index=["a", "b"], name="sex"))
    Traceback (most recent call last):
    ...
    immunescape.errors.InputError: covariates: covariate 'sex' is missing for 1 sample(s): b; \
fix: fill the covariate, drop those samples, or leave the covariate out
    """
    miss = column.isna()
    if miss.any():
        raise InputError(
            f"covariate {column.name!r} is missing for {int(miss.sum())} sample(s){where}: "
            f"{short_list(column.index[miss])}",
            source="covariates",
            fix="fill the covariate, drop those samples, or leave the covariate out",
        )
    if pd.api.types.is_bool_dtype(column):
        return None
    num = pd.to_numeric(column, errors="coerce")
    return num.astype(float) if num.notna().all() else None


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
    _unique_ids(response.index, source=source, fix="give one response per sample")
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
    value = min_per_group.item() if isinstance(min_per_group, np.integer) else min_per_group
    check_range("min_per_group", value, low=2, integer=True)
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
    _unique_ids(features.index, source=source, fix="one row per sample")
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
        _unique_ids(clinical.index, source=source, fix="one row per sample")
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


@contextmanager
def recorded_warnings() -> Iterator[list[str]]:
    """Collect the messages of the warnings raised inside the block (none is shown).

    The list is filled when the block ends.

    Examples
    --------
    >>> import warnings
    >>> with recorded_warnings() as messages:
    ...     warnings.warn("few samples")
    >>> messages
    ['few samples']
    """
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield messages
    messages.extend(str(w.message) for w in caught)


def public_table(
    analysis: Callable[P, tuple[pd.DataFrame, dict[str, Any]]],
) -> Callable[P, pd.DataFrame]:
    """Return the public form of ``_<name>(...) -> (table, settings)``: the table only.

    One implementation serves both: :func:`~immunescape.compare.compare_cohort` calls the
    private form to keep the settings for ``run.json``; users call the public one, which has
    the same parameters and docstring (whose examples doctest runs from the private form).
    """

    def public(*args: P.args, **kwargs: P.kwargs) -> pd.DataFrame:
        return analysis(*args, **kwargs)[0]

    name = analysis.__name__.removeprefix("_")
    public.__name__ = public.__qualname__ = name
    public.__module__ = analysis.__module__
    public.__doc__ = analysis.__doc__
    sig = inspect.signature(analysis).replace(return_annotation="pd.DataFrame")
    setattr(public, "__signature__", sig)  # noqa: B010 - functions have no typed slot for it
    return public
