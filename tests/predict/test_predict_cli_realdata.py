"""``immunescape predict`` on real files that used to crash or be refused.

* a small whole-transcriptome cohort (15 samples of Hugo2016, written to a temporary
  folder) with every model: no internal error (used to raise KeyError 'sample_id');
* the built-in model on targeted-panel cohorts where some of its features cannot be scored
  (used to refuse the whole cohort): exit 0, ``features_used`` per sample, the missing
  features in run.json; a panel with none of its genes: exit 2 with one line;
* ``loris_nsclc`` on the Vanguri table, whose empty ``PDL1_TPS(%)`` cells are missing values
  (used to be refused as non-numeric).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from immunescape.cli import PUBLISHED_MODELS, main

pytestmark = pytest.mark.realdata


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture(scope="module")
def small_cohort(shared_data, tmp_path_factory):
    src = shared_data / "predictior_icb" / "Hugo2016_melanoma_PD1_expr_log2tpm.tsv.gz"
    expr = pd.read_csv(src, sep="\t")
    path = tmp_path_factory.mktemp("small") / "small15_expr.tsv"
    expr.iloc[:, :16].to_csv(path, sep="\t", index=False)  # gene column + 15 samples
    return path


@pytest.mark.parametrize("model", ["builtin", "impres", "gep", "cyt", "ifng6", "cd274"])
def test_every_expression_model_runs_on_a_15_sample_cohort(small_cohort, tmp_path, capsys,
                                                            model):
    out = tmp_path / model
    code, _, err = _run(capsys, "predict", "--model", model, "--expr", str(small_cohort),
                        "--unit", "log2tpm", "-o", str(out))
    assert code == 0, err
    pred = pd.read_csv(out / "predictions.tsv", sep="\t")
    assert len(pred) == 15 and pred["score"].notna().all()
    if model == "builtin":
        assert pred["probability"].between(0, 1).all()
        assert (pred["standardisation"] == "cohort").all()


def test_builtin_on_one_patient(small_cohort, tmp_path, capsys):
    one = tmp_path / "one.tsv"
    pd.read_csv(small_cohort, sep="\t").iloc[:, :2].to_csv(one, sep="\t", index=False)
    code, _, err = _run(capsys, "predict", "--model", "builtin", "--expr", str(one),
                        "--unit", "log2tpm", "-o", str(tmp_path / "o"))
    assert code == 0, err
    pred = pd.read_csv(tmp_path / "o" / "predictions.tsv", sep="\t")
    assert len(pred) == 1 and pred.loc[0, "standardisation"] == "reference"
    assert 0 < pred.loc[0, "probability"] < 1


@pytest.mark.parametrize("panel", ["Hwang2020_NSCLC_PD1_panel383",
                                   "Roh2017_melanoma_CTLA4_panel721"])
def test_builtin_predicts_from_the_features_a_panel_has(shared_data, tmp_path, capsys, panel):
    expr = shared_data / "predictior_icb" / f"{panel}_expr_log2tpm.tsv.gz"
    out = tmp_path / "o"
    code, _, err = _run(capsys, "predict", "--model", "builtin", "--expr", str(expr),
                        "-o", str(out))
    assert code == 0, err
    pred = pd.read_csv(out / "predictions.tsv", sep="\t", keep_default_na=False)
    run = json.loads((out / "run.json").read_text())
    assert run["missing_features"], "a panel lacks some of the model's features"
    assert "model features missing" in run["warnings"][0]
    used = set(",".join(pred["features_used"]).split(","))
    assert used and not used & set(run["missing_features"])


def test_builtin_refuses_a_panel_without_any_of_its_genes(shared_data, tmp_path, capsys):
    expr = (shared_data / "predictior_icb"
            / "VanDenEnde2021_esophageal_PD1_panel1364_expr_log2tpm.tsv.gz")
    out = tmp_path / "o"
    code, _, err = _run(capsys, "predict", "--model", "builtin", "--expr", str(expr),
                        "-o", str(out))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "none of the model's features" in err
    assert not out.exists()


def test_loris_nsclc_reads_empty_cells_as_missing(shared_data, tmp_path, capsys):
    table = shared_data / "loris_chowell_msk_tmb" / "AllData__Vanguri_NSCLC.csv"
    out = tmp_path / "o"
    code, _, err = _run(capsys, "predict", "--model", "loris_nsclc", "--clinical", str(table),
                        "-o", str(out))
    assert code == 0, err
    pred = pd.read_csv(out / "predictions.tsv", sep="\t")
    raw = pd.read_csv(table)
    # patients without PD-L1 get no score; the others are all scored
    assert pred["probability"].notna().sum() == raw["PDL1_TPS(%)"].notna().sum() == 201
    # the authors' published AUC on these 201 patients (their own predictions give 0.767466)
    from sklearn.metrics import roc_auc_score

    ok = pred["probability"].notna().to_numpy()
    assert roc_auc_score(raw["Response"][ok], pred["probability"][ok]) == pytest.approx(
        0.767466, abs=1e-6)


def test_published_models_list_is_covered():
    assert {"impres", "gep", "cyt", "ifng6", "cd274"} <= set(PUBLISHED_MODELS)


def test_predict_drops_genes_with_missing_values_unless_told_not_to(shared_data, tmp_path,
                                                                  capsys):
    expr = shared_data / "predictior_icb" / "Nathanson2017_melanoma_CTLA4_expr_log2tpm.tsv.gz"
    code, _, err = _run(capsys, "predict", "--model", "builtin", "--expr", str(expr),
                        "--on-missing", "error", "-o", str(tmp_path / "a"))
    assert code == 2 and "missing" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(capsys, "predict", "--model", "builtin", "--expr", str(expr),
                        "-o", str(tmp_path / "b"))
    assert code == 0, err
    assert len(pd.read_csv(tmp_path / "b" / "predictions.tsv", sep="\t")) == 24
