"""Extract pROC's ``aSAH`` example data from Debian's r-cran-proc into a test fixture.

The DeLong tests of ``immunescape.predict`` compare against pROC's own expected values on
this data set. pROC is GPL-3+, so the data are not committed: CI (``.ci/run``) runs this
script, which writes ``tests/predict/data/asah_proc.tsv`` (git-ignored); the tests skip when
the file is absent.

Usage: ``python scripts/fetch_proc_asah.py [OUT.tsv] [--deb r-cran-proc_*.deb]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from build_progeny import read_rdb_entry, read_rdx  # noqa: E402

PACKAGE = "r-cran-proc"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "tests/predict/data/asah_proc.tsv"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--deb", type=Path, default=None)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        deb = args.deb
        if deb is None:
            subprocess.run(
                ["apt-get", "download", PACKAGE], cwd=work, check=True, capture_output=True
            )
            deb = next(work.glob(f"{PACKAGE}_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(work / "x")], check=True)
        rdb = next((work / "x").rglob("pROC/data/Rdata.rdb"))
        index = read_rdx(rdb.with_suffix(".rdx"))
        table = read_rdb_entry(rdb, *index["aSAH"])
    df = pd.DataFrame(table)[["outcome", "gender", "wfns", "s100b", "ndka"]]
    for col in ("outcome", "gender", "wfns"):
        df[col] = df[col].astype(str)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out, sep="\t", index=False)
    print(f"wrote {args.out} ({len(df)} rows) from {deb.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
