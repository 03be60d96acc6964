"""compare_cohort(): the whole comparison on a simulated cohort with planted biology and on a
hand-made paired design; contract columns, provenance and written files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from immunescape._output import to_jsonable
from immunescape.compare import (
    ASSOCIATION_COLUMNS,
    DE_COLUMNS,
    MUTATION_COLUMNS,
    PAIRED_COLUMNS,
    SURVIVAL_COLUMNS,
    compare_cohort,
    write_tables,
)
from immunescape.errors import InputError
from immunescape.expression import Expression


@pytest.fixture(scope="module")
def simulated():
    from immunescape.datasets.simulate import simulate_cohort

    c = simulate_cohort(n_samples=40, n_genes=2500, seed=1)
    clin = c.clinical.set_index("sample_id") if "sample_id" in c.clinical else c.clinical
    return c, clin


@pytest.fixture(scope="module")
def result(simulated):
    c, clin = simulated
    ids = list(clin.index)
    tmb = pd.DataFrame({"sample_id": ids, "tmb_per_mb": np.linspace(1, 20, len(ids))})
    events = pd.DataFrame(
        {
            "sample_id": ids[:12],
            "gene": ["B2M"] * 6 + ["JAK1"] * 6,
            "event": "truncating",
            "detail": "",
            "biallelic": "unknown",
        }
    )
    return compare_cohort(
        clin,
        expr=Expression(c.expression, unit="tpm"),
        tmb=tmb,
        events=events,
        covariates=["age", "sex"],
        draw_figures=False,
    )


def test_tables_and_contract_columns(result, simulated):
    _, clin = simulated
    t = result.tables
    assert list(t) == ["associations", "survival", "km", "de", "pathways", "mutations"]
    assert list(t["associations"].columns[:9]) == ASSOCIATION_COLUMNS
    assert list(t["survival"].columns[:8]) == SURVIVAL_COLUMNS
    assert list(t["de"].columns[:7]) == DE_COLUMNS
    assert list(t["mutations"].columns[:6]) == MUTATION_COLUMNS
    assert set(t["survival"]["endpoint"]) == {"OS", "PFS"}
    assert set(t["survival"]["model"]) == {"univariable", "multivariable"}
    assert (t["de"]["method"] == "ols").all()  # covariates given: least squares
    n_r = int((clin["response"] == "R").sum())
    a = t["associations"].set_index("feature")
    assert a.loc["tmb_per_mb", "kind"] == "genomic" and a.loc["cyt", "kind"] == "signature"
    assert a.loc["cyt", "n_r"] == n_r
    # planted biology: T-cell/IFN-gamma scores are higher in responders
    assert a.loc["gep18", "direction"] == "higher_in_responders" and a.loc["gep18", "auc"] > 0.65


def test_settings_are_json_and_complete(result):
    prov = json.loads(json.dumps(to_jsonable(result.settings)))
    assert prov["analyses"]["associations"]["ci_method"] == "delong"
    assert prov["analyses"]["de"]["method"].startswith("ols")
    assert {s["endpoint"] for s in prov["analyses"]["survival"]} == {"OS", "PFS"}
    assert prov["analyses"]["survival"][0]["covariates"] == ["age", "sex"]
    assert prov["analyses"]["mutations"]["test"].startswith("Fisher")
    assert prov["response"]["n_responders"] + prov["response"]["n_non_responders"] == 40


def test_write_tables(result, tmp_path):
    paths = write_tables(result, tmp_path)
    assert [p.name for p in paths] == [f"{name}.tsv" for name in result.tables]
    back = pd.read_csv(tmp_path / "associations.tsv", sep="\t")
    assert list(back.columns[:9]) == ASSOCIATION_COLUMNS and len(back) == len(
        result.tables["associations"]
    )


def test_result_shape_tables_settings_warnings(result, tmp_path):
    # one attribute per table, the computed ones in output order, written as <name>.tsv
    assert result.to_frame() is result.associations
    assert result.to_frame("km") is result.km and result.paired is None
    assert isinstance(result.warnings, list) and "warnings" not in result.settings
    out = result.write(tmp_path / "out")
    run = json.loads((out / "run.json").read_text())
    assert set(run) >= {"settings", "warnings"}
    assert run["settings"]["analyses"]["associations"]["ci_method"] == "delong"
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted([*(f"{n}.tsv" for n in result.tables), "run.json"])
    tables = tmp_path / "tables"
    write_tables(result, tables)
    for name in result.tables:
        assert (out / f"{name}.tsv").read_bytes() == (tables / f"{name}.tsv").read_bytes()


def test_paired_design_with_counts_and_events():
    rng = np.random.default_rng(5)
    patients = [f"P{i}" for i in range(8)]
    resp = dict(zip(patients, ["R"] * 4 + ["NR"] * 4, strict=True))
    rows = [(f"{p}_{tp}", p, tp, resp[p]) for p in patients for tp in ("pre", "on")]
    clin = pd.DataFrame(rows, columns=["sample", "patient", "tp", "response"]).set_index("sample")
    clin["os_months"] = rng.uniform(2, 30, len(clin)).round(1)
    clin["os_event"] = rng.integers(0, 2, len(clin))
    feats = pd.DataFrame(
        {"cyt": rng.normal(size=len(clin)), "ifng": rng.normal(size=len(clin))}, index=clin.index
    )
    feats.loc[[f"P{i}_on" for i in range(4)], "cyt"] += 3  # rises on treatment in responders
    counts = pd.DataFrame(
        rng.poisson(80, size=(len(clin), 25)),
        index=clin.index,
        columns=[f"G{j}" for j in range(25)],
    )
    events = pd.DataFrame(
        {
            "sample_id": ["P0_pre", "P0_on", "P0_on", "P5_on"],
            "gene": ["BRAF", "BRAF", "JAK2", "B2M"],
            "event": ["hotspot_activating", "hotspot_activating", "truncating", "truncating"],
            "detail": ["p.V600E", "p.V600E", "p.F547fs", "p.S14fs"],
        }
    )
    res = compare_cohort(
        clin,
        scores=feats,
        counts=counts,
        events=events,
        sequenced_samples=list(clin.index),
        patient_col="patient",
        timepoint_col="tp",
        pre="pre",
        post="on",
        draw_figures=True,
    )
    t = res.tables
    # unpaired analyses on the 8 pre-treatment samples
    assert t["associations"][["n_r", "n_nr"]].iloc[0].tolist() == [4, 4]
    assert res.settings["analyses"]["de"]["n_responders"] == 4
    assert (t["de"]["method"] == "pydeseq2").all()
    assert res.settings["analyses"]["paired"]["n_pairs"] == 8
    p = t["paired"]
    assert list(p.columns) == PAIRED_COLUMNS
    cyt_r = p[(p["feature"] == "cyt") & (p["group"] == "R")].iloc[0]
    assert cyt_r["n_pairs"] == 4 and cyt_r["direction"] == "up"
    ne = t["new_events"]
    assert ne[["patient_id", "gene", "mechanism"]].values.tolist() == [
        ["P0", "JAK2", "ifng_pathway_loss"],
        ["P5", "B2M", "antigen_presentation_loss"],
    ]
    assert "paired" in res.figures and "auc_forest" in res.figures


def test_compare_cohort_bad_input():
    clin = pd.DataFrame({"resp": ["R", "NR"] * 3}, index=list("abcdef"))
    feats = pd.DataFrame({"x": np.arange(6.0)}, index=clin.index)
    with pytest.raises(InputError, match="no response column 'response'"):
        compare_cohort(clin, scores=feats)
    with pytest.raises(InputError, match="covariate column.*not found: bmi"):
        compare_cohort(clin, scores=feats, response_col="resp", covariates="age,bmi".split(",")[1:])
    with pytest.raises(InputError, match="needs both patient_col and timepoint_col"):
        compare_cohort(clin, scores=feats, response_col="resp", patient_col="p")
    with pytest.raises(InputError, match=r"too few samples per group \(3 responders, 3 non"):
        compare_cohort(clin, scores=feats, response_col="resp", min_per_group=4)
