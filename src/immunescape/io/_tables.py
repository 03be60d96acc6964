"""Reading a user's table file into a DataFrame: cells as text, numbers, or parquet.

Built on :mod:`immunescape.io._files` (checks, format detection, decoding, delimiters):
:func:`read_string_table` (every cell as text, for clinical tables), :func:`read_numeric_text`
(numbers parsed, for expression matrices) and :func:`read_parquet_table`.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from immunescape.errors import InputError
from immunescape.io._files import (
    check_file,
    delimiter_name,
    detect_format,
    read_head,
    read_text,
    sniff_delimiter,
    text_codec,
)

__all__ = ["read_numeric_text", "read_parquet_table", "read_string_table"]


def _parse_error(exc: pd.errors.ParserError, delimiter: str, source: str) -> InputError:
    detail = " ".join(str(exc).split())
    return InputError(
        f"cannot be parsed as a {delimiter_name(delimiter)}-separated table ({detail})",
        source=source,
        fix="make every line have as many fields as the header (quote fields that contain "
        "the delimiter)",
    )


def _comment_lines(head: str, delimiter: str) -> int:
    r"""Count the leading '#' lines that are comments, not a header (e.g. featureCounts').

    A leading line starting with '#' is a comment when it splits into another number of
    fields than the first line that does not start with '#' (a header such as
    ``#gene<TAB>S1<TAB>S2`` splits like the rows below it and is kept).

    Examples
    --------
    >>> _comment_lines("# Program:featureCounts v2\nGeneid\tLength\tS1\nA\t1\t2\n", "\t")
    1
    >>> _comment_lines("#gene\tS1\tS2\nCD274\t1\t2\n", "\t")
    0
    """
    lines = head.split("\n")
    n = 0
    while n < len(lines) - 1 and lines[n].startswith("#"):
        n += 1
    if n == 0 or n >= len(lines) - 1:
        return 0
    width = len(lines[n].split(delimiter))
    k = 0
    while k < n and len(lines[k].split(delimiter)) != width:
        k += 1
    return k


def _no_table(source: str) -> InputError:
    return InputError("no table in the file", source=source, fix="give a table with a header line")


def read_parquet_table(path: Path, *, source: str) -> tuple[pd.DataFrame, list[str]]:
    """Read a parquet file; a stored index becomes the leading column(s).

    Parameters
    ----------
    path
        An existing parquet file.
    source
        File name for messages.

    Returns
    -------
    tuple
        The table (default integer index) and its column names as text, in the order of the
        file's schema.

    Raises
    ------
    InputError
        The file cannot be read as parquet.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x.parquet"
    >>> pd.DataFrame({"S1": [1.0]}, index=pd.Index(["CD274"], name="gene")).to_parquet(f)
    >>> read_parquet_table(f, source="x.parquet")[1]
    ['gene', 'S1']
    """
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
        names = index_names + [n for n in names if n not in index_names]
    if len(names) != df.shape[1]:
        names = [str(c) for c in df.columns]
    return df, names


class StringTable(NamedTuple):
    """A table read with every cell as text (:func:`read_string_table`)."""

    df: pd.DataFrame
    warnings: list[str]
    #: header names given to more than one column -> the names the columns were read under
    #: (pandas' ``name``, ``name.1``, ...), so a caller can refuse to use such a column
    duplicated: dict[str, list[str]]


def read_string_table(path: str | os.PathLike[str], *, what: str = "table") -> StringTable:
    r"""Read a delimited text (optionally gzip) or parquet table with every cell as text.

    Empty cells are empty strings; parquet cells keep their values (missing ones as None).
    A header one field shorter than the rows (R's ``write.table`` row names) gives the first
    column the empty name. Column names are stripped.

    Parameters
    ----------
    path
        The file. Never modified.
    what
        What the file should be, for messages (e.g. ``"clinical table"``).

    Returns
    -------
    StringTable
        The table (default integer index), decoding warnings and duplicated header names.

    Raises
    ------
    InputError
        Missing, unreadable, empty or unparsable file; an h5ad file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "clin.csv"
    >>> _ = f.write_text("ID,recist\nA,SD\nB,\n")
    >>> read_string_table(f).df.to_dict("list")
    {'ID': ['A', 'B'], 'recist': ['SD', '']}
    >>> _ = f.write_text("ID,recist,recist\nA,SD,PD\n")
    >>> read_string_table(f).duplicated
    {'recist': ['recist', 'recist.1']}
    """
    p = check_file(path)
    source = str(path)
    fmt, gz = detect_format(p)
    warnings: list[str] = []
    raw_names: list[str] = []
    if fmt == "parquet":
        df, _ = read_parquet_table(p, source=source)
        df = df.astype(object).where(df.notna(), None)
    elif fmt == "h5ad":
        raise InputError(
            f"is an h5ad file, not a {what}",
            source=source,
            fix=f"give the {what} as TSV/CSV (or parquet)",
        )
    else:
        text, warnings = read_text(p, gz=gz)
        text, skipped = _skip_cbioportal_header(text)
        if skipped:
            warnings.append(f"{skipped} leading '#' lines (cBioPortal attribute names, "
                            "descriptions, types and priorities) skipped")
        delimiter = sniff_delimiter(text, source=source)
        try:
            df = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=True,
            )
        except pd.errors.EmptyDataError:
            raise _no_table(source) from None
        except pd.errors.ParserError as exc:
            raise InputError(
                f"cannot be parsed as a table ({' '.join(str(exc).split())})",
                source=source,
                fix="make every line have as many fields as the header",
            ) from None
        raw_names = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
        if not isinstance(df.index, pd.RangeIndex):  # header one field short: R row names
            df = df.reset_index()
            df = df.rename(columns={df.columns[0]: ""})
            raw_names = ["", *raw_names]
    df.columns = [str(c).strip() for c in df.columns]
    duplicated: dict[str, list[str]] = {}
    if len(raw_names) == len(df.columns):  # pandas renamed repeated names 'x' -> 'x.1', ...
        for raw, name in zip(raw_names, df.columns, strict=True):
            if raw.strip() and [r.strip() for r in raw_names].count(raw.strip()) > 1:
                duplicated.setdefault(raw.strip(), []).append(str(name))
    blank = df.apply(lambda c: c.map(lambda v: v is None or not str(v).strip())).all(axis=1)
    if len(df.columns) and blank.any():  # Excel saves ';;;;' lines below a table
        first = int(blank.to_numpy().argmax()) + 1
        warnings.append(f"{int(blank.sum())} rows with every cell empty dropped (first: data "
                        f"row {first})")
        df = df.loc[~blank].reset_index(drop=True)
    return StringTable(df, warnings, duplicated)


def _skip_cbioportal_header(text: str) -> tuple[str, int]:
    r"""Drop the ``#`` metadata lines heading a cBioPortal clinical file.

    cBioPortal's ``data_clinical_*.txt`` start with four (or five) lines beginning with
    ``#``: display names, descriptions, datatypes and priorities, one field per column,
    then the header. Leading ``#`` lines are dropped when there are at least two and each
    has as many tab-separated fields as the header line after them; a single ``#`` line is
    left alone (it may be the header itself).

    Examples
    --------
    >>> meta = "#Sample Id\tOS\n#Id\tOS months\n#STRING\tNUMBER\n#1\t1\n"
    >>> _skip_cbioportal_header(meta + "SAMPLE_ID\tOS_MONTHS\nA\t3\n")
    ('SAMPLE_ID\tOS_MONTHS\nA\t3\n', 4)
    >>> _skip_cbioportal_header("#sample\trecist\nA\tPD\n")[1]
    0
    """
    lines = text.split("\n", 50)
    n = 0
    while n < len(lines) - 1 and lines[n].startswith("#"):
        n += 1
    if n < 2 or n >= len(lines) or not lines[n].strip():
        return text, 0
    fields = lines[n].rstrip("\r").count("\t")
    if any(line.rstrip("\r").count("\t") != fields for line in lines[:n]):
        return text, 0
    return text.split("\n", n)[n], n


def read_numeric_text(
    path: Path, *, gz: bool, source: str
) -> tuple[pd.DataFrame, list[str], str, list[str]]:
    r"""Read a delimited text matrix with pandas' type inference (numbers parsed).

    GCT's two leading lines (``#1.2`` and the dimensions) are skipped; the codec (UTF-8,
    UTF-16/32, else Latin-1 with a warning) and the delimiter are detected.

    Parameters
    ----------
    path
        An existing text file.
    gz
        Whether it is gzip-compressed.
    source
        File name for messages.

    Returns
    -------
    tuple
        The table (a header one field short, R style, gives the first column the empty
        name), the header's names as text, the delimiter, and decoding warnings.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = f.write_text("S1,S2\nCD274,1,2\n")
    >>> df, names, delimiter, _ = read_numeric_text(f, gz=False, source="x.csv")
    >>> names, delimiter, df.shape
    (['', 'S1', 'S2'], ',', (1, 3))
    """
    head = read_head(path, gz=gz)
    if head.startswith(("!Series_", "!Sample_")) or "\n!series_matrix_table_begin" in head:
        raise InputError(
            "is a GEO series matrix ('!Series_' header lines), not a plain expression table",
            source=source,
            fix="keep only the table between '!series_matrix_table_begin' and "
            "'!series_matrix_table_end' (e.g. GEOquery's exprs()), with gene symbols or "
            "Ensembl ids as row names",
        )
    skip = 2 if head.startswith("#1.2") else 0  # GCT: version line and dimensions line
    body = head.split("\n", skip)[-1] if skip else head
    delimiter = sniff_delimiter(body, source=source)
    warn: list[str] = []
    if not skip:
        skip = _comment_lines(head, delimiter)
        if skip:
            warn.append(f"{path.name}: {skip} leading comment line(s) starting with '#' skipped")
    options: dict[str, Any] = {
        "sep": delimiter,
        "skiprows": skip,
        "compression": "gzip" if gz else None,
        "skip_blank_lines": True,
    }

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
        raise _no_table(source) from None
    except pd.errors.ParserError as exc:
        raise _parse_error(exc, delimiter, source) from None
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
    return df, raw_names, delimiter, warn
