"""Checks for lesson 11: the L2 and L1 penalties, an SGD step with L2 on the weights only,
inverted dropout (forward and backward) and early stopping.

References: :func:`nnlesson.losses.l2_penalty` and :func:`nnlesson.losses.l1_penalty` (the
convention ``lam / 2 * sum w^2`` with gradient ``lam * w``, and ``lam * sum |w|`` with gradient
``lam * sign(w)``, ``sign(0) = 0``), :func:`nnlesson.optim.sgd_update` (whose ``weight_decay``
is PyTorch's), :class:`nnlesson.layers.Dropout` and
:func:`nnlesson.train.early_stopping_point` (the rule of
``nnlesson.train.fit``), all checked against PyTorch or ``fit`` in the test suite.
"""
from __future__ import annotations

import numpy as np

from nnlesson.course.checks._core import Case, Mistake, run_check
from nnlesson.layers import Dropout
from nnlesson.losses import l1_penalty, l2_penalty
from nnlesson.optim import sgd_update
from nnlesson.train import early_stopping_point

__all__ = ["check_l2_penalty", "check_l1_penalty", "check_sgd_step_l2", "check_inverted_dropout",
           "check_early_stopping"]


def _weights(seed, shapes):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for shape in shapes]


def _penalty_cases():
    with_zeros = np.array([[0.0, -1.5], [2.0, 0.0]])
    return [
        Case("two weight matrices, lam = 0.1", (_weights(1, [(3, 4), (4, 2)]), 0.1)),
        Case("one matrix with exact zeros, lam = 0.5", ([with_zeros], 0.5)),
        Case("lam = 0: no penalty", (_weights(2, [(2, 3)]), 0.0)),
        Case("a single weight", ([np.array([[-3.0]])], 2.0)),
        Case("three matrices of different sizes, lam = 0.01",
             (_weights(3, [(5, 3), (3, 3), (3, 1)]), 0.01)),
    ]


def _as_float(penalty, grads):
    return float(penalty), [np.asarray(g) for g in grads]


# --------------------------------------------------------------------------- L2


def _l2_ref(weights, lam):
    return _as_float(*l2_penalty(weights, lam))


def _l2_twice_grad(weights, lam):
    penalty, grads = _l2_ref(weights, lam)
    return penalty, [2 * g for g in grads]


def _l2_no_half(weights, lam):
    penalty, grads = _l2_ref(weights, lam)
    return 2 * penalty, grads


def _l2_no_lam_in_grad(weights, lam):
    penalty, _ = _l2_ref(weights, lam)
    return penalty, [w.copy() for w in weights]


def _l2_norm_not_squared(weights, lam):
    return lam / 2 * sum(float(np.sqrt(np.sum(w ** 2))) for w in weights), _l2_ref(weights, lam)[1]


def check_l2_penalty(student_fn):
    """Check ``l2_penalty(weights, lam) -> (penalty, grads)``: ``penalty = lam / 2 * sum of w^2``
    over all the arrays, one gradient ``lam * w`` per array."""
    mistakes = [
        Mistake(
            "gradient 2 lam w",
            "Your penalty is right but your gradients are twice too large: the derivative of "
            "lam / 2 * w^2 is lam * w. The 1/2 is there precisely so that lam is PyTorch's "
            "SGD weight_decay.",
            _l2_twice_grad),
        Mistake(
            "1/2 missing from the penalty",
            "Your gradients are lam * w but your penalty is lam * sum w^2: with the library's "
            "convention the penalty is lam / 2 * sum w^2 (its derivative is then lam * w). "
            "Penalty and gradient must use the same convention.",
            _l2_no_half),
        Mistake(
            "lam missing from the gradient",
            "Your gradients are w itself: multiply by lam, grad = lam * w.",
            _l2_no_lam_in_grad),
        Mistake(
            "norm instead of squared norm",
            "Your penalty uses the norm sqrt(sum w^2); the L2 penalty is the sum of the "
            "SQUARED weights, lam / 2 * sum w^2.",
            _l2_norm_not_squared),
    ]
    return run_check("check_l2_penalty", student_fn, _penalty_cases(), _l2_ref, mistakes,
                     output_names=("penalty", "grads"))


# --------------------------------------------------------------------------- L1


def _l1_ref(weights, lam):
    return _as_float(*l1_penalty(weights, lam))


def _l1_sign_zero_is_one(weights, lam):
    penalty, _ = _l1_ref(weights, lam)
    return penalty, [lam * np.where(w >= 0, 1.0, -1.0) for w in weights]


