"""differential_expression(): PyDESeq2 wiring checked against statsmodels' negative-binomial
GLM, Welch's t against scipy, least squares against statsmodels OLS."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from immunescape.compare import DE_COLUMNS, check_counts, differential_expression
from immunescape.compare._de import _differential_expression
from immunescape.errors import InputError
from immunescape.expression import Expression


@pytest.fixture(scope="module")
def counts_cohort():
    rng = np.random.default_rng(4)
    n_r, n_nr, g = 5, 5, 40
    ids = [f"s{i}" for i in range(n_r + n_nr)]
    y = pd.Series(["R"] * n_r + ["NR"] * n_nr, index=ids)
    base = rng.uniform(50, 500, g)
    lib = rng.uniform(0.6, 1.6, n_r + n_nr)
    fold = np.ones(g)
    fold[0], fold[1] = 4.0, 0.25  # gene 0 up, gene 1 down in responders
    mu = lib[:, None] * base[None, :] * np.where((y == "R").to_numpy()[:, None], fold, 1.0)
    disp = 0.08
    counts = rng.negative_binomial(1 / disp, 1 / (1 + disp * mu))
    return pd.DataFrame(counts, index=ids, columns=[f"G{j}" for j in range(g)]), y


@pytest.fixture(scope="module")
def deseq_run(counts_cohort):
    counts, y = counts_cohort
    return _differential_expression(counts, None, y)  # (table, settings)


@pytest.fixture(scope="module")
def deseq_result(deseq_run):
    return deseq_run[0]


def test_pydeseq2_columns_and_direction(deseq_run):
    de, settings = deseq_run
    assert list(de.columns) == [*DE_COLUMNS, "method"]
    assert (de["method"] == "pydeseq2").all()
    d = de.set_index("gene")
    assert d.loc["G0", "log2FoldChange"] > 1.2 and d.loc["G1", "log2FoldChange"] < -1.2
    assert d.loc["G0", "padj"] < 0.01 and d.loc["G1", "padj"] < 0.01
    assert settings["design"] == "~response" and settings["n_responders"] == 5


def test_pydeseq2_against_statsmodels_nb_glm(counts_cohort, deseq_result):
    # same size factors and final dispersions (taken from a direct PyDESeq2 fit), then an
    # independent negative-binomial GLM fit by statsmodels (IRLS) with log size-factor offsets
    from pydeseq2.dds import DeseqDataSet
    from pydeseq2.default_inference import DefaultInference

    counts, y = counts_cohort
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dds = DeseqDataSet(
            counts=counts,
            metadata=pd.DataFrame({"response": y}),
            design="~response",
            quiet=True,
            inference=DefaultInference(n_cpus=1),
        )
        dds.deseq2()
    sf = np.asarray(dds.obs["size_factors"], dtype=float)
    disp = pd.Series(np.asarray(dds.var["dispersions"], dtype=float), index=counts.columns)
    X = sm.add_constant((y == "R").astype(float).to_numpy())
    d = deseq_result.set_index("gene")
    for gene in ["G0", "G1", "G2", "G3", "G7"]:
        fam = sm.families.NegativeBinomial(alpha=disp[gene])
        fit = sm.GLM(counts[gene].to_numpy(), X, family=fam, offset=np.log(sf)).fit(tol=1e-12)
        assert d.loc[gene, "log2FoldChange"] == pytest.approx(fit.params[1] / np.log(2), abs=1e-5)
        assert d.loc[gene, "lfcSE"] == pytest.approx(fit.bse[1] / np.log(2), rel=1e-5)
        assert d.loc[gene, "pvalue"] == pytest.approx(fit.pvalues[1], rel=1e-4)
    # baseMean: mean of size-factor-normalised counts
    assert d.loc["G5", "baseMean"] == pytest.approx((counts["G5"] / sf).mean(), rel=1e-9)


def test_welch_against_scipy():
    rng = np.random.default_rng(1)
    ids = [f"s{i}" for i in range(14)]
    y = pd.Series(["R"] * 6 + ["NR"] * 8, index=ids)
    log = pd.DataFrame(
        rng.normal(5, 1, size=(14, 30)), index=ids, columns=[f"g{j}" for j in range(30)]
    )
    log.iloc[:6, 0] += 2
    log.iloc[2, 5] = np.nan  # a missing value
    log["const"] = 3.0
    de = differential_expression(None, log, y).set_index("gene")
    assert (de["method"] == "welch").all()
    for g in ["g0", "g1", "g5", "g29"]:
        r = log.loc[y == "R", g].dropna()
        nr = log.loc[y == "NR", g].dropna()
        ref = stats.ttest_ind(r, nr, equal_var=False)
        assert de.loc[g, "stat"] == pytest.approx(ref.statistic, rel=1e-10)
        assert de.loc[g, "pvalue"] == pytest.approx(ref.pvalue, rel=1e-8)
        assert de.loc[g, "log2FoldChange"] == pytest.approx(r.mean() - nr.mean(), abs=1e-12)
        assert de.loc[g, "baseMean"] == pytest.approx(log[g].mean(), abs=1e-12)
    assert np.isnan(de.loc["const", "pvalue"]) and np.isnan(de.loc["const", "padj"])
    tested = de["pvalue"].notna()
    from statsmodels.stats.multitest import multipletests

    assert np.allclose(
        de.loc[tested, "padj"], multipletests(de.loc[tested, "pvalue"], method="fdr_bh")[1]
    )


def test_ols_with_covariates_against_statsmodels():
    rng = np.random.default_rng(2)
    ids = [f"s{i}" for i in range(20)]
    y = pd.Series(["R"] * 8 + ["NR"] * 12, index=ids)
    cov = pd.DataFrame(
        {"age": rng.normal(60, 8, 20), "site": rng.choice(["a", "b", "c"], 20)}, index=ids
    )
    log = pd.DataFrame(rng.normal(size=(20, 10)), index=ids, columns=[f"g{j}" for j in range(10)])
    de = differential_expression(None, log, y, covariates=cov).set_index("gene")
    assert (de["method"] == "ols").all()
    X = pd.DataFrame(
        {
            "const": 1.0,
            "R": (y == "R").astype(float),
            "age": cov["age"],
            "site_b": (cov["site"] == "b").astype(float),
            "site_c": (cov["site"] == "c").astype(float),
        }
    )
    for g in log.columns:
        fit = sm.OLS(log[g], X).fit()
        assert de.loc[g, "log2FoldChange"] == pytest.approx(fit.params["R"], abs=1e-10)
        assert de.loc[g, "lfcSE"] == pytest.approx(fit.bse["R"], rel=1e-8)
        assert de.loc[g, "pvalue"] == pytest.approx(fit.pvalues["R"], rel=1e-8)


def test_expression_input_is_log2_tpm_plus_one():
    ids = [f"s{i}" for i in range(6)]
    tpm = pd.DataFrame({"A": [7.0, 15, 31, 1, 3, 0], "B": [1.0, 1, 2, 2, 1, 3]}, index=ids)
    y = pd.Series(["R"] * 3 + ["NR"] * 3, index=ids)
    de = differential_expression(None, Expression(tpm, unit="tpm"), y).set_index("gene")
    # log2(TPM + 1): A = 3, 4, 5 vs 1, 2, 0
    assert de.loc["A", "log2FoldChange"] == pytest.approx(3.0, abs=1e-6)


def test_non_integer_counts_refused():
    ids = list("abcdef")
    y = pd.Series(["R"] * 3 + ["NR"] * 3, index=ids)
    c = pd.DataFrame({"A": [1.0, 2, 3, 4, 5, 6], "B": [1, 2, 3.5, 4, 5, 6]}, index=ids)
    with pytest.raises(InputError, match=r"whole numbers, found 3.5 \(c, B\)") as err:
        differential_expression(c, None, y)
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="negative counts"):
        check_counts(c - 10)
    with pytest.raises(InputError, match="missing or infinite"):
        check_counts(c.where(c > 1))


def test_bad_de_input():
    ids = list("abcdef")
    y = pd.Series(["R"] * 3 + ["NR"] * 3, index=ids)
    log = pd.DataFrame({"A": np.arange(6.0), "B": [1.0, 0, 2, 1, 3, 2]}, index=ids)
    with pytest.raises(InputError, match="no expression given"):
        differential_expression(None, None, y)
    cov = pd.DataFrame({"age": [50, np.nan, 60, 70, np.nan, 40]}, index=ids)
    with pytest.raises(InputError, match="covariate 'age' is missing for 2 sample.*b, e"):
        differential_expression(None, log, y, covariates=cov)
    with pytest.raises(InputError, match="covariates missing for 1 sample.*f"):
        differential_expression(
            None, log, y, covariates=cov.dropna().iloc[:3].reindex(list("abcde")).fillna(1)
        )
    with pytest.raises(InputError, match=r"too few samples per group \(2 responders"):
        differential_expression(None, log, pd.Series(["R", "R", "NR", "NR", "NR", "NR"], index=ids))
