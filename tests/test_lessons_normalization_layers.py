"""Lesson 10's experiments: compute against PyTorch and hand-worked values; widgets redraw."""
import math

import numpy as np
import pytest
import torch

from nnlesson.course.lessons import normalization_layers as nl
from nnlesson.norm import BatchNorm

# --------------------------------------------------------------------------- training runs


@pytest.mark.parametrize("batch_size", [2, 64])
def test_train_run_takes_the_same_number_of_updates_whatever_the_batch_size(batch_size):
    run = nl.train_run(True, 0.1, batch_size, updates=7)
    assert run.loss.shape == (7,) and np.all(np.isfinite(run.loss))
    assert not run.diverged and 0.0 <= run.val_acc <= 1.0


def test_train_run_reports_a_divergence():
    run = nl.train_run(False, 10.0, 64, updates=30)
    assert run.diverged and math.isnan(run.val_acc)
    assert np.isnan(run.loss[-1]) and np.isfinite(run.loss[0])


def test_train_run_checks_its_arguments():
    with pytest.raises(ValueError, match="batch_size must be an integer >= 2"):
        nl.train_run(True, 0.1, 1)
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        nl.train_run(True, 0.0, 8)
    with pytest.raises(TypeError, match="batch_norm must be True or False"):
        nl.train_run("yes", 0.1, 8)


def test_the_grid_holds_every_setting_and_is_shared():
    grid = nl.batchnorm_training_grid()
    assert len(grid) == 2 * len(nl.BN_BATCH_SIZES) * len(nl.BN_LRS)
    again = nl.batchnorm_training_grid(list(nl.BN_BATCH_SIZES), list(nl.BN_LRS))
    assert all(again[k] is grid[k] for k in grid)  # computed once


def test_train_run_is_cached_and_read_only():
    a = nl.train_run(True, 0.1, 8, updates=3)
    assert nl.train_run(True, 0.1, 8, updates=3) is a
    assert not a.loss.flags.writeable


# --------------------------------------------------------------------------- the speed-up summary


def _speedup(acc, lrs=(0.1, 1.0), target=0.9):
    acc = np.asarray(acc, dtype=float)
    reached = np.nan_to_num(acc, nan=0.0) >= target
    first = np.where(reached.any(axis=-1), reached.argmax(axis=-1) + 1.0, np.inf)
    return nl.Speedup(lrs=lrs, seeds=(0, 1), epochs=acc.shape[-1], target=target, batch_size=8,
                      val_acc=acc, epochs_to_target=first)


def test_speedup_summary_hand_worked():
    # [batch norm][lr][seed][epoch]
    acc = [[[[0.5, 0.8, 0.95], [0.5, 0.91, 0.95]],      # no BN, lr 0.1: epochs 3 and 2
            [[0.92, 0.95, 0.96], [0.5, 0.6, 0.7]]],      # no BN, lr 1: 1 and never
           [[[0.8, 0.9, 0.9], [0.9, 0.9, 0.9]],          # BN, lr 0.1: 2 and 1
            [[0.95, 0.95, 0.96], [0.91, 0.97, 0.98]]]]   # BN, lr 1: 1 and 1
    s = _speedup(acc)
    np.testing.assert_array_equal(s.mean_epochs(False), [2.5, np.inf])
    np.testing.assert_array_equal(s.mean_epochs(True), [1.5, 1.0])
    assert s.best(False) == (2.5, 0.1) and s.best(True) == (1.0, 1.0)
    assert s.ratio == 2.5
    assert s.largest_lr_that_trains(False) == 0.1 and s.largest_lr_that_trains(True) == 1.0
    assert s.final_accuracy(True) == pytest.approx((0.96 + 0.98) / 2)
    table = s.table().splitlines()
    assert table[1].split()[-2:] == ["2.5", "never"] and table[2].split()[-2:] == ["1.5", "1.0"]


def test_batchnorm_speedup_runs_on_a_small_budget():
    s = nl.batchnorm_speedup(lrs=(1.0,), seeds=(0,), epochs=2, target=0.5)
    assert s.val_acc.shape == (2, 1, 1, 2) and s.epochs_to_target.shape == (2, 1, 1)
    assert np.all(s.epochs_to_target == 1)  # both pass 50 % after one epoch
    with pytest.raises(ValueError, match="target must be a finite number in"):
        nl.batchnorm_speedup(target=1.5)


# --------------------------------------------------------------------------- batch dependence


def test_features_have_different_means_and_scales():
    X = nl.make_features(n=5000)
    assert X.shape == (5000, nl.N_FEATURES)
    assert np.ptp(X.std(axis=0)) > 1.0 and np.ptp(X.mean(axis=0)) > 1.0


@pytest.mark.parametrize("layer", ["layer norm", "group norm"])
@pytest.mark.parametrize("eval_mode", [False, True])
def test_layer_and_group_norm_do_not_depend_on_the_batch(layer, eval_mode):
    res = nl.batch_dependence(layer, eval_mode, batch_size=3)
    assert res.spread < 1e-12 and res.running_mean is None
    np.testing.assert_allclose(res.outputs, np.tile(res.reference, (20, 1)), atol=1e-12)


