"""Rendering the knowledge base for people: the ``kb list`` table and ``kb show`` text.

Nothing here imports pandas except :func:`kb_table` (``kb list`` starts fast).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from immunescape._validate import check_choice
from immunescape.kb._knowledge import KnowledgeBase
from immunescape.kb._load import load_kb
from immunescape.kb.schema import (
    ClinicalCondition,
    Condition,
    Countermeasure,
    DiscordanceCondition,
    FeatureCondition,
    GeneEventsCondition,
    GroupCondition,
    Link,
    Mechanism,
    Parameters,
    RuleBlock,
    ScoreCondition,
    SeedAnchor,
)

if TYPE_CHECKING:  # pandas is imported by kb_table only
    import pandas as pd

__all__ = [
    "KBKind",
    "KB_TABLE_COLUMNS",
    "kb_table",
    "kb_rows",
    "describe_condition",
    "render_entry",
]

#: Which records :func:`kb_table` lists.
KBKind = Literal["all", "mechanisms", "countermeasures", "evidence"]


def kb_table(
    kb: KnowledgeBase | None = None,
    *,
    kind: KBKind = "all",
) -> pd.DataFrame:
    """One row per record, for ``immunescape kb list``.

    Parameters
    ----------
    kb
        A loaded KB (the shipped one if None).
    kind
        Which records to list.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``kind``, ``name``, ``group`` (mechanism category, countermeasure
        kind or evidence level/model), ``requires`` (mechanisms), ``n_evidence``,
        ``best_level``.

    Examples
    --------
    >>> t = kb_table(kind="countermeasures")
    >>> t.loc[t.id == "anti_lag3", "best_level"].item()
    'A'
    """
    import pandas as pd

    return pd.DataFrame(kb_rows(kb, kind=kind), columns=KB_TABLE_COLUMNS)


#: Columns of :func:`kb_table` and of the rows of :func:`kb_rows`.
KB_TABLE_COLUMNS = ["id", "kind", "name", "group", "requires", "n_evidence", "best_level"]


def kb_rows(
    kb: KnowledgeBase | None = None,
    *,
    kind: KBKind = "all",
) -> list[dict[str, Any]]:
    """Return the rows of :func:`kb_table` as plain dicts (no pandas: ``kb list`` starts fast).

    Examples
    --------
    >>> kb_rows(kind="countermeasures")[0]["kind"]
    'countermeasure'
    """
    check_choice("kind", kind, KBKind)
    kb = kb or load_kb()
    rows: list[dict[str, Any]] = []
    if kind in ("all", "mechanisms"):
        for m in kb.mechanisms.values():
            rows.append({
                "id": m.id, "kind": "mechanism", "name": m.name, "group": m.category,
                "requires": ",".join(m.requires) or "not assessable",
                "n_evidence": len(m.evidence), "best_level": kb.best_level(m.evidence),
            })  # fmt: skip
    if kind in ("all", "countermeasures"):
        for c in kb.countermeasures.values():
            rows.append({
                "id": c.id, "kind": "countermeasure", "name": c.name, "group": c.kind,
                "requires": "", "n_evidence": len(c.evidence),
                "best_level": kb.best_level(c.evidence),
            })  # fmt: skip
    if kind in ("all", "evidence"):
        for e in kb.evidence.values():
            rows.append({
                "id": e.id, "kind": "evidence", "name": e.statement,
                "group": f"{e.level}/{e.model}", "requires": "", "n_evidence": 1,
                "best_level": e.level,
            })  # fmt: skip
    return rows


def _pct(value: float | None, default: float) -> str:
    return f"{value if value is not None else default:g}"


def describe_condition(c: Condition, params: Parameters) -> str:
    """One-line English description of a rule condition (thresholds filled in).

    Examples
    --------
    >>> from immunescape.kb.schema import ScoreCondition, Parameters
    >>> describe_condition(ScoreCondition(kind="score", score="ifng6", relation="low"),
    ...                    Parameters())
    'ifng6 low (cohort percentile <= 25)'
    """
    lo, hi = params.low_percentile, params.high_percentile
    if isinstance(c, ScoreCondition):
        rel = {
            "high": f"high (cohort percentile >= {_pct(c.percentile, hi)})",
            "low": f"low (cohort percentile <= {_pct(c.percentile, lo)})",
            "not_high": f"not high (cohort percentile < {_pct(c.percentile, hi)})",
            "not_low": f"not low (cohort percentile > {_pct(c.percentile, lo)})",
        }[c.relation]
        return f"{c.score} {rel}"
    if isinstance(c, DiscordanceCondition):
        gap = c.min_gap if c.min_gap is not None else params.discordance_min_gap
        return (
            f"{c.high} high (percentile >= {_pct(c.high_percentile, hi)}) while {c.low} is at "
            f"least {gap:g} percentile points lower"
        )
    if isinstance(c, GeneEventsCondition):
        genes = []
        if c.genes_from:
            genes.append(f"genes.yaml {c.genes_from} ({c.effect} genes)")
        if c.genes:
            genes.append(", ".join(c.genes))
        extra = []
        if c.functional_call:
            extra.append("called " + "/".join(c.functional_call))
        if c.biallelic_required:
            extra.append("biallelic")
        n = f">= {c.min_genes} genes of " if c.min_genes > 1 else ""
        tail = f" ({', '.join(extra)})" if extra else ""
        return f"{n}{' + '.join(genes)}: {'/'.join(c.events)}{tail}"
    if isinstance(c, FeatureCondition | ClinicalCondition):
        name = f"{c.table}.{c.column}" if isinstance(c, FeatureCondition) else c.field
        unit = f" {c.unit}" if isinstance(c, ClinicalCondition) and c.unit else ""
        op = {
            "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==",
        }.get(c.op)  # fmt: skip
        if op:
            return f"{name} {op} {c.value:g}{unit}"
        if c.op in ("is_true", "is_false"):
            return f"{name} is {c.op[3:]}"
        if c.op == "high":
            return f"{name} high (cohort percentile >= {_pct(c.percentile, hi)})"
        return f"{name} low (cohort percentile <= {_pct(c.percentile, lo)})"
    assert isinstance(c, GroupCondition)
    inner = f" {c.combine.upper()} ".join(describe_condition(x, params) for x in c.conditions)
    return f"({inner})"


def _describe_block(block: RuleBlock, params: Parameters) -> str:
    joined = f" {block.combine.upper()} ".join(
        describe_condition(c, params) for c in block.conditions
    )
    note = f" - {block.note}" if block.note else ""
    return f"[{block.weight}, {block.basis}] {joined}{note}"


def _evidence_line(kb: KnowledgeBase, eid: str) -> str:
    ev = kb.evidence[eid]
    sign = "" if ev.direction == "supports" else " (does NOT support)"
    ids = "; ".join(kb.citation_ids(eid))
    out = (
        f"  [{ev.level}] {eid}{sign}: {ev.statement}\n"
        f"      {ev.source.citation} {ids} - trust {ev.trust_rating}/5; "
        f"reviewed {ev.last_reviewed.isoformat()}"
    )
    if ev.unresolved:
        out += f"\n      unresolved: {ev.unresolved}"
    return out


def _stage_lines(cm: Countermeasure) -> list[str]:
    b = cm.stage_basis
    ids = [f"PMID:{b.pmid}"] if b.pmid else []
    ids += [f"DOI:{b.doi}"] if b.doi else []
    ids += list(b.nct) + ([b.url] if b.url else []) + list(b.evidence)
    lines = [
        f"stage: {cm.stage} (for use against resistance; as of {b.date}; "
        f"reviewed {b.last_reviewed.isoformat()})",
        f"  source: {b.citation} {'; '.join(ids)}",
    ]
    if b.note:
        lines.append(f"  note: {b.note}")
    return lines


def _link_line(kb: KnowledgeBase, lk: Link, other: str) -> str:
    flag = " (contested)" if kb.link_contested(lk) else ""
    return f"  {other} [level {kb.link_level(lk)}{flag}]: {lk.rationale}"


def _anchors(anchors: Iterable[SeedAnchor]) -> str:
    out = []
    for a in anchors:
        refs = f" refs {', '.join(map(str, a.refs))}" if a.refs else ""
        sec = f" '{a.section}'" if a.section else ""
        out.append(f"seed {a.seed}{sec}{refs}")
    return "; ".join(out) or "(beyond the seed reviews)"


def render_entry(entry_id: str, *, kb: KnowledgeBase | None = None) -> str:
    """Plain-text description of a mechanism, countermeasure or evidence item.

    Used by ``immunescape kb show ID``: the record, its detection rules in words, its links
    and every evidence item with level, citation and identifiers, then the disclaimer.

    Examples
    --------
    >>> print(render_entry("hla_genotype").splitlines()[0])
    hla_genotype - Unfavourable germline HLA class I genotype (mechanism)
    """
    kb = kb or load_kb()
    rec = kb.get(entry_id)
    p = kb.parameters
    lines: list[str] = []
    if isinstance(rec, Mechanism):
        lines += [
            f"{rec.id} - {rec.name} (mechanism)",
            f"category: {rec.category}; when present: {rec.effect}",
            f"summary: {rec.summary}",
            f"genes: {', '.join(rec.genes) or '-'}",
            f"seed anchors: {_anchors(rec.seed_anchors)}",
        ]
        if rec.detection.empty:
            lines.append(f"not assessable: {rec.not_assessable_reason}")
        else:
            lines.append(f"assessable from: {', '.join(rec.requires)} (any one suffices)")
            for kind, block in rec.detection.blocks():
                lines.append(f"  {kind}: {_describe_block(block, p)}")
        links = kb.links_of(rec.id)
        lines.append("countermeasures:" if links else "countermeasures: none in the KB")
        lines += [_link_line(kb, lk, lk.countermeasure) for lk in links]
        lines.append("evidence:")
        lines += [_evidence_line(kb, e) for e in rec.evidence]
    elif isinstance(rec, Countermeasure):
        lines += [
            f"{rec.id} - {rec.name} (countermeasure, {rec.kind}; stage {rec.stage})",
            f"summary: {rec.summary}",
            f"agents: {', '.join(rec.agents) or '-'}",
            f"trials: {', '.join(rec.trials) or '-'}",
            f"seed anchors: {_anchors(rec.seed_anchors)}",
        ]
        lines += _stage_lines(rec)
        if rec.caution:
            lines.append(f"caution: {rec.caution}")
        lines.append("addresses:")
        lines += [_link_line(kb, lk, lk.mechanism) for lk in kb.links_to(rec.id)]
        lines.append("evidence:")
        lines += [_evidence_line(kb, e) for e in rec.evidence]
    else:
        ev = rec
        lines += [
            f"{ev.id} - evidence item (level {ev.level}, {ev.model})",
            f"statement: {ev.statement}",
            f"type: {ev.evidence_type}; direction: {ev.direction}; significance: {ev.significance}",
            f"therapies: {', '.join(ev.therapies) or '-'}"
            + (f" ({ev.interaction_type})" if ev.interaction_type else ""),
            f"disease: {ev.disease}",
            f"source: {ev.source.citation}",
            f"identifiers: {'; '.join(kb.citation_ids(ev.id))}",
            f"seed anchor: {_anchors([ev.seed_anchor] if ev.seed_anchor else [])}",
            f"trust: {ev.trust_rating}/5",
            f"last reviewed: {ev.last_reviewed.isoformat()}",
        ]
        if ev.verification:
            lines.append(f"verification: {ev.verification}")
        if ev.unresolved:
            lines.append(f"unresolved: {ev.unresolved}")
        if ev.source.url:
            lines.append(f"url: {ev.source.url}")
    lines.append(kb.manifest.disclaimer.strip())
    return "\n".join(lines)
