"""Scoring methods: vectorised kernels registered by name and run by one runner.

A kernel has the signature ``kernel(ctx, sig, genes) -> numpy.ndarray`` where

- ``ctx`` is a :class:`ScoringContext` giving lazy, cached access to the expression matrix in
  the unit the method needs (only the columns asked for are converted);
- ``sig`` is the :class:`~immunescape.signatures.schema.Signature`;
- ``genes`` is the list of the signature's genes found in the data (coverage already checked);

and it returns one float per sample (shape ``(n_samples,)``), NaN where undefined. Kernels
work on all samples at once: no per-sample Python loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from immunescape.expression import Expression, TargetUnit

__all__ = ["ScoringContext", "register", "get_kernel", "KERNELS"]

Kernel = Callable[["ScoringContext", Any, list[str]], np.ndarray]
KERNELS: dict[str, Kernel] = {}


def register(name: str) -> Callable[[Kernel], Kernel]:
    """Register a kernel under ``name`` (a value of ``Signature.method``)."""

    def deco(fn: Kernel) -> Kernel:
        KERNELS[name] = fn
        return fn

    return deco


def get_kernel(name: str) -> Kernel:
    """Return the kernel registered as ``name``."""
    _load_builtin()
    return KERNELS[name]


def _load_builtin() -> None:
    # Importing the modules registers their kernels (a failing import is an error, not skipped).
    from immunescape.signatures.methods import basic, jerby, progeny, rank  # noqa: F401


@dataclass(eq=False)
class ScoringContext:
    """Lazy, cached views of one expression matrix for the kernels.

    Parameters
    ----------
    expr
        The expression matrix.
    seed
        Seed of any randomness (Jerby-Arnon background sets).
    """

    expr: Expression
    seed: int = 0
    _cache: dict[tuple[str, ...], Any] = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return self.expr.shape[0]

    def columns(self, genes: list[str], unit: TargetUnit) -> np.ndarray:
        """Return ``genes`` in ``unit`` (see :meth:`Expression.columns`), float64."""
        return self.expr.columns(genes, unit)

    def ranks(self) -> np.ndarray:
        """Within-sample average ranks of all genes, shape (n_samples, n_genes), float32."""
        return self.expr.ranks()

    def gene_positions(self, genes: list[str]) -> np.ndarray:
        """Column positions of ``genes`` in the full matrix."""
        return self.expr.genes.get_indexer(genes)

    def cached(self, key: tuple[str, ...], compute: Callable[[], Any]) -> Any:
        """Return ``compute()`` cached under ``key`` for the life of the context."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def log2tpm1_matrix(self) -> np.ndarray:
        """All genes as log2(TPM + 1), float32, computed once in row blocks and cached.

        With input already in log2(TPM + 1) this is the stored matrix itself (no copy). The
        same pass accumulates, in float64, the per-sample and per-gene sums used by
        :meth:`log2tpm1_sample_stats` and :meth:`log2tpm1_gene_means`.
        """
        return self._full_pass()[0]

    def _full_pass(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        def compute() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
            expr = self.expr
            X = expr.matrix
            n, g = X.shape
            identity = expr.unit == "log2tpm" and expr.log_offset == 1.0
            L = X if identity else np.empty((n, g), dtype=np.float32)
            s1 = np.empty(n)
            s2 = np.empty(n)
            gsum = np.zeros(g)
            scale = expr._linear_scale()
            step = max(1, min(n, 2**18 // max(g, 1)))  # ~2 MB float64 blocks: in cache
            for a in range(0, n, step):
                b = min(n, a + step)
                block = X[a:b].astype(np.float64)
                if not identity:
                    if expr.unit in ("log2tpm", "log2counts"):
                        np.exp2(block, out=block)
                        block -= expr.log_offset
                        np.maximum(block, 0.0, out=block)
                    block *= scale[a:b, None]
                    block += 1.0
                    np.log2(block, out=block)
                    L[a:b] = block
                s1[a:b] = block.sum(axis=1)
                s2[a:b] = np.einsum("ij,ij->i", block, block)
                gsum += block.sum(axis=0)
            return L, s1, s2, gsum

        return self.cached(("log2tpm1_full_pass",), compute)

    def log2tpm1_sample_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-sample mean and standard deviation (ddof=1) of log2(TPM + 1) over all genes."""

        def compute() -> tuple[np.ndarray, np.ndarray]:
            _, s1, s2, _ = self._full_pass()
            g = self.expr.shape[1]
            mean = s1 / g
            var = (s2 - g * mean**2) / (g - 1)
            return mean, np.sqrt(np.maximum(var, 0.0))

        return self.cached(("log2tpm1_sample_stats",), compute)

    def log2tpm1_gene_means(self) -> np.ndarray:
        """Per-gene mean of log2(TPM + 1) across samples (all genes), float64."""
        return self._full_pass()[3] / self.n_samples
