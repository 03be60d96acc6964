"""Closed-form scoring kernels: means, geometric means, gene pairs, IPS, PC1, z and rank means.

Every kernel works on all samples at once. The definitions, with their sources:

``weighted_mean``
    Mean of log2(TPM + 1) over the genes (Ayers et al. 2017, PMID 28650338), or with
    ``weights`` the weighted *sum*, after subtracting each sample's mean of the
    ``params.housekeeping`` genes when given: the T-cell-inflamed GEP of Cristescu et al.
    2018 (PMID 30309915). ``params.aggregate`` ("mean" or "sum") overrides the default
    (sum with weights, mean without).
``median``
    Median of log2(TPM + 1) over the genes (the hypoxia metagene of Buffa et al. 2010,
    PMID 20087356, is the median expression of its 51 genes).
``geometric_mean``
    ``exp(mean(log(TPM + pseudocount)))`` (cytolytic activity, Rooney et al. 2015,
    PMID 25594174; pseudocount ``params.pseudocount``, default 0.01).
``gene_pairs``
    Number of pairs with expression(gene1) > expression(gene2) (IMPRES, Auslander et al.
    2018, PMID 30127394: orientation as in the authors' getIMPRES.m). Pairs with a missing
    gene are skipped; with ``params.rescale`` true the count is rescaled to the full number
    of pairs (the easier convention). Ties count 0.
``ips``
    Immunophenoscore (Charoentong et al. 2017, PMID 28052254): per-sample z-scores over all
    genes of log2(TPM + 1) (sd with n - 1), mean z per group times the group weight, then
    the mean of the weighted groups per category (MHC, CP, EC, SC), summed into AZ and
    mapped to 0-10 (0 if AZ <= 0, 10 if AZ >= 3, else round(10 * AZ / 3), rounding half
    to even as R's ``round``). ``params.output`` may ask for ``az`` or a category.
``pc1``
    First principal component of the genes z-scored across samples, sign-aligned to the
    genes' mean (Mariathasan et al. 2018, PMID 29443960, ``gsScore``). Cohort-relative.
``mean_z``
    Mean over genes of the per-gene z-score across samples. Cohort-relative.
``mean_rank``
    Mean over genes of each gene's normalised rank across samples (rank / n; Davoli et al.
    2017, PMID 28104840). Cohort-relative.
``single_gene``
    log2(TPM + 1) of one gene.
"""

from __future__ import annotations

import numpy as np

from immunescape._ranks import rank_rows
from immunescape.signatures.methods import ScoringContext, register
from immunescape.signatures.schema import Signature

__all__ = ["ips_map"]


def _main_genes(sig: Signature, genes: list[str]) -> list[str]:
    """Genes found in the data minus housekeeping genes (which only normalise)."""
    hk = set(sig.params.get("housekeeping") or ())
    main = set(sig.genes) | set(sig.genes_down)
    return [g for g in genes if g in main and g not in hk]


@register("weighted_mean")
def weighted_mean(ctx: ScoringContext, sig: Signature, genes: list[str]) -> np.ndarray:
    """Mean (or weighted sum) of log2(TPM + 1), optionally housekeeping-normalised."""
    main = _main_genes(sig, genes)
    X = ctx.columns(main, "log2tpm1")
    hk_all = sig.params.get("housekeeping")
    if hk_all:
        hk = [g for g in genes if g in set(hk_all)]
        if not hk:
            return np.full(ctx.n_samples, np.nan)
        X = X - ctx.columns(hk, "log2tpm1").mean(axis=1, keepdims=True)
    aggregate = sig.params.get("aggregate", "sum" if sig.weights else "mean")
    if sig.weights:
        w = np.array([sig.weights[g] for g in main])
    else:
        w = np.ones(len(main))
    total = X @ w
    if aggregate == "mean":
        return total / w.sum() if sig.weights else total / len(main)
    return total


@register("median")
def median(ctx: ScoringContext, sig: Signature, genes: list[str]) -> np.ndarray:
    """Median of log2(TPM + 1) over the genes."""
    return np.median(ctx.columns(_main_genes(sig, genes), "log2tpm1"), axis=1)


@register("geometric_mean")
def geometric_mean(ctx: ScoringContext, sig: Signature, genes: list[str]) -> np.ndarray:
    """Geometric mean of TPM + pseudocount."""
    pc = float(sig.params.get("pseudocount", 0.01))
    X = ctx.columns(_main_genes(sig, genes), "tpm")
    return np.exp(np.log(X + pc).mean(axis=1))


