r"""Rebuild the simulator's gene universe (``data/gene_universe.tsv.gz``) from org.Hs.eg.db.

The demo cohort uses real gene symbols only. This builder resolves the curated lists
(``curated_genes.tsv``: every gene of the signature registry, mechanism genes, cell-type markers,
housekeeping and sex-chromosome genes; ``programs.tsv``; ``levels.tsv``) to current symbols with
the Bioconductor annotation package org.Hs.eg.db (NCBI Gene, as shipped by Debian's
``r-bioc-org.hs.eg.db``), and adds every other protein-coding gene as background.

Run (the package is not needed at simulation time; only its derived table is committed)::

    apt-get update && apt-get download r-bioc-org.hs.eg.db
    dpkg-deb -x r-bioc-org.hs.eg.db_*.deb x
    python -m immunescape.datasets._build_universe \\
        x/usr/lib/R/site-library/org.Hs.eg.db/extdata/org.Hs.eg.sqlite

Outputs, next to this module in ``data/``: ``gene_universe.tsv.gz`` (gzip with mtime 0, so the
bytes depend only on the inputs), ``gene_universe.tsv.gz.sha256`` and ``curated_resolution.tsv``
(how each published symbol was resolved; published symbols without a current gene, such as
``LOC100126784`` or ``FLJ39051`` of the Jerby-Arnon lists, are listed as ``unresolved``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import sqlite3
import sys
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parent / "data"

#: NCBI Gene names of the 13 mitochondrially encoded proteins -> HGNC symbols used in
#: GENCODE-based expression tables.
MT_NCBI_TO_HGNC = {
    "ND1": "MT-ND1",
    "ND2": "MT-ND2",
    "COX1": "MT-CO1",
    "COX2": "MT-CO2",
    "ATP8": "MT-ATP8",
    "ATP6": "MT-ATP6",
    "COX3": "MT-CO3",
    "ND3": "MT-ND3",
    "ND4L": "MT-ND4L",
    "ND4": "MT-ND4",
    "ND5": "MT-ND5",
    "ND6": "MT-ND6",
    "CYTB": "MT-CYB",
}

#: Published symbols whose alias is ambiguous in NCBI Gene, resolved by their HGNC history.
MANUAL = {"HN1": "JPT1"}  # HN1 was the previous HGNC symbol of JPT1 (not humanin MTRNR2L1)

RIBOSOMAL = re.compile(r"^(RP[LS]\d+[A]?|RPLP[012]|RPSA)$")


def _read_db(sqlite_path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    con = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        genes = pd.read_sql(
            "SELECT g._id, g.gene_id AS entrez_id, i.symbol, t.gene_type "
            "FROM genes g JOIN gene_info i USING(_id) JOIN genetype t USING(_id)",
            con,
        )
        chrom = pd.read_sql("SELECT _id, chromosome FROM chromosomes", con)
        alias = pd.read_sql("SELECT _id, alias_symbol FROM alias", con)
    finally:
        con.close()
    chrom = (
        chrom.sort_values(["_id", "chromosome"])
        .groupby("_id")["chromosome"]
        .agg(lambda s: "|".join(s))
    )
    genes["chromosome"] = genes["_id"].map(chrom).fillna("")
    mt = genes["chromosome"].eq("MT") & genes["symbol"].isin(MT_NCBI_TO_HGNC)
    genes.loc[mt, "symbol"] = genes.loc[mt, "symbol"].map(MT_NCBI_TO_HGNC)
    alias = alias.merge(genes[["_id", "symbol"]], on="_id")
    return genes, alias


def registry_genes() -> pd.DataFrame:
    """Return (group, symbol) rows for every gene of the package's signature registry.

    The registry (``immunescape.signatures``) may name genes beyond the curated lists
    (MCP-counter, hypoxia, PROGENy footprints, non-coding genes): the demo must contain them
    all so that every registered score can be computed on it.
    """
    from immunescape.signatures.registry import load_registry

    reg = load_registry()
    rows = [(f"sig:{s.id}", g) for s in reg.signatures for g in s.all_genes()]
    return pd.DataFrame(rows, columns=["group", "symbol"]).drop_duplicates()


def build(sqlite_path: str, outdir: Path = DATA, *, registry: bool = True) -> pd.DataFrame:
    """Resolve the curated lists and write the gene universe; return the table."""
    genes, alias = _read_db(sqlite_path)
    current = set(genes["symbol"])
    curated = pd.read_csv(outdir / "curated_genes.tsv", sep="\t")
    if registry:
        curated = pd.concat([curated[["group", "symbol"]], registry_genes()], ignore_index=True)
    programs = pd.read_csv(outdir / "programs.tsv", sep="\t")
    levels = pd.read_csv(outdir / "levels.tsv", sep="\t")

    resolution = []
    groups: dict[str, list[str]] = {}
    published: dict[str, list[str]] = {}
    for group, sym in curated[["group", "symbol"]].itertuples(index=False):
        if sym in current:
            cur, status = sym, "current"
        elif sym in MANUAL:
            cur, status = MANUAL[sym], "manual"
        else:
            hits = sorted(set(alias.loc[alias["alias_symbol"] == sym, "symbol"]))
            if len(hits) == 1:
                cur, status = hits[0], "alias"
            elif group.startswith("sig:"):
                # the registry names it: keep the symbol so the score stays computable
                cur, status = sym, "registry_only"
            else:
                cur, status = "", "unresolved" if not hits else "ambiguous"
        resolution.append((group, sym, cur, status))
        if cur:
            groups.setdefault(cur, [])
            if group not in groups[cur]:
                groups[cur].append(group)
            if sym != cur:
                published.setdefault(cur, [])
                if sym not in published[cur]:
                    published[cur].append(sym)
    for table, col, label in ((programs, "gene", "program:"), (levels, "gene", "level")):
        bad = sorted(set(table[col]) - current)
        if bad:
            raise SystemExit(f"{label} genes are not current symbols: {bad}")
        for row in table.itertuples(index=False):
            g = getattr(row, col)
            tag = label + row.program if label == "program:" else None
            groups.setdefault(g, [])
            if tag and tag not in groups[g]:
                groups[g].append(tag)
    pc = genes[genes["gene_type"].eq("protein-coding")]
    for sym in sorted(pc.loc[pc["symbol"].str.match(RIBOSOMAL), "symbol"]):
        if not pc.loc[pc["symbol"].eq(sym), "chromosome"].str.contains("Y").any():
            groups.setdefault(sym, [])
            if "ribosomal" not in groups[sym]:
                groups[sym].append("ribosomal")

    by_symbol = genes.drop_duplicates("symbol").set_index("symbol")
    rows = []
    for sym in sorted(groups):
        if sym in by_symbol.index:
            info = by_symbol.loc[sym]
            entrez, chrom, gtype = (
                str(int(info["entrez_id"])),
                info["chromosome"],
                info["gene_type"],
            )
        else:
            entrez, chrom, gtype = "", "", "unknown"
        rows.append(
            (
                sym,
                entrez,
                chrom,
                gtype,
                "curated",
                ";".join(groups[sym]),
                ";".join(published.get(sym, [])),
            )
        )
    background = pc[~pc["symbol"].isin(groups)].drop_duplicates("symbol").sort_values("symbol")
    for info in background.itertuples(index=False):
        rows.append(
            (
                info.symbol,
                str(int(info.entrez_id)),
                info.chromosome,
                info.gene_type,
                "background",
                "",
                "",
            )
        )
    table = pd.DataFrame(
        rows,
        columns=["gene", "entrez_id", "chromosome", "gene_type", "tier", "groups", "published"],
    )

    buf = io.StringIO()
    table.to_csv(buf, sep="\t", index=False, lineterminator="\n")
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as fh:
        fh.write(buf.getvalue().encode())
    data = raw.getvalue()
    (outdir / "gene_universe.tsv.gz").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    (outdir / "gene_universe.tsv.gz.sha256").write_text(f"{digest}  gene_universe.tsv.gz\n")
    pd.DataFrame(resolution, columns=["group", "published", "current", "status"]).to_csv(
        outdir / "curated_resolution.tsv", sep="\t", index=False, lineterminator="\n"
    )
    return table


if __name__ == "__main__":  # pragma: no cover - maintenance script
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m immunescape.datasets._build_universe ORG_HS_EG_SQLITE")
    t = build(sys.argv[1])
    sys.stderr.write(f"{(t['tier'] == 'curated').sum()} curated, {len(t)} genes in total\n")
