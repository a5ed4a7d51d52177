"""Lesson 04's experiments: momentum paths vs torch.optim.SGD, tuning, the explorer widget."""
import io

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from nnlesson.course.surfaces import OptimizerPath, Ravine
from nnlesson.course.lessons.momentum import (
    FORMS,
    KAPPAS,
    MomentumExplorer,
    explore_momentum,
    figure_gd_zigzag,
    figure_paths,
    heavy_ball_optimum,
    make_optimizer,
    momentum_path,
    ravine,
    rule_path,
    snapshot_momentum,
    steps_to_tolerance,
    tune_lr,
)
from nnlesson.optim import momentum_update, sgd_update
from nnlesson.viz.plotting import png_bytes


def torch_ravine_path(kappa, start, n_steps, **sgd_kwargs):
    """The same run in plain torch: f written in torch, its gradient from autograd."""
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], **sgd_kwargs)
    points = [w.detach().clone().numpy()]
    for _ in range(n_steps):
        opt.zero_grad()
        (0.5 * (w[0] ** 2 + kappa * w[1] ** 2)).backward()
        opt.step()
        points.append(w.detach().clone().numpy())
    return np.array(points)


START = (-4.5, 2.0)

# --------------------------------------------------------------------------- the forms vs torch


@pytest.mark.parametrize("kappa", [25, 100])
def test_every_form_matches_torch_sgd(kappa):
    lr, beta, n = 1.0 / kappa, 0.8, 120  # stable for every form
    surface = ravine(kappa)
    ema = momentum_path("ema", lr, beta, surface=surface, n_steps=n)
    # EMA momentum at lr is PyTorch's SGD(momentum=beta) at lr * (1 - beta)
    np.testing.assert_allclose(
        ema.points, torch_ravine_path(kappa, START, n, lr=lr * (1 - beta), momentum=beta),
        rtol=1e-10, atol=1e-12)
    classical = momentum_path("classical", lr, beta, surface=surface, n_steps=n)
    np.testing.assert_allclose(
        classical.points, torch_ravine_path(kappa, START, n, lr=lr, momentum=beta),
        rtol=1e-10, atol=1e-12)
    nesterov = momentum_path("nesterov", lr, beta, surface=surface, n_steps=n)
    np.testing.assert_allclose(
        nesterov.points,
        torch_ravine_path(kappa, START, n, lr=lr, momentum=beta, nesterov=True),
        rtol=1e-10, atol=1e-12)
    gd = momentum_path("gd", 0.01, surface=surface, n_steps=n)
    np.testing.assert_allclose(gd.points, torch_ravine_path(kappa, START, n, lr=0.01),
                               rtol=1e-10, atol=1e-12)


def test_nesterov_and_classical_with_zero_momentum_are_plain_gradient_descent():
    gd = momentum_path("gd", 0.05, n_steps=20)
    for form in ("classical", "nesterov", "ema"):
        np.testing.assert_allclose(momentum_path(form, 0.05, 0.0, n_steps=20).points,
                                   gd.points, rtol=1e-14)


def test_ravine_is_the_library_ravine():
    assert ravine(100) == Ravine(a=1.0, b=100.0)
    with pytest.raises(ValueError, match=r"kappa must be a finite number >= 1, got 0.5"):
        ravine(0.5)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"form": "adam"}, ValueError, "form must be one of 'gd', 'ema', 'classical', 'nesterov'"),
    ({"lr": -1.0}, ValueError, r"lr must be a finite number >= 0, got -1.0"),
    ({"beta": 1.0}, ValueError, r"beta must be a finite number in \[0, 1\), got 1.0"),
])
def test_make_optimizer_rejects_bad_arguments(kwargs, error, match):
    args = {"form": "ema", "lr": 0.1, "beta": 0.9} | kwargs
    with pytest.raises(error, match=match):
        make_optimizer(**args)


def test_momentum_path_rejects_a_non_surface():
    with pytest.raises(TypeError, match="surface must be a Surface"):
        momentum_path("ema", 0.1, 0.9, surface="ravine")


# --------------------------------------------------------------------------- steps to tolerance


