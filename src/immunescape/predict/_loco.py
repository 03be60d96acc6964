"""Nested leave-one-cohort-out comparison of :class:`RobustModel` candidates.

For every held-out cohort: each candidate is scored by an inner leave-one-cohort-out over the
other cohorts (mean held-out AUC, cohorts weighted equally); the best candidate is refitted on
the other cohorts, its calibrator (Platt or isotonic) chosen and fitted on their
out-of-cohort scores, and it predicts the held-out cohort. The published single predictors
are scored on the same samples. Nothing about the held-out cohort (labels or choice) enters
its own prediction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from immunescape._logging import logger
from immunescape._result import Result
from immunescape._validate import check_choice, check_range
from immunescape.errors import InputError
from immunescape.predict._cohorts import Cohort, stack_union
from immunescape.predict._features import BASELINES, CANDIDATES
from immunescape.predict._robust import RobustModel
from immunescape.stats import auc_ci, brier, calibration_curve, delong_test, roc_auc

__all__ = ["RobustLoco", "paired_cohort_comparison", "robust_loco", "summarise"]


@dataclass
class RobustLoco(Result):
    """Nested leave-one-cohort-out evaluation of RobustModel candidates (see :func:`robust_loco`).

    The table attributes are named after the files ``immunescape evaluate`` writes.

    Attributes
    ----------
    evaluation
        Cohort x predictor: n, AUC with DeLong CI, paired DeLong p against the model, Brier
        score of the model and of the training prevalence, candidate, units and calibration.
    loco_predictions
        Held-out calibrated probabilities (``cohort, sample_id, y, score, probability,
        features_used``).
    loco_choices
        Candidate and calibration chosen per held-out cohort, with the inner AUCs.
    loco_summary
        Mean / median AUC per predictor (:func:`summarise`).
    reliability
        Reliability curve of the pooled held-out probabilities.
    settings
        ``design``, ``candidates``, ``nested``, ``n_bins``, ``comparison`` (paired test
        against the best published predictor, :func:`paired_cohort_comparison`),
        ``pooled_brier`` and ``pooled_brier_prevalence``.
    """

    table_names = ("evaluation", "loco_predictions", "loco_choices", "loco_summary",
                   "reliability")
    evaluation: pd.DataFrame
    loco_predictions: pd.DataFrame
    loco_choices: pd.DataFrame
    loco_summary: pd.DataFrame
    reliability: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    ok = np.isfinite(s)
    if ok.sum() < 2 or y[ok].min() == y[ok].max():
        return np.nan
    return roc_auc(y[ok], s[ok])


def _inner_auc(name: str, X: pd.DataFrame, y: np.ndarray, lab: np.ndarray) -> float:
    aucs = []
    for c in pd.unique(lab):
        tr, te = lab != c, lab == c
        m = RobustModel.from_candidate(name).fit(X[tr], y[tr], cohort=lab[tr], calibrate=False)
        s = m.predict_frame(X[te], cohort=c)["score"].to_numpy(dtype=float)
        aucs.append(_auc(y[te], s))
    return float(np.nanmean(aucs)) if np.isfinite(aucs).any() else np.nan


def robust_loco(
    cohorts: Sequence[Cohort],
    *,
    candidates: Sequence[str] | None = None,
    baselines: Mapping[str, str] = BASELINES,
    nested: bool = True,
    n_bins: int = 5,
) -> RobustLoco:
    """Nested leave-one-cohort-out evaluation of the candidates against published predictors.

    Parameters
    ----------
    cohorts
        At least four labelled cohorts (features may be missing in some).
    candidates
        Names of :data:`~immunescape.predict.ROBUST_CANDIDATES` (default all). With one
        candidate and ``nested=False`` this is a plain LOCO of that configuration.
    baselines
        Published predictor name -> score feature id.
    nested
        Choose the candidate inside every outer split (True) or use the first candidate.
    n_bins
        Quantile bins of the pooled reliability curve.

    Returns
    -------
    RobustLoco
        The evaluation table, held-out predictions, choices, summary and reliability curve;
        the paired comparison and pooled Brier scores in ``settings``.
    """
    names = list(candidates or CANDIDATES)
    for name in names:
        check_choice("candidates", name, CANDIDATES)
    check_range("n_bins", n_bins, low=1, integer=True)
    if len(cohorts) < 4:
        raise InputError(f"nested leave-one-cohort-out needs at least 4 cohorts, got "
                         f"{len(cohorts)}", source="cohorts", fix="give more cohorts")
    X, y, lab = stack_union(cohorts)
    rows, preds, choices = [], [], []
    for held in cohorts:
        tr, te = lab != held.name, lab == held.name
        if nested and len(names) > 1:
            inner = {n: _inner_auc(n, X[tr], y[tr], lab[tr]) for n in names}
            best = max(names, key=lambda n: (np.nan_to_num(inner[n], nan=-1.0), -names.index(n)))
        else:
            inner, best = {}, names[0]
        model = RobustModel.from_candidate(best).fit(X[tr], y[tr], cohort=lab[tr])
        out = model.predict_frame(X[te], cohort=held.name)
        p = out["probability"].to_numpy(dtype=float)
        yh = y[te]
        ok = np.isfinite(p)
        sub = model._submodel(tuple(range(len(model.units))))
        prev = float(y[tr].mean())
        row: dict[str, Any] = {"cohort": held.name, "predictor": "model", "n": int(ok.sum())}
        if ok.sum() >= 2 and yh[ok].min() != yh[ok].max():
            res = auc_ci(yh[ok], out["score"].to_numpy(dtype=float)[ok])
            row.update(n_pos=res.n_pos, n_neg=res.n_neg, auc=res.auc, auc_ci_low=res.low,
                       auc_ci_high=res.high, brier=brier(yh[ok], p[ok]),
                       brier_prevalence=float(np.mean((prev - yh[ok]) ** 2)))
        row.update(candidate=best, units_used=";".join(sorted(set(out["units_used"][ok]))),
                   calibration=(sub or {}).get("calibrator", {}).get("method", ""))
        rows.append(row)
        for bname, feat in baselines.items():
            brow: dict[str, Any] = {"cohort": held.name, "predictor": bname}
            if feat in held.X.columns and held.X[feat].notna().all() and ok.all():
                s = held.X[feat].to_numpy(dtype=float)
                res = auc_ci(yh, s)
                test = delong_test(yh, out["score"].to_numpy(dtype=float), s)
                brow.update(n=int(yh.size), n_pos=res.n_pos, n_neg=res.n_neg, auc=res.auc,
                            auc_ci_low=res.low, auc_ci_high=res.high, p_vs_model=test.p_value)
            else:
                brow.update(n=int(yh.size), note=f"{feat} not available")
            rows.append(brow)
        preds.append(pd.DataFrame({"cohort": held.name, "sample_id": out["sample_id"],
                                   "y": yh, "score": out["score"], "probability": p,
                                   "features_used": out["features_used"]}))
        choices.append({"cohort": held.name, "candidate": best,
                        "calibration": row["calibration"],
                        "inner_auc": json.dumps({k: round(v, 4) for k, v in inner.items()})})
        logger.info("robust LOCO: %s held out -> %s, AUC %.3f", held.name, best,
                    row.get("auc", np.nan))
    table = pd.DataFrame(rows)
    predictions = pd.concat(preds, ignore_index=True)
    summary = summarise(table)
    comparison = paired_cohort_comparison(table, summary)
    pooled = predictions.dropna(subset=["probability"])
    rel = calibration_curve(pooled["y"].to_numpy(), pooled["probability"].to_numpy(),
                            n_bins=n_bins, strategy="quantile")
    model_rows = table.loc[table.predictor == "model"]
    settings = {
        "design": "nested leave-one-cohort-out" if nested and len(names) > 1
        else "leave-one-cohort-out",
        "candidates": names,
        "nested": nested,
        "n_bins": n_bins,
        "comparison": comparison,
        "pooled_brier": brier(pooled["y"].to_numpy(), pooled["probability"].to_numpy()),
        "pooled_brier_prevalence": float(
            np.nansum(model_rows["brier_prevalence"] * model_rows["n"]) / pooled.shape[0]
        ),
    }
    return RobustLoco(table, predictions, pd.DataFrame(choices), summary, rel, settings)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean / median AUC per predictor over the cohorts where it was scored.

    Returns
    -------
    pandas.DataFrame
    """
    out = []
    model = table[table.predictor == "model"].set_index("cohort")["auc"]
    for pred, block in table.groupby("predictor", sort=False):
        a = block.set_index("cohort")["auc"].dropna()
        same = model.reindex(a.index).dropna()
        out.append({"predictor": pred, "n_cohorts": int(a.size),
                    "mean_auc": float(a.mean()) if a.size else np.nan,
                    "median_auc": float(a.median()) if a.size else np.nan,
                    "model_mean_auc_same_cohorts": float(same.mean()) if same.size else np.nan})
    return pd.DataFrame(out)


