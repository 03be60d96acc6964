"""Cohorts for training and cross-cohort evaluation of response models.

:func:`load_cohort` reads an expression matrix and a clinical table (and optionally a MAF),
scores every registered signature, attaches TMB and chosen clinical variables, and keeps the
samples with a response label. :func:`stack_cohorts` and :func:`stack_union` pool cohorts into
one matrix with a cohort label per sample (the evaluations are in
:mod:`immunescape.predict._loco_compare` and :mod:`immunescape.predict._loco`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from immunescape._logging import logger
from immunescape._vocab import DnaSamples, TmbAssay, Unit
from immunescape.errors import InputError

if TYPE_CHECKING:
    from immunescape.io._clinical import SdRule
    from immunescape.io._expression import OnMissing as ExpressionOnMissing

__all__ = [
    "TMB_FEATURES", "Cohort", "cohort_name", "known_tmb_only", "load_cohort", "parse_cohort_spec",
    "stack_cohorts", "stack_union",
]

#: The model features computed from TMB (:func:`load_cohort`).
TMB_FEATURES: tuple[str, ...] = ("tmb", "tmb_log2")

_EXPR_SUFFIXES = (".tsv.gz", ".csv.gz", ".txt.gz", ".tsv", ".csv", ".txt", ".parquet", ".h5ad")


@dataclass(frozen=True)
class Cohort:
    """One labelled cohort ready for training or evaluation.

    Attributes
    ----------
    name
        Cohort label (unique within a training run).
    X
        Labelled samples x features (index ``sample_id``): every registry score (NaN where
        coverage was too low), plus ``tmb`` / ``tmb_log2`` and clinical columns when asked.
    y
        1 for responders, 0 for non-responders (index as X).
    meta
        Provenance: files, response rule and counts, dropped samples, feature status, warnings.
    """

    name: str
    X: pd.DataFrame
    y: pd.Series
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Labelled samples."""
        return int(self.y.size)

    @property
    def n_responders(self) -> int:
        """Responders among them."""
        return int(self.y.sum())

    def available(self, features: Iterable[str]) -> list[str]:
        """Features present with a value for every sample, in the given order.

        Returns
        -------
        list of str
        """
        return [f for f in features if f in self.X.columns and self.X[f].notna().all()]


def cohort_name(path: str | os.PathLike[str]) -> str:
    """Name a cohort after its expression file (the one naming rule of every command).

    Examples
    --------
    >>> cohort_name("data/Hugo2016_melanoma_PD1_expr_log2tpm.tsv.gz")
    'Hugo2016_melanoma_PD1'
    """
    base = Path(path).name
    for suffix in _EXPR_SUFFIXES:
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
            break
    for tail in ("_expr_log2tpm", "_expression", "_expr", "_tpm", "_counts"):
        if base.endswith(tail):
            base = base[: -len(tail)]
    return base or str(path)


