"""Cohorts of a meta-analysis that hold the same patients: refused, as pooling counts them twice.

Two cohorts given under different file names can be one cohort (a copy), or overlap (a cohort
and a subset of it). Sample ids alone do not tell: unrelated cohorts reuse ids (PredictioR's
Hugo 2016 and Riaz 2017 tables both have ``Pt1`` ... ``Pt38``). A sample id present in two
cohorts is taken as the same patient when its data are the same in both: its expression
profile over the genes both matrices hold (equal to float32 precision), or, without
expression, its response and survival.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from immunescape.errors import InputError

__all__ = ["OUTCOME_COLUMNS", "CohortSamples", "check_shared_patients"]

OUTCOME_COLUMNS = ("response", "os_months", "os_event", "pfs_months", "pfs_event")


@dataclass
class CohortSamples:
    """The labelled samples of one cohort: what :func:`check_shared_patients` compares.

    Attributes
    ----------
    argument
        The cohort as the user gave it (``--cohort EXPR:CLINICAL``), for messages.
    expression
        Samples x genes values of the labelled samples (None without expression).
    outcomes
        Response and survival of the labelled samples (index: sample id).
    """

    argument: str
    expression: pd.DataFrame | None
    outcomes: pd.DataFrame


def _same_expression(a: pd.DataFrame, b: pd.DataFrame, ids: list[str]) -> list[str]:
    genes = a.columns.intersection(b.columns)
    if len(genes) == 0:
        return []
    x = a.loc[ids, genes].to_numpy(dtype=np.float32)
    y = b.loc[ids, genes].to_numpy(dtype=np.float32)
    same = np.isclose(x, y, rtol=1e-5, atol=1e-6, equal_nan=True).all(axis=1)
    return [s for s, k in zip(ids, same, strict=True) if k]


def _same_outcomes(a: pd.DataFrame, b: pd.DataFrame, ids: list[str]) -> list[str]:
    cols = [c for c in OUTCOME_COLUMNS if c in a.columns and c in b.columns]
    if not cols:
        return []
    x, y = a.loc[ids, cols].astype(object), b.loc[ids, cols].astype(object)
    same = ((x == y) | (x.isna() & y.isna())).all(axis=1) & x.notna().any(axis=1)
    return [s for s in ids if bool(same[s])]


def check_shared_patients(new: CohortSamples, earlier: list[CohortSamples]) -> None:
    """Refuse a cohort whose samples are samples of an earlier cohort (same id, same data).

    Raises
    ------
    InputError
        Naming both cohort arguments, how many sample ids they share and examples.

    Examples
    --------
    >>> o = pd.DataFrame({"response": ["R", "NR"]}, index=["P1", "P2"])
    >>> e = pd.DataFrame({"CD8A": [1.0, 2.0], "GZMA": [0.5, 0.1]}, index=["P1", "P2"])
    >>> a, b = CohortSamples("a.tsv:ca.tsv", e, o), CohortSamples("b.tsv:cb.tsv", e, o)
    >>> check_shared_patients(b, [a])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    immunescape.errors.InputError: --cohort b.tsv:cb.tsv and --cohort a.tsv:ca.tsv share 2 ...
    >>> c = CohortSamples("c.tsv:cc.tsv", e * 2, o)
    >>> check_shared_patients(c, [a]) is None  # same ids, other data: other patients
    True
    """
    for old in earlier:
        ids = [s for s in new.outcomes.index if s in set(old.outcomes.index)]
        if not ids:
            continue
        if new.expression is not None and old.expression is not None:
            same = _same_expression(new.expression, old.expression, ids)
            what = "identical expression"
        else:
            same = _same_outcomes(new.outcomes, old.outcomes, ids)
            what = "identical response and survival"
        if same:
            raise InputError(
                f"--cohort {new.argument} and --cohort {old.argument} share {len(ids)} "
                f"labelled sample id(s), {len(same)} with {what} (e.g. "
                f"{', '.join(map(str, same[:3]))}): the same patients, whom pooling would "
                "count twice",
                fix="give each cohort once, or remove the shared samples from one of them",
            )
