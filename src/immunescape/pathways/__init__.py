"""Pathway activity scores: PROGENy (vendored model + scoring).

The registry entries and the ``progeny`` kernel are in
:mod:`immunescape.signatures.methods.progeny` (``signatures`` depends on ``pathways``, never
the reverse).
"""

from immunescape.pathways.progeny import (
    PATHWAYS,
    progeny_manifest,
    progeny_model,
    progeny_scores,
    progeny_weights,
)

__all__ = [
    "PATHWAYS",
    "progeny_manifest",
    "progeny_model",
    "progeny_scores",
    "progeny_weights",
]
