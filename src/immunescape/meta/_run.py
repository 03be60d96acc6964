"""Cross-cohort meta-analysis of responders versus non-responders: :func:`meta_analysis`.

Every cohort goes through the pipeline of ``immunescape compare`` (:func:`run_pipeline`, then
the feature table of :func:`~immunescape.compare.compare_cohort`: signature, pathway and
single-gene scores, mechanism strengths, TMB), its per-feature effects are estimated
(:func:`~immunescape.meta.cohort_effects`) and pooled across cohorts with random-effects
models (:func:`~immunescape.meta.pool_effects`): overall, within cancer types and treatment
classes (with a test of subgroup difference), and leaving out one cohort at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from immunescape._logging import logger
from immunescape._result import Result
from immunescape._validate import check_choice, check_range
from immunescape._vocab import OnePerPatient, ResponseRule, Unit
from immunescape.compare._common import (
    NON_RESPONDER,
    RESPONDER,
    recorded_warnings,
    response_labels,
    short_list,
)
from immunescape.errors import InputError
from immunescape.io import OnMissing
from immunescape.io._clinical import SdRule, TimeUnit
from immunescape.mechanisms import PHENOTYPE_CLASSES
from immunescape.meta._cohorts import (
    cohort_specs,
    label_counts,
    read_cohort_info,
    treatment_class,
)
from immunescape.meta._effects import COHORT_COLUMNS, cohort_effects
from immunescape.meta._overlap import OUTCOME_COLUMNS, CohortSamples, check_shared_patients
from immunescape.meta._pool import METHODS, Method
from immunescape.meta._pooled import pool_effects
from immunescape.pipeline import _snake

__all__ = ["MetaResult", "meta_analysis"]



@dataclass
class MetaResult(Result):
    """Tables, settings and warnings of a cross-cohort meta-analysis.

    Attributes
    ----------
    meta
        ``meta.tsv``: pooled estimates, feature x measure x method x subgroup.
    meta_cohorts
        ``meta_cohorts.tsv``: per-cohort estimates.
    meta_loo
        ``meta_loo.tsv``: leave-one-cohort-out estimates.
    cohorts
        ``cohorts.tsv``: one row per cohort (counts, subgroup labels, included or why not).
    settings
        For ``run.json``: ``cohorts`` (the rows of ``cohorts.tsv``), ``inputs``, ``settings``
        (the options given), ``methods``, ``n_cohorts``, ``n_cohorts_pooled``.
    warnings
        Per cohort (prefixed ``cohort <name>:``) and overall.

    Examples
    --------
    >>> t = pd.DataFrame({"feature": ["cyt"], "estimate": [0.4]})
    >>> res = MetaResult(t, t, t.iloc[:0], pd.DataFrame({"cohort": ["riaz"]}))
    >>> list(res.tables), res.to_frame().shape, res.warnings
    (['meta', 'meta_cohorts', 'meta_loo', 'cohorts'], (1, 2), [])
    """

    table_names = ("meta", "meta_cohorts", "meta_loo", "cohorts")

    meta: pd.DataFrame
    meta_cohorts: pd.DataFrame
    meta_loo: pd.DataFrame
    cohorts: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _extra_features(
    pipe: Any,
    clin: pd.DataFrame,
    feats: pd.DataFrame | None,
    kinds: dict[str, str],
    *,
    tmb_col: str | None,
    genes: Sequence[str],
    source: str,
) -> tuple[pd.DataFrame | None, list[str]]:
    notes: list[str] = []
    parts = [] if feats is None else [feats]
    ph = pipe.tables.get("phenotypes.tsv")
    if ph is not None and "immune_phenotype" in ph.columns:
        p = (
            ph.set_index("sample_id")["immune_phenotype"].astype(str)
            if "sample_id" in ph
            else ph["immune_phenotype"].astype(str)
        )
        called = p[p.isin(PHENOTYPE_CLASSES)]
        if not called.empty:
            ind = pd.DataFrame(
                {
                    f"phenotype:{lv}": (p == lv)
                    .astype(float)
                    .where(p.isin(PHENOTYPE_CLASSES))
                    for lv in PHENOTYPE_CLASSES
                }
            )
            parts.append(ind)
            kinds.update(dict.fromkeys(ind.columns, "phenotype"))
    if tmb_col is not None and (feats is None or "tmb_per_mb" not in feats.columns):
        col = (
            tmb_col
            if tmb_col in clin.columns
            else _snake(tmb_col)
        )
        if col in clin.columns:
            t = pd.to_numeric(clin[col], errors="coerce")
            if t.notna().any():
                if (t < 0).any():
                    raise InputError(
                        f"negative TMB values in column {tmb_col!r}",
                        source=source,
                        fix="give mutations per megabase",
                    )
                parts.append(t.rename("tmb_per_mb").to_frame())
                kinds["tmb_per_mb"] = "genomic"
            else:
                notes.append(f"TMB column {tmb_col!r} has no numeric value")
        else:
            notes.append(f"no TMB column {tmb_col!r}")
    expr = pipe.expression
    if genes and expr is not None:
        have = [g for g in genes if g in expr.gene_set and f"gene_{g}" not in kinds]
        missing = [g for g in genes if g not in expr.gene_set]
        if missing:
            notes.append(f"gene(s) not measured: {short_list(missing)}")
        if have:
            vals = pd.DataFrame(
                expr.columns(have, "log2tpm1"),
                index=[str(s) for s in expr.samples],
                columns=[f"gene_{g}" for g in have],
            )
            parts.append(vals)
            kinds.update(dict.fromkeys(vals.columns, "gene"))
    if not parts:
        return None, notes
    return pd.concat(parts, axis=1, join="outer"), notes


def meta_analysis(
    cohorts: Sequence[str | tuple[str, ...]] | Mapping[str, str | tuple[str, ...]],
    *,
    unit: Unit | None = None,
    on_missing: OnMissing = "drop",
    layer: str | None = None,
    response_col: str | None = None,
    response_rule: ResponseRule = "recist",
    sd_rule: SdRule = "pfs6",
    response_map: Mapping[str, str | None] | None = None,
    sample_col: str | None = None,
    time_col: str | None = None,
    event_col: str | None = None,
    time_unit: TimeUnit | None = None,
    capture_mb: float | None = None,
    tmb_col: str | None = None,
    genes: Sequence[str] = (),
    cohort_info: object = None,
    min_per_group: int = 3,
    min_cohorts: int = 2,
    methods: Sequence[Method] = METHODS,
    alpha: float = 0.05,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    one_per_patient: OnePerPatient | None = None,
) -> MetaResult:
    """Meta-analyse responders versus non-responders across cohorts, feature by feature.

    Parameters
    ----------
    cohorts
        ``"EXPR:CLINICAL[:MAF]"`` strings or ``(expr, clinical[, maf])`` path tuples (names
        from the expression file names), or a mapping cohort name -> such an entry.
    unit, response_col, response_rule, sd_rule, sample_col, capture_mb
        As ``immunescape compare``: the expression unit, the response column and whether it
        holds RECIST (``"recist"``: CR/PR = R, PD = NR, SD by ``sd_rule``) or R/NR
        (``"binary"``), the clinical sample id column, the sequenced megabases of the MAFs.
    response_map
        Extra response values mapped to CR, PR, CR/PR, SD, PD, NE, R, NR or NA (see
        :func:`immunescape.io.read_clinical`), e.g. ``{"PD*": "PD"}``.
    on_missing
        ``"error"`` or ``"drop"``: drop genes with missing expression values (as
        ``immunescape train --on-missing``).
    layer
        The AnnData layer to read from every cohort's h5ad expression file (``--layer``).
    time_col, event_col
        Survival columns; default: ``os_months``/``os_event`` and ``pfs_months``/
        ``pfs_event`` of the harmonised clinical table when present.
    time_unit
        Unit of survival times whose column name states none (e.g. ``OS.time``): ``"days"``,
        ``"weeks"``, ``"months"`` or ``"years"`` (``--time-unit``; passed to
        :func:`immunescape.io.read_clinical`, as in ``compare``). Without it such a detected
        column is left out with a warning.
    tmb_col
        A clinical column holding TMB (mutations per Mb), used as ``tmb_per_mb`` for cohorts
        without a MAF (e.g. ``"TMB_perMb"`` of PredictioR tables).
    genes
        Extra single genes (HGNC symbols) added as ``gene_<SYMBOL>`` (log2(TPM + 1)) when the
        registry has no such feature.
    cohort_info
        Cancer type and treatment per cohort: a TSV file, a DataFrame (columns cohort,
        cancer_type, treatment) or a mapping cohort -> {"cancer_type": ..., "treatment":
        ...}; overrides the clinical columns ``cancer_type`` and ``treatment`` (the most
        frequent value among the labelled samples). Treatments are mapped to
        :data:`TREATMENT_CLASSES` by :func:`treatment_class`. A cohort's ``cancer_type``
        here also picks its shipped reference group for RNA percentiles and phenotypes, as
        ``run --cancer-type`` does (recorded as ``inputs[cohort]["reference_group"]``).
    min_per_group
        Fewest responders and non-responders for a cohort (and for a feature within it).
    min_cohorts
        Fewest cohorts for an overall pooled estimate.
    methods, alpha
        tau² estimators (``"REML"``, ``"DL"``) and 1 - confidence level.
    seed
        Seed of random-background signature scores.
    progress
        Called with the name of each step.
    one_per_patient
        A cohort whose labelled samples include several of one patient (pre- and
        on-treatment biopsies) is refused unless this keeps one per patient: ``"first"``,
        ``"pre"`` or ``"on"`` (see :func:`immunescape.io._patients.keep_one_per_patient`).

    Returns
    -------
    MetaResult

    Raises
    ------
    InputError
        Unreadable or inconsistent inputs (the message names the cohort); two cohorts
        holding the same samples (same ids with the same data). A cohort with one
        response class or fewer than ``min_per_group`` in a class is not an error: it is
        listed in ``cohorts.tsv`` with the reason and left out of pooling.
    """
    from immunescape.compare._cohort import ENDPOINTS, _features
    from immunescape.pipeline import run_pipeline

    step = progress or (lambda _name: None)
    check_choice("response_rule", response_rule, ResponseRule)
    check_choice("on_missing", on_missing, OnMissing)
    check_range("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
    check_range("min_per_group", min_per_group, low=2, integer=True)
    check_range("min_cohorts", min_cohorts, low=2, integer=True)
    if (time_col is None) != (event_col is None):
        raise InputError(
            "survival needs both time_col and event_col",
            source="survival",
            fix="give --time-col and --event-col",
        )
    if isinstance(genes, str):
        genes = [g.strip() for g in genes.split(",") if g.strip()]
    specs = cohort_specs(cohorts)
    info = read_cohort_info(cohort_info)
    unknown = sorted(set(info) - {s[0] for s in specs})
    warnings_out: list[str] = []
    if unknown:
        warnings_out.append(f"cohort_info names unknown cohort(s): {short_list(unknown)}")
    cols: dict[str, Any] = {}
    if sample_col:
        cols["sample_col"] = sample_col
    if response_col:
        cols["recist_col" if response_rule == "recist" else "response_col"] = response_col
    if response_map:
        cols["response_map"] = dict(response_map)
    if time_unit is not None:
        check_choice("time_unit", time_unit, TimeUnit)
        cols["time_unit"] = time_unit

    cohort_table: list[dict[str, Any]] = []
    seen: list[CohortSamples] = []  # labelled samples of the cohorts read so far
    effect_parts: list[pd.DataFrame] = []
    inputs: dict[str, Any] = {}
    for name, e, cl, m in specs:
        step(f"cohort {name}")
        for p in (e, cl, m):
            if p is not None and not Path(p).exists():
                raise InputError(
                    "file not found", source=f"cohort {name}: {p}", fix="check the --cohort paths"
                )
        try:
            with recorded_warnings() as pipe_warnings:
                pipe = run_pipeline(
                    expr=e,
                    unit=unit,
                    on_missing=on_missing,
                    layer=layer,
                    maf=m,
                    clinical=cl,
                    clinical_columns=cols,
                    sd_rule=sd_rule,
                    capture_mb=capture_mb,
                    # as run and compare: a sample without a MAF row was not sequenced
                    dna_samples="maf",
                    seed=seed,
                    one_per_patient=one_per_patient or "refuse",
                    # the cohort's reference group for RNA percentiles (run's --cancer-type)
                    cancer_type=info.get(name, {}).get("cancer_type"),
                )
        except InputError as exc:
            raise InputError(f"cohort {name}: {exc}") from None
        cohort_warn = list(pipe.run.get("warnings", [])) + pipe_warnings
        inputs[name] = {
            "expression": e,
            "clinical": cl,
            "maf": m,
            # the shipped reference group the RNA percentiles used (cohort_info cancer_type)
            "reference_group": pipe.run.get("reference", {}).get("group"),
            **{
                k: v
                for k, v in pipe.run.get("inputs", {}).items()
                if k in ("expression", "clinical")
            },
        }
        clin = pipe.clinical
        if clin is None:  # pragma: no cover - run_pipeline reads the clinical table given
            raise InputError("no clinical table", source=f"cohort {name}: {cl}")
        t = pipe.tables
        msgs: list[str] = []
        with recorded_warnings() as feature_warnings:
            feats, kinds = _features(
                pipe.expression,
                t.get("scores.tsv"),
                t["features.tsv"].reset_index() if "features.tsv" in t else None,
                t["tmb.tsv"].reset_index() if "tmb.tsv" in t else None,
                t.get("mechanisms.tsv"),
                msgs,
                seed,
            )
        msgs += feature_warnings
        feats, notes = _extra_features(
            pipe, clin, feats, kinds, tmb_col=tmb_col, genes=genes, source=f"cohort {name}: {cl}"
        )
        cohort_warn += msgs + notes
        y = (
            response_labels(clin["response"], source=f"cohort {name}: {cl}")
            if "response" in clin.columns
            else pd.Series(dtype=object)
        )
        if feats is not None:
            y = y.loc[y.index.intersection(feats.index, sort=False)]
        n_r, n_nr = int((y == RESPONDER).sum()), int((y == NON_RESPONDER).sum())
        lab = clin.loc[y.index]
        labelled = [str(s) for s in y.index[y.isin([RESPONDER, NON_RESPONDER]).to_numpy()]]
        seen.append(CohortSamples(
            argument=":".join(str(p) for p in (e, cl, m) if p is not None),
            expression=None if pipe.expression is None else
            pipe.expression.values.loc[[s for s in labelled if s in pipe.expression.samples]],
            outcomes=clin.loc[labelled, [c for c in OUTCOME_COLUMNS if c in clin.columns]]))
        check_shared_patients(seen[-1], seen[:-1])
        lab = lab.loc[:, ~lab.columns.duplicated()]
        ct_i = info.get(name, {})
        cancer, _ = label_counts(lab["cancer_type"]) if "cancer_type" in lab else (None, {})
        tr_raw = lab["treatment"].map(treatment_class) if "treatment" in lab else None
        treat, tr_counts = label_counts(tr_raw) if tr_raw is not None else (None, {})
        if "cancer_type" in ct_i:
            cancer = ct_i["cancer_type"]
        if "treatment" in ct_i:
            treat, tr_counts = treatment_class(ct_i["treatment"]), {}
        if len(tr_counts) > 1:
            cohort_warn.append(
                f"cohort {name}: several treatment classes ({tr_counts}); the cohort is "
                f"counted as {treat!r} (override with cohort_info)"
            )
        row = {
            "cohort": name,
            "cancer_type": cancer or "unknown",
            "treatment_class": treat or "unknown",
            "treatment_detail": "; ".join(f"{k}: {v}" for k, v in tr_counts.items()),
            "n_samples": int(len(clin)),
            "n_r": n_r,
            "n_nr": n_nr,
            "n_features": 0 if feats is None else int(feats.shape[1]),
            "included": False,
            "reason": "",
        }
        if feats is None:
            row["reason"] = "no feature could be computed (no expression, MAF or TMB)"
        elif n_r + n_nr == 0:
            row["reason"] = "no sample with a response label (R / NR)"
        elif n_r == 0 or n_nr == 0:
            row["reason"] = f"one response class only ({n_r} responders, {n_nr} non-responders)"
        elif n_r < min_per_group or n_nr < min_per_group:
            row["reason"] = (
                f"too few patients ({n_r} responders, {n_nr} non-responders; "
                f"minimum {min_per_group} each)"
            )
        else:
            endpoints: list[tuple[str | None, str, str]] = []
            if time_col is not None and event_col is not None:
                for c in (time_col, event_col):
                    if c not in clin.columns:
                        raise InputError(
                            f"cohort {name}: no column {c!r} in the clinical table",
                            source=cl,
                            fix="name existing survival columns",
                        )
                endpoints.append((None, time_col, event_col))
            else:
                for ep, tc, ec in ENDPOINTS:
                    if tc in clin and ec in clin:
                        n_ok = int((clin[tc].notna() & clin[ec].notna()).sum())
                        if n_ok >= 2 * min_per_group:
                            endpoints.append((ep, tc, ec))
            with recorded_warnings() as effect_warnings:
                try:
                    eff = cohort_effects(
                        feats,
                        y,
                        clin,
                        cohort=name,
                        kinds=kinds,
                        endpoints=endpoints,
                        min_per_group=min_per_group,
                        alpha=alpha,
                    )
                except InputError as exc:
                    raise InputError(f"cohort {name}: {exc}") from None
            cohort_warn += [f"cohort {name}: {w}" for w in effect_warnings]
            eff.insert(1, "cancer_type", row["cancer_type"])
            eff.insert(2, "treatment_class", row["treatment_class"])
            effect_parts.append(eff)
            row["included"] = True
            row["endpoints"] = ",".join(ep or tc for ep, tc, _ in endpoints)
        if row["reason"]:
            cohort_warn.append(f"cohort {name} left out of pooling: {row['reason']}")
        warnings_out += [
            w if str(w).startswith("cohort ") else f"cohort {name}: {w}" for w in cohort_warn
        ]
        cohort_table.append(row)
        logger.info(
            "meta: cohort %s: %d R / %d NR, %s",
            name,
            n_r,
            n_nr,
            "included" if row["included"] else row["reason"],
        )

    cohorts_t = pd.DataFrame(cohort_table)
    if "endpoints" not in cohorts_t:
        cohorts_t["endpoints"] = ""
    cohorts_t["endpoints"] = cohorts_t["endpoints"].fillna("")
    per = (
        pd.concat(effect_parts, ignore_index=True)
        if effect_parts
        else pd.DataFrame(columns=COHORT_COLUMNS)
    )
    per = per[COHORT_COLUMNS]
    step("pooling")
    meta, loo = pool_effects(per, methods=methods, min_cohorts=min_cohorts, alpha=alpha)
    n_inc = int(cohorts_t["included"].sum())
    if n_inc < min_cohorts:
        warnings_out.append(
            f"only {n_inc} cohort(s) could be used (minimum {min_cohorts} "
            "for pooling): no pooled estimate"
        )
    prov = {
        "cohorts": cohorts_t.to_dict("records"),
        "inputs": inputs,
        "settings": {
            "unit": unit,
            "on_missing": on_missing,
            "layer": layer,
            "response_col": response_col,
            "response_rule": response_rule,
            "sd_rule": sd_rule,
            "response_map": dict(response_map or {}),
            "time_col": time_col,
            "event_col": event_col,
            "time_unit": time_unit,
            "capture_mb": capture_mb,
            "tmb_col": tmb_col,
            "genes": list(genes),
            "min_per_group": min_per_group,
            "min_cohorts": min_cohorts,
            "methods": list(methods),
            "alpha": alpha,
            "seed": seed,
        },
        "methods": {
            "auc": "AUC with DeLong variance per cohort (compare's associations.tsv); pooled "
            "on the AUC scale, null 0.5",
            "log_or": "logistic regression per SD of the feature within the cohort "
            "(statsmodels Logit), Wald SE",
            "log_hr": "Cox model per SD (Efron ties; compare's survival.tsv), Wald SE",
            "REML": "restricted maximum likelihood tau2 (Fisher scoring, as metafor::rma)",
            "DL": "DerSimonian-Laird tau2 (statsmodels combine_effects method_re='dl')",
            "heterogeneity": "Cochran Q, I2 = tau2 / (tau2 + typical within-cohort variance)",
            "subgroups": "random-effects estimate per subgroup (own tau2); Q between "
            "subgroups on G - 1 df",
            "multiple_testing": "Benjamini-Hochberg over features within measure, method "
            "and subgroup",
            "leave_one_out": "each overall estimate refitted without each cohort",
        },
        "n_cohorts": int(len(cohorts_t)),
        "n_cohorts_pooled": n_inc,
    }
    return MetaResult(meta, per, loo, cohorts_t, settings=prov, warnings=warnings_out)
