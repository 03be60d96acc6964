"""Expression samples without a MAF row: not sequenced (TMB NA) unless --dna-samples all.

``run``, ``predict`` and ``compare`` share one rule (``immunescape.genomics.tmb
.sequenced_samples``). The expected values are hand counts on a hand-built cohort and
scikit-learn's ROC AUC on the sequenced samples only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from immunescape.cli import main

GENES = ["GZMA", "PRF1", "CD274", "IFNG", "STAT1", "IDO1", "CXCL9", "CXCL10", "HLA-DRA",
         "CD8A", "B2M", "ACTB", "GAPDH", "PTEN", "VEGFA"]
SAMPLES = [f"Pt{i}" for i in range(1, 13)]
# Pt1..Pt8 sequenced: number of missense calls each; Pt9..Pt12 absent from the MAF
N_MUT = {"Pt1": 5, "Pt2": 1, "Pt3": 4, "Pt4": 2, "Pt5": 3, "Pt6": 6, "Pt7": 2, "Pt8": 1}
MUT_GENES = ["BRAF", "TP53", "NRAS", "PTEN", "B2M", "JAK1"]
RESPONSE = {"Pt1": "PR", "Pt2": "PD", "Pt3": "PD", "Pt4": "PD", "Pt5": "CR", "Pt6": "PD",
            "Pt7": "PR", "Pt8": "PD", "Pt9": "PD", "Pt10": "PD", "Pt11": "PD", "Pt12": "PR"}


@pytest.fixture
def cohort(tmp_path: Path) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(3)
    expr = tmp_path / "expr.tsv"
    pd.DataFrame(np.round(np.exp(rng.normal(3, 1.5, (len(GENES), len(SAMPLES)))), 3),
                 index=GENES, columns=SAMPLES).to_csv(expr, sep="\t", index_label="gene")
    rows = [(s, MUT_GENES[k], 100 + k) for s, n in N_MUT.items() for k in range(n)]
    maf = tmp_path / "muts.maf"
    pd.DataFrame({"Tumor_Sample_Barcode": [r[0] for r in rows],
                  "Hugo_Symbol": [r[1] for r in rows],
                  "Chromosome": "1", "Start_Position": [r[2] for r in rows],
                  "Reference_Allele": "A", "Tumor_Seq_Allele2": "T",
                  "Variant_Classification": "Missense_Mutation"}).to_csv(maf, sep="\t",
                                                                         index=False)
    clin = tmp_path / "clin.tsv"
    pd.DataFrame({"sample_id": list(RESPONSE), "recist": list(RESPONSE.values())}).to_csv(
        clin, sep="\t", index=False)
    return expr, maf, clin


def test_predict_tmb_is_na_for_unsequenced_samples(cohort, tmp_path, capsys):
    expr, maf, _ = cohort
    for flag, expect_unseq in (([], np.nan), (["--dna-samples", "all"], 0.0)):
        out = tmp_path / f"p{len(flag)}"
        code = main(["predict", "--model", "tmb", "--expr", str(expr), "--maf", str(maf),
                     "--capture-mb", "2", *flag, "-o", str(out)])
        assert code == 0, capsys.readouterr().err
        p = pd.read_csv(out / "predictions.tsv", sep="\t").set_index("sample_id")["score"]
        assert set(p.index) == set(SAMPLES)
        for s, n in N_MUT.items():
            assert p[s] == pytest.approx(n / 2)
        for s in ("Pt9", "Pt10", "Pt11", "Pt12"):
            assert (np.isnan(p[s]) if np.isnan(expect_unseq) else p[s] == expect_unseq)
        err = capsys.readouterr().err
        assert ("--dna-samples all" in err) == (not flag)


def test_compare_tmb_auc_on_sequenced_samples_only(cohort, tmp_path, capsys):
    expr, maf, clin = cohort
    out = tmp_path / "c"
    code = main(["compare", "--clinical", str(clin), "--expr", str(expr), "--maf", str(maf),
                 "--capture-mb", "2", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    assert "--dna-samples all" in capsys.readouterr().err
    a = pd.read_csv(out / "associations.tsv", sep="\t").set_index("feature").loc["tmb_per_mb"]
    y = [RESPONSE[s] in ("CR", "PR") for s in N_MUT]
    assert (a["n_r"], a["n_nr"]) == (3, 5)
    assert a["auc"] == pytest.approx(roc_auc_score(y, list(N_MUT.values())))
    muts = pd.read_csv(out / "mutations.tsv", sep="\t")
    assert set(muts["n_r"] + muts["n_nr"]) == {8}  # the unsequenced are not wild-type
    # --dna-samples all: the four without a MAF row are sequenced, TMB 0 and wild-type
    out2 = tmp_path / "c2"
    assert main(["compare", "--clinical", str(clin), "--expr", str(expr), "--maf", str(maf),
                 "--capture-mb", "2", "--dna-samples", "all", "-o", str(out2)]) == 0
    a2 = pd.read_csv(out2 / "associations.tsv", sep="\t").set_index("feature").loc["tmb_per_mb"]
    tmb_all = [N_MUT.get(s, 0) for s in RESPONSE]
    y_all = [r in ("CR", "PR") for r in RESPONSE.values()]
    assert (a2["n_r"], a2["n_nr"]) == (4, 8)
    assert a2["auc"] == pytest.approx(roc_auc_score(y_all, tmb_all))


def test_header_only_maf(cohort, tmp_path, capsys):
    """A MAF without rows: every sample sequenced without a call (TMB 0) only when said."""
    expr, _, _ = cohort
    maf = tmp_path / "empty.maf"
    maf.write_text("Tumor_Sample_Barcode\tHugo_Symbol\tVariant_Classification\n")
    out = tmp_path / "r"
    assert main(["run", "--expr", str(expr), "--maf", str(maf), "--capture-mb", "35",
                 "--dna-samples", "all", "-o", str(out)]) == 0
    tmb = pd.read_csv(out / "tmb.tsv", sep="\t").set_index("sample_id")
    assert sorted(tmb.index) == sorted(SAMPLES)
    assert (tmb["tmb_per_mb"] == 0).all()
    p = tmp_path / "p"
    assert main(["predict", "--model", "tmb", "--expr", str(expr), "--maf", str(maf),
                 "--capture-mb", "35", "--dna-samples", "all", "-o", str(p)]) == 0
    assert (pd.read_csv(p / "predictions.tsv", sep="\t")["score"] == 0).all()
    capsys.readouterr()
    out2 = tmp_path / "r2"
    assert main(["run", "--expr", str(expr), "--maf", str(maf), "--capture-mb", "35",
                 "-o", str(out2)]) == 2
    assert "--dna-samples all" in capsys.readouterr().err
    assert not out2.exists()


def test_meta_tmb_on_sequenced_samples_only(tmp_path, capsys):
    """meta reads each cohort as compare does: TMB only for samples with a MAF row."""
    specs = []
    for k, prefix in enumerate(("A", "B")):
        d = tmp_path / prefix
        d.mkdir()
        rng = np.random.default_rng(10 + k)
        names = {s: f"{prefix}{s}" for s in SAMPLES}
        expr = d / f"{prefix}.tsv"
        pd.DataFrame(np.round(np.exp(rng.normal(3, 1.5, (len(GENES), len(SAMPLES)))), 3),
                     index=GENES, columns=list(names.values())).to_csv(
            expr, sep="\t", index_label="gene")
        rows = [(names[s], MUT_GENES[i], 100 + i) for s, n in N_MUT.items() for i in range(n)]
        maf = d / f"{prefix}.maf"
        pd.DataFrame({"Tumor_Sample_Barcode": [r[0] for r in rows],
                      "Hugo_Symbol": [r[1] for r in rows], "Chromosome": "1",
                      "Start_Position": [r[2] for r in rows], "Reference_Allele": "A",
                      "Tumor_Seq_Allele2": "T", "Variant_Classification": "Missense_Mutation"}
                     ).to_csv(maf, sep="\t", index=False)
        clin = d / f"{prefix}_clin.tsv"
        pd.DataFrame({"sample_id": [names[s] for s in RESPONSE],
                      "recist": list(RESPONSE.values())}).to_csv(clin, sep="\t", index=False)
        specs += ["--cohort", f"{expr}:{clin}:{maf}"]
    out = tmp_path / "m"
    assert main(["meta", *specs, "--capture-mb", "2", "-o", str(out)]) == 0, \
        capsys.readouterr().err
    per = pd.read_csv(out / "meta_cohorts.tsv", sep="\t")
    tmb = per[(per["feature"] == "tmb_per_mb") & (per["measure"] == "auc")]
    assert len(tmb) == 2
    assert set(zip(tmb["n_r"], tmb["n_nr"], strict=True)) == {(3, 5)}
    y = [RESPONSE[s] in ("CR", "PR") for s in N_MUT]
    assert tmb["estimate"].to_numpy() == pytest.approx(roc_auc_score(y, list(N_MUT.values())))
