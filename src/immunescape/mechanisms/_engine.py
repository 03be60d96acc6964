"""Synthesise one call per sample and mechanism from the rule blocks the sample meets.

Rules are evaluated by :mod:`immunescape.mechanisms._rules` (three-valued logic: True, False
or NA — not evaluable). A rule *block* is one kind of evidence (DNA, RNA or clinical) with a
weight (strong 1.0, moderate 0.6, weak 0.3).

Call per sample and mechanism (the synthesis documented in ``docs/knowledge_base.md``, "From
blocks to a call", and ``docs/mechanisms_engine.md``):

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

The evidence trail names the exact events and percentiles, each once, e.g. "JAK1 p.Q503*
truncating (biallelic); CD8 T cells (MCP-counter) at the 81st percentile while JAK-STAT
activity is at the 12th". Blocks that were checked and did not match are also reported
("not met: ..."), and when DNA evidence is matched but RNA evidence was evaluable and
contradicts it, the reason says so (conflicting evidence is reported, never hidden).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from immunescape._result import Result
from immunescape._validate import check_choice
from immunescape.kb import LEVEL_ORDER, KnowledgeBase, load_kb
from immunescape.kb.schema import Mechanism, RuleBlock
from immunescape.mechanisms._evidence import Evidence
from immunescape.mechanisms._rules import Evaluator, join_items
from immunescape.tables import TABLE_SPECS, MechanismStatus

__all__ = ["call_mechanisms", "MechanismCalls", "CALL_COLUMNS", "WEIGHTS", "note_phenotype"]

#: Weight of a rule block by its ``weight`` in the knowledge base.
WEIGHTS = {"strong": 1.0, "moderate": 0.6, "weak": 0.3}
PRESENT_AT = 0.6
INFERENCE_CAP = 0.5
#: Columns of ``mechanisms.tsv`` in output order, from the table contract
#: (``immunescape.tables.TABLE_SPECS["mechanisms"]``).
CALL_COLUMNS = list(TABLE_SPECS["mechanisms"].columns)
_KINDS = {"dna": "DNA", "rna": "RNA", "clinical": "clinical"}


@dataclass
class MechanismCalls(Result):
    """Mechanism calls for a cohort.

    Attributes
    ----------
    mechanisms
        ``mechanisms.tsv``: one row per sample and mechanism (:data:`CALL_COLUMNS`):
        status, strength, the evidence trail per kind, the reason, the mechanism's name and
        effect, ``level`` (the strongest evidence level behind the matched rules; E for
        inferential rules) and ``evidence_ids``.
    percentiles
        Samples x score ids: the percentiles the RNA rules read.
    percentile_basis
        ``"cohort"``, ``"reference"``, or a description of a mixed basis (a reference that
        holds only per-sample scores; the others against the analysed cohort).
    parameters
        The knowledge base's rule thresholds used.
    warnings
        Human-readable warnings (for run.json).
    """

    table_names: ClassVar[tuple[str, ...]] = ("mechanisms",)
    mechanisms: pd.DataFrame
    percentiles: pd.DataFrame
    percentile_basis: str
    parameters: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def table(self) -> pd.DataFrame:
        """The calls (``mechanisms.tsv``), same as :attr:`mechanisms`."""
        return self.mechanisms

    @property
    def settings(self) -> dict[str, Any]:
        """What the calls depend on: percentile basis, thresholds and the synthesis rule."""
        return {
            "percentiles": self.percentile_basis,
            "parameters": dict(self.parameters),
            "weights": dict(WEIGHTS),
            "present_at": PRESENT_AT,
            "inference_cap": INFERENCE_CAP,
        }


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

    Raises
    ------
    InputError
        When a mechanism id is not in the knowledge base.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"sample_id": ["p1"], "gene": ["B2M"], "event": ["truncating"],
    ...                    "detail": ["p.L13fs"], "biallelic": ["true"],
    ...                    "functional_call": ["loss_of_function"]})
    >>> calls = call_mechanisms(Evidence(["p1", "p2"], events=ev,
    ...                                  inputs={"mutations": {"p1", "p2"}, "cna": {"p1", "p2"}}),
    ...                         mechanisms=["antigen_presentation_loss"])
    >>> calls.mechanisms[["sample_id", "status", "dna_evidence"]].values.tolist()
    [['p1', 'present', 'B2M p.L13fs truncating (biallelic)'], ['p2', 'absent', '']]
    """
    kb = kb or load_kb()
    evaluator = Evaluator(evidence, kb.parameters)
    ids = list(mechanisms) if mechanisms is not None else list(kb.mechanisms)
    for mid in ids:
        check_choice("mechanisms", mid, list(kb.mechanisms))
    rows: list[dict[str, object]] = []
    for mid in ids:
        rows.extend(_call_one(evaluator, kb, kb.mechanisms[mid]))
    table = pd.DataFrame(rows, columns=CALL_COLUMNS)
    return MechanismCalls(
        table, evaluator.pct, evaluator.basis,
        parameters=kb.parameters.model_dump(), warnings=evaluator.warnings,
    )


def _not_assessable(base: Mapping[str, object], sample: str, reason: str) -> dict[str, object]:
    return {**base, "sample_id": sample, "status": "not_assessable", "strength": np.nan,
            "dna_evidence": "", "rna_evidence": "", "clinical_evidence": "",
            "reason": reason, "level": "", "evidence_ids": ""}


