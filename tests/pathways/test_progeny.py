"""PROGENy: vendored model, R golden output, kernel, decoupler peer and real data."""

from __future__ import annotations

import hashlib
import json
import math
import statistics
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from immunescape.errors import ImmunescapeWarning, InputError, ResourceError, SchemaError
from immunescape.expression import Expression
from immunescape.pathways import progeny as pg
from immunescape.pathways.progeny import (
    PATHWAYS,
    progeny_manifest,
    progeny_model,
    progeny_scores,
    progeny_weights,
    signature_id,
)
from immunescape.signatures.methods import KERNELS, ScoringContext
from immunescape.signatures.methods.progeny import progeny_signatures

DATA = Path(__file__).parent / "data"
PKG_DATA = resources.files("immunescape.pathways").joinpath("data")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def r_input() -> pd.DataFrame:
    """R progeny's extdata/human_input.csv as samples x genes (the file is genes x samples)."""
    return pd.read_csv(DATA / "human_input.csv", index_col=0, float_precision="round_trip").T


@pytest.fixture(scope="module")
def r_expected() -> pd.DataFrame:
    return pd.read_csv(DATA / "human_def_expected.csv", index_col=0, float_precision="round_trip")


# ------------------------------------------------------------------ checksums and manifest
def test_vendored_model_checksum_matches_sidecar_and_manifest():
    raw = PKG_DATA.joinpath("progeny_human.tsv.gz").read_bytes()
    sidecar = PKG_DATA.joinpath("progeny_human.tsv.gz.sha256").read_text().split()
    manifest = json.loads(PKG_DATA.joinpath("progeny_manifest.json").read_text())
    assert sidecar == [_sha256(raw), "progeny_human.tsv.gz"]
    assert manifest["sha256"] == _sha256(raw)
    assert manifest["licence"] == "Apache-2.0"
    assert manifest["pmid"] == "29295995"
    assert manifest["r_package_version"] == "1.20.0"


