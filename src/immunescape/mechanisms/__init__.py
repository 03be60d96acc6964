"""Per-patient resistance-mechanism calls from DNA, RNA and clinical evidence."""

from immunescape.mechanisms._engine import CALL_COLUMNS, MechanismCalls, call_mechanisms
from immunescape.mechanisms._evidence import Evidence, percentile_table
from immunescape.mechanisms._phenotype import (
    PHENOTYPE_CLASSES,
    PHENOTYPE_COLUMNS,
    immune_phenotypes,
)
from immunescape.mechanisms._rules import ordinal

__all__ = [
    "PHENOTYPE_CLASSES",
    "CALL_COLUMNS",
    "Evidence",
    "MechanismCalls",
    "PHENOTYPE_COLUMNS",
    "call_mechanisms",
    "immune_phenotypes",
    "ordinal",
    "percentile_table",
]
