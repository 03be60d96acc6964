"""External validation of a fitted model, and the model features built from scores and TMB.

``evaluation.tsv`` has one layout whichever design produced it (external validation of a
given model, or the nested leave-one-cohort-out of the built-in model's candidates):
:data:`EVALUATION_COLUMNS`, one row per cohort and predictor. The model's rows have
``predictor`` ``"model"``; the published single predictors' rows carry their names
(:data:`~immunescape.predict.BASELINES`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from immunescape.errors import InputError
from immunescape.stats import auc_ci, brier, delong_test

__all__ = [
    "EVALUATION_COLUMNS", "evaluation_table", "external_validation", "load_cohorts",
    "model_features",
]

#: Columns of ``evaluation.tsv``: cohort, predictor ("model" or a published predictor), the
#: samples scored (``n``, ``n_pos`` responders, ``n_neg`` non-responders), the AUC with its
#: 95% DeLong interval, the model's Brier score and, in leave-one-cohort-out, the Brier
#: score of the training prevalence; the paired DeLong p-value of a published predictor
#: against the model on the same samples (``p_vs_model``); for leave-one-cohort-out the
#: candidate, the feature units used and the calibration chosen for the held-out cohort;
#: ``note`` says why a value is missing.
EVALUATION_COLUMNS: tuple[str, ...] = (
    "cohort", "predictor", "n", "n_pos", "n_neg", "auc", "auc_ci_low", "auc_ci_high",
    "brier", "brier_prevalence", "candidate", "units_used", "calibration", "p_vs_model",
    "note",
)


def evaluation_table(rows: pd.DataFrame | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows of an evaluation in the ``evaluation.tsv`` layout (:data:`EVALUATION_COLUMNS`).

    Parameters
    ----------
    rows
        A table or records with some of the columns; the others are filled with NaN.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ValueError
        When ``rows`` has a column that is not part of the layout (a producer's bug).

    Examples
    --------
    >>> t = evaluation_table([{"cohort": "a", "predictor": "model", "n": 10, "auc": 0.7}])
    >>> list(t.columns) == list(EVALUATION_COLUMNS)
    True
    >>> t.loc[0, "auc"]
    np.float64(0.7)
    """
    table = pd.DataFrame(rows)
    extra = [c for c in table.columns if c not in EVALUATION_COLUMNS]
    if extra:
        raise ValueError(f"columns outside the evaluation.tsv layout: {extra}")
    return table.reindex(columns=list(EVALUATION_COLUMNS))


def model_features(
    scores: pd.DataFrame | None, *, tmb: pd.Series | None = None
) -> pd.DataFrame:
    """Build the features a response model reads: signature scores, ``tmb``, ``tmb_log2``.

    Parameters
    ----------
    scores
        Samples x signature scores (index: sample ids), or None.
    tmb
        Mutations per megabase by sample id, or None. Joined with the scores (samples of
        either kept) as ``tmb``, with ``tmb_log2`` = log2(TMB + 1), the scale of the
        models' TMB feature (as :func:`~immunescape.predict.load_cohort` builds it).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    InputError
        When a TMB value is negative.

    Examples
    --------
    >>> s = pd.DataFrame({"cyt": [1.0, 2.0]}, index=["p1", "p2"])
    >>> model_features(s, tmb=pd.Series([3.0, 0.0], index=["p1", "p3"]))
        cyt  tmb  tmb_log2
    p1  1.0  3.0       2.0
    p2  2.0  NaN       NaN
    p3  NaN  0.0       0.0
    """
    X = scores.copy() if scores is not None else pd.DataFrame()
    if tmb is None:
        return X
    values = pd.to_numeric(tmb, errors="coerce").astype(float).rename("tmb")
    if (values < 0).any():
        raise InputError("negative TMB values", source="tmb", fix="check the TMB")
    X = X.join(values.to_frame(), how="outer")
    X["tmb_log2"] = np.log2(X["tmb"] + 1.0)
    return X


