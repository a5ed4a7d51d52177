"""Checks for lesson 11, regularization, declared as data: the L2 and L1 penalties, an SGD step
with L2 on the weights only, inverted dropout (a class driven through train and evaluation),
the early-stopping rule, and early stopping in a training loop with the best weights restored.

References (each checked against PyTorch or ``fit`` in the test suite):
:func:`nnlesson.losses.l2_penalty` and :func:`nnlesson.losses.l1_penalty` (``lam / 2 * sum w^2``
with gradient ``lam * w``; ``lam * sum |w|`` with gradient ``lam * sign(w)``, ``sign(0) = 0``),
:func:`nnlesson.optim.sgd_update` (PyTorch's ``weight_decay``), :class:`nnlesson.layers.Dropout`,
and :class:`nnlesson.train.EarlyStopping` with :func:`nnlesson.train.model_state` (the rule and
the snapshot ``fit(..., early_stopping=EarlyStopping(patience))`` uses). Each check forbids the
library code that does the exercise. The mistakes are written in plain numpy: the meta-test
hands each one to its check as a student's answer.

``train_with_early_stopping(model, train_epoch, validation_loss, max_epochs, patience)`` changes
the model it is given; the check observes that (:func:`_observed`): besides the returned
``(best_epoch, epochs_trained)`` it compares every parameter and every batch-norm running
statistic after the call, and how many epochs ``train_epoch`` was asked to train. The training
is scripted (:class:`ScriptedEpochs`, :class:`ScriptedLoss`): each epoch moves the weights by a
seeded step and the validation losses are a given list, so every case is exact.
"""
from __future__ import annotations

import math

import numpy as np

from nnlesson.course.checks import _stale
from nnlesson.course.checks._core import Case, Check, CheckResult, Mistake, Step
from nnlesson.layers import Dropout
from nnlesson.losses import l1_penalty, l2_penalty
from nnlesson.norm import BatchNorm
from nnlesson.optim import sgd_update
from nnlesson.train import EarlyStopping, load_model_state, mlp, model_state

__all__ = ["L2_PENALTY", "L1_PENALTY", "SGD_STEP_L2", "INVERTED_DROPOUT", "EARLY_STOPPING",
           "EARLY_STOPPING_TRAINING", "CHECKS", "ScriptedEpochs", "ScriptedLoss",
           "check_l2_penalty", "check_l1_penalty", "check_sgd_step_l2",
           "check_inverted_dropout", "check_early_stopping", "check_train_with_early_stopping"]

# The titles of the hint levels in the exercise notebook ("Hint 2 · the formula").
HINTS = ("the idea", "the formula", "a partial line")
_PENALTIES = ("nnlesson.losses.*penalty*", "nnlesson.train.Penalty.*")


# --------------------------------------------------------------------------- penalties


def _weights(seed, shapes):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for shape in shapes]


def _penalty_cases():
    with_zeros = np.array([[0.0, -1.5], [2.0, 0.0]])
    return [
        Case("two weight matrices, lam = 0.1", (_weights(1, [(3, 4), (4, 2)]), 0.1)),
        Case("one matrix with exact zeros, lam = 0.5", ([with_zeros], 0.5)),
        Case("lam = 0: no penalty", (_weights(2, [(2, 3)]), 0.0)),
        Case("a single weight, lam = 2", ([np.array([[-3.0]])], 2.0)),
        Case("three matrices of different sizes, lam = 0.01",
             (_weights(3, [(5, 3), (3, 3), (3, 1)]), 0.01)),
    ]


def _l2_ref(weights, lam):
    penalty, grads = l2_penalty(weights, lam)
    return float(penalty), [np.asarray(g) for g in grads]


def _l2(weights, lam, *, half=True, square=True, mean=False, first_only=False, grad_factor=1.0,
        grad_lam=True):
    """L2 with switches for the typical mistakes (plain numpy)."""
    used = weights[:1] if first_only else weights
    total = 0.0
    for W in used:
        part = W ** 2 if square else np.abs(W)
        total += float(np.mean(part) if mean else np.sum(part))
    if not square:
        total = sum(float(np.sqrt(np.sum(W ** 2))) for W in used)
    penalty = (lam / 2 if half else lam) * total
    grads = [grad_factor * (lam * W if grad_lam else W.copy()) for W in weights]
    return penalty, grads


L2_PENALTY = Check(
    name="check_l2_penalty",
    function="l2_penalty",
    reference=_l2_ref,
    cases=_penalty_cases,
    mistakes=(
        Mistake("gradient 2 lam w",
                "Your penalty is right but your gradients are twice too large: the derivative "
                "of lam / 2 * w^2 is lam * w. The 1/2 is there precisely so that lam is "
                "PyTorch's SGD weight_decay.",
                lambda weights, lam: _l2(weights, lam, grad_factor=2.0), hint=2),
        Mistake("gradient lam w / 2",
                "Your gradients are half of lam * w: the 1/2 of the penalty cancels against the "
                "2 of w^2 when you differentiate, d/dw (lam / 2 * w^2) = lam * w.",
                lambda weights, lam: _l2(weights, lam, grad_factor=0.5), hint=2),
        Mistake("1/2 missing from the penalty",
                "Your gradients are lam * w but your penalty is lam * sum w^2: with the "
                "library's convention the penalty is lam / 2 * sum w^2 (its derivative is then "
                "lam * w). Penalty and gradient must use the same convention.",
                lambda weights, lam: _l2(weights, lam, half=False), hint=2),
        Mistake("the convention without the 1/2",
                "Your penalty and gradient agree with each other, lam * sum w^2 with gradient "
                "2 lam * w, but they are twice the library's: the course uses lam / 2 * sum "
                "w^2, whose gradient lam * w is exactly PyTorch's weight_decay.",
                lambda weights, lam: _l2(weights, lam, half=False, grad_factor=2.0), hint=2),
        Mistake("the last matrix only",
                "Your penalty counts only the last weight matrix: inside the loop it is "
                "replaced at every matrix instead of added to. Add up the squared weights of "
                "every matrix.",
                lambda weights, lam: _l2(weights[-1:], lam)[:1] + (_l2(weights, lam)[1],),
                hint=1),
        Mistake("lam missing from the gradient",
                "Your gradients are w itself: multiply by lam, grad = lam * W.",
                lambda weights, lam: _l2(weights, lam, grad_lam=False), hint=2),
        Mistake("norm instead of squared norm",
                "Your penalty uses the norm sqrt(sum w^2); the L2 penalty is the sum of the "
                "SQUARED weights, lam / 2 * sum w^2.",
                lambda weights, lam: _l2(weights, lam, square=False), hint=2),
        Mistake("mean instead of sum",
                "Your penalty averages the squared weights of each matrix (np.mean); the "
                "penalty SUMS them over every weight of every matrix: a larger matrix is "
                "penalized more.",
                lambda weights, lam: _l2(weights, lam, mean=True), hint=2),
        Mistake("first matrix only",
                "Your penalty counts the first weight matrix only: add up the squared weights "
                "of every matrix in the list.",
                lambda weights, lam: _l2(weights, lam, first_only=True), hint=1),
        Mistake("the square of the sum",
                "Your penalty squares the SUM of each matrix's weights, (sum w)^2, so positive "
                "and negative weights cancel before squaring. L2 sums the squares: square "
                "every weight first, then add them up, lam / 2 * sum w^2.",
                lambda weights, lam: (lam / 2 * sum(float(np.sum(W)) ** 2 for W in weights),
                                      [lam * W for W in weights]), hint=2),
        Mistake("one penalty per matrix",
                "Your penalty is a list with one number per matrix: the penalty is ONE number, "
                "the sum over every matrix, lam / 2 * sum of all the squared weights (the "
                "gradients are the ones that come one per matrix).",
                lambda weights, lam: ([lam / 2 * float(np.sum(W ** 2)) for W in weights],
                                      [lam * W for W in weights]), hint=1),
        Mistake("averaged over the matrices",
                "Your penalty is divided by the number of matrices: the penalty adds up the "
                "squared weights of every matrix, it does not average over the matrices.",
                lambda weights, lam: (_l2(weights, lam)[0] / len(weights),
                                      _l2(weights, lam)[1]), hint=2),
    ),
    output_names=("penalty", "grads"),
    forbidden=_PENALTIES,
    hints=HINTS,
    doc="``(penalty, grads)``: ``lam / 2 * sum w^2`` over every matrix, one gradient "
        "``lam * W`` per matrix",
)


