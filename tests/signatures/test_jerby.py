"""Jerby-Arnon overall expression (OE) against the authors' definition.

The reference is the authors' R code (livnatje/ImmuneResistance, Code/ImmRes_OE.R:
``get.OE.bulk``, ``get.semi.random.OE``; ``discretize`` in ImmRes_generic.R), rewritten here
as naive loops: per-gene centring, 50 quantile bins with the R edge rule, and per round, per
bin, ``sample(bin genes, n_b)`` without replacement, the round's control score being the mean
centred expression of the drawn genes. R's random stream cannot be reproduced, so the random
background is compared within its Monte Carlo error, and the exact parts (bins, centring,
the infinite-rounds limit) are compared exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from immunescape.errors import InputError
from immunescape.expression import Expression
from immunescape.signatures.methods import ScoringContext, get_kernel
from immunescape.signatures.methods.jerby import (
    _draw_bin_counts,
    authors_bins,
    draw_control_counts,
)
from immunescape.signatures.schema import Signature


# ----------------------------------------------------------------------------- helpers
def _log_matrix(n: int = 24, g: int = 1500, seed: int = 11) -> pd.DataFrame:
    """log2(TPM + 1) with gene-specific levels (so that bins differ) and some zero genes."""
    rng = np.random.default_rng(seed)
    level = rng.gamma(2.0, 1.5, size=g)
    depth = rng.normal(0.0, 0.3, size=(n, 1))  # sample effect growing with expression level
    X = np.maximum(level * (1.0 + depth) + rng.normal(0, 1.0, size=(n, g)), 0.0)
    X[:, :20] = 0.0  # never-expressed genes: tied means at the bottom (< 2 % of genes)
    X = X.astype(np.float32).astype(np.float64)
    return pd.DataFrame(X, index=[f"s{i}" for i in range(n)], columns=[f"G{i}" for i in range(g)])


def _sig(up, down=None, **params) -> Signature:
    return Signature(
        id="oe",
        name="oe",
        method="jerby_oe",
        direction="resistance",
        scope="cohort_relative",
        genes=list(up),
        genes_down=list(down or []),
        params=params,
        citation="test",
    )


def _run(df: pd.DataFrame, sig: Signature, seed: int = 0, unit: str = "log2tpm") -> np.ndarray:
    ctx = ScoringContext(Expression(df, unit=unit), seed=seed)
    return get_kernel("jerby_oe")(ctx, sig, ctx.expr.has(sig.all_genes()))


def _r_discretize(v: np.ndarray, n_cat: int) -> np.ndarray:
    """The authors' discretize(): a loop over bins 2..n_cat, NA (here -1) elsewhere."""
    q1 = np.quantile(v, [i / n_cat for i in range(1, n_cat + 1)])  # R type 7 = numpy linear
    u = np.full(v.size, -1)
    for i in range(2, n_cat + 1):
        u[(v >= q1[i - 2]) & (v < q1[i - 1])] = i
    return u


