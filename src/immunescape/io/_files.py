"""Opening user files: existence checks, format detection, text decoding and delimiters.

This is the one place that opens a user's table file: it checks the file, recognises its
format by its leading bytes (gzip, parquet, HDF5/h5ad, zip/Excel, UTF-16/32 text), decodes
text (UTF-8 with or without a byte-order mark, UTF-16/32, else Latin-1), normalises line
endings and sniffs the delimiter. The expression, clinical and genomic readers build on it:
:mod:`immunescape.io._tables` (tables as text or numbers) and :func:`read_text_file`
(checked and decoded text, for genomic tables).

Nothing here writes to the input file; every reader opens it read-only.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import zlib
from pathlib import Path
from typing import Literal

from immunescape.errors import InputError

__all__ = [
    "Format", "check_file", "decode_text", "delimiter_name", "detect_format", "read_head",
    "read_text",
    "read_text_file", "sniff_delimiter", "text_codec", "utf16_codec",
]  # fmt: skip

Format = Literal["text", "parquet", "h5ad"]

_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_ZIP_MAGIC = b"PK\x03\x04"
_BINARY_MAGIC = ((_PARQUET_MAGIC, "parquet"), (b"\x89HDF", "HDF5/h5ad"), (_ZIP_MAGIC, "zip/Excel"))
_SUPPORTED = "TSV/CSV text (optionally .gz), parquet or h5ad"


def check_file(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a Path after checking that it is a readable, non-empty file.

    Parameters
    ----------
    path
        The file to read.

    Returns
    -------
    pathlib.Path
        The same path.

    Raises
    ------
    InputError
        If the file is missing, a directory, unreadable or empty.

    Examples
    --------
    >>> try:
    ...     check_file("/no/such/file.tsv")
    ... except InputError as err:
    ...     print(err)
    /no/such/file.tsv: file not found; fix: check the path (and the current directory)
    """
    p = Path(path)
    if not p.exists():
        raise InputError(
            "file not found", source=str(p), fix="check the path (and the current directory)"
        )
    if p.is_dir():
        raise InputError("is a directory, not a file", source=str(p), fix="give the file itself")
    if not os.access(p, os.R_OK):
        raise InputError(
            "file cannot be read (permission denied)",
            source=str(p),
            fix="make it readable (chmod u+r) or copy it somewhere readable",
        )
    if p.stat().st_size == 0:
        raise InputError("file is empty (0 bytes)", source=str(p), fix="give a non-empty table")
    return p


def _head(path: Path, n: int = 8) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(n)
    except OSError as exc:
        raise InputError(
            f"file cannot be read ({exc.strerror or exc})",
            source=str(path),
            fix="check the file's permissions and that the disk is readable",
        ) from None


def detect_format(path: Path) -> tuple[Format, bool]:
    r"""Return the format of ``path`` and whether it is gzip-compressed.

    The leading bytes decide first (gzip, parquet, HDF5/h5ad, zip/xlsx); the suffix decides
    for plain text.

    Parameters
    ----------
    path
        An existing file.

    Returns
    -------
    tuple
        (``"text"``, ``"parquet"`` or ``"h5ad"``; True if gzip-compressed).

    Raises
    ------
    InputError
        For formats that are not supported (Excel, RDS, zip, binary files).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x.tsv"
    >>> _ = f.write_text("gene\ts1\nCD274\t1\n")
    >>> detect_format(f)
    ('text', False)
    """
    head = _head(path)
    name = path.name.lower()
    if head.startswith(_PARQUET_MAGIC):
        return "parquet", False
    if head.startswith(_HDF5_MAGIC):
        return "h5ad", False
    if head.startswith(_ZIP_MAGIC):
        raise InputError(
            "is a zip archive or an Excel workbook, which is not supported",
            source=str(path),
            fix=f"export the table as {_SUPPORTED}",
        )
    if head.startswith(_GZIP_MAGIC):
        return "text", True
    if name.endswith((".rds", ".rda", ".rdata", ".xls", ".xlsx", ".loom", ".zarr", ".mtx")):
        raise InputError(
            f"unsupported file type {path.suffix!r}",
            source=str(path),
            fix=f"export the table as {_SUPPORTED}",
        )
    if name.endswith((".parquet", ".pq", ".h5ad", ".h5")):
        raise InputError(
            f"the file name says {path.suffix!r} but the content is not in that format",
            source=str(path),
            fix="re-export the file, or rename it after its real format",
        )
    if b"\x00" in head and utf16_codec(_head(path, 4096)) is None:
        raise InputError(
            "is a binary file of an unknown format",
            source=str(path),
            fix=f"give the table as {_SUPPORTED}",
        )
    return "text", False


