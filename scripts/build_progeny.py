#!/usr/bin/env python3
"""Build the vendored PROGENy human model from Debian's ``r-bioc-progeny``.

Usage::

    python scripts/build_progeny.py [--deb r-bioc-progeny_1.20.0+ds-1_all.deb]
                                    [--out-dir src/immunescape/pathways/data]
                                    [--tests-dir tests/pathways/data]

Without ``--deb`` the script runs ``apt-get download r-bioc-progeny`` in a temporary directory
(needs ``apt-get update`` to have been run). The .deb is unpacked with ``dpkg-deb -x``.

Source
------
The Bioconductor package ``progeny`` (Schubert et al. 2018, Nat Commun 9:20, PMID 29295995;
Apache License 2.0) ships its models as lazy-load data in ``progeny/data/Rdata.rdb`` with the
index ``Rdata.rdx``. The index is a gzip-compressed R serialization of a list whose element
``variables`` maps each object name to ``(offset, length)`` in the .rdb file. Each .rdb entry
is a 4-byte big-endian length of the uncompressed data, one byte giving the compression
(``Z`` zlib, ``2`` bzip2, ``X`` xz, ``0`` none) and then the compressed R serialization. The
serialized objects are decoded with the PyPI package ``rdata``. ``model_human_full`` is a data
frame with columns ``gene``, ``pathway``, ``weight`` and ``p.value`` (274,143 rows in 1.20.0).

R's ``getModel(organism, top)`` keeps, per pathway, ``dplyr::top_n(top, wt = -p.value)``: the
rows whose minimum rank of ascending p-value is ``<= top`` (ties at the boundary are all kept).

Outputs
-------
In ``--out-dir``:

``progeny_human.tsv.gz``
    The rows of ``model_human_full`` whose per-pathway minimum rank of p-value is ``<= 1000``
    (:data:`MAX_TOP`), i.e. exactly what R's ``getModel("Human", top=1000)`` selects, with the
    p-values kept so that any ``top <= 1000`` is selectable at run time with R's rule (for such
    a ``top`` the selection is identical to the one made on the full model, because every row
    with a smaller p-value is stored). Columns ``pathway``, ``gene``, ``weight``, ``p_value``;
    sorted by pathway (R's column order), p-value, gene. Floats written with Python's shortest
    round-trip ``repr`` so the float64 values are exact. gzip with ``mtime=0`` and no file name
    so the same package gives the same bytes. The full model (all 22,479 genes x 14 pathways)
    would be 6.4 MB compressed; 1000 per pathway is 0.33 MB.
``progeny_human.tsv.gz.sha256``
    ``sha256sum`` line for the data file.
``progeny_manifest.json``
    Source package, versions, sha256 of the .deb, licence and copyright, citation, what is
    stored, row counts and the sha256 of the data file.

In ``--tests-dir`` (the package's own test oracle, see its README.md):

``human_input.csv`` and ``human_def_expected.csv``
    Copied byte for byte from ``progeny/extdata/``, plus ``SHA256SUMS``.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import hashlib
import io
import json
import lzma
import shutil
import struct
import subprocess
import sys
import tempfile
import warnings
import zlib
from pathlib import Path

import pandas as pd

PACKAGE = "r-bioc-progeny"
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "immunescape" / "pathways" / "data"
DEFAULT_TESTS = ROOT / "tests" / "pathways" / "data"
LIB = Path("usr/lib/R/site-library/progeny")
DATA_NAME = "progeny_human.tsv.gz"
MANIFEST_NAME = "progeny_manifest.json"
MAX_TOP = 1000
#: R's column order of getModel() (tidyr::spread over the factor levels of ``pathway``).
PATHWAYS = (
    "Androgen", "EGFR", "Estrogen", "Hypoxia", "JAK-STAT", "MAPK", "NFkB",
    "p53", "PI3K", "TGFb", "TNFa", "Trail", "VEGF", "WNT",
)  # fmt: skip
ORACLE_FILES = ("human_input.csv", "human_def_expected.csv")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    return sha256_bytes(path.read_bytes())


def download_deb(workdir: Path) -> Path:
    """Run ``apt-get download`` for the package into ``workdir`` and return the .deb path."""
    subprocess.run(["apt-get", "download", PACKAGE], cwd=workdir, check=True)
    debs = sorted(workdir.glob(f"{PACKAGE}_*.deb"))
    if len(debs) != 1:
        sys.exit(f"expected one {PACKAGE} .deb in {workdir}, found {len(debs)}")
    return debs[0]


def unpack(deb: Path, dest: Path) -> Path:
    """``dpkg-deb -x`` the package into ``dest``; return the R library directory."""
    subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], check=True)
    lib = dest / LIB
    if not (lib / "data" / "Rdata.rdb").is_file():
        sys.exit(f"{deb}: no {LIB}/data/Rdata.rdb inside")
    return lib


def _unserialize(data: bytes):
    import rdata

    with warnings.catch_warnings():
        # rdata warns about the (absent) file extension of in-memory data
        warnings.simplefilter("ignore", UserWarning)
        return rdata.conversion.convert(rdata.parser.parse_data(data))


def read_rdx(path: Path) -> dict[str, tuple[int, int]]:
    """Parse a lazy-load index: object name -> (offset, length) in the .rdb file."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    index = _unserialize(raw)
    variables = index["variables"]
    return {str(k): (int(v[0]), int(v[1])) for k, v in variables.items()}


