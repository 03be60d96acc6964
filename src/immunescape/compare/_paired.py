"""Paired biopsies: within-patient changes and events acquired on treatment (``paired.tsv``).

:func:`paired_changes`
    For every feature, the within-patient change ``post - pre`` over the patients with both
    samples, tested with the Wilcoxon signed-rank test (:func:`scipy.stats.wilcoxon`,
    two-sided, zero differences dropped as in Wilcoxon's original method, exact null
    distribution for fewer than 50 non-zero differences without ties, otherwise the normal
    approximation) in all patients, in responders and in non-responders; and whether the
    change differs between responders and non-responders (two-sided Mann-Whitney U of the
    changes). Benjamini-Hochberg q-values within each group.
:func:`new_events`
    Genomic events present after treatment (at progression) and absent before, e.g. the
    JAK1/JAK2 loss-of-function and B2M truncations found at relapse on anti-PD-1 by Zaretsky
    et al. 2016 (N Engl J Med 375:819, PMID 27433843).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from immunescape._validate import check_choice
from immunescape.compare._common import (
    NON_RESPONDER,
    RESPONDER,
    numeric_features,
    public_table,
    require_columns,
    response_labels,
    short_list,
)
from immunescape.errors import InputError
from immunescape.stats import bh

__all__ = [
    "ACQUIRED_RESISTANCE_GENES",
    "PAIRED_COLUMNS",
    "NEW_EVENT_COLUMNS",
    "pair_samples",
    "paired_changes",
    "new_events",
    "split_by_timepoint",
]

PAIRED_COLUMNS = [
    "feature",
    "group",
    "n_pairs",
    "median_pre",
    "median_post",
    "median_delta",
    "mean_delta",
    "statistic",
    "p_value",
    "q_value",
    "direction",
    "test",
    "note",
]
NEW_EVENT_COLUMNS = [
    "patient_id",
    "gene",
    "event",
    "detail",
    "biallelic",
    "gene_altered_before",
    "mechanism",
    "reason",
]

#: Genes whose loss after checkpoint blockade is a described acquired-resistance mechanism,
#: with the knowledge-base mechanism id: JAK1/JAK2 and B2M (Zaretsky et al. 2016, NEJM,
#: PMID 27433843; Sade-Feldman et al. 2017, Nat Commun, PMID 29070816), the IFN-gamma
#: receptor pathway (Gao et al. 2016, Cell, PMID 27667683) and HLA class I.
ACQUIRED_RESISTANCE_GENES: dict[str, str] = {
    "JAK1": "ifng_pathway_loss",
    "JAK2": "ifng_pathway_loss",
    "IFNGR1": "ifng_pathway_loss",
    "IFNGR2": "ifng_pathway_loss",
    "IRF1": "ifng_pathway_loss",
    "STAT1": "ifng_pathway_loss",
    "B2M": "antigen_presentation_loss",
    "HLA-A": "antigen_presentation_loss",
    "HLA-B": "antigen_presentation_loss",
    "HLA-C": "antigen_presentation_loss",
    "TAP1": "antigen_presentation_loss",
    "TAP2": "antigen_presentation_loss",
}
_LOSS_EVENTS = ("truncating", "deep_deletion", "loh")

Match = Literal["detail", "event"]
WILCOXON = "Wilcoxon signed-rank, two-sided (scipy.stats.wilcoxon, zero_method='wilcox')"
MANN_WHITNEY = "Mann-Whitney U of the changes, R vs NR, two-sided (scipy.stats.mannwhitneyu)"


def _norm(value: object) -> str:
    return str(value).strip().lower()


def pair_samples(
    meta: pd.DataFrame,
    *,
    patient_col: str,
    timepoint_col: str,
    pre: str = "pre",
    post: str = "on",
) -> pd.DataFrame:
    """Match each patient's pre- and post-treatment samples.

    Parameters
    ----------
    meta
        Index = sample ids; columns ``patient_col`` and ``timepoint_col``.
    patient_col, timepoint_col
        Column names.
    pre, post
        Timepoint values (compared case-insensitively, e.g. ``"Pre"`` and ``"On"``).

    Returns
    -------
    pandas.DataFrame
        ``patient``, ``pre_sample``, ``post_sample`` for the patients having both, in
        order of first appearance.

    Raises
    ------
    InputError
        Missing columns, a patient with two samples at one timepoint (named), or no
        sample at either timepoint.

    Examples
    --------
    >>> m = pd.DataFrame({"pt": ["A", "A", "B"], "tp": ["Pre", "On", "Pre"]},
    ...                  index=["A_pre", "A_on", "B_pre"])
    >>> pair_samples(m, patient_col="pt", timepoint_col="tp").values.tolist()
    [['A', 'A_pre', 'A_on']]
    """
    if not isinstance(meta, pd.DataFrame):
        raise InputError(
            f"meta must be a DataFrame indexed by sample id, got {type(meta).__name__}",
            source="meta",
        )
    require_columns(
        meta,
        (patient_col, timepoint_col),
        source="meta",
        fix="name the patient and timepoint columns (--patient-col, --timepoint-col)",
    )
    tp = meta[timepoint_col].map(_norm)
    pre_n, post_n = _norm(pre), _norm(post)
    if pre_n == post_n:
        raise InputError(f"pre and post are the same value {pre!r}", source="post")
    found = sorted(set(tp.dropna()))
    for label, value in (("pre", pre_n), ("post", post_n)):
        if value not in found:
            raise InputError(
                f"no sample has timepoint {value!r} (values: {short_list(found)})",
                source=timepoint_col,
                fix=f"set {label}= to one of the values in the timepoint column",
            )
    sub = meta.loc[tp.isin([pre_n, post_n]) & meta[patient_col].notna()]
    sub_tp = tp.loc[sub.index]
    counts = sub.groupby([sub[patient_col], sub_tp]).size()
    dup = counts[counts > 1]
    if len(dup):
        (patient, when), k = dup.index[0], int(dup.iloc[0])
        raise InputError(
            f"patient {patient!r} has {k} samples at timepoint {when!r} "
            f"({len(dup)} patient-timepoint(s) duplicated)",
            source="meta",
            fix="keep one sample per patient and timepoint (e.g. drop repeat biopsies)",
        )
    pre_s = pd.Series(sub.index[sub_tp == pre_n], index=sub.loc[sub_tp == pre_n, patient_col])
    post_s = pd.Series(sub.index[sub_tp == post_n], index=sub.loc[sub_tp == post_n, patient_col])
    patients = [p for p in dict.fromkeys(sub[patient_col]) if p in pre_s.index and p in post_s]
    return pd.DataFrame(
        {
            "patient": patients,
            "pre_sample": [pre_s[p] for p in patients],
            "post_sample": [post_s[p] for p in patients],
        }
    )


def _signed_rank(delta: np.ndarray) -> tuple[float, float, str]:
    nz = delta[delta != 0]
    if nz.size == 0:
        return np.nan, np.nan, "all changes are zero"
    res = stats.wilcoxon(delta, zero_method="wilcox", alternative="two-sided")
    note = f"{delta.size - nz.size} zero change(s) dropped" if nz.size < delta.size else ""
    return float(res.statistic), float(res.pvalue), note


def _paired_changes(
    features: pd.DataFrame,
    meta: pd.DataFrame,
    *,
    patient_col: str,
    timepoint_col: str,
    pre: str = "pre",
    post: str = "on",
    response_col: str | None = None,
    min_pairs: int = 3,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Within-patient change of every feature between two timepoints.

    Parameters
    ----------
    features
        Samples x numeric features (pre and post samples as separate rows).
    meta
        Index = sample ids; ``patient_col``, ``timepoint_col`` and optionally
        ``response_col`` (R / NR, per sample; a patient's label is that of either sample and
        must agree).
    patient_col, timepoint_col, pre, post
        See :func:`pair_samples`.
    response_col
        When given, the tests are repeated within responders (``group = "R"``) and
        non-responders (``"NR"``), and ``"R_vs_NR"`` compares their changes.
    min_pairs
        Fewest pairs for a test (fewer: NaN with a note).

    Returns
    -------
    pandas.DataFrame
        :data:`PAIRED_COLUMNS`; ``direction`` is ``up`` / ``down`` (median change post - pre)
        or, for ``R_vs_NR``, ``larger_in_responders`` / ``larger_in_non_responders``.
        ``statistic`` is scipy's (signed-rank: the smaller rank sum; Mann-Whitney: U of the
        responders). Sorted by group, then p-value.

    Examples
    --------
    >>> m = pd.DataFrame({"pt": list("AABBCCDD"), "tp": ["pre", "on"] * 4},
    ...                  index=[f"s{i}" for i in range(8)])
    >>> f = pd.DataFrame({"cyt": [1.0, 3, 2, 5, 1, 2, 4, 9]}, index=m.index)
    >>> t = paired_changes(f, m, patient_col="pt", timepoint_col="tp")
    >>> t[["group", "n_pairs", "median_delta", "p_value", "direction"]].values.tolist()
    [['all', 4, 2.5, 0.125, 'up']]
    """
    X = numeric_features(features)
    pairs = pair_samples(
        meta, patient_col=patient_col, timepoint_col=timepoint_col, pre=pre, post=post
    )
    pairs = pairs[pairs["pre_sample"].isin(X.index) & pairs["post_sample"].isin(X.index)]
    if len(pairs) == 0:
        raise InputError(
            f"no patient has both a {pre!r} and a {post!r} sample with features",
            source="meta",
            fix="check the patient/timepoint columns and that sample ids match the features",
        )
    labels = None
    if response_col is not None:
        if response_col not in meta.columns:
            raise InputError(
                f"no column {response_col!r} in meta", source="meta", fix="name the response column"
            )
        lab = response_labels(meta[response_col], source=response_col)
        patient_lab = []
        for _, pair in pairs.iterrows():
            vals = {lab.get(pair["pre_sample"]), lab.get(pair["post_sample"])} - {None}
            if len(vals) > 1:
                raise InputError(
                    f"patient {pair['patient']!r} is labelled both R and NR",
                    source=response_col,
                    fix="give one response per patient",
                )
            patient_lab.append(vals.pop() if vals else None)
        labels = np.array(patient_lab, dtype=object)

    pre_v = X.loc[pairs["pre_sample"]].to_numpy(dtype=float)
    post_v = X.loc[pairs["post_sample"]].to_numpy(dtype=float)
    groups: list[tuple[str, np.ndarray]] = [("all", np.ones(len(pairs), dtype=bool))]
    if labels is not None:
        groups += [("R", labels == RESPONDER), ("NR", labels == NON_RESPONDER)]

    rows = []
    for j, feat in enumerate(X.columns):
        a, b = pre_v[:, j], post_v[:, j]
        ok = np.isfinite(a) & np.isfinite(b)
        d_all = b - a
        for gname, gmask in groups:
            m = ok & gmask
            d = d_all[m]
            row: dict[str, object] = {
                "feature": feat,
                "group": gname,
                "n_pairs": int(m.sum()),
                "median_pre": float(np.median(a[m])) if m.any() else np.nan,
                "median_post": float(np.median(b[m])) if m.any() else np.nan,
                "median_delta": float(np.median(d)) if m.any() else np.nan,
                "mean_delta": float(np.mean(d)) if m.any() else np.nan,
                "test": WILCOXON,
            }
            if m.sum() < min_pairs:
                note = f"not tested: {int(m.sum())} pair(s) (minimum {min_pairs})"
                row.update(statistic=np.nan, p_value=np.nan, note=note)
            else:
                s, p, note = _signed_rank(d)
                row.update(statistic=s, p_value=p, note=note)
            med = float(np.median(d)) if m.any() else np.nan
            row["direction"] = (
                "" if not np.isfinite(med) else ("up" if med > 0 else "down" if med < 0 else "none")
            )
            rows.append(row)
        if labels is not None:
            dr = d_all[ok & (labels == RESPONDER)]
            dn = d_all[ok & (labels == NON_RESPONDER)]
            between: dict[str, object] = {
                "feature": feat,
                "group": "R_vs_NR",
                "n_pairs": int(dr.size + dn.size),
                "median_pre": np.nan,
                "median_post": np.nan,
                "median_delta": float(np.median(dr) - np.median(dn))
                if dr.size and dn.size
                else np.nan,
                "mean_delta": float(np.mean(dr) - np.mean(dn)) if dr.size and dn.size else np.nan,
                "test": MANN_WHITNEY,
            }
            if dr.size < min_pairs or dn.size < min_pairs:
                between.update(
                    statistic=np.nan,
                    p_value=np.nan,
                    direction="",
                    note=f"not tested: {dr.size} R and {dn.size} NR pairs "
                    f"(minimum {min_pairs} each)",
                )
            else:
                res = stats.mannwhitneyu(dr, dn, alternative="two-sided", method="auto")
                u = float(res.statistic)
                auc = u / (dr.size * dn.size)
                between.update(
                    statistic=u,
                    p_value=float(res.pvalue),
                    direction="larger_in_responders"
                    if auc > 0.5
                    else "larger_in_non_responders"
                    if auc < 0.5
                    else "none",
                    note=f"median difference of changes R - NR; AUC = {auc:.3f}",
                )
            rows.append(between)

    table = pd.DataFrame(rows)
    table["q_value"] = np.nan
    for _, idx in table.groupby("group", sort=False).groups.items():
        table.loc[idx, "q_value"] = bh(table.loc[idx, "p_value"].to_numpy(dtype=float))
    order = {"all": 0, "R": 1, "NR": 2, "R_vs_NR": 3}
    table["_g"] = table["group"].map(order)
    table = (
        table.sort_values(["_g", "p_value"], kind="mergesort", na_position="last")
        .drop(columns="_g")
        .reset_index(drop=True)[PAIRED_COLUMNS]
    )
    table["note"] = table["note"].fillna("")
    settings = {
        "pre": pre,
        "post": post,
        "change": "post - pre",
        "test": WILCOXON,
        "between_groups": MANN_WHITNEY if labels is not None else None,
        "multiple_testing": "Benjamini-Hochberg within each group",
        "n_pairs": int(len(pairs)),
        "n_pairs_responders": int((labels == RESPONDER).sum()) if labels is not None else None,
        "n_pairs_non_responders": int((labels == NON_RESPONDER).sum())
        if labels is not None
        else None,
        "pairs": pairs.to_dict("records"),
    }
    return table, settings


