"""Tests of nnlesson.train: the loop's order of operations against PyTorch's standard loop,
early stopping, divergence, history bookkeeping, evaluate, mlp and bad inputs."""
import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

from nnlesson.core import Module
from nnlesson.data import make_spirals
from nnlesson.layers import Dropout, Linear, ReLU, Sequential, Sigmoid, Tanh
from nnlesson.norm import BatchNorm
from nnlesson.optim import SGD, Adam
from nnlesson.schedules import CosineAnnealing, OneCycle, ReduceLROnPlateau, StepDecay
from nnlesson.clip import Clipping
from nnlesson.train import (
    DivergenceWarning,
    EarlyStopping,
    Penalty,
    History,
    TrainingDiverged,
    evaluate,
    fit,
    load_model_state,
    mlp,
    model_state,
)

RTOL = 1e-9


# --------------------------------------------------------------------------- PyTorch twin


def torch_twin(model):
    """A torch.nn.Sequential with the same layers and the same current state (float64)."""
    layers = []
    for layer in model:
        if isinstance(layer, Linear):
            t = torch.nn.Linear(layer.n_in, layer.n_out, bias=layer.b is not None, dtype=torch.float64)
            with torch.no_grad():
                t.weight.copy_(torch.from_numpy(layer.W.value.T.copy()))  # ours is (in, out)
                if layer.b is not None:
                    t.bias.copy_(torch.from_numpy(layer.b.value))
        elif isinstance(layer, BatchNorm):
            t = torch.nn.BatchNorm1d(layer.n_features, momentum=layer.momentum, eps=layer.eps,
                                     dtype=torch.float64)
            with torch.no_grad():
                t.weight.copy_(torch.from_numpy(layer.gamma.value))
                t.bias.copy_(torch.from_numpy(layer.beta.value))
                t.running_mean.copy_(torch.from_numpy(layer.running_mean))
                t.running_var.copy_(torch.from_numpy(layer.running_var))
        elif isinstance(layer, Dropout):
            t = torch.nn.Dropout(layer.p)  # compared in eval mode only, where both are identities
        elif isinstance(layer, ReLU):
            t = torch.nn.ReLU()
        elif isinstance(layer, Tanh):
            t = torch.nn.Tanh()
        elif isinstance(layer, Sigmoid):
            t = torch.nn.Sigmoid()
        else:  # pragma: no cover - the tests only build the layers above
            raise TypeError(layer)
        layers.append(t)
    return torch.nn.Sequential(*layers)


def assert_same_weights(model, net):
    for layer, t in zip(model, net):
        if isinstance(layer, Linear):
            np.testing.assert_allclose(layer.W.value, t.weight.detach().numpy().T, rtol=RTOL, atol=1e-12)
            if layer.b is not None:
                np.testing.assert_allclose(layer.b.value, t.bias.detach().numpy(), rtol=RTOL, atol=1e-12)
        if isinstance(layer, BatchNorm):
            np.testing.assert_allclose(layer.gamma.value, t.weight.detach().numpy(), rtol=RTOL)
            np.testing.assert_allclose(layer.beta.value, t.bias.detach().numpy(), rtol=RTOL, atol=1e-12)
            np.testing.assert_allclose(layer.running_mean, t.running_mean.numpy(), rtol=RTOL, atol=1e-12)
            np.testing.assert_allclose(layer.running_var, t.running_var.numpy(), rtol=RTOL)


def torch_standard_loop(net, X, y, *, loss, make_optimizer, make_scheduler=None, plateau=None,
                        epochs, batch_size, clip_norm=None, clip_value=None, l1=0.0, l2=0.0,
                        X_val=None, y_val=None):
    """The textbook PyTorch loop, in order, batches in row order (no shuffling).

    zero_grad, forward, loss (+ penalty written with autograd), backward, clip, step,
    scheduler.step(); after each epoch the validation loss in eval mode and plateau.step().
    """
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    loss_fn = {"cross_entropy": torch.nn.functional.cross_entropy,
               "mse": torch.nn.functional.mse_loss,
               "bce": torch.nn.functional.binary_cross_entropy_with_logits}[loss]
    opt = make_optimizer(net.parameters())
    sched = make_scheduler(opt) if make_scheduler else None
    plat = plateau(opt) if plateau else None
    weights = [m.weight for m in net if isinstance(m, torch.nn.Linear)]
    out = {"loss": [], "lr": [], "grad_norm": [], "train_loss": [], "val_loss": []}
    for _ in range(epochs):
        net.train()
        total = 0.0
        for start in range(0, len(X), batch_size):
            xb, yb = X[start:start + batch_size], y[start:start + batch_size]
            opt.zero_grad()
            data_loss = loss_fn(net(xb), yb)
            objective = data_loss
            if l1:
                objective = objective + l1 * sum(w.abs().sum() for w in weights)
            if l2:
                objective = objective + l2 / 2 * sum((w ** 2).sum() for w in weights)
            objective.backward()
            if clip_norm is not None:
                norm = torch.nn.utils.clip_grad_norm_(net.parameters(), clip_norm)
            else:
                norm = torch.linalg.vector_norm(
                    torch.stack([torch.linalg.vector_norm(p.grad) for p in net.parameters()]))
            if clip_value is not None:
                torch.nn.utils.clip_grad_value_(net.parameters(), clip_value)
            out["lr"].append(opt.param_groups[0]["lr"])
            opt.step()
            if sched is not None:
                sched.step()
            out["loss"].append(objective.item())
            out["grad_norm"].append(norm.item())
            total += data_loss.item() * len(xb)
        out["train_loss"].append(total / len(X))
        if X_val is not None:
            net.eval()
            with torch.no_grad():
                val = loss_fn(net(torch.from_numpy(X_val)), torch.from_numpy(y_val)).item()
            out["val_loss"].append(val)
            if plat is not None:
                plat.step(val)
    return out