def _path(values, diverged_at=None):
    values = np.asarray(values, dtype=float)
    return OptimizerPath(points=np.zeros((len(values), 2)), values=values,
                         diverged_at=diverged_at)


def test_steps_to_tolerance_needs_the_loss_to_stay_below():
    # dips below 1e-6 at step 1, bounces back above at step 2, stays below from step 3
    assert steps_to_tolerance(_path([10, 1e-7, 1e-5, 1e-7, 1e-8]), 1e-6) == 3
    assert steps_to_tolerance(_path([1e-7, 1e-8]), 1e-6) == 0
    assert steps_to_tolerance(_path([10, 1e-7, 1e-5]), 1e-6) is None
    assert steps_to_tolerance(_path([10, 1.0], diverged_at=2), 1e-6) is None
    assert steps_to_tolerance(_path([3.0, 2.0 + 1e-7]), 1e-6, min_value=2.0) == 1


def test_steps_to_tolerance_rejects_bad_arguments():
    with pytest.raises(TypeError, match="path must be an OptimizerPath, got list"):
        steps_to_tolerance([1.0, 0.0])
    with pytest.raises(ValueError, match=r"tol must be a finite number > 0, got 0.0"):
        steps_to_tolerance(_path([1.0]), 0.0)


def test_gd_steps_on_the_ravine_match_the_closed_form():
    # x_t = -4.5 (1 - lr)^t and y_t = 2 (1 - 25 lr)^t: the loss is known at every step
    lr, tol, n = 0.05, 1e-6, 400
    t = np.arange(n + 1)
    loss = 0.5 * ((-4.5 * (1 - lr) ** t) ** 2 + 25 * (2.0 * (1 - 25 * lr) ** t) ** 2)
    expected = int(np.flatnonzero(loss > tol)[-1] + 1)
    assert steps_to_tolerance(momentum_path("gd", lr, n_steps=n), tol) == expected


def test_tune_lr_finds_the_same_best_rate_as_trying_every_rate():
    lrs = np.logspace(-2, 0, 15)
    for form, beta in [("gd", 0.0), ("ema", 0.9), ("nesterov", 0.5)]:
        scores = []
        for lr in lrs:
            s = steps_to_tolerance(momentum_path(form, lr, beta, n_steps=250), 1e-6)
            scores.append(np.inf if s is None else s)
        best = min(scores)
        tuned = tune_lr(form, beta, lrs=lrs, n_steps=250)
        assert tuned.steps == best
        assert tuned.lr == pytest.approx(min(lr for lr, s in zip(lrs, scores) if s == best))


def test_tune_lr_reports_none_when_no_rate_reaches_the_tolerance():
    tuned = tune_lr("gd", lrs=[1e-4, 1.0], n_steps=50)
    assert tuned.lr is None and tuned.steps is None


def test_heavy_ball_optimum_by_hand_and_by_eigenvalues():
    opt = heavy_ball_optimum(ravine(25))
    assert opt["kappa"] == 25
    assert opt["gd_lr"] == pytest.approx(2 / 26)
    assert opt["beta"] == pytest.approx((4 / 6) ** 2)
    assert opt["lr_classical"] == pytest.approx(4 / 36)
    assert opt["lr_ema"] == pytest.approx((4 / 36) / (1 - 4 / 9))
    # the worst contraction factor of the heavy-ball iteration x' = x - lr h x + mu (x - x_prev)
    # over both curvatures h in {1, 25} is sqrt(mu) = 2/3
    radius = 0
    for h in (1.0, 25.0):
        M = np.array([[1 + opt["beta"] - opt["lr_classical"] * h, -opt["beta"]], [1.0, 0.0]])
        radius = max(radius, max(abs(np.linalg.eigvals(M))))
    assert radius == pytest.approx(opt["rate"], rel=1e-6)
    assert opt["rate"] == pytest.approx(2 / 3)
    with pytest.raises(TypeError, match="surface must be a Ravine"):
        heavy_ball_optimum(__import__("nnlesson.course.surfaces", fromlist=["Bowl"]).Bowl())


# --------------------------------------------------------------------------- rule_path


