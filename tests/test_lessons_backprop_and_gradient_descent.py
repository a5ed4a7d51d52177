"""Lesson 01's experiments: the learning-rate problems and the forward/backward walk-through."""
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from nnlesson.gradcheck import numerical_gradient, rel_error
from nnlesson.course.lessons import backprop_and_gradient_descent as L
from nnlesson.viz.widgets import sample_values


@pytest.fixture(scope="module")
def p1():
    return L.make_regression_1d()


@pytest.fixture(scope="module")
def p2():
    return L.make_regression_2d()


# --------------------------------------------------------------------------- the problems


def test_regression_loss_is_mse_and_hessian_matches_torch(p2):
    w = np.array([0.3, -1.2])
    X, y = torch.tensor(p2.X), torch.tensor(p2.y)
    wt = torch.tensor(w, requires_grad=True)
    loss = torch.nn.functional.mse_loss(X @ wt[:, None], y)
    assert p2.loss(w) == pytest.approx(loss.item(), rel=1e-12)
    H = torch.autograd.functional.hessian(
        lambda v: torch.nn.functional.mse_loss(X @ v[:, None], y), wt.detach())
    np.testing.assert_allclose(p2.hessian, H.numpy(), rtol=1e-12)
    np.testing.assert_allclose(p2.curvatures, np.linalg.eigvalsh(H.numpy()), rtol=1e-12)


def test_w_star_has_zero_gradient_and_loss_is_quadratic_around_it(p2):
    ws = torch.tensor(p2.w_star, requires_grad=True)
    torch.nn.functional.mse_loss(torch.tensor(p2.X) @ ws[:, None], torch.tensor(p2.y)).backward()
    assert np.max(np.abs(ws.grad.numpy())) < 1e-12
    e = np.array([0.7, -0.4])
    quad = p2.min_loss + e @ p2.hessian @ e / 2
    assert p2.loss(p2.w_star + e) == pytest.approx(quad, rel=1e-12)


def test_loss_on_a_grid_has_the_grid_shape(p2):
    grid = np.zeros((3, 4, 2))
    out = p2.loss(grid)
    assert out.shape == (3, 4)
    assert np.allclose(out, p2.loss(np.zeros(2)))


def test_one_dimensional_problem_has_curvature_exactly_two(p1):
    assert p1.dim == 1
    assert p1.curvatures[0] == pytest.approx(2.0, rel=1e-14)


def test_two_dimensional_problem_curvatures_differ_by_about_condition_squared(p2):
    a_min, a_max = p2.curvatures
    assert 2.5 < a_max / a_min < 6.5  # about condition^2 = 4 on 40 noisy samples


def test_regression_bad_inputs(p1):
    with pytest.raises(ValueError, match="X and y must have the same number of rows"):
        L.Regression(np.ones((3, 1)), np.ones(4))
    with pytest.raises(ValueError, match="w must have shape"):
        p1.loss(np.ones(3))
    with pytest.raises(ValueError, match="n must be"):
        L.make_regression_1d(n=1)
    with pytest.raises(ValueError, match="noise must be"):
        L.make_regression_1d(noise=-1)


# --------------------------------------------------------------------------- thresholds


def test_lr_thresholds_hand_worked():
    th = L.lr_thresholds([1.0, 4.0], n_steps=10, tol=0.01)
    assert th["oscillates_above"] == pytest.approx(0.25)
    assert th["diverges_above"] == pytest.approx(0.5)
    assert th["best"] == pytest.approx(0.4)
    assert th["one_step"] == pytest.approx(0.25)
    # (1 - lr * 1)^10 = 0.01  <=>  lr = 1 - 0.01^(1/10) = 0.36904...
    assert th["too_small_below"] == pytest.approx(0.369042655519807, rel=1e-12)