def test_oracle_files_checksums():
    sums = dict(reversed(line.split()) for line in (DATA / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == {"human_input.csv", "human_def_expected.csv"}
    for name, digest in sums.items():
        assert _sha256((DATA / name).read_bytes()) == digest
    assert progeny_manifest()["test_oracle_sha256"] == sums


def test_corrupted_model_is_refused(monkeypatch):
    """A flipped byte in the shipped model is a broken installation (ResourceError, exit 1)."""
    from immunescape import _resources

    real = _resources._read

    def corrupt(package: str, name: str) -> bytes:
        data = real(package, name)
        return data[:-1] + bytes([data[-1] ^ 1]) if name.endswith(".gz") else data

    pg._stored_model.cache_clear()
    monkeypatch.setattr(_resources, "_read", corrupt)
    try:
        with pytest.raises(ResourceError, match="corrupt.*reinstall"):
            pg._stored_model()
    finally:
        pg._stored_model.cache_clear()


# ------------------------------------------------------------------ model selection
def test_model_shape_and_order():
    m = progeny_model()
    assert list(m.columns) == ["pathway", "gene", "weight", "p_value"]
    assert m.groupby("pathway").size().to_dict() == dict.fromkeys(PATHWAYS, 100)
    assert list(dict.fromkeys(m["pathway"])) == list(PATHWAYS)
    for _, grp in m.groupby("pathway"):
        assert grp["p_value"].is_monotonic_increasing
    # top=1000 is the whole vendored table; 1001 is refused
    assert len(progeny_model(top=1000)) == 14 * 1000
    w = progeny_weights(top=100)
    assert list(w.columns) == list(PATHWAYS)
    assert ((w != 0).sum() == 100).all()


def test_top_keeps_ties_like_dplyr_top_n(monkeypatch):
    # dplyr::top_n(n, wt = -p) keeps rows with min_rank(p) <= n: ties at the boundary stay.
    table = pd.DataFrame(
        {
            "pathway": ["EGFR"] * 4 + ["WNT"] * 2,
            "gene": ["A", "B", "C", "D", "A", "E"],
            "weight": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "p_value": [0.1, 0.2, 0.2, 0.3, 0.5, 0.4],
        }
    )
    pg._model.cache_clear()
    monkeypatch.setattr(pg, "_stored_model", lambda: table)
    try:
        m = pg._model(2)
        assert sorted(m.loc[m["pathway"] == "EGFR", "gene"]) == ["A", "B", "C"]
        assert sorted(m.loc[m["pathway"] == "WNT", "gene"]) == ["A", "E"]
        assert sorted(pg._model(1)["gene"]) == ["A", "E"]
    finally:
        pg._model.cache_clear()


@pytest.mark.parametrize("top", [0, 1001, 2.5, "100", True])
def test_bad_top(top):
    with pytest.raises(InputError, match="top"):
        progeny_model(top=top)


def test_only_human():
    assert len(progeny_model(organism="Human")) == 1400
    with pytest.raises(InputError, match="organism"):
        progeny_model(organism="mouse")


# ------------------------------------------------------------------ golden: R's own oracle
def test_golden_against_r_expected(r_input, r_expected):
    """R progeny 1.20.0 test suite: progeny(human_input, scale=TRUE, top=10).

    The package's tests/testthat/test-progeny_pipeline.R makes human_def_expected.csv with
    ``top = 10`` (not the default 100: with top=100 the expected values are not reproduced,
    checked below). R printed 15 significant digits; both sides compute in float64, so the
    only differences are the printed rounding of input and output (~1e-15 relative) and the
    summation order: 1e-10 leaves a margin of three orders of magnitude while any wrong gene,
    weight or scaling (differences of order 0.01-1) fails.
    """
    got = progeny_scores(r_input, top=10, scale=True)
    assert list(got.columns) == list(r_expected.columns)
    assert list(got.index) == list(r_expected.index)
    diff = np.abs(got.to_numpy() - r_expected.to_numpy()).max()
    assert diff < 1e-10, diff
    # The same input at top=100 is a different model: far from R's top=10 output.
    other = progeny_scores(r_input, top=100)
    assert np.abs(other.to_numpy() - r_expected.to_numpy()).max() > 0.1


def test_golden_input_misses_some_model_genes(r_input):
    # the oracle also exercises "genes absent from the data contribute zero"
    genes = set(progeny_model(top=10)["gene"])
    assert 0 < len(genes - set(r_input.columns)) < len(genes)


def test_golden_through_kernel_and_expression(r_input, r_expected):
    """The registered kernel on an Expression reproduces R within float32 storage error.

    Expression stores float32 (relative rounding 6e-8 on values ~10): scores agree to ~1e-5.
    """
    expr = Expression(r_input, unit="log2tpm")  # values used as log2(x + 1) as given
    ctx = ScoringContext(expr)
    kernel = KERNELS["progeny"]
    sigs = {s.params["pathway"]: s for s in progeny_signatures(top=10)}
    for pathway in PATHWAYS:
        sig = sigs[pathway]
        got = kernel(ctx, sig, expr.has(sig.genes))
        np.testing.assert_allclose(got, r_expected[pathway].to_numpy(), atol=1e-5)
    assert list(ctx._cache) == [("progeny", "10", "True")]  # one product for 14 pathways


# ------------------------------------------------------------------ kernel vs naive loop
def _naive(df: pd.DataFrame, offset: float, top: int, scale: bool) -> pd.DataFrame:
    """Per-sample, per-pathway Python loop straight from the definition."""
    model = progeny_model(top=top)
    present = set(df.columns)
    raw = {}
    for pathway in PATHWAYS:
        rows = model[model["pathway"] == pathway]
        col = []
        for sample in df.index:
            total = 0.0
            for gene, weight in zip(rows["gene"], rows["weight"], strict=True):
                if gene in present:
                    x = float(df.at[sample, gene])
                    tpm = max(2.0**x - offset, 0.0)
                    total += weight * math.log2(tpm + 1.0)
            col.append(total)
        if scale:
            mu = statistics.fmean(col)
            sd = statistics.stdev(col)
            col = [(v - mu) / sd for v in col]
        raw[pathway] = col
    return pd.DataFrame(raw, index=df.index)


@pytest.mark.parametrize("scale", [True, False])
def test_kernel_equals_naive_loop(scale):
    rng = np.random.default_rng(7)
    genes = list(progeny_weights(top=20).index)
    keep = [g for g in genes if rng.random() > 0.2]  # ~20 % of footprint genes missing
    keep += ["NOT_A_MODEL_GENE1", "NOT_A_MODEL_GENE2"]
    values = rng.normal(3.0, 2.5, size=(9, len(keep)))
    values[0, :5] = np.log2(0.001)  # zeros in log2(TPM + 0.001)
    df = pd.DataFrame(values, columns=keep, index=[f"s{i}" for i in range(9)])
    expr = Expression(df, unit="log2tpm", log_offset=0.001)
    stored = expr.values.astype(np.float64)  # what Expression holds (float32)
    expected = _naive(stored, 0.001, 20, scale)

    ctx = ScoringContext(expr)
    kernel = KERNELS["progeny"]
    for sig in progeny_signatures(top=20):
        sig = sig.model_copy(update={"params": {**sig.params, "scale": scale}})
        got = kernel(ctx, sig, expr.has(sig.genes))
        np.testing.assert_allclose(got, expected[sig.params["pathway"]], rtol=1e-9, atol=1e-9)
    assert len(ctx._cache) == 1
    # the public function agrees with the kernel
    np.testing.assert_allclose(
        progeny_scores(expr, top=20, scale=scale).to_numpy(), expected.to_numpy(), atol=1e-9
    )


def test_scaling_nan_and_constant_columns_like_r():
    rng = np.random.default_rng(1)
    genes = list(progeny_weights().index)
    df = pd.DataFrame(rng.normal(5, 1, (5, len(genes))), columns=genes)
    df.iloc[2, 0] = np.nan  # R: that sample's scores are NA; others scaled without it
    got = progeny_scores(df)
    hit = [p for p in PATHWAYS if progeny_weights()[p].iloc[0] != 0]
    raw = progeny_scores(df, scale=False)
    for p in PATHWAYS:
        col = raw[p].dropna()
        expected = (col - statistics.fmean(col)) / statistics.stdev(col)
        np.testing.assert_allclose(got[p].dropna(), expected, atol=1e-12)
        assert got[p].isna().sum() == (1 if p in hit else 0)
    const = pd.DataFrame(np.ones((3, len(genes))), columns=genes)
    assert progeny_scores(const).isna().all().all()  # sd 0 -> NaN, as R's scale()


def test_input_errors():
    genes = list(progeny_weights().index)
    one = pd.DataFrame([np.ones(len(genes))], columns=genes)
    with pytest.raises(InputError, match="at least 2 samples"):
        progeny_scores(one)
    assert progeny_scores(one, scale=False).shape == (1, 14)
    with pytest.raises(InputError, match="none of the PROGENy"):
        progeny_scores(pd.DataFrame({"FOO": [1.0, 2.0]}))
    dup = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=[genes[0], genes[0]])
    with pytest.raises(InputError, match="duplicated"):
        progeny_scores(dup)
    with pytest.raises(InputError, match="non-numeric"):
        progeny_scores(pd.DataFrame({genes[0]: ["a", "b"]}))
    with pytest.raises(InputError, match="Expression"):
        progeny_scores(np.ones((2, 2)))  # type: ignore[arg-type]


def test_kernel_single_sample_warns_and_gives_nan():
    genes = list(progeny_weights().index)
    expr = Expression(pd.DataFrame([np.ones(len(genes))], columns=genes), unit="log2tpm")
    sig = progeny_signatures()[0]
    with pytest.warns(ImmunescapeWarning, match="at least 2 samples"):
        out = KERNELS["progeny"](ScoringContext(expr), sig, sig.genes)
    assert np.isnan(out).all()


def test_kernel_rejects_unknown_pathway():
    sig = progeny_signatures()[0]
    bad = sig.model_copy(update={"params": {"pathway": "Notch"}})
    expr = Expression(pd.DataFrame({sig.genes[0]: [1.0, 2.0]}), unit="log2tpm")
    with pytest.raises(SchemaError, match="Notch"):
        KERNELS["progeny"](ScoringContext(expr), bad, [])


# ------------------------------------------------------------------ outdated model symbols
def test_outdated_model_symbols_match_current_hgnc_symbols():
    current = pg._current_symbols()
    # HGNC renames (genenames.org): ACPP -> ACP3, DARS -> DARS1, C8orf4 -> TCIM, T -> TBXT
    for old, new in {"ACPP": "ACP3", "DARS": "DARS1", "C8orf4": "TCIM", "T": "TBXT"}.items():
        assert current[old] == new
    # never onto a symbol the model itself uses (no gene counted twice)
    assert not set(current.values()) & set(pg._stored_model()["gene"])
    assert len(set(current.values())) == len(current)

    rng = np.random.default_rng(11)
    genes = list(progeny_weights().index)
    df = pd.DataFrame(rng.normal(4, 2, (6, len(genes))), columns=genes)
    renamed = df.rename(columns=current)
    assert (renamed.columns != df.columns).sum() > 10
    np.testing.assert_allclose(progeny_scores(renamed), progeny_scores(df), atol=1e-12)
    by_id = {s.params["pathway"]: s for s in progeny_signatures()}
    assert "DARS1" in by_id["Hypoxia"].genes and by_id["Hypoxia"].aliases["DARS"] == "DARS1"
    assert by_id["Hypoxia"].weights["DARS1"] == float(progeny_weights().loc["DARS", "Hypoxia"])


# ------------------------------------------------------------------ registry entries
def test_signatures():
    sigs = progeny_signatures()
    assert [s.id for s in sigs] == [
        "progeny_androgen", "progeny_egfr", "progeny_estrogen", "progeny_hypoxia",
        "progeny_jak_stat", "progeny_mapk", "progeny_nfkb", "progeny_p53", "progeny_pi3k",
        "progeny_tgfb", "progeny_tnfa", "progeny_trail", "progeny_vegf", "progeny_wnt",
    ]  # fmt: skip
    assert signature_id("JAK-STAT") == "progeny_jak_stat"
    model = progeny_model()
    for s in sigs:
        p = s.params["pathway"]
        assert s.kind == "pathway" and s.method == "progeny"
        assert s.scope == "cohort_relative" and s.pmid == "29295995"
        assert s.input_unit == "log2tpm1"
        published = model.loc[model["pathway"] == p, "gene"].tolist()
        assert s.genes == [s.aliases.get(g, g) for g in published]
        assert set(s.aliases) <= set(published)
        assert s.params == {"pathway": p, "top": 100, "scale": True}
    by_id = {s.id: s for s in sigs}
    assert by_id["progeny_tgfb"].direction == "resistance"
    assert by_id["progeny_jak_stat"].direction == "response"
    assert by_id["progeny_egfr"].direction == "neutral"


# ------------------------------------------------------------------ peer: decoupler wsum
def test_decoupler_wsum_peer(r_input):
    """decoupler's weighted-sum estimate (waggr fun='wsum', no permutations) is expr x W.

    Like-for-like with PROGENy's unscaled score when given the same weights (in memory; no
    network). decoupler's mlm/ulm are different methods and are not compared.
    """
    dc = pytest.importorskip("decoupler")
    rng = np.random.default_rng(3)
    genes = list(progeny_weights(top=100).index)
    keep = [g for g in genes if rng.random() > 0.1]
    synthetic = pd.DataFrame(
        rng.normal(4, 2, (12, len(keep))), columns=keep, index=[f"s{i}" for i in range(12)]
    )
    for data, top in ((r_input, 10), (r_input, 100), (synthetic, 100)):
        net = progeny_model(top=top).rename(columns={"pathway": "source", "gene": "target"})
        es = dc.mt.waggr(data, net[["source", "target", "weight"]], fun="wsum", times=0, tmin=1)
        es = es[0] if isinstance(es, tuple) else es
        ours = progeny_scores(data, top=top, scale=False)
        np.testing.assert_allclose(
            ours.loc[es.index, es.columns].to_numpy(), es.to_numpy(), rtol=1e-12, atol=1e-9
        )


# ------------------------------------------------------------------ real data: Riaz 2017
@pytest.mark.realdata
def test_riaz2017_jak_stat_tracks_interferon_gamma(shared_data):
    from scipy.stats import spearmanr

    path = shared_data / "predictior_icb" / "Riaz2017_melanoma_PD1_expr_log2tpm.tsv.gz"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    table = pd.read_csv(path, sep="\t", index_col=0)
    expr = Expression(table.T, unit="log2tpm", log_offset=0.001, source=path.name)
    scores = progeny_scores(expr)
    assert scores.shape == (46, 14) and list(scores.columns) == list(PATHWAYS)
    assert not scores.isna().any().any()
    np.testing.assert_allclose(scores.std(ddof=1), 1.0, atol=1e-9)
    # IFN-gamma and its target CXCL9 are in no footprint, so the association is not circular:
    # JAK-STAT activity should rise with IFN-gamma signalling. Observed: rho 0.61 (CXCL9),
    # 0.55 (IFNG), n = 46.
    model = progeny_model()
    assert not model["gene"].isin(["CXCL9", "IFNG"]).any()
    lg = expr.columns(["CXCL9", "IFNG"], "log2tpm1")
    rho_cxcl9, p_cxcl9 = spearmanr(scores["JAK-STAT"], lg[:, 0])
    rho_ifng, p_ifng = spearmanr(scores["JAK-STAT"], lg[:, 1])
    assert rho_cxcl9 > 0.4 and p_cxcl9 < 1e-3
    assert rho_ifng > 0.4 and p_ifng < 1e-3
