"""Optimizers against torch.optim (float64, rtol 1e-10 over 200 steps) and hand-worked values."""
import inspect
import itertools
import math

import numpy as np
import pytest
import torch

from nnlesson.core import Parameter
from nnlesson.optim import (
    OPTIMIZERS,
    SGD,
    Adagrad,
    Adam,
    AdamW,
    Momentum,
    RMSprop,
    adagrad_update,
    adam_update,
    ema_to_classical_lr,
    gd_update,
    momentum_update,
    rmsprop_update,
    sgd_update,
)

SHAPES = [(5, 3), (3,), (4, 2, 2)]
STEPS = 200
RTOL, ATOL = 1e-10, 1e-13


def run_both(make_ours, make_torch, *, steps=STEPS, dtype=np.float64, seed=0, lr_at=None):
    """Train our optimizer and torch's from the same start on the same random gradients.

    The gradient scale changes from step to step (so AMSGrad's running maximum matters).
    ``lr_at`` maps a step index to a new learning rate, set on both before that step.
    """
    rng = np.random.default_rng(seed)
    start = [rng.normal(size=shape).astype(dtype) for shape in SHAPES]
    ours = [Parameter(w) for w in start]
    theirs = [torch.tensor(w, requires_grad=True) for w in start]
    opt, topt = make_ours(ours), make_torch(theirs)
    for t in range(steps):
        if lr_at and t in lr_at:
            opt.lr = lr_at[t]
            for group in topt.param_groups:
                group["lr"] = lr_at[t]
        scale = math.exp(rng.normal())
        for p, tp in zip(ours, theirs):
            g = (scale * rng.normal(size=p.shape)).astype(dtype)
            p.grad[...] = g
            tp.grad = torch.tensor(g)
        opt.step()
        topt.step()
    return opt, topt, ours, theirs


def assert_same_as_torch(opt, topt, ours, theirs, rtol=RTOL, atol=ATOL):
    """Parameters and every state buffer (same key names as torch) agree."""
    for p, tp, state in zip(ours, theirs, opt.state):
        np.testing.assert_allclose(p.value, tp.detach().numpy(), rtol=rtol, atol=atol)
        tstate = topt.state[tp]
        assert set(state) - {"step"} == set(tstate) - {"step"}
        assert state["step"] == opt.step_count
        for key, value in tstate.items():
            if key == "step":
                assert state["step"] == int(value.item())
            else:
                assert state[key].dtype == p.value.dtype
                np.testing.assert_allclose(state[key], value.numpy(), rtol=rtol, atol=atol,
                                           err_msg=key)


# ---------------------------------------------------------------- classes against torch.optim

def _sgd_grid():
    for momentum, dampening, nesterov, wd in itertools.product(
            [0.0, 0.9], [0.0, 0.3], [False, True], [0.0, 0.1]):
        if nesterov and (momentum == 0 or dampening != 0):
            continue
        yield dict(lr=0.05, momentum=momentum, dampening=dampening, nesterov=nesterov,
                   weight_decay=wd)


@pytest.mark.parametrize("kw", list(_sgd_grid()), ids=str)
def test_sgd_matches_torch(kw):
    assert_same_as_torch(*run_both(lambda p: SGD(p, **kw), lambda p: torch.optim.SGD(p, **kw)))


@pytest.mark.parametrize("kw", [
    dict(lr=0.1, lr_decay=d, weight_decay=wd, initial_accumulator_value=a)
    for d, wd, a in itertools.product([0.0, 0.05], [0.0, 0.1], [0.0, 0.5])
] + [dict(lr=0.1, eps=1e-2), dict(lr=0.1, eps=1e-2, lr_decay=0.05, weight_decay=0.1)], ids=str)
def test_adagrad_matches_torch(kw):
    assert_same_as_torch(*run_both(lambda p: Adagrad(p, **kw),
                                   lambda p: torch.optim.Adagrad(p, foreach=False, **kw)))


@pytest.mark.parametrize("kw", [
    dict(lr=0.01, alpha=a, momentum=m, centered=c, weight_decay=wd)
    for a, m, c, wd in itertools.product([0.99, 0.8], [0.0, 0.9], [False, True], [0.0, 0.1])
] + [dict(lr=0.01, eps=1e-3), dict(lr=0.01, eps=1e-3, centered=True, momentum=0.5)], ids=str)
def test_rmsprop_matches_torch(kw):
    assert_same_as_torch(*run_both(lambda p: RMSprop(p, **kw),
                                   lambda p: torch.optim.RMSprop(p, foreach=False, **kw)))


