"""Planting the mechanisms of the demo cohort's DNA layers (see :mod:`._dna` for the model)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from immunescape.datasets._dna_params import (
    _POS,
    _V,
    DECOYS,
    DNA,
    GENES,
    HOTSPOTS,
    TRUNCATING,
)


def _norm(p: dict[str, float]) -> tuple[list[str], np.ndarray]:
    keys = list(p)
    w = np.array([p[k] for k in keys], dtype=float)
    return keys, w / w.sum()


def _pick(rng: np.random.Generator, p: dict[str, float]) -> str:
    keys, w = _norm(p)
    return keys[int(rng.choice(len(keys), p=w))]


def _approx_start(gene: str, hgvsp: str, rng: np.random.Generator) -> int:
    """Place a variant inside the gene's GRCh37 span, proportionally to its protein position."""
    g = GENES[gene]
    m = _POS.search(hgvsp)
    frac = (int(m.group(1)) / g.protein_length) if m else rng.random()
    frac = min(max(frac, 0.0), 1.0)
    span = g.end - g.start
    offset = int(round(frac * span))
    return g.start + offset if g.strand == "+" else g.end - offset


def _lohhla_name(allele: str) -> str:
    """``HLA-A*02:01`` -> ``hla_a_02_01`` (POLYSOLVER/LOHHLA naming)."""
    locus, fields = allele.removeprefix("HLA-").split("*")
    return f"hla_{locus.lower()}_" + fields.replace(":", "_")




@dataclass
class _Plan:
    """Planted rows, copy-number overrides and truth of one cohort."""

    n: int
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    cn_set: dict[tuple[int, str], int] = field(default_factory=dict)
    cn_keep: set[tuple[int, str]] = field(default_factory=set)

    def mutation(self, i: int, gene: str, v: _V, zyg: str, rng: np.random.Generator) -> None:
        start = v.start if v.start is not None else _approx_start(gene, v.hgvsp, rng)
        self.rows.append((i, gene, v.cls, v.hgvsp, GENES[gene].chrom, start, v.ref, v.alt, zyg))

    def biallelic(self, i: int, gene: str, mode: str, rng: np.random.Generator) -> None:
        if mode == "deep_deletion":
            self.cn_set[(i, gene)] = -2
            return
        cat = TRUNCATING[gene]
        if mode == "truncating+loh":
            self.mutation(i, gene, cat[int(rng.integers(len(cat)))], "loh", rng)
            self.cn_set[(i, gene)] = -1
        elif mode == "two_truncating":
            a, b = rng.choice(len(cat), size=2, replace=False)
            self.mutation(i, gene, cat[int(a)], "het", rng)
            self.mutation(i, gene, cat[int(b)], "het", rng)
        else:  # pragma: no cover - modes come from DNA
            raise ValueError(mode)


def _hotspot(rng: np.random.Generator, gene: str) -> _V:
    variants = [v for v, _ in HOTSPOTS[gene]]
    w = np.array([p for _, p in HOTSPOTS[gene]])
    return variants[int(rng.choice(len(variants), p=w / w.sum()))]


