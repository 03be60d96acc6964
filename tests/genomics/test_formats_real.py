"""Every file of ../shared/data/genomics_formats read, or refused with one clear line.

Independent references: vcf2maf's own MAFs for the VCFs they were made from (positions,
alleles, classes, read counts, TMB); the FORMAT fields as text (parsed here without cyvcf2);
FACETS' own gene-level table for LOH from its segments; arcasHLA-quant's own Class1_LOSS
column; the POLYSOLVER reference output against the MSK copy of the same sample.
"""

from __future__ import annotations

import gzip
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from immunescape.cli import main
from immunescape.errors import ImmunescapeWarning, InputError
from immunescape.genomics import (
    Segments,
    compute_tmb,
    gene_calls_from_segments,
    hla_features,
    read_cna,
    read_hla,
    read_hla_loh,
    read_maf,
    read_segments,
    read_vcf,
    run_genomics,
)

from ._vcfutil import annotate_all, annotate_from_maf

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def formats(shared_data) -> Path:
    d = shared_data / "genomics_formats"
    if not d.is_dir():
        pytest.skip(f"{d} is absent")
    return d


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImmunescapeWarning)
        return func(*args, **kwargs)


# file -> (reader, rows read, or the words of the refusal)
READ = {
    "maftools/tcga_laml.maf.gz": (read_maf, 2207),
    "maftools/APL_primary.maf.gz": (read_maf, 269),
    "maftools/APL_relapse.maf.gz": (read_maf, 161),
    "maftools/brca.maf.gz": (read_maf, 1913),
    "maftools/simple_somatic_mutation.open.ESCA-CN.sample.tsv.gz": (read_maf, 499),
    "maftools/TCGA.AB.3009.hg19.seg.txt": (read_segments, 818),
    "maftools/LAML_CBS_segments.tsv.gz": (read_segments, 6470),
    "mskcc_neoantigen/temp_test_somatic_unfiltered.maf": (read_maf, 267),
    "mskcc_neoantigen/facets_hisens.cncf.txt": (read_segments, 49),
    "mskcc_neoantigen/facets_gene_level.txt": (read_cna, 2318),
    "mskcc_neoantigen/winners.hla.txt": (read_hla, 6),
    "pcgr/T001-BRCA.grch38.cna.tsv": (read_segments, 260),
    "vcf2maf/test_output.vep_isoforms.maf": (read_maf, 20),
    "vcf2maf/test_b38_output.maf": (read_maf, 25),
    "hla/polysolver/orig.winners.hla.txt": (read_hla, 6),
    "hla/arcashla/test.genotype.json": (read_hla, 6),
    "hla/arcashla/test.partial_genotype.json": (read_hla, 6),
    "hla/hlahd/hlahd_final.result.txt": (read_hla, 6),
    "hla/lohhla/hlas": (read_hla, 2),
    "hla/lohhla/example.10.DNA.HLAlossPrediction_CI.xls": (read_hla_loh, 2),
    "hla/arcashla/Melanoma-immumotherapy-arcasHLAquant_results.tsv": (read_hla_loh, 225),
    "pvactools_hcc1395/annotated.expression.vcf.gz": (read_vcf, 1264),
    "snpeff/test.chr22.ann.filter_missense_any.vcf": (read_vcf, 20),
    # A>C,G: C is carried by the germline column (GT 1/0; SnpEff's "G-C" annotation): 1 somatic
    "snpeff/cancer.ann.vcf": (read_vcf, 1),
}
REFUSE = {
    "maftools/tcga_laml_annot.tsv": (read_maf, "missing required column"),
    "maftools/all_lesions.conf_99.txt": (read_cna, "GISTIC peak file"),
    "maftools/amp_genes.conf_99.txt": (read_cna, "GISTIC peak file"),
    "maftools/del_genes.conf_99.txt": (read_cna, "GISTIC peak file"),
    "maftools/scores.gistic": (read_segments, "GISTIC scores file"),
    "mskcc_neoantigen/samplesheet.csv": (read_hla, "missing required column"),
    "pvactools_hcc1395/HCC1395_TUMOR_DNA.MHC_I.all_epitopes.aggregated.tsv": (
        read_maf, "missing required column"),
    "pvactools_hcc1395/HCC1395_TUMOR_DNA.MHC_I.filtered.tsv": (read_maf, "missing required"),
    "hla/polysolver/orig.indiv.mutect.filtered.nonsyn.annotated": (read_maf, "missing required"),
    "hla/arcashla/test.em.json": (read_hla, "arcasHLA EM file"),
    "hla/lohhla/solutions.txt": (read_hla, "missing required column"),
    "vcf2maf/test.vcf": (read_vcf, "is not annotated"),
    "vcf2maf/test_b38.vcf": (read_vcf, "is not annotated"),
    "vcf2maf/test_mutect.vcf": (read_vcf, "is not annotated"),
    "vcf2maf/test_strelka.vcf": (read_vcf, "is not annotated"),
    "pcgr/T001-BRCA.grch38.vcf.gz": (read_vcf, "is not annotated"),
    "pcgr/T001-COAD.grch38.vcf.gz": (read_vcf, "is not annotated"),
    "cyvcf2/test.snpeff.vcf": (read_vcf, "SnpEff 3 'EFF'"),
    "cyvcf2/test.vcf.gz": (read_vcf, "--tumour-sample"),
    "snpeff/EML4-ALK_fusion.vcf": (read_vcf, "structural variant"),
}


