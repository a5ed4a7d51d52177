"""Lesson 05's experiments: the compute functions against torch.optim and hand-worked values,
the drawings and the widget (a slider moved from code redraws the picture)."""
import numpy as np
import pytest
import torch

from nnlesson.course.surfaces import Beale, Ravine
from nnlesson.course.lessons import adagrad_and_rmsprop as lesson
from nnlesson.course.lessons.adagrad_and_rmsprop import (
    ADAGRAD_EPS,
    METHODS,
    RMSPROP_EPS,
    AdaptivePathsExplorer,
    adaptive_paths,
    constant_gradient_steps,
    explore_adaptive_paths,
    figure_step_sizes,
    snapshot_adaptive_paths,
    wine_comparison,
)
from nnlesson.viz.plotting import png_bytes


def torch_loss(surface, w):
    """The surfaces written again in torch (autograd gives the gradient)."""
    x, y = w[0], w[1]
    if isinstance(surface, Ravine):
        return 0.5 * (surface.a * x**2 + surface.b * y**2)
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2
            + (2.625 - x + x * y**3) ** 2)


def torch_path(surface, make, n_steps):
    w = torch.tensor(surface.default_start, dtype=torch.float64, requires_grad=True)
    opt = make([w])
    points = [w.detach().clone().numpy()]
    for _ in range(n_steps):
        opt.zero_grad()
        torch_loss(surface, w).backward()
        opt.step()
        points.append(w.detach().clone().numpy())
    return np.array(points), opt


# --------------------------------------------------------------------------- adaptive_paths


@pytest.mark.parametrize("name, surface, lr, beta", [
    ("ravine", Ravine(), 0.05, 0.9),
    ("ravine", Ravine(), 0.5, 0.99),
    ("beale", Beale(), 0.01, 0.9),
    ("beale", Beale(), 0.1, 0.5),
])
def test_paths_match_torch_optim(name, surface, lr, beta):
    n = 120
    runs = adaptive_paths(name, lr, beta, n_steps=n)
    makers = {
        "SGD": lambda p: torch.optim.SGD(p, lr=lr),
        "AdaGrad": lambda p: torch.optim.Adagrad(p, lr=lr, eps=ADAGRAD_EPS),
        "RMSProp": lambda p: torch.optim.RMSprop(p, lr=lr, alpha=beta, eps=RMSPROP_EPS),
    }
    for method in METHODS:
        run = runs[method]
        expected, _ = torch_path(surface, makers[method], n)
        k = len(run.points)
        np.testing.assert_allclose(run.points, expected[:k], rtol=1e-10, atol=1e-12)
        if run.diverged:
            assert method == "SGD" and k == run.diverged_at
        else:
            assert k == n + 1
        np.testing.assert_allclose(run.values, [surface.value(p) for p in run.points],
                                   rtol=1e-12)


def test_effective_lr_is_the_step_divided_by_the_gradient():
    surface = Beale()
    for method, run in adaptive_paths("beale", 0.05, 0.9, n_steps=60).items():
        steps = -np.diff(run.points, axis=0)
        grads = surface.grad(run.points[:-1])
        assert run.effective_lr.shape == steps.shape
        np.testing.assert_allclose(steps, run.effective_lr * grads, rtol=1e-9, atol=1e-15)


def test_effective_lr_of_torch_state_matches():
    lr, beta = 0.1, 0.9
    runs = adaptive_paths("ravine", lr, beta, n_steps=40)
    _, ada = torch_path(Ravine(), lambda p: torch.optim.Adagrad(p, lr=lr, eps=ADAGRAD_EPS), 40)
    _, rms = torch_path(Ravine(), lambda p: torch.optim.RMSprop(p, lr=lr, alpha=beta,
                                                                 eps=RMSPROP_EPS), 40)
    s = next(iter(ada.state.values()))["sum"].numpy()
    q = next(iter(rms.state.values()))["square_avg"].numpy()
    np.testing.assert_allclose(runs["AdaGrad"].effective_lr[-1], lr / (np.sqrt(s) + ADAGRAD_EPS),
                               rtol=1e-10)
    np.testing.assert_allclose(runs["RMSProp"].effective_lr[-1], lr / (np.sqrt(q) + RMSPROP_EPS),
                               rtol=1e-10)


