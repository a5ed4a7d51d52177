"""The runner against torch.optim: the same surfaces written in torch, their gradients by
autograd, every route into the loop (a rule by name, a student's function, an optimizer class
or factory), schedules, clipping, mini-batch gradients; the divergence rule at its documented
step; bad input."""
import math

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as tsched

from nnlesson.clip import Clipping
from nnlesson.course.runner import DIVERGED_NORM, OptimizerPath, run
from nnlesson.course.surfaces import Beale, Bowl, Ravine, Rosenbrock, Saddle
from nnlesson.optim import SGD, Adam, RMSprop
from nnlesson.schedules import CosineAnnealing, OneCycle, StepDecay

RTOL, ATOL = 1e-10, 1e-12


def torch_f(surface, w):
    """The surfaces written again in torch, for autograd."""
    x, y = w[..., 0], w[..., 1]
    if isinstance(surface, Bowl):
        return 0.5 * (x**2 + y**2)
    if isinstance(surface, Ravine):
        return 0.5 * (surface.a * x**2 + surface.b * y**2)
    if isinstance(surface, Rosenbrock):
        return (surface.a - x) ** 2 + surface.b * (y - x**2) ** 2
    if isinstance(surface, Beale):
        return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2
                + (2.625 - x + x * y**3) ** 2)
    if isinstance(surface, Saddle):
        return x**2 - y**2
    raise AssertionError(surface)


def torch_path(surface, n_steps, make_optimizer, start=None, make_scheduler=None,
               clip_norm=None, clip_value=None, record=()):
    """The textbook torch loop: zero_grad, f(w).backward(), clip, step, scheduler.step()."""
    start = surface.default_start if start is None else start
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer([w])
    sched = make_scheduler(opt) if make_scheduler else None
    out = {"points": [w.detach().clone().numpy()], "lrs": [], "norms": [], "grads": [],
           "clipped": []}
    out.update({key: [] for key in record})
    for _ in range(n_steps):
        opt.zero_grad()
        torch_f(surface, w).backward()
        out["grads"].append(w.grad.clone().numpy())
        out["norms"].append(torch.linalg.vector_norm(w.grad).item())
        if clip_norm is not None:
            torch.nn.utils.clip_grad_norm_([w], clip_norm)
        if clip_value is not None:
            torch.nn.utils.clip_grad_value_([w], clip_value)
        out["clipped"].append(w.grad.clone().numpy())
        out["lrs"].append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None:
            sched.step()
        out["points"].append(w.detach().clone().numpy())
        for key in record:
            out[key].append(opt.state[w][key].clone().numpy())
    return {k: np.array(v) for k, v in out.items()}


def assert_same_path(path, ref, n_steps):
    assert isinstance(path, OptimizerPath) and not path.diverged
    assert path.points.shape == (n_steps + 1, 2)
    np.testing.assert_allclose(path.points, ref["points"], rtol=RTOL, atol=ATOL)


# --------------------------------------------------------------------------- rules by name


