"""Public API conventions: data first, options keyword-only, numpy docstrings with examples."""

from __future__ import annotations

import inspect

import immunescape.genomics as g


def test_public_functions_take_options_by_keyword():
    for name in g.__all__:
        obj = getattr(g, name)
        if not inspect.isfunction(obj):
            continue
        params = list(inspect.signature(obj).parameters.values())
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        # data arguments only: at most two (e.g. y_true, y_score; genomic, expression samples)
        assert len(positional) <= 2, (name, [p.name for p in positional])
        doc = inspect.getdoc(obj) or ""
        assert "Examples" in doc and ">>>" in doc, name
        assert "Parameters" in doc and "Returns" in doc, name
