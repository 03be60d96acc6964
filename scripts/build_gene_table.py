#!/usr/bin/env python3
"""Build the vendored human gene identifier table from Debian's ``r-bioc-org.hs.eg.db``.

Usage::

    python scripts/build_gene_table.py [--deb r-bioc-org.hs.eg.db_3.16.0-1_all.deb]
                                       [--out-dir src/immunescape/genes/data]

Without ``--deb`` the script runs ``apt-get download r-bioc-org.hs.eg.db`` in a temporary
directory (needs ``apt-get update`` to have been run). The .deb is parsed in Python (``ar``
archive, then ``data.tar.xz``), so ``dpkg-deb`` is not needed. The Bioconductor SQLite file
inside (``org.Hs.eg.sqlite``, built by Bioconductor from NCBI Gene ``gene_info`` and
``gene2ensembl``) is read with :mod:`sqlite3`.

Outputs, in ``--out-dir``:

``hs_genes.tsv.gz``
    One row per NCBI (Entrez) gene, sorted by Entrez id, columns ``entrez``, ``symbol``
    (NCBI symbol; for HGNC-named genes this is the HGNC-approved symbol), ``type`` (NCBI gene
    type), ``chromosome`` (``|``-separated when several, e.g. ``X|Y`` for pseudoautosomal
    genes), ``ensembl`` (``|``-separated unversioned Ensembl gene ids, from the ``ensembl``
    table: NCBI gene2ensembl plus Ensembl's cross-references) and ``aliases`` (``|``-separated
    synonyms from the ``alias`` table minus the gene's own symbol: NCBI ``Synonyms``, which
    mixes HGNC previous symbols and alias symbols without telling them apart).
    Written with gzip ``mtime=0`` so the same package gives the same bytes.

    One adjustment: NCBI Gene names the 37 mitochondrially encoded genes without HGNC's
    ``MT-`` prefix (``ND1``, ``COX1``, ``CYTB``, ``TRNF``), whereas HGNC (gene group
    "Mitochondrially encoded", and NCBI's own ``Symbol_from_nomenclature_authority`` column)
    names them ``MT-ND1``, ``MT-CO1``, ``MT-CYB``, ``MT-TF``. The script renames them to the
    HGNC form (table below, checked against the ``MT...`` synonyms NCBI lists for them) and
    keeps the NCBI symbol as an alias.
``hs_genes.tsv.gz.sha256``
    The data file's checksum in ``sha256sum -c`` format.
``hs_genes.json`` (and ``hs_genes.json.sha256``)
    Manifest: source package, version and sha256 of the .deb, upstream source dates from the
    SQLite ``metadata`` table, licence, build date, row counts and the sha256 of the data file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from pathlib import Path

PACKAGE = "r-bioc-org.hs.eg.db"
SQLITE_SUFFIX = "org.Hs.eg.db/extdata/org.Hs.eg.sqlite"
DATA_NAME = "hs_genes.tsv.gz"
MANIFEST_NAME = "hs_genes.json"
COLUMNS = ("entrez", "symbol", "type", "chromosome", "ensembl", "aliases")
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "immunescape" / "genes" / "data"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_deb(workdir: Path) -> Path:
    """Run ``apt-get download`` for the package into ``workdir`` and return the .deb path."""
    subprocess.run(["apt-get", "download", PACKAGE], cwd=workdir, check=True)
    debs = sorted(workdir.glob(f"{PACKAGE}_*.deb"))
    if len(debs) != 1:
        sys.exit(f"expected one {PACKAGE} .deb in {workdir}, found {len(debs)}")
    return debs[0]


def deb_control(deb: Path) -> dict[str, str]:
    """Return the fields of the package's ``control`` file."""
    raw = _ar_member(deb, "control.tar")
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for member in tar:
            if member.name.lstrip("./") == "control":
                handle = tar.extractfile(member)
                if handle is None:
                    break
                text = handle.read().decode()
                fields: dict[str, str] = {}
                for line in text.splitlines():
                    if line and not line[0].isspace() and ":" in line:
                        key, value = line.split(":", 1)
                        fields[key] = value.strip()
                return fields
    sys.exit(f"{deb}: no control file")