def assert_history_matches(h, ref):
    for key in ("loss", "lr", "grad_norm", "train_loss", "val_loss"):
        assert len(getattr(h, key)) == len(ref[key]), key
        np.testing.assert_allclose(getattr(h, key), ref[key], rtol=RTOL, err_msg=key)


@pytest.fixture
def blobs():
    """60 training and 30 validation points, 3 classes, 4 features."""
    rng = np.random.default_rng(7)
    centers = rng.normal(scale=2.0, size=(3, 4))
    y = rng.integers(0, 3, size=90)
    X = centers[y] + rng.normal(size=(90, 4))
    return X[:60], y[:60], X[60:], y[60:]


def test_sgd_momentum_step_decay_clip_l2_equals_pytorch(blobs):
    X, y, _, _ = blobs
    model = mlp([4, 16, 16, 3], rng=0)
    net = torch_twin(model)
    kwargs = dict(epochs=6, batch_size=16)  # 60 = 16+16+16+12
    h = fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.2, momentum=0.9, nesterov=True),
            schedule=StepDecay(0.2, step_size=5, gamma=0.5), shuffle=False,
            clipping=Clipping(max_norm=0.5), penalty=Penalty(l2=1e-2), **kwargs)
    ref = torch_standard_loop(
        net, X, y, loss="cross_entropy",
        make_optimizer=lambda p: torch.optim.SGD(p, lr=0.2, momentum=0.9, nesterov=True),
        make_scheduler=lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=5, gamma=0.5),
        clip_norm=0.5, l2=1e-2, **kwargs)
    assert_history_matches(h, ref)
    assert_same_weights(model, net)
    # the clip was active for some updates and not for others: both branches were compared
    assert min(h.grad_norm) < 0.5 < max(h.grad_norm)


def test_adam_cosine_clip_batchnorm_l1_validation_equals_pytorch(blobs):
    X, y, X_val, y_val = blobs
    model = mlp([4, 12, 12, 3], batch_norm=True, rng=1)
    net = torch_twin(model)
    kwargs = dict(epochs=5, batch_size=16, X_val=X_val, y_val=y_val)
    h = fit(model, X, y, optimizer=Adam(model.parameters(), lr=0.02),
            schedule=CosineAnnealing(0.02, T_max=20), shuffle=False,
            clipping=Clipping(max_norm=1.0), penalty=Penalty(l1=1e-3), **kwargs)
    ref = torch_standard_loop(
        net, X, y, loss="cross_entropy",
        make_optimizer=lambda p: torch.optim.Adam(p, lr=0.02),
        make_scheduler=lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20),
        clip_norm=1.0, l1=1e-3, **kwargs)
    assert_history_matches(h, ref)
    assert_same_weights(model, net)  # BatchNorm running statistics included
    assert min(h.grad_norm) < 1.0 < max(h.grad_norm)


def test_clip_value_mse_tanh_reduce_on_plateau_equals_pytorch(blobs):
    X, _, X_val, _ = blobs
    rng = np.random.default_rng(3)
    w = rng.normal(size=(4, 2))
    y, y_val = np.sin(X @ w), np.sin(X_val @ w)
    model = mlp([4, 8, 2], activation="tanh", rng=2)
    net = torch_twin(model)
    kwargs = dict(epochs=8, batch_size=20, X_val=X_val, y_val=y_val)
    h = fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.3, momentum=0.5),
            schedule=ReduceLROnPlateau(0.3, factor=0.5, patience=0, threshold=0.05),
            shuffle=False, clipping=Clipping(clip_value=0.05), **kwargs)
    ref = torch_standard_loop(
        net, X, y, loss="mse",
        make_optimizer=lambda p: torch.optim.SGD(p, lr=0.3, momentum=0.5),
        plateau=lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=0,
                                                                     threshold=0.05),
        clip_value=0.05, **kwargs)
    assert_history_matches(h, ref)
    assert_same_weights(model, net)
    assert len(set(h.lr)) > 1  # the plateau rule did lower the rate
    assert h.train_acc == [] and h.val_acc == []  # no accuracy for a regression loss


def test_bce_one_output_matches_pytorch(blobs):
    X, y, _, _ = blobs
    target = (y == 0).astype(np.float64)  # (N,) targets become (N, 1) like the output
    model = mlp([4, 8, 1], rng=4)
    net = torch_twin(model)
    h = fit(model, X, target, loss="bce", optimizer=SGD(model.parameters(), lr=0.5),
            epochs=3, batch_size=30, shuffle=False)
    ref = torch_standard_loop(net, X, target[:, None], loss="bce",
                              make_optimizer=lambda p: torch.optim.SGD(p, lr=0.5),
                              epochs=3, batch_size=30)
    assert_history_matches(h, ref)
    with torch.no_grad():
        logits = net(torch.from_numpy(X)).numpy()[:, 0]
    loss, acc = evaluate(model, X, target, loss="bce")
    assert acc == pytest.approx(np.mean((logits > 0) == (target == 1)))
    assert 0 <= acc <= 1 and len(h.train_acc) == 3


# --------------------------------------------------------------------------- it learns


