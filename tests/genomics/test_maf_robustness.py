"""Issue-9 findings on MAFs: malformed HGVSp as a warning with rows, invalid values refused."""

from __future__ import annotations

import io
import json
import warnings

import pandas as pd
import pytest

from immunescape.cli import main
from immunescape.errors import ImmunescapeWarning, InputError
from immunescape.genomics import read_maf, read_segments, run_genomics

from .conftest import maf_frame, write_maf

ROWS = [("B2M", "S1", "Frame_Shift_Del", "p.L13fs", "15", 100 + i, "T", "-") for i in range(5)]


def _cli(capsys, *args):
    code = main([str(a) for a in args])
    cap = capsys.readouterr()
    return code, cap.err


def test_minority_of_malformed_hgvsp_is_a_warning_with_rows(tmp_path):
    f = maf_frame(ROWS + [("RPS17", "S1", "Missense_Mutation", "p.Met1XXX", "15", 1, "G", "A")])
    p = tmp_path / "m.maf"
    write_maf(p, f)
    mt = read_maf(p)  # default: warn
    assert mt.malformed_hgvsp_rows == [6]
    assert mt.data.loc[5, "variant_class"] == "Missense_Mutation"  # from Variant_Classification
    assert mt.data.loc[5, "hgvsp_short"] is None
    with pytest.warns(ImmunescapeWarning, match="data rows 6"):
        res = run_genomics(maf=mt, capture_mb=1.0)
    assert res.provenance["inputs"]["maf"]["malformed_hgvsp_rows"] == [6]
    # read from a file, the refusal names the file line: '#version' line, header, 6th row
    with pytest.raises(InputError, match=r"\(line 8\)"):
        read_maf(p, on_malformed_hgvs="raise")


def test_majority_of_malformed_values_is_refused(tmp_path):
    p = tmp_path / "m.maf"
    write_maf(p, maf_frame([(g, "S1", "Silent", "silent", "1", i + 1, "A", "G")
                            for i, g in enumerate(["B2M", "JAK1", "JAK2"])]))  # fmt: skip
    with pytest.raises(InputError, match="probably not HGVSp"):
        read_maf(p)
    assert read_maf(p, on_malformed_hgvs="blank").data["hgvsp_short"].isna().all()


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [("Start_Position", -5, "negative"), ("t_depth", -1, "negative"),
     ("Chromosome", "chr23", "'chr23'"), ("Chromosome", "0", "'0'")],
)  # fmt: skip
def test_invalid_maf_values_exit_2(tmp_path, capsys, column, value, words):
    f = maf_frame(ROWS)
    f[column] = f[column].astype(object)
    f.loc[2, column] = value
    p = tmp_path / "m.maf"
    write_maf(p, f)
    before = p.read_bytes()
    code, err = _cli(capsys, "genomics", "--maf", p, "--capture-mb", "1", "-o", tmp_path / "o")
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1
    assert p.read_bytes() == before and not (tmp_path / "o").exists()


def test_negative_segment_start_exit_2(tmp_path, capsys):
    p = tmp_path / "s.seg"
    p.write_text("ID\tchrom\tloc.start\tloc.end\tseg.mean\nS1\t1\t-10\t100\t0.1\n")
    code, err = _cli(capsys, "genomics", "--segments", p, "-o", tmp_path / "o")
    assert code == 2 and "negative" in err
    with pytest.raises(InputError, match="chromosome 'chr23'"):
        p.write_text("ID\tchrom\tloc.start\tloc.end\tseg.mean\nS1\tchr23\t1\t100\t0.1\n")
        read_segments(p)


def test_bare_23_is_x_in_segments(tmp_path):
    p = tmp_path / "facets.tsv"
    p.write_text("ID\tchrom\tloc.start\tloc.end\ttcn.em\tlcn.em\nS1\t23\t1\t100\t1\t0\n")
    assert read_segments(p).data["chrom"].tolist() == ["X"]


@pytest.fixture
def riaz_maf(shared_data, tmp_path):
    path = shared_data / "riaz2017_bms038" / "pre_therapy_nonsynonmous_mutations.csv"
    raw = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    df = pd.read_csv(io.BytesIO(raw), dtype=str)
    maf = df.rename(columns={"Patient": "Tumor_Sample_Barcode", "Hugo Symbol": "Hugo_Symbol",
                             "Variant Classification": "Variant_Classification",
                             "HGVS_p": "HGVSp", "Chromosome": "Chromosome",
                             "Start": "Start_Position", "End": "End_Position"})  # fmt: skip
    out = tmp_path / "riaz.maf"
    maf.to_csv(out, sep="\t", index=False)
    return out


