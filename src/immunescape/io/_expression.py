"""Reading an expression matrix into an :class:`~immunescape.expression.Expression`.

Layout
------
Text (TSV/CSV/semicolon/pipe, delimiter sniffed, optionally gzip-compressed; GCT's two
leading lines are skipped), parquet and h5ad are read. In text and parquet the **first column**
(or a stored index) holds the identifiers of the rows and the header holds the identifiers of
the columns; in h5ad ``obs_names`` identify the rows (samples by the AnnData convention) and
``var_names`` the columns.

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
names the column used and how many rows a fallback column resolved.

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
one row is kept: an exact, case-sensitive current-symbol match beats alias, previous-symbol,
case-insensitive, Ensembl and Entrez matches; among equals the row with the highest mean
expression (in the unit of the file, over all samples) is kept, then the first one. The
report lists, per symbol, the kept identifier and the dropped ones.

Values and units
----------------
Empty cells and NaN are missing values: by default (``on_missing="drop_genes"``) the genes
holding them are dropped, listed in the report and warned about (an error if that would drop
more than half of the genes); ``on_missing="error"`` refuses them. Infinite values are not
missing values but a transformation error (``-inf`` is log2(0)) and are always refused. The unit and log
offset are declared or detected on the whole matrix (all rows, before unresolved identifiers
are removed, so TPM sums are intact), following the rules in :mod:`immunescape.io._units`.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from immunescape._logging import logger
from immunescape.errors import InputError
from immunescape.expression import Expression
from immunescape.io._files import (
    check_file,
    detect_format,
    read_head,
    sniff_delimiter,
    text_codec,
)
from immunescape.io._units import UnitCall, check_unit, matrix_stats

__all__ = ["read_expression", "InputReport"]

GenesIn = Literal["rows", "columns"]
OnMissing = Literal["error", "drop_genes"]

#: Numeric columns read as annotation, not samples (normalised names: lower case, letters
#: and digits only).
KNOWN_NUMERIC_ANNOTATION = frozenset(
    {
        "chr",
        "chrom",
        "chromosome",
        "start",
        "end",
        "length",
        "genelength",
        "effectivelength",
        "txlength",
        "transcriptlength",
        "entrez",
        "entrezid",
        "entrezgeneid",
        "geneid",
    }
)
_DETECT_SAMPLE = 2000
_MAX_LISTED = 5


# ---------------------------------------------------------------------------------- report
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
        case differed).
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
        (``on_missing="drop_genes"``).
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


# ---------------------------------------------------------------------------------- grid
@dataclass
class _Grid:
    """A table as read: row ids, column ids, numeric block and annotation."""

    row_label: str
    row_ids: list[str | None]
    col_ids: list[str]
    values: np.ndarray  # rows x columns, float
    row_annot: dict[str, list[Any]] = field(default_factory=dict)  # text columns per row
    col_annot: dict[str, list[Any]] = field(default_factory=dict)  # text columns per column
    annotation_columns: list[str] = field(default_factory=list)
    delimiter: str | None = None
    warnings: list[str] = field(default_factory=list)


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _id_text(values: pd.Series) -> list[str | None]:
    """Turn an identifier column into strings (integers without '.0'; missing -> None)."""
    out: list[str | None] = []
    for value in values.tolist():
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            out.append(None)
        elif isinstance(value, float) and value.is_integer():
            out.append(str(int(value)))
        else:
            text = str(value).strip()
            out.append(text if text else None)
    return out


def _split_columns(df: pd.DataFrame, names: list[str], source: str) -> _Grid:
    """Classify the columns after the first as data or annotation and build a grid."""
    ids = _id_text(df.iloc[:, 0])
    data_idx: list[int] = []
    annot: dict[str, list[Any]] = {}
    annotation_columns: list[str] = []
    bad: list[tuple[int, int, Any, int]] = []  # (column position, row, value, n bad)
    dtypes = df.dtypes.tolist()
    for j in range(1, df.shape[1]):
        name = names[j]
        dtype = dtypes[j]
        if pd.api.types.is_bool_dtype(dtype):
            annotation_columns.append(name)
            continue
        if pd.api.types.is_numeric_dtype(dtype):
            if _norm(name) in KNOWN_NUMERIC_ANNOTATION:
                annotation_columns.append(name)
            else:
                data_idx.append(j)
            continue
        col = df.iloc[:, j]
        parsed = pd.to_numeric(col, errors="coerce")
        present = col.notna().to_numpy()
        if not present.any():  # no rows, or only missing values: data (NaN checked later)
            data_idx.append(j)
            continue
        not_number = present & parsed.isna().to_numpy()
        if not_number.sum() > 0.5 * present.sum():
            annotation_columns.append(name)
            annot[name] = col.tolist()
            continue
        first = int(np.flatnonzero(not_number)[0])
        bad.append((j, first, col.iloc[first], int(not_number.sum())))
        data_idx.append(j)
    if bad:
        j, i, value, _ = bad[0]
        total = sum(b[3] for b in bad)
        raise InputError(
            f"non-numeric value {value!r} in row {ids[i]!r} (data row {i + 1}), column "
            f"{names[j]!r}: {total} non-numeric cells in {len(bad)} data columns",
            source=source,
            fix="make every expression cell a number (missing values as NA), or move "
            "annotation to columns that hold no numbers",
        )
    if data_idx:
        values = df.iloc[:, data_idx].to_numpy(dtype=np.float64)
    else:
        values = np.empty((len(df), 0))
    return _Grid(
        row_label=names[0],
        row_ids=ids,
        col_ids=[names[j] for j in data_idx],
        values=values,
        row_annot=annot,
        annotation_columns=annotation_columns,
    )


def _load_text(path: Path, gz: bool, source: str) -> _Grid:
    head = read_head(path, gz=gz)
    skip = 2 if head.startswith("#1.2") else 0  # GCT: version line and dimensions line
    body = head.split("\n", skip)[-1] if skip else head
    delimiter = sniff_delimiter(body, source=source)
    options: dict[str, Any] = {
        "sep": delimiter,
        "skiprows": skip,
        "compression": "gzip" if gz else None,
        "skip_blank_lines": True,
    }
    warn: list[str] = []

    def _read(encoding: str, **extra: Any) -> pd.DataFrame:
        return pd.read_csv(path, encoding=encoding, **options, **extra)

    codec = text_codec(path, gz=gz) or "utf-8-sig"
    try:
        try:
            header = _read(codec, header=None, nrows=1, dtype=str, keep_default_na=False)
            df = _read(codec, low_memory=False)
        except UnicodeDecodeError:
            header = _read("latin-1", header=None, nrows=1, dtype=str, keep_default_na=False)
            df = _read("latin-1", low_memory=False)
            warn.append(f"{path.name}: not valid UTF-8; decoded as Latin-1")
    except pd.errors.EmptyDataError:
        raise InputError(
            "no table in the file", source=source, fix="give a table with a header line"
        ) from None
    except pd.errors.ParserError as exc:
        detail = " ".join(str(exc).split())
        raise InputError(
            f"cannot be parsed as a {_delimiter_name(delimiter)}-separated table ({detail})",
            source=source,
            fix="make every line have as many fields as the header (quote fields that contain "
            "the delimiter)",
        ) from None
    except (OSError, EOFError) as exc:
        raise InputError(
            f"cannot be read ({exc})",
            source=source,
            fix="check the file is complete (gzip -t FILE for .gz files)",
        ) from None
    raw_names = ["" if pd.isna(v) else str(v).strip() for v in header.iloc[0].tolist()]
    if not isinstance(df.index, pd.RangeIndex):  # header one field short: R row names
        df = df.reset_index()
        raw_names = [""] + raw_names
    if len(raw_names) != df.shape[1]:
        raw_names = [str(c) for c in df.columns]
    if df.shape[1] < 2:
        raise InputError(
            f"only one column found with delimiter {_delimiter_name(delimiter)}",
            source=source,
            fix="give identifiers in the first column and one column per sample (or gene)",
        )
    grid = _split_columns(df, raw_names, source)
    grid.delimiter = delimiter
    grid.warnings.extend(warn)
    return grid


def _delimiter_name(delimiter: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(delimiter, delimiter)


def _load_parquet(path: Path, source: str) -> _Grid:
    try:
        import pyarrow.parquet as pq

        names = [str(n) for n in pq.read_schema(path).names]
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise InputError(
            f"cannot be read as parquet ({type(exc).__name__}: {exc})",
            source=source,
            fix="re-export the table with pandas.DataFrame.to_parquet",
        ) from None
    if not isinstance(df.index, pd.RangeIndex):
        n_index = df.index.nlevels
        df = df.reset_index()
        # stored index columns come first in the schema's pandas metadata order
        index_names = [str(c) for c in df.columns[:n_index]]
        rest = [n for n in names if n not in index_names]
        names = index_names + rest
    if len(names) != df.shape[1]:
        names = [str(c) for c in df.columns]
    if df.shape[1] < 2:
        raise InputError(
            "the table has fewer than two columns",
            source=source,
            fix="give identifiers in the first column (or index) and one column per sample",
        )
    return _split_columns(df, names, source)


def _text_columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        if pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
            out[str(name)] = col.tolist()
    return out


def _load_h5ad(path: Path, layer: str | None, source: str) -> _Grid:
    try:
        import anndata

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            adata = anndata.read_h5ad(path)
    except Exception as exc:  # h5py/anndata raise many types for broken files
        raise InputError(
            f"cannot be read as h5ad ({type(exc).__name__}: {exc})",
            source=source,
            fix="write the file with anndata.AnnData.write_h5ad",
        ) from None
    if layer is None:
        matrix = adata.X
        where = "X"
    else:
        if layer not in adata.layers:
            raise InputError(
                f"no layer {layer!r} (layers: {', '.join(adata.layers.keys()) or 'none'})",
                source=source,
                fix="name an existing layer, or leave layer unset to read X",
            )
        matrix = adata.layers[layer]
        where = f"layer {layer!r}"
    if matrix is None:
        raise InputError(
            f"{where} is empty", source=source, fix="store the expression matrix in X or a layer"
        )
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    values = np.asarray(matrix)
    if not np.issubdtype(values.dtype, np.number) or np.issubdtype(values.dtype, np.bool_):
        raise InputError(
            f"{where} holds {values.dtype} values, not numbers",
            source=source,
            fix="store numeric expression values",
        )
    return _Grid(
        row_label="obs_names",
        row_ids=[str(x) for x in adata.obs_names],
        col_ids=[str(x) for x in adata.var_names],
        values=values.astype(np.float64, copy=False),
        row_annot=_text_columns(adata.obs),
        col_annot=_text_columns(adata.var),
    )


# ---------------------------------------------------------------------------- resolution
def _resolve(ids: Sequence[Any]) -> pd.DataFrame:
    """Resolve identifiers with the gene resolver; a table with input/symbol/status/..."""
    from immunescape.genes import resolve_identifiers

    # missing identifiers become "" (the resolver reads it as missing: unresolved)
    clean = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in ids]
    table = resolve_identifiers(clean).table
    if "case_insensitive" not in table.columns:
        table = table.assign(case_insensitive=False)
    return table.reset_index(drop=True)


def _strict_hits(table: pd.DataFrame) -> int:
    ok = table["symbol"].notna() & ~table["case_insensitive"].astype(bool)
    return int(ok.sum())


def _sampled(ids: list[Any]) -> list[Any]:
    if len(ids) <= _DETECT_SAMPLE:
        return ids
    picks = np.linspace(0, len(ids) - 1, _DETECT_SAMPLE).round().astype(int)
    return [ids[i] for i in picks]


def _axis_rate(candidates: dict[str, list[Any]]) -> tuple[float, str, int, int]:
    """Best strict resolution rate over the candidate columns of one axis."""
    best = (0.0, next(iter(candidates)), 0, 0)
    for name, ids in candidates.items():
        sample = _sampled(ids)
        if not sample:
            continue
        hits = _strict_hits(_resolve(sample))
        rate = hits / len(sample)
        if rate > best[0]:
            best = (rate, name, hits, len(sample))
        elif best[3] == 0:
            best = (rate, name, hits, len(sample))
    return best


def _orientation(grid: _Grid, genes_in: GenesIn | None, source: str) -> tuple[GenesIn, str]:
    rows = {grid.row_label: grid.row_ids, **grid.row_annot}
    cols = {"<column names>": grid.col_ids, **grid.col_annot}
    r_rate, r_name, r_hits, r_n = _axis_rate(rows)
    c_rate, c_name, c_hits, c_n = _axis_rate(cols)
    evidence = (
        f"row identifiers ({r_name!r}): {r_hits} of {r_n} checked are genes ({r_rate:.1%}); "
        f"column identifiers ({c_name}): {c_hits} of {c_n} ({c_rate:.1%})"
    )
    if genes_in is not None:
        return genes_in, f"given as genes_in={genes_in!r}; {evidence}"
    if r_rate == 0 and c_rate == 0:
        return "rows", evidence  # the no-gene error is raised after resolution, with details
    chosen: GenesIn = "rows" if r_rate >= c_rate else "columns"
    return chosen, f"detected: {evidence}; genes in {chosen}"


@dataclass
class _Genes:
    table: pd.DataFrame  # per gene: input, symbol, status, candidates, case_insensitive, via
    id_column: str
    fallbacks: list[str]
    n_by_fallback: int


def _resolve_genes(candidates: dict[str, list[Any]], source: str) -> _Genes:
    tables = {name: _resolve(ids) for name, ids in candidates.items()}
    names = list(candidates)
    order = sorted(tables, key=lambda n: (-_strict_hits(tables[n]), names.index(n)))
    first = names[0]
    if _strict_hits(tables[first]) >= 0.5 * len(tables[first]):
        order = [first] + [n for n in order if n != first]
    primary = order[0]
    columns = ("symbol", "status", "candidates", "case_insensitive")
    arrays = {c: tables[primary][c].to_numpy(dtype=object).copy() for c in columns}
    via = np.full(len(arrays["symbol"]), primary, dtype=object)
    fallbacks = [n for n in order[1:] if tables[n]["symbol"].notna().any()]
    n_fallback = 0
    for name in fallbacks:
        other = {c: tables[name][c].to_numpy(dtype=object) for c in columns}
        todo = pd.isna(arrays["symbol"]) & ~pd.isna(other["symbol"])
        if not todo.any():
            continue
        for c in columns:
            arrays[c][todo] = other[c][todo]
        via[todo] = name
        n_fallback += int(todo.sum())
    table = pd.DataFrame(
        {
            # the identifier shown is the one in the primary identifier column
            "input": [str(v) if v is not None else "" for v in candidates[primary]],
            "symbol": arrays["symbol"],
            "status": arrays["status"],
            "candidates": arrays["candidates"],
            "case_insensitive": arrays["case_insensitive"].astype(bool),
            "via": via,
        }
    )
    table.loc[table["symbol"].isna(), "symbol"] = None
    return _Genes(table, primary, list(fallbacks), n_fallback)


# ---------------------------------------------------------------------------- main reader
def read_expression(
    path: str | os.PathLike[str],
    *,
    unit: str | None = None,
    genes_in: GenesIn | None = None,
    log_offset: float | None = None,
    sample_ids: Sequence[str] | None = None,
    layer: str | None = None,
    on_missing: OnMissing = "drop_genes",
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
        ``"drop_genes"`` (default) drops the genes holding NaN (empty cells), lists them in
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
    if genes_in not in (None, "rows", "columns"):
        raise InputError(
            f"genes_in must be 'rows', 'columns' or None, not {genes_in!r}",
            source=source,
            fix="say where the genes are, or leave genes_in unset to detect it",
        )
    if on_missing not in ("error", "drop_genes"):
        raise InputError(
            f"on_missing must be 'error' or 'drop_genes', not {on_missing!r}",
            source=source,
            fix="use on_missing='error' or 'drop_genes'",
        )
    if isinstance(sample_ids, str):
        raise InputError(
            "sample_ids is a single string", source=source, fix="pass a list of sample ids"
        )
    p = check_file(path)
    fmt, gz = detect_format(p)
    if layer is not None and fmt != "h5ad":
        raise InputError(
            f"layer={layer!r} given but the file is {fmt}, not h5ad",
            source=source,
            fix="drop the layer option",
        )
    if fmt == "text":
        grid = _load_text(p, gz, source)
    elif fmt == "parquet":
        grid = _load_parquet(p, source)
    else:
        grid = _load_h5ad(p, layer, source)
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
    chosen, evidence = _orientation(grid, genes_in, source)
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
    del grid
    _check_samples(samples, sample_axis, source)
    gene_ids = [str(v) if v is not None else "" for v in next(iter(gene_candidates.values()))]

    X, gene_candidates, gene_ids = _nonfinite(
        X, samples, gene_candidates, gene_ids, on_missing, report, source
    )
    genes = _resolve_genes(gene_candidates, source)
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

    call = check_unit(matrix_stats(X), unit, log_offset=log_offset, source=source)
    _unit_to_report(call, report)

    keep = _collapse(X, table, report)
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
    for message in report.warnings:
        logger.warning("%s", message)
    expression = Expression(
        values,
        unit=call.unit,  # type: ignore[arg-type]
        log_offset=call.log_offset if call.log_offset is not None else 1.0,
        source=source,
        notes=notes,
    )
    return expression, report


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
) -> tuple[np.ndarray, dict[str, list[Any]], list[str]]:
    finite = np.isfinite(X)
    if finite.all():
        return X, candidates, gene_ids
    bad = ~finite
    n_nan = int(np.isnan(X).sum())
    n_posinf = int(np.isposinf(X).sum())
    n_neginf = int(np.isneginf(X).sum())
    bad_genes = np.flatnonzero(bad.any(axis=0))
    bad_samples = np.flatnonzero(bad.any(axis=1))
    if on_missing == "drop_genes" and not (n_posinf or n_neginf):
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
    fix = "fill or remove them (e.g. drop those genes), or pass on_missing='drop_genes'"
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


def _collapse(X: np.ndarray, table: pd.DataFrame, report: InputReport) -> np.ndarray:
    """Return the column positions kept, one per current symbol (rule in the module docs)."""
    resolved = np.flatnonzero(table["symbol"].notna().to_numpy())
    symbols = table["symbol"].to_numpy()[resolved].astype(str)
    exact = (table["status"].to_numpy()[resolved] == "symbol") & ~table[
        "case_insensitive"
    ].to_numpy(dtype=bool)[resolved]
    rank = np.where(exact, 0, 1)
    dup_mask = pd.Series(symbols).duplicated(keep=False).to_numpy()
    means = np.zeros(len(resolved))
    if dup_mask.any():
        cols = resolved[dup_mask]
        means[dup_mask] = X[:, cols].mean(axis=0, dtype=np.float64)
    codes, _ = pd.factorize(symbols)
    order = np.lexsort((resolved, -means, rank, codes))
    first = np.ones(len(order), dtype=bool)
    first[1:] = codes[order][1:] != codes[order][:-1]
    kept = resolved[order[first]]
    inputs = table["input"].to_numpy()
    if dup_mask.any():
        groups: dict[str, list[int]] = {}
        for k in order:  # sorted: kept first within each symbol
            if dup_mask[k]:
                groups.setdefault(symbols[k], []).append(k)
        for symbol, members in groups.items():
            kept_rank = rank[members[0]]
            dropped_ranks = {int(rank[m]) for m in members[1:]}
            if dropped_ranks == {kept_rank}:
                rule = "highest mean expression"
            elif kept_rank not in dropped_ranks:
                rule = "exact symbol match"
            else:
                rule = "exact symbol match, then highest mean expression"
            report.collapsed[symbol] = {
                "kept": str(inputs[resolved[members[0]]]),
                "dropped": [str(inputs[resolved[m]]) for m in members[1:]],
                "rule": rule,
            }
        n_dropped = sum(len(v["dropped"]) for v in report.collapsed.values())
        report.warnings.append(
            f"rows mapping to a gene already present, dropped: {n_dropped} (for "
            f"{len(report.collapsed)} genes; listed under 'collapsed')"
        )
    return np.sort(kept)


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
