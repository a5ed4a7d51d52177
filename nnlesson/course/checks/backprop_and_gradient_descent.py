"""Checks for lesson 01: a linear layer's forward and backward pass, softmax cross-entropy, and
a numerical gradient.

The references are the library's :class:`nnlesson.layers.Linear`,
:func:`nnlesson.losses.softmax_cross_entropy` and :func:`nnlesson.gradcheck.numerical_gradient`
(tested against PyTorch and finite differences in the suite). Shapes follow the library: a
batch is rows, ``out = x @ W + b`` with ``W`` of shape ``(D, M)``.

Mistakes that only show with a square ``W`` (using ``W`` where ``W.T`` belongs) make a
non-square case raise a shape error instead, which hides the diagnosis. So the linear checks
run in two rounds: the square cases first (where every listed mistake runs and can be named),
then, once those pass, all cases including non-square ones.
"""
from __future__ import annotations

import numpy as np

from nnlesson.course.checks._core import Case, Mistake, run_check
from nnlesson.gradcheck import numerical_gradient as _numerical_gradient
from nnlesson.layers import Linear
from nnlesson.losses import softmax_cross_entropy as _softmax_cross_entropy

__all__ = [
    "check_linear_forward",
    "check_linear_backward",
    "check_softmax_cross_entropy",
    "check_numerical_gradient",
]


def _rng(seed):
    return np.random.default_rng(seed)


def _two_rounds(name, student_fn, square_cases, other_cases, reference, mistakes, **kwargs):
    """Square cases first (so transposition mistakes can be named), then every case."""
    first = run_check(name, student_fn, square_cases, reference, mistakes, **kwargs)
    if not first.passed:
        return first
    return run_check(name, student_fn, square_cases + other_cases, reference, mistakes, **kwargs)


# --------------------------------------------------------------------------- linear forward


def _layer(W, b=None):
    """A library Linear holding these weights (b = None: zeros)."""
    W = np.asarray(W, dtype=np.float64)
    layer = Linear(W.shape[0], W.shape[1])
    layer.W.value[...] = W
    if b is not None:
        layer.b.value[...] = b
    return layer


def _linear_forward_ref(x, W, b):
    return _layer(W, b).forward(x)


def _linear_cases(seed):
    r = _rng(seed)
    square = [
        Case("a batch of 4, 3 features in and 3 out",
             (r.normal(size=(4, 3)), r.normal(size=(3, 3)), r.normal(size=3))),
        Case("a batch of one", (r.normal(size=(1, 3)), r.normal(size=(3, 3)), r.normal(size=3))),
        Case("x = 0: the output is the bias in every row",
             (np.zeros((2, 3)), r.normal(size=(3, 3)), r.normal(size=3))),
    ]
    other = [
        Case("5 features in, 2 out (W is 5 x 2)",
             (r.normal(size=(6, 5)), r.normal(size=(5, 2)), r.normal(size=2))),
    ]
    return square, other


def check_linear_forward(student_fn):
    """Check ``linear_forward(x, W, b) -> out = x @ W + b``; x (N, D), W (D, M), b (M,)."""
    mistakes = [
        Mistake("bias forgotten",
                "The output misses the bias: out = x @ W + b, with b added to every row "
                "(numpy broadcasts a (M,) vector over the N rows).",
                lambda x, W, b: x @ W),
        Mistake("W transposed",
                "You multiplied by W transposed (or computed W x as in the column-vector formula "
                "z = W x + b). Here W has shape (D, M), one column per output unit, and a batch "
                "is rows, so out = x @ W + b (PyTorch's nn.Linear stores the transpose, (M, D), "
                "and computes x @ weight.T).",
                lambda x, W, b: x @ W.T + b),
    ]
    square, other = _linear_cases(1)
    return _two_rounds("check_linear_forward", student_fn, square, other, _linear_forward_ref,
                       mistakes)


# --------------------------------------------------------------------------- linear backward


def _linear_backward_ref(dout, x, W, dW, db):
    layer = _layer(W)
    layer.W.grad[...] = dW
    layer.b.grad[...] = db
    layer.forward(x)
    dx = layer.backward(dout)
    return dx, layer.W.grad.copy(), layer.b.grad.copy()


def _backward_cases(seed):
    r = _rng(seed)

    def case(label, n, d, m, fresh):
        dW = np.zeros((d, m)) if fresh else r.normal(size=(d, m))
        db = np.zeros(m) if fresh else r.normal(size=m)
        return Case(label, (r.normal(size=(n, m)), r.normal(size=(n, d)), r.normal(size=(d, m)),
                            dW, db))

    square = [
        case("first backward: dW and db start at zero", 4, 3, 3, True),
        case("second backward: dW and db already hold an earlier batch's gradient", 5, 3, 3,
             False),
        case("a batch of one", 1, 3, 3, False),
    ]
    other = [case("5 features in, 2 out, gradients already non-zero", 6, 5, 2, False)]
    return square, other


