"""Lesson 06's experiments: the compute functions against torch.optim and hand-worked values,
the drawings and the widgets (a slider moved from code redraws the picture)."""
import numpy as np
import pytest
import torch

from nnlesson.course.surfaces import Beale
from nnlesson.course.lessons.adam_and_adamw import (
    EPS,
    BiasCorrectionExplorer,
    WeightDecayExplorer,
    bias_correction_paths,
    decay_experiment,
    digits_comparison,
    explore_bias_correction,
    explore_weight_decay,
    first_steps,
    snapshot_bias_correction,
    snapshot_weight_decay,
)
from nnlesson.viz.plotting import png_bytes

# --------------------------------------------------------------------------- first steps


@pytest.mark.parametrize("beta1, beta2", [(0.9, 0.999), (0.99, 0.999), (0.5, 0.9), (0.0, 0.99)])
def test_first_steps_match_the_formulas(beta1, beta2):
    lr, g, n = 0.01, -2.0, 80
    fs = first_steps(n, lr, beta1, beta2, g=g)
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
    fs = first_steps(n, lr, 0.8, 0.99, g=3.0)
    np.testing.assert_allclose(fs.step_corrected, np.abs(np.diff(xs)), rtol=1e-10)
    state = opt.state[w]
    np.testing.assert_allclose(fs.m[-1], state["exp_avg"].item(), rtol=1e-12)
    np.testing.assert_allclose(fs.v[-1], state["exp_avg_sq"].item(), rtol=1e-12)


def test_the_peak_of_the_uncorrected_steps():
    fs = first_steps(60, 1e-3, 0.9, 0.999)
    t_peak, peak = fs.peak
    ratio = (1 - 0.9 ** fs.t) / np.sqrt(1 - 0.999 ** fs.t)
    assert t_peak == int(fs.t[np.argmax(ratio)])
    assert peak == pytest.approx(ratio.max(), rel=1e-6)


def test_first_steps_are_cached_and_read_only():
    a = first_steps(20, 0.1)
    assert first_steps(20, 0.1) is a
    with pytest.raises(ValueError):
        a.m[0] = 1.0


@pytest.mark.parametrize("kwargs, message", [
    ({"n_steps": 0}, "n_steps must be an integer"),
    ({"lr": 0.0}, "lr must be a finite number > 0"),
    ({"beta1": 1.0}, r"beta1 must be a finite number in \[0, 1\)"),
    ({"beta2": -0.1}, r"beta2 must be a finite number in \[0, 1\)"),
    ({"g": float("inf")}, "g must be a finite number"),
])
def test_first_steps_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        first_steps(**kwargs)


# --------------------------------------------------------------------------- paths


def torch_beale(w):
    x, y = w[0], w[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


@pytest.mark.parametrize("lr, beta1, beta2", [(0.1, 0.9, 0.999), (0.03, 0.5, 0.99)])
def test_corrected_path_matches_torch_adam(lr, beta1, beta2):
    n = 100
    path = bias_correction_paths("beale", lr, beta1, beta2, n)[True]
    w = torch.tensor(Beale.default_start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w], lr=lr, betas=(beta1, beta2), eps=EPS)
    points = [w.detach().clone().numpy()]
    for _ in range(n):
        opt.zero_grad()
        torch_beale(w).backward()
        opt.step()
        points.append(w.detach().clone().numpy())
    np.testing.assert_allclose(path.points, np.array(points), rtol=1e-10, atol=1e-12)


def test_uncorrected_first_step_by_hand():
    lr, beta1, beta2 = 0.1, 0.9, 0.999
    path = bias_correction_paths("beale", lr, beta1, beta2, 3)[False]
    g = Beale().grad(np.array(Beale.default_start))
    step = lr * (1 - beta1) * g / (np.sqrt(1 - beta2) * np.abs(g) + EPS)
    np.testing.assert_allclose(path.points[1], np.array(Beale.default_start) - step, rtol=1e-12)
    assert np.allclose(np.abs(path.points[1] - path.points[0]), 3.1623 * lr, rtol=1e-4)


