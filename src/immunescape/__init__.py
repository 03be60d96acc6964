"""immunescape: immune-checkpoint-blockade resistance mechanisms from tumour DNA and RNA.

The public API, re-exported from the modules that implement it (see each for details).
"""

from immunescape._version import __version__
from immunescape.errors import ImmunescapeError, InputError
from immunescape.expression import Expression
from immunescape.io import read_clinical, read_expression
from immunescape.kb import load_kb
from immunescape.mechanisms import Evidence, call_mechanisms, immune_phenotypes
from immunescape.meta import meta_analysis
from immunescape.pipeline import run_pipeline
from immunescape.recommend import recommend
from immunescape.signatures.registry import load_registry
from immunescape.signatures.runner import score

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
