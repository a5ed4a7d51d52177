"""Lesson 09's experiments: compute against PyTorch and hand-worked values; widgets redraw."""
import math

import numpy as np
import pytest
import torch

from nnlesson.course.lessons import weight_initialization as wi


# --------------------------------------------------------------------------- initializers


@pytest.mark.parametrize("scheme, std", [("zeros", 0.0), ("small", 0.01), ("large", 1.0),
                                         ("xavier_normal", math.sqrt(2 / 500)),
                                         ("he_normal", math.sqrt(2 / 200))])
def test_make_initializer_draws_the_scheme_of_its_label(scheme, std):
    W = wi.make_initializer(scheme)((200, 300), rng=np.random.default_rng(0))
    assert W.shape == (200, 300)
    assert W.std() == pytest.approx(std, rel=0.02, abs=1e-12)


def test_uniform_schemes_stay_inside_their_bound():
    W = wi.make_initializer("he_uniform")((50, 40), rng=np.random.default_rng(0))
    assert np.abs(W).max() <= math.sqrt(6 / 50)
    W = wi.make_initializer("xavier_uniform")((50, 40), rng=np.random.default_rng(0))
    assert np.abs(W).max() <= math.sqrt(6 / 90)


def test_a_callable_initializer_is_passed_through():
    def mine(shape, rng=None):
        return np.full(shape, 0.5)

    assert wi.make_initializer(mine) is mine
    st = wi.signal_propagation(3, mine, "relu", width=4, n_samples=8)
    assert st.depth == 3 and np.all(np.isfinite(st.act_std))


def test_unknown_scheme_and_activation_are_refused():
    with pytest.raises(ValueError, match="scheme must be one of"):
        wi.make_initializer("glorot")
    with pytest.raises(ValueError, match="activation must be one of"):
        wi.signal_propagation(3, "he_normal", "gelu")
    with pytest.raises(ValueError, match="depth must be an integer >= 1"):
        wi.signal_propagation(0)
    with pytest.raises(ValueError, match="n_samples must be an integer >= 2"):
        wi.signal_propagation(3, n_samples=1)


# --------------------------------------------------------------------------- signal propagation


@pytest.mark.parametrize("activation, fn", [("relu", torch.relu), ("tanh", torch.tanh),
                                            ("sigmoid", torch.sigmoid)])
def test_signal_propagation_matches_pytorch_autograd(activation, fn):
    """Same weights, inputs and loss, run through PyTorch: same statistics per layer."""
    depth, width, n, seed = 6, 16, 10, 3
    st = wi.signal_propagation(depth, "he_normal", activation, width=width, n_samples=n, seed=seed)
    # the documented draw order: each layer's weights, then x, then r
    rng = np.random.default_rng(seed)
    Ws = [torch.tensor(rng.normal(0.0, math.sqrt(2 / width), (width, width)), requires_grad=True)
          for _ in range(depth)]
    x = torch.tensor(rng.standard_normal((n, width)))
    r = torch.tensor(rng.standard_normal((n, width)))
    h, stds = x, []
    for W in Ws:
        h = fn(h @ W)
        stds.append(float(h.detach().std(unbiased=False)))
    ((r * h).sum() / n).backward()
    np.testing.assert_allclose(st.act_std, stds, rtol=1e-10)
    np.testing.assert_allclose(st.grad_norm, [float(W.grad.norm()) for W in Ws], rtol=1e-10)
    assert st.input_std == pytest.approx(float(x.std(unbiased=False)))


def test_histograms_are_fractions_and_relu_zeroes_about_half():
    st = wi.signal_propagation(8, "he_normal", "relu")
    np.testing.assert_allclose(st.hist.sum(axis=1), 1.0)
    assert st.hist.shape == (8, len(wi.LOG_BINS) - 1)
    assert np.all((st.zero_fraction > 0.4) & (st.zero_fraction < 0.6))
    tanh = wi.signal_propagation(8, "he_normal", "tanh")
    assert np.all(tanh.zero_fraction == 0)


def test_histogram_bins_hand_worked():
    acts = np.array([[[0.0, 1.0, 0.5, 2e-15]]])  # one layer: a zero, 1 (bin of 1e0), 0.5, clipped
    hist, zeros = wi.signal._log_histograms(acts)
    assert zeros[0] == pytest.approx(0.25)
    step = wi.LOG_BINS[1] - wi.LOG_BINS[0]
    expect = np.zeros(len(wi.LOG_BINS) - 1)
    expect[int((0.0 - wi.LOG_BINS[0]) / step)] += 1 / 3        # log10(1) = 0
    expect[int((math.log10(0.5) - wi.LOG_BINS[0]) / step)] += 1 / 3
    expect[0] += 1 / 3                                          # below 1e-12: first bin
    np.testing.assert_allclose(hist[0], expect)