def read_rdb_entry(rdb: Path, offset: int, length: int):
    """Decompress and unserialize one entry of a lazy-load database."""
    with open(rdb, "rb") as handle:
        handle.seek(offset)
        blob = handle.read(length)
    (size,) = struct.unpack(">I", blob[:4])
    kind, payload = blob[4:5], blob[5:]
    if kind == b"Z":
        data = zlib.decompress(payload)
    elif kind == b"2":
        data = bz2.decompress(payload)
    elif kind == b"X":
        data = lzma.decompress(payload)
    elif kind == b"0":
        data = payload
    else:
        # R's oldest format: no type byte, the whole remainder is zlib
        data = zlib.decompress(blob[4:])
    if len(data) != size:
        sys.exit(f"{rdb}: entry at {offset} has {len(data)} bytes, header says {size}")
    return _unserialize(data)


def description(lib: Path) -> dict[str, str]:
    """Fields of the R package DESCRIPTION file (continuation lines joined)."""
    fields: dict[str, str] = {}
    key = None
    for line in (lib / "DESCRIPTION").read_text(encoding="utf-8").splitlines():
        if line[:1].isspace() and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    return fields


def deb_version(deb: Path) -> str:
    out = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def select_top(full: pd.DataFrame, top: int) -> pd.DataFrame:
    """R's ``group_by(pathway) %>% top_n(top, wt = -p.value)``: min rank of p-value <= top."""
    rank = full.groupby("pathway", observed=True)["p_value"].rank(method="min")
    return full[rank <= top]


def build_table(model: pd.DataFrame) -> pd.DataFrame:
    full = pd.DataFrame(
        {
            "pathway": model["pathway"].astype(str),
            "gene": model["gene"].astype(str),
            "weight": model["weight"].astype(float),
            "p_value": model["p.value"].astype(float),
        }
    )
    if full.isna().any().any():
        sys.exit("model_human_full has missing values")
    if full.duplicated(["pathway", "gene"]).any():
        sys.exit("model_human_full has duplicated (pathway, gene) rows")
    if set(full["pathway"]) != set(PATHWAYS):
        sys.exit(f"unexpected pathways: {sorted(set(full['pathway']))}")
    sub = select_top(full, MAX_TOP).copy()
    sub["pathway"] = pd.Categorical(sub["pathway"], categories=PATHWAYS, ordered=True)
    sub = sub.sort_values(["pathway", "p_value", "gene"], kind="mergesort")
    sub["pathway"] = sub["pathway"].astype(str)
    return sub.reset_index(drop=True)


