"""The rule language of the knowledge base: conditions, rule blocks and detection.

A mechanism's ``detection`` holds rule blocks per kind of evidence (DNA, RNA, clinical);
a block combines conditions (``score``, ``discordance``, ``gene_events``, ``feature``,
``clinical`` and nested ``group``) with ``all`` or ``any``. The language is specified in
``docs/knowledge_base.md``; :func:`immunescape.kb.describe_condition` puts a condition in
words. The models here check only what they can see; cross-references (score ids in the
signature registry, genes of ``genes.yaml``) are checked when the KB is assembled.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from immunescape.tables import EventName

__all__ = [
    "ID_PATTERN",
    "Input",
    "INPUTS",
    "FEATURE_COLUMNS",
    "FEATURE_INPUT",
    "ScoreCondition",
    "DiscordanceCondition",
    "GeneEventsCondition",
    "FeatureCondition",
    "ClinicalCondition",
    "GroupCondition",
    "Condition",
    "RuleBlock",
    "Detection",
]

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
#: The inputs a mechanism may require (any one of its ``requires`` suffices).
Input = Literal[
    "expression", "mutations", "cna", "segments", "hla", "clinical", "neoantigens", "mirna"
]
INPUTS: tuple[str, ...] = get_args(Input)
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


class StrictModel(BaseModel):
    """Base of every KB model: unknown fields are refused, records are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_percentile(value: float | None) -> float | None:
    """Refuse a percentile outside (0, 100)."""
    if value is not None and not (0 < value < 100):
        raise ValueError(f"percentile {value} must be strictly between 0 and 100")
    return value


class ScoreCondition(StrictModel):
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
        return check_percentile(v)


class DiscordanceCondition(StrictModel):
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
        return check_percentile(v)

    @model_validator(mode="after")
    def _distinct(self) -> DiscordanceCondition:
        if self.high == self.low:
            raise ValueError("discordance needs two different scores")
        return self


class GeneEventsCondition(StrictModel):
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
    check_percentile(percentile)
    del kind


class FeatureCondition(StrictModel):
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


class ClinicalCondition(StrictModel):
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


class GroupCondition(StrictModel):
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

#: Condition kinds allowed in each kind of rule block.
ALLOWED_KINDS = {
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


class RuleBlock(StrictModel):
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


class Detection(StrictModel):
    """How a mechanism can be seen: lists of rule blocks per kind of evidence."""

    dna: list[RuleBlock] = Field(default_factory=list)
    rna: list[RuleBlock] = Field(default_factory=list)
    clinical: list[RuleBlock] = Field(default_factory=list)

    @model_validator(mode="after")
    def _kinds(self) -> Detection:
        for part in ("dna", "rna", "clinical"):
            for i, block in enumerate(getattr(self, part)):
                for c in block.walk():
                    if c.kind not in ALLOWED_KINDS[part]:
                        raise ValueError(
                            f"{part}[{i}]: a {c.kind!r} condition does not belong in a "
                            f"{part} block (allowed: {', '.join(sorted(ALLOWED_KINDS[part]))})"
                        )
        return self

    @property
    def empty(self) -> bool:
        """True when no rule is given (the mechanism is not assessable from our inputs)."""
        return not (self.dna or self.rna or self.clinical)

    def blocks(self) -> list[tuple[str, RuleBlock]]:
        """Return ``(kind, block)`` pairs in the order dna, rna, clinical."""
        return [(k, b) for k in ("dna", "rna", "clinical") for b in getattr(self, k)]