def _l1_ref(weights, lam):
    penalty, grads = l1_penalty(weights, lam)
    return float(penalty), [np.asarray(g) for g in grads]


def _l1(weights, lam, *, absolute=True, factor=1.0, mean=False, grad="sign", grad_lam=True):
    """L1 with switches for the typical mistakes (plain numpy)."""
    parts = [np.abs(W) if absolute else W for W in weights]
    penalty = factor * lam * sum(float(np.mean(p) if mean else np.sum(p)) for p in parts)
    if not grad_lam:
        return penalty, [np.sign(W) for W in weights]
    rules = {"sign": np.sign, "w": lambda W: W, "abs": np.abs,
             "zero is 1": lambda W: np.where(W >= 0, 1.0, -1.0),
             "zero is -1": lambda W: np.where(W > 0, 1.0, -1.0)}
    return penalty, [factor * lam * rules[grad](W) for W in weights]


L1_PENALTY = Check(
    name="check_l1_penalty",
    function="l1_penalty",
    reference=_l1_ref,
    cases=_penalty_cases,
    mistakes=(
        Mistake("sign(0) taken as 1",
                "Your gradient is lam at weights that are exactly 0. |w| has no slope at 0; the "
                "convention (np.sign, PyTorch) is the subgradient 0 there, so a zero weight "
                "stays put.",
                lambda weights, lam: _l1(weights, lam, grad="zero is 1"), hint=2),
        Mistake("sign(0) taken as -1",
                "Your gradient is -lam at weights that are exactly 0 (a test like w > 0 sends "
                "0 to the negative side). |w| has no slope at 0; the convention is the "
                "subgradient 0 there, np.sign(0) = 0.",
                lambda weights, lam: _l1(weights, lam, grad="zero is -1"), hint=2),
        Mistake("lam missing from the gradient",
                "Your gradients are sign(W) alone: the penalty is scaled by lam, so its slope "
                "is too, lam * sign(W).",
                lambda weights, lam: _l1(weights, lam, grad_lam=False), hint=2),
        Mistake("L2 gradient",
                "Your gradient is lam * w, the gradient of the L2 penalty. L1's gradient does "
                "not depend on the size of w, only on its sign.",
                lambda weights, lam: _l1(weights, lam, grad="w"), hint=2),
        Mistake("|w| as the gradient",
                "Your gradient is lam * |w|: that is the penalty of each weight, not its "
                "slope. The slope of |w| is +1 for a positive weight and -1 for a negative one.",
                lambda weights, lam: _l1(weights, lam, grad="abs"), hint=2),
        Mistake("absolute value missing",
                "Your penalty sums the weights with their signs, so positive and negative "
                "weights cancel; the L1 penalty sums their absolute values.",
                lambda weights, lam: _l1(weights, lam, absolute=False), hint=2),
        Mistake("a factor 1/2",
                "Your penalty and gradient are half of what they should be: the 1/2 belongs to "
                "the L2 penalty only (it cancels the 2 of w^2); L1 is lam * sum |w|.",
                lambda weights, lam: _l1(weights, lam, factor=0.5), hint=2),
        Mistake("mean instead of sum",
                "Your penalty averages the absolute weights of each matrix (np.mean); the "
                "penalty SUMS them over every weight of every matrix.",
                lambda weights, lam: _l1(weights, lam, mean=True), hint=2),
        Mistake("np.linalg.norm(W, 1) of a matrix",
                "Your penalty uses np.linalg.norm(W, 1): for a MATRIX, ord=1 is the largest "
                "column sum of |w|, not the sum of every |w|. Sum the absolute values of all "
                "the weights, np.sum(np.abs(W)).",
                lambda weights, lam: (lam * sum(float(np.linalg.norm(W, 1)) for W in weights),
                                      _l1(weights, lam)[1]), hint=2),
        Mistake("gradient 1 for positive weights, 0 for negative ones",
                "Your gradient is lam where w > 0 and 0 elsewhere, the slope of a ReLU. |w| "
                "slopes DOWN on the negative side: its slope is -1 for a negative weight, so "
                "the gradient is lam * sign(w).",
                lambda weights, lam: (_l1(weights, lam)[0],
                                      [lam * (W > 0).astype(float) for W in weights]), hint=1),
        Mistake("the last matrix only",
                "Your penalty counts only the last weight matrix: inside the loop it is "
                "replaced at every matrix instead of added to. Add up the absolute weights of "
                "every matrix.",
                lambda weights, lam: (_l1(weights[-1:], lam)[0], _l1(weights, lam)[1]), hint=1),
        Mistake("squared weights in the penalty",
                "Your gradient is L1's, but your penalty sums the SQUARED weights (that is "
                "L2's). L1 sums their absolute values: lam * sum |w|.",
                lambda weights, lam: (lam * sum(float(np.sum(W ** 2)) for W in weights),
                                      _l1(weights, lam)[1]), hint=2),
    ),
    output_names=("penalty", "grads"),
    forbidden=_PENALTIES,
    hints=HINTS,
    doc="``(penalty, grads)``: ``lam * sum |w|`` over every matrix, one gradient "
        "``lam * sign(W)`` per matrix",
)


