"""Lesson 13's exercise checks: solutions pass, stubs are "not implemented", the library's own
versions are refused, and the wrong answers whose form matters get a clear message.

The declared mistakes of every check are tested as a table in tests/test_checks_meta.py.
"""
import math

import numpy as np
import pytest

from nnlesson.course.checks import putting_it_all_together as C
from nnlesson.course.checks.putting_it_all_together import (
    check_ablation_configs,
    check_recipe_step,
    check_tuned_ablation,
)
from nnlesson.clip import clip_grad_norm, global_norm
from nnlesson.losses import add_penalty_grad, l2_penalty, softmax_cross_entropy

# --------------------------------------------------------------------------- student versions


def recipe_step(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
    model.zero_grad()
    loss, dlogits = softmax_cross_entropy(model.forward(xb), yb)
    model.backward(dlogits)
    weights = [p for p in model.parameters() if p.value.ndim >= 2]
    loss += add_penalty_grad(weights, l2)
    params = model.parameters()
    norm = global_norm([p.grad for p in params]) if clip_norm is None \
        else clip_grad_norm(params, clip_norm)
    optimizer.lr = schedule(t)
    optimizer.step()
    return loss, norm


def recipe_step_by_hand(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
    """The same step written without the library's helpers for the penalty and the clip."""
    params = model.parameters()
    for p in params:
        p.grad[...] = 0.0
    logits = model.forward(xb)
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    n = len(yb)
    loss = -np.mean(np.log(probs[np.arange(n), yb]))
    dlogits = probs.copy()
    dlogits[np.arange(n), yb] -= 1.0
    model.backward(dlogits / n)
    for p in params:
        if p.value.ndim >= 2:
            loss += l2 / 2 * np.sum(p.value ** 2)
            p.grad += l2 * p.value
    norm = np.sqrt(sum(np.sum(p.grad ** 2) for p in params))
    if clip_norm is not None and norm > clip_norm:
        for p in params:
            p.grad *= clip_norm / (norm + 1e-6)
    optimizer.lr = schedule(t)
    optimizer.step()
    return loss, norm


def ablation_configs(recipe):
    configs = [("full recipe", dict(recipe))]
    for piece, on in recipe.items():
        if on:
            config = dict(recipe)
            config[piece] = False
            configs.append((f"without {piece}", config))
    return configs


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


# --------------------------------------------------------------------------- passing


def test_solutions_pass():
    assert check_recipe_step(recipe_step).passed
    assert check_recipe_step(recipe_step_by_hand).passed
    assert check_ablation_configs(ablation_configs).passed


def test_the_librarys_own_versions_are_refused():
    from nnlesson.course.lessons.putting_it_all_together import ablation_configs as library
    from nnlesson.train import Penalty, fit

    result = check_ablation_configs(library)
    assert result.mistake == "calls the library" and "ablation_configs" in result.message

    def with_fit(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
        history = fit(model, xb, yb, optimizer=optimizer, epochs=1, batch_size=len(xb),
                      shuffle=False, schedule=lambda s: schedule(t + s), penalty=Penalty(l2=l2))
        return history.loss[0], history.grad_norm[0]

    result = check_recipe_step(with_fit)
    assert result.mistake == "calls the library" and "fit" in result.message


def test_zeroing_through_the_optimizer_and_returning_a_list_are_accepted():
    def via_optimizer(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
        optimizer.zero_grad()
        model.zero_grad()  # both: harmless
        return list(recipe_step(model, optimizer, schedule, t, xb, yb, l2, clip_norm))

    assert check_recipe_step(via_optimizer).passed


@pytest.mark.parametrize("check", [check_recipe_step, check_ablation_configs,
                                   check_tuned_ablation])
def test_stubs_are_not_implemented_yet(check):
    result = check(stub)
    assert result.status == "todo" and "not implemented yet" in result.message


# --------------------------------------------------------------------------- step mistakes


def _step(zero=True, clip_first=True, lr_shift=0, set_lr=True, all_params=False,
          penalty_in_loss=True, penalty_after_clip=False, factor=1.0, norm_after=False):
    """A student's step with one mistake switched on (written here, not taken from the check)."""

    def step(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
        if zero:
            for p in model.parameters():
                p.zero_grad()
        loss, dlogits = softmax_cross_entropy(model.forward(xb), yb)
        model.backward(dlogits)
        params = model.parameters()
        targets = params if all_params else [p for p in params if p.value.ndim >= 2]

        def penalize():
            value, grads = l2_penalty(targets, factor * l2)
            for p, g in zip(targets, grads):
                p.grad += g
            return value

        penalty = 0.0 if penalty_after_clip else penalize()
        norm = global_norm([p.grad for p in params])
        if clip_norm is not None and clip_first:
            clip_grad_norm(params, clip_norm)
        if penalty_after_clip:
            penalty = penalize()
        if norm_after:
            norm = global_norm([p.grad for p in params])
        if set_lr:
            optimizer.lr = schedule(t + lr_shift)
        optimizer.step()
        if clip_norm is not None and not clip_first:
            clip_grad_norm(params, clip_norm)
        return loss + (penalty if penalty_in_loss else 0.0), norm

    return step


def zero_grad_at_the_end(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
    """A common variant of forgetting: zeroing after the step leaves the old gradients in."""
    loss, dlogits = softmax_cross_entropy(model.forward(xb), yb)
    model.backward(dlogits)
    loss += add_penalty_grad([p for p in model.parameters() if p.value.ndim >= 2], l2)
    params = model.parameters()
    norm = global_norm([p.grad for p in params]) if clip_norm is None \
        else clip_grad_norm(params, clip_norm)
    optimizer.lr = schedule(t)
    optimizer.step()
    optimizer.zero_grad()
    return loss, norm


@pytest.mark.parametrize("wrong, name", [
    (_step(zero=False), "gradients not zeroed"),
    (zero_grad_at_the_end, "gradients not zeroed"),
    (_step(clip_first=False), "clip missing before the step"),
    (_step(lr_shift=1), "schedule off by one"),
    (_step(set_lr=False), "learning rate not set before the step"),
    (_step(all_params=True), "penalty on every parameter"),
    (_step(penalty_in_loss=False), "penalty missing from the loss"),
    (_step(penalty_after_clip=True), "penalty added after clipping"),
    (_step(factor=2.0), "penalty without the 1/2"),
    (_step(norm_after=True), "norm after clipping returned"),
])
def test_each_step_mistake_is_named(wrong, name):
    result = check_recipe_step(wrong)
    assert not result.passed
    assert result.mistake == name, result


def test_the_explanations_say_what_to_do():
    assert "zero_grad" in check_recipe_step(_step(zero=False)).message
    assert "BEFORE the step" in check_recipe_step(_step(clip_first=False)).message
    assert "schedule(t)" in check_recipe_step(_step(lr_shift=1)).message
    assert "gamma" in check_recipe_step(_step(all_params=True)).message


def test_schedule_minus_one_raises_on_the_first_update_and_says_so():
    result = check_recipe_step(_step(lr_shift=-1))
    assert not result.passed and "raised ValueError" in result.message
    assert "first update" in result.message


# --------------------------------------------------------------------------- step: bad outputs


def test_step_that_raises_gets_one_paragraph():
    def broken(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
        return model.forward(xb.T), 0.0

    result = check_recipe_step(broken)
    assert not result.passed and "your function raised ValueError" in result.message
    assert "Traceback" not in str(result)


def test_step_returning_none_or_only_the_loss():
    def no_return(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
        recipe_step(model, optimizer, schedule, t, xb, yb, l2, clip_norm)

    result = check_recipe_step(no_return)
    assert not result.passed and "returned None" in result.message

    def loss_only(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
        return recipe_step(model, optimizer, schedule, t, xb, yb, l2, clip_norm)[0]

    result = check_recipe_step(loss_only)
    assert not result.passed and "grad_norm" in result.message


def test_step_returning_an_array_for_the_loss():
    def array_loss(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
        loss, norm = recipe_step(model, optimizer, schedule, t, xb, yb, l2, clip_norm)
        return np.full(3, loss), norm

    result = check_recipe_step(array_loss)
    assert not result.passed and "expected a single number" in result.message


def test_step_changing_the_batch_in_place_is_reported():
    def scales_the_batch(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
        xb *= 1.0 + 1e-3
        return recipe_step(model, optimizer, schedule, t, xb, yb, l2, clip_norm)

    result = check_recipe_step(scales_the_batch)
    assert not result.passed and "changed its input `xb` in place" in result.message


def test_step_returning_nan_is_reported():
    def nan_loss(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
        loss, norm = recipe_step(model, optimizer, schedule, t, xb, yb, l2, clip_norm)
        return float("nan"), norm

    result = check_recipe_step(nan_loss)
    assert not result.passed and "NaN" in result.message


# --------------------------------------------------------------------------- ablation mistakes


def aliased(recipe):
    configs = [("full recipe", recipe)]
    for piece in recipe:
        if recipe[piece]:
            config = recipe
            config[piece] = False
            configs.append((f"without {piece}", config))
    return configs


def cumulative(recipe):
    configs, config = [("full recipe", dict(recipe))], dict(recipe)
    for piece, on in recipe.items():
        if on:
            config = dict(config)
            config[piece] = False
            configs.append((f"without {piece}", config))
    return configs


def no_baseline(recipe):
    return ablation_configs(recipe)[1:]


def every_piece(recipe):
    configs = [("full recipe", dict(recipe))]
    for piece in recipe:
        configs.append((f"without {piece}", {**recipe, piece: False}))
    return configs


def flipped(recipe):
    configs = [("full recipe", dict(recipe))]
    for piece, on in recipe.items():
        configs.append((f"without {piece}", {**recipe, piece: not on}))
    return configs


def only_one(recipe):
    configs = [("full recipe", dict(recipe))]
    for piece, on in recipe.items():
        if on:
            configs.append((f"without {piece}", {k: k == piece for k in recipe}))
    return configs


@pytest.mark.parametrize("wrong, name", [
    (cumulative, "pieces removed cumulatively"),
    (no_baseline, "full recipe missing"),
    (every_piece, "pieces that are already off included"),
    (flipped, "pieces flipped"),
    (only_one, "only one piece kept"),
])
def test_each_ablation_mistake_is_named(wrong, name):
    result = check_ablation_configs(wrong)
    assert not result.passed
    assert result.mistake == name, result


def test_switching_pieces_off_in_the_recipe_itself_is_told():
    result = check_ablation_configs(aliased)
    assert not result.passed and "changed its input `recipe` in place" in result.message


def test_ablation_bad_outputs_get_clear_messages():
    result = check_ablation_configs(lambda recipe: None)
    assert not result.passed and "returned None" in result.message

    def raises(recipe):
        return [("full recipe", recipe)] + [(f"without {p}", recipe.without(p)) for p in recipe]

    result = check_ablation_configs(raises)
    assert not result.passed and "raised AttributeError" in result.message

    def wrong_label(recipe):
        return [(label.upper(), cfg) for label, cfg in ablation_configs(recipe)]

    result = check_ablation_configs(wrong_label)
    assert not result.passed and "'full recipe'" in result.message and "'FULL RECIPE'" in result.message

    def names_only(recipe):
        return [label for label, _ in ablation_configs(recipe)]

    result = check_ablation_configs(names_only)
    assert not result.passed and "expected 2 outputs" in result.message


# --------------------------------------------------------------------------- the fair ablation


def tuned_ablation(configs, lrs, accuracy, tune_seed, report_seeds):
    rows = []
    for label, settings in configs:
        scores = np.array([accuracy(settings, lr, tune_seed) for lr in lrs])
        if np.all(np.isnan(scores)):
            rows.append((label, None, math.nan, math.nan, math.nan))
            continue
        best = lrs[int(np.nanargmax(scores))]  # nanargmax: the first maximum, NaN ignored
        reported = [accuracy(settings, best, seed) for seed in report_seeds]
        rows.append((label, best, np.mean(reported), np.min(reported), np.max(reported)))
    return rows


def test_a_vectorised_answer_with_nanargmax_passes():
    result = check_tuned_ablation(tuned_ablation)
    assert result.passed, str(result)


def test_an_answer_that_calls_accuracy_more_often_than_needed_passes():
    def wasteful(configs, lrs, accuracy, tune_seed, report_seeds):
        for label, settings in configs:  # a first pass that only looks
            [accuracy(settings, lr, seed) for lr in lrs for seed in (tune_seed, *report_seeds)]
        return tuned_ablation(configs, lrs, accuracy, tune_seed, report_seeds)

    assert check_tuned_ablation(wasteful).passed


def test_a_dict_instead_of_a_list_of_rows_is_told():
    def as_dict(configs, lrs, accuracy, tune_seed, report_seeds):
        return {row[0]: row[1:] for row in tuned_ablation(configs, lrs, accuracy, tune_seed,
                                                          report_seeds)}

    result = check_tuned_ablation(as_dict)
    assert not result.passed and "of type dict" in result.message


def test_a_row_without_its_label_is_told():
    def no_label(configs, lrs, accuracy, tune_seed, report_seeds):
        return [row[1:] for row in tuned_ablation(configs, lrs, accuracy, tune_seed, report_seeds)]

    result = check_tuned_ablation(no_label)
    assert not result.passed and "expected 5 outputs, got 4" in result.message


def test_the_accuracy_table_finds_the_label_from_the_settings():
    configs = [("a", {"x": True}), ("b", {"x": False})]
    table = C.AccuracyTable(configs, {("a", 0.1, 0): 0.9, ("b", 0.1, 0): 0.5})
    assert table({"x": False}, 0.1, 0) == 0.5 and table(dict(x=True), 0.1, 0) == 0.9
    assert table.calls == 2


# --------------------------------------------------------------------------- families added from held-out answers


def rate_set_after_the_step(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
    """PyTorch's habit: scheduler.step() after optimizer.step(), one rate late."""
    model.zero_grad()
    loss, dlogits = softmax_cross_entropy(model.forward(xb), yb)
    model.backward(dlogits)
    loss += add_penalty_grad([p for p in model.parameters() if p.value.ndim >= 2], l2)
    params = model.parameters()
    norm = global_norm([p.grad for p in params]) if clip_norm is None \
        else clip_grad_norm(params, clip_norm)
    optimizer.step()
    optimizer.lr = schedule(t)
    return loss, norm


def never_clips(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
    model.zero_grad()
    loss, dlogits = softmax_cross_entropy(model.forward(xb), yb)
    model.backward(dlogits)
    loss += add_penalty_grad([p for p in model.parameters() if p.value.ndim >= 2], l2)
    norm = global_norm([p.grad for p in model.parameters()])
    optimizer.lr = schedule(t)
    optimizer.step()
    return loss, norm


@pytest.mark.parametrize("wrong, name", [
    (rate_set_after_the_step, "learning rate not set before the step"),
    (never_clips, "clip missing before the step"),
])
def test_held_out_step_families_are_named(wrong, name):
    result = check_recipe_step(wrong)
    assert not result.passed and result.mistake == name, result


@pytest.mark.parametrize("label, full", [("no {}", "full recipe"), ("{} off", "full recipe"),
                                         ("without {}", "baseline")])
def test_labels_in_another_form_are_named(label, full):
    def relabelled(recipe):
        return [(full, dict(recipe))] + [(label.format(k), {**recipe, k: False})
                                         for k, on in recipe.items() if on]

    result = check_ablation_configs(relabelled)
    assert not result.passed and result.mistake == "labels not in the contract's form", result
    assert "without adam" in result.message


def argmax_after_an_all_nan_test(configs, lrs, accuracy, tune_seed, report_seeds):
    rows = []
    for label, settings in configs:
        scores = [accuracy(settings, lr, tune_seed) for lr in lrs]
        if all(s != s for s in scores):
            rows.append((label, None, math.nan, math.nan, math.nan))
            continue
        best = lrs[int(np.argmax(scores))]  # np.argmax returns the position of a nan
        got = np.array([accuracy(settings, best, s) for s in report_seeds])
        rows.append((label, best, got.mean(), got.min(), got.max()))
    return rows


def low_before_mean(configs, lrs, accuracy, tune_seed, report_seeds):
    return [(label, lr, low, mean, high) for label, lr, mean, low, high in
            tuned_ablation(configs, lrs, accuracy, tune_seed, report_seeds)]


def nan_ignoring_report(configs, lrs, accuracy, tune_seed, report_seeds):
    rows = []
    for label, lr, *_ in tuned_ablation(configs, lrs, accuracy, tune_seed, report_seeds):
        if lr is None:
            rows.append((label, None, math.nan, math.nan, math.nan))
            continue
        settings = dict(configs)[label]
        got = [accuracy(settings, lr, s) for s in report_seeds]
        rows.append((label, lr, np.nanmean(got), np.nanmin(got), np.nanmax(got)))
    return rows


@pytest.mark.parametrize("wrong, name", [
    (argmax_after_an_all_nan_test, "nan taken as the best rate"),
    (low_before_mean, "mean, low, high in the wrong order"),
    (nan_ignoring_report, "diverged report runs left out"),
])
def test_held_out_tuning_families_are_named(wrong, name):
    result = check_tuned_ablation(wrong)
    assert not result.passed and result.mistake == name, result
