"""Lesson 11's experiments: the data, regularized training against PyTorch, early stopping
against fit, the helpers, and the three widgets."""
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from nnlesson.course.lessons import regularization as R
from nnlesson.course.lessons.regularization._panels import LOSS_TOP
from nnlesson.optim import SGD
from nnlesson.train import EarlyStopping, fit, mlp
from nnlesson.viz import plotting

# --------------------------------------------------------------------------- data


def test_overfit_data_shapes_noise_and_scaling():
    X, X_val, y, y_val, noisy = R.overfit_data()
    assert X.shape == (R.N_TRAIN, 64) and X_val.shape == (360, 64)
    assert y.shape == (R.N_TRAIN,) and noisy.shape == (R.N_TRAIN,)
    assert 0.15 < noisy.mean() < 0.25
    assert np.all(np.bincount(y_val, minlength=10) >= 30)  # stratified, every class present
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)  # training statistics
    X[0, 0] = 99.0  # fresh copies: the cache is not touched
    assert R.overfit_data()[0][0, 0] != 99.0


# --------------------------------------------------------------------------- training vs PyTorch


def _torch_run(kind, lam, lr, epochs):
    """The same network, start, data and full-batch steps in PyTorch (float64)."""
    X, X_val, y, y_val, _ = R.overfit_data()
    init = mlp([64, R.HIDDEN, 10], rng=0)
    W1, b1 = init[0].W.value, init[0].b.value
    W2, b2 = init[2].W.value, init[2].b.value
    params = [torch.tensor(a, requires_grad=True) for a in (W1, b1, W2, b2)]
    opt = torch.optim.SGD(params, lr=lr, momentum=R.MOMENTUM)
    Xt, Xv = torch.tensor(X), torch.tensor(X_val)
    yt, yv = torch.tensor(y), torch.tensor(y_val)

    def forward(x):
        return torch.relu(x @ params[0] + params[1]) @ params[2] + params[3]

    val = []
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(forward(Xt), yt)
        weights = (params[0], params[2])  # the penalty skips the biases
        if kind == "l2":
            loss = loss + lam / 2 * sum((w**2).sum() for w in weights)
        else:
            loss = loss + lam * sum(w.abs().sum() for w in weights)
        loss.backward()
        opt.step()
        with torch.no_grad():
            val.append(torch.nn.functional.cross_entropy(forward(Xv), yv).item())
    return np.array(val), params[0].detach().numpy()


@pytest.mark.parametrize("kind, lam", [("l2", 0.03), ("l1", 0.003), ("l2", 0.0)])
def test_train_regularized_matches_pytorch(kind, lam):
    run = R.train_regularized(kind, lam, lr=0.1, epochs=8)
    val, W1 = _torch_run(kind, lam, 0.1, 8)
    np.testing.assert_allclose(run.val_loss, val, rtol=1e-9)
    np.testing.assert_allclose(run.W1, W1, rtol=1e-8, atol=1e-12)
    assert len(run.train_loss) == len(run.val_acc) == 8


def test_runs_are_cached_and_read_only():
    a = R.train_regularized("l2", 0.01, lr=0.1, epochs=3)
    assert R.train_regularized("l2", 0.01, lr=0.1, epochs=3) is a
    assert R.train_regularized("l1", 0.0, lr=0.1, epochs=3) is R.train_regularized(lr=0.1,
                                                                                 epochs=3)
    with pytest.raises(ValueError):
        a.val_loss[0] = 0.0


def test_dropconnect_model_starts_from_the_same_weights_as_mlp():
    net = R.data._model(0.5, "DropConnect", 0)
    ref = mlp([64, R.HIDDEN, 10], rng=0)
    np.testing.assert_array_equal(net[0].W.value, ref[0].W.value)
    np.testing.assert_array_equal(net[2].W.value, ref[2].W.value)
    assert type(net[2]).__name__ == "DropConnect" and net[2].p == 0.5


