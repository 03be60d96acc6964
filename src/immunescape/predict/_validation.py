"""Honest validation of response classifiers: nested cross-validation, leave-one-cohort-out.

Both helpers take any scikit-learn classifier (with ``predict_proba`` or
``decision_function``), fit fresh clones on training data only, choose the decision threshold
on the training data only, and report on the held-out samples: AUC with its interval,
balanced accuracy at the training threshold, and the Brier score (when the classifier gives
probabilities).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid, StratifiedKFold

from immunescape._logging import logger
from immunescape._result import Result
from immunescape._validate import check_choice, check_range
from immunescape.errors import InputError
from immunescape.predict._common import ValidationStandardize, cohort_labels
from immunescape.predict._scaling import CohortStandardScaler
from immunescape.stats import (
    AucMethod,
    ThresholdRule,
    _labels,
    auc_ci,
    balanced_accuracy,
    brier,
    choose_threshold,
    roc_auc,
)

__all__ = ["Validation", "leave_one_cohort_out", "nested_cv"]



@dataclass
class Validation(Result):
    """Held-out performance of a classifier, per held-out cohort or outer fold.

    Attributes
    ----------
    summary
        One row per held-out cohort (``cohort``) or outer fold (``fold``): ``n, n_pos,
        n_neg, auc, auc_ci_low, auc_ci_high, ci_method, balanced_accuracy, brier,
        threshold`` (``best_params`` for nested cross-validation), ``note``.
    predictions
        The held-out predictions: ``sample, cohort`` (``fold``), ``y, score, predicted``.
    settings
        The design and the options used.
    """

    table_names = ("summary", "predictions")
    summary: pd.DataFrame
    predictions: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

_SUMMARY = [
    "n",
    "n_pos",
    "n_neg",
    "auc",
    "auc_ci_low",
    "auc_ci_high",
    "ci_method",
    "balanced_accuracy",
    "brier",
    "threshold",
]


def _matrix(X: object) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        frame = X
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise InputError(
                f"X must be two-dimensional (samples x features), got shape {arr.shape}",
                source="X",
                fix="pass a DataFrame or a 2-D array",
            )
        frame = pd.DataFrame(arr)
    return frame


def _check_estimator(estimator: object) -> None:
    if not (hasattr(estimator, "fit") and hasattr(estimator, "get_params")):
        raise InputError(
            f"expected a scikit-learn estimator, got {type(estimator).__name__}",
            source="estimator",
            fix="pass e.g. sklearn.linear_model.LogisticRegression()",
        )
    if not (hasattr(estimator, "predict_proba") or hasattr(estimator, "decision_function")):
        raise InputError(
            f"{type(estimator).__name__} has neither predict_proba nor decision_function",
            source="estimator",
            fix="use a classifier that scores samples",
        )


def _positive_score(model: Any, X: pd.DataFrame) -> tuple[np.ndarray, bool]:
    """Score of the positive class (label 1) and whether it is a probability."""
    classes = list(getattr(model, "classes_", [0, 1]))
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X))
        return proba[:, classes.index(1)], True
    dec = np.asarray(model.decision_function(X), dtype=float)
    return (dec if classes[-1] == 1 else -dec), False


def _scale(
    standardize: ValidationStandardize,
    X_train: pd.DataFrame,
    c_train: np.ndarray | None,
    X_test: pd.DataFrame,
    c_test: np.ndarray | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    if standardize == "none":
        return X_train, X_test
    if standardize == "global":
        c_train = c_test = None
    scaler = CohortStandardScaler(handle_unknown="self")
    tr = scaler.fit_transform(X_train, cohort=c_train)
    te = scaler.transform(X_test, cohort=c_test)
    return (
        pd.DataFrame(tr, index=X_train.index, columns=X_train.columns),
        pd.DataFrame(te, index=X_test.index, columns=X_test.columns),
    )


def _fit_eval(
    estimator: Any,
    params: Mapping[str, Any],
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    *,
    threshold_rule: ThresholdRule,
    ci_method: AucMethod,
    alpha: float,
    n_boot: int,
    seed: int,
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    model = clone(estimator).set_params(**params).fit(X_train, y_train)
    train_score, _ = _positive_score(model, X_train)
    thr = choose_threshold(y_train, train_score, rule=threshold_rule).threshold
    score, is_prob = _positive_score(model, X_test)
    predicted = (score >= thr).astype(np.int8)
    n_pos = int(y_test.sum())
    n_neg = int(y_test.size - n_pos)
    row: dict[str, Any] = {
        "n": int(y_test.size),
        "n_pos": n_pos,
        "n_neg": n_neg,
        "auc": np.nan,
        "auc_ci_low": np.nan,
        "auc_ci_high": np.nan,
        "ci_method": ci_method,
        "balanced_accuracy": np.nan,
        "brier": brier(y_test, score) if is_prob else np.nan,
        "threshold": thr,
        "note": "",
    }
    if n_pos >= 2 and n_neg >= 2:
        res = auc_ci(y_test, score, ci_method=ci_method, alpha=alpha, n_boot=n_boot, seed=seed)
        row.update(auc=res.auc, auc_ci_low=res.low, auc_ci_high=res.high)
    elif n_pos >= 1 and n_neg >= 1:
        row["auc"] = roc_auc(y_test, score)
        row["note"] = "fewer than 2 samples in a class: no interval"
    else:
        row["note"] = "one outcome class only: no AUC or balanced accuracy"
    if n_pos >= 1 and n_neg >= 1:
        row["balanced_accuracy"] = balanced_accuracy(y_test, predicted)
    if not is_prob:
        row["note"] = (row["note"] + "; " if row["note"] else "") + "no probabilities: no Brier"
    return row, score, predicted


def _split(
    estimator: Any,
    params: Mapping[str, Any],
    frame: pd.DataFrame,
    yy: np.ndarray,
    labels: np.ndarray | None,
    train: np.ndarray,
    test: np.ndarray,
    *,
    standardize: ValidationStandardize,
    seed: int,
    **opts: Any,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Fit on the ``train`` rows, score the ``test`` rows: summary row and predictions."""
    c_tr = labels[train] if labels is not None else None
    c_te = labels[test] if labels is not None else None
    X_tr, X_te = _scale(standardize, frame.iloc[train], c_tr, frame.iloc[test], c_te)
    row, score, predicted = _fit_eval(
        estimator, params, X_tr, yy[train], X_te, yy[test], seed=seed, **opts
    )
    pred = pd.DataFrame(
        {
            "sample": frame.index[test],
            "cohort": c_te,
            "y": yy[test],
            "score": score,
            "predicted": predicted,
        }
    )
    return row, pred


