#!/usr/bin/env python3
"""Fit the immune-phenotype model (``phenotype_model_v2.json``) with nested cross-validation.

Usage::

    python scripts/build_phenotype_model.py [--data ../shared/data/imvigor210_phenotype_dev]
                                            [--out src/immunescape/mechanisms/data]
                                            [--repeats 10]

Data (read at build time only; the coefficients are written, never the data)
-----------------------------------------------------------------------------
IMvigor210 development subset (Mariathasan et al. 2018, Nature 554:544; IMvigor210CoreBiologies
1.0.0 as re-tabulated by github.com/maxiaopeng/dualmarker, MIT): 83 bladder tumours with the
pathologist's CD8 immunohistochemistry phenotype (inflamed 23, excluded 36, desert 24) and a
1,268-gene panel z-scored per gene over the whole IMvigor210 cohort.

Model
-----
For each feature set of :data:`immunescape.mechanisms._phenotype.FEATURE_SETS`: features as
the package computes them on centred data (mean z of the registry gene sets found), a
multinomial logistic regression (scikit-learn ``LogisticRegression``, L2 penalty, lbfgs,
``class_weight="balanced"`` so the small classes count as much as the large one). The
inverse penalty ``C`` is chosen from :data:`C_GRID` by balanced accuracy in an inner
stratified 5-fold cross-validation *within each outer training fold*; the outer loop is
stratified 5-fold repeated ``--repeats`` times. The reported figures (balanced accuracy per
repeat, mean and range, and the summed confusion matrix) are those of the outer test folds
only (mean and SD over repeats, per-class recall). The shipped coefficients are then
fitted on all 83 tumours with ``C`` chosen by the same
inner procedure on all of them.

Calibration (version 2)
-----------------------
A fit chosen for balanced accuracy can give overconfident probabilities (version 1, outer
folds: tumours called with mean probability 0.93 were right 79 % of the time). Each fit
therefore carries a
temperature ``T`` (Guo et al. 2017, ICML, "On calibration of modern neural networks":
probabilities ``softmax(eta / T)``), fitted by minimising the log loss of the out-of-fold
linear predictors of the same inner 5-fold split that chose ``C`` (scipy
``minimize_scalar`` on ``log T``). ``T > 0`` never changes the most probable class, so the
calls and the balanced accuracy are those of version 1; the outer folds now also report the
multiclass Brier score and log loss of the calibrated probabilities, with the class
frequencies of the training fold as the baseline, and a reliability table of the called
class's probability.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from build_phenotype_reference import write_json_resource  # noqa: E402

VERSION = "2"
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
CLASSES = ("inflamed", "excluded", "desert")
SEED = 20180215


def _fit(X: np.ndarray, y: np.ndarray, C: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(X, y)


def _balanced_accuracy(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y, p))


def choose_c(X: np.ndarray, y: np.ndarray, *, seed: int) -> float:
    """Inner loop: the C of :data:`C_GRID` with the best stratified 5-fold balanced accuracy."""
    from sklearn.model_selection import StratifiedKFold

    inner = StratifiedKFold(5, shuffle=True, random_state=seed)
    best, best_c = -1.0, C_GRID[0]
    for C in C_GRID:
        pred = np.empty(len(y), dtype=object)
        for tr, te in inner.split(X, y):
            pred[te] = _fit(X[tr], y[tr], C).predict(X[te])
        ba = _balanced_accuracy(y, pred)
        if ba > best + 1e-12:
            best, best_c = ba, C
    return best_c


def _eta(model, X: np.ndarray) -> np.ndarray:
    """Linear predictors of a fitted multinomial model, columns in :data:`CLASSES` order."""
    order = [list(model.classes_).index(c) for c in CLASSES]
    return (X @ model.coef_.T + model.intercept_)[:, order]


def _softmax(eta: np.ndarray) -> np.ndarray:
    from scipy.special import softmax

    return softmax(eta, axis=1)


def _log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    """Mean negative log probability of the true class (``proba`` in :data:`CLASSES` order)."""
    true = proba[np.arange(len(y)), [CLASSES.index(v) for v in y]]
    return float(-np.log(np.clip(true, 1e-15, 1.0)).mean())


def fit_temperature(eta: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising the log loss of ``softmax(eta / T)`` (``T`` in 0.05-20)."""
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(lambda lt: _log_loss(y, _softmax(eta / np.exp(lt))),
                          bounds=(np.log(0.05), np.log(20.0)), method="bounded",
                          options={"xatol": 1e-6})
    return float(np.exp(res.x))


