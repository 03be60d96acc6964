"""Options shared by several commands: one declaration, one name, one meaning.

Each option a command shares with another is declared here once as an ``Annotated`` type and
used as the parameter's annotation. Options with a fixed set of values are typed with
``Literal`` (the command line checks them and lists them in ``--help``).

Older spellings of renamed options stay accepted, hidden from ``--help``, so that existing
scripts keep working: ``--ci`` (now ``--ci-method``), ``--assay`` (now ``--tmb-assay``),
``--malformed-hgvs`` (now ``--on-malformed-hgvs``) and the value ``drop_genes`` of
``--on-missing`` (now ``drop``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, TypeVar, cast

import typer

from immunescape._validate import check_choice
from immunescape._vocab import (
    CiMethod,
    DnaSamples,
    GenesIn,
    OnePerPatient,
    OnMalformedHgvs,
    OnMissing,
    ResponseRule,
    SdRule,
    TmbAssay,
    Unit,
    VcfFilter,
)

__all__ = [
    "CiMethod", "GenesIn", "OnMalformedHgvs", "OnMissing", "ResponseRule", "SdRule", "TmbAssay",
    "VcfFilter", "TimeUnit", "pick", "on_missing_value",
]

# ------------------------------------------------------------------------ value sets
KbKind = Literal["all", "mechanisms", "countermeasures", "evidence"]

UNIT_HELP = (
    "Expression unit: counts, tpm, fpkm, log2tpm, log2counts, normalized or zscore "
    "(centred per gene) (default: detected from the data and reported)."
)
VCF_HELP = ("VEP- or SnpEff-annotated VCF of one tumour (repeatable; SAMPLE=FILE names the "
            "sample); read like --maf.")
RESPONSE_MAP_HELP = ("Extra response values and what they mean, e.g. "
                     "'long-survival=NR,PD*=PD' (targets CR, PR, CR/PR, SD, PD, NE, R, NR, NA).")
NA_VALUES_HELP = ("Comma-separated clinical values to read as missing, e.g. "
                  "'PD*,Only scanned baseline'.")
ON_MISSING_HELP = ("drop (default): drop genes with missing values in an expression file "
                   "(listed); or error.")

# ------------------------------------------------------------------------ outputs and inputs
OutputDirOption = Annotated[Path, typer.Option("-o", "--output", help="Output directory.")]
UnitOption = Annotated[Unit | None, typer.Option(help=UNIT_HELP)]
LayerOption = Annotated[
    str | None,
    typer.Option("--layer", help="h5ad (AnnData) expression: read this layer, e.g. counts, "
                 "instead of X (the layers are named if it is absent; other formats refuse "
                 "it)."),
]
GenesInOption = Annotated[
    GenesIn | None, typer.Option("--genes-in", help="'rows' or 'columns' (default: detected).")
]
SignaturesOption = Annotated[
    list[Path] | None,
    typer.Option("--signatures", help="Extra signatures: YAML or GMT files (repeatable)."),
]
KbOption = Annotated[
    list[Path] | None, typer.Option("--kb", help="Extra knowledge-base YAML files.")
]

# ------------------------------------------------------------------------ genomic inputs
MafOption = Annotated[
    Path | None, typer.Option(help="Somatic mutations (MAF or mapped table).")
]
VcfOption = Annotated[list[str] | None, typer.Option("--vcf", help=VCF_HELP)]
TumourSampleOption = Annotated[
    str | None, typer.Option("--tumour-sample", help="Tumour column of the VCF.")
]
VcfFilterOption = Annotated[
    VcfFilter, typer.Option("--vcf-filter", help="pass (FILTER PASS only) or all.")
]
CbioportalOption = Annotated[
    Path | None, typer.Option("--cbioportal", help="cBioPortal study folder.")
]
PanelMbOption = Annotated[
    list[str] | None,
    typer.Option("--panel-mb", help="Gene panel size, PANEL=MB (cBioPortal panels)."),
]
CnaOption = Annotated[
    Path | None, typer.Option(help="Gene-level copy number (GISTIC -2..2).")
]
SegmentsOption = Annotated[
    Path | None, typer.Option(help="Copy-number segments (SCNA burden).")
]
HlaOption = Annotated[Path | None, typer.Option(help="HLA class I genotypes.")]
HlaLohOption = Annotated[
    Path | None, typer.Option("--hla-loh", help="Allele-specific HLA LOH calls.")
]
CaptureMbOption = Annotated[
    float | None,
    typer.Option("--capture-mb", help="Sequenced megabases (required with --maf)."),
]
DnaSamplesOption = Annotated[
    DnaSamples,
    typer.Option(
        "--dna-samples",
        help="'maf': only samples in the MAF were sequenced (the others get no TMB and no "
        "mutation status); 'all': every expression sample was (no MAF row: TMB 0).",
    ),
]
CohortCaptureMbOption = Annotated[
    float | None, typer.Option("--capture-mb", help="Sequenced megabases of the MAFs.")
]
TmbAssayOption = Annotated[
    TmbAssay | None,
    typer.Option("--tmb-assay", help="TMB capture assay, named in tmb.tsv (the tmb "
                 "predictor's TMB >= 10 cut-off is panel-based)."),
]
OnMalformedHgvsOption = Annotated[
    OnMalformedHgvs,
    typer.Option("--on-malformed-hgvs", help="warn (default: a minority of protein changes "
                 "that are not HGVS are read as missing, rows listed), raise or blank."),
]
GenomeBuildOption = Annotated[
    str | None, typer.Option("--genome-build", help="GRCh37 or GRCh38 (arm-level SCNA).")
]

# ------------------------------------------------------------------------ clinical columns
SampleColOption = Annotated[
    str | None, typer.Option("--sample-col", help="Clinical sample id column.")
]
ResponseColOption = Annotated[
    str | None, typer.Option("--response-col", help="Column holding the response.")
]
ResponseRuleOption = Annotated[
    ResponseRule,
    typer.Option(
        "--response-rule",
        help="recist: --response-col holds RECIST (CR/PR=R, PD=NR, SD by --sd-rule); "
        "binary: it holds R/NR (1/0, yes/no).",
    ),
]
SdRuleOption = Annotated[
    SdRule, typer.Option("--sd-rule", help="Stable disease: pfs6, nr, r or exclude.")
]
ResponseMapOption = Annotated[str | None, typer.Option("--response-map", help=RESPONSE_MAP_HELP)]
TimeColOption = Annotated[
    str | None, typer.Option("--time-col", help="Survival time column (its unit from its name, "
                             "a unit column or --time-unit).")
]
TimeUnit = Literal["days", "weeks", "months", "years"]
TimeUnitOption = Annotated[
    TimeUnit | None,
    typer.Option("--time-unit", help="Unit of survival times whose column name states none "
                 "(e.g. Overall.Survival, OS.time): days, weeks, months or years."),
]
EventColOption = Annotated[
    str | None, typer.Option("--event-col", help="Survival event column (1 = event).")
]
NaValuesOption = Annotated[str | None, typer.Option("--na-values", help=NA_VALUES_HELP)]
ONE_PER_PATIENT_HELP = (
    "Patients with several labelled samples (a patient column such as patient_id, or ids "
    "differing only by _pre/_on): keep the first sample, the pre- or the on-treatment one "
    "(default: refuse, as the statistics assume one sample per patient).")
OnePerPatientOption = Annotated[
    OnePerPatient | None, typer.Option("--one-per-patient", help=ONE_PER_PATIENT_HELP)
]

# ------------------------------------------------------------------------ cohorts
CohortOption = Annotated[
    list[str], typer.Option("--cohort", help="EXPR:CLINICAL[:MAF] (repeatable).")
]
OnMissingOption = Annotated[str, typer.Option("--on-missing", help=ON_MISSING_HELP)]

# ------------------------------------------------------------------------ hidden old spellings
OldAssayOption = Annotated[TmbAssay | None, typer.Option("--assay", hidden=True)]
OldMalformedHgvsOption = Annotated[
    OnMalformedHgvs | None, typer.Option("--malformed-hgvs", hidden=True)
]
OldCiOption = Annotated[CiMethod | None, typer.Option("--ci", hidden=True)]

T = TypeVar("T")


def pick(new: T, old: T | None) -> T:
    """Return the value of a renamed option: the old (hidden) spelling wins when given."""
    return new if old is None else old


def on_missing_value(value: str) -> OnMissing:
    """``--on-missing``: ``error`` or ``drop`` (the older value ``drop_genes`` means drop)."""
    value = "drop" if value == "drop_genes" else value
    return cast(OnMissing, check_choice("--on-missing", value, OnMissing))