RULE_CASES = [
    ("gd", {}, 0.01, Ravine(), lambda p: torch.optim.SGD(p, lr=0.01)),
    ("sgd", {"momentum": 0.9}, 1e-3, Rosenbrock(),
     lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9)),
    ("sgd", {"momentum": 0.5, "nesterov": True, "weight_decay": 0.01}, 1e-3, Beale(),
     lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.5, nesterov=True, weight_decay=0.01)),
    ("sgd", {"momentum": 0.8, "dampening": 0.8}, 0.1, Bowl(),
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.8, dampening=0.8)),
    # EMA momentum with lr is torch's classical form with lr * (1 - beta)
    ("momentum", {"beta": 0.9}, 0.06, Ravine(),
     lambda p: torch.optim.SGD(p, lr=0.06 * (1 - 0.9), momentum=0.9)),
    ("adagrad", {"lr_decay": 0.01}, 0.5, Beale(),
     lambda p: torch.optim.Adagrad(p, lr=0.5, lr_decay=0.01, foreach=False)),
    ("rmsprop", {"alpha": 0.9, "eps": 1e-8}, 0.01, Ravine(),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, foreach=False)),
    ("rmsprop", {"alpha": 0.99, "eps": 1e-6, "momentum": 0.5, "centered": True}, 1e-3,
     Rosenbrock(), lambda p: torch.optim.RMSprop(p, lr=1e-3, eps=1e-6, momentum=0.5,
                                                 centered=True, foreach=False)),
    ("adam", {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, 0.05, Beale(),
     lambda p: torch.optim.Adam(p, lr=0.05, foreach=False)),
    ("adam", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-8, "amsgrad": True, "weight_decay": 0.1},
     0.02, Rosenbrock(), lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), amsgrad=True,
                                                    weight_decay=0.1, foreach=False)),
    ("adamw", {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.5}, 0.05, Beale(),
     lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.5, foreach=False)),
]


