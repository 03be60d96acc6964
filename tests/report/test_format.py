"""Formatting helpers of the report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from immunescape.report._figures import km_ticks
from immunescape.report._format import (
    anchor_ids,
    citation_ids,
    fmt_num,
    fmt_p,
    plot_text,
    safe_json,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("27433843", ["PMID 27433843"]),
        ("PMID: 27433843, PMID:27903500", ["PMID 27433843", "PMID 27903500"]),
        ("doi:10.1056/NEJMoa1604958", ["DOI 10.1056/NEJMoa1604958"]),
        ("DOI 10.1016/j.cell.2016.08.069.", ["DOI 10.1016/j.cell.2016.08.069"]),
        ("https://doi.org/10.1000/x1", ["DOI 10.1000/x1"]),
        ("https://pubmed.ncbi.nlm.nih.gov/123456/", ["PMID 123456"]),
        ("NCT02817633 | nct01968109", ["NCT02817633", "NCT01968109"]),
        ("https://clinicaltrials.gov/study/NCT02817633", ["NCT02817633"]),
        ("PMC1234567", ["PMC1234567"]),
        ("27433843; 27433843", ["PMID 27433843"]),
        ("DOI:10.7150/jca.26481 (seed 001)", ["DOI 10.7150/jca.26481 (seed 001)"]),
        ("Smith 2019, Nature", ["Smith 2019", "Nature"]),  # a year is not a PMID
        ("PMID 123", ["PMID 123"]),
        ("", []),
        (None, []),
        (float("nan"), []),
    ],
)
def test_citation_ids(raw, expected):
    assert citation_ids(raw) == expected


def test_km_ticks():
    assert km_ticks(9) == [0, 2, 4, 6, 8]
    assert km_ticks(60) == [0, 12, 24, 36, 48, 60]
    assert km_ticks(0.7) == [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    assert km_ticks(float("nan")) == [0.0]
    assert len(km_ticks(123456)) <= 8


def test_anchor_ids_are_unique_and_safe():
    ids = anchor_ids(["a b", "a-b", "<x>", "", "a b"], prefix="patient")
    assert list(ids.values()) == ["patient-a-b", "patient-a-b-2", "patient-x", "patient-x-2"]


def test_safe_json_round_trips_and_hides_markup():
    value = {"t": "</script><!-- & \u2028 x"}
    text = safe_json(json.dumps(value, ensure_ascii=False))
    assert not set("<>&\u2028") & set(text)
    assert json.loads(text) == value


def test_plot_text_escapes_markup_but_not_quotes():
    assert plot_text('<b>"x"</b> & y') == '&lt;b&gt;"x"&lt;/b&gt; &amp; y'
    assert plot_text(np.nan) == ""


def test_number_formats():
    assert fmt_num(3.0) == "3"
    assert fmt_num(0.123456) == "0.123"
    assert fmt_num(None) == "–"
    assert fmt_p(0.0004) == "4.0e-04"
    assert fmt_p(0.0312) == "0.031"
