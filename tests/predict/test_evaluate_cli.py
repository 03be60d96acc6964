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
