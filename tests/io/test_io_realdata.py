"""Readers on the real ICB cohorts in ../shared/data (skipped when absent).

Independent references: the files themselves read with the standard library or plain pandas
(headers, line counts, values, value counts); the PredictioR curators' own ``response``
column; PredictioR's survival columns for the same patients (another curation of the same
authors' tables); and the counts stated in ../shared/data/README.md.
"""

from __future__ import annotations

import csv
import gzip
import io

import numpy as np
import pandas as pd
import pytest

from immunescape.errors import InputError, UnitError
from immunescape.io import read_clinical, read_expression

pytestmark = pytest.mark.realdata

PREDICTIOR = "predictior_icb"
IMPRES = "impres_auslander2018_matlab_cohorts"


def _gz_header_and_lines(path) -> tuple[list[str], int]:
    with gzip.open(path, "rt") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        n = sum(1 for line in handle if line.strip())
    return header, n


def _gz_row(path, gene: str) -> np.ndarray:
    with gzip.open(path, "rt") as handle:
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if fields[0] == gene:
                return np.array([float(x) for x in fields[1:]], dtype=np.float32)
    raise KeyError(gene)


def _resp(series: pd.Series) -> list[str]:
    return series.astype(object).where(series.notna(), "NA").tolist()


# ---------------------------------------------------------------------------- expression
def test_riaz_predictior_log2tpm(shared_data, unchanged):
    path = shared_data / PREDICTIOR / "Riaz2017_melanoma_PD1_expr_log2tpm.tsv.gz"
    header, n_lines = _gz_header_and_lines(path)
    with unchanged(path):
        expr, report = read_expression(path)
    # README: values are log2(TPM + 0.001), floor -9.9658
    assert (report.unit, report.unit_given) == ("log2tpm", False)
    assert report.log_offset == pytest.approx(0.001) and expr.log_offset == pytest.approx(0.001)
    assert any("-9.9658" in e for e in report.unit_evidence)
    assert report.genes_in == "rows" and not report.orientation_given
    assert list(expr.samples) == header[1:] and report.n_samples == 46
    assert report.n_input_ids == n_lines == 19961
    assert sum(report.resolution.values()) == n_lines
    assert (
        report.n_resolved
        == n_lines - report.resolution["unresolved"] - report.resolution["ambiguous"]
    )
    assert len(report.unresolved) == report.resolution["unresolved"]
    assert report.n_genes == len(set(expr.genes)) == expr.shape[1]
    for gene in ("CD274", "GZMA", "PRF1"):
        np.testing.assert_array_equal(expr.values[gene].to_numpy(), _gz_row(path, gene))


def test_riaz_impres_counts(shared_data):
    path = shared_data / IMPRES / "Riaz2017_IMPRES_TIMCHAN_counts_expr.tsv.gz"
    header, n_lines = _gz_header_and_lines(path)
    expr, report = read_expression(path)
    assert report.unit == "counts" and report.log_offset is None
    assert list(expr.samples) == header[1:] and report.n_samples == 118
    assert report.n_input_ids == n_lines == 12827
    np.testing.assert_array_equal(expr.values["GZMA"].to_numpy(), _gz_row(path, "GZMA"))
    with pytest.raises(UnitError, match="reach"):
        read_expression(path, unit="log2tpm")


def test_hugo_impres_fpkm(shared_data):
    path = shared_data / IMPRES / "Hugo2016_IMPRES_FPKM_expr.tsv.gz"
    header, n_lines = _gz_header_and_lines(path)
    expr, report = read_expression(path)
    assert report.unit == "fpkm"
    assert list(expr.samples) == header[1:] and report.n_samples == 28
    assert report.n_input_ids == n_lines
    np.testing.assert_array_equal(expr.values["CD274"].to_numpy(), _gz_row(path, "CD274"))
    with pytest.raises(UnitError, match="not integers"):
        read_expression(path, unit="counts")


def test_declared_linear_unit_on_log_data_is_refused(shared_data):
    path = shared_data / PREDICTIOR / "Riaz2017_melanoma_PD1_expr_log2tpm.tsv.gz"
    with pytest.raises(UnitError, match="negative") as info:
        read_expression(path, unit="tpm")
    assert str(path) in str(info.value) and "\n" not in str(info.value)


# ------------------------------------------------------------------- PredictioR clinical
def _predictior(shared_data, cohort: str) -> pd.DataFrame:
    path = shared_data / PREDICTIOR / f"{cohort}_clinical.tsv"
    return pd.read_csv(path, sep="\t").set_index("sample_id")


def test_riaz_predictior_response_equals_curated_column(shared_data, unchanged):
    path = shared_data / PREDICTIOR / "Riaz2017_melanoma_PD1_clinical.tsv"
    with unchanged(path):
        clin = read_clinical(path)
    raw = _predictior(shared_data, "Riaz2017_melanoma_PD1")
    assert list(clin.samples) == list(raw.index)
    # the curators' own response column (CR/PR -> R, PD -> NR, SD by the PFS rule; this
    # table has no PFS so SD stays NA), compared sample by sample including missing values
    assert _resp(clin.response) == _resp(raw["response"])
    assert clin.provenance["response_counts"] == {"R": 9, "NR": 21, "NA": 16}
    assert clin.provenance["recist_counts"]["SD"] == 14
    assert clin.provenance["binary_column_agreement"]["disagree"] == 0
    np.testing.assert_allclose(clin.data["os_months"], raw["survival_time_os"])
    np.testing.assert_array_equal(clin.data["os_event"], raw["event_occurred_os"])


