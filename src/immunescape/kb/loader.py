"""Load, cross-validate, list and render the knowledge base (the public entry points).

The work is done in small modules, one job each: :mod:`~immunescape.kb._read` (YAML to
schema-checked records), :mod:`~immunescape.kb._checks` (cross-references),
:mod:`~immunescape.kb._load` (shipped files, then the user's), :mod:`~immunescape.kb._render`
(``kb list`` and ``kb show``) and :mod:`~immunescape.kb._knowledge` (the
:class:`KnowledgeBase`). This module keeps the import path ``immunescape.kb.loader``.
"""

from __future__ import annotations

from immunescape.kb._checks import gene_knowledge as _gene_knowledge
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
from immunescape.kb.vocabulary import LEVEL_ORDER

__all__ = [
    "KnowledgeBase",
    "load_kb",
    "read_kb_file",
    "validate_kb_file",
    "kb_table",
    "kb_rows",
    "KB_TABLE_COLUMNS",
    "KBKind",
    "render_entry",
    "describe_condition",
    "LEVEL_ORDER",
    "_gene_knowledge",
]
