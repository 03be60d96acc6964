"""read_clinical on synthetic tables: column names, vocabularies, SD rules, units, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from immunescape.errors import InputError
from immunescape.io import read_clinical
from immunescape.io._clinical import DAYS_PER_MONTH


def _write(tmp_path, text: str, name: str = "clin.tsv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _tsv(tmp_path, frame: pd.DataFrame, name: str = "clin.tsv"):
    path = tmp_path / name
    frame.to_csv(path, sep="\t", index=False)
    return path


def _resp(clin) -> list[str]:
    return clin.response.astype(object).fillna("NA").tolist()


def test_days_per_month_is_a_julian_twelfth():
    assert DAYS_PER_MONTH == 365.25 / 12 == 30.4375


# ------------------------------------------------------------------------ RECIST values
@pytest.mark.parametrize(
    ("value", "recist", "response"),
    [
        ("CR", "CR", "R"),
        ("Complete Response", "CR", "R"),
        ("irCR", "CR", "R"),
        ("PR", "PR", "R"),
        ("partial response", "PR", "R"),
        ("irPR", "PR", "R"),
        ("PRCR", "CR/PR", "R"),
        ("CR/PR", "CR/PR", "R"),
        ("PD", "PD", "NR"),
        ("PD ", "PD", "NR"),
        ("Progressive Disease", "PD", "NR"),
        ("Clinical Progressive Disease", "PD", "NR"),
        ("PROGRESSION", "PD", "NR"),
        ("NE", "NE", "NA"),
        ("[Not Available]", "NA", "NA"),
        ("", "NA", "NA"),
    ],
)
def test_recist_vocabulary(tmp_path, value, recist, response):
    path = _tsv(tmp_path, pd.DataFrame({"patient": ["P1"], "BOR": [value]}))
    clin = read_clinical(path)
    assert clin.data["recist"].astype(object).fillna("NA").tolist() == [recist]
    assert _resp(clin) == [response]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["R", "NR"], ["R", "NR"]),
        (["responder", "non-responder"], ["R", "NR"]),
        (["Yes", "No"], ["R", "NR"]),
        (["1", "0"], ["R", "NR"]),
        (["1.0", "0.0"], ["R", "NR"]),
        (["TRUE", "FALSE"], ["R", "NR"]),
        (["response", "nonresponse"], ["R", "NR"]),
    ],
)
def test_binary_response_columns(tmp_path, values, expected):
    path = _tsv(tmp_path, pd.DataFrame({"sample_id": ["a", "b"], "Response": values}))
    assert _resp(read_clinical(path)) == expected


def test_response_prefixed_column_is_used_when_alone(tmp_path):
    path = _tsv(tmp_path, pd.DataFrame({"sample": ["a", "b"], "response_PD1": ["PR", "PD"]}))
    clin = read_clinical(path)
    assert _resp(clin) == ["R", "NR"] and clin.provenance["response_col"] == "response_PD1"


# --------------------------------------------------------------------------- SD rules
def _sd_table(tmp_path):
    # PFS in months, events 1 = progression. Expected outcomes under the PredictioR rule:
    frame = pd.DataFrame(
        {
            "sample_id": ["a", "b", "c", "d", "e", "f", "g", "h"],
            "recist": ["SD", "SD", "SD", "SD", "SD", "SD", "CR", "PD"],
            "pfs_months": [3.0, 6.0, 6.0, 9.0, 4.0, 12.0, 2.0, 20.0],
            "pfs_event": [1, 1, 0, 0, 0, 1, 1, 0],
        }
    )
    # a: <=6 & event -> NR; b: =6 & event -> NR; c: =6 censored -> R; d: >=6 censored -> R;
    # e: <6 censored -> NA; f: >6 with event -> NA; CR -> R and PD -> NR whatever the PFS
    return _tsv(tmp_path, frame)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("pfs6", ["NR", "NR", "R", "R", "NA", "NA", "R", "NR"]),
        ("nr", ["NR"] * 6 + ["R", "NR"]),
        ("r", ["R"] * 6 + ["R", "NR"]),
        ("exclude", ["NA"] * 6 + ["R", "NR"]),
    ],
)
def test_sd_rules(tmp_path, rule, expected):
    clin = read_clinical(_sd_table(tmp_path), sd_rule=rule)
    assert _resp(clin) == expected
    assert clin.provenance["sd_rule"] == rule
    assert "SD ->" in clin.provenance["response_rule"]


def test_pfs6_rule_without_pfs_leaves_sd_missing_with_a_warning(tmp_path):
    path = _tsv(tmp_path, pd.DataFrame({"sample_id": ["a", "b"], "recist": ["SD", "PR"]}))
    clin = read_clinical(path)
    assert _resp(clin) == ["NA", "R"]
    assert any("needs PFS" in w for w in clin.provenance["warnings"])


def test_recist_decides_and_binary_fills_gaps(tmp_path):
    frame = pd.DataFrame(
        {
            "sample_id": ["a", "b", "c", "d"],
            "recist": ["PR", "PD", "", "SD"],
            "response": ["R", "R", "NR", "R"],
        }
    )
    clin = read_clinical(_tsv(tmp_path, frame), sd_rule="nr")
    assert _resp(clin) == ["R", "NR", "NR", "NR"]
    agreement = clin.provenance["binary_column_agreement"]
    assert agreement["disagree"] == 2 and agreement["disagreeing_samples"] == ["b", "d"]
    assert clin.provenance["response_from"] == {"recist": 3, "binary_column": 1}


def test_response_map_and_na_values(tmp_path):
    frame = pd.DataFrame(
        {"sample": ["a", "b", "c", "d"], "response": ["response", "long-survival", "x?", "PD"]}
    )
    path = _tsv(tmp_path, frame)
    clin = read_clinical(path, response_map={"Long-Survival": "NR"}, na_values=["x?"])
    assert _resp(clin) == ["R", "NR", "NA", "NR"]


# ----------------------------------------------------------------------------- survival
@pytest.mark.parametrize(
    ("column", "value", "months"),
    [
        ("OS_months", 12.0, 12.0),
        ("OS_days", 365.25, 12.0),
        ("os_time_days", 30.4375, 1.0),
        ("OSWK", 52.0, 52 * 7 / 30.4375),
        ("os_weeks", 4.0, 28 / 30.4375),
        ("OS_years", 2.0, 24.0),
        ("overall_survival_mo", 5.0, 5.0),
    ],
)
def test_time_unit_from_column_name(tmp_path, column, value, months):
    path = _tsv(tmp_path, pd.DataFrame({"ID": ["a"], column: [value], "OS_event": [1]}))
    clin = read_clinical(path)
    assert clin.data["os_months"].iloc[0] == pytest.approx(months, rel=1e-12)
    assert clin.provenance["os"]["time_col"] == column


def test_time_unit_from_unit_column_per_row(tmp_path):
    frame = pd.DataFrame(
        {
            "sample_id": ["a", "b"],
            "survival_time_os": [60.875, 3.0],
            "survival_unit": ["days", "month"],
            "event_occurred_os": [1, 0],
        }
    )
    clin = read_clinical(_tsv(tmp_path, frame))
    assert clin.data["os_months"].tolist() == pytest.approx([2.0, 3.0])
    assert clin.provenance["os"]["time_unit"] == ["days", "months"]


def test_time_unit_option_and_missing_unit_error(tmp_path, raises_input_error):
    frame = pd.DataFrame({"sample": ["a"], "survival": [608.75], "death": ["Dead"]})
    path = _tsv(tmp_path, frame)
    clin = read_clinical(path, time_unit="days")
    assert clin.data["os_months"].iloc[0] == pytest.approx(20.0)
    assert clin.data["os_event"].iloc[0] == 1.0
    # detected but of unknown unit: left out with a warning, never guessed
    clin = read_clinical(path)
    assert clin.data["os_months"].isna().all()
    assert any("time unit" in w and "left out" in w for w in clin.provenance["warnings"])
    # named explicitly: the unit is required
    raises_input_error(lambda: read_clinical(path, os_time_col="survival"), path, "time unit",
                       "time_unit=")


def test_name_unit_beats_bare_column(tmp_path):
    frame = pd.DataFrame({"Sample": ["a"], "OS": [70], "OSWK": [10], "OS_SOR": [0]})
    clin = read_clinical(_tsv(tmp_path, frame))
    assert clin.provenance["os"]["time_col"] == "OSWK"
    assert clin.data["os_months"].iloc[0] == pytest.approx(70 / 30.4375)


@pytest.mark.parametrize(
    ("values", "events"),
    [
        (["1", "0"], [1.0, 0.0]),
        (["TRUE", "FALSE"], [1.0, 0.0]),
        (["Dead", "Alive"], [1.0, 0.0]),
        (["deceased", "living"], [1.0, 0.0]),
        (["1:DECEASED", "0:LIVING"], [1.0, 0.0]),
        (["yes", ""], [1.0, np.nan]),
    ],
)
def test_event_vocabulary(tmp_path, values, events):
    frame = pd.DataFrame({"sample_id": ["a", "b"], "os_months": [1, 2], "os_status": values})
    clin = read_clinical(_tsv(tmp_path, frame))
    np.testing.assert_array_equal(clin.data["os_event"].to_numpy(), events)


def test_censoring_flags_are_inverted(tmp_path):
    frame = pd.DataFrame(
        {"sample": ["a", "b"], "PFS_months": [2, 9], "PFS_SOR": [0, 1], "OS_months": [5, 9]}
    )
    clin = read_clinical(_tsv(tmp_path, frame))
    assert clin.data["pfs_event"].tolist() == [1.0, 0.0]
    assert "inverted" in clin.provenance["pfs"]["event_coding"]
    assert any("censoring column" in w for w in clin.provenance["warnings"])
    explicit = read_clinical(_tsv(tmp_path, frame), pfs_event_col="PFS_SOR")
    assert explicit.data["pfs_event"].tolist() == [0.0, 1.0]


def test_extra_columns_kept_and_provenance_serialisable(tmp_path):
    frame = pd.DataFrame({"sample_id": ["a", "b"], "recist": ["CR", "PD"], "TMB": ["5", "9"]})
    clin = read_clinical(_tsv(tmp_path, frame))
    assert list(clin.extra.columns) == ["TMB"] and list(clin.extra.index) == ["a", "b"]
    assert list(clin.data.columns) == [
        "response", "recist", "os_months", "os_event", "pfs_months", "pfs_event",
    ]  # fmt: skip
    assert clin.data.index.name == "sample_id" and len(clin) == 2
    json.dumps(clin.provenance)


# --------------------------------------------------------------------------- file forms
def test_old_mac_line_endings_and_csv(tmp_path):
    path = tmp_path / "clin.csv"
    path.write_bytes(b"PatientID,BOR,OS_weeks,OS_event\rPt1,PR,10,0\rPt2,PD,3,1\r")
    clin = read_clinical(path)
    assert list(clin.samples) == ["Pt1", "Pt2"] and _resp(clin) == ["R", "NR"]


def test_r_style_header(tmp_path):
    path = _write(tmp_path, '"oswk"\t"os_sor"\n"Pt7"\t3.5\t0\n"Pt9"\t2\t1\n')
    clin = read_clinical(path)
    assert list(clin.samples) == ["Pt7", "Pt9"]
    assert clin.data["os_event"].tolist() == [1.0, 0.0]


def test_parquet(tmp_path):
    frame = pd.DataFrame({"sample_id": ["a", "b"], "recist": ["PR", "SD"], "OS_days": [10, 20]})
    path = tmp_path / "clin.parquet"
    frame.to_parquet(path, index=False)
    clin = read_clinical(path, sd_rule="nr")
    assert _resp(clin) == ["R", "NR"]
    assert clin.data["os_months"].tolist() == pytest.approx([10 / 30.4375, 20 / 30.4375])


# ------------------------------------------------------------------------------ errors
def test_no_sample_column(tmp_path, raises_input_error):
    path = _tsv(tmp_path, pd.DataFrame({"who": ["a"], "recist": ["PR"]}))
    raises_input_error(lambda: read_clinical(path), path, "no sample id column", "sample_col")


def test_unknown_sample_col(tmp_path, raises_input_error):
    path = _tsv(tmp_path, pd.DataFrame({"sample": ["a"], "recist": ["PR"]}))
    raises_input_error(lambda: read_clinical(path, sample_col="Patient"), path, "no such column")


def test_duplicated_sample_ids_that_disagree(tmp_path, raises_input_error):
    path = _tsv(tmp_path, pd.DataFrame({"sample": ["a", "a", "b"], "recist": ["PR", "PD", "PR"]}))
    raises_input_error(lambda: read_clinical(path), path, "duplicated sample ids", "'a' (2)",
                       "differ in 'recist'")


def test_duplicated_sample_ids_that_agree_are_one_patient(tmp_path):
    # a patient-level table repeats a patient once per biopsy: same outcome, kept once
    frame = pd.DataFrame({"sample": ["a", "a", "b"], "recist": ["PR", "PR", "PD"],
                          "site": ["arm", "back", "leg"]})
    clin = read_clinical(_tsv(tmp_path, frame))
    assert list(clin.data.index) == ["a", "b"] and clin.extra.loc["a", "site"] == "arm"
    assert any("repeated row" in w for w in clin.provenance["warnings"])


def test_empty_sample_id(tmp_path, raises_input_error):
    path = _tsv(tmp_path, pd.DataFrame({"sample": ["a", ""], "recist": ["PR"] * 2}))
    raises_input_error(lambda: read_clinical(path), path, "no sample id")


def test_unknown_response_values_are_listed(tmp_path, raises_input_error):
    frame = pd.DataFrame({"sample": list("abcd"), "recist": ["PR", "mixed", "mixed", "lost"]})
    path = _tsv(tmp_path, frame)
    raises_input_error(
        lambda: read_clinical(path), path, "'mixed' (2)", "'lost' (1)", "response_map"
    )


def test_footnote_marks_and_geo_prefixes_are_read(tmp_path):
    frame = pd.DataFrame({"sample": list("abc"), "recist": ["PD*", "PR\u2020", "SD"],
                          "pfs_months": ["pfs: 2.5", "pfs: 9", "pfs: 7.25"],
                          "pfs_event": ["1", "0", "0"]})
    clin = read_clinical(_tsv(tmp_path, frame))
    assert clin.data["recist"].tolist() == ["PD", "PR", "SD"]
    assert clin.data["pfs_months"].tolist() == [2.5, 9.0, 7.25]
    assert clin.data["response"].tolist() == ["NR", "R", "R"]  # SD with PFS >= 6 censored


def test_several_response_columns_are_ambiguous(tmp_path, raises_input_error):
    frame = pd.DataFrame({"sample": ["a"], "response_CTLA4": ["PD"], "response_PD1": ["SD"]})
    path = _tsv(tmp_path, frame)
    raises_input_error(lambda: read_clinical(path), path, "several response columns")


def test_negative_times(tmp_path, raises_input_error):
    frame = pd.DataFrame({"sample": ["a", "b"], "OS_months": [3, -1], "OS_event": [1, 0]})
    path = _tsv(tmp_path, frame)
    raises_input_error(lambda: read_clinical(path), path, "negative OS times", "'b'")


def test_non_numeric_times(tmp_path, raises_input_error):
    frame = pd.DataFrame({"sample": ["a", "b"], "PFS_months": ["pfs: 1.8", "2"]})
    path = _tsv(tmp_path, frame)
    raises_input_error(lambda: read_clinical(path), path, "non-numeric PFS", "'pfs: 1.8'")


def test_non_binary_events(tmp_path, raises_input_error):
    frame = pd.DataFrame({"sample": ["a", "b"], "OS_months": [3, 4], "OS_event": [3, 1]})
    path = _tsv(tmp_path, frame)
    raises_input_error(lambda: read_clinical(path), path, "not binary", "'3'")


def test_r_survival_1_2_coding_is_read_loudly(tmp_path, caplog):
    """R's survival::Surv documents status "1/2 (2=death)": 2 = event, 1 = censored."""
    frame = pd.DataFrame({"sample": ["a", "b", "c"], "OS_months": [3, 4, 5],
                          "OS_event": [2, 1, None]})
    with caplog.at_level("WARNING", logger="immunescape.console"):
        clin = read_clinical(_tsv(tmp_path, frame))
    np.testing.assert_array_equal(clin.data["os_event"].to_numpy(), [1.0, 0.0, np.nan])
    assert any("2 = event, 1 = censored" in r.getMessage() for r in caplog.records)
    # a column of 1s only keeps 1 = event
    ones = read_clinical(_tsv(tmp_path, frame.assign(OS_event=[1, 1, 1]), "ones.tsv"))
    assert ones.data["os_event"].tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(("column", "values", "events"), [
    ("status", [1, 0, 1], [1.0, 0.0, 1.0]),      # R survival's status: 1 = event
    ("censored", [0, 1, 1], [1.0, 0.0, 0.0]),    # a censoring flag: 1 = censored
])
def test_endpointless_event_column_is_read_for_the_only_timed_endpoint(
        tmp_path, caplog, column, values, events):
    frame = pd.DataFrame({"sample": ["a", "b", "c"], "os_months": [3, 4, 5], column: values})
    with caplog.at_level("WARNING", logger="immunescape.console"):
        clin = read_clinical(_tsv(tmp_path, frame))
    assert clin.data["os_event"].tolist() == events
    assert any(f"from column {column!r}" in r.getMessage() for r in caplog.records)
    # with both endpoints timed, the column's endpoint is unknown: not read, and said so
    both = frame.assign(pfs_months=[1, 2, 3])
    with caplog.at_level("WARNING", logger="immunescape.console"):
        caplog.clear()
        clin = read_clinical(_tsv(tmp_path, both, "both.tsv"))
    assert clin.data["os_event"].isna().all()
    shown = [r.getMessage() for r in caplog.records]
    assert any("OS left out" in m and "--event-col" in m for m in shown)


