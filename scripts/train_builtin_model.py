#!/usr/bin/env python3
"""Train the built-in pan-cohort response model and write its model card.

Usage::

    python scripts/train_builtin_model.py [--data ../shared/data/predictior_icb]
                                          [--out src/immunescape/predict/data]
                                          [--no-explore]

What it does (deterministic: same data, same bytes):

1. Loads the 13 PredictioR ICB cohorts (:func:`immunescape.predict.load_cohort`; response by
   the clinical reader's PredictioR rule, SD by PFS >= 6 months; two odd response values set
   to NA as PredictioR did: Roh2017 ``PD*``, Snyder2017 ``Only scanned baseline``; genes with
   NaN values dropped (Nathanson2017)).
2. Keeps the cohorts whose labelled samples have every candidate feature (the union of the
   feature sets in the grid) scored: the targeted-panel cohorts lack most signature genes and
   are left out, with the reason written to the model card.
3. Honest estimate: nested leave-one-cohort-out (LOCO). For each held-out cohort, the
   hyper-parameters (feature set x C) are chosen by an inner LOCO over the *other* cohorts
   only; the model is refitted on them, its threshold chosen on them, and scored on the
   held-out cohort, standardised on itself. IMPRES, GEP, CYT, CD274 and IFNG6 are scored on
   the same held-out samples.
4. Final hyper-parameters: LOCO over all included cohorts; final model fitted on all of them.
   Also reported: LOCO with these fixed final hyper-parameters (optimistic, since they were
   chosen on all cohorts; this is what tests recompute).
5. Alternatives tried (reported, not shipped unless better by the same nested procedure):
   within-cohort rank features, L1 and elastic-net penalties, the broad curated set alone, all
   features scored in every cohort.
6. Writes ``builtin_model.json`` (no per-training-cohort statistics: new cohorts are
   standardised on themselves), ``builtin_model.json.sha256`` and ``MODEL_CARD.md``.

Nothing of the cohorts but the fitted coefficients and summary performance leaves the data
directory.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from immunescape._version import __version__
from immunescape.errors import InputError
from immunescape.predict import (
    BASELINES,
    FEATURE_SETS,
    Cohort,
    ResponseModel,
    brier,
    calibration_curve,
    load_cohort,
    loco_compare,
    loco_grid_search,
    loco_summary,
    nested_loco_compare,
    save_model,
    stack_cohorts,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "predictior_icb"
DEFAULT_OUT = ROOT / "src" / "immunescape" / "predict" / "data"

#: Response values PredictioR left unlabelled, mapped to NA so the reader does the same.
RESPONSE_MAP = {"PD*": "NA", "Only scanned baseline": "NA"}

#: Hyper-parameter grid of the shipped procedure (chosen by LOCO, nested for evaluation).
PARAM_GRID: dict[str, list[Any]] = {
    "features": ["curated", "published", "axes"],
    "C": [0.003, 0.01, 0.03, 0.1, 0.3, 1.0],
    "penalty": ["l2"],
}

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
    for stem in STUDIES:
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
                    on_missing="drop_genes",
                    response_map=RESPONSE_MAP,
                    signatures=signatures,
                )
            )
        except InputError as exc:
            failed[stem] = str(exc)
    return cohorts, failed


def candidate_features(grid: dict[str, list[Any]] = PARAM_GRID) -> list[str]:
    """Union of the features of the grid's feature sets."""
    return list(dict.fromkeys(f for s in grid["features"] for f in FEATURE_SETS[s]))


def included_cohorts(cohorts: list[Cohort], features: list[str]) -> tuple[list[Cohort], dict]:
    """Cohorts with every candidate feature for every labelled sample; reasons for the rest."""
    keep, reasons = [], {}
    for c in cohorts:
        missing = [f for f in features if f not in c.available(features)]
        if missing:
            scored = sum(s == "scored" for s in c.meta["feature_status"].values())
            reasons[c.name] = (
                f"{len(missing)} of {len(features)} candidate features not scorable "
                f"({', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''}); "
                f"{scored} of {len(c.meta['feature_status'])} registry features scored"
            )
        else:
            keep.append(c)
    return keep, reasons


