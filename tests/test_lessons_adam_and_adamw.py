"""Lesson 06's experiments: the compute functions against torch.optim and hand-worked values,
the race's bookkeeping, the explorers (on the Explorer base) and the figures."""
import numpy as np
import pytest
import torch

from nnlesson.course.lessons import adam_and_adamw as L
from nnlesson.course.surfaces import Beale, Ravine, Rosenbrock
from nnlesson.viz.plotting import alt_text, png_bytes

EPS = L.EPS

# --------------------------------------------------------------------------- first steps


@pytest.mark.parametrize("beta1, beta2", [(0.9, 0.999), (0.99, 0.999), (0.5, 0.9), (0.0, 0.99)])
def test_first_steps_match_the_formulas(beta1, beta2):
    lr, g, n = 0.01, -2.0, 80
    fs = L.first_steps(n, lr, beta1, beta2, g=g)
    t = np.arange(1, n + 1)
    np.testing.assert_array_equal(fs.t, t)
    np.testing.assert_allclose(fs.m, (1 - beta1**t) * g, rtol=1e-12)
    np.testing.assert_allclose(fs.v, (1 - beta2**t) * g * g, rtol=1e-12)
    # with the correction m_hat = g and v_hat = g^2: every step is lr |g| / (|g| + eps)
    np.testing.assert_allclose(fs.step_corrected, lr * 2 / (2 + EPS), rtol=1e-9)
    np.testing.assert_allclose(fs.step_uncorrected,
                               lr * (1 - beta1**t) * 2 / (np.sqrt(1 - beta2**t) * 2 + EPS),
                               rtol=1e-9)


def test_first_steps_with_correction_match_torch_adam():
    lr, n = 0.01, 30
    w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w], lr=lr, betas=(0.8, 0.99), eps=EPS)
    xs = [0.0]
    for _ in range(n):
        opt.zero_grad()
        (3.0 * w).sum().backward()
        opt.step()
        xs.append(float(w.detach()[0]))
    fs = L.first_steps(n, lr, 0.8, 0.99, g=3.0)
    np.testing.assert_allclose(fs.step_corrected, np.abs(np.diff(xs)), rtol=1e-10)
    state = opt.state[w]
    np.testing.assert_allclose(fs.m[-1], state["exp_avg"].item(), rtol=1e-12)
    np.testing.assert_allclose(fs.v[-1], state["exp_avg_sq"].item(), rtol=1e-12)


def test_the_peak_of_the_uncorrected_steps():
    fs = L.first_steps(60, 1e-3, 0.9, 0.999)
    t_peak, peak = fs.peak
    ratio = (1 - 0.9 ** fs.t) / np.sqrt(1 - 0.999 ** fs.t)
    assert t_peak == int(fs.t[np.argmax(ratio)])
    assert peak == pytest.approx(ratio.max(), rel=1e-6)


def test_first_steps_are_cached_and_read_only():
    a = L.first_steps(20, 0.1)
    assert L.first_steps(20, 0.1) is a
    with pytest.raises(ValueError):
        a.m[0] = 1.0


@pytest.mark.parametrize("kwargs, message", [
    ({"n_steps": 0}, "n_steps must be an integer"),
    ({"lr": 0.0}, "lr must be a finite number > 0"),
    ({"beta1": 1.0}, r"beta1 must be a finite number in \[0, 1\)"),
    ({"beta2": -0.1}, r"beta2 must be a finite number in \[0, 1\)"),
    ({"g": float("inf")}, "g must be a finite number"),
    ({"n_steps": 100000, "lr": 100.0}, "lr \\* n_steps must keep the weight"),
])
def test_first_steps_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        L.first_steps(**kwargs)


# --------------------------------------------------------------------------- paths


