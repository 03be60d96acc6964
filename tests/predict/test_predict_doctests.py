"""The examples in the predict module docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "immunescape.predict._loris",
    "immunescape.stats",
    "immunescape.predict._scaling",
    "immunescape.predict._validation",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_public_functions_take_options_by_keyword_only():
    import inspect

    import immunescape.predict as predict

    for name in predict.__all__:
        obj = getattr(predict, name)
        if inspect.isfunction(obj):
            params = inspect.signature(obj).parameters.values()
            positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
            assert len(positional) <= 3, name  # data arguments only
