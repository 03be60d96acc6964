"""Per-cohort standardisation: z-score every feature within each cohort.

Cohorts measured on different platforms (RNA-seq versus microarray, different gene panels,
different laboratories) differ in location and scale. Standardising each feature within each
cohort removes those shifts before cohorts are combined, at the price of assuming that the
cohorts have comparable case mixes. It uses no outcome labels.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from immunescape._validate import check_choice
from immunescape.errors import InputError
from immunescape.predict._common import cohort_labels

__all__ = ["CohortStandardScaler"]

_ALL = "__all__"
HandleUnknown = Literal["error", "self"]


def _cohort_labels(cohort: object, n: int) -> np.ndarray:
    labels = cohort_labels(cohort, n)
    return np.full(n, _ALL, dtype=object) if labels is None else labels


class CohortStandardScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Standardise each feature within each cohort (z-scores per cohort).

    ``fit`` learns, per cohort, the mean and the (population, ``ddof=0``) standard deviation
    of every feature, ignoring NaN; ``transform`` subtracts and divides by the statistics of
    each sample's cohort. A feature without spread in a cohort is divided by 1 (as
    :class:`sklearn.preprocessing.StandardScaler`). Without ``cohort`` all samples form one
    cohort, which makes the transformer equal to ``StandardScaler``.

    Parameters
    ----------
    with_mean
        Subtract the cohort mean.
    with_std
        Divide by the cohort standard deviation.
    handle_unknown
        What ``transform`` does with a cohort not seen in ``fit``: ``"error"`` (default)
        raises :class:`~immunescape.errors.InputError`; ``"self"`` standardises it with its own
        statistics, computed from the samples being transformed (label-free; used to bring a
        held-out validation cohort onto the same scale).

    Attributes
    ----------
    cohorts_ : numpy.ndarray
        Cohort labels seen in ``fit``.
    mean_, scale_ : numpy.ndarray of shape (n_cohorts, n_features)
        Per-cohort means and divisors (rows in the order of ``cohorts_``).
    n_samples_seen_ : numpy.ndarray of shape (n_cohorts,)
        Samples per cohort in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0], [3.0], [10.0], [30.0]])
    >>> CohortStandardScaler().fit_transform(X, cohort=["a", "a", "b", "b"]).ravel()
    array([-1.,  1., -1.,  1.])
    """

    def __init__(
        self,
        *,
        with_mean: bool = True,
        with_std: bool = True,
        handle_unknown: HandleUnknown = "error",
    ) -> None:
        self.with_mean = with_mean
        self.with_std = with_std
        self.handle_unknown = handle_unknown

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _stats(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        present = ~np.isnan(X)
        count = present.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(present, X, 0.0).sum(axis=0) / count
            dev = np.where(present, X - mean, 0.0)
            std = np.sqrt((dev**2).sum(axis=0) / count)
        if not self.with_mean:
            mean = np.zeros_like(mean)
        if self.with_std:
            tiny = 10 * np.finfo(float).eps * np.maximum(1.0, np.abs(np.nan_to_num(mean)))
            scale = np.where(np.isnan(std) | (std < tiny), 1.0, std)
        else:
            scale = np.ones_like(std)
        return mean, scale

    def _fitted_input(
        self, X: object, cohort: object, method: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the validated matrix and one cohort label per row (pooled if fitted pooled)."""
        check_is_fitted(self)
        Xa = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite="allow-nan")
        fitted_single = self.cohorts_.size == 1 and self.cohorts_[0] == _ALL
        if cohort is None and not fitted_single:
            raise InputError(
                "cohort labels are required: the scaler was fitted per cohort",
                source="cohort",
                fix=f"pass {method}(X, cohort=labels)",
            )
        labels = _cohort_labels(cohort, Xa.shape[0])
        if fitted_single:
            labels = np.full(Xa.shape[0], _ALL, dtype=object)
        return Xa, labels

    def fit(self, X: object, y: object = None, *, cohort: object = None) -> CohortStandardScaler:
        """Learn per-cohort means and standard deviations.

        Parameters
        ----------
        X
            Samples x features.
        y
            Ignored.
        cohort
            One cohort label per sample (None: all samples are one cohort).

        Returns
        -------
        CohortStandardScaler
            The fitted transformer.
        """
        check_choice("handle_unknown", self.handle_unknown, HandleUnknown)
        Xa = validate_data(self, X, reset=True, dtype=np.float64, ensure_all_finite="allow-nan")
        labels = _cohort_labels(cohort, Xa.shape[0])
        cohorts = pd.unique(pd.Series(labels))
        means, scales, counts = [], [], []
        for c in cohorts:
            rows = labels == c
            mean, scale = self._stats(Xa[rows])
            means.append(mean)
            scales.append(scale)
            counts.append(int(rows.sum()))
        self.cohorts_ = np.asarray(cohorts, dtype=object)
        self.mean_ = np.vstack(means)
        self.scale_ = np.vstack(scales)
        self.n_samples_seen_ = np.asarray(counts)
        return self

    def transform(self, X: object, *, cohort: object = None) -> np.ndarray:
        """Standardise each sample with the statistics of its cohort.

        Parameters
        ----------
        X
            Samples x features (the features seen in ``fit``).
        cohort
            One cohort label per sample; None only if ``fit`` was given none.

        Returns
        -------
        numpy.ndarray
            The standardised matrix (NaN stays NaN).
        """
        Xa, labels = self._fitted_input(X, cohort, "transform")
        index: dict[Hashable, int] = {c: i for i, c in enumerate(self.cohorts_)}
        out = np.empty_like(Xa)
        for c in pd.unique(pd.Series(labels)):
            rows = labels == c
            if c in index:
                mean, scale = self.mean_[index[c]], self.scale_[index[c]]
            elif self.handle_unknown == "self":
                mean, scale = self._stats(Xa[rows])
            else:
                raise InputError(
                    f"cohort {c!r} was not seen in fit",
                    source="cohort",
                    fix="fit on data that includes it, or use handle_unknown='self' to "
                    "standardise new cohorts with their own statistics",
                )
            out[rows] = (Xa[rows] - mean) / scale
        return out

    def fit_transform(self, X: object, y: object = None, *, cohort: object = None) -> np.ndarray:
        """Fit, then transform the same samples (both with ``cohort``).

        Returns
        -------
        numpy.ndarray
            The standardised matrix.
        """
        return self.fit(X, y, cohort=cohort).transform(X, cohort=cohort)

    def inverse_transform(self, X: object, *, cohort: object = None) -> np.ndarray:
        """Undo :meth:`transform` for cohorts seen in ``fit``.

        Returns
        -------
        numpy.ndarray
            The matrix on its original scale.
        """
        Xa, labels = self._fitted_input(X, cohort, "inverse_transform")
        index = {c: i for i, c in enumerate(self.cohorts_)}
        out = np.empty_like(Xa)
        for c in pd.unique(pd.Series(labels)):
            if c not in index:
                raise InputError(
                    f"cohort {c!r} was not seen in fit",
                    source="cohort",
                    fix="inverse-transform only cohorts the scaler was fitted on",
                )
            rows = labels == c
            out[rows] = Xa[rows] * self.scale_[index[c]] + self.mean_[index[c]]
        return out
