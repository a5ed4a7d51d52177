"""nnlesson.tuning: the learning-rate range test against torch_lr_finder, hand-worked values,
and the log-scale samplers."""
import math

import numpy as np
import pytest
import torch
from torch_lr_finder import LRFinder

import nnlesson as nl
from nnlesson import tuning as T


# --------------------------------------------------------------------------- the schedule


@pytest.mark.filterwarnings("ignore:Detected call of")
def test_the_schedule_is_torch_lr_finders_exponential_mode():
    from torch_lr_finder.lr_finder import ExponentialLR

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1e-4)
    sched = ExponentialLR(opt, end_lr=3.0, num_iter=50)
    theirs = []
    for _ in range(50):
        theirs.append(sched.get_lr()[0])
        sched.step()
    np.testing.assert_allclose(T.range_test_lrs(1e-4, 3.0, 50), theirs, rtol=1e-12)


def test_the_schedule_by_hand():
    np.testing.assert_allclose(T.range_test_lrs(0.01, 100.0, 5), [0.01, 0.1, 1.0, 10.0, 100.0],
                               rtol=1e-12)
    lrs = T.range_test_lrs(1e-5, 10.0, 100)
    ratios = lrs[1:] / lrs[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-10)  # the same factor every step


@pytest.mark.parametrize("args, match", [
    ((0.0, 1.0, 10), "start_lr must be"), ((1.0, 0.5, 10), "end_lr must be > start_lr"),
    ((1e-3, 1.0, 1), "num_iter must be")])
def test_the_schedule_rejects_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        T.range_test_lrs(*args)


# --------------------------------------------------------------------------- the smoothing


def test_smoothing_by_hand_with_bias_correction():
    # beta = 0.5: avg = 0.5, 1.25, 2.125; divided by 0.5, 0.75, 0.875
    np.testing.assert_allclose(T.smooth_losses([1.0, 2.0, 3.0], beta=0.5),
                               [1.0, 1.25 / 0.75, 2.125 / 0.875], rtol=1e-14)


def test_a_constant_loss_stays_constant_and_beta_0_is_the_raw_loss():
    np.testing.assert_allclose(T.smooth_losses(np.full(30, 2.3), beta=0.98), 2.3, rtol=1e-12)
    raw = np.random.default_rng(0).random(20)
    np.testing.assert_array_equal(T.smooth_losses(raw, beta=0.0), raw)


def test_smoothing_equals_adams_bias_corrected_first_moment():
    """torch.optim.Adam keeps m = beta1 m + (1 - beta1) g and steps by m / (1 - beta1^t):
    with v = g^2 made irrelevant (huge eps), lr * m_hat / eps is the step, so the smoothed
    loss is the step times eps / lr."""
    losses = np.random.default_rng(1).random(25) * 3
    w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    eps, lr = 1e6, 1.0
    opt = torch.optim.Adam([w], lr=lr, betas=(0.9, 0.999), eps=eps)
    steps = []
    for loss in losses:
        before = w.detach().clone()
        w.grad = torch.tensor([loss], dtype=torch.float64)
        opt.step()
        steps.append(float(before - w.detach()))
    # Adam: step = lr * m_hat / (sqrt(v_hat) + eps) ~= lr * m_hat / eps (v_hat <= 9 << eps)
    m_hat = np.array(steps) * eps / lr
    np.testing.assert_allclose(T.smooth_losses(losses, beta=0.9), m_hat, rtol=1e-5)


def test_the_stop_rule_by_hand():
    assert T.range_test_stop([3.0, 2.0, 1.0, 3.9, 4.1]) == 4  # 4.1 > 4 * 1.0
    assert T.range_test_stop([3.0, 2.0, 1.0, 3.9]) is None
    assert T.range_test_stop([1.0, 2.5], diverge_factor=2.0) == 1
    assert T.range_test_stop([1.0, math.nan]) == 1


# --------------------------------------------------------------------------- the whole test


class _Net(torch.nn.Module):
    def __init__(self, ours):
        super().__init__()
        lin = [m for m in ours.layers if isinstance(m, nl.layers.Linear)]
        self.l1 = torch.nn.Linear(64, 16).double()
        self.l2 = torch.nn.Linear(16, 10).double()
        with torch.no_grad():
            for mine, theirs in zip(lin, (self.l1, self.l2)):
                theirs.weight.copy_(torch.tensor(mine.W.value.T))
                theirs.bias.copy_(torch.tensor(mine.b.value))

    def forward(self, x):
        return self.l2(torch.relu(self.l1(x)))


