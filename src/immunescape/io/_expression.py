"""Reading an expression matrix into an :class:`~immunescape.expression.Expression`.

The file is loaded by :mod:`immunescape.io._grid` (through :mod:`immunescape.io._files`),
its gene identifiers resolved by :mod:`immunescape.io._gene_ids` and its unit settled by
:mod:`immunescape.io._units`; what was decided goes to the :class:`InputReport`.

Layout
------
Text (TSV/CSV/semicolon/pipe, delimiter sniffed, optionally gzip-compressed; GCT's two
leading lines and leading ``#`` comment lines, e.g. featureCounts', are skipped), parquet and
h5ad are read. Unnamed, all-empty last columns (a delimiter ending every line) are dropped
with a warning. A one-sample Salmon (``quant.sf``/``quant.genes.sf``), RSEM (``.results``) or
kallisto (``abundance.tsv``) table is read as one sample, its ``TPM`` column, named after the
file (after its folder when the file name is the tool's default), in unit ``tpm`` as the
column says (not rescaled when a gene-level subset sums to less than 1e6) unless a unit is
given; so is a two-column table whose value column is headed ``TPM``, ``FPKM`` or ``RPKM``
(one sample named after the file, in that unit). Transcript-level tables (``ENST``/RefSeq
identifiers) are refused: transcripts must be summed per gene. GEO series matrices
(``!Series_`` lines) are refused: give the table between their begin and end markers. In
text and parquet the **first column** (or a stored index) holds the identifiers of the rows
and the header holds the identifiers of the columns; in h5ad ``obs_names`` identify the rows
(samples by the AnnData convention) and ``var_names`` the columns.

Annotation columns
------------------
Besides the first column, a column is an *annotation* column, not data, when most of its
non-empty cells are not numbers (e.g. ``Description``, ``gene_name``, ``Strand``), or when its
name is a known numeric annotation (``Length``, ``Start``, ``End``, ``Chr``, ``gene_length``,
``effective_length``, featureCounts style). A column whose cells are mostly numbers but holds a
few non-numeric cells is data with bad cells: an error names the row and column.
Annotation columns on the gene axis (text columns next to the gene ids; ``var`` columns of an
h5ad) are *candidate identifier columns*. The first column (``var_names``) is the identifier
column when at least half of its identifiers resolve (case-sensitively); otherwise the
candidate in which most resolve is (e.g. GCT ``Description`` next to probe ids). Rows the
identifier column leaves unresolved or ambiguous are tried in the other candidates, most
resolving first (e.g. a retired Ensembl id whose ``gene_name`` still resolves). The report
names the column used and how many rows a fallback column resolved; each such row is listed
under ``renamed`` with its ``column``, and a warning (also shown by the command line on
stderr) gives their number per column, because a fallback column substitutes identifiers
the user did not put in the identifier column.

A column of row numbers is never an identifier column: integers counting up from 0 (the
index ``DataFrame.to_csv`` writes by default, also with gaps after filtering; 0 is no
Entrez id) or exactly 1, 2, ..., n (at least 3 values). It is ignored with a warning; read
as Entrez ids it would give unresolved rows another gene's name. A file whose only gene
identifiers are row numbers is refused.

Orientation
-----------
``genes_in="rows"`` (genes x samples, the usual text layout) or ``"columns"`` (samples x
genes, the AnnData layout). Unless given, the axis whose identifiers resolve to genes more
often (case-sensitive matches, up to 2,000 identifiers sampled evenly per axis) holds the
genes; ties go to rows.

Gene identifiers and duplicates
-------------------------------
Identifiers go through :func:`immunescape.genes.resolve_identifiers`. Unresolved and
ambiguous identifiers are dropped from the matrix but never silently: the report lists them
(ambiguous ones with their candidate symbols). When several rows map to one current symbol,
one row is kept: an exact, case-sensitive current-symbol match beats a current symbol in
another case (``cd274``), which beats alias, previous-symbol, Ensembl and Entrez matches (so
a lower-cased matrix keeps the rows of the original); among equals the row with the highest
mean expression (in the unit of the file, over all samples) is kept, then the first one. The
report lists, per symbol, the kept identifier and the dropped ones.

Values and units
----------------
Empty cells and NaN are missing values: a sample without any value is refused (its name
given); otherwise, by default (``on_missing="drop"``), the genes holding them are dropped,
listed in the report and warned about (an error if that would drop more than half of the
genes); ``on_missing="error"`` refuses them. Infinite values are not
missing values but a transformation error (``-inf`` is log2(0)) and are always refused.
The unit and log offset are declared or detected on the whole matrix (all rows, before
unresolved identifiers are removed, so TPM sums are intact), following the rules in
:mod:`immunescape.io._units`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from immunescape._logging import console, logger
from immunescape._validate import check_choice
from immunescape._vocab import OnMissing
from immunescape.errors import InputError
from immunescape.expression import Expression, Unit
from immunescape.io._files import check_file, detect_format
from immunescape.io._gene_ids import (
    GenesIn,
    collapse,
    drop_row_numbers,
    orientation,
    refuse_transcripts,
    resolve_genes,
)
from immunescape.io._grid import load_grid
from immunescape.io._report import InputReport
from immunescape.io._units import UnitCall, check_unit, matrix_stats

__all__ = ["read_expression", "InputReport", "OnMissing", "resolve_gene_axis", "log_warnings"]

#: What to do with genes holding missing values: refuse them, or drop them and go on.
_MAX_LISTED = 5



# ---------------------------------------------------------------------------- main reader
def read_expression(
    path: str | os.PathLike[str],
    *,
    unit: Unit | None = None,
    genes_in: GenesIn | None = None,
    log_offset: float | None = None,
    sample_ids: Sequence[str] | None = None,
    layer: str | None = None,
    on_missing: OnMissing = "drop",
) -> tuple[Expression, InputReport]:
    r"""Read an expression matrix, resolve its gene identifiers and settle its unit.

    The layout, annotation-column, orientation, duplicate and unit rules are listed in the
    documentation of :mod:`immunescape.io._expression` and :mod:`immunescape.io._units`.

    Parameters
    ----------
    path
        TSV/CSV (optionally ``.gz``), parquet or h5ad file. Never modified.
    unit
        Declared unit (one of :data:`immunescape.expression.UNITS`), checked against the data;
        None detects it.
    genes_in
        ``"rows"`` if genes are rows (genes x samples), ``"columns"`` if genes are columns
        (samples x genes; h5ad ``var``); None detects it.
    log_offset
        Pseudo-count of log2 data (``log2(x + log_offset)``); None detects it from the floor.
    sample_ids
        Keep only these samples, in this order (each must be in the file).
    layer
        h5ad only: read this layer instead of ``X``.
    on_missing
        ``"drop"`` (default) drops the genes holding NaN (empty cells), lists them in
        the report and warns; ``"error"`` rejects them. Infinite values are always rejected.

    Returns
    -------
    tuple
        The :class:`~immunescape.expression.Expression` (samples x current HGNC symbols) and
        its :class:`InputReport`.

    Raises
    ------
    InputError
        Missing, unreadable or unsupported file; empty matrix; non-numeric cells; NaN or
        infinite values; duplicated or empty sample ids; no identifier resolving to a gene;
        bad options. One line naming the file, the problem and the fix.
    UnitError
        The declared unit (or offset) contradicts the data, or the data fit no unit.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "expr.tsv"
    >>> _ = f.write_text("gene\tS1\tS2\nCD274\t12\t0\nPD-L1\t3\t1\nGZMA\t40\t7\n")
    >>> expr, report = read_expression(f)
    >>> expr.unit, list(expr.genes), report.collapsed["CD274"]["dropped"]
    ('counts', ['CD274', 'GZMA'], ['PD-L1'])
    """
    source = str(path)
    if genes_in is not None:
        check_choice("genes_in", genes_in, GenesIn)
    check_choice("on_missing", on_missing, OnMissing)
    if isinstance(sample_ids, str):
        raise InputError(
            "sample_ids is a single string", source=source, fix="pass a list of sample ids"
        )
    p = check_file(path)
    fmt, gz = detect_format(p)
    if layer is not None and fmt != "h5ad":
        raise InputError(
            f"layer={layer!r} given but the file is {fmt}, not h5ad (AnnData)",
            source=source,
            fix="leave layer= unset for this file, or give the h5ad file",
        )
    grid = load_grid(p, fmt=fmt, gz=gz, layer=layer, source=source)
    report = InputReport(file=source, format=fmt, delimiter=grid.delimiter, layer=layer)
    report.warnings.extend(grid.warnings)
    report.annotation_columns = list(grid.annotation_columns)

    if grid.values.size == 0:
        raise InputError(
            f"no expression values ({grid.values.shape[0]} rows x {grid.values.shape[1]} "
            "numeric columns)",
            source=source,
            fix="give identifiers in the first column and numeric expression in the others",
        )
    with np.errstate(invalid="ignore"):
        huge = np.isfinite(grid.values) & (np.abs(grid.values) > np.finfo(np.float32).max)
    if huge.any():
        raise InputError(
            f"{int(huge.sum())} values are beyond the range of expression data (largest "
            f"{float(np.abs(grid.values[huge]).max()):.3g})",
            source=source,
            fix="check the file for corrupted or mis-scaled values",
        )
    chosen, evidence = orientation(grid, genes_in, source)
    report.genes_in, report.orientation_given = chosen, genes_in is not None
    report.orientation_evidence = evidence
    if chosen == "rows":
        gene_candidates = {grid.row_label: grid.row_ids, **grid.row_annot}
        samples = [str(s) for s in grid.col_ids]
        X = np.ascontiguousarray(grid.values.T, dtype=np.float32)
        sample_axis = "column names"
    else:
        gene_candidates = {"<column names>": list(grid.col_ids), **grid.col_annot}
        samples = [s if s is not None else "" for s in grid.row_ids]
        X = np.ascontiguousarray(grid.values, dtype=np.float32)
        sample_axis = f"first column ({grid.row_label!r})"
        if grid.row_annot:
            report.warnings.append(
                "sample annotation columns ignored: " + ", ".join(grid.row_annot)
            )
    unit_named = grid.unit_named
    del grid
    _check_samples(samples, sample_axis, source)
    gene_candidates, numbered = drop_row_numbers(gene_candidates, source)
    if numbered:
        report.warnings.append(
            "column(s) holding row numbers (0, 1, 2, ... or 1, 2, ..., n), not gene ids, "
            f"ignored: {', '.join(repr(n) for n in numbered)}"
        )
    gene_ids = [str(v) if v is not None else "" for v in next(iter(gene_candidates.values()))]

    X, gene_candidates, _ = _nonfinite(
        X, samples, gene_candidates, gene_ids, on_missing, report, source,
        "column" if chosen == "rows" else "row",
    )
    table, loud = resolve_gene_axis(gene_candidates, report, source=source)

    named = unit is None and unit_named is not None
    if named:  # the file names it (a Salmon/RSEM/kallisto TPM column): checked as declared
        unit = cast(Unit, unit_named)
    call = check_unit(matrix_stats(X), unit, log_offset=log_offset, source=source)
    if named:
        call.evidence = [e.replace("declared", "named by the file's column")
                         for e in call.evidence]
    _unit_to_report(call, report)

    keep = collapse(X, table, report)
    symbols = table["symbol"].to_numpy()[keep]
    values = pd.DataFrame(X[:, keep], index=pd.Index(samples, name="sample_id"), columns=symbols)
    del X
    if sample_ids is not None:
        values = _select_samples(values, list(sample_ids), source)
    report.n_samples, report.n_genes = values.shape
    notes = [
        f"read {source} ({fmt}); genes in {chosen}; {report.n_resolved} of "
        f"{report.n_input_ids} gene ids resolved, {report.n_genes} genes kept",
        f"unit {call.unit} ({'declared' if call.unit_given else 'detected'}): "
        + "; ".join(call.evidence[1:]),
    ]
    log_warnings(report, loud | set(call.loud))
    expression = Expression(
        values,
        unit=call.unit,
        log_offset=call.log_offset if call.log_offset is not None else 1.0,
        source=source,
        notes=notes,
    )
    return expression, report


def resolve_gene_axis(
    candidates: dict[str, list[Any]], report: InputReport, *, source: str
) -> tuple[pd.DataFrame, set[str]]:
    """Resolve the gene identifiers of one axis and record what was decided in ``report``.

    The step of :func:`read_expression` between loading and collapsing, shared with the
    chunked reader (:func:`immunescape.scale.open_chunked`) so that both keep the same genes.

    Parameters
    ----------
    candidates
        Candidate identifier columns of the gene axis, the identifier column first (row
        numbers already removed, see :func:`~immunescape.io._gene_ids.drop_row_numbers`).
    report
        Filled in: identifier column, resolution counts, renamed, unresolved and ambiguous
        identifiers, warnings.
    source
        The file, for messages.

    Returns
    -------
    tuple
        The resolution table (one row per identifier: input, symbol, status, ...; the input
        of :func:`~immunescape.io._gene_ids.collapse`) and the warnings the command line must
        show (the others go to the log).

    Raises
    ------
    InputError
        If no identifier resolves to a human gene.
    """
    gene_ids = [str(v) if v is not None else "" for v in next(iter(candidates.values()))]
    refuse_transcripts(gene_ids, source)
    genes = resolve_genes(candidates, source)
    table = genes.table
    report.id_column = genes.id_column
    report.fallback_id_columns = genes.fallbacks
    report.n_resolved_by_fallback = genes.n_by_fallback
    report.n_input_ids = len(table)
    resolved = table["symbol"].notna().to_numpy()
    report.n_resolved = int(resolved.sum())
    found = table["status"].value_counts()
    from immunescape.genes import STATUSES

    report.resolution = {s: int(found.get(s, 0)) for s in STATUSES}
    renamed = table.loc[resolved & (table["status"] != "symbol").to_numpy()
                        | resolved & (table["input"].astype(str) != table["symbol"]).to_numpy()]
    report.renamed = {str(i): {"symbol": str(sym), "rule": str(rule)} for i, sym, rule in
                      renamed[["input", "symbol", "status"]].itertuples(index=False, name=None)}
    loud = _fallback_warning(table, genes.id_column, report)
    report.unresolved = table.loc[table["status"] == "unresolved", "input"].tolist()
    amb = table[table["status"] == "ambiguous"]
    report.ambiguous = {
        str(i): [str(c) for c in cands]
        for i, cands in zip(amb["input"], amb["candidates"], strict=True)
    }
    if report.n_resolved == 0:
        shown = ", ".join(repr(g) for g in gene_ids[:_MAX_LISTED])
        raise InputError(
            f"none of the {len(gene_ids)} gene identifiers ({shown}, ...) resolves to a human gene",
            source=source,
            fix="use HGNC symbols, Ensembl gene ids or Entrez ids of human genes, in the first "
            "column (genes x samples) or the header (samples x genes)",
        )
    if report.resolution.get("unresolved"):
        report.warnings.append(
            f"gene identifiers not resolved, dropped: {report.resolution['unresolved']} of "
            f"{len(table)} (listed under 'unresolved')"
        )
    if report.resolution.get("ambiguous"):
        report.warnings.append(
            f"ambiguous gene identifiers, dropped: {report.resolution['ambiguous']} (listed "
            "under 'ambiguous' with their candidate symbols)"
        )
    return table, loud


def log_warnings(report: InputReport, loud: set[str]) -> None:
    """Log the report's warnings: ``loud`` ones on the console (stderr), the others to the log."""
    for message in report.warnings:
        (console if message in loud else logger).warning("%s: %s", report.file, message)