def test_loss_decreases_on_spirals():
    X, y = make_spirals(100, rng=0)
    model = mlp([2, 64, 64, 3], rng=0)
    h = fit(model, X, y, optimizer=Adam(model.parameters(), lr=0.01), epochs=40, batch_size=32, rng=0)
    assert h.train_loss[-1] < 0.25 * h.train_loss[0]
    _, acc = evaluate(model, X, y)
    assert acc > 0.9
    assert h.message == "Trained 40 epochs (400 updates)."


def test_same_seed_same_run_and_shuffling_changes_the_run():
    X, y = make_spirals(30, rng=1)

    def run(seed, shuffle=True):
        model = mlp([2, 8, 3], rng=0)
        return fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=2,
                   batch_size=10, rng=seed, shuffle=shuffle).loss

    assert run(5) == run(5)
    assert run(5) != run(6)
    assert run(5) != run(5, shuffle=False)


@pytest.mark.parametrize("n, batch_size, drop_last, per_epoch", [
    (50, 16, False, 4),   # 16 + 16 + 16 + 2
    (50, 16, True, 3),
    (48, 16, False, 3),
    (50, 50, False, 1),   # batch gradient descent
    (50, 64, False, 1),   # a batch larger than the data: one batch of everything
    (7, 1, False, 7),     # stochastic gradient descent
])
def test_history_lengths(n, batch_size, drop_last, per_epoch):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(n, 3)), rng.integers(0, 2, size=n)
    model = mlp([3, 4, 2], rng=0)
    h = fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.01), epochs=3,
            batch_size=batch_size, drop_last=drop_last, rng=0)
    assert h.iterations_per_epoch == per_epoch
    assert len(h.loss) == len(h.lr) == len(h.grad_norm) == 3 * per_epoch
    assert len(h.train_loss) == len(h.train_acc) == h.epochs_run == 3
    assert h.val_loss == [] and h.best_epoch is None and not h.stopped_early
    d = h.as_dict()
    assert d["loss"] == h.loss and d["diverged_at"] is None


def test_schedule_sets_the_rate_of_each_update_from_t_zero():
    X, y = make_spirals(10, rng=0)
    model = mlp([2, 4, 3], rng=0)
    opt = SGD(model.parameters(), lr=1.0)
    h = fit(model, X, y, optimizer=opt, epochs=3, batch_size=7, schedule=lambda t: 0.1 / (t + 1))
    assert h.lr == pytest.approx([0.1 / (t + 1) for t in range(15)], rel=1e-15)
    assert opt.lr == pytest.approx(0.1 / 15)


def test_eval_train_measures_the_training_set_in_eval_mode():
    X, y = make_spirals(20, rng=0)
    model = mlp([2, 16, 3], dropout=0.5, rng=0)
    h = fit(model, X, y, optimizer=Adam(model.parameters(), lr=0.01), epochs=2, batch_size=16,
            rng=0, eval_train=True)
    assert (h.train_loss[-1], h.train_acc[-1]) == evaluate(model, X, y)
    assert model.training  # fit leaves the model in training mode


# --------------------------------------------------------------------------- early stopping


class ScriptedValidation(Module):
    """Trains like its inner Linear layer; in eval mode it outputs sqrt(v) for the next v of a
    hand-made list, so the MSE against zero targets is v. On each eval it records the state
    of the whole model at that moment (the end of an epoch)."""

    def __init__(self, inner, values, model_box):
        self.inner = inner
        self.values = list(values)
        self.calls = 0
        self.model_box = model_box  # a dict, so the model is not a child of this layer
        self.states = []

    def forward(self, x):
        if self.training:
            return self.inner.forward(x)
        value = self.values[self.calls]
        self.calls += 1
        self.states.append(model_state(self.model_box["model"]))
        return np.full((x.shape[0], 1), math.sqrt(value))

    def backward(self, dout):
        return self.inner.backward(dout)


def scripted_model(values):
    box = {}
    head = ScriptedValidation(Linear(4, 1, rng=1), values, box)
    model = Sequential(Linear(3, 4, rng=0), BatchNorm(4), ReLU(), head)
    box["model"] = model
    return model, head


def assert_state_equal(model, state):
    now = model_state(model)
    for a, b in zip(now["params"], state["params"]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(now["buffers"], state["buffers"]):
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])


@pytest.mark.parametrize("values, patience, epochs_run, best", [
    # best 0.6 at epoch 2; 0.7, 0.65, 0.61 do not beat it -> stop after epoch 5
    ([1.0, 0.8, 0.6, 0.7, 0.65, 0.61, 0.1, 0.1], 3, 6, 2),
    # a tie is not an improvement
    ([1.0, 0.5, 0.5, 0.5, 0.1, 0.1], 2, 4, 1),
    # patience 1: the first epoch without improvement stops
    ([0.9, 0.3, 0.4, 0.1], 1, 3, 1),
])
def test_early_stopping_stops_at_the_right_epoch_and_restores_best(values, patience, epochs_run, best):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    model, head = scripted_model(values)
    h = fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.05), epochs=len(values),
            batch_size=10, rng=0, X_val=X[:8], y_val=np.zeros(8),
            early_stopping=EarlyStopping(patience))
    assert h.stopped_early and h.restored_best
    assert h.epochs_run == epochs_run == head.calls
    assert h.val_loss == pytest.approx(values[:epochs_run], rel=1e-14)
    assert h.best_epoch == best
    assert len(h.loss) == epochs_run * h.iterations_per_epoch
    # weights AND BatchNorm running statistics are those of the best epoch, not the last
    assert_state_equal(model, head.states[best])
    assert not np.array_equal(model_state(model)["buffers"][2]["running_mean"],
                              head.states[-1]["buffers"][2]["running_mean"])
    assert h.message.startswith(f"Stopped early after epoch {epochs_run - 1}")
    assert h.message.endswith(f"Restored the weights of epoch {best}.")