def test_dropout_runs_differ_from_the_plain_run_and_measure_in_eval_mode():
    plain = R.train_regularized(lr=0.1, epochs=3)
    for method in R.METHODS:
        run = R.train_regularized(dropout=0.5, method=method, lr=0.1, epochs=3)
        assert not np.allclose(run.val_loss, plain.val_loss)
        assert np.all(np.isfinite(run.train_loss))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"kind": "l3"}, ValueError, "kind must be one of"),
    ({"lam": -1.0}, ValueError, "lam must be"),
    ({"dropout": 1.0}, ValueError, "dropout must be"),
    ({"method": "dropblock"}, ValueError, "method must be one of"),
    ({"lr": 0.0}, ValueError, "lr must be"),
    ({"epochs": 0}, ValueError, "epochs must be"),
    ({"seed": -1}, ValueError, "seed must be"),
])
def test_train_regularized_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        R.train_regularized(**kwargs)


def test_sweeps_hold_the_grid():
    sweep = R.lambda_sweep("l1", 0.1)
    assert list(sweep) == [0.0, *R.LAMBDAS]
    assert sweep[0.0] is R.train_regularized(lr=0.1)
    drop = R.dropout_sweep("dropout", 0.1)
    assert list(drop) == list(R.DROP_RATES) and drop[0.0] is sweep[0.0]
    with pytest.raises(ValueError, match="kind must be one of"):
        R.lambda_sweep("elastic")
    with pytest.raises(ValueError, match="method must be one of"):
        R.dropout_sweep("zoneout")


# --------------------------------------------------------------------------- helpers


def _fake(val_end):
    z = np.zeros(2)
    return R.RegRun(train_loss=z, val_loss=np.array([1.0, val_end]), train_acc=z, val_acc=z,
                    W1=np.zeros((64, 2)))


def test_choose_lambda_takes_the_lowest_final_validation_loss():
    runs = {0.0: _fake(0.9), 0.01: _fake(0.5), 0.1: _fake(0.7)}
    assert R.choose_lambda(runs) == (0.01, 0.5)
    with pytest.raises(ValueError, match="runs must hold"):
        R.choose_lambda({})


def test_near_zero_fraction_and_pixel_usage_by_hand():
    W = np.array([[0.0, 0.005], [-0.009, 0.5]])
    assert R.near_zero_fraction(W) == 0.75
    assert R.near_zero_fraction(W, threshold=1e-3) == 0.25
    W1 = np.zeros((64, 2))
    W1[8 * 2 + 5] = [0.2, -0.4]  # pixel (2, 5)
    usage = R.pixel_usage(W1)
    assert usage.shape == (8, 8) and usage[2, 5] == pytest.approx(0.3)
    assert usage.sum() == pytest.approx(0.3)
    with pytest.raises(ValueError, match="threshold must be"):
        R.near_zero_fraction(W, threshold=0)
    with pytest.raises(ValueError, match="W must hold"):
        R.near_zero_fraction(np.zeros(0))
    with pytest.raises(ValueError, match="W1 must have 64 rows"):
        R.pixel_usage(np.zeros((10, 3)))


# --------------------------------------------------------------------------- early stopping


@pytest.mark.parametrize("losses, patience, expected", [
    ([5, 4, 3, 3.5, 3.2, 3.1, 3.3], 3, (2, 5)),  # 3 epochs after the best: stop after epoch 5
    ([5, 4, 3, 3.5, 2.9, 3.0, 3.1], 2, (4, 6)),  # a new best resets the counter
    ([5, 4, 3, 2, 1], 1, (4, 4)),                # never stops: the last epoch
    ([2, 2, 2], 2, (0, 2)),                      # a tie is not an improvement
    ([1.0], 5, (0, 0)),
])
def test_early_stopping_point_by_hand(losses, patience, expected):
    assert R.early_stopping_point(losses, patience) == expected


@pytest.mark.parametrize("patience, lr", [(3, 0.1), (10, 0.1), (5, 0.3), (40, 0.03)])
def test_early_stopping_point_replays_fit(patience, lr):
    X, X_val, y, y_val, _ = R.overfit_data()
    model = mlp([64, R.HIDDEN, 10], rng=0)
    h = fit(model, X, y, optimizer=SGD(model.parameters(), lr=lr, momentum=R.MOMENTUM),
            epochs=R.EPOCHS, batch_size=len(X), X_val=X_val, y_val=y_val,
            early_stopping=EarlyStopping(patience))
    best, stop = R.early_stopping_point(R.train_regularized(lr=lr).val_loss, patience)
    assert (h.best_epoch, h.epochs_run - 1) == (best, stop)
    assert h.stopped_early == (stop < R.EPOCHS - 1)