def test_every_file_is_listed(formats):
    on_disk = {
        str(p.relative_to(formats)) for p in formats.rglob("*")
        if p.is_file() and p.name != "README.md" and "cbioportal_study_es_0" not in p.parts
    }  # fmt: skip
    assert on_disk == set(READ) | set(REFUSE)


@pytest.mark.parametrize("name", sorted(READ))
def test_file_is_read(formats, name):
    reader, n = READ[name]
    out = _quiet(reader, formats / name)
    assert len(out.data if hasattr(out, "data") else out) == n


@pytest.mark.parametrize("name", sorted(REFUSE))
def test_file_is_refused_with_one_line(formats, name):
    reader, words = REFUSE[name]
    with pytest.raises(InputError) as err:
        _quiet(reader, formats / name)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(str(formats / name)) and "fix:" in msg
    assert words in msg


# ---------------------------------------------------------------- VCF against vcf2maf's MAFs
@pytest.mark.parametrize(
    ("vcf", "maf"),
    [("test.vcf", "test_output.vep_isoforms.maf"), ("test_b38.vcf", "test_b38_output.maf")],
)
def test_vcf_agrees_with_the_maf_vcf2maf_made(formats, tmp_path, vcf, maf):
    d = formats / "vcf2maf"
    ref = pd.read_csv(d / maf, sep="\t", comment="#", dtype=str)
    annotated = tmp_path / vcf
    assert annotate_from_maf(d / vcf, ref, annotated) >= len(ref) - 1
    mine = read_vcf(annotated, sample_id="TUMOR", resolve_genes=False)
    theirs = read_maf(d / maf, resolve_genes=False)
    # every MAF row is found with the same position, alleles and read counts (vcf2maf keeps
    # one allele of a multi-allelic record; immunescape keeps every allele the tumour carries)
    key = ["chrom", "start", "ref", "alt", "t_depth", "t_alt_count"]
    a = mine.data[key + ["variant_class"]].astype(str).drop_duplicates()
    b = theirs.data[key + ["variant_class"]].astype(str).drop_duplicates()
    both = b.merge(a, on=key, how="left", suffixes=("_maf", "_vcf"))
    unmatched = both["variant_class_vcf"].isna()
    # only vcf2maf's intergenic TG>CA (no transcript in its all_effects) has no annotation
    assert unmatched.sum() <= 1 and (both.loc[unmatched, "variant_class_maf"] == "IGR").all()
    matched = both.loc[~unmatched]
    assert (matched["variant_class_vcf"] == matched["variant_class_maf"]).all()
    tmb_v = compute_tmb(mine, capture_mb=1.0)["n_mutations_counted"].tolist()
    tmb_m = compute_tmb(theirs, capture_mb=1.0)["n_mutations_counted"].tolist()
    assert tmb_v == tmb_m and tmb_v[0] > 0


