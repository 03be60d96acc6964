"""Predictions of a fitted model in the ``predictions.tsv`` layout, and per-sample drivers.

:func:`predict_table` scores samples with a :class:`~immunescape.predict.ResponseModel` or a
:class:`~immunescape.predict.RobustModel` and returns a :class:`Predictions` result: the
table, the settings used (features, threshold, missing features) and warnings.
:func:`drivers` splits a ResponseModel's log-odds into per-feature contributions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from immunescape._result import Result
from immunescape.errors import InputError
from immunescape.predict._common import listing, sigmoid
from immunescape.predict._model import ResponseModel
from immunescape.predict._robust import RobustModel
from immunescape.predict._scaling import _ALL, CohortStandardScaler

__all__ = ["Predictions", "drivers", "predict_table"]


@dataclass
class Predictions(Result):
    """Per-sample predictions of a trained or built-in model.

    Attributes
    ----------
    predictions
        ``sample_id, model, score, probability, predicted`` (and, where the model tolerates
        missing features, ``features_used, standardisation``).
    settings
        ``model`` (name), ``features``, ``threshold`` (ResponseModel), ``missing_features``
        (feature -> samples without a value), and ``missing_policy`` or
        ``unscored_samples`` where they apply.
    warnings
        One line when model features are missing.
    """

    table_names = ("predictions",)
    predictions: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

def drivers(
    model: ResponseModel, X: pd.DataFrame, *, cohort: object = None, reference: object = None
) -> pd.DataFrame:
    """Per-sample feature contributions: coefficient x standardised value.

    Each row sums to the sample's decision function (log-odds) minus the intercept, so the
    largest positive entries are the features pushing the prediction towards response.

    Parameters
    ----------
    model
        A fitted :class:`ResponseModel`.
    X
        Samples x features (as for ``model.predict``).
    cohort, reference
        As in :meth:`ResponseModel.decision_function`.

    Returns
    -------
    pandas.DataFrame
        Samples x model features (index as X); with ``model.intercept_`` they sum to the
        log-odds.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> y = np.tile([0, 1], 20)
    >>> X = pd.DataFrame({"cyt": rng.normal(size=40) + y, "tls9": rng.normal(size=40)})
    >>> m = ResponseModel(features=["cyt", "tls9"], standardize="global").fit(X, y)
    >>> d = drivers(m, X)
    >>> bool(np.allclose(d.sum(axis=1), m.decision_function(X) - m.intercept_))
    True
    """
    if not isinstance(model, ResponseModel):
        raise InputError(
            f"expected a ResponseModel, got {type(model).__name__}",
            source="model",
            fix="fit or load a ResponseModel first",
        )
    Xa, index = model._matrix(X)
    Z = model._standardise(Xa, cohort, reference)
    out = pd.DataFrame(
        Z * model.coef_[None, :],
        index=index if index is not None else pd.RangeIndex(Xa.shape[0]),
        columns=list(model.features_),
    )
    return out


def predict_table(
    model: ResponseModel | RobustModel,
    X: pd.DataFrame,
    *,
    name: str = "response_model",
    cohort: object = None,
    reference: pd.DataFrame | None = None,
) -> Predictions:
    """Predictions in the ``predictions.tsv`` layout, with the settings used.

    Missing features are tolerated: a :class:`RobustModel` uses the sub-model of the features
    each sample has; a :class:`ResponseModel` imputes a missing value by the cohort mean
    (standardised value 0) and standardises a cohort too small for itself with its training
    statistics.

    Parameters
    ----------
    model
        A fitted :class:`ResponseModel` or :class:`RobustModel`.
    X
        Samples x features; the index gives the sample ids.
    name
        Value of the ``model`` column.
    cohort, reference
        As in :meth:`ResponseModel.decision_function` (``cohort`` as in
        :meth:`RobustModel.predict_frame`).

    Returns
    -------
    Predictions
        ``predictions``: ``sample_id``, ``model``, ``score``, ``probability``, ``predicted``
        ("R" if the probability reaches the model's threshold, else "NR"), and
        ``features_used``, ``standardisation`` where features are missing (always for a
        RobustModel). ``settings``: features, threshold, missing features.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"cyt": [0.0, 1.0, 2.0, 3.0]}, index=["p1", "p2", "p3", "p4"])
    >>> m = ResponseModel(features=["cyt"], standardize="global").fit(X, [0, 0, 1, 1])
    >>> res = predict_table(m, X)
    >>> res.predictions["predicted"].tolist(), res.settings["missing_features"]
    (['NR', 'NR', 'R', 'R'], {})
    """
    if isinstance(model, RobustModel):
        table, settings = _robust_table(model, X, cohort=cohort, reference=reference)
        fallback = "the sub-model fitted without them"
    elif isinstance(model, ResponseModel):
        table, settings = _response_table(model, X, cohort=cohort, reference=reference)
        fallback = "cohort-mean imputation"
    else:
        raise InputError(
            f"expected a ResponseModel or a RobustModel, got {type(model).__name__}",
            source="model",
            fix="fit or load a model first",
        )
    table.insert(1, "model", name)
    missing = settings["missing_features"]
    warnings = []
    if missing:
        detail = ", ".join(f"{f} ({n} of {len(X)} samples)" for f, n in missing.items())
        warnings.append(
            f"model features missing: {detail}; predictions use the features available "
            f"(column features_used; fallback: {fallback})"
        )
    if settings.get("below_min_weight_share"):
        warnings.append(
            f"{settings['below_min_weight_share']} of {len(X)} samples get no prediction: "
            f"their available features carry less than {MIN_WEIGHT_SHARE:.0%} of the model's "
            "weight (|standardised coefficients|)")
    return Predictions(table, {"model": name, **settings}, warnings)


def _response_table(
    model: ResponseModel, X: pd.DataFrame, *, cohort: object, reference: pd.DataFrame | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    named = isinstance(X, pd.DataFrame) and model.features is not None
    if named and _missing_report(X, model.features_):
        return _tolerant_table(model, X, reference=reference)
    try:
        score = model.decision_function(X, cohort=cohort, reference=reference)
    except InputError:
        if not (named and cohort is None and reference is None):
            raise
        # a cohort too small to be standardised on itself: training statistics
        return _tolerant_table(model, X, reference=reference)
    proba = sigmoid(score)
    ids = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(score))
    out = pd.DataFrame(
        {
            "sample_id": [str(s) for s in ids],
            "score": score,
            "probability": proba,
            "predicted": _calls(proba, model.threshold_),
        }
    )
    settings = {
        "features": list(model.features_),
        "threshold": float(model.threshold_),
        "missing_features": {},
    }
    return out, settings


def _calls(proba: np.ndarray, threshold: float) -> pd.arrays.StringArray:
    return pd.array(np.where(proba >= threshold, "R", "NR"), dtype="string")


def _missing_report(X: pd.DataFrame, features: Sequence[str]) -> dict[str, int]:
    """Feature -> number of samples without a value (absent columns count every sample)."""
    out = {}
    for f in features:
        n = X.shape[0] if f not in X.columns else int(
            (~np.isfinite(pd.to_numeric(X[f], errors="coerce").to_numpy(dtype=float))).sum())
        if n:
            out[f] = n
    return out


def _robust_table(
    model: RobustModel, X: pd.DataFrame, *, cohort: object, reference: pd.DataFrame | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    if reference is not None:
        if not isinstance(reference, pd.DataFrame):
            raise InputError("reference must be a table of feature scores", source="reference",
                             fix="pass the reference cohort's scores")
        # the reference cohort and the samples are standardised together, as one cohort
        both = pd.concat([reference, X], axis=0, sort=False)
        labels = np.full(both.shape[0], "<reference>", dtype=object)
        frame = model.predict_frame(both, cohort=labels).iloc[reference.shape[0]:]
        frame = frame.reset_index(drop=True)
    else:
        frame = model.predict_frame(X, cohort=cohort)
    if frame["features_used"].eq("").all():
        raise InputError(
            f"none of the model's features can be scored on these samples (it needs at least "
            f"one of: {listing(model.features)})",
            source="expression",
            fix="give expression covering the model's signature genes (see the model card)",
        )
    settings = {
        "features": list(model.features),
        "missing_features": _missing_report(X, model.features),
        "unscored_samples": int(frame["features_used"].eq("").sum()),
    }
    return frame.drop(columns=["units_used"]), settings


#: A trained model imputes a missing feature by the cohort mean (it then contributes nothing).
#: A sample whose available features carry less than this share of the model's weight (sum of
#: |standardised coefficients|) gets no prediction: it would be mostly the intercept.
MIN_WEIGHT_SHARE = 0.5


def _tolerant_table(
    model: ResponseModel, X: pd.DataFrame, *, reference: pd.DataFrame | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """ResponseModel predictions that tolerate missing features and small cohorts.

    A missing feature value is imputed by the cohort mean (standardised value 0: the feature
    contributes nothing); a cohort too small to be standardised on itself, without
    ``reference``, uses the training cohorts' average statistics.
    """
    feats = list(model.features_)
    missing = _missing_report(X, feats)
    if len(missing) == len(feats) and all(v == X.shape[0] for v in missing.values()):
        raise InputError(
            f"none of the model's features has a value (it needs: {listing(feats)})",
            source="X",
            fix="score the model's signatures on the samples (enough gene coverage)",
        )
    raw = pd.DataFrame({f: pd.to_numeric(X[f], errors="coerce") if f in X.columns
                        else np.nan for f in feats}, index=X.index).to_numpy(dtype=float)
    raw = np.where(np.isfinite(raw), raw, np.nan)
    scaler: CohortStandardScaler = model.scaler_
    mode = "cohort"
    if reference is not None:
        ref = pd.DataFrame({f: pd.to_numeric(reference[f], errors="coerce") if f in
                            reference.columns else np.nan for f in feats}).to_numpy(dtype=float)
        mu, sd = np.nanmean(ref, axis=0), np.nanstd(ref, axis=0)
        mode = "reference cohort"
    elif scaler.cohorts_.size == 1 and scaler.cohorts_[0] == _ALL:
        mu, sd = scaler.mean_[0], scaler.scale_[0]
        mode = "training statistics"
    else:
        n_ok = np.isfinite(raw).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            own_mu, own_sd = np.nanmean(np.where(n_ok > 0, raw, 0.0), axis=0), np.nanstd(
                np.where(n_ok > 0, raw, 0.0), axis=0)
        train_mu, train_sd = scaler.mean_.mean(axis=0), np.sqrt((scaler.scale_**2).mean(axis=0))
        small = n_ok < model.min_cohort_size
        mu = np.where(small, train_mu, own_mu)
        sd = np.where(small, train_sd, own_sd)
        if small.any():
            mode = "training statistics" if small.all() else "cohort + training statistics"
    sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
    Z = (raw - mu) / sd
    used = np.isfinite(Z)
    Z = np.where(used, Z, 0.0)
    score = Z @ model.coef_ + model.intercept_
    proba = sigmoid(score)
    weight = np.abs(np.asarray(model.coef_, dtype=float))
    share = (used @ weight) / weight.sum() if weight.sum() > 0 else used.mean(axis=1)
    enough = share >= MIN_WEIGHT_SHARE
    if not enough.any():
        raise InputError(
            f"the model's features available on these samples carry at most "
            f"{share.max():.0%} of its weight (|standardised coefficient|; minimum "
            f"{MIN_WEIGHT_SHARE:.0%}): a prediction would be mostly the imputed cohort mean",
            source="expression",
            fix="give expression covering the model's signature genes, or train a model on "
            "the features these samples have (immunescape train --features ...)",
        )
    score = np.where(enough, score, np.nan)
    proba = np.where(enough, proba, np.nan)
    predicted = _calls(proba, model.threshold_)
    predicted[~enough] = pd.NA
    out = pd.DataFrame({
        "sample_id": [str(s) for s in X.index],
        "score": score,
        "probability": proba,
        "predicted": predicted,
        "features_used": [",".join(f for f, u in zip(feats, row, strict=True) if u)
                          for row in used],
        "standardisation": mode,
    })
    settings = {
        "features": feats,
        "threshold": float(model.threshold_),
        "missing_features": missing,
        "missing_policy": "cohort-mean imputation (standardised value 0)",
        "min_weight_share": MIN_WEIGHT_SHARE,
        "below_min_weight_share": int((~enough).sum()),
    }
    return out, settings


