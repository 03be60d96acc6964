"""io._files, the one opener of table files: the text helper the genomic readers use.

Expected values are written out from the encodings' definitions (Python's codecs are the
reference for UTF-16/Latin-1 bytes), not from earlier output of the readers.
"""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from immunescape.errors import InputError
from immunescape.io._files import read_text_file
from immunescape.io._tables import read_string_table

TEXT = "Hugo_Symbol\tTumor_Sample_Barcode\nB2M\tS1\nJAK1\tS2\n"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("utf8.maf", TEXT.encode("utf-8")),
        ("bom.maf", b"\xef\xbb\xbf" + TEXT.encode("utf-8")),
        ("crlf.maf", TEXT.replace("\n", "\r\n").encode("utf-8")),
        ("cr.maf", TEXT.replace("\n", "\r").encode("utf-8")),
        ("utf16.maf", TEXT.encode("utf-16")),  # with byte-order mark
        ("utf16le.maf", TEXT.encode("utf-16-le")),  # without: NUL in every other byte
        ("gz.maf.gz", gzip.compress(TEXT.encode("utf-8"))),
    ],
)
def test_read_text_file_decodes_every_supported_form(tmp_path, name, raw):
    path = tmp_path / name
    path.write_bytes(raw)
    p, text, warnings = read_text_file(path, what="MAF")
    assert p == path and text == TEXT and warnings == []


def test_read_text_file_latin1_is_decoded_with_a_warning(tmp_path):
    path = tmp_path / "latin.maf"
    path.write_bytes("gene\tnote\nB2M\tb\u00eata\n".encode("latin-1"))
    _, text, warnings = read_text_file(path, what="MAF")
    assert text == "gene\tnote\nB2M\tb\u00eata\n"
    assert warnings == ["latin.maf: not valid UTF-8; decoded as Latin-1"]


def test_read_text_file_refuses_parquet_and_empty_files(tmp_path):
    parquet = tmp_path / "x.maf"
    pd.DataFrame({"a": [1]}).to_parquet(parquet)
    with pytest.raises(InputError, match="is a parquet file, but a MAF must be a delimited"):
        read_text_file(parquet, what="MAF")
    empty = tmp_path / "empty.maf"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_text_file(empty, what="MAF")


def test_read_string_table_keeps_cells_as_text_and_r_row_names(tmp_path):
    path = tmp_path / "clin.csv"
    path.write_text("recist,os\nA,SD,007\nB,,1e3\n")  # header one field short: R row names
    df, warnings, duplicated = read_string_table(path, what="clinical table")
    assert list(df.columns) == ["", "recist", "os"]
    assert df.to_dict("list") == {"": ["A", "B"], "recist": ["SD", ""], "os": ["007", "1e3"]}
    assert warnings == [] and duplicated == {}


def test_read_string_table_refuses_h5ad(tmp_path):
    path = tmp_path / "clin.h5ad"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(InputError, match="is an h5ad file, not a clinical table"):
        read_string_table(path, what="clinical table")


def test_read_text_file_judges_by_content_not_suffix(tmp_path):
    # LOHHLA writes its tab-separated results as '*.xls'
    path = tmp_path / "T1.HLAlossPrediction_CI.xls"
    path.write_text(TEXT)
    assert read_text_file(path, what="LOHHLA table")[1] == TEXT
    gz_parquet = tmp_path / "x.maf.gz"
    buffer = tmp_path / "p.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(buffer)
    gz_parquet.write_bytes(gzip.compress(buffer.read_bytes()))
    with pytest.raises(InputError, match="is a parquet file"):
        read_text_file(gz_parquet, what="MAF")
    binary = tmp_path / "b.maf"
    binary.write_bytes(b"\x00\x01\x02\x03" * 64)
    with pytest.raises(InputError, match="is a binary file"):
        read_text_file(binary, what="MAF")
