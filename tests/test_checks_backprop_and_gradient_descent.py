"""Lesson 01's checks: the solutions pass, stubs are 'not implemented', every listed mistake
is named, and broken functions get a clear message."""
import warnings

import numpy as np
import pytest

from nnlesson.course.checks import backprop_and_gradient_descent as C
from nnlesson.gradcheck import numerical_gradient as library_numerical_gradient
from nnlesson.losses import softmax_cross_entropy as library_softmax_cross_entropy


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


def failed_with(result, mistake):
    assert not result.passed, str(result)
    assert result.status == "fail"
    assert result.mistake == mistake, str(result)


# --------------------------------------------------------------------------- linear forward


def linear_forward(x, W, b):
    return x @ W + b


def test_linear_forward_solution_passes_and_stub_is_todo():
    result = C.check_linear_forward(linear_forward)
    assert result.passed and result.cases == 4
    assert C.check_linear_forward(stub).status == "todo"


@pytest.mark.parametrize("wrong, mistake", [
    (lambda x, W, b: x @ W, "bias forgotten"),
    (lambda x, W, b: x @ W.T + b, "W transposed"),
    (lambda x, W, b: (W @ x.T).T + b, "W transposed"),  # the column form z = W x + b
])
def test_linear_forward_mistakes_are_named(wrong, mistake):
    failed_with(C.check_linear_forward(wrong), mistake)


def test_linear_forward_broken_functions_get_clear_messages():
    result = C.check_linear_forward(lambda x, W, b: None)
    assert not result.passed and "returned None" in result.message
    result = C.check_linear_forward(lambda x, W, b: (x @ W + b)[:, :1])
    assert not result.passed and "expected shape" in result.message

    def mutating(x, W, b):
        x += 1.0
        return x @ W + b

    result = C.check_linear_forward(mutating)
    assert not result.passed and "changed its input `x` in place" in result.message

    def raising(x, W, b):
        return x @ W + b[0:0]

    result = C.check_linear_forward(raising)
    assert not result.passed and "raised ValueError" in result.message


def test_linear_forward_shape_errors_on_non_square_weights_are_reported():
    """A mistake that only works for square W passes round one, then fails on 5 x 2 weights."""
    def transposed_only_if_square(x, W, b):
        return x @ W.T + b if W.shape[0] != W.shape[1] else x @ W + b

    result = C.check_linear_forward(transposed_only_if_square)
    assert not result.passed and "raised ValueError" in result.message
    assert "5 features in, 2 out" in result.message


# --------------------------------------------------------------------------- linear backward


def linear_backward(dout, x, W, dW, db):
    return dout @ W.T, dW + x.T @ dout, db + dout.sum(axis=0)


def test_linear_backward_solution_passes_and_stub_is_todo():
    result = C.check_linear_backward(linear_backward)
    assert result.passed and result.cases == 4
    assert C.check_linear_backward(stub).status == "todo"


@pytest.mark.parametrize("wrong, mistake", [
    (lambda dout, x, W, dW, db: (dout @ W, dW + x.T @ dout, db + dout.sum(axis=0)),
     "dx uses W instead of W.T"),
    (lambda dout, x, W, dW, db: (dout @ W.T, dW + x.T @ dout, db + dout),
     "bias gradient not summed over the batch"),
    (lambda dout, x, W, dW, db: (dout @ W.T, dW + x.T @ dout, db + np.mean(dout, axis=0)),
     "bias gradient averaged"),
    (lambda dout, x, W, dW, db: (dout @ W.T, dW + (x.T @ dout) / x.shape[0],
                                 db + dout.sum(axis=0) / x.shape[0]),
     "divided by the batch size"),
    (lambda dout, x, W, dW, db: (dout @ W.T, dW + (x.T @ dout).T, db + dout.sum(axis=0)),
     "dW transposed"),
    (lambda dout, x, W, dW, db: (dout @ W.T, x.T @ dout, np.sum(dout, axis=0)),
     "gradients overwritten instead of accumulated"),
])
def test_linear_backward_mistakes_are_named(wrong, mistake):
    failed_with(C.check_linear_backward(wrong), mistake)


def test_linear_backward_broken_functions_get_clear_messages():
    result = C.check_linear_backward(lambda dout, x, W, dW, db: (dout @ W.T, dW + x.T @ dout))
    assert not result.passed and "expected 3 outputs, got 2" in result.message

    def in_place(dout, x, W, dW, db):
        dW += x.T @ dout
        db += dout.sum(axis=0)
        return dout @ W.T, dW, db

    result = C.check_linear_backward(in_place)
    assert not result.passed and "changed its input `dW` in place" in result.message

    def nan(dout, x, W, dW, db):
        return dout @ W.T, dW + x.T @ dout * np.nan, db + dout.sum(axis=0)

    result = C.check_linear_backward(nan)
    assert not result.passed and "NaN" in result.message


# --------------------------------------------------------------------------- softmax CE


def test_softmax_cross_entropy_solution_passes_and_stub_is_todo():
    result = C.check_softmax_cross_entropy(library_softmax_cross_entropy)
    assert result.passed and result.cases == 5
    assert C.check_softmax_cross_entropy(stub).status == "todo"


