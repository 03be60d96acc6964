"""arcasHLA ``merge`` genotypes, a typing file named by a time stamp, and ``chr23``.

Hand-built files: an arcasHLA ``genotypes.tsv`` (``subject`` column, A1..C2 plus class II
columns) whose alleles are known; an OptiType ``*_result.tsv`` named by its default time
stamp; a MAF with ``chr23``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from immunescape.cli import main
from immunescape.errors import InputError
from immunescape.genomics import hla_features, read_hla, read_maf

GENES = ["GZMA", "PRF1", "CD274", "IFNG", "STAT1", "CD8A", "B2M", "ACTB", "GAPDH"]


def test_arcashla_merge_genotypes_are_read(tmp_path):
    f = tmp_path / "genotypes.tsv"
    f.write_text("subject\tA1\tA2\tB1\tB2\tC1\tC2\tDPB11\tDPB12\n"
                 "Pt10\tA*02:01:01\tA*02:01:01\tB*44:02:01\tB*07:02:01\tC*08:01:01\t"
                 "C*01:02:01\tDPB1*14:01:01\tDPB1*02:01:02\n")
    g = read_hla(f)
    assert sorted(g.data["allele"]) == ["A*02:01", "A*02:01", "B*07:02", "B*44:02",
                                        "C*01:02", "C*08:01"]
    row = hla_features(g).iloc[0]
    assert (bool(row["hla_a_homozygous"]), bool(row["b44_supertype"])) == (True, True)


def test_unknown_sample_column_fix_names_command_line(tmp_path, capsys):
    f = tmp_path / "hla.tsv"
    f.write_text("donor\tA1\tA2\nPt1\tA*02:01\tA*01:01\n")
    code = main(["genomics", "--hla", str(f), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "--hla SAMPLE=FILE" in err and "columns={" not in err


def test_typing_file_named_by_time_stamp_suggests_sample_equals_file(tmp_path, capsys):
    rng = np.random.default_rng(0)
    expr = tmp_path / "expr.tsv"
    pd.DataFrame(np.round(np.exp(rng.normal(3, 1, (len(GENES), 3))), 3), index=GENES,
                 columns=["Pt1", "Pt2", "Pt3"]).to_csv(expr, sep="\t", index_label="gene")
    opt = tmp_path / "2019_03_13_15_12_41_result.tsv"
    opt.write_text("\tA1\tA2\tB1\tB2\tC1\tC2\tReads\tObjective\n"
                   "0\tA*02:01\tA*01:01\tB*44:02\tB*07:02\tC*08:01\tC*01:02\t900\t880.5\n")
    code = main(["run", "--expr", str(expr), "--hla", str(opt), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"--hla SAMPLE={opt}" in err and "file name" in err
    assert main(["run", "--expr", str(expr), "--hla", f"Pt1={opt}",
                 "-o", str(tmp_path / "o2")]) == 0


def test_chr23_names_x(tmp_path):
    f = tmp_path / "m.maf"
    f.write_text("Tumor_Sample_Barcode\tHugo_Symbol\tVariant_Classification\tChromosome\t"
                 "Start_Position\nS1\tATRX\tMissense_Mutation\tchr23\t77000000\n")
    with pytest.raises(InputError, match="chrX"):
        read_maf(f)
    f.write_text(f.read_text().replace("chr23", "23"))
    assert read_maf(f).data["chrom"].tolist() == ["X"]
