"""Evaluate the knowledge base's detection rules per sample with three-valued logic.

A condition (``docs/knowledge_base.md``) is True, False or NA per sample (NA: not
evaluable — a missing score, a percentile among too few samples, an input the sample
lacks), held in a pandas ``boolean`` Series and combined with Kleene logic. Each value comes
with the *evidence items* that justify it — the exact events and percentiles, e.g.
``"JAK1 p.Q503* truncating (biallelic)"`` or ``"CD8 T cells (MCP-counter) at the 81st
percentile while JAK-STAT activity is at the 12th"`` — kept as a tuple per sample so that
the same item reached by several rules is named once (:func:`join_items`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from immunescape.kb.loader import _gene_knowledge
from immunescape.kb.schema import (
    ClinicalCondition,
    Condition,
    DiscordanceCondition,
    FeatureCondition,
    GeneEventsCondition,
    GroupCondition,
    Parameters,
    RuleBlock,
    ScoreCondition,
)
from immunescape.mechanisms._evidence import Evidence, percentile_table

__all__ = ["Evaluator", "Outcome", "join_items", "ordinal"]

_MUTATION_EVENTS = {"truncating", "hotspot_activating", "missense_vus", "inframe_vus"}
_CNA_EVENTS = {"deep_deletion", "amplification", "loh"}
_LOF_EVENTS = {"truncating", "deep_deletion", "loh"}
_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
    "eq": np.equal,
}
_OP_TEXT = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "=="}


def ordinal(x: float) -> str:
    """Format a percentile as an English ordinal (``4th``, ``21st``, ``100th``).

    Examples
    --------
    >>> [ordinal(v) for v in (1.2, 2, 3, 4, 11, 12, 13, 21, 99.6)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '100th']
    """
    n = int(round(float(x)))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def join_items(items: Iterable[str]) -> str:
    """Join evidence items with ``"; "``, each named once, in the order first met.

    Examples
    --------
    >>> join_items(["JAK1 p.Q503* truncating", "JAK1 loh", "JAK1 p.Q503* truncating", ""])
    'JAK1 p.Q503* truncating; JAK1 loh'
    """
    return "; ".join(dict.fromkeys(i for i in items if i))


@dataclass
class Outcome:
    """A condition's value per sample and the evidence items that justify it."""

    value: pd.Series  # boolean (True/False/NA)
    items: pd.Series  # tuple of str per sample (empty when nothing to say)


