"""Immune phenotype per sample (inflamed / excluded / desert) from what bulk RNA can see.

Pathologists call the phenotype from where CD8+ T cells sit (Chen & Mellman 2017, PMID
28102259): *inflamed* (in contact with tumour cells), *excluded* (held in the stroma) or
*desert* (few anywhere). Bulk RNA cannot see where cells sit, but it sees their footprints
(Mariathasan et al. 2018, Nature 554:544, PMID 29443960): inflamed tumours have the highest
CD8 T-effector expression and an interferon-gamma-driven antigen-presentation programme in
the tumour cells; excluded tumours have CD8 T cells, but fewer and without that tumour
response, and the highest fibroblast TGF-beta response (pan-F-TBRS) and stromal/EMT
programme; deserts have neither.

Features
--------
Each feature is the mean, over the genes of registry gene sets that the matrix has, of the
genes' z-scores *on a fixed scale* (:data:`FEATURES`): ``z = (log2(TPM + 1) - mean) / sd``
with the mean and sd of the gene in

1. the ``--reference`` cohort when one is given;
2. else, for whole-transcriptome TPM (at least :data:`WHOLE_TRANSCRIPTOME_GENES` genes, a TPM
   unit, every sample passing the housekeeping check,
   :func:`~immunescape.mechanisms._reference.shipped_reference_applies`), the
   shipped reference (:mod:`immunescape.mechanisms._reference`; the cancer type's own group
   when shipped, pan-cancer otherwise): a cohort of only inflamed tumours is called inflamed;
3. for centred data (``unit="zscore"``) the values as given: they are z-scores within the
   cohort they were centred in, so the call is relative to that cohort (say so);
4. for panels (fewer genes: TPM over a panel is not on the whole-transcriptome scale), read
   counts (counts per million keep the gene-length bias) and matrices failing the
   housekeeping check, the analysed cohort itself when it has at least :data:`MIN_COHORT`
   samples (cohort-relative, reported), else nothing: give ``--reference``.

Model
-----
A multinomial logistic regression per feature set (:data:`FEATURE_SETS`), fitted on the
IMvigor210 development subset (83 bladder tumours with a pathologist's phenotype, z-scored
panel) by ``scripts/build_phenotype_model.py``, shipped as ``phenotype_model_v2.json``
(coefficients, not a pickle, checksummed). The first feature set whose every feature has its
minimum number of genes is used (``feature_set`` column); with none, the sample is
``not_assessable`` with the reason. The call is the most probable class. Probabilities are
calibrated by a temperature per feature set (``softmax(eta / T)``, ``T`` fitted on
cross-validated predictions; it never changes the call).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from immunescape._result import Result
from immunescape.expression import CENTRED_UNITS, Expression
from immunescape.mechanisms._reference import (
    MODEL_FILE,
    WHOLE_TRANSCRIPTOME_GENES,
    load_shipped,
    reference_gene_stats,
    reference_group,
    shipped_reference,
    shipped_reference_applies,
)

__all__ = [
    "immune_phenotypes",
    "phenotype_gene_z",
    "phenotype_features",
    "PhenotypeResult",
    "PHENOTYPE_COLUMNS",
    "PHENOTYPE_CLASSES",
    "FEATURES",
    "FEATURE_SETS",
    "PHENOTYPE_GENES",
]

PHENOTYPE_CLASSES = ("inflamed", "excluded", "desert")
#: Fewest samples for within-cohort centring of a panel.
MIN_COHORT = 20

#: Feature -> (registry signature ids whose genes are averaged, fewest genes needed).
FEATURES: dict[str, tuple[tuple[str, ...], int]] = {
    "t_effector": (("cd8_teff",), 4),  # Mariathasan 2018 CD8 T-effector genes
    "cd8": (("danaher_cd8_t_cells",), 1),  # CD8A, CD8B (Danaher 2017)
    "antigen_presentation": (("apm",), 3),  # antigen-processing machinery (Mariathasan)
    "f_tbrs": (("pan_ftbrs",), 3),  # pan-fibroblast TGF-beta response (Mariathasan)
    "fibroblasts": (("mcp_fibroblasts",), 3),  # MCP-counter fibroblasts (Becht 2016)
    "emt": (("emt2",), 4),  # stromal EMT genes (Mariathasan EMT2)
    "stroma": (("pan_ftbrs", "mcp_fibroblasts", "emt2"), 4),
}
#: Feature sets, tried in order (a panel lacking genes falls back to ``core``, then ``immune``).
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "full": ("t_effector", "cd8", "antigen_presentation", "f_tbrs", "fibroblasts", "emt"),
    "core": ("t_effector", "cd8", "stroma"),
    # immune panels without stromal genes: excluded vs desert from T-cell amount alone
    "immune": ("t_effector", "cd8", "antigen_presentation"),
}

PHENOTYPE_COLUMNS = [
    "sample_id",
    "immune_phenotype",
    "p_inflamed",
    "p_excluded",
    "p_desert",
    "not_assessable",
    "feature_set",
    "scale",
    *[f"feature_{f}" for f in FEATURES],
]


def _registry_genes() -> dict[str, list[str]]:
    from immunescape.signatures.registry import load_registry

    reg = load_registry()
    out = {}
    for feat, (ids, _) in FEATURES.items():
        genes: list[str] = []
        for sid in ids:
            genes += list(reg.get(sid).all_genes())
        out[feat] = list(dict.fromkeys(genes))
    return out


#: Feature -> genes (from the registry).
FEATURE_GENES: dict[str, list[str]] = _registry_genes()
#: Every gene a phenotype feature reads.
PHENOTYPE_GENES: list[str] = sorted({g for gs in FEATURE_GENES.values() for g in gs})


@dataclass
class PhenotypeResult(Result):
    """Phenotype calls and how they were made.

    Attributes
    ----------
    table
        ``phenotypes.tsv`` (:data:`PHENOTYPE_COLUMNS`); also the result's one table,
        ``phenotypes`` (:attr:`~immunescape._result.Result.tables`).
    provenance
        For ``run.json``: the scale (reference) used, model version and checksum, feature
        sets and their cross-validated performance; also :attr:`settings`.
    """

    table_names: ClassVar[tuple[str, ...]] = ("phenotypes",)
    table: pd.DataFrame
    provenance: dict[str, Any]

    @property
    def phenotypes(self) -> pd.DataFrame:
        """The ``phenotypes.tsv`` table (the same object as :attr:`table`)."""
        return self.table

    @property
    def settings(self) -> dict[str, Any]:
        """The provenance: scale, model file and checksum, feature sets used."""
        return self.provenance


def phenotype_gene_z(
    expression: Expression,
    *,
    reference: Expression | None = None,
    cancer_type: str | None = None,
) -> tuple[pd.DataFrame | None, str, str]:
    """Z-scores of the phenotype genes on a fixed scale (module documentation).

    Returns
    -------
    (z, scale, reason)
        ``z`` is samples x genes (None when no scale applies; ``reason`` then says why);
        ``scale`` names the scale used (e.g. ``"shipped reference (melanoma, n=139)"``).
    """
    genes = expression.has(PHENOTYPE_GENES)
    idx = expression.samples
    if expression.unit in CENTRED_UNITS:
        z = pd.DataFrame(expression.columns(genes, "log2tpm1"), index=idx, columns=genes)
        return z, "centred data as given (within the cohort they were centred in)", ""
    x = pd.DataFrame(expression.columns(genes, "log2tpm1"), index=idx, columns=genes)
    if reference is not None:
        if reference.unit in CENTRED_UNITS:
            return None, "", "a centred (zscore) reference has no levels to compare with"
        rg = reference.has(genes)
        r = pd.DataFrame(reference.columns(rg, "log2tpm1"), columns=rg)
        if len(r) < MIN_COHORT:
            return None, "", (f"the reference cohort has {len(r)} samples; at least "
                              f"{MIN_COHORT} are needed")
        stats = pd.DataFrame({"mean": r.mean(), "sd": r.std(ddof=1)})
        scale = f"reference cohort ({reference.source}, n={len(r)})"
    elif (applies := shipped_reference_applies(expression)).applies:
        group = reference_group(cancer_type)
        stats = reference_gene_stats(group)
        n = shipped_reference()["groups"][group]["n"]
        scale = f"shipped reference ({group}, n={n}, {shipped_reference()['file']})"
    elif expression.shape[1] >= WHOLE_TRANSCRIPTOME_GENES:  # not TPM, or off its scale
        why = applies.reason
        if len(idx) < MIN_COHORT:
            return None, "", (f"{why} (>= {MIN_COHORT} samples); or analyse >= {MIN_COHORT} "
                              "samples together (cohort-relative)")
        stats = pd.DataFrame({"mean": x.mean(), "sd": x.std(ddof=1)})
        scale = f"analysed cohort ({applies.short}; cohort-relative)"
    elif len(idx) >= MIN_COHORT:
        stats = pd.DataFrame({"mean": x.mean(), "sd": x.std(ddof=1)})
        scale = (f"analysed cohort (panel of {expression.shape[1]} genes: TPM over a panel is "
                 "not on the reference's whole-transcriptome scale; cohort-relative)")
    else:
        return None, "", (f"panel of {expression.shape[1]} genes and {len(idx)} samples: give a "
                          f"--reference cohort on the same panel (>= {MIN_COHORT} samples)")
    stats = stats.reindex(x.columns)
    ok = stats["sd"].to_numpy() > 1e-6
    z = (x.loc[:, ok] - stats["mean"][ok]) / stats["sd"][ok]
    return z, scale, ""


def phenotype_features(z: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Feature values (mean z of the genes found) and the number of genes per feature.

    A feature with fewer genes than its minimum (:data:`FEATURES`) is NaN.

    Examples
    --------
    >>> z = pd.DataFrame({"CD8A": [1.0, -1.0], "CD8B": [3.0, -1.0]}, index=["a", "b"])
    >>> f, n = phenotype_features(z)
    >>> f["cd8"].tolist(), n["cd8"], bool(f["t_effector"].isna().all())
    ([2.0, -1.0], 2, True)
    """
    feats = {}
    found = {}
    for feat, (_, need) in FEATURES.items():
        genes = [g for g in FEATURE_GENES[feat] if g in z.columns]
        found[feat] = len(genes)
        if len(genes) >= need:
            feats[feat] = z[genes].mean(axis=1, skipna=True)
        else:
            feats[feat] = pd.Series(np.nan, index=z.index)
    return pd.DataFrame(feats, index=z.index), found


