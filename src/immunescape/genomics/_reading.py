"""Reading delimited genomic tables (MAF, segments, CNA, HLA) into string DataFrames."""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from immunescape._resources import read_resource
from immunescape.errors import InputError
from immunescape.io._files import read_text_file, sniff_delimiter

__all__ = [
    "read_table", "read_table_lines", "row_place", "frame_with_rows", "pick_columns",
    "normalise_chrom", "check_chromosomes",
    "read_shipped_table", "with_sample_col", "PathLike",
]  # fmt: skip

PathLike = str | os.PathLike[str]


def read_table(
    path: PathLike, *, what: str, numeric: Iterable[str] = ()
) -> tuple[pd.DataFrame, list[str]]:
    r"""Read a delimited text table (optionally gzip) as strings.

    Leading comment lines (``#``, as in GDC MAF files) are skipped; old Mac (CR) and Windows
    (CRLF) line endings are accepted; the delimiter (tab, comma, semicolon, pipe) is sniffed.
    A row repeating the header (files concatenated with their headers) is refused with its
    line number.

    Parameters
    ----------
    path
        The file.
    what
        What the file should be (for messages), e.g. ``"MAF"``.
    numeric
        Column names pandas may parse as numbers (positions, read counts); a column holding
        anything else stays text, as every other column does.

    Returns
    -------
    tuple
        The table (all columns as strings, empty cells as NaN) and decoding warnings.

    Raises
    ------
    InputError
        If the file is missing, empty, binary, or has a header but no rows.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "m.maf"
    >>> _ = f.write_bytes(b"#version 2.4\rHugo_Symbol\tTumor_Sample_Barcode\rB2M\tS1\r")
    >>> read_table(f, what="MAF")[0].to_dict("records")
    [{'Hugo_Symbol': 'B2M', 'Tumor_Sample_Barcode': 'S1'}]
    """
    df, warnings, _ = read_table_lines(path, what=what, numeric=numeric)
    return df, warnings


def read_table_lines(
    path: PathLike, *, what: str, numeric: Iterable[str] = (), allow_empty: bool = False
) -> tuple[pd.DataFrame, list[str], np.ndarray | None]:
    r"""Read a table as :func:`read_table` does, with the file line number of every row.

    A header without rows is refused unless ``allow_empty``.

    Returns
    -------
    tuple
        The table, decoding warnings and the 1-based line number in the file of each row
        (None when a quoted cell spans lines, so that rows and lines cannot be matched).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "m.maf"
    >>> _ = f.write_text("#version 2.4\nHugo_Symbol\tTumor_Sample_Barcode\nB2M\tS1\n\nTP53\tS2\n")
    >>> read_table_lines(f, what="MAF")[2].tolist()
    [3, 5]
    """
    p, text, warnings = read_text_file(path, what=what)
    # drop leading comment lines (GDC MAF '#version gdc-1.0.0'), keep everything after
    start = 0
    while text.startswith("#", start):
        nl = text.find("\n", start)
        if nl < 0:
            start = len(text)
            break
        start = nl + 1
    body = text[start:]
    if not body.strip():
        raise InputError(
            f"has no header line (only comments or blank lines), so it is not a {what}",
            source=str(p),
            fix=f"give a {what} with a header line and one row per record",
        )
    delim = sniff_delimiter(body[:200_000], source=str(p))
    numeric = set(numeric)
    header = body[: body.find("\n")] if "\n" in body else body
    # object, not str: the parser already yields str cells, and dtype=str converts again
    dtype: type | dict[str, type] = object
    if numeric:
        dtype = {c: object for c in header.split(delim) if c.strip() not in numeric}
    try:
        df = pd.read_csv(
            io.BytesIO(body.encode("utf-8")),
            sep=delim,
            dtype=dtype,
            # only the empty cell is missing here: "-" is an allele in MAF allele columns and
            # "NA" a gene panel id in cBioPortal files; numeric columns are read with the
            # shared missing-value list by genomics._numeric.parse_numeric
            keep_default_na=False,
            na_values=[""],
            low_memory=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            f"cannot be parsed as a delimited {what} ({first})",
            source=str(p),
            fix="check that every row has as many fields as the header",
        ) from None
    df.columns = [str(c).strip() for c in df.columns]
    if df.empty and not (allow_empty and len(df.columns)):
        raise InputError(
            f"has a header but no rows, so the {what} is empty",
            source=str(p),
            fix=f"give a {what} with at least one row",
        )
    lines = _row_lines(body, len(df), first=text.count("\n", 0, start) + 2)
    _refuse_repeated_header(df, lines, source=str(p), what=what)
    return df, warnings, lines


