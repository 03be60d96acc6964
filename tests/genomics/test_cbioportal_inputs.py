"""``--cbioportal`` study folders reach the commands in memory, with no temporary files.

A small study is written here (meta files, a MAF with the ``#version`` line, a discrete CNA
matrix, segments, sample and patient clinical files with cBioPortal's four ``#`` rows).
Checked:

* the study's tables are handed on as the readers' objects (``MutationTable``, ``GeneCNA``,
  ``Segments``, the clinical attributes as a table), and ``run`` writes nothing to the
  temporary folder;
* TMB equals the non-synonymous rows of the MAF counted here over the capture size, the B2M
  nonsense and JAK1 frameshift are truncating events and the deep deletion of PTEN is called,
  and the clinical response comes from the study's patient attributes;
* the tables equal those of the same data files given as ``--maf`` / ``--cna`` (one input
  route, two ways in);
* a truncated MAF, a meta file naming a missing data file and a folder without meta files are
  one line on stderr, exit code 2 and no output.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from immunescape.cli import main
from immunescape.genomics import GeneCNA, MutationTable, Segments
from immunescape.genomics.inputs import prepare_genomic_inputs

MAF_ROWS = [
    # gene, sample, class, chrom, start, ref, alt, HGVSp_Short
    ("B2M", "S1", "Nonsense_Mutation", "15", 45003745, "C", "T", "p.Q22*"),
    ("JAK1", "S2", "Frame_Shift_Del", "1", 65310489, "A", "-", "p.K860fs"),
    ("TP53", "S1", "Missense_Mutation", "17", 7577120, "C", "T", "p.R273H"),
    ("KRAS", "S3", "Silent", "12", 25398281, "G", "A", "p.G13="),
    ("BRAF", "S3", "Missense_Mutation", "7", 140453136, "A", "T", "p.V600E"),
]
NONSYN = {"Nonsense_Mutation", "Frame_Shift_Del", "Missense_Mutation"}


def _write_study(d: Path) -> Path:
    d.mkdir(parents=True)
    meta = {
        "meta_study.txt": "cancer_study_identifier: tiny\nreference_genome: hg19\n",
        "meta_mutations.txt": "genetic_alteration_type: MUTATION_EXTENDED\n"
        "datatype: MAF\ndata_filename: data_mutations.txt\n",
        "meta_cna.txt": "genetic_alteration_type: COPY_NUMBER_ALTERATION\n"
        "datatype: DISCRETE\ndata_filename: data_cna.txt\n",
        "meta_seg.txt": "genetic_alteration_type: COPY_NUMBER_ALTERATION\n"
        "datatype: SEG\nreference_genome_id: hg19\ndata_filename: data_cna_hg19.seg\n",
        "meta_clinical_samples.txt": "genetic_alteration_type: CLINICAL\n"
        "datatype: SAMPLE_ATTRIBUTES\ndata_filename: data_clinical_samples.txt\n",
        "meta_clinical_patients.txt": "genetic_alteration_type: CLINICAL\n"
        "datatype: PATIENT_ATTRIBUTES\ndata_filename: data_clinical_patients.txt\n",
    }
    for name, text in meta.items():
        (d / name).write_text(text)
    maf = ["#version 2.4", "Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\t"
           "Chromosome\tStart_Position\tEnd_Position\tReference_Allele\tTumor_Seq_Allele2\t"
           "HGVSp_Short"]  # fmt: skip
    maf += [f"{g}\t{s}\t{c}\t{ch}\t{p}\t{p}\t{r}\t{a}\t{h}" for g, s, c, ch, p, r, a, h in MAF_ROWS]
    (d / "data_mutations.txt").write_text("\n".join(maf) + "\n")
    (d / "data_cna.txt").write_text(
        "Hugo_Symbol\tEntrez_Gene_Id\tS1\tS2\tS3\nPTEN\t5728\t-2\t0\t0\nB2M\t567\t0\t-1\t0\n"
    )
    (d / "data_cna_hg19.seg").write_text(
        "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n"
        "S1\t10\t89000000\t90000000\t50\t-1.5\nS2\t15\t44000000\t46000000\t80\t-0.4\n"
        "S3\t1\t1000000\t2000000\t30\t0.05\n"
    )
    head = "#Sample\n#Sample\n#STRING\n#1\n"
    (d / "data_clinical_samples.txt").write_text(
        head + "PATIENT_ID\tSAMPLE_ID\tSAMPLE_TYPE\nP1\tS1\tPrimary\nP2\tS2\tPrimary\n"
        "P3\tS3\t[Not Available]\n"
    )
    (d / "data_clinical_patients.txt").write_text(
        head + "PATIENT_ID\tRECIST\tOS_MONTHS\tOS_STATUS\n"
        "P1\tPR\t20.5\t0:LIVING\nP2\tPD\t4.2\t1:DECEASED\nP3\tSD\t[Not Available]\t0:LIVING\n"
    )
    return d


@pytest.fixture
def study(tmp_path) -> Path:
    return _write_study(tmp_path / "study")


def test_study_tables_are_handed_on_in_memory(study):
    g = prepare_genomic_inputs(cbioportal=study, capture_mb=38.0)
    assert isinstance(g["maf"], MutationTable)
    assert isinstance(g["cna"], GeneCNA)
    assert isinstance(g["segments"], Segments)
    assert isinstance(g["clinical"], pd.DataFrame)
    assert g["clinical"]["sample_id"].tolist() == ["S1", "S2", "S3"]
    assert g["maf"].source == str(study / "data_mutations.txt")
    assert g["genome_build"] == "GRCh37" and g["capture_mb"] == 38.0
    # a user's own file is kept, not replaced by the study's table
    own = study / "data_cna.txt"
    assert prepare_genomic_inputs(cbioportal=study, capture_mb=38.0, cna=own)["cna"] == own


def test_run_writes_no_temporary_file_and_reads_the_study(study, tmp_path, monkeypatch, capsys):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out = tmp_path / "out"
    code = main(["run", "--cbioportal", str(study), "--capture-mb", "38", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    assert list(scratch.iterdir()) == []
    tmb = pd.read_csv(out / "tmb.tsv", sep="\t").set_index("sample_id")
    for s in ("S1", "S2", "S3"):
        n = sum(1 for _, smp, c, *_ in MAF_ROWS if smp == s and c in NONSYN)
        assert tmb.loc[s, "tmb_per_mb"] == pytest.approx(n / 38.0)
    ev = pd.read_csv(out / "genomic_events.tsv", sep="\t")
    trunc = set(map(tuple, ev.loc[ev["event"] == "truncating", ["sample_id", "gene"]].values))
    assert {("S1", "B2M"), ("S2", "JAK1")} <= trunc
    dd = ev.loc[ev["event"] == "deep_deletion", ["sample_id", "gene"]].values.tolist()
    assert ["S1", "PTEN"] in dd
    run = json.loads((out / "run.json").read_text())
    clin = run["inputs"]["clinical"]
    assert str(study) in clin["file"] and clin["n_samples"] == 3
    # patient attributes copied onto samples: PR -> R, PD -> NR, SD without PFS -> NA
    assert clin["recist_col"] == "RECIST" and clin["response_counts"] == {"R": 1, "NR": 1, "NA": 1}
    assert clin["os"]["time_col"] == "OS_MONTHS" and clin["os"]["n_events"] == 1
    html = (out / "report.html").read_text()
    assert "immunescape-genomics-" not in html and "immunescape-genomics-" not in json.dumps(run)


def test_same_tables_as_the_files_given_directly(study, tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["genomics", "--cbioportal", str(study), "--capture-mb", "38",
                 "-o", str(a)]) == 0  # fmt: skip
    assert main(["genomics", "--maf", str(study / "data_mutations.txt"), "--cna",
                 str(study / "data_cna.txt"), "--segments", str(study / "data_cna_hg19.seg"),
                 "--genome-build", "GRCh37", "--capture-mb", "38", "-o", str(b)]) == 0  # fmt: skip
    capsys.readouterr()
    names = sorted(p.name for p in a.glob("*.tsv"))
    assert names == sorted(p.name for p in b.glob("*.tsv")) and "genomic_events.tsv" in names
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def _truncated_maf(d: Path) -> None:
    text = (d / "data_mutations.txt").read_text()
    (d / "data_mutations.txt").write_text(text[: text.index("JAK1") + 2])  # mid-row


def _missing_data_file(d: Path) -> None:
    (d / "data_cna.txt").unlink()


def _no_meta_files(d: Path) -> None:
    for p in d.glob("meta_*.txt"):
        p.unlink()


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_truncated_maf, "data_mutations.txt"),
        (_missing_data_file, "names data file 'data_cna.txt'"),
        (_no_meta_files, "no meta_*.txt"),
    ],
)
@pytest.mark.parametrize("command", ["genomics", "run"])
def test_bad_study_is_one_line_and_exit_2(study, tmp_path, capsys, spoil, message, command):
    spoil(study)
    before = {p.name: p.read_bytes() for p in study.iterdir()}
    out = tmp_path / "out"
    code = main([command, "--cbioportal", str(study), "--capture-mb", "38", "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert not out.exists()
    assert {p.name: p.read_bytes() for p in study.iterdir()} == before
