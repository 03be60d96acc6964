"""Bad input gives one-line InputErrors naming the file, the problem and the fix."""

from __future__ import annotations

import pytest

from immunescape.errors import InputError
from immunescape.genomics import read_maf, run_genomics

from .conftest import maf_frame, write_maf


def _check(err: pytest.ExceptionInfo, path, *words: str) -> None:
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}:"), msg
    assert "fix:" in msg
    for w in words:
        assert w in msg, msg


def test_missing_required_column(tmp_path):
    f = maf_frame([("B2M", "S1", "Frame_Shift_Del", "p.L13fs", "15", 1, "T", "-")])
    p = tmp_path / "m.maf"
    write_maf(p, f.drop(columns="Variant_Classification"))
    with pytest.raises(InputError) as err:
        read_maf(p)
    _check(err, p, "variant_class", "Variant_Classification", "columns=")


def test_mapped_column_absent(tmp_path):
    p = tmp_path / "m.maf"
    write_maf(p, maf_frame([("B2M", "S1", "Frame_Shift_Del", None, "15", 1, "T", "-")]))
    with pytest.raises(InputError) as err:
        read_maf(p, columns={"hgvsp": "HGVS_p"})
    _check(err, p, "'HGVS_p'")


def test_unknown_variant_classes(tmp_path):
    p = tmp_path / "m.maf"
    rows = [("B2M", "S1", "Weird_Class", None, "15", 1, "T", "-"),
            ("B2M", "S1", "missense_variant&made_up_term", None, "15", 2, "T", "C")]  # fmt: skip
    write_maf(p, maf_frame(rows))
    with pytest.raises(InputError) as err:
        read_maf(p)
    _check(err, p, "unknown variant class", "'Weird_Class' (1 rows)", "Sequence Ontology")


def test_missing_variant_class(tmp_path):
    p = tmp_path / "m.maf"
    write_maf(p, maf_frame([("B2M", "S1", None, None, "15", 1, "T", "-")]))
    with pytest.raises(InputError) as err:
        read_maf(p)
    _check(err, p, "no variant class")


def test_malformed_hgvs(tmp_path):
    p = tmp_path / "m.maf"
    write_maf(p, maf_frame([("RPS17", "S1", "Missense_Mutation", "p.Met1XXX", "15", 1, "G", "A")]))
    with pytest.raises(InputError) as err:
        read_maf(p)
    _check(err, p, "not protein HGVS", "'p.Met1XXX'", "on_malformed_hgvs='blank'")
    mt = read_maf(p, on_malformed_hgvs="blank")
    assert mt.data.loc[0, "hgvsp_short"] is None
    assert "malformed" in mt.notes[0]


def test_non_numeric_position(tmp_path):
    p = tmp_path / "m.maf"
    write_maf(p, maf_frame([("B2M", "S1", "Silent", None, "15", "12,345", "T", "C")]))
    with pytest.raises(InputError) as err:
        read_maf(p)
    _check(err, p, "Start_Position", "'12,345'")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", ("empty (0 bytes)",)),
        ("#version gdc-1.0.0\n#another comment\n", ("no header line",)),
        ("\t".join(["Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification"]) + "\n",
         ("no rows",)),
    ],
)  # fmt: skip
def test_empty_maf(tmp_path, content, words):
    p = tmp_path / "empty.maf"
    p.write_text(content)
    with pytest.raises(InputError) as err:
        read_maf(p)
    _check(err, p, *words)


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as err:
        read_maf(tmp_path / "nope.maf")
    _check(err, tmp_path / "nope.maf", "not found")


def test_binary_file(tmp_path):
    p = tmp_path / "m.parquet"
    p.write_bytes(b"PAR1" + b"\x00" * 20)
    with pytest.raises(InputError) as err:
        read_maf(p)
    _check(err, p, "parquet")


@pytest.mark.parametrize("capture", [None, -38.0, 0.0])
def test_negative_or_absent_capture(tmp_path, capture):
    p = tmp_path / "m.maf"
    write_maf(p, maf_frame([("B2M", "S1", "Frame_Shift_Del", "p.L13fs", "15", 1, "T", "-")]))
    with pytest.raises(InputError) as err:
        run_genomics(maf=p, capture_mb=capture)
    msg = str(err.value)
    assert msg.startswith("capture_mb:") and "\n" not in msg and "fix:" in msg


def test_sample_id_missing(tmp_path):
    p = tmp_path / "m.maf"
    write_maf(p, maf_frame([("B2M", None, "Frame_Shift_Del", "p.L13fs", "15", 1, "T", "-")]))
    with pytest.raises(InputError) as err:
        read_maf(p)
    _check(err, p, "no sample id")