# --------------------------------------------------------------------------- SGD step


def _step_ref(params, grads, lr, lam):
    # sgd_update adds weight_decay * w to the gradient: the L2 gradient, for matrices only
    return [sgd_update(p, g, None, lr=lr, weight_decay=lam if np.ndim(p) >= 2 else 0.0)[0]
            for p, g in zip(params, grads)]


def _step(params, grads, lr, lam, *, decay=("weights",), on_lr=True, factor=1.0,
          after=False):
    """An SGD step with the L2 gradient, with switches for the typical mistakes."""
    out = []
    for p, g in zip(params, grads):
        kind = "weights" if np.ndim(p) >= 2 else "biases"
        if kind not in decay:
            out.append(p - lr * g)
        elif after:
            out.append((p - lr * g) * (1 - lr * lam))
        elif on_lr:
            out.append(p - lr * (g + factor * lam * p))
        else:
            out.append(p - lr * g - lam * p)
    return out


def _step_cases():
    r = np.random.default_rng(5)
    net = [r.normal(size=(4, 3)), r.normal(size=3), r.normal(size=(3, 2)), r.normal(size=2)]
    g = [r.normal(size=a.shape) for a in net]
    zero_g = [np.zeros_like(a) for a in net]
    # mlp(..., batch_norm=True): a linear layer before batch norm has no bias
    bn = [r.normal(size=(4, 3)), 1 + 0.1 * r.normal(size=3), r.normal(size=3),
          r.normal(size=(3, 2)), r.normal(size=2)]
    bn_g = [r.normal(size=a.shape) for a in bn]
    return [
        Case("a two-layer network [W1, b1, W2, b2], lr 0.1, lam 0.01", (net, g, 0.1, 0.01)),
        Case("zero gradients: only the decay acts, lr 0.5, lam 0.2", (net, zero_g, 0.5, 0.2)),
        Case("lam = 0: plain SGD", (net, g, 0.05, 0.0)),
        Case("a large lam = 1", (net, g, 0.1, 1.0)),
        Case("a single weight matrix", ([np.array([[1.0, -2.0]])], [np.array([[0.5, 0.5]])],
                                       0.2, 0.5)),
        Case("a network with batch norm [W1, gamma, beta, W2, b2]: gamma and beta are 1-D, "
             "not penalized either", (bn, bn_g, 0.1, 0.3)),
    ]


SGD_STEP_L2 = Check(
    name="check_sgd_step_l2",
    function="sgd_step_l2",
    reference=_step_ref,
    cases=_step_cases,
    mistakes=(
        Mistake("biases penalized",
                "You also decayed the biases (the 1-D arrays). The penalty is on the weight "
                "matrices only: a bias shifts a unit, it does not make the function more "
                "wiggly, and pulling it to 0 only hurts. Keep b - lr * g for the biases "
                "(fit(..., penalty=Penalty(l2=...)) does the same).",
                lambda params, grads, lr, lam: _step(params, grads, lr, lam,
                                                     decay=("weights", "biases")), hint=1),
        Mistake("biases penalized + decay not multiplied by lr",
                "Two things: you decayed every parameter, biases included, and without the "
                "learning rate (p - lr * g - lam * p, the habit of a hand-written weight "
                "decay). The penalty is on the weight matrices only (p.ndim >= 2), and its "
                "gradient lam * w joins the data gradient, so lr multiplies both: "
                "W - lr * (g + lam * W), b - lr * g.",
                lambda params, grads, lr, lam: _step(params, grads, lr, lam, on_lr=False,
                                                     decay=("weights", "biases")), hint=2),
        Mistake("biases decayed instead of the weights",
                "You decayed the biases (the 1-D arrays) and left the weight matrices alone: "
                "it is the other way round. A weight matrix has ndim 2, a bias ndim 1.",
                lambda params, grads, lr, lam: _step(params, grads, lr, lam,
                                                     decay=("biases",)), hint=3),
        Mistake("decay not multiplied by lr",
                "You subtracted lam * w without the learning rate. The L2 gradient lam * w is "
                "part of the gradient, so it is multiplied by lr like the rest.",
                lambda params, grads, lr, lam: _step(params, grads, lr, lam, on_lr=False),
                hint=2),
        Mistake("gradient 2 lam w",
                "Your decay is twice too strong: with the penalty lam / 2 * sum w^2 the "
                "gradient is lam * w, not 2 * lam * w.",
                lambda params, grads, lr, lam: _step(params, grads, lr, lam, factor=2.0),
                hint=2),
        Mistake("decay lam / 2",
                "Your decay is half what it should be: the penalty is lam / 2 * sum w^2 and "
                "its gradient lam * w, the 1/2 cancels the 2 of the square.",
                lambda params, grads, lr, lam: _step(params, grads, lr, lam, factor=0.5),
                hint=2),
        Mistake("no penalty",
                "Your step ignores lam: add the L2 gradient lam * w to the weights' gradients.",
                lambda params, grads, lr, lam: _step(params, grads, lr, lam, decay=()), hint=1),
        Mistake("decay after the step",
                "You shrank the weights after the gradient step, (w - lr g)(1 - lr lam): that "
                "also shrinks the step. The L2 step is w - lr (g + lam w) = (1 - lr lam) w - "
                "lr g.",
                lambda params, grads, lr, lam: _step(params, grads, lr, lam, after=True),
                hint=2),
        Mistake("weights told apart by position",
                "You decayed every other parameter (positions 0, 2, 4, ...), as if the list "
                "always alternated weight, bias. It does not: with batch norm it holds "
                "[W1, gamma, beta, W2, b2]. Tell a weight matrix by its shape, p.ndim >= 2.",
                lambda params, grads, lr, lam: [
                    p - lr * (g + lam * p) if i % 2 == 0 else p - lr * g
                    for i, (p, g) in enumerate(zip(params, grads))], hint=3),
        Mistake("only the weight matrices returned",
                "Your list holds the new weight matrices only: return every parameter, in the "
                "order of `params`, the biases after their plain step b - lr * g.",
                lambda params, grads, lr, lam: [
                    p - lr * (g + lam * p) for p, g in zip(params, grads) if np.ndim(p) >= 2],
                hint=1),
        Mistake("decay multiplied by lr twice",
                "Your decay is lr * lr * lam * w: the learning rate multiplies the whole "
                "gradient g + lam * w once, w - lr (g + lam w).",
                lambda params, grads, lr, lam: [
                    p - lr * g - lr * lr * lam * p if np.ndim(p) >= 2 else p - lr * g
                    for p, g in zip(params, grads)], hint=2),
    ),
    forbidden=("nnlesson.optim.*sgd*", "nnlesson.optim.SGD.*", "nnlesson.optim.*gd*",
               *_PENALTIES),
    hints=HINTS,
    doc="new arrays: ``W - lr (g + lam W)`` for the matrices, ``b - lr g`` for the biases",
)


