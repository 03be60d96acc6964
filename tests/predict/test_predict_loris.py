"""LORIS (Chang et al. 2024, Nat Cancer): parameters, formula and input handling.

References used here, none produced by immunescape:

* the four-decimal formulas printed in the authors' repository README (github rootchang/LORIS,
  commit 37d2865), which the packaged full-precision parameters must round to;
* per-patient LORIS probabilities published by the authors in the same repository
  (``03.Results/PanCancermodel_LLR6_Dataset1.csv`` = Chowell training cohort,
  ``03.Results/PanCancermodel_LLR6_Dataset4.csv`` = MSK2,
  ``03.Results/NSCLCmodel_LLR6_Dataset4.csv`` = Vanguri NSCLC), inputs as listed there
  (already capped by the authors).
"""

from __future__ import annotations

import hashlib
import math
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from immunescape.errors import InputError
from immunescape.predict import LORIS_INPUTS, PredictorInputWarning, load_loris, loris_score

# README formula, pan-cancer (raw scale, four decimals)
README_PAN = {
    "tmb": 0.0371,
    "systemic_therapy_history": -0.8775,
    "albumin": 0.5382,
    "nlr": -0.033,
    "age": 0.0049,
    "intercept": -2.0886,
}
README_CANCER = {
    "Bladder": -0.3323,
    "Breast": -0.3323,
    "Colorectal": -0.102,
    "Endometrial": -0.0079,
    "Esophageal": 0.55,
    "Gastric": 0.2306,
    "Head & Neck": 0.0678,
    "Hepatobiliary": -0.1189,
    "Melanoma": -0.0086,
    "Mesothelioma": 0.1255,
    "NSCLC": 0.0008,
    "Ovarian": -0.052,
    "Pancreatic": -1.1169,
    "Renal": 0.5451,
    "Sarcoma": 0.0542,
    "SCLC": -0.0033,
}
README_NSCLC = {
    "tmb": 0.0353,
    "pdl1_tps": 0.0111,
    "systemic_therapy_history": -0.375,
    "albumin": 0.2924,
    "nlr": -0.0103,
    "intercept": -1.5593,
}

# Authors' published per-patient predictions (inputs as in their files).
# (id, TMB, PSTH, albumin, NLR, age, cancer type, LORIS)
AUTHORS_PAN = [
    ("8213", 4.9, 1, 3.8, 7.6, 63.74811773, "Colorectal", 0.31392561536703395),
    ("8216", 1.0, 0, 4.1, 2.69, 58.9650924, "Melanoma", 0.5853652726168554),
    ("8219", 0.0, 0, 4.1, 5.21, 53.65913758, "Gastric", 0.6077699742068984),
    ("8221", 2.0, 1, 4.4, 2.18, 61.78781656, "Pancreatic", 0.19592838310763877),
    ("8225", 8.8, 0, 4.4, 1.88, 69.61806982, "Bladder", 0.6341797088809187),
    ("8261", 17.6, 1, 3.4, 4.46, 67.37303217, "Head & Neck", 0.44140392457626637),
    ("8311", 50.0, 0, 4.3, 7.88, 83.11293635, "Melanoma", 0.9015441497811681),
    ("8312", 3.9, 1, 3.7, 25.0, 78.82272416, "Head & Neck", 0.2308181028143285),
    ("8251", 3.5, 0, 3.8, 2.33, 85.0, "NSCLC", 0.604430239070278),
    ("8228", 7.0, 1, 2.8, 4.88, 69.54962355, "SCLC", 0.2639521992438536),
    ("8339", 2.0, 1, 4.0, 2.63, 60.69267625, "Esophageal", 0.50486295352853),
    ("8291", 8.9, 0, 4.8, 2.57, 54.62559891, "Renal", 0.8250386416986728),
]
# MSK2 (CNS / unknown primary: no calibration term in the authors' scoring)
AUTHORS_MSK2 = [
    ("10320", 6.1, 1, 3.7, 4.0, 73.0, "CNS", 0.371597770509712),
    ("8644", 0.0, 0, 3.8, 0.666666667, 2.5, "Unknown primary", 0.48672462360183655),
    ("10529", 50.0, 1, 4.3, 3.785714286, 43.0, "CNS", 0.7833775335792872),
]
# Vanguri NSCLC: (id, TMB, PD-L1 TPS, PSTH, albumin, NLR, age, LORIS)
AUTHORS_NSCLC = [
    ("3", 26.8, 80.0, 0, 4.3, 4.0, 57.0, 0.8162047298949228),
    ("4", 3.3, 5.0, 0, 4.7, 4.8, 43.0, 0.48469141044219805),
    ("5", 1.1, 70.0, 1, 4.2, 6.6, 61.0, 0.5102080483335096),
    ("188", 50.0, 80.0, 1, 4.3, 5.6, 43.0, 0.8720167820984954),
    ("212", 0.0, 80.0, 0, 3.5, 4.6, 85.0, 0.5754800818185855),
    ("234", 7.0, 50.0, 1, 3.5, 25.0, 77.0, 0.4094672675113996),
]


