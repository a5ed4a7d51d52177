"""Checks for lesson 05, adaptive step sizes: AdaGrad and RMSProp.

Each exercise is one update step that returns new arrays ``(w, state)``. The references are
the library's rules :func:`nnlesson.optim.adagrad_update` and
:func:`nnlesson.optim.rmsprop_update` (checked against ``torch.optim`` in the test suite), with
PyTorch's conventions: ``eps`` outside the square root, the step counter ``step`` from 1, and
RMSProp's decay rate (``beta`` here, PyTorch's ``alpha``) weighting the OLD average.
"""
from __future__ import annotations

import numpy as np

from nnlesson.course.checks._core import Case, Mistake, run_check
from nnlesson.optim import adagrad_update, rmsprop_update

__all__ = ["check_adagrad_update", "check_rmsprop_update"]


def _arrays(seed, shape, state_scale=1.0):
    """Weights, a gradient and a non-negative accumulator of the given shape."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=shape)
    g = rng.normal(size=shape)
    s = state_scale * rng.uniform(0.5, 3.0, size=shape)
    return w, g, s


# --------------------------------------------------------------------------- AdaGrad


def _adagrad(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    w, state_sum = adagrad_update(w, g, state_sum, step, lr=lr, lr_decay=lr_decay, eps=eps)
    return w, state_sum


def _adagrad_cases():
    w1, g1, _ = _arrays(500, 4)
    g1[2] = 0.0  # a weight whose gradient is zero: 0 / (0 + eps) must stay 0
    w2, g2, s2 = _arrays(501, 4, state_scale=4.0)
    w3, g3, s3 = _arrays(502, (3, 2))
    w4, g4, s4 = _arrays(503, 3, state_scale=1e-6)
    w5, g5, s5 = _arrays(504, 1)
    return [
        Case("first step: empty accumulator, one gradient is 0", (w1, g1, np.zeros(4), 1),
             {"lr": 0.1}),
        Case("a later step (step 5)", (w2, g2, s2, 5), {"lr": 0.5}),
        Case("a 3 x 2 matrix of weights, step 3, lr_decay = 0.1", (w3, g3, s3, 3),
             {"lr": 0.1, "lr_decay": 0.1}),
        Case("tiny gradients and eps = 1e-3", (w4, 1e-3 * g4, s4, 2), {"lr": 0.01, "eps": 1e-3}),
        Case("one weight, step 10, lr_decay = 0.5", (w5, g5, s5, 10),
             {"lr": 1.0, "lr_decay": 0.5}),
    ]


def _adagrad_wrong(accumulate=None, denominator=None, lr_of_step=None, old_state_step=False,
                   return_old_state=False):
    """A wrong AdaGrad: each argument replaces one piece of the correct computation."""
    def wrong(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
        new_sum = accumulate(state_sum, g) if accumulate else state_sum + g * g
        used = state_sum if old_state_step else new_sum
        clr = lr_of_step(lr, lr_decay, step) if lr_of_step else lr / (1 + (step - 1) * lr_decay)
        denom = denominator(used, eps) if denominator else np.sqrt(used) + eps
        w_new = w - clr * g / denom
        return w_new, (np.array(state_sum, dtype=float) if return_old_state else new_sum)
    return wrong


def check_adagrad_update(student_fn):
    """Check ``adagrad_update(w, g, state_sum, step, lr, lr_decay, eps) -> (w, state_sum)``.

    ``state_sum = state_sum + g * g``; ``clr = lr / (1 + (step - 1) * lr_decay)``;
    ``w = w - clr * g / (sqrt(state_sum) + eps)``. New arrays; the inputs stay unchanged.
    """
    mistakes = [
        Mistake(
            "eps inside the square root",
            "You divide by sqrt(state_sum + eps); this exercise (and PyTorch) adds eps OUTSIDE "
            "the root: g / (sqrt(state_sum) + eps). The two differ wherever state_sum is about "
            "as small as eps, e.g. in the first steps of a weight with tiny gradients.",
            _adagrad_wrong(denominator=lambda s, eps: np.sqrt(s + eps))),
        Mistake(
            "gradient not squared",
            "Your accumulator adds g, not g * g: AdaGrad sums SQUARED gradients, "
            "state_sum = state_sum + g * g, so that sqrt(state_sum) has the size of a gradient "
            "(and never becomes negative).",
            _adagrad_wrong(accumulate=lambda s, g: s + g)),
        Mistake(
            "absolute value instead of square",
            "Your accumulator adds |g|; AdaGrad sums squared gradients: "
            "state_sum = state_sum + g * g, and divides by its square root.",
            _adagrad_wrong(accumulate=lambda s, g: s + np.abs(g))),
        Mistake(
            "no square root",
            "You divide by state_sum + eps; AdaGrad divides by its square root, "
            "sqrt(state_sum) + eps, which has the units of a gradient, so that the step "
            "g / sqrt(state_sum) is about 1 in size for every weight.",
            _adagrad_wrong(denominator=lambda s, eps: s + eps)),
        Mistake(
            "eps forgotten",
            "You divide by sqrt(state_sum) without + eps: a weight whose gradients have all "
            "been 0 gives 0 / 0 = NaN. Divide by sqrt(state_sum) + eps.",
            _adagrad_wrong(denominator=lambda s, eps: np.sqrt(s))),
        Mistake(
            "step taken with the old accumulator",
            "Your step divides by the accumulator from BEFORE this step's gradient was added. "
            "Add g * g first, then divide by the new sqrt(state_sum) + eps (in the very first "
            "step the old sum is 0 and you would divide by eps alone).",
            _adagrad_wrong(old_state_step=True)),
        Mistake(
            "lr_decay off by one",
            "Your learning rate is lr / (1 + step * lr_decay); the first step must use the "
            "full lr, so it is lr / (1 + (step - 1) * lr_decay) (step counts from 1).",
            _adagrad_wrong(lr_of_step=lambda lr, d, t: lr / (1 + t * d))),
        Mistake(
            "lr_decay ignored",
            "Your step uses lr whatever lr_decay is. With lr_decay > 0 the learning rate "
            "itself decays too: clr = lr / (1 + (step - 1) * lr_decay).",
            _adagrad_wrong(lr_of_step=lambda lr, d, t: lr)),
        Mistake(
            "old accumulator returned",
            "The weights are right but the state_sum you return is the one you were given: "
            "return the NEW sum, state_sum + g * g, or the next step forgets this gradient.",
            _adagrad_wrong(return_old_state=True)),
    ]
    return run_check("check_adagrad_update", student_fn, _adagrad_cases(), _adagrad, mistakes,
                     output_names=("w", "state_sum"))


# --------------------------------------------------------------------------- RMSProp


def _rmsprop(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    w, square_avg, _, _ = rmsprop_update(w, g, square_avg, lr=lr, alpha=beta, eps=eps)
    return w, square_avg


def _rmsprop_cases():
    w1, g1, _ = _arrays(510, 4)
    w2, g2, s2 = _arrays(511, 4)
    w3, g3, s3 = _arrays(512, (2, 3))
    w4, g4, s4 = _arrays(513, 3, state_scale=1e-6)
    w5, g5, s5 = _arrays(514, 1)
    w6, g6, s6 = _arrays(515, 3)
    return [
        Case("first step: the average starts at 0", (w1, g1, np.zeros(4)),
             {"lr": 0.01, "beta": 0.9}),
        Case("a later step, beta = 0.99", (w2, g2, s2), {"lr": 0.01, "beta": 0.99}),
        Case("a 2 x 3 matrix of weights, beta = 0.5", (w3, g3, s3), {"lr": 0.1, "beta": 0.5}),
        Case("tiny gradients and eps = 1e-3", (w4, 1e-3 * g4, s4),
             {"lr": 0.01, "beta": 0.9, "eps": 1e-3}),
        Case("one weight, lr = 1", (w5, g5, s5), {"lr": 1.0, "beta": 0.8}),
        Case("beta = 0: only the current gradient counts", (w6, g6, s6),
             {"lr": 0.1, "beta": 0.0}),
    ]


def _rmsprop_wrong(average=None, denominator=None, old_state_step=False,
                   return_old_state=False):
    """A wrong RMSProp: each argument replaces one piece of the correct computation."""
    def wrong(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
        new_avg = (average(square_avg, g, beta) if average
                   else beta * square_avg + (1 - beta) * g * g)
        used = square_avg if old_state_step else new_avg
        denom = denominator(used, eps) if denominator else np.sqrt(used) + eps
        w_new = w - lr * g / denom
        return w_new, (np.array(square_avg, dtype=float) if return_old_state else new_avg)
    return wrong


def check_rmsprop_update(student_fn):
    """Check ``rmsprop_update(w, g, square_avg, lr, beta, eps) -> (w, square_avg)``.

    ``square_avg = beta * square_avg + (1 - beta) * g * g``;
    ``w = w - lr * g / (sqrt(square_avg) + eps)``. New arrays; the inputs stay unchanged.
    """
    mistakes = [
        Mistake(
            "eps inside the square root",
            "You divide by sqrt(square_avg + eps); this exercise (and PyTorch) adds eps OUTSIDE "
            "the root: g / (sqrt(square_avg) + eps). The two differ wherever the average is "
            "about as small as eps.",
            _rmsprop_wrong(denominator=lambda s, eps: np.sqrt(s + eps))),
        Mistake(
            "(1 - beta) missing",
            "Your average is beta * square_avg + g * g: without the factor (1 - beta) it is "
            "not an average but a sum that grows to 1 / (1 - beta) times the squared gradient. "
            "Weight the new squared gradient by (1 - beta): "
            "square_avg = beta * square_avg + (1 - beta) * g * g.",
            _rmsprop_wrong(average=lambda s, g, b: b * s + g * g)),
        Mistake(
            "beta and 1 - beta swapped",
            "Your average is (1 - beta) * square_avg + beta * g * g: the weights are swapped. "
            "beta (0.9 or 0.99, PyTorch's alpha) is the share of the OLD average that is kept; "
            "the new squared gradient gets the small weight 1 - beta.",
            _rmsprop_wrong(average=lambda s, g, b: (1 - b) * s + b * g * g)),
        Mistake(
            "gradient not squared",
            "Your average is built from g, not g * g: RMSProp averages SQUARED gradients "
            "(that is the 'mean square' in its name), square_avg = beta * square_avg + "
            "(1 - beta) * g * g, and divides by the root of that mean.",
            _rmsprop_wrong(average=lambda s, g, b: b * s + (1 - b) * g)),
        Mistake(
            "AdaGrad's sum instead of an average",
            "Your state is square_avg + g * g, AdaGrad's ever-growing sum. RMSProp forgets old "
            "gradients: square_avg = beta * square_avg + (1 - beta) * g * g.",
            _rmsprop_wrong(average=lambda s, g, b: s + g * g)),
        Mistake(
            "no square root",
            "You divide by square_avg + eps; RMSProp divides by its square root (the Root of "
            "the Mean Square), sqrt(square_avg) + eps.",
            _rmsprop_wrong(denominator=lambda s, eps: s + eps)),
        Mistake(
            "step taken with the old average",
            "Your step divides by the average from BEFORE this step's gradient was added. "
            "Update square_avg first, then divide by sqrt(square_avg) + eps (in the first "
            "step the old average is 0 and you would divide by eps alone).",
            _rmsprop_wrong(old_state_step=True)),
        Mistake(
            "old average returned",
            "The weights are right but the square_avg you return is the one you were given: "
            "return the NEW average, or the next step forgets this gradient.",
            _rmsprop_wrong(return_old_state=True)),
    ]
    return run_check("check_rmsprop_update", student_fn, _rmsprop_cases(), _rmsprop, mistakes,
                     output_names=("w", "square_avg"))
