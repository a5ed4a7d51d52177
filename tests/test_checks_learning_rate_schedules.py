"""Lesson 07's exercise checks: solutions pass, stubs are "not implemented", mistakes are named."""
import math

import numpy as np
import pytest

from nnlesson.course.checks.learning_rate_schedules import (
    check_cosine_warm_restarts,
    check_one_cycle,
    check_step_decay,
)
from nnlesson.schedules import CosineWarmRestarts, OneCycle, StepDecay

# --------------------------------------------------------------------------- student versions


def step_decay(t, lr0, step_size, gamma):
    return lr0 * gamma ** (t // step_size)


def cosine_warm_restarts(t, lr0, T_0, T_mult=1, eta_min=0.0):
    T_cur, T_i = t, T_0
    while T_cur >= T_i:
        T_cur -= T_i
        T_i *= T_mult
    return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2


def _anneal(a, b, p):
    return b + (a - b) / 2 * (math.cos(math.pi * p) + 1)


def one_cycle(t, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    initial = max_lr / div_factor
    final = initial / final_div_factor
    e1 = pct_start * total_steps - 1
    e2 = total_steps - 1
    if t <= e1:
        return _anneal(initial, max_lr, t / e1)
    return _anneal(max_lr, final, (t - e1) / (e2 - e1))


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


# --------------------------------------------------------------------------- passing


def test_the_library_and_a_student_solution_pass():
    assert check_step_decay(step_decay).passed
    assert check_step_decay(lambda t, lr0, step_size, gamma: StepDecay(lr0, step_size, gamma)(t))
    assert check_cosine_warm_restarts(cosine_warm_restarts).passed
    assert check_cosine_warm_restarts(
        lambda t, lr0, T_0, T_mult=1, eta_min=0.0: CosineWarmRestarts(lr0, T_0, T_mult, eta_min)(t))
    assert check_one_cycle(one_cycle).passed
    assert check_one_cycle(
        lambda t, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4:
        OneCycle(max_lr, total_steps, pct_start, div_factor, final_div_factor)(t))


def test_numpy_scalars_are_accepted():
    assert check_step_decay(lambda t, lr0, s, g: np.float64(lr0) * np.power(g, t // s)).passed


@pytest.mark.parametrize("check", [check_step_decay, check_cosine_warm_restarts, check_one_cycle])
def test_stubs_are_not_implemented_yet(check):
    result = check(stub)
    assert result.status == "todo" and not result.passed
    assert "not implemented yet" in result.message


# --------------------------------------------------------------------------- step decay mistakes


STEP_MISTAKES = {
    "counter starts at 1": lambda t, lr0, s, g: lr0 * g ** ((t + 1) // s),
    "no floor": lambda t, lr0, s, g: lr0 * g ** (t / s),
    "ceil instead of floor": lambda t, lr0, s, g: lr0 * g ** math.ceil(t / s),
    "gamma applied at every step": lambda t, lr0, s, g: lr0 * g ** t,
}


@pytest.mark.parametrize("name", list(STEP_MISTAKES))
def test_step_decay_mistakes_are_named(name):
    result = check_step_decay(STEP_MISTAKES[name])
    assert not result.passed and result.mistake == name
    assert result.details and result.details[0].startswith("on case")


def test_step_decay_unknown_error_gives_the_failing_case():
    result = check_step_decay(lambda t, lr0, s, g: lr0 * g ** (t // s) + 1e-3)
    assert not result.passed and result.mistake is None
    assert "wrong result on case 'first step, t = 0'" in result.message


# --------------------------------------------------------------------------- warm restarts mistakes


def _restarts(change):
    def wrong(t, lr0, T_0, T_mult=1, eta_min=0.0):
        T_cur, T_i = t, T_0
        if change == "no restart":
            return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * t / T_0)) / 2
        if change == "T_mult ignored":
            T_cur = t % T_0
        else:
            while T_cur >= T_i:
                T_cur -= T_i
                T_i *= T_mult
        if change == "eta_min ignored":
            return lr0 * (1 + math.cos(math.pi * T_cur / T_i)) / 2
        angle = 2 * math.pi if change == "full cosine period" else math.pi
        return eta_min + (lr0 - eta_min) * (1 + math.cos(angle * T_cur / T_i)) / 2
    return wrong


@pytest.mark.parametrize("name", ["no restart", "T_mult ignored", "eta_min ignored",
                                  "full cosine period"])
def test_warm_restart_mistakes_are_named(name):
    result = check_cosine_warm_restarts(_restarts(name))
    assert not result.passed and result.mistake == name


# --------------------------------------------------------------------------- one-cycle mistakes


def _one_cycle_wrong(change):
    def wrong(t, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
        if change == "div factors swapped":
            div_factor, final_div_factor = final_div_factor, div_factor
        initial = max_lr / div_factor
        final = initial if change == "ends at the starting rate" else initial / final_div_factor
        e1 = pct_start * total_steps - (0 if change == "peak one step late" else 1)
        e2 = total_steps - 1
        if change == "linear instead of cosine":
            anneal = lambda a, b, p: a + (b - a) * p  # noqa: E731
        else:
            anneal = _anneal
        if t <= e1:
            return anneal(initial, max_lr, t / e1)
        return anneal(max_lr, final, (t - e1) / (e2 - e1))
    return wrong


@pytest.mark.parametrize("name", ["peak one step late", "ends at the starting rate",
                                  "linear instead of cosine", "div factors swapped"])
def test_one_cycle_mistakes_are_named(name):
    result = check_one_cycle(_one_cycle_wrong(name))
    assert not result.passed and result.mistake == name


# --------------------------------------------------------------------------- broken functions


@pytest.mark.parametrize("check, n_args", [(check_step_decay, 4), (check_cosine_warm_restarts, 3),
                                           (check_one_cycle, 3)])
def test_raising_none_and_wrong_types_get_one_paragraph(check, n_args):
    def raises(*args):
        raise ZeroDivisionError("division by zero")

    result = check(raises)
    assert not result.passed and "raised ZeroDivisionError" in result.message
    assert "Traceback" not in str(result)

    result = check(lambda *args: None)
    assert not result.passed and "returned None" in result.message

    result = check(lambda *args: np.array([0.1, 0.2]))
    assert not result.passed and "expected a single number" in result.message

    result = check(lambda *args: float("nan"))
    assert not result.passed and "NaN" in result.message

    result = check(0.1)
    assert not result.passed and "Pass the function itself" in result.message
