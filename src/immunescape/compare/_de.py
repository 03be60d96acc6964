"""Differential expression of responders versus non-responders (``de.tsv``).

Two methods, chosen by the data given, named in the ``method`` column and in the settings:

``pydeseq2``
    Raw integer read counts: PyDESeq2 (Muzellec et al. 2023, Bioinformatics 39:btad547), the
    Python port of DESeq2 (Love et al. 2014, Genome Biol 15:550): median-of-ratios size
    factors, negative-binomial GLM with fitted dispersions, Wald test of the response
    coefficient in the design ``~ covariates + response``, contrast R versus NR, ``padj`` by
    Benjamini-Hochberg after DESeq2's independent filtering, Cook's-distance outlier
    handling. Columns keep DESeq2's names; ``log2FoldChange`` is unshrunk.
``welch``
    Log-scale expression without counts (e.g. log2 TPM): Welch's unequal-variance t-test per
    gene. ``baseMean`` is the mean log2 expression over the samples (not a mean count),
    ``log2FoldChange`` the difference of group means (R - NR) on the log2 scale, ``lfcSE``
    its standard error, ``stat`` Welch's t; ``padj`` Benjamini-Hochberg.
``ols``
    Log-scale expression with covariates: per-gene least squares ``expr ~ covariates +
    response``, t-test of the response coefficient (residual degrees of freedom n - p).
    No variance moderation (limma's empirical Bayes is not applied).

A gene with NaN or no variance gets NaN statistics (and is left out of ``padj``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from immunescape._logging import logger
from immunescape._threads import one_native_thread
from immunescape.compare._common import (
    NON_RESPONDER,
    RESPONDER,
    check_groups,
    covariate_values,
    public_table,
    response_labels,
    shared_samples,
    short_list,
)
from immunescape.errors import InputError
from immunescape.expression import Expression
from immunescape.stats import bh

__all__ = [
    "differential_expression",
    "paired_differential_expression",
    "DE_COLUMNS",
    "check_counts",
]

#: DESeq2's result column names, the contract of ``de.tsv`` (``method`` follows them).
DE_COLUMNS = ["gene", "baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj"]

METHOD_TEXT = {
    "pydeseq2": "pydeseq2: DESeq2 negative-binomial GLM, Wald test, contrast R vs NR, "
    "BH padj after independent filtering",
    "welch": "welch: Welch t-test on log2 expression (R - NR), BH padj",
    "ols": "ols: least-squares t-test of the response coefficient on log2 expression "
    "(expr ~ covariates + response), BH padj",
    "pydeseq2_paired": "pydeseq2: DESeq2 negative-binomial GLM with patient as blocking "
    "factor (~ patient + timepoint), Wald test of post vs pre, BH padj after independent "
    "filtering",
}


# ------------------------------------------------------------------------ validation
def check_counts(counts: object, *, source: str = "counts") -> pd.DataFrame:
    """Validate raw read counts (samples x genes): finite, >= 0, whole numbers -> int64.

    Examples
    --------
    >>> check_counts(pd.DataFrame({"A": [1.0, 2.0]}, index=["s1", "s2"])).dtypes.tolist()
    [dtype('int64')]
    """
    if not isinstance(counts, pd.DataFrame):
        raise InputError(
            f"counts must be a DataFrame (samples x genes), got {type(counts).__name__}",
            source=source,
            fix="pass raw read counts with sample ids as index and genes as columns",
        )
    if counts.index.has_duplicates or counts.columns.has_duplicates:
        what = "sample ids" if counts.index.has_duplicates else "gene names"
        raise InputError(f"duplicated {what}", source=source, fix="make them unique")
    try:
        values = counts.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            "counts are not all numbers", source=source, fix="give raw integer read counts"
        ) from None
    if not np.isfinite(values).all():
        raise InputError(
            f"{int((~np.isfinite(values)).sum())} missing or infinite count(s)",
            source=source,
            fix="give complete raw integer read counts (DESeq2 cannot use NaN)",
        )
    if (values < 0).any():
        raise InputError(
            "negative counts", source=source, fix="give raw read counts, not log or centred values"
        )
    frac = values != np.round(values)
    if frac.any():
        i, j = np.argwhere(frac)[0]
        raise InputError(
            f"counts must be whole numbers, found {values[i, j]:g} ({counts.index[i]}, "
            f"{counts.columns[j]}) and {int(frac.sum()) - 1} other non-integer value(s)",
            source=source,
            fix="give raw integer read counts (not TPM/FPKM/normalised values) for DESeq2, "
            "or pass log expression for the Welch t-test",
        )
    return pd.DataFrame(values.astype(np.int64), index=counts.index, columns=counts.columns)


def _covariate_frame(
    covariates: pd.DataFrame | None, samples: pd.Index
) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """Covariates of ``samples`` with safe names c0, c1, ...; missing values -> InputError."""
    if covariates is None:
        return None, {}
    if isinstance(covariates, pd.Series):
        covariates = covariates.to_frame()
    if not isinstance(covariates, pd.DataFrame):
        raise InputError(
            f"covariates must be a DataFrame indexed by sample id, got {type(covariates).__name__}",
            source="covariates",
            fix="pass clinical columns, e.g. clinical[['age', 'sex']]",
        )
    if covariates.shape[1] == 0:
        return None, {}
    absent = samples.difference(covariates.index)
    if len(absent):
        raise InputError(
            f"covariates missing for {len(absent)} sample(s): {short_list(absent)}",
            source="covariates",
            fix="give covariates for every sample with expression and response",
        )
    sub = covariates.loc[samples]
    names = {}
    out = {}
    for k, col in enumerate(sub.columns):
        num = covariate_values(sub[col])
        safe = f"c{k}"
        names[safe] = str(col)
        out[safe] = num if num is not None else "L" + sub[col].astype(str)
        if pd.Series(out[safe]).nunique() < 2:
            raise InputError(
                f"covariate {col!r} is constant among the analysed samples",
                source="covariates",
                fix="leave it out",
            )
    return pd.DataFrame(out, index=samples), names


# ------------------------------------------------------------------------ pydeseq2
def _run_deseq(
    counts: pd.DataFrame,
    metadata: pd.DataFrame,
    design: str,
    contrast: list[str],
    *,
    alpha: float,
    n_jobs: int,
) -> tuple[pd.DataFrame, list[str]]:
    from pydeseq2.dds import DeseqDataSet
    from pydeseq2.default_inference import DefaultInference
    from pydeseq2.ds import DeseqStats

    notes: list[str] = []
    inference = DefaultInference(n_cpus=n_jobs)
    with warnings.catch_warnings(record=True) as caught, one_native_thread():
        warnings.simplefilter("always")
        dds = DeseqDataSet(
            counts=counts, metadata=metadata, design=design, quiet=True, inference=inference
        )
        dds.deseq2()
        ds = DeseqStats(dds, contrast=contrast, alpha=alpha, quiet=True, inference=inference)
        ds.summary()
    for w in caught:
        text = " ".join(str(w.message).split())[:200]
        if text not in notes:
            notes.append(text)
    res = ds.results_df.copy()
    res.index.name = "gene"
    return res.reset_index(), [f"pydeseq2: {n}" for n in notes]


def _finish(
    table: pd.DataFrame, method: str, settings: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    table = table[DE_COLUMNS].copy()
    table["method"] = method
    table = table.sort_values("pvalue", kind="mergesort", na_position="last").reset_index(drop=True)
    return table, {"method": METHOD_TEXT[method], **settings}


# ------------------------------------------------------------------------ log-scale tests
def _welch(Y: np.ndarray, is_r: np.ndarray) -> dict[str, np.ndarray]:
    """Vectorised Welch t-test of the columns of ``Y`` (R rows vs the others), NaN-aware."""
    out = {}
    groups = []
    for mask in (is_r, ~is_r):
        part = Y[mask]
        n = np.isfinite(part).sum(axis=0).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.nansum(part, axis=0) / n
            v = np.nansum((part - m) ** 2, axis=0) / (n - 1.0)
        groups.append((n, m, v))
    (n1, m1, v1), (n2, m2, v2) = groups
    with np.errstate(invalid="ignore", divide="ignore"):
        a, b = v1 / n1, v2 / n2
        se = np.sqrt(a + b)
        t = (m1 - m2) / se
        df = (a + b) ** 2 / (a**2 / (n1 - 1.0) + b**2 / (n2 - 1.0))
        p = 2.0 * stats.t.sf(np.abs(t), df)
    bad = ~(se > 0) | (n1 < 2) | (n2 < 2)
    t[bad] = np.nan
    p[bad] = np.nan
    se = np.where(bad & ~(se > 0), np.nan, se)
    with np.errstate(invalid="ignore"):
        out["baseMean"] = np.nanmean(np.where(np.isfinite(Y), Y, np.nan), axis=0)
    out.update(log2FoldChange=m1 - m2, lfcSE=se, stat=t, pvalue=p)
    return out


def _ols(Y: np.ndarray, X: np.ndarray, coef: int) -> dict[str, np.ndarray]:
    """Per-column least squares ``Y ~ X``; t-test of coefficient ``coef`` (NaN columns -> NaN)."""
    n, k = X.shape
    G = Y.shape[1]
    out = {k_: np.full(G, np.nan) for k_ in ("log2FoldChange", "lfcSE", "stat", "pvalue")}
    complete = np.isfinite(Y).all(axis=0)
    if n - k < 1:
        raise InputError(
            f"too few samples ({n}) for the {k} model terms",
            source="covariates",
            fix="use fewer covariates",
        )
    xtx_inv = np.linalg.inv(X.T @ X)
    Yc = Y[:, complete]
    beta = xtx_inv @ X.T @ Yc
    resid = Yc - X @ beta
    dfree = n - k
    sigma2 = (resid**2).sum(axis=0) / dfree
    se = np.sqrt(sigma2 * xtx_inv[coef, coef])
    with np.errstate(invalid="ignore", divide="ignore"):
        t = beta[coef] / se
    t[~(se > 0)] = np.nan
    out["log2FoldChange"][complete] = beta[coef]
    out["lfcSE"][complete] = np.where(se > 0, se, np.nan)
    out["stat"][complete] = t
    out["pvalue"][complete] = 2.0 * stats.t.sf(np.abs(t), dfree)
    with np.errstate(invalid="ignore"):
        out["baseMean"] = np.nanmean(Y, axis=0)
    return out


def _log_matrix(log_expr: Expression | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    if isinstance(log_expr, Expression):
        vals = log_expr.columns(None, "log2tpm1")
        frame = pd.DataFrame(vals, index=log_expr.samples, columns=log_expr.genes)
        note = log_expr.conversion_note("log2tpm1") or "log2(TPM + 1) as given"
        return frame, note
    if isinstance(log_expr, pd.DataFrame):
        try:
            frame = log_expr.astype(float)
        except (TypeError, ValueError):
            raise InputError(
                "log expression values are not all numbers",
                source="log_expr",
                fix="pass a samples x genes table of log2 expression",
            ) from None
        return frame, "values as given (assumed log2 scale)"
    raise InputError(
        f"log_expr must be an Expression or a DataFrame, got {type(log_expr).__name__}",
        source="log_expr",
    )


# ------------------------------------------------------------------------ public API
def _differential_expression(
    counts: pd.DataFrame | None,
    log_expr: Expression | pd.DataFrame | None,
    response: pd.Series,
    *,
    covariates: pd.DataFrame | None = None,
    min_per_group: int = 3,
    alpha: float = 0.05,
    n_jobs: int = 1,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Genes differing between responders and non-responders.

    Parameters
    ----------
    counts
        Raw integer read counts, samples x genes. When given, PyDESeq2 is used; non-integer,
        negative or missing values raise :class:`InputError`.
    log_expr
        Used only when ``counts`` is None: an :class:`~immunescape.expression.Expression`
        (converted to log2(TPM + 1)) or a samples x genes DataFrame already on a log2 scale.
        Welch's t-test without covariates, least squares with them.
    response
        ``"R"`` / ``"NR"`` per sample (missing labels dropped).
    covariates
        Optional DataFrame (index = sample ids) of adjustment variables: numeric columns
        enter as they are, others as categorical. Missing values raise an error naming the
        samples.
    min_per_group
        Fewest responders and non-responders required.
    alpha
        DESeq2's significance level for independent filtering.
    n_jobs
        Processes for PyDESeq2 (its ``n_cpus``).

    Returns
    -------
    pandas.DataFrame
        :data:`DE_COLUMNS` plus ``method`` (``pydeseq2``, ``welch`` or ``ols``), sorted by
        ``pvalue``; ``log2FoldChange > 0`` means higher in responders.

    Raises
    ------
    InputError
        Neither input given, non-integer counts, too few samples per group, covariates
        missing for some samples.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"CXCL9": [5.0, 6, 7, 1, 2, 3], "ACTB": [9.0, 9.5, 9, 9.2, 9, 9.4]},
    ...                    index=list("abcdef"))
    >>> y = pd.Series(["R"] * 3 + ["NR"] * 3, index=list("abcdef"))
    >>> de = differential_expression(None, log, y)
    >>> de[["gene", "log2FoldChange", "method"]].values.tolist()
    [['CXCL9', 4.0, 'welch'], ['ACTB', -0.0333..., 'welch']]
    """
    note = ""
    if counts is not None:
        data = check_counts(counts)
    elif log_expr is not None:
        data, note = _log_matrix(log_expr)
    else:
        raise InputError(
            "no expression given",
            source="differential_expression",
            fix="pass raw counts (DESeq2) or log expression (Welch t-test)",
        )
    y = response_labels(response)
    shared = shared_samples(data, y, what="expression")
    y = y.loc[shared]
    data = data.loc[shared]
    n_r, n_nr = check_groups(y, min_per_group=min_per_group, what="differential expression")
    cov, names = _covariate_frame(covariates, shared)
    settings: dict[str, Any] = {
        "n_responders": n_r,
        "n_non_responders": n_nr,
        "n_genes": int(data.shape[1]),
        "covariates": list(names.values()),
    }

    if counts is not None:
        meta = pd.DataFrame({"response": y.to_numpy()}, index=shared)
        if cov is not None:
            meta = pd.concat([cov, meta], axis=1)
        design = "~" + " + ".join([*(cov.columns if cov is not None else []), "response"])
        keep = data.sum(axis=0) > 0
        dropped = int((~keep).sum())
        logger.info("pydeseq2 on %d samples x %d genes", *data.shape)
        res, notes = _run_deseq(
            data.loc[:, keep],
            meta,
            design,
            ["response", RESPONDER, NON_RESPONDER],
            alpha=alpha,
            n_jobs=n_jobs,
        )
        if dropped:
            zero = pd.DataFrame({"gene": data.columns[~keep]})
            zero["baseMean"] = 0.0
            res = pd.concat([res, zero], ignore_index=True)
            notes.append(f"{dropped} gene(s) with zero counts in every sample: not tested")
        pretty = design
        for safe, orig in names.items():
            pretty = pretty.replace(safe, orig)
        settings.update(design=pretty, contrast="response R vs NR", alpha=alpha, warnings=notes)
        return _finish(res, "pydeseq2", settings)

    Y = data.to_numpy(dtype=float)
    is_r = (y == RESPONDER).to_numpy()
    if cov is None:
        out = _welch(Y, is_r)
        method = "welch"
        settings["design"] = "R vs NR (Welch)"
    else:
        parts = [np.ones((len(shared), 1)), is_r.astype(float)[:, None]]
        dummies = pd.get_dummies(cov, drop_first=True, dtype=float)
        parts.append(dummies.to_numpy(dtype=float))
        X = np.hstack(parts)
        if np.linalg.matrix_rank(X) < X.shape[1]:
            raise InputError(
                "the covariates are collinear with each other or with the response",
                source="covariates",
                fix="leave out redundant covariates",
            )
        out = _ols(Y, X, coef=1)
        method = "ols"
        settings["design"] = "~ " + " + ".join([*names.values(), "response"])
    table = pd.DataFrame({"gene": data.columns.astype(str), **out})
    table["padj"] = bh(table["pvalue"].to_numpy())
    settings["input"] = note
    return _finish(table, method, settings)