# --------------------------------------------------------------------------- inverted dropout


class _ReferenceDropout:
    """The library's :class:`~nnlesson.layers.Dropout` behind the exercise's interface:
    ``InvertedDropout(p, rng)``, ``forward(x, train=True)``, ``backward(dout)``, ``mask``."""

    def __init__(self, p, rng):
        self.p = p
        self.rng = rng
        self._layer = Dropout(p, rng=rng)

    @property
    def mask(self):
        return self._layer.mask

    def forward(self, x, train=True):
        self._layer.train(train)
        return self._layer.forward(x)

    def backward(self, dout):
        return self._layer.backward(dout)


def _dropout_class(*, scale="1 - p", keep=">= p", eval_mask="clear", eval_scale=False,
                   backward="mask", draw="every forward", store="bool", shape="every unit",
                   train_flag=True):
    """A plain-numpy InvertedDropout with one mistake (the switches name it)."""

    class InvertedDropout:
        def __init__(self, p, rng):
            self.p = p
            self.rng = rng
            self.mask = None

        def _factor(self):
            return {"1 - p": 1 / (1 - self.p), "none": 1.0, "p": self.p, "times 1 - p": 1 - self.p,
                    "1 / p": (1 / self.p) if self.p else math.inf}[scale]

        def forward(self, x, train=True):
            if not train and train_flag:
                if eval_mask == "clear":
                    self.mask = None
                return x * (1 - self.p) if eval_scale else x
            if self.mask is None or draw == "every forward":
                drawn = np.shape(x) if shape == "every unit" else np.shape(x)[-1:]
                if keep == "binomial":
                    self.mask = self.rng.binomial(1, 1 - self.p, size=drawn).astype(bool)
                else:
                    u = self.rng.random(drawn)
                    self.mask = {">= p": u >= self.p, "< p": u < self.p,
                                 "< 1 - p": u < 1 - self.p}[keep]
                if store == "numbers":  # 0.0 and 1.0
                    self.mask = self.mask.astype(float)
                elif store == "scaled":  # cs231n's habit: the mask carries the factor
                    with np.errstate(all="ignore"):
                        self.mask = self.mask * self._factor()
            with np.errstate(all="ignore"):
                if store == "scaled":
                    return x * self.mask
                return x * self.mask * self._factor()

        def backward(self, dout):
            if self.mask is None:
                return dout * (1 - self.p) if eval_scale is True else dout
            if store == "scaled":
                return dout * self.mask
            with np.errstate(all="ignore"):
                if backward == "new mask":
                    return dout * (self.rng.random(np.shape(dout)) >= self.p) * self._factor()
                if backward == "no mask":
                    return dout * self._factor()
                if backward == "unscaled":
                    return dout * self.mask
                return dout * self.mask * self._factor()

    return InvertedDropout


def _dropout_cases():
    r = np.random.default_rng(7)

    def arrays(shape):
        return r.normal(size=shape), r.normal(size=shape)

    (x1, d1), (x2, d2), (x3, d3) = arrays((4, 6)), arrays((4, 6)), arrays((1, 6))
    x4, d4 = arrays((2, 3, 4))
    return [
        Case("train, backward, evaluate, backward, train again: one layer throughout, p = 0.5",
             (0.5, np.random.default_rng(11)),
             steps=(Step("forward", (x1,)), Step("backward", (d1,)),
                    Step("forward", (x2,), {"train": False}), Step("backward", (d2,)),
                    Step("forward", (x2,)), Step("backward", (d2,)))),
        Case("two training batches in a row, p = 0.2", (0.2, np.random.default_rng(12)),
             steps=(Step("forward", (x1,)), Step("forward", (x2,)), Step("backward", (d2,)))),
        Case("a batch of one, p = 0.3", (0.3, np.random.default_rng(13)),
             steps=(Step("forward", (x3,)), Step("backward", (d3,)))),
        Case("evaluation first, p = 0.5", (0.5, np.random.default_rng(14)),
             steps=(Step("forward", (x1,), {"train": False}), Step("backward", (d1,)))),
        Case("p = 0: nothing dropped", (0.0, np.random.default_rng(15)),
             steps=(Step("forward", (x2,)), Step("backward", (d2,)))),
        Case("p = 0.8, a 3-D input", (0.8, np.random.default_rng(16)),
             steps=(Step("forward", (x4,)), Step("backward", (d4,)))),
    ]


