#!/usr/bin/env python3
"""Build the shipped reference distributions (``reference_v3.json``) from real cohorts.

Usage::

    python scripts/build_phenotype_reference.py [--data ../shared/data/predictior_icb]
                                                [--out src/immunescape/mechanisms/data]

Cohorts (read at build time only; only summary statistics are written)
-----------------------------------------------------------------------
The whole-transcriptome cohorts curated by ORCESTRA/PredictioR (github bhklab/PredictioR,
MIT/GPL-3), pre-treatment tumours, values ``log2(TPM + 0.001)``: Riaz 2017 (melanoma,
anti-PD-1), Hugo 2016 (melanoma, anti-PD-1), Van Allen 2015 (melanoma, anti-CTLA-4),
Nathanson 2017 (melanoma, anti-CTLA-4), Miao 2018 (clear-cell RCC, anti-PD-1), Jung 2019
(NSCLC, anti-PD-1), Snyder 2017 (urothelial, anti-PD-L1), Zhao 2019 (GBM, anti-PD-1), Padron
2022 (PDAC, chemo-immunotherapy). Targeted panels (``*_panel*``) are skipped: TPM over a panel
is not on the whole-transcriptome scale. Cite the original studies.

Quality check: tumours failing the housekeeping check the package applies to every user's
matrix (:func:`immunescape.mechanisms._reference.housekeeping_failures`: three or more of
the eleven uniformly expressed housekeeping genes of Eisenberg & Levanon 2013 below 1 TPM)
are left out and listed under ``excluded``. In the PredictioR files this is every Snyder 2017
tumour (C1orf43, CHMP2A, VPS29 and others at about 0 TPM, B2M and HLA-A 3-4 log2 units below
every other cohort: its gene quantification is not on the others' scale); it was part of
version 2 and pulled the pan-cancer antigen-presentation genes down.

What is computed
----------------
Each file is read with :func:`immunescape.io.read_expression` (unit detected as log2 TPM,
offset 0.001; genes with missing values dropped, the default: Nathanson 2017 has 59), exactly
as a user's file would be, so every statistic is on the package's own
scale (``log2(TPM + 1)`` for gene levels, the registry's per-sample scores as
:func:`immunescape.signatures.score` returns them).

* Groups: ``pan_cancer`` (all tumours pooled) and each cancer type with at least
  ``MIN_GROUP`` tumours (melanoma, kidney, pancreas).
* ``genes``: per group, mean and sd (ddof=1) of log2(TPM + 1) of the phenotype feature genes
  (:data:`immunescape.mechanisms._phenotype.PHENOTYPE_GENES`).
* ``signatures``: per group, the quantiles (numpy ``linear`` method) at probabilities
  ``(k + 0.5) / 100``, k = 0..99, of every per-sample registry score.

The JSON is written with sorted keys and values rounded to 5 significant digits, and its
sha256 next to it (``reference_v3.json.sha256``); the package verifies it when reading.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

VERSION = "3"
MIN_GROUP = 30
COHORTS = {  # file stem -> (reference group, study, therapy)
    "Riaz2017_melanoma_PD1": ("melanoma", "Riaz et al. 2017, Cell 171:934", "anti-PD-1"),
    "Hugo2016_melanoma_PD1": ("melanoma", "Hugo et al. 2016, Cell 165:35", "anti-PD-1"),
    "VanAllen2015_melanoma_CTLA4": ("melanoma", "Van Allen et al. 2015, Science 350:207",
                                    "anti-CTLA-4"),
    "Nathanson2017_melanoma_CTLA4": ("melanoma", "Nathanson et al. 2017, Cancer Immunol Res "
                                     "5:84", "anti-CTLA-4"),
    "Miao2018_RCC_PD1": ("kidney", "Miao et al. 2018, Science 359:801", "anti-PD-1"),
    "Jung2019_NSCLC_PD1_males": ("lung", "Jung et al. 2019, Nat Commun 10:4278", "anti-PD-1"),
    "Snyder2017_UC_PDL1_males": ("bladder", "Snyder et al. 2017, PLoS Med 14:e1002309",
                                 "anti-PD-L1"),
    "Zhao2019_GBM_PD1": ("brain", "Zhao et al. 2019, Nat Med 25:462", "anti-PD-1"),
    "Padron2022_PDAC_PD1": ("pancreas", "Padron et al. 2022, Nat Med 28:1167",
                            "chemo-immunotherapy"),
}
LICENCE = "PredictioR (github bhklab/PredictioR): MIT / GPL-3; cite the original studies"


def _sig(x: float) -> float:
    return float(f"{x:.5g}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data/predictior_icb")
    ap.add_argument("--out", default="src/immunescape/mechanisms/data")
    args = ap.parse_args(argv)
    from immunescape.io import read_expression
    from immunescape.mechanisms._phenotype import PHENOTYPE_GENES
    from immunescape.mechanisms._reference import housekeeping_failures
    from immunescape.signatures.registry import load_registry
    from immunescape.signatures.runner import score

    data = Path(args.data)
    registry = load_registry()
    per_sample = [s for s in registry if s.scope == "per_sample"]
    genes_rows, score_rows, cohorts, excluded = [], [], [], []
    for stem, (group, study, therapy) in COHORTS.items():
        path = data / f"{stem}_expr_log2tpm.tsv.gz"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expr, _ = read_expression(path)  # default: genes with missing values dropped
        bad = housekeeping_failures(expr)
        if bad:
            first, low = next(iter(bad.items()))
            excluded.append({"cohort": stem, "n": len(bad), "reason": "housekeeping check "
                             f"failed (e.g. {first}: {', '.join(low)} below 1 TPM)"})
            print(f"{stem}: {len(bad)} samples fail the housekeeping check", file=sys.stderr)
            keep = [x for x in expr.samples if x not in bad]
            if not keep:
                continue
            expr = expr.subset(keep)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = score(expr, signatures=per_sample)
        g = expr.has(PHENOTYPE_GENES)
        lv = pd.DataFrame(expr.columns(g, "log2tpm1"), index=expr.samples, columns=g)
        lv["_group"] = group
        genes_rows.append(lv)
        sc = res.scores.copy()
        sc["_group"] = group
        score_rows.append(sc)
        cohorts.append({"cohort": stem, "group": group, "n": int(expr.shape[0]),
                        "n_genes": int(expr.shape[1]), "unit": expr.unit,
                        "log_offset": expr.log_offset, "study": study, "therapy": therapy})
        print(f"{stem}: {expr.shape[0]} samples, {expr.shape[1]} genes", file=sys.stderr)
    levels = pd.concat(genes_rows)
    scores = pd.concat(score_rows)
    counts = levels["_group"].value_counts()
    groups = {"pan_cancer": levels.index}
    for grp, n in counts.items():
        if n >= MIN_GROUP:
            groups[str(grp)] = levels.index[levels["_group"] == grp]
    probs = (np.arange(100) + 0.5) / 100
    doc = {
        "version": VERSION, "file": f"reference_v{VERSION}.json",
        "built_by": "scripts/build_phenotype_reference.py",
        "licence": LICENCE, "cohorts": cohorts, "excluded": excluded, "min_group": MIN_GROUP,
        "scale": {"genes": "log2(TPM + 1), TPM over the whole transcriptome",
                  "signatures": "immunescape.signatures.score output on whole-transcriptome "
                                "TPM (per-sample scores only)"},
        "quantile_probabilities": "(k + 0.5) / 100, k = 0..99, numpy 'linear' method",
        "groups": {}, "genes": {}, "signatures": {},
    }
    for grp, idx in groups.items():
        sel = levels["_group"] == grp if grp != "pan_cancer" else slice(None)
        lv = levels.loc[sel].drop(columns="_group")
        sc = scores.loc[sel].drop(columns="_group")
        members = sorted({c["cohort"] for c in cohorts if grp in ("pan_cancer", c["group"])})
        doc["groups"][grp] = {"n": int(len(lv)), "cohorts": members}
        doc["genes"][grp] = {g: [_sig(lv[g].mean()), _sig(lv[g].std(ddof=1))]
                             for g in lv.columns if lv[g].notna().sum() >= MIN_GROUP}
        doc["signatures"][grp] = {
            c: [_sig(v) for v in np.quantile(sc[c].dropna().to_numpy(float), probs)]
            for c in sc.columns if sc[c].notna().sum() >= MIN_GROUP}
        del idx
    out = Path(args.out)
    write_json_resource(doc, out, indent=0, separators=(",", ":"))
    return 0


def write_json_resource(doc: dict, out: Path, *, indent: int,
                        separators: tuple[str, str] | None = None) -> str:
    """Write ``doc`` to ``out / doc["file"]`` (sorted keys) and its ``.sha256`` sidecar.

    The sidecar is in ``sha256sum`` format, as :func:`immunescape._resources.read_resource`
    checks it. Returns the hexadecimal digest.
    """
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, sort_keys=True, indent=indent, separators=separators) + "\n"
    target = out / doc["file"]
    target.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    (out / f"{doc['file']}.sha256").write_text(f"{digest}  {doc['file']}\n", encoding="utf-8")
    print(f"wrote {target} ({len(text) / 1024:.0f} kB, sha256 {digest[:12]})", file=sys.stderr)
    return digest


if __name__ == "__main__":
    raise SystemExit(main())
