"""Cohort statistics assume one sample per patient: repeated patients and repeated cohorts.

A simulated cohort of 24 samples is relabelled as 12 patients with a pre- and an
on-treatment sample each: compare, evaluate and meta refuse it in one line and keep one
sample per patient with --one-per-patient; meta refuses the same cohort given twice; compare
names the file and its own columns when no response is found; the clinical sample id column
that matches the expression samples is used (the Riaz authors' sheet).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from immunescape.cli import main
from immunescape.datasets import simulate_cohort, write_cohort


def _error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("immunescape: error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def paired(tmp_path_factory) -> tuple[Path, Path]:
    """24 samples relabelled P01_pre, P01_on, ... P12_on (one response per patient)."""
    d = write_cohort(simulate_cohort(24, seed=5), tmp_path_factory.mktemp("p") / "c")
    expr = pd.read_csv(d / "expression.tsv", sep="\t", index_col=0)
    clin = pd.read_csv(d / "clinical.tsv", sep="\t", dtype=str)
    ids = [f"P{i // 2 + 1:02d}_{'pre' if i % 2 == 0 else 'on'}" for i in range(24)]
    rename = dict(zip(clin["sample_id"], ids, strict=True))
    expr.columns = [rename[c] for c in expr.columns]
    clin["sample_id"] = ids
    for col in ("recist", "response", "os_months", "os_event", "pfs_months", "pfs_event"):
        clin[col] = clin[col].iloc[::2].repeat(2).to_numpy()  # the patient's outcome
    expr.to_csv(d / "paired_expr.tsv", sep="\t")
    clin.to_csv(d / "paired_clin.tsv", sep="\t", index=False)
    return d / "paired_expr.tsv", d / "paired_clin.tsv"


def test_compare_refuses_repeated_patients(paired, tmp_path, capsys):
    expr, clin = paired
    code = main(["compare", "--expr", str(expr), "--clinical", str(clin), "-o",
                 str(tmp_path / "o")])
    msg = _error(capsys.readouterr().err)
    assert code == 2 and not (tmp_path / "o").exists()
    assert f"{clin}: 12 patient(s) have more than one labelled sample" in msg
    assert "P01: P01_pre, P01_on; P02: P02_pre, P02_on" in msg and "--one-per-patient" in msg


@pytest.mark.parametrize(("rule", "kept"), [("pre", "pre"), ("on", "on"), ("first", "pre")])
def test_compare_keeps_one_sample_per_patient(paired, tmp_path, capsys, rule, kept):
    expr, clin = paired
    out = tmp_path / rule
    code = main(["compare", "--expr", str(expr), "--clinical", str(clin),
                 "--one-per-patient", rule, "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"immunescape: warning: --one-per-patient {rule}:" in err
    a = pd.read_csv(out / "associations.tsv", sep="\t")
    assert (a["n_r"] + a["n_nr"]).max() == 12  # one sample of each of the 12 patients
    run = json.loads((out / "run.json").read_text())
    assert any(w.startswith(f"--one-per-patient {rule}") for w in run["warnings"])
    km = pd.read_csv(out / "km.tsv", sep="\t") if (out / "km.tsv").exists() else None
    if km is not None and "sample_id" in km.columns:
        assert km["sample_id"].str.endswith(f"_{kept}").all()


def test_evaluate_refuses_repeated_patients_and_keeps_one(paired, tmp_path, capsys):
    expr, clin = paired
    code = main(["evaluate", "--model", "builtin", "--cohort", f"{expr}:{clin}",
                 "-o", str(tmp_path / "o")])
    assert code == 2 and "12 patient(s) have more than one" in _error(capsys.readouterr().err)
    code = main(["evaluate", "--model", "builtin", "--cohort", f"{expr}:{clin}",
                 "--one-per-patient", "pre", "-o", str(tmp_path / "o")])
    assert code == 0, capsys.readouterr().err
    run = json.loads((tmp_path / "o" / "run.json").read_text())
    assert [c["n_labelled"] for c in run["cohorts"].values()] == [12]


@pytest.fixture(scope="module")
def twins(tmp_path_factory) -> tuple[str, str, str]:
    """A cohort, an exact copy under other names, and another cohort with the same ids."""
    base = tmp_path_factory.mktemp("twins")
    a = write_cohort(simulate_cohort(24, seed=1), base / "a")
    b = write_cohort(simulate_cohort(24, seed=2), base / "b")  # same ids SIM001..., new data
    copy = base / "copy"
    copy.mkdir()
    for name in ("expression.tsv", "clinical.tsv"):
        (copy / f"copy_{name}").write_bytes((a / name).read_bytes())
    spec = f"{a / 'expression.tsv'}:{a / 'clinical.tsv'}"
    return (spec, f"{copy / 'copy_expression.tsv'}:{copy / 'copy_clinical.tsv'}",
            f"{b / 'expression.tsv'}:{b / 'clinical.tsv'}")


def test_meta_refuses_one_cohort_given_twice(twins, tmp_path, capsys):
    a, copy, _ = twins
    code = main(["meta", "--cohort", a, "--cohort", copy, "-o", str(tmp_path / "o")])
    msg = _error(capsys.readouterr().err)
    assert code == 2 and not (tmp_path / "o").exists()
    # 23: one stable-disease sample has no label under the pfs6 rule
    assert f"--cohort {copy} and --cohort {a} share 23 labelled sample id(s), 23 with " \
        "identical expression (e.g. SIM001" in msg


def test_meta_pools_cohorts_that_only_reuse_ids(twins, tmp_path, capsys):
    # unrelated cohorts may use the same ids (PredictioR Hugo and Riaz both have Pt1..Pt38)
    a, _, b = twins
    code = main(["meta", "--cohort", a, "--cohort", b, "-o", str(tmp_path / "o")])
    assert code == 0, capsys.readouterr().err


def test_compare_without_response_names_the_file_and_its_columns(tmp_path, capsys):
    d = write_cohort(simulate_cohort(12, seed=4), tmp_path / "c")
    clin = pd.read_csv(d / "clinical.tsv", sep="\t", dtype=str)
    f = tmp_path / "noresp.tsv"
    clin[["sample_id", "os_months", "os_event", "age"]].to_csv(f, sep="\t", index=False)
    code = main(["compare", "--expr", str(d / "expression.tsv"), "--clinical", str(f),
                 "-o", str(tmp_path / "o")])
    msg = _error(capsys.readouterr().err)
    assert code == 2
    assert f"{f}: no sample has a response" in msg
    assert "(columns of the file: sample_id, os_months, os_event, age)" in msg
    assert "recist" not in msg.split("fix:")[0]  # no internal column names
    assert "--response-col" in msg and "--response-map" in msg


def test_compare_uses_the_id_column_matching_the_expression(tmp_path, capsys):
    # the Riaz authors' sheet: Sample = Pt1_pre, PatientID = Pt1, expression keyed Pt1
    d = write_cohort(simulate_cohort(12, seed=6), tmp_path / "c")
    clin = pd.read_csv(d / "clinical.tsv", sep="\t", dtype=str)
    sheet = pd.DataFrame({"PatientID": clin["sample_id"],
                          "Sample": clin["sample_id"] + "_pre", "BOR": clin["recist"]})
    f = tmp_path / "sheet.csv"
    sheet.to_csv(f, index=False)
    code = main(["compare", "--expr", str(d / "expression.tsv"), "--clinical", str(f),
                 "--min-per-group", "2", "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "sample ids taken from column 'PatientID', not 'Sample': its ids match 12 of the " \
        "12 molecular samples" in err
