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
    assert not result.passed and "expected a numpy array" in result.message


def test_a_mistake_message_points_to_its_hint_level():
    def squared(grads, max_norm):
        sq = float(sum(np.sum(g * g) for g in grads))
        return [g * max_norm / sq if sq > max_norm else g.copy() for g in grads], sq

    result = check_clip_by_global_norm(squared)
    assert result.mistake == "squared norm"
    assert result.message.endswith("Hint 2 above gives the formula.")
