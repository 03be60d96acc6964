"""Survival associations (``survival.tsv``) and Kaplan-Meier curves with numbers at risk.

Per feature and endpoint:

* **Cox proportional hazards** (Efron ties, Wald test; the estimator of lifelines'
  :class:`~lifelines.CoxPHFitter`, computed by :mod:`immunescape.compare._cox` in numpy,
  about 100 times faster, and checked against lifelines and statsmodels ``PHReg``): the
  feature enters as a *continuous* variable, by default standardised, so ``hr`` is
  the hazard ratio **per standard deviation** (sample SD, n - 1, over the analysed samples;
  ``scale="unit"`` gives it per unit). ``model = "univariable"`` fits the feature alone;
  ``model = "multivariable"`` adds the ``covariates`` (numeric as given, categorical as
  indicator columns against the first level). HR < 1: higher values, longer survival.
* **Proportional-hazards check**: ``ph_test_p``, the Grambsch-Therneau test of lifelines'
  :func:`~lifelines.statistics.proportional_hazard_test` with ``time_transform="rank"``
  (scaled Schoenfeld residuals against the rank of the event time) for the feature's
  coefficient; identical to lifelines without tied event times (tied times get their
  average rank, as in R ``cox.zph``). A small value means
  the HR changes over time and should be read with care.
* **Kaplan-Meier + log-rank** of ``high`` (value > cut) versus ``low`` (value <= cut), on
  the univariable rows (multivariable rows leave ``logrank_p`` empty). The log-rank test is
  statsmodels' ``survdiff``; the curves (product-limit estimate, exponential Greenwood
  "log(-log)" band as lifelines computes it) are computed with numpy; both are checked
  against lifelines in the tests. Cuts:

  ``"median"``
      the feature's median over the analysed samples (ties at the median go to ``low``);
  a number
      a pre-specified cut-point, the same for every feature;
  ``"optimal"``
      the cut maximising the standardised log-rank statistic over the cut-points leaving at
      least ``minprop`` of the samples in each group (maximally selected rank statistics,
      Lausen & Schumacher 1992, Biometrics 48:73-85). The raw p-value of the best cut is
      not valid; ``logrank_p`` is the Lausen-Schumacher (1992) approximation of
      P(max |S| >= b) under no association, as R ``maxstat`` ``pmethod = "Lau92"``;
      ``logrank_p_uncorrected`` keeps the naive value for reference only.

``q_value`` is the Benjamini-Hochberg correction (statsmodels ``fdr_bh``) of ``p_value``
within each endpoint and model; ``logrank_q`` that of ``logrank_p`` within each endpoint.
Times are expected in months (as :func:`immunescape.io.read_clinical` gives them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from immunescape.compare._common import (
    clinical_frame,
    kinds_of,
    numeric_features,
    short_list,
)
from immunescape.errors import InputError
from immunescape.stats import bh

__all__ = [
    "survival",
    "km_table",
    "maxstat_cut",
    "MaxstatResult",
    "lausen_schumacher_p",
    "logrank_scores",
    "SURVIVAL_COLUMNS",
]

#: Contract columns of ``survival.tsv``, in order (extra columns follow them).
SURVIVAL_COLUMNS = [
    "feature",
    "endpoint",
    "hr",
    "hr_ci_low",
    "hr_ci_high",
    "p_value",
    "q_value",
    "logrank_p",
]
EXTRA_COLUMNS = [
    "model",
    "n",
    "n_events",
    "ph_test_p",
    "cut",
    "cut_rule",
    "n_high",
    "n_low",
    "logrank_p_uncorrected",
    "logrank_q",
    "hr_unit",
    "covariates",
    "note",
]
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

Cut = Literal["median", "optimal"] | float


# ------------------------------------------------------------------------ input checks
def _endpoint_name(time_col: str, endpoint: str | None) -> str:
    if endpoint:
        return endpoint
    low = time_col.lower()
    for key, name in (("pfs", "PFS"), ("os", "OS"), ("dfs", "DFS"), ("rfs", "RFS")):
        if low.startswith(key) or f"_{key}" in low:
            return name
    return time_col


def _survival_columns(
    clinical: pd.DataFrame, time_col: str, event_col: str, source: str = "clinical"
) -> tuple[pd.Series, pd.Series]:
    """Return validated (time, event) of the samples having both (errors on bad values)."""
    for col, what in ((time_col, "time"), (event_col, "event")):
        if not isinstance(col, str) or col not in clinical.columns:
            raise InputError(
                f"no {what} column {col!r} (columns: {short_list(clinical.columns, 12)})",
                source=source,
                fix=f"pass the survival {what} column name ({what}_col=...)",
            )
    time = pd.to_numeric(clinical[time_col], errors="coerce")
    bad_num = clinical[time_col].notna() & time.isna()
    if bad_num.any():
        raise InputError(
            f"column {time_col!r} has non-numeric times for sample(s) "
            f"{short_list(clinical.index[bad_num])}",
            source=source,
            fix="give survival times as numbers (months)",
        )
    if (time < 0).any():
        raise InputError(
            f"column {time_col!r} has negative times for sample(s) "
            f"{short_list(clinical.index[time < 0])}",
            source=source,
            fix="survival times must be >= 0 (time from treatment start to event or censoring)",
        )
    raw = clinical[event_col]
    event = pd.to_numeric(
        raw.map(lambda v: float(v) if isinstance(v, bool | np.bool_) else v), errors="coerce"
    )
    bad = (raw.notna() & event.isna()) | (event.notna() & ~event.isin([0.0, 1.0]))
    if bad.any():
        values = sorted({str(v) for v in raw[bad]})
        raise InputError(
            f"column {event_col!r} is not binary: value(s) {short_list(values)}",
            source=source,
            fix="code events as 1 (event, e.g. death) and 0 (censored)",
        )
    ok = time.notna() & event.notna()
    return time[ok].astype(float), event[ok].astype(float)


def _covariate_design(
    clinical: pd.DataFrame, covariates: Sequence[str], samples: pd.Index
) -> pd.DataFrame:
    """Return numeric design columns of the covariates (categorical: first level dropped)."""
    if isinstance(covariates, str):
        covariates = [c.strip() for c in covariates.split(",") if c.strip()]
    missing_cols = [c for c in covariates if c not in clinical.columns]
    if missing_cols:
        raise InputError(
            f"covariate column(s) not found: {short_list(missing_cols)} (columns: "
            f"{short_list(clinical.columns, 12)})",
            source="covariates",
            fix="name columns of the clinical table",
        )
    sub = clinical.loc[samples, list(covariates)]
    for c in covariates:
        miss = sub[c].isna()
        if miss.any():
            raise InputError(
                f"covariate {c!r} is missing for {int(miss.sum())} sample(s) with survival "
                f"data: {short_list(sub.index[miss])}",
                source="covariates",
                fix="fill the covariate, drop those samples, or leave the covariate out",
            )
    parts = []
    for c in covariates:
        col = sub[c]
        num = pd.to_numeric(col, errors="coerce") if not pd.api.types.is_bool_dtype(col) else None
        if num is not None and num.notna().all():
            parts.append(num.astype(float).rename(f"cov__{c}"))
        else:
            levels = sorted(col.astype(str).unique())
            if len(levels) < 2:
                raise InputError(
                    f"covariate {c!r} has a single value ({levels[0]!r}) among the analysed "
                    "samples",
                    source="covariates",
                    fix="leave it out",
                )
            for lev in levels[1:]:
                parts.append((col.astype(str) == lev).astype(float).rename(f"cov__{c}={lev}"))
    for p in parts:
        if p.nunique() < 2:
            raise InputError(
                f"covariate column {p.name.removeprefix('cov__')!r} is constant among the "
                "analysed samples",
                source="covariates",
                fix="leave it out",
            )
    return pd.concat(parts, axis=1)


# ------------------------------------------------------------------------ maximally selected
def logrank_scores(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Log-rank (Savage) scores: ``event_i - H(t_i)`` with ``H`` the Nelson-Aalen estimate.

    ``H(t) = sum over distinct event times s <= t of d_s / n_s`` (deaths and number at risk at
    ``s``). A linear rank statistic with these scores is the log-rank statistic.

    Examples
    --------
    >>> logrank_scores(np.array([1.0, 2, 3]), np.array([1.0, 1, 0])).round(4).tolist()
    [0.6667, 0.1667, -0.8333]
    """
    t = np.asarray(time, dtype=float)
    d = np.asarray(event, dtype=float)
    uniq, inv = np.unique(t, return_inverse=True)
    deaths = np.bincount(inv, weights=d, minlength=uniq.size)
    leaving = np.bincount(inv, minlength=uniq.size)
    at_risk = leaving[::-1].cumsum()[::-1]
    hazard = np.cumsum(deaths / at_risk)
    return d - hazard[inv]


