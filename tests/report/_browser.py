"""Headless Chromium for report tests: load a page offline, collect errors, screenshot.

No extra dependency: a small script injected at the top of ``<head>`` (before the report's
Content-Security-Policy) records JavaScript errors, console.error/console.warn calls, CSP
violations and every resource the page fetched, then writes them as JSON into the DOM, which
``--dump-dom`` prints once the page has loaded and its timers have run
(``--virtual-time-budget``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

MARKER_ID = "__report_test__"

HARNESS = """<script>
(function () {
  var E = [];
  function rec(kind, msg) { E.push(kind + ": " + msg); }
  window.addEventListener("error", function (e) {
    var t = e.target && e.target !== window
      ? " element " + (e.target.outerHTML || "").slice(0, 120) : "";
    rec("error", (e.message || "") + " " + (e.filename || "") + ":" + (e.lineno || "") + t);
  }, true);
  window.addEventListener("unhandledrejection", function (e) {
    rec("rejection", String(e.reason));
  });
  document.addEventListener("securitypolicyviolation", function (e) {
    rec("csp", e.violatedDirective + " blocked " + e.blockedURI);
  });
  ["error", "warn"].forEach(function (level) {
    var orig = console[level];
    console[level] = function () {
      rec("console." + level, Array.prototype.map.call(arguments, String).join(" "));
      return orig.apply(console, arguments);
    };
  });
  window.addEventListener("load", function () {
    setTimeout(function () {
      var out = document.createElement("pre");
      out.id = "__report_test__";
      out.textContent = JSON.stringify({
        errors: E,
        resources: performance.getEntriesByType("resource").map(function (r) { return r.name; }),
        plots: document.querySelectorAll("div.plot[data-figure]").length,
        rendered: document.querySelectorAll("div.plot[data-rendered='true']").length,
        pwned: !!window.__pwned,
        injected_images: document.querySelectorAll("img[src='x']").length,
        title: document.title,
        actions: window.__testActions ? window.__testActions() : null
      });
      document.body.appendChild(out);
    }, 1000);
  });
})();
</script>"""


def chromium() -> str:
    """Path of the Chromium binary, or skip the test with the install command."""
    path = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if path is None:
        pytest.skip(
            "headless-browser test: /usr/bin/chromium is absent "
            "(install it with: apt-get install -y chromium; CI installs it)"
        )
    return path


def _flags(user_data_dir: str) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--mute-audio",
        f"--user-data-dir={user_data_dir}",
        # Network off: every non-loopback request goes to a closed local port.
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--virtual-time-budget=8000",
    ]


def run_chromium(page: Path, *extra: str, timeout: float = 120) -> str:
    """Run headless Chromium on a local file and return its stdout."""
    binary = chromium()
    with tempfile.TemporaryDirectory(prefix="immunescape-chromium-") as profile:
        cmd = [binary, *_flags(profile), *extra, page.resolve().as_uri()]
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "LANG": "C"},
        )
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the process group this call started
            proc.communicate()
            raise
        finally:
            if proc.poll() is None:  # pragma: no cover
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return out.decode("utf-8", errors="replace")


def load(
    html: str, tmp_path: Path, *, name: str = "page.html", actions: str | None = None
) -> tuple[str, dict]:
    """Load ``html`` offline; return the serialised DOM and the harness record.

    ``actions`` is the body of a JavaScript function run after the page has loaded (clicks,
    typing); its return value is the record's ``actions``. It is defined before the page's
    Content-Security-Policy applies, so the policy does not block it.
    """
    page = tmp_path / name
    extra = (
        f"<script>window.__testActions = function () {{ {actions} }};</script>" if actions else ""
    )
    page.write_text(html.replace("<head>", "<head>" + HARNESS + extra, 1), encoding="utf-8")
    dom = run_chromium(page, "--window-size=1400,1000", "--dump-dom")
    m = re.search(r'<pre id="__report_test__">(.*?)</pre>', dom, re.S)
    assert m, "the page never finished loading (no harness record in the DOM)"
    record = json.loads(
        m.group(1)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&amp;", "&")
    )
    return dom, record


def screenshot(html: str, path: Path, *, width: int = 1400, height: int = 2400) -> Path:
    """Write a PNG screenshot of the top of the page."""
    page = path.with_suffix(".html")
    page.write_text(html, encoding="utf-8")
    run_chromium(page, f"--window-size={width},{height}", f"--screenshot={path}")
    return path
