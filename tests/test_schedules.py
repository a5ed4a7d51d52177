"""Schedules against torch.optim.lr_scheduler (float64 Python floats), hand-worked values,
and bad inputs.

Convention under test: ``schedule(t)`` equals the optimizer's lr after ``t`` calls to
``scheduler.step()``. PyTorch updates most rates recursively (multiplying the previous rate);
the library uses closed forms. Over 300 steps they differ by at most a few hundred units in the
last place (largest seen: ~1e-13 relative, cosine annealing near its minimum), so rtol 1e-10 is
an honest bound.
"""
import dataclasses
import math

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as tsched

from nnlesson.core import Parameter
from nnlesson.schedules import (
    CosineAnnealing,
    CosineWarmRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    LinearWarmup,
    NaturalExpDecay,
    OneCycle,
    ReduceLROnPlateau,
    ScheduledLR,
    StepDecay,
    schedule_values,
)

N_STEPS = 300
RTOL = 1e-10


def torch_lrs(lr0, make_scheduler, n_steps, momentum=False):
    """The lr (and momentum) torch's optimizer holds before each of ``n_steps`` updates."""
    w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr0, momentum=0.9)
    scheduler = make_scheduler(opt)
    lrs, moms = [], []
    for t in range(n_steps):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        if t < n_steps - 1:
            opt.step()  # no gradient: nothing moves, but torch wants step() before scheduler.step()
            scheduler.step()
    if momentum:
        return np.array(lrs), np.array(moms)
    return np.array(lrs)


# ---------------------------------------------------------------------------- against torch

@pytest.mark.parametrize("lr0, step_size, gamma", [
    (0.1, 30, 0.1), (0.05, 7, 0.5), (1.0, 1, 0.97), (0.3, 100, 1.0),
])
def test_step_decay_matches_steplr(lr0, step_size, gamma):
    ours = schedule_values(StepDecay(lr0, step_size, gamma), N_STEPS)
    ref = torch_lrs(lr0, lambda o: tsched.StepLR(o, step_size, gamma), N_STEPS)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=0)


@pytest.mark.parametrize("lr0, gamma", [(0.1, 0.99), (0.5, 0.9), (1e-3, 0.999), (0.2, 1.0)])
def test_exponential_decay_matches_exponentiallr(lr0, gamma):
    ours = schedule_values(ExponentialDecay(lr0, gamma), N_STEPS)
    ref = torch_lrs(lr0, lambda o: tsched.ExponentialLR(o, gamma), N_STEPS)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=0)


@pytest.mark.parametrize("lr0, k", [(0.1, 0.01), (0.5, 0.05), (1.0, 0.0), (0.3, 0.2)])
def test_natural_exp_decay_is_exponentiallr_with_gamma_exp_minus_k(lr0, k):
    ours = schedule_values(NaturalExpDecay(lr0, k), N_STEPS)
    ref = torch_lrs(lr0, lambda o: tsched.ExponentialLR(o, math.exp(-k)), N_STEPS)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=0)


@pytest.mark.parametrize("lr0, k", [(0.1, 0.01), (0.5, 1.0), (1.0, 0.0), (0.02, 0.3)])
def test_inverse_time_decay_matches_lambdalr(lr0, k):
    ours = schedule_values(InverseTimeDecay(lr0, k), N_STEPS)
    ref = torch_lrs(lr0, lambda o: tsched.LambdaLR(o, lambda t: 1.0 / (1.0 + k * t)), N_STEPS)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=0)


@pytest.mark.parametrize("lr0, T_max, eta_min", [
    (0.1, 300, 0.0),     # one half-cosine
    (0.1, 50, 0.0),      # past T_max: torch's cosine climbs back up, three times over
    (0.5, 7, 0.01),      # short period, eta_min > 0
    (1.0, 120, 1e-3),
])
def test_cosine_annealing_matches_cosineannealinglr(lr0, T_max, eta_min):
    ours = schedule_values(CosineAnnealing(lr0, T_max, eta_min), N_STEPS)
    ref = torch_lrs(lr0, lambda o: tsched.CosineAnnealingLR(o, T_max, eta_min), N_STEPS)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=0)


