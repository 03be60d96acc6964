"""One call for a whole cohort comparison: :func:`compare_cohort` -> :class:`CompareResult`.

The command line (``immunescape compare``) reads the inputs and calls this function; it
returns tidy tables (written as TSV), static figures, the settings for ``run.json`` and the
warnings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from immunescape._logging import logger
from immunescape._result import Result
from immunescape._validate import check_choice
from immunescape.compare._associations import CiMethod, _associations
from immunescape.compare._common import (
    NON_RESPONDER,
    RESPONDER,
    clinical_frame,
    numeric_features,
    recorded_warnings,
    require_columns,
    response_labels,
    short_list,
)
from immunescape.compare._de import _differential_expression, check_counts
from immunescape.compare._km import km_table
from immunescape.compare._mutations import _mechanism_enrichment, _mutation_enrichment
from immunescape.compare._paired import _new_events, _paired_changes, split_by_timepoint
from immunescape.compare._pathways import _pathway_contrasts
from immunescape.compare._survival import _survival
from immunescape.compare._survival_input import Cut
from immunescape.errors import InputError
from immunescape.expression import Expression
from immunescape.tables import write_tsv

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["CompareResult", "compare_cohort", "write_tables"]

#: Default survival endpoints read from a harmonised clinical table.
ENDPOINTS = (("OS", "os_months", "os_event"), ("PFS", "pfs_months", "pfs_event"))


@dataclass
class CompareResult(Result):
    """Tables, figures, settings and warnings of a cohort comparison.

    Attributes
    ----------
    associations, survival, km, de, pathways, mutations, mechanisms_enrichment, paired, new_events
        The tables (``<name>.tsv``; None when not computed); :attr:`tables` holds those
        computed, in this order.
    figures
        Name -> matplotlib Figure (see :func:`~immunescape.compare.make_figures`).
    settings
        Per analysis (``settings["analyses"]``): tests, options and sample counts; the
        response column and counts; the paired design. For ``run.json``.
    warnings
        What was skipped or left out, and warnings of the scoring and of PyDESeq2.
    data
        Per-sample inputs the figures need (features, response, pairs).
    """

    table_names = (
        "associations",
        "survival",
        "km",
        "de",
        "pathways",
        "mutations",
        "mechanisms_enrichment",
        "paired",
        "new_events",
    )

    associations: pd.DataFrame | None = None
    survival: pd.DataFrame | None = None
    km: pd.DataFrame | None = None
    de: pd.DataFrame | None = None
    pathways: pd.DataFrame | None = None
    mutations: pd.DataFrame | None = None
    mechanisms_enrichment: pd.DataFrame | None = None
    paired: pd.DataFrame | None = None
    new_events: pd.DataFrame | None = None
    figures: dict[str, Figure] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def write_tables(result: CompareResult, outdir: str | Path) -> list[Path]:
    """Write every table of ``result`` as ``<name>.tsv`` in ``outdir``.

    Each table is written by :func:`immunescape.tables.write_tsv` (floats to 6 significant
    digits, ``NA``, booleans ``true``/``false``), as the command line writes it.

    Returns
    -------
    list of pathlib.Path
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    return [write_tsv(table, out / f"{name}.tsv") for name, table in result.tables.items()]


def _sample_column_frame(table: pd.DataFrame, name: str) -> pd.DataFrame:
    if "sample_id" in table.columns:
        return table.set_index("sample_id")
    if table.index.name == "sample_id" or not isinstance(table.index, pd.RangeIndex):
        return table
    raise InputError(f"{name} table has no sample_id column", source=name)


