"""The meta command's summary line says how many features were really pooled."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from immunescape.cli import main
from immunescape.datasets import simulate_cohort, write_cohort


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory) -> list[str]:
    base = tmp_path_factory.mktemp("meta")
    specs = []
    for seed in (1, 2):
        d = write_cohort(simulate_cohort(24, seed=seed), base / f"c{seed}")
        specs.append(f"{d / 'expression.tsv'}:{d / 'clinical.tsv'}")
    return specs


def _summary(capsys, specs: list[str], out: Path) -> tuple[str, pd.DataFrame]:
    code = main(["meta", *[a for s in specs for a in ("--cohort", s)], "-o", str(out)])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    m = pd.read_csv(out / "meta.tsv", sep="\t")
    top = m[(m["subgroup_by"] == "all") & (m["method"] == "REML") & (m["measure"] == "log_or")]
    return cap.out, top


def test_one_cohort_says_nothing_was_pooled(cohorts, tmp_path, capsys):
    text, top = _summary(capsys, cohorts[:1], tmp_path / "one")
    assert top["estimate"].isna().all()
    assert f"0 of {len(top)} features pooled (pooling needs 2 cohorts" in text
    assert "cohorts pooled" not in text


def test_two_cohorts_report_the_pooled_count_of_meta_tsv(cohorts, tmp_path, capsys):
    text, top = _summary(capsys, cohorts, tmp_path / "two")
    n = int(top["estimate"].notna().sum())
    assert n > 0
    assert re.search(rf"\b{n} of {len(top)} features pooled,", text), text
