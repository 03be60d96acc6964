"""immunescape.stats.roc_auc (rank AUC) against scikit-learn's roc_auc_score (independent)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from immunescape.errors import InputError
from immunescape.stats import roc_auc


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 6)), min_size=2, max_size=60).filter(
        lambda xs: len({x[0] for x in xs}) == 2
    )
)
def test_equals_sklearn_with_ties(pairs):
    y = np.array([p[0] for p in pairs], dtype=int)
    s = np.array([p[1] for p in pairs], dtype=float)  # few distinct values: many ties
    assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_hand_worked():
    # positives 3, 2; negatives 2, 1: pairs (3>2)(3>1)(2=2 half)(2>1) -> 3.5/4
    assert roc_auc([1, 1, 0, 0], [3, 2, 2, 1]) == 0.875
    assert roc_auc([True, False], [0.0, 1.0]) == 0.0


@pytest.mark.parametrize(
    ("y", "s", "match"),
    [
        ([1, 1], [1.0, 2.0], "at least 1 responder"),
        ([1, 2], [1.0, 2.0], "labels must be 0/1"),
        ([1, 0], [1.0], "expected 2 scores"),
        ([1, 0], [1.0, float("nan")], "missing"),
    ],
)
def test_errors(y, s, match):
    with pytest.raises(InputError, match=match):
        roc_auc(y, s)
