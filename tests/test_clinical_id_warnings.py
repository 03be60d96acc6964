"""Samples dropped because their clinical ids do not match are reported on stderr at once."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from immunescape.cli import main
from immunescape.datasets import simulate_cohort, write_cohort


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> tuple[Path, Path, list[str]]:
    """A simulated cohort whose clinical ids are lower-cased for every other sample."""
    d = write_cohort(simulate_cohort(24, seed=3), tmp_path_factory.mktemp("c") / "cohort")
    clin = pd.read_csv(d / "clinical.tsv", sep="\t", dtype=str)
    ids = clin["sample_id"].tolist()
    assert all(s != s.lower() for s in ids)  # the test needs ids with upper-case letters
    changed = ids[1::2]
    clin["sample_id"] = [s.lower() if s in changed else s for s in ids]
    half = d / "clinical_halfcase.tsv"
    clin.to_csv(half, sep="\t", index=False)
    return d / "expression.tsv", half, changed


def _warnings(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if ln.startswith("immunescape: warning:")]


def test_compare_prints_the_dropped_samples_and_the_case_hint(cohort, tmp_path, capsys):
    expr, clin, changed = cohort
    code = main(["compare", "--expr", str(expr), "--clinical", str(clin),
                 "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 0, err
    lines = [ln for ln in _warnings(err) if "no clinical row" in ln]
    assert len(lines) == 1, err
    n = len(changed)
    assert f"{n} of 24" in lines[0] and f"{n} of them match a clinical id in another case" \
        in lines[0] and f"{changed[0]!r} vs {changed[0].lower()!r}" in lines[0]
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert lines[0].removeprefix("immunescape: warning: ") in run["warnings"]


def test_evaluate_prints_the_dropped_samples_and_the_case_hint(cohort, tmp_path, capsys):
    expr, clin, changed = cohort
    code = main(["evaluate", "--model", "builtin", "--cohort", f"{expr}:{clin}",
                 "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 0, err
    lines = [ln for ln in _warnings(err) if "no clinical row" in ln]
    assert len(lines) == 1 and f"{len(changed)} of 24 expression samples" in lines[0], err
    assert "another case" in lines[0]


def test_matching_ids_print_no_warning(cohort, tmp_path, capsys):
    expr, _, _ = cohort
    code = main(["compare", "--expr", str(expr), "--clinical",
                 str(expr.parent / "clinical.tsv"), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 0 and not [ln for ln in _warnings(err) if "clinical row" in ln], err
