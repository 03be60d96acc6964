"""Leave-one-cohort-out evaluation of a ResponseModel against published single predictors.

:func:`loco_compare` and :func:`nested_loco_compare` evaluate a
:class:`~immunescape.predict.ResponseModel` leave-one-cohort-out against published single
predictors on the same held-out samples; :func:`loco_grid_search` chooses hyper-parameters by
leave-one-cohort-out cross-validation; :func:`loco_summary` averages the held-out AUCs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import ParameterGrid

from immunescape._logging import logger
from immunescape._result import Result
from immunescape.errors import InputError
from immunescape.predict._cohorts import Cohort, require_features, stack_cohorts
from immunescape.predict._features import BASELINES
from immunescape.predict._model import ResponseModel
from immunescape.predict._validation import _SUMMARY, leave_one_cohort_out
from immunescape.stats import AucMethod, auc_ci, balanced_accuracy, brier, delong_test

__all__ = [
    "LocoComparison",
    "loco_compare",
    "loco_grid_search",
    "loco_summary",
    "nested_loco_compare",
]


@dataclass
class LocoComparison(Result):
    """Held-out AUCs of a model and of published predictors, with the held-out predictions.

    Attributes
    ----------
    table
        One row per held-out cohort and predictor (see :func:`loco_compare`).
    predictions
        Held-out predictions of the model: ``sample, cohort, y, probability, predicted``.
    settings
        ``design``, ``ci_method``, ``seed`` and the parameters or grid.
    """

    table_names = ("table", "predictions")
    table: pd.DataFrame
    predictions: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

def _model(params: Mapping[str, Any]) -> ResponseModel:
    return ResponseModel(**{**dict(params), "standardize": "cohort"})


def _check_features(cohorts: Sequence[Cohort], features: Iterable[str]) -> None:
    require_features(
        cohorts, list(features), complete=True,
        what="model features missing or incomplete in cohort(s)",
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
        table = leave_one_cohort_out(
            X,
            y,
            estimator=ResponseModel(**{**params, "standardize": "global"}),
            cohort=labels,
            standardize="cohort",
        ).summary
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


def _auc_row(
    cohort: str, predictor: str, y: np.ndarray, score: np.ndarray, ci_method: AucMethod, seed: int
) -> dict[str, Any]:
    res = auc_ci(y, score, ci_method=ci_method, seed=seed)
    return {
        "cohort": cohort,
        "predictor": predictor,
        "n": int(y.size),
        "n_pos": res.n_pos,
        "n_neg": res.n_neg,
        "auc": res.auc,
        "auc_ci_low": res.low,
        "auc_ci_high": res.high,
        "ci_method": ci_method,
    }


def _baseline_rows(
    cohort: str,
    y: np.ndarray,
    model_score: np.ndarray,
    X: pd.DataFrame,
    baselines: Mapping[str, str],
    ci_method: AucMethod,
    seed: int,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name, feat in baselines.items():
        if feat not in X.columns or X[feat].isna().any():
            note = f"{feat} not available"
            rows.append({"cohort": cohort, "predictor": name, "n": int(y.size), "note": note})
            continue
        s = X[feat].to_numpy(dtype=float)
        p_value = delong_test(y, model_score, s).p_value
        rows.append({**_auc_row(cohort, name, y, s, ci_method, seed), "p_vs_model": p_value,
                     "note": ""})
    return rows


#: Columns of the comparison table: the held-out summary of leave_one_cohort_out with the
#: predictor, its paired test against the model and the model's parameters.
_TABLE = [
    "cohort",
    "predictor",
    *_SUMMARY[:7],
    "p_vs_model",
    *_SUMMARY[7:],
    "params",
    "note",
]


def loco_compare(
    cohorts: Sequence[Cohort],
    *,
    params: Mapping[str, Any],
    baselines: Mapping[str, str] = BASELINES,
    model_name: str = "model",
    ci_method: AucMethod = "delong",
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
    loco = leave_one_cohort_out(
        X,
        y,
        estimator=ResponseModel(**{**dict(params), "standardize": "global"}),
        cohort=labels,
        standardize="cohort",
        ci_method=ci_method,
        seed=seed,
    )
    table, preds = loco.summary, loco.predictions
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
    ci_method: AucMethod = "delong",
    seed: int = 0,
) -> LocoComparison:
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

    Returns
    -------
    LocoComparison
        ``table`` as :func:`loco_compare` (``params`` holds the parameters chosen for each
        held-out cohort) and the held-out ``predictions`` (``sample, cohort, y,
        probability, predicted``; e.g. for :func:`~immunescape.predict.calibration_curve`).
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
        row = _auc_row(held.name, model_name, yh, score, ci_method, seed + i)
        predicted = (score >= model.threshold_).astype(np.int8)
        rows.append(
            {
                **row,
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
        logger.info("nested LOCO: %s held out, chose %s, AUC %.3f", held.name, best, row["auc"])
    settings = {
        "design": "nested leave-one-cohort-out",
        "param_grid": param_grid,
        "baselines": dict(baselines),
        "ci_method": ci_method,
        "seed": seed,
    }
    return LocoComparison(
        pd.DataFrame(rows).reindex(columns=_TABLE), pd.concat(preds, ignore_index=True), settings
    )


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
