"""The table contract: output tables' columns and keys, shared vocabularies, one TSV writer.

Producers (``genomics``, ``mechanisms``, ``compare``, ``predict``, ...), the report and the
tests read the columns and vocabularies from here, so a table is described once. Tables are
flat: keys such as ``sample_id`` are ordinary columns, never the index.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:  # pandas is imported when a table is written, not for the vocabularies
    import pandas as pd

__all__ = [
    "TABLE_SPECS",
    "TableSpec",
    "META_SPECS",
    "FEATURE_COLUMNS",
    "MECHANISM_STATUSES",
    "MechanismStatus",
    "EVENTS",
    "EventName",
    "tsv_ready",
    "write_tsv",
]

#: The statuses of a mechanism call (``mechanisms.tsv`` ``status``).
MechanismStatus = Literal["present", "indeterminate", "absent", "not_assessable"]
#: Event names of the ``genomic_events`` table.
EventName = Literal[
    "truncating",
    "hotspot_activating",
    "deep_deletion",
    "amplification",
    "loh",
    "missense_vus",
    "inframe_vus",
]
EVENTS: tuple[str, ...] = get_args(EventName)

MECHANISM_STATUSES: tuple[str, ...] = get_args(MechanismStatus)


@dataclass(frozen=True)
class TableSpec:
    """Columns of one accepted table.

    Parameters
    ----------
    required
        Columns that must be present.
    optional
        Columns used when present.
    description
        One line for error messages and documentation.
    aliases
        (other name, column) pairs: a column given under the other name is renamed.
    """

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    description: str = ""
    aliases: tuple[tuple[str, str], ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Required then optional columns: the order producers write them in."""
        return self.required + self.optional


#: The descriptive columns of ``features.tsv`` (one row per scored feature), in order.
FEATURE_COLUMNS: tuple[str, ...] = (
    "id", "name", "kind", "method", "direction", "scope", "genes_total", "genes_found",
    "citation",
)  # fmt: skip

TABLE_SPECS: dict[str, TableSpec] = {
    "scores": TableSpec(("sample_id",), (), "scores.tsv: sample_id + one column per feature id"),
    "features": TableSpec(
        ("id",), FEATURE_COLUMNS[1:] + ("unit", "status", "missing_genes"), "features.tsv"
    ),
    "genomic_events": TableSpec(
        ("sample_id", "gene", "event"), ("detail", "biallelic"), "genomic_events.tsv"
    ),
    "tmb": TableSpec(
        ("sample_id", "tmb_per_mb"), ("n_mutations_counted", "capture_mb", "rule"), "tmb.tsv"
    ),
    "mechanisms": TableSpec(
        ("sample_id", "mechanism_id", "status"),
        (
            "strength",
            "dna_evidence",
            "rna_evidence",
            "clinical_evidence",
            "reason",
            "mechanism_name",
            "effect",
            "level",
            "evidence_ids",
        ),
        "mechanisms.tsv",
        aliases=(("name", "mechanism_name"),),
    ),
    "mechanism_info": TableSpec(
        ("mechanism_id",),
        ("name", "category", "summary"),
        "mechanism catalogue (e.g. from the knowledge base): mechanism_id, name",
    ),
    "phenotypes": TableSpec(("sample_id", "immune_phenotype"), (), "phenotypes.tsv"),
    "recommendations": TableSpec(
        ("sample_id", "rank", "countermeasure"),
        (
            "countermeasure_id",
            "mechanism_ids",
            "evidence_level",
            "citations",
            "trials",
            "rationale",
            "stage",
            "stage_as_of",
            "contested",
            "caution",
        ),
        "recommendations.tsv",
    ),
    "clinical": TableSpec(
        ("sample_id", "response"), (), "clinical labels: sample_id, response (R / NR)"
    ),
    "associations": TableSpec(
        ("feature", "auc", "auc_ci_low", "auc_ci_high"),
        ("n_r", "n_nr", "p_value", "q_value", "direction"),
        "associations.tsv",
    ),
    "de": TableSpec(
        ("gene", "log2FoldChange", "padj"), ("baseMean", "lfcSE", "stat", "pvalue"), "de.tsv"
    ),
    "survival": TableSpec(
        ("feature", "hr", "hr_ci_low", "hr_ci_high"),
        ("endpoint", "p_value", "q_value", "logrank_p"),
        "survival.tsv",
    ),
    "mutations": TableSpec(
        ("gene", "n_r_mut", "n_nr_mut"), ("odds_ratio", "p_value", "q_value"), "mutations.tsv"
    ),
    "km": TableSpec(
        ("feature", "group", "time", "survival", "n_at_risk"),
        ("endpoint", "ci_low", "ci_high", "n_censored", "n_events", "cut", "cut_rule"),
        "km.tsv: Kaplan-Meier curves, long format (one row per time of each group's curve)",
        aliases=(("at_risk", "n_at_risk"),),
    ),
    "paired": TableSpec(
        ("feature", "p_value"),
        (
            "group",
            "n_pairs",
            "median_pre",
            "median_post",
            "median_delta",
            "mean_delta",
            "statistic",
            "q_value",
            "direction",
            "test",
            "note",
        ),
        "paired.tsv: within-patient changes between two timepoints",
    ),
    "paired_values": TableSpec(
        ("sample_id", "feature", "before", "after"),
        ("response",),
        "paired values: sample_id (patient), feature, before, after",
    ),
    "new_events": TableSpec(
        ("patient_id", "gene", "event"),
        ("detail", "biallelic", "gene_altered_before", "mechanism", "reason"),
        "new_events.tsv: events present after treatment and absent before",
    ),
    "pathways": TableSpec(
        ("pathway", "p_value"),
        (
            "collection",
            "n_genes",
            "score",
            "score_type",
            "mean_stat",
            "q_value",
            "direction",
            "method",
        ),
        "pathways.tsv",
    ),
    "mechanisms_enrichment": TableSpec(
        ("mechanism_id", "p_value"),
        ("n_r_present", "n_nr_present", "n_r", "n_nr", "odds_ratio", "q_value"),
        "mechanisms_enrichment.tsv",
    ),
    "hla": TableSpec(("sample_id",), (), "hla.tsv: per-sample HLA class I features"),
    "scna": TableSpec(("sample_id",), (), "scna.tsv: per-sample copy-number burden"),
    "predictions": TableSpec(
        ("sample_id", "model", "probability"), ("score", "predicted"), "predictions.tsv"
    ),
    "roc": TableSpec(
        ("model", "fpr", "tpr", "auc"), ("cohort",), "ROC curves: model, fpr, tpr, auc"
    ),
    "calibration": TableSpec(
        ("model", "bin", "mean_predicted", "fraction_positive"),
        ("n", "cohort"),
        "calibration: model, bin, mean_predicted, fraction_positive",
    ),
    "drivers": TableSpec(
        ("sample_id", "model", "feature", "contribution"),
        ("value",),
        "per-patient drivers: sample_id, model, feature, contribution",
    ),
}