paired_changes = public_table(_paired_changes)


def split_by_timepoint(
    events: pd.DataFrame,
    meta: pd.DataFrame,
    *,
    patient_col: str,
    timepoint_col: str,
    pre: str = "pre",
    post: str = "post",
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Split one events table (``sample_id`` column) into pre and post tables keyed by patient.

    Returns
    -------
    tuple
        ``(events_pre, events_post, patients)``: the two tables with ``sample_id`` replaced
        by the patient id, and the patients with both samples (their pre sample counts as
        sequenced even if it has no event).

    Examples
    --------
    >>> m = pd.DataFrame({"pt": ["A", "A"], "tp": ["pre", "post"]}, index=["A1", "A2"])
    >>> ev = pd.DataFrame({"sample_id": ["A2"], "gene": ["B2M"], "event": ["truncating"]})
    >>> pre, post, pts = split_by_timepoint(ev, m, patient_col="pt", timepoint_col="tp")
    >>> len(pre), post["sample_id"].tolist(), pts
    (0, ['A'], ['A'])
    """
    if "sample_id" not in events.columns:
        raise InputError("events table has no 'sample_id' column", source="events")
    pairs = pair_samples(
        meta, patient_col=patient_col, timepoint_col=timepoint_col, pre=pre, post=post
    )
    to_patient_pre = dict(zip(pairs["pre_sample"], pairs["patient"], strict=True))
    to_patient_post = dict(zip(pairs["post_sample"], pairs["patient"], strict=True))
    ev_pre = events[events["sample_id"].isin(to_patient_pre)].copy()
    ev_pre["sample_id"] = ev_pre["sample_id"].map(to_patient_pre)
    ev_post = events[events["sample_id"].isin(to_patient_post)].copy()
    ev_post["sample_id"] = ev_post["sample_id"].map(to_patient_post)
    return ev_pre.reset_index(drop=True), ev_post.reset_index(drop=True), list(pairs["patient"])


def _event_keys(events: pd.DataFrame, key: str, source: str) -> pd.DataFrame:
    need = [key, "gene", "event"]
    missing = [c for c in need if c not in events.columns]
    if missing:
        raise InputError(
            f"events table lacks column(s) {short_list(missing)}",
            source=source,
            fix="pass a genomic_events table (sample_id, gene, event, detail, biallelic)",
        )
    out = events.copy()
    if "detail" not in out.columns:
        out["detail"] = ""
    out["detail"] = out["detail"].fillna("").astype(str)
    return out


def _new_events(
    events_pre: pd.DataFrame,
    events_post: pd.DataFrame,
    *,
    key: str = "sample_id",
    sequenced_pre: Iterable[str] | None = None,
    match: Match = "detail",
    loss_only: bool = False,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Events present after treatment and absent before, per patient.

    Parameters
    ----------
    events_pre, events_post
        ``genomic_events`` tables (``gene``, ``event``, ``detail``, ``biallelic``) whose
        ``key`` column identifies the patient in both (see :func:`split_by_timepoint` for
        one table with sample ids and timepoints).
    key
        The patient column of both tables.
    sequenced_pre
        Patients whose pre-treatment sample was sequenced. Default: the patients present in
        ``events_pre``; a patient of ``events_post`` not sequenced before is skipped (an
        absent event cannot be told from a missing sample).
    match
        ``"detail"``: an event is new unless the same gene, event type and detail (e.g. the
        same HGVSp) was there before, so a second, different truncating mutation counts;
        ``"event"``: unless the same gene and event type was there before.
    loss_only
        Keep only loss-of-function events (truncating, deep deletion, LOH).

    Returns
    -------
    pandas.DataFrame
        :data:`NEW_EVENT_COLUMNS`: ``gene_altered_before`` tells whether any event in the
        gene was present before (a second hit); ``mechanism`` names the knowledge-base
        mechanism when the gene is a described acquired-resistance gene and the event a
        loss (:data:`ACQUIRED_RESISTANCE_GENES`; or the table's own ``mechanisms`` column).

    Examples
    --------
    A JAK2 truncation appears at relapse (as in Zaretsky et al. 2016); a BRAF hotspot was
    already there before treatment:

    >>> pre = pd.DataFrame({"sample_id": ["pt1"], "gene": ["BRAF"],
    ...                     "event": ["hotspot_activating"], "detail": ["p.V600E"]})
    >>> post = pd.DataFrame({"sample_id": ["pt1", "pt1"], "gene": ["BRAF", "JAK2"],
    ...                      "event": ["hotspot_activating", "truncating"],
    ...                      "detail": ["p.V600E", "p.F547fs"]})
    >>> new_events(pre, post)[["patient_id", "gene", "event", "mechanism"]].values.tolist()
    [['pt1', 'JAK2', 'truncating', 'ifng_pathway_loss']]
    """
    pre = _event_keys(events_pre, key, "events_pre")
    post = _event_keys(events_post, key, "events_post")
    check_choice("match", match, Match)
    seq = set(pre[key]) if sequenced_pre is None else set(sequenced_pre)
    skipped = sorted(set(post[key]) - seq)
    post = post[post[key].isin(seq)]
    cols = ["gene", "event", "detail"] if match == "detail" else ["gene", "event"]
    before = set(map(tuple, pre[[key, *cols]].astype(str).to_numpy()))
    genes_before = set(map(tuple, pre[[key, "gene"]].astype(str).to_numpy()))
    rows = []
    for _, r in post.iterrows():
        k = tuple(str(r[c]) for c in [key, *cols])
        if k in before:
            continue
        if loss_only and r["event"] not in _LOSS_EVENTS:
            continue
        gene = str(r["gene"])
        altered = (str(r[key]), gene) in genes_before
        mech = ""
        own = r.get("mechanisms", "")
        if isinstance(own, str) and own:
            mech = own
        elif gene in ACQUIRED_RESISTANCE_GENES and r["event"] in _LOSS_EVENTS:
            mech = ACQUIRED_RESISTANCE_GENES[gene]
        reason = "absent before treatment" + (
            "; the gene already carried another event (possible second hit)" if altered else ""
        )
        rows.append(
            {
                "patient_id": r[key],
                "gene": gene,
                "event": r["event"],
                "detail": r["detail"],
                "biallelic": r.get("biallelic", "unknown"),
                "gene_altered_before": altered,
                "mechanism": mech,
                "reason": reason,
            }
        )
    table = pd.DataFrame(rows, columns=NEW_EVENT_COLUMNS)
    settings = {"match": match, "patients_not_sequenced_before": skipped}
    return table, settings


new_events = public_table(_new_events)