def _ar_members(deb: Path):
    """Yield (name, offset, size) for each member of an ``ar`` archive."""
    with open(deb, "rb") as handle:
        if handle.read(8) != b"!<arch>\n":
            sys.exit(f"{deb}: not a Debian package (no ar magic)")
        offset = 8
        while True:
            header = handle.read(60)
            if len(header) < 60:
                return
            name = header[:16].decode().strip().rstrip("/")
            size = int(header[48:58].decode().strip())
            yield name, offset + 60, size
            offset += 60 + size + (size % 2)
            handle.seek(offset)


def _ar_member(deb: Path, prefix: str) -> bytes:
    for name, start, size in _ar_members(deb):
        if name.startswith(prefix):
            with open(deb, "rb") as handle:
                handle.seek(start)
                return handle.read(size)
    sys.exit(f"{deb}: no member {prefix}*")


def extract_sqlite(deb: Path, workdir: Path) -> Path:
    """Stream ``data.tar.*`` out of the .deb and write the SQLite file into ``workdir``."""
    for name, start, size in _ar_members(deb):
        if not name.startswith("data.tar"):
            continue
        if name.endswith(".zst"):
            sys.exit(f"{deb}: {name} is zstd-compressed; extract it with dpkg-deb -x instead")
        with open(deb, "rb") as handle:
            handle.seek(start)
            payload = io.BufferedReader(_Window(handle, size))
            with tarfile.open(fileobj=payload, mode="r|*") as tar:
                for member in tar:
                    if member.name.endswith(SQLITE_SUFFIX):
                        source = tar.extractfile(member)
                        if source is None:
                            break
                        target = workdir / "org.Hs.eg.sqlite"
                        with open(target, "wb") as out:
                            shutil.copyfileobj(source, out, 1 << 20)
                        return target
    sys.exit(f"{deb}: no {SQLITE_SUFFIX} inside")


class _Window(io.RawIOBase):
    """A read-only view of ``size`` bytes of an open file from its current position."""

    def __init__(self, handle, size: int):
        self._handle = handle
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self._left)
        if n <= 0:
            return 0
        data = self._handle.read(n)
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)


#: NCBI symbol -> HGNC symbol of the 37 mitochondrially encoded genes (genenames.org gene
#: groups "Mitochondrially encoded ..."; HGNC guidelines: Bruford et al. 2020, Nat Genet 52:754,
#: PMID 32747822). Each is checked against the MT... synonym NCBI lists for the gene.
MITO_HGNC = {
    **{f"ND{n}": f"MT-ND{n}" for n in ("1", "2", "3", "4", "4L", "5", "6")},
    **{f"COX{n}": f"MT-CO{n}" for n in (1, 2, 3)},
    "ATP6": "MT-ATP6",
    "ATP8": "MT-ATP8",
    "CYTB": "MT-CYB",
    "RNR1": "MT-RNR1",
    "RNR2": "MT-RNR2",
    **{f"TRN{aa}": f"MT-T{aa}" for aa in "A C D E F G H I K L1 L2 M N P Q R S1 S2 T V W Y".split()},
}


def mito_symbol(entrez: str, symbol: str, aliases: set[str]) -> str:
    """Return the HGNC ``MT-`` symbol of a chromosome MT gene, checked against its synonyms."""
    if symbol not in MITO_HGNC:
        sys.exit(f"gene {entrez} {symbol} on chromosome MT has no HGNC MT- symbol in MITO_HGNC")
    hgnc = MITO_HGNC[symbol]
    listed = {a for a in aliases if a.startswith("MT") and not a.startswith("MT-")}
    if listed and "MT" + hgnc[3:] not in listed:
        sys.exit(f"gene {entrez} {symbol}: synonyms {sorted(listed)} disagree with {hgnc}")
    return hgnc


