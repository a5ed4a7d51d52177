"""Every claim lesson 12 makes, asserted on the same data and settings as the notebook.

The networks: ``depth`` blocks ``F(x) = Linear(act(Linear(x)))`` of width 16 between
``Linear(64, 16)`` and ``Linear(16, 10)``, plain or with ``x + F(x)``, identical weights, on 200
standardized digits, 30 full-batch gradient-descent steps (:func:`depth_sweep`).
"""
import numpy as np
import pytest

from nnlesson.layers import Linear, ReLU, Residual, Sequential
from nnlesson.course.lessons import residual_connections as R
from nnlesson.losses import softmax_cross_entropy

LOG10 = np.log(10)  # the loss of a network that guesses uniformly among 10 digits


@pytest.fixture(scope="module")
def sweep():
    return R.depth_sweep()  # sigmoid blocks, the explorer's grid


@pytest.fixture(scope="module")
def tanh16():
    return R.depth_sweep(depths=(16,), activation="tanh")


def ratio(s, depth, skip):
    """First block's first layer over last block's last layer, as the lesson prints it."""
    g = s.grad_norms[(depth, skip)]
    return g[1] / g[-2]


def test_the_learning_rates_are_the_four_the_text_names():
    assert R.LRS == (0.03, 0.1, 0.3, 1.0) and R.DEPTHS == (1, 2, 4, 8, 16)


def test_the_identity_path_carries_the_gradient_unchanged():
    """dx = dout + J_F^T dout: with a block whose weights are zero, dx is exactly dout."""
    lin1, lin2 = Linear(3, 3, init="zeros"), Linear(3, 3, init="zeros")
    res = Residual(Sequential(lin1, ReLU(), lin2))
    x = np.random.default_rng(0).normal(size=(4, 3))
    dout = np.random.default_rng(1).normal(size=(4, 3))
    np.testing.assert_array_equal(res.forward(x), x)
    np.testing.assert_array_equal(res.backward(dout), dout)


def test_with_skips_first_layer_gradient_stays_within_a_factor_of_5(sweep):
    for depth in sweep.depths:
        assert 0.2 <= ratio(sweep, depth, True) <= 5, depth
    assert round(ratio(sweep, 16, True), 2) == 0.23


def test_without_skips_it_falls_by_orders_of_magnitude(sweep):
    ratios = [ratio(sweep, d, False) for d in sweep.depths]
    assert all(b < a for a, b in zip(ratios, ratios[1:]))  # smaller with every depth
    assert ratios[sweep.depths.index(4)] < 1e-2
    assert ratios[sweep.depths.index(16)] < 1e-10
    assert f"{ratios[sweep.depths.index(16)]:.1e}" == "4.0e-11"


def test_plain_sigmoid_networks_stop_learning_from_4_blocks(sweep):
    """Best final loss over the learning rates: plain gets worse with depth and, from 4 blocks
    (10 linear layers) on, stays at the guessing loss log 10."""
    best = {d: sweep.best(d, False)[0] for d in sweep.depths}
    assert best[1] < best[2] < best[4]
    for d in (4, 8, 16):
        assert abs(best[d] - LOG10) < 0.02, d
    assert (round(best[1], 3), round(best[2], 3)) == (0.137, 1.034)


def test_residual_networks_learn_at_every_depth(sweep):
    for d in sweep.depths:
        loss, lr = sweep.best(d, True)
        assert loss < 0.25, d
    assert round(sweep.best(16, True)[0], 3) == 0.245
    # "a little above the shallow networks' 0.022 to 0.097"
    shallow = [sweep.best(d, True)[0] for d in (1, 2, 4, 8)]
    assert (round(min(shallow), 3), round(max(shallow), 3)) == (0.022, 0.097)


def test_deeper_residual_networks_need_a_smaller_learning_rate(sweep):
    assert sweep.best(1, True)[1] == 1.0
    assert sweep.best(16, True)[1] == 0.1  # "0.1 is best"
    # "there 0.3 and 1 diverge"
    assert sweep.final_loss(16, 0.3, True) == np.inf and sweep.final_loss(16, 1.0, True) == np.inf
    assert sweep.final_loss(16, 0.03, True) < 1 and sweep.final_loss(1, 1.0, True) < 0.05


def test_tanh_plain_gradient_does_not_vanish_yet_training_stalls(tanh16):
    assert 0.5 < ratio(tanh16, 16, False) < 2  # measured 1.06
    assert 0.5 < ratio(tanh16, 16, True) < 2  # measured 1.64
    # "its best loss stays above 1.8": 1.84 to 1.95 on the CPUs we tried (the runs bounce, and
    # where a bouncing run ends depends on rounding); the residual stack reaches 0.023
    assert tanh16.best(16, False)[0] > 1.8
    assert round(tanh16.best(16, True)[0], 3) == 0.023


def test_relu_residual_stack_without_normalization_blows_up_forward():
    X, y = R.digits_subset()
    plain = R.residual_network(16, skip=False, activation="relu")
    res = R.residual_network(16, skip=True, activation="relu")
    scales = R.forward_scales(res, X)
    assert scales[-1] / scales[0] > 1000  # "thousands of times larger than its inputs"
    assert round(R.forward_scales(plain, X)[-1], 1) == 33.8
    assert softmax_cross_entropy(res.forward(X), y)[0] > 1000  # measured 3.7e3


def test_relu_stacks_of_16_blocks_diverge_within_three_steps_at_every_learning_rate():
    relu = R.depth_sweep(depths=(16,), activation="relu")
    for lr in relu.lrs:
        assert relu.final_loss(16, lr, True) == np.inf and relu.diverged_at(16, lr, True) <= 3
        assert relu.final_loss(16, lr, False) == np.inf  # "diverges too"


def test_the_one_block_derivation_predicts_the_growth_on_average():
    """E[y^2] = (1 + 2 alpha^2) E[x^2] per ReLU residual block with He initialization: over 20
    random seeds, 16 unscaled blocks multiply the mean square by about 3^16 on average (the
    exercise's measurement), and the alpha for a growth of 2 gives about 2."""
    unscaled = R.signal_growth(16, 1.0)
    assert 0.7 < unscaled.mean() / 3 ** 16 < 1.3
    alpha = np.sqrt((2 ** (1 / 16) - 1) / 2)
    assert 1.9 < R.signal_growth(16, alpha).mean() < 2.2


def test_the_exercise_answer_scaled_blocks_train_and_identity_blocks_train_best():
    """Exercise 4's answer: alpha 0.149 (growth 2) trains only at lr 0.03 (0.244), alpha 0
    reaches 0.089 at lr 0.1; both diverge at 0.3 and 1; measured growth 2.07."""
    X, y = R.digits_subset()
    alpha = np.sqrt((2 ** (1 / 16) - 1) / 2)
    assert round(alpha, 3) == 0.149
    assert round(float(np.mean(R.signal_growth(16, alpha))), 2) == 2.07

    def end(a, lr):
        model = R.scale_residual_branches(R.residual_network(16, skip=True, activation="relu"), a)
        curve = R.train_briefly(model, X, y, lr)
        return curve[-1] if len(curve) == R.STEPS and np.isfinite(curve[-1]) else np.inf

    assert round(end(alpha, 0.03), 3) == 0.244 and end(alpha, 0.1) == np.inf
    assert round(end(0.0, 0.1), 3) == 0.089 and end(0.0, 0.1) < end(alpha, 0.03)
    assert all(end(a, lr) == np.inf for a in (alpha, 0.0) for lr in (0.3, 1.0))
