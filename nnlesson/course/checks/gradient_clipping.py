"""Checks for lesson 08, gradient clipping, declared as data (see :mod:`._core`).

Gradients are lists of arrays (one per parameter), as in a network. The references are
:func:`nnlesson.clip.clip_by_global_norm`, :func:`nnlesson.clip.clip_by_value` and
:func:`nnlesson.optim.momentum_update` (checked against ``torch.nn.utils`` and ``torch.optim``
in the test suite):

* ``clip_by_global_norm(grads, max_norm) -> (clipped, total_norm)``;
* ``clip_by_value(grads, clip_value) -> clipped``;
* ``clipped_momentum_step(params, grads, velocities, lr, beta, max_norm)
  -> (new_params, new_velocities, grad_norm)``: clip first, then EMA momentum;
* ``effective_lrs(grad_norms, lr, max_norm) -> rates``: the learning rate each update of a
  norm-clipped run really used, ``lr * min(1, max_norm / norm)``, from the norms a training loop
  records (the exercise asks the student to derive it).

The library divides by ``norm + 1e-6`` as PyTorch does; the textbook formula
``clip_norm * g / max(||g||, clip_norm)`` has no epsilon. The two differ by about
``1e-6 / ||g||`` relative, so the checks use ``rtol=1e-5`` and accept both.
"""
from __future__ import annotations

import numpy as np

from nnlesson.clip import clip_by_global_norm, clip_by_value
from nnlesson.course.checks._core import Case, Check, Mistake
from nnlesson.optim import momentum_update

__all__ = ["CLIP_NORM", "CLIP_VALUE", "CLIPPED_STEP", "EFFECTIVE_LRS", "CHECKS",
           "check_clip_by_global_norm", "check_clip_by_value", "check_clipped_momentum_step",
           "check_effective_lrs"]

RTOL = 1e-5  # room for PyTorch's 1e-6 in the denominator (see the module docstring)

# The library's clipping in any form (the functions, Clipping, the private kernels), and its
# momentum rule for the training step.
FORBIDDEN_CLIP = ("nnlesson.clip.*",)
FORBIDDEN_STEP = FORBIDDEN_CLIP + ("nnlesson.optim.momentum_update", "nnlesson.optim.Momentum.*",
                                   "nnlesson.optim.*momentum*")

HINTS = ("the idea", "the formula", "a partial line")


def _norm(grads):
    return float(np.sqrt(sum(np.sum(g * g) for g in grads)))


def _clip(grads, max_norm):
    """Clipping by global norm written out (the mistakes below must not call the library,
    which the check forbids): ``(clipped, norm before)``, PyTorch's ``norm + 1e-6``."""
    total = _norm(grads)
    factor = min(1.0, max_norm / (total + 1e-6))
    return [g * factor for g in grads], total


def _seeded_grads(seed, shapes, scale):
    rng = np.random.default_rng(seed)
    return [scale * rng.standard_normal(shape) for shape in shapes]


# --------------------------------------------------------------------------- by global norm


def _clip_norm(grads, max_norm):
    """The library's clipping by global norm: ``(clipped, total_norm)``."""
    clipped, total = clip_by_global_norm(grads, max_norm)
    return clipped, total


def _per_tensor(grads, max_norm):
    out = []
    for g in grads:
        n = float(np.sqrt(np.sum(g * g)))
        out.append(g * max_norm / n if n > max_norm else g.copy())
    return out, _norm(grads)


def _norm_after_clip(grads, max_norm):
    clipped, _ = _clip(grads, max_norm)
    return clipped, _norm(clipped)


def _always_rescaled(grads, max_norm):
    n = _norm(grads)
    with np.errstate(invalid="ignore", divide="ignore"):  # a zero gradient gives 0/0, as theirs
        return [g * max_norm / n for g in grads], n


def _always_rescaled_with_eps(grads, max_norm):
    # PyTorch's max_norm / (norm + 1e-6), without the min(1, ...): a zero gradient stays 0
    n = _norm(grads)
    return [g * (max_norm / (n + 1e-6)) for g in grads], n


def _threshold_fixed(grads, max_norm):
    return _clip(grads, 1.0)


def _squared_norm(grads, max_norm):
    sq = float(sum(np.sum(g * g) for g in grads))
    return [g * max_norm / sq if sq > max_norm else g.copy() for g in grads], sq


def _by_value_instead(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads], _norm(grads)


def _inverted_factor(grads, max_norm):
    n = _norm(grads)
    return [g * n / max_norm if n > max_norm else g.copy() for g in grads], n


def _norm_of_norms_summed(grads, max_norm):
    # the norms of the arrays added, not combined in quadrature
    n = float(sum(np.sqrt(np.sum(g * g)) for g in grads))
    return [g * max_norm / n if n > max_norm else g.copy() for g in grads], n


def _largest_entry(grads, max_norm):
    n = max(float(np.max(np.abs(g))) for g in grads)
    return [g * max_norm / n if n > max_norm else g.copy() for g in grads], n


def _mean_square_root(grads, max_norm):
    # the root of the MEAN square (an RMS), not of the sum
    count = sum(g.size for g in grads)
    n = float(np.sqrt(sum(np.sum(g * g) for g in grads) / count))
    return [g * max_norm / n if n > max_norm else g.copy() for g in grads], n


def _min_instead_of_max(grads, max_norm):
    # max_norm / min(total, max_norm): 1 for long gradients, > 1 for short ones
    n = _norm(grads)
    factor = max_norm / min(n, max_norm) if n > 0 else 1.0
    return [g * factor for g in grads], n


def _mean_of_norms(grads, max_norm):
    n = float(np.mean([np.sqrt(np.sum(g * g)) for g in grads]))
    factor = min(1.0, max_norm / n) if n > 0 else 1.0
    return [g * factor for g in grads], n


def _one_flat_array(grads, max_norm):
    clipped, total = _clip(grads, max_norm)
    return np.concatenate([g.ravel() for g in clipped]), total


def _clip_with_norm(norm_of):
    """Clipping with a wrong norm: ``(clipped, that norm)``."""
    def wrong(grads, max_norm):
        n = float(norm_of(grads))
        factor = min(1.0, max_norm / n) if n > 0 else 1.0
        return [g * factor for g in grads], n
    return wrong


