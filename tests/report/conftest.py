"""Synthetic result tables following the DESIGN.md contracts, with hostile strings."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

# Hostile sample ids: each must appear only escaped, and none may run in a browser.
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_ATTR = '"></div><img src=x onerror=alert(1)>'
XSS_SVG = "<svg onload=window.__pwned=1>"
SAMPLES = ["Pt01", "Pt02", XSS_SCRIPT, "Pt04", XSS_ATTR, "Pt06", XSS_SVG, "Pt08"]
RESPONSE = ["R", "NR", "R", "NR", "NR", "R", "unknown", "NR"]
MECHANISMS = ["ifng_pathway_loss", "apm_loss", "tgfb_exclusion", "wnt_exclusion", "tim3_up"]
MECH_NAMES = {
    "ifng_pathway_loss": "Loss of IFN-gamma signalling in the tumour",
    "apm_loss": "Loss of antigen presentation (MHC class I)",
    "tgfb_exclusion": "TGF-beta-driven T-cell exclusion",
    "wnt_exclusion": "WNT/beta-catenin T-cell exclusion",
    "tim3_up": "TIM-3 <b>up</b>regulation",  # markup in a name from a table: escaped too
}
SECTION_HEADINGS = [
    "Cohort overview",
    "Resistance mechanisms across patients",
    "Immune phenotypes",
    "Key scores by response",
    "Responders vs non-responders",
    "Response prediction",
    "Figures",
    "Patients",
]


def _png_bytes() -> bytes:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1.5))
    ax = fig.add_subplot()
    ax.bar(["R", "NR"], [3, 5], color=["#0072B2", "#D55E00"])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    return buf.getvalue()


def _matplotlib_figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [0, 1, 4], marker="o")
    ax.set_title("static <figure> title")
    return fig


def build_tables(samples: list[str] | None = None, *, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Every table the report accepts, small and deterministic."""
    rng = np.random.default_rng(seed)
    samples = list(samples or SAMPLES)
    n = len(samples)
    response = (RESPONSE * (n // len(RESPONSE) + 1))[:n]
    score_ids = ["gep18", "ifng6", "cyt", "cd8_teff", "pan_ftbrs", "impres"]
    scores = pd.DataFrame({"sample_id": samples})
    for k in score_ids:
        scores[k] = rng.normal(size=n).round(4)
    scores.loc[1, "cyt"] = np.nan  # missing value: NaN must not break the plots
    features = pd.DataFrame(
        {
            "id": score_ids + ["gene_<b>X</b>"],
            "name": [
                "T-cell-inflamed GEP",
                "IFN-gamma 6-gene",
                "Cytolytic activity",
                "CD8 T-effector",
                "Pan-fibroblast TGF-beta response",
                "IMPRES",
                "gene with <i>markup</i>",
            ],
            "kind": ["signature"] * 6 + ["gene"],
            "method": ["weighted_mean", "mean", "geomean", "mean", "mean", "gene_pairs", "gene"],
            "direction": ["response"] * 4 + ["resistance", "response", "neutral"],
            "scope": ["per_sample"] * 7,
            "genes_total": [18, 6, 2, 8, 19, 15, 1],
            "genes_found": [18, 6, 2, 7, 12, 15, 0],
            "citation": ["Ayers 2017"] * 7,
            "status": ["scored"] * 6 + ["below_min_coverage"],
            "missing_genes": ["", "", "", "CXCL10", "ACTA2;<img src=x>", "", "X"],
        }
    )
    statuses = np.array(["present", "indeterminate", "absent", "not_assessable"])
    mech_rows = []
    for i, s in enumerate(samples):
        for j, m in enumerate(MECHANISMS):
            st = statuses[(i + j) % 4] if j else statuses[i % 2 * 2]  # ifng: present/absent
            mech_rows.append(
                {
                    "sample_id": s,
                    "mechanism_id": m,
                    "status": st,
                    "strength": round(float(rng.uniform(0.2, 1.0)), 2) if st != "absent" else 0.0,
                    "dna_evidence": f"JAK1 p.Q503* truncating, biallelic (LOH); sample {s}"
                    if st == "present"
                    else "",
                    "rna_evidence": "IFN-gamma 6-gene score at the 8th percentile"
                    if st != "absent"
                    else "",
                    "clinical_evidence": "",
                    "reason": "no CNA data given"
                    if st == "not_assessable"
                    else f"rule {m} matched <em>2</em> of 3 conditions",
                }
            )
    mechanisms = pd.DataFrame(mech_rows)
    phenotypes = pd.DataFrame(
        {
            "sample_id": samples,
            "immune_phenotype": (["inflamed", "excluded", "desert"] * n)[:n],
            "cd8_teff": scores["cd8_teff"],
            "pan_ftbrs": scores["pan_ftbrs"],
        }
    )
    phenotypes.loc[n - 1, "immune_phenotype"] = np.nan
    rec_rows = []
    for s in samples:
        rec_rows += [
            {
                "sample_id": s,
                "rank": 1,
                "countermeasure_id": "anti_lag3",
                "countermeasure": "Anti-LAG-3 with anti-PD-1",
                "mechanism_ids": "tim3_up",
                "evidence_level": "A",
                "citations": "PMID:27433843; doi:10.1056/NEJMoa1604958",
                "trials": "NCT01968109",
                "rationale": "Dual blockade <img src=x onerror=alert(2)>",
            },
            {
                "sample_id": s,
                "rank": 2,
                "countermeasure_id": "tgfb_trap",
                "countermeasure": "TGF-beta blockade with anti-PD-L1",
                "mechanism_ids": "tgfb_exclusion;wnt_exclusion",
                "evidence_level": "D",
                "citations": "29443960",
                "trials": "",
                "rationale": "Mariathasan 2018",
                "stage": "phase_1",
                "stage_as_of": "2023-12",
                "contested": True,
                "caution": "Seen in mice <b>only</b>",
            },
        ]
    recommendations = pd.DataFrame(rec_rows)
    events = pd.DataFrame(
        {
            "sample_id": [samples[0], samples[0], samples[2], samples[4]],
            "gene": ["JAK1", "B2M", "PTEN", "<b>GENE</b>"],
            "event": ["truncating", "deep_deletion", "missense_vus", "loh"],
            "detail": ["p.Q503*", "", "p.R130Q", "<script>alert(3)</script>"],
            "biallelic": ["true", "unknown", "false", "true"],
        }
    )
    tmb = pd.DataFrame(
        {
            "sample_id": samples,
            "n_mutations_counted": rng.integers(10, 900, n),
            "capture_mb": 30.0,
            "tmb_per_mb": rng.uniform(0.5, 30, n).round(2),
            "rule": "nonsynonymous",
        }
    )
    clinical = pd.DataFrame({"sample_id": samples, "response": response})
    assoc = pd.DataFrame(
        {
            "feature": score_ids,
            "n_r": 3,
            "n_nr": 4,
            "auc": [0.81, 0.74, 0.66, 0.52, 0.31, 0.58],
            "auc_ci_low": [0.6, 0.5, 0.4, 0.3, 0.1, 0.35],
            "auc_ci_high": [0.95, 0.9, 0.85, 0.75, 0.5, 0.8],
            "p_value": [0.001, 0.02, 0.1, 0.9, 0.03, 0.5],
            "q_value": [0.006, 0.06, 0.2, 0.9, 0.06, 0.6],
            "direction": ["higher_in_R"] * 4 + ["higher_in_NR", "higher_in_R"],
        }
    )
    genes = [f"GENE{i}" for i in range(200)] + ["<img src=x onerror=alert(4)>"]
    lfc = rng.normal(0, 1.5, len(genes))
    pval = np.clip(rng.uniform(0, 1, len(genes)) ** 3, 1e-12, 1)
    de = pd.DataFrame(
        {
            "gene": genes,
            "baseMean": rng.uniform(10, 1000, len(genes)),
            "log2FoldChange": lfc,
            "lfcSE": 0.3,
            "stat": lfc / 0.3,
            "pvalue": pval,
            "padj": np.minimum(pval * 5, 1),
        }
    )
    de.loc[3, "padj"] = np.nan  # DESeq2 independent filtering
    survival = pd.DataFrame(
        {
            "feature": ["gep18", "gep18", "cyt", "apm_loss"],
            "endpoint": ["OS", "PFS", "OS", "OS"],
            "hr": [0.55, 0.7, 0.9, 1.8],
            "hr_ci_low": [0.3, 0.45, 0.5, 1.1],
            "hr_ci_high": [0.95, 1.1, 1.6, 3.0],
            "p_value": [0.03, 0.12, 0.7, 0.02],
            "q_value": [0.08, 0.2, 0.7, 0.08],
            "logrank_p": [0.021, 0.11, 0.66, 0.015],
        }
    )
    mutations = pd.DataFrame(
        {
            "gene": ["JAK1", "B2M", "<b>PTEN</b>"],
            "n_r_mut": [0, 1, 3],
            "n_nr_mut": [3, 4, 0],
            "odds_ratio": [0.1, 0.2, 8.0],
            "p_value": [0.04, 0.2, 0.01],
            "q_value": [0.1, 0.3, 0.05],
        }
    )
    # Kaplan-Meier (lifelines-like event table rows): group high: times 0,2,4(censored),6,9
    km = pd.DataFrame(
        {
            "feature": "gep18",
            "endpoint": "OS",
            "group": ["high"] * 5 + ["low"] * 4,
            "time": [0, 2, 4, 6, 9, 0, 1, 3, 5],
            "survival": [1.0, 0.8, 0.8, 0.53, 0.0, 1.0, 0.75, 0.5, 0.25],
            "n_at_risk": [5, 5, 4, 3, 1, 4, 4, 3, 2],
            "ci_low": [1.0, 0.5, 0.5, 0.2, 0.0, 1.0, 0.4, 0.2, 0.05],
            "ci_high": [1.0, 0.95, 0.95, 0.8, 0.3, 1.0, 0.9, 0.8, 0.6],
            "n_censored": [0, 0, 1, 0, 0, 0, 0, 0, 1],
        }
    )
    paired_values = pd.DataFrame(
        {
            "sample_id": samples[:4] * 2,
            "feature": ["gep18"] * 4 + ["cyt"] * 4,
            "before": rng.normal(size=8).round(3),
            "after": rng.normal(size=8).round(3),
        }
    )
    # compare module outputs (columns of immunescape.compare: PAIRED_COLUMNS etc.)
    paired = pd.DataFrame(
        {
            "feature": ["gep18", "cyt"],
            "group": ["all", "all"],
            "n_pairs": [4, 4],
            "median_pre": [0.1, 2.0],
            "median_post": [0.5, 1.0],
            "median_delta": [0.4, -1.0],
            "mean_delta": [0.35, -0.9],
            "statistic": [1.0, 0.0],
            "p_value": [0.38, 0.125],
            "q_value": [0.38, 0.25],
            "direction": ["up", "down"],
            "test": ["Wilcoxon signed-rank"] * 2,
            "note": ["", ""],
        }
    )
    new_events = pd.DataFrame(
        {
            "patient_id": [samples[1]],
            "gene": ["JAK1"],
            "event": ["truncating"],
            "detail": ["p.Q503*"],
            "biallelic": ["true"],
            "gene_altered_before": [False],
            "mechanism": ["ifng_pathway_loss"],
            "reason": ["absent before treatment"],
        }
    )
    pathways = pd.DataFrame(
        {
            "pathway": ["HALLMARK_<b>IFNG</b>", "HALLMARK_TGFB"],
            "collection": ["user", "user"],
            "n_genes": [200, 54],
            "score": [2.1, -1.3],
            "score_type": ["mean_stat"] * 2,
            "mean_stat": [2.1, -1.3],
            "p_value": [0.001, 0.04],
            "q_value": [0.002, 0.04],
            "direction": ["up_in_R", "up_in_NR"],
            "method": ["wilcoxon"] * 2,
        }
    )
    mech_enrichment = pd.DataFrame(
        {
            "mechanism_id": ["ifng_pathway_loss", "apm_loss"],
            "n_r_present": [1, 0],
            "n_nr_present": [3, 2],
            "n_r": [3, 3],
            "n_nr": [4, 4],
            "odds_ratio": [0.2, 0.0],
            "p_value": [0.3, 0.4],
            "q_value": [0.4, 0.4],
        }
    )
    hla = pd.DataFrame(
        {
            "sample_id": samples,
            "any_homozygous": [True, False] * (n // 2),
            "n_homozygous_loci": [1, 0] * (n // 2),
        }
    )
    scna = pd.DataFrame({"sample_id": samples, "fga": rng.uniform(0, 0.6, n).round(3)})
    models = ["loris", "logistic <b>v1</b>"]
    predictions = pd.DataFrame(
        [
            {
                "sample_id": s,
                "model": m,
                "score": float(rng.normal()),
                "probability": round(float(rng.uniform()), 3),
                "predicted": "R" if k % 2 else "NR",
            }
            for k, s in enumerate(samples)
            for m in models
        ]
    )
    fpr = np.linspace(0, 1, 11)
    roc = pd.concat(
        [
            pd.DataFrame({"model": m, "fpr": fpr, "tpr": np.sqrt(fpr) ** (1 + k), "auc": a})
            for k, (m, a) in enumerate(zip(models, [0.71, 0.64], strict=True))
        ]
    )
    calibration = pd.concat(
        [
            pd.DataFrame(
                {
                    "model": m,
                    "bin": range(5),
                    "mean_predicted": [0.1, 0.3, 0.5, 0.7, 0.9],
                    "fraction_positive": np.clip(
                        np.array([0.1, 0.3, 0.5, 0.7, 0.9]) + 0.05 * (k + 1), 0, 1
                    ),
                    "n": 12,
                }
            )
            for k, m in enumerate(models)
        ]
    )
    drivers = pd.DataFrame(
        [
            {
                "sample_id": s,
                "model": m,
                "feature": f,
                "value": float(rng.normal()),
                "contribution": float(rng.normal()),
            }
            for s in samples
            for m in models
            for f in ["tmb", "albumin", "<i>NLR</i>"]
        ]
    )
    mechanism_info = pd.DataFrame(
        {"mechanism_id": list(MECH_NAMES), "name": list(MECH_NAMES.values())}
    )
    return {
        "scores.tsv": scores,
        "features.tsv": features,
        "genomic_events.tsv": events,
        "tmb.tsv": tmb,
        "mechanisms.tsv": mechanisms,
        "phenotypes.tsv": phenotypes,
        "recommendations.tsv": recommendations,
        "associations.tsv": assoc,
        "de.tsv": de,
        "survival.tsv": survival,
        "mutations.tsv": mutations,
        "predictions.tsv": predictions,
        "clinical": clinical,
        "km.tsv": km,
        "paired_values": paired_values,
        "paired.tsv": paired,
        "new_events.tsv": new_events,
        "pathways.tsv": pathways,
        "mechanisms_enrichment.tsv": mech_enrichment,
        "hla.tsv": hla,
        "scna.tsv": scna,
        "roc": roc,
        "calibration": calibration,
        "drivers": drivers,
        "mechanism_info": mechanism_info,
    }


RUN = {
    "software": {"name": "immunescape", "version": "0.1.0"},
    "python": "3.11.7",
    "command": ["immunescape", "run", "--expr", "<expr>.tsv", "-o", "out dir"],
    "input": {
        "expression": "cohort_<b>x</b>.tsv",
        "unit": "tpm",
        "n_samples": 8,
        "n_genes": 20000,
        "maf": {"file": "muts.maf", "n_variants": 1234},
    },
    "parameters": {"seed": 0, "min_coverage": 0.8},
    "resources": {
        "gene_table": {"version": "3.16.0-1", "sha256": "6e954cad50e2b263796287d0118eaf43"},
        "kb": {"version": "2026.11.0"},
    },
    "warnings": [
        "gene_<b>X</b>: 0 of 1 genes found <script>alert(5)</script>",
        {"feature": "cd8_teff", "missing": "CXCL10"},
    ],
}


@pytest.fixture(scope="session")
def all_tables() -> dict[str, pd.DataFrame]:
    return build_tables()


@pytest.fixture(scope="session")
def static_figures() -> dict[str, object]:
    return {"volcano <static>": _png_bytes(), "matplotlib figure": _matplotlib_figure()}


@pytest.fixture(scope="session")
def full_html(all_tables, static_figures) -> str:
    from immunescape.report import render_report

    return render_report(
        all_tables, run=RUN, title="Cohort <b>X</b> report", figures=static_figures
    )
