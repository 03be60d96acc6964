"""Tests of the demo-cohort simulator.

The checks compare the simulated data with facts that do not come from the simulator's own
tables: published marker genes of each biological programme (hard-coded here from the papers),
the published signature gene lists, typical bulk RNA-seq magnitudes, and the expected direction
of response and survival associations.
"""

from __future__ import annotations

import hashlib
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from immunescape.datasets import (
    PROGRAMS,
    SimulatedCohort,
    gene_universe,
    program_loadings,
    simulate_cohort,
    write_cohort,
)
from immunescape.datasets import _universe as U
from immunescape.errors import InputError
from immunescape.expression import Expression


@pytest.fixture(scope="module")
def c200() -> SimulatedCohort:
    return simulate_cohort(200, seed=1)


@pytest.fixture(scope="module")
def c600() -> SimulatedCohort:
    return simulate_cohort(600, seed=2)


@pytest.fixture(scope="module")
def full() -> SimulatedCohort:
    return simulate_cohort(40, n_genes=20000, seed=3)


def log2tpm(c: SimulatedCohort, genes: list[str]) -> pd.DataFrame:
    return np.log2(c.expression[genes] + 1.0)


def gmean_score(c: SimulatedCohort, genes: list[str]) -> pd.Series:
    return log2tpm(c, genes).mean(axis=1)


def cyt(c: SimulatedCohort) -> pd.Series:
    # Rooney et al. 2015: geometric mean of GZMA and PRF1 (TPM + 0.01 offset as in easier)
    return np.exp(np.log(c.expression[["GZMA", "PRF1"]] + 0.01).mean(axis=1))


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_cohort():
    a, b = simulate_cohort(30, seed=5), simulate_cohort(30, seed=5)
    pd.testing.assert_frame_equal(a.expression, b.expression)
    pd.testing.assert_frame_equal(a.counts, b.counts)
    pd.testing.assert_frame_equal(a.clinical, b.clinical)
    pd.testing.assert_frame_equal(a.latent, b.latent)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert a.params == b.params


def test_different_seeds_differ():
    a, b = simulate_cohort(30, seed=5), simulate_cohort(30, seed=6)
    assert list(a.expression.columns) == list(b.expression.columns)
    assert not np.allclose(a.expression.to_numpy(), b.expression.to_numpy())
    assert not a.clinical["os_months"].equals(b.clinical["os_months"])


def test_written_files_are_byte_identical(tmp_path):
    for name in ("a", "b"):
        write_cohort(simulate_cohort(8, seed=9), tmp_path / name, include_counts=True)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert {"maf.tsv", "cna.tsv", "hla.tsv", "hla_loh.tsv", "counts.tsv"} <= set(files)
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


# --------------------------------------------------------------------------- structure


def test_shapes_ids_and_tables(c200):
    c = c200
    assert c.expression.shape == (200, 5000)
    assert c.expression.index[0] == "SIM001" and c.expression.index[-1] == "SIM200"
    assert c.expression.columns.is_unique
    assert list(c.clinical["sample_id"]) == list(c.expression.index)
    assert list(c.latent.columns) == list(PROGRAMS)
    assert c.latent.index.equals(c.expression.index)
    assert c.truth.index.equals(c.expression.index)
    assert list(c.clinical.columns) == [
        "sample_id", "recist", "response", "os_months", "os_event", "pfs_months",
        "pfs_event", "age", "sex", "cancer_type", "treatment",
    ]  # fmt: skip
    # DNA layers are filled (their content is tested in test_simulate_dna.py)
    assert set(c.mutations["Tumor_Sample_Barcode"]) == set(c.expression.index)
    assert list(c.cna.columns[1:]) == list(c.expression.index)
    assert list(c.hla["sample_id"]) == list(c.expression.index)
    assert c.hla_loh is not None and c.params["capture_mb"] == 38.0
    assert c.params["seed"] == 1 and c.params["n_genes"] == 5000
    assert isinstance(c.as_expression(), Expression)


def test_tpm_sums_to_a_million_no_negatives(c200):
    x = c200.expression.to_numpy()
    assert np.isfinite(x).all()
    assert (x >= 0).all()
    np.testing.assert_allclose(x.sum(axis=1), 1e6, rtol=1e-9)


def test_tpm_is_length_normalised_counts(c200):
    # TPM definition (Wagner et al. 2012): rate = counts / length, scaled to sum 1e6
    counts = c200.counts.to_numpy()
    assert counts.dtype.kind == "i" and (counts >= 0).all()
    length = c200.gene_info.set_index("gene").loc[c200.expression.columns, "length"].to_numpy()
    rate = counts / length
    np.testing.assert_allclose(
        rate / rate.sum(axis=1, keepdims=True) * 1e6, c200.expression.to_numpy(), rtol=1e-4
    )