def ranked(c: Cohort) -> Cohort:
    """The cohort with every feature replaced by its within-cohort percentile rank."""
    X = (c.X.rank(method="average") - 0.5) / c.X.shape[0]
    return replace(c, X=X)


# ------------------------------------------------------------------------------- reporting
def fmt_auc(row: pd.Series) -> str:
    if pd.isna(row.get("auc")):
        return "n/a"
    return f"{row['auc']:.2f} [{row['auc_ci_low']:.2f}-{row['auc_ci_high']:.2f}]"


def wide_table(table: pd.DataFrame, cohorts: list[Cohort]) -> pd.DataFrame:
    """Per held-out cohort: n (R/NR) and AUC [95% CI] of the model and every baseline."""
    by = {c.name: c for c in cohorts}
    rows = []
    for name, block in table.groupby("cohort", sort=False):
        c = by[name]
        row = {
            "held-out cohort": name,
            "n (R/NR)": f"{c.n} ({c.n_responders}/{c.n - c.n_responders})",
        }
        for _, r in block.iterrows():
            row[LABELS.get(r["predictor"], r["predictor"])] = fmt_auc(r)
        rows.append(row)
    out = pd.DataFrame(rows)
    means = table.groupby("predictor", sort=False)["auc"].mean()
    out.loc[len(out)] = {
        "held-out cohort": "**mean AUC**",
        "n (R/NR)": "",
        **{LABELS.get(k, k): f"**{v:.3f}**" for k, v in means.items()},
    }
    return out


