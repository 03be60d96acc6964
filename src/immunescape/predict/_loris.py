"""LORIS: the logistic regression-based immunotherapy-response score (Chang et al. 2024).

Chang T-G et al. LORIS robustly predicts patient outcomes with immune checkpoint blockade
therapy using common clinical, pathologic and genomic features. Nat Cancer 5, 1158-1175 (2024),
doi:10.1038/s43018-024-00772-7.

Two published models, each a lasso-penalised logistic regression fitted by the authors on
standardised inputs:

``pancancer``
    TMB (mut/Mb, capped at 50), prior systemic therapy (0/1), albumin (g/dL), NLR (capped at
    25), age (years, capped at 85) and a cancer-type calibration term over 16 cancer types.
``nsclc``
    TMB (capped at 50), PD-L1 tumour proportion score (%), prior systemic therapy, albumin, NLR
    (capped at 25) and age (capped at 85).

``S = intercept + sum(coef * (min(x, cap) - mean) / scale)`` and ``LORIS = 1 / (1 + exp(-S))``.
The parameters live in ``data/loris.yaml`` (CC BY-NC 4.0, not MIT; see docs/predict.md).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from immunescape._logging import logger
from immunescape._resources import REINSTALL, read_resource, resource_sha256
from immunescape._result import Result
from immunescape._validate import check_choice
from immunescape.errors import ImmunescapeWarning, InputError, ResourceError
from immunescape.predict._common import sigmoid

__all__ = [
    "LORIS_INPUTS",
    "LorisModel",
    "LorisParameters",
    "LorisScores",
    "LorisTerm",
    "PredictorInputWarning",
    "load_loris",
    "loris_score",
]

ModelName = Literal["pancancer", "nsclc"]
Coefficients = Literal["full", "printed"]
UnknownCancerType = Literal["error", "reference"]

#: Accepted column names per LORIS input, in order of preference: the names of the LORIS/Chowell
#: tables, then snake_case.
LORIS_INPUTS: dict[str, tuple[str, ...]] = {
    "tmb": ("TMB", "tmb"),
    "systemic_therapy_history": ("Systemic_therapy_history", "systemic_therapy_history"),
    "albumin": ("Albumin", "albumin"),
    "nlr": ("NLR", "nlr"),
    "age": ("Age", "age"),
    "cancer_type": ("CancerType", "cancer_type"),
    "pdl1_tps": ("PDL1_TPS(%)", "pdl1_tps"),
}

#: cBioPortal's clinical attribute names, used only when none of the names above is present
#: (``TMB_NONSYNONYMOUS`` is cBioPortal's nonsynonymous TMB in mutations per megabase).
LORIS_FALLBACK_NAMES: dict[str, tuple[str, ...]] = {
    "tmb": ("TMB_NONSYNONYMOUS",),
    "age": ("AGE",),
    "cancer_type": ("CANCER_TYPE",),
}

# Plausible ranges; values outside them are input errors, not patients.
_RANGES: dict[str, tuple[float, float, str]] = {
    "tmb": (0.0, np.inf, "mutations per megabase, >= 0"),
    "albumin": (0.0, 10.0, "serum albumin in g/dL (typically 2-5)"),
    "nlr": (0.0, np.inf, "neutrophil-to-lymphocyte ratio, >= 0"),
    "age": (0.0, 130.0, "age in years"),
    "pdl1_tps": (0.0, 100.0, "PD-L1 tumour proportion score in percent, 0-100"),
}
_TRUE = {"1", "1.0", "yes", "y", "true", "t"}
_FALSE = {"0", "0.0", "no", "n", "false", "f"}


class PredictorInputWarning(ImmunescapeWarning):
    """Some samples cannot be scored (missing inputs) or lie outside a predictor's scope."""


@dataclass(frozen=True)
class LorisTerm:
    """One term of a LORIS model: an input (or one cancer-type level) and its parameters."""

    input: str
    level: str | None
    mean: float
    scale: float
    coef: float
    printed: float


