"""Lesson 07's exercise checks: solutions written the way students write them pass, the library
shortcut is caught, mistakes are named.

Every declared mistake of the four checks is fed to its check by the meta-test
(tests/test_checks_meta.py: each is diagnosed as itself, the cases tell them apart, every
defaulted argument is varied). Here: answers whose *form* matters (numpy scalars, a loop
instead of ``//``, a plan written with numpy), the messages' wording, what is not a wrong value,
and the references against PyTorch's schedulers.
"""
import math

import numpy as np
import pytest
import torch

from nnlesson.course.checks.learning_rate_schedules import (
    ONE_CYCLE,
    PLAN,
    STEP_DECAY,
    WARM_RESTARTS,
    check_cosine_warm_restarts,
    check_one_cycle,
    check_scaled_plan,
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


def scaled_plan(n_train, batch_size, epochs, base_lr, base_batch_size, warmup_epochs):
    per_epoch = math.ceil(n_train / batch_size)
    peak = base_lr * batch_size / base_batch_size
    return peak, base_lr / peak, warmup_epochs * per_epoch, epochs * per_epoch


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


# --------------------------------------------------------------------------- references


def test_the_references_are_pytorchs_schedulers():
    """The library's schedules the checks use, against torch.optim.lr_scheduler on every case."""
    def torch_rates(make, n):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        sched = make(opt)
        rates = []
        for _ in range(n):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return rates

    for case in STEP_DECAY.get_cases():
        t, lr0, step_size, gamma = case.args
        expected = torch_rates(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size, gamma),
                               t + 1)[t] * lr0
        assert STEP_DECAY.reference(t, lr0, step_size, gamma) == pytest.approx(expected)
    for case in WARM_RESTARTS.get_cases():
        t, lr0, T_0, *rest = case.args
        T_mult, eta_min = (rest + [1, 0.0][len(rest):])[:2]

        def make(o, T_0=T_0, T_mult=T_mult, eta_min=eta_min, lr0=lr0):
            o.param_groups[0]["lr"] = lr0
            o.param_groups[0]["initial_lr"] = lr0
            return torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0, T_mult,
                                                                        eta_min)
        expected = torch_rates(make, t + 1)[t]
        assert WARM_RESTARTS.reference(*case.args) == pytest.approx(expected, rel=1e-9)
    for case in ONE_CYCLE.get_cases():
        t, max_lr, total, *rest = case.args
        names = ("pct_start", "div_factor", "final_div_factor")
        kw = dict(zip(names, rest))
        expected = torch_rates(lambda o: torch.optim.lr_scheduler.OneCycleLR(
            o, max_lr, total_steps=total, anneal_strategy="cos", cycle_momentum=False, **kw),
            t + 1)[t]
        assert ONE_CYCLE.reference(*case.args) == pytest.approx(expected, rel=1e-9)


def test_the_plans_reference_by_hand():
    # the digits: 1257 images in batches of 128 is 9 full batches and one of 105: 10 updates
    assert PLAN.reference(1257, 128, 10, 0.02, 16, 2) == (0.16, 0.125, 20, 100)
    # Goyal et al.: batches of 8192 from 256 at rate 0.1 give 3.2, and 157 updates per epoch
    peak, start, warm, total = PLAN.reference(1281167, 8192, 90, 0.1, 256, 5)
    assert peak == pytest.approx(3.2) and start == pytest.approx(1 / 32)
    assert (warm, total) == (5 * 157, 90 * 157)


# --------------------------------------------------------------------------- passing


def test_student_solutions_pass():
    assert check_step_decay(step_decay).passed
    assert check_cosine_warm_restarts(cosine_warm_restarts).passed
    assert check_one_cycle(one_cycle).passed
    assert check_scaled_plan(scaled_plan).passed