def _squared_norm_returned(grads, max_norm):
    clipped, total = _clip(grads, max_norm)
    return clipped, total ** 2


def _total_missing(grads, max_norm):
    return _clip(grads, max_norm)[0]


def _scaled_to_one(grads, max_norm):
    n = _norm(grads)
    return [g / n if n > max_norm else g.copy() for g in grads], n


def _max_of_one(grads, max_norm):
    # max(1, max_norm / total) where min(1, ...) belongs: a zero gradient gives 0 * inf = NaN
    n = _norm(grads)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = max(1.0, max_norm / np.float64(n))
        return [g * factor for g in grads], n


def _per_tensor_norm_after(grads, max_norm):
    clipped, _ = _per_tensor(grads, max_norm)
    return clipped, _norm(clipped)


def _squared_norm_in_the_factor(grads, max_norm):
    # the right norm compared and returned, but the factor divides by its square
    n = _norm(grads)
    return [g * (max_norm / n ** 2 if n > max_norm else 1.0) for g in grads], n


def _each_array_flattened(grads, max_norm):
    clipped, total = _clip(grads, max_norm)
    return [g.ravel() for g in clipped], total


def _one_array_norm(which):
    """The norm of one array only (a loop that overwrote the total, or ``grads[0]``), used to
    clip every array and returned."""
    def wrong(grads, max_norm):
        g_one = grads[which]
        n = float(np.sqrt(np.sum(g_one * g_one)))
        factor = min(1.0, max_norm / n) if n > 0 else 1.0
        return [g * factor for g in grads], n
    return wrong


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
        Case("max_norm 0.5 and a norm just above it",
             ([np.array([0.3, 0.0]), np.array([0.0, -0.41])], 0.5)),
        Case("a norm of 3 under max_norm 4 (above its square root): nothing to clip",
             ([np.array([1.2, -2.4]), np.array([[1.2], [0.6]])], 4.0)),
    ]


CLIP_NORM = Check(
    name="check_clip_by_global_norm",
    function="clip_by_global_norm",
    reference=_clip_norm,
    cases=_clip_norm_cases,
    mistakes=(
        Mistake("per-tensor norm",
                "You clipped each array by its own norm. Norm clipping uses ONE norm over all the "
                "gradients together, total_norm = sqrt(sum of ||g_i||^2), and scales every "
                "array by the same factor; otherwise the direction of the whole gradient "
                "changes.", _per_tensor, hint=1),
        Mistake("norm after clipping returned",
                "The arrays are right, but the norm you return is the one after clipping. Return "
                "the norm measured BEFORE clipping: it is what a training loop records and plots "
                "to see the gradients explode (torch.nn.utils.clip_grad_norm_ does the same).",
                _norm_after_clip, hint=1),
        Mistake("scaled up when under the threshold",
                "You rescaled gradients that were already small, making them longer. Clip only "
                "when total_norm > max_norm: the factor is min(1, max_norm / total_norm).",
                _always_rescaled, hint=2),
        Mistake("scaled up when under the threshold",
                "You rescaled gradients that were already small, making them longer. Clip only "
                "when total_norm > max_norm: the factor is min(1, max_norm / total_norm).",
                _always_rescaled_with_eps, hint=2),
        Mistake("squared norm",
                "Your norm is the sum of squares without the square root. The L2 norm is "
                "sqrt(sum of g^2).", _squared_norm, hint=2),
        Mistake("clipped by value",
                "You cut each entry to [-max_norm, max_norm]: that is clipping by value. "
                "Clipping by norm multiplies all entries by one factor, max_norm / total_norm.",
                _by_value_instead, hint=1),
        Mistake("factor inverted",
                "You multiplied by total_norm / max_norm, which makes a long gradient longer "
                "still. To bring the norm down to max_norm, multiply by max_norm / total_norm.",
                _inverted_factor, hint=2),
        Mistake("norms of the arrays added",
                "You added the norms of the arrays, ||g_1|| + ||g_2|| + ...; the global norm "
                "treats all the entries as one long vector: sqrt(||g_1||^2 + ||g_2||^2 + ...), "
                "the square root of the sum of ALL squared entries.", _norm_of_norms_summed,
                hint=2),
        Mistake("largest entry as the norm",
                "Your norm is the largest |entry| (the max norm). Norm clipping uses the L2 norm "
                "over all entries: sqrt of the sum of every g^2.", _largest_entry, hint=2),
        Mistake("max_norm ignored",
                "Your clipping ignores max_norm: it always shortens the gradient to length 1. "
                "Use the max_norm you are given, in the comparison and in the factor.",
                _threshold_fixed, hint=2),
        Mistake("min instead of max",
                "Your long gradients are not shortened and your short ones are stretched to "
                "max_norm: you divided by min(total_norm, max_norm), or clipped when "
                "total_norm < max_norm. The formula divides by the LARGER of the two, "
                "max(total_norm, max_norm): only a gradient longer than max_norm changes.",
                _min_instead_of_max, hint=2),
        Mistake("mean of the per-array norms",
                "Your norm is the average of the arrays' norms. The global norm treats all the "
                "entries of all the arrays as one long vector: sqrt(||g_1||^2 + ||g_2||^2 + ...), "
                "neither a mean nor a sum of the norms.", _mean_of_norms, hint=2),
        Mistake("one flat array",
                "You returned all the entries as one long vector. Return a list with one array "
                "per parameter, each with the shape of its gradient (flattening is fine for "
                "measuring the norm, not for the result).", _one_flat_array, hint=1),
        Mistake("square of the sum",
                "Your norm squares the SUM of each array's entries, (sum g)^2; the L2 norm sums "
                "the SQUARES of the entries: sqrt(sum of g^2 over every entry of every array).",
                _clip_with_norm(lambda gs: np.sqrt(sum(np.sum(g) ** 2 for g in gs))), hint=2),
        Mistake("mean square of each array",
                "Your norm adds up each array's MEAN square (np.mean(g ** 2)): an array with more "
                "entries then counts less. The global norm is the square root of the SUM of the "
                "squares of all the entries: np.sum(g ** 2) for each array.",
                _clip_with_norm(lambda gs: np.sqrt(sum(np.mean(g * g) for g in gs))), hint=2),
        Mistake("squared norm returned",
                "The clipped arrays are right, but the total_norm you return is squared: return "
                "the norm itself, sqrt(sum of g^2), measured before clipping.",
                _squared_norm_returned, hint=2),
        Mistake("total_norm missing",
                "You returned the clipped arrays only. Return two things, "
                "(clipped, total_norm): the list of clipped arrays and the global norm measured "
                "before clipping, which a training loop records.", _total_missing, hint=1),
        Mistake("shortened to length 1",
                "Your long gradients end with norm 1 instead of max_norm: you divided by the "
                "norm but did not multiply by max_norm. The factor is max_norm / total_norm.",
                _scaled_to_one, hint=2),
        Mistake("mean instead of sum of squares",
                "Your norm is the square root of the MEAN square (an RMS). The L2 norm is the "
                "square root of the SUM of the squares of all entries.", _mean_square_root,
                hint=2),
        Mistake("min instead of max",
                "Your factor is max(1, max_norm / total_norm): long gradients are not shortened "
                "(the factor is 1), short ones are stretched to max_norm, and a zero gradient "
                "gives 0 * inf = NaN. The factor is min(1, max_norm / total_norm), never above "
                "1: only a gradient longer than max_norm changes.", _max_of_one, hint=2),
        Mistake("per-tensor norm + norm after clipping returned",
                "Two mistakes. You clipped each array by its own norm: norm clipping uses ONE "
                "norm over all the gradients together and scales every array by the same "
                "factor. And the norm you return is measured after clipping: return the global "
                "norm BEFORE clipping, the one a training loop records.", _per_tensor_norm_after,
                hint=1),
        Mistake("squared norm in the factor",
                "Your norm is right, but the factor divides by its square, "
                "max_norm / total_norm^2: long gradients end far shorter than max_norm. The "
                "factor is max_norm / total_norm (the sum of squares needs its square root "
                "there too).", _squared_norm_in_the_factor, hint=2),
        Mistake("each array flattened",
                "Your values are right, but each array came back flat (1-D). Return each "
                "clipped array with the shape of its gradient: multiply the array itself by the "
                "factor (flattening is fine for measuring the norm, not for the result).",
                _each_array_flattened, hint=1),
        Mistake("the last array's norm only",
                "Your norm is the norm of the LAST array only: a loop that assigns "
                "`total = ...` at every array keeps only the last value. Add up the squares of "
                "every array (total += np.sum(g ** 2)) and take the square root once, after the "
                "loop.", _one_array_norm(-1), hint=3),
        Mistake("the first array's norm only",
                "Your norm is the norm of the FIRST array only (grads[0]). The global norm "
                "covers every array of the list: sqrt(||g_1||^2 + ||g_2||^2 + ...).",
                _one_array_norm(0), hint=2),
    ),
    output_names=("clipped", "total_norm"),
    forbidden=FORBIDDEN_CLIP,
    hints=HINTS,
    rtol=RTOL,
    doc="``clip_by_global_norm(grads, max_norm) -> (clipped, total_norm)``: "
        "``total_norm = sqrt(sum_i ||g_i||^2)`` over all arrays, before clipping; every array "
        "times ``min(1, max_norm / total_norm)``",
)
check_clip_by_global_norm = CLIP_NORM.check_function()