#: Tables written by ``meta`` (kept apart from the per-run tables: the report shows them in
#: their own section).
META_SPECS: dict[str, TableSpec] = {
    "meta": TableSpec(
        ("feature", "measure", "method", "subgroup_by", "subgroup", "k", "estimate", "se"),
        (
            "ci_low",
            "ci_high",
            "p_value",
            "q_value",
            "tau2",
            "i2",
            "q_p",
            "q_between",
            "q_between_df",
            "q_between_p",
            "loo_min",
            "loo_max",
            "loo_influential",
            "n_same_direction",
            "replication",
            "kind",
        ),
        "meta.tsv",
    ),
    "meta_cohorts": TableSpec(
        ("cohort", "feature", "measure", "estimate", "se", "pooled"),
        ("ci_low", "ci_high", "n_r", "n_nr", "p_value", "cancer_type", "treatment_class"),
        "meta_cohorts.tsv",
    ),
    "meta_loo": TableSpec(
        ("feature", "measure", "method", "left_out", "estimate"), (), "meta_loo.tsv"
    ),
    "cohorts": TableSpec(
        ("cohort", "included"),
        ("cancer_type", "treatment_class", "n_r", "n_nr", "endpoints", "reason"),
        "cohorts.tsv",
    ),
}


def tsv_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Return the frame as written: a named index as first column, booleans true/false.

    Examples
    --------
    >>> import pandas as pd
    >>> tsv_ready(pd.DataFrame({"called": [True, False]})).called.tolist()
    ['true', 'false']
    """
    import pandas as pd

    out = df.reset_index() if df.index.name is not None else df
    bools = [c for c in out.columns if pd.api.types.is_bool_dtype(out[c])]
    if bools:
        out = out.copy()
        for c in bools:
            out[c] = out[c].map({True: "true", False: "false"}).astype(object)
    return out


def write_tsv(df: pd.DataFrame, path: str | Path) -> Path:
    r"""Write one table as every immunescape table is written.

    Tab-separated, UTF-8, ``\n`` line ends, a header line, missing values as ``NA``,
    floats with 6 significant digits, booleans as ``true``/``false``; a named index is
    written as the first column (see :func:`tsv_ready`), an unnamed one is not written.

    Examples
    --------
    >>> import tempfile, os
    >>> import pandas as pd
    >>> d = tempfile.mkdtemp()
    >>> p = write_tsv(pd.DataFrame({"sample_id": ["a"], "x": [1 / 3], "y": [None]}),
    ...               os.path.join(d, "t.tsv"))
    >>> p.read_text()
    'sample_id\tx\ty\na\t0.333333\tNA\n'
    """
    out = Path(path)
    tsv_ready(df).to_csv(
        out, sep="\t", index=False, na_rep="NA", float_format="%.6g", lineterminator="\n"
    )
    return out
