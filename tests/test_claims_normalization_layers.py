"""Every claim lesson 10 (normalization layers) makes, asserted with the lesson's own numbers."""
import numpy as np
import pytest

from nnlesson.course.lessons import normalization_layers as nl
from nnlesson.norm import BatchNorm, update_running_stats


@pytest.fixture(scope="module")
def speedup():
    return nl.batchnorm_speedup()


def test_batch_norm_is_faster_on_the_digits_but_nowhere_near_10_to_15_times(speedup):
    """A tutorial: 'often train 10-15x faster'. Measured: 1.75 times fewer epochs to 95 %."""
    assert speedup.best(False) == (3.5, 1.0)
    assert speedup.best(True) == (2.0, 1.0)
    assert speedup.ratio == pytest.approx(1.75)
    assert 1.0 < speedup.ratio < 3.0


def test_batch_norm_tolerates_a_larger_learning_rate(speedup):
    assert speedup.largest_lr_that_trains(False) == 1.0
    assert speedup.largest_lr_that_trains(True) == pytest.approx(3.0)
    # and ends a little higher, at each network's best rate
    assert speedup.final_accuracy(True) > speedup.final_accuracy(False)


def test_only_the_batch_norm_network_trains_at_lr_3_in_the_slider_grid():
    """'0.95 at 3 with batches of 64, where the plain network is stuck at 0.10'."""
    grid = nl.batchnorm_training_grid()
    assert grid[(True, 64, 3.0)].val_acc == pytest.approx(0.95, abs=0.005)
    plain = grid[(False, 64, 3.0)]
    assert not plain.diverged and plain.val_acc == pytest.approx(0.10, abs=0.005)


def test_batch_norm_fails_with_batches_of_two():
    grid = nl.batchnorm_training_grid()
    best_bn = max(grid[(True, 2, lr)].val_acc for lr in nl.BN_LRS)
    best_plain = max(grid[(False, 2, lr)].val_acc for lr in nl.BN_LRS
                     if not grid[(False, 2, lr)].diverged)
    assert best_bn < 0.4 < 0.65 < best_plain  # "about a third right at best" (0.27 to 0.34 seen)


def test_train_mode_output_depends_on_the_batch_eval_mode_and_layer_norm_do_not():
    small = nl.batch_dependence("batch norm", False, batch_size=4).spread
    large = nl.batch_dependence("batch norm", False, batch_size=32).spread
    assert small > 2.0 and 0.5 < large < 1.0
    assert nl.batch_dependence("batch norm", True, batch_size=4).spread == 0.0
    assert nl.batch_dependence("layer norm", False, batch_size=4).spread < 1e-12
    assert nl.batch_dependence("group norm", False, batch_size=4).spread < 1e-12


def test_running_averages_need_a_warm_up():
    """From 0 towards a constant batch mean of 1: after k batches, 1 - (1 - momentum)^k."""
    rm, rv = np.zeros(1), np.ones(1)
    for _ in range(5):
        rm, rv = update_running_stats(rm, rv, np.ones(1), np.ones(1), momentum=0.1)
    assert rm[0] == pytest.approx(1 - 0.9 ** 5) == pytest.approx(0.40951)
    # after 5 batches eval mode is still far from the data's statistics; after 200 it is close
    early = nl.batch_dependence("batch norm", True, batch_size=16, batches_seen=5)
    late = nl.batch_dependence("batch norm", True, batch_size=16, batches_seen=200)
    error = [np.abs(r.outputs[0] - r.reference).mean() for r in (early, late)]
    assert error[0] > 0.5 > 0.1 > error[1]


def test_pytorch_momentum_0_1_is_keras_momentum_0_9():
    running, batch = np.array([2.0]), np.array([4.0])
    pytorch, _ = update_running_stats(running, np.ones(1), batch, np.ones(1), momentum=0.1)
    keras = 0.9 * running + (1 - 0.9) * batch        # Keras: momentum weights the old value
    assert pytorch[0] == pytest.approx(keras[0]) == pytest.approx(2.2)


