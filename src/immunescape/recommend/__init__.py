"""Countermeasures ranked per patient from the mechanisms called and the evidence behind them.

For each sample, every knowledge-base link leaving a *present* resistance mechanism proposes
its countermeasure. A countermeasure proposed by several mechanisms is listed once with all
of them. Its evidence level is never more confident than the weakest link of the chain:

``level = weaker of (level of the evidence behind the mechanism call, level of the link)``

where the call's level is the strongest level among the matched rule blocks' evidence (an
inferential rule counts as E) and the link's level is the strongest supporting item behind
the link (``KnowledgeBase.link_level``). Contested links (an item that does not support them,
e.g. IDO1 inhibition after the negative ECHO-301 trial) are flagged in the rationale.

Ranking: evidence level (A first), then the strength of the strongest mechanism behind it,
then the number of present mechanisms it addresses, then the countermeasure id (stable).
Diagnostic countermeasures (genomic testing) are ranked after therapeutic ones of the same
level. Indeterminate mechanisms propose nothing: a weak signal is reported in
``mechanisms.tsv`` but does not become a hypothesis here.

These are research hypotheses for researchers and tumour boards, not treatment advice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from immunescape._result import Result
from immunescape.errors import InputError
from immunescape.kb import LEVEL_ORDER, KnowledgeBase, load_kb
from immunescape.kb.vocabulary import disclaimer

if TYPE_CHECKING:
    from immunescape.mechanisms import MechanismCalls

__all__ = ["recommend", "Recommendations", "RECOMMENDATION_COLUMNS", "OUTPUT_COLUMNS", "DISCLAIMER"]

RECOMMENDATION_COLUMNS = [
    "sample_id",
    "rank",
    "countermeasure_id",
    "countermeasure",
    "mechanism_ids",
    "evidence_level",
    "citations",
    "trials",
    "rationale",
]
#: Columns of ``recommendations.tsv`` in output order.
OUTPUT_COLUMNS = RECOMMENDATION_COLUMNS + ["stage", "stage_as_of", "contested", "caution"]
_NEEDED = ("sample_id", "mechanism_id", "status", "strength", "level")


@dataclass
class Recommendations(Result):
    """Countermeasure hypotheses per sample.

    Attributes
    ----------
    recommendations
        ``recommendations.tsv``: one row per sample and countermeasure, ranked within each
        sample (:data:`RECOMMENDATION_COLUMNS` plus ``stage``, ``stage_as_of``,
        ``contested`` and ``caution``).
    kb_version
        Version of the knowledge base the links and levels come from.
    warnings
        Human-readable warnings (none at present).
    """

    table_names: ClassVar[tuple[str, ...]] = ("recommendations",)
    recommendations: pd.DataFrame
    kb_version: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def table(self) -> pd.DataFrame:
        """The ranked countermeasures, same as :attr:`recommendations`."""
        return self.recommendations

    @property
    def settings(self) -> dict[str, Any]:
        """The ranking rule, the knowledge base version and the disclaimer."""
        return {
            "kb_version": self.kb_version,
            "ranking": "evidence level (weaker of call and link), therapeutic before "
            "diagnostic, strongest mechanism, number of mechanisms, countermeasure id",
            "disclaimer": disclaimer(),
        }


def _weaker(a: str, b: str) -> str:
    return max(a or "E", b or "E", key=LEVEL_ORDER.index)


def recommend(
    mechanisms: pd.DataFrame | MechanismCalls, *, kb: KnowledgeBase | None = None
) -> Recommendations:
    """Rank countermeasures for every sample from its mechanism calls.

    Parameters
    ----------
    mechanisms
        The calls of :func:`immunescape.mechanisms.call_mechanisms`, or their table
        (``mechanisms.tsv``: needs sample_id, mechanism_id, status, strength, level).
    kb
        Knowledge base (default: shipped).

    Returns
    -------
    Recommendations
        ``recommendations`` (``recommendations.tsv``: :data:`RECOMMENDATION_COLUMNS` plus
        ``stage`` — for use against resistance —, ``stage_as_of`` — the date of the fact
        behind the stage —, ``contested`` and ``caution``); samples without a present
        resistance mechanism have no row.

    Raises
    ------
    InputError
        When the table lacks one of the columns named above.

    Examples
    --------
    >>> calls = pd.DataFrame({"sample_id": ["p1"], "mechanism_id": ["lag3_coinhibition"],
    ...                       "status": ["present"], "strength": [0.6], "level": ["B"]})
    >>> rec = recommend(calls)
    >>> rec.recommendations[["countermeasure_id", "evidence_level", "trials"]].values.tolist()
    [['anti_lag3', 'B', 'NCT01968109,NCT03470922']]
    """
    kb = kb or load_kb()
    if not isinstance(mechanisms, pd.DataFrame):
        mechanisms = mechanisms.mechanisms
    lacking = [c for c in _NEEDED if c not in mechanisms.columns]
    if lacking:
        raise InputError(
            f"mechanism calls lack column(s) {', '.join(lacking)}",
            source="recommend",
            fix="pass the calls of call_mechanisms (mechanisms.tsv)",
        )
    resistance = [m for m, mech in kb.mechanisms.items() if mech.effect == "resistance"]
    present = mechanisms.loc[
        mechanisms["status"].eq("present").to_numpy(dtype=bool)
        & mechanisms["mechanism_id"].isin(resistance).to_numpy(dtype=bool)
    ]
    rows = []
    for sid, group in present.groupby("sample_id", sort=False):
        proposals: dict[str, dict] = {}
        for call in group.itertuples(index=False):
            for link in kb.links_of(call.mechanism_id):
                call_level = call.level if isinstance(call.level, str) and call.level else "E"
                level = _weaker(call_level, kb.link_level(link) or "E")
                p = proposals.setdefault(link.countermeasure, {
                    "mechanisms": [], "levels": [], "strength": 0.0, "evidence": [],
                    "rationales": [], "contested": False})
                p["mechanisms"].append(call.mechanism_id)
                p["levels"].append(level)
                p["strength"] = max(p["strength"], float(call.strength))
                p["evidence"].extend(link.evidence)
                p["rationales"].append(" ".join(link.rationale.split()))
                p["contested"] |= kb.link_contested(link)
        for cm_id, p in proposals.items():
            cm = kb.countermeasures[cm_id]
            level = min(p["levels"], key=LEVEL_ORDER.index)
            cites = []
            for e in dict.fromkeys(p["evidence"]):
                if kb.evidence[e].direction == "supports":
                    cites.extend(kb.citation_ids(e))
            rationale = " | ".join(dict.fromkeys(p["rationales"]))
            if p["contested"]:
                rationale += " | CONTESTED: some cited evidence does not support this link"
            rows.append({
                "sample_id": sid,
                "countermeasure_id": cm_id,
                "countermeasure": cm.name,
                "mechanism_ids": ",".join(dict.fromkeys(p["mechanisms"])),
                "evidence_level": level,
                "citations": "; ".join(dict.fromkeys(cites)),
                "trials": ",".join(cm.trials),
                "rationale": rationale,
                "stage": cm.stage,
                "stage_as_of": cm.stage_basis.date,
                "contested": p["contested"],
                "caution": cm.caution or "",
                "_key": (LEVEL_ORDER.index(level), cm.kind == "diagnostic", -p["strength"],
                         -len(set(p["mechanisms"])), cm_id),
            })
    if not rows:
        return Recommendations(pd.DataFrame(columns=OUTPUT_COLUMNS), kb.version)
    out = pd.DataFrame(rows)
    order = {s: i for i, s in enumerate(dict.fromkeys(mechanisms["sample_id"]))}
    out["_s"] = out["sample_id"].map(order)
    out = out.sort_values(["_s", "_key"], kind="stable")
    out["rank"] = out.groupby("sample_id", sort=False).cumcount() + 1
    table = out[OUTPUT_COLUMNS].reset_index(drop=True).astype({"rank": np.int64})
    return Recommendations(table, kb.version)


def __getattr__(name: str) -> Any:
    # The project's one disclaimer (immunescape.kb.DISCLAIMER), read on first use.
    if name == "DISCLAIMER":
        return disclaimer()
    raise AttributeError(f"module 'immunescape.recommend' has no attribute {name!r}")
