"""The tables the report accepts: names, required and optional columns, normalisation.

The report takes result tables only (computing never renders; rendering never computes).
Each table is checked once here, so the section builders can rely on its columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from immunescape.errors import InputError

__all__ = ["TABLE_SPECS", "TableSpec", "normalise_tables", "MECHANISM_STATUSES"]

MECHANISM_STATUSES = ("present", "indeterminate", "absent", "not_assessable")


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


TABLE_SPECS: dict[str, TableSpec] = {
    "scores": TableSpec(("sample_id",), (), "scores.tsv: sample_id + one column per feature id"),
    "features": TableSpec(
        ("id",),
        (
            "name",
            "kind",
            "method",
            "direction",
            "scope",
            "genes_total",
            "genes_found",
            "citation",
            "unit",
            "status",
            "missing_genes",
        ),
        "features.tsv",
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
            "name",
        ),
        "mechanisms.tsv",
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


def _key(name: str) -> str:
    key = name.rsplit("/", 1)[-1]
    return key[: -len(".tsv")] if key.endswith(".tsv") else key


def normalise_tables(
    tables: Mapping[str, pd.DataFrame],
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Check the tables and return copies keyed by their short name.

    Keys may be given with or without ``.tsv`` (``"scores.tsv"`` or ``"scores"``). A key column
    kept as the index (``features.tsv`` written with ``id`` as index) is moved back into the
    columns. Tables the report does not know are left out and named in the second value.

    Parameters
    ----------
    tables
        Table name -> DataFrame.

    Returns
    -------
    tables : dict
        Short name -> DataFrame with a default RangeIndex.
    ignored : list of str
        Names of the tables the report does not show.

    Raises
    ------
    InputError
        A value that is not a DataFrame, a table given twice, a missing column or an unknown
        mechanism status.
    """
    out: dict[str, pd.DataFrame] = {}
    ignored: list[str] = []
    for name, df in tables.items():
        key = _key(str(name))
        if key not in TABLE_SPECS:
            ignored.append(str(name))
            continue
        if key in out:
            raise InputError(
                f"table {key!r} given twice",
                source="render_report(tables=...)",
                fix="pass each table once",
            )
        if not isinstance(df, pd.DataFrame):
            raise InputError(
                f"table {name!r} is a {type(df).__name__}, not a pandas DataFrame",
                source="render_report(tables=...)",
                fix="read the TSV with pandas.read_csv(path, sep='\\t')",
            )
        spec = TABLE_SPECS[key]
        frame = df
        renames = {a: c for a, c in spec.aliases if a in frame.columns and c not in frame.columns}
        if renames:
            frame = frame.rename(columns=renames)
        if any(c not in frame.columns for c in spec.required) and any(
            n in spec.required for n in frame.index.names if n is not None
        ):
            frame = frame.reset_index()
        missing = [c for c in spec.required if c not in frame.columns]
        if missing:
            raise InputError(
                f"table {key!r} lacks column(s) {', '.join(missing)}; "
                f"found {', '.join(map(str, frame.columns[:12]))}",
                source=spec.description or key,
                fix="required columns: " + ", ".join(spec.required),
            )
        frame = frame.reset_index(drop=True).copy()
        for col in (
            "sample_id",
            "patient_id",
            "feature",
            "model",
            "mechanism_id",
            "gene",
            "id",
            "group",
            "pathway",
        ):
            if col in frame.columns:
                frame[col] = frame[col].astype(str)
        out[key] = frame
    if "mechanisms" in out:
        status = out["mechanisms"]["status"].astype(str).str.strip().str.lower()
        bad = sorted(set(status) - set(MECHANISM_STATUSES))
        if bad:
            raise InputError(
                f"mechanism status {', '.join(map(repr, bad[:5]))} is not one of "
                + ", ".join(MECHANISM_STATUSES),
                source="mechanisms.tsv",
                fix="use the statuses of the DESIGN.md contract",
            )
        out["mechanisms"]["status"] = status
    if "clinical" in out:
        resp = out["clinical"]["response"].astype("string").str.strip().str.upper()
        out["clinical"]["response"] = resp.where(resp.isin(["R", "NR"]), "unknown").astype(str)
    return out, ignored
