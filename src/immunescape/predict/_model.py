"""A trainable response model: penalised logistic regression on per-cohort standardised scores.

:class:`ResponseModel` follows the scikit-learn estimator contract. It z-scores every feature
within each training cohort (:class:`~immunescape.predict.CohortStandardScaler`), fits a
penalised logistic regression with balanced class weights, and chooses its decision threshold
on the training data (:func:`~immunescape.predict.choose_threshold`). A new cohort is
standardised on itself (label-free) when it has at least ``min_cohort_size`` samples; a
single patient, or a handful, needs a reference cohort from the same platform.

Predictions in the ``predictions.tsv`` layout and per-sample drivers are in
:mod:`immunescape.predict._predictions`; saving and loading as JSON in
:mod:`immunescape.predict._json`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from immunescape._logging import logger
from immunescape._validate import check_choice, check_range
from immunescape._vocab import OnMissing
from immunescape.errors import InputError
from immunescape.predict._common import (
    NEW_COHORT,
    ModelStandardize,
    cohort_labels,
    listing,
    sigmoid,
)
from immunescape.predict._features import FEATURE_SETS
from immunescape.predict._scaling import _ALL, CohortStandardScaler
from immunescape.stats import ThresholdRule, choose_threshold

__all__ = ["ResponseModel"]

Penalty = Literal["l2", "l1", "elasticnet"]
class ResponseModel(ClassifierMixin, BaseEstimator):
    """Penalised logistic regression on per-cohort standardised features.

    ``fit`` z-scores every feature within each training cohort
    (:class:`~immunescape.predict.CohortStandardScaler`), fits
    :class:`sklearn.linear_model.LogisticRegression` with the chosen penalty and class
    weights, and chooses the decision threshold on the training data's in-sample
    probabilities (:func:`~immunescape.predict.choose_threshold`). ``predict`` calls a sample
    a responder when its probability is at least that threshold.

    Standardising new data: samples of a cohort seen in ``fit`` (same label) use that
    cohort's statistics; every other cohort is standardised on itself, which needs at least
    ``min_cohort_size`` samples of that cohort (its feature distribution only, never its
    labels). Fewer samples (down to one patient) need ``reference=``: feature scores of a
    reference cohort from the same platform, whose statistics are then used. A model fitted
    without cohort labels (or with ``standardize="global"``) applies the pooled training
    statistics to any data, as :class:`sklearn.preprocessing.StandardScaler` would.

    Parameters
    ----------
    features
        Feature ids to use: a name of :data:`FEATURE_SETS` (``"curated"``, ``"published"``,
        ``"axes"``), a list of column names of ``X``, or None for every column of ``X``
        (needed for plain arrays).
    penalty
        ``"l2"`` (lbfgs solver), ``"l1"`` or ``"elasticnet"`` (saga solver).
    C
        Inverse regularisation strength (smaller: stronger shrinkage).
    l1_ratio
        Elastic-net mixing (0 = l2, 1 = l1); required for ``penalty="elasticnet"`` only.
    standardize
        ``"cohort"``: z-score within each cohort (``fit(..., cohort=labels)``);
        ``"global"``: z-score with the pooled training statistics.
    class_weight
        Passed to LogisticRegression (``"balanced"`` weighs classes inversely to their
        frequency; None for equal weights; or a mapping).
    threshold
        Rule of :func:`~immunescape.predict.choose_threshold` applied to the training data
        (``"youden"``, ``"closest_topleft"``), or a fixed probability in (0, 1).
    min_cohort_size
        Fewest samples a cohort needs to be standardised on itself (in ``fit`` and when
        predicting on a new cohort).
    on_missing
        Named features absent from ``X`` or with missing values in the training data:
        ``"error"`` (default) raises :class:`~immunescape.errors.InputError` listing all of
        them; ``"drop"`` leaves them out (recorded in ``dropped_features_``).
    max_iter
        Solver iterations.
    seed
        Random state of the saga solver (l1, elastic net); lbfgs is deterministic.

    Attributes
    ----------
    classes_ : numpy.ndarray
        The two labels; ``classes_[1]`` is the responder (positive) class (1, "R", True).
    feature_names_in_ : numpy.ndarray
        Features the model uses, in order.
    n_features_in_ : int
        Their number.
    coef_ : numpy.ndarray of shape (n_features,)
        Coefficients on the standardised scale (log-odds per standard deviation).
    intercept_ : float
        Intercept (log-odds).
    threshold_ : float
        Decision threshold on the probability scale, chosen on the training data.
    threshold_info_ : dict
        Rule, sensitivity and specificity on the training data.
    scaler_ : CohortStandardScaler
        Training statistics (per cohort, or pooled).
    cohorts_ : list of str
        Training cohort labels (empty without labels).
    dropped_features_ : list of str
        Features left out with ``on_missing="drop"``.
    training_ : dict
        Samples, responders and cohorts seen in ``fit``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> y = np.tile([0, 1], 40)
    >>> X = pd.DataFrame({"cyt": rng.normal(size=80) + y, "impres": rng.normal(size=80)})
    >>> cohorts = np.repeat(["a", "b"], 40)
    >>> X.loc[cohorts == "b"] *= 5.0  # another platform, another scale
    >>> model = ResponseModel(features=["cyt", "impres"]).fit(X, y, cohort=cohorts)
    >>> model.predict_proba(X.iloc[:12], cohort=["new"] * 12).shape
    (12, 2)
    >>> bool(model.coef_[0] > model.coef_[1])
    True
    """

    def __init__(
        self,
        *,
        features: str | Sequence[str] | None = "curated",
        penalty: Penalty = "l2",
        C: float = 0.1,
        l1_ratio: float | None = None,
        standardize: ModelStandardize = "cohort",
        class_weight: str | Mapping[Any, float] | None = "balanced",
        threshold: ThresholdRule | float = "youden",
        min_cohort_size: int = 10,
        on_missing: OnMissing = "error",
        max_iter: int = 10_000,
        seed: int = 0,
    ) -> None:
        self.features = features
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.standardize = standardize
        self.class_weight = class_weight
        self.threshold = threshold
        self.min_cohort_size = min_cohort_size
        self.on_missing = on_missing
        self.max_iter = max_iter
        self.seed = seed

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    # ------------------------------------------------------------------ options
    def _check_options(self) -> None:
        check_choice("penalty", self.penalty, Penalty)
        check_range("C", self.C, low=0, low_open=True)
        if self.penalty == "elasticnet":
            if self.l1_ratio is None:
                raise InputError(
                    "penalty='elasticnet' needs l1_ratio in [0, 1]",
                    source="l1_ratio",
                    fix="e.g. l1_ratio=0.5",
                )
            check_range("l1_ratio", self.l1_ratio, low=0, high=1)
        elif self.l1_ratio is not None:
            raise InputError(
                f"l1_ratio is only used with penalty='elasticnet' (penalty={self.penalty!r})",
                source="l1_ratio",
                fix="leave l1_ratio=None, or use penalty='elasticnet'",
            )
        check_choice("standardize", self.standardize, ModelStandardize)
        if isinstance(self.threshold, str):
            check_choice("threshold", self.threshold, ThresholdRule)
        else:
            check_range("threshold", self.threshold, low=0, high=1, low_open=True, high_open=True)
        check_range("min_cohort_size", self.min_cohort_size, low=2, integer=True)
        check_choice("on_missing", self.on_missing, OnMissing)

    def _named_features(self) -> list[str] | None:
        feats = self.features
        if feats is None:
            return None
        if isinstance(feats, str):
            if feats not in FEATURE_SETS:
                raise InputError(
                    f"unknown feature set {feats!r}",
                    source="features",
                    fix=f"use one of {', '.join(map(repr, FEATURE_SETS))}, a list of column "
                    "names, or None for all columns",
                )
            return list(FEATURE_SETS[feats])
        names = [str(f) for f in feats]
        if not names:
            raise InputError("no features given", source="features", fix="name at least one")
        dup = sorted({f for f in names if names.count(f) > 1})
        if dup:
            raise InputError(
                f"duplicated feature(s): {listing(dup)}", source="features", fix="list each once"
            )
        return names

    # ------------------------------------------------------------------ fit
    def fit(self, X: object, y: object, *, cohort: object = None) -> ResponseModel:
        """Fit the model on training data.

        Parameters
        ----------
        X
            Samples x features: a DataFrame whose columns are feature ids (needed for named
            features), or a 2-D array with ``features=None``.
        y
            Outcome per sample, two classes (1/0, "R"/"NR", True/False); no missing values.
        cohort
            Cohort label per sample, for per-cohort standardisation; None: one cohort.

        Returns
        -------
        ResponseModel
            The fitted model.

        Raises
        ------
        InputError
            Bad options, missing features (all listed), missing values, one class only, more
            than two classes, a cohort smaller than ``min_cohort_size``.
        """
        self._check_options()
        names = self._named_features()
        dropped: list[str] = []
        if names is None:
            Xa, ya = validate_data(self, X, y, dtype=np.float64)
            feats = [str(f) for f in getattr(self, "feature_names_in_", [])] or [
                f"x{i}" for i in range(Xa.shape[1])
            ]
            has_names = hasattr(self, "feature_names_in_")
        else:
            if not isinstance(X, pd.DataFrame):
                raise InputError(
                    f"named features need a DataFrame with feature ids as columns, got "
                    f"{type(X).__name__}",
                    source="X",
                    fix="pass the scores table (runner.score(...).scores), or features=None",
                )
            if y is None:
                raise InputError(
                    "ResponseModel requires y to be passed, but the target y is None",
                    source="y",
                    fix="pass one outcome label per sample",
                )
            absent = [f for f in names if f not in X.columns]
            block = X[[f for f in names if f in X.columns]]
            try:
                block = block.apply(pd.to_numeric, errors="raise").astype(float)
            except (ValueError, TypeError):
                raise InputError(
                    "non-numeric feature values", source="X", fix="pass numeric scores"
                ) from None
            with_nan = [f for f in block.columns if block[f].isna().any()]
            if (absent or with_nan) and self.on_missing == "error":
                parts = []
                if absent:
                    parts.append(f"absent: {listing(absent)}")
                if with_nan:
                    counts = [f"{f} ({int(block[f].isna().sum())} NaN)" for f in with_nan]
                    parts.append(f"with missing values: {listing(counts)}")
                raise InputError(
                    f"{len(absent) + len(with_nan)} of {len(names)} model features unavailable "
                    f"in the training data; " + "; ".join(parts),
                    source="X",
                    fix="score with enough gene coverage (or a reference cohort for "
                    "cohort-relative scores), choose features=[...] without them, or pass "
                    "on_missing='drop'",
                )
            dropped = absent + with_nan
            feats = [f for f in names if f not in set(dropped)]
            if dropped:
                logger.warning(
                    "ResponseModel: %d feature(s) dropped (absent or with missing values in the "
                    "training data): %s",
                    len(dropped),
                    listing(dropped),
                )
            if not feats:
                raise InputError(
                    "no model feature is available in the training data",
                    source="X",
                    fix="check that X holds the scores of the features the model uses",
                )
            Xa = block[feats].to_numpy(dtype=np.float64)
            if not np.isfinite(Xa).all():
                raise InputError(
                    "infinite feature values", source="X", fix="replace them or drop the samples"
                )
            ya = column_or_1d(np.asarray(y), warn=True)
            if ya.shape[0] != Xa.shape[0]:
                raise InputError(
                    f"{Xa.shape[0]} samples in X but {ya.shape[0]} labels",
                    source="y",
                    fix="pass one label per row of X",
                )
            has_names = True
        if pd.isna(pd.Series(ya, dtype=object)).any():
            raise InputError(
                f"{int(pd.isna(pd.Series(ya, dtype=object)).sum())} missing outcome label(s)",
                source="y",
                fix="drop samples without a response label first",
            )
        check_classification_targets(ya)
        classes, y_index = np.unique(ya, return_inverse=True)
        if classes.size < 2:
            raise InputError(
                f"y has one class only ({classes[0]!r}); a classifier needs responders and "
                "non-responders",
                source="y",
                fix="train on data with both outcomes",
            )
        if classes.size > 2:
            raise InputError(
                f"Only binary classification is supported. The type of the target is "
                f"multiclass ({classes.size} classes)",
                source="y",
                fix="encode responders as 1 and non-responders as 0",
            )
        labels = cohort_labels(cohort, Xa.shape[0])
        scaler = CohortStandardScaler(handle_unknown="self")
        if self.standardize == "cohort" and labels is not None:
            counts = pd.Series(labels).value_counts()
            small = counts[counts < self.min_cohort_size]
            if len(small):
                listed = ", ".join(f"{k!r} ({v})" for k, v in small.items())
                raise InputError(
                    f"cohort(s) smaller than min_cohort_size={self.min_cohort_size}: {listed}",
                    source="cohort",
                    fix="merge small cohorts with a cohort of the same platform, or lower "
                    "min_cohort_size",
                )
            Z = scaler.fit_transform(Xa, cohort=labels)
            cohorts = [str(c) for c in scaler.cohorts_]
        else:
            Z = scaler.fit_transform(Xa)
            cohorts = []
        y01 = y_index.astype(np.int8)
        lr = LogisticRegression(
            C=float(self.C),
            l1_ratio={"l2": 0.0, "l1": 1.0}.get(self.penalty, self.l1_ratio),
            solver="lbfgs" if self.penalty == "l2" else "saga",
            class_weight=self._class_weight(classes),
            max_iter=int(self.max_iter),
            tol=1e-8 if self.penalty == "l2" else 1e-6,
            random_state=self.seed,
        )
        lr.fit(Z, y01)
        self.classes_ = classes
        if not has_names and hasattr(self, "feature_names_in_"):
            delattr(self, "feature_names_in_")
        if names is not None:
            self.feature_names_in_ = np.asarray(feats, dtype=object)
            self.n_features_in_ = len(feats)
        self.features_ = list(feats)
        self.coef_ = lr.coef_.ravel().astype(float)
        self.intercept_ = float(lr.intercept_[0])
        self.scaler_ = scaler
        self.cohorts_ = cohorts
        self.dropped_features_ = dropped
        self.estimator_ = lr
        self.n_iter_ = int(np.max(lr.n_iter_))
        proba = sigmoid(Z @ self.coef_ + self.intercept_)
        if isinstance(self.threshold, str):
            thr = choose_threshold(y01, proba, rule=self.threshold)
            value = float(thr.threshold)
            info = {
                "rule": thr.rule,
                "sensitivity": thr.sensitivity,
                "specificity": thr.specificity,
            }
        else:
            value = float(self.threshold)
            pred = proba >= value
            info = {
                "rule": "fixed",
                "sensitivity": float(pred[y01 == 1].mean()),
                "specificity": float((~pred[y01 == 0]).mean()),
            }
        self.threshold_ = value
        self.threshold_info_ = {
            **info,
            "scale": "probability",
            "n_pos": int(y01.sum()),
            "n_neg": int(y01.size - y01.sum()),
        }
        self.training_ = {
            "n_samples": int(y01.size),
            "n_responders": int(y01.sum()),
            "cohorts": {
                str(k): int(v) for k, v in pd.Series(labels).value_counts(sort=False).items()
            }
            if labels is not None
            else {},
        }
        return self

    def _class_weight(self, classes: np.ndarray) -> Any:
        cw = self.class_weight
        if cw is None or cw == "balanced":
            return cw
        if isinstance(cw, Mapping):
            index = {c: i for i, c in enumerate(classes.tolist())}
            unknown = [k for k in cw if k not in index]
            if unknown:
                raise InputError(
                    f"class_weight names unknown class(es) {unknown!r}",
                    source="class_weight",
                    fix=f"use the labels of y: {classes.tolist()!r}",
                )
            return {index[k]: float(v) for k, v in cw.items()}
        raise InputError(
            f"unknown class_weight={cw!r}",
            source="class_weight",
            fix="use 'balanced', None or a mapping label -> weight",
        )

    # ------------------------------------------------------------------ predict
    def _matrix(self, X: object) -> tuple[np.ndarray, pd.Index | None]:
        check_is_fitted(self)
        if self.features is None or not isinstance(X, pd.DataFrame):
            if self.features is not None:
                raise InputError(
                    f"the model uses named features; expected a DataFrame, got {type(X).__name__}",
                    source="X",
                    fix="pass the scores table with feature ids as columns",
                )
            Xa = validate_data(self, X, reset=False, dtype=np.float64)
            index = X.index if isinstance(X, pd.DataFrame) else None
            return Xa, index
        absent = [f for f in self.features_ if f not in X.columns]
        if absent:
            raise InputError(
                f"{len(absent)} model feature(s) absent from the data: {listing(absent)}",
                source="X",
                fix="score these signatures on the samples (immunescape.signatures.runner.score)",
            )
        block = X[self.features_]
        try:
            Xa = block.apply(pd.to_numeric, errors="raise").to_numpy(dtype=np.float64)
        except (ValueError, TypeError):
            raise InputError(
                "non-numeric feature values", source="X", fix="pass numeric scores"
            ) from None
        bad = ~np.isfinite(Xa)
        if bad.any():
            cols = [
                f"{f} ({int(n)})" for f, n in zip(self.features_, bad.sum(axis=0), strict=True) if n
            ]
            raise InputError(
                f"missing or infinite values in {int(bad.any(axis=1).sum())} sample(s), in "
                f"features: {listing(cols)}",
                source="X",
                fix="low gene coverage or a cohort-relative score without enough samples: "
                "rescore with a reference cohort (score(..., reference=...)), or drop those "
                "samples",
            )
        return Xa, X.index

    def _standardise(self, Xa: np.ndarray, cohort: object, reference: object) -> np.ndarray:
        scaler: CohortStandardScaler = self.scaler_
        pooled = scaler.cohorts_.size == 1 and scaler.cohorts_[0] == _ALL
        if reference is not None:
            if cohort is not None:
                raise InputError(
                    "give either cohort= or reference=, not both",
                    source="reference",
                    fix="drop one of them",
                )
            if pooled:
                raise InputError(
                    "this model applies its pooled training statistics; a reference cohort is "
                    "not used",
                    source="reference",
                    fix="drop reference=",
                )
            ref, _ = self._matrix(reference)
            if ref.shape[0] < self.min_cohort_size:
                raise InputError(
                    f"the reference cohort has {ref.shape[0]} samples; at least "
                    f"{self.min_cohort_size} are needed",
                    source="reference",
                    fix="use a larger reference cohort from the same platform",
                )
            return CohortStandardScaler().fit(ref).transform(Xa)
        if pooled:
            return scaler.transform(Xa)
        labels = cohort_labels(cohort, Xa.shape[0])
        if labels is None:
            labels = np.full(Xa.shape[0], NEW_COHORT, dtype=object)
        known = set(map(str, scaler.cohorts_))
        counts = pd.Series(labels[~np.isin(labels, list(known))]).value_counts()
        small = counts[counts < self.min_cohort_size]
        if len(small):
            listed = ", ".join(
                f"{k!r} ({v} sample{'s' if v != 1 else ''})" for k, v in small.items()
            )
            raise InputError(
                f"new cohort(s) too small to be standardised on themselves: {listed}; the model "
                f"needs at least {self.min_cohort_size} samples per cohort",
                source="cohort",
                fix="predict on the whole cohort at once, or pass reference= (feature scores of "
                f">= {self.min_cohort_size} samples from the same platform)",
            )
        return scaler.transform(Xa, cohort=labels)

    def decision_function(
        self, X: object, *, cohort: object = None, reference: object = None
    ) -> np.ndarray:
        """Log-odds of response: ``intercept_ + standardised features @ coef_``.

        Parameters
        ----------
        X
            Samples x features.
        cohort
            Cohort label per sample (see the class documentation); None: all samples of X
            form one new cohort (for a model fitted per cohort).
        reference
            Feature scores of a reference cohort whose statistics standardise X.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
        """
        Xa, _ = self._matrix(X)
        Z = self._standardise(Xa, cohort, reference)
        return Z @ self.coef_ + self.intercept_

    def predict_proba(
        self, X: object, *, cohort: object = None, reference: object = None
    ) -> np.ndarray:
        """Probabilities of the two classes (columns in the order of ``classes_``).

        Returns
        -------
        numpy.ndarray of shape (n_samples, 2)
        """
        p = sigmoid(self.decision_function(X, cohort=cohort, reference=reference))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: object, *, cohort: object = None, reference: object = None) -> np.ndarray:
        """Predicted labels: ``classes_[1]`` when the probability is >= ``threshold_``.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
        """
        p = self.predict_proba(X, cohort=cohort, reference=reference)[:, 1]
        return self.classes_[(p >= self.threshold_).astype(int)]


