"""Chunked expression inputs: Zarr and backed h5ad (AnnData layouts) and partitioned parquet.

A :class:`ChunkedExpression` is a samples x genes :class:`dask.array.Array` (float32, chunked
by rows only, so that every block holds whole samples) with its sample ids, gene symbols and
unit. Nothing but the ids and, when the unit is detected, the first block is read here.
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

if TYPE_CHECKING:  # pragma: no cover
    import dask.array as da

    from immunescape.expression import Unit

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
        Gene symbols (columns), unique.
    unit, log_offset
        As :class:`~immunescape.expression.Expression`.
    source
        The file or directory read.
    notes
        Notes for run.json (e.g. how the unit was decided).
    """

    data: da.Array
    samples: pd.Index
    genes: pd.Index
    unit: Unit
    log_offset: float = 1.0
    source: str = "<memory>"
    notes: list[str] = field(default_factory=list)

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
    ) -> ChunkedExpression:
        """Wrap an array-like (numpy, dask, zarr, h5py) as a chunked matrix.

        The unit is checked (or detected, from the first :data:`DETECT_ROWS` samples) with
        the rules of :func:`~immunescape.io.read_expression`.
        """
        require_dask()
        import dask.array as da

        samples = pd.Index([str(s) for s in samples], name="sample_id")
        genes = pd.Index([str(g) for g in genes])
        n, g = len(samples), len(genes)
        if tuple(data.shape) != (n, g):
            raise InputError(
                f"the matrix is {data.shape[0]} x {data.shape[1]} but there are {n} sample ids "
                f"and {g} genes",
                source=source,
                fix="store samples in rows and genes in columns (the AnnData convention)",
            )
        _check_ids(samples, "sample", source)
        _check_ids(genes, "gene", source)
        rows = block_rows or max(1, min(n, BLOCK_BYTES // max(4 * g, 1)))
        if not isinstance(data, da.Array):
            data = da.from_array(data, chunks=(rows, g), asarray=True)
        elif block_rows is not None or len(data.chunks[1]) > 1:
            data = data.rechunk((rows if block_rows else data.chunks[0], g))
        if data.dtype != np.float32:
            data = data.astype(np.float32)
        head = np.asarray(data[: min(n, DETECT_ROWS)].compute(), dtype=np.float64)
        unit_, offset, notes = _decide_unit(head, unit, log_offset, source, n)
        return cls(data, samples, genes, unit_, offset, source, notes)


def _check_ids(ids: pd.Index, what: str, source: str) -> None:
    if ids.has_duplicates:
        dup = ids[ids.duplicated()][0]
        raise InputError(
            f"{what} id {dup!r} occurs more than once",
            source=source,
            fix=f"give unique {what} ids (collapse duplicated genes before chunked scoring)",
        )


def _decide_unit(
    head: np.ndarray, unit: Unit | None, log_offset: float | None, source: str, n: int
) -> tuple[Unit, float, list[str]]:
    from immunescape.io._units import check_unit, matrix_stats

    if not np.isfinite(head).all():
        raise InputError(
            "the matrix has missing or infinite values", source=source,
            fix="impute or drop them before scoring",
        )
    call = check_unit(matrix_stats(head), unit, log_offset=log_offset, source=source)
    notes = list(call.evidence) + list(call.warnings)
    for message in call.loud:
        console.warning("%s: %s", source, message)
    if unit is None and head.shape[0] < n:
        notes.append(f"unit detected on the first {head.shape[0]} of {n} samples")
    offset = call.log_offset if call.log_offset is not None else 1.0
    return cast("Unit", call.unit), float(offset), notes


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
        - an ``.h5ad`` file (opened backed, read block by block; dense ``X``);
        - a directory of parquet files (a partitioned table): rows are samples, the first
          column holds the sample ids, the other columns are genes (the same in every
          file); files are read in name order.
    unit, log_offset
        As :func:`~immunescape.io.read_expression` (detected from the first samples when
        not given).
    block_rows
        Samples per block (default: about 64 MB of float32 per block).
    layer
        AnnData layer instead of ``X``.

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
        data, samples, genes = _open_parquet_dir(p, source)
    elif p.suffix.lower() == ".zarr" or (p / ".zgroup").exists() or (p / "zarr.json").exists():
        data, samples, genes = _open_zarr(p, layer, source)
    elif p.suffix.lower() == ".h5ad":
        data, samples, genes = _open_h5ad(p, layer, source)
    else:
        raise InputError(
            "is not a chunked expression input",
            source=source,
            fix="give a .zarr store, an .h5ad file or a directory of .parquet files",
        )
    return ChunkedExpression.from_array(
        data, samples, genes, unit=unit, log_offset=log_offset, block_rows=block_rows,
        source=source,
    )


def _anndata_index(group: Any, source: str) -> pd.Index:
    from anndata.io import read_elem

    try:
        return read_elem(group).index
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
        raise InputError(
            f"no {'X' if layer is None else f'layer {layer!r}'} array",
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
    samples = _anndata_index(root["obs"], source) if "obs" in root else None
    genes = _anndata_index(root["var"], source) if "var" in root else None
    if samples is None or genes is None:
        raise InputError(
            "has no obs/var tables (sample and gene ids)",
            source=source,
            fix="write it with anndata.AnnData.write_zarr",
        )
    data = da.from_zarr(str(path), component="X" if layer is None else f"layers/{layer}")
    return data, samples, genes


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
    samples, genes = _anndata_index(handle["obs"], source), _anndata_index(handle["var"], source)
    if layer is None and "uns" in handle and "log1p" in handle["uns"]:
        import dask.array as da
        from anndata.io import read_elem

        from immunescape.io._grid import log1p_to_log2

        log1p = log1p_to_log2({"log1p": read_elem(handle["uns/log1p"])}, source=source)
        if log1p is not None:  # scanpy's ln(x + 1) (or another base) read as log2(x + 1)
            console.warning("%s: %s", source, log1p[1])
            rows = max(1, min(node.shape[0], BLOCK_BYTES // max(4 * node.shape[1], 1)))
            node = da.from_array(node, chunks=(rows, node.shape[1]), asarray=True) * log1p[0]
    return node, samples, genes


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
    return data, samples, genes
