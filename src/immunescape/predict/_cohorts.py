"""Cohorts for training and cross-cohort evaluation of response models.

:func:`load_cohort` reads an expression matrix and a clinical table (and optionally a MAF),
scores every registered signature, attaches TMB and chosen clinical variables, and keeps the
samples with a response label. :func:`loco_compare` and :func:`nested_loco_compare` evaluate
a :class:`~immunescape.predict.ResponseModel` leave-one-cohort-out against published single
predictors on the same held-out samples; :func:`loco_grid_search` chooses hyper-parameters by
leave-one-cohort-out cross-validation.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from sklearn.model_selection import ParameterGrid

from immunescape._logging import logger
from immunescape.errors import InputError
from immunescape.predict._model import ResponseModel
from immunescape.predict._validation import leave_one_cohort_out
from immunescape.stats import auc_ci, balanced_accuracy, brier, delong_test

__all__ = [
    "BASELINES",
    "Cohort",
    "load_cohort",
    "loco_compare",
    "loco_grid_search",
    "loco_summary",
    "nested_loco_compare",
    "parse_cohort_spec",
    "stack_cohorts",
]

#: Published single predictors compared against in cross-cohort evaluations: name -> score
#: feature id (higher = more likely to respond).
BASELINES: dict[str, str] = {
    "impres": "impres",
    "gep": "gep18",
    "cyt": "cyt",
    "cd274": "gene_CD274",
    "ifng6": "ifng6",
}

_EXPR_SUFFIXES = (".tsv.gz", ".csv.gz", ".txt.gz", ".tsv", ".csv", ".txt", ".parquet", ".h5ad")


@dataclass(frozen=True)
class Cohort:
    """One labelled cohort ready for training or evaluation.

    Attributes
    ----------
    name
        Cohort label (unique within a training run).
    X
        Labelled samples x features (index ``sample_id``): every registry score (NaN where
        coverage was too low), plus ``tmb`` / ``tmb_log2`` and clinical columns when asked.
    y
        1 for responders, 0 for non-responders (index as X).
    meta
        Provenance: files, response rule and counts, dropped samples, feature status, warnings.
    """

    name: str
    X: pd.DataFrame
    y: pd.Series
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Labelled samples."""
        return int(self.y.size)

    @property
    def n_responders(self) -> int:
        """Responders among them."""
        return int(self.y.sum())

    def available(self, features: Iterable[str]) -> list[str]:
        """Features present with a value for every sample, in the given order.

        Returns
        -------
        list of str
        """
        return [f for f in features if f in self.X.columns and self.X[f].notna().all()]


def _default_name(path: str | os.PathLike[str]) -> str:
    base = Path(path).name
    for suffix in _EXPR_SUFFIXES:
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
            break
    for tail in ("_expr_log2tpm", "_expression", "_expr", "_tpm", "_counts"):
        if base.endswith(tail):
            base = base[: -len(tail)]
    return base or str(path)


