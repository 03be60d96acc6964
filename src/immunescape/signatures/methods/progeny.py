"""The ``progeny`` scoring kernel and the 14 PROGENy registry entries.

The model, its gene matching and the scoring arithmetic live in :mod:`immunescape.pathways.progeny`
(which knows nothing of the registry); this module adapts them to the signature registry, so the
dependency runs one way: ``signatures`` -> ``pathways``.
"""

from __future__ import annotations

import numpy as np

from immunescape.errors import SchemaError
from immunescape.pathways.progeny import (
    DEFAULT_TOP,
    PATHWAYS,
    _check_top,
    _current_symbols,
    _match_genes,
    _model,
    _score_matrix,
    progeny_manifest,
    signature_id,
)
from immunescape.signatures.methods import ScoringContext, register
from immunescape.signatures.schema import Direction, Signature

__all__ = ["progeny_signatures"]

_CITATION = (
    "Schubert M, Klinger B, Kluenemann M, Sieber A, Uhlitz F, Sauer S, Garnett MJ, Bluethgen N, "
    "Saez-Rodriguez J. Perturbation-response genes reveal signaling footprints in cancer gene "
    "expression. Nat Commun. 2018;9(1):20."
)
_PMID = "29295995"
_DOI = "10.1038/s41467-017-02391-6"


@register("progeny")
def _progeny_kernel(ctx: ScoringContext, sig: Signature, genes: list[str]) -> np.ndarray:
    """Score one PROGENy pathway (``sig.params["pathway"]``) for all samples.

    All 14 pathways are computed in one matrix product and cached in ``ctx`` per
    ``(top, scale)``; each call returns one column.
    """
    pathway = sig.params.get("pathway")
    if pathway not in PATHWAYS:
        raise SchemaError(
            f"params.pathway must be one of {', '.join(PATHWAYS)}, got {pathway!r}",
            source=f"signature {sig.id}",
        )
    top = _check_top(sig.params.get("top", DEFAULT_TOP))
    scale = bool(sig.params.get("scale", True))

    def compute() -> np.ndarray:
        model_genes, columns = _match_genes(ctx.expr.genes, top)
        if not model_genes:
            return np.full((ctx.n_samples, len(PATHWAYS)), np.nan)
        values = ctx.columns(columns, "log2tpm1")
        return _score_matrix(values, model_genes, top, scale)

    matrix = ctx.cached(("progeny", str(top), str(scale)), compute)
    return matrix[:, PATHWAYS.index(pathway)].copy()


#: Direction of each pathway score when it bears on ICB response, with the reason. Pathways
#: not listed are ``neutral``: their activity has no single published direction for ICB.
_DIRECTIONS: dict[str, tuple[Direction, str]] = {
    "TGFb": (
        "resistance",
        "TGF-beta signalling excludes T cells and attenuates response to PD-L1 blockade "
        "(Mariathasan et al. 2018, Nature, PMID 29443960; Tauriello et al. 2018, Nature, "
        "PMID 29443964).",
    ),
    "JAK-STAT": (
        "response",
        "Interferon-gamma/JAK-STAT signalling in the tumour is associated with response "
        "(Ayers et al. 2017, J Clin Invest, PMID 28650338) and its loss (JAK1/JAK2 "
        "inactivation) with resistance (Zaretsky et al. 2016, N Engl J Med, PMID 27433843).",
    ),
}


def progeny_signatures(*, top: int = DEFAULT_TOP) -> list[Signature]:
    """Return the 14 registry entries (one per PROGENy pathway).

    Each entry has id ``progeny_<pathway>`` (lower case, non-alphanumerics as ``_``),
    ``kind="pathway"``, ``method="progeny"``, ``scope="cohort_relative"`` (scores are
    z-scaled across the cohort), the pathway's footprint genes at ``top`` (sorted by
    p-value; as current HGNC symbols, the model's published symbol kept in ``aliases`` when it
    changed) with their weights, ``min_coverage=0.5`` and ``params`` ``pathway``, ``top`` and
    ``scale``.

    Parameters
    ----------
    top
        Number of footprint genes per pathway (R's default 100).

    Returns
    -------
    list of Signature
        In :data:`PATHWAYS` order.

    Examples
    --------
    >>> sigs = progeny_signatures()
    >>> [s.id for s in sigs][:3]
    ['progeny_androgen', 'progeny_egfr', 'progeny_estrogen']
    >>> len(sigs[0].genes)
    100
    """
    top = _check_top(top)
    model = _model(top)
    current = _current_symbols()
    version = progeny_manifest().get("r_package_version", "?")
    out = []
    for pathway in PATHWAYS:
        rows = model[model["pathway"] == pathway]
        symbols = [current.get(g, g) for g in rows["gene"]]
        aliases = {g: current[g] for g in rows["gene"] if g in current}
        direction, why = _DIRECTIONS.get(pathway, ("neutral", ""))
        notes = (
            f"PROGENy {pathway} footprint: weighted sum of the top {top} genes by p-value "
            "(log2(TPM + 1)), z-scaled across samples. "
            "Higher means more pathway activity. " + why
        ).strip()
        out.append(
            Signature(
                id=signature_id(pathway),
                name=f"PROGENy {pathway} pathway activity",
                kind="pathway",
                method="progeny",
                unit="log2tpm1",
                direction=direction,
                scope="cohort_relative",
                min_coverage=0.5,
                genes=symbols,
                weights=dict(zip(symbols, rows["weight"].astype(float), strict=True)),
                aliases=aliases,
                params={"pathway": pathway, "top": top, "scale": True},
                citation=_CITATION,
                pmid=_PMID,
                doi=_DOI,
                source=(
                    f"Bioconductor progeny {version} model_human_full (Debian r-bioc-progeny), "
                    "Apache-2.0; vendored by scripts/build_progeny.py"
                ),
                notes=notes,
            )
        )
    return out
