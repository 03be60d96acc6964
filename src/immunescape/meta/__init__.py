"""Cross-cohort meta-analysis: which responder / non-responder differences replicate.

:func:`meta_analysis` runs every cohort through the pipeline of ``immunescape compare``,
estimates per cohort the AUC (DeLong), the log odds ratio of response per SD (logistic) and
the Cox log hazard ratio per SD of every feature (:func:`cohort_effects`), and pools them
with random-effects models (:func:`pool_effects`, :func:`pool`: REML and DerSimonian-Laird),
with heterogeneity, subgroups (cancer type, treatment class) and leave-one-cohort-out
sensitivity. See docs/compare.md ("Meta-analysis across cohorts").
"""

from immunescape.meta._effects import COHORT_COLUMNS, cohort_effects, logistic_per_sd
from immunescape.meta._pool import METHODS, PooledEstimate, pool, reml_tau2, subgroup_difference
from immunescape.meta._run import (
    LOO_COLUMNS,
    META_COLUMNS,
    TREATMENT_CLASSES,
    MetaResult,
    meta_analysis,
    pool_effects,
    treatment_class,
)

__all__ = [
    "COHORT_COLUMNS",
    "LOO_COLUMNS",
    "META_COLUMNS",
    "METHODS",
    "TREATMENT_CLASSES",
    "MetaResult",
    "PooledEstimate",
    "cohort_effects",
    "logistic_per_sd",
    "meta_analysis",
    "pool",
    "pool_effects",
    "reml_tau2",
    "subgroup_difference",
    "treatment_class",
]
