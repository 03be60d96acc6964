"""Score a chunked cohort block by block on Dask, in two streamed passes.

Per-sample scores depend on one sample's values only: every row block is scored by the
kernels of the in-memory runner (:func:`~immunescape.signatures.runner.score`), so the
numbers are those of the in-memory path by construction.

Cohort-relative scores depend on the whole cohort only through a few statistics, which the
first pass accumulates block by block and merges exactly (no approximation):

``mean_z``, ``pc1``
    Per-gene mean and the co-moment matrix of the signature's genes (log2(TPM + 1)),
    merged with Chan, Golub and LeVeque's pairwise update. ``mean_z`` is the mean over genes
    of ``(x - mean) / sd``; ``pc1`` projects the z-scores on the leading eigenvector of
    their scatter matrix (the correlation matrix), with the in-memory sign rule
    (positive correlation with the mean z-score): that correlation's sign is
    ``v' R 1``, from the same statistics.
``mean_rank``
    Each gene's values across the cohort, kept sorted (a few genes, one float each per
    sample); a sample's average rank is found by binary search.
``progeny``
    The 14 unscaled pathway scores are per-sample; their mean and sd across samples (the
    scaling of ``progeny(scale=TRUE)``) are merged as above.
``jerby_oe``
    The per-gene means of log2(TPM + 1) over all genes (gene bins and centring); the
    kernel then runs on each block with the cohort's means.

The second pass scores every block with these statistics. Scores are written as one
parquet file per block (``part-00000.parquet``, ...) or gathered in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from immunescape.expression import Expression, Unit
from immunescape.signatures.methods import ScoringContext, get_kernel
from immunescape.signatures.methods.basic import _main_genes
from immunescape.signatures.runner import (
    FEATURE_TABLE_COLUMNS,
    ScoreResult,
    feature_row,
    resolve_signatures,
    warn_unscored,
)
from immunescape.signatures.schema import Signature

__all__ = ["plan_scores", "score_blocks", "ScorePlan"]

COHORT_METHODS = ("mean_z", "pc1", "mean_rank", "progeny", "jerby_oe")


# --------------------------------------------------------------------------- the plan
@dataclass
class ScorePlan:
    """What to compute: the signatures by kind, the genes each statistic needs."""

    genes: pd.Index
    unit: Unit
    log_offset: float
    seed: int
    n_samples: int
    order: list[str]  # feature ids, output column order
    features: pd.DataFrame
    messages: list[str]
    per_sample: list[Signature] = field(default_factory=list)
    moments: dict[str, list[str]] = field(default_factory=dict)  # mean_z, pc1 -> genes
    ranked: dict[str, list[str]] = field(default_factory=dict)  # mean_rank -> genes
    progeny: list[Signature] = field(default_factory=list)
    jerby: list[Signature] = field(default_factory=list)
    methods: dict[str, str] = field(default_factory=dict)

    @property
    def moment_genes(self) -> list[str]:
        return list(dict.fromkeys(g for genes in self.moments.values() for g in genes))

    @property
    def rank_genes(self) -> list[str]:
        return list(dict.fromkeys(g for genes in self.ranked.values() for g in genes))


def plan_scores(
    genes: pd.Index,
    n_samples: int,
    *,
    unit: Unit,
    log_offset: float,
    signatures: Any = None,
    min_coverage: float | None = None,
    min_cohort_size: int = 10,
    seed: int = 0,
) -> ScorePlan:
    """Check coverage and sort the signatures into per-sample and streamed statistics."""
    sigs = resolve_signatures(signatures)
    available = frozenset(genes)
    rows: list[dict[str, object]] = []
    messages: list[str] = []
    plan = ScorePlan(genes, unit, log_offset, seed, n_samples, [s.id for s in sigs],
                     pd.DataFrame(), messages)
    for sig in sigs:
        row, message = feature_row(sig, available, min_coverage=min_coverage,
                                   cohort_ok=n_samples >= min_cohort_size,
                                   min_cohort_size=min_cohort_size)
        rows.append(row)
        if message:
            messages.append(message)
            continue
        found = [g for g in sig.all_genes() if g in available]
        plan.methods[sig.id] = sig.method
        if sig.scope != "cohort_relative":
            plan.per_sample.append(sig)
        elif sig.method in ("mean_z", "pc1"):
            plan.moments[sig.id] = _main_genes(sig, found)
        elif sig.method == "mean_rank":
            plan.ranked[sig.id] = _main_genes(sig, found)
        elif sig.method == "progeny":
            plan.progeny.append(sig)
        elif sig.method == "jerby_oe":
            plan.jerby.append(sig)
        else:
            from immunescape.errors import InputError

            raise InputError(
                f"signature {sig.id}: cohort-relative method {sig.method!r} has no streamed "
                "form",
                fix="score it in memory (a matrix that fits) or drop it with --only",
            )
    plan.features = pd.DataFrame(rows, columns=FEATURE_TABLE_COLUMNS)
    return plan


# --------------------------------------------------------------------------- per block
class _CohortContext(ScoringContext):
    """A block's scoring context whose per-gene means are the whole cohort's."""

    def __init__(self, expr: Expression, seed: int, gene_means: np.ndarray | None):
        super().__init__(expr, seed=seed)
        self._cohort_means = gene_means

    def log2tpm1_gene_means(self) -> np.ndarray:
        if self._cohort_means is None:
            return super().log2tpm1_gene_means()
        return self._cohort_means


def _block_expression(block: np.ndarray, samples: list[str], plan: ScorePlan) -> Expression:
    values = pd.DataFrame(np.asarray(block, dtype=np.float32), index=pd.Index(samples),
                          columns=plan.genes, copy=False)
    return Expression(values, unit=plan.unit, log_offset=plan.log_offset)


def _unscaled(sig: Signature) -> Signature:
    return sig.model_copy(update={"params": {**sig.params, "scale": False}})


def _progeny_raw(ctx: ScoringContext, plan: ScorePlan) -> np.ndarray:
    kernel = get_kernel("progeny")
    cols = []
    for sig in plan.progeny:
        genes = ctx.expr.has(sig.all_genes())
        cols.append(np.asarray(kernel(ctx, _unscaled(sig), genes), dtype=np.float64))
    return np.column_stack(cols) if cols else np.empty((ctx.n_samples, 0))


def _moments(X: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """(n, column means, co-moment matrix sum((x - mean)(x - mean)')) of one block."""
    mean = X.mean(axis=0)
    centred = X - mean
    return X.shape[0], mean, centred.T @ centred


def _merge_moments(a, b):
    """Chan et al.'s exact merge of two (n, mean, co-moment) summaries."""
    if a is None:
        return b
    if b is None:
        return a
    na, ma, ca = a
    nb, mb, cb = b
    n = na + nb
    d = mb - ma
    return n, ma + d * (nb / n), ca + cb + np.outer(d, d) * (na * nb / n)


def pass1_block(block: np.ndarray, samples: list[str], plan: ScorePlan) -> dict[str, Any]:
    """First pass on one block: the mergeable statistics of the cohort-relative scores."""
    block = np.asarray(block, dtype=np.float32)
    out: dict[str, Any] = {"n": block.shape[0], "nonfinite": int((~np.isfinite(block)).sum())}
    if out["nonfinite"]:
        return out
    ctx = ScoringContext(_block_expression(block, samples, plan), seed=plan.seed)
    if plan.moments:
        out["moments"] = _moments(ctx.columns(plan.moment_genes, "log2tpm1"))
    if plan.ranked:
        out["ranked"] = [ctx.columns(plan.rank_genes, "log2tpm1")]
    if plan.progeny:
        raw = _progeny_raw(ctx, plan)
        out["progeny"] = (*_moments_diag(raw), np.abs(raw).max(axis=0, initial=0.0))
    if plan.jerby:
        out["gene_sums"] = ctx._full_pass()[3]
    return out


def _moments_diag(X: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    mean = X.mean(axis=0)
    return X.shape[0], mean, ((X - mean) ** 2).sum(axis=0)


def merge_pass1(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Merge two first-pass summaries (associative; the order of blocks is kept)."""
    out: dict[str, Any] = {"n": a["n"] + b["n"], "nonfinite": a["nonfinite"] + b["nonfinite"]}
    if "moments" in a or "moments" in b:
        out["moments"] = _merge_moments(a.get("moments"), b.get("moments"))
    if "ranked" in a or "ranked" in b:
        out["ranked"] = a.get("ranked", []) + b.get("ranked", [])
    if "progeny" in a or "progeny" in b:
        pa, pb = a.get("progeny"), b.get("progeny")
        if pa is None or pb is None:
            out["progeny"] = pa if pb is None else pb
        else:
            n, mean, m2 = _merge_moments(
                (pa[0], pa[1], np.diag(pa[2])), (pb[0], pb[1], np.diag(pb[2]))
            )
            out["progeny"] = (n, mean, np.diag(m2).copy(), np.maximum(pa[3], pb[3]))
    if "gene_sums" in a or "gene_sums" in b:
        out["gene_sums"] = a.get("gene_sums", 0.0) + b.get("gene_sums", 0.0)
    return out


# --------------------------------------------------------------------------- statistics
@dataclass
class CohortParams:
    """The finished cohort statistics the second pass scores with."""

    n: int
    zscore: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]]
    ranked: dict[str, np.ndarray]
    progeny: tuple[np.ndarray, np.ndarray] | None
    gene_means: np.ndarray | None


def finish_pass1(total: dict[str, Any], plan: ScorePlan) -> CohortParams:
    """Turn the merged first-pass summary into the second pass's parameters."""
    n = int(total["n"])
    zscore: dict[str, Any] = {}
    if plan.moments:
        _, mean, com = total["moments"]
        where = {g: i for i, g in enumerate(plan.moment_genes)}
        for sid, genes in plan.moments.items():
            idx = np.array([where[g] for g in genes], dtype=np.intp)
            sd = np.sqrt(np.diag(com)[idx] / (n - 1)) if n > 1 else np.full(idx.size, np.nan)
            keep = sd > 0
            idx_k, sd_k = idx[keep], sd[keep]
            vec = None
            if plan.methods[sid] == "pc1" and idx_k.size > 1 and n >= 3:
                corr = com[np.ix_(idx_k, idx_k)] / np.outer(sd_k, sd_k)  # Z'Z of z-scores
                _, vecs = np.linalg.eigh(corr)
                vec = vecs[:, -1]
                sign = np.sign(vec @ corr @ np.ones(idx_k.size))  # sign of corr(score, mean z)
                vec = vec * (sign if sign != 0 else 1.0)
            zscore[sid] = (keep, mean[idx_k], sd_k, vec)
    ranked: dict[str, np.ndarray] = {}
    if plan.ranked:
        cols = np.vstack(total["ranked"])
        where = {g: i for i, g in enumerate(plan.rank_genes)}
        for sid, genes in plan.ranked.items():
            ranked[sid] = np.sort(cols[:, [where[g] for g in genes]], axis=0)
    progeny = None
    if plan.progeny:
        _, mean, m2, maxabs = total["progeny"]
        sd = np.sqrt(m2 / (n - 1)) if n > 1 else np.full(mean.size, np.nan)
        # constant columns (sd at the round-off of the values) are NaN, as in memory
        sd = np.where(sd > 64 * np.finfo(np.float64).eps * maxabs, sd, np.nan)
        progeny = (mean, sd)
    gene_means = total["gene_sums"] / n if plan.jerby else None
    return CohortParams(n, zscore, ranked, progeny, gene_means)


def _average_ranks(sorted_col: np.ndarray, values: np.ndarray) -> np.ndarray:
    left = np.searchsorted(sorted_col, values, side="left")
    right = np.searchsorted(sorted_col, values, side="right")
    return (left + right + 1) / 2.0


def pass2_block(
    block: np.ndarray, samples: list[str], plan: ScorePlan, params: CohortParams
) -> pd.DataFrame:
    """Second pass on one block: every feature's scores (samples x features)."""
    expr = _block_expression(block, samples, plan)
    out: dict[str, np.ndarray] = {}
    # one context for the block: the per-sample kernels (as the runner calls them) and the
    # cohort-relative ones share its cached conversions and full-matrix pass
    ctx = _CohortContext(expr, plan.seed, params.gene_means)
    for sig in plan.per_sample:
        genes = expr.has(sig.all_genes())
        out[sig.id] = np.asarray(get_kernel(sig.method)(ctx, sig, genes), dtype=float)
    for sid, (keep, mean, sd, vec) in params.zscore.items():
        genes = [g for g, k in zip(plan.moments[sid], keep, strict=True) if k]
        if not genes or (plan.methods[sid] == "pc1" and params.n < 3):
            out[sid] = np.full(len(samples), np.nan)
            continue
        Z = (ctx.columns(genes, "log2tpm1") - mean) / sd
        if plan.methods[sid] == "mean_z":
            out[sid] = Z.mean(axis=1)
        else:
            out[sid] = Z[:, 0] if vec is None else Z @ vec
    for sid, sorted_cols in params.ranked.items():
        X = ctx.columns(plan.ranked[sid], "log2tpm1")
        ranks = np.column_stack(
            [_average_ranks(sorted_cols[:, j], X[:, j]) for j in range(X.shape[1])]
        )
        out[sid] = (ranks / params.n).mean(axis=1)
    if plan.progeny and params.progeny is not None:
        mean, sd = params.progeny
        scaled = (_progeny_raw(ctx, plan) - mean) / sd
        for j, sig in enumerate(plan.progeny):
            out[sig.id] = scaled[:, j]
    if plan.jerby:
        kernel = get_kernel("jerby_oe")
        for sig in plan.jerby:
            genes = expr.has(sig.all_genes())
            out[sig.id] = np.asarray(kernel(ctx, sig, genes), dtype=np.float64)
    nan = np.full(len(samples), np.nan)
    table = pd.DataFrame({sid: out.get(sid, nan) for sid in plan.order},
                         index=pd.Index(samples, name="sample_id"))
    return table


def write_part(table: pd.DataFrame, directory: str, index: int) -> int:
    """Write one block's scores as ``part-<index>.parquet``; return its number of rows."""
    path = Path(directory) / f"part-{index:05d}.parquet"
    table.to_parquet(path, index=True)
    return len(table)


# --------------------------------------------------------------------------- orchestration
def score_blocks(
    expr: Any,
    plan: ScorePlan,
    *,
    client: Any = None,
    parts_dir: str | Path | None = None,
) -> tuple[CohortParams | None, pd.DataFrame | int]:
    """Run both passes on a :class:`~immunescape.scale.ChunkedExpression`.

    Returns the cohort statistics and either the scores (in memory) or, with
    ``parts_dir``, the number of rows written there.
    """
    import dask

    blocks = expr.data.to_delayed().ravel()
    ranges = expr.row_blocks
    ids = [list(expr.samples[a:b]) for a, b in ranges]
    compute = client.compute if client is not None else None

    def run(obj: Any) -> Any:
        if compute is None:
            return dask.compute(obj)[0]
        return client.gather(compute(obj))

    params = None
    plan_d = dask.delayed(plan, pure=True)
    streamed = plan.moments or plan.ranked or plan.progeny or plan.jerby
    if streamed:
        partials = [
            dask.delayed(pass1_block, pure=True)(blk, i, plan_d)
            for blk, i in zip(blocks, ids, strict=True)
        ]
        while len(partials) > 1:  # a balanced tree of merges, in block order
            partials = [
                dask.delayed(merge_pass1, pure=True)(partials[k], partials[k + 1])
                if k + 1 < len(partials) else partials[k]
                for k in range(0, len(partials), 2)
            ]
        total = run(partials[0])
        if total["nonfinite"]:
            from immunescape.errors import InputError

            raise InputError(
                f"the matrix has {total['nonfinite']} missing or infinite values",
                source=expr.source,
                fix="impute or drop them before scoring",
            )
        params = finish_pass1(total, plan)
    else:
        params = CohortParams(expr.shape[0], {}, {}, None, None)
    params_d = dask.delayed(params, pure=True)
    tables = [
        dask.delayed(pass2_block, pure=True)(blk, i, plan_d, params_d)
        for blk, i in zip(blocks, ids, strict=True)
    ]
    if parts_dir is not None:
        written = [
            dask.delayed(write_part)(t, str(parts_dir), k) for k, t in enumerate(tables)
        ]
        return params, int(sum(run(written)))
    return params, pd.concat(run(tables)) if tables else pd.DataFrame(columns=plan.order)


def score_result(plan: ScorePlan, scores: pd.DataFrame) -> ScoreResult:
    """Return a :class:`~immunescape.signatures.runner.ScoreResult` of in-memory scores."""
    if plan.messages:
        warn_unscored(plan.messages, stacklevel=4)
    return ScoreResult(scores, plan.features, list(plan.messages), [])
