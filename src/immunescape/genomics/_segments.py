"""Copy-number segments (IGV .seg, FACETS, ASCAT, CNVkit): :class:`Segments`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from immunescape.errors import InputError
from immunescape.genomics._numeric import parse_numeric
from immunescape.genomics._reading import (
    PathLike,
    check_chromosomes,
    frame_with_rows,
    normalise_chrom,
    pick_columns,
    read_table,
    split_sample_path,
    with_sample_col,
)
from immunescape.genomics._sample_table import SampleTable

__all__ = ["Segments", "read_segments", "SEGMENT_COLUMNS"]

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

@dataclass(eq=False)
class Segments(SampleTable):
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
        df = frame_with_rows(
            frame, what="segment table", fix="give at least one segment", source=source
        )
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
            col = parse_numeric(df[found[key]])
            if col.bad.any():
                raise InputError(
                    f"column {found[key]!r} ({key}) has non-numeric values such as "
                    f"{col.shown()}",
                    source=source,
                    fix="give numbers (NA for missing)",
                )
            out[key] = col.numbers
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
    path: PathLike,
    *,
    columns: Mapping[str, str] | None = None,
    sample_col: str | None = None,
    sample_id: str | None = None,
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
    sample_col
        The sample-id column (the same as ``columns={"sample_id": ...}``; it wins).
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
    columns = with_sample_col(columns, sample_col)
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

