"""Rank-based methods against independent references.

- ``rank_rows``: scipy.stats.rankdata, row by row.
- ssGSEA: gseapy.ssgsea (the peer named in DESIGN.md; |delta ES| <= 1e-6) run on the same
  matrix, and a naive running-sum walk written from Barbie et al. 2009 (sum over all positions
  of P_hit - P_miss) with gseapy's tie order.
- singscore: a naive per-sample loop written from Foroutan et al. 2018 / the R package's
  ``simpleScore`` (rankGenes ties "min", bounds (k+1)/2 and (2N-k+1)/2, centring by 0.5, down
  set scored as 1 - S, dispersion = R's mad).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from immunescape._ranks import rank_columns, rank_rows, rank_rows_many, rank_tables
from immunescape.errors import InputError
from immunescape.expression import Expression
from immunescape.signatures.methods import ScoringContext, get_kernel
from immunescape.signatures.methods.rank import ssgsea_es, ssgsea_scores
from immunescape.signatures.schema import Signature

gseapy = pytest.importorskip("gseapy")


# ----------------------------------------------------------------------------- data
def _tied_matrix(n: int = 30, g: int = 2000, seed: int = 7) -> pd.DataFrame:
    """TPM-like data with many ties: ~25 % zeros and values rounded to 0.1."""
    rng = np.random.default_rng(seed)
    X = np.exp(rng.normal(1.0, 2.0, size=(n, g)))
    X[X < 1.0] = 0.0
    X = np.round(X, 1).astype(np.float32)
    genes = [f"G{i:05d}" for i in range(g)]  # upper case: gseapy upper-cases set genes
    return pd.DataFrame(X, index=[f"S{i:03d}" for i in range(n)], columns=genes)


def _gene_sets(genes: list[str], seed: int = 3) -> dict[str, list[str]]:
    rng = np.random.default_rng(seed)
    sizes = [3, 5, 15, 40, 120, 400]
    return {f"SET{j}": list(rng.choice(genes, size=s, replace=False)) for j, s in enumerate(sizes)}


def _gseapy_table(df: pd.DataFrame, sets: dict[str, list[str]], column: str) -> pd.DataFrame:
    res = gseapy.ssgsea(
        data=df.T,  # gseapy wants genes x samples
        gene_sets=sets,
        sample_norm_method="rank",
        correl_norm_type="rank",
        weight=0.25,
        permutation_num=0,
        min_size=1,
        max_size=100000,
        threads=1,
        outdir=None,
        no_plot=True,
        seed=1,
    )
    table = res.res2d.pivot(index="Name", columns="Term", values=column).astype(float)
    return table.loc[df.index, list(sets)]


def _ctx(df: pd.DataFrame, unit: str = "tpm", seed: int = 0) -> ScoringContext:
    return ScoringContext(Expression(df, unit=unit), seed=seed)


def _sig(method: str, up: list[str], down: list[str] | None = None, **params) -> Signature:
    return Signature(
        id="t",
        name="t",
        method=method,
        direction="neutral",
        scope="per_sample",
        genes=up,
        genes_down=down or [],
        params=params,
        citation="test",
    )


def _run(ctx: ScoringContext, sig: Signature) -> np.ndarray:
    genes = ctx.expr.has(sig.all_genes())
    return get_kernel(sig.method)(ctx, sig, genes)


# ----------------------------------------------------------------------------- rank_rows
@pytest.mark.parametrize("method", ["average", "min", "max", "dense", "ordinal"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rank_rows_equals_scipy_rankdata(method, dtype):
    rng = np.random.default_rng(0)
    X = np.round(rng.normal(size=(41, 257)), 1).astype(dtype)  # many ties
    X[0, :7] = -0.0
    X[0, 7:14] = 0.0  # -0.0 and 0.0 are equal
    X[1] = 5.0  # a constant row
    X[2, :3] = [np.inf, -np.inf, np.inf]
    got = rank_rows(X, method=method, dtype=np.float64, chunk_rows=4, n_jobs=2)
    expected = rankdata(X, axis=1, method=method)
    np.testing.assert_array_equal(got, expected)


def test_rank_rows_default_is_float32_average_ranks():
    rng = np.random.default_rng(1)
    X = rng.poisson(3.0, size=(20, 3000)).astype(np.float32)  # count data: heavy ties
    X[0, :5] = -0.0  # equal to 0.0 (non-negative fast path)
    got = rank_rows(X)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, rankdata(X, axis=1))
    # one thread and many give the same result
    np.testing.assert_array_equal(rank_rows(X, n_jobs=1, chunk_rows=3), got)


@pytest.mark.parametrize("negative", [False, True])
def test_rank_tables_lookups_equal_scipy(negative):
    rng = np.random.default_rng(2)
    X = rng.poisson(2.0, size=(23, 700)).astype(np.float32)
    if negative:
        X -= 1.5
    ordinal, min_at, max_at = rank_tables(X, chunk_rows=5, n_jobs=2)
    assert ordinal.dtype == np.uint16
    np.testing.assert_array_equal(ordinal, rankdata(X, axis=1, method="ordinal"))
    at = ordinal.astype(np.intp) - 1
    lo = np.take_along_axis(min_at, at, axis=1)
    hi = np.take_along_axis(max_at, at, axis=1)
    np.testing.assert_array_equal(lo, rankdata(X, axis=1, method="min"))
    np.testing.assert_array_equal(hi, rankdata(X, axis=1, method="max"))
    np.testing.assert_array_equal((lo + hi.astype(float)) / 2, rankdata(X, axis=1))
    with pytest.raises(ValueError, match="NaN"):
        rank_tables(np.array([[1.0, np.nan]], np.float32))
    cols = np.array([699, 3, 3, 250, 0])
    o, lo_c, hi_c = rank_columns(X, cols, chunk_rows=6, n_jobs=2)
    np.testing.assert_array_equal(o, ordinal[:, cols])
    np.testing.assert_array_equal(lo_c, lo[:, cols])
    np.testing.assert_array_equal(hi_c, hi[:, cols])


def test_rank_rows_nan_entries_are_nan_and_do_not_count():
    X = np.array([[3.0, np.nan, 1.0, 3.0], [np.nan, np.nan, np.nan, np.nan]], dtype=np.float32)
    got = rank_rows(X)
    expected = rankdata(X, axis=1, nan_policy="omit")
    np.testing.assert_array_equal(got, expected)
    assert got[0].tolist()[0] == 2.5 and np.isnan(got[0, 1])


def test_rank_rows_many_several_methods_from_one_sort():
    rng = np.random.default_rng(4)
    X = np.round(rng.normal(size=(30, 400)), 1).astype(np.float32)
    methods = ["average", "dense", "ordinal", "max", "min"]
    got = rank_rows_many(X, methods, dtypes=[np.float64] * 5, chunk_rows=7, n_jobs=2)
    for method, ranks in zip(methods, got, strict=True):
        np.testing.assert_array_equal(ranks, rankdata(X, axis=1, method=method))


def test_rank_rows_many_integer_dtypes_and_errors():
    X = np.array([[2.0, 1.0, 2.0, 0.0]], dtype=np.float32)
    mins, ordinal = rank_rows_many(X, ["min", "ordinal"], dtypes=[np.uint16, np.uint16])
    assert mins.dtype == np.uint16
    assert mins.tolist() == [[3, 2, 3, 1]]
    assert ordinal.tolist() == [[3, 2, 4, 1]]  # ties broken by column order
    with pytest.raises(ValueError, match="floating"):
        rank_rows(X, method="average", dtype=np.int32)
    with pytest.raises(ValueError, match="cannot hold"):
        rank_rows(np.zeros((1, 300), np.float32), method="min", dtype=np.uint8)
    with pytest.raises(ValueError, match="unknown rank method"):
        rank_rows(X, method="first")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NaN"):
        rank_rows(np.array([[1.0, np.nan]], np.float32), method="min", dtype=np.uint16)


def test_expression_ranks_use_rank_rows():
    df = _tied_matrix(5, 50)
    np.testing.assert_array_equal(Expression(df, unit="tpm").ranks(), rankdata(df, axis=1))


# ----------------------------------------------------------------------------- ssGSEA
def test_ssgsea_scores_equal_gseapy_es_and_nes():
    df = _tied_matrix()
    sets = _gene_sets(list(df.columns))
    ours = ssgsea_scores(df, sets)
    ref = _gseapy_table(df, sets, "ES")
    assert np.abs(ours.to_numpy() - ref.to_numpy()).max() <= 1e-6
    ours_nes = ssgsea_scores(df, sets, normalize=True)
    ref_nes = _gseapy_table(df, sets, "NES")
    assert np.abs(ours_nes.to_numpy() - ref_nes.to_numpy()).max() <= 1e-9


def test_ssgsea_tie_order_matters_on_this_data():
    """The gseapy comparison above would fail with another tie rule: it is a real test."""
    df = _tied_matrix()
    sets = _gene_sets(list(df.columns))
    X = df.to_numpy()
    avg = rankdata(X, axis=1)
    wrong = {}  # positions from average ranks (ties in the middle of their block)
    for name, members in sets.items():
        idx = df.columns.get_indexer(members)
        wrong[name] = ssgsea_es(avg[:, idx], avg[:, idx], X.shape[1])
    diff = np.abs(pd.DataFrame(wrong, index=df.index).to_numpy() - ssgsea_scores(df, sets))
    assert diff.to_numpy().max() > 1e-2


def _naive_walk_es(values: np.ndarray, members: set[int], alpha: float) -> float:
    """Barbie et al.: walk down the genes sorted by decreasing expression, sum P_hit - P_miss.

    Tie order as gseapy: a stable ascending sort, reversed.
    """
    n = values.size
    order = np.argsort(values, kind="stable")[::-1]
    ranks = rankdata(values)
    hit_weight = sum(ranks[i] ** alpha for i in members)
    p_hit = p_miss = 0.0
    total = 0.0
    for i in order:
        if i in members:
            p_hit += ranks[i] ** alpha / hit_weight
        else:
            p_miss += 1.0 / (n - len(members))
        total += p_hit - p_miss
    return total


def test_ssgsea_es_equals_naive_running_sum():
    df = _tied_matrix(n=4, g=300)
    members = [5, 17, 40, 41, 99, 250]
    X = df.to_numpy()
    got = ssgsea_scores(df, {"s": [df.columns[i] for i in members]}, alpha=0.25)["s"]
    for s in range(X.shape[0]):
        assert got.iloc[s] == pytest.approx(_naive_walk_es(X[s], set(members), 0.25), abs=1e-9)


def test_ssgsea_kernel_equals_gseapy_one_and_two_sided():
    df = _tied_matrix()
    sets = _gene_sets(list(df.columns))
    ref = _gseapy_table(df, {"SET3": sets["SET3"], "SET4": sets["SET4"]}, "ES")
    ctx = _ctx(df, unit="tpm")
    one = _run(ctx, _sig("ssgsea", sets["SET3"]))
    np.testing.assert_allclose(one, ref["SET3"].to_numpy(), rtol=0, atol=1e-6)
    two = _run(ctx, _sig("ssgsea", sets["SET3"], sets["SET4"]))
    np.testing.assert_allclose(two, (ref["SET3"] - ref["SET4"]).to_numpy(), rtol=0, atol=1e-6)


def test_ssgsea_kernel_normalize_equals_gseapy_nes_for_one_set():
    """With one gene set, gseapy's NES divides by the range over samples, as the kernel does."""
    df = _tied_matrix()
    genes = _gene_sets(list(df.columns))["SET4"]
    ref = _gseapy_table(df, {"SET4": genes}, "NES")["SET4"].to_numpy()
    got = _run(_ctx(df), _sig("ssgsea", genes, normalize=True))
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9)