INVERTED_DROPOUT = Check(
    name="check_inverted_dropout",
    function="InvertedDropout",
    reference=_ReferenceDropout,
    takes="class",
    state=("mask",),
    cases=_dropout_cases,
    mistakes=(
        Mistake("no rescaling",
                "Your training output is x * mask: the kept units are not divided by the keep "
                "probability 1 - p, so in training the layer's output is (1 - p) times smaller "
                "on average than in evaluation (and the same factor is missing in backward).",
                _dropout_class(scale="none"), hint=2),
        Mistake("multiplied by p",
                "You multiplied the kept units by p. Divide by the KEEP probability 1 - p, so "
                "that the expected output stays x.",
                _dropout_class(scale="p"), hint=2),
        Mistake("multiplied by 1 - p",
                "You multiplied the kept units by 1 - p, which shrinks them a second time. "
                "Inverted dropout DIVIDES by the keep probability 1 - p, so that the units kept "
                "make up for the ones dropped and the expected output stays x.",
                _dropout_class(scale="times 1 - p"), hint=2),
        Mistake("divided by p",
                "You divided by p, the drop probability. Divide by the keep probability 1 - p.",
                _dropout_class(scale="1 / p"), hint=2),
        Mistake("new mask in backward",
                "Your forward pass is right, but backward draws a new mask. The units dropped "
                "in forward did not influence the loss, so they get no gradient: reuse the mask "
                "of forward (self.mask).",
                _dropout_class(backward="new mask"), hint=1),
        Mistake("mask missing in backward",
                "Your backward returns dout / (1 - p) everywhere: multiply by the mask kept "
                "from forward too; a dropped unit gets no gradient.",
                _dropout_class(backward="no mask"), hint=2),
        Mistake("backward not rescaled",
                "Your backward returns dout * mask: the factor 1 / (1 - p) of forward belongs "
                "in backward too (out = x * mask / (1 - p), so dout/dx = mask / (1 - p)).",
                _dropout_class(backward="unscaled"), hint=2),
        Mistake("scaled in evaluation",
                "In evaluation mode you multiplied by (1 - p). That is the test-time scaling of "
                "the original (non-inverted) dropout; inverted dropout already scaled in "
                "training, so evaluation is the identity.",
                _dropout_class(eval_scale=True), hint=1),
        Mistake("mask kept after evaluation",
                "After a forward pass in evaluation mode your layer still holds the last "
                "training mask, so the backward that follows drops and rescales gradients that "
                "nothing dropped. In evaluation set self.mask = None, and let backward pass "
                "dout through unchanged when there is no mask.",
                _dropout_class(eval_mask="keep"), hint=1),
        Mistake("mask drawn once",
                "Your layer draws a mask at the first training forward and keeps it: every "
                "later batch drops the same units. Dropout draws a fresh mask at EVERY training "
                "forward pass.",
                _dropout_class(draw="once"), hint=1),
        Mistake("keeps with probability p",
                "Your mask keeps a unit with probability p: p is the probability to DROP, so a "
                "unit is kept where rng.random(x.shape) >= p.",
                _dropout_class(keep="< p"), hint=3),
        Mistake("mask drawn as u < 1 - p",
                "Your mask keeps the right share of units but is not the one the check expects: "
                "draw it exactly as self.rng.random(x.shape) >= self.p, so that your layer and "
                "the library's draw the same mask from the same generator.",
                _dropout_class(keep="< 1 - p"), hint=3),
        Mistake("mask stored with its scaling",
                "Your layer computes the right numbers, but self.mask holds the scaled mask "
                "m / (1 - p) (a habit from cs231n). The contract keeps the mask itself in "
                "self.mask: True where a unit is kept, False where it is dropped; apply the "
                "factor 1 / (1 - p) in forward and backward.",
                _dropout_class(store="scaled"), hint=3),
        Mistake("mask stored as numbers",
                "Your layer computes the right numbers, but self.mask holds 0.0 and 1.0: keep "
                "the boolean mask itself, True where a unit is kept (the comparison "
                "self.rng.random(x.shape) >= self.p is already one).",
                _dropout_class(store="numbers"), hint=3),
        Mistake("p taken as the keep probability",
                "Your layer keeps a unit with probability p and divides by p: you read p as "
                "the probability to KEEP (the convention of the first dropout paper). Here, as "
                "in PyTorch, p is the probability to DROP: keep where rng.random(x.shape) >= p "
                "and divide by the keep probability 1 - p.",
                _dropout_class(keep="< p", scale="1 / p"), hint=1),
        Mistake("one mask for the whole batch",
                "Your mask has one entry per feature, shared by every row of the batch, so "
                "every example loses the same units. Draw one entry per element of x: "
                "self.rng.random(x.shape).",
                _dropout_class(shape="one per feature"), hint=3),
        Mistake("scaled in evaluation",
                "In evaluation mode you multiplied the output by (1 - p). That is the "
                "test-time scaling of the original (non-inverted) dropout; inverted dropout "
                "already scaled in training, so evaluation is the identity.",
                _dropout_class(eval_scale="forward only"), hint=1),
        Mistake("the original dropout, not inverted",
                "Your layer is the original dropout of Srivastava et al. 2014: x * mask in "
                "training, and (1 - p) times x in evaluation. Inverted dropout moves that "
                "factor into training: divide the kept units by 1 - p there (in forward and "
                "backward), and evaluation becomes the identity, so the trained network needs "
                "no change at test time.",
                _dropout_class(scale="none", eval_scale=True), hint=1),
        Mistake("the original dropout, not inverted",
                "Your layer is the original dropout of Srivastava et al. 2014: x * mask in "
                "training, and (1 - p) times x in evaluation. Inverted dropout moves that "
                "factor into training: divide the kept units by 1 - p there (in forward and "
                "backward), and evaluation becomes the identity, so the trained network needs "
                "no change at test time.",
                _dropout_class(scale="none", eval_scale="forward only"), hint=1),
        Mistake("dropping in evaluation too",
                "Your layer drops units even when train=False. In evaluation the layer is the "
                "identity: return x unchanged and set self.mask = None (nothing was dropped, "
                "so backward passes dout through).",
                _dropout_class(train_flag=False), hint=1),
        Mistake("mask drawn with binomial",
                "Your mask is drawn with rng.binomial: a right mask, but from other random "
                "numbers than the library's layer, so the check cannot compare them. Draw it "
                "exactly as self.rng.random(x.shape) >= self.p.",
                _dropout_class(keep="binomial"), hint=3),
    ),
    output_names=None,
    forbidden=("nnlesson.layers.Dropout.*", "nnlesson.layers.DropConnect.*"),
    hints=HINTS,
    doc="``forward(x, train=True)``: in training ``x * mask / (1 - p)`` with ``mask = "
        "rng.random(x.shape) >= p`` kept in ``self.mask``; in evaluation ``x`` (``mask = "
        "None``); ``backward(dout)`` reuses the mask",
)


# --------------------------------------------------------------------------- the rule on a list


def _es_ref(val_losses, patience):
    # the rule of fit's EarlyStopping, step by step (it takes a nan as no improvement)
    stopper = EarlyStopping(patience)
    for epoch, loss in enumerate(val_losses):
        if stopper.step(loss):
            return int(stopper.best_epoch), epoch
    return int(stopper.best_epoch), len(val_losses) - 1


def _rule(val_losses, patience, *, reach=0, better="<", reset="best", nan_best=False,
          end=None):
    """Early stopping on a list with switches for the typical mistakes: ``reach`` shifts the
    patience, ``better`` is the comparison, ``reset`` what resets the counter."""
    best, best_epoch, bad, previous = math.inf, 0, 0, math.inf
    for epoch, loss in enumerate(val_losses):
        if better == "not >=":  # a nan best: every later loss is "not >= nan", a new best
            improved = not loss >= best
        else:
            improved = (loss <= best) if better == "<=" else (loss < best)
        if nan_best and loss != loss:
            improved = True
        if improved:
            best, best_epoch = loss, epoch
        if reset == "best":
            bad = 0 if improved else bad + 1
        elif reset == "never":
            bad = bad if improved else bad + 1
        elif reset == "previous":  # compared with the previous epoch
            bad = 0 if loss < previous else bad + 1
        else:  # the same, written the other way round (a nan then resets the counter)
            bad = bad + 1 if loss >= previous else 0
        previous = loss
        if bad >= max(1, patience + reach):
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1 if end is None else end


