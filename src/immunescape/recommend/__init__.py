"""Countermeasures ranked per patient from the mechanisms called (research hypotheses).

See :func:`recommend` and ``docs/mechanisms_engine.md``.
"""

from immunescape.recommend._recommend import (
    DISCLAIMER,
    OUTPUT_COLUMNS,
    RECOMMENDATION_COLUMNS,
    Recommendations,
    recommend,
)

__all__ = [
    "DISCLAIMER",
    "OUTPUT_COLUMNS",
    "RECOMMENDATION_COLUMNS",
    "Recommendations",
    "recommend",
]
