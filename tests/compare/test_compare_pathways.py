"""pathway_contrasts(): rank-sum gene-set test against scipy's Mann-Whitney; the PROGENy
contrast against decoupler's ulm (a peer implementation) and statsmodels OLS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from immunescape.compare import PATHWAY_COLUMNS, pathway_contrasts
from immunescape.compare._pathways import rank_sum_sets, ulm
from immunescape.errors import InputError
from immunescape.pathways.progeny import progeny_model


@pytest.fixture(scope="module")
def de():
    rng = np.random.default_rng(9)
    model = progeny_model(top=100)
    genes = list(dict.fromkeys(model["gene"]))[:900] + [f"X{i}" for i in range(300)]
    stat = rng.normal(size=len(genes))
    stat = np.round(stat, 1)  # ties, as in real statistics rounded by a tool
    de = pd.DataFrame({"gene": genes, "stat": stat})
    jak = set(model.loc[model["pathway"] == "JAK-STAT", "gene"])
    de.loc[de["gene"].isin(jak), "stat"] += 1.0  # JAK-STAT footprint up in responders
    # decoupler drops features equal to 0 in every observation; keep every gene non-zero
    de.loc[de["stat"].abs() < 1e-9, "stat"] = 0.05
    return de


def test_rank_sum_against_scipy(de):
    rng = np.random.default_rng(1)
    genes = de["gene"].tolist()
    sets = {
        f"set{k}": list(rng.choice(genes, size=int(rng.integers(5, 60)), replace=False))
        for k in range(12)
    }
    sets["with_unknown"] = genes[:10] + ["NOT_A_GENE"]
    stat = de.set_index("gene")["stat"]
    got = rank_sum_sets(stat, sets, min_size=5).set_index("pathway")
    for name, members in sets.items():
        inside = stat.index.isin(members)
        ref = stats.mannwhitneyu(
            stat[inside],
            stat[~inside],
            alternative="two-sided",
            method="asymptotic",
            use_continuity=True,
        )
        assert got.loc[name, "p_value"] == pytest.approx(ref.pvalue, rel=1e-10)
        assert got.loc[name, "score"] == pytest.approx(
            ref.statistic / (inside.sum() * (~inside).sum())
        )
        assert got.loc[name, "n_genes"] == inside.sum()


def test_progeny_ulm_against_decoupler_and_ols(de):
    import decoupler as dc

    got = pathway_contrasts(de, gene_sets={}, progeny=True).set_index("pathway")
    assert (got["collection"] == "progeny").all() and len(got) == 14
    net = progeny_model(top=100).rename(columns={"pathway": "source", "gene": "target"})
    mat = de.set_index("gene")[["stat"]].T
    es, pv = dc.mt.ulm(mat, net[["source", "target", "weight"]], tmin=5)
    for pw in es.columns:
        assert got.loc[pw, "score"] == pytest.approx(es.loc["stat", pw], rel=1e-6)
    # decoupler returns BH-adjusted p-values across the 14 pathways
    assert np.allclose(got.loc[es.columns, "q_value"], pv.loc["stat"], rtol=1e-5)
    # raw p and t against statsmodels OLS for one pathway
    w = net[net["source"] == "JAK-STAT"].set_index("target")["weight"]
    x = de["gene"].map(w).fillna(0.0).to_numpy()
    fit = sm.OLS(de["stat"].to_numpy(), sm.add_constant(x)).fit()
    assert got.loc["JAK-STAT", "score"] == pytest.approx(fit.tvalues[1], rel=1e-10)
    assert got.loc["JAK-STAT", "p_value"] == pytest.approx(fit.pvalues[1], rel=1e-8)
    assert got.loc["JAK-STAT", "direction"] == "up_in_responders"
    assert got.loc["JAK-STAT", "q_value"] < 1e-6


def test_registry_sets_by_default(de):
    t = pathway_contrasts(de)
    assert list(t.columns) == PATHWAY_COLUMNS
    assert set(t["collection"]) == {"gene_set", "progeny"}
    gs = t[t["collection"] == "gene_set"]
    assert "cyt" in set(gs["pathway"])  # from the signature registry
    assert gs.loc[gs["n_genes"] < 5, "p_value"].isna().all()
    from statsmodels.stats.multitest import multipletests

    tested = gs.dropna(subset=["p_value"])
    assert np.allclose(tested["q_value"], multipletests(tested["p_value"], method="fdr_bh")[1])


def test_bad_de_table():
    with pytest.raises(InputError, match="no column 'stat'"):
        pathway_contrasts(pd.DataFrame({"gene": ["A"], "log2FoldChange": [1.0]}))
    with pytest.raises(InputError, match="only 2 gene"):
        pathway_contrasts(pd.DataFrame({"gene": ["A", "B"], "stat": [1.0, 2.0]}))
    with pytest.raises(InputError, match="gene_sets must be"):
        pathway_contrasts(
            pd.DataFrame({"gene": list("ABCD"), "stat": [1.0, 2, 3, 4]}), gene_sets=["A", "B"]
        )


def test_ulm_naive_small_example():
    s = pd.Series([2.0, 1.0, 0.1, -0.2, 0.05, 0.3], index=list("ABCDEF"))
    net = pd.DataFrame({"source": ["P", "P"], "target": ["A", "B"], "weight": [2.0, 1.0]})
    x = np.array([2.0, 1, 0, 0, 0, 0])
    fit = sm.OLS(s.to_numpy(), sm.add_constant(x)).fit()
    assert ulm(s, net, min_size=2)["score"].iloc[0] == pytest.approx(fit.tvalues[1])
