"""Escaping, embedded scripts, Content-Security-Policy and the absence of external URLs."""

from __future__ import annotations

import base64
import hashlib
import re

import markupsafe
import pandas as pd

from immunescape.report import render_report

from ._html import Page, without_plotly_js
from .conftest import XSS_ATTR, XSS_SCRIPT, XSS_SVG

URL_ATTRS = {
    "src",
    "href",
    "action",
    "formaction",
    "poster",
    "srcset",
    "data",
    "background",
    "xlink:href",
    "cite",
    "manifest",
    "ping",
}


def test_hostile_strings_appear_only_escaped(full_html):
    for raw in (XSS_SCRIPT, XSS_ATTR, XSS_SVG):
        assert raw not in full_html
        assert str(markupsafe.escape(raw)) in full_html  # shown, as text
    rest = without_plotly_js(full_html)
    assert "<script>alert" not in rest
    assert "<img src=x" not in rest and '<img src="x"' not in rest
    assert "<svg" not in rest
    assert "<b>up</b>" not in rest and "<em>2</em>" not in rest  # markup in table text


def test_no_event_handler_or_unexpected_elements(full_html):
    page = Page(full_html)
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert tag not in {"iframe", "object", "embed", "link", "base", "form", "svg"}, tag
        if tag == "img":
            assert attrs["src"].startswith("data:image/png;base64,")


def test_only_the_report_scripts(full_html):
    page = Page(full_html)
    executable = [body for attrs, body in page.scripts if attrs.get("type") is None]
    data = [body for attrs, body in page.scripts if attrs.get("type") == "application/json"]
    assert len(executable) == 2  # plotly.js and the report's own script
    assert len(data) == len(page.figures()) == 18
    for body in data:
        assert "<" not in body and ">" not in body  # no way to close the element early


def test_content_security_policy_allows_only_the_embedded_scripts(full_html):
    page = Page(full_html)
    metas = [
        a
        for tag, a in page.tags
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert len(metas) == 1
    csp = metas[0]["content"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'none'"
    assert directives["img-src"] == "data: blob:"
    assert "unsafe-inline" not in directives["script-src"]
    hashes = set(directives["script-src"].split())
    for attrs, body in page.scripts:
        if attrs.get("type") is None:
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in hashes
    assert full_html.index("Content-Security-Policy") < full_html.index("<script")


def test_no_external_urls(full_html):
    page = Page(full_html)
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            if name in URL_ATTRS and value is not None:
                assert value.startswith(("#", "data:image/png;base64,")), (tag, name, value)
        assert "url(" not in (attrs.get("style") or "")
    rest = without_plotly_js(full_html)
    assert re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(", rest, re.I) is None


def test_citation_links_become_plain_identifiers():
    rec = pd.DataFrame(
        {
            "sample_id": ["P1"],
            "rank": [1],
            "countermeasure": ["X"],
            "evidence_level": ["B"],
            "citations": ["https://doi.org/10.1000/abc.1 https://pubmed.ncbi.nlm.nih.gov/123456/"],
            "trials": ["https://clinicaltrials.gov/study/NCT01234567"],
            "mechanism_ids": ["m1"],
        }
    )
    html = render_report({"recommendations": rec}, run={})
    assert "DOI 10.1000/abc.1" in html and "PMID 123456" in html and "NCT01234567" in html
    assert re.search(r"https?:", without_plotly_js(html)) is None


def test_title_and_run_text_escaped(full_html):
    assert "<title>Cohort &lt;b&gt;X&lt;/b&gt; report</title>" in full_html
    assert "<h1>Cohort &lt;b&gt;X&lt;/b&gt; report</h1>" in full_html
    assert "alert(5)&lt;/script&gt;" in full_html  # warning text from run.json
