"""The examples in the compare module docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest

import immunescape.compare as compare

MODULES = sorted(m.name for m in pkgutil.iter_modules(compare.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"immunescape.compare.{name}")
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False)
    assert result.failed == 0
    assert result.attempted > 0


def test_public_functions_are_data_first_keyword_options():
    # data arguments positional (at most 3), every option keyword-only, each with an example
    for name in compare.__all__:
        obj = getattr(compare, name)
        if not inspect.isfunction(obj):
            continue
        params = list(inspect.signature(obj).parameters.values())
        positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
        assert len(positional) <= 3, name
        # a positional (data) argument may be optional (None) but never an option value
        assert all(p.default in (inspect.Parameter.empty, None) for p in positional), name
        if name not in ("write_figures", "write_tables", "make_figures"):
            assert "Examples" in (obj.__doc__ or ""), name
