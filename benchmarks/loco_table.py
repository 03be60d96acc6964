"""Nested leave-one-cohort-out table of the built-in procedure (not a test).

Recomputes, from the PredictioR cohorts in ``../shared/data/predictior_icb``, the table of the
model card: for every held-out cohort, n and AUC [95% DeLong CI] of the built-in procedure
(candidate model, calibration and parameters chosen without the held-out cohort) and of
IMPRES, GEP, CYT, CD274 and IFNG6 on the same samples, the mean and median AUCs, the paired
comparison with the best published predictor, the Brier scores and the reliability curve.
``--candidate NAME`` evaluates one candidate with plain LOCO instead.

Usage: ``python benchmarks/loco_table.py [--data DIR] [--candidate NAME]``. The same table
comes from the command line with ``immunescape evaluate --cohort EXPR:CLIN ...`` (no
``--model``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import time
from pathlib import Path

from immunescape.predict import robust_loco

ROOT = Path(__file__).resolve().parents[1]


def _trainer():
    spec = importlib.util.spec_from_file_location(
        "train_builtin_model", ROOT / "scripts" / "train_builtin_model.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def main() -> None:
    trainer = _trainer()
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=trainer.DEFAULT_DATA)
    parser.add_argument("--candidate", default=None, help="one candidate, plain LOCO")
    args = parser.parse_args()
    logging.getLogger("immunescape").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    loaded, _ = trainer.load_all(args.data)
    cohorts, excluded = trainer.evaluation_cohorts(loaded)
    if args.candidate:
        res = robust_loco(cohorts, candidates=[args.candidate], nested=False)
        title = f"plain LOCO of {args.candidate}"
    else:
        res = robust_loco(cohorts)
        title = "nested LOCO of the built-in procedure"
    print(f"## {title} ({time.perf_counter() - t0:.0f} s)\n")
    print(trainer.markdown(trainer.wide_table(res["table"], cohorts)))
    print()
    print(trainer.markdown(res["choices"][["cohort", "candidate", "calibration"]]))
    print()
    print(trainer.markdown(res["summary"]))
    print()
    print(json.dumps(res["comparison"], indent=1))
    print(f"pooled Brier {res['pooled_brier']:.4f} vs prevalence "
          f"{res['pooled_brier_prevalence']:.4f}")
    print(trainer.markdown(res["reliability"]))
    print("left out:", json.dumps(excluded, indent=1))


if __name__ == "__main__":
    main()
