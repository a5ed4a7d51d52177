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
    run = G.clipped_descent(surface, lr, mode, threshold, n_steps=30)
    points, norms = _torch_descent(lr, mode, threshold, 30)
    assert run.diverged_at is None
    np.testing.assert_allclose(run.points, points, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(run.grad_norm, norms, rtol=1e-9)


def test_recorded_norms_and_cosines_are_those_of_the_library(surface):
    for mode in ("norm", "value"):
        run = G.clipped_descent(surface, 0.01, mode, 2.0, n_steps=30)
        for t in (0, 7, 29):
            g = surface.grad(run.points[t])
            assert run.grad_norm[t] == pytest.approx(global_norm([g]), rel=1e-12)
            clipped = (clip_by_global_norm([g], 2.0)[0][0] if mode == "norm"
                       else clip_by_value([g], 2.0)[0])
            assert run.cosine[t] == pytest.approx(direction_cosine(g, clipped), abs=1e-12)
            assert run.loss[t] == pytest.approx(surface.value(run.points[t]))


def test_a_zero_gradient_has_cosine_one():
    run = G.clipped_descent(Bowl(), 0.1, "value", 1.0, n_steps=3, start=(0.0, 0.0))
    np.testing.assert_array_equal(run.cosine, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(run.grad_norm, [0.0, 0.0, 0.0])


def test_divergence_stops_the_run_and_keeps_the_last_norm(surface):
    run = G.clipped_descent(surface, 0.01, "none", 1.0, n_steps=60)
    assert run.diverged
    k = run.diverged_at
    assert len(run.points) == k + 1 and np.all(np.isfinite(run.points))
    assert len(run.grad_norm) == k + 1  # the norm of the step that failed is kept
    assert len(run.cosine) in (k, k + 1)


def test_generic_surfaces_work_through_surface_grad():
    run = G.clipped_descent(Bowl(), 0.5, "norm", 0.1, n_steps=5, start=(3.0, 4.0))
    steps = np.linalg.norm(np.diff(run.points, axis=0), axis=1)
    np.testing.assert_allclose(steps, 0.05, rtol=1e-5)  # lr * max_norm


@pytest.mark.parametrize("kwargs, error, match", [
    ({"lr": 0.0}, ValueError, "lr must be"),
    ({"mode": "tanh"}, ValueError, "mode must be one of"),
    ({"threshold": -1.0}, ValueError, "threshold must be"),
    ({"n_steps": 0}, ValueError, "n_steps must be"),
    ({"start": (1.0, 2.0, 3.0)}, ValueError, "start must be a point"),
])
def test_clipped_descent_rejects_bad_arguments(surface, kwargs, error, match):
    args = {"lr": 0.01, "mode": "norm", "threshold": 1.0, "n_steps": 5}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        G.clipped_descent(surface, **args)
    with pytest.raises(TypeError, match="surface must be"):
        G.clipped_descent("cliff", 0.1)


# --------------------------------------------------------------------------- figure and widget


def test_widget_redraws_on_both_sliders():
    demo = G.explore_clipping()
    assert demo.update_count == 1
    for name, value in [("lr", 0.03), ("threshold", 5.0), ("lr", 0.002)]:
        count, png = demo.update_count, bytes(demo.image.value)
        demo.set(**{name: value})
        assert demo.update_count == count + 1
        assert bytes(demo.image.value) != png


def test_explorer_updates_artists_and_caches_the_unclipped_run():
    ex = G.ClippingExplorer()
    fig, line = ex.figure, ex.norm["norm"]
    ex.update(lr=0.02, threshold=0.5)
    ex.update(lr=0.02, threshold=3.0)
    assert ex.figure is fig and ex.norm["norm"] is line
    assert set(ex._unclipped) == {0.01, 0.02}
    assert list(ex.threshold_line.get_ydata()) == [3.0, 3.0]
    assert "none: exploded, step" in ex.loss_text.get_text()
    np.testing.assert_allclose(ex.cos["norm"].get_ydata()[:len(ex.runs["norm"].cosine)], 1.0)


def test_snapshot_is_a_figure():
    fig = G.snapshot_clipping(lr=0.01, threshold=2.0)
    assert isinstance(fig, Figure) and len(fig.axes) == 4


# --------------------------------------------------------------------------- deep digits


def test_train_deep_digits_records_the_norm_before_clipping():
    h = G.train_deep_digits(clip_norm=0.5, lr=0.05, depth=2, epochs=1)
    norms = np.array(h.grad_norm)
    assert len(norms) == h.iterations_per_epoch == 20
    assert np.all(np.isfinite(norms)) and norms.max() > 0.5  # recorded before clipping
    assert isinstance(G.figure_deep_digits({"clip 0.5": h}), Figure)


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
