"""Biology checks of the phenotype and RNA mechanism calls on real cohorts (../shared/data).

Facts checked (Mariathasan et al. 2018, Nature 554:544; Chen & Mellman 2017; Gao et al.
2016, Cell 167:397):

* inflamed tumours express more CXCL9, CD8A and IFNG than deserts;
* excluded tumours have the highest fibroblast TGF-beta response (pan-F-TBRS);
* ``tgfb_exclusion`` calls concentrate in excluded tumours;
* tumours with IFN-gamma pathway loss from DNA show less IFN-gamma response than their T-cell
  content predicts.

Effect sizes are Cliff's delta (``2 * AUC - 1`` from scipy's Mann-Whitney U, an independent
implementation), printed with ``-s``. On the IMvigor210 development subset the groups are the
pathologists' calls; on the whole-transcriptome PredictioR cohorts they are the package's calls
against the shipped reference (so those checks test the calls' biology, not an outside label).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from immunescape.mechanisms import Evidence, call_mechanisms
from immunescape.mechanisms._phenotype import immune_phenotypes

pytestmark = pytest.mark.realdata

WHOLE = ["Riaz2017_melanoma_PD1", "Hugo2016_melanoma_PD1", "VanAllen2015_melanoma_CTLA4",
         "Nathanson2017_melanoma_CTLA4", "Miao2018_RCC_PD1", "Jung2019_NSCLC_PD1_males",
         "Snyder2017_UC_PDL1_males", "Zhao2019_GBM_PD1", "Padron2022_PDAC_PD1"]
TYPE = {"melanoma": "melanoma", "RCC": "kidney", "NSCLC": "lung", "UC": "bladder",
        "GBM": "brain", "PDAC": "pancreas"}


def cliffs_delta(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    u = mannwhitneyu(a, b, alternative="two-sided").statistic
    return float(2 * u / (len(a) * len(b)) - 1)


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


@pytest.fixture(scope="module")
def dev(shared_data):
    from immunescape.io import read_expression

    d = shared_data / "imvigor210_phenotype_dev"
    expr, _ = _quiet(read_expression, d / "imvigor210_dev_expr_zscore_panel.tsv.gz",
                     unit="zscore")
    lab = pd.read_csv(d / "imvigor210_dev_phenotype.tsv", sep="\t", dtype=str)
    return expr, lab.set_index("sample_id")["immune_phenotype"].reindex(expr.samples)


@pytest.fixture(scope="module")
def whole(shared_data):
    """Whole-transcriptome cohorts pooled: log2(TPM+1) levels, calls, registry scores."""
    from immunescape.io import read_expression
    from immunescape.signatures.runner import score

    rows = []
    for stem in WHOLE:
        expr, _ = _quiet(read_expression,
                         shared_data / f"predictior_icb/{stem}_expr_log2tpm.tsv.gz",
                         on_missing="drop")
        ctype = TYPE[stem.split("_")[1]]
        ph = immune_phenotypes(expr, cancer_type=ctype).table.set_index("sample_id")
        genes = ["CXCL9", "CD8A", "IFNG"]
        lv = pd.DataFrame(expr.columns(genes, "log2tpm1"), index=expr.samples, columns=genes)
        sc = _quiet(score, expr, signatures=["pan_ftbrs", "cd8_teff", "mcp_fibroblasts",
                                             "progeny_tgfb"]).scores
        ev = Evidence(list(expr.samples), scores=sc)
        calls = call_mechanisms(ev, mechanisms=["tgfb_exclusion"]).table.set_index("sample_id")
        t = lv.join(sc).join(ph[["immune_phenotype"]])
        t["tgfb_exclusion"] = calls["status"]
        t["cohort"] = stem
        rows.append(t)
    return pd.concat(rows)


def test_dev_inflamed_have_more_cxcl9_cd8a_ifng_than_deserts(dev):
    expr, y = dev
    for g in ("CXCL9", "CD8A", "IFNG"):
        x = pd.Series(expr.columns([g], "log2tpm1")[:, 0], index=expr.samples)
        d = cliffs_delta(x[y == "inflamed"], x[y == "desert"])
        print(f"dev {g}: Cliff's delta inflamed vs desert {d:+.2f}")
        assert d > 0.5


def test_dev_excluded_have_the_highest_ftbrs(dev):
    from immunescape.mechanisms._phenotype import FEATURE_GENES

    expr, y = dev
    genes = expr.has(FEATURE_GENES["f_tbrs"])
    f = pd.Series(expr.columns(genes, "log2tpm1").mean(axis=1), index=expr.samples)
    means = f.groupby(y).mean()
    d_inf = cliffs_delta(f[y == "excluded"], f[y == "inflamed"])
    d_des = cliffs_delta(f[y == "excluded"], f[y == "desert"])
    print(f"dev F-TBRS ({len(genes)} panel genes) means {means.round(2).to_dict()}; "
          f"Cliff's delta excluded vs inflamed {d_inf:+.2f}, vs desert {d_des:+.2f}")
    assert means.idxmax() == "excluded"
    assert d_inf > 0 and d_des > 0


def test_dev_tgfb_exclusion_calls_concentrate_in_excluded(dev):
    from immunescape.signatures.runner import score

    expr, y = dev
    sc = _quiet(score, expr, signatures=["pan_ftbrs", "cd8_teff", "mcp_fibroblasts"]).scores
    calls = call_mechanisms(Evidence(list(expr.samples), scores=sc),
                            mechanisms=["tgfb_exclusion"]).table.set_index("sample_id")
    called = calls["status"].isin(["present", "indeterminate"])
    rate = (y == "excluded").groupby(called).mean()
    print(f"dev tgfb_exclusion: {int(called.sum())} called; share excluded among called "
          f"{rate.get(True, np.nan):.2f} vs not called {rate[False]:.2f}")
    assert called.sum() >= 5 and rate[True] > rate[False]


def test_whole_transcriptome_calls_follow_the_biology(whole):
    t = whole
    assert t["immune_phenotype"].notna().mean() >= 0.95
    for g in ("CXCL9", "CD8A", "IFNG"):
        d = cliffs_delta(t.loc[t.immune_phenotype == "inflamed", g],
                         t.loc[t.immune_phenotype == "desert", g])
        print(f"PredictioR {g}: Cliff's delta inflamed vs desert calls {d:+.2f}")
        assert d > 0.5
    # pan-F-TBRS is cohort-relative (PC1): compare within cohorts via ranks
    t = t.assign(ftbrs_rank=t.groupby("cohort")["pan_ftbrs"].rank(pct=True))
    ex = t.loc[t.immune_phenotype == "excluded", "ftbrs_rank"]
    d_inf = cliffs_delta(ex, t.loc[t.immune_phenotype == "inflamed", "ftbrs_rank"])
    d_des = cliffs_delta(ex, t.loc[t.immune_phenotype == "desert", "ftbrs_rank"])
    print(f"PredictioR F-TBRS within-cohort rank: excluded vs inflamed {d_inf:+.2f}, "
          f"vs desert {d_des:+.2f}; calls {t.immune_phenotype.value_counts().to_dict()}")
    assert d_inf > 0 and d_des > 0


def test_whole_transcriptome_tgfb_exclusion_concentrates_in_excluded(whole):
    t = whole
    called = t["tgfb_exclusion"].isin(["present", "indeterminate"])
    rate = (t["immune_phenotype"] == "excluded").groupby(called).mean()
    print(f"PredictioR tgfb_exclusion: {int(called.sum())} called; share excluded among "
          f"called {rate[True]:.2f} vs not called {rate[False]:.2f}")
    assert rate[True] > rate[False]


def test_riaz_dna_ifng_loss_has_less_ifng_response_than_t_cells_predict(shared_data):
    from immunescape.pipeline import run_pipeline

    d = shared_data
    res = _quiet(run_pipeline,
                 expr=d / "predictior_icb/Riaz2017_melanoma_PD1_expr_log2tpm.tsv.gz",
                 maf=d / "riaz2017_bms038/pre_therapy_nonsynonmous_mutations.csv",
                 capture_mb=38.0, tmb_assay="exome", on_malformed_hgvs="blank")
    m = res.tables["mechanisms.tsv"]
    m = m[(m.mechanism_id == "ifng_pathway_loss")].set_index("sample_id")
    dna = m["dna_evidence"].fillna("").str.len().gt(0) & ~m["dna_evidence"].fillna(
        "").str.startswith("not met") & m["status"].isin(["present", "indeterminate"])
    sc = res.tables["scores.tsv"]
    both = sc[["ifng6", "mcp_cd8_t_cells"]].dropna()
    hit = [s for s in both.index if dna.get(s, False)]
    print(f"Riaz: {len(hit)} tumours with DNA IFN-gamma pathway evidence and RNA: {hit}")
    if len(hit) < 3:
        pytest.skip(f"only {len(hit)} Riaz tumours with DNA IFN-gamma pathway loss and RNA")
    # residual of the IFN-gamma signature on CD8 T-cell content (least squares, numpy)
    X = np.column_stack([np.ones(len(both)), both["mcp_cd8_t_cells"]])
    beta, *_ = np.linalg.lstsq(X, both["ifng6"].to_numpy(), rcond=None)
    resid = pd.Series(both["ifng6"].to_numpy() - X @ beta, index=both.index)
    d = cliffs_delta(resid[hit], resid.drop(hit))
    print(f"Riaz IFN-gamma residual, DNA-loss vs others: Cliff's delta {d:+.2f}")
    assert d < 0
