"""The docstring examples of immunescape.genomics run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import immunescape.genomics as genomics

MODULES = sorted(f"immunescape.genomics.{m.name}" for m in pkgutil.iter_modules(genomics.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0  # modules that only re-export have no examples of their own
