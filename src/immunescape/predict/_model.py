"""A trainable response model: penalised logistic regression on per-cohort standardised scores.

:class:`ResponseModel` follows the scikit-learn estimator contract. It z-scores every feature
within each training cohort (:class:`~immunescape.predict.CohortStandardScaler`), fits a
penalised logistic regression with balanced class weights, and chooses its decision threshold
on the training data (:func:`~immunescape.predict.choose_threshold`). A new cohort is
standardised on itself (label-free) when it has at least ``min_cohort_size`` samples; a
single patient, or a handful, needs a reference cohort from the same platform.

Models are saved as JSON (:func:`save_model`, :func:`load_model`): feature ids, the
standardisation policy and statistics, coefficients, intercept, threshold, training provenance,
package version and schema version. Loading parses JSON only and never executes code.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from immunescape._logging import logger
from immunescape._version import __version__
from immunescape.errors import InputError
from immunescape.predict._scaling import _ALL, CohortStandardScaler
from immunescape.stats import choose_threshold

__all__ = [
    "FEATURE_SETS",
    "MODEL_SCHEMA",
    "MODEL_SCHEMA_VERSION",
    "ResponseModel",
    "drivers",
    "load_builtin_model",
    "load_model",
    "predict_table",
    "save_model",
]

#: Schema name and version written into every saved model.
MODEL_SCHEMA = "immunescape.response_model"
MODEL_SCHEMA_VERSION = 1

#: Named feature sets (ids of :func:`immunescape.signatures.runner.score` features).
#:
#: ``curated``
#:     Broad curated set of per-patient immune descriptors that work on any whole-transcriptome
#:     platform: T-cell inflammation and cytotoxicity (cyt, ifng6, gep18, expanded_immune18,
#:     cd8_teff), checkpoint balance (impres) and ligand (gene_CD274), TGF-beta / stromal
#:     exclusion (pan_ftbrs, progeny_tgfb), IFN signalling (progeny_jak_stat), the ten
#:     MCP-counter cell populations, tumour-intrinsic immune resistance (jerby_resistance),
#:     immunophenoscore (ips) and tertiary lymphoid structures (tls9).
#: ``published``
#:     The five published expression predictors compared against in the model card: impres,
#:     gep18, cyt, ifng6, gene_CD274.
#: ``axes``
#:     One representative per biological axis, so that the large block of correlated T-cell
#:     scores does not dominate a penalised fit: checkpoint balance (impres), T-cell-inflamed
#:     expression (gep18), antigen presentation (ips_mhc), TGF-beta stromal exclusion
#:     (pan_ftbrs), B cells / tertiary lymphoid structures (tls9).
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "curated": (
        "cyt",
        "ifng6",
        "gep18",
        "expanded_immune18",
        "cd8_teff",
        "impres",
        "gene_CD274",
        "pan_ftbrs",
        "progeny_tgfb",
        "progeny_jak_stat",
        "mcp_t_cells",
        "mcp_cd8_t_cells",
        "mcp_cytotoxic_lymphocytes",
        "mcp_b_lineage",
        "mcp_nk_cells",
        "mcp_monocytic_lineage",
        "mcp_myeloid_dendritic_cells",
        "mcp_neutrophils",
        "mcp_endothelial_cells",
        "mcp_fibroblasts",
        "jerby_resistance",
        "ips",
        "tls9",
    ),
    "published": ("impres", "gep18", "cyt", "ifng6", "gene_CD274"),
    "axes": ("impres", "gep18", "ips_mhc", "pan_ftbrs", "tls9"),
}

Penalty = Literal["l2", "l1", "elasticnet"]
Standardize = Literal["cohort", "global"]
ThresholdOption = Literal["youden", "closest_topleft"]
OnMissing = Literal["error", "drop"]

_BUILTIN = "builtin_model.json"
_MAX_MODEL_BYTES = 5_000_000


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _listing(items: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(map(str, items[:limit]))
    return shown + (f" ... ({len(items)} in all)" if len(items) > limit else "")


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
        standardize: Standardize = "cohort",
        class_weight: str | Mapping[Any, float] | None = "balanced",
        threshold: ThresholdOption | float = "youden",
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
        if self.penalty not in ("l2", "l1", "elasticnet"):
            raise InputError(
                f"unknown penalty={self.penalty!r}",
                source="penalty",
                fix="use 'l2', 'l1' or 'elasticnet'",
            )
        if not (isinstance(self.C, int | float) and self.C > 0 and math.isfinite(self.C)):
            raise InputError(
                f"C must be a positive number, got {self.C!r}", source="C", fix="e.g. C=0.1"
            )
        if self.penalty == "elasticnet":
            if not (isinstance(self.l1_ratio, int | float) and 0.0 <= self.l1_ratio <= 1.0):
                raise InputError(
                    f"penalty='elasticnet' needs l1_ratio in [0, 1], got {self.l1_ratio!r}",
                    source="l1_ratio",
                    fix="e.g. l1_ratio=0.5",
                )
        elif self.l1_ratio is not None:
            raise InputError(
                f"l1_ratio is only used with penalty='elasticnet' (penalty={self.penalty!r})",
                source="l1_ratio",
                fix="leave l1_ratio=None, or use penalty='elasticnet'",
            )
        if self.standardize not in ("cohort", "global"):
            raise InputError(
                f"unknown standardize={self.standardize!r}",
                source="standardize",
                fix="use 'cohort' or 'global'",
            )
        thr = self.threshold
        if isinstance(thr, str):
            if thr not in ("youden", "closest_topleft"):
                raise InputError(
                    f"unknown threshold rule {thr!r}",
                    source="threshold",
                    fix="use 'youden', 'closest_topleft' or a probability in (0, 1)",
                )
        elif not (isinstance(thr, int | float) and 0.0 < float(thr) < 1.0):
            raise InputError(
                f"threshold must be a rule or a probability in (0, 1), got {thr!r}",
                source="threshold",
                fix="e.g. threshold='youden' or threshold=0.5",
            )
        if not (isinstance(self.min_cohort_size, int | np.integer) and self.min_cohort_size >= 2):
            raise InputError(
                f"min_cohort_size must be an integer >= 2, got {self.min_cohort_size!r}",
                source="min_cohort_size",
                fix="e.g. min_cohort_size=10",
            )
        if self.on_missing not in ("error", "drop"):
            raise InputError(
                f"unknown on_missing={self.on_missing!r}",
                source="on_missing",
                fix="use 'error' or 'drop'",
            )

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
                f"duplicated feature(s): {_listing(dup)}", source="features", fix="list each once"
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
                    parts.append(f"absent: {_listing(absent)}")
                if with_nan:
                    counts = [f"{f} ({int(block[f].isna().sum())} NaN)" for f in with_nan]
                    parts.append(f"with missing values: {_listing(counts)}")
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
                    _listing(dropped),
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
        labels = self._cohort_labels(cohort, Xa.shape[0], "cohort")
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
        proba = _sigmoid(Z @ self.coef_ + self.intercept_)
        if isinstance(self.threshold, str):
            thr = choose_threshold(y01, proba, rule=self.threshold)  # type: ignore[arg-type]
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

    @staticmethod
    def _cohort_labels(cohort: object, n: int, source: str) -> np.ndarray | None:
        if cohort is None:
            return None
        labels = np.asarray(cohort, dtype=object)
        if labels.ndim == 0:
            labels = np.full(n, labels.item(), dtype=object)
        if labels.ndim != 1 or labels.shape[0] != n:
            raise InputError(
                f"expected {n} cohort labels (one per sample), got shape {labels.shape}",
                source=source,
                fix="pass one cohort label per row of X (or one label for all)",
            )
        if pd.isna(pd.Series(labels)).any():
            raise InputError("missing cohort label(s)", source=source, fix="label every sample")
        return np.asarray([str(v) for v in labels], dtype=object)

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
                f"{len(absent)} model feature(s) absent from the data: {_listing(absent)}",
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
                f"features: {_listing(cols)}",
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
        labels = self._cohort_labels(cohort, Xa.shape[0], "cohort")
        if labels is None:
            labels = np.full(Xa.shape[0], "<new cohort>", dtype=object)
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
        p = _sigmoid(self.decision_function(X, cohort=cohort, reference=reference))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: object, *, cohort: object = None, reference: object = None) -> np.ndarray:
        """Predicted labels: ``classes_[1]`` when the probability is >= ``threshold_``.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
        """
        p = self.predict_proba(X, cohort=cohort, reference=reference)[:, 1]
        return self.classes_[(p >= self.threshold_).astype(int)]


# ---------------------------------------------------------------------- drivers
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
        Samples x model features (index as X); ``attrs["intercept"]`` holds the intercept.

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
    out.attrs["intercept"] = model.intercept_
    return out


def predict_table(
    model: ResponseModel,
    X: pd.DataFrame,
    *,
    name: str = "response_model",
    cohort: object = None,
    reference: object = None,
) -> pd.DataFrame:
    """Predictions in the ``predictions.tsv`` layout.

    Parameters
    ----------
    model
        A fitted :class:`ResponseModel`.
    X
        Samples x features; the index gives the sample ids.
    name
        Value of the ``model`` column.
    cohort, reference
        As in :meth:`ResponseModel.decision_function`.

    Returns
    -------
    pandas.DataFrame
        ``sample_id``, ``model``, ``score`` (log-odds), ``probability``, ``predicted`` ("R" if
        the probability reaches the model's training threshold, else "NR").

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"cyt": [0.0, 1.0, 2.0, 3.0]}, index=["p1", "p2", "p3", "p4"])
    >>> m = ResponseModel(features=["cyt"], standardize="global").fit(X, [0, 0, 1, 1])
    >>> predict_table(m, X)["predicted"].tolist()
    ['NR', 'NR', 'R', 'R']
    """
    from immunescape.predict._robust import RobustModel

    if isinstance(model, RobustModel):
        return _robust_table(model, X, name=name, cohort=cohort, reference=reference)
    if not isinstance(model, ResponseModel):
        raise InputError(
            f"expected a ResponseModel, got {type(model).__name__}",
            source="model",
            fix="fit or load a ResponseModel first",
        )
    named = isinstance(X, pd.DataFrame) and model.features is not None
    if named and _missing_report(X, model.features_):
        return _tolerant_table(model, X, name=name, cohort=cohort, reference=reference)
    try:
        score = model.decision_function(X, cohort=cohort, reference=reference)
    except InputError:
        if not (named and cohort is None and reference is None):
            raise
        # a cohort too small to be standardised on itself: training statistics
        return _tolerant_table(model, X, name=name, cohort=cohort, reference=reference)
    proba = _sigmoid(score)
    ids = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(score))
    out = pd.DataFrame(
        {
            "sample_id": [str(s) for s in ids],
            "model": name,
            "score": score,
            "probability": proba,
            "predicted": pd.array(np.where(proba >= model.threshold_, "R", "NR"), dtype="string"),
        }
    )
    out.attrs.update({"threshold": model.threshold_, "features": list(model.features_)})
    return out


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
    model: Any, X: pd.DataFrame, *, name: str, cohort: object, reference: object
) -> pd.DataFrame:
    if reference is not None:
        if not isinstance(reference, pd.DataFrame):
            raise InputError("reference must be a table of feature scores", source="reference",
                             fix="pass the reference cohort's scores")
        both = pd.concat([reference, X], axis=0, sort=False)
        labels = np.asarray(["<reference>"] * reference.shape[0] + ["<reference>"] * X.shape[0],
                            dtype=object)
        frame = model.predict_frame(both, cohort=labels).iloc[reference.shape[0]:]
        frame = frame.reset_index(drop=True)
    else:
        frame = model.predict_frame(X, cohort=cohort)
    if frame["features_used"].eq("").all():
        raise InputError(
            f"none of the model's features can be scored on these samples (it needs at least "
            f"one of: {_listing(model.features)})",
            source="expression",
            fix="give expression covering the model's signature genes (see the model card)",
        )
    out = frame.drop(columns=["units_used"])
    out.insert(1, "model", name)
    missing = _missing_report(X, model.features)
    out.attrs.update({"features": list(model.features), "missing_features": missing,
                      "unscored_samples": int(frame["features_used"].eq("").sum())})
    return out


def _tolerant_table(
    model: ResponseModel, X: pd.DataFrame, *, name: str, cohort: object, reference: object
) -> pd.DataFrame:
    """ResponseModel predictions that tolerate missing features and small cohorts.

    A missing feature value is imputed by the cohort mean (standardised value 0: the feature
    contributes nothing); a cohort too small to be standardised on itself, without
    ``reference``, uses the training cohorts' average statistics.
    """
    feats = list(model.features_)
    missing = _missing_report(X, feats)
    if len(missing) == len(feats) and all(v == X.shape[0] for v in missing.values()):
        raise InputError(
            f"none of the model's features has a value (it needs: {_listing(feats)})",
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
    proba = _sigmoid(score)
    out = pd.DataFrame({
        "sample_id": [str(s) for s in X.index],
        "model": name,
        "score": score,
        "probability": proba,
        "predicted": pd.array(np.where(proba >= model.threshold_, "R", "NR"), dtype="string"),
        "features_used": [",".join(f for f, u in zip(feats, row, strict=True) if u)
                          for row in used],
        "standardisation": mode,
    })
    out.attrs.update({"threshold": model.threshold_, "features": feats,
                      "missing_features": missing,
                      "missing_policy": "cohort-mean imputation (standardised value 0)"})
    return out


# ---------------------------------------------------------------------- JSON I/O
def _plain(value: Any) -> Any:
    """JSON-safe copy (numpy scalars and arrays to Python)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        v = float(value)
        return v if math.isfinite(v) else None
    return value