@dataclass(frozen=True)
class LorisModel:
    """A LORIS model: caps, intercepts and terms, as published by the authors."""

    name: str
    title: str
    source_file: str
    training: str
    caps: dict[str, float]
    intercept: float
    printed_intercept: float
    terms: tuple[LorisTerm, ...]

    @property
    def inputs(self) -> tuple[str, ...]:
        """Required inputs, in model order (each once)."""
        return tuple(dict.fromkeys(t.input for t in self.terms))

    @property
    def cancer_types(self) -> tuple[str, ...]:
        """Cancer types with a calibration term (empty for the NSCLC model)."""
        return tuple(t.level for t in self.terms if t.level is not None)

    def raw_coefficients(self) -> tuple[dict[str, float], float]:
        """Coefficients and intercept on the raw (unstandardised) scale, full precision.

        Returns
        -------
        coefficients, intercept
            ``coef / scale`` per term (keys ``input`` or ``cancer_type=LEVEL``) and
            ``intercept - sum(coef * mean / scale)``.

        Examples
        --------
        >>> coefs, intercept = load_loris().models["pancancer"].raw_coefficients()
        >>> round(coefs["tmb"], 4), round(intercept, 4)
        (0.0371, -2.0886)
        """
        coefs = {_term_key(t): t.coef / t.scale for t in self.terms}
        intercept = self.intercept - sum(t.coef * t.mean / t.scale for t in self.terms)
        return coefs, float(intercept)


@dataclass(frozen=True)
class LorisParameters:
    """The LORIS parameter file: models plus citation, licence, version and checksum."""

    models: dict[str, LorisModel]
    citation: str
    doi: str
    licence: str
    licence_note: str
    version: str
    source: dict[str, str]
    cancer_type_aliases: dict[str, tuple[str, ...]]
    sha256: str


@dataclass
class LorisScores(Result):
    """LORIS scores of a set of patients, with the model and parameter provenance.

    Attributes
    ----------
    scores
        ``sample_id``, ``score`` (the linear predictor S, log-odds) and ``probability``
        (LORIS = 1 / (1 + exp(-S))); NaN for patients with a missing input.
    settings
        ``model``, ``title``, ``coefficients``, ``unknown_cancer_type``, ``citation``,
        ``doi``, ``licence``, ``parameters_version`` and ``parameters_sha256``.
    warnings
        Samples left unscored for missing inputs, or outside the model's scope.
    """

    table_names = ("scores",)
    scores: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _term_key(term: LorisTerm) -> str:
    return term.input if term.level is None else f"{term.input}={term.level}"


def _norm_label(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower().replace("&", "and"))


@cache
def load_loris() -> LorisParameters:
    """Load the packaged LORIS parameters (``predict/data/loris.yaml``).

    Returns
    -------
    LorisParameters
        Both models with citation, licence (CC BY-NC 4.0), file version and SHA-256.

    Examples
    --------
    >>> params = load_loris()
    >>> sorted(params.models), params.licence
    (['nsclc', 'pancancer'], 'CC BY-NC 4.0')
    """
    raw = read_resource("immunescape.predict", "loris.yaml")
    try:
        data = yaml.safe_load(raw)
        models = {}
        for name, spec in data["models"].items():
            terms = tuple(
                LorisTerm(
                    input=str(t["input"]),
                    level=None if t.get("level") is None else str(t["level"]),
                    mean=float(t["mean"]),
                    scale=float(t["scale"]),
                    coef=float(t["coef"]),
                    printed=float(t["printed"]),
                )
                for t in spec["terms"]
            )
            models[name] = LorisModel(
                name=name,
                title=str(spec["title"]),
                source_file=str(spec["source_file"]),
                training=str(spec["training"]),
                caps={str(k): float(v) for k, v in spec["caps"].items()},
                intercept=float(spec["intercept"]),
                printed_intercept=float(spec["printed_intercept"]),
                terms=terms,
            )
        aliases = {
            str(k): tuple(str(a) for a in (v or ())) for k, v in data["cancer_type_aliases"].items()
        }
        params = LorisParameters(
            models=models,
            citation=" ".join(str(data["citation"]).split()),
            doi=str(data["doi"]),
            licence=str(data["licence"]),
            licence_note=" ".join(str(data["licence_note"]).split()),
            version=str(data["version"]),
            source={str(k): str(v) for k, v in data["source"].items()},
            cancer_type_aliases=aliases,
            sha256=resource_sha256("immunescape.predict", "loris.yaml"),  # verified on read
        )
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        raise ResourceError(
            f"the shipped file immunescape.predict/data/loris.yaml is malformed ({exc!r}); "
            f"{REINSTALL}"
        ) from exc
    for model in models.values():
        unknown = set(model.inputs) - set(LORIS_INPUTS)
        bad_scale = [t for t in model.terms if not t.scale > 0]
        if unknown or bad_scale:
            raise ResourceError(
                f"the shipped file immunescape.predict/data/loris.yaml: LORIS model "
                f"{model.name!r} has unknown inputs {sorted(unknown)} or non-positive scales; "
                f"{REINSTALL}"
            )
    return params