def parse_cohort_spec(spec: str) -> tuple[str, str, str | None]:
    """Split a command-line cohort ``EXPR:CLINICAL[:MAF]`` into its paths.

    Parameters
    ----------
    spec
        Two or three paths separated by ``:``.

    Returns
    -------
    tuple
        (expression path, clinical path, MAF path or None).

    Examples
    --------
    >>> parse_cohort_spec("riaz_expr.tsv:riaz_clinical.tsv")
    ('riaz_expr.tsv', 'riaz_clinical.tsv', None)
    """
    parts = str(spec).split(":")
    if len(parts) not in (2, 3) or not all(p.strip() for p in parts):
        raise InputError(
            f"cohort {spec!r} is not EXPR:CLINICAL or EXPR:CLINICAL:MAF",
            source="--cohort",
            fix="give two or three file paths separated by ':' (paths must not contain ':')",
        )
    parts = [p.strip() for p in parts]
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def load_cohort(
    expr_path: str | os.PathLike[str],
    clinical_path: str | os.PathLike[str],
    *,
    maf: str | os.PathLike[str] | None = None,
    name: str | None = None,
    unit: str | None = None,
    on_missing: str = "drop_genes",
    sd_rule: str = "pfs6",
    response_col: str | None = None,
    response_map: Mapping[str, str | None] | None = None,
    na_values: Sequence[str] | None = None,
    signatures: Iterable[str] | None = None,
    tmb_column: str | None = None,
    capture_mb: float | Mapping[str, float] | None = None,
    tmb_assay: str | None = None,
    maf_columns: Mapping[str, str] | None = None,
    clinical_features: Sequence[str] = (),
    min_cohort: int = 10,
    seed: int = 0,
) -> Cohort:
    """Read, score and label one cohort for training or evaluation.

    Every signature of the registry (or ``signatures``) is scored on all samples of the
    expression file (cohort-relative scores use the whole cohort; no labels are involved),
    then the samples present in both files with a response label (R or NR, under the
    clinical reader's rule) are kept.

    Parameters
    ----------
    expr_path
        Expression matrix (see :func:`immunescape.io.read_expression`).
    clinical_path
        Clinical table (see :func:`immunescape.io.read_clinical`).
    maf
        Optional MAF: adds ``tmb`` (mutations per Mb, :func:`immunescape.genomics.compute_tmb`;
        needs ``capture_mb``) and ``tmb_log2`` = log2(TMB + 1). Labelled samples without a
        counted mutation get TMB 0 (they are taken as sequenced).
    name
        Cohort label; default: the expression file name without suffixes.
    unit, on_missing
        Passed to :func:`~immunescape.io.read_expression` (``on_missing="drop_genes"`` drops
        genes with NaN values).
    sd_rule, response_col, response_map, na_values
        Passed to :func:`~immunescape.io.read_clinical` (the response rule).
    signatures
        Signature ids to score; default all.
    tmb_column
        A clinical column holding TMB (mut/Mb), used when no MAF is given.
    capture_mb, tmb_assay, maf_columns
        Passed to :func:`~immunescape.genomics.compute_tmb` (``assay``) and
        :func:`~immunescape.genomics.read_maf` (``columns``).
    clinical_features
        Clinical columns (harmonised or extra) to add as numeric features, e.g. ``["age"]``.
    min_cohort, seed
        Passed to :func:`~immunescape.signatures.runner.score`.

    Returns
    -------
    Cohort

    Raises
    ------
    InputError
        Unreadable inputs; no sample shared by the two files; no labelled sample; one outcome
        class only; a clinical feature that is absent or not numeric.
    """
    from immunescape.io import read_clinical, read_expression
    from immunescape.signatures.runner import score

    label = name or _default_name(expr_path)
    expr, report = read_expression(expr_path, unit=unit, on_missing=on_missing)  # type: ignore[arg-type]
    clin = read_clinical(
        clinical_path,
        sd_rule=sd_rule,  # type: ignore[arg-type]
        response_col=response_col,
        response_map=response_map,
        na_values=na_values,
    )
    in_expr = [str(s) for s in expr.samples]
    clin_ids = set(map(str, clin.samples))
    shared = [s for s in in_expr if s in clin_ids]
    if not shared:
        raise InputError(
            f"no sample id is in both files (expression e.g. {in_expr[:3]!r}; clinical e.g. "
            f"{[str(s) for s in clin.samples[:3]]!r})",
            source=str(clinical_path),
            fix="use the same sample ids in the expression columns and the clinical table",
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = score(expr, signatures=signatures, min_cohort=min_cohort, seed=seed)
    coverage_notes = [str(w.message) for w in caught]
    scores = result.scores.copy()
    scores.index = scores.index.astype(str)
    response = clin.response.copy()
    response.index = response.index.astype(str)
    resp = response.reindex(shared)
    labelled = [s for s in shared if pd.notna(resp[s])]
    if not labelled:
        raise InputError(
            f"none of the {len(shared)} shared samples has a response label",
            source=str(clinical_path),
            fix="check the response/RECIST columns (response_col=, response_map=, sd_rule=)",
        )
    X = scores.loc[labelled].copy()
    X.index.name = "sample_id"
    meta: dict[str, Any] = {
        "name": label,
        "expression": str(expr_path),
        "clinical": str(clinical_path),
        "maf": str(maf) if maf is not None else None,
        "unit": expr.unit,
        "n_expression_samples": len(in_expr),
        "n_clinical_samples": len(clin),
        "n_shared": len(shared),
        "n_labelled": len(labelled),
        "dropped_unlabelled": [s for s in shared if s not in set(labelled)],
        "clinical_only": [str(s) for s in clin.samples if str(s) not in set(in_expr)],
        "expression_only": [s for s in in_expr if s not in clin_ids],
        "response_rule": clin.provenance.get("response_rule"),
        "sd_rule": sd_rule,
        "feature_status": dict(zip(result.features["id"], result.features["status"], strict=True)),
        "coverage_warnings": list(result.warnings),
        "warnings": list(clin.provenance.get("warnings", []))
        + list(report.warnings)
        + coverage_notes,
        "features": [],
    }
    if maf is not None:
        from immunescape.genomics import compute_tmb, read_maf

        mt = read_maf(maf, columns=maf_columns)
        everyone = list(dict.fromkeys([*labelled, *map(str, mt.samples)]))
        tmb = compute_tmb(mt, capture_mb=capture_mb, samples=everyone, assay=tmb_assay)  # type: ignore[arg-type]
        per_mb = tmb.set_index("sample_id")["tmb_per_mb"].reindex(labelled)
        X["tmb"] = per_mb.to_numpy(dtype=float)
        meta["tmb_rule"] = str(tmb["rule"].iloc[0]) if len(tmb) else None
        meta["tmb_source"] = "maf"
    elif tmb_column is not None:
        X["tmb"] = _numeric_column(clin, tmb_column, labelled, str(clinical_path))
        meta["tmb_source"] = f"clinical column {tmb_column!r}"
    if "tmb" in X.columns:
        if (X["tmb"] < 0).any():
            raise InputError(
                "negative TMB values", source=str(maf or clinical_path), fix="check the TMB"
            )
        X["tmb_log2"] = np.log2(X["tmb"] + 1.0)
    for col in clinical_features:
        X[col] = _numeric_column(clin, col, labelled, str(clinical_path))
    y = (resp.reindex(labelled) == "R").astype(np.int8)
    y.index.name = "sample_id"
    y.name = "response"
    n_pos = int(y.sum())
    meta.update(n_responders=n_pos, n_non_responders=int(y.size - n_pos))
    if n_pos == 0 or n_pos == y.size:
        only = "responders (R)" if n_pos else "non-responders (NR)"
        raise InputError(
            f"cohort {label!r}: all {y.size} labelled samples are {only}; a cohort for training "
            "or evaluation needs both outcomes",
            source=str(clinical_path),
            fix="leave this cohort out, or check the response rule (sd_rule=, response_map=)",
        )
    meta["features"] = list(X.columns)
    logger.info(
        "cohort %s: %d labelled samples (%d responders) of %d shared; %d features",
        label,
        y.size,
        n_pos,
        len(shared),
        X.shape[1],
    )
    return Cohort(name=label, X=X, y=y, meta=meta)


def _numeric_column(clin: Any, column: str, samples: list[str], source: str) -> np.ndarray:
    frame = pd.concat([clin.data, clin.extra], axis=1)
    frame.index = frame.index.astype(str)
    if column not in frame.columns:
        raise InputError(
            f"no clinical column {column!r}",
            source=source,
            fix=f"choose one of {', '.join(map(repr, list(frame.columns)[:12]))} ...",
        )
    raw = frame[column].reindex(samples)
    text = raw.astype("string").str.strip()
    num = pd.to_numeric(text.mask(text == ""), errors="coerce")
    bad = num.isna() & text.notna() & (text != "")
    if bad.any():
        raise InputError(
            f"column {column!r} is not numeric (e.g. {text[bad].iloc[0]!r})",
            source=source,
            fix="encode it as numbers, or leave it out of the features",
        )
    return num.to_numpy(dtype=float)


# ---------------------------------------------------------------------------- stacking
def stack_cohorts(
    cohorts: Sequence[Cohort], *, features: Sequence[str] | None = None
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Pool cohorts into one matrix with a cohort label per sample.

    Parameters
    ----------
    cohorts
        Cohorts with unique names.
    features
        Columns to keep (default: those present in every cohort).

    Returns
    -------
    tuple
        ``X`` (samples x features; sample ids prefixed ``"cohort:"`` when an id occurs in two
        cohorts), ``y`` (0/1) and the cohort labels.

    Examples
    --------
    >>> import pandas as pd
    >>> a = Cohort("a", pd.DataFrame({"cyt": [1.0, 2.0]}, index=["s1", "s2"]),
    ...            pd.Series([0, 1], index=["s1", "s2"]))
    >>> b = Cohort("b", pd.DataFrame({"cyt": [5.0, 7.0]}, index=["s1", "s9"]),
    ...            pd.Series([1, 0], index=["s1", "s9"]))
    >>> X, y, c = stack_cohorts([a, b])
    >>> list(X.index), y.tolist(), c.tolist()
    (['a:s1', 'a:s2', 'b:s1', 'b:s9'], [0, 1, 1, 0], ['a', 'a', 'b', 'b'])
    """
    if not cohorts:
        raise InputError("no cohorts given", source="cohorts", fix="pass at least one cohort")
    names = [c.name for c in cohorts]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(
            f"duplicated cohort name(s): {', '.join(dup)}",
            source="cohorts",
            fix="give every cohort its own name (load_cohort(..., name=...))",
        )
    if features is None:
        common = [f for f in cohorts[0].X.columns if all(f in c.X.columns for c in cohorts)]
    else:
        common = list(features)
        absent = {c.name: [f for f in common if f not in c.X.columns] for c in cohorts}
        absent = {k: v for k, v in absent.items() if v}
        if absent:
            detail = "; ".join(f"{k}: {', '.join(v[:8])}" for k, v in absent.items())
            raise InputError(
                f"feature(s) absent from cohort(s): {detail}",
                source="cohorts",
                fix="score the same signatures in every cohort",
            )
    ids = [str(s) for c in cohorts for s in c.X.index]
    prefix = len(set(ids)) < len(ids)
    frames = []
    for c in cohorts:
        block = c.X[common].copy()
        if prefix:
            block.index = [f"{c.name}:{s}" for s in block.index]
        frames.append(block)
    X = pd.concat(frames, axis=0)
    X.index.name = "sample_id"
    y = np.concatenate([c.y.reindex(c.X.index).to_numpy(dtype=np.int8) for c in cohorts])
    labels = np.concatenate([np.full(c.X.shape[0], c.name, dtype=object) for c in cohorts])
    return X, y, labels


# ---------------------------------------------------------------------------- evaluation
def _model(params: Mapping[str, Any]) -> ResponseModel:
    return ResponseModel(**{**dict(params), "standardize": "cohort"})


def _check_features(cohorts: Sequence[Cohort], features: Iterable[str]) -> None:
    features = list(features)
    missing = {c.name: [f for f in features if f not in c.available(features)] for c in cohorts}
    missing = {k: v for k, v in missing.items() if v}
    if missing:
        detail = "; ".join(f"{k}: {', '.join(v[:8])}" for k, v in missing.items())
        raise InputError(
            f"model features missing or incomplete in cohort(s): {detail}",
            source="cohorts",
            fix="leave those cohorts out or choose features every cohort has",
        )


def _features_of(params: Mapping[str, Any]) -> list[str]:
    return list(ResponseModel(**dict(params)).set_params()._named_features() or [])


def loco_grid_search(
    cohorts: Sequence[Cohort],
    *,
    param_grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Sequence[Any]]],
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Choose ResponseModel hyper-parameters by leave-one-cohort-out cross-validation.

    For every combination, each cohort is held out in turn, a model is fitted on the others
    (per-cohort standardisation) and scored on it; the combination with the highest mean
    held-out AUC (cohorts weighted equally; ties: the first in grid order) wins.

    Parameters
    ----------
    cohorts
        At least three cohorts (two to train, one to test, in every split).
    param_grid
        As :class:`sklearn.model_selection.ParameterGrid`, over ResponseModel parameters
        (``features`` must name features: a set name or a list).

    Returns
    -------
    tuple
        The best parameters and a table ``params`` (JSON), ``mean_auc``, one column per
        held-out cohort.
    """
    grid = list(ParameterGrid(param_grid))
    if len(cohorts) < 3:
        raise InputError(
            f"leave-one-cohort-out tuning needs at least 3 cohorts, got {len(cohorts)}",
            source="cohorts",
            fix="add cohorts, or fix the hyper-parameters",
        )
    union = list(dict.fromkeys(f for p in grid for f in _features_of(p)))
    _check_features(cohorts, union)
    X, y, labels = stack_cohorts(cohorts, features=union)
    rows = []
    for params in grid:
        table = cast(
            pd.DataFrame,
            leave_one_cohort_out(
                X,
                y,
                estimator=ResponseModel(**{**params, "standardize": "global"}),
                cohort=labels,
                standardize="cohort",
            ),
        )
        aucs = dict(zip(table["cohort"], table["auc"], strict=True))
        rows.append(
            {
                "params": json.dumps(params, sort_keys=True),
                "mean_auc": float(np.nanmean(list(aucs.values()))),
                **aucs,
            }
        )
    out = pd.DataFrame(rows)
    best = int(np.argmax(out["mean_auc"].to_numpy()))
    return dict(grid[best]), out


def _baseline_rows(
    cohort: str,
    y: np.ndarray,
    model_score: np.ndarray,
    X: pd.DataFrame,
    baselines: Mapping[str, str],
    ci_method: str,
    seed: int,
) -> list[dict[str, Any]]:
    rows = []
    for name, feat in baselines.items():
        if feat not in X.columns or X[feat].isna().any():
            rows.append(
                {
                    "cohort": cohort,
                    "predictor": name,
                    "n": int(y.size),
                    "note": f"{feat} not available",
                }
            )
            continue
        s = X[feat].to_numpy(dtype=float)
        res = auc_ci(y, s, method=ci_method, seed=seed)  # type: ignore[arg-type]
        test = delong_test(y, model_score, s)
        rows.append(
            {
                "cohort": cohort,
                "predictor": name,
                "n": int(y.size),
                "n_pos": res.n_pos,
                "n_neg": res.n_neg,
                "auc": res.auc,
                "auc_ci_low": res.low,
                "auc_ci_high": res.high,
                "ci_method": ci_method,
                "p_vs_model": test.p_value,
                "note": "",
            }
        )
    return rows


_TABLE = [
    "cohort",
    "predictor",
    "n",
    "n_pos",
    "n_neg",
    "auc",
    "auc_ci_low",
    "auc_ci_high",
    "ci_method",
    "p_vs_model",
    "balanced_accuracy",
    "brier",
    "threshold",
    "params",
    "note",
]


def loco_compare(
    cohorts: Sequence[Cohort],
    *,
    params: Mapping[str, Any],
    baselines: Mapping[str, str] = BASELINES,
    model_name: str = "model",
    ci_method: str = "delong",
    seed: int = 0,
    holdout: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Leave-one-cohort-out AUCs of a ResponseModel and of published predictors.

    The model has fixed hyper-parameters; the published single predictors are scored on the
    same held-out samples.

    Parameters
    ----------
    cohorts
        At least two cohorts with the model's features.
    params
        ResponseModel parameters (standardisation is always per cohort).
    baselines
        Predictor name -> score feature id (default :data:`BASELINES`).
    model_name
        Name of the model rows.
    ci_method, seed
        AUC interval (:func:`~immunescape.predict.auc_ci`).
    holdout
        Cohorts to hold out (default: every cohort); the others are always all used to train.

    Returns
    -------
    pandas.DataFrame
        One row per held-out cohort and predictor: ``cohort, predictor, n, n_pos, n_neg, auc,
        auc_ci_low, auc_ci_high, ci_method, p_vs_model`` (paired DeLong test of the model
        against the predictor), ``balanced_accuracy, brier, threshold`` (model rows: threshold
        chosen on the training cohorts), ``params``, ``note``.
    """
    feats = _features_of(params)
    _check_features(cohorts, feats)
    X, y, labels = stack_cohorts(cohorts, features=feats)
    extra = pd.concat(
        [c.X.reindex(columns=list(baselines.values())) for c in cohorts], axis=0
    ).set_axis(X.index, axis=0)
    table, preds = leave_one_cohort_out(
        X,
        y,
        estimator=ResponseModel(**{**dict(params), "standardize": "global"}),
        cohort=labels,
        standardize="cohort",
        ci_method=ci_method,  # type: ignore[arg-type]
        seed=seed,
        return_predictions=True,
    )
    keep = set(holdout) if holdout is not None else None
    rows: list[dict[str, Any]] = []
    for i, rec in table.iterrows():
        name = rec["cohort"]
        if keep is not None and name not in keep:
            continue
        mask = labels == name
        score = preds.loc[preds["cohort"] == name, "score"].to_numpy()
        rows.append(
            {
                **{k: rec[k] for k in rec.index if k != "cohort"},
                "cohort": name,
                "predictor": model_name,
                "p_vs_model": np.nan,
                "params": json.dumps(dict(params), sort_keys=True),
            }
        )
        rows.extend(
            _baseline_rows(name, y[mask], score, extra.loc[mask], baselines, ci_method, seed + i)
        )
    return pd.DataFrame(rows).reindex(columns=_TABLE)


def nested_loco_compare(
    cohorts: Sequence[Cohort],
    *,
    param_grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Sequence[Any]]],
    baselines: Mapping[str, str] = BASELINES,
    model_name: str = "model",
    ci_method: str = "delong",
    seed: int = 0,
    return_predictions: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Nested leave-one-cohort-out: tuning never sees the held-out cohort.

    For each held-out cohort, :func:`loco_grid_search` over the remaining cohorts picks the
    hyper-parameters, a model with them is fitted on the remaining cohorts (threshold chosen
    on them) and evaluated on the held-out cohort, standardised on itself. The published
    predictors are scored on the same samples.

    Parameters
    ----------
    cohorts
        At least four cohorts.
    param_grid
        As in :func:`loco_grid_search`.
    baselines, model_name, ci_method, seed
        As in :func:`loco_compare`.
    return_predictions
        Also return the held-out predictions (``sample, cohort, y, probability, predicted``),
        e.g. for :func:`~immunescape.predict.calibration_curve`.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, pandas.DataFrame)
        As :func:`loco_compare`; ``params`` holds the parameters chosen for each held-out
        cohort.
    """
    rows: list[dict[str, Any]] = []
    preds: list[pd.DataFrame] = []
    for i, held in enumerate(cohorts):
        rest = [c for c in cohorts if c.name != held.name]
        best, _ = loco_grid_search(rest, param_grid=param_grid)
        feats = _features_of(best)
        _check_features([held], feats)
        X, y, labels = stack_cohorts(rest, features=feats)
        model = _model(best).fit(X, y, cohort=labels)
        Xh = held.X[feats]
        yh = held.y.reindex(held.X.index).to_numpy(dtype=np.int8)
        score = model.predict_proba(Xh, cohort=[held.name] * len(Xh))[:, 1]
        res = auc_ci(yh, score, method=ci_method, seed=seed + i)  # type: ignore[arg-type]
        predicted = (score >= model.threshold_).astype(np.int8)
        rows.append(
            {
                "cohort": held.name,
                "predictor": model_name,
                "n": int(yh.size),
                "n_pos": res.n_pos,
                "n_neg": res.n_neg,
                "auc": res.auc,
                "auc_ci_low": res.low,
                "auc_ci_high": res.high,
                "ci_method": ci_method,
                "p_vs_model": np.nan,
                "balanced_accuracy": balanced_accuracy(yh, predicted),
                "brier": brier(yh, score),
                "threshold": model.threshold_,
                "params": json.dumps(best, sort_keys=True),
                "note": "",
            }
        )
        rows.extend(_baseline_rows(held.name, yh, score, held.X, baselines, ci_method, seed + i))
        preds.append(
            pd.DataFrame(
                {
                    "sample": [str(s) for s in held.X.index],
                    "cohort": held.name,
                    "y": yh,
                    "probability": score,
                    "predicted": predicted,
                }
            )
        )
        logger.info("nested LOCO: %s held out, chose %s, AUC %.3f", held.name, best, res.auc)
    table = pd.DataFrame(rows).reindex(columns=_TABLE)
    if return_predictions:
        return table, pd.concat(preds, ignore_index=True)
    return table


def loco_summary(table: pd.DataFrame, *, model_name: str = "model") -> pd.DataFrame:
    """Mean and median held-out AUC per predictor (cohorts weighted equally).

    Parameters
    ----------
    table
        Output of :func:`loco_compare` or :func:`nested_loco_compare`.
    model_name
        Name of the model rows in ``table``.

    Returns
    -------
    pandas.DataFrame
        ``predictor, n_cohorts, mean_auc, median_auc, min_auc, max_auc, model_better``
        (cohorts where the model's AUC is higher than the predictor's; NaN for the model).

    Examples
    --------
    >>> t = pd.DataFrame({"cohort": ["a", "a", "b", "b"], "predictor": ["model", "cyt"] * 2,
    ...                   "auc": [0.7, 0.6, 0.6, 0.65]})
    >>> loco_summary(t)[["predictor", "mean_auc", "model_better"]]
      predictor  mean_auc  model_better
    0     model     0.650           NaN
    1       cyt     0.625           1.0
    """
    model_auc = dict(
        zip(
            table.loc[table["predictor"] == model_name, "cohort"],
            table.loc[table["predictor"] == model_name, "auc"],
            strict=True,
        )
    )
    out = []
    for pred, block in table.groupby("predictor", sort=False):
        a = block["auc"].dropna()
        better: float = np.nan
        if pred != model_name:
            better = float(
                sum(
                    model_auc.get(c, np.nan) > v
                    for c, v in zip(block["cohort"], block["auc"], strict=True)
                )
            )
        out.append(
            {
                "predictor": pred,
                "n_cohorts": int(a.size),
                "mean_auc": float(a.mean()) if a.size else np.nan,
                "median_auc": float(a.median()) if a.size else np.nan,
                "min_auc": float(a.min()) if a.size else np.nan,
                "max_auc": float(a.max()) if a.size else np.nan,
                "model_better": better,
            }
        )
    return pd.DataFrame(out)