def _common(
    X: object, y: object, cohort: object, estimator: object
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    _check_estimator(estimator)
    frame = _matrix(X)
    yy = _labels(y)
    if yy.size != frame.shape[0]:
        raise InputError(
            f"{frame.shape[0]} samples in X but {yy.size} labels",
            source="y",
            fix="pass one label per row of X",
        )
    return frame, yy, cohort_labels(cohort, yy.size)


def _options(standardize: str, ci_method: str, threshold_rule: str) -> None:
    check_choice("standardize", standardize, ValidationStandardize)
    check_choice("ci_method", ci_method, AucMethod)
    check_choice("threshold_rule", threshold_rule, ThresholdRule)


def leave_one_cohort_out(
    X: object,
    y: object,
    *,
    estimator: Any,
    cohort: object,
    standardize: ValidationStandardize = "none",
    threshold_rule: ThresholdRule = "youden",
    ci_method: AucMethod = "delong",
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 0,
) -> Validation:
    """Train on all cohorts but one, test on the one left out; repeat for every cohort.

    Parameters
    ----------
    X
        Samples x features (DataFrame or 2-D array).
    y
        1 for responders, 0 otherwise.
    estimator
        An unfitted scikit-learn classifier; a fresh clone is fitted per held-out cohort.
    cohort
        One cohort label per sample.
    standardize
        ``"cohort"``: z-score every feature within each cohort first
        (:class:`CohortStandardScaler`; training cohorts with their own statistics, the held-out
        cohort with its own, no labels used). ``"global"``: z-score with the training cohorts'
        pooled statistics. ``"none"``: use X as given.
    threshold_rule
        Rule of :func:`choose_threshold`, applied to the training cohorts' in-sample scores.
    ci_method, alpha, n_boot, seed
        AUC interval (see :func:`auc_ci`); bootstrap seeds are ``seed + i`` for the i-th cohort.

    Returns
    -------
    Validation
        ``summary``: one row per held-out cohort: ``cohort, n, n_pos, n_neg, auc, auc_ci_low,
        auc_ci_high, ci_method, balanced_accuracy, brier, threshold, note``;
        ``predictions``: ``sample, cohort, y, score, predicted`` (``sample`` is the row label
        of X).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> y = np.tile([0, 1], 60)
    >>> X = rng.normal(size=(120, 2)) + y[:, None]
    >>> cohorts = np.repeat(["a", "b", "c"], 40)
    >>> res = leave_one_cohort_out(X, y, estimator=LogisticRegression(), cohort=cohorts)
    >>> list(res.summary["cohort"]), bool((res.summary["auc"] > 0.7).all())
    (['a', 'b', 'c'], True)
    """
    frame, yy, labels = _common(X, y, cohort, estimator)
    _options(standardize, ci_method, threshold_rule)
    if labels is None:
        raise InputError("cohort labels are required", source="cohort", fix="pass cohort=...")
    cohorts = list(pd.unique(pd.Series(labels)))
    if len(cohorts) < 2:
        raise InputError(
            f"needs at least 2 cohorts, found {len(cohorts)}",
            source="cohort",
            fix="use nested_cv for a single cohort",
        )
    opts = {"threshold_rule": threshold_rule, "ci_method": ci_method, "alpha": alpha,
            "n_boot": n_boot}
    rows, preds = [], []
    for i, c in enumerate(cohorts):
        test = labels == c
        train = ~test
        if len(np.unique(yy[train])) < 2:
            raise InputError(
                f"the cohorts other than {c!r} have one outcome class only",
                source="y",
                fix="each training set needs responders and non-responders",
            )
        row, pred = _split(
            estimator, {}, frame, yy, labels, np.flatnonzero(train), np.flatnonzero(test),
            standardize=standardize, seed=seed + i, **opts,
        )
        rows.append({"cohort": c, **row})
        preds.append(pred)
        logger.debug("leave-one-cohort-out: held out %r (n=%d)", c, int(test.sum()))
    settings = _settings("leave-one-cohort-out", estimator, standardize, threshold_rule,
                         ci_method, alpha, n_boot, seed)
    return Validation(
        pd.DataFrame(rows, columns=["cohort", *_SUMMARY, "note"]),
        pd.concat(preds, ignore_index=True),
        settings,
    )


def _strata(yy: np.ndarray, labels: np.ndarray | None, n_splits: int) -> np.ndarray:
    """Stratify by cohort x outcome when every stratum can fill the folds, else by outcome."""
    if labels is not None:
        combo = pd.Series(labels).astype(str).to_numpy() + "|" + yy.astype(str)
        if pd.Series(combo).value_counts().min() >= n_splits:
            return combo
        logger.info("nested_cv: a cohort x outcome stratum is too small; stratifying by outcome")
    counts = np.bincount(yy, minlength=2)
    if counts.min() < n_splits:
        raise InputError(
            f"{counts.min()} sample(s) in the smaller outcome class cannot fill {n_splits} folds",
            source="y",
            fix="use fewer splits",
        )
    return yy.astype(str)


def nested_cv(
    X: object,
    y: object,
    *,
    estimator: Any,
    param_grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Sequence[Any]]] | None = None,
    cohort: object = None,
    outer_splits: int = 5,
    inner_splits: int = 5,
    standardize: ValidationStandardize = "none",
    threshold_rule: ThresholdRule = "youden",
    ci_method: AucMethod = "delong",
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 0,
) -> Validation:
    """Nested cross-validation: hyper-parameters chosen inside, performance measured outside.

    The outer loop splits the samples into ``outer_splits`` stratified folds (by cohort x
    outcome when ``cohort`` is given and every such stratum fills the folds, else by outcome).
    For each outer training set the inner loop picks the parameter combination with the best
    mean inner AUC (ties: the first in grid order), refits on the whole outer training set,
    chooses the threshold on it, and scores the outer test fold, which it never saw.

    Parameters
    ----------
    X
        Samples x features.
    y
        1 for responders, 0 otherwise.
    estimator
        An unfitted scikit-learn classifier.
    param_grid
        As :class:`sklearn.model_selection.ParameterGrid`; None or empty: no inner search.
    cohort
        Optional cohort label per sample (stratification and ``standardize="cohort"``).
    outer_splits, inner_splits
        Numbers of folds.
    standardize
        ``"cohort"``: per-cohort z-scores learnt on each training set and applied to its test
        set (:class:`CohortStandardScaler`), in the inner loop too. Needs ``cohort``.
        ``"global"``: z-scores with the training set's pooled statistics. ``"none"``: X as
        given.
    threshold_rule, ci_method, alpha, n_boot
        As in :func:`leave_one_cohort_out`.
    seed
        Seeds the fold shuffles (outer ``seed``, inner ``seed + 1``) and bootstrap intervals.

    Returns
    -------
    Validation
        ``summary``: one row per outer fold: ``fold, n, n_pos, n_neg, auc, auc_ci_low,
        auc_ci_high, ci_method, balanced_accuracy, brier, threshold, best_params`` (JSON),
        ``note``; ``predictions``: ``sample, cohort, fold, y, score, predicted``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(1)
    >>> y = np.tile([0, 1], 50)
    >>> X = rng.normal(size=(100, 3)) + y[:, None]
    >>> res = nested_cv(X, y, estimator=LogisticRegression(),
    ...                 param_grid={"C": [0.1, 1.0]}, outer_splits=3, inner_splits=3)
    >>> len(res.summary), bool((res.summary["auc"] > 0.7).all())
    (3, True)
    """
    frame, yy, labels = _common(X, y, cohort, estimator)
    _options(standardize, ci_method, threshold_rule)
    if standardize == "cohort" and labels is None:
        raise InputError(
            "standardize='cohort' needs cohort labels", source="cohort", fix="pass cohort=..."
        )
    check_range("outer_splits", outer_splits, low=2, integer=True)
    check_range("inner_splits", inner_splits, low=2, integer=True)
    grid = list(ParameterGrid(param_grid)) if param_grid else [{}]
    opts = {"threshold_rule": threshold_rule, "ci_method": ci_method, "alpha": alpha,
            "n_boot": n_boot}
    outer = StratifiedKFold(n_splits=outer_splits, shuffle=True, random_state=seed)
    rows, preds = [], []
    for fold, (tr, te) in enumerate(outer.split(frame, _strata(yy, labels, outer_splits))):
        c_tr = labels[tr] if labels is not None else None
        best = grid[0]
        if len(grid) > 1:
            inner = StratifiedKFold(n_splits=inner_splits, shuffle=True, random_state=seed + 1)
            inner_splits_idx = list(
                inner.split(frame.iloc[tr], _strata(yy[tr], c_tr, inner_splits))
            )
            means = []
            for params in grid:
                aucs = []
                for itr, iva in inner_splits_idx:
                    X_itr, X_iva = _scale(
                        standardize,
                        frame.iloc[tr].iloc[itr],
                        c_tr[itr] if c_tr is not None else None,
                        frame.iloc[tr].iloc[iva],
                        c_tr[iva] if c_tr is not None else None,
                    )
                    model = clone(estimator).set_params(**params).fit(X_itr, yy[tr][itr])
                    s, _ = _positive_score(model, X_iva)
                    aucs.append(roc_auc(yy[tr][iva], s))
                means.append(float(np.mean(aucs)))
            best = grid[int(np.argmax(means))]
        row, pred = _split(
            estimator, best, frame, yy, labels, tr, te, standardize=standardize,
            seed=seed + fold, **opts,
        )
        rows.append({"fold": fold, **row, "best_params": json.dumps(best, default=str)})
        pred.insert(2, "fold", fold)
        preds.append(pred)
    settings = _settings("nested cross-validation", estimator, standardize, threshold_rule,
                         ci_method, alpha, n_boot, seed)
    settings.update(outer_splits=outer_splits, inner_splits=inner_splits,
                    param_grid=param_grid or {})
    return Validation(
        pd.DataFrame(rows, columns=["fold", *_SUMMARY, "best_params", "note"]),
        pd.concat(preds, ignore_index=True),
        settings,
    )


def _settings(
    design: str,
    estimator: Any,
    standardize: str,
    threshold_rule: str,
    ci_method: str,
    alpha: float,
    n_boot: int,
    seed: int,
) -> dict[str, Any]:
    return {
        "design": design,
        "estimator": repr(estimator),
        "standardize": standardize,
        "threshold_rule": threshold_rule,
        "ci_method": ci_method,
        "alpha": alpha,
        "n_boot": n_boot,
        "seed": seed,
    }