def test_early_stopping_point_rejects_bad_arguments():
    with pytest.raises(ValueError, match="patience must be"):
        R.early_stopping_point([1.0, 2.0], 0)
    with pytest.raises(ValueError, match="val_losses must have"):
        R.early_stopping_point([], 1)


# --------------------------------------------------------------------------- dropout scaling


def test_dropout_expectation():
    x = np.array([1.0, 2.0, 0.0, 4.0])
    mean, out, kept = R.dropout_expectation(0.5, x=x, n_masks=4000)
    np.testing.assert_array_equal(out, x)  # evaluation mode is the identity
    np.testing.assert_allclose(mean, x, rtol=0.06, atol=1e-12)
    assert abs(kept - 0.5) < 0.02
    mean, out, kept = R.dropout_expectation(0.0, x=x, n_masks=3)
    np.testing.assert_array_equal(mean, x)
    assert kept == 1.0
    with pytest.raises(ValueError, match="p must be"):
        R.dropout_expectation(1.0)
    with pytest.raises(ValueError, match="n_masks must be"):
        R.dropout_expectation(0.5, n_masks=0)


def test_figure_dropout_scaling():
    fig = R.figure_dropout_scaling(rates=(0.2, 0.6), n_masks=50)
    inverted, unscaled = (line.get_ydata() for line in fig.axes[0].get_lines()[:2])
    np.testing.assert_allclose(unscaled, (1 - np.array([0.2, 0.6])) * inverted)


# --------------------------------------------------------------------------- coupled vs decoupled


def _torch_decay(optim_cls, lam, lr, n_steps, seed=0, **kw):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(50, 2)) * np.array([1.0, 0.01])
    y = X @ np.array([1.0, 100.0]) + 0.1 * rng.normal(size=50)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    w = torch.tensor([0.5, 0.5], dtype=torch.float64, requires_grad=True)
    opt = optim_cls([w], lr=lr, weight_decay=lam, **kw)
    for _ in range(n_steps):
        opt.zero_grad()
        (((Xt @ w - yt) ** 2).mean() / 2).backward()
        opt.step()
    return w.detach().numpy()


def test_decay_comparison_matches_pytorch():
    out = R.decay_comparison(lam=0.1, lr=0.01, n_steps=200)
    np.testing.assert_allclose(out["SGD + L2"], _torch_decay(torch.optim.SGD, 0.1, 0.01, 200),
                               rtol=1e-10)
    np.testing.assert_allclose(out["Adam + L2"], _torch_decay(torch.optim.Adam, 0.1, 0.01, 200),
                               rtol=1e-10)
    np.testing.assert_allclose(out["AdamW"], _torch_decay(torch.optim.AdamW, 0.1, 0.01, 200),
                               rtol=1e-10)
    with pytest.raises(ValueError, match="lr must be"):
        R.decay_comparison(lr=0)


# --------------------------------------------------------------------------- figures and widgets


def test_penalty_explorer_draws_the_run_of_its_setting():
    explorer = R.PenaltyExplorer()
    fig = explorer.snapshot(kind="l1", lam=0.003, lr=0.1)
    run, base = R.train_regularized("l1", 0.003, lr=0.1), R.train_regularized(lr=0.1)
    np.testing.assert_allclose(explorer.curves.lines["val"].get_ydata(),
                               np.minimum(run.val_loss, LOSS_TOP * 0.9999))
    np.testing.assert_allclose(explorer.curves.lines["base_train"].get_ydata(),
                               np.minimum(base.train_loss, LOSS_TOP * 0.9999))
    np.testing.assert_allclose(explorer.image.get_array(), R.pixel_usage(run.W1))
    assert list(explorer.ring.get_xdata()) == [0.003]
    assert explorer.summary.startswith("L1 at λ = 0.003, lr 0.1: validation accuracy 80 %")
    assert "λ = 0: 76 %" in explorer.summary
    assert "Settings: penalty = L1 (sparsity), λ (strength) = 0.003" in plotting.alt_text(fig)


def test_moving_lambda_only_redraws_and_the_sweep_is_cached_per_kind_and_rate():
    explorer = R.PenaltyExplorer()
    explorer.snapshot(kind="l2", lam=0.01, lr=0.1)
    assert explorer.cached(explorer.check(kind="l2", lam=0.3, lr=0.1))
    assert not explorer.cached(explorer.check(kind="l1", lam=0.01, lr=0.1))
    assert explorer.precompute == ("lr", "kind")


