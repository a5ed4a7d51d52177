"""Every claim the text of lesson 03 (batch, stochastic and mini-batch gradient descent) makes,
asserted."""
import numpy as np
import pytest

from nnlesson.data import iterations_per_epoch, minibatches
from nnlesson.course.lessons import minibatch_gradient_descent as mb


def test_iterations_per_epoch_examples():
    # seed 003: 1000 samples, batch size 100 -> 10 iterations; 5000 images, batches of 1000 -> 5
    assert iterations_per_epoch(1000, 100) == 10
    assert iterations_per_epoch(5000, 1000) == 5
    assert iterations_per_epoch(178, 32) == 6 and mb.batch_plan(178, 32)[-1] == 18
    assert iterations_per_epoch(178, 32, drop_last=True) == 5
    assert iterations_per_epoch(178, 1) == 178 and iterations_per_epoch(178, 178) == 1
    assert iterations_per_epoch(10, 3) == 4 and 10 // 3 == 3  # floor would lose a batch


def test_seed_loop_keeps_the_partial_batch_but_never_shuffles():
    _, _, cultivar = mb.wine_regression()
    batches = mb.seed_loop_batches(cultivar, 32)
    assert [len(b) for b in batches] == [32] * 5 + [18]
    assert sum(len(b) for b in batches) == 178
    # sorted file: the first batch is all cultivar 0, the last all cultivar 2
    assert set(batches[0]) == {0} and set(batches[-1]) == {2}
    # every epoch cuts the same batches: nothing in the loop changes from one call to the next
    again = mb.seed_loop_batches(cultivar, 32)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))


def test_library_batches_are_mixed_and_change_every_epoch():
    _, _, cultivar = mb.wine_regression()
    rng = np.random.default_rng(0)
    first = [yb for _, yb in minibatches(cultivar[:, None], cultivar, 32, rng=rng)]
    second = [yb for _, yb in minibatches(cultivar[:, None], cultivar, 32, rng=rng)]
    assert [len(b) for b in first] == [32] * 5 + [18]
    assert all(len(set(b)) == 3 for b in first[:5])  # every full batch holds all 3 cultivars
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))


def test_ten_samples_batches_of_three_demo():
    rng = np.random.default_rng(0)
    X = np.arange(10)[:, None]
    epochs = [[xb[:, 0].tolist() for xb, _ in minibatches(X, None, 3, rng=rng)] for _ in range(2)]
    for batches in epochs:
        assert [len(b) for b in batches] == [3, 3, 3, 1]
        assert sorted(sum(batches, [])) == list(range(10))
    assert epochs[0] != epochs[1]


@pytest.fixture(scope="module")
def table():
    return {r.batch_size: r for r in mb.batch_size_table((1, 4, 16, 64, 178), lr=0.03)}


def test_every_batch_size_processes_the_same_samples(table):
    assert {r.samples_processed for r in table.values()} == {1780}
    assert [table[b].updates for b in (1, 4, 16, 64, 178)] == [1780, 450, 120, 30, 10]


def test_noise_shrinks_as_the_batch_grows(table):
    noise = [table[b].noise for b in (1, 4, 16, 64, 178)]
    assert all(a > b for a, b in zip(noise, noise[1:]))
    assert noise[0] > 1.5 and noise[-1] < 1e-12
    # roughly 1 / sqrt(b): 4 times the batch, about half the noise
    assert 0.4 < table[16].noise / table[4].noise < 0.6


def test_per_epoch_a_middle_batch_size_wins_at_lr_003(table):
    final = {b: table[b].final_loss for b in table}
    assert min(final, key=final.get) == 16
    assert final[16] == pytest.approx(0.410, abs=1e-3)
    assert final[178] == pytest.approx(0.501, abs=1e-3)  # batch GD: only 10 updates
    assert final[1] == pytest.approx(0.657, abs=1e-3)  # SGD: noisy
    assert final[1] > final[16] and final[178] > final[16]


