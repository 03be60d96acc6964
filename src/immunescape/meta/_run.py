"""Cross-cohort meta-analysis of responders versus non-responders: :func:`meta_analysis`.

Every cohort goes through the pipeline of ``immunescape compare`` (:func:`run_pipeline`, then
the feature table of :func:`~immunescape.compare.compare_cohort`: signature, pathway and
single-gene scores, mechanism strengths, TMB), its per-feature effects are estimated
(:func:`~immunescape.meta.cohort_effects`) and pooled across cohorts with random-effects
models (:func:`pool_effects`): overall, within cancer types and treatment classes (with a
test of subgroup difference), and leaving out one cohort at a time.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from immunescape._logging import logger
from immunescape.compare._common import NON_RESPONDER, RESPONDER, response_labels, short_list
from immunescape.errors import InputError
from immunescape.meta._effects import COHORT_COLUMNS, cohort_effects
from immunescape.meta._pool import METHODS, pool, subgroup_difference
from immunescape.stats import bh

__all__ = [
    "META_COLUMNS",
    "LOO_COLUMNS",
    "MetaResult",
    "meta_analysis",
    "pool_effects",
    "treatment_class",
]

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

#: Treatment classes recognised in clinical tables and cohort information.
TREATMENT_CLASSES = ("anti-PD-1/PD-L1", "anti-CTLA-4", "combination")
_PD = re.compile(
    r"pd-?\(?l?\)?-?1|pd1|pdl1|nivolumab|pembrolizumab|atezolizumab|durvalumab|"
    r"avelumab|cemiplimab|spartalizumab|tislelizumab|camrelizumab|toripalimab"
)
_CTLA = re.compile(r"ctla-?4|ipilimumab|tremelimumab")
_COMBO = re.compile(r"\+|combo|combination|\band\b|/.*(chemo|vegf|tki)")


def treatment_class(value: object) -> str:
    """Map a treatment description to anti-PD-1/PD-L1, anti-CTLA-4 or combination.

    Both checkpoints (PD-1/PD-L1 and CTLA-4) or a combination marker (``+``, "combo") give
    ``combination``; otherwise the checkpoint named; anything else is returned as given
    (stripped), and a missing value as ``"unknown"``.

    Parameters
    ----------
    value
        A treatment description (e.g. PredictioR's ``treatment`` column or a drug name).

    Returns
    -------
    str

    Examples
    --------
    >>> [treatment_class(t) for t in ["PD-1/PD-L1", "CTLA4", "IO+combo", "anti-PD-1 + anti-CTLA-4"]]
    ['anti-PD-1/PD-L1', 'anti-CTLA-4', 'combination', 'combination']
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "unknown"
    text = str(value).strip()
    low = text.lower()
    if low in ("", "na", "nan", "none", "unknown"):
        return "unknown"
    pd1, ctla = bool(_PD.search(low)), bool(_CTLA.search(low))
    if (pd1 and ctla) or _COMBO.search(low.replace("pd-1/pd-l1", "pd1")):
        return "combination"
    if ctla:
        return "anti-CTLA-4"
    if pd1:
        return "anti-PD-1/PD-L1"
    return text


@dataclass
class MetaResult:
    """Tables and provenance of a cross-cohort meta-analysis.

    Attributes
    ----------
    tables
        ``meta.tsv`` (pooled estimates: feature x measure x method x subgroup),
        ``meta_cohorts.tsv`` (per-cohort estimates), ``meta_loo.tsv`` (leave-one-cohort-out)
        and ``cohorts.tsv`` (one row per cohort: counts, subgroup labels, included or why not).
    provenance
        Settings, methods, cohorts and warnings, for ``run.json``.
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- pooling
def _pool_rows(rows: pd.DataFrame, method: str, alpha: float, null: float) -> dict[str, Any]:
    y = rows["estimate"].to_numpy(dtype=float) - null
    v = rows["se"].to_numpy(dtype=float) ** 2
    r = pool(y, v, method=method, alpha=alpha).to_dict()  # type: ignore[arg-type]
    for c in ("estimate", "ci_low", "ci_high"):
        r[c] = r[c] + null
    return r


def _loo(rows: pd.DataFrame, method: str, alpha: float, null: float) -> list[dict[str, Any]]:
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
    methods: Sequence[str] = METHODS,
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
    """
    for m in methods:
        if m not in METHODS:
            raise InputError(
                f"unknown method {m!r}", source="methods", fix=f"use {', '.join(METHODS)}"
            )
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


# ---------------------------------------------------------------------------- cohorts
def _cohort_name(path: str) -> str:
    from immunescape.predict._cohorts import _default_name

    return _default_name(path)


def _specs(cohorts: object) -> list[tuple[str, str, str, str | None]]:
    """Normalise cohorts into (name, expr, clinical, maf)."""
    from immunescape.predict import parse_cohort_spec

    if isinstance(cohorts, str | os.PathLike) or not isinstance(cohorts, Sequence | Mapping):
        raise InputError(
            "cohorts must be a list of 'EXPR:CLINICAL[:MAF]' strings or (expr, clinical[, maf]) "
            "tuples, or a mapping name -> such an entry",
            source="cohorts",
        )
    items = list(cohorts.items()) if isinstance(cohorts, Mapping) else [(None, c) for c in cohorts]
    out = []
    for name, c in items:
        if isinstance(c, str):
            e, cl, m = parse_cohort_spec(c)
        elif isinstance(c, Sequence) and len(c) in (2, 3):
            e, cl = str(c[0]), str(c[1])
            m = str(c[2]) if len(c) == 3 and c[2] is not None else None
        else:
            raise InputError(
                f"cohort {c!r} is not EXPR:CLINICAL[:MAF]",
                source="cohorts",
                fix="give (expression, clinical[, maf]) paths",
            )
        out.append((name, e, cl, m))
    names = [n or _cohort_name(e) for n, e, _, _ in out]
    if len(set(names)) != len(names):
        names = [
            n if n0 else f"{Path(e).resolve().parent.name}_{n}"
            for n, (n0, e, _, _) in zip(names, out, strict=True)
        ]
    if len(set(names)) != len(names):
        raise InputError(
            f"cohort names repeat: {short_list(names, 20)}",
            source="--cohort",
            fix="give files with distinct names",
        )
    if not out:
        raise InputError(
            "no cohort given", source="--cohort", fix="--cohort EXPR:CLINICAL[:MAF] (repeatable)"
        )
    return [(n, e, cl, m) for n, (_, e, cl, m) in zip(names, out, strict=True)]


def _read_info(cohort_info: object) -> dict[str, dict[str, str]]:
    if cohort_info is None:
        return {}
    if isinstance(cohort_info, str | os.PathLike):
        path = Path(cohort_info)
        if not path.is_file():
            raise InputError(
                "file not found",
                source=str(path),
                fix="give a TSV with columns cohort, cancer_type, treatment",
            )
        try:
            frame = pd.read_csv(path, sep=None, engine="python", dtype=str)
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(
                f"cannot read the table ({exc.__class__.__name__})",
                source=str(path),
                fix="give a tab-separated text table",
            ) from None
        source = str(path)
    elif isinstance(cohort_info, pd.DataFrame):
        frame, source = cohort_info.astype(str), "cohort_info"
    elif isinstance(cohort_info, Mapping):
        return {str(k): {kk: str(vv) for kk, vv in dict(v).items()} for k, v in cohort_info.items()}
    else:
        raise InputError(
            "cohort_info must be a file, a DataFrame or a mapping", source="cohort_info"
        )
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "cohort" not in frame.columns or not ({"cancer_type", "treatment"} & set(frame.columns)):
        raise InputError(
            f"needs columns cohort and cancer_type and/or treatment (found "
            f"{short_list(frame.columns, 8)})",
            source=source,
            fix="columns: cohort, cancer_type, treatment",
        )
    return {
        r["cohort"]: {k: v for k, v in r.items() if k != "cohort" and pd.notna(v)}
        for r in frame.to_dict("records")
    }


def _mode(values: pd.Series) -> tuple[str | None, dict[str, int]]:
    v = values.dropna().astype(str).str.strip()
    v = v[~v.str.lower().isin(["", "na", "nan", "none"])]
    if v.empty:
        return None, {}
    counts = v.value_counts()
    return str(counts.index[0]), {str(k): int(n) for k, n in counts.items()}


def _extra_features(
    pipe: Any,
    clin: pd.DataFrame,
    feats: pd.DataFrame | None,
    kinds: dict[str, str],
    *,
    tmb_col: str | None,
    genes: Sequence[str],
    source: str,
) -> tuple[pd.DataFrame | None, list[str]]:
    notes: list[str] = []
    parts = [] if feats is None else [feats]
    ph = pipe.tables.get("phenotypes.tsv")
    if ph is not None and "immune_phenotype" in ph.columns:
        p = (
            ph.set_index("sample_id")["immune_phenotype"].astype(str)
            if "sample_id" in ph
            else ph["immune_phenotype"].astype(str)
        )
        called = p[p.isin(["inflamed", "excluded", "desert"])]
        if not called.empty:
            ind = pd.DataFrame(
                {
                    f"phenotype:{lv}": (p == lv)
                    .astype(float)
                    .where(p.isin(["inflamed", "excluded", "desert"]))
                    for lv in ("inflamed", "excluded", "desert")
                }
            )
            parts.append(ind)
            kinds.update(dict.fromkeys(ind.columns, "phenotype"))
    if tmb_col is not None and (feats is None or "tmb_per_mb" not in feats.columns):
        col = (
            tmb_col
            if tmb_col in clin.columns
            else re.sub(r"[^0-9a-z]+", "_", tmb_col.strip().lower()).strip("_")
        )
        if col in clin.columns:
            t = pd.to_numeric(clin[col], errors="coerce")
            if t.notna().any():
                if (t < 0).any():
                    raise InputError(
                        f"negative TMB values in column {tmb_col!r}",
                        source=source,
                        fix="give mutations per megabase",
                    )
                parts.append(t.rename("tmb_per_mb").to_frame())
                kinds["tmb_per_mb"] = "genomic"
            else:
                notes.append(f"TMB column {tmb_col!r} has no numeric value")
        else:
            notes.append(f"no TMB column {tmb_col!r}")
    expr = pipe.expression
    if genes and expr is not None:
        have = [g for g in genes if g in expr.gene_set and f"gene_{g}" not in kinds]
        missing = [g for g in genes if g not in expr.gene_set]
        if missing:
            notes.append(f"gene(s) not measured: {short_list(missing)}")
        if have:
            vals = pd.DataFrame(
                expr.columns(have, "log2tpm1"),
                index=[str(s) for s in expr.samples],
                columns=[f"gene_{g}" for g in have],
            )
            parts.append(vals)
            kinds.update(dict.fromkeys(vals.columns, "gene"))
    if not parts:
        return None, notes
    return pd.concat(parts, axis=1, join="outer"), notes


def meta_analysis(
    cohorts: Sequence[str | tuple[str, ...]] | Mapping[str, str | tuple[str, ...]],
    *,
    unit: str | None = None,
    on_missing: Literal["error", "drop_genes"] = "drop_genes",
    response_col: str | None = None,
    response_rule: Literal["recist", "binary"] = "recist",
    sd_rule: str = "pfs6",
    response_map: Mapping[str, str | None] | None = None,
    sample_col: str | None = None,
    time_col: str | None = None,
    event_col: str | None = None,
    capture_mb: float | None = None,
    tmb_col: str | None = None,
    genes: Sequence[str] = (),
    cohort_info: object = None,
    min_per_group: int = 3,
    min_cohorts: int = 2,
    methods: Sequence[str] = METHODS,
    alpha: float = 0.05,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> MetaResult:
    """Meta-analyse responders versus non-responders across cohorts, feature by feature.

    Parameters
    ----------
    cohorts
        ``"EXPR:CLINICAL[:MAF]"`` strings or ``(expr, clinical[, maf])`` path tuples (names
        from the expression file names), or a mapping cohort name -> such an entry.
    unit, response_col, response_rule, sd_rule, sample_col, capture_mb
        As ``immunescape compare``: the expression unit, the response column and whether it
        holds RECIST (``"recist"``: CR/PR = R, PD = NR, SD by ``sd_rule``) or R/NR
        (``"binary"``), the clinical sample id column, the sequenced megabases of the MAFs.
    response_map
        Extra response values mapped to CR, PR, CR/PR, SD, PD, NE, R, NR or NA (see
        :func:`immunescape.io.read_clinical`), e.g. ``{"PD*": "PD"}``.
    on_missing
        ``"error"`` or ``"drop_genes"``: drop genes with missing expression values (as
        ``immunescape train --on-missing``).
    time_col, event_col
        Survival columns; default: ``os_months``/``os_event`` and ``pfs_months``/
        ``pfs_event`` of the harmonised clinical table when present.
    tmb_col
        A clinical column holding TMB (mutations per Mb), used as ``tmb_per_mb`` for cohorts
        without a MAF (e.g. ``"TMB_perMb"`` of PredictioR tables).
    genes
        Extra single genes (HGNC symbols) added as ``gene_<SYMBOL>`` (log2(TPM + 1)) when the
        registry has no such feature.
    cohort_info
        Cancer type and treatment per cohort: a TSV file, a DataFrame (columns cohort,
        cancer_type, treatment) or a mapping cohort -> {"cancer_type": ..., "treatment":
        ...}; overrides the clinical columns ``cancer_type`` and ``treatment`` (the most
        frequent value among the labelled samples). Treatments are mapped to
        :data:`TREATMENT_CLASSES` by :func:`treatment_class`.
    min_per_group
        Fewest responders and non-responders for a cohort (and for a feature within it).
    min_cohorts
        Fewest cohorts for an overall pooled estimate.
    methods, alpha
        tau² estimators (``"REML"``, ``"DL"``) and 1 - confidence level.
    seed
        Seed of random-background signature scores.
    progress
        Called with the name of each step.

    Returns
    -------
    MetaResult

    Raises
    ------
    InputError
        Unreadable or inconsistent inputs (the message names the cohort). A cohort with one
        response class or fewer than ``min_per_group`` in a class is not an error: it is
        listed in ``cohorts.tsv`` with the reason and left out of pooling.
    """
    from immunescape.compare._cohort import ENDPOINTS, _features
    from immunescape.pipeline import run_pipeline

    step = progress or (lambda _name: None)
    if response_rule not in ("recist", "binary"):
        raise InputError(
            f"response_rule must be recist or binary, not {response_rule!r}",
            source="--response-rule",
        )
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be in (0, 1), got {alpha}", source="alpha")
    if isinstance(min_per_group, bool) or not isinstance(min_per_group, int) or min_per_group < 2:
        raise InputError(
            f"min_per_group must be an integer >= 2, got {min_per_group!r}",
            source="--min-per-group",
        )
    if isinstance(min_cohorts, bool) or not isinstance(min_cohorts, int) or min_cohorts < 2:
        raise InputError(
            f"min_cohorts must be an integer >= 2, got {min_cohorts!r}", source="--min-cohorts"
        )
    if (time_col is None) != (event_col is None):
        raise InputError(
            "survival needs both time_col and event_col",
            source="survival",
            fix="give --time-col and --event-col",
        )
    if isinstance(genes, str):
        genes = [g.strip() for g in genes.split(",") if g.strip()]
    specs = _specs(cohorts)
    info = _read_info(cohort_info)
    unknown = sorted(set(info) - {s[0] for s in specs})
    warnings_out: list[str] = []
    if unknown:
        warnings_out.append(f"cohort_info names unknown cohort(s): {short_list(unknown)}")
    cols: dict[str, Any] = {}
    if sample_col:
        cols["sample_col"] = sample_col
    if response_col:
        cols["recist_col" if response_rule == "recist" else "response_col"] = response_col
    if response_map:
        cols["response_map"] = dict(response_map)  # type: ignore[assignment]

    cohort_table: list[dict[str, Any]] = []
    effect_parts: list[pd.DataFrame] = []
    inputs: dict[str, Any] = {}
    for name, e, cl, m in specs:
        step(f"cohort {name}")
        for p in (e, cl, m):
            if p is not None and not Path(p).exists():
                raise InputError(
                    "file not found", source=f"cohort {name}: {p}", fix="check the --cohort paths"
                )
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                pipe = run_pipeline(
                    expr=e,
                    unit=unit,
                    on_missing=on_missing,
                    maf=m,
                    clinical=cl,
                    clinical_columns=cols,
                    sd_rule=sd_rule,
                    capture_mb=capture_mb,
                    dna_samples="all" if m is not None else "maf",
                    seed=seed,
                )
        except InputError as exc:
            raise InputError(f"cohort {name}: {exc}") from None
        cohort_warn = list(pipe.run.get("warnings", [])) + [str(w.message) for w in caught]
        inputs[name] = {
            "expression": e,
            "clinical": cl,
            "maf": m,
            **{
                k: v
                for k, v in pipe.run.get("inputs", {}).items()
                if k in ("expression", "clinical")
            },
        }
        clin = pipe.clinical
        t = pipe.tables
        msgs: list[str] = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            feats, kinds = _features(
                pipe.expression,
                t.get("scores.tsv"),
                t["features.tsv"].reset_index() if "features.tsv" in t else None,
                t["tmb.tsv"].reset_index() if "tmb.tsv" in t else None,
                t.get("mechanisms.tsv"),
                msgs,
                seed,
            )
        msgs += [str(w.message) for w in caught]
        feats, notes = _extra_features(
            pipe, clin, feats, kinds, tmb_col=tmb_col, genes=genes, source=f"cohort {name}: {cl}"
        )
        cohort_warn += msgs + notes
        y = (
            response_labels(clin["response"], source=f"cohort {name}: {cl}")
            if "response" in clin.columns
            else pd.Series(dtype=object)
        )
        if feats is not None:
            y = y.loc[y.index.intersection(feats.index, sort=False)]
        n_r, n_nr = int((y == RESPONDER).sum()), int((y == NON_RESPONDER).sum())
        lab = clin.loc[y.index]
        lab = lab.loc[:, ~lab.columns.duplicated()]
        ct_i = info.get(name, {})
        cancer, ct_counts = _mode(lab["cancer_type"]) if "cancer_type" in lab else (None, {})
        tr_raw = lab["treatment"].map(treatment_class) if "treatment" in lab else None
        treat, tr_counts = _mode(tr_raw) if tr_raw is not None else (None, {})
        if "cancer_type" in ct_i:
            cancer = ct_i["cancer_type"]
        if "treatment" in ct_i:
            treat, tr_counts = treatment_class(ct_i["treatment"]), {}
        if len(tr_counts) > 1:
            cohort_warn.append(
                f"cohort {name}: several treatment classes ({tr_counts}); the cohort is "
                f"counted as {treat!r} (override with cohort_info)"
            )
        row = {
            "cohort": name,
            "cancer_type": cancer or "unknown",
            "treatment_class": treat or "unknown",
            "treatment_detail": "; ".join(f"{k}: {v}" for k, v in tr_counts.items()),
            "n_samples": int(len(clin)),
            "n_r": n_r,
            "n_nr": n_nr,
            "n_features": 0 if feats is None else int(feats.shape[1]),
            "included": False,
            "reason": "",
        }
        if feats is None:
            row["reason"] = "no feature could be computed (no expression, MAF or TMB)"
        elif n_r + n_nr == 0:
            row["reason"] = "no sample with a response label (R / NR)"
        elif n_r == 0 or n_nr == 0:
            row["reason"] = f"one response class only ({n_r} responders, {n_nr} non-responders)"
        elif n_r < min_per_group or n_nr < min_per_group:
            row["reason"] = (
                f"too few patients ({n_r} responders, {n_nr} non-responders; "
                f"minimum {min_per_group} each)"
            )
        else:
            endpoints: list[tuple[str | None, str, str]] = []
            if time_col is not None and event_col is not None:
                for c in (time_col, event_col):
                    if c not in clin.columns:
                        raise InputError(
                            f"cohort {name}: no column {c!r} in the clinical table",
                            source=cl,
                            fix="name existing survival columns",
                        )
                endpoints.append((None, time_col, event_col))
            else:
                for ep, tc, ec in ENDPOINTS:
                    if tc in clin and ec in clin:
                        n_ok = int((clin[tc].notna() & clin[ec].notna()).sum())
                        if n_ok >= 2 * min_per_group:
                            endpoints.append((ep, tc, ec))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    eff = cohort_effects(
                        feats,
                        y,
                        clin,
                        cohort=name,
                        kinds=kinds,
                        endpoints=endpoints,
                        min_per_group=min_per_group,
                        alpha=alpha,
                    )
                except InputError as exc:
                    raise InputError(f"cohort {name}: {exc}") from None
            cohort_warn += [f"cohort {name}: {w.message}" for w in caught]
            eff.insert(1, "cancer_type", row["cancer_type"])
            eff.insert(2, "treatment_class", row["treatment_class"])
            effect_parts.append(eff)
            row["included"] = True
            row["endpoints"] = ",".join(ep or tc for ep, tc, _ in endpoints)
        if row["reason"]:
            cohort_warn.append(f"cohort {name} left out of pooling: {row['reason']}")
        warnings_out += [
            w if str(w).startswith("cohort ") else f"cohort {name}: {w}" for w in cohort_warn
        ]
        cohort_table.append(row)
        logger.info(
            "meta: cohort %s: %d R / %d NR, %s",
            name,
            n_r,
            n_nr,
            "included" if row["included"] else row["reason"],
        )

    cohorts_t = pd.DataFrame(cohort_table)
    if "endpoints" not in cohorts_t:
        cohorts_t["endpoints"] = ""
    cohorts_t["endpoints"] = cohorts_t["endpoints"].fillna("")
    per = (
        pd.concat(effect_parts, ignore_index=True)
        if effect_parts
        else pd.DataFrame(columns=COHORT_COLUMNS)
    )
    per = per[COHORT_COLUMNS]
    step("pooling")
    meta, loo = pool_effects(per, methods=methods, min_cohorts=min_cohorts, alpha=alpha)
    n_inc = int(cohorts_t["included"].sum())
    if n_inc < min_cohorts:
        warnings_out.append(
            f"only {n_inc} cohort(s) could be used (minimum {min_cohorts} "
            "for pooling): no pooled estimate"
        )
    prov = {
        "cohorts": cohorts_t.to_dict("records"),
        "inputs": inputs,
        "settings": {
            "unit": unit,
            "on_missing": on_missing,
            "response_col": response_col,
            "response_rule": response_rule,
            "sd_rule": sd_rule,
            "response_map": dict(response_map or {}),
            "time_col": time_col,
            "event_col": event_col,
            "capture_mb": capture_mb,
            "tmb_col": tmb_col,
            "genes": list(genes),
            "min_per_group": min_per_group,
            "min_cohorts": min_cohorts,
            "methods": list(methods),
            "alpha": alpha,
            "seed": seed,
        },
        "methods": {
            "auc": "AUC with DeLong variance per cohort (compare's associations.tsv); pooled "
            "on the AUC scale, null 0.5",
            "log_or": "logistic regression per SD of the feature within the cohort "
            "(statsmodels Logit), Wald SE",
            "log_hr": "Cox model per SD (Efron ties; compare's survival.tsv), Wald SE",
            "REML": "restricted maximum likelihood tau2 (Fisher scoring, as metafor::rma)",
            "DL": "DerSimonian-Laird tau2 (statsmodels combine_effects method_re='dl')",
            "heterogeneity": "Cochran Q, I2 = tau2 / (tau2 + typical within-cohort variance)",
            "subgroups": "random-effects estimate per subgroup (own tau2); Q between "
            "subgroups on G - 1 df",
            "multiple_testing": "Benjamini-Hochberg over features within measure, method "
            "and subgroup",
            "leave_one_out": "each overall estimate refitted without each cohort",
        },
        "n_cohorts": int(len(cohorts_t)),
        "n_cohorts_pooled": n_inc,
        "warnings": warnings_out,
    }
    res = MetaResult(
        tables={
            "meta.tsv": meta,
            "meta_cohorts.tsv": per,
            "meta_loo.tsv": loo,
            "cohorts.tsv": cohorts_t,
        },
        provenance=prov,
    )
    return res
