"""Parse the report's HTML in tests (standard library only)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser


class Page(HTMLParser):
    """Collects tags with attributes, heading texts, script bodies and figure payloads."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: dict[str, list[str]] = {}
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._heading: str | None = None
        self._text: list[str] = []
        self._script: dict[str, str | None] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("h1", "h2", "h3", "h4"):
            self._heading, self._text = tag, []
        if tag == "script":
            self._script, self._text = a, []

    def handle_endtag(self, tag):
        if self._heading == tag:
            self.headings.setdefault(tag, []).append(" ".join("".join(self._text).split()))
            self._heading = None
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None

    def handle_data(self, data):
        if self._heading or self._script is not None:
            self._text.append(data)

    def figures(self) -> dict[str, dict]:
        """Figure id -> plotly figure (data + layout)."""
        return {
            a["id"].removesuffix("-data"): json.loads(body)
            for a, body in self.scripts
            if a.get("type") == "application/json"
        }


def without_plotly_js(html: str) -> str:
    """The HTML with the (large) embedded plotly.js script body removed."""
    spans = []
    for m in re.finditer(r"<script>", html):
        end = html.index("</script>", m.end())
        spans.append((end - m.end(), m.end(), end))
    if not spans:
        return html
    size, start, end = max(spans)
    return html[:start] + html[end:] if size > 100_000 else html