# --------------------------------------------------------------------------- by value


def _clip_value(grads, clip_value):
    """The library's clipping by value."""
    return clip_by_value(grads, clip_value)


def _upper_only(grads, clip_value):
    return [np.minimum(g, clip_value) for g in grads]


def _lower_only(grads, clip_value):
    return [np.maximum(g, -clip_value) for g in grads]


def _scaled_to_value(grads, clip_value):
    biggest = max(float(np.max(np.abs(g))) for g in grads)
    factor = min(1.0, clip_value / biggest) if biggest > 0 else 1.0
    return [g * factor for g in grads]


def _zero_to_value(grads, clip_value):
    return [np.clip(g, 0.0, clip_value) for g in grads]


def _norm_instead(grads, clip_value):
    total = _norm(grads)
    return [clip_value * g / max(total, clip_value) for g in grads]


def _sign_lost(grads, clip_value):
    return [np.minimum(np.abs(g), clip_value) for g in grads]


def _value_fixed(grads, clip_value):
    return [np.clip(g, -1.0, 1.0) for g in grads]


def _ends_exchanged(grads, clip_value):
    # np.clip(g, clip_value, -clip_value): with the ends exchanged numpy returns the upper one
    return [np.full_like(g, -clip_value) for g in grads]


def _cut_to_zero(grads, clip_value):
    # entries beyond the interval dropped instead of capped
    return [np.where(np.abs(g) > clip_value, 0.0, g) for g in grads]


def _every_entry_at_the_bound(grads, clip_value):
    return [np.sign(g) * clip_value for g in grads]


def _arrays_left_out(grads, clip_value):
    return [np.clip(g, -clip_value, clip_value) for g in grads
            if np.any(np.abs(g) > clip_value)]


def _each_array_scaled(grads, clip_value):
    out = []
    for g in grads:
        m = float(np.max(np.abs(g)))
        out.append(g * clip_value / m if m > clip_value else g.copy())
    return out


def _lower_end_positive(grads, clip_value):
    return [np.full_like(g, clip_value) for g in grads]


def _negative_interval(grads, clip_value):
    return [np.clip(g, -clip_value, 0.0) for g in grads]


def _one_array_clipped(which):
    """Only one array of the list clipped (a test with one array passed), the others as given."""
    def wrong(grads, clip_value):
        out = [g.copy() for g in grads]
        out[which] = np.clip(grads[which], -clip_value, clip_value)
        return out
    return wrong


def _value_flattened(grads, clip_value):
    return [np.clip(g, -clip_value, clip_value).ravel() for g in grads]


