"""Genomic evidence: mutations, copy number and HLA turned into events, TMB and burdens.

Readers
    :func:`read_maf` (MAF or any per-mutation table with a column mapping; MAF classes or
    Sequence Ontology terms), :func:`read_vcf` (VEP/SnpEff-annotated VCF, one tumour),
    :func:`read_cbioportal` (a cBioPortal study folder), :func:`read_cna` (GISTIC-style gene
    calls, matrix or long),
    :func:`read_segments`, :func:`read_gene_coords`, :func:`read_hla` (genotypes),
    :func:`read_hla_loh` (LOHHLA or long allele calls).
Tables
    :func:`call_events` -> ``genomic_events``; :func:`compute_tmb` -> ``tmb``;
    :func:`hla_features` -> ``hla``; :func:`scna_burden` -> ``scna``.
All at once
    :func:`run_genomics` -> :class:`GenomicsResult` (tables + provenance), written by
    :func:`write_genomics_tables`; :func:`check_sample_overlap` for the CLI's warnings.

Rules, thresholds and citations: ``docs/genomics.md``.
"""

from immunescape.genomics.cbioportal import CBioPortalStudy, read_cbioportal
from immunescape.genomics.copynumber import (
    GeneCNA,
    Segments,
    gene_calls_from_segments,
    gene_coordinates,
    read_cna,
    read_gene_coords,
    read_segments,
)
from immunescape.genomics.events import EVENT_COLUMNS, EVENTS, call_events
from immunescape.genomics.hla import (
    HLAGenotypes,
    hla_features,
    hla_loh_from_frame,
    normalise_allele,
    read_hla,
    read_hla_loh,
)
from immunescape.genomics.knowledge import GeneKnowledge, load_gene_knowledge
from immunescape.genomics.mutations import (
    MAF_CLASSES,
    NONSYNONYMOUS,
    TRUNCATING,
    MutationTable,
    classify_variants,
    read_maf,
)
from immunescape.genomics.pipeline import (
    TABLE_FILES,
    GenomicsResult,
    check_sample_overlap,
    combine_mutations,
    run_genomics,
    write_genomics_tables,
)
from immunescape.genomics.scna import scna_burden
from immunescape.genomics.tmb import TMB_RULES, compute_tmb
from immunescape.genomics.vcf import read_vcf, write_maf
from immunescape.stats import roc_auc

__all__ = [
    "CBioPortalStudy",
    "EVENTS",
    "EVENT_COLUMNS",
    "GeneCNA",
    "GeneKnowledge",
    "GenomicsResult",
    "HLAGenotypes",
    "MAF_CLASSES",
    "MutationTable",
    "NONSYNONYMOUS",
    "Segments",
    "TABLE_FILES",
    "TMB_RULES",
    "TRUNCATING",
    "call_events",
    "check_sample_overlap",
    "combine_mutations",
    "classify_variants",
    "compute_tmb",
    "gene_calls_from_segments",
    "gene_coordinates",
    "hla_features",
    "hla_loh_from_frame",
    "load_gene_knowledge",
    "normalise_allele",
    "read_cbioportal",
    "read_cna",
    "read_gene_coords",
    "read_hla",
    "read_hla_loh",
    "read_maf",
    "read_segments",
    "read_vcf",
    "roc_auc",
    "run_genomics",
    "scna_burden",
    "write_genomics_tables",
    "write_maf",
]