def lausen_schumacher_p(b: float, *, minprop: float = 0.1, maxprop: float | None = None) -> float:
    """P-value of a maximally selected standardised statistic ``b`` (Lausen & Schumacher 1992).

    ``p = 4 phi(b) / b + phi(b) (b - 1/b) log(maxprop (1 - minprop) / ((1 - maxprop) minprop))``,
    the approximation of R ``maxstat::pLausen92``; truncated to [0, 1], and 1 for ``b < 1``
    where the approximation does not hold (such a maximum is never significant).

    Examples
    --------
    >>> round(lausen_schumacher_p(3.0, minprop=0.1), 4)
    0.0578
    """
    if maxprop is None:
        maxprop = 1.0 - minprop
    if not 0.0 < minprop < maxprop < 1.0:
        raise InputError(
            f"need 0 < minprop < maxprop < 1, got {minprop}, {maxprop}",
            source="minprop",
            fix="use e.g. minprop=0.1",
        )
    if not np.isfinite(b):
        return float("nan")
    if b < 1.0:
        return 1.0
    phi = float(stats.norm.pdf(b))
    p = 4.0 * phi / b + phi * (b - 1.0 / b) * np.log(
        maxprop * (1.0 - minprop) / ((1.0 - maxprop) * minprop)
    )
    return float(min(1.0, max(0.0, p)))


