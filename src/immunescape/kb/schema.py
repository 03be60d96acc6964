"""Schema of the resistance knowledge base (pydantic models, ``extra="forbid"``).

The knowledge base (KB) has four kinds of record, each in its own YAML file under
``kb/data/`` and in the same layout in user extension files:

``mechanisms``
    An immune-checkpoint-blockade resistance mechanism: what it is, where the seed reviews
    discuss it, how to detect it from DNA, RNA and clinical data (a small rule language, see
    :class:`RuleBlock`), which inputs make it assessable, and its evidence.
``countermeasures``
    Something that may counter a mechanism (a drug class, a procedure, a diagnostic).
``evidence``
    An evidence item modelled on CIViC's: type, direction, significance, level A-E,
    therapies, disease, source identifiers, seed anchor, trust rating and a one-sentence
    statement.
``links``
    Mechanism -> countermeasure, with the evidence items that support (or contest) the link.

The rule language is specified in ``docs/knowledge_base.md``. Cross-references (ids that
must exist, score ids that must be in the signature registry, genes.yaml mechanisms) are
checked when the KB is assembled (:mod:`immunescape.kb._checks`), not here: a model only
checks what it can see. The rule language itself is in :mod:`immunescape.kb._rules` and
re-exported here.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from immunescape.kb._rules import (
    ALLOWED_KINDS,
    FEATURE_COLUMNS,
    FEATURE_INPUT,
    ID_PATTERN,
    INPUTS,
    ClinicalCondition,
    Condition,
    Detection,
    DiscordanceCondition,
    FeatureCondition,
    GeneEventsCondition,
    GroupCondition,
    Input,
    RuleBlock,
    ScoreCondition,
    StrictModel,
    check_percentile,
)
from immunescape.kb.vocabulary import Level, StudyDesign, study_design_levels
from immunescape.tables import EVENTS

__all__ = [
    "ID_PATTERN",
    "EVIDENCE_ID_PATTERN",
    "INPUTS",
    "EVENTS",
    "FEATURE_COLUMNS",
    "Level",
    "SeedAnchor",
    "ScoreCondition",
    "DiscordanceCondition",
    "GeneEventsCondition",
    "FeatureCondition",
    "ClinicalCondition",
    "GroupCondition",
    "Condition",
    "RuleBlock",
    "Detection",
    "Mechanism",
    "Countermeasure",
    "Source",
    "StageBasis",
    "SeedId",
    "Evidence",
    "Link",
    "PhenotypeRule",
    "PhenotypeModel",
    "Parameters",
    "SeedReview",
    "Manifest",
    "KBFile",
]

EVIDENCE_ID_PATTERN = r"^ev_[a-z0-9_]+$"
_PMID = re.compile(r"^\d{1,9}$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_NCT = re.compile(r"^NCT\d{8}$")
_FACT_DATE = re.compile(r"^(19|20)\d{2}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_URL = re.compile(r"^https?://\S+$")
#: The two seed reviews: 000 (Kawakami et al. 2020) and 001 (Jiang et al. 2019).
SeedId = Literal["000", "001"]


class SeedAnchor(StrictModel):
    """Where a seed review discusses a claim.

    ``seed`` is ``"000"`` (Kawakami et al. 2020, Int J Clin Oncol) or ``"001"`` (Jiang et al.
    2019, J Cancer 10:1764). ``refs`` are reference numbers: for 000 they index the review's
    own 78-item reference list; for 001 they are the in-text reference numbers (the seed file
    carries no reference list, so the paper behind each number is identified by content and
    recorded in the evidence item's source).
    """

    seed: SeedId
    section: str | None = None
    refs: list[Annotated[int, Field(ge=1, le=200)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> SeedAnchor:
        if not self.section and not self.refs:
            raise ValueError("a seed anchor needs a section or reference numbers")
        return self


def _review_date(value: _dt.date) -> _dt.date:
    """Check a review date: a real calendar date (YYYY-MM-DD), not before 2000.

    It is not compared with the machine's clock (a KB must load the same everywhere); the
    shipped-KB tests check that no review date is later than the month of ``kb_version``.
    """
    if isinstance(value, _dt.datetime):
        value = value.date()
    if value < _dt.date(2000, 1, 1):
        raise ValueError(f"last_reviewed {value} is before 2000")
    return value


class Mechanism(StrictModel):
    """One resistance (or sensitivity) mechanism."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=3)
    summary: str = Field(min_length=20)
    category: Literal[
        "tumour_intrinsic", "antigenicity", "microenvironment", "t_cell_intrinsic", "host"
    ]
    effect: Literal["resistance", "sensitivity", "mixed"] = "resistance"
    genes: list[str] = Field(default_factory=list)
    seed_anchors: list[SeedAnchor] = Field(default_factory=list)
    detection: Detection = Field(default_factory=Detection)
    requires: list[Input] = Field(default_factory=list)
    not_assessable_reason: str | None = None
    evidence: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _assessable(self) -> Mechanism:
        if self.detection.empty:
            if self.requires:
                raise ValueError("requires lists inputs but detection has no rule")
            if not self.not_assessable_reason:
                raise ValueError("a mechanism without detection rules needs not_assessable_reason")
            return self
        if not self.requires:
            raise ValueError("detection rules are given but requires is empty")
        needed = set()
        if self.detection.rna:
            needed.add("expression")
        if self.detection.clinical:
            needed.add("clinical")
        for block in self.detection.dna:
            for c in block.walk():
                if isinstance(c, FeatureCondition):
                    needed.add(FEATURE_INPUT[c.table])
                elif isinstance(c, GeneEventsCondition):
                    cna_only = set(c.events) <= {"deep_deletion", "amplification", "loh"}
                    if not cna_only and "mutations" not in self.requires:
                        needed.add("mutations")
                    elif cna_only and not {"cna", "segments"} & set(self.requires):
                        needed.add("cna")
        missing = sorted(needed - set(self.requires))
        if missing:
            raise ValueError(f"detection reads {', '.join(missing)} but requires does not list it")
        return self

    def clinical_fields(self) -> list[str]:
        """Clinical fields read by the clinical rules, in order of appearance."""
        out: list[str] = []
        for block in self.detection.clinical:
            for c in block.walk():
                if isinstance(c, ClinicalCondition) and c.field not in out:
                    out.append(c.field)
        return out

    def score_ids(self) -> list[str]:
        """Registry score ids read by the RNA rules, in order of appearance."""
        out: list[str] = []
        for block in self.detection.rna:
            for c in block.walk():
                ids = [c.score] if isinstance(c, ScoreCondition) else []
                if isinstance(c, DiscordanceCondition):
                    ids = [c.high, c.low]
                out.extend(i for i in ids if i not in out)
        return out


def _check(pattern: re.Pattern[str], what: str, rule: str):
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{what} {value!r} {rule}")
        return value

    return check


#: Identifiers checked once, wherever a model carries them.
Pmid = Annotated[str, AfterValidator(_check(_PMID, "pmid", "must be digits only"))]
Doi = Annotated[str, AfterValidator(_check(_DOI, "doi", "must look like 10.xxxx/..."))]
NctId = Annotated[str, AfterValidator(
    _check(_NCT, "nct", "is not an NCT id (NCT followed by 8 digits)"))]
Url = Annotated[str, AfterValidator(
    _check(_URL, "url", "must start with http:// or https://"))]


class StageBasis(StrictModel):
    """When a countermeasure's ``stage`` was true and where that fact comes from.

    ``date`` is the date of the fact itself (the publication, approval or trial stop that
    sets the stage: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``); ``citation`` names the source,
    with at least one checkable identifier (``pmid``, ``doi``, ``nct``, ``url``) or an
    evidence item of the KB (``evidence``); ``last_reviewed`` is the day a curator last
    checked the stage against its source; ``note`` says what the stage does not cover (for
    example an approval in another setting than after resistance).
    """

    date: str
    citation: str = Field(min_length=10)
    pmid: Pmid | None = None
    doi: Doi | None = None
    nct: list[NctId] = Field(default_factory=list)
    url: Url | None = None
    evidence: list[str] = Field(default_factory=list)
    last_reviewed: _dt.date
    note: str | None = None

    @field_validator("date")
    @classmethod
    def _date(cls, v: str) -> str:
        if not _FACT_DATE.match(v):
            raise ValueError(f"date {v!r} must be YYYY, YYYY-MM or YYYY-MM-DD")
        return v

    @field_validator("last_reviewed")
    @classmethod
    def _reviewed(cls, v: _dt.date) -> _dt.date:
        return _review_date(v)

    @model_validator(mode="after")
    def _sourced(self) -> StageBasis:
        if not (self.pmid or self.doi or self.nct or self.url or self.evidence):
            raise ValueError(
                "a stage needs a checkable source: pmid, doi, nct, url or an evidence id"
            )
        return self


class Countermeasure(StrictModel):
    """Something that may counter one or more mechanisms.

    ``stage`` is the most advanced stage reached for use *against resistance* (after
    checkpoint-blockade failure, or in tumours carrying the mechanism), not the drug's
    general status; ``stage_basis`` dates it and names its source.
    """

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=3)
    summary: str = Field(min_length=20)
    kind: Literal["drug_class", "procedure", "diagnostic", "cell_therapy", "vaccine", "microbiome"]
    stage: Literal[
        "approved", "phase3", "phase2", "phase1", "preclinical", "negative_phase3", "concept"
    ]
    agents: list[str] = Field(default_factory=list)
    trials: list[str] = Field(default_factory=list)
    mechanisms: list[str] = Field(default_factory=list)
    seed_anchors: list[SeedAnchor] = Field(default_factory=list)
    stage_basis: StageBasis
    evidence: list[str] = Field(min_length=1)
    caution: str | None = None

    @field_validator("trials")
    @classmethod
    def _trials(cls, value: list[str]) -> list[str]:
        for t in value:
            if not _NCT.match(t):
                raise ValueError(f"trial {t!r} is not an NCT id (NCT followed by 8 digits)")
        return value