def test_zero_weights_give_zero_activations_and_zero_gradients():
    st = wi.signal_propagation(5, "zeros", "relu")
    assert np.all(st.act_std == 0) and np.all(st.grad_norm == 0)
    assert np.all(st.zero_fraction == 1)
    sig = wi.signal_propagation(5, "zeros", "sigmoid")
    np.testing.assert_allclose(sig.act_rms, 0.5)  # sigmoid(0) = 1/2 everywhere
    assert np.all(sig.grad_norm[:-1] == 0) and sig.grad_norm[-1] > 0


def test_ratio_is_last_over_first_std():
    st = wi.signal_propagation(4, "xavier_normal", "tanh")
    assert st.ratio == pytest.approx(st.act_std[-1] / st.act_std[0])
    assert math.isnan(wi.signal_propagation(3, "zeros", "relu").ratio)


def test_std_ratio_summarizes_the_seeds():
    g, lo, hi = wi.std_ratio("xavier_normal", "tanh", depth=5, width=32, seeds=(0, 1, 2))
    ratios = [wi.signal_propagation(5, "xavier_normal", "tanh", width=32, n_samples=64,
                                    seed=s).ratio for s in (0, 1, 2)]
    assert g == pytest.approx(float(np.prod(ratios)) ** (1 / 3))
    assert (lo, hi) == (min(ratios), max(ratios))


# --------------------------------------------------------------------------- symmetry


def test_zero_init_keeps_hidden_units_identical_with_sigmoid():
    res = wi.symmetry_experiment("zeros", "sigmoid", steps=20)
    assert np.all(res.distinct_units == 1)
    assert res.weight_change > 0.01                  # they moved, together
    assert np.ptp(res.first_weights, axis=1).max() == 0
    assert res.loss.shape == (20,) and res.first_weights.shape == (21, 16)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_zero_init_never_moves_relu_or_tanh_hidden_layers(activation):
    res = wi.symmetry_experiment("zeros", activation, steps=20)
    assert res.weight_change == 0 and np.all(res.distinct_units == 1)
    # only the output bias learns: the network predicts the most frequent class (71 of 178)
    assert res.accuracy == pytest.approx(71 / 178)


def test_random_init_breaks_the_symmetry():
    res = wi.symmetry_experiment("xavier_uniform", "sigmoid", hidden=8, steps=10)
    assert np.all(res.distinct_units == 8)


def test_distinct_units_hand_worked():
    W = np.array([[1.0, 1.0, 2.0], [0.0, 0.0, 0.0]])
    assert wi.distinct_units(W, np.zeros(3)) == 2
    assert wi.distinct_units(W, np.array([0.0, 1.0, 0.0])) == 3


def test_symmetry_experiment_checks_its_arguments():
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        wi.symmetry_experiment(lr=0.0)
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        wi.symmetry_experiment(steps=0)


# --------------------------------------------------------------------------- training a deep net


def test_train_with_init_counts_updates_and_units():
    run = wi.train_with_init("he_uniform", "relu", 0.1, hidden=(8, 8), epochs=1, batch_size=256)
    assert run.loss.shape == (math.ceil(1257 / 256),)
    assert not run.diverged and 0 <= run.val_acc <= 1
    assert run.distinct_units == 8
    zeros = wi.train_with_init("zeros", "relu", 0.1, hidden=(8, 8), epochs=1, batch_size=256)
    assert zeros.distinct_units == 1


def test_train_with_init_uses_the_schemes_keywords():
    """'large' (std 1) is not the library's default std: the weights are redrawn with it."""
    run = wi.train_with_init("large", "relu", 1e-3, hidden=(16,), epochs=1, batch_size=512)
    assert run.diverged or run.loss[0] > 10  # huge logits: a huge first loss


def test_train_with_init_diverges_gracefully():
    run = wi.train_with_init("large", "relu", 0.1, epochs=1, batch_size=64)
    assert run.diverged and math.isnan(run.val_acc) and np.isnan(run.loss[-1])


def test_train_with_init_is_cached_and_checks_its_arguments():
    a = wi.train_with_init("he_uniform", "relu", 0.1, hidden=(8,), epochs=1, batch_size=512)
    assert wi.train_with_init("he_uniform", "relu", 0.1, hidden=(8,), epochs=1,
                              batch_size=512) is a
    assert not a.loss.flags.writeable
    with pytest.raises(ValueError, match="scheme must be one of"):
        wi.train_with_init("glorot")
    with pytest.raises(ValueError, match="lr must be"):
        wi.train_with_init("zeros", lr=-1.0)


