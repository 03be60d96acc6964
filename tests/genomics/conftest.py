"""Small hand-made inputs for the genomics tests."""

from __future__ import annotations

import pandas as pd
import pytest

from immunescape.genomics import MutationTable

MAF_HEADER = [
    "Hugo_Symbol",
    "Tumor_Sample_Barcode",
    "Variant_Classification",
    "HGVSp_Short",
    "Chromosome",
    "Start_Position",
    "Reference_Allele",
    "Tumor_Seq_Allele2",
    "t_depth",
    "t_alt_count",
]


def maf_frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (gene, sample, class, hgvsp, chrom, start, ref, alt)."""
    out = []
    for r in rows:
        gene, sample, cls, hgvsp, chrom, start, ref, alt = r
        out.append([gene, sample, cls, hgvsp, chrom, start, ref, alt, 100, 30])
    return pd.DataFrame(out, columns=MAF_HEADER)


def mutations(rows: list[tuple]) -> MutationTable:
    return MutationTable.from_frame(maf_frame(rows), resolve_genes=False)


def write_maf(path, frame: pd.DataFrame, *, comment: str | None = "#version gdc-1.0.0") -> None:
    text = frame.to_csv(sep="\t", index=False)
    path.write_text((comment + "\n" if comment else "") + text)


@pytest.fixture
def make_maf(tmp_path):
    def _make(rows, name="x.maf", comment="#version gdc-1.0.0"):
        p = tmp_path / name
        write_maf(p, maf_frame(rows), comment=comment)
        return p

    return _make