def _label(value: Any) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value)
    if isinstance(value, str):
        return value
    raise InputError(
        f"class label {value!r} cannot be saved",
        source="y",
        fix="use 0/1, strings or booleans as labels",
    )


def model_to_dict(
    model: ResponseModel,
    *,
    provenance: Mapping[str, Any] | None = None,
    include_cohort_statistics: bool = True,
) -> dict[str, Any]:
    """Return the JSON document of a fitted model (see :func:`save_model`).

    Returns
    -------
    dict
        JSON-serialisable.
    """
    if not isinstance(model, ResponseModel):
        raise InputError(
            f"expected a ResponseModel, got {type(model).__name__}",
            source="model",
            fix="fit a ResponseModel first",
        )
    check_is_fitted(model)
    scaler: CohortStandardScaler = model.scaler_
    pooled = scaler.cohorts_.size == 1 and scaler.cohorts_[0] == _ALL
    if pooled:
        policy = "global" if model.standardize == "global" else "pooled"
        stats = [
            {
                "cohort": None,
                "n": int(scaler.n_samples_seen_[0]),
                "mean": scaler.mean_[0],
                "scale": scaler.scale_[0],
            }
        ]
    else:
        policy = "cohort"
        stats = (
            [
                {"cohort": str(c), "n": int(n), "mean": m, "scale": s}
                for c, n, m, s in zip(
                    scaler.cohorts_,
                    scaler.n_samples_seen_,
                    scaler.mean_,
                    scaler.scale_,
                    strict=True,
                )
            ]
            if include_cohort_statistics
            else []
        )
    params = model.get_params()
    if params.get("features") is not None and not isinstance(params["features"], str):
        params["features"] = list(params["features"])
    if isinstance(params.get("class_weight"), Mapping):
        params["class_weight"] = {str(k): v for k, v in params["class_weight"].items()}
    doc = {
        "schema": MODEL_SCHEMA,
        "schema_version": MODEL_SCHEMA_VERSION,
        "immunescape_version": __version__,
        "model_type": "ResponseModel",
        "params": params,
        "features": list(model.features_),
        "has_feature_names": hasattr(model, "feature_names_in_"),
        "classes": [_label(c) for c in model.classes_],
        "positive_class": _label(model.classes_[1]),
        "coefficients": dict(zip(model.features_, model.coef_, strict=True)),
        "intercept": model.intercept_,
        "threshold": {"value": model.threshold_, **model.threshold_info_},
        "standardization": {
            "policy": policy,
            "min_cohort_size": int(model.min_cohort_size),
            "new_cohorts": "standardised on themselves (label-free) when they have at least "
            "min_cohort_size samples; smaller sets need a reference cohort"
            if policy == "cohort"
            else "pooled training statistics are applied",
            "cohort_statistics_included": bool(pooled or include_cohort_statistics),
            "statistics": stats,
        },
        "dropped_features": list(model.dropped_features_),
        "training": {**model.training_, **dict(provenance or {})},
    }
    return _plain(doc)