def _es_cases():
    nan = math.nan
    return [
        Case("a U-shaped curve, patience 3", ([2.0, 1.5, 1.2, 1.1, 1.15, 1.3, 1.4, 1.6, 1.8], 3)),
        Case("a dip after the best resets nothing, patience 3",
             ([2.0, 1.0, 1.5, 1.2, 1.4, 1.3, 1.6, 1.7], 3)),
        Case("a new best in the middle, patience 2",
             ([3.0, 2.0, 2.5, 1.8, 1.9, 2.0, 1.7, 1.75, 1.9, 2.2], 2)),
        Case("bad epochs early and late, patience 4",
             ([2.0, 2.1, 1.5, 1.6, 1.7, 1.2, 1.3, 1.25, 1.4, 1.5, 1.6], 4)),
        Case("a tie is not an improvement, patience 2", ([1.0, 0.8, 0.8, 0.8, 0.7], 2)),
        Case("a diverged epoch (nan) is not an improvement, patience 2",
             ([1.0, 0.9, nan, 0.95, 1.2, 0.5], 2)),
        Case("always improving: never stops", ([5.0, 4.0, 3.0, 2.0, 1.0], 2)),
        Case("patience 1", ([1.0, 0.9, 0.95, 0.8], 1)),
        Case("one epoch only", ([0.7], 3)),
    ]


EARLY_STOPPING = Check(
    name="check_early_stopping",
    function="early_stopping",
    reference=_es_ref,
    cases=_es_cases,
    mistakes=(
        Mistake("stops one epoch early",
                "You stop one epoch too soon: with patience k, training may run k epochs "
                "without a new best and stops after the k-th (stop_epoch = best_epoch + k when "
                "nothing improves).",
                lambda losses, patience: _rule(losses, patience, reach=-1), hint=2),
        Mistake("stops one epoch late",
                "You stop one epoch too late: stop as soon as the counter of epochs without a "
                "new best REACHES patience, not when it exceeds it.",
                lambda losses, patience: _rule(losses, patience, reach=1), hint=2),
        Mistake("best weights not restored",
                "Your stop epoch is right but you return it as the best epoch: those are the "
                "last weights, patience epochs into overfitting. Remember the epoch of the "
                "lowest validation loss: its weights are the ones to restore.",
                lambda losses, patience: (_rule(losses, patience)[1],) * 2, hint=1),
        Mistake("the best loss instead of its epoch",
                "Your first output is the lowest loss itself; the function returns the EPOCH "
                "(from 0) at which it occurred.",
                lambda losses, patience: (min(x for x in losses if x == x),
                                          _rule(losses, patience)[1]), hint=1),
        Mistake("stop epoch counted as a number of epochs",
                "Your stop_epoch is one too high: you returned how many epochs were trained; "
                "the contract asks for the index (from 0) of the last epoch trained.",
                lambda losses, patience: (_rule(losses, patience)[0],
                                          _rule(losses, patience)[1] + 1), hint=1),
        Mistake("epochs counted from 1",
                "Both epochs are one too high: the first epoch is epoch 0 (as enumerate and fit "
                "count).",
                lambda losses, patience: tuple(e + 1 for e in _rule(losses, patience)), hint=3),
        Mistake("counter not reset",
                "Your counter keeps counting across improvements: reset it to 0 whenever the "
                "validation loss reaches a new best, so only the bad epochs since the best "
                "count.",
                lambda losses, patience: _rule(losses, patience, reset="never"), hint=2),
        Mistake("tie counted as improvement",
                "You count an equal loss as an improvement (<=). Only a loss strictly below the "
                "best so far is a new best (as in nnlesson.train.fit); a plateau must run out "
                "the patience.",
                lambda losses, patience: _rule(losses, patience, better="<="), hint=2),
        Mistake("compared with the previous epoch",
                "You reset the counter whenever the loss went down from the previous epoch. "
                "Compare with the BEST loss so far: a small dip that stays above the best is "
                "not progress.",
                lambda losses, patience: _rule(losses, patience, reset="previous"), hint=2),
        Mistake("compared with the previous epoch",
                "You reset the counter whenever the loss did not go up from the previous "
                "epoch. Compare with the BEST loss so far: a small dip that stays above the "
                "best is not progress (and a nan compares False with everything).",
                lambda losses, patience: _rule(losses, patience, reset="previous>="), hint=2),
        Mistake("nan taken as a new best",
                "A diverged epoch's loss (nan) became your new best. nan compares False with "
                "everything, so a test like `not loss >= best`, or np.argmin over the losses, "
                "lets it through; a loss is a new best only when `loss < best` is True.",
                lambda losses, patience: _rule(losses, patience, nan_best=True), hint=3),
        Mistake("nan taken as a new best",
                "A diverged epoch's loss (nan) became your new best, and after it every epoch "
                "did too: your test `not loss >= best` is True whenever either side is nan. A "
                "loss is a new best only when `loss < best` is True (False for nan).",
                lambda losses, patience: _rule(losses, patience, better="not >="), hint=3),
        Mistake("best epoch over the whole curve",
                "Your stop epoch is right, but your best epoch is the lowest loss of the WHOLE "
                "list, epochs after the stop included (np.argmin or np.nanargmin over all the "
                "losses). Training never saw those epochs: the best epoch is the best one up "
                "to the stop.",
                lambda losses, patience: (int(np.nanargmin(losses)), _rule(losses, patience)[1]),
                hint=1),
        Mistake("stop epoch past the end",
                "Your stop epoch is best_epoch + patience even when the list ends before that: "
                "when the rule never stops, training ends with the last epoch, "
                "len(val_losses) - 1.",
                lambda losses, patience: (_rule(losses, patience)[0],
                                          _rule(losses, patience)[0] + patience), hint=2),
        Mistake("never stopping gives len(val_losses)",
                "When the rule never stops, your stop epoch is len(val_losses), one past the "
                "last epoch: epochs count from 0, so the last one is len(val_losses) - 1.",
                lambda losses, patience: _rule(losses, patience, end=len(losses)), hint=1),
    ),
    output_names=("best_epoch", "stop_epoch"),
    forbidden=("nnlesson.train.early_stopping_point", "nnlesson.train.EarlyStopping.*"),
    hints=HINTS,
    doc="``(best_epoch, stop_epoch)``, epochs from 0: a loss strictly below the best so far is "
        "a new best and resets the counter, any other epoch adds one; training stops after "
        "the epoch where the counter reaches ``patience`` (else the last epoch)",
)


# --------------------------------------------------------------------------- in a training loop


