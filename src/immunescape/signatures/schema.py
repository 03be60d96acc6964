"""Schema of a signature definition (one entry of the registry's YAML files)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["Signature", "GeneGroup", "RegistryFile", "METHODS_UNITS"]

Direction = Literal["response", "resistance", "neutral"]
Scope = Literal["per_sample", "cohort_relative"]
Kind = Literal["signature", "pathway", "gene"]
MethodName = Literal[
    "weighted_mean",
    "median",
    "geometric_mean",
    "gene_pairs",
    "ips",
    "pc1",
    "mean_z",
    "mean_rank",
    "singscore",
    "ssgsea",
    "jerby_oe",
    "progeny",
    "single_gene",
]

#: The units a method can read (the target units of :class:`immunescape.expression.Expression`).
MethodUnit = Literal["tpm", "log2tpm1", "rank"]
#: The unit each method reads its data in (see :class:`immunescape.expression.Expression`).
METHODS_UNITS: dict[str, MethodUnit] = {
    "weighted_mean": "log2tpm1",
    "median": "log2tpm1",
    "geometric_mean": "tpm",
    "gene_pairs": "rank",
    "ips": "log2tpm1",
    "pc1": "log2tpm1",
    "mean_z": "log2tpm1",
    "mean_rank": "log2tpm1",
    "singscore": "rank",
    "ssgsea": "rank",
    "jerby_oe": "log2tpm1",
    "progeny": "log2tpm1",
    "single_gene": "log2tpm1",
}


class GeneGroup(BaseModel):
    """A weighted group of genes (used by the immunophenoscore)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    category: str
    weight: float
    genes: list[str] = Field(min_length=1)


class Signature(BaseModel):
    """One scored feature: genes, weights, method, unit, direction, scope and citation.

    Gene symbols are current HGNC symbols; published symbols that have since changed are kept
    in ``aliases`` (published -> current) so the provenance stays visible.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str
    kind: Kind = "signature"
    method: MethodName
    unit: MethodUnit | None = None
    direction: Direction
    scope: Scope
    min_coverage: float = Field(default=0.8, gt=0.0, le=1.0)
    genes: list[str] = Field(default_factory=list)
    genes_down: list[str] = Field(default_factory=list)
    weights: dict[str, float] | None = None
    pairs: list[tuple[str, str]] | None = None
    groups: list[GeneGroup] | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    aliases: dict[str, str] = Field(default_factory=dict)
    citation: str
    pmid: str | None = None
    doi: str | None = None
    source: str | None = None
    notes: str | None = None

    @field_validator("genes", "genes_down")
    @classmethod
    def _no_duplicates(cls, v: list[str]) -> list[str]:
        seen: set[str] = set()
        dups: list[str] = []
        for g in v:
            if g in seen:
                dups.append(g)
            seen.add(g)
        if dups:
            raise ValueError(f"duplicated genes: {', '.join(sorted(set(dups)))}")
        return v

    @model_validator(mode="after")
    def _check_method_inputs(self) -> Signature:
        m = self.method
        if m == "gene_pairs" and not self.pairs:
            raise ValueError("method gene_pairs needs 'pairs'")
        if m == "ips" and not self.groups:
            raise ValueError("method ips needs 'groups'")
        if m == "weighted_mean" and self.weights is not None:
            missing = [g for g in self.genes if g not in self.weights]
            extra = [g for g in self.weights if g not in self.genes]
            if missing or extra:
                raise ValueError(
                    f"weights must cover exactly the genes (missing {missing}, extra {extra})"
                )
        if m == "single_gene" and len(self.genes) != 1:
            raise ValueError("method single_gene needs exactly one gene")
        if m not in ("gene_pairs", "ips", "progeny") and not (self.genes or self.genes_down):
            raise ValueError(f"method {m} needs 'genes'")
        if m == "jerby_oe" and not self.genes:
            raise ValueError("method jerby_oe needs 'genes' (up) and optionally 'genes_down'")
        return self

    @property
    def input_unit(self) -> MethodUnit:
        """The unit the method reads (explicit ``unit`` wins over the method default)."""
        return self.unit or METHODS_UNITS[self.method]

    def all_genes(self) -> list[str]:
        """Every gene the signature reads, de-duplicated, in definition order."""
        out: list[str] = []
        seen: set[str] = set()

        def add(genes: list[str]) -> None:
            for g in genes:
                if g not in seen:
                    seen.add(g)
                    out.append(g)

        add(self.genes)
        add(self.genes_down)
        if self.pairs:
            add([g for pair in self.pairs for g in pair])
        if self.groups:
            for grp in self.groups:
                add(grp.genes)
        hk = self.params.get("housekeeping")
        if hk:
            add(list(hk))
        return out


class RegistryFile(BaseModel):
    """One YAML file of the registry: a version and a list of signatures."""

    model_config = ConfigDict(extra="forbid")

    version: str
    description: str | None = None
    signatures: list[Signature]
