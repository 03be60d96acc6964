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
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from immunescape._validate import check_choice
from immunescape.compare._common import kinds_of, public_table
from immunescape.compare._km import KM_COLUMNS, km_table, logrank_p
from immunescape.compare._maxstat import (
    MaxstatResult,
    lausen_schumacher_p,
    logrank_scores,
    maxstat_cut,
)
from immunescape.compare._survival_input import (
    Cut,
    check_cut,
    covariate_design,
    cut_for,
    endpoint_name,
    prepare,
)
from immunescape.stats import bh

__all__ = [
    "survival",
    "SURVIVAL_COLUMNS",
    # defined in _km and _maxstat, importable from here as before
    "KM_COLUMNS",
    "km_table",
    "maxstat_cut",
    "MaxstatResult",
    "lausen_schumacher_p",
    "logrank_scores",
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

Scale = Literal["sd", "unit"]


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


def _survival(
    features: pd.DataFrame,
    clinical: object,
    *,
    time_col: str,
    event_col: str,
    endpoint: str | None = None,
    cut: Cut = "median",
    covariates: Sequence[str] | None = None,
    scale: Scale = "sd",
    min_per_group: int = 3,
    min_events: int = 3,
    minprop: float = 0.1,
    alpha: float = 0.05,
    ph_test: bool = True,
    feature_info: pd.DataFrame | pd.Series | dict[str, str] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
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
    check_cut(cut)
    check_choice("scale", scale, Scale)
    X, clin, time, event = prepare(features, clinical, time_col, event_col)
    name = endpoint_name(time_col, endpoint)
    covs = list(covariates or [])
    if isinstance(covariates, str):
        covs = [c.strip() for c in covariates.split(",") if c.strip()]
    design = covariate_design(clin, covs, X.index) if covs else None

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
        c, rule, p_corr, p_unc = cut_for(x, t, e, cut, minprop)
        high = x > c if np.isfinite(c) else np.zeros(n, dtype=bool)
        n_high, n_low = int(high.sum()), int((~high).sum())
        lr = np.nan
        if np.isfinite(c) and min(n_high, n_low) >= min_per_group:
            if cut == "optimal":
                lr = p_corr
            else:
                lr = logrank_p(t, e, high)
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
    settings = {
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
    return table, settings


survival = public_table(_survival)