def _clip_value_cases():
    return [
        Case("entries above and below the interval",
             ([np.array([3.0, -0.5, -7.0]), np.array([[0.2, 1.5], [-2.0, 0.9]])], 1.0)),
        Case("already inside the interval", ([np.array([0.3, -0.2]), np.array([0.1])], 1.0)),
        Case("random gradients, clip_value 0.5",
             (_seeded_grads(3, [(4,), (3, 2)], 1.0), 0.5)),
        Case("only negative entries are too large",
             ([np.array([-3.0, 0.4, -0.1]), np.array([[-9.0]])], 2.0)),
        Case("only positive entries are too large",
             ([np.array([3.0, 0.4, -0.1]), np.array([[9.0, 0.0]])], 2.5)),
    ]


CLIP_VALUE = Check(
    name="check_clip_by_value",
    function="clip_by_value",
    reference=_clip_value,
    cases=_clip_value_cases,
    mistakes=(
        Mistake("upper side only",
                "Large negative entries are not cut: you only capped the entries above "
                "clip_value. Clip both sides: every entry ends in [-clip_value, clip_value].",
                _upper_only, hint=2),
        Mistake("lower side only",
                "Large positive entries are not cut: you only raised the entries below "
                "-clip_value. Clip both sides: every entry ends in [-clip_value, clip_value].",
                _lower_only, hint=2),
        Mistake("scaled instead of cut",
                "You scaled the whole gradient so its largest entry is clip_value: that keeps the "
                "direction, but it is not value clipping. Value clipping cuts each entry on its "
                "own and leaves the small ones unchanged.", _scaled_to_value, hint=1),
        Mistake("every entry set to the bound",
                "Every entry of yours became +clip_value or -clip_value (sign(g) * clip_value), "
                "the small ones too. Value clipping leaves the entries inside "
                "[-clip_value, clip_value] as they are and only cuts the ones outside.",
                _every_entry_at_the_bound, hint=1),
        Mistake("arrays left out",
                "Your list is missing the arrays that needed no clipping. Return one array per "
                "gradient, in the same order, clipped or not.", _arrays_left_out, hint=1),
        Mistake("each array scaled to its largest entry",
                "You scaled each array so that its largest entry is clip_value: that keeps each "
                "array's direction, but it is not value clipping. Value clipping cuts each "
                "entry on its own and leaves the small ones unchanged.", _each_array_scaled,
                hint=1),
        Mistake("lower end +clip_value",
                "Every entry of yours became +clip_value: the lower end of your interval is "
                "+clip_value (np.maximum(..., clip_value)). The lower end is -clip_value: "
                "max(min(g, clip_value), -clip_value).", _lower_end_positive, hint=2),
        Mistake("clipped to [-clip_value, 0]",
                "Your positive entries became 0: the interval is [-clip_value, clip_value], not "
                "[-clip_value, 0].", _negative_interval, hint=2),
        Mistake("clipped to [0, clip_value]",
                "Your negative entries became 0: the interval is [-clip_value, clip_value], not "
                "[0, clip_value].", _zero_to_value, hint=2),
        Mistake("clipped the norm",
                "You clipped the global norm to clip_value. Clipping by value treats every entry "
                "separately: g_i = max(min(g_i, clip_value), -clip_value).", _norm_instead,
                hint=1),
        Mistake("sign lost",
                "Your clipped entries are all >= 0: you capped |g| and lost the sign. A large "
                "negative entry becomes -clip_value, not +clip_value.", _sign_lost, hint=2),
        Mistake("clip_value ignored",
                "Your clipping ignores clip_value: every entry is cut to [-1, 1]. Use the "
                "clip_value you are given for both ends of the interval.", _value_fixed, hint=2),
        Mistake("interval ends exchanged",
                "Every entry of yours became -clip_value: the two ends of the interval are "
                "exchanged. The lower end is -clip_value, the upper end +clip_value (np.clip "
                "takes the lower one first).", _ends_exchanged, hint=2),
        Mistake("large entries dropped",
                "Entries beyond the interval became 0. Value clipping caps them at the edge: a "
                "3 becomes clip_value, a -7 becomes -clip_value; they still push the weights.",
                _cut_to_zero, hint=2),
        Mistake("shapes flattened",
                "Your values are right, but each array came back flat (1-D), as a loop over "
                "its entries builds it. Return arrays with the shapes of the gradients: clip "
                "the whole array at once (np.minimum / np.maximum work element by element and "
                "keep the shape), or reshape to g.shape.", _value_flattened, hint=3),
        Mistake("only the first array clipped",
                "Your first array is clipped, the others are returned as they came: every array "
                "of the list needs the same cut, in a loop over `grads` (or a list "
                "comprehension).", _one_array_clipped(0), hint=3),
        Mistake("only the last array clipped",
                "Your last array is clipped, the others are returned as they came (a loop that "
                "kept only its last result?): every array of the list needs the same cut, and "
                "the list you return holds them all.", _one_array_clipped(-1), hint=3),
    ),
    forbidden=FORBIDDEN_CLIP,
    hints=HINTS,
    rtol=RTOL,  # the "clipped the norm" mistake may use either norm formula
    doc="``clip_by_value(grads, clip_value) -> clipped``: every entry cut to "
        "``[-clip_value, clip_value]``, each array keeping its shape",
)
check_clip_by_value = CLIP_VALUE.check_function()


# --------------------------------------------------------------------------- inside a step


def _step(params, grads, velocities, lr, beta, max_norm):
    """Clip by global norm, then EMA momentum on every array:
    ``(new_params, new_velocities, grad_norm)``."""
    clipped, total = clip_by_global_norm(grads, max_norm)
    new_w, new_v = [], []
    for w, g, v in zip(params, clipped, velocities):
        w, v = momentum_update(w, g, v, lr=lr, beta=beta)
        new_w.append(w)
        new_v.append(v)
    return new_w, new_v, total


def _ema(params, grads, velocities, lr, beta, *, one_minus_beta=True, old_v=False,
         exchanged=False):
    if exchanged:
        new_v = [(1 - beta) * v + beta * g for g, v in zip(grads, velocities)]
    else:
        new_v = [beta * v + ((1 - beta) if one_minus_beta else 1.0) * g
                 for g, v in zip(grads, velocities)]
    step_v = velocities if old_v else new_v
    return [w - lr * v for w, v in zip(params, step_v)], new_v