class Evaluator:
    """Evaluates conditions and rule blocks for every sample of one :class:`Evidence`.

    Attributes
    ----------
    pct
        Samples x score ids: the percentiles the RNA rules read.
    basis
        What the percentiles are taken against (``"cohort"``, ``"reference"`` or mixed).
    warnings
        Why RNA evidence could not be assessed, if so.
    """

    def __init__(self, ev: Evidence, params: Parameters):
        self.ev = ev
        self.p = params
        self.idx = pd.Index(ev.samples)
        self.warnings: list[str] = []
        if ev.scores is not None:
            scores = ev.scores.reindex(self.idx)
            self.pct = percentile_table(
                scores, reference=ev.reference_scores, min_samples=params.min_reference_samples
            )
            self.basis = "cohort" if ev.reference_scores is None else "reference"
            if ev.reference_scores is not None:
                # scores the reference does not hold (cohort-relative scores against the
                # shipped per-sample reference) fall back to the analysed cohort
                own = [c for c in scores.columns if c not in ev.reference_scores.columns]
                if own:
                    self.pct[own] = percentile_table(
                        scores[own], min_samples=params.min_reference_samples)
                    self.basis = ("reference (per-sample scores); analysed cohort "
                                  f"({len(own)} cohort-relative scores)")
            n_ok = int(ev.scores.notna().any(axis=1).sum())
            n_ref = None if ev.reference_scores is None else len(ev.reference_scores)
            if (n_ref if n_ref is not None else n_ok) < params.min_reference_samples:
                self.warnings.append(
                    f"RNA percentiles need at least {params.min_reference_samples} samples "
                    f"({'reference' if n_ref is not None else 'analysed cohort'} has "
                    f"{n_ref if n_ref is not None else n_ok}); cohort-relative RNA evidence is "
                    "not assessable — give a reference cohort with --reference"
                )
        else:
            self.pct = pd.DataFrame(index=self.idx)
            self.basis = "cohort"
        self.genes = _gene_knowledge()
        self.feature_pct: dict[str, pd.Series] = {}

    # ------------------------------------------------------------------ helpers
    def _na(self) -> pd.Series:
        return pd.Series(pd.NA, index=self.idx, dtype="boolean")

    def _no_items(self) -> pd.Series:
        return pd.Series([()] * len(self.idx), index=self.idx, dtype=object)

    def _items(self, texts: Sequence[str]) -> pd.Series:
        return pd.Series([(t,) if t else () for t in texts], index=self.idx, dtype=object)

    def _bool(self, values: np.ndarray, known: np.ndarray) -> pd.Series:
        return pd.Series(
            pd.array(np.where(known, values, False), dtype="boolean"), index=self.idx
        ).mask(~pd.Series(known, index=self.idx))

    def name(self, score_id: str) -> str:
        return self.ev.score_names.get(score_id, score_id)

    def _score_pct(self, score_id: str) -> pd.Series:
        if score_id in self.pct.columns:
            return self.pct[score_id].astype(float)
        return pd.Series(np.nan, index=self.idx)

    # ------------------------------------------------------------------ why not evaluable
    def why_unknown(self, c: Condition | RuleBlock, sample: str) -> list[str]:
        """Say why a condition (or block) is not evaluable for one sample, one text per cause.

        Causes: a score not computed; a score percentile that needs more samples (a
        cohort-relative score has no shipped reference: the analysed cohort, joined with a
        ``--reference`` cohort if given, must hold enough samples); a DNA feature percentile
        among too few samples of the analysed cohort; an input the sample lacks.
        """
        if isinstance(c, RuleBlock | GroupCondition):
            return list(dict.fromkeys(t for x in c.conditions for t in self.why_unknown(x, sample)
                                      if self.condition(x).value[sample] is pd.NA))
        n = self.p.min_reference_samples
        if isinstance(c, ScoreCondition | DiscordanceCondition):
            ids = [c.score] if isinstance(c, ScoreCondition) else [c.high, c.low]
            out = []
            for sid in ids:
                if not np.isnan(self._score_pct(sid)[sample]):
                    continue
                if not _cohort_relative(sid):
                    out.append(f"{self.name(sid)} not scored (see features.tsv)")
                else:
                    out.append(f"{self.name(sid)} is cohort-relative (no shipped reference): "
                               f"its percentile needs at least {n} samples, in the analysed "
                               "cohort or with --reference (an expression cohort)")
            return out
        if isinstance(c, GeneEventsCondition):
            return [f"needs {' or '.join(sorted(set(c.events)))} calls (input missing)"]
        table = None if isinstance(c, ClinicalCondition) else (
            {"tmb": self.ev.tmb, "scna": self.ev.scna, "hla": self.ev.hla}[c.table])
        column = c.field if isinstance(c, ClinicalCondition) else c.column
        label = column if isinstance(c, ClinicalCondition) else f"{c.table}.{c.column}"
        if isinstance(c, ClinicalCondition):
            table = self.ev.clinical
        if table is None or column not in table.columns or pd.isna(
                table[column].reindex(self.idx)[sample]):
            return [f"{label} not given for this sample"]
        if c.op in ("high", "low"):
            return [f"{label} is judged by its percentile among at least {n} samples of the "
                    "analysed cohort (a --reference expression cohort does not hold it)"]
        return [f"{label} not readable"]

    # ------------------------------------------------------------------ conditions
    def block(self, block: RuleBlock) -> Outcome:
        """Value and evidence items of one rule block per sample."""
        return self._combine([self.condition(c) for c in block.conditions], block.combine)

    def condition(self, c: Condition) -> Outcome:
        """Value and evidence items of one condition per sample."""
        if isinstance(c, GroupCondition):
            parts = [self.condition(x) for x in c.conditions]
            return self._combine(parts, c.combine)
        if isinstance(c, ScoreCondition):
            return self._score(c)
        if isinstance(c, DiscordanceCondition):
            return self._discordance(c)
        if isinstance(c, GeneEventsCondition):
            return self._gene_events(c)
        if isinstance(c, FeatureCondition):
            table = {"tmb": self.ev.tmb, "scna": self.ev.scna, "hla": self.ev.hla}[c.table]
            return self._compare(table, c.column, c, f"{c.table}.{c.column}", "")
        return self._compare(self.ev.clinical, c.field, c, c.field, c.unit or "")

    def _combine(self, parts: Sequence[Outcome], combine: str) -> Outcome:
        value = parts[0].value
        for p in parts[1:]:
            value = (value & p.value) if combine == "all" else (value | p.value)
        items = self._no_items()
        for s in self.idx:
            said = [p for p in parts if p.items[s]]
            if combine == "any":  # name what made it true, else everything checked
                said = [p for p in said if _is_true(p.value[s])] or said
            items[s] = tuple(dict.fromkeys(i for p in said for i in p.items[s]))
        return Outcome(value, items)

    def _score(self, c: ScoreCondition) -> Outcome:
        x = self._score_pct(c.score)
        lo, hi = self.p.low_percentile, self.p.high_percentile
        t = c.percentile
        res = {
            "high": x >= (t if t is not None else hi),
            "low": x <= (t if t is not None else lo),
            "not_high": x < (t if t is not None else hi),
            "not_low": x > (t if t is not None else lo),
        }[c.relation].to_numpy()
        known = x.notna().to_numpy()
        text = [f"{self.name(c.score)} at the {ordinal(v)} percentile" if not np.isnan(v) else ""
                for v in x]
        return Outcome(self._bool(res, known), self._items(text))

    def _discordance(self, c: DiscordanceCondition) -> Outcome:
        a, b = self._score_pct(c.high), self._score_pct(c.low)
        t = c.high_percentile if c.high_percentile is not None else self.p.high_percentile
        gap = c.min_gap if c.min_gap is not None else self.p.discordance_min_gap
        res = ((a >= t) & ((a - b) >= gap)).to_numpy()
        known = (a.notna() & b.notna()).to_numpy()
        text = [f"{self.name(c.high)} at the {ordinal(x)} percentile while {self.name(c.low)} "
                f"is at the {ordinal(y)}" if not (np.isnan(x) or np.isnan(y)) else ""
                for x, y in zip(a, b, strict=True)]
        return Outcome(self._bool(res, known), self._items(text))

    def _genes_of(self, c: GeneEventsCondition) -> set[str]:
        genes = set(c.genes)
        if c.genes_from:
            genes |= {g for g, eff in self.genes.mechanisms.get(c.genes_from, ())
                      if eff == c.effect}
        return genes

    def _gene_events(self, c: GeneEventsCondition) -> Outcome:
        genes = self._genes_of(c)
        able = pd.Series(True, index=self.idx)
        if set(c.events) & _MUTATION_EVENTS:
            able &= self.ev.has("mutations")
        if set(c.events) & _CNA_EVENTS:
            able &= self.ev.any_of(["cna", "segments"]) if "loh" not in c.events else (
                self.ev.any_of(["cna", "segments", "hla"]))
        ev = self.ev.events
        hit = pd.Series(False, index=self.idx)
        items = self._no_items()
        if ev is not None and len(ev):
            sel = ev[ev["gene"].isin(genes) & ev["event"].isin(c.events)]
            if c.functional_call:
                sel = sel[sel["functional_call"].isin(c.functional_call)]
            bi = sel["biallelic"].astype(str).str.lower()
            if c.biallelic_required:
                sel = sel[bi == "true"]
            elif set(c.events) <= _LOF_EVENTS:
                # a loss-of-function hit whose other allele is shown intact (biallelic
                # "false") is not loss of the gene: one hit counts only while the second
                # allele's state is unknown (Zaretsky et al. 2016: loss needs both alleles)
                sel = sel[bi != "false"]
            sel = sel[sel["sample_id"].isin(self.idx)]
            n_genes = sel.groupby("sample_id")["gene"].nunique()
            hit = (n_genes.reindex(self.idx).fillna(0) >= c.min_genes)
            for sid, rows in sel.groupby("sample_id", sort=False):
                items[sid] = tuple(dict.fromkeys(
                    event_words(r.gene, r.detail, r.event, r.biallelic)
                    for r in rows.itertuples(index=False)))
        known = (hit | able).to_numpy()
        return Outcome(self._bool(hit.to_numpy(), known), items)

    def _compare(self, table: pd.DataFrame | None, column: str,
                 c: FeatureCondition | ClinicalCondition, label: str, unit: str) -> Outcome:
        if table is None or column not in table.columns:
            return Outcome(self._na(), self._no_items())
        col = table[column].reindex(self.idx)
        u = f" {unit}" if unit else ""
        if c.op in ("is_true", "is_false"):
            truthy = [_truth(v) for v in col]
            known = np.array([t is not None for t in truthy], dtype=bool)
            vals = np.array([t is True for t in truthy], dtype=bool)
            res = vals if c.op == "is_true" else ~vals
            text = [f"{label} {'yes' if v else 'no'}" if k else ""
                    for v, k in zip(vals, known, strict=True)]
            return Outcome(self._bool(res, known), self._items(text))
        x = pd.to_numeric(col, errors="coerce").astype(float)
        known = x.notna().to_numpy()
        if c.op in ("high", "low"):
            if label not in self.feature_pct:
                ref = pd.to_numeric(table[column], errors="coerce")
                self.feature_pct[label] = percentile_table(
                    ref.to_frame(), min_samples=self.p.min_reference_samples
                ).iloc[:, 0].reindex(self.idx)
            pct = self.feature_pct[label]
            thr = c.percentile if c.percentile is not None else (
                self.p.high_percentile if c.op == "high" else self.p.low_percentile)
            res = (pct >= thr if c.op == "high" else pct <= thr).to_numpy()
            known = pct.notna().to_numpy()
            text = [f"{label} {v:.3g}{u} ({ordinal(p)} percentile)" if k else ""
                    for v, p, k in zip(x, pct, known, strict=True)]
            return Outcome(self._bool(res, known), self._items(text))
        if c.value is None:  # the schema requires a value for lt/le/gt/ge/eq
            raise ValueError(f"condition on {label} with op {c.op!r} has no value")
        res = _OPS[c.op](x.to_numpy(), float(c.value))
        text = [f"{label} {v:.3g}{u} ({'' if r else 'not '}{_OP_TEXT[c.op]} {c.value:g})"
                if k else "" for v, r, k in zip(x, res, known, strict=True)]
        return Outcome(self._bool(res, known), self._items(text))


