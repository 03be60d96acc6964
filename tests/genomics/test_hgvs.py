"""Protein HGVS parsing against hand-worked cases (HGVS nomenclature, varnomen.hgvs.org)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from immunescape.genomics.hgvs import parse_hgvsp


@pytest.mark.parametrize(
    ("value", "short", "kind", "ref", "start", "end"),
    [
        ("p.V600E", "p.V600E", "missense", "V", 600, 600),
        ("p.Val600Glu", "p.V600E", "missense", "V", 600, 600),
        ("p.(Val600Glu)", "p.V600E", "missense", "V", 600, 600),
        ("V600E", "p.V600E", "missense", "V", 600, 600),
        ("p.R661*", "p.R661*", "nonsense", "R", 661, 661),
        ("p.Arg661Ter", "p.R661*", "nonsense", "R", 661, 661),
        ("p.Met1?", "p.M1?", "start_lost", "M", 1, 1),
        ("p.G12=", "p.G12=", "synonymous", "G", 12, 12),
        ("p.K12fs", "p.K12fs", "frameshift", "K", 12, 12),
        ("p.Lys12ArgfsTer5", "p.K12RfsT5", "frameshift", "K", 12, 12),
        ("p.K12Rfs*5", "p.K12Rfs*5", "frameshift", "K", 12, 12),
        ("p.D32_S45del", "p.D32_S45del", "deletion", "D", 32, 45),
        ("p.E746_A750delinsQ", "p.E746_A750delinsQ", "delins", "E", 746, 750),
        ("p.S45del", "p.S45del", "deletion", "S", 45, 45),
        ("p.*393Wext*?", "p.*393Wext*?", "extension", "*", 393, 393),
        ("p.X123_splice", "p.X123_splice", "splice", None, 123, 123),
    ],
)
def test_parse(value, short, kind, ref, start, end):
    row = parse_hgvsp(pd.Series([value])).iloc[0]
    assert row["kind"] == kind
    assert row["ref_aa"] == ref or (ref is None and row["ref_aa"] is None)
    assert row["prot_start"] == start and row["prot_end"] == end
    assert not row["malformed"]
    if kind != "frameshift" or "Ter" not in value:
        assert row["hgvsp_short"] == short


@pytest.mark.parametrize("value", [".", "", None, "NA"])
def test_missing(value):
    row = parse_hgvsp(pd.Series([value], dtype=object)).iloc[0]
    assert row["kind"] is None and not row["malformed"] and math.isnan(row["prot_start"])


@pytest.mark.parametrize("value", ["V600", "p.Met1XXX", "BRAF V600E", "p.600E", "p.V600E;p.K601E"])
def test_malformed(value):
    assert parse_hgvsp(pd.Series([value])).iloc[0]["malformed"]


def test_each_distinct_value_parsed_once_and_aligned():
    s = pd.Series(["p.V600E", ".", "p.V600E", "p.G12D"], index=[10, 11, 12, 13])
    out = parse_hgvsp(s)
    assert out.index.tolist() == [10, 11, 12, 13]
    assert out["prot_start"].tolist()[::2] == [600.0, 600.0]


def test_arrow_extraction_equals_python_re():
    # the vectorised RE2 pass must give exactly what Python's re gives
    from immunescape.genomics import hgvs

    values = pd.Series(["p.V600E", "p.(Val600Glu)", "Val600Glu", "p.D32_S45del", "p.X123_splice",
                        "p.(V600E", "p.Met1XXX", "p.*393Wext*?", "p.K12Rfs*5", "p.=", "V600",
                        "p.E746_A750delinsQ", "p.Lys12ArgfsTer5", "p.G12=", "p.M1?", "x"])
    fast = hgvs._extract_full(values).fillna("NA")
    slow = values.str.extract(hgvs._FULL).fillna("NA")
    assert fast.equals(slow)