def paired_cohort_comparison(
    table: pd.DataFrame, summary: pd.DataFrame, *, n_boot: int = 10_000, seed: int = 0
) -> dict[str, Any]:
    """Model vs the best published predictor on the cohorts where both were scored.

    The best published predictor is the one with the highest mean AUC over its cohorts.
    Sign test over cohorts (two-sided binomial test of model-better vs baseline-better;
    exact ties dropped) and a percentile bootstrap over cohorts of the mean AUC difference.

    Returns
    -------
    dict
    """
    pub = summary[summary.predictor != "model"].dropna(subset=["mean_auc"])
    best = str(pub.sort_values("mean_auc", ascending=False).iloc[0]["predictor"])
    wide = table.pivot_table(index="cohort", columns="predictor", values="auc")
    both = wide[["model", best]].dropna()
    d = (both["model"] - both[best]).to_numpy()
    wins, losses = int((d > 0).sum()), int((d < 0).sum())
    p_sign = float(binomtest(wins, wins + losses).pvalue) if wins + losses else 1.0
    rng = np.random.default_rng(seed)
    boots = d[rng.integers(0, d.size, size=(n_boot, d.size))].mean(axis=1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    verdict = ("model better" if lo > 0 else "baseline better" if hi < 0 else
               "tie (the 95% interval of the difference includes 0)")
    return {"best_published": best, "n_cohorts": int(d.size),
            "model_mean_auc": float(both["model"].mean()),
            "best_mean_auc": float(both[best].mean()), "mean_difference": float(d.mean()),
            "bootstrap_ci": [float(lo), float(hi)], "model_wins": wins, "model_losses": losses,
            "sign_test_p": p_sign, "verdict": verdict}
