"""The resistance knowledge base: mechanisms, countermeasures, evidence and links.

Load it with :func:`load_kb` (cached; user YAML files extend it), check a user file with
:func:`validate_kb_file`, list it with :func:`kb_table` and describe a record with
:func:`render_entry`. The schema is in :mod:`immunescape.kb.schema`; the rule language
and evidence levels are documented in ``docs/knowledge_base.md``.
"""

from immunescape.kb.loader import (
    LEVEL_ORDER,
    KnowledgeBase,
    describe_condition,
    kb_table,
    load_kb,
    read_kb_file,
    render_entry,
    validate_kb_file,
)

__all__ = [
    "LEVEL_ORDER",
    "KnowledgeBase",
    "describe_condition",
    "kb_table",
    "load_kb",
    "read_kb_file",
    "render_entry",
    "validate_kb_file",
]