def _status(strength: float, all_unknown: bool) -> MechanismStatus:
    if strength >= PRESENT_AT:
        return "present"
    if strength > 0:
        return "indeterminate"
    return "not_assessable" if all_unknown else "absent"


def _call_one(E: Evaluator, kb: KnowledgeBase, mech: Mechanism) -> list[dict[str, object]]:
    base = {"mechanism_id": mech.id, "mechanism_name": mech.name, "effect": mech.effect}
    if mech.detection.empty:
        reason = mech.not_assessable_reason or "no detection rule"
        return [_not_assessable(base, s, reason) for s in E.idx]
    assessable = E.ev.any_of(mech.requires)
    blocks = [(kind, b, E.block(b)) for kind, b in mech.detection.blocks()]
    out = []
    for s in E.idx:
        if not assessable[s]:
            out.append(_not_assessable(
                base, s, "needs " + " or ".join(mech.requires) + "; none given for this sample"))
            continue
        matched: dict[str, list[tuple[RuleBlock, tuple[str, ...]]]] = {k: [] for k in _KINDS}
        checked: dict[str, list[str]] = {k: [] for k in _KINDS}
        unknown: dict[str, int] = dict.fromkeys(_KINDS, 0)
        for kind, block, res in blocks:
            v = res.value[s]
            if v is pd.NA:
                unknown[kind] += 1
            elif bool(v):
                matched[kind].append((block, res.items[s]))
            else:
                checked[kind].extend(res.items[s])
        weights = {k: max((WEIGHTS[b.weight] for b, _ in m), default=0.0)
                   for k, m in matched.items()}
        top = max(weights.values())
        n_kinds = sum(1 for w in weights.values() if w > 0)
        strength = min(1.0, top + 0.2 * (n_kinds - 1)) if top > 0 else 0.0
        dna_ruled_out = bool(mech.detection.dna) and not matched["dna"] and not unknown["dna"]
        only_inferred = all(b.basis == "inferential" for k in matched for b, _ in matched[k])
        capped = dna_ruled_out and only_inferred and strength >= PRESENT_AT
        if capped:
            # inferred RNA evidence contradicted by DNA that was examined and is clean: the
            # call stays open (e.g. epigenetic silencing) but is not made on inference alone
            strength = min(strength, INFERENCE_CAP)
        status = _status(strength, sum(unknown.values()) == len(blocks))
        texts = {}
        for k in _KINDS:
            if matched[k]:
                texts[k] = join_items(i for _, items in matched[k] for i in items) or "rule met"
            elif checked[k]:
                texts[k] = "not met: " + join_items(checked[k])
            else:
                texts[k] = ""
        used = [b for k in matched for b, _ in matched[k]]
        levels = [_block_level(kb, b) for b in used]
        level = min(levels, key=LEVEL_ORDER.index) if levels else ""
        reason = _reason(mech, status, strength, matched, unknown, checked)
        if status == "not_assessable":
            causes = join_items(t for _, b, _ in blocks for t in E.why_unknown(b, s))
            reason = "no rule could be evaluated" + (f": {causes}" if causes else "")
        if capped:
            reason += ("; capped: only inferential RNA evidence, and the DNA rules were "
                       "evaluated and not met")
        out.append({**base, "sample_id": s, "status": status, "strength": round(strength, 3),
                    "dna_evidence": texts["dna"], "rna_evidence": texts["rna"],
                    "clinical_evidence": texts["clinical"], "reason": reason, "level": level,
                    "evidence_ids": ",".join(dict.fromkeys(e for b in used for e in b.evidence))})
    return out


def _reason(mech: Mechanism, status: MechanismStatus, strength: float,
            matched: dict[str, list[tuple[RuleBlock, tuple[str, ...]]]],
            unknown: dict[str, int], checked: dict[str, list[str]]) -> str:
    kinds = _KINDS
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


def note_phenotype(calls: pd.DataFrame, phenotypes: pd.DataFrame) -> pd.DataFrame:
    """Say in the reason of a not-assessable ``immune_desert`` call what phenotypes.tsv calls.

    The mechanism's rule reads cohort-relative scores (PC1 of the CD8 T-effector and pan-F-TBRS
    genes), which need a cohort; the immune phenotype (``phenotypes.tsv``) scales per-gene
    values to the shipped reference and so exists for one patient. The two are different
    methods: the call is left not assessable, and its reason names the phenotype and why
    they differ, so that the tables do not seem to disagree silently.

    Parameters
    ----------
    calls
        ``mechanisms.tsv``.
    phenotypes
        ``phenotypes.tsv`` (sample_id, immune_phenotype, p_desert, scale, ...).

    Returns
    -------
    pandas.DataFrame
        ``calls`` with those reasons extended (a copy).
    """
    out = calls.copy()
    pheno = phenotypes.set_index(phenotypes["sample_id"].astype(str))
    rows = (out["mechanism_id"] == "immune_desert") & (out["status"] == "not_assessable")
    for i in out.index[rows]:
        sid = str(out.at[i, "sample_id"])
        if sid not in pheno.index or pd.isna(pheno.at[sid, "immune_phenotype"]):
            continue
        ph = pheno.loc[sid]
        out.at[i, "reason"] = (
            f"{out.at[i, 'reason']}; phenotypes.tsv calls the immune phenotype "
            f"{ph['immune_phenotype']!s} (p_desert {float(ph['p_desert']):.2f}) from per-gene "
            f"values scaled to the {ph['scale']!s}: a different method, which this rule's "
            "cohort-relative scores cannot use")
    return out
