"""render_report: sections present exactly when their tables are, and what they show."""

from __future__ import annotations

import base64
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from immunescape.errors import InputError
from immunescape.report import DISCLAIMER, TABLE_SPECS, render_report

from ._html import Page, without_plotly_js
from .conftest import RUN, SAMPLES, SECTION_HEADINGS, XSS_SCRIPT, build_tables

PHRASE = "they are not treatment advice"


def _scores() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sample_id": ["A", "B", "C", "D"],
            "gep18": [0.1, 0.5, -0.2, 1.0],
            "ifng6": [3.0, 4.0, np.nan, 5.0],
            "custom": [1, 2, 3, 4],
        }
    )


def test_only_scores():
    html = render_report({"scores": _scores()}, run={"command": ["immunescape", "score"]})
    page = Page(html)
    assert html.startswith("<!DOCTYPE html>")
    assert page.headings["h2"] == ["Cohort overview", "Key scores"]
    titles = page.headings["h4"]
    assert titles == ["gep18", "ifng6"]  # the default key scores that are present
    assert PHRASE not in html  # no countermeasures, no disclaimer needed
    assert "Samples scored" in html and "4 (3 features)" in html
    assert len(page.figures()) == 2


def test_only_scores_without_default_ids_falls_back_to_first_columns():
    scores = pd.DataFrame({"sample_id": ["A", "B"], "x1": [1.0, 2.0], "x2": [3.0, 4.0]})
    page = Page(render_report({"scores": scores}, run={}))
    assert page.headings["h4"] == ["x1", "x2"]


def test_no_tables_gives_overview_without_plotly():
    html = render_report({}, run=RUN)
    assert Page(html).headings["h2"] == ["Cohort overview"]
    assert len(html) < 100_000  # plotly.js is embedded only when there is a figure
    assert "Plotly" not in html.replace("window.Plotly", "")


def test_everything_has_every_section(full_html):
    page = Page(full_html)
    assert page.headings["h2"] == SECTION_HEADINGS
    for heading in (
        "Gene coverage of signatures",
        "Mechanism frequency",
        "Scores: AUC with confidence intervals",
        "Differential expression",
        "Mutated genes",
        "Survival: hazard ratios",
        "Kaplan-Meier curves",
        "Paired samples: before and after",
        "ROC curves",
        "Calibration",
        "Predicted probability of response",
        "Countermeasures across the cohort",
        "Warnings (2)",
        "Gene sets",
        "Mechanisms in responders and non-responders",
        "Events new after treatment",
    ):
        assert heading in page.headings["h3"], heading
    nav = [a["href"] for tag, a in page.tags if tag == "a" and a.get("href", "").startswith("#")]
    ids = {a["id"] for _, a in page.tags if a.get("id")}
    assert all(h[1:] in ids for h in nav)  # every internal link has a target


def test_figures_are_valid_plotly(full_html):
    figs = Page(full_html).figures()
    assert len(figs) == 18
    for fig in figs.values():
        go.Figure(fig)  # plotly's own validation: raises on an unknown property or value


def test_patient_pages_and_disclaimer(full_html):
    page = Page(full_html)
    patients = [a for tag, a in page.tags if tag == "details" and "patient" in a.get("class", "")]
    assert len(patients) == len(SAMPLES)
    assert len({a["id"] for a in patients}) == len(SAMPLES)
    assert all(re.fullmatch(r"patient-[A-Za-z0-9_-]+", a["id"]) for a in patients)
    assert all("open" in a for a in patients)  # small cohort: pages start expanded
    chunks = full_html.split('<details class="patient"')[1:]
    assert len(chunks) == len(SAMPLES)
    for chunk in chunks:
        body = chunk.split("</details>\n<details", 1)[0]
        assert "<h4>Countermeasures</h4>" in body
        assert DISCLAIMER in body
    section = full_html.split('<section id="patients"', 1)[1].split("<details", 1)[0]
    assert PHRASE in section  # on the section itself and the cohort-wide countermeasure table