def test_values_off_the_ladders_are_refused_with_the_nearest_ones():
    with pytest.raises(ValueError, match=r"lam \(λ \(strength\)\) must be one of the "
                                         r"slider's values.*nearest are 0.003 or 0.01"):
        R.PenaltyExplorer().check(lam=0.004)
    with pytest.raises(ValueError, match=r"p \(drop probability p\).*nearest are 0.4 or 0.5"):
        R.DropoutExplorer().check(p=0.44)
    with pytest.raises(ValueError, match=r"lr \(learning rate\).*nearest are 0.1 or 0.2"):
        R.EarlyStoppingExplorer().check(lr=0.12)


def test_dropout_explorer_says_how_the_run_ended():
    explorer = R.DropoutExplorer()
    explorer.snapshot(p=0.4, lr=0.1, method="DropConnect")
    run = R.train_regularized(dropout=0.4, method="DropConnect", lr=0.1)
    np.testing.assert_allclose(explorer.curves.lines["train"].get_ydata(),
                               np.minimum(run.train_loss, LOSS_TOP * 0.9999))
    assert explorer.summary.startswith(f"DropConnect at p = 0.4, lr 0.1: validation loss "
                                       f"{run.val_loss[-1]:.2f}")


def test_early_stopping_explorer_marks_best_and_stop():
    explorer = R.EarlyStoppingExplorer()
    explorer.snapshot(patience=10, lr=0.1)
    best, stop = R.early_stopping_point(R.train_regularized(lr=0.1).val_loss, 10)
    assert stop == best + 10
    assert list(explorer.stop.get_xdata()) == [stop + 1] * 2
    assert list(explorer.best.get_xdata()) == [best + 1]
    assert f"stops after epoch {stop + 1} of {R.EPOCHS}" in explorer.summary
    fig = R.EarlyStoppingExplorer().snapshot(patience=30, lr=0.03)  # best 27 + 30 = 57
    assert "patience 30, lr 0.03: stops after epoch 57 of 60; restored (epoch 27)" in \
        plotting.alt_text(fig)


def test_widgets_redraw_on_every_control():
    for explore, moves in [
        (R.explore_penalty, [("lam", 0.01), ("kind", "l1"), ("lr", 0.3)]),
        (R.explore_dropout, [("p", 0.2), ("method", "DropConnect"), ("lr", 0.03)]),
        (R.explore_early_stopping, [("patience", 4), ("lr", 0.3)]),
    ]:
        demo = explore()
        assert demo.update_count == 1
        for name, value in moves:
            count, png = demo.update_count, bytes(demo.image.value)
            demo.set(**{name: value})
            assert demo.update_count == count + 1
            assert bytes(demo.image.value) != png, (explore.__name__, name)


def test_snapshots_are_figures_with_alt_text():
    for fig, axes in [(R.snapshot_penalty(), 5), (R.snapshot_dropout(), 2),
                      (R.snapshot_early_stopping(), 1), (R.figure_dropout_scaling(n_masks=10), 1)]:
        assert isinstance(fig, Figure) and len(fig.axes) == axes
        assert len(plotting.alt_text(fig)) > 80


def test_patience_outcomes_replay_the_rule_on_the_run():
    run = R.train_regularized(lr=0.05)
    (outcome,) = R.patience_outcomes((4,), lr=0.05)
    best, stop = R.early_stopping_point(run.val_loss, 4)
    assert (outcome.best_epoch, outcome.stop_epoch, outcome.epochs_trained) == (best, stop, stop + 1)
    assert outcome.restored_loss == run.val_loss[best] and outcome.last_acc == run.val_acc[stop]
    with pytest.raises(ValueError, match="patience must be"):
        R.patience_outcomes((0,))


def test_the_sweep_explorers_precompute_their_whole_grid_nearest_first():
    for cls, here in ((R.PenaltyExplorer, {"kind": "l2", "lr": 0.1}),
                      (R.DropoutExplorer, {"method": "dropout", "lr": 0.1})):
        explorer = cls()
        values = explorer.check(**here)
        plan = explorer._plan(values)
        keys = {explorer._key(v) for v in plan}
        assert len(keys) == len(plan) == 2 * len(R.LRS) - 1  # every other sweep, once
        assert explorer._key(values) not in keys
        first = plan[0]
        assert sum(first[n] != values[n] for n in cls.precompute) == 1  # a neighbour first
