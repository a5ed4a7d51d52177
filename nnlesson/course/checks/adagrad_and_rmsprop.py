"""Checks for lesson 05, adaptive step sizes, declared as data: AdaGrad, RMSProp, and how long
RMSProp's warm-up lasts.

* The two update exercises are one step each that returns new arrays ``(w, state)``. The
  references are the library's rules :func:`nnlesson.optim.adagrad_update` and
  :func:`nnlesson.optim.rmsprop_update` (checked against ``torch.optim`` in the test suite),
  with PyTorch's conventions: ``eps`` outside the square root, the step counter ``step`` from
  1, and RMSProp's decay rate (``beta`` here, PyTorch's ``alpha``) weighting the OLD average.
  The library's rules, kernels and classes are forbidden.
* ``rmsprop_warmup_steps(beta, tolerance=0.01) -> int``: the first step from which RMSProp's
  step, for a gradient that is the same at every step, is within ``tolerance`` of ``lr``. The
  student derives it from ``s_t = (1 - beta^t) g^2``: ``ceil(ln(1 - (1 + tolerance)^-2) /
  ln(beta))``, at least 1. tests/test_checks_adagrad_and_rmsprop.py verifies the reference
  against steps measured with the library's rule.
"""
from __future__ import annotations

import inspect
import math

import numpy as np

from nnlesson.course.checks._core import Case, Check, Mistake
from nnlesson.course.checks._families import distinct, two_at_once
from nnlesson.optim import adagrad_update, rmsprop_update

__all__ = ["ADAGRAD", "RMSPROP", "WARMUP", "CHECKS", "check_adagrad_update",
           "check_rmsprop_update", "check_rmsprop_warmup_steps"]

FORBIDDEN = ("nnlesson.optim.adagrad_update", "nnlesson.optim._adagrad",
             "nnlesson.optim.Adagrad.*", "nnlesson.optim.rmsprop_update",
             "nnlesson.optim._rmsprop", "nnlesson.optim.RMSprop.*", "nnlesson.optim.UpdateRule.*",
             "nnlesson.course.runner.*")

# The titles of the hint levels in the exercise notebook ("Hint 2 · the formula").
HINTS = ("the idea", "the formula", "a partial line")


