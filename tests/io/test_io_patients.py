"""Repeated patients in one cohort, and the sample id column chosen by the molecular ids.

Hand-built tables whose right answer is known: which samples belong to one patient, which one
each rule keeps, which id column matches the expression samples.
"""

from __future__ import annotations

import pandas as pd
import pytest

from immunescape.errors import InputError
from immunescape.io import read_clinical
from immunescape.io._patients import keep_one_per_patient, outcome_samples, patient_groups


def _frame(ids: list[str], **cols: list[object]) -> pd.DataFrame:
    return pd.DataFrame({"response": ["R", "NR"] * (len(ids) // 2) + ["R"] * (len(ids) % 2),
                         **cols}, index=ids)


# ------------------------------------------------------------------ who is one patient
def test_patient_column_groups_its_samples():
    f = _frame(["S1", "S2", "S3", "S4"], patient_id=["A", "B", "A", "C"])
    assert patient_groups(f) == ({"A": ["S1", "S3"]}, "patient column 'patient_id'")


def test_a_column_starting_every_sample_id_names_the_patient():
    # IMPRES Riaz table: sample = Pt101_On, sample_u = Pt101
    ids = ["Pt101_On", "Pt101_Pre", "Pt103_On", "Pt7_Pre", "Pt92_On.2", "Pt92_Pre"]
    f = _frame(ids, sample_u=["Pt101", "Pt101", "Pt103", "Pt7", "Pt92", "Pt92"])
    groups, rule = patient_groups(f)
    assert groups == {"Pt101": ["Pt101_On", "Pt101_Pre"], "Pt92": ["Pt92_On.2", "Pt92_Pre"]}
    assert rule == "patient column 'sample_u'"


def test_a_cohort_column_prefixing_every_id_is_not_a_patient_column():
    f = _frame(["WARGO_1", "WARGO_2", "WARGO_3", "WARGO_4"], study=["WARGO"] * 4)
    assert patient_groups(f) == ({}, "")


def test_timepoint_words_in_ids_group_samples_of_one_patient():
    ids = ["Pt1_Pre", "Pt1-On", "pre_P2", "POST.P2", "Pt10_pre", "Pt92_On.2", "Pt92_PRE"]
    groups, rule = patient_groups(_frame(ids))
    assert groups == {"Pt1": ["Pt1_Pre", "Pt1-On"], "P2": ["pre_P2", "POST.P2"],
                      "Pt92": ["Pt92_On.2", "Pt92_PRE"]}
    assert rule == "timepoint words in the sample ids"


@pytest.mark.parametrize("ids", [
    ["Pt1", "Pt10", "Pt100", "Pt1_2"],            # numbers are not timepoints
    ["Sample_1", "Sample_2", "Onset_3", "Preston"],  # words that only start like one
    ["Pt1_pre", "Pt2_pre", "Pt3_on"],             # one sample per patient
])
def test_ordinary_ids_hold_no_repeated_patient(ids):
    assert patient_groups(_frame(ids)) == ({}, "")


# ------------------------------------------------------------------ refusing, or keeping one
def test_repeated_patients_are_refused_in_one_line():
    f = _frame(["A_pre", "A_on", "B_pre", "B_on", "C_pre"])
    with pytest.raises(InputError) as err:
        keep_one_per_patient(f, source="clin.tsv")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("clin.tsv: 2 patient(s) have more than one ")
    assert "A: A_pre, A_on; B: B_pre, B_on" in msg and "--one-per-patient pre" in msg


def test_each_rule_keeps_the_sample_it_names():
    ids = ["A_on", "A_pre", "B_pre", "B_pre.2", "C_on", "D_pre"]
    f = _frame(ids)
    assert keep_one_per_patient(f, rule="pre")[0].index.tolist() == ["A_pre", "B_pre", "D_pre"]
    assert keep_one_per_patient(f, rule="on")[0].index.tolist() == ["A_on", "C_on"]
    kept, note = keep_one_per_patient(f, rule="first")
    assert kept.index.tolist() == ["A_on", "B_pre", "C_on", "D_pre"]
    assert note is not None and "2 later sample(s) of 2 patient(s)" in note


def test_a_timepoint_column_decides_over_the_ids():
    f = _frame(["S1", "S2", "S3", "S4"], patient=["A", "A", "B", "B"],
               biopsy=["on-treatment", "pre-treatment", "Baseline", "post"])
    assert keep_one_per_patient(f, rule="pre")[0].index.tolist() == ["S2", "S3"]


def test_only_the_given_samples_are_checked():
    f = pd.DataFrame({"response": ["R", None, "NR"], "os_months": [3.0, None, 5.0]},
                     index=["A_pre", "A_on", "B_pre"])
    labelled = outcome_samples(f)
    assert labelled == ["A_pre", "B_pre"]
    kept, note = keep_one_per_patient(f, samples=labelled)
    assert kept is f and note is None


def test_pre_without_timepoints_is_refused():
    with pytest.raises(InputError, match="no sample has a recognisable timepoint"):
        keep_one_per_patient(_frame(["S1", "S2"], patient=["A", "A"]), rule="pre")


# ------------------------------------------------------------------ sample id column choice
BMS = ("PatientID,Sample,BOR\nPt1,Pt1_pre,PR\nPt2,Pt2_pre,PD\nPt3,Pt3_pre,SD\n"
       "Pt4,Pt4_pre,CR\n")


def test_the_id_column_matching_the_expression_samples_is_used(tmp_path, caplog):
    f = tmp_path / "bms.csv"
    f.write_text(BMS)
    assert read_clinical(f).settings["sample_col"] == "Sample"  # no ids to match: first
    clin = read_clinical(f, sample_ids=["Pt1", "Pt2", "Pt4", "Pt9"])
    assert clin.samples.tolist() == ["Pt1", "Pt2", "Pt3", "Pt4"]
    msg = [w for w in clin.warnings if "sample ids taken from column 'PatientID'" in w]
    assert len(msg) == 1 and "match 3 of the 4 molecular samples" in msg[0]
    assert any("PatientID" in r.getMessage() for r in caplog.records
               if r.name == "immunescape.console")
    # the first column is kept when it matches as well (or at least half as well)
    assert read_clinical(f, sample_ids=["Pt1_pre", "Pt2"]).settings["sample_col"] == "Sample"
    assert read_clinical(f, sample_ids=["Pt1"], sample_col="Sample").samples[0] == "Pt1_pre"


def test_two_equally_matching_alternatives_are_refused(tmp_path):
    f = tmp_path / "c.tsv"
    f.write_text("sample\tpatient\tsubject\tBOR\nS1\tP1\tP1\tPR\nS2\tP2\tP2\tPD\n")
    with pytest.raises(InputError) as err:
        read_clinical(f, sample_ids=["P1", "P2"])
    assert "'patient', 'subject' match 2 each" in str(err.value)
    assert "--sample-col patient" in str(err.value)


# ------------------------------------------------------------------ real cohorts
ORDINARY = [
    *[f"predictior_icb/{n}_clinical.tsv" for n in (
        "Riaz2017_melanoma_PD1", "Hugo2016_melanoma_PD1", "VanAllen2015_melanoma_CTLA4",
        "Nathanson2017_melanoma_CTLA4", "Miao2018_RCC_PD1", "Jung2019_NSCLC_PD1_males",
        "Snyder2017_UC_PDL1_males", "Zhao2019_GBM_PD1", "Padron2022_PDAC_PD1",
        "JerbyArnon2018_melanoma_PD1_panel566", "Hwang2020_NSCLC_PD1_panel383",
        "Roh2017_melanoma_CTLA4_panel721", "VanDenEnde2021_esophageal_PD1_panel1364")],
    *[f"impres_auslander2018_matlab_cohorts/{n}_clinical.tsv" for n in (
        "Hugo2016_IMPRES_FPKM", "Prat2017_GSE93157_IMPRES_NanoString",
        "TCGA_SKCM_ipilimumab_IMPRES")],
    "hugo2016/patient_info_with_mutations.txt",
    "riaz2017_bms038/bms038_clinical_data.csv",
]


@pytest.mark.realdata
@pytest.mark.parametrize("name", ORDINARY)
def test_real_cohorts_with_one_sample_per_patient_pass_unchanged(shared_data, name):
    clin = read_clinical(shared_data / name)
    frame = clin.data.join(clin.extra, rsuffix="_extra")
    kept, note = keep_one_per_patient(frame, samples=outcome_samples(frame))
    assert kept is frame and note is None


@pytest.mark.realdata
def test_impres_riaz_pre_and_on_samples_are_one_patient(shared_data):
    f = shared_data / "impres_auslander2018_matlab_cohorts" / \
        "Riaz2017_IMPRES_TIMCHAN_counts_clinical.tsv"
    # independent count, plain pandas: RECIST CR/PR/PD are labelled under the default rule
    # (SD needs PFS, which this table lacks); patients = sample_u with two such rows or more
    raw = pd.read_csv(f, sep="\t", dtype=str)
    lab = raw[raw["response"].isin(["CR", "PR", "PD"])]
    n_repeated = int((lab["sample_u"].value_counts() > 1).sum())
    assert n_repeated > 20
    clin = read_clinical(f)
    frame = clin.data.join(clin.extra)
    groups, rule = patient_groups(frame, samples=outcome_samples(frame))
    assert rule == "patient column 'sample_u'" and len(groups) == n_repeated
    pre, _ = keep_one_per_patient(frame, rule="pre", samples=outcome_samples(frame))
    labelled_pre = lab[lab["sample"].str.lower().str.endswith("_pre")]
    kept = outcome_samples(pre)
    assert len(kept) == labelled_pre["sample_u"].nunique()
    assert all(s.lower().endswith("_pre") for s in kept)


@pytest.mark.realdata
def test_bms038_sheet_takes_patient_ids_matching_the_expression(shared_data):
    expr = shared_data / "predictior_icb" / "Riaz2017_melanoma_PD1_expr_log2tpm.tsv.gz"
    samples = pd.read_csv(expr, sep="\t", nrows=0).columns[1:].tolist()
    sheet = shared_data / "riaz2017_bms038" / "bms038_clinical_data.csv"
    raw = pd.read_csv(sheet, dtype=str)
    assert not set(raw["Sample"]) & set(samples)  # the first id column matches nothing
    clin = read_clinical(sheet, sample_ids=samples)
    assert clin.settings["sample_col"] == "PatientID"
    assert set(clin.samples) & set(samples) == set(raw["PatientID"]) & set(samples)