def _features(
    expr: Expression | None,
    scores: pd.DataFrame | None,
    feature_info: pd.DataFrame | None,
    tmb: pd.DataFrame | None,
    mechanisms: pd.DataFrame | None,
    messages: list[str],
    seed: int,
) -> tuple[pd.DataFrame | None, dict[str, str]]:
    parts = []
    kinds: dict[str, str] = {}
    if scores is None and expr is not None:
        from immunescape.signatures.runner import score

        with recorded_warnings() as caught:
            res = score(expr, seed=seed)
        messages.extend(f"scores: {w}" for w in caught)
        scores, feature_info = res.scores, res.features
    if scores is not None:
        sc = numeric_features(scores, source="scores")
        parts.append(sc)
        if feature_info is not None and "kind" in feature_info:
            ids = feature_info["id"] if "id" in feature_info else feature_info.index
            kinds.update(dict(zip(ids.astype(str), feature_info["kind"].astype(str), strict=True)))
        for c in sc.columns:
            kinds.setdefault(c, "score")
    if tmb is not None:
        t = _sample_column_frame(tmb, "tmb")
        if "tmb_per_mb" not in t.columns:
            raise InputError("tmb table has no tmb_per_mb column", source="tmb")
        parts.append(t[["tmb_per_mb"]].astype(float))
        kinds["tmb_per_mb"] = "genomic"
    if mechanisms is not None and "strength" in mechanisms.columns:
        m = mechanisms
        if "status" in m.columns:
            m = m[m["status"] != "not_assessable"]
        wide = m.pivot_table(
            index="sample_id", columns="mechanism_id", values="strength", aggfunc="first"
        )
        wide.columns = [f"mechanism:{c}" for c in wide.columns]
        parts.append(wide.astype(float))
        kinds.update(dict.fromkeys(wide.columns, "mechanism"))
    if not parts:
        return None, kinds
    joined = pd.concat(parts, axis=1, join="outer")
    return joined, kinds