def test_multiallelic_records_are_split_by_the_tumour_genotype(formats, tmp_path):
    d = formats / "vcf2maf"
    annotated = tmp_path / "t.vcf"
    annotate_all(d / "test.vcf", annotated)
    mt = read_vcf(annotated, sample_id="T", resolve_genes=False)
    apc = mt.data.loc[mt.data["start"] == 112174758, ["alt", "t_alt_count"]]
    # 4 records GAAGA>G,G(G|C)A: tumour GT 0/2, 1/2, 0/1, 0/2 -> 5 alleles carried by the
    # tumour, of which the deletion of record 2 is germline (NORMAL GT 1/1): 4 somatic
    # alleles, the Tumor_Seq_Allele2 values of vcf2maf's own test_output.vep_isoforms.maf
    assert sorted(apc["alt"]) == ["-", "CA", "GA", "GA"]
    vcf2maf = pd.read_csv(d / "test_output.vep_isoforms.maf", sep="\t", comment="#",
                          low_memory=False)
    assert sorted(apc["alt"]) == sorted(
        vcf2maf.loc[vcf2maf["Start_Position"] == 112174758, "Tumor_Seq_Allele2"])
    assert mt.deduplicated()[1] == 1


def _format_text(path: Path, sample: str) -> list[dict[str, str]]:
    out = []
    for line in path.read_text().splitlines():
        if line.startswith("#CHROM"):
            col = line.split("\t").index(sample)
        elif not line.startswith("#"):
            f = line.split("\t")
            out.append({"filter": f[6], "ref": f[3], "alt": f[4],
                        **dict(zip(f[8].split(":"), f[col].split(":"), strict=True))})  # fmt: skip
    return out


def test_strelka_tier1_counts(formats, tmp_path):
    src = formats / "vcf2maf" / "test_strelka.vcf"
    annotated = tmp_path / "strelka.vcf"
    annotate_all(src, annotated)
    mt = read_vcf(annotated, resolve_genes=False)
    assert mt.samples == ["strelka"]  # generic TUMOR column -> file name
    rows = [r for r in _format_text(src, "TUMOR") if r["filter"] == "PASS"]
    expected = []
    for r in rows:
        if "TIR" in r:  # indel: TIR tier 1
            expected.append((int(r["TIR"].split(",")[0]), int(r["DP"])))
        else:  # SNV: the alt base's tier-1 count
            expected.append((int(r[r["alt"] + "U"].split(",")[0]), int(r["DP"])))
    got = list(zip(mt.data["t_alt_count"].astype(int), mt.data["t_depth"].astype(int),
                   strict=True))  # fmt: skip
    assert got == expected


def test_mutect_filter_and_ad_counts(formats, tmp_path):
    src = formats / "vcf2maf" / "test_mutect.vcf"
    annotated = tmp_path / "mutect.vcf"
    annotate_all(src, annotated)
    passed = read_vcf(annotated, resolve_genes=False)
    everything = read_vcf(annotated, resolve_genes=False, vcf_filter="all")
    text = _format_text(src, "TUMOR")
    pass_rows = [r for r in text if r["filter"] == "PASS"]
    # 5 PASS records; two have tumour GT 0 and AD n,0: no tumour read, dropped
    kept = [r for r in pass_rows if int(r["AD"].split(",")[1]) > 0]
    assert len(pass_rows) == 5 and len(passed) == len(kept) == 3
    assert passed.data["t_alt_count"].astype(int).tolist() == [
        int(r["AD"].split(",")[1]) for r in kept]
    assert passed.data["t_depth"].astype(int).tolist() == [int(r["DP"]) for r in kept]
    assert len(everything) > 400 and any("FILTER" in n for n in passed.notes)


def test_mutect2_strelka_varscan_merged_vcf(formats):
    p = formats / "pvactools_hcc1395" / "annotated.expression.vcf.gz"
    mt = read_vcf(p, resolve_genes=False)
    assert mt.samples == ["HCC1395_TUMOR_DNA"]  # from ##tumor_sample=
    assert len(read_vcf(p, resolve_genes=False, vcf_filter="all")) == 1470
    # VAF = FORMAT AF of the tumour column, parsed here as text
    lines = [x for x in gzip.decompress(p.read_bytes()).decode().splitlines()
             if x and not x.startswith("#")]  # fmt: skip
    af = []
    for x in lines:
        f = x.split("\t")
        if f[6] != "PASS":
            continue
        fmt = dict(zip(f[8].split(":"), f[10].split(":"), strict=True))
        af.append(float(fmt["AF"]))
    assert np.allclose(mt.data["t_vaf"].astype(float), af)
    assert not mt.data["hgvsp"].dropna().str.contains("%").any()  # %3D decoded
    assert mt.data["hgvsp"].dropna().str.startswith("p.").all()


