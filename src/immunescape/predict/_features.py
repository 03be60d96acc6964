"""Which features the response models use: named feature sets, baselines, candidate units.

These are tables of feature ids of :func:`immunescape.signatures.runner.score` (data, not
logic), shipped in ``predict/data/feature_sets.yaml`` (checksummed, described there) and read
once at import: the feature sets of :class:`~immunescape.predict.ResponseModel`, the published
single predictors every cross-cohort evaluation compares against, and the units and candidate
configurations of :class:`~immunescape.predict.RobustModel`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from immunescape._resources import REINSTALL, read_resource
from immunescape.errors import ResourceError

__all__ = ["BASELINES", "CANDIDATES", "CONCEPTS", "FEATURE_SETS"]

_FILE = "feature_sets.yaml"
_SCHEMA = "immunescape.feature_sets/1"
_KINDS = ("consensus", "logistic")
_STANDARDIZE = ("cohort", "reference")
_CANDIDATE_KEYS = {"description", "kind", "singles", "units", "C", "standardize"}

Units = dict[str, tuple[tuple[str, int], ...]]


def _malformed(why: str) -> ResourceError:
    return ResourceError(
        f"the shipped file immunescape.predict/data/{_FILE} is malformed ({why}); {REINSTALL}"
    )


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise _malformed(f"{what}: {value!r} is not a name")
    return value


def _mapping(value: Any, what: str) -> dict[Any, Any]:
    if not isinstance(value, dict) or not value:
        raise _malformed(f"{what} is not a non-empty mapping")
    return value


def _pairs(value: Any, what: str) -> tuple[tuple[str, int], ...]:
    """``[[feature id, sign], ...]`` -> ``((feature id, sign), ...)`` with sign +1 or -1."""
    if not isinstance(value, list) or not value:
        raise _malformed(f"{what} is not a non-empty list of [feature id, sign]")
    out = []
    for pair in value:
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or type(pair[1]) is not int
            or pair[1] not in (1, -1)
        ):
            raise _malformed(f"{what}: {pair!r} is not [feature id, 1 or -1]")
        out.append((_name(pair[0], what), pair[1]))
    return tuple(out)


def _feature_sets(data: Any) -> dict[str, tuple[str, ...]]:
    out = {}
    for name, spec in _mapping(data, "feature_sets").items():
        features = _mapping(spec, f"feature set {name!r}").get("features")
        if not isinstance(features, list) or not features:
            raise _malformed(f"feature set {name!r} has no list of features")
        out[_name(name, "feature set")] = tuple(_name(f, f"feature set {name!r}") for f in features)
    return out


def _candidates(data: Any, concepts: Units) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, spec in _mapping(data, "candidates").items():
        what = f"candidate {name!r}"
        spec = _mapping(spec, what)
        extra = set(spec) - _CANDIDATE_KEYS
        if extra:
            raise _malformed(f"{what} has unknown keys {sorted(extra)}")
        if spec.get("kind") not in _KINDS:
            raise _malformed(f"{what}: kind must be one of {_KINDS}")
        params: dict[str, Any] = {"kind": spec["kind"]}
        if ("singles" in spec) == ("units" in spec):
            raise _malformed(f"{what} needs exactly one of 'singles' or 'units: concepts'")
        if "singles" in spec:
            params["units"] = {f: ((f, s),) for f, s in _pairs(spec["singles"], what)}
        elif spec["units"] == "concepts":
            params["units"] = concepts
        else:
            raise _malformed(f"{what}: units must be 'concepts'")
        if "C" in spec:
            if type(spec["C"]) is not float or not spec["C"] > 0:
                raise _malformed(f"{what}: C must be a positive number")
            params["C"] = spec["C"]
        if "standardize" in spec:
            if spec["standardize"] not in _STANDARDIZE:
                raise _malformed(f"{what}: standardize must be one of {_STANDARDIZE}")
            params["standardize"] = spec["standardize"]
        out[_name(name, "candidate")] = params
    return out


@cache
def _load() -> tuple[dict[str, tuple[str, ...]], dict[str, str], Units, dict[str, dict[str, Any]]]:
    """Read and check ``predict/data/feature_sets.yaml`` (once).

    Returns
    -------
    tuple
        ``(feature_sets, baselines, concepts, candidates)``.

    Raises
    ------
    ResourceError
        The file is missing, corrupt (checksum) or malformed.
    """
    raw = read_resource("immunescape.predict", _FILE)
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise _malformed("not YAML: " + " ".join(str(exc).split())) from None
    data = _mapping(data, "the document")
    if data.get("schema") != _SCHEMA:
        raise _malformed(f"schema is {data.get('schema')!r}, expected {_SCHEMA!r}")
    feature_sets = _feature_sets(data.get("feature_sets"))
    baselines = {
        _name(k, "baseline"): _name(v, f"baseline {k!r}")
        for k, v in _mapping(data.get("baselines"), "baselines").items()
    }
    concepts = {
        _name(k, "concept"): _pairs(v, f"concept {k!r}")
        for k, v in _mapping(data.get("concepts"), "concepts").items()
    }
    candidates = _candidates(data.get("candidates"), concepts)
    return feature_sets, baselines, concepts, candidates


#: Named feature sets (ids of :func:`immunescape.signatures.runner.score` features): name ->
#: feature ids. ``curated`` (23 broad immune descriptors), ``published`` (the five published
#: expression predictors of the model card: impres, gep18, cyt, ifng6, gene_CD274), ``axes``
#: (one representative per biological axis); each is described in ``feature_sets.yaml``.
FEATURE_SETS: dict[str, tuple[str, ...]]
#: Published single predictors compared against in cross-cohort evaluations: name -> score
#: feature id (higher = more likely to respond).
BASELINES: dict[str, str]
#: Units: name -> ((feature id, sign), ...). Signs are the published directions (higher
#: T-cell inflammation, IMPRES, antigen presentation: response; TGF-beta / stromal exclusion:
#: resistance).
CONCEPTS: Units
#: Candidate configurations compared by nested leave-one-cohort-out (name -> parameters).
CANDIDATES: dict[str, dict[str, Any]]
FEATURE_SETS, BASELINES, CONCEPTS, CANDIDATES = _load()
