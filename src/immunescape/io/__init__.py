"""Readers of user inputs: expression matrices and clinical tables, with unit detection.

Every reader validates its file and raises :class:`~immunescape.errors.InputError` (or
:class:`~immunescape.errors.UnitError`) with one line naming the file, the problem and the
fix. Input files are only read, never modified.
"""

from immunescape.io._clinical import ClinicalTable, read_clinical
from immunescape.io._expression import InputReport, OnMissing, read_expression
from immunescape.io._units import UnitCall, check_unit, detect_unit, matrix_stats

__all__ = [
    "ClinicalTable",
    "InputReport",
    "OnMissing",
    "UnitCall",
    "check_unit",
    "detect_unit",
    "matrix_stats",
    "read_clinical",
    "read_expression",
]
