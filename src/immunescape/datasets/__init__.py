"""Demo data: a simulated immune-checkpoint-blockade cohort with planted, known biology.

>>> from immunescape.datasets import simulate_cohort
>>> cohort = simulate_cohort(120, seed=0)
>>> cohort.expression.shape
(120, 5000)
"""

from immunescape.datasets._universe import PROGRAMS, gene_universe, program_loadings
from immunescape.datasets.simulate import (
    DEFAULT_N_GENES,
    SimulatedCohort,
    simulate_cohort,
    write_cohort,
)

__all__ = [
    "DEFAULT_N_GENES",
    "PROGRAMS",
    "SimulatedCohort",
    "gene_universe",
    "program_loadings",
    "simulate_cohort",
    "write_cohort",
]
