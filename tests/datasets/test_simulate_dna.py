"""Tests of the simulated DNA layers: mutations (MAF), copy number, HLA genotypes and LOH.

The planted truth is checked against code and facts that do not come from the simulator:
the package's genomics readers and callers (``immunescape.genomics``: MAF/GISTIC/HLA/LOHHLA
parsers, published event rules, TMB), published prevalences and allele frequencies written
out here, and invariants (the RNA side does not depend on the DNA stream).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from immunescape.datasets import SimulatedCohort, simulate_cohort, write_cohort
from immunescape.datasets import _dna as D
from immunescape.genomics import read_cna, read_hla, read_hla_loh, read_maf, run_genomics

NONSYNONYMOUS = {
    "Missense_Mutation", "Nonsense_Mutation", "Frame_Shift_Del", "Frame_Shift_Ins",
    "In_Frame_Del", "In_Frame_Ins", "Splice_Site", "Nonstop_Mutation", "Translation_Start_Site",
}  # fmt: skip
MAF_CLASSES = NONSYNONYMOUS | {"Silent", "Splice_Region", "Intron", "3'UTR", "5'UTR"}
LOF = "loss_of_function"


@pytest.fixture(scope="module")
def c200() -> SimulatedCohort:
    return simulate_cohort(200, seed=1)


@pytest.fixture(scope="module")
def c600() -> SimulatedCohort:
    return simulate_cohort(600, seed=2)


@pytest.fixture(scope="module")
def written(c200, tmp_path_factory):
    return write_cohort(c200, tmp_path_factory.mktemp("dna") / "cohort")


@pytest.fixture(scope="module")
def genomics(c200, written) -> dict[str, pd.DataFrame]:
    res = run_genomics(
        maf=written / "maf.tsv",
        capture_mb=c200.params["capture_mb"],
        tmb_assay="exome",
        cna=written / "cna.tsv",
        hla=written / "hla.tsv",
        hla_loh=written / "hla_loh.tsv",
    )
    return res.tables


def events_of(ev: pd.DataFrame, sample: str, gene: str) -> pd.DataFrame:
    return ev[(ev["sample_id"] == sample) & (ev["gene"] == gene)]


# --------------------------------------------------------------------------- independence

ORIGINAL_TRUTH = [
    "immune_phenotype", "purity", "ifng_decoupled", "apm_loss", "pten_loss", "wnt_active",
    "tgfb_high", "axl_high", "myeloid_high", "treg_high", "exhausted", "response_probability",
]  # fmt: skip

def _rna_side(c: SimulatedCohort) -> dict[str, pd.DataFrame]:
    return {
        "expression": c.expression, "counts": c.counts, "latent": c.latent,
        "clinical": c.clinical, "truth": c.truth[ORIGINAL_TRUTH],
    }  # fmt: skip


@pytest.mark.parametrize("n, seed", [(60, 11), (120, 0)])
def test_expression_and_clinical_unchanged_by_dna(n, seed, monkeypatch):
    # The DNA layers draw from their own child stream: giving them a different seed (so they
    # draw different numbers, and a different amount of them) must leave the RNA side, the
    # clinical table and the original truth untouched. Invariant, not a stored hash, so it
    # holds whatever bits a numpy release produces.
    base = simulate_cohort(n, seed=seed)
    assert list(base.truth.columns[: len(ORIGINAL_TRUTH)]) == ORIGINAL_TRUTH
    real_simulate_dna = D.simulate_dna

    def other_stream(*args, **kwargs):
        kwargs["seed"] = kwargs["seed"] + 1000
        return real_simulate_dna(*args, **kwargs)

    monkeypatch.setattr(D, "simulate_dna", other_stream)
    shifted = simulate_cohort(n, seed=seed)
    assert not shifted.mutations.equals(base.mutations)  # the DNA side did change
    for name, frame in _rna_side(base).items():
        pd.testing.assert_frame_equal(_rna_side(shifted)[name], frame, obj=name)


def test_dna_deterministic_and_seed_dependent():
    a, b = simulate_cohort(25, seed=5), simulate_cohort(25, seed=5)
    other = simulate_cohort(25, seed=6)
    for name in ("mutations", "cna", "hla", "hla_loh", "truth"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.mutations["Start_Position"].equals(other.mutations["Start_Position"])
    assert not a.hla.drop(columns="sample_id").equals(other.hla.drop(columns="sample_id"))


def test_mutations_do_not_depend_on_the_expression_gene_set():
    # passengers come from the whole real-gene universe, not the simulated expression genes
    a, b = simulate_cohort(15, seed=8), simulate_cohort(15, n_genes=7000, seed=8)
    pd.testing.assert_frame_equal(a.mutations, b.mutations)
    pd.testing.assert_frame_equal(a.hla_loh, b.hla_loh)


def test_mechanism_gene_list_matches_knowledge_file():
    from immunescape.genomics.knowledge import load_gene_knowledge

    assert set(load_gene_knowledge().symbols) == set(D.MECHANISM_GENES)


# --------------------------------------------------------------------------- formats


def test_written_files_are_read_by_the_genomics_readers(tmp_path):
    c = simulate_cohort(20, seed=3)
    d = write_cohort(c, tmp_path / "small", include_truth=False)
    mt = read_maf(d / "maf.tsv")
    assert len(mt) == len(c.mutations)
    assert not [n for n in mt.notes if "updated" in n]  # symbols are current HGNC symbols
    assert set(mt.samples) == set(c.expression.index)
    assert mt.data["hgvsp_short"].notna().sum() == c.mutations["HGVSp_Short"].notna().sum()
    cna = read_cna(d / "cna.tsv")
    assert set(cna.samples) == set(c.expression.index)
    assert set(cna.data["gistic"].dropna().unique()) <= {-2, -1, 0, 1, 2}
    hla = read_hla(d / "hla.tsv")
    assert (hla.data.groupby(["sample_id", "locus"]).size() == 2).all()
    assert (hla.data["resolution"] == 2).all()
    loh = read_hla_loh(d / "hla_loh.tsv")
    assert loh["lost"].notna().all()
    assert set(loh["sample_id"]) <= set(c.expression.index)


def test_maf_is_well_formed(c200):
    m = c200.mutations
    assert list(m.columns[:4]) == ["Hugo_Symbol", "NCBI_Build", "Chromosome", "Start_Position"]
    assert set(m["Variant_Classification"]) <= MAF_CLASSES
    assert (m["Start_Position"] >= 1).all() and (m["End_Position"] >= m["Start_Position"]).all()
    chrom_len = m["Chromosome"].map(D.CHROM_LENGTH)
    assert (m["End_Position"] <= chrom_len).all()
    assert not m.duplicated(["Tumor_Sample_Barcode", "Chromosome", "Start_Position"]).any()
    snv = m["Variant_Type"] == "SNP"
    assert m.loc[snv, "Reference_Allele"].str.fullmatch("[ACGT]").all()
    assert (m.loc[snv, "Reference_Allele"] != m.loc[snv, "Tumor_Seq_Allele2"]).all()
    dels = m["Variant_Classification"].isin(["Frame_Shift_Del", "In_Frame_Del"])
    assert (m.loc[dels, "Tumor_Seq_Allele2"] == "-").all()
    inframe = m["Variant_Classification"] == "In_Frame_Del"
    assert (m.loc[inframe, "Reference_Allele"].str.len() % 3 == 0).all()
    fs = m["Variant_Classification"] == "Frame_Shift_Del"
    assert (m.loc[fs, "Reference_Allele"].str.len() % 3 != 0).all()
    assert (m["t_alt_count"] >= 1).all() and (m["t_alt_count"] <= m["t_depth"]).all()
    coding = m["Variant_Classification"].isin(NONSYNONYMOUS | {"Silent"})
    assert m.loc[coding, "HGVSp_Short"].str.startswith("p.").all()
    assert m.loc[~coding, "HGVSp_Short"].isna().all()
    nonsense = m["Variant_Classification"] == "Nonsense_Mutation"
    assert m.loc[nonsense, "HGVSp_Short"].str.fullmatch(r"p\.[A-Z]\d+\*").all()


def test_position_clash_resolved():
    # with this seed two mutations of one sample fall on the same position: one is moved on
    # (a regression test: both used to move together, forever)
    m = simulate_cohort(30, seed=5).mutations
    assert not m.duplicated(["Tumor_Sample_Barcode", "Chromosome", "Start_Position"]).any()
    key = m["Tumor_Sample_Barcode"] + ":" + m["Chromosome"] + ":"
    assert (m.groupby(key)["Start_Position"].diff().dropna() > 0).all()  # sorted output


def test_uv_signature(c200):
    # melanoma: C>T (G>A on the other strand) dominates single-base substitutions
    m = c200.mutations[c200.mutations["Variant_Type"] == "SNP"]
    change = m["Reference_Allele"] + ">" + m["Tumor_Seq_Allele2"]
    assert 0.75 < change.isin(["C>T", "G>A"]).mean() < 0.95


# --------------------------------------------------------------------------- burden


def test_class_mix_like_exome_mafs(c600):
    share = c600.mutations["Variant_Classification"].value_counts(normalize=True)
    assert 0.5 < share["Missense_Mutation"] < 0.65
    assert 0.2 < share["Silent"] < 0.3
    assert 0.03 < share["Nonsense_Mutation"] < 0.07
    fs_splice = share[["Frame_Shift_Del", "Frame_Shift_Ins", "Splice_Site"]].sum()
    assert 0.01 < fs_splice < 0.06
    non_coding = share[["Intron", "3'UTR", "5'UTR", "Splice_Region"]].sum()
    assert 0.04 < non_coding < 0.15


def test_tmb_like_melanoma_exomes(c600):
    # cutaneous melanoma exomes: median about 10 non-synonymous mutations per Mb with a range
    # over two orders of magnitude (Lawrence et al. 2013, PMID 23770567; TCGA 2015)
    tmb = c600.truth["tmb_per_mb"]
    assert 6 < tmb.median() < 15
    assert tmb.quantile(0.95) / tmb.quantile(0.05) > 10
    assert tmb.min() > 0


def test_tmb_round_trip_exact(c200, genomics):
    tmb = genomics["tmb"].set_index("sample_id").reindex(c200.truth.index)
    assert (tmb["n_mutations_counted"] == c200.truth["n_nonsynonymous"]).all()
    np.testing.assert_allclose(tmb["tmb_per_mb"], c200.truth["tmb_per_mb"], rtol=1e-6)
    # intronic, UTR, splice-region and silent rows do not count
    m = c200.mutations
    counted = m["Variant_Classification"].isin(NONSYNONYMOUS)
    assert (~counted).sum() > 0.3 * len(m)
    assert counted.sum() == tmb["n_mutations_counted"].sum()


def test_tmb_higher_in_responders(c200, genomics):
    tmb = genomics["tmb"].set_index("sample_id")["tmb_per_mb"]
    r = c200.clinical.set_index("sample_id")["response"].eq("R").reindex(tmb.index)
    test = stats.mannwhitneyu(tmb[r], tmb[~r], alternative="greater")
    assert test.pvalue < 0.05
    auc = test.statistic / (r.sum() * (~r).sum())
    assert 0.55 < auc < 0.8  # modest, as published (AUC 0.6-0.7)


# --------------------------------------------------------------------------- planted mechanisms


def test_dna_flags_consistent_with_expression_truth(c600):
    t = c600.truth
    assert (t["dna_ifng_pathway_loss"] == t["ifng_decoupled"]).all()
    assert set(t.loc[t["dna_ifng_pathway_loss"], "dna_ifng_gene"]) == {"JAK1", "JAK2"}
    assert (t.loc[t["dna_apm_gene"] != "", "apm_loss"]).all()
    assert (t.loc[t["apm_loss"], "dna_apm_gene"] != "").all()
    assert (t["dna_pten_loss_pi3k"] == t["pten_loss"]).all()
    assert (t.loc[t["dna_wnt_beta_catenin"], "wnt_active"]).all()
    share = t.loc[t["wnt_active"], "dna_wnt_beta_catenin"].mean()
    assert 0.4 < share < 0.8
    # HLA LOH: the apm route plus a few others; dna_antigen_presentation_loss covers both
    assert (t["dna_antigen_presentation_loss"] == ((t["dna_apm_gene"] != "") | t["hla_loh"])).all()
    assert 0.02 < t.loc[~t["apm_loss"], "hla_loh"].mean() < 0.12


def test_mapk_prevalence_exclusive_and_independent_of_response(c600):
    t = c600.truth
    braf, nras = t["dna_mapk_gene"].eq("BRAF"), t["dna_mapk_gene"].eq("NRAS")
    assert 0.38 < braf.mean() < 0.52  # about half of cutaneous melanomas (TCGA 2015)
    assert 0.14 < nras.mean() < 0.27
    assert t.loc[braf, "dna_mapk_variant"].eq("p.V600E").mean() > 0.7
    m = c600.mutations
    genes = m[m["Hugo_Symbol"].isin(["BRAF", "NRAS"])].groupby("Tumor_Sample_Barcode")
    assert (genes["Hugo_Symbol"].nunique() == 1).all()  # mutually exclusive
    r = c600.clinical.set_index("sample_id")["response"].eq("R")
    assert stats.fisher_exact(pd.crosstab(braf, r).to_numpy()).pvalue > 0.01


@pytest.mark.parametrize(
    "gene_col, mode_col",
    [("dna_ifng_gene", "dna_ifng_mode"), ("dna_apm_gene", "dna_apm_mode"),
     ("dna_wnt_gene", "dna_wnt_mode"), (None, "dna_pten_mode")],
)  # fmt: skip
def test_planted_biallelic_losses_are_called(c200, genomics, gene_col, mode_col):
    ev, t = genomics["genomic_events"], c200.truth
    planted = t[t[mode_col].isin(["truncating+loh", "two_truncating", "deep_deletion"])]
    assert len(planted) >= 3
    for sample, row in planted.iterrows():
        gene = row[gene_col] if gene_col else "PTEN"
        e = events_of(ev, sample, gene)
        mode = row[mode_col]
        assert (e["biallelic"] == "true").all() and len(e), (sample, gene, mode)
        assert (e.loc[e["event"] != "loh", "functional_call"] == LOF).all()
        if mode == "deep_deletion":
            assert set(e["event"]) == {"deep_deletion"}
        elif mode == "truncating+loh":
            assert sorted(e["event"]) == ["loh", "truncating"], (sample, gene)
            assert (e["functional_call"] == LOF).all()
        else:
            assert (e["event"] == "truncating").sum() == 2, (sample, gene)


def test_ctnnb1_and_mapk_hotspots_called_activating(c200, genomics):
    ev, t = genomics["genomic_events"], c200.truth
    hot = ev[ev["event"] == "hotspot_activating"]
    assert (hot["functional_call"] == "activating").all()
    wnt = t[t["dna_wnt_mode"] == "hotspot"]
    assert len(wnt) >= 3
    for sample in wnt.index:
        assert len(events_of(hot, sample, "CTNNB1")) == 1, sample
    mapk = t[t["dna_mapk_gene"] != ""]
    for sample, row in mapk.iterrows():
        e = events_of(hot, sample, row["dna_mapk_gene"])
        assert len(e) == 1 and e["detail"].iloc[0].startswith(row["dna_mapk_variant"]), sample
    called = set(zip(hot["sample_id"], hot["gene"], strict=True))
    planted = set(zip(wnt.index, ["CTNNB1"] * len(wnt), strict=True)) | set(
        zip(mapk.index, mapk["dna_mapk_gene"], strict=True)
    )
    assert called == planted


def test_decoys_are_not_called(c200, genomics):
    ev, t = genomics["genomic_events"], c200.truth
    decoys = [("decoy_jak2_missense", "JAK2"), ("decoy_ctnnb1_missense", "CTNNB1"),
              ("decoy_b2m_silent", "B2M"), ("decoy_pten_splice_region", "PTEN")]  # fmt: skip
    for flag, gene in decoys:
        samples = t.index[t[flag]]
        assert len(samples) >= 2, flag
        for sample in samples:
            e = events_of(ev, sample, gene)
            assert not e["functional_call"].isin([LOF, "activating"]).any(), (flag, sample)
            if flag in ("decoy_jak2_missense", "decoy_ctnnb1_missense"):
                assert (e["event"] == "missense_vus").sum() == 1, (flag, sample)
    # one truncating hit with the other allele retained: loss of function of one allele only
    single = t[t["decoy_single_truncating"] != ""]
    assert len(single) >= 3
    for sample, row in single.iterrows():
        e = events_of(ev, sample, row["decoy_single_truncating"])
        assert list(e["event"]) == ["truncating"], (sample, list(e["event"]))
        assert e["biallelic"].iloc[0] == "false"


def test_no_unplanted_functional_calls(c200, genomics):
    # every loss-of-function or activating call outside HLA is a planted event or decoy
    ev, t = genomics["genomic_events"], c200.truth
    hit = ev[ev["functional_call"].isin([LOF, "activating"]) & ~ev["gene"].str.startswith("HLA")]
    called = set(zip(hit["sample_id"], hit["gene"], strict=True))
    planted: set[tuple[str, str]] = set()
    for gene_col, mode_col in [("dna_ifng_gene", "dna_ifng_mode"), ("dna_wnt_gene", "dna_wnt_mode"),
                               ("dna_mapk_gene", "dna_mapk_gene")]:  # fmt: skip
        planted |= {(s, g) for s, g in t.loc[t[mode_col] != "", gene_col].items()}
    planted |= {(s, "B2M") for s in t.index[t["dna_apm_gene"] == "B2M"]}
    planted |= {(s, "PTEN") for s in t.index[t["dna_pten_mode"] != ""]}
    planted |= {(s, g) for s, g in t["decoy_single_truncating"].items() if g}
    assert called == planted
    hla_lof = set(ev.loc[ev["gene"].str.startswith("HLA") & ev["functional_call"].eq(LOF),
                         "sample_id"])  # fmt: skip
    assert hla_lof <= set(t.index[t["hla_loh"]])


def test_allele_fraction_follows_copy_number(c200):
    # a truncating mutation whose other allele is lost sits on the only tumour copy: higher
    # variant allele fraction than heterozygous clonal mutations at the same purity
    m, t = c200.mutations, c200.truth
    vaf = m["t_alt_count"] / m["t_depth"]
    loh = t[t["dna_pten_mode"].eq("truncating+loh") | t["dna_ifng_mode"].eq("truncating+loh")]
    genes = {"PTEN", "JAK1", "JAK2"}
    rows = m["Tumor_Sample_Barcode"].isin(loh.index) & m["Hugo_Symbol"].isin(genes)
    hotspots = m["Hugo_Symbol"].isin(["BRAF", "NRAS"])  # heterozygous, clonal
    assert vaf[rows].median() > vaf[hotspots].median() + 0.05
    purity = m["Tumor_Sample_Barcode"].map(t["purity"])
    assert (vaf[hotspots] / purity[hotspots]).median() == pytest.approx(0.5, abs=0.08)


# --------------------------------------------------------------------------- copy number


def test_copy_number_like_melanoma(c600):
    cna = c600.cna.set_index("Hugo_Symbol")
    values = cna.to_numpy()
    assert 0.15 < (values != 0).mean() < 0.4
    assert (values == 2).mean() < 0.01 and (values == -2).mean() < 0.01
    # chromosome 10 (PTEN) and 9p losses, chromosome 7 gain: frequent in melanoma (Curtin 2005)
    assert 0.25 < (cna.loc["PTEN"] == -1).mean() < 0.55
    assert 0.25 < (cna.loc["BRAF"] == 1).mean() < 0.55
    assert 0.2 < (cna.loc["CDKN2A"] == -2).mean() < 0.45
    # knowledge-base genes change focally only where planted
    kb = cna.loc[sorted(D.MECHANISM_GENES & set(cna.index))]
    assert not (kb == 2).any().any()
    deep = {(s, g) for g, row in kb.iterrows() for s in row.index[row == -2]}
    t = c600.truth
    planted = {(s, "PTEN") for s in t.index[t["dna_pten_mode"] == "deep_deletion"]}
    planted |= {(s, "AXIN1") for s in t.index[t["dna_wnt_mode"] == "deep_deletion"]}
    assert deep == planted


# --------------------------------------------------------------------------- HLA


def test_hla_round_trip(c200, genomics):
    h = genomics["hla"].set_index("sample_id").reindex(c200.truth.index)
    t = c200.truth
    assert (h["n_homozygous_loci"].astype(int) == t["hla_homozygous_loci"]).all()
    assert (h["b44_supertype"].astype(bool) == t["hla_b44"]).all()
    assert (h["b62_supertype"].astype(bool) == t["hla_b62"]).all()
    assert (h["hla_loh"].fillna(False).astype(bool) == t["hla_loh"]).all()
    assert h["hla_loh"].isna().sum() == (t["hla_homozygous_loci"] == 3).sum()  # nothing to see
    lost = h.loc[t["hla_loh"], "hla_loh_alleles"]
    assert (lost == t.loc[t["hla_loh"], "hla_loh_alleles"]).all()
    assert t["hla_loh"].sum() >= 5
    ev = genomics["genomic_events"]
    loh_ev = ev[ev["gene"].str.startswith("HLA") & ev["detail"].str.contains(" lost ")]
    assert set(loh_ev["sample_id"]) == set(t.index[t["hla_loh"]])


def test_hla_loh_is_not_biallelic(c200, genomics):
    ev = genomics["genomic_events"]
    hla = ev[ev["gene"].str.startswith("HLA")]
    assert (hla["biallelic"] != "true").all()


def test_hla_genotypes_like_a_european_population(c600):
    # NMDP/European registries: A*02:01 about 29 %, B*07:02 about 11-12 %; homozygosity about
    # 10-15 % at HLA-A, 4-7 % at HLA-B, 8-12 % at HLA-C; B44 carriers about half of European
    # patients and B62 about 15 % (Chowell et al. 2018 cohorts)
    h = c600.hla
    a = pd.concat([h["HLA-A_1"], h["HLA-A_2"]])
    b = pd.concat([h["HLA-B_1"], h["HLA-B_2"]])
    assert 0.22 < (a == "HLA-A*02:01").mean() < 0.35
    assert 0.08 < (b == "HLA-B*07:02").mean() < 0.16
    hom = {loc: (h[f"HLA-{loc}_1"] == h[f"HLA-{loc}_2"]).mean() for loc in "ABC"}
    assert 0.09 < hom["A"] < 0.21 and 0.02 < hom["B"] < 0.1 and 0.05 < hom["C"] < 0.15
    t = c600.truth
    assert 0.38 < t["hla_b44"].mean() < 0.6 and 0.08 < t["hla_b62"].mean() < 0.24


def test_lohhla_table_marks_lost_alleles(c200):
    loh = c200.hla_loh
    lost = (loh["HLA_type1copyNum_withBAFBin"] < 0.5) | (loh["HLA_type2copyNum_withBAFBin"] < 0.5)
    assert (loh.loc[lost, "LossAllele"] != "").all()
    assert (loh.loc[~lost, "LossAllele"].fillna("") == "").all()
    # allelic imbalance without loss exists (1 vs 2 copies, small p) and is not an LOH
    imbalance = (~lost) & (loh["PVal_unique"] < 0.01)
    assert imbalance.any()
    assert (loh["HLA_A_type1"] != loh["HLA_A_type2"]).all()  # heterozygous loci only
