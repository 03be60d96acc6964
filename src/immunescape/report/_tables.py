"""Normalising the tables the report accepts (their contract is :mod:`immunescape.tables`).

The report takes result tables only (computing never renders; rendering never computes).
Each table is checked once here, so the section builders can rely on its columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from immunescape.errors import InputError
from immunescape.tables import MECHANISM_STATUSES, TABLE_SPECS, TableSpec

__all__ = ["normalise_tables", "check_table", "table_key"]


def table_key(name: str) -> str:
    """Return the short name of a table given as a path or file name.

    Examples
    --------
    >>> table_key("out/scores.tsv"), table_key("km")
    ('scores', 'km')
    """
    key = name.rsplit("/", 1)[-1]
    return key.removesuffix(".tsv")


def check_table(name: str, df: Any, spec: TableSpec, *, key: str) -> pd.DataFrame:
    """Return a checked copy of one table, with a default RangeIndex.

    Columns given under an alias are renamed; a key column kept as the index is moved back
    into the columns.

    Raises
    ------
    InputError
        ``df`` is not a DataFrame or lacks a required column.
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(
            f"table {name!r} is a {type(df).__name__}, not a pandas DataFrame",
            source="render_report(tables=...)",
            fix="read the TSV with pandas.read_csv(path, sep='\\t')",
        )
    frame = df
    renames = {a: c for a, c in spec.aliases if a in frame.columns and c not in frame.columns}
    if renames:
        frame = frame.rename(columns=renames)
    if any(c not in frame.columns for c in spec.required) and any(
        n in spec.required for n in frame.index.names if n is not None
    ):
        frame = frame.reset_index()
    missing = [c for c in spec.required if c not in frame.columns]
    if missing:
        raise InputError(
            f"table {key!r} lacks column(s) {', '.join(missing)}; "
            f"found {', '.join(map(str, frame.columns[:12]))}",
            source=spec.description or key,
            fix="required columns: " + ", ".join(spec.required),
        )
    return frame.reset_index(drop=True).copy()


def normalise_tables(
    tables: Mapping[str, pd.DataFrame],
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Check the tables and return copies keyed by their short name.

    Keys may be given with or without ``.tsv`` (``"scores.tsv"`` or ``"scores"``). A key column
    kept as the index (``features.tsv`` written with ``id`` as index) is moved back into the
    columns. Tables the report does not know are left out and named in the second value.

    Parameters
    ----------
    tables
        Table name -> DataFrame.

    Returns
    -------
    tables : dict
        Short name -> DataFrame with a default RangeIndex.
    ignored : list of str
        Names of the tables the report does not show.

    Raises
    ------
    InputError
        A value that is not a DataFrame, a table given twice, a missing column or an unknown
        mechanism status.
    """
    out: dict[str, pd.DataFrame] = {}
    ignored: list[str] = []
    for name, df in tables.items():
        key = table_key(str(name))
        if key not in TABLE_SPECS:
            ignored.append(str(name))
            continue
        if key in out:
            raise InputError(
                f"table {key!r} given twice",
                source="render_report(tables=...)",
                fix="pass each table once",
            )
        frame = check_table(str(name), df, TABLE_SPECS[key], key=key)
        for col in (
            "sample_id",
            "patient_id",
            "feature",
            "model",
            "mechanism_id",
            "gene",
            "id",
            "group",
            "pathway",
        ):
            if col in frame.columns:
                frame[col] = frame[col].astype(str)
        out[key] = frame
    if "mechanisms" in out:
        status = out["mechanisms"]["status"].astype(str).str.strip().str.lower()
        bad = sorted(set(status) - set(MECHANISM_STATUSES))
        if bad:
            raise InputError(
                f"mechanism status {', '.join(map(repr, bad[:5]))} is not one of "
                + ", ".join(MECHANISM_STATUSES),
                source="mechanisms.tsv",
                fix="use the statuses of the DESIGN.md contract",
            )
        out["mechanisms"]["status"] = status
    if "clinical" in out:
        resp = out["clinical"]["response"].astype("string").str.strip().str.upper()
        out["clinical"]["response"] = resp.where(resp.isin(["R", "NR"]), "unknown").astype(str)
    return out, ignored