def test_first_step_by_hand_on_the_ravine():
    # start (-4.5, 2): gradient (a x, b y) = (-4.5, 50)
    runs = adaptive_paths("ravine", 0.1, 0.9, n_steps=1)
    np.testing.assert_allclose(runs["SGD"].points[1], [-4.5 + 0.45, 2.0 - 5.0])
    np.testing.assert_allclose(runs["AdaGrad"].points[1], [-4.4, 1.9], rtol=1e-9)
    np.testing.assert_allclose(runs["AdaGrad"].effective_lr[0], [0.1 / 4.5, 0.1 / 50], rtol=1e-9)
    # RMSProp: s = 0.1 g^2, so the step is lr / sqrt(0.1) per weight
    step = 0.1 / np.sqrt(0.1)
    np.testing.assert_allclose(runs["RMSProp"].points[1], [-4.5 + step, 2.0 - step], rtol=1e-9)
    assert runs["SGD"].effective_lr.tolist() == [[0.1, 0.1]]


def test_divergence_is_detected_and_reported():
    runs = adaptive_paths("ravine", 0.1, 0.9)  # above 2 / 25 = 0.08
    sgd = runs["SGD"]
    assert sgd.diverged and sgd.diverged_at == len(sgd.points)
    assert len(sgd.effective_lr) == len(sgd.points) - 1
    assert np.all(np.abs(sgd.points).sum(axis=1) <= 1e6)
    assert sgd.status() == f"diverged (step {sgd.diverged_at})"
    assert not adaptive_paths("ravine", 0.07, 0.9)["SGD"].diverged
    assert runs["AdaGrad"].status().startswith("loss ")


def test_beta_changes_rmsprop_only_and_results_are_cached():
    a = adaptive_paths("ravine", 0.2, 0.5)
    b = adaptive_paths("ravine", 0.2, 0.95)
    assert a["SGD"] is b["SGD"] and a["AdaGrad"] is b["AdaGrad"]
    assert not np.allclose(a["RMSProp"].points, b["RMSProp"].points)
    assert adaptive_paths("ravine", 0.2, 0.5)["RMSProp"] is a["RMSProp"]


def test_a_surface_object_and_a_start_are_accepted():
    runs = adaptive_paths(Ravine(a=1.0, b=4.0), 0.1, 0.9, n_steps=5, start=(1.0, 1.0))
    np.testing.assert_array_equal(runs["SGD"].points[0], [1.0, 1.0])
    np.testing.assert_allclose(runs["SGD"].points[1], [0.9, 0.6])


@pytest.mark.parametrize("kwargs, error, message", [
    ({"surface": "bowl"}, ValueError, "surface must be one of"),
    ({"surface": 3}, TypeError, "surface must be a Surface"),
    ({"lr": 0.0}, ValueError, "lr must be a finite number > 0"),
    ({"beta": 1.0}, ValueError, r"beta must be a finite number in \[0, 1\)"),
    ({"n_steps": 0}, ValueError, "n_steps must be an integer in"),
    ({"start": (1.0, 2.0, 3.0)}, ValueError, r"start must be a point \(x, y\) of shape \(2,\)"),
])
def test_adaptive_paths_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        adaptive_paths(**kwargs)


# --------------------------------------------------------------------------- constant gradient


def test_constant_gradient_steps_match_the_formulas():
    lr, n = 0.1, 500
    t = np.arange(1, n + 1)
    for beta in (0.5, 0.9, 0.99):
        steps = constant_gradient_steps(n, lr, beta, g=2.0)
        np.testing.assert_allclose(steps["AdaGrad"], lr * 2 / (np.sqrt(t) * 2 + ADAGRAD_EPS),
                                   rtol=1e-9)
        np.testing.assert_allclose(steps["RMSProp"],
                                   lr * 2 / (np.sqrt(1 - beta**t) * 2 + RMSPROP_EPS), rtol=1e-9)


def test_constant_gradient_steps_match_torch():
    lr, beta, n = 0.1, 0.9, 50
    for name, make in (("AdaGrad", lambda p: torch.optim.Adagrad(p, lr=lr, eps=ADAGRAD_EPS)),
                       ("RMSProp", lambda p: torch.optim.RMSprop(p, lr=lr, alpha=beta,
                                                                 eps=RMSPROP_EPS))):
        w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = make([w])
        xs = [0.0]
        for _ in range(n):
            opt.zero_grad()
            (1.5 * w).sum().backward()
            opt.step()
            xs.append(float(w.detach()[0]))
        np.testing.assert_allclose(constant_gradient_steps(n, lr, beta, g=1.5)[name],
                                   np.abs(np.diff(xs)), rtol=1e-10)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_steps": 0}, "n_steps must be an integer"),
    ({"lr": -1.0}, "lr must be a finite number > 0"),
    ({"beta": 1.5}, "beta must be a finite number in"),
    ({"g": float("nan")}, "g must be a finite number"),
])
def test_constant_gradient_steps_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        constant_gradient_steps(**kwargs)


