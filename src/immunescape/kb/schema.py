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
checked by :mod:`immunescape.kb.loader`, not here: a model only checks what it can see.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from immunescape.tables import EVENTS, EventName

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
    "STUDY_DESIGN_LEVELS",
    "Evidence",
    "Link",
    "PhenotypeRule",
    "PhenotypeModel",
    "Parameters",
    "SeedReview",
    "Manifest",
    "KBFile",
]

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
EVIDENCE_ID_PATTERN = r"^ev_[a-z0-9_]+$"
_PMID = re.compile(r"^\d{1,9}$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_NCT = re.compile(r"^NCT\d{8}$")
_FACT_DATE = re.compile(r"^(19|20)\d{2}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_URL = re.compile(r"^https?://\S+$")
#: Evidence levels each study design (``Evidence.model``) may carry. A level outside its
#: design's set says more than the study can show: a cell-line or mouse study is preclinical
#: (D) or, when used only as an inference, E; a case report or case series is C at most; a
#: review is E; A needs a validated or approved use from trials; E is always allowed (an
#: inference drawn from the study). ``docs/knowledge_base.md`` ("Review rules").
STUDY_DESIGN_LEVELS: dict[str, frozenset[str]] = {
    "cell_line": frozenset("DE"),
    "mouse": frozenset("DE"),
    "human_case": frozenset("CE"),
    "human_cohort": frozenset("BCE"),
    "human_trial": frozenset("ABCE"),
    "review": frozenset("E"),
}

Level = Literal["A", "B", "C", "D", "E"]
Input = Literal[
    "expression", "mutations", "cna", "segments", "hla", "clinical", "neoantigens", "mirna"
]
INPUTS: tuple[str, ...] = (
    "expression",
    "mutations",
    "cna",
    "segments",
    "hla",
    "clinical",
    "neoantigens",
    "mirna",
)
#: Columns of the genomics tables that DNA ``feature`` conditions may read, with their type.
FEATURE_COLUMNS: dict[str, dict[str, Literal["number", "boolean"]]] = {
    "tmb": {"tmb_per_mb": "number", "n_mutations_counted": "number", "neoantigen_load": "number"},
    "scna": {
        "fraction_genome_altered": "number",
        "fraction_gained": "number",
        "fraction_lost": "number",
        "n_arms_gained": "number",
        "n_arms_lost": "number",
    },
    "hla": {
        "any_homozygous": "boolean",
        "n_homozygous_loci": "number",
        "hla_a_homozygous": "boolean",
        "hla_b_homozygous": "boolean",
        "hla_c_homozygous": "boolean",
        "b44_supertype": "boolean",
        "b62_supertype": "boolean",
        "hla_loh": "boolean",
    },
}
#: Which input each DNA feature table comes from.
FEATURE_INPUT: dict[str, str] = {"tmb": "mutations", "scna": "segments", "hla": "hla"}

Op = Literal["lt", "le", "gt", "ge", "eq", "is_true", "is_false", "high", "low"]
_NUMERIC_OPS = {"lt", "le", "gt", "ge", "eq"}
_BOOL_OPS = {"is_true", "is_false"}
_COHORT_OPS = {"high", "low"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeedAnchor(_Strict):
    """Where a seed review discusses a claim.

    ``seed`` is ``"000"`` (Kawakami et al. 2020, Int J Clin Oncol) or ``"001"`` (Jiang et al.
    2019, J Cancer 10:1764). ``refs`` are reference numbers: for 000 they index the review's
    own 78-item reference list; for 001 they are the in-text reference numbers (the seed file
    carries no reference list, so the paper behind each number is identified by content and
    recorded in the evidence item's source).
    """

    seed: Literal["000", "001"]
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


def _percentile(value: float | None) -> float | None:
    if value is not None and not (0 < value < 100):
        raise ValueError(f"percentile {value} must be strictly between 0 and 100")
    return value


class ScoreCondition(_Strict):
    """A registry score is high or low relative to the cohort.

    ``high``: percentile >= ``percentile`` (default ``parameters.high_percentile``, 75);
    ``low``: percentile <= ``percentile`` (default ``parameters.low_percentile``, 25);
    ``not_high``: percentile < the high threshold; ``not_low``: percentile > the low one.
    """

    kind: Literal["score"]
    score: str
    relation: Literal["high", "low", "not_high", "not_low"]
    percentile: float | None = None

    @field_validator("percentile")
    @classmethod
    def _pct(cls, v: float | None) -> float | None:
        return _percentile(v)


class DiscordanceCondition(_Strict):
    """Score ``high`` is high while score ``low`` lags behind it.

    True when percentile(high) >= ``high_percentile`` (default ``parameters.high_percentile``)
    and percentile(high) - percentile(low) >= ``min_gap`` (default
    ``parameters.discordance_min_gap``, 50 percentile points). Example: CD8 T cells present
    but the IFN-gamma response of the tumour low.
    """

    kind: Literal["discordance"]
    high: str
    low: str
    min_gap: float | None = Field(default=None, gt=0, lt=100)
    high_percentile: float | None = None

    @field_validator("high_percentile")
    @classmethod
    def _pct(cls, v: float | None) -> float | None:
        return _percentile(v)

    @model_validator(mode="after")
    def _distinct(self) -> DiscordanceCondition:
        if self.high == self.low:
            raise ValueError("discordance needs two different scores")
        return self


class GeneEventsCondition(_Strict):
    """At least ``min_genes`` genes carry a qualifying event in ``genomic_events``.

    Genes: those of ``genes_from`` (a mechanism id in ``kb/data/genes.yaml``, restricted to
    genes whose ``effect`` is ``effect``) plus ``genes``. An event qualifies when its
    ``event`` is in ``events``, its ``functional_call`` is in ``functional_call`` (if given)
    and, when ``biallelic_required`` is true, its ``biallelic`` column is ``"true"``.
    """

    kind: Literal["gene_events"]
    genes_from: str | None = None
    genes: list[str] = Field(default_factory=list)
    effect: Literal["resistance", "sensitivity"] = "resistance"
    events: list[EventName] = Field(min_length=1)
    functional_call: list[Literal["loss_of_function", "activating"]] = Field(default_factory=list)
    biallelic_required: bool = False
    min_genes: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _genes(self) -> GeneEventsCondition:
        if not self.genes_from and not self.genes:
            raise ValueError("gene_events needs genes_from (a genes.yaml mechanism) or genes")
        return self


def _check_op(op: str, value: float | None, percentile: float | None, kind: str) -> None:
    if op in _NUMERIC_OPS and value is None:
        raise ValueError(f"op {op!r} needs a value")
    if op not in _NUMERIC_OPS and value is not None:
        raise ValueError(f"op {op!r} takes no value")
    if op not in _COHORT_OPS and percentile is not None:
        raise ValueError(f"op {op!r} takes no percentile (only high/low do)")
    _percentile(percentile)
    del kind


class FeatureCondition(_Strict):
    """A column of a genomics table (``tmb``, ``scna``, ``hla``) compared with a value.

    ``op``: ``lt le gt ge eq`` with ``value`` (absolute), ``is_true``/``is_false`` for boolean
    columns, or ``high``/``low`` (cohort percentile, as in :class:`ScoreCondition`).
    """

    kind: Literal["feature"]
    table: Literal["tmb", "scna", "hla"]
    column: str
    op: Op
    value: float | None = None
    percentile: float | None = None

    @model_validator(mode="after")
    def _column(self) -> FeatureCondition:
        cols = FEATURE_COLUMNS[self.table]
        if self.column not in cols:
            raise ValueError(
                f"column {self.column!r} is not in the {self.table} table "
                f"(known: {', '.join(cols)})"
            )
        _check_op(self.op, self.value, self.percentile, "feature")
        boolean = cols[self.column] == "boolean"
        if boolean and self.op not in _BOOL_OPS:
            raise ValueError(f"{self.column} is boolean: use is_true or is_false")
        if not boolean and self.op in _BOOL_OPS:
            raise ValueError(f"{self.column} is a number: use lt/le/gt/ge/eq/high/low")
        return self


class ClinicalCondition(_Strict):
    """A clinical field (a column of the clinical table) compared with a value.

    Same operators as :class:`FeatureCondition`. Field names are lower_snake_case, e.g.
    ``antibiotics``, ``bmi``, ``serum_cd73``, ``serum_vegf``.
    """

    kind: Literal["clinical"]
    field: str = Field(pattern=ID_PATTERN)
    op: Op
    value: float | None = None
    percentile: float | None = None
    unit: str | None = None

    @model_validator(mode="after")
    def _op(self) -> ClinicalCondition:
        _check_op(self.op, self.value, self.percentile, "clinical")
        return self


class GroupCondition(_Strict):
    """A nested group of conditions combined with ``all`` or ``any``."""

    kind: Literal["group"]
    combine: Literal["all", "any"] = "all"
    conditions: list[Condition] = Field(min_length=1)


Condition = Annotated[
    ScoreCondition
    | DiscordanceCondition
    | GeneEventsCondition
    | FeatureCondition
    | ClinicalCondition
    | GroupCondition,
    Field(discriminator="kind"),
]
GroupCondition.model_rebuild()

_ALLOWED = {
    "rna": {"score", "discordance", "group"},
    "dna": {"gene_events", "feature", "group"},
    "clinical": {"clinical", "group"},
}


def _walk(conditions: list[Condition]) -> list[Condition]:
    out: list[Condition] = []
    for c in conditions:
        out.append(c)
        if isinstance(c, GroupCondition):
            out.extend(_walk(c.conditions))
    return out


class RuleBlock(_Strict):
    """Conditions over one kind of evidence, combined with ``all`` (default) or ``any``.

    ``weight`` says how much a match counts: ``strong`` (enough on its own to call the
    mechanism present), ``moderate`` or ``weak`` (supporting only). ``basis`` says whether
    the rule was validated in the cited work (``published``) or is an inference from it
    (``inferential``, evidence level E). ``evidence`` lists the evidence ids behind the rule.
    """

    combine: Literal["all", "any"] = "all"
    conditions: list[Condition] = Field(min_length=1)
    weight: Literal["strong", "moderate", "weak"]
    basis: Literal["published", "inferential"] = "inferential"
    evidence: list[str] = Field(default_factory=list)
    note: str | None = None

    def walk(self) -> list[Condition]:
        """Return every condition of the block, nested groups flattened (pre-order)."""
        return _walk(self.conditions)


class Detection(_Strict):
    """How a mechanism can be seen: lists of rule blocks per kind of evidence."""

    dna: list[RuleBlock] = Field(default_factory=list)
    rna: list[RuleBlock] = Field(default_factory=list)
    clinical: list[RuleBlock] = Field(default_factory=list)

    @model_validator(mode="after")
    def _kinds(self) -> Detection:
        for part in ("dna", "rna", "clinical"):
            for i, block in enumerate(getattr(self, part)):
                for c in block.walk():
                    if c.kind not in _ALLOWED[part]:
                        raise ValueError(
                            f"{part}[{i}]: a {c.kind!r} condition does not belong in a "
                            f"{part} block (allowed: {', '.join(sorted(_ALLOWED[part]))})"
                        )
        return self

    @property
    def empty(self) -> bool:
        """True when no rule is given (the mechanism is not assessable from our inputs)."""
        return not (self.dna or self.rna or self.clinical)

    def blocks(self) -> list[tuple[str, RuleBlock]]:
        """Return ``(kind, block)`` pairs in the order dna, rna, clinical."""
        return [(k, b) for k in ("dna", "rna", "clinical") for b in getattr(self, k)]


class Mechanism(_Strict):
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


class StageBasis(_Strict):
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


class Countermeasure(_Strict):
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


class Source(_Strict):
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
    via_seed: Literal["000", "001"] | None = None

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


class Evidence(_Strict):
    """One evidence item (after CIViC's evidence model).

    ``level`` must be allowed by the study design ``model`` (:data:`STUDY_DESIGN_LEVELS`).
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
    model: Literal["human_trial", "human_cohort", "human_case", "mouse", "cell_line", "review"]
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
        if self.level not in STUDY_DESIGN_LEVELS[self.model]:
            if self.model in ("mouse", "cell_line"):
                raise ValueError(f"{self.model} evidence is level D (or E), not {self.level}")
            if self.model == "human_case":
                raise ValueError("a case report or case series is level C at most")
            if self.model == "review":
                raise ValueError("evidence resting on a review alone is level E")
            raise ValueError("level A needs a validated or approved use (human_trial)")
        return self


class Link(_Strict):
    """A mechanism -> countermeasure link with the evidence behind it."""

    mechanism: str = Field(pattern=ID_PATTERN)
    countermeasure: str = Field(pattern=ID_PATTERN)
    rationale: str = Field(min_length=20)
    evidence: list[str] = Field(min_length=1)

    @property
    def key(self) -> tuple[str, str]:
        """``(mechanism, countermeasure)``."""
        return (self.mechanism, self.countermeasure)


class PhenotypeRule(_Strict):
    """First matching rule names the immune phenotype of a sample."""

    phenotype: Literal["inflamed", "excluded", "desert"]
    when: RuleBlock


class PhenotypeModel(_Strict):
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
                if c.kind not in _ALLOWED["rna"]:
                    raise ValueError(f"phenotype rules read RNA scores only, not {c.kind!r}")
        return self


class Parameters(_Strict):
    """Default thresholds of the rule language (cohort percentiles, 0-100)."""

    low_percentile: float = 25.0
    high_percentile: float = 75.0
    discordance_min_gap: float = 50.0
    min_reference_samples: int = Field(default=20, ge=3)

    @model_validator(mode="after")
    def _order(self) -> Parameters:
        for name in ("low_percentile", "high_percentile"):
            _percentile(getattr(self, name))
        if self.low_percentile >= self.high_percentile:
            raise ValueError("low_percentile must be below high_percentile")
        if not 0 < self.discordance_min_gap < 100:
            raise ValueError("discordance_min_gap must be in (0, 100)")
        return self


class SeedReview(_Strict):
    """One seed review (the scope of the KB)."""

    citation: str
    doi: str | None = None
    pmid: str | None = None
    file: str
    note: str | None = None


class Manifest(_Strict):
    """``kb/data/kb.yaml``: version, parameters, seeds and the data files."""

    schema_version: Literal[1]
    kb_version: str = Field(pattern=r"^\d{4}\.\d{2}\.\d+$")
    description: str
    parameters: Parameters = Field(default_factory=Parameters)
    seeds: dict[Literal["000", "001"], SeedReview]
    files: list[str] = Field(min_length=1)
    required_mechanisms: list[str] = Field(default_factory=list)
    required_countermeasures: list[str] = Field(default_factory=list)
    disclaimer: str = Field(min_length=20)


class KBFile(_Strict):
    """One KB data file (shipped or user extension); every section optional."""

    schema_version: Literal[1] = 1
    mechanisms: list[Mechanism] = Field(default_factory=list)
    countermeasures: list[Countermeasure] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    phenotype: PhenotypeModel | None = None
