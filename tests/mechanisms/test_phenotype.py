"""Immune phenotype classifier, shipped reference and model (checked against independent code).

Independent references: scikit-learn's ``LogisticRegression.predict_proba`` for the
probabilities; numpy quantiles computed here straight from the PredictioR files (not through
the package's reader or scorer) for the shipped reference; a refit with scikit-learn for the
shipped coefficients; the pathologists' calls of the IMvigor210 development subset for the
cross-validated accuracy.
"""

from __future__ import annotations

import hashlib
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from immunescape.expression import Expression
from immunescape.mechanisms._phenotype import (
    FEATURE_GENES,
    FEATURE_SETS,
    FEATURES,
    PHENOTYPE_COLUMNS,
    _softmax_proba,
    immune_phenotypes,
    phenotype_features,
)
from immunescape.mechanisms._reference import (
    MODEL_FILE,
    REFERENCE_FILE,
    load_shipped,
    match_cancer_type,
    reference_gene_stats,
    reference_group,
    reference_score_table,
)

DEV = "imvigor210_phenotype_dev"


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


# ----------------------------------------------------------------------------- shipped files
@pytest.mark.parametrize("name", [REFERENCE_FILE, MODEL_FILE])
def test_shipped_files_match_their_checksums(name):
    from importlib import resources

    base = resources.files("immunescape.mechanisms") / "data"
    raw = (base / name).read_bytes()
    want = (base / f"{name}.sha256").read_text().split()[0]
    assert hashlib.sha256(raw).hexdigest() == want
    doc = json.loads(raw)
    assert name == f"{name.split('_v')[0]}_v{doc['version']}.json" == doc["file"]
    assert doc["built_by"].startswith("scripts/")


def _fake_data_dir(tmp_path, monkeypatch):
    """Point the shared resource loader at ``tmp_path`` (as if it were ``mechanisms/data``)."""
    from immunescape import _resources

    class Pkg:
        def joinpath(self, *parts):
            return tmp_path.joinpath(*parts[1:])

    monkeypatch.setattr(_resources.resources, "files", lambda _pkg: Pkg())


def test_tampered_file_is_a_resource_error_not_an_input_error(tmp_path, monkeypatch):
    from immunescape.errors import InputError, ResourceError
    from immunescape.mechanisms import _reference as R

    _fake_data_dir(tmp_path, monkeypatch)
    body = b'{"version": "1"}'
    (tmp_path / "x.json").write_bytes(body)
    (tmp_path / "x.json.sha256").write_text("0" * 64 + "  x.json\n")
    with pytest.raises(ResourceError, match="corrupt") as info:
        R._read_checked("x.json")
    assert not isinstance(info.value, InputError)  # exit 1 ("reinstall"), not the user's fault
    # the right digest (computed here with hashlib) is accepted and reported
    digest = hashlib.sha256(body).hexdigest()
    (tmp_path / "x.json.sha256").write_text(f"{digest}  x.json\n")
    assert R._read_checked("x.json") == {"version": "1", "sha256": digest}
    # a file that passes its checksum but is not JSON is still the installation's fault
    (tmp_path / "y.json").write_bytes(b"{not json")
    (tmp_path / "y.json.sha256").write_text(
        hashlib.sha256(b"{not json").hexdigest() + "  y.json\n")
    with pytest.raises(ResourceError, match="not valid JSON"):
        R._read_checked("y.json")


def test_reference_lists_cohorts_groups_and_licence():
    doc = load_shipped(REFERENCE_FILE)
    assert "MIT" in doc["licence"] and "GPL-3" in doc["licence"]
    assert {c["cohort"] for c in doc["cohorts"]} >= {"Riaz2017_melanoma_PD1", "Miao2018_RCC_PD1"}
    assert all("panel" not in c["cohort"] for c in doc["cohorts"])
    assert set(doc["groups"]) >= {"pan_cancer", "melanoma"}
    assert all(doc["groups"][g]["n"] >= doc["min_group"] for g in doc["groups"])
    assert reference_group("SKCM") == "melanoma" and reference_group("thyroid") == "pan_cancer"
    q = reference_score_table("pan_cancer")
    assert (q.diff().dropna() >= 0).all().all()  # quantiles are monotone


