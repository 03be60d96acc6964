"""Static figures: object-oriented matplotlib, no pyplot, no global backend change; PNG + SVG,
byte-identical SVG for the same result."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from immunescape.compare import (
    CompareResult,
    auc_forest,
    hr_forest,
    km_plot,
    km_table,
    paired_plot,
    score_by_response,
    survival,
    volcano,
    write_figures,
)
from immunescape.errors import InputError


@pytest.fixture(scope="module")
def tables():
    rng = np.random.default_rng(0)
    ids = [f"s{i}" for i in range(30)]
    y = pd.Series(["R"] * 12 + ["NR"] * 18, index=ids)
    feats = pd.DataFrame({"cyt": rng.normal(size=30), "tmb": rng.gamma(2, 3, 30)}, index=ids)
    clin = pd.DataFrame(
        {"os_months": rng.uniform(1, 40, 30).round(1), "os_event": rng.integers(0, 2, 30)},
        index=ids,
    )
    surv = survival(feats, clin, time_col="os_months", event_col="os_event")
    km = km_table(feats, clin, time_col="os_months", event_col="os_event")
    assoc = pd.DataFrame(
        {
            "feature": ["cyt", "tmb"],
            "auc": [0.7, 0.45],
            "auc_ci_low": [0.5, 0.25],
            "auc_ci_high": [0.9, 0.65],
            "p_value": [0.04, 0.6],
            "q_value": [0.08, 0.6],
        }
    )
    de = pd.DataFrame(
        {
            "gene": [f"G{i}" for i in range(50)],
            "log2FoldChange": rng.normal(size=50),
            "pvalue": rng.uniform(0, 1, 50),
            "padj": rng.uniform(0, 1, 50),
            "method": "welch",
        }
    )
    return feats, y, surv, km, assoc, de


def test_each_figure(tables):
    feats, y, surv, km, assoc, de = tables
    figs = [
        volcano(de),
        auc_forest(assoc),
        hr_forest(surv),
        km_plot(km, feature="cyt", survival=surv),
        score_by_response(feats, y, feature_names=["cyt", "tmb"], associations=assoc),
        paired_plot(
            feats,
            pd.DataFrame({"patient": ["a"], "pre_sample": ["s0"], "post_sample": ["s1"]}),
            feature_names=["cyt"],
        ),
    ]
    assert all(isinstance(f, Figure) for f in figs)
    km_fig = figs[3]
    # numbers at risk at time 0 are the group sizes
    texts = {t.get_text() for t in km_fig.axes[1].texts}
    assert {"15"} <= texts
    assert "log-rank p=" in km_fig.axes[0].get_title()
    with pytest.raises(InputError, match="no Kaplan-Meier curve"):
        km_plot(km, feature="nope")


def test_write_figures_png_svg_reproducible(tables, tmp_path):
    feats, y, surv, km, assoc, de = tables
    res = CompareResult(
        associations=assoc,
        survival=surv,
        km=km,
        de=de,
        data={"features": feats, "response": y},
    )
    paths = write_figures(res, tmp_path / "a")
    names = {p.name for p in paths}
    assert {"volcano.png", "volcano.svg", "auc_forest.svg", "hr_forest_OS.png"} <= names
    assert any(n.startswith("km_OS_") for n in names)
    assert (tmp_path / "a" / "figures" / "volcano.png").read_bytes()[:4] == b"\x89PNG"
    again = write_figures(res, tmp_path / "b")  # the same figures written again
    fresh = CompareResult(**res.tables, data=dict(res.data))
    third = write_figures(fresh, tmp_path / "c")  # drawn anew
    for p, q in zip(sorted(paths), sorted(third), strict=True):
        if p.suffix == ".svg":
            assert p.read_bytes() == q.read_bytes(), p.name
    for p, q in zip(sorted(paths), sorted(again), strict=True):
        if p.suffix == ".svg":
            assert p.read_bytes() == q.read_bytes(), p.name
    with pytest.raises(InputError, match="formats: unknown value"):
        write_figures(res, tmp_path / "d", formats=("gif",))


def test_no_global_matplotlib_state_changed():
    code = (
        "import sys, matplotlib; before = dict.__getitem__(matplotlib.rcParams, 'backend'); "
        "import immunescape.compare as c, pandas as pd; "
        "c.auc_forest(pd.DataFrame({'feature': ['x'], 'auc': [0.6], 'auc_ci_low': [0.4], "
        "'auc_ci_high': [0.8], 'p_value': [0.3], 'q_value': [0.3]})); "
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'; "
        "assert dict.__getitem__(matplotlib.rcParams, 'backend') == before; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
