"""Checks for lesson 08, gradient clipping: by global norm, by value, and inside a training step.

Gradients are lists of arrays (one per parameter), as in a network. The references are
:func:`nnlesson.clip.clip_by_global_norm`, :func:`nnlesson.clip.clip_by_value` and
:func:`nnlesson.optim.momentum_update` (checked against ``torch.nn.utils`` and ``torch.optim``
in the test suite).

The library divides by ``norm + 1e-6`` as PyTorch does; the seed's formula
``clip_norm * g / max(||g||, clip_norm)`` has no epsilon. The two differ by about
``1e-6 / ||g||`` relative, so the norm checks use ``rtol=1e-5`` and accept both.
"""
from __future__ import annotations

import numpy as np

from nnlesson.course.checks._core import Case, Mistake, run_check
from nnlesson.clip import clip_by_global_norm, clip_by_value
from nnlesson.optim import momentum_update

__all__ = ["check_clip_by_global_norm", "check_clip_by_value", "check_clipped_momentum_step"]

RTOL = 1e-5  # room for PyTorch's 1e-6 in the denominator (see the module docstring)


def _norm(grads):
    return float(np.sqrt(sum(np.sum(g * g) for g in grads)))


def _seeded_grads(seed, shapes, scale):
    rng = np.random.default_rng(seed)
    return [scale * rng.standard_normal(shape) for shape in shapes]


# --------------------------------------------------------------------------- by global norm


def _clip_norm_ref(grads, max_norm):
    clipped, total = clip_by_global_norm(grads, max_norm)
    return clipped, total


def _per_tensor(grads, max_norm):
    out = []
    for g in grads:
        n = float(np.sqrt(np.sum(g * g)))
        out.append(g * max_norm / n if n > max_norm else g.copy())
    return out, _norm(grads)


def _norm_after_clip(grads, max_norm):
    clipped, total = clip_by_global_norm(grads, max_norm)
    return clipped, _norm(clipped)


def _always_rescaled(grads, max_norm):
    n = _norm(grads)
    return [g * max_norm / n for g in grads], n


def _squared_norm(grads, max_norm):
    sq = float(sum(np.sum(g * g) for g in grads))
    return [g * max_norm / sq if sq > max_norm else g.copy() for g in grads], sq


def _by_value_instead(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads], _norm(grads)


def _clip_norm_cases():
    return [
        Case("two arrays, global norm above max_norm",
             (_seeded_grads(1, [(3,), (2, 2)], 2.0), 1.0)),
        Case("already under the threshold: nothing to clip",
             (_seeded_grads(2, [(3,), (2, 2)], 0.1), 5.0)),
        Case("each array under max_norm on its own, together above it",
             ([np.array([3.0, 0.0]), np.array([[0.0], [-4.0]])], 4.5)),
        Case("one array, a gradient of norm 50", ([np.array([30.0, -40.0])], 2.0)),
        Case("three arrays of very different sizes",
             ([np.array([1e-3, -2e-3]), np.array([[10.0, -20.0], [5.0, 0.5]]),
               np.array([0.25])], 0.5)),
        Case("a zero gradient", ([np.zeros(3), np.zeros((2, 2))], 1.0)),
    ]


def check_clip_by_global_norm(student_fn):
    """Check ``clip_by_global_norm(grads, max_norm) -> (clipped_grads, total_norm)``.

    ``total_norm = sqrt(sum_i ||g_i||^2)`` over ALL arrays, measured before clipping; every
    array is multiplied by the same ``max_norm / total_norm`` when ``total_norm > max_norm``.
    """
    mistakes = [
        Mistake(
            "per-tensor norm",
            "You clipped each array by its own norm. Norm clipping uses ONE norm over all the "
            "gradients together, total_norm = sqrt(sum of ||g_i||^2), and scales every array by "
            "the same factor; otherwise the direction of the whole gradient changes.",
            _per_tensor),
        Mistake(
            "norm after clipping returned",
            "The arrays are right, but the norm you return is the one after clipping. Return "
            "the norm measured BEFORE clipping: it is what a training loop records and plots "
            "to see the gradients explode (torch.nn.utils.clip_grad_norm_ does the same).",
            _norm_after_clip),
        Mistake(
            "scaled up when under the threshold",
            "You rescaled gradients that were already small, making them longer. Clip only "
            "when total_norm > max_norm: the factor is min(1, max_norm / total_norm), i.e. "
            "clip_norm * g / max(||g||, clip_norm).",
            _always_rescaled),
        Mistake(
            "squared norm",
            "Your norm is the sum of squares without the square root. The L2 norm is "
            "sqrt(sum of g^2).",
            _squared_norm),
        Mistake(
            "clipped by value",
            "You cut each entry to [-max_norm, max_norm]: that is clipping by value. Clipping "
            "by norm multiplies all entries by one factor, max_norm / total_norm.",
            _by_value_instead),
    ]
    return run_check("check_clip_by_global_norm", student_fn, _clip_norm_cases(),
                     _clip_norm_ref, mistakes, rtol=RTOL, output_names=("clipped", "total_norm"))


