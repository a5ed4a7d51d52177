"""Lesson 08's exercise checks: solutions pass, stubs are "not implemented", mistakes are named."""
import math

import numpy as np
import pytest

from nnlesson.course.checks.gradient_clipping import (
    check_clip_by_global_norm,
    check_clip_by_value,
    check_clipped_momentum_step,
)
from nnlesson.clip import clip_by_global_norm as library_clip_norm
from nnlesson.clip import clip_by_value as library_clip_value
from nnlesson.optim import momentum_update

# --------------------------------------------------------------------------- student versions


def _global(grads):
    return math.sqrt(sum(float(np.sum(g * g)) for g in grads))


def clip_by_global_norm(grads, max_norm):
    total = _global(grads)
    return [max_norm * g / max(total, max_norm) for g in grads], total


def clip_by_value(grads, clip_value):
    return [np.maximum(np.minimum(g, clip_value), -clip_value) for g in grads]


def clipped_momentum_step(params, grads, velocities, lr, beta, max_norm):
    clipped, total = clip_by_global_norm(grads, max_norm)
    new_v = [beta * v + (1 - beta) * g for v, g in zip(velocities, clipped)]
    new_w = [w - lr * v for w, v in zip(params, new_v)]
    return new_w, new_v, total


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


# --------------------------------------------------------------------------- passing


def test_student_solutions_and_the_library_pass():
    assert check_clip_by_global_norm(clip_by_global_norm).passed
    assert check_clip_by_global_norm(library_clip_norm).passed  # with PyTorch's 1e-6
    assert check_clip_by_value(clip_by_value).passed
    assert check_clip_by_value(library_clip_value).passed
    assert check_clipped_momentum_step(clipped_momentum_step).passed


def test_the_library_inside_the_step_passes():
    def library_step(params, grads, velocities, lr, beta, max_norm):
        clipped, total = library_clip_norm(grads, max_norm)
        pairs = [momentum_update(w, g, v, lr=lr, beta=beta)
                 for w, g, v in zip(params, clipped, velocities)]
        return [w for w, _ in pairs], [v for _, v in pairs], total

    assert check_clipped_momentum_step(library_step).passed


def test_a_tuple_of_arrays_is_accepted_for_the_list():
    def as_tuple(grads, max_norm):
        clipped, total = clip_by_global_norm(grads, max_norm)
        return tuple(clipped), total

    assert check_clip_by_global_norm(as_tuple).passed


@pytest.mark.parametrize("check", [check_clip_by_global_norm, check_clip_by_value,
                                   check_clipped_momentum_step])
def test_stubs_are_not_implemented_yet(check):
    result = check(stub)
    assert result.status == "todo" and "not implemented yet" in result.message


# --------------------------------------------------------------------------- norm mistakes


def per_tensor(grads, max_norm):
    out = []
    for g in grads:
        n = math.sqrt(float(np.sum(g * g)))
        out.append(g * max_norm / max(n, max_norm))
    return out, _global(grads)


def norm_after_clipping(grads, max_norm):
    clipped, _ = clip_by_global_norm(grads, max_norm)
    return clipped, _global(clipped)


def always_rescaled(grads, max_norm):
    total = np.sqrt(sum(np.sum(g * g) for g in grads))  # numpy: 0 / 0 is NaN, not an error
    with np.errstate(invalid="ignore", divide="ignore"):
        return [g * (max_norm / total) for g in grads], total


def test_dividing_by_a_zero_norm_is_reported_on_the_zero_gradient_case():
    def always_rescaled_floats(grads, max_norm):
        total = _global(grads)
        return [g * (max_norm / total) for g in grads], total

    result = check_clip_by_global_norm(always_rescaled_floats)
    assert not result.passed and "raised ZeroDivisionError" in result.message
    assert "'a zero gradient'" in result.message


def squared_norm(grads, max_norm):
    total = sum(float(np.sum(g**2)) for g in grads)
    return [max_norm * g / max(total, max_norm) for g in grads], total


def value_instead_of_norm(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads], _global(grads)


@pytest.mark.parametrize("wrong, name", [
    (per_tensor, "per-tensor norm"),
    (norm_after_clipping, "norm after clipping returned"),
    (always_rescaled, "scaled up when under the threshold"),
    (squared_norm, "squared norm"),
    (value_instead_of_norm, "clipped by value"),
])
def test_norm_mistakes_are_named(wrong, name):
    result = check_clip_by_global_norm(wrong)
    assert not result.passed and result.mistake == name