def test_cosine_annealing_hand_worked_and_after_t_max():
    s = CosineAnnealing(lr0=1.0, T_max=4, eta_min=0.2)
    # (1 + cos(pi t / 4)) / 2 at t = 0..8: 1, (1 + 1/sqrt2)/2, 1/2, (1 - 1/sqrt2)/2, 0, then back
    half = (1 + 1 / math.sqrt(2)) / 2
    frac = [1, half, 0.5, 1 - half, 0, 1 - half, 0.5, half, 1]
    expected = [0.2 + 0.8 * f for f in frac]
    np.testing.assert_allclose(schedule_values(s, 9), expected, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("lr0, T_0, T_mult, eta_min", [
    (0.1, 10, 1, 0.0), (0.1, 10, 2, 1e-3), (0.5, 3, 3, 0.0), (1.0, 50, 1, 0.01), (0.2, 1, 2, 0.0),
])
def test_cosine_warm_restarts_matches_torch(lr0, T_0, T_mult, eta_min):
    ours = schedule_values(CosineWarmRestarts(lr0, T_0, T_mult, eta_min), N_STEPS)
    ref = torch_lrs(lr0, lambda o: tsched.CosineAnnealingWarmRestarts(o, T_0, T_mult, eta_min), N_STEPS)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=0)


def test_cosine_warm_restarts_restart_points():
    s = CosineWarmRestarts(lr0=0.1, T_0=10, T_mult=2)
    assert [s.cycle_position(t) for t in (0, 9, 10, 29, 30, 70)] == [
        (0, 10), (9, 10), (0, 20), (19, 20), (0, 40), (0, 80)]
    assert s(30) == 0.1 and s(70) == 0.1


ONE_CYCLE_SETTINGS = [
    dict(),
    dict(pct_start=0.25, anneal_strategy="linear"),
    dict(three_phase=True),
    dict(three_phase=True, anneal_strategy="linear", div_factor=10.0, final_div_factor=100.0),
    dict(pct_start=0.5, base_momentum=0.8, max_momentum=0.99, div_factor=5.0),
]


@pytest.mark.parametrize("kwargs", ONE_CYCLE_SETTINGS)
def test_one_cycle_matches_onecyclelr_lr_and_momentum(kwargs):
    total_steps = N_STEPS  # torch allows t = 0 .. total_steps, so N_STEPS + 1 values
    sched = OneCycle(0.5, total_steps, **kwargs)
    ref_lr, ref_mom = torch_lrs(
        0.5, lambda o: tsched.OneCycleLR(o, 0.5, total_steps=total_steps, **kwargs),
        N_STEPS + 1, momentum=True)
    np.testing.assert_allclose(schedule_values(sched, N_STEPS + 1), ref_lr, rtol=RTOL, atol=0)
    ours_mom = [sched.momentum(t) for t in range(N_STEPS + 1)]
    np.testing.assert_allclose(ours_mom, ref_mom, rtol=RTOL, atol=0)


def test_one_cycle_momentum_drives_adam_beta1_like_torch():
    w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w], lr=0.01)
    ref = tsched.OneCycleLR(opt, max_lr=0.01, total_steps=40)
    sched = OneCycle(0.01, 40)
    for t in range(40):
        assert opt.param_groups[0]["betas"][0] == pytest.approx(sched.momentum(t), rel=RTOL)
        assert opt.param_groups[0]["lr"] == pytest.approx(sched(t), rel=RTOL)
        opt.step()
        ref.step()


def test_one_cycle_end_points():
    s = OneCycle(max_lr=1.0, total_steps=101, pct_start=0.3, div_factor=25.0, final_div_factor=1e4)
    assert s(0) == pytest.approx(1.0 / 25)
    assert s.initial_lr == pytest.approx(0.04) and s.min_lr == pytest.approx(4e-6)
    assert s(100) == pytest.approx(4e-6, rel=1e-12)  # the last step of the cycle, t = total_steps - 1
    assert max(schedule_values(s, 101)) == pytest.approx(1.0, rel=1e-3)
    assert s.momentum(0) == pytest.approx(0.95)


@pytest.mark.parametrize("lr0, warmup_steps, start_factor", [
    (0.1, 10, 1.0 / 3), (0.5, 37, 0.01), (1.0, 1, 0.5), (0.05, 299, 0.2),
])
def test_linear_warmup_matches_linearlr(lr0, warmup_steps, start_factor):
    ours = schedule_values(LinearWarmup(lr0, warmup_steps, start_factor), N_STEPS)
    ref = torch_lrs(lr0, lambda o: tsched.LinearLR(o, start_factor, 1.0, warmup_steps), N_STEPS)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=0)


