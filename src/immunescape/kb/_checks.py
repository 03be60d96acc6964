"""Cross-checks of the assembled knowledge base: every reference resolves.

Referenced ids exist and are defined once, the required mechanism and countermeasure ids are
all present, RNA rules name score ids of the signature registry, DNA rules name mechanisms and
genes of ``genes.yaml``, and the links agree with the countermeasures' ``mechanisms`` lists.
Each problem raises one :class:`~immunescape.errors.SchemaError` naming the file and field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from immunescape._resources import REINSTALL
from immunescape.errors import ResourceError, SchemaError
from immunescape.kb._read import FIX, PathLike, parse_yaml, shipped_text
from immunescape.kb.schema import (
    Condition,
    Countermeasure,
    DiscordanceCondition,
    Evidence,
    GeneEventsCondition,
    GroupCondition,
    KBFile,
    Link,
    Manifest,
    Mechanism,
    PhenotypeModel,
    RuleBlock,
    ScoreCondition,
)

__all__ = ["Parts", "GeneIndex", "gene_knowledge", "cross_check", "score_ids_of"]


@dataclass
class Parts:
    """The records of every file read so far, by id, and the file each came from."""

    mechanisms: dict[str, Mechanism] = field(default_factory=dict)
    countermeasures: dict[str, Countermeasure] = field(default_factory=dict)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    links: dict[tuple[str, str], Link] = field(default_factory=dict)
    phenotype: PhenotypeModel | None = None
    origin: dict[str, str] = field(default_factory=dict)

    def add(self, kbf: KBFile, source: str) -> None:
        """Add a file's records; an id defined before is a :class:`SchemaError`."""
        for section in ("mechanisms", "countermeasures", "evidence"):
            table = getattr(self, section)
            for i, rec in enumerate(getattr(kbf, section)):
                if rec.id in self.origin:
                    raise SchemaError(
                        f"field {section}[{i}].id: id {rec.id!r} is already defined in "
                        f"{self.origin[rec.id]}",
                        source=source,
                        fix="give the record a new id (extension files add, never replace)",
                    )
                table[rec.id] = rec
                self.origin[rec.id] = source
        for i, lk in enumerate(kbf.links):
            if lk.key in self.links:
                raise SchemaError(
                    f"field links[{i}]: link {lk.mechanism}->{lk.countermeasure} is already "
                    f"defined in {self.origin[f'{lk.mechanism}->{lk.countermeasure}']}",
                    source=source,
                    fix="add evidence to a new link only",
                )
            self.links[lk.key] = lk
            self.origin[f"{lk.mechanism}->{lk.countermeasure}"] = source
        if kbf.phenotype is not None:
            if self.phenotype is not None:
                raise SchemaError(
                    "field phenotype: the immune phenotype model is already defined",
                    source=source,
                    fix="remove the phenotype section from the extension file",
                )
            self.phenotype = kbf.phenotype
            self.origin["phenotype"] = source



@dataclass(frozen=True)
class GeneIndex:
    """What the KB needs from genes.yaml: gene symbols and mechanism -> (gene, effect)."""

    genes: frozenset[str]
    mechanisms: dict[str, tuple[tuple[str, str], ...]]


@cache
def gene_knowledge() -> GeneIndex:
    """Return the gene symbols and mechanism genes of the shipped ``genes.yaml``."""
    # genes.yaml is owned and fully validated by immunescape.genomics.knowledge; reading the
    # two keys needed here directly keeps ``import immunescape.kb`` free of scipy/genomics.
    source = "kb/data/genes.yaml"
    try:
        data = parse_yaml(shipped_text("genes.yaml"), source)
        genes = frozenset(data["genes"])
        mechs = {
            mid: tuple((g["symbol"], g["effect"]) for g in m["genes"])
            for mid, m in data["mechanisms"].items()
        }
    except SchemaError as exc:
        raise ResourceError(f"{exc}; {REINSTALL}") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise ResourceError(
            f"{source} lacks the genes/mechanisms layout ({exc.__class__.__name__}: {exc}); "
            + REINSTALL
        ) from None
    return GeneIndex(genes=genes, mechanisms=mechs)


def score_ids_of(signature_files: Sequence[PathLike]) -> set[str]:
    """Return the ids of the signature registry, with those of extra signature files."""
    from immunescape.signatures.registry import registry_ids

    return set(registry_ids([str(p) for p in signature_files]))


def _walk(conds: Iterable[Condition]) -> Iterable[Condition]:
    for c in conds:
        yield c
        if isinstance(c, GroupCondition):
            yield from _walk(c.conditions)


def _check_block(
    block: RuleBlock,
    where: str,
    source: str,
    *,
    parts: Parts,
    score_ids: set[str],
    genes_kb: GeneIndex,
) -> None:
    for eid in block.evidence:
        if eid not in parts.evidence:
            raise SchemaError(
                f"field {where}.evidence: unknown evidence id {eid!r}", source=source, fix=FIX
            )
    for c in _walk(block.conditions):
        if isinstance(c, ScoreCondition | DiscordanceCondition):
            ids = [c.score] if isinstance(c, ScoreCondition) else [c.high, c.low]
            for sid in ids:
                if sid not in score_ids:
                    close = sorted(i for i in score_ids if sid.lower()[:5] in i.lower())[:4]
                    hint = f" (close: {', '.join(close)})" if close else ""
                    raise SchemaError(
                        f"field {where}: score id {sid!r} is not in the signature registry{hint}",
                        source=source,
                        fix="use an id from 'immunescape signatures list' or pass the "
                        "signature file that defines it",
                    )
        elif isinstance(c, GeneEventsCondition):
            if c.genes_from is not None and c.genes_from not in genes_kb.mechanisms:
                raise SchemaError(
                    f"field {where}: genes_from {c.genes_from!r} is not a mechanism of "
                    "kb/data/genes.yaml",
                    source=source,
                    fix=f"use one of {', '.join(genes_kb.mechanisms)} or list genes",
                )
            if c.genes_from is not None:
                effects = {eff for _, eff in genes_kb.mechanisms[c.genes_from]}
                if c.effect not in effects:
                    raise SchemaError(
                        f"field {where}: genes.yaml mechanism {c.genes_from!r} has no gene "
                        f"with effect {c.effect!r}",
                        source=source,
                        fix=f"use effect {' or '.join(sorted(effects))}",
                    )
            for g in c.genes:
                if g not in genes_kb.genes:
                    raise SchemaError(
                        f"field {where}: gene {g!r} is not in kb/data/genes.yaml, so no "
                        "genomic events are called for it",
                        source=source,
                        fix="use a gene listed in genes.yaml",
                    )


