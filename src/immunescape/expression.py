"""The expression container every scoring step works on.

An :class:`Expression` holds a samples x genes matrix (rows are samples, columns current HGNC
symbols) in the unit it was given, and converts *columns on demand* to the unit a score needs.
Converting only the genes a signature uses keeps memory near the size of the input matrix.

Units
-----
``counts``
    Raw integer read counts. Converted to counts per million (CPM) as a TPM proxy: gene
    lengths are not known, so length bias remains; run.json says so.
``tpm``
    Transcripts per million (linear).
``fpkm``
    FPKM or RPKM (linear); converted to TPM by rescaling each sample to sum to 1e6
    (Wagner et al. 2012, Theory Biosci, PMID 22872506).
``log2tpm``
    ``log2(TPM + offset)``. The offset is 1 unless the matrix floor shows another one
    (``log2(0.001) = -9.9658`` is detected as offset 0.001), or it is given explicitly.
``log2counts``
    ``log2(counts + offset)``, back-transformed then treated as counts.
``normalized``
    Another linear normalisation (e.g. NanoString normalised counts, microarray intensity
    on a linear scale). Used as TPM-like without rescaling; run.json says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from immunescape._vocab import UNITS, TargetUnit, Unit
from immunescape.errors import InputError

__all__ = ["Expression", "Unit", "TargetUnit", "UNITS", "LOG_UNITS", "CENTRED_UNITS",
           "TPM_UNITS", "READ_COUNT_UNITS", "WHOLE_TRANSCRIPTOME_GENES"]
#: Units centred per gene across samples: values are only comparable within a gene, across
#: the samples of the cohort they were centred in (no TPM, no within-sample gene comparison).
CENTRED_UNITS: tuple[str, ...] = ("zscore",)
LOG_UNITS: tuple[str, ...] = ("log2tpm", "log2counts")
#: Gene-length-normalised units: TPM, FPKM (rescaled per sample to TPM) and log2 TPM.
TPM_UNITS: tuple[str, ...] = ("tpm", "fpkm", "log2tpm")
#: Read counts: scaled to counts per million, they keep the gene-length bias TPM removes.
READ_COUNT_UNITS: tuple[str, ...] = ("counts", "log2counts")
#: Fewest genes for a matrix to count as a whole transcriptome (not a panel).
WHOLE_TRANSCRIPTOME_GENES = 10000


@dataclass(eq=False)
class Expression:
    """A samples x genes expression matrix with its unit.

    Parameters
    ----------
    values
        Samples in rows (index = sample ids), genes in columns (current HGNC symbols).
        Stored as float32 to halve memory; conversions compute in float64 per column block.
    unit
        One of :data:`UNITS`.
    log_offset
        Pseudo-count of a log unit (``log2(x + log_offset)``); ignored for linear units.
    source
        Where the matrix came from (file name), for messages.
    notes
        Human-readable notes about conversions and detection, copied into run.json.

    Examples
    --------
    >>> import pandas as pd
    >>> e = Expression(pd.DataFrame({"GZMA": [3.0, 0.0], "PRF1": [1.0, 7.0]},
    ...                             index=["s1", "s2"]), unit="tpm")
    >>> e.columns(["GZMA"], "log2tpm1").round(3).ravel().tolist()
    [2.0, 0.0]
    """

    values: pd.DataFrame
    unit: Unit
    log_offset: float = 1.0
    source: str = "<memory>"
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise InputError(
                f"unknown unit {self.unit!r}",
                source=self.source,
                fix=f"use one of {', '.join(UNITS)}",
            )
        # One contiguous float32 block: column gathers and row blocks never copy the matrix.
        X = np.ascontiguousarray(self.values.to_numpy(dtype=np.float32))
        self.values = pd.DataFrame(X, index=self.values.index, columns=self.values.columns,
                                   copy=False)
        self._X = X
        self._gene_index = pd.Index(self.values.columns)
        self._gene_set = frozenset(self._gene_index)
        self._scale: np.ndarray | None = None
        self._rank_cache: np.ndarray | None = None

    # ------------------------------------------------------------------ basic properties
    @property
    def samples(self) -> pd.Index:
        """Sample ids, in matrix order."""
        return self.values.index

    @property
    def genes(self) -> pd.Index:
        """Gene symbols, in matrix order."""
        return self._gene_index

    @property
    def shape(self) -> tuple[int, int]:
        """(n_samples, n_genes)."""
        n_samples, n_genes = self._X.shape
        return n_samples, n_genes

    @property
    def gene_set(self) -> frozenset[str]:
        """The gene symbols as a set (for fast membership tests)."""
        return self._gene_set

    def has(self, genes: Sequence[str]) -> list[str]:
        """Return the genes of ``genes`` present in the matrix, in the order given."""
        present = self._gene_set
        return [g for g in genes if g in present]

    # ------------------------------------------------------------------ conversions
    @property
    def matrix(self) -> np.ndarray:
        """The stored samples x genes float32 array (no copy; do not modify)."""
        return self._X

    def _raw(self, genes: Sequence[str] | None) -> np.ndarray:
        if genes is None:
            return self._X
        idx = self._gene_index.get_indexer(list(genes))
        if (idx < 0).any():
            missing = [g for g, i in zip(genes, idx, strict=True) if i < 0]
            raise KeyError(f"genes not in matrix: {missing[:5]}")
        return self._X[:, idx]

    def _linear_scale(self) -> np.ndarray:
        """Per-sample factor turning the linear values into TPM (or CPM) units."""
        if self._scale is None:
            n = self.shape[0]
            if self.unit in ("fpkm", "counts", "log2counts"):
                totals = np.concatenate([b.sum(axis=1) for b in self._linear_blocks()])
                with np.errstate(divide="ignore"):
                    self._scale = np.where(totals > 0, 1e6 / totals, 0.0)
            else:
                self._scale = np.ones(n, dtype=np.float64)
        return self._scale

    def _linear_blocks(self, block: int = 1024):
        """Yield the matrix in its linear (un-logged, un-rescaled) form, row blocks."""
        X = self._X
        for start in range(0, X.shape[0], block):
            part = X[start : start + block].astype(np.float64)
            if self.unit in LOG_UNITS:
                part = np.maximum(np.exp2(part) - self.log_offset, 0.0)
            yield part

    def columns(self, genes: Sequence[str] | None, unit: TargetUnit) -> np.ndarray:
        """Return the given genes (all genes if None) converted to ``unit``, float64.

        Parameters
        ----------
        genes
            Gene symbols, all present in the matrix.
        unit
            ``"tpm"`` (linear TPM, or CPM for counts), ``"log2tpm1"`` (``log2(TPM + 1)``) or
            ``"rank"`` (values as given: only their within-sample order is used).

        Returns
        -------
        numpy.ndarray
            Array of shape (n_samples, len(genes)).
        """
        raw = self._raw(genes).astype(np.float64)
        if unit == "rank":
            return raw
        if unit not in ("tpm", "log2tpm1"):
            raise ValueError(f"unknown target unit {unit!r}")
        if self.unit in CENTRED_UNITS:
            if unit == "tpm":
                raise ValueError("centred (z-scored) data cannot be converted to TPM")
            return raw  # "log2tpm1" methods that only centre/scale per gene read z as given
        if unit == "log2tpm1" and self.unit == "log2tpm" and self.log_offset == 1.0:
            return raw  # already log2(TPM + 1): avoid round-off from the round trip
        # in place on the one float64 copy: a large gene list (PROGENy's footprints) then
        # needs one temporary, not four
        lin = raw
        if self.unit in LOG_UNITS:
            np.exp2(lin, out=lin)
            lin -= self.log_offset
            np.maximum(lin, 0.0, out=lin)
        lin *= self._linear_scale()[:, None]
        if unit == "log2tpm1":
            lin += 1.0
            np.log2(lin, out=lin)
        return lin

    def conversion_note(self, unit: TargetUnit) -> str | None:
        """Describe how the data are converted to ``unit`` (None if used as given)."""
        if unit == "rank":
            return None
        if self.unit in CENTRED_UNITS:
            return "centred (z-scored) values used as given, per gene"
        src = {
            "tpm": "TPM",
            "fpkm": "FPKM rescaled per sample to sum 1e6 (TPM)",
            "counts": "counts scaled to counts per million (CPM, a TPM proxy without gene "
            "lengths)",
            "log2tpm": f"log2(TPM + {self.log_offset:g}) back-transformed to TPM",
            "log2counts": f"log2(counts + {self.log_offset:g}) back-transformed, scaled to CPM",
            "normalized": "normalized linear values used as TPM-like",
        }[self.unit]
        if unit == "log2tpm1" and self.unit == "log2tpm" and self.log_offset == 1.0:
            return None
        target = {"tpm": "TPM", "log2tpm1": "log2(TPM + 1)"}[unit]
        if self.unit == "tpm" and unit == "tpm":
            return None
        return f"{src} -> {target}"

    def subset(self, samples: Sequence[str]) -> Expression:
        """Return a new Expression restricted to ``samples`` (same unit and offset)."""
        return Expression(
            self.values.loc[list(samples)],
            unit=self.unit,
            log_offset=self.log_offset,
            source=self.source,
            notes=list(self.notes),
        )

    def ranks(self) -> np.ndarray:
        """Within-sample ranks of all genes (1 = lowest; ties get their average), float32.

        Computed once and cached: ssGSEA, singscore and other rank methods share it.
        Monotone per-sample transforms (log, CPM, FPKM -> TPM) do not change it.
        """
        if self._rank_cache is None:
            from immunescape._ranks import rank_rows

            self._rank_cache = rank_rows(self._X)
        return self._rank_cache