def test_early_stopping_without_restore_keeps_the_last_weights():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    model, head = scripted_model([1.0, 0.5, 0.9, 0.9])
    h = fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.05), epochs=4,
            batch_size=10, rng=0, X_val=X[:8], y_val=np.zeros(8),
            early_stopping=EarlyStopping(2, restore_best=False))
    assert h.stopped_early and not h.restored_best and h.best_epoch == 1
    assert_state_equal(model, head.states[-1])


def test_no_early_stop_when_the_validation_loss_keeps_improving():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    model, head = scripted_model([1.0, 0.9, 0.8])
    h = fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.05), epochs=3,
            batch_size=10, X_val=X[:8], y_val=np.zeros(8), early_stopping=EarlyStopping(1))
    assert not h.stopped_early and not h.restored_best and h.best_epoch == 2
    assert_state_equal(model, head.states[-1])


def test_model_state_round_trip():
    model = mlp([3, 4, 2], batch_norm=True, rng=0)
    saved = model_state(model)
    model.forward(np.random.default_rng(0).normal(size=(5, 3)))  # moves the running stats
    for p in model.parameters():
        p.value += 1.0
    load_model_state(model, saved)
    assert_state_equal(model, saved)
    assert model[1].num_batches_tracked == 0
    with pytest.raises(ValueError, match="state must come from the same model"):
        load_model_state(mlp([3, 2], rng=0), saved)


# --------------------------------------------------------------------------- divergence