def save_model(
    model: ResponseModel,
    path: str | os.PathLike[str],
    *,
    provenance: Mapping[str, Any] | None = None,
    include_cohort_statistics: bool = True,
) -> Path:
    """Write a fitted model as JSON.

    The file holds the schema name and version, the package version, the hyper-parameters,
    the feature ids, the standardisation policy (and the training statistics), the
    coefficients (standardised scale), the intercept, the threshold and its origin, and the
    training provenance. Same model, same bytes (keys in fixed order, no time stamps).

    Parameters
    ----------
    model
        A fitted :class:`ResponseModel`.
    path
        Output file (``.json``).
    provenance
        Extra training provenance (cohorts, licences, evaluation), JSON-serialisable.
    include_cohort_statistics
        Store the per-training-cohort means and standard deviations (needed only to
        standardise training cohorts again with their training statistics). Pooled statistics
        of a globally standardised model are always stored.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> X = pd.DataFrame({"cyt": [0.0, 1.0, 2.0, 3.0]})
    >>> m = ResponseModel(features=["cyt"], standardize="global").fit(X, [0, 0, 1, 1])
    >>> f = save_model(m, pathlib.Path(tempfile.mkdtemp()) / "model.json")
    >>> bool((load_model(f).predict_proba(X) == m.predict_proba(X)).all())
    True
    """
    doc = model_to_dict(
        model, provenance=provenance, include_cohort_statistics=include_cohort_statistics
    )
    out = Path(path)
    text = json.dumps(doc, indent=1, sort_keys=False, allow_nan=False) + "\n"
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out


