"""Lesson 04's experiments: momentum paths vs torch.optim.SGD, tuning, noisy gradients, the
explorer (on the Explorer base) and the static figures."""
import io
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from nnlesson.course.lessons.momentum import (
    BETA_LADDER,
    FORMS,
    KAPPAS,
    LR_LADDER,
    MomentumExplorer,
    explore_momentum,
    figure_gd_zigzag,
    figure_paths,
    heavy_ball_optimum,
    momentum_path,
    noisy_race,
    ravine,
    rule_path,
    snapshot_momentum,
    steps_to_tolerance,
    tune_lr,
)
from nnlesson.course.runner import DIVERGED_NORM, OptimizerPath
from nnlesson.course.surfaces import Ravine
from nnlesson.optim import momentum_update, sgd_update
from nnlesson.viz.plotting import alt_text, png_bytes, smallest_text_px

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "04_momentum.ipynb"


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
    ({"n_steps": -1}, ValueError, "n_steps must be"),
])
def test_momentum_path_rejects_bad_arguments(kwargs, error, match):
    args = {"form": "ema", "lr": 0.1, "beta": 0.9} | kwargs
    with pytest.raises(error, match=match):
        momentum_path(**args)


def test_momentum_path_takes_a_surface_or_its_name_and_rejects_anything_else():
    np.testing.assert_array_equal(momentum_path("ema", 0.1, 0.9, surface="ravine").points,
                                  momentum_path("ema", 0.1, 0.9, surface=ravine(25)).points)
    with pytest.raises(TypeError, match="surface must be a Surface"):
        momentum_path("ema", 0.1, 0.9, surface=25)


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
    path = rule_path(lambda w, g, v, lr: momentum_update(w, g, v, lr=lr, beta=beta),
                     np.zeros(2), n_steps=50, lr=lr)
    np.testing.assert_allclose(path.points, momentum_path("ema", lr, beta, n_steps=50).points,
                               rtol=1e-13)
    path = rule_path(sgd_update, None, n_steps=50, lr=0.03, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(path.points,
                               momentum_path("nesterov", 0.03, 0.9, n_steps=50).points,
                               rtol=1e-13)


def test_rule_path_stops_on_divergence_and_rejects_a_non_function():
    # w grows by g = (x, 25 y) each step: y = 2 * 26^t passes 1e6 at t = 5
    path = rule_path(lambda w, g, v, lr: (w + lr * g, v), None, n_steps=100, lr=1.0)
    assert path.diverged_at == 5 and len(path.points) == path.diverged_at
    assert np.linalg.norm(path.points[-1]) <= DIVERGED_NORM
    with pytest.raises(TypeError, match="update must be a function"):
        rule_path(None, lr=0.1)


# --------------------------------------------------------------------------- noisy gradients


def test_noisy_race_is_the_momentum_rule_with_gaussian_noise_on_each_gradient():
    """The same runs written out by hand: seeds side by side, one noise draw per step."""
    race = noisy_race(kappas=(25,), betas=(0.0, 0.9), lrs=(0.02, 0.3), n_steps=60, n_seeds=3,
                      seed=7)
    noise = np.random.default_rng(7).standard_normal((60, 3, 2))
    for beta in (0.0, 0.9):
        for lr in (0.02, 0.3):
            w, v, losses = np.tile([-4.5, 2.0], (3, 1)), np.zeros((3, 2)), []
            for t in range(60):
                v = beta * v + (1 - beta) * (np.array([1.0, 25.0]) * w + noise[t])
                w = w - lr * v
                losses.append(np.mean(0.5 * (w[:, 0] ** 2 + 25 * w[:, 1] ** 2)))
            expected = np.inf if np.abs(w).max() > 1e5 else np.mean(losses[30:])
            assert race.at(25, beta, lr) == pytest.approx(expected, rel=1e-12)
    assert race.at(25, 0.0, 0.3) == np.inf  # plain GD at 0.3 > 2/25 explodes
    assert race.best(25, 0.9)[0] in (0.02, 0.3)


def test_noisy_race_table_lists_each_beta_at_its_best_rate():
    race = noisy_race(kappas=(25,), betas=(0.0, 0.9), lrs=(0.01, 0.02), n_steps=40, n_seeds=2)
    lines = race.table().splitlines()
    assert lines[1].startswith("plain GD") and lines[2].startswith("EMA momentum, beta 0.9")
    lr, level = race.best(25, 0.9)
    assert f"{lr:g}" in lines[2] and f"{level:.3g}" in lines[2]


# --------------------------------------------------------------------------- the explorer


def test_the_sliders_land_on_every_value_the_lesson_names():
    """Every learning rate and beta the notebook's text asks for is a value of the sliders."""
    import nbformat

    text = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells
                     if c.cell_type == "markdown")
    lrs = {float(x) for x in re.findall(
        r"(?:lr|learning rate)\s*(?:=|near|of|to|at)\s*(?:near\s*)?([0-9]*\.[0-9]+)", text)}
    betas = {float(x) for x in re.findall(r"β\s*(?:=|to)\s*([0-9]*\.[0-9]+)", text)}
    assert {0.06, 0.3, 0.2, 0.006} <= lrs and {0.9, 0.5} <= betas
    assert lrs <= set(LR_LADDER), sorted(lrs - set(LR_LADDER))
    assert betas | {0.44, 0.67} <= set(BETA_LADDER), sorted(betas - set(BETA_LADDER))
    spec = {c.name: c for c in MomentumExplorer.controls}
    assert [spec["lr"].readout(v) for v in (0.06, 0.3, 0.006)] == ["0.06", "0.3", "0.006"]
    assert spec["beta"].readout(0.9) == "0.9"