def test_rule_path_runs_a_rule_like_the_optimizer_classes_do():
    lr, beta = 0.3, 0.9
    path = rule_path(lambda w, g, v: momentum_update(w, g, v, lr=lr, beta=beta), np.zeros(2),
                     n_steps=50)
    np.testing.assert_allclose(path.points, momentum_path("ema", lr, beta, n_steps=50).points,
                               rtol=1e-13)
    path = rule_path(sgd_update, None, n_steps=50, lr=0.03, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(path.points,
                               momentum_path("nesterov", 0.03, 0.9, n_steps=50).points,
                               rtol=1e-13)


def test_rule_path_stops_on_divergence_and_rejects_a_non_function():
    path = rule_path(lambda w, g, v: (w + g, v), None, n_steps=100)
    assert path.diverged and len(path.points) == path.diverged_at
    with pytest.raises(TypeError, match="update must be a function"):
        rule_path(None)


# --------------------------------------------------------------------------- the explorer


def test_explorer_widget_redraws_on_every_control():
    demo = explore_momentum()
    lr, beta = demo.controls["lr"], demo.controls["beta"]
    assert type(lr).__name__ == "FloatLogSlider" and lr.description == "learning rate"
    assert "momentum" in beta.description
    # the browser test presses ArrowRight five times on the momentum slider
    assert beta.value + 5 * beta.step <= beta.max
    assert [value for _, value in demo.controls["form"].options] == list(FORMS)
    assert [value for _, value in demo.controls["kappa"].options] == list(KAPPAS)
    assert demo.update_count == 1
    for name, value in [("lr", 0.2), ("beta", 0.5), ("form", "classical"),
                        ("form", "nesterov"), ("kappa", 100), ("beta", 0.95), ("kappa", 10)]:
        count, png = demo.update_count, bytes(demo.image.value)
        demo.set(**{name: value})
        assert demo.update_count == count + 1, name
        assert bytes(demo.image.value) != png, name


def test_update_draws_the_chosen_form_and_plain_gd_at_the_same_rate():
    drawing = MomentumExplorer(n_steps=80, bake=False)
    fig, line = drawing.figure, drawing.mom_line
    drawing.update(form="classical", lr=0.01, beta=0.8, kappa=100)
    assert drawing.figure is fig and drawing.mom_line is line
    surface = ravine(100)
    np.testing.assert_allclose(line.get_xydata(), momentum_path(
        "classical", 0.01, 0.8, surface=surface, n_steps=80).points)
    np.testing.assert_allclose(drawing.gd_line.get_xydata(), momentum_path(
        "gd", 0.01, surface=surface, n_steps=80).points)
    assert drawing.loss_text.get_text().startswith("to 1e-06: momentum ")
    drawing.update(lr=0.5, beta=0.0)
    assert drawing.loss_text.get_text() == "to 1e-06: momentum diverged, GD diverged"


def _pixels(fig):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png_bytes(fig))).convert("RGB"), dtype=int)


def test_the_baked_background_draws_the_same_picture_as_a_plain_figure():
    baked = MomentumExplorer()
    baked.update(kappa=100)
    baked.update(kappa=10, lr=0.1, beta=0.7)
    plain = MomentumExplorer(bake=False)
    plain.update(kappa=10, lr=0.1, beta=0.7)
    differ = np.any(np.abs(_pixels(baked.figure) - _pixels(plain.figure)) > 40, axis=-1).mean()
    assert differ < 0.01


def test_explorer_rejects_bad_choices():
    with pytest.raises(ValueError, match="kappa must be one of 10, 25, 100; got 50"):
        explore_momentum(kappa=50)
    with pytest.raises(ValueError, match="form must be one of 'ema', 'classical', 'nesterov'"):
        MomentumExplorer(n_steps=10, bake=False).update(form="gd")


def test_static_figures_are_labelled():
    paths = {"a": momentum_path("ema", 0.3, n_steps=20), "b": momentum_path("gd", 0.05)}
    for fig in (snapshot_momentum(), figure_gd_zigzag(), figure_paths(paths, title="t")):
        assert isinstance(fig, Figure)
        for ax in fig.axes:
            assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
