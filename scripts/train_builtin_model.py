#!/usr/bin/env python3
"""Train the built-in response model, evaluate it honestly and write its model card.

Usage::

    python scripts/train_builtin_model.py [--data ../shared/data/predictior_icb]
                                          [--out src/immunescape/predict/data]

What it does (deterministic: same data, same bytes):

1. Loads the 13 PredictioR ICB cohorts (:func:`immunescape.predict.load_cohort`; response by
   the clinical reader's PredictioR rule: CR/PR -> R, PD -> NR, SD by PFS 6 months; two odd
   response values set to NA as PredictioR did: Roh2017 ``PD*``, Snyder2017 ``Only scanned
   baseline``; genes with NaN values dropped (Nathanson2017)).
   Also the two cohorts of the IMPRES paper's files that are neither PredictioR patients nor
   labelled by another rule: Prat2017 (NanoString) and TCGA-SKCM ipilimumab.
2. Evaluation cohorts: those where at least one published predictor (IMPRES, GEP, CYT,
   IFNG6, CD274) can be scored: the 9 whole-transcriptome PredictioR cohorts, the Hwang2020
   and Roh2017 panels, Prat2017 and TCGA-SKCM. JerbyArnon2018 (panel: none of the
   predictors' genes) and VanDenEnde2021 (panel: no immune signature gene) are left out,
   with the reason in the card.
3. Diagnosis of the previous built-in model (feature-wise AUCs per cohort, availability).
4. Nested leave-one-cohort-out over the candidates of
   :data:`immunescape.predict.ROBUST_CANDIDATES` (consensus of published signatures,
   penalised logistic model on few features, cohort-free reference-standardised variants,
   immune-concept model): candidate choice, calibration method (Platt / isotonic) and
   calibration fit all happen without the held-out cohort
   (:func:`immunescape.predict.robust_loco`).
5. Plain LOCO of every candidate (diagnosis: effect of per-cohort standardisation).
6. Final model: the candidate with the best LOCO mean AUC over all evaluation cohorts; if
   the nested comparison does not show a learned candidate above the best published
   predictor, the best consensus candidate is shipped instead (rule of the issue). Fitted
   on all evaluation cohorts with every sub-model (one per subset of its units) and its
   calibrator precomputed.
7. Writes ``builtin_model.json``, ``builtin_model.json.sha256`` and ``MODEL_CARD.md``.

Nothing of the cohorts but fitted coefficients, reference statistics (means and SDs of
feature scores over cohorts) and summary performance leaves the data directory.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from immunescape._version import __version__
from immunescape.errors import InputError
from immunescape.predict import (
    BASELINES,
    ROBUST_CANDIDATES,
    Cohort,
    RobustModel,
    load_cohort,
    robust_loco,
    save_robust,
    stack_union,
)
from immunescape.stats import roc_auc

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "predictior_icb"
DEFAULT_OUT = ROOT / "src" / "immunescape" / "predict" / "data"

#: Response values PredictioR left unlabelled, mapped to NA so the reader does the same.
RESPONSE_MAP = {"PD*": "NA", "Only scanned baseline": "NA"}


#: Cohorts: file stem -> (label, cancer, therapy, original study, data accession).
STUDIES: dict[str, tuple[str, str, str, str]] = {
    "Hugo2016_melanoma_PD1": (
        "melanoma",
        "anti-PD-1",
        "Hugo W, et al. Genomic and transcriptomic features of response to anti-PD-1 therapy in "
        "metastatic melanoma. Cell 2016;165:35-44",
        "GEO GSE78220",
    ),
    "Riaz2017_melanoma_PD1": (
        "melanoma",
        "anti-PD-1 (nivolumab; pre-treatment)",
        "Riaz N, et al. Tumor and microenvironment evolution during immunotherapy with "
        "nivolumab. Cell 2017;171:934-949",
        "GEO GSE91061",
    ),
    "VanAllen2015_melanoma_CTLA4": (
        "melanoma",
        "anti-CTLA-4 (ipilimumab)",
        "Van Allen EM, et al. Genomic correlates of response to CTLA-4 blockade in metastatic "
        "melanoma. Science 2015;350:207-211",
        "dbGaP phs000452",
    ),
    "Nathanson2017_melanoma_CTLA4": (
        "melanoma",
        "anti-CTLA-4 (ipilimumab)",
        "Nathanson T, et al. Somatic mutations and neoepitope homology in melanomas treated "
        "with CTLA-4 blockade. Cancer Immunol Res 2017;5:84-91",
        "dbGaP phs001041",
    ),
    "Miao2018_RCC_PD1": (
        "clear-cell renal cell carcinoma",
        "anti-PD-1 / PD-L1",
        "Miao D, et al. Genomic correlates of response to immune checkpoint therapies in clear "
        "cell renal cell carcinoma. Science 2018;359:801-806",
        "dbGaP phs001493",
    ),
    "Jung2019_NSCLC_PD1_males": (
        "NSCLC (male patients)",
        "anti-PD-1 / PD-L1",
        "Jung H, et al. DNA methylation loss promotes immune evasion of tumours with high "
        "mutation and copy number load. Nat Commun 2019;10:4278",
        "GEO GSE135222",
    ),
    "Snyder2017_UC_PDL1_males": (
        "urothelial carcinoma (male patients)",
        "anti-PD-L1 (atezolizumab)",
        "Snyder A, et al. Contribution of systemic and somatic factors to clinical response and "
        "resistance to PD-L1 blockade in urothelial cancer: an exploratory multi-omic "
        "analysis. PLoS Med 2017;14:e1002309",
        "github.com/hammerlab/multi-omic-urothelial-anti-pdl1",
    ),
    "Zhao2019_GBM_PD1": (
        "glioblastoma",
        "anti-PD-1",
        "Zhao J, et al. Immune and genomic correlates of response to anti-PD-1 immunotherapy "
        "in glioblastoma. Nat Med 2019;25:462-469",
        "SRA PRJNA482620",
    ),
    "Padron2022_PDAC_PD1": (
        "pancreatic adenocarcinoma",
        "chemotherapy + anti-PD-1 and/or anti-CD40",
        "Padron LJ, et al. Sotigalimab and/or nivolumab with chemotherapy in first-line "
        "metastatic pancreatic cancer: clinical and immunologic analyses from the randomized "
        "phase 2 PRINCE trial. Nat Med 2022;28:1167-1177",
        "GEO GSE179351",
    ),
    "JerbyArnon2018_melanoma_PD1_panel566": (
        "melanoma",
        "anti-PD-1",
        "Jerby-Arnon L, et al. A cancer cell program promotes T cell exclusion and resistance "
        "to checkpoint blockade. Cell 2018;175:984-997",
        "targeted RNA panel (566 genes)",
    ),
    "Hwang2020_NSCLC_PD1_panel383": (
        "NSCLC",
        "anti-PD-1 / PD-L1",
        "Hwang S, et al. Immune gene signatures for predicting durable clinical benefit of "
        "anti-PD-1 immunotherapy in patients with non-small cell lung cancer. Sci Rep "
        "2020;10:643",
        "targeted RNA panel (383 genes)",
    ),
    "Roh2017_melanoma_CTLA4_panel721": (
        "melanoma",
        "anti-CTLA-4 then anti-PD-1",
        "Roh W, et al. Integrated molecular analysis of tumor biopsies on sequential CTLA-4 and "
        "PD-1 blockade reveals markers of response and resistance. Sci Transl Med "
        "2017;9:eaah3560",
        "targeted RNA panel (721 genes)",
    ),
    "VanDenEnde2021_esophageal_PD1_panel1364": (
        "oesophageal adenocarcinoma",
        "chemoradiotherapy + anti-PD-L1",
        "van den Ende T, et al. Neoadjuvant chemoradiotherapy combined with atezolizumab for "
        "resectable esophageal adenocarcinoma: a single-arm phase II feasibility trial "
        "(PERFECT). Clin Cancer Res 2021;27:3351-3359",
        "targeted RNA panel (1,364 genes)",
    ),
}

STUDIES.update({
    "Prat2017_NanoString_PD1": (
        "NSCLC, head and neck SCC, melanoma",
        "anti-PD-1 (pembrolizumab, nivolumab)",
        "Prat A, et al. Immune-related gene expression profiling after PD-1 blockade in "
        "non-small cell lung carcinoma, head and neck squamous cell carcinoma, and melanoma. "
        "Cancer Res 2017;77:3540-3550",
        "GEO GSE93157 (NanoString PanCancer Immune panel; via the IMPRES paper's files)",
    ),
    "TCGA_SKCM_ipilimumab": (
        "melanoma",
        "anti-CTLA-4 (ipilimumab)",
        "The Cancer Genome Atlas Network. Genomic classification of cutaneous melanoma. Cell "
        "2015;161:1681-1696 (ipilimumab-treated patients as selected by Auslander et al. 2018)",
        "TCGA SKCM RNA-seq (via the IMPRES paper's files)",
    ),
})

PREDICTIOR = (
    "PredictioR / ORCESTRA curation (github.com/bhklab/PredictioR; MIT / GPL-3): Bareche Y, et "
    "al. Leveraging big data of immune checkpoint blockade response identifies novel "
    "potential targets. Ann Oncol 2022;33:1304-1317; Mammoliti A, et al. Orchestrating and "
    "sharing large multimodal data for transparent and reproducible research. Nat Commun "
    "2021;12:5797"
)

LABELS = {"model": "builtin", **{k: k.upper() for k in BASELINES}}
LABELS.update({"impres": "IMPRES", "gep": "GEP", "cyt": "CYT", "cd274": "CD274", "ifng6": "IFNG6"})


# ------------------------------------------------------------------------------- cohorts
def load_all(data: Path, *, signatures: list[str] | None = None) -> tuple[list[Cohort], dict]:
    """Load every cohort of the folder; return the loaded ones and load failures."""
    cohorts, failed = [], {}
    for stem in [s for s in STUDIES if s not in IMPRES_COHORTS]:
        expr = data / f"{stem}_expr_log2tpm.tsv.gz"
        clin = data / f"{stem}_clinical.tsv"
        if not expr.is_file():
            failed[stem] = "files absent"
            continue
        try:
            cohorts.append(
                load_cohort(
                    expr,
                    clin,
                    name=stem,
                    on_missing="drop",
                    response_map=RESPONSE_MAP,
                    signatures=signatures,
                )
            )
        except InputError as exc:
            failed[stem] = str(exc)
    impres_dir = data.parent / "impres_auslander2018_matlab_cohorts"
    for stem, (expr_name, clin_name) in IMPRES_COHORTS.items():
        expr, clin = impres_dir / expr_name, impres_dir / clin_name
        if not expr.is_file():
            failed[stem] = "files absent"
            continue
        with tempfile.TemporaryDirectory() as tmp:
            table = pd.read_csv(clin, sep="\t", dtype=str, keep_default_na=False)
            if "PFS" in table.columns:  # Prat2017: 'pfs: 1.83', no unit, no SD: not needed
                table = table.drop(columns="PFS")
            clean = Path(tmp) / clin.name
            table.to_csv(clean, sep="\t", index=False)
            try:
                cohorts.append(load_cohort(expr, clean, name=stem, on_missing="drop",
                                           na_values=IMPRES_NA, signatures=signatures))
            except InputError as exc:
                failed[stem] = str(exc)
    return cohorts, failed


#: Cohorts of the IMPRES paper's files that are not PredictioR cohorts (no double counting:
#: Riaz, Hugo and Van Allen there are the same patients as in PredictioR). Chen2016 (labels
#: by the study's own definition, several time points) and MGH (mixed, partly unlabelled
#: outcomes) are not used.
IMPRES_COHORTS = {
    "Prat2017_NanoString_PD1": ("Prat2017_GSE93157_IMPRES_NanoString_expr.tsv.gz",
                                "Prat2017_GSE93157_IMPRES_NanoString_clinical.tsv"),
    "TCGA_SKCM_ipilimumab": ("TCGA_SKCM_ipilimumab_IMPRES_expr.tsv.gz",
                             "TCGA_SKCM_ipilimumab_IMPRES_clinical.tsv"),
}
IMPRES_NA = ["[Not Available]", "[Not Applicable]"]




LABELS = {"model": "builtin", "impres": "IMPRES", "gep": "GEP", "cyt": "CYT",
          "cd274": "CD274", "ifng6": "IFNG6"}

#: Features and coefficients of the previous built-in model (L2 logistic, C = 0.01, feature
#: set "axes", per-cohort z-scores), kept for the diagnosis.
PREVIOUS_MODEL = {"impres": 0.1635, "gep18": 0.0627, "ips_mhc": 0.0776, "pan_ftbrs": -0.0662,
                  "tls9": 0.0322}
LEARNED = ("logistic", )


def evaluation_cohorts(cohorts: list[Cohort]) -> tuple[list[Cohort], dict[str, str]]:
    """Cohorts where at least one published predictor can be scored; reasons for the rest."""
    keep, reasons = [], {}
    for c in cohorts:
        have = [k for k, f in BASELINES.items() if f in c.X and c.X[f].notna().all()]
        if have:
            keep.append(c)
        else:
            scored = sum(s == "scored" for s in c.meta["feature_status"].values())
            reasons[c.name] = (f"none of the published predictors can be scored (targeted panel;"
                               f" {scored} of {len(c.meta['feature_status'])} registry features "
                               "scored), so no comparison on the same samples is possible")
    return keep, reasons


def fmt_auc(row: pd.Series) -> str:
    if pd.isna(row.get("auc")):
        return "n/a"
    return f"{row['auc']:.2f} [{row['auc_ci_low']:.2f}-{row['auc_ci_high']:.2f}]"


def markdown(df: pd.DataFrame, floatfmt: str = "{:.3f}") -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.astype(object).itertuples(index=False):
        cells = []
        for v in row:
            if v is None or (isinstance(v, float) and np.isnan(v)):
                cells.append("")
            elif isinstance(v, float):
                cells.append(floatfmt.format(v))
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def wide_table(table: pd.DataFrame, cohorts: list[Cohort]) -> pd.DataFrame:
    """Per held-out cohort: n (R/NR) and AUC [95% DeLong CI] of the model and every baseline."""
    by = {c.name: c for c in cohorts}
    rows = []
    for name, block in table.groupby("cohort", sort=False):
        c = by[name]
        row = {"held-out cohort": name,
               "n (R/NR)": f"{c.n} ({c.n_responders}/{c.n - c.n_responders})"}
        for _, r in block.iterrows():
            row[LABELS.get(r["predictor"], r["predictor"])] = fmt_auc(r)
        rows.append(row)
    out = pd.DataFrame(rows)
    stats = table.groupby("predictor", sort=False)["auc"]
    out.loc[len(out)] = {"held-out cohort": "**mean AUC**", "n (R/NR)": "",
                         **{LABELS.get(k, k): f"**{v:.3f}**" for k, v in stats.mean().items()}}
    out.loc[len(out)] = {"held-out cohort": "**median AUC**", "n (R/NR)": "",
                         **{LABELS.get(k, k): f"**{v:.3f}**" for k, v in stats.median().items()}}
    return out


def diagnosis(cohorts: list[Cohort]) -> pd.DataFrame:
    """AUC of each feature of the previous model, oriented by its coefficient's sign."""
    rows = []
    for c in cohorts:
        row: dict[str, Any] = {"cohort": c.name, "n": c.n}
        for f, coef in PREVIOUS_MODEL.items():
            if f in c.X and c.X[f].notna().all():
                row[f] = roc_auc(c.y, np.sign(coef) * c.X[f])
            else:
                row[f] = "missing"
        rows.append(row)
    return pd.DataFrame(rows)