def _fallback_warning(table: pd.DataFrame, id_column: str, report: InputReport) -> set[str]:
    """Warn about rows resolved through a fallback column; name the column per row.

    Returns the warning (a set of zero or one message) the command line must show.
    """
    via = table.loc[table["symbol"].notna() & (table["via"] != id_column)]
    if via.empty:
        return set()
    for given, column in via[["input", "via"]].itertuples(index=False, name=None):
        if str(given) in report.renamed:
            report.renamed[str(given)]["column"] = str(column)
    counts = via["via"].value_counts()
    columns = ", ".join(f"{n} by {name!r}" for name, n in counts.items())
    message = (
        f"gene ids resolved through a fallback column: {len(via)} row(s) whose identifier in "
        f"{id_column!r} did not resolve ({columns}; listed under 'renamed' with their column)"
    )
    report.warnings.append(message)
    return {message}


def _check_samples(samples: list[str], axis: str, source: str) -> None:
    empty = [i for i, s in enumerate(samples) if not str(s).strip()]
    if empty:
        raise InputError(
            f"{len(empty)} sample ids in the {axis} are empty (position {empty[0] + 1})",
            source=source,
            fix="give every sample a name",
        )
    counts = Counter(samples)
    dups = [(s, n) for s, n in counts.items() if n > 1]
    if dups:
        shown = ", ".join(f"{s!r} x{n}" for s, n in dups[:_MAX_LISTED])
        raise InputError(
            f"duplicated sample ids in the {axis}: {shown}"
            + (f" and {len(dups) - _MAX_LISTED} more" if len(dups) > _MAX_LISTED else ""),
            source=source,
            fix="make sample ids unique (e.g. rename replicates) or remove the duplicates",
        )


