"""Response prediction: published predictors, evaluation and cross-cohort validation.

Published predictors (LORIS) score each patient from his or her own values (per-sample).
The evaluation utilities (AUC with DeLong or bootstrap intervals, the paired DeLong test,
decision thresholds chosen on training data, balanced accuracy, Brier score, calibration) and
the validation helpers (nested cross-validation, leave-one-cohort-out, per-cohort
standardisation) work with any scikit-learn classifier. See docs/predict.md.

Modules: ``_model`` (ResponseModel), ``_robust`` (RobustModel), ``_json`` (saving and
loading), ``_predictions`` (predictions.tsv, drivers), ``_features`` (feature sets,
baselines, candidates), ``_cohorts`` (reading and pooling cohorts), ``_validation``,
``_loco_compare`` and ``_loco`` (honest evaluation), ``_loris`` and ``_published``
(published predictors), ``_scaling`` (per-cohort standardisation), ``_common``.
"""

from immunescape.predict._cohorts import (
    Cohort,
    cohort_name,
    load_cohort,
    parse_cohort_spec,
    stack_cohorts,
    stack_union,
)
from immunescape.predict._features import BASELINES, FEATURE_SETS
from immunescape.predict._features import CANDIDATES as ROBUST_CANDIDATES
from immunescape.predict._json import (
    MODEL_SCHEMA,
    MODEL_SCHEMA_VERSION,
    load_builtin_model,
    load_model,
    save_model,
    save_robust,
)
from immunescape.predict._loco import RobustLoco, robust_loco
from immunescape.predict._loco_compare import (
    LocoComparison,
    loco_compare,
    loco_grid_search,
    loco_summary,
    nested_loco_compare,
)
from immunescape.predict._loris import (
    LORIS_INPUTS,
    LorisModel,
    LorisParameters,
    LorisScores,
    LorisTerm,
    PredictorInputWarning,
    load_loris,
    loris_score,
)
from immunescape.predict._model import ResponseModel
from immunescape.predict._predictions import Predictions, drivers, predict_table
from immunescape.predict._published import (
    PUBLISHED_PREDICTORS,
    PublishedPredictions,
    PublishedPredictor,
    published_predictors,
)
from immunescape.predict._robust import RobustModel
from immunescape.predict._scaling import CohortStandardScaler
from immunescape.predict._validation import Validation, leave_one_cohort_out, nested_cv
from immunescape.stats import (
    AucResult,
    DelongTest,
    Threshold,
    auc_ci,
    balanced_accuracy,
    brier,
    calibration_curve,
    choose_threshold,
    delong_test,
)

# Sorted by kind: models, predictions and results, evaluation, published predictors,
# cohorts, feature tables, statistics.
__all__ = [
    "ResponseModel",
    "RobustModel",
    "CohortStandardScaler",
    "MODEL_SCHEMA",
    "MODEL_SCHEMA_VERSION",
    "load_builtin_model",
    "load_model",
    "save_model",
    "save_robust",
    "Predictions",
    "drivers",
    "predict_table",
    "Validation",
    "leave_one_cohort_out",
    "nested_cv",
    "LocoComparison",
    "loco_compare",
    "loco_grid_search",
    "loco_summary",
    "nested_loco_compare",
    "RobustLoco",
    "robust_loco",
    "LORIS_INPUTS",
    "LorisModel",
    "LorisParameters",
    "LorisScores",
    "LorisTerm",
    "PredictorInputWarning",
    "load_loris",
    "loris_score",
    "PUBLISHED_PREDICTORS",
    "PublishedPredictions",
    "PublishedPredictor",
    "published_predictors",
    "Cohort",
    "load_cohort",
    "cohort_name",
    "parse_cohort_spec",
    "stack_cohorts",
    "stack_union",
    "BASELINES",
    "FEATURE_SETS",
    "ROBUST_CANDIDATES",
    "AucResult",
    "DelongTest",
    "Threshold",
    "auc_ci",
    "balanced_accuracy",
    "brier",
    "calibration_curve",
    "choose_threshold",
    "delong_test",
]
