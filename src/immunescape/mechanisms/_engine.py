"""Evaluate the knowledge base's detection rules per sample and synthesise mechanism calls.

Rules (``docs/knowledge_base.md``) are evaluated with Kleene three-valued logic over pandas
``boolean`` Series: a condition is True, False or NA (not evaluable: a missing score, an
input the sample lacks). A rule *block* is one kind of evidence (DNA, RNA or clinical) with a
weight (strong 1.0, moderate 0.6, weak 0.3).

Call per sample and mechanism (the synthesis documented in ``docs/mechanisms.md`` of this
repository):

* ``not_assessable`` — the mechanism has no rule, or the sample has none of the inputs it
  ``requires``; the reason names what is missing;
* otherwise the *strength* is the largest weight among the matched blocks, plus 0.2 for each
  further kind of evidence (DNA, RNA, clinical) that also matched, capped at 1: concordant
  DNA and RNA evidence is stronger than either alone;
* when the mechanism has DNA rules, the sample's DNA was evaluated and met none of them, and
  every matched block is an *inferential* (level E) RNA rule, the strength is capped at 0.5:
  an inference contradicted by clean DNA stays open (e.g. epigenetic silencing) but is not
  called present;
* a loss-of-function hit whose other allele is shown intact (``biallelic`` false) does not
  count for one-hit rules: loss of a tumour suppressor needs both alleles;
* ``present`` — strength >= 0.6; ``indeterminate`` — 0 < strength < 0.6 (only weak
  evidence); ``absent`` — no evaluable block matched; ``not_assessable`` — no block could be
  evaluated (inputs missing for the sample, or too few samples for cohort percentiles).

The evidence trail names the exact events and percentiles, e.g. "JAK1 p.Q503* truncating
(biallelic); CD8 T cells (MCP-counter) at the 81st percentile while JAK-STAT activity is at
the 12th". Blocks that were checked and did not match are also reported ("checked, not
met"), and when DNA evidence is matched but RNA evidence was evaluable and contradicts it,
the reason says so (conflicting evidence is reported, never hidden).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from immunescape.kb import KnowledgeBase, load_kb
from immunescape.kb.loader import LEVEL_ORDER, _gene_knowledge
from immunescape.kb.schema import (
    ClinicalCondition,
    Condition,
    DiscordanceCondition,
    FeatureCondition,
    GeneEventsCondition,
    GroupCondition,
    Mechanism,
    Parameters,
    RuleBlock,
    ScoreCondition,
)
from immunescape.mechanisms._evidence import Evidence, percentile_table

__all__ = ["call_mechanisms", "MechanismCalls", "MECHANISM_COLUMNS", "ordinal", "WEIGHTS"]

WEIGHTS = {"strong": 1.0, "moderate": 0.6, "weak": 0.3}
PRESENT_AT = 0.6
INFERENCE_CAP = 0.5
MECHANISM_COLUMNS = [
    "sample_id",
    "mechanism_id",
    "status",
    "strength",
    "dna_evidence",
    "rna_evidence",
    "clinical_evidence",
    "reason",
]
_MUTATION_EVENTS = {"truncating", "hotspot_activating", "missense_vus", "inframe_vus"}
_CNA_EVENTS = {"deep_deletion", "amplification", "loh"}
_LOF_EVENTS = {"truncating", "deep_deletion", "loh"}
_OPS = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
        "eq": np.equal}
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


@dataclass
class _Result:
    """A condition's value per sample and the words that justify it."""

    value: pd.Series  # boolean (True/False/NA)
    text: pd.Series  # str per sample ("" when nothing to say)


@dataclass
class MechanismCalls:
    """Mechanism calls for a cohort.

    Attributes
    ----------
    table
        ``mechanisms.tsv``: one row per sample and mechanism (see :data:`MECHANISM_COLUMNS`),
        plus ``mechanism_name``, ``effect``, ``level`` (the strongest evidence level behind
        the matched rules; E for inferential rules) and ``evidence_ids``.
    percentiles
        Samples x score ids: the percentiles the RNA rules read.
    percentile_basis
        ``"cohort"``, ``"reference"``, or a description of a mixed basis (a reference that
        holds only per-sample scores; the others against the analysed cohort).
    warnings
        Human-readable warnings (for run.json).
    """

    table: pd.DataFrame
    percentiles: pd.DataFrame
    percentile_basis: str
    warnings: list[str]


