"""The matched normal in a tumour-normal VCF: germline alleles and a mistaken --tumour-sample.

Hand-built VCFs whose right answers are known: a SnpEff ``-cancer`` record ``A -> C,G`` whose
normal genotype is ``1/0`` (C is germline) and tumour ``2/1`` has one somatic allele (G);
a ``##normal_sample=`` header names the column that must not be read as the tumour.
"""

from __future__ import annotations

import pytest

from immunescape.cli import main
from immunescape.errors import InputError
from immunescape.genomics import compute_tmb, read_vcf

ANN = ('##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: \'Allele | '
       "Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | "
       "Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | CDS.pos / "
       "CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO' \">")
GT = '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">'


def _ann(allele: str, effect: str, impact: str, gene: str, hgvsp: str) -> str:
    return (f"{allele}|{effect}|{impact}|{gene}|G1|transcript|T1|protein_coding|1/1|c.1A>G|"
            f"{hgvsp}||||||")


def _vcf(tmp_path, samples: str, records: list[str], extra: str = "") -> str:
    p = tmp_path / "x.vcf"
    p.write_text("##fileformat=VCFv4.1\n" + extra + ANN + "\n" + GT + "\n"
                 "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + samples + "\n"
                 + "\n".join(records) + "\n")
    return str(p)


def test_alleles_of_the_normal_genotype_are_germline(tmp_path):
    info = "ANN=" + ",".join([_ann("G", "start_lost", "HIGH", "OR4F5", "p.Met1?"),
                              _ann("C", "initiator_codon_variant", "LOW", "OR4F5", "p.Met1?")])
    second = "ANN=" + _ann("T", "missense_variant", "MODERATE", "TP53", "p.R175H")
    path = _vcf(tmp_path, "Patient_01_Germline\tPatient_01_Somatic",
                [f"1\t69091\t.\tA\tC,G\t.\tPASS\t{info}\tGT\t1/0\t2/1",
                 f"17\t7578406\t.\tC\tT\t.\tPASS\t{second}\tGT\t0/0\t0/1"])
    mt = read_vcf(path)
    assert sorted(zip(mt.data["gene"], mt.data["alt"], strict=True)) == [
        ("OR4F5", "G"), ("TP53", "T")]
    assert compute_tmb(mt, capture_mb=1.0)["n_mutations_counted"].tolist() == [2]
    assert any("germline" in n for n in mt.notes)


def test_tumour_sample_naming_the_normal_is_refused(tmp_path, capsys):
    rec = "1\t100\t.\tA\tT\t.\tPASS\tANN=" + _ann("T", "missense_variant", "MODERATE", "TP53",
                                                   "p.R175H") + "\tGT\t0/0\t0/1"
    path = _vcf(tmp_path, "S_NORMAL_DNA\tS_TUMOR_DNA", [rec],
                extra="##normal_sample=S_NORMAL_DNA\n##tumor_sample=S_TUMOR_DNA\n")
    with pytest.raises(InputError, match="is the normal sample.*the tumour is 'S_TUMOR_DNA'"):
        read_vcf(path, tumour_sample="S_NORMAL_DNA")
    code = main(["genomics", "--vcf", path, "--tumour-sample", "S_NORMAL_DNA",
                 "--capture-mb", "38", "-o", str(tmp_path / "o")])
    assert code == 2
    assert "--tumour-sample S_TUMOR_DNA" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
