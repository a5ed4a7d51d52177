"""Lesson 08's exercise checks: answers in several forms pass, the rest is named.

Every declared mistake of ``CLIP_NORM``, ``CLIP_VALUE``, ``CLIPPED_STEP`` and
``EFFECTIVE_LRS`` is fed to its check by the meta-test (tests/test_checks_meta.py: each is
diagnosed as itself, the cases tell them apart, the library is caught). Here: answers written
the way students write them, where the *form* matters (a loop, ``np.linalg.norm`` of the
joined entries, PyTorch's ``norm + 1e-6``, a tuple instead of a list), and what is not a
wrong value (the stub, inputs changed in place, a list returned where an array is expected).
"""
import math

import numpy as np
import pytest
import torch

from nnlesson.course.checks.gradient_clipping import (
    check_clip_by_global_norm,
    check_clip_by_value,
    check_clipped_momentum_step,
    check_effective_lrs,
)
from nnlesson.clip import clip_by_global_norm as library_clip_norm
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


def effective_lrs(grad_norms, lr, max_norm):
    norms = np.asarray(grad_norms, dtype=float)
    with np.errstate(divide="ignore"):
        return lr * np.minimum(1.0, max_norm / norms)


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


# --------------------------------------------------------------------------- passing


def test_student_solutions_pass():
    assert check_clip_by_global_norm(clip_by_global_norm).passed
    assert check_clip_by_value(clip_by_value).passed
    assert check_clipped_momentum_step(clipped_momentum_step).passed
    assert check_effective_lrs(effective_lrs).passed


def test_other_forms_of_the_same_answers_pass():
    def joined(grads, max_norm):  # one long vector, np.linalg.norm, PyTorch's 1e-6, a tuple
        total = float(np.linalg.norm(np.concatenate([g.ravel() for g in grads])))
        coef = min(1.0, max_norm / (total + 1e-6))
        return tuple(g * coef for g in grads), total

    def looped(grads, clip_value):
        out = []
        for g in grads:
            c = g.copy()
            c[c > clip_value] = clip_value
            c[c < -clip_value] = -clip_value
            out.append(c)
        return out

    def rates_by_loop(grad_norms, lr, max_norm):
        return np.array([lr if n <= max_norm else lr * max_norm / n for n in grad_norms])

    assert check_clip_by_global_norm(joined).passed
    assert check_clip_by_value(looped).passed
    assert check_effective_lrs(rates_by_loop).passed


