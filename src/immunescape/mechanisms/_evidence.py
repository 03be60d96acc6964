"""The per-sample evidence a mechanism call is made from, and cohort percentiles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from immunescape.errors import InputError

__all__ = ["Evidence", "percentile_table", "INPUTS"]

#: The inputs a mechanism may need (``Mechanism.requires`` in the knowledge base).
INPUTS = ("expression", "mutations", "cna", "segments", "hla", "clinical", "neoantigens", "mirna")


def percentile_table(
    scores: pd.DataFrame,
    *,
    reference: pd.DataFrame | None = None,
    min_samples: int = 20,
) -> pd.DataFrame:
    """Cohort percentiles (0-100) of every column, NaN kept.

    Within the analysed cohort: ``rank(method="average", pct=True) * 100``. Against a
    reference cohort (e.g. one patient): ``100 * (n_ref(< x) + 0.5 n_ref(== x)) / n_ref``,
    the patient not part of the reference. Columns with fewer than ``min_samples``
    non-missing values (in the cohort, or in the reference) give NaN: a percentile among a
    handful of samples is not evidence.

    Examples
    --------
    >>> s = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]}, index=list("wxyz"))
    >>> percentile_table(s, min_samples=3)["a"].tolist()
    [25.0, 50.0, 75.0, 100.0]
    >>> ref = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
    >>> percentile_table(pd.DataFrame({"a": [2.0]}, index=["p"]), reference=ref,
    ...                  min_samples=3)["a"].tolist()
    [37.5]
    """
    if reference is None:
        pct = scores.rank(method="average", pct=True) * 100.0
        enough = scores.notna().sum() >= min_samples
        return pct.where(np.broadcast_to(enough.to_numpy(), pct.shape), np.nan)
    out = pd.DataFrame(np.nan, index=scores.index, columns=scores.columns)
    for col in scores.columns:
        if col not in reference.columns:
            continue
        ref = np.sort(reference[col].dropna().to_numpy(dtype=float))
        if ref.size < min_samples:
            continue
        x = scores[col].to_numpy(dtype=float)
        below = np.searchsorted(ref, x, side="left")
        upto = np.searchsorted(ref, x, side="right")
        val = 100.0 * (below + 0.5 * (upto - below)) / ref.size
        out[col] = np.where(np.isnan(x), np.nan, val)
    return out


@dataclass
class Evidence:
    """Everything known about a cohort's samples, as the mechanism rules read it.

    Parameters
    ----------
    samples
        Every sample to call mechanisms for (the union of the inputs' samples).
    scores
        Samples x registry score ids (RNA), or None.
    reference_scores
        Scores of a reference cohort: percentiles are taken against it instead of the
        analysed cohort.
    score_names
        Score id -> human-readable name, for the evidence trail.
    events
        ``genomic_events`` table (sample_id, gene, event, detail, biallelic, functional_call).
    tmb, scna, hla
        Genomic feature tables indexed by sample_id.
    clinical
        Clinical table indexed by sample_id (any columns; rules name them).
    inputs
        Input name -> samples that have it (``expression``, ``mutations``, ``cna``,
        ``segments``, ``hla``, ``clinical``, ...). Derived from the tables when omitted.
    """

    samples: list[str]
    scores: pd.DataFrame | None = None
    reference_scores: pd.DataFrame | None = None
    score_names: Mapping[str, str] = field(default_factory=dict)
    events: pd.DataFrame | None = None
    tmb: pd.DataFrame | None = None
    scna: pd.DataFrame | None = None
    hla: pd.DataFrame | None = None
    clinical: pd.DataFrame | None = None
    inputs: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(set(self.samples)) != len(self.samples):
            raise InputError("duplicated sample ids across the inputs")
        for name in INPUTS:
            self.inputs.setdefault(name, set())
        if self.scores is not None and not self.inputs["expression"]:
            self.inputs["expression"] = set(self.scores.index)
        if self.hla is not None and not self.inputs["hla"]:
            self.inputs["hla"] = set(self.hla.index)
        if self.scna is not None and not self.inputs["segments"]:
            self.inputs["segments"] = set(self.scna.index)
        if self.clinical is not None and not self.inputs["clinical"]:
            self.inputs["clinical"] = set(self.clinical.index)

    def has(self, name: str) -> pd.Series:
        """Boolean Series: which samples have input ``name``."""
        have = self.inputs.get(name, set())
        return pd.Series([s in have for s in self.samples], index=self.samples, dtype=bool)

    def any_of(self, names: Iterable[str]) -> pd.Series:
        """Boolean Series: which samples have at least one of ``names``."""
        out = pd.Series(False, index=self.samples)
        for n in names:
            out |= self.has(n)
        return out
