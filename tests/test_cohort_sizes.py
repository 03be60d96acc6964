"""Cohorts of any size run end to end: one patient upwards.

Per-sample features are computed for every size; cohort-relative features (PC1, z-scores,
percentiles) need enough samples or a reference and are otherwise NaN with the status
``needs_reference`` in features.tsv, and mechanisms that rest on cohort percentiles are
``not_assessable`` with the reason -- never a crash.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from immunescape.cli import main
from immunescape.datasets import simulate_cohort, write_cohort


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return write_cohort(simulate_cohort(30, n_genes=3000, seed=11),
                        tmp_path_factory.mktemp("sizes") / "c")


def _subset(cohort, tmp_path, n: int):
    expr = pd.read_csv(cohort / "expression.tsv", sep="\t", index_col=0)
    keep = list(expr.columns[:n])
    expr[keep].to_csv(tmp_path / "e.tsv", sep="\t")
    clin = pd.read_csv(cohort / "clinical.tsv", sep="\t")
    clin[clin["sample_id"].isin(keep)].to_csv(tmp_path / "c.tsv", sep="\t", index=False)
    maf = pd.read_csv(cohort / "maf.tsv", sep="\t")
    maf[maf["Tumor_Sample_Barcode"].isin(keep)].to_csv(tmp_path / "m.tsv", sep="\t",
                                                       index=False)
    return tmp_path / "e.tsv", tmp_path / "c.tsv", tmp_path / "m.tsv"


@pytest.mark.parametrize("n", [1, 2, 3, 9])
def test_run_on_tiny_cohorts(cohort, tmp_path, n, capsys):
    expr, clin, maf = _subset(cohort, tmp_path, n)
    out = tmp_path / "out"
    code = main(["run", "--expr", str(expr), "--clinical", str(clin), "--maf", str(maf),
                 "--capture-mb", "30", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    feats = pd.read_csv(out / "features.tsv", sep="\t")
    scores = pd.read_csv(out / "scores.tsv", sep="\t", index_col=0)
    assert len(scores) == n
    rel = feats.loc[feats["scope"] == "cohort_relative", "id"]
    per = feats.loc[(feats["scope"] == "per_sample") & (feats["status"] == "scored"), "id"]
    assert len(per) > 50 and scores[per].notna().all().all()
    # with fewer than 10 samples and no reference, cohort-relative scores are NaN, said so
    assert (feats.loc[feats["scope"] == "cohort_relative", "status"] == "needs_reference").all()
    assert scores[rel].isna().all().all()
    mech = pd.read_csv(out / "mechanisms.tsv", sep="\t")
    assert set(mech["sample_id"]) == set(scores.index)
    rna_only = mech[mech["status"] == "not_assessable"]
    assert rna_only["reason"].notna().all()


def test_one_patient_with_a_reference_gets_cohort_relative_scores(cohort, tmp_path, capsys):
    expr = pd.read_csv(cohort / "expression.tsv", sep="\t", index_col=0)
    expr.iloc[:, :1].to_csv(tmp_path / "one.tsv", sep="\t")
    expr.iloc[:, 1:].to_csv(tmp_path / "ref.tsv", sep="\t")
    out = tmp_path / "out"
    code = main(["score", str(tmp_path / "one.tsv"), "--reference", str(tmp_path / "ref.tsv"),
                 "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    feats = pd.read_csv(out / "features.tsv", sep="\t").set_index("id")
    scores = pd.read_csv(out / "scores.tsv", sep="\t", index_col=0)
    assert len(scores) == 1
    rel = feats.index[feats["scope"] == "cohort_relative"]
    assert (feats.loc[rel, "status"] == "scored").mean() > 0.8
    assert np.isfinite(scores.loc[:, rel[feats.loc[rel, "status"] == "scored"]]).all().all()