def _pan_table(rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "sample_id",
            "TMB",
            "Systemic_therapy_history",
            "Albumin",
            "NLR",
            "Age",
            "CancerType",
            "expected",
        ],
    )


def _nsclc_table(rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "sample_id",
            "TMB",
            "PDL1_TPS(%)",
            "Systemic_therapy_history",
            "Albumin",
            "NLR",
            "Age",
            "expected",
        ],
    )


# ----------------------------------------------------------------------- parameter file
def test_a_corrupt_parameter_file_is_a_resource_error(monkeypatch):
    from immunescape import _resources
    from immunescape.errors import ResourceError

    real = _resources._read

    def corrupt(package, name):
        data = real(package, name)
        return data.replace(b"coef:", b"coef: 1", 1) if name == "loris.yaml" else data

    monkeypatch.setattr(_resources, "_read", corrupt)
    load_loris.cache_clear()
    try:
        with pytest.raises(ResourceError, match=r"loris.yaml is corrupt.*reinstall"):
            load_loris()
    finally:
        monkeypatch.undo()
        load_loris.cache_clear()


def test_parameter_file_checksum_matches_recorded():
    files = resources.files("immunescape.predict").joinpath("data")
    raw = files.joinpath("loris.yaml").read_bytes()
    recorded = files.joinpath("loris.yaml.sha256").read_text().split()[0]
    assert hashlib.sha256(raw).hexdigest() == recorded == load_loris().sha256


def test_parameter_file_carries_citation_and_licence():
    params = load_loris()
    assert params.licence == "CC BY-NC 4.0"
    assert params.doi == "10.1038/s43018-024-00772-7"
    assert "Chang" in params.citation and "Nat Cancer" in params.citation
    assert params.source["commit"].startswith("37d2865")


def test_full_parameters_round_to_the_printed_pancancer_formula():
    model = load_loris().models["pancancer"]
    coefs, intercept = model.raw_coefficients()
    for name, value in README_PAN.items():
        got = intercept if name == "intercept" else coefs[name]
        assert round(got, 4) == pytest.approx(value, abs=1e-12), name
    for level, value in README_CANCER.items():
        assert round(coefs[f"cancer_type={level}"], 4) == pytest.approx(value, abs=1e-12), level
    assert set(model.cancer_types) == set(README_CANCER)
    assert model.caps == {"tmb": 50.0, "nlr": 25.0, "age": 85.0}


def test_full_parameters_round_to_the_printed_nsclc_formula():
    model = load_loris().models["nsclc"]
    coefs, intercept = model.raw_coefficients()
    for name, value in README_NSCLC.items():
        got = intercept if name == "intercept" else coefs[name]
        assert round(got, 4) == pytest.approx(value, abs=1e-12), name
    assert abs(coefs["age"]) < 5e-5  # printed formula has no age term
    assert model.inputs == (
        "tmb",
        "pdl1_tps",
        "systemic_therapy_history",
        "albumin",
        "nlr",
        "age",
    )


def test_printed_terms_equal_readme():
    for model, readme in (("pancancer", README_PAN), ("nsclc", README_NSCLC)):
        spec = load_loris().models[model]
        assert spec.printed_intercept == readme["intercept"]
        for t in spec.terms:
            expected = README_CANCER[t.level] if t.level else readme.get(t.input, 0.0)
            assert t.printed == expected


# ----------------------------------------------------------------------- authors' outputs
def test_pancancer_probabilities_equal_authors_published_predictions():
    table = _pan_table(AUTHORS_PAN)
    out = loris_score(table.drop(columns="expected")).scores
    assert list(out["sample_id"]) == list(table["sample_id"])
    np.testing.assert_allclose(out["probability"], table["expected"], rtol=1e-12, atol=0)


