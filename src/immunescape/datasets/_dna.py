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

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from immunescape.datasets import _universe as U

__all__ = [
    "CAPTURE_MB",
    "DNA",
    "MECHANISM_GENES",
    "HLA_FREQUENCIES",
    "DnaLayers",
    "simulate_dna",
]

#: Sequenced territory of the simulated exome (Mb), for TMB.
CAPTURE_MB = 38.0
GENOME_BUILD = "GRCh37"

#: Every gene of ``kb/data/genes.yaml``: no passenger mutation or focal +-2 change touches them,
#: so each event in these genes is planted (a test keeps this list in sync with the file).
MECHANISM_GENES = frozenset(
    """JAK1 JAK2 IFNGR1 IFNGR2 IRF1 STAT1 B2M HLA-A HLA-B HLA-C TAP1 TAP2 NLRC5 PTEN PIK3CA
    CTNNB1 APC AXIN1 BRAF NRAS KRAS MYC PTPN2 APLNR STK11 KEAP1 MLH1 MSH2 MSH6 PMS2 POLE""".split()
)

#: GRCh37 chromosome lengths (UCSC hg19 chromInfo).
CHROM_LENGTH = {
    "1": 249250621, "2": 243199373, "3": 198022430, "4": 191154276, "5": 180915260,
    "6": 171115067, "7": 159138663, "8": 146364022, "9": 141213431, "10": 135534747,
    "11": 135006516, "12": 133851895, "13": 115169878, "14": 107349540, "15": 102531392,
    "16": 90354753, "17": 81195210, "18": 78077248, "19": 59128983, "20": 63025520,
    "21": 48129895, "22": 51304566, "X": 155270560,
}  # fmt: skip
CHROMS = tuple(CHROM_LENGTH)

#: Parameters of the DNA model (all written to ``params["dna"]``).
DNA: dict[str, Any] = {
    "capture_mb": CAPTURE_MB,
    "genome_build": GENOME_BUILD,
    # background non-synonymous mutations per Mb: log-normal, median for non-responders,
    # log ratio for responders (AUC about Phi(0.6 / (1.0 * sqrt 2)) = 0.66)
    "tmb": {"median_per_mb_nr": 8.0, "log_ratio_responder": 0.6, "sdlog": 1.0},
    # fraction of all background rows per MAF class
    "classes": {
        "Missense_Mutation": 0.58, "Silent": 0.25, "Nonsense_Mutation": 0.045,
        "Frame_Shift_Del": 0.012, "Frame_Shift_Ins": 0.005, "Splice_Site": 0.012,
        "In_Frame_Del": 0.003, "In_Frame_Ins": 0.001, "Translation_Start_Site": 0.001,
        "Nonstop_Mutation": 0.001, "Splice_Region": 0.025, "Intron": 0.03, "3'UTR": 0.025,
        "5'UTR": 0.01,
    },  # fmt: skip
    "uv_fraction": 0.85,
    "coding_fraction_of_transcript": 0.45,
    "depth": {"mean": 120.0, "size": 8.0, "min": 25, "min_alt_reads": 4},
    "clonal_fraction": 0.7,
    "subclonal_ccf": (0.15, 0.8),
    "ifng": {"genes": {"JAK1": 0.55, "JAK2": 0.45},
             "modes": {"truncating+loh": 0.75, "two_truncating": 0.25}},
    "apm": {"modes": {"truncating+loh": 0.55, "two_truncating": 0.15, "hla_loh": 0.30}},
    "pten": {"modes": {"deep_deletion": 0.40, "truncating+loh": 0.45, "two_truncating": 0.15}},
    "wnt": {"dna_fraction": 0.6, "events": {"CTNNB1": 0.65, "APC": 0.25, "AXIN1": 0.10},
            "apc_modes": {"truncating+loh": 0.6, "two_truncating": 0.4}},
    "mapk": {"BRAF": 0.45, "NRAS": 0.20},
    "hla_loh": {"background_rate": 0.06, "all_loci": 0.8, "copy_loss": 0.5,
                "imbalance_without_loss": 0.08},
    "decoys": {"jak2_missense": 0.04, "ctnnb1_missense": 0.03, "b2m_silent": 0.03,
               "pten_splice_region": 0.03, "single_truncating": 0.04},
    "single_truncating_genes": ["JAK1", "JAK2", "B2M", "PTEN", "APC"],
    "cna": {
        "loss": {"9": 0.45, "10": 0.40, "6": 0.25, "11": 0.20, "4": 0.15, "21": 0.15},
        "gain": {"7": 0.40, "8": 0.35, "1": 0.30, "20": 0.25, "6": 0.20, "17": 0.15},
        "default_loss": 0.08, "default_gain": 0.08,
        "instability_gamma_shape": 2.0,
        "focal_single_copy": 0.01, "focal_amplification": 0.003, "focal_deep_deletion": 0.002,
        "cdkn2a_deep_deletion": 0.35,
    },
}  # fmt: skip