def _require(doc: Mapping[str, Any], key: str, kind: type | tuple[type, ...], source: str) -> Any:
    if key not in doc:
        raise InputError(
            f"model file lacks the field {key!r}",
            source=source,
            fix="the file is damaged or not written by immunescape; retrain and save it again",
        )
    value = doc[key]
    if not isinstance(value, kind):
        raise InputError(
            f"model field {key!r} has the wrong type ({type(value).__name__})",
            source=source,
            fix="the file is damaged; retrain and save it again",
        )
    return value


def model_from_dict(doc: Mapping[str, Any], *, source: str = "<model>") -> ResponseModel:
    """Rebuild a fitted :class:`ResponseModel` from its JSON document (no code is run).

    Returns
    -------
    ResponseModel
    """
    if not isinstance(doc, Mapping) or doc.get("schema") != MODEL_SCHEMA:
        found = doc.get("schema") if isinstance(doc, Mapping) else type(doc).__name__
        raise InputError(
            f"not an immunescape response model (schema {found!r})",
            source=source,
            fix="pass a model written by immunescape train / save_model",
        )
    version = doc.get("schema_version")
    if version != MODEL_SCHEMA_VERSION:
        raise InputError(
            f"model schema version {version!r} is not supported (this immunescape "
            f"{__version__} reads version {MODEL_SCHEMA_VERSION}; the file was written by "
            f"immunescape {doc.get('immunescape_version')!r})",
            source=source,
            fix="retrain the model with this version of immunescape, or install the version "
            "that wrote it",
        )
    params = dict(_require(doc, "params", dict, source))
    feats = [str(f) for f in _require(doc, "features", list, source)]
    coefs = _require(doc, "coefficients", dict, source)
    classes = _require(doc, "classes", list, source)
    thr = _require(doc, "threshold", dict, source)
    std = _require(doc, "standardization", dict, source)
    intercept = _require(doc, "intercept", (int, float), source)
    if len(classes) != 2 or sorted(coefs) != sorted(feats):
        raise InputError(
            "model classes or coefficients are inconsistent with its features",
            source=source,
            fix="the file is damaged; retrain and save it again",
        )
    known = set(ResponseModel().get_params())
    unknown = sorted(set(params) - known)
    if unknown:
        raise InputError(
            f"model has unknown hyper-parameter(s): {', '.join(unknown)}",
            source=source,
            fix="the file was written by another immunescape version; retrain it",
        )
    if isinstance(params.get("class_weight"), dict):
        by_text = {str(c): c for c in classes}
        params["class_weight"] = {by_text.get(k, k): v for k, v in params["class_weight"].items()}
    try:
        model = ResponseModel(**params)
        model._check_options()
        coef = np.asarray([float(coefs[f]) for f in feats], dtype=float)
        value = float(thr["value"])
        stats = std["statistics"]
        policy = std["policy"]
        means = np.asarray([s["mean"] for s in stats], dtype=float).reshape(len(stats), len(feats))
        scales = np.asarray([s["scale"] for s in stats], dtype=float).reshape(
            len(stats), len(feats)
        )
        counts = np.asarray([int(s["n"]) for s in stats], dtype=int)
        cohort_names = [str(s["cohort"]) for s in stats] if policy == "cohort" else [_ALL]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"model file is malformed ({type(exc).__name__}: {exc})",
            source=source,
            fix="the file is damaged; retrain and save it again",
        ) from None
    if policy not in ("cohort", "global", "pooled") or (policy != "cohort" and len(stats) != 1):
        raise InputError(
            f"unknown standardisation policy {policy!r}",
            source=source,
            fix="the file is damaged; retrain and save it again",
        )
    if not (np.isfinite(coef).all() and np.isfinite(means).all() and (scales > 0).all()):
        raise InputError(
            "model coefficients or statistics are not finite",
            source=source,
            fix="the file is damaged; retrain and save it again",
        )
    scaler = CohortStandardScaler(handle_unknown="self")
    scaler.cohorts_ = np.asarray(cohort_names, dtype=object)
    scaler.mean_ = means.reshape(len(cohort_names), len(feats))
    scaler.scale_ = scales.reshape(len(cohort_names), len(feats))
    scaler.n_samples_seen_ = counts
    scaler.n_features_in_ = len(feats)
    model.classes_ = np.asarray(classes)
    if doc.get("has_feature_names", True) or model.features is not None:
        model.feature_names_in_ = np.asarray(feats, dtype=object)
    model.n_features_in_ = len(feats)
    model.features_ = feats
    model.coef_ = coef
    model.intercept_ = float(intercept)
    model.threshold_ = value
    model.threshold_info_ = {k: v for k, v in thr.items() if k != "value"}
    model.scaler_ = scaler
    model.cohorts_ = [c for c in cohort_names if c != _ALL]
    model.dropped_features_ = list(doc.get("dropped_features", []))
    model.training_ = dict(doc.get("training", {}))
    return model