def check_linear_backward(student_fn):
    """Check ``linear_backward(dout, x, W, dW, db) -> (dx, dW, db)``.

    ``dW`` and ``db`` are the gradients accumulated so far (zeros after ``zero_grad``); the
    function returns the new totals::

        dx = dout @ W.T       dW + x.T @ dout       db + dout.sum(axis=0)
    """
    mistakes = [
        Mistake("dx uses W instead of W.T",
                "dx is wrong: the gradient goes back through the transpose, dx = dout @ W.T. "
                "Check the shapes: dout is (N, M), W is (D, M), dx must be (N, D) like x.",
                lambda dout, x, W, dW, db: (dout @ W, dW + x.T @ dout, db + dout.sum(axis=0))),
        Mistake("bias gradient not summed over the batch",
                "db has one row per example: the bias is shared by all N rows, so its gradient "
                "is the SUM of dout over the batch axis, dout.sum(axis=0), shape (M,).",
                lambda dout, x, W, dW, db: (dout @ W.T, dW + x.T @ dout, db + dout)),
        Mistake("bias gradient averaged",
                "db is N times too small: you averaged dout over the batch. The loss already "
                "divided by N (its gradient dout carries the 1/N), so the layer just sums: "
                "db = dout.sum(axis=0).",
                lambda dout, x, W, dW, db: (dout @ W.T, dW + x.T @ dout,
                                            db + dout.mean(axis=0))),
        Mistake("divided by the batch size",
                "dW and db are N times too small: the 1/N of the mean loss is already inside "
                "dout; the layer must not divide again. dW = x.T @ dout, db = dout.sum(axis=0).",
                lambda dout, x, W, dW, db: (dout @ W.T, dW + x.T @ dout / len(x),
                                            db + dout.sum(axis=0) / len(x))),
        Mistake("dW transposed",
                "dW is transposed: it must have the shape of W, (D, M), which is x.T @ dout "
                "(not dout.T @ x).",
                lambda dout, x, W, dW, db: (dout @ W.T, dW + dout.T @ x, db + dout.sum(axis=0))),
        Mistake("gradients overwritten instead of accumulated",
                "Right on the first backward, wrong on the second: you returned this batch's "
                "gradient only. Backward ADDS to what dW and db already hold (a parameter used "
                "twice gets both contributions; zero_grad() is what clears them): return "
                "dW + x.T @ dout and db + dout.sum(axis=0).",
                lambda dout, x, W, dW, db: (dout @ W.T, x.T @ dout, dout.sum(axis=0))),
    ]
    square, other = _backward_cases(2)
    return _two_rounds("check_linear_backward", student_fn, square, other, _linear_backward_ref,
                       mistakes, output_names=("dx", "dW", "db"))


# --------------------------------------------------------------------------- softmax + CE


def _onehot(labels, c):
    out = np.zeros((len(labels), c))
    out[np.arange(len(labels)), labels] = 1.0
    return out


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _unstable(logits, labels):
    e = np.exp(logits)  # overflows for large logits
    p = e / e.sum(axis=1, keepdims=True)
    n = len(labels)
    loss = float(-np.mean(np.log(p[np.arange(n), labels])))
    return loss, (p - _onehot(labels, logits.shape[1])) / n


def _log_of_softmax(logits, labels):
    p = _softmax(logits)  # stable, but exp(-2000) underflows to 0 and log(0) = -inf
    n = len(labels)
    loss = float(-np.mean(np.log(p[np.arange(n), labels])))
    return loss, (p - _onehot(labels, logits.shape[1])) / n


def _no_mean_in_grad(logits, labels):
    loss, _ = _softmax_cross_entropy(logits, labels)
    return loss, _softmax(logits) - _onehot(labels, logits.shape[1])


def _summed(logits, labels):
    loss, _ = _softmax_cross_entropy(logits, labels)
    return loss * len(labels), _softmax(logits) - _onehot(labels, logits.shape[1])


def _wrong_axis(logits, labels):
    p = _softmax(logits, axis=0)
    n = len(labels)
    loss = float(-np.mean(np.log(p[np.arange(n), labels])))
    return loss, (p - _onehot(labels, logits.shape[1])) / n


def _sign_flipped(logits, labels):
    loss, d = _softmax_cross_entropy(logits, labels)
    return loss, -d


def _no_onehot(logits, labels):
    loss, _ = _softmax_cross_entropy(logits, labels)
    return loss, _softmax(logits) / len(labels)


