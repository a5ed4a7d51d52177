"""Lesson 05's exercise checks: solutions pass, stubs are "not implemented", mistakes are named.

Every wrong implementation below is written the way a student would write it; each must fail
with exactly the diagnosis the check names for that mistake.
"""
import numpy as np
import pytest

from nnlesson.course.checks.adagrad_and_rmsprop import check_adagrad_update, check_rmsprop_update
from nnlesson.optim import adagrad_update as library_adagrad
from nnlesson.optim import rmsprop_update as library_rmsprop

# --------------------------------------------------------------------------- student versions


def adagrad_update(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    state_sum = state_sum + g * g
    clr = lr / (1 + (step - 1) * lr_decay)
    return w - clr * g / (np.sqrt(state_sum) + eps), state_sum


def rmsprop_update(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    square_avg = beta * square_avg + (1 - beta) * g * g
    return w - lr * g / (np.sqrt(square_avg) + eps), square_avg


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


# --------------------------------------------------------------------------- passing


def test_student_solutions_pass():
    assert check_adagrad_update(adagrad_update).passed
    assert check_rmsprop_update(rmsprop_update).passed


def test_the_library_passes():
    def lib_adagrad(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
        return library_adagrad(w, g, state_sum, step, lr=lr, lr_decay=lr_decay, eps=eps)

    def lib_rmsprop(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
        return library_rmsprop(w, g, square_avg, lr=lr, alpha=beta, eps=eps)[:2]

    assert check_adagrad_update(lib_adagrad).passed
    assert check_rmsprop_update(lib_rmsprop).passed


def test_a_list_instead_of_a_tuple_is_accepted():
    def as_list(*args, **kwargs):
        return list(rmsprop_update(*args, **kwargs))

    assert check_rmsprop_update(as_list).passed


@pytest.mark.parametrize("check", [check_adagrad_update, check_rmsprop_update])
def test_stubs_are_not_implemented_yet(check):
    result = check(stub)
    assert result.status == "todo" and not result.passed
    assert "not implemented yet" in result.message


# --------------------------------------------------------------------------- AdaGrad mistakes


def ada_eps_inside(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    state_sum = state_sum + g**2
    clr = lr / (1 + (step - 1) * lr_decay)
    return w - clr * g / np.sqrt(state_sum + eps), state_sum


def ada_not_squared(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    state_sum = state_sum + g
    clr = lr / (1 + (step - 1) * lr_decay)
    return w - clr * g / (np.sqrt(state_sum) + eps), state_sum


def ada_abs(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    state_sum = state_sum + abs(g)
    clr = lr / (1 + (step - 1) * lr_decay)
    return w - clr * g / (np.sqrt(state_sum) + eps), state_sum


def ada_no_sqrt(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    state_sum = state_sum + g * g
    clr = lr / (1 + (step - 1) * lr_decay)
    return w - clr * g / (state_sum + eps), state_sum


def ada_no_eps(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    state_sum = state_sum + g * g
    clr = lr / (1 + (step - 1) * lr_decay)
    return w - clr * g / np.sqrt(state_sum), state_sum


def ada_old_state(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    clr = lr / (1 + (step - 1) * lr_decay)
    w = w - clr * g / (np.sqrt(state_sum) + eps)
    return w, state_sum + g * g


def ada_decay_off_by_one(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    state_sum = state_sum + g * g
    clr = lr / (1 + step * lr_decay)
    return w - clr * g / (np.sqrt(state_sum) + eps), state_sum


def ada_decay_ignored(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    state_sum = state_sum + g * g
    return w - lr * g / (np.sqrt(state_sum) + eps), state_sum


def ada_returns_old_sum(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    new_sum = state_sum + g * g
    clr = lr / (1 + (step - 1) * lr_decay)
    return w - clr * g / (np.sqrt(new_sum) + eps), state_sum.copy()


@pytest.mark.parametrize("student, mistake", [
    (ada_eps_inside, "eps inside the square root"),
    (ada_not_squared, "gradient not squared"),
    (ada_abs, "absolute value instead of square"),
    (ada_no_sqrt, "no square root"),
    (ada_no_eps, "eps forgotten"),
    (ada_old_state, "step taken with the old accumulator"),
    (ada_decay_off_by_one, "lr_decay off by one"),
    (ada_decay_ignored, "lr_decay ignored"),
    (ada_returns_old_sum, "old accumulator returned"),
])
def test_adagrad_mistakes_are_named(student, mistake):
    with np.errstate(all="ignore"):
        result = check_adagrad_update(student)
    assert result.status == "fail" and result.mistake == mistake, str(result)


def test_adagrad_mistake_message_is_actionable():
    result = check_adagrad_update(ada_eps_inside)
    assert "OUTSIDE" in result.message and "sqrt(state_sum) + eps" in result.message
    assert result.details and result.details[0].startswith("on case ")


# --------------------------------------------------------------------------- RMSProp mistakes


def rms_eps_inside(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    square_avg = beta * square_avg + (1 - beta) * g * g
    return w - lr * g / np.sqrt(square_avg + eps), square_avg


def rms_no_one_minus_beta(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    square_avg = beta * square_avg + g * g
    return w - lr * g / (np.sqrt(square_avg) + eps), square_avg


def rms_swapped(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    square_avg = (1 - beta) * square_avg + beta * g * g
    return w - lr * g / (np.sqrt(square_avg) + eps), square_avg


def rms_not_squared(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    square_avg = beta * square_avg + (1 - beta) * g
    return w - lr * g / (np.sqrt(square_avg) + eps), square_avg


def rms_adagrad_sum(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    square_avg = square_avg + g * g
    return w - lr * g / (np.sqrt(square_avg) + eps), square_avg


def rms_no_sqrt(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    square_avg = beta * square_avg + (1 - beta) * g * g
    return w - lr * g / (square_avg + eps), square_avg


def rms_old_average(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    w_new = w - lr * g / (np.sqrt(square_avg) + eps)
    return w_new, beta * square_avg + (1 - beta) * g * g


def rms_returns_old_average(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    new = beta * square_avg + (1 - beta) * g * g
    return w - lr * g / (np.sqrt(new) + eps), square_avg + 0.0


@pytest.mark.parametrize("student, mistake", [
    (rms_eps_inside, "eps inside the square root"),
    (rms_no_one_minus_beta, "(1 - beta) missing"),
    (rms_swapped, "beta and 1 - beta swapped"),
    (rms_not_squared, "gradient not squared"),
    (rms_adagrad_sum, "AdaGrad's sum instead of an average"),
    (rms_no_sqrt, "no square root"),
    (rms_old_average, "step taken with the old average"),
    (rms_returns_old_average, "old average returned"),
])
def test_rmsprop_mistakes_are_named(student, mistake):
    with np.errstate(all="ignore"):
        result = check_rmsprop_update(student)
    assert result.status == "fail" and result.mistake == mistake, str(result)


# --------------------------------------------------------------------------- broken functions


def wrong_shape(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    w_new, s = rmsprop_update(w, g, square_avg, lr, beta, eps)
    return w_new.ravel()[:1], s


def mutates(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    square_avg *= beta
    square_avg += (1 - beta) * g * g
    return w - lr * g / (np.sqrt(square_avg) + eps), square_avg


def returns_nan(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    w_new, s = rmsprop_update(w, g, square_avg, lr, beta, eps)
    return w_new * np.nan, s


def test_a_wrong_shape_is_reported():
    result = check_rmsprop_update(wrong_shape)
    assert result.status == "fail" and "expected shape (4,), got shape (1,)" in result.message
    assert "(`w`)" in result.message


def test_changing_an_input_in_place_is_reported():
    result = check_rmsprop_update(mutates)
    assert result.status == "fail"
    assert "changed its input `square_avg` in place" in result.message


def test_nan_is_reported():
    result = check_rmsprop_update(returns_nan)
    assert result.status == "fail" and "NaN" in result.message


def test_a_wrong_dtype_is_reported():
    result = check_adagrad_update(lambda *a, **k: tuple(x.astype(np.float32)
                                                        for x in adagrad_update(*a, **k)))
    assert result.status == "fail" and "dtype" in result.message