@pytest.mark.parametrize(("text", "group"), [
    # TCGA study names (portal.gdc.cancer.gov) and clinicians' spellings -> shipped group
    ("Skin Cutaneous Melanoma", "melanoma"), ("Kidney renal clear cell carcinoma", "kidney"),
    ("ccRCC", "kidney"),
    ("metastatic clear-cell RCC", "kidney"), ("Pancreatic adenocarcinoma", "pancreas"),
    ("SKCM", "melanoma"), ("  melanoma ", "melanoma"),
    # another disease, or no shipped group: the pan-cancer reference, with a note
    ("Uveal Melanoma", "pan_cancer"), ("Lung adenocarcinoma", "pan_cancer"),
    ("skin squamous cell carcinoma", "pan_cancer"), ("foo", "pan_cancer"),
    # the kidney group is clear-cell RCC only (Miao 2018): not papillary or chromophobe
    ("Kidney renal papillary cell carcinoma", "pan_cancer"), ("KICH", "pan_cancer"),
    ("chromophobe RCC", "pan_cancer"),
])
def test_cancer_type_phrases_match_the_shipped_groups(text, group):
    got, note = match_cancer_type(text)
    assert got == group and reference_group(text) == group
    if group == "pan_cancer":
        assert note is not None and "pan-cancer reference is used" in note
        assert "kidney, melanoma, pancreas" in note and repr(text) in note
    else:
        assert note is None


def test_reference_covers_every_per_sample_registry_score():
    """A per-sample score added to the registry needs the reference rebuilt (else it silently
    falls back to within-cohort percentiles for one patient): the script must have been rerun."""
    from immunescape.signatures.registry import load_registry

    per_sample = {s.id for s in load_registry() if s.scope == "per_sample"}
    # pan-cancer pools every cohort; a cancer-type group may lack a score its few cohorts
    # cannot compute (msi_pairs on the kidney cohort's gene set)
    missing = per_sample - set(reference_score_table("pan_cancer").columns)
    assert not missing, sorted(missing)


# ----------------------------------------------------------------------------- model maths
def test_probabilities_equal_scikit_learn_predict_proba():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    y = np.array(["inflamed", "excluded", "desert"])[(X[:, 0] > 0.3) + (X[:, 1] > 0) * 1]
    m = LogisticRegression(C=1.0, max_iter=2000).fit(X, y)
    order = [list(m.classes_).index(c) for c in ("inflamed", "excluded", "desert")]
    ours = _softmax_proba(X, m.coef_[order], m.intercept_[order])
    np.testing.assert_allclose(ours, m.predict_proba(X)[:, order], rtol=1e-10, atol=1e-12)


def test_features_are_means_of_the_registry_gene_z_scores():
    genes = FEATURE_GENES["t_effector"]
    z = pd.DataFrame(np.arange(2 * len(genes), dtype=float).reshape(2, -1), columns=genes)
    f, n = phenotype_features(z)
    assert n["t_effector"] == 8 and set(genes) == {"CD8A", "GZMA", "GZMB", "IFNG", "CXCL9",
                                                    "CXCL10", "PRF1", "TBX21"}
    assert f["t_effector"].tolist() == [3.5, 11.5]
    # a feature below its gene minimum is missing, never a guess
    f, _ = phenotype_features(z[genes[: FEATURES["t_effector"][1] - 1]])
    assert f["t_effector"].isna().all()


def _expr_from_reference(group: str, shifts: dict[str, float], n: int, seed: int) -> Expression:
    """Whole-transcriptome-sized TPM matrix whose phenotype genes sit at reference z-scores."""
    rng = np.random.default_rng(seed)
    stats = reference_gene_stats(group)
    cols = {}
    for g, (mu, sd) in stats.iterrows():
        shift = next((v for f, v in shifts.items() if g in FEATURE_GENES[f]), 0.0)
        cols[g] = np.exp2(mu + sd * (shift + 0.3 * rng.standard_normal(n))) - 1
    filler = 10000 - len(cols)
    X = pd.DataFrame(cols, index=[f"T{i}" for i in range(n)]).clip(lower=0)
    rest = (1e6 - X.sum(axis=1).to_numpy()) / filler  # TPM sums to 1e6 without rescaling
    fill = pd.DataFrame(np.repeat(rest[:, None], filler, axis=1), index=X.index,
                        columns=[f"FILLER{i}" for i in range(filler)])
    return Expression(pd.concat([X, fill], axis=1), unit="tpm")


