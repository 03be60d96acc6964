"""Loading an expression file into a grid: identifiers, numeric block, annotation columns.

The rules (which columns are annotation, which are data) are described in
:mod:`immunescape.io._expression`. Text and parquet are read by :mod:`immunescape.io._files`;
h5ad by anndata.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from immunescape._logging import console
from immunescape.errors import InputError
from immunescape.io._cells import norm_name
from immunescape.io._files import delimiter_name
from immunescape.io._tables import read_numeric_text, read_parquet_table

__all__ = ["Grid", "KNOWN_NUMERIC_ANNOTATION", "load_grid", "log1p_to_log2"]

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


@dataclass
class Grid:
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
    #: The unit the file itself names (the ``TPM`` column of a Salmon/RSEM/kallisto table).
    unit_named: str | None = None


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


def _split_columns(df: pd.DataFrame, names: list[str], source: str) -> Grid:
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
            if norm_name(name) in KNOWN_NUMERIC_ANNOTATION:
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
    return Grid(
        row_label=names[0],
        row_ids=ids,
        col_ids=[names[j] for j in data_idx],
        values=values,
        row_annot=annot,
        annotation_columns=annotation_columns,
    )


def _drop_trailing_empty(df: pd.DataFrame, names: list[str], warn: list[str]) -> pd.DataFrame:
    """Drop unnamed, all-empty last columns (a delimiter at the end of every line)."""
    n = df.shape[1]
    while n > 2 and (not names[n - 1] or names[n - 1].startswith("Unnamed: ")) and bool(
        df.iloc[:, n - 1].isna().all()
    ):
        n -= 1
    if n < df.shape[1]:
        warn.append(
            f"{df.shape[1] - n} unnamed empty column(s) at the end of the lines dropped (a "
            "delimiter ends every line)"
        )
        del names[n:]
        df = df.iloc[:, :n]
    return df


#: Single-sample quantification tables: normalised column names that mark them, and the
#: tool. The ``TPM`` column is read as the sample.
_QUANT_LAYOUTS = (
    ({"length", "effectivelength", "tpm", "numreads"}, "Salmon quant.sf"),
    ({"length", "effectivelength", "expectedcount", "tpm"}, "RSEM .results"),
    ({"length", "efflength", "estcounts", "tpm"}, "kallisto abundance.tsv"),
)
_GENERIC_STEMS = {"", "quant", "quantgenes", "abundance", "genes", "isoforms"}
#: A two-column table whose value column is headed by a unit (``gene<TAB>TPM``): one sample,
#: in that unit. Normalised header -> unit.
_UNIT_HEADERS = {"tpm": "tpm", "fpkm": "fpkm", "rpkm": "fpkm"}


def _quant_sample_name(path: Path) -> str:
    """Name the sample of a one-sample quantification file after it, else its folder."""
    stem = path.name
    for suffix in (".gz", ".sf", ".tsv", ".txt", ".csv", ".results"):
        stem = stem[: -len(suffix)] if stem.lower().endswith(suffix) else stem
    for suffix in (".genes", ".isoforms", ".quant"):
        stem = stem[: -len(suffix)] if stem.lower().endswith(suffix) else stem
    if norm_name(stem) in _GENERIC_STEMS:
        stem = path.resolve().parent.name or stem
    return stem


def _quant_layout(
    df: pd.DataFrame, names: list[str], path: Path, warn: list[str]
) -> tuple[pd.DataFrame, list[str], str | None]:
    """Keep the TPM column of a Salmon/RSEM/kallisto table, as one sample named after it.

    A table of one numeric column headed by a unit (``gene<TAB>TPM``, or ``gene_id``,
    ``gene_name``, ``TPM``) is one sample named after the file too, in that unit. Returns the
    table, its column names and the unit its header names (None if none).
    """
    normed = [norm_name(n) for n in names]
    for marks, tool in _QUANT_LAYOUTS:
        if marks <= set(normed[1:]):
            j = normed.index("tpm")
            sample = _quant_sample_name(path)
            warn.append(
                f"{tool} layout: one sample, its TPM column read as sample {sample!r} (the "
                "other columns are not samples; unit tpm, as the column is named)"
            )
            return df.iloc[:, [0, j]], [names[0], sample], "tpm"
    numeric = [j for j in range(1, len(names)) if pd.api.types.is_numeric_dtype(df.dtypes.iloc[j])]
    if len(numeric) == 1 and (unit := _UNIT_HEADERS.get(normed[numeric[0]])) is not None:
        j = numeric[0]  # the other columns hold text (gene names): annotation
        sample = _quant_sample_name(path)
        warn.append(
            f"one value column headed {names[j]!r}: read as one sample named {sample!r} after "
            f"the file, in unit {unit} as the header says (give --unit to override)"
        )
        return df, [*names[:j], sample, *names[j + 1:]], unit
    return df, names, None


def _load_text(path: Path, gz: bool, source: str) -> Grid:
    df, raw_names, delimiter, warn = read_numeric_text(path, gz=gz, source=source)
    df = _drop_trailing_empty(df, raw_names, warn)
    df, raw_names, unit_named = _quant_layout(df, raw_names, path, warn)
    if df.shape[1] < 2:
        raise InputError(
            f"only one column found with delimiter {delimiter_name(delimiter)}",
            source=source,
            fix="give identifiers in the first column and one column per sample (or gene)",
        )
    grid = _split_columns(df, raw_names, source)
    grid.delimiter = delimiter
    grid.warnings.extend(warn)
    grid.unit_named = unit_named
    return grid


def _load_parquet(path: Path, source: str) -> Grid:
    df, names = read_parquet_table(path, source=source)
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


def _load_h5ad(path: Path, layer: str | None, source: str) -> Grid:
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
                fix="name one of them with layer=, or leave layer= unset to read X",
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
    values = values.astype(np.float64, copy=False)
    notes = []
    log1p = log1p_to_log2(adata.uns, source=source) if layer is None else None
    if log1p is not None:
        factor, note = log1p
        values = values * factor
        notes.append(note)
    if layer is None and len(adata.layers):
        notes.append(
            f"X read; layers {', '.join(repr(k) for k in adata.layers.keys())} not read "
            "(to read a layer instead, give --layer NAME)"
        )
    for note in notes:
        console.warning("%s: %s", source, note)
    return Grid(
        row_label="obs_names",
        row_ids=[str(x) for x in adata.obs_names],
        col_ids=[str(x) for x in adata.var_names],
        values=values,
        row_annot=_text_columns(adata.obs),
        col_annot=_text_columns(adata.var),
        warnings=notes,
    )


def log1p_to_log2(uns: Any, *, source: str) -> tuple[float, str] | None:
    """Factor turning scanpy ``log1p`` values of ``X`` into ``log2(x + 1)``, with a note.

    ``scanpy.pp.log1p`` records its base in ``uns['log1p']['base']``: None means the natural
    logarithm, ``ln(x + 1)``; a number ``b`` means ``log_b(x + 1)``. Since
    ``log2(y) = log_b(y) * log2(b)``, the values are multiplied by ``log2(b)`` (``1 / ln 2``
    for the natural log). Returns None without ``uns['log1p']`` (or for base 2).

    Examples
    --------
    >>> factor, note = log1p_to_log2({"log1p": {"base": None}}, source="x.h5ad")
    >>> round(float(factor * np.log1p(7.0)), 12), note.split(":")[0]
    (3.0, "X holds scanpy log1p values (uns['log1p'], base e)")
    >>> factor, _ = log1p_to_log2({"log1p": {"base": 10}}, source="x.h5ad")
    >>> round(float(factor * np.log10(1024.0)), 12)
    10.0
    >>> log1p_to_log2({}, source="x.h5ad") is None
    True
    """
    info = uns.get("log1p") if hasattr(uns, "get") else None
    if info is None:
        return None
    base = info.get("base") if hasattr(info, "get") else None
    if base is None:
        factor, name, func = 1.0 / np.log(2.0), "e", "ln"
    else:
        try:
            b = float(base)
        except (TypeError, ValueError):
            b = float("nan")
        if not np.isfinite(b) or b <= 0 or b == 1:
            raise InputError(
                f"uns['log1p']['base'] is {base!r}, not a logarithm base",
                source=source,
                fix="set uns['log1p']['base'] to None (natural log) or the base used",
            )
        if b == 2:
            return None
        factor, name = float(np.log2(b)), f"{b:g}"
        func = f"log{name}"
    note = (
        f"X holds scanpy log1p values (uns['log1p'], base {name}): {func}(x + 1) "
        "converted to log2(x + 1)"
    )
    return factor, note


def load_grid(path: Path, *, fmt: str, gz: bool, layer: str | None, source: str) -> Grid:
    """Load a text, parquet or h5ad file (format and compression as detected) into a grid."""
    if fmt == "text":
        return _load_text(path, gz, source)
    if fmt == "parquet":
        return _load_parquet(path, source)
    return _load_h5ad(path, layer, source)