@pytest.mark.parametrize("lr0, warmup_steps, start_factor, end_factor", [
    (0.1, 10, 1.0 / 3, 1.0), (0.1, 10, 1.0, 0.1), (0.5, 37, 0.01, 0.5), (1.0, 1, 0.5, 0.0),
    (0.05, 120, 0.2, 0.8), (0.3, 299, 1.0, 0.0), (0.2, 50, 0.7, 0.7),
])
def test_linear_warmup_with_end_factor_matches_linearlr(lr0, warmup_steps, start_factor,
                                                        end_factor):
    """Up, down or flat: PyTorch's LinearLR(start_factor, end_factor, total_iters), every step."""
    ours = schedule_values(LinearWarmup(lr0, warmup_steps, start_factor, end_factor), N_STEPS)
    ref = torch_lrs(lr0, lambda o: tsched.LinearLR(o, start_factor, end_factor, warmup_steps),
                    N_STEPS)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=1e-300)
    s = LinearWarmup(lr0, warmup_steps, start_factor, end_factor)
    assert [s(t) for t in range(N_STEPS)] == list(ours)  # one call at a time: the same numbers


def test_linear_warmup_with_end_factor_hand_worked():
    s = LinearWarmup(lr0=2.0, warmup_steps=4, start_factor=1.0, end_factor=0.5)
    np.testing.assert_allclose(schedule_values(s, 6), [2.0, 1.75, 1.5, 1.25, 1.0, 1.0],
                               rtol=1e-15)


def test_schedule_values_checks_the_last_step_once():
    with pytest.raises(ValueError, match=r"t must be an integer in \[0, total_steps=10\], got 11"):
        schedule_values(OneCycle(0.1, total_steps=10), 12)
    assert len(schedule_values(OneCycle(0.1, total_steps=10), 11)) == 11


def _then_cosine(o):
    return tsched.CosineAnnealingLR(o, T_max=100, eta_min=1e-3)


def _then_exponential(o):
    return tsched.ExponentialLR(o, gamma=0.98)


def _then_step(o):
    return tsched.StepLR(o, step_size=25, gamma=0.5)


@pytest.mark.parametrize("warmup_steps, start_factor", [(10, 1.0 / 3), (37, 0.01), (1, 0.5)])
@pytest.mark.parametrize("after, make_torch_after", [
    (CosineAnnealing(0.1, 100, 1e-3), _then_cosine),
    (ExponentialDecay(0.1, 0.98), _then_exponential),
    (StepDecay(0.1, 25, 0.5), _then_step),
])
def test_linear_warmup_then_schedule_matches_sequentiallr(warmup_steps, start_factor, after,
                                                          make_torch_after):
    def make(o):
        warm = tsched.LinearLR(o, start_factor, 1.0, warmup_steps)
        return tsched.SequentialLR(o, [warm, make_torch_after(o)], milestones=[warmup_steps])

    ours = schedule_values(LinearWarmup(0.1, warmup_steps, start_factor, after=after), N_STEPS)
    np.testing.assert_allclose(ours, torch_lrs(0.1, make, N_STEPS), rtol=RTOL, atol=0)


def test_linear_warmup_hand_worked():
    s = LinearWarmup(lr0=1.0, warmup_steps=4, start_factor=0.2, after=ExponentialDecay(1.0, 0.5))
    np.testing.assert_allclose(schedule_values(s, 7), [0.2, 0.4, 0.6, 0.8, 1.0, 0.5, 0.25], rtol=1e-14)


# ---------------------------------------------------------------------------- plateau

def _metric_sequence(rng, n=300):
    """A loss that improves, stalls, improves again, with noise, flat runs and small wiggles."""
    t = np.arange(n)
    base = 1.0 / (1.0 + 0.02 * t) + 0.3 * (t > 150) * np.exp(-(t - 150) / 40.0)
    base[90:130] = base[89]                                   # an exact plateau
    noise = rng.normal(scale=0.01, size=n) * (t % 3 == 0)     # noisy every third epoch
    out = base + noise
    out[200:210] = out[199] * (1 - 5e-5)                      # improvements below the rel threshold
    return out.tolist()


