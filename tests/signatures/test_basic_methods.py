"""Closed-form kernels against independent references: published formulas written out as naive
per-sample loops, scipy/scikit-learn peers, and hand-worked numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import gmean, rankdata, zscore
from sklearn.decomposition import PCA

from immunescape.errors import CoverageWarning
from immunescape.expression import Expression
from immunescape.signatures.methods.basic import ips_map
from immunescape.signatures.registry import load_registry
from immunescape.signatures.runner import score
from immunescape.signatures.schema import Signature

REG = load_registry()


def _random_tpm(genes: list[str], n: int = 25, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = np.exp(rng.normal(2.0, 2.0, size=(n, len(genes))))
    X[rng.random(X.shape) < 0.05] = 0.0
    X = X.astype(np.float32).astype(np.float64)  # the values Expression stores (float32)
    return pd.DataFrame(X, index=[f"s{i}" for i in range(n)], columns=genes)


def _score1(df: pd.DataFrame, sig: Signature | str, unit: str = "tpm") -> np.ndarray:
    return score(Expression(df, unit=unit), signatures=[sig]).scores.iloc[:, 0].to_numpy()


# ----------------------------------------------------------------------------- GEP (Cristescu)
GEP_WEIGHTS = {  # Cristescu et al. 2018 Science, Table S2 (T-cell-inflamed GEP, 18 genes)
    "CCL5": 0.008346, "CD27": 0.072293, "CD274": 0.042853, "CD276": -0.0239,
    "CD8A": 0.031021, "CMKLR1": 0.151253, "CXCL9": 0.074135, "CXCR6": 0.004313,
    "HLA-DQA1": 0.020091, "HLA-DRB1": 0.058806, "HLA-E": 0.07175, "IDO1": 0.060679,
    "LAG3": 0.123895, "NKG7": 0.075524, "PDCD1LG2": 0.003734, "PSMB10": 0.032999,
    "STAT1": 0.250229, "TIGIT": 0.084767,
}
GEP_HK = ["STK11IP", "ZBTB34", "TBC1D10B", "OAZ1", "POLR2A", "G6PD", "ABCF1", "NRDE2", "UBB",
          "TBP", "SDHA"]


def test_gep18_weighted_sum_with_housekeeping_normalisation():
    df = _random_tpm(list(GEP_WEIGHTS) + GEP_HK + ["OTHER1"])
    got = _score1(df, "gep18")
    for i, (_, row) in enumerate(df.iterrows()):
        hk = sum(math.log2(row[g] + 1) for g in GEP_HK) / len(GEP_HK)
        expected = sum(w * (math.log2(row[g] + 1) - hk) for g, w in GEP_WEIGHTS.items())
        assert got[i] == pytest.approx(expected, abs=1e-9)


def test_gep18_registry_weights_match_publication():
    sig = REG.get("gep18")
    assert sig.weights == GEP_WEIGHTS
    assert sorted(sig.params["housekeeping"]) == sorted(GEP_HK)


def test_unweighted_mean_ifng6():
    genes = ["IFNG", "STAT1", "IDO1", "CXCL9", "CXCL10", "HLA-DRA"]
    df = _random_tpm(genes + ["X1"])
    expected = np.log2(df[genes] + 1).mean(axis=1).to_numpy()
    np.testing.assert_allclose(_score1(df, "ifng6"), expected, rtol=1e-12)


# ----------------------------------------------------------------------------- CYT
def test_cyt_is_geometric_mean_of_tpm_plus_pseudocount():
    df = _random_tpm(["GZMA", "PRF1", "X"])
    expected = gmean(df[["GZMA", "PRF1"]].to_numpy() + 0.01, axis=1)
    np.testing.assert_allclose(_score1(df, "cyt"), expected, rtol=1e-12)


def test_cyt_from_log2tpm_input_back_transforms():
    df = _random_tpm(["GZMA", "PRF1"])
    logged = np.log2(df + 0.001)
    got = score(
        Expression(logged, unit="log2tpm", log_offset=0.001), signatures=["cyt"]
    ).scores["cyt"].to_numpy()
    expected = gmean(df.to_numpy() + 0.01, axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-5)  # float32 storage of the log values


# ----------------------------------------------------------------------------- IMPRES
IMPRES_PAIRS = [  # Auslander et al. 2018, gene1 > gene2 (getIMPRES.m)
    ("PDCD1", "TNFSF4"), ("CD27", "PDCD1"), ("CTLA4", "TNFSF4"), ("CD40", "CD28"),
    ("CD86", "TNFSF4"), ("CD28", "CD86"), ("CD80", "TNFSF9"), ("CD274", "VSIR"),
    ("CD86", "HAVCR2"), ("CD40", "PDCD1"), ("CD86", "CD200"), ("CD40", "CD80"),
    ("CD28", "CD276"), ("CD40", "CD274"), ("TNFRSF14", "CD86"),
]


def test_impres_pairs_and_orientation():
    sig = REG.get("impres")
    assert [tuple(p) for p in sig.pairs] == IMPRES_PAIRS
    genes = sorted({g for p in IMPRES_PAIRS for g in p})
    df = _random_tpm(genes, n=40, seed=3)
    got = _score1(df, "impres")
    naive = [sum(1 for a, b in IMPRES_PAIRS if row[a] > row[b]) for _, row in df.iterrows()]
    np.testing.assert_array_equal(got, naive)


def test_impres_orientation_on_a_constructed_sample():
    # A sample where every gene1 is far above every gene2 scores 15; the mirror scores 0.
    # Built from a topological order of the pair graph (the 15 pairs have no cycle).
    import graphlib

    ts = graphlib.TopologicalSorter({b: set() for _, b in IMPRES_PAIRS})
    for a, b in IMPRES_PAIRS:
        ts.add(b, a)  # b depends on a: a comes first
    order = list(ts.static_order())  # gene1 before gene2
    high_first = {g: 1000.0 / (i + 1) for i, g in enumerate(order)}
    df = pd.DataFrame([high_first, {g: 1.0 / v for g, v in high_first.items()}],
                      index=["favourable", "unfavourable"])
    np.testing.assert_array_equal(_score1(df, "impres"), [15.0, 0.0])


# ----------------------------------------------------------------------------- IPS
def _ips_naive(df_log: pd.DataFrame, sig: Signature) -> list[float]:
    """The published algorithm, sample by sample (Charoentong et al. 2017, IPS R script)."""
    out = []
    for _, row in df_log.iterrows():
        m, s = row.mean(), row.std(ddof=1)
        weighted = []
        for grp in sig.groups:
            zs = [(row[g] - m) / s for g in grp.genes if g in row.index]
            weighted.append((sum(zs) / len(zs)) * grp.weight)
        mhc = np.mean(weighted[0:10])
        cp = np.mean(weighted[10:20])
        ec = np.mean(weighted[20:24])
        sc = np.mean(weighted[24:26])
        az = mhc + cp + ec + sc
        out.append(0.0 if az <= 0 else 10.0 if az >= 3 else float(round(az * 10 / 3)))
    return out


def test_ips_group_order_is_the_original():
    sig = REG.get("ips")
    cats = [g.category for g in sig.groups]
    assert cats == ["MHC"] * 10 + ["CP"] * 10 + ["EC"] * 4 + ["SC"] * 2
    assert [g.genes[0] for g in sig.groups[:10]] == [
        "B2M", "TAP1", "TAP2", "HLA-A", "HLA-B", "HLA-C", "HLA-DPA1", "HLA-DPB1", "HLA-E", "HLA-F"]
    cp = {g.genes[0]: g.weight for g in sig.groups[10:20]}
    assert cp == {"PDCD1": -1, "CTLA4": -1, "LAG3": -1, "TIGIT": -1, "HAVCR2": -1, "CD274": -1,
                  "PDCD1LG2": -1, "CD27": 1, "ICOS": 1, "IDO1": -1}


def test_ips_equals_published_algorithm():
    sig = REG.get("ips")
    genes = sorted({g for grp in sig.groups for g in grp.genes})
    rng = np.random.default_rng(7)
    df = _random_tpm(genes + [f"BG{i}" for i in range(300)], n=30, seed=7)
    # make some samples immune-hot so the score spans the 0-10 range
    hot = rng.random(30) < 0.5
    df.loc[hot, genes] *= 8.0
    got = _score1(df, "ips")
    expected = _ips_naive(np.log2(df + 1), sig)
    np.testing.assert_array_equal(got, expected)
    assert len(set(got)) > 2


def test_ips_map_hand_worked():
    # AZ -> IPS: <= 0 -> 0; >= 3 -> 10; else round(10 AZ / 3) with R's half-to-even rounding:
    # AZ = 0.75 -> 2.5 -> 2 ; AZ = 1.05 -> 3.5 -> 4 ; AZ = 2.9 -> 9.67 -> 10.
    np.testing.assert_array_equal(
        ips_map(np.array([-0.2, 0.0, 0.75, 1.05, 2.9, 3.0, np.nan])),
        [0, 0, 2, 4, 10, 10, np.nan],
    )


# ----------------------------------------------------------------------------- PC1 (gsScore)
def test_pc1_equals_sklearn_pca_with_sign_alignment():
    sig = REG.get("pan_ftbrs")
    df = _random_tpm(sig.genes + ["X"], n=40, seed=11)
    got = _score1(df, "pan_ftbrs")
    Z = zscore(np.log2(df[sig.genes] + 1).to_numpy(), axis=0, ddof=1)
    pc = PCA(n_components=1).fit_transform(Z)[:, 0]
    pc *= np.sign(np.corrcoef(pc, Z.mean(axis=1))[0, 1])
    np.testing.assert_allclose(got, pc, atol=1e-9)


def test_ftbrs_sign_follows_the_genes_not_the_svd():
    # Samples with high expression of every F-TBRS gene must score high, whatever sign the
    # decomposition returns (a public re-implementation leaves it unaligned).
    sig = REG.get("pan_ftbrs")
    rng = np.random.default_rng(5)
    level = rng.normal(size=60)
    base = np.exp(2 + level[:, None] + rng.normal(scale=0.3, size=(60, len(sig.genes))))
    df = pd.DataFrame(base, columns=sig.genes, index=[f"s{i}" for i in range(60)])
    s = _score1(df, "pan_ftbrs")
    assert np.corrcoef(s, level)[0, 1] > 0.95
    s_rev = _score1(df.iloc[::-1], "pan_ftbrs")
    assert np.corrcoef(s_rev, level[::-1])[0, 1] > 0.95


# ----------------------------------------------------------------------------- z / rank means
def test_mean_z_and_mean_rank_against_scipy():
    genes = ["CD247", "CD2", "CD3E", "GZMH", "NKG7", "PRF1", "GZMK"]
    df = _random_tpm(genes, n=30, seed=2)
    L = np.log2(df + 1).to_numpy()
    expected_rank = np.mean([rankdata(L[:, j]) / L.shape[0] for j in range(L.shape[1])], axis=0)
    np.testing.assert_allclose(_score1(df, "davoli_is"), expected_rank, rtol=1e-12)
    sig = Signature(id="z", name="z", method="mean_z", direction="neutral",
                    scope="cohort_relative", genes=genes, citation="test")
    np.testing.assert_allclose(_score1(df, sig), zscore(L, axis=0, ddof=1).mean(axis=1),
                               rtol=1e-10)


# ----------------------------------------------------------------------------- runner
def test_low_coverage_gives_nan_and_names_missing_genes():
    df = _random_tpm(["GZMA", "X"])
    with pytest.warns(CoverageWarning, match="cyt"):
        res = score(Expression(df, unit="tpm"), signatures=["cyt", "gene_CD274"])
    assert res.scores["cyt"].isna().all()
    row = res.features.set_index("id").loc["cyt"]
    assert (row.genes_found, row.genes_total, row.status) == (1, 2, "low_coverage")
    assert "PRF1" in row.missing_genes
    assert any("PRF1" in w for w in res.warnings)


def test_single_sample_needs_a_reference_for_cohort_relative_scores():
    sig = REG.get("davoli_is")
    cohort = _random_tpm(sig.genes, n=30, seed=4)
    one = Expression(cohort.iloc[:1], unit="tpm")
    with pytest.warns(CoverageWarning):
        res = score(one, signatures=["davoli_is"])
    assert res.features.status.tolist() == ["needs_reference"]
    ref = Expression(cohort.iloc[1:], unit="tpm")
    with_ref = score(one, signatures=["davoli_is"], reference=ref).scores["davoli_is"]
    full = _score1(cohort, "davoli_is")
    assert with_ref.iloc[0] == pytest.approx(full[0])  # same as scoring inside the cohort
    assert list(with_ref.index) == [cohort.index[0]]


def test_median_and_single_gene_against_numpy():
    sig = REG.get("hypoxia_buffa")
    df = _random_tpm(sig.genes + ["CD274"], n=20, seed=9)
    expected = np.median(np.log2(df[sig.genes].to_numpy() + 1), axis=1)
    np.testing.assert_allclose(_score1(df, "hypoxia_buffa"), expected, rtol=1e-12)
    np.testing.assert_allclose(_score1(df, "gene_CD274"), np.log2(df["CD274"] + 1), rtol=1e-12)


def test_reference_in_read_counts_is_refused_for_tpm_and_the_reverse():
    """Counts per million keep the gene-length bias TPM removes (docs/phenotype.md: features
    0.6-0.8 reference SDs off on the same tumours), so a TPM sample read against a counts
    reference (or the reverse) is refused; the same kind of unit is accepted."""
    from immunescape.errors import InputError

    sig = REG.get("davoli_is")
    cohort = _random_tpm(sig.genes, n=30, seed=4)
    one = Expression(cohort.iloc[:1], unit="tpm")
    counts = Expression(np.round(cohort.iloc[1:] * 40), unit="counts")
    with pytest.raises(InputError, match="counts keep the gene-length bias"):
        score(one, signatures=["davoli_is"], reference=counts)
    with pytest.raises(InputError, match="same kind of unit"):
        score(Expression(np.round(cohort.iloc[:1] * 40), unit="counts"),
              signatures=["davoli_is"], reference=Expression(cohort.iloc[1:], unit="tpm"))
    fpkm = Expression(cohort.iloc[1:] * 0.7, unit="fpkm")
    assert score(one, signatures=["davoli_is"], reference=fpkm).scores.shape[0] == 1


def test_panel_reference_for_a_whole_transcriptome_is_refused():
    """A 600-gene panel as the reference of a 12,000-gene transcriptome would cut the
    patient down to the panel's genes: refused, naming the shared count."""
    from immunescape.errors import InputError
    from immunescape.genes import gene_table

    symbols = gene_table()["symbol"].iloc[:12000].tolist()
    rng = np.random.default_rng(3)
    one = Expression(pd.DataFrame(rng.lognormal(1, 2, (1, 12000)), index=["p1"],
                                  columns=symbols), unit="tpm")
    panel = Expression(pd.DataFrame(rng.lognormal(1, 2, (25, 600)),
                                    index=[f"r{i}" for i in range(25)],
                                    columns=symbols[:600]), unit="tpm")
    with pytest.raises(InputError, match="shares 600 of the analysed matrix's 12000 genes"):
        score(one, signatures=["cyt"], reference=panel)
