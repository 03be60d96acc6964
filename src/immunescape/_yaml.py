"""YAML parsing with libyaml's C loader when PyYAML was built with it.

``yaml.CSafeLoader`` accepts exactly what ``yaml.SafeLoader`` accepts and builds the same
objects, several times faster; the pure-Python loader is the fallback.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["safe_load", "YAMLError"]

YAMLError = yaml.YAMLError
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """Parse one YAML document with the safe loader (the C one when available).

    Examples
    --------
    >>> safe_load("a: [1, 2]")
    {'a': [1, 2]}
    """
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