class ScriptedEpochs:
    """``train_epoch()`` for the check: each call trains the model one scripted "epoch".

    Epoch ``k`` adds a seeded step to every parameter and, when the model has batch norm,
    runs one training-mode forward pass on a fixed batch (which moves the running
    statistics), so that every epoch leaves different weights behind. ``calls`` counts the
    epochs trained.
    """

    def __init__(self, model, seed):
        self.model = model
        self.seed = seed
        self.calls = 0
        self.batch = np.random.default_rng(seed).normal(size=(6, model[0].n_in))

    def __call__(self):
        self.calls += 1
        rng = np.random.default_rng((self.seed, self.calls))
        for p in self.model.parameters():
            p.value += 0.1 * rng.normal(size=p.value.shape)
        self.model.train()
        self.model.forward(self.batch * (1 + 0.2 * self.calls))


class ScriptedLoss:
    """``validation_loss()`` for the check: the loss of the weights after ``epochs.calls``
    epochs, read from ``losses`` (``losses[0]`` before any training)."""

    def __init__(self, epochs, losses):
        self.epochs = epochs
        self.losses = list(losses)

    def __call__(self):
        return float(self.losses[min(self.epochs.calls, len(self.losses) - 1)])


def _batch_norms(model):
    return [m for m in model.modules() if isinstance(m, BatchNorm)]


def _observed(fn):
    """Run a ``train_with_early_stopping`` and return what it did: its two outputs, the
    parameters and batch-norm statistics it left in the model, and the epochs trained."""

    def train_with_early_stopping(model, train_epoch, validation_loss, max_epochs, patience):
        out = fn(model, train_epoch, validation_loss, max_epochs, patience)
        if out is None:
            return None
        weights = [p.value.copy() for p in model.parameters()]
        stats = [np.concatenate([m.running_mean, m.running_var]) for m in _batch_norms(model)]
        pair = tuple(out) if isinstance(out, (tuple, list)) and len(out) == 2 else (out, None)
        return (*pair, weights, stats, train_epoch.calls)

    train_with_early_stopping.__name__ = getattr(fn, "__name__", "train_with_early_stopping")
    return train_with_early_stopping


def _training_ref(model, train_epoch, validation_loss, max_epochs, patience):
    stopper = EarlyStopping(patience)
    best_state = None
    for _ in range(max_epochs):
        train_epoch()
        stop = stopper.step(validation_loss())
        if stopper.improved:
            best_state = model_state(model)
        if stop:
            break
    if best_state is not None:
        load_model_state(model, best_state)
    return stopper.best_epoch, stopper.epoch


def _training(model, train_epoch, validation_loss, max_epochs, patience, *, restore=True, stats=True, snapshot="after", measure="after", reach=0,
              reset="best", better="<", count=0):
    """A plain-numpy training loop with one mistake (the switches name it)."""
    params = model.parameters()
    norms = _batch_norms(model)

    def take():
        values = [p.value.copy() for p in params]
        kept = [(m.running_mean.copy(), m.running_var.copy()) for m in norms] if stats else []
        return values, kept

    best, best_epoch, bad, previous, saved, epochs = math.inf, 0, 0, math.inf, None, 0
    for epoch in range(max_epochs):
        before = take() if snapshot == "before" else None
        loss_before = validation_loss() if measure == "before" else None
        train_epoch()
        epochs += 1
        loss = validation_loss() if measure == "after" else loss_before
        improved = loss <= best if better == "<=" else loss < best
        if improved:
            best, best_epoch = loss, epoch
            saved = before if snapshot == "before" else take()
        if reset == "best":
            bad = 0 if improved else bad + 1
        else:
            bad = 0 if loss < previous else bad + 1
        previous = loss
        if bad >= max(1, patience + reach):
            break
    if restore and saved is not None:
        values, kept = saved
        for p, v in zip(params, values):
            p.value[...] = v
        for m, (mean, var) in zip(norms, kept):
            m.running_mean[...] = mean
            m.running_var[...] = var
    return best_epoch, epochs + count


def _training_variant(model, train_epoch, validation_loss, max_epochs, patience, *,
                      restore="always", order="train first", stop=True):
    """More training loops with one mistake: ``restore="on stop"`` puts the best state back
    only when the rule stops (not when max_epochs ends the loop); ``order="measure first"``
    measures, decides and snapshots before training the epoch; ``stop=False`` never stops."""
    params = model.parameters()
    norms = _batch_norms(model)

    def take():
        return ([p.value.copy() for p in params],
                [(m.running_mean.copy(), m.running_var.copy()) for m in norms])

    def put(saved):
        values, kept = saved
        for p, v in zip(params, values):
            p.value[...] = v
        for m, (mean, var) in zip(norms, kept):
            m.running_mean[...] = mean
            m.running_var[...] = var

    best, best_epoch, bad, saved, epochs, stopped = math.inf, 0, 0, None, 0, False
    for epoch in range(max_epochs):
        if order == "train first":
            train_epoch()
            epochs += 1
        loss = validation_loss()
        if loss < best:
            best, best_epoch, bad, saved = loss, epoch, 0, take()
        else:
            bad += 1
            if stop and bad >= patience:
                stopped = True
                break
        if order != "train first":
            train_epoch()
            epochs += 1
    if saved is not None and (restore == "always" or stopped):
        put(saved)
    return best_epoch, epochs if stop else max_epochs


def _training_cases():
    nan = math.nan
    table = [
        ("a U-shaped curve, patience 3", False, 21, 12, 3,
         [2.3, 2.0, 1.5, 1.2, 1.1, 1.15, 1.3, 1.4, 1.6, 1.8, 1.9, 2.0, 2.1]),
        ("a network with batch norm, a new best in the middle, patience 2", True, 22, 10, 2,
         [2.3, 3.0, 2.0, 2.5, 1.8, 1.9, 2.0, 1.7, 1.75, 1.9, 2.2]),
        ("always improving: stops at max_epochs = 5, the last weights are the best", False, 23,
         5, 2, [2.3, 5.0, 4.0, 3.0, 2.0, 1.0]),
        ("a tie is not an improvement, batch norm, patience 2", True, 24, 8, 2,
         [2.3, 1.0, 0.8, 0.8, 0.8, 0.7, 0.6, 0.5, 0.4]),
        ("a dip that stays above the best, patience 3", False, 25, 10, 3,
         [2.3, 2.0, 1.0, 1.5, 1.2, 1.4, 1.3, 1.6, 1.7, 1.8, 1.9]),
        ("a diverged epoch (nan) is no improvement, batch norm, patience 3", True, 26, 9, 3,
         [2.3, 1.0, 0.8, nan, 0.9, 0.85, 0.95, 0.7, 0.6, 0.5]),
        ("patience 1, batch norm", True, 27, 6, 1, [2.3, 1.0, 0.9, 0.95, 0.8, 0.7, 0.6]),
        ("max_epochs = 4 reached while waiting: the best epoch is restored all the same, "
         "batch norm, patience 3", True, 28, 4, 3, [2.3, 1.5, 0.9, 1.0, 1.1, 0.95]),
    ]
    cases = []
    for label, batch_norm, seed, max_epochs, patience, losses in table:
        model = mlp([4, 5, 3], batch_norm=batch_norm, rng=seed)
        epochs = ScriptedEpochs(model, seed)
        cases.append(Case(label, (model, epochs, ScriptedLoss(epochs, losses), max_epochs,
                                  patience)))
    return cases


