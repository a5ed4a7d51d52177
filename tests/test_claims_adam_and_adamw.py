"""Every claim lesson 06 (Adam and AdamW) makes in its text, asserted.

In particular the one many courses get wrong: WITHOUT bias correction, Adam's first step with
the default betas is not tiny but about 3.16 * lr; what is tiny is m and v themselves. The step
is smaller than lr only when 1 - beta1 < sqrt(1 - beta2).
"""
import numpy as np
import pytest
import torch

from nnlesson.course.lessons.adam_and_adamw import (
    bias_correction_paths,
    decay_experiment,
    digits_race,
    first_steps,
    surface_race,
)
from nnlesson.optim import adam_update

# --------------------------------------------------------------------------- Adam's step


def test_the_first_step_moves_every_weight_by_lr():
    w, g = np.array([1.0, -2.0]), np.array([0.5, 30.0])
    w_new, m, v, _ = adam_update(w, g, np.zeros(2), np.zeros(2), 1, lr=0.01, beta1=0.9,
                                 beta2=0.999, eps=1e-8)
    np.testing.assert_allclose(m, [0.05, 3.0])
    np.testing.assert_allclose(v, [2.5e-4, 0.9])
    np.testing.assert_allclose(w_new, [0.99, -2.01], rtol=1e-9)


def test_pytorch_order_is_the_textbook_step():
    rng = np.random.default_rng(0)
    w, g, m = rng.normal(size=(3, 6))
    v = rng.uniform(0.1, 2.0, size=6)
    for t in (1, 7, 300):
        m_new = 0.9 * m + 0.1 * g
        v_new = 0.999 * v + 0.001 * g * g
        textbook = w - 1e-3 * (m_new / (1 - 0.9**t)) / (np.sqrt(v_new / (1 - 0.999**t)) + 1e-8)
        ours = adam_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)[0]
        np.testing.assert_allclose(ours, textbook, rtol=1e-13)
        wt = torch.tensor(w, requires_grad=True)
        opt = torch.optim.Adam([wt], lr=1e-3)
        opt.state[wt] = {"step": torch.tensor(float(t - 1)), "exp_avg": torch.tensor(m),
                         "exp_avg_sq": torch.tensor(v)}
        wt.grad = torch.tensor(g)
        opt.step()
        np.testing.assert_allclose(ours, wt.detach().numpy(), rtol=1e-13)


# --------------------------------------------------------------------------- bias correction


def test_the_moments_are_biased_towards_zero_and_the_correction_removes_it():
    fs = first_steps(1000, 1e-3, 0.9, 0.999, g=1.0)
    assert fs.m[0] == pytest.approx(0.1) and fs.v[0] == pytest.approx(0.001)
    t = fs.t
    np.testing.assert_allclose(fs.m / (1 - 0.9**t), 1.0, rtol=1e-12)
    np.testing.assert_allclose(fs.v / (1 - 0.999**t), 1.0, rtol=1e-12)
    # rounded as the lesson prints them
    assert [round(x, 4) for x in fs.m[[0, 1, 9]]] == [0.1, 0.19, 0.6513]
    assert [round(x, 4) for x in fs.v[[0, 1, 9, 99, 999]]] == [0.001, 0.002, 0.01, 0.0952, 0.6323]


def test_without_correction_the_first_step_is_not_tiny_but_316_percent_of_lr():
    lr = 1e-3
    fs = first_steps(1000, lr, 0.9, 0.999)
    assert fs.step_uncorrected[0] / lr == pytest.approx(0.1 / np.sqrt(0.001), rel=1e-6)
    assert round(fs.step_uncorrected[0] / lr, 2) == 3.16
    assert fs.step_uncorrected[0] > 3 * lr  # the statement "the first steps are tiny" is false
    # m and v themselves are what is tiny
    assert fs.m[0] == pytest.approx(0.1) and fs.v[0] == pytest.approx(0.001)


def test_the_uncorrected_step_keeps_growing_for_a_dozen_steps():
    fs = first_steps(1000, 1e-3, 0.9, 0.999)
    assert fs.peak[0] == 12 and round(fs.peak[1], 2) == 6.57
    assert np.all(np.diff(fs.step_uncorrected[:12]) > 0)
    got = [round(fs.step_uncorrected[t - 1] / 1e-3, 2) for t in (1, 2, 12, 100, 1000)]
    assert got == [3.16, 4.25, 6.57, 3.24, 1.26]


