"""Kaplan-Meier curves with numbers at risk (``km.tsv``) and the two-group log-rank test.

The product-limit estimate and its exponential Greenwood ("log(-log)") band are computed
with numpy as lifelines computes them; the log-rank test is statsmodels' ``survdiff``; both
are checked against lifelines in the tests. The high/low groups are those of
:func:`~immunescape.compare.survival` (same ``cut``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from immunescape.compare._survival_input import Cut, check_cut, cut_for, endpoint_name, prepare

__all__ = ["KM_COLUMNS", "km_arrays", "km_table", "logrank_p"]

KM_COLUMNS = [
    "feature",
    "endpoint",
    "group",
    "cut",
    "cut_rule",
    "time",
    "n_at_risk",
    "n_events",
    "n_censored",
    "survival",
    "ci_low",
    "ci_high",
]


def logrank_p(time: np.ndarray, event: np.ndarray, group: np.ndarray) -> float:
    """Two-group log-rank p-value (statsmodels ``survdiff``; checked against lifelines)."""
    from statsmodels.duration.survfunc import survdiff

    if event.sum() == 0:
        return float("nan")
    _, p = survdiff(time, event, group.astype(int))
    return float(p)


def km_arrays(time: np.ndarray, event: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
    """Kaplan-Meier estimate at 0 and every observed time, with lifelines' interval.

    The band is the exponential Greenwood ("log(-log)") interval as lifelines computes it;
    1 where the estimate is 1; the Greenwood term is 0 when everyone at risk dies.
    """
    uniq, inv = np.unique(time, return_inverse=True)
    deaths = np.bincount(inv, weights=event, minlength=uniq.size)
    leaving = np.bincount(inv, minlength=uniq.size).astype(float)
    at_risk = leaving[::-1].cumsum()[::-1]
    if uniq[0] > 0:
        uniq = np.r_[0.0, uniq]
        deaths = np.r_[0.0, deaths]
        leaving = np.r_[0.0, leaving]
        at_risk = np.r_[at_risk[0], at_risk]
    surv = np.cumprod(1.0 - deaths / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = deaths / (at_risk * (at_risk - deaths))
    term[~np.isfinite(term)] = 0.0
    cum = np.cumsum(term)
    z = stats.norm.ppf(1.0 - alpha / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.log(surv)
        low = np.exp(-np.exp(np.log(-v) - z * np.sqrt(cum) / v))
        high = np.exp(-np.exp(np.log(-v) + z * np.sqrt(cum) / v))
    low[np.isnan(low)] = 1.0
    high[np.isnan(high)] = 1.0
    return {
        "time": uniq,
        "n_at_risk": at_risk,
        "n_events": deaths,
        "n_censored": leaving - deaths,
        "survival": surv,
        "ci_low": low,
        "ci_high": high,
    }


def km_table(
    features: pd.DataFrame,
    clinical: object,
    *,
    time_col: str,
    event_col: str,
    endpoint: str | None = None,
    cut: Cut = "median",
    minprop: float = 0.1,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Kaplan-Meier curves of high (> cut) and low (<= cut) groups, with numbers at risk.

    Parameters
    ----------
    features
        Samples x numeric features; one pair of curves per feature.
    clinical, time_col, event_col, endpoint, cut, minprop
        As in :func:`survival` (same grouping).
    alpha
        1 - level of the pointwise confidence band (lifelines' exponential Greenwood,
        log(-log) scale).

    Returns
    -------
    pandas.DataFrame
        :data:`KM_COLUMNS`: one row per feature, group and time (0 and every observed time),
        ``n_at_risk`` just before that time, events and censorings at it, the survival
        estimate and its band. Numbers at risk at any time ``t`` are those of the first row
        with ``time >= t`` (0 beyond the last).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"cyt": [1.0, 2, 3, 4]}, index=list("abcd"))
    >>> clin = pd.DataFrame({"t": [2.0, 4, 6, 8], "e": [1, 1, 0, 1]}, index=list("abcd"))
    >>> km = km_table(f, clin, time_col="t", event_col="e")
    >>> km[km.group == "low"][["time", "n_at_risk", "n_events", "survival"]].values.tolist()
    [[0.0, 2.0, 0.0, 1.0], [2.0, 2.0, 1.0, 0.5], [4.0, 1.0, 1.0, 0.0]]
    """
    check_cut(cut)
    X, _, time, event = prepare(features, clinical, time_col, event_col)
    name = endpoint_name(time_col, endpoint)
    parts: list[dict[str, Any]] = []  # one dict of columns per curve, one table at the end
    for feat in X.columns:
        v = X[feat]
        ok = v.notna().to_numpy()
        if ok.sum() < 2:
            continue
        x = v.to_numpy(dtype=float)[ok]
        t = time.to_numpy()[ok]
        e = event.to_numpy()[ok]
        c, rule, _, _ = cut_for(x, t, e, cut, minprop)
        if not np.isfinite(c):
            continue
        high = x > c
        for group, mask in (("low", ~high), ("high", high)):
            if not mask.any():
                continue
            curve = km_arrays(t[mask], e[mask], alpha)
            parts.append(
                {
                    "feature": feat,
                    "endpoint": name,
                    "group": group,
                    "cut": c,
                    "cut_rule": rule,
                    "n": curve["time"].size,
                    **curve,
                }
            )
    if not parts:
        return pd.DataFrame(columns=KM_COLUMNS)
    sizes = [p["n"] for p in parts]
    columns: dict[str, Any] = {}
    for col in KM_COLUMNS:
        if col in ("feature", "endpoint", "group", "cut", "cut_rule"):
            values = pd.Series([p[col] for p in parts])
            columns[col] = values.repeat(sizes).reset_index(drop=True)
        else:
            columns[col] = np.concatenate([p[col] for p in parts])
    return pd.DataFrame(columns)[KM_COLUMNS]