def _momentum_first(return_norm_of):
    def wrong(params, grads, velocities, lr, beta, max_norm):
        v_new = [beta * v + (1 - beta) * g for g, v in zip(grads, velocities)]
        v_clip, v_norm = _clip(v_new, max_norm)
        new_w = [w - lr * v for w, v in zip(params, v_clip)]
        return new_w, v_clip, (_norm(grads) if return_norm_of == "g" else v_norm)
    return wrong


def _no_clip(params, grads, velocities, lr, beta, max_norm):
    new_w, new_v = _ema(params, grads, velocities, lr, beta)
    return new_w, new_v, _norm(grads)


def _no_one_minus_beta(params, grads, velocities, lr, beta, max_norm):
    clipped, total = _clip(grads, max_norm)
    new_w, new_v = _ema(params, clipped, velocities, lr, beta, one_minus_beta=False)
    return new_w, new_v, total


def _step_per_tensor_no_one_minus_beta(params, grads, velocities, lr, beta, max_norm):
    clipped, total = _per_tensor(grads, max_norm)
    new_w, new_v = _ema(params, clipped, velocities, lr, beta, one_minus_beta=False)
    return new_w, new_v, total


def _step_exchanged(params, grads, velocities, lr, beta, max_norm):
    clipped, total = _clip(grads, max_norm)
    new_w, new_v = _ema(params, clipped, velocities, lr, beta, exchanged=True)
    return new_w, new_v, total


def _step_per_tensor(params, grads, velocities, lr, beta, max_norm):
    clipped, total = _per_tensor(grads, max_norm)
    new_w, new_v = _ema(params, clipped, velocities, lr, beta)
    return new_w, new_v, total


def _step_clipped_norm_returned(params, grads, velocities, lr, beta, max_norm):
    clipped, _ = _clip(grads, max_norm)
    new_w, new_v = _ema(params, clipped, velocities, lr, beta)
    return new_w, new_v, _norm(clipped)


def _step_clips_the_step(params, grads, velocities, lr, beta, max_norm):
    # momentum on the raw gradient, then the weight change clipped to lr * max_norm
    new_v = [beta * v + (1 - beta) * g for g, v in zip(grads, velocities)]
    steps, _ = _clip([lr * v for v in new_v], lr * max_norm)
    return [w - s for w, s in zip(params, steps)], new_v, _norm(grads)


def _step_clips_the_step_at_max_norm(params, grads, velocities, lr, beta, max_norm):
    # momentum on the raw gradient, then the weight change lr * v clipped to max_norm itself
    new_v = [beta * v + (1 - beta) * g for g, v in zip(grads, velocities)]
    steps, _ = _clip([lr * v for v in new_v], max_norm)
    return [w - s for w, s in zip(params, steps)], new_v, _norm(grads)


def _step_two(clipping, momentum):
    """Two mistakes at once: ``clipping`` in ("ok", "none", "norm after", "by value",
    "velocity"), ``momentum`` in ("ok", "no 1 - beta", "old v", "exchanged")."""
    def wrong(params, grads, velocities, lr, beta, max_norm):
        total = _norm(grads)
        if clipping == "none":
            clipped = grads
        elif clipping == "by value":
            clipped = [np.clip(g, -max_norm, max_norm) for g in grads]
        elif clipping == "velocity":
            clipped = grads  # the velocity is clipped below
        else:
            clipped, _ = _clip(grads, max_norm)
        new_w, new_v = _ema(params, clipped, velocities, lr, beta,
                            one_minus_beta="no 1 - beta" not in momentum,
                            old_v="old v" in momentum, exchanged=momentum == "exchanged")
        if clipping == "velocity":
            new_v, _ = _clip(new_v, max_norm)
            new_w = [w - lr * v for w, v in zip(params, velocities if "old v" in momentum
                                                 else new_v)]
        if clipping == "norm after":
            total = _norm(clipped)
        return new_w, new_v, total
    return wrong


def _step_sutskever(params, grads, velocities, lr, beta, max_norm):
    # v = beta v + lr g_clipped; w = w - v
    clipped, total = _clip(grads, max_norm)
    new_v = [beta * v + lr * g for g, v in zip(clipped, velocities)]
    return [w - v for w, v in zip(params, new_v)], new_v, total


def _step_old_velocity(params, grads, velocities, lr, beta, max_norm):
    clipped, total = _clip(grads, max_norm)
    new_w, new_v = _ema(params, clipped, velocities, lr, beta, old_v=True)
    return new_w, new_v, total


def _step_lr_in_velocity(params, grads, velocities, lr, beta, max_norm):
    clipped, total = _clip(grads, max_norm)
    new_v = [beta * v + (1 - beta) * lr * g for g, v in zip(clipped, velocities)]
    return [w - v for w, v in zip(params, new_v)], new_v, total


def _step_velocity_downhill(params, grads, velocities, lr, beta, max_norm):
    # v points downhill (v = beta v - (1 - beta) g) and the step adds it: the same weights
    clipped, total = _clip(grads, max_norm)
    new_v = [beta * v - (1 - beta) * g for g, v in zip(clipped, velocities)]
    return [w + lr * v for w, v in zip(params, new_v)], new_v, total


def _step_cs231n(params, grads, velocities, lr, beta, max_norm):
    # cs231n's form: v = beta v - lr g; w = w + v
    clipped, total = _clip(grads, max_norm)
    new_v = [beta * v - lr * g for g, v in zip(clipped, velocities)]
    return [w + v for w, v in zip(params, new_v)], new_v, total


def _step_nesterov(params, grads, velocities, lr, beta, max_norm):
    clipped, total = _clip(grads, max_norm)
    new_v = [beta * v + (1 - beta) * g for g, v in zip(clipped, velocities)]
    new_w = [w - lr * (beta * v + (1 - beta) * g) for w, v, g in zip(params, new_v, clipped)]
    return new_w, new_v, total


def _step_old_velocities_returned(params, grads, velocities, lr, beta, max_norm):
    new_w, _, total = _step_reference_written_out(params, grads, velocities, lr, beta, max_norm)
    return new_w, [v.copy() for v in velocities], total