def load_model(path: str | os.PathLike[str]) -> ResponseModel:
    """Read a model written by :func:`save_model`. Parses JSON only; never runs code.

    Parameters
    ----------
    path
        The ``.json`` file.

    Returns
    -------
    ResponseModel
        The fitted model, ready to predict.

    Raises
    ------
    InputError
        Missing file; a file that is not JSON (pickles are refused); JSON that is not an
        immunescape model; an unsupported schema version; malformed fields.
    """
    source = str(path)
    p = Path(path)
    if not p.is_file():
        raise InputError("model file not found", source=source, fix="check the path")
    raw = p.read_bytes()[: _MAX_MODEL_BYTES + 1]
    if len(raw) > _MAX_MODEL_BYTES:
        raise InputError(
            f"file is larger than {_MAX_MODEL_BYTES // 1_000_000} MB: not a response model",
            source=source,
            fix="pass a model written by immunescape train / save_model",
        )
    if raw[:1] == b"\x80" or raw[:2] in (b"(d", b"(l", b"}q", b"]q", b"cc"):
        raise InputError(
            "file looks like a Python pickle; immunescape never loads pickles (they can run code)",
            source=source,
            fix="save the model with immunescape (JSON) and load that file",
        )
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"not a JSON model file ({type(exc).__name__})",
            source=source,
            fix="pass a model written by immunescape train / save_model",
        ) from None
    if isinstance(doc, Mapping) and doc.get("schema") == "immunescape.robust_model":
        from immunescape.predict._robust import robust_from_dict

        return robust_from_dict(doc, source=source)  # type: ignore[return-value]
    return model_from_dict(doc, source=source)


