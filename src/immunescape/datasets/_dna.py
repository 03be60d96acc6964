"""DNA layers of the demo cohort: somatic mutations (MAF), copy number, HLA genotypes, HLA LOH.

Everything here is drawn from its own random stream (a child of the cohort seed,
``numpy.random.SeedSequence(seed).spawn``), after expression and clinical data are complete,
so adding the DNA layers leaves expression, counts, clinical data and the original truth flags
of a seed unchanged. Only *biology* is planted (which allele is hit, how many copies are left);
the package's calling rules then have to find it.

Model
-----
**Passenger mutations.** Per sample the number of background non-synonymous mutations is
log-normal (median about 10 per Mb of a 38 Mb exome, sd 1.0 on the natural-log scale, i.e.
about 1-100 per Mb between the 1st and 99th percentiles), as in cutaneous melanoma
(Lawrence et al. 2013, Nature, PMID 23770567; Cancer Genome Atlas Network 2015, Cell, PMID
26091043). Responders carry about 1.8 times more (log ratio 0.6, an AUC near 0.65): higher
mutational load in patients who benefit from checkpoint blockade (Snyder et al. 2014, NEJM,
PMID 25409260; Van Allen et al. 2015, Science, PMID 26359337; the AUCs of single cohorts are
0.6-0.7, e.g. Riaz et al. 2017, PMID 29033130). Because the response was drawn before the DNA,
the mutation count is drawn *given* the response (the published marginal association); it does
not feed back into the response model. Synonymous and non-coding rows (intron, UTR,
splice region) are added in proportion, giving a class mix of about 58 % missense, 25 %
silent, 4.5 % nonsense, a few percent frameshift/splice/in-frame and 9 % non-coding rows, as in
exome MAFs. Genes are drawn from the simulator's real-gene universe with probability
proportional to transcript length, excluding every gene of the knowledge base
(:data:`MECHANISM_GENES`), which carry only planted events. Single-nucleotide changes are
C>T (G>A) in 85 % (UV signature 7, Alexandrov et al. 2013, Nature, PMID 23945592; Hodis et
al. 2012, Cell, PMID 22817889). Read depth is negative-binomial (mean 120x); the variant
allele fraction follows tumour purity (``truth.purity``), clonality (70 % clonal, else a cancer
cell fraction of 0.15-0.8) and, for planted mutations with loss of the other allele, the
copy number.

**Copy number.** Per sample and chromosome a gain or a loss (whole chromosome: the gene table
has chromosomes, not positions), with melanoma-like prevalences (losses of 9, 10, 6q, 11q;
gains of 7, 8q, 1q, 20, 6p: Curtin et al. 2005, NEJM, PMID 16291983; TCGA 2015) scaled by a
per-sample instability factor; then focal single-copy changes in 1 % of gene/sample cells and,
outside the knowledge-base genes, focal amplifications (0.3 %) and deep deletions (0.2 %), and
CDKN2A deep deletion in 35 % (TCGA 2015). Calls are GISTIC-style -2..2, genes in rows.

**HLA class I.** Two alleles per locus drawn independently from European-ancestry allele
frequencies (rounded from the NMDP registry, Gragert et al. 2013, Hum Immunol 74:1313; most
frequent A*02:01 about 29 %, B*07:02 about 12 %, as in other European registries), without
linkage disequilibrium between loci (frequencies renormalised over the listed alleles).
Expected homozygosity (Hardy-Weinberg) is about 15 % at HLA-A, 6 % at HLA-B and 9 % at
HLA-C; carriers of a B44-supertype allele about 50 %, of
B62 about 15 % (supertypes of Sidney et al. 2008, BMC Immunol, PMID 18211710, as used by
Chowell et al. 2018, Science, PMID 29217585). HLA LOH (McGranahan et al. 2017, Cell, PMID
29107330) is written as a LOHHLA ``HLAlossPrediction_CI`` table (heterozygous loci only): the
lost allele has 0-0.35 copies and an allelic-imbalance p value of 1e-3 to 1e-12; retained
alleles about 1 copy (copy loss, 50 %: the HLA genes of the lost loci are then GISTIC -1 in
the copy-number matrix) or 2 (copy-neutral LOH); a few loci show allelic imbalance without
loss (1 vs 2 copies, small p) as realistic non-events. Fully homozygous samples have no rows
(LOHHLA needs a heterozygous locus).

Planted mechanisms (consistent with the expression truth flags)
---------------------------------------------------------------
``ifng_decoupled``
    every sample: biallelic JAK1 (55 %) or JAK2 (45 %) loss, a truncating mutation plus a
    shallow deletion (GISTIC -1) of the gene (75 %) or two truncating mutations (25 %),
    as in Zaretsky et al. 2016 (NEJM, PMID 27433843).
``apm_loss``
    B2M truncating mutation plus loss of the other copy (55 %), two B2M truncating mutations
    (15 %) (Sade-Feldman et al. 2017, Nat Commun, PMID 29070816; Zaretsky 2016), or HLA class
    I LOH instead (30 %). In addition 6 % of the other tumours have HLA LOH (it is common and
    barely lowers bulk HLA expression): a DNA-only antigen-presentation event.
``pten_loss``
    PTEN deep deletion (40 %), truncating mutation plus loss (45 %) or two truncating
    mutations (15 %) (Peng et al. 2016, Cancer Discov, PMID 26645196).
``wnt_active``
    60 % carry a DNA cause (Spranger et al. 2015, Nature, PMID 25970248, found mutations in a
    subset of beta-catenin-active melanomas): a CTNNB1 exon-3 hotspot (65 %; S45F/P/del,
    T41A, S37F/C, S33C/F, D32Y, G34R), biallelic APC loss (25 %) or AXIN1 deep deletion
    (10 %).
``mapk_oncogenic``
    independent of response: BRAF V600 (45 %; V600E 80 %, V600K 16 %, V600R 4 %) or, in the
    others, NRAS (20 % of all; Q61R/K/L/H, G12D, G13R), mutually exclusive (Davies et al. 2002,
    Nature, PMID 12068308; TCGA 2015).

Decoys (must not be called loss of function / activating): JAK2 missense VUS (4 %),
CTNNB1 missense outside exon 3 (3 %), B2M silent (3 %), PTEN ``Splice_Region`` (3 %), and a
single heterozygous truncating mutation of JAK1, JAK2, B2M, PTEN or APC with the gene's copy
number retained (4 %): loss of function of one allele, *not* biallelic.

Protein changes of planted variants use residues checked against the UniProt sequences
(JAK1 P23458, JAK2 O60674, B2M P61769, PTEN P60484, CTNNB1 P35222) or are published
recurrent variants. Genomic positions are GRCh37: exact for the BRAF, NRAS, CTNNB1 hotspots
and PTEN R130*/R233*/R335*; otherwise placed proportionally inside the gene's span (no
transcript model is shipped), and passenger positions are uniform on their chromosome. The
package reads genes and protein changes, not positions; positions only identify variants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from immunescape.datasets import _universe as U
from immunescape.datasets._dna_params import (
    _AA,
    _AA_FREQ,
    _BASES,
    _HET,
    _LOH,
    _PASSENGER,
    _STOP_W,
    _STOPPABLE,
    _VTYPES,
    B44_SUPERTYPE,
    B62_SUPERTYPE,
    CAPTURE_MB,
    CHROM_LENGTH,
    CHROMS,
    DNA,
    GENOME_BUILD,
    HLA_FREQUENCIES,
    MECHANISM_GENES,
    NONSYNONYMOUS,
)
from immunescape.datasets._dna_plant import _norm, _plan

__all__ = [
    "CAPTURE_MB",
    "DNA",
    "MECHANISM_GENES",
    "HLA_FREQUENCIES",
    "DnaLayers",
    "simulate_dna",
]


@dataclass(eq=False)
class DnaLayers:
    """The simulated DNA tables and the per-sample planted truth."""

    mutations: pd.DataFrame
    cna: pd.DataFrame
    hla: pd.DataFrame
    hla_loh: pd.DataFrame
    truth: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)


def _streams(seed: int) -> list[np.random.Generator]:
    """Independent generators for the DNA parts (children of the cohort seed)."""
    dna = np.random.SeedSequence(seed).spawn(1)[0]
    return [np.random.default_rng(s) for s in dna.spawn(4)]


# --------------------------------------------------------------------------- passengers


@lru_cache(maxsize=1)
def _passenger_pool() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Genes, chromosome ranks (in :data:`CHROMS`) and transcript lengths of the pool."""
    params = U._all_gene_params()
    u = U.gene_universe()
    chrom = u["chromosome"].replace({"X|Y": "X"}).to_numpy()
    genes = u["gene"].to_numpy()
    ok = np.isin(chrom, CHROMS) & ~np.isin(genes, sorted(MECHANISM_GENES))
    length = np.asarray(params["length"], dtype=float)[ok]
    rank = np.array([CHROMS.index(c) for c in chrom[ok]], dtype=np.int64)
    return genes[ok].astype(object), rank, length