def _plan(
    states: dict[str, np.ndarray],
    hla: pd.DataFrame,
    purity: np.ndarray,
    rng: np.random.Generator,
) -> tuple[_Plan, dict[str, np.ndarray], list[dict[str, Any]]]:
    """Plant the DNA mechanisms and decoys, sample by sample."""
    n = len(hla)
    plan = _Plan(n)
    t: dict[str, np.ndarray] = {
        k: np.full(n, "", dtype=object)
        for k in ("dna_ifng_gene", "dna_ifng_mode", "dna_apm_gene", "dna_apm_mode",
                  "dna_pten_mode", "dna_wnt_gene", "dna_wnt_mode", "dna_mapk_gene",
                  "dna_mapk_variant", "decoy_single_truncating", "hla_loh_alleles")
    }  # fmt: skip
    for k in ("decoy_jak2_missense", "decoy_ctnnb1_missense", "decoy_b2m_silent",
              "decoy_pten_splice_region", "hla_loh"):  # fmt: skip
        t[k] = np.zeros(n, dtype=bool)
    loh_rows: list[dict[str, Any]] = []
    d = DNA
    hl = {c: hla[c].to_numpy() for c in hla.columns}
    het_loci = {loc: hl[f"HLA-{loc}_1"] != hl[f"HLA-{loc}_2"] for loc in ("A", "B", "C")}
    for i in range(n):
        het = [loc for loc in ("A", "B", "C") if het_loci[loc][i]]
        # -- IFN-gamma pathway
        if states["ifng_decoupled"][i]:
            gene = _pick(rng, d["ifng"]["genes"])
            mode = _pick(rng, d["ifng"]["modes"])
            plan.biallelic(i, gene, mode, rng)
            t["dna_ifng_gene"][i], t["dna_ifng_mode"][i] = gene, mode
        # -- antigen presentation
        wants_hla_loh = False
        if states["apm_loss"][i]:
            mode = _pick(rng, d["apm"]["modes"])
            if mode == "hla_loh" and not het:
                mode = "truncating+loh"  # no heterozygous locus: LOH cannot be seen
            if mode == "hla_loh":
                wants_hla_loh = True
                t["dna_apm_gene"][i], t["dna_apm_mode"][i] = "HLA", "hla_loh"
            else:
                plan.biallelic(i, "B2M", mode, rng)
                t["dna_apm_gene"][i], t["dna_apm_mode"][i] = "B2M", mode
        elif het and rng.random() < d["hla_loh"]["background_rate"]:
            wants_hla_loh = True
        # -- PTEN
        if states["pten_loss"][i]:
            mode = _pick(rng, d["pten"]["modes"])
            plan.biallelic(i, "PTEN", mode, rng)
            t["dna_pten_mode"][i] = mode
        # -- Wnt/beta-catenin
        if states["wnt_active"][i] and rng.random() < d["wnt"]["dna_fraction"]:
            gene = _pick(rng, d["wnt"]["events"])
            if gene == "CTNNB1":
                plan.mutation(i, gene, _hotspot(rng, gene), "het", rng)
                mode = "hotspot"
            elif gene == "APC":
                mode = _pick(rng, d["wnt"]["apc_modes"])
                plan.biallelic(i, gene, mode, rng)
            else:
                mode = "deep_deletion"
                plan.biallelic(i, gene, mode, rng)
            t["dna_wnt_gene"][i], t["dna_wnt_mode"][i] = gene, mode
        # -- MAPK (independent of everything else)
        u = rng.random()
        p_braf, p_nras = d["mapk"]["BRAF"], d["mapk"]["NRAS"]
        if u < p_braf + p_nras:
            gene = "BRAF" if u < p_braf else "NRAS"
            v = _hotspot(rng, gene)
            plan.mutation(i, gene, v, "het", rng)
            t["dna_mapk_gene"][i], t["dna_mapk_variant"][i] = gene, v.hgvsp
        # -- HLA LOH (LOHHLA table: heterozygous loci only)
        loh_rows += _lohhla(i, hl, het, wants_hla_loh, purity[i], plan, t, rng)
        # -- decoys
        dec = d["decoys"]
        taken: set[str] = set()
        if t["dna_ifng_gene"][i]:
            taken |= {"JAK1", "JAK2"}
        if states["apm_loss"][i]:
            taken.add("B2M")
        if t["dna_pten_mode"][i]:
            taken.add("PTEN")
        if t["dna_wnt_gene"][i]:
            taken |= {"APC", "CTNNB1"}
        for name, (gene, variants) in DECOYS.items():
            if gene not in taken and rng.random() < dec[name]:
                plan.mutation(i, gene, variants[int(rng.integers(len(variants)))], "het", rng)
                t[f"decoy_{name}"][i] = True
                if name == "jak2_missense":
                    taken.add("JAK2")
        free = [g for g in d["single_truncating_genes"] if g not in taken]
        if free and rng.random() < dec["single_truncating"]:
            gene = free[int(rng.integers(len(free)))]
            cat = TRUNCATING[gene]
            plan.mutation(i, gene, cat[int(rng.integers(len(cat)))], "het", rng)
            plan.cn_keep.add((i, gene))
            t["decoy_single_truncating"][i] = gene
    return plan, t, loh_rows


def _lohhla(
    i: int,
    hla: dict[str, np.ndarray],
    het: list[str],
    lost: bool,
    purity: float,
    plan: _Plan,
    t: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """LOHHLA rows of sample ``i`` (heterozygous loci); plants LOH when ``lost``."""
    h = DNA["hla_loh"]
    loci: set[str] = set()
    copy_loss = False
    hap = 0
    if lost:
        loci = set(het) if rng.random() < h["all_loci"] else {het[int(rng.integers(len(het)))]}
        copy_loss = bool(rng.random() < h["copy_loss"])
        hap = int(rng.integers(2))  # which haplotype (type1 or type2 allele) is lost
    rows = []
    lost_alleles = []
    sid = hla["sample_id"][i]
    for loc in het:
        a1, a2 = hla[f"HLA-{loc}_1"][i], hla[f"HLA-{loc}_2"][i]
        if loc in loci:
            cn_lost = float(rng.uniform(0.0, 0.35))
            cn_kept = float(rng.normal(1.0 if copy_loss else 2.0, 0.15))
            p = float(10.0 ** -rng.uniform(3.0, 12.0))
            cn = (cn_lost, cn_kept) if hap == 0 else (cn_kept, cn_lost)
            lost_alleles.append((a1, a2)[hap])
            if copy_loss:
                plan.cn_set[(i, f"HLA-{loc}")] = -1
        elif rng.random() < h["imbalance_without_loss"]:
            cn = (1.0 + float(rng.normal(0, 0.12)), 2.0 + float(rng.normal(0, 0.15)))
            p = float(10.0 ** -rng.uniform(2.5, 6.0))
        else:
            cn = (1.0 + float(rng.normal(0, 0.12)), 1.0 + float(rng.normal(0, 0.12)))
            p = float(rng.uniform(0.02, 1.0))
        cn = (max(cn[0], 0.0), max(cn[1], 0.0))
        if loc not in loci:  # a retained allele has at least one copy
            cn = (max(cn[0], 0.6), max(cn[1], 0.6))
        rows.append(
            {
                "region": sid,
                "HLA_A_type1": _lohhla_name(a1),
                "HLA_A_type2": _lohhla_name(a2),
                "HLA_type1copyNum_withBAFBin": round(cn[0], 4),
                "HLA_type2copyNum_withBAFBin": round(cn[1], 4),
                "PVal_unique": float(f"{p:.4g}"),
                "LossAllele": _lohhla_name((a1, a2)[hap]) if loc in loci else "",
                "KeptAllele": _lohhla_name((a2, a1)[hap]) if loc in loci else "",
                "TumorPurity": round(purity, 4),
            }
        )
    if lost_alleles:
        t["hla_loh"][i] = True
        t["hla_loh_alleles"][i] = ";".join(sorted(a.removeprefix("HLA-") for a in lost_alleles))
    return rows
