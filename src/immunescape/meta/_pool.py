"""Random-effects pooling of per-cohort estimates, heterogeneity and subgroup differences.

* **DerSimonian-Laird** (``"DL"``): :func:`statsmodels.stats.meta_analysis.combine_effects`
  with ``method_re="dl"`` (the one-step moment estimator of tau²). statsmodels 0.15 leaves a
  negative moment estimate (Q < k - 1) as it is; it is truncated at 0 here, as DerSimonian &
  Laird (1986) and metafor define it (the pooled estimate is then the fixed-effect one).
* **REML** (``"REML"``): statsmodels offers DL and Paule-Mandel but no restricted maximum
  likelihood, the default of R ``metafor::rma``; :func:`reml_tau2` estimates tau² by Fisher
  scoring on the restricted log-likelihood of the random-effects model (Viechtbauer 2005, J
  Educ Behav Stat 30:261; the iteration metafor uses), started at the DL value, truncated
  at 0. Given tau², the pooled estimate is the inverse-variance weighted mean with weights
  ``1 / (v_i + tau²)`` and standard error ``1 / sqrt(sum w_i)``. The tests check it against
  metafor's published BCG example and a direct maximisation of the restricted likelihood.
* Heterogeneity: Cochran's Q (fixed-effect weights ``1 / v_i``) on ``k - 1`` degrees of
  freedom, and I² = tau² / (tau² + s²) with s² the "typical" within-cohort variance
  ``(k - 1) sum w / ((sum w)² - sum w²)`` (Higgins & Thompson 2002), as metafor reports it
  for every tau² estimator (for DL it equals (Q - df) / Q, truncated at 0).
* Subgroup difference: the random-effects estimates of the subgroups (each with its own
  tau²) are compared with Cochran's Q between them on ``G - 1`` degrees of freedom
  (Borenstein et al. 2009, Introduction to Meta-Analysis, ch. 19, "separate estimates of
  tau²"), computed with statsmodels ``combine_effects`` on the subgroup estimates.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
from scipy import stats

from immunescape._validate import check_choice

__all__ = ["PooledEstimate", "pool", "reml_tau2", "subgroup_difference", "METHODS"]

Method = Literal["REML", "DL"]
#: Estimators of the between-cohort variance, in the order written.
METHODS: tuple[Method, ...] = ("REML", "DL")


@dataclass(frozen=True)
class PooledEstimate:
    """A random-effects pooled estimate and its heterogeneity statistics."""

    method: str
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    tau2: float
    i2: float
    q: float
    q_df: int
    q_p: float

    def to_dict(self) -> dict[str, float | int | str]:
        """Return the fields as a plain dictionary."""
        return asdict(self)


def _arrays(effect: object, variance: object) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(effect, dtype=float).ravel()
    v = np.asarray(variance, dtype=float).ravel()
    if y.shape != v.shape:
        raise ValueError("effect and variance must have the same length")
    if y.size == 0 or not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise ValueError("effects must be finite and variances finite and positive")
    return y, v


def _q_stat(y: np.ndarray, v: np.ndarray) -> float:
    w = 1.0 / v
    mu = float(np.sum(w * y) / np.sum(w))
    return float(np.sum(w * (y - mu) ** 2))


def _i2(tau2: float, v: np.ndarray) -> float:
    k = v.size
    if k < 2:
        return float("nan")
    w = 1.0 / v
    s2 = (k - 1) * w.sum() / (w.sum() ** 2 - (w**2).sum())
    return float(tau2 / (tau2 + s2))


def _dl_tau2(y: np.ndarray, v: np.ndarray) -> float:
    from statsmodels.stats.meta_analysis import combine_effects

    if y.size < 2:
        return 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' unused HKSJ variance may be negative
        return max(float(combine_effects(y, v, method_re="dl").tau2), 0.0)


def reml_tau2(
    effect: object, variance: object, *, max_iter: int = 200, tol: float = 1e-10
) -> tuple[float, bool]:
    """Restricted maximum-likelihood estimate of tau² (random-effects model, no moderators).

    Fisher scoring: ``tau² <- tau² + (r'PPr - tr P) / tr(PP)`` with ``P = W - w w' / sum w``,
    ``W = diag(1 / (v_i + tau²))``, step halving to stay at or above 0, started at the
    DerSimonian-Laird value.

    Parameters
    ----------
    effect, variance
        Per-cohort estimates and their sampling variances (finite, variances > 0).
    max_iter, tol
        Iteration limit and convergence tolerance on the change of tau².

    Returns
    -------
    tuple
        (tau², converged).

    Examples
    --------
    >>> t2, ok = reml_tau2([0.1, 0.3, -0.2], [0.01, 0.02, 0.03])
    >>> round(t2, 4), ok
    (0.0311, True)
    """
    y, v = _arrays(effect, variance)
    if y.size < 2:
        return 0.0, True
    tau2 = max(_dl_tau2(y, v), 0.0)
    for _ in range(max_iter):
        w = 1.0 / (v + tau2)
        P = np.diag(w) - np.outer(w, w) / w.sum()
        Py = P @ y
        adj = (Py @ Py - np.trace(P)) / np.sum(P * P)
        new = tau2 + adj
        step = 1.0
        while new < 0:
            step /= 2.0
            new = tau2 + step * adj
            if step < 1e-12:
                new = 0.0
                break
        if abs(new - tau2) < tol:
            return (float(new) if new > tol else 0.0), True
        tau2 = new
    return float(tau2), False


def _from_tau2(method: str, y: np.ndarray, v: np.ndarray, tau2: float, alpha: float):
    w = 1.0 / (v + tau2)
    est = float(np.sum(w * y) / np.sum(w))
    se = float(np.sqrt(1.0 / np.sum(w)))
    return _result(method, y, v, tau2, est, se, alpha)


def _result(
    method: str, y: np.ndarray, v: np.ndarray, tau2: float, est: float, se: float, alpha: float
) -> PooledEstimate:
    k = y.size
    crit = float(stats.norm.ppf(1.0 - alpha / 2.0))
    z = est / se
    q = _q_stat(y, v) if k > 1 else float("nan")
    return PooledEstimate(
        method=method,
        k=int(k),
        estimate=est,
        se=se,
        ci_low=est - crit * se,
        ci_high=est + crit * se,
        z=float(z),
        p_value=float(2.0 * stats.norm.sf(abs(z))),
        tau2=float(tau2) if k > 1 else float("nan"),
        i2=_i2(tau2, v),
        q=q,
        q_df=int(k - 1),
        q_p=float(stats.chi2.sf(q, k - 1)) if k > 1 else float("nan"),
    )


def pool(
    effect: object, variance: object, *, method: Method = "REML", alpha: float = 0.05
) -> PooledEstimate:
    """Random-effects pooled estimate of per-cohort effects.

    Parameters
    ----------
    effect, variance
        Per-cohort estimates and their sampling variances (finite, variances > 0).
    method
        ``"REML"`` (tau² by :func:`reml_tau2`) or ``"DL"`` (statsmodels ``combine_effects``,
        DerSimonian-Laird).
    alpha
        1 - confidence level of the normal (Wald) interval.

    Returns
    -------
    PooledEstimate
        With a single cohort: its own estimate, tau², I² and Q undefined (NaN).

    Examples
    --------
    >>> r = pool([0.1, 0.3, -0.2], [0.01, 0.02, 0.03], method="DL")
    >>> round(r.estimate, 4), round(r.tau2, 4), round(r.i2, 3)
    (0.0845, 0.0275, 0.6)
    """
    y, v = _arrays(effect, variance)
    check_choice("method", method, Method)
    if y.size == 1:
        return _result(method, y, v, 0.0, float(y[0]), float(np.sqrt(v[0])), alpha)
    if method == "DL":
        from statsmodels.stats.meta_analysis import combine_effects

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = combine_effects(y, v, method_re="dl", alpha=alpha)
        if not res.tau2 > 0:  # statsmodels 0.15 does not truncate the DL tau² at 0
            return _from_tau2("DL", y, v, 0.0, alpha)
        return _result(
            "DL", y, v, float(res.tau2), float(res.mean_effect_re), float(res.sd_eff_w_re), alpha
        )
    tau2, converged = reml_tau2(y, v)
    if not converged:  # pragma: no cover - Fisher scoring converges for these models
        return _from_tau2("REML (not converged; DL tau2)", y, v, _dl_tau2(y, v), alpha)
    return _from_tau2(method, y, v, tau2, alpha)


def subgroup_difference(estimates: object, ses: object) -> tuple[float, int, float]:
    """Cochran's Q between subgroup estimates (test of subgroup difference).

    Parameters
    ----------
    estimates, ses
        The random-effects estimate of each subgroup and its standard error.

    Returns
    -------
    tuple
        (Q between, degrees of freedom G - 1, p-value); NaN with fewer than two subgroups.

    Examples
    --------
    >>> q, df, p = subgroup_difference([-0.9, -0.3], [0.2, 0.15])
    >>> round(q, 3), df, round(p, 4)
    (5.76, 1, 0.0164)
    """
    from statsmodels.stats.meta_analysis import combine_effects

    y = np.asarray(estimates, dtype=float)
    s = np.asarray(ses, dtype=float)
    ok = np.isfinite(y) & np.isfinite(s) & (s > 0)
    y, s = y[ok], s[ok]
    if y.size < 2:
        return float("nan"), 0, float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = float(combine_effects(y, s**2, method_re="dl").q)
    df = int(y.size - 1)
    return q, df, float(stats.chi2.sf(q, df))
