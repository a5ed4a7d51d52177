"""Every claim lesson 04 (momentum) and its exercises make, asserted."""
import math

import numpy as np
import pytest
import torch

from nnlesson.course.lessons.momentum import (
    LR_LADDER,
    heavy_ball_optimum,
    momentum_path,
    noisy_race,
    ravine,
    steps_to_tolerance,
    tune_lr,
)
from nnlesson.optim import ema_to_classical_lr, gd_update, momentum_update, sgd_update


def steps(form, lr, beta=0.0, kappa=25, n_steps=200):
    path = momentum_path(form, lr, beta, surface=ravine(kappa), n_steps=n_steps)
    return "diverged" if path.diverged else steps_to_tolerance(path, 1e-6)


# --------------------------------------------------------------------------- the two forms


def test_ema_at_lr_takes_the_steps_of_pytorch_at_lr_times_one_minus_beta():
    lr, beta = 0.3, 0.9
    assert ema_to_classical_lr(lr, beta) == pytest.approx(0.03)
    ema = momentum_path("ema", lr, beta, n_steps=200)
    np.testing.assert_allclose(ema.points, momentum_path("classical", 0.03, beta, n_steps=200)
                               .points, rtol=0, atol=1e-12)
    # and torch.optim.SGD itself, at lr (1 - beta)
    w = torch.tensor([-4.5, 2.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.03, momentum=beta)
    for _ in range(200):
        opt.zero_grad()
        (0.5 * (w[0] ** 2 + 25 * w[1] ** 2)).backward()
        opt.step()
    np.testing.assert_allclose(ema.points[-1], w.detach().numpy(), rtol=1e-10, atol=1e-14)


def test_the_pytorch_velocity_is_the_ema_velocity_over_one_minus_beta():
    surface = ravine(25)
    w_e, v, w_t, buf = np.array([-4.5, 2.0]), None, np.array([-4.5, 2.0]), None
    for _ in range(5):
        w_e, v = momentum_update(w_e, surface.grad(w_e), v, lr=0.3, beta=0.9)
        w_t, buf = sgd_update(w_t, surface.grad(w_t), buf, lr=0.03, momentum=0.9)
        np.testing.assert_allclose(v / (1 - 0.9), buf, rtol=1e-12)
        np.testing.assert_allclose(w_e, w_t, rtol=1e-12)


def test_the_cs231n_form_takes_the_steps_of_pytorch_with_a_constant_rate():
    surface, lr, mu = ravine(25), 0.01, 0.9
    w, v = np.array([-4.5, 2.0]), np.zeros(2)
    points = [w.copy()]
    for _ in range(100):
        v = mu * v - lr * surface.grad(w)
        w = w + v
        points.append(w.copy())
    np.testing.assert_allclose(np.array(points), momentum_path("classical", lr, mu).points,
                               rtol=1e-10, atol=1e-13)


def test_on_a_constant_slope_pytorch_speeds_up_and_ema_does_not():
    # printed: GD 0.1000 always; EMA 0.0100, 0.0651, 0.0995; PyTorch 0.1000, 0.6513, 0.9948
    g = np.ones(1)
    w_gd, w_ema, v, w_pt, buf = np.zeros(1), np.zeros(1), None, np.zeros(1), None
    for t in range(1, 51):
        new_gd = gd_update(w_gd, g, lr=0.1)
        new_ema, v = momentum_update(w_ema, g, v, lr=0.1, beta=0.9)
        new_pt, buf = sgd_update(w_pt, g, buf, lr=0.1, momentum=0.9)
        assert (w_gd - new_gd)[0] == pytest.approx(0.1)
        assert (w_ema - new_ema)[0] == pytest.approx(0.1 * (1 - 0.9**t))
        assert (w_pt - new_pt)[0] == pytest.approx(0.1 * (1 - 0.9**t) / (1 - 0.9))
        w_gd, w_ema, w_pt = new_gd, new_ema, new_pt
    assert (w_pt - new_pt)[0] < 10 * 0.1  # approaches 1/(1 - mu) = 10 times GD's step


# --------------------------------------------------------------------------- the explorer's answers


def test_at_lr_006_beta_09_is_slower_than_plain_gradient_descent():
    assert steps("gd", 0.06) == 131
    assert steps("ema", 0.06, 0.9) == 168


def first_step_beyond(points, limit=1e6):
    """The update after which ||w|| first exceeds the runner's divergence limit."""
    return int(np.flatnonzero(np.linalg.norm(points, axis=1) > limit)[0])


def test_the_printed_divergence_steps_of_plain_gradient_descent():
    # by hand: x_t = -4.5 (1 - lr)^t, y_t = 2 (1 - kappa lr)^t
    t = np.arange(30)[:, None]
    for kappa, lr, printed in ((25, 0.3, 8), (100, 0.06, 9)):
        points = np.hstack([-4.5 * (1 - lr) ** t, 2.0 * (1 - kappa * lr) ** t])
        assert first_step_beyond(points) == printed
        assert momentum_path("gd", lr, surface=ravine(kappa), n_steps=200).diverged_at == printed


def test_at_lr_03_gradient_descent_explodes_and_momentum_does_not():
    assert steps("gd", 0.3) == "diverged"
    assert steps("ema", 0.3, 0.9) == 171
    # EMA momentum stays stable up to 2 (1 + beta) / ((1 - beta) b) = 1.52 on this ravine
    assert steps("ema", 1.5, 0.9, n_steps=2000) != "diverged"
    assert momentum_path("ema", 1.56, 0.9, n_steps=3000).diverged


def test_a_smaller_beta_with_a_larger_rate_is_about_five_times_faster():
    fast = steps("ema", 0.2, 0.5)
    assert fast == 27
    assert steps("gd", 0.06) / fast > 4.5 and steps("ema", 0.06, 0.9) / fast > 4.5


def test_pytorch_form_at_lr_times_one_minus_beta_is_the_ema_run():
    assert steps("classical", 0.006, 0.9) == steps("ema", 0.06, 0.9) == 168
    assert steps("classical", 0.06, 0.9) == 169  # "a different run, which converges too"


def test_in_a_narrower_ravine_gradient_descent_diverges_at_006_and_momentum_converges():
    assert steps("gd", 0.06, kappa=100) == "diverged"
    assert steps("ema", 0.06, 0.9, kappa=100) == 182


# ------------------------------------------------------------------- the race at the best rate


@pytest.fixture(scope="module")
def race():
    results = {}
    for kappa, budget in ((25, 300), (100, 700)):
        beta_star = round(heavy_ball_optimum(ravine(kappa))["beta"], 2)
        for name, form, beta in [("gd", "gd", 0.0), ("ema 0.9", "ema", 0.9),
                                 ("ema best", "ema", beta_star), ("nesterov", "nesterov", 0.9)]:
            results[kappa, name] = tune_lr(form, beta, surface=ravine(kappa), n_steps=budget)
    return results


def test_the_race_numbers_the_lesson_prints(race):
    printed = {(25, "gd"): (0.0708, 110), (25, "ema 0.9"): (0.0562, 166),
               (25, "ema best"): (0.178, 33), (25, "nesterov"): (0.0501, 102),
               (100, "gd"): (0.0178, 450), (100, "ema 0.9"): (0.0282, 179),
               (100, "ema best"): (0.1, 61), (100, "nesterov"): (0.01, 129)}
    for key, (lr, n) in printed.items():
        assert race[key].steps == n, key
        assert float(f"{race[key].lr:.3g}") == lr, key
    assert race[25, "ema best"].beta == 0.44 and race[100, "ema best"].beta == 0.67


def test_beta_09_loses_in_a_mild_ravine_and_wins_in_a_narrow_one(race):
    assert race[25, "ema 0.9"].steps > race[25, "gd"].steps
    assert race[25, "nesterov"].steps < race[25, "gd"].steps
    assert race[25, "gd"].steps / race[25, "ema best"].steps > 3
    assert race[100, "gd"].steps / race[100, "ema 0.9"].steps > 2.5
    assert race[100, "gd"].steps / race[100, "ema best"].steps > 7


def test_the_textbook_rates_explain_the_race():
    mild, narrow = heavy_ball_optimum(ravine(25)), heavy_ball_optimum(ravine(100))
    assert round(mild["beta"], 2) == 0.44 and round(narrow["beta"], 2) == 0.67
    assert mild["gd_rate"] == pytest.approx(0.923, abs=5e-4)
    assert narrow["gd_rate"] == pytest.approx(0.980, abs=5e-4)
    assert mild["rate"] == pytest.approx(2 / 3) and narrow["rate"] == pytest.approx(9 / 11)
    # beta = 0.9 shrinks the error by at best sqrt(0.9) per step: between the two GD rates
    assert mild["gd_rate"] < math.sqrt(0.9) < narrow["gd_rate"]


def test_measured_convergence_at_beta_09_is_sqrt_09_per_step():
    # in the ravine at its best rate, the distance to the minimum shrinks ~sqrt(0.9) per step
    path = momentum_path("ema", 0.0562, 0.9, n_steps=300)
    dist = np.linalg.norm(path.points, axis=1)
    rate = (dist[250:300].max() / dist[50:100].max()) ** (1 / 200)
    assert rate == pytest.approx(math.sqrt(0.9), abs=0.01)


# ------------------------------------------------------------------- the exercises' "look" cells


def test_nesterov_overshoots_less_than_classical_momentum():
    nesterov = momentum_path("nesterov", 0.006, 0.9, n_steps=200)
    classical = momentum_path("classical", 0.006, 0.9, n_steps=200)
    assert steps_to_tolerance(nesterov, 1e-6) == 140
    assert steps_to_tolerance(classical, 1e-6) == 168
    # overshoot past the minimum along the valley (x > 0): smaller with the look-ahead
    assert nesterov.points[:, 0].max() < classical.points[:, 0].max()


def test_pytorch_form_at_the_ema_rate_diverges():
    # the heavy-ball recursion by hand: b = 0.9 b + g, w = w - 0.3 b
    w, b, points = np.array([-4.5, 2.0]), np.zeros(2), [np.array([-4.5, 2.0])]
    for _ in range(30):
        b = 0.9 * b + np.array([1.0, 25.0]) * w
        w = w - 0.3 * b
        points.append(w)
    path = momentum_path("classical", 0.3, 0.9, n_steps=150)
    assert path.diverged_at == first_step_beyond(np.array(points)) < 10


# ------------------------------------------------------------------- noisy gradients


@pytest.fixture(scope="module")
def noisy():
    return noisy_race()


def test_the_noisy_race_the_lesson_prints(noisy):
    printed = {(25, 0.0): (0.02, "0.0131"), (25, 0.5): (0.02, "0.012"),
               (25, 0.9): (0.02, "0.0108"), (25, 0.99): (0.01, "1.47"),
               (100, 0.0): (0.01, "0.0563"), (100, 0.5): (0.02, "0.0136"),
               (100, 0.9): (0.02, "0.0118"), (100, 0.99): (0.01, "5.64")}
    for (kappa, beta), (lr, level) in printed.items():
        assert noisy.best(kappa, beta) == (lr, pytest.approx(float(level), rel=5e-3)), (kappa, beta)
        assert f"{noisy.best(kappa, beta)[1]:.3g}" == level
    assert set(noisy.lrs) <= set(LR_LADDER)  # rates a student can set on the slider


def test_beta_09_ends_lowest_by_a_fifth_in_the_mild_ravine_and_almost_five_times_in_the_narrow(
        noisy):
    for kappa in (25, 100):
        levels = {beta: noisy.best(kappa, beta)[1] for beta in noisy.betas}
        assert min(levels, key=levels.get) == 0.9
    mild = noisy.best(25, 0.0)[1] / noisy.best(25, 0.9)[1]
    narrow = noisy.best(100, 0.0)[1] / noisy.best(100, 0.9)[1]
    assert 1.15 < mild < 1.3 and 4.5 < narrow < 5
    assert noisy.best(25, 0.99)[1] > 1 and noisy.best(100, 0.99)[1] > 1  # still swinging
    # plain gradient descent cannot use 0.02 in the narrow ravine (its limit is 2/100)
    assert noisy.at(100, 0.0, 0.02) > 100 * noisy.at(100, 0.9, 0.02)


def test_each_noisy_gradient_moves_the_weights_by_lr_in_total_spread_over_about_ten_steps():
    """EMA momentum on a flat loss after one gradient g = 1: v = 0.1, 0.09, 0.081, ...; the
    weights move lr (1 - 0.9^t) after t steps, half of it within the first 7 steps."""
    w, v, moves = np.zeros(1), np.zeros(1), []
    for t in range(200):
        g = np.ones(1) if t == 0 else np.zeros(1)
        new, v = momentum_update(w, g, v, lr=0.02, beta=0.9)
        moves.append(float(w[0] - new[0]))
        w = new
    assert sum(moves) == pytest.approx(0.02, rel=1e-8)
    assert np.argmax(np.cumsum(moves) >= 0.01) + 1 == 7


def test_along_the_valley_the_average_leaves_the_noise_and_across_it_damps_it():
    """The loss each direction settles at with noisy gradients (1-D, curvature h, noise 1),
    long runs with the library's rule against the textbook's stationary variance of the two
    linear recursions: plain GD E[h w^2 / 2] = lr / (2 (2 - lr h)); EMA momentum
    lr (1 + beta) / (2 (2 (1 + beta) - lr (1 - beta) h))."""
    lr, beta = 0.02, 0.9
    rng = np.random.default_rng(5)
    for h, same in ((1.0, True), (25.0, False)):
        levels = {}
        for b in (0.0, beta):
            w, v, total = np.zeros(2000), np.zeros(2000), 0.0
            for t in range(3000):
                w, v = momentum_update(w, h * w + rng.standard_normal(2000), v, lr=lr, beta=b)
                if t >= 1000:
                    total += float(np.mean(0.5 * h * w * w)) / 2000
            levels[b] = total
        gd_theory = lr / (2 * (2 - lr * h))
        momentum_theory = lr * (1 + beta) / (2 * (2 * (1 + beta) - lr * (1 - beta) * h))
        assert levels[0.0] == pytest.approx(gd_theory, rel=0.03)
        assert levels[beta] == pytest.approx(momentum_theory, rel=0.03)
        if same:  # along the valley (h = 1): the same level
            assert levels[beta] == pytest.approx(levels[0.0], rel=0.03)
        else:  # across it (h = 25): momentum's is lower by a quarter
            assert levels[beta] < 0.8 * levels[0.0]


def test_the_best_heavy_ball_rate_sits_just_inside_the_edge_of_stability():
    """Solutions 04: at the best settings lr L = (1 + sqrt(beta))^2, and the steepest direction
    stops converging at lr L = 2 (1 + beta): 1.016 times further on the mystery valley (L = 32,
    m = 0.5). Runs of PyTorch's form on that valley agree: 1.5 % above the best rate still
    converges, 2 % above it grows."""
    from nnlesson.course.checks.momentum import mystery_valley
    from nnlesson.course.runner import run

    L, m = 32.0, 0.5
    root = math.sqrt(L / m)
    beta = ((root - 1) / (root + 1)) ** 2
    lr = 4 / (math.sqrt(L) + math.sqrt(m)) ** 2
    assert lr * L == pytest.approx((1 + math.sqrt(beta)) ** 2, rel=1e-12)
    edge = 2 * (1 + beta) / (lr * L)
    assert round(edge, 3) == 1.016
    valley = mystery_valley()
    assert np.linalg.eigvalsh(valley._hessian) == pytest.approx([m, L])
    inside = run(valley, "sgd", lr=1.015 * lr, hyperparameters={"momentum": beta}, n_steps=3000)
    assert not inside.diverged and inside.values[-1] < 1e-8
    outside = run(valley, "sgd", lr=1.02 * lr, hyperparameters={"momentum": beta}, n_steps=3000)
    assert outside.diverged or outside.values[-1] > outside.values[0]
