"""Which features the response models use: named feature sets, baselines, candidate units.

These are tables of feature ids of :func:`immunescape.signatures.runner.score` (data, not
logic): the feature sets of :class:`~immunescape.predict.ResponseModel`, the published single
predictors every cross-cohort evaluation compares against, and the units and candidate
configurations of :class:`~immunescape.predict.RobustModel`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["BASELINES", "CANDIDATES", "CONCEPTS", "FEATURE_SETS"]

#: Named feature sets (ids of :func:`immunescape.signatures.runner.score` features).
#:
#: ``curated``
#:     Broad curated set of per-patient immune descriptors that work on any whole-transcriptome
#:     platform: T-cell inflammation and cytotoxicity (cyt, ifng6, gep18, expanded_immune18,
#:     cd8_teff), checkpoint balance (impres) and ligand (gene_CD274), TGF-beta / stromal
#:     exclusion (pan_ftbrs, progeny_tgfb), IFN signalling (progeny_jak_stat), the ten
#:     MCP-counter cell populations, tumour-intrinsic immune resistance (jerby_resistance),
#:     immunophenoscore (ips) and tertiary lymphoid structures (tls9).
#: ``published``
#:     The five published expression predictors compared against in the model card: impres,
#:     gep18, cyt, ifng6, gene_CD274.
#: ``axes``
#:     One representative per biological axis, so that the large block of correlated T-cell
#:     scores does not dominate a penalised fit: checkpoint balance (impres), T-cell-inflamed
#:     expression (gep18), antigen presentation (ips_mhc), TGF-beta stromal exclusion
#:     (pan_ftbrs), B cells / tertiary lymphoid structures (tls9).
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "curated": (
        "cyt",
        "ifng6",
        "gep18",
        "expanded_immune18",
        "cd8_teff",
        "impres",
        "gene_CD274",
        "pan_ftbrs",
        "progeny_tgfb",
        "progeny_jak_stat",
        "mcp_t_cells",
        "mcp_cd8_t_cells",
        "mcp_cytotoxic_lymphocytes",
        "mcp_b_lineage",
        "mcp_nk_cells",
        "mcp_monocytic_lineage",
        "mcp_myeloid_dendritic_cells",
        "mcp_neutrophils",
        "mcp_endothelial_cells",
        "mcp_fibroblasts",
        "jerby_resistance",
        "ips",
        "tls9",
    ),
    "published": ("impres", "gep18", "cyt", "ifng6", "gene_CD274"),
    "axes": ("impres", "gep18", "ips_mhc", "pan_ftbrs", "tls9"),
}


#: Published single predictors compared against in cross-cohort evaluations: name -> score
#: feature id (higher = more likely to respond).
BASELINES: dict[str, str] = {
    "impres": "impres",
    "gep": "gep18",
    "cyt": "cyt",
    "cd274": "gene_CD274",
    "ifng6": "ifng6",
}

#: Units: name -> ((feature id, sign), ...). Signs are the published directions (higher
#: T-cell inflammation, IMPRES, antigen presentation: response; TGF-beta / stromal exclusion:
#: resistance).
_T_CELL = (("cyt", 1), ("gep18", 1), ("ifng6", 1), ("gene_CD274", 1), ("expanded_immune18", 1))
CONCEPTS: dict[str, tuple[tuple[str, int], ...]] = {
    "t_cell_inflammation": (*_T_CELL, ("cd8_teff", 1), ("gene_CD8A", 1)),
    "checkpoint_balance": (("impres", 1),),
    "antigen_presentation": (("ips_mhc", 1), ("apm", 1), ("gene_B2M", 1)),
    "tgfb_exclusion": (("pan_ftbrs", -1), ("progeny_tgfb", -1), ("mcp_fibroblasts", -1)),
}


def _singles(pairs: Sequence[tuple[str, int]]) -> dict[str, tuple[tuple[str, int], ...]]:
    return {f: ((f, s),) for f, s in pairs}


#: A few published scores, one per axis, as single-feature units.
_FEW = _singles(
    (("impres", 1), ("gep18", 1), ("cyt", 1), ("gene_CD274", 1), ("ips_mhc", 1), ("pan_ftbrs", -1))
)

#: Candidate configurations compared by nested leave-one-cohort-out (name -> parameters).
CANDIDATES: dict[str, dict[str, Any]] = {
    "consensus_tcell": {"kind": "consensus", "units": _singles(_T_CELL)},
    "consensus_tcell_impres": {
        "kind": "consensus",
        "units": _singles((*_T_CELL, ("impres", 1))),
    },
    "consensus_tcell_impres_ref": {
        "kind": "consensus",
        "units": _singles((*_T_CELL, ("impres", 1))),
        "standardize": "reference",
    },
    "logistic_few_C0.01": {
        "kind": "logistic",
        "units": _FEW,
        "C": 0.01,
    },
    "logistic_few_C0.1": {
        "kind": "logistic",
        "units": _FEW,
        "C": 0.1,
    },
    "logistic_few_ref_C0.01": {
        "kind": "logistic",
        "units": _FEW,
        "C": 0.01,
        "standardize": "reference",
    },
    "concepts_C0.01": {"kind": "logistic", "units": CONCEPTS, "C": 0.01},
    "concepts_C0.1": {"kind": "logistic", "units": CONCEPTS, "C": 0.1},
    "consensus_concepts": {"kind": "consensus", "units": CONCEPTS},
}