def loco_variance(table: pd.DataFrame, predictor: str) -> dict[str, float]:
    """Spread of a LOCO mean AUC: between-cohort SD, its SE, and the within-cohort part."""
    block = table[(table.predictor == predictor)].dropna(subset=["auc"])
    a = block["auc"].to_numpy()
    se_within = ((block["auc_ci_high"] - block["auc_ci_low"]) / (2 * 1.96)).to_numpy()
    k = a.size
    return {"k": k, "mean": float(a.mean()), "sd_between": float(a.std(ddof=1)),
            "se_mean": float(a.std(ddof=1) / np.sqrt(k)),
            "se_mean_sampling_only": float(np.sqrt(np.sum(se_within**2)) / k)}


def run(data: Path, out: Path) -> dict[str, Any]:
    log = logging.getLogger("train_builtin_model")
    t0 = time.time()
    loaded, failed = load_all(data)
    cohorts, excluded = evaluation_cohorts(loaded)
    excluded.update(failed)
    log.info("loaded %d cohorts (%.0f s); evaluating on %d", len(loaded), time.time() - t0,
             len(cohorts))
    names = list(ROBUST_CANDIDATES)
    nested = robust_loco(cohorts, candidates=names, nested=True)
    log.info("nested LOCO done (%.0f s)", time.time() - t0)
    plain = {n: robust_loco(cohorts, candidates=[n], nested=False) for n in names}
    plain_means = {n: float(r.evaluation.loc[r.evaluation.predictor == "model", "auc"].mean())
                   for n, r in plain.items()}
    best = max(names, key=lambda n: (plain_means[n], -names.index(n)))
    cmp_ = nested.settings["comparison"]
    shipped_rule = "best LOCO mean AUC over all evaluation cohorts"
    if ROBUST_CANDIDATES[best]["kind"] in LEARNED and cmp_["bootstrap_ci"][0] <= 0:
        consensus = [n for n in names if ROBUST_CANDIDATES[n]["kind"] == "consensus"]
        best = max(consensus, key=lambda n: (plain_means[n], -names.index(n)))
        shipped_rule = ("the nested comparison shows no learned model above the best published "
                        "predictor, so the best consensus candidate (by LOCO mean AUC) is "
                        "shipped")
    X, y, lab = stack_union(cohorts)
    model = RobustModel.from_candidate(best).fit(X, y, cohort=lab)
    provenance = {
        "cohorts": {c.name: {"n": c.n, "responders": c.n_responders,
                             "cancer": STUDIES[c.name][0]} for c in cohorts},
        "response_rule": "PredictioR: CR/PR -> R, PD -> NR; SD -> NR if PFS <= 6 months with "
        "an event, R if PFS >= 6 months censored, otherwise NA",
        "selection": shipped_rule,
        "nested_loco_mean_auc": float(nested.evaluation.loc[
            nested.evaluation.predictor == "model", "auc"].mean()),
        "data": PREDICTIOR,
    }
    out.mkdir(parents=True, exist_ok=True)
    path = save_robust(model, out / _BUILTIN_NAME, provenance=provenance)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (out / (_BUILTIN_NAME + ".sha256")).write_text(f"{digest}  {_BUILTIN_NAME}\n")
    res = {"nested": nested, "plain": plain, "plain_means": plain_means, "best": best,
           "rule": shipped_rule, "model": model, "digest": digest, "cohorts": cohorts,
           "excluded": excluded, "diagnosis": diagnosis(cohorts), "seconds": time.time() - t0}
    (out / "MODEL_CARD.md").write_text(model_card(res))
    return res


