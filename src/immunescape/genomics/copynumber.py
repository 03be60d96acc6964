"""Copy number: gene-level calls (GISTIC-style) and segments.

Gene-level functional calls need gene-level copy number. The vendored gene table
(``genes/data``) has chromosomes but no gene positions, so immunescape cannot place genes on
segments by itself: give gene-level calls (``read_cna``), or segments with *absolute* copy
numbers together with a gene-coordinate table of your genome build
(:func:`gene_calls_from_segments`). Segments with log2 ratios only feed the SCNA burden and
the arm summary (:mod:`immunescape.genomics.scna`); a log2 ratio cannot say "zero copies"
without purity and ploidy.

Gene-level calls live in ``_cna``, segments in ``_segments`` and gene positions with the
segment -> gene calls in ``_gene_coords``; everything public is importable from here.
"""

from immunescape.genomics._cna import CNA_LONG_COLUMNS, CnaLayout, GeneCNA, read_cna
from immunescape.genomics._gene_coords import (
    LOG2_DEEP_DELETION,
    LOG2_GAIN,
    LOG2_LOSS,
    VENDORED_BUILDS,
    canonical_build,
    gene_calls_from_segments,
    gene_coordinates,
    read_gene_coords,
)
from immunescape.genomics._segments import SEGMENT_COLUMNS, Segments, read_segments

__all__ = [
    "GeneCNA",
    "Segments",
    "read_cna",
    "read_segments",
    "read_gene_coords",
    "gene_calls_from_segments",
    "gene_coordinates",
    "canonical_build",
    "CNA_LONG_COLUMNS",
    "SEGMENT_COLUMNS",
    "CnaLayout",
    "VENDORED_BUILDS",
    "LOG2_DEEP_DELETION",
    "LOG2_LOSS",
    "LOG2_GAIN",
]
