"""Lesson 04's exercise checks: solutions pass, stubs are "not implemented", mistakes are named."""
import numpy as np
import pytest

from nnlesson.course.checks.momentum import (
    check_momentum_update,
    check_nesterov_update,
    check_sgd_momentum_update,
)
from nnlesson.optim import momentum_update, sgd_update

# --------------------------------------------------------------------------- student solutions


def ema_solution(w, g, v, lr, beta):
    v = beta * v + (1 - beta) * g
    return w - lr * v, v


def sgd_solution(w, g, buf, lr, momentum, dampening=0.0):
    if buf is None:
        buf = g.copy()
    else:
        buf = momentum * buf + (1 - dampening) * g
    return w - lr * buf, buf


def nesterov_solution(w, g, buf, lr, momentum):
    buf = g.copy() if buf is None else momentum * buf + g
    return w - lr * (g + momentum * buf), buf


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


CHECKS = [check_momentum_update, check_sgd_momentum_update, check_nesterov_update]


def test_student_solutions_and_the_library_pass():
    assert check_momentum_update(ema_solution).passed
    assert check_momentum_update(
        lambda w, g, v, lr, beta: momentum_update(w, g, v, lr=lr, beta=beta)).passed
    assert check_sgd_momentum_update(sgd_solution).passed
    assert check_sgd_momentum_update(
        lambda w, g, buf, lr, momentum, dampening=0.0: sgd_update(
            w, g, buf, lr=lr, momentum=momentum, dampening=dampening)).passed
    assert check_nesterov_update(nesterov_solution).passed
    assert check_nesterov_update(
        lambda w, g, buf, lr, momentum: sgd_update(w, g, buf, lr=lr, momentum=momentum,
                                                   nesterov=True)).passed
    result = check_momentum_update(ema_solution)
    assert result.message == "passed 5 cases" and result.mistake is None


@pytest.mark.parametrize("check", CHECKS)
def test_stubs_are_not_implemented_yet(check):
    result = check(stub)
    assert result.status == "todo" and not result.passed
    assert "not implemented yet" in result.message


# --------------------------------------------------------------------------- EMA mistakes


def ema_no_one_minus_beta(w, g, v, lr, beta):
    v = beta * v + g
    return w - lr * v, v


def ema_forgets_velocity(w, g, v, lr, beta):
    v = (1 - beta) * g
    return w - lr * v, v


def ema_velocity_is_gradient(w, g, v, lr, beta):
    return w - lr * g, g.copy()


def ema_swapped(w, g, v, lr, beta):
    v = (1 - beta) * v + beta * g
    return w - lr * v, v


def ema_old_velocity(w, g, v, lr, beta):
    w_new = w - lr * v
    return w_new, beta * v + (1 - beta) * g


def ema_sign(w, g, v, lr, beta):
    v = beta * v + (1 - beta) * g
    return w + lr * v, v


def ema_cs231n(w, g, v, lr, beta):
    v = beta * v - lr * g
    return w + v, v


@pytest.mark.parametrize("student, mistake", [
    (ema_no_one_minus_beta, "(1 - beta) missing"),
    (ema_forgets_velocity, "velocity not carried over"),
    (ema_velocity_is_gradient, "velocity is the gradient"),
    (ema_swapped, "beta and 1 - beta swapped"),
    (ema_old_velocity, "step with the old velocity"),
    (ema_sign, "sign error"),
    (ema_cs231n, "learning rate folded into the velocity"),
])
def test_ema_mistakes_are_named(student, mistake):
    result = check_momentum_update(student)
    assert not result.passed and result.status == "fail"
    assert result.mistake == mistake
    assert result.details and result.details[0].startswith("on case ")


def test_ema_explanations_say_what_to_do():
    assert "(1 - beta) * g" in check_momentum_update(ema_no_one_minus_beta).message
    assert "cs231n" in check_momentum_update(ema_cs231n).message


# --------------------------------------------------------------------------- PyTorch-form mistakes


def sgd_ema_form(w, g, buf, lr, momentum, dampening=0.0):
    if buf is None:
        buf = np.zeros_like(g)
    buf = momentum * buf + (1 - momentum) * g
    return w - lr * buf, buf


def sgd_zero_start(w, g, buf, lr, momentum, dampening=0.0):
    # starting from a zero velocity puts the dampening on the first step
    if buf is None:
        buf = np.zeros_like(g)
    buf = momentum * buf + (1 - dampening) * g
    return w - lr * buf, buf


def sgd_dampening_ignored(w, g, buf, lr, momentum, dampening=0.0):
    buf = g.copy() if buf is None else momentum * buf + g
    return w - lr * buf, buf


def sgd_dampening_inverted(w, g, buf, lr, momentum, dampening=0.0):
    buf = g.copy() if buf is None else momentum * buf + dampening * g
    return w - lr * buf, buf


def sgd_reset(w, g, buf, lr, momentum, dampening=0.0):
    buf = g.copy()
    return w - lr * buf, buf


def sgd_sign(w, g, buf, lr, momentum, dampening=0.0):
    buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
    return w + lr * buf, buf


def sgd_cs231n(w, g, buf, lr, momentum, dampening=0.0):
    v = np.zeros_like(g) if buf is None else buf
    v = momentum * v - lr * g
    return w + v, v


def sgd_old_buffer(w, g, buf, lr, momentum, dampening=0.0):
    if buf is None:
        new = g.copy()
        return w - lr * new, new
    new = momentum * buf + (1 - dampening) * g
    return w - lr * buf, new