def write_tsv_gz(table: pd.DataFrame, path: Path) -> bytes:
    lines = ["\t".join(table.columns)]
    for row in table.itertuples(index=False):
        lines.append(f"{row.pathway}\t{row.gene}\t{row.weight!r}\t{row.p_value!r}")
    text = ("\n".join(lines) + "\n").encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(text)
    data = buf.getvalue()
    path.write_bytes(data)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deb", type=Path, help="r-bioc-progeny .deb (else apt-get download)")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--tests-dir", type=Path, default=DEFAULT_TESTS)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        deb = args.deb.resolve() if args.deb else download_deb(tmpdir)
        lib = unpack(deb, tmpdir / "x")
        desc = description(lib)
        index = read_rdx(lib / "data" / "Rdata.rdx")
        if "model_human_full" not in index:
            sys.exit(f"no model_human_full in Rdata.rdx (objects: {sorted(index)})")
        model = read_rdb_entry(lib / "data" / "Rdata.rdb", *index["model_human_full"])
        table = build_table(model)
        n_full = len(model)
        n_genes_full = int(model["gene"].astype(str).nunique())

        args.out_dir.mkdir(parents=True, exist_ok=True)
        data = write_tsv_gz(table, args.out_dir / DATA_NAME)
        digest = sha256_bytes(data)
        (args.out_dir / f"{DATA_NAME}.sha256").write_text(f"{digest}  {DATA_NAME}\n")

        args.tests_dir.mkdir(parents=True, exist_ok=True)
        oracle = {}
        for name in ORACLE_FILES:
            src = lib / "extdata" / name
            shutil.copyfile(src, args.tests_dir / name)
            oracle[name] = sha256_file(src)
        (args.tests_dir / "SHA256SUMS").write_text(
            "".join(f"{h}  {n}\n" for n, h in oracle.items())
        )

        per_pathway = table.groupby("pathway", sort=False).size().to_dict()
        manifest = {
            "resource": "PROGENy human model (footprint genes, weights, p-values)",
            "file": DATA_NAME,
            "sha256": digest,
            "version": desc.get("Version"),
            "source_version": deb_version(deb),
            "source_package": PACKAGE,
            "source_package_version": deb_version(deb),
            "source_deb": deb.name,
            "source_deb_sha256": sha256_file(deb),
            "r_package": desc.get("Package"),
            "r_package_version": desc.get("Version"),
            "r_package_git_commit": desc.get("git_last_commit"),
            "r_package_date": desc.get("Date/Publication"),
            "r_object": "progeny::model_human_full (data/Rdata.rdb)",
            "licence": "Apache-2.0",
            "licence_note": (
                "PROGENy is distributed under the Apache License 2.0 "
                "(https://www.apache.org/licenses/LICENSE-2.0). Copyright 2017-2021 Michael "
                "Schubert, Alberto Valdeolivas, Christian H. Holland, Igor Bulanov, Aurelien "
                "Dugourd. Modified by immunescape: subset to the top 1000 genes per pathway by "
                "p-value and converted to a TSV table; values unchanged."
            ),
            "citation": (
                "Schubert M, Klinger B, Kluenemann M, Sieber A, Uhlitz F, Sauer S, Garnett MJ, "
                "Bluethgen N, Saez-Rodriguez J. Perturbation-response genes reveal signaling "
                "footprints in cancer gene expression. Nat Commun. 2018;9(1):20."
            ),
            "pmid": "29295995",
            "doi": "10.1038/s41467-017-02391-6",
            "stored": (
                f"rows of model_human_full with per-pathway minimum rank of p-value <= "
                f"{MAX_TOP} (R getModel('Human', top={MAX_TOP})); any top <= {MAX_TOP} is "
                "selected at run time with R's rule"
            ),
            "max_top": MAX_TOP,
            "columns": list(table.columns),
            "pathways": list(PATHWAYS),
            "n_rows": len(table),
            "n_genes": int(table["gene"].nunique()),
            "rows_per_pathway": {k: int(v) for k, v in per_pathway.items()},
            "full_model_rows": n_full,
            "full_model_genes": n_genes_full,
            "selection_rule": "dplyr::top_n(top, wt = -p.value) per pathway: ties kept",
            "test_oracle_sha256": oracle,
            "builder": "scripts/build_progeny.py",
        }
        (args.out_dir / MANIFEST_NAME).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    print(f"wrote {args.out_dir / DATA_NAME} ({len(table)} rows, sha256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