class _Evaluator:
    def __init__(self, ev: Evidence, kb: KnowledgeBase, params: Parameters):
        self.ev = ev
        self.kb = kb
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
        self.feature_pct: dict[tuple[str, str], pd.Series] = {}

    # ------------------------------------------------------------------ helpers
    def _na(self) -> pd.Series:
        return pd.Series(pd.NA, index=self.idx, dtype="boolean")

    def _empty_text(self) -> pd.Series:
        return pd.Series("", index=self.idx, dtype=object)

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

    # ------------------------------------------------------------------ conditions
    def condition(self, c: Condition) -> _Result:
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
        assert isinstance(c, ClinicalCondition)
        return self._compare(self.ev.clinical, c.field, c, c.field, c.unit or "")

    def _combine(self, parts: Sequence[_Result], combine: str) -> _Result:
        value = parts[0].value
        for p in parts[1:]:
            value = (value & p.value) if combine == "all" else (value | p.value)
        text = self._empty_text()
        for s in self.idx:
            said = [p for p in parts if p.text[s]]
            if combine == "any":  # name what made it true, else everything checked
                said = [p for p in said if p.value[s] is True] or said
            text[s] = "; ".join(dict.fromkeys(p.text[s] for p in said))
        return _Result(value, text)

    def _score(self, c: ScoreCondition) -> _Result:
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
        text = pd.Series(
            [f"{self.name(c.score)} at the {ordinal(v)} percentile" if not np.isnan(v) else ""
             for v in x], index=self.idx, dtype=object)
        return _Result(self._bool(res, known), text)

    def _discordance(self, c: DiscordanceCondition) -> _Result:
        a, b = self._score_pct(c.high), self._score_pct(c.low)
        t = c.high_percentile if c.high_percentile is not None else self.p.high_percentile
        gap = c.min_gap if c.min_gap is not None else self.p.discordance_min_gap
        res = ((a >= t) & ((a - b) >= gap)).to_numpy()
        known = (a.notna() & b.notna()).to_numpy()
        text = pd.Series(
            [f"{self.name(c.high)} at the {ordinal(x)} percentile while {self.name(c.low)} "
             f"is at the {ordinal(y)}" if not (np.isnan(x) or np.isnan(y)) else ""
             for x, y in zip(a, b, strict=True)], index=self.idx, dtype=object)
        return _Result(self._bool(res, known), text)

    def _genes_of(self, c: GeneEventsCondition) -> set[str]:
        genes = set(c.genes)
        if c.genes_from:
            genes |= {g for g, eff in self.genes.mechanisms.get(c.genes_from, ())
                      if eff == c.effect}
        return genes

    def _gene_events(self, c: GeneEventsCondition) -> _Result:
        genes = self._genes_of(c)
        need = set()
        if set(c.events) & _MUTATION_EVENTS:
            need.add("mutations")
        cna_needed = bool(set(c.events) & _CNA_EVENTS)
        able = pd.Series(True, index=self.idx)
        if "mutations" in need:
            able &= self.ev.has("mutations")
        if cna_needed:
            able &= self.ev.any_of(["cna", "segments"]) if "loh" not in c.events else (
                self.ev.any_of(["cna", "segments", "hla"]))
        ev = self.ev.events
        hit = pd.Series(False, index=self.idx)
        text = self._empty_text()
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
                words = []
                for r in rows.itertuples(index=False):
                    words.append(_event_words(r.gene, r.detail, r.event, r.biallelic))
                text[sid] = "; ".join(dict.fromkeys(words))
        known = (hit | able).to_numpy()
        return _Result(self._bool(hit.to_numpy(), known), text)

    def _compare(self, table: pd.DataFrame | None, column: str,
                 c: FeatureCondition | ClinicalCondition, label: str, unit: str) -> _Result:
        if table is None or column not in table.columns:
            return _Result(self._na(), self._empty_text())
        col = table[column].reindex(self.idx)
        u = f" {unit}" if unit else ""
        if c.op in ("is_true", "is_false"):
            truthy = col.map(_truth)
            known = truthy.notna().to_numpy()
            vals = truthy.fillna(False).astype(bool).to_numpy()
            res = vals if c.op == "is_true" else ~vals
            text = pd.Series([f"{label} {'yes' if v else 'no'}" if k else ""
                              for v, k in zip(vals, known, strict=True)],
                             index=self.idx, dtype=object)
            return _Result(self._bool(res, known), text)
        x = pd.to_numeric(col, errors="coerce").astype(float)
        known = x.notna().to_numpy()
        if c.op in ("high", "low"):
            key = (label, "pct")
            if key not in self.feature_pct:
                ref = pd.to_numeric(table[column], errors="coerce")
                self.feature_pct[key] = percentile_table(
                    ref.to_frame(), min_samples=self.p.min_reference_samples
                ).iloc[:, 0].reindex(self.idx)
            pct = self.feature_pct[key]
            thr = c.percentile if c.percentile is not None else (
                self.p.high_percentile if c.op == "high" else self.p.low_percentile)
            res = (pct >= thr if c.op == "high" else pct <= thr).to_numpy()
            known = pct.notna().to_numpy()
            text = pd.Series([f"{label} {v:.3g}{u} ({ordinal(p)} percentile)" if k else ""
                              for v, p, k in zip(x, pct, known, strict=True)],
                             index=self.idx, dtype=object)
            return _Result(self._bool(res, known), text)
        res = _OPS[c.op](x.to_numpy(), float(c.value))  # type: ignore[arg-type]
        text = pd.Series([f"{label} {v:.3g}{u} ({'' if r else 'not '}{_OP_TEXT[c.op]} "
                          f"{c.value:g})" if k else ""
                          for v, r, k in zip(x, res, known, strict=True)],
                         index=self.idx, dtype=object)
        return _Result(self._bool(res, known), text)

    def block(self, block: RuleBlock) -> _Result:
        return self._combine([self.condition(c) for c in block.conditions], block.combine)