def _student_softmax(z, axis=1, stable=True):
    if stable:
        z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def _loss_and_grad(p, labels, scale_loss=1.0, scale_grad=1.0, sign=1.0, onehot=True, log_p=None):
    n = len(labels)
    log_p = np.log(p) if log_p is None else log_p
    loss = -log_p[np.arange(n), labels].mean() * scale_loss
    d = p.copy()
    if onehot:
        d[np.arange(n), labels] -= 1
    return float(loss), sign * d / n * scale_grad


def _log_p(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("wrong, mistake", [
    (lambda z, y: _loss_and_grad(_student_softmax(z, stable=False), y), "softmax not stabilized"),
    (lambda z, y: _loss_and_grad(_student_softmax(z), y), "log of the softmax underflows"),
    (lambda z, y: _loss_and_grad(_student_softmax(z), y, scale_grad=len(y), log_p=_log_p(z)),
     "gradient not divided by N"),
    (lambda z, y: _loss_and_grad(_student_softmax(z), y, scale_loss=len(y), scale_grad=len(y),
                                 log_p=_log_p(z)),
     "sum instead of mean"),
    (lambda z, y: _loss_and_grad(_student_softmax(z, axis=0), y), "softmax over the wrong axis"),
    (lambda z, y: _loss_and_grad(_student_softmax(z), y, sign=-1.0, log_p=_log_p(z)),
     "gradient sign flipped"),
    (lambda z, y: _loss_and_grad(_student_softmax(z), y, onehot=False, log_p=_log_p(z)),
     "one-hot not subtracted"),
])
def test_softmax_cross_entropy_mistakes_are_named(wrong, mistake):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unstable softmax overflows, as it does for students
        with np.errstate(all="ignore"):
            result = C.check_softmax_cross_entropy(wrong)
    failed_with(result, mistake)


def test_softmax_cross_entropy_broken_functions_get_clear_messages():
    result = C.check_softmax_cross_entropy(lambda z, y: library_softmax_cross_entropy(z, y)[1])
    assert not result.passed and "expected 2 outputs" in result.message

    result = C.check_softmax_cross_entropy(lambda z, y: 1 / 0)
    assert not result.passed and "raised ZeroDivisionError" in result.message


# --------------------------------------------------------------------------- numerical gradient


def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def test_numerical_gradient_solution_and_library_pass_and_stub_is_todo():
    assert C.check_numerical_gradient(numerical_gradient).passed
    library = C.check_numerical_gradient(lambda f, x, h=1e-5: library_numerical_gradient(f, x, h))
    assert library.passed
    assert C.check_numerical_gradient(stub).status == "todo"


def _forward_difference(f, x, h=1e-5):
    grad = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        x_plus = x.copy()
        x_plus[i] += h
        grad[i] = (f(x_plus) - fx) / h
    return grad


def _over_h(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        grad[i] = (f(xp) - f(xm)) / h
    return grad


def _all_at_once(f, x, h=1e-5):
    return np.ones_like(x) * (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("wrong, mistake", [
    (_forward_difference, "one-sided difference"),
    (_over_h, "divided by h instead of 2h"),
    (_all_at_once, "all entries nudged at once"),
])
def test_numerical_gradient_mistakes_are_named(wrong, mistake):
    failed_with(C.check_numerical_gradient(wrong), mistake)


def test_numerical_gradient_that_leaves_x_changed_is_told_so():
    def not_restored(f, x, h=1e-5):
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            x[i] += h
            f_plus = f(x)
            x[i] -= 2 * h
            grad[i] = (f_plus - f(x)) / (2 * h)
        return grad

    result = C.check_numerical_gradient(not_restored)
    assert not result.passed and "changed its input `x` in place" in result.message
    result = C.check_numerical_gradient(lambda f, x, h=1e-5: None)
    assert "returned None" in result.message
    result = C.check_numerical_gradient(lambda f, x, h=1e-5: np.zeros(3))
    assert "expected shape" in result.message


# --------------------------------------------------------------------------- every check


SOLUTIONS = [
    (C.check_linear_forward, linear_forward),
    (C.check_linear_backward, linear_backward),
    (C.check_softmax_cross_entropy, library_softmax_cross_entropy),
    (C.check_numerical_gradient, numerical_gradient),
]


def _first_array_index(args):
    return next(i for i, a in enumerate(args) if isinstance(a, np.ndarray))


def _cut(out):
    """The output with its first array one row short: a wrong shape."""
    if isinstance(out, tuple):
        i = _first_array_index(out)
        return out[:i] + (out[i][:-1] if out[i].ndim else np.zeros(2),) + out[i + 1:]
    return np.zeros(out.shape[0] + 1)


@pytest.mark.parametrize("check, solution", SOLUTIONS)
def test_every_check_explains_raising_none_wrong_shape_and_mutation(check, solution):
    def raising(*args, **kwargs):
        return {}["missing"]

    def returns_none(*args, **kwargs):
        solution(*args, **kwargs)

    def wrong_shape(*args, **kwargs):
        return _cut(solution(*args, **kwargs))

    def mutating(*args, **kwargs):
        out = solution(*args, **kwargs)
        args[_first_array_index(args)][...] = 0.0
        return out

    result = check(raising)
    assert result.status == "fail" and "raised KeyError" in result.message
    assert "Traceback" not in str(result)
    assert "returned None" in check(returns_none).message
    message = check(wrong_shape).message
    assert "expected shape" in message or "expected a single number" in message
    assert "in place" in check(mutating).message
