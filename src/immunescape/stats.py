"""Shared statistics: AUC (point, interval, paired test), thresholds, Brier, calibration, BH.

One implementation of each, used by ``predict``, ``compare``, ``meta`` and ``genomics``.

Conventions: ``y`` is 1 for responders (the positive class) and 0 otherwise; a higher score
means a higher predicted chance of response; a sample is predicted positive when
``score >= threshold``.

DeLong et al. (1988, Biometrics 44:837-845) give the variance of the empirical AUC (the
Mann-Whitney statistic) from its structural components; Sun & Xu (2014, IEEE Signal Process
Lett 21:1389-1393) compute the components from mid-ranks in O(n log n). Intervals follow R
pROC's ``ci.auc`` (normal approximation on the AUC scale, truncated to [0, 1]) and paired tests
its ``roc.test(method = "delong")``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from sklearn import metrics as skm
from statsmodels.stats.multitest import multipletests

from immunescape._validate import check_choice, check_range
from immunescape._vocab import CiMethod as AucMethod
from immunescape.errors import InputError

__all__ = [
    "AucResult",
    "DelongTest",
    "Threshold",
    "auc_ci",
    "balanced_accuracy",
    "bh",
    "brier",
    "calibration_curve",
    "choose_threshold",
    "delong_test",
    "roc_auc",
]

ThresholdRule = Literal["youden", "closest_topleft"]
CalibrationStrategy = Literal["uniform", "quantile"]

_BOOT_CHUNK = 20_000_000  # elements per bootstrap block (about 160 MB of float64)


@dataclass(frozen=True)
class AucResult:
    """Area under the ROC curve with its confidence interval and the settings used.

    ``low``/``high`` bound the ``1 - alpha`` interval; ``se`` is DeLong's standard error
    (NaN for the bootstrap); ``n_boot``/``seed`` are set for the bootstrap only.
    """

    auc: float
    low: float
    high: float
    method: str
    n_pos: int
    n_neg: int
    alpha: float = 0.05
    se: float = float("nan")
    n_boot: int | None = None
    seed: int | None = None


@dataclass(frozen=True)
class DelongTest:
    """DeLong's test for two correlated (paired) AUCs: ``difference = auc1 - auc2``."""

    auc1: float
    auc2: float
    difference: float
    low: float
    high: float
    z: float
    p_value: float
    n_pos: int
    n_neg: int
    alpha: float = 0.05
    method: str = "delong"


@dataclass(frozen=True)
class Threshold:
    """A decision threshold (predict response when ``score >= threshold``) and its origin.

    ``sensitivity`` and ``specificity`` are those on the data the threshold was chosen on.
    """

    threshold: float
    rule: str
    sensitivity: float
    specificity: float
    n_pos: int
    n_neg: int

    def __float__(self) -> float:
        """Return the threshold value."""
        return float(self.threshold)


# --------------------------------------------------------------------------- validation
def _labels(y: object, source: str = "y") -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise InputError(
            f"labels must be one-dimensional, got shape {arr.shape}",
            source=source,
            fix="pass one label per sample",
        )
    if arr.dtype == bool:
        return arr.astype(np.int8)
    try:
        num = pd.to_numeric(pd.Series(arr), errors="raise").to_numpy(dtype=float)
    except (ValueError, TypeError):
        raise InputError(
            f"labels must be 0/1, found {arr[0]!r}",
            source=source,
            fix="encode responders as 1 and non-responders as 0",
        ) from None
    if np.isnan(num).any():
        raise InputError(
            f"{int(np.isnan(num).sum())} missing label(s)",
            source=source,
            fix="drop samples without a response label first",
        )
    bad = ~np.isin(num, (0.0, 1.0))
    if bad.any():
        raise InputError(
            f"labels must be 0/1, found {num[bad][0]:g}",
            source=source,
            fix="encode responders as 1 and non-responders as 0",
        )
    return num.astype(np.int8)


