"""Immune phenotype per sample (inflamed / excluded / desert) from the knowledge base's rule."""

from __future__ import annotations

import numpy as np
import pandas as pd

from immunescape.kb import KnowledgeBase, load_kb
from immunescape.mechanisms._engine import _Evaluator
from immunescape.mechanisms._evidence import Evidence

__all__ = ["immune_phenotypes", "PHENOTYPE_COLUMNS"]

PHENOTYPE_COLUMNS = [
    "sample_id",
    "immune_phenotype",
    "t_cell_score",
    "t_cell_value",
    "t_cell_percentile",
    "stroma_score",
    "stroma_value",
    "stroma_percentile",
    "rule",
]


def immune_phenotypes(evidence: Evidence, *, kb: KnowledgeBase | None = None) -> pd.DataFrame:
    """Classify each sample as inflamed, excluded or desert from RNA.

    The rule is data (``kb/data/phenotype.yaml``): by default *inflamed* when CD8
    T-effector expression (``cd8_teff``) is in the cohort's top tertile; otherwise *excluded*
    when the pan-fibroblast TGF-beta response (``pan_ftbrs``) is in the top tertile; otherwise
    *desert* (Chen & Mellman 2017, PMID 28102259; Mariathasan et al. 2018, PMID 29443960).
    Bulk RNA cannot see where T cells sit, so this is an inference. A sample whose scores or
    percentiles are missing gets NA.

    Parameters
    ----------
    evidence
        Needs ``scores`` (and optionally ``reference_scores``).
    kb
        Knowledge base (default: shipped).

    Returns
    -------
    pandas.DataFrame
        ``phenotypes.tsv`` columns (:data:`PHENOTYPE_COLUMNS`).
    """
    kb = kb or load_kb()
    model = kb.phenotype
    E = _Evaluator(evidence, kb, kb.parameters)
    idx = E.idx
    result = pd.Series(pd.NA, index=idx, dtype=object)
    rule_text = pd.Series("", index=idx, dtype=object)
    undecided = pd.Series(True, index=idx)
    for rule in model.rules:
        res = E.block(rule.when)
        known = res.value.notna()
        hit = res.value.fillna(False).astype(bool) & undecided & known
        result[hit] = rule.phenotype
        rule_text[hit] = res.text[hit]
        # an unknown value leaves the sample undecided for good (NA, never a guess)
        result[undecided & ~known] = pd.NA
        undecided &= known & ~hit
    t = E._score_pct(model.t_cell_score)
    st = E._score_pct(model.stroma_score)
    rest = undecided & t.notna() & st.notna()
    result[rest] = model.otherwise
    rule_text[rest] = [f"neither rule met ({a}; {b})" for a, b in zip(
        _pct_text(E, model.t_cell_score, t[rest]), _pct_text(E, model.stroma_score, st[rest]),
        strict=True)]
    scores = evidence.scores if evidence.scores is not None else pd.DataFrame(index=idx)

    def raw(col: str) -> pd.Series:
        if col in scores.columns:
            return scores[col].reindex(idx)
        return pd.Series(np.nan, index=idx)

    out = pd.DataFrame({
        "sample_id": idx,
        "immune_phenotype": result.to_numpy(),
        "t_cell_score": model.t_cell_score,
        "t_cell_value": raw(model.t_cell_score).to_numpy(),
        "t_cell_percentile": t.to_numpy(),
        "stroma_score": model.stroma_score,
        "stroma_value": raw(model.stroma_score).to_numpy(),
        "stroma_percentile": st.to_numpy(),
        "rule": rule_text.to_numpy(),
    })
    return out[PHENOTYPE_COLUMNS]


def _pct_text(E: _Evaluator, score: str, pct: pd.Series) -> list[str]:
    from immunescape.mechanisms._engine import ordinal

    return [f"{E.name(score)} at the {ordinal(v)} percentile" for v in pct]