def test_lr_regime_hand_worked():
    assert L.lr_regime(0.001, 2.0) == "too small"
    assert L.lr_regime(0.3, 2.0) == "right"
    assert L.lr_regime(0.5, 2.0) == "right"  # 1/a: the minimum in one step, no overshoot
    assert L.lr_regime(0.75, 2.0) == "oscillating"
    assert L.lr_regime(1.0, 2.0) == "diverging"  # 2/a: bounces forever
    assert L.lr_regime(1.5, 2.0) == "diverging"
    # several curvatures: the steepest decides divergence, the flattest "too small"
    assert L.lr_regime(0.3, [1.0, 4.0]) == "oscillating"
    assert L.lr_regime(0.6, [1.0, 4.0]) == "diverging"
    assert L.lr_regime(0.01, [1.0, 4.0]) == "too small"


def test_lr_regime_bad_inputs():
    with pytest.raises(ValueError, match="lr must be"):
        L.lr_regime(-0.1, 2.0)
    with pytest.raises(ValueError, match="curvature must be one or more numbers > 0"):
        L.lr_regime(0.1, [1.0, -1.0])
    with pytest.raises(ValueError, match="tol must be"):
        L.lr_thresholds(2.0, tol=1.5)
    with pytest.raises(ValueError, match="n_steps must be"):
        L.lr_thresholds(2.0, n_steps=0)


# --------------------------------------------------------------------------- gradient descent


