"""The main job: inputs -> scores -> genomic events -> mechanisms -> phenotypes -> countermeasures.

:func:`run_pipeline` reads whatever inputs are given (any may be absent), runs each step on
them and returns every result table plus the provenance for ``run.json``. What cannot be
assessed without a missing input is reported as ``not_assessable`` rather than guessed. The
CLI (``immunescape run``) writes the tables and ``report.html``; rendering never computes.

Sample identity across inputs: expression columns, the MAF's ``Tumor_Sample_Barcode``, the
copy-number/HLA sample columns and the clinical ``sample_id`` must use the same ids. A
clinical table that matches none of the molecular samples is an error, and so is a DNA input
(MAF, copy number, segments, HLA, HLA LOH) that matches none of the expression samples (or,
without expression, of the other DNA inputs); partial overlaps are warnings naming the
unmatched ids. A sample absent from the MAF is taken as *not sequenced*
unless ``dna_samples="all"`` says that every expression sample was sequenced (then samples
without a MAF row have no mutation, TMB 0).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from immunescape._logging import logger
from immunescape._validate import check_choice
from immunescape._vocab import Unit
from immunescape.errors import InputError
from immunescape.io import OnMissing

if TYPE_CHECKING:  # the genomics package is imported when genomic inputs are given
    from immunescape.genomics import GeneCNA, MutationTable, Segments

__all__ = ["PipelineResult", "run_pipeline"]

PathLike = str | Path


@dataclass
class PipelineResult:
    """Everything ``immunescape run`` produces, before writing.

    Attributes
    ----------
    tables
        Output file name -> table (``scores.tsv``, ``features.tsv``, ``genomic_events.tsv``,
        ``tmb.tsv``, ``hla.tsv``, ``scna.tsv``, ``mechanisms.tsv``, ``phenotypes.tsv``,
        ``recommendations.tsv``), each present only when computed.
    documents
        JSON documents (``input_report.json``).
    run
        Provenance for ``run.json``: inputs, rules, parameters, warnings.
    clinical
        The harmonised clinical table (sample_id, response, ...) or None.
    expression
        The expression matrix as read (for later steps such as differential expression).
    reference_scores
        The ``--reference`` cohort's signature scores, computed together with the analysed
        samples (None without a reference); ``predict`` standardises on them.
    notices
        The warnings (also in ``run``) a user must see at once, e.g. sample ids of an input
        that match no other input: the command line prints them.
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    documents: dict[str, Any] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    clinical: pd.DataFrame | None = None
    expression: Any = None
    reference_scores: pd.DataFrame | None = None
    notices: list[str] = field(default_factory=list)


