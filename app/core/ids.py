"""The ids of symptoms and causes, fixed by ``docs/TAXONOMY.md`` (a copy of the shared one).

A test checks these tuples against the taxonomy tables so the two cannot drift.
"""

from __future__ import annotations

SYMPTOMS: tuple[str, ...] = (
    "nan_loss",
    "loss_spike",
    "loss_diverges",
    "stuck_chance_accuracy",
    "val_stuck_train_improves",
    "eval_mismatch",
    "loss_collapse_zero",
    "overfitting",
    "oscillation",
    "plateau_no_learning",
    "slow_convergence",
    "healthy",
)

CAUSES: tuple[str, ...] = (
    "final_activation_mismatch",
    "mse_for_classification",
    "softmax_with_binary_crossentropy",
    "learning_rate_too_high",
    "learning_rate_too_low",
    "adam_epsilon_too_small",
    "exploding_gradients",
    "vanishing_gradients",
    "dead_relu",
    "bad_initialization",
    "missing_bias",
    "bias_regularized",
    "batchnorm_train_inference_mismatch",
    "batchnorm_small_batch",
    "unnormalized_inputs",
    "activation_on_input",
    "no_shuffle_sorted_data",
    "label_error",
    "class_imbalance",
    "dense_bottleneck",
    "overfitting_small_data",
    "sgd_without_momentum",
    "kl_divergence_misuse",
    "unsafe_lambda_layer",
    "label_loss_mismatch",
    "preprocessing_mismatch",
    "insufficient_capacity",
    "numerically_unstable_loss",
    "accuracy_metric_on_regression",
    "nonfinite_data",
)

UNKNOWN = "unknown"