def test_gradient_descent_matches_torch_sgd(p2):
    lr, steps, w0 = 0.1, 40, np.array([-1.0, 2.0])
    run = L.gradient_descent(p2, lr, steps, w0=w0)
    w = torch.tensor(w0[:, None], requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr)
    X, y = torch.tensor(p2.X), torch.tensor(p2.y)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(X @ w, y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    np.testing.assert_allclose(run.points[-1], w.detach().numpy()[:, 0], rtol=1e-10)
    np.testing.assert_allclose(run.values[:-1], losses, rtol=1e-10)
    assert run.points.shape == (steps + 1, 2) and run.values.shape == (steps + 1,)
    assert not run.diverged


def test_gradient_descent_default_start_and_zero_steps(p1):
    run = L.gradient_descent(p1, 0.1, 0)
    np.testing.assert_allclose(run.points, [p1.w_star - 2.0])
    assert run.values == pytest.approx([p1.loss(p1.w_star - 2.0)])


def test_gradient_descent_stops_when_it_diverges(p1):
    run = L.gradient_descent(p1, 1.5, 200)  # |1 - 1.5 * 2| = 2: doubles every step
    assert run.diverged
    assert len(run.points) == run.diverged_at == len(run.values)
    assert np.all(np.isfinite(run.points))
    # e_t = w_t - w* = -2 (-2)^t, |w_t| ~ 2^(t+1) passes 1e6 first at t = 19 (2^20 > 1e6 + |w*|)
    assert run.diverged_at == 19


def test_the_regression_gradient_is_the_library_layers_and_matches_finite_differences(p2):
    """The runner reads grad(w): the Linear layer's backward of mse_loss, equal to H (w - w*)."""
    from nnlesson.gradcheck import numerical_gradient, rel_error

    w = np.array([0.3, -1.2])
    assert rel_error(p2.grad(w), numerical_gradient(p2.value, w.copy())) < 1e-8
    np.testing.assert_allclose(p2.grad(w), p2.hessian @ (w - p2.w_star), rtol=1e-10)
    with pytest.raises(ValueError, match=r"w must have shape \(2,\)"):
        p2.grad(np.zeros(3))


def test_gradient_descent_bad_inputs(p1):
    with pytest.raises(TypeError, match="problem must be a Regression"):
        L.gradient_descent("bowl", 0.1)
    with pytest.raises(ValueError, match="lr must be"):
        L.gradient_descent(p1, -1.0)
    with pytest.raises(ValueError, match="w0 must have shape"):
        L.gradient_descent(p1, 0.1, w0=np.zeros(2))
    with pytest.raises(ValueError, match="n_steps must be"):
        L.gradient_descent(p1, 0.1, n_steps=-1)


# --------------------------------------------------------------------------- backprop trace


def _torch_trace(trace):
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[trace.activation]
    out = {"sigmoid": torch.sigmoid, "identity": lambda z: z}[trace.output]
    p = {k: torch.tensor(getattr(trace, k), requires_grad=True) for k in ("W1", "b1", "W2", "b2")}
    x = torch.tensor(trace.x, requires_grad=True)
    z1 = x @ p["W1"] + p["b1"]
    h = act(z1)
    z1.retain_grad()
    h.retain_grad()
    z2 = h @ p["W2"] + p["b2"]
    z2.retain_grad()
    y = out(z2)
    y.retain_grad()
    loss = ((y - trace.target) ** 2).sum()
    loss.backward()
    return loss, x, p, z1, h, z2, y


@pytest.mark.parametrize("activation", list(L.ACTIVATIONS))
@pytest.mark.parametrize("output", list(L.OUTPUTS))
def test_backprop_trace_matches_torch_autograd(activation, output):
    t = L.backprop_trace(activation=activation, output=output, lr=0.3)
    loss, x, p, z1, h, z2, y = _torch_trace(t)
    assert t.loss == pytest.approx(loss.item(), rel=1e-12)
    pairs = [(t.z1, z1), (t.h, h), (t.z2, z2), (t.y_hat, y), (t.dy_hat, y.grad), (t.dz2, z2.grad),
             (t.dh, h.grad), (t.dz1, z1.grad), (t.dx, x.grad), (t.dW1, p["W1"].grad),
             (t.db1, p["b1"].grad), (t.dW2, p["W2"].grad), (t.db2, p["b2"].grad)]
    for mine, ref in pairs:
        np.testing.assert_allclose(mine, ref.detach().numpy(), rtol=1e-12, atol=1e-15)
    for k in ("W1", "b1", "W2", "b2"):
        expected = getattr(t, k) - 0.3 * p[k].grad.numpy()
        np.testing.assert_allclose(getattr(t, f"{k}_new"), expected, rtol=1e-12)


def test_backprop_trace_gradients_match_finite_differences():
    t = L.backprop_trace()
    params = {k: getattr(t, k).copy() for k in ("W1", "b1", "W2", "b2")}

    def loss_of(_):
        return L.backprop_trace(t.x[0], t.target, **params).loss

    for k, arr in params.items():
        numeric = numerical_gradient(loss_of, arr)
        assert rel_error(getattr(t, f"d{k}"), numeric) < 1e-8, k


def test_backprop_trace_local_derivatives_and_new_loss():
    t = L.backprop_trace(activation="sigmoid", output="sigmoid")
    np.testing.assert_allclose(t.act_prime, t.h * (1 - t.h), rtol=1e-12)
    np.testing.assert_allclose(t.out_prime, t.y_hat * (1 - t.y_hat), rtol=1e-12)
    again = L.backprop_trace(t.x[0], t.target, t.W1_new, t.b1_new, t.W2_new, t.b2_new)
    assert t.loss_new == pytest.approx(again.loss, rel=1e-12)


def test_backprop_trace_does_not_change_its_inputs():
    W1 = np.array([[0.1, 0.2], [0.3, 0.4]])
    before = W1.copy()
    L.backprop_trace(W1=W1)
    np.testing.assert_array_equal(W1, before)


def test_backprop_trace_bad_inputs():
    with pytest.raises(ValueError, match="activation must be one of"):
        L.backprop_trace(activation="softplus")
    with pytest.raises(ValueError, match="output must be one of"):
        L.backprop_trace(output="softmax")
    with pytest.raises(ValueError, match=r"W1 must have shape \(2, 2\)"):
        L.backprop_trace(W1=np.ones((3, 2)))
    with pytest.raises(ValueError, match="lr must be"):
        L.backprop_trace(lr=-1)


def test_backprop_steps_walk_forward_then_backward_then_update():
    t = L.backprop_trace()
    steps = L.backprop_steps(t)
    assert len(steps) == L.N_STEPS == 13
    assert [s.phase for s in steps] == ["forward"] * 6 + ["backward"] * 6 + ["update"]
    # the texts carry the trace's own numbers
    assert f"{t.loss:.4f}" in steps[5].formula
    assert f"{t.dW2[0, 0]:.3f}" in steps[8].formula
    assert f"{t.dz1[0, 1]:.3f}" in steps[10].formula
    assert f"{t.loss_new:.4f}" in steps[12].formula


# --------------------------------------------------------------------------- figures and widgets


def test_learning_rate_widget_redraws_on_every_move():
    demo = L.explore_learning_rate()
    assert demo.update_count == 1
    for value in sample_values(demo.controls["lr"], n=3):
        count, png = demo.update_count, bytes(demo.image.value)
        demo.set(lr=value)
        assert demo.update_count == count + 1
        assert bytes(demo.image.value) != png


def test_the_learning_rate_ladder_lands_on_every_rate_the_lesson_names():
    for lr in (0.02, 0.1, 0.26, 0.27, 0.3, 0.4, 0.5, 0.9, 1.0, 1.05):
        assert lr in L.LR_LADDER


def test_learning_rate_explorer_updates_artists_not_the_figure():
    explorer = L.LearningRateExplorer()
    demo = explorer.explore()
    fig, n_artists = explorer.figure, [len(ax.lines) for ax in explorer.figure.axes]
    demo.set(lr=1.05)
    assert explorer.figure is fig and [len(ax.lines) for ax in fig.axes] == n_artists
    run1, run2 = explorer.result
    # the 1-D error grows 1.1 times per step: 1.1^50 = 117 times, inside the runner's bound
    assert run2.diverged and not run1.diverged
    np.testing.assert_allclose(run1.points[-1, 0] - explorer.p1.w_star[0], -2 * (-1.1) ** 50)
    x, _ = explorer.path1.get_data()
    np.testing.assert_array_equal(x, run1.points[:, 0])
    # 1 - 1.05 * 2 = -1.1: the summary gives the factor with its sign (the error changes side)
    assert explorer.summary.startswith("1-D: diverging (error × -1.10 per step); 2-D: diverging")
    demo.set(lr=0.9)  # 1 - 0.9 * 2 = -0.8; the 2-D steep direction 1 - 0.9 a_max < -1
    assert explorer.summary.startswith("1-D: oscillating (error × -0.80 per step); 2-D: "
                                       "diverging (steep direction × -")
    demo.set(lr=0.1)  # 1 - 0.1 * 2 = 0.8, no sign change
    assert explorer.summary.startswith("1-D: right (error × 0.80 per step)")


def test_backprop_widget_redraws_on_every_control():
    demo = L.explore_backprop()
    assert set(demo.controls) == {"step", "lr", "activation", "output"}
    for value in sample_values(demo.controls["step"], n=4):
        count, png = demo.update_count, bytes(demo.image.value)
        demo.set(step=value)
        assert demo.update_count == count + 1
        assert bytes(demo.image.value) != png
    demo.set(step=L.N_STEPS - 1)  # the learning rate shows in the update step
    for name in ("lr", "activation", "output"):
        for value in sample_values(demo.controls[name], n=3):
            count, png = demo.update_count, bytes(demo.image.value)
            demo.set(**{name: value})
            assert demo.update_count == count + 1
            assert bytes(demo.image.value) != png, (name, value)


@pytest.mark.parametrize("act", list(L.ACTIVATIONS))
@pytest.mark.parametrize("out", list(L.OUTPUTS))
def test_backprop_explorer_for_each_activation_and_output(act, out):
    explorer = L.BackpropExplorer()
    explorer.snapshot(step=10, activation=act, output=out)
    t = L.backprop_trace(activation=act, output=out)
    assert f"{t.dz1[0, 1]:.3f}".replace("-0.000", "0.000") in explorer.formula.get_text()


def test_backprop_explorer_rejects_bad_values_by_name():
    with pytest.raises(ValueError, match="activation \\(hidden activation\\) must be one of"):
        L.explore_backprop(activation="gelu")
    with pytest.raises(ValueError, match="step \\(step\\) must be one of the slider's values"):
        L.explore_backprop(step=13)


def test_stamped_texts_look_like_ordinary_matplotlib_text():
    """The cached text artists paste the same pixels matplotlib would draw (to anti-aliasing)."""
    import io

    from matplotlib.text import Text
    from PIL import Image

    from nnlesson.viz.plotting import _stamp_text_class, png_bytes

    def pixels(fig):
        return np.asarray(Image.open(io.BytesIO(png_bytes(fig)))).astype(int)

    fig = L.snapshot_backprop(step=11)
    first, cached = pixels(fig), pixels(fig)
    np.testing.assert_array_equal(first, cached)
    cls = _stamp_text_class()
    stamped_draw = cls.draw
    try:
        cls.draw = Text.draw
        plain = pixels(fig)
    finally:
        cls.draw = stamped_draw
    assert np.abs(first - plain).max() <= 8
    assert np.count_nonzero(np.abs(first - plain).max(axis=2)) < 200  # of 400,000 pixels


def test_backprop_explorer_shows_values_then_gradients_then_the_update():
    explorer = L.BackpropExplorer()
    demo = explorer.explore(step=0)
    assert explorer.value_text["h1"].get_text() == ""
    assert explorer.grad_text["h1"].get_text() == ""
    demo.set(step=2)
    assert f"{explorer.trace.h[0, 0]:.3f}" in explorer.value_text["h1"].get_text()
    assert explorer.grad_text["h1"].get_text() == ""
    demo.set(step=10)
    assert f"{explorer.trace.dz1[0, 0]:.3f}" in explorer.grad_text["h1"].get_text()
    # step 10 highlights the hidden nodes, not the first layer's weights
    assert explorer.edge_lines["W1_11"].get_linewidth() == 1.2
    assert explorer.node_marks["h1"].get_markeredgewidth() == 3.0
    # the table: W2's gradients from step 8, W1's from step 11, new values at the update
    names, values, grads, new = (a.get_text().split("\n") for a in explorer.table)
    row = names.index("h₁→ŷ")
    assert grads[row] == f"{explorer.trace.dW2[0, 0]:.3f}" and new[row].strip() == ""
    assert grads[names.index("x₁→h₁")].strip() == ""
    demo.set(step=12)
    new = explorer.table[3].get_text().split("\n")
    assert new[row] == f"{explorer.trace.W2_new[0, 0]:.3f}"
    assert "after: " in explorer.value_text["L"].get_text()


def test_the_explorers_text_is_large_enough_and_nothing_overlaps():
    """Every text at least 14 px; the texts of the graph do not overlap one another."""
    from nnlesson.viz.plotting import smallest_text_px

    explorer = L.BackpropExplorer()
    for step in (5, 11, 12):
        fig = explorer.snapshot(step=step, activation="tanh")
        assert smallest_text_px(fig) >= 14
        renderer = fig.canvas.get_renderer()
        texts = [t for t in (*explorer.value_text.values(), *explorer.grad_text.values(),
                             *explorer.table, explorer.formula, explorer.title, explorer.network,
                             explorer.subtitle) if t.get_text().strip()]
        boxes = [t.get_window_extent(renderer) for t in texts]
        for i, a in enumerate(boxes):
            assert 0 <= a.x0 and a.x1 <= fig.bbox.width and 0 <= a.y0, texts[i].get_text()
            for b in boxes[i + 1:]:
                assert not a.overlaps(b), (texts[i].get_text(), step)


def test_snapshots_are_figures_with_alt_text():
    from nnlesson.viz.plotting import alt_text

    for fig in (L.snapshot_learning_rate(lr=0.9), L.snapshot_backprop(), L.figure_lr_regimes()):
        assert isinstance(fig, Figure) and len(alt_text(fig)) > 100
    titles = [ax.get_title() for ax in L.figure_lr_regimes().axes]
    assert [t.split(": ")[1] for t in titles] == list(L.REGIMES)