def torch_beale(w):
    x, y = w[0], w[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def torch_ravine(w):
    return 0.5 * (w[0] ** 2 + 25.0 * w[1] ** 2)


def torch_rosenbrock(w):
    return (1.0 - w[0]) ** 2 + 100.0 * (w[1] - w[0] ** 2) ** 2


def torch_points(loss, start, make, n):
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make([w])
    points = [w.detach().clone().numpy()]
    for _ in range(n):
        opt.zero_grad()
        loss(w).backward()
        opt.step()
        points.append(w.detach().clone().numpy())
    return np.array(points)


@pytest.mark.parametrize("lr, beta1, beta2", [(0.1, 0.9, 0.999), (0.03, 0.5, 0.99)])
def test_corrected_path_matches_torch_adam(lr, beta1, beta2):
    path = L.bias_correction_paths("beale", lr, beta1, beta2, 100)[True]
    expected = torch_points(torch_beale, Beale.default_start, lambda p: torch.optim.Adam(
        p, lr=lr, betas=(beta1, beta2), eps=EPS), 100)
    np.testing.assert_allclose(path.points, expected, rtol=1e-10, atol=1e-12)


def test_uncorrected_first_step_by_hand():
    lr, beta1, beta2 = 0.1, 0.9, 0.999
    path = L.bias_correction_paths("beale", lr, beta1, beta2, 3)[False]
    g = Beale().grad(np.array(Beale.default_start))
    step = lr * (1 - beta1) * g / (np.sqrt(1 - beta2) * np.abs(g) + EPS)
    np.testing.assert_allclose(path.points[1], np.array(Beale.default_start) - step, rtol=1e-12)
    assert np.allclose(np.abs(path.points[1] - path.points[0]), 3.1623 * lr, rtol=1e-4)


def test_bias_correction_paths_rejects_bad_arguments():
    with pytest.raises(ValueError, match="surface must be one of"):
        L.bias_correction_paths("volcano")
    with pytest.raises(ValueError, match="n_steps must be an integer"):
        L.bias_correction_paths(n_steps=0)


def test_rule_path_runs_a_students_function_like_the_library():
    def adam(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        return w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v

    mine = L.rule_path(adam, "adam", surface="beale", lr=0.1, n_steps=50)
    np.testing.assert_allclose(mine.points, L.bias_correction_paths("beale", 0.1, n_steps=50)[
        True].points, rtol=1e-12)
    fig = L.figure_paths({"mine": mine.points}, "beale", title="a path")
    assert "mine" in alt_text(fig) and png_bytes(fig)[:4] == b"\x89PNG"


# --------------------------------------------------------------------------- weight decay


def torch_decay(lr, beta1, beta2, lam, n, scales, runs, seed, decoupled):
    noise = np.random.default_rng(seed).standard_normal((n, runs, 1))
    w = torch.ones((runs, len(scales)), dtype=torch.float64, requires_grad=True)
    cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    opt = cls([w], lr=lr, betas=(beta1, beta2), eps=EPS, weight_decay=lam)
    means = [w.detach().mean(0).numpy().copy()]
    for t in range(n):
        w.grad = torch.from_numpy(noise[t] * np.array(scales))
        opt.step()
        means.append(w.detach().mean(0).numpy().copy())
    return np.array(means)


@pytest.mark.parametrize("decoupled", [False, True])
def test_decay_experiment_matches_torch(decoupled):
    args = dict(lr=0.05, beta1=0.8, beta2=0.99, weight_decay=0.3, n_steps=60,
                scales=(0.1, 1.0, 10.0), runs=4, seed=3)
    result = L.decay_experiment(**args)
    expected = torch_decay(0.05, 0.8, 0.99, 0.3, 60, (0.1, 1.0, 10.0), 4, 3, decoupled)
    got = result.adamw if decoupled else result.l2
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(result.reference, (1 - 0.05 * 0.3) ** np.arange(61), rtol=1e-12)
    assert result.l2.shape == result.adamw.shape == (61, 3)


def test_without_decay_both_are_the_same_run():
    result = L.decay_experiment(weight_decay=0.0, n_steps=50, runs=3)
    np.testing.assert_array_equal(result.l2, result.adamw)
    np.testing.assert_array_equal(result.reference, np.ones(51))


def test_rule_decay_uses_the_noise_of_one_run_of_the_experiment():
    def adamw(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        w = w * (1 - lr * weight_decay)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        return w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v

    mine = L.rule_decay(adamw, "adamw", lr=0.02, weight_decay=0.5, n_steps=40, seed=2)
    one_run = L.decay_experiment(lr=0.02, weight_decay=0.5, n_steps=40, runs=1, seed=2)
    np.testing.assert_allclose(mine, one_run.adamw, rtol=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    ({"weight_decay": -1.0}, "weight_decay must be a finite number >= 0"),
    ({"scales": ()}, "scales must hold at least one"),
    ({"scales": (1.0, 0.0)}, "scales must be a finite number > 0"),
    ({"runs": 0}, "runs must be an integer"),
    ({"seed": -1}, "seed must be an integer >= 0"),
])
def test_decay_experiment_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        L.decay_experiment(**kwargs)


def test_figure_prediction_checks_the_shape_and_describes_the_curves():
    d = L.decay_experiment(n_steps=20, runs=2)
    fig = L.figure_prediction(d, d.l2 * 0.5, label="half")
    assert "predicted by half" in alt_text(fig)
    with pytest.raises(ValueError, match="predicted must have the shape"):
        L.figure_prediction(d, d.l2[:5])


# --------------------------------------------------------------------------- the race

TORCH_OPTIMIZERS = {
    "SGD": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "momentum 0.9": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "Nesterov 0.9": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "RMSProp": lambda p, lr: torch.optim.RMSprop(p, lr=lr, alpha=0.99, eps=1e-8),
    "Adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
}
TORCH_SURFACES = {"ravine": (torch_ravine, Ravine), "beale": (torch_beale, Beale),
                  "rosenbrock": (torch_rosenbrock, Rosenbrock)}


@pytest.fixture(scope="module")
def race():
    return L.surface_race()


@pytest.mark.parametrize("surface", list(TORCH_SURFACES))
def test_every_racer_takes_torchs_steps_at_its_tuned_rate(race, surface):
    loss, cls = TORCH_SURFACES[surface]
    for method, make in TORCH_OPTIMIZERS.items():
        entry = race.entries[surface][method]
        expected = torch_points(loss, cls.default_start, lambda p: make(p, entry.lr), 60)
        np.testing.assert_allclose(entry.path.points[:61], expected, rtol=1e-8, atol=1e-10,
                                   err_msg=method)


def test_the_tuned_rate_is_the_fewest_steps_of_the_ladder(race):
    """Brute force over the whole ladder, steps counted by hand, against the race's choice."""
    from nnlesson.course.runner import run

    surface, n = Beale(), race.budgets["beale"]
    for method in ("momentum 0.9", "Adam", "RMSProp"):
        rule, hp = L.RACERS[method]
        counts = {}
        for lr in race.lrs:
            values = run(surface, rule, lr=lr, hyperparameters=hp, n_steps=n).values
            if len(values) == n + 1:
                below = values <= race.tol
                # the first step from which every later loss is below the tolerance
                first = next((s for s in range(n + 1) if below[s:].all()), None)
                if first is not None:
                    counts[lr] = first
        entry = race.entries["beale"][method]
        assert entry.reached == len(counts), method
        if counts:
            fewest = min(counts.values())
            assert entry.steps == fewest and entry.lr == min(
                lr for lr, s in counts.items() if s == fewest), method
        else:
            assert entry.steps is None


def test_the_race_table_names_every_method_and_the_ones_that_never_arrive(race):
    table = race.table()
    for method in L.RACERS:
        assert method in table
    assert "never" in table and "at best" in table


def test_digits_race_bookkeeping():
    d = L.digits_race(lrs=(0.01, 0.1), epochs=1)
    assert list(d.accuracy) == list(L.RACERS)
    for acc in d.accuracy.values():
        assert acc.shape == (2,) and np.all((acc > 0) & (acc <= 1))
    assert d.best("Adam")[1] in (0.01, 0.1)
    assert set(d.good_range("Adam", within=1.0)) == {0.01, 0.1}
    assert d.table().splitlines()[0].split() == ["method", "0.01", "0.1"]
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        L.digits_race(epochs=0)


def test_a_digits_run_is_fit_with_the_racers_optimizer():
    from nnlesson.datasets import load_digits_split
    from nnlesson.optim import RMSprop
    from nnlesson.train import fit, mlp

    X_train, X_val, y_train, y_val = load_digits_split()
    model = mlp([64, 32, 10], rng=0)
    h = fit(model, X_train, y_train, optimizer=RMSprop(model.parameters(), lr=0.01),
            epochs=1, batch_size=64, rng=0, X_val=X_val, y_val=y_val)
    assert L.digits_race(lrs=(0.01,), epochs=1).accuracy["RMSProp"][0] == h.val_acc[-1]


def test_figure_race_has_four_panels_and_says_what_they_show(race):
    fig = L.figure_race(race, L.digits_race(lrs=(0.01, 0.1), epochs=1))
    assert len(fig.axes) == 4 and "Rosenbrock" in alt_text(fig)
    for ax in fig.axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


# --------------------------------------------------------------------------- explorers


def test_the_bias_correction_explorer_shows_the_computed_values():
    ex = L.BiasCorrectionExplorer()
    fig = ex.snapshot(lr=0.05)
    fs, paths = ex.result
    np.testing.assert_allclose(ex.first.lines["uncorrected"].get_ydata(),
                               fs.step_uncorrected / fs.lr)
    x, _ = ex.map.lines[False].get_data()
    np.testing.assert_array_equal(x, paths[False].points[:, 0])
    assert "step 1 = 3.16 lr" in ex.summary and "learning rate = 0.05" in alt_text(fig)


def test_the_weight_decay_explorer_shows_the_computed_values():
    ex = L.WeightDecayExplorer(n_steps=40, runs=2)
    ex.snapshot(weight_decay=1.0)
    np.testing.assert_array_equal(ex.l2.lines[2].get_ydata(), ex.result.l2[:, 2])
    np.testing.assert_array_equal(ex.adamw.lines["reference"].get_ydata(),
                                  ex.result.reference)
    assert ex.summary.startswith("After 40 steps: Adam + L2")


@pytest.mark.parametrize("explore, moves", [
    (L.explore_bias_correction, {"lr": 0.3, "beta1": 0.99, "beta2": 0.9999}),
    (L.explore_weight_decay, {"lr": 0.005, "weight_decay": 1.5, "beta1": 0.5, "beta2": 0.99}),
])
def test_each_control_redraws_and_lands_on_the_lessons_values(explore, moves):
    demo = explore()
    for name, value in moves.items():
        count, image = demo.update_count, bytes(demo.image.value)
        demo.set(**{name: value})
        assert demo.values()[name] == value
        assert demo.update_count == count + 1, name
        assert bytes(demo.image.value) != image, name