PLATEAU_SETTINGS = [
    dict(mode="min", factor=0.5, patience=5, threshold=1e-4, threshold_mode="rel"),
    dict(mode="min", factor=0.1, patience=3, threshold=0.01, threshold_mode="abs", cooldown=2),
    dict(mode="min", factor=0.7, patience=0, threshold=0.0, threshold_mode="rel", min_lr=0.02),
    dict(mode="max", factor=0.5, patience=4, threshold=1e-3, threshold_mode="rel", cooldown=3),
    dict(mode="max", factor=0.3, patience=2, threshold=0.005, threshold_mode="abs", min_lr=1e-4),
    dict(mode="min", factor=0.5, patience=1, eps=0.03),   # eps blocks reductions smaller than 0.03
    dict(),                                               # torch's defaults
]


@pytest.mark.parametrize("kwargs", PLATEAU_SETTINGS)
def test_reduce_on_plateau_matches_torch(kwargs, rng):
    metrics = _metric_sequence(rng)
    if kwargs.get("mode") == "max":
        metrics = [1.0 - m for m in metrics]  # an accuracy-like metric that should go up
    w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.5)
    ref = tsched.ReduceLROnPlateau(opt, **kwargs)
    ours = ReduceLROnPlateau(0.5, **kwargs)
    ours_lrs, ref_lrs = [], []
    for m in metrics:
        ours_lrs.append(ours.step(m))
        ref.step(m)
        ref_lrs.append(opt.param_groups[0]["lr"])
    assert ours.lr == ours_lrs[-1]
    assert len(set(ref_lrs)) >= 3, "the sequence must make torch reduce the rate more than once"
    np.testing.assert_allclose(ours_lrs, ref_lrs, rtol=RTOL, atol=0)


def test_reduce_on_plateau_hand_worked_patience_and_cooldown():
    s = ReduceLROnPlateau(1.0, factor=0.5, patience=2, cooldown=1, threshold=0.0)
    lrs = [s.step(m) for m in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]]
    # best=1 after the first call; bad epochs 1, 2, 3 > patience -> halve at call 4; call 5 is
    # cooldown (bad epoch ignored); calls 6, 7 count 1, 2; call 8 improves.
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5]
    assert s.best == 0.5 and s.num_bad_epochs == 0
    s.reset()
    assert s.lr == 1.0 and s.best == math.inf


def test_reduce_on_plateau_nan_metric_is_not_an_improvement():
    s = ReduceLROnPlateau(1.0, patience=0)
    s.step(1.0)
    assert s.step(float("nan")) == pytest.approx(0.1)


# ---------------------------------------------------------------------------- helpers, drivers

def test_schedule_values_hand_worked():
    values = schedule_values(StepDecay(1.0, step_size=2, gamma=0.5), 5)
    assert values.dtype == np.float64 and values.shape == (5,)
    np.testing.assert_array_equal(values, [1.0, 1.0, 0.5, 0.5, 0.25])


def test_schedules_accept_numpy_integer_steps():
    s = StepDecay(1.0, 2, 0.5)
    assert s(np.int64(4)) == 0.25


def test_schedules_are_frozen_with_an_automatic_repr():
    s = StepDecay(0.1, 30)
    assert repr(s) == "StepDecay(lr0=0.1, step_size=30, gamma=0.1)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.gamma = 0.5
    assert isinstance(StepDecay(1, 2).lr0, float)  # arguments are converted when checked


class _StubOptimizer:
    lr = 123.0  # anything with a settable lr attribute


@pytest.mark.parametrize("schedule, make_torch", [
    (CosineAnnealing(0.1, 20, 1e-3), lambda o: tsched.CosineAnnealingLR(o, 20, 1e-3)),
    (StepDecay(0.1, 7, 0.5), lambda o: tsched.StepLR(o, 7, 0.5)),
])
def test_scheduled_lr_drives_a_duck_typed_optimizer_like_torch(schedule, make_torch):
    stub = _StubOptimizer()
    driver = ScheduledLR(stub, schedule)
    seen = [stub.lr]
    for _ in range(49):
        returned = driver.step()
        assert returned == stub.lr == driver.lr
        seen.append(stub.lr)
    assert driver.t == 49
    np.testing.assert_allclose(seen, torch_lrs(0.1, make_torch, 50), rtol=RTOL, atol=0)


