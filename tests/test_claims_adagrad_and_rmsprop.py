"""Every claim lesson 05 (AdaGrad and RMSProp) makes in its text, asserted.

The lesson prints these numbers; here they are checked against torch.optim or hand-worked
formulas, so a change in the library that breaks the lesson's story fails a test.
"""
import numpy as np
import pytest
import torch

from nnlesson.datasets import load_wine
from nnlesson.course.surfaces import Ravine
from nnlesson.course.lessons.adagrad_and_rmsprop import (
    adaptive_paths,
    constant_gradient_steps,
    wine_comparison,
)
from nnlesson.optim import adagrad_update, rmsprop_update


def test_one_learning_rate_must_suit_the_steepest_direction():
    ravine = Ravine()
    assert ravine.condition_number == 25 and ravine.max_stable_lr == pytest.approx(0.08)
    np.testing.assert_array_equal(ravine.grad(np.array(ravine.default_start)), [-4.5, 50.0])


def test_adagrad_first_step_moves_every_weight_by_lr():
    w, g = np.array([-4.5, 2.0]), np.array([-4.5, 50.0])
    w_new, s_new = adagrad_update(w, g, np.zeros(2), 1, lr=0.1)
    np.testing.assert_allclose(w_new, [-4.4, 1.9], rtol=1e-12)
    np.testing.assert_array_equal(s_new, [20.25, 2500.0])
    wt = torch.tensor(w, requires_grad=True)
    opt = torch.optim.Adagrad([wt], lr=0.1)
    wt.grad = torch.tensor(g)
    opt.step()
    np.testing.assert_allclose(w_new, wt.detach().numpy(), rtol=1e-12)


def test_adagrad_step_shrinks_like_one_over_sqrt_t():
    steps = constant_gradient_steps(10000, lr=0.1)["AdaGrad"] / 0.1
    for t, expected in ((1, 1.0), (4, 0.5), (16, 0.25), (100, 0.1), (10000, 0.01)):
        assert steps[t - 1] == pytest.approx(expected, rel=1e-8)


def test_rmsprop_first_steps_are_larger_than_lr_then_settle():
    for beta, first, within in ((0.9, 3.16, 38), (0.99, 10.0, 391)):
        steps = constant_gradient_steps(1000, lr=0.1, beta=beta)["RMSProp"] / 0.1
        assert steps[0] == pytest.approx(1 / np.sqrt(1 - beta), rel=1e-6)
        assert round(steps[0], 2) == first
        assert int(np.argmax(steps < 1.01)) + 1 == within
        assert np.all(steps[within - 1:] < 1.01) and np.all(steps[:within - 1] >= 1.01)
        assert steps[-1] == pytest.approx(1.0, abs=1e-3)


def test_at_first_every_weight_moves_by_the_same_amount():
    """AdaGrad's first step is lr for every weight, RMSProp's lr / sqrt(1 - beta), whatever
    the gradient's size (not "about lr": 3.16 lr at beta = 0.9). Measured with torch."""
    g = np.array([-4.5, 50.0, 1e-3])
    for beta in (0.9, 0.99):
        w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.RMSprop([w], lr=0.1, alpha=beta, eps=1e-8)
        w.grad = torch.tensor(g)
        opt.step()
        moved = np.abs(w.detach().numpy())
        np.testing.assert_allclose(moved, 0.1 / np.sqrt(1 - beta), rtol=1e-4)
    assert round(1 / np.sqrt(1 - 0.9), 2) == 3.16
    w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adagrad([w], lr=0.1)
    w.grad = torch.tensor(g)
    opt.step()
    np.testing.assert_allclose(np.abs(w.detach().numpy()), 0.1, rtol=1e-6)


def test_rmsprop_matches_torch_with_alpha_as_beta():
    w, g = np.array([-4.5, 2.0]), np.array([-4.5, 50.0])
    w_new, s_new, _, _ = rmsprop_update(w, g, np.zeros(2), lr=0.1, alpha=0.9, eps=1e-8)
    np.testing.assert_allclose(s_new, 0.1 * g**2)
    wt = torch.tensor(w, requires_grad=True)
    opt = torch.optim.RMSprop([wt], lr=0.1, alpha=0.9, eps=1e-8)
    wt.grad = torch.tensor(g)
    opt.step()
    np.testing.assert_allclose(w_new, wt.detach().numpy(), rtol=1e-12)


def test_wine_features_differ_by_three_orders_of_magnitude():
    std = load_wine().X.std(axis=0)
    assert round(std.min(), 2) == 0.12 and round(std.max()) == 314
    assert 1e3 < std.max() / std.min() < 1e4