def _l1_l2_grad(weights, lam):
    penalty, _ = _l1_ref(weights, lam)
    return penalty, [lam * w for w in weights]


def _l1_no_abs(weights, lam):
    return lam * sum(float(np.sum(w)) for w in weights), _l1_ref(weights, lam)[1]


def _l1_half(weights, lam):
    penalty, grads = _l1_ref(weights, lam)
    return penalty / 2, [g / 2 for g in grads]


def check_l1_penalty(student_fn):
    """Check ``l1_penalty(weights, lam) -> (penalty, grads)``: ``penalty = lam * sum |w|``,
    one gradient ``lam * sign(w)`` per array, with ``sign(0) = 0``."""
    mistakes = [
        Mistake(
            "sign(0) taken as 1",
            "Your gradient is lam at weights that are exactly 0. |w| has no slope at 0; the "
            "convention (np.sign, PyTorch) is the subgradient 0 there, so a zero weight stays "
            "put. Use np.sign(w).",
            _l1_sign_zero_is_one),
        Mistake(
            "L2 gradient",
            "Your gradient is lam * w, the gradient of the L2 penalty. L1's gradient does not "
            "depend on the size of w: lam * sign(w).",
            _l1_l2_grad),
        Mistake(
            "absolute value missing",
            "Your penalty sums the weights with their signs, so positive and negative weights "
            "cancel; the L1 penalty sums their absolute values, lam * sum |w|.",
            _l1_no_abs),
        Mistake(
            "a factor 1/2",
            "Your penalty and gradient are half of what they should be: the 1/2 belongs to the "
            "L2 penalty only; L1 is lam * sum |w| with gradient lam * sign(w).",
            _l1_half),
    ]
    return run_check("check_l1_penalty", student_fn, _penalty_cases(), _l1_ref, mistakes,
                     output_names=("penalty", "grads"))


# --------------------------------------------------------------------------- SGD step


def _step_ref(params, grads, lr, lam):
    # sgd_update adds weight_decay * w to the gradient: the L2 gradient, for matrices only
    return [sgd_update(p, g, None, lr=lr, weight_decay=lam if np.ndim(p) >= 2 else 0.0)[0]
            for p, g in zip(params, grads)]


def _step_biases_too(params, grads, lr, lam):
    return [p - lr * (g + lam * p) for p, g in zip(params, grads)]


def _step_no_lr_on_decay(params, grads, lr, lam):
    return [p - lr * g - lam * p if np.ndim(p) >= 2 else p - lr * g for p, g in zip(params, grads)]


def _step_twice(params, grads, lr, lam):
    return [p - lr * (g + 2 * lam * p) if np.ndim(p) >= 2 else p - lr * g
            for p, g in zip(params, grads)]


def _step_no_penalty(params, grads, lr, lam):
    return [p - lr * g for p, g in zip(params, grads)]


def _step_decay_after(params, grads, lr, lam):
    return [(p - lr * g) * (1 - lr * lam) if np.ndim(p) >= 2 else p - lr * g
            for p, g in zip(params, grads)]


def _step_cases():
    r = np.random.default_rng(5)
    net = [r.normal(size=(4, 3)), r.normal(size=3), r.normal(size=(3, 2)), r.normal(size=2)]
    g = [r.normal(size=a.shape) for a in net]
    zero_g = [np.zeros_like(a) for a in net]
    return [
        Case("a two-layer network [W1, b1, W2, b2], lr 0.1, lam 0.01", (net, g, 0.1, 0.01)),
        Case("zero gradients: only the decay acts", (net, zero_g, 0.5, 0.2)),
        Case("lam = 0: plain SGD", (net, g, 0.05, 0.0)),
        Case("large lam", (net, g, 0.1, 1.0)),
        Case("a single weight matrix", ([np.array([[1.0, -2.0]])], [np.array([[0.5, 0.5]])],
                                       0.2, 0.5)),
    ]