def _snake(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def _check_dna_samples(
    dna: list[tuple[str, str, set[str]]], expr_samples: list[str]
) -> list[str]:
    """Refuse a DNA input whose ids match none of the run's samples; warn on a partial match.

    The run's samples are the expression samples, or without expression those of the other
    DNA inputs (then a partial match is normal and not reported).
    """
    from immunescape._sample_ids import check_input_samples

    notes = []
    for option, source, ids in dna if expr_samples else dna[::-1]:  # the MAF is blamed last
        if expr_samples:
            others, name = set(expr_samples), "expression matrix"
        else:
            others = set().union(*(i for o, _, i in dna if o != option))
            name = "other DNA inputs"
        note = check_input_samples(ids, others, option=option, source=source, others_name=name)
        if note and expr_samples:  # without expression, DNA inputs often cover subsets
            notes.append(note)
    return notes


def run_pipeline(
    *,
    expr: PathLike | None = None,
    unit: Unit | None = None,
    genes_in: Literal["rows", "columns"] | None = None,
    log_offset: float | None = None,
    on_missing: OnMissing = "drop",
    maf: PathLike | MutationTable | None = None,
    cna: PathLike | GeneCNA | None = None,
    segments: PathLike | Segments | None = None,
    hla: PathLike | None = None,
    hla_loh: PathLike | None = None,
    clinical: PathLike | pd.DataFrame | None = None,
    clinical_columns: Mapping[str, Any] | None = None,
    sd_rule: Literal["pfs6", "nr", "r", "exclude"] = "pfs6",
    capture_mb: float | None = None,
    tmb_assay: Literal["exome", "panel", "genome"] | None = None,
    dna_samples: Literal["maf", "all"] = "maf",
    on_malformed_hgvs: Literal["warn", "raise", "blank"] = "warn",
    genome_build: str | None = None,
    cancer_type: str | None = None,
    reference: PathLike | None = None,
    signature_files: Sequence[PathLike] = (),
    kb_files: Sequence[PathLike] = (),
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    only: Sequence[str] | None = None,
    min_coverage: float | None = None,
    until: Literal["score", "all"] = "all",
    one_per_patient: Literal["refuse", "first", "pre", "on"] | None = None,
) -> PipelineResult:
    """Run the whole per-patient pipeline on the inputs given.

    Parameters
    ----------
    expr, unit, genes_in, log_offset
        Expression matrix and how to read it (see :func:`immunescape.io.read_expression`).
    on_missing
        ``"drop"`` (default): drop genes with missing values in the expression matrix,
        listed and warned about; or ``"error"`` (see :func:`immunescape.io.read_expression`).
    maf, cna, segments, hla, hla_loh, capture_mb, tmb_assay, genome_build
        Genomic inputs (see :func:`immunescape.genomics.run_genomics`): files, or for
        ``maf``/``cna``/``segments`` the tables their readers return; ``capture_mb`` is
        required with a MAF.
    clinical, clinical_columns, sd_rule
        Clinical table (a file, or a DataFrame with a sample id column), options of
        :func:`immunescape.io.read_clinical` (column names ``sample_col``, ``response_col``,
        ``recist_col``, ``os_time_col``, ...; ``source``, the table's name in messages) and
        the rule for stable disease.
    dna_samples
        ``"maf"``: only samples with a MAF row were sequenced; ``"all"``: every expression
        sample was sequenced.
    on_malformed_hgvs
        ``"warn"`` (default), ``"raise"`` or ``"blank"`` for protein changes that are not
        HGVS (see :func:`immunescape.genomics.read_maf`).
    cancer_type
        Recorded in run.json; picks the shipped reference group (pan-cancer when the type
        is not shipped).
    reference
        Reference cohort expression: percentiles (and cohort-relative scores) are taken
        against it, e.g. to profile one patient. Without it, whole-transcriptome TPM is
        compared with the shipped reference (``run.json`` ``reference`` says which).
    signature_files, kb_files
        User signature (GMT/YAML) and knowledge-base (YAML) extensions.
    seed
        Seed of random background gene sets.
    progress
        Called with the name of each step (the CLI shows it).
    only, min_coverage
        Score only these registry ids; override every signature's minimum gene coverage.
    until
        ``"score"`` stops after reading, validating and scoring the expression (the
        ``score`` command); ``"all"`` (default) runs every step.
    one_per_patient
        For statistics across patients (``compare``, ``meta``): ``"refuse"`` a clinical
        table whose samples with an outcome include several of one patient, or keep one
        sample per patient (``"first"``, ``"pre"``, ``"on"``; see
        :func:`immunescape.io._patients.keep_one_per_patient`). None (default): no check.

    Returns
    -------
    PipelineResult

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from immunescape.datasets import simulate_cohort, write_cohort
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "c"
    >>> _ = write_cohort(simulate_cohort(30, seed=1), d)
    >>> res = run_pipeline(expr=d / "expression.tsv", clinical=d / "clinical.tsv")
    >>> sorted(res.tables)[:3]
    ['features.tsv', 'mechanisms.tsv', 'phenotypes.tsv']
    """
    from immunescape.kb import DISCLAIMER, load_kb
    from immunescape.mechanisms import Evidence, call_mechanisms, immune_phenotypes
    from immunescape.recommend import recommend

    step = progress or (lambda _name: None)
    if expr is None and maf is None and cna is None and segments is None and hla is None \
            and hla_loh is None:
        raise InputError(
            "no molecular input given",
            source="immunescape run",
            fix="give --expr and/or --maf/--cna/--segments/--hla",
        )
    out = PipelineResult()
    run: dict[str, Any] = {"inputs": {}, "warnings": [], "parameters": {
        "unit": unit, "sd_rule": sd_rule, "capture_mb": capture_mb, "assay": tmb_assay,
        "dna_samples": dna_samples, "cancer_type": cancer_type, "seed": seed,
        "reference": str(reference) if reference else None,
    }}
    check_choice("until", until, Literal["score", "all"])
    check_choice("dna_samples", dna_samples, Literal["maf", "all"])
    check_choice("on_missing", on_missing, Literal["error", "drop"])
    if until == "score" and expr is None:
        raise InputError("scoring needs an expression matrix", fix="give --expr")
    if until == "all":
        kb = load_kb([str(p) for p in kb_files],
                     signature_files=[str(p) for p in signature_files])
        run["knowledge_base"] = {"version": kb.version, "sha256": kb.sha256}

    # ------------------------------------------------------------------ expression -> scores
    scores = ref_scores = ref_expr = None
    names: dict[str, str] = {}
    expr_samples: list[str] = []
    if expr is not None:
        step("reading expression")
        from immunescape.io import read_expression
        from immunescape.signatures.registry import load_registry
        from immunescape.signatures.runner import _join_reference, score

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the report's warnings go to run.json
            expression, report = read_expression(
                expr, unit=unit, genes_in=genes_in, log_offset=log_offset,
                on_missing=on_missing,
            )
        out.documents["input_report.json"] = report.to_dict()
        out.expression = expression
        expr_samples = [str(s) for s in expression.samples]
        registry = load_registry([str(p) for p in signature_files])
        if only:
            registry = registry.select(list(only))
        names = {s.id: s.name for s in registry}
        step("scoring signatures")
        if reference is not None and expression.unit == "zscore":
            raise InputError(
                "a reference cohort cannot be used with centred (zscore) data: z-scores are "
                "relative to the cohort they were centred in",
                source="--reference", fix="drop --reference, or give uncentred expression")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if reference is not None:
                ref_expr, ref_report = read_expression(reference)  # warnings: ref report
                out.documents["reference_report.json"] = ref_report.to_dict()
                joined = _join_reference(expression, ref_expr)
                res = score(joined, signatures=registry, seed=seed, min_coverage=min_coverage)
                scores = res.scores.iloc[: len(expr_samples)]
                ref_scores = out.reference_scores = res.scores.iloc[len(expr_samples):]
            else:
                res = score(expression, signatures=registry, seed=seed,
                            min_coverage=min_coverage)
                scores = res.scores
        out.tables["scores.tsv"] = scores
        out.tables["features.tsv"] = res.features.set_index("id")
        run["inputs"]["expression"] = {
            "file": str(expr), "unit": expression.unit, "log_offset": expression.log_offset,
            "n_samples": expression.shape[0], "n_genes": expression.shape[1],
            "notes": expression.notes, "conversions": res.conversions,
        }
        run["warnings"] += list(report.to_dict().get("warnings", [])) + res.warnings
        if until == "score":
            out.run = run
            return out

    # ------------------------------------------------------------------ genomics
    gres = None
    inputs: dict[str, set[str]] = {"expression": set(expr_samples)}
    if any(x is not None for x in (maf, cna, segments, hla, hla_loh)):
        step("calling genomic events")
        from immunescape.genomics import (
            GeneCNA,
            MutationTable,
            Segments,
            read_cna,
            read_hla,
            read_hla_loh,
            read_maf,
            read_segments,
            run_genomics,
        )

        mt = maf if maf is None or isinstance(maf, MutationTable) else read_maf(
            maf, on_malformed_hgvs=on_malformed_hgvs, allow_empty=dna_samples == "all")
        cn = cna if cna is None or isinstance(cna, GeneCNA) else read_cna(cna)
        seg = segments if segments is None or isinstance(segments, Segments) \
            else read_segments(segments)
        geno = read_hla(hla) if hla is not None else None
        loh = read_hla_loh(hla_loh) if hla_loh is not None else None
        from immunescape.genomics.tmb import sequenced_samples

        sequenced = None if mt is None else sequenced_samples(mt, expr_samples,
                                                              dna_samples=dna_samples)
        unsequenced = [s for s in expr_samples if sequenced is not None and s not in sequenced]
        if unsequenced and len(unsequenced) < len(expr_samples):
            out.notices.append(
                f"{len(unsequenced)} expression sample(s) have no row in the MAF (e.g. "
                f"{', '.join(unsequenced[:3])}): taken as not sequenced (no TMB, no mutation "
                "status); pass --dna-samples all if every sample was sequenced (then TMB 0)")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gres = run_genomics(maf=mt, capture_mb=capture_mb, cna=cn, segments=seg,
                                hla=geno, hla_loh=loh, tmb_assay=tmb_assay,
                                samples=sequenced, genome_build=genome_build)
        run["warnings"] += [str(w.message) for w in caught]
        for name, table in gres.tables.items():
            if name != "genomic_events" and "sample_id" in table.columns:
                table = table.set_index("sample_id")
            out.tables[f"{name}.tsv"] = table
        run["genomics"] = gres.provenance
        maf_prov = gres.provenance.get("inputs", {}).get("maf", {})
        if maf_prov.get("malformed_hgvsp_rows"):
            out.documents.setdefault("input_report.json", {})["mutations"] = {
                "file": maf_prov.get("source"),
                "malformed_hgvsp_rows": maf_prov["malformed_hgvsp_rows"],
                "rule": "not protein HGVS: read as missing, classified from the variant class",
            }
        if mt is not None:
            inputs["mutations"] = {str(s) for s in (sequenced or mt.samples)}
        if cn is not None:
            inputs["cna"] = {str(s) for s in cn.samples}
        if seg is not None:
            inputs["segments"] = {str(s) for s in seg.samples}
        if geno is not None or loh is not None:
            have = set() if geno is None else {str(s) for s in geno.samples}
            if loh is not None:
                have |= set(loh["sample_id"].astype(str))
            inputs["hla"] = have
        own: list[tuple[str, Any, Any]] = [
            ("--maf", mt, None if mt is None or not mt.samples else mt.samples),
            ("--cna", cn, None if cn is None else cn.samples),
            ("--segments", seg, None if seg is None else seg.samples),
            ("--hla", hla, None if geno is None else geno.samples),
            ("--hla-loh", hla_loh, None if loh is None else loh["sample_id"])]
        out.notices += _check_dna_samples(
            [(o, getattr(x, "source", None) or str(x), {str(v) for v in ids})
             for o, x, ids in own if ids is not None], expr_samples)
        run["warnings"] += out.notices
    dna_samples_all = set().union(*(inputs.get(k, set()) for k in
                                    ("mutations", "cna", "segments", "hla")))
    if expr_samples and dna_samples_all:
        only_dna = sorted(dna_samples_all - set(expr_samples))
        only_rna = sorted(set(expr_samples) - dna_samples_all)
        if only_dna:
            run["warnings"].append(
                f"{len(only_dna)} sample(s) have DNA data but no expression (e.g. "
                f"{', '.join(only_dna[:3])}); RNA evidence is not assessable for them")
        if only_rna and len(only_rna) < len(expr_samples):
            run["warnings"].append(
                f"{len(only_rna)} expression sample(s) have no DNA data (e.g. "
                f"{', '.join(only_rna[:3])}); DNA evidence is not assessable for them")
        # (no overlap at all is refused per input above, by _check_dna_samples)
    all_samples = list(dict.fromkeys(expr_samples + sorted(dna_samples_all - set(expr_samples))))

    # ------------------------------------------------------------------ clinical
    clin_table = None
    if clinical is not None:
        step("reading clinical data")
        from immunescape.io import read_clinical

        ct = read_clinical(clinical, sd_rule=sd_rule, sample_ids=all_samples,
                           **dict(clinical_columns or {}))
        data = ct.data.copy()
        data.index = data.index.astype(str)
        extra = ct.extra.copy()
        extra.index = extra.index.astype(str)
        extra.columns = [_snake(c) for c in extra.columns]
        extra = extra.loc[:, ~extra.columns.isin(data.columns)]
        clin_table = data.join(extra)
        matched = set(clin_table.index) & set(all_samples)
        if not matched:
            from immunescape._sample_ids import example_pair, mismatch_hint

            x, y = example_pair(clin_table.index, all_samples)
            hint = mismatch_hint(map(str, clin_table.index), all_samples) \
                or f" (e.g. clinical {x!r} vs {y!r})"
            raise InputError(
                f"none of the {len(clin_table)} clinical sample ids matches a molecular sample "
                f"id{hint}",
                source=ct.source,
                fix="use the same sample ids as the expression/MAF columns, or name the id "
                "column with --sample-col",
            )
        extra_clin = sorted(set(clin_table.index) - set(all_samples))
        from immunescape._sample_ids import unmatched_samples_note

        note = unmatched_samples_note(
            sorted(set(all_samples) - matched), extra_clin, total=len(all_samples),
            what="molecular", missing="clinical row",
            consequence="get no response or survival data")
        if note:  # the user must see it at once: these samples are silently out of analyses
            run["warnings"].append(note)
            out.notices.append(note)
        if extra_clin:
            run["warnings"].append(
                f"{len(extra_clin)} clinical row(s) match no molecular sample and are ignored "
                f"(e.g. {', '.join(extra_clin[:3])})")
        clin_table = clin_table.loc[[s for s in clin_table.index if s in set(all_samples)]]
        if one_per_patient is not None:  # statistics across patients: one sample each
            from immunescape.io._patients import keep_one_per_patient, outcome_samples

            clin_table, kept_note = keep_one_per_patient(
                clin_table, rule=one_per_patient, samples=outcome_samples(clin_table),
                source=ct.source)
            if kept_note:
                run["warnings"].append(kept_note)
                out.notices.append(kept_note)
        inputs["clinical"] = set(clin_table.index)
        run["inputs"]["clinical"] = ct.provenance
        out.clinical = clin_table

    # ------------------------------------------------------------------ mechanisms
    step("calling mechanisms")
    g = gres.tables if gres is not None else {}

    def by_sample(name: str) -> pd.DataFrame | None:
        t = g.get(name)
        if t is None:
            return None
        t = t.copy()
        t["sample_id"] = t["sample_id"].astype(str)
        return t.drop_duplicates("sample_id").set_index("sample_id")

    reference_used = _reference_for_run(out.expression, scores, reference, cancer_type)
    if reference_used.get("scores") is not None:
        ref_scores = reference_used.pop("scores")
    else:
        reference_used.pop("scores", None)
    run["reference"] = reference_used
    if "housekeeping check" in reference_used["basis"]:  # the user must see it at once
        why = reference_used["basis"].removeprefix("analysed cohort only (")[:-1]
        note = f"expression: {why}; RNA percentiles and phenotypes are within the cohort"
        run["warnings"].append(note)
        out.notices.append(note)
    from immunescape.mechanisms._reference import match_cancer_type

    if (ct_note := match_cancer_type(cancer_type)[1]) is not None:  # pan-cancer, say so
        run["warnings"].append(ct_note)
        out.notices.append(ct_note)
    events = g.get("genomic_events")
    if events is not None:
        events = events.assign(sample_id=events["sample_id"].astype(str))
    evidence = Evidence(
        all_samples, scores=scores, reference_scores=ref_scores, score_names=names,
        events=events, tmb=by_sample("tmb"), scna=by_sample("scna"), hla=by_sample("hla"),
        clinical=clin_table, inputs=inputs,
    )
    calls = call_mechanisms(evidence, kb=kb)
    run["warnings"] += calls.warnings
    out.tables["mechanisms.tsv"] = calls.table
    if scores is not None:
        pheno = immune_phenotypes(out.expression, reference=ref_expr if reference else None,
                                  cancer_type=cancer_type, samples=all_samples)
        out.tables["phenotypes.tsv"] = pheno.table
        run["phenotypes"] = pheno.provenance
        from immunescape.mechanisms._engine import note_phenotype

        out.tables["mechanisms.tsv"] = note_phenotype(calls.table, pheno.table)
    step("ranking countermeasures")
    out.tables["recommendations.tsv"] = recommend(calls, kb=kb).recommendations
    run["mechanisms"] = {
        "percentiles": calls.percentile_basis,
        "parameters": kb.parameters.model_dump(),
        "synthesis": "strength = largest matched block weight (strong 1.0, moderate 0.6, "
        "weak 0.3) + 0.2 per further evidence type matched, capped at 1; present >= 0.6",
        "disclaimer": DISCLAIMER,
    }
    run["samples"] = {"n": len(all_samples), "by_input": {k: len(v) for k, v in inputs.items()}}
    logger.info("pipeline done on %d samples", len(all_samples))
    out.run = run
    return out


def _reference_for_run(expression: Any, scores: pd.DataFrame | None, reference: Any,
                       cancer_type: str | None) -> dict[str, Any]:
    """Which reference the RNA percentiles are taken against (for run.json).

    ``--reference`` wins; else whole-transcriptome, uncentred data use the shipped
    per-sample score quantiles (key ``scores``, removed before run.json); centred data and
    panels are compared within the analysed cohort only.
    """
    if scores is None:
        return {"basis": "none (no expression)"}
    if reference is not None:
        return {"basis": "user reference cohort", "file": str(reference)}
    from immunescape.mechanisms._reference import (
        REFERENCE_FILE,
        reference_group,
        reference_score_table,
        shipped_reference,
        shipped_reference_applies,
    )

    applies, why = shipped_reference_applies(expression)
    if not applies:
        return {"basis": f"analysed cohort only ({why})"}
    doc = shipped_reference()
    group = reference_group(cancer_type)
    return {"basis": "shipped reference", "file": REFERENCE_FILE, "version": doc["version"],
            "sha256": doc["sha256"], "group": group, "n": doc["groups"][group]["n"],
            "cohorts": doc["groups"][group]["cohorts"], "licence": doc["licence"],
            "scores": reference_score_table(group)}