def read_head(path: Path, *, gz: bool, nbytes: int = 262_144) -> str:
    r"""Return the first ``nbytes`` of a text file, decoded, with LF line endings.

    Parameters
    ----------
    path
        The file.
    gz
        Whether it is gzip-compressed.
    nbytes
        How many (decompressed) bytes to read.

    Returns
    -------
    str
        The decoded start of the file (a partial last line may be cut).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = f.write_bytes(b"a,b\r1,2\r")
    >>> read_head(f, gz=False)
    'a,b\n1,2\n'
    """
    raw = _read_bytes(path, gz=gz, nbytes=nbytes)
    encoding = utf16_codec(raw)
    if encoding is not None:
        raw = raw[: len(raw) - len(raw) % (4 if "32" in encoding else 2)]
    text = raw.decode(encoding or "utf-8-sig", errors="replace")
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def text_codec(path: Path, *, gz: bool) -> str | None:
    """Return the UTF-16/32 codec of a text file (see :func:`utf16_codec`), else None."""
    try:
        return utf16_codec(_read_bytes(path, gz=gz, nbytes=4096))
    except InputError:
        return None  # the reader reports the problem


def _read_bytes(path: Path, *, gz: bool, nbytes: int | None = None) -> bytes:
    """Return the (decompressed) bytes of ``path``, all of them or the first ``nbytes``."""
    try:
        if gz:
            with gzip.open(path, "rb") as handle:
                return handle.read(-1 if nbytes is None else nbytes)
        with open(path, "rb") as handle:
            return handle.read(-1 if nbytes is None else nbytes)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(
            f"cannot be decompressed or read ({exc})",
            source=str(path),
            fix="check the download is complete (gzip -t FILE) or give it uncompressed",
        ) from None


def read_text(path: Path, *, gz: bool) -> tuple[str, list[str]]:
    r"""Decode a (possibly gzip-compressed) text file and normalise its line endings.

    UTF-8 is tried first (a byte-order mark is removed); files that are not valid UTF-8 are
    decoded as Latin-1 (Excel on Windows) with a warning. Old Mac (CR) and Windows (CRLF)
    line endings become LF.

    Parameters
    ----------
    path
        The file.
    gz
        Whether it is gzip-compressed.

    Returns
    -------
    tuple
        The decoded text, and a list of warnings.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = f.write_bytes(b"a,b\r1,2\r")
    >>> read_text(f, gz=False)
    ('a,b\n1,2\n', [])
    """
    return decode_text(_read_bytes(path, gz=gz), name=path.name)


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
)  # fmt: skip


def utf16_codec(raw: bytes) -> str | None:
    """Return the UTF-16/32 codec of ``raw``, else None.

    Recognised by byte-order mark, or by NUL bytes in every other place of ASCII text, as
    Excel's "Unicode text" writes it.
    """
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return codec
    sample = raw[:4096]
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be"
    return None


def decode_text(raw: bytes, *, name: str) -> tuple[str, list[str]]:
    r"""Decode bytes as UTF-8 (byte-order mark removed), UTF-16/32, else Latin-1.

    UTF-16 and UTF-32 are recognised by their byte-order mark (Excel's "Unicode text"
    export) or, without one, by NUL bytes in every other position. Line endings become LF.

    Examples
    --------
    >>> decode_text(b"a\tb\r\n1\t2\r", name="x.tsv")
    ('a\tb\n1\t2\n', [])
    >>> decode_text("gene\ts1\r\n".encode("utf-16"), name="x.txt")
    ('gene\ts1\n', [])
    """
    warnings: list[str] = []
    encoding = utf16_codec(raw)
    try:
        if encoding is not None:
            text = raw.decode(encoding).lstrip("\ufeff")
        else:
            text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        if encoding is not None:
            raise InputError(
                f"looks like {encoding.upper()} text but cannot be decoded as such",
                source=name,
                fix="save the table as UTF-8 text (e.g. 'CSV UTF-8' in Excel)",
            ) from None
        text = raw.decode("latin-1")
        warnings.append(f"{name}: not valid UTF-8; decoded as Latin-1")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, warnings