@pytest.mark.parametrize(
    ("cohort", "options", "n_sd_decided"),
    [
        ("Miao2018_RCC_PD1", {}, 4),
        ("VanAllen2015_melanoma_CTLA4", {}, 5),
        ("JerbyArnon2018_melanoma_PD1_panel566", {}, 7),
        ("Roh2017_melanoma_CTLA4_panel721", {"response_map": {"PD*": "NA"}}, 0),
    ],
)
def test_pfs6_rule_reproduces_predictior_labels(shared_data, cohort, options, n_sd_decided):
    """Cohorts with PFS: the SD rule decides some SD patients; labels must match the curators'."""
    path = shared_data / PREDICTIOR / f"{cohort}_clinical.tsv"
    clin = read_clinical(path, **options)
    raw = _predictior(shared_data, cohort)
    assert _resp(clin.response) == _resp(raw["response"])
    sd = clin.provenance["sd_outcomes"]
    assert sd["R"] + sd["NR"] == n_sd_decided


def test_snyder_differs_only_where_predictior_kept_a_trailing_space(shared_data):
    path = shared_data / PREDICTIOR / "Snyder2017_UC_PDL1_males_clinical.tsv"
    # "Only scanned baseline": no on-treatment scan, so no best response: not evaluable
    clin = read_clinical(path)
    assert int(clin.data["recist"].eq("NE").sum()) == 3
    raw = _predictior(shared_data, "Snyder2017_UC_PDL1_males")
    ours, theirs = _resp(clin.response), _resp(raw["response"])
    differ = [s for s, a, b in zip(raw.index, ours, theirs, strict=True) if a != b]
    # PredictioR left "PD " (with a space) unlabelled; stripped, it is PD -> NR here
    assert differ == list(raw.index[raw["recist"] == "PD "])
    assert len(differ) == 2 and all(ours[list(raw.index).index(s)] == "NR" for s in differ)


# ----------------------------------------------------------------------- bms038 (Riaz)
def _bms038_rows(path) -> list[dict[str, str]]:
    text = path.read_bytes().decode().replace("\r\n", "\n").replace("\r", "\n")
    return list(csv.DictReader(io.StringIO(text)))


def test_bms038_clinical_line_endings_and_censoring_direction(shared_data, unchanged):
    path = shared_data / "riaz2017_bms038" / "bms038_clinical_data.csv"
    rows = _bms038_rows(path)
    with unchanged(path):
        default = read_clinical(path)
        clin = read_clinical(path, sample_col="PatientID", recist_col="myBOR")
    assert len(default) == len(clin) == len(rows) == 73
    assert default.provenance["sample_col"] == "Sample"
    assert default.provenance["recist_col"] == "BOR"
    assert list(clin.samples) == [r["PatientID"] for r in rows]
    # myBOR values counted independently from the raw rows
    my_bor = pd.Series([r["myBOR"] for r in rows]).value_counts().to_dict()
    counts = clin.provenance["recist_counts"]
    assert (
        (counts["CR/PR"], counts["SD"], counts["PD"])
        == (
            my_bor["PRCR"],
            my_bor["SD"],
            my_bor["PD"],
        )
        == (15, 24, 34)
    )
    # time from OSWK (weeks); OS (days) = 7 x OSWK in the raw file
    assert clin.provenance["os"]["time_col"] == "OSWK"
    days = np.array([float(r["OS"]) for r in rows])
    np.testing.assert_allclose(clin.data["os_months"] * 30.4375, days, rtol=1e-6)
    # *_SOR are censoring flags: 1 = censored. Checked against PredictioR's curation of the
    # same patients (event_occurred_os, months = days / 28 there)
    raw = _predictior(shared_data, "Riaz2017_melanoma_PD1")
    shared = [s for s in raw.index if s in clin.samples]
    assert len(shared) == 46
    np.testing.assert_array_equal(
        clin.data.loc[shared, "os_event"], raw.loc[shared, "event_occurred_os"]
    )
    np.testing.assert_allclose(
        clin.data.loc[shared, "os_months"] * 30.4375,
        raw.loc[shared, "survival_time_os"] * 28,
        rtol=1e-6,
    )
    sor = np.array([float(r["PFS_SOR"]) for r in rows])
    np.testing.assert_array_equal(clin.data["pfs_event"], 1 - sor)


