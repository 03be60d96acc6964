"""Schema and loader of the gene knowledge file (``kb/data/genes.yaml``).

The file says which genes matter for which mechanism and how: a tumour suppressor counts
loss-of-function events, an oncogene counts activating hotspots and amplification, a mutator
gene is read through the mutation burden. Hotspot residues live in the file, not in code.
The knowledge-base work will extend the file; the schema below is the contract.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from immunescape._resources import REINSTALL, read_resource
from immunescape.errors import ResourceError, SchemaError

__all__ = [
    "Role",
    "Hotspot",
    "GeneEntry",
    "MechanismGene",
    "Mechanism",
    "GeneKnowledge",
    "load_gene_knowledge",
    "three_to_one",
]

Role = Literal["tumour_suppressor", "oncogene", "mutator"]
_CITATION = r"^(PMID:\d+|DOI:10\.\S+)$"


def _check_citations(value: list[str]) -> list[str]:
    for c in value:
        if not re.match(_CITATION, c):
            raise ValueError(f"citation {c!r} is not 'PMID:<n>' or 'DOI:<doi>'")
    return value


#: One or more ``PMID:<n>`` / ``DOI:<doi>`` references.
Citations = Annotated[list[str], Field(min_length=1), AfterValidator(_check_citations)]
_AA3 = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E",
    "Gly": "G", "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F",
    "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*",
    "Sec": "U", "Pyl": "O", "Xaa": "X",
}  # fmt: skip
_RESIDUE = re.compile(r"^([A-Z])(\d+)$")


def three_to_one(code: str) -> str:
    """Return the one-letter code of a three-letter amino-acid code (one-letter codes pass).

    Parameters
    ----------
    code
        ``"Val"``, ``"V"``, ``"Ter"`` or ``"*"``.

    Returns
    -------
    str
        One letter (``"*"`` for a stop).

    Examples
    --------
    >>> three_to_one("Val"), three_to_one("V"), three_to_one("Ter")
    ('V', 'V', '*')
    """
    return _AA3.get(code, code)


class Hotspot(BaseModel):
    """Activating residues of an oncogene.

    ``residues`` is one residue (``"V600"``) or an inclusive range (``"D32-S45"``); the letter
    is the reference amino acid and is checked against the variant's HGVSp.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    residues: str
    classes: list[Literal["missense", "inframe"]] = Field(min_length=1)
    note: str | None = None
    citations: Citations

    @field_validator("residues")
    @classmethod
    def _residues(cls, value: str) -> str:
        parts = value.split("-")
        if len(parts) not in (1, 2) or not all(_RESIDUE.match(p) for p in parts):
            raise ValueError(f"residues {value!r} must look like 'V600' or 'D32-S45'")
        if len(parts) == 2 and int(parts[0][1:]) > int(parts[1][1:]):
            raise ValueError(f"residue range {value!r} runs backwards")
        return value

    @property
    def start(self) -> int:
        """First residue number."""
        return int(self.residues.split("-")[0][1:])

    @property
    def end(self) -> int:
        """Last residue number (inclusive)."""
        return int(self.residues.split("-")[-1][1:])

    @property
    def ref(self) -> str | None:
        """Reference amino acid of a single-residue hotspot (None for a range)."""
        parts = self.residues.split("-")
        return parts[0][0] if len(parts) == 1 else None

    @property
    def range_refs(self) -> tuple[str, str]:
        """Reference amino acids at the two ends of the residue range."""
        parts = self.residues.split("-")
        return parts[0][0], parts[-1][0]


class GeneEntry(BaseModel):
    """One gene: its role and, for oncogenes, its activating hotspots."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    citations: Citations
    hotspots: list[Hotspot] = Field(default_factory=list)
    note: str | None = None

    @model_validator(mode="after")
    def _hotspots_only_for_oncogenes(self) -> GeneEntry:
        if self.hotspots and self.role != "oncogene":
            raise ValueError(f"hotspots are given for a gene whose role is {self.role}")
        return self


class MechanismGene(BaseModel):
    """A gene of a mechanism and what its alteration is evidence for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str
    effect: Literal["resistance", "sensitivity"]


class Mechanism(BaseModel):
    """A mechanism id (see docs/mechanisms.md) with its genes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    genes: list[MechanismGene] = Field(min_length=1)
    citations: Citations
    note: str | None = None


class GeneKnowledge(BaseModel):
    """The whole gene knowledge file.

    Examples
    --------
    >>> kb = load_gene_knowledge()
    >>> kb.genes["CTNNB1"].hotspots[0].residues, kb.genes["JAK1"].role
    ('D32-S45', 'tumour_suppressor')
    >>> sorted(kb.mechanisms_of("JAK2"))
    ['ifng_pathway_loss']
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1]
    genes: dict[str, GeneEntry]
    mechanisms: dict[str, Mechanism]

    @field_validator("mechanisms")
    @classmethod
    def _ids(cls, value: dict[str, Mechanism]) -> dict[str, Mechanism]:
        for key in value:
            if not re.match(r"^[a-z][a-z0-9_]*$", key):
                raise ValueError(f"mechanism id {key!r} must be lower_snake_case")
        return value

    @model_validator(mode="after")
    def _genes_defined(self) -> GeneKnowledge:
        for mid, mech in self.mechanisms.items():
            for g in mech.genes:
                if g.symbol not in self.genes:
                    raise ValueError(f"mechanism {mid} lists {g.symbol}, which has no genes entry")
        return self

    def mechanisms_of(self, symbol: str) -> list[str]:
        """Return the mechanism ids that list ``symbol``."""
        return [
            m for m, mech in self.mechanisms.items() if any(g.symbol == symbol for g in mech.genes)
        ]

    @property
    def symbols(self) -> list[str]:
        """All gene symbols, in file order."""
        return list(self.genes)


def load_gene_knowledge(path: str | Path | None = None) -> GeneKnowledge:
    """Load and validate the gene knowledge file.

    Parameters
    ----------
    path
        A YAML file with the same schema; the packaged ``kb/data/genes.yaml`` if None.

    Returns
    -------
    GeneKnowledge
        The validated content.

    Raises
    ------
    SchemaError
        If the file breaks the schema (one line naming the file and the first problem).

    Examples
    --------
    >>> load_gene_knowledge().genes["BRAF"].hotspots[0].residues
    'V600'
    """
    if path is None:
        return _load_default()
    return _load(Path(path))


@cache
def _load_default() -> GeneKnowledge:
    """Load the shipped file, checked against its sha256 (any fault: a broken install)."""
    text = read_resource("immunescape.kb", "genes.yaml").decode("utf-8")
    try:
        return _parse(text, source="immunescape.kb/data/genes.yaml")
    except SchemaError as exc:
        raise ResourceError(f"{exc}; {REINSTALL}") from None


def _load(p: Path) -> GeneKnowledge:
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchemaError(f"cannot be read ({exc})", source=str(p), fix="check the path") from None
    return _parse(text, source=str(p))


def _parse(text: str, *, source: str) -> GeneKnowledge:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0]
        raise SchemaError(
            f"is not valid YAML ({first})", source=source, fix="fix the YAML syntax"
        ) from None
    try:
        return GeneKnowledge.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise SchemaError(
            f"breaks the gene knowledge schema at {where}: {err['msg']}",
            source=source,
            fix="see the schema in immunescape.genomics.knowledge and kb/data/genes.yaml",
        ) from None