def test_bias_correction_paths_rejects_bad_arguments():
    with pytest.raises(ValueError, match="surface must be one of"):
        bias_correction_paths("volcano")
    with pytest.raises(ValueError, match="n_steps must be an integer"):
        bias_correction_paths(n_steps=0)


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
    result = decay_experiment(**args)
    expected = torch_decay(0.05, 0.8, 0.99, 0.3, 60, (0.1, 1.0, 10.0), 4, 3, decoupled)
    got = result.adamw if decoupled else result.l2
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(result.reference, (1 - 0.05 * 0.3) ** np.arange(61), rtol=1e-12)
    assert result.l2.shape == result.adamw.shape == (61, 3)


def test_without_decay_both_are_the_same_run():
    result = decay_experiment(weight_decay=0.0, n_steps=50, runs=3)
    np.testing.assert_array_equal(result.l2, result.adamw)
    np.testing.assert_array_equal(result.reference, np.ones(51))


@pytest.mark.parametrize("kwargs, message", [
    ({"weight_decay": -1.0}, "weight_decay must be a finite number >= 0"),
    ({"scales": ()}, "scales must hold at least one"),
    ({"scales": (1.0, 0.0)}, "scales must be a finite number > 0"),
    ({"runs": 0}, "runs must be an integer"),
    ({"seed": -1}, "seed must be an integer >= 0"),
])
def test_decay_experiment_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        decay_experiment(**kwargs)


# --------------------------------------------------------------------------- digits


def test_digits_comparison_shape_and_table():
    result = digits_comparison(lrs=(0.01, 0.1), epochs=1)
    assert list(result.accuracy) == ["SGD", "SGD + momentum 0.9", "Adam"]
    for acc in result.accuracy.values():
        assert acc.shape == (2,) and np.all((acc > 0) & (acc <= 1))
    assert result.best("Adam")[1] in (0.01, 0.1)
    assert set(result.good_range("Adam", within=1.0)) == {0.01, 0.1}
    assert result.table().splitlines()[0].split() == ["method", "0.01", "0.1"]
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        digits_comparison(epochs=0)


# --------------------------------------------------------------------------- drawings and widgets


def test_bias_correction_widget_redraws_on_every_control():
    demo = explore_bias_correction()
    assert demo.update_count == 1 and set(demo.controls) == {"lr", "beta1", "beta2"}
    assert demo.controls["lr"].__class__.__name__ == "FloatLogSlider"
    for name, value in (("lr", 0.3), ("beta1", 0.99), ("beta2", 0.99), ("lr", 0.01)):
        count, image = demo.update_count, bytes(demo.image.value)
        demo.set(**{name: value})
        assert demo.update_count == count + 1, name
        assert bytes(demo.image.value) != image, name


def test_weight_decay_widget_redraws_on_every_control():
    demo = explore_weight_decay()
    assert set(demo.controls) == {"lr", "beta1", "beta2", "weight_decay"}
    for name, value in (("lr", 0.005), ("beta1", 0.5), ("beta2", 0.99), ("weight_decay", 1.5)):
        count, image = demo.update_count, bytes(demo.image.value)
        demo.set(**{name: value})
        assert demo.update_count == count + 1, name
        assert bytes(demo.image.value) != image, name


def test_the_drawings_show_the_computed_values():
    drawing = BiasCorrectionExplorer(bake=False, lr=0.05, beta1=0.9, beta2=0.999)
    lines = list(drawing.lines.values())
    np.testing.assert_array_equal(lines[2].get_ydata(), drawing.first.step_uncorrected / 0.05)
    assert "step 1 = 3.16 lr" in drawing.first_text.get_text()
    x, _ = drawing.path_lines[False].get_data()
    np.testing.assert_array_equal(x, drawing.paths[False].points[:, 0])
    decay = WeightDecayExplorer(bake=False, n_steps=40, runs=2, weight_decay=1.0)
    np.testing.assert_array_equal(decay.lines[False][2].get_ydata(), decay.result.l2[:, 2])
    np.testing.assert_array_equal(decay.refs[True].get_ydata(), decay.result.reference)
    for fig in (drawing.figure, decay.figure):
        for ax in fig.axes:
            assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_snapshots_are_figures():
    for fig in (snapshot_bias_correction(lr=0.3), snapshot_weight_decay(weight_decay=1.0)):
        assert len(fig.axes) == 2 and png_bytes(fig)[:4] == b"\x89PNG"
