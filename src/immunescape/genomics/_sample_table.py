"""The common shape of the per-sample genomic tables (mutations, copy number, segments, HLA)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["SampleTable"]


@dataclass(eq=False)
class SampleTable:
    """A genomic table read from one input, long, with a ``sample_id`` column.

    Attributes
    ----------
    data
        The rows (one per sample and gene, segment, allele or mutation).
    source
        Where it came from (file name or ``<memory>``).
    notes
        What was done on reading (for run.json).

    Examples
    --------
    >>> SampleTable(pd.DataFrame({"sample_id": ["S2", "S1", "S2"]})).samples
    ['S2', 'S1']
    """

    data: pd.DataFrame
    source: str = "<memory>"
    notes: list[str] = field(default_factory=list)

    @property
    def samples(self) -> list[str]:
        """Sample ids with at least one row, in first-seen order."""
        return list(pd.unique(self.data["sample_id"]))
