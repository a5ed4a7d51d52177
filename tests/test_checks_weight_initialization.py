"""Lesson 09's exercise checks: answers in several forms pass, the rest is named.

Every declared mistake of ``XAVIER``, ``HE`` and ``GAIN`` is fed to its check by the meta-test
(tests/test_checks_meta.py). Here: answers whose *form* matters (positional arguments,
``standard_normal`` times the std, a loop), draws from another generator (the spread is right,
the numbers are not), the library caught, a gain measured on other samples.
"""
import math

import numpy as np
import pytest
import torch

from nnlesson import init as library_init
from nnlesson.course.checks.weight_initialization import (
    GAIN,
    check_gain_for,
    check_he_normal,
    check_xavier_uniform,
)

# --------------------------------------------------------------------------- student versions


def xavier_uniform(shape, gain=1.0, rng=None):
    fan_in, fan_out = shape
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape)


def he_normal(shape, rng=None):
    fan_in = shape[0]
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)


def gain_for(activation, z):
    return 1 / np.sqrt(np.mean(activation(z) ** 2))


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


def test_student_solutions_pass():
    assert check_xavier_uniform(xavier_uniform).passed
    assert check_he_normal(he_normal).passed
    assert check_gain_for(gain_for).passed


def test_other_forms_of_the_same_answers_pass():
    def positional(shape, gain=1.0, rng=None):
        a = gain * (6.0 / (shape[0] + shape[1])) ** 0.5
        return rng.uniform(-a, a, shape)

    def scaled_standard_normal(shape, rng=None):  # numpy's normal is loc + scale * standard_normal
        return math.sqrt(2.0 / shape[0]) * rng.standard_normal(shape)

    def looped_gain(activation, z):
        total = 0.0
        for value in activation(z):
            total += value * value
        return (len(z) / total) ** 0.5

    assert check_xavier_uniform(positional).passed
    assert check_he_normal(scaled_standard_normal).passed
    assert check_gain_for(looped_gain).passed


def test_the_library_is_caught():
    for check, library in ((check_xavier_uniform, library_init.xavier_uniform),
                           (check_he_normal, library_init.he_normal)):
        result = check(library)
        assert result.mistake == "calls the library"


@pytest.mark.parametrize("check", [check_xavier_uniform, check_he_normal, check_gain_for])
def test_stubs_are_not_implemented_yet(check):
    result = check(stub)
    assert result.status == "todo" and "not implemented yet" in result.message


# --------------------------------------------------------------------------- draws and samples


def test_the_right_spread_from_another_generator_is_said_so():
    def global_random(shape, gain=1.0, rng=None):
        a = gain * math.sqrt(6.0 / (shape[0] + shape[1]))
        return np.random.default_rng(12345).uniform(-a, a, size=shape)

    result = check_xavier_uniform(global_random)
    assert not result.passed and "The spread is right" in result.message
    assert "rng.uniform(-a, a, size=shape)" in result.message


def test_a_gain_measured_on_new_samples_is_said_so():
    def fresh_samples(activation, z):
        new = np.random.default_rng(7).standard_normal(len(z))
        return float(1 / np.sqrt(np.mean(activation(new) ** 2)))

    result = check_gain_for(fresh_samples)
    assert not result.passed and "if you drew new random numbers, measure on the sample z you " \
        "are given" in result.message
    assert "within 3 % of the right gain" in result.message


def test_a_gain_close_to_the_right_one_is_not_blamed_on_the_samples_for_sure():
    """The unbiased std of f(z) is within 3 % too: the message may not claim other samples."""
    def unbiased(activation, z):
        return float(1 / np.sqrt(np.var(activation(z), ddof=1) + np.mean(activation(z)) ** 2))

    result = check_gain_for(unbiased)
    assert not result.passed and "your formula looks right" not in result.message
    assert "look for a small difference in the formula" in result.message


def test_float32_weights_are_told_the_dtype_not_the_generator():
    def float32(shape, gain=1.0, rng=None):
        a = gain * math.sqrt(6.0 / (shape[0] + shape[1]))
        return rng.uniform(-a, a, size=shape).astype(np.float32)

    result = check_xavier_uniform(float32)
    assert not result.passed and "expected dtype float64, got dtype float32" in result.message
    assert "The spread is right" not in result.message