def test_patient_page_content(full_html):
    first = full_html.split('<details class="patient"')[1].split('<details class="patient"')[0]
    assert "Loss of IFN-gamma signalling in the tumour" in first  # name from mechanism_info
    assert "JAK1 p.Q503* truncating, biallelic (LOH); sample Pt01" in first
    assert "Not assessable (data missing)" in first
    # citations and trials are plain identifiers, never links
    assert "PMID 27433843" in first and "DOI 10.1056/NEJMoa1604958" in first
    assert "NCT01968109" in first and "PMID 29443960" in first
    assert '<span class="badge level-A"' in first
    assert '<span class="badge warn">contested</span>' in first
    assert "stage: phase 1 (as of 2023-12)" in first
    assert "<strong>Caution:</strong> Seen in mice &lt;b&gt;only&lt;/b&gt;" in first
    assert "P(response, loris)" in first and "Main drivers" in first
    assert "Genomic events (2)" in first and "p.Q503*" in first
    assert "mutations/Mb" in first
    assert "<dt>HLA class I</dt><dd>any_homozygous: yes · n_homozygous_loci: 1</dd>" in first
    assert "<dt>copy-number burden</dt><dd>fga: " in first


def test_mechanism_matrix_order_and_encoding(full_html, all_tables):
    fig = Page(full_html).figures()["fig-1"]
    matrix = fig["data"][-1]
    tracks = [t["y"][0] for t in fig["data"][:-1]]
    assert tracks == ["response", "phenotype"]
    assert matrix["y"][0] == "Loss of IFN-gamma signalling in the tumour"  # most frequent
    # patients with the most frequent mechanism come first (oncoprint order)
    first_four = {SAMPLES[i] for i in (0, 2, 4, 6)}
    assert len(matrix["x"]) == len(SAMPLES)
    assert {x for x in matrix["x"][:4]} == {_esc(s) for s in first_four}
    mech = all_tables["mechanisms.tsv"]
    row = mech[(mech.sample_id == "Pt01") & (mech.mechanism_id == "ifng_pathway_loss")].iloc[0]
    j = matrix["x"].index("Pt01")
    assert matrix["z"][0][j] == pytest.approx(2 + row["strength"])  # present: 2 + strength
    assert "JAK1 p.Q503*" in matrix["text"][0][j]


def _esc(s: str) -> str:
    import html

    return html.escape(s, quote=False)  # as report._format.plot_text


def test_km_numbers_at_risk(full_html):
    table = full_html.split('<table class="data compact at-risk">', 1)[1].split("</table>", 1)[0]
    ticks = re.findall(r'<th scope="col" class="num">([^<]*)</th>', table)
    assert ticks == ["0", "2", "4", "6", "8"]
    rows = {
        g: re.findall(r'<td class="num">([^<]*)</td>', r)
        for g, r in re.findall(r'<th scope="row">([^<]*)</th>(.*?)</tr>', table)
    }
    # at risk at t = at_risk of the first row at or after t (0 after the last row)
    assert rows == {"high": ["5", "5", "4", "3", "1"], "low": ["4", "3", "2", "0", "0"]}
    assert "gep18 · OS (log-rank p = 0.021)" in Page(full_html).headings["h4"]


def test_static_figures_embedded_as_png(full_html):
    page = Page(full_html)
    srcs = [a["src"] for tag, a in page.tags if tag == "img"]
    assert len(srcs) == 2
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")


def test_coverage_lowest_first_and_warnings(full_html):
    cov = full_html.split('id="coverage-table"', 1)[1].split("</tbody>", 1)[0]
    first_row = cov.split("<tr>")[2]
    assert "gene_&lt;b&gt;X&lt;/b&gt;" in first_row and "below_min_coverage" in first_row
    assert "6 of 7 features scored; not scored: gene_&lt;b&gt;X&lt;/b&gt;" in full_html
    assert "feature: cd8_teff; missing: CXCL10" in full_html  # dict warnings flattened
    assert '<span class="muted">n_variants</span> 1234' in full_html  # nested run.json input


