"""Genes (and resistance mechanisms) altered more often in responders or non-responders.

``mutations.tsv``: per gene, the responders and non-responders carrying at least one event
(of the chosen types) among the *sequenced* samples with a response label, and Fisher's
exact test (:func:`scipy.stats.fisher_exact`, two-sided) of the 2 x 2 table

=================  ============  ==================
                   mutated       not mutated
responders         ``n_r_mut``   ``n_r - n_r_mut``
non-responders     ``n_nr_mut``  ``n_nr - n_nr_mut``
=================  ============  ==================

``odds_ratio`` is the sample odds ratio of that table (scipy's; > 1: mutated more often in
responders; 0 or inf when a cell is empty). Genes mutated in fewer than ``min_mutated``
samples are listed but not tested; q-values are Benjamini-Hochberg over the tested genes.

``mechanisms_enrichment.tsv``: the same test per resistance mechanism, ``present`` versus
``absent`` (samples whose status is ``indeterminate`` or ``not_assessable`` are left out of
that mechanism's table).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from immunescape.compare._common import (
    NON_RESPONDER,
    RESPONDER,
    check_groups,
    public_table,
    response_labels,
    short_list,
    sort_by_p,
)
from immunescape.errors import InputError
from immunescape.stats import bh
from immunescape.tables import TABLE_SPECS

__all__ = [
    "mutation_enrichment",
    "mechanism_enrichment",
    "MUTATION_COLUMNS",
    "MECHANISMS_ENRICHMENT_COLUMNS",
]

#: Contract columns of ``mutations.tsv`` (:data:`immunescape.tables.TABLE_SPECS`), in order.
MUTATION_COLUMNS = [*TABLE_SPECS["mutations"].required, *TABLE_SPECS["mutations"].optional]
MUTATION_EXTRA = ["n_r", "n_nr", "freq_r", "freq_nr", "events_counted", "note"]
#: Columns of ``mechanisms_enrichment.tsv`` in output order: those of its table contract
#: (:data:`immunescape.tables.TABLE_SPECS`), which lists required before optional ones.
MECHANISMS_ENRICHMENT_COLUMNS = [
    "mechanism_id",
    "n_r_present",
    "n_nr_present",
    "n_r",
    "n_nr",
    "odds_ratio",
    "p_value",
    "q_value",
]
FISHER = "Fisher's exact test, two-sided (scipy.stats.fisher_exact)"


def _fisher_table(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Fisher's exact test of each row's 2 x 2 table, BH q-values, sorted by p-value.

    A row holds ``a``/``n_r`` (altered / all responders), ``c``/``n_nr`` (non-responders) and
    ``note``: rows with a note are not tested.
    """
    for row in rows:
        a, c, n_r, n_nr = row.pop("a"), row.pop("c"), row["n_r"], row["n_nr"]
        row.update(odds_ratio=np.nan, p_value=np.nan)
        if not row["note"]:
            res = stats.fisher_exact([[a, n_r - a], [c, n_nr - c]], alternative="two-sided")
            row.update(odds_ratio=float(res.statistic), p_value=float(res.pvalue))
    table = pd.DataFrame(rows, columns=columns)
    table["q_value"] = bh(table["p_value"].to_numpy(dtype=float))
    return sort_by_p(table)


