"""The report of :func:`~immunescape.io.read_expression` (``input_report.json``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

__all__ = ["InputReport"]


@dataclass
class InputReport:
    """What :func:`read_expression` read, resolved, dropped and decided (``input_report.json``).

    Attributes
    ----------
    file, format
        The file as given and its format (``text``, ``parquet``, ``h5ad``).
    delimiter, layer
        Field delimiter of a text file; AnnData layer read (None = ``X``).
    genes_in, orientation_given, orientation_evidence
        Axis holding the genes (``rows`` or ``columns``), whether the user said so, and the
        resolution rates behind the decision.
    id_column, fallback_id_columns, n_resolved_by_fallback
        Identifier column used for the genes, the other candidate columns tried for rows it
        left unresolved, and how many rows those resolved.
    annotation_columns
        Columns read as annotation rather than data.
    n_samples, n_input_ids, n_resolved, n_genes
        Samples in the matrix returned; gene identifiers in the file; identifiers resolved
        to a current symbol; genes (columns) in the matrix after collapsing duplicates.
    renamed
        Every identifier that was not an exact current symbol: the symbol it resolved to and
        the rule that resolved it (previous, alias, ensembl, entrez, or symbol when only the
        case differed); rows resolved through a fallback identifier column also name that
        ``column``.
    resolution
        Number of identifiers per resolution status (symbol, alias, previous, ensembl, entrez,
        unresolved, ambiguous).
    unresolved, ambiguous
        Unresolved identifiers; ambiguous identifiers mapped to their candidate symbols.
    collapsed
        Per current symbol shared by several rows: ``kept`` identifier, ``dropped``
        identifiers and the ``rule`` that chose.
    dropped_nonfinite
        Gene identifiers dropped because they held NaN or infinite values
        (``on_missing="drop"``).
    unit, unit_given, unit_evidence
        The unit and whether it was declared (then checked) or detected, with the evidence.
    log_offset, log_offset_given
        Pseudo-count of log2 data (None for linear units) and whether it was given.
    warnings
        Everything the user should look at.
    """

    file: str
    format: str
    delimiter: str | None = None
    layer: str | None = None
    genes_in: str = "rows"
    orientation_given: bool = False
    orientation_evidence: str = ""
    id_column: str = ""
    fallback_id_columns: list[str] = field(default_factory=list)
    n_resolved_by_fallback: int = 0
    annotation_columns: list[str] = field(default_factory=list)
    n_samples: int = 0
    n_input_ids: int = 0
    n_resolved: int = 0
    n_genes: int = 0
    resolution: dict[str, int] = field(default_factory=dict)
    renamed: dict[str, dict[str, str]] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    collapsed: dict[str, dict[str, Any]] = field(default_factory=dict)
    dropped_nonfinite: list[str] = field(default_factory=list)
    unit: str = ""
    unit_given: bool = False
    unit_evidence: list[str] = field(default_factory=list)
    log_offset: float | None = None
    log_offset_given: bool = False
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-serialisable types.

        Examples
        --------
        >>> InputReport(file="x.tsv", format="text").to_dict()["format"]
        'text'
        """
        return _plain(asdict(self))


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        value = float(obj)
        return value if np.isfinite(value) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