def unscaled_regression():
    """Features on scales 1, 10 and 100: plain SGD with lr 0.1 blows up within a few epochs."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)) * np.array([1.0, 10.0, 100.0])
    y = X @ np.array([1.0, 2.0, 3.0]) + rng.normal(size=64)
    return X, y


@pytest.mark.parametrize("batch_norm", [False, True])
def test_divergence_stops_names_the_step_and_warns(batch_norm):
    X, y = unscaled_regression()
    model = mlp([3, 16, 1], batch_norm=batch_norm, rng=0)
    with pytest.warns(DivergenceWarning) as record:
        h = fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.1), epochs=30,
                batch_size=16, rng=0)
    assert len(record) == 1
    t = h.diverged_at
    assert t is not None and 0 < t < 30 * 4
    assert len(h.loss) == t + 1  # the failed iteration is recorded, nothing after it
    assert h.diverged_epoch == t // 4 and h.epochs_run == h.diverged_epoch
    assert np.all(np.isfinite(h.loss[:t])) and np.all(np.isfinite(h.grad_norm[:t]))
    assert not (np.isfinite(h.loss[t]) and np.isfinite(h.grad_norm[t]))
    message = str(record[0].message)
    assert message == h.message
    assert f"iteration {t} (epoch {t // 4}, batch {t % 4};" in message
    assert "learning rate (it was 0.1" in message
    assert "clip" in message and "scale the features" in message
    # the failed update was not applied: the weights are still finite numbers
    assert all(np.all(np.isfinite(p.value)) for p in model.parameters())


def test_divergence_raise_mode():
    X, y = unscaled_regression()
    model = mlp([3, 16, 1], rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # raise mode must not warn as well
        with pytest.raises(TrainingDiverged, match=r"diverged at iteration \d+ \(epoch \d+") as info:
            fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.1), epochs=30,
                batch_size=16, rng=0, on_divergence="raise")
    assert isinstance(info.value, ValueError)
    assert "it was 0.1" in str(info.value)


def test_the_same_run_with_clipping_does_not_diverge():
    X, y = unscaled_regression()
    model = mlp([3, 16, 1], rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.1), epochs=30,
                batch_size=16, rng=0, clipping=Clipping(max_norm=1.0))
    assert h.diverged_at is None and len(h.loss) == 30 * 4
    assert max(h.grad_norm) > 1.0  # clipping was needed


def test_nan_loss_from_a_custom_loss_is_divergence():
    X, y = make_spirals(10, rng=0)
    model = mlp([2, 4, 3], rng=0)

    def bad_loss(out, target):
        return float("nan"), np.zeros_like(out)

    with pytest.raises(TrainingDiverged, match="iteration 0 .*the loss became nan"):
        fit(model, X, y, loss=bad_loss, optimizer=SGD(model.parameters(), lr=0.1), epochs=1,
            batch_size=30, on_divergence="raise")


def test_errors_that_are_not_divergence_propagate():
    X, y = make_spirals(10, rng=0)
    model = mlp([2, 4, 2], rng=0)  # 2 outputs, but 3 classes in y
    with pytest.raises(ValueError, match="labels must be in"):
        fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=1, batch_size=8)


# --------------------------------------------------------------------------- evaluate


def test_evaluate_matches_pytorch_eval_mode_and_restores_the_mode(blobs):
    X, y, X_val, y_val = blobs
    model = mlp([4, 8, 3], batch_norm=True, dropout=0.3, rng=0)
    fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=2, batch_size=16, rng=0)
    net = torch_twin(model)
    net.eval()
    with torch.no_grad():
        logits = net(torch.from_numpy(X_val))
        want = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y_val)).item()
        want_acc = (logits.argmax(1).numpy() == y_val).mean()
    assert model.training
    loss, acc = evaluate(model, X_val, y_val)
    assert loss == pytest.approx(want, rel=1e-12) and acc == want_acc
    assert model.training and all(layer.training for layer in model)
    model.eval()
    assert evaluate(model, X_val, y_val, batch_size=7) == pytest.approx((loss, acc), rel=1e-12)
    assert not model.training


def test_evaluate_regression_has_no_accuracy():
    model = mlp([2, 1], rng=0)
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    pred = X @ model[0].W.value[:, 0] + model[0].b.value[0]
    loss, acc = evaluate(model, X, np.array([0.0, 1.0]), loss="mse")
    assert loss == pytest.approx(((pred - [0.0, 1.0]) ** 2).mean(), rel=1e-14) and acc is None


# --------------------------------------------------------------------------- mlp


def test_mlp_structure_and_dtype():
    model = mlp([5, 7, 6, 2], activation="tanh", batch_norm=True, dropout=0.2, rng=0, dtype=np.float32)
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == ["Linear", "BatchNorm", "Tanh", "Dropout", "Linear", "BatchNorm", "Tanh",
                     "Dropout", "Linear"]
    shapes = [p.value.shape for p in model.parameters()]
    assert shapes == [(5, 7), (7,), (7,), (7, 6), (6,), (6,), (6, 2), (2,)]  # no hidden biases
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert [type(layer).__name__ for layer in mlp([3, 2])] == ["Linear"]


def test_mlp_default_init_follows_the_activation():
    # He uniform bound sqrt(6 / fan_in); Xavier uniform bound sqrt(6 / (fan_in + fan_out))
    relu = mlp([400, 400, 2], rng=0)[0].W.value
    tanh = mlp([400, 400, 2], activation="tanh", rng=0)[0].W.value
    assert np.abs(relu).max() == pytest.approx(math.sqrt(6 / 400), rel=0.01)
    assert np.abs(tanh).max() == pytest.approx(math.sqrt(6 / 800), rel=0.01)


def test_float32_training_keeps_float32():
    X, y = make_spirals(20, rng=0)
    model = mlp([2, 16, 3], batch_norm=True, rng=0, dtype=np.float32)
    h = fit(model, X, y, optimizer=Adam(model.parameters(), lr=0.01), epochs=5, batch_size=16, rng=0)
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model[1].running_mean.dtype == np.float32
    assert h.train_loss[-1] < h.train_loss[0]


# --------------------------------------------------------------------------- progress, imports


def test_progress_text_bar_without_timings(capsys):
    X, y = make_spirals(10, rng=0)
    model = mlp([2, 4, 3], rng=0)
    fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=3, batch_size=10, progress=True)
    out = capsys.readouterr().out
    assert "epoch 3/3" in out and "[####################]" in out
    assert "s/it" not in out and "it/s" not in out and "elapsed" not in out


def test_progress_widget_in_a_notebook(monkeypatch):
    import nnlesson.train as train

    bars = []

    class RecordingBar(train._WidgetBar):
        def __init__(self, total):
            super().__init__(total)
            bars.append(self)

    monkeypatch.setattr(train, "_in_notebook", lambda: True)
    monkeypatch.setattr(train, "_WidgetBar", RecordingBar)
    X, y = make_spirals(10, rng=0)
    model = mlp([2, 4, 3], rng=0)
    fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=4, batch_size=10,
        X_val=X, y_val=y, progress=True)
    (bar,) = bars
    assert type(bar.bar).__name__ == "IntProgress"
    assert (bar.bar.value, bar.bar.max, bar.bar.bar_style) == (4, 4, "success")
    assert bar.label.value.startswith("epoch 4/4  val_loss ")


def test_import_train_is_light():
    code = ("import sys, nnlesson.train; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_history_repr_is_a_summary():
    h = History(loss=[1.0] * 1000, train_loss=[0.5, 0.25], val_loss=[0.3, 0.2], best_epoch=1)
    assert repr(h) == ("History(epochs_run=2, iterations=1000, train_loss=0.25, val_loss=0.2, "
                       "best_epoch=1)")


# --------------------------------------------------------------------------- bad inputs


def _args():
    X, y = make_spirals(10, rng=0)
    model = mlp([2, 4, 3], rng=0)
    return model, X, y, dict(optimizer=SGD(model.parameters(), lr=0.1), epochs=2, batch_size=8)


@pytest.mark.parametrize("change, error, match", [
    (dict(epochs=0), ValueError, "epochs must be an integer >= 1, got 0"),
    (dict(epochs=1.5), TypeError, "epochs must be an integer"),
    (dict(batch_size=0), ValueError, "batch_size must be an integer >= 1, got 0"),
    (dict(loss="hinge"), ValueError, "loss must be one of 'cross_entropy', 'mse', 'bce'; got 'hinge'"),
    (dict(loss=3), TypeError, "loss must be one of"),
    (dict(clipping=1.0), TypeError,
     r"clipping must be None or a Clipping such as Clipping\(max_norm=1.0\), got 1.0"),
    (dict(penalty=1e-3), TypeError,
     r"penalty must be None or a Penalty such as Penalty\(l2=0.001\), got 0.001"),
    (dict(early_stopping=3), TypeError,
     r"early_stopping must be None or an? EarlyStopping such as EarlyStopping\(patience=10\)"),
    (dict(early_stopping=EarlyStopping(3)), ValueError, "early_stopping needs a validation set"),
    (dict(on_divergence="ignore"), ValueError, "on_divergence must be one of 'stop', 'raise'"),
    (dict(progress="yes"), TypeError, "progress must be True or False"),
    (dict(shuffle=1), TypeError, "shuffle must be True or False"),
    (dict(rng="seed"), TypeError, "rng must be None, an integer seed"),
    (dict(schedule=0.1), TypeError, "schedule must be None, a callable t -> lr"),
    (dict(optimizer="adam"), TypeError, "optimizer must be an nnlesson optimizer"),
    (dict(drop_last=True, batch_size=100), ValueError, "batch_size must be <= the number of rows"),
])
def test_fit_bad_arguments(change, error, match):
    model, X, y, kwargs = _args()
    with pytest.raises(error, match=match):
        fit(model, X, y, **{**kwargs, **change})


def test_fit_bad_data():
    model, X, y, kwargs = _args()
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="X must contain only finite numbers, found 1 NaN"):
        fit(model, X_nan, y, **kwargs)
    with pytest.raises(ValueError, match=r"X and y must have the same number of rows, got 30 and 29"):
        fit(model, X, y[:-1], **kwargs)
    with pytest.raises(ValueError, match=r"X must have 2 dimension\(s\), got shape \(30,\)"):
        fit(model, X[:, 0], y, **kwargs)
    with pytest.raises(ValueError, match="y must hold integer class labels"):
        fit(model, X, y + 0.5, **kwargs)
    with pytest.raises(ValueError, match="y must hold class labels >= 0"):
        fit(model, X, y - 1, **kwargs)
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        fit(model, X, y, X_val=X, **kwargs)
    with pytest.raises(ValueError, match="X_val must have as many columns as X \\(2\\), got 3"):
        fit(model, X, y, X_val=np.ones((4, 3)), y_val=np.zeros(4, int), **kwargs)
    with pytest.raises(ValueError, match="X_val and y_val must have the same number of rows"):
        fit(model, X, y, X_val=X, y_val=y[:5], **kwargs)
    with pytest.raises(ValueError, match="y_val must contain only finite numbers"):
        fit(model, X, y.astype(float), X_val=X, y_val=np.full(30, np.inf), loss="mse", **kwargs)
    with pytest.raises(TypeError, match="model must be an nnlesson Module"):
        fit("mlp", X, y, **kwargs)


def test_fit_refuses_an_optimizer_of_another_model():
    model, X, y, kwargs = _args()
    other = mlp([2, 4, 3], rng=0)
    with pytest.raises(ValueError, match="optimizer must be built on this model's parameters"):
        fit(model, X, y, **{**kwargs, "optimizer": SGD(other.parameters(), lr=0.1)})


def test_fit_refuses_a_last_batch_of_one_with_batchnorm():
    X, y = make_spirals(11, rng=0)  # 33 rows, 33 % 16 = 1
    model = mlp([2, 4, 3], batch_norm=True, rng=0)
    with pytest.raises(ValueError, match="last batch of 1 sample with BatchNorm.*drop_last=True"):
        fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=1, batch_size=16)
    h = fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=1, batch_size=16,
            drop_last=True)
    assert h.iterations_per_epoch == 2


def test_evaluate_bad_inputs():
    model = mlp([2, 3], rng=0)
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match="X and y must have the same number of rows"):
        evaluate(model, X, np.zeros(3, int))
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        evaluate(model, X, np.zeros(4, int), batch_size=0)
    with pytest.raises(ValueError, match="loss must be one of"):
        evaluate(model, X, np.zeros(4, int), loss="l1")
    with pytest.raises(TypeError, match="model must be an nnlesson Module"):
        evaluate(None, X, np.zeros(4, int))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(sizes=[3]), ValueError, "sizes must list at least 2 widths"),
    (dict(sizes=3), TypeError, "sizes must be a list of layer widths"),
    (dict(sizes=[3, 0, 2]), ValueError, r"sizes\[1\] must be an integer >= 1, got 0"),
    (dict(sizes=[3, 2], activation="gelu"), ValueError,
     "activation must be one of 'relu', 'tanh', 'sigmoid'"),
    (dict(sizes=[3, 2], dropout=1.0), ValueError, r"dropout must be a finite number in \[0, 1\)"),
    (dict(sizes=[3, 2], init="orthogonal"), ValueError, "init must be one of"),
    (dict(sizes=[3, 2], batch_norm=1), TypeError, "batch_norm must be True or False"),
])
def test_mlp_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        mlp(**kwargs)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_one_cycle_with_cycled_momentum_equals_onecyclelr(blobs, optimizer):
    """fit(cycle_momentum=True) is PyTorch's OneCycleLR with its default cycle_momentum=True."""
    X, y, _, _ = blobs
    model = mlp([4, 16, 3], rng=3)
    net = torch_twin(model)
    kwargs = dict(epochs=5, batch_size=16)  # 4 updates per epoch, 20 in all
    if optimizer == "sgd":
        ours = SGD(model.parameters(), lr=0.1, momentum=0.9)
        make_optimizer = lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)  # noqa: E731
    else:
        ours = Adam(model.parameters(), lr=0.01)
        make_optimizer = lambda p: torch.optim.Adam(p, lr=0.01)  # noqa: E731
    h = fit(model, X, y, optimizer=ours, schedule=OneCycle(max_lr=0.3, total_steps=20),
            cycle_momentum=True, shuffle=False, **kwargs)
    ref = torch_standard_loop(
        net, X, y, loss="cross_entropy", make_optimizer=make_optimizer,
        make_scheduler=lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.3, total_steps=20),
        **kwargs)
    assert_history_matches(h, ref)
    assert_same_weights(model, net)
    last = ours.betas[0] if optimizer == "adam" else ours.momentum
    assert last == pytest.approx(OneCycle(max_lr=0.3, total_steps=20).momentum(19))