def test_fixed_scale_calls_an_all_inflamed_cohort_inflamed():
    # every tumour: T-effector, CD8 and antigen presentation 1.5 reference sd above the
    # reference mean, stroma at it. A cohort-tertile rule would call a third of them desert.
    hot = {"t_effector": 1.5, "cd8": 1.5, "antigen_presentation": 1.5}
    e = _expr_from_reference("pan_cancer", hot, 30, seed=1)
    res = immune_phenotypes(e)
    t = res.table
    assert t["feature_set"].eq("full").all() and t["scale"].str.startswith("shipped").all()
    assert (t["immune_phenotype"] == "inflamed").mean() >= 0.9
    cold = _expr_from_reference("pan_cancer", {"t_effector": -1.5, "cd8": -1.5,
                                               "antigen_presentation": -1.0}, 30, seed=2)
    assert (immune_phenotypes(cold).table["immune_phenotype"] == "desert").mean() >= 0.9


def test_single_patient_panel_needs_a_reference_and_says_why():
    genes = sorted({g for f in FEATURE_SETS["core"] for g in FEATURE_GENES[f]})
    e = Expression(pd.DataFrame(np.full((1, len(genes)), 20.0), index=["P1"], columns=genes),
                   unit="tpm")
    t = immune_phenotypes(e).table
    assert t["immune_phenotype"].isna().all()
    assert "--reference" in t["not_assessable"].iloc[0]
    assert list(t.columns) == PHENOTYPE_COLUMNS


def test_too_few_genes_is_not_assessable_with_the_reason():
    z = Expression(pd.DataFrame({"CD8A": [1.0, -1.0]}, index=["a", "b"]), unit="zscore")
    t = immune_phenotypes(z).table
    assert t["immune_phenotype"].isna().all()
    assert t["not_assessable"].str.contains("too few genes: t_effector").all()


# ----------------------------------------------------------------------------- real data
@pytest.mark.realdata
def test_reference_quantiles_match_numpy_on_the_raw_file(shared_data):
    # kidney = Miao 2018 alone: recompute CD8A's reference straight from the file
    doc = load_shipped(REFERENCE_FILE)
    assert doc["groups"]["kidney"]["cohorts"] == ["Miao2018_RCC_PD1"]
    raw = pd.read_csv(shared_data / "predictior_icb/Miao2018_RCC_PD1_expr_log2tpm.tsv.gz",
                      sep="\t", index_col=0)
    cd8a = np.log2(np.maximum(np.exp2(raw.loc["CD8A"].to_numpy(float)) - 0.001, 0) + 1)
    q = np.quantile(cd8a, (np.arange(100) + 0.5) / 100)
    np.testing.assert_allclose(reference_score_table("kidney")["gene_CD8A"], q, rtol=1e-4,
                               atol=1e-4)
    st = reference_gene_stats("kidney").loc["CD8A"]
    assert st["mean"] == pytest.approx(cd8a.mean(), rel=1e-4)
    assert st["sd"] == pytest.approx(cd8a.std(ddof=1), rel=1e-4)


@pytest.fixture(scope="module")
def dev(shared_data):
    from immunescape.io import read_expression

    d = shared_data / DEV
    expr, _ = _quiet(read_expression, d / "imvigor210_dev_expr_zscore_panel.tsv.gz",
                     unit="zscore")
    lab = pd.read_csv(d / "imvigor210_dev_phenotype.tsv", sep="\t", dtype=str)
    return expr, lab.set_index("sample_id")["immune_phenotype"]


