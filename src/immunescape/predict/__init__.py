"""Response prediction: published predictors, evaluation and cross-cohort validation.

Published predictors (LORIS) score each patient from his or her own values (per-sample).
The evaluation utilities (AUC with DeLong or bootstrap intervals, the paired DeLong test,
decision thresholds chosen on training data, balanced accuracy, Brier score, calibration) and
the validation helpers (nested cross-validation, leave-one-cohort-out, per-cohort
standardisation) work with any scikit-learn classifier. See docs/predict.md.
"""

from immunescape.predict._cohorts import (
    BASELINES,
    Cohort,
    load_cohort,
    loco_compare,
    loco_grid_search,
    loco_summary,
    nested_loco_compare,
    parse_cohort_spec,
    stack_cohorts,
)
from immunescape.predict._loco import robust_loco
from immunescape.predict._loris import (
    LORIS_INPUTS,
    LorisModel,
    LorisParameters,
    LorisTerm,
    PredictorInputWarning,
    load_loris,
    loris_score,
)
from immunescape.predict._model import (
    FEATURE_SETS,
    MODEL_SCHEMA,
    MODEL_SCHEMA_VERSION,
    ResponseModel,
    drivers,
    load_builtin_model,
    load_model,
    predict_table,
    save_model,
)
from immunescape.predict._published import (
    PUBLISHED_PREDICTORS,
    PublishedPredictor,
    published_predictors,
)
from immunescape.predict._robust import CANDIDATES as ROBUST_CANDIDATES
from immunescape.predict._robust import RobustModel, save_robust
from immunescape.predict._scaling import CohortStandardScaler
from immunescape.predict._validation import leave_one_cohort_out, nested_cv
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

__all__ = [
    "ROBUST_CANDIDATES",
    "RobustModel",
    "robust_loco",
    "save_robust",
    "LORIS_INPUTS",
    "AucResult",
    "CohortStandardScaler",
    "DelongTest",
    "LorisModel",
    "LorisParameters",
    "LorisTerm",
    "PredictorInputWarning",
    "Threshold",
    "auc_ci",
    "balanced_accuracy",
    "brier",
    "calibration_curve",
    "choose_threshold",
    "delong_test",
    "leave_one_cohort_out",
    "load_loris",
    "loris_score",
    "nested_cv",
    "FEATURE_SETS",
    "MODEL_SCHEMA",
    "MODEL_SCHEMA_VERSION",
    "ResponseModel",
    "drivers",
    "load_builtin_model",
    "load_model",
    "predict_table",
    "save_model",
    "PUBLISHED_PREDICTORS",
    "PublishedPredictor",
    "published_predictors",
    "BASELINES",
    "Cohort",
    "load_cohort",
    "loco_compare",
    "loco_grid_search",
    "loco_summary",
    "nested_loco_compare",
    "parse_cohort_spec",
    "stack_cohorts",
]