@pytest.mark.parametrize("kw", [
    dict(lr=0.01, betas=b, weight_decay=wd, amsgrad=ams)
    for b, wd, ams in itertools.product([(0.9, 0.999), (0.5, 0.8)], [0.0, 0.1], [False, True])
] + [dict(lr=0.01, eps=1e-3), dict(lr=0.01, eps=1e-3, amsgrad=True, weight_decay=0.1)], ids=str)
def test_adam_matches_torch(kw):
    assert_same_as_torch(*run_both(lambda p: Adam(p, **kw),
                                   lambda p: torch.optim.Adam(p, foreach=False, **kw)))


@pytest.mark.parametrize("kw", [
    dict(lr=0.01, betas=b, weight_decay=wd, amsgrad=ams)
    for b, wd, ams in itertools.product([(0.9, 0.999), (0.5, 0.8)], [0.0, 0.3], [False, True])
] + [dict(lr=0.02)], ids=str)
def test_adamw_matches_torch(kw):
    assert_same_as_torch(*run_both(lambda p: AdamW(p, **kw),
                                   lambda p: torch.optim.AdamW(p, foreach=False, **kw)))


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_ema_momentum_is_torch_sgd_with_scaled_lr(beta):
    """EMA momentum with lr = PyTorch SGD(momentum=beta) with lr * (1 - beta); v = (1 - beta) buf."""
    lr = 0.1
    assert ema_to_classical_lr(lr, beta) == pytest.approx(lr * (1 - beta), rel=1e-15)
    opt, topt, ours, theirs = run_both(
        lambda p: Momentum(p, lr=lr, beta=beta),
        lambda p: torch.optim.SGD(p, lr=ema_to_classical_lr(lr, beta), momentum=beta))
    for p, tp, state in zip(ours, theirs, opt.state):
        np.testing.assert_allclose(p.value, tp.detach().numpy(), rtol=RTOL, atol=ATOL)
        assert state["step"] == STEPS
        if beta > 0:
            buf = topt.state[tp]["momentum_buffer"].numpy()
            np.testing.assert_allclose(state["velocity"], (1 - beta) * buf, rtol=RTOL, atol=ATOL)


