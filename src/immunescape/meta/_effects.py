"""Per-cohort effects of every feature: AUC (DeLong), log odds ratio per SD, Cox log HR per SD.

Rows of ``meta_cohorts.tsv``, one per cohort x feature x measure:

``auc``
    :func:`immunescape.compare.associations` (the ``associations.tsv`` of ``immunescape
    compare`` on the same cohort): AUC = P(score_R > score_NR), DeLong interval and the
    Mann-Whitney p-value; ``se`` is the square root of DeLong's variance from the same
    :func:`immunescape.stats.auc_ci` call, the weight of the cohort when pooling.
``log_or``
    Logistic regression of the response (R = 1) on the feature standardised within the
    cohort (sample SD, n - 1, over the labelled samples with a value): the log odds ratio of
    response per SD, its Wald standard error, interval and p-value (statsmodels ``Logit``,
    Newton's method). Not estimable under (quasi-)complete separation or non-convergence.
``log_hr:<endpoint>``
    :func:`immunescape.compare.survival` (the ``survival.tsv`` Cox model of ``compare``,
    Efron ties, feature per SD): log hazard ratio and its Wald standard error, recovered
    from the reported interval.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from immunescape.compare._associations import _associations
from immunescape.compare._common import RESPONDER
from immunescape.compare._survival import survival

__all__ = ["COHORT_COLUMNS", "cohort_effects", "logistic_per_sd"]

#: Columns of ``meta_cohorts.tsv``, in order.
COHORT_COLUMNS = [
    "cohort",
    "cancer_type",
    "treatment_class",
    "feature",
    "kind",
    "measure",
    "n_r",
    "n_nr",
    "n",
    "n_events",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p_value",
    "sd",
    "pooled",
    "note",
]


def logistic_per_sd(x: np.ndarray, y: np.ndarray, *, alpha: float = 0.05) -> dict[str, Any]:
    """Log odds ratio of ``y`` (0/1) per standard deviation of ``x`` (statsmodels ``Logit``).

    Parameters
    ----------
    x, y
        Feature values and outcomes (1 = responder), no missing values.
    alpha
        1 - confidence level of the Wald interval.

    Returns
    -------
    dict
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``p_value``, ``sd`` and ``note`` (empty,
        or why the estimate is NaN).

    Examples
    --------
    >>> x = np.array([1.0, 2, 3, 4, 5, 6, 7, 8])
    >>> y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
    >>> r = logistic_per_sd(x, y)
    >>> round(r["estimate"], 3), r["note"]
    (1.455, '')
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    out: dict[str, Any] = dict.fromkeys(("estimate", "se", "ci_low", "ci_high", "p_value"), np.nan)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    sd = float(np.std(x, ddof=1)) if x.size > 1 else float("nan")
    out["sd"] = sd
    if not sd > 0:
        out["note"] = "constant feature"
        return out
    z = (x - x.mean()) / sd
    X = sm.add_constant(z, has_constant="add")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = sm.Logit(y, X).fit(disp=0, maxiter=100, method="newton")
        except (PerfectSeparationError, np.linalg.LinAlgError):
            out["note"] = "logistic model not estimable (separation)"
            return out
    problems = [str(w.message) for w in caught]
    converged = bool(fit.mle_retvals.get("converged", False))
    b, se = float(fit.params[1]), float(fit.bse[1])
    if problems or not converged or not (np.isfinite(b) and np.isfinite(se) and se > 0):
        sep = any("separation" in p.lower() for p in problems)
        out["note"] = (
            "logistic model not estimable (complete or quasi-complete separation)"
            if sep
            else "logistic model did not converge (likely quasi-complete separation: a "
            "rare value found in one response group only)"
        )
        return out
    crit = float(stats.norm.ppf(1.0 - alpha / 2.0))
    out.update(
        estimate=b,
        se=se,
        ci_low=b - crit * se,
        ci_high=b + crit * se,
        p_value=float(2.0 * stats.norm.sf(abs(b / se))),
        note="",
    )
    return out


