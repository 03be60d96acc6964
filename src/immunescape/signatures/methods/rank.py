"""Rank-based single-sample scores: ssGSEA and singscore.

Both scores read only the within-sample ranks of the genes, so any monotone per-sample
transform of the data (log, TPM, CPM) gives the same result. The min, max and ordinal ranks
of all genes are computed once per scoring context with a single sort per sample
(:class:`RankTables`, built on :func:`immunescape._ranks.rank_rows_many`) and
shared by every signature; each signature then reads only the rows of its own genes.

``ssgsea``
    Single-sample GSEA (Barbie et al. 2009, Nature, PMID 19847166) as implemented by
    gseapy (``gseapy.ssgsea``, sample_norm_method="rank", correl_norm_type="rank") and by
    GSVA's ``method="ssgsea"``: genes are sorted by decreasing expression; the running sum
    steps up at set genes by ``r**alpha / sum(r_set**alpha)`` (``r`` the gene's average
    rank, ``alpha`` = ``params.alpha``, default 0.25) and down at the other genes by
    ``1 / (N - k)``; the enrichment score is the *sum* of the running sum over all ``N``
    positions. Summing a step function has a closed form over the set genes alone::

        ES = sum_i(w_i * o_i) / sum_i(w_i) - (N (N + 1) / 2 - sum_i(o_i)) / (N - k)

    with ``w_i = r_i ** alpha`` and ``o_i = N - position_i`` the gene's ascending
    position (1 = lowest). This is gseapy's own ``fast_random_walk_ss`` and GSVA's
    ``.fastRndWalk``; here it is evaluated for all samples at once from the cached ranks,
    in O(k) per sample, without sorting or walking the N genes.

    *Ties.* Tied genes share their average rank (the weight), but the walk still puts them
    in some order. gseapy sorts the ranks ascending with a stable sort and reverses the
    result, so among tied genes the one in the *later column* comes first in the
    decreasing list; ``o_i`` is then the ascending ordinal rank with ties broken by column
    order (first column lowest), which is what is used here. GSVA (R) differs twice: it
    truncates average ranks to integers before weighting, and its ``order(decreasing =
    TRUE)`` keeps tied genes in column order. On data without ties all three agree.

    *Normalisation.* ``params.normalize`` (default false) divides the scores by their
    range (max - min) over all samples, as gseapy's ``NES`` and GSVA's ``ssgsea.norm``,
    which take the range over *all gene sets and samples scored in one run*. A kernel sees
    one signature, so its range is over samples only; :func:`ssgsea_scores` scores a whole
    collection and normalises like gseapy. Normalised scores are cohort-relative.

    *Bidirectional signatures.* With ``genes_down`` the score is ``ES(up) - ES(down)``.

``singscore``
    Foroutan et al. 2018, BMC Bioinformatics, PMID 29940845, as the R/Bioconductor package
    singscore (``rankGenes`` + ``simpleScore``). Genes are ranked in each sample (ties get
    the *minimum* rank, the package's default ``tiesMethod = "min"``; ``params.ties =
    "average"`` uses average ranks). The up score is the mean rank of the set's genes,
    scaled by its theoretical bounds for a set of ``k`` genes among ``N``::

        S = (mean_rank - (k + 1) / 2) / ((2N - k + 1) / 2 - (k + 1) / 2)

    then centred (``- 0.5``, ``params.center``, default true). With ``genes_down`` the down
    score is ``1 - S_down`` (centred the same way) and the total score is their sum, in
    [-1, 1]. ``k`` counts the genes found in the data, as the current package's
    ``calcBounds`` after ``checkGenes`` (older releases, ``CoreFuns.R``, used the declared
    set size even when genes were missing). ``params.output = "dispersion"`` returns the
    package's ``TotalDispersion`` instead: the median absolute deviation (times 1.4826,
    R's ``mad``) of the set's ranks, summed over the up and down sets. The undirected
    variant (``knownDirection = FALSE``) is not implemented.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from immunescape._ranks import rank_columns, rank_tables
from immunescape.errors import InputError
from immunescape.expression import Expression
from immunescape.signatures.methods import ScoringContext, register
from immunescape.signatures.schema import Signature

__all__ = [
    "RankTables",
    "ssgsea_es",
    "ssgsea_scores",
    "singscore_score",
    "singscore_dispersion",
]

#: R's ``mad`` constant (1 / qnorm(3/4), rounded as R does).
_MAD_CONSTANT = 1.4826


# --------------------------------------------------------------------------- core formulas
def ssgsea_es(
    avg_ranks: np.ndarray,
    ordinal_ranks: np.ndarray,
    n_genes: int,
    *,
    alpha: float = 0.25,
) -> np.ndarray:
    """Compute the ssGSEA enrichment score of one gene set in every sample from its ranks.

    Parameters
    ----------
    avg_ranks
        Average within-sample ranks (1 = lowest expression) of the set's genes, shape
        (n_samples, k). They give the step weights ``rank ** alpha``.
    ordinal_ranks
        Ordinal within-sample ranks of the same genes (ties broken by column order of the
        full matrix), shape (n_samples, k). They give the positions in the walk.
    n_genes
        Number of genes ranked (``N``).
    alpha
        Weight exponent (0.25 in Barbie et al.; 0 gives the unweighted statistic).

    Returns
    -------
    numpy.ndarray
        Raw enrichment score per sample (not normalised), shape (n_samples,).

    Examples
    --------
    Genes at the top of a sample score high, at the bottom low:

    >>> import numpy as np
    >>> top = np.array([[9.0, 10.0]])
    >>> round(float(ssgsea_es(top, top, 10)[0]), 4)
    5.0066
    >>> bottom = np.array([[1.0, 2.0]])
    >>> round(float(ssgsea_es(bottom, bottom, 10)[0]), 4)
    -4.9568
    """
    w = np.power(np.asarray(avg_ranks, dtype=np.float64), alpha)
    return _es_from_weights(w, ordinal_ranks, n_genes)


def _es_from_weights(w: np.ndarray, ordinal_ranks: np.ndarray, n_genes: int) -> np.ndarray:
    o = np.asarray(ordinal_ranks, dtype=np.float64)
    k = o.shape[1]
    n = float(n_genes)
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = np.einsum("ij,ij->i", w, o) / w.sum(axis=1)
        outside = (n * (n + 1.0) / 2.0 - o.sum(axis=1)) / (n - k)
    return inside - outside


def singscore_score(
    ranks: np.ndarray, n_genes: int, *, down: bool = False, center: bool = True
) -> np.ndarray:
    """Compute the singscore of one gene set from its genes' within-sample ranks.

    Parameters
    ----------
    ranks
        Within-sample ranks (1 = lowest) of the set's genes, shape (n_samples, k).
    n_genes
        Number of genes ranked (``N``).
    down
        Score a down-regulated set (``1 - S``, so that low ranks score high).
    center
        Subtract 0.5 (the package default), giving scores in [-0.5, 0.5].

    Returns
    -------
    numpy.ndarray
        Score per sample, shape (n_samples,).

    Examples
    --------
    >>> import numpy as np
    >>> singscore_score(np.array([[9.0, 10.0], [1.0, 2.0]]), 10).tolist()
    [0.5, -0.5]
    """
    r = np.asarray(ranks, dtype=np.float64)
    k = r.shape[1]
    low = (k + 1) / 2.0
    high = (2.0 * n_genes - k + 1) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (r.mean(axis=1) - low) / (high - low)
    if down:
        score = 1.0 - score
    return score - 0.5 if center else score


def singscore_dispersion(ranks: np.ndarray) -> np.ndarray:
    """Median absolute deviation of a set's ranks per sample (R's ``mad``, constant 1.4826).

    Examples
    --------
    >>> import numpy as np
    >>> singscore_dispersion(np.array([[1.0, 2.0, 4.0]])).tolist()
    [1.4826]
    """
    r = np.asarray(ranks, dtype=np.float64)
    med = np.median(r, axis=1, keepdims=True)
    return np.median(np.abs(r - med), axis=1) * _MAD_CONSTANT


# --------------------------------------------------------------------------- helpers
class RankTables:
    """Within-sample ranks of all genes, from one sort per sample, with lookups per gene set.

    Holds :func:`~immunescape._ranks.rank_tables`: the ordinal rank of every gene
    (ties broken by column order) and the min and max rank at every sorted position, so that
    min, max and average ranks of any gene are lookups. ssGSEA reads average ranks (the
    weights) and ordinal ranks (the positions); singscore reads min or average ranks. Three
    uint16 tables when there are fewer than 65,536 genes: 6 bytes per matrix entry.

    Parameters
    ----------
    X
        Samples x genes matrix (no NaN).
    n_jobs
        Threads for the ranking.

    Examples
    --------
    >>> import numpy as np
    >>> t = RankTables(np.array([[5.0, 1.0, 5.0]], dtype=np.float32))
    >>> idx = np.array([0, 1, 2])
    >>> t.average(idx).tolist(), t.minimum(idx).tolist(), t.ordinal[:, idx].tolist()
    ([[2.5, 1.0, 2.5]], [[2, 1, 2]], [[2, 1, 3]])
    """

    def __init__(self, X: np.ndarray, *, n_jobs: int | None = None):
        self.n_genes = X.shape[1]
        if X.size and np.isnan(X.min()):  # min() propagates NaN: one fast pass
            raise InputError(
                "the expression matrix has missing values (NaN)",
                fix="impute or drop them before rank-based scoring (ssGSEA, singscore)",
            )
        self.ordinal, self.min_at, self.max_at = rank_tables(X, n_jobs=n_jobs)
        self._weights: dict[float, np.ndarray] = {}

    def lookup(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the ordinal, min and max ranks of the genes at ``idx``, samples x genes."""
        o = np.take(self.ordinal, idx, axis=1)
        # flat position of each gene's sorted slot: row * N + ordinal - 1
        at = o.astype(np.intp)
        at += (np.arange(o.shape[0], dtype=np.intp) * self.n_genes - 1)[:, None]
        return o, np.take(self.min_at.ravel(), at), np.take(self.max_at.ravel(), at)

    def average(self, idx: np.ndarray) -> np.ndarray:
        """Return the average ranks of the genes at ``idx``, samples x genes, float64."""
        _, lo, hi = self.lookup(idx)
        return (lo.astype(np.float64) + hi) * 0.5

    def minimum(self, idx: np.ndarray) -> np.ndarray:
        """Return the min ranks of the genes at ``idx``, samples x genes."""
        return self.lookup(idx)[1]

    def weight_table(self, alpha: float) -> np.ndarray:
        """Return ``(j / 2) ** alpha`` for j = 0..2N (the weight when min + max rank = j)."""
        table = self._weights.get(alpha)
        if table is None:
            table = _weight_table(self.n_genes, alpha)
            self._weights[alpha] = table
        return table

    def ssgsea(self, idx: np.ndarray, alpha: float) -> np.ndarray:
        """Return the ssGSEA enrichment score of the genes at ``idx`` (:func:`ssgsea_es`)."""
        o, lo, hi = self.lookup(idx)
        w = self.weight_table(alpha)[lo.astype(np.intp) + hi]
        return _es_from_weights(w, o, self.n_genes)