_BUILTIN_NAME = "builtin_model.json"


def targets(res: dict[str, Any]) -> dict[str, Any]:
    t = res["nested"].evaluation
    m = t[t.predictor == "model"]
    mean_auc = float(m["auc"].mean())
    cmp_ = res["nested"].settings["comparison"]
    return {
        "mean_auc": mean_auc,
        "auc_target_met": mean_auc >= 0.72,
        "margin_vs_best": cmp_["mean_difference"],
        "margin_target_met": cmp_["mean_difference"] >= 0.03 and cmp_["bootstrap_ci"][0] > 0,
        "brier": res["nested"].settings["pooled_brier"],
        "brier_prevalence": res["nested"].settings["pooled_brier_prevalence"],
        "brier_target_met": res["nested"].settings["pooled_brier"]
        < res["nested"].settings["pooled_brier_prevalence"],
    }


def model_card(res: dict[str, Any]) -> str:
    nested, model = res["nested"], res["model"]
    shipped = res["plain"][res["best"]]
    scmp = shipped.settings["comparison"]
    fitted = ("its weights are fixed; reference statistics and calibrators are fitted"
              if model.kind == "consensus" else "coefficients and calibrators are fitted")
    t = targets(res)
    cmp_ = nested.settings["comparison"]
    v_model = loco_variance(nested.evaluation, "model")
    v_best = loco_variance(nested.evaluation, cmp_["best_published"])
    units = "\n".join(f"| {u} | {', '.join(('+' if s > 0 else '-') + f for f, s in m)} |"
                      for u, m in model.units.items())
    full = model.submodels_[",".join(str(i) for i in range(len(model.units)))]
    coefs = ", ".join(f"{u} {c:+.3f}" for u, c in zip(model.units, full["coef"], strict=True))
    cohort_rows = "\n".join(
        f"| {c.name} | {STUDIES[c.name][0]} | {STUDIES[c.name][1]} | {c.n} | "
        f"{c.n_responders} / {c.n - c.n_responders} | {STUDIES[c.name][2]} | "
        f"{STUDIES[c.name][3]} |" for c in res["cohorts"])
    excl = "\n".join(f"| {k} | {v} |" for k, v in res["excluded"].items())
    plain = pd.DataFrame([{"candidate": n, "kind": ROBUST_CANDIDATES[n]["kind"],
                           "standardisation": ROBUST_CANDIDATES[n].get("standardize", "cohort"),
                           "LOCO mean AUC": v} for n, v in res["plain_means"].items()])
    brier_rows = nested.evaluation[nested.evaluation.predictor == "model"][
        ["cohort", "n", "brier", "brier_prevalence", "calibration", "candidate"]]
    diag = res["diagnosis"]
    yes = lambda b: "**met**" if b else "**not met**"  # noqa: E731
    return f"""# Model card: immunescape built-in ICB response model

Generated by `scripts/train_builtin_model.py` (immunescape {__version__}); do not edit by
hand. File: `builtin_model.json` (sha256 `{res['digest']}`), schema
`immunescape.robust_model` version 1. Research use only: not a diagnostic.

## What it is

Candidate **`{res['best']}`** ({model.kind}, standardisation `{model.standardize}`), selected
by: {res['rule']}. Units (a unit's score is the mean of its available features' signed
within-cohort z-scores):

| unit | features (sign) |
|---|---|
{units}

Full-model weights on the standardised unit scores: {coefs}. It estimates the probability of
response (PredictioR rule) to immune-checkpoint blockade from a pre-treatment bulk RNA
profile (whole transcriptome or a targeted panel).

## How it predicts on any cohort

* **Any size.** A cohort with at least {model.min_cohort_size} samples having a feature is
  z-scored on itself (label-free); smaller cohorts, down to one patient, use the reference
  statistics stored in the model (median of the training cohorts' means and of their SDs;
  mostly log2 TPM). `predictions.tsv` says which was used (`standardisation`).
* **Any subset of features.** Every non-empty subset of units has its own sub-model fitted
  at training time on the training samples that have those units, with its own calibrator
  fitted on out-of-cohort scores. A sample is scored by the sub-model of the units it has;
  `features_used` lists them; `run.json` lists the missing features with a warning. Only a
  sample without any model feature is refused (exit 2 when no sample can be scored).
* **Calibrated probabilities.** Platt or isotonic (chosen per sub-model by
  leave-one-cohort-out Brier score on the training cohorts' out-of-cohort scores); the
  decision threshold is the Youden point of those out-of-cohort probabilities.

## Training data

{len(res['cohorts'])} cohorts, {sum(c.n for c in res['cohorts'])} labelled pre-treatment
samples ({sum(c.n_responders for c in res['cohorts'])} responders); PredictioR expression as
log2(TPM + 0.001) from {PREDICTIOR}.

| cohort | cancer | therapy | n | R / NR | study | data |
|---|---|---|---|---|---|---|
{cohort_rows}

Licences: the curated tables are from PredictioR (MIT / GPL-3); expression and outcome data
belong to the original studies (cite them). Only coefficients, calibrators, reference
statistics (feature means and SDs over cohorts) and summary performance ship; no
per-patient value does. From `impres_auslander2018_matlab_cohorts/` (files prepared by
Auslander et al. 2018 for IMPRES) only Prat2017 (NanoString, CR/PR vs PD: no SD, so the
PredictioR rule applies unchanged; its `PFS` column, 'pfs: 1.83' without a unit, is
dropped) and TCGA-SKCM ipilimumab (RECIST words; SD without PFS -> NA by the rule) are
used. Riaz, Hugo and Van Allen there are the same patients as the PredictioR cohorts
(double counting); Chen2016 (study-defined R/NR at several time points) and MGH (mixed,
partly unlabelled outcomes) cannot follow the same response rule. Caveat: TCGA-SKCM
ipilimumab was one of the cohorts IMPRES was reported on, which favours IMPRES there.

Cohorts left out:

| cohort | reason |
|---|---|
{excl}

## Nested leave-one-cohort-out evaluation

Per held-out cohort: n and AUC [95% DeLong CI] of the procedure (candidate, calibration and
all parameters chosen without the held-out cohort) and of each published predictor on the
same samples (IMPRES cannot be scored on the two panels, GEP not on Roh2017).

{markdown(wide_table(nested.evaluation, res['cohorts']))}

Candidate and calibration chosen for each held-out cohort:

{markdown(nested.loco_choices[['cohort', 'candidate', 'calibration']])}

Mean and median AUC per predictor (each over the cohorts where it can be scored;
`model_mean_auc_same_cohorts`: the model on those same cohorts):

{markdown(nested.loco_summary)}

**Paired comparison with the best published predictor ({cmp_['best_published']})** on the
{cmp_['n_cohorts']} cohorts where both are scored: model {cmp_['model_mean_auc']:.3f} vs
{cmp_['best_mean_auc']:.3f}, difference {cmp_['mean_difference']:+.3f} (95% bootstrap over
cohorts {cmp_['bootstrap_ci'][0]:+.3f} to {cmp_['bootstrap_ci'][1]:+.3f}); the model is better
in {cmp_['model_wins']} and worse in {cmp_['model_losses']} cohorts (sign test p =
{cmp_['sign_test_p']:.2f}). Verdict: **{cmp_['verdict']}**.

Spread of a LOCO mean: model AUC SD between cohorts {v_model['sd_between']:.3f}, standard
error of the mean over {v_model['k']} cohorts {v_model['se_mean']:.3f} (from the DeLong
intervals alone {v_model['se_mean_sampling_only']:.3f}); {cmp_['best_published']}:
{v_best['sd_between']:.3f} / {v_best['se_mean']:.3f}. Differences in mean AUC below about
0.05-0.08 are within noise.

### The shipped candidate alone, leave-one-cohort-out

`{res['best']}` held out cohort by cohort ({fitted} on the other cohorts).
This is the shipped model's out-of-cohort performance; it was chosen among the candidates
on all cohorts, so it is slightly optimistic compared with the nested procedure above.

{markdown(wide_table(shipped.evaluation, res['cohorts']))}

Paired comparison with {scmp['best_published']} on {scmp['n_cohorts']} cohorts: model
{scmp['model_mean_auc']:.3f} vs {scmp['best_mean_auc']:.3f}, difference
{scmp['mean_difference']:+.3f} (95% bootstrap over cohorts {scmp['bootstrap_ci'][0]:+.3f} to
{scmp['bootstrap_ci'][1]:+.3f}); better in {scmp['model_wins']}, worse in
{scmp['model_losses']} cohorts (sign test p = {scmp['sign_test_p']:.2f}). Verdict:
**{scmp['verdict']}**. Pooled held-out Brier {shipped.settings['pooled_brier']:.4f} vs
{shipped.settings['pooled_brier_prevalence']:.4f} for the training prevalence.

Reliability (pooled held-out probabilities of the shipped candidate, quantile bins):

{markdown(shipped.reliability)}

### Calibration of the nested procedure (held-out, calibrated probabilities)

Brier score of the pooled held-out probabilities {nested.settings['pooled_brier']:.4f}; predicting
each held-out sample the training cohorts' response rate gives
{nested.settings['pooled_brier_prevalence']:.4f}. Per cohort:

{markdown(brier_rows)}

Reliability curve (pooled held-out predictions, quantile bins):

{markdown(nested.reliability)}

### Targets

* LOCO mean AUC >= 0.72: {t['mean_auc']:.3f}, {yes(t['auc_target_met'])}.
* >= 0.03 above the best published single predictor on the same samples (and not a tie):
  difference {t['margin_vs_best']:+.3f}, {yes(t['margin_target_met'])}.
* Brier below the training prevalence: {t['brier']:.4f} vs {t['brier_prevalence']:.4f},
  {yes(t['brier_target_met'])}.

### Every candidate, plain LOCO (diagnosis; not a selection)

{markdown(plain)}

### Diagnosis of the previous built-in model

AUC of each feature of the previous model (`axes`: impres, gep18, ips_mhc, pan_ftbrs, tls9;
coefficients +0.164, +0.063, +0.078, -0.066, +0.032; IMPRES carried most of the weight),
oriented by the sign of its coefficient, per cohort ("missing": cannot be scored):

{markdown(diag)}

## Intended use

Research: ranking patients by their chance of response to PD-1/PD-L1 or CTLA-4 blockade,
comparison with published predictors. Not for treatment decisions.

## Limits

* {sum(c.n for c in res['cohorts'])} samples in {len(res['cohorts'])} small cohorts (11-39
  labelled samples): per-cohort AUC intervals are about +/- 0.2 wide, and the mean over
  cohorts has a standard error of about {v_model['se_mean']:.2f}.
* Cancer types and therapies are mixed; immune-inflamed features predict poorly in RCC and
  glioblastoma, and no feature works everywhere.
* Reference standardisation (small cohorts, one patient) assumes log2 TPM on the scale of
  the whole-transcriptome training cohorts (medians over cohorts, so the NanoString and
  panel cohorts hardly move them); other units or platforms shift scores. Use a cohort of
  >= {model.min_cohort_size} samples when possible.
* Sub-models for rare feature subsets are fitted on fewer samples (the panels) and are
  less reliable; `features_used` says which applied.
* Response labels follow the PredictioR rule; other studies group SD differently.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("immunescape").setLevel(logging.ERROR)
    res = run(args.data, args.out)
    print(res["nested"].loco_summary.round(3).to_string(index=False))
    print(json.dumps(res["nested"].settings["comparison"], indent=1))
    print("targets:", json.dumps(targets(res)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