def _mutation_enrichment(
    events: pd.DataFrame,
    response: pd.Series,
    *,
    samples: Iterable[str],
    event_types: Sequence[str] | None = None,
    min_mutated: int = 3,
    min_per_group: int = 3,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Fisher's exact test of each gene's alteration frequency, responders vs non-responders.

    Parameters
    ----------
    events
        ``genomic_events`` table: ``sample_id``, ``gene``, ``event`` (more columns ignored).
    response
        ``"R"`` / ``"NR"`` per sample id.
    samples
        Every sequenced sample (a sample without any event is wild-type only if it was
        sequenced). Samples in ``events`` but not here raise an error.
    event_types
        Event types counted (e.g. ``["truncating", "hotspot_activating"]``); default all.
    min_mutated
        Fewest altered samples (both groups together) for a gene to be tested.
    min_per_group
        Fewest sequenced responders and non-responders.

    Returns
    -------
    pandas.DataFrame
        :data:`MUTATION_COLUMNS` then ``n_r``, ``n_nr``, ``freq_r``, ``freq_nr``,
        ``events_counted``, ``note``; sorted by p-value (untested genes last).

    Raises
    ------
    InputError
        Missing columns, events of unlisted samples, too few samples per group.

    Examples
    --------
    >>> ev = pd.DataFrame({"sample_id": ["a", "b", "c", "e"], "gene": ["B2M"] * 3 + ["TP53"],
    ...                    "event": ["truncating"] * 4})
    >>> y = pd.Series(["NR", "NR", "NR", "R", "R", "R"], index=list("abcdef"))
    >>> t = mutation_enrichment(ev, y, samples=list("abcdef"), min_mutated=1)
    >>> t[["gene", "n_r_mut", "n_nr_mut", "odds_ratio"]].values.tolist()
    [['B2M', 0, 3, 0.0], ['TP53', 1, 0, inf]]
    >>> round(float(t["p_value"].iloc[0]), 3)
    0.1
    """
    if not isinstance(events, pd.DataFrame):
        raise InputError(
            f"events must be a DataFrame, got {type(events).__name__}", source="events"
        )
    missing = [c for c in ("sample_id", "gene", "event") if c not in events.columns]
    if missing:
        raise InputError(
            f"events table lacks column(s) {short_list(missing)}",
            source="events",
            fix="pass the genomic_events table (sample_id, gene, event, detail, biallelic)",
        )
    if isinstance(samples, str):
        raise InputError("samples must be a list of sample ids, not a string", source="samples")
    sequenced = pd.Index(list(dict.fromkeys(samples)))
    unlisted = sorted(set(events["sample_id"].astype(str)) - set(sequenced.astype(str)))
    if unlisted:
        raise InputError(
            f"{len(unlisted)} sample(s) have events but are not in the sequenced samples: "
            f"{short_list(unlisted)}",
            source="samples",
            fix="list every sequenced sample (e.g. the tmb table's sample_id)",
        )
    y = response_labels(response)
    y = y.loc[y.index.intersection(sequenced, sort=False)]
    n_r, n_nr = check_groups(y, min_per_group=min_per_group, what="mutation enrichment")
    ev = events
    if event_types is not None:
        ev = ev[ev["event"].isin(list(event_types))]
    ev = ev[ev["sample_id"].isin(y.index)]
    carriers = ev.groupby("gene", sort=True)["sample_id"].agg(lambda s: set(s))
    counted = ", ".join(event_types) if event_types is not None else "all"
    rows: list[dict[str, Any]] = []
    r_set = set(y.index[y == RESPONDER])
    nr_set = set(y.index[y == NON_RESPONDER])
    for gene, mutated in carriers.items():
        a = len(mutated & r_set)
        c = len(mutated & nr_set)
        row: dict[str, Any] = {
            "gene": gene,
            "n_r_mut": a,
            "n_nr_mut": c,
            "n_r": n_r,
            "n_nr": n_nr,
            "freq_r": a / n_r,
            "freq_nr": c / n_nr,
            "events_counted": counted,
            "a": a,
            "c": c,
            "note": ""
            if a + c >= min_mutated
            else f"not tested: {a + c} altered sample(s) (minimum {min_mutated})",
        }
        rows.append(row)
    table = _fisher_table(rows, MUTATION_COLUMNS + MUTATION_EXTRA)
    for col in ("n_r_mut", "n_nr_mut", "n_r", "n_nr"):
        table[col] = table[col].astype(int)
    settings = {
        "test": FISHER,
        "odds_ratio": "sample odds ratio (R mutated x NR wild-type) / (R wild-type x NR mutated)",
        "events_counted": counted,
        "min_mutated": min_mutated,
        "n_responders": n_r,
        "n_non_responders": n_nr,
        "multiple_testing": "Benjamini-Hochberg over tested genes",
    }
    return table, settings


mutation_enrichment = public_table(_mutation_enrichment)


def _mechanism_enrichment(
    mechanisms: pd.DataFrame,
    response: pd.Series,
    *,
    min_present: int = 3,
    min_per_group: int = 3,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Fisher's exact test of each mechanism's ``present`` frequency, R vs NR.

    Parameters
    ----------
    mechanisms
        ``mechanisms`` table: ``sample_id``, ``mechanism_id``, ``status`` (present | absent |
        indeterminate | not_assessable).
    response
        ``"R"`` / ``"NR"`` per sample id.
    min_present
        Fewest samples with the mechanism present for it to be tested.
    min_per_group
        Fewest assessable responders and non-responders for a mechanism to be tested.

    Returns
    -------
    pandas.DataFrame
        :data:`MECHANISMS_ENRICHMENT_COLUMNS` plus ``note``; ``n_r``/``n_nr`` count the
        samples where the mechanism was assessable (present or absent).

    Examples
    --------
    >>> m = pd.DataFrame({"sample_id": list("abcdef"), "mechanism_id": ["ifng_pathway_loss"] * 6,
    ...                   "status": ["present"] * 3 + ["absent"] * 3})
    >>> y = pd.Series(["NR"] * 3 + ["R"] * 3, index=list("abcdef"))
    >>> t = mechanism_enrichment(m, y)
    >>> t[["mechanism_id", "n_r_present", "n_nr_present"]].values.tolist()
    [['ifng_pathway_loss', 0, 3]]
    >>> round(float(t["p_value"].iloc[0]), 3)
    0.1
    """
    need = ["sample_id", "mechanism_id", "status"]
    if not isinstance(mechanisms, pd.DataFrame) or any(c not in mechanisms for c in need):
        raise InputError(
            "mechanisms table needs columns sample_id, mechanism_id, status",
            source="mechanisms",
            fix="pass the mechanisms.tsv table",
        )
    y = response_labels(response)
    m = mechanisms[mechanisms["sample_id"].isin(y.index)]
    m = m[m["status"].isin(["present", "absent"])]
    rows: list[dict[str, Any]] = []
    for mid, grp in m.groupby("mechanism_id", sort=True):
        lab = y.loc[grp["sample_id"]].to_numpy()
        pres = (grp["status"] == "present").to_numpy()
        n_r = int((lab == RESPONDER).sum())
        n_nr = int((lab == NON_RESPONDER).sum())
        a = int((pres & (lab == RESPONDER)).sum())
        c = int((pres & (lab == NON_RESPONDER)).sum())
        row: dict[str, Any] = {
            "mechanism_id": mid,
            "n_r_present": a,
            "n_nr_present": c,
            "n_r": n_r,
            "n_nr": n_nr,
            "a": a,
            "c": c,
            "note": "",
        }
        if min(n_r, n_nr) < min_per_group:
            row["note"] = f"not tested: assessable in {n_r} R and {n_nr} NR"
        elif a + c < min_present:
            row["note"] = f"not tested: present in {a + c} sample(s) (minimum {min_present})"
        rows.append(row)
    table = _fisher_table(rows, MECHANISMS_ENRICHMENT_COLUMNS + ["note"])
    settings = {"test": FISHER, "min_present": min_present}
    return table, settings


mechanism_enrichment = public_table(_mechanism_enrichment)