def _scores(score: object, n: int, source: str) -> np.ndarray:
    try:
        arr = np.asarray(score, dtype=float)
    except (ValueError, TypeError):
        raise InputError(
            "scores must be numbers", source=source, fix="pass one numeric score per sample"
        ) from None
    if arr.ndim != 1 or arr.shape[0] != n:
        raise InputError(
            f"expected {n} scores (one per label), got shape {arr.shape}",
            source=source,
            fix="pass scores aligned with the labels",
        )
    if not np.isfinite(arr).all():
        raise InputError(
            f"{int((~np.isfinite(arr)).sum())} missing or infinite score(s)",
            source=source,
            fix="drop samples without a score (and their labels) first",
        )
    return arr


def _both_classes(y: np.ndarray, minimum: int, source: str = "y") -> tuple[int, int]:
    n_pos = int(y.sum())
    n_neg = int(y.size - n_pos)
    if n_pos < minimum or n_neg < minimum:
        raise InputError(
            f"needs at least {minimum} responder(s) and {minimum} non-responder(s), found "
            f"{n_pos} and {n_neg}",
            source=source,
            fix="evaluate on a set with both outcomes",
        )
    return n_pos, n_neg


def _alpha(alpha: float) -> float:
    return float(check_range("alpha", alpha, low=0, high=1, low_open=True, high_open=True))


