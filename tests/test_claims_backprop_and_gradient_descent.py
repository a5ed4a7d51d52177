"""Every claim lesson 01 makes, asserted on the same data and settings as the notebook."""
import numpy as np
import pytest
import torch

from nnlesson.gradcheck import (
    check_layer_gradients,
    check_loss_gradient,
    numerical_gradient,
    rel_error,
)
from nnlesson.layers import Linear
from nnlesson.course.lessons import backprop_and_gradient_descent as L
from nnlesson.losses import mse_loss, softmax_cross_entropy


@pytest.fixture(scope="module")
def p1():
    return L.make_regression_1d()


@pytest.fixture(scope="module")
def p2():
    return L.make_regression_2d()


# ---------------------------------------------------------------- the layer and the column form


def test_row_form_is_the_column_form_transposed_and_torchs_linear():
    """x @ W + b (rows) == the column form z = W x + b with W.T as its W, and torch's F.linear
    with weight = W.T."""
    rng = np.random.default_rng(0)
    layer = Linear(3, 2, rng=0)
    layer.b.value[:] = rng.normal(size=2)
    x = rng.normal(size=(4, 3))
    out = layer.forward(x)
    W_column = layer.W.value.T  # the column form's W^[l] has one row per output unit
    column_form = np.stack([W_column @ xi + layer.b.value for xi in x])
    np.testing.assert_allclose(out, column_form, rtol=1e-12)
    ref = torch.nn.functional.linear(torch.tensor(x), torch.tensor(layer.W.value.T),
                                     torch.tensor(layer.b.value))
    np.testing.assert_allclose(out, ref.numpy(), rtol=1e-12)


def test_mse_is_the_textbook_average_for_one_output_and_divides_by_m_times_k_otherwise():
    rng = np.random.default_rng(1)
    pred, y = rng.normal(size=(5, 1)), rng.normal(size=(5, 1))
    textbook_loss = sum((pred[i, 0] - y[i, 0]) ** 2 for i in range(5)) / 5
    assert mse_loss(pred, y)[0] == pytest.approx(textbook_loss, rel=1e-12)
    pred, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    per_example = np.sum((pred - y) ** 2, axis=1)  # L(y_hat_i, y_i) per example, 3 outputs
    assert mse_loss(pred, y)[0] == pytest.approx(per_example.mean() / 3, rel=1e-12)


def test_gradient_checks_the_notebook_prints_agree_to_1e_7():
    rng = np.random.default_rng(0)
    errors = check_layer_gradients(Linear(3, 2, rng=0), rng.normal(size=(4, 3)))
    assert max(errors.values()) < 1e-7
    logits, labels = rng.normal(size=(4, 3)), np.array([0, 2, 1, 1])
    assert check_loss_gradient(softmax_cross_entropy, logits, labels) < 1e-7


# ---------------------------------------------------------------- the learning rate


def test_error_shrinks_by_exactly_one_minus_lr_a_per_step(p1):
    """e_(t+1) = (1 - lr a) e_t: the derivation behind every threshold."""
    a = p1.curvatures[0]
    for lr in (0.05, 0.3, 0.8, 1.2):
        run = L.gradient_descent(p1, lr, 15)
        e = run.points[:, 0] - p1.w_star[0]
        np.testing.assert_allclose(e[1:], (1 - lr * a) * e[:-1], rtol=1e-9, atol=1e-12)


def test_one_dimensional_thresholds_are_one_over_a_and_two_over_a(p1):
    th = L.lr_thresholds(p1.curvatures, n_steps=50, tol=1e-3)
    assert th["oscillates_above"] == pytest.approx(0.5, rel=1e-12)
    assert th["diverges_above"] == pytest.approx(1.0, rel=1e-12)
    assert round(th["too_small_below"], 4) == 0.0645


def test_converges_just_below_two_over_a_and_diverges_just_above(p1):
    gap0 = p1.loss(p1.w_star - 2.0) - p1.min_loss
    below = L.gradient_descent(p1, 0.99, 2000)
    assert not below.diverged and below.values[-1] - p1.min_loss < 1e-12 * gap0
    above = L.gradient_descent(p1, 1.01, 2000)
    assert above.diverged


def test_oscillates_only_above_one_over_a(p1):
    for lr, flips in ((0.3, False), (0.49, False), (0.51, True), (0.9, True)):
        e = L.gradient_descent(p1, lr, 4).points[:, 0] - p1.w_star[0]
        alternating = np.all(e[1:] * e[:-1] < 0)
        same_sign = np.all(e[1:] * e[:-1] > 0)
        assert alternating if flips else same_sign, lr


def test_lr_one_over_a_reaches_the_minimum_in_one_step(p1):
    run = L.gradient_descent(p1, 0.5, 1)
    assert run.points[1, 0] == pytest.approx(p1.w_star[0], rel=1e-12)


def test_four_regimes_of_the_figure(p1):
    """The figure's four learning rates: too small, right, oscillating, diverging."""
    assert [L.lr_regime(lr, p1.curvatures) for lr in (0.02, 0.4, 0.9, 1.05)] == list(L.REGIMES)
    distance = {lr: abs(L.gradient_descent(p1, lr, 50).points[-1, 0] - p1.w_star[0]) / 2.0
                for lr in (0.02, 0.4, 0.9)}
    # too small: after 50 steps still 0.96^50 = 13 % of the starting distance away
    assert round(distance[0.02], 2) == 0.13
    assert distance[0.4] < 1e-12  # 0.2^50
    assert distance[0.9] < 1e-4  # oscillating but converging: 0.8^50 = 1.4e-5


