"""The report's sections, one module each: result tables in, template-ready containers out.

Each section is a function of the shared :class:`~immunescape.report._builder.Builder` that
returns the section's content, or None when its tables are absent. Nothing here estimates
anything: the sections select, order, count and format rows of the tables they are given.
Figures come from :mod:`immunescape.report._figures`.
"""

from __future__ import annotations

from immunescape.report._sections.compare import compare
from immunescape.report._sections.mechanisms import mechanisms, phenotypes
from immunescape.report._sections.overview import overview
from immunescape.report._sections.patients import patients
from immunescape.report._sections.prediction import images, prediction
from immunescape.report._sections.scores import DEFAULT_KEY_SCORES, scores

__all__ = [
    "overview",
    "mechanisms",
    "phenotypes",
    "scores",
    "compare",
    "prediction",
    "images",
    "patients",
    "DEFAULT_KEY_SCORES",
]