def _cohort_relative(score_id: str) -> bool:
    """Tell whether a shipped registry score is cohort-relative (no fixed reference)."""
    from immunescape.signatures.registry import load_registry

    reg = load_registry()
    return score_id in reg.ids and reg.get(score_id).scope == "cohort_relative"


def event_words(gene: str, detail: object, event: str, biallelic: object) -> str:
    """Name one genomic event for the evidence trail.

    Examples
    --------
    >>> event_words("JAK1", "p.Q503*; Nonsense_Mutation", "truncating", "true")
    'JAK1 p.Q503* truncating (Nonsense_Mutation; biallelic)'
    >>> event_words("B2M", None, "deep_deletion", "unknown")
    'B2M deep deletion'
    """
    parts = [p.strip() for p in str(detail).split(";")] if isinstance(detail, str) else []
    change = parts[0] if parts and parts[0] else ""
    notes = [p for p in parts[1:] if p]
    if str(biallelic).lower() == "true":
        notes.append("biallelic")
    text = f"{gene} {change} {event.replace('_', ' ')}" if change else (
        f"{gene} {event.replace('_', ' ')}")
    return text + (f" ({'; '.join(notes)})" if notes else "")


def _is_true(v: object) -> bool:
    """Return True only for a known True (a boolean Series element is numpy's bool or NA)."""
    return v is not pd.NA and bool(v)


def _truth(v: object) -> bool | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    s = str(v).strip().lower()
    if s in ("1", "1.0", "true", "yes", "y", "t"):
        return True
    if s in ("0", "0.0", "false", "no", "n", "f"):
        return False
    return None