def check_sgd_step_l2(student_fn):
    """Check ``sgd_step_l2(params, grads, lr, lam) -> new_params``: ``w - lr * (g + lam * w)``
    for the weight matrices (2-D arrays), ``b - lr * g`` for the biases (1-D arrays)."""
    mistakes = [
        Mistake(
            "biases penalized",
            "You also decayed the biases (the 1-D arrays). The penalty is on the weight "
            "matrices only: a bias shifts a unit, it does not make the function more wiggly, "
            "and pulling it to 0 only hurts. Keep b - lr * g for the biases (fit(..., "
            "penalty=Penalty(l2=...)) does the same).",
            _step_biases_too),
        Mistake(
            "decay not multiplied by lr",
            "You subtracted lam * w without the learning rate. The L2 gradient lam * w is part "
            "of the gradient, so it is multiplied by lr like the rest: w - lr * (g + lam * w).",
            _step_no_lr_on_decay),
        Mistake(
            "gradient 2 lam w",
            "Your decay is twice too strong: with the penalty lam / 2 * sum w^2 the gradient is "
            "lam * w, not 2 * lam * w.",
            _step_twice),
        Mistake(
            "no penalty",
            "Your step ignores lam: add the L2 gradient lam * w to the weights' gradients.",
            _step_no_penalty),
        Mistake(
            "decay after the step",
            "You shrank the weights after the gradient step, (w - lr g)(1 - lr lam): that also "
            "shrinks the step. The L2 step is w - lr (g + lam w) = (1 - lr lam) w - lr g.",
            _step_decay_after),
    ]
    return run_check("check_sgd_step_l2", student_fn, _step_cases(), _step_ref, mistakes)


# --------------------------------------------------------------------------- inverted dropout


def _dropout_ref(p, seed, x, dout, train):
    layer = Dropout(p, rng=np.random.default_rng(seed))
    layer.train(train)
    out = layer.forward(x)
    return out, layer.backward(dout)


def _wrong_dropout(forward, backward):
    """A mistake as a function of (p, seed, x, dout, train): ``forward(x, u, p, train)`` gets the
    uniform numbers the layer draws first, ``backward(dout, mask, p, train, rng)``."""
    def wrong(p, seed, x, dout, train):
        rng = np.random.default_rng(seed)
        u = rng.random(np.shape(x)) if train else None
        out, mask = forward(np.asarray(x, dtype=float), u, p, train)
        return out, backward(np.asarray(dout, dtype=float), mask, p, train, rng)
    return wrong


def _fw_ok(x, u, p, train):
    if not train:
        return x, None
    mask = u >= p
    return x * mask / (1 - p), mask


def _bw_ok(dout, mask, p, train, rng):
    return dout if mask is None else dout * mask / (1 - p)


def _fw_unscaled(x, u, p, train):
    return (x, None) if not train else (x * (u >= p), u >= p)


def _bw_unscaled(dout, mask, p, train, rng):
    return dout if mask is None else dout * mask


def _fw_times_p(x, u, p, train):
    return (x, None) if not train else (x * (u >= p) * p, u >= p)


def _bw_times_p(dout, mask, p, train, rng):
    return dout if mask is None else dout * mask * p


def _fw_over_p(x, u, p, train):
    with np.errstate(divide="ignore", invalid="ignore"):
        return (x, None) if not train else (x * (u >= p) / p, u >= p)


def _bw_over_p(dout, mask, p, train, rng):
    with np.errstate(divide="ignore", invalid="ignore"):
        return dout if mask is None else dout * mask / p


def _bw_new_mask(dout, mask, p, train, rng):
    if mask is None:
        return dout
    return dout * (rng.random(dout.shape) >= p) / (1 - p)


def _bw_no_mask(dout, mask, p, train, rng):
    return dout if mask is None else dout / (1 - p)


def _fw_eval_scaled(x, u, p, train):
    return (x * (1 - p), None) if not train else _fw_ok(x, u, p, train)


def _bw_eval_scaled(dout, mask, p, train, rng):
    return dout * (1 - p) if mask is None else dout * mask / (1 - p)


def _fw_keep_p(x, u, p, train):
    if not train:
        return x, None
    mask = u < p  # keeps a fraction p instead of 1 - p
    return x * mask / (1 - p), mask


def _fw_low_side(x, u, p, train):
    if not train:
        return x, None
    mask = u < 1 - p  # the right fraction, not the library's draw
    return x * mask / (1 - p), mask


def _dropout_cases():
    r = np.random.default_rng(7)
    x = r.normal(size=(4, 6))
    dout = r.normal(size=(4, 6))
    return [
        Case("training, p = 0.5, a batch of 4", (0.5, 11, x, dout, True)),
        Case("training, p = 0.2", (0.2, 12, x, dout, True)),
        Case("training, a batch of one", (0.3, 13, x[:1], dout[:1], True)),
        Case("evaluation mode, p = 0.5", (0.5, 14, x, dout, False)),
        Case("training, p = 0: nothing dropped", (0.0, 15, x, dout, True)),
        Case("training, p = 0.8, 3-D input", (0.8, 16, r.normal(size=(2, 3, 4)),
                                              r.normal(size=(2, 3, 4)), True)),
    ]


