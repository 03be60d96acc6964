"""A representative subset of the real-data matrix (``scripts/realdata_matrix.py``) in CI.

The full matrix runs every command on every dataset in ``../shared/data`` (about 20 minutes
on two cores); CI runs the cases that cover each kind of input: a small whole-transcriptome
cohort (Zhao, 17 samples), a targeted panel (Jerby-Arnon, 566 genes), the cohort with the
most samples (Riaz), a cohort with missing values (Nathanson) and one with unusual response
words (Snyder), explicit OS/PFS columns, the authors' Riaz mutation table, a LORIS sheet
with empty cells and an IMPRES NanoString file. Each must exit 0, or exit 2 with one line
where refusing is right; never 1.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("realdata_matrix",
                                               ROOT / "scripts" / "realdata_matrix.py")
matrix = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = matrix  # dataclasses look their module up while the class is built
_spec.loader.exec_module(matrix)

SUBSET = re.compile(
    r"^(Zhao2019_GBM_PD1 (score|run|compare os|predict (cd274|builtin|impres))"
    r"|JerbyArnon2018_melanoma_PD1_panel566 (run|predict builtin)"
    r"|Riaz2017_melanoma_PD1 (compare pfs|predict gep)"
    r"|Nathanson2017_melanoma_CTLA4 (score|predict cyt)"
    r"|Snyder2017_UC_PDL1_males (run|predict ifng6)"
    r"|riaz2017_bms038 mutations (genomics|run)"
    r"|LORIS Vanguri_NSCLC predict loris_nsclc|LORIS Kato_panCancer predict loris_pancancer"
    r"|Chen2016_Wargo_IMPRES_NanoString (score|run))$"
)
#: Cases where refusing (exit 2) is the right answer, with the words the line must hold.
RIGHT_TO_REFUSE: dict[tuple[str, str], str] = {}


def _cases():
    data = ROOT.parent / "shared" / "data"
    if not data.is_dir():
        return []
    return [c for c in matrix.cases(data, train=False)
            if SUBSET.match(f"{c.dataset} {c.command}")]


@pytest.mark.realdata
@pytest.mark.parametrize("case", _cases(), ids=lambda c: f"{c.dataset} {c.command}")
def test_real_dataset_command(case, shared_data, tmp_path):
    status, _seconds = matrix.run_case(case, tmp_path)
    assert not status.startswith("ERROR"), status
    expected = RIGHT_TO_REFUSE.get((case.dataset, case.command))
    if expected is None:
        assert status == "ok", status
    else:
        assert status.startswith("refused") and expected in status, status


def test_subset_covers_every_kind_of_input(shared_data):
    names = {f"{c.dataset} {c.command}" for c in _cases()}
    assert len(names) >= 20
    for needed in ("panel566", "bms038", "LORIS", "NanoString", "compare os", "compare pfs"):
        assert any(needed in n for n in names), needed