def test_bad_arguments():
    with pytest.raises(InputError, match="n_genes"):
        simulate_cohort(5, n_genes=100)
    with pytest.raises(InputError, match="n_samples"):
        simulate_cohort(0)
    with pytest.raises(InputError, match="n_samples"):
        simulate_cohort(2.5)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- gene universe

# Published signature genes (current HGNC symbols), written out here independently of the data
# files: Rooney 2015 (CYT), Ayers 2017 (IFNG6, expanded 18), Cristescu 2018 (GEP weights and 11
# housekeeping genes), Auslander 2018 (IMPRES), Fu 2019 (MSI pairs), Charoentong 2017 (IPS MHC
# and checkpoint groups), Davoli 2017, Cabrita 2020 (TLS), Messina 2012 (12 chemokines),
# Mariathasan 2018 (pan-F-TBRS, T effector, APM, checkpoint, EMT, WNT target).
SIGNATURE_GENES = """
GZMA PRF1 IFNG STAT1 IDO1 CXCL9 CXCL10 HLA-DRA CCR5 CXCL11 GZMB GZMK CXCR6 CXCL13 CCL5 CD3D CD3E
CD2 IL2RG NKG7 HLA-E CIITA LAG3 TAGAP CD27 CD274 CD276 CD8A CMKLR1 HLA-DQA1 HLA-DRB1 PDCD1LG2
PSMB10 TIGIT STK11IP ZBTB34 TBC1D10B OAZ1 POLR2A G6PD ABCF1 NRDE2 UBB TBP SDHA PDCD1 TNFSF4 CTLA4
CD40 CD28 CD86 CD80 TNFSF9 VSIR HAVCR2 CD200 TNFRSF14 HNRNPL CDC16 MTA2 VGF CALR SEC22B RASL11A
CAB39L LYG1 DHRS12 STRN3 TMEM192 HPSE BCAS3 PRPF39 ATF6 NOCT GRM8 AMFR DUSP18 B2M TAP1 TAP2 HLA-A
HLA-B HLA-C HLA-DPA1 HLA-DPB1 HLA-F ICOS CD247 GZMH CD79B CD1D CCR6 LAT SKAP1 CETP EIF1AY RBP5
PTGDS CCL2 CCL3 CCL4 CCL8 CCL18 CCL19 CCL21 ACTA2 ACTG2 ADAM12 ADAM19 CNN1 COL4A1 CCN2 CTPS1 RFLNB
FSTL3 HSPB1 IGFBP3 PXDC1 SEMA7A SH3PXD2A TAGLN TGFBI TNS1 TPM1 TBX21 CLDN3 CLDN7 CLDN4 CDH1 VIM
TWIST1 ZEB1 ZEB2 AXL ROR2 WNT5A LOXL2 TWIST2 FAP SOX9 FOXF1 GATA6 EFNB3 MYC TCF12 VEGFA
""".split()
MECHANISM_GENES = """
CD274 PDCD1LG2 HAVCR2 LGALS9 LAG3 VSIR IDO1 NT5E ENTPD1 ADORA2A VEGFA FOXP3 IL2RA MITF AXL EZH2
B2M PTEN JAK1 JAK2 CTNNB1 MYC STAT3 TGFB1 CSF1 CSF1R FCGR2B FCGR3A CD68 CD163 ARG1 NOS2 SNAI1 TCF7
PMEL TYR MLANA DCT BATF3 CLEC9A XCR1 IRF8 IFNGR1 IFNGR2 IRF1 PTPN2 APLNR
""".split()


def test_all_signature_and_mechanism_genes_present(c200):
    missing = sorted(set(SIGNATURE_GENES + MECHANISM_GENES) - set(c200.expression.columns))
    assert missing == []


def test_every_registry_signature_is_fully_covered(c200):
    # the demo must let every registered score be computed with all of its genes
    from immunescape.genes import resolve_identifiers
    from immunescape.signatures import registry

    # as the expression reader sees the columns: current symbols after identifier resolution
    columns = list(c200.expression.columns)
    present = set(columns) | {s for s in resolve_identifiers(columns).symbols if s}
    missing = {
        s.id: sorted(set(s.all_genes()) - present)
        for s in registry.load_registry().signatures
        if set(s.all_genes()) - present
    }
    assert missing == {}, "rebuild with python -m immunescape.datasets._build_universe"