def compare_cohort(
    clinical: Any,
    *,
    expr: Expression | None = None,
    scores: pd.DataFrame | None = None,
    feature_info: pd.DataFrame | None = None,
    counts: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    tmb: pd.DataFrame | None = None,
    mechanisms: pd.DataFrame | None = None,
    sequenced_samples: Sequence[str] | None = None,
    response_col: str = "response",
    time_col: str | None = None,
    event_col: str | None = None,
    covariates: Sequence[str] | None = None,
    cut: Cut = "median",
    ci_method: CiMethod = "delong",
    patient_col: str | None = None,
    timepoint_col: str | None = None,
    pre: str = "pre",
    post: str = "on",
    min_per_group: int = 3,
    gene_sets: dict[str, list[str]] | None = None,
    draw_figures: bool = True,
    n_jobs: int = 1,
    seed: int = 0,
) -> CompareResult:
    """Compare responders with non-responders, survival and paired biopsies of one cohort.

    Parameters
    ----------
    clinical
        :class:`~immunescape.io.ClinicalTable` (or DataFrame indexed by sample id) with the
        response (``response_col``: R / NR), survival columns, covariates and, for paired
        designs, the patient and timepoint columns.
    expr
        Expression: scored with the whole signature registry when ``scores`` is None, and
        used for Welch t-test DE (log2(TPM + 1)) when no counts are given (raw counts in an
        ``Expression`` of unit ``counts`` go to PyDESeq2).
    scores, feature_info
        Precomputed ``ScoreResult.scores`` / ``.features`` (instead of scoring ``expr``).
    counts
        Raw integer counts (samples x genes) for PyDESeq2.
    events, tmb, mechanisms
        ``genomic_events``, ``tmb`` (adds the ``tmb_per_mb`` feature) and ``mechanisms``
        (adds ``mechanism:<id>`` strength features and the mechanism enrichment table).
    sequenced_samples
        Samples whose DNA was sequenced (default: the ``tmb`` table's samples, else the
        samples with an event, with a warning).
    response_col, time_col, event_col, covariates, cut, ci_method, min_per_group
        As in the individual analyses. Without ``time_col``/``event_col`` the endpoints
        ``os_months``/``os_event`` and ``pfs_months``/``pfs_event`` are used when present.
    patient_col, timepoint_col, pre, post
        Paired design: unpaired analyses use the ``pre`` samples; ``paired.tsv`` holds the
        within-patient changes and ``new_events.tsv`` the events acquired at ``post``.
    gene_sets
        Gene sets for ``pathways.tsv`` (default: the signature registry's).
    draw_figures
        Draw the figures (else ``figures`` is empty; :func:`write_figures` draws them).
    n_jobs, seed
        PyDESeq2 processes; seed of bootstrap intervals and random-background scores.

    Returns
    -------
    CompareResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> ids = [f"s{i}" for i in range(12)]
    >>> clin = pd.DataFrame({"response": ["R"] * 6 + ["NR"] * 6,
    ...                      "os_months": rng.uniform(1, 30, 12),
    ...                      "os_event": [1, 0] * 6}, index=ids)
    >>> f = pd.DataFrame({"cyt": np.r_[rng.normal(2, 1, 6), rng.normal(0, 1, 6)]}, index=ids)
    >>> res = compare_cohort(clin, scores=f, draw_figures=False)
    >>> list(res.tables)
    ['associations', 'survival', 'km']
    """
    check_choice("ci_method", ci_method, CiMethod)
    clin = clinical_frame(clinical)
    messages: list[str] = []
    prov: dict[str, Any] = {"analyses": {}}
    if response_col not in clin.columns:
        raise InputError(
            f"no response column {response_col!r} (columns: {short_list(clin.columns, 12)})",
            source="clinical",
            fix="name the response column (--response-col)",
        )
    y_all = response_labels(clin[response_col], source=response_col)
    if not y_all.notna().any():
        raise InputError(
            "no sample has a response (R or NR): no response or RECIST column was found, or "
            f"it is empty (columns: {short_list(clin.columns, 12)})",
            source="clinical",
            fix="name the column holding the response with --response-col (and "
            "--response-rule binary for R/NR values)",
        )
    if isinstance(covariates, str):
        covariates = [c.strip() for c in covariates.split(",") if c.strip()]
    missing_cov = [c for c in covariates or [] if c not in clin.columns]
    if missing_cov:
        raise InputError(
            f"covariate column(s) not found: {short_list(missing_cov)} (columns: "
            f"{short_list(clin.columns, 12)})",
            source="covariates",
            fix="name columns of the clinical table (--covariates a,b)",
        )

    feats, kinds = _features(expr, scores, feature_info, tmb, mechanisms, messages, seed)
    paired = patient_col is not None or timepoint_col is not None
    baseline = clin.index
    if paired:
        if patient_col is None or timepoint_col is None:
            raise InputError(
                "a paired design needs both patient_col and timepoint_col",
                source="paired",
                fix="give --patient-col and --timepoint-col",
            )
        require_columns(
            clin,
            (patient_col, timepoint_col),
            source="clinical",
            fix="name the patient and timepoint columns",
        )
        tp = clin[timepoint_col].astype(str).str.strip().str.lower()
        baseline = clin.index[tp == str(pre).strip().lower()]
        prov["paired_design"] = {
            "patient_col": patient_col,
            "timepoint_col": timepoint_col,
            "pre": pre,
            "post": post,
            "unpaired_analyses_on": f"{pre!r} samples ({len(baseline)})",
        }
    y = y_all.loc[y_all.index.intersection(baseline, sort=False)]
    prov["response"] = {
        "column": response_col,
        "n_responders": int((y == RESPONDER).sum()),
        "n_non_responders": int((y == NON_RESPONDER).sum()),
        "rule": getattr(clinical, "provenance", {}).get("response_rule")
        if hasattr(clinical, "provenance")
        else None,
    }
    result = CompareResult(settings=prov, warnings=messages)

    # ---------------------------------------------------------------- associations
    if feats is not None:
        fb = feats.loc[feats.index.intersection(baseline, sort=False)]
        result.associations, prov["analyses"]["associations"] = _associations(
            fb, y, ci_method=ci_method, min_per_group=min_per_group, seed=seed, feature_info=kinds
        )
        result.data.update(features=fb, response=y)

        # ------------------------------------------------------------ survival
        endpoints: list[tuple[str | None, str, str]] = []
        if time_col is not None or event_col is not None:
            if time_col is None or event_col is None:
                raise InputError(
                    "survival needs both time_col and event_col",
                    source="survival",
                    fix="give --time-col and --event-col",
                )
            endpoints.append((None, time_col, event_col))
        else:
            for ep_name, tc, ec in ENDPOINTS:
                if tc in clin and ec in clin and clin[tc].notna().any() and clin[ec].notna().any():
                    endpoints.append((ep_name, tc, ec))
        surv_parts, km_parts = [], []
        prov["analyses"]["survival"] = []
        for endpoint, tc, ec in endpoints:
            cb = clin.loc[clin.index.intersection(baseline, sort=False)]
            n_ok = int((cb[tc].notna() & cb[ec].notna()).sum())
            if n_ok < 2 * min_per_group:
                messages.append(
                    f"survival {endpoint or tc}: only {n_ok} samples with data; skipped"
                )
                continue
            s, s_settings = _survival(
                fb,
                cb,
                time_col=tc,
                event_col=ec,
                endpoint=endpoint,
                cut=cut,
                covariates=covariates,
                min_per_group=min_per_group,
                feature_info=kinds,
            )
            surv_parts.append(s)
            prov["analyses"]["survival"].append(s_settings)
            km_parts.append(km_table(fb, cb, time_col=tc, event_col=ec, endpoint=endpoint, cut=cut))
        if surv_parts:
            result.survival = pd.concat(surv_parts, ignore_index=True)
            result.km = pd.concat(km_parts, ignore_index=True)

    # ---------------------------------------------------------------- DE + pathways
    cov_frame = clin[list(covariates)] if covariates else None
    de: tuple[pd.DataFrame, dict[str, Any]] | None = None
    if counts is not None:
        cb = check_counts(counts)
        cb = cb.loc[cb.index.intersection(baseline, sort=False)]
        de = _differential_expression(
            cb, None, y, covariates=cov_frame, min_per_group=min_per_group, n_jobs=n_jobs
        )
    elif expr is not None:
        keep = [s for s in expr.samples if s in set(baseline)]
        sub = expr.subset(keep)
        vals = sub.values.to_numpy()
        if expr.unit == "counts" and np.all(vals == np.round(vals)):
            de = _differential_expression(
                sub.values,
                None,
                y,
                covariates=cov_frame,
                min_per_group=min_per_group,
                n_jobs=n_jobs,
            )
        else:
            de = _differential_expression(
                None, sub, y, covariates=cov_frame, min_per_group=min_per_group
            )
    if de is not None:
        result.de, prov["analyses"]["de"] = de
        result.pathways, prov["analyses"]["pathways"] = _pathway_contrasts(
            result.de, gene_sets=gene_sets
        )

    # ---------------------------------------------------------------- mutations
    if events is not None:
        if sequenced_samples is not None:
            seq = list(sequenced_samples)
        elif tmb is not None:
            seq = list(_sample_column_frame(tmb, "tmb").index)
        else:
            seq = list(dict.fromkeys(events["sample_id"]))
            messages.append(
                "mutations: no list of sequenced samples; only samples with at least one "
                "event are counted (give the tmb table or sequenced_samples)"
            )
        seq_base = [s for s in seq if s in set(baseline)] if paired else seq
        ev = events[events["sample_id"].isin(seq_base)]
        dropped = sorted(set(events["sample_id"]) - set(seq))
        if dropped:
            messages.append(
                f"mutations: events of {len(dropped)} sample(s) not listed as sequenced were "
                f"ignored: {short_list(dropped)}"
            )
        result.mutations, prov["analyses"]["mutations"] = _mutation_enrichment(
            ev, y, samples=seq_base, min_per_group=min_per_group
        )
    if mechanisms is not None:
        mm = mechanisms[mechanisms["sample_id"].isin(baseline)]
        result.mechanisms_enrichment, prov["analyses"]["mechanisms"] = _mechanism_enrichment(
            mm, y, min_per_group=min_per_group
        )

    # ---------------------------------------------------------------- paired
    if patient_col is not None and timepoint_col is not None:
        meta = clin[[patient_col, timepoint_col]].copy()
        meta["_response"] = y_all.reindex(meta.index)
        if feats is not None:
            pc, pc_settings = _paired_changes(
                feats,
                meta,
                patient_col=patient_col,
                timepoint_col=timepoint_col,
                pre=pre,
                post=post,
                response_col="_response",
            )
            result.paired = pc
            pairs = pc_settings.pop("pairs")
            prov["analyses"]["paired"] = pc_settings
            result.data.update(
                paired_features=feats,
                pairs=pd.DataFrame(pairs),
                paired_labels=y_all,
                pre=pre,
                post=post,
            )
        if events is not None:
            ev_pre, ev_post, pts = split_by_timepoint(
                events,
                meta,
                patient_col=patient_col,
                timepoint_col=timepoint_col,
                pre=pre,
                post=post,
            )
            result.new_events, ne_settings = _new_events(ev_pre, ev_post, sequenced_pre=pts)
            prov["analyses"]["new_events"] = {"n_patients": len(pts), **ne_settings}

    if draw_figures:
        from immunescape.compare._figures import make_figures

        result.figures = make_figures(result)
    logger.info("compare: %d tables, %d figures", len(result.tables), len(result.figures))
    return result