def test_cbioportal_attribute_names_give_the_authors_predictions():
    """A cBioPortal clinical export names TMB ``TMB_NONSYNONYMOUS``, age ``AGE`` and the
    cancer type ``CANCER_TYPE``; they are read when the LORIS names are absent."""
    table = _pan_table(AUTHORS_PAN).rename(
        columns={"TMB": "TMB_NONSYNONYMOUS", "Age": "AGE", "CancerType": "CANCER_TYPE"})
    out = loris_score(table.drop(columns="expected")).scores
    np.testing.assert_allclose(out["probability"], table["expected"], rtol=1e-12, atol=0)
    # the LORIS name wins over the cBioPortal one (no ambiguity refusal)
    both = _pan_table(AUTHORS_PAN).assign(TMB_NONSYNONYMOUS=99.0)
    out = loris_score(both.drop(columns="expected")).scores
    np.testing.assert_allclose(out["probability"], both["expected"], rtol=1e-12, atol=0)


def test_msk2_reference_option_equals_authors_scoring_without_cancer_term():
    table = _pan_table(AUTHORS_MSK2)
    with pytest.raises(InputError, match="without a LORIS calibration term.*CNS"):
        loris_score(table.drop(columns="expected"))
    out = loris_score(table.drop(columns="expected"), unknown_cancer_type="reference").scores
    np.testing.assert_allclose(out["probability"], table["expected"], rtol=1e-12, atol=0)


def test_nsclc_probabilities_equal_authors_published_predictions():
    table = _nsclc_table(AUTHORS_NSCLC)
    out = loris_score(table.drop(columns="expected"), model="nsclc").scores
    np.testing.assert_allclose(out["probability"], table["expected"], rtol=1e-12, atol=0)


# ----------------------------------------------------------------------- formula by hand
def test_printed_coefficients_match_formula_computed_by_hand():
    row = {"TMB": 72.0, "Systemic_therapy_history": 1, "Albumin": 3.6, "NLR": 31.0, "Age": 90}
    table = pd.DataFrame([{**row, "CancerType": "Renal"}])
    s = (
        0.0371 * 50  # TMB capped at 50
        - 0.8775 * 1
        + 0.5382 * 3.6
        - 0.033 * 25  # NLR capped at 25
        + 0.0049 * 85  # age capped at 85
        + 0.5451  # renal
        - 2.0886
    )
    out = loris_score(table, coefficients="printed").scores
    assert out.loc[0, "score"] == pytest.approx(s, abs=1e-12)
    assert out.loc[0, "probability"] == pytest.approx(1 / (1 + math.exp(-s)), abs=1e-12)
    full = loris_score(table).scores
    assert abs(full.loc[0, "score"] - s) < 0.01  # rounding of the printed coefficients only


def test_nsclc_printed_formula_by_hand_and_needs_no_age():
    table = pd.DataFrame(
        {
            "tmb": [12.0],
            "pdl1_tps": [60.0],
            "systemic_therapy_history": [0],
            "albumin": [4.0],
            "nlr": [3.0],
        }
    )
    s = 0.0353 * 12 + 0.0111 * 60 - 0.375 * 0 + 0.2924 * 4.0 - 0.0103 * 3.0 - 1.5593
    out = loris_score(table, model="nsclc", coefficients="printed").scores
    assert out.loc[0, "score"] == pytest.approx(s, abs=1e-12)
    with pytest.raises(InputError, match=r"age \(Age or age\)"):
        loris_score(table, model="nsclc")


def test_caps_apply():
    base = {"Systemic_therapy_history": 0, "Albumin": 4.0, "CancerType": "Melanoma"}
    capped = pd.DataFrame([{**base, "TMB": 50, "NLR": 25, "Age": 85}])
    above = pd.DataFrame([{**base, "TMB": 300, "NLR": 80, "Age": 99}])
    assert loris_score(capped).scores["score"].iloc[0] == loris_score(above).scores["score"].iloc[0]


# ----------------------------------------------------------------------- input handling
def _one(**changes) -> pd.DataFrame:
    row = {
        "sample_id": "p1",
        "TMB": 10.0,
        "Systemic_therapy_history": 1,
        "Albumin": 3.9,
        "NLR": 4.0,
        "Age": 60,
        "CancerType": "Melanoma",
    }
    row.update(changes)
    return pd.DataFrame([row])


