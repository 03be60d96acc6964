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

from immunescape.expression import Expression

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
    # Importing the modules registers their kernels.
    import importlib

    for module in (
        "immunescape.signatures.methods.basic",
        "immunescape.signatures.methods.rank",
        "immunescape.signatures.methods.jerby",
        "immunescape.pathways.progeny",
    ):
        try:  # TODO(lead): strict once rank/jerby land
            importlib.import_module(module)
        except ModuleNotFoundError:
            pass


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

    def columns(self, genes: list[str], unit: str) -> np.ndarray:
        """Return ``genes`` in ``unit`` (see :meth:`Expression.columns`), float64."""
        return self.expr.columns(genes, unit)  # type: ignore[arg-type]

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

    def log2tpm1_sample_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-sample mean and standard deviation (ddof=1) of log2(TPM + 1) over all genes.

        Computed in column blocks so the whole matrix is never converted at once.
        """

        def compute() -> tuple[np.ndarray, np.ndarray]:
            n, g = self.expr.shape
            s1 = np.zeros(n)
            s2 = np.zeros(n)
            genes = list(self.expr.genes)
            for start in range(0, g, 2048):
                block = self.expr.columns(genes[start : start + 2048], "log2tpm1")
                s1 += block.sum(axis=1)
                s2 += np.square(block).sum(axis=1)
            mean = s1 / g
            var = (s2 - g * mean**2) / (g - 1)
            return mean, np.sqrt(np.maximum(var, 0.0))

        return self.cached(("log2tpm1_sample_stats",), compute)

    def log2tpm1_gene_means(self) -> np.ndarray:
        """Per-gene mean of log2(TPM + 1) across samples (all genes), float64."""

        def compute() -> np.ndarray:
            genes = list(self.expr.genes)
            out = np.empty(len(genes))
            for start in range(0, len(genes), 2048):
                block = self.expr.columns(genes[start : start + 2048], "log2tpm1")
                out[start : start + 2048] = block.mean(axis=0)
            return out

        return self.cached(("log2tpm1_gene_means",), compute)
