"""Checks for lesson 01: a linear layer's forward and backward pass, softmax cross-entropy, a
numerical gradient, the backward pass of a two-layer ReLU network, and a gradient check.

The references are the library's :class:`nnlesson.layers.Linear` and
:class:`nnlesson.layers.ReLU`, :func:`nnlesson.losses.softmax_cross_entropy`,
:func:`nnlesson.gradcheck.numerical_gradient` and :func:`nnlesson.gradcheck.rel_error` (tested
against PyTorch and finite differences in the suite). Shapes follow the library: a batch is
rows, ``out = x @ W + b`` with ``W`` of shape ``(D, M)``.

**Square cases, then other shapes.** Using ``W`` where ``W.T`` belongs gives a value with
square matrices but a shape error with other ones, and a shape error hides the diagnosis. So
the cases of the linear layer and of the two-layer network have square matrices (every listed
mistake runs there and can be named), and a :class:`Property` then tries other shapes.
"""
from __future__ import annotations

import copy

import numpy as np

from nnlesson.course.checks._core import Case, Check, Mistake, Property, compare_outputs
from nnlesson.gradcheck import numerical_gradient as _numerical_gradient
from nnlesson.gradcheck import rel_error
from nnlesson.layers import Linear, ReLU
from nnlesson.losses import softmax_cross_entropy as _softmax_cross_entropy

__all__ = [
    "CHECKS",
    "check_linear_forward",
    "check_linear_backward",
    "check_softmax_cross_entropy",
    "check_numerical_gradient",
    "check_two_layer_network",
    "check_gradient_check",
]

#: The hint levels of every exercise of lesson 01, in the order the notebook shows them.
HINTS = ("the idea", "the formula", "a partial line")

# what the student must write themselves (the library's implementations of the same thing)
_LAYERS = ("nnlesson.layers.linear*", "nnlesson.layers.relu*")
_LOSSES = ("nnlesson.losses.softmax_cross_entropy*", "nnlesson.layers.*softmax*",
           "torch.*")
_GRADCHECK = ("nnlesson.gradcheck.numerical_gradient*", "nnlesson.gradcheck.check_*")


def _other_shapes(label, inputs, reference, explanation, compare=None):
    """A property: the student's function also gives the reference's output for ``inputs``
    (``() -> args``), whose matrices are not square."""
    def holds(student_fn):
        args = inputs()
        expected = reference(*copy.deepcopy(args))
        try:
            with np.errstate(all="ignore"):
                got = student_fn(*copy.deepcopy(args))
        except Exception:
            return False
        if compare is not None:
            return compare(expected, got) is None
        return compare_outputs(expected, got, rtol=1e-7, atol=1e-10) is None

    return Property(label, explanation, holds)


def _rng(seed):
    return np.random.default_rng(seed)


# The mistakes below are written in plain numpy: the meta-test hands each one to its check as
# if a student had written it, and a student's answer must not call the library's version.


def _central(f, x, h):
    """Central differences entry by entry, x restored (plain numpy)."""
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def _plain_ce(scores, labels):
    """Softmax cross-entropy and its gradient (plain numpy, log-sum-exp form)."""
    n = len(labels)
    z = scores - scores.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1.0
    return float(-log_p[np.arange(n), labels].mean()), grad / n


def _unfloored(a, n):
    with np.errstate(invalid="ignore"):
        return float(np.max(np.abs(a - n)) / np.max(np.abs(a) + np.abs(n)))


def _relative(a, n):
    return float(np.max(np.abs(a - n)) / max(float(np.max(np.abs(a) + np.abs(n))), 1e-12))


# --------------------------------------------------------------------------- linear forward


def _layer(W, b=None):
    """A library Linear holding these weights (b = None: zeros)."""
    W = np.asarray(W, dtype=np.float64)
    layer = Linear(W.shape[0], W.shape[1])
    layer.W.value[...] = W
    if b is not None:
        layer.b.value[...] = b
    return layer


def _linear_forward(x, W, b):
    return _layer(W, b).forward(x)


def _linear_forward_cases():
    r = _rng(1)
    return [
        Case("a batch of 4, 3 features in and 3 out",
             (r.normal(size=(4, 3)), r.normal(size=(3, 3)), r.normal(size=3))),
        Case("a batch of one", (r.normal(size=(1, 3)), r.normal(size=(3, 3)), r.normal(size=3))),
        Case("x = 0: the output is the bias in every row",
             (np.zeros((2, 3)), r.normal(size=(3, 3)), r.normal(size=3))),
    ]


def _linear_forward_other_shape():
    r = _rng(11)
    return r.normal(size=(6, 5)), r.normal(size=(5, 2)), r.normal(size=2)


LINEAR_FORWARD = Check(
    name="check_linear_forward",
    function="linear_forward",
    reference=_linear_forward,
    cases=_linear_forward_cases,
    mistakes=[
        Mistake("bias forgotten",
                "The output misses the bias: each output unit adds its own b[m], to every row "
                "of the batch.", lambda x, W, b: x @ W, hint=2),
        Mistake("W transposed",
                "You multiplied by W transposed (as in the column form z = W x + b). Here W has "
                "shape (D, M), one column per output unit, and a batch is rows, so each row of "
                "x meets the columns of W as it is (PyTorch's nn.Linear stores the transpose, "
                "(M, D)).", lambda x, W, b: x @ W.T + b, hint=2),
        Mistake("bias summed",
                "You added the sum of the bias to every output: each output unit m adds its own "
                "b[m], one number per column.", lambda x, W, b: x @ W + b.sum(), hint=2),
        Mistake("bias subtracted",
                "You subtracted the bias: the layer ADDS its bias to the weighted sum.",
                lambda x, W, b: x @ W - b, hint=2),
        Mistake("bias multiplied",
                "You multiplied by the bias instead of adding it: the bias is added after the "
                "weighted sum.", lambda x, W, b: (x @ W) * b, hint=2),
        Mistake("bias added to the weights",
                "You added the bias to W before the product, so each input is multiplied by it "
                "too. The bias is added once, after the weighted sum: x W + b.",
                lambda x, W, b: x @ (W + b), hint=2),
        Mistake("ReLU applied",
                "Your outputs are right where they are positive and 0 elsewhere: you applied a "
                "ReLU, max(z, 0). The linear layer is the weighted sum plus the bias alone; "
                "the activation is a layer of its own, applied after it.",
                lambda x, W, b: np.maximum(x @ W + b, 0.0), hint=2),
        Mistake("W transposed and bias forgotten",
                "Two things differ. You multiplied by W transposed: here W has shape (D, M), "
                "one column per output unit, and a batch is rows, so x meets W as it is. And "
                "the bias is missing: each output unit adds its own b[m].",
                lambda x, W, b: x @ W.T, hint=2),
    ],
    properties=[_other_shapes(
        "right for a W that is not square",
        _linear_forward_other_shape, _linear_forward,
        "Right when W is square, wrong (or an error) with 5 inputs and 2 outputs, W of shape "
        "(5, 2): somewhere W is used where its transpose belongs. A batch is rows: x (N, D) "
        "meets W (D, M) as it is, and the output is (N, M).")],
    forbidden=_LAYERS,
    hints=HINTS,
    doc="out = x @ W + b for x (N, D), W (D, M), b (M,)",
)