def _dev_features(dev):
    from immunescape.mechanisms._phenotype import phenotype_gene_z

    expr, y = dev
    z, scale, _ = phenotype_gene_z(expr)
    assert scale.startswith("centred data as given")
    feats, _ = phenotype_features(z)
    return feats, y.reindex(feats.index).to_numpy()


def _refit(X: pd.DataFrame, y: np.ndarray, cols: list[str], C: float):
    """The multinomial model fitted straight with scikit-learn, as documented."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(
        X[cols].to_numpy(float), y)


@pytest.mark.realdata
def test_shipped_coefficients_are_the_documented_refit(dev):
    feats, y = _dev_features(dev)
    model = load_shipped(MODEL_FILE)
    assert set(model["feature_sets"]) == set(FEATURE_SETS)
    for name, spec in model["feature_sets"].items():
        m = _refit(feats, y, spec["features"], spec["C"])
        order = [list(m.classes_).index(c) for c in model["classes"]]
        np.testing.assert_allclose(np.asarray(spec["coef"]), m.coef_[order], atol=1e-4,
                                   err_msg=name)
        # biology, not only arithmetic: CD8 T-effector weighs towards inflamed, away from
        # desert (Mariathasan 2018: highest in inflamed, lowest in desert)
        coef = pd.DataFrame(spec["coef"], index=model["classes"], columns=spec["features"])
        assert coef.loc["inflamed", "t_effector"] > coef.loc["desert", "t_effector"], name


@pytest.mark.realdata
def test_shipped_model_against_the_pathologists_calls(dev):
    # the package's own calls on the development tumours (in-sample, so an upper bound of
    # the cross-validated figure; chance is 1/3 overall and per class)
    from sklearn.metrics import balanced_accuracy_score, recall_score

    expr, y = dev
    t = immune_phenotypes(expr).table.set_index("sample_id")
    assert (t["feature_set"] == "full").all()
    truth = y.reindex(t.index).to_numpy()
    called = t["immune_phenotype"].to_numpy(dtype=object)
    assert balanced_accuracy_score(truth, called) >= 0.68
    rec = recall_score(truth, called, labels=["inflamed", "excluded", "desert"], average=None)
    assert (rec >= 0.5).all(), rec


@pytest.mark.realdata
def test_first_repeat_of_the_nested_cross_validation_reproduces_the_model_file(dev):
    # the first outer repeat of the build script's nested CV, re-done here with scikit-learn
    # directly (inner C by stratified 5-fold balanced accuracy, the documented seeds): the
    # outer balanced accuracy (uncalled = wrong; here every tumour is called) must equal the
    # one recorded in the shipped model file
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    seed = 20180215
    feats, y = _dev_features(dev)
    model = load_shipped(MODEL_FILE)
    spec = model["feature_sets"]["full"]
    cols, grid = spec["features"], model["training"]["c_grid"]
    X = feats[cols]
    pred = np.empty(len(y), dtype=object)
    with threadpool_limits(1):
        for k, (tr, te) in enumerate(StratifiedKFold(5, shuffle=True, random_state=seed)
                                     .split(X, y)):
            Xtr, ytr = X.iloc[tr], y[tr]
            inner = list(StratifiedKFold(5, shuffle=True, random_state=seed + k).split(Xtr, ytr))
            best, best_c = -1.0, grid[0]
            for C in grid:
                p = np.empty(len(ytr), dtype=object)
                for itr, ite in inner:
                    p[ite] = _refit(Xtr.iloc[itr], ytr[itr], cols, C).predict(
                        Xtr.iloc[ite].to_numpy(float))
                ba = balanced_accuracy_score(ytr, p)
                if ba > best + 1e-12:
                    best, best_c = ba, C
            pred[te] = _refit(Xtr, ytr, cols, best_c).predict(X.iloc[te].to_numpy(float))
    cv = spec["cv"]
    assert balanced_accuracy_score(y, pred) == pytest.approx(
        cv["balanced_accuracy_per_repeat"][0], abs=1e-4)
    per = np.asarray(cv["balanced_accuracy_per_repeat"])
    assert cv["balanced_accuracy_mean"] == pytest.approx(per.mean(), abs=1e-4)
    assert cv["balanced_accuracy_sd"] == pytest.approx(per.std(ddof=1), abs=1e-4)
    cm = np.asarray(cv["confusion_matrix"]["counts_summed_over_repeats"])
    assert cm.sum() == len(y) * len(per)
    assert cv["balanced_accuracy_mean"] > 0.6  # chance is 1/3


@pytest.mark.realdata
def test_calls_do_not_depend_on_the_cohort_they_are_in(dev):
    # centred data are scaled as given: the inflamed tumours alone get the same calls as
    # within the whole subset (a cohort-tertile rule would re-split them three ways)
    expr, y = dev
    full = immune_phenotypes(expr).table.set_index("sample_id")
    infl = [s for s in expr.samples if y[s] == "inflamed"]
    sub = Expression(expr.values.loc[infl], unit="zscore")
    alone = immune_phenotypes(sub).table.set_index("sample_id")
    pd.testing.assert_series_equal(alone["immune_phenotype"], full.loc[infl, "immune_phenotype"])
    assert full["immune_phenotype"].notna().mean() >= 0.95
    assert (alone["immune_phenotype"] == "inflamed").mean() >= 0.6


@pytest.mark.realdata
def test_single_whole_transcriptome_patient_against_the_shipped_reference(shared_data):
    from immunescape.io import read_expression

    expr, _ = _quiet(read_expression,
                     shared_data / "predictior_icb/Miao2018_RCC_PD1_expr_log2tpm.tsv.gz")
    one = Expression(expr.values.iloc[:1], unit=expr.unit, log_offset=expr.log_offset)
    t = immune_phenotypes(one, cancer_type="kidney").table
    assert t["immune_phenotype"].notna().all() and t["feature_set"].iloc[0] == "full"
    assert "shipped reference (kidney" in t["scale"].iloc[0]
    # the same patient in its cohort gets the same call: the scale is fixed
    whole = immune_phenotypes(expr, cancer_type="kidney").table
    assert whole.iloc[0]["immune_phenotype"] == t.iloc[0]["immune_phenotype"]
    assert whole.iloc[0]["p_inflamed"] == pytest.approx(t.iloc[0]["p_inflamed"])


def test_one_patient_rna_evidence_against_the_shipped_reference():
    # a single sample: percentiles of per-sample scores come from the shipped quantiles
    from immunescape.mechanisms import Evidence, call_mechanisms

    ref = reference_score_table("pan_cancer")
    q = ref["gene_AXL"].to_numpy()
    one = pd.DataFrame({"gene_AXL": [q[-1] + 1.0], "gene_MITF": [ref["gene_MITF"].iloc[0] - 1]},
                       index=["P1"])
    calls = call_mechanisms(Evidence(["P1"], scores=one, reference_scores=ref),
                            mechanisms=["mitf_low_axl_high"])
    assert calls.table["status"].tolist() == ["present"]
    assert "100th percentile" in calls.table["rna_evidence"].iloc[0]


@pytest.mark.realdata
def test_run_on_centred_dev_data_records_the_basis(shared_data):
    from immunescape.pipeline import run_pipeline

    res = _quiet(run_pipeline, expr=shared_data / DEV / "imvigor210_dev_expr_zscore_panel.tsv.gz",
                 unit="zscore")
    ph = res.tables["phenotypes.tsv"]
    assert ph["immune_phenotype"].notna().all()
    assert np.allclose(ph[["p_inflamed", "p_excluded", "p_desert"]].sum(axis=1), 1.0)
    assert res.run["reference"]["basis"].startswith("analysed cohort only (centred")
    assert res.run["phenotypes"]["model"]["sha256"] == load_shipped(MODEL_FILE)["sha256"]
    feats = res.tables["features.tsv"]
    assert feats.loc["cyt", "status"] == "not_computable_centred"
    assert feats.loc["cd8_teff", "status"] == "scored"


@pytest.mark.realdata
def test_reference_and_centred_data_are_refused_together(shared_data):
    from immunescape.errors import InputError
    from immunescape.pipeline import run_pipeline

    f = shared_data / DEV / "imvigor210_dev_expr_zscore_panel.tsv.gz"
    with pytest.raises(InputError, match="centred"):
        _quiet(run_pipeline, expr=f, unit="zscore", reference=f)


@pytest.mark.realdata
def test_panel_without_stromal_genes_falls_back_and_says_so(dev):
    expr, _ = dev
    stromal = set(FEATURE_GENES["stroma"])
    keep = [g for g in expr.genes if g not in stromal]
    sub = Expression(expr.values[keep], unit="zscore")
    t = immune_phenotypes(sub).table
    assert (t["feature_set"] == "immune").all() and t["immune_phenotype"].notna().all()
    full = immune_phenotypes(expr).table
    assert (full["feature_set"] == "full").all()


def test_phenotype_result_has_the_one_result_shape():
    from immunescape._result import Result

    z = Expression(pd.DataFrame({"CD8A": [1.0, -1.0]}, index=["a", "b"]), unit="zscore")
    res = immune_phenotypes(z)
    assert isinstance(res, Result) and list(res.tables) == ["phenotypes"]
    assert res.to_frame() is res.table and res.settings is res.provenance
    assert res.settings["model"]["file"] == MODEL_FILE and res.warnings == []


def test_temperature_scales_the_linear_predictor_as_scipy_softmax():
    from scipy.special import softmax

    rng = np.random.default_rng(3)
    X, coef, icpt = rng.normal(size=(20, 4)), rng.normal(size=(3, 4)), rng.normal(size=3)
    for T in (0.2, 1.0, 3.0):
        np.testing.assert_allclose(_softmax_proba(X, coef, icpt, T),
                                   softmax((X @ coef.T + icpt) / T, axis=1), rtol=1e-12)
    # a temperature never changes the most probable class
    assert (_softmax_proba(X, coef, icpt, 0.2).argmax(1)
            == _softmax_proba(X, coef, icpt, 5.0).argmax(1)).all()


@pytest.mark.realdata
def test_shipped_temperatures_are_the_documented_inner_cv_fit(dev):
    """Each feature set's temperature minimises the log loss of the out-of-fold linear
    predictors of the documented inner split (seed 20180215), recomputed here with
    scikit-learn's log_loss and a grid over T (independent of the build's optimiser)."""
    from scipy.special import softmax
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    feats, y = _dev_features(dev)
    model = load_shipped(MODEL_FILE)
    classes = model["classes"]
    for name, spec in model["feature_sets"].items():
        X = feats[spec["features"]].to_numpy(float)
        eta = np.empty((len(y), 3))
        with threadpool_limits(1):
            for tr, te in StratifiedKFold(5, shuffle=True, random_state=20180215).split(X, y):
                m = _refit(feats.iloc[tr], y[tr], spec["features"], spec["C"])
                order = [list(m.classes_).index(c) for c in classes]
                eta[te] = m.decision_function(X[te])[:, order]
        srt = [classes.index(c) for c in sorted(classes)]  # log_loss wants sorted columns

        def loss(T, eta=eta, srt=srt):
            return log_loss(y, softmax(eta / T, axis=1)[:, srt], labels=sorted(classes))

        grid = np.exp(np.linspace(np.log(0.05), np.log(20), 4001))
        best = grid[int(np.argmin([loss(T) for T in grid]))]
        assert spec["temperature"] == pytest.approx(best, rel=2e-3), name
        cal = spec["cv"]["calibration"]
        # calibrated out-of-fold probabilities beat the class frequencies on both scores
        assert cal["brier_mean"] < cal["brier_class_frequencies"], name
        assert cal["log_loss_mean"] < cal["log_loss_class_frequencies"], name


@pytest.mark.parametrize(("text", "word", "group"), [
    ("KIRP", "kirp", "kidney"), ("chromophobe RCC", "chromophobe", "kidney"),
    ("Uveal Melanoma", "uveal", "melanoma")])
def test_a_related_disease_is_named_as_not_the_shipped_group(text, word, group):
    got, note = match_cancer_type(text)
    assert got == "pan_cancer"
    assert f"({word}: not the disease of the shipped {group} group)" in note
