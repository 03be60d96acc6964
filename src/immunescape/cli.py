"""Command-line interface: a thin layer over the public Python API.

Exit codes: 0 success, 2 bad input or usage (one line: which file, what is wrong, how to fix
it), 1 internal error.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from immunescape._logging import logger
from immunescape.errors import ImmunescapeError, InputError, ResourceError

app = typer.Typer(
    name="immunescape",
    help="Immune-checkpoint-blockade resistance mechanisms from tumour DNA and RNA.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
signatures_app = typer.Typer(help="Inspect the signature registry.", no_args_is_help=True)
app.add_typer(signatures_app, name="signatures")
kb_app = typer.Typer(
    help="Inspect, validate and extend the resistance knowledge base.", no_args_is_help=True
)
app.add_typer(kb_app, name="kb")

UNIT_HELP = (
    "Expression unit: counts, tpm, fpkm, log2tpm, log2counts, normalized or zscore "
    "(centred per gene) (default: detected from the data and reported)."
)


VCF_HELP = ("VEP- or SnpEff-annotated VCF of one tumour (repeatable; SAMPLE=FILE names the "
            "sample); read like --maf.")
RESPONSE_MAP_HELP = ("Extra response values and what they mean, e.g. "
                     "'long-survival=NR,PD*=PD' (targets CR, PR, CR/PR, SD, PD, NE, R, NR, NA).")

# Options shared by several commands: one declaration, one meaning.
OutputDirOption = Annotated[Path, typer.Option("-o", "--output", help="Output directory.")]
UnitOption = Annotated[str | None, typer.Option(help=UNIT_HELP)]
MafOption = Annotated[
    Path | None, typer.Option(help="Somatic mutations (MAF or mapped table).")
]
VcfOption = Annotated[list[str] | None, typer.Option("--vcf", help=VCF_HELP)]
TumourSampleOption = Annotated[
    str | None, typer.Option("--tumour-sample", help="Tumour column of the VCF.")
]
VcfFilterOption = Annotated[
    str, typer.Option("--vcf-filter", help="pass (FILTER PASS only) or all.")
]
CbioportalOption = Annotated[
    Path | None, typer.Option("--cbioportal", help="cBioPortal study folder.")
]
PanelMbOption = Annotated[
    list[str] | None,
    typer.Option("--panel-mb", help="Gene panel size, PANEL=MB (cBioPortal panels)."),
]
SampleColOption = Annotated[
    str | None, typer.Option("--sample-col", help="Clinical sample id column.")
]
SdRuleOption = Annotated[
    str, typer.Option("--sd-rule", help="Stable disease: pfs6, nr, r or exclude.")
]
ResponseMapOption = Annotated[str | None, typer.Option("--response-map", help=RESPONSE_MAP_HELP)]


def _argv() -> list[str]:
    return ["immunescape", *sys.argv[1:]]


@app.command("score")
def score_cmd(
    expr: Annotated[
        Path, typer.Argument(help="Expression matrix: TSV/CSV (.gz), parquet or h5ad.")
    ],
    output: OutputDirOption,
    unit: UnitOption = None,
    genes_in: Annotated[
        str | None, typer.Option("--genes-in", help="'rows' or 'columns' (default: detected).")
    ] = None,
    log_offset: Annotated[
        float | None, typer.Option(help="Pseudo-count of log units (default: detected).")
    ] = None,
    signatures: Annotated[
        list[Path] | None,
        typer.Option("--signatures", help="Extra signatures: a YAML or GMT file (repeatable)."),
    ] = None,
    only: Annotated[
        str | None, typer.Option(help="Comma-separated signature ids to score (default: all).")
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(help="Reference cohort matrix for cohort-relative scores (e.g. one patient)."),
    ] = None,
    min_coverage: Annotated[
        float | None, typer.Option(help="Override every signature's minimum gene coverage (0-1).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for random background gene sets.")] = 0,
    workers: Annotated[
        int | None,
        typer.Option(help="Chunked inputs: local Dask workers (default: one per core)."),
    ] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option("--memory-limit", help="Chunked inputs: memory limit per local worker, "
                     "e.g. 2GB."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Chunked inputs: address of a running Dask scheduler "
                     "(tcp://HOST:PORT) instead of a local cluster."),
    ] = None,
    block_rows: Annotated[
        int | None,
        typer.Option("--block-rows", help="Chunked inputs: samples per block "
                     "(default: about 64 MB per block)."),
    ] = None,
) -> None:
    """Score every registry signature and PROGENy pathway on an expression matrix.

    Writes scores.tsv, features.tsv, input_report.json and run.json into OUTPUT.

    Chunked inputs too large for memory (a .zarr store or a directory of .parquet files;
    an .h5ad file with any Dask option) are scored on Dask and the scores written as
    scores.parquet/ (one file per block).
    """
    from immunescape._output import write_outputs
    from immunescape.pipeline import run_pipeline

    dask_options = (workers, memory_limit, scheduler, block_rows)
    if any(o is not None for o in dask_options) or _is_chunked(expr):
        if genes_in == "rows":
            raise InputError("chunked inputs hold samples in rows and genes in columns",
                             source=str(expr), fix="drop --genes-in rows (or transpose)")
        return _score_chunked_cmd(
            expr, output, unit=unit, log_offset=log_offset, signatures=signatures, only=only,
            reference=reference, min_coverage=min_coverage, seed=seed, workers=workers,
            memory_limit=memory_limit, scheduler=scheduler, block_rows=block_rows,
        )
    if genes_in not in (None, "rows", "columns"):
        raise InputError(f"--genes-in must be 'rows' or 'columns', not {genes_in!r}")
    if min_coverage is not None and not 0 < min_coverage <= 1:
        raise InputError(f"--min-coverage must be in (0, 1], not {min_coverage}")
    result = run_pipeline(
        expr=expr, unit=unit, genes_in=genes_in, log_offset=log_offset, reference=reference,
        signature_files=list(signatures or []), seed=seed, min_coverage=min_coverage,
        only=[s.strip() for s in only.split(",") if s.strip()] if only else None, until="score",
    )
    features = result.tables["features.tsv"]
    expression = result.expression
    write_outputs(
        output,
        tables={"scores.tsv": result.tables["scores.tsv"], "features.tsv": features},
        documents=result.documents,
        run={
            "command": _argv(),
            "parameters": {
                "unit": unit,
                "genes_in": genes_in,
                "log_offset": log_offset,
                "signature_files": [str(p) for p in signatures or []],
                "only": only,
                "reference": str(reference) if reference else None,
                "min_coverage": min_coverage,
                "seed": seed,
            },
            "input": result.run["inputs"]["expression"],
            "conversions": result.run["inputs"]["expression"]["conversions"],
            "warnings": result.run["warnings"],
        },
    )
    n_ok = int((features["status"] == "scored").sum())
    typer.echo(
        f"scored {n_ok}/{len(features)} features on {expression.shape[0]} samples "
        f"-> {output}"
    )


def _is_chunked(path: Path) -> bool:
    from immunescape.scale._io import is_chunked_path

    return is_chunked_path(path)


def _score_chunked_cmd(
    expr: Path, output: Path, *, unit: str | None, log_offset: float | None,
    signatures: list[Path] | None, only: str | None, reference: Path | None,
    min_coverage: float | None, seed: int, workers: int | None, memory_limit: str | None,
    scheduler: str | None, block_rows: int | None,
) -> None:
    """``immunescape score`` on a chunked input, on Dask (see :mod:`immunescape.scale`)."""
    from immunescape._output import write_outputs
    from immunescape.scale import dask_client, open_chunked, score_chunked
    from immunescape.signatures.registry import load_registry

    if reference is not None:
        raise InputError("--reference is not available with chunked inputs",
                         fix="cohort-relative scores use the whole chunked cohort")
    if min_coverage is not None and not 0 < min_coverage <= 1:
        raise InputError(f"--min-coverage must be in (0, 1], not {min_coverage}")
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, not {workers}")
    if block_rows is not None and block_rows < 1:
        raise InputError(f"--block-rows must be at least 1, not {block_rows}")
    if scheduler is not None and (workers is not None or memory_limit is not None):
        raise InputError("--workers and --memory-limit set up a local cluster; "
                         "with --scheduler the cluster's own workers are used")
    chunked = open_chunked(expr, unit=unit, log_offset=log_offset, block_rows=block_rows)
    registry = load_registry([str(p) for p in signatures or []])
    if only:
        registry = registry.select([s.strip() for s in only.split(",") if s.strip()])
    holder: dict[str, Any] = {}

    def write_scores(directory: Path) -> None:
        parts = directory / "scores.parquet"
        parts.mkdir()
        with dask_client(scheduler=scheduler, workers=workers,
                         memory_limit=memory_limit) as client, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            holder["result"] = score_chunked(
                chunked, signatures=registry, min_coverage=min_coverage, seed=seed,
                scheduler=client, parts_dir=parts,
            )
            holder["workers"] = len(client.scheduler_info().get("workers", {}))

    run_doc: dict[str, Any] = {
        "command": _argv(),
        "parameters": {
            "unit": unit, "log_offset": log_offset, "only": only, "seed": seed,
            "signature_files": [str(p) for p in signatures or []],
            "min_coverage": min_coverage, "workers": workers, "memory_limit": memory_limit,
            "scheduler": scheduler, "block_rows": block_rows,
        },
        "engine": "dask",
        "input": {
            "expression": str(expr), "unit": chunked.unit, "log_offset": chunked.log_offset,
            "notes": chunked.notes, "n_samples": chunked.shape[0],
            "n_genes": chunked.shape[1], "blocks": len(chunked.row_blocks),
        },
        "output": {"scores": "scores.parquet/part-*.parquet (one per block; index sample_id)"},
    }

    def write_tables(directory: Path) -> None:  # after the scores: completes run.json too
        result = holder["result"]
        result.features.set_index("id").to_csv(directory / "features.tsv", sep="\t",
                                               na_rep="NA")
        run_doc["dask"] = {"workers": holder["workers"]}
        run_doc["conversions"] = result.conversions
        run_doc["warnings"] = result.warnings

    # the workers write the scores into the output's temporary directory (on a real
    # cluster, a file system every worker sees)
    write_outputs(output, tables={}, writers=[write_scores, write_tables], run=run_doc)
    result = holder["result"]
    n_ok = int((result.features["status"] == "scored").sum())
    typer.echo(f"scored {n_ok}/{len(result.features)} features on {chunked.shape[0]} samples "
               f"in {len(chunked.row_blocks)} blocks -> {output}/scores.parquet")


@signatures_app.command("list")
def signatures_list(
    signatures: Annotated[
        list[Path] | None, typer.Option("--signatures", help="Extra YAML or GMT files.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="Only this kind: signature, pathway, gene.")
    ] = None,
) -> None:
    """List the signatures of the registry (id, kind, method, scope, direction, genes, name)."""
    from immunescape.signatures.registry import load_registry

    reg = load_registry([str(p) for p in signatures or []])
    kinds = sorted({s.kind for s in reg})
    if kind is not None and kind not in kinds:
        raise InputError(f"--kind {kind!r} is not a kind of the registry",
                         fix=f"use one of {', '.join(kinds)}")
    typer.echo("id\tkind\tmethod\tscope\tdirection\tn_genes\tname")
    for s in reg:
        if kind and s.kind != kind:
            continue
        n = len(s.all_genes()) - len(s.params.get("housekeeping") or [])
        typer.echo(f"{s.id}\t{s.kind}\t{s.method}\t{s.scope}\t{s.direction}\t{n}\t{s.name}")


@signatures_app.command("show")
def signatures_show(
    signature_id: Annotated[str, typer.Argument(help="Signature id, e.g. gep18.")],
    signatures: Annotated[
        list[Path] | None, typer.Option("--signatures", help="Extra YAML or GMT files.")
    ] = None,
) -> None:
    """Show one signature: genes, weights, method, unit, direction, scope, citation."""
    import yaml

    from immunescape.signatures.registry import load_registry

    sig = load_registry([str(p) for p in signatures or []]).get(signature_id)
    data = sig.model_dump(exclude_none=True, exclude_defaults=False)
    data["input_unit"] = sig.input_unit
    if data.get("pairs"):
        data["pairs"] = [f"{a} > {b}" for a, b in data["pairs"]]
    typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100).rstrip())


def _progress():
    """Show a rich status line on a terminal; stay silent otherwise (CI, pipes)."""
    import contextlib

    if not sys.stderr.isatty():
        return contextlib.nullcontext(lambda _name: None)
    from rich.console import Console

    console = Console(stderr=True)

    @contextlib.contextmanager
    def ctx():
        with console.status("starting") as status:
            yield lambda name: status.update(f"immunescape: {name} ...")

    return ctx()


def _pipeline_outputs(
    result: Any, *, title: str, extra_run: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    from immunescape._output import resource_versions
    from immunescape.report import render_report

    run_doc = {"command": _argv(), **result.run, **extra_run, "resources": resource_versions()}
    tables = dict(result.tables)
    report_tables = {k.removesuffix(".tsv"): v for k, v in tables.items()}
    if result.clinical is not None:
        report_tables["clinical"] = result.clinical.reset_index().rename(
            columns={result.clinical.index.name or "index": "sample_id"}
        )
    html = render_report(report_tables, run=run_doc, title=title)
    return run_doc, {"report.html": html}




def _genomic_files(**kwargs: Any) -> dict[str, Any]:
    """Read --vcf/--cbioportal into temporary MAF/CNA/clinical files the commands take."""
    import atexit
    import shutil
    import tempfile

    from immunescape.genomics.inputs import prepare_genomic_inputs

    tmp = tempfile.mkdtemp(prefix="immunescape-genomics-")
    atexit.register(shutil.rmtree, tmp, True)
    return prepare_genomic_inputs(tmp, **kwargs)


@app.command("run")
def run_cmd(
    output: OutputDirOption,
    expr: Annotated[
        Path | None, typer.Option(help="Expression matrix (TSV/CSV/parquet/h5ad).")
    ] = None,
    unit: UnitOption = None,
    genes_in: Annotated[str | None, typer.Option("--genes-in", help="'rows' or 'columns'.")] = None,
    maf: MafOption = None,
    vcf: VcfOption = None,
    tumour_sample: TumourSampleOption = None,
    vcf_filter: VcfFilterOption = "pass",
    cbioportal: CbioportalOption = None,
    panel_mb: PanelMbOption = None,
    cna: Annotated[Path | None, typer.Option(help="Gene-level copy number (GISTIC -2..2).")] = None,
    segments: Annotated[
        Path | None, typer.Option(help="Copy-number segments (SCNA burden).")
    ] = None,
    hla: Annotated[Path | None, typer.Option(help="HLA class I genotypes.")] = None,
    hla_loh: Annotated[
        Path | None, typer.Option("--hla-loh", help="Allele-specific HLA LOH calls.")
    ] = None,
    clinical: Annotated[
        Path | None, typer.Option(help="Clinical table (response, survival, ...).")
    ] = None,
    capture_mb: Annotated[
        float | None,
        typer.Option("--capture-mb", help="Sequenced megabases (required with --maf)."),
    ] = None,
    assay: Annotated[
        str | None, typer.Option(help="'exome' or 'panel' (named in tmb.tsv).")
    ] = None,
    malformed_hgvs: Annotated[
        str,
        typer.Option("--malformed-hgvs", help="warn (default: a minority of protein changes "
                     "that are not HGVS are read as missing, rows listed), raise or blank."),
    ] = "warn",
    dna_samples: Annotated[
        str,
        typer.Option(
            "--dna-samples",
            help="'maf': only samples in the MAF were sequenced; "
            "'all': every expression sample was.",
        ),
    ] = "maf",
    genome_build: Annotated[
        str | None, typer.Option("--genome-build", help="GRCh37 or GRCh38 (arm-level SCNA).")
    ] = None,
    cancer_type: Annotated[
        str | None, typer.Option("--cancer-type", help="Cancer type, recorded in run.json.")
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
    response_map: ResponseMapOption = None,
    signatures: Annotated[
        list[Path] | None, typer.Option("--signatures", help="Extra YAML or GMT signature files.")
    ] = None,
    kb: Annotated[
        list[Path] | None, typer.Option("--kb", help="Extra knowledge-base YAML files.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for random background gene sets.")] = 0,
) -> None:
    """Run the whole pipeline: scores, genomic events, mechanisms, phenotypes, countermeasures.

    Any input may be absent; what cannot be assessed without it is reported as
    not_assessable. Writes every table, report.html, input_report.json and run.json.
    Countermeasures are research hypotheses, not treatment advice.
    """
    from immunescape._output import write_outputs
    from immunescape.pipeline import run_pipeline

    if malformed_hgvs not in ("warn", "raise", "blank"):
        raise InputError(f"--malformed-hgvs must be warn, raise or blank, not {malformed_hgvs!r}")
    if vcf or cbioportal is not None:
        g = _genomic_files(maf=maf, vcf=vcf, tumour_sample=tumour_sample, vcf_filter=vcf_filter,
                           cbioportal=cbioportal, panel_mb=panel_mb, capture_mb=capture_mb,
                           malformed_hgvs=malformed_hgvs, cna=cna, segments=segments,
                           clinical=clinical, genome_build=genome_build)  # fmt: skip
        maf, cna, segments, clinical = g["maf"], g["cna"], g["segments"], g["clinical"]
        capture_mb, genome_build = g["capture_mb"], g["genome_build"]
    if dna_samples not in ("maf", "all"):
        raise InputError(f"--dna-samples must be 'maf' or 'all', not {dna_samples!r}")
    cols = {
        k: v
        for k, v in {
            "sample_col": sample_col,
            "response_col": response_col,
            "recist_col": recist_col,
            "response_map": _response_map(response_map),
        }.items()
        if v
    }
    with _progress() as step:
        result = run_pipeline(
            expr=expr,
            unit=unit,
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
            assay=assay,
            dna_samples=dna_samples,  # type: ignore[arg-type]
            malformed_hgvs=malformed_hgvs,  # type: ignore[arg-type]
            genome_build=genome_build,
            cancer_type=cancer_type,
            reference=reference,
            signature_files=list(signatures or []),
            kb_files=list(kb or []),
            seed=seed,
            progress=step,
        )
        step("writing the report")
        run_doc, texts = _pipeline_outputs(result, title="immunescape report", extra_run={})
        write_outputs(
            output, tables=result.tables, documents=result.documents, texts=texts, run=run_doc
        )
    mech = result.tables["mechanisms.tsv"]
    n_present = int((mech["status"] == "present").sum())
    typer.echo(
        f"{result.run['samples']['n']} samples: {n_present} mechanism calls present, "
        f"{len(result.tables['recommendations.tsv'])} countermeasure hypotheses -> {output}"
    )


@app.command("genomics")
def genomics_cmd(
    output: OutputDirOption,
    maf: MafOption = None,
    capture_mb: Annotated[
        float | None,
        typer.Option("--capture-mb", help="Sequenced megabases (required with --maf)."),
    ] = None,
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
    cna: Annotated[Path | None, typer.Option(help="Gene-level copy number (GISTIC -2..2).")] = None,
    segments: Annotated[Path | None, typer.Option(help="Copy-number segments.")] = None,
    hla: Annotated[Path | None, typer.Option(help="HLA class I genotypes.")] = None,
    hla_loh: Annotated[
        Path | None, typer.Option("--hla-loh", help="Allele-specific HLA LOH calls.")
    ] = None,
    assay: Annotated[str | None, typer.Option(help="'exome' or 'panel'.")] = None,
    tmb_rule: Annotated[
        str, typer.Option("--tmb-rule", help="'nonsynonymous' or 'all_coding'.")
    ] = "nonsynonymous",
    genome_build: Annotated[
        str | None, typer.Option("--genome-build", help="GRCh37 or GRCh38.")
    ] = None,
    expr: Annotated[
        Path | None, typer.Option(help="Expression matrix, only to check sample ids.")
    ] = None,
    malformed_hgvs: Annotated[
        str, typer.Option("--malformed-hgvs", help="warn (default), raise or blank.")
    ] = "warn",
) -> None:
    """Turn mutations, copy number and HLA into resistance-relevant events and TMB.

    Mutations from a MAF, annotated VCFs (--vcf) or a cBioPortal folder (--cbioportal);
    segments become gene calls with --genome-build GRCh38 or --gene-coords; --hla takes a
    table or OptiType/POLYSOLVER/arcasHLA/HLA-HD output (SAMPLE=FILE names the sample).
    Writes genomic_events.tsv, tmb.tsv (with mutations), hla.tsv (with --hla/--hla-loh),
    scna.tsv (with --segments) and run.json.
    """
    from immunescape._output import write_outputs
    from immunescape.genomics import check_sample_overlap, run_genomics

    if tmb_rule not in ("nonsynonymous", "all_coding"):
        raise InputError(f"--tmb-rule must be 'nonsynonymous' or 'all_coding', not {tmb_rule!r}")
    if malformed_hgvs not in ("warn", "raise", "blank"):
        raise InputError(f"--malformed-hgvs must be warn, raise or blank, not {malformed_hgvs!r}")
    if vcf or cbioportal is not None:
        g = _genomic_files(maf=maf, vcf=vcf, tumour_sample=tumour_sample, vcf_filter=vcf_filter,
                           cbioportal=cbioportal, panel_mb=panel_mb, capture_mb=capture_mb,
                           malformed_hgvs=malformed_hgvs, cna=cna, segments=segments,
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
            assay=assay,  # type: ignore[arg-type]
            tmb_rule=tmb_rule,
            genome_build=genome_build,
            on_malformed_hgvs=malformed_hgvs,
            purity=purity,
            ploidy=ploidy,
        )  # type: ignore[arg-type]
    notes = [str(w.message) for w in caught]
    if expr is not None:
        from immunescape.io import read_expression

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e, _ = read_expression(expr)
        genomic = set()
        for t in res.tables.values():
            if "sample_id" in t.columns:
                genomic |= set(t["sample_id"].astype(str))
        if genomic and not genomic & {str(s) for s in e.samples}:
            raise InputError(
                f"no genomic sample id matches an expression sample id (e.g. "
                f"{sorted(genomic)[0]!r} vs {str(e.samples[0])!r})",
                source=str(expr),
                fix="use the same sample ids in the expression columns and the genomic files",
            )
        for msg in check_sample_overlap(sorted(genomic), [str(s) for s in e.samples]):
            notes.append(msg)
            typer.echo(f"immunescape: warning: {msg}", err=True)
    tables = {}
    for name, t in res.tables.items():
        if name != "genomic_events" and "sample_id" in t.columns:
            t = t.set_index("sample_id")
        tables[f"{name}.tsv"] = t
    write_outputs(
        output,
        tables=tables,
        run={"command": _argv(), "genomics": res.provenance, "warnings": notes},
    )
    ev = res.tables.get("genomic_events")
    typer.echo(f"{0 if ev is None else len(ev)} genomic events -> {output}")


@app.command("compare")
def compare_cmd(
    output: OutputDirOption,
    clinical: Annotated[Path, typer.Option(help="Clinical table with response (and survival).")],
    expr: Annotated[Path | None, typer.Option(help="Expression matrix (scores, Welch DE).")] = None,
    unit: UnitOption = None,
    counts: Annotated[
        Path | None, typer.Option(help="Raw integer counts for DESeq2 DE (samples as expr).")
    ] = None,
    maf: Annotated[Path | None, typer.Option(help="Somatic mutations (MAF).")] = None,
    vcf: VcfOption = None,
    cna: Annotated[Path | None, typer.Option(help="Gene-level copy number.")] = None,
    capture_mb: Annotated[
        float | None, typer.Option("--capture-mb", help="Sequenced megabases (with --maf).")
    ] = None,
    sample_col: SampleColOption = None,
    response_col: Annotated[
        str | None, typer.Option("--response-col", help="Column holding the response.")
    ] = None,
    response_rule: Annotated[
        str,
        typer.Option(
            "--response-rule",
            help="recist: --response-col holds RECIST (CR/PR=R, PD=NR, SD by --sd-rule); "
            "binary: it holds R/NR (1/0, yes/no).",
        ),
    ] = "recist",
    sd_rule: SdRuleOption = "pfs6",
    response_map: ResponseMapOption = None,
    time_col: Annotated[
        str | None, typer.Option("--time-col", help="Survival time column (months).")
    ] = None,
    event_col: Annotated[
        str | None, typer.Option("--event-col", help="Survival event column (1 = event).")
    ] = None,
    covariates: Annotated[
        str | None, typer.Option(help="Comma-separated clinical covariates (Cox, DE).")
    ] = None,
    cut: Annotated[
        str, typer.Option(help="High/low split: median, a number, or optimal (corrected).")
    ] = "median",
    ci: Annotated[str, typer.Option(help="AUC interval: delong or bootstrap.")] = "delong",
    paired: Annotated[
        bool, typer.Option("--paired", help="Paired biopsies: needs patient and timepoint.")
    ] = False,
    patient_col: Annotated[str | None, typer.Option("--patient-col")] = None,
    timepoint_col: Annotated[str | None, typer.Option("--timepoint-col")] = None,
    pre: Annotated[str, typer.Option(help="Timepoint label before treatment.")] = "pre",
    post: Annotated[str, typer.Option(help="Timepoint label on/after treatment.")] = "on",
    min_per_group: Annotated[
        int, typer.Option("--min-per-group", help="Fewest samples per response group.")
    ] = 3,
    seed: Annotated[int, typer.Option(help="Seed (bootstrap, random backgrounds).")] = 0,
    figures: Annotated[
        str,
        typer.Option(
            "--figures",
            help="Static figure files to write into figures/: none (default; report.html "
            "has the interactive figures) or a comma-separated list of png, svg, pdf.",
        ),
    ] = "none",
) -> None:
    """Compare responders with non-responders: AUCs, survival, DE, pathways, mutations.

    Writes associations.tsv, survival.tsv, km.tsv, de.tsv, pathways.tsv, mutations.tsv (with
    --maf), paired.tsv and new_events.tsv (with --paired), report.html (interactive
    figures) and run.json; with --figures png,svg also figures/ (static files).
    """
    import numpy as np

    from immunescape._output import resource_versions, write_outputs
    from immunescape.compare import compare_cohort, write_figures
    from immunescape.io import read_expression
    from immunescape.pipeline import run_pipeline
    from immunescape.report import render_report

    if response_rule not in ("recist", "binary"):
        raise InputError(f"--response-rule must be recist or binary, not {response_rule!r}")
    figure_formats = [f.strip().lower() for f in figures.split(",") if f.strip()]
    if figure_formats == ["none"]:
        figure_formats = []
    if not set(figure_formats) <= {"png", "svg", "pdf"}:
        raise InputError(f"--figures must be none or a list of png, svg, pdf, not {figures!r}",
                         fix="e.g. --figures png,svg")
    if ci not in ("delong", "bootstrap"):
        raise InputError(f"--ci must be delong or bootstrap, not {ci!r}")
    cut_value: Any = cut
    if cut not in ("median", "optimal"):
        try:
            cut_value = float(cut)
        except ValueError:
            raise InputError(f"--cut must be median, optimal or a number, not {cut!r}") from None
    if paired and (patient_col is None or timepoint_col is None):
        raise InputError("--paired needs --patient-col and --timepoint-col")
    if vcf:
        maf = _genomic_files(maf=maf, vcf=vcf)["maf"]
    if expr is None and counts is None and maf is None:
        raise InputError("nothing to compare", fix="give --expr, --counts and/or --maf")
    cols: dict[str, Any] = {}
    if sample_col:
        cols["sample_col"] = sample_col
    if response_map:
        cols["response_map"] = _response_map(response_map)
    if response_col:
        cols["recist_col" if response_rule == "recist" else "response_col"] = response_col
    if (time_col is None) != (event_col is None):
        raise InputError("survival needs both --time-col and --event-col",
                         fix="give both options, or neither to use the detected OS/PFS columns")
    if time_col is not None and event_col is not None:
        # The named columns are read (and converted to months) by the clinical reader as the
        # OS or PFS endpoint, whichever their names say (PFS when either names progression).
        ep = "pfs" if any(k in f"{time_col} {event_col}".lower() for k in ("pfs", "progress")) \
            else "os"
        cols[f"{ep}_time_col"], cols[f"{ep}_event_col"] = time_col, event_col
        time_col, event_col = f"{ep}_months", f"{ep}_event"
    with _progress() as step:
        pipe = run_pipeline(
            expr=expr if expr is not None else counts, unit=unit if expr is not None else "counts",
            maf=maf, cna=cna, clinical=clinical, clinical_columns=cols, sd_rule=sd_rule,
            capture_mb=capture_mb, dna_samples="all" if maf is not None else "maf", seed=seed,
            progress=step,
        )
        expression = pipe.expression if expr is not None else None
        count_table = None
        if counts is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                c_expr, _ = read_expression(counts, unit="counts")
            if float(np.nanmax(c_expr.matrix)) >= 2**24:
                raise InputError(
                    "counts above 16,777,216 cannot be held exactly",
                    source=str(counts),
                    fix="give raw counts per gene (not summed across samples)",
                )
            count_table = c_expr.values.round().astype("int64")
        clin = pipe.clinical
        if clin is None:  # pragma: no cover - run_pipeline always reads the clinical table
            raise InputError("no clinical table", source=str(clinical))
        step("comparing responders with non-responders")
        t = pipe.tables
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = compare_cohort(
                clin, expr=expression, scores=t.get("scores.tsv"),
                feature_info=t["features.tsv"].reset_index() if "features.tsv" in t else None,
                counts=count_table,
                events=t.get("genomic_events.tsv"),
                tmb=t["tmb.tsv"].reset_index() if "tmb.tsv" in t else None,
                mechanisms=t.get("mechanisms.tsv"), time_col=time_col, event_col=event_col,
                covariates=[c for c in (covariates or "").split(",") if c.strip()] or None,
                cut=cut_value, ci=ci,  # type: ignore[arg-type]
                patient_col=patient_col if paired else None,
                timepoint_col=timepoint_col if paired else None, pre=pre, post=post,
                min_per_group=min_per_group, seed=seed, draw_figures=False,
            )
        notes = [str(w.message) for w in caught]
        step("writing the report")
        run_doc = {"command": _argv(), **pipe.run, "compare": res.provenance,
                   "resources": resource_versions()}
        run_doc["warnings"] = list(pipe.run.get("warnings", [])) + notes
        report_tables = {k.removesuffix(".tsv"): v for k, v in res.tables.items()}
        for k in ("scores.tsv", "features.tsv", "mechanisms.tsv", "phenotypes.tsv", "tmb.tsv"):
            if k in t:
                report_tables[k.removesuffix(".tsv")] = t[k]
        report_tables["clinical"] = clin.reset_index().rename(
            columns={clin.index.name or "index": "sample_id"})
        run_doc["figures"] = figure_formats
        html = render_report(report_tables, run=run_doc, title="immunescape cohort comparison")
        tables = {name: tab for name, tab in res.tables.items()}
        writers = [lambda d: write_figures(res, d, formats=figure_formats)] if (
            figure_formats) else []
        write_outputs(output, tables=tables, texts={"report.html": html}, writers=writers,
                      run=run_doc)
    a = res.tables.get("associations.tsv")
    n_sig = 0 if a is None else int((a["q_value"] < 0.05).sum())
    typer.echo(f"compare: {0 if a is None else len(a)} features tested, {n_sig} with q < 0.05 "
               f"-> {output}")


@app.command("meta")
def meta_cmd(
    cohort: Annotated[
        list[str], typer.Option("--cohort", help="EXPR:CLINICAL[:MAF] (repeatable).")
    ],
    output: OutputDirOption,
    unit: UnitOption = None,
    on_missing: Annotated[
        str, typer.Option("--on-missing", help="drop_genes (default): drop genes with "
                          "missing values in an expression file (listed); or error.")
    ] = "drop_genes",
    sample_col: SampleColOption = None,
    response_col: Annotated[
        str | None, typer.Option("--response-col", help="Column holding the response.")
    ] = None,
    response_rule: Annotated[
        str, typer.Option("--response-rule", help="recist or binary (as in compare).")
    ] = "recist",
    sd_rule: SdRuleOption = "pfs6",
    response_map: Annotated[
        str | None, typer.Option("--response-map", help="Extra response values, e.g. "
                                 "'PD*=PD,long-survival=NR'.")
    ] = None,
    time_col: Annotated[
        str | None, typer.Option("--time-col", help="Survival time column (months).")
    ] = None,
    event_col: Annotated[
        str | None, typer.Option("--event-col", help="Survival event column (1 = event).")
    ] = None,
    capture_mb: Annotated[
        float | None, typer.Option("--capture-mb", help="Sequenced megabases of the MAFs.")
    ] = None,
    tmb_col: Annotated[
        str | None, typer.Option("--tmb-col", help="Clinical TMB column (mut/Mb) for cohorts "
                                 "without a MAF, e.g. TMB_perMb.")
    ] = None,
    genes: Annotated[
        str | None, typer.Option(help="Extra single genes, comma-separated (e.g. CXCL9).")
    ] = None,
    cohort_info: Annotated[
        Path | None, typer.Option("--cohort-info", help="TSV: cohort, cancer_type, treatment "
                                  "(default: the clinical columns).")
    ] = None,
    min_per_group: Annotated[
        int, typer.Option("--min-per-group", help="Fewest R and NR per cohort and feature.")
    ] = 3,
    min_cohorts: Annotated[
        int, typer.Option("--min-cohorts", help="Fewest cohorts for a pooled estimate.")
    ] = 2,
    seed: Annotated[int, typer.Option(help="Seed (random backgrounds).")] = 0,
) -> None:
    """Meta-analyse responders vs non-responders across cohorts (random effects).

    Writes meta.tsv (pooled estimates: REML and DerSimonian-Laird, subgroups, heterogeneity,
    leave-one-out), meta_cohorts.tsv, meta_loo.tsv, cohorts.tsv, report.html and run.json.
    """
    from immunescape._output import write_outputs
    from immunescape.meta import meta_analysis
    from immunescape.report import render_report

    if response_rule not in ("recist", "binary"):
        raise InputError(f"--response-rule must be recist or binary, not {response_rule!r}")
    if on_missing not in ("error", "drop_genes"):
        raise InputError(f"--on-missing must be error or drop_genes, not {on_missing!r}")
    mapping = _response_map(response_map)
    with _progress() as step:
        res = meta_analysis(
            cohort, unit=unit, on_missing=on_missing,  # type: ignore[arg-type]
            sample_col=sample_col, response_col=response_col,
            response_rule=response_rule,  # type: ignore[arg-type]
            sd_rule=sd_rule, response_map=mapping,
            time_col=time_col, event_col=event_col, capture_mb=capture_mb, tmb_col=tmb_col,
            genes=[g for g in (genes or "").split(",") if g.strip()],
            cohort_info=cohort_info, min_per_group=min_per_group, min_cohorts=min_cohorts,
            seed=seed, progress=step,
        )
        step("writing the report")
        run_doc = {"command": _argv(), "meta": res.provenance,
                   "warnings": res.provenance.get("warnings", [])}
        html = render_report({k.removesuffix(".tsv"): v for k, v in res.tables.items()},
                             run=run_doc, title="immunescape cross-cohort meta-analysis")
        write_outputs(output, tables=res.tables, texts={"report.html": html}, run=run_doc)
    m = res.tables["meta.tsv"]
    top = m[(m["subgroup_by"] == "all") & (m["method"] == "REML") & (m["measure"] == "log_or")]
    n_rep = int((top["replication"] == "replicates").sum())
    typer.echo(f"meta: {res.provenance['n_cohorts_pooled']} of {res.provenance['n_cohorts']} "
               f"cohorts pooled, {len(top)} features, {n_rep} replicate (log OR, q < 0.05) "
               f"-> {output}")


PUBLISHED_MODELS = ("impres", "gep", "cyt", "ifng6", "cd274", "tmb", "tide", "loris_pancancer",
                    "loris_nsclc")


@app.command("predict")
def predict_cmd(
    model: Annotated[
        str,
        typer.Option(help="impres, gep, cyt, ifng6, cd274, tmb, tide, loris_pancancer, "
                     "loris_nsclc, builtin, or a model JSON file from 'immunescape train'."),
    ],
    output: OutputDirOption,
    expr: Annotated[Path | None, typer.Option(help="Expression matrix.")] = None,
    unit: UnitOption = None,
    maf: Annotated[Path | None, typer.Option(help="Somatic mutations (for TMB).")] = None,
    vcf: VcfOption = None,
    capture_mb: Annotated[
        float | None, typer.Option("--capture-mb", help="Sequenced megabases (with --maf).")
    ] = None,
    assay: Annotated[
        str | None, typer.Option(help="exome or panel (the TMB >= 10 cut-off is panel-based).")
    ] = None,
    clinical: Annotated[
        Path | None, typer.Option(help="Clinical table (LORIS inputs: TMB, Albumin, NLR, ...).")
    ] = None,
    reference: Annotated[
        Path | None, typer.Option(help="Reference cohort expression (standardisation for "
                                  "trained models; cohort-relative scores).")
    ] = None,
    on_missing: Annotated[
        str, typer.Option("--on-missing", help="drop_genes (default): drop genes with "
                          "missing values in the expression file (listed); or error.")
    ] = "drop_genes",
    na_values: Annotated[
        str | None, typer.Option("--na-values", help=NA_VALUES_HELP)
    ] = None,
) -> None:
    """Predict response with a published predictor or a trained model.

    Writes predictions.tsv (sample_id, model, score, probability, predicted; for trained and
    built-in models also features_used and standardisation) and run.json (missing features,
    warnings). Probabilities are given only where a calibration exists (LORIS, trained and
    built-in models); 'predicted' only where a published or training-derived cut-off exists.
    The built-in model scores any cohort size and any subset of its features.
    """
    import pandas as pd

    from immunescape._output import write_outputs
    from immunescape.predict import (
        load_builtin_model,
        load_model,
        predict_table,
        published_predictors,
    )

    name = model
    is_file = name not in PUBLISHED_MODELS and name != "builtin"
    if is_file and not Path(name).is_file():
        raise InputError(
            f"--model {name!r} is neither a known predictor nor a file",
            fix=f"use one of {', '.join(PUBLISHED_MODELS)}, builtin, or a model JSON path",
        )
    if vcf:
        maf = _genomic_files(maf=maf, vcf=vcf)["maf"]
    if expr is None and maf is None and clinical is None:
        raise InputError("nothing to predict from", fix="give --expr, --maf and/or --clinical")
    clin_table = None
    if clinical is not None:
        from immunescape.io import read_clinical

        clin_table = read_clinical(clinical, na_values=_na_values(na_values))
    if on_missing not in ("error", "drop_genes"):
        raise InputError(f"--on-missing must be error or drop_genes, not {on_missing!r}",
                         source="--on-missing", fix="use --on-missing drop_genes or leave it out")
    scores, tmb, inputs = _predict_inputs(expr=expr, unit=unit, maf=maf, capture_mb=capture_mb,
                                          assay=assay, reference=reference,
                                          on_missing=on_missing)
    run_info: dict[str, Any] = {"command": _argv(), "model": name}
    if name in PUBLISHED_MODELS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = published_predictors(
                scores, tmb=None if tmb is None else tmb.reset_index(), clinical=clin_table,
                expression=expr, models=[name], tmb_assay=assay,  # type: ignore[arg-type]
            )
        run_info["predictor"] = table.attrs.get("predictors", {})
        run_info["warnings"] = [str(w.message) for w in caught]
    else:
        m = load_builtin_model() if name == "builtin" else load_model(name)
        X = scores.copy() if scores is not None else pd.DataFrame()
        if tmb is not None:
            import numpy as np

            X = X.join(tmb[["tmb_per_mb"]].rename(columns={"tmb_per_mb": "tmb"}), how="outer")
            X["tmb_log2"] = np.log2(X["tmb"] + 1)
        ref_X = None
        if reference is not None:  # standardise on the reference cohort (e.g. one patient)
            from immunescape.io import read_expression
            from immunescape.signatures.runner import score

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref_X = score(read_expression(reference)[0]).scores
        if X.empty and X.shape[1] == 0:
            raise InputError("a trained or built-in model needs expression (--expr)",
                             fix="give --expr with the samples' expression matrix")
        table = predict_table(m, X, name="builtin" if name == "builtin" else Path(name).stem,
                              reference=ref_X)
        feats = list(getattr(m, "features_", None) or m.features)
        missing = table.attrs.get("missing_features", {})
        run_info["features"] = feats
        run_info["missing_features"] = missing
        if hasattr(m, "threshold_"):
            run_info["threshold"] = float(m.threshold_)
        if missing:
            detail = ", ".join(f"{f} ({n} of {len(X)} samples)" for f, n in missing.items())
            run_info["warnings"] = [
                f"model features missing: {detail}; predictions use the features available "
                "(column features_used; fallback: "
                + ("the sub-model fitted without them" if not hasattr(m, "threshold_") else
                   "cohort-mean imputation") + ")"]
            typer.echo(f"warning: {run_info['warnings'][0]}", err=True)
    if inputs:
        run_info["inputs"] = inputs
    write_outputs(output, tables={"predictions.tsv": table.set_index("sample_id")},
                  run=run_info)
    typer.echo(f"{len(table)} predictions ({name}) -> {output}")


def _predict_inputs(*, expr: Path | None, unit: str | None, maf: Path | None,
                    capture_mb: float | None, assay: str | None,
                    reference: Path | None,
                    on_missing: str = "drop_genes") -> tuple[Any, Any, dict[str, Any]]:
    """Signature scores and TMB for ``predict`` (no mechanism calls: any cohort size)."""
    import pandas as pd

    scores = tmb = None
    inputs: dict[str, Any] = {}
    if expr is not None:
        from immunescape.io import read_expression
        from immunescape.signatures.runner import score

        matrix, report = read_expression(expr, unit=unit,  # type: ignore[arg-type]
                                         on_missing=on_missing)  # type: ignore[arg-type]
        ref = read_expression(reference)[0] if reference is not None else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = score(matrix, reference=ref).scores
        scores.index = scores.index.astype(str)
        inputs["expression"] = {"path": str(expr), "unit": matrix.unit,
                                "samples": len(matrix.samples), "warnings": list(report.warnings)}
    if maf is not None:
        from immunescape.genomics import compute_tmb, read_maf

        mt = read_maf(maf)
        samples = list(dict.fromkeys([*(scores.index if scores is not None else []),
                                      *map(str, mt.samples)]))
        t = compute_tmb(mt, capture_mb=capture_mb, samples=samples,  # type: ignore[arg-type]
                        assay=assay)  # type: ignore[arg-type]
        tmb = pd.DataFrame(t).set_index("sample_id")
        inputs["maf"] = {"path": str(maf), "samples": len(mt.samples)}
    return scores, tmb, inputs


NA_VALUES_HELP = ("Comma-separated clinical values to read as missing, e.g. "
                  "'PD*,Only scanned baseline'.")


def _na_values(text: str | None) -> list[str] | None:
    vals = [v.strip() for v in (text or "").split(",") if v.strip()]
    return vals or None


def _cohorts(specs: list[str], *, capture_mb: float | None, seed: int,
             on_missing: str = "drop_genes", na_values: str | None = None) -> list[Any]:
    from immunescape.predict import load_cohort, parse_cohort_spec
    from immunescape.predict._cohorts import _default_name as _cohort_name

    if not specs:
        raise InputError("no --cohort given", fix="--cohort EXPR:CLINICAL[:MAF] (repeatable)")
    parsed = [parse_cohort_spec(spec) for spec in specs]
    names = [_cohort_name(e) for e, _, _ in parsed]
    if len(set(names)) != len(names):  # e.g. every cohort's file is expression.tsv
        names = [f"{Path(e).resolve().parent.name}_{n}" for (e, _, _), n in zip(
            parsed, names, strict=True)]
    out = []
    for (expr_p, clin_p, maf_p), name in zip(parsed, names, strict=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append(load_cohort(expr_p, clin_p, maf=maf_p, capture_mb=capture_mb, seed=seed,
                                   name=name, on_missing=on_missing,
                                   na_values=_na_values(na_values)))
    if len(set(names)) != len(names):
        raise InputError(f"cohort names repeat: {names}", fix="give files with distinct names")
    return out


@app.command("train")
def train_cmd(
    cohort: Annotated[
        list[str], typer.Option("--cohort", help="EXPR:CLINICAL[:MAF] (repeatable).")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Model JSON file to write.")],
    features: Annotated[
        str, typer.Option(help="Feature set name (curated, ...) or comma-separated ids.")
    ] = "curated",
    penalty: Annotated[str, typer.Option(help="l2, l1 or elasticnet.")] = "l2",
    c: Annotated[float, typer.Option("--C", help="Inverse regularisation strength.")] = 0.1,
    l1_ratio: Annotated[
        float | None, typer.Option("--l1-ratio", help="Elastic-net mixing (with elasticnet).")
    ] = None,
    on_missing: Annotated[
        str, typer.Option("--on-missing", help="drop_genes (default): drop genes with "
                          "missing values in an expression file (listed); or error.")
    ] = "drop_genes",
    na_values: Annotated[
        str | None, typer.Option("--na-values", help=NA_VALUES_HELP)
    ] = None,
    capture_mb: Annotated[
        float | None, typer.Option("--capture-mb", help="Sequenced megabases of the MAFs.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """Train a penalised logistic response model on one or more cohorts (per-cohort scaling).

    The model is written as JSON (coefficients, standardisation, threshold chosen on the
    training data, provenance); loading it never executes code.
    """
    from immunescape.predict import FEATURE_SETS, ResponseModel, save_model, stack_cohorts

    if output.exists() and output.is_dir():
        raise InputError("is a directory", source=str(output), fix="give a .json file path")
    cohorts = _cohorts(cohort, capture_mb=capture_mb, seed=seed, on_missing=on_missing,
                       na_values=na_values)
    feats: Any = features if features in FEATURE_SETS else [
        f.strip() for f in features.split(",") if f.strip()]
    X, y, labels = stack_cohorts(cohorts)
    model = ResponseModel(features=feats, penalty=penalty, C=c,  # type: ignore[arg-type]
                          l1_ratio=l1_ratio)
    model.fit(X, y, cohort=labels)
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        save_model(model, tmp)
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    typer.echo(f"trained on {len(y)} samples from {len(cohorts)} cohort(s) -> {output}")


@app.command("evaluate")
def evaluate_cmd(
    cohort: Annotated[
        list[str], typer.Option("--cohort", help="EXPR:CLINICAL[:MAF] (repeatable).")
    ],
    output: OutputDirOption,
    model: Annotated[
        str | None,
        typer.Option(help="A model JSON or 'builtin' to validate externally; default: "
                     "leave-one-cohort-out training with the built-in model's settings."),
    ] = None,
    capture_mb: Annotated[
        float | None, typer.Option("--capture-mb", help="Sequenced megabases of the MAFs.")
    ] = None,
    on_missing: Annotated[
        str, typer.Option("--on-missing", help="drop_genes (default): drop genes with "
                          "missing values in an expression file (listed); or error.")
    ] = "drop_genes",
    na_values: Annotated[
        str | None, typer.Option("--na-values", help=NA_VALUES_HELP)
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """Evaluate response prediction honestly, against the published predictors.

    With --model: external validation on every cohort. Without: the built-in model's nested
    leave-one-cohort-out (for each held-out cohort the candidate model and its calibration
    are chosen and fitted on the other cohorts only); this reproduces the model card's
    table. Rows give AUC with a 95% DeLong CI and Brier score; the published single
    predictors (IMPRES, GEP, CYT, IFN-gamma 6, CD274) are scored on the same samples, and
    run.json holds the mean/median AUCs, the paired comparison with the best published
    predictor and the reliability curve.
    """
    import pandas as pd

    from immunescape._output import write_outputs
    from immunescape.predict import (
        BASELINES,
        RobustModel,
        auc_ci,
        load_builtin_model,
        load_model,
        predict_table,
    )

    cohorts = _cohorts(cohort, capture_mb=capture_mb, seed=seed, on_missing=on_missing,
                       na_values=na_values)
    rows = []
    extra: dict[str, Any] = {}
    tables: dict[str, Any] = {}
    if model is not None:
        m = load_builtin_model() if model == "builtin" else load_model(model)
        for c in cohorts:
            pred = predict_table(m, c.X, name=str(model),
                                 cohort=c.name if isinstance(m, RobustModel) else None)
            y = c.y.loc[pred["sample_id"]].to_numpy()
            ok = pred["probability"].notna().to_numpy()
            if ok.sum() < 2 or len(set(y[ok])) < 2:
                continue
            res = auc_ci(y[ok], pred["probability"].to_numpy()[ok])
            rows.append({"cohort": c.name, "model": str(model), "n": c.n,
                         "n_pos": c.n_responders, "auc": res.auc, "auc_ci_low": res.low,
                         "auc_ci_high": res.high})
            for bname, feat in BASELINES.items():
                if feat in c.X.columns and c.X[feat].notna().all():
                    b = auc_ci(c.y.to_numpy(), c.X[feat].to_numpy())
                    rows.append({"cohort": c.name, "model": bname, "n": c.n,
                                 "n_pos": c.n_responders, "auc": b.auc, "auc_ci_low": b.low,
                                 "auc_ci_high": b.high})
        table = pd.DataFrame(rows)
        design = "external validation"
    else:
        if len(cohorts) < 4:
            raise InputError("nested leave-one-cohort-out needs at least four cohorts",
                             fix="give --cohort four times or more, or --model to validate")
        from immunescape.predict import robust_loco

        res_loco = robust_loco(cohorts)
        table = res_loco["table"]
        tables = {"loco_predictions.tsv": res_loco["predictions"],
                  "loco_choices.tsv": res_loco["choices"],
                  "loco_summary.tsv": res_loco["summary"],
                  "reliability.tsv": res_loco["reliability"]}
        extra = {"comparison": res_loco["comparison"],
                 "pooled_brier": res_loco["pooled_brier"],
                 "pooled_brier_prevalence": res_loco["pooled_brier_prevalence"]}
        design = "nested leave-one-cohort-out"
    write_outputs(output, tables={"evaluation.tsv": table, **tables},
                  run={"command": _argv(), "design": design, **extra,
                       "cohorts": {c.name: c.meta for c in cohorts}})
    typer.echo(f"{design}: {len(table)} rows -> {output}/evaluation.tsv")


@kb_app.command("list")
def kb_list(
    kind: Annotated[
        str, typer.Option(help="all, mechanisms, countermeasures or evidence.")
    ] = "all",
    kb: Annotated[list[Path] | None, typer.Option("--kb", help="Extra KB YAML files.")] = None,
) -> None:
    """List the knowledge base's mechanisms, countermeasures and evidence items."""
    import csv
    import io

    from immunescape.kb import load_kb
    from immunescape.kb.loader import KB_TABLE_COLUMNS, kb_rows

    if kind not in ("all", "mechanisms", "countermeasures", "evidence"):
        raise InputError(
            f"--kind must be all, mechanisms, countermeasures or evidence, not {kind!r}"
        )
    rows = kb_rows(load_kb([str(p) for p in kb or []]), kind=kind)  # type: ignore[arg-type]
    buffer = io.StringIO()  # the csv module, not pandas: kb list starts without numpy
    writer = csv.DictWriter(buffer, KB_TABLE_COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    typer.echo(buffer.getvalue().rstrip())


@kb_app.command("show")
def kb_show(
    entry_id: Annotated[str, typer.Argument(help="Mechanism, countermeasure or evidence id.")],
    kb: Annotated[list[Path] | None, typer.Option("--kb", help="Extra KB YAML files.")] = None,
) -> None:
    """Show a mechanism, countermeasure or evidence item with its rules and evidence."""
    from immunescape.kb import load_kb, render_entry

    typer.echo(render_entry(entry_id, kb=load_kb([str(p) for p in kb or []])))


@kb_app.command("validate")
def kb_validate(
    file: Annotated[
        Path | None, typer.Argument(help="A user KB YAML file (default: the shipped KB).")
    ] = None,
    signatures: Annotated[
        list[Path] | None, typer.Option("--signatures", help="Signature files its RNA rules use.")
    ] = None,
) -> None:
    """Validate a knowledge-base file exactly as the shipped knowledge base is validated."""
    from immunescape.kb import validate_kb_file

    problems = validate_kb_file(file, signature_files=[str(p) for p in signatures or []])
    for p in problems:
        typer.echo(f"warning: {p}")
    typer.echo(f"{file or 'shipped knowledge base'}: valid ({len(problems)} warning(s))")


@app.command("demo")
def demo_cmd(
    output: OutputDirOption = Path(
        "demo-out"
    ),
    n_samples: Annotated[int, typer.Option(help="Number of simulated patients.")] = 120,
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 0,
) -> None:
    """Simulate a demo cohort with planted mechanisms and run the whole pipeline on it.

    Writes the simulated inputs (inputs/: expression, clinical, mutations, copy number,
    HLA and the planted truth) and every output of 'immunescape run' into OUTPUT.
    """
    import tempfile

    from immunescape._output import write_outputs
    from immunescape.datasets import simulate_cohort, write_cohort
    from immunescape.pipeline import run_pipeline

    if n_samples < 2:
        raise InputError(f"--n-samples must be at least 2, not {n_samples}")
    cohort = simulate_cohort(n_samples, seed=seed)
    with tempfile.TemporaryDirectory() as tmp, _progress() as step:
        step("simulating the cohort")
        d = Path(tmp) / "inputs"
        write_cohort(cohort, d)
        files = {p.name: p for p in d.iterdir()}
        capture = (getattr(cohort, "params", {}) or {}).get("capture_mb")
        result = run_pipeline(
            expr=files["expression.tsv"], unit="tpm", clinical=files["clinical.tsv"],
            maf=files.get("maf.tsv"), cna=files.get("cna.tsv"), hla=files.get("hla.tsv"),
            hla_loh=files.get("hla_loh.tsv"),
            capture_mb=capture if files.get("maf.tsv") else None,
            assay="exome" if files.get("maf.tsv") else None, dna_samples="all",
            seed=seed, progress=step,
        )
        step("writing the report")
        # name the inputs by their place in the output, not the temporary directory
        result.run = _replace_paths(result.run, str(d), "inputs")
        result.documents = _replace_paths(result.documents, str(d), "inputs")
        run_doc, texts = _pipeline_outputs(
            result, title="immunescape demo (simulated cohort)",
            extra_run={"simulation": getattr(cohort, "params", {})},
        )
        texts.update({f"inputs/{name}": p.read_text() for name, p in sorted(files.items())})
        write_outputs(output, tables=result.tables, documents=result.documents, texts=texts,
                      run=run_doc)
    mech = result.tables["mechanisms.tsv"]
    typer.echo(
        f"demo: {n_samples} simulated patients, {int((mech['status'] == 'present').sum())} "
        f"mechanism calls present -> {output} (open {output}/report.html)"
    )


def _replace_paths(obj: Any, old: str, new: str) -> Any:
    if isinstance(obj, dict):
        return {k: _replace_paths(v, old, new) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_replace_paths(v, old, new) for v in obj]
    if isinstance(obj, str):
        return obj.replace(old, new)
    return obj


OUTPUT_OPTIONS = ("-o", "--output")

#: Library parameter names as the command line spells them, for error messages: the library
#: says ``pass sample_col='ID'`` to a Python caller, the CLI says ``--sample-col ID``.
CLI_SPELLING = {
    "capture_mb": "--capture-mb", "sample_col": "--sample-col", "response_col": "--response-col",
    "recist_col": "--recist-col", "os_time_col": "--time-col", "os_event_col": "--event-col",
    "pfs_time_col": "--time-col", "pfs_event_col": "--event-col", "on_missing": "--on-missing",
    "malformed_hgvs": "--malformed-hgvs", "on_malformed_hgvs": "--malformed-hgvs",
    "response_map": "--response-map",
    "genome_build": "--genome-build", "log_offset": "--log-offset", "genes_in": "--genes-in",
    "sd_rule": "--sd-rule", "min_coverage": "--min-coverage", "reference": "--reference",
}  # fmt: skip


def _response_map(value: str | None) -> dict[str, str] | None:
    """Parse ``--response-map 'PD*=PD,long-survival=NR'`` into a mapping (None if empty)."""
    pairs = [p.split("=", 1) for p in (value or "").split(",") if p.strip()]
    if any(len(p) != 2 for p in pairs):
        raise InputError(f"--response-map {value!r} is not VALUE=TARGET[,...]",
                         fix="e.g. --response-map 'PD*=PD,long-survival=NR'")
    return {k.strip(): v.strip() for k, v in pairs} or None




def _cli_message(text: str) -> str:
    """Spell library parameters in an error message as their command-line options."""
    import re

    text = re.sub(r"response_map=\{'([^']*)': '([^']*)'\}", r"--response-map '\1=\2'", text)
    text = text.replace("with response_map (", "with --response-map (").replace(
        "response_col/recist_col", "--response-col/--recist-col")

    def option(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2)
        flag = CLI_SPELLING[name]
        value = (value or "").strip().strip("'\"")
        return f"{flag} {value}".rstrip() if flag.startswith("--") and " " not in flag else flag

    names = "|".join(sorted(CLI_SPELLING, key=len, reverse=True))
    text = re.sub(rf"\b({names})=('[^']*'|\"[^\"]*\"|[\w.\-]+|\.\.\.)?", option, text)
    snake = "|".join(sorted((n for n in CLI_SPELLING if "_" in n), key=len, reverse=True))
    return re.sub(rf"\b({snake})(?= (?:must|is|needs|should))",
                  lambda m: CLI_SPELLING[m.group(1)].split(" ")[0], text)


def _guard_inputs(args: list[str]) -> None:
    """Register every existing path among the arguments as an input no output may replace.

    Values of ``-o/--output`` are outputs, not inputs; ``--cohort`` specs are split on ':'.
    An output that is itself one of the inputs (e.g. ``train -o expression.tsv``) is refused
    here, before any work is done; output directories are checked when written.
    """
    from immunescape._paths import protect_inputs

    inputs: list[str] = []
    outputs: list[str] = []
    skip_next = False
    for i, arg in enumerate(args):
        if skip_next:
            skip_next = False
            continue
        name, eq, value = arg.partition("=")
        if arg in OUTPUT_OPTIONS:
            if i + 1 < len(args):
                outputs.append(args[i + 1])
            skip_next = True
            continue
        if eq and name in OUTPUT_OPTIONS:
            outputs.append(value)
            continue
        for part in {arg, value, *arg.split(":")} - {""}:
            try:
                if Path(part).exists():
                    inputs.append(part)
            except (OSError, ValueError):  # e.g. a name too long for the file system
                continue
    protect_inputs(inputs)
    resolved = set()
    for p in inputs:
        try:
            resolved.add(Path(p).resolve())
        except (OSError, RuntimeError):  # pragma: no cover
            continue
    for out in outputs:
        if Path(out).resolve() in resolved:
            raise InputError("the output is also an input; writing it would replace it",
                             source=out, fix="choose another path for -o")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map errors to exit codes (2 input, 1 internal)."""
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("immunescape: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.ERROR)
    try:
        _guard_inputs(list(sys.argv[1:] if argv is None else argv))
        app(args=argv, prog_name="immunescape", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        typer.echo("immunescape: aborted", err=True)
        return 130
    except typer.TyperException as exc:  # usage errors: unknown option, bad value, ...
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "immunescape"
        typer.echo(
            f"immunescape: error: {' '.join(message.split())} (see '{command} --help')", err=True
        )
        return 2
    except ResourceError as exc:  # a broken installation, not the user's input
        typer.echo(f"immunescape: error: {' '.join(str(exc).split())}", err=True)
        return 1
    except ImmunescapeError as exc:
        typer.echo(f"immunescape: error: {_cli_message(' '.join(str(exc).split()))}", err=True)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - last line of defence: exit 1, one line
        if os.environ.get("IMMUNESCAPE_DEBUG"):
            raise
        typer.echo(
            f"immunescape: internal error: {exc.__class__.__name__}: {exc} "
            "(please report it with the command you ran)",
            err=True,
        )
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
