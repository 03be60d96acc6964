"""What every section builder shares: the normalised tables, names, patient order, figures.

A :class:`Builder` is made once per report from the tables checked by
:func:`~immunescape.report._tables.normalise_tables`; each section is a function of it (see
:mod:`immunescape.report._sections`). Nothing here estimates anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from immunescape.report._figures import Fig
from immunescape.report._format import anchor_ids, fmt_num, fmt_p, is_missing, safe_json, text
from immunescape.report._model import Cell, Figure
from immunescape.tables import MECHANISM_STATUSES

__all__ = ["Builder", "LARGE_COHORT", "STATUS_ORDER", "num_cell", "to_float", "show"]

#: Mechanism statuses in the order the report lists them (present first).
STATUS_ORDER = {s: i for i, s in enumerate(MECHANISM_STATUSES)}
#: Above this many patients the report is compacted (short hovers, no per-patient event lists).
LARGE_COHORT = 200


def to_float(value: Any, default: float = float("nan")) -> float:
    """Return ``value`` as a float, ``default`` when it is missing or not a number.

    Examples
    --------
    >>> to_float("2.5"), to_float(None, 0.0), to_float("n/a", -1.0)
    (2.5, 0.0, -1.0)
    """
    try:
        x = float(value)
    except (TypeError, ValueError):
        return default
    return default if x != x else x


def num_cell(value: Any, *, digits: int = 3, p: bool = False) -> Cell:
    """Return a right-aligned numeric cell (a p-value when ``p``), sorted by its value."""
    v = to_float(value)
    return Cell(fmt_p(v) if p else fmt_num(v, digits), sort=None if v != v else v, kind="num")


def show(value: Any) -> str:
    """Return a value of a per-sample table as shown on a patient page (booleans as yes/no).

    Examples
    --------
    >>> show(True), show(0.123456), show(None)
    ('yes', '0.123', '–')
    """
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return fmt_num(value)
    return text(value) or "–"


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot serialise {type(obj).__name__} in a figure")


class Builder:
    """The shared state of one report's sections, built from normalised tables.

    Parameters
    ----------
    tables
        Short name -> DataFrame, checked by :func:`normalise_tables`.
    run
        The run.json content.
    key_scores
        Score ids for the distributions section, or None for the defaults.
    ignored
        Names of the given tables the report does not show.
    """

    def __init__(
        self,
        tables: Mapping[str, pd.DataFrame],
        *,
        run: Mapping[str, Any],
        key_scores: Sequence[str] | None,
        ignored: Sequence[str] = (),
    ) -> None:
        self.t = dict(tables)
        self.ignored = list(ignored)
        self.run = run
        self.key_scores = key_scores
        self._n_fig = 0
        self.response: dict[str, str] = {}
        if "clinical" in self.t:
            c = self.t["clinical"].drop_duplicates("sample_id")
            self.response = dict(zip(c["sample_id"], c["response"], strict=True))
        self.feature_names: dict[str, str] = {}
        if "features" in self.t and "name" in self.t["features"]:
            f = self.t["features"]
            self.feature_names = {i: text(n) or i for i, n in zip(f["id"], f["name"], strict=True)}
        self.mech_names = self._mechanism_names()
        self.patients = self._patient_order()
        self.anchors = anchor_ids(self.patients, prefix="patient")
        self.large = len(self.patients) > LARGE_COHORT

    @property
    def n_figures(self) -> int:
        """Number of plotly figures made so far."""
        return self._n_fig

    def figure(
        self,
        fig: Fig,
        *,
        label: str,
        caption: str | None = None,
        wide: bool = False,
        title: str | None = None,
    ) -> Figure:
        """Serialise a plotly figure for the template."""
        self._n_fig += 1
        payload = safe_json(
            json.dumps(
                fig.to_dict(),
                separators=(",", ":"),
                allow_nan=False,
                ensure_ascii=False,
                default=_json_default,
            )
        )
        return Figure(f"fig-{self._n_fig}", payload, label, caption, wide, title)

    def _mechanism_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        if "mechanism_info" in self.t and "name" in self.t["mechanism_info"]:
            info = self.t["mechanism_info"]
            for m, n in zip(info["mechanism_id"], info["name"], strict=True):
                if not is_missing(n):
                    names[m] = str(n)
        mech = self.t.get("mechanisms")
        if mech is not None:
            for col in ("mechanism_name", "name"):
                if col in mech:
                    for m, n in zip(mech["mechanism_id"], mech[col], strict=True):
                        if m not in names and not is_missing(n):
                            names[m] = str(n)
            for m in mech["mechanism_id"]:
                names.setdefault(m, m)
        return names

    def mech_name(self, mechanism_id: str) -> str:
        """Display name of a mechanism (its id when no name is known)."""
        return self.mech_names.get(mechanism_id, mechanism_id)

    def _patient_order(self) -> list[str]:
        per_patient = ("mechanisms", "phenotypes", "recommendations", "predictions", "drivers")
        present = [k for k in per_patient if k in self.t]
        if not present:
            return []
        order: list[str] = []
        for key in ("scores", "clinical", *present):
            if key in self.t:
                order.extend(self.t[key]["sample_id"])
        seen = set().union(*(set(self.t[k]["sample_id"]) for k in present))
        return [s for s in dict.fromkeys(order) if s in seen]

    def score_label(self, score_id: str) -> str:
        """Label a feature "Name (id)" when features.tsv names it."""
        name = self.feature_names.get(score_id)
        return f"{name} ({score_id})" if name and name != score_id else score_id

    def by_sample(self, key: str) -> dict[str, list[dict[str, Any]]]:
        """Rows of table ``key`` grouped by sample_id (empty when the table is absent)."""
        if key not in self.t:
            return {}
        out: dict[str, list[dict[str, Any]]] = {}
        for r in self.t[key].to_dict("records"):
            out.setdefault(r["sample_id"], []).append(r)
        return out