def _resolve_columns(
    table: pd.DataFrame, needed: tuple[str, ...], columns: Mapping[str, str] | None, model: str
) -> dict[str, str]:
    given: dict[str, str] = {}
    if columns is not None:
        if not isinstance(columns, Mapping):
            raise InputError(
                f"expected a mapping from LORIS input to column name, got {type(columns).__name__}",
                source="columns",
                fix="pass e.g. columns={'tmb': 'tmb_per_mb', 'age': 'age_years'}",
            )
        unknown = sorted(set(columns) - set(LORIS_INPUTS))
        if unknown:
            raise InputError(
                f"unknown LORIS input(s) {', '.join(map(repr, unknown))}",
                source="columns",
                fix=f"use keys among {', '.join(LORIS_INPUTS)}",
            )
        for key, col in columns.items():
            if col not in table.columns:
                raise InputError(
                    f"column {col!r} given for {key!r} is not in the clinical table",
                    source="columns",
                    fix="name an existing column; the table has "
                    + ", ".join(map(str, list(table.columns)[:12]))
                    + (" ..." if table.shape[1] > 12 else ""),
                )
            given[str(key)] = str(col)
    resolved: dict[str, str] = {}
    missing: list[str] = []
    for inp in needed:
        if inp in given:
            resolved[inp] = given[inp]
            continue
        found = [c for c in LORIS_INPUTS[inp] if c in table.columns] or [
            c for c in LORIS_FALLBACK_NAMES.get(inp, ()) if c in table.columns]
        if len(found) > 1:
            raise InputError(
                f"both columns {found[0]!r} and {found[1]!r} could be {inp!r}",
                source="clinical",
                fix=f"keep one of them in the clinical file (or, in Python, choose with "
                f"columns={{{inp!r}: {found[0]!r}}})",
            )
        if found:
            resolved[inp] = found[0]
        else:
            missing.append(inp)
    if missing:
        listed = "; ".join(f"{m} ({' or '.join(LORIS_INPUTS[m])})" for m in missing)
        raise InputError(
            f"missing required column(s) for the {model} LORIS model: {listed}",
            source="clinical",
            fix="add them to the clinical file under one of the names listed (or, in Python, "
            "map your own column names with columns={'tmb': 'my_tmb', ...})",
        )
    return resolved


def _numeric(values: pd.Series, name: str, column: str) -> np.ndarray:
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        # empty or blank cells are missing values (spreadsheets and read_clinical keep them as "")
        text = values.astype("string").str.strip()
        values = values.mask(text.isna() | (text == "")).astype(object)
    num = pd.to_numeric(values, errors="coerce")
    bad = num.isna() & values.notna()
    if bad.any():
        raise InputError(
            f"column {column!r} ({name}) has non-numeric value {values[bad].iloc[0]!r}",
            source="clinical",
            fix="give numbers; leave missing values empty",
        )
    arr = num.to_numpy(dtype=float)
    lo, hi, meaning = _RANGES[name]
    with np.errstate(invalid="ignore"):
        out = (arr < lo) | (arr > hi)
    if out.any():
        example = arr[out][0]
        fix = f"give {meaning}"
        if name == "albumin" and example > hi:
            fix = "albumin looks like g/L: divide by 10 to give g/dL"
        raise InputError(
            f"column {column!r} ({name}) has implausible value {example:g}",
            source="clinical",
            fix=fix,
        )
    return arr


def _binary01(values: pd.Series, column: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        num = values.astype(float).to_numpy()
        ok = np.isnan(num) | (num == 0.0) | (num == 1.0)
        if ok.all():
            return num
    text = values.astype("string").str.strip().str.lower()
    is_true = text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)
    is_false = text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)
    blank = text.isin({"", "nan", "na"}).fillna(False).to_numpy(dtype=bool)
    bad = values.notna().to_numpy() & ~(is_true | is_false | blank)
    if bad.any():
        raise InputError(
            f"column {column!r} (systemic_therapy_history) has value {values[bad].iloc[0]!r}",
            source="clinical",
            fix="give 1 if the patient had chemotherapy or targeted therapy before ICB, "
            "else 0 (yes/no and true/false are also accepted)",
        )
    out = np.full(len(values), np.nan)
    out[is_true] = 1.0
    out[is_false] = 0.0
    return out