def sniff_delimiter(text: str, *, source: str) -> str:
    r"""Return the field delimiter of a delimited text table (tab, comma, semicolon or pipe).

    The delimiter is the candidate that splits the first lines into the same number (> 1) of
    fields most often; ties prefer tab, then comma.

    Parameters
    ----------
    text
        The start of the file (decoded, LF line endings).
    source
        File name for messages.

    Returns
    -------
    str
        The delimiter.

    Raises
    ------
    InputError
        If no candidate delimiter splits the header into at least two fields.

    Examples
    --------
    >>> sniff_delimiter("gene,s1,s2\nCD274,1,2\n", source="x.csv")
    ','
    """
    lines = [line for line in text[:200_000].split("\n")[:50] if line.strip()]
    lines = [line for line in lines if not line.startswith("#")] or lines
    best: tuple[float, str] | None = None
    for rank, delim in enumerate(("\t", ",", ";", "|")):
        try:
            rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
        except csv.Error:
            continue
        counts = [len(r) for r in rows if r]
        if not counts or counts[0] < 2:
            continue
        # fraction of lines whose field count equals the header's (or header + 1, R style)
        same = sum(c in (counts[0], counts[0] + 1) for c in counts) / len(counts)
        score = same * 10 - rank * 1e-3
        if best is None or score > best[0]:
            best = (score, delim)
    if best is None:
        raise InputError(
            "cannot find a field delimiter (tab, comma, semicolon or pipe) in the header",
            source=source,
            fix="give a delimited table with a header line, e.g. tab-separated",
        )
    return best[1]


def delimiter_name(delimiter: str) -> str:
    r"""Return the delimiter's name for messages (``"tab"``, ``"comma"``, ...).

    Examples
    --------
    >>> delimiter_name("\t"), delimiter_name(";")
    ('tab', 'semicolon')
    """
    return {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(delimiter, delimiter)


def read_text_file(path: str | os.PathLike[str], *, what: str) -> tuple[Path, str, list[str]]:
    r"""Check a delimited text file (optionally gzip) and return it decoded, LF line endings.

    For readers that parse the text themselves (the genomic tables): the same file checks
    and decoding as every other reader, and a clear refusal of parquet, HDF5/h5ad, zip/Excel
    and other binary content. The format is judged by content alone, never by the suffix
    (tools write tab-separated text under names such as ``.xls``).

    Parameters
    ----------
    path
        The file. Never modified.
    what
        What the file should be, for messages (e.g. ``"MAF"``).

    Returns
    -------
    tuple
        The path, the decoded text and decoding warnings.

    Raises
    ------
    InputError
        Missing, unreadable, empty, binary or non-text file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "m.maf"
    >>> _ = f.write_bytes(b"Hugo_Symbol\tTumor_Sample_Barcode\r\nB2M\tS1\r\n")
    >>> read_text_file(f, what="MAF")[1:]
    ('Hugo_Symbol\tTumor_Sample_Barcode\nB2M\tS1\n', [])
    """
    p = check_file(path)
    raw = _read_bytes(p, gz=_head(p).startswith(_GZIP_MAGIC))
    # by content only: genomic tools write text under other suffixes (LOHHLA's '.xls')
    for magic, kind in _BINARY_MAGIC:
        if raw.startswith(magic):
            raise InputError(
                f"is a {kind} file, but a {what} must be a delimited text table",
                source=str(p),
                fix="export it as a tab-separated text file",
            )
    if b"\x00" in raw[:4096] and utf16_codec(raw) is None:
        raise InputError(
            "is a binary file", source=str(p), fix=f"give the {what} as a tab-separated text file"
        )
    text, warnings = decode_text(raw, name=p.name)
    return p, text, warnings
