"""Lesson 08's experiments: the exploding surface, clipped descent, the widget, deep digits."""
import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from nnlesson.clip import clip_by_global_norm, clip_by_value, direction_cosine, global_norm
from nnlesson.course.surfaces import Bowl
from nnlesson.course.lessons import gradient_clipping as G


@pytest.fixture(scope="module")
def surface():
    return G.RepeatedMultiplication()


def _torch_loss(w, u, T=12, target=12.0):
    """The recurrence itself, h_t = w h_(t-1) + u, in PyTorch."""
    h = torch.zeros((), dtype=torch.float64)
    for _ in range(T):
        h = w * h + u
    return 0.5 * (h - target) ** 2


# --------------------------------------------------------------------------- the surface


@pytest.mark.parametrize("point", [(0.3, 0.3), (0.9, 1.2), (1.1, 0.5), (-0.5, 2.0), (1.0, 1.0)])
def test_value_and_gradient_match_autograd_through_the_recurrence(surface, point):
    w = torch.tensor(point[0], dtype=torch.float64, requires_grad=True)
    u = torch.tensor(point[1], dtype=torch.float64, requires_grad=True)
    loss = _torch_loss(w, u)
    loss.backward()
    p = np.array(point)
    assert surface.value(p) == pytest.approx(loss.item(), rel=1e-12, abs=1e-14)
    expected = [w.grad.item(), u.grad.item()]
    np.testing.assert_allclose(surface.grad(p), expected, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(surface.grad_point(p), expected, rtol=1e-11, atol=1e-12)


def test_vectorized_on_a_grid_and_zero_on_the_valley(surface, rng):
    grid = rng.uniform(0, 1.4, size=(3, 4, 2))
    values = surface.value(grid)
    assert values.shape == (3, 4)
    assert values[1, 2] == pytest.approx(surface.value(grid[1, 2]))
    np.testing.assert_allclose(surface.grad(grid)[2, 3], surface.grad(grid[2, 3]))
    assert surface.value(np.array(surface.minimum)) == 0.0
    w = 0.7
    S = sum(w**k for k in range(12))
    assert surface.value(np.array([w, 12.0 / S])) == pytest.approx(0.0, abs=1e-20)


def test_the_gradient_explodes_past_w_1(surface):
    small, big = (np.linalg.norm(surface.grad(np.array([w, 1.0]))) for w in (0.9, 1.5))
    assert big > 1e3 * small


def test_surface_rejects_bad_arguments():
    with pytest.raises(ValueError, match="T must be"):
        G.RepeatedMultiplication(T=1)
    with pytest.raises(TypeError, match="target must be"):
        G.RepeatedMultiplication(target="12")


# --------------------------------------------------------------------------- clipped descent


def _torch_descent(lr, mode, threshold, n_steps, start=(0.3, 0.3)):
    """Gradient descent in PyTorch: autograd, torch.nn.utils clipping, optim.SGD."""
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr)
    points, norms = [w.detach().numpy().copy()], []
    for _ in range(n_steps):
        opt.zero_grad()
        _torch_loss(w[0], w[1]).backward()
        norms.append(w.grad.norm().item())
        if mode == "norm":
            torch.nn.utils.clip_grad_norm_([w], threshold)
        elif mode == "value":
            torch.nn.utils.clip_grad_value_([w], threshold)
        opt.step()
        points.append(w.detach().numpy().copy())
    return np.array(points), np.array(norms)


@pytest.mark.parametrize("mode, lr, threshold", [("none", 0.003, 1.0), ("norm", 0.01, 2.0),
                                                 ("value", 0.01, 2.0), ("norm", 0.03, 0.5)])