def _step_weights_not_moved(params, grads, velocities, lr, beta, max_norm):
    _, new_v, total = _step_reference_written_out(params, grads, velocities, lr, beta, max_norm)
    return [w.copy() for w in params], new_v, total


def _step_reference_written_out(params, grads, velocities, lr, beta, max_norm):
    clipped, total = _clip(grads, max_norm)
    new_w, new_v = _ema(params, clipped, velocities, lr, beta)
    return new_w, new_v, total


def _step_by_value(params, grads, velocities, lr, beta, max_norm):
    clipped = [np.clip(g, -max_norm, max_norm) for g in grads]
    new_w, new_v = _ema(params, clipped, velocities, lr, beta)
    return new_w, new_v, _norm(grads)


def _step_with_the_gradient(params, grads, velocities, lr, beta, max_norm):
    clipped, total = _clip(grads, max_norm)
    _, new_v = _ema(params, clipped, velocities, lr, beta)
    return [w - lr * g for w, g in zip(params, clipped)], new_v, total


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
        Case("beta = 0.7, max_norm 3, a small old velocity",
             (w, big, small, 0.2, 0.7, 3.0)),
        Case("max_norm 0.25 and a gradient of norm 0.4, just above it",
             (w, [np.array([0.0, 0.24, 0.0]), np.array([[0.0, -0.32], [0.0, 0.0]])], v_old,
              0.1, 0.9, 0.25)),
    ]


#: Two mistakes at once, one in the clipping and one in the momentum rule (or two in the
#: momentum rule): the momentum form of PyTorch's SGD, v = beta v + g, is the common partner.
_STEP_TWO_TEXTS = {
    "no 1 - beta": ("(1 - beta) missing", "your velocity is v = beta v + g: the lesson's EMA "
                    "momentum is v = beta v + (1 - beta) g_clipped"),
    "old v": ("step with the old velocity", "your weights move by lr times the velocity from "
              "BEFORE this update: update v first, then w = w - lr v with the new v"),
    "exchanged": ("beta and 1 - beta exchanged", "your velocity is v = (1 - beta) v + beta g: "
                  "beta weights the OLD velocity, v = beta v + (1 - beta) g_clipped"),
    "none": ("no clipping", "your step ignores max_norm: clip the gradients by their global "
             "norm before the momentum update"),
    "norm after": ("norm after clipping returned", "grad_norm is measured after clipping: "
                   "return the norm BEFORE clipping, the one a training loop records"),
    "by value": ("clipped by value", "you cut each entry to [-max_norm, max_norm]: this step "
                 "clips by global norm, one factor for all the gradients"),
    "velocity": ("momentum before the clip", "you clipped the velocity: clip the raw gradients "
                 "first, then feed them to the momentum update"),
}
_STEP_PAIRS = tuple(
    Mistake(f"{_STEP_TWO_TEXTS[clipping][0]} + {_STEP_TWO_TEXTS[momentum][0]}",
            f"Two mistakes at once. First, {_STEP_TWO_TEXTS[clipping][1]}. Second, "
            f"{_STEP_TWO_TEXTS[momentum][1]}.", _step_two(clipping, momentum), hint=2)
    for clipping, momentum in (
        ("none", "no 1 - beta"), ("norm after", "no 1 - beta"), ("by value", "no 1 - beta"),
        ("velocity", "no 1 - beta"), ("none", "old v"), ("norm after", "old v"),
        ("norm after", "exchanged"), ("none", "exchanged")))
#: Two mistakes in the momentum rule itself.
_STEP_PAIRS += (
    Mistake("lr inside the velocity + (1 - beta) missing",
            "Two mistakes at once: you used the form v = beta v + lr g, w = w - v. The lesson's "
            "EMA momentum weights the gradient by (1 - beta) and keeps lr out of v: "
            "v = beta v + (1 - beta) g_clipped, then w = w - lr v (the velocities you return "
            "are those v).", _step_sutskever, hint=2),
    Mistake("(1 - beta) missing + step with the old velocity",
            "Two mistakes at once. First, your velocity is v = beta v + g: the lesson's EMA "
            "momentum is v = beta v + (1 - beta) g_clipped. Second, your weights move by lr "
            "times the velocity from BEFORE this update: update v first, then w = w - lr v "
            "with the new v.", _step_two("ok", "no 1 - beta + old v"), hint=2),
)

