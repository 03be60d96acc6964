"""Small pieces shared by the predict modules: option vocabularies, labels, JSON writing.

The option words mean the same in every predict function:

``standardize``
    ``"none"``: features are used as given. ``"cohort"``: every feature is z-scored within
    each cohort (its own mean and SD, never its labels). ``"global"``: z-scored with the pooled
    training statistics. ``"reference"``: z-scored with fixed reference statistics stored at
    training time (cohort-free: every patient is scored alone). Each function accepts the
    subset that applies to it (its ``Literal`` type says which).
``on_missing``
    ``"error"``: a missing feature raises :class:`~immunescape.errors.InputError` listing all
    of them; ``"drop"``: missing features are left out (and recorded) and the work goes on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from immunescape.errors import InputError

#: Every standardisation word of the predict package (see the module documentation) and the
#: subsets each function accepts.
Standardize = Literal["none", "cohort", "global", "reference"]
ModelStandardize = Literal["cohort", "global"]  # ResponseModel
RobustStandardize = Literal["cohort", "reference"]  # RobustModel
ValidationStandardize = Literal["none", "cohort", "global"]  # leave_one_cohort_out, nested_cv
#: What to do with missing features.
#: Capture assay of a TMB value (the TMB >= 10/Mb cut-off is defined on panel TMB).

#: Label of the samples of a cohort not seen in training, when none is given.
NEW_COHORT = "<new cohort>"


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, without overflow warnings for large negative log-odds.

    Examples
    --------
    >>> sigmoid(np.array([0.0, -1000.0])).tolist()
    [0.5, 0.0]
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def listing(items: Sequence[str], limit: int = 12) -> str:
    """Comma-separated items, cut after ``limit`` with the total number.

    Examples
    --------
    >>> listing(["a", "b", "c"], limit=2)
    'a, b ... (3 in all)'
    """
    shown = ", ".join(map(str, items[:limit]))
    return shown + (f" ... ({len(items)} in all)" if len(items) > limit else "")


def cohort_labels(cohort: object, n: int, *, source: str = "cohort") -> np.ndarray | None:
    """One cohort label (as text) per sample; a single label is repeated; None stays None.

    Examples
    --------
    >>> cohort_labels("a", 2).tolist(), cohort_labels(None, 2)
    (['a', 'a'], None)
    """
    if cohort is None:
        return None
    labels = np.asarray(cohort, dtype=object)
    if labels.ndim == 0:
        labels = np.full(n, labels.item(), dtype=object)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise InputError(
            f"expected {n} cohort labels (one per sample), got shape {labels.shape}",
            source=source,
            fix="pass one cohort label per row of X (or one label for all)",
        )
    if pd.isna(pd.Series(labels)).any():
        raise InputError("missing cohort label(s)", source=source, fix="label every sample")
    return np.asarray([str(v) for v in labels], dtype=object)


def plain(value: Any) -> Any:
    """JSON-safe copy: numpy scalars and arrays to Python, non-finite floats to None.

    Examples
    --------
    >>> plain({"a": np.float64(1.5), "b": np.array([1, 2]), "c": float("nan")})
    {'a': 1.5, 'b': [1, 2], 'c': None}
    """
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        v = float(value)
        return v if np.isfinite(v) else None
    return value


def write_json(doc: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a JSON document atomically (a temporary file renamed); same document, same bytes.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    out = Path(path)
    text = json.dumps(doc, indent=1, sort_keys=False, allow_nan=False) + "\n"
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
