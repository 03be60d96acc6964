"""Loading of the vendored gene table (built by ``scripts/build_gene_table.py``)."""

from __future__ import annotations

import csv
import functools
import gzip
import hashlib
import io
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pandas as pd

from immunescape._logging import logger
from immunescape.errors import ImmunescapeError

DATA_NAME = "hs_genes.tsv.gz"
MANIFEST_NAME = "hs_genes.json"
COLUMNS = ("entrez", "symbol", "type", "chromosome", "ensembl", "aliases")


def _data_bytes(name: str) -> bytes:
    return resources.files("immunescape.genes").joinpath("data", name).read_bytes()


@functools.cache
def _manifest() -> dict[str, Any]:
    return json.loads(_data_bytes(MANIFEST_NAME).decode("utf-8"))


@functools.cache
def _raw_table() -> pd.DataFrame:
    """Read the vendored table once, after checking its sha256 against the manifest."""
    raw = _data_bytes(DATA_NAME)
    expected = _manifest()["sha256"]
    found = hashlib.sha256(raw).hexdigest()
    if found != expected:
        raise ImmunescapeError(
            f"the vendored gene table {DATA_NAME} is corrupt (sha256 {found}, manifest says "
            f"{expected}); reinstall immunescape or rebuild it with scripts/build_gene_table.py"
        )
    with gzip.open(io.BytesIO(raw), "rt", encoding="utf-8") as handle:
        table = pd.read_csv(
            handle,
            sep="\t",
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            quoting=csv.QUOTE_NONE,
        )
    if tuple(table.columns) != COLUMNS:
        raise ImmunescapeError(
            f"the vendored gene table {DATA_NAME} has columns {list(table.columns)}, "
            f"expected {list(COLUMNS)}; rebuild it with scripts/build_gene_table.py"
        )
    logger.debug("loaded gene table %s: %d genes", DATA_NAME, len(table))
    return table


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


@dataclass(frozen=True)
class _Index:
    """Lookup dictionaries built once from the table."""

    symbol: dict[str, str]
    symbol_upper: _Lookup
    alias: _Lookup
    alias_upper: _Lookup
    ensembl: _Lookup
    entrez: dict[str, str]


@functools.cache
def _index() -> _Index:
    table = _raw_table()
    symbols: list[str] = table["symbol"].tolist()
    aliases: list[str] = table["aliases"].tolist()
    return _Index(
        symbol=dict(zip(symbols, symbols, strict=True)),
        symbol_upper=_lookup([s.upper() for s in symbols], symbols),
        alias=_lookup(aliases, symbols),
        alias_upper=_lookup([a.upper() for a in aliases], symbols),
        ensembl=_lookup(table["ensembl"].tolist(), symbols),
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
        snapshot dates recorded by Bioconductor), ``n_genes`` and ``build_date``.

    Examples
    --------
    >>> info = gene_table_info()
    >>> info["source"], info["version"]
    ('r-bioc-org.hs.eg.db', '3.16.0-1')
    """
    manifest = _manifest()
    source = manifest["source"]
    return {
        "source": source["package"],
        "version": source["version"],
        "sha256": manifest["sha256"],
        "file": manifest["file"],
        "ncbi_gene_date": source.get("ncbi_gene_date", ""),
        "ensembl_date": source.get("ensembl_date", ""),
        "n_genes": manifest["n_genes"],
        "build_date": manifest["build_date"],
    }