CLIPPED_STEP = Check(
    name="check_clipped_momentum_step",
    function="clipped_momentum_step",
    reference=_step,
    cases=_step_cases,
    mistakes=(
        Mistake("momentum before the clip",
                "You applied momentum first and clipped the velocity. Clip the raw gradients "
                "(right after backward), then feed the clipped gradients to the momentum update; "
                "clipping the velocity limits the wrong quantity and changes how fast momentum "
                "builds up.", _momentum_first("g"), hint=1),
        Mistake("velocity clipped and its norm returned",
                "You applied momentum first and clipped the velocity (and returned the "
                "velocity's norm). Clip the raw gradients, return their norm before clipping, "
                "then feed the clipped gradients to the momentum update.", _momentum_first("v"),
                hint=1),
        Mistake("no clipping",
                "Your step ignores max_norm: clip the gradients by their global norm before the "
                "momentum update (your clip_by_global_norm from above does it).", _no_clip,
                hint=1),
        Mistake("(1 - beta) missing",
                "Your velocity is v = beta v + g: the lesson's EMA momentum is "
                "v = beta v + (1 - beta) g, so v stays the size of a gradient.",
                _no_one_minus_beta, hint=2),
        Mistake("beta and 1 - beta exchanged",
                "Your velocity is v = (1 - beta) v + beta g: the two weights are exchanged. beta "
                "(0.9) weights the OLD velocity, so that v changes slowly: "
                "v = beta v + (1 - beta) g_clipped.", _step_exchanged, hint=2),
        Mistake("per-tensor norm",
                "You clipped each array by its own norm. Use one global norm over all the "
                "gradients, as in the first exercise.", _step_per_tensor, hint=1),
        Mistake("per-tensor norm + (1 - beta) missing",
                "Two mistakes at once. First, you clipped each array by its own norm: use one "
                "global norm over all the gradients, as in the first exercise. Second, your "
                "velocity is v = beta v + g: the lesson's EMA momentum is v = beta v + "
                "(1 - beta) g.", _step_per_tensor_no_one_minus_beta, hint=1),
        Mistake("norm after clipping returned",
                "The new weights and velocities are right, but grad_norm is measured after "
                "clipping. Return the norm BEFORE clipping, the one a training loop records.",
                _step_clipped_norm_returned, hint=1),
        Mistake("the weight change clipped",
                "You clipped the step lr * v instead of the gradient. The clip goes between "
                "backward and the optimizer: clip the gradients, then let momentum use the "
                "clipped gradients.", _step_clips_the_step, hint=1),
        Mistake("lr inside the velocity",
                "Your weights are right but your velocities are lr times too small: you put the "
                "learning rate into the velocity, v = beta v + (1 - beta) lr g, and then "
                "w = w - v. The lesson's EMA momentum keeps lr out of v: v = beta v + "
                "(1 - beta) g_clipped, then w = w - lr v (the velocities you return are those "
                "v).", _step_lr_in_velocity, hint=2),
        Mistake("velocity points downhill",
                "Your weights are right but your velocities have the opposite sign: you stored "
                "v = beta v - (1 - beta) g and added it to the weights. The lesson's velocity "
                "points along the gradient, v = beta v + (1 - beta) g_clipped, and the step "
                "subtracts it: w = w - lr v.", _step_velocity_downhill, hint=2),
        Mistake("cs231n's momentum form",
                "You used the form v = beta v - lr g, w = w + v (cs231n's). The exercise asks for "
                "the lesson's EMA momentum: v = beta v + (1 - beta) g_clipped, then "
                "w = w - lr v: (1 - beta) weights the gradient, and lr stays out of v.",
                _step_cs231n, hint=2),
        Mistake("Nesterov's look-ahead",
                "Your weights take a Nesterov-style step, w - lr (beta v + (1 - beta) g). The "
                "exercise's momentum is the plain EMA form: after v = beta v + (1 - beta) "
                "g_clipped, the step is w = w - lr v.", _step_nesterov, hint=2),
        Mistake("velocities not updated",
                "Your weights are right, but the velocities you return are the old ones. Return "
                "the new velocities v = beta v + (1 - beta) g_clipped: the next step starts "
                "from them.", _step_old_velocities_returned, hint=2),
        Mistake("weights not updated",
                "Your velocities are right, but the weights you return are the old ones. Return "
                "the new weights w - lr v.", _step_weights_not_moved, hint=2),
        Mistake("clipped by value",
                "You cut each entry of the gradients to [-max_norm, max_norm]: that is "
                "clipping by value. This step clips by global norm, one factor for all the "
                "gradients, as in the first exercise.", _step_by_value, hint=1),
        Mistake("step with the gradient, not the velocity",
                "Your weights move by lr times the clipped gradient, as without momentum. With "
                "momentum the step uses the new velocity: w = w - lr v.",
                _step_with_the_gradient, hint=2),
        Mistake("step with the old velocity",
                "Your weights move by lr times the velocity from BEFORE this update: update v "
                "with the clipped gradient first, then w = w - lr * v with the new v.",
                _step_old_velocity, hint=2),
        Mistake("the weight change clipped",
                "You clipped the step lr * v to max_norm instead of the gradient. The clip goes "
                "between backward and the optimizer: clip the gradients, then let momentum use "
                "the clipped gradients.", _step_clips_the_step_at_max_norm, hint=1),
        *_STEP_PAIRS,
    ),
    output_names=("new_params", "new_velocities", "grad_norm"),
    forbidden=FORBIDDEN_STEP,
    hints=HINTS,
    rtol=RTOL,
    doc="``clipped_momentum_step(params, grads, velocities, lr, beta, max_norm) -> "
        "(new_params, new_velocities, grad_norm)``: clip the gradients by global norm first, "
        "then ``v = beta v + (1 - beta) g_clipped; w = w - lr v`` on every array",
)
check_clipped_momentum_step = CLIPPED_STEP.check_function()


# --------------------------------------------------------------------------- the rate really used


def _effective_lrs(grad_norms, lr, max_norm):
    """``lr * min(1, max_norm / norm)`` for each recorded norm (1 for a zero norm)."""
    norms = np.asarray(grad_norms, dtype=np.float64)
    factor = np.minimum(1.0, max_norm / np.maximum(norms, np.finfo(np.float64).tiny))
    return lr * factor


