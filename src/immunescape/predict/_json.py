"""Saving and loading fitted models as JSON (never pickles; loading runs no code).

A :class:`~immunescape.predict.ResponseModel` file holds the feature ids, the
standardisation policy and statistics, coefficients, intercept, threshold, training
provenance, package version and schema version (:func:`save_model`, :func:`load_model`). A
:class:`~immunescape.predict.RobustModel` file holds its units, reference and unit statistics
and every precomputed sub-model with its calibrator (:func:`save_robust`);
:func:`load_model` reads either. The built-in model is a RobustModel shipped in
``predict/data`` and read through :func:`immunescape._resources.read_resource` (checksum
verified).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from immunescape._resources import read_resource
from immunescape._version import __version__
from immunescape.errors import InputError
from immunescape.predict._common import plain, write_json
from immunescape.predict._model import ResponseModel
from immunescape.predict._robust import RobustModel
from immunescape.predict._scaling import _ALL, CohortStandardScaler

__all__ = [
    "MODEL_SCHEMA",
    "MODEL_SCHEMA_VERSION",
    "ROBUST_SCHEMA",
    "ROBUST_SCHEMA_VERSION",
    "load_builtin_model",
    "load_model",
    "model_from_dict",
    "model_to_dict",
    "robust_from_dict",
    "robust_to_dict",
    "save_model",
    "save_robust",
]

#: Schema name and version written into every saved ResponseModel.
MODEL_SCHEMA = "immunescape.response_model"
MODEL_SCHEMA_VERSION = 1
#: Schema name and version written into every saved RobustModel.
ROBUST_SCHEMA = "immunescape.robust_model"
ROBUST_SCHEMA_VERSION = 1

_BUILTIN = "builtin_model.json"
_MAX_MODEL_BYTES = 5_000_000


# ---------------------------------------------------------------------- ResponseModel
def _label(value: Any) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value)
    if isinstance(value, str):
        return value
    raise InputError(
        f"class label {value!r} cannot be saved",
        source="y",
        fix="use 0/1, strings or booleans as labels",
    )


def model_to_dict(
    model: ResponseModel,
    *,
    provenance: Mapping[str, Any] | None = None,
    include_cohort_statistics: bool = True,
) -> dict[str, Any]:
    """Return the JSON document of a fitted model (see :func:`save_model`).

    Returns
    -------
    dict
        JSON-serialisable.
    """
    if not isinstance(model, ResponseModel):
        raise InputError(
            f"expected a ResponseModel, got {type(model).__name__}",
            source="model",
            fix="fit a ResponseModel first",
        )
    check_is_fitted(model)
    scaler: CohortStandardScaler = model.scaler_
    pooled = scaler.cohorts_.size == 1 and scaler.cohorts_[0] == _ALL
    if pooled:
        policy = "global" if model.standardize == "global" else "pooled"
        stats = [
            {
                "cohort": None,
                "n": int(scaler.n_samples_seen_[0]),
                "mean": scaler.mean_[0],
                "scale": scaler.scale_[0],
            }
        ]
    else:
        policy = "cohort"
        stats = (
            [
                {"cohort": str(c), "n": int(n), "mean": m, "scale": s}
                for c, n, m, s in zip(
                    scaler.cohorts_,
                    scaler.n_samples_seen_,
                    scaler.mean_,
                    scaler.scale_,
                    strict=True,
                )
            ]
            if include_cohort_statistics
            else []
        )
    params = model.get_params()
    if params.get("features") is not None and not isinstance(params["features"], str):
        params["features"] = list(params["features"])
    if isinstance(params.get("class_weight"), Mapping):
        params["class_weight"] = {str(k): v for k, v in params["class_weight"].items()}
    doc = {
        "schema": MODEL_SCHEMA,
        "schema_version": MODEL_SCHEMA_VERSION,
        "immunescape_version": __version__,
        "model_type": "ResponseModel",
        "params": params,
        "features": list(model.features_),
        "has_feature_names": hasattr(model, "feature_names_in_"),
        "classes": [_label(c) for c in model.classes_],
        "positive_class": _label(model.classes_[1]),
        "coefficients": dict(zip(model.features_, model.coef_, strict=True)),
        "intercept": model.intercept_,
        "threshold": {"value": model.threshold_, **model.threshold_info_},
        "standardization": {
            "policy": policy,
            "min_cohort_size": int(model.min_cohort_size),
            "new_cohorts": "standardised on themselves (label-free) when they have at least "
            "min_cohort_size samples; smaller sets need a reference cohort"
            if policy == "cohort"
            else "pooled training statistics are applied",
            "cohort_statistics_included": bool(pooled or include_cohort_statistics),
            "statistics": stats,
        },
        "dropped_features": list(model.dropped_features_),
        "training": {**model.training_, **dict(provenance or {})},
    }
    return plain(doc)


def save_model(
    model: ResponseModel,
    path: str | os.PathLike[str],
    *,
    provenance: Mapping[str, Any] | None = None,
    include_cohort_statistics: bool = True,
) -> Path:
    """Write a fitted model as JSON.

    The file holds the schema name and version, the package version, the hyper-parameters,
    the feature ids, the standardisation policy (and the training statistics), the
    coefficients (standardised scale), the intercept, the threshold and its origin, and the
    training provenance. Same model, same bytes (keys in fixed order, no time stamps).

    Parameters
    ----------
    model
        A fitted :class:`ResponseModel`.
    path
        Output file (``.json``).
    provenance
        Extra training provenance (cohorts, licences, evaluation), JSON-serialisable.
    include_cohort_statistics
        Store the per-training-cohort means and standard deviations (needed only to
        standardise training cohorts again with their training statistics). Pooled statistics
        of a globally standardised model are always stored.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> X = pd.DataFrame({"cyt": [0.0, 1.0, 2.0, 3.0]})
    >>> m = ResponseModel(features=["cyt"], standardize="global").fit(X, [0, 0, 1, 1])
    >>> f = save_model(m, pathlib.Path(tempfile.mkdtemp()) / "model.json")
    >>> bool((load_model(f).predict_proba(X) == m.predict_proba(X)).all())
    True
    """
    doc = model_to_dict(
        model, provenance=provenance, include_cohort_statistics=include_cohort_statistics
    )
    return write_json(doc, path)


def _require(doc: Mapping[str, Any], key: str, kind: type | tuple[type, ...], source: str) -> Any:
    if key not in doc:
        raise InputError(
            f"model file lacks the field {key!r}",
            source=source,
            fix="the file is damaged or not written by immunescape; retrain and save it again",
        )
    value = doc[key]
    if not isinstance(value, kind):
        raise InputError(
            f"model field {key!r} has the wrong type ({type(value).__name__})",
            source=source,
            fix="the file is damaged; retrain and save it again",
        )
    return value


def model_from_dict(doc: Mapping[str, Any], *, source: str = "<model>") -> ResponseModel:
    """Rebuild a fitted :class:`ResponseModel` from its JSON document (no code is run).

    Returns
    -------
    ResponseModel
    """
    if not isinstance(doc, Mapping) or doc.get("schema") != MODEL_SCHEMA:
        found = doc.get("schema") if isinstance(doc, Mapping) else type(doc).__name__
        raise InputError(
            f"not an immunescape response model (schema {found!r})",
            source=source,
            fix="pass a model written by immunescape train / save_model",
        )
    version = doc.get("schema_version")
    if version != MODEL_SCHEMA_VERSION:
        raise InputError(
            f"model schema version {version!r} is not supported (this immunescape "
            f"{__version__} reads version {MODEL_SCHEMA_VERSION}; the file was written by "
            f"immunescape {doc.get('immunescape_version')!r})",
            source=source,
            fix="retrain the model with this version of immunescape, or install the version "
            "that wrote it",
        )
    params = dict(_require(doc, "params", dict, source))
    feats = [str(f) for f in _require(doc, "features", list, source)]
    coefs = _require(doc, "coefficients", dict, source)
    classes = _require(doc, "classes", list, source)
    thr = _require(doc, "threshold", dict, source)
    std = _require(doc, "standardization", dict, source)
    intercept = _require(doc, "intercept", (int, float), source)
    if len(classes) != 2 or sorted(coefs) != sorted(feats):
        raise InputError(
            "model classes or coefficients are inconsistent with its features",
            source=source,
            fix="the file is damaged; retrain and save it again",
        )
    known = set(ResponseModel().get_params())
    unknown = sorted(set(params) - known)
    if unknown:
        raise InputError(
            f"model has unknown hyper-parameter(s): {', '.join(unknown)}",
            source=source,
            fix="the file was written by another immunescape version; retrain it",
        )
    if isinstance(params.get("class_weight"), dict):
        by_text = {str(c): c for c in classes}
        params["class_weight"] = {by_text.get(k, k): v for k, v in params["class_weight"].items()}
    try:
        model = ResponseModel(**params)
        model._check_options()
        coef = np.asarray([float(coefs[f]) for f in feats], dtype=float)
        value = float(thr["value"])
        stats = std["statistics"]
        policy = std["policy"]
        means = np.asarray([s["mean"] for s in stats], dtype=float).reshape(len(stats), len(feats))
        scales = np.asarray([s["scale"] for s in stats], dtype=float).reshape(
            len(stats), len(feats)
        )
        counts = np.asarray([int(s["n"]) for s in stats], dtype=int)
        cohort_names = [str(s["cohort"]) for s in stats] if policy == "cohort" else [_ALL]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"model file is malformed ({type(exc).__name__}: {exc})",
            source=source,
            fix="the file is damaged; retrain and save it again",
        ) from None
    if policy not in ("cohort", "global", "pooled") or (policy != "cohort" and len(stats) != 1):
        raise InputError(
            f"unknown standardisation policy {policy!r}",
            source=source,
            fix="the file is damaged; retrain and save it again",
        )
    if not (np.isfinite(coef).all() and np.isfinite(means).all() and (scales > 0).all()):
        raise InputError(
            "model coefficients or statistics are not finite",
            source=source,
            fix="the file is damaged; retrain and save it again",
        )
    scaler = CohortStandardScaler(handle_unknown="self")
    scaler.cohorts_ = np.asarray(cohort_names, dtype=object)
    scaler.mean_ = means.reshape(len(cohort_names), len(feats))
    scaler.scale_ = scales.reshape(len(cohort_names), len(feats))
    scaler.n_samples_seen_ = counts
    scaler.n_features_in_ = len(feats)
    model.classes_ = np.asarray(classes)
    if doc.get("has_feature_names", True) or model.features is not None:
        model.feature_names_in_ = np.asarray(feats, dtype=object)
    model.n_features_in_ = len(feats)
    model.features_ = feats
    model.coef_ = coef
    model.intercept_ = float(intercept)
    model.threshold_ = value
    model.threshold_info_ = {k: v for k, v in thr.items() if k != "value"}
    model.scaler_ = scaler
    model.cohorts_ = [c for c in cohort_names if c != _ALL]
    model.dropped_features_ = list(doc.get("dropped_features", []))
    model.training_ = dict(doc.get("training", {}))
    return model


# ---------------------------------------------------------------------- RobustModel
def robust_to_dict(model: RobustModel, *, provenance: Mapping[str, Any] | None = None) -> dict:
    """JSON document of a fitted model (all sub-models precomputed; no per-patient value).

    Returns
    -------
    dict
    """
    model.precompute()
    subs = {k: v for k, v in model.submodels_.items() if v is not None}
    doc = {
        "schema": ROBUST_SCHEMA,
        "schema_version": ROBUST_SCHEMA_VERSION,
        "immunescape_version": __version__,
        "model_type": "RobustModel",
        "name": model.name,
        "kind": model.kind,
        "C": model.C,
        "standardize": model.standardize,
        "min_cohort_size": model.min_cohort_size,
        "calibration": model.calibration,
        "units": {k: [[f, s] for f, s in v] for k, v in model.units.items()},
        "features": model.features,
        "reference_statistics": {
            "note": "used for cohorts smaller than min_cohort_size (and always with "
            "standardize='reference'): median of the training cohorts' means and median of "
            "their SDs, on the training scale",
            "mean": dict(zip(model.features, model.reference_mean_, strict=True)),
            "scale": dict(zip(model.features, model.reference_scale_, strict=True)),
        },
        "unit_statistics": {"mean": model.unit_mean_.tolist(), "scale": model.unit_scale_.tolist()},
        "prevalence": model.prevalence_,
        "submodels": {k: {**v, "coef": list(v["coef"])} for k, v in sorted(
            subs.items(), key=lambda kv: (len(kv[0]), kv[0]))},
        "training": {**model.training_, **dict(provenance or {})},
    }
    return plain(doc)


def robust_from_dict(doc: Mapping[str, Any], *, source: str = "<model>") -> RobustModel:
    """Rebuild a fitted :class:`RobustModel` from its JSON document (no code is run).

    Returns
    -------
    RobustModel
    """
    if doc.get("schema") != ROBUST_SCHEMA or doc.get("schema_version") != ROBUST_SCHEMA_VERSION:
        raise InputError(
            f"not a supported robust model (schema {doc.get('schema')!r} version "
            f"{doc.get('schema_version')!r})", source=source,
            fix="retrain the model with this version of immunescape")
    try:
        m = RobustModel({k: [(f, int(s)) for f, s in v] for k, v in doc["units"].items()},
                        kind=doc["kind"], C=float(doc["C"]), standardize=doc["standardize"],
                        min_cohort_size=int(doc["min_cohort_size"]),
                        calibration=doc["calibration"], name=str(doc.get("name", "robust")))
        ref = doc["reference_statistics"]
        m.reference_mean_ = np.asarray([np.nan if ref["mean"][f] is None else ref["mean"][f]
                                        for f in m.features], dtype=float)
        m.reference_scale_ = np.asarray([ref["scale"][f] for f in m.features], dtype=float)
        m.unit_mean_ = np.asarray(doc["unit_statistics"]["mean"], dtype=float)
        m.unit_scale_ = np.asarray(doc["unit_statistics"]["scale"], dtype=float)
        m.prevalence_ = float(doc["prevalence"])
        m.submodels_ = {}
        for k, v in doc["submodels"].items():
            m.submodels_[k] = {**v, "coef": np.asarray(v["coef"], dtype=float)}
        m.training_ = dict(doc.get("training", {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"model file is malformed ({type(exc).__name__}: {exc})",
                         source=source, fix="the file is damaged; retrain and save it again"
                         ) from None
    if m.unit_mean_.shape != (len(m.units),) or not np.isfinite(m.reference_scale_).all():
        raise InputError("model statistics are inconsistent with its units", source=source,
                         fix="the file is damaged; retrain and save it again")
    m.calibrate_ = True
    m.fitted_ = True
    return m


def save_robust(model: RobustModel, path: str | os.PathLike[str], *,
                provenance: Mapping[str, Any] | None = None) -> Path:
    """Write a fitted model as JSON (same model, same bytes).

    Returns
    -------
    pathlib.Path
    """
    return write_json(robust_to_dict(model, provenance=provenance), path)


# ---------------------------------------------------------------------- loading
def load_model(path: str | os.PathLike[str]) -> ResponseModel | RobustModel:
    """Read a model written by :func:`save_model` or :func:`save_robust`. Parses JSON only.

    Never runs code (pickles are refused).

    Parameters
    ----------
    path
        The ``.json`` file.

    Returns
    -------
    ResponseModel or RobustModel
        The fitted model, ready to predict (the kind is read from the file's schema).

    Raises
    ------
    InputError
        Missing file; a file that is not JSON (pickles are refused); JSON that is not an
        immunescape model; an unsupported schema version; malformed fields.
    """
    source = str(path)
    p = Path(path)
    if not p.is_file():
        raise InputError("model file not found", source=source, fix="check the path")
    raw = p.read_bytes()[: _MAX_MODEL_BYTES + 1]
    if len(raw) > _MAX_MODEL_BYTES:
        raise InputError(
            f"file is larger than {_MAX_MODEL_BYTES // 1_000_000} MB: not a response model",
            source=source,
            fix="pass a model written by immunescape train / save_model",
        )
    if raw[:1] == b"\x80" or raw[:2] in (b"(d", b"(l", b"}q", b"]q", b"cc"):
        raise InputError(
            "file looks like a Python pickle; immunescape never loads pickles (they can run code)",
            source=source,
            fix="save the model with immunescape (JSON) and load that file",
        )
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"not a JSON model file ({type(exc).__name__})",
            source=source,
            fix="pass a model written by immunescape train / save_model",
        ) from None
    if isinstance(doc, Mapping) and doc.get("schema") == "immunescape.robust_model":
        return robust_from_dict(doc, source=source)
    return model_from_dict(doc, source=source)


def load_builtin_model() -> RobustModel:
    """Load the built-in pan-cohort model shipped with immunescape (checksum verified).

    See ``src/immunescape/predict/data/MODEL_CARD.md`` for its training cohorts, licences,
    cross-cohort performance, intended use and limits.

    Returns
    -------
    RobustModel
        Features: per-sample scores of :func:`immunescape.signatures.runner.score`; a cohort
        of at least ``min_cohort_size`` samples is standardised on itself, a smaller one (down
        to one patient) with the reference statistics stored in the model; any subset of the
        features is used (a sub-model per subset, fitted at training time).

    Raises
    ------
    ResourceError
        The shipped file is missing or does not match its checksum (damaged installation).
    """
    doc = json.loads(read_resource("immunescape.predict", _BUILTIN).decode("utf-8"))
    return robust_from_dict(doc, source=_BUILTIN)

