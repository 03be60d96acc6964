"""Jerby-Arnon overall expression (OE) with expression-matched random control genes.

Definition (Jerby-Arnon et al. 2018, Cell, PMID 30388455; the authors' R code,
``livnatje/ImmuneResistance``, ``Code/ImmRes_OE.R``: ``get.OE.bulk``,
``get.semi.random.OE`` and ``discretize``):

1. Input is log2(TPM + 1). Each gene is centred across the samples:
   ``z[s, g] = x[s, g] - mean_s(x[., g])``. The score is therefore cohort-relative.
2. Genes are binned by their mean expression across samples into ``n_bins`` (50) bins
   using the authors' ``discretize``: edges are the quantiles at 1/50, 2/50, ..., 1 (R's
   default type-7 quantiles) and bin ``i`` (2..50) holds the genes with
   ``edge[i-1] <= mean < edge[i]``. Genes below the first edge (the lowest 2 %) and at the
   maximum belong to no bin, exactly as in the original code; a signature gene there gets
   no control genes.
3. In each of ``n_random`` (1000) rounds, for every bin holding ``n_b`` signature genes,
   ``n_b`` genes are drawn from that bin without replacement (the signature genes
   themselves may be drawn). The round's control score is the mean ``z`` of the drawn
   genes; the background is the mean over rounds.
4. ``OE = mean(z over the signature genes) - background``. Signatures with fewer than two
   genes in the data are not scored (NaN; the authors leave them at 0).

Two-sided programmes (``genes_down``) score ``OE(up) - OE(down)``: the authors'
``get.OE`` for ``.up``/``.down`` pairs, and easier's ``resF`` for the immune resistance
programme.

Vectorisation: the background is linear in ``z``. If gene ``g`` is drawn ``c_g`` times over
the ``R`` rounds and ``k'`` signature genes have a bin, the background is
``sum_g c_g z[:, g] / (R k')``: one matrix-vector product over the genes, for all samples,
whatever ``n_random`` is. The draw counts come from ``numpy.random.default_rng`` seeded with
``ctx.seed`` and a checksum of the arm's genes, so a score does not depend on which other
signatures are scored or in which order. R's random stream cannot be reproduced, so values
agree with the authors' code in distribution (the Monte Carlo error of the background is
small at 1000 rounds), not digit for digit.

Parameters (``Signature.params``): ``n_random`` (1000), ``n_bins`` (50) and ``background``:
``"random"`` (default, the authors' sampling) or ``"expected"`` (the limit of infinitely many
rounds: each bin contributes the mean ``z`` of its genes, weighted by its number of signature
genes; deterministic and faster).
"""

from __future__ import annotations

import zlib

import numpy as np

from immunescape.errors import InputError
from immunescape.signatures.methods import ScoringContext, register
from immunescape.signatures.schema import Signature

__all__ = ["authors_bins", "draw_control_counts", "control_weights"]

_ROWS = 64  # samples per chunk of the background product