def _known_evidence(ids: Sequence[str], parts: Parts, where: str, source: str) -> None:
    for i, eid in enumerate(ids):
        if eid not in parts.evidence:
            raise SchemaError(
                f"field {where}[{i}]: unknown evidence id {eid!r}", source=source, fix=FIX
            )


def cross_check(
    parts: Parts,
    manifest: Manifest,
    *,
    score_ids: set[str],
    genes_kb: GeneIndex,
    require_complete: bool,
) -> None:
    """Check every reference between the records of ``parts`` (first problem raised).

    ``require_complete`` also requires the manifest's mechanism and countermeasure ids and
    an immune phenotype model.
    """
    def src(key: str) -> str:
        return parts.origin.get(key, "knowledge base")

    for mid, m in parts.mechanisms.items():
        _known_evidence(m.evidence, parts, f"mechanisms (id {mid!r}).evidence", src(mid))
        for kind, blocks in (
            ("dna", m.detection.dna),
            ("rna", m.detection.rna),
            ("clinical", m.detection.clinical),
        ):
            for j, block in enumerate(blocks):
                _check_block(
                    block,
                    f"mechanisms (id {mid!r}).detection.{kind}[{j}]",
                    src(mid),
                    parts=parts,
                    score_ids=score_ids,
                    genes_kb=genes_kb,
                )
    for cid, cm in parts.countermeasures.items():
        where = f"countermeasures (id {cid!r})"
        _known_evidence(cm.evidence, parts, f"{where}.evidence", src(cid))
        _known_evidence(cm.stage_basis.evidence, parts, f"{where}.stage_basis.evidence", src(cid))
        for i, mid in enumerate(cm.mechanisms):
            if mid not in parts.mechanisms:
                raise SchemaError(
                    f"field countermeasures (id {cid!r}).mechanisms[{i}]: unknown mechanism "
                    f"id {mid!r}",
                    source=src(cid),
                    fix=FIX,
                )
            if (mid, cid) not in parts.links:
                raise SchemaError(
                    f"field countermeasures (id {cid!r}).mechanisms[{i}]: no link "
                    f"{mid}->{cid} gives the evidence for it",
                    source=src(cid),
                    fix="add the link (mechanism, countermeasure, rationale, evidence)",
                )
    for (mid, cid), lk in parts.links.items():
        key = f"{mid}->{cid}"
        if mid not in parts.mechanisms:
            raise SchemaError(
                f"field links ({key}).mechanism: unknown mechanism id {mid!r}",
                source=src(key),
                fix=FIX,
            )
        if cid not in parts.countermeasures:
            raise SchemaError(
                f"field links ({key}).countermeasure: unknown countermeasure id {cid!r}",
                source=src(key),
                fix=FIX,
            )
        same_file = src(key) == src(cid)
        if same_file and mid not in parts.countermeasures[cid].mechanisms:
            raise SchemaError(
                f"field links ({key}): countermeasure {cid!r} does not list mechanism "
                f"{mid!r} in its mechanisms",
                source=src(key),
                fix=f"add {mid} to the mechanisms of {cid}",
            )
        _known_evidence(lk.evidence, parts, f"links ({key}).evidence", src(key))
        if not any(parts.evidence[e].direction == "supports" for e in lk.evidence):
            raise SchemaError(
                f"field links ({key}).evidence: no evidence item supports the link",
                source=src(key),
                fix="cite at least one item with direction: supports",
            )
    if parts.phenotype is not None:
        ph = parts.phenotype
        for sid in (ph.t_cell_score, ph.stroma_score):
            if sid not in score_ids:
                raise SchemaError(
                    f"field phenotype: score id {sid!r} is not in the signature registry",
                    source=src("phenotype"),
                    fix="use an id from 'immunescape signatures list'",
                )
        for eid in ph.evidence:
            if eid not in parts.evidence:
                raise SchemaError(
                    f"field phenotype.evidence: unknown evidence id {eid!r}",
                    source=src("phenotype"),
                    fix=FIX,
                )
        for i, rule in enumerate(ph.rules):
            _check_block(
                rule.when,
                f"phenotype.rules[{i}].when",
                src("phenotype"),
                parts=parts,
                score_ids=score_ids,
                genes_kb=genes_kb,
            )
    if require_complete:
        for kind, required, have in (
            ("mechanism", manifest.required_mechanisms, parts.mechanisms),
            ("countermeasure", manifest.required_countermeasures, parts.countermeasures),
        ):
            missing = [i for i in required if i not in have]
            if missing:
                raise SchemaError(
                    f"required {kind} ids are missing: {', '.join(missing)}",
                    source="knowledge base",
                    fix="the ids of docs/mechanisms.md are a contract: restore them",
                )
        if parts.phenotype is None:
            raise SchemaError(
                "no immune phenotype model", source="knowledge base", fix="ship phenotype.yaml"
            )