def _nonfinite(
    X: np.ndarray,
    samples: list[str],
    candidates: dict[str, list[Any]],
    gene_ids: list[str],
    on_missing: OnMissing,
    report: InputReport,
    source: str,
    kind: str = "column",
) -> tuple[np.ndarray, dict[str, list[Any]], list[str]]:
    finite = np.isfinite(X)
    if finite.all():
        return X, candidates, gene_ids
    bad = ~finite
    empty = np.flatnonzero(np.isnan(X).all(axis=1)) if X.shape[1] > 1 else np.array([], int)
    if len(empty):
        shown = ", ".join(repr(samples[i]) for i in empty[:_MAX_LISTED])
        more = f" and {len(empty) - _MAX_LISTED} more" if len(empty) > _MAX_LISTED else ""
        raise InputError(
            f"{len(empty)} sample {kind}(s) hold no value at all (every cell empty): "
            f"{shown}{more}",
            source=source,
            fix=f"remove the empty {kind}(s) from the file",
        )
    n_nan = int(np.isnan(X).sum())
    n_posinf = int(np.isposinf(X).sum())
    n_neginf = int(np.isneginf(X).sum())
    bad_genes = np.flatnonzero(bad.any(axis=0))
    bad_samples = np.flatnonzero(bad.any(axis=1))
    if on_missing == "drop" and not (n_posinf or n_neginf):
        keep = np.ones(X.shape[1], dtype=bool)
        keep[bad_genes] = False
        dropped = [gene_ids[j] for j in bad_genes]
        report.dropped_nonfinite = dropped
        report.warnings.append(
            f"genes with NaN or infinite values, dropped: {len(dropped)} ({n_nan} NaN, "
            f"{n_posinf + n_neginf} infinite values; listed under 'dropped_nonfinite')"
        )
        if 2 * len(bad_genes) > X.shape[1]:
            fix = "fill the missing values; most genes would be lost by dropping them"
            raise InputError(
                f"{len(bad_genes)} of {X.shape[1]} genes hold missing values",
                source=source,
                fix=fix,
            )
        idx = np.flatnonzero(keep)
        candidates = {k: [v[j] for j in idx] for k, v in candidates.items()}
        return X[:, keep], candidates, [gene_ids[j] for j in idx]
    i, j = np.argwhere(bad)[0]
    kinds = [f"{n_nan} NaN"] if n_nan else []
    if n_posinf:
        kinds.append(f"{n_posinf} +inf")
    if n_neginf:
        kinds.append(f"{n_neginf} -inf")
    fix = "fill or remove them (e.g. drop those genes), or pass on_missing='drop'"
    if n_posinf or n_neginf:
        fix = "infinite values are not missing values: fix the transformation that made them"
    if n_neginf:
        fix = "-inf is log2(0): log-transform with a pseudo-count, e.g. log2(x + 1); " + fix
    raise InputError(
        f"{int(bad.sum())} values are missing or infinite ({', '.join(kinds)}) in "
        f"{len(bad_genes)} genes and {len(bad_samples)} samples; first at gene "
        f"{gene_ids[j]!r}, sample {samples[i]!r}",
        source=source,
        fix=fix,
    )


def _unit_to_report(call: UnitCall, report: InputReport) -> None:
    report.unit, report.unit_given = call.unit, call.unit_given
    report.unit_evidence = list(call.evidence)
    report.log_offset, report.log_offset_given = call.log_offset, call.log_offset_given
    report.warnings.extend(call.warnings)


def _select_samples(values: pd.DataFrame, wanted: list[str], source: str) -> pd.DataFrame:
    wanted = [str(s) for s in wanted]
    dups = [s for s, n in Counter(wanted).items() if n > 1]
    if dups:
        raise InputError(
            f"sample_ids lists {dups[0]!r} more than once",
            source=source,
            fix="give each sample id once",
        )
    missing = [s for s in wanted if s not in values.index]
    if missing:
        shown = ", ".join(repr(s) for s in missing[:_MAX_LISTED])
        raise InputError(
            f"{len(missing)} requested sample ids are not in the file ({shown})",
            source=source,
            fix="request sample ids present in the file (check their spelling and case)",
        )
    if not wanted:
        raise InputError(
            "sample_ids is empty", source=source, fix="request at least one sample, or None"
        )
    return values.loc[wanted]