@pytest.mark.parametrize("name, hp, lr, surface, make_torch", RULE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(RULE_CASES)])
def test_a_rule_by_name_follows_torch(name, hp, lr, surface, make_torch):
    path = run(surface, name, lr=lr, hyperparameters=hp, n_steps=300)
    ref = torch_path(surface, 300, make_torch)
    assert_same_path(path, ref, 300)
    np.testing.assert_allclose(path.values, surface.value(ref["points"]), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(path.grads, ref["grads"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(path.grad_norms, ref["norms"], rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(path.clipped_grads, path.grads)  # no clipping
    assert path.lrs.shape == (300,) and np.all(path.lrs == lr)


def test_adam_state_recorded_at_every_step_is_torchs():
    surface = Beale()
    path = run(surface, "adam", lr=0.05, hyperparameters={"beta1": 0.9, "beta2": 0.999,
                                                          "eps": 1e-8},
               n_steps=100, record_state=True)
    ref = torch_path(surface, 100, lambda p: torch.optim.Adam(p, lr=0.05, foreach=False),
                     record=("exp_avg", "exp_avg_sq"))
    assert set(path.state) == {"m", "v"}  # v_max is not used without amsgrad
    np.testing.assert_allclose(path.state["m"], ref["exp_avg"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(path.state["v"], ref["exp_avg_sq"], rtol=RTOL, atol=1e-15)


# --------------------------------------------------------------------------- a student's function


def ema_momentum(w, g, v, lr, beta):
    """How a student writes lesson 04's rule (returns new arrays)."""
    v = beta * v + (1 - beta) * g
    return w - lr * v, v


def heavy_ball(w, g, buf, lr, momentum):
    """PyTorch's classical momentum, buf = None on the first step."""
    buf = g.copy() if buf is None else momentum * buf + g
    return w - lr * buf, buf


def textbook_adam(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def student_rmsprop(w, g, s, lr=0.01, beta=0.99, eps=1e-8):
    s = beta * s + (1 - beta) * g * g
    return w - lr * g / (np.sqrt(s) + eps), s


def plain_gd(w, g, lr):
    return w - lr * g


@pytest.mark.parametrize("name, update, hp, lr, surface, make_torch", [
    ("momentum", ema_momentum, {"beta": 0.9}, 0.06, Ravine(),
     lambda p: torch.optim.SGD(p, lr=0.06 * 0.1, momentum=0.9)),
    ("sgd", heavy_ball, {"momentum": 0.9}, 1e-3, Rosenbrock(),
     lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9)),
    ("adam", textbook_adam, {"beta1": 0.9, "beta2": 0.999}, 0.05, Beale(),
     lambda p: torch.optim.Adam(p, lr=0.05, foreach=False)),
    ("rmsprop", student_rmsprop, {"beta": 0.9}, 0.01, Beale(),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, foreach=False)),
    ("gd", plain_gd, {}, 0.01, Ravine(), lambda p: torch.optim.SGD(p, lr=0.01)),
], ids=["momentum", "sgd", "adam", "rmsprop", "gd"])
def test_a_students_function_in_the_rule_interface_follows_torch(name, update, hp, lr, surface,
                                                                  make_torch):
    path = run(surface, name, update=update, lr=lr, hyperparameters=hp, n_steps=200,
               record_state=True)
    ref = torch_path(surface, 200, make_torch)
    # the student's arithmetic is ordered differently from torch's: a little more rounding
    np.testing.assert_allclose(path.points, ref["points"], rtol=1e-9, atol=1e-12)
    assert set(path.state) == set({"momentum": {"v"}, "sgd": {"buf"}, "adam": {"m", "v"},
                                   "rmsprop": {"square_avg"}, "gd": set()}[name])


def test_a_students_function_sees_the_step_number_and_its_state():
    seen = []

    def spy(w, g, state_sum, step, lr):
        seen.append((step, state_sum.copy()))
        return w - lr * g, state_sum + g * g

    path = run(Bowl(), "adagrad", update=spy, lr=0.1, n_steps=3, start=(1.0, 2.0))
    assert [s for s, _ in seen] == [1, 2, 3]
    np.testing.assert_array_equal(seen[0][1], [0.0, 0.0])  # AdaGrad's sum starts at zero
    np.testing.assert_allclose(seen[1][1], [1.0, 4.0])     # g at the start is (1, 2)
    np.testing.assert_allclose(path.points[1], [0.9, 1.8])


# --------------------------------------------------------------------------- optimizers


@pytest.mark.parametrize("make, make_torch", [
    (lambda: dict(rule=Adam, lr=0.05, hyperparameters={"betas": (0.8, 0.99)}),
     lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.99), foreach=False)),
    (lambda: dict(rule=RMSprop, lr=0.01, hyperparameters={"centered": True}),
     lambda p: torch.optim.RMSprop(p, lr=0.01, centered=True, foreach=False)),
    (lambda: dict(rule=lambda params: SGD(params, lr=1e-3, momentum=0.9, nesterov=True)),
     lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9, nesterov=True)),
], ids=["Adam class", "RMSprop class", "SGD factory"])
def test_an_optimizer_class_or_factory_follows_torch(make, make_torch):
    path = run(Beale(), n_steps=200, record_state=True, **make())
    ref = torch_path(Beale(), 200, make_torch)
    assert_same_path(path, ref, 200)
    assert path.state  # PyTorch's keys: exp_avg, square_avg, momentum_buffer


def test_a_class_without_lr_uses_its_default():
    path = run(Beale(), Adam, n_steps=20)
    assert np.all(path.lrs == 1e-3)
    assert_same_path(path, torch_path(Beale(), 20, lambda p: torch.optim.Adam(p, foreach=False)),
                     20)


# --------------------------------------------------------------------------- schedules


@pytest.mark.parametrize("rule, schedule, make_torch, make_sched", [
    ("sgd", CosineAnnealing(2e-3, T_max=150),
     lambda p: torch.optim.SGD(p, lr=2e-3, momentum=0.9),
     lambda o: tsched.CosineAnnealingLR(o, T_max=150)),
    ("adam", OneCycle(max_lr=0.1, total_steps=150),
     lambda p: torch.optim.Adam(p, lr=0.1, foreach=False),
     lambda o: tsched.OneCycleLR(o, max_lr=0.1, total_steps=150, cycle_momentum=False)),
    (SGD, StepDecay(0.002, step_size=40, gamma=0.5),
     lambda p: torch.optim.SGD(p, lr=0.002),
     lambda o: tsched.StepLR(o, step_size=40, gamma=0.5)),
], ids=["sgd cosine", "adam one-cycle", "SGD class step decay"])
def test_a_schedule_sets_each_update_like_a_torch_scheduler(rule, schedule, make_torch,
                                                            make_sched):
    hp = {"sgd": {"momentum": 0.9}, "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}}
    surface = Rosenbrock() if rule == "sgd" else Beale()
    path = run(surface, rule, schedule=schedule, n_steps=150,
               hyperparameters=hp.get(rule) if isinstance(rule, str) else None)
    ref = torch_path(surface, 150, make_torch, make_scheduler=make_sched)
    assert_same_path(path, ref, 150)
    np.testing.assert_allclose(path.lrs, ref["lrs"], rtol=RTOL, atol=0)


# --------------------------------------------------------------------------- clipping


@pytest.mark.parametrize("clipping, kwargs", [
    (Clipping(max_norm=2.0), dict(clip_norm=2.0)),
    (Clipping(clip_value=0.5), dict(clip_value=0.5)),
], ids=["norm", "value"])
def test_clipping_before_each_update_like_torch(clipping, kwargs):
    surface = Rosenbrock()
    path = run(surface, "sgd", lr=1e-3, hyperparameters={"momentum": 0.9}, clipping=clipping,
               n_steps=300)
    ref = torch_path(surface, 300, lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9), **kwargs)
    assert_same_path(path, ref, 300)
    np.testing.assert_allclose(path.grad_norms, ref["norms"], rtol=RTOL)  # before clipping
    # gradients of size 100 near the start: autograd and the formula differ by 1e-14 of that
    np.testing.assert_allclose(path.grads, ref["grads"], rtol=RTOL, atol=1e-10)
    np.testing.assert_allclose(path.clipped_grads, ref["clipped"], rtol=RTOL, atol=1e-10)
    assert path.grad_norms.max() > 2.0  # the clip did act


# --------------------------------------------------------------------------- other objectives


class LeastSquares:
    """mean((X w - y)^2) on rows of X: a problem of our own, not a surface (no default_start)."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def value(self, w):
        r = np.asarray(w) @ self.X.T - self.y
        return np.mean(r * r, axis=-1)

    def grad(self, w):
        return 2.0 / len(self.y) * self.X.T @ (self.X @ w - self.y)


def test_mini_batch_gradients_and_any_objective_like_torch():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    order = [rng.permutation(40)[:8] for _ in range(50)]
    problem = LeastSquares(X, y)

    def batch_grad(w, i):
        b = order[i]
        return 2.0 / 8 * X[b].T @ (X[b] @ w - y[b])

    path = run(problem, "sgd", lr=0.05, hyperparameters={"momentum": 0.5}, n_steps=50,
               start=np.zeros(3), batch_grad=batch_grad)
    w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.05, momentum=0.5)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    points = [w.detach().clone().numpy()]
    for b in order:
        opt.zero_grad()
        torch.mean((Xt[b] @ w - yt[b]) ** 2).backward()
        opt.step()
        points.append(w.detach().clone().numpy())
    np.testing.assert_allclose(path.points, points, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(path.values, problem.value(np.array(points)), rtol=RTOL)
    assert path.points.shape == (51, 3)


def test_full_gradient_of_an_objective_of_our_own():
    rng = np.random.default_rng(1)
    problem = LeastSquares(rng.normal(size=(20, 4)), rng.normal(size=20))
    path = run(problem, "gd", lr=0.1, n_steps=30, start=np.ones(4))
    w = torch.ones(4, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1)
    for _ in range(30):
        opt.zero_grad()
        torch.mean((torch.tensor(problem.X) @ w - torch.tensor(problem.y)) ** 2).backward()
        opt.step()
    np.testing.assert_allclose(path.final, w.detach().numpy(), rtol=RTOL, atol=ATOL)


# --------------------------------------------------------------------------- divergence


def test_divergence_is_reported_at_the_first_update_beyond_the_documented_norm():
    """Plain GD on the ravine with lr above 2 / b: y is multiplied by 1 - 25 lr = -1.125 per
    update, so ||w_t||_2 (closed form) passes 1e6 at a step computed here independently."""
    lr, t = 0.085, np.arange(1, 501)
    norms = np.hypot((1 - lr) ** t * -4.5, (1 - 25 * lr) ** t * 2.0)
    first = int(t[np.argmax(norms > 1e6)])
    path = run(Ravine(), "gd", lr=lr, n_steps=500)
    assert DIVERGED_NORM == 1e6
    assert path.diverged and path.diverged_at == first == 112
    assert len(path.points) == len(path.values) == first  # the diverged point is not kept
    assert np.linalg.norm(path.points, axis=1).max() <= 1e6
    assert len(path.lrs) == len(path.grads) == len(path.grad_norms) == first == path.n_updates
    assert "diverged_at=112" in repr(path)
    assert path.message.startswith("Diverged at update 112") and "0.085" in path.message


def test_a_non_finite_result_is_divergence_at_that_update():
    class Cliff:
        """f = x^2 / 2 + y^2 / 2, but the gradient is infinite once x > 2."""

        default_start = (1.0, 0.0)

        def value(self, w):
            return 0.5 * np.sum(np.asarray(w) ** 2, axis=-1)

        def grad(self, w):
            return np.array([np.inf if w[0] > 2 else -1.0, 0.0])  # pushes x up by lr per step

    path = run(Cliff(), "gd", lr=0.6, n_steps=10)
    # x: 1, 1.6, 2.2 (update 2), then the infinite gradient makes update 3 infinite
    assert path.diverged_at == 3 and path.points.shape == (3, 2)
    assert math.isinf(path.grad_norms[-1]) and len(path.grad_norms) == 3


def test_the_saddle_run_away_is_divergence_too():
    path = run(Saddle(), "gd", lr=0.3, n_steps=500)
    # y grows by 1.6 per update from 0.01: past 1e6 after log(1e8) / log(1.6) updates
    assert path.diverged_at == math.ceil(math.log(1e6 / 0.01) / math.log(1.6))
    assert not run(Saddle(), "gd", lr=0.3, n_steps=30).diverged


def test_no_update_and_read_only_results():
    path = run(Bowl(), "adam", lr=0.1, hyperparameters={"beta1": 0.9, "beta2": 0.999,
                                                         "eps": 1e-8}, n_steps=0)
    assert path.points.shape == (1, 2) and path.lrs.shape == (0,) and not path.diverged
    path = run(Bowl(), "gd", lr=0.1, n_steps=3, start=[1, 2])  # integers become float64
    assert path.points.dtype == np.float64
    for a in (path.points, path.values, path.lrs, path.grads, path.grad_norms):
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 0.0


def test_the_start_is_not_changed():
    start = np.array([1.0, -2.0])
    run(Ravine(), "sgd", lr=0.01, hyperparameters={"momentum": 0.9}, start=start, n_steps=5)
    np.testing.assert_array_equal(start, [1.0, -2.0])


# --------------------------------------------------------------------------- bad input


class NotVectorized:
    default_start = (1.0, 1.0)

    def value(self, w):
        return float(np.sum(np.asarray(w) ** 2))

    def grad(self, w):
        return 2 * w


@pytest.mark.parametrize("call, error, match", [
    (lambda: run("ravine", "gd", lr=0.1), TypeError,
     r"objective must have value\(w\) and grad\(w\) .* got str without value\(\)"),
    (lambda: run(Bowl(), "nadam", lr=0.1), ValueError,
     r"rule must be one of 'gd', 'sgd', 'momentum', 'adagrad', 'rmsprop', 'adam', 'adamw'"),
    (lambda: run(Bowl(), 3, lr=0.1), TypeError, r"rule must be one of"),
    (lambda: run(Bowl(), "gd"), TypeError, r"lr must be given \(a finite number >= 0\)"),
    (lambda: run(Bowl(), "gd", lr=-0.1), ValueError, r"lr must be a finite number >= 0, got -0.1"),
    (lambda: run(Bowl(), "gd", lr=float("nan")), ValueError, r"lr must be"),
    (lambda: run(Bowl(), "gd", lr=0.1, schedule=StepDecay(0.1, 5)), ValueError,
     r"lr and schedule: give one of them, not both"),
    (lambda: run(Bowl(), "gd", schedule=0.1), TypeError, r"schedule must be a callable t -> lr"),
    (lambda: run(Bowl(), "gd", schedule=lambda t: 0.1 - 0.01 * t, n_steps=20), ValueError,
     r"schedule must give finite learning rates >= 0, got -0.00999\d+ at t = 11"),
    (lambda: run(Bowl(), "gd", schedule=OneCycle(0.1, total_steps=10), n_steps=20), ValueError,
     r"t must be an integer in \[0, total_steps=10\], got 19"),
    (lambda: run(Bowl(), "momentum", lr=0.1, hyperparameters={"beta": 1.0}), ValueError,
     r"beta must be a finite number in \[0, 1\), got 1.0"),
    (lambda: run(Bowl(), "momentum", lr=0.1, hyperparameters={"betta": 0.9}), TypeError,
     r"hyperparameters of 'momentum' must be among lr, beta; got 'betta'"),
    (lambda: run(Bowl(), "adam", lr=0.1, hyperparameters={"beta1": 0.9}), TypeError,
     r"hyperparameters of 'adam' must include beta2, eps"),
    (lambda: run(Bowl(), "gd", lr=0.1, hyperparameters={"lr": 0.2}), TypeError,
     r"hyperparameters must not hold lr: give the learning rate as lr= or schedule="),
    (lambda: run(Bowl(), "gd", lr=0.1, hyperparameters=[0.9]), TypeError,
     r"hyperparameters must be None or a dict"),
    (lambda: run(Bowl(), Adam, lr=0.1, hyperparameters={"betas": 0.9}), TypeError,
     r"betas must be a pair"),
    (lambda: run(Bowl(), lambda p: SGD(p, lr=0.1), lr=0.1), TypeError,
     r"lr must be None when rule is a factory"),
    (lambda: run(Bowl(), lambda p: SGD(p, lr=0.1), hyperparameters={"momentum": 0.9}),
     TypeError, r"hyperparameters must be None when rule is a factory"),
    (lambda: run(Bowl(), ema_momentum, lr=0.1), TypeError,
     r"rule must be a name of RULES, an Optimizer class or a factory params -> optimizer with "
     r"step\(\); got ema_momentum with 5 arguments .* pass it as update="),
    (lambda: run(Bowl(), lambda params: params, lr=0.1, schedule=None), TypeError,
     r"lr must be None when rule is a factory"),
    (lambda: run(Bowl(), lambda params: params), TypeError,
     r"rule must be a name of RULES, .* got a callable that returned list"),
    (lambda: run(Bowl(), Adam, update=ema_momentum), TypeError,
     r"update needs rule to be the name of the rule it implements"),
    (lambda: run(Bowl(), "momentum", update=3, lr=0.1), TypeError,
     r"update must be a function with the interface of momentum_update"),
    (lambda: run(Bowl(), "momentum", update=lambda w, g, v, lr, beta: w - lr * g, lr=0.1,
                 hyperparameters={"beta": 0.9}), TypeError,
     r"update must return \(w, v\) like momentum_update, got ndarray"),
    (lambda: run(Bowl(), "gd", update=lambda w, g, lr: np.zeros(3), lr=0.1), ValueError,
     r"update must return w of the shape of w \(2,\), got \(3,\)"),
    (lambda: run(Bowl(), "gd", lr=0.1, clipping=1.0), TypeError,
     r"clipping must be None or a Clipping such as Clipping\(max_norm=1.0\), got 1.0"),
    (lambda: run(Bowl(), "gd", lr=0.1, start=[1.0, np.nan]), ValueError,
     r"start must contain only finite numbers"),
    (lambda: run(Bowl(), "gd", lr=0.1, start=[[1.0, 2.0]]), ValueError,
     r"start must have 1 dimension\(s\), got shape \(1, 2\)"),
    (lambda: run(Bowl(), "gd", lr=0.1, start=[1.0, 2.0, 3.0]), ValueError,
     r"objective's gradient must have the shape of w \(3,\), got \(2,\)"),
    (lambda: run(LeastSquares(np.ones((3, 2)), np.ones(3)), "gd", lr=0.1), ValueError,
     r"start must be given: LeastSquares has no default_start"),
    (lambda: run(Bowl(), "gd", lr=0.1, n_steps=-1), ValueError,
     r"n_steps must be an integer in \[0, 1000000\], got -1"),
    (lambda: run(Bowl(), "gd", lr=0.1, record_state="yes"), TypeError,
     r"record_state must be True or False"),
    (lambda: run(Bowl(), "gd", lr=0.1, batch_grad=3), TypeError,
     r"batch_grad must be None or a function \(w, i\)"),
    (lambda: run(NotVectorized(), "gd", lr=0.1, n_steps=3), TypeError,
     r"objective.value must accept an array of points \(k, d\) and return k values"),
], ids=lambda x: x if isinstance(x, str) else None)
def test_bad_input_is_refused_with_a_message_that_names_it(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_arguments_are_checked_before_the_first_update():
    calls = []

    class Counting(Bowl):
        def grad_point(self, w):
            calls.append(1)
            return super().grad_point(w)

    with pytest.raises(ValueError, match="beta must be"):
        run(Counting(), "momentum", lr=0.1, hyperparameters={"beta": 2.0})
    with pytest.raises(ValueError, match="schedule must give"):
        run(Counting(), "gd", schedule=lambda t: -1.0)
    assert calls == []


# --------------------------------------------------------------------------- checked once


@pytest.fixture
def count_checks(monkeypatch):
    """Count every call of the argument checks, wherever the library imported them."""
    import nnlesson._validate as validate
    import nnlesson.clip
    import nnlesson.course.runner
    import nnlesson.course.surfaces
    import nnlesson.optim
    import nnlesson.schedules

    calls = []
    for module in (nnlesson.optim, nnlesson.schedules, nnlesson.clip, nnlesson.course.runner,
                   nnlesson.course.surfaces):
        for name in ("check_number", "check_int", "check_bool", "check_array"):
            if hasattr(module, name):
                original = getattr(validate, name)

                def counted(*args, _original=original, **kwargs):
                    calls.append(args[0])
                    return _original(*args, **kwargs)

                monkeypatch.setattr(module, name, counted)
    return calls


@pytest.mark.parametrize("kwargs", [
    dict(rule="adam", lr=0.05, hyperparameters={"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}),
    dict(rule="sgd", schedule=CosineAnnealing(1e-3, T_max=300),
         hyperparameters={"momentum": 0.9, "nesterov": True}, clipping=Clipping(max_norm=1.0)),
    dict(rule=Adam, lr=0.05),
], ids=["adam", "sgd schedule clip", "Adam class"])
def test_the_checks_run_once_per_run_not_once_per_update(count_checks, kwargs):
    run(Beale(), n_steps=1, **kwargs)
    once = len(count_checks)
    count_checks.clear()
    run(Beale(), n_steps=300, **kwargs)
    assert len(count_checks) == once > 0


def test_an_optimizer_step_checks_nothing(count_checks):
    from nnlesson.core import Parameter

    p = Parameter(np.ones(3))
    opt = Adam([p], lr=0.1, amsgrad=True)
    count_checks.clear()
    for _ in range(20):
        p.grad[...] = 1.0
        opt.step()
    assert count_checks == []
    opt.lr = 0.2  # a value set later is checked where it is set
    assert count_checks == ["lr"]
