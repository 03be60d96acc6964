"""MAF reader speed: ``immunescape.genomics.read_maf`` against ``pandas.read_csv`` of the same file.

Target (issue "fast at every step"): ``read_maf`` <= 5x ``pandas.read_csv(sep="\\t")`` on a
1,000,000-row MAF, both timed in the same run on the same file.

The MAF is synthesised from real MAF rows (``../shared/data/genomics_formats``: the TCGA LAML,
TCGA BRCA, MSK-TEMPO and vcf2maf MAFs, GDC column names): rows are drawn with replacement,
spread over ``--samples`` tumour barcodes, start positions shifted by up to 100 kb, and the
residue number of each HGVSp_Short redrawn (1-3,000), so distinct protein changes number in
the hundreds of thousands, as in a large cohort, not in the hundreds of the source files.

Run from the repository root (not a test; prints one report)::

    python benchmarks/bench_maf.py                 # 1,000,000 rows
    python benchmarks/bench_maf.py --rows 200000   # a smaller run

``read_maf`` is timed with ``resolve_genes=True`` (symbols mapped to current HGNC symbols),
HGVSp parsing, SO/MAF class mapping, position and chromosome checks: everything it does.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    "maftools/tcga_laml.maf.gz",
    "maftools/brca.maf.gz",
    "mskcc_neoantigen/temp_test_somatic_unfiltered.maf",
    "vcf2maf/test_output.vep_isoforms.maf",
    "vcf2maf/test_b38_output.maf",
]
COLUMNS = ["Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", "Chromosome",
           "Start_Position", "End_Position", "Reference_Allele", "Tumor_Seq_Allele2",
           "HGVSp_Short", "HGVSc", "t_depth", "t_alt_count"]  # fmt: skip


def real_rows(data: Path) -> pd.DataFrame:
    parts = []
    for rel in SOURCES:
        df = pd.read_csv(data / rel, sep="\t", comment="#", dtype=str, low_memory=False)
        if "HGVSp_Short" not in df and "Protein_Change" in df:
            df["HGVSp_Short"] = df["Protein_Change"]
        parts.append(df.reindex(columns=COLUMNS))
    rows = pd.concat(parts, ignore_index=True)
    return rows.loc[rows["Tumor_Sample_Barcode"].notna() & rows["Start_Position"].notna()]


def synthesise(rows: pd.DataFrame, n: int, n_samples: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = rows.iloc[rng.integers(0, len(rows), n)].reset_index(drop=True)
    out["Tumor_Sample_Barcode"] = np.char.add("TUMOR-", rng.integers(0, n_samples, n).astype(str))
    shift = rng.integers(0, 100_000, n)
    for c in ("Start_Position", "End_Position"):
        out[c] = (pd.to_numeric(out[c]) + shift).astype("Int64")
    pos = pd.Series(rng.integers(1, 3000, n).astype(str))
    hg = out["HGVSp_Short"].astype("string")
    parts = hg.str.extract(r"^(p\.[A-Z*])\d+(.*)$")
    redrawn = parts[0] + pos + parts[1]
    out["HGVSp_Short"] = redrawn.where(parts[0].notna(), hg)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="timings per reader (best kept)")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" /
                    "genomics_formats")  # fmt: skip
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from immunescape.genomics import read_maf

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohort.maf"
        maf = synthesise(real_rows(args.data), args.rows, args.samples, args.seed)
        maf.to_csv(path, sep="\t", index=False)
        size_mb = path.stat().st_size / 1e6
        n_hgvsp = maf["HGVSp_Short"].nunique()
        del maf
        t_pandas, t_ours = [], []
        for _ in range(args.repeat):  # interleaved, best of each: the machine is shared
            t0 = time.perf_counter()
            ref = pd.read_csv(path, sep="\t")
            t_pandas.append(time.perf_counter() - t0)
            del ref
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mt = read_maf(path)
            t_ours.append(time.perf_counter() - t0)
        t_pandas, t_ours = min(t_pandas), min(t_ours)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"MAF reader benchmark ({platform.python_version()}, {platform.machine()})")
    print(f"file: {args.rows:,} rows x {len(COLUMNS)} columns, {size_mb:.0f} MB, "
          f"{args.samples:,} samples, {n_hgvsp:,} distinct HGVSp_Short")  # fmt: skip
    print(f"best of {args.repeat} runs each, interleaved")
    print(f"pandas.read_csv(sep='\\t'):  {t_pandas:7.2f} s")
    print(f"immunescape read_maf:       {t_ours:7.2f} s  ({len(mt):,} mutations)")
    ratio = t_ours / t_pandas
    print(f"ratio read_maf / read_csv:  {ratio:7.2f}x  (target <= 5x: "
          f"{'met' if ratio <= 5 else 'NOT met'})")
    print(f"peak RSS: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