def test_layer_norm_reference_matches_pytorch():
    res = nl.batch_dependence("layer norm")
    x0 = torch.tensor(nl.make_features()[0:1])
    ref = torch.nn.functional.layer_norm(x0, (nl.N_FEATURES,), eps=1e-5)
    np.testing.assert_allclose(res.reference, ref.numpy()[0], rtol=1e-10)
    gres = nl.batch_dependence("group norm")
    gref = torch.nn.functional.group_norm(x0, nl.N_GROUPS, eps=1e-5)
    np.testing.assert_allclose(gres.reference, gref.numpy()[0], rtol=1e-10)


def test_batch_norm_in_a_batch_of_two_outputs_plus_or_minus_one():
    """Two samples a, b: a's output is (d / 2) / sqrt(d^2 / 4 + eps), d = a - b: about +-1."""
    res = nl.batch_dependence("batch norm", False, batch_size=2)
    assert np.all(np.abs(res.outputs) < 1) and np.median(np.abs(res.outputs)) > 0.999
    assert res.spread > 1.9  # both signs occur for every feature


def test_batch_norm_train_mode_spread_shrinks_with_the_batch_and_eval_has_none():
    spreads = [nl.batch_dependence("batch norm", False, batch_size=b).spread for b in (4, 16, 64)]
    assert spreads[0] > spreads[1] > spreads[2] > 0
    assert nl.batch_dependence("batch norm", True, batch_size=4).spread == 0.0


def test_eval_mode_uses_the_running_statistics_hand_worked():
    # no training batch seen: running statistics (0, 1), so out = x0 / sqrt(1 + eps)
    res = nl.batch_dependence("batch norm", True, batch_size=8, batches_seen=0)
    x0 = nl.make_features()[0]
    np.testing.assert_allclose(res.outputs[0], x0 / math.sqrt(1 + 1e-5))
    np.testing.assert_array_equal(res.running_mean, 0.0)
    # momentum 1: the running statistics are those of the last training batch alone
    res = nl.batch_dependence("batch norm", True, batch_size=8, momentum=1.0, batches_seen=3)
    assert np.all(res.running_mean != 0) and np.all(res.running_var != 1)


