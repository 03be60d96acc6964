"""A capture size larger than a human genome is a size in bases given as megabases."""

from __future__ import annotations

import pytest

from immunescape.cli import main
from immunescape.errors import InputError
from immunescape.genomics.tmb import compute_tmb

from .conftest import mutations

ROWS = [("B2M", "S1", "Frame_Shift_Del", "p.L13fs", "15", 44711547, "C", "-"),
        ("JAK1", "S1", "Missense_Mutation", "p.P430L", "1", 64860000, "G", "A")]


def test_bases_given_as_megabases_are_refused():
    with pytest.raises(InputError, match="looks like bases, not megabases") as err:
        compute_tmb(mutations(ROWS), capture_mb=38_000_000)
    assert "e.g. 38 for 38,000,000 bases" in str(err.value)


@pytest.mark.parametrize("mb", [38.0, 1.14, 3000.0])
def test_exome_panel_and_genome_sizes_are_accepted(mb):
    tmb = compute_tmb(mutations(ROWS), capture_mb=mb)
    assert tmb["tmb_per_mb"].tolist() == [pytest.approx(2 / mb)]


def test_a_per_sample_size_in_bases_is_refused():
    with pytest.raises(InputError, match="looks like bases"):
        compute_tmb(mutations(ROWS), capture_mb={"S1": 1_140_000})


def test_the_command_line_exits_2_with_one_line(make_maf, tmp_path, capsys):
    maf = make_maf(ROWS)
    code = main(["genomics", "--maf", str(maf), "--capture-mb", "38000000",
                 "-o", str(tmp_path / "out")])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 2 and len(err) == 1 and "not megabases" in err[0]
    assert err[0].startswith("immunescape: error: --capture-mb: ")
    assert not (tmp_path / "out").exists()
