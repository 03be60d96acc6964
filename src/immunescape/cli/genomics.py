"""``immunescape genomics``: genomic events, TMB, HLA and SCNA from the DNA inputs."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from immunescape._logging import console
from immunescape._vocab import TmbRule
from immunescape.cli._common import argv, genomic_files
from immunescape.cli._options import (
    CaptureMbOption,
    CbioportalOption,
    CnaOption,
    GenomeBuildOption,
    HlaLohOption,
    HlaOption,
    MafOption,
    OldAssayOption,
    OldMalformedHgvsOption,
    OnMalformedHgvsOption,
    OutputDirOption,
    PanelMbOption,
    SegmentsOption,
    TmbAssayOption,
    TumourSampleOption,
    VcfFilterOption,
    VcfOption,
    pick,
)
from immunescape.errors import InputError


def genomics_cmd(
    output: OutputDirOption,
    maf: MafOption = None,
    capture_mb: CaptureMbOption = None,
    vcf: VcfOption = None,
    tumour_sample: TumourSampleOption = None,
    vcf_filter: VcfFilterOption = "pass",
    cbioportal: CbioportalOption = None,
    panel_mb: PanelMbOption = None,
    gene_coords: Annotated[
        Path | None,
        typer.Option("--gene-coords", help="Gene coordinates (gene, chrom, start, end) for "
                     "segments; GRCh38 ships with immunescape."),
    ] = None,
    purity: Annotated[
        float | None, typer.Option(help="Tumour purity (log2 segments -> copy numbers).")
    ] = None,
    ploidy: Annotated[float, typer.Option(help="Tumour ploidy (with --purity).")] = 2.0,
    cna: CnaOption = None,
    segments: SegmentsOption = None,
    hla: HlaOption = None,
    hla_loh: HlaLohOption = None,
    tmb_assay: TmbAssayOption = None,
    tmb_rule: Annotated[
        TmbRule, typer.Option("--tmb-rule", help="'nonsynonymous' or 'all_coding'.")
    ] = "nonsynonymous",
    genome_build: GenomeBuildOption = None,
    expr: Annotated[
        Path | None, typer.Option(help="Expression matrix, only to check sample ids.")
    ] = None,
    on_malformed_hgvs: OnMalformedHgvsOption = "warn",
    old_assay: OldAssayOption = None,
    old_malformed_hgvs: OldMalformedHgvsOption = None,
) -> None:
    """Turn mutations, copy number and HLA into resistance-relevant events and TMB.

    Mutations from a MAF, annotated VCFs (--vcf) or a cBioPortal folder (--cbioportal);
    segments become gene calls with --genome-build GRCh38 or --gene-coords; --hla takes a
    table or OptiType/POLYSOLVER/arcasHLA/HLA-HD output (SAMPLE=FILE names the sample).
    Writes genomic_events.tsv, tmb.tsv (with mutations), hla.tsv (with --hla/--hla-loh),
    scna.tsv (with --segments) and run.json.
    """
    from immunescape.cli._common import write_outputs
    from immunescape.genomics import run_genomics

    tmb_assay = pick(tmb_assay, old_assay)
    on_malformed_hgvs = pick(on_malformed_hgvs, old_malformed_hgvs)
    if vcf or cbioportal is not None:
        g = genomic_files(maf=maf, vcf=vcf, tumour_sample=tumour_sample, vcf_filter=vcf_filter,
                          cbioportal=cbioportal, panel_mb=panel_mb, capture_mb=capture_mb,
                          on_malformed_hgvs=on_malformed_hgvs, cna=cna, segments=segments,
                          genome_build=genome_build)  # fmt: skip
        maf, cna, segments = g["maf"], g["cna"], g["segments"]
        capture_mb, genome_build = g["capture_mb"], g["genome_build"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = run_genomics(
            maf=maf,
            capture_mb=capture_mb,
            cna=cna,
            segments=segments,
            gene_coords=gene_coords,
            hla=hla,
            hla_loh=hla_loh,
            tmb_assay=tmb_assay,
            tmb_rule=tmb_rule,
            genome_build=genome_build,
            on_malformed_hgvs=on_malformed_hgvs,
            purity=purity,
            ploidy=ploidy,
        )
    notes = [str(w.message) for w in caught]
    if expr is not None:
        notes += _check_expression_ids(expr, res.tables)
    tables = {}
    for name, t in res.tables.items():
        if name != "genomic_events" and "sample_id" in t.columns:
            t = t.set_index("sample_id")
        tables[f"{name}.tsv"] = t
    write_outputs(
        output,
        tables=tables,
        run={"command": argv(), "genomics": res.provenance, "warnings": notes},
    )
    ev = res.tables.get("genomic_events")
    typer.echo(f"{0 if ev is None else len(ev)} genomic events -> {output}")


def _check_expression_ids(expr: Path, tables: dict) -> list[str]:
    """Refuse genomic ids disjoint from the expression's; warn about partial overlaps."""
    from immunescape.genomics import check_sample_overlap
    from immunescape.io import read_expression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, _ = read_expression(expr)
    genomic: set[str] = set()
    for t in tables.values():
        if "sample_id" in t.columns:
            genomic |= set(t["sample_id"].astype(str))
    if genomic and not genomic & {str(s) for s in e.samples}:
        raise InputError(
            f"no genomic sample id matches an expression sample id (e.g. "
            f"{sorted(genomic)[0]!r} vs {str(e.samples[0])!r})",
            source=str(expr),
            fix="use the same sample ids in the expression columns and the genomic files",
        )
    notes = check_sample_overlap(sorted(genomic), [str(s) for s in e.samples])
    for msg in notes:  # printed once the command has succeeded (cli.main)
        console.warning(msg)
    return list(notes)
