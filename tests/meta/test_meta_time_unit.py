"""``meta --time-unit``: survival times whose column name states no unit.

The clinical file is written here with overall survival in days under ``OS.time`` (no unit
in the name). Without ``--time-unit`` the reader cannot tell the unit and leaves OS out;
with ``--time-unit days`` the per-cohort Cox hazard ratio per SD equals lifelines'
``CoxPHFitter`` (Efron ties) on the same times converted to months by hand (days / 30.4375).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from immunescape.cli import main
from immunescape.datasets import simulate_cohort, write_cohort

DAYS_PER_MONTH = 365.25 / 12


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    d = write_cohort(simulate_cohort(36, n_genes=2500, seed=31), tmp_path_factory.mktemp("tu"),
                     include_dna=False)
    clin = pd.read_csv(d / "clinical.tsv", sep="\t")
    clin["OS.time"] = np.round(clin.pop("os_months") * DAYS_PER_MONTH).astype(int)
    clin["OS.event"] = clin.pop("os_event")
    clin.to_csv(d / "clinical_days.tsv", sep="\t", index=False)
    return d / "expression.tsv", d / "clinical_days.tsv", clin.set_index("sample_id")


def _meta(cohort, out, *extra):
    expr, clin, _ = cohort
    return main(["meta", "--cohort", f"{expr}:{clin}", "--genes", "CXCL13", "-o", str(out),
                 *extra])


def test_meta_time_unit_days_matches_lifelines(cohort, tmp_path, capsys):
    expr_path, _, clin = cohort
    code = _meta(cohort, tmp_path / "none")
    err = capsys.readouterr().err
    assert code == 0, err
    rows = pd.read_csv(tmp_path / "none" / "meta_cohorts.tsv", sep="\t")
    assert not rows["measure"].str.startswith("log_hr:OS").any()  # left out, unit unknown
    assert "--time-unit" in err

    code = _meta(cohort, tmp_path / "days", "--time-unit", "days")
    err = capsys.readouterr().err
    assert code == 0, err
    rows = pd.read_csv(tmp_path / "days" / "meta_cohorts.tsv", sep="\t")
    hr = rows[(rows["feature"] == "gene_CXCL13") & (rows["measure"] == "log_hr:OS")]
    assert len(hr) == 1
    # the independent reference: log2(TPM + 1) of CXCL13 per SD, months by hand, lifelines
    expr = pd.read_csv(expr_path, sep="\t", index_col=0)
    x = np.log2(expr.loc["CXCL13"].astype(float) + 1.0)
    data = pd.DataFrame({"x": (x - x.mean()) / x.std(ddof=1),
                         "months": clin["OS.time"] / DAYS_PER_MONTH,
                         "event": clin["OS.event"]}).dropna()
    fit = CoxPHFitter().fit(data, duration_col="months", event_col="event")
    assert int(hr["n"].iloc[0]) == len(data)
    assert int(hr["n_events"].iloc[0]) == int(data["event"].sum())
    assert hr["estimate"].iloc[0] == pytest.approx(fit.params_["x"], rel=1e-4)
    assert hr["se"].iloc[0] == pytest.approx(fit.standard_errors_["x"], rel=1e-3)
    run = json.loads((tmp_path / "days" / "run.json").read_text())
    assert run["meta"]["settings"]["time_unit"] == "days"


def test_meta_time_unit_refuses_an_unknown_unit(cohort, tmp_path, capsys):
    code = _meta(cohort, tmp_path / "bad", "--time-unit", "fortnights")
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "--time-unit" in err
    assert not (tmp_path / "bad").exists()