def cohort_effects(
    features: pd.DataFrame,
    response: pd.Series,
    clinical: pd.DataFrame,
    *,
    cohort: str,
    kinds: Mapping[str, str],
    endpoints: Sequence[tuple[str | None, str, str]] = (),
    min_per_group: int = 3,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Per-cohort effects of every feature (rows of ``meta_cohorts.tsv`` without cohort info).

    Parameters
    ----------
    features
        Samples x numeric features of one cohort (NaN = missing).
    response
        ``"R"`` / ``"NR"`` per sample (labelled samples only).
    clinical
        The cohort's clinical table indexed by sample id (survival columns).
    cohort
        Cohort name written in the rows.
    kinds
        Feature -> kind (signature, gene, pathway, mechanism, genomic, phenotype, ...).
    endpoints
        ``(name, time_col, event_col)`` survival endpoints to fit Cox models on.
    min_per_group
        Fewest responders and non-responders with a value for a feature to be estimated
        (as in ``compare``); the cohort as a whole must pass it (checked by the caller).
    alpha
        1 - confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`COHORT_COLUMNS` except the cohort descriptors; ``pooled`` True when
        the row has a finite estimate and a positive standard error.
    """
    rows: list[dict[str, Any]] = []
    assoc, _ = _associations(
        features,
        response,
        ci_method="delong",
        min_per_group=min_per_group,
        alpha=alpha,
        feature_info=dict(kinds),
        with_se=True,
    )
    shared = features.index.intersection(response.index, sort=False)
    X = features.loc[shared]
    y = response.loc[shared]
    is_r = (y == RESPONDER).to_numpy()
    for a in assoc.to_dict("records"):
        feat = a["feature"]
        v = X[feat].to_numpy(dtype=float)
        ok = np.isfinite(v)
        base = {
            "cohort": cohort,
            "feature": feat,
            "kind": kinds.get(feat, ""),
            "n_r": int(a["n_r"]),
            "n_nr": int(a["n_nr"]),
            "n": int(a["n_r"]) + int(a["n_nr"]),
            "n_events": np.nan,
        }
        # AUC, interval and SE from compare's one auc_ci call; the SE is the pooling weight
        row = {
            **base,
            "measure": "auc",
            "estimate": a["auc"],
            "ci_low": a["auc_ci_low"],
            "ci_high": a["auc_ci_high"],
            "p_value": a["p_value"],
            "se": a["auc_se"],
            "sd": np.nan,
            "note": a["note"],
        }
        if np.isfinite(a["auc"]) and not row["se"] > 0:
            row["note"] = (row["note"] + "; " if row["note"] else "") + (
                "DeLong variance 0 (complete separation): not pooled"
            )
        rows.append(row)
        lo_row = {**base, "measure": "log_or"}
        if a["n_r"] < min_per_group or a["n_nr"] < min_per_group:
            lo_row.update(note=a["note"])
        else:
            yy = is_r[ok].astype(float)
            lo_row.update(logistic_per_sd(v[ok], yy, alpha=alpha))
        rows.append(lo_row)
    crit = float(stats.norm.ppf(1.0 - alpha / 2.0))
    for name, tc, ec in endpoints:
        s = survival(
            features,
            clinical,
            time_col=tc,
            event_col=ec,
            endpoint=name,
            min_per_group=min_per_group,
            alpha=alpha,
            ph_test=False,
        )
        s = s[s["model"] == "univariable"]
        for r in s.to_dict("records"):
            hr, lo, hi = (float(r[c]) for c in ("hr", "hr_ci_low", "hr_ci_high"))
            est = np.log(hr) if hr > 0 else np.nan
            se = (np.log(hi) - np.log(lo)) / (2.0 * crit) if lo > 0 and hi > 0 else np.nan
            rows.append(
                {
                    "cohort": cohort,
                    "feature": r["feature"],
                    "kind": kinds.get(r["feature"], ""),
                    "measure": f"log_hr:{r['endpoint']}",
                    "n_r": np.nan,
                    "n_nr": np.nan,
                    "n": int(r["n"]),
                    "n_events": int(r["n_events"]),
                    "estimate": est,
                    "se": se,
                    "ci_low": np.log(lo) if lo > 0 else np.nan,
                    "ci_high": np.log(hi) if hi > 0 else np.nan,
                    "p_value": r["p_value"],
                    "sd": np.nan,
                    "note": r["note"],
                }
            )
    out = pd.DataFrame(rows)
    est = pd.to_numeric(out["estimate"], errors="coerce")
    se = pd.to_numeric(out["se"], errors="coerce")
    out["pooled"] = np.isfinite(est) & np.isfinite(se) & (se > 0)
    out["note"] = out["note"].fillna("")
    return out