def _wrong_training(**switches):
    return _observed(lambda *args: _training(*args, **switches))


EARLY_STOPPING_TRAINING = Check(
    name="check_train_with_early_stopping",
    function="train_with_early_stopping",
    reference=_observed(_training_ref),
    cases=_training_cases,
    mistakes=(
        Mistake("best weights not restored",
                "Your epochs are right, but the model ends with the weights of the LAST epoch, "
                "not the best one. Either the kept state is never put back after the loop, or "
                "what you kept were the arrays themselves (p.value, or a slice p.value[:], "
                "which is a view of the same memory): training went on changing them in place, "
                "so writing them back changed nothing. Keep copies (p.value.copy()) and write "
                "them back at the end.",
                _wrong_training(restore=False), hint=1),
        Mistake("batch-norm statistics not restored",
                "You restored every parameter, but not the running_mean and running_var of the "
                "BatchNorm layers: they moved on with training, and evaluation uses them. Keep "
                "and restore them with the parameters (they are part of a model's state, as in "
                "PyTorch's state_dict).",
                _wrong_training(stats=False), hint=3),
        Mistake("snapshot taken before the epoch trained",
                "You kept the weights from before the best epoch was trained: the copy must be "
                "taken after train_epoch(), when validation_loss() has just measured those "
                "weights.",
                _wrong_training(snapshot="before"), hint=2),
        Mistake("validation measured before training the epoch",
                "You call validation_loss() before train_epoch(), so every loss you compare "
                "belongs to the previous epoch's weights. Train the epoch first, then measure "
                "it.",
                _wrong_training(measure="before", snapshot="before"), hint=2),
        Mistake("validation measured before training the epoch",
                "You call validation_loss() before train_epoch(), so every loss you compare "
                "belongs to the weights of the epoch before, and the weights you keep are one "
                "epoch newer than the loss that chose them. Train the epoch first, then "
                "measure it.",
                _wrong_training(measure="before"), hint=2),
        Mistake("stops one epoch early",
                "You stop one epoch too soon: with patience k, training may run k epochs "
                "without a new best and stops after the k-th.",
                _wrong_training(reach=-1), hint=2),
        Mistake("stops one epoch late",
                "You stop one epoch too late: stop as soon as the counter of epochs without a "
                "new best REACHES patience.",
                _wrong_training(reach=1), hint=2),
        Mistake("tie counted as improvement",
                "You count an equal loss as an improvement (<=); only a loss strictly below "
                "the best so far is a new best.",
                _wrong_training(better="<="), hint=2),
        Mistake("compared with the previous epoch",
                "You reset the counter whenever the loss went down from the previous epoch. "
                "Compare with the BEST loss so far.",
                _wrong_training(reset="previous"), hint=2),
        Mistake("epochs trained counted from 0",
                "Your second output is one less than the number of epochs trained: it is a "
                "count (how many times train_epoch ran), not the index of the last epoch.",
                _wrong_training(count=-1), hint=1),
        Mistake("restored only when the rule stops",
                "You put the best weights back only when early stopping stopped the loop. "
                "When max_epochs ends it first, the best epoch may still lie behind (the "
                "rule was waiting): restore after the loop, however it ended.",
                _observed(lambda *a: _training_variant(*a, restore="on stop")), hint=1),
        Mistake("validation measured before training the epoch",
                "You call validation_loss() before train_epoch(), so every loss you compare "
                "belongs to the previous epoch's weights (and the first one to the untrained "
                "model). Train the epoch first, then measure it.",
                _observed(lambda *a: _training_variant(*a, order="measure first")), hint=2),
        Mistake("never stops early",
                "Your loop always trains max_epochs epochs: it keeps the best weights but "
                "never stops. Count the epochs without a new best, and leave the loop when the "
                "count reaches patience (the rule of exercise 5).",
                _observed(lambda *a: _training_variant(*a, stop=False)), hint=2),
    ),
    output_names=("best_epoch", "epochs_trained", "weights at the end",
                  "batch-norm statistics at the end", "epochs train_epoch ran"),
    forbidden=("nnlesson.train.EarlyStopping.*", "nnlesson.train.early_stopping_point",
               "nnlesson.train.model_state", "nnlesson.train.load_model_state",
               "nnlesson.train.fit"),
    hints=HINTS,
    doc="``(best_epoch, epochs_trained)``; trains with ``train_epoch()``, measures with "
        "``validation_loss()``, stops by the rule of exercise 5 and leaves the model with the "
        "best epoch's parameters and batch-norm statistics",
)

CHECKS = (L2_PENALTY, L1_PENALTY, SGD_STEP_L2, INVERTED_DROPOUT, EARLY_STOPPING,
          EARLY_STOPPING_TRAINING)

check_l2_penalty = L2_PENALTY.check_function()
check_l1_penalty = L1_PENALTY.check_function()
check_sgd_step_l2 = SGD_STEP_L2.check_function()
check_inverted_dropout = INVERTED_DROPOUT.check_function()
check_early_stopping = EARLY_STOPPING.check_function()


def check_train_with_early_stopping(student_fn):
    """Check the student's function ``train_with_early_stopping(model, train_epoch,
    validation_loss, max_epochs, patience) -> (best_epoch, epochs_trained)``: the epochs, and
    the model it leaves behind (the best epoch's parameters and batch-norm statistics).

    Returns a CheckResult; declared as ``EARLY_STOPPING_TRAINING``."""
    # the declaration runs an observing wrapper: look at the student's own definition first
    stale = _stale.stale_definition(student_fn)
    if stale:
        return CheckResult(EARLY_STOPPING_TRAINING.name, False, stale,
                           mistake="stale definition")
    if not callable(student_fn):
        return EARLY_STOPPING_TRAINING.run(student_fn)
    return EARLY_STOPPING_TRAINING.run(_observed(student_fn))


check_train_with_early_stopping.check = EARLY_STOPPING_TRAINING