def test_rendering_is_deterministic(all_tables):
    assert render_report(all_tables, run=RUN) == render_report(all_tables, run=RUN)


def test_table_keys_and_index_forms_are_equivalent():
    t = build_tables()
    a = render_report(t, run=RUN)
    short = {k.removesuffix(".tsv"): v for k, v in t.items()}
    short["features"] = short["features"].set_index("id")  # as the CLI keeps it
    short["scores"] = short["scores"].set_index("sample_id")
    assert render_report(short, run=RUN) == a


def test_key_scores_option(all_tables):
    page = Page(
        render_report(
            {"scores": all_tables["scores.tsv"], "features": all_tables["features.tsv"]},
            run={},
            key_scores=["cyt"],
        )
    )
    assert page.headings["h4"] == ["Cytolytic activity (cyt)"]


def test_large_cohort_is_compact():
    samples = [f"P{i:04d}" for i in range(250)]
    html = render_report(build_tables(samples), run=RUN)
    page = Page(html)
    patients = [a for tag, a in page.tags if tag == "details" and "patient" in a.get("class", "")]
    assert len(patients) == 250 and not any("open" in a for a in patients)
    assert "Genomic events (" not in html
    matrix = page.figures()["fig-1"]["data"][-1]
    assert not any("DNA:" in cell for row in matrix["text"] for cell in row)
    per_patient = len(without_plotly_js(html)) / 250
    assert per_patient < 15_000, per_patient


@pytest.mark.parametrize(
    ("tables", "kwargs", "message"),
    [
        ({"scores": pd.DataFrame({"id": ["a"]})}, {}, "lacks column(s) sample_id"),
        ({"scores": [1, 2]}, {}, "not a pandas DataFrame"),
        ({"scores": _scores(), "scores.tsv": _scores()}, {}, "given twice"),
        (
            {
                "mechanisms": pd.DataFrame(
                    {"sample_id": ["a"], "mechanism_id": ["m"], "status": ["maybe"]}
                )
            },
            {},
            "'maybe' is not one of",
        ),
        ({"scores": _scores()}, {"key_scores": ["nope"]}, "key score(s) nope"),
        ({}, {"figures": {"f": "not a figure"}}, "pass a matplotlib Figure or PNG bytes"),
        ({}, {"figures": {"f": b"GIF89a"}}, "is not a PNG image"),
    ],
)
def test_bad_input_raises_input_error(tables, kwargs, message):
    with pytest.raises(InputError) as err:
        render_report(tables, run={}, **kwargs)
    assert message in str(err.value)


def test_unknown_tables_are_named_not_shown():
    html = render_report(
        {"scores": _scores(), "mechanism": pd.DataFrame(), "x.tsv": _scores()}, run={}
    )
    assert "Tables given but not shown in this report: mechanism, x.tsv." in html


def test_km_accepts_at_risk_alias(all_tables):
    km = all_tables["km.tsv"].rename(columns={"n_at_risk": "at_risk"})
    a = render_report({"km": km}, run={})
    b = render_report({"km": all_tables["km.tsv"]}, run={})
    assert a == b


def test_clinical_response_values_are_harmonised():
    clinical = pd.DataFrame(
        {"sample_id": ["A", "B", "C", "D"], "response": ["r", "NR", "SD", None]}
    )
    html = render_report({"scores": _scores(), "clinical": clinical}, run={})
    assert "1 responders, 1 non-responders, 2 unknown" in html
    assert "Key scores by response" in Page(html).headings["h2"]