@dataclass(frozen=True)
class MaxstatResult:
    """Result of :func:`maxstat_cut` (``high`` means ``x > cut``)."""

    cut: float
    statistic: float
    p_value: float
    p_uncorrected: float
    minprop: float


def _standardised_statistics(
    x: np.ndarray, scores: np.ndarray, minprop: float, maxprop: float
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate cuts and their standardised linear rank statistics (group: x <= cut)."""
    n = x.size
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    a = scores[order]
    cum = np.cumsum(a)
    last = np.r_[xs[1:] != xs[:-1], True]  # last position of each distinct value
    m = np.flatnonzero(last) + 1  # group sizes x <= cut
    cuts = xs[last]
    frac = m / n
    keep = (frac >= minprop - 1e-12) & (frac <= maxprop + 1e-12) & (m < n)
    m, cuts = m[keep], cuts[keep]
    if m.size == 0:
        return cuts, np.empty(0)
    t = cum[m - 1]
    abar = a.mean()
    ss = ((a - abar) ** 2).sum()
    var = m * (n - m) / (n * (n - 1.0)) * ss
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (t - m * abar) / np.sqrt(var)
    return cuts, s


def maxstat_cut(
    x: Sequence[float] | np.ndarray,
    time: Sequence[float] | np.ndarray,
    event: Sequence[float] | np.ndarray,
    *,
    minprop: float = 0.1,
) -> MaxstatResult:
    """Optimal cut-point by the maximally selected log-rank statistic, with a corrected p.

    For each candidate cut ``c`` (distinct values leaving at least ``minprop`` of the samples
    on each side) the log-rank statistic of ``x <= c`` versus ``x > c`` is computed as a
    linear rank statistic of the log-rank scores, standardised by its permutation mean and
    variance (as R ``maxstat.test(..., smethod = "LogRank")``). The cut with the largest
    ``|S|`` is returned with the Lausen-Schumacher (1992) p-value of that maximum.

    Returns
    -------
    MaxstatResult
        ``cut`` (``high`` means ``x > cut``), ``statistic`` (max ``|S|``), ``p_value``
        (corrected for the search) and ``p_uncorrected`` (two-sided normal p of the best cut,
        too small: never report it as the test result).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=200)
    >>> t = rng.exponential(np.exp(-1.0 * (x > 0.5)))
    >>> r = maxstat_cut(x, t, np.ones(200))
    >>> round(r.cut, 2), r.p_value < 0.05 < 1, r.p_uncorrected < r.p_value
    (0.51, True, True)
    """
    xx = np.asarray(x, dtype=float)
    tt = np.asarray(time, dtype=float)
    ee = np.asarray(event, dtype=float)
    if not (xx.shape == tt.shape == ee.shape) or xx.ndim != 1:
        raise InputError("x, time and event must be 1-D of equal length", source="maxstat_cut")
    if not 0.0 < minprop < 0.5:
        raise InputError(
            f"minprop must lie in (0, 0.5), got {minprop}", source="minprop", fix="e.g. 0.1"
        )
    scores = logrank_scores(tt, ee)
    cuts, s = _standardised_statistics(xx, scores, minprop, 1.0 - minprop)
    ok = np.isfinite(s)
    if not ok.any():
        return MaxstatResult(float("nan"), float("nan"), float("nan"), float("nan"), minprop)
    absval = np.where(ok, np.abs(s), -np.inf)
    best = int(np.argmax(absval))
    b = float(absval[best])
    return MaxstatResult(
        float(cuts[best]),
        b,
        lausen_schumacher_p(b, minprop=minprop),
        float(2.0 * stats.norm.sf(b)),
        minprop,
    )


# ------------------------------------------------------------------------ Cox model
def _fit_cox(
    frame: pd.DataFrame, *, alpha: float, ph_test: bool
) -> tuple[dict[str, float], list[str]]:
    """Fit a Cox model on frame (time, event, x, covariates); statistics of ``x``."""
    from immunescape.compare._cox import cox_efron
    from immunescape.compare._cox import ph_test as gt_test

    notes: list[str] = []
    out = dict.fromkeys(("coef", "se", "hr", "low", "high", "p", "ph_p"), np.nan)
    X = frame.drop(columns=["time", "event"]).to_numpy(dtype=float)
    fit = cox_efron(frame["time"].to_numpy(float), frame["event"].to_numpy(float), X)
    if not fit.converged:
        notes.append(
            "Cox model did not converge (a feature or covariate may separate the events "
            "completely, or have too little variation)"
        )
        return out, notes
    b = float(fit.beta[0])
    se = float(np.sqrt(fit.cov[0, 0]))
    z = stats.norm.ppf(1.0 - alpha / 2.0)
    out.update(
        coef=b,
        se=se,
        hr=float(np.exp(b)),
        low=float(np.exp(b - z * se)),
        high=float(np.exp(b + z * se)),
        p=float(2.0 * stats.norm.sf(abs(b / se))),
    )
    if ph_test:
        out["ph_p"] = float(gt_test(fit)[0])
    return out, notes


# ------------------------------------------------------------------------ KM and log-rank
def _logrank_p(time: np.ndarray, event: np.ndarray, group: np.ndarray) -> float:
    """Two-group log-rank p-value (statsmodels ``survdiff``; checked against lifelines)."""
    from statsmodels.duration.survfunc import survdiff

    if event.sum() == 0:
        return float("nan")
    _, p = survdiff(time, event, group.astype(int))
    return float(p)


def _km_curve(time: np.ndarray, event: np.ndarray, alpha: float) -> pd.DataFrame:
    """Kaplan-Meier estimate at 0 and every observed time, with lifelines' interval.

    See :func:`_km_arrays` (the same columns as a table).
    """
    return pd.DataFrame(_km_arrays(time, event, alpha))


def _km_arrays(time: np.ndarray, event: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
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


# ------------------------------------------------------------------------ grouping
def _cut_for(
    x: np.ndarray, time: np.ndarray, event: np.ndarray, cut: Cut, minprop: float
) -> tuple[float, str, float, float]:
    """(cut value, rule text, corrected logrank p or NaN, uncorrected p or NaN)."""
    if isinstance(cut, str):
        if cut == "median":
            return float(np.median(x)), "median", np.nan, np.nan
        if cut == "optimal":
            r = maxstat_cut(x, time, event, minprop=minprop)
            rule = (
                f"optimal (maximally selected log-rank statistic, minprop={minprop:g}; "
                "p corrected by Lausen-Schumacher 1992)"
            )
            return r.cut, rule, r.p_value, r.p_uncorrected
    return float(cut), "fixed", np.nan, np.nan


def _check_cut(cut: object) -> None:
    if isinstance(cut, str):
        if cut not in ("median", "optimal"):
            raise InputError(
                f"unknown cut {cut!r}",
                source="cut",
                fix="use 'median', 'optimal' or a number (a pre-specified cut-point)",
            )
        return
    if isinstance(cut, bool) or not isinstance(cut, int | float | np.integer | np.floating):
        raise InputError(f"cut must be 'median', 'optimal' or a number, got {cut!r}", source="cut")
    if not np.isfinite(float(cut)):
        raise InputError(f"cut must be finite, got {cut!r}", source="cut")


def _prepare(
    features: pd.DataFrame,
    clinical: object,
    time_col: str,
    event_col: str,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    X = numeric_features(features)
    clin = clinical_frame(clinical)
    time, event = _survival_columns(clin, time_col, event_col)
    shared = X.index.intersection(time.index, sort=False)
    if len(shared) == 0:
        raise InputError(
            f"no sample with both features and survival data ({time_col!r}, {event_col!r})",
            source="clinical",
            fix="use the same sample ids in the expression and clinical files",
        )
    return X.loc[shared], clin, time.loc[shared], event.loc[shared]


def survival(
    features: pd.DataFrame,
    clinical: object,
    *,
    time_col: str,
    event_col: str,
    endpoint: str | None = None,
    cut: Cut = "median",
    covariates: Sequence[str] | None = None,
    scale: Literal["sd", "unit"] = "sd",
    min_per_group: int = 3,
    min_events: int = 3,
    minprop: float = 0.1,
    alpha: float = 0.05,
    ph_test: bool = True,
    feature_info: pd.DataFrame | pd.Series | dict[str, str] | None = None,
) -> pd.DataFrame:
    """Associate every feature with survival: Cox HR (per SD), PH check, KM log-rank.

    Parameters
    ----------
    features
        Samples x numeric features (NaN = missing; dropped per feature).
    clinical
        A :class:`~immunescape.io.ClinicalTable` or a DataFrame indexed by sample id holding
        ``time_col``, ``event_col`` and the ``covariates``.
    time_col, event_col
        Survival time (months, >= 0) and event (1 = event, 0 = censored) columns, e.g.
        ``"os_months"`` and ``"os_event"``.
    endpoint
        Name written in the ``endpoint`` column (default: OS/PFS guessed from ``time_col``).
    cut
        ``"median"``, a number (pre-specified cut-point) or ``"optimal"`` (maximally
        selected log-rank statistic with the Lausen-Schumacher correction) for the
        high-versus-low Kaplan-Meier comparison.
    covariates
        Clinical columns adjusting the multivariable Cox model (adds ``model =
        "multivariable"`` rows). Every analysed sample must have them.
    scale
        ``"sd"``: HR per standard deviation of the feature (default); ``"unit"``: per unit.
    min_per_group
        Fewest samples in the high and in the low group for a log-rank test.
    min_events
        Fewest events for a feature to be tested.
    minprop
        Smallest group fraction of the optimal cut search.
    alpha
        1 - confidence level of the HR interval.
    ph_test
        Run the proportional-hazards test (``ph_test_p``).
    feature_info
        Optional feature kinds (see :func:`~immunescape.compare.associations`).

    Returns
    -------
    pandas.DataFrame
        :data:`SURVIVAL_COLUMNS` then ``model``, ``n``, ``n_events``, ``ph_test_p``, ``cut``,
        ``cut_rule``, ``n_high``, ``n_low``, ``logrank_p_uncorrected``, ``logrank_q``,
        ``hr_unit``, ``covariates``, ``note`` (and ``kind``); sorted by model then p-value.

    Raises
    ------
    InputError
        Missing columns, negative times, non-binary events, covariates missing for some
        samples (named), unknown cut or scale.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"tmb": [1.0, 2, 3, 4, 5, 6, 7, 8]}, index=list("abcdefgh"))
    >>> clin = pd.DataFrame({"os_months": [3.0, 5, 4, 9, 12, 10, 20, 15],
    ...                      "os_event": [1, 1, 1, 0, 1, 0, 1, 0]}, index=list("abcdefgh"))
    >>> t = survival(f, clin, time_col="os_months", event_col="os_event", ph_test=False)
    >>> t[["feature", "endpoint", "model", "n", "n_events", "cut"]].values.tolist()
    [['tmb', 'OS', 'univariable', 8, 5, 4.5]]
    >>> bool(t["hr"].iloc[0] < 1)
    True
    """
    _check_cut(cut)
    if scale not in ("sd", "unit"):
        raise InputError(f"unknown scale {scale!r}", source="scale", fix="use 'sd' or 'unit'")
    X, clin, time, event = _prepare(features, clinical, time_col, event_col)
    name = _endpoint_name(time_col, endpoint)
    covs = list(covariates or [])
    if isinstance(covariates, str):
        covs = [c.strip() for c in covariates.split(",") if c.strip()]
    design = _covariate_design(clin, covs, X.index) if covs else None

    rows = []
    for feat in X.columns:
        v = X[feat]
        ok = v.notna().to_numpy()
        x = v.to_numpy(dtype=float)[ok]
        t = time.to_numpy()[ok]
        e = event.to_numpy()[ok]
        n, n_ev = int(ok.sum()), int(e.sum())
        base = {"feature": feat, "endpoint": name, "n": n, "n_events": n_ev}
        uni: dict[str, object] = {**base, "model": "univariable", "covariates": ""}
        notes: list[str] = []
        sd = float(np.std(x, ddof=1)) if n > 1 else np.nan
        testable = n_ev >= min_events and n >= 2 * min_per_group and sd > 0
        if not testable:
            if n == 0:
                why = "no sample with a value"
            elif n_ev < min_events:
                why = f"{n_ev} events (minimum {min_events})"
            elif not sd > 0:
                why = "constant feature"
            else:
                why = f"only {n} samples"
            uni.update(note=f"not tested: {why}", hr_unit="")
            rows.append(uni)
            if design is not None:
                rows.append(
                    {
                        **base,
                        "model": "multivariable",
                        "covariates": ",".join(covs),
                        "note": f"not tested: {why}",
                        "hr_unit": "",
                    }
                )
            continue
        div = sd if scale == "sd" else 1.0
        unit = f"per SD (SD = {sd:.4g})" if scale == "sd" else "per unit"
        xz = (x - x.mean()) / div if scale == "sd" else x
        frame = pd.DataFrame({"time": t, "event": e, "x": xz})
        res, cox_notes = _fit_cox(frame, alpha=alpha, ph_test=ph_test)
        notes += cox_notes
        c, rule, p_corr, p_unc = _cut_for(x, t, e, cut, minprop)
        high = x > c if np.isfinite(c) else np.zeros(n, dtype=bool)
        n_high, n_low = int(high.sum()), int((~high).sum())
        lr = np.nan
        if np.isfinite(c) and min(n_high, n_low) >= min_per_group:
            if cut == "optimal":
                lr = p_corr
            else:
                lr = _logrank_p(t, e, high)
        else:
            notes.append(
                f"no log-rank test: {n_high} high / {n_low} low at cut {c:.4g} "
                f"(minimum {min_per_group} each)"
            )
        uni.update(
            hr=res["hr"],
            hr_ci_low=res["low"],
            hr_ci_high=res["high"],
            p_value=res["p"],
            logrank_p=lr,
            ph_test_p=res["ph_p"],
            cut=c,
            cut_rule=rule,
            n_high=n_high,
            n_low=n_low,
            logrank_p_uncorrected=p_unc if cut == "optimal" else np.nan,
            hr_unit=unit,
            note="; ".join(notes),
        )
        rows.append(uni)
        if design is not None:
            mrow: dict[str, object] = {
                **base,
                "model": "multivariable",
                "covariates": ",".join(covs),
                "hr_unit": unit,
            }
            if feat in covs:
                mrow["note"] = "not fitted: the feature is also a covariate"
            else:
                dsub = design.loc[v.index[ok]].reset_index(drop=True)
                mframe = pd.concat([frame, dsub], axis=1)
                mres, mnotes = _fit_cox(mframe, alpha=alpha, ph_test=ph_test)
                mrow.update(
                    hr=mres["hr"],
                    hr_ci_low=mres["low"],
                    hr_ci_high=mres["high"],
                    p_value=mres["p"],
                    ph_test_p=mres["ph_p"],
                    note="; ".join(mnotes),
                )
            rows.append(mrow)

    table = pd.DataFrame(rows)
    for col in SURVIVAL_COLUMNS + EXTRA_COLUMNS:
        if col not in table.columns:
            table[col] = np.nan if col not in ("note", "cut_rule", "hr_unit") else ""
    for col in ("note", "cut_rule", "hr_unit", "covariates"):
        table[col] = table[col].fillna("")
    table["q_value"] = np.nan
    for _, idx in table.groupby("model", sort=False).groups.items():
        table.loc[idx, "q_value"] = bh(table.loc[idx, "p_value"].to_numpy(dtype=float))
    table["logrank_q"] = bh(table["logrank_p"].to_numpy(dtype=float))
    kinds = kinds_of(feature_info, table["feature"])
    cols = SURVIVAL_COLUMNS + EXTRA_COLUMNS
    if kinds is not None:
        table["kind"] = kinds
        cols = cols + ["kind"]
    table = table[cols]
    for col in ("n", "n_events"):
        table[col] = table[col].astype(int)
    table["_m"] = (table["model"] == "multivariable").astype(int)
    table = (
        table.sort_values(["_m", "p_value"], kind="mergesort", na_position="last")
        .drop(columns="_m")
        .reset_index(drop=True)
    )
    table.attrs = {
        "endpoint": name,
        "time_col": time_col,
        "event_col": event_col,
        "cox": "Cox model, Efron ties, Wald test (lifelines' estimator, numpy); HR "
        + ("per SD of the feature" if scale == "sd" else "per unit of the feature"),
        "ph_test": "Grambsch-Therneau test, rank of event time (lifelines "
        "proportional_hazard_test time_transform='rank')"
        if ph_test
        else None,
        "cut": cut if isinstance(cut, str) else float(cut),
        "logrank": "log-rank test (statsmodels survdiff), high (> cut) vs low (<= cut)"
        if cut != "optimal"
        else "maximally selected log-rank statistic, Lausen-Schumacher 1992 corrected p",
        "minprop": minprop if cut == "optimal" else None,
        "covariates": covs,
        "multiple_testing": "Benjamini-Hochberg within endpoint and model",
        "min_events": min_events,
        "min_per_group": min_per_group,
        "n_samples": int(len(X)),
        "n_events": int(event.sum()),
    }
    return table


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
    _check_cut(cut)
    X, _, time, event = _prepare(features, clinical, time_col, event_col)
    name = _endpoint_name(time_col, endpoint)
    parts: list[dict[str, Any]] = []  # one dict of columns per curve, one table at the end
    for feat in X.columns:
        v = X[feat]
        ok = v.notna().to_numpy()
        if ok.sum() < 2:
            continue
        x = v.to_numpy(dtype=float)[ok]
        t = time.to_numpy()[ok]
        e = event.to_numpy()[ok]
        c, rule, _, _ = _cut_for(x, t, e, cut, minprop)
        if not np.isfinite(c):
            continue
        high = x > c
        for group, mask in (("low", ~high), ("high", high)):
            if not mask.any():
                continue
            curve = _km_arrays(t[mask], e[mask], alpha)
            parts.append({"feature": feat, "endpoint": name, "group": group, "cut": c,
                          "cut_rule": rule, "n": curve["time"].size, **curve})
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