def test_without_cycle_momentum_one_cycle_leaves_the_momentum_alone(blobs):
    X, y, _, _ = blobs
    model = mlp([4, 8, 3], rng=0)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    fit(model, X, y, optimizer=opt, schedule=OneCycle(max_lr=0.3, total_steps=8), epochs=2,
        batch_size=16, shuffle=False)
    assert opt.momentum == 0.9


def test_cycle_momentum_needs_a_momentum_schedule_and_a_momentum_optimizer(blobs):
    from nnlesson.optim import Adagrad

    X, y, _, _ = blobs
    model = mlp([4, 8, 3], rng=0)
    with pytest.raises(ValueError, match=r"cycle_momentum=True needs a schedule with a momentum\(t\)"):
        fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.1, momentum=0.9),
            schedule=StepDecay(0.1, step_size=2), cycle_momentum=True, epochs=1, batch_size=16)
    with pytest.raises(ValueError, match="cycle_momentum=True needs an optimizer with a momentum"):
        fit(model, X, y, optimizer=Adagrad(model.parameters(), lr=0.1),
            schedule=OneCycle(max_lr=0.3, total_steps=8), cycle_momentum=True, epochs=2,
            batch_size=16)


# --------------------------------------------------------------------------- EarlyStopping


@pytest.mark.parametrize("losses, patience, expected", [
    ([1.0, 0.8, 0.6, 0.7, 0.65, 0.61, 0.1], 3, (2, 5)),   # three epochs without a new best
    ([1.0, 0.5, 0.5, 0.5, 0.1], 2, (1, 3)),               # a tie is no improvement
    ([0.9, 0.3, 0.4, 0.1], 1, (1, 2)),
    ([3.0, 2.0, 1.0], 5, (2, 2)),                         # never stops: the last epoch
    ([5.0], 1, (0, 0)),
])
def test_early_stopping_point_by_hand(losses, patience, expected):
    from nnlesson.train import early_stopping_point

    assert early_stopping_point(losses, patience) == expected