def test_where_eps_sits_matters_for_tiny_gradients():
    g = np.array([1e-6])
    w_out, s1, _, _ = rmsprop_update(np.zeros(1), g, np.zeros(1), lr=0.1, alpha=0.9, eps=1e-8)
    inside = 0.1 * 1e-6 / np.sqrt(0.1 * 1e-12 + 1e-8)
    assert abs(w_out[0]) == pytest.approx(0.3065, abs=5e-5)
    assert inside == pytest.approx(0.001, rel=1e-4)
    assert abs(w_out[0]) / inside > 300


def test_the_tutorials_rmsprop_keeps_its_rate_after_many_updates():
    after = constant_gradient_steps(1000, lr=0.1, beta=0.9)
    assert round(after["AdaGrad"][-1] / 0.1, 3) == 0.032
    assert round(after["RMSProp"][-1] / 0.1, 3) == 1.0


def test_the_ravine_race():
    at = {(lr, beta): adaptive_paths("ravine", lr, beta) for lr, beta in
          [(0.07, 0.9), (0.1, 0.9), (0.1, 0.99), (0.5, 0.99)]}
    # below its limit plain gradient descent does fine, better than AdaGrad and RMSProp(0.9)
    sgd = at[0.07, 0.9]["SGD"]
    assert not sgd.diverged and sgd.final_value < 1e-8
    assert at[0.07, 0.9]["AdaGrad"].final_value > 1 and at[0.07, 0.9]["RMSProp"].final_value > 1e-3
    # at 0.1 it diverges; AdaGrad stalls; RMSProp hovers with beta 0.9, converges with 0.99
    assert at[0.1, 0.9]["SGD"].diverged
    assert at[0.1, 0.9]["AdaGrad"].final_value > 1
    assert 1e-3 < at[0.1, 0.9]["RMSProp"].final_value < 0.2
    assert at[0.1, 0.99]["RMSProp"].final_value < 1e-10
    # at 0.5 AdaGrad gets there too
    assert at[0.5, 0.99]["SGD"].diverged
    assert at[0.5, 0.99]["AdaGrad"].final_value < 1e-4
    assert at[0.5, 0.99]["RMSProp"].final_value < 1e-10


def test_the_beale_answers():
    runs = {beta: adaptive_paths("beale", 0.1, beta) for beta in (0.9, 0.99)}
    assert runs[0.9]["SGD"].diverged_at == 3
    assert round(runs[0.9]["AdaGrad"].final_value, 1) == 2.1
    assert f"{runs[0.99]['RMSProp'].final_value:.1e}" == "1.6e-03"
    assert runs[0.99]["RMSProp"].final_value < runs[0.9]["RMSProp"].final_value < 0.1


def test_rmsprop_with_short_memory_keeps_stepping_about_lr():
    run = adaptive_paths("ravine", 0.1, 0.9)["RMSProp"]
    late_steps = np.linalg.norm(np.diff(run.points[-51:], axis=0), axis=1)
    assert np.median(late_steps) > 0.01  # not shrinking to zero like the gradient
    assert run.values[-50:].max() > 0.1  # it comes close, then bounces away again
    assert run.final_value > 1e-3


def test_adagrad_survives_any_learning_rate():
    for lr in np.logspace(-3, 0.5, 8):
        assert not adaptive_paths("ravine", float(lr), 0.9)["AdaGrad"].diverged


def test_the_steep_weight_gets_the_smaller_effective_rate():
    runs = adaptive_paths("ravine", 0.1, 0.9)
    for method in ("AdaGrad", "RMSProp"):
        eff = runs[method].effective_lr
        assert np.all(eff[:, 1] < eff[:, 0]), method
        assert eff[0, 1] / eff[0, 0] == pytest.approx(4.5 / 50, rel=1e-6)


def test_wine_without_scaling():
    result = wine_comparison(lrs=(1e-4, 1e-3, 1e-2, 1e-1, 1.0), epochs=100)
    y = load_wine().y
    majority = np.bincount(y).max() / len(y)
    assert round(majority, 2) == 0.40
    assert result.best("SGD")[0] <= majority + 0.05  # little better than the most common class
    assert round(result.best("AdaGrad")[0], 2) == 0.87
    assert round(result.best("RMSProp")[0], 2) == 0.83
    assert result.best("SGD, standardized")[0] >= 0.995
    assert result.best("SGD, standardized")[0] > max(result.best("AdaGrad")[0],
                                                     result.best("RMSProp")[0])


def test_no_adagrad_step_moves_a_weight_by_more_than_lr():
    """'AdaGrad cannot blow up (no step moves a weight by more than eta, since |g_t| <=
    sqrt(s_t))', on the ravine and on Beale's function, at rates up to 3."""
    for surface in ("ravine", "beale"):
        for lr in (0.1, 0.5, 3.0):
            run = adaptive_paths(surface, lr, 0.9)["AdaGrad"]
            assert not run.diverged
            assert np.max(np.abs(np.diff(run.points, axis=0))) <= lr * (1 + 1e-12)