def test_a_batch_of_one_is_refused_in_training_mode_and_fine_in_eval():
    bn = BatchNorm(4)
    with pytest.raises(ValueError, match="needs more than 1 sample per feature in training mode"):
        bn.forward(np.ones((1, 4)))
    assert bn.eval().forward(np.ones((1, 4))).shape == (1, 4)


def test_gamma_sqrt_var_plus_eps_and_beta_mu_give_x_back():
    """'with gamma = sqrt(sigma_B^2 + eps) and beta = mu_B the layer gives back x';
    gamma = sigma_B alone is off by about eps / (2 sigma^2) relative."""
    from nnlesson.norm import batchnorm_forward

    rng = np.random.default_rng(0)
    batch = nl.make_features()[rng.choice(2000, 8, replace=False)]
    mu, var = batch.mean(axis=0), batch.var(axis=0)
    back, _ = batchnorm_forward(batch, np.sqrt(var + 1e-5), mu)
    np.testing.assert_allclose(back, batch, rtol=0, atol=1e-14)
    near, _ = batchnorm_forward(batch, np.sqrt(var), mu)
    assert 1e-6 < np.abs(near - batch).max() < 1e-4


def test_before_or_after_the_relu_makes_no_difference_beyond_the_random_seeds():
    """'Both orders reach 94 to 97 %, and the difference between them is smaller than that
    between two random seeds of the same order'."""
    runs = nl.placement_comparison()
    for lr in (0.3, 1.0):
        means, spreads = [], []
        for place in nl.PLACES:
            accs = np.array([runs[(place, lr, seed)] for seed in (0, 1, 2)])
            assert np.all((accs > 0.94) & (accs < 0.975))  # 94 to 97 %, rounded
            means.append(accs.mean())
            spreads.append(np.ptp(accs))
        assert abs(means[0] - means[1]) < min(spreads)


def test_batch_norm_of_images_shares_one_mean_per_channel_over_n_h_w():
    images = np.random.default_rng(1).normal(3.0, 2.0, size=(8, 3, 5, 5))
    out, mu, var = nl.channel_batchnorm(images, np.ones(3), np.zeros(3))
    assert mu.shape == (3,)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1.0, atol=1e-4)
    # not per pixel: the values of one position over the batch are not standardized
    assert np.abs(out.mean(axis=0)).max() > 0.5


@pytest.fixture(scope="module")
def sensitivity():
    return nl.init_sensitivity()


def test_without_batch_norm_the_start_decides(sensitivity):
    """'tiny weights never learn (0.10), large ones diverge, Xavier reaches 0.76 and He 0.87'."""
    assert sensitivity.mean(False, "small")[0] == pytest.approx(0.10, abs=0.005)
    large = sensitivity.mean(False, "large")
    assert np.isnan(large[0]) and large[1] == 3
    assert sensitivity.mean(False, "xavier_uniform")[0] == pytest.approx(0.76, abs=0.005)
    assert sensitivity.mean(False, "he_uniform")[0] == pytest.approx(0.87, abs=0.005)


def test_with_batch_norm_every_random_start_trains_and_zeros_do_not(sensitivity):
    """'every random start trains (0.63 to 0.93) and Xavier is as good as He (0.93 and 0.90)';
    'Zeros stay at 0.10 even with batch norm'; 'Large weights learn slowest (0.63)'."""
    random_starts = ("small", "large", "xavier_uniform", "he_uniform")
    means = {s: sensitivity.mean(True, s) for s in random_starts}
    assert all(diverged == 0 for _, diverged in means.values())
    values = [m for m, _ in means.values()]
    assert min(values) == pytest.approx(0.63, abs=0.005) == means["large"][0]
    assert max(values) == pytest.approx(0.93, abs=0.005) == means["xavier_uniform"][0]
    assert means["he_uniform"][0] == pytest.approx(0.90, abs=0.005)
    assert sensitivity.mean(True, "zeros")[0] == pytest.approx(0.10, abs=0.005)
    # less sensitive: the spread over the random starts shrinks
    plain = [sensitivity.mean(False, s)[0] for s in random_starts]
    plain = [0.0 if np.isnan(m) else m for m in plain]
    assert max(values) - min(values) < (max(plain) - min(plain)) / 2


