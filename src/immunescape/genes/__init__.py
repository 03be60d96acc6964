"""Offline resolution of human gene identifiers to current HGNC symbols.

The vendored table ``data/hs_genes.tsv.gz`` holds one row per NCBI (Entrez) gene of
Bioconductor's org.Hs.eg.db 3.16 as packaged by Debian (``r-bioc-org.hs.eg.db`` 3.16.0-1;
NCBI Gene snapshot 2022-09-12), built by ``scripts/build_gene_table.py``: Entrez id, symbol,
NCBI gene type, chromosome, Ensembl gene ids and synonyms. :func:`gene_table_info` gives its
source, version and sha256 for ``run.json``; the sha256 is checked when the table is loaded.
For HGNC-named genes the NCBI symbol is the HGNC-approved symbol, except the 37
mitochondrially encoded genes, which the build script renames to HGNC's ``MT-`` symbols
(NCBI ``COX1`` -> ``MT-CO1``; the NCBI symbol is kept as an alias).

Resolution rules
----------------
Every identifier is resolved on its own (the result never depends on the other ids passed),
by the first rule that applies:

0. *Normalisation.* Surrounding whitespace is removed. Integers, and floats holding an integer
   (Entrez ids read from a column with missing values), are Entrez ids. ``None``, NaN and the
   missing-value markers ``""``, ``NA``, ``N/A``, ``#N/A``, ``NaN``, ``NULL``, ``None``,
   ``-``, ``?`` and ``.`` (any case) are ``unresolved``, even though NCBI lists ``NA`` as an
   alias of XK and ``NaN`` as one of SCN11A: in a gene column they are missing values.
1. *Composite ids.* Ids containing ``|`` (TCGA's ``SYMBOL|ENTREZ``, ``ENSG...|SYMBOL``) or an
   Ensembl id joined to a symbol by ``_`` (``ENSG00000120217.14_CD274``) are split and each
   part is resolved by rules 2-7. The first part that resolves through a stable id (Ensembl or
   Entrez) wins, else the first part that resolves, else the first ambiguous part, else the id
   is unresolved. Stable ids win because the symbols stored in such composites are often out
   of date (TCGA ``SLC35E2|728661`` is SLC35E2B).
2. *Ensembl gene ids* (``ENSG...``): a version suffix (``.14``) and GENCODE's ``_PAR_Y``
   suffix are removed and the id is looked up in NCBI's Ensembl cross-references; status
   ``ensembl``. An Ensembl id linked to genes with different symbols is ``ambiguous``; an
   unknown one (many GENCODE lncRNAs and novel genes) is ``unresolved``. A ``_PAR_Y`` row
   resolves to the same gene as its X copy, so both appear in :attr:`GeneResolution.duplicated`.
3. *Entrez ids* (ASCII digits only): looked up; status ``entrez``; unknown ids (for example
   discontinued ones) are ``unresolved``. No alias consists of digits only, so digits are
   never read as a symbol.
4. *Current symbols*, exact (case-sensitive) match; status ``symbol``. A current symbol always
   wins over the same text being an alias of another gene (``MTTP`` stays MTTP although NCBI
   lists it as a synonym of MT-TP; ``CCL3L1`` stays CCL3L1).
5. *Aliases and previous symbols*, exact match. When every gene listing the alias has the
   same symbol the alias resolves, status ``alias``. When several symbols list it, the id is
   ``ambiguous``, ``symbol`` is None and ``candidates`` lists them. No tie-break is applied: a
   "prefer the single protein-coding candidate" rule was tried and picked the wrong gene for
   real matrix ids that name a pseudogene or lncRNA (``FAM25B`` would become FAM25G, yet the
   VanDenEnde 2021 matrix carries FAM25B and FAM25G as separate rows; ``DEC1``, the former
   symbol of the lncRNA DELEC1, would become BHLHE40). org.Hs.eg.db does not record which
   synonyms are previous symbols, which would settle most cases (``SARS``, ``TAZ``, ``CD97``,
   ``HN1``). Ambiguous ids are left for the caller to report.
6. *Current symbols*, case-insensitive match (``cd274``); status ``symbol`` with
   ``case_insensitive`` True. Upper-cased current symbols are unique in this release.
7. *Aliases*, case-insensitive match; as rule 5, with ``case_insensitive`` True. Exact matches
   always beat case-insensitive ones: ``hK3`` is an alias of KLK3, ``HK3`` and ``hk3`` are HK3.
8. Anything else is ``unresolved`` (for example GENCODE clone names such as ``RP11-51F16.8``
   or ``AC004381.6``, which NCBI does not carry).

The status ``previous`` is part of :data:`STATUSES` for sources that tell previous symbols
from aliases; org.Hs.eg.db does not (its alias table is NCBI's ``Synonyms``, which mixes the
two), so with this table outdated symbols always come back as ``alias``.

Notes on specific genes: CCL3L1 (Entrez 6349) and CCL3L3 (Entrez 414062) are two current
NCBI genes; each symbol resolves to itself. GENCODE-based data name the primary-assembly gene
ENSG00000276085 CCL3L3, and NCBI links that Ensembl id to both genes, so it is ``ambiguous``
(candidates CCL3L1, CCL3L3). Whether CCL3L3 may stand in for a signature's CCL3L1 is the
signature registry's decision, not this module's. Some current symbols belong to several Entrez
genes (HBD, MEMO1, TEC, tRNA genes); they resolve to that symbol.

Examples
--------
>>> from immunescape.genes import resolve_identifiers
>>> res = resolve_identifiers(["PD-L1", "ENSG00000120217.14", "29126", "SARS", "foo"])
>>> res.table[["input", "symbol", "status"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
[['PD-L1', 'CD274', 'alias'], ['ENSG00000120217.14', 'CD274', 'ensembl'],
 ['29126', 'CD274', 'entrez'], ['SARS', None, 'ambiguous'], ['foo', None, 'unresolved']]
>>> res.table["candidates"][3]
('SARS1', 'SARS2')
"""

from immunescape.genes._resolve import (
    MISSING_MARKERS,
    STATUSES,
    GeneResolution,
    Status,
    current_symbol,
    resolve_identifiers,
)
from immunescape.genes._table import gene_table, gene_table_info

__all__ = [
    "GeneResolution",
    "MISSING_MARKERS",
    "STATUSES",
    "Status",
    "current_symbol",
    "gene_table",
    "gene_table_info",
    "resolve_identifiers",
]
