"""Vocabularies of the knowledge base (evidence levels, study designs) and its disclaimer.

The names are types (:data:`Level`, :data:`StudyDesign`, checked by the schema); what they
mean is data, in the shipped file ``kb/data/vocabulary.yaml`` (read through
:func:`immunescape._resources.read_resource`, so a damaged file raises
:class:`~immunescape.errors.ResourceError`). This module imports neither pandas nor pydantic.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Literal, get_args

from immunescape._resources import REINSTALL, read_resource
from immunescape.errors import ResourceError

__all__ = [
    "Level",
    "LEVEL_ORDER",
    "StudyDesign",
    "STUDY_DESIGNS",
    "level_texts",
    "study_design_levels",
    "disclaimer",
]

#: An evidence level, A (validated) to E (inferential).
Level = Literal["A", "B", "C", "D", "E"]
#: Evidence levels from strongest to weakest.
LEVEL_ORDER: tuple[str, ...] = get_args(Level)
#: The study design behind an evidence item (``Evidence.model``).
StudyDesign = Literal["human_trial", "human_cohort", "human_case", "mouse", "cell_line", "review"]
STUDY_DESIGNS: tuple[str, ...] = get_args(StudyDesign)

_FILE = "vocabulary.yaml"


def _broken(problem: str) -> ResourceError:
    return ResourceError(f"the shipped file immunescape.kb/data/{_FILE} {problem}; {REINSTALL}")


@cache
def _vocabulary() -> dict[str, Any]:
    from immunescape._yaml import YAMLError, safe_load

    try:
        doc = safe_load(read_resource("immunescape.kb", _FILE).decode("utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        raise _broken(f"cannot be parsed ({exc.__class__.__name__})") from None
    levels = doc.get("evidence_levels") if isinstance(doc, Mapping) else None
    designs = doc.get("study_design_levels") if isinstance(doc, Mapping) else None
    if not isinstance(levels, Mapping) or tuple(levels) != LEVEL_ORDER:
        raise _broken(f"must list the evidence levels {', '.join(LEVEL_ORDER)} in order")
    if not isinstance(designs, Mapping) or set(designs) != set(STUDY_DESIGNS):
        raise _broken(f"must give the levels of the study designs {', '.join(STUDY_DESIGNS)}")
    for design, allowed in designs.items():
        if not isinstance(allowed, list) or not set(allowed) <= set(LEVEL_ORDER):
            raise _broken(f"gives study design {design!r} levels outside A-E")
    return {
        "levels": {k: str(v) for k, v in levels.items()},
        "designs": {k: frozenset(v) for k, v in designs.items()},
    }


def level_texts() -> dict[str, str]:
    """Return the meaning of each evidence level, strongest first.

    Examples
    --------
    >>> level_texts()["D"]
    'preclinical (cells, mice)'
    """
    return dict(_vocabulary()["levels"])


def study_design_levels() -> dict[str, frozenset[str]]:
    """Return the evidence levels each study design may carry.

    Examples
    --------
    >>> sorted(study_design_levels()["human_case"])
    ['C', 'E']
    """
    return dict(_vocabulary()["designs"])


@cache
def disclaimer() -> str:
    """Return the project's one disclaimer text (``disclaimer`` of the shipped ``kb.yaml``).

    ``kb show``, the HTML report (wherever countermeasures are listed) and ``run.json``
    show this text; it is defined once, in the knowledge base's manifest.

    Examples
    --------
    >>> disclaimer().startswith("Research use only.")
    True
    """
    from immunescape._yaml import YAMLError, safe_load

    try:
        doc = safe_load(read_resource("immunescape.kb", "kb.yaml").decode("utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        raise ResourceError(
            f"the shipped file immunescape.kb/data/kb.yaml cannot be parsed "
            f"({exc.__class__.__name__}); {REINSTALL}"
        ) from None
    text = doc.get("disclaimer") if isinstance(doc, Mapping) else None
    if not isinstance(text, str) or not text.strip():
        raise ResourceError(
            f"the shipped file immunescape.kb/data/kb.yaml has no disclaimer; {REINSTALL}"
        )
    return " ".join(text.split())
