"""``immunescape run``: the whole per-patient pipeline (see :mod:`immunescape.pipeline`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from immunescape._logging import console
from immunescape._vocab import DnaSamples
from immunescape.cli._common import (
    genomic_files,
    pipeline_outputs,
    present_calls,
    progress,
    response_map,
)
from immunescape.cli._options import (
    CaptureMbOption,
    CbioportalOption,
    CnaOption,
    GenesInOption,
    GenomeBuildOption,
    HlaLohOption,
    HlaOption,
    KbOption,
    LayerOption,
    MafOption,
    OldAssayOption,
    OldMalformedHgvsOption,
    OnMalformedHgvsOption,
    OutputDirOption,
    PanelMbOption,
    ResponseMapOption,
    SampleColOption,
    SdRuleOption,
    SegmentsOption,
    SignaturesOption,
    TimeUnitOption,
    TmbAssayOption,
    TumourSampleOption,
    UnitOption,
    VcfFilterOption,
    VcfOption,
    pick,
)


def run_cmd(
    output: OutputDirOption,
    expr: Annotated[
        Path | None, typer.Option(help="Expression matrix (TSV/CSV/parquet/h5ad).")
    ] = None,
    unit: UnitOption = None,
    layer: LayerOption = None,
    genes_in: GenesInOption = None,
    maf: MafOption = None,
    vcf: VcfOption = None,
    tumour_sample: TumourSampleOption = None,
    vcf_filter: VcfFilterOption = "pass",
    cbioportal: CbioportalOption = None,
    panel_mb: PanelMbOption = None,
    cna: CnaOption = None,
    segments: SegmentsOption = None,
    hla: HlaOption = None,
    hla_loh: HlaLohOption = None,
    clinical: Annotated[
        Path | None, typer.Option(help="Clinical table (response, survival, ...).")
    ] = None,
    capture_mb: CaptureMbOption = None,
    tmb_assay: TmbAssayOption = None,
    on_malformed_hgvs: OnMalformedHgvsOption = "warn",
    dna_samples: Annotated[
        DnaSamples,
        typer.Option(
            "--dna-samples",
            help="'maf': only samples in the MAF were sequenced; "
            "'all': every expression sample was.",
        ),
    ] = "maf",
    genome_build: GenomeBuildOption = None,
    cancer_type: Annotated[
        str | None, typer.Option("--cancer-type", help="Cancer type, free text (e.g. SKCM, ccRCC, "
                                  "'skin cutaneous melanoma'): picks the shipped reference group "
                                  "(melanoma, kidney, pancreas; else pan-cancer, with a warning).")
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(help="Reference cohort expression for percentiles (e.g. one patient)."),
    ] = None,
    sample_col: SampleColOption = None,
    response_col: Annotated[
        str | None, typer.Option("--response-col", help="Clinical binary response column.")
    ] = None,
    recist_col: Annotated[
        str | None, typer.Option("--recist-col", help="Clinical RECIST column.")
    ] = None,
    sd_rule: SdRuleOption = "pfs6",
    response_map_: ResponseMapOption = None,
    time_unit: TimeUnitOption = None,
    signatures: SignaturesOption = None,
    kb: KbOption = None,
    seed: Annotated[int, typer.Option(help="Seed for random background gene sets.")] = 0,
    old_assay: OldAssayOption = None,
    old_malformed_hgvs: OldMalformedHgvsOption = None,
) -> None:
    """Run the whole pipeline: scores, genomic events, mechanisms, phenotypes, countermeasures.

    Any input may be absent; what cannot be assessed without it is reported as
    not_assessable. Writes every table, report.html, input_report.json and run.json.
    Countermeasures are research hypotheses, not treatment advice.
    """
    from immunescape.cli._common import write_outputs
    from immunescape.pipeline import run_pipeline

    tmb_assay = pick(tmb_assay, old_assay)
    on_malformed_hgvs = pick(on_malformed_hgvs, old_malformed_hgvs)
    if vcf or cbioportal is not None:
        g = genomic_files(maf=maf, vcf=vcf, tumour_sample=tumour_sample, vcf_filter=vcf_filter,
                          cbioportal=cbioportal, panel_mb=panel_mb, capture_mb=capture_mb,
                          on_malformed_hgvs=on_malformed_hgvs, cna=cna, segments=segments,
                          clinical=clinical, genome_build=genome_build)  # fmt: skip
        maf, cna, segments, clinical = g["maf"], g["cna"], g["segments"], g["clinical"]
        capture_mb, genome_build = g["capture_mb"], g["genome_build"]
    cols = {
        k: v
        for k, v in {
            "sample_col": sample_col,
            "response_col": response_col,
            "recist_col": recist_col,
            "response_map": response_map(response_map_),
            "time_unit": time_unit,
            "source": g["clinical_source"] if cbioportal is not None else None,
        }.items()
        if v
    }
    with progress() as step:
        result = run_pipeline(
            expr=expr,
            unit=unit,
            layer=layer,
            genes_in=genes_in,
            maf=maf,
            cna=cna,
            segments=segments,
            hla=hla,
            hla_loh=hla_loh,
            clinical=clinical,
            clinical_columns=cols,
            sd_rule=sd_rule,
            capture_mb=capture_mb,
            tmb_assay=tmb_assay,
            dna_samples=dna_samples,
            on_malformed_hgvs=on_malformed_hgvs,
            genome_build=genome_build,
            cancer_type=cancer_type,
            reference=reference,
            signature_files=list(signatures or []),
            kb_files=list(kb or []),
            seed=seed,
            progress=step,
        )
        if cancer_type is None and result.run["reference"]["basis"] == "shipped reference":
            from immunescape.mechanisms._reference import no_cancer_type_note

            clin = result.clinical  # its cancer type, if any, is named as the option to pass
            note = no_cancer_type_note(() if clin is None or "cancer_type" not in clin.columns
                                       else clin["cancer_type"])
            result.run["warnings"].append(note)
            result.notices.append(note)
        step("writing the report")
        run_doc, texts = pipeline_outputs(result, title="immunescape report", extra_run={})
        write_outputs(
            output, tables=result.tables, documents=result.documents, texts=texts, run=run_doc
        )
    for msg in result.notices:  # printed once the command has succeeded (cli.main)
        console.warning(msg)
    typer.echo(
        f"{result.run['samples']['n']} samples: "
        f"{present_calls(result.tables['mechanisms.tsv'])}, "
        f"{len(result.tables['recommendations.tsv'])} countermeasure hypotheses -> {output}"
    )
