"""VCF reading on small hand-made files (real files: test_formats_real.py)."""

from __future__ import annotations

import pytest

from immunescape.cli import main
from immunescape.errors import InputError
from immunescape.genomics import read_vcf

HEAD = (
    "##fileformat=VCFv4.2\n"
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl '
    'VEP. Format: Allele|Consequence|SYMBOL|Feature|BIOTYPE|HGVSp|CANONICAL|PICK">\n'
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">\n'
)


def _vcf(tmp_path, records, *, samples=("NORMAL", "TUMOR"), head=HEAD, name="Pt1.vcf"):
    p = tmp_path / name
    cols = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples)
    p.write_text(head + cols + "\n" + "".join(r + "\n" for r in records))
    return p


def test_canonical_then_most_severe(tmp_path):
    csq = ("T|intron_variant|JAK1|T2|protein_coding|||,"
           "T|stop_gained|JAK1|T1|protein_coding|ENSP1:p.Gln10Ter|YES|")  # fmt: skip
    p = _vcf(tmp_path, [f"1\t100\t.\tC\tT\t.\tPASS\tCSQ={csq}\tGT:AD\t0/0:9,0\t0/1:5,5"])
    row = read_vcf(p, resolve_genes=False).data.iloc[0]
    assert (row["variant_class"], row["hgvsp_short"], row["t_vaf"]) == (
        "Nonsense_Mutation", "p.Q10*", 0.5)
    # PICK wins over CANONICAL
    csq2 = ("T|missense_variant|JAK1|T1|protein_coding|ENSP1:p.Gln10Arg|YES|,"
            "T|synonymous_variant|JAK1|T2|protein_coding|ENSP2:p.Gln10%3D||1")  # fmt: skip
    p2 = _vcf(tmp_path, [f"1\t100\t.\tC\tT\t.\tPASS\tCSQ={csq2}\tGT:AD\t0/0:9,0\t0/1:5,5"],
              name="b.vcf")  # fmt: skip
    row = read_vcf(p2, resolve_genes=False).data.iloc[0]
    assert (row["variant_class"], row["hgvsp"]) == ("Silent", "p.Gln10=")


def test_tumour_column_and_sample_name(tmp_path):
    rec = "1\t100\t.\tC\tT\t.\tPASS\tCSQ=T|missense_variant|B2M|T1|protein_coding|||YES|"
    p = _vcf(tmp_path, [rec + "\tGT:AD\t0/0:9,0\t0/1:5,5"], samples=("PT1_N", "PT1_T"),
             name="x.vcf")  # fmt: skip
    with pytest.raises(InputError, match="--tumour-sample"):
        read_vcf(p)
    assert read_vcf(p, tumour_sample="PT1_T").samples == ["PT1_T"]
    head = HEAD + "##tumor_sample=PT1_T\n"
    p2 = _vcf(tmp_path, [rec + "\tGT:AD\t0/0:9,0\t0/1:5,5"], samples=("PT1_N", "PT1_T"),
              head=head, name="y.vcf")  # fmt: skip
    assert read_vcf(p2).samples == ["PT1_T"]


def test_filter_and_unannotated(tmp_path, capsys):
    rec = "1\t100\t.\tC\tT\t.\tLowQual\tCSQ=T|missense_variant|B2M|T1|protein_coding|||YES|"
    p = _vcf(tmp_path, [rec + "\tGT:AD\t0/0:9,0\t0/1:5,5"])
    with pytest.raises(InputError, match="--vcf-filter all"):
        read_vcf(p)
    assert len(read_vcf(p, vcf_filter="all")) == 1
    bare = _vcf(tmp_path, ["1\t100\t.\tC\tT\t.\tPASS\t.\tGT:AD\t0/0:9,0\t0/1:5,5"],
                head="##fileformat=VCFv4.2\n", name="bare.vcf")  # fmt: skip
    code = main(["genomics", "--vcf", str(bare), "--capture-mb", "1", "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "not annotated" in err and "VEP" in err and "SnpEff" in err
    assert len(err.strip().splitlines()) == 1


def test_two_vcfs_one_run(tmp_path, capsys):
    rec = "1\t100\t.\tC\tT\t.\tPASS\tCSQ=T|stop_gained|B2M|T1|protein_coding|||YES|"
    a = _vcf(tmp_path, [rec + "\tGT:AD\t0/0:9,0\t0/1:5,5"], name="a.vcf")
    b = _vcf(tmp_path, [rec + "\tGT:AD\t0/0:9,0\t0/1:5,5"], name="b.vcf")
    out = tmp_path / "o"
    code = main(["genomics", "--vcf", f"P1={a}", "--vcf", f"P2={b}", "--capture-mb", "2",
                 "-o", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    tmb = (out / "tmb.tsv").read_text().splitlines()
    assert [x.split("\t")[:2] for x in tmb[1:]] == [["P1", "1"], ["P2", "1"]]
    code = main(["genomics", "--vcf", str(a), "--vcf", str(a), "--capture-mb", "2",
                 "-o", str(tmp_path / "o2")])  # fmt: skip
    assert code == 2 and "one mutation file per tumour" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["predict", "compare"])
def test_vcf_option_on_predict_and_compare(tmp_path, capsys, command):
    bare = _vcf(tmp_path, ["1\t100\t.\tC\tT\t.\tPASS\t.\tGT:AD\t0/0:9,0\t0/1:5,5"],
                head="##fileformat=VCFv4.2\n", name="bare.vcf")  # fmt: skip
    extra = ["--model", "builtin"] if command == "predict" else ["--clinical", str(bare)]
    code = main([command, *extra, "--vcf", str(bare), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "not annotated" in err
