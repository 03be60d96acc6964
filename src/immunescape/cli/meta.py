"""``immunescape meta``: random-effects meta-analysis across cohorts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from immunescape.cli._common import argv, progress, response_map, split_list
from immunescape.cli._options import (
    CohortCaptureMbOption,
    CohortOption,
    EventColOption,
    LayerOption,
    OnePerPatientOption,
    OnMissingOption,
    OutputDirOption,
    ResponseColOption,
    ResponseMapOption,
    ResponseRuleOption,
    SampleColOption,
    SdRuleOption,
    TimeColOption,
    TimeUnitOption,
    UnitOption,
    on_missing_value,
)


def meta_cmd(
    cohort: CohortOption,
    output: OutputDirOption,
    unit: UnitOption = None,
    layer: LayerOption = None,
    on_missing: OnMissingOption = "drop",
    sample_col: SampleColOption = None,
    response_col: ResponseColOption = None,
    response_rule: ResponseRuleOption = "recist",
    sd_rule: SdRuleOption = "pfs6",
    response_map_: ResponseMapOption = None,
    time_col: TimeColOption = None,
    event_col: EventColOption = None,
    time_unit: TimeUnitOption = None,
    one_per_patient: OnePerPatientOption = None,
    capture_mb: CohortCaptureMbOption = None,
    tmb_col: Annotated[
        str | None, typer.Option("--tmb-col", help="Clinical TMB column (mut/Mb) for cohorts "
                                 "without a MAF, e.g. TMB_perMb.")
    ] = None,
    genes: Annotated[
        str | None, typer.Option(help="Extra single genes, comma-separated (e.g. CXCL9).")
    ] = None,
    cohort_info: Annotated[
        Path | None, typer.Option("--cohort-info", help="TSV: cohort, cancer_type, treatment "
                                  "(default: the clinical columns); its cancer_type also "
                                  "picks the cohort's shipped reference group.")
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
    from immunescape.cli._common import write_outputs
    from immunescape.meta import meta_analysis
    from immunescape.report import render_report

    missing = on_missing_value(on_missing)
    with progress() as step:
        res = meta_analysis(
            cohort, unit=unit, layer=layer,
            on_missing=missing,
            sample_col=sample_col, response_col=response_col, response_rule=response_rule,
            sd_rule=sd_rule, response_map=response_map(response_map_),
            time_col=time_col, event_col=event_col, time_unit=time_unit,
            capture_mb=capture_mb, tmb_col=tmb_col,
            genes=split_list(genes),
            cohort_info=cohort_info, min_per_group=min_per_group, min_cohorts=min_cohorts,
            seed=seed, progress=step, one_per_patient=one_per_patient,
        )
        step("writing the report")
        run_doc = {"command": argv(), "meta": {**res.settings, "warnings": res.warnings},
                   "warnings": res.warnings}
        html = render_report(dict(res.tables),
                             run=run_doc, title="immunescape cross-cohort meta-analysis")
        write_outputs(output, tables={f"{k}.tsv": v for k, v in res.tables.items()},
                      texts={"report.html": html}, run=run_doc)
    m = res.meta
    top = m[(m["subgroup_by"] == "all") & (m["method"] == "REML") & (m["measure"] == "log_or")]
    n_rep = int((top["replication"] == "replicates").sum())
    n_pooled = int(top["estimate"].notna().sum())
    need = "" if n_pooled else f" (pooling needs {min_cohorts} cohorts with an estimate)"
    typer.echo(f"meta: {res.settings['n_cohorts_pooled']} of {res.settings['n_cohorts']} "
               f"cohorts usable, {n_pooled} of {len(top)} features pooled{need}, {n_rep} "
               f"replicate (log OR, q < 0.05) -> {output}")