differential_expression = public_table(_differential_expression)


def _paired_differential_expression(
    counts: pd.DataFrame,
    meta: pd.DataFrame,
    *,
    patient_col: str,
    timepoint_col: str,
    pre: str = "pre",
    post: str = "on",
    patients: Sequence[str] | None = None,
    alpha: float = 0.05,
    n_jobs: int = 1,
    min_pairs: int = 3,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Within-patient change (post vs pre) of raw counts: PyDESeq2 with patient blocking.

    The design ``~ patient + timepoint`` compares each patient's post-treatment sample with
    his or her own pre-treatment sample; only patients with both samples are used.

    Parameters
    ----------
    counts
        Raw integer counts, samples x genes.
    meta
        Index = sample ids; ``patient_col`` and ``timepoint_col`` columns.
    patient_col, timepoint_col
        Columns of ``meta``.
    pre, post
        Timepoint values (matched case-insensitively).
    patients
        Restrict to these patients (e.g. the responders).
    alpha, n_jobs
        As :func:`differential_expression`.
    min_pairs
        Fewest patients with both samples.

    Returns
    -------
    pandas.DataFrame
        :data:`DE_COLUMNS` plus ``method``; ``log2FoldChange > 0`` means higher after
        treatment.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> c = pd.DataFrame(rng.poisson(50, size=(8, 30)), index=[f"s{i}" for i in range(8)],
    ...                  columns=[f"g{j}" for j in range(30)])
    >>> m = pd.DataFrame({"patient": np.repeat(["p1", "p2", "p3", "p4"], 2),
    ...                   "tp": ["pre", "on"] * 4}, index=c.index)
    >>> de = paired_differential_expression(c, m, patient_col="patient", timepoint_col="tp")
    >>> de.columns[:3].tolist(), de["method"].iloc[0]
    (['gene', 'baseMean', 'log2FoldChange'], 'pydeseq2_paired')
    """
    from immunescape.compare._paired import pair_samples

    data = check_counts(counts)
    pairs = pair_samples(
        meta, patient_col=patient_col, timepoint_col=timepoint_col, pre=pre, post=post
    )
    pairs = pairs[pairs["pre_sample"].isin(data.index) & pairs["post_sample"].isin(data.index)]
    if patients is not None:
        pairs = pairs[pairs["patient"].isin(list(patients))]
    if len(pairs) < min_pairs:
        raise InputError(
            f"{len(pairs)} patient(s) with both a {pre!r} and a {post!r} sample in the counts "
            f"(minimum {min_pairs})",
            source="meta",
            fix="check the patient and timepoint columns and the sample ids",
        )
    samples = list(pairs["pre_sample"]) + list(pairs["post_sample"])
    pid = {p: f"p{k}" for k, p in enumerate(pairs["patient"])}
    md = pd.DataFrame(
        {
            "patient": [pid[p] for p in pairs["patient"]] * 2,
            "timepoint": ["t0pre"] * len(pairs) + ["t1post"] * len(pairs),
        },
        index=samples,
    )
    sub = data.loc[samples]
    keep = sub.sum(axis=0) > 0
    res, notes = _run_deseq(
        sub.loc[:, keep],
        md,
        "~patient + timepoint",
        ["timepoint", "t1post", "t0pre"],
        alpha=alpha,
        n_jobs=n_jobs,
    )
    settings = {
        "design": f"~ {patient_col} + {timepoint_col}",
        "contrast": f"{post} vs {pre}",
        "n_pairs": int(len(pairs)),
        "n_genes": int(keep.sum()),
        "warnings": notes,
    }
    return _finish(res, "pydeseq2_paired", settings)


paired_differential_expression = public_table(_paired_differential_expression)