@pytest.mark.realdata
def test_riaz_table_runs_with_a_warning(riaz_maf, tmp_path, capsys):
    out = tmp_path / "o"
    code, err = _cli(capsys, "genomics", "--maf", riaz_maf, "--capture-mb", "38", "-o", out)
    assert code == 0, err
    run = json.loads((out / "run.json").read_text())
    rows = run["genomics"]["inputs"]["maf"]["malformed_hgvsp_rows"]
    assert len(rows) == 19
    assert any("19 HGVSp value(s) are not protein HGVS" in w for w in run["warnings"])
    out_run = tmp_path / "run"
    code, err = _cli(capsys, "run", "--maf", riaz_maf, "--capture-mb", "38", "-o", out_run)
    assert code == 0, err
    report = json.loads((out_run / "input_report.json").read_text())
    assert report["mutations"]["malformed_hgvsp_rows"] == rows
    code, err = _cli(capsys, "genomics", "--maf", riaz_maf, "--capture-mb", "38",
                     "--malformed-hgvs", "raise", "-o", tmp_path / "o2")
    assert code == 2 and "XXX" in err
    code, err = _cli(capsys, "genomics", "--maf", riaz_maf, "--capture-mb", "38",
                     "--malformed-hgvs", "blank", "-o", tmp_path / "o3")
    assert code == 0, err
    code, err = _cli(capsys, "genomics", "--maf", riaz_maf, "--capture-mb", "38",
                     "--malformed-hgvs", "ignore", "-o", tmp_path / "o4")
    assert code == 2 and "warn, raise or blank" in err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(read_maf(riaz_maf)) == 28589


def _maf_text(rows, comment="#version gdc-1.0.0"):
    return (comment + "\n" if comment else "") + maf_frame(rows).to_csv(sep="\t", index=False)


def test_concatenated_mafs_are_refused_at_the_repeated_header(tmp_path, capsys):
    # two GDC MAFs joined with cat: line 1 '#version', 2 header, 3-7 rows, 8 '#version',
    # 9 the header again
    p = tmp_path / "both.maf"
    p.write_text(_maf_text(ROWS) + _maf_text(ROWS[:2]))
    code, err = _cli(capsys, "genomics", "--maf", p, "--capture-mb", "1", "-o", tmp_path / "o")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "line 9 repeats the header line after a '#' line (line 8)" in err
    assert "concatenate the MAFs without their header lines" in err
    assert not (tmp_path / "o").exists()
    # without comment lines, CRLF line endings and gzip: the same line numbers
    import gzip

    q = tmp_path / "both.maf.gz"
    q.write_bytes(gzip.compress((_maf_text(ROWS, None) + _maf_text(ROWS[:2], None))
                                .replace("\n", "\r\n").encode()))
    with pytest.raises(InputError, match=r"line 7 repeats the header line, as when"):
        read_maf(q)
    # the header repeated in other tables read the same way (segments)
    s = tmp_path / "s.seg"
    seg = "ID\tchrom\tloc.start\tloc.end\tseg.mean\nS1\t1\t10\t100\t0.1\n"
    s.write_text(seg + seg)
    with pytest.raises(InputError, match="line 3 repeats the header line"):
        read_segments(s)


def test_row_errors_name_the_file_line(tmp_path):
    # '#version' line 1, header line 2, data rows from line 3; a blank line (skipped) after
    # the second row shifts the later rows by one
    lines = _maf_text(ROWS).splitlines()
    p = tmp_path / "m.maf"
    p.write_text("\n".join(lines[:4] + ["#version 2.4"] + lines[4:]) + "\n")
    with pytest.raises(InputError, match=r"1 mutation row\(s\) have no sample id .*line 5\); "
                       r"line 5 is a '#' comment line inside the data"):
        read_maf(p)
    f = maf_frame(ROWS)
    f["Start_Position"] = f["Start_Position"].astype(object)
    f.loc[3, "Start_Position"] = -4
    rows = _maf_text([], None).splitlines()[:1] + f.to_csv(sep="\t", index=False).splitlines()[1:]
    p.write_text("\n".join(rows[:3] + [""] + rows[3:]) + "\n")  # header, 2 rows, blank, ...
    with pytest.raises(InputError, match=r"negative value \(-4, line 6\)"):
        read_maf(p)
    f = maf_frame(ROWS)
    f.loc[4, "Variant_Classification"] = "Weird_Class"
    write_maf(p, f)
    with pytest.raises(InputError, match=r"'Weird_Class' \(1 rows\) \(first: line 7\)"):
        read_maf(p)
    # a DataFrame has no file lines: its data rows are named
    from immunescape.genomics import MutationTable

    f = maf_frame(ROWS)
    f.loc[1, "Tumor_Sample_Barcode"] = ""
    with pytest.raises(InputError,
                       match=r"no sample id \(column 'Tumor_Sample_Barcode'; data row 2\)"):
        MutationTable.from_frame(f, resolve_genes=False)


def test_rows_sharing_values_with_a_headerless_first_row_are_no_repeated_header(tmp_path):
    # a VCF given as a MAF: '#' lines are skipped, so the first record becomes the header;
    # later records share its chromosome, ID, FILTER and FORMAT but are no header
    p = tmp_path / "calls.vcf"
    rec = "1\t{}\t.\tA\tG\t50\tPASS\tDP=10\tGT\t0/1\n"
    p.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
                 + "".join(rec.format(100 + i) for i in range(4)))
    with pytest.raises(InputError, match="missing required column"):
        read_maf(p)
