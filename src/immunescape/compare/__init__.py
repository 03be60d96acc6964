"""Cohort comparison: what separates responders from non-responders, survival, paired biopsies.

Tables (see docs/compare.md for the columns, tests and references)
    :func:`associations` -> ``associations.tsv``; :func:`survival` -> ``survival.tsv`` and
    :func:`km_table` -> ``km.tsv``; :func:`differential_expression` -> ``de.tsv``;
    :func:`pathway_contrasts` -> ``pathways.tsv``; :func:`mutation_enrichment` ->
    ``mutations.tsv``; :func:`mechanism_enrichment` -> ``mechanisms_enrichment.tsv``;
    :func:`paired_changes` ->
    ``paired.tsv``; :func:`new_events` -> ``new_events.tsv``.
All at once
    :func:`compare_cohort` -> :class:`CompareResult` (tables, settings, warnings);
    :func:`write_tables`, :func:`write_figures`.
"""

from immunescape.compare._associations import ASSOCIATION_COLUMNS, associations
from immunescape.compare._cohort import CompareResult, compare_cohort, write_tables
from immunescape.compare._de import (
    DE_COLUMNS,
    check_counts,
    differential_expression,
    paired_differential_expression,
)
from immunescape.compare._figures import (
    auc_forest,
    hr_forest,
    km_plot,
    make_figures,
    paired_plot,
    score_by_response,
    volcano,
    write_figures,
)
from immunescape.compare._mutations import (
    MECHANISMS_ENRICHMENT_COLUMNS,
    MUTATION_COLUMNS,
    mechanism_enrichment,
    mutation_enrichment,
)
from immunescape.compare._paired import (
    ACQUIRED_RESISTANCE_GENES,
    NEW_EVENT_COLUMNS,
    PAIRED_COLUMNS,
    new_events,
    pair_samples,
    paired_changes,
    split_by_timepoint,
)
from immunescape.compare._pathways import PATHWAY_COLUMNS, pathway_contrasts, registry_gene_sets
from immunescape.compare._survival import (
    KM_COLUMNS,
    SURVIVAL_COLUMNS,
    MaxstatResult,
    km_table,
    lausen_schumacher_p,
    maxstat_cut,
    survival,
)

__all__ = [
    "ACQUIRED_RESISTANCE_GENES",
    "ASSOCIATION_COLUMNS",
    "DE_COLUMNS",
    "KM_COLUMNS",
    "MECHANISMS_ENRICHMENT_COLUMNS",
    "MUTATION_COLUMNS",
    "NEW_EVENT_COLUMNS",
    "PAIRED_COLUMNS",
    "PATHWAY_COLUMNS",
    "SURVIVAL_COLUMNS",
    "CompareResult",
    "MaxstatResult",
    "associations",
    "auc_forest",
    "check_counts",
    "compare_cohort",
    "differential_expression",
    "hr_forest",
    "km_plot",
    "km_table",
    "lausen_schumacher_p",
    "make_figures",
    "maxstat_cut",
    "mechanism_enrichment",
    "mutation_enrichment",
    "new_events",
    "pair_samples",
    "paired_changes",
    "paired_differential_expression",
    "paired_plot",
    "pathway_contrasts",
    "registry_gene_sets",
    "score_by_response",
    "split_by_timepoint",
    "survival",
    "volcano",
    "write_figures",
    "write_tables",
]