def test_norm_output_problems_get_clear_messages():
    result = check_clip_by_global_norm(lambda grads, c: clip_by_global_norm(grads, c)[0])
    assert not result.passed and "expected 2 outputs" in result.message

    result = check_clip_by_global_norm(
        lambda grads, max_norm: ([g.ravel() for g in clip_by_global_norm(grads, max_norm)[0]],
                                 _global(grads)))
    assert not result.passed and "shape" in result.message

    def in_place(grads, max_norm):
        total = _global(grads)
        for g in grads:
            g *= max_norm / max(total, max_norm)
        return grads, total

    result = check_clip_by_global_norm(in_place)
    assert not result.passed and "changed its input `grads` in place" in result.message

    def raises(grads, max_norm):
        return np.linalg.norm(grads)  # arrays of different shapes: numpy raises

    result = check_clip_by_global_norm(raises)
    assert not result.passed and "your function raised ValueError" in result.message
    assert "Traceback" not in str(result)

    result = check_clip_by_global_norm(lambda grads, max_norm: None)
    assert "returned None" in result.message


# --------------------------------------------------------------------------- value mistakes


@pytest.mark.parametrize("wrong, name", [
    (lambda grads, c: [np.minimum(g, c) for g in grads], "upper side only"),
    (lambda grads, c: [g * min(1.0, c / max(float(np.max(np.abs(h))) for h in grads))
                       for g in grads], "scaled instead of cut"),
    (lambda grads, c: [np.clip(g, 0, c) for g in grads], "clipped to [0, clip_value]"),
    (lambda grads, c: clip_by_global_norm(grads, c)[0] if c > 0 else [0 * g for g in grads],
     "clipped the norm"),
    (lambda grads, c: library_clip_norm(grads, c)[0] if c > 0 else [0 * g for g in grads],
     "clipped the norm"),
])
def test_value_mistakes_are_named(wrong, name):
    result = check_clip_by_value(wrong)
    assert not result.passed and result.mistake == name


def test_value_output_problems_get_clear_messages():
    def in_place(grads, c):
        for g in grads:
            np.clip(g, -c, c, out=g)
        return grads

    result = check_clip_by_value(in_place)
    assert not result.passed and "in place" in result.message

    result = check_clip_by_value(
        lambda grads, c: [g.astype(np.float32) for g in clip_by_value(grads, c)])
    assert not result.passed and "dtype" in result.message

    result = check_clip_by_value(lambda grads, c: [g * np.nan for g in grads])
    assert not result.passed and "NaN" in result.message


# --------------------------------------------------------------------------- step mistakes


def momentum_first(params, grads, velocities, lr, beta, max_norm):
    new_v = [beta * v + (1 - beta) * g for v, g in zip(velocities, grads)]
    new_v, _ = clip_by_global_norm(new_v, max_norm)
    return [w - lr * v for w, v in zip(params, new_v)], new_v, _global(grads)


def momentum_first_velocity_norm(params, grads, velocities, lr, beta, max_norm):
    new_v = [beta * v + (1 - beta) * g for v, g in zip(velocities, grads)]
    new_v, v_norm = clip_by_global_norm(new_v, max_norm)
    return [w - lr * v for w, v in zip(params, new_v)], new_v, v_norm


def no_clip(params, grads, velocities, lr, beta, max_norm):
    new_v = [beta * v + (1 - beta) * g for v, g in zip(velocities, grads)]
    return [w - lr * v for w, v in zip(params, new_v)], new_v, _global(grads)


def no_one_minus_beta(params, grads, velocities, lr, beta, max_norm):
    clipped, total = clip_by_global_norm(grads, max_norm)
    new_v = [beta * v + g for v, g in zip(velocities, clipped)]
    return [w - lr * v for w, v in zip(params, new_v)], new_v, total


def step_per_tensor(params, grads, velocities, lr, beta, max_norm):
    clipped, total = per_tensor(grads, max_norm)
    new_v = [beta * v + (1 - beta) * g for v, g in zip(velocities, clipped)]
    return [w - lr * v for w, v in zip(params, new_v)], new_v, total


@pytest.mark.parametrize("wrong, name", [
    (momentum_first, "momentum before the clip"),
    (momentum_first_velocity_norm, "momentum before the clip"),
    (no_clip, "no clipping"),
    (no_one_minus_beta, "(1 - beta) missing"),
    (step_per_tensor, "per-tensor norm"),
])
def test_step_mistakes_are_named(wrong, name):
    result = check_clipped_momentum_step(wrong)
    assert not result.passed and result.mistake == name


def test_step_that_updates_params_in_place_is_told():
    def in_place(params, grads, velocities, lr, beta, max_norm):
        clipped, total = clip_by_global_norm(grads, max_norm)
        for w, v, g in zip(params, velocities, clipped):
            v *= beta
            v += (1 - beta) * g
            w -= lr * v
        return params, velocities, total

    result = check_clipped_momentum_step(in_place)
    assert not result.passed and "changed its input `params` in place" in result.message


def test_step_returning_two_outputs_is_told():
    result = check_clipped_momentum_step(lambda *args: clipped_momentum_step(*args)[:2])
    assert not result.passed and "expected 3 outputs" in result.message