class Source(StrictModel):
    """Where an evidence item comes from.

    ``citation`` is always the full reference of the primary work. ``pmid``, ``doi`` and
    ``nct`` are its identifiers, given only when confirmed. When none of the primary paper's
    identifiers could be confirmed, ``via_seed`` names the seed review that cites it (the
    review's DOI then serves as the traceable identifier, see :class:`Manifest`) and the
    item's trust rating should be lowered.
    """

    citation: str = Field(min_length=10)
    pmid: Pmid | None = None
    doi: Doi | None = None
    nct: list[NctId] = Field(default_factory=list)
    url: Url | None = None
    via_seed: SeedId | None = None

    @model_validator(mode="after")
    def _identified(self) -> Source:
        if not (self.pmid or self.doi or self.nct or self.via_seed):
            raise ValueError("a source needs a pmid, doi, nct or via_seed")
        return self

    @property
    def identifiers(self) -> list[str]:
        """``PMID:...``, ``DOI:...`` and ``NCT...`` strings of the primary work."""
        out = [f"PMID:{self.pmid}"] if self.pmid else []
        out += [f"DOI:{self.doi}"] if self.doi else []
        return out + list(self.nct)


class Evidence(StrictModel):
    """One evidence item (after CIViC's evidence model).

    ``level`` must be allowed by the study design ``model``
    (:func:`~immunescape.kb.vocabulary.study_design_levels`, from ``kb/data/vocabulary.yaml``).
    ``last_reviewed`` is the day a curator last checked the item against its source,
    ``verification`` says how (which record, which numbers) and ``unresolved`` what could not
    be confirmed (``docs/knowledge_base.md``, "Review rules").
    """

    id: str = Field(pattern=EVIDENCE_ID_PATTERN)
    evidence_type: Literal["predictive", "prognostic", "functional", "diagnostic", "predisposing"]
    direction: Literal["supports", "does_not_support"]
    significance: Literal[
        "resistance",
        "sensitivity",
        "reduced_sensitivity",
        "better_outcome",
        "poor_outcome",
        "loss_of_function",
        "gain_of_function",
        "positive",
        "negative",
    ]
    level: Level
    model: StudyDesign
    therapies: list[str] = Field(default_factory=list)
    interaction_type: Literal["combination", "sequential", "substitutes"] | None = None
    disease: str = Field(min_length=3)
    source: Source
    seed_anchor: SeedAnchor | None = None
    trust_rating: int = Field(ge=1, le=5)
    statement: str = Field(min_length=20)
    last_reviewed: _dt.date
    verification: str | None = Field(default=None, min_length=10)
    unresolved: str | None = None

    @field_validator("last_reviewed")
    @classmethod
    def _reviewed(cls, v: _dt.date) -> _dt.date:
        return _review_date(v)

    @field_validator("statement")
    @classmethod
    def _one_sentence(cls, v: str) -> str:
        body = v.strip().rstrip(".")
        if re.search(r"[.!?]\s+[A-Z]", body):
            raise ValueError("statement must be one sentence")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Evidence:
        if len(self.therapies) > 1 and self.interaction_type is None:
            raise ValueError("two or more therapies need an interaction_type")
        if len(self.therapies) <= 1 and self.interaction_type is not None:
            raise ValueError("interaction_type needs two or more therapies")
        if self.level not in study_design_levels()[self.model]:
            if self.model in ("mouse", "cell_line"):
                raise ValueError(f"{self.model} evidence is level D (or E), not {self.level}")
            if self.model == "human_case":
                raise ValueError("a case report or case series is level C at most")
            if self.model == "review":
                raise ValueError("evidence resting on a review alone is level E")
            raise ValueError("level A needs a validated or approved use (human_trial)")
        return self