def check_softmax_cross_entropy(student_fn):
    """Check ``softmax_cross_entropy(logits, labels) -> (loss, dlogits)``.

    ``loss = -mean_n log softmax(logits)[n, labels[n]]`` and
    ``dlogits = (softmax(logits) - onehot(labels)) / N``; logits (N, C), labels (N,) integers.
    The reference computes ``log p`` in the log-sum-exp form, so the loss stays finite when a
    probability underflows.
    """
    r = _rng(3)
    cases = [
        Case("a batch of 4, 3 classes", (r.normal(size=(4, 3)), np.array([0, 2, 1, 2]))),
        Case("a batch of one, 5 classes", (r.normal(size=(1, 5)), np.array([3]))),
        Case("all logits equal: loss = log C", (np.zeros((3, 4)), np.array([0, 1, 3]))),
        Case("large logits (around 1000)",
             (1000.0 + 5 * r.normal(size=(3, 3)), np.array([1, 0, 2]))),
        Case("a hopeless prediction: the true class 2000 below the best",
             (np.array([[0.0, 1000.0, -1000.0], [1.0, 2.0, 3.0]]), np.array([2, 2]))),
    ]
    mistakes = [
        Mistake("softmax not stabilized",
                "Your softmax overflows: exp(1000) is inf in float64, and inf / inf is NaN. "
                "Subtract each row's maximum before exp, softmax(z) = exp(z - max z) / "
                "sum exp(z - max z) (it cancels, so the result is the same), or use the "
                "log-sum-exp form for the loss.",
                _unstable),
        Mistake("log of the softmax underflows",
                "Your loss is inf when the true class's probability underflows to 0 (here "
                "exp(-2000)): log(0) = -inf. Take the log before it can underflow, with the "
                "log-sum-exp form: log p = z - max(z) - log(sum exp(z - max(z))).",
                _log_of_softmax),
        Mistake("gradient not divided by N",
                "The loss is right but dlogits is N times too big: the loss is a MEAN over the "
                "batch, so each example's gradient carries 1/N: dlogits = (p - onehot) / N.",
                _no_mean_in_grad),
        Mistake("sum instead of mean",
                "Loss and gradient are both N times too big: you summed over the batch. The "
                "course uses mean losses (so a learning rate means the same at every batch "
                "size): loss = -mean log p, dlogits = (p - onehot) / N.",
                _summed),
        Mistake("softmax over the wrong axis",
                "Your probabilities are normalized down each column (over the batch). Each ROW "
                "is one example: softmax along axis=1 (the classes), so every row sums to 1.",
                _wrong_axis),
        Mistake("gradient sign flipped",
                "dlogits has the wrong sign: the gradient of -log p_y with respect to the "
                "logits is p - onehot (divided by N), not onehot - p.",
                _sign_flipped),
        Mistake("one-hot not subtracted",
                "dlogits is softmax / N: the true class's entry needs the -1, "
                "dlogits = (p - onehot(labels)) / N.",
                _no_onehot),
    ]
    return run_check("check_softmax_cross_entropy", student_fn, cases, _softmax_cross_entropy,
                     mistakes, output_names=("loss", "dlogits"))


# --------------------------------------------------------------------------- numerical gradient


def _cube_sum(x):
    return float(np.sum(x**3))


def _sin_x(x):
    return float(np.sum(np.sin(x) * x))


def _logsumexp(x):
    m = np.max(x)
    return float(m + np.log(np.sum(np.exp(x - m))))


def _numerical_ref(f, x, h=1e-5):
    return _numerical_gradient(f, np.array(x, dtype=np.float64), h)


def _one_sided(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    f0 = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - f0) / h
        x[i] = old
    return grad


def _over_h(f, x, h=1e-5):
    return 2 * _numerical_ref(f, x, h)


def _all_at_once(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    slope = (f(x + h) - f(x - h)) / (2 * h)
    return np.full_like(x, slope)


def check_numerical_gradient(student_fn):
    """Check ``numerical_gradient(f, x, h=1e-5) -> grad``, central differences entry by entry:
    ``grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h)``, with ``x`` unchanged afterwards."""
    r = _rng(4)
    cases = [
        Case("f(x) = sum(x³) at a vector", (_cube_sum, r.normal(size=4))),
        Case("f(x) = sum(sin(x) x) at a 2 x 3 matrix", (_sin_x, r.normal(size=(2, 3)))),
        Case("f(x) = log sum exp(x), h = 1e-4", (_logsumexp, r.normal(size=5)), {"h": 1e-4}),
        Case("one number", (_cube_sum, np.array([0.7]))),
    ]
    mistakes = [
        Mistake("one-sided difference",
                "You used (f(x + h) - f(x)) / h. That is off by about h/2 times the second "
                "derivative; the centred difference (f(x + h) - f(x - h)) / (2h) cancels that "
                "term and is far more accurate for the same h.",
                _one_sided),
        Mistake("divided by h instead of 2h",
                "Your gradient is twice too large: f(x + h) and f(x - h) are 2h apart, so "
                "divide their difference by 2h.",
                _over_h),
        Mistake("all entries nudged at once",
                "Every entry got the same number: you moved ALL of x by h at once, which "
                "measures the slope along (1, 1, ..., 1). Nudge one entry at a time "
                "(x[i] += h, evaluate, put it back) to get each partial derivative.",
                _all_at_once),
    ]
    return run_check("check_numerical_gradient", student_fn, cases, _numerical_ref, mistakes)
