"""run's closing line tells resistance mechanisms from sensitivity features (a tumour board
reads "49 mechanism calls present" as 49 reasons for resistance)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from immunescape.cli import main


@pytest.mark.realdata
def test_present_calls_are_split_into_resistance_and_sensitivity(shared_data, tmp_path,
                                                                 capsys):
    expr = shared_data / "predictior_icb/Riaz2017_melanoma_PD1_expr_log2tpm.tsv.gz"
    out = tmp_path / "r"
    assert main(["run", "--expr", str(expr), "--cancer-type", "SKCM", "-o", str(out)]) == 0
    line = capsys.readouterr().out
    found = re.search(r"(\d+) mechanism calls present \((\d+) resistance, (\d+) sensitivity\)",
                      line)
    assert found, line
    mech = pd.read_csv(out / "mechanisms.tsv", sep="\t")
    present = mech[mech["status"] == "present"]
    # adaptive PD-L1 (Taube 2012) and IDO1 in an inflamed tumour mark response, not resistance
    assert set(present.loc[present["effect"] == "sensitivity", "mechanism_id"]) <= {
        "adaptive_pdl1", "ido1_tryptophan"}
    assert int(found.group(1)) == len(present)
    assert int(found.group(3)) == int((present["effect"] == "sensitivity").sum()) > 0
    assert int(found.group(2)) == int((present["effect"] == "resistance").sum())