def test_momentum_update_rule_against_torch_sgd():
    """The pure rules, chained by hand, against torch: EMA form and PyTorch form (buf=None first)."""
    rng = np.random.default_rng(3)
    lr, beta = 0.05, 0.8
    w_ema = w_sgd = rng.normal(size=(4, 3))
    v, buf = None, None
    t_ema = torch.tensor(w_ema, requires_grad=True)
    t_sgd = torch.tensor(w_sgd, requires_grad=True)
    o_ema = torch.optim.SGD([t_ema], lr=ema_to_classical_lr(lr, beta), momentum=beta)
    o_sgd = torch.optim.SGD([t_sgd], lr=lr, momentum=beta, dampening=0.2, weight_decay=0.01)
    for _ in range(STEPS):
        g = rng.normal(size=w_ema.shape)
        w_ema, v = momentum_update(w_ema, g, v, lr=lr, beta=beta)
        w_sgd, buf = sgd_update(w_sgd, g, buf, lr=lr, momentum=beta, dampening=0.2,
                                weight_decay=0.01)
        t_ema.grad, t_sgd.grad = torch.tensor(g), torch.tensor(g)
        o_ema.step()
        o_sgd.step()
    np.testing.assert_allclose(w_ema, t_ema.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(w_sgd, t_sgd.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(buf, o_sgd.state[t_sgd]["momentum_buffer"].numpy(), rtol=RTOL,
                               atol=ATOL)


def test_gd_update_is_torch_sgd_without_momentum():
    rng = np.random.default_rng(4)
    w = rng.normal(size=(3, 2))
    tw = torch.tensor(w, requires_grad=True)
    topt = torch.optim.SGD([tw], lr=0.3)
    for _ in range(STEPS):
        g = rng.normal(size=w.shape)
        w = gd_update(w, g, lr=0.3)
        tw.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(w, tw.detach().numpy(), rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------- learning rate between steps

@pytest.mark.parametrize("name, ours, theirs", [
    ("sgd", lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    ("adagrad", lambda p: Adagrad(p, lr=0.1, lr_decay=0.01),
     lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01, foreach=False)),
    ("rmsprop", lambda p: RMSprop(p, lr=0.01, momentum=0.5, centered=True),
     lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True, foreach=False)),
    ("adamw", lambda p: AdamW(p, lr=0.01, weight_decay=0.1),
     lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, foreach=False)),
])
def test_lr_can_change_between_steps(name, ours, theirs):
    result = run_both(ours, theirs, lr_at={50: 0.003, 120: 0.0, 150: 0.05})
    assert result[0].lr == 0.05
    assert_same_as_torch(*result)


def test_lr_setter_checks_the_value():
    opt = SGD([Parameter(np.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match="lr must be a finite number >= 0, got -0.1"):
        opt.lr = -0.1
    assert opt.lr == 0.1


# ---------------------------------------------------------------- float32

@pytest.mark.parametrize("ours, theirs", [
    (lambda p: SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01)),
    (lambda p: Momentum(p, lr=0.5, beta=0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    (lambda p: Adagrad(p, lr=0.1), lambda p: torch.optim.Adagrad(p, lr=0.1, foreach=False)),
    (lambda p: RMSprop(p, lr=0.01, centered=True, momentum=0.5),
     lambda p: torch.optim.RMSprop(p, lr=0.01, centered=True, momentum=0.5, foreach=False)),
    (lambda p: Adam(p, lr=0.01, amsgrad=True, weight_decay=0.01),
     lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True, weight_decay=0.01, foreach=False)),
    (lambda p: AdamW(p, lr=0.01), lambda p: torch.optim.AdamW(p, lr=0.01, foreach=False)),
], ids=["sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw"])
def test_float32_keeps_dtype_and_matches_torch_float32(ours, theirs):
    opt, topt, params, tparams = run_both(ours, theirs, steps=50, dtype=np.float32)
    for p, tp, state in zip(params, tparams, opt.state):
        assert p.value.dtype == np.float32 and p.grad.dtype == np.float32
        for key, value in state.items():
            if key != "step":
                assert value.dtype == np.float32, key
        np.testing.assert_allclose(p.value, tp.detach().numpy(), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- pure rules and inplace=True

def _rule_cases():
    rng = np.random.default_rng(7)

    def arr(shape=(4, 3), positive=False):
        a = rng.normal(size=shape)
        return np.abs(a) + 0.1 if positive else a

    w, g = arr(), arr()
    yield "gd", gd_update, (w, g), dict(lr=0.1)
    yield "sgd first step", sgd_update, (w, g, None), dict(lr=0.1, momentum=0.9, weight_decay=0.1)
    yield "sgd nesterov", sgd_update, (w, g, arr()), dict(lr=0.1, momentum=0.9, nesterov=True)
    yield "sgd dampening", sgd_update, (w, g, arr()), dict(lr=0.1, momentum=0.5, dampening=0.5)
    yield "momentum", momentum_update, (w, g, arr()), dict(lr=0.1, beta=0.9)
    yield "adagrad", adagrad_update, (w, g, arr(positive=True), 5), dict(
        lr=0.1, lr_decay=0.1, weight_decay=0.1)
    yield "rmsprop", rmsprop_update, (w, g, arr(positive=True) + 1.0), dict(
        lr=0.01, alpha=0.9, eps=1e-8, weight_decay=0.1, momentum=0.9, centered=True,
        momentum_buf=arr(), grad_avg=0.1 * arr())
    yield "adam amsgrad", adam_update, (w, g, arr(), arr(positive=True), 3), dict(
        lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1, amsgrad=True,
        v_max=arr(positive=True))
    yield "adamw", adam_update, (w, g, arr(), arr(positive=True), 3), dict(
        lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1, decoupled_weight_decay=True)
    yield "adam no bias correction", adam_update, (w, g, arr(), arr(positive=True), 1), dict(
        lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, bias_correction=False)


def _copy(x):
    return x.copy() if isinstance(x, np.ndarray) else x


def _arrays(result):
    return [r for r in (result if isinstance(result, tuple) else (result,)) if r is not None]


@pytest.mark.parametrize("name, rule, args, kwargs", list(_rule_cases()),
                         ids=[c[0] for c in _rule_cases()])
def test_rule_is_pure_and_inplace_gives_the_same_numbers(name, rule, args, kwargs):
    args_before = [_copy(a) for a in args]
    kwargs_before = {k: _copy(v) for k, v in kwargs.items()}
    pure = rule(*args, **kwargs)
    for a, before in zip(args, args_before):
        np.testing.assert_array_equal(a, before)
    for k, v in kwargs.items():
        np.testing.assert_array_equal(v, kwargs_before[k])
    # the results are new arrays, not views of the inputs
    inputs = [a for a in list(args) + list(kwargs.values()) if isinstance(a, np.ndarray)]
    for out in _arrays(pure):
        assert not any(np.shares_memory(out, a) for a in inputs)
    assert not np.array_equal(_arrays(pure)[0], args[0])  # w moved

    in_args = [_copy(a) for a in args]
    in_kwargs = {k: _copy(v) for k, v in kwargs.items()}
    result = rule(*in_args, **in_kwargs, inplace=True)
    for out_pure, out_inplace in zip(_arrays(pure), _arrays(result)):
        np.testing.assert_array_equal(out_pure, out_inplace)
    assert _arrays(result)[0] is in_args[0]  # w was written where it lives
    buffers = [a for a in in_args[2:] + list(in_kwargs.values()) if isinstance(a, np.ndarray)]
    for buf in buffers:  # every state buffer passed in is returned, updated in place
        assert any(buf is out for out in _arrays(result))


def test_pure_rule_accepts_integers_and_returns_float64():
    w = gd_update([1, 2], [1, 1], lr=0.5)
    assert w.dtype == np.float64
    np.testing.assert_array_equal(w, [0.5, 1.5])


# ---------------------------------------------------------------- hand-worked values

def test_adam_first_step_is_about_lr_per_weight():
    """t = 1: m_hat = g, v_hat = g^2, so w1 = w0 - lr * g / (|g| + eps)."""
    w0 = np.array([1.0, -2.0, 0.5, 3.0])
    g = np.array([0.3, -4.0, 1e-3, 250.0])
    lr, eps = 0.01, 1e-8
    w1, m, v, _ = adam_update(w0, g, np.zeros(4), np.zeros(4), 1, lr=lr, beta1=0.9,
                              beta2=0.999, eps=eps)
    np.testing.assert_allclose(w1, w0 - lr * g / (np.abs(g) + eps), rtol=1e-12)
    np.testing.assert_allclose(np.abs(w1 - w0), lr, rtol=1e-4)  # whatever the size of g
    np.testing.assert_allclose(m, 0.1 * g, rtol=1e-12)
    np.testing.assert_allclose(v, 0.001 * g * g, rtol=1e-12)


def test_adam_two_steps_with_and_without_bias_correction_by_hand():
    """g1 = 2, g2 = -1, lr = 0.1, betas (0.9, 0.999), eps = 1e-8, worked out by hand."""
    m1, v1 = 0.2, 0.004                       # 0.1 * 2, 0.001 * 4
    m2, v2 = 0.08, 0.004996                   # 0.9 * 0.2 - 0.1, 0.999 * 0.004 + 0.001
    plain = [0.1 * m1 / (math.sqrt(v1) + 1e-8), 0.1 * m2 / (math.sqrt(v2) + 1e-8)]
    corrected = [0.1 * (m1 / 0.1) / (math.sqrt(v1 / 0.001) + 1e-8),
                 0.1 * (m2 / 0.19) / (math.sqrt(v2 / 0.001999) + 1e-8)]
    for bias_correction, steps in [(False, plain), (True, corrected)]:
        p = Parameter(np.array([1.0]))
        opt = Adam([p], lr=0.1, bias_correction=bias_correction)
        for g, expected_step in zip([2.0, -1.0], steps):
            before = p.value[0]
            p.grad[:] = g
            opt.step()
            assert before - p.value[0] == pytest.approx(expected_step, rel=1e-12)
        assert opt.state[0]["exp_avg"][0] == pytest.approx(m2, rel=1e-12)
        assert opt.state[0]["exp_avg_sq"][0] == pytest.approx(v2, rel=1e-12)
    # the first step without correction: lr * 0.1 / sqrt(0.001) = 3.16 * lr for the default betas
    assert plain[0] == pytest.approx(0.1 * 0.1 / math.sqrt(0.001), rel=1e-6)


def test_adagrad_first_steps_by_hand():
    """sum = 1 + 9 = 10 after g = 3 (initial 1); step 2 has clr = lr / (1 + lr_decay)."""
    p = Parameter(np.array([0.0]))
    opt = Adagrad([p], lr=0.5, lr_decay=1.0, initial_accumulator_value=1.0, eps=1e-10)
    p.grad[:] = 3.0
    opt.step()
    assert p.value[0] == pytest.approx(-0.5 * 3.0 / (math.sqrt(10.0) + 1e-10), rel=1e-14)
    p.grad[:] = 4.0
    opt.step()
    expected = -0.5 * 3.0 / (math.sqrt(10.0) + 1e-10) - 0.25 * 4.0 / (math.sqrt(26.0) + 1e-10)
    assert p.value[0] == pytest.approx(expected, rel=1e-14)


# ---------------------------------------------------------------- the class machinery

def test_state_step_count_zero_grad_and_state_of():
    a, b = Parameter(np.ones((2, 2)), "a"), Parameter(np.ones(3), "b")
    opt = Adam([a, b], lr=0.1, amsgrad=True)
    assert opt.state_of(b) == {} and opt.step_count == 0
    for _ in range(3):
        a.grad[...] = 1.0
        b.grad[...] = -1.0
        opt.step()
    assert opt.step_count == 3
    assert set(opt.state_of(b)) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert opt.state_of(b) is opt.state[1] and opt.state_of(b)["step"] == 3
    opt.zero_grad()
    assert not a.grad.any() and not b.grad.any()
    with pytest.raises(ValueError, match="param must be one of"):
        opt.state_of(Parameter(np.ones(3)))


@pytest.mark.parametrize("cls, kwargs", [
    (SGD, dict(lr=0.2, momentum=0.5, dampening=0.0, weight_decay=0.1, nesterov=True)),
    (Momentum, dict(lr=0.2, beta=0.7)),
    (Adagrad, dict(lr=0.2, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.3,
                   eps=1e-6)),
    (RMSprop, dict(lr=0.2, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.5, centered=True)),
    (Adam, dict(lr=0.2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True,
                bias_correction=False)),
    (AdamW, dict(lr=0.2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True)),
])
def test_repr_and_hyperparameters_follow_the_constructor(cls, kwargs):
    opt = cls([Parameter(np.zeros(2))], **kwargs)
    assert opt.hyperparameters == kwargs
    text = repr(opt)
    assert text.startswith(f"{cls.__name__}(<1 parameters>")
    for key, value in kwargs.items():
        assert f"{key}={value!r}" in text


@pytest.mark.parametrize("name", ["sgd", "adagrad", "rmsprop", "adam", "adamw"])
def test_defaults_are_torch_defaults(name):
    ours = inspect.signature(OPTIMIZERS[name]).parameters
    theirs = inspect.signature(getattr(torch.optim, OPTIMIZERS[name].__name__)).parameters
    for arg, spec in ours.items():
        if arg in ("params", "bias_correction"):
            continue
        assert arg in theirs, arg
        assert spec.default == theirs[arg].default, arg


def test_optimizers_registry():
    assert OPTIMIZERS == {"sgd": SGD, "momentum": Momentum, "adagrad": Adagrad,
                          "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}


# ---------------------------------------------------------------- bad input

def _params():
    return [Parameter(np.zeros(3))]


@pytest.mark.parametrize("cls, kwargs, error, match", [
    (SGD, dict(lr=-0.1), ValueError, r"lr must be a finite number >= 0, got -0.1"),
    (SGD, dict(lr=float("nan")), ValueError, r"lr must be"),
    (SGD, dict(lr="0.1"), TypeError, r"lr must be"),
    (SGD, dict(momentum=-0.1), ValueError, r"momentum must be a finite number in \[0, 1\)"),
    (SGD, dict(momentum=1.0), ValueError, r"momentum must be"),
    (SGD, dict(dampening=-0.1), ValueError, r"dampening must be a finite number in \[0, 1\]"),
    (SGD, dict(dampening=1.5), ValueError, r"dampening must be"),
    (SGD, dict(weight_decay=-1.0), ValueError, r"weight_decay must be a finite number >= 0"),
    (SGD, dict(nesterov=True), ValueError, r"nesterov must be False unless momentum > 0"),
    (SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), ValueError,
     r"nesterov must be False unless .* dampening == 0"),
    (SGD, dict(nesterov="yes"), TypeError, r"nesterov must be True or False"),
    (Momentum, dict(lr=-1.0), ValueError, r"lr must be"),
    (Momentum, dict(lr=0.1, beta=1.0), ValueError, r"beta must be a finite number in \[0, 1\)"),
    (Momentum, dict(lr=0.1, beta=-0.5), ValueError, r"beta must be"),
    (Adagrad, dict(lr=-1.0), ValueError, r"lr must be"),
    (Adagrad, dict(lr_decay=-0.1), ValueError, r"lr_decay must be a finite number >= 0"),
    (Adagrad, dict(weight_decay=-0.1), ValueError, r"weight_decay must be"),
    (Adagrad, dict(initial_accumulator_value=-1.0), ValueError,
     r"initial_accumulator_value must be a finite number >= 0"),
    (Adagrad, dict(eps=0.0), ValueError, r"eps must be a finite number > 0"),
    (Adagrad, dict(eps=-1e-8), ValueError, r"eps must be"),
    (RMSprop, dict(lr=-1.0), ValueError, r"lr must be"),
    (RMSprop, dict(alpha=1.0), ValueError, r"alpha must be a finite number in \[0, 1\)"),
    (RMSprop, dict(alpha=-0.1), ValueError, r"alpha must be"),
    (RMSprop, dict(eps=0.0), ValueError, r"eps must be a finite number > 0"),
    (RMSprop, dict(weight_decay=-0.1), ValueError, r"weight_decay must be"),
    (RMSprop, dict(momentum=-0.1), ValueError, r"momentum must be"),
    (RMSprop, dict(momentum=1.0), ValueError, r"momentum must be"),
    (RMSprop, dict(centered=1), TypeError, r"centered must be True or False"),
    (Adam, dict(lr=-1.0), ValueError, r"lr must be"),
    (Adam, dict(betas=(1.0, 0.999)), ValueError, r"betas\[0\] must be a finite number in \[0, 1\)"),
    (Adam, dict(betas=(-0.1, 0.999)), ValueError, r"betas\[0\] must be"),
    (Adam, dict(betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be"),
    (Adam, dict(betas=0.9), TypeError, r"betas must be a pair"),
    (Adam, dict(betas=(0.9, 0.99, 0.999)), TypeError, r"betas must be a pair"),
    (Adam, dict(eps=0.0), ValueError, r"eps must be a finite number > 0"),
    (Adam, dict(weight_decay=-0.1), ValueError, r"weight_decay must be"),
    (Adam, dict(amsgrad="no"), TypeError, r"amsgrad must be True or False"),
    (Adam, dict(bias_correction=None), TypeError, r"bias_correction must be True or False"),
    (AdamW, dict(lr=-1.0), ValueError, r"lr must be"),
    (AdamW, dict(betas=(0.9, 1.5)), ValueError, r"betas\[1\] must be"),
    (AdamW, dict(eps=-1.0), ValueError, r"eps must be"),
    (AdamW, dict(weight_decay=-0.01), ValueError, r"weight_decay must be"),
    (AdamW, dict(amsgrad=0), TypeError, r"amsgrad must be"),
], ids=str)
def test_constructor_rejects_bad_arguments(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(_params(), **kwargs)


@pytest.mark.parametrize("cls", list(OPTIMIZERS.values()))
@pytest.mark.parametrize("make_params, error, match", [
    (lambda p: [], ValueError, r"params must be a non-empty list"),
    (lambda p: None, TypeError, r"params must be a list of Parameter"),
    (lambda p: p, TypeError, r"params must be a list of Parameter, got a single Parameter"),
    (lambda p: [p, np.zeros(3)], TypeError,
     r"params must hold only Parameter objects, got ndarray at index 1"),
    (lambda p: [p, p], ValueError, r"params must not list a Parameter twice"),
], ids=["empty", "none", "single", "array", "twice"])
def test_constructor_rejects_bad_params(cls, make_params, error, match):
    with pytest.raises(error, match=match):
        cls(make_params(Parameter(np.zeros(3))), lr=0.1)


@pytest.mark.parametrize("cls, kwargs, name, bad, error, match", [
    (SGD, dict(lr=0.1, momentum=0.9), "momentum", 1.5, ValueError, r"momentum must be"),
    (SGD, dict(lr=0.1, momentum=0.9), "dampening", -0.5, ValueError, r"dampening must be"),
    (SGD, dict(lr=0.1, momentum=0.9), "weight_decay", -1.0, ValueError, r"weight_decay must be"),
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True), "momentum", 0.0, ValueError,
     r"nesterov must be False unless momentum > 0"),
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True), "dampening", 0.1, ValueError,
     r"nesterov must be False unless .* dampening == 0"),
    (SGD, dict(lr=0.1), "nesterov", True, ValueError, r"nesterov must be False unless"),
    (Momentum, dict(lr=0.1), "beta", 1.0, ValueError, r"beta must be a finite number in \[0, 1\)"),
    (Momentum, dict(lr=0.1), "momentum", -0.1, ValueError, r"momentum must be"),
    (Adagrad, dict(), "eps", 0.0, ValueError, r"eps must be a finite number > 0"),
    (Adagrad, dict(), "lr_decay", float("inf"), ValueError, r"lr_decay must be"),
    (RMSprop, dict(), "alpha", 1.0, ValueError, r"alpha must be"),
    (RMSprop, dict(), "centered", "yes", TypeError, r"centered must be True or False"),
    (Adam, dict(), "betas", (0.9, 1.0), ValueError, r"betas\[1\] must be"),
    (Adam, dict(), "betas", 0.9, TypeError, r"betas must be a pair"),
    (Adam, dict(), "momentum", 1.0, ValueError, r"momentum must be a finite number in \[0, 1\)"),
    (Adam, dict(), "amsgrad", 1, TypeError, r"amsgrad must be True or False"),
    (AdamW, dict(), "weight_decay", -0.1, ValueError, r"weight_decay must be"),
    (AdamW, dict(), "lr", float("nan"), ValueError, r"lr must be"),
], ids=str)
def test_a_bad_value_set_after_construction_is_refused_where_it_is_set(cls, kwargs, name, bad,
                                                                        error, match):
    opt = cls(_params(), **kwargs)
    before = opt.hyperparameters
    with pytest.raises(error, match=match):
        setattr(opt, name, bad)
    assert opt.hyperparameters == before  # nothing changed, so step() still works
    opt.params[0].grad[...] = 1.0
    opt.step()


W, G = np.zeros((2, 3)), np.ones((2, 3))


@pytest.mark.parametrize("call, error, match", [
    (lambda: gd_update(W, G, lr=-1.0), ValueError, r"lr must be"),
    (lambda: gd_update(W, np.ones(3), lr=0.1), ValueError, r"g must have the shape of w \(2, 3\)"),
    (lambda: gd_update([0.0, 1.0], [1.0, 1.0], lr=0.1, inplace=True), TypeError,
     r"w must be a floating-point numpy array when inplace=True"),
    (lambda: gd_update(np.zeros(2, dtype=int), np.ones(2), lr=0.1, inplace=True), TypeError,
     r"w must be a floating-point numpy array"),
    (lambda: gd_update(W, G, lr=0.1, inplace="yes"), TypeError, r"inplace must be True or False"),
    (lambda: sgd_update(W, G, None, lr=0.1, nesterov=True), ValueError, r"nesterov must be"),
    (lambda: sgd_update(W, G, np.zeros(3), lr=0.1, momentum=0.9), ValueError,
     r"buf must have the shape of w"),
    (lambda: sgd_update(W, G, None, lr=0.1, dampening=2.0), ValueError, r"dampening must be"),
    (lambda: momentum_update(W, G, None, lr=0.1, beta=1.0), ValueError, r"beta must be"),
    (lambda: momentum_update(W, G, np.zeros(6), lr=0.1), ValueError, r"v must have the shape"),
    (lambda: ema_to_classical_lr(0.1, 1.0), ValueError, r"beta must be"),
    (lambda: ema_to_classical_lr(-0.1, 0.9), ValueError, r"lr must be"),
    (lambda: adagrad_update(W, G, W, 0, lr=0.1), ValueError, r"step must be an integer >= 1"),
    (lambda: adagrad_update(W, G, W, 1.5, lr=0.1), TypeError, r"step must be an integer"),
    (lambda: adagrad_update(W, G, W, 1, lr=0.1, eps=0.0), ValueError, r"eps must be"),
    (lambda: adagrad_update(W, G, W, 1, lr=0.1, lr_decay=-1.0), ValueError, r"lr_decay must be"),
    (lambda: adagrad_update(W, G, np.zeros(2), 1, lr=0.1), ValueError,
     r"state_sum must have the shape"),
    (lambda: rmsprop_update(W, G, W, lr=0.1, alpha=1.0, eps=1e-8), ValueError, r"alpha must be"),
    (lambda: rmsprop_update(W, G, W, lr=0.1, alpha=0.9, eps=1e-8, momentum=0.5,
                            momentum_buf=np.zeros(2)), ValueError, r"momentum_buf must have"),
    (lambda: rmsprop_update(W, G, W, lr=0.1, alpha=0.9, eps=1e-8, centered=True,
                            grad_avg=np.zeros(2)), ValueError, r"grad_avg must have"),
    (lambda: adam_update(W, G, W, W, 0, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8), ValueError,
     r"step must be an integer >= 1"),
    (lambda: adam_update(W, G, W, W, 1, lr=0.1, beta1=1.0, beta2=0.999, eps=1e-8), ValueError,
     r"beta1 must be a finite number in \[0, 1\)"),
    (lambda: adam_update(W, G, W, W, 1, lr=0.1, beta1=0.9, beta2=-0.1, eps=1e-8), ValueError,
     r"beta2 must be"),
    (lambda: adam_update(W, G, W, W, 1, lr=0.1, beta1=0.9, beta2=0.9, eps=0.0), ValueError,
     r"eps must be"),
    (lambda: adam_update(W, G, np.zeros(2), W, 1, lr=0.1, beta1=0.9, beta2=0.9, eps=1e-8),
     ValueError, r"m must have the shape"),
    (lambda: adam_update(W, G, W, W, 1, lr=0.1, beta1=0.9, beta2=0.9, eps=1e-8, amsgrad=True,
                         v_max=np.zeros(2)), ValueError, r"v_max must have the shape"),
    (lambda: adam_update(W, G, W, W, 1, lr=0.1, beta1=0.9, beta2=0.9, eps=1e-8,
                         bias_correction=1), TypeError, r"bias_correction must be"),
], ids=lambda x: x if isinstance(x, str) else None)
def test_rules_reject_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- the momentum property

@pytest.mark.parametrize("make, read", [
    (lambda p: SGD(p, lr=0.1, momentum=0.8), lambda o: o.momentum),
    (lambda p: RMSprop(p, momentum=0.8), lambda o: o.momentum),
    (lambda p: Momentum(p, lr=0.1, beta=0.8), lambda o: o.beta),
    (lambda p: Adam(p, betas=(0.8, 0.99)), lambda o: o.betas[0]),
    (lambda p: AdamW(p, betas=(0.8, 0.99)), lambda o: o.betas[0]),
], ids=["sgd", "rmsprop", "momentum", "adam", "adamw"])
def test_momentum_is_one_name_for_every_momentum_like_coefficient(make, read):
    opt = make(_params())
    assert opt.momentum == read(opt) == 0.8
    opt.momentum = 0.6
    assert read(opt) == 0.6 and opt.momentum == 0.6
    if isinstance(opt, Adam):
        assert opt.betas == (0.6, 0.99)  # beta2 is kept


def test_setting_momentum_between_steps_matches_torch_changing_its_beta1():
    """A one-cycle schedule sets beta1 between steps; torch's param_groups do the same."""
    def set_both(opt, topt, value):
        opt.momentum = value
        topt.param_groups[0]["betas"] = (value, 0.999)

    rng = np.random.default_rng(11)
    start = rng.normal(size=(3, 2))
    p, tp = Parameter(start), torch.tensor(start, requires_grad=True)
    opt, topt = Adam([p], lr=0.01), torch.optim.Adam([tp], lr=0.01, foreach=False)
    for t in range(60):
        set_both(opt, topt, 0.85 + 0.1 * math.sin(t / 5))
        g = rng.normal(size=start.shape)
        p.grad[...] = g
        tp.grad = torch.tensor(g)
        opt.step()
        topt.step()
    np.testing.assert_allclose(p.value, tp.detach().numpy(), rtol=RTOL, atol=ATOL)


def test_adagrad_has_no_momentum():
    assert not hasattr(Adagrad(_params()), "momentum")


# ---------------------------------------------------------------- RULES: check once, then step

def _torch_rule_cases():
    yield "gd", {"lr": 0.1}, lambda p: torch.optim.SGD(p, lr=0.1)
    yield "sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}, \
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)
    yield "momentum", {"lr": 0.5, "beta": 0.9}, lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)
    yield "adagrad", {"lr": 0.1, "lr_decay": 0.01, "eps": 1e-6}, \
        lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01, eps=1e-6, foreach=False)
    yield "rmsprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-8, "momentum": 0.5, "centered": True}, \
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, centered=True,
                                      foreach=False)
    yield "adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8, "amsgrad": True}, \
        lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), amsgrad=True, foreach=False)
    yield "adamw", {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.1}, \
        lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, foreach=False)