#: HLA class I allele frequencies (European ancestry, rounded from Gragert et al. 2013; the
#: HLA-B supertype per Sidney et al. 2008 is noted for B44/B62 carriers).
HLA_FREQUENCIES: dict[str, dict[str, float]] = {
    "A": {
        "A*02:01": 0.285, "A*01:01": 0.16, "A*03:01": 0.14, "A*24:02": 0.09, "A*11:01": 0.06,
        "A*32:01": 0.035, "A*68:01": 0.035, "A*26:01": 0.03, "A*29:02": 0.03, "A*31:01": 0.025,
        "A*25:01": 0.02, "A*23:01": 0.02, "A*30:01": 0.015, "A*33:01": 0.01, "A*68:02": 0.01,
        "A*02:05": 0.01, "A*30:02": 0.01,
    },
    "B": {
        "B*07:02": 0.12, "B*08:01": 0.11, "B*44:02": 0.08, "B*15:01": 0.065, "B*35:01": 0.06,
        "B*40:01": 0.055, "B*44:03": 0.05, "B*51:01": 0.05, "B*18:01": 0.045, "B*57:01": 0.035,
        "B*27:05": 0.035, "B*14:02": 0.03, "B*13:02": 0.025, "B*38:01": 0.02, "B*55:01": 0.02,
        "B*35:03": 0.015, "B*49:01": 0.015, "B*37:01": 0.015, "B*39:01": 0.015,
        "B*40:02": 0.015, "B*52:01": 0.01, "B*14:01": 0.01, "B*50:01": 0.01, "B*35:02": 0.008,
        "B*58:01": 0.008, "B*41:01": 0.007, "B*56:01": 0.006, "B*45:01": 0.005,
        "B*15:17": 0.005, "B*35:08": 0.005, "B*47:01": 0.004, "B*44:05": 0.004,
        "B*53:01": 0.003, "B*46:01": 0.002, "B*15:02": 0.002,
    },
    "C": {
        "C*07:01": 0.15, "C*07:02": 0.13, "C*04:01": 0.11, "C*06:02": 0.09, "C*03:04": 0.08,
        "C*05:01": 0.08, "C*12:03": 0.05, "C*03:03": 0.05, "C*02:02": 0.05, "C*08:02": 0.04,
        "C*15:02": 0.03, "C*16:01": 0.03, "C*01:02": 0.03, "C*14:02": 0.02, "C*07:04": 0.015,
        "C*12:02": 0.01, "C*17:01": 0.01, "C*08:01": 0.005,
    },
}  # fmt: skip

#: HLA-B alleles of the B44 and B62 supertypes among those above (Sidney et al. 2008,
#: BMC Immunol 9:1, Additional file 1).
B44_SUPERTYPE = frozenset(
    "B*44:02 B*44:03 B*44:05 B*40:01 B*40:02 B*18:01 B*37:01 B*41:01 B*45:01 B*50:01".split()
)
B62_SUPERTYPE = frozenset("B*15:01 B*15:02 B*46:01 B*52:01".split())


class _Gene(NamedTuple):
    chrom: str
    start: int  # GRCh37 gene span (approximate)
    end: int
    strand: str
    protein_length: int