def test_early_stopping_step_by_step_and_reset():
    stopper = EarlyStopping(patience=2)
    assert stopper.best_epoch is None and not stopper.stopped
    said = [stopper.step(loss) for loss in (1.0, 0.5, 0.7, 0.6)]
    assert said == [False, False, False, True]
    assert (stopper.best, stopper.best_epoch, stopper.bad_epochs, stopper.epoch) == (0.5, 1, 2, 4)
    assert stopper.stopped and not stopper.improved
    stopper.reset()
    assert (stopper.best, stopper.best_epoch, stopper.epoch) == (math.inf, None, 0)
    assert stopper.step(9.0) is False and stopper.improved
    assert stopper.step(float("nan")) is False and not stopper.improved  # NaN: no improvement
    assert repr(stopper) == "EarlyStopping(patience=2, restore_best=True)"


def test_fit_stops_where_early_stopping_point_says_and_resets_a_reused_stopper(blobs):
    """fit(early_stopping=...) and the replay of the same rule agree; the object is reusable."""
    from nnlesson.train import early_stopping_point

    X, y, X_val, y_val = blobs
    stopper = EarlyStopping(patience=2)
    for _ in range(2):  # the second run starts from a reset stopper
        model = mlp([4, 32, 3], rng=0)
        full = fit(model, X, y, optimizer=SGD(model.parameters(), lr=2.0), epochs=25,
                   batch_size=60, X_val=X_val, y_val=y_val, shuffle=False)
        model = mlp([4, 32, 3], rng=0)
        h = fit(model, X, y, optimizer=SGD(model.parameters(), lr=2.0), epochs=25,
                batch_size=60, X_val=X_val, y_val=y_val, shuffle=False, early_stopping=stopper)
        best, stop = early_stopping_point(full.val_loss, 2)
        assert h.stopped_early and stop < 24
        assert (h.best_epoch, h.epochs_run - 1) == (best, stop) == (stopper.best_epoch,
                                                                     stopper.epoch - 1)
        assert h.val_loss == full.val_loss[:stop + 1]


def test_callbacks_are_called_in_order_watch_without_changing_the_run_and_can_stop(blobs):
    from nnlesson.train import Callback

    X, y, X_val, y_val = blobs

    class Watcher(Callback):
        def __init__(self, stop_after=None):
            self.calls, self.stop_after = [], stop_after

        def on_train_begin(self, model):
            self.calls.append(("begin", model.training))

        def on_batch_end(self, model, xb, yb, history):
            # the update's gradient is still there, and its numbers are the last in history
            norm = math.sqrt(sum(float(np.sum(p.grad ** 2)) for p in model.parameters()))
            self.calls.append(("batch", len(history.loss), len(yb),
                               norm == pytest.approx(history.grad_norm[-1], rel=1e-12)))
            return self.stop_after is not None and len(history.loss) > self.stop_after

        def on_epoch_end(self, model, history):
            self.calls.append(("epoch", len(history.val_loss)))

    def run(**kwargs):
        model = mlp([4, 8, 3], rng=0)
        return fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.5, momentum=0.9),
                   epochs=3, batch_size=25, rng=0, X_val=X_val, y_val=y_val, **kwargs)

    plain, watcher = run(), Watcher()
    watched = run(callbacks=[watcher])
    assert watched.as_dict() == plain.as_dict()  # watching changes nothing
    ipe = plain.iterations_per_epoch  # 60 rows in batches of 25, 25 and 10
    expected = [("begin", True)]
    for epoch in range(3):
        expected += [("batch", epoch * ipe + b + 1, size, True) for b, size in enumerate((25, 25, 10))]
        expected.append(("epoch", epoch + 1))
    assert watcher.calls == expected
    stopper = Watcher(stop_after=ipe + 1)  # says stop after the second update of epoch 2
    stopped = run(callbacks=stopper)
    assert len(stopped.loss) == ipe + 2 and stopped.epochs_run == 1
    assert stopped.loss == plain.loss[:ipe + 2]
    assert stopped.message == f"Stopped by a callback after update {ipe + 1}."
    with pytest.raises(TypeError, match="callbacks must be a Callback or a list of them"):
        run(callbacks=[lambda *a: None])


