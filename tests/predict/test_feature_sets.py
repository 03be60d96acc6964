"""The feature sets, baselines and candidates shipped in predict/data/feature_sets.yaml.

The published predictors are facts of their papers, written out here independently of the
shipped file: IMPRES (Auslander et al., Nat Med 2018), the 18-gene T-cell-inflamed GEP and the
6-gene IFN-gamma signature (Ayers et al., J Clin Invest 2017), cytolytic activity (Rooney et
al., Cell 2015) and PD-L1 (CD274) expression.
"""

from __future__ import annotations

import hashlib

import pytest

from immunescape import _resources
from immunescape.errors import InputError, ResourceError
from immunescape.predict import BASELINES, FEATURE_SETS, ROBUST_CANDIDATES, _features

_FILE = "feature_sets.yaml"


def test_published_set_and_baselines_are_the_published_predictors():
    assert FEATURE_SETS["published"] == ("impres", "gep18", "cyt", "ifng6", "gene_CD274")
    assert BASELINES == {
        "impres": "impres",
        "gep": "gep18",
        "cyt": "cyt",
        "cd274": "gene_CD274",
        "ifng6": "ifng6",
    }
    assert list(BASELINES) == ["impres", "gep", "cyt", "cd274", "ifng6"]


def test_types_and_order_are_those_the_models_expect():
    assert list(FEATURE_SETS) == ["curated", "published", "axes"]
    assert all(type(v) is tuple for v in FEATURE_SETS.values())
    assert len(FEATURE_SETS["curated"]) == len(set(FEATURE_SETS["curated"])) == 23
    assert FEATURE_SETS["axes"] == ("impres", "gep18", "ips_mhc", "pan_ftbrs", "tls9")
    assert _features.CONCEPTS["tgfb_exclusion"] == (
        ("pan_ftbrs", -1),
        ("progeny_tgfb", -1),
        ("mcp_fibroblasts", -1),
    )
    few = ROBUST_CANDIDATES["logistic_few_ref_C0.01"]
    assert few == {
        "kind": "logistic",
        "units": {
            "impres": (("impres", 1),),
            "gep18": (("gep18", 1),),
            "cyt": (("cyt", 1),),
            "gene_CD274": (("gene_CD274", 1),),
            "ips_mhc": (("ips_mhc", 1),),
            "pan_ftbrs": (("pan_ftbrs", -1),),
        },
        "C": 0.01,
        "standardize": "reference",
    }
    assert list(few) == ["kind", "units", "C", "standardize"]
    assert ROBUST_CANDIDATES["concepts_C0.1"]["units"] == _features.CONCEPTS


def _reload_with(monkeypatch, content: bytes | None, *, sidecar: bool) -> None:
    """Serve `content` as the shipped file (with a matching sidecar if asked) and reload."""
    real = _resources._read

    def fake(package: str, name: str) -> bytes:
        if package == "immunescape.predict" and content is not None:
            if name == _FILE:
                return content
            if name == f"{_FILE}.sha256" and sidecar:
                return f"{hashlib.sha256(content).hexdigest()}  {_FILE}\n".encode()
        return real(package, name)

    monkeypatch.setattr(_resources, "_read", fake)
    _features._load.cache_clear()
    try:
        _features._load()
    finally:
        monkeypatch.setattr(_resources, "_read", real)
        _features._load.cache_clear()


def test_corrupted_file_is_refused(monkeypatch):
    raw = _resources._read("immunescape.predict", _FILE)
    flipped = raw[:-1] + bytes([raw[-1] ^ 1])
    with pytest.raises(ResourceError, match="corrupt.*reinstall"):
        _reload_with(monkeypatch, flipped, sidecar=False)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"    kind: logistic\n", b"    kind: ridge\n"),  # unknown kind
        (b"[pan_ftbrs, -1]", b"[pan_ftbrs, minus]"),  # sign not +1/-1
        (b"features: [impres, gep18, cyt", b"features: {impres: 1, gep18: [cyt"),  # bad YAML
        (b"schema: immunescape.feature_sets/1", b"schema: other/2"),
        (b"baselines:", b"baseline:"),  # section missing
        (b"    units: concepts\n", b"    units: axes\n"),
    ],
)
def test_malformed_file_with_a_matching_checksum_is_refused(monkeypatch, old, new):
    raw = _resources._read("immunescape.predict", _FILE)
    assert old in raw
    broken = raw.replace(old, new, 1)
    with pytest.raises(ResourceError, match="malformed.*reinstall") as err:
        _reload_with(monkeypatch, broken, sidecar=True)
    assert not isinstance(err.value, InputError)