def test_ips_and_jerby_lists_covered(c200):
    u = gene_universe()
    resolution = pd.read_csv(
        resources.files("immunescape.datasets").joinpath("data", "curated_resolution.tsv"),
        sep="\t",
        keep_default_na=False,
    )
    # every published symbol resolves, except retired clone/locus ids without a current gene
    unresolved = resolution.loc[resolution["current"] == "", "published"]
    assert unresolved.str.match(r"^(LOC\d+|FLJ\d+|MIR\d+)$").all(), list(unresolved)
    # old symbols were mapped to their current names (signatures.md aliases)
    alias = dict(zip(resolution["published"], resolution["current"], strict=False))
    assert alias["C10orf54"] == "VSIR" and alias["CTGF"] == "CCN2" and alias["DARS"] == "DARS1"
    assert alias["GNB2L1"] == "RACK1" and alias["KIAA0101"] == "PCLAF" and alias["HN1"] == "JPT1"
    assert set(resolution["current"]) - {""} <= set(c200.expression.columns)
    assert set(u.loc[u["tier"] == "curated", "gene"]) <= set(c200.expression.columns)


def test_universe_checksum():
    data = resources.files("immunescape.datasets").joinpath("data", "gene_universe.tsv.gz")
    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    assert digest == U.universe_sha256()


def test_gene_counts_nested_and_synthetic_only_beyond_real():
    small = simulate_cohort(2, seed=0)
    large = simulate_cohort(2, n_genes=20000, seed=0)
    assert set(small.expression.columns) <= set(large.expression.columns)
    assert not large.expression.columns.str.startswith("SIMGENE").any()
    n_real = U.n_real()
    over = simulate_cohort(2, n_genes=n_real + 3, seed=0)
    syn = over.expression.columns[over.expression.columns.str.startswith("SIMGENE")]
    assert list(syn) == ["SIMGENE00001", "SIMGENE00002", "SIMGENE00003"]
    assert over.params["n_synthetic_genes"] == 3
    assert (over.gene_info["tier"] == "synthetic").sum() == 3


def test_program_table_documents_sources():
    pl = program_loadings()
    assert set(pl["program"]) == set(PROGRAMS) - {"microenvironment"}
    assert pl["source"].notna().all()
    assert pl["source"].str.contains(r"PMID \d+").all()


# --------------------------------------------------------------------------- realism


def test_marginals_like_bulk_rnaseq(full):
    # Whole-transcriptome bulk tumour RNA-seq: roughly a third of gene/sample values are below
    # 1 TPM, a tenth or more are exact zeros, and the median gene sits at a few TPM.
    x = full.expression
    assert 0.25 < (x < 1).to_numpy().mean() < 0.45
    assert 0.05 < (x == 0).to_numpy().mean() < 0.25
    median_gene = np.median(np.log2(x + 1).mean(axis=0))
    assert 1.5 < median_gene < 3.5
    # a few hundred genes carry most of the mass (ribosomal, mitochondrial, housekeeping)
    top200 = x.mean(axis=0).sort_values().iloc[-200:].sum() / 1e6
    assert 0.3 < top200 < 0.7


def test_housekeeping_levels_plausible(full, c200):
    # GTEx (GTEx Consortium 2020, Science, PMID 32913098): ACTB, GAPDH, EEF1A1 and B2M in the
    # thousands of TPM in most tissues, TBP in single digits to tens, POLR2A/SDHA tens to ~100.
    med = full.expression.median(axis=0)
    for g in ("ACTB", "GAPDH", "EEF1A1", "B2M", "RPLP0"):
        assert 500 < med[g] < 20000, g
    assert 2 < med["TBP"] < 30
    for g in ("POLR2A", "SDHA", "G6PD"):
        assert 5 < med[g] < 300, g
    # housekeeping genes are stable: coefficient of variation of log-expression small
    assert np.log2(full.expression["GAPDH"]).std() < 0.6
    # the default (5,000-gene) universe is renormalised: same ratios between genes
    ratio_full = med["GAPDH"] / med["TBP"]
    med_small = c200.expression.median(axis=0)
    assert 0.5 < (med_small["GAPDH"] / med_small["TBP"]) / ratio_full < 2


def test_sex_chromosome_genes(full):
    female = full.clinical.set_index("sample_id")["sex"].eq("F")
    assert female.any() and (~female).any()
    assert (full.expression.loc[female, ["RPS4Y1", "DDX3Y", "EIF1AY"]] == 0).all().all()
    assert (full.expression.loc[~female, "RPS4Y1"] > 10).all()
    assert full.expression.loc[female, "XIST"].min() > full.expression.loc[~female, "XIST"].max()