def choose_temperature(X: np.ndarray, y: np.ndarray, C: float, *, seed: int) -> float:
    """Temperature from the out-of-fold linear predictors of the inner split of ``seed``."""
    from sklearn.model_selection import StratifiedKFold

    eta = np.empty((len(y), len(CLASSES)))
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y):
        eta[te] = _eta(_fit(X[tr], y[tr], C), X[te])
    return fit_temperature(eta, y)


def _brier(y: np.ndarray, proba: np.ndarray) -> float:
    onehot = (y[:, None] == np.asarray(CLASSES)[None, :]).astype(float)
    return float(((proba - onehot) ** 2).sum(axis=1).mean())


def _reliability(conf: np.ndarray, correct: np.ndarray, bins: int = 5) -> list[dict]:
    """Quantile bins of the called class's probability: mean probability vs accuracy."""
    edges = np.quantile(conf, np.linspace(0, 1, bins + 1))
    idx = np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, bins - 1)
    return [{"n": int((idx == b).sum()), "mean_probability": round(float(conf[idx == b].mean()), 3),
             "fraction_correct": round(float(correct[idx == b].mean()), 3)}
            for b in range(bins) if (idx == b).any()]


def nested_cv(X: np.ndarray, y: np.ndarray, *, repeats: int) -> dict:
    """Repeated stratified 5-fold outer CV with C and the temperature chosen in the inner loop."""
    from sklearn.metrics import confusion_matrix
    from sklearn.model_selection import StratifiedKFold

    per_repeat, cm = [], np.zeros((3, 3), dtype=int)
    chosen, temps = [], []
    brier, brier0, loss, loss0, conf, correct = [], [], [], [], [], []
    for r in range(repeats):
        outer = StratifiedKFold(5, shuffle=True, random_state=SEED + r)
        pred = np.empty(len(y), dtype=object)
        proba = np.empty((len(y), len(CLASSES)))
        prior = np.empty((len(y), len(CLASSES)))
        for k, (tr, te) in enumerate(outer.split(X, y)):
            inner_seed = SEED + 1000 * r + k
            C = choose_c(X[tr], y[tr], seed=inner_seed)
            T = choose_temperature(X[tr], y[tr], C, seed=inner_seed)
            chosen.append(C)
            temps.append(T)
            m = _fit(X[tr], y[tr], C)
            pred[te] = m.predict(X[te])
            proba[te] = _softmax(_eta(m, X[te]) / T)
            prior[te] = [(y[tr] == c).mean() for c in CLASSES]
        per_repeat.append(_balanced_accuracy(y, pred))
        cm += confusion_matrix(y, pred, labels=list(CLASSES))
        brier.append(_brier(y, proba))
        brier0.append(_brier(y, prior))
        loss.append(_log_loss(y, proba))
        loss0.append(_log_loss(y, prior))
        conf.append(proba.max(axis=1))
        correct.append(np.asarray(CLASSES)[proba.argmax(axis=1)] == y)
    calibration = {
        "brier_mean": round(float(np.mean(brier)), 4),
        "brier_class_frequencies": round(float(np.mean(brier0)), 4),
        "log_loss_mean": round(float(np.mean(loss)), 4),
        "log_loss_class_frequencies": round(float(np.mean(loss0)), 4),
        "reliability_called_class": _reliability(np.concatenate(conf),
                                                 np.concatenate(correct)),
        "temperature_range": [round(float(min(temps)), 3), round(float(max(temps)), 3)],
    }
    return {
        "design": f"stratified 5-fold x {repeats} repeats (seeds {SEED}+r); C chosen by "
                  f"inner stratified 5-fold (seed {SEED}+1000r+k) balanced accuracy within "
                  "each outer training fold k",
        "balanced_accuracy_per_repeat": [round(float(v), 4) for v in per_repeat],
        "balanced_accuracy_mean": round(float(np.mean(per_repeat)), 4),
        "balanced_accuracy_sd": round(float(np.std(per_repeat, ddof=1)), 4),
        "balanced_accuracy_min": round(float(np.min(per_repeat)), 4),
        "balanced_accuracy_max": round(float(np.max(per_repeat)), 4),
        "recall": {c: round(float(cm[i, i] / cm[i].sum()), 4) for i, c in enumerate(CLASSES)},
        "confusion_matrix": {"rows_true_cols_called": list(CLASSES),
                             "counts_summed_over_repeats": cm.tolist()},
        "c_chosen": {str(c): chosen.count(c) for c in sorted(set(chosen))},
        "calibration": calibration,
    }