check_linear_forward = LINEAR_FORWARD.check_function()


# --------------------------------------------------------------------------- linear backward


def _linear_backward(dout, x, W, dW, db):
    layer = _layer(W)
    layer.W.grad[...] = dW
    layer.b.grad[...] = db
    layer.forward(x)
    dx = layer.backward(dout)
    return dx, layer.W.grad.copy(), layer.b.grad.copy()


def _linear_backward_cases():
    r = _rng(2)

    def case(label, n, d, m, fresh):
        dW = np.zeros((d, m)) if fresh else r.normal(size=(d, m))
        db = np.zeros(m) if fresh else r.normal(size=m)
        return Case(label, (r.normal(size=(n, m)), r.normal(size=(n, d)), r.normal(size=(d, m)),
                            dW, db))

    return [
        case("first backward: dW and db start at zero", 4, 3, 3, True),
        case("second backward: dW and db already hold an earlier batch's gradient", 5, 3, 3,
             False),
        case("a batch of one", 1, 3, 3, False),
    ]


def _linear_backward_other_shape():
    r = _rng(12)
    return (r.normal(size=(6, 2)), r.normal(size=(6, 5)), r.normal(size=(5, 2)),
            r.normal(size=(5, 2)), r.normal(size=2))


def _lb(dx=lambda dout, x, W: dout @ W.T, dW=lambda dout, x: x.T @ dout,
        db=lambda dout: dout.sum(axis=0), accumulate=(True, True)):
    """linear_backward with one piece replaced (a mistake)."""
    def wrong(dout, x, W, dW_old, db_old):
        new_dW, new_db = dW(dout, x), db(dout)
        return (dx(dout, x, W), dW_old + new_dW if accumulate[0] else new_dW,
                db_old + new_db if accumulate[1] else new_db)
    return wrong


LINEAR_BACKWARD = Check(
    name="check_linear_backward",
    function="linear_backward",
    reference=_linear_backward,
    cases=_linear_backward_cases,
    mistakes=[
        Mistake("dx uses W instead of W.T",
                "dx is wrong: the gradient goes back through W transposed. Check the shapes: "
                "dout is (N, M), W is (D, M), and dx must be (N, D) like x.",
                _lb(dx=lambda dout, x, W: dout @ W), hint=2),
        Mistake("bias gradient not summed over the batch",
                "db has one row per example: the bias is shared by all N rows, so its gradient "
                "is the SUM of dout over the batch axis, shape (M,).",
                _lb(db=lambda dout: dout), hint=1),
        Mistake("bias gradient averaged",
                "db is N times too small: you averaged dout over the batch. The loss already "
                "divided by N (its gradient dout carries the 1/N), so the layer just sums.",
                _lb(db=lambda dout: dout.mean(axis=0)), hint=2),
        Mistake("divided by the batch size",
                "dW and db are N times too small: the 1/N of the mean loss is already inside "
                "dout; the layer must not divide again.",
                _lb(dW=lambda dout, x: x.T @ dout / len(x),
                    db=lambda dout: dout.sum(axis=0) / len(dout)), hint=2),
        Mistake("dW transposed",
                "dW is transposed: it must have the shape of W, (D, M): x transposed times "
                "dout, not dout transposed times x.", _lb(dW=lambda dout, x: dout.T @ x), hint=2),
        Mistake("gradients overwritten instead of accumulated",
                "Right on the first backward, wrong on the second: you returned this batch's "
                "gradients only. Backward ADDS to what dW and db already hold (a parameter used "
                "twice gets both contributions; zero_grad() is what clears them).",
                _lb(accumulate=(False, False))),
        Mistake("dW overwritten instead of accumulated",
                "db is right, but dW is this batch's gradient only: backward ADDS to what dW "
                "already holds, as it does for db.", _lb(accumulate=(False, True))),
        Mistake("db overwritten instead of accumulated",
                "dW is right, but db is this batch's gradient only: backward ADDS to what db "
                "already holds, as it does for dW.", _lb(accumulate=(True, False))),
        Mistake("gradients subtracted",
                "You subtracted this batch's gradients from dW and db: backward ADDS them (the "
                "minus sign belongs to the gradient-descent update, later).",
                lambda dout, x, W, dW, db: (dout @ W.T, dW - x.T @ dout, db - dout.sum(axis=0))),
        Mistake("bias gradient summed over everything",
                "db is one number repeated: you summed dout over the whole array. Sum over the "
                "batch axis only, one entry per output unit.",
                _lb(db=lambda dout: np.full(dout.shape[1], dout.sum())), hint=2),
    ] + [
        # overwriting is common enough to meet every other slip of the bias or the batch size
        Mistake(f"gradients overwritten and {name}",
                "Two things differ. You returned this batch's gradients only: backward ADDS to "
                f"what dW and db already hold. And {what}",
                _lb(accumulate=(False, False), **pieces), hint=2)
        for name, what, pieces in (
            ("bias gradient averaged",
             "db is the MEAN of dout over the batch: the 1/N of the loss is already inside "
             "dout, so the bias gradient is its sum over the batch.",
             {"db": lambda dout: dout.mean(axis=0)}),
            ("divided by the batch size",
             "dW and db are divided by N: the 1/N of the mean loss is already inside dout.",
             {"dW": lambda dout, x: x.T @ dout / len(x),
              "db": lambda dout: dout.sum(axis=0) / len(dout)}),
            ("dW transposed",
             "dW is transposed: it must have the shape of W, x transposed times dout.",
             {"dW": lambda dout, x: dout.T @ x}),
            ("dx uses W instead of W.T",
             "dx must go back through W transposed: dout @ W.T.",
             {"dx": lambda dout, x, W: dout @ W}))
    ],
    properties=[_other_shapes(
        "right for a W that is not square",
        _linear_backward_other_shape, _linear_backward,
        "Right when W is square, wrong (or an error) with 5 inputs and 2 outputs, W of shape "
        "(5, 2): a W, x or dout is used where its transpose belongs. Check each shape: dx like "
        "x (N, D), dW like W (D, M), db like b (M,).")],
    output_names=("dx", "dW", "db"),
    forbidden=_LAYERS,
    hints=HINTS,
    doc="(dx, dW + x.T @ dout, db + dout.sum(axis=0)) with dx = dout @ W.T",
)