@lru_cache(maxsize=4)
def _numbers(n: int) -> np.ndarray:
    """``str(i)`` for ``i`` in ``range(n)`` (fast integer formatting by lookup)."""
    return np.array([str(i) for i in range(n)])


def _random_bases(rng: np.random.Generator, lengths: np.ndarray) -> np.ndarray:
    out = np.full(lengths.shape, "", dtype=object)
    for k in np.unique(lengths):
        idx = np.flatnonzero(lengths == k)
        draws = _BASES[rng.integers(0, 4, size=(idx.size, int(k)))]
        out[idx] = ["".join(r) for r in draws]
    return out


def _passengers(n_ns: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Background mutation rows (arrays) for ``n_ns`` non-synonymous mutations per sample."""
    classes = DNA["classes"]
    names = list(classes)
    frac = np.array([classes[c] for c in names])
    ns = np.array([c in NONSYNONYMOUS for c in names])
    counts = np.zeros((n_ns.size, len(names)), dtype=np.int64)
    counts[:, ns] = rng.multinomial(n_ns, frac[ns] / frac[ns].sum())
    ratio = frac[~ns] / frac[ns].sum()
    counts[:, ~ns] = rng.poisson(n_ns[:, None] * ratio[None, :])
    sample = np.repeat(np.arange(n_ns.size), counts.sum(axis=1))
    code = np.repeat(np.tile(np.arange(len(names)), n_ns.size), counts.ravel())
    cls = np.array(names, dtype=object)[code]
    r = cls.size
    c_of = {c: k for k, c in enumerate(names)}

    def is_(*which: str) -> np.ndarray:
        return np.isin(code, [c_of[w] for w in which])

    genes, rank_of, length = _passenger_pool()
    gi = rng.choice(genes.size, size=r, p=length / length.sum())
    rank = rank_of[gi]
    chrom_len = np.array(list(CHROM_LENGTH.values()), dtype=np.int64)[rank]
    start = 1 + (rng.random(r) * (chrom_len - 10)).astype(np.int64)
    prot_len = np.clip(
        np.rint(length[gi] * DNA["coding_fraction_of_transcript"] / 3.0), 60, 6000
    ).astype(np.int64)
    pos = 2 + (rng.random(r) * (prot_len - 2)).astype(np.int64)

    # alleles: SNVs with the UV signature; indels of 1-2 (frameshift) or 3 (in-frame) bases
    is_del = is_("Frame_Shift_Del", "In_Frame_Del")
    is_ins = is_("Frame_Shift_Ins", "In_Frame_Ins")
    uv = rng.random(r) < DNA["uv_fraction"]
    strand_g = rng.random(r) < 0.5
    ref_i = np.where(uv, np.where(strand_g, 2, 1), rng.integers(0, 4, r))  # A C G T
    alt_i = np.where(uv, np.where(strand_g, 0, 3), (ref_i + rng.integers(1, 4, r)) % 4)
    bases_o = _BASES.astype(object)
    ref = bases_o[ref_i]
    alt = bases_o[alt_i]
    indel = np.flatnonzero(is_del | is_ins)
    inframe = is_("In_Frame_Del", "In_Frame_Ins")[indel]
    indel_len = np.where(inframe, 3, np.where(rng.random(indel.size) < 0.8, 1, 2))
    bases = _random_bases(rng, indel_len)
    dels = is_del[indel]
    ref[indel] = np.where(dels, bases, "-")
    alt[indel] = np.where(dels, "-", bases)
    ref_len = np.ones(r, dtype=np.int64)
    ref_len[indel] = np.where(dels, indel_len, 1)
    vtype = np.where(is_del, 2, np.where(is_ins, 1, 0))  # index into _VTYPES

    # protein changes (HGVSp_Short), built per class on that class's rows only
    aa_p = _AA_FREQ / _AA_FREQ.sum()
    ref_k = rng.choice(20, size=r, p=aa_p)
    ref_aa = _AA[ref_k]
    alt_aa = _AA[(ref_k + rng.integers(1, 20, r)) % 20]
    next_aa = _AA[rng.choice(20, size=r, p=aa_p)]
    stop_aa = _STOPPABLE[rng.choice(_STOPPABLE.size, size=r, p=_STOP_W / _STOP_W.sum())]
    fs_len = rng.integers(2, 60, r)
    num = _numbers(int(prot_len.max()) + 2)
    hgvsp = np.full(r, np.nan, dtype=object)  # non-coding rows: no protein change

    def cat(*parts: Any) -> np.ndarray:
        out = parts[0]
        for x in parts[1:]:
            out = np.strings.add(out, x)
        return np.asarray(out).astype(object)

    def rows(*which: str) -> np.ndarray:
        return np.flatnonzero(is_(*which))

    k = rows("Missense_Mutation")
    hgvsp[k] = cat("p.", ref_aa[k], num[pos[k]], alt_aa[k])
    k = rows("Silent")
    hgvsp[k] = cat("p.", ref_aa[k], num[pos[k]], "=")
    k = rows("Nonsense_Mutation")
    hgvsp[k] = cat("p.", stop_aa[k], num[pos[k]], "*")
    k = rows("Frame_Shift_Del", "Frame_Shift_Ins")
    hgvsp[k] = cat("p.", ref_aa[k], num[pos[k]], alt_aa[k], "fs*", num[fs_len[k]])
    k = rows("Splice_Site")
    hgvsp[k] = cat("p.X", num[pos[k]], "_splice")
    k = rows("In_Frame_Del")
    hgvsp[k] = cat("p.", ref_aa[k], num[pos[k]], "del")
    k = rows("In_Frame_Ins")
    hgvsp[k] = cat("p.", ref_aa[k], num[pos[k]], "_", next_aa[k], num[pos[k] + 1], "ins",
                   alt_aa[k])  # fmt: skip
    hgvsp[rows("Translation_Start_Site")] = "p.M1?"
    k = rows("Nonstop_Mutation")
    hgvsp[k] = cat("p.*", num[prot_len[k] + 1], alt_aa[k], "ext*?")
    return {
        "sample": sample,
        "gene": genes[gi],
        "cls": cls,
        "hgvsp": hgvsp,
        "rank": rank,
        "start": start,
        "ref": ref,
        "alt": alt,
        "ref_len": ref_len,
        "vtype": vtype,
        "zygosity": np.zeros(r, dtype=np.int8),
        "counted": ns[code],
    }


# --------------------------------------------------------------------------- HLA


def _hla_genotypes(ids: pd.Index, rng: np.random.Generator) -> pd.DataFrame:
    cols: dict[str, Any] = {"sample_id": ids}
    for locus, freqs in HLA_FREQUENCIES.items():
        alleles, p = _norm(freqs)
        draws = rng.choice(len(alleles), size=(len(ids), 2), p=p)
        arr = np.array(alleles, dtype=object)[draws]
        cols[f"HLA-{locus}_1"] = "HLA-" + arr[:, 0]
        cols[f"HLA-{locus}_2"] = "HLA-" + arr[:, 1]
    return pd.DataFrame(cols)


# --------------------------------------------------------------------------- copy number


def _cna_background(
    n: int, chrom_idx: np.ndarray, genes: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    c = DNA["cna"]
    k = len(CHROMS)
    p_loss = np.array([c["loss"].get(ch, c["default_loss"]) for ch in CHROMS])
    p_gain = np.array([c["gain"].get(ch, c["default_gain"]) for ch in CHROMS])
    shape = c["instability_gamma_shape"]
    g = rng.gamma(shape, 1.0 / shape, size=n)[:, None]
    pl = np.minimum(p_loss[None, :] * g, 0.6)
    pg = np.minimum(p_gain[None, :] * g, 0.35)
    u = rng.random((n, k))
    state = np.where(u < pl, -1, np.where(u < pl + pg, 1, 0)).astype(np.int8)
    m = state[:, chrom_idx]
    u = rng.random(m.shape)
    lo = c["focal_single_copy"]
    focal1 = u < lo
    m[focal1] = np.where(u[focal1] < lo / 2, -1, 1)  # half losses, half gains
    free = ~np.isin(genes, sorted(MECHANISM_GENES))[None, :]
    amp = (u >= lo) & (u < lo + c["focal_amplification"]) & free
    deep = (
        (u >= lo + c["focal_amplification"])
        & (u < lo + c["focal_amplification"] + c["focal_deep_deletion"])
        & free
    )
    m[amp] = 2
    m[deep] = -2
    j = np.flatnonzero(genes == "CDKN2A")
    if j.size:
        m[rng.random(n) < c["cdkn2a_deep_deletion"], j[0]] = -2
    return m


# --------------------------------------------------------------------------- assembly


def _vaf_reads(
    zyg: np.ndarray, purity: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    dp = DNA["depth"]
    r = zyg.size
    size = dp["size"]
    depth = rng.negative_binomial(size, size / (size + dp["mean"]), r)
    depth = np.maximum(depth, dp["min"])
    lo, hi = DNA["subclonal_ccf"]
    ccf = np.where(rng.random(r) < DNA["clonal_fraction"], 1.0, rng.uniform(lo, hi, r))
    ccf = np.where(zyg == _PASSENGER, ccf, 1.0)  # planted drivers are clonal
    # heterozygous: purity / 2; after loss of the other allele (one tumour copy, mutated):
    # purity / (purity + 2 (1 - purity))
    vaf = np.where(zyg == _LOH, purity / (purity + 2.0 * (1.0 - purity)), ccf * purity / 2.0)
    alt = rng.binomial(depth, np.clip(vaf, 0.0, 1.0))
    alt = np.minimum(np.maximum(alt, dp["min_alt_reads"]), depth)
    return depth, alt


def simulate_dna(
    ids: pd.Index,
    states: dict[str, np.ndarray],
    responder: np.ndarray,
    purity: np.ndarray,
    cna_genes: pd.Index,
    chromosome_of: pd.Series,
    seed: int,
) -> DnaLayers:
    """Simulate the DNA layers of a cohort (see the module docstring for the model).

    Parameters
    ----------
    ids
        Sample ids.
    states
        Planted expression states (``ifng_decoupled``, ``apm_loss``, ``pten_loss``,
        ``wnt_active``), boolean arrays.
    responder
        Boolean array: clinical response (CR/PR).
    purity
        Tumour purity per sample (the expression model's).
    cna_genes
        Genes of the copy-number matrix.
    chromosome_of
        Gene -> chromosome (``"1"``..``"22"``, ``"X"``).
    seed
        Cohort seed; the DNA uses independent child streams of it.

    Returns
    -------
    DnaLayers
        MAF, GISTIC matrix, HLA genotypes, LOHHLA table and truth columns.
    """
    n = len(ids)
    rng_mut, rng_cna, rng_hla, rng_plant = _streams(seed)
    tm = DNA["tmb"]
    log_med = np.log(tm["median_per_mb_nr"] * CAPTURE_MB) + tm["log_ratio_responder"] * responder
    n_ns = np.maximum(
        1, np.rint(np.exp(log_med + tm["sdlog"] * rng_mut.standard_normal(n)))
    ).astype(np.int64)
    bg = _passengers(n_ns, rng_mut)

    hla = _hla_genotypes(ids, rng_hla)
    plan, t, loh_rows = _plan(states, hla, purity, rng_plant)

    # ---- mutations
    cols = dict(bg)
    if plan.rows:
        fields = ("sample", "gene", "cls", "hgvsp", "chrom", "start", "ref", "alt", "zygosity")
        pl = dict(zip(fields, (np.array(v, dtype=object) for v in zip(*plan.rows, strict=True)),
                      strict=True))  # fmt: skip
        ref_p, alt_p = pl["ref"], pl["alt"]
        ins_p = np.array([x == "-" for x in ref_p])
        del_p = np.array([x == "-" for x in alt_p])
        ref_len_p = np.array([1 if x == "-" else len(x) for x in ref_p], dtype=np.int64)
        zyg = {"het": _HET, "loh": _LOH}
        planted = {
            "sample": pl["sample"].astype(np.int64),
            "gene": pl["gene"],
            "cls": pl["cls"],
            "hgvsp": np.where(pl["hgvsp"] == "", np.nan, pl["hgvsp"]).astype(object),
            "rank": np.array([CHROMS.index(c) for c in pl["chrom"]], dtype=np.int64),
            "start": pl["start"].astype(np.int64),
            "ref": ref_p,
            "alt": alt_p,
            "ref_len": ref_len_p,
            "vtype": np.where(del_p, 2, np.where(ins_p, 1, np.where(ref_len_p == 2, 3, 0))),
            "zygosity": np.array([zyg[z] for z in pl["zygosity"]], dtype=np.int8),
            "counted": np.array([c in NONSYNONYMOUS for c in pl["cls"]], dtype=bool),
        }
        cols = {k: np.concatenate([bg[k], planted[k]]) for k in bg}
    sample, start, rank = cols["sample"], cols["start"], cols["rank"]
    passenger = cols["zygosity"] == _PASSENGER
    # a variant is identified by (sample, chromosome, position): of rows sharing a position,
    # all but the first (planted rows sort first) move on by one base, until none clash; the
    # final sort is also the output order (sample, chromosome, position)
    while True:
        key = (sample * len(CHROMS) + rank) * (1 << 28) + start
        order = np.lexsort((passenger, key))
        sorted_key = key[order]
        later = order[1:][sorted_key[1:] == sorted_key[:-1]]
        if later.size == 0:
            break
        start = start.copy()
        start[later] += 1
    depth, alt_reads = _vaf_reads(cols["zygosity"], purity[sample], rng_mut)
    vtype = cols["vtype"]
    end = np.where(vtype == 1, start + 1, start + cols["ref_len"] - 1)
    out = pd.DataFrame(
        {
            "Hugo_Symbol": cols["gene"][order],
            "NCBI_Build": np.full(order.size, GENOME_BUILD, dtype=object),
            "Chromosome": np.array(CHROMS, dtype=object)[rank[order]],
            "Start_Position": start[order],
            "End_Position": end[order],
            "Variant_Classification": cols["cls"][order],
            "Variant_Type": _VTYPES[vtype[order]],
            "Reference_Allele": cols["ref"][order],
            "Tumor_Seq_Allele2": cols["alt"][order],
            "Tumor_Sample_Barcode": ids.to_numpy(dtype=object)[sample[order]],
            "HGVSp_Short": cols["hgvsp"][order],
            "t_depth": depth[order].astype(np.int64),
            "t_alt_count": alt_reads[order].astype(np.int64),
        },
        copy=False,
    )
    n_counted = np.bincount(sample, weights=cols["counted"], minlength=n).astype(np.int64)

    # ---- copy number
    genes = cna_genes.to_numpy()
    chrom_rank = {c: k for k, c in enumerate(CHROMS)}
    chrom_idx = chromosome_of.reindex(genes).map(chrom_rank).to_numpy(dtype=np.int64)
    m = _cna_background(n, chrom_idx, genes, rng_cna)
    col = {g: k for k, g in enumerate(genes)}
    for loc in ("A", "B", "C"):  # HLA copy number only changes with a planted HLA loss
        j = col.get(f"HLA-{loc}")
        if j is not None:
            m[:, j] = np.maximum(m[:, j], 0)
    for i, gene in plan.cn_keep:
        if gene in col:
            m[i, col[gene]] = max(int(m[i, col[gene]]), 0)
    for (i, gene), value in plan.cn_set.items():
        if gene in col:
            m[i, col[gene]] = value
    cna = pd.DataFrame(m.T, columns=ids, index=pd.Index(genes, name="Hugo_Symbol"))
    cna = cna.reset_index()
    cna.columns.name = None

    # ---- LOHHLA
    loh_cols = ["region", "HLA_A_type1", "HLA_A_type2", "HLA_type1copyNum_withBAFBin",
                "HLA_type2copyNum_withBAFBin", "PVal_unique", "LossAllele", "KeptAllele",
                "TumorPurity"]  # fmt: skip
    hla_loh = pd.DataFrame(loh_rows, columns=loh_cols)

    # ---- truth
    truth = pd.DataFrame(index=ids)
    truth["dna_ifng_pathway_loss"] = t["dna_ifng_gene"] != ""
    truth["dna_antigen_presentation_loss"] = (t["dna_apm_gene"] != "") | t["hla_loh"]
    truth["dna_pten_loss_pi3k"] = t["dna_pten_mode"] != ""
    truth["dna_wnt_beta_catenin"] = t["dna_wnt_gene"] != ""
    truth["dna_mapk_oncogenic"] = t["dna_mapk_gene"] != ""
    for k in ("dna_ifng_gene", "dna_ifng_mode", "dna_apm_gene", "dna_apm_mode",
              "dna_pten_mode", "dna_wnt_gene", "dna_wnt_mode", "dna_mapk_gene",
              "dna_mapk_variant"):  # fmt: skip
        truth[k] = t[k]
    hom = {loc: (hla[f"HLA-{loc}_1"] == hla[f"HLA-{loc}_2"]).to_numpy() for loc in ("A", "B", "C")}
    truth["hla_homozygous_loci"] = hom["A"].astype(int) + hom["B"] + hom["C"]
    b = hla[["HLA-B_1", "HLA-B_2"]].apply(lambda s: s.str.removeprefix("HLA-"))
    truth["hla_b44"] = b.isin(sorted(B44_SUPERTYPE)).any(axis=1).to_numpy()
    truth["hla_b62"] = b.isin(sorted(B62_SUPERTYPE)).any(axis=1).to_numpy()
    truth["hla_loh"] = t["hla_loh"]
    truth["hla_loh_alleles"] = t["hla_loh_alleles"]
    for k in ("decoy_jak2_missense", "decoy_ctnnb1_missense", "decoy_b2m_silent",
              "decoy_pten_splice_region", "decoy_single_truncating"):  # fmt: skip
        truth[k] = t[k]
    truth["n_nonsynonymous"] = n_counted
    truth["tmb_per_mb"] = np.round(truth["n_nonsynonymous"] / CAPTURE_MB, 6)
    return DnaLayers(mutations=out, cna=cna, hla=hla, hla_loh=hla_loh, truth=truth,
                     params=DNA)  # fmt: skip
