"""Every claim the text of lesson 03 (batch, stochastic and mini-batch gradient descent) makes,
asserted."""
import numpy as np
import pytest

from nnlesson.data import iterations_per_epoch, minibatches
from nnlesson.course.lessons import minibatch_gradient_descent as mb


def test_iterations_per_epoch_examples():
    # the textbook: 1000 samples, batch size 100 -> 10 iterations; 5000 images, batches of 1000 -> 5
    assert iterations_per_epoch(1000, 100) == 10
    assert iterations_per_epoch(5000, 1000) == 5
    assert iterations_per_epoch(178, 32) == 6 and mb.batch_plan(178, 32)[-1] == 18
    assert iterations_per_epoch(178, 32, drop_last=True) == 5
    assert iterations_per_epoch(178, 1) == 178 and iterations_per_epoch(178, 178) == 1
    assert iterations_per_epoch(10, 3) == 4 and 10 // 3 == 3  # floor would lose a batch


def test_the_tutorials_loop_keeps_the_partial_batch_but_never_shuffles():
    _, _, cultivar = mb.wine_regression()
    batches = mb.unshuffled_batches(cultivar, 32)
    assert [len(b) for b in batches] == [32] * 5 + [18]
    assert sum(len(b) for b in batches) == 178
    # sorted file: the first batch is all cultivar 0, the last all cultivar 2
    assert set(batches[0]) == {0} and set(batches[-1]) == {2}
    # every epoch cuts the same batches: nothing in the loop changes from one call to the next
    again = mb.unshuffled_batches(cultivar, 32)
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


def test_per_update_larger_batches_make_better_steps_up_to_a_point():
    after_10 = {b: np.array([mb.wine_run(b, 0.03, seed=s).full_loss[10] for s in range(10)])
                for b in (1, 4, 16, 64, 178)}
    mean = {b: a.mean() for b, a in after_10.items()}
    assert mean[1] > mean[4] > mean[16] > mean[178] - 0.005
    assert mean[1] == pytest.approx(0.768, abs=1e-3)
    assert (after_10[1].min(), after_10[1].max()) == pytest.approx((0.561, 1.187), abs=1e-3)
    assert mean[4] == pytest.approx(0.545, abs=1e-3)
    # from 16 wines on the curve is flat: within 0.005 of the full batch on average
    assert all(abs(mean[b] - mean[178]) < 0.005 for b in (16, 64))
    assert [round(mean[b], 3) for b in (16, 64, 178)] == [0.503, 0.500, 0.501]
    # not monotone run by run: a single random seed can put batch size 16 below the full batch
    assert after_10[16].min() < mean[178] < after_10[16].max()


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
    assert lam[-1] == pytest.approx(9.27, abs=5e-3)


def test_per_sample_curvature_is_about_three_times_the_full_batchs():
    Z, _, _ = mb.wine_regression()
    c = 2 * (Z**2).sum(axis=1)  # 2 ||z_i||^2, from the rows themselves
    # twelve standardized features (mean square 1 each) and the bias 1: exactly 2 x 13 on average
    assert c.mean() == pytest.approx(26.0, rel=1e-12)
    assert (round(c.min(), 1), round(c.max(), 1)) == (9.3, 71.7)
    lam_max = np.linalg.eigvalsh(2 / len(Z) * Z.T @ Z)[-1]
    assert 2.5 < c.mean() / lam_max < 3  # "almost three times"
    assert round(2 / c.mean(), 3) == 0.077
    assert round(2 * c.mean() / (c**2).mean(), 3) == 0.064