# --------------------------------------------------------------------------- by value


def _upper_only(grads, clip_value):
    return [np.minimum(g, clip_value) for g in grads]


def _scaled_to_value(grads, clip_value):
    biggest = max(float(np.max(np.abs(g))) for g in grads)
    factor = min(1.0, clip_value / biggest) if biggest > 0 else 1.0
    return [g * factor for g in grads]


def _zero_to_value(grads, clip_value):
    return [np.clip(g, 0.0, clip_value) for g in grads]


def _norm_instead(grads, clip_value):
    # the seed's norm formula; a zero threshold maps everything to zero
    total = _norm(grads)
    if clip_value == 0:
        return [np.zeros_like(g) for g in grads]
    return [clip_value * g / max(total, clip_value) for g in grads]


def check_clip_by_value(student_fn):
    """Check ``clip_by_value(grads, clip_value) -> clipped_grads``: every entry cut to
    ``[-clip_value, clip_value]``, each array keeping its shape."""
    cases = [
        Case("entries above and below the interval",
             ([np.array([3.0, -0.5, -7.0]), np.array([[0.2, 1.5], [-2.0, 0.9]])], 1.0)),
        Case("already inside the interval", ([np.array([0.3, -0.2]), np.array([0.1])], 1.0)),
        Case("random gradients, clip_value 0.5",
             (_seeded_grads(3, [(4,), (3, 2)], 1.0), 0.5)),
        Case("only negative entries are too large",
             ([np.array([-3.0, 0.4, -0.1]), np.array([[-9.0]])], 2.0)),
        Case("clip_value 0: every entry becomes 0", ([np.array([1.0, -2.0])], 0.0)),
    ]
    mistakes = [
        Mistake(
            "upper side only",
            "Large negative entries are not cut: you only took min(g, clip_value). Clip both "
            "sides: max(min(g, clip_value), -clip_value), e.g. np.clip(g, -c, c).",
            _upper_only),
        Mistake(
            "scaled instead of cut",
            "You scaled the whole gradient so its largest entry is clip_value: that keeps the "
            "direction, but it is not value clipping. Value clipping cuts each entry on its "
            "own and leaves the small ones unchanged.",
            _scaled_to_value),
        Mistake(
            "clipped to [0, clip_value]",
            "Your negative entries became 0: the interval is [-clip_value, clip_value], not "
            "[0, clip_value].",
            _zero_to_value),
        Mistake(
            "clipped the norm",
            "You clipped the global norm to clip_value. Clipping by value treats every entry "
            "separately: g_i = max(min(g_i, clip_value), -clip_value).",
            _norm_instead),
    ]
    # rtol as for the norm: the "clipped the norm" mistake may use either norm formula
    return run_check("check_clip_by_value", student_fn, cases, clip_by_value, mistakes,
                     rtol=RTOL)


# --------------------------------------------------------------------------- inside a step


def _step_ref(params, grads, velocities, lr, beta, max_norm):
    clipped, total = clip_by_global_norm(grads, max_norm)
    new_w, new_v = [], []
    for w, g, v in zip(params, clipped, velocities):
        w, v = momentum_update(w, g, v, lr=lr, beta=beta)
        new_w.append(w)
        new_v.append(v)
    return new_w, new_v, total


def _momentum_first(return_norm_of):
    def wrong(params, grads, velocities, lr, beta, max_norm):
        v_new = [beta * v + (1 - beta) * g for g, v in zip(grads, velocities)]
        v_clip, v_norm = clip_by_global_norm(v_new, max_norm)
        new_w = [w - lr * v for w, v in zip(params, v_clip)]
        return new_w, v_clip, (_norm(grads) if return_norm_of == "g" else v_norm)
    return wrong