def test_other_forms_pass():
    def drops_by_loop(t, lr0, step_size, gamma):
        lr = lr0
        for s in range(step_size, t + 1, step_size):
            lr *= gamma
        return lr

    def numpy_plan(n_train, batch_size, epochs, base_lr, base_batch_size, warmup_epochs):
        k = batch_size / base_batch_size
        per_epoch = int(np.ceil(n_train / batch_size))
        return base_lr * k, 1 / k, warmup_epochs * per_epoch, epochs * per_epoch

    assert check_step_decay(drops_by_loop).passed
    assert check_step_decay(lambda t, lr0, s, g: np.float64(lr0) * np.power(g, t // s)).passed
    assert check_scaled_plan(numpy_plan).passed


@pytest.mark.parametrize("check", [check_step_decay, check_cosine_warm_restarts, check_one_cycle,
                                   check_scaled_plan])
def test_stubs_are_not_implemented_yet(check):
    result = check(stub)
    assert result.status == "todo" and not result.passed
    assert "not implemented yet" in result.message


# --------------------------------------------------------------------------- the library shortcut


@pytest.mark.parametrize("check, student", [
    (check_step_decay, lambda t, lr0, step_size, gamma: StepDecay(lr0, step_size, gamma)(t)),
    (check_cosine_warm_restarts, lambda t, lr0, T_0, T_mult=1, eta_min=0.0:
        CosineWarmRestarts(lr0, T_0, T_mult, eta_min)(t)),
    (check_one_cycle, lambda t, max_lr, total_steps, pct_start=0.3, div_factor=25.0,
        final_div_factor=1e4: OneCycle(max_lr, total_steps, pct_start, div_factor,
                                       final_div_factor)(t)),
])
def test_calling_the_librarys_schedule_is_caught(check, student):
    result = check(student)
    assert result.status == "fail" and result.mistake == "calls the library"
    assert "calls nnlesson.schedules." in result.message


# --------------------------------------------------------------------------- messages


def test_an_unknown_error_gives_the_failing_case():
    result = check_step_decay(lambda t, lr0, s, g: lr0 * g ** (t // s) + 1e-3)
    assert not result.passed and result.mistake is None
    assert "wrong result on case 'first step, t = 0'" in result.message


def test_a_hint_pointer_ends_the_message():
    result = check_scaled_plan(lambda n, b, e, lr, b0, w: (lr * b / b0, b0 / b, w, e))
    assert result.mistake == "lengths in epochs, not updates"
    assert result.message.endswith("Hint 1 above gives the idea.")


def test_lengths_counted_with_numpy_floats_are_named():
    def floats(n_train, batch_size, epochs, base_lr, base_batch_size, warmup_epochs):
        per_epoch = np.ceil(n_train / batch_size)
        peak = base_lr * batch_size / base_batch_size
        return peak, base_lr / peak, warmup_epochs * per_epoch, epochs * per_epoch

    assert check_scaled_plan(floats).mistake == "a float, not an int"


def test_the_common_restart_loop_written_the_other_way_round_is_named():
    def grown_first(t, lr0, T_0, T_mult=1, eta_min=0.0):
        T_cur, T_i = t, T_0
        while T_cur >= T_i:
            T_i *= T_mult
            T_cur -= T_i
        return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2

    assert check_cosine_warm_restarts(grown_first).mistake == "cycle grown before it is subtracted"


# --------------------------------------------------------------------------- broken functions


@pytest.mark.parametrize("check", [check_step_decay, check_cosine_warm_restarts, check_one_cycle])
def test_raising_none_and_wrong_types_get_one_paragraph(check):
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


# --------------------------------------------------------------------------- more families


def drops_times_gamma(t, lr0, step_size, gamma):
    drops = t // step_size
    if drops == 0:
        return lr0
    return lr0 * drops * gamma  # "gamma times the drops"


def restarts_with_bare_cosine(t, lr0, T_0, T_mult=1, eta_min=0.0):
    T_i = T_0
    while t >= T_i:
        t -= T_i
        T_i *= T_mult
    return eta_min + (lr0 - eta_min) * math.cos(math.pi * t / T_i)


def restarts_falling_linearly(t, lr0, T_0, T_mult=1, eta_min=0.0):
    cycle_len, pos = T_0, t
    while pos >= cycle_len:
        pos, cycle_len = pos - cycle_len, cycle_len * T_mult
    return lr0 - (lr0 - eta_min) * pos / cycle_len


def one_cycle_div_factor_twice(t, max_lr, total_steps, pct_start=0.3, div_factor=25.0,
                               final_div_factor=1e4):
    low = max_lr / div_factor
    last = low / div_factor  # the wrong factor
    peak_at, end_at = pct_start * total_steps - 1, total_steps - 1
    if t <= peak_at:
        a, b, p = low, max_lr, t / peak_at
    else:
        a, b, p = max_lr, last, (t - peak_at) / (end_at - peak_at)
    return b + (a - b) * (1 + math.cos(math.pi * p)) / 2


@pytest.mark.parametrize("check, student, mistake", [
    (check_step_decay, drops_times_gamma,
     "a product where a power is meant, from the first drop on"),
    (check_cosine_warm_restarts, restarts_with_bare_cosine,
     "the cosine alone, without (1 + ...) / 2"),
    (check_cosine_warm_restarts, restarts_falling_linearly, "linear instead of cosine"),
    (check_cosine_warm_restarts,
     lambda t, lr0, T_0, T_mult=1, eta_min=0.0: restarts_falling_linearly(t % T_0, lr0, T_0, 1,
                                                                          eta_min),
     "T_mult ignored + linear instead of cosine"),
    (check_one_cycle, one_cycle_div_factor_twice, "final rate divided by div_factor"),
])
def test_more_families_are_named(check, student, mistake):
    result = check(student)
    assert result.status == "fail" and result.mistake == mistake, str(result)
    assert "Hint" in result.message


def sqrt_rule_plan(n_train, batch_size, epochs, base_lr, base_batch_size, warmup_epochs):
    k = batch_size / base_batch_size
    per_epoch = math.ceil(n_train / batch_size)
    return base_lr * k**0.5, 1 / k, warmup_epochs * per_epoch, epochs * per_epoch


def unscaled_plan(n_train, batch_size, epochs, base_lr, base_batch_size, warmup_epochs):
    k = batch_size / base_batch_size
    per_epoch = -(-n_train // batch_size)
    return base_lr, 1 / k, warmup_epochs * per_epoch, epochs * per_epoch


@pytest.mark.parametrize("check, student, mistake", [
    (check_step_decay, lambda t, lr0, step_size, gamma: lr0 / gamma ** (t // step_size),
     "divided by gamma"),
    (check_scaled_plan, sqrt_rule_plan, "square-root scaling, start factor 1 / k"),
    (check_scaled_plan, unscaled_plan, "rate not scaled, start factor 1 / k"),
])
def test_a_division_and_the_start_factor_of_another_rule_are_named(check, student, mistake):
    result = check(student)
    assert result.status == "fail" and result.mistake == mistake, str(result)
    assert result.message.endswith("Hint 2 above gives the formula.")


@pytest.mark.parametrize("student, mistake", [
    (lambda t, lr0, step_size, gamma: lr0 * 0.1 ** (t // 30),
     "step_size and gamma fixed at the example's 30 and 0.1"),
    (lambda t, lr0, step_size, gamma: 0.1 * 0.1 ** (t // 30), "the tutorial's example written in"),
    (lambda t, lr0, step_size, gamma: lr0 * gamma ** (t // 30),
     "step_size fixed at the example's 30"),
])
def test_the_tutorials_example_written_in_is_named(student, mistake):
    result = check_step_decay(student)
    assert result.mistake == mistake, str(result)