def _cancer_type_lookup(params: LorisParameters, model: LorisModel) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for level in model.cancer_types:
        lookup[_norm_label(level)] = level
        for alias in params.cancer_type_aliases.get(level, ()):
            lookup[_norm_label(alias)] = level
    return lookup


def _sample_ids(table: pd.DataFrame) -> pd.Series:
    for col in ("sample_id", "SAMPLE_ID"):
        if col in table.columns:
            ids = table[col]
            break
    else:
        ids = pd.Series(table.index, index=table.index)
    ids = ids.astype(str)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise InputError(
            f"sample id {dup.iloc[0]!r} occurs more than once",
            source="clinical",
            fix="give one row per sample (a unique sample_id column or index)",
        )
    return ids.reset_index(drop=True)


def loris_score(
    clinical: pd.DataFrame,
    *,
    model: ModelName = "pancancer",
    columns: Mapping[str, str] | None = None,
    coefficients: Coefficients = "full",
    unknown_cancer_type: UnknownCancerType = "error",
) -> LorisScores:
    """Score patients with LORIS (Chang et al. 2024, Nat Cancer).

    Per-sample: each patient's score depends only on his or her own values.

    Parameters
    ----------
    clinical
        One row per patient. Sample ids from a ``sample_id`` (or ``SAMPLE_ID``) column, else
        the index. Inputs are found under the LORIS table names or snake_case
        (see :data:`LORIS_INPUTS`): TMB / tmb (mut/Mb, panel), Systemic_therapy_history /
        systemic_therapy_history (1 if chemotherapy or targeted therapy before ICB, else 0),
        Albumin / albumin (g/dL), NLR / nlr, Age / age (years), CancerType / cancer_type
        (pan-cancer model), PDL1_TPS(%) / pdl1_tps (percent, NSCLC model).
    model
        ``"pancancer"`` (16 cancer types) or ``"nsclc"`` (NSCLC, needs PD-L1 TPS).
    columns
        Mapping from LORIS input (keys as in :data:`LORIS_INPUTS`) to your column name, for
        tables with other names.
    coefficients
        ``"full"`` (default): the authors' fitted parameters at full precision, giving the same
        probabilities as the authors' published per-patient predictions. ``"printed"``: the
        four-decimal raw-scale formula the authors print for hand calculation (its NSCLC form
        has no age term).
    unknown_cancer_type
        Pan-cancer model only. ``"error"`` (default): a cancer type without a calibration term
        (e.g. CNS, unknown primary) raises :class:`~immunescape.errors.InputError`.
        ``"reference"``: score such patients with no cancer-type term (all 16 indicators 0), as
        Chang et al. did for the MSK2 cohort; their scores are less well calibrated.

    Returns
    -------
    LorisScores
        ``scores``: ``sample_id``, ``score`` (the linear predictor S, log-odds) and
        ``probability`` (LORIS = 1 / (1 + exp(-S)), the estimated probability of objective
        response). Patients with a missing input get NaN and a :class:`PredictorInputWarning`
        (also listed in ``warnings``). ``settings`` holds the model, coefficient set,
        citation, licence and parameter-file checksum.

    Raises
    ------
    InputError
        Missing columns (all listed), non-numeric or implausible values, unknown cancer types.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({
    ...     "sample_id": ["p1", "p2"], "TMB": [30.0, 2.0], "Systemic_therapy_history": [0, 1],
    ...     "Albumin": [4.2, 3.1], "NLR": [2.5, 12.0], "Age": [70, 55],
    ...     "CancerType": ["Melanoma", "Pancreatic"]})
    >>> loris_score(table).scores.round(3)
      sample_id  score  probability
    0        p1  1.533        0.822
    1        p2 -2.469        0.078
    """
    if not isinstance(clinical, pd.DataFrame):
        raise InputError(
            f"expected a pandas DataFrame, got {type(clinical).__name__}",
            source="clinical",
            fix="read the clinical table with immunescape.io or pandas first",
        )
    check_choice("model", model, ModelName)
    check_choice("coefficients", coefficients, Coefficients)
    check_choice("unknown_cancer_type", unknown_cancer_type, UnknownCancerType)
    params = load_loris()
    spec = params.models[model]
    terms = spec.terms
    if coefficients == "printed":
        terms = tuple(t for t in terms if t.printed != 0.0)
    needed = tuple(dict.fromkeys(t.input for t in terms))
    resolved = _resolve_columns(clinical, needed, columns, model)
    ids = _sample_ids(clinical)
    n = len(clinical)

    inputs: dict[str, np.ndarray] = {}
    for inp in needed:
        col = resolved[inp]
        values = clinical[col].reset_index(drop=True)
        if inp == "systemic_therapy_history":
            inputs[inp] = _binary01(values, col)
        elif inp == "cancer_type":
            continue
        else:
            arr = _numeric(values, inp, col)
            cap = spec.caps.get(inp)
            inputs[inp] = np.minimum(arr, cap) if cap is not None else arr

    if "cancer_type" in needed:
        ct_values = clinical[resolved["cancer_type"]].reset_index(drop=True)
        lookup = _cancer_type_lookup(params, spec)
        present = ct_values.notna().to_numpy()
        labels = ct_values.astype("string")
        level_code = {level: i for i, level in enumerate(spec.cancer_types)}
        codes = {  # each distinct spelling -> index of its cancer type, -1 if none
            u: level_code.get(lookup.get(_norm_label(u), ""), -1) for u in labels.dropna().unique()
        }
        ct_code = labels.map(codes).fillna(-1).to_numpy(dtype=np.int64)
        unknown_mask = present & (ct_code < 0)
        if unknown_mask.any():
            counts = ct_values[unknown_mask].astype(str).value_counts()
            listed = ", ".join(f"{k!r} ({v})" for k, v in counts.head(6).items())
            if unknown_cancer_type == "error":
                raise InputError(
                    f"cancer type(s) without a LORIS calibration term: {listed}",
                    source="clinical",
                    fix="spell them as one of "
                    + ", ".join(spec.cancer_types)
                    + "; or pass unknown_cancer_type='reference' to score them with no "
                    "cancer-type term (as Chang et al. did for MSK2)",
                )
            logger.info(
                "LORIS: %d sample(s) of cancer types without a calibration term scored with "
                "none (unknown_cancer_type='reference'): %s",
                int(unknown_mask.sum()),
                listed,
            )
        ct_missing = ~present
    else:
        ct_code = np.full(n, -1, dtype=np.int64)
        ct_missing = np.zeros(n, dtype=bool)

    linear = np.zeros(n)
    for t in terms:
        if t.level is not None:
            x = (ct_code == spec.cancer_types.index(t.level)).astype(float)
        else:
            x = inputs[t.input]
        if coefficients == "full":
            linear += t.coef * (x - t.mean) / t.scale
        else:
            linear += t.printed * x
    linear += spec.intercept if coefficients == "full" else spec.printed_intercept
    missing = ct_missing.copy()
    missing_by_input: dict[str, int] = {}
    for inp, arr in inputs.items():
        miss = np.isnan(arr)
        if miss.any():
            missing_by_input[inp] = int(miss.sum())
        missing |= miss
    if ct_missing.any():
        missing_by_input["cancer_type"] = int(ct_missing.sum())
    linear[missing] = np.nan
    notes = []
    if missing.any():
        detail = ", ".join(f"{k} ({v})" for k, v in missing_by_input.items())
        notes.append(
            f"LORIS {model}: {int(missing.sum())} of {n} samples lack an input and get NaN: "
            f"{detail}"
        )
    if model == "nsclc":
        ct_col = next((c for c in LORIS_INPUTS["cancer_type"] if c in clinical.columns), None)
        if ct_col is not None:
            other = clinical[ct_col].dropna().astype(str).map(_norm_label) != "nsclc"
            if other.any():
                notes.append(
                    f"NSCLC LORIS applied to {int(other.sum())} non-NSCLC sample(s) "
                    f"(column {ct_col!r}); the model was trained on NSCLC only"
                )
    for note in notes:
        warnings.warn(note, PredictorInputWarning, stacklevel=2)
    out = pd.DataFrame({"sample_id": ids, "score": linear, "probability": sigmoid(linear)})
    return LorisScores(out, _provenance(params, spec, coefficients, unknown_cancer_type), notes)


def _provenance(
    params: LorisParameters, spec: LorisModel, coefficients: str, unknown_cancer_type: str
) -> dict[str, Any]:
    return {
        "model": f"loris_{spec.name}",
        "title": spec.title,
        "coefficients": coefficients,
        "unknown_cancer_type": unknown_cancer_type,
        "citation": params.citation,
        "doi": params.doi,
        "licence": params.licence,
        "parameters_version": params.version,
        "parameters_sha256": params.sha256,
    }