def _weight_table(n_genes: int, alpha: float) -> np.ndarray:
    """``(j / 2) ** alpha`` for j = 0..2N: ssGSEA weights indexed by min + max rank."""
    return np.power(np.arange(2 * n_genes + 1) * 0.5, alpha)


def _rank_tables(ctx: ScoringContext) -> RankTables:
    """Return the context's :class:`RankTables`, computed on first use."""

    def compute() -> RankTables:
        return RankTables(ctx.expr.matrix)

    return ctx.cached(("rank_tables",), compute)


def _split(sig: Signature, genes: list[str]) -> tuple[list[str], list[str]]:
    """Found genes of the up and the down set (a gene listed in both counts as up)."""
    up = set(sig.genes)
    down = set(sig.genes_down) - up
    return [g for g in genes if g in up], [g for g in genes if g in down]


def _param(sig: Signature, name: str, default, allowed: Sequence | None = None):
    value = sig.params.get(name, default)
    if allowed is not None and value not in allowed:
        raise InputError(
            f"params.{name} = {value!r} is not allowed",
            source=f"signature {sig.id}",
            fix=f"use one of {', '.join(map(repr, allowed))}",
        )
    return value


def _alpha(sig: Signature) -> float:
    alpha = sig.params.get("alpha", 0.25)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or alpha < 0:
        raise InputError(
            f"params.alpha = {alpha!r} is not a non-negative number",
            source=f"signature {sig.id}",
            fix="give the ssGSEA weight exponent, e.g. 0.25",
        )
    return float(alpha)


