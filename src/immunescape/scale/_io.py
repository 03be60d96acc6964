"""Chunked expression inputs: Zarr and backed h5ad (AnnData layouts) and partitioned parquet.

A :class:`ChunkedExpression` is a samples x genes :class:`dask.array.Array` (float32, chunked
by rows only, so that every block holds whole samples) with its sample ids, gene symbols and
unit. Nothing but the ids, the first block (to check or detect the unit) and the columns of
genes sharing a symbol (to keep one, by mean expression) is read here.

Gene identifiers are resolved and duplicates collapsed by the steps of
:func:`~immunescape.io.read_expression` (:func:`~immunescape.io._expression.resolve_gene_axis`
and :func:`~immunescape.io._gene_ids.collapse`, AnnData ``var`` text columns as fallback
identifier columns), so a chunked input keeps the genes the in-memory reader keeps and
its :class:`~immunescape.io.InputReport` says the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from immunescape._logging import console
from immunescape.errors import InputError
from immunescape.io._report import InputReport

if TYPE_CHECKING:  # pragma: no cover
    import dask.array as da

    from immunescape.expression import Unit
    from immunescape.io._units import UnitCall

__all__ = ["ChunkedExpression", "open_chunked", "is_chunked_path", "require_dask"]

#: Target bytes of one float32 row block (all genes of ``rows`` samples).
BLOCK_BYTES = 64 * 2**20
#: Rows read to detect the unit when none is given.
DETECT_ROWS = 2000


def require_dask() -> None:
    """Raise a one-line :class:`InputError` when the optional Dask stack is missing."""
    try:
        import dask.array  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise InputError(
            f"chunked inputs need dask[array,distributed] ({exc.name} is not installed)",
            fix="reinstall immunescape (pip install -c requirements.lock -e .): dask, "
            "distributed and zarr are among its dependencies",
        ) from None


@dataclass(eq=False)
class ChunkedExpression:
    """A samples x genes matrix too large for memory, as a row-chunked dask array.

    Parameters
    ----------
    data
        Samples x genes :class:`dask.array.Array`, float32; one chunk spans all genes.
    samples
        Sample ids (rows).
    genes
        Current HGNC symbols (columns), unique.
    unit, log_offset
        As :class:`~immunescape.expression.Expression`.
    source
        The file or directory read.
    notes
        Notes for run.json (e.g. how the unit was decided).
    report
        What was read, resolved, dropped and decided (``input_report.json``), as
        :func:`~immunescape.io.read_expression` reports it.
    """

    data: da.Array
    samples: pd.Index
    genes: pd.Index
    unit: Unit
    log_offset: float = 1.0
    source: str = "<memory>"
    notes: list[str] = field(default_factory=list)
    report: InputReport | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(n_samples, n_genes)."""
        return (len(self.samples), len(self.genes))

    @property
    def row_blocks(self) -> list[tuple[int, int]]:
        """(start, stop) row range of every chunk."""
        stops = np.cumsum(self.data.chunks[0]).tolist()
        return list(zip([0, *stops[:-1]], stops, strict=True))

    @classmethod
    def from_array(
        cls,
        data: Any,
        samples: Any,
        genes: Any,
        *,
        unit: Unit | None = None,
        log_offset: float | None = None,
        block_rows: int | None = None,
        source: str = "<memory>",
        gene_columns: dict[str, list[Any]] | None = None,
        sample_axis: str = "sample ids",
        fmt: str = "array",
    ) -> ChunkedExpression:
        """Wrap an array-like (numpy, dask, zarr, h5py) as a chunked matrix.

        The unit is checked (or detected, from the first :data:`DETECT_ROWS` samples) with
        the rules of :func:`~immunescape.io.read_expression`; gene identifiers (symbols,
        aliases, previous symbols, Ensembl or Entrez ids) are resolved and genes sharing a
        symbol collapsed as it does.

        Parameters
        ----------
        gene_columns
            Other identifier columns of the genes (AnnData ``var`` text columns), tried for
            identifiers ``genes`` leaves unresolved.
        sample_axis
            Where the sample ids come from, for messages.
        fmt
            Format of the source, for the report.
        """
        require_dask()
        import dask.array as da

        from immunescape.io._expression import _check_samples

        samples = pd.Index([str(s) for s in samples], name="sample_id")
        gene_ids = [str(g) for g in genes]
        n, g = len(samples), len(gene_ids)
        if tuple(data.shape) != (n, g):
            raise InputError(
                f"the matrix is {data.shape[0]} x {data.shape[1]} but there are {n} sample ids "
                f"and {g} genes",
                source=source,
                fix="store samples in rows and genes in columns (the AnnData convention)",
            )
        _check_samples(list(samples), sample_axis, source)
        rows = block_rows or max(1, min(n, BLOCK_BYTES // max(4 * g, 1)))
        if not isinstance(data, da.Array):
            data = da.from_array(data, chunks=(rows, g), asarray=True)
        elif block_rows is not None or len(data.chunks[1]) > 1:
            data = data.rechunk((rows if block_rows else data.chunks[0], g))
        if data.dtype != np.float32:
            data = data.astype(np.float32)
        head = np.asarray(data[: min(n, DETECT_ROWS)].compute(), dtype=np.float64)
        report = InputReport(file=source, format=fmt, genes_in="columns",
                             orientation_evidence="chunked inputs hold samples in rows and "
                             "genes in columns (the AnnData layout)")
        candidates = {"<column names>": gene_ids, **(gene_columns or {})}
        data, symbols, call, loud = _settle_genes(data, head, candidates, report, unit,
                                                  log_offset, source, n)
        report.n_samples, report.n_genes = n, len(symbols)
        from immunescape.io._expression import log_warnings

        log_warnings(report, loud)
        notes = list(call.evidence) + list(call.warnings)
        if unit is None and head.shape[0] < n:
            notes.append(f"unit detected on the first {head.shape[0]} of {n} samples")
        notes.insert(0, f"{report.n_resolved} of {report.n_input_ids} gene ids resolved, "
                     f"{report.n_genes} genes kept")
        offset = call.log_offset if call.log_offset is not None else 1.0
        return cls(data, samples, pd.Index(symbols), cast("Unit", call.unit), float(offset),
                   source, notes, report)


def _settle_genes(
    data: da.Array, head: np.ndarray, candidates: dict[str, list[Any]], report: InputReport,
    unit: Unit | None, log_offset: float | None, source: str, n: int,
) -> tuple[da.Array, list[str], UnitCall, set[str]]:
    """Run the gene and unit steps of :func:`~immunescape.io.read_expression` on a dask array."""
    from immunescape.io._expression import _unit_to_report, resolve_gene_axis
    from immunescape.io._gene_ids import collapse, drop_row_numbers

    candidates, numbered = drop_row_numbers(candidates, source)
    if numbered:
        report.warnings.append(
            "column(s) holding row numbers (0, 1, 2, ... or 1, 2, ..., n), not gene ids, "
            f"ignored: {', '.join(repr(n) for n in numbered)}"
        )
    table, loud = resolve_gene_axis(candidates, report, source=source)
    call = _decide_unit(head, unit, log_offset, source)
    _unit_to_report(call, report)
    keep = collapse(data, table, report)  # reads only the columns of duplicated symbols
    symbols = [str(s) for s in table["symbol"].to_numpy()[keep]]
    if len(keep) < data.shape[1]:
        import dask.array as da

        data = da.map_blocks(_take_columns, data, keep, dtype=data.dtype,
                             chunks=(data.chunks[0], (len(keep),)))
    return data, symbols, call, loud | set(call.loud)


def _take_columns(block: np.ndarray, keep: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(block[:, keep])


def _decide_unit(
    head: np.ndarray, unit: Unit | None, log_offset: float | None, source: str
) -> UnitCall:
    from immunescape.io._units import check_unit, matrix_stats

    if not np.isfinite(head).all():
        raise InputError(
            "the matrix has missing or infinite values", source=source,
            fix="impute or drop them before scoring",
        )
    return check_unit(matrix_stats(head), unit, log_offset=log_offset, source=source)


def is_chunked_path(path: str | Path) -> bool:
    """Tell whether the Dask path reads ``path`` (a Zarr store or a parquet directory)."""
    p = Path(path)
    if p.suffix.lower() == ".zarr":
        return True
    if p.is_dir():
        return any(p.glob("*.parquet")) or any(
            (p / name).exists() for name in (".zgroup", "zarr.json")
        )
    return False


def open_chunked(
    path: str | Path,
    *,
    unit: Unit | None = None,
    log_offset: float | None = None,
    block_rows: int | None = None,
    layer: str | None = None,
) -> ChunkedExpression:
    """Open a chunked expression matrix without reading it.

    Parameters
    ----------
    path
        One of

        - a Zarr store written by :meth:`anndata.AnnData.write_zarr` (samples in ``obs``,
          genes in ``var``, dense ``X`` or ``layers/<layer>``);
        - an ``.h5ad`` file (opened backed, read block by block; dense ``X`` or layer);
        - a directory of parquet files (a partitioned table): rows are samples, the first
          column holds the sample ids, the other columns are genes (the same in every
          file); files are read in name order.
    unit, log_offset
        As :func:`~immunescape.io.read_expression` (detected from the first samples when
        not given).
    block_rows
        Samples per block (default: about 64 MB of float32 per block).
    layer
        AnnData layer instead of ``X`` (Zarr or h5ad; a name the file lacks is refused,
        naming the layers it has).

    Returns
    -------
    ChunkedExpression
    """
    require_dask()
    p = Path(path)
    source = str(p)
    if not p.exists():
        raise InputError("file not found", source=source, fix="check the path")
    if p.is_dir() and any(p.glob("*.parquet")):
        if layer is not None:
            raise InputError(
                f"layer={layer!r} given but a parquet directory has no layers", source=source,
                fix="leave layer= unset, or give an AnnData .zarr store or .h5ad file")
        data, samples, genes, extra = _open_parquet_dir(p, source)
    elif p.suffix.lower() == ".zarr" or (p / ".zgroup").exists() or (p / "zarr.json").exists():
        data, samples, genes, extra = _open_zarr(p, layer, source)
    elif p.suffix.lower() == ".h5ad":
        data, samples, genes, extra = _open_h5ad(p, layer, source)
    else:
        raise InputError(
            "is not a chunked expression input",
            source=source,
            fix="give a .zarr store, an .h5ad file or a directory of .parquet files",
        )
    return ChunkedExpression.from_array(
        data, samples, genes, unit=unit, log_offset=log_offset, block_rows=block_rows,
        source=source, **extra,
    )


def _anndata_frame(group: Any, source: str) -> pd.DataFrame:
    from anndata.io import read_elem

    try:
        return read_elem(group)
    except Exception as exc:  # anndata raises many types for foreign layouts
        raise InputError(
            f"cannot read the AnnData {group.name} table ({type(exc).__name__}: {exc})",
            source=source,
            fix="write the matrix with anndata (write_zarr / write_h5ad)",
        ) from None


def _matrix_node(root: Any, layer: str | None, source: str) -> Any:
    key = "X" if layer is None else f"layers/{layer}"
    try:
        node = root[key]
    except KeyError:
        if layer is not None:
            have = sorted(root["layers"].keys()) if "layers" in root else []
            raise InputError(
                f"no layer {layer!r} (layers: {', '.join(have) or 'none'})",
                source=source,
                fix="name one of them with layer=, or leave layer= unset to read X",
            ) from None
        raise InputError(
            "no X array",
            source=source,
            fix="store the samples x genes matrix in X (or name an existing layer)",
        ) from None
    if not hasattr(node, "shape") or len(node.shape) != 2:
        raise InputError(
            f"{key} is not a dense 2-D array (sparse matrices are not read in chunks)",
            source=source,
            fix="store X densely (e.g. adata.X = adata.X.toarray()) before writing",
        )
    return node


def _open_zarr(path: Path, layer: str | None, source: str):
    import dask.array as da
    import zarr

    try:
        root = zarr.open_group(str(path), mode="r")
    except Exception as exc:  # zarr raises many types for non-stores
        raise InputError(
            f"cannot be opened as a Zarr store ({type(exc).__name__})",
            source=source,
            fix="write it with anndata.AnnData.write_zarr",
        ) from None
    _matrix_node(root, layer, source)
    obs = _anndata_frame(root["obs"], source) if "obs" in root else None
    var = _anndata_frame(root["var"], source) if "var" in root else None
    if obs is None or var is None:
        raise InputError(
            "has no obs/var tables (sample and gene ids)",
            source=source,
            fix="write it with anndata.AnnData.write_zarr",
        )
    data = da.from_zarr(str(path), component="X" if layer is None else f"layers/{layer}")
    return data, obs.index, var.index, _anndata_extra(var, "zarr")


def _open_h5ad(path: Path, layer: str | None, source: str):
    import h5py

    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise InputError(
            f"cannot be opened as h5ad ({exc})", source=source,
            fix="write the file with anndata.AnnData.write_h5ad",
        ) from None
    node = _matrix_node(handle, layer, source)
    if not isinstance(node, h5py.Dataset):
        raise InputError(
            "X is a sparse matrix; backed chunked reading needs a dense X",
            source=source,
            fix="store X densely (adata.X = adata.X.toarray()) or convert to Zarr",
        )
    obs, var = _anndata_frame(handle["obs"], source), _anndata_frame(handle["var"], source)
    if layer is None and "uns" in handle and "log1p" in handle["uns"]:
        import dask.array as da
        from anndata.io import read_elem

        from immunescape.io._grid import log1p_to_log2

        log1p = log1p_to_log2({"log1p": read_elem(handle["uns/log1p"])}, source=source)
        if log1p is not None:  # scanpy's ln(x + 1) (or another base) read as log2(x + 1)
            console.warning("%s: %s", source, log1p[1])
            rows = max(1, min(node.shape[0], BLOCK_BYTES // max(4 * node.shape[1], 1)))
            node = da.from_array(node, chunks=(rows, node.shape[1]), asarray=True) * log1p[0]
    return node, obs.index, var.index, _anndata_extra(var, "h5ad")


def _anndata_extra(var: pd.DataFrame, fmt: str) -> dict[str, Any]:
    """Describe an AnnData layout to the reader: var text columns are identifier candidates."""
    from immunescape.io._grid import _text_columns

    return {"gene_columns": _text_columns(var), "sample_axis": "first column ('obs_names')",
            "fmt": fmt}


def _read_parquet_part(path: str, genes: list[str]) -> np.ndarray:
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=genes)
    return np.column_stack(
        [table.column(g).to_numpy(zero_copy_only=False).astype(np.float32) for g in genes]
    ) if genes else np.empty((table.num_rows, 0), np.float32)


def _open_parquet_dir(path: Path, source: str):
    import dask
    import dask.array as da
    import pyarrow.parquet as pq

    files = sorted(path.glob("*.parquet"))
    first = pq.read_schema(files[0])
    id_col, genes = first.names[0], first.names[1:]
    samples: list[str] = []
    blocks = []
    for f in files:
        meta = pq.ParquetFile(f)
        if meta.schema_arrow.names != first.names:
            raise InputError(
                "its columns differ from the first file's",
                source=str(f),
                fix="write every part with the same columns in the same order",
            )
        samples += [str(x) for x in meta.read(columns=[id_col]).column(0).to_pylist()]
        part = dask.delayed(_read_parquet_part)(str(f), genes)
        blocks.append(da.from_delayed(part, shape=(meta.metadata.num_rows, len(genes)),
                                      dtype=np.float32))
    data = da.concatenate(blocks, axis=0) if blocks else None
    if data is None or math.prod(data.shape) == 0:
        raise InputError("holds no values", source=source, fix="give a non-empty table")
    extra = {"sample_axis": f"first column ({id_col!r})", "fmt": "parquet"}
    return data, samples, genes, extra