def _naive_oe_rounds(
    X: np.ndarray, sig_idx: list[int], n_rounds: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """get.OE.bulk + get.semi.random.OE as loops; returns (raw score, per-round scores)."""
    means = X.mean(axis=0)
    Z = X - means
    bins = _r_discretize(means, 50)
    raw = Z[:, sig_idx].mean(axis=1)
    labels, counts = np.unique(bins[sig_idx][bins[sig_idx] >= 0], return_counts=True)
    rounds = np.empty((X.shape[0], n_rounds))
    for j in range(n_rounds):
        chosen = np.zeros(X.shape[1], dtype=bool)
        for label, n_b in zip(labels, counts, strict=True):
            members = np.flatnonzero(bins == label)
            chosen[rng.choice(members, size=n_b, replace=False)] = True
        rounds[:, j] = Z[:, chosen].mean(axis=1)
    return raw, rounds


def _naive_oe_expected(X: np.ndarray, sig_idx: list[int]) -> np.ndarray:
    """The infinite-rounds limit: each bin's mean centred expression, weighted by n_b."""
    means = X.mean(axis=0)
    Z = X - means
    bins = _r_discretize(means, 50)
    sig_bins = [bins[i] for i in sig_idx if bins[i] >= 0]
    bg = np.zeros(X.shape[0])
    for label in sig_bins:  # one term per binned signature gene
        bg += Z[:, bins == label].mean(axis=1)
    return Z[:, sig_idx].mean(axis=1) - bg / len(sig_bins)


# ----------------------------------------------------------------------------- bins
def test_bins_hand_worked_example():
    # quantile(0:9, seq(0.2, 1, 0.2)) in R = 1.8 3.6 5.4 7.2 9.0 -> bins [1.8,3.6) ... [7.2,9)
    assert authors_bins(np.arange(10.0), n_bins=5).tolist() == [-1, -1, 2, 2, 3, 3, 4, 4, 5, -1]


def test_bins_follow_r_arithmetic_at_exact_edges():
    """Edges that are data values, and R's floating-point seq().

    R's seq(0.2, 1, by = 0.2) is 0.2 + (0:4) * 0.2, whose third element is
    0.6000000000000001; quantile(0:10, .) (type 7: 1 + 10 p) is then 2, 4, 6.000000000000001,
    8, 10. A value equal to an edge opens the next bin (v >= edge), so 2 is in bin 2 and 8 in
    bin 5, but 6 stays in bin 3 because its edge is a hair above 6.
    """
    got = authors_bins(np.arange(11.0), n_bins=5).tolist()
    assert got == [-1, -1, 2, 2, 3, 3, 3, 4, 5, 5, -1]


def test_bins_equal_the_authors_discretize_loop():
    df = _log_matrix()
    means = df.to_numpy().mean(axis=0)
    got = authors_bins(means, n_bins=50)
    expected = _r_discretize(means, 50)
    np.testing.assert_array_equal(got, expected)
    # the quirks are reproduced: genes below the 1/50 quantile (here the zero genes and a
    # few more: 30 of 1500) and the maximum are in no bin; labels run 2..50
    assert (got[:20] == -1).all() and (got == -1).sum() == 31
    assert got[np.argmax(means)] == -1
    assert set(got[got > 0]) == set(range(2, 51))


# ----------------------------------------------------------------------------- sampling
@pytest.mark.parametrize("bin_size,n_draw", [(400, 3), (400, 60), (400, 300), (30, 29), (7, 7)])
def test_each_round_draws_distinct_genes(bin_size, n_draw):
    """One round = a subset: counts 0/1 summing to n_draw, in every drawing regime."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        c = _draw_bin_counts(rng, bin_size, n_draw, 1)
        assert c.max() <= 1 and c.sum() == n_draw
    many = _draw_bin_counts(rng, bin_size, n_draw, 2000)
    assert many.sum() == 2000 * n_draw and many.max() <= 2000
    # every gene is equally likely: counts ~ Binomial(2000, n_draw / bin_size)
    p = n_draw / bin_size
    if 0 < p < 1:
        sd = np.sqrt(2000 * p * (1 - p))
        assert np.abs(many - 2000 * p).max() < 6 * sd


def test_draw_control_counts_respects_bins():
    bins = np.array([2, 2, 2, 2, 3, 3, 3, -1, -1])
    sig = np.array([0, 1, 4, 7])  # two genes in bin 2, one in bin 3, one in no bin
    c = draw_control_counts(bins, sig, n_random=500, rng=np.random.default_rng(0))
    assert c[:4].sum() == 1000 and c[4:7].sum() == 500 and c[7:].sum() == 0


# ----------------------------------------------------------------------------- the score
def test_expected_background_equals_naive_bin_means():
    df = _log_matrix()
    idx = list(range(10, 230, 4))  # includes unbinned zero genes (10..19)
    sig = _sig([df.columns[i] for i in idx], background="expected")
    got = _run(df, sig)
    # the background is one float32 BLAS product over the stored float32 matrix: ~1e-6
    np.testing.assert_allclose(got, _naive_oe_expected(df.to_numpy(), idx), rtol=0, atol=1e-5)


def test_random_background_matches_authors_loop_within_monte_carlo_error():
    df = _log_matrix()
    X = df.to_numpy()
    idx = list(range(35, 1500, 37))
    raw, rounds = _naive_oe_rounds(X, idx, 1000, np.random.default_rng(99))
    naive = raw - rounds.mean(axis=1)
    se = rounds.std(axis=1, ddof=1) / np.sqrt(rounds.shape[1])
    got = _run(df, _sig([df.columns[i] for i in idx], n_random=1000))
    # two independent Monte Carlo estimates of the same mean: difference ~ N(0, 2 se^2)
    assert np.all(np.abs(got - naive) < 5 * np.sqrt(2) * se)
    # ... and the background is not trivial: it moves the score by much more than that
    assert np.abs(raw - naive).max() > 20 * se.max()


def test_random_background_converges_to_the_bin_mean_expectation():
    df = _log_matrix()
    genes = [df.columns[i] for i in range(50, 1500, 29)]
    expected = _run(df, _sig(genes, background="expected"))
    err_small = np.abs(_run(df, _sig(genes, n_random=20)) - expected).max()
    err_large = np.abs(_run(df, _sig(genes, n_random=20000)) - expected).max()
    assert err_large < err_small / 5  # sqrt(1000) ~ 32 in expectation
    assert err_large < 2e-3


def test_two_sided_is_up_minus_down_and_scores_are_centred():
    df = _log_matrix()
    up = [df.columns[i] for i in range(100, 400, 7)]
    down = [df.columns[i] for i in range(600, 900, 11)]
    both = _run(df, _sig(up, down, background="expected"))
    one_up = _run(df, _sig(up, background="expected"))
    one_down = _run(df, _sig(down, background="expected"))
    np.testing.assert_allclose(both, one_up - one_down, atol=1e-5)  # float32 product
    # every term is a weighted sum of gene-centred values: the cohort mean is zero (up to the
    # float32 accumulation of the background product)
    assert abs(_run(df, _sig(up, down)).mean()) < 1e-5


def test_tpm_input_is_log2_transformed_first():
    df = _log_matrix(n=12, g=600)
    tpm = np.exp2(df) - 1.0
    genes = [df.columns[i] for i in range(100, 300, 5)]
    a = _run(df, _sig(genes, background="expected"), unit="log2tpm")
    b = _run(tpm, _sig(genes, background="expected"), unit="tpm")
    np.testing.assert_allclose(a, b, atol=1e-4)  # float32 storage of TPM


def test_deterministic_for_a_seed_and_independent_of_scoring_order():
    df = _log_matrix()
    genes_a = [df.columns[i] for i in range(60, 600, 9)]
    genes_b = [df.columns[i] for i in range(700, 1400, 13)]
    ctx = ScoringContext(Expression(df, unit="log2tpm"), seed=3)
    kern = get_kernel("jerby_oe")
    a_first = kern(ctx, _sig(genes_a), genes_a)
    kern(ctx, _sig(genes_b), genes_b)
    ctx2 = ScoringContext(Expression(df, unit="log2tpm"), seed=3)
    kern(ctx2, _sig(genes_b), genes_b)
    a_second = kern(ctx2, _sig(genes_a), genes_a)
    np.testing.assert_array_equal(a_first, a_second)
    other_seed = _run(df, _sig(genes_a), seed=4)
    assert np.abs(other_seed - a_first).max() > 0


def test_fewer_than_two_genes_give_nan_and_bad_params_raise():
    df = _log_matrix(n=6, g=200)
    assert np.isnan(_run(df, _sig(["G100"]))).all()
    assert np.isnan(_run(df, _sig(["G100", "G101"], ["G150"]))).all()
    with pytest.raises(InputError, match="n_random"):
        _run(df, _sig(["G100", "G101"], n_random=0))
    with pytest.raises(InputError, match="background"):
        _run(df, _sig(["G100", "G101"], background="mean"))