def test_batch_norm_running_statistics_match_pytorch():
    """The warm-up batches through torch.nn.BatchNorm1d give the same running statistics."""
    data = nl.make_features()
    pool = data[1:]
    warm = np.random.default_rng(0 + 2)
    batches = [pool[warm.choice(len(pool), 8, replace=False)] for _ in range(5)]
    bn = torch.nn.BatchNorm1d(nl.N_FEATURES, momentum=0.3, dtype=torch.float64)
    for b in batches:
        bn(torch.tensor(b))
    res = nl.batch_dependence("batch norm", True, batch_size=8, momentum=0.3, batches_seen=5)
    np.testing.assert_allclose(res.running_mean, bn.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(res.running_var, bn.running_var.numpy(), rtol=1e-12)


def test_batch_dependence_checks_its_arguments():
    with pytest.raises(ValueError, match="layer must be one of"):
        nl.batch_dependence("instance norm")
    with pytest.raises(ValueError, match="batch_size must be an integer >= 2"):
        nl.batch_dependence(batch_size=1)
    with pytest.raises(ValueError, match="momentum must be a finite number in"):
        nl.batch_dependence(momentum=1.5)


def test_batchnorm_layer_refuses_a_batch_of_one_in_training_mode():
    bn = BatchNorm(3)
    with pytest.raises(ValueError, match="needs more than 1 sample"):
        bn.forward(np.ones((1, 3)))
    bn.eval()
    assert bn.forward(np.ones((1, 3))).shape == (1, 3)


# --------------------------------------------------------------------------- figures and widgets


def test_snapshots_and_figures_are_labelled_readable_and_described():
    from nnlesson.viz.plotting import alt_text, smallest_text_px

    s = nl.batchnorm_speedup(lrs=(1.0,), seeds=(0,), epochs=2, target=0.5)
    for fig in (nl.snapshot_batchnorm_training(8, 0.1), nl.snapshot_train_vs_eval(eval_mode=True),
                nl.figure_batchnorm_speedup(s)):
        assert alt_text(fig) and smallest_text_px(fig) >= 14
        for ax in fig.axes:
            assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    fig = nl.figure_norm_axes()
    assert [ax.get_title().split(":")[0] for ax in fig.axes] == ["batch norm", "layer norm",
                                                                 "group norm"]
    assert "one colour share one mean" in alt_text(fig)


def test_training_widget_redraws_on_both_sliders():
    demo = nl.explore_batchnorm_training()
    count, image = demo.update_count, demo.image.value
    demo.set(batch_size=8)
    assert demo.update_count == count + 1 and demo.image.value != image
    image = demo.image.value
    demo.set(lr=3.0)
    assert demo.update_count == count + 2 and demo.image.value != image


def test_training_explorer_shows_the_grid_runs():
    ex = nl.BatchNormExplorer()
    ex.snapshot(batch_size=64, lr=3.0)
    run = nl.batchnorm_training_grid()[(True, 64, 3.0)]
    from nnlesson.viz.plotting import trailing_mean
    np.testing.assert_allclose(ex.curves.lines[True].get_ydata(),
                               np.clip(trailing_mean(run.loss), 0, 4.0 * 0.9999))
    assert f"with batch norm {100 * run.val_acc:.0f} %" in ex.summary
    with pytest.raises(ValueError, match="batch_size"):
        nl.BatchNormExplorer().snapshot(batch_size=5)


def test_train_eval_widget_redraws_on_every_control_and_hides_what_does_not_apply():
    demo = nl.explore_train_vs_eval()
    assert demo.controls["momentum"].layout.display == "none"  # train mode: no running stats
    count, image = demo.update_count, demo.image.value
    for name, value in (("eval_mode", True), ("batches_seen", 5), ("momentum", 0.3),
                        ("batch_size", 32), ("eval_mode", False), ("layer", "layer norm")):
        demo.set(**{name: value})
        assert demo.update_count == count + 1
        assert demo.image.value != image, name
        count, image = demo.update_count, demo.image.value
    assert demo.controls["eval_mode"].layout.display == "none"  # layer norm has no mode


def test_grid_table_has_a_row_per_batch_size_and_mode_and_marks_divergence():
    runs = {(bn, bs, lr): nl.TrainRun(loss=np.zeros(3), val_acc=0.5 + 0.1 * bn, diverged=lr > 1)
            for bn in (False, True) for bs in (2, 8) for lr in (0.1, 3.0)}
    lines = nl.batchnorm_grid_table(runs, batch_sizes=(8,)).splitlines()
    assert lines[0].split()[-2:] == ["0.1", "3"]
    assert lines[1].startswith("batch  8, without BN") and lines[1].split()[-2:] == ["0.50", "div."]
    assert lines[2].startswith("batch  8, with BN") and lines[2].split()[-2:] == ["0.60", "div."]
    assert len(lines) == 3  # batch 2 left out


# --------------------------------------------------------------------------- where batch norm goes


def test_channel_batchnorm_is_pytorchs_batchnorm2d_in_training_mode():
    import torch

    rng = np.random.default_rng(4)
    x = rng.normal(2.0, 3.0, size=(5, 3, 4, 6))
    gamma, beta = rng.uniform(0.5, 2, 3), rng.normal(0, 1, 3)
    out, mu, var = nl.channel_batchnorm(x, gamma, beta, eps=1e-3)
    bn = torch.nn.BatchNorm2d(3, eps=1e-3, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma))
        bn.bias.copy_(torch.tensor(beta))
    expected = bn.train()(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mu, x.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(var, x.var(axis=(0, 2, 3)))
    with pytest.raises(ValueError, match="x must"):
        nl.channel_batchnorm(x[0], gamma, beta)


def test_bn_network_puts_batch_norm_before_or_after_the_relu():
    from nnlesson.layers import Linear, ReLU
    from nnlesson.norm import BatchNorm

    before = [type(m) for m in nl.bn_network("before")]
    after = [type(m) for m in nl.bn_network("after")]
    assert before[:3] == [Linear, BatchNorm, ReLU] and after[:3] == [Linear, ReLU, BatchNorm]
    assert nl.bn_network("before")[0].b is None and nl.bn_network("after")[0].b is not None
    with pytest.raises(ValueError, match="place must be one of"):
        nl.bn_network("inside")


def test_placement_comparison_holds_every_run():
    runs = nl.placement_comparison(lrs=(0.3,), seeds=(0,), epochs=1)
    assert set(runs) == {("before", 0.3, 0), ("after", 0.3, 0)}
    assert all(0.1 < acc <= 1 for acc in runs.values())


# --------------------------------------------------------------------------- starting weights


def test_start_run_uses_the_starts_scale_and_is_cached():
    a = nl.start_run("small", True, epochs=1)
    assert nl.start_run("small", True, epochs=1) == a
    net = nl.sensitivity._network("large", False, 0)
    assert net[0].W.value.std() == pytest.approx(1.0, rel=0.05)  # redrawn with std 1
    with pytest.raises(ValueError, match="start must be one of"):
        nl.start_run("glorot", True)


def test_sensitivity_means_leave_out_diverged_seeds():
    acc = np.array([[[0.5, np.nan, 0.7]], [[np.nan, np.nan, np.nan]]])
    s = nl.Sensitivity(starts=("he_uniform",), seeds=(0, 1, 2), lr=0.1, accuracy=acc)
    assert s.mean(False, "he_uniform") == (pytest.approx(0.6), 1)
    mean, diverged = s.mean(True, "he_uniform")
    assert np.isnan(mean) and diverged == 3
    assert "diverged" in s.table().splitlines()[1] and "(1 div.)" in s.table()


def test_scaling_weights_before_batch_norm_changes_the_gradient_not_the_output():
    change, shrink = nl.scale_invariance(scale=4.0)
    assert change < 1e-3
    assert shrink == pytest.approx(0.25, rel=1e-3)
