"""``train`` / ``evaluate --dna-samples``: a labelled sample without a MAF row has unknown TMB.

The cohort is simulated; its MAF is written here by hand (sample i of the sequenced ones has
i mod 25 + 1 missense mutations), so every TMB is known: (i mod 25 + 1) / 38 mutations per Mb
for the sequenced samples, unknown (``maf``, the default) or 0 (``all``) for the others. The trained
model is checked against scikit-learn fitted on those hand-computed values.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from immunescape.cli import main
from immunescape.predict import load_cohort

GENES = ["TP53", "BRAF", "NRAS", "PTEN", "NF1", "ARID1A", "KMT2D", "CDKN2A", "B2M", "JAK1",
         "JAK2", "STK11", "KEAP1", "SMARCA4", "ATM", "BRCA2", "POLE", "MSH6", "APC", "KRAS",
         "PIK3CA", "EGFR", "RB1", "FAT1", "LRP1B", "CSMD3", "MUC16", "TTN", "SPTA1", "ZFHX3"]
CAPTURE = 38.0


def _maf(path, samples):
    rows = [{"Hugo_Symbol": GENES[j], "Tumor_Sample_Barcode": s,
             "Variant_Classification": "Missense_Mutation"}
            for i, s in enumerate(samples) for j in range(i % 25 + 1)]
    pd.DataFrame(rows).to_csv(path, sep="\t", index=False)
    return {s: (i % 25 + 1) / CAPTURE for i, s in enumerate(samples)}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """Expression, clinical, a MAF of all but 8 labelled samples and one of only 6."""
    from immunescape.datasets import simulate_cohort, write_cohort

    d = tmp_path_factory.mktemp("dna_train")
    write_cohort(simulate_cohort(40, seed=21), d, include_dna=False)
    expr, clin = d / "expression.tsv", d / "clinical.tsv"
    y = load_cohort(expr, clin, signatures=["cyt"]).y
    labelled = list(y.index)
    # unsequenced: 8 labelled samples, both outcomes among them
    unseq = list(y[y == 1].index[:3]) + list(y[y == 0].index[:5])
    sequenced = [s for s in labelled if s not in unseq]
    tmb = _maf(d / "maf.tsv", sequenced)
    _maf(d / "few.tsv", sequenced[:6])
    return {"expr": expr, "clin": clin, "maf": d / "maf.tsv", "few": d / "few.tsv",
            "y": y, "tmb": tmb, "unseq": unseq, "sequenced": sequenced}


def test_load_cohort_gives_unsequenced_samples_no_tmb(cohort):
    c = load_cohort(cohort["expr"], cohort["clin"], maf=cohort["maf"], capture_mb=CAPTURE,
                    signatures=["cyt"])
    expected = pd.Series(cohort["tmb"]).reindex(c.X.index)  # NaN: no MAF row
    np.testing.assert_allclose(c.X["tmb"], expected)
    assert sorted(c.meta["tmb_unknown"]) == sorted(cohort["unseq"])
    assert any("8 of" in w and "--dna-samples all" in w for w in c.meta["warnings"])
    # 'all': every labelled sample was sequenced, no row = TMB 0 (the earlier behaviour)
    c_all = load_cohort(cohort["expr"], cohort["clin"], maf=cohort["maf"], capture_mb=CAPTURE,
                        signatures=["cyt"], dna_samples="all")
    np.testing.assert_allclose(c_all.X["tmb"], expected.fillna(0.0))
    assert c_all.meta["tmb_unknown"] == []


def _sklearn_coef(tmb, y):
    """One standardised feature log2(TMB + 1), L2 C=0.1, balanced: train's defaults."""
    x = np.log2(np.asarray(tmb, dtype=float) + 1.0).reshape(-1, 1)
    lr = LogisticRegression(C=0.1, class_weight="balanced", tol=1e-10, max_iter=10000)
    lr.fit(StandardScaler().fit_transform(x), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _train(cohort, tmp_path, *extra, maf="maf", features="tmb_log2"):
    out = tmp_path / f"model_{maf}_{'_'.join(extra) or 'default'}.json"
    code = main(["train", "--cohort", f"{cohort['expr']}:{cohort['clin']}:{cohort[maf]}",
                 "--capture-mb", str(CAPTURE), "--features", features, "-o", str(out), *extra])
    return code, out


def test_train_leaves_out_unsequenced_samples_when_tmb_is_a_feature(cohort, tmp_path, capsys):
    code, out = _train(cohort, tmp_path)
    err = capsys.readouterr().err
    assert code == 0, err
    assert "cohort expression: 8 of 40 labelled samples have no TMB" in err
    model = json.loads(out.read_text())
    seq = cohort["sequenced"]
    assert model["training"]["n_samples"] == len(seq) == 32
    coef, intercept = _sklearn_coef([cohort["tmb"][s] for s in seq], cohort["y"].loc[seq])
    assert model["coefficients"]["tmb_log2"] == pytest.approx(coef, rel=1e-4)
    assert model["intercept"] == pytest.approx(intercept, rel=1e-4, abs=1e-6)


def test_train_dna_samples_all_keeps_the_earlier_tmb_zero(cohort, tmp_path, capsys):
    code, out = _train(cohort, tmp_path, "--dna-samples", "all")
    err = capsys.readouterr().err
    assert code == 0, err
    assert "no TMB" not in err
    model = json.loads(out.read_text())
    y = cohort["y"]
    assert model["training"]["n_samples"] == len(y) == 40
    coef, _ = _sklearn_coef([cohort["tmb"].get(s, 0.0) for s in y.index], y)
    assert model["coefficients"]["tmb_log2"] == pytest.approx(coef, rel=1e-4)


def test_train_without_tmb_features_keeps_every_sample(cohort, tmp_path, capsys):
    code, out = _train(cohort, tmp_path, features="cyt")
    err = capsys.readouterr().err
    assert code == 0, err
    assert "no TMB" not in err
    assert json.loads(out.read_text())["training"]["n_samples"] == 40


def test_train_refuses_a_cohort_with_too_few_sequenced_samples(cohort, tmp_path, capsys):
    code, out = _train(cohort, tmp_path, maf="few")
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "cohort 'expression': 34 of 40 labelled samples have no TMB" in err
    assert "--dna-samples all" in err and "--features" in err
    assert not out.exists()


def test_evaluate_model_scores_the_sequenced_samples_only(cohort, tmp_path, capsys):
    code, model = _train(cohort, tmp_path)
    assert code == 0
    capsys.readouterr()
    out = tmp_path / "ev"
    code = main(["evaluate", "--model", str(model), "--capture-mb", str(CAPTURE), "--cohort",
                 f"{cohort['expr']}:{cohort['clin']}:{cohort['maf']}", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "8 of 40 labelled samples have no TMB" in err
    ev = pd.read_csv(out / "evaluation.tsv", sep="\t").set_index("predictor")
    seq = cohort["sequenced"]
    assert (ev["n"] == len(seq)).all()  # the model and the published predictors alike
    sign = np.sign(json.loads(model.read_text())["coefficients"]["tmb_log2"])
    expected = roc_auc_score(cohort["y"].loc[seq], sign * np.array([cohort["tmb"][s]
                                                                    for s in seq]))
    assert ev.loc["model", "auc"] == pytest.approx(expected, abs=1e-6)
    run = json.loads((out / "run.json").read_text())
    assert sorted(run["cohorts"]["expression"]["left_out_tmb_unknown"]) == sorted(
        cohort["unseq"])
    # --dna-samples all: the 40 labelled samples, the unsequenced at TMB 0
    code = main(["evaluate", "--model", str(model), "--capture-mb", str(CAPTURE), "--cohort",
                 f"{cohort['expr']}:{cohort['clin']}:{cohort['maf']}", "--dna-samples", "all",
                 "-o", str(tmp_path / "ev_all")])
    assert code == 0
    ev_all = pd.read_csv(tmp_path / "ev_all" / "evaluation.tsv", sep="\t")
    assert (ev_all["n"] == 40).all()


def test_a_maf_naming_no_expression_sample_is_refused(cohort, tmp_path, capsys):
    """Ids that match nothing (e.g. another naming scheme) are not unsequenced samples."""
    other = tmp_path / "other.tsv"
    _maf(other, [f"{s}_tumour" for s in cohort["sequenced"]])
    for dna in ("maf", "all"):
        out = tmp_path / f"m_{dna}.json"
        code = main(["train", "--cohort", f"{cohort['expr']}:{cohort['clin']}:{other}",
                     "--capture-mb", str(CAPTURE), "--features", "tmb_log2",
                     "--dna-samples", dna, "-o", str(out)])
        err = capsys.readouterr().err.strip()
        assert code == 2 and len(err.splitlines()) == 1, err
        assert "--cohort expression" in err and str(other) in err and "_tumour" in err
        assert not out.exists()


@pytest.mark.realdata
def test_riaz_unsequenced_samples_are_left_out(shared_data, tmp_path, capsys):
    """Riaz 2017 (PredictioR expression and clinical, the authors' pre-therapy calls): Pt1,
    Pt39 and Pt62 are labelled but have no DNA (clinical ``dna`` empty) and no MAF row."""
    s = shared_data / "predictior_icb" / "Riaz2017_melanoma_PD1"
    maf = shared_data / "riaz2017_bms038" / "pre_therapy_nonsynonmous_mutations.csv"
    spec = f"{s}_expr_log2tpm.tsv.gz:{s}_clinical.tsv:{maf}"
    clin = pd.read_csv(f"{s}_clinical.tsv", sep="\t", index_col="sample_id")
    assert clin.loc[["Pt1", "Pt39", "Pt62"], "dna"].isna().all()
    for dna, n in (("maf", 27), ("all", 30)):
        out = tmp_path / f"riaz_{dna}.json"
        code = _quiet_main(["train", "--cohort", spec, "--capture-mb", "38", "--features",
                            "cyt,tmb_log2", "--dna-samples", dna, "-o", str(out)])
        err = capsys.readouterr().err
        assert code == 0, err
        assert json.loads(out.read_text())["training"]["n_samples"] == n
        assert ("3 of 30 labelled samples have no TMB" in err) is (dna == "maf")


def _quiet_main(args):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return main(args)
