"""Benchmark: PyDESeq2 in ``compare`` with one BLAS thread against the default pool (not a test).

``immunescape.compare._de`` runs PyDESeq2 under :func:`immunescape._threads.one_native_thread`.
This script times the same fit both ways in one process, alternating, and prints the ratio
(default pool / one thread) and whether the p-values agree exactly. Data: the Riaz 2017 read
counts of ``../shared/data`` (IMPRES files; the first ``--genes`` expressed genes) with a random
R/NR split, or ``--expr`` for another samples-by-genes or genes-by-samples count table.

Usage: ``python benchmarks/bench_deseq_threads.py [--genes 1500] [--repeats 2] [--expr FILE]``.
"""

from __future__ import annotations

import argparse
import contextlib
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RIAZ = (ROOT.parent / "shared" / "data" / "impres_auslander2018_matlab_cohorts"
        / "Riaz2017_IMPRES_TIMCHAN_counts_expr.tsv.gz")


def main() -> None:
    from immunescape._threads import one_native_thread
    from immunescape.compare._de import _run_deseq

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--expr", type=Path, default=RIAZ)
    ap.add_argument("--genes", type=int, default=1500)
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    if not a.expr.is_file():
        raise SystemExit(f"{a.expr}: not found; give --expr with a count table (genes x samples)")
    counts = pd.read_csv(a.expr, sep="\t", index_col=0).T
    counts = counts.loc[:, counts.sum() > 0].iloc[:, : a.genes].round().astype(int)
    meta = pd.DataFrame({"response": np.random.default_rng(0).choice(["R", "NR"], len(counts))},
                        index=counts.index)
    warnings.simplefilter("ignore")

    def fit(limited: bool) -> tuple[float, np.ndarray]:
        t0 = time.perf_counter()
        with one_native_thread() if limited else contextlib.nullcontext():
            res, _ = _run_deseq(counts, meta, "~response", ["response", "R", "NR"],
                                alpha=0.05, n_jobs=1)
        return time.perf_counter() - t0, res["pvalue"].to_numpy()

    times: dict[bool, list[float]] = {False: [], True: []}
    pvals: dict[bool, np.ndarray] = {}
    for _ in range(a.repeats):
        for limited in (False, True):
            t, p = fit(limited)
            times[limited].append(t)
            pvals[limited] = p
    same = np.array_equal(pvals[False], pvals[True], equal_nan=True)
    print(f"{counts.shape[0]} samples x {counts.shape[1]} genes, {a.repeats} repeats")
    print(f"default pool: {min(times[False]):.1f} s; one thread: {min(times[True]):.1f} s; "
          f"ratio {min(times[False]) / min(times[True]):.1f}x; p-values identical: {same}")


if __name__ == "__main__":
    main()
