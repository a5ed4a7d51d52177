"""Auto-checks for the exercises: ``check_<name>(student_function) -> CheckResult``.

Each lesson's checks live in ``nnlesson/course/checks/<slug>.py`` (slugs in
``nnlesson.course``), declared as data with the framework in
:mod:`nnlesson.course.checks._core` (its docstring has a complete example). The package loads
lazily (PEP 562): ``from nnlesson.course.checks import check_adam_update`` imports the one
module that defines it (found in the table below) and the framework, nothing else; importing
the package itself imports no check module. A new check needs one line in ``_CHECKS``
(tests/test_checks_core.py keeps the table in sync with the modules; until then a name missing
from the table is found by importing the modules one by one).
"""
from __future__ import annotations

import importlib

# check function -> the module of this package that defines it
_CHECKS = {
    "check_ravine_gradient": "course_map",
    "check_linear_forward": "backprop_and_gradient_descent",
    "check_linear_backward": "backprop_and_gradient_descent",
    "check_softmax_cross_entropy": "backprop_and_gradient_descent",
    "check_numerical_gradient": "backprop_and_gradient_descent",
    "check_two_layer_network": "backprop_and_gradient_descent",
    "check_gradient_check": "backprop_and_gradient_descent",
    "check_min_max_scaling": "feature_scaling",
    "check_standardization": "feature_scaling",
    "check_mean_normalization": "feature_scaling",
    "check_largest_stable_lr": "feature_scaling",
    "check_iterations_per_epoch": "minibatch_gradient_descent",
    "check_minibatches": "minibatch_gradient_descent",
    "check_largest_safe_lr": "minibatch_gradient_descent",
    "check_momentum_update": "momentum",
    "check_sgd_momentum_update": "momentum",
    "check_nesterov_update": "momentum",
    "check_heavy_ball_settings": "momentum",
    "check_adagrad_update": "adagrad_and_rmsprop",
    "check_rmsprop_update": "adagrad_and_rmsprop",
    "check_rmsprop_warmup_steps": "adagrad_and_rmsprop",
    "check_adam_update": "adam_and_adamw",
    "check_adamw_update": "adam_and_adamw",
    "check_adam_l2_drift": "adam_and_adamw",
    "check_step_decay": "learning_rate_schedules",
    "check_cosine_warm_restarts": "learning_rate_schedules",
    "check_one_cycle": "learning_rate_schedules",
    "check_scaled_plan": "learning_rate_schedules",
    "check_clip_by_global_norm": "gradient_clipping",
    "check_clip_by_value": "gradient_clipping",
    "check_clipped_momentum_step": "gradient_clipping",
    "check_effective_lrs": "gradient_clipping",
    "check_xavier_uniform": "weight_initialization",
    "check_he_normal": "weight_initialization",
    "check_gain_for": "weight_initialization",
    "check_batchnorm1d": "normalization_layers",
    "check_batchnorm_backward": "normalization_layers",
    "check_batchnorm_channels": "normalization_layers",
    "check_layernorm_forward": "normalization_layers",
    "check_l2_penalty": "regularization",
    "check_l1_penalty": "regularization",
    "check_sgd_step_l2": "regularization",
    "check_inverted_dropout": "regularization",
    "check_early_stopping": "regularization",
    "check_train_with_early_stopping": "regularization",
    "check_residual_forward": "residual_connections",
    "check_residual_backward": "residual_connections",
    "check_grad_norms_per_layer": "residual_connections",
    "check_block_scale": "residual_connections",
    "check_recipe_step": "putting_it_all_together",
    "check_ablation_configs": "putting_it_all_together",
    "check_tuned_ablation": "putting_it_all_together",
    "check_range_test_lrs": "diagnosing_and_tuning",
    "check_smooth_losses": "diagnosing_and_tuning",
    "check_range_test_stop": "diagnosing_and_tuning",
    "check_diagnoses": "diagnosing_and_tuning",
    "check_max_lr": "diagnosing_and_tuning",
}

# the framework, from _core
_FRAMEWORK = ("MIME_TYPE", "TIME_LIMIT", "CheckResult", "Case", "Step", "Mistake", "Property",
              "Check", "run_check", "compare_outputs")

__all__ = [*_FRAMEWORK, *sorted(_CHECKS)]


def check_modules():
    """Names of the modules of this package that define checks, sorted."""
    return sorted(set(_CHECKS.values()))


def __getattr__(name):
    if name in _CHECKS:
        return getattr(importlib.import_module(f"{__name__}.{_CHECKS[name]}"), name)
    if name in _FRAMEWORK:
        return getattr(importlib.import_module(f"{__name__}._core"), name)
    if name.startswith("check_"):  # a new check not yet in the table: look for it
        import pkgutil
        for info in pkgutil.iter_modules(__path__):
            if not info.name.startswith("_"):
                module = importlib.import_module(f"{__name__}.{info.name}")
                if callable(getattr(module, name, None)):
                    return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
