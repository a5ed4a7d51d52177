"""Lesson 06's exercise checks: solutions in several forms pass, the library shortcut is caught,
mistakes are named.

Every declared mistake of ``ADAM`` and ``ADAMW`` is fed to its check by the meta-test
(tests/test_checks_meta.py: each is diagnosed as itself, the cases tell them apart). Here:
answers written the way students write them, where the *form* matters (a loop instead of
``**``, a counter renamed, copies updated in place, PyTorch's order of operations), the
messages' wording, and what is not a wrong value (too few outputs, inputs changed, NaN, the
library called).
"""
import math

import numpy as np
import pytest

from nnlesson.course.checks.adam_and_adamw import (ADAM, ADAMW, L2_DRIFT, check_adam_l2_drift,
                                                   check_adam_update, check_adamw_update)
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


def test_pytorch_order_of_operations_passes():
    """(lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps) is the same step, written differently."""
    def torch_order(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        bc1, bc2 = 1 - beta1**t, 1 - beta2**t
        return w - (lr / bc1) * m / (np.sqrt(v) / np.sqrt(bc2) + eps), m, v

    assert check_adam_update(torch_order).passed


def test_copies_updated_in_place_and_a_power_loop_pass():
    def careful(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        w, m, v = w.copy(), m.copy(), v.copy()
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * np.square(g)
        p1 = p2 = 1.0
        for _ in range(t):
            p1 *= beta1
            p2 *= beta2
        w -= lr * (m / (1 - p1)) / (np.sqrt(v / (1 - p2)) + eps)
        return w, m, v

    assert check_adam_update(careful).passed


def test_adamw_decaying_the_old_weights_inside_the_step_passes():
    """w - lr * (step + weight_decay * w) is the same update as shrinking first."""
    def one_line(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        step = (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        return w - lr * (step + weight_decay * w), m, v

    assert check_adamw_update(one_line).passed


@pytest.mark.parametrize("check", [check_adam_update, check_adamw_update, check_adam_l2_drift])
def test_stubs_are_not_implemented_yet(check):
    result = check(stub)
    assert result.status == "todo" and not result.passed
    assert "not implemented yet" in result.message


# --------------------------------------------------------------------------- the cases


@pytest.mark.parametrize("declared", [ADAM, ADAMW], ids=["adam", "adamw"])
def test_every_hyperparameter_is_varied_and_the_edge_cases_are_there(declared):
    cases = declared.get_cases()
    kwargs = [c.kwargs for c in cases]
    assert any(k.get("eps", 1e-8) != 1e-8 for k in kwargs)
    assert any(k.get("beta1", 0.9) != 0.9 for k in kwargs)
    assert any(k.get("beta2", 0.999) != 0.999 for k in kwargs)
    assert any(k.get("lr", 1e-3) != 1e-3 for k in kwargs)
    steps = [c.args[4] for c in cases]
    assert 1 in steps and max(steps) >= 1000
    first = cases[steps.index(1)]
    assert not first.args[2].any() and not first.args[3].any()  # zero moments
    assert (first.args[1] == 0).any()  # a zero gradient: v_hat = 0 there
    if declared is ADAMW:
        decays = [k["weight_decay"] for k in kwargs]
        assert 0.0 in decays and len(set(decays)) == len(decays)


# --------------------------------------------------------------------------- forms of mistakes


def counter_from_zero(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    step = t - 1  # "the first step is step 0"
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps), m, v


def power_loop_one_short(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    p1 = p2 = 1.0
    for _ in range(1, t):  # one multiplication short
        p1 *= beta1
        p2 *= beta2
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * (m / (1 - p1)) / (np.sqrt(v / (1 - p2)) + eps), m, v


def increments_t_first(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t += 1  # "advance the step counter"
    return adam_update(w, g, m, v, t, lr, beta1, beta2, eps)


def no_bias_correction(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * m / (np.sqrt(v) + eps), m, v


def adamw_as_l2(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    return adam_update(w, g + weight_decay * w, m, v, t, lr, beta1, beta2, eps)


@pytest.mark.parametrize("check, student, mistake", [
    (check_adam_update, counter_from_zero, "step counter starting at 0"),
    (check_adam_update, power_loop_one_short, "step counter starting at 0"),
    (check_adam_update, increments_t_first, "step counter shifted by one"),
    (check_adamw_update, lambda w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
     weight_decay=1e-2: increments_t_first(w * (1 - lr * weight_decay), g, m, v, t, lr, beta1,
                                           beta2, eps), "step counter shifted by one"),
])
def test_the_same_mistake_in_other_forms_is_named(check, student, mistake):
    with np.errstate(all="ignore"):
        result = check(student)
    assert result.status == "fail" and result.mistake == mistake, str(result)


def test_the_no_bias_correction_message_does_not_say_tiny_first_step():
    result = check_adam_update(no_bias_correction)
    assert "3.16" in result.message and "not tiny" in result.message
    assert result.message.endswith("Hint 2 above gives the formula.")


def test_a_zero_first_step_counter_is_reported_as_such_not_as_nan():
    with np.errstate(all="ignore"):
        result = check_adam_update(counter_from_zero)
    assert "t = 1" in result.message and "divides by zero" in result.message


def test_the_l2_message_explains_the_difference():
    result = check_adamw_update(adamw_as_l2)
    assert result.mistake == "weight decay added to the gradient"
    assert "L2" in result.message and "sqrt(v_hat)" in result.message
    assert "w = w * (1 - lr * weight_decay)" in result.message
    assert result.message.endswith("Hint 1 above gives the idea.")


def test_two_mistakes_at_once_are_both_named():
    def two(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        return w - lr * m / np.sqrt(v + eps), m, v  # no correction, eps inside the root

    result = check_adam_update(two)
    assert result.mistake == "no bias correction + eps inside the square root"
    assert result.message.startswith("Two mistakes at once. First, m and v are not "
                                     "bias-corrected")
    assert "Second, eps is inside the square root" in result.message


def test_an_adam_mistake_inside_adamw_is_named_with_the_decay_right():
    def decay_right_but_no_sqrt(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                                weight_decay=1e-2):
        w = w * (1 - lr * weight_decay)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        return w - lr * (m / (1 - beta1**t)) / (v / (1 - beta2**t) + eps), m, v

    assert check_adamw_update(decay_right_but_no_sqrt).mistake == "no square root"


# --------------------------------------------------------------------------- generic diagnoses


def test_outputs_in_the_wrong_order_are_named():
    result = check_adam_update(lambda *a, **k: (lambda w, m, v: (w, v, m))(*adam_update(*a, **k)))
    assert result.mistake == "outputs in the wrong order"
    assert "you return (w, v, m); return (w, m, v)" in result.message


def test_a_hard_coded_hyperparameter_is_named():
    def fixed_beta2(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        return adam_update(w, g, m, v, t, lr, beta1, 0.999, eps)

    result = check_adam_update(fixed_beta2)
    assert result.mistake == "ignores beta2"
    assert "`beta2` = 0.999 (its default)" in result.message


def test_a_product_where_a_power_is_meant_points_at_the_line():
    def times_t(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 * t)
        v_hat = v / (1 - beta2 * t)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v

    with np.errstate(all="ignore"):
        result = check_adam_update(times_t)
    assert result.mistake == "a product where a power is meant"
    assert "`beta1 * t` should be `beta1 ** t`" in result.message
    assert "`beta2 * t` should be `beta2 ** t`" in result.message


# --------------------------------------------------------------------------- not wrong values


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


def test_math_sqrt_on_an_array_gets_advice():
    def with_math(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        return w - lr * (m / (1 - beta1**t)) / (math.sqrt(v / (1 - beta2**t)) + eps), m, v

    result = check_adam_update(with_math)
    assert "TypeError" in result.message and "np.sqrt" in result.message


def test_caret_for_a_power_gets_advice():
    def with_caret(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        return w - lr * (m / (1 - beta1 ^ t)) / (np.sqrt(v / (1 - beta2 ^ t)) + eps), m, v

    result = check_adam_update(with_caret)
    assert "`^` is bitwise XOR, not a power: write `**`" in result.message


# --------------------------------------------------------------------------- the library shortcut


def test_calling_the_library_rule_is_caught():
    def lib_adam(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        return library_adam(w, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)[:3]

    def lib_adamw(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        return library_adam(w, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                            weight_decay=weight_decay, decoupled_weight_decay=True)[:3]

    for check, student, own in [(check_adam_update, lib_adam, "adam_update"),
                                (check_adamw_update, lib_adamw, "adamw_update")]:
        result = check(student)
        assert result.status == "fail" and result.mistake == "calls the library"
        assert result.message.startswith("your function calls nnlesson.optim.adam_update, the "
                                         "library's own implementation of this exercise: write "
                                         f"`{own}` yourself")


@pytest.mark.parametrize("optimizer", ["Adam", "AdamW"])
def test_calling_an_optimizer_class_is_caught(optimizer):
    import nnlesson as nl

    def with_class(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        p = nl.Parameter(np.array(w, dtype=float))
        p.grad = np.array(g, dtype=float)
        opt = getattr(nl.optim, optimizer)([p], lr=lr, betas=(beta1, beta2), eps=eps,
                                           weight_decay=weight_decay)
        state = opt.state_of(p)
        state.update(step=t - 1, exp_avg=np.array(m, dtype=float),
                     exp_avg_sq=np.array(v, dtype=float))
        opt.step()
        return p.value, state["exp_avg"], state["exp_avg_sq"]

    check = check_adam_update if optimizer == "Adam" else check_adamw_update
    result = check(with_class)
    assert result.mistake == "calls the library"
    assert f"calls nnlesson.optim.{optimizer}," in result.message


def test_the_students_own_helper_and_numpy_are_allowed():
    # AdamW written on top of the student's own Adam: nothing of the library is called.
    assert check_adamw_update(adamw_update).passed


# --------------------------------------------------------------------------- exercise 3: the drift


def test_the_drift_reference_is_the_measured_average_step_of_the_library():
    """The settled-moment formula against the library's Adam + L2: many runs of one weight held
    at w, with noise of RMS g, averaged over late steps (m_hat, v_hat settled)."""
    from nnlesson.optim import adam_update as adam

    rng = np.random.default_rng(0)
    runs, steps = 4000, 3000
    for w0, g_rms, lam in ((0.5, 1.0, 0.5), (1.0, 0.05, 0.2), (-0.3, 0.2, 1.0)):
        w = np.full(runs, w0)
        m, v = np.zeros(runs), np.zeros(runs)
        moved = []
        for t in range(1, steps + 1):
            g = g_rms * rng.standard_normal(runs)
            new = adam(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                       weight_decay=lam)
            if t > steps - 200:
                moved.append(new[0] - w)
            m, v = new[1], new[2]  # the weight is held at w0: only the moments evolve
        expected = L2_DRIFT.reference(w0, g_rms, 1e-3, lam)
        assert np.mean(moved) == pytest.approx(expected, rel=0.05), (w0, g_rms, lam)


def test_the_drift_written_in_other_forms_passes():
    def with_hypot(w, grad_rms, lr, weight_decay, eps=1e-8):
        return -lr * weight_decay * w / (np.hypot(grad_rms, weight_decay * w) + eps)

    def with_math_for_numbers(w, grad_rms, lr, weight_decay, eps=1e-8):
        w, grad_rms = np.asarray(w, dtype=float), np.asarray(grad_rms, dtype=float)
        penalty = weight_decay * w
        v_hat = grad_rms * grad_rms + penalty * penalty
        return -(lr * penalty) / (v_hat ** 0.5 + eps)

    assert check_adam_l2_drift(with_hypot).passed
    assert check_adam_l2_drift(with_math_for_numbers).passed


def test_the_drift_cases_cover_both_regimes_and_every_argument():
    cases = L2_DRIFT.get_cases()
    ratios = []
    for case in cases:
        w, g, _, lam = case.args
        ratios.extend(np.ravel(np.abs(lam * np.asarray(w)) / np.maximum(np.asarray(g), 1e-300)))
    assert min(ratios) < 0.01 and max(ratios) > 10  # noise-dominated and decay-dominated
    assert any(c.kwargs.get("eps", 1e-8) != 1e-8 for c in cases)
    assert any(np.isscalar(c.args[0]) for c in cases) and any(np.ndim(c.args[0]) == 2
                                                             for c in cases)


def test_forgetting_the_decay_in_v_hat_points_to_hint_1():
    def noise_only(w, grad_rms, lr, weight_decay, eps=1e-8):
        return -lr * weight_decay * np.asarray(w) / (np.asarray(grad_rms) + eps)

    with np.errstate(all="ignore"):
        result = check_adam_l2_drift(noise_only)
    assert result.mistake == "λw left out of v_hat"
    assert "grad_rms^2 + (λw)^2" in result.message
    assert result.message.endswith("Hint 1 above gives the idea.")


# --------------------------------------------------------------------------- another library's
# conventions, and the L2 drift decayed twice


def keras_eps_adam(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    epsilon = 1e-7  # Keras's default
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * np.square(g)
    return w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + epsilon), m, v


def tensorflow_adam(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    # TensorFlow's order: the correction folded into the rate, its epsilon_hat = 1e-7
    m_t = beta1 * m + (1 - beta1) * g
    v_t = beta2 * v + (1 - beta2) * g * g
    lr_t = lr * math.sqrt(1 - beta2**t) / (1 - beta1**t)
    return w - lr_t * m_t / (np.sqrt(v_t) + 1e-7), m_t, v_t


def keras_eps_adamw(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    return keras_eps_adam(w - lr * weight_decay * w, g, m, v, t, lr, beta1, beta2, eps)


def drift_decayed_twice(w, grad_rms, lr, weight_decay, eps=1e-8):
    penalty = weight_decay * np.asarray(w, dtype=float)
    l2 = -lr * penalty / (np.sqrt(np.square(grad_rms) + penalty**2) + eps)
    return l2 - lr * penalty  # and AdamW's decay on top


@pytest.mark.parametrize("check, student, mistake", [
    (check_adam_update, keras_eps_adam, "eps fixed at Keras's 1e-7"),
    (check_adam_update, tensorflow_adam,
     "eps added before the bias correction + eps fixed at Keras's 1e-7"),
    (check_adamw_update, keras_eps_adamw, "eps fixed at Keras's 1e-7"),
    (check_adam_l2_drift, drift_decayed_twice, "AdamW's decay added as well"),
])
def test_other_conventions_are_named(check, student, mistake):
    result = check(student)
    assert result.status == "fail" and result.mistake == mistake, str(result)
    assert "Hint" in result.message


def test_the_step_returned_instead_of_the_weights_is_named():
    def adam_step_only(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        update = lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        return update, m, v

    def adamw_step_only(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                        weight_decay=1e-2):
        update, m, v = adam_step_only(w, g, m, v, t, lr, beta1, beta2, eps)
        return update + lr * weight_decay * w, m, v

    for check, student in ((check_adam_update, adam_step_only),
                           (check_adamw_update, adamw_step_only)):
        result = check(student)
        assert result.mistake == "the step returned instead of the new weights", str(result)
        assert result.message.endswith("Hint 3 above gives a partial line.")
