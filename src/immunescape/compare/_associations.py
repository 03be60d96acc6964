"""Responders versus non-responders, one feature at a time (``associations.tsv``).

For every feature (signature score, pathway activity, gene, mechanism strength, TMB, ...):

* ``auc`` = P(score of a responder > score of a non-responder), ties counted one half (the
  Mann-Whitney U statistic divided by ``n_r * n_nr``); 0.5 = no separation, > 0.5 = higher in
  responders. Its confidence interval comes from :func:`immunescape.stats.auc_ci`: DeLong's
  variance (DeLong et al. 1988, Biometrics 44:837) with a normal interval truncated to [0, 1],
  as R pROC ``ci.auc``, or a stratified percentile bootstrap (seeded).
* ``p_value``: two-sided Mann-Whitney U test, :func:`scipy.stats.mannwhitneyu` with
  ``method="auto"`` (exact distribution for small samples without ties, otherwise the normal
  approximation with tie and continuity corrections).
* ``q_value``: Benjamini-Hochberg over the features tested (statsmodels ``fdr_bh``).

Missing values are dropped feature by feature: ``n_r``/``n_nr`` count the samples with a
value. A feature with fewer than ``min_per_group`` values in either group is reported with
NaN statistics and a note, and left out of the multiple-testing correction.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from immunescape._validate import check_choice
from immunescape._vocab import CiMethod
from immunescape.compare._common import (
    NON_RESPONDER,
    RESPONDER,
    check_groups,
    kinds_of,
    numeric_features,
    public_table,
    response_labels,
    shared_samples,
    sort_by_p,
)
from immunescape.stats import auc_ci, bh

__all__ = ["associations", "ASSOCIATION_COLUMNS"]

#: The contract columns of ``associations.tsv``, in order (extra columns follow them).
ASSOCIATION_COLUMNS = [
    "feature",
    "n_r",
    "n_nr",
    "auc",
    "auc_ci_low",
    "auc_ci_high",
    "p_value",
    "q_value",
    "direction",
]

TEST_NAME = "Mann-Whitney U, two-sided (scipy.stats.mannwhitneyu, method='auto')"


def _direction(auc: float) -> str:
    if not np.isfinite(auc):
        return ""
    if auc > 0.5:
        return "higher_in_responders"
    if auc < 0.5:
        return "higher_in_non_responders"
    return "no_difference"


def _associations(
    features: pd.DataFrame,
    response: pd.Series,
    *,
    ci_method: CiMethod = "delong",
    min_per_group: int = 3,
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 0,
    feature_info: pd.DataFrame | pd.Series | dict[str, str] | None = None,
    with_se: bool = False,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Test every feature for a difference between responders and non-responders.

    Parameters
    ----------
    features
        Samples (index = sample ids) x features (numeric; bool read as 0/1; NaN = missing).
    response
        ``"R"`` / ``"NR"`` (or 1 / 0) per sample id; missing labels are dropped. Only samples
        present in both inputs are used.
    ci_method
        ``"delong"`` (default) or ``"bootstrap"`` (stratified, ``n_boot`` replicates, ``seed``).
    min_per_group
        Fewest responders and non-responders needed overall (else :class:`InputError`) and
        per feature after dropping missing values (else NaN statistics with a note).
    alpha
        1 - confidence level of the AUC interval.
    n_boot, seed
        Bootstrap replicates and seed (``ci_method="bootstrap"`` only).
    feature_info
        Optional feature descriptions (``ScoreResult.features`` with ``id`` and ``kind``, or
        a mapping feature -> kind) adding a ``kind`` column.
    with_se
        Add a last column ``auc_se``: DeLong's standard error of the AUC (NaN for the
        bootstrap and for untested features), from the same
        :func:`~immunescape.stats.auc_ci` call as the interval; the meta-analysis weighs each
        cohort's AUC by it.

    Returns
    -------
    pandas.DataFrame
        :data:`ASSOCIATION_COLUMNS`, then ``kind`` (if known), ``ci_method``, ``test`` and
        ``note`` (and ``auc_se``); sorted by ``p_value`` (NaN last).

    Raises
    ------
    InputError
        No shared samples, no responders or no non-responders, fewer than ``min_per_group``
        in a group, non-numeric features, unknown response values or options.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"cyt": [5.0, 6, 7, 1, 2, 3, 8]}, index=list("abcdefg"))
    >>> y = pd.Series(["R", "R", "R", "NR", "NR", "NR", "NR"], index=list("abcdefg"))
    >>> t = associations(f, y)
    >>> t[["feature", "n_r", "n_nr", "auc", "direction"]].to_dict("records")
    [{'feature': 'cyt', 'n_r': 3, 'n_nr': 4, 'auc': 0.75, 'direction': 'higher_in_responders'}]
    >>> round(float(t["p_value"].iloc[0]), 4)
    0.4
    """
    check_choice("ci_method", ci_method, CiMethod)
    X = numeric_features(features)
    y = response_labels(response)
    shared = shared_samples(X, y)
    X = X.loc[shared]
    y = y.loc[shared]
    check_groups(y, min_per_group=min_per_group, what="associations")
    is_r = (y == RESPONDER).to_numpy()
    is_nr = (y == NON_RESPONDER).to_numpy()

    rows = []
    for name in X.columns:
        v = X[name].to_numpy(dtype=float)
        ok = np.isfinite(v)
        r, nr = v[ok & is_r], v[ok & is_nr]
        row: dict[str, object] = {"feature": name, "n_r": r.size, "n_nr": nr.size}
        if r.size < min_per_group or nr.size < min_per_group:
            row.update(
                auc=np.nan,
                auc_ci_low=np.nan,
                auc_ci_high=np.nan,
                p_value=np.nan,
                auc_se=np.nan,
                note=f"not tested: {r.size} responders and {nr.size} non-responders with a "
                f"value (minimum {min_per_group})",
            )
        else:
            labels = np.r_[np.ones(r.size, dtype=np.int8), np.zeros(nr.size, dtype=np.int8)]
            res = auc_ci(
                labels, np.r_[r, nr], ci_method=ci_method, alpha=alpha, n_boot=n_boot, seed=seed
            )
            p = float(stats.mannwhitneyu(r, nr, alternative="two-sided", method="auto").pvalue)
            note = "constant feature" if np.ptp(np.r_[r, nr]) == 0 else ""
            row.update(
                auc=res.auc,
                auc_ci_low=res.low,
                auc_ci_high=res.high,
                p_value=p,
                auc_se=res.se,
                note=note,
            )
        rows.append(row)

    table = pd.DataFrame(rows)
    table["q_value"] = bh(table["p_value"].to_numpy(dtype=float))
    table["direction"] = [_direction(a) for a in table["auc"].to_numpy(dtype=float)]
    kinds = kinds_of(feature_info, table["feature"])
    extra = ["ci_method", "test", "note"]
    if kinds is not None:
        table["kind"] = kinds
        extra = ["kind", *extra]
    table["ci_method"] = (
        "delong" if ci_method == "delong" else f"bootstrap (n_boot={n_boot}, seed={seed})"
    )
    table["test"] = TEST_NAME
    table = table[[*ASSOCIATION_COLUMNS, *extra, *(["auc_se"] if with_se else [])]]
    table[["n_r", "n_nr"]] = table[["n_r", "n_nr"]].astype(int)
    table = sort_by_p(table)
    settings = {
        "test": TEST_NAME,
        "auc": "P(score_R > score_NR) + 0.5 P(tie)",
        "ci_method": ci_method,
        "confidence_level": 1.0 - alpha,
        "n_boot": n_boot if ci_method == "bootstrap" else None,
        "seed": seed if ci_method == "bootstrap" else None,
        "multiple_testing": "Benjamini-Hochberg (statsmodels fdr_bh) over tested features",
        "min_per_group": min_per_group,
        "n_responders": int(is_r.sum()),
        "n_non_responders": int(is_nr.sum()),
        "n_features": int(X.shape[1]),
        "n_tested": int(table["p_value"].notna().sum()),
    }
    return table, settings


associations = public_table(_associations)