def test_unknown_time_unit_is_said_on_the_console_with_the_cli_option(tmp_path, caplog):
    frame = pd.DataFrame({"Patient.ID": ["a", "b"], "Overall.Survival": [608.75, 100],
                          "Vital.Status": ["Dead", "Alive"]})
    path = _tsv(tmp_path, frame)
    with caplog.at_level("WARNING", logger="immunescape.console"):
        clin = read_clinical(path)
    assert clin.data["os_months"].isna().all()
    assert any("OS left out" in r.getMessage() and "--time-unit days" in r.getMessage()
               for r in caplog.records)
    given = read_clinical(path, time_unit="days")
    assert given.data["os_months"].tolist() == pytest.approx([608.75 / (365.25 / 12),
                                                              100 / (365.25 / 12)])


def test_bad_options(tmp_path, raises_input_error, raises_option_error):
    path = _tsv(tmp_path, pd.DataFrame({"sample": ["a"], "recist": ["SD"]}))
    raises_option_error(lambda: read_clinical(path, sd_rule="pfs12"), "sd_rule", "'pfs12'",
                        "'pfs6', 'nr', 'r', 'exclude'")
    raises_option_error(lambda: read_clinical(path, time_unit="hours"), "time_unit", "'hours'",
                        "'days', 'weeks', 'months', 'years'")
    raises_input_error(
        lambda: read_clinical(path, response_map={"x": "maybe"}), path, "response_map"
    )
    raises_input_error(
        lambda: read_clinical(path, os_event_col="e", os_censor_col="c"), path, "not both"
    )
    raises_input_error(lambda: read_clinical(path, recist_col="BOR"), path, "no such column")


