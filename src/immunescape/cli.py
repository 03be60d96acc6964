"""Command-line interface: a thin layer over the public Python API.

Exit codes: 0 success, 2 bad input or usage (one line: which file, what is wrong, how to fix
it), 1 internal error.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from immunescape._logging import logger
from immunescape.errors import ImmunescapeError, InputError

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


def _argv() -> list[str]:
    return ["immunescape", *sys.argv[1:]]


def _score_step(
    expr: Any,
    *,
    signature_files: list[Path],
    only: str | None,
    min_coverage: float | None,
    reference: Any,
    seed: int,
) -> Any:
    from immunescape.signatures.registry import load_registry
    from immunescape.signatures.runner import score

    registry = load_registry([str(p) for p in signature_files])
    if only:
        registry = registry.select([s.strip() for s in only.split(",") if s.strip()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # collected in result.warnings -> run.json
        return score(
            expr, signatures=registry, min_coverage=min_coverage, reference=reference, seed=seed
        ), registry


@app.command("score")
def score_cmd(
    expr: Annotated[
        Path, typer.Argument(help="Expression matrix: TSV/CSV (.gz), parquet or h5ad.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output directory.")],
    unit: Annotated[str | None, typer.Option(help=UNIT_HELP)] = None,
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
) -> None:
    """Score every registry signature and PROGENy pathway on an expression matrix.

    Writes scores.tsv, features.tsv, input_report.json and run.json into OUTPUT.
    """
    from immunescape._output import write_outputs
    from immunescape.io import read_expression

    if genes_in not in (None, "rows", "columns"):
        raise InputError(f"--genes-in must be 'rows' or 'columns', not {genes_in!r}")
    if min_coverage is not None and not 0 < min_coverage <= 1:
        raise InputError(f"--min-coverage must be in (0, 1], not {min_coverage}")
    expression, report = read_expression(
        expr,
        unit=unit,
        genes_in=genes_in,
        log_offset=log_offset,  # type: ignore[arg-type]
    )
    ref_expr = None
    ref_report = None
    if reference is not None:
        ref_expr, ref_report = read_expression(reference, log_offset=None)
    result, registry = _score_step(
        expression,
        signature_files=list(signatures or []),
        only=only,
        min_coverage=min_coverage,
        reference=ref_expr,
        seed=seed,
    )
    features = result.features.set_index("id")
    write_outputs(
        output,
        tables={"scores.tsv": result.scores, "features.tsv": features},
        documents={"input_report.json": report.to_dict()}
        | ({"reference_report.json": ref_report.to_dict()} if ref_report else {}),
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
            "input": {
                "expression": str(expr),
                "unit": expression.unit,
                "log_offset": expression.log_offset,
                "notes": expression.notes,
                "n_samples": expression.shape[0],
                "n_genes": expression.shape[1],
            },
            "conversions": result.conversions,
            "warnings": list(getattr(report, "warnings", [])) + result.warnings,
        },
    )
    n_ok = int((result.features["status"] == "scored").sum())
    typer.echo(
        f"scored {n_ok}/{len(result.features)} features on {expression.shape[0]} samples "
        f"-> {output}"
    )


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


@app.command("run")
def run_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="Output directory.")],
    expr: Annotated[
        Path | None, typer.Option(help="Expression matrix (TSV/CSV/parquet/h5ad).")
    ] = None,
    unit: Annotated[str | None, typer.Option(help=UNIT_HELP)] = None,
    genes_in: Annotated[str | None, typer.Option("--genes-in", help="'rows' or 'columns'.")] = None,
    maf: Annotated[
        Path | None, typer.Option(help="Somatic mutations (MAF or mapped table).")
    ] = None,
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
        typer.Option("--malformed-hgvs", help="raise (default) or blank: protein changes "
                     "that are not HGVS are treated as missing."),
    ] = "raise",
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
    sample_col: Annotated[
        str | None, typer.Option("--sample-col", help="Clinical sample id column.")
    ] = None,
    response_col: Annotated[
        str | None, typer.Option("--response-col", help="Clinical binary response column.")
    ] = None,
    recist_col: Annotated[
        str | None, typer.Option("--recist-col", help="Clinical RECIST column.")
    ] = None,
    sd_rule: Annotated[
        str, typer.Option("--sd-rule", help="Stable disease: pfs6, nr, r or exclude.")
    ] = "pfs6",
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

    if malformed_hgvs not in ("raise", "blank"):
        raise InputError(f"--malformed-hgvs must be raise or blank, not {malformed_hgvs!r}")
    if dna_samples not in ("maf", "all"):
        raise InputError(f"--dna-samples must be 'maf' or 'all', not {dna_samples!r}")
    cols = {
        k: v
        for k, v in {
            "sample_col": sample_col,
            "response_col": response_col,
            "recist_col": recist_col,
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
    output: Annotated[Path, typer.Option("-o", "--output", help="Output directory.")],
    maf: Annotated[
        Path | None, typer.Option(help="Somatic mutations (MAF or mapped table).")
    ] = None,
    capture_mb: Annotated[
        float | None,
        typer.Option("--capture-mb", help="Sequenced megabases (required with --maf)."),
    ] = None,
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
        str, typer.Option("--malformed-hgvs", help="raise or blank (treat as missing).")
    ] = "raise",
) -> None:
    """Turn mutations, copy number and HLA into resistance-relevant events and TMB.

    Writes genomic_events.tsv, tmb.tsv (with --maf), hla.tsv (with --hla/--hla-loh),
    scna.tsv (with --segments) and run.json.
    """
    from immunescape._output import write_outputs
    from immunescape.genomics import check_sample_overlap, run_genomics

    if tmb_rule not in ("nonsynonymous", "all_coding"):
        raise InputError(f"--tmb-rule must be 'nonsynonymous' or 'all_coding', not {tmb_rule!r}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = run_genomics(
            maf=maf,
            capture_mb=capture_mb,
            cna=cna,
            segments=segments,
            hla=hla,
            hla_loh=hla_loh,
            assay=assay,  # type: ignore[arg-type]
            tmb_rule=tmb_rule,
            genome_build=genome_build,
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
    output: Annotated[Path, typer.Option("-o", "--output", help="Output directory.")],
    clinical: Annotated[Path, typer.Option(help="Clinical table with response (and survival).")],
    expr: Annotated[Path | None, typer.Option(help="Expression matrix (scores, Welch DE).")] = None,
    unit: Annotated[str | None, typer.Option(help=UNIT_HELP)] = None,
    counts: Annotated[
        Path | None, typer.Option(help="Raw integer counts for DESeq2 DE (samples as expr).")
    ] = None,
    maf: Annotated[Path | None, typer.Option(help="Somatic mutations (MAF).")] = None,
    cna: Annotated[Path | None, typer.Option(help="Gene-level copy number.")] = None,
    capture_mb: Annotated[
        float | None, typer.Option("--capture-mb", help="Sequenced megabases (with --maf).")
    ] = None,
    sample_col: Annotated[
        str | None, typer.Option("--sample-col", help="Clinical sample id column.")
    ] = None,
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
    sd_rule: Annotated[
        str, typer.Option("--sd-rule", help="Stable disease: pfs6, nr, r or exclude.")
    ] = "pfs6",
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
) -> None:
    """Compare responders with non-responders: AUCs, survival, DE, pathways, mutations.

    Writes associations.tsv, survival.tsv, km.tsv, de.tsv, pathways.tsv, mutations.tsv (with
    --maf), paired.tsv and new_events.tsv (with --paired), figures/ (PNG and SVG),
    report.html and run.json.
    """
    import numpy as np

    from immunescape._output import resource_versions, write_outputs
    from immunescape.compare import compare_cohort, write_figures
    from immunescape.io import read_expression
    from immunescape.pipeline import run_pipeline
    from immunescape.report import render_report

    if response_rule not in ("recist", "binary"):
        raise InputError(f"--response-rule must be recist or binary, not {response_rule!r}")
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
    if expr is None and counts is None and maf is None:
        raise InputError("nothing to compare", fix="give --expr, --counts and/or --maf")
    cols: dict[str, str] = {}
    if sample_col:
        cols["sample_col"] = sample_col
    if response_col:
        cols["recist_col" if response_rule == "recist" else "response_col"] = response_col
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
                min_per_group=min_per_group, seed=seed,
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
        html = render_report(report_tables, run=run_doc, title="immunescape cohort comparison",
                             figures=res.figures)
        tables = {name: tab for name, tab in res.tables.items()}
        write_outputs(output, tables=tables, texts={"report.html": html},
                      writers=[lambda d: write_figures(res, d)], run=run_doc)
    a = res.tables.get("associations.tsv")
    n_sig = 0 if a is None else int((a["q_value"] < 0.05).sum())
    typer.echo(f"compare: {0 if a is None else len(a)} features tested, {n_sig} with q < 0.05 "
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
    output: Annotated[Path, typer.Option("-o", "--output", help="Output directory.")],
    expr: Annotated[Path | None, typer.Option(help="Expression matrix.")] = None,
    unit: Annotated[str | None, typer.Option(help=UNIT_HELP)] = None,
    maf: Annotated[Path | None, typer.Option(help="Somatic mutations (for TMB).")] = None,
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
) -> None:
    """Predict response with a published predictor or a trained model.

    Writes predictions.tsv (sample_id, model, score, probability, predicted) and run.json.
    Probabilities are given only where a calibration exists (LORIS, trained models);
    'predicted' only where a published or training-derived cut-off exists.
    """
    import pandas as pd

    from immunescape._output import write_outputs
    from immunescape.pipeline import run_pipeline
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
    if expr is None and maf is None and clinical is None:
        raise InputError("nothing to predict from", fix="give --expr, --maf and/or --clinical")
    clin_table = None
    if clinical is not None:
        from immunescape.io import read_clinical

        clin_table = read_clinical(clinical)
    pipe = None
    if expr is not None or maf is not None:
        pipe = run_pipeline(expr=expr, unit=unit, maf=maf, capture_mb=capture_mb, assay=assay,
                            reference=reference,
                            dna_samples="all" if maf is not None and expr is not None else "maf")
    scores = None if pipe is None else pipe.tables.get("scores.tsv")
    tmb = None if pipe is None or "tmb.tsv" not in pipe.tables else pipe.tables["tmb.tsv"]
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
        table = predict_table(m, X, name="builtin" if name == "builtin" else Path(name).stem,
                              reference=ref_X)
        run_info["features"] = list(m.features_)
        run_info["threshold"] = float(m.threshold_)
    if pipe is not None:
        run_info["inputs"] = pipe.run.get("inputs", {})
    write_outputs(output, tables={"predictions.tsv": table.set_index("sample_id")},
                  run=run_info)
    typer.echo(f"{len(table)} predictions ({name}) -> {output}")


def _cohorts(specs: list[str], *, capture_mb: float | None, seed: int,
             on_missing: str = "error") -> list[Any]:
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
                                   name=name, on_missing=on_missing))
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
        str, typer.Option("--on-missing", help="error, or drop_genes: drop genes with "
                          "missing values in an expression file.")
    ] = "error",
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
    cohorts = _cohorts(cohort, capture_mb=capture_mb, seed=seed, on_missing=on_missing)
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
    output: Annotated[Path, typer.Option("-o", "--output", help="Output directory.")],
    model: Annotated[
        str | None,
        typer.Option(help="A model JSON or 'builtin' to validate externally; default: "
                     "leave-one-cohort-out training with the built-in model's settings."),
    ] = None,
    capture_mb: Annotated[
        float | None, typer.Option("--capture-mb", help="Sequenced megabases of the MAFs.")
    ] = None,
    on_missing: Annotated[
        str, typer.Option("--on-missing", help="error, or drop_genes: drop genes with "
                          "missing values in an expression file.")
    ] = "error",
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """Evaluate response prediction honestly, against the published predictors.

    With --model: external validation on every cohort. Without: leave-one-cohort-out (each
    cohort held out in turn, the model trained on the others). Every table row gives AUC with
    a 95% DeLong CI, balanced accuracy and Brier score; the published single predictors
    (IMPRES, GEP, CYT, IFN-gamma 6, CD274) are scored on the same samples.
    """
    import pandas as pd

    from immunescape._output import write_outputs
    from immunescape.predict import (
        BASELINES,
        auc_ci,
        load_builtin_model,
        load_model,
        loco_compare,
        predict_table,
    )

    cohorts = _cohorts(cohort, capture_mb=capture_mb, seed=seed, on_missing=on_missing)
    rows = []
    if model is not None:
        m = load_builtin_model() if model == "builtin" else load_model(model)
        for c in cohorts:
            pred = predict_table(m, c.X, name=str(model))
            y = c.y.loc[pred["sample_id"]].to_numpy()
            res = auc_ci(y, pred["probability"].to_numpy())
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
        if len(cohorts) < 2:
            raise InputError("leave-one-cohort-out needs at least two cohorts",
                             fix="give --cohort twice or more, or --model to validate one")
        params = load_builtin_model().get_params()
        table = loco_compare(cohorts, params=params, model_name="model", seed=seed)
        design = "leave-one-cohort-out"
    write_outputs(output, tables={"evaluation.tsv": table},
                  run={"command": _argv(), "design": design,
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
    from immunescape.kb import kb_table, load_kb

    if kind not in ("all", "mechanisms", "countermeasures", "evidence"):
        raise InputError(
            f"--kind must be all, mechanisms, countermeasures or evidence, not {kind!r}"
        )
    table = kb_table(load_kb([str(p) for p in kb or []]), kind=kind)  # type: ignore[arg-type]
    typer.echo(table.to_csv(sep="\t", index=False).rstrip())


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
    output: Annotated[Path, typer.Option("-o", "--output", help="Output directory.")] = Path(
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


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map errors to exit codes (2 input, 1 internal)."""
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("immunescape: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.ERROR)
    try:
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
    except InputError as exc:
        typer.echo(f"immunescape: error: {exc}", err=True)
        return 2
    except ImmunescapeError as exc:
        typer.echo(f"immunescape: error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - last line of defence: exit 1, one line
        typer.echo(
            f"immunescape: internal error: {exc.__class__.__name__}: {exc} "
            "(please report it with the command you ran)",
            err=True,
        )
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