# ---------------------------------------------------------------------- Hugo 2016 table
def test_hugo2016_patient_table(shared_data):
    path = shared_data / "hugo2016" / "patient_info_with_mutations.txt"
    # Pt27 has two biopsies (rows Vand_Pt27 and Vand_Pt27_2) with the same outcome: by
    # patient, one row is kept (with a warning)
    by_patient = read_clinical(path)
    assert len(by_patient) == 35 and "Pt27" in by_patient.samples
    assert any("'Pt27' (2)" in w for w in by_patient.provenance["warnings"])
    # Overall.Survival has no unit in its name: left out with a warning unless given
    assert by_patient.data["os_months"].isna().all()
    assert any("time unit" in w for w in by_patient.provenance["warnings"])
    clin = read_clinical(path, sample_col="matchID", time_unit="days")
    assert len(clin) == 36 and clin.provenance["recist_col"] == "irRECIST"
    raw = _predictior(shared_data, "Hugo2016_melanoma_PD1")
    patient = clin.extra["Patient.ID"]
    both = [m for m in clin.samples if patient[m] in raw.index]
    assert len(both) >= 26
    theirs = raw.loc[[patient[m] for m in both]]
    assert clin.data.loc[both, "recist"].tolist() == theirs["recist"].tolist()
    assert _resp(clin.data.loc[both, "response"]) == _resp(theirs["response"])
    # Overall.Survival is in days: PredictioR divided by 30.5, we by 30.4375
    has = theirs["survival_time_os"].notna().to_numpy()
    np.testing.assert_allclose(
        clin.data.loc[both, "os_months"].to_numpy()[has] * 30.4375,
        theirs["survival_time_os"].to_numpy()[has] * 30.5,
        rtol=1e-6,
    )
    np.testing.assert_array_equal(
        clin.data.loc[both, "os_event"], theirs["event_occurred_os"].to_numpy(dtype=float)
    )


# -------------------------------------------------------------------- IMPRES clinical
def _impres(shared_data, cohort: str):
    path = shared_data / IMPRES / f"{cohort}_clinical.tsv"
    return path, pd.read_csv(path, sep="\t")


def test_impres_riaz_cr_pr_versus_sd_pd(shared_data):
    path, raw = _impres(shared_data, "Riaz2017_IMPRES_TIMCHAN_counts")
    clin = read_clinical(path, sd_rule="nr")  # the IMPRES table groups SD with PD
    vc = raw["response"].value_counts()
    expected = {"R": vc["CR"] + vc["PR"], "NR": vc["SD"] + vc["PD"]}
    counts = clin.provenance["response_counts"]
    assert (counts["R"], counts["NR"]) == (expected["R"], expected["NR"]) == (22, 84)
    assert counts["NA"] == len(raw) - 106  # NaN, "NAN" and "NE"


def test_impres_van_allen_long_survival_grouped_with_non_response(shared_data):
    path, _ = _impres(shared_data, "VanAllen2015_IMPRES")
    with pytest.raises(InputError, match="'long-survival' \\(5\\)"):
        read_clinical(path, time_unit="days")
    clin = read_clinical(path, time_unit="days", response_map={"long-survival": "NR"})
    # README: response (14) vs non-response + long-survival (28)
    assert clin.provenance["response_counts"] == {"R": 14, "NR": 28, "NA": 0}


def test_impres_hugo_and_tcga(shared_data):
    path, raw = _impres(shared_data, "Hugo2016_IMPRES_FPKM")
    clin = read_clinical(path, time_unit="days")
    assert clin.provenance["response_col"] == "response_PD1"
    assert clin.provenance["response_counts"] == {"R": 15, "NR": 13, "NA": 0}
    assert int(clin.data["os_event"].sum()) == int((raw["death"] == "Dead").sum()) == 12
    path, _ = _impres(shared_data, "TCGA_SKCM_ipilimumab_IMPRES")
    clin = read_clinical(path, sd_rule="nr")
    assert clin.provenance["response_counts"] == {"R": 5, "NR": 8, "NA": 6}


def test_impres_files_needing_user_choices(shared_data):
    path, _ = _impres(shared_data, "Auslander2018_MGH_IMPRES")
    with pytest.raises(InputError, match="several response columns"):
        read_clinical(path)
    with pytest.raises(InputError, match="'mixed / PD' \\(10\\)"):
        read_clinical(path, response_col="response_PD1")
    path, raw = _impres(shared_data, "Prat2017_GSE93157_IMPRES_NanoString")
    # GEO characteristics ('pfs: 1.83'): the prefix is removed; PFS has no unit: left out
    # unless the unit is given (months, per GSE93157)
    assert read_clinical(path).data["pfs_months"].isna().all()
    clin = read_clinical(path, time_unit="months")
    expected = raw["PFS"].str.replace("pfs: ", "").astype(float).to_numpy()
    np.testing.assert_allclose(clin.data["pfs_months"].to_numpy(), expected)
    path, raw = _impres(shared_data, "Chen2016_Wargo_IMPRES_NanoString")
    clin = read_clinical(path)
    assert clin.provenance["response_counts"]["NA"] == len(raw)
    clin = read_clinical(path, response_col="antiPD1")
    vc = raw["antiPD1"].value_counts()
    assert clin.provenance["response_counts"] == {
        "R": vc["R"],
        "NR": vc["NR"],
        "NA": int(raw["antiPD1"].isna().sum()),
    }