def _event_words(gene: str, detail: object, event: str, biallelic: object) -> str:
    """``JAK1 p.Q503* truncating (Nonsense_Mutation; biallelic)``."""
    parts = [p.strip() for p in str(detail).split(";")] if isinstance(detail, str) else []
    change = parts[0] if parts and parts[0] else ""
    notes = [p for p in parts[1:] if p]
    if str(biallelic).lower() == "true":
        notes.append("biallelic")
    text = f"{gene} {change} {event.replace('_', ' ')}" if change else (
        f"{gene} {event.replace('_', ' ')}")
    return text + (f" ({'; '.join(notes)})" if notes else "")


def _truth(v: object) -> object:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    s = str(v).strip().lower()
    if s in ("1", "1.0", "true", "yes", "y", "t"):
        return True
    if s in ("0", "0.0", "false", "no", "n", "f"):
        return False
    return None


def _block_level(kb: KnowledgeBase, block: RuleBlock) -> str:
    if block.basis == "inferential":
        return "E"
    return kb.best_level(block.evidence) or "E"


def call_mechanisms(
    evidence: Evidence,
    *,
    kb: KnowledgeBase | None = None,
    mechanisms: Sequence[str] | None = None,
) -> MechanismCalls:
    """Call every knowledge-base mechanism for every sample from DNA, RNA and clinical evidence.

    Parameters
    ----------
    evidence
        The cohort's scores, genomic events and tables, and which inputs each sample has.
    kb
        The knowledge base (default: the shipped one).
    mechanisms
        Restrict to these mechanism ids (default: all).

    Returns
    -------
    MechanismCalls

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"sample_id": ["p1"], "gene": ["B2M"], "event": ["truncating"],
    ...                    "detail": ["p.L13fs"], "biallelic": ["true"],
    ...                    "functional_call": ["loss_of_function"]})
    >>> calls = call_mechanisms(Evidence(["p1", "p2"], events=ev,
    ...                                  inputs={"mutations": {"p1", "p2"}, "cna": {"p1", "p2"}}),
    ...                         mechanisms=["antigen_presentation_loss"])
    >>> calls.table[["sample_id", "status"]].values.tolist()
    [['p1', 'present'], ['p2', 'absent']]
    """
    kb = kb or load_kb()
    params = kb.parameters
    ev = evidence
    E = _Evaluator(ev, kb, params)
    ids = list(mechanisms) if mechanisms is not None else list(kb.mechanisms)
    rows: list[dict[str, object]] = []
    for mid in ids:
        mech: Mechanism = kb.mechanisms[mid]  # KeyError is a programming error here
        rows.extend(_call_one(E, kb, mech, params))
    table = pd.DataFrame(rows)
    order = MECHANISM_COLUMNS + ["mechanism_name", "effect", "level", "evidence_ids"]
    table = table[order] if len(table) else pd.DataFrame(columns=order)
    return MechanismCalls(table, E.pct, E.basis, E.warnings)


