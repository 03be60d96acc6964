"""Random-effects pooling of per-cohort effects into ``meta.tsv`` and ``meta_loo.tsv``.

:func:`pool_effects` pools every feature and measure overall, within subgroups (cancer type,
treatment class; with Cochran's Q between subgroups) and leaving one cohort out at a time,
and classes each overall estimate by how well it replicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from immunescape._validate import check_choice
from immunescape.meta._pool import METHODS, Method, pool, subgroup_difference
from immunescape.stats import bh

__all__ = ["LOO_COLUMNS", "META_COLUMNS", "SUBGROUPS", "pool_effects"]

#: Columns of ``meta.tsv``, in order.
META_COLUMNS = [
    "feature",
    "kind",
    "measure",
    "method",
    "subgroup_by",
    "subgroup",
    "k",
    "cohorts",
    "n",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "z",
    "p_value",
    "q_value",
    "tau2",
    "i2",
    "q",
    "q_df",
    "q_p",
    "q_between",
    "q_between_df",
    "q_between_p",
    "n_same_direction",
    "loo_min",
    "loo_max",
    "loo_max_p",
    "loo_influential",
    "replication",
    "note",
]
#: Columns of ``meta_loo.tsv`` (leave-one-cohort-out estimates).
LOO_COLUMNS = [
    "feature",
    "measure",
    "method",
    "left_out",
    "k",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p_value",
    "tau2",
    "i2",
]

#: Null value of each measure (AUC 0.5; log OR and log HR 0).
NULL = {"auc": 0.5}
_MEASURE_ORDER = {"log_or": 0, "auc": 1}
SUBGROUPS = ("cancer_type", "treatment_class")


def _pool_rows(rows: pd.DataFrame, method: Method, alpha: float, null: float) -> dict[str, Any]:
    y = rows["estimate"].to_numpy(dtype=float) - null
    v = rows["se"].to_numpy(dtype=float) ** 2
    r: dict[str, Any] = pool(y, v, method=method, alpha=alpha).to_dict()
    for c in ("estimate", "ci_low", "ci_high"):
        r[c] = r[c] + null
    return r


def _loo(rows: pd.DataFrame, method: Method, alpha: float, null: float) -> list[dict[str, Any]]:
    out = []
    for i, name in enumerate(rows["cohort"]):
        rest = rows.drop(index=rows.index[i])
        r = _pool_rows(rest, method, alpha, null)
        out.append(
            {
                "left_out": name,
                **{
                    k: r[k]
                    for k in ("k", "estimate", "se", "ci_low", "ci_high", "p_value", "tau2", "i2")
                },
            }
        )
    return out


def _classify(row: dict[str, Any], loo: list[dict[str, Any]], null: float, level: float) -> str:
    if row["k"] < 2 or not np.isfinite(row["p_value"]):
        return "not_pooled"
    if row["p_value"] >= level:
        return "not_associated"
    sign = np.sign(row["estimate"] - null)
    robust = all(np.sign(r["estimate"] - null) == sign and r["p_value"] < level for r in loo)
    if not robust:
        return "driven_by_one_cohort"
    q = row.get("q_value", np.nan)
    return "replicates" if np.isfinite(q) and q < level else "nominal"


def pool_effects(
    cohort_rows: pd.DataFrame,
    *,
    methods: Sequence[Method] = METHODS,
    subgroups: Sequence[str] = SUBGROUPS,
    min_cohorts: int = 2,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pool per-cohort effects: overall, by subgroup, and leaving one cohort out.

    Parameters
    ----------
    cohort_rows
        Per-cohort rows (``meta_cohorts.tsv``): cohort, feature, measure, estimate, se,
        pooled (rows with ``pooled`` False are left out), the ``subgroups`` columns and,
        optionally, kind, n_r, n_nr, n.
    methods
        Estimators of tau²: ``"REML"`` and/or ``"DL"`` (see :func:`~immunescape.meta.pool`).
    subgroups
        Cohort columns defining subgroups (default cancer type and treatment class); a
        grouping with a single level is skipped.
    min_cohorts
        Fewest cohorts for an overall pooled estimate (fewer: listed with a note, no
        estimate); subgroups report any number of cohorts (one cohort: its own estimate).
    alpha
        1 - confidence level; also the significance level of the replication classes.

    Returns
    -------
    meta : pandas.DataFrame
        :data:`META_COLUMNS`; ``q_value`` is Benjamini-Hochberg over features within measure,
        method and subgroup. Overall rows carry the leave-one-out range, the most
        influential cohort and a ``replication`` class: ``replicates`` (q < alpha, and every
        leave-one-out estimate keeps the sign with p < alpha), ``nominal`` (the same with
        q >= alpha), ``driven_by_one_cohort`` (p < alpha but some leave-one-out estimate
        loses significance or flips), ``not_associated`` or ``not_pooled``.
    loo : pandas.DataFrame
        :data:`LOO_COLUMNS`, one row per left-out cohort of each overall estimate.

    Examples
    --------
    >>> rows = pd.DataFrame({"cohort": ["a", "b", "c"], "feature": "cyt", "measure": "log_or",
    ...                      "estimate": [0.5, 0.7, 0.6], "se": [0.2, 0.25, 0.3],
    ...                      "pooled": True})
    >>> meta, loo = pool_effects(rows, methods=["DL"])
    >>> meta[["feature", "method", "k", "estimate", "replication"]].round(3).values.tolist()
    [['cyt', 'DL', 3, 0.583, 'replicates']]
    >>> len(loo)
    3
    """
    for m in methods:
        check_choice("methods", m, Method)
    if cohort_rows.empty:
        return pd.DataFrame(columns=META_COLUMNS), pd.DataFrame(columns=LOO_COLUMNS)
    use = cohort_rows[cohort_rows["pooled"].astype(bool)]
    all_rows: list[dict[str, Any]] = []
    loo_rows: list[dict[str, Any]] = []
    keys = cohort_rows[["feature", "measure"]].drop_duplicates()
    groups = {k: g for k, g in use.groupby(["feature", "measure"], sort=False)}
    kinds = cohort_rows.drop_duplicates("feature").set_index("feature").get("kind")
    for feat, measure in keys.itertuples(index=False):
        g = groups.get((feat, measure))
        null = NULL.get(measure.split(":")[0], 0.0)
        kind = "" if kinds is None else str(kinds.get(feat, ""))
        for method in methods:
            base = {"feature": feat, "kind": kind, "measure": measure, "method": method}
            if g is None or len(g) < min_cohorts:
                k = 0 if g is None else len(g)
                all_rows.append(
                    {
                        **base,
                        "subgroup_by": "all",
                        "subgroup": "all",
                        "k": k,
                        "cohorts": "" if g is None else ",".join(g["cohort"]),
                        "replication": "not_pooled",
                        "note": f"{k} cohort(s) with an estimate (minimum {min_cohorts})",
                    }
                )
                continue
            g = g.reset_index(drop=True)
            r = _pool_rows(g, method, alpha, null)
            n = int(pd.to_numeric(g.get("n"), errors="coerce").sum()) if "n" in g else np.nan
            sign = np.sign(r["estimate"] - null)
            same = int((np.sign(g["estimate"].to_numpy(float) - null) == sign).sum())
            loo = _loo(g, method, alpha, null)
            for lr in loo:
                loo_rows.append({"feature": feat, "measure": measure, "method": method, **lr})
            est_loo = np.array([lr["estimate"] for lr in loo])
            shift = np.abs(est_loo - r["estimate"])
            row = {
                **base,
                "subgroup_by": "all",
                "subgroup": "all",
                **r,
                "cohorts": ",".join(g["cohort"]),
                "n": n,
                "n_same_direction": same,
                "loo_min": float(est_loo.min()),
                "loo_max": float(est_loo.max()),
                "loo_max_p": float(max(lr["p_value"] for lr in loo)),
                "loo_influential": str(g["cohort"].iloc[int(np.argmax(shift))]),
                "_loo": loo,
                "_null": null,
                "note": "",
            }
            all_rows.append(row)
            for by in subgroups:
                if by not in g.columns:
                    continue
                levels = list(dict.fromkeys(g[by].astype(str)))
                if len(levels) < 2:
                    continue
                sub = []
                for level in levels:
                    gg = g[g[by].astype(str) == level].reset_index(drop=True)
                    sr = _pool_rows(gg, method, alpha, null)
                    nn = int(pd.to_numeric(gg["n"], errors="coerce").sum()) if "n" in gg else np.nan
                    sub.append(
                        {
                            **base,
                            "subgroup_by": by,
                            "subgroup": level,
                            **sr,
                            "cohorts": ",".join(gg["cohort"]),
                            "n": nn,
                            "n_same_direction": int(
                                (
                                    np.sign(gg["estimate"].to_numpy(float) - null)
                                    == np.sign(sr["estimate"] - null)
                                ).sum()
                            ),
                            "note": "single cohort" if len(gg) == 1 else "",
                        }
                    )
                qb, dfb, pb = subgroup_difference(
                    [s["estimate"] for s in sub], [s["se"] for s in sub]
                )
                for s in sub:
                    s.update(q_between=qb, q_between_df=dfb, q_between_p=pb)
                all_rows.extend(sub)
    meta = pd.DataFrame(all_rows)
    for c in META_COLUMNS:
        if c not in meta.columns:
            meta[c] = np.nan
    # BH over features within measure, method and subgroup
    meta["q_value"] = np.nan
    ok = meta["k"].fillna(0) >= np.where(meta["subgroup_by"] == "all", min_cohorts, 2)
    for _, idx in meta[ok].groupby(["measure", "method", "subgroup_by", "subgroup"]).groups.items():
        meta.loc[idx, "q_value"] = bh(meta.loc[idx, "p_value"].to_numpy(dtype=float))
    rep = []
    for r in meta.to_dict("records"):
        if r["subgroup_by"] != "all":
            rep.append("")
        elif "_loo" in r and isinstance(r["_loo"], list):
            rep.append(_classify(r, r["_loo"], r["_null"], alpha))
        else:
            rep.append("not_pooled")
    meta["replication"] = rep
    meta["note"] = meta["note"].fillna("")
    meta["_mo"] = meta["measure"].map(lambda m: _MEASURE_ORDER.get(m, 2))
    meta["_me"] = meta["method"].map({m: i for i, m in enumerate(METHODS)})
    meta["_sb"] = meta["subgroup_by"].map(lambda s: 0 if s == "all" else 1)
    meta = meta.sort_values(
        ["_mo", "measure", "_me", "_sb", "subgroup_by", "subgroup", "p_value"],
        kind="mergesort",
        na_position="last",
    )
    meta = meta[META_COLUMNS].reset_index(drop=True)
    for c in ("k", "q_df"):
        meta[c] = pd.to_numeric(meta[c], errors="coerce").astype("Int64")
    loo_t = pd.DataFrame(loo_rows, columns=LOO_COLUMNS)
    return meta, loo_t