def test_the_raw_losses_and_the_stop_agree_with_torch_lr_finder():
    X, _, y, _ = nl.load_digits_split()
    X, y = X[:256], y[:256]
    model = nl.train.mlp([64, 16, 10], rng=3)
    net = _Net(model)
    opt = nl.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    # the same batches in the same order: no shuffling on either side
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y)), batch_size=32,
        shuffle=False)
    topt = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)
    finder = LRFinder(net, topt, torch.nn.CrossEntropyLoss(), device="cpu")
    finder.range_test(loader, start_lr=1e-3, end_lr=30.0, num_iter=60, step_mode="exp",
                      smooth_f=0.0, diverge_th=5)
    result = T.lr_range_test(model, X, y, optimizer=opt, start_lr=1e-3, end_lr=30.0,
                             num_iter=60, batch_size=32, beta=0.0, diverge_factor=5.0,
                             shuffle=False)
    n = len(finder.history["loss"])
    assert n < 60, "the test should stop on divergence within 60 updates"
    assert len(result.losses) == n and result.stopped_at == n - 1
    np.testing.assert_allclose(result.lrs, finder.history["lr"], rtol=1e-12)
    np.testing.assert_allclose(result.losses, finder.history["loss"], rtol=1e-9)


def test_the_range_test_puts_the_model_and_optimizer_back():
    X, _, y, _ = nl.load_digits_split()
    model = nl.train.mlp([64, 16, 10], rng=0)
    opt = nl.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    before = [p.value.copy() for p in model.parameters()]
    result = T.lr_range_test(model, X, y, optimizer=opt, num_iter=50, rng=0)
    for p, w in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.value, w)
    assert opt.lr == 0.05 and opt.step_count == 0 and all(s == {} for s in opt.state)
    assert result.lr_at_min == pytest.approx(10 * result.max_lr)
    assert "RangeTest(" in repr(result)


def test_suggestions_on_a_made_up_curve():
    lrs = T.range_test_lrs(1e-4, 1.0, 41)
    x = np.log10(lrs)  # -4 .. 0
    curve = 2.0 - 1.5 / (1 + np.exp(-3 * (x + 2)))  # falls fastest at 1e-2
    curve[x > -1] += 5 * (x[x > -1] + 1) ** 2        # and climbs after 1e-1
    lr_min, max_lr, steepest = T.suggest_lrs(lrs, curve, skip_start=0)
    assert 0.05 < lr_min < 0.2 and max_lr == pytest.approx(lr_min / 10)
    assert steepest == pytest.approx(1e-2)


def test_suggestions_reject_bad_curves():
    with pytest.raises(ValueError, match="same length"):
        T.suggest_lrs([1e-3, 1e-2, 1e-1], [1.0, 2.0])
    with pytest.raises(ValueError, match="increasing"):
        T.suggest_lrs([1e-1, 1e-2, 1e-3], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="at least 3 finite"):
        T.suggest_lrs([1e-3, 1e-2, 1e-1], [1.0, math.nan, math.inf])


# --------------------------------------------------------------------------- random search


def test_log_uniform_is_uniform_in_the_logarithm():
    values = T.log_uniform(1e-4, 1.0, 20000, rng=0)
    assert values.min() >= 1e-4 and values.max() <= 1.0
    decades = np.histogram(np.log10(values), bins=4, range=(-4, 0))[0] / len(values)
    np.testing.assert_allclose(decades, 0.25, atol=0.015)
    assert isinstance(T.log_uniform(1e-3, 1e-1, rng=1), float)


def test_log_grid_and_the_configurations():
    np.testing.assert_allclose(T.log_grid(1e-3, 1e-1, 3), [1e-3, 1e-2, 1e-1], rtol=1e-12)
    grid = T.grid_configs({"lr": (1e-3, 1e-1), "l2": (1e-6, 1e-4)}, 3)
    assert len(grid) == 9 and len({g["lr"] for g in grid}) == 3
    random = T.sample_configs({"lr": (1e-3, 1e-1), "l2": (1e-6, 1e-4)}, 9, rng=0)
    assert len(random) == 9 and len({c["lr"] for c in random}) == 9
    assert all(1e-3 <= c["lr"] <= 1e-1 and 1e-6 <= c["l2"] <= 1e-4 for c in random)


@pytest.mark.parametrize("call, match", [
    (lambda: T.log_uniform(0.0, 1.0), "low must be"),
    (lambda: T.log_uniform(1.0, 0.5), "high must be > low"),
    (lambda: T.log_grid(1.0, 0.5, 3), "high must be >= low"),
    (lambda: T.sample_configs({}, 3), "space must be"),
    (lambda: T.smooth_losses([1.0, 2.0], beta=1.0), "beta must be"),
    (lambda: T.range_test_stop([1.0], diverge_factor=1.0), "diverge_factor must be"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