def test_explorer_widget_redraws_on_every_control():
    demo = explore_momentum()
    lr, beta = demo.controls["lr"], demo.controls["beta"]
    assert type(lr).__name__ == "SelectionSlider" and lr.description == "learning rate"
    assert lr.value == 0.06 and lr.label == "0.06" and beta.label == "0.9"
    assert "momentum" in beta.description
    # the browser test presses ArrowRight five times on the momentum slider
    assert beta.index + 5 < len(beta.options)
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
    explorer = MomentumExplorer(n_steps=80)
    demo = explorer.explore(form="classical", lr=0.01, beta=0.8, kappa=100)
    surface = ravine(100)
    np.testing.assert_allclose(explorer.map.lines["momentum"].get_xydata(), momentum_path(
        "classical", 0.01, 0.8, surface=surface, n_steps=80).points)
    np.testing.assert_allclose(explorer.map.lines["gd"].get_xydata(), momentum_path(
        "gd", 0.01, surface=surface, n_steps=80).points)
    assert explorer.summary.startswith("Loss below 1e-6 for good: momentum ")
    demo.set(lr=0.5, beta=0.0)
    gd = momentum_path("gd", 0.5, surface=surface, n_steps=80)
    assert explorer.summary == (f"Loss below 1e-6 for good: momentum diverged at step "
                                f"{gd.diverged_at}, plain GD diverged at step {gd.diverged_at}")
    assert explorer.summary in demo.alt_text


def test_the_explorer_says_what_it_shows_and_is_readable_on_a_projector():
    demo = explore_momentum(lr=0.3)
    alt = demo.alt_text
    assert "momentum (solid line) and plain gradient descent" in alt
    assert "learning rate = 0.3" in alt and "momentum β (μ) = 0.9" in alt
    assert "ravine narrowness = κ = 25" in alt and "form = EMA" in alt
    assert smallest_text_px(demo.figure) >= 14
    assert demo.explorer.size[0] <= 900


def test_explorer_rejects_values_the_controls_cannot_take():
    with pytest.raises(ValueError, match=r"kappa \(ravine narrowness\) must be one of 10, 25, "
                                         r"100; got 50"):
        explore_momentum(kappa=50)
    with pytest.raises(ValueError, match=r"form \(form\) must be one of 'ema', 'classical', "
                                         r"'nesterov'; got 'gd'"):
        explore_momentum().set(form="gd")
    with pytest.raises(ValueError, match=r"lr \(learning rate\) must be one of the slider's "
                                         r"values .*got 0.07; the nearest are 0.06 or 0.1"):
        snapshot_momentum(lr=0.07)


def test_static_figures_are_labelled_and_described():
    paths = {"a": momentum_path("ema", 0.3, n_steps=20), "b": momentum_path("gd", 0.05)}
    snapshot = snapshot_momentum(lr=0.3)
    zigzag = figure_gd_zigzag()
    for fig in (snapshot, zigzag, figure_paths(paths, title="t")):
        assert isinstance(fig, Figure)
        for ax in fig.axes:
            assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
        assert smallest_text_px(fig) >= 14
    assert "learning rate = 0.3" in alt_text(snapshot)
    assert "learning rates 0.01 and 0.07" in alt_text(zigzag)
    assert alt_text(figure_paths(paths, alt="Two paths on the ravine.")) == \
        "Two paths on the ravine."
