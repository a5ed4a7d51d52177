"""Lesson 06's exercise checks: solutions pass, stubs are "not implemented", mistakes are named.

Every wrong implementation below is written the way a student would write it; each must fail
with exactly the diagnosis the check names for that mistake.
"""
import numpy as np
import pytest

from nnlesson.course.checks.adam_and_adamw import check_adam_update, check_adamw_update
from nnlesson.optim import adam_update as library_adam

# --------------------------------------------------------------------------- student versions


def adam_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adamw_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    w = w * (1 - lr * weight_decay)
    return adam_update(w, g, m, v, t, lr, beta1, beta2, eps)


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


# --------------------------------------------------------------------------- passing


def test_student_solutions_pass():
    assert check_adam_update(adam_update).passed
    assert check_adamw_update(adamw_update).passed


def test_the_library_passes():
    def lib_adam(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        return library_adam(w, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)[:3]

    def lib_adamw(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        return library_adam(w, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                            weight_decay=weight_decay, decoupled_weight_decay=True)[:3]

    assert check_adam_update(lib_adam).passed
    assert check_adamw_update(lib_adamw).passed


def test_pytorch_order_of_operations_passes():
    """(lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps) is the same step, written differently."""
    def torch_order(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        bc1, bc2 = 1 - beta1**t, 1 - beta2**t
        return w - (lr / bc1) * m / (np.sqrt(v) / np.sqrt(bc2) + eps), m, v

    assert check_adam_update(torch_order).passed


@pytest.mark.parametrize("check", [check_adam_update, check_adamw_update])
def test_stubs_are_not_implemented_yet(check):
    result = check(stub)
    assert result.status == "todo" and not result.passed
    assert "not implemented yet" in result.message


# --------------------------------------------------------------------------- Adam mistakes


def no_bias_correction(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * m / (np.sqrt(v) + eps), m, v


def corrects_m_only(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * (m / (1 - beta1**t)) / (np.sqrt(v) + eps), m, v


def corrects_v_only(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * m / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


def counter_from_zero(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    step = t - 1  # "the first step is step 0"
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**step)
    v_hat = v / (1 - beta2**step)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def counter_plus_one(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** (t + 1))
    v_hat = v / (1 - beta2 ** (t + 1))
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def eps_inside(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return w - lr * m_hat / np.sqrt(v_hat + eps), m, v


def no_one_minus_beta1(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def no_one_minus_beta2(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + g**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def v_not_squared(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def no_sqrt(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return w - lr * m_hat / (v_hat + eps), m, v


def stores_hats(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m = m / (1 - beta1**t)
    v = v / (1 - beta2**t)
    return w - lr * m / (np.sqrt(v) + eps), m, v


@pytest.mark.parametrize("student, mistake", [
    (no_bias_correction, "no bias correction"),
    (corrects_m_only, "bias correction of m only"),
    (corrects_v_only, "bias correction of v only"),
    (counter_from_zero, "step counter starting at 0"),
    (counter_plus_one, "step counter shifted by one"),
    (eps_inside, "eps inside the square root"),
    (no_one_minus_beta1, "(1 - beta1) missing"),
    (no_one_minus_beta2, "(1 - beta2) missing"),
    (v_not_squared, "gradient not squared in v"),
    (no_sqrt, "no square root"),
    (stores_hats, "m_hat stored as m"),
])
def test_adam_mistakes_are_named(student, mistake):
    with np.errstate(all="ignore"):
        result = check_adam_update(student)
    assert result.status == "fail" and result.mistake == mistake, str(result)


def test_the_no_bias_correction_message_does_not_say_tiny_first_step():
    result = check_adam_update(no_bias_correction)
    assert "3.16" in result.message and "not tiny" in result.message


def test_a_zero_first_step_counter_is_reported_as_such_not_as_nan():
    with np.errstate(all="ignore"):
        result = check_adam_update(counter_from_zero)
    assert "t = 1" in result.message and "divides by zero" in result.message


# --------------------------------------------------------------------------- AdamW mistakes


def adamw_as_l2(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    return adam_update(w, g + weight_decay * w, m, v, t, lr, beta1, beta2, eps)


def adamw_no_lr(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    w = w - weight_decay * w
    return adam_update(w, g, m, v, t, lr, beta1, beta2, eps)


def adamw_after(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    w, m, v = adam_update(w, g, m, v, t, lr, beta1, beta2, eps)
    return w * (1 - lr * weight_decay), m, v


def adamw_in_denominator(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                         weight_decay=1e-2):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return w - lr * (m_hat + weight_decay * w) / (np.sqrt(v_hat) + eps), m, v


def adamw_corrected_lr(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                       weight_decay=1e-2):
    step_size = lr / (1 - beta1**t)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    w = w - step_size * weight_decay * w
    return w - step_size * m / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


def adamw_wrong_sign(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                     weight_decay=1e-2):
    return adam_update(w + lr * weight_decay * w, g, m, v, t, lr, beta1, beta2, eps)


def adamw_no_decay(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    return adam_update(w, g, m, v, t, lr, beta1, beta2, eps)


def adamw_no_bias_correction(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                             weight_decay=1e-2):
    return no_bias_correction(w * (1 - lr * weight_decay), g, m, v, t, lr, beta1, beta2, eps)


def adamw_counter_from_zero(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                            weight_decay=1e-2):
    return counter_from_zero(w * (1 - lr * weight_decay), g, m, v, t, lr, beta1, beta2, eps)


def adamw_eps_inside(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                     weight_decay=1e-2):
    return eps_inside(w * (1 - lr * weight_decay), g, m, v, t, lr, beta1, beta2, eps)


def adamw_no_one_minus_beta1(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                             weight_decay=1e-2):
    return no_one_minus_beta1(w * (1 - lr * weight_decay), g, m, v, t, lr, beta1, beta2, eps)


def adamw_no_one_minus_beta2(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                             weight_decay=1e-2):
    return no_one_minus_beta2(w * (1 - lr * weight_decay), g, m, v, t, lr, beta1, beta2, eps)


@pytest.mark.parametrize("student, mistake", [
    (adamw_as_l2, "weight decay added to the gradient"),
    (adamw_no_lr, "decay not multiplied by lr"),
    (adamw_after, "decay applied after the Adam step"),
    (adamw_in_denominator, "decay divided by the adaptive denominator"),
    (adamw_corrected_lr, "decay multiplied by the bias-corrected lr"),
    (adamw_wrong_sign, "decay with the wrong sign"),
    (adamw_no_decay, "no weight decay"),
    (adamw_no_bias_correction, "no bias correction"),
    (adamw_counter_from_zero, "step counter starting at 0"),
    (adamw_eps_inside, "eps inside the square root"),
    (adamw_no_one_minus_beta1, "(1 - beta1) missing"),
    (adamw_no_one_minus_beta2, "(1 - beta2) missing"),
])
def test_adamw_mistakes_are_named(student, mistake):
    with np.errstate(all="ignore"):
        result = check_adamw_update(student)
    assert result.status == "fail" and result.mistake == mistake, str(result)


def test_the_l2_message_explains_the_difference():
    result = check_adamw_update(adamw_as_l2)
    assert "L2" in result.message and "sqrt(v_hat)" in result.message
    assert "w = w * (1 - lr * weight_decay)" in result.message


# --------------------------------------------------------------------------- broken functions


def returns_two(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return adam_update(w, g, m, v, t, lr, beta1, beta2, eps)[:2]


def wrong_shape(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, m, v = adam_update(w, g, m, v, t, lr, beta1, beta2, eps)
    return w, m.sum(), v


def mutates(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m *= beta1
    m += (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


def returns_nan(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, m, v = adam_update(w, g, m, v, t, lr, beta1, beta2, eps)
    return w, m, v * np.nan


def test_too_few_outputs_are_reported():
    result = check_adam_update(returns_two)
    assert result.status == "fail" and "expected 3 outputs, got 2" in result.message


def test_a_wrong_shape_is_reported():
    result = check_adam_update(wrong_shape)
    assert result.status == "fail" and "(`m`)" in result.message
    assert "expected a numpy array of shape (5,)" in result.message


def test_changing_an_input_in_place_is_reported():
    result = check_adam_update(mutates)
    assert result.status == "fail" and "changed its input `m` in place" in result.message


def test_nan_is_reported():
    result = check_adam_update(returns_nan)
    assert result.status == "fail" and "NaN" in result.message and "(`v`)" in result.message
