"""Parameters of the simulated DNA layers (the model is described in :mod:`._dna`).

Pure data: burden, class mix, copy-number prevalences, HLA allele frequencies, planted and
decoy variants with their residues and GRCh37 positions. All are written to
``simulation.json`` (``params["dna"]``).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import numpy as np

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