def _arrays(seed, shape, state_scale=1.0):
    """Weights, a gradient and a non-negative accumulator of the given shape."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=shape)
    g = rng.normal(size=shape)
    s = state_scale * rng.uniform(0.5, 3.0, size=shape)
    return w, g, s


def _pairs(table, make, cases, reference, singles):
    """Every two mistakes of ``table`` from different parts of the rule together, kept only if
    the cases tell the pair from the right answer, from every single mistake and from every
    pair before it, and if it stays finite (rows: name, part, hint, short form, switches)."""
    kept = distinct(singles, two_at_once(table, make, short=3, switches=4), cases, reference,
                    usable=lambda outputs: bool(np.isfinite(outputs).all()))
    return kept[len(singles):]


def _returned_instead(right, what):
    """``right`` (a rule returning ``(w, state)``) returning the step it takes instead of the new
    weights (``what`` "step"), or the square root of its new state ("root")."""
    def wrong(w, *args, **kwargs):
        new_w, state = right(w, *args, **kwargs)
        if what == "step":
            return w - new_w, state
        return new_w, np.sqrt(state)
    return wrong


def _fixed(right, **values):
    """Mistakes that use another library's default for an argument whatever is passed
    (``values``: argument -> (value, whose default it is))."""
    mistakes = []
    for name, (value, whose) in values.items():
        shown = f"{value:g}".replace("e-0", "e-")  # 1e-7, as it is written in code
        def wrong(*args, _name=name, _value=value, **kwargs):
            bound = inspect.signature(right).bind(*args, **kwargs)
            bound.arguments[_name] = _value
            return right(*bound.args, **bound.kwargs)
        mistakes.append(Mistake(
            f"{name} fixed at {shown}",
            f"Your function uses {name} = {shown} ({whose}) whatever {name} is passed: use "
            f"the argument {name}; its default here is PyTorch's.", wrong, hint=1))
    return tuple(mistakes)


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
    w6, g6, s6 = _arrays(505, 5)
    return [
        Case("first step: empty accumulator, one gradient is 0", (w1, g1, np.zeros(4), 1),
             {"lr": 0.1}),
        Case("a later step (step 5)", (w2, g2, s2, 5), {"lr": 0.5}),
        Case("a 3 x 2 matrix of weights, step 3, lr_decay = 0.1", (w3, g3, s3, 3),
             {"lr": 0.1, "lr_decay": 0.1}),
        Case("tiny gradients and eps = 1e-3", (w4, 1e-3 * g4, s4, 2), {"lr": 0.01, "eps": 1e-3}),
        Case("one weight, step 10, lr_decay = 0.5", (w5, g5, s5, 10),
             {"lr": 1.0, "lr_decay": 0.5}),
        Case("the default lr, step 7", (w6, g6, s6, 7)),
    ]


def _adagrad_wrong(accumulate=None, denominator=None, lr_of_step=None, old_state_step=False,
                   return_old_state=False, eps_on_w=False, numerator=None, used_of=None):
    """A wrong AdaGrad: each argument replaces one piece of the correct computation."""
    def wrong(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
        new_sum = accumulate(state_sum, g) if accumulate else state_sum + g * g
        used = state_sum if old_state_step else new_sum
        used = used_of(used, step) if used_of else used
        clr = lr_of_step(lr, lr_decay, step) if lr_of_step else lr / (1 + (step - 1) * lr_decay)
        denom = denominator(used, eps) if denominator else np.sqrt(used) + eps
        top = numerator(g) if numerator else g
        w_new = w - clr * g / np.sqrt(used) + eps if eps_on_w else w - clr * top / denom
        return w_new, (np.array(state_sum, dtype=float) if return_old_state else new_sum)
    return wrong


_ADAGRAD_SINGLES = (
    Mistake(
        "eps inside the square root",
        "You divide by sqrt(state_sum + eps); this exercise (and PyTorch) adds eps OUTSIDE "
        "the root, next to it. The two differ wherever state_sum is about as small as eps, "
        "e.g. in the first steps of a weight with tiny gradients.",
        _adagrad_wrong(denominator=lambda s, eps: np.sqrt(s + eps)), hint=2),
    Mistake(
        "gradient not squared",
        "Your accumulator adds g, not g * g: AdaGrad sums SQUARED gradients, so that the "
        "root of the sum has the size of a gradient (and the sum never becomes negative).",
        _adagrad_wrong(accumulate=lambda s, g: s + g), hint=1),
    Mistake(
        "gradient not squared",
        "Your accumulator adds g, not g * g (and you take the root of its absolute value): "
        "AdaGrad sums SQUARED gradients, so that the root of the sum has the size of a "
        "gradient.",
        _adagrad_wrong(accumulate=lambda s, g: s + g,
                       denominator=lambda s, eps: np.sqrt(np.abs(s)) + eps), hint=1),
    Mistake(
        "squared gradients averaged over all weights",
        "Your accumulator adds the mean of g * g over all the weights: one number for the "
        "whole array. AdaGrad keeps one sum per weight, element by element, so that each "
        "weight gets its own learning rate.",
        _adagrad_wrong(accumulate=lambda s, g: s + np.mean(g * g)), hint=1),
    Mistake(
        "absolute value instead of square",
        "Your accumulator adds |g|; AdaGrad sums squared gradients, and divides by the root "
        "of that sum.",
        _adagrad_wrong(accumulate=lambda s, g: s + np.abs(g)), hint=1),
    Mistake(
        "no square root",
        "You divide by state_sum + eps; AdaGrad divides by its square root, which has the "
        "units of a gradient, so that the step g / sqrt(state_sum) is about 1 in size for "
        "every weight.",
        _adagrad_wrong(denominator=lambda s, eps: s + eps), hint=2),
    Mistake(
        "eps forgotten",
        "You divide by sqrt(state_sum) without eps: a weight whose gradients have all "
        "been 0 gives 0 / 0 = NaN. Add eps to the denominator.",
        _adagrad_wrong(denominator=lambda s, eps: np.sqrt(s)), hint=2),
    Mistake(
        "eps added to the weights",
        "You add eps to the new weights (w - lr * g / sqrt(state_sum) + eps): parentheses "
        "are missing. eps belongs in the denominator, next to the square root.",
        _adagrad_wrong(eps_on_w=True), hint=3),
    Mistake(
        "step taken with the old accumulator",
        "Your step divides by the accumulator from BEFORE this step's gradient was added. "
        "Add g * g first, then divide by the new sum's root (in the very first step the old "
        "sum is 0 and you would divide by eps alone).",
        _adagrad_wrong(old_state_step=True), hint=1),
    Mistake(
        "accumulator not carried over",
        "Your accumulator is this step's g * g alone: the sum of the earlier squared "
        "gradients, the state_sum you were given, is dropped, so the step never shrinks. "
        "AdaGrad ADDS g * g to the running sum.",
        _adagrad_wrong(accumulate=lambda s, g: g * g), hint=1),
    Mistake(
        "lr_decay off by one",
        "Your learning rate is lr / (1 + step * lr_decay); the first step (step = 1) must "
        "use the full lr, so the decay counts step - 1 earlier steps.",
        _adagrad_wrong(lr_of_step=lambda lr, d, t: lr / (1 + t * d)), hint=2),
    Mistake(
        "lr_decay ignored",
        "Your step uses lr whatever lr_decay is. With lr_decay > 0 the learning rate "
        "itself decays too: lr / (1 + (step - 1) * lr_decay).",
        _adagrad_wrong(lr_of_step=lambda lr, d, t: lr), hint=2),
    Mistake(
        "exponential lr_decay",
        "Your learning rate decays exponentially, lr * (1 - lr_decay)^(step - 1); "
        "PyTorch's lr_decay divides instead: lr / (1 + (step - 1) * lr_decay).",
        _adagrad_wrong(lr_of_step=lambda lr, d, t: lr * (1 - d) ** (t - 1)), hint=2),
    Mistake(
        "old accumulator returned",
        "The weights are right but the state_sum you return is the one you were given: "
        "return the NEW sum, or the next step forgets this gradient.",
        _adagrad_wrong(return_old_state=True), hint=1),
    Mistake(
        "lr_decay outside the parentheses",
        "Your learning rate is lr / (1 + step - 1) * lr_decay: Python divides first and "
        "then multiplies, so without decay (lr_decay = 0) the step is 0. The whole "
        "1 + (step - 1) * lr_decay is the divisor: put it in parentheses.",
        _adagrad_wrong(lr_of_step=lambda lr, d, t: lr / (1 + t - 1) * d), hint=2),
    Mistake(
        "lr_decay subtracted",
        "Your learning rate falls linearly, lr * (1 - (step - 1) * lr_decay), and would "
        "become negative after enough steps. PyTorch's lr_decay divides: "
        "lr / (1 + (step - 1) * lr_decay).",
        _adagrad_wrong(lr_of_step=lambda lr, d, t: lr * (1 - (t - 1) * d)), hint=2),
    Mistake(
        "an extra 1 / sqrt(step)",
        "Your step is divided by sqrt(step) on top of the root of the sum. AdaGrad's "
        "step shrinks like 1 / sqrt(t) all by itself, BECAUSE the sum of t squared "
        "gradients grows like t: do not divide by sqrt(step) as well.",
        _adagrad_wrong(lr_of_step=lambda lr, d, t: lr / (1 + (t - 1) * d) / math.sqrt(t)),
        hint=1),
    Mistake(
        "mean of the squared gradients instead of their sum",
        "You divide by the root of state_sum / step, the MEAN of the squared gradients so "
        "far. AdaGrad divides by the root of their SUM: that is what makes its step "
        "shrink as the steps add up.",
        _adagrad_wrong(used_of=lambda s, t: s / t), hint=2),
    Mistake(
        "gradient missing from the step",
        "Your weights move by lr / (sqrt(state_sum) + eps), the effective learning rate "
        "alone: multiply it by the gradient g, or every weight moves the same way "
        "whatever its gradient says (and a weight with g = 0 moves by lr / eps).",
        _adagrad_wrong(numerator=lambda g: np.ones_like(g)), hint=2),

)

# Mistakes that are common enough to come two at a time, from different parts of the rule:
# name, part, hint, short form (for "Two mistakes at once"), switches of _adagrad_wrong.
_ADAGRAD_PAIRABLE = [
    ("eps inside the square root", "denominator", 2,
     "eps is inside the square root, sqrt(state_sum + eps), where it belongs next to it",
     {"denominator": lambda s, eps: np.sqrt(s + eps)}),
    ("no square root", "denominator", 2,
     "you divide by state_sum + eps, not by its square root",
     {"denominator": lambda s, eps: s + eps}),
    ("absolute value instead of square", "sum", 1,
     "the accumulator adds |g| instead of g * g", {"accumulate": lambda s, g: s + np.abs(g)}),
    ("accumulator not carried over", "sum", 1,
     "the accumulator is this step's g * g alone, without the state_sum you were given",
     {"accumulate": lambda s, g: g * g}),
    ("step taken with the old accumulator", "order", 1,
     "the step divides by the accumulator from before this step's g * g was added",
     {"old_state_step": True}),
    ("old accumulator returned", "order", 1,
     "you return the state_sum you were given instead of the new sum",
     {"return_old_state": True}),
    ("lr_decay off by one", "rate", 2,
     "the rate is lr / (1 + step * lr_decay), where step 1 must use the full lr: "
     "lr / (1 + (step - 1) * lr_decay)",
     {"lr_of_step": lambda lr, d, t: lr / (1 + t * d)}),
    ("lr_decay ignored", "rate", 2,
     "the rate is lr whatever lr_decay is, where it is lr / (1 + (step - 1) * lr_decay)",
     {"lr_of_step": lambda lr, d, t: lr}),
    ("exponential lr_decay", "rate", 2,
     "the rate decays exponentially, lr * (1 - lr_decay)^(step - 1), where PyTorch divides: "
     "lr / (1 + (step - 1) * lr_decay)",
     {"lr_of_step": lambda lr, d, t: lr * (1 - d) ** (t - 1)}),
]

_ADAGRAD_MISTAKES = (
    _ADAGRAD_SINGLES
    + (
        Mistake(
            "the step returned instead of the new weights",
            "Your first output is the step, lr * g / (sqrt(state_sum) + eps), not the weights "
            "after it. Return the new weights, w minus the step.",
            _returned_instead(_adagrad_wrong(), "step"), hint=3),
        Mistake(
            "the root returned as the state",
            "Your weights are right, but the state_sum you return is the square root of the "
            "sum. state_sum is the sum of squared gradients itself: the next step adds g * g to "
            "it and takes the root again. Keep the root in its own variable.",
            _returned_instead(_adagrad_wrong(), "root"), hint=1),
        Mistake(
            "lr_decay multiplies the rate",
            "Your learning rate GROWS with the steps: lr * (1 + (step - 1) * lr_decay). "
            "lr_decay makes it shrink: divide, lr / (1 + (step - 1) * lr_decay).",
            _adagrad_wrong(lr_of_step=lambda lr, d, t: lr * (1 + (t - 1) * d)), hint=2),
        Mistake(
            "parentheses missing around step - 1",
            "Your learning rate is lr / (1 + step - 1 * lr_decay): without parentheses around "
            "step - 1, Python multiplies 1 * lr_decay first, so the divisor is about step "
            "itself. Write lr / (1 + (step - 1) * lr_decay).",
            _adagrad_wrong(lr_of_step=lambda lr, d, t: lr / (1 + t - 1 * d)), hint=2),
        Mistake(
            "lr_decay as a power",
            "Your learning rate is lr / (1 + lr_decay)^(step - 1), a decay that grows "
            "exponentially. PyTorch's lr_decay divides by a number that grows linearly with the "
            "steps: lr / (1 + (step - 1) * lr_decay).",
            _adagrad_wrong(lr_of_step=lambda lr, d, t: lr / (1 + d) ** (t - 1)), hint=2),
    )
    + _fixed(_adagrad_wrong(), eps=(1e-7, "Keras's default"))
    + _pairs(_ADAGRAD_PAIRABLE, _adagrad_wrong, _adagrad_cases(), _adagrad, _ADAGRAD_SINGLES)
)

ADAGRAD = Check(
    name="check_adagrad_update",
    function="adagrad_update",
    reference=_adagrad,
    cases=_adagrad_cases,
    mistakes=_ADAGRAD_MISTAKES,
    output_names=("w", "state_sum"),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``adagrad_update(w, g, state_sum, step, lr, lr_decay, eps) -> (w, state_sum)``: "
        "``state_sum = state_sum + g^2``; ``w = w - lr / (1 + (step - 1) lr_decay) g / "
        "(sqrt(state_sum) + eps)``; new arrays, inputs unchanged",
)


# --------------------------------------------------------------------------- RMSProp


def _rmsprop(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    w, square_avg, _, _ = rmsprop_update(w, g, square_avg, lr=lr, alpha=beta, eps=eps)
    return w, square_avg


def _rmsprop_cases():
    w1, g1, _ = _arrays(510, 4)
    g1[1] = 0.0  # a zero gradient at the first step: the step must be 0, not 0 / 0
    w2, g2, s2 = _arrays(511, 4)
    w3, g3, s3 = _arrays(512, (2, 3))
    w4, g4, s4 = _arrays(513, 3, state_scale=1e-6)
    w5, g5, s5 = _arrays(514, 1)
    w6, g6, s6 = _arrays(515, 3)
    w7, g7, s7 = _arrays(516, 4)
    return [
        Case("first step: the average starts at 0, one gradient is 0", (w1, g1, np.zeros(4)),
             {"lr": 0.01, "beta": 0.9}),
        Case("a later step, beta = 0.99", (w2, g2, s2), {"lr": 0.01, "beta": 0.99}),
        Case("a 2 x 3 matrix of weights, beta = 0.5", (w3, g3, s3), {"lr": 0.1, "beta": 0.5}),
        Case("tiny gradients and eps = 1e-3", (w4, 1e-3 * g4, s4),
             {"lr": 0.01, "beta": 0.9, "eps": 1e-3}),
        Case("one weight, lr = 1", (w5, g5, s5), {"lr": 1.0, "beta": 0.8}),
        Case("beta = 0: only the current gradient counts", (w6, g6, s6),
             {"lr": 0.1, "beta": 0.0}),
        Case("the defaults (lr = 0.01, beta = 0.99)", (w7, g7, s7)),
    ]


def _rmsprop_wrong(average=None, denominator=None, old_state_step=False,
                   return_old_state=False, eps_on_w=False):
    """A wrong RMSProp: each argument replaces one piece of the correct computation;
    ``denominator(used, eps, beta)``."""
    def wrong(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
        new_avg = (average(square_avg, g, beta) if average
                   else beta * square_avg + (1 - beta) * g * g)
        used = square_avg if old_state_step else new_avg
        denom = denominator(used, eps, beta) if denominator else np.sqrt(used) + eps
        w_new = w - lr * g / np.sqrt(used) + eps if eps_on_w else w - lr * g / denom
        return w_new, (np.array(square_avg, dtype=float) if return_old_state else new_avg)
    return wrong


_RMSPROP_SINGLES = (
    Mistake(
        "eps inside the square root",
        "You divide by sqrt(square_avg + eps); this exercise (and PyTorch) adds eps OUTSIDE "
        "the root, next to it. The two differ wherever the average is about as small as "
        "eps.",
        _rmsprop_wrong(denominator=lambda s, eps, b: np.sqrt(s + eps)), hint=2),
    Mistake(
        "(1 - beta) missing",
        "Your average is beta * square_avg + g * g: without the factor (1 - beta) it is "
        "not an average but a sum that grows to 1 / (1 - beta) times the squared gradient. "
        "The new squared gradient gets the weight 1 - beta.",
        _rmsprop_wrong(average=lambda s, g, b: b * s + g * g), hint=2),
    Mistake(
        "beta and 1 - beta swapped",
        "Your average is (1 - beta) * square_avg + beta * g * g: the weights are swapped. "
        "beta (0.9 or 0.99, PyTorch's alpha) is the share of the OLD average that is kept; "
        "the new squared gradient gets the small weight 1 - beta.",
        _rmsprop_wrong(average=lambda s, g, b: (1 - b) * s + b * g * g), hint=1),
    Mistake(
        "gradient not squared",
        "Your average is built from g, not g * g: RMSProp averages SQUARED gradients "
        "(that is the 'mean square' in its name) and divides by the root of that mean.",
        _rmsprop_wrong(average=lambda s, g, b: b * s + (1 - b) * g), hint=1),
    Mistake(
        "|g| instead of g squared",
        "Your average is built from |g|, not g * g: RMSProp averages SQUARED gradients, so "
        "that the root of the average has the size of a gradient.",
        _rmsprop_wrong(average=lambda s, g, b: b * s + (1 - b) * np.abs(g)), hint=1),
    Mistake(
        "squared gradients averaged over all weights",
        "Your average takes the mean of g * g over all the weights: one number for the "
        "whole array. RMSProp keeps one average per weight, element by element, so that "
        "each weight gets its own learning rate.",
        _rmsprop_wrong(average=lambda s, g, b: b * s + (1 - b) * np.mean(g * g)), hint=1),
    Mistake(
        "AdaGrad's sum instead of an average",
        "Your state is square_avg + g * g, AdaGrad's ever-growing sum. RMSProp forgets old "
        "gradients: it keeps the share beta of the old average.",
        _rmsprop_wrong(average=lambda s, g, b: s + g * g), hint=1),
    Mistake(
        "no square root",
        "You divide by square_avg + eps; RMSProp divides by its square root (the Root of "
        "the Mean Square), plus eps.",
        _rmsprop_wrong(denominator=lambda s, eps, b: s + eps), hint=2),
    Mistake(
        "eps forgotten",
        "You divide by sqrt(square_avg) without eps: a weight whose gradients have all been "
        "0 gives 0 / 0 = NaN. Add eps to the denominator.",
        _rmsprop_wrong(denominator=lambda s, eps, b: np.sqrt(s)), hint=2),
    Mistake(
        "eps added to the weights",
        "You add eps to the new weights (w - lr * g / sqrt(square_avg) + eps): parentheses "
        "are missing. eps belongs in the denominator, next to the square root.",
        _rmsprop_wrong(eps_on_w=True), hint=3),
    Mistake(
        "step taken with the old average",
        "Your step divides by the average from BEFORE this step's gradient was added. "
        "Update square_avg first, then divide by its root (in the first step the old "
        "average is 0 and you would divide by eps alone).",
        _rmsprop_wrong(old_state_step=True), hint=1),
    Mistake(
        "old average returned",
        "The weights are right but the square_avg you return is the one you were given: "
        "return the NEW average, or the next step forgets this gradient.",
        _rmsprop_wrong(return_old_state=True), hint=1),
    Mistake(
        "average divided by 1 - beta",
        "You divide by the root of square_avg / (1 - beta), a correction in the spirit of "
        "Adam's. RMSProp has none: it divides by the root of the average itself, which is "
        "why its first steps are larger than lr (the average starts at 0). Adam's bias "
        "correction, lesson 06, divides by 1 - beta^t, and needs a step counter.",
        _rmsprop_wrong(denominator=lambda s, eps, b: np.sqrt(s / (1 - b)) + eps), hint=2),

)

# name, part, hint, short form, switches of _rmsprop_wrong (see _ADAGRAD_PAIRABLE).
_RMSPROP_PAIRABLE = [
    ("(1 - beta) missing", "average", 2,
     "the average is beta * square_avg + g * g, without the factor (1 - beta) on g * g",
     {"average": lambda s, g, b: b * s + g * g}),
    ("beta and 1 - beta swapped", "average", 1,
     "the average is (1 - beta) * square_avg + beta * g * g: beta belongs to the OLD average",
     {"average": lambda s, g, b: (1 - b) * s + b * g * g}),
    ("|g| instead of g squared", "average", 1,
     "the average is built from |g|, not g * g",
     {"average": lambda s, g, b: b * s + (1 - b) * np.abs(g)}),
    ("AdaGrad's sum instead of an average", "average", 1,
     "the state is AdaGrad's sum square_avg + g * g, not an average",
     {"average": lambda s, g, b: s + g * g}),
    ("eps inside the square root", "denominator", 2,
     "eps is inside the square root, sqrt(square_avg + eps), where it belongs next to it",
     {"denominator": lambda s, eps, b: np.sqrt(s + eps)}),
    ("no square root", "denominator", 2,
     "you divide by square_avg + eps, not by its square root",
     {"denominator": lambda s, eps, b: s + eps}),
    ("average divided by 1 - beta", "denominator", 2,
     "you divide by the root of square_avg / (1 - beta); RMSProp has no such correction",
     {"denominator": lambda s, eps, b: np.sqrt(s / (1 - b)) + eps}),
    ("step taken with the old average", "order", 1,
     "the step divides by the average from before this step's gradient was added",
     {"old_state_step": True}),
    ("old average returned", "order", 1,
     "you return the square_avg you were given instead of the new average",
     {"return_old_state": True}),
]

_RMSPROP_MISTAKES = (
    _RMSPROP_SINGLES
    + (
        Mistake(
            "the step returned instead of the new weights",
            "Your first output is the step, lr * g / (sqrt(square_avg) + eps), not the weights "
            "after it. Return the new weights, w minus the step.",
            _returned_instead(_rmsprop_wrong(), "step"), hint=3),
        Mistake(
            "the root returned as the state",
            "Your weights are right, but the square_avg you return is the square root of the "
            "average. square_avg is the average of squared gradients itself: the next step "
            "mixes g * g into it and takes the root again. Keep the root in its own variable.",
            _returned_instead(_rmsprop_wrong(), "root"), hint=1),
    )
    + _fixed(_rmsprop_wrong(), beta=(0.9, "Keras's rho and the value of Tieleman & Hinton's "
                                          "lecture"),
             eps=(1e-7, "Keras's default"))
    + (
        Mistake(
            "beta and eps fixed at Keras's 0.9 and 1e-7",
            "Your function uses Keras's defaults, beta = 0.9 (its rho) and eps = 1e-7, "
            "whatever beta and eps are passed: use the arguments; their defaults here are "
            "PyTorch's (0.99 and 1e-8).",
            lambda w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8: _rmsprop_wrong()(
                w, g, square_avg, lr=lr, beta=0.9, eps=1e-7), hint=1),
    )
    + _pairs(_RMSPROP_PAIRABLE, _rmsprop_wrong, _rmsprop_cases(), _rmsprop, _RMSPROP_SINGLES)
)

RMSPROP = Check(
    name="check_rmsprop_update",
    function="rmsprop_update",
    reference=_rmsprop,
    cases=_rmsprop_cases,
    mistakes=_RMSPROP_MISTAKES,
    output_names=("w", "square_avg"),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``rmsprop_update(w, g, square_avg, lr, beta, eps) -> (w, square_avg)``: "
        "``square_avg = beta square_avg + (1 - beta) g^2``; ``w = w - lr g / (sqrt(square_avg) "
        "+ eps)``; new arrays, inputs unchanged",
)


# --------------------------------------------------------------------------- RMSProp's warm-up


def _warmup(beta, tolerance=0.01):
    """First step t (from 1) with ``1 / sqrt(1 - beta^t) <= 1 + tolerance``."""
    if beta == 0:
        return 1
    return max(1, math.ceil(math.log(1 - (1 + tolerance) ** -2) / math.log(beta)))


def _warmup_cases():
    return [
        Case("beta = 0.9 (the lesson measured step 38)", (0.9,)),
        Case("beta = 0.99, tolerance = 0.01 given", (0.99,), {"tolerance": 0.01}),
        Case("beta = 0.999, Adam's default beta2", (0.999,)),
        Case("beta = 0.9, within 10 %", (0.9,), {"tolerance": 0.1}),
        Case("beta = 0.5, within 0.1 %", (0.5,), {"tolerance": 0.001}),
        Case("beta = 0: no memory, the first step is already lr", (0.0,)),
        Case("beta = 0.1, within 50 %: the first step is already close enough", (0.1,),
             {"tolerance": 0.5}),
        Case("beta = 0.98, within 5 %", (0.98,), {"tolerance": 0.05}),
    ]


def _warmup_with(condition, rounding=math.ceil, shift=0, at_least_one=True, clip=None):
    """A wrong warm-up: ``condition(tolerance)`` is the bound on beta^t, ``rounding`` turns the
    real solution into a step, ``shift`` moves the count; ``clip`` (default: ``at_least_one``)
    makes every answer at least 1."""
    clip = at_least_one if clip is None else clip

    def wrong(beta, tolerance=0.01):
        if beta == 0:
            return 1 + shift if at_least_one else 0
        bound = condition(tolerance)
        t = rounding(math.log(bound) / math.log(beta)) + shift
        return max(1, t) if clip else t
    return wrong


_RIGHT = lambda tol: 1 - (1 + tol) ** -2  # noqa: E731


_WARMUP_SINGLES = (
    Mistake(
        "square root forgotten",
        "Your bound is beta^t <= 1 - 1 / (1 + tolerance): it would hold if the step were "
        "lr / (1 - beta^t). RMSProp divides by the square ROOT of the average, "
        "sqrt(s_t) = sqrt(1 - beta^t) |g|, so the step is lr / sqrt(1 - beta^t) and the "
        "bound is beta^t <= 1 - 1 / (1 + tolerance)^2.",
        _warmup_with(lambda tol: 1 - 1 / (1 + tol)), hint=2),
    Mistake(
        "rounded down",
        "Your step is one too early: t = ln(...) / ln(beta) is a real number, and the "
        "first whole step that satisfies the bound is the next one up (round up, "
        "math.ceil; int() and // round down).",
        _warmup_with(_RIGHT, rounding=math.floor), hint=3),
    Mistake(
        "rounded down",
        "Your step is one too early: t = ln(...) / ln(beta) is a real number, and the "
        "first whole step that satisfies the bound is the next one up (round up, "
        "math.ceil; int() and // round down). Where t is below 1 you even answer 0: step 1 "
        "is the first step there is.",
        _warmup_with(_RIGHT, rounding=math.floor, clip=False), hint=3),
    Mistake(
        "rounded to the nearest step",
        "You rounded t = ln(...) / ln(beta) to the nearest whole number; when it rounds "
        "down, that step is still above the tolerance. Round up (math.ceil).",
        _warmup_with(_RIGHT, rounding=round), hint=3),
    Mistake(
        "rounded to the nearest step",
        "You rounded t = ln(...) / ln(beta) to the nearest whole number; when it rounds "
        "down, that step is still above the tolerance (and below 0.5 you answer step 0). Round "
        "up (math.ceil).",
        _warmup_with(_RIGHT, rounding=round, clip=False), hint=3),
    Mistake(
        "counted from 0",
        "Your answer is one step early everywhere: steps count from 1 (the first update is "
        "t = 1, where s_1 = (1 - beta) g^2), so do not subtract 1.",
        _warmup_with(_RIGHT, shift=-1, at_least_one=False), hint=1),
    Mistake(
        "the average instead of the step",
        "You asked when the AVERAGE s_t = (1 - beta^t) g^2 is within the tolerance of g^2 "
        "(beta^t <= tolerance). The question is about the step, lr / sqrt(1 - beta^t): "
        "it is within the tolerance of lr when 1 / sqrt(1 - beta^t) <= 1 + tolerance.",
        _warmup_with(lambda tol: tol), hint=1),
    Mistake(
        "1 - tolerance instead of 1 + tolerance",
        "Your bound uses 1 - tolerance. RMSProp's early steps are LARGER than lr (the "
        "average starts at 0), so the step is within the tolerance once "
        "lr / sqrt(1 - beta^t) <= (1 + tolerance) lr.",
        _warmup_with(lambda tol: 1 - (1 - tol) ** 2), hint=2),
    Mistake(
        "step 0 for beta = 0",
        "Your answer for beta = 0 is 0 (ln(0) is minus infinity, and any number over it is "
        "0). Steps count from 1: with beta = 0 the very first step is already exactly lr, "
        "so the answer is 1. Make sure the answer is at least 1.",
        _warmup_with(_RIGHT, at_least_one=False), hint=3),
    Mistake(
        "a float, not an int",
        "Your step is right but it is a float (np.ceil returns floats). A step number is a "
        "whole number: use math.ceil, which returns an int, or wrap it in int().",
        lambda beta, tolerance=0.01: float(_warmup(beta, tolerance)), hint=3),
    Mistake(
        "log10 divided by ln",
        "Your answer is about 2.3 times too small: you divided a base-10 logarithm by a "
        "natural one (or the reverse). t = log(bound) / log(beta) holds in any base, as "
        "long as both logarithms use the SAME base.",
        lambda beta, tolerance=0.01: 1 if beta == 0 else max(1, math.ceil(
            math.log10(_RIGHT(tolerance)) / math.log(beta))), hint=3),
    Mistake(
        "the 1 - dropped from the bound",
        "Your bound is beta^t <= 1 / (1 + tolerance)^2: the 1 - is missing. From "
        "1 / sqrt(1 - beta^t) <= 1 + tolerance: 1 - beta^t >= 1 / (1 + tolerance)^2, so "
        "beta^t <= 1 - 1 / (1 + tolerance)^2.",
        _warmup_with(lambda tol: (1 + tol) ** -2), hint=2),
    Mistake(
        "ln(1 - beta) instead of ln(beta)",
        "You divided by ln(1 - beta). The average keeps the share beta of itself at every "
        "step, so after t steps the part still missing is beta^t: solve beta^t <= bound, "
        "t >= ln(bound) / ln(beta).",
        lambda beta, tolerance=0.01: 1 if beta == 0 else max(1, math.ceil(
            math.log(_RIGHT(tolerance)) / math.log(1 - beta))), hint=2),
    Mistake(
        "root of (1 + tolerance) instead of its square",
        "Your bound is beta^t <= 1 - (1 + tolerance)^(-1/2): the square root went to the "
        "wrong side. The step lr / sqrt(1 - beta^t) is within the tolerance when "
        "sqrt(1 - beta^t) >= 1 / (1 + tolerance); squaring both sides gives "
        "1 - beta^t >= 1 / (1 + tolerance)^2.",
        _warmup_with(lambda tol: 1 - (1 + tol) ** -0.5), hint=2),
    Mistake(
        "the bound approximated by 2 tolerance",
        "Your bound is beta^t <= 2 tolerance, the first-order approximation of "
        "1 - 1 / (1 + tolerance)^2. It is close for a small tolerance, but the step right "
        "at the boundary can fall on the wrong side (390 instead of 391 at beta = 0.99), "
        "and for a large tolerance it is far off. Use the exact bound.",
        _warmup_with(lambda tol: 2 * tol), hint=2),
    Mistake(
        "the bound approximated by 2 tolerance",
        "Your bound is beta^t <= 2 tolerance, the first-order approximation of "
        "1 - 1 / (1 + tolerance)^2. It is close for a small tolerance, but the step right "
        "at the boundary can fall on the wrong side (390 instead of 391 at beta = 0.99), "
        "and for a large tolerance it is far off (at 50 % the bound is 1 and your answer "
        "step 0). Use the exact bound.",
        _warmup_with(lambda tol: 2 * tol, clip=False), hint=2),
    Mistake(
        "the logarithms upside down",
        "You divided ln(beta) by ln(bound); solving beta^t = bound for t gives "
        "t = ln(bound) / ln(beta), the bound's logarithm on top. (Your quotient is below "
        "1, so the answer came out as step 1.)",
        lambda beta, tolerance=0.01: 1 if beta == 0 else max(1, math.ceil(
            math.log(beta) / math.log(_RIGHT(tolerance)))), hint=2),
    Mistake(
        "one step late",
        "Your answer is one step late everywhere: the first whole step t with t >= ln(bound) "
        "/ ln(beta) is that number rounded up, math.ceil, with nothing added.",
        _warmup_with(_RIGHT, shift=1), hint=3),
    Mistake(
        "step 1 whatever beta",
        "Your answer is step 1 for every beta and tolerance. That would be right if the "
        "average started at g^2, but it starts at 0: s_1 = (1 - beta) g^2, so the first step is "
        "lr / sqrt(1 - beta), 10 lr at beta = 0.99. Work out s_t, then the step, then the "
        "first t where it is within the tolerance.",
        lambda beta, tolerance=0.01: 1, hint=1),
    Mistake(
        "tolerance ignored",
        "Your answer does not change with the tolerance: it is always the answer for 1 %. "
        "Use the tolerance argument in the bound.",
        lambda beta, tolerance=0.01: _warmup(beta, 0.01), hint=1),

)

# A wrong bound and a wrong rounding together: name, part, hint, short form, switches of
# _warmup_with.
_WARMUP_PAIRABLE = [
    ("square root forgotten", "bound", 2,
     "the bound 1 - 1 / (1 + tolerance) forgets the square root: it is "
     "1 - 1 / (1 + tolerance)^2", {"condition": lambda tol: 1 - 1 / (1 + tol)}),
    ("the average instead of the step", "bound", 1,
     "you asked when the average, not the step, is within the tolerance (beta^t <= tolerance)",
     {"condition": lambda tol: tol}),
    ("1 - tolerance instead of 1 + tolerance", "bound", 2,
     "the bound uses 1 - tolerance, where RMSProp's early steps are larger than lr: "
     "1 + tolerance", {"condition": lambda tol: 1 - (1 - tol) ** 2}),
    ("the 1 - dropped from the bound", "bound", 2,
     "the bound is 1 / (1 + tolerance)^2, without its 1 -",
     {"condition": lambda tol: (1 + tol) ** -2}),
    ("the bound approximated by 2 tolerance", "bound", 2,
     "the bound is 2 tolerance, an approximation of 1 - 1 / (1 + tolerance)^2",
     {"condition": lambda tol: 2 * tol}),
    ("rounded down", "rounding", 3,
     "t is rounded down, where the first whole step within the bound is the next one up "
     "(math.ceil)", {"rounding": math.floor}),
    ("rounded down", "rounding", 3,
     "t is rounded down, where the first whole step within the bound is the next one up "
     "(math.ceil)", {"rounding": math.floor, "clip": False}),
    ("rounded to the nearest step", "rounding", 3,
     "t is rounded to the nearest whole number, where it must be rounded up (math.ceil)",
     {"rounding": round}),
    ("rounded to the nearest step", "rounding", 3,
     "t is rounded to the nearest whole number, where it must be rounded up (math.ceil)",
     {"rounding": round, "clip": False}),
    ("counted from 0", "rounding", 1,
     "the count is one step early (steps count from 1)", {"shift": -1, "at_least_one": False}),
]


def _warmup_pair(condition=_RIGHT, rounding=math.ceil, shift=0, at_least_one=True, clip=None):
    return _warmup_with(condition, rounding=rounding, shift=shift, at_least_one=at_least_one,
                        clip=clip)


_WARMUP_MISTAKES = _WARMUP_SINGLES + _pairs(_WARMUP_PAIRABLE, _warmup_pair, _warmup_cases(),
                                            _warmup, _WARMUP_SINGLES)


WARMUP = Check(
    name="check_rmsprop_warmup_steps",
    function="rmsprop_warmup_steps",
    reference=_warmup,
    cases=_warmup_cases,
    mistakes=_WARMUP_MISTAKES,
    output_names=None,
    hints=HINTS,
    doc="``rmsprop_warmup_steps(beta, tolerance=0.01) -> int``: the first step t (from 1) with "
        "``lr / sqrt(1 - beta^t) <= (1 + tolerance) lr``: ``ceil(ln(1 - (1 + tolerance)^-2) / "
        "ln(beta))``, at least 1",
)

CHECKS = (ADAGRAD, RMSPROP, WARMUP)

check_adagrad_update = ADAGRAD.check_function()
check_rmsprop_update = RMSPROP.check_function()
check_rmsprop_warmup_steps = WARMUP.check_function()
