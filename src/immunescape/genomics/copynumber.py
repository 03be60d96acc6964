"""Copy number: gene-level calls (GISTIC-style) and segments.

Gene-level functional calls need gene-level copy number. The vendored gene table
(``genes/data``) has chromosomes but no gene positions, so immunescape cannot place genes on
segments by itself: give gene-level calls (``read_cna``), or segments with *absolute* copy
numbers together with a gene-coordinate table of your genome build
(:func:`gene_calls_from_segments`). Segments with log2 ratios only feed the SCNA burden and
the arm summary (:mod:`immunescape.genomics.scna`); a log2 ratio cannot say "zero copies"
without purity and ploidy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from immunescape._validate import check_choice
from immunescape.errors import InputError
from immunescape.genomics._reading import (
    PathLike,
    check_chromosomes,
    normalise_chrom,
    pick_columns,
    read_shipped_table,
    read_table,
    split_sample_path,
)
from immunescape.genomics.mutations import _resolve_genes

__all__ = [
    "GeneCNA",
    "Segments",
    "read_cna",
    "read_segments",
    "read_gene_coords",
    "gene_calls_from_segments",
    "gene_coordinates",
    "canonical_build",
    "CNA_LONG_COLUMNS",
    "SEGMENT_COLUMNS",
]

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
#: Segment table: accepted column names per field (IGV .seg, FACETS, ASCAT, CNVkit names).
SEGMENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "sample_id": ("ID", "sample_id", "Sample", "sample", "Tumor_Sample_Barcode"),
    "chrom": ("chrom", "chromosome", "Chromosome", "chr", "chrom.name"),
    "start": ("loc.start", "start", "Start", "startpos", "Start_Position", "Start.bp"),
    "end": ("loc.end", "end", "End", "endpos", "End_Position", "End.bp"),
    "log2": ("seg.mean", "Segment_Mean", "log2", "log2_ratio", "cnlr.median", "seg_mean",
             "Seg.CN", "Segment_Mean_log2"),
    "total_cn": ("tcn.em", "tcn", "total_cn", "Copy_Number", "cn"),
    "minor_cn": ("lcn.em", "lcn", "minor_cn", "nMinor", "cn2"),
    "major_cn": ("nMajor", "major_cn", "cn1"),
}
_GENE_COORD_COLUMNS: dict[str, tuple[str, ...]] = {
    "gene": _GENE_NAMES,
    "chrom": ("chrom", "chromosome", "Chromosome", "chr", "seqname"),
    "start": ("start", "Start", "txStart", "gene_start"),
    "end": ("end", "End", "txEnd", "gene_end"),
}


@dataclass(eq=False)
class GeneCNA:
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

    data: pd.DataFrame
    source: str = "<memory>"
    notes: list[str] = field(default_factory=list)

    @property
    def samples(self) -> list[str]:
        """Sample ids, first-seen order."""
        return list(pd.unique(self.data["sample_id"]))

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
        if frame.empty:
            raise InputError(
                "the copy-number table has no rows", source=source, fix="give at least one gene"
            )
        df = frame.copy()
        df.columns = [str(c) for c in df.columns]
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
    num = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & num.isna()
    if bad.any():
        raise InputError(
            f"column {column!r} has non-numeric calls such as {values[bad].iloc[0]!r}",
            source=source,
            fix="give GISTIC-style integer calls -2, -1, 0, 1, 2",
        )
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
            txt = df[found[key]].astype("string").str.strip()
            txt = txt.where(~txt.str.upper().isin(["NA", "NAN", "."]), pd.NA)
            num = pd.to_numeric(txt, errors="coerce")
            bad = num.isna() & txt.notna()
            if bad.any() or (num < 0).any():
                raise InputError(
                    f"column {found[key]!r} ({key}) must hold non-negative numbers",
                    source=source,
                    fix="give absolute copy numbers (0, 1, 2, ...)",
                )
            out[key] = num.astype(float)
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


@dataclass(eq=False)
class Segments:
    """Copy-number segments.

    Attributes
    ----------
    data
        Columns ``sample_id``, ``chrom`` (no ``chr`` prefix), ``start``, ``end`` (int),
        ``log2`` (log2 copy ratio, NaN when not given), ``total_cn`` and ``minor_cn``
        (absolute copy numbers, NaN when not given).
    source, notes
        Provenance.

    Examples
    --------
    >>> import pandas as pd
    >>> seg = Segments.from_frame(pd.DataFrame({"ID": ["S1"], "chrom": ["chr1"],
    ...     "loc.start": [1], "loc.end": [1000], "seg.mean": [-0.5]}))
    >>> seg.data[["sample_id", "chrom", "log2"]].values.tolist()
    [['S1', '1', -0.5]]
    """

    data: pd.DataFrame
    source: str = "<memory>"
    notes: list[str] = field(default_factory=list)

    @property
    def samples(self) -> list[str]:
        """Sample ids, first-seen order."""
        return list(pd.unique(self.data["sample_id"]))

    @property
    def has_log2(self) -> bool:
        """True if log2 ratios are given."""
        return bool(self.data["log2"].notna().any())

    @property
    def has_absolute(self) -> bool:
        """True if absolute total copy numbers are given."""
        return bool(self.data["total_cn"].notna().any())

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        columns: Mapping[str, str] | None = None,
        source: str = "<memory>",
        sample_id: str | None = None,
    ) -> Segments:
        """Build from a DataFrame (see :func:`read_segments`)."""
        if frame.empty:
            raise InputError(
                "the segment table has no rows", source=source, fix="give at least one segment"
            )
        df = frame.copy()
        df.columns = [str(c) for c in df.columns]
        if sample_id is not None and not (columns and "sample_id" in columns):
            df = df.drop(columns=[c for c in SEGMENT_COLUMNS["sample_id"] if c in df.columns])
            df.insert(0, "sample_id", sample_id)
        found = pick_columns(
            df, aliases=SEGMENT_COLUMNS, mapping=columns,
            required=("sample_id", "chrom", "start", "end"), source=source, what="segment table",
        )  # fmt: skip
        if not {"log2", "total_cn", "major_cn"} & set(found):
            raise InputError(
                "segment table has neither a log2 ratio column (seg.mean, log2) nor absolute "
                "copy numbers (tcn, total_cn, nMajor+nMinor)",
                source=source,
                fix="add the segment values, or map them with columns={'log2': 'YourColumn'}",
            )
        check_chromosomes(df[found["chrom"]], source=source, column=found["chrom"])
        out = pd.DataFrame(
            {
                "sample_id": df[found["sample_id"]].astype("string").str.strip().astype(object),
                "chrom": normalise_chrom(df[found["chrom"]]),
            }
        )
        for key in ("start", "end", "log2", "total_cn", "minor_cn", "major_cn"):
            if key not in found:
                out[key] = np.nan
                continue
            txt = df[found[key]].astype("string").str.strip()
            num = pd.to_numeric(txt, errors="coerce")
            bad = num.isna() & txt.notna() & ~txt.str.upper().isin(["NA", "NAN", ""])
            if bad.any():
                raise InputError(
                    f"column {found[key]!r} ({key}) has non-numeric values such as "
                    f"{txt[bad].iloc[0]!r}",
                    source=source,
                    fix="give numbers (NA for missing)",
                )
            out[key] = num.astype(float)
        if out[["start", "end"]].isna().any().any():
            raise InputError(
                "some segments have no start or end position",
                source=source,
                fix="fill the start and end of every segment",
            )
        for key in ("start", "end", "total_cn", "minor_cn"):
            neg = out[key] < 0
            if neg.any():
                row = int(np.flatnonzero(neg.to_numpy())[0]) + 1
                raise InputError(
                    f"column {found[key]!r} ({key}) has a negative value "
                    f"({out.loc[neg, key].iloc[0]:g}, data row {row})",
                    source=source,
                    fix="positions and copy numbers are >= 0; correct or remove the row",
                )
        if (out["end"] < out["start"]).any():
            raise InputError(
                "some segments end before they start",
                source=source,
                fix="check the start/end columns are not swapped",
            )
        if "total_cn" not in found and "major_cn" in found:
            out["total_cn"] = out["major_cn"] + out["minor_cn"]
        out = out.drop(columns="major_cn")
        out["start"] = out["start"].astype(np.int64)
        out["end"] = out["end"].astype(np.int64)
        return cls(data=out.reset_index(drop=True), source=source)


def read_segments(
    path: PathLike, *, columns: Mapping[str, str] | None = None, sample_id: str | None = None
) -> Segments:
    r"""Read copy-number segments.

    Accepts IGV ``.seg`` (``ID``, ``chrom``, ``loc.start``, ``loc.end``, ``num.mark``,
    ``seg.mean``), GDC segment files (``Sample``, ``Chromosome``, ``Start``, ``End``,
    ``Segment_Mean``), FACETS (``tcn.em``, ``lcn.em``, ``cnlr.median``) and ASCAT (``nMajor``,
    ``nMinor``) column names, or any table with a ``columns`` mapping. Each segment needs a
    log2 ratio or an absolute total copy number.

    Parameters
    ----------
    path
        The file.
    columns
        Field -> column mapping; fields ``sample_id``, ``chrom``, ``start``, ``end``,
        ``log2``, ``total_cn``, ``minor_cn``, ``major_cn``.
    sample_id
        Sample of a single-sample file; default: the ``ID``/``sample`` column, else the file
        name without ``.seg``/``.cna``/``.tsv``/``.gz`` (ASCAT/PCGR tables have no sample
        column; on the command line ``--segments SAMPLE=FILE``).

    Returns
    -------
    Segments
        The segments.

    Raises
    ------
    InputError
        Missing columns, non-numeric values, segments ending before they start.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x.seg"
    >>> _ = f.write_text("ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n"
    ...                  "S1\t1\t1\t1000\t10\t0.4\n")
    >>> read_segments(f).data["log2"].tolist()
    [0.4]
    """
    given, path = split_sample_path(path)
    sample_id = sample_id or given
    df, warnings = read_table(path, what="segment table")
    if "G-score" in {str(c).strip() for c in df.columns}:
        raise InputError(
            "is a GISTIC scores file (G-scores of the cohort), not per-sample segments",
            source=str(path),
            fix="give the segment file GISTIC was run on (.seg: ID, chrom, loc.start, "
            "loc.end, num.mark, seg.mean)",
        )
    if sample_id is None and not any(
        c.lower() in {a.lower() for a in SEGMENT_COLUMNS["sample_id"]} for c in df.columns
    ) and not (columns and "sample_id" in columns):
        sample_id = re.sub(r"(\.(seg|cna|cncf|tsv|txt|csv))*(\.gz)?$", "", Path(path).name)
    seg = Segments.from_frame(df, columns=columns, source=str(path), sample_id=sample_id)
    seg.notes.extend(warnings)
    return seg


def read_gene_coords(
    path: PathLike, *, columns: Mapping[str, str] | None = None, resolve_genes: bool = True
) -> pd.DataFrame:
    r"""Read a gene-coordinate table (``gene``, ``chrom``, ``start``, ``end``).

    The build must match the segments'. immunescape ships no gene positions (see the module
    documentation).

    Parameters
    ----------
    path
        The file (e.g. exported from a GTF: one row per gene).
    columns
        Field -> column mapping.
    resolve_genes
        Map symbols to current HGNC symbols.

    Returns
    -------
    pandas.DataFrame
        Columns ``gene``, ``chrom``, ``start``, ``end``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "genes.tsv"
    >>> _ = f.write_text("gene\tchrom\tstart\tend\nPTEN\tchr10\t89623195\t89728532\n")
    >>> read_gene_coords(f).values.tolist()
    [['PTEN', '10', 89623195, 89728532]]
    """
    df, _ = read_table(path, what="gene-coordinate table")
    found = pick_columns(
        df, aliases=_GENE_COORD_COLUMNS, mapping=columns, required=tuple(_GENE_COORD_COLUMNS),
        source=str(path), what="gene-coordinate table",
    )  # fmt: skip
    out = pd.DataFrame(
        {
            "gene": df[found["gene"]].astype("string").str.strip().astype(object),
            "chrom": normalise_chrom(df[found["chrom"]]),
        }
    )
    for key in ("start", "end"):
        num = pd.to_numeric(df[found[key]], errors="coerce")
        if num.isna().any():
            raise InputError(
                f"column {found[key]!r} ({key}) has missing or non-numeric positions",
                source=str(path),
                fix="give integer positions for every gene",
            )
        out[key] = num.astype(np.int64)
    if resolve_genes:
        out["gene"], _ = _resolve_genes(out["gene"])
    return out.drop_duplicates("gene").reset_index(drop=True)


#: log2-ratio thresholds for segments without absolute copy numbers (CNVkit ``call -m
#: threshold`` defaults, Talevich et al. 2016, PLoS Comput Biol, PMID 27100738): below -1.1 ->
#: 0 copies (deep deletion), below -0.25 -> 1 copy (one copy lost), from 0.2 -> gain.
LOG2_DEEP_DELETION = -1.1
LOG2_LOSS = -0.25
LOG2_GAIN = 0.2
#: Builds whose gene positions ship with immunescape.
VENDORED_BUILDS = ("GRCh38",)
_BUILD_ALIASES = {"grch38": "GRCh38", "hg38": "GRCh38", "38": "GRCh38", "grch37": "GRCh37",
                  "hg19": "GRCh37", "37": "GRCh37", "b37": "GRCh37"}  # fmt: skip


def canonical_build(build: str | None) -> str | None:
    """Return ``GRCh37``/``GRCh38`` for the usual spellings (``hg19``, ``37``, ``hg38``...).

    Examples
    --------
    >>> canonical_build("hg19"), canonical_build("GRCh38"), canonical_build(None)
    ('GRCh37', 'GRCh38', None)
    """
    if build is None:
        return None
    return _BUILD_ALIASES.get(str(build).strip().lower(), str(build).strip())


@cache
def _vendored_coords() -> pd.DataFrame:
    df = read_shipped_table("gene_coords_grch38.tsv.gz", dtype={"chrom": str})
    return df[["gene", "chrom", "start", "end"]]


def gene_coordinates(build: str) -> pd.DataFrame:
    """Return the vendored gene coordinates of a genome build.

    Parameters
    ----------
    build
        ``GRCh38`` (or ``hg38``). GRCh37 positions are not vendored (the registry package
        the table is built from holds GRCh38 positions only): give your own table with
        ``gene_coords=``/``--gene-coords``.

    Returns
    -------
    pandas.DataFrame
        ``gene``, ``chrom`` (no ``chr``), ``start``, ``end`` (1-based, inclusive), built by
        ``scripts/build_gene_coords.py`` from Debian ``r-bioc-org.hs.eg.db`` (UCSC hg38
        positions); checksum verified on loading.

    Raises
    ------
    InputError
        For a build that is not vendored.

    Examples
    --------
    >>> gc = gene_coordinates("GRCh38")
    >>> gc.loc[gc["gene"] == "PTEN", ["chrom", "start", "end"]].values.tolist()
    [['10', 87863625, 87971930]]
    """
    b = canonical_build(build)
    if b not in VENDORED_BUILDS:
        raise InputError(
            f"no vendored gene coordinates for genome build {build!r} (vendored: "
            f"{', '.join(VENDORED_BUILDS)})",
            source="--genome-build",
            fix="give a gene-coordinate table of that build with --gene-coords "
            "(gene, chrom, start, end), e.g. exported from the GTF your pipeline used",
        )
    return _vendored_coords().copy()


def gene_calls_from_segments(
    segments: Segments,
    gene_coords: pd.DataFrame,
    *,
    genes: Iterable[str] | None = None,
    amp_min_copies: float = 5.0,
    purity: float | None = None,
    ploidy: float = 2.0,
) -> GeneCNA:
    """Derive gene-level calls from segments.

    For each (sample, gene) the segments overlapping the gene are combined by taking the
    smallest total and minor copy number (a partial deletion still breaks the gene).

    Absolute segments (FACETS ``tcn.em``/``lcn.em``, ASCAT ``nMajor``/``nMinor``): deep
    deletion when the total copy number is 0 (GISTIC -2), LOH when the minor copy number is
    0 with at least one copy left, amplification when the total copy number is at least
    ``amp_min_copies`` (GISTIC 2; default 5, the FACETS-suite AMP call for a genome without
    doubling), else neutral (0).

    Log2-ratio segments (CNVkit, GATK, TCGA SEG): with ``purity`` (tumour cell fraction) the
    ratio is converted to a total copy number, ``n = (r (p P + 2 (1 - p)) - 2 (1 - p)) / p``
    with ``r = 2**log2``, ``p`` the purity and ``P`` the tumour ploidy, and the absolute rules
    apply (``n < 0.5`` deep deletion, ``n < 1.5`` one copy lost, GISTIC -1). Without purity
    the CNVkit thresholds apply: log2 < -1.1 deep deletion, < -0.25 one copy lost (-1),
    >= 0.2 gain (1), >= log2(amp_min_copies / 2) amplification (2). The minor copy number is
    unknown from a log2 ratio, so a one-copy loss is reported as GISTIC -1 (read as LOH by
    :func:`call_events` by default), never as copy-neutral LOH.

    Parameters
    ----------
    segments
        Segments.
    gene_coords
        ``gene``, ``chrom``, ``start``, ``end`` (same genome build), e.g. from
        :func:`gene_coordinates` or :func:`read_gene_coords`.
    genes
        Only these genes (default: all in ``gene_coords``).
    amp_min_copies
        Total copy number from which a gene is called amplified.
    purity, ploidy
        Tumour purity (0-1] and ploidy for log2-ratio segments.

    Returns
    -------
    GeneCNA
        Gene-level calls.

    Raises
    ------
    InputError
        Purity outside (0, 1] or ploidy <= 0.

    Examples
    --------
    >>> import pandas as pd
    >>> seg = Segments.from_frame(pd.DataFrame({"ID": ["S1"], "chrom": ["10"],
    ...     "start": [89_000_000], "end": [90_000_000], "tcn": [0], "lcn": [0]}))
    >>> coords = pd.DataFrame({"gene": ["PTEN"], "chrom": ["10"], "start": [89623195],
    ...                        "end": [89728532]})
    >>> gene_calls_from_segments(seg, coords).data[["gene", "gistic", "total_cn"]].values.tolist()
    [['PTEN', -2, 0.0]]
    """
    if purity is not None and not (0 < purity <= 1):
        raise InputError(
            f"purity {purity!r} is not in (0, 1]", source="--purity",
            fix="give the tumour cell fraction, e.g. 0.6",
        )  # fmt: skip
    if not ploidy > 0:
        raise InputError(
            f"ploidy {ploidy!r} is not positive", source="--ploidy", fix="e.g. 2 or 3.2"
        )
    gc = gene_coords
    if genes is not None:
        gc = gc.loc[gc["gene"].isin(set(genes))]
    data = segments.data
    absolute = data["total_cn"].notna()
    seg = data.loc[absolute | data["log2"].notna()].copy()
    from_log2 = seg["total_cn"].isna().to_numpy()
    if from_log2.any() and purity is not None:
        r = np.power(2.0, seg.loc[from_log2, "log2"].to_numpy(dtype=float))
        n = (r * (purity * ploidy + 2 * (1 - purity)) - 2 * (1 - purity)) / purity
        seg.loc[from_log2, "total_cn"] = np.clip(n, 0, None)
        from_log2 = np.zeros(len(seg), dtype=bool)
    seg["from_log2"] = from_log2
    merged = seg.merge(gc.rename(columns={"start": "g_start", "end": "g_end"}), on="chrom")
    merged = merged.loc[(merged["start"] <= merged["g_end"]) & (merged["end"] >= merged["g_start"])]
    agg = (
        merged.groupby(["sample_id", "gene"], sort=False)
        .agg(total_cn=("total_cn", "min"), minor_cn=("minor_cn", "min"), log2=("log2", "min"),
             from_log2=("from_log2", "all"))
        .reset_index()
    )  # fmt: skip
    tcn = agg["total_cn"].to_numpy(dtype=float)
    mcn = agg["minor_cn"].to_numpy(dtype=float)
    lg = agg["log2"].to_numpy(dtype=float)
    rel = agg["from_log2"].to_numpy(dtype=bool)
    amp_log2 = float(np.log2(amp_min_copies / 2.0))
    with np.errstate(invalid="ignore"):
        g_abs = np.where(tcn < 0.5, -2, np.where(tcn >= amp_min_copies, 2, 0))
        if purity is not None:  # converted log2: one copy lost is visible
            g_abs = np.where((tcn >= 0.5) & (tcn < 1.5), -1, g_abs)
        g_rel = np.select(
            [lg < LOG2_DEEP_DELETION, lg < LOG2_LOSS, lg >= amp_log2, lg >= LOG2_GAIN],
            [-2, -1, 2, 1], default=0,
        )  # fmt: skip
    gistic = np.where(rel, g_rel, g_abs)
    agg["gistic"] = pd.array(gistic, dtype="Int64")
    agg.loc[rel, "total_cn"] = np.nan
    loh = np.where(np.isnan(mcn), np.nan, (mcn <= 0) & (tcn > 0))
    agg["loh"] = pd.array([None if np.isnan(v) else bool(v) for v in loh], dtype="boolean")
    out = agg[["sample_id", "gene", "gistic", "total_cn", "minor_cn", "loh"]]
    notes = []
    if (~rel).any():
        notes.append(
            f"gene calls from absolute segments: deep deletion tcn<0.5, LOH lcn=0, "
            f"amplification tcn>={amp_min_copies:g}"
            + (f"; log2 converted with purity {purity:g}, ploidy {ploidy:g}" if purity else "")
        )
    if rel.any():
        notes.append(
            f"gene calls from log2 ratios (no purity): deep deletion < {LOG2_DEEP_DELETION}, "
            f"one copy lost < {LOG2_LOSS}, gain >= {LOG2_GAIN}, amplification >= "
            f"{amp_log2:.2f} (CNVkit thresholds)"
        )
    return GeneCNA(data=out.reset_index(drop=True), source=segments.source, notes=notes)