# --------------------------------------------------------------------------- planted biology

# canonical markers per programme, from the publications (not from programs.tsv)
MARKERS = {
    "t_cell": ["CD8A", "CD3E", "GZMA", "PRF1"],  # Rooney 2015; Danaher 2017
    "ifng_response": ["CXCL9", "CXCL10", "STAT1", "IDO1"],  # Ayers 2017
    "tgfb_stroma": ["COL1A1", "FAP", "POSTN", "TAGLN"],  # Mariathasan 2018; Calon 2012
    "wnt_bcatenin": ["AXIN2", "NKD1", "SP5"],  # canonical beta-catenin/TCF targets
    "cdc1": ["BATF3", "CLEC9A", "XCR1"],  # Spranger 2015
    "proliferation": ["MKI67", "TOP2A", "BIRC5"],  # Nielsen 2010
    "melanocytic": ["MITF", "PMEL", "TYR", "MLANA", "DCT"],  # Konieczkowski 2014
    "axl": ["AXL", "WNT5A"],  # Konieczkowski 2014
    "myeloid": ["CD68", "CD163", "CSF1R", "C1QA"],  # Danaher 2017
    "treg": ["FOXP3", "CCR8"],  # Plitas 2016
    "b_tls": ["MS4A1", "CD79A", "CD19"],  # Danaher 2017; Cabrita 2020
    "angiogenesis": ["KDR", "ESM1", "PECAM1"],  # McDermott 2018
}


def test_cyt_tracks_t_cell_programme(c200):
    rho = stats.spearmanr(cyt(c200), c200.latent["t_cell"]).statistic
    assert rho > 0.8


@pytest.mark.parametrize("program", sorted(MARKERS))
def test_programme_drives_its_published_markers(c600, program):
    score = gmean_score(c600, MARKERS[program])
    rho = stats.spearmanr(score, c600.latent[program]).statistic
    assert rho > 0.6, (program, rho)


def test_latent_structure(c600):
    z = c600.latent
    r = z.corr(method="spearman")
    assert 0.6 < r.loc["t_cell", "ifng_response"] < 0.95  # IFN-gamma follows T cells
    assert r.loc["melanocytic", "axl"] < -0.4  # MITF-high vs AXL-high states
    assert r.loc["t_cell", "wnt_bcatenin"] < -0.2  # Wnt excludes T cells
    # AXL and melanocytic marker expression anti-correlated in the observed data too
    obs = stats.spearmanr(
        gmean_score(c600, MARKERS["axl"]), gmean_score(c600, MARKERS["melanocytic"])
    ).statistic
    assert obs < -0.3


def test_wnt_active_tumours_lack_t_cells_and_cdc1(c600):
    active = c600.truth["wnt_active"]
    assert 0.08 < active.mean() < 0.25
    t_score = gmean_score(c600, MARKERS["t_cell"])
    dc_score = gmean_score(c600, MARKERS["cdc1"])
    assert stats.mannwhitneyu(t_score[active], t_score[~active], alternative="less").pvalue < 1e-3
    assert stats.mannwhitneyu(dc_score[active], dc_score[~active], alternative="less").pvalue < 1e-3


def test_ifng_decoupled_samples_have_t_cells_but_low_ifng_response(c600):
    dec = c600.truth["ifng_decoupled"]
    assert dec.sum() >= 10
    t_score = gmean_score(c600, MARKERS["t_cell"])
    # IFN-gamma-induced genes (not IFNG itself, which T cells make)
    ifn_score = gmean_score(c600, ["CXCL9", "CXCL10", "STAT1", "IDO1", "HLA-DRA", "GBP5"])
    fit = stats.linregress(t_score[~dec], ifn_score[~dec])
    resid = ifn_score - (fit.intercept + fit.slope * t_score)
    assert stats.mannwhitneyu(resid[dec], resid[~dec], alternative="less").pvalue < 1e-6
    # T cells are present in those samples: at least the cohort median
    assert t_score[dec].median() > t_score.median()


def test_apm_loss_lowers_b2m(c600):
    apm = c600.truth["apm_loss"]
    assert apm.sum() >= 10
    b2m = np.log2(c600.expression["B2M"] + 1)
    assert b2m[apm].median() < b2m[~apm].median() - 2


# --------------------------------------------------------------------------- outcome