def test_tumour_sample_option(formats):
    p = formats / "cyvcf2" / "test.vcf.gz"
    header = next(x for x in gzip.decompress(p.read_bytes()).decode().splitlines()
                  if x.startswith("#CHROM"))  # fmt: skip
    first = header.split("\t")[9]
    mt = read_vcf(p, tumour_sample=first, resolve_genes=False)
    assert mt.samples == [first]
    assert any("ANN used" in n for n in mt.notes)
    with pytest.raises(InputError, match="not a sample column"):
        read_vcf(p, tumour_sample="nope")


# ---------------------------------------------------------------- copy number and HLA
def test_facets_segments_give_facets_gene_level_loh(formats):
    d = formats / "mskcc_neoantigen"
    gl = pd.read_csv(d / "facets_gene_level.txt", sep="\t")
    gl = gl.loc[~gl["spans_segs"] & gl["lcn.em"].notna()]
    coords = gl.rename(columns={"gene_start": "start", "gene_end": "end"})[
        ["gene", "chrom", "start", "end"]].astype({"chrom": str})
    coords["chrom"] = coords["chrom"].replace({"23": "X"})
    seg = read_segments(d / "facets_hisens.cncf.txt")
    calls = gene_calls_from_segments(seg, coords).data.set_index("gene")
    expected = ((gl["lcn.em"] == 0) & (gl["tcn.em"] > 0)).to_numpy()
    got = calls.loc[gl["gene"], "loh"].astype(bool).to_numpy()
    assert len(got) > 2000 and (got == expected).all()


def test_arcashla_quant_loss_matches_its_class1_column(formats):
    p = formats / "hla" / "arcashla" / "Melanoma-immumotherapy-arcasHLAquant_results.tsv"
    table = pd.read_csv(p, sep="\t", index_col=0)
    feats = hla_features(None, loh=read_hla_loh(p)).set_index("sample_id")
    assert (feats.loc[table.index, "hla_loh"].astype(bool) == table["Class1_LOSS"]).all()


def test_hla_typers_normalise_to_one_nomenclature(formats):
    h = formats / "hla"
    poly = read_hla(h / "polysolver" / "orig.winners.hla.txt", sample_id="s").data
    msk = read_hla(formats / "mskcc_neoantigen" / "winners.hla.txt", sample_id="s").data
    assert [a.rstrip("L") for a in poly["allele"]] == msk["allele"].tolist()
    arcas = read_hla(h / "arcashla" / "test.genotype.json").data
    doc = json.loads((h / "arcashla" / "test.genotype.json").read_text())
    assert arcas["allele"].tolist() == [
        ":".join(a.split(":")[:2]) for locus in "ABC" for a in doc[locus]]
    hd = read_hla(h / "hlahd" / "hlahd_final.result.txt")
    assert hd.data["allele"].tolist()[:2] == ["A*02:01", "A*24:02"]
    loh = read_hla_loh(h / "lohhla" / "example.10.DNA.HLAlossPrediction_CI.xls")
    assert loh.set_index("allele")["lost"].to_dict() == {"A*01:01": False, "A*24:02": True}


def test_msk_sample_maf_facets_polysolver_give_one_event_table(formats):
    d = formats / "mskcc_neoantigen"
    maf = pd.read_csv(d / "temp_test_somatic_unfiltered.maf", sep="\t", comment="#",
                      dtype=str, low_memory=False)  # fmt: skip
    maf["Tumor_Sample_Barcode"] = "sample_T_N"
    from immunescape.genomics import MutationTable

    mt = MutationTable.from_frame(maf, source="msk.maf")
    cna = read_cna(d / "facets_gene_level.txt")
    hla = read_hla(d / "winners.hla.txt", sample_id="sample_T_N")
    res = _quiet(run_genomics, maf=mt, capture_mb=1.0, cna=cna, hla=hla, tmb_assay="panel")
    ev = res.tables["genomic_events"]
    assert set(ev["sample_id"]) == {"sample_T_N"}
    # FACETS gene calls of the event genes agree with the gene-level table
    gl = pd.read_csv(d / "facets_gene_level.txt", sep="\t").set_index("gene")
    for row in ev.loc[ev["event"] == "loh"].itertuples():
        assert gl.loc[row.gene, "lcn.em"] == 0
    trunc = set(ev.loc[ev["event"] == "truncating", "gene"])
    lost = set(ev.loc[ev["event"] == "loh", "gene"])
    both = ev.loc[ev["gene"].isin(trunc & lost) & (ev["event"] == "truncating")]
    assert (both["biallelic"] == "true").all()
    hla_row = res.tables["hla"].iloc[0]
    assert bool(hla_row["hla_a_homozygous"]) and bool(hla_row["hla_b_homozygous"])
    assert not bool(hla_row["hla_c_homozygous"])


