"""One patient: key scores listed with their percentile against the shipped reference."""

from __future__ import annotations

import numpy as np
import pandas as pd

from immunescape.mechanisms._reference import shipped_reference
from immunescape.report import render_report

from ._html import Page

RUN = {"reference": {"basis": "shipped reference", "group": "melanoma", "n": 139,
                     "file": "reference_v3.json"}}


def test_one_patient_gets_percentiles_not_one_point_boxes():
    q = np.asarray(shipped_reference()["signatures"]["melanoma"]["gep18"], dtype=float)
    assert (np.diff(q) > 0).all()
    value = (q[40] + q[41]) / 2  # 41 of the 100 reference quantiles lie below it
    scores = pd.DataFrame({"sample_id": ["P1"], "gep18": [value], "cd8_teff": [np.nan]})
    tmb = pd.DataFrame({"sample_id": ["P1"], "n_mutations_counted": [75], "capture_mb": [35.0],
                        "tmb_per_mb": [75 / 35], "rule": ["nonsynonymous"]})
    html = render_report({"scores": scores, "tmb": tmb}, run=RUN)
    page = Page(html)
    assert not page.figures()  # no distribution of a single point
    assert "Too few patients for distributions" in html
    text = " ".join(html.split())
    row = html[html.index('title="gep18"'):].split("</tr>")[0]
    assert f">{value:.3g}</td>" in row and ">41</td>" in row
    assert "cohort-relative score: no fixed reference" in text
    assert "below TMB-high (10 / Mb)" in text


def test_one_patient_without_shipped_reference_says_so():
    scores = pd.DataFrame({"sample_id": ["P1"], "gep18": [0.3]})
    html = render_report({"scores": scores}, run={"reference": {"basis": "user reference cohort"}})
    assert "no shipped reference applies" in html and not Page(html).figures()
