"""The report in headless Chromium, offline: no errors, no requests, every figure drawn.

Skipped when /usr/bin/chromium is absent (CI installs it: apt-get install -y chromium).
"""

from __future__ import annotations

import re

import pytest

from ._browser import chromium, load, screenshot
from ._html import Page
from .conftest import SECTION_HEADINGS

# Clicks and typing run in the page after it loaded: table sorting and the patient filter.
ACTIONS = """
var out = {};
var table = document.getElementById("mechanism-frequency");
var button = table.tHead.rows[0].cells[1].querySelector("button");
function column() {
  return Array.prototype.map.call(table.tBodies[0].rows, function (r) {
    return Number(r.cells[1].getAttribute("data-sort"));
  });
}
button.click();
out.ascending = column();
out.aria = table.tHead.rows[0].cells[1].getAttribute("aria-sort");
button.click();
out.descending = column();
var input = document.getElementById("patient-filter");
input.value = "pt0";
input.dispatchEvent(new Event("input"));
out.visible = Array.prototype.filter.call(
  document.getElementById("patient-index").tBodies[0].rows, function (r) { return !r.hidden; }
).length;
return out;
"""


@pytest.fixture(scope="module")
def loaded(full_html, tmp_path_factory):
    chromium()
    return load(full_html, tmp_path_factory.mktemp("browser"), actions=ACTIONS)


def test_page_loads_offline_without_errors(loaded):
    _, record = loaded
    assert record["errors"] == []  # JS errors, console.error/warn, CSP violations
    assert record["resources"] == []  # nothing fetched: no network, no file, no font
    assert record["plots"] == 18
    assert record["rendered"] == 18  # every Plotly.newPlot resolved
    assert record["title"] == "Cohort <b>X</b> report"


def test_tables_sort_and_patients_filter(loaded):
    _, record = loaded
    actions = record["actions"]
    assert actions["ascending"] == sorted(actions["ascending"])
    assert actions["descending"] == sorted(actions["descending"], reverse=True)
    assert actions["aria"] == "ascending"
    assert actions["visible"] == 5  # Pt01, Pt02, Pt04, Pt06, Pt08


def test_hostile_ids_do_not_run(loaded):
    dom, record = loaded
    assert record["pwned"] is False
    assert record["injected_images"] == 0
    assert "<script>alert" not in dom


def test_dom_shows_sections_and_drawn_figures(loaded):
    dom, _ = loaded
    page = Page(dom)
    assert page.headings["h2"] == SECTION_HEADINGS
    assert "Patient Pt01" in page.headings["h3"]
    assert len(re.findall(r'<svg class="main-svg"', dom)) >= 18
    assert re.search(r'<div class="plot"[^>]*>This figure could not be drawn', dom) is None


def test_harness_reports_errors_and_blocked_requests(full_html, tmp_path):
    """Negative control: the checks above would see an error or a request if there were one."""
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">', full_html)
    page = (
        "<!DOCTYPE html><html><head>" + csp.group(0) + "</head><body>"
        '<img src="https://192.0.2.1/logo.png" alt="">'
        "<script>window.__ran = 1;</script>"  # not in the CSP hashes: blocked
        "</body></html>"
    )
    _, record = load(page, tmp_path, name="csp.html")
    assert any(e.startswith("csp: img-src") for e in record["errors"]), record
    assert any(e.startswith("csp: script-src") for e in record["errors"]), record
    plain = (
        "<!DOCTYPE html><html><head></head><body>"
        "<script>undefinedFunction();</script></body></html>"
    )
    _, record = load(plain, tmp_path, name="error.html")
    assert any("undefinedFunction" in e for e in record["errors"]), record


def test_screenshot_is_not_blank(full_html, tmp_path):
    Image = pytest.importorskip("PIL.Image")
    path = screenshot(full_html, tmp_path / "report.png", width=1400, height=2400)
    with Image.open(path) as im:
        rgb = im.convert("RGB")
        assert rgb.size == (1400, 2400)
        colours = rgb.getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 200  # text, plots, tables: not blank
        top_share = max(n for n, _ in colours) / (1400 * 2400)
        assert top_share < 0.9
        assert rgb.getpixel((20, 1200)) == (0x14, 0x32, 0x4F)  # the navigation sidebar (CSS)
        assert rgb.getpixel((1300, 10)) == (255, 255, 255)  # the page background