check_linear_backward = LINEAR_BACKWARD.check_function()


# --------------------------------------------------------------------------- softmax + CE


def _onehot(labels, c):
    out = np.zeros((len(labels), c))
    out[np.arange(len(labels)), labels] = 1.0
    return out


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _ce(logits, labels, *, p=None, loss_of=None, grad_scale=1.0, mean=True, sign=1.0,
        onehot=True):
    """Softmax cross-entropy with pieces replaced (the mistakes). ``onehot="columns"``: the
    1 subtracted as ``grad[:, labels] -= 1`` (every row, in every labelled column)."""
    n, c = logits.shape
    p = _softmax(logits) if p is None else p(logits)
    with np.errstate(all="ignore"):
        per_example = (-np.log(p[np.arange(n), labels]) if loss_of is None
                       else loss_of(logits, labels, p))
    loss = float(per_example.mean() if mean else per_example.sum())
    if onehot == "columns":
        grad = p.copy()
        grad[:, labels] -= 1
    else:
        grad = (p - _onehot(labels, c)) if onehot else p
    return loss, sign * grad_scale * grad / (n if mean else 1)


def _log_softmax_loss(logits, labels, p):
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels]


def _log_softmax_loss0(logits, labels, p):
    """The loss with the log-softmax taken down the columns (the wrong axis), stably."""
    z = logits - logits.max(axis=0, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=0, keepdims=True))
    return -log_p[np.arange(len(labels)), labels]