def test_missing_and_header_only_files(tmp_path, raises_input_error):
    missing = tmp_path / "none.tsv"
    raises_input_error(lambda: read_clinical(missing), missing, "file not found")
    header = _write(tmp_path, "sample\trecist\n")
    raises_input_error(lambda: read_clinical(header), header, "no rows")


def test_clinical_table_is_a_result_with_provenance_as_settings(tmp_path):
    from immunescape._result import Result

    path = _write(
        tmp_path, "patient\tBOR\tOS\tOS_event\tsite\nP1\tPR\t12\t0\tskin\nP2\tPD\t3\t1\tlung\n"
    )
    clin = read_clinical(path)
    assert isinstance(clin, Result)
    assert list(clin.tables) == ["data", "extra"]
    assert clin.to_frame() is clin.data
    assert clin.to_frame("extra")["site"].tolist() == ["skin", "lung"]
    assert clin.settings is clin.provenance and clin.settings["sample_col"] == "patient"
    # OS without a unit is left out with a warning, which the result carries
    assert clin.warnings == clin.provenance["warnings"]
    assert any("OS left out" in w for w in clin.warnings)


def test_cbioportal_clinical_header_lines_are_skipped(tmp_path):
    """data_clinical_sample.txt layout: 4 '#' lines (names, descriptions, types, priorities)."""
    body = ("SAMPLE_ID\tOS_MONTHS\tOS_STATUS\tBEST_RESPONSE\n"
            "P1\t12.5\t1:DECEASED\tPD\nP2\t30\t0:LIVING\tPR\n")
    meta = ("#Sample Identifier\tOverall Survival (Months)\tOverall Survival Status\t"
            "Best Response\n"
            "#Sample id\tOS months\tOS status\tBOR\n#STRING\tNUMBER\tSTRING\tSTRING\n#1\t1\t1\t1\n")
    plain = read_clinical(_write(tmp_path, body, "plain.tsv"))
    hashed = read_clinical(_write(tmp_path, meta + body, "cbio.tsv"))
    pd.testing.assert_frame_equal(hashed.data, plain.data)
    assert hashed.data["os_months"].tolist() == [12.5, 30.0]
    assert _resp(hashed) == ["NR", "R"]
    assert any("4 leading '#' lines" in w for w in hashed.provenance["warnings"])


