"""Gene-level copy-number calls (GISTIC-style, absolute copy numbers, LOH): :class:`GeneCNA`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from immunescape._validate import check_choice
from immunescape.errors import InputError
from immunescape.genomics._numeric import parse_numeric
from immunescape.genomics._reading import (
    PathLike,
    frame_with_rows,
    pick_columns,
    read_table,
    with_sample_col,
)
from immunescape.genomics._sample_table import SampleTable
from immunescape.genomics.mutations import _resolve_genes

__all__ = ["GeneCNA", "read_cna", "CNA_LONG_COLUMNS", "CnaLayout"]

#: Layouts of a gene-level copy-number table (``auto``: long when a sample column is found).
CnaLayout = Literal["auto", "gene_matrix", "gene_long"]

_GENE_NAMES = ("Hugo_Symbol", "gene", "Gene", "Gene Symbol", "gene_symbol", "symbol", "SYMBOL")
_ANNOTATION = {"entrez_gene_id", "locus id", "locus_id", "cytoband", "gene id", "gene_id"}

#: Long gene-level table: accepted column names per field.
CNA_LONG_COLUMNS: dict[str, tuple[str, ...]] = {
    "sample_id": ("sample_id", "Tumor_Sample_Barcode", "Sample", "sample", "ID"),
    "gene": _GENE_NAMES,
    "gistic": ("gistic", "call", "cna", "CNA", "gistic_call", "value"),
    "total_cn": ("total_cn", "tcn.em", "tcn", "copy_number", "Copy_Number"),
    "minor_cn": ("minor_cn", "lcn.em", "lcn", "nMinor", "minor"),
    "loh": ("loh", "LOH"),
}


@dataclass(eq=False)
class GeneCNA(SampleTable):
    """Gene-level copy number, one row per (sample, gene).

    Attributes
    ----------
    data
        Columns ``sample_id``, ``gene``, ``gistic`` (Int64: -2 deep deletion, -1 shallow
        deletion / heterozygous loss, 0 neutral, 1 gain, 2 amplification; NA when not given),
        ``total_cn`` and ``minor_cn`` (float absolute copy numbers, NaN when not given) and
        ``loh`` (boolean, NA when not given).
    source
        Where it came from.
    notes
        What was done on reading.

    Examples
    --------
    >>> import pandas as pd
    >>> cna = GeneCNA.from_frame(pd.DataFrame({"sample_id": ["S1"], "gene": ["PTEN"],
    ...                                        "gistic": [-2]}))
    >>> cna.data[["sample_id", "gene", "gistic"]].values.tolist()
    [['S1', 'PTEN', -2]]
    """

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        layout: CnaLayout = "auto",
        columns: Mapping[str, str] | None = None,
        source: str = "<memory>",
        resolve_genes: bool = True,
    ) -> GeneCNA:
        """Build from a DataFrame (see :func:`read_cna` for the parameters)."""
        check_choice("layout", layout, CnaLayout)
        df = frame_with_rows(
            frame, what="copy-number table", fix="give at least one gene", source=source
        )
        if layout == "auto":
            has_sample = any(
                c in df.columns or c.lower() in {x.lower() for x in df.columns}
                for c in CNA_LONG_COLUMNS["sample_id"]
            ) or bool(columns and "sample_id" in columns)
            layout = "gene_long" if has_sample else "gene_matrix"
        notes: list[str] = []
        if layout == "gene_matrix":
            long = _matrix_to_long(df, columns=columns, source=source)
        else:
            long = _long(df, columns=columns, source=source)
        if resolve_genes:
            long["gene"], note = _resolve_genes(long["gene"])
            if note:
                notes.append(note)
        dup = long.duplicated(["sample_id", "gene"], keep="first")
        if dup.any():
            notes.append(f"{int(dup.sum())} duplicate (sample, gene) row(s) dropped (first kept)")
            long = long.loc[~dup]
        return cls(data=long.reset_index(drop=True), source=source, notes=notes)


def _as_gistic(values: pd.Series, *, source: str, column: str) -> pd.Series:
    col = parse_numeric(values)
    if col.bad.any():
        raise InputError(
            f"column {column!r} has non-numeric calls such as {col.shown()}",
            source=source,
            fix="give GISTIC-style integer calls -2, -1, 0, 1, 2 (NA where not called)",
        )
    num = col.numbers
    finite = num.dropna()
    if len(finite) and (((finite % 1) != 0).any() or (finite.abs() > 2).any()):
        example = finite[((finite % 1) != 0) | (finite.abs() > 2)].iloc[0]
        raise InputError(
            f"column {column!r} has value {example!r}, which is not a GISTIC-style call "
            "(-2..2); it looks like continuous log2 ratios or copy numbers",
            source=source,
            fix="give thresholded calls (e.g. GISTIC all_thresholded.by_genes.txt), or a long "
            "table with total_cn / minor_cn columns",
        )
    return num.astype("Int64")


def _matrix_to_long(
    df: pd.DataFrame, *, columns: Mapping[str, str] | None, source: str
) -> pd.DataFrame:
    gene_col = (columns or {}).get("gene")
    if gene_col is None:
        lower = {c.lower(): c for c in df.columns}
        gene_col = next((lower[n.lower()] for n in _GENE_NAMES if n.lower() in lower), None)
    if gene_col is None or gene_col not in df.columns:
        raise InputError(
            "gene x sample copy-number matrix has no gene column "
            f"(looked for {', '.join(_GENE_NAMES[:3])})",
            source=source,
            fix="name the first column Hugo_Symbol, or pass columns={'gene': 'YourColumn'}",
        )
    sample_cols = [c for c in df.columns if c != gene_col and c.lower() not in _ANNOTATION]
    if not sample_cols:
        raise InputError(
            "copy-number matrix has no sample columns",
            source=source,
            fix="give one column per sample after the gene column",
        )
    m = df[[gene_col, *sample_cols]].rename(columns={gene_col: "gene"})
    m["gene"] = m["gene"].astype("string").str.strip().astype(object)
    long = m.melt(id_vars="gene", var_name="sample_id", value_name="value")
    out = pd.DataFrame(
        {
            "sample_id": long["sample_id"].astype(str),
            "gene": long["gene"],
            "gistic": _as_gistic(long["value"], source=source, column="sample columns"),
        }
    )
    out["total_cn"] = np.nan
    out["minor_cn"] = np.nan
    out["loh"] = pd.array([pd.NA] * len(out), dtype="boolean")
    return out.loc[out["gene"].notna()]


def _as_bool(values: pd.Series, *, source: str, column: str) -> pd.Series:
    text = values.astype("string").str.strip().str.lower()
    mapping = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False,
               "t": True, "f": False}  # fmt: skip
    out = text.map(mapping)
    bad = text.notna() & out.isna()
    if bad.any():
        raise InputError(
            f"column {column!r} has value {values[bad].iloc[0]!r}, not true/false",
            source=source,
            fix="use true/false (or 1/0)",
        )
    return out.astype("boolean")


def _long(df: pd.DataFrame, *, columns: Mapping[str, str] | None, source: str) -> pd.DataFrame:
    found = pick_columns(
        df, aliases=CNA_LONG_COLUMNS, mapping=columns, required=("sample_id", "gene"),
        source=source, what="gene-level copy-number table",
    )  # fmt: skip
    if not {"gistic", "total_cn", "minor_cn", "loh"} & set(found):
        raise InputError(
            "gene-level copy-number table has no call column (gistic, total_cn, minor_cn or loh)",
            source=source,
            fix="add a column 'gistic' (-2..2) and/or 'total_cn' / 'minor_cn' / 'loh'",
        )
    out = pd.DataFrame(
        {
            "sample_id": df[found["sample_id"]].astype("string").str.strip().astype(object),
            "gene": df[found["gene"]].astype("string").str.strip().astype(object),
        }
    )
    if "gistic" in found:
        out["gistic"] = _as_gistic(df[found["gistic"]], source=source, column=found["gistic"])
    else:
        out["gistic"] = pd.array([pd.NA] * len(out), dtype="Int64")
    for key in ("total_cn", "minor_cn"):
        if key in found:
            col = parse_numeric(df[found[key]])
            num = col.numbers
            if col.bad.any() or (num < 0).any():
                example = col.shown() or repr(float(num[num < 0].iloc[0]))
                raise InputError(
                    f"column {found[key]!r} ({key}) must hold non-negative numbers, not "
                    f"{example}",
                    source=source,
                    fix="give absolute copy numbers (0, 1, 2, ...; NA where not estimated)",
                )
            out[key] = num
        else:
            out[key] = np.nan
    if "loh" in found:
        out["loh"] = _as_bool(df[found["loh"]], source=source, column=found["loh"])
    else:
        out["loh"] = pd.array([pd.NA] * len(out), dtype="boolean")
    if out["sample_id"].isna().any() or out["gene"].isna().any():
        raise InputError(
            "some copy-number rows have no sample id or gene",
            source=source,
            fix="fill both columns in every row",
        )
    return out


def read_cna(
    path: PathLike,
    *,
    layout: CnaLayout = "auto",
    columns: Mapping[str, str] | None = None,
    sample_col: str | None = None,
    resolve_genes: bool = True,
) -> GeneCNA:
    r"""Read gene-level copy-number calls.

    Two layouts are accepted:

    ``gene_matrix``
        GISTIC-style thresholded calls, genes in rows and samples in columns (first column
        ``Hugo_Symbol``; ``Entrez_Gene_Id``, ``Locus ID`` and ``Cytoband`` columns are
        ignored). Values -2 (deep deletion), -1 (shallow deletion), 0, 1 (gain), 2
        (amplification).
    ``gene_long``
        One row per (sample, gene) with ``sample_id``, ``gene`` and at least one of
        ``gistic`` (-2..2), ``total_cn`` and ``minor_cn`` (absolute copy numbers, e.g. from
        FACETS or ASCAT) and ``loh`` (true/false).

    Parameters
    ----------
    path
        The file.
    layout
        ``"auto"`` picks ``gene_long`` when a sample column is present.
    columns
        Field -> column name mapping for columns not found by name.
    sample_col
        The sample-id column (the same as ``columns={"sample_id": ...}``; it wins); with
        ``layout="auto"`` it means the long layout.
    resolve_genes
        Map symbols to current HGNC symbols.

    Returns
    -------
    GeneCNA
        Long table of calls.

    Raises
    ------
    InputError
        Missing columns, non-integer or out-of-range GISTIC values, empty file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "gistic.txt"
    >>> _ = f.write_text("Hugo_Symbol\tEntrez_Gene_Id\tS1\tS2\nPTEN\t5728\t-2\t0\n")
    >>> read_cna(f).data[["sample_id", "gene", "gistic"]].values.tolist()
    [['S1', 'PTEN', -2], ['S2', 'PTEN', 0]]
    """
    columns = with_sample_col(columns, sample_col)
    df, warnings = read_table(path, what="copy-number table")
    cols = {str(c).strip() for c in df.columns}
    if {"Unique Name", "Descriptor", "Wide Peak Limits"} <= cols or str(
        df.columns[0]
    ).strip().lower() == "cytoband":
        raise InputError(
            "is a GISTIC peak file (all_lesions / amp_genes / del_genes: peaks, not calls per "
            "gene and sample)",
            source=str(path),
            fix="give GISTIC's all_thresholded.by_genes.txt (genes x samples, -2..2)",
        )
    cna = GeneCNA.from_frame(
        df, layout=layout, columns=columns, source=str(path), resolve_genes=resolve_genes
    )
    cna.notes.extend(warnings)
    return cna