def test_pytorchs_clipping_agrees_with_the_reference_on_every_case():
    """The reference is the library; the library is PyTorch's clip_grad_norm_ (1e-6 included)."""
    from nnlesson.course.checks.gradient_clipping import CLIP_NORM

    for case in CLIP_NORM.get_cases():
        grads, max_norm = case.args
        tensors = [torch.tensor(g, dtype=torch.float64) for g in grads]
        params = [torch.zeros_like(t, requires_grad=True) for t in tensors]
        for p, t in zip(params, tensors):
            p.grad = t.clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm).item()
        clipped, norm = library_clip_norm(grads, max_norm)
        assert norm == pytest.approx(total, rel=1e-12)
        for c, p in zip(clipped, params):
            np.testing.assert_allclose(c, p.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_the_library_inside_the_step_is_caught():
    def library_step(params, grads, velocities, lr, beta, max_norm):
        clipped, total = library_clip_norm(grads, max_norm)
        pairs = [momentum_update(w, g, v, lr=lr, beta=beta)
                 for w, g, v in zip(params, clipped, velocities)]
        return [w for w, _ in pairs], [v for _, v in pairs], total

    result = check_clipped_momentum_step(library_step)
    assert not result.passed and result.mistake == "calls the library"
    assert "write `clipped_momentum_step` yourself" in result.message


# --------------------------------------------------------------------------- not wrong values


def test_stubs_are_not_implemented_yet():
    for check in (check_clip_by_global_norm, check_clip_by_value, check_clipped_momentum_step,
                  check_effective_lrs):
        result = check(stub)
        assert result.status == "todo" and "not implemented yet" in result.message


def test_changing_the_gradients_in_place_is_reported():
    def in_place(grads, max_norm):
        total = _global(grads)
        for g in grads:
            g *= max_norm / max(total, max_norm)
        return grads, total

    result = check_clip_by_global_norm(in_place)
    assert not result.passed and "changed its input `grads` in place" in result.message


def test_a_list_where_an_array_is_expected_is_said_so():
    def as_list(grad_norms, lr, max_norm):
        return [lr * min(1.0, max_norm / n) if n > 0 else lr for n in grad_norms]

    result = check_effective_lrs(as_list)
    assert not result.passed and result.mistake == "a list, not an array"
    assert "numpy array" in result.message


def test_a_mistake_message_points_to_its_hint_level():
    def squared(grads, max_norm):
        sq = float(sum(np.sum(g * g) for g in grads))
        return [g * max_norm / sq if sq > max_norm else g.copy() for g in grads], sq

    result = check_clip_by_global_norm(squared)
    assert result.mistake == "squared norm"
    assert result.message.endswith("Hint 2 above gives the formula.")


# --------------------------------------------------------------------------- named families
# Wrong answers written as students write them (not the declared wrong functions): each must get
# the name of what it did.


def _max_of_one(grads, max_norm):  # max(1, ...) where min(1, ...) belongs
    total = np.sqrt(sum((g ** 2).sum() for g in grads))
    return [g * max(1.0, max_norm / total) for g in grads], total


def _last_norm_only(grads, max_norm):  # the loop overwrites the norm
    for g in grads:
        total = np.linalg.norm(g)
    scale = min(1.0, max_norm / total) if total > 0 else 1.0
    return [scale * g for g in grads], total


def _first_norm_only(grads, max_norm):
    total = float(np.sqrt(np.sum(np.square(grads[0]))))
    return [g * (max_norm / total if total > max_norm else 1.0) for g in grads], total


def _first_clipped_only(grads, clip_value):
    return [np.clip(grads[0], -clip_value, clip_value), *[g.copy() for g in grads[1:]]]


def _step_clipped_at_max_norm(params, grads, velocities, lr, beta, max_norm):
    vs = [beta * v + (1 - beta) * g for v, g in zip(velocities, grads)]
    moves = [lr * v for v in vs]
    size = math.sqrt(sum(float(np.sum(m * m)) for m in moves))
    moves = [m * min(1.0, max_norm / size) for m in moves]
    return [w - m for w, m in zip(params, moves)], vs, _global(grads)


def _step_torch_momentum_unclipped(params, grads, velocities, lr, beta, max_norm):
    vs = [beta * v + g for v, g in zip(velocities, grads)]
    return [w - lr * v for w, v in zip(params, vs)], vs, _global(grads)


def _step_torch_momentum_norm_after(params, grads, velocities, lr, beta, max_norm):
    clipped, _ = clip_by_global_norm(grads, max_norm)
    vs = [beta * v + g for v, g in zip(velocities, clipped)]
    return [w - lr * v for w, v in zip(params, vs)], vs, _global(clipped)


def _step_torch_momentum_old_velocity(params, grads, velocities, lr, beta, max_norm):
    clipped, total = clip_by_global_norm(grads, max_norm)
    new_params = [w - lr * v for w, v in zip(params, velocities)]
    return new_params, [beta * v + g for v, g in zip(velocities, clipped)], total


def _rates_over_norm(grad_norms, lr, max_norm):
    return np.array([lr / n if n > max_norm else lr for n in grad_norms])


def _rates_squared(grad_norms, lr, max_norm):
    n = np.asarray(grad_norms, dtype=float)
    return lr * np.array([min(1.0, max_norm / x) ** 2 if x > 0 else 1.0 for x in n])


def _rates_of_the_lesson(grad_norms, lr, max_norm):
    return np.array([0.2 if n <= 1.0 else 0.2 / n for n in grad_norms])


def _factor_over_sum_of_squares(grads, max_norm):
    sum_sq = sum(np.sum(g ** 2) for g in grads)
    total = np.sqrt(sum_sq)
    if total <= max_norm:
        return [g.copy() for g in grads], total
    return [g * max_norm / sum_sq for g in grads], total


def _value_entry_by_entry(grads, clip_value):
    out = []
    for g in grads:
        out.append(np.array([min(max(e, -clip_value), clip_value) for e in g.flatten()]))
    return out


def _step_velocity_carries_lr(params, grads, velocities, lr, beta, max_norm):
    clipped, total = clip_by_global_norm(grads, max_norm)
    new_v, new_w = [], []
    for w, g, v in zip(params, clipped, velocities):
        v = beta * v + lr * g
        new_v.append(v)
        new_w.append(w - v)
    return new_w, new_v, total


def _each_own_norm_then_measured(grads, max_norm):
    out = []
    for g in grads:
        n = math.sqrt(float((g * g).sum()))
        out.append(g * (max_norm / n) if n > max_norm else g.copy())
    return out, math.sqrt(sum(float((o * o).sum()) for o in out))


def _rates_of_the_clipped_steps(grad_norms, lr, max_norm):
    return np.array([lr * max_norm / n for n in grad_norms if n > max_norm])


@pytest.mark.parametrize("check, answer, name", [
    (check_clip_by_global_norm, _each_own_norm_then_measured,
     "per-tensor norm + norm after clipping returned"),
    (check_effective_lrs, _rates_of_the_clipped_steps, "only the clipped updates"),
    (check_clip_by_global_norm, _factor_over_sum_of_squares, "squared norm in the factor"),
    (check_clip_by_value, _value_entry_by_entry, "shapes flattened"),
    (check_clipped_momentum_step, _step_velocity_carries_lr,
     "lr inside the velocity + (1 - beta) missing"),
    (check_clip_by_global_norm, _max_of_one, "min instead of max"),
    (check_clip_by_global_norm, _last_norm_only, "the last array's norm only"),
    (check_clip_by_global_norm, _first_norm_only, "the first array's norm only"),
    (check_clip_by_value, _first_clipped_only, "only the first array clipped"),
    (check_clipped_momentum_step, _step_clipped_at_max_norm, "the weight change clipped"),
    (check_clipped_momentum_step, _step_torch_momentum_unclipped,
     "no clipping + (1 - beta) missing"),
    (check_clipped_momentum_step, _step_torch_momentum_norm_after,
     "norm after clipping returned + (1 - beta) missing"),
    (check_clipped_momentum_step, _step_torch_momentum_old_velocity,
     "(1 - beta) missing + step with the old velocity"),
    (check_effective_lrs, _rates_over_norm, "max_norm missing from the factor"),
    (check_effective_lrs, _rates_squared, "factor squared"),
    (check_effective_lrs, _rates_of_the_lesson, "the lesson's lr 0.2 and max_norm 1 hard-coded"),
], ids=lambda x: getattr(x, "__name__", None) if callable(x) else None)
def test_a_wrong_answer_is_named(check, answer, name):
    with np.errstate(all="ignore"):
        result = check(answer)
    assert not result.passed and result.mistake == name, (result.mistake, result.message)
