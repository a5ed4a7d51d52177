"""Lesson 05's exercise checks: solutions pass, stubs are "not implemented", the library is caught,
and the answers whose form matters (a function that changes its input, a simulation instead of
the formula, an endless loop) get the right message. tests/test_checks_meta.py covers every
declared mistake; the warm-up's reference is checked here against the library and torch.
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


def test_calling_the_library_is_caught():
    def lib_adagrad(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
        return library_adagrad(w, g, state_sum, step, lr=lr, lr_decay=lr_decay, eps=eps)

    def lib_rmsprop(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
        return library_rmsprop(w, g, square_avg, lr=lr, alpha=beta, eps=eps)[:2]

    for check, student in ((check_adagrad_update, lib_adagrad), (check_rmsprop_update, lib_rmsprop)):
        result = check(student)
        assert not result.passed and result.mistake == "calls the library", str(result)


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


def test_adagrad_mistake_message_is_actionable():
    result = check_adagrad_update(ada_eps_inside)
    assert "OUTSIDE" in result.message and result.message.endswith("Hint 2 above gives the formula.")
    assert result.details and result.details[0].startswith("on case ")


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


# --------------------------------------------------------------------------- RMSProp's warm-up

from nnlesson.course.checks import adagrad_and_rmsprop as declared  # noqa: E402
from nnlesson.course.checks.adagrad_and_rmsprop import check_rmsprop_warmup_steps  # noqa: E402


def warmup(beta, tolerance=0.01):
    """A student's answer by simulation: RMSProp's step for g = 1 until it is close to lr."""
    s, t = 0.0, 0
    while True:
        t += 1
        s = beta * s + (1 - beta)
        if 1 / np.sqrt(s) <= 1 + tolerance:
            return t


def test_warmup_solutions_pass():
    import math

    def derived(beta, tolerance=0.01):
        if beta == 0:
            return 1
        return max(1, math.ceil(math.log(1 - (1 + tolerance) ** -2) / math.log(beta)))

    assert check_rmsprop_warmup_steps(derived).passed
    assert check_rmsprop_warmup_steps(warmup).passed


def test_warmup_reference_is_what_the_library_measures():
    """Independent of the formula: the library's RMSProp (and torch's) on a steady gradient,
    step by step; the first step whose size is at most (1 + tolerance) lr."""
    import torch

    for case, expected in zip(declared.WARMUP.get_cases(), declared.WARMUP.expected()):
        beta = case.args[0]
        tolerance = case.kwargs.get("tolerance", 0.01)
        w, s = np.zeros(1), np.zeros(1)
        wt = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.RMSprop([wt], lr=0.1, alpha=beta, eps=1e-12)
        for t in range(1, expected + 1):
            new, s, _, _ = library_rmsprop(w, np.ones(1), s, lr=0.1, alpha=beta, eps=1e-12)
            step = abs(new[0] - w[0]) / 0.1
            w = new
            if t <= 50:  # the library's rule against torch's for the first steps
                before = wt.detach().clone()
                wt.grad = torch.ones(1, dtype=torch.float64)
                opt.step()
                assert abs((wt.detach() - before).item()) / 0.1 == pytest.approx(step, rel=1e-9)
            if t < expected:
                assert step > 1 + tolerance, (case.label, t)
        assert step <= 1 + tolerance, case.label


def test_warmup_of_a_stub_and_an_endless_loop():
    def endless(beta, tolerance=0.01):
        t = 0
        while True:
            t += 1

    result = check_rmsprop_warmup_steps(endless)
    assert not result.passed and "did not finish" in result.message


@pytest.mark.parametrize("student, mistake", [
    (lambda beta, tolerance=0.01: warmup(beta, tolerance) - 1 if beta else 0, "counted from 0"),
    (lambda beta, tolerance=0.01: max(1, int(np.log(1 - (1 + tolerance) ** -2) / np.log(beta)))
     if beta else 1, "rounded down"),
    (lambda beta, tolerance=0.01: max(1, int(np.ceil(np.log(1 - 1 / (1 + tolerance))
                                                      / np.log(beta)))) if beta else 1,
     "square root forgotten"),
    (lambda beta, tolerance=0.01: max(1, int(np.ceil(np.log(tolerance) / np.log(beta))))
     if beta else 1, "the average instead of the step"),
    (lambda beta, tolerance=0.01: warmup(beta, 0.01), "tolerance ignored"),
])
def test_warmup_mistakes_as_students_write_them(student, mistake):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = check_rmsprop_warmup_steps(student)
    assert not result.passed and result.mistake == mistake, str(result)


def test_warmup_float_answer_is_a_type_message():
    result = check_rmsprop_warmup_steps(lambda beta, tolerance=0.01: float(warmup(beta, tolerance)))
    assert not result.passed and "whole number" in result.message


def warmup_bound(bound_of, rounding):
    """A student's derived answer with their own bound on beta^t and rounding."""
    import math

    def student(beta, tolerance=0.01):
        if beta == 0:
            return 1
        return rounding(math.log(bound_of(tolerance)) / math.log(beta))
    return student