def test_excel_rows_of_empty_cells_are_dropped(tmp_path):
    text = ("sample_id;recist;OS_months;OS_event;;\nPt1;PD;19.9;1;;\nPt2;PR;30.4;0;;\r\n"
            ";;;;;\r\n;;;;;\r\n")
    clin = read_clinical(_write(tmp_path, text, "excel.csv"))
    assert list(clin.data.index) == ["Pt1", "Pt2"] and _resp(clin) == ["NR", "R"]
    assert any("2 rows with every cell empty dropped" in w for w in clin.provenance["warnings"])


def test_decimal_commas_in_times_are_named(tmp_path, raises_input_error):
    path = _write(tmp_path, "sample_id;recist;OS_months;OS_event\nPt1;PD;19,9;1\nPt2;PR;30,4;0\n",
                  "comma.csv")
    raises_input_error(lambda: read_clinical(path), path, "decimal commas", "'19,9'",
                       "decimal point")


def test_numeric_response_column_is_named_as_numbers_not_mapped_value_by_value(tmp_path):
    # best percentage change in tumour size: numbers are not RECIST categories
    frame = pd.DataFrame({"sample": list("abcd"), "best_pct": ["-97", "34", "-48", "20"]})
    with pytest.raises(InputError) as err:
        read_clinical(_tsv(tmp_path, frame), response_col="best_pct")
    text = str(err.value)
    assert "holds numbers" in text and "'-97'" in text and "response_map" not in text


def test_a_used_column_with_a_repeated_header_is_refused_unused_ones_are_kept(tmp_path):
    path = _write(tmp_path, "sample\trecist\tnote\trecist\tnote\na\tPD\tx\tCR\ty\n"
                            "b\tCR\tz\tPD\tw\n")
    with pytest.raises(InputError, match="2 columns are named 'recist'"):
        read_clinical(path)
    path = _write(tmp_path, "sample\trecist\tnote\tnote\na\tPD\tx\ty\nb\tCR\tz\tw\n")
    clin = read_clinical(path)
    assert _resp(clin) == ["NR", "R"]
    assert clin.extra.to_dict("list") == {"note": ["x", "z"], "note.1": ["y", "w"]}