def test_ssgsea_kernel_is_unit_invariant_and_uses_alpha():
    df = _tied_matrix(n=8, g=400)
    genes = list(df.columns[:30])
    log_df = np.log2(df + 1.0)
    a = _run(_ctx(df, "tpm"), _sig("ssgsea", genes))
    b = _run(_ctx(log_df, "log2tpm"), _sig("ssgsea", genes))
    np.testing.assert_allclose(a, b, atol=1e-9)
    c = _run(_ctx(df), _sig("ssgsea", genes, alpha=1))
    expected = ssgsea_scores(df, {"x": genes}, alpha=1.0)["x"].to_numpy()
    np.testing.assert_allclose(c, expected, atol=1e-9)
    assert np.abs(a - c).max() > 1e-3
    with pytest.raises(InputError, match="alpha"):
        _run(_ctx(df), _sig("ssgsea", genes, alpha=-1))


# ----------------------------------------------------------------------------- singscore
def _naive_singscore(
    X: np.ndarray,
    up: list[int],
    down: list[int] | None,
    ties: str = "min",
    center: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample loop, written from the paper and R's simpleScore/singscoring."""
    n_genes = X.shape[1]
    scores, disps = [], []

    def one(r: np.ndarray, idx: list[int]) -> tuple[float, float]:
        k = len(idx)
        mean_rank = sum(r[i] for i in idx) / k
        low, high = (k + 1) / 2, (2 * n_genes - k + 1) / 2
        vals = sorted(r[i] for i in idx)
        med = float(np.median(vals))
        mad = float(np.median([abs(v - med) for v in vals])) * 1.4826
        return (mean_rank - low) / (high - low), mad

    for s in range(X.shape[0]):
        r = rankdata(X[s], method=ties)
        s_up, d_up = one(r, up)
        if down:
            s_dn, d_dn = one(r, down)
            s_dn = 1.0 - s_dn
            if center:
                s_up, s_dn = s_up - 0.5, s_dn - 0.5
            scores.append(s_up + s_dn)
            disps.append(d_up + d_dn)
        else:
            scores.append(s_up - 0.5 if center else s_up)
            disps.append(d_up)
    return np.array(scores), np.array(disps)


@pytest.mark.parametrize("ties", ["min", "average"])
def test_singscore_equals_naive_per_sample_loop(ties):
    df = _tied_matrix(n=12, g=800)
    X = df.to_numpy()
    up, down = list(range(0, 60, 3)), list(range(100, 130))
    cols = list(df.columns)
    ctx = _ctx(df)
    params = {} if ties == "min" else {"ties": "average"}
    for down_idx in (None, down):
        sig = _sig("singscore", [cols[i] for i in up], [cols[i] for i in down_idx or []], **params)
        exp_score, exp_disp = _naive_singscore(X, up, down_idx, ties=ties)
        np.testing.assert_allclose(_run(ctx, sig), exp_score, rtol=0, atol=1e-12)
        sig_d = sig.model_copy(update={"params": {**params, "output": "dispersion"}})
        np.testing.assert_allclose(_run(ctx, sig_d), exp_disp, rtol=0, atol=1e-9)
    sig_nc = _sig("singscore", [cols[i] for i in up], center=False, **params)
    np.testing.assert_allclose(
        _run(ctx, sig_nc), _naive_singscore(X, up, None, ties=ties, center=False)[0], atol=1e-12
    )


def test_singscore_tie_rule_changes_the_score_on_tied_data():
    df = _tied_matrix(n=12, g=800)
    genes = list(df.columns[:40])
    ctx = _ctx(df)
    a = _run(ctx, _sig("singscore", genes))
    b = _run(ctx, _sig("singscore", genes, ties="average"))
    assert np.abs(a - b).max() > 1e-3


def test_singscore_bounds_are_reached():
    """Set genes at the very top score 0.5, at the very bottom -0.5 (paper, Methods)."""
    values = np.arange(1.0, 101.0)[None, :].repeat(2, axis=0)
    values[1] = values[1][::-1]
    df = pd.DataFrame(values, index=["a", "b"], columns=[f"G{i}" for i in range(100)])
    top = [f"G{i}" for i in range(90, 100)]
    got = _run(_ctx(df), _sig("singscore", top))
    np.testing.assert_allclose(got, [0.5, -0.5], atol=1e-12)
    both = _run(_ctx(df), _sig("singscore", top, [f"G{i}" for i in range(10)]))
    np.testing.assert_allclose(both, [1.0, -1.0], atol=1e-12)


def test_singscore_rejects_unknown_options():
    df = _tied_matrix(n=3, g=50)
    with pytest.raises(InputError, match="ties"):
        _run(_ctx(df), _sig("singscore", list(df.columns[:5]), ties="dense"))


def test_runner_scores_rank_methods_and_rejects_nan():
    from immunescape.signatures.runner import score

    df = _tied_matrix(n=10, g=500)
    sets = _gene_sets(list(df.columns))
    expr = Expression(df, unit="tpm")
    result = score(expr, signatures=[_sig("ssgsea", sets["SET3"])])
    expected = ssgsea_scores(expr, {"x": sets["SET3"]})["x"].to_numpy()
    np.testing.assert_allclose(result.scores["t"].to_numpy(), expected, atol=1e-9)
    np.testing.assert_allclose(
        ssgsea_scores(df, {"x": sets["SET3"]})["x"].to_numpy(), expected, atol=0
    )
    bad = df.copy()
    bad.iloc[0, 0] = np.nan
    ctx = _ctx(bad)
    with pytest.raises(InputError, match="NaN"):
        _run(ctx, _sig("singscore", sets["SET3"]))