def _softmax_proba(X: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                   temperature: float = 1.0) -> np.ndarray:
    """Class probabilities ``softmax((X coef' + intercept) / temperature)``."""
    eta = (X @ coef.T + intercept[None, :]) / temperature
    eta -= eta.max(axis=1, keepdims=True)
    p = np.exp(eta)
    return p / p.sum(axis=1, keepdims=True)


def immune_phenotypes(
    expression: Expression,
    *,
    reference: Expression | None = None,
    cancer_type: str | None = None,
    model: Mapping[str, Any] | None = None,
    samples: Sequence[str] | None = None,
) -> PhenotypeResult:
    """Classify each sample as inflamed, excluded or desert from RNA, with probabilities.

    Parameters
    ----------
    expression
        The analysed expression matrix (any unit; ``zscore`` for centred data).
    reference
        A reference cohort (``--reference``): genes are scaled against it.
    cancer_type
        Picks the shipped reference group (pan-cancer when the type is not shipped).
    model
        A phenotype model document (default: the shipped ``phenotype_model_v2.json``).
    samples
        Samples to report (default: the expression's); samples without expression are
        ``not_assessable``.

    Returns
    -------
    PhenotypeResult

    Examples
    --------
    A simulated 5,000-gene cohort is a panel: with 24 samples it is scaled within itself,
    with 3 it cannot be scaled and says why.

    >>> from immunescape.datasets import simulate_cohort
    >>> res = immune_phenotypes(simulate_cohort(24, seed=1).as_expression())
    >>> t = res.table
    >>> t[["p_inflamed", "p_excluded", "p_desert"]].sum(axis=1).round(6).unique().tolist()
    [1.0]
    >>> t["feature_set"].unique().tolist(), t["scale"].iloc[0].split(" (")[0]
    (['full'], 'analysed cohort')
    >>> small = immune_phenotypes(simulate_cohort(3, seed=1).as_expression()).table
    >>> bool(small["immune_phenotype"].isna().all()), small["not_assessable"].iloc[0][:25]
    (True, 'panel of 5000 genes and 3')
    """
    model = model or load_shipped(MODEL_FILE)
    classes = list(model["classes"])
    ids = list(samples) if samples is not None else [str(s) for s in expression.samples]
    z, scale, why = phenotype_gene_z(expression, reference=reference, cancer_type=cancer_type)
    out = pd.DataFrame({"sample_id": ids})
    for c in PHENOTYPE_CLASSES:
        out[f"p_{c}"] = np.nan
    out["immune_phenotype"] = pd.NA
    out["not_assessable"] = ""
    out["feature_set"] = ""
    out["scale"] = scale
    for f in FEATURES:
        out[f"feature_{f}"] = np.nan
    out = out.set_index("sample_id", drop=False)
    used_sets: dict[str, int] = {}
    if z is None:
        out["not_assessable"] = why
    else:
        z.index = z.index.astype(str)
        feats, found = phenotype_features(z)
        for f in FEATURES:
            out.loc[feats.index, f"feature_{f}"] = feats[f].to_numpy()
        missing_expr = [s for s in ids if s not in feats.index]
        out.loc[missing_expr, "not_assessable"] = "no expression for this sample"
        have = [s for s in ids if s in feats.index]
        todo = pd.Index(have)
        order = [n for n in FEATURE_SETS if n in model["feature_sets"]]
        order += [n for n in model["feature_sets"] if n not in order]
        for name in order:
            spec = model["feature_sets"][name]
            if not len(todo):
                break
            cols = list(spec["features"])
            X = feats.loc[todo, cols]
            ok = X.notna().all(axis=1)
            if not ok.any():
                continue
            rows = X.index[ok.to_numpy()]
            P = _softmax_proba(X.loc[rows].to_numpy(float), np.asarray(spec["coef"], float),
                               np.asarray(spec["intercept"], float),
                               float(spec.get("temperature", 1.0)))
            for j, c in enumerate(classes):
                out.loc[rows, f"p_{c}"] = P[:, j]
            out.loc[rows, "immune_phenotype"] = [classes[k] for k in P.argmax(axis=1)]
            out.loc[rows, "feature_set"] = name
            used_sets[name] = len(rows)
            todo = todo.difference(rows)
        for s in todo:
            lacking = [f"{f} ({found[f]}/{len(FEATURE_GENES[f])} genes, needs "
                       f"{FEATURES[f][1]})"
                       for f in dict.fromkeys(x for fs in FEATURE_SETS.values() for x in fs)
                       if pd.isna(feats.loc[s, f])]
            out.loc[s, "not_assessable"] = ("too few genes: " + "; ".join(lacking)) if lacking \
                else "a feature could not be computed"
    table = out.reset_index(drop=True)[PHENOTYPE_COLUMNS]
    prov = {
        "model": {"file": MODEL_FILE, "version": model.get("version"),
                  "sha256": model.get("sha256")},
        "scale": scale or why,
        "feature_sets_used": used_sets,
        "cross_validation": {k: v.get("cv") for k, v in model["feature_sets"].items()},
    }
    return PhenotypeResult(table, prov)
