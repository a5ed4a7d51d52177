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
    hist, zeros = wi._log_histograms(acts)
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


def test_distinct_columns_hand_worked():
    W = np.array([[1.0, 1.0, 2.0], [0.0, 0.0, 0.0]])
    assert wi._distinct_columns(W, np.zeros(3)) == 2
    assert wi._distinct_columns(W, np.array([0.0, 1.0, 0.0])) == 3


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


def test_nearest_and_smooth_hand_worked():
    assert wi._nearest((0.01, 0.1, 1.0), 0.2) == 0.1
    assert wi._nearest((0.01, 0.1, 1.0), 0.5) == 1.0
    np.testing.assert_allclose(wi._smooth(np.array([1.0, 3.0, 5.0, 7.0]), k=2), [1, 2, 4, 6])


# --------------------------------------------------------------------------- figures and widgets


def _titles(fig):
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


def test_snapshots_and_figures_are_labelled():
    for fig in (wi.snapshot_signal_propagation(depth=6),
                wi.figure_init_comparison(depth=5, width=16),
                wi.figure_symmetry(steps=5)):
        plots = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
        assert plots
        for ax in plots:
            assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_signal_widget_redraws_on_every_control():
    demo = wi.explore_signal_propagation(depth=6)
    count, image = demo.update_count, demo.image.value
    for name, value in (("depth", 9), ("scheme", "xavier_normal"), ("activation", "tanh")):
        demo.set(**{name: value})
        assert demo.update_count == count + 1
        assert demo.image.value != image
        count, image = demo.update_count, demo.image.value


def test_signal_explorer_caches_and_draws_off_scale_values_on_the_edge():
    drawing = wi.SignalExplorer(max_depth=8, bake=False)
    drawing.update(depth=8, scheme="small", activation="relu")
    assert drawing.compute(8, "small", "relu") is drawing.stats
    assert drawing.axes[1].get_ylim() == pytest.approx(wi.LOG_RANGE)
    shown = drawing.std_line.get_ydata()
    true = drawing.stats.act_std
    inside = (true > wi.LOG_RANGE[0]) & (true < wi.LOG_RANGE[1])
    np.testing.assert_allclose(shown[inside], true[inside])
    assert np.all(shown[~inside] == pytest.approx(wi.LOG_RANGE[0] * 1.05))  # vanished: bottom edge
    assert "1 → 8" in drawing.std_text.get_text()
    drawing.update(depth=3, scheme="zeros", activation="relu")
    assert np.all(np.isnan(drawing.grad_line.get_ydata()))  # exact zeros: no point on a log axis


def test_training_widget_redraws_and_snaps_to_the_grid():
    demo = wi.explore_init_training()
    count, image = demo.update_count, demo.image.value
    demo.set(lr=0.3)
    assert demo.update_count == count + 1 and demo.image.value != image
    demo.set(activation="tanh")
    assert demo.update_count == count + 2
    drawing = wi.InitTrainingExplorer(bake=False)
    runs, lr = drawing.compute("relu", 0.29)
    assert lr == pytest.approx(10 ** -0.5) and set(runs) == set(wi.TRAINING_SCHEMES)
    drawing.update(activation="tanh", lr=1.0)
    heights = [bar.get_height() for bar in drawing.bars]
    assert heights == pytest.approx([drawing.runs[s].val_acc for s in wi.TRAINING_SCHEMES])


def test_the_distinct_unit_counts_written_under_the_bars_hold_for_every_run():
    for (activation, scheme, lr), run in wi.init_training_grid().items():
        assert run.distinct_units == (1 if scheme == "zeros" else 32)
