"""Pathway activity scores: PROGENy (vendored model + scoring)."""

from immunescape.pathways.progeny import (
    PATHWAYS,
    progeny_manifest,
    progeny_model,
    progeny_scores,
    progeny_signatures,
    progeny_weights,
)

__all__ = [
    "PATHWAYS",
    "progeny_manifest",
    "progeny_model",
    "progeny_scores",
    "progeny_signatures",
    "progeny_weights",
]