def check_inverted_dropout(student_class):
    """Check a class ``InvertedDropout(p, rng)`` with ``forward(x, train=True)`` and
    ``backward(dout)``.

    The check builds ``student_class(p, numpy.random.default_rng(seed))``, calls
    ``forward(x, train)`` then ``backward(dout)`` and compares both results with the library's
    :class:`nnlesson.layers.Dropout` on the same generator: in training the mask is
    ``rng.random(x.shape) >= p`` (drawn once, in forward), ``out = x * mask / (1 - p)`` and
    ``dx = dout * mask / (1 - p)``; in evaluation both are the identity.
    """
    if not isinstance(student_class, type):
        def run(p, seed, x, dout, train):  # not a class: let run_check report the type
            raise TypeError(f"expected the class InvertedDropout, got {type(student_class).__name__}")
    else:
        def run(p, seed, x, dout, train):
            layer = student_class(p, np.random.default_rng(seed))
            out = layer.forward(x, train=train)
            dx = layer.backward(dout)
            # a forgotten `return` in either method: let run_check say "returned None"
            return None if out is None or dx is None else (out, dx)
    run.__name__ = getattr(student_class, "__name__", "InvertedDropout")
    mistakes = [
        Mistake("no rescaling",
                "Your training output is x * mask: the kept units are not divided by the keep "
                "probability 1 - p, so in training the layer's output is (1 - p) times smaller "
                "on average than in evaluation. Inverted dropout returns x * mask / (1 - p) "
                "(and the same factor in backward).",
                _wrong_dropout(_fw_unscaled, _bw_unscaled)),
        Mistake("multiplied by p",
                "You multiplied the kept units by p. Divide by the KEEP probability: "
                "x * mask / (1 - p), so the expected output stays x.",
                _wrong_dropout(_fw_times_p, _bw_times_p)),
        Mistake("divided by p",
                "You divided by p, the drop probability. Divide by the keep probability "
                "1 - p: x * mask / (1 - p).",
                _wrong_dropout(_fw_over_p, _bw_over_p)),
        Mistake("new mask in backward",
                "Your forward pass is right, but backward draws a new mask. The units dropped "
                "in forward did not influence the loss, so they get no gradient: keep the mask "
                "of forward (self.mask) and use dx = dout * self.mask / (1 - p).",
                _wrong_dropout(_fw_ok, _bw_new_mask)),
        Mistake("mask missing in backward",
                "Your backward returns dout / (1 - p) everywhere: multiply by the mask kept "
                "from forward too, dx = dout * self.mask / (1 - p); a dropped unit gets no "
                "gradient.",
                _wrong_dropout(_fw_ok, _bw_no_mask)),
        Mistake("scaled in evaluation",
                "In evaluation mode you multiplied by (1 - p). That is the test-time scaling of "
                "the original (non-inverted) dropout; inverted dropout already scaled in "
                "training, so evaluation is the identity: return x unchanged.",
                _wrong_dropout(_fw_eval_scaled, _bw_eval_scaled)),
        Mistake("keeps with probability p",
                "Your mask keeps a unit with probability p: p is the probability to DROP. "
                "Keep where rng.random(x.shape) >= p.",
                _wrong_dropout(_fw_keep_p, _bw_ok)),
        Mistake("mask drawn as u < 1 - p",
                "Your mask keeps the right fraction of units but is not the one the check "
                "expects: draw it exactly as self.rng.random(x.shape) >= self.p, so that your "
                "layer and the library's draw the same mask from the same generator.",
                _wrong_dropout(_fw_low_side, _bw_ok)),
    ]
    return run_check("check_inverted_dropout", run, _dropout_cases(), _dropout_ref, mistakes,
                     output_names=("out", "dx"))


# --------------------------------------------------------------------------- early stopping


def _es_ref(val_losses, patience):
    best, stop = early_stopping_point(val_losses, patience)
    return int(best), int(stop)


def _es_one_early(val_losses, patience):
    # the counter compared with patience - 1 (it cannot stop before a bad epoch)
    best, best_epoch, bad = np.inf, 0, 0
    for e, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch, bad = loss, e, 0
        else:
            bad += 1
            if bad >= max(patience - 1, 1):
                return best_epoch, e
    return best_epoch, len(val_losses) - 1