@pytest.mark.parametrize("schedule, make_torch", [
    (CosineAnnealing(0.05, 30, 1e-3), lambda o: tsched.CosineAnnealingLR(o, 30, 1e-3)),
    (OneCycle(0.05, 60), lambda o: tsched.OneCycleLR(o, 0.05, total_steps=60, cycle_momentum=False)),
    (LinearWarmup(0.05, 10, 0.1, after=ExponentialDecay(0.05, 0.97)),
     lambda o: tsched.SequentialLR(o, [tsched.LinearLR(o, 0.1, 1.0, 10), tsched.ExponentialLR(o, 0.97)],
                                   milestones=[10])),
])
def test_scheduled_sgd_matches_torch_sgd_with_scheduler(schedule, make_torch, rng):
    from nnlesson.optim import SGD

    A = rng.normal(size=(8, 5))
    b = rng.normal(size=8)
    w0 = rng.normal(size=5)
    # least squares 0.5 * ||A w - b||^2 / n, gradient A^T (A w - b) / n
    p = Parameter(w0)
    opt = SGD([p], lr=1.0, momentum=0.9)
    driver = ScheduledLR(opt, schedule)

    tw = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    tA, tb = torch.tensor(A), torch.tensor(b)
    topt = torch.optim.SGD([tw], lr=0.05, momentum=0.9)
    tsch = make_torch(topt)
    for _ in range(59):
        p.grad[...] = A.T @ (A @ p.value - b) / len(b)
        opt.step()
        driver.step()
        topt.zero_grad()
        loss = 0.5 * ((tA @ tw - tb) ** 2).sum() / len(tb)
        loss.backward()
        topt.step()
        tsch.step()
        assert opt.lr == pytest.approx(topt.param_groups[0]["lr"], rel=RTOL)
    np.testing.assert_allclose(p.value, tw.detach().numpy(), rtol=RTOL, atol=1e-14)


# ---------------------------------------------------------------------------- bad inputs

