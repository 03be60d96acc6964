"""Ids rewritten between files (case, R's make.names, leading zeros, Unicode, TCGA levels).

Each case is built by applying the rewrite by hand to real-looking ids: the diagnosis must
name that rewrite, and the messages must say so on the command line.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
import pytest

from immunescape._sample_ids import mismatch_hint, rewritten_matches

IDS = ["Pt1", "Pt2", "Pt10", "TCGA-AB-2802", "1001", "Patient ö"]


@pytest.mark.parametrize("rewrite, expected", [
    (str.lower, "letter case"),
    (lambda s: s.replace("-", ".").replace(" ", ".").replace("1001", "X1001"),
     "R's make.names"),
    (lambda s: s.replace("Pt", "Pt0"), "leading zeros"),
    (lambda s: unicodedata.normalize("NFD", s), "Unicode normalisation"),
])
def test_the_rewrite_is_named(rewrite, expected):
    changed = [rewrite(s) for s in IDS]
    moved = [c for c, s in zip(changed, IDS, strict=True) if c != s]
    assert moved
    name, pairs = rewritten_matches(moved, IDS)
    assert name.startswith(expected)
    assert all(rewrite(y) == x for x, y in pairs)  # each pair is an id and its own rewrite


def test_tcga_levels_and_no_false_hint():
    assert rewritten_matches(["TCGA-AB-2802-03A-01T-0734-13"], IDS)[0].startswith("the TCGA")
    assert rewritten_matches(["Pt3", "S9"], IDS) is None
    assert mismatch_hint(["Pt3"], IDS) == ""


def test_clinical_ids_with_leading_zeros_are_named_on_the_console(tmp_path, capsys):
    from immunescape.cli import main
    from immunescape.datasets import simulate_cohort, write_cohort

    d = write_cohort(simulate_cohort(24, seed=3), tmp_path / "c")
    clin = pd.read_csv(d / "clinical.tsv", sep="\t", dtype=str)
    first = clin.columns[0]
    # SIM001 -> SIM1 in every other clinical row
    clin[first] = [re.sub(r"0+(\d)", r"\1", s) if i % 2 else s
                   for i, s in enumerate(clin[first])]
    clin.to_csv(tmp_path / "clin.tsv", sep="\t", index=False)
    code = main(["compare", "--expr", str(d / "expression.tsv"), "--clinical",
                 str(tmp_path / "clin.tsv"), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "12 of them match a clinical id but for leading zeros (e.g. 'SIM002' vs 'SIM2')" in err