# ---------------------------------------------------------------- cBioPortal, whole run
def test_run_cbioportal_study(formats, tmp_path, capsys):
    study = formats / "cbioportal_study_es_0"
    out = tmp_path / "out"
    code = main(["run", "--cbioportal", str(study), "--capture-mb", "38",
                 "--panel-mb", "TESTPANEL1=1.0", "--panel-mb", "TESTPANEL2=0.5", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    tmb = pd.read_csv(out / "tmb.tsv", sep="\t").set_index("sample_id")
    # independent count: nonsynonymous rows of the study MAF in the panel's genes
    maf = pd.read_csv(study / "data_mutations_extended.maf", sep="\t", comment="#", dtype=str)
    panel = (study / "data_gene_panel_testpanel1.txt").read_text().split("gene_list:")[1].split()
    nonsyn = {"Missense_Mutation", "Nonsense_Mutation", "Frame_Shift_Del", "Frame_Shift_Ins",
              "In_Frame_Del", "In_Frame_Ins", "Splice_Site", "Nonstop_Mutation",
              "Translation_Start_Site"}  # fmt: skip
    s = maf.loc[(maf["Tumor_Sample_Barcode"] == "TCGA-A1-A0SB-01")
                & maf["Variant_Classification"].isin(nonsyn) & maf["Hugo_Symbol"].isin(panel)]
    assert tmb.loc["TCGA-A1-A0SB-01", "tmb_per_mb"] == pytest.approx(
        len(s.drop_duplicates(["Chromosome", "Start_Position", "Tumor_Seq_Allele2"])) / 1.0)
    assert (out / "mechanisms.tsv").exists()
    run = json.loads((out / "run.json").read_text())
    assert run["inputs"].get("clinical") is not None


def test_cbioportal_panel_without_size_is_refused(formats, tmp_path, capsys):
    code = main(["genomics", "--cbioportal", str(formats / "cbioportal_study_es_0"),
                 "--capture-mb", "38", "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "--panel-mb" in err and len(err.strip().splitlines()) == 1


def test_genomics_with_a_vcf_and_segments(formats, tmp_path, capsys):
    vcf = formats / "pvactools_hcc1395" / "annotated.expression.vcf.gz"
    out = tmp_path / "o"
    code = main(["genomics", "--vcf", f"HCC1395={vcf}", "--capture-mb", "38",
                 "--segments", str(formats / "pcgr" / "T001-BRCA.grch38.cna.tsv"),
                 "--genome-build", "GRCh38", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    tmb = pd.read_csv(out / "tmb.tsv", sep="\t")
    assert tmb["sample_id"].tolist() == ["HCC1395"]
    ev = pd.read_csv(out / "genomic_events.tsv", sep="\t")
    # the PCGR allele-specific segments give LOH of JAK1 (nMinor 0 over the gene)
    assert ((ev["gene"] == "JAK1") & (ev["event"] == "loh")).any()
    assert Segments  # imported for type checks of the API


def test_one_sample_files_named_on_the_command_line(formats, tmp_path, capsys):
    d = formats / "mskcc_neoantigen"
    out = tmp_path / "o"
    code = main(["genomics", "--hla", f"sample_T_N={d / 'winners.hla.txt'}",
                 "--segments", f"sample_T_N={formats / 'pcgr' / 'T001-BRCA.grch38.cna.tsv'}",
                 "-o", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert pd.read_csv(out / "hla.tsv", sep="\t")["sample_id"].tolist() == ["sample_T_N"]
    assert pd.read_csv(out / "scna.tsv", sep="\t")["sample_id"].tolist() == ["sample_T_N"]
