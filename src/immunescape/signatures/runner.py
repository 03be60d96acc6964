"""One runner for every registered scoring method.

:func:`score` checks each signature's gene coverage, converts only the needed columns to the
unit the method reads, runs the vectorised kernel on all samples at once and returns a tidy
:class:`ScoreResult` (scores, feature descriptions, coverage and warnings).

Cohort-relative scores (PC1, z-score means, rank means, Jerby-Arnon OE, scaled PROGENy) change
when other samples are added. They are computed within the analysed cohort, or within the
analysed samples plus a ``reference`` cohort when one is given (the reference samples are then
dropped from the output). With fewer than ``min_cohort_size`` samples and no reference they are
left NaN, with a warning: a single patient needs a reference cohort for them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from immunescape._logging import logger
from immunescape._result import Result
from immunescape.errors import CoverageWarning, InputError
from immunescape.expression import (
    CENTRED_UNITS,
    READ_COUNT_UNITS,
    TPM_UNITS,
    WHOLE_TRANSCRIPTOME_GENES,
    Expression,
)
from immunescape.signatures.methods import ScoringContext, get_kernel
from immunescape.signatures.registry import Registry, load_registry
from immunescape.signatures.schema import Signature
from immunescape.tables import FEATURE_COLUMNS as TABLE_COLUMNS

__all__ = ["ScoreResult", "score", "coverage", "FEATURE_COLUMNS"]

#: Methods that compare genes within a sample or need absolute levels: not computable on
#: centred (per-gene z-scored) data, whatever unit they read.
_NOT_ON_CENTRED = frozenset({"gene_pairs", "ips", "geometric_mean", "median", "jerby_oe"})

#: The descriptive columns of features.tsv (defined by the table contract).
FEATURE_COLUMNS = list(TABLE_COLUMNS)


@dataclass
class ScoreResult(Result):
    """Scores of many signatures on one cohort, with their descriptions.

    Attributes
    ----------
    scores
        Samples x feature ids (index name ``sample_id``).
    features
        One row per feature: the ``features.tsv`` columns (see DESIGN.md) plus ``unit``,
        ``conversion``, ``status`` (``scored``, ``low_coverage``, ``needs_reference`` or
        ``not_computable_centred``) and
        ``missing_genes``.
    warnings
        Human-readable warnings (also emitted as :class:`CoverageWarning`).
    conversions
        Unit conversions applied, for run.json.
    """

    table_names = ("scores", "features")

    scores: pd.DataFrame
    features: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    conversions: list[str] = field(default_factory=list)

    @property
    def settings(self) -> dict[str, list[str]]:
        """The unit conversions applied (for run.json)."""
        return {"conversions": list(self.conversions)}


def _units_of(sig: Signature) -> tuple[list[str], int]:
    """Genes a signature is scored on for coverage, and its number of scoring units."""
    if sig.method == "gene_pairs":
        return sorted({g for p in sig.pairs or () for g in p}), len(sig.pairs or ())
    genes = list(dict.fromkeys(sig.genes + sig.genes_down))
    if sig.method == "ips":
        genes = list(dict.fromkeys(g for grp in sig.groups or () for g in grp.genes))
    return genes, len(genes)


def coverage(sig: Signature, available: Iterable[str]) -> tuple[int, int, list[str]]:
    """Return (units found, units total, missing genes) of ``sig`` in ``available`` genes.

    Units are genes, except for gene-pair methods where a unit is a pair with both genes.

    Examples
    --------
    >>> from immunescape.signatures.registry import load_registry
    >>> coverage(load_registry().get("cyt"), ["GZMA"])
    (1, 2, ['PRF1'])
    """
    avail = available if isinstance(available, set | frozenset) else set(available)
    genes, total = _units_of(sig)
    missing = [g for g in genes if g not in avail]
    if sig.method == "gene_pairs":
        found = sum(1 for a, b in sig.pairs or () if a in avail and b in avail)
    else:
        found = total - len(missing)
    return found, total, missing


def score(
    expr: Expression,
    *,
    signatures: Registry | Iterable[Signature] | Iterable[str] | None = None,
    min_coverage: float | None = None,
    reference: Expression | None = None,
    min_cohort_size: int = 10,
    seed: int = 0,
) -> ScoreResult:
    """Score signatures on every sample of ``expr``.

    Parameters
    ----------
    expr
        The expression matrix (any unit; each method converts what it needs).
    signatures
        A registry, signatures, or signature ids; default: the whole built-in registry.
    min_coverage
        Override every signature's own minimum coverage (fraction of genes, or of pairs).
    reference
        A reference cohort for cohort-relative scores (e.g. for a single patient).
    min_cohort_size
        Fewest samples (analysed + reference) for cohort-relative scores to be computed.
    seed
        Seed of random background sets (Jerby-Arnon OE).

    Returns
    -------
    ScoreResult

    Examples
    --------
    >>> import pandas as pd
    >>> e = Expression(pd.DataFrame({"GZMA": [4.0, 0.0], "PRF1": [16.0, 1.0]},
    ...                             index=["p1", "p2"]), unit="tpm")
    >>> score(e, signatures=["cyt"]).scores["cyt"].round(3).tolist()
    [8.012, 0.1]
    """
    sigs = resolve_signatures(signatures)
    n_out = expr.shape[0]
    joined = expr
    if reference is not None:
        joined = _join_reference(expr, reference)
    ctx_own = ScoringContext(expr, seed=seed)
    ctx_joint = ScoringContext(joined, seed=seed) if reference is not None else ctx_own
    cohort_ok = joined.shape[0] >= min_cohort_size

    columns: dict[str, np.ndarray] = {}
    rows: list[dict[str, object]] = []
    messages: list[str] = []
    conversions: set[str] = set()
    for sig in sigs:
        ctx = ctx_joint if sig.scope == "cohort_relative" else ctx_own
        row, message = feature_row(
            sig, ctx.expr.gene_set, min_coverage=min_coverage, cohort_ok=cohort_ok,
            min_cohort_size=min_cohort_size, centred=expr.unit in CENTRED_UNITS,
        )
        values = np.full(n_out, np.nan)
        if message:
            messages.append(message)
        else:
            genes = ctx.expr.has(sig.all_genes())
            result = np.asarray(get_kernel(sig.method)(ctx, sig, genes), dtype=float)
            values = result[:n_out]
            note = ctx.expr.conversion_note(sig.input_unit)
            if note:
                conversions.add(note)
        columns[sig.id] = values
        rows.append(row)
    scores = pd.DataFrame(columns, index=pd.Index(expr.samples, name="sample_id"))
    features = pd.DataFrame(rows, columns=FEATURE_TABLE_COLUMNS)
    if messages:
        warn_unscored(messages, stacklevel=3)
    return ScoreResult(scores, features, messages, sorted(conversions))


#: Columns of :attr:`ScoreResult.features`.
FEATURE_TABLE_COLUMNS = FEATURE_COLUMNS + ["unit", "status", "missing_genes"]


def resolve_signatures(
    signatures: Registry | Iterable[Signature] | Iterable[str] | None,
) -> list[Signature]:
    """Signatures from a registry, signatures or ids (default: the whole built-in registry)."""
    if signatures is None:
        return list(load_registry())
    if isinstance(signatures, Registry):
        return list(signatures)
    out: list[Signature] = []
    reg: Registry | None = None
    for item in signatures:
        if isinstance(item, str):
            reg = reg or load_registry()
            out.append(reg.get(item))
        else:
            out.append(item)
    return out


def feature_row(
    sig: Signature,
    available: frozenset[str] | set[str],
    *,
    min_coverage: float | None,
    cohort_ok: bool,
    min_cohort_size: int,
    centred: bool = False,
) -> tuple[dict[str, object], str | None]:
    """Return the ``features`` row of one signature and, when it cannot be scored, why.

    Status is ``low_coverage`` (too few genes or pairs found), ``not_computable_centred``
    (``centred``: the data are z-scored per gene and the method compares genes within a
    sample or needs absolute levels), ``needs_reference`` (a cohort-relative score on too
    small a cohort) or ``scored``.
    """
    found, total, missing = coverage(sig, available)
    need = sig.min_coverage if min_coverage is None else min_coverage
    frac = found / total if total else 0.0
    status, message = "scored", None
    if total == 0 or frac + 1e-12 < need:
        status = "low_coverage"
        message = (
            f"{sig.id}: {found}/{total} {'pairs' if sig.method == 'gene_pairs' else 'genes'}"
            f" found (minimum {need:.0%}); missing: {', '.join(missing[:20])}"
            + (" ..." if len(missing) > 20 else "")
        )
    elif centred and (sig.input_unit in ("tpm", "rank") or sig.method in _NOT_ON_CENTRED):
        status = "not_computable_centred"
        message = f"{sig.id}: not computable on centred data ({sig.method})"
    elif sig.scope == "cohort_relative" and not cohort_ok:
        status = "needs_reference"
        message = (
            f"{sig.id}: cohort-relative score needs at least {min_cohort_size} samples; "
            "give a reference cohort"
        )
    row = {
        "id": sig.id,
        "name": sig.name,
        "kind": sig.kind,
        "method": sig.method,
        "direction": sig.direction,
        "scope": sig.scope,
        "genes_total": total,
        "genes_found": found,
        "citation": sig.citation,
        "unit": sig.input_unit,
        "status": status,
        "missing_genes": ",".join(missing),
    }
    return row, message


def warn_unscored(messages: list[str], *, stacklevel: int = 2) -> None:
    """Log and warn (:class:`CoverageWarning`) about signatures left NaN."""
    logger.warning("%d signature(s) not scored: %s", len(messages), "; ".join(messages))
    warnings.warn(
        f"{len(messages)} signature(s) left NaN (low coverage or no reference cohort): "
        + "; ".join(m.split(":")[0] for m in messages),
        CoverageWarning,
        stacklevel=stacklevel,
    )


def _join_reference(expr: Expression, reference: Expression) -> Expression:
    """Analysed samples first, then the reference samples, on the shared genes."""
    overlap = expr.samples.intersection(reference.samples)
    if len(overlap):
        raise InputError(
            f"{len(overlap)} sample id(s) are both analysed and in the reference "
            f"(e.g. {overlap[0]!r})",
            source=reference.source,
            fix="remove the analysed samples from the reference cohort",
        )
    units = {expr.unit, reference.unit}
    if units & set(READ_COUNT_UNITS) and units & set(TPM_UNITS):
        raise InputError(
            f"the reference is in unit {reference.unit} and the analysed expression in "
            f"{expr.unit}: read counts keep the gene-length bias TPM/FPKM remove, so "
            "percentiles of one against the other are biased (long genes read high)",
            source=reference.source,
            fix="give a reference in the same kind of unit as the expression (TPM with TPM, "
            "counts with counts); if --expr's unit was misread, declare it with --unit",
        )
    genes = expr.genes.intersection(reference.genes, sort=False)
    if len(expr.genes) >= WHOLE_TRANSCRIPTOME_GENES and len(genes) < len(expr.genes) / 2:
        raise InputError(
            f"the reference shares {len(genes)} of the analysed matrix's {len(expr.genes)} "
            "genes (a panel?): the whole transcriptome would be cut down to them and read "
            "against values on another scale",
            source=reference.source,
            fix="give a reference measured on the whole transcriptome, or drop --reference "
            "(whole-transcriptome TPM is read against the shipped reference)",
        )
    if len(genes) == 0:
        raise InputError(
            "no gene in common with the analysed matrix",
            source=reference.source,
            fix="give a reference cohort measured on the same genes",
        )
    # Bring the reference to the analysed matrix's unit through TPM so the two are comparable.
    own = expr.columns(list(genes), "tpm")
    ref = reference.columns(list(genes), "tpm")
    values = pd.DataFrame(
        np.vstack([own, ref]), index=expr.samples.append(reference.samples), columns=genes
    )
    return Expression(values, unit="tpm", source=f"{expr.source} + reference {reference.source}")
