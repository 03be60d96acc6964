"""``immunescape compare``: responders against non-responders within one cohort."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from immunescape._logging import console
from immunescape._validate import check_choice
from immunescape.cli._common import argv, genomic_files, progress, response_map, split_list
from immunescape.cli._options import (
    CaptureMbOption,
    CiMethod,
    CnaOption,
    DnaSamplesOption,
    EventColOption,
    LayerOption,
    MafOption,
    OldCiOption,
    OnePerPatientOption,
    OutputDirOption,
    ResponseColOption,
    ResponseMapOption,
    ResponseRuleOption,
    SampleColOption,
    SdRuleOption,
    TimeColOption,
    TimeUnitOption,
    UnitOption,
    VcfOption,
    pick,
)
from immunescape.errors import InputError

FIGURE_FORMATS = ("png", "svg", "pdf")


def compare_cmd(
    output: OutputDirOption,
    clinical: Annotated[Path, typer.Option(help="Clinical table with response (and survival).")],
    expr: Annotated[Path | None, typer.Option(help="Expression matrix (scores, Welch DE).")] = None,
    unit: UnitOption = None,
    layer: LayerOption = None,
    counts: Annotated[
        Path | None, typer.Option(help="Raw integer counts for DESeq2 DE (samples as expr).")
    ] = None,
    maf: MafOption = None,
    vcf: VcfOption = None,
    cna: CnaOption = None,
    capture_mb: CaptureMbOption = None,
    dna_samples: DnaSamplesOption = "maf",
    sample_col: SampleColOption = None,
    response_col: ResponseColOption = None,
    response_rule: ResponseRuleOption = "recist",
    sd_rule: SdRuleOption = "pfs6",
    response_map_: ResponseMapOption = None,
    time_col: TimeColOption = None,
    event_col: EventColOption = None,
    time_unit: TimeUnitOption = None,
    one_per_patient: OnePerPatientOption = None,
    covariates: Annotated[
        str | None, typer.Option(help="Comma-separated clinical covariates (Cox, DE).")
    ] = None,
    cut: Annotated[
        str, typer.Option(help="High/low split: median, a number, or optimal (corrected).")
    ] = "median",
    ci_method: Annotated[
        CiMethod, typer.Option("--ci-method", help="AUC interval: delong or bootstrap.")
    ] = "delong",
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
    cancer_type: Annotated[
        str | None, typer.Option("--cancer-type", help="Cancer type, free text (as in run): "
                                 "the shipped reference group of the mechanism percentiles "
                                 "(melanoma, kidney, pancreas; else pan-cancer).")
    ] = None,
    old_ci: OldCiOption = None,
) -> None:
    """Compare responders with non-responders: AUCs, survival, DE, pathways, mutations.

    Writes associations.tsv, survival.tsv, km.tsv, de.tsv, pathways.tsv, mutations.tsv (with
    --maf), paired.tsv and new_events.tsv (with --paired), report.html (interactive
    figures) and run.json; with --figures png,svg also figures/ (static files).
    """
    from immunescape._provenance import resource_versions
    from immunescape.cli._common import write_outputs
    from immunescape.compare import compare_cohort, write_figures
    from immunescape.pipeline import run_pipeline
    from immunescape.report import render_report

    ci_method = pick(ci_method, old_ci)
    figure_formats = [f.lower() for f in split_list(figures)]
    if figure_formats == ["none"]:
        figure_formats = []
    for f in figure_formats:
        check_choice("--figures", f, FIGURE_FORMATS)
    cut_value = _cut(cut)
    if paired and (patient_col is None or timepoint_col is None):
        raise InputError("--paired needs --patient-col and --timepoint-col")
    if vcf:
        maf = genomic_files(maf=maf, vcf=vcf)["maf"]
    if expr is None and counts is None and maf is None:
        raise InputError("nothing to compare", fix="give --expr, --counts and/or --maf")
    cols: dict[str, Any] = {}
    if sample_col:
        cols["sample_col"] = sample_col
    if response_map_:
        cols["response_map"] = response_map(response_map_)
    if time_unit:
        cols["time_unit"] = time_unit
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
    with progress() as step:
        pipe = run_pipeline(
            expr=expr if expr is not None else counts, unit=unit if expr is not None else "counts",
            layer=layer,
            maf=maf, cna=cna, clinical=clinical, clinical_columns=cols, sd_rule=sd_rule,
            capture_mb=capture_mb, dna_samples=dna_samples, seed=seed, cancer_type=cancer_type,
            progress=step,
            # a paired design holds patients twice by definition (its unpaired tests use pre)
            one_per_patient=None if paired else (one_per_patient or "refuse"),
        )
        # with --counts alone the pipeline has just read the counts: use that matrix
        count_table = (None if counts is None else
                       _count_table(counts, pipe.expression if expr is None else None,
                                    layer=layer))
        clin = pipe.clinical
        if clin is None:  # pragma: no cover - run_pipeline always reads the clinical table
            raise InputError("no clinical table", source=str(clinical))
        _require_response(clin, pipe.run.get("inputs", {}).get("clinical", {}), str(clinical))
        step("comparing responders with non-responders")
        t = pipe.tables
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = compare_cohort(
                clin, expr=pipe.expression if expr is not None else None,
                scores=t.get("scores.tsv"),
                feature_info=t["features.tsv"].reset_index() if "features.tsv" in t else None,
                counts=count_table,
                events=t.get("genomic_events.tsv"),
                tmb=t["tmb.tsv"].reset_index() if "tmb.tsv" in t else None,
                mechanisms=t.get("mechanisms.tsv"), time_col=time_col, event_col=event_col,
                covariates=split_list(covariates) or None,
                cut=cut_value, ci_method=ci_method,
                patient_col=patient_col if paired else None,
                timepoint_col=timepoint_col if paired else None, pre=pre, post=post,
                min_per_group=min_per_group, seed=seed, draw_figures=False,
            )
        notes = [str(w.message) for w in caught]
        step("writing the report")
        run_doc = {"command": argv(), **pipe.run,
                   "compare": {"analyses": res.settings.get("analyses", {}),
                               "warnings": res.warnings, **res.settings},
                   "resources": resource_versions()}
        run_doc["warnings"] = list(pipe.run.get("warnings", [])) + notes
        report_tables = dict(res.tables)
        for k in ("scores.tsv", "features.tsv", "mechanisms.tsv", "phenotypes.tsv", "tmb.tsv"):
            if k in t:
                report_tables[k.removesuffix(".tsv")] = t[k]
        report_tables["clinical"] = clin.reset_index().rename(
            columns={clin.index.name or "index": "sample_id"})
        run_doc["figures"] = figure_formats
        html = render_report(report_tables, run=run_doc, title="immunescape cohort comparison")
        writers = [lambda d: write_figures(res, d, formats=figure_formats)] if (
            figure_formats) else []
        write_outputs(output, tables={f"{k}.tsv": v for k, v in res.tables.items()},
                      texts={"report.html": html},
                      writers=writers, run=run_doc)
    for msg in pipe.notices:  # printed once the command has succeeded (cli.main)
        console.warning(msg)
    a = res.associations
    n_sig = 0 if a is None else int((a["q_value"] < 0.05).sum())
    typer.echo(f"compare: {0 if a is None else len(a)} features tested, {n_sig} with q < 0.05 "
               f"-> {output}")


def _require_response(clin: Any, prov: dict[str, Any], source: str) -> None:
    """Refuse a clinical table giving no sample a response, naming the file's own columns."""
    from immunescape.compare._common import short_list

    if "response" in clin.columns and clin["response"].notna().any():
        return
    used = [c for c in (prov.get("recist_col"), prov.get("response_col")) if c]
    what = (f"column {' / '.join(map(repr, used))} gives none of the {len(clin)} matched "
            "samples a response" if used else "no response or RECIST column was recognised")
    raise InputError(
        f"no sample has a response (R or NR): {what} (columns of the file: "
        f"{short_list(prov.get('columns', []), 15)})",
        source=source,
        fix="name the column holding the response with --response-col (RECIST values, or "
        "R/NR and 1/0 with --response-rule binary) and map other values with --response-map",
    )


def _cut(cut: str) -> Literal["median", "optimal"] | float:
    """``--cut``: median, optimal or a number."""
    if cut == "median":
        return "median"
    if cut == "optimal":
        return "optimal"
    try:
        return float(cut)
    except ValueError:
        raise InputError(f"--cut must be median, optimal or a number, not {cut!r}") from None


def _count_table(counts: Path, c_expr: Any = None, *, layer: str | None = None) -> Any:
    """Raw integer counts (genes x samples) for DESeq2, refused when not exactly held."""
    import numpy as np

    from immunescape.io import read_expression

    if c_expr is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            c_expr, _ = read_expression(counts, unit="counts", layer=layer)
    if float(np.nanmax(c_expr.matrix)) >= 2**24:
        raise InputError(
            "counts above 16,777,216 cannot be held exactly",
            source=str(counts),
            fix="give raw counts per gene (not summed across samples)",
        )
    return c_expr.values.round().astype("int64")