@pytest.mark.parametrize("student, mistake", [
    (sgd_ema_form, "EMA form instead of PyTorch's"),
    (sgd_zero_start, "dampening on the first step"),
    (sgd_dampening_ignored, "dampening ignored"),
    (sgd_dampening_inverted, "dampening used instead of 1 - dampening"),
    (sgd_reset, "velocity not carried over"),
    (sgd_sign, "sign error"),
    (sgd_cs231n, "learning rate folded into the velocity"),
    (sgd_old_buffer, "step with the old velocity"),
])
def test_pytorch_form_mistakes_are_named(student, mistake):
    result = check_sgd_momentum_update(student)
    assert not result.passed and result.status == "fail"
    assert result.mistake == mistake


# --------------------------------------------------------------------------- Nesterov mistakes


def nesterov_plain(w, g, buf, lr, momentum):
    buf = g.copy() if buf is None else momentum * buf + g
    return w - lr * buf, buf


def nesterov_old_lookahead(w, g, buf, lr, momentum):
    if buf is None:
        buf = g.copy()
        return w - lr * (g + momentum * buf), buf
    step = g + momentum * buf  # the look-ahead taken before the velocity is updated
    return w - lr * step, momentum * buf + g


def nesterov_old_lookahead_from_zero(w, g, buf, lr, momentum):
    # starting from zeros and looking ahead with the old velocity is classical momentum
    old = np.zeros_like(g) if buf is None else buf
    return w - lr * (g + momentum * old), momentum * old + g


def nesterov_no_gradient(w, g, buf, lr, momentum):
    buf = g.copy() if buf is None else momentum * buf + g
    return w - lr * momentum * buf, buf


def nesterov_buf_twice(w, g, buf, lr, momentum):
    buf = g.copy() if buf is None else momentum * buf + g
    return w - lr * (buf + momentum * buf), buf


def nesterov_ema(w, g, buf, lr, momentum):
    buf = (1 - momentum) * g if buf is None else momentum * buf + (1 - momentum) * g
    return w - lr * (g + momentum * buf), buf


def nesterov_sign(w, g, buf, lr, momentum):
    buf = g.copy() if buf is None else momentum * buf + g
    return w + lr * (g + momentum * buf), buf


@pytest.mark.parametrize("student, mistake", [
    (nesterov_plain, "no look-ahead"),
    (nesterov_old_lookahead_from_zero, "no look-ahead"),
    (nesterov_old_lookahead, "look-ahead with the old velocity"),
    (nesterov_no_gradient, "gradient left out of the step"),
    (nesterov_buf_twice, "velocity instead of the gradient in the step"),
    (nesterov_ema, "EMA velocity"),
    (nesterov_sign, "sign error"),
])
def test_nesterov_mistakes_are_named(student, mistake):
    result = check_nesterov_update(student)
    assert not result.passed and result.status == "fail"
    assert result.mistake == mistake


# --------------------------------------------------------------------------- misbehaving code


def _in_place_ema(w, g, v, lr, beta):
    v *= beta
    v += (1 - beta) * g
    return w - lr * v, v


def _in_place_sgd(w, g, buf, lr, momentum, dampening=0.0):
    if buf is None:
        buf = g.copy()
    else:
        buf *= momentum
        buf += (1 - dampening) * g
    return w - lr * buf, buf


def _in_place_nesterov(w, g, buf, lr, momentum):
    buf = g.copy() if buf is None else momentum * buf + g
    w -= lr * (g + momentum * buf)
    return w, buf


@pytest.mark.parametrize("check, student", [
    (check_momentum_update, lambda w, g, v, lr, beta: (w - lr * g, v)[0]),
    (check_sgd_momentum_update, lambda w, g, buf, lr, momentum, dampening=0.0: (w, g, g)),
    (check_nesterov_update, lambda w, g, buf, lr, momentum: (w.sum(), g)),
])
def test_wrong_kinds_of_output_are_described(check, student):
    result = check(student)
    assert not result.passed and result.mistake is None
    assert ("expected 2 outputs" in result.message or "expected a numpy array" in result.message
            or "expected shape" in result.message)


def test_wrong_shape_and_dtype_are_described():
    result = check_momentum_update(lambda w, g, v, lr, beta: (w.ravel()[:1], v))
    assert "expected shape" in result.message
    result = check_momentum_update(
        lambda w, g, v, lr, beta: ((w - lr * ((1 - beta) * g + beta * v)).astype(np.float32),
                                   beta * v + (1 - beta) * g))
    assert "expected dtype float64, got dtype float32" in result.message


def test_nan_output_is_described():
    result = check_nesterov_update(lambda w, g, buf, lr, momentum: (w * np.nan, g))
    assert not result.passed and "NaN" in result.message


@pytest.mark.parametrize("check, student, name", [
    (check_momentum_update, _in_place_ema, "v"),
    (check_sgd_momentum_update, _in_place_sgd, "buf"),
    (check_nesterov_update, _in_place_nesterov, "w"),
])
def test_changing_an_input_in_place_is_reported(check, student, name):
    result = check(student)
    assert not result.passed
    assert f"changed its input `{name}` in place" in result.message


def test_an_unlisted_mistake_gets_the_expected_and_received_values():
    result = check_momentum_update(lambda w, g, v, lr, beta: ema_solution(w, g, v, lr + 0.01, beta))
    assert not result.passed and result.mistake is None
    assert result.message.startswith("wrong result on case 'first step: v is zero': output 1 "
                                     "of 2 (`w`): element [0]")
    assert result.details[0].startswith("expected: (") and result.details[1].startswith("received")
