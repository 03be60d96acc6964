"""Every genomic reader reads the same cells as missing and refuses the same garbage.

The missing cells are what genomic tools write for "no value" (``genomics/data/
maf_vocabulary.yaml`` says which tool writes which): the empty cell (GDC MAF, pandas), ``NA``
(R: maftools, FACETS), ``NaN``/``nan`` (numpy text), ``.`` (the VCF missing value, copied by
vcf2maf), ``-`` (Ensembl VEP), ``N/A``, ``NULL`` and ``None``, in any letter case and with
spaces around them. The list below is written out here, not read from the package, so a
change of the shipped list fails this test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd
import pytest

from immunescape.cli import main
from immunescape.errors import InputError
from immunescape.genomics import (
    compute_tmb,
    read_cbioportal,
    read_cna,
    read_hla_loh,
    read_maf,
    read_segments,
)
from immunescape.genomics._gene_coords import read_gene_coords
from immunescape.genomics._numeric import missing_mask, parse_numeric
from immunescape.genomics.hgvs import parse_hgvsp

MISSING = ["", "NA", "na", "N/A", "NaN", "nan", "NULL", "None", "none", ".", "-", " NA "]
GARBAGE = ["abc", "1,5", "?", "unknown", "n.a.", "0x1F"]



@dataclass(frozen=True)
class Reader:
    """A two-row file whose first data cell of one numeric ``column`` is the cell under test
    and whose second is ``known`` (read back as ``expected``); ``read`` returns whether the
    cell was read as missing and the value read for the known cell."""

    write: Callable[[Path, str], Path]
    read: Callable[[Path], tuple[bool, float]]
    column: str
    expected: float
    cli: Callable[[Path], list[str]] | None


def _gistic_file(tmp: Path, cell: str) -> Path:
    p = tmp / "all_thresholded.by_genes.txt"
    p.write_text(f"Hugo_Symbol\tS1\tS2\nPTEN\t{cell}\t-2\n")
    return p


def _gistic_read(p: Path) -> tuple[bool, float]:
    calls = read_cna(p, resolve_genes=False).data.set_index("sample_id")["gistic"]
    return pd.isna(calls["S1"]), float(calls["S2"])


def _total_cn_file(tmp: Path, cell: str) -> Path:
    p = tmp / "gene_cn.tsv"
    p.write_text(f"sample_id\tgene\ttotal_cn\nS1\tPTEN\t{cell}\nS2\tPTEN\t3\n")
    return p


def _total_cn_read(p: Path) -> tuple[bool, float]:
    cn = read_cna(p, resolve_genes=False).data.set_index("sample_id")["total_cn"]
    return pd.isna(cn["S1"]), float(cn["S2"])


def _seg_file(tmp: Path, cell: str) -> Path:
    p = tmp / "cohort.seg"
    p.write_text("ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n"
                 f"S1\t1\t1\t1000\t10\t{cell}\nS2\t1\t1\t1000\t10\t-0.4\n")  # fmt: skip
    return p


def _seg_read(p: Path) -> tuple[bool, float]:
    log2 = read_segments(p).data.set_index("sample_id")["log2"]
    return pd.isna(log2["S1"]), float(log2["S2"])


def _facets_file(tmp: Path, cell: str) -> Path:
    p = tmp / "facets.cncf.txt"
    p.write_text("ID\tchrom\tloc.start\tloc.end\ttcn.em\tlcn.em\n"
                 f"S1\t1\t1\t1000\t2\t{cell}\nS2\t1\t1\t1000\t2\t1\n")  # fmt: skip
    return p


def _facets_read(p: Path) -> tuple[bool, float]:
    minor = read_segments(p).data.set_index("sample_id")["minor_cn"]
    return pd.isna(minor["S1"]), float(minor["S2"])


def _loh_file(tmp: Path, cell: str) -> Path:
    p = tmp / "loh.tsv"
    p.write_text("sample_id\tallele\tcopy_number\tp_value\n"
                 f"S1\tA*02:01\t{cell}\t0.001\nS2\tA*02:01\t0.2\t0.001\n")  # fmt: skip
    return p


def _loh_read(p: Path) -> tuple[bool, float]:
    cn = read_hla_loh(p).set_index("sample_id")["copy_number"]
    return pd.isna(cn["S1"]), float(cn["S2"])


def _maf_file(tmp: Path, cell: str, *, column: str) -> Path:
    p = tmp / "m.maf"
    depth, neo = (cell, "1") if column == "t_depth" else ("80", cell)
    p.write_text("Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tt_depth\tneo\n"
                 f"B2M\tS1\tMissense_Mutation\t{depth}\t{neo}\n"
                 "B2M\tS2\tMissense_Mutation\t50\t3\n")  # fmt: skip
    return p


def _maf_read(p: Path) -> tuple[bool, float]:
    depth = read_maf(p, resolve_genes=False).data.set_index("sample_id")["t_depth"]
    return pd.isna(depth["S1"]), float(depth["S2"])


def _tmb_read(p: Path) -> tuple[bool, float]:
    mt = read_maf(p, resolve_genes=False)
    load = compute_tmb(mt, capture_mb=38.0, neoantigen_column="neo").set_index("sample_id")
    # S1's one mutation has no count: a missing count adds nothing to the load
    return load.loc["S1", "neoantigen_load"] == 0, float(load.loc["S2", "neoantigen_load"])


def _study_file(tmp: Path, cell: str) -> Path:
    d = tmp / "study"
    d.mkdir(exist_ok=True)
    (d / "meta_study.txt").write_text("cancer_study_identifier: s1\nreference_genome: hg19\n")
    (d / "meta_cna_log2.txt").write_text("genetic_alteration_type: COPY_NUMBER_ALTERATION\n"
                                         "datatype: LOG2-VALUE\ndata_filename: data_log2.txt\n")
    (d / "data_log2.txt").write_text(f"Hugo_Symbol\tS1\tS2\nPTEN\t{cell}\t-1.5\n")
    return d / "data_log2.txt"


def _study_read(p: Path) -> tuple[bool, float]:
    cna = read_cbioportal(p.parent).cna
    assert cna is not None
    calls = cna.data.set_index("sample_id")["gistic"]
    return pd.isna(calls["S1"]), float(calls["S2"])


READERS: dict[str, Reader] = {
    "gistic_matrix": Reader(_gistic_file, _gistic_read, "sample columns", -2.0,
                            lambda p: ["--cna", str(p)]),
    "cna_total_cn": Reader(_total_cn_file, _total_cn_read, "total_cn", 3.0,
                           lambda p: ["--cna", str(p)]),
    "segments_log2": Reader(_seg_file, _seg_read, "seg.mean", -0.4,
                            lambda p: ["--segments", str(p)]),
    "segments_minor_cn": Reader(_facets_file, _facets_read, "lcn.em", 1.0,
                                lambda p: ["--segments", str(p)]),
    "hla_loh_copy_number": Reader(_loh_file, _loh_read, "copy_number", 0.2,
                                  lambda p: ["--hla-loh", str(p)]),
    "maf_t_depth": Reader(partial(_maf_file, column="t_depth"), _maf_read, "t_depth", 50.0,
                          lambda p: ["--maf", str(p), "--capture-mb", "38"]),
    # the per-mutation neoantigen column has no command-line option (Python API only)
    "tmb_neoantigens": Reader(partial(_maf_file, column="neo"), _tmb_read, "neo", 3.0, None),
    # log2 -1.5 is below the CNVkit deep-deletion cut-off (-1.1): call -2
    "cbioportal_log2": Reader(_study_file, _study_read, "S1", -2.0,
                              lambda p: ["--cbioportal", str(p.parent), "--capture-mb", "38"]),
}  # fmt: skip


@pytest.mark.parametrize("cell", MISSING)
@pytest.mark.parametrize("name", list(READERS))
def test_every_reader_reads_the_same_cells_as_missing(tmp_path, name, cell):
    reader = READERS[name]
    missing, known = reader.read(reader.write(tmp_path, cell))
    assert missing, (name, cell)
    assert known == pytest.approx(reader.expected)


@pytest.mark.parametrize("cell", GARBAGE)
@pytest.mark.parametrize("name", list(READERS))
def test_every_reader_refuses_the_same_garbage_in_one_line(tmp_path, name, cell):
    reader = READERS[name]
    path = reader.write(tmp_path, cell)
    with pytest.raises(InputError) as info:
        reader.read(path)
    msg = str(info.value)
    assert "\n" not in msg and "fix:" in msg, msg
    assert msg.startswith(f"{path}:"), msg
    assert repr(cell) in msg and reader.column in msg, msg


@pytest.mark.parametrize("name", [n for n, r in READERS.items() if r.cli is not None])
def test_the_command_line_exits_2_with_one_line(tmp_path, capsys, name):
    reader = READERS[name]
    path = reader.write(tmp_path, "abc")
    assert reader.cli is not None
    code = main(["genomics", "-o", str(tmp_path / "out"), *reader.cli(path)])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1, err
    assert str(path) in err and "'abc'" in err and "fix:" in err, err
    assert not (tmp_path / "out" / "genomic_events.tsv").exists()


def test_gene_coordinates_refuse_garbage_and_missing_positions(tmp_path):
    # positions are required: a missing one is refused too, with its data row
    for cell, words in (("abc", "'abc'"), ("NA", "missing positions (data row 1)")):
        p = tmp_path / "genes.tsv"
        p.write_text(f"gene\tchrom\tstart\tend\nPTEN\t10\t{cell}\t89728532\n")
        with pytest.raises(InputError, match="start") as info:
            read_gene_coords(p, resolve_genes=False)
        assert words in str(info.value)


def test_hgvsp_reads_the_same_cells_as_missing_and_keeps_hgvs_values():
    parsed = parse_hgvsp(pd.Series([*MISSING, "p.?", "p.=", "p.0"]))
    n = len(MISSING)
    assert parsed["hgvsp_short"][:n].isna().all()
    assert not parsed["malformed"].any()
    # "?", "=" and "0" are HGVS values (effect unknown, no change, no protein), not missing
    assert parsed["kind"][n:].tolist() == ["unknown", "synonymous", "no_protein"]


def test_parse_numeric_agrees_with_the_mask_and_pandas():
    cells = pd.Series([*MISSING, *GARBAGE, "7", "-2", "1e3", "0.25", " 4 "])
    col = parse_numeric(cells)
    miss = missing_mask(cells)
    assert miss.tolist() == [True] * len(MISSING) + [False] * (len(GARBAGE) + 5)
    assert col.bad.tolist() == [False] * len(MISSING) + [True] * len(GARBAGE) + [False] * 5
    # the numbers are pandas' reading of the trimmed cells
    expected = pd.to_numeric(cells.str.strip().where(~miss), errors="coerce")
    pd.testing.assert_series_equal(col.numbers, expected.astype(float), check_names=False)
    assert col.examples == ("abc", "1,5", "?")
