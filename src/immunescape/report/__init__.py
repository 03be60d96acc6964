"""HTML report from result tables (computing never renders; rendering never computes).

:func:`render_report` turns the result tables of a run (scores, mechanisms,
recommendations, comparisons, predictions) and its run.json into one self-contained HTML
file that works offline and makes no network request.
"""

from immunescape.report._render import DISCLAIMER, render_report
from immunescape.tables import TABLE_SPECS

__all__ = ["render_report", "DISCLAIMER", "TABLE_SPECS"]
