"""Lesson 09's exercise checks: solutions pass, stubs are "not implemented", mistakes are named."""
import math

import numpy as np
import pytest

from nnlesson import init as library_init
from nnlesson.course.checks.weight_initialization import check_he_normal, check_xavier_uniform

# --------------------------------------------------------------------------- student versions


def xavier_uniform(shape, gain=1.0, rng=None):
    fan_in, fan_out = shape
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape)


def he_normal(shape, rng=None):
    fan_in = shape[0]
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


def test_student_solutions_and_the_library_pass():
    assert check_xavier_uniform(xavier_uniform).passed
    assert check_xavier_uniform(library_init.xavier_uniform).passed
    assert check_he_normal(he_normal).passed
    assert check_he_normal(library_init.he_normal).passed


def test_positional_low_high_call_passes_too():
    def positional(shape, gain=1.0, rng=None):
        a = gain * (6.0 / (shape[0] + shape[1])) ** 0.5
        return rng.uniform(-a, a, shape)

    assert check_xavier_uniform(positional).passed


@pytest.mark.parametrize("check", [check_xavier_uniform, check_he_normal])
def test_stubs_are_not_implemented_yet(check):
    result = check(stub)
    assert result.status == "todo" and "not implemented yet" in result.message


# --------------------------------------------------------------------------- Xavier mistakes


def xavier_std_as_bound(shape, gain=1.0, rng=None):
    a = gain * math.sqrt(2.0 / (shape[0] + shape[1]))
    return rng.uniform(-a, a, size=shape)


def xavier_no_sqrt(shape, gain=1.0, rng=None):
    a = gain * 6.0 / (shape[0] + shape[1])
    return rng.uniform(-a, a, size=shape)


def xavier_no_gain(shape, gain=1.0, rng=None):
    a = math.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-a, a, size=shape)


def xavier_fan_in_only(shape, gain=1.0, rng=None):
    a = gain * math.sqrt(6.0 / shape[0])
    return rng.uniform(-a, a, size=shape)


def xavier_fan_out_only(shape, gain=1.0, rng=None):
    a = gain * math.sqrt(6.0 / shape[1])
    return rng.uniform(-a, a, size=shape)


def xavier_transposed(shape, gain=1.0, rng=None):
    n_in, n_out = shape
    a = gain * math.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-a, a, size=(n_out, n_in))


def xavier_normal_instead(shape, gain=1.0, rng=None):
    std = gain * math.sqrt(2.0 / (shape[0] + shape[1]))
    return rng.normal(0.0, std, size=shape)


@pytest.mark.parametrize("student, mistake, words", [
    (xavier_std_as_bound, "std used as the uniform bound", "sqrt(3)"),
    (xavier_no_sqrt, "no square root in the bound", "square root"),
    (xavier_no_gain, "gain missing", "gain"),
    (xavier_fan_in_only, "fan_in only", "averages the two fans"),
    (xavier_fan_out_only, "fan_out only", "uses both fans"),
    (xavier_transposed, "shape transposed", "(n_in, n_out)"),
    (xavier_normal_instead, "normal instead of uniform", "rng.uniform"),
])
def test_xavier_mistakes_are_named(student, mistake, words):
    result = check_xavier_uniform(student)
    assert not result.passed and result.mistake == mistake
    assert words in result.message


def test_right_distribution_drawn_another_way_is_explained():
    def global_rng(shape, gain=1.0, rng=None):
        a = gain * math.sqrt(6.0 / (shape[0] + shape[1]))
        return np.random.default_rng(12345).uniform(-a, a, size=shape)

    result = check_xavier_uniform(global_rng)
    assert not result.passed and result.mistake is None
    assert "The spread is right" in result.message
    assert "rng.uniform(-a, a, size=shape)" in result.message


# --------------------------------------------------------------------------- He mistakes


def he_fan_out(shape, rng=None):
    return rng.normal(0.0, math.sqrt(2.0 / shape[1]), size=shape)


def he_variance_as_std(shape, rng=None):
    return rng.normal(0.0, 2.0 / shape[0], size=shape)


def he_no_gain(shape, rng=None):
    return rng.normal(0.0, 1.0 / math.sqrt(shape[0]), size=shape)


def he_xavier_formula(shape, rng=None):
    return rng.normal(0.0, math.sqrt(2.0 / (shape[0] + shape[1])), size=shape)


def he_transposed(shape, rng=None):
    return rng.normal(0.0, math.sqrt(2.0 / shape[0]), size=(shape[1], shape[0]))


@pytest.mark.parametrize("student, mistake, words", [
    (he_fan_out, "fan_out instead of fan_in", "fan_in = shape[0]"),
    (he_variance_as_std, "variance used as the standard deviation", "standard deviation"),
    (he_no_gain, "ReLU gain missing", "LeCun"),
    (he_xavier_formula, "Xavier's formula", "fan_in only"),
    (he_transposed, "shape transposed", "size=shape"),
])
def test_he_mistakes_are_named(student, mistake, words):
    result = check_he_normal(student)
    assert not result.passed and result.mistake == mistake
    assert words in result.message


# --------------------------------------------------------------------------- broken code


def test_raising_none_wrong_shape_wrong_dtype_and_nan_get_clear_messages():
    def raises(shape, rng=None):
        return rng.normal(0.0, math.sqrt(2.0 / shape[2]), size=shape)

    result = check_he_normal(raises)
    assert result.status == "fail" and "raised IndexError" in result.message
    assert "Traceback" not in result.message

    def returns_none(shape, rng=None):
        rng.normal(0.0, 1.0, size=shape)

    assert "returned None" in check_he_normal(returns_none).message

    def flat(shape, rng=None):
        return rng.normal(0.0, math.sqrt(2.0 / shape[0]), size=shape[0] * shape[1])

    assert "expected shape (400, 100), got shape (40000,)" in check_he_normal(flat).message

    def float32(shape, rng=None):
        return rng.normal(0.0, math.sqrt(2.0 / shape[0]), size=shape).astype(np.float32)

    assert "expected dtype float64, got dtype float32" in check_he_normal(float32).message

    def nan(shape, rng=None):
        return np.full(shape, np.nan)

    assert "NaN" in check_he_normal(nan).message


def test_passing_the_result_instead_of_the_function_is_told():
    """(The inputs are a tuple and a generator the function must advance: nothing to mutate.)"""
    result = check_he_normal(he_normal((3, 4), rng=np.random.default_rng(0)))
    assert not result.passed and "Pass the function itself" in result.message
