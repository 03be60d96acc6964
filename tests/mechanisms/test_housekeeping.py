"""The housekeeping check that decides whether a matrix can be read against the shipped reference.

Independent references: the raw PredictioR files read here with pandas only (PredictioR
stores ``log2(TPM + 0.001)``; TPM below 1 is counted by hand, not through the package's reader
or unit detection); hand-built matrices whose failing samples are known by construction.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from immunescape.expression import Expression
from immunescape.mechanisms._phenotype import FEATURE_GENES, immune_phenotypes
from immunescape.mechanisms._reference import (
    HOUSEKEEPING_GENES,
    REFERENCE_FILE,
    WHOLE_TRANSCRIPTOME_GENES,
    housekeeping_failures,
    load_shipped,
    reference_gene_stats,
    shipped_reference_applies,
)

PREDICTIOR = "predictior_icb"
WHOLE_TRANSCRIPTOME_COHORTS = (
    "Riaz2017_melanoma_PD1", "Hugo2016_melanoma_PD1", "VanAllen2015_melanoma_CTLA4",
    "Nathanson2017_melanoma_CTLA4", "Miao2018_RCC_PD1", "Jung2019_NSCLC_PD1_males",
    "Snyder2017_UC_PDL1_males", "Zhao2019_GBM_PD1", "Padron2022_PDAC_PD1",
)


def _filler_symbols(used: set[str], n: int) -> list[str]:
    """``n`` protein-coding symbols of the package's gene table not in ``used`` (so a file
    written from the matrix reads back as a whole transcriptome)."""
    from immunescape.genes import gene_table

    t = gene_table()
    sym = t.loc[t["type"].eq("protein-coding"), "symbol"]
    return [g for g in sym.drop_duplicates() if g not in used][:n]


def _tpm_matrix(n: int, *, broken: dict[str, list[str]] | None = None) -> Expression:
    """Whole-transcriptome-sized TPM: phenotype genes at the pan-cancer reference means,
    housekeeping genes at 40 TPM except the ``broken`` ones (0.1 TPM), filler to 1e6."""
    stats = reference_gene_stats("pan_cancer")
    idx = [f"T{i}" for i in range(n)]
    rng = np.random.default_rng(5)
    cols = {g: np.exp2(mu + sd * 0.5 * rng.standard_normal(n)) - 1
            for g, (mu, sd) in stats.iterrows()}
    X = pd.DataFrame(cols, index=idx).clip(lower=0)
    for g in HOUSEKEEPING_GENES:
        X[g] = 40.0
    for s, genes in (broken or {}).items():
        X.loc[s, genes] = 0.1
    filler = WHOLE_TRANSCRIPTOME_GENES - X.shape[1]
    rest = (1e6 - X.sum(axis=1).to_numpy()) / filler
    fill = pd.DataFrame(np.repeat(rest[:, None], filler, axis=1), index=X.index,
                        columns=_filler_symbols(set(X.columns), filler))
    return Expression(pd.concat([X, fill], axis=1), unit="tpm")


def test_failures_are_the_samples_built_to_fail():
    three = ["C1orf43", "CHMP2A", "VPS29"]
    e = _tpm_matrix(6, broken={"T1": three, "T4": three + ["GPI"], "T5": ["VCP", "EMC7"]})
    # two low genes (T5) are within what a real tumour can show; three are not
    assert housekeeping_failures(e) == {"T1": three, "T4": ["C1orf43", "CHMP2A", "GPI", "VPS29"]}
    fit = shipped_reference_applies(e)
    assert not fit.applies and "2 of 6 samples fail the housekeeping check" in fit.reason
    assert fit.check == "housekeeping"
    assert shipped_reference_applies(_tpm_matrix(6)).applies


def test_check_needs_the_genes_and_uncentred_data():
    e = _tpm_matrix(3, broken={"T0": list(HOUSEKEEPING_GENES)})
    assert list(housekeeping_failures(e)) == ["T0"]
    # fewer than 8 of the 11 genes: not checked (a panel rarely carries them)
    few = Expression(e.values.drop(columns=list(HOUSEKEEPING_GENES[:4])), unit="tpm")
    assert housekeeping_failures(few) == {}
    z = Expression(pd.DataFrame(-3.0, index=["a", "b"], columns=list(HOUSEKEEPING_GENES)),
                   unit="zscore")
    assert housekeeping_failures(z) == {}  # z-scores are not levels


def test_failing_cohort_is_read_within_itself_and_a_lone_failing_patient_is_not_assessable():
    three = ["C1orf43", "CHMP2A", "VPS29"]
    cohort = _tpm_matrix(24, broken={"T3": three})
    t = immune_phenotypes(cohort).table
    assert t["scale"].str.startswith("analysed cohort (1 of 24 samples fail").all()
    assert t["immune_phenotype"].notna().all()
    one = Expression(cohort.values.loc[["T3"]], unit="tpm")
    t1 = immune_phenotypes(one).table
    assert t1["immune_phenotype"].isna().all()
    assert "housekeeping check" in t1["not_assessable"].iloc[0]
    assert "--reference" in t1["not_assessable"].iloc[0]
    # the same patient with its housekeeping genes intact is read against the reference
    ok = Expression(_tpm_matrix(24).values.loc[["T3"]], unit="tpm")
    assert immune_phenotypes(ok).table["scale"].iloc[0].startswith("shipped reference")
    assert set(FEATURE_GENES["cd8"]) <= set(ok.genes)


def test_pipeline_records_the_basis_and_tells_the_user(tmp_path):
    from immunescape.pipeline import run_pipeline

    e = _tpm_matrix(4, broken={"T0": ["C1orf43", "CHMP2A", "VPS29"]})
    f = tmp_path / "expr.tsv"
    e.values.T.rename_axis("gene").to_csv(f, sep="\t")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = run_pipeline(expr=f, unit="tpm")
    assert res.run["reference"]["basis"].startswith("analysed cohort only (1 of 4 samples fail")
    assert any("housekeeping check" in n for n in res.notices)
    assert res.tables["phenotypes.tsv"]["not_assessable"].str.contains("housekeeping").all()


@pytest.mark.realdata
@pytest.mark.parametrize("cohort", WHOLE_TRANSCRIPTOME_COHORTS)
def test_real_cohorts_fail_exactly_where_the_raw_file_reads_housekeeping_genes_at_zero(
        shared_data, cohort):
    from immunescape.io import read_expression

    path = shared_data / PREDICTIOR / f"{cohort}_expr_log2tpm.tsv.gz"
    raw = pd.read_csv(path, sep="\t", index_col=0)
    tpm = np.exp2(raw.reindex(list(HOUSEKEEPING_GENES)).astype(float)) - 0.001
    expected = sorted(raw.columns[(tpm < 1.0).sum(axis=0) >= 3])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expr, _ = read_expression(path)
    assert sorted(housekeeping_failures(expr)) == expected
    # PredictioR's Snyder 2017 is the one cohort not on the others' scale (all 22 tumours)
    assert (len(expected) == raw.shape[1]) == (cohort == "Snyder2017_UC_PDL1_males")
    assert len(expected) in (0, raw.shape[1])


def test_shipped_reference_leaves_out_the_failing_cohort():
    doc = load_shipped(REFERENCE_FILE)
    assert [x["cohort"] for x in doc["excluded"]] == ["Snyder2017_UC_PDL1_males"]
    members = doc["groups"]["pan_cancer"]["cohorts"]
    assert "Snyder2017_UC_PDL1_males" not in members
    assert doc["groups"]["pan_cancer"]["n"] == sum(
        c["n"] for c in doc["cohorts"] if c["cohort"] in members)


def test_predict_warns_when_a_small_cohort_fails_the_check(tmp_path, capsys):
    """Fewer than 10 samples are standardised with the model's stored statistics: a sample
    off the TPM scale gets a warning (after success), the intact ones none."""
    from immunescape.cli import main

    def run(name: str, broken: dict[str, list[str]] | None) -> tuple[int, str, dict]:
        f = tmp_path / f"{name}.tsv"
        _tpm_matrix(3, broken=broken).values.T.to_csv(f, sep="\t", index_label="gene")
        code = main(["predict", "--model", "builtin", "--expr", str(f), "--unit", "tpm",
                     "-o", str(tmp_path / name)])
        err = capsys.readouterr().err
        run_json = json.loads((tmp_path / name / "run.json").read_text()) if code == 0 else {}
        return code, err, run_json

    code, err, doc = run("bad", {"T1": ["C1orf43", "CHMP2A", "VPS29"]})
    assert code == 0
    assert "1 sample(s) standardised with the model's reference statistics fail the " \
           "housekeeping check (e.g. T1" in err
    assert any("housekeeping" in w for w in doc["warnings"])
    code, err, doc = run("good", None)
    assert code == 0 and "housekeeping" not in err


# ----------------------------------------------------------------------------- units
def test_read_counts_are_not_read_against_the_tpm_reference():
    tpm = _tpm_matrix(3).values
    counts = Expression((tpm * 30).round(), unit="counts")
    fit = shipped_reference_applies(counts)
    assert not fit.applies and fit.check == "unit"
    assert fit.reason.startswith("unit counts: read counts scale to counts per million")
    t = immune_phenotypes(Expression(counts.values.iloc[:1], unit="counts")).table
    assert t["immune_phenotype"].isna().all() and "unit counts" in t["not_assessable"].iloc[0]
    assert shipped_reference_applies(Expression(tpm, unit="tpm")).applies
    assert shipped_reference_applies(Expression(np.log2(tpm + 1), unit="log2tpm")).applies
    assert not shipped_reference_applies(Expression(tpm, unit="normalized")).applies


@pytest.mark.realdata
def test_counts_of_real_tumours_read_high_on_long_genes_against_the_tpm_reference(shared_data):
    """Riaz 2017: the IMPRES authors' read counts and PredictioR's TPM of the same 46
    pre-treatment tumours. As counts per million against the TPM reference, the stromal
    features read high (long genes); within the cohort, the calls agree better with the
    TPM-based calls than the counts read against the reference do."""
    from immunescape.io import read_expression
    from immunescape.mechanisms._phenotype import phenotype_features

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        counts, _ = read_expression(shared_data / "impres_auslander2018_matlab_cohorts"
                                    / "Riaz2017_IMPRES_TIMCHAN_counts_expr.tsv.gz")
        tpm, _ = read_expression(
            shared_data / PREDICTIOR / "Riaz2017_melanoma_PD1_expr_log2tpm.tsv.gz")
    pre = {s: s.removesuffix("_Pre") for s in counts.samples if s.endswith("_Pre")}
    pre = {s: p for s, p in pre.items() if p in set(tpm.samples)}
    assert len(pre) == 46 and counts.unit == "counts" and tpm.unit == "log2tpm"
    c = Expression(counts.values.loc[list(pre)].rename(index=pre), unit="counts")
    t = tpm.subset(list(c.samples))

    def ref_z(e: Expression) -> pd.DataFrame:  # the shipped reference, by hand
        st = reference_gene_stats("pan_cancer")
        g = [x for x in st.index if x in set(e.genes)]
        lv = pd.DataFrame(e.columns(g, "log2tpm1"), index=e.samples, columns=g)
        return (lv - st.loc[g, "mean"]) / st.loc[g, "sd"]

    shift = (phenotype_features(ref_z(c))[0] - phenotype_features(ref_z(t))[0]).mean()
    assert shift["f_tbrs"] > 0.5 and shift["fibroblasts"] > 0.4  # long stromal genes
    truth = immune_phenotypes(t).table.set_index("sample_id")["immune_phenotype"]
    ours = immune_phenotypes(c).table.set_index("sample_id")
    assert ours["scale"].str.startswith("analysed cohort (unit counts").all()
    # the same counts per million declared as TPM: read against the shipped reference
    cpm = Expression(pd.DataFrame(c.columns(None, "tpm"), index=c.samples, columns=c.genes),
                     unit="tpm")
    forced = immune_phenotypes(cpm).table.set_index("sample_id")
    assert forced["scale"].str.startswith("shipped reference").all()
    agree_within = (ours["immune_phenotype"] == truth).mean()
    agree_forced = (forced["immune_phenotype"] == truth).mean()
    assert agree_within > agree_forced, (agree_within, agree_forced)


def test_predict_warns_when_a_small_cohort_is_in_counts(tmp_path, capsys):
    from immunescape.cli import main

    f = tmp_path / "counts.tsv"
    (_tpm_matrix(3).values * 30).round().T.to_csv(f, sep="\t", index_label="gene")
    code = main(["predict", "--model", "builtin", "--expr", str(f), "--unit", "counts",
                 "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 0
    assert "3 sample(s) standardised with the model's reference statistics (log2 TPM) are in " \
           "unit counts" in err