def test_mean_accuracy_leaves_out_diverged_seeds_and_best_rate_picks_the_highest_mean():
    nan = math.nan
    grid = {("relu", "he", 0.1, 0): wi.TrainingRun(np.zeros(1), 0.8, False, 1),
            ("relu", "he", 0.1, 1): wi.TrainingRun(np.zeros(1), 0.6, False, 1),
            ("relu", "he", 1.0, 0): wi.TrainingRun(np.zeros(1), nan, True, 1),
            ("relu", "he", 1.0, 1): wi.TrainingRun(np.zeros(1), 0.9, False, 1)}
    assert wi.mean_accuracy(grid, "relu", "he", 0.1) == (pytest.approx(0.7), 0)
    assert wi.mean_accuracy(grid, "relu", "he", 1.0) == (pytest.approx(0.9), 1)
    assert wi.best_rate(grid, "relu", "he") == (1.0, pytest.approx(0.9))
    with pytest.raises(ValueError, match="no run"):
        wi.mean_accuracy(grid, "tanh", "he", 0.1)


# --------------------------------------------------------------------------- the gain and the bounds


def test_the_tanh_gain_scheme_is_xavier_times_five_thirds():
    W = wi.make_initializer("xavier_normal_tanh_gain")((300, 300), rng=np.random.default_rng(0))
    assert W.std() == pytest.approx(5 / 3 * math.sqrt(2 / 600), rel=0.01)
    assert torch.nn.init.calculate_gain("tanh") == pytest.approx(wi.TANH_GAIN)


def test_backward_factor_is_the_per_layer_geometric_mean():
    st = wi.signal_propagation(5, "he_normal", "sigmoid", width=16)
    assert wi.backward_factor(st) ** 4 == pytest.approx(st.grad_norm[0] / st.grad_norm[-1])
    with pytest.raises(TypeError, match="stats must be SignalStats"):
        wi.backward_factor(st.grad_norm)


def test_slope_bounds_hand_worked():
    assert wi.slope_bound("xavier_normal", "sigmoid") == pytest.approx(0.25)
    assert wi.slope_bound("he_normal", "sigmoid") == pytest.approx(math.sqrt(2) / 4)
    assert wi.slope_bound("he_uniform", "relu") == pytest.approx(math.sqrt(2))
    assert wi.slope_bound("small", "tanh", width=100) == pytest.approx(0.1)


def test_the_backward_factor_of_one_layer_is_the_weights_and_the_slope():
    """One layer of sigmoid, 400 units: measured against sqrt(n Var(W) E[sigma'(z)^2])."""
    rng = np.random.default_rng(1)
    n = 400
    z = rng.standard_normal((2000, n))
    s = 1 / (1 + np.exp(-z))
    W = rng.normal(0, math.sqrt(2 / n), (n, n))  # He
    d = rng.standard_normal((2000, n))
    back = (d * s * (1 - s)) @ W.T
    predicted = math.sqrt(n * (2 / n) * np.mean((s * (1 - s)) ** 2))
    assert np.linalg.norm(back) / np.linalg.norm(d) == pytest.approx(predicted, rel=0.02)
    assert predicted < wi.slope_bound("he_normal", "sigmoid", width=n)


# --------------------------------------------------------------------------- figures and widgets


def test_static_figures_are_labelled_readable_and_described():
    from nnlesson.viz.plotting import alt_text, smallest_text_px

    for fig in (wi.figure_init_comparison(depth=5, width=16), wi.figure_symmetry(steps=5)):
        assert alt_text(fig) and smallest_text_px(fig) >= 14
        for ax in fig.axes:
            assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    fig = wi.figure_init_comparison(depth=4, schemes=(lambda shape, rng=None: np.ones(shape),),
                                    activations=("tanh",), width=8)
    assert len(fig.axes) == 1  # a student's own initializer is drawn too


def test_signal_widget_redraws_on_every_control():
    demo = wi.explore_signal_propagation(depth=6)
    count, image = demo.update_count, demo.image.value
    for name, value in (("depth", 9), ("scheme", "xavier_normal"), ("activation", "tanh")):
        demo.set(**{name: value})
        assert demo.update_count == count + 1
        assert demo.image.value != image
        count, image = demo.update_count, demo.image.value


