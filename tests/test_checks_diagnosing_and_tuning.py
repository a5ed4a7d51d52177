"""Lesson 14's exercise checks: solutions pass, stubs are to do, each named mistake is named."""
import numpy as np
import pytest

from nnlesson import tuning as T
from nnlesson.course.checks import diagnosing_and_tuning as C


def stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("check, good", [(C.check_range_test_lrs, T.range_test_lrs),
                                         (C.check_smooth_losses, T.smooth_losses),
                                         (C.check_range_test_stop, T.range_test_stop)])
def test_the_library_passes_and_a_stub_is_to_do(check, good):
    assert check(good).passed
    assert check(stub).status == "todo"


@pytest.mark.parametrize("check, wrong, name", [
    (C.check_range_test_lrs, lambda a, b, n: np.linspace(a, b, n), "linear instead of exponential"),
    (C.check_range_test_lrs, lambda a, b, n: a * (b / a) ** (np.arange(n) / n), "ends one step short"),
    (C.check_smooth_losses, lambda l, b: C._ema(l, b, correct=False), "no bias correction"),
    (C.check_smooth_losses, lambda l, b: C._ema(l, b, swap=True), "beta on the new loss"),
    (C.check_smooth_losses, lambda l, b: C._ema(l, b, shift=1), "correction exponent off by one"),
    (C.check_range_test_stop, lambda s, diverge_factor=4.0: C._stop_variant(s, diverge_factor, factor=1.0),
     "stops at any rise"),
])
def test_each_mistake_is_named(check, wrong, name):
    result = check(wrong)
    assert not result.passed and result.mistake == name


def test_diagnoses_right_wrong_and_unanswered():
    right = {k: fault for k, (fault, _) in C.MYSTERY_PATIENTS.items()}
    assert C.check_diagnoses(right).passed
    wrong = dict(right, D="lr_too_high")
    result = C.check_diagnoses(wrong)
    assert not result.passed and "gradients never zeroed" in result.details[0]
    assert C.check_diagnoses({}).status == "todo"


def test_max_lr_is_judged_against_the_curve():
    lrs = T.range_test_lrs(1e-4, 1.0, 41)
    x = np.log10(lrs)
    curve = 2.0 - 1.5 / (1 + np.exp(-3 * (x + 2)))
    curve[x > -1] += 5 * (x[x > -1] + 1) ** 2
    lr_min = T.suggest_lrs(lrs, curve)[0]
    assert C.check_max_lr(lr_min / 10, lrs, curve).passed
    assert C.check_max_lr(lr_min, lrs, curve).mistake == "at the minimum"
    assert C.check_max_lr(lr_min / 1000, lrs, curve).mistake == "too low"
