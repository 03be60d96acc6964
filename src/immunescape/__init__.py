"""immunescape: immune-checkpoint-blockade resistance mechanisms from tumour DNA and RNA.

The public API, re-exported from the modules that implement it (see each for details). The
re-exports are lazy (module ``__getattr__``): ``import immunescape`` and the command line's
start-up do not import numpy, pandas or scipy until a function that needs them is used.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from immunescape._version import __version__
from immunescape.errors import ImmunescapeError, InputError

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from immunescape.expression import Expression
    from immunescape.io import read_clinical, read_expression
    from immunescape.kb import load_kb
    from immunescape.mechanisms import Evidence, call_mechanisms, immune_phenotypes
    from immunescape.meta import meta_analysis
    from immunescape.pipeline import run_pipeline
    from immunescape.recommend import recommend
    from immunescape.signatures.registry import load_registry
    from immunescape.signatures.runner import score

#: public name -> module that defines it (imported on first access)
_LAZY = {
    "Evidence": "immunescape.mechanisms",
    "Expression": "immunescape.expression",
    "call_mechanisms": "immunescape.mechanisms",
    "immune_phenotypes": "immunescape.mechanisms",
    "load_kb": "immunescape.kb",
    "load_registry": "immunescape.signatures.registry",
    "meta_analysis": "immunescape.meta",
    "read_clinical": "immunescape.io",
    "read_expression": "immunescape.io",
    "recommend": "immunescape.recommend",
    "run_pipeline": "immunescape.pipeline",
    "score": "immunescape.signatures.runner",
}

__all__ = [
    "Evidence",
    "Expression",
    "ImmunescapeError",
    "InputError",
    "__version__",
    "call_mechanisms",
    "immune_phenotypes",
    "load_kb",
    "load_registry",
    "meta_analysis",
    "read_clinical",
    "read_expression",
    "recommend",
    "run_pipeline",
    "score",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'immunescape' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(ModuleType):
    """``immunescape.recommend`` is both a subpackage and the function it defines.

    Importing the subpackage binds the module object to the package attribute, which would
    hide the lazily re-exported function; this property keeps the function there, as the
    eager ``from immunescape.recommend import recommend`` used to.
    """

    @property
    def recommend(self) -> Any:
        return import_module("immunescape.recommend").recommend

    @recommend.setter
    def recommend(self, value: Any) -> None:  # the import system binds the subpackage
        pass


sys.modules[__name__].__class__ = _Package