#: Genes with planted events: GRCh37 span, strand and protein length (UniProt canonical).
GENES: dict[str, _Gene] = {
    "JAK1": _Gene("1", 65298906, 65432187, "-", 1154),
    "JAK2": _Gene("9", 4985033, 5128183, "+", 1132),
    "B2M": _Gene("15", 45003675, 45011075, "+", 119),
    "PTEN": _Gene("10", 89623195, 89728532, "+", 403),
    "CTNNB1": _Gene("3", 41236328, 41301587, "+", 781),
    "APC": _Gene("5", 112043195, 112181936, "+", 2843),
    "AXIN1": _Gene("16", 337440, 402673, "-", 862),
    "BRAF": _Gene("7", 140419127, 140624564, "-", 766),
    "NRAS": _Gene("1", 115247085, 115259515, "-", 189),
}


class _V(NamedTuple):
    hgvsp: str  # "" = none (non-coding)
    cls: str
    ref: str
    alt: str
    start: int | None = None  # exact GRCh37 position, else placed inside the gene span


#: Truncating variants per gene (residues checked against UniProt, or published recurrent).
TRUNCATING: dict[str, list[_V]] = {
    "JAK1": [
        _V("p.Q503*", "Nonsense_Mutation", "G", "A"),  # Zaretsky 2016
        _V("p.E483*", "Nonsense_Mutation", "C", "A"),
        _V("p.W690*", "Nonsense_Mutation", "C", "T"),
        _V("p.K860Nfs*16", "Frame_Shift_Del", "T", "-"),
        _V("p.P430Rfs*2", "Frame_Shift_Ins", "-", "G"),
    ],
    "JAK2": [
        _V("p.X547_splice", "Splice_Site", "G", "T"),  # Zaretsky 2016 (F547 splice site)
        _V("p.W298*", "Nonsense_Mutation", "G", "A"),
        _V("p.R588*", "Nonsense_Mutation", "C", "T"),
        _V("p.E890*", "Nonsense_Mutation", "G", "T"),
        _V("p.K607Nfs*4", "Frame_Shift_Del", "A", "-"),
    ],
    "B2M": [
        _V("p.L15Ffs*41", "Frame_Shift_Del", "CT", "-", 45003745),  # c.43_44del
        _V("p.M1?", "Translation_Start_Site", "A", "G", 45003745 - 42),
        _V("p.Q22*", "Nonsense_Mutation", "C", "T"),
        _V("p.E36*", "Nonsense_Mutation", "G", "T"),
        _V("p.W80*", "Nonsense_Mutation", "G", "A"),
        _V("p.K68*", "Nonsense_Mutation", "A", "T"),
    ],
    "PTEN": [
        _V("p.R130*", "Nonsense_Mutation", "C", "T", 89692904),
        _V("p.R233*", "Nonsense_Mutation", "C", "T", 89717672),
        _V("p.R335*", "Nonsense_Mutation", "C", "T", 89720852),
        _V("p.K267Rfs*9", "Frame_Shift_Del", "A", "-"),
        _V("p.Q149*", "Nonsense_Mutation", "C", "T"),
        _V("p.X70_splice", "Splice_Site", "G", "T"),
    ],
    "APC": [
        _V("p.R876*", "Nonsense_Mutation", "C", "T"),
        _V("p.R1114*", "Nonsense_Mutation", "C", "T"),
        _V("p.E1309Dfs*4", "Frame_Shift_Del", "AAAGA", "-"),
        _V("p.Q1367*", "Nonsense_Mutation", "C", "T"),
        _V("p.R1450*", "Nonsense_Mutation", "C", "T"),
    ],
}

