"""Published AUCs of the IMPRES paper (Auslander et al. 2018, Nat Med, PMID 30127394, Table 2)
reproduced from the authors' own cohort files through the package's reader and scorer.

Reference: ../shared/data/reference_results/IMPRES_Auslander2018_AUC_table_tab2.csv.
Labels follow the paper: Van Allen = response (14) vs non-response + long-survival (28);
Riaz = CR/PR vs SD/PD. AUCs are computed with scikit-learn (an independent peer).

Riaz: the authors' counts file holds fewer labelled samples than the paper used (pre 10 vs 41
instead of 10 vs 43; on 12 vs 40 instead of 12 vs 41, after dropping the second ".2" biopsies,
which the file does not label consistently). On those samples PD-L1 gives 0.512 (pre) and
0.598 (on) against the table's 0.523 / 0.602: we test what the data give and do not tune to
the table. The IMPRES MATLAB code used these counts as they are, without library-size
normalisation, so the reproduction reads them with ``unit="normalized"`` (values used as
given); with the proper counts -> CPM conversion (``unit="counts"``) the AUCs are 0.534 and
0.604, which the second test pins down so the difference stays documented.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from immunescape.io import read_expression
from immunescape.signatures.runner import score

pytestmark = pytest.mark.realdata
FEATURES = ["gene_CD274", "cyt", "impres"]


def _table(shared_data):
    t = pd.read_csv(shared_data / "reference_results/IMPRES_Auslander2018_AUC_table_tab2.csv")
    return t.set_index("predictor")


def _scores(path, unit):
    expr, _ = read_expression(path, unit=unit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return score(expr, signatures=FEATURES).scores


@pytest.fixture(scope="module")
def vanallen(shared_data):
    d = shared_data / "impres_auslander2018_matlab_cohorts"
    clin = pd.read_csv(d / "VanAllen2015_IMPRES_clinical.tsv", sep="\t").set_index("sample")
    y = (clin["response_CTLA4"] == "response").astype(int)
    s = _scores(d / "VanAllen2015_IMPRES_expr.tsv.gz", "tpm").loc[y.index]
    return y, s


def test_vanallen_pdl1_and_cyt(vanallen, shared_data):
    y, s = vanallen
    assert (int(y.sum()), int((1 - y).sum())) == (14, 28)
    table = _table(shared_data)["VanAllen2015_aCTLA4_pre"]
    assert round(roc_auc_score(y, s["gene_CD274"]), 3) == table["PDL-1"] == 0.574
    cyt = roc_auc_score(y, s["cyt"])
    assert abs(cyt - table["cytolytic activity"]) <= 0.01  # 0.684 vs 0.679


def _riaz(shared_data, unit):
    d = shared_data / "impres_auslander2018_matlab_cohorts"
    clin = pd.read_csv(d / "Riaz2017_IMPRES_TIMCHAN_counts_clinical.tsv", sep="\t")
    labelled = clin["response"].isin(["CR", "PR", "SD", "PD"])
    clin = clin[~clin["sample"].str.contains(r"\.") & labelled]
    s = _scores(d / "Riaz2017_IMPRES_TIMCHAN_counts_expr.tsv.gz", unit)
    out = {}
    for tp in ("Pre", "On"):
        c = clin[clin["sample"].str.endswith(f"_{tp}")].set_index("sample")
        y = c["response"].isin(["CR", "PR"]).astype(int)
        out[tp] = (y, s.loc[y.index])
    return out


def test_riaz_pdl1_on_available_samples(shared_data):
    r = _riaz(shared_data, "normalized")
    y_pre, s_pre = r["Pre"]
    y_on, s_on = r["On"]
    assert (int(y_pre.sum()), int((1 - y_pre).sum())) == (10, 41)
    assert (int(y_on.sum()), int((1 - y_on).sum())) == (12, 40)
    assert round(roc_auc_score(y_pre, s_pre["gene_CD274"]), 3) == 0.512
    assert round(roc_auc_score(y_on, s_on["gene_CD274"]), 3) == 0.598
    table = _table(shared_data)
    # the table's values on the paper's larger sample sets stay within 0.015
    assert abs(0.512 - table.loc["PDL-1", "Riaz2017_TIMCHAN_pre_aPD1"]) < 0.015
    assert abs(0.598 - table.loc["PDL-1", "Riaz2017_TIMCHAN_on_aPD1"]) < 0.015


def test_riaz_pdl1_after_cpm_normalisation(shared_data):
    r = _riaz(shared_data, "counts")
    got = {tp: round(roc_auc_score(y, s["gene_CD274"]), 3) for tp, (y, s) in r.items()}
    assert got == {"Pre": 0.534, "On": 0.604}


def test_impres_on_vanallen(vanallen, shared_data):
    # IMPRES itself (pairs as in getIMPRES.m; the file names VSIR by its old symbol C10orf54,
    # resolved offline): 0.767, the table's 0.77 at two decimals.
    y, s = vanallen
    assert np.isfinite(s["impres"]).all()
    auc = roc_auc_score(y, s["impres"])
    assert round(auc, 2) == _table(shared_data).loc["IMPRES", "VanAllen2015_aCTLA4_pre"] == 0.77
