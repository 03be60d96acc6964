"""Leave-one-cohort-out table of the built-in model against published predictors (not a test).

Recomputes, from the PredictioR cohorts in ``../shared/data/predictior_icb``, the table of the
model card: for every held-out cohort, n and AUC [95% DeLong CI] of the built-in procedure
(nested LOCO: hyper-parameters chosen without the held-out cohort) and of IMPRES, GEP, CYT,
CD274 and IFNG6 on the same samples, then the mean AUCs. ``--fixed`` uses the shipped
hyper-parameters instead (retraining without each cohort; faster, optimistic).

Usage: ``python benchmarks/loco_table.py [--data DIR] [--fixed]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import time
from pathlib import Path

import pandas as pd

from immunescape.predict import (
    BASELINES,
    FEATURE_SETS,
    load_builtin_model,
    loco_compare,
    loco_summary,
    nested_loco_compare,
)

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
    parser.add_argument("--fixed", action="store_true", help="shipped hyper-parameters")
    args = parser.parse_args()
    logging.getLogger("immunescape").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    signatures = list(dict.fromkeys([*trainer.candidate_features(), *BASELINES.values()]))
    cohorts, _ = trainer.load_all(args.data, signatures=signatures)
    included, excluded = trainer.included_cohorts(cohorts, trainer.candidate_features())
    t_load = time.perf_counter() - t0
    if args.fixed:
        params = dict(load_builtin_model().get_params())
        params = {k: params[k] for k in ("features", "C", "penalty")}
        assert params["features"] in FEATURE_SETS
        table = loco_compare(included, params=params, model_name="model")
        title = f"LOCO with the shipped hyper-parameters {params}"
    else:
        table = nested_loco_compare(included, param_grid=trainer.PARAM_GRID, model_name="model")
        title = "nested LOCO (hyper-parameters chosen without the held-out cohort)"
    t_eval = time.perf_counter() - t0 - t_load
    pd.set_option("display.width", 200)
    print(title)
    print(trainer.wide_table(table, included).to_string(index=False).replace("**", ""))
    print()
    print(loco_summary(table).round(3).to_string(index=False))
    print()
    print("excluded:", ", ".join(excluded))
    print(f"load {t_load:.1f} s, evaluation {t_eval:.1f} s")


if __name__ == "__main__":
    main()
