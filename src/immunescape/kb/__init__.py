"""The resistance knowledge base: mechanisms, countermeasures, evidence and links.

Load it with :func:`load_kb` (cached; user YAML files extend it), check a user file with
:func:`validate_kb_file`, list it with :func:`kb_table` and describe a record with
:func:`render_entry`. The schema is in :mod:`immunescape.kb.schema` (the rule language in
:mod:`immunescape.kb._rules`), the evidence levels and other vocabularies in
:mod:`immunescape.kb.vocabulary`; the rule language and evidence levels are documented in
``docs/knowledge_base.md``. :data:`DISCLAIMER` is the project's one disclaimer text (from
``kb/data/kb.yaml``), shown by ``kb show``, the report and ``run.json``.
"""

from typing import Any

from immunescape.kb._knowledge import KnowledgeBase
from immunescape.kb._load import load_kb, validate_kb_file
from immunescape.kb._read import read_kb_file
from immunescape.kb._render import (
    KB_TABLE_COLUMNS,
    KBKind,
    describe_condition,
    kb_rows,
    kb_table,
    render_entry,
)
from immunescape.kb.vocabulary import LEVEL_ORDER, disclaimer, level_texts

__all__ = [
    "DISCLAIMER",
    "KB_TABLE_COLUMNS",
    "KBKind",
    "LEVEL_ORDER",
    "KnowledgeBase",
    "describe_condition",
    "disclaimer",
    "kb_rows",
    "kb_table",
    "level_texts",
    "load_kb",
    "read_kb_file",
    "render_entry",
    "validate_kb_file",
]


def __getattr__(name: str) -> Any:
    # DISCLAIMER is read from the shipped kb.yaml on first use, not at import.
    if name == "DISCLAIMER":
        return disclaimer()
    raise AttributeError(f"module 'immunescape.kb' has no attribute {name!r}")
