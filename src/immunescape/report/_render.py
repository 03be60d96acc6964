"""render_report: result tables -> one self-contained, offline HTML file."""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from immunescape.kb.vocabulary import disclaimer
from immunescape.report import _sections as S
from immunescape.report._builder import LARGE_COHORT, Builder
from immunescape.report._meta import meta_section, split_meta_tables
from immunescape.report._tables import normalise_tables

__all__ = ["render_report", "DISCLAIMER"]

logger = logging.getLogger("immunescape")

#: Shown on every section that lists countermeasures: the project's one disclaimer,
#: defined in the knowledge base (:func:`immunescape.kb.vocabulary.disclaimer`).
DISCLAIMER = disclaimer()

_SECTIONS = (
    ("overview", "Cohort overview"),
    ("mechanisms", "Resistance mechanisms"),
    ("phenotypes", "Immune phenotypes"),
    ("scores", "Key scores"),
    ("compare", "Responders vs non-responders"),
    ("meta", "Meta-analysis across cohorts"),
    ("prediction", "Response prediction"),
    ("figures", "Figures"),
    ("patients", "Patients"),
)


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("immunescape.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def _asset(name: str) -> str:
    return resources.files("immunescape.report").joinpath("assets", name).read_text("utf-8")


@functools.lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return _script_safe(get_plotlyjs())


def _script_safe(source: str) -> str:
    r"""Return script text that survives HTML parsing unchanged (so its CSP hash matches).

    "</script" cannot occur inside a script element ("<\/script" is the same JS string), and
    the HTML parser turns CR and CRLF into LF, so line ends are normalised first.
    """
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    return source.replace("</script", "<\\/script")


def _script_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def render_report(
    tables: Mapping[str, pd.DataFrame],
    *,
    run: Mapping[str, Any],
    title: str = "immunescape report",
    figures: Mapping[str, Any] | None = None,
    key_scores: Sequence[str] | None = None,
) -> str:
    """Render result tables as one self-contained HTML report.

    The report works offline and makes no network request: plotly.js, styles and images are
    embedded, and a Content-Security-Policy forbids loading anything else. Every string
    from the inputs is escaped. Sections appear only when their tables are given.

    Parameters
    ----------
    tables
        Table name -> DataFrame, keys with or without ``.tsv``; a key column may be the
        index. Tables of DESIGN.md: ``scores``, ``features``, ``genomic_events``, ``tmb``,
        ``mechanisms``, ``phenotypes``, ``recommendations``, ``associations``, ``de``,
        ``survival``, ``mutations``, ``predictions``; of the compare module: ``km``,
        ``paired``, ``new_events``, ``pathways``, ``mechanisms_enrichment``; of genomics:
        ``hla``, ``scna`` (shown on the patient pages); and, for the report:

        ``clinical``
            sample_id, response (``R`` / ``NR``; anything else is shown as unknown).
        ``mechanism_info``
            mechanism_id, name (display names of mechanisms, e.g. from the knowledge base).
        ``km``
            Kaplan-Meier curves in long format, one row per time of a group's curve:
            feature, [endpoint], group, time, survival, n_at_risk (or ``at_risk``),
            [ci_low, ci_high], [n_censored]. ``n_at_risk`` is the number at risk just before
            ``time`` (subjects with time >= ``time``, lifelines' ``event_table``). Rows start
            at time 0 and include every event and censoring time, because the
            numbers-at-risk table reads, for each axis tick, ``n_at_risk`` of the first row
            at or after the tick (0 after the last row). This is the output of
            :func:`immunescape.compare.km_table`.
        ``paired_values``
            Per-patient values at two timepoints: sample_id (the patient), feature, before,
            after, [response]; drawn as one line per patient.
        ``roc``
            model, fpr, tpr, auc, [cohort].
        ``calibration``
            model, bin, mean_predicted, fraction_positive, [n], [cohort].
        ``meta``, ``meta_cohorts``, ``cohorts``
            Tables of :func:`immunescape.meta.meta_analysis` (pooled estimates, per-cohort
            estimates, cohorts used): a ranked summary and forest plots.
        ``drivers``
            sample_id, model, feature, contribution, [value].

        Any other table is left out and named in the overview.
    run
        Contents of run.json (software, command, input, parameters, resources, warnings).
    title
        Title of the page.
    figures
        Static figures to embed: name -> matplotlib Figure or PNG bytes.
    key_scores
        Columns of ``scores`` to show as distributions; default: a fixed list of widely used
        scores (gep18, ifng6, cyt, cd8_teff, impres, ...) that are present.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    InputError
        A table that is not a DataFrame or lacks a required column, an unknown mechanism
        status, an unknown key score or a figure that is neither a matplotlib Figure nor PNG
        bytes.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"sample_id": ["P1", "P2"], "gep18": [0.1, 0.4]})
    >>> html = render_report({"scores": scores}, run={"command": "immunescape score"})
    >>> html.startswith("<!DOCTYPE html>")
    True
    """
    meta_tables, tables = split_meta_tables(tables)
    t, ignored = normalise_tables(tables)
    if ignored:
        logger.debug("report: tables not shown: %s", ", ".join(ignored))
    b = Builder(t, run=run, key_scores=key_scores, ignored=ignored)
    sections: dict[str, Any] = {
        "overview": S.overview(b),
        "mechanisms": S.mechanisms(b),
        "phenotypes": S.phenotypes(b),
        "scores": S.scores(b),
        "compare": S.compare(b),
        "meta": meta_section(b, meta_tables),
        "prediction": S.prediction(b),
        "figures": S.images(figures) or None,
        "patients": S.patients(b),
    }
    nav = [(key, label) for key, label in _SECTIONS if sections[key] is not None]
    has_plots = b.n_figures > 0
    app_js = _script_safe(_asset("report.js"))
    plotly_js = _plotly_js() if has_plots else ""
    scripts = [app_js] + ([plotly_js] if has_plots else [])
    csp = (
        "default-src 'none'; script-src "
        + " ".join(_script_hash(s) for s in scripts)
        + "; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
        "connect-src 'none'; base-uri 'none'; form-action 'none'"
    )
    html = (
        _environment()
        .get_template("report.html.j2")
        .render(
            title=title,
            nav=nav,
            s=sections,
            css=Markup(_asset("report.css")),
            app_js=Markup(app_js),
            plotly_js=Markup(plotly_js),
            csp=csp,
            disclaimer=DISCLAIMER,
            large_cohort=LARGE_COHORT,
        )
    )
    logger.debug("report: %d sections, %d figures, %d characters", len(nav), b.n_figures, len(html))
    return html
