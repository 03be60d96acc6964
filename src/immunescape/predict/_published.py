"""Published response predictors applied as published: scores, calibrations and cut-offs.

Each predictor reports its published score. A ``probability`` is given only where the authors
published a calibrated model (LORIS); a ``predicted`` call (R / NR) only where a published
cut-off exists for the data type; everything else is NaN / NA rather than an invented rule.

========================  ============================  =========================================
model                     score                         cut-off (predicted R when ...)
========================  ============================  =========================================
``impres``                IMPRES, 0-15 pairs            IMPRES >= 8 (Auslander et al. 2018)
``gep``                   GEP (gep18)                   none on RNA-seq (NanoString cut-offs)
``cyt``                   cytolytic activity            none published
``ifng6``                 IFN-gamma 6-gene mean         none on RNA-seq (NanoString cut-offs)
``cd274``                 CD274 mRNA                    none published for mRNA
``tmb``                   TMB, mutations per Mb         TMB >= 10 on a panel assay (FDA 2020)
``tide``                  minus TIDE (tidepy)           TIDE < 0 (tidepy default ``vthres=0``)
``loris_pancancer``       LORIS log-odds                LORIS >= 0.5 (Chang et al. 2024)
``loris_nsclc``           LORIS log-odds                LORIS >= 0.44 (Chang et al. 2024)
========================  ============================  =========================================

Every ``score`` is oriented so that higher means more likely to respond (TIDE is negated).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from immunescape._logging import logger
from immunescape._result import Result
from immunescape._validate import check_choice
from immunescape._vocab import TmbAssay
from immunescape.errors import InputError
from immunescape.expression import Expression
from immunescape.predict._loris import LORIS_INPUTS, loris_score

__all__ = [
    "PUBLISHED_PREDICTORS",
    "PublishedPredictions",
    "PublishedPredictor",
    "published_predictors",
]


@dataclass
class PublishedPredictions(Result):
    """Scores and calls of the published predictors (see :func:`published_predictors`).

    Attributes
    ----------
    predictions
        Long table ``sample_id, model, score, probability, predicted``.
    settings
        ``predictors``: per model, its cut-off, the cut-off's source and its citation (and,
        where they apply, the TMB assay, the LORIS licence and parameter checksum).
    warnings
        LORIS samples left unscored for missing inputs or outside the model's scope.
    """

    table_names = ("predictions",)
    predictions: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PublishedPredictor:
    """A published predictor: where its score comes from and which cut-off applies.

    Attributes
    ----------
    name
        Model name in the output.
    source
        ``scores`` (a feature of the signature runner), ``tmb``, ``clinical`` or
        ``expression``.
    feature
        Score feature id (``scores`` predictors).
    cutoff
        Published cut-off (predicted responder when ``score >= cutoff``, on the scale in
        ``cutoff_scale``), or None.
    cutoff_scale
        ``score`` or ``probability``.
    cutoff_source
        Where the cut-off (or its absence) comes from.
    citation
        The predictor's publication.
    """

    name: str
    source: str
    feature: str | None
    cutoff: float | None
    cutoff_scale: str
    cutoff_source: str
    citation: str


#: The published predictors, by output model name.
PUBLISHED_PREDICTORS: dict[str, PublishedPredictor] = {
    p.name: p
    for p in (
        PublishedPredictor(
            "impres",
            "scores",
            "impres",
            8.0,
            "score",
            "Auslander et al. 2018 apply one fixed cut-off to every melanoma cohort: a patient "
            "with IMPRES >= 8 (of 15 gene-pair features) is predicted a responder",
            "Auslander N, et al. Robust prediction of response to immune checkpoint blockade "
            "therapy in metastatic melanoma. Nat Med 2018;24:1545-1549. doi:10.1038/"
            "s41591-018-0157-9",
        ),
        PublishedPredictor(
            "gep",
            "scores",
            "gep18",
            None,
            "score",
            "the published GEP cut-offs (Cristescu et al. 2018) are on the NanoString "
            "housekeeping-normalised scale and do not transfer to RNA-seq: no call",
            "Cristescu R, et al. Pan-tumor genomic biomarkers for PD-1 checkpoint "
            "blockade-based immunotherapy. Science 2018;362:eaar3593",
        ),
        PublishedPredictor(
            "cyt",
            "scores",
            "cyt",
            None,
            "score",
            "Rooney et al. 2015 define cytolytic activity as a continuous score without a "
            "response cut-off: no call",
            "Rooney MS, et al. Molecular and genetic properties of tumors associated with local "
            "immune cytolytic activity. Cell 2015;160:48-61",
        ),
        PublishedPredictor(
            "ifng6",
            "scores",
            "ifng6",
            None,
            "score",
            "the published IFN-gamma signature cut-offs (Ayers et al. 2017) are on the "
            "NanoString scale and do not transfer to RNA-seq: no call",
            "Ayers M, et al. IFN-gamma-related mRNA profile predicts clinical response to PD-1 "
            "blockade. J Clin Invest 2017;127:2930-2940",
        ),
        PublishedPredictor(
            "cd274",
            "scores",
            "gene_CD274",
            None,
            "score",
            "PD-L1 cut-offs (TPS 1% / 50%, CPS) are immunohistochemistry scores; no cut-off "
            "exists for CD274 mRNA: no call",
            "CD274 (PD-L1) mRNA expression; compared e.g. in Auslander et al. 2018, Nat Med",
        ),
        PublishedPredictor(
            "tmb",
            "tmb",
            None,
            10.0,
            "score",
            "FDA accelerated approval of pembrolizumab for TMB-high (>= 10 mutations/Mb) solid "
            "tumours, June 2020, measured with the FoundationOne CDx panel (KEYNOTE-158; "
            "Marabelle et al. 2020, Lancet Oncol 21:1353); applied to panel TMB only",
            "Marabelle A, et al. Association of tumour mutational burden with outcomes in "
            "patients with advanced solid tumours treated with pembrolizumab: prospective "
            "biomarker analysis of the multicohort, open-label, phase 2 KEYNOTE-158 study. "
            "Lancet Oncol 2020;21:1353-1365",
        ),
        PublishedPredictor(
            "tide",
            "expression",
            None,
            0.0,
            "score",
            "tidepy's default vthres = 0: a sample is a predicted responder when TIDE < 0 "
            "(here: score = -TIDE > 0)",
            "Jiang P, et al. Signatures of T cell dysfunction and exclusion predict cancer "
            "immunotherapy response. Nat Med 2018;24:1550-1558 (tidepy, GPL-3)",
        ),
        PublishedPredictor(
            "loris_pancancer",
            "clinical",
            None,
            0.5,
            "probability",
            "Chang et al. 2024 evaluate the pan-cancer LORIS at the fixed cut-off 0.5 "
            "(authors' code/06_1.PanCancer_LLR6_RF6_TMB_multiMetric_compare.py, "
            "cutoff_value_LLRx = 0.5, github.com/rootchang/LORIS commit 37d2865)",
            "Chang T-G, et al. LORIS robustly predicts patient outcomes with immune checkpoint "
            "blockade therapy using common clinical, pathologic and genomic features. Nat "
            "Cancer 2024;5:1158-1175",
        ),
        PublishedPredictor(
            "loris_nsclc",
            "clinical",
            None,
            0.44,
            "probability",
            "Chang et al. 2024 use 0.44 for the NSCLC LORIS, the best threshold on its training "
            "data (authors' code/09_1.NSCLC_LLR6_PDL1_TMB_multiMetric_compare.py, "
            "cutoff_value_LLR6 = 0.44, commit 37d2865)",
            "Chang T-G, et al. Nat Cancer 2024;5:1158-1175",
        ),
    )
}

_COLUMNS = ["sample_id", "model", "score", "probability", "predicted"]


def _calls(score: np.ndarray, cutoff: float | None, strict: bool = False) -> pd.array:
    out = pd.array([pd.NA] * len(score), dtype="string")
    if cutoff is None:
        return out
    ok = ~np.isnan(score)
    hit = score > cutoff if strict else score >= cutoff
    values = np.where(hit, "R", "NR").astype(object)
    values[~ok] = pd.NA
    return pd.array(values, dtype="string")


def _block(
    ids: Sequence[str], name: str, score: np.ndarray, probability: np.ndarray, predicted: Any
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sample_id": [str(s) for s in ids],
            "model": name,
            "score": np.asarray(score, dtype=float),
            "probability": np.asarray(probability, dtype=float),
            "predicted": predicted,
        }
    )


def _tmb_input(tmb: object, tmb_assay: str | None) -> tuple[pd.Series, str | None]:
    assay = tmb_assay
    if isinstance(tmb, pd.Series):
        values = tmb
    elif isinstance(tmb, pd.DataFrame):
        frame = tmb.set_index("sample_id") if "sample_id" in tmb.columns else tmb
        col = next((c for c in ("tmb_per_mb", "tmb", "TMB") if c in frame.columns), None)
        if col is None:
            raise InputError(
                "TMB table has no column tmb_per_mb",
                source="tmb",
                fix="pass the tmb table of immunescape.genomics.compute_tmb, or a Series",
            )
        values = frame[col]
        if assay is None and "rule" in frame.columns:
            rules = {str(r) for r in frame["rule"].dropna()}
            found = {a for a in ("panel", "exome", "genome") for r in rules if a in r}
            if len(found) == 1:
                assay = found.pop()
    else:
        raise InputError(
            f"tmb must be a Series or a DataFrame, got {type(tmb).__name__}",
            source="tmb",
            fix="pass TMB per Mb indexed by sample id",
        )
    try:
        num = pd.to_numeric(values, errors="raise").astype(float)
    except (ValueError, TypeError):
        raise InputError("TMB values are not numeric", source="tmb", fix="pass mut/Mb") from None
    if (num < 0).any():
        raise InputError("negative TMB values", source="tmb", fix="pass mutations per Mb >= 0")
    num.index = num.index.astype(str)
    return num, assay


def _clinical_frame(clinical: object) -> pd.DataFrame:
    if isinstance(clinical, pd.DataFrame):
        return clinical
    data = getattr(clinical, "data", None)
    extra = getattr(clinical, "extra", None)
    if isinstance(data, pd.DataFrame) and isinstance(extra, pd.DataFrame):
        frame = pd.concat([extra, data], axis=1)
        frame = frame.loc[:, ~frame.columns.duplicated()]
        return frame.rename_axis("sample_id").reset_index()
    raise InputError(
        f"clinical must be a DataFrame or a ClinicalTable, got {type(clinical).__name__}",
        source="clinical",
        fix="read it with immunescape.io.read_clinical or pandas",
    )


def _has_inputs(frame: pd.DataFrame, model: str) -> bool:
    needed = ["tmb", "systemic_therapy_history", "albumin", "nlr", "age"]
    needed += ["cancer_type"] if model == "pancancer" else ["pdl1_tps"]
    return all(any(c in frame.columns for c in LORIS_INPUTS[k]) for k in needed)


def _tide(expression: object, cancer: str, pretreat: bool) -> pd.Series:
    if importlib.util.find_spec("tidepy") is None:
        raise InputError(
            "TIDE needs the optional package tidepy (GPL-3), which is not installed",
            source="tide",
            fix="install the extra: pip install 'immunescape[tide]' (or pip install tidepy), "
            "or leave 'tide' out of models",
        )
    values = getattr(expression, "values", expression)
    if not isinstance(values, pd.DataFrame):
        raise InputError(
            "TIDE needs the expression matrix (an Expression or samples x genes DataFrame)",
            source="expression",
            fix="pass expression= from immunescape.io.read_expression",
        )
    if isinstance(expression, Expression):
        # convert whatever unit it holds to log2(TPM + 1)
        lin = expression.columns(None, "log2tpm1")
        log = pd.DataFrame(lin, index=values.index, columns=values.columns)
    else:  # a plain DataFrame is taken to be log2(TPM + 1) already
        log = values.astype(float)
    # The TIDE authors' normalisation: log2(x + 1), then subtract each gene's mean across
    # the samples (tidepy README; their example files are "self_subtract").
    centred = (log - log.mean(axis=0)).T
    pred = importlib.import_module("tidepy.pred")
    result = pred.TIDE(centred, cancer=cancer, pretreat=pretreat, vthres=0.0)
    return result["TIDE"].astype(float)


def published_predictors(
    scores: pd.DataFrame | None,
    *,
    tmb: pd.Series | pd.DataFrame | None = None,
    clinical: object = None,
    expression: object = None,
    models: Sequence[str] | None = None,
    tmb_assay: TmbAssay | None = None,
    tide_cancer: Literal["Melanoma", "NSCLC", "Other"] = "Other",
    tide_pretreat: bool = False,
) -> PublishedPredictions:
    """Apply the published response predictors, with published calibrations and cut-offs only.

    Parameters
    ----------
    scores
        Samples x feature ids (``runner.score(...).scores``): ``impres``, ``gep18``, ``cyt``,
        ``ifng6``, ``gene_CD274`` are used when present. May be None.
    tmb
        TMB in mutations per Mb: a Series indexed by sample id, or the ``tmb`` table of
        :func:`immunescape.genomics.compute_tmb` (its ``rule`` column names the assay).
    clinical
        Clinical table (DataFrame or ClinicalTable) with the LORIS inputs (see
        :func:`~immunescape.predict.loris_score`); ``tmb`` is used for LORIS when the table
        has no TMB column. By default the NSCLC LORIS scores only the NSCLC rows (all rows
        when the table has no cancer type).
    expression
        Expression matrix for TIDE (needs the optional ``tidepy``; the ``tide`` extra): an
        :class:`~immunescape.expression.Expression` (any unit), or a samples x genes
        DataFrame of log2(TPM + 1).
    models
        Models to compute (names of :data:`PUBLISHED_PREDICTORS`); default: every model whose
        inputs are given (TIDE only when ``expression`` is given). A requested model without
        its inputs raises :class:`~immunescape.errors.InputError`.
    tmb_assay
        ``"panel"``, ``"exome"`` or ``"genome"``: the TMB cut-off (>= 10/Mb) is defined on
        panel TMB and applied only to it; None reads the assay from the ``rule`` column of a
        TMB table, and with no assay known no call is made.
    tide_cancer, tide_pretreat
        Passed to tidepy's ``TIDE`` (``cancer``: Melanoma, NSCLC or Other; ``pretreat``:
        previous immunotherapy).

    Returns
    -------
    PublishedPredictions
        ``predictions``: long table ``sample_id, model, score, probability, predicted``:
        ``score`` oriented so that higher means more likely to respond; ``probability`` only
        for LORIS (NaN otherwise); ``predicted`` "R"/"NR" where a published cut-off applies,
        else <NA>. ``settings["predictors"]`` holds each model's cut-off, its source and
        citation.

    Raises
    ------
    InputError
        Unknown or unavailable requested models, non-numeric TMB, LORIS input errors, TIDE
        without tidepy (with the install command).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"impres": [9.0, 3.0], "cyt": [12.0, 1.5]}, index=["p1", "p2"])
    >>> published_predictors(s).predictions
      sample_id   model  score  probability predicted
    0        p1  impres    9.0          NaN         R
    1        p2  impres    3.0          NaN        NR
    2        p1     cyt   12.0          NaN      <NA>
    3        p2     cyt    1.5          NaN      <NA>
    """
    if models is not None:
        unknown = [m for m in models if m not in PUBLISHED_PREDICTORS]
        if unknown:
            raise InputError(
                f"unknown published predictor(s): {', '.join(map(repr, unknown))}",
                source="models",
                fix=f"choose from {', '.join(PUBLISHED_PREDICTORS)}",
            )
    if tmb_assay is not None:
        check_choice("tmb_assay", tmb_assay, TmbAssay)
    if scores is not None and not isinstance(scores, pd.DataFrame):
        raise InputError(
            f"scores must be a DataFrame, got {type(scores).__name__}",
            source="scores",
            fix="pass runner.score(...).scores",
        )
    explicit = models is not None
    wanted = list(models) if models is not None else list(PUBLISHED_PREDICTORS)
    clin = _clinical_frame(clinical) if clinical is not None else None
    tmb_values, assay = _tmb_input(tmb, tmb_assay) if tmb is not None else (None, None)
    if tmb_values is None and clin is not None and explicit and "tmb" in wanted:
        # a clinical TMB column (mutations per Mb), e.g. the LORIS / MSK-IMPACT sheets
        col = next((c for c in clin.columns if str(c).lower().replace(".", "_") in
                    ("tmb", "tmb_per_mb", "tmb_permb", "nstmb_permb", "tmb_mut_mb")), None)
        if col is not None:
            ids = clin["sample_id"] if "sample_id" in clin.columns else clin.index
            raw = pd.Series(pd.to_numeric(clin[col], errors="coerce").to_numpy(),
                            index=pd.Index([str(i) for i in ids], name="sample_id"), name=str(col))
            tmb_values, assay = _tmb_input(raw, tmb_assay)
            tmb_values = tmb_values.dropna()
    blocks: list[pd.DataFrame] = []
    used: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for name in wanted:
        spec = PUBLISHED_PREDICTORS[name]
        info: dict[str, Any] = {
            "cutoff": spec.cutoff,
            "cutoff_scale": spec.cutoff_scale,
            "cutoff_source": spec.cutoff_source,
            "citation": spec.citation,
        }
        if spec.source == "scores":
            if scores is None or spec.feature not in scores.columns:
                if explicit:
                    raise InputError(
                        f"{name} needs the expression score {spec.feature!r}, which is not "
                        "available",
                        source="expression",
                        fix="give the expression matrix (CLI --expr; Python: scores= from "
                        f"immunescape.signatures.runner.score, with {spec.feature!r})",
                    )
                continue
            s = pd.to_numeric(scores[spec.feature], errors="coerce").to_numpy(dtype=float)
            ids = [str(i) for i in scores.index]
            blocks.append(_block(ids, name, s, np.full(s.size, np.nan), _calls(s, spec.cutoff)))
        elif spec.source == "tmb":
            if tmb_values is None:
                if explicit:
                    raise InputError(
                        "tmb needs TMB values",
                        source="tmb",
                        fix="give mutations (CLI --maf with --capture-mb; Python: tmb=) or a "
                        "clinical table with a TMB column (mutations per Mb)",
                    )
                continue
            s = tmb_values.to_numpy(dtype=float)
            cut = spec.cutoff if assay == "panel" else None
            if assay != "panel":
                logger.info(
                    "TMB: no call (the >= 10/Mb cut-off is defined for panel TMB; assay %s)",
                    assay or "not stated",
                )
            info["assay"] = assay
            info["cutoff_applied"] = cut is not None
            blocks.append(
                _block(list(tmb_values.index), name, s, np.full(s.size, np.nan), _calls(s, cut))
            )
        elif spec.source == "clinical":
            which: Literal["pancancer", "nsclc"] = (
                "pancancer" if name == "loris_pancancer" else "nsclc"
            )
            if clin is None or (
                not explicit and not _has_inputs(_with_tmb(clin, tmb_values), which)
            ):
                if explicit:
                    raise InputError(
                        f"{name} needs a clinical table with the LORIS inputs",
                        source="clinical",
                        fix="pass clinical= (see loris_score for the columns)",
                    )
                continue
            table = _with_tmb(clin, tmb_values)
            if which == "nsclc" and not explicit:
                table = _nsclc_rows(table)
                if table is None:
                    continue
            res = loris_score(table, model=which)
            p = res.scores["probability"].to_numpy(dtype=float)
            info.update({k: res.settings[k] for k in ("licence", "parameters_sha256")})
            notes.extend(res.warnings)
            blocks.append(
                _block(
                    list(res.scores["sample_id"]),
                    name,
                    res.scores["score"].to_numpy(dtype=float),
                    p,
                    _calls(p, spec.cutoff),
                )
            )
        elif spec.source == "expression":
            if expression is None:
                if explicit:
                    raise InputError(
                        "tide needs the expression matrix",
                        source="expression",
                        fix="give the expression matrix (CLI --expr; Python: expression=)",
                    )
                continue
            tide = _tide(expression, tide_cancer, tide_pretreat)
            s = -tide.to_numpy(dtype=float)
            blocks.append(
                _block(
                    [str(i) for i in tide.index],
                    name,
                    s,
                    np.full(s.size, np.nan),
                    _calls(s, spec.cutoff, strict=True),
                )
            )
            info["orientation"] = "score = -TIDE"
        used[name] = info
    out = (
        pd.concat(blocks, ignore_index=True)
        if blocks
        else pd.DataFrame({c: pd.Series(dtype=float) for c in _COLUMNS})
    )
    out["predicted"] = out["predicted"].astype("string")
    return PublishedPredictions(out[_COLUMNS], {"predictors": used}, notes)


def _with_tmb(clin: pd.DataFrame, tmb: pd.Series | None) -> pd.DataFrame:
    if tmb is None or any(c in clin.columns for c in LORIS_INPUTS["tmb"]):
        return clin
    frame = clin.copy()
    ids = frame["sample_id"] if "sample_id" in frame.columns else frame.index.to_series()
    frame["tmb"] = ids.astype(str).map(tmb).to_numpy()
    return frame


def _nsclc_rows(table: pd.DataFrame) -> pd.DataFrame | None:
    """Rows the NSCLC LORIS applies to by default: NSCLC rows when a cancer type is given."""
    col = next((c for c in LORIS_INPUTS["cancer_type"] if c in table.columns), None)
    if col is None:
        return table
    norm = table[col].astype("string").str.lower().str.replace(r"[^a-z0-9]", "", regex=True)
    keep = (norm == "nsclc").fillna(False).to_numpy(dtype=bool)
    return table.loc[keep] if keep.any() else None