def test_clipped_descent_matches_pytorch(surface, mode, lr, threshold):
    # 30 steps: later, on the valley floor, the huge curvature amplifies rounding differences
    path = G.clipped_descent(surface, lr, mode, threshold, n_steps=30)
    points, norms = _torch_descent(lr, mode, threshold, 30)
    assert path.diverged_at is None
    np.testing.assert_allclose(path.points, points, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(path.grad_norms, norms, rtol=1e-9)


def test_recorded_norms_and_cosines_are_those_of_the_library(surface):
    for mode in ("norm", "value"):
        path = G.clipped_descent(surface, 0.01, mode, 2.0, n_steps=30)
        cosines = G.direction_cosines(path)
        assert cosines.shape == (30,)
        for t in (0, 7, 29):
            g = surface.grad(path.points[t])
            assert path.grad_norms[t] == pytest.approx(global_norm([g]), rel=1e-12)
            clipped = (clip_by_global_norm([g], 2.0)[0][0] if mode == "norm"
                       else clip_by_value([g], 2.0)[0])
            assert cosines[t] == pytest.approx(direction_cosine(g, clipped), abs=1e-12)
            assert path.values[t] == pytest.approx(surface.value(path.points[t]))


def test_a_zero_gradient_has_cosine_one():
    path = G.clipped_descent(Bowl(), 0.1, "value", 1.0, n_steps=3, start=(0.0, 0.0))
    np.testing.assert_array_equal(G.direction_cosines(path), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(path.grad_norms, [0.0, 0.0, 0.0])


def test_divergence_follows_the_runners_rule(surface):
    """Update t diverges when ||w_t|| > 1e6 or w_t is not finite; that point is not kept."""
    path = G.clipped_descent(surface, 0.01, "none", 1.0, n_steps=60)
    assert path.diverged
    t = path.diverged_at
    assert len(path.points) == t and np.all(np.isfinite(path.points))
    assert np.linalg.norm(path.points[-1]) <= 1e6
    # the update that diverged, by hand: one more step of gradient descent from the last point
    w = path.points[-1] - 0.01 * surface.grad(path.points[-1])
    assert not np.all(np.isfinite(w)) or np.linalg.norm(w) > 1e6
    assert len(path.grad_norms) == t  # the norm of the update that failed is kept
    assert len(G.direction_cosines(path)) == t - 1
    assert len(G.step_lengths(path)) == t - 1


def test_step_lengths_are_the_distances_between_points():
    path = G.clipped_descent(Bowl(), 0.5, "norm", 0.1, n_steps=5, start=(3.0, 4.0))
    np.testing.assert_allclose(G.step_lengths(path), 0.05, rtol=1e-5)  # lr * max_norm
    with pytest.raises(TypeError, match="path must be an OptimizerPath"):
        G.step_lengths(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="path must be an OptimizerPath"):
        G.direction_cosines([1.0])


def test_the_valley_has_zero_loss(surface):
    w = np.linspace(0.2, 1.4, 7)
    points = np.stack([w, surface.valley(w)], axis=1)
    np.testing.assert_allclose(surface.value(points), 0.0, atol=1e-20)


def test_clipping_for_each_mode():
    assert G.clipping_for("none", 2.0) is None
    assert G.clipping_for("norm", 2.0).max_norm == 2.0
    assert G.clipping_for("value", 0.5).clip_value == 0.5


@pytest.mark.parametrize("kwargs, error, match", [
    ({"lr": 0.0}, ValueError, "lr must be"),
    ({"mode": "tanh"}, ValueError, "mode must be one of"),
    ({"threshold": -1.0}, ValueError, "threshold must be"),
    ({"n_steps": 0}, ValueError, "n_steps must be"),
    ({"start": (1.0, 2.0, 3.0)}, ValueError, "start"),
])
def test_clipped_descent_rejects_bad_arguments(surface, kwargs, error, match):
    args = {"lr": 0.01, "mode": "norm", "threshold": 1.0, "n_steps": 5}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        G.clipped_descent(surface, **args)
    with pytest.raises(TypeError, match="objective"):
        G.clipped_descent("cliff", 0.1)


# --------------------------------------------------------------------------- the explorer


def test_widget_redraws_on_both_sliders():
    demo = G.explore_clipping()
    assert demo.update_count == 1
    for name, value in [("lr", 0.05), ("threshold", 5.0), ("lr", 0.002)]:
        count, png = demo.update_count, bytes(demo.image.value)
        demo.set(**{name: value})
        assert demo.update_count == count + 1
        assert bytes(demo.image.value) != png


def test_the_sliders_land_on_the_values_the_lesson_names():
    assert 0.01 in G.LR_LADDER
    assert {0.1, 2.0, 100.0} <= set(G.THRESHOLD_LADDER)
    with pytest.raises(ValueError, match="threshold"):
        G.snapshot_clipping(threshold=3.0)


def test_the_explorer_says_how_each_run_ended():
    ex = G.ClippingExplorer()
    fig = ex.snapshot(lr=0.01, threshold=2.0)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert ex.summary.startswith("no clipping: exploded at update 6")
    assert "clip by norm: loss 0.0048, cosine ≥ 1.00" in ex.summary
    assert "clip by value: loss 0.49, cosine ≥ 0.82" in ex.summary
    # the threshold line follows the slider
    ex.snapshot(lr=0.01, threshold=5.0)


# --------------------------------------------------------------------------- deep digits


def test_train_deep_digits_records_the_norm_before_clipping():
    h = G.train_deep_digits(clip_norm=0.5, lr=0.05, depth=2, epochs=1)
    norms = np.array(h.grad_norm)
    assert len(norms) == h.iterations_per_epoch == 20
    assert np.all(np.isfinite(norms)) and norms.max() > 0.5  # recorded before clipping
    fig = G.figure_deep_digits({"clip 0.5": h})
    assert isinstance(fig, Figure)
    from nnlesson.viz.plotting import alt_text, smallest_text_px
    assert "gradient norm before clipping" in alt_text(fig) and smallest_text_px(fig) >= 14


def test_figure_deep_digits_labels_a_diverged_run():
    h = G.train_deep_digits(None, lr=0.3, depth=6, epochs=3, seed=0)
    assert h.diverged
    fig = G.figure_deep_digits({"no clipping": h})
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == [f"no clipping (diverged at iteration {h.diverged_at})"]
    assert math.isfinite(fig.axes[0].get_lines()[0].get_ydata()[-1])


def test_dead_units_counts_relus_silent_on_every_row():
    from nnlesson.layers import Linear, ReLU, Sequential

    model = Sequential(Linear(2, 3, rng=0), ReLU(), Linear(3, 2, rng=0), ReLU())
    model[0].W.value[:] = [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]]
    model[0].b.value[:] = [0.0, 0.0, -1.0]
    model[2].W.value[:] = 0.0
    model[2].b.value[:] = [1.0, -1.0]
    X = np.array([[1.0, 0.0], [2.0, 5.0]])  # unit 0 fires, units 1 and 2 never do
    np.testing.assert_allclose(G.dead_units(model, X), [2 / 3, 0.5])
    assert model.training  # the mode is restored
    h, m = G.train_deep_digits(None, lr=0.01, depth=1, epochs=1, return_model=True)
    assert len(G.dead_units(m, np.zeros((2, 64)))) == 1
