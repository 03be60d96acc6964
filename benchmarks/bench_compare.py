"""Benchmark: ``immunescape compare`` against ``immunescape run`` on the same inputs (not a test).

Target (issue "Fast at every step"): ``compare`` costs at most 2x ``run`` on the same simulated
cohort and inputs (expression, clinical, MAF, copy number), at 60 and 1,000 samples, with the
default of no static figures. ``compare --figures png,svg`` (matplotlib files on request) is
timed too, for information. Every figure comes from one process and one run; the ratios are
the result (the machine's absolute speed and load vary).

Usage: ``python benchmarks/bench_compare.py [--samples 60 1000] [--genes 5000]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def _cli(args: list[str]) -> float:
    from immunescape.cli import main

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as e:
        code = main(args)
    if code != 0:
        raise SystemExit(f"immunescape {' '.join(args[:1])} failed: {e.getvalue().strip()}")
    return time.perf_counter() - t0


def _inputs(n: int, genes: int | None, seed: int, root: Path) -> tuple[list[str], list[str]]:
    from immunescape.datasets import simulate_cohort, write_cohort

    cohort = simulate_cohort(n, n_genes=genes, seed=seed)
    d = write_cohort(cohort, root / f"inputs_{n}", include_truth=False)
    capture = str((getattr(cohort, "params", {}) or {}).get("capture_mb", 30.0))
    common = ["--expr", str(d / "expression.tsv"), "--unit", "tpm",
              "--clinical", str(d / "clinical.tsv"), "--maf", str(d / "maf.tsv"),
              "--cna", str(d / "cna.tsv"), "--capture-mb", capture]
    run = ["run", *common, "--dna-samples", "all"]
    compare = ["compare", *common]
    return run, compare


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, nargs="+", default=[60, 1000])
    ap.add_argument("--genes", type=int, default=None, help="default: the simulator's 5,000")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-static", action="store_true", help="skip the --figures png,svg run")
    args = ap.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="bench_compare_"))
    try:
        run, compare = _inputs(40, args.genes, args.seed, root)  # warm-up: imports, caches
        _cli([*run, "-o", str(root / "w_run")])
        _cli([*compare, "-o", str(root / "w_cmp")])
        print(f"load average {os.getloadavg()[0]:.2f} (1 min) at start")
        print(f"{'samples':>8} {'run s':>8} {'compare s':>10} {'ratio':>6} "
              f"{'+png,svg s':>11} {'ratio':>6}")
        worst = 0.0
        for n in args.samples:
            run, compare = _inputs(n, args.genes, args.seed, root)
            t_run = _cli([*run, "-o", str(root / f"run_{n}")])
            t_cmp = _cli([*compare, "-o", str(root / f"cmp_{n}")])
            worst = max(worst, t_cmp / t_run)
            line = f"{n:>8} {t_run:>8.2f} {t_cmp:>10.2f} {t_cmp / t_run:>6.2f}"
            if not args.no_static:
                t_fig = _cli([*compare, "--figures", "png,svg", "-o", str(root / f"fig_{n}")])
                n_files = len(list((root / f"fig_{n}" / "figures").iterdir()))
                line += f" {t_fig:>11.2f} {t_fig / t_run:>6.2f}  ({n_files} files)"
            print(line, flush=True)
        print(f"load average {os.getloadavg()[0]:.2f} (1 min) at end")
        print(f"worst compare/run ratio {worst:.2f} (target <= 2)")
        return 0 if worst <= 2.0 else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
