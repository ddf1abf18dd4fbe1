"""Every symptom detector and cause rule, listed explicitly and imported on first use.

No directory scanning (it breaks in frozen apps), no registration by import side effect.
The CLI catalog (``traindoc rules``), the rule reference (``docs/rules.md``) and the GUI's
"about this cause" text are all generated from these lists.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from app.rules.base import CauseRule, SymptomDetector

# "module:Class". The healthy detector runs last: it speaks only when the others are silent.
SYMPTOM_DETECTORS: tuple[str, ...] = (
    "app.rules.symptoms.nan_loss:NanLoss",
    "app.rules.symptoms.loss_spike:LossSpike",
    "app.rules.symptoms.loss_diverges:LossDiverges",
    "app.rules.symptoms.stuck_chance_accuracy:StuckChanceAccuracy",
    "app.rules.symptoms.val_stuck_train_improves:ValStuckTrainImproves",
    "app.rules.symptoms.eval_mismatch:EvalMismatch",
    "app.rules.symptoms.loss_collapse_zero:LossCollapseZero",
    "app.rules.symptoms.oscillation:Oscillation",
    "app.rules.symptoms.overfitting:Overfitting",  # after oscillation and val_stuck: it defers to them
    "app.rules.symptoms.plateau_no_learning:PlateauNoLearning",
    "app.rules.symptoms.slow_convergence:SlowConvergence",
    "app.rules.symptoms.healthy:Healthy",
)

CAUSE_RULES: tuple[str, ...] = (
    "app.rules.causes.final_activation_mismatch:FinalActivationMismatch",
    "app.rules.causes.mse_for_classification:MseForClassification",
    "app.rules.causes.softmax_with_binary_crossentropy:SoftmaxWithBinaryCrossentropy",
    "app.rules.causes.learning_rate_too_high:LearningRateTooHigh",
    "app.rules.causes.learning_rate_too_low:LearningRateTooLow",
    "app.rules.causes.adam_epsilon_too_small:AdamEpsilonTooSmall",
    "app.rules.causes.exploding_gradients:ExplodingGradients",
    "app.rules.causes.vanishing_gradients:VanishingGradients",
    "app.rules.causes.dead_relu:DeadRelu",
    "app.rules.causes.bad_initialization:BadInitialization",
    "app.rules.causes.missing_bias:MissingBias",
    "app.rules.causes.bias_regularized:BiasRegularized",
    "app.rules.causes.sgd_without_momentum:SgdWithoutMomentum",
    "app.rules.causes.kl_divergence_misuse:KlDivergenceMisuse",
    "app.rules.causes.batchnorm_train_inference_mismatch:BatchnormTrainInferenceMismatch",
    "app.rules.causes.batchnorm_small_batch:BatchnormSmallBatch",
    "app.rules.causes.unnormalized_inputs:UnnormalizedInputs",
    "app.rules.causes.activation_on_input:ActivationOnInput",
    "app.rules.causes.no_shuffle_sorted_data:NoShuffleSortedData",
    "app.rules.causes.label_error:LabelError",
    "app.rules.causes.class_imbalance:ClassImbalance",
    "app.rules.causes.dense_bottleneck:DenseBottleneck",
    "app.rules.causes.overfitting_small_data:OverfittingSmallData",
    "app.rules.causes.unsafe_lambda_layer:UnsafeLambdaLayer",
    "app.rules.causes.label_loss_mismatch:LabelLossMismatch",
    "app.rules.causes.preprocessing_mismatch:PreprocessingMismatch",
    "app.rules.causes.insufficient_capacity:InsufficientCapacity",
    "app.rules.causes.numerically_unstable_loss:NumericallyUnstableLoss",
    "app.rules.causes.accuracy_metric_on_regression:AccuracyMetricOnRegression",
    "app.rules.causes.nonfinite_data:NonfiniteData",
)


def _load(spec: str):
    module_name, _, class_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


@lru_cache(maxsize=1)
def detectors() -> tuple[SymptomDetector, ...]:
    return tuple(_load(spec)() for spec in SYMPTOM_DETECTORS)


@lru_cache(maxsize=1)
def cause_rules() -> tuple[CauseRule, ...]:
    return tuple(_load(spec)() for spec in CAUSE_RULES)


def cause_rule(cause_id: str) -> CauseRule:
    for rule in cause_rules():
        if rule.id == cause_id:
            return rule
    raise KeyError(cause_id)


def detector(symptom_id: str) -> SymptomDetector:
    for item in detectors():
        if item.id == symptom_id:
            return item
    raise KeyError(symptom_id)