def test_one_wines_step_overshoots_above_two_over_its_curvature():
    """A step on one sample alone multiplies the error along z_i by 1 - lr c_i."""
    Z, y, _ = mb.wine_regression()
    i = int(np.argmax((Z**2).sum(axis=1)))
    c = 2 * Z[i] @ Z[i]
    w_star = np.zeros(13)
    w_star += Z[i] * y[i] / (Z[i] @ Z[i])  # a point where sample i's loss is 0
    for lr, grows in ((0.99 * 2 / c, False), (1.01 * 2 / c, True)):
        w = w_star + 0.1 * Z[i]
        for _ in range(50):
            w = w - lr * 2 * (Z[i] @ w - y[i]) * Z[i]
        assert (abs(Z[i] @ (w - w_star)) > abs(0.1 * Z[i] @ Z[i])) == grows


def test_the_stable_rate_falls_with_the_batch_size_and_runs_agree():
    rows = {r.batch_size: r for r in mb.stability_table((1, 2, 4, 16, 178))}
    assert [round(rows[b].limit, 3) for b in (1, 2, 4, 16, 178)] == \
        [0.060, 0.105, 0.158, 0.205, 0.216]
    # below the typical wine's 2 / mean(c) = 0.077, near the size-weighted 0.064
    assert rows[1].limit < 0.064 < 0.077
    # 1.25 x the limit: every batch size blows up (the full batch slowest, but far above 1)
    assert all(np.isinf(rows[b].above) for b in (1, 2, 4, 16))
    assert rows[178].above == pytest.approx(177, abs=0.5)
    # 0.8 x the limit: none does, but batch sizes 1 and 2 end above the loss at the start (1.0)
    assert all(np.isfinite(r.below) for r in rows.values())
    assert rows[1].below == pytest.approx(1.07, abs=5e-3) and rows[2].below == pytest.approx(1.7, abs=0.05)
    assert rows[1].below > mb.wine_run(1, 0.01).full_loss[0] == pytest.approx(1.0)
    # an independent measurement: simulate batch size 1 for 50 epochs at 0.5 and 1.5 x the limit
    assert not mb.wine_run(1, 0.5 * rows[1].limit, epochs=50).diverged
    assert mb.wine_run(1, 1.5 * rows[1].limit, epochs=50).diverged


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
    assert 4 * 178 * 13 + 3 * 178 == 9790 and 3 * 13 == 39
    assert round(16732 / 9829, 1) == 1.7
    assert mb.epoch_cost(178, 13, 1) == (178, 178, 16732)
    assert mb.epoch_cost(178, 13, 16) == (12, 178, 4 * 178 * 13 + 3 * 178 + 12 * 39)
    assert mb.epoch_cost(178, 13, 178) == (1, 178, 9829)


def test_the_notes_jiggle_does_not_converge_at_a_constant_rate():
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


def test_the_tutorials_mini_batch_vs_full_batch():
    """"More stable convergence than full-batch" does not hold: full batch has no noise. What
    mini-batches buy is more progress per epoch."""
    mini, full = mb.wine_run(16, 0.03), mb.wine_run(178, 0.03)
    assert full.noise < 1e-12 < mini.noise
    assert mini.final_loss < full.final_loss
    sgd = mb.wine_run(1, 0.03)
    assert mini.noise < sgd.noise and mini.updates < sgd.updates


def test_in_file_order_the_loss_peaks_at_the_same_place_every_epoch_where_the_cultivar_changes():
    """'In file order the loss jumps at the same place in every epoch, when the batches switch
    cultivar' (batch size 16, lr 0.1): every epoch's highest loss on all wines comes right after
    its first update, the step where the batches switch from the last cultivar back to the first;
    shuffled, the highest point moves around."""
    run = mb.wine_run(16, 0.1, False)
    k = run.iterations_per_epoch
    per_epoch = run.full_loss[1:].reshape(-1, k)
    assert np.all(np.argmax(per_epoch, axis=1) == 0)
    _, _, cultivar = mb.wine_regression()
    batches = mb.unshuffled_batches(cultivar, 16)
    assert set(batches[-1]) == {2} and set(batches[0]) == {0}
    shuffled = mb.wine_run(16, 0.1, True).full_loss[1:].reshape(-1, k)
    assert len(set(np.argmax(shuffled, axis=1).tolist())) > 2
