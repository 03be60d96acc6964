"""Every docstring example of the predict package runs and prints what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import immunescape.predict

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(immunescape.predict.__path__, "immunescape.predict.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_the_package_has_examples():
    finder = doctest.DocTestFinder()
    total = sum(
        len(t.examples) for n in MODULES for t in finder.find(importlib.import_module(n))
    )
    assert total >= 40


def test_public_functions_take_options_by_keyword_only():
    import inspect

    import immunescape.predict as predict

    for name in predict.__all__:
        obj = getattr(predict, name)
        if inspect.isfunction(obj):
            params = inspect.signature(obj).parameters.values()
            positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
            assert len(positional) <= 3, name  # data arguments only