def external_validation(
    model: Any,
    cohorts: Sequence[Any],
    *,
    baselines: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Validate a fitted model on cohorts it was not trained on, with the published predictors.

    Parameters
    ----------
    model
        A fitted :class:`~immunescape.predict.ResponseModel` or
        :class:`~immunescape.predict.RobustModel` (standardised per held-out cohort).
    cohorts
        Labelled :class:`~immunescape.predict.Cohort` objects.
    baselines
        Published predictor name -> score feature id (default
        :data:`~immunescape.predict.BASELINES`), scored on every sample of a cohort where
        the feature is available for all of them.

    Returns
    -------
    pandas.DataFrame
        :data:`EVALUATION_COLUMNS`: per cohort a ``model`` row (AUC of the predicted
        probabilities with a DeLong 95% interval, Brier score) and one row per published
        predictor (AUC, interval, paired DeLong p-value against the model when the model
        predicted every sample).
    """
    from immunescape.predict import BASELINES, RobustModel, predict_table

    rows: list[dict[str, Any]] = []
    for c in cohorts:
        try:
            pred = predict_table(model, c.X, name="model",
                                 cohort=c.name if isinstance(model, RobustModel) else None
                                 ).predictions
        except InputError as exc:  # e.g. too few of the model's features: no model row
            pred = pd.DataFrame({"sample_id": [str(s) for s in c.X.index],
                                 "probability": np.nan})
            unscored = exc.problem
        else:
            unscored = "the model scored fewer than one responder and one non-responder"
        y = c.y.loc[pred["sample_id"]].to_numpy()
        p = pred["probability"].to_numpy(dtype=float)
        ok = np.isfinite(p)
        row: dict[str, Any] = {"cohort": c.name, "predictor": "model", "n": int(ok.sum())}
        scored = ok.sum() >= 2 and len(set(y[ok])) == 2
        if scored:
            res = auc_ci(y[ok], p[ok])
            row.update(n_pos=res.n_pos, n_neg=res.n_neg, auc=res.auc, auc_ci_low=res.low,
                       auc_ci_high=res.high, brier=brier(y[ok], p[ok]))
        else:
            row["note"] = unscored
        rows.append(row)
        by_sample = pd.Series(p, index=pred["sample_id"].to_numpy())
        y_all = c.y.to_numpy()
        for name, feat in (BASELINES if baselines is None else baselines).items():
            brow: dict[str, Any] = {"cohort": c.name, "predictor": name, "n": int(y_all.size)}
            if feat in c.X.columns and c.X[feat].notna().all():
                s = c.X[feat].to_numpy(dtype=float)
                b = auc_ci(y_all, s)
                brow.update(n_pos=b.n_pos, n_neg=b.n_neg, auc=b.auc, auc_ci_low=b.low,
                            auc_ci_high=b.high)
                if scored and ok.all():
                    model_p = by_sample.reindex(c.X.index).to_numpy(dtype=float)
                    if np.isfinite(model_p).all():
                        brow["p_vs_model"] = delong_test(y_all, model_p, s).p_value
            else:
                brow["note"] = f"{feat} not available"
            rows.append(brow)
    return evaluation_table(rows)


def load_cohorts(specs: Sequence[str], **options: Any) -> list[Any]:
    """Load the cohorts of ``EXPR:CLINICAL[:MAF]`` specifications, each under its own name.

    A cohort is named after its expression file (``riaz_expr.tsv`` -> ``riaz``); when two
    files give the same name (e.g. every cohort's file is ``expression.tsv``) each name is
    prefixed with its folder's name.

    Parameters
    ----------
    specs
        ``EXPR:CLINICAL[:MAF]`` strings (see :func:`~immunescape.predict.parse_cohort_spec`).
    **options
        Passed to :func:`~immunescape.predict.load_cohort` (``capture_mb``, ``seed``,
        ``on_missing``, ``na_values``, ...).

    Returns
    -------
    list of Cohort

    Raises
    ------
    InputError
        When no spec is given, a spec is malformed or names still repeat.
    """
    import warnings

    from immunescape.predict import (
        cohort_name,  # the one naming rule
        load_cohort,
        parse_cohort_spec,
    )

    if not specs:
        raise InputError("no cohort given", source="--cohort",
                         fix="--cohort EXPR:CLINICAL[:MAF] (repeatable)")
    parsed = [parse_cohort_spec(spec) for spec in specs]
    names = [cohort_name(e) for e, _, _ in parsed]
    if len(set(names)) != len(names):
        names = [f"{Path(e).resolve().parent.name}_{n}"
                 for (e, _, _), n in zip(parsed, names, strict=True)]
    if len(set(names)) != len(names):
        raise InputError(f"cohort names repeat: {names}", source="--cohort",
                         fix="give files with distinct names")
    out = []
    for (expr_p, clin_p, maf_p), name in zip(parsed, names, strict=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append(load_cohort(expr_p, clin_p, maf=maf_p, name=name, **options))
    return out