def _row_lines(body: str, n_rows: int, *, first: int) -> np.ndarray | None:
    """File line of each data row: the lines after the header, blank ones skipped (as pandas).

    ``first`` is the line number of the first line after the header. None when the count of
    non-blank lines is not the number of rows (a quoted cell spanning lines).
    """
    after = body[body.find("\n") + 1:] if "\n" in body else ""
    if "\n\n" not in after.rstrip("\n") and after.rstrip("\n").count("\n") + 1 == n_rows:
        return np.arange(first, first + n_rows)  # no blank line: the common case, no split
    parts = after.split("\n")
    kept = np.array([i for i, line in enumerate(parts) if line.strip()], dtype=int)
    return kept + first if kept.size == n_rows else None


def row_place(index: int, lines: np.ndarray | None) -> str:
    """Name a row for a message: its file line when known, else its 1-based data row.

    Examples
    --------
    >>> import numpy as np
    >>> row_place(0, np.array([3, 4])), row_place(1, None)
    ('line 3', 'data row 2')
    """
    return f"line {int(lines[index])}" if lines is not None else f"data row {index + 1}"


def _refuse_repeated_header(
    df: pd.DataFrame, lines: np.ndarray | None, *, source: str, what: str
) -> None:
    """Refuse a data row that repeats the column names (files concatenated with headers).

    A row is a header when every named column holds its own name, and at least two of the
    names hold a letter (a file without a header line, whose first record pandas takes as
    the header, would otherwise mistake a duplicated record for one).
    """
    named = [c for c in df.columns if c and not c.startswith("Unnamed:")]
    if len(named) < 2 or sum(any(ch.isalpha() for ch in c) for c in named) < 2:
        return
    first = df[df.columns[0]]
    if first.dtype != object:
        return
    hits = np.flatnonzero(first.astype(str).str.strip().eq(df.columns[0]).to_numpy(dtype=bool))
    for i in hits[:20]:
        row = df.iloc[i]
        if not all(str(row[c]).strip() == c for c in named):
            continue
        before = ""
        if i > 0 and str(df.iloc[i - 1, 0]).startswith("#"):
            before = f" after a '#' line ({row_place(i - 1, lines)})"
        raise InputError(
            f"{row_place(i, lines)} repeats the header line{before}, as when several files "
            f"are concatenated with their headers",
            source=source,
            fix=f"keep one header line: remove the repeated header (and '#') lines, or "
            f"concatenate the {what}s without their header lines",
        )


def frame_with_rows(
    frame: pd.DataFrame, *, what: str, fix: str, source: str, deep: bool = True
) -> pd.DataFrame:
    """Return a copy of ``frame`` with string column names; refuse a table without rows.

    Examples
    --------
    >>> import pandas as pd
    >>> frame_with_rows(pd.DataFrame({1: ["a"]}), what="HLA table", fix="-", source="x").columns
    Index(['1'], dtype='object')
    >>> frame_with_rows(pd.DataFrame(), what="HLA table", fix="give one row", source="x")
    Traceback (most recent call last):
    ...
    immunescape.errors.InputError: x: the HLA table has no rows; fix: give one row
    """
    if frame.empty:
        raise InputError(f"the {what} has no rows", source=source, fix=fix)
    df = frame.copy(deep=deep)
    df.columns = [str(c) for c in df.columns]
    return df


