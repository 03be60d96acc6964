"""Distributions of key scores and TMB, by response when labels exist."""

from __future__ import annotations

from typing import Any

import pandas as pd

from immunescape.errors import InputError
from immunescape.report import _figures as F
from immunescape.report._builder import Builder
from immunescape.report._model import Figure

__all__ = ["scores", "DEFAULT_KEY_SCORES"]

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