@pytest.mark.parametrize("make, error, match", [
    (lambda: EarlyStopping(0), ValueError, r"patience must be an integer >= 1, got 0"),
    (lambda: EarlyStopping(2.5), TypeError, r"patience must be an integer"),
    (lambda: EarlyStopping(2, restore_best=None), TypeError, r"restore_best must be True or False"),
    (lambda: Penalty(l2=-0.1), ValueError, r"l2 must be a finite number >= 0, got -0.1"),
    (lambda: Penalty(l1=float("nan")), ValueError, r"l1 must be a finite number >= 0"),
    (lambda: Penalty(l1="0.1"), TypeError, r"l1 must be a finite number >= 0"),
], ids=str)
def test_fit_options_reject_bad_values(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_early_stopping_point_rejects_bad_arguments():
    from nnlesson.train import early_stopping_point

    with pytest.raises(ValueError, match="patience must be an integer >= 1"):
        early_stopping_point([1.0, 2.0], 0)
    with pytest.raises(ValueError, match="val_losses must have at least 1 row"):
        early_stopping_point([], 1)


def test_penalty_on_weight_matrices_only_and_both_terms_like_torch(blobs):
    """Penalty(l1, l2) together: the torch loop writes both terms with autograd."""
    X, y, _, _ = blobs
    model = mlp([4, 8, 3], rng=5)
    net = torch_twin(model)
    h = fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=3, batch_size=20,
            shuffle=False, penalty=Penalty(l1=1e-3, l2=1e-2))
    ref = torch_standard_loop(net, X, y, loss="cross_entropy",
                              make_optimizer=lambda p: torch.optim.SGD(p, lr=0.1), epochs=3,
                              batch_size=20, l1=1e-3, l2=1e-2)
    assert_history_matches(h, ref)
    assert_same_weights(model, net)
    assert [p.name for p in Penalty.weights(model.parameters())] == ["W", "W"]


# --------------------------------------------------------------------------- residual_network


def test_residual_network_shares_the_weights_of_the_plain_one():
    from nnlesson.layers import Residual
    from nnlesson.train import residual_network

    plain = residual_network(3, skip=False, width=5, n_in=4, n_out=3, seed=2)
    res = residual_network(3, skip=True, width=5, n_in=4, n_out=3, seed=2)
    assert len(plain) == len(res) == 5
    assert all(isinstance(b, Residual) for b in res[1:-1])
    assert not any(isinstance(b, Residual) for b in plain[1:-1])
    for a, b in zip(plain.parameters(), res.parameters()):
        np.testing.assert_array_equal(a.value, b.value)
    assert plain[0].W.shape == (4, 5) and plain[-1].W.shape == (5, 3)


@pytest.mark.parametrize("skip", [False, True])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_weight_grad_norms_match_torch_autograd(skip, activation):
    from nnlesson.train import residual_network, weight_grad_norms

    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(12, 6)), rng.integers(0, 3, size=12)
    model = residual_network(2, skip=skip, activation=activation, width=5, n_in=6, n_out=3,
                             seed=1)
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]
    Ws = [torch.tensor(p.value, requires_grad=True) for p in model.parameters()]
    h = torch.tensor(X) @ Ws[0] + Ws[1]
    for k in range(2):
        W1, b1, W2, b2 = Ws[2 + 4 * k: 6 + 4 * k]
        F = act(h @ W1 + b1) @ W2 + b2
        h = h + F if skip else F
    logits = h @ Ws[-2] + Ws[-1]
    torch.nn.functional.cross_entropy(logits, torch.tensor(y)).backward()
    expected = [w.grad.norm().item() for w in Ws if w.ndim == 2]
    np.testing.assert_allclose(weight_grad_norms(model, X, y), expected, rtol=1e-10)
    np.testing.assert_allclose(weight_grad_norms(model, X, y), expected, rtol=1e-10)  # cleared


def test_residual_network_and_weight_grad_norms_reject_bad_arguments():
    from nnlesson.train import residual_network, weight_grad_norms

    with pytest.raises(ValueError, match="depth must be an integer >= 0"):
        residual_network(-1, skip=True)
    with pytest.raises(TypeError, match="skip must be True or False"):
        residual_network(2, skip="yes")
    with pytest.raises(ValueError, match="activation must be one of 'sigmoid', 'tanh', 'relu'"):
        residual_network(2, skip=True, activation="gelu")
    with pytest.raises(TypeError, match="model must be an nnlesson Module, got str"):
        weight_grad_norms("net", np.zeros((2, 64)), np.zeros(2, dtype=int))