def with_sample_col(
    columns: Mapping[str, str] | None, sample_col: str | None
) -> Mapping[str, str] | None:
    """Return the column mapping with ``sample_col`` as the ``sample_id`` column (it wins).

    Examples
    --------
    >>> with_sample_col({"gene": "Symbol"}, "Patient")
    {'gene': 'Symbol', 'sample_id': 'Patient'}
    >>> with_sample_col(None, None) is None
    True
    """
    if sample_col is None:
        return columns
    return {**(columns or {}), "sample_id": sample_col}


def pick_columns(
    df: pd.DataFrame,
    *,
    aliases: Mapping[str, Iterable[str]],
    mapping: Mapping[str, str] | None,
    required: Iterable[str],
    source: str,
    what: str,
) -> dict[str, str]:
    """Find the file column for each canonical field.

    An explicit ``mapping`` (canonical name -> file column) wins; otherwise the first alias
    present in the file is used (exact match first, then case-insensitive).

    Parameters
    ----------
    df
        The table as read.
    aliases
        Canonical name -> accepted column names, in order of preference.
    mapping
        User mapping canonical name -> column name, or None.
    required
        Canonical names that must be found.
    source, what
        For messages.

    Returns
    -------
    dict
        Canonical name -> column name, for the fields found.

    Raises
    ------
    InputError
        If a mapped column is absent or a required field has no column.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame(columns=["Patient", "hugo_symbol"])
    >>> aliases = {"sample_id": ["Tumor_Sample_Barcode"], "gene": ["Hugo_Symbol"]}
    >>> pick_columns(df, aliases=aliases, mapping={"sample_id": "Patient"},
    ...              required=["sample_id", "gene"], source="x", what="MAF")
    {'sample_id': 'Patient', 'gene': 'hugo_symbol'}
    """
    cols = list(df.columns)
    lower = {c.lower(): c for c in reversed(cols)}
    found: dict[str, str] = {}
    mapping = dict(mapping or {})
    unknown_keys = sorted(set(mapping) - set(aliases))
    if unknown_keys:
        raise InputError(
            f"column mapping has unknown field(s) {', '.join(unknown_keys)}",
            source=source,
            fix=f"map only these fields: {', '.join(aliases)}",
        )
    for key, col in mapping.items():
        if col not in cols:
            raise InputError(
                f"mapped column {col!r} (for {key}) is not in the {what}",
                source=source,
                fix=f"use one of its columns: {', '.join(cols[:12])}"
                + (" ..." if len(cols) > 12 else ""),
            )
        found[key] = col
    for key, names in aliases.items():
        if key in found:
            continue
        names = list(names)
        hit = next((n for n in names if n in cols), None)
        if hit is None:
            hit = next((lower[n.lower()] for n in names if n.lower() in lower), None)
        if hit is not None and hit not in found.values():
            found[key] = hit
    missing = [k for k in required if k not in found]
    if missing:
        options = "; ".join(f"{k}: {' or '.join(list(aliases[k])[:3])}" for k in missing)
        raise InputError(
            f"{what} is missing required column(s) for {', '.join(missing)} (looked for {options})",
            source=source,
            fix="rename the column(s) or pass a column mapping, e.g. "
            f"columns={{'{missing[0]}': 'YourColumn'}}",
        )
    return found


