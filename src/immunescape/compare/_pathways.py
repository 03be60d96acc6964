"""Pathway-level contrasts from a differential-expression table (``pathways.tsv``).

Both tests read the per-gene DE statistic (``stat``: the DESeq2 Wald statistic or the t
statistic), so they inherit its sign: positive = higher in responders.

``gene_set`` rows: Wilcoxon rank-sum gene-set test
    A competitive test of whether the genes of a set have larger (or smaller) statistics than
    the other genes, as limma's ``geneSetTest(..., ranks.only = TRUE)`` / ``wilcoxGST``
    (Michaud et al. 2008, BMC Genomics 9:363; Smyth 2004): the Mann-Whitney U of the set's
    statistics against those of all other tested genes, normal approximation with tie and
    continuity corrections (as :func:`scipy.stats.mannwhitneyu` with
    ``method="asymptotic"``), two-sided. ``score`` = U / (n_in n_out) = P(stat of a set gene >
    stat of another gene). Genes are treated as independent: inter-gene correlation makes
    the test anti-conservative (Wu & Smyth 2012, CAMERA); read it as a ranking aid.
``progeny`` rows: univariate linear model of the statistic on the PROGENy weights
    For each of the 14 PROGENy pathways (Schubert et al. 2018), the regression ``stat ~ 1 +
    w`` over all tested genes, ``w`` the pathway's footprint weight (0 for genes outside its
    top-``progeny_top`` footprint), as decoupler's ``ulm`` (Badia-i-Mompel et al. 2022,
    Bioinform Adv 2:vbac016): ``score`` is the t value of the slope, p from Student's t
    with n - 2 degrees of freedom. Positive: the pathway's responsive genes are up in
    responders.

q-values: Benjamini-Hochberg within each collection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from immunescape.compare._common import public_table, short_list
from immunescape.errors import InputError
from immunescape.signatures.registry import Registry, load_registry
from immunescape.stats import bh

__all__ = ["pathway_contrasts", "registry_gene_sets", "PATHWAY_COLUMNS", "rank_sum_sets", "ulm"]

PATHWAY_COLUMNS = [
    "pathway",
    "collection",
    "n_genes",
    "score",
    "score_type",
    "mean_stat",
    "p_value",
    "q_value",
    "direction",
    "method",
]
WILCOXON_TEXT = (
    "Wilcoxon rank-sum of the set's DE statistics vs all other genes (competitive, "
    "normal approximation with tie and continuity corrections), two-sided"
)
ULM_TEXT = "univariate linear model stat ~ PROGENy weight (decoupler ulm), t-test of the slope"


def registry_gene_sets(registry: Registry | None = None) -> dict[str, list[str]]:
    """Gene sets of the registry's signatures (not single genes, not PROGENy).

    A signature's ``genes`` (its up genes) form the set; immunophenoscore parts the genes of
    their category; gene-pair signatures all the genes they read. A set identical to an
    earlier one (``ips_az`` and ``ips``) is kept once, under the first id.

    Examples
    --------
    >>> sets = registry_gene_sets()
    >>> sorted(sets["cyt"])
    ['GZMA', 'PRF1']
    """
    reg = load_registry() if registry is None else registry
    out: dict[str, list[str]] = {}
    seen: dict[tuple[str, ...], str] = {}
    for sig in reg:
        if sig.kind != "signature" or sig.method == "progeny":
            continue
        genes = list(sig.genes)
        if not genes and sig.groups:
            part = str(sig.params.get("output", "")).upper()
            cats = {g.category.upper() for g in sig.groups}
            groups = [g for g in sig.groups if part not in cats or g.category.upper() == part]
            genes = [gene for g in groups for gene in g.genes]
        if not genes:
            genes = sig.all_genes()
        genes = list(dict.fromkeys(genes))
        key = tuple(sorted(genes))
        if genes and key not in seen:  # identical sets (e.g. ips and ips_az) are tested once
            seen[key] = sig.id
            out[sig.id] = genes
    return out


def _stat_vector(de: pd.DataFrame, stat_col: str) -> pd.Series:
    if not isinstance(de, pd.DataFrame):
        raise InputError(f"de must be a DataFrame, got {type(de).__name__}", source="de")
    for col in ("gene", stat_col):
        if col not in de.columns:
            raise InputError(
                f"DE table has no column {col!r}",
                source="de",
                fix="pass the output of differential_expression (gene, ..., stat, ...)",
            )
    s = pd.Series(pd.to_numeric(de[stat_col], errors="coerce").to_numpy(), index=de["gene"])
    s = s[np.isfinite(s.to_numpy(dtype=float))]
    if s.index.has_duplicates:
        raise InputError(
            f"duplicated genes in the DE table: {short_list(s.index[s.index.duplicated()])}",
            source="de",
        )
    if len(s) < 3:
        raise InputError(
            f"only {len(s)} gene(s) with a finite {stat_col!r}",
            source="de",
            fix="run differential expression on more genes",
        )
    return s.astype(float)


def rank_sum_sets(
    stat: pd.Series, gene_sets: Mapping[str, Sequence[str]], *, min_size: int = 5
) -> pd.DataFrame:
    """Wilcoxon rank-sum test of each set's statistics against all other genes' (vectorised).

    Parameters
    ----------
    stat
        Per-gene statistic indexed by gene (finite values).
    gene_sets
        Set name -> genes (genes absent from ``stat`` are ignored).
    min_size
        Fewest genes of a set found in ``stat`` (smaller sets get NaN).

    Returns
    -------
    pandas.DataFrame
        ``pathway``, ``n_genes``, ``score`` (U / (n_in n_out)), ``mean_stat``, ``z``,
        ``p_value``.

    Examples
    --------
    >>> s = pd.Series([3.0, 2.5, 2.0, -1, 0, 0.5, -0.2, 0.1], index=list("ABCDEFGH"))
    >>> r = rank_sum_sets(s, {"top": ["A", "B", "C"]}, min_size=3)
    >>> float(r["score"].iloc[0]), round(float(r["p_value"].iloc[0]), 4)
    (1.0, 0.0369)
    """
    genes = stat.index
    values = stat.to_numpy(dtype=float)
    N = values.size
    ranks = stats.rankdata(values)
    _, tie_counts = np.unique(values, return_counts=True)
    tie_term = float((tie_counts**3 - tie_counts).sum()) / (N * (N - 1.0))
    pos = pd.Series(np.arange(N), index=genes)
    rows = []
    for name, members in gene_sets.items():
        idx = pos.reindex(list(dict.fromkeys(members))).dropna().to_numpy(dtype=int)
        n1 = idx.size
        n2 = N - n1
        row: dict[str, object] = {"pathway": name, "n_genes": n1}
        if n1 < min_size or n2 < 1:
            row.update(score=np.nan, mean_stat=np.nan, z=np.nan, p_value=np.nan)
            rows.append(row)
            continue
        u = ranks[idx].sum() - n1 * (n1 + 1) / 2.0
        mu = n1 * n2 / 2.0
        sd = np.sqrt(n1 * n2 / 12.0 * ((N + 1.0) - tie_term))
        diff = u - mu
        z = (diff - 0.5 * np.sign(diff)) / sd if sd > 0 else np.nan
        p = float(min(1.0, 2.0 * stats.norm.sf(abs(z)))) if np.isfinite(z) else np.nan
        row.update(score=u / (n1 * n2), mean_stat=float(values[idx].mean()), z=z, p_value=p)
        rows.append(row)
    return pd.DataFrame(rows, columns=["pathway", "n_genes", "score", "mean_stat", "z", "p_value"])


def ulm(stat: pd.Series, net: pd.DataFrame, *, min_size: int = 5) -> pd.DataFrame:
    """Univariate linear model ``stat ~ 1 + weight`` per source of a weighted network.

    Parameters
    ----------
    stat
        Per-gene statistic indexed by gene.
    net
        Long table with ``source`` (e.g. pathway), ``target`` (gene) and ``weight``.
    min_size
        Fewest targets found in ``stat``.

    Returns
    -------
    pandas.DataFrame
        ``pathway``, ``n_genes``, ``score`` (t of the slope), ``mean_stat`` (over the
        targets), ``p_value`` (two-sided, n - 2 degrees of freedom).

    Examples
    --------
    >>> s = pd.Series([2.0, 1.0, 0.1, -0.2, 0.0, 0.3], index=list("ABCDEF"))
    >>> net = pd.DataFrame({"source": ["P", "P"], "target": ["A", "B"], "weight": [2.0, 1.0]})
    >>> round(float(ulm(s, net, min_size=2)["score"].iloc[0]), 3)
    10.063
    """
    y = stat.to_numpy(dtype=float)
    n = y.size
    pos = pd.Series(np.arange(n), index=stat.index)
    yc = y - y.mean()
    syy = float((yc**2).sum())
    rows = []
    for source, grp in net.groupby("source", sort=False):
        found = grp[grp["target"].isin(stat.index)]
        k = len(found)
        row: dict[str, object] = {"pathway": source, "n_genes": k}
        if k < min_size or n < 3:
            row.update(score=np.nan, mean_stat=np.nan, p_value=np.nan)
            rows.append(row)
            continue
        x = np.zeros(n)
        x[pos[found["target"]].to_numpy()] = found["weight"].to_numpy(dtype=float)
        xc = x - x.mean()
        sxx = float((xc**2).sum())
        slope = float(xc @ yc) / sxx
        rss = syy - slope**2 * sxx
        se = np.sqrt(max(rss, 0.0) / (n - 2) / sxx)
        t = slope / se if se > 0 else np.nan
        p = float(2.0 * stats.t.sf(abs(t), n - 2)) if np.isfinite(t) else np.nan
        row.update(score=t, mean_stat=float(y[pos[found["target"]].to_numpy()].mean()), p_value=p)
        rows.append(row)
    return pd.DataFrame(rows, columns=["pathway", "n_genes", "score", "mean_stat", "p_value"])


def _pathway_contrasts(
    de: pd.DataFrame,
    *,
    gene_sets: Mapping[str, Sequence[str]] | Registry | None = None,
    progeny: bool = True,
    progeny_top: int = 100,
    min_size: int = 5,
    stat_col: str = "stat",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Which gene sets and PROGENy pathways move between responders and non-responders.

    Parameters
    ----------
    de
        Output of :func:`~immunescape.compare.differential_expression` (``gene`` and
        ``stat`` columns; genes with NaN statistics are left out).
    gene_sets
        Set name -> genes, or a signature :class:`~immunescape.signatures.registry.Registry`;
        default: the built-in registry's signatures (:func:`registry_gene_sets`).
    progeny
        Add the 14 PROGENy pathway contrasts.
    progeny_top
        Footprint genes per PROGENy pathway.
    min_size
        Fewest genes of a set present in the DE table.
    stat_col
        The DE column tested.

    Returns
    -------
    pandas.DataFrame
        :data:`PATHWAY_COLUMNS`; sorted by collection then p-value. ``direction`` is
        ``up_in_responders`` / ``down_in_responders``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> genes = [f"G{i}" for i in range(200)]
    >>> stat = rng.normal(size=200); stat[:10] += 3
    >>> de = pd.DataFrame({"gene": genes, "stat": stat})
    >>> t = pathway_contrasts(de, gene_sets={"up": genes[:10], "other": genes[50:70]},
    ...                       progeny=False)
    >>> t[["pathway", "n_genes", "direction"]].values.tolist()
    [['up', 10, 'up_in_responders'], ['other', 20, 'down_in_responders']]
    >>> bool(t["q_value"].iloc[0] < 0.001)
    True
    """
    stat = _stat_vector(de, stat_col)
    if gene_sets is None or isinstance(gene_sets, Registry):
        sets = registry_gene_sets(gene_sets)
    elif isinstance(gene_sets, Mapping):
        sets = {str(k): [str(g) for g in v] for k, v in gene_sets.items()}
    else:
        raise InputError(
            f"gene_sets must be a mapping name -> genes or a Registry, got "
            f"{type(gene_sets).__name__}",
            source="gene_sets",
        )
    parts = []
    if sets:
        gs = rank_sum_sets(stat, sets, min_size=min_size).drop(columns="z")
        gs["collection"] = "gene_set"
        gs["score_type"] = "P(stat in set > stat outside)"
        gs["method"] = WILCOXON_TEXT
        gs["direction"] = np.where(
            gs["score"] > 0.5,
            "up_in_responders",
            np.where(gs["score"] < 0.5, "down_in_responders", ""),
        )
        parts.append(gs)
    if progeny:
        from immunescape.pathways.progeny import progeny_model

        model = progeny_model(top=progeny_top)
        net = model.rename(columns={"pathway": "source", "gene": "target"})
        pr = ulm(stat, net, min_size=min_size)
        pr["collection"] = "progeny"
        pr["score_type"] = "t of the slope"
        pr["method"] = ULM_TEXT + f" (top {progeny_top} genes per pathway)"
        pr["direction"] = np.where(
            pr["score"] > 0,
            "up_in_responders",
            np.where(pr["score"] < 0, "down_in_responders", ""),
        )
        parts.append(pr)
    if not parts:
        return pd.DataFrame(columns=PATHWAY_COLUMNS), {}
    table = pd.concat(parts, ignore_index=True)
    table["q_value"] = np.nan
    for _, idx in table.groupby("collection", sort=False).groups.items():
        table.loc[idx, "q_value"] = bh(table.loc[idx, "p_value"].to_numpy(dtype=float))
    table["direction"] = np.where(table["p_value"].isna(), "", table["direction"])
    order = {"gene_set": 0, "progeny": 1}
    table["_c"] = table["collection"].map(order)
    table = (
        table.sort_values(["_c", "p_value"], kind="mergesort", na_position="last")
        .drop(columns="_c")
        .reset_index(drop=True)[PATHWAY_COLUMNS]
    )
    settings = {
        "statistic": stat_col,
        "gene_set_test": WILCOXON_TEXT,
        "progeny_test": ULM_TEXT if progeny else None,
        "progeny_top": progeny_top if progeny else None,
        "min_size": min_size,
        "n_genes_ranked": int(stat.size),
        "multiple_testing": "Benjamini-Hochberg within each collection",
    }
    return table, settings


pathway_contrasts = public_table(_pathway_contrasts)
