"""An HLA table with each locus header written twice (as typed in a spreadsheet).

Hand-built: Pt10 A*01:01/A*03:01, B*44:02/B*07:02, C*08:01/C*01:02 -> no homozygous locus,
B44 supertype carrier (B*44:02 is B44 in Sidney et al. 2008).
"""

from __future__ import annotations

import pytest

from immunescape.errors import InputError
from immunescape.genomics import hla_features, read_hla


@pytest.mark.parametrize("names", [["HLA-A", "HLA-B", "HLA-C"], ["A", "B", "C"]])
def test_repeated_locus_headers_are_alleles_one_and_two(tmp_path, names):
    f = tmp_path / "hla.tsv"
    header = "\t".join(["sample"] + [n for n in names for _ in range(2)])
    f.write_text(header + "\nPt10\tA*01:01\tA*03:01\tB*44:02\tB*07:02\tC*08:01\tC*01:02\n")
    g = read_hla(f)
    assert sorted(g.data["allele"]) == ["A*01:01", "A*03:01", "B*07:02", "B*44:02",
                                        "C*01:02", "C*08:01"]
    row = hla_features(g).iloc[0]
    assert int(row["n_homozygous_loci"]) == 0
    assert bool(row["b44_supertype"]) is True
    assert any("repeated column header" in n for n in g.notes)


def test_a_locus_header_three_times_is_refused(tmp_path):
    f = tmp_path / "hla.tsv"
    f.write_text("sample\tHLA-A\tHLA-A\tHLA-A\nPt1\tA*01:01\tA*03:01\tA*02:01\n")
    with pytest.raises(InputError, match="occurs more than twice"):
        read_hla(f)
