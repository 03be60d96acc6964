"""The validated knowledge base (:class:`KnowledgeBase`) and its look-ups."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from immunescape.errors import InputError
from immunescape.kb.schema import (
    Countermeasure,
    Evidence,
    Link,
    Manifest,
    Mechanism,
    Parameters,
    PhenotypeModel,
    SeedId,
)
from immunescape.kb.vocabulary import LEVEL_ORDER

__all__ = ["KnowledgeBase"]


@dataclass(frozen=True)
class KnowledgeBase:
    """The validated knowledge base.

    Attributes
    ----------
    mechanisms, countermeasures, evidence
        Records by id, in file order.
    links
        Links by ``(mechanism_id, countermeasure_id)``.
    phenotype
        The immune phenotype rule set.
    manifest
        ``kb.yaml``: version, default parameters, seed reviews, required ids, disclaimer.
    sha256
        Checksum over every data file read (shipped and user), in reading order.
    files
        File name (or user path) -> its sha256.
    origin
        Record id (mechanism, countermeasure or evidence id; ``"mech->cm"`` for links) ->
        the file it came from.

    Examples
    --------
    >>> from immunescape.kb import load_kb
    >>> kb = load_kb()
    >>> kb.mechanisms["ifng_pathway_loss"].category
    'tumour_intrinsic'
    >>> kb.link_level(kb.links[("lag3_coinhibition", "anti_lag3")])
    'A'
    """

    mechanisms: dict[str, Mechanism]
    countermeasures: dict[str, Countermeasure]
    evidence: dict[str, Evidence]
    links: dict[tuple[str, str], Link]
    phenotype: PhenotypeModel
    manifest: Manifest
    sha256: str
    files: dict[str, str] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """KB version from ``kb.yaml`` (``+user.<sha8>`` when user files were added)."""
        user = [f for f in self.files if f not in self.manifest.files and f != "kb.yaml"]
        return self.manifest.kb_version + (f"+user.{self.sha256[:8]}" if user else "")

    @property
    def parameters(self) -> Parameters:
        """Default thresholds of the rule language."""
        return self.manifest.parameters

    def links_of(self, mechanism_id: str) -> list[Link]:
        """Links leaving a mechanism, in file order."""
        return [lk for (m, _), lk in self.links.items() if m == mechanism_id]

    def mechanisms_of(self, countermeasure_id: str) -> list[str]:
        """Mechanisms a countermeasure addresses: its own list plus links from user files."""
        own = list(self.countermeasures[countermeasure_id].mechanisms)
        return own + [
            lk.mechanism for lk in self.links_to(countermeasure_id) if lk.mechanism not in own
        ]

    def links_to(self, countermeasure_id: str) -> list[Link]:
        """Links arriving at a countermeasure, in file order."""
        return [lk for (_, c), lk in self.links.items() if c == countermeasure_id]

    def best_level(self, evidence_ids: Iterable[str]) -> str | None:
        """Strongest level among ``supports`` items of ``evidence_ids`` (None if none)."""
        levels = [
            self.evidence[e].level for e in evidence_ids if self.evidence[e].direction == "supports"
        ]
        return min(levels, key=LEVEL_ORDER.index) if levels else None

    def link_level(self, link: Link) -> str | None:
        """Level of a link: the strongest supporting evidence item behind it.

        A recommendation should report the weaker of this and the level of the evidence
        behind the mechanism call (see docs/knowledge_base.md, "Evidence levels").
        """
        return self.best_level(link.evidence)

    def link_contested(self, link: Link) -> bool:
        """Return True when an evidence item of the link does not support it."""
        return any(self.evidence[e].direction == "does_not_support" for e in link.evidence)

    def seed_identifier(self, seed: SeedId) -> str:
        """``DOI:...`` (or ``PMID:...``) of a seed review, e.g. for ``via_seed`` sources."""
        s = self.manifest.seeds[seed]
        return f"DOI:{s.doi}" if s.doi else f"PMID:{s.pmid}"

    def citation_ids(self, evidence_id: str) -> list[str]:
        """Return the identifiers to cite for an evidence item (seed review's if none)."""
        ev = self.evidence[evidence_id]
        ids = ev.source.identifiers
        if not ids and ev.source.via_seed:
            ids = [f"{self.seed_identifier(ev.source.via_seed)} (seed {ev.source.via_seed})"]
        return ids

    def get(self, entry_id: str) -> Mechanism | Countermeasure | Evidence:
        """Return the mechanism, countermeasure or evidence item with this id.

        Raises
        ------
        InputError
            If no record has the id (with close matches as the fix).
        """
        if entry_id in self.mechanisms:
            return self.mechanisms[entry_id]
        if entry_id in self.countermeasures:
            return self.countermeasures[entry_id]
        if entry_id in self.evidence:
            return self.evidence[entry_id]
        every = [*self.mechanisms, *self.countermeasures, *self.evidence]
        wanted = entry_id.strip().lower()
        close = [i for i in every if wanted and wanted in i][:5]
        hint = f"did you mean {', '.join(close)}? " if close else ""
        # a gene symbol: name the mechanisms that list it
        of_gene = [m.id for m in self.mechanisms.values()
                   if wanted and wanted in {g.lower() for g in m.genes}]
        if of_gene:
            hint = (f"{entry_id.strip().upper()} is a gene of mechanism(s) "
                    f"{', '.join(of_gene)}: try 'immunescape kb show {of_gene[0]}'; {hint}")
        raise InputError(
            f"no mechanism, countermeasure or evidence item has the id {entry_id!r}",
            fix=f"{hint}list the ids with 'immunescape kb list'",
        )

