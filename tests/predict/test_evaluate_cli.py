"""``immunescape evaluate`` without ``--model``: the nested leave-one-cohort-out table."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from immunescape.cli import main


@pytest.fixture(scope="module")
def four_cohorts(tmp_path_factory):
    from immunescape.datasets import simulate_cohort, write_cohort

    root = tmp_path_factory.mktemp("cohorts4")
    specs = []
    for seed in (11, 12, 13, 14):
        d = root / f"sim{seed}"
        write_cohort(simulate_cohort(30, seed=seed), d)
        specs.append(f"{d / 'expression.tsv'}:{d / 'clinical.tsv'}")
    return specs


def test_evaluate_runs_the_nested_comparison(four_cohorts, tmp_path, capsys):
    out = tmp_path / "ev"
    code = main(["evaluate", *sum((["--cohort", s] for s in four_cohorts), []),
                 "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    ev = pd.read_csv(out / "evaluation.tsv", sep="\t")
    model = ev[ev.predictor == "model"]
    assert len(model) == 4 and model["candidate"].notna().all()
    assert ((model.auc_ci_low <= model.auc) & (model.auc <= model.auc_ci_high)).all()
    assert {"impres", "gep", "cyt", "cd274", "ifng6"} <= set(ev.predictor)
    run = json.loads((out / "run.json").read_text())
    assert run["design"] == "nested leave-one-cohort-out"
    assert run["comparison"]["verdict"]
    assert run["pooled_brier"] > 0
    rel = pd.read_csv(out / "reliability.tsv", sep="\t")
    assert rel["n"].sum() == model["n"].sum()
    # fewer than four cohorts: one clear line, exit 2
    code = main(["evaluate", "--cohort", four_cohorts[0], "-o", str(tmp_path / "x")])
    assert code == 2 and len(capsys.readouterr().err.strip().splitlines()) == 1


def test_train_names_the_cohort_that_cannot_score_a_feature(four_cohorts, tmp_path, capsys):
    """A cohort without GZMA and PRF1 cannot score CYT: train refuses, naming that cohort and
    the --features that every cohort can score."""
    expr_path, clin_path = four_cohorts[0].split(":")
    expr = pd.read_csv(expr_path, sep="\t", index_col=0)
    lacking = tmp_path / "nocyt.tsv"
    expr.drop(index=["GZMA", "PRF1"]).to_csv(lacking, sep="\t")
    code = main(["train", "--cohort", f"{lacking}:{clin_path}", "--cohort", four_cohorts[1],
                 "--features", "cyt,gene_CD274", "-o", str(tmp_path / "m.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert "--features cyt,gene_CD274: 1 of 2 model features cannot be scored in every training " \
           "cohort (nocyt: 1 (cyt))" in err
    assert "--features gene_CD274" in err and not (tmp_path / "m.json").exists()
    assert main(["train", "--cohort", f"{lacking}:{clin_path}", "--cohort", four_cohorts[1],
                 "--features", "gene_CD274", "-o", str(tmp_path / "m.json")]) == 0
