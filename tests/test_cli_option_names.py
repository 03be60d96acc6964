"""Error messages name the option the user gave, spelled as on the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from immunescape.cli import main

GENES = ["GZMA", "PRF1", "CD274", "IFNG", "STAT1", "IDO1", "CXCL9", "CXCL10", "HLA-DRA", "CD8A"]


def _files(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    ids = [f"P{i}" for i in range(12)]
    expr = tmp_path / "expr.tsv"
    pd.DataFrame(np.round(np.exp(rng.normal(3, 1, (len(GENES), 12))), 3), index=GENES,
                 columns=ids).to_csv(expr, sep="\t", index_label="gene")
    clin = tmp_path / "clin.tsv"
    pd.DataFrame({"sample_id": ids, "best_response": ["CR", "PD"] * 6}).to_csv(
        clin, sep="\t", index=False)
    return expr, clin


@pytest.mark.parametrize(("command", "given"), [
    ("compare", "--response-col"), ("meta", "--response-col"), ("run", "--recist-col")])
def test_a_missing_response_column_names_the_option_given(command, given, tmp_path, capsys):
    expr, clin = _files(tmp_path)
    data = (["--cohort", f"{expr}:{clin}"] if command == "meta"
            else ["--expr", str(expr), "--clinical", str(clin)])
    code = main([command, *data, given, "nope", "-o", str(tmp_path / "out")])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 2 and len(err) == 1, err
    assert f"{given} nope: no such column" in err[0] and f"give {given} as" in err[0]
    other = {"--response-col": "--recist-col", "--recist-col": "--response-col"}[given]
    assert other not in err[0] and "recist_col" not in err[0] and "response_col " not in err[0]
