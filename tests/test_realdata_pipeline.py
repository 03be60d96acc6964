"""The whole pipeline on real cohorts (../shared/data; skipped when absent).

Riaz et al. 2017 (Cell, PMID 29033130): PredictioR log2(TPM + 0.001) expression, the authors'
pre-therapy mutation table (Sequence Ontology terms, no indels; exome, 38 Mb assumed) and
clinical table. Independent facts checked: the authors' own calls of the PTEN-truncated
patients (Pt89 p.R406*, Pt65 c.772+1G>A splice donor) and of a JAK2 missense VUS (Pt54
p.P870S); TMB higher in responders (Riaz et al. 2017). Hugo et al. 2016 (Cell, PMID
26997480): the mesenchymal/TGF-beta (IPRES) transcriptional state is enriched in
non-responders, which the excluded phenotype (high pan-F-TBRS) should reflect.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from immunescape.pipeline import run_pipeline

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def riaz(shared_data):
    d = shared_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_pipeline(
            expr=d / "predictior_icb/Riaz2017_melanoma_PD1_expr_log2tpm.tsv.gz",
            maf=d / "riaz2017_bms038/pre_therapy_nonsynonmous_mutations.csv",
            clinical=d / "predictior_icb/Riaz2017_melanoma_PD1_clinical.tsv",
            capture_mb=38.0, tmb_assay="exome", on_malformed_hgvs="blank",
        )


def test_riaz_pten_truncated_patients_are_called(riaz):
    m = riaz.tables["mechanisms.tsv"].set_index(["sample_id", "mechanism_id"])
    for pt, change in (("Pt89", "p.R406*"), ("Pt65", "c.772+1G>A")):
        row = m.loc[(pt, "pten_loss_pi3k")]
        assert row["status"] == "present"
        assert "PTEN" in row["dna_evidence"] and change in row["dna_evidence"]
        assert "truncating" in row["dna_evidence"]


def test_riaz_jak2_missense_is_not_loss_of_function(riaz):
    m = riaz.tables["mechanisms.tsv"].set_index(["sample_id", "mechanism_id"])
    row = m.loc[("Pt54", "ifng_pathway_loss")]
    assert "JAK2" not in str(row["dna_evidence"])
    ev = riaz.tables["genomic_events.tsv"]
    jak2 = ev[(ev.sample_id == "Pt54") & (ev.gene == "JAK2")]
    assert set(jak2["event"]) == {"missense_vus"}


def test_riaz_samples_inputs_and_phenotypes(riaz):
    run = riaz.run
    assert run["samples"]["by_input"]["expression"] == 46
    assert run["samples"]["by_input"]["mutations"] == 68
    ph = riaz.tables["phenotypes.tsv"]
    called = ph["immune_phenotype"].dropna()
    assert len(called) == 46 and set(called) == {"inflamed", "excluded", "desert"}
    # DNA-only patients have no RNA evidence, and say so
    m = riaz.tables["mechanisms.tsv"]
    rna_only = m[(m.mechanism_id == "tim3_upregulation") & ~m.sample_id.isin(ph.sample_id)]
    assert (rna_only["status"] == "not_assessable").all()


def test_riaz_low_antigenicity_is_rarer_in_responders(riaz):
    m = riaz.tables["mechanisms.tsv"]
    low = m[m.mechanism_id == "low_antigenicity"].set_index("sample_id")["status"]
    resp = riaz.clinical["response"].dropna()
    both = low.reindex(resp.index).dropna()
    rate = (both == "present").groupby(resp.reindex(both.index)).mean()
    assert rate["R"] < rate["NR"]


def test_hugo_excluded_phenotype_in_non_responders(shared_data):
    d = shared_data / "predictior_icb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = run_pipeline(expr=d / "Hugo2016_melanoma_PD1_expr_log2tpm.tsv.gz",
                           clinical=d / "Hugo2016_melanoma_PD1_clinical.tsv")
    ph = res.tables["phenotypes.tsv"].set_index("sample_id")["immune_phenotype"]
    resp = res.clinical["response"].reindex(ph.index)
    table = pd.crosstab(ph, resp)
    nr_rate = table["NR"] / table.sum(axis=1)
    assert nr_rate["excluded"] > nr_rate.drop("excluded").max()