@pytest.mark.parametrize("student, mistake", [
    # 1 - (1 + tol)^-2 ~ 2 tol, and no max(1, ...): step 0 at a 50 % tolerance
    (warmup_bound(lambda tol: 2 * tol, lambda x: int(np.ceil(x))),
     "the bound approximated by 2 tolerance"),
    (lambda beta, tolerance=0.01: 1 if beta == 0 else max(1, int(np.ceil(
        np.log(beta) / np.log(1 - (1 + tolerance) ** -2)))), "the logarithms upside down"),
    # a wrong bound and a wrong rounding at once
    (warmup_bound(lambda tol: 1 - 1 / (1 + tol), lambda x: max(1, int(x))),
     "square root forgotten + rounded down"),
    (warmup_bound(lambda tol: tol, lambda x: max(1, round(x))),
     "the average instead of the step + rounded to the nearest step"),
])
def test_warmup_new_families(student, mistake):
    result = check_rmsprop_warmup_steps(student)
    assert not result.passed and result.mistake == mistake, str(result)


# --------------------------------------------------------------------------- other conventions and
# two mistakes at once in the update rules


def keras_rmsprop(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    rho = 0.9  # Keras's default, written in
    square_avg = rho * square_avg + (1 - rho) * np.square(g)
    return w - lr * g / (np.sqrt(square_avg) + eps), square_avg


def keras_eps_adagrad(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    state_sum = state_sum + g * g
    return w - lr / (1 + (step - 1) * lr_decay) * g / (np.sqrt(state_sum) + 1e-7), state_sum


def tf1_adagrad_decay_from_step(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    total = state_sum + g ** 2
    return w - lr / (1 + step * lr_decay) * g / np.sqrt(total + eps), total


def swapped_and_eps_inside(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    avg = (1 - beta) * square_avg + beta * g ** 2
    return w - lr * g / np.sqrt(avg + eps), avg


def sum_and_old_state(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    step = lr * g / (np.sqrt(square_avg) + eps)
    return w - step, square_avg + g * g


@pytest.mark.parametrize("check, student, mistake", [
    (check_rmsprop_update, keras_rmsprop, "beta fixed at 0.9"),
    (check_rmsprop_update, lambda w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8: keras_rmsprop(
        w, g, square_avg, lr, beta, 1e-7), "beta and eps fixed at Keras's 0.9 and 1e-7"),
    (check_adagrad_update, keras_eps_adagrad, "eps fixed at 1e-7"),
    (check_adagrad_update, tf1_adagrad_decay_from_step,
     "eps inside the square root + lr_decay off by one"),
    (check_rmsprop_update, swapped_and_eps_inside,
     "beta and 1 - beta swapped + eps inside the square root"),
    (check_rmsprop_update, sum_and_old_state,
     "AdaGrad's sum instead of an average + step taken with the old average"),
])
def test_update_rule_new_families(check, student, mistake):
    result = check(student)
    assert not result.passed and result.mistake == mistake, str(result)
    assert "Hint" in result.message


def rmsprop_returning_the_step(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    square_avg = beta * square_avg + (1 - beta) * g * g
    update = lr * g / (np.sqrt(square_avg) + eps)
    return update, square_avg


def adagrad_keeping_the_root(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    root = np.sqrt(state_sum + g * g)
    return w - lr / (1 + (step - 1) * lr_decay) * g / (root + eps), root


def adagrad_power_decay(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    state_sum = state_sum + g * g
    rate = lr * (1 + lr_decay) ** (1 - step)
    return w - rate * g / (np.sqrt(state_sum) + eps), state_sum


def warmup_from_a_full_average(beta, tolerance=0.01):
    """A simulation that starts the average at g^2 instead of 0."""
    s, t = 1.0, 0
    while True:
        t += 1
        s = beta * s + (1 - beta)
        if 1 / np.sqrt(s) <= 1 + tolerance:
            return t


@pytest.mark.parametrize("check, student, mistake", [
    (check_rmsprop_update, rmsprop_returning_the_step,
     "the step returned instead of the new weights"),
    (check_adagrad_update, adagrad_keeping_the_root, "the root returned as the state"),
    (check_adagrad_update, adagrad_power_decay, "lr_decay as a power"),
    (check_rmsprop_warmup_steps, warmup_from_a_full_average, "step 1 whatever beta"),
    (check_rmsprop_warmup_steps, lambda beta, tolerance=0.01: warmup(beta, tolerance) + 1,
     "one step late"),
    # int() without max(1, ...): step 0 where the first step already fits
    (check_rmsprop_warmup_steps, warmup_bound(lambda tol: 1 - (1 + tol) ** -2, int),
     "rounded down"),
])
def test_more_families_are_named(check, student, mistake):
    result = check(student)
    assert not result.passed and result.mistake == mistake, str(result)


@pytest.mark.parametrize("rate, mistake", [
    (lambda lr, lr_decay, step: lr * (1 + lr_decay * (step - 1)), "lr_decay multiplies the rate"),
    (lambda lr, lr_decay, step: lr / (1 + step - 1 * lr_decay),
     "parentheses missing around step - 1"),
])
def test_the_rate_of_a_step_written_wrong_is_named(rate, mistake):
    def student(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
        state_sum = state_sum + g * g
        return w - rate(lr, lr_decay, step) * g / (np.sqrt(state_sum) + eps), state_sum

    result = check_adagrad_update(student)
    assert result.mistake == mistake, str(result)
    assert result.message.endswith("Hint 2 above gives the formula.")