@pytest.mark.parametrize("beta1", [0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
@pytest.mark.parametrize("beta2", [0.9, 0.99, 0.999, 0.9999])
def test_the_uncorrected_first_step_is_smaller_than_lr_only_if(beta1, beta2):
    lr = 1e-3
    ratio = first_steps(2, lr, beta1, beta2).step_uncorrected[0] / lr
    assert ratio == pytest.approx((1 - beta1) / np.sqrt(1 - beta2), rel=1e-6)
    if abs((1 - beta1) - np.sqrt(1 - beta2)) > 1e-9:
        assert (ratio < 1) == ((1 - beta1) < np.sqrt(1 - beta2))


def test_the_lessons_table_of_first_steps():
    table = {(0.9, 0.999): 3.162, (0.99, 0.999): 0.316, (0.9, 0.99): 1.0, (0.9, 0.9999): 10.0}
    for (beta1, beta2), expected in table.items():
        fs = first_steps(60, 1e-3, beta1, beta2)
        assert round(fs.step_uncorrected[0] / 1e-3, 3) == expected


@pytest.mark.parametrize("beta1, beta2", [(0.9, 0.999), (0.99, 0.999), (0.5, 0.9), (0.0, 0.9999)])
def test_with_correction_every_step_is_lr_whatever_the_betas(beta1, beta2):
    fs = first_steps(200, 1e-3, beta1, beta2)
    np.testing.assert_allclose(fs.step_corrected / 1e-3, 1.0, rtol=1e-7)


def test_adam_on_beale_with_and_without_correction():
    loss = {lr: {bc: p.values[-1] for bc, p in bias_correction_paths("beale", lr=lr,
                                                                      n_steps=100).items()}
            for lr in (0.01, 0.1, 0.3)}
    assert loss[0.01][False] < loss[0.01][True]  # the larger early steps help here
    assert loss[0.1][False] < loss[0.1][True]
    assert loss[0.3][False] / loss[0.3][True] > 400  # ... and hurt here ("500 times lower")
    for lr in (0.01, 0.1, 0.3):
        path = bias_correction_paths("beale", lr=lr, n_steps=100)[False]
        np.testing.assert_allclose(np.abs(path.points[1] - path.points[0]) / lr, 3.1623,
                                   rtol=1e-4)


# --------------------------------------------------------------------------- weight decay


def test_one_step_of_adam_l2_and_of_adamw():
    w, g, z = np.array([1.0, 1.0]), np.array([0.01, 100.0]), np.zeros(2)
    kw = dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.5)
    l2 = adam_update(w, g, z, z, 1, **kw)[0]
    adamw = adam_update(w, g, z, z, 1, decoupled_weight_decay=True, **kw)[0]
    np.testing.assert_allclose(l2, [0.9, 0.9], rtol=1e-6)  # both moved by exactly lr
    np.testing.assert_allclose(adamw, [0.85, 0.85], rtol=1e-6)  # 5 % decay on top
    for cls, expected in ((torch.optim.Adam, l2), (torch.optim.AdamW, adamw)):
        wt = torch.tensor(w, requires_grad=True)
        opt = cls([wt], lr=0.1, weight_decay=0.5)
        wt.grad = torch.tensor(g)
        opt.step()
        np.testing.assert_allclose(expected, wt.detach().numpy(), rtol=1e-12)


def test_torch_adam_with_decoupled_weight_decay_is_adamw():
    """The lesson: torch.optim.Adam(..., decoupled_weight_decay=True) takes AdamW's step."""
    rng = np.random.default_rng(3)
    w0, grads = rng.normal(size=5), rng.normal(size=(4, 5))
    weights = []
    for cls, extra in ((torch.optim.AdamW, {}), (torch.optim.Adam, {"decoupled_weight_decay": True})):
        wt = torch.tensor(w0, requires_grad=True)
        opt = cls([wt], lr=0.05, weight_decay=0.3, **extra)
        for g in grads:
            wt.grad = torch.tensor(g)
            opt.step()
        weights.append(wt.detach().numpy().copy())
    w, m, v = w0, np.zeros(5), np.zeros(5)
    for t, g in enumerate(grads, start=1):
        w, m, v, _ = adam_update(w, g, m, v, t, lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8,
                                 weight_decay=0.3, decoupled_weight_decay=True)
    np.testing.assert_allclose(weights[0], weights[1], rtol=1e-14)
    np.testing.assert_allclose(w, weights[0], rtol=1e-12)


def test_l2_inside_adam_spares_weights_with_large_gradients_adamw_does_not():
    d = decay_experiment(lr=0.02, beta1=0.9, beta2=0.999, weight_decay=0.5, n_steps=200)
    small, medium, large = d.l2[-1]
    assert abs(small) < 0.01 and large > 0.95 and 0.05 < medium < 0.3
    assert [round(x, 2) + 0.0 for x in d.l2[-1]] == [0.0, 0.11, 0.99]
    # AdamW: the three curves coincide at every step, close to (1 - lr * lambda)^t
    assert np.abs(d.adamw - d.adamw[:, [1]]).max() < 1e-6
    assert [round(x, 2) for x in d.adamw[-1]] == [0.12, 0.12, 0.12]
    assert round(d.reference[-1], 3) == 0.134
    assert np.abs(d.adamw[:, 1] - d.reference).max() < 0.05


def test_with_l2_a_small_gradient_weight_is_pulled_to_zero_steadily():
    d = decay_experiment(lr=0.02, weight_decay=0.5, n_steps=200)
    reached = int(np.argmax(np.abs(d.l2[:, 0]) < 0.05))
    assert 50 <= reached < 100  # at most lr = 0.02 per step: 1 / 0.02 = 50 steps at least


def test_adamw_mean_decay_depends_on_lr_times_lambda_only():
    reference = (1 - 0.01) ** 200
    for lr, lam, beta1, beta2 in ((0.02, 0.5, 0.9, 0.999), (0.01, 1.0, 0.9, 0.999),
                                  (0.02, 0.5, 0.5, 0.99)):
        d = decay_experiment(lr=lr, beta1=beta1, beta2=beta2, weight_decay=lam, n_steps=200,
                             scales=(1.0,), runs=2000, seed=1)
        assert d.adamw[-1, 0] == pytest.approx(reference, abs=0.02)


def test_v_is_the_mean_square_not_the_variance():
    """A tutorial calls v the variance; for a steady gradient the variance is 0, v_hat is g^2."""
    fs = first_steps(1000, 1e-3, 0.9, 0.999, g=2.0)
    assert fs.v[-1] / (1 - 0.999**1000) == pytest.approx(4.0)


# --------------------------------------------------------------------------- the race


@pytest.fixture(scope="module")
def race():
    return surface_race(tol=1e-6)


def test_the_race_table_as_the_lesson_prints_it(race):
    steps = {s: {m: e.steps for m, e in row.items()} for s, row in race.entries.items()}
    assert steps["ravine"] == {"SGD": 158, "momentum 0.9": 166, "Nesterov 0.9": 103,
                               "RMSProp": 52, "Adam": 162}
    assert steps["beale"] == {"SGD": 828, "momentum 0.9": 403, "Nesterov 0.9": 358,
                              "RMSProp": None, "Adam": 165}
    assert steps["rosenbrock"] == {"SGD": None, "momentum 0.9": 769, "Nesterov 0.9": 1426,
                                   "RMSProp": None, "Adam": 818}
    assert race.budgets == {"ravine": 500, "beale": 1000, "rosenbrock": 2000}


def test_no_method_wins_every_surface_even_tuned(race):
    winners = {s: min((e.steps, m) for m, e in row.items() if e.steps is not None)[1]
               for s, row in race.entries.items()}
    assert winners == {"ravine": "RMSProp", "beale": "Adam", "rosenbrock": "momentum 0.9"}
    ravine = race.entries["ravine"]
    assert ravine["RMSProp"].steps < 0.55 * ravine["Nesterov 0.9"].steps  # "about half"
    assert ravine["Adam"].steps >= ravine["SGD"].steps  # "as slow as plain SGD"
    beale = race.entries["beale"]
    assert beale["Adam"].steps * 2 < beale["Nesterov 0.9"].steps  # "wins clearly"
    rosen = race.entries["rosenbrock"]
    assert abs(rosen["Adam"].steps - rosen["momentum 0.9"].steps) < 0.1 * 800  # "close"


def test_rmsprop_at_a_constant_rate_stalls_where_adam_gets_there(race):
    for surface in ("beale", "rosenbrock"):
        rms = race.entries[surface]["RMSProp"]
        assert rms.reached == 0 and rms.final > race.tol
        assert race.entries[surface]["Adam"].steps is not None
    assert f"{race.entries['beale']['RMSProp'].final:.1e}" == "4.2e-06"
    assert f"{race.entries['rosenbrock']['RMSProp'].final:.1e}" == "8.7e-03"


def test_rmsprop_keeps_stepping_about_lr_while_adams_steps_vanish(race):
    """The text: RMSProp's step "stays about lr long wherever the gradient is: over its last 100
    steps it still moves 0.40 lr and 1.43 lr per step"; Adam's last steps are next to nothing."""
    last = {}
    for surface in ("beale", "rosenbrock"):
        for method in ("RMSProp", "Adam"):
            entry = race.entries[surface][method]
            steps = np.linalg.norm(np.diff(entry.path.points[-101:], axis=0), axis=1)
            last[surface, method] = steps.mean() / entry.lr
    assert (round(last["beale", "RMSProp"], 2), round(last["rosenbrock", "RMSProp"], 2)) == (
        0.40, 1.43)
    assert last["beale", "Adam"] < 1e-6 and last["rosenbrock", "Adam"] < 1e-6  # "below 1e-6"


def test_every_tuned_rate_is_inside_the_ladder(race):
    """A tuned rate at the top of the ladder would hide a better one above it."""
    for row in race.entries.values():
        for method, entry in row.items():
            assert entry.lr < max(race.lrs), method


# --------------------------------------------------------------------------- digits


@pytest.fixture(scope="module")
def digits():
    return digits_race(epochs=5, batch_size=64)  # the notebook's call


def test_digits_every_method_reaches_95_to_97_percent_at_its_best_rate(digits):
    best = {m: digits.best(m) for m in digits.accuracy}
    assert all(0.95 <= acc < 0.975 for acc, _ in best.values())
    assert [round(100 * best[m][0], 1) for m in ("RMSProp", "SGD", "Adam", "Nesterov 0.9",
                                                 "momentum 0.9")] == [97.2, 96.9, 96.9, 95.9,
                                                                      95.4]


def test_digits_the_adaptive_methods_are_forgiving_not_faster(digits):
    assert digits.lrs == (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)  # "eight rates"
    works = {m: [lr for lr, a in zip(digits.lrs, acc) if a >= 0.85]
             for m, acc in digits.accuracy.items()}
    assert works["SGD"] == [0.1, 0.3, 1.0]
    assert works["momentum 0.9"] == works["Nesterov 0.9"] == [0.01, 0.03, 0.1, 0.3]
    assert works["Adam"] == [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
    assert works["RMSProp"] == list(digits.lrs)
    # margins: no accuracy sits within a point of the 85 % line, so the counts are robust
    for acc in digits.accuracy.values():
        assert np.all(np.abs(acc - 0.85) > 0.01)
    # the best plain-SGD run is as good as the best Adam run
    assert digits.best("SGD")[0] >= digits.best("Adam")[0]


def test_digits_every_best_rate_is_inside_the_ladder(digits):
    """'each at its own tuned rate': no method's best rate is the ladder's last (SGD, best at 1,
    fails at 3) or first."""
    for method in digits.accuracy:
        assert min(digits.lrs) < digits.best(method)[1] < max(digits.lrs), method
    assert digits.accuracy["SGD"][-1] < 0.5


# --------------------------------------------------------------------------- exercise 3


def _predicted(decay, lr, lam):
    """The exercise's model, iterated: settled moments, drift -lr lam w / sqrt(g^2 + (lam w)^2)."""
    w = np.ones((len(decay.t), len(decay.scales)))
    for t in range(len(decay.t) - 1):
        d = lam * w[t]
        w[t + 1] = w[t] - lr * d / (np.sqrt(decay.scales ** 2 + d ** 2) + 1e-8)
    return w


def test_the_settled_moment_model_holds_where_the_noise_dominates_v():
    decay = decay_experiment(lr=0.02, weight_decay=0.5, n_steps=200, runs=32)
    predicted = _predicted(decay, 0.02, 0.5)
    assert np.abs(predicted[:, 1:] - decay.l2[:, 1:]).max() < 0.06
    # where the decay term dominates, v_hat remembers larger weights: the weight lags the model
    assert predicted[50, 0] < 0.02 and decay.l2[50, 0] > 0.15
    assert [round(x, 2) for x in decay.l2[[25, 50], 0]] == [0.52, 0.18]


def test_the_exercises_decision_numbers():
    def share(grad_rms, w=0.1, lr=0.001, lam=0.01):
        return lr * lam / np.sqrt(grad_rms ** 2 + (lam * w) ** 2)

    assert round(100 * share(0.001), 3) == 0.707 and round(100 * share(0.1), 3) == 0.010
    assert round(share(0.001) / (0.001 * 0.01)) == 707