def _call_one(E: _Evaluator, kb: KnowledgeBase, mech: Mechanism,
              params: Parameters) -> list[dict[str, object]]:
    samples = E.idx
    base = {"mechanism_id": mech.id, "mechanism_name": mech.name, "effect": mech.effect}
    if mech.detection.empty:
        return [{**base, "sample_id": s, "status": "not_assessable", "strength": np.nan,
                 "dna_evidence": "", "rna_evidence": "", "clinical_evidence": "",
                 "reason": mech.not_assessable_reason or "no detection rule",
                 "level": "", "evidence_ids": ""} for s in samples]
    assessable = E.ev.any_of(mech.requires)
    blocks = [(kind, b, E.block(b)) for kind, b in mech.detection.blocks()]
    out = []
    for s in samples:
        if not assessable[s]:
            out.append({**base, "sample_id": s, "status": "not_assessable",
                        "strength": np.nan, "dna_evidence": "", "rna_evidence": "",
                        "clinical_evidence": "",
                        "reason": "needs " + " or ".join(mech.requires) + "; none given "
                        "for this sample", "level": "", "evidence_ids": ""})
            continue
        matched: dict[str, list[tuple[RuleBlock, str]]] = {"dna": [], "rna": [], "clinical": []}
        checked: dict[str, list[str]] = {"dna": [], "rna": [], "clinical": []}
        unknown: dict[str, int] = {"dna": 0, "rna": 0, "clinical": 0}
        for kind, block, res in blocks:
            v = res.value[s]
            if v is pd.NA:
                unknown[kind] += 1
            elif bool(v):
                matched[kind].append((block, res.text[s]))
            elif res.text[s]:
                checked[kind].append(res.text[s])
        weights = {k: max((WEIGHTS[b.weight] for b, _ in m), default=0.0)
                   for k, m in matched.items()}
        top = max(weights.values())
        n_kinds = sum(1 for w in weights.values() if w > 0)
        strength = min(1.0, top + 0.2 * (n_kinds - 1)) if top > 0 else 0.0
        dna_ruled_out = bool(mech.detection.dna) and not matched["dna"] and not unknown["dna"]
        only_inferred = all(b.basis == "inferential" for k in matched for b, _ in matched[k])
        if dna_ruled_out and only_inferred and strength >= PRESENT_AT:
            # inferred RNA evidence contradicted by DNA that was examined and is clean: the
            # call stays open (e.g. epigenetic silencing) but is not made on inference alone
            strength = min(strength, INFERENCE_CAP)
            capped = True
        else:
            capped = False
        if strength >= PRESENT_AT:
            status = "present"
        elif strength > 0:
            status = "indeterminate"
        elif sum(unknown.values()) == len(blocks):
            status = "not_assessable"
        else:
            status = "absent"
        texts = {}
        for k in ("dna", "rna", "clinical"):
            if matched[k]:
                texts[k] = "; ".join(dict.fromkeys(t for _, t in matched[k] if t)) or "rule met"
            elif checked[k]:
                texts[k] = "not met: " + "; ".join(dict.fromkeys(checked[k]))
            else:
                texts[k] = ""
        used = [b for k in matched for b, _ in matched[k]]
        levels = [_block_level(kb, b) for b in used]
        level = min(levels, key=LEVEL_ORDER.index) if levels else ""
        reason = _reason(mech, status, strength, matched, unknown, checked)
        if capped:
            reason += ("; capped: only inferential RNA evidence, and the DNA rules were "
                       "evaluated and not met")
        out.append({**base, "sample_id": s, "status": status, "strength": round(strength, 3),
                    "dna_evidence": texts["dna"], "rna_evidence": texts["rna"],
                    "clinical_evidence": texts["clinical"], "reason": reason, "level": level,
                    "evidence_ids": ",".join(dict.fromkeys(e for b in used for e in b.evidence))})
    return out


def _reason(mech: Mechanism, status: str, strength: float,
            matched: dict[str, list[tuple[RuleBlock, str]]], unknown: dict[str, int],
            checked: dict[str, list[str]]) -> str:
    kinds = {"dna": "DNA", "rna": "RNA", "clinical": "clinical"}
    parts = []
    hit = [kinds[k] for k in matched if matched[k]]
    if hit:
        w = ", ".join(f"{kinds[k]} {max(matched[k], key=lambda t: WEIGHTS[t[0].weight])[0].weight}"
                      for k in matched if matched[k])
        parts.append(f"{' + '.join(hit)} evidence ({w})")
        if len(hit) > 1:
            parts.append("concordant across evidence types")
        contra = [kinds[k] for k in checked if checked[k] and not matched[k]]
        if contra:
            parts.append(f"conflicting: {' and '.join(contra)} evidence checked and not met")
    missing = [kinds[k] for k in unknown if unknown[k] and not matched[k]]
    if missing:
        parts.append(f"{' and '.join(missing)} rules not evaluable (input or percentile missing)")
    if status == "absent":
        parts.insert(0, "no rule met")
    elif status == "not_assessable":
        parts = ["no rule could be evaluated (inputs missing for this sample, or too few "
                 "samples for cohort percentiles: give a reference cohort)"]
    elif status == "indeterminate":
        parts.insert(0, f"only weak evidence (strength {strength:.2f} < {PRESENT_AT})")
    if mech.effect == "sensitivity" and status == "present":
        parts.append("a sensitivity (not resistance) feature")
    return "; ".join(parts)