@cache
def _builtin_bytes() -> tuple[bytes, str]:
    root = resources.files("immunescape.predict") / "data"
    data = (root / _BUILTIN).read_bytes()
    expected = (root / (_BUILTIN + ".sha256")).read_text().split()[0]
    return data, expected


def load_builtin_model() -> Any:
    """Load the built-in pan-cohort model shipped with immunescape (checksum verified).

    See ``src/immunescape/predict/data/MODEL_CARD.md`` for its training cohorts, licences,
    cross-cohort performance, intended use and limits.

    Returns
    -------
    RobustModel
        Features: per-sample scores of :func:`immunescape.signatures.runner.score`; a cohort
        of at least ``min_cohort_size`` samples is standardised on itself, a smaller one (down
        to one patient) with the reference statistics stored in the model; any subset of the
        features is used (a sub-model per subset, fitted at training time).

    Raises
    ------
    InputError
        The shipped file does not match its checksum (damaged installation).
    """
    data, expected = _builtin_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise InputError(
            f"built-in model checksum mismatch ({digest[:12]} != {expected[:12]})",
            source=_BUILTIN,
            fix="reinstall immunescape",
        )
    from immunescape.predict._robust import robust_from_dict

    return robust_from_dict(json.loads(data.decode("utf-8")), source=_BUILTIN)