def test_response_rate_and_recist_consistency(c600):
    cl = c600.clinical
    rate = (cl["response"] == "R").mean()
    assert 0.25 < rate < 0.45
    assert set(cl.loc[cl["response"] == "R", "recist"]) <= {"CR", "PR"}
    assert set(cl.loc[cl["response"] == "NR", "recist"]) <= {"SD", "PD"}
    assert set(cl["recist"]) == {"CR", "PR", "SD", "PD"}
    # PD = progression before the first assessment at 3 months; SD = not
    obs = cl[cl["pfs_event"] == 1]
    assert (obs.loc[obs["recist"] == "PD", "pfs_months"] < 3.0).all()
    assert (cl.loc[cl["recist"] == "SD", "pfs_months"] >= 3.0).all() or (
        cl.loc[(cl["recist"] == "SD") & (cl["pfs_months"] < 3.0), "pfs_event"] == 0
    ).all()


def test_responders_more_inflamed(c200):
    r = c200.clinical.set_index("sample_id")["response"].eq("R")
    z = cyt(c200)
    assert stats.mannwhitneyu(z[r], z[~r], alternative="greater").pvalue < 0.01
    lat = c200.latent["t_cell"]
    assert stats.mannwhitneyu(lat[r], lat[~r], alternative="greater").pvalue < 0.01
    tgfb = c200.latent["tgfb_stroma"]
    assert tgfb[r].mean() < tgfb[~r].mean()
    # inflamed phenotype enriched among responders
    inflamed = c200.truth["immune_phenotype"].eq("inflamed")
    table = pd.crosstab(inflamed, r)
    odds, p = stats.fisher_exact(table.to_numpy())
    assert odds > 1 and p < 0.01


def test_survival_consistency(c600):
    cl = c600.clinical
    assert (cl["pfs_months"] <= cl["os_months"]).all()
    assert (cl["pfs_months"] > 0).all()
    assert set(cl["os_event"]) <= {0, 1} and set(cl["pfs_event"]) <= {0, 1}
    # censored progression-free means alive at the same censoring time
    cens = cl["pfs_event"] == 0
    assert (cl.loc[cens, "os_event"] == 0).all()
    assert (cl.loc[cens, "os_months"] == cl.loc[cens, "pfs_months"]).all()
    assert 0.3 < cl["os_event"].mean() < 0.9


def test_survival_direction_cox_and_logrank(c600):
    import lifelines
    from lifelines.statistics import logrank_test

    cl = c600.clinical.set_index("sample_id")
    df = pd.DataFrame(
        {
            "os_months": cl["os_months"],
            "os_event": cl["os_event"],
            "log2_cyt": np.log2(cyt(c600) + 1),
        }
    )
    cph = lifelines.CoxPHFitter().fit(df, duration_col="os_months", event_col="os_event")
    assert cph.hazard_ratios_["log2_cyt"] < 1
    assert cph.summary.loc["log2_cyt", "p"] < 0.01
    r = cl["response"].eq("R")
    lr = logrank_test(
        cl.loc[r, "pfs_months"],
        cl.loc[~r, "pfs_months"],
        cl.loc[r, "pfs_event"],
        cl.loc[~r, "pfs_event"],
    )
    assert lr.p_value < 1e-6
    assert cl.loc[r, "pfs_months"].median() > cl.loc[~r, "pfs_months"].median()


# --------------------------------------------------------------------------- writing


def test_write_cohort_layout_and_round_trip(tmp_path):
    c = simulate_cohort(6, seed=4)
    out = write_cohort(c, tmp_path / "demo")
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "clinical.tsv", "cna.tsv", "expression.tsv", "hla.tsv", "hla_loh.tsv", "latent.tsv",
        "maf.tsv", "simulation.json", "truth.tsv",
    ]  # fmt: skip
    expr = pd.read_csv(out / "expression.tsv", sep="\t")
    assert expr.columns[0] == "gene"
    assert list(expr.columns[1:]) == list(c.expression.index)
    back = expr.set_index("gene").T
    np.testing.assert_allclose(back.to_numpy(), c.expression[back.columns].to_numpy(), rtol=1e-5)
    clin = pd.read_csv(out / "clinical.tsv", sep="\t")
    pd.testing.assert_frame_equal(clin, c.clinical.reset_index(drop=True), check_dtype=False)
    with pytest.raises(InputError, match="not empty"):
        write_cohort(c, out)
    write_cohort(c, out, overwrite=True, include_truth=False, include_dna=False)
    assert sorted(p.name for p in out.iterdir()) == ["clinical.tsv", "expression.tsv"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".demo")]