@pytest.mark.parametrize("name, hyperparameters, make_torch", list(_torch_rule_cases()),
                         ids=[c[0] for c in _torch_rule_cases()])
def test_rules_step_like_torch_after_one_check(name, hyperparameters, make_torch):
    from nnlesson.optim import RULES

    rule = RULES[name]
    rng = np.random.default_rng(5)
    w = rng.normal(size=(4, 3))
    tw = torch.tensor(w, requires_grad=True)
    topt = make_torch([tw])
    h = rule.check(hyperparameters)
    state = rule.initial_state(w)
    for t in range(1, STEPS + 1):
        g = math.exp(rng.normal()) * rng.normal(size=w.shape)
        w, *state = rule.step(w, g, state, t, h)
        tw.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(w, tw.detach().numpy(), rtol=RTOL, atol=ATOL)
    assert len(state) == len(rule.state) == len(rule.initial)


def test_rules_describe_the_public_functions():
    from nnlesson.optim import RULES

    assert set(RULES) == {"gd", "sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw"}
    for rule in RULES.values():
        params = list(inspect.signature(rule.update).parameters)
        positional = params[2:2 + rule.positional]  # after w, g
        assert tuple(positional) == rule.state[:rule.positional]
        assert (params[2 + rule.positional] == "step") == rule.takes_step
        assert set(rule.state[rule.positional:]) <= set(params)  # keyword buffers
    assert RULES["adam"].hyperparameter_names() == (
        "lr", "beta1", "beta2", "eps", "weight_decay", "decoupled_weight_decay", "amsgrad",
        "bias_correction")