def test_hostile_sample_id_anchor_is_safe(full_html):
    ids = [
        a["id"]
        for tag, a in Page(full_html).tags
        if tag == "details" and "patient" in a.get("class", "")
    ]
    assert "patient-script-alert-1-script" in ids
    assert XSS_SCRIPT not in full_html


# Which sections a table given alone must produce (DESIGN.md and render_report's docstring):
# per-patient tables open the patient pages; tables read only beside others (events, HLA,
# SCNA, mechanism names, clinical labels) add no section of their own.
SECTIONS_OF_A_TABLE_ALONE = {
    "scores": set(),  # sample_id alone: no score column to draw
    "features": set(),
    "genomic_events": set(),
    "tmb": {"scores"},
    "mechanisms": {"mechanisms", "patients"},
    "mechanism_info": set(),
    "phenotypes": {"phenotypes", "patients"},
    "recommendations": {"patients"},
    "clinical": set(),
    "associations": {"compare"},
    "de": {"compare"},
    "survival": {"compare"},
    "mutations": {"compare"},
    "km": {"compare"},
    "paired": {"compare"},
    "paired_values": {"compare"},
    "new_events": {"compare"},
    "pathways": {"compare"},
    "mechanisms_enrichment": {"compare"},
    "hla": set(),
    "scna": set(),
    "predictions": {"prediction", "patients"},
    "roc": {"prediction"},
    "calibration": {"prediction"},
    "drivers": {"patients"},
}


def test_every_table_of_the_contract_has_an_expected_rendering():
    assert set(SECTIONS_OF_A_TABLE_ALONE) == set(TABLE_SPECS)


@pytest.mark.parametrize("key", sorted(TABLE_SPECS))
def test_each_table_alone_with_required_columns_only(key):
    full = {k.removesuffix(".tsv"): v for k, v in build_tables().items()}
    minimal = full[key][list(TABLE_SPECS[key].required)]
    html = render_report({key: minimal}, run={})
    page = Page(html)
    sections = {a["id"] for tag, a in page.tags if tag == "section"}
    assert sections == {"overview"} | SECTIONS_OF_A_TABLE_ALONE[key]
    assert "tables-not-shown" not in html  # a table of the contract is never left out
    for fig in page.figures().values():
        go.Figure(fig)
    # one required column fewer: refused with the column named
    dropped = TABLE_SPECS[key].required[-1]
    with pytest.raises(InputError, match=f"lacks column.*{dropped}"):
        render_report({key: minimal.drop(columns=[dropped])}, run={})


@pytest.mark.parametrize("key", ["mechanisms", "recommendations", "predictions", "km", "de"])
def test_empty_tables_render(key):
    full = {k.removesuffix(".tsv"): v for k, v in build_tables().items()}
    html = render_report({key: full[key].iloc[:0]}, run={})
    assert Page(html).headings["h2"][0] == "Cohort overview"


def test_vocabularies_the_report_orders_by_are_those_of_the_contract():
    from immunescape.kb.vocabulary import LEVEL_ORDER, level_texts
    from immunescape.report._builder import STATUS_ORDER
    from immunescape.report._sections.patients import _EVENT_PRIORITY
    from immunescape.tables import EVENTS, MECHANISM_STATUSES

    assert set(_EVENT_PRIORITY) <= set(EVENTS)
    assert list(STATUS_ORDER) == list(MECHANISM_STATUSES)
    assert list(level_texts()) == list(LEVEL_ORDER) == ["A", "B", "C", "D", "E"]


def test_cohort_without_any_countermeasure_says_so():
    """A cohort whose mechanisms have no countermeasure (GBM: 17 tumours, 0 hypotheses)
    gets a sentence, not a table of headers only."""
    full = {k.removesuffix(".tsv"): v for k, v in build_tables().items()}
    html = render_report({"mechanisms": full["mechanisms"],
                          "recommendations": full["recommendations"].iloc[:0]}, run={})
    assert "No countermeasure was found for any patient" in html
    assert 'id="countermeasure-summary"' not in html
