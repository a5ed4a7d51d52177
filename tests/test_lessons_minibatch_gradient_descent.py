"""Lesson 03's experiment code: the data, the batch arithmetic, one training run, the figures
and the widget.

References: the library's own training loop (nnlesson.train.fit with a Linear layer, SGD and
the MSE loss, a different implementation of the same thing), PyTorch (float64) on the same
batches, and hand-worked batch sizes.
"""
import numpy as np
import pytest
import torch

from nnlesson.data import minibatches
from nnlesson.course.lessons import minibatch_gradient_descent as mb


def test_wine_regression_data():
    Z, y, cultivar = mb.wine_regression()
    assert Z.shape == (178, 13) and y.shape == (178,) and cultivar.shape == (178,)
    np.testing.assert_array_equal(Z[:, -1], 1.0)
    np.testing.assert_allclose(Z[:, :-1].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z[:, :-1].std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose([y.mean(), y.std()], [0.0, 1.0], atol=1e-12)
    # the file is sorted by cultivar: 59, 71, 48 wines
    np.testing.assert_array_equal(cultivar, np.repeat([0, 1, 2], [59, 71, 48]))
    Z[0, 0] = 99.0  # a copy: the next call is unchanged
    assert mb.wine_regression()[0][0, 0] != 99.0


@pytest.mark.parametrize("n, b, drop_last, sizes", [
    (178, 32, False, [32, 32, 32, 32, 32, 18]),
    (178, 32, True, [32, 32, 32, 32, 32]),
    (10, 3, False, [3, 3, 3, 1]),
    (1000, 100, False, [100] * 10),
    (5, 10, False, [5]),
    (7, 1, False, [1] * 7),
])
def test_batch_plan_hand_worked(n, b, drop_last, sizes):
    assert mb.batch_plan(n, b, drop_last) == sizes


def test_unshuffled_batches_hand_worked():
    batches = mb.unshuffled_batches(list(range(10)), 3)
    assert batches == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        mb.unshuffled_batches([1, 2], 0)


@pytest.mark.parametrize("batch_size, lr, shuffle", [(5, 0.05, True), (16, 0.1, False),
                                                     (178, 0.2, True), (1, 0.01, True)])
def test_train_minibatch_matches_the_library_training_loop(batch_size, lr, shuffle):
    """nnlesson.train.fit with a Linear layer, plain SGD and the MSE loss is a different
    implementation of the same training; started from zero weights with the same seed it
    draws the same batches, so it must record the same mini-batch losses."""
    import warnings

    from nnlesson.layers import Linear
    from nnlesson.optim import SGD
    from nnlesson.train import fit

    Z, y, _ = mb.wine_regression()
    run = mb.train_minibatch(Z, y, batch_size, lr, epochs=3, shuffle=shuffle, seed=7)
    model = Linear(12, 1)
    model.W.value[:] = 0.0
    model.b.value[:] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = fit(model, Z[:, :-1], y, loss="mse", optimizer=SGD(model.parameters(), lr=lr),
                      epochs=3, batch_size=batch_size, rng=7, shuffle=shuffle)
    np.testing.assert_allclose(run.batch_loss, history.loss, rtol=1e-10)
    w = np.append(model.W.value[:, 0], model.b.value)
    np.testing.assert_allclose(run.full_loss[-1], np.mean((Z @ w - y) ** 2), rtol=1e-10)
    assert run.iterations_per_epoch == history.iterations_per_epoch


def test_train_minibatch_matches_torch_on_the_same_batches():
    Z, y, _ = mb.wine_regression()
    run = mb.train_minibatch(Z, y, 10, 0.05, epochs=2, seed=3)
    w = torch.zeros(13, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.05)
    rng = np.random.default_rng(3)
    losses, full = [], []
    for _ in range(2):
        for Zb, yb in minibatches(Z, y, 10, rng=rng):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(torch.tensor(Zb) @ w, torch.tensor(yb))
            loss.backward()
            opt.step()
            losses.append(loss.item())
            with torch.no_grad():
                full.append(torch.nn.functional.mse_loss(torch.tensor(Z) @ w,
                                                         torch.tensor(y)).item())
    np.testing.assert_allclose(run.batch_loss, losses, rtol=1e-10)
    np.testing.assert_allclose(run.full_loss[1:], full, rtol=1e-10)
    assert run.full_loss[0] == pytest.approx(np.mean(y ** 2))


def test_unshuffled_training_uses_the_slicing_loops_batches():
    Z, y, _ = mb.wine_regression()
    run = mb.train_minibatch(Z, y, 32, 0.0, epochs=2, shuffle=False)
    batches = mb.unshuffled_batches(np.arange(178), 32)
    # with lr = 0 the weights stay 0, so the loss of each batch is the mean of its y^2
    expected = [np.mean(y[idx] ** 2) for idx in batches] * 2
    np.testing.assert_allclose(run.batch_loss, expected, rtol=1e-12)
    np.testing.assert_array_equal(run.batch_sizes, [32] * 5 + [18] + [32] * 5 + [18])


def test_run_bookkeeping():
    run = mb.wine_run(32, 0.03)
    assert run.iterations_per_epoch == 6 and run.updates == 60
    assert run.samples_processed == 10 * 178
    assert run.full_loss.shape == (61,) and run.epoch_loss.shape == (11,)
    np.testing.assert_array_equal(run.epoch_loss, run.full_loss[::6])
    assert run.final_loss == run.full_loss[-1]
    assert not run.diverged
    assert mb.wine_run(178, 0.03).noise < 1e-12  # the batch is all the data (in another order)
    assert mb.wine_run(32, 0.03) is run  # cached


def test_noise_hand_worked():
    # two samples, batch size 1, lr 0: batch losses are y_i^2, the full loss is their mean
    run = mb.train_minibatch(np.ones((2, 1)), np.array([1.0, 3.0]), 1, 0.0, epochs=1,
                             shuffle=False)
    np.testing.assert_allclose(run.batch_loss, [1.0, 9.0])
    np.testing.assert_allclose(run.full_loss, [5.0, 5.0, 5.0])
    # relative deviations -0.8 and +0.8
    assert run.noise == pytest.approx(0.8)


def test_divergence_is_the_runners_rule_and_arrays_stop():
    from nnlesson.course.runner import DIVERGED_NORM

    run = mb.wine_run(1, 0.3)
    assert run.diverged
    # update t (from 1) left the ball ||w|| <= 1e6; its point is not kept, its batch loss is
    assert len(run.batch_loss) == run.diverged_at == run.updates
    assert len(run.full_loss) == run.updates == len(run.path.points)
    assert np.linalg.norm(run.path.points[-1]) <= DIVERGED_NORM
    assert np.isnan(run.final_loss)
    assert np.isnan(run.epoch_loss[-1])


def test_batch_size_table():
    rows = mb.batch_size_table((1, 32, 178), lr=0.03)
    assert [(r.batch_size, r.iterations_per_epoch, r.last_batch, r.updates) for r in rows] == \
        [(1, 178, 1, 1780), (32, 6, 18, 60), (178, 1, 178, 10)]
    assert all(r.samples_processed == 1780 for r in rows)
    text = mb.format_batch_size_table(rows)
    assert len(text.splitlines()) == 4 and "updates/epoch" in text
    assert "diverged" in mb.format_batch_size_table(mb.batch_size_table((1,), lr=0.3))


def test_bad_inputs_are_named():
    Z, y, _ = mb.wine_regression()
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        mb.train_minibatch(Z, y, 0, 0.1)
    with pytest.raises(ValueError, match="lr must be a finite number >= 0"):
        mb.train_minibatch(Z, y, 4, -0.1)
    with pytest.raises(ValueError, match="Z and y must have the same number of rows"):
        mb.train_minibatch(Z, y[:5], 4, 0.1)
    with pytest.raises(TypeError, match="shuffle must be True or False"):
        mb.train_minibatch(Z, y, 4, 0.1, shuffle="yes")
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        mb.wine_run(4, 0.1, epochs=0)
    with pytest.raises(ValueError, match="batch_size must be <= the number of samples"):
        mb.batch_plan(5, 10, drop_last=True)


# --------------------------------------------------------------------------- stability


def test_sample_curvatures_are_the_second_derivatives_of_each_samples_loss():
    """Finite differences of one sample's loss (z . w - y)^2 along its own input z."""
    Z, y, _ = mb.wine_regression()
    c = mb.sample_curvatures()
    assert c.shape == (178,)
    rng = np.random.default_rng(0)
    w = rng.normal(size=13)
    h = 1e-3
    for i in (0, 57, 177):
        u = Z[i] / np.linalg.norm(Z[i])
        loss = [(Z[i] @ (w + s * h * u) - y[i]) ** 2 for s in (-1, 0, 1)]
        assert (loss[0] - 2 * loss[1] + loss[2]) / h**2 == pytest.approx(c[i], rel=1e-6)
    np.testing.assert_allclose(mb.sample_curvatures(np.array([[3.0, 4.0]])), [50.0])
    with pytest.raises(ValueError, match="Z must"):
        mb.sample_curvatures(np.ones(3))


def test_full_batch_curvature_is_the_hessians_largest_eigenvalue():
    Z, y, _ = mb.wine_regression()
    torch_H = torch.autograd.functional.hessian(
        lambda w: torch.mean((torch.tensor(Z) @ w - torch.tensor(y)) ** 2),
        torch.zeros(13, dtype=torch.float64)).numpy()
    assert mb.full_batch_curvature() == pytest.approx(np.linalg.eigvalsh(torch_H)[-1],
                                                      rel=1e-12)
    assert mb.full_batch_curvature(np.diag([1.0, 2.0])) == pytest.approx(4.0)  # (2/2) * 2^2


def _spectral_radius(lr, b):
    """The mean-square operator written out as a (p^2, p^2) matrix, from the definition
    E[(I - 2 lr A_B) P (I - 2 lr A_B)] with A_B the mean of b rows drawn without replacement
    (its covariance from the finite-population formula), and its largest |eigenvalue|."""
    Z, _, _ = mb.wine_regression()
    n, p = Z.shape
    A = Z.T @ Z / n
    outer = [np.outer(z, z) for z in Z]
    K = sum(np.kron(o, o) for o in outer) / n
    f = (n - b) / (b * (n - 1))
    second = np.kron(A, A) + f * (K - np.kron(A, A))
    I = np.eye(p)
    M = np.kron(I, I) - 2 * lr * (np.kron(A, I) + np.kron(I, A)) + 4 * lr**2 * second
    return max(abs(np.linalg.eigvals(M)))


@pytest.mark.parametrize("b", [1, 4, 178])
def test_largest_stable_lr_is_where_the_mean_square_operator_reaches_one(b):
    limit = mb.largest_stable_lr(b)
    assert _spectral_radius(0.999 * limit, b) < 1 < _spectral_radius(1.001 * limit, b)


def test_largest_stable_lr_of_the_full_batch_is_two_over_lambda_max():
    assert mb.largest_stable_lr(178) == pytest.approx(2 / mb.full_batch_curvature(), rel=1e-10)
    limits = [mb.largest_stable_lr(b) for b in (1, 2, 4, 16, 64, 178)]
    assert all(a < b for a, b in zip(limits, limits[1:]))
    with pytest.raises(ValueError, match="batch_size must be an integer in"):
        mb.largest_stable_lr(0)


def test_stability_table():
    rows = mb.stability_table((1, 178), factors=(0.5, 2.0), epochs=3)
    assert [r.batch_size for r in rows] == [1, 178]
    assert rows[0].limit == mb.largest_stable_lr(1)
    assert rows[0].below == mb.wine_run(1, 0.5 * rows[0].limit, epochs=3).final_loss
    text = mb.format_stability_table(rows, factors=(0.5, 2.0))
    assert "loss at 0.5 x" in text and "loss at 2 x" in text and len(text.splitlines()) == 3
    with pytest.raises(ValueError, match="factors"):
        mb.stability_table((1,), factors=(-1.0, 2.0))


# --------------------------------------------------------------------------- figures and widget


def test_widget_redraws_when_a_control_moves():
    demo = mb.explore_minibatches()
    count, image = demo.update_count, demo.image.value
    for k, change in enumerate([{"batch_size": 32}, {"lr": 0.1}, {"shuffle": False},
                                {"batch_size": 1}], start=1):
        demo.set(**change)
        assert demo.update_count == count + k
        assert demo.image.value != image
        image = demo.image.value


def test_explorer_draws_the_runs_and_says_what_they_did():
    explorer = mb.MinibatchExplorer()
    widget = explorer.explore(batch_size=32, lr=0.03)
    fig = explorer.figure
    run = mb.wine_run(32, 0.03)
    np.testing.assert_allclose(explorer.epoch_curves.lines["yours"].get_ydata(), run.epoch_loss)
    np.testing.assert_allclose(explorer.full_line.get_ydata(), run.full_loss)
    assert "6 updates/epoch = 5 × 32 + 18" in explorer.summary
    assert "60 updates, 1,780 samples" in explorer.summary
    widget.set(batch_size=1, lr=0.3)
    assert explorer.figure is fig  # the same figure, its artists changed
    assert "diverged at update" in explorer.summary
    with pytest.raises(ValueError, match="batch_size"):
        widget.set(batch_size=3)  # not on the slider


def test_snapshots_are_figures_with_alt_text():
    from matplotlib.figure import Figure

    from nnlesson.viz.plotting import alt_text, smallest_text_px

    for fig in (mb.snapshot_minibatches(batch_size=16, lr=0.03, shuffle=False),
                mb.figure_shuffling(),
                mb.figure_batch_contents({"file order": mb.unshuffled_batches(
                    mb.wine_regression()[2], 32)}, 32)):
        assert isinstance(fig, Figure)
        assert all(ax.get_title() and ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes
                   if ax.get_visible() and ax.has_data())
        assert len(alt_text(fig)) > 60
        assert smallest_text_px(fig) >= 14