def map_unique(values: pd.Series, func: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a vectorised string function to the distinct values only, then broadcast.

    Cohort tables repeat sample ids, genes and chromosomes millions of times; transforming the
    few distinct values is much cheaper. Missing values stay missing.

    Examples
    --------
    >>> import pandas as pd
    >>> map_unique(pd.Series([" a", "b ", " a", None]), lambda s: s.str.strip()).tolist()
    ['a', 'b', 'a', None]
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = func(pd.Series(np.asarray(uniques, dtype=object))).astype(object).to_numpy()
    mapped = np.concatenate([mapped, np.array([None], dtype=object)])
    out = mapped[np.where(codes < 0, len(mapped) - 1, codes)]
    return pd.Series(out, index=values.index, dtype=object)


def normalise_chrom(values: pd.Series) -> pd.Series:
    """Return chromosome names without a ``chr`` prefix, with 23/24 as X/Y.

    Parameters
    ----------
    values
        Chromosome names as strings.

    Returns
    -------
    pandas.Series
        Normalised names (``"1"``..``"22"``, ``"X"``, ``"Y"``, ``"MT"`` or as given).

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_chrom(pd.Series(["chr1", "23", "chrM", "x"])).tolist()
    ['1', 'X', 'MT', 'X']
    """

    def _norm(u: pd.Series) -> pd.Series:
        t = u.astype(str).str.strip().str.replace(r"^(?i:chr)", "", regex=True).str.upper()
        return t.replace({"23": "X", "24": "Y", "M": "MT"})

    return map_unique(values, _norm)


def check_chromosomes(values: pd.Series, *, source: str, column: str) -> None:
    """Refuse chromosome names no human genome has.

    ``chr23``/``chr24`` and numbers outside 1-24 are refused; a bare ``23``/``24`` is read as
    X/Y (the FACETS/PLINK convention), and contigs such as ``GL000192.1`` or ``chrUn_...``
    are accepted.

    Raises
    ------
    InputError
        On the first impossible name.

    Examples
    --------
    >>> import pandas as pd
    >>> check_chromosomes(pd.Series(["1", "chrX", "23", "GL000192.1"]), source="m", column="c")
    >>> check_chromosomes(pd.Series(["chr23"]), source="m.maf", column="Chromosome")
    Traceback (most recent call last):
    ...
    immunescape.errors.InputError: m.maf: column 'Chromosome' has chromosome 'chr23', ...
    """
    for value in pd.unique(values.dropna().astype(str)):
        v = value.strip()
        low = v.lower()
        bad = False
        if low.startswith("chr") and low[3:].isdigit():
            bad = not 1 <= int(low[3:]) <= 22
        elif v.isdigit():
            bad = not 1 <= int(v) <= 24
        elif v.lstrip("-").isdigit() or v == "":
            bad = True
        if bad and low in ("chr23", "chr24"):  # PLINK numbers X/Y 23/24, never with 'chr'
            xy = "X" if low == "chr23" else "Y"
            raise InputError(
                f"column {column!r} has chromosome {value!r}, which no human genome has "
                f"(a bare {low[3:]} is read as {xy}, the PLINK numbering; with 'chr' it is "
                f"chr{xy})",
                source=source,
                fix=f"write chr{xy} (or {low[3:]} without 'chr') in that column",
            )
        if bad:
            raise InputError(
                f"column {column!r} has chromosome {value!r}, which no human genome has",
                source=source,
                fix="use 1-22, X, Y or MT (with or without 'chr')",
            )


def split_sample_path(path: PathLike) -> tuple[str | None, PathLike]:
    """Split ``SAMPLE=FILE`` (a one-sample file with its sample id) when FILE exists.

    Examples
    --------
    >>> split_sample_path("Pt1=/no/such/file")
    (None, 'Pt1=/no/such/file')
    """
    text = str(path)
    if "=" in text and not Path(text).exists():
        sample, _, rest = text.partition("=")
        if sample and "/" not in sample and Path(rest).exists():
            return sample, Path(rest)
    return None, path


def is_true(values: pd.Series) -> np.ndarray:
    """Return a plain boolean array: True where the value is True (NA and False give False).

    Examples
    --------
    >>> import pandas as pd
    >>> is_true(pd.Series([True, pd.NA, False], dtype="boolean")).tolist()
    [True, False, False]
    """
    return values.astype(object).eq(True).to_numpy(dtype=bool)


def read_shipped_table(name: str, *, dtype: Mapping[str, type] | None = None) -> pd.DataFrame:
    """Read a tab-separated table shipped in ``immunescape/genomics/data`` (checksum verified).

    Lines starting with ``#`` are comments; ``dtype`` as in :func:`pandas.read_csv`.

    Raises only :class:`~immunescape.errors.ResourceError` for a missing or corrupt file (see
    :func:`immunescape._resources.read_resource`).

    Examples
    --------
    >>> read_shipped_table("centromeres.tsv").columns.tolist()
    ['build', 'chrom', 'length', 'cen_start', 'cen_end']
    """
    raw = read_resource("immunescape.genomics", name)
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return pd.read_csv(io.BytesIO(raw), sep="\t", comment="#", dtype=dtype)