def _unstable_softmax(z):
    with np.errstate(all="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


def _global_max_softmax(z):
    with np.errstate(all="ignore"):
        e = np.exp(z - z.max())
        return e / e.sum(axis=1, keepdims=True)


def _lse_shifted(axis=None):
    """The log-sum-exp loss with each row shifted by the wrong maximum: the whole batch's
    (``axis=None``) or each column's (``axis=0``)."""
    def wrong(logits, labels):
        n = len(labels)
        with np.errstate(all="ignore"):
            z = logits - logits.max(axis=axis, keepdims=axis is not None)
            log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            grad = np.exp(log_p)
        grad[np.arange(n), labels] -= 1.0
        return float(-log_p[np.arange(n), labels].mean()), grad / n
    return wrong


def _softmax_ce_cases():
    r = _rng(3)
    return [
        Case("a batch of 4, 3 classes", (r.normal(size=(4, 3)), np.array([0, 2, 1, 2]))),
        Case("a batch of one, 5 classes", (r.normal(size=(1, 5)), np.array([3]))),
        Case("all logits equal: loss = log C", (np.zeros((3, 4)), np.array([0, 1, 3]))),
        Case("large logits (around 1000)",
             (1000.0 + 5 * r.normal(size=(3, 3)), np.array([1, 0, 2]))),
        Case("a hopeless prediction: the true class 2000 below the best",
             (np.array([[0.0, 1000.0, -1000.0], [1.0, 2.0, 3.0]]), np.array([2, 2]))),
    ]


SOFTMAX_CROSS_ENTROPY = Check(
    name="check_softmax_cross_entropy",
    function="softmax_cross_entropy",
    reference=_softmax_cross_entropy,
    cases=_softmax_ce_cases,
    mistakes=[
        Mistake("softmax not stabilized",
                "Your softmax overflows: exp(1000) is inf in float64, and inf / inf is NaN. "
                "Subtract each row's largest logit before taking exp (softmax does not change), "
                "or compute the loss in the log-sum-exp form.",
                lambda z, y: _ce(z, y, p=_unstable_softmax), hint=1),
        Mistake("log of the softmax underflows",
                "Your loss is inf when the true class's probability underflows to 0 (here "
                "exp(-2000)): log(0) = -inf. Take the logarithm as a formula, before anything "
                "can underflow: the log-sum-exp form.",
                lambda z, y: _ce(z, y), hint=2),
        Mistake("epsilon inside the log",
                "Your loss is capped: a small number added inside the log (log(p + eps)) keeps "
                "it finite, but a prediction 2000 below the best then costs about 28 instead of "
                "2000, and the loss no longer says how wrong it is. Use the log-sum-exp form, "
                "which is exact.",
                lambda z, y: _ce(z, y, loss_of=lambda z, y, p: -np.log(
                    p[np.arange(len(y)), y] + 1e-12)), hint=2),
        *[Mistake("epsilon inside the log",
                  "Your loss is capped: a small number added inside the log (log(p + eps)), or "
                  "used as a floor (np.clip, np.maximum), keeps it finite, but a prediction 2000 "
                  "below the best then costs a few dozen instead of 2000, and the loss no longer "
                  "says how wrong it is. Use the log-sum-exp form, which is exact.",
                  lambda z, y, eps=eps: _ce(z, y, loss_of=lambda z, y, p: -np.log(
                      p[np.arange(len(y)), y] + eps)), hint=2)
          for eps in (1e-7, 1e-8, 1e-9, 1e-10, 1e-15)],
        # with eps >= 1e-9, a floor and an addition differ on ordinary probabilities
        *[Mistake("probability clipped before the log",
                  "Your loss is capped: you clipped the probability at a small number before "
                  "the log (np.clip or np.maximum, as Keras does), so a prediction 2000 below "
                  "the best costs a few dozen instead of 2000, and the loss no longer says how "
                  "wrong it is. Use the log-sum-exp form, which is exact and never needs it.",
                  lambda z, y, eps=eps: _ce(z, y, loss_of=lambda z, y, p: -np.log(
                      np.clip(p[np.arange(len(y)), y], eps, 1.0 - eps))), hint=2)
          for eps in (1e-7, 1e-8, 1e-9)],
        Mistake("each row not shifted by its own maximum",
                "You subtracted the largest logit of the whole batch, not of each row: a row "
                "far below that maximum then underflows to all zeros (0 / 0 = NaN). Subtract "
                "each row's own maximum (one number per row).",
                lambda z, y: _ce(z, y, p=_global_max_softmax), hint=3),
        Mistake("log-sum-exp shifted by the batch's maximum",
                "You used the log-sum-exp form, but shifted every row by the largest logit of "
                "the whole batch: a row far below it (here 1, 2, 3 next to 1000) has every "
                "exp underflow to 0, and log(0) = -inf. Shift each row by its own maximum "
                "(axis=1, keepdims=True).", _lse_shifted(None), hint=3),
        Mistake("each row shifted by the columns' maxima",
                "You subtracted each COLUMN's maximum (axis=0): that shifts the classes of a "
                "row by different amounts, which changes its softmax. Subtract each ROW's "
                "maximum (axis=1, keepdims=True): one number per example.",
                _lse_shifted(0), hint=3),
        Mistake("gradient not divided by N",
                "The loss is right but dlogits is N times too big: the loss is a MEAN over the "
                "batch, so each example's gradient carries 1/N.",
                lambda z, y: _ce(z, y, loss_of=_log_softmax_loss, grad_scale=len(y)), hint=2),
        Mistake("sum instead of mean",
                "Loss and gradient are both N times too big: you summed over the batch. The "
                "course uses mean losses (so a learning rate means the same at every batch "
                "size).", lambda z, y: _ce(z, y, loss_of=_log_softmax_loss, mean=False), hint=2),
        Mistake("mean over classes too",
                "Your loss is C times too small (C, the number of classes): you averaged the "
                "one-hot times log p over every entry. Average over the examples only: each "
                "example contributes -log p of its true class.",
                lambda z, y: (_ce(z, y, loss_of=_log_softmax_loss)[0] / z.shape[1],
                              _ce(z, y)[1]), hint=2),
        Mistake("gradient divided by the number of classes",
                "dlogits is divided by C, the number of classes (logits.shape[1]), where it "
                "should be divided by N, the number of examples (logits.shape[0]): the loss "
                "averages over the batch.",
                lambda z, y: (_ce(z, y, loss_of=_log_softmax_loss)[0],
                              _ce(z, y)[1] * len(y) / z.shape[1]), hint=2),
        Mistake("softmax over the wrong axis",
                "Your probabilities are normalized down each column (over the batch). Each ROW "
                "is one example: softmax along the classes, so that every row sums to 1.",
                lambda z, y: _ce(z, y, p=lambda z: _softmax(z, axis=0), loss_of=_log_softmax_loss0),
                hint=1),
        Mistake("gradient sign flipped",
                "dlogits has the wrong sign: the gradient of -log p_y with respect to the "
                "logits is p - onehot (divided by N), not onehot - p.",
                lambda z, y: _ce(z, y, loss_of=_log_softmax_loss, sign=-1.0), hint=2),
        Mistake("one-hot not subtracted",
                "dlogits is softmax / N: the true class's entry of each row needs its -1 "
                "(p - onehot(labels)).",
                lambda z, y: _ce(z, y, loss_of=_log_softmax_loss, onehot=False), hint=2),
        Mistake("one-hot subtracted with [:, labels]",
                "The loss is right, but dlogits has a -1 in EVERY row at each column that is "
                "some example's label: `[:, labels]` takes all rows for each label. Each row n "
                "needs its -1 only at its own label: pair row n with column labels[n] (an "
                "array of the row numbers next to labels).",
                lambda z, y: _ce(z, y, loss_of=_log_softmax_loss, onehot="columns"), hint=2),
    ],
    output_names=("loss", "dlogits"),
    forbidden=_LOSSES,
    hints=HINTS,
    doc="(mean -log softmax(logits)[n, labels[n]], (softmax(logits) - onehot(labels)) / N)",
)

check_softmax_cross_entropy = SOFTMAX_CROSS_ENTROPY.check_function()


# --------------------------------------------------------------------------- numerical gradient


def _cube_sum(x):
    return float(np.sum(x**3))


def _sin_x(x):
    return float(np.sum(np.sin(x) * x))


def _logsumexp(x):
    m = np.max(x)
    return float(m + np.log(np.sum(np.exp(x - m))))


def _numerical(f, x, h=1e-5):
    return _numerical_gradient(f, np.array(x, dtype=np.float64), h)


def _differences(kind="central", scale=1.0):
    """Finite differences entry by entry: ``"central"``, ``"forward"`` or ``"backward"``."""
    def wrong(f, x, h=1e-5):
        x = np.array(x, dtype=np.float64)
        grad = np.zeros_like(x)
        f0 = f(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + h
            plus = f(x)
            x[i] = old - h
            minus = f(x)
            x[i] = old
            grad[i] = {"central": (plus - minus) / (2 * h), "forward": (plus - f0) / h,
                       "backward": (f0 - minus) / h}[kind]
        return scale * grad
    return wrong


def _rows_at_once(f, x, h=1e-5):
    """Central differences over the first axis only: a row of a matrix moved at once."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in range(len(x)):
        old = x[i].copy()
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def _back_to_x(f, x, h=1e-5):
    """``x[i] += h`` then ``x[i] -= h``: the second value is f(x), not f(x - h)."""
    return _differences("forward")(f, x, h) / 2


def _flattened(f, x, h=1e-5):
    return _central(f, np.array(x, dtype=np.float64), h).ravel()


def _all_at_once(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    return np.full_like(x, (f(x + h) - f(x - h)) / (2 * h))


def _numerical_cases():
    r = _rng(4)
    return [
        Case("f(x) = sum(x³) at a vector", (_cube_sum, r.normal(size=4))),
        Case("f(x) = sum(sin(x) x) at a 2 x 3 matrix", (_sin_x, r.normal(size=(2, 3)))),
        Case("f(x) = log sum exp(x), h = 1e-4", (_logsumexp, r.normal(size=5)), {"h": 1e-4}),
        Case("one number", (_cube_sum, np.array([0.7]))),
        # with h = 0.1 the central difference of x³ is 3x² + h²: it shows whether h is used
        Case("f(x) = sum(x³), a coarse h = 0.1", (_cube_sum, r.normal(size=3)), {"h": 0.1}),
    ]


NUMERICAL_GRADIENT = Check(
    name="check_numerical_gradient",
    function="numerical_gradient",
    reference=_numerical,
    cases=_numerical_cases,
    mistakes=[
        Mistake("one-sided difference",
                "You used (f(x + h) - f(x)) / h. That is off by about h/2 times the second "
                "derivative; the centred difference, f(x + h) and f(x - h) divided by 2h, "
                "cancels that term and is far more accurate for the same h.",
                _differences("forward"), hint=2),
        Mistake("one-sided difference (backward)",
                "You used (f(x) - f(x - h)) / h. That is off by about h/2 times the second "
                "derivative; the centred difference, f(x + h) and f(x - h) divided by 2h, "
                "cancels that term.", _differences("backward"), hint=2),
        Mistake("divided by h instead of 2h",
                "Your gradient is twice too large: f(x + h) and f(x - h) are 2h apart, so "
                "divide their difference by 2h.", _differences(scale=2.0), hint=2),
        Mistake("divided by 2 and multiplied by h",
                "Your gradient is h² / 4 times the right one: `/ 2 * h` divides by 2 and then "
                "MULTIPLIES by h (Python reads left to right). Put the divisor in parentheses: "
                "divide by (2 * h).",
                lambda f, x, h=1e-5: _central(f, np.array(x, dtype=np.float64), h) * h * h,
                hint=2),
        Mistake("all entries nudged at once",
                "Every entry got the same number: you moved ALL of x by h at once, which "
                "measures the slope along (1, 1, ..., 1). Nudge one entry at a time (change it, "
                "evaluate, put it back) to get each partial derivative.", _all_at_once, hint=1),
        Mistake("a loop over the first axis only",
                "Right for a vector, wrong for a matrix: your loop nudged x[i], a whole ROW of "
                "a 2-D x, at once. Visit every entry of any shape (np.ndindex(x.shape) gives "
                "every index).",
                lambda f, x, h=1e-5: _rows_at_once(f, x, h), hint=1),
        Mistake("f never saw the nudges",
                "Your gradient is 0 everywhere: f never saw your nudges. If you nudged a copy "
                "(x.copy(), x.flatten(), np.array(x)), f(x) still reads the original array: "
                "change the entry of x itself, evaluate, then put the old value back.",
                lambda f, x, h=1e-5: np.zeros(np.shape(x)), hint=1),
        Mistake("one-sided difference with h fixed",
                "Two things: you used a one-sided difference, (f(x + h) - f(x)) / h, and a step "
                "of your own instead of the argument h. Use the centred difference, f(x + h) "
                "and f(x - h) divided by 2h, with the h you are given.",
                lambda f, x, h=1e-5: _differences("forward")(f, x, 1e-5), hint=2),
        Mistake("difference the wrong way round",
                "Your gradient has the wrong sign: the slope is f(x + h) minus f(x - h), "
                "divided by 2h.", _differences(scale=-1.0), hint=2),
        Mistake("second value at x instead of x - h",
                "Your gradient is about half the right one: your second evaluation was at x "
                "itself, not at x - h (after `x[i] += h`, a `x[i] -= h` only brings the entry "
                "back). Move it h BELOW the old value for the second evaluation, then put the "
                "old value back.", _back_to_x, hint=2),
        Mistake("gradient flattened",
                "Your numbers are right, but your gradient is a flat vector: it must have the "
                "shape of x (a 2 x 3 matrix here). Create it with np.zeros_like(x) and fill it "
                "at the same index you nudge, or reshape it to x.shape at the end.",
                _flattened, hint=1),
    ],
    forbidden=_GRADCHECK,
    hints=HINTS,
    doc="grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h), x unchanged afterwards",
)

check_numerical_gradient = NUMERICAL_GRADIENT.check_function()


# --------------------------------------------------------------------------- two-layer network


_KEYS = ("W1", "b1", "W2", "b2")


def _two_layer(x, labels, params):
    """The library's layers: Linear -> ReLU -> Linear -> softmax cross-entropy."""
    first, second = _layer(params["W1"], params["b1"]), _layer(params["W2"], params["b2"])
    relu = ReLU()
    loss, dscores = _softmax_cross_entropy(second.forward(relu.forward(first.forward(x))),
                                           labels)
    first.backward(relu.backward(second.backward(dscores)))
    grads = {"W1": first.W.grad, "b1": first.b.grad, "W2": second.W.grad, "b2": second.b.grad}
    return loss, {k: grads[k].copy() for k in _KEYS}


def _net(x, labels, params, *, mask="relu", w2_input="h", w1_input="x", dh_transpose=True,
         sum_bias=True, divide=1.0, loss_sum=False, bias_mean=False):
    """The two-layer network's backward pass with one piece replaced (the mistakes)."""
    W1, b1, W2, b2 = (params[k] for k in _KEYS)
    n = len(x)
    z1 = x @ W1 + b1
    h = np.maximum(z1, 0.0)
    scores = h @ W2 + b2
    loss, ds = _plain_ce(scores, labels)
    if loss_sum:
        loss, ds = loss * n, ds * n
    dh = ds @ (W2.T if dh_transpose else W2)
    dz1 = {"relu": dh * (z1 > 0), "none": dh, "h": dh * h, "leaky": dh * np.where(z1 > 0, 1, 0.01),
           "sigmoid": dh / (1 + np.exp(-z1)) * (1 - 1 / (1 + np.exp(-z1))),
           "gradient": np.maximum(dh, 0.0), "h(1-h)": dh * h * (1 - h)}[mask]
    into_w2 = {"h": h, "z1": z1}[w2_input]
    into_w1 = {"x": x, "h": h}[w1_input]
    grads = {"W1": into_w1.T @ dz1, "b1": dz1.sum(axis=0) if sum_bias else dz1,
             "W2": into_w2.T @ ds, "b2": ds.sum(axis=0) if sum_bias else ds}
    if bias_mean:
        grads["b1"], grads["b2"] = dz1.mean(axis=0), ds.mean(axis=0)
    return loss, {k: grads[k] / divide for k in _KEYS}


def _params(r, d, hidden, c, scale=1.0):
    return {"W1": scale * r.normal(size=(d, hidden)), "b1": r.normal(size=hidden),
            "W2": scale * r.normal(size=(hidden, c)), "b2": r.normal(size=c)}


def _two_layer_cases():
    r = _rng(5)
    return [
        Case("a batch of 5, 3 inputs, 3 hidden units, 3 classes",
             (r.normal(size=(5, 3)), np.array([0, 2, 1, 1, 0]), _params(r, 3, 3, 3))),
        Case("a batch of one", (r.normal(size=(1, 3)), np.array([2]), _params(r, 3, 3, 3))),
        Case("half the hidden units dead: their inputs are negative",
             (np.abs(r.normal(size=(4, 3))), np.array([1, 0, 2, 1]),
              dict(_params(r, 3, 3, 3), W1=np.array([[1.0, -1.0, 0.5], [0.5, -2.0, 1.0],
                                                     [1.0, -0.5, -0.3]])))),
    ]


def _two_layer_other_shape():
    r = _rng(15)
    return r.normal(size=(8, 4)), np.array([0, 1, 2, 0, 1, 2, 0, 1]), _params(r, 4, 6, 3)


def _compare_network(expected, received):
    """(loss, grads): a dict whose keys are not those of params is said so first."""
    if isinstance(received, tuple) and len(received) == 2 and isinstance(received[1], dict) \
            and set(received[1]) != set(_KEYS):
        return (f"`grads` has the keys {sorted(map(str, received[1]))}; it must have exactly "
                f"the keys of `params`: {list(_KEYS)}")
    return compare_outputs(expected, received, rtol=1e-7, atol=1e-10,
                           output_names=("loss", "grads"))


TWO_LAYER_NETWORK = Check(
    name="check_two_layer_network",
    function="two_layer_network",
    reference=_two_layer,
    cases=_two_layer_cases,
    mistakes=[
        Mistake("ReLU mask forgotten",
                "W2 and b2 are right, W1 and b1 are not: the gradient went back through the "
                "ReLU unchanged. The ReLU passes a gradient only where its input z1 was "
                "positive; elsewhere the unit was off and its gradient is 0.",
                lambda x, y, p: _net(x, y, p, mask="none"), hint=1),
        Mistake("ReLU's derivative taken as its output",
                "W1 and b1 are wrong: you multiplied the gradient by the ReLU's output h. The "
                "ReLU's slope is 1 where its input is positive and 0 elsewhere, not h.",
                lambda x, y, p: _net(x, y, p, mask="h"), hint=2),
        Mistake("sigmoid's derivative used for the ReLU",
                "W1 and b1 are wrong: you multiplied by σ(z1)(1 - σ(z1)), the slope of a "
                "sigmoid. This network's hidden layer is a ReLU: slope 1 where z1 > 0, else 0.",
                lambda x, y, p: _net(x, y, p, mask="sigmoid"), hint=2),
        Mistake("sigmoid's derivative written with the ReLU's output",
                "W1 and b1 are wrong: you multiplied the gradient by h (1 - h), the sigmoid's "
                "slope written with its output, as in the lesson's 2-2-1 network. This hidden "
                "layer is a ReLU: its slope is 1 where z1 > 0 and 0 elsewhere.",
                lambda x, y, p: _net(x, y, p, mask="h(1-h)"), hint=2),
        Mistake("leaky ReLU's slope",
                "W1 and b1 are a little off: where z1 < 0 you let 1% of the gradient through "
                "(a leaky ReLU's slope). This network's ReLU is max(z, 0): its slope is exactly "
                "0 where z1 < 0.", lambda x, y, p: _net(x, y, p, mask="leaky"), hint=1),
        Mistake("W1's gradient from the hidden layer",
                "dW1 is wrong: the first layer's input is x, so its weight gradient is x "
                "transposed times the gradient at z1, not h transposed.",
                lambda x, y, p: _net(x, y, p, w1_input="h"), hint=2),
        Mistake("W2's gradient from the input of the ReLU",
                "dW2 is wrong: you used z1, the hidden layer BEFORE the ReLU. The second layer's "
                "input is h = relu(z1), so its weight gradient is h transposed times the "
                "gradient of the scores.", lambda x, y, p: _net(x, y, p, w2_input="z1"), hint=2),
        Mistake("dh uses W2 instead of W2.T",
                "W1 and b1 are wrong: the gradient goes back through W2 transposed. Check the "
                "shapes: the scores' gradient is (N, C), W2 is (H, C), the hidden layer's "
                "gradient must be (N, H).",
                lambda x, y, p: _net(x, y, p, dh_transpose=False), hint=2),
        Mistake("biases' gradients not summed over the batch",
                "db1 and db2 have one row per example: a bias is shared by the whole batch, so "
                "its gradient is the sum over the batch of its layer's gradient.",
                lambda x, y, p: _net(x, y, p, sum_bias=False), hint=2),
        Mistake("biases' gradients averaged over the batch",
                "W1 and W2 are right, b1 and b2 are N times too small: you took the MEAN of "
                "the gradient over the batch. The 1/N of the mean loss is already inside the "
                "scores' gradient; a bias adds up its layer's gradient over the batch (sum).",
                lambda x, y, p: _net(x, y, p, bias_mean=True), hint=2),
        Mistake("divided by the batch size twice",
                "Every gradient is N times too small: the 1/N of the mean loss is already "
                "inside the gradient of the scores; no layer divides again.",
                lambda x, y, p: _net(x, y, p, divide=len(x)), hint=2),
        Mistake("scores' gradient not divided by N",
                "The loss is right but every gradient is N times too big: the gradient of the "
                "MEAN cross-entropy with respect to the scores is (p - onehot(y)) / N.",
                lambda x, y, p: _net(x, y, p, divide=1.0 / len(x)), hint=2),
        Mistake("ReLU applied to the gradient",
                "W1 and b1 are wrong: you passed the gradient through max(dh, 0), which keeps "
                "the positive GRADIENTS. The ReLU's backward keeps the gradient where the "
                "ReLU's INPUT z1 was positive, whatever the gradient's sign: dh * (z1 > 0).",
                lambda x, y, p: _net(x, y, p, mask="gradient"), hint=3),
        *[Mistake(f"ReLU mask forgotten and {name}",
                  "Two things differ. The gradient went back through the ReLU unchanged: it "
                  "passes only where z1 was positive (dz1 = dh * (z1 > 0)). And " + what,
                  wrong, hint=1)
          for name, what, wrong in (
              ("scores' gradient not divided by N",
               "the gradient of the MEAN loss with respect to the scores carries 1/N: "
               "(p - onehot(y)) / N.",
               lambda x, y, p: _net(x, y, p, mask="none", divide=1.0 / len(x))),
              ("W2's gradient from the input of the ReLU",
               "dW2 uses z1, the hidden layer before the ReLU: the second layer's input is "
               "h = relu(z1).", lambda x, y, p: _net(x, y, p, mask="none", w2_input="z1")),
              ("biases' gradients averaged over the batch",
               "b1 and b2 are the MEAN over the batch: the 1/N is already inside the scores' "
               "gradient, so a bias sums its layer's gradient.",
               lambda x, y, p: _net(x, y, p, mask="none", bias_mean=True)))],
        Mistake("the two layers' gradients exchanged",
                "Your numbers belong to the other layer: grads['W1'] holds the second layer's "
                "weight gradient and grads['W2'] the first's (the biases too). Key each "
                "gradient by the parameter it is the gradient of.",
                lambda x, y, p: (lambda loss, g: (loss, {"W1": g["W2"], "b1": g["b2"],
                                                         "W2": g["W1"], "b2": g["b1"]}))(
                    *_net(x, y, p)), hint=1),
        Mistake("summed loss",
                "Loss and gradients are N times too big: the loss is the MEAN cross-entropy "
                "over the batch.", lambda x, y, p: _net(x, y, p, loss_sum=True), hint=2),
    ],
    properties=[_other_shapes(
        "right for weights that are not square",
        _two_layer_other_shape, _two_layer,
        "Right when every weight matrix is 3 x 3, wrong (or an error) with 4 inputs, 6 hidden "
        "units and 3 classes: somewhere a W1, W2, x or h is used where its transpose belongs. "
        "Check each shape: the hidden layer (N, H), its gradient (N, H), each gradient the "
        "shape of its parameter.", compare=lambda e, g: _compare_network(e, g))],
    output_names=("loss", "grads"),
    forbidden=_LAYERS + _LOSSES + _GRADCHECK,
    hints=HINTS,
    compare=_compare_network,
    doc=("(loss, grads) of softmax cross-entropy(relu(x @ W1 + b1) @ W2 + b2, labels), grads "
         "a dict with the keys and shapes of params"),
)

check_two_layer_network = TWO_LAYER_NETWORK.check_function()


# --------------------------------------------------------------------------- gradient check


def _gradient_check(loss_of, params, grads, h=1e-6):
    return {name: rel_error(grads[name], _numerical_gradient(lambda _: loss_of(params), value, h))
            for name, value in params.items()}


def _checker(error, *, copy=False, use_h=True):
    """A gradient check whose error formula (or nudging) is replaced (the mistakes)."""
    def wrong(loss_of, params, grads, h=1e-6):
        out = {}
        for name, value in params.items():
            target = value.copy() if copy else value
            numeric = _central(lambda _: loss_of(params), target, h if use_h else 1e-6)
            out[name] = float(error(np.asarray(grads[name], dtype=np.float64), numeric))
        return out
    return wrong


def _quadratic_loss(params):
    """L = sum(A w)²/2 + sum(b³): its gradient is known in closed form."""
    return float(0.5 * np.sum((_A @ params["w"]) ** 2) + np.sum(params["b"] ** 3))


def _quadratic_grads(params):
    return {"w": _A.T @ (_A @ params["w"]), "b": 3 * params["b"] ** 2}


_A = np.array([[2.0, -1.0, 0.5], [0.3, 1.5, -2.0]])


def _gradient_check_cases():
    r = _rng(6)
    p1 = {"w": r.normal(size=3), "b": r.normal(size=(2, 2))}
    p2 = {"w": r.normal(size=3), "b": r.normal(size=(2, 2))}
    wrong_b = dict(_quadratic_grads(p2), b=2 * _quadratic_grads(p2)["b"])
    p3 = {"w": 100 * r.normal(size=3), "b": r.normal(size=(1,))}
    p4 = {"w": r.normal(size=3), "b": np.array([0.0, 1e-4, 2.0])}
    tiny = dict(_quadratic_grads(p4), b=_quadratic_grads(p4)["b"] + np.array([0.0, 1e-6, 0.0]))
    p5 = {"w": np.zeros(3), "b": r.normal(size=2)}
    p6 = {"w": r.normal(size=3), "b": r.normal(size=2)}
    return [
        Case("right gradients: every error tiny", (_quadratic_loss, p1, _quadratic_grads(p1))),
        Case("the gradient of b twice too large", (_quadratic_loss, p2, wrong_b)),
        Case("large weights, large gradients", (_quadratic_loss, p3, _quadratic_grads(p3))),
        Case("one gradient entry off by 1e-6 where the gradient is tiny",
             (_quadratic_loss, p4, tiny)),
        Case("w = 0: its gradient is exactly 0", (_quadratic_loss, p5, _quadratic_grads(p5))),
        # with h = 0.01 the central difference of b³ is 3b² + h²: it shows whether h is used;
        # w's claimed gradient has the wrong sign (a backward-pass bug): its error must be 1
        Case("a coarse h = 0.01, and the gradient of w with the wrong sign",
             (_quadratic_loss, p6, dict(_quadratic_grads(p6), w=-_quadratic_grads(p6)["w"])),
             {"h": 1e-2}),
    ]


def _relative_errors(expected, received):
    """Errors that are rounding noise (below 1e-6 in both) count as equal."""
    if isinstance(expected, dict) and isinstance(received, dict) and set(expected) == set(received):
        rounded = {k: (0.0 if _small(expected[k]) and _small(received[k]) else expected[k])
                   for k in expected}
        got = {k: (0.0 if _small(expected[k]) and _small(received[k]) else received[k])
               for k in received}
        return compare_outputs(rounded, got, rtol=1e-4, atol=1e-9)
    return compare_outputs(expected, received, rtol=1e-4, atol=1e-9)


def _small(value):
    """True for a number below 1e-6 in size (an array of several numbers is not one)."""
    if np.ndim(value) > 0:
        return False
    try:
        return abs(float(value)) < 1e-6
    except (TypeError, ValueError):
        return False


GRADIENT_CHECK = Check(
    name="check_gradient_check",
    function="gradient_check",
    reference=_gradient_check,
    cases=_gradient_check_cases,
    mistakes=[
        Mistake("a copy nudged",
                "Every error is 1 (or near it): your numerical gradient is 0, because you "
                "nudged a COPY of each array while loss_of reads the arrays in params. Nudge "
                "params[name] itself (your numerical_gradient puts every entry back).",
                _checker(_relative, copy=True), hint=1),
        Mistake("absolute error",
                "Your errors are the largest absolute difference, not divided by the size of "
                "the gradients: with gradients in the thousands, rounding alone looks like an "
                "error. Divide by the largest |a| + |n| (floored at 1e-12).",
                _checker(lambda a, n: np.max(np.abs(a - n))), hint=2),
        Mistake("relative error entry by entry",
                "You divided entry by entry (|a - n| / (|a| + |n|) per entry, then the "
                "largest): a gradient entry that is nearly 0 then counts as a huge error on "
                "its own. The course's error compares the largest difference with the largest "
                "magnitude, as nl.rel_error does.",
                _checker(lambda a, n: np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n),
                                                                        1e-12))), hint=2),
        Mistake("mean instead of the largest difference",
                "You averaged the differences (and magnitudes): one wrong entry among many "
                "correct ones then hides in the mean. Use the LARGEST difference over the "
                "largest magnitude.",
                _checker(lambda a, n: np.mean(np.abs(a - n)) / max(np.mean(np.abs(a) + np.abs(n)),
                                                                   1e-12)), hint=2),
        Mistake("norms instead of the largest entries",
                "You compared norms, ||a - n|| / (||a|| + ||n||): close, but not the course's "
                "error, which takes the LARGEST entry of |a - n| over the largest entry of "
                "|a| + |n| (one bad entry is not averaged away).",
                _checker(lambda a, n: np.linalg.norm(a - n) / max(
                    np.linalg.norm(a) + np.linalg.norm(n), 1e-12)), hint=2),
        Mistake("divided by the claimed gradient only",
                "You divided by the size of the claimed gradient alone: where it is 0 but the "
                "measured one is not, that hides nothing, but the error is not the course's. "
                "Divide by the largest |a| + |n|, both together.",
                _checker(lambda a, n: np.max(np.abs(a - n)) / max(np.max(np.abs(a)), 1e-12)),
                hint=2),
        Mistake("the numerical gradients returned instead of errors",
                "You returned each parameter's numerical gradient, an array: the function "
                "returns ONE number per parameter, the relative error between the claimed "
                "gradient grads[name] and the measured one.",
                lambda loss_of, params, grads, h=1e-6: {
                    name: _central(lambda _: loss_of(params), value, h)
                    for name, value in params.items()}, hint=2),
        Mistake("|a + n| instead of |a| + |n|",
                "You divided by the largest |a + n|: where the claimed gradient has the wrong "
                "sign (a common bug), a + n nearly cancels and the error blows up instead of "
                "being about 1. Add the magnitudes: the largest |a| + |n|.",
                _checker(lambda a, n: np.max(np.abs(a - n)) / max(np.max(np.abs(a + n)), 1e-12)),
                hint=2),
        Mistake("the larger of |a| and |n| instead of their sum",
                "You divided by the largest max(|a|, |n|), as some tutorials do. The course's "
                "error (and nl.rel_error's) divides by the largest |a| + |n|: with it a "
                "gradient of the wrong sign has error 1, and the errors here are half of "
                "yours for small differences.",
                _checker(lambda a, n: np.max(np.abs(a - n)) / max(
                    np.max(np.maximum(np.abs(a), np.abs(n))), 1e-12)), hint=2),
        Mistake("no floor on the denominator",
                "An error is NaN where a gradient is exactly 0 on both sides: 0 / 0. Floor the "
                "denominator at 1e-12.",
                _checker(_unfloored), hint=2),
    ],
    forbidden=_GRADCHECK,
    hints=HINTS,
    compare=_relative_errors,
    doc="{name: max|a - n| / max(max(|a| + |n|), 1e-12)} with n your numerical gradient",
)

check_gradient_check = GRADIENT_CHECK.check_function()


#: Every check of lesson 01, as data (the meta-test runs each named mistake through it).
CHECKS = (LINEAR_FORWARD, LINEAR_BACKWARD, SOFTMAX_CROSS_ENTROPY, NUMERICAL_GRADIENT,
          TWO_LAYER_NETWORK, GRADIENT_CHECK)
