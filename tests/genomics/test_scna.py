"""SCNA burden: fraction of genome altered against a naive per-segment loop; arm calls on
hand-made genomes; the centromere table against its UCSC properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from immunescape.errors import InputError
from immunescape.genomics import Segments, scna_burden
from immunescape.genomics.scna import centromeres


def _seg(rows):
    return Segments.from_frame(
        pd.DataFrame(rows, columns=["ID", "chrom", "loc.start", "loc.end", "seg.mean"])
    )


def test_fga_matches_naive_loop():
    rng = np.random.default_rng(1)
    rows = []
    for s in range(5):
        for chrom in ["1", "2", "X"]:
            pos = 1
            for _ in range(20):
                length = int(rng.integers(1e5, 5e6))
                rows.append((f"S{s}", chrom, pos, pos + length - 1, float(rng.normal(0, 0.4))))
                pos += length
    out = scna_burden(_seg(rows), threshold=0.3).set_index("sample_id")
    for s in out.index:
        tot = alt = gain = 0.0
        for sid, chrom, a, b, v in rows:
            if sid != s or chrom == "X":
                continue
            length = b - a + 1
            tot += length
            if abs(v) >= 0.3:
                alt += length
            if v >= 0.3:
                gain += length
        assert out.loc[s, "fraction_genome_altered"] == pytest.approx(alt / tot)
        assert out.loc[s, "fraction_gained"] == pytest.approx(gain / tot)
        assert out.loc[s, "segmented_mb"] == pytest.approx(tot / 1e6)


def test_arm_calls_grch37():
    cen = 121_535_434  # chr1 centromere start (UCSC hg19 gap table)
    rows = [
        ("S1", "1", 1, cen - 1, -0.8),  # 1p lost
        ("S1", "1", 124_535_435, 249_250_621, 0.05),  # 1q neutral
        ("S1", "8", 1, 40_000_000, 0.0),  # 8p: 40 of 43.8 Mb neutral
        ("S1", "8", 50_000_000, 146_364_022, 0.7),  # 8q gained
    ]
    out = scna_burden(_seg(rows), genome_build="hg19").iloc[0]
    assert out.arms_lost == "1p" and out.arms_gained == "8q"
    assert (out.n_arms_lost, out.n_arms_gained) == (1, 1)


def test_arm_split_at_centromere_uses_fraction():
    rows = [("S1", "1", 1, 249_250_621, 0.9)]  # a whole-chromosome gain spanning the centromere
    out = scna_burden(_seg(rows), genome_build="GRCh37").iloc[0]
    assert out.arms_gained == "1p;1q"


def test_copy_number_method_when_no_log2():
    seg = Segments.from_frame(
        pd.DataFrame({"ID": ["S1", "S1"], "chrom": ["1", "2"], "start": [1, 1],
                      "end": [100, 300], "tcn": [3, 2]})
    )  # fmt: skip
    out = scna_burden(seg).iloc[0]
    assert out.fraction_genome_altered == pytest.approx(100 / 400)
    assert out.method == "total copy number != ploidy"
    out4 = scna_burden(seg, ploidy={"S1": 3}).iloc[0]
    assert out4.fraction_lost == pytest.approx(300 / 400)


def test_centromere_table():
    c = centromeres()
    for build in ("GRCh37", "GRCh38"):
        b = c.loc[c.build == build]
        assert sorted(b.chrom, key=lambda x: (len(x), x))[:3] == ["1", "2", "3"] and len(b) == 24
        assert (b.cen_start < b.cen_end).all() and (b.cen_end < b.length).all()
    g37 = c.loc[(c.build == "GRCh37") & (c.chrom == "1")].iloc[0]
    assert (g37.length, g37.cen_start, g37.cen_end) == (249_250_621, 121_535_434, 124_535_434)
    g38 = c.loc[(c.build == "GRCh38") & (c.chrom == "1")].iloc[0]
    assert (g38.length, g38.cen_start) == (248_956_422, 122_026_459)


def test_bad_options():
    seg = _seg([("S1", "1", 1, 10, 0.1)])
    with pytest.raises(InputError, match="genome build"):
        scna_burden(seg, genome_build="hg18")
    with pytest.raises(InputError, match="threshold"):
        scna_burden(seg, threshold=-0.2)
    with pytest.raises(InputError, match="no total copy numbers"):
        scna_burden(seg, method="copy_number")