#: Activating hotspots with their relative frequencies (exact GRCh37 positions).
HOTSPOTS: dict[str, list[tuple[_V, float]]] = {
    "BRAF": [
        (_V("p.V600E", "Missense_Mutation", "A", "T", 140453136), 0.80),
        (_V("p.V600K", "Missense_Mutation", "AC", "TT", 140453136), 0.16),
        (_V("p.V600R", "Missense_Mutation", "AC", "CT", 140453136), 0.04),
    ],
    "NRAS": [
        (_V("p.Q61R", "Missense_Mutation", "T", "C", 115256529), 0.40),
        (_V("p.Q61K", "Missense_Mutation", "G", "T", 115256530), 0.32),
        (_V("p.Q61L", "Missense_Mutation", "T", "A", 115256529), 0.10),
        (_V("p.Q61H", "Missense_Mutation", "T", "A", 115256528), 0.06),
        (_V("p.G12D", "Missense_Mutation", "C", "T", 115258747), 0.06),
        (_V("p.G13R", "Missense_Mutation", "C", "G", 115258745), 0.06),
    ],
    "CTNNB1": [
        (_V("p.S45F", "Missense_Mutation", "C", "T", 41266137), 0.18),
        (_V("p.S45P", "Missense_Mutation", "T", "C", 41266136), 0.05),
        (_V("p.S45del", "In_Frame_Del", "TCT", "-", 41266136), 0.07),
        (_V("p.T41A", "Missense_Mutation", "A", "G", 41266124), 0.18),
        (_V("p.S37F", "Missense_Mutation", "C", "T", 41266113), 0.14),
        (_V("p.S37C", "Missense_Mutation", "C", "G", 41266113), 0.08),
        (_V("p.S33C", "Missense_Mutation", "C", "G", 41266101), 0.12),
        (_V("p.S33F", "Missense_Mutation", "C", "T", 41266101), 0.05),
        (_V("p.D32Y", "Missense_Mutation", "G", "T", 41266097), 0.08),
        (_V("p.G34R", "Missense_Mutation", "G", "A", 41266103), 0.05),
    ],
}

#: Decoy variants: look relevant, are not loss of function or activating.
DECOYS: dict[str, tuple[str, list[_V]]] = {
    "jak2_missense": ("JAK2", [
        _V("p.P870S", "Missense_Mutation", "C", "T"),  # a VUS in Riaz et al. 2017
        _V("p.R1063H", "Missense_Mutation", "G", "A"),
        _V("p.E890K", "Missense_Mutation", "G", "A"),
    ]),
    "ctnnb1_missense": ("CTNNB1", [
        _V("p.R582W", "Missense_Mutation", "C", "T"),
        _V("p.T551M", "Missense_Mutation", "C", "T"),
        _V("p.R274C", "Missense_Mutation", "C", "T"),
        _V("p.N387K", "Missense_Mutation", "C", "A"),
    ]),
    "b2m_silent": ("B2M", [
        _V("p.L13=", "Silent", "G", "A"),
        _V("p.R32=", "Silent", "C", "T"),
        _V("p.K68=", "Silent", "G", "A"),
    ]),
    "pten_splice_region": ("PTEN", [
        _V("", "Splice_Region", "C", "T", 89685265),
        _V("", "Splice_Region", "T", "C", 89711870),
    ]),
}  # fmt: skip

_AA = np.array(list("LAGVESIKRDTPNQFYMHCW"))
#: amino-acid composition (UniProtKB/Swiss-Prot, %), for passenger protein changes
_AA_FREQ = np.array(
    [9.9, 8.3, 7.1, 6.9, 6.8, 6.6, 5.9, 5.8, 5.5, 5.5, 5.3, 4.7, 4.1, 3.9, 3.9, 2.9, 2.4,
     2.3, 1.4, 1.1]
)  # fmt: skip
#: residues one substitution away from a stop codon (weights: UV C>T makes R, Q, W stops)
_STOPPABLE = np.array(list("RQWEKSLYC"))
_STOP_W = np.array([0.25, 0.2, 0.15, 0.15, 0.08, 0.06, 0.05, 0.03, 0.03])
_BASES = np.array(list("ACGT"))
_VTYPES = np.array(["SNP", "INS", "DEL", "DNP"], dtype=object)
#: zygosity codes of mutation rows (for the allele fraction)
_PASSENGER, _HET, _LOH = 0, 1, 2
#: MAF classes counted by the usual (non-synonymous) TMB definition (maftools; Mayakonda et al.
#: 2018, Genome Res, PMID 30341162).
NONSYNONYMOUS = frozenset(
    """Missense_Mutation Nonsense_Mutation Frame_Shift_Del Frame_Shift_Ins In_Frame_Del
    In_Frame_Ins Splice_Site Nonstop_Mutation Translation_Start_Site""".split()
)
_POS = re.compile(r"(\d+)")


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


def _lohhla_name(allele: str) -> str:
    """``HLA-A*02:01`` -> ``hla_a_02_01`` (POLYSOLVER/LOHHLA naming)."""
    locus, fields = allele.removeprefix("HLA-").split("*")
    return f"hla_{locus.lower()}_" + fields.replace(":", "_")


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


# --------------------------------------------------------------------------- planting


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
