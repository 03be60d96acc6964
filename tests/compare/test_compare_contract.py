"""Every compare table's columns are those of its contract in ``immunescape.tables``."""

from __future__ import annotations

import pytest

import immunescape.compare as compare
from immunescape.compare._paired import NEW_EVENT_COLUMNS
from immunescape.tables import TABLE_SPECS

PRODUCED = {
    "associations": compare.ASSOCIATION_COLUMNS,
    "survival": compare.SURVIVAL_COLUMNS,
    "km": compare.KM_COLUMNS,
    "de": compare.DE_COLUMNS,
    "pathways": compare.PATHWAY_COLUMNS,
    "mutations": compare.MUTATION_COLUMNS,
    "mechanisms_enrichment": compare.MECHANISMS_ENRICHMENT_COLUMNS,
    "paired": compare.PAIRED_COLUMNS,
    "new_events": NEW_EVENT_COLUMNS,
}


@pytest.mark.parametrize("name", sorted(PRODUCED))
def test_contract_columns_match_the_table_spec(name):
    spec = TABLE_SPECS[name]
    cols = PRODUCED[name]
    assert len(cols) == len(set(cols))
    assert set(cols) == {*spec.required, *spec.optional}


def test_result_table_names_are_spec_names():
    assert set(compare.CompareResult.table_names) == set(PRODUCED)
