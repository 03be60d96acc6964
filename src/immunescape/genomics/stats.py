"""Small statistics used to validate genomic features against published numbers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import rankdata

from immunescape.errors import InputError

__all__ = ["roc_auc"]


def roc_auc(y_true: Sequence[object] | np.ndarray, y_score: Sequence[float] | np.ndarray) -> float:
    """Area under the ROC curve from ranks (Mann-Whitney U / (n1 * n0)), ties counted half.

    ``AUC = (R1 - n1 (n1 + 1) / 2) / (n1 n0)`` where ``R1`` is the sum of the mid-ranks of
    the positive samples' scores. Equal to :func:`sklearn.metrics.roc_auc_score` for binary
    labels.

    Parameters
    ----------
    y_true
        Binary labels (1/0 or True/False); 1 = positive (e.g. responder).
    y_score
        Scores; higher should mean positive.

    Returns
    -------
    float
        The AUC in [0, 1].

    Raises
    ------
    InputError
        Different lengths, missing values, labels that are not binary, or only one class.

    Examples
    --------
    >>> roc_auc([1, 1, 0, 0], [3.0, 2.0, 2.0, 1.0])
    0.875
    """
    y = np.asarray(y_true)
    s = np.asarray(y_score, dtype=float)
    if y.shape != s.shape or y.ndim != 1:
        raise InputError(
            "y_true and y_score must be 1-D and of the same length",
            source="roc_auc",
            fix="pass one label and one score per sample",
        )
    if np.isnan(s).any():
        raise InputError(
            "y_score has missing values", source="roc_auc", fix="drop samples without a score"
        )
    values = {int(v) if isinstance(v, bool | np.bool_) else v for v in np.unique(y).tolist()}
    if not values <= {0, 1}:
        raise InputError(
            f"labels must be binary 0/1, got {sorted(map(str, values))[:4]}",
            source="roc_auc",
            fix="code responders as 1 and non-responders as 0",
        )
    pos = y.astype(bool)
    n1 = int(pos.sum())
    n0 = int((~pos).sum())
    if n1 == 0 or n0 == 0:
        raise InputError(
            "only one class present; the AUC is undefined",
            source="roc_auc",
            fix="give both positive and negative samples",
        )
    ranks = rankdata(s, method="average")
    u = ranks[pos].sum() - n1 * (n1 + 1) / 2.0
    return float(u / (n1 * n0))