@register("gene_pairs")
def gene_pairs(ctx: ScoringContext, sig: Signature, genes: list[str]) -> np.ndarray:
    """Count of pairs (gene1, gene2) with gene1 expressed above gene2."""
    present = set(genes)
    pairs = [p for p in sig.pairs or () if p[0] in present and p[1] in present]
    if not pairs:
        return np.full(ctx.n_samples, np.nan)
    unit = sig.input_unit
    a = ctx.columns([p[0] for p in pairs], unit)
    b = ctx.columns([p[1] for p in pairs], unit)
    count = (a > b).sum(axis=1).astype(float)
    if sig.params.get("rescale", False):
        count *= len(sig.pairs or ()) / len(pairs)
    return count


def ips_map(az: np.ndarray) -> np.ndarray:
    """Map the aggregate z-score AZ to the 0-10 immunophenoscore (Charoentong et al. 2017).

    Examples
    --------
    >>> ips_map(np.array([-1.0, 0.0, 0.45, 1.5, 2.0, 3.2])).tolist()
    [0.0, 0.0, 2.0, 5.0, 7.0, 10.0]
    """
    az = np.asarray(az, dtype=float)
    out = np.where(az <= 0, 0.0, np.where(az >= 3, 10.0, np.round(az * 10.0 / 3.0)))
    return np.where(np.isnan(az), np.nan, out)


@register("ips")
def ips(ctx: ScoringContext, sig: Signature, genes: list[str]) -> np.ndarray:
    """Immunophenoscore from per-sample z-scores of log2(TPM + 1) over all genes."""
    mean, sd = ctx.log2tpm1_sample_stats()
    present = set(genes)
    categories: dict[str, list[np.ndarray]] = {}
    for grp in sig.groups or ():
        found = [g for g in grp.genes if g in present]
        if found:
            z = (ctx.columns(found, "log2tpm1") - mean[:, None]) / sd[:, None]
            value = z.mean(axis=1) * grp.weight
        else:  # the original R code gives NaN for a group with no gene (mean of nothing)
            value = np.full(ctx.n_samples, np.nan)
        categories.setdefault(grp.category, []).append(value)
    # As in the R code (mean without na.rm): a group with no gene makes its category NaN.
    cat_scores = {c: np.mean(np.vstack(v), axis=0) for c, v in categories.items()}
    output = sig.params.get("output", "ips")
    if output in cat_scores:
        return cat_scores[output]
    az = np.sum(np.vstack(list(cat_scores.values())), axis=0)
    return az if output == "az" else ips_map(az)


def _zscore_columns(X: np.ndarray) -> np.ndarray:
    """Z-score each column across rows (sd with n - 1); constant columns are dropped."""
    sd = X.std(axis=0, ddof=1)
    keep = sd > 0
    return (X[:, keep] - X[:, keep].mean(axis=0)) / sd[keep]


@register("pc1")
def pc1(ctx: ScoringContext, sig: Signature, genes: list[str]) -> np.ndarray:
    """PC1 of z-scored genes, sign-aligned to the mean of the z-scored genes."""
    Z = _zscore_columns(ctx.columns(_main_genes(sig, genes), "log2tpm1"))
    if Z.shape[1] == 0 or Z.shape[0] < 3:
        return np.full(ctx.n_samples, np.nan)
    if Z.shape[1] == 1:
        return Z[:, 0]
    # PC1 through the k x k scatter matrix (k genes << n samples): same as the SVD, O(n k^2)
    Zc = Z - Z.mean(axis=0)
    _, vecs = np.linalg.eigh(Zc.T @ Zc)
    score = Zc @ vecs[:, -1]
    sign = np.sign(np.corrcoef(score, Z.mean(axis=1))[0, 1])
    return score * (sign if sign != 0 else 1.0)


@register("mean_z")
def mean_z(ctx: ScoringContext, sig: Signature, genes: list[str]) -> np.ndarray:
    """Mean z-score (across samples) of the genes."""
    Z = _zscore_columns(ctx.columns(_main_genes(sig, genes), "log2tpm1"))
    if Z.shape[1] == 0:
        return np.full(ctx.n_samples, np.nan)
    return Z.mean(axis=1)


@register("mean_rank")
def mean_rank(ctx: ScoringContext, sig: Signature, genes: list[str]) -> np.ndarray:
    """Mean over genes of the normalised rank (rank / n) of each sample."""
    X = ctx.columns(_main_genes(sig, genes), "log2tpm1")
    ranks = rank_rows(np.ascontiguousarray(X.T)).T.astype(np.float64)  # ranks across samples
    return (ranks / X.shape[0]).mean(axis=1)


@register("single_gene")
def single_gene(ctx: ScoringContext, sig: Signature, genes: list[str]) -> np.ndarray:
    """log2(TPM + 1) of the signature's single gene."""
    return ctx.columns(genes[:1], sig.input_unit)[:, 0]
