"""``immunescape genomics``: genomic events, TMB, HLA and SCNA from the DNA inputs."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any

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
        Path | None, typer.Option(help="Expression matrix, only to check sample ids: a DNA "
                                  "input sharing none with it is refused, as by run.")
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
    expr_notes: list[str] = []
    if expr is not None:  # each DNA input must share samples with the expression, as in run
        maf, cna, segments, hla, hla_loh, expr_notes = _check_expression_ids(
            expr, maf=maf, cna=cna, segments=segments, hla=hla, hla_loh=hla_loh,
            on_malformed_hgvs=on_malformed_hgvs)
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
    notes = [str(w.message) for w in caught] + expr_notes
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


def _check_expression_ids(expr: Path, **inputs: Any) -> tuple[Any, ...]:
    """Read the DNA inputs and check each one's sample ids against the expression's.

    The check of ``immunescape run`` (:func:`immunescape.pipeline._check_dna_samples`): an
    input none of whose ids is an expression sample is refused; partial overlaps are warned
    about. Returns the inputs as read (maf, cna, segments, hla, hla_loh) and the warnings.
    """
    from immunescape.genomics import (
        GeneCNA,
        MutationTable,
        Segments,
        check_sample_overlap,
        read_cna,
        read_hla,
        read_hla_loh,
        read_maf,
        read_segments,
    )
    from immunescape.io import read_expression
    from immunescape.pipeline import _check_dna_samples

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, _ = read_expression(expr)
    expr_samples = [str(s) for s in e.samples]
    maf, cna, segments = inputs["maf"], inputs["cna"], inputs["segments"]
    if maf is not None and not isinstance(maf, MutationTable):
        maf = read_maf(maf, on_malformed_hgvs=inputs["on_malformed_hgvs"])
    if cna is not None and not isinstance(cna, GeneCNA):
        cna = read_cna(cna)
    if segments is not None and not isinstance(segments, Segments):
        segments = read_segments(segments)
    hla = read_hla(inputs["hla"]) if inputs["hla"] is not None else None
    loh = read_hla_loh(inputs["hla_loh"]) if inputs["hla_loh"] is not None else None
    given = [("--maf", maf, maf), ("--cna", cna, cna), ("--segments", segments, segments),
             ("--hla", inputs["hla"], hla), ("--hla-loh", inputs["hla_loh"], loh)]
    dna = [(option, str(getattr(arg, "source", arg)),
            {str(s) for s in (read["sample_id"] if option == "--hla-loh" else read.samples)})
           for option, arg, read in given if read is not None]  # fmt: skip
    notes = _check_dna_samples(dna, expr_samples)
    for msg in notes:  # printed once the command has succeeded (cli.main)
        console.warning(msg)
    genomic = set().union(*(ids for _, _, ids in dna))
    notes += check_sample_overlap(sorted(genomic), expr_samples)
    return maf, cna, segments, hla, loh, notes