def test_the_gain_reference_agrees_with_pytorch_where_pytorch_derives_it():
    """ReLU: sqrt(2) (He et al. 2015), a linear layer: 1 (torch.nn.init.calculate_gain)."""
    cases = {c.label: c.args for c in GAIN.get_cases()}
    relu = GAIN.reference(*cases["ReLU, 20000 samples"])
    linear = GAIN.reference(*cases["a linear layer (the identity), 500 samples"])
    assert relu == pytest.approx(torch.nn.init.calculate_gain("relu"), rel=0.02)
    assert linear == pytest.approx(torch.nn.init.calculate_gain("linear"), rel=1e-12)
    tanh = GAIN.reference(*cases["tanh, 20000 samples"])
    assert 1.55 < tanh < torch.nn.init.calculate_gain("tanh")  # 5/3 is a little above


def test_the_gain_keeps_the_variance_of_a_wide_layer():
    """What the gain means, measured: z_next = tanh(z) @ W with Var(W) = gain^2 / n_in."""
    rng = np.random.default_rng(3)
    z = rng.standard_normal((4000, 300))
    gain = GAIN.reference(np.tanh, z.ravel())
    W = rng.normal(0.0, gain / math.sqrt(300), (300, 300))
    assert np.var(np.tanh(z) @ W) == pytest.approx(1.0, abs=0.02)


# --------------------------------------------------------------------------- named families
# Wrong answers written as students write them (not the declared wrong functions): each must get
# the name of what it did.


def _xavier_torch_layout(shape, gain=1.0, rng=None):  # PyTorch's (out, in), then .T
    n_in, n_out = shape
    bound = gain * (6 / (n_in + n_out)) ** 0.5
    return rng.uniform(-bound, bound, (n_out, n_in)).T


def _xavier_fan_in_no_gain(shape, gain=1.0, rng=None):
    bound = np.sqrt(6 / shape[0])
    return rng.uniform(-bound, bound, size=shape)


def _he_torch_layout(shape, rng=None):
    return rng.normal(0.0, np.sqrt(2 / shape[0]), size=shape[::-1]).T


def _he_variance_over_fan_out(shape, rng=None):  # the fan read PyTorch's way, variance as scale
    return rng.normal(0.0, 2 / shape[1], size=shape)


def _he_lecun_variance(shape, rng=None):
    return rng.normal(0.0, 1 / shape[0], size=shape)


def _gain_from_tanh_slope(activation, z):
    y = activation(z)
    return float(1 / np.mean(1 - y ** 2))


def _gain_fixed(activation, z):
    return 5 / 3


def _gain_as_array(activation, z):
    h = activation(z)
    return 1 / np.sqrt((h ** 2).mean(keepdims=True)).reshape(1)


def _xavier_without_parentheses(shape, gain=1.0, rng=None):
    fan_in, fan_out = shape
    limit = math.sqrt(6 / fan_in + fan_out) * gain
    return rng.uniform(-limit, limit, size=shape)


def _gain_printed_precision(activation, z):
    return round(1 / math.sqrt(np.mean(np.square(activation(z)))), 3)


@pytest.mark.parametrize("check, answer, name", [
    (check_xavier_uniform, _xavier_without_parentheses, "parentheses missing"),
    (check_gain_for, _gain_printed_precision, "rounded"),
    (check_xavier_uniform, _xavier_torch_layout, "drawn transposed"),
    (check_xavier_uniform, _xavier_fan_in_no_gain, "fan_in only + gain missing"),
    (check_he_normal, _he_torch_layout, "drawn transposed"),
    (check_he_normal, _he_variance_over_fan_out,
     "fan_out instead of fan_in + variance used as the standard deviation"),
    (check_he_normal, _he_lecun_variance,
     "ReLU gain missing + variance used as the standard deviation"),
    (check_gain_for, _gain_from_tanh_slope, "slope instead of the output"),
    (check_gain_for, _gain_fixed, "PyTorch's 5/3 for every activation"),
    (check_gain_for, _gain_as_array, "an array, not a float"),
], ids=lambda x: getattr(x, "__name__", None) if callable(x) else None)
def test_a_wrong_answer_is_named(check, answer, name):
    with np.errstate(all="ignore"):
        result = check(answer)
    assert not result.passed and result.mistake == name, (result.mistake, result.message)