def read_genes(sqlite_path: Path) -> tuple[list[tuple[str, ...]], dict[str, str]]:
    """Read one row per gene from the org.Hs.eg.db SQLite file, and its metadata table."""
    con = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        metadata = dict(con.execute("SELECT name, value FROM metadata"))
        genes = con.execute(
            "SELECT g._id, g.gene_id, i.symbol, t.gene_type FROM genes g "
            "JOIN gene_info i ON i._id = g._id LEFT JOIN genetype t ON t._id = g._id"
        ).fetchall()
        many: dict[str, dict[int, set[str]]] = {}
        for table, column in (
            ("chromosomes", "chromosome"),
            ("ensembl", "ensembl_id"),
            ("alias", "alias_symbol"),
        ):
            grouped: dict[int, set[str]] = defaultdict(set)
            for key, value in con.execute(f"SELECT _id, {column} FROM {table}"):  # noqa: S608
                grouped[key].add(value)
            many[table] = grouped
    finally:
        con.close()

    def chrom_key(name: str) -> tuple[int, str]:
        return (int(name), "") if name.isdigit() else (100, name)

    rows: list[tuple[str, ...]] = []
    n_mito = 0
    for key, entrez, symbol, gene_type in genes:
        all_aliases = set(many["alias"].get(key, ()))
        for text in (symbol, *all_aliases):
            if "\t" in text or "\n" in text or "|" in text:
                sys.exit(f"gene {entrez}: identifier {text!r} contains a separator")
        chromosomes = many["chromosomes"].get(key, set())
        if chromosomes == {"MT"}:
            all_aliases.add(symbol)
            symbol = mito_symbol(entrez, symbol, all_aliases)
            n_mito += 1
        aliases = sorted(all_aliases - {symbol})
        rows.append(
            (
                entrez,
                symbol,
                gene_type or "",
                "|".join(sorted(chromosomes, key=chrom_key)),
                "|".join(sorted(many["ensembl"].get(key, ()))),
                "|".join(aliases),
            )
        )
    if n_mito != len(MITO_HGNC):
        sys.exit(f"renamed {n_mito} mitochondrial genes, expected {len(MITO_HGNC)}")
    rows.sort(key=lambda row: int(row[0]))
    return rows, metadata


def write_table(
    rows: list[tuple[str, ...]], path: Path, columns: tuple[str, ...] = COLUMNS
) -> None:
    """Write the rows as a deterministic gzipped TSV (no timestamp, no file name)."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE)
    writer.writerow(columns)
    writer.writerows(rows)
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as handle,
    ):
        handle.write(text.getvalue().encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--deb", type=Path, help=f"path to a {PACKAGE} .deb (default: apt-get download it)"
    )
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="gene_table_") as tmp:
        workdir = Path(tmp)
        deb = args.deb if args.deb is not None else download_deb(workdir)
        control = deb_control(deb)
        deb_sha256 = sha256_file(deb)
        if control.get("Package") != PACKAGE:
            sys.exit(f"{deb}: package is {control.get('Package')!r}, expected {PACKAGE}")
        sqlite_path = extract_sqlite(deb, workdir)
        rows, metadata = read_genes(sqlite_path)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    data_path = args.out_dir / DATA_NAME
    write_table(rows, data_path)
    manifest = {
        "source": {
            "package": PACKAGE,
            "version": control["Version"],
            "deb_sha256": deb_sha256,
            "homepage": control.get("Homepage", ""),
            "licence": "Artistic-2.0",
            "upstream": "Bioconductor org.Hs.eg.db (NCBI Gene gene_info, gene2ensembl)",
            "ncbi_gene_date": metadata.get("EGSOURCEDATE", ""),
            "ensembl_date": metadata.get("ENSOURCEDATE", ""),
        },
        "build_date": dt.date.today().isoformat(),
        "builder": "scripts/build_gene_table.py",
        "file": DATA_NAME,
        "sha256": sha256_file(data_path),
        "bytes": data_path.stat().st_size,
        "columns": list(COLUMNS),
        "adjustments": [
            f"{len(MITO_HGNC)} mitochondrially encoded genes renamed from the NCBI symbol to "
            "the HGNC MT- symbol (NCBI symbol kept as an alias)"
        ],
        "n_genes": len(rows),
        "n_ensembl_ids": sum(len(r[4].split("|")) for r in rows if r[4]),
        "n_aliases": sum(len(r[5].split("|")) for r in rows if r[5]),
    }
    manifest_text = json.dumps(manifest, indent=2) + "\n"
    (args.out_dir / MANIFEST_NAME).write_text(manifest_text)
    # sha256sum -c compatible checksum files next to the data and the manifest
    (args.out_dir / f"{DATA_NAME}.sha256").write_text(f"{manifest['sha256']}  {DATA_NAME}\n")
    manifest_sha = hashlib.sha256(manifest_text.encode("utf-8")).hexdigest()
    (args.out_dir / f"{MANIFEST_NAME}.sha256").write_text(f"{manifest_sha}  {MANIFEST_NAME}\n")
    print(f"wrote {data_path} ({manifest['bytes']:,} bytes, {len(rows):,} genes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