def load_dev(data: Path) -> tuple[pd.DataFrame, pd.Series]:
    """Features (as the package computes them on centred data) and labels of the dev set."""
    from immunescape.io import read_expression
    from immunescape.mechanisms._phenotype import phenotype_features, phenotype_gene_z

    expr, _ = read_expression(data / "imvigor210_dev_expr_zscore_panel.tsv.gz", unit="zscore")
    z, _, _ = phenotype_gene_z(expr)
    feats, _ = phenotype_features(z)
    lab = pd.read_csv(data / "imvigor210_dev_phenotype.tsv", sep="\t", dtype=str)
    y = lab.set_index("sample_id")["immune_phenotype"].reindex(feats.index)
    return feats, y


def main(argv: list[str] | None = None) -> int:
    import warnings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data/imvigor210_phenotype_dev")
    ap.add_argument("--out", default="src/immunescape/mechanisms/data")
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    from immunescape.mechanisms._phenotype import FEATURE_SETS

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        feats, y = load_dev(Path(args.data))
    doc: dict = {
        "version": VERSION, "file": f"phenotype_model_v{VERSION}.json",
        "built_by": "scripts/build_phenotype_model.py", "classes": list(CLASSES),
        "training": {"data": "IMvigor210 development subset (Mariathasan et al. 2018), 83 "
                     "bladder tumours, pathologist CD8 IHC phenotype",
                     "n": {c: int((y == c).sum()) for c in CLASSES},
                     "features": "mean z-score of the registry gene sets found "
                                 "(z within the IMvigor210 cohort)",
                     "estimator": "sklearn LogisticRegression(multinomial, L2, lbfgs, "
                                  "class_weight='balanced')", "c_grid": list(C_GRID),
                     "calibration": "probabilities softmax((X coef' + intercept) / "
                                    "temperature); temperature by inner-CV log loss"},
        "feature_sets": {},
    }
    yv = y.to_numpy(dtype=object)
    for name, cols in FEATURE_SETS.items():
        X = feats[list(cols)].to_numpy(float)
        if np.isnan(X).any():
            raise SystemExit(f"feature set {name}: a feature is missing on the dev data")
        with threadpool_limits(1):  # tiny fits: BLAS threads only contend (10x slower)
            cv = nested_cv(X, yv, repeats=args.repeats)
            C = choose_c(X, yv, seed=SEED)
            T = choose_temperature(X, yv, C, seed=SEED)
            m = _fit(X, yv, C)
        order = [list(m.classes_).index(c) for c in CLASSES]
        doc["feature_sets"][name] = {
            "features": list(cols), "C": C,
            "coef": [[round(float(v), 6) for v in m.coef_[i]] for i in order],
            "intercept": [round(float(m.intercept_[i]), 6) for i in order],
            "temperature": round(T, 6),
            "cv": cv,
        }
        print(f"{name}: balanced accuracy {cv['balanced_accuracy_mean']:.3f} +- "
              f"{cv['balanced_accuracy_sd']:.3f} ({cv['balanced_accuracy_min']:.3f}-"
              f"{cv['balanced_accuracy_max']:.3f}); recall {cv['recall']}; "
              f"C={C}; T={T:.3f}; confusion "
              f"{cv['confusion_matrix']['counts_summed_over_repeats']}; calibration "
              f"{cv['calibration']}", file=sys.stderr)
    write_json_resource(doc, Path(args.out), indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
