"""Per-patient resistance-mechanism calls from DNA, RNA and clinical evidence."""

from immunescape.mechanisms._engine import (
    MECHANISM_COLUMNS,
    MechanismCalls,
    call_mechanisms,
    ordinal,
)
from immunescape.mechanisms._evidence import Evidence, percentile_table
from immunescape.mechanisms._phenotype import PHENOTYPE_COLUMNS, immune_phenotypes

__all__ = [
    "Evidence",
    "MECHANISM_COLUMNS",
    "MechanismCalls",
    "PHENOTYPE_COLUMNS",
    "call_mechanisms",
    "immune_phenotypes",
    "ordinal",
    "percentile_table",
]
