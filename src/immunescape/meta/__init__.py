"""Cross-cohort meta-analysis: which responder / non-responder differences replicate.

:func:`meta_analysis` runs every cohort through the pipeline of ``immunescape compare``,
estimates per cohort the AUC (DeLong), the log odds ratio of response per SD (logistic) and
the Cox log hazard ratio per SD of every feature (:func:`cohort_effects`), and pools them
with random-effects models (:func:`pool_effects`, :func:`pool`: REML and DerSimonian-Laird),
with heterogeneity, subgroups (cancer type, treatment class) and leave-one-cohort-out
sensitivity; the result is a :class:`MetaResult` (tables, settings, warnings). See
docs/compare.md ("Meta-analysis across cohorts").
"""

from immunescape.meta._cohorts import TREATMENT_CLASSES, treatment_class
from immunescape.meta._effects import COHORT_COLUMNS, cohort_effects, logistic_per_sd
from immunescape.meta._pool import METHODS, PooledEstimate, pool, reml_tau2, subgroup_difference
from immunescape.meta._pooled import LOO_COLUMNS, META_COLUMNS, pool_effects
from immunescape.meta._run import MetaResult, meta_analysis

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