def _rates(factor_of):
    def wrong(grad_norms, lr, max_norm):
        norms = np.asarray(grad_norms, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return lr * factor_of(norms, max_norm)
    return wrong


def _effective_cases():
    rng = np.random.default_rng(8)
    recorded = list(np.exp(rng.normal(0.8, 0.6, 12)))  # like History.grad_norm: a list
    return [
        Case("a recorded list of norms, lr 0.2, max_norm 1", (recorded, 0.2, 1.0)),
        Case("norms below and above max_norm 2.5, lr 0.05",
             (np.array([0.5, 2.5, 5.0, 25.0, 1.0]), 0.05, 2.5)),
        Case("every norm below the threshold", (np.array([0.1, 0.3, 0.9]), 0.1, 1.0)),
        Case("one huge spike", (np.array([1.5, 2.0, 1e6, 1.8]), 0.3, 1.0)),
        Case("a norm of 0 (nothing to clip)", (np.array([0.0, 4.0]), 0.01, 2.0)),
    ]


EFFECTIVE_LRS = Check(
    name="check_effective_lrs",
    function="effective_lrs",
    reference=_effective_lrs,
    cases=_effective_cases,
    mistakes=(
        Mistake("small gradients scaled up",
                "Your rates are above lr where the norm was below max_norm: you used "
                "max_norm / norm without the min(1, ...). Clipping never lengthens a gradient: "
                "below the threshold the step used the full lr.",
                _rates(lambda n, c: c / n), hint=2),
        Mistake("small gradients scaled up",
                "Your rates are above lr where the norm was below max_norm: you used "
                "max_norm / norm without the min(1, ...). Clipping never lengthens a gradient: "
                "below the threshold the step used the full lr.",
                _rates(lambda n, c: np.where(n > 0, c / np.where(n > 0, n, 1.0), 1.0)), hint=2),
        Mistake("ratio inverted",
                "Your rates grow with the norm: you used norm / max_norm. Clipping multiplies a "
                "long gradient by max_norm / norm (< 1), so the larger the norm, the smaller "
                "the rate the step really used.",
                _rates(lambda n, c: np.minimum(1.0, n / c)), hint=2),
        Mistake("ratio inverted",
                "Your rates grow with the norm: above max_norm you used norm / max_norm. "
                "Clipping multiplies a long gradient by max_norm / norm (< 1), so the larger the "
                "norm, the smaller the rate the step really used.",
                _rates(lambda n, c: np.where(n > c, n / c, 1.0)), hint=2),
        Mistake("lr missing",
                "You returned the clipping factor min(1, max_norm / norm) alone. The rate the "
                "step used is lr times that factor.",
                lambda grad_norms, lr, max_norm: _effective_lrs(grad_norms, lr, max_norm) / lr,
                hint=2),
        Mistake("max instead of min",
                "Your rates are never below lr: you took max(1, max_norm / norm). Clipping "
                "shrinks long gradients: the factor is min(1, max_norm / norm).",
                _rates(lambda n, c: np.maximum(1.0, c / n)), hint=2),
        Mistake("max_norm ignored",
                "Your rates ignore max_norm: they are those of a run clipped at 1. Use the "
                "max_norm you are given: lr * min(1, max_norm / norm).",
                _rates(lambda n, c: np.minimum(1.0, 1.0 / n)), hint=2),
        Mistake("one factor for the whole run",
                "Every update of yours got the same rate, set by the largest norm of the run. "
                "Clipping looks at each update's gradient on its own: each update has its own "
                "factor min(1, max_norm / norm_t), and so its own rate.",
                lambda grad_norms, lr, max_norm: np.full(
                    np.shape(grad_norms), lr * min(1.0, max_norm / float(np.max(grad_norms)))),
                hint=1),
        Mistake("threshold 1 instead of max_norm",
                "Your rates are lr * max_norm / max(norm, 1): the comparison uses 1 where it "
                "should use max_norm, so a norm between 1 and max_norm gets a rate above lr. "
                "The factor is min(1, max_norm / norm).",
                _rates(lambda n, c: c / np.maximum(n, 1.0)), hint=2),
        Mistake("rate 0 where nothing was clipped",
                "Your rate is 0 for the updates that were not clipped. Those steps used the "
                "full learning rate: their rate is lr (factor 1).",
                _rates(lambda n, c: np.where(n > c, c / np.where(n > c, n, 1.0), 0.0)), hint=2),
        Mistake("the reduction instead of the rate",
                "You returned how much rate clipping took away, lr - rate. Return the rate the "
                "step really used: lr * min(1, max_norm / norm).",
                _rates(lambda n, c: 1.0 - np.minimum(1.0, c / np.maximum(
                    n, np.finfo(np.float64).tiny))), hint=1),
        Mistake("the clipped norm, not a rate",
                "You returned the norm after clipping, min(norm, max_norm), times lr. The "
                "rate is lr times the clipping FACTOR: lr * min(1, max_norm / norm).",
                _rates(lambda n, c: np.minimum(n, c)), hint=2),
        Mistake("one average rate",
                "You returned one number; return one rate per recorded update (an array as long "
                "as grad_norms), so that you can look at its median, its smallest value and "
                "where the small ones fall.",
                lambda grad_norms, lr, max_norm: float(np.mean(_effective_lrs(grad_norms, lr,
                                                                               max_norm))),
                hint=1),
        Mistake("only the clipped updates",
                "You returned rates for the clipped updates only (the norms above max_norm). "
                "Return one rate per recorded update, the unclipped ones too (their rate is the "
                "full lr), so that the array lines up with grad_norms.",
                lambda grad_norms, lr, max_norm: (lambda n: lr * max_norm / n[n > max_norm])(
                    np.asarray(grad_norms, dtype=np.float64)), hint=1),
        Mistake("a list, not an array",
                "Your rates are right, but you returned a list. The exercise asks for a numpy "
                "array (np.array(rates), or compute with arrays from the start), so that the "
                "cells below can take its median and compare it element by element.",
                lambda grad_norms, lr, max_norm: [float(r) for r in _effective_lrs(
                    grad_norms, lr, max_norm)], hint=3),
        Mistake("max_norm missing from the factor",
                "Above the threshold your rate is lr / norm: the factor clipping multiplies by "
                "is max_norm / norm (it brings the norm down to max_norm, not to 1). The rate "
                "is lr * min(1, max_norm / norm).",
                _rates(lambda n, c: np.where(n > c, 1.0 / np.where(n > c, n, 1.0), 1.0)),
                hint=2),
        Mistake("factor squared",
                "Your rates use the factor squared, (max_norm / norm)^2. Clipping multiplies the "
                "gradient by max_norm / norm once, so the step, and the rate, shrink by that "
                "factor: lr * min(1, max_norm / norm).",
                _rates(lambda n, c: np.minimum(1.0, c / n) ** 2), hint=2),
        Mistake("the lesson's lr 0.2 hard-coded",
                "Your rates use the lesson's learning rate 0.2 whatever `lr` is: use the "
                "arguments you are given, lr * min(1, max_norm / norm).",
                lambda grad_norms, lr, max_norm: _effective_lrs(grad_norms, 0.2, max_norm),
                hint=2),
        Mistake("the lesson's lr 0.2 and max_norm 1 hard-coded",
                "Your rates are the lesson's run's, lr 0.2 and max_norm 1, whatever the "
                "arguments are: use the `lr` and `max_norm` you are given, "
                "lr * min(1, max_norm / norm).",
                lambda grad_norms, lr, max_norm: _effective_lrs(grad_norms, 0.2, 1.0), hint=2),
    ),
    hints=HINTS,
    rtol=RTOL,
    doc="``effective_lrs(grad_norms, lr, max_norm) -> rates``: one rate per update, "
        "``lr * min(1, max_norm / norm)``",
)
check_effective_lrs = EFFECTIVE_LRS.check_function()


CHECKS = (CLIP_NORM, CLIP_VALUE, CLIPPED_STEP, EFFECTIVE_LRS)