class Link(StrictModel):
    """A mechanism -> countermeasure link with the evidence behind it."""

    mechanism: str = Field(pattern=ID_PATTERN)
    countermeasure: str = Field(pattern=ID_PATTERN)
    rationale: str = Field(min_length=20)
    evidence: list[str] = Field(min_length=1)

    @property
    def key(self) -> tuple[str, str]:
        """``(mechanism, countermeasure)``."""
        return (self.mechanism, self.countermeasure)


class PhenotypeRule(StrictModel):
    """First matching rule names the immune phenotype of a sample."""

    phenotype: Literal["inflamed", "excluded", "desert"]
    when: RuleBlock


class PhenotypeModel(StrictModel):
    """Immune phenotype from RNA: ordered rules, then ``otherwise``."""

    t_cell_score: str
    stroma_score: str
    rules: list[PhenotypeRule] = Field(min_length=1)
    otherwise: Literal["inflamed", "excluded", "desert"]
    evidence: list[str] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _rna_only(self) -> PhenotypeModel:
        for r in self.rules:
            for c in r.when.walk():
                if c.kind not in ALLOWED_KINDS["rna"]:
                    raise ValueError(f"phenotype rules read RNA scores only, not {c.kind!r}")
        return self


class Parameters(StrictModel):
    """Default thresholds of the rule language (cohort percentiles, 0-100)."""

    low_percentile: float = 25.0
    high_percentile: float = 75.0
    discordance_min_gap: float = 50.0
    min_reference_samples: int = Field(default=20, ge=3)

    @model_validator(mode="after")
    def _order(self) -> Parameters:
        for name in ("low_percentile", "high_percentile"):
            check_percentile(getattr(self, name))
        if self.low_percentile >= self.high_percentile:
            raise ValueError("low_percentile must be below high_percentile")
        if not 0 < self.discordance_min_gap < 100:
            raise ValueError("discordance_min_gap must be in (0, 100)")
        return self


class SeedReview(StrictModel):
    """One seed review (the scope of the KB)."""

    citation: str
    doi: str | None = None
    pmid: str | None = None
    file: str
    note: str | None = None


class Manifest(StrictModel):
    """``kb/data/kb.yaml``: version, parameters, seeds and the data files."""

    schema_version: Literal[1]
    kb_version: str = Field(pattern=r"^\d{4}\.\d{2}\.\d+$")
    description: str
    parameters: Parameters = Field(default_factory=Parameters)
    seeds: dict[SeedId, SeedReview]
    files: list[str] = Field(min_length=1)
    required_mechanisms: list[str] = Field(default_factory=list)
    required_countermeasures: list[str] = Field(default_factory=list)
    disclaimer: str = Field(min_length=20)


class KBFile(StrictModel):
    """One KB data file (shipped or user extension); every section optional."""

    schema_version: Literal[1] = 1
    mechanisms: list[Mechanism] = Field(default_factory=list)
    countermeasures: list[Countermeasure] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    phenotype: PhenotypeModel | None = None
