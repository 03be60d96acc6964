"""Resistance mechanisms across patients (matrix and frequencies) and immune phenotypes."""

from __future__ import annotations

from typing import Any

import pandas as pd

from immunescape.report import _figures as F
from immunescape.report._builder import STATUS_ORDER, Builder
from immunescape.report._format import text
from immunescape.report._model import Cell, Column, Table

__all__ = ["mechanisms", "phenotypes"]


def mechanisms(b: Builder) -> dict[str, Any] | None:
    """Mechanism x patient matrix and the per-mechanism frequency table."""
    if "mechanisms" not in b.t:
        return None
    mech = b.t["mechanisms"].drop_duplicates(["sample_id", "mechanism_id"], keep="first")
    if mech.empty:
        return {"empty": True}
    counts = (
        mech.groupby(["mechanism_id", "status"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=list(STATUS_ORDER), fill_value=0)
    )
    order = counts.sort_values(
        ["present", "indeterminate", "not_assessable"],
        ascending=[False, False, True],
        kind="stable",
    ).index.tolist()
    # Oncoprint ordering of patients: by status pattern down the frequency-ordered rows.
    code = mech.pivot(index="sample_id", columns="mechanism_id", values="status")
    code = code.reindex(columns=order).apply(lambda c: c.map(STATUS_ORDER)).fillna(4)
    samples = [s for s in b.patients if s in code.index]
    samples += [s for s in code.index if s not in set(samples)]
    code = code.loc[samples]
    samples = code.sort_values(order, kind="stable").index.tolist()
    tracks: dict[str, dict[str, str]] = {}
    if b.response:
        tracks["response"] = {s: b.response.get(s, "unknown") for s in samples}
    if "phenotypes" in b.t:
        ph = b.t["phenotypes"].drop_duplicates("sample_id")
        tracks["phenotype"] = {
            s: text(p) or "no call"
            for s, p in zip(ph["sample_id"], ph["immune_phenotype"], strict=True)
        }
    hover_limit = 0 if b.large else 300
    fig = F.mechanism_matrix(
        mech,
        mechanisms=order,
        samples=samples,
        names=b.mech_names,
        tracks=tracks,
        hover_limit=hover_limit,
    )
    n = len(samples)
    rows = []
    for m in order:
        c = counts.loc[m]
        assessable = int(c["present"] + c["indeterminate"] + c["absent"])
        rows.append(
            [
                Cell(b.mech_name(m), title=m),
                Cell(str(int(c["present"])), sort=int(c["present"]), kind="num"),
                Cell(str(int(c["indeterminate"])), sort=int(c["indeterminate"]), kind="num"),
                Cell(str(int(c["absent"])), sort=int(c["absent"]), kind="num"),
                Cell(str(int(c["not_assessable"])), sort=int(c["not_assessable"]), kind="num"),
                Cell(
                    f"{int(c['present'])}/{assessable}" if assessable else "–",
                    sort=float(c["present"] / assessable) if assessable else None,
                    kind="bar",
                    value=float(c["present"] / assessable) if assessable else None,
                ),
            ]
        )
    table = Table(
        [
            Column("mechanism"),
            Column("present", True),
            Column("indeterminate", True),
            Column("absent", True),
            Column("not assessable", True),
            Column("present / assessable", True),
        ],
        rows,
        table_id="mechanism-frequency",
        scroll=len(rows) > 15,
    )
    return {
        "empty": False,
        "figure": b.figure(
            fig,
            label=f"Matrix of {len(order)} resistance mechanisms by {n} patients",
            wide=True,
        ),
        "table": table,
        "n_patients": n,
        "tracks": list(tracks),
        "hover_note": "Hover a cell for the evidence trail."
        if hover_limit
        else "Evidence trails are on the patient pages (large cohort).",
    }


def phenotypes(b: Builder) -> dict[str, Any] | None:
    """Count immune phenotypes, by response when labels exist."""
    if "phenotypes" not in b.t:
        return None
    ph = b.t["phenotypes"].drop_duplicates("sample_id")
    pheno = ph["immune_phenotype"].map(lambda v: text(v) or "no call")
    if b.response:
        grp = ph["sample_id"].map(lambda s: b.response.get(s, "unknown"))
    else:
        grp = pd.Series("all", index=ph.index)
    counts = pd.crosstab(pheno, grp)
    order = [p for p in ("inflamed", "excluded", "desert") if p in counts.index]
    counts = counts.reindex(order + [p for p in counts.index if p not in order])
    cols = [c for c in ("R", "NR", "unknown", "all") if c in counts.columns]
    counts = counts[cols]
    rows = [
        [Cell(str(p))]
        + [
            Cell(str(int(counts.loc[p, c])), sort=int(counts.loc[p, c]), kind="num")
            for c in cols
        ]
        + (
            [Cell(str(int(counts.loc[p].sum())), sort=int(counts.loc[p].sum()), kind="num")]
            if len(cols) > 1
            else []
        )
        for p in counts.index
    ]
    table = Table(
        [Column("phenotype")]
        + [Column("patients" if c == "all" else c, True) for c in cols]
        + ([Column("total", True)] if len(cols) > 1 else []),
        rows,
        sortable=False,
    )
    fig = b.figure(F.phenotype_bars(counts), label="Patients per immune phenotype")
    return {"figure": fig, "table": table, "by_response": bool(b.response)}
