#!/usr/bin/env python3
"""Build the vendored gene-coordinate table (GRCh38) from Debian's ``r-bioc-org.hs.eg.db``.

Usage::

    python scripts/build_gene_coords.py [--deb r-bioc-org.hs.eg.db_3.16.0-1_all.deb]
                                        [--out-dir src/immunescape/genomics/data]

The package's SQLite file holds ``chromosome_locations`` (Bioconductor ``CHRLOC`` /
``CHRLOCEND``: UCSC gene positions of each Entrez gene, 0-based starts, negative values for
the minus strand). Its positions are on **GRCh38/hg38** (A1BG at chr19:58,345,183-58,353,492,
as in NCBI Gene's GRCh38.p14 annotation; the GRCh37 position is 58,858,172). The package
holds no GRCh37 positions, so no GRCh37 table is built: give GRCh37 users' own coordinates
(``--gene-coords``).

Output, in ``--out-dir``:

``gene_coords_grch38.tsv.gz``
    ``gene`` (NCBI symbol; mitochondrial genes renamed to HGNC ``MT-`` symbols as in
    ``build_gene_table.py``), ``entrez``, ``chrom`` (no ``chr``), ``start`` (1-based),
    ``end`` (1-based, inclusive): the span of all the gene's locations on one primary
    chromosome (1-22, X, Y, MT; alternate/fix contigs dropped). A gene on X and Y (PAR)
    has one row per chromosome. gzip ``mtime=0``: the same package gives the same bytes.
``gene_coords_grch38.tsv.gz.sha256`` and ``gene_coords.json`` (source package, version,
    sha256 of the .deb, UCSC source date, row count, sha256 of the data file).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_gene_table import (  # noqa: E402
    MITO_HGNC,
    PACKAGE,
    deb_control,
    download_deb,
    extract_sqlite,
    mito_symbol,
    sha256_file,
)

DATA_NAME = "gene_coords_grch38.tsv.gz"
MANIFEST_NAME = "gene_coords.json"
PRIMARY = {str(i) for i in range(1, 23)} | {"X", "Y", "MT"}
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "immunescape" / "genomics" / "data"


def read_coords(sqlite_path: Path) -> tuple[list[tuple], dict[str, str]]:
    con = sqlite3.connect(sqlite_path)
    meta = dict(con.execute("select name, value from metadata"))
    aliases: dict[str, set[str]] = {}
    for gid, alias in con.execute(
        "select g.gene_id, a.alias_symbol from genes g join alias a on g._id = a._id"
    ):
        aliases.setdefault(gid, set()).add(alias)
    spans: dict[tuple[str, str, str], list[int]] = {}
    q = (
        "select g.gene_id, s.symbol, c.seqname, c.start_location, c.end_location "
        "from chromosome_locations c join genes g on g._id = c._id "
        "join gene_info s on s._id = c._id"
    )
    for entrez, symbol, seq, start, end in con.execute(q):
        chrom = str(seq).removeprefix("chr")
        chrom = "MT" if chrom == "M" else chrom
        if chrom not in PRIMARY:
            continue
        a, b = sorted((abs(int(start)), abs(int(end))))
        if chrom == "MT" and symbol in MITO_HGNC:
            symbol = mito_symbol(entrez, symbol, aliases.get(entrez, set()))
        key = (symbol, entrez, chrom)
        if key in spans:
            spans[key][0] = min(spans[key][0], a + 1)
            spans[key][1] = max(spans[key][1], b)
        else:
            spans[key] = [a + 1, b]
    order = {c: i for i, c in enumerate([str(i) for i in range(1, 23)] + ["X", "Y", "MT"])}
    rows = sorted(
        ((s, e, c, v[0], v[1]) for (s, e, c), v in spans.items()),
        key=lambda r: (order[r[2]], r[3], r[0]),
    )
    return rows, meta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deb", type=Path)
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        deb = args.deb or download_deb(work)
        control = deb_control(deb)
        rows, meta = read_coords(extract_sqlite(deb, work))
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\n")
    w.writerow(["gene", "entrez", "chrom", "start", "end"])
    w.writerows(rows)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / DATA_NAME
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(buf.getvalue().encode())
    digest = sha256_file(out)
    (args.out_dir / f"{DATA_NAME}.sha256").write_text(f"{digest}  {DATA_NAME}\n")
    manifest = {
        "source": {
            "package": PACKAGE,
            "version": control.get("Version"),
            "deb_sha256": sha256_file(deb) if deb.exists() else None,
            "upstream": "Bioconductor org.Hs.eg.db chromosome_locations (CHRLOC/CHRLOCEND), "
            "UCSC Genome Bioinformatics, hg38",
            "ucsc_date": meta.get("GPSOURCEDATE"),
            "licence": "Artistic-2.0",
        },
        "genome_build": "GRCh38",
        "build_date": dt.date.today().isoformat(),
        "builder": "scripts/build_gene_coords.py",
        "file": DATA_NAME,
        "sha256": digest,
        "bytes": out.stat().st_size,
        "columns": ["gene", "entrez", "chrom", "start", "end"],
        "coordinates": "1-based inclusive; span of all the gene's UCSC locations per chromosome",
        "n_rows": len(rows),
    }
    (args.out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{len(rows)} rows -> {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