def markdown(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.astype(object).itertuples(index=False):
        lines.append("| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |")
    return "\n".join(lines)


def run(data: Path, out: Path, explore: bool = True) -> dict[str, Any]:
    log = logging.getLogger("train_builtin_model")
    t0 = time.time()
    cohorts, failed = load_all(data)
    feats = candidate_features()
    included, excluded = included_cohorts(cohorts, feats)
    excluded.update(failed)
    log.info("included %d cohorts: %s", len(included), [c.name for c in included])

    nested, nested_preds = nested_loco_compare(
        included, param_grid=PARAM_GRID, model_name="model", return_predictions=True
    )
    best, grid_table = loco_grid_search(included, param_grid=PARAM_GRID)
    fixed = loco_compare(included, params=best, model_name="model")
    X, y, labels = stack_cohorts(included, features=FEATURE_SETS[best["features"]])
    model = ResponseModel(**best, standardize="cohort").fit(X, y, cohort=labels)

    summary_nested = loco_summary(nested)
    summary_fixed = loco_summary(fixed)
    mean_model = float(
        summary_nested.loc[summary_nested["predictor"] == "model", "mean_auc"].iloc[0]
    )
    base = summary_nested[summary_nested["predictor"] != "model"]
    best_base = base.loc[base["mean_auc"].idxmax()]
    margin = mean_model - float(best_base["mean_auc"])
    target_met = bool(margin > 0)

    alternatives: list[dict[str, Any]] = [
        {
            "variant": "shipped procedure: l2, feature set x C chosen by inner LOCO",
            "mean_auc": mean_model,
        }
    ]
    if explore:
        variants = {
            "within-cohort rank features (same grid)": ([ranked(c) for c in included], PARAM_GRID),
            "L1 penalty (same feature sets; C 0.03-1)": (
                included,
                {"features": PARAM_GRID["features"], "C": [0.03, 0.1, 0.3, 1.0], "penalty": ["l1"]},
            ),
            "elastic net, l1_ratio 0.5 (C 0.01-1)": (
                included,
                {
                    "features": PARAM_GRID["features"],
                    "C": [0.01, 0.03, 0.1, 0.3, 1.0],
                    "penalty": ["elasticnet"],
                    "l1_ratio": [0.5],
                },
            ),
            "curated set only, l2 (C chosen)": (
                included,
                {"features": ["curated"], "C": PARAM_GRID["C"], "penalty": ["l2"]},
            ),
            "all features scored in every cohort, l2 (C chosen)": (
                included,
                {
                    "features": [
                        [
                            f
                            for f in included[0].X.columns
                            if all(f in c.available([f]) for c in included)
                        ]
                    ],
                    "C": [0.001, 0.003, 0.01, 0.03],
                    "penalty": ["l2"],
                },
            ),
        }
        for label, (cs, grid) in variants.items():
            t = nested_loco_compare(cs, param_grid=grid, model_name="model")
            m = t.loc[t["predictor"] == "model", "auc"].mean()
            alternatives.append({"variant": label, "mean_auc": float(m)})
            log.info("alternative %s: mean nested LOCO AUC %.3f", label, m)

    provenance = {
        "description": "immunescape built-in pan-cohort ICB response model",
        "training_cohorts": [
            {
                "name": c.name,
                "n": c.n,
                "responders": c.n_responders,
                "non_responders": c.n - c.n_responders,
                "cancer": STUDIES[c.name][0],
                "therapy": STUDIES[c.name][1],
                "study": STUDIES[c.name][2],
                "data": STUDIES[c.name][3],
            }
            for c in included
        ],
        "excluded_cohorts": excluded,
        "response_rule": included[0].meta["response_rule"],
        "response_map": RESPONSE_MAP,
        "curation": PREDICTIOR,
        "licence_note": "Coefficients derived from the cohorts above (PredictioR curation, "
        "MIT/GPL-3; original studies cited). No per-patient data are shipped.",
        "hyperparameter_selection": {
            "method": "leave-one-cohort-out, mean held-out AUC, cohorts weighted equally",
            "grid": PARAM_GRID,
            "chosen": best,
        },
        "evaluation": {
            "nested_loco_mean_auc": summary_nested.set_index("predictor")["mean_auc"]
            .round(4)
            .to_dict(),
            "fixed_loco_mean_auc": summary_fixed.set_index("predictor")["mean_auc"]
            .round(4)
            .to_dict(),
            "target_met": target_met,
            "margin_over_best_published": round(margin, 4),
            "best_published": str(best_base["predictor"]),
        },
        "script": "scripts/train_builtin_model.py",
    }
    out.mkdir(parents=True, exist_ok=True)
    path = save_model(
        model, out / "builtin_model.json", provenance=provenance, include_cohort_statistics=False
    )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (out / "builtin_model.json.sha256").write_text(f"{digest}  builtin_model.json\n")

    card = model_card(
        included=included,
        excluded=excluded,
        model=model,
        best=best,
        grid_table=grid_table,
        nested=nested,
        fixed=fixed,
        summary_nested=summary_nested,
        summary_fixed=summary_fixed,
        target_met=target_met,
        best_base=best_base,
        alternatives=alternatives,
        digest=digest,
        nested_preds=nested_preds,
        margin=margin,
        n_significant=int((nested["p_vs_model"] < 0.05).sum()),
        n_tests=int(nested["p_vs_model"].notna().sum()),
    )
    (out / "MODEL_CARD.md").write_text(card)
    log.info("done in %.0f s", time.time() - t0)
    return {
        "nested": nested,
        "fixed": fixed,
        "best": best,
        "model": model,
        "alternatives": alternatives,
        "target_met": target_met,
        "margin": margin,
    }


def model_card(**k: Any) -> str:
    included: list[Cohort] = k["included"]
    model: ResponseModel = k["model"]
    best = k["best"]
    sn: pd.DataFrame = k["summary_nested"]
    sf: pd.DataFrame = k["summary_fixed"]
    mean_model = float(sn.loc[sn["predictor"] == "model", "mean_auc"].iloc[0])
    bb = k["best_base"]
    coef = pd.DataFrame({"feature": model.features_, "coefficient": model.coef_})
    coef["coefficient"] = coef["coefficient"].map(lambda v: f"{v:+.4f}")
    train_rows = pd.DataFrame(
        [
            {
                "cohort": c.name,
                "cancer": STUDIES[c.name][0],
                "therapy": STUDIES[c.name][1],
                "n": c.n,
                "R / NR": f"{c.n_responders} / {c.n - c.n_responders}",
                "study": STUDIES[c.name][2],
                "data": STUDIES[c.name][3],
            }
            for c in included
        ]
    )
    excl = pd.DataFrame([{"cohort": n, "reason": r} for n, r in k["excluded"].items()])
    chosen = (
        k["nested"]
        .loc[k["nested"]["predictor"] == "model", ["cohort", "params"]]
        .assign(
            params=lambda d: d["params"].map(
                lambda s: ", ".join(f"{a}={b}" for a, b in json.loads(s).items())
            )
        )
        .rename(
            columns={"cohort": "held-out cohort", "params": "hyper-parameters chosen without it"}
        )
    )
    alt = pd.DataFrame(k["alternatives"]).assign(mean_auc=lambda d: d["mean_auc"].round(3))
    sn_print = sn.assign(
        **{c: sn[c].round(3) for c in ("mean_auc", "median_auc", "min_auc", "max_auc")}
    )
    sn_print["predictor"] = sn_print["predictor"].map(lambda p: LABELS.get(p, p))
    sn_print["model_better"] = sn_print["model_better"].map(
        lambda v: "" if pd.isna(v) else f"{int(v)} of {len(included)}"
    )
    sf_print = sf.assign(
        **{c: sf[c].round(3) for c in ("mean_auc", "median_auc", "min_auc", "max_auc")}
    )
    sf_print["predictor"] = sf_print["predictor"].map(lambda p: LABELS.get(p, p))
    sf_print["model_better"] = sf_print["model_better"].map(
        lambda v: "" if pd.isna(v) else f"{int(v)} of {len(included)}"
    )
    margin = k["margin"]
    name = LABELS[bb["predictor"]]
    if margin >= 0.01:
        verdict = (
            f"**Met**: the built-in procedure's mean nested-LOCO AUC ({mean_model:.3f}) is "
            f"{margin:.3f} above the best published single predictor's ({name}, "
            f"{bb['mean_auc']:.3f}) on the same held-out samples."
        )
    elif margin > 0:
        verdict = (
            f"**Met only nominally, in effect a tie**: the built-in procedure's mean "
            f"nested-LOCO AUC ({mean_model:.4f}) exceeds the best published single "
            f"predictor's ({name}, {bb['mean_auc']:.4f}) by {margin:.4f}, far below the "
            "resolution of these data."
        )
    else:
        verdict = (
            f"**Not met**: the built-in procedure's mean nested-LOCO AUC ({mean_model:.4f}) "
            f"does not exceed the best published single predictor's ({name}, "
            f"{bb['mean_auc']:.4f}) on the same held-out samples."
        )
    preds = k["nested_preds"]
    cal = calibration_curve(preds["y"], preds["probability"], n_bins=5, strategy="quantile")
    cal = cal.assign(
        bin_low=cal["bin_low"].round(3),
        bin_high=cal["bin_high"].round(3),
        mean_predicted=cal["mean_predicted"].round(3),
        fraction_positive=cal["fraction_positive"].round(3),
    )
    calls = (
        k["nested"]
        .loc[
            k["nested"]["predictor"] == "model",
            ["cohort", "balanced_accuracy", "brier", "threshold"],
        ]
        .copy()
    )
    calls = calls.assign(
        **{c: calls[c].round(3) for c in ("balanced_accuracy", "brier", "threshold")}
    )
    calls = calls.rename(columns={"cohort": "held-out cohort"})
    pooled_brier = brier(preds["y"], preds["probability"])
    grid_print = k["grid_table"][["params", "mean_auc"]].assign(
        mean_auc=lambda d: d["mean_auc"].round(3)
    )
    rule = included[0].meta["response_rule"]
    return f"""# Model card: immunescape built-in ICB response model

Generated by `scripts/train_builtin_model.py` (immunescape {__version__}); do not edit by
hand. File: `builtin_model.json` (sha256 `{k["digest"]}`), schema
`immunescape.response_model` version 1. Research use only: not a diagnostic.

## What it is

A penalised logistic regression (`ResponseModel`, L2, C = {best["C"]}, balanced class
weights) on the feature set **`{best["features"]}`** ({len(model.features_)} features), each
z-scored within its cohort. It estimates the probability of response (RECIST CR/PR, or SD
with PFS >= 6 months) to immune-checkpoint blockade from a pre-treatment bulk RNA-seq
profile. A sample is called a responder when its probability is >= {model.threshold_:.4f},
the Youden threshold on the training cohorts' in-sample probabilities (sensitivity
{model.threshold_info_["sensitivity"]:.2f}, specificity {model.threshold_info_["specificity"]:.2f}
there).

Coefficients (log-odds per within-cohort standard deviation; intercept
{model.intercept_:+.4f}):

{markdown(coef)}

## How to apply it

Score the signatures with `immunescape.signatures.runner.score` on the new cohort's
expression, then `load_builtin_model().predict_proba(scores, cohort=...)`. Every feature is
standardised **within the new cohort** (its own mean and SD, never its labels), so the cohort
needs at least {model.min_cohort_size} samples profiled on one platform. One patient, or a
handful, needs `reference=`: the scores of a reference cohort from the same platform and
tumour type. `drivers(model, scores)` gives each feature's contribution (coefficient x
standardised value) to a patient's log-odds. No per-training-cohort statistics are shipped.

## Training data

{len(included)} whole-transcriptome cohorts, {sum(c.n for c in included)} labelled
pre-treatment samples ({sum(c.n_responders for c in included)} responders), expression as
log2(TPM + 0.001) from {PREDICTIOR}.

Response rule (immunescape clinical reader, PredictioR rule): {rule}. Values PredictioR left
unlabelled were set to NA the same way ({", ".join(f"`{a}`" for a in RESPONSE_MAP)}).

{markdown(train_rows)}

Licences: the curated tables are from PredictioR (MIT / GPL-3); the expression and outcome
data belong to the original studies above (cite them; access terms per each study's data
availability statement). Only the coefficients, the threshold and summary performance derived
from them ship with immunescape; no per-patient value does.

### Cohorts left out

Inclusion needs every candidate feature ({len(candidate_features())} features: the union of
the sets `curated`, `published`, `axes`) to be scorable on every labelled sample. The
targeted-panel cohorts lack most signature genes:

{markdown(excl) if len(excl) else "(none)"}

## Features and rationale

Three candidate sets (`immunescape.predict.FEATURE_SETS`) were fixed before the runs reported
below, and the choice among them is a hyper-parameter (see the caveat under "Alternatives"):

* `curated` (23): T-cell inflammation and cytotoxicity (cyt, ifng6, gep18,
  expanded_immune18, cd8_teff), checkpoint balance and ligand (impres, gene_CD274), TGF-beta
  / stromal exclusion (pan_ftbrs, progeny_tgfb), IFN signalling (progeny_jak_stat), the ten
  MCP-counter populations, tumour-intrinsic resistance (jerby_resistance), IPS and TLS.
* `published` (5): the five published predictors the model is compared with.
* `axes` (5): one representative per biological axis (impres, gep18, ips_mhc, pan_ftbrs,
  tls9), so that the block of correlated T-cell scores cannot dominate a penalised fit.

All are computed per sample from whole-transcriptome data, except cd8_teff, pan_ftbrs,
jerby_resistance and the PROGENy scores, which are cohort-relative (computed within the
cohort; a lone patient needs a reference cohort for them anyway).

## Cross-cohort performance (leave one cohort out)

### Honest estimate: nested LOCO

For each held-out cohort the feature set and C were chosen by LOCO on the other cohorts only;
the model was fitted on them (threshold too) and applied to the held-out cohort,
standardised on itself. AUC [95% DeLong CI]; the published predictors are scored on the same
held-out samples (higher score = response; IMPRES as the 0-15 count).

{markdown(wide_table(k["nested"], included))}

Hyper-parameters chosen per held-out cohort:

{markdown(chosen)}

Summary (cohorts weighted equally; `model_better`: held-out cohorts where the built-in model's
AUC is higher):

{markdown(sn_print)}

**Target** (mean LOCO AUC above the best published single predictor): {verdict} With
{len(included)} cohorts of 17-39 samples the per-cohort 95% intervals are about +/- 0.2 wide;
{k["n_significant"]} of {k["n_tests"]} paired DeLong tests of the model against a published
predictor within a held-out cohort reach p < 0.05 (no correction for multiple testing).

### Thresholded calls and calibration (nested LOCO)

Balanced accuracy at the threshold chosen on the training cohorts, and Brier score, per
held-out cohort:

{markdown(calls)}

Pooled held-out predictions ({len(preds)} samples; Brier {pooled_brier:.3f}; response rate
{preds["y"].mean():.3f}), quantile bins:

{markdown(cal)}

### With the shipped hyper-parameters (optimistic)

LOCO with the final hyper-parameters (chosen on all cohorts, so the held-out cohort
influenced the choice); this is what the test suite recomputes:

{markdown(wide_table(k["fixed"], included))}

{markdown(sf_print)}

### Alternatives tried (nested LOCO mean AUC of the built-in model)

Every alternative was evaluated with the same nested procedure, so within each run no
held-out cohort informed its own prediction. Caveat: the developers explored these cohorts
(single-feature AUCs, a few LOCO runs) while designing the candidate feature sets and the grid;
the `axes` set (notably ips_mhc) was chosen with that knowledge. The nested estimate is
therefore honest about hyper-parameter choice but still somewhat optimistic about the design.

{markdown(alt)}

Final LOCO grid over all cohorts (mean held-out AUC per combination):

{markdown(grid_print)}

## Intended use

Research: ranking patients of a cohort by their predicted chance of response to PD-1/PD-L1 or
CTLA-4 blockade, comparing with published predictors, and explaining a prediction through its
drivers. Not for treatment decisions.

## Limits

* Small training data: {sum(c.n for c in included)} samples in {len(included)} cohorts;
  cross-cohort AUCs vary from about 0.5 to 0.95 and their intervals are wide.
* Cancer types and therapies are mixed (melanoma 4 cohorts; one each of RCC, NSCLC,
  urothelial, glioblastoma, pancreatic cancer with chemotherapy); immune-inflamed features
  predict poorly in RCC and glioblastoma. Two cohorts are male patients only (as curated).
* Per-cohort standardisation assumes the new cohort has a case mix comparable to the training
  cohorts; a cohort of mostly responders (or non-responders) is shifted, and probabilities
  are then miscalibrated even when the ranking holds.
* Bulk RNA-seq only (whole transcriptome): targeted panels miss most features; microarray
  and NanoString data are untested.
* Probabilities are not calibrated risks. Balanced class weights centre them on 0.5 (the
  cohorts' response rate is 0.35) and the strong shrinkage (C = {best["C"]}) compresses them
  into a narrow band (see the calibration table): use them to rank patients within a
  cohort, or through the thresholded call, not as absolute probabilities.
* The threshold is the training Youden point; on held-out cohorts its balanced accuracy
  ranged from 0.36 to 0.69.
* Response labels follow the PredictioR rule; other studies group SD differently.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--no-explore", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("immunescape").setLevel(logging.ERROR)
    res = run(args.data, args.out, explore=not args.no_explore)
    print(loco_summary(res["nested"]).round(3).to_string(index=False))
    print("target met:", res["target_met"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
