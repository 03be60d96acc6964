"""``immunescape predict``, ``train`` and ``evaluate``: response prediction."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, cast

import typer

from immunescape._logging import console
from immunescape._vocab import DnaSamples, SdRule, Unit
from immunescape.cli._common import argv, genomic_files, na_values, response_map
from immunescape.cli._options import (
    CaptureMbOption,
    CohortCaptureMbOption,
    CohortOption,
    DnaSamplesOption,
    LayerOption,
    MafOption,
    NaValuesOption,
    OldAssayOption,
    OnePerPatientOption,
    OnMissing,
    OnMissingOption,
    OutputDirOption,
    ResponseColOption,
    ResponseMapOption,
    SdRuleOption,
    TmbAssay,
    TmbAssayOption,
    UnitOption,
    VcfOption,
    on_missing_value,
    pick,
)
from immunescape.errors import InputError

PUBLISHED_MODELS = ("impres", "gep", "cyt", "ifng6", "cd274", "tmb", "tide", "loris_pancancer",
                    "loris_nsclc")


def predict_cmd(
    model: Annotated[
        str,
        typer.Option(help="impres, gep, cyt, ifng6, cd274, tmb, tide, loris_pancancer, "
                     "loris_nsclc, builtin, or a model JSON file from 'immunescape train'."),
    ],
    output: OutputDirOption,
    expr: Annotated[Path | None, typer.Option(help="Expression matrix.")] = None,
    unit: UnitOption = None,
    layer: LayerOption = None,
    maf: MafOption = None,
    vcf: VcfOption = None,
    capture_mb: CaptureMbOption = None,
    tmb_assay: TmbAssayOption = None,
    dna_samples: DnaSamplesOption = "maf",
    clinical: Annotated[
        Path | None, typer.Option(help="Clinical table (LORIS inputs: TMB, Albumin, NLR, ...).")
    ] = None,
    reference: Annotated[
        Path | None, typer.Option(help="Reference cohort expression (standardisation for "
                                  "trained models; cohort-relative scores).")
    ] = None,
    on_missing: OnMissingOption = "drop",
    na_values_: NaValuesOption = None,
    old_assay: OldAssayOption = None,
) -> None:
    """Predict response with a published predictor or a trained model.

    Writes predictions.tsv (sample_id, model, score, probability, predicted; for trained and
    built-in models also features_used and standardisation) and run.json (missing features,
    warnings). Probabilities are given only where a calibration exists (LORIS, trained and
    built-in models); 'predicted' only where a published or training-derived cut-off exists.
    The built-in model scores any cohort size and any subset of its features.
    """
    from immunescape.cli._common import write_outputs
    from immunescape.predict import published_predictors

    tmb_assay = pick(tmb_assay, old_assay)
    is_file = model not in PUBLISHED_MODELS and model != "builtin"
    if is_file and not Path(model).is_file():
        raise InputError(
            f"--model {model!r} is neither a known predictor nor a file",
            fix=f"use one of {', '.join(PUBLISHED_MODELS)}, builtin, or a model JSON path",
        )
    if vcf:
        maf = genomic_files(maf=maf, vcf=vcf)["maf"]
    if expr is None and maf is None and clinical is None:
        raise InputError("nothing to predict from", fix="give --expr, --maf and/or --clinical")
    clin_table = None
    if clinical is not None:
        from immunescape.io import read_clinical

        clin_table = read_clinical(clinical, na_values=na_values(na_values_))
    read = _predict_inputs(expr=expr, unit=unit, layer=layer, maf=maf, capture_mb=capture_mb,
                           tmb_assay=tmb_assay, dna_samples=dna_samples, reference=reference,
                           on_missing=on_missing_value(on_missing))
    scores, tmb, inputs = read.scores, read.tmb, read.inputs
    run_info: dict[str, Any] = {"command": argv(), "model": model}
    if model in PUBLISHED_MODELS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = published_predictors(
                scores, tmb=None if tmb is None else tmb.reset_index(), clinical=clin_table,
                expression=read.matrix, models=[model], tmb_assay=tmb_assay,
            )
        table = res.predictions
        run_info["predictor"] = res.settings.get("predictors", {})
        run_info["warnings"] = [str(w.message) for w in caught]
    else:
        table = _model_predictions(model, scores, tmb, reference=read.reference,
                                   run_info=run_info, source=None if expr is None else str(expr))
        _warn_off_scale(read.matrix, table, run_info)
    if inputs:
        run_info["inputs"] = inputs
    write_outputs(output, tables={"predictions.tsv": table.set_index("sample_id")},
                  run=run_info)
    typer.echo(f"{len(table)} predictions ({model}) -> {output}")


def _model_predictions(name: str, scores: Any, tmb: Any, *, reference: Any,
                       run_info: dict[str, Any], source: str | None = None) -> Any:
    """Predictions of the built-in model or a model file; notes go into ``run_info``.

    ``reference`` is the reference cohort's signature scores (or None); ``source`` names the
    expression file in messages.
    """
    from immunescape.predict import load_builtin_model, load_model, predict_table
    from immunescape.predict._external import model_features

    m = load_builtin_model() if name == "builtin" else load_model(name)
    X = model_features(scores, tmb=None if tmb is None else tmb["tmb_per_mb"])
    ref_X = reference  # the reference cohort's scores: standardise on them (e.g. one patient)
    if X.shape[1] == 0:
        raise InputError("a trained or built-in model needs expression (--expr)",
                         fix="give --expr with the samples' expression matrix")
    try:
        pred = predict_table(m, X, name="builtin" if name == "builtin" else Path(name).stem,
                             reference=ref_X)
    except InputError as exc:
        if source and exc.source == "expression":  # name the user's file
            raise InputError(exc.problem, source=source, fix=exc.fix) from None
        raise
    table = pred.predictions
    run_info["features"] = list(getattr(m, "features_", None) or m.features or [])
    run_info["missing_features"] = pred.settings.get("missing_features", {})
    if hasattr(m, "threshold_"):
        run_info["threshold"] = float(m.threshold_)
    if "below_min_weight_share" in pred.settings:
        run_info["below_min_weight_share"] = pred.settings["below_min_weight_share"]
    if pred.warnings:
        run_info["warnings"] = list(pred.warnings)
        for message in pred.warnings:
            console.warning(message)  # printed after success (cli.main)
    return table


def _warn_off_scale(matrix: Any, table: Any, run_info: dict[str, Any]) -> None:
    """Warn about samples off the training cohorts' TPM scale.

    Only samples standardised with the model's stored statistics are affected (a cohort of
    >= 10 samples is z-scored on itself); off-scale means not in a TPM unit (counts per
    million keep the gene-length bias) or failing the housekeeping check.
    """
    if matrix is None or "standardisation" not in table:
        return
    from immunescape.mechanisms._reference import TPM_UNITS, housekeeping_failures

    fixed = set(table.loc[table["standardisation"].eq("reference"), "sample_id"].astype(str))
    if fixed and matrix.unit not in TPM_UNITS:
        note = (f"{len(fixed)} sample(s) standardised with the model's reference statistics "
                f"(log2 TPM) are in unit {matrix.unit}: their probabilities are unreliable; "
                "give TPM, predict them with their cohort (>= 10 samples) or give --reference "
                "in the same unit")
        run_info.setdefault("warnings", []).append(note)
        console.warning(note)  # printed after success (cli.main)
        return
    bad = [s for s in housekeeping_failures(matrix) if s in fixed]
    if bad:
        note = (f"{len(bad)} sample(s) standardised with the model's reference statistics fail "
                f"the housekeeping check (e.g. {bad[0]}: housekeeping genes below 1 TPM): "
                "their values are not on the training cohorts' TPM scale and their "
                "probabilities are unreliable; predict them with their cohort (>= 10 "
                "samples) or --reference from the same pipeline")
        run_info.setdefault("warnings", []).append(note)
        console.warning(note)  # printed after success (cli.main)


class _Inputs(NamedTuple):
    """What ``predict`` read.

    Scores, TMB, notes for run.json, the matrix and the reference cohort's scores (None
    without ``--reference``).
    """

    scores: Any
    tmb: Any
    inputs: dict[str, Any]
    matrix: Any
    reference: Any


def _predict_inputs(*, expr: Path | None, unit: Unit | None, maf: Path | Any | None,
                    capture_mb: float | None, tmb_assay: TmbAssay | None,
                    reference: Path | None, dna_samples: DnaSamples = "maf",
                    on_missing: OnMissing, layer: str | None = None) -> _Inputs:
    """Signature scores and TMB for ``predict`` (no mechanism calls: any cohort size)."""
    import pandas as pd

    scores = tmb = matrix = ref = None
    inputs: dict[str, Any] = {}
    if expr is not None:  # the pipeline's reading and scoring steps (as `score` and `run`)
        from immunescape.pipeline import run_pipeline

        res = run_pipeline(expr=expr, unit=unit, layer=layer, on_missing=on_missing,
                           reference=reference, until="score")
        matrix, ref = res.expression, res.reference_scores
        scores = res.tables["scores.tsv"]
        scores.index = scores.index.astype(str)
        inputs["expression"] = {"path": str(expr), "unit": matrix.unit,
                                "samples": len(matrix.samples),
                                "warnings": list(res.documents["input_report.json"]
                                                 .get("warnings", []))}
    if maf is not None:
        from immunescape.genomics import MutationTable, compute_tmb, read_maf
        from immunescape.genomics.tmb import sequenced_samples

        mt = maf if isinstance(maf, MutationTable) else read_maf(  # --vcf: read already
            maf, allow_empty=dna_samples == "all")
        # the rule of `run --dna-samples`: an expression sample without a MAF row gets no
        # TMB unless every sample was sequenced
        samples = sequenced_samples(mt, [] if scores is None else list(scores.index),
                                    dna_samples=dna_samples)
        # compute_tmb refuses a missing capture_mb with one clear line
        t = compute_tmb(mt, capture_mb=cast(float, capture_mb), samples=samples,
                        tmb_assay=tmb_assay)
        tmb = pd.DataFrame(t).set_index("sample_id")
        inputs["maf"] = {"path": mt.source, "samples": len(mt.samples),
                         "dna_samples": dna_samples}
        unsequenced = [s for s in ([] if scores is None else scores.index) if s not in tmb.index]
        if unsequenced:  # kept with TMB NA (not 0): their DNA was not sequenced
            tmb = tmb.reindex([*tmb.index, *unsequenced])
            note = (f"{len(unsequenced)} expression sample(s) have no row in the MAF (e.g. "
                    f"{', '.join(unsequenced[:3])}): taken as not sequenced, TMB NA; pass "
                    "--dna-samples all if every sample was sequenced (then TMB 0)")
            inputs["maf"]["warnings"] = [note]
            console.warning(note)
    return _Inputs(scores, tmb, inputs, matrix, ref)


def _cohorts(specs: list[str], *, capture_mb: float | None, seed: int, on_missing: str,
             na_values_: str | None, response_col: str | None = None,
             response_map_: str | None = None, sd_rule: SdRule = "pfs6",
             one_per_patient: str | None = None, dna_samples: DnaSamples = "maf",
             layer: str | None = None) -> list[Any]:
    """Load the ``--cohort`` specifications of ``train`` and ``evaluate``.

    The clinical options (``--response-col``, ``--response-map``, ``--sd-rule``) apply to
    every cohort's clinical table, as in ``compare``; ``--dna-samples`` to every cohort's MAF.
    """
    from immunescape.predict._external import load_cohorts

    return load_cohorts(specs, capture_mb=capture_mb, seed=seed,
                        on_missing=on_missing_value(on_missing),
                        na_values=na_values(na_values_), response_col=response_col,
                        response_map=response_map(response_map_), sd_rule=sd_rule,
                        one_per_patient=one_per_patient or "refuse", dna_samples=dna_samples,
                        layer=layer)


def _known_tmb_only(cohorts: list[Any], features: list[str], *, min_size: int,
                    fix: str) -> list[Any]:
    """Leave out samples of unknown TMB when the model uses TMB; warn per cohort."""
    from immunescape.predict._cohorts import known_tmb_only

    kept, notes = known_tmb_only(cohorts, features, min_size=min_size, fix=fix)
    for note in notes:
        console.warning(note)  # printed after success (cli.main)
    return kept


def _echo_dropped(cohorts: list[Any]) -> None:
    """Print, after success, the samples each cohort left out for want of a clinical row."""
    from immunescape.predict._cohorts import unmatched_note

    for c in cohorts:
        m = c.meta
        note = unmatched_note(m["expression_only"], m["clinical_only"],
                              total=m["n_expression_samples"])
        if note:
            console.warning("cohort %s: %s", c.name, note)  # printed after success (cli.main)


def train_cmd(
    cohort: CohortOption,
    output: Annotated[Path, typer.Option("-o", "--output", help="Model JSON file to write.")],
    features: Annotated[
        str, typer.Option(help="Feature set name (curated, ...) or comma-separated ids.")
    ] = "curated",
    penalty: Annotated[
        Literal["l2", "l1", "elasticnet"], typer.Option(help="l2, l1 or elasticnet.")
    ] = "l2",
    c: Annotated[float, typer.Option("--C", help="Inverse regularisation strength.")] = 0.1,
    l1_ratio: Annotated[
        float | None, typer.Option("--l1-ratio", help="Elastic-net mixing (with elasticnet).")
    ] = None,
    on_missing: OnMissingOption = "drop",
    na_values_: NaValuesOption = None,
    capture_mb: CohortCaptureMbOption = None,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
    response_col: ResponseColOption = None,
    response_map_: ResponseMapOption = None,
    sd_rule: SdRuleOption = "pfs6",
    one_per_patient: OnePerPatientOption = None,
    dna_samples: DnaSamplesOption = "maf",
    layer: LayerOption = None,
) -> None:
    """Train a penalised logistic response model on one or more cohorts (per-cohort scaling).

    The model is written as JSON (coefficients, standardisation, threshold chosen on the
    training data, provenance); loading it never executes code. With --features using tmb
    or tmb_log2, the labelled samples without a MAF row (not sequenced under --dna-samples
    maf) are left out of training, with a warning per cohort.
    """
    from immunescape.cli._common import split_list
    from immunescape.predict import FEATURE_SETS, ResponseModel, save_model, stack_cohorts

    if output.exists() and output.is_dir():
        raise InputError("is a directory", source=str(output), fix="give a .json file path")
    cohorts = _cohorts(cohort, capture_mb=capture_mb, seed=seed, on_missing=on_missing,
                       na_values_=na_values_, response_col=response_col,
                       response_map_=response_map_, sd_rule=sd_rule,
                       one_per_patient=one_per_patient, dna_samples=dna_samples,
                       layer=layer)
    feats: Any = features if features in FEATURE_SETS else split_list(features)
    names = list(FEATURE_SETS[feats]) if isinstance(feats, str) else feats
    _check_train_features(names, cohorts, option=features)
    model = ResponseModel(features=feats, penalty=penalty, C=c, l1_ratio=l1_ratio)
    cohorts = _known_tmb_only(cohorts, names, min_size=model.min_cohort_size,
                              fix=", leave this cohort out, or choose --features without "
                              "tmb and tmb_log2")
    X, y, labels = stack_cohorts(cohorts)
    model.fit(X, y, cohort=labels)
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        save_model(model, tmp)
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    _echo_dropped(cohorts)
    typer.echo(f"trained on {len(y)} samples from {len(cohorts)} cohort(s) -> {output}")


def _check_train_features(names: list[str], cohorts: list[Any], *, option: str) -> None:
    """Refuse, naming the cohorts, model features that some training cohort cannot score."""
    lacking = {}
    for c in cohorts:
        have = {f for f in c.X.columns if c.X[f].notna().any()}
        miss = [f for f in names if f not in have]
        if miss:
            lacking[c.name] = miss
    if not lacking:
        return
    everywhere = [f for f in names if not any(f in m for m in lacking.values())]
    worst = max(lacking, key=lambda k: len(lacking[k]))
    detail = "; ".join(f"{k}: {len(m)} ({', '.join(m[:4])}{', ...' if len(m) > 4 else ''})"
                       for k, m in lacking.items())
    fix = f"leave out the cohorts that lack them (e.g. {worst!r})"
    if everywhere:
        fix += f", or train on the features every cohort has: --features {','.join(everywhere)}"
    raise InputError(
        f"{len(set().union(*lacking.values()))} of {len(names)} model features cannot be "
        f"scored in every training cohort ({detail})",
        source=f"--features {option}", fix=fix)


def evaluate_cmd(
    cohort: CohortOption,
    output: OutputDirOption,
    model: Annotated[
        str | None,
        typer.Option(help="A model JSON or 'builtin' to validate externally; default: "
                     "leave-one-cohort-out training with the built-in model's settings."),
    ] = None,
    capture_mb: CohortCaptureMbOption = None,
    on_missing: OnMissingOption = "drop",
    na_values_: NaValuesOption = None,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
    response_col: ResponseColOption = None,
    response_map_: ResponseMapOption = None,
    sd_rule: SdRuleOption = "pfs6",
    one_per_patient: OnePerPatientOption = None,
    dna_samples: DnaSamplesOption = "maf",
    layer: LayerOption = None,
) -> None:
    """Evaluate response prediction honestly, against the published predictors.

    With --model: external validation on every cohort. Without: the built-in model's nested
    leave-one-cohort-out (for each held-out cohort the candidate model and its calibration
    are chosen and fitted on the other cohorts only); this reproduces the model card's
    table. Rows give AUC with a 95% DeLong CI and Brier score; the published single
    predictors (IMPRES, GEP, CYT, IFN-gamma 6, CD274) are scored on the same samples, and
    run.json holds the mean/median AUCs, the paired comparison with the best published
    predictor and the reliability curve. A --model using tmb or tmb_log2 is evaluated, with
    the published predictors, on the labelled samples with a MAF row only (--dna-samples).
    """
    from immunescape.cli._common import write_outputs
    from immunescape.predict import load_builtin_model, load_model, robust_loco
    from immunescape.predict._external import evaluation_table, external_validation

    cohorts = _cohorts(cohort, capture_mb=capture_mb, seed=seed, on_missing=on_missing,
                       na_values_=na_values_, response_col=response_col,
                       response_map_=response_map_, sd_rule=sd_rule,
                       one_per_patient=one_per_patient, dna_samples=dna_samples,
                       layer=layer)
    extra: dict[str, Any] = {}
    tables: dict[str, Any] = {}
    if model is not None:
        m = load_builtin_model() if model == "builtin" else load_model(model)
        used = list(getattr(m, "features_", None) or getattr(m, "features", None) or [])
        cohorts = _known_tmb_only(cohorts, used, min_size=m.min_cohort_size,
                                  fix=", leave this cohort out, or evaluate a model without "
                                  "tmb and tmb_log2")
        table = external_validation(m, cohorts)
        design = "external validation"
        extra = {"model": model}
    else:
        if len(cohorts) < 4:
            raise InputError("nested leave-one-cohort-out needs at least four cohorts",
                             fix="give --cohort four times or more, or --model to validate")
        res_loco = robust_loco(cohorts)
        table = evaluation_table(res_loco.evaluation)
        tables = {"loco_predictions.tsv": res_loco.loco_predictions,
                  "loco_choices.tsv": res_loco.loco_choices,
                  "loco_summary.tsv": res_loco.loco_summary,
                  "reliability.tsv": res_loco.reliability}
        extra = {"comparison": res_loco.settings["comparison"],
                 "pooled_brier": res_loco.settings["pooled_brier"],
                 "pooled_brier_prevalence": res_loco.settings["pooled_brier_prevalence"]}
        design = "nested leave-one-cohort-out"
    write_outputs(output, tables={"evaluation.tsv": table, **tables},
                  run={"command": argv(), "design": design, **extra,
                       "cohorts": {c.name: c.meta for c in cohorts}})
    _echo_dropped(cohorts)
    typer.echo(f"{design}: {len(table)} rows -> {output}/evaluation.tsv")