BAD = [
    (lambda: StepDecay(0.0, 10), ValueError, "lr0 must be"),
    (lambda: StepDecay(-0.1, 10), ValueError, "lr0 must be"),
    (lambda: StepDecay(float("nan"), 10), ValueError, "lr0 must be"),
    (lambda: StepDecay("0.1", 10), TypeError, "lr0 must be"),
    (lambda: StepDecay(0.1, 0), ValueError, "step_size must be an integer >= 1"),
    (lambda: StepDecay(0.1, 2.5), TypeError, "step_size must be an integer"),
    (lambda: StepDecay(0.1, 10, gamma=0.0), ValueError, r"gamma must be a finite number in \(0, 1\]"),
    (lambda: StepDecay(0.1, 10, gamma=1.5), ValueError, "gamma must be"),
    (lambda: ExponentialDecay(0.1, 1.01), ValueError, "gamma must be"),
    (lambda: ExponentialDecay(0.0, 0.9), ValueError, "lr0 must be"),
    (lambda: NaturalExpDecay(0.1, -0.1), ValueError, "k must be a finite number >= 0"),
    (lambda: InverseTimeDecay(0.1, -1.0), ValueError, "k must be"),
    (lambda: InverseTimeDecay(-1.0, 0.1), ValueError, "lr0 must be"),
    (lambda: CosineAnnealing(0.1, 0), ValueError, "T_max must be an integer >= 1"),
    (lambda: CosineAnnealing(0.1, 10, eta_min=-1e-3), ValueError, "eta_min must be"),
    (lambda: CosineAnnealing(0.1, 10, eta_min=0.2), ValueError, r"eta_min must be a finite number in \[0, 0.1\]"),
    (lambda: CosineWarmRestarts(0.1, 0), ValueError, "T_0 must be"),
    (lambda: CosineWarmRestarts(0.1, 10, T_mult=0), ValueError, "T_mult must be"),
    (lambda: CosineWarmRestarts(0.1, 10, T_mult=1.5), TypeError, "T_mult must be"),
    (lambda: CosineWarmRestarts(0.1, 10, eta_min=1.0), ValueError, "eta_min must be"),
    (lambda: OneCycle(0.0, 100), ValueError, "max_lr must be"),
    (lambda: OneCycle(0.1, 1), ValueError, "total_steps must be an integer >= 2"),
    (lambda: OneCycle(0.1, 100, pct_start=0.0), ValueError, r"pct_start must be a finite number in \(0, 1\)"),
    (lambda: OneCycle(0.1, 100, pct_start=1.0), ValueError, "pct_start must be"),
    (lambda: OneCycle(0.1, 3, pct_start=0.3), ValueError, r"pct_start \* total_steps must be > 1"),
    (lambda: OneCycle(0.1, 100, pct_start=0.6, three_phase=True), ValueError,
     "pct_start must be <= 0.5 when three_phase=True"),
    (lambda: OneCycle(0.1, 100, div_factor=0.0), ValueError, "div_factor must be"),
    (lambda: OneCycle(0.1, 100, final_div_factor=-1.0), ValueError, "final_div_factor must be"),
    (lambda: OneCycle(0.1, 100, anneal_strategy="exp"), ValueError, "anneal_strategy must be one of"),
    (lambda: OneCycle(0.1, 100, three_phase="yes"), TypeError, "three_phase must be True or False"),
    (lambda: OneCycle(0.1, 100, base_momentum=1.0), ValueError, "base_momentum must be"),
    (lambda: OneCycle(0.1, 100, base_momentum=0.9, max_momentum=0.8), ValueError,
     r"max_momentum must be a finite number in \[0.9, 1\)"),
    (lambda: LinearWarmup(0.1, 0), ValueError, "warmup_steps must be an integer >= 1"),
    (lambda: LinearWarmup(0.1, 10, start_factor=0.0), ValueError, "start_factor must be"),
    (lambda: LinearWarmup(0.1, 10, start_factor=1.5), ValueError, "start_factor must be"),
    (lambda: LinearWarmup(0.1, 10, after=3.0), TypeError, "after must be None or a schedule"),
    (lambda: LinearWarmup(0.1, 10, end_factor=-0.1), ValueError,
     r"end_factor must be a finite number in \[0, 1\], got -0.1"),
    (lambda: LinearWarmup(0.1, 10, end_factor=1.5), ValueError, "end_factor must be"),
    (lambda: LinearWarmup(0.1, 10, end_factor="1"), TypeError, "end_factor must be"),
    (lambda: ReduceLROnPlateau(0.0), ValueError, "lr0 must be"),
    (lambda: ReduceLROnPlateau(0.1, mode="lowest"), ValueError, "mode must be one of 'min', 'max'"),
    (lambda: ReduceLROnPlateau(0.1, factor=1.0), ValueError, r"factor must be a finite number in \(0, 1\)"),
    (lambda: ReduceLROnPlateau(0.1, patience=-1), ValueError, "patience must be an integer >= 0"),
    (lambda: ReduceLROnPlateau(0.1, threshold=-0.1), ValueError, "threshold must be"),
    (lambda: ReduceLROnPlateau(0.1, threshold_mode="relative"), ValueError, "threshold_mode must be one of"),
    (lambda: ReduceLROnPlateau(0.1, cooldown=-2), ValueError, "cooldown must be"),
    (lambda: ReduceLROnPlateau(0.1, min_lr=-1e-3), ValueError, "min_lr must be"),
    (lambda: ReduceLROnPlateau(0.1, min_lr=0.5), ValueError, "min_lr must be"),
    (lambda: ReduceLROnPlateau(0.1, eps=-1.0), ValueError, "eps must be"),
    (lambda: ReduceLROnPlateau(0.1).step("low"), TypeError, "metric must be a real number"),
    (lambda: StepDecay(0.1, 10)(-1), ValueError, "t must be an integer >= 0"),
    (lambda: CosineAnnealing(0.1, 10)(1.5), TypeError, "t must be an integer"),
    (lambda: OneCycle(0.1, 100)(101), ValueError, r"t must be an integer in \[0, total_steps=100\]"),
    (lambda: OneCycle(0.1, 100).momentum(-1), ValueError, "t must be"),
    (lambda: ScheduledLR(object(), StepDecay(0.1, 10)), TypeError, "optimizer must have a settable lr"),
    (lambda: ScheduledLR(_StubOptimizer(), 0.1), TypeError, "schedule must be a callable"),
    (lambda: schedule_values(StepDecay(0.1, 10), 0), ValueError, "n_steps must be an integer >= 1"),
    (lambda: schedule_values([0.1, 0.2], 2), TypeError, "schedule must be a callable"),
]


@pytest.mark.parametrize("make, error, match", BAD)
def test_bad_inputs_are_rejected_with_a_clear_message(make, error, match):
    with pytest.raises(error, match=match):
        make()