def test_at_lr_001_smaller_batches_get_further_per_epoch():
    final = {r.batch_size: r.final_loss for r in mb.batch_size_table((4, 16, 64, 178), lr=0.01)}
    assert final[4] < final[16] < final[64] < final[178]


def test_per_update_larger_batches_make_better_steps():
    after_10 = {b: mb.wine_run(b, 0.03).full_loss[10] for b in (1, 4, 16, 64, 178)}
    assert after_10[1] > after_10[4] > after_10[16] > after_10[178]
    assert after_10[1] == pytest.approx(0.767, abs=1e-3)
    assert after_10[178] == pytest.approx(0.501, abs=1e-3)


def test_small_batches_need_a_smaller_learning_rate():
    assert mb.wine_run(1, 0.1).diverged
    assert mb.wine_run(2, 0.1).final_loss > 1.0
    assert mb.wine_run(178, 0.1).final_loss == pytest.approx(0.420, abs=1e-3)
    # above 2 / lambda_max = 0.216 even batch GD diverges: the loss ends up tripling every epoch
    above = mb.wine_run(178, 0.3).epoch_loss
    assert np.all(above[5:] > 3 * above[4:-1]) and above[-1] > 1000


def test_largest_stable_rate_of_batch_gd():
    Z, _, _ = mb.wine_regression()
    lam = np.linalg.eigvalsh(2 / len(Z) * Z.T @ Z)
    assert 2 / lam[-1] == pytest.approx(0.216, abs=1e-3)


def test_shuffling_matters_on_the_sorted_file():
    def last_epoch_mean(b, lr, shuffle):
        run = mb.wine_run(b, lr, shuffle)
        return run.full_loss[-run.iterations_per_epoch:].mean()

    assert last_epoch_mean(16, 0.1, True) == pytest.approx(0.474, abs=1e-3)
    assert last_epoch_mean(16, 0.1, False) == pytest.approx(0.588, abs=1e-3)
    assert last_epoch_mean(8, 0.1, False) > 10 > 1 > last_epoch_mean(8, 0.1, True)
    # at a small enough rate the order matters little
    assert abs(last_epoch_mean(32, 0.03, False) - last_epoch_mean(32, 0.03, True)) < 0.005


def test_epoch_cost_counts():
    assert mb.epoch_cost(178, 13, 1) == (178, 178, 16732)
    assert mb.epoch_cost(178, 13, 16) == (12, 178, 4 * 178 * 13 + 3 * 178 + 12 * 39)
    assert mb.epoch_cost(178, 13, 178) == (1, 178, 9829)


def test_seed_002_jiggle_does_not_converge_at_a_constant_rate():
    floor = mb.min_loss()
    assert floor == pytest.approx(0.406, abs=1e-3)

    def last_epoch(lr):
        run = mb.wine_run(1, lr)
        return run.full_loss[-178:]

    wide, narrow = last_epoch(0.03), last_epoch(0.01)
    assert wide.min() > floor + 0.04 and np.ptp(wide) > 1.5  # 0.451 to 2.29
    assert narrow.min() > floor + 0.01 and np.ptp(narrow) > 0.1  # 0.417 to 0.533
    assert np.ptp(narrow) < np.ptp(wide)
    # batch gradient descent at a stable rate goes down at every step
    assert np.all(np.diff(mb.wine_run(178, 0.03).full_loss) < 0)


def test_seed_000_mini_batch_vs_full_batch():
    """"More stable convergence than full-batch" does not hold: full batch has no noise. What
    mini-batches buy is more progress per epoch."""
    mini, full = mb.wine_run(16, 0.03), mb.wine_run(178, 0.03)
    assert full.noise < 1e-12 < mini.noise
    assert mini.final_loss < full.final_loss
    sgd = mb.wine_run(1, 0.03)
    assert mini.noise < sgd.noise and mini.updates < sgd.updates
