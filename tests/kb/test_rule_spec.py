"""The reference evaluator in docs/knowledge_base.md runs on the shipped rules.

Expected values are worked out by hand from the percentile definition (pandas average ranks,
NaN kept) and Kleene logic, so a change to the rule semantics, the shipped rules or the
documented code breaks this test.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from immunescape.kb import load_kb

DOC = Path(__file__).resolve().parents[2] / "docs" / "knowledge_base.md"


@pytest.fixture(scope="module")
def spec():
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- reference-evaluator -->\s*```python\n(.*?)```", text, re.S)
    assert block, "docs/knowledge_base.md lost its reference evaluator"
    ns: dict = {}
    exec(compile(block.group(1), str(DOC), "exec"), ns)  # noqa: S102 - our own documentation
    return ns


IDX = ["S1", "S2", "S3", "S4", "S5"]
NA = pd.NA


def _bool(values):
    return pd.Series(values, index=IDX, dtype="boolean")


def test_percentiles_follow_average_ranks(spec):
    scores = pd.DataFrame({"a": [1, 4, 2, np.nan, 1]}, index=IDX)
    pct = spec["percentiles"](scores)
    assert pct["a"].tolist()[:3] == [37.5, 100.0, 75.0]
    assert np.isnan(pct.loc["S4", "a"]) and pct.loc["S5", "a"] == 37.5


def test_discordance_rule_of_ifng_pathway_loss(spec):
    kb = load_kb()
    (block,) = kb.mechanisms["ifng_pathway_loss"].detection.rna
    scores = pd.DataFrame(
        {"mcp_cd8_t_cells": [4, 3, 1, 2, np.nan], "progeny_jak_stat": [1, 4, 2, 3, 1]}, index=IDX
    )
    # mcp pct: 100, 75, 25, 50, NA; jak pct: 30, 100, 60, 80, 30
    got = spec["eval_block"](block, spec["percentiles"](scores), kb.parameters)
    pd.testing.assert_series_equal(got, _bool([True, False, False, False, NA]), check_names=False)


def test_immune_desert_rule_with_missing_values(spec):
    kb = load_kb()
    (block,) = kb.mechanisms["immune_desert"].detection.rna
    scores = pd.DataFrame(
        {"cd8_teff": [1, 2, 3, 4, np.nan], "pan_ftbrs": [1, 4, 2, np.nan, 0.5]}, index=IDX
    )
    # cd8 pct: 25, 50, 75, 100, NA; pan pct: 50, 100, 75, NA, 25
    got = spec["eval_block"](block, spec["percentiles"](scores), kb.parameters)
    pd.testing.assert_series_equal(got, _bool([True, False, False, False, NA]), check_names=False)


def test_phenotype_rules(spec):
    kb = load_kb()
    ph = kb.phenotype
    scores = pd.DataFrame(
        {ph.t_cell_score: [1, 2, 3, 4, np.nan], ph.stroma_score: [1, 4, 2, np.nan, 0.5]},
        index=IDX,
    )
    pct = spec["percentiles"](scores)
    out = pd.Series(pd.NA, index=IDX, dtype="object")
    decided = pd.Series(False, index=IDX)
    for rule in ph.rules:
        hit = spec["eval_block"](rule.when, pct, kb.parameters).fillna(False).astype(bool)
        out[hit & ~decided] = rule.phenotype
        decided |= hit
    known = pct[[ph.t_cell_score, ph.stroma_score]].notna().all(axis=1)
    out[~decided & known] = ph.otherwise
    out[~known] = pd.NA
    assert out.tolist()[:3] == ["desert", "excluded", "inflamed"]
    assert out[["S4", "S5"]].isna().all()