def _es_one_late(val_losses, patience):
    return _es_ref(val_losses, patience + 1)


def _es_last_as_best(val_losses, patience):
    _, stop = _es_ref(val_losses, patience)
    return stop, stop


def _es_no_reset(val_losses, patience):
    best, best_epoch, bad = np.inf, 0, 0
    for e, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, e
        else:
            bad += 1  # never reset: counts every bad epoch since the start
            if bad >= patience:
                return best_epoch, e
    return best_epoch, len(val_losses) - 1


def _es_ties_improve(val_losses, patience):
    best, best_epoch, bad = np.inf, 0, 0
    for e, loss in enumerate(val_losses):
        if loss <= best:
            best, best_epoch, bad = loss, e, 0
        else:
            bad += 1
            if bad >= patience:
                return best_epoch, e
    return best_epoch, len(val_losses) - 1


def _es_vs_previous(val_losses, patience):
    best, best_epoch, bad = np.inf, 0, 0
    for e, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, e
        if e == 0 or loss < val_losses[e - 1]:
            bad = 0
        else:
            bad += 1
            if bad >= patience:
                return best_epoch, e
    return best_epoch, len(val_losses) - 1


def _es_cases():
    return [
        Case("a U-shaped curve, patience 3", ([2.0, 1.5, 1.2, 1.1, 1.15, 1.3, 1.4, 1.6, 1.8], 3)),
        Case("a dip after the best resets nothing, patience 3",
             ([2.0, 1.0, 1.5, 1.2, 1.4, 1.3, 1.6, 1.7], 3)),
        Case("a new best in the middle, patience 2",
             ([3.0, 2.0, 2.5, 1.8, 1.9, 2.0, 1.7, 1.75, 1.9, 2.2], 2)),
        Case("bad epochs early and late, patience 4",
             ([2.0, 2.1, 1.5, 1.6, 1.7, 1.2, 1.3, 1.25, 1.4, 1.5, 1.6], 4)),
        Case("a tie is not an improvement, patience 2", ([1.0, 0.8, 0.8, 0.8, 0.7], 2)),
        Case("always improving: never stops", ([5.0, 4.0, 3.0, 2.0, 1.0], 2)),
        Case("patience 1", ([1.0, 0.9, 0.95, 0.8], 1)),
        Case("one epoch only", ([0.7], 3)),
    ]


def check_early_stopping(student_fn):
    """Check ``early_stopping(val_losses, patience) -> (best_epoch, stop_epoch)``, epochs from 0:
    a loss strictly below the best so far is a new best and resets the counter, any other epoch
    adds one; when the counter reaches ``patience`` training stops after that epoch
    (``stop_epoch``); never stopping gives the last epoch. ``best_epoch`` is the epoch whose
    weights are restored."""
    mistakes = [
        Mistake("stops one epoch early",
                "You stop one epoch too soon: with patience k, training may run k epochs "
                "without a new best and stops after the k-th (stop_epoch = best_epoch + k when "
                "nothing improves). Compare the counter with >= patience after adding 1.",
                _es_one_early),
        Mistake("stops one epoch late",
                "You stop one epoch too late: stop as soon as the counter of epochs without a "
                "new best REACHES patience (counter >= patience), not when it exceeds it.",
                _es_one_late),
        Mistake("best weights not restored",
                "Your stop epoch is right but you return it as the best epoch: those are the "
                "last weights, patience epochs into overfitting. Remember the epoch of the "
                "lowest validation loss and restore ITS weights.",
                _es_last_as_best),
        Mistake("counter not reset",
                "Your counter keeps counting across improvements: reset it to 0 whenever the "
                "validation loss reaches a new best, so only the bad epochs since the best count.",
                _es_no_reset),
        Mistake("tie counted as improvement",
                "You count an equal loss as an improvement (<=). Only a loss strictly below the "
                "best so far is a new best (as in nnlesson.train.fit); a plateau must run out "
                "the patience.",
                _es_ties_improve),
        Mistake("compared with the previous epoch",
                "You reset the counter whenever the loss went down from the previous epoch. "
                "Compare with the BEST loss so far: a small dip that stays above the best is "
                "not progress.",
                _es_vs_previous),
    ]
    return run_check("check_early_stopping", student_fn, _es_cases(), _es_ref, mistakes,
                     output_names=("best_epoch", "stop_epoch"))