def _range_normalise(scores: np.ndarray) -> np.ndarray:
    finite = scores[np.isfinite(scores)]
    if finite.size == 0:
        return scores
    span = float(finite.max() - finite.min())
    if span == 0.0:
        return np.full_like(scores, np.nan)
    return scores / span


# --------------------------------------------------------------------------- kernels
def _ssgsea_arm(ctx: ScoringContext, genes: list[str], alpha: float) -> np.ndarray:
    return _rank_tables(ctx).ssgsea(ctx.gene_positions(genes), alpha)


@register("ssgsea")
def ssgsea_kernel(ctx: ScoringContext, sig: Signature, genes: list[str]) -> np.ndarray:
    """Score ssGSEA (gseapy-equal); ``ES(up) - ES(down)`` for two-sided sets."""
    alpha = _alpha(sig)
    normalize = bool(_param(sig, "normalize", False, (True, False)))
    up, down = _split(sig, genes)
    if not up:
        return np.full(ctx.n_samples, np.nan)
    scores = _ssgsea_arm(ctx, up, alpha)
    if down:
        scores = scores - _ssgsea_arm(ctx, down, alpha)
    return _range_normalise(scores) if normalize else scores


@register("singscore")
def singscore_kernel(ctx: ScoringContext, sig: Signature, genes: list[str]) -> np.ndarray:
    """Score singscore's total score (or dispersion), as R singscore's ``simpleScore``."""
    ties = _param(sig, "ties", "min", ("min", "average"))
    center = bool(_param(sig, "center", True, (True, False)))
    output = _param(sig, "output", "score", ("score", "dispersion"))
    up, down = _split(sig, genes)
    if not up:
        return np.full(ctx.n_samples, np.nan)
    tables = _rank_tables(ctx)
    arms = [(up, False)] + ([(down, True)] if down else [])
    total = np.zeros(ctx.n_samples)
    for arm, is_down in arms:
        idx = ctx.gene_positions(arm)
        r = tables.average(idx) if ties == "average" else tables.minimum(idx)
        if output == "dispersion":
            total += singscore_dispersion(r)
        else:
            total += singscore_score(r, tables.n_genes, down=is_down, center=center)
    return total