@pytest.mark.parametrize("name, hyperparameters, error, match", [
    ("adam", {"lr": 0.1, "beta1": 0.9, "beta2": 0.999}, TypeError,
     r"hyperparameters of 'adam' must include eps; got \['beta1', 'beta2', 'lr'\]"),
    ("momentum", {"beta": 0.9}, TypeError, r"hyperparameters of 'momentum' must include lr"),
    ("momentum", {"lr": 0.1, "betta": 0.9}, TypeError,
     r"hyperparameters of 'momentum' must be among lr, beta; got 'betta'"),
    ("adamw", {"lr": 0.1, "beta1": 0.9, "beta2": 0.9, "eps": 1e-8,
               "decoupled_weight_decay": False}, TypeError, r"got 'decoupled_weight_decay'"),
    ("sgd", {"lr": 0.1, "inplace": True}, TypeError, r"must be among .*; got 'inplace'"),
    ("rmsprop", {"lr": 0.1, "alpha": 1.0, "eps": 1e-8}, ValueError, r"alpha must be"),
    ("sgd", {"lr": -0.1}, ValueError, r"lr must be a finite number >= 0, got -0.1"),
    ("gd", [("lr", 0.1)], TypeError, r"hyperparameters must be a dict"),
], ids=str)
def test_rule_check_rejects_bad_hyperparameters(name, hyperparameters, error, match):
    from nnlesson.optim import RULES

    with pytest.raises(error, match=match):
        RULES[name].check(hyperparameters)