def parse_cohort_spec(spec: str) -> tuple[str, str, str | None]:
    """Split a command-line cohort ``EXPR:CLINICAL[:MAF]`` into its paths.

    Parameters
    ----------
    spec
        Two or three paths separated by ``:``.

    Returns
    -------
    tuple
        (expression path, clinical path, MAF path or None).

    Examples
    --------
    >>> parse_cohort_spec("riaz_expr.tsv:riaz_clinical.tsv")
    ('riaz_expr.tsv', 'riaz_clinical.tsv', None)
    """
    parts = str(spec).split(":")
    if len(parts) not in (2, 3) or not all(p.strip() for p in parts):
        raise InputError(
            f"cohort {spec!r} is not EXPR:CLINICAL or EXPR:CLINICAL:MAF",
            source="--cohort",
            fix="give two or three file paths separated by ':' (paths must not contain ':')",
        )
    parts = [p.strip() for p in parts]
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def load_cohort(
    expr_path: str | os.PathLike[str],
    clinical_path: str | os.PathLike[str],
    *,
    maf: str | os.PathLike[str] | None = None,
    name: str | None = None,
    unit: Unit | None = None,
    on_missing: ExpressionOnMissing = "drop",
    layer: str | None = None,
    sd_rule: SdRule = "pfs6",
    response_col: str | None = None,
    response_map: Mapping[str, str | None] | None = None,
    na_values: Sequence[str] | None = None,
    signatures: Iterable[str] | None = None,
    tmb_column: str | None = None,
    capture_mb: float | Mapping[str, float] | None = None,
    tmb_assay: TmbAssay | None = None,
    maf_columns: Mapping[str, str] | None = None,
    dna_samples: DnaSamples = "maf",
    clinical_features: Sequence[str] = (),
    min_cohort_size: int = 10,
    seed: int = 0,
    one_per_patient: Literal["refuse", "first", "pre", "on"] = "refuse",
) -> Cohort:
    """Read, score and label one cohort for training or evaluation.

    Every signature of the registry (or ``signatures``) is scored on all samples of the
    expression file (cohort-relative scores use the whole cohort; no labels are involved),
    then the samples present in both files with a response label (R or NR, under the
    clinical reader's rule) are kept.

    Parameters
    ----------
    expr_path
        Expression matrix (see :func:`immunescape.io.read_expression`).
    clinical_path
        Clinical table (see :func:`immunescape.io.read_clinical`).
    maf
        Optional MAF: adds ``tmb`` (mutations per Mb, :func:`immunescape.genomics.compute_tmb`;
        needs ``capture_mb``) and ``tmb_log2`` = log2(TMB + 1). Which labelled samples were
        sequenced follows ``dna_samples``.
    name
        Cohort label; default: the expression file name without suffixes.
    unit, on_missing, layer
        Passed to :func:`~immunescape.io.read_expression` (``on_missing="drop"`` drops
        genes with NaN values; ``layer``: the AnnData layer of an h5ad file).
    sd_rule, response_col, response_map, na_values
        Passed to :func:`~immunescape.io.read_clinical` (the response rule).
    signatures
        Signature ids to score; default all.
    tmb_column
        A clinical column holding TMB (mut/Mb), used when no MAF is given.
    capture_mb, tmb_assay, maf_columns
        Passed to :func:`~immunescape.genomics.compute_tmb` (``assay``) and
        :func:`~immunescape.genomics.read_maf` (``columns``).
    dna_samples
        The rule of ``--dna-samples`` (:func:`immunescape.genomics.tmb.sequenced_samples`):
        ``"maf"`` (default) takes only the samples with a row in the MAF as sequenced, so a
        labelled sample without one has TMB NaN (unknown; listed in ``meta["tmb_unknown"]``
        with a warning); ``"all"`` takes every labelled sample as sequenced (no row: TMB 0).
    clinical_features
        Clinical columns (harmonised or extra) to add as numeric features, e.g. ``["age"]``.
    min_cohort_size, seed
        Passed to :func:`~immunescape.signatures.runner.score` (``min_cohort``, ``seed``).
    one_per_patient
        Labelled samples of one patient (pre- and on-treatment biopsies) are refused
        (``"refuse"``, default: the AUCs assume one sample per patient), or one is kept:
        ``"first"``, ``"pre"`` or ``"on"`` (see
        :func:`immunescape.io._patients.keep_one_per_patient`).

    Returns
    -------
    Cohort

    Raises
    ------
    InputError
        Unreadable inputs; no sample shared by the two files; a MAF naming no expression
        sample; no labelled sample; one outcome class only; a clinical feature that is absent
        or not numeric.
    """
    from immunescape.io import read_clinical, read_expression
    from immunescape.signatures.runner import score

    label = name or cohort_name(expr_path)
    expr, report = read_expression(expr_path, unit=unit, on_missing=on_missing, layer=layer)
    clin = read_clinical(
        clinical_path,
        sd_rule=sd_rule,
        response_col=response_col,
        response_map=response_map,
        na_values=na_values,
        sample_ids=[str(s) for s in expr.samples],
    )
    in_expr = [str(s) for s in expr.samples]
    clin_ids = set(map(str, clin.samples))
    shared = [s for s in in_expr if s in clin_ids]
    if not shared:
        raise InputError(
            f"no sample id is in both files (expression e.g. {in_expr[:3]!r}; clinical e.g. "
            f"{[str(s) for s in clin.samples[:3]]!r})",
            source=str(clinical_path),
            fix="use the same sample ids in the expression columns and the clinical table",
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = score(expr, signatures=signatures, min_cohort_size=min_cohort_size, seed=seed)
    coverage_notes = [str(w.message) for w in caught]
    scores = result.scores.copy()
    scores.index = scores.index.astype(str)
    response = clin.response.copy()
    response.index = response.index.astype(str)
    resp = response.reindex(shared)
    labelled = [s for s in shared if pd.notna(resp[s])]
    if not labelled:
        raise InputError(
            f"none of the {len(shared)} shared samples has a response label",
            source=str(clinical_path),
            fix="check the response/RECIST columns (response_col=, response_map=, sd_rule=)",
        )
    patient_note = None
    if labelled:
        from immunescape.io._patients import keep_one_per_patient

        frame = clin.data.join(clin.extra, rsuffix="_extra")
        frame.index = frame.index.astype(str)
        kept, patient_note = keep_one_per_patient(
            frame.loc[labelled], rule=one_per_patient, source=str(clinical_path))
        labelled = [s for s in labelled if s in set(kept.index)]
    X = scores.loc[labelled].copy()
    X.index.name = "sample_id"
    meta: dict[str, Any] = {
        "name": label,
        "expression": str(expr_path),
        "clinical": str(clinical_path),
        "maf": str(maf) if maf is not None else None,
        "unit": expr.unit,
        "n_expression_samples": len(in_expr),
        "n_clinical_samples": len(clin),
        "n_shared": len(shared),
        "n_labelled": len(labelled),
        "dropped_unlabelled": [s for s in shared if s not in set(labelled)],
        "clinical_only": [str(s) for s in clin.samples if str(s) not in set(in_expr)],
        "expression_only": [s for s in in_expr if s not in clin_ids],
        "response_rule": clin.provenance.get("response_rule"),
        "sd_rule": sd_rule,
        "feature_status": dict(zip(result.features["id"], result.features["status"], strict=True)),
        "coverage_warnings": list(result.warnings),
        "warnings": list(clin.provenance.get("warnings", []))
        + list(report.warnings)
        + coverage_notes
        + [n for n in [unmatched_note(
            [s for s in in_expr if s not in clin_ids],
            [str(s) for s in clin.samples if str(s) not in set(in_expr)],
            total=len(in_expr))] if n]
        + ([patient_note] if patient_note else []),
        "features": [],
    }
    if maf is not None:
        from immunescape.genomics import compute_tmb, read_maf

        if capture_mb is None:
            raise InputError(
                "TMB from a MAF needs the capture size (there is no default)",
                source="capture_mb",
                fix="give the megabases the assay sequences (e.g. 38.0 for an exome kit), or "
                "leave out the MAF",
            )
        from immunescape._sample_ids import check_input_samples
        from immunescape.genomics.tmb import sequenced_samples

        mt = read_maf(maf, columns=maf_columns, allow_empty=dna_samples == "all")
        try:  # a MAF naming none of the expression samples: ids that do not match
            note = check_input_samples(mt.samples, in_expr, option="MAF", source=str(maf),
                                       others_name="expression matrix")
        except InputError as exc:
            raise InputError(
                exc.problem, source=f"--cohort {label}: {maf}",
                fix="use the expression matrix's sample ids in the MAF, or give the cohort "
                "as EXPR:CLINICAL without it") from None
        if note:
            meta["warnings"].append(note)
        sequenced = sequenced_samples(mt, labelled, dna_samples=dna_samples)
        tmb = compute_tmb(mt, capture_mb=capture_mb, samples=sequenced, tmb_assay=tmb_assay)
        per_mb = tmb.set_index("sample_id")["tmb_per_mb"].reindex(labelled)
        X["tmb"] = per_mb.to_numpy(dtype=float)
        meta["tmb_rule"] = str(tmb["rule"].iloc[0]) if len(tmb) else None
        meta["tmb_source"] = "maf"
        meta["dna_samples"] = dna_samples
        meta["tmb_unknown"] = [s for s in labelled if pd.isna(per_mb[s])]
        if meta["tmb_unknown"]:
            unknown = meta["tmb_unknown"]
            meta["warnings"].append(
                f"{len(unknown)} of {len(labelled)} labelled samples have no row in the MAF "
                f"(e.g. {', '.join(unknown[:3])}): taken as not sequenced, TMB unknown; pass "
                "--dna-samples all if every sample was sequenced (then TMB 0)")
    elif tmb_column is not None:
        X["tmb"] = _numeric_column(clin, tmb_column, labelled, str(clinical_path))
        meta["tmb_source"] = f"clinical column {tmb_column!r}"
    if "tmb" in X.columns:
        if (X["tmb"] < 0).any():
            raise InputError(
                "negative TMB values", source=str(maf or clinical_path), fix="check the TMB"
            )
        X["tmb_log2"] = np.log2(X["tmb"] + 1.0)
    for col in clinical_features:
        X[col] = _numeric_column(clin, col, labelled, str(clinical_path))
    y = (resp.reindex(labelled) == "R").astype(np.int8)
    y.index.name = "sample_id"
    y.name = "response"
    n_pos = int(y.sum())
    meta.update(n_responders=n_pos, n_non_responders=int(y.size - n_pos))
    if n_pos == 0 or n_pos == y.size:
        only = "responders (R)" if n_pos else "non-responders (NR)"
        raise InputError(
            f"cohort {label!r}: all {y.size} labelled samples are {only}; a cohort for training "
            "or evaluation needs both outcomes",
            source=str(clinical_path),
            fix="leave this cohort out, or check the response rule (sd_rule=, response_map=)",
        )
    meta["features"] = list(X.columns)
    logger.info(
        "cohort %s: %d labelled samples (%d responders) of %d shared; %d features",
        label,
        y.size,
        n_pos,
        len(shared),
        X.shape[1],
    )
    return Cohort(name=label, X=X, y=y, meta=meta)


def _numeric_column(clin: Any, column: str, samples: list[str], source: str) -> np.ndarray:
    frame = pd.concat([clin.data, clin.extra], axis=1)
    frame.index = frame.index.astype(str)
    if column not in frame.columns:
        raise InputError(
            f"no clinical column {column!r}",
            source=source,
            fix=f"choose one of {', '.join(map(repr, list(frame.columns)[:12]))} ...",
        )
    raw = frame[column].reindex(samples)
    text = raw.astype("string").str.strip()
    num = pd.to_numeric(text.mask(text == ""), errors="coerce")
    bad = num.isna() & text.notna() & (text != "")
    if bad.any():
        raise InputError(
            f"column {column!r} is not numeric (e.g. {text[bad].iloc[0]!r})",
            source=source,
            fix="encode it as numbers, or leave it out of the features",
        )
    return num.to_numpy(dtype=float)


# ---------------------------------------------------------------------------- stacking
def require_features(
    cohorts: Sequence[Cohort], features: Sequence[str], *, complete: bool, what: str, fix: str
) -> None:
    """Raise one InputError listing, per cohort, the features it lacks.

    ``complete``: a feature with a missing value in some sample also counts as lacking.
    """
    lacking = {
        c.name: [f for f in features if f not in (c.available(features) if complete
                                                  else c.X.columns)]
        for c in cohorts
    }
    lacking = {k: v for k, v in lacking.items() if v}
    if lacking:
        detail = "; ".join(f"{k}: {', '.join(v[:8])}" for k, v in lacking.items())
        raise InputError(f"{what}: {detail}", source="cohorts", fix=fix)


def stack_cohorts(
    cohorts: Sequence[Cohort], *, features: Sequence[str] | None = None
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Pool cohorts into one matrix with a cohort label per sample.

    Parameters
    ----------
    cohorts
        Cohorts with unique names.
    features
        Columns to keep (default: those present in every cohort).

    Returns
    -------
    tuple
        ``X`` (samples x features; sample ids prefixed ``"cohort:"`` when an id occurs in two
        cohorts), ``y`` (0/1) and the cohort labels.

    Examples
    --------
    >>> import pandas as pd
    >>> a = Cohort("a", pd.DataFrame({"cyt": [1.0, 2.0]}, index=["s1", "s2"]),
    ...            pd.Series([0, 1], index=["s1", "s2"]))
    >>> b = Cohort("b", pd.DataFrame({"cyt": [5.0, 7.0]}, index=["s1", "s9"]),
    ...            pd.Series([1, 0], index=["s1", "s9"]))
    >>> X, y, c = stack_cohorts([a, b])
    >>> list(X.index), y.tolist(), c.tolist()
    (['a:s1', 'a:s2', 'b:s1', 'b:s9'], [0, 1, 1, 0], ['a', 'a', 'b', 'b'])
    """
    if not cohorts:
        raise InputError("no cohorts given", source="cohorts", fix="pass at least one cohort")
    names = [c.name for c in cohorts]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(
            f"duplicated cohort name(s): {', '.join(dup)}",
            source="cohorts",
            fix="give every cohort its own name (load_cohort(..., name=...))",
        )
    if features is None:
        common = [f for f in cohorts[0].X.columns if all(f in c.X.columns for c in cohorts)]
    else:
        common = list(features)
        require_features(
            cohorts, common, complete=False, what="feature(s) absent from cohort(s)",
            fix="score the same signatures in every cohort",
        )
    ids = [str(s) for c in cohorts for s in c.X.index]
    prefix = len(set(ids)) < len(ids)
    frames = []
    for c in cohorts:
        block = c.X[common].copy()
        if prefix:
            block.index = [f"{c.name}:{s}" for s in block.index]
        frames.append(block)
    X = pd.concat(frames, axis=0)
    X.index.name = "sample_id"
    y = np.concatenate([c.y.reindex(c.X.index).to_numpy(dtype=np.int8) for c in cohorts])
    labels = np.concatenate([np.full(c.X.shape[0], c.name, dtype=object) for c in cohorts])
    return X, y, labels


def stack_union(cohorts: Sequence[Cohort]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Pool cohorts on the union of their columns (NaN where a cohort lacks a feature).

    Returns
    -------
    tuple
        X (index ``cohort:sample``), y (0/1, float), cohort labels.

    Examples
    --------
    >>> a = Cohort("a", pd.DataFrame({"cyt": [1.0]}, index=["s1"]), pd.Series([1], index=["s1"]))
    >>> b = Cohort("b", pd.DataFrame({"tls9": [2.0]}, index=["s1"]), pd.Series([0], index=["s1"]))
    >>> X, y, c = stack_union([a, b])
    >>> X
          cyt  tls9
    a:s1  1.0   NaN
    b:s1  NaN   2.0
    """
    frames = []
    for c in cohorts:
        block = c.X.copy()
        block.index = [f"{c.name}:{s}" for s in block.index]
        frames.append(block)
    X = pd.concat(frames, axis=0, sort=False)
    y = np.concatenate([c.y.reindex(c.X.index).to_numpy(dtype=float) for c in cohorts])
    lab = np.concatenate([np.full(c.n, c.name, dtype=object) for c in cohorts])
    return X, y, lab


def unmatched_note(expression_only: list[str], clinical_only: list[str], *,
                   total: int) -> str | None:
    """Return the warning for expression samples left out for want of a clinical row.

    Examples
    --------
    >>> unmatched_note(["Pt2"], ["pt2"], total=2)  # doctest: +ELLIPSIS
    "1 of 2 expression samples have no clinical row and are left out (e.g. 'Pt2'); 1 of them ..."
    """
    from immunescape._sample_ids import unmatched_samples_note

    return unmatched_samples_note(expression_only, clinical_only, total=total,
                                  what="expression", missing="clinical row",
                                  consequence="are left out")


def known_tmb_only(
    cohorts: Sequence[Cohort], features: Iterable[str], *, min_size: int, fix: str
) -> tuple[list[Cohort], list[str]]:
    """Leave out the labelled samples of unknown TMB when the model's features use TMB.

    A sample without a MAF row under ``--dna-samples maf`` has TMB NaN (not sequenced). A
    model that reads ``tmb`` or ``tmb_log2`` cannot score it, so each cohort keeps its
    samples with a TMB; the choice depends on the MAF alone (never on a label), so the
    training and held-out sets of a leave-one-cohort-out stay separate. Cohorts are
    returned unchanged when the features use no TMB or every sample has one.

    Parameters
    ----------
    cohorts
        Labelled cohorts (:func:`load_cohort`).
    features
        The model's feature ids.
    min_size
        Fewest samples, with both outcomes, a cohort must keep.
    fix
        The end of the refusal's fix (what else the user can do), after the default.

    Returns
    -------
    tuple
        The cohorts (restricted where needed) and one note per restricted cohort.

    Raises
    ------
    InputError
        A cohort left with fewer than ``min_size`` samples or with one outcome only.

    Examples
    --------
    >>> X = pd.DataFrame({"tmb": [1.0, np.nan, 3.0, 4.0]}, index=["a", "b", "c", "d"])
    >>> c = Cohort("c1", X, pd.Series([0, 1, 1, 0], index=X.index))
    >>> kept, notes = known_tmb_only([c], ["tmb"], min_size=2, fix="")
    >>> list(kept[0].X.index), notes[0]  # doctest: +ELLIPSIS
    (['a', 'c', 'd'], 'cohort c1: 1 of 4 labelled samples have no TMB (e.g. b) ...')
    """
    used = [f for f in features if f in TMB_FEATURES]
    out: list[Cohort] = []
    notes: list[str] = []
    for c in cohorts:
        cols = [f for f in used if f in c.X.columns]
        unknown = c.X[cols].isna().any(axis=1) if cols else pd.Series(False, index=c.X.index)
        if not unknown.any():
            out.append(c)
            continue
        keep = c.X.index[~unknown.to_numpy()]
        y = c.y.reindex(keep)
        left = [str(s) for s in c.X.index[unknown.to_numpy()]]
        if len(keep) < min_size or y.nunique() < 2:
            raise InputError(
                f"cohort {c.name!r}: {len(left)} of {c.n} labelled samples have no TMB (no "
                f"row in the MAF: not sequenced), leaving {len(keep)} ({int(y.sum())} "
                f"responders) for the features {', '.join(used)}; at least {min_size} with "
                "both outcomes are needed",
                source="--cohort",
                fix="pass --dna-samples all if every sample was sequenced (then TMB 0)" + fix,
            )
        note = (f"cohort {c.name}: {len(left)} of {c.n} labelled samples have no TMB (e.g. "
                f"{', '.join(left[:3])}) and are left out, as the model uses "
                f"{', '.join(used)}; pass --dna-samples all if every sample was sequenced "
                "(then TMB 0)")
        meta = {**c.meta, "n_labelled": len(keep), "left_out_tmb_unknown": left,
                "n_responders": int(y.sum()), "n_non_responders": int(len(keep) - y.sum()),
                "warnings": [*c.meta.get("warnings", []), note]}
        out.append(Cohort(name=c.name, X=c.X.loc[keep], y=y, meta=meta))
        notes.append(note)
    return out, notes