def test_ten_times_larger_weights_get_a_ten_times_smaller_gradient():
    """'Ten times larger weights get a gradient ten times smaller (0.100 printed)'."""
    change, shrink = nl.scale_invariance(scale=10.0)
    assert change < 1e-4
    assert shrink == pytest.approx(0.100, abs=0.0005)


def test_forgetting_eval_costs_far_more_than_the_placement():
    """'predicting the validation digits in training mode, the same networks get 0.87 to 0.90
    right in batches of 8 and about half (0.48 to 0.53) in batches of 2' (eval mode: 0.96 to
    0.97), against a placement difference smaller than the random seeds'."""
    forgot = nl.forgotten_eval(place="before", lr=1.0)
    runs = nl.placement_comparison()
    for seed, row in forgot.items():
        assert row["eval"] == runs[("before", 1.0, seed)]      # the same trained networks
        assert 0.955 <= row["eval"] < 0.975
        assert 0.865 <= row[8] < 0.905
        assert 0.475 <= row[2] < 0.535
        assert row["eval"] - row[8] > 0.05
    placement = abs(np.mean([runs[("before", 1.0, s)] - runs[("after", 1.0, s)]
                             for s in (0, 1, 2)]))
    assert placement < 0.01 < min(row["eval"] - row[8] for row in forgot.values())


def test_forgotten_eval_is_training_mode_batch_norm_over_each_batch():
    """Hand-checked on one batch: in training mode the prediction of a digit is that of the
    network whose batch norms use the statistics of its batch."""
    import copy

    from nnlesson.datasets import load_digits_split

    _, X_val, _, y_val = load_digits_split()
    net = nl.placement._trained("before", 1.0, 0, 3)[0]
    twin = copy.deepcopy(net).train()
    batch = X_val[:8]
    train_mode = twin.forward(batch)
    # by hand: each BatchNorm normalizes with this batch's own mean and biased variance
    h = batch
    for layer in copy.deepcopy(net).layers:
        if isinstance(layer, BatchNorm):
            h = (layer.gamma.value * (h - h.mean(axis=0)) / np.sqrt(h.var(axis=0) + layer.eps)
                 + layer.beta.value)
        else:
            h = layer.forward(h)
    np.testing.assert_allclose(train_mode, h, rtol=1e-10, atol=1e-12)
    assert nl.forgotten_eval(seeds=(0,), batch_sizes=(540,))[0][540] == pytest.approx(
        np.mean(np.argmax(copy.deepcopy(net).train().forward(X_val), axis=1) == y_val))


def test_at_small_rates_the_plain_network_is_ahead_and_at_0_1_to_0_3_they_are_close():
    """'At the smallest rates the plain network is ahead after 50 updates (0.50 against 0.39
    at 0.01 with batches of 32); from 0.1 to 0.3 the two are close.'"""
    grid = nl.batchnorm_training_grid()
    assert grid[(False, 32, 0.01)].val_acc == pytest.approx(0.50, abs=0.005)
    assert grid[(True, 32, 0.01)].val_acc == pytest.approx(0.39, abs=0.005)
    for bs in (8, 32, 64):
        for lr in (0.01, 0.03):
            assert grid[(False, bs, lr)].val_acc > grid[(True, bs, lr)].val_acc + 0.03
        for lr in (0.1, 0.3):
            assert abs(grid[(False, bs, lr)].val_acc - grid[(True, bs, lr)].val_acc) <= 0.025


def test_the_plain_networks_two_runs_reach_95_percent_after_2_and_5_epochs(speedup):
    """'one plain run reached 95 % after 2 epochs and fell below it again, the other after 5'."""
    k = speedup.lrs.index(speedup.best(False)[1])
    assert sorted(speedup.epochs_to_target[0, k]) == [2.0, 5.0]
    early = int(np.argmin(speedup.epochs_to_target[0, k]))
    curve = speedup.val_acc[0, k, early]
    assert curve[1] >= 0.95 and np.any(curve[2:] < 0.95)        # reached, then fell below
    assert list(speedup.epochs_to_target[1, speedup.lrs.index(speedup.best(True)[1])]) == [2, 2]