def test_two_dimensional_thresholds_printed(p2):
    a_min, a_max = p2.curvatures
    assert (round(a_min, 3), round(a_max, 3)) == (1.822, 7.551)
    th = L.lr_thresholds(p2.curvatures)
    assert (round(th["oscillates_above"], 3), round(th["diverges_above"], 3)) == (0.132, 0.265)
    assert round(th["best"], 3) == 0.213


def test_steepest_direction_sets_the_limit_in_two_dimensions(p2):
    """lr = 0.3 would suit the flat direction (2 / a_min = 1.10) but the steep one diverges."""
    a_min, a_max = p2.curvatures
    assert 2 / a_max < 0.3 < 2 / a_min
    assert L.gradient_descent(p2, 0.3, 200).diverged
    assert not L.gradient_descent(p2, 0.26, 2000).diverged
    assert L.gradient_descent(p2, 0.27, 2000).diverged
    assert L.lr_regime(0.3, p1_curv := L.make_regression_1d().curvatures) == "right"
    assert p1_curv[0] == pytest.approx(2.0)


# ---------------------------------------------------------------- the tiny network


def test_backprop_walkthrough_numbers_and_one_step_lowers_the_loss():
    t = L.backprop_trace()
    assert round(t.loss, 4) == 0.1107
    assert round(float(t.dy_hat[0, 0]), 3) == -0.665
    # "The weight from h1 to y_hat is positive, the one from h2 negative ... Both go up"
    assert t.W2[0, 0] > 0 > t.W2[1, 0]
    assert np.all(t.W2_new > t.W2)
    assert (round(float(t.dW2[0, 0]), 3), round(float(t.dW2[1, 0]), 3)) == (-0.102, -0.067)
    assert round(t.loss_new, 4) == 0.0924
    for act in L.ACTIVATIONS:
        for out in L.OUTPUTS:
            s = L.backprop_trace(activation=act, output=out, lr=0.1)
            assert s.loss_new < s.loss, (act, out)


def test_backprop_agrees_with_the_numerical_gradient_to_1e_8():
    t = L.backprop_trace()
    W2 = t.W2.copy()
    numeric = numerical_gradient(lambda w: L.backprop_trace(W2=w).loss, W2)
    assert rel_error(t.dW2, numeric) < 1e-8


# ---------------------------------------------------------------- the exercises' closing claims


def test_on_spirals_a_line_stays_near_half_right_and_fifty_relu_units_learn_them():
    """Solutions 01: 'the linear classifier stays near half right'; the two-layer network with
    50 ReLU units learns the spirals (both by plain gradient descent, lr 1, 2000 steps), here
    with the library's layers, not the exercise's code."""
    import nnlesson as nl

    X, y = nl.make_spirals(rng=0)
    linear = nl.Linear(2, 3)
    linear.W.value[...] = 0.0
    for _ in range(2000):
        linear.zero_grad()
        _, dlogits = softmax_cross_entropy(linear.forward(X), y)
        linear.backward(dlogits)
        for p in linear.parameters():
            p.value[...] = nl.gd_update(p.value, p.grad, lr=1.0)
    assert 0.45 < nl.accuracy(linear.forward(X), y) < 0.6

    init = np.random.default_rng(0)
    first, second = nl.Linear(2, 50), nl.Linear(50, 3)
    first.W.value[...], second.W.value[...] = (nl.init.he_normal((2, 50), rng=init),
                                               nl.init.he_normal((50, 3), rng=init))
    first.b.value[...], second.b.value[...] = 0.0, 0.0
    net = nl.Sequential(first, nl.ReLU(), second)
    for _ in range(2000):
        for p in net.parameters():
            p.zero_grad()
        _, dlogits = softmax_cross_entropy(net.forward(X), y)
        net.backward(dlogits)
        for p in net.parameters():
            p.value[...] = nl.gd_update(p.value, p.grad, lr=1.0)
    assert nl.accuracy(net.forward(X), y) > 0.95


def test_a_forgotten_relu_mask_shows_in_the_first_layers_gradient_check_only():
    """Solutions 01: 'the check points at the first layer': W2 and b2 stay right."""
    from nnlesson.course.checks.backprop_and_gradient_descent import TWO_LAYER_NETWORK

    forgot = next(m for m in TWO_LAYER_NETWORK.mistakes if m.name == "ReLU mask forgotten")
    rng = np.random.default_rng(0)
    x, labels = rng.normal(size=(6, 4)), np.array([0, 2, 1, 1, 0, 2])
    params = {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5),
              "W2": rng.normal(size=(5, 3)), "b2": rng.normal(size=3)}
    right = TWO_LAYER_NETWORK.reference(x, labels, params)[1]
    _, buggy = forgot.wrong_fn(x, labels, params)
    for name in ("W2", "b2"):
        assert rel_error(buggy[name], right[name]) < 1e-12
    for name in ("W1", "b1"):
        assert rel_error(buggy[name], right[name]) > 1e-2


def test_a_gradient_that_forgot_its_one_over_m_is_caught():
    """The lesson's last gradient check: cross-entropy's gradient times m (= 4) against the
    numerical gradient of the mean loss gives the relative error |4a - a| / (|4a| + |a|) =
    3/5, printed 0.60; the right one is below 1e-7."""
    rng = np.random.default_rng(3)
    logits, labels = rng.normal(size=(4, 3)), np.array([0, 2, 1, 1])

    def forgot_the_mean(z, y):
        loss, grad = softmax_cross_entropy(z, y)
        return loss, grad * len(z)

    assert check_loss_gradient(forgot_the_mean, logits, labels) == pytest.approx(0.6, abs=1e-6)
    assert check_loss_gradient(softmax_cross_entropy, logits, labels) < 1e-7