# --------------------------------------------------------------------------- collections
def ssgsea_scores(
    data: Expression | pd.DataFrame,
    gene_sets: Mapping[str, Sequence[str]],
    *,
    alpha: float = 0.25,
    normalize: bool = False,
    min_size: int = 1,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Score a collection of gene sets (e.g. a GMT file) by ssGSEA in every sample.

    Equal to ``gseapy.ssgsea(..., sample_norm_method="rank", correl_norm_type="rank",
    weight=alpha)``: ``ES`` with ``normalize=False`` and ``NES`` (ES divided by the range
    of ES over all sets and samples) with ``normalize=True``. See the module docstring for
    the definition and the tie rule.

    Parameters
    ----------
    data
        Samples x genes expression (any unit: only within-sample order matters), as an
        :class:`~immunescape.expression.Expression` or a DataFrame.
    gene_sets
        Set name -> gene symbols. Genes absent from the data are ignored.
    alpha
        Weight exponent (0.25 by default, as Barbie et al. and gseapy).
    normalize
        Divide by the range of all scores (cohort- and collection-relative).
    min_size
        Sets with fewer genes in the data get NaN.
    n_jobs
        Threads used to rank the matrix.

    Returns
    -------
    pandas.DataFrame
        Samples x gene sets.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]],
    ...                   index=["s1", "s2"], columns=["A", "B", "C", "D"])
    >>> ssgsea_scores(df, {"top": ["C", "D"]}, alpha=0).round(3)["top"].tolist()
    [2.0, -2.0]
    """
    values = data.values if isinstance(data, Expression) else data
    X = data.matrix if isinstance(data, Expression) else data.to_numpy(np.float32, copy=False)
    genes = pd.Index(values.columns)
    if X.size and np.isnan(X.min()):
        raise InputError(
            "the expression matrix has missing values (NaN)",
            fix="impute or drop them before ssGSEA",
        )
    n_genes = X.shape[1]
    members_idx = {}
    for name, members in gene_sets.items():
        idx = genes.get_indexer(list(dict.fromkeys(members)))
        members_idx[name] = idx[idx >= 0]
    # Rank every gene of the collection once (against all genes); each set then takes its
    # columns.
    union = np.unique(np.concatenate([np.arange(0)] + list(members_idx.values())))
    order_u, lo_u, hi_u = rank_columns(X, union, n_jobs=n_jobs)
    weights_u = _weight_table(n_genes, alpha)[lo_u.astype(np.intp) + hi_u]
    out = {}
    for name, idx in members_idx.items():
        if idx.size < max(1, min_size) or idx.size >= n_genes:
            out[name] = np.full(X.shape[0], np.nan)
            continue
        cols = np.searchsorted(union, idx)
        out[name] = _es_from_weights(
            np.take(weights_u, cols, axis=1), np.take(order_u, cols, axis=1), n_genes
        )
    table = pd.DataFrame(out, index=values.index)
    if normalize:
        flat = table.to_numpy()
        flat = flat[np.isfinite(flat)]
        span = float(flat.max() - flat.min()) if flat.size else 0.0
        table = table / span if span > 0 else table * np.nan
    return table