def _no_clip(params, grads, velocities, lr, beta, max_norm):
    new_w, new_v = [], []
    for w, g, v in zip(params, grads, velocities):
        w, v = momentum_update(w, g, v, lr=lr, beta=beta)
        new_w.append(w)
        new_v.append(v)
    return new_w, new_v, _norm(grads)


def _no_one_minus_beta(params, grads, velocities, lr, beta, max_norm):
    clipped, total = clip_by_global_norm(grads, max_norm)
    new_v = [beta * v + g for g, v in zip(clipped, velocities)]
    return [w - lr * v for w, v in zip(params, new_v)], new_v, total


def _step_per_tensor(params, grads, velocities, lr, beta, max_norm):
    clipped, total = _per_tensor(grads, max_norm)
    new_v = [beta * v + (1 - beta) * g for g, v in zip(clipped, velocities)]
    return [w - lr * v for w, v in zip(params, new_v)], new_v, total


def _step_cases():
    rng = np.random.default_rng(4)
    w = [rng.standard_normal(3), rng.standard_normal((2, 2))]
    zeros = [np.zeros(3), np.zeros((2, 2))]
    big = [np.array([30.0, -10.0, 5.0]), np.array([[0.5, -40.0], [2.0, 1.0]])]
    v_big = [np.array([20.0, 5.0, -1.0]), np.array([[3.0, -25.0], [0.0, 4.0]])]
    small = [np.array([0.1, -0.2, 0.05]), np.array([[0.02, 0.3], [-0.1, 0.0]])]
    v_old = [np.array([4.0, -3.0, 0.0]), np.array([[2.0, -2.0], [1.0, 1.0]])]
    return [
        Case("first step (velocities zero), gradient above the threshold",
             (w, big, zeros, 0.1, 0.9, 1.0)),
        Case("later step, gradient and velocity both large", (w, big, v_big, 0.1, 0.9, 1.0)),
        Case("gradient under the threshold, large old velocity",
             (w, small, v_old, 0.05, 0.9, 1.0)),
        Case("each array under the threshold on its own, together above it",
             ([np.zeros(2), np.zeros((1, 2))], [np.array([3.0, 0.0]), np.array([[0.0, -4.0]])],
              [np.zeros(2), np.zeros((1, 2))], 1.0, 0.5, 4.5)),
        Case("beta = 0: plain clipped gradient descent", (w, big, v_big, 0.01, 0.0, 2.0)),
    ]


def check_clipped_momentum_step(student_fn):
    """Check ``clipped_momentum_step(params, grads, velocities, lr, beta, max_norm)
    -> (new_params, new_velocities, grad_norm)``: clip the gradients by global norm FIRST, then
    the seeds' EMA momentum ``v = beta v + (1 - beta) g; w = w - lr v`` on every array."""
    mistakes = [
        Mistake(
            "momentum before the clip",
            "You applied momentum first and clipped the velocity. Clip the raw gradients "
            "(right after backward), then feed the clipped gradients to the momentum update; "
            "clipping the velocity limits the wrong quantity and changes how fast momentum "
            "builds up.",
            _momentum_first("g")),
        Mistake(
            "momentum before the clip",
            "You applied momentum first and clipped the velocity (and returned the velocity's "
            "norm). Clip the raw gradients, return their norm before clipping, then feed the "
            "clipped gradients to the momentum update.",
            _momentum_first("v")),
        Mistake(
            "no clipping",
            "Your step ignores max_norm: clip the gradients by their global norm before the "
            "momentum update (your clip_by_global_norm from above does it).",
            _no_clip),
        Mistake(
            "(1 - beta) missing",
            "Your velocity is v = beta v + g: the seeds' EMA momentum is "
            "v = beta v + (1 - beta) g, so v stays the size of a gradient.",
            _no_one_minus_beta),
        Mistake(
            "per-tensor norm",
            "You clipped each array by its own norm. Use one global norm over all the "
            "gradients, as in the first exercise.",
            _step_per_tensor),
    ]
    return run_check("check_clipped_momentum_step", student_fn, _step_cases(), _step_ref,
                     mistakes, rtol=RTOL,
                     output_names=("new_params", "new_velocities", "grad_norm"))