def test_signal_explorer_draws_off_scale_values_on_the_edge_and_says_the_true_ones():
    ex = wi.SignalExplorer()
    ex.snapshot(depth=8, scheme="small", activation="relu")
    shown = ex.std_line.get_ydata()[:8]
    true = ex.result.act_std
    inside = (true > wi.LOG_RANGE[0]) & (true < wi.LOG_RANGE[1])
    np.testing.assert_allclose(shown[inside], true[inside])
    assert np.all(shown[~inside] == pytest.approx(wi.LOG_RANGE[0] * 1.05))  # vanished: bottom edge
    assert np.all(np.isnan(ex.std_line.get_ydata()[8:]))                    # beyond the depth
    assert f"layer 8 {true[-1]:.2g}" in ex.summary
    ex = wi.SignalExplorer()  # a snapshot draws on the explorer's own figure once
    ex.snapshot(depth=3, scheme="zeros", activation="relu")
    assert np.all(np.isnan(ex.grad_line.get_ydata()))  # exact zeros: no point on a log axis
    assert "layer 3 0" in ex.summary


def test_training_explorer_shows_the_mean_of_the_random_seeds():
    ex = wi.InitTrainingExplorer()
    ex.snapshot(activation="tanh", lr=0.3)
    heights = [bar.get_height() for bar in ex.bars]
    expected = [wi.mean_accuracy(wi.init_training_grid(("tanh",), lrs=(0.3,)), "tanh", s, 0.3)[0]
                for s in wi.TRAINING_SCHEMES]
    assert heights == pytest.approx(expected)
    assert ex.summary.startswith("validation accuracy: zeros 0.10")
    with pytest.raises(ValueError, match="lr"):
        ex.snapshot(lr=0.316)  # only the slider's values


def test_the_shipped_training_table_is_what_fresh_runs_give():
    """The training explorer draws every setting from a table shipped with the package (a
    setting takes a second to train); every entry is recomputed here from fresh runs."""
    table = wi.training._table()
    assert set(table) == {(a, float(lr)) for a in wi.TRAINING_ACTIVATIONS
                          for lr in wi.TRAINING_LRS}
    regenerate = ("the table is stale: regenerate it with python -c 'from nnlesson.course."
                  "lessons.weight_initialization import training; training.write_training_table()'")
    for (activation, lr), entry in table.items():
        fresh = wi.training_view(activation, lr)
        assert list(entry) == list(fresh) == list(wi.TRAINING_SCHEMES), regenerate
        for scheme, view in fresh.items():
            curve, accuracies = entry[scheme]
            # the curves are stored to 4 significant digits: half a unit of the 4th digit
            np.testing.assert_allclose(curve, view.curve, rtol=5.01e-4, atol=0, equal_nan=True,
                                       err_msg=f"{activation}, lr {lr}, {scheme}: {regenerate}")
            np.testing.assert_array_equal(accuracies, view.accuracies,
                                          err_msg=f"{activation}, lr {lr}, {scheme}: {regenerate}")
    # what the explorer shows is the stored view, and it agrees with the lesson's grid
    grid = wi.init_training_grid()
    for activation in wi.TRAINING_ACTIVATIONS:
        for lr in wi.TRAINING_LRS:
            for scheme, view in wi.stored_training_view(activation, lr).items():
                mean, diverged = wi.mean_accuracy(grid, activation, scheme, lr)
                assert view.diverged == diverged
                np.testing.assert_equal(view.mean_accuracy, mean)


def test_a_training_view_is_the_mean_of_the_smoothed_runs_and_says_what_diverged():
    view = wi.training_view("relu", 1.0)["he_uniform"]
    runs = [wi.train_with_init("he_uniform", "relu", 1.0, seed=s) for s in wi.TRAINING_SEEDS]
    assert view.diverged == sum(r.diverged for r in runs) == 2
    kept = [r for r in runs if not r.diverged]
    assert view.mean_accuracy == pytest.approx(np.mean([r.val_acc for r in kept]))
    # update 10: the mean over the seeds still running of each one's last 5 losses
    alive = [r.loss[5:10].mean() for r in runs if np.all(np.isfinite(r.loss[5:10]))]
    assert view.curve[9] == pytest.approx(np.mean(alive))
    assert wi.training_view("relu", 0.1)["zeros"].diverged == 0


def test_every_run_of_the_grid_keeps_its_first_layers_units_as_the_scheme_predicts():
    for (activation, scheme, lr, seed), run in wi.init_training_grid().items():
        assert run.distinct_units == (1 if scheme == "zeros" else 32)
