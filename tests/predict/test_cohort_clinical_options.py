"""evaluate and train read a cohort's response with the clinical options compare has."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from immunescape.cli import main
from immunescape.datasets import simulate_cohort, write_cohort


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A simulated cohort: its R/NR labels, and the same as DCB/NDB in 'clinical_benefit'."""
    d = write_cohort(simulate_cohort(30, seed=5), tmp_path_factory.mktemp("c") / "cohort")
    clin = pd.read_csv(d / "clinical.tsv", sep="\t", dtype=str)
    dcb = pd.DataFrame({"sample_id": clin["sample_id"],
                        "clinical_benefit": clin["response"].map({"R": "DCB", "NR": "NDB"})})
    assert dcb["clinical_benefit"].notna().all()
    dcb.to_csv(d / "clinical_dcb.tsv", sep="\t", index=False)
    clin[["sample_id", "response"]].to_csv(d / "clinical_rnr.tsv", sep="\t", index=False)
    return d / "expression.tsv", d / "clinical_rnr.tsv", d / "clinical_dcb.tsv"


def _evaluate(capsys, expr: Path, clin: Path, out: Path, *extra: str) -> tuple[int, str]:
    code = main(["evaluate", "--model", "builtin", "--cohort", f"{expr}:{clin}", *extra,
                 "-o", str(out)])
    return code, capsys.readouterr().err


def test_the_fix_names_options_evaluate_has(cohort, tmp_path, capsys):
    expr, _, dcb = cohort
    code, err = _evaluate(capsys, expr, dcb, tmp_path / "out")
    assert code == 2 and "--response-col" in err
    # every option the fix names is accepted by evaluate
    assert main(["evaluate", "--help"]) == 0
    help_text = capsys.readouterr().out
    for option in ("--response-col", "--response-map", "--sd-rule"):
        assert option in err and option in help_text


def test_evaluate_reads_dcb_like_the_original_labels(cohort, tmp_path, capsys):
    expr, clin, dcb = cohort
    code, err = _evaluate(capsys, expr, dcb, tmp_path / "dcb", "--response-col",
                          "clinical_benefit", "--response-map", "DCB=R,NDB=NR")
    assert code == 0, err
    code, err = _evaluate(capsys, expr, clin, tmp_path / "orig")
    assert code == 0, err
    got = pd.read_csv(tmp_path / "dcb" / "evaluation.tsv", sep="\t")
    want = pd.read_csv(tmp_path / "orig" / "evaluation.tsv", sep="\t")
    pd.testing.assert_frame_equal(got[["predictor", "n", "n_pos", "n_neg", "auc"]],
                                  want[["predictor", "n", "n_pos", "n_neg", "auc"]])


def test_train_accepts_the_clinical_options(cohort, tmp_path, capsys):
    expr, _, dcb = cohort
    code = main(["train", "--cohort", f"{expr}:{dcb}", "--response-col", "clinical_benefit",
                 "--response-map", "DCB=R,NDB=NR", "-o", str(tmp_path / "m.json")])
    assert code == 0, capsys.readouterr().err
    assert "trained on 30 samples" in capsys.readouterr().out
