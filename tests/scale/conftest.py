"""Shared check of the chunked-scoring tests: two score tables equal to 1e-9."""

from __future__ import annotations

import pandas as pd
import pytest

TOL = 1e-9


def _assert_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert list(a.index) == list(b.index)
    assert (a.isna() == b.isna()).all().all()
    diff = (a - b).abs().max()
    assert diff.max() <= TOL, diff.sort_values().tail()


@pytest.fixture
def assert_scores_equal():
    """Same samples, same scores, same missing cells, values within 1e-9."""
    return _assert_equal