def _r_quantile7(values: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """R's ``quantile(x, probs)`` with the default type 7, step for step."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    index = 1.0 + max(n - 1, 0) * probs  # 1-based, as in R
    lo = np.floor(index).astype(np.int64)
    hi = np.ceil(index).astype(np.int64)
    qs = x[lo - 1]
    h = index - lo
    upper = x[hi - 1]
    interp = (index > lo) & (upper != qs)
    qs = np.where(interp, (1.0 - h) * qs + h * upper, qs)
    return qs


def authors_bins(gene_means: np.ndarray, *, n_bins: int = 50) -> np.ndarray:
    """Bin genes by mean expression exactly as the authors' ``discretize`` does.

    Parameters
    ----------
    gene_means
        Mean expression of every gene across samples.
    n_bins
        Number of quantile edges (50 in the paper).

    Returns
    -------
    numpy.ndarray
        Bin label per gene (2..n_bins as in the R code), or -1 for genes outside every bin
        (below the 1/n_bins quantile, or at the maximum).

    Examples
    --------
    >>> import numpy as np
    >>> authors_bins(np.arange(10.0), n_bins=5).tolist()
    [-1, -1, 2, 2, 3, 3, 4, 4, 5, -1]
    """
    v = np.asarray(gene_means, dtype=np.float64)
    step = 1.0 / n_bins
    # R: seq(from = 1/n, to = 1, by = 1/n) is from + (0:(n-1)) * by, clipped to `to`
    probs = np.minimum(step + np.arange(n_bins) * step, 1.0)
    edges = _r_quantile7(v, probs)
    # bin i holds edges[i-2] <= v < edges[i-1]; searchsorted counts the edges <= v
    n_le = np.searchsorted(edges, v, side="right")
    labels = n_le + 1
    inside = (n_le >= 1) & (n_le <= n_bins - 1)
    return np.where(inside, labels, -1)


def _draw_bin_counts(
    rng: np.random.Generator, bin_size: int, n_draw: int, n_random: int
) -> np.ndarray:
    """Count how often each gene of a bin is drawn in ``n_random`` rounds.

    Every round draws ``n_draw`` of the ``bin_size`` genes without replacement.
    """
    if n_draw == bin_size:
        return np.full(bin_size, n_random, dtype=np.int64)
    if 2 * n_draw > bin_size:
        # draw the genes left out instead
        return n_random - _draw_bin_counts(rng, bin_size, bin_size - n_draw, n_random)
    if n_draw * (n_draw - 1) < bin_size:
        # Rejection: draw with replacement and redraw rounds with a repeated gene. A round
        # kept is a uniform n_draw-subset; fewer than 1/2 of the rounds are redrawn.
        picks = rng.integers(0, bin_size, size=(n_random, n_draw))
        while True:
            s = np.sort(picks, axis=1)
            bad = np.flatnonzero((s[:, 1:] == s[:, :-1]).any(axis=1))
            if bad.size == 0:
                break
            picks[bad] = rng.integers(0, bin_size, size=(bad.size, n_draw))
    else:
        # random keys: the n_draw smallest of bin_size uniforms form a uniform subset
        keys = rng.random((n_random, bin_size))
        picks = np.argpartition(keys, n_draw - 1, axis=1)[:, :n_draw]
    return np.bincount(picks.ravel(), minlength=bin_size)


def draw_control_counts(
    bins: np.ndarray,
    signature_positions: np.ndarray,
    *,
    n_random: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw counts of every gene over ``n_random`` rounds of bin-matched control sets.

    Parameters
    ----------
    bins
        Bin label per gene (:func:`authors_bins`; -1 = no bin).
    signature_positions
        Column positions of the signature's genes.
    n_random
        Number of rounds.
    rng
        Random generator.

    Returns
    -------
    numpy.ndarray
        Count per gene (int64); in every round each bin contributes as many distinct
        genes as it holds signature genes, so the counts of a bin sum to
        ``n_random * n_b``.

    Examples
    --------
    >>> import numpy as np
    >>> bins = np.array([2, 2, 2, 3, 3, -1])
    >>> c = draw_control_counts(bins, np.array([0, 3]), n_random=100,
    ...                         rng=np.random.default_rng(0))
    >>> int(c[:3].sum()), int(c[3:5].sum()), int(c[5])
    (100, 100, 0)
    """
    counts = np.zeros(bins.size, dtype=np.int64)
    sig_bins = bins[signature_positions]
    labels, n_per_bin = np.unique(sig_bins[sig_bins >= 0], return_counts=True)
    for label, n_b in zip(labels, n_per_bin, strict=True):
        members = np.flatnonzero(bins == label)
        counts[members] = _draw_bin_counts(rng, members.size, int(n_b), n_random)
    return counts


def control_weights(
    bins: np.ndarray,
    signature_positions: np.ndarray,
    *,
    background: str = "random",
    n_random: int = 1000,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Weight of every gene in the background: ``background = z @ weights``.

    Parameters
    ----------
    bins
        Bin label per gene (:func:`authors_bins`).
    signature_positions
        Column positions of the signature's genes.
    background
        ``"random"`` (draw counts / (n_random * k')) or ``"expected"`` (n_b / (N_b * k')
        for the N_b genes of a bin holding n_b signature genes).
    n_random
        Rounds for ``"random"``.
    rng
        Random generator for ``"random"``.

    Returns
    -------
    numpy.ndarray
        Non-negative weights summing to 1 (all zero when no signature gene has a bin).

    Examples
    --------
    >>> import numpy as np
    >>> control_weights(np.array([2, 2, 3, 3]), np.array([0]), background="expected").tolist()
    [0.5, 0.5, 0.0, 0.0]
    """
    sig_bins = bins[signature_positions]
    k_binned = int((sig_bins >= 0).sum())
    weights = np.zeros(bins.size, dtype=np.float64)
    if k_binned == 0:
        return weights
    if background == "expected":
        labels, n_per_bin = np.unique(sig_bins[sig_bins >= 0], return_counts=True)
        for label, n_b in zip(labels, n_per_bin, strict=True):
            members = bins == label
            weights[members] = n_b / (members.sum() * k_binned)
        return weights
    if rng is None:
        raise ValueError("background='random' needs a random generator")
    counts = draw_control_counts(bins, signature_positions, n_random=n_random, rng=rng)
    return counts / (n_random * k_binned)


def _weighted_gene_sums(ctx: ScoringContext, W: np.ndarray) -> np.ndarray:
    """Return ``log2tpm1 @ W`` over all genes, in float64.

    Reads the context's cached full log2(TPM + 1) matrix (computed once for every method
    that needs all genes) in row blocks converted to float64, so that each sample's value
    is accumulated in double precision and does not depend on which other samples are in
    the matrix (a chunked cohort scored block by block gives the same numbers).
    """
    L = ctx.log2tpm1_matrix()
    n, g = L.shape
    out = np.empty((n, W.shape[1]), dtype=np.float64)
    step = max(1, min(n, 2**17 // max(g, 1)))  # ~1 MB float64 blocks: stay in cache
    for a in range(0, n, step):
        out[a : a + step] = L[a : a + step].astype(np.float64) @ W
    return out


def _int_param(sig: Signature, name: str, default: int, minimum: int) -> int:
    value = sig.params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(
            f"params.{name} = {value!r} is not an integer >= {minimum}",
            source=f"signature {sig.id}",
            fix=f"give an integer {name} (default {default})",
        )
    return value


def _arm_rng(seed: int, arm: str, genes: list[str]) -> np.random.Generator:
    digest = zlib.crc32(("\n".join([arm, *sorted(genes)])).encode())
    return np.random.default_rng(np.random.SeedSequence([int(seed), digest]))


@register("jerby_oe")
def jerby_oe(ctx: ScoringContext, sig: Signature, genes: list[str]) -> np.ndarray:
    """Overall expression, ``OE(up) - OE(down)`` for two-sided programmes."""
    n_random = _int_param(sig, "n_random", 1000, 1)
    n_bins = _int_param(sig, "n_bins", 50, 2)
    background = sig.params.get("background", "random")
    if background not in ("random", "expected"):
        raise InputError(
            f"params.background = {background!r} is not allowed",
            source=f"signature {sig.id}",
            fix="use 'random' (the authors' sampling) or 'expected'",
        )
    up_set = set(sig.genes)
    down_set = set(sig.genes_down) - up_set
    arms = [("up", [g for g in genes if g in up_set])]
    if sig.genes_down:
        arms.append(("down", [g for g in genes if g in down_set]))
    if any(len(arm) < 2 for _, arm in arms):
        return np.full(ctx.n_samples, np.nan)

    means = ctx.log2tpm1_gene_means()
    bins = ctx.cached(("jerby_bins", str(n_bins)), lambda: authors_bins(means, n_bins=n_bins))

    raw = np.empty((ctx.n_samples, len(arms)))
    W = np.empty((means.size, len(arms)))
    for j, (name, arm) in enumerate(arms):
        pos = ctx.gene_positions(arm)
        raw[:, j] = (ctx.columns(arm, "log2tpm1") - means[pos]).mean(axis=1)
        rng = _arm_rng(ctx.seed, name, arm) if background == "random" else None
        W[:, j] = control_weights(bins, pos, background=background, n_random=n_random, rng=rng)
    empty = W.sum(axis=0) == 0  # no signature gene in any bin: the authors' mean is NaN

    bg = _weighted_gene_sums(ctx, W) - means @ W  # background = (X - means) @ W
    oe = raw - bg
    oe[:, empty] = np.nan
    return oe[:, 0] - oe[:, 1] if len(arms) == 2 else oe[:, 0]
