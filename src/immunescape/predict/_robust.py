"""A calibrated response model that predicts from whatever features a cohort has.

:class:`RobustModel` scores immune-checkpoint-blockade response from a few per-sample signature
scores grouped into *units* (one feature, or a concept such as T-cell inflammation made of
several scores). Three kinds share one machinery:

``consensus``
    The mean of the units' standardised scores with fixed, published signs (no label is
    used to weigh them).
``logistic``
    A penalised logistic regression on the standardised unit scores (balanced class
    weights).

Standardisation of a feature: within the sample's cohort (its own mean and SD, never its
labels) when the cohort has at least ``min_cohort_size`` samples with a value
(``standardize="cohort"``), otherwise with fixed reference statistics stored at training time
(the median of the training cohorts' means and the median of their SDs, on the training
scale: mostly log2 TPM). ``standardize="reference"`` always uses the reference statistics,
so that every patient is scored alone (cohort-free).

Missing features: a unit is available for a sample when at least one of its features has a
value; a sample is scored by the sub-model fitted *at training time* on exactly the units it
has (every non-empty subset of units is fitted and stored). Each sub-model's score is
standardised on the training data and mapped to a probability by its own calibrator (Platt or
isotonic), fitted on leave-one-cohort-out (out-of-cohort) scores of the training cohorts. A
sample with no unit at all cannot be scored.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from immunescape._validate import check_choice, check_range
from immunescape.errors import InputError
from immunescape.predict._common import NEW_COHORT, RobustStandardize, cohort_labels, sigmoid
from immunescape.predict._features import CANDIDATES
from immunescape.stats import choose_threshold

__all__ = ["RobustModel"]

Kind = Literal["consensus", "logistic"]
Calibration = Literal["auto", "platt", "isotonic"]
_MAX_UNITS = 8

def _key(subset: Sequence[int]) -> str:
    return ",".join(str(i) for i in subset)


class RobustModel:
    """Missing-feature tolerant, calibrated response model (see the module documentation).

    Parameters
    ----------
    units
        Unit name -> sequence of (feature id, sign); a unit's score is the mean of its
        available features' signed standardised values.
    kind
        ``"consensus"`` (mean of the unit scores) or ``"logistic"`` (penalised logistic
        regression on them).
    C
        Inverse L2 regularisation strength (``kind="logistic"``).
    standardize
        ``"cohort"`` (within-cohort z-scores, reference statistics for cohorts smaller than
        ``min_cohort_size``) or ``"reference"`` (always the stored reference statistics).
    min_cohort_size
        Fewest samples (with a value) a cohort needs to be standardised on itself.
    calibration
        ``"auto"`` (Platt or isotonic, whichever has the lower leave-one-cohort-out Brier
        score on the training cohorts' out-of-cohort scores), ``"platt"`` or ``"isotonic"``.
    name
        Label of the configuration.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> y = np.tile([0, 1], 60)
    >>> X = pd.DataFrame({"cyt": rng.normal(size=120) + y, "impres": rng.normal(size=120) + y})
    >>> m = RobustModel({"cyt": [("cyt", 1)], "impres": [("impres", 1)]}).fit(
    ...     X, y, cohort=np.repeat(["a", "b", "c"], 40))
    >>> out = m.predict_frame(X.iloc[:1][["cyt"]])   # one patient, one feature
    >>> out.loc[0, "features_used"], out.loc[0, "standardisation"]
    ('cyt', 'reference')
    """

    def __init__(
        self,
        units: Mapping[str, Sequence[tuple[str, int]]],
        *,
        kind: Kind = "consensus",
        C: float = 0.1,
        standardize: RobustStandardize = "cohort",
        min_cohort_size: int = 10,
        calibration: Calibration = "auto",
        name: str = "robust",
    ) -> None:
        check_choice("kind", kind, Kind)
        check_choice("standardize", standardize, RobustStandardize)
        check_choice("calibration", calibration, Calibration)
        check_range("C", C, low=0, low_open=True)
        check_range("min_cohort_size", min_cohort_size, low=2, integer=True)
        if not units or len(units) > _MAX_UNITS:
            raise InputError(f"a model needs 1 to {_MAX_UNITS} units, got {len(units)}",
                             source="units", fix="group features into fewer units")
        self.units = {str(k): tuple((str(f), int(s)) for f, s in v) for k, v in units.items()}
        self.kind = kind
        self.C = float(C)
        self.standardize = standardize
        self.min_cohort_size = int(min_cohort_size)
        self.calibration = calibration
        self.name = name

    @classmethod
    def from_candidate(cls, name: str, **overrides: Any) -> RobustModel:
        """Build the model of a :data:`CANDIDATES` entry.

        Returns
        -------
        RobustModel
        """
        check_choice("name", name, CANDIDATES)
        params = {**CANDIDATES[name], **overrides}
        units = params.pop("units")
        return cls(units, name=name, **params)

    # ------------------------------------------------------------------ features
    @property
    def features(self) -> list[str]:
        """Every feature id the model can use, in unit order."""
        return list(dict.fromkeys(f for v in self.units.values() for f, _ in v))

    @property
    def unit_names(self) -> list[str]:
        """Unit names, in order."""
        return list(self.units)

    def _raw(self, X: pd.DataFrame) -> np.ndarray:
        cols = []
        for f in self.features:
            if f in X.columns:
                col = pd.to_numeric(X[f], errors="coerce").to_numpy(dtype=float)
                col = np.where(np.isfinite(col), col, np.nan)
            else:
                col = np.full(X.shape[0], np.nan)
            cols.append(col)
        return np.column_stack(cols) if cols else np.empty((X.shape[0], 0))

    def _standardise(
        self, raw: np.ndarray, labels: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Z-scores (NaN where missing) and the standardisation used per sample."""
        Z = np.full(raw.shape, np.nan)
        mode = np.full(raw.shape[0], "reference", dtype=object)
        ref_mean, ref_scale = self.reference_mean_, self.reference_scale_
        for lab in pd.unique(labels):
            rows = labels == lab
            block = raw[rows]
            for j in range(block.shape[1]):
                col = block[:, j]
                ok = np.isfinite(col)
                if not ok.any():
                    continue
                sd = np.std(col[ok], ddof=1) if ok.sum() > 1 else 0.0
                if self.standardize == "cohort" and ok.sum() >= self.min_cohort_size and sd > 0:
                    Z[np.flatnonzero(rows)[ok], j] = (col[ok] - col[ok].mean()) / sd
                    mode[np.flatnonzero(rows)[ok]] = "cohort"
                elif np.isfinite(ref_mean[j]):
                    Z[np.flatnonzero(rows)[ok], j] = (col[ok] - ref_mean[j]) / ref_scale[j]
        return Z, mode

    def _unit_scores(self, Z: np.ndarray) -> np.ndarray:
        index = {f: j for j, f in enumerate(self.features)}
        out = np.full((Z.shape[0], len(self.units)), np.nan)
        for u, members in enumerate(self.units.values()):
            block = np.column_stack([s * Z[:, index[f]] for f, s in members])
            have = np.isfinite(block).any(axis=1)
            with np.errstate(invalid="ignore"):
                out[have, u] = np.nanmean(block[have], axis=1)
        return out

    @staticmethod
    def _labels(cohort: object, n: int) -> np.ndarray:
        labels = cohort_labels(cohort, n)
        return np.full(n, NEW_COHORT, dtype=object) if labels is None else labels

    # ------------------------------------------------------------------ fit
    def fit(
        self, X: pd.DataFrame, y: object, *, cohort: object, calibrate: bool = True
    ) -> RobustModel:
        """Fit on labelled training cohorts.

        Parameters
        ----------
        X
            Samples x feature ids (NaN where a feature could not be scored).
        y
            1 for responders, 0 otherwise.
        cohort
            Cohort label per sample (at least three cohorts for calibration).
        calibrate
            Fit the calibrators (leave-one-cohort-out over the training cohorts). Without
            it only ``score`` is available (enough to rank samples).

        Returns
        -------
        RobustModel
        """
        y01 = np.asarray(y, dtype=float)
        labels = self._labels(cohort, X.shape[0])
        if y01.shape != (X.shape[0],) or not np.isin(y01, (0.0, 1.0)).all():
            raise InputError("y must hold one 0/1 label per sample", source="y",
                             fix="1 = responder, 0 = non-responder")
        raw = self._raw(X)
        # reference statistics: median of the cohorts' means and of their SDs (label-free;
        # the median keeps a few cohorts on another scale, e.g. NanoString, from shifting it)
        means, sds = [], []
        for lab in pd.unique(labels):
            block = raw[labels == lab]
            with np.errstate(invalid="ignore"), _quiet():
                means.append(np.nanmean(block, axis=0))
                sds.append(np.nanstd(block, axis=0, ddof=1))
        M, S = np.vstack(means), np.vstack(sds)
        with _quiet():
            self.reference_mean_ = np.nanmedian(M, axis=0)
            self.reference_scale_ = np.nanmedian(S, axis=0)
        self.reference_scale_ = np.where(
            np.isfinite(self.reference_scale_) & (self.reference_scale_ > 0),
            self.reference_scale_, 1.0)
        Z, _ = self._standardise(raw, labels)
        U = self._unit_scores(Z)
        with _quiet():
            self.unit_mean_ = np.nan_to_num(np.nanmean(U, axis=0))
            sd = np.nanstd(U, axis=0, ddof=1)
        self.unit_scale_ = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
        missing = [u for u, ok in zip(self.units, np.isfinite(U).any(axis=0), strict=True)
                   if not ok]
        if len(missing) == len(self.units):
            raise InputError("no model feature has a value in the training data", source="X",
                             fix="score the model's signatures on the training cohorts")
        self.U_ = (U - self.unit_mean_) / self.unit_scale_
        self.y_ = y01
        self.cohort_ = labels
        self.prevalence_ = float(y01.mean())
        self.training_ = {
            "n_samples": int(y01.size),
            "n_responders": int(y01.sum()),
            "cohorts": {str(k): int(v) for k, v in pd.Series(labels).value_counts(
                sort=False).items()},
            "units_without_data": missing,
        }
        self.submodels_: dict[str, dict[str, Any] | None] = {}
        self.calibrate_ = bool(calibrate)
        self.fitted_ = True
        return self

    def _fit_sub(self, subset: tuple[int, ...], rows: np.ndarray) -> dict[str, Any] | None:
        U, y = self.U_[rows][:, list(subset)], self.y_[rows]
        ok = np.isfinite(U).all(axis=1)
        U, y = U[ok], y[ok]
        if U.shape[0] < 4 or y.min() == y.max():
            return None
        if self.kind == "consensus":
            coef, intercept = np.full(len(subset), 1.0 / len(subset)), 0.0
        else:
            lr = LogisticRegression(C=self.C, class_weight="balanced", max_iter=10_000, tol=1e-8)
            lr.fit(U, y)
            coef, intercept = lr.coef_.ravel().astype(float), float(lr.intercept_[0])
        d = U @ coef + intercept
        sd = float(np.std(d, ddof=1)) if d.size > 1 else 1.0
        return {"coef": coef, "intercept": intercept, "mean": float(d.mean()),
                "scale": sd if sd > 0 else 1.0}

    @staticmethod
    def _apply(sub: Mapping[str, Any], U: np.ndarray) -> np.ndarray:
        return (U @ np.asarray(sub["coef"]) + sub["intercept"] - sub["mean"]) / sub["scale"]

    def _submodel(self, subset: tuple[int, ...]) -> dict[str, Any] | None:
        key = _key(subset)
        if key in self.submodels_:
            return self.submodels_[key]
        if not hasattr(self, "U_"):
            return None
        sub = self._fit_sub(subset, np.ones(self.y_.size, dtype=bool))
        if sub is not None and self.calibrate_:
            oof = self._oof(subset)  # one set of cross-cohort refits serves both
            sub["calibrator"] = self._calibrate(oof)
            sub["threshold"] = self._threshold(oof, sub)
        self.submodels_[key] = sub
        return sub

    def _oof(self, subset: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Out-of-cohort standardised scores of the training samples having ``subset``."""
        U = self.U_[:, list(subset)]
        have = np.isfinite(U).all(axis=1)
        scores = np.full(self.y_.size, np.nan)
        for lab in pd.unique(self.cohort_):
            test = (self.cohort_ == lab) & have
            if not test.any():
                continue
            sub = self._fit_sub(subset, self.cohort_ != lab)
            if sub is None:
                continue
            scores[test] = self._apply(sub, U[test])
        ok = np.isfinite(scores)
        return scores[ok], self.y_[ok], self.cohort_[ok]

    def _calibrate(self, oof: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[str, Any]:
        s, y, lab = oof
        if s.size < 10 or y.min() == y.max():
            return {"method": "prevalence", "value": self.prevalence_}
        methods = ["platt", "isotonic"] if self.calibration == "auto" else [self.calibration]
        chosen, loco_brier = methods[0], {}
        if len(methods) > 1 and np.unique(lab).size >= 3:
            for m in methods:
                err = []
                for c in np.unique(lab):
                    tr, te = lab != c, lab == c
                    if y[tr].min() == y[tr].max():
                        continue
                    p = _calib_apply(_calib_fit(m, s[tr], y[tr]), s[te])
                    err.append(np.mean((p - y[te]) ** 2))
                loco_brier[m] = float(np.mean(err)) if err else np.inf
            chosen = min(methods, key=lambda m: loco_brier[m])
        cal = _calib_fit(chosen, s, y)
        cal["loco_brier"] = loco_brier
        cal["n"] = int(s.size)
        return cal

    def _threshold(
        self, oof: tuple[np.ndarray, np.ndarray, np.ndarray], sub: Mapping[str, Any]
    ) -> float:
        s, y, _ = oof
        if s.size < 4 or y.min() == y.max():
            return 0.5
        p = _calib_apply(sub["calibrator"], s)
        return float(choose_threshold(y, p, rule="youden").threshold)

    def precompute(self) -> RobustModel:
        """Fit (and calibrate) the sub-model of every non-empty subset of units.

        Returns
        -------
        RobustModel
        """
        k = len(self.units)
        for r in range(1, k + 1):
            for subset in itertools.combinations(range(k), r):
                self._submodel(subset)
        return self

    # ------------------------------------------------------------------ predict
    def predict_frame(self, X: pd.DataFrame, *, cohort: object = None) -> pd.DataFrame:
        """Score samples; every sample uses the sub-model of the units it has.

        Parameters
        ----------
        X
            Samples x feature ids (absent columns and NaN values are missing features).
        cohort
            Cohort label per sample (one label for all by default): cohorts of at least
            ``min_cohort_size`` samples are standardised on themselves.

        Returns
        -------
        pandas.DataFrame
            ``sample_id, score`` (standardised sub-model score), ``probability``
            (calibrated; NaN without calibration), ``predicted`` (R/NR at the sub-model's
            threshold), ``features_used`` (comma-separated feature ids), ``units_used``,
            ``standardisation`` (cohort / reference). Samples without any unit have NaN
            scores and an empty ``features_used``.
        """
        if not getattr(self, "fitted_", False):
            raise InputError("the model is not fitted", source="model", fix="fit it first")
        if not isinstance(X, pd.DataFrame):
            raise InputError("expected a DataFrame of feature scores", source="X",
                             fix="pass samples x feature ids")
        labels = self._labels(cohort, X.shape[0])
        raw = self._raw(X)
        Z, mode = self._standardise(raw, labels)
        U = (self._unit_scores(Z) - self.unit_mean_) / self.unit_scale_
        n = X.shape[0]
        score, prob, thr = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        used_f = np.full(n, "", dtype=object)
        used_u = np.full(n, "", dtype=object)
        have = np.isfinite(U)
        patterns = pd.Series([tuple(np.flatnonzero(r)) for r in have])
        feats = self.features
        for subset, idx in patterns.groupby(patterns).groups.items():
            rows = np.asarray(idx)
            subset = tuple(int(i) for i in subset)
            if not subset:
                continue
            sub = self._submodel(subset)
            while sub is None and len(subset) > 1:  # too few training samples: drop a unit
                subset = subset[:-1]
                sub = self._submodel(subset)
            if sub is None:
                continue
            s = self._apply(sub, U[np.ix_(rows, list(subset))])
            score[rows] = s
            if "calibrator" in sub:
                prob[rows] = _calib_apply(sub["calibrator"], s)
                thr[rows] = sub["threshold"]
            names = [self.unit_names[i] for i in subset]
            used_u[rows] = ",".join(names)
            fidx = {f: j for j, f in enumerate(feats)}
            for r in rows:
                used_f[r] = ",".join(
                    f for u in names for f, _ in self.units[u] if np.isfinite(Z[r, fidx[f]]))
        calls = np.where(prob >= thr, "R", "NR").astype(object)
        calls[np.isnan(prob)] = None
        predicted = pd.array(calls, dtype="string")
        return pd.DataFrame({
            "sample_id": [str(s) for s in X.index],
            "score": score,
            "probability": prob,
            "predicted": predicted,
            "features_used": used_f,
            "units_used": used_u,
            "standardisation": np.where(used_f == "", "", mode),
        })

    # sklearn-like conveniences
    def predict_proba(self, X: pd.DataFrame, *, cohort: object = None) -> np.ndarray:
        """Calibrated probabilities (n_samples, 2).

        Returns
        -------
        numpy.ndarray
        """
        p = self.predict_frame(X, cohort=cohort)["probability"].to_numpy(dtype=float)
        return np.column_stack([1 - p, p])


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence numpy's warnings for all-NaN slices (handled explicitly)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _calib_fit(method: str, s: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    if method == "platt":
        lr = LogisticRegression(C=1e6, max_iter=10_000, tol=1e-10).fit(s[:, None], y)
        return {"method": "platt", "a": float(lr.coef_[0, 0]), "b": float(lr.intercept_[0])}
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(s, y)
    return {"method": "isotonic", "x": iso.X_thresholds_.tolist(),
            "y": iso.y_thresholds_.tolist()}


def _calib_apply(cal: Mapping[str, Any], s: np.ndarray) -> np.ndarray:
    s = np.asarray(s, dtype=float)
    if cal["method"] == "platt":
        return sigmoid(cal["a"] * s + cal["b"])
    if cal["method"] == "isotonic":
        return np.interp(s, np.asarray(cal["x"]), np.asarray(cal["y"]))
    return np.full(s.shape, float(cal["value"]))
