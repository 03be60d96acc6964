"""Distributions of key scores and TMB, by response when labels exist."""

from __future__ import annotations

from typing import Any

import pandas as pd

from immunescape.errors import InputError
from immunescape.report import _figures as F
from immunescape.report._builder import Builder
from immunescape.report._model import Cell, Column, Figure, Table

__all__ = ["scores", "DEFAULT_KEY_SCORES", "MIN_DISTRIBUTION"]

#: Fewest patients for a distribution plot; below it the values are listed with their
#: percentile against the shipped reference (a box of one point shows nothing).
MIN_DISTRIBUTION = 2

#: Scores shown by default in the distributions section (those present in scores.tsv).
DEFAULT_KEY_SCORES = (
    "gep18",
    "ifng6",
    "cyt",
    "cd8_teff",
    "impres",
    "ips",
    "tls9",
    "davoli_is",
    "pan_ftbrs",
    "apm",
    "jerby_resistance",
    "mcp_cd8_t_cells",
)


def scores(b: Builder) -> dict[str, Any] | None:
    """Distributions of key scores (and TMB), by response when labels exist."""
    if "scores" not in b.t and "tmb" not in b.t:
        return None
    figs: list[Figure] = []
    groups = pd.Series(b.response, dtype=object) if b.response else None
    if "scores" in b.t:
        sc = b.t["scores"].drop_duplicates("sample_id").set_index("sample_id")
        numeric = [c for c in sc.columns if pd.api.types.is_numeric_dtype(sc[c])]
        if b.key_scores is not None:
            unknown = [k for k in b.key_scores if k not in sc.columns]
            if unknown:
                raise InputError(
                    f"key score(s) {', '.join(unknown)} not in scores.tsv",
                    source="render_report(key_scores=...)",
                    fix="name columns of scores.tsv",
                )
            keys = list(b.key_scores)
        else:
            keys = [k for k in DEFAULT_KEY_SCORES if k in numeric] or numeric[:8]
        if len(sc) < MIN_DISTRIBUTION:
            tmb = b.t["tmb"].drop_duplicates("sample_id").set_index("sample_id")[
                "tmb_per_mb"] if "tmb" in b.t else None
            return _few_patients(b, sc[keys], tmb)
        for k in keys:
            figs.append(
                b.figure(
                    F.score_box(sc[k], groups=groups),
                    label=f"Distribution of {k}"
                    + (" by response" if groups is not None else ""),
                    title=b.score_label(k),
                )
            )
    if "tmb" in b.t:
        tmb = b.t["tmb"].drop_duplicates("sample_id").set_index("sample_id")["tmb_per_mb"]
        figs.append(
            b.figure(
                F.score_box(tmb, groups=groups, y_title="mutations / Mb"),
                label="Distribution of TMB",
                title="Tumour mutational burden (tmb.tsv)",
            )
        )
    if not figs:
        return None
    return {"figures": figs, "by_response": groups is not None}


def _few_patients(b: Builder, sc: pd.DataFrame, tmb: pd.Series | None) -> dict[str, Any]:
    """List each patient's key scores with their percentile against the shipped reference."""
    from immunescape.mechanisms import percentile_table
    from immunescape.mechanisms._reference import reference_score_table

    ref = (b.run or {}).get("reference") or {}
    shipped = ref.get("basis") == "shipped reference" and ref.get("group")
    table = reference_score_table(str(ref["group"])) if shipped else None
    pct = percentile_table(sc, reference=table.reindex(columns=sc.columns)) if shipped and (
        table is not None) else None
    where = (f"the shipped {ref['group']} reference (n={ref.get('n')}, {ref.get('file')})"
             if shipped else "")
    rows: list[list[Cell]] = []
    for sid in sc.index:
        for k in sc.columns:
            v, p = sc.at[sid, k], (pct.at[sid, k] if pct is not None else float("nan"))
            if pd.isna(p):
                why = "cohort-relative score: no fixed reference" if shipped else (
                    "no shipped reference for this input")
            else:
                why = f"{p:.0f}"
            rows.append([Cell(str(sid)), Cell(b.score_label(k), title=k),
                         Cell("" if pd.isna(v) else f"{float(v):.3g}", sort=None if pd.isna(v)
                              else float(v), kind="num"),
                         Cell(why, sort=None if pd.isna(p) else float(p),
                              kind="num" if not pd.isna(p) else "text")])
        if tmb is not None and sid in tmb.index and not pd.isna(tmb[sid]):
            t = float(tmb[sid])
            rows.append([Cell(str(sid)), Cell("Tumour mutational burden (mutations / Mb)"),
                         Cell(f"{t:.3g}", sort=t, kind="num"),
                         Cell("TMB-high (>= 10 / Mb)" if t >= 10 else "below TMB-high (10 / Mb)")])
    note = (f"Too few patients for distributions: each value with its percentile against "
            f"{where}." if shipped else
            "Too few patients for distributions, and no shipped reference applies (see "
            "run.json): the values are listed.")
    return {"figures": [], "by_response": False, "note": note, "table": Table(
        [Column("patient"), Column("score"), Column("value", True),
         Column("percentile vs reference", True)], rows, table_id="key-scores")}