# --------------------------------------------------------------------------- wine


def test_wine_comparison_shape_and_table():
    result = wine_comparison(lrs=(0.01, 0.1), epochs=3)
    assert list(result.accuracy) == ["SGD", "AdaGrad", "RMSProp", "SGD, standardized"]
    for acc in result.accuracy.values():
        assert acc.shape == (2,) and np.all((acc >= 0) & (acc <= 1) | np.isnan(acc))
    best, lr = result.best("RMSProp")
    assert best == np.nanmax(result.accuracy["RMSProp"]) and lr in (0.01, 0.1)
    lines = result.table().splitlines()
    assert lines[0].split() == ["method", "0.01", "0.1", "best"] and len(lines) == 5


def test_wine_comparison_rejects_bad_arguments():
    with pytest.raises(ValueError, match="lrs must be a finite number > 0"):
        wine_comparison(lrs=(0.0,))
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        wine_comparison(epochs=0)


# --------------------------------------------------------------------------- drawing and widget


def test_widget_redraws_on_every_control():
    demo = explore_adaptive_paths()
    assert demo.update_count == 1 and set(demo.controls) == {"surface", "lr", "beta"}
    for name, value in (("lr", 0.3), ("beta", 0.99), ("surface", "beale"), ("lr", 0.02),
                        ("surface", "ravine"), ("beta", 0.999), ("lr", 0.07)):
        count, image = demo.update_count, bytes(demo.image.value)
        demo.set(**{name: value})
        assert demo.update_count == count + 1, name
        assert bytes(demo.image.value) != image, name
    with pytest.raises(ValueError, match="lr"):
        demo.set(lr=0.06)  # not on the slider: the lesson does not name it


def test_the_drawing_shows_the_runs():
    explorer = AdaptivePathsExplorer(n_steps=50)
    explorer.snapshot(surface="beale", lr=0.05, beta=0.9)
    runs = explorer.result
    for method in METHODS:
        x, y = explorer.map.lines[method].get_data()
        np.testing.assert_array_equal(x, runs[method].points[:, 0])
        np.testing.assert_array_equal(y, runs[method].points[:, 1])
        eff_y = explorer.rates.lines[f"{method} y"].get_ydata()
        np.testing.assert_allclose(eff_y[:len(runs[method].effective_lr)],
                                   np.clip(runs[method].effective_lr[:, 1], 1e-4, 1e3),
                                   rtol=1e-3)
    ax_path, ax_lr = explorer.figure.axes[:2]
    assert ax_path.get_xlim() == Beale().bounds[0]
    assert "AdaGrad:" in explorer.summary
    assert ax_path.get_xlabel() and ax_path.get_ylabel() and ax_path.get_title()
    assert ax_lr.get_xlabel() and ax_lr.get_ylabel() and ax_lr.get_title()


def test_snapshot_and_step_size_figures_have_alt_text_and_readable_text():
    from nnlesson.viz.plotting import alt_text, smallest_text_px

    fig = snapshot_adaptive_paths(30, surface="beale", lr=0.1, beta=0.99)
    assert png_bytes(fig)[:4] == b"\x89PNG"
    assert "Settings: surface = Beale's function, learning rate = 0.1" in alt_text(fig)
    fig = figure_step_sizes(n_steps=100)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log" and len(ax.get_lines()) == 4
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert "3.16 at beta 0.9" in alt_text(fig)
    fig = lesson.figure_paths({"a path": np.array([[-4.5, 2.0], [0.0, 0.0]])})
    for fig in (fig, figure_step_sizes(n_steps=50)):
        assert smallest_text_px(fig) >= 14 and len(alt_text(fig)) > 40


def test_explorer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_steps must be an integer"):
        AdaptivePathsExplorer(n_steps=0)
    assert lesson.SURFACE_NAMES == ("ravine", "beale")
