"""``predict --model tmb`` reads TMB from a clinical table's TMB column when no MAF is given.

Reference: Chowell et al. 2022 / LORIS (Chang et al. 2024): raw panel TMB has AUC 0.609 for
response on Chowell_train (n = 964), as ../shared/data/README.md records.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from immunescape.cli import main


@pytest.mark.realdata
def test_tmb_from_the_loris_sheet_reproduces_the_published_auc(shared_data, tmp_path, capsys):
    sheet = shared_data / "loris_chowell_msk_tmb" / "AllData__Chowell_train.csv"
    out = tmp_path / "out"
    assert main(["predict", "--model", "tmb", "--clinical", str(sheet), "-o", str(out)]) == 0, \
        capsys.readouterr().err
    pred = pd.read_csv(out / "predictions.tsv", sep="\t", dtype={"sample_id": str})
    clin = pd.read_csv(sheet, dtype={"SAMPLE_ID": str}).set_index("SAMPLE_ID")
    y = clin.loc[pred["sample_id"], "Response"].to_numpy()
    assert len(pred) == 964
    assert roc_auc_score(y, pred["score"]) == pytest.approx(0.609, abs=5e-4)


def test_clinical_tmb_column_without_response(tmp_path, capsys):
    table = pd.DataFrame({"sample_id": ["a", "b", "c"], "TMB": [1.0, 12.5, 30.0]})
    table.to_csv(tmp_path / "c.tsv", sep="\t", index=False)
    out = tmp_path / "out"
    assert main(["predict", "--model", "tmb", "--clinical", str(tmp_path / "c.tsv"),
                 "--assay", "panel", "-o", str(out)]) == 0, capsys.readouterr().err
    pred = pd.read_csv(out / "predictions.tsv", sep="\t").set_index("sample_id")
    assert pred["score"].tolist() == [1.0, 12.5, 30.0]
    # the published >= 10 mutations/Mb cut-off applies to panel TMB
    assert pred["predicted"].tolist() in ([0, 1, 1], [False, True, True], ["NR", "R", "R"])
