"""run without --cancer-type: the pan-cancer reference is said on the console (README: "else
pan-cancer, with a warning"), naming the clinical file's own cancer type when it has one."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from immunescape.cli import main

COHORT = "predictior_icb/Hugo2016_melanoma_PD1"


def _run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


@pytest.mark.realdata
def test_run_without_cancer_type_warns_and_names_the_clinical_cancer_type(
        shared_data, tmp_path, capsys):
    expr = shared_data / f"{COHORT}_expr_log2tpm.tsv.gz"
    clin = shared_data / f"{COHORT}_clinical.tsv"
    # the expectation comes from the clinical file itself: one cancer type for the cohort
    types = pd.read_csv(clin, sep="\t")["cancer_type"].dropna().unique().tolist()
    assert types == ["Melanoma"]
    out = tmp_path / "pan"
    code, err = _run(capsys, "run", "--expr", str(expr), "--clinical", str(clin),
                     "-o", str(out))
    assert code == 0, err
    warned = [line for line in err.splitlines() if "no --cancer-type" in line]
    assert len(warned) == 1 and "pan-cancer reference" in warned[0]
    assert "pass --cancer-type 'Melanoma'" in warned[0]
    run = json.loads((out / "run.json").read_text())
    assert run["reference"]["group"] == "pan_cancer"
    assert any("no --cancer-type" in w for w in run["warnings"])
    # with the cancer type given, the melanoma reference is used and nothing is said
    out = tmp_path / "mel"
    code, err = _run(capsys, "run", "--expr", str(expr), "--clinical", str(clin),
                     "--cancer-type", "Melanoma", "-o", str(out))
    assert code == 0 and "cancer-type" not in err
    assert json.loads((out / "run.json").read_text())["reference"]["group"] == "melanoma"


@pytest.mark.realdata
def test_compare_has_no_cancer_type_option_so_no_such_note(shared_data, tmp_path, capsys):
    expr = shared_data / f"{COHORT}_expr_log2tpm.tsv.gz"
    clin = shared_data / f"{COHORT}_clinical.tsv"
    code, err = _run(capsys, "compare", "--expr", str(expr), "--clinical", str(clin),
                     "-o", str(tmp_path / "cmp"))
    assert code == 0, err
    assert "--cancer-type" not in err


@pytest.mark.realdata
def test_compare_cancer_type_picks_the_reference_of_its_mechanism_calls(shared_data, tmp_path,
                                                                        capsys):
    expr = shared_data / f"{COHORT}_expr_log2tpm.tsv.gz"
    clin = shared_data / f"{COHORT}_clinical.tsv"
    out = tmp_path / "cmp"
    code, err = _run(capsys, "compare", "--expr", str(expr), "--clinical", str(clin),
                     "--cancer-type", "Skin Cutaneous Melanoma", "-o", str(out))
    assert code == 0, err
    assert json.loads((out / "run.json").read_text())["reference"]["group"] == "melanoma"