def test_snake_case_and_mapping_give_the_same_scores():
    table = _pan_table(AUTHORS_PAN).drop(columns="expected")
    ref = loris_score(table).scores
    snake = table.rename(
        columns={
            "TMB": "tmb",
            "Systemic_therapy_history": "systemic_therapy_history",
            "Albumin": "albumin",
            "NLR": "nlr",
            "Age": "age",
            "CancerType": "cancer_type",
        }
    )
    pd.testing.assert_frame_equal(loris_score(snake).scores, ref)
    own = table.rename(columns={"TMB": "tmb_mut_mb", "Age": "age_years"})
    mapped = loris_score(own, columns={"tmb": "tmb_mut_mb", "age": "age_years"}).scores
    pd.testing.assert_frame_equal(mapped, ref)


def test_missing_columns_are_all_listed():
    table = _one().drop(columns=["Albumin", "NLR"])
    with pytest.raises(InputError) as err:
        loris_score(table)
    msg = str(err.value)
    assert "albumin (Albumin or albumin)" in msg and "nlr (NLR or nlr)" in msg
    assert "\n" not in msg
    with pytest.raises(InputError, match=r"pdl1_tps \(PDL1_TPS\(%\) or pdl1_tps\)"):
        loris_score(_one(), model="nsclc")


def test_bad_mapping_and_ambiguous_columns():
    with pytest.raises(InputError, match="unknown LORIS input"):
        loris_score(_one(), columns={"tumour_burden": "TMB"})
    with pytest.raises(InputError, match="not in the clinical table"):
        loris_score(_one(), columns={"tmb": "TMB_panel"})
    with pytest.raises(InputError, match="could be 'tmb'"):
        loris_score(_one(tmb=11.0))


def test_cancer_type_spellings():
    names = ["Head and Neck", "head & neck", "HEAD&NECK", "hnscc", "Head & Neck"]
    table = pd.concat([_one(CancerType=n, sample_id=str(i)) for i, n in enumerate(names)])
    scores = loris_score(table).scores["score"]
    assert scores.nunique() == 1
    lung = pd.concat(
        [
            _one(CancerType="non-small cell lung cancer", sample_id="a"),
            _one(CancerType="NSCLC", sample_id="b"),
        ]
    )
    assert loris_score(lung).scores["score"].nunique() == 1


def test_missing_values_give_nan_and_a_warning():
    table = pd.concat(
        [_one(sample_id="a"), _one(sample_id="b", Albumin=np.nan), _one(sample_id="c")]
    )
    with pytest.warns(PredictorInputWarning, match=r"1 of 3 samples.*albumin \(1\)"):
        out = loris_score(table).scores
    assert out["probability"].isna().tolist() == [False, True, False]


def test_unit_and_value_errors():
    with pytest.raises(InputError, match="g/L: divide by 10"):
        loris_score(_one(Albumin=39.0))
    with pytest.raises(InputError, match="non-numeric value 'high'"):
        loris_score(_one(TMB="high"))
    with pytest.raises(InputError, match="implausible value -1"):
        loris_score(_one(NLR=-1))
    with pytest.raises(InputError, match="systemic_therapy_history"):
        loris_score(_one(Systemic_therapy_history="maybe"))
    with pytest.raises(InputError, match="0-100"):
        loris_score(_one(**{"PDL1_TPS(%)": 140}), model="nsclc")
    with pytest.raises(InputError, match="more than once"):
        loris_score(pd.concat([_one(), _one()]))
    with pytest.raises(InputError, match="model: unknown value .melanoma."):
        loris_score(_one(), model="melanoma")  # type: ignore[arg-type]


def test_systemic_therapy_words():
    yes = loris_score(_one(Systemic_therapy_history="yes")).scores["score"].iloc[0]
    one = loris_score(_one(Systemic_therapy_history=1)).scores["score"].iloc[0]
    no = loris_score(_one(Systemic_therapy_history=False)).scores["score"].iloc[0]
    assert yes == one and no > yes


def test_nsclc_model_warns_on_other_cancer_types():
    table = _one(**{"PDL1_TPS(%)": 50})
    with pytest.warns(PredictorInputWarning, match="non-NSCLC"):
        loris_score(table, model="nsclc")


def test_output_contract_and_provenance():
    res = loris_score(_one())
    out = res.scores
    assert list(out.columns) == ["sample_id", "score", "probability"]
    assert list(res.tables) == ["scores"] and res.warnings == []
    assert res.settings["model"] == "loris_pancancer"
    assert res.settings["licence"] == "CC BY-NC 4.0"
    assert res.settings["parameters_sha256"] == load_loris().sha256
    no_ids = _one().drop(columns="sample_id").set_axis(["pt7"])
    assert loris_score(no_ids).scores["sample_id"].tolist() == ["pt7"]
    assert set(LORIS_INPUTS) >= set(load_loris().models["pancancer"].inputs)