# --------------------------------------------------------------------------- DeLong kernel
def _delong(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUCs and their DeLong covariance for k score vectors (Sun & Xu 2014 mid-ranks).

    ``pos`` is (k, m) scores of the positives, ``neg`` (k, n) of the negatives.
    """
    m = pos.shape[1]
    n = neg.shape[1]
    tx = stats.rankdata(pos, axis=1)
    ty = stats.rankdata(neg, axis=1)
    tz = stats.rankdata(np.concatenate([pos, neg], axis=1), axis=1)
    aucs = tz[:, :m].sum(axis=1) / (m * n) - (m + 1.0) / (2.0 * n)
    v10 = (tz[:, :m] - tx) / n  # per positive: P(score_neg < score_pos) + ties/2
    v01 = 1.0 - (tz[:, m:] - ty) / m  # per negative: P(score_pos > score_neg) + ties/2
    s10 = np.atleast_2d(np.cov(v10))
    s01 = np.atleast_2d(np.cov(v01))
    return aucs, s10 / m + s01 / n


def _bootstrap_aucs(
    pos: np.ndarray, neg: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Stratified bootstrap AUCs: positives and negatives resampled separately."""
    m, n = pos.size, neg.size
    out = np.empty(n_boot)
    block = max(1, _BOOT_CHUNK // (m + n))
    for start in range(0, n_boot, block):
        b = min(block, n_boot - start)
        ip = rng.integers(0, m, size=(b, m))
        ineg = rng.integers(0, n, size=(b, n))
        both = np.concatenate([pos[ip], neg[ineg]], axis=1)
        ranks = stats.rankdata(both, axis=1)
        out[start : start + b] = (ranks[:, :m].sum(axis=1) - m * (m + 1) / 2.0) / (m * n)
    return out


# --------------------------------------------------------------------------- public API
def auc_ci(
    y: object,
    score: object,
    *,
    ci_method: AucMethod = "delong",
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 0,
) -> AucResult:
    """AUC of a score for a binary outcome, with a confidence interval.

    Parameters
    ----------
    y
        1 for responders (positive class), 0 otherwise.
    score
        Higher means more likely to respond; ties count one half.
    ci_method
        ``"delong"``: normal interval with DeLong's variance (as R pROC ``ci.auc``), truncated
        to [0, 1]. ``"bootstrap"``: percentile interval of ``n_boot`` stratified bootstrap
        replicates (responders and non-responders resampled separately, as pROC's default).
    alpha
        1 - confidence level.
    n_boot, seed
        Bootstrap replicates and the seed of ``numpy.random.default_rng`` (bootstrap only).

    Returns
    -------
    AucResult

    Examples
    --------
    >>> r = auc_ci([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
    >>> round(r.auc, 4), round(r.low, 4), round(r.high, 4), r.n_pos, r.n_neg
    (0.8889, 0.5809, 1.0, 3, 3)
    """
    yy = _labels(y)
    s = _scores(score, yy.size, "score")
    a = _alpha(alpha)
    n_pos, n_neg = _both_classes(yy, 2)
    pos, neg = s[yy == 1], s[yy == 0]
    check_choice("ci_method", ci_method, AucMethod)
    if ci_method == "delong":
        aucs, cov = _delong(pos[None, :], neg[None, :])
        auc = float(aucs[0])
        se = float(np.sqrt(max(cov[0, 0], 0.0)))
        z = stats.norm.ppf(1.0 - a / 2.0)
        return AucResult(
            auc=auc,
            low=float(max(0.0, auc - z * se)),
            high=float(min(1.0, auc + z * se)),
            method="delong",
            n_pos=n_pos,
            n_neg=n_neg,
            alpha=a,
            se=se,
        )
    if ci_method == "bootstrap":
        check_range("n_boot", int(n_boot) if isinstance(n_boot, np.integer) else n_boot,
                    low=1, integer=True)
        rng = np.random.default_rng(seed)
        boots = _bootstrap_aucs(pos, neg, int(n_boot), rng)
        low, high = np.quantile(boots, [a / 2.0, 1.0 - a / 2.0])
        aucs, _ = _delong(pos[None, :], neg[None, :])
        return AucResult(
            auc=float(aucs[0]),
            low=float(low),
            high=float(high),
            method="bootstrap",
            n_pos=n_pos,
            n_neg=n_neg,
            alpha=a,
            n_boot=int(n_boot),
            seed=seed,
        )
    raise AssertionError("unreachable: ci_method was checked")


def delong_test(y: object, score1: object, score2: object, *, alpha: float = 0.05) -> DelongTest:
    """Paired DeLong test of two AUCs measured on the same samples.

    Parameters
    ----------
    y
        1 for responders, 0 otherwise.
    score1, score2
        Two scores of the same samples (higher means more likely to respond).
    alpha
        1 - confidence level of the interval for ``auc1 - auc2``.

    Returns
    -------
    DelongTest
        ``z = (auc1 - auc2) / se``, two-sided ``p_value`` and the normal interval of the
        difference. Identical scores give ``z = 0`` and ``p = 1`` (as R pROC ``roc.test``).

    Examples
    --------
    >>> t = delong_test([0, 0, 0, 1, 1, 1], [1, 2, 3, 4, 5, 6], [1, 5, 2, 3, 6, 4])
    >>> round(t.difference, 4), round(t.p_value, 4)
    (0.2222, 0.3711)
    """
    yy = _labels(y)
    s1 = _scores(score1, yy.size, "score1")
    s2 = _scores(score2, yy.size, "score2")
    a = _alpha(alpha)
    n_pos, n_neg = _both_classes(yy, 2)
    both = np.vstack([s1, s2])
    aucs, cov = _delong(both[:, yy == 1], both[:, yy == 0])
    diff = float(aucs[0] - aucs[1])
    var = float(cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1])
    se = np.sqrt(max(var, 0.0))
    if se == 0.0:
        z = 0.0 if diff == 0.0 else float(np.copysign(np.inf, diff))
    else:
        z = diff / se
    p = float(2.0 * stats.norm.sf(abs(z)))
    q = stats.norm.ppf(1.0 - a / 2.0)
    return DelongTest(
        auc1=float(aucs[0]),
        auc2=float(aucs[1]),
        difference=diff,
        low=float(diff - q * se),
        high=float(diff + q * se),
        z=float(z),
        p_value=p,
        n_pos=n_pos,
        n_neg=n_neg,
        alpha=a,
    )


def choose_threshold(
    y_train: object, score_train: object, *, rule: ThresholdRule = "youden"
) -> Threshold:
    """Choose a decision threshold on training data (never on the data it will be tested on).

    Candidates are the mid-points between consecutive distinct training scores, plus
    -inf (everyone predicted a responder) and +inf (no one).

    Parameters
    ----------
    y_train
        Training labels (1 responder, 0 non-responder).
    score_train
        Training scores (in-sample predictions of the fitted model, or a published score).
    rule
        ``"youden"``: maximise sensitivity + specificity - 1. ``"closest_topleft"``: minimise
        (1 - sensitivity)^2 + (1 - specificity)^2. Ties go to the higher threshold (the more
        specific rule).

    Returns
    -------
    Threshold
        Use as ``predicted = score >= threshold.threshold`` on new data.

    Examples
    --------
    >>> t = choose_threshold([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
    >>> round(t.threshold, 3), round(t.sensitivity, 3), round(t.specificity, 3)
    (0.6, 0.667, 1.0)
    """
    check_choice("rule", rule, ThresholdRule)
    yy = _labels(y_train, "y_train")
    s = _scores(score_train, yy.size, "score_train")
    n_pos, n_neg = _both_classes(yy, 1, "y_train")
    distinct = np.unique(s)
    cands = np.concatenate([[-np.inf], (distinct[:-1] + distinct[1:]) / 2.0, [np.inf]])
    pos = np.sort(s[yy == 1])
    neg = np.sort(s[yy == 0])
    sens = 1.0 - np.searchsorted(pos, cands, side="left") / n_pos  # share of pos >= cand
    spec = np.searchsorted(neg, cands, side="left") / n_neg  # share of neg < cand
    if rule == "youden":
        value = sens + spec - 1.0
    else:  # closest_topleft
        value = -((1.0 - sens) ** 2 + (1.0 - spec) ** 2)
    best = np.flatnonzero(np.isclose(value, value.max(), rtol=0.0, atol=1e-12))[-1]
    return Threshold(
        threshold=float(cands[best]),
        rule=rule,
        sensitivity=float(sens[best]),
        specificity=float(spec[best]),
        n_pos=n_pos,
        n_neg=n_neg,
    )


def balanced_accuracy(y: object, predicted: object, *, threshold: float | None = None) -> float:
    """Balanced accuracy: the mean of sensitivity and specificity.

    Parameters
    ----------
    y
        1 for responders, 0 otherwise.
    predicted
        Predicted labels (0/1), or scores when ``threshold`` is given.
    threshold
        If given, ``predicted >= threshold`` counts as a predicted responder; choose it on
        training data (:func:`choose_threshold`).

    Returns
    -------
    float
        Equal to :func:`sklearn.metrics.balanced_accuracy_score`.

    Examples
    --------
    >>> balanced_accuracy([0, 0, 1, 1], [0.2, 0.7, 0.6, 0.9], threshold=0.5)
    0.75
    """
    yy = _labels(y)
    _both_classes(yy, 1)
    if threshold is None:
        pred = _labels(predicted, "predicted")
        if pred.size != yy.size:
            raise InputError(
                f"expected {yy.size} predictions, got {pred.size}",
                source="predicted",
                fix="pass one prediction per label",
            )
    else:
        pred = (_scores(predicted, yy.size, "predicted") >= float(threshold)).astype(np.int8)
    return float(skm.balanced_accuracy_score(yy, pred))


def _probabilities(probability: object, n: int) -> np.ndarray:
    p = _scores(probability, n, "probability")
    if (p < 0).any() or (p > 1).any():
        raise InputError(
            "probabilities must lie in [0, 1]",
            source="probability",
            fix="pass predicted probabilities (e.g. predict_proba[:, 1]), not raw scores",
        )
    return p


def brier(y: object, probability: object) -> float:
    """Brier score: mean squared difference between predicted probability and outcome.

    Examples
    --------
    >>> round(brier([0, 1, 1], [0.1, 0.8, 0.6]), 4)
    0.07
    """
    yy = _labels(y)
    p = _probabilities(probability, yy.size)
    return float(skm.brier_score_loss(yy, p))


def calibration_curve(
    y: object,
    probability: object,
    *,
    n_bins: int = 10,
    strategy: CalibrationStrategy = "uniform",
) -> pd.DataFrame:
    """Observed response rate against mean predicted probability, per probability bin.

    Bins as :func:`sklearn.calibration.calibration_curve` (``uniform``: equal widths on
    [0, 1]; ``quantile``: equal counts); empty bins are left out.

    Returns
    -------
    pandas.DataFrame
        ``bin`` (0-based), ``bin_low``, ``bin_high``, ``n``, ``mean_predicted``,
        ``fraction_positive``.

    Examples
    --------
    >>> calibration_curve([0, 0, 1, 1], [0.1, 0.3, 0.6, 0.9], n_bins=2)
       bin  bin_low  bin_high  n  mean_predicted  fraction_positive
    0    0      0.0       0.5  2            0.20                0.0
    1    1      0.5       1.0  2            0.75                1.0
    """
    yy = _labels(y)
    p = _probabilities(probability, yy.size)
    check_range("n_bins", int(n_bins) if isinstance(n_bins, np.integer) else n_bins,
                low=1, integer=True)
    check_choice("strategy", strategy, CalibrationStrategy)
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    else:  # quantile
        edges = np.percentile(p, np.linspace(0.0, 100.0, n_bins + 1))
    ids = np.searchsorted(edges[1:-1], p)
    total = np.bincount(ids, minlength=n_bins)
    sums = np.bincount(ids, weights=p, minlength=n_bins)
    hits = np.bincount(ids, weights=yy.astype(float), minlength=n_bins)
    keep = np.flatnonzero(total > 0)
    return pd.DataFrame(
        {
            "bin": keep,
            "bin_low": edges[keep],
            "bin_high": edges[keep + 1],
            "n": total[keep],
            "mean_predicted": sums[keep] / total[keep],
            "fraction_positive": hits[keep] / total[keep],
        }
    )


def roc_auc(y_true: object, y_score: object) -> float:
    """Area under the ROC curve, ties counted one half (the Mann-Whitney U / (n1 * n0)).

    ``AUC = (R1 - n1 (n1 + 1) / 2) / (n1 n0)`` where ``R1`` is the sum of the mid-ranks of the
    positive samples' scores; equal to :func:`sklearn.metrics.roc_auc_score` for binary labels.

    Parameters
    ----------
    y_true
        Binary labels (1/0 or True/False); 1 = positive (e.g. responder).
    y_score
        Scores; higher should mean positive.

    Returns
    -------
    float
        The AUC in [0, 1].

    Raises
    ------
    InputError
        Different lengths, missing values, labels that are not binary, or only one class.

    Examples
    --------
    >>> roc_auc([1, 1, 0, 0], [3.0, 2.0, 2.0, 1.0])
    0.875
    """
    y = _labels(y_true, "y_true")
    s = _scores(y_score, y.size, "y_score")
    n_pos, n_neg = _both_classes(y, 1, "y_true")
    ranks = stats.rankdata(s)
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def bh(p: Iterable[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values (statsmodels ``fdr_bh``); NaN p-values stay NaN, untested.

    Examples
    --------
    >>> bh([0.01, 0.04, float("nan"), 0.03]).round(3).tolist()
    [0.03, 0.04, nan, 0.04]
    """
    arr = np.asarray(p if isinstance(p, np.ndarray) else list(p), dtype=float)
    out = np.full(arr.shape, np.nan)
    ok = np.isfinite(arr)
    if ok.any():
        out[ok] = multipletests(arr[ok], method="fdr_bh")[1]
    return out